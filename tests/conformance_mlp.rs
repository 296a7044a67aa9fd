//! Conformance of the bound engine with auto_LiRPA 0.7.1 (float64) on the real MLPs in
//! `../shared/models` (test, acasxu, mnistfc): forward pass at x0 within 1e-5, and IBP, CROWN,
//! CROWN-dense, Fast-Lin and Fast-Lin-dense output and margin bounds within 1e-6 relative +
//! 1e-6 absolute. One test per folder.

mod common;

use common::{floats, shared_path};
use nalgebra::DVector;
use proven::io::onnx::load_onnx;
use proven::io::vnnlib::read_vnnlib;
use proven::{InputDomain, Method, Network, Specification, compute_bounds};

fn method(name: &str) -> Method {
    match name {
        "IBP" => Method::ibp().auto_lirpa_compatible(),
        "CROWN" => Method::crown().auto_lirpa_compatible(),
        "CROWN-dense" => Method::crown().dense(),
        "Fast-Lin" => Method::fast_lin().auto_lirpa_compatible(),
        "Fast-Lin-dense" => Method::fast_lin().dense(),
        other => panic!("unknown reference method {other}"),
    }
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-6 + 1e-6 * want.abs()
}

/// Checks every case of every reference file whose name starts with `prefix`; returns the number
/// of bound vectors compared.
fn check_folder(prefix: &str) -> usize {
    let Some(reference) = shared_path("reference") else {
        return 0;
    };
    let models = reference.parent().unwrap().join("models");
    let mut files: Vec<_> = std::fs::read_dir(&reference)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{prefix}__"))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no reference files for {prefix}");
    let mut compared = 0;
    for file in files {
        let cases: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        for case in cases {
            let model_path = models.join(case["model"].as_str().unwrap());
            let net = load_onnx::<f64>(&model_path).unwrap().network;
            let x0 = DVector::from_vec(floats(&case["x0"]));
            let what = format!("{} / {}", file.display(), case["property"]);
            // Forward pass.
            let y = net.forward(&x0).unwrap();
            for (i, v) in floats(&case["logits_x0"]).iter().enumerate() {
                assert!(
                    (y[i] - v).abs() <= 1e-5,
                    "{what}: logit {i} {} vs {v}",
                    y[i]
                );
            }
            // The input box.
            let domain = if let Some(p) = case["property"].as_str() {
                let prop = read_vnnlib(models.join(p)).unwrap();
                InputDomain::Box(prop.single_box().unwrap().clone())
            } else {
                let eps = case["eps"].as_f64().unwrap();
                InputDomain::clipped_linf(x0.clone(), eps, 0.0, 1.0).unwrap()
            };
            let spec = case["label"]
                .as_u64()
                .map(|l| Specification::margins::<f64>(net.output_dim(), l as usize).unwrap());
            for (key, c) in [("bounds", None), ("margin_bounds", spec.as_ref())] {
                let Some(all) = case[key].as_object() else {
                    continue;
                };
                for (name, expect) in all {
                    let b = compute_bounds(&net, &domain, c, &method(name)).unwrap();
                    let lo = floats(&expect["lower"]);
                    let hi = floats(&expect["upper"]);
                    for i in 0..lo.len() {
                        assert!(
                            close(b.lower_bounds()[i], lo[i]),
                            "{what} {key} {name} lower[{i}]: {} vs {}",
                            b.lower_bounds()[i],
                            lo[i]
                        );
                        assert!(
                            close(b.upper_bounds()[i], hi[i]),
                            "{what} {key} {name} upper[{i}]: {} vs {}",
                            b.upper_bounds()[i],
                            hi[i]
                        );
                    }
                    compared += 1;
                }
            }
        }
    }
    compared
}

#[test]
fn test_folder_matches_reference() {
    let n = check_folder("test");
    assert!(n == 0 || n >= 5 * 5, "compared {n}");
}

#[test]
fn acasxu_matches_reference() {
    let n = check_folder("acasxu");
    assert!(n == 0 || n >= 12 * 5, "compared {n}");
}

#[test]
fn mnistfc_matches_reference() {
    let n = check_folder("mnistfc");
    assert!(n == 0 || n >= 60 * 10, "compared {n}");
}
