//! ONNX network + VNN-LIB property + CROWN: the small known answers of the design notes (§7.5).

mod io_common;

use io_common::{models_dir, require};
use nalgebra::DMatrix;
use proven::io::{onnx, vnnlib};
use proven::{Method, compute_bounds};

/// Whether CROWN refutes every disjunct of every case (the property is "unsat").
fn verified(net: &str, prop: &str) -> Option<bool> {
    let dir = require(models_dir(), "io_end_to_end")?;
    let model = onnx::load_onnx::<f64>(dir.join(net)).expect("onnx");
    let p = vnnlib::read_vnnlib(dir.join(prop)).expect("vnnlib");
    let mut all = true;
    for case in &p.cases {
        let domain = case.input_domain::<f64>().expect("domain");
        // One call for all rows of all disjuncts of the case.
        let rows: Vec<_> = case
            .disjuncts
            .iter()
            .flat_map(|d| d.matrix.row_iter())
            .collect();
        if rows.is_empty() {
            return Some(false);
        }
        let c = DMatrix::from_rows(&rows);
        let b =
            compute_bounds(&model.network, &domain, Some(&c), &Method::crown()).expect("bounds");
        let mut start = 0;
        for d in &case.disjuncts {
            let n = d.matrix.nrows();
            let lower = b.lower_bounds().rows(start, n).into_owned();
            all &= d.is_refuted_by(&lower);
            start += n;
        }
    }
    Some(all)
}

#[test]
fn tiny_networks_are_verified() {
    for (net, prop) in [
        ("test/test_nano.onnx", "test/test_nano.vnnlib"),
        ("test/test_tiny.onnx", "test/test_tiny.vnnlib"),
        ("test/test_small.onnx", "test/test_small.vnnlib"),
    ] {
        if let Some(v) = verified(net, prop) {
            assert!(v, "{net} with {prop} should be unsat");
        }
    }
}

#[test]
fn acas_property_3_sat_and_unsat_nets() {
    // test_unsat: CROWN refutes row 1 (upper bound of Y1 − Y0 < 0). test_sat: every point is unsafe.
    if let Some(v) = verified("test/test_unsat.onnx", "test/test_prop.vnnlib") {
        assert!(v);
    }
    if let Some(v) = verified("test/test_sat.onnx", "test/test_prop.vnnlib") {
        assert!(!v);
    }
}

#[test]
fn mnist_256x2_eps_003_crown_verifies_7_of_15() {
    let mut count = 0;
    for i in 0..15 {
        match verified(
            "mnistfc/mnist-net_256x2.onnx",
            &format!("mnistfc/prop_{i}_0.03.vnnlib"),
        ) {
            Some(true) => count += 1,
            Some(false) => {}
            None => return,
        }
    }
    assert_eq!(count, 7, "design notes §7.5: CROWN verifies 7/15");
}
