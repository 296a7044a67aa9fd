//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod cli;

use nalgebra::{DMatrix, DVector};
use proven::layers::{ActivationLayer, Dense};
use proven::{Activation, Layer};
use std::path::PathBuf;

/// A path under `../shared`, or `None` (with a message) when it is missing outside CI.
/// In CI (`CI=true`) a missing file fails the test.
pub fn shared_path(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{} is missing (CI=true): ../shared must be beside the repository",
            p.display()
        );
    }
    eprintln!(
        "skipping: {} not found (../shared is not beside the repository)",
        p.display()
    );
    None
}

pub fn vec(v: &[f64]) -> DVector<f64> {
    DVector::from_vec(v.to_vec())
}

pub fn dense(rows: usize, cols: usize, w: &[f64], b: &[f64]) -> Box<dyn Layer<f64>> {
    Box::new(Dense::new(DMatrix::from_row_slice(rows, cols, w), vec(b)).unwrap())
}

pub fn relu(n: usize) -> Box<dyn Layer<f64>> {
    Box::new(ActivationLayer::new(n, Activation::Relu).unwrap())
}

pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}
