//! Conformance of the CNN reader and bound engine with auto_LiRPA 0.7.1 (float64) on the real
//! CNNs in `../shared/models` (verivital Convnet_avgpool / Convnet_maxpool, oval21 cifar_*_kw).
//!
//! - Reader: the `f64` reference forward pass of the converted graph matches `logits_x0`.

mod common;

use common::{floats, shared_path};
use nalgebra::DVector;
use proven::io::onnx::read_graph;
use std::path::{Path, PathBuf};

/// The reference cases of `reference/<stem>.json` with the models folder.
fn cases(stem: &str) -> Option<(PathBuf, Vec<serde_json::Value>)> {
    let reference = shared_path("reference")?;
    let models = reference.parent().unwrap().join("models");
    let text = std::fs::read_to_string(reference.join(format!("{stem}.json"))).unwrap();
    Some((models, serde_json::from_str(&text).unwrap()))
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// The graph-level forward pass of every case matches `logits_x0`; returns the worst error.
fn reader_forward(stem: &str) -> Option<f64> {
    let (models, cases) = cases(stem)?;
    let mut worst: f64 = 0.0;
    for case in &cases {
        let path: &Path = &models.join(case["model"].as_str().unwrap());
        let g = read_graph(path).unwrap();
        let x0 = DVector::from_vec(floats(&case["x0"]));
        let y = g.forward(&x0).unwrap();
        let err = max_abs_diff(y.as_slice(), &floats(&case["logits_x0"]));
        assert!(
            err <= 1e-5,
            "{stem} {}: forward error {err}",
            case["property"]
        );
        worst = worst.max(err);
    }
    println!(
        "{stem}: reader forward max abs error {worst:.3e} over {} cases",
        cases.len()
    );
    Some(worst)
}

#[test]
fn reader_forward_matches_reference() {
    for stem in [
        "verivital__Convnet_avgpool",
        "verivital__Convnet_maxpool",
        "oval21__cifar_base_kw",
    ] {
        reader_forward(stem);
    }
}
