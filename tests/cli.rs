//! The `proven` command line on the real networks of `../shared/models`.

mod common;

use common::cli::{json, proven};
use common::{floats, shared_path};

#[test]
fn bounds_on_mnistfc_vnnlib_match_reference() {
    let Some(models) = shared_path("models") else {
        return;
    };
    let model = models.join("mnistfc/mnist-net_256x4.onnx");
    let prop = models.join("mnistfc/prop_0_0.03.vnnlib");
    let (ok, out, err) = proven(&[
        "bounds",
        "--model",
        model.to_str().unwrap(),
        "--vnnlib",
        prop.to_str().unwrap(),
        "--method",
        "crown",
        "--rules",
        "auto-lirpa",
        "--json",
    ]);
    assert!(ok, "{err}");
    let v = json(&out);
    assert_eq!(v["method"], "CROWN");
    assert!(v["seconds"].as_f64().unwrap() >= 0.0);
    // The reference box is the float64 clip of x0 ± 0.03; the vnnlib box is its float32 rounding
    // (about 1e-7 apart), so compare at 1e-5. `--rules auto-lirpa` reproduces auto_LiRPA's
    // intermediate-bound rules; the default (`tight`) is tighter.
    let reference = shared_path("reference/mnistfc__mnist-net_256x4.json").unwrap();
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(reference).unwrap()).unwrap();
    let case = cases
        .iter()
        .find(|c| c["image_index"] == 0 && (c["eps"].as_f64().unwrap() - 0.03).abs() < 1e-12)
        .expect("reference case image 0, eps 0.03");
    let lo = floats(&case["bounds"]["CROWN"]["lower"]);
    let hi = floats(&case["bounds"]["CROWN"]["upper"]);
    let got_lo = floats(&v["lower"]);
    let got_hi = floats(&v["upper"]);
    for i in 0..lo.len() {
        assert!(
            (got_lo[i] - lo[i]).abs() < 1e-5,
            "lower {i}: {} vs {}",
            got_lo[i],
            lo[i]
        );
        assert!(
            (got_hi[i] - hi[i]).abs() < 1e-5,
            "upper {i}: {} vs {}",
            got_hi[i],
            hi[i]
        );
    }
}

#[test]
fn verify_gives_the_known_verdicts_on_test_networks() {
    let Some(models) = shared_path("models/test") else {
        return;
    };
    let cases = [
        ("test_sat.onnx", "test_prop.vnnlib", "falsified"),
        ("test_unsat.onnx", "test_prop.vnnlib", "proved"),
        ("test_nano.onnx", "test_nano.vnnlib", "proved"),
        ("test_tiny.onnx", "test_tiny.vnnlib", "proved"),
        ("test_small.onnx", "test_small.vnnlib", "proved"),
    ];
    for (model, prop, verdict) in cases {
        let (ok, out, err) = proven(&[
            "verify",
            "--model",
            models.join(model).to_str().unwrap(),
            "--vnnlib",
            models.join(prop).to_str().unwrap(),
            "--json",
        ]);
        assert!(ok, "{model}: {err}");
        let v = json(&out);
        assert_eq!(v["verdict"], verdict, "{model}");
        if verdict == "falsified" {
            assert!(v["counterexample"]["x"].as_array().unwrap().len() == 5);
        }
    }
}

#[test]
fn radius_and_certify_run_end_to_end() {
    let Some(models) = shared_path("models/mnistfc") else {
        return;
    };
    let model = models.join("mnist-net_256x2.onnx");
    let images = models.join("images.json");
    let (ok, out, err) = proven(&[
        "radius",
        "--model",
        model.to_str().unwrap(),
        "--input",
        images.to_str().unwrap(),
        "--index",
        "0",
        "--noise",
        "uniform",
        "--json",
    ]);
    assert!(ok, "{err}");
    let v = json(&out);
    let wc = v["worst_case_eps"].as_f64().unwrap();
    let pe = v["probabilistic_eps"].as_f64().unwrap();
    assert!(wc > 0.0 && pe >= wc, "{v}");
    let eps = format!("uniform:{pe}");
    let (ok, out, err) = proven(&[
        "certify",
        "--model",
        model.to_str().unwrap(),
        "--input",
        images.to_str().unwrap(),
        "--index",
        "0",
        "--noise",
        &eps,
        "--json",
    ]);
    assert!(ok, "{err}");
    let c = json(&out);
    assert_eq!(c["certified"], true, "{c}");
    assert!(c["top1_failure_upper"].as_f64().unwrap() <= 1e-4);
    assert_eq!(c["targets"].as_array().unwrap().len(), 9);
}

#[test]
fn bad_input_is_a_clear_error() {
    let Some(models) = shared_path("models/mnistfc") else {
        return;
    };
    let model = models.join("mnist-net_256x2.onnx");
    let images = models.join("images.json");
    let (ok, _, err) = proven(&[
        "certify",
        "--model",
        model.to_str().unwrap(),
        "--input",
        images.to_str().unwrap(),
        "--index",
        "0",
        "--noise",
        "uniform:-1",
    ]);
    assert!(!ok && err.contains("eps"), "{err}");
    let (ok, _, err) = proven(&[
        "certify",
        "--model",
        model.to_str().unwrap(),
        "--input",
        images.to_str().unwrap(),
        "--noise",
        "uniform:0.01",
    ]);
    assert!(!ok && err.contains("--index"), "{err}");
    let (ok, _, err) = proven(&["bounds", "--model", "/nonexistent.onnx", "--eps", "0.1"]);
    assert!(!ok && err.contains("nonexistent"), "{err}");
}

/// `proven radius` at 99.99 % with auto_LiRPA's rules and worst-case intermediate bounds (PROVEN
/// as published) on mnistfc image 0: the reference's radii (`proven_radius__mnist-net_256x2.json`). At ε = 0.0143543… the uniform support
/// `x0 ± ε` used to be rejected as "outside" the equal ℓ∞ ball by a rounding error.
#[test]
fn radius_with_auto_lirpa_rules_reproduces_the_reference_on_image_0() {
    let Some(models) = shared_path("models/mnistfc") else {
        return;
    };
    let model = models.join("mnist-net_256x2.onnx");
    let images = models.join("images.json");
    for (tail, want) in [
        ("subgaussian", 0.01573631298271139),
        ("hoeffding", 0.015557687155444961),
    ] {
        let (ok, out, err) = proven(&[
            "radius",
            "--model",
            model.to_str().unwrap(),
            "--input",
            images.to_str().unwrap(),
            "--index",
            "0",
            "--noise",
            "uniform",
            "--confidence",
            "0.9999",
            "--rules",
            "auto-lirpa",
            "--intermediate",
            "worst-case",
            "--tail",
            tail,
            "--json",
        ]);
        assert!(ok, "{tail}: {err}");
        let v = json(&out);
        let close = |got: &serde_json::Value, want: f64| {
            (got.as_f64().unwrap() - want).abs() <= 1e-12 * want
        };
        assert!(close(&v["worst_case_eps"], 0.014361764484148562), "{v}");
        assert!(close(&v["probabilistic_eps"], want), "{tail}: {v}");
    }
}
