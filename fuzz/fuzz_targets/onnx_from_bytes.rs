//! Fuzzes the ONNX reader: arbitrary bytes must give `Ok` or a typed error, never a panic, and an
//! accepted graph must have consistent layer sizes and a finite-size forward pass.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nalgebra::DVector;

fuzz_target!(|data: &[u8]| {
    if let Ok(graph) = proven::io::onnx::parse_bytes(data) {
        let mut dim = graph.input_dim();
        for layer in &graph.layers {
            assert_eq!(layer.input_dim(), dim, "layer sizes must chain");
            dim = layer.output_dim();
        }
        assert_eq!(dim, graph.output_dim(), "last layer must match the output shape");
        let y = graph
            .forward(&DVector::zeros(graph.input_dim()))
            .expect("forward at the declared input size");
        assert_eq!(y.len(), dim);
    }
});
