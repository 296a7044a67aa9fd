//! Real networks against the shared goldens: forward pass at `x0` equals `logits_x0`, and the
//! VNN-LIB reader's box centre and label equal the reference's.

mod io_common;

use io_common::{files_with_ext, models_dir, reference_dir, require};
use nalgebra::DVector;
use proven::Network;
use proven::io::{onnx, vnnlib};
use serde_json::Value;

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// The reference cases of the MLP folders: `(file name, cases)`.
fn mlp_references() -> Vec<(String, Vec<Value>)> {
    let Some(dir) = require(reference_dir(), "reference files") else {
        return vec![];
    };
    files_with_ext(&dir, "json")
        .into_iter()
        .filter_map(|f| {
            let name = f.file_name()?.to_str()?.to_string();
            let folder = name.split("__").next()?;
            if !["test", "acasxu", "mnistfc"].contains(&folder) || !name.contains("__") {
                return None;
            }
            let cases: Vec<Value> =
                serde_json::from_str(&std::fs::read_to_string(&f).ok()?).ok()?;
            Some((name, cases))
        })
        .collect()
}

#[test]
fn forward_at_x0_matches_logits_in_f64_and_f32() {
    let refs = mlp_references();
    if refs.is_empty() {
        return;
    }
    assert_eq!(
        refs.len(),
        5 + 3 + 2,
        "reference files for test, acasxu, mnistfc"
    );
    let models = models_dir();
    let mut checked = 0;
    for (name, cases) in refs {
        let Some(model) = cases
            .first()
            .and_then(|c| c["model"].as_str())
            .map(String::from)
        else {
            continue;
        };
        let path = models.join(&model);
        let m64 = onnx::load_onnx::<f64>(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let m32 = onnx::load_onnx::<f32>(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        for case in cases {
            assert_eq!(case["model"].as_str(), Some(model.as_str()));
            let shape: Vec<usize> = floats(&case["input_shape"])
                .iter()
                .map(|&d| d as usize)
                .collect();
            assert_eq!(m64.input_shape, shape, "{name}");
            let x0 = DVector::from_vec(floats(&case["x0"]));
            let want = floats(&case["logits_x0"]);
            let y = m64.network.forward(&x0).expect("forward");
            assert_eq!(y.len(), want.len(), "{name}");
            for (a, b) in y.iter().zip(&want) {
                assert!((a - b).abs() <= 1e-5, "{name}: f64 {a} vs {b}");
            }
            let y32 = m32.network.forward(&x0.map(|v| v as f32)).expect("forward");
            for (a, b) in y32.iter().zip(&want) {
                assert!(
                    (f64::from(*a) - b).abs() <= 1e-3 * (1.0 + b.abs()),
                    "{name}: f32 {a} vs {b}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 5 + 12 + 60, "checked {checked} cases");
}

#[test]
fn vnnlib_box_centre_and_label_match_reference() {
    let models = models_dir();
    let mut checked = 0;
    for (name, cases) in mlp_references() {
        for case in cases {
            let Some(prop) = case["property"].as_str() else {
                continue;
            };
            let p = vnnlib::read_vnnlib(models.join(prop)).expect("vnnlib");
            let want_label = case["label"].as_u64().map(|l| l as usize);
            assert_eq!(p.label(), want_label, "{name} {prop}");
            let b = p.single_box().expect("one box");
            for (c, x) in b.center().iter().zip(floats(&case["x0"])) {
                assert!(
                    (c - x).abs() <= 1e-6 * (1.0 + x.abs()),
                    "{name} {prop}: {c} vs {x}"
                );
            }
            checked += 1;
        }
    }
    if require(
        reference_dir(),
        "vnnlib_box_centre_and_label_match_reference",
    )
    .is_some()
    {
        assert!(checked >= 5 + 12, "checked {checked}");
    }
}

#[test]
fn mnist_labels_come_from_the_output_comparisons() {
    let Some(dir) = require(
        models_dir(),
        "mnist_labels_come_from_the_output_comparisons",
    ) else {
        return;
    };
    for f in files_with_ext(&dir.join("mnistfc"), "vnnlib") {
        let text = std::fs::read_to_string(&f).expect("read");
        // First line: "; Mnist property with label: 8."
        let label: usize = text
            .lines()
            .next()
            .and_then(|l| l.rsplit(':').next())
            .map(|s| s.trim().trim_end_matches('.'))
            .and_then(|s| s.parse().ok())
            .expect("label comment");
        let p = vnnlib::parse_str(&text).expect("parse");
        assert_eq!(p.label(), Some(label), "{}", f.display());
        assert_eq!(p.cases.len(), 1);
        assert_eq!(p.cases[0].disjuncts.len(), 9);
    }
}
