//! Fuzzes the VNN-LIB parser: any text must give `Ok` or a typed error, never a panic, and an
//! accepted property must have consistent sizes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(p) = proven::io::vnnlib::parse_str(text) {
        for c in &p.cases {
            assert_eq!(c.input.dim(), p.num_inputs);
            for d in &c.disjuncts {
                assert_eq!(d.matrix.ncols(), p.num_outputs);
                assert_eq!(d.matrix.nrows(), d.rhs.len());
            }
        }
        let _ = p.label();
    }
});
