//! Conformance of the CNN reader and bound engine with auto_LiRPA 0.7.1 (float64) on the real
//! CNNs in `../shared/models` (verivital Convnet_avgpool / Convnet_maxpool, oval21 cifar_*_kw).
//!
//! - Reader: the `f64` reference forward pass of the converted graph matches `logits_x0`.
//! - Network (`load_onnx::<f64>`): the forward pass at `x0` matches `logits_x0` within 1e-5; IBP
//!   output and margin bounds match within 1e-6 relative, and CROWN, CROWN-dense, Fast-Lin and
//!   Fast-Lin-dense within 1e-5 relative, on the average-pool and oval21 networks ("relative"
//!   means `|got − want| ≤ tol·max(1, |want|)`, the same form as the MLP conformance test).
//! - Max pooling (Convnet_maxpool): relaxations differ between tools, so the linear methods are
//!   checked for soundness on sampled points of the box (count asserted) and the gap to the
//!   reference bound is printed per case (`--nocapture`).
//! - cifar_wide_kw and cifar_deep_kw have no reference file: the prediction at each vnnlib box
//!   centre must be the property's label (the benchmark's images are correctly classified), the
//!   network and the reader's independent `f64` evaluation must agree, and IBP and CROWN must
//!   contain sampled points.
//!
//! The reference x0 is rounded to 7 digits, so the forward pass is evaluated at the float64
//! midpoint of the vnnlib box, which is the reference's full-precision centre.

mod common;

use common::{floats, shared_path};
use nalgebra::{DMatrix, DVector};
use proven::io::onnx::{load_onnx, read_graph};
use proven::io::vnnlib::read_vnnlib;
use proven::{InputDomain, Interval, Method, Network, Specification, compute_bounds};
use std::path::{Path, PathBuf};
use std::time::Instant;

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

/// The float64 midpoint of the case's vnnlib box.
fn centre(models: &Path, case: &serde_json::Value) -> DVector<f64> {
    let prop = read_vnnlib(models.join(case["property"].as_str().unwrap())).unwrap();
    prop.single_box().unwrap().center()
}

/// The graph-level forward pass of every case matches `logits_x0`; returns the worst error.
fn reader_forward(stem: &str) -> Option<f64> {
    let (models, cases) = cases(stem)?;
    let mut worst: f64 = 0.0;
    for case in &cases {
        let path: &Path = &models.join(case["model"].as_str().unwrap());
        let g = read_graph(path).unwrap();
        let x0 = centre(&models, case);
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

/// `|got − want| / max(1, |want|)`.
fn rel(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs().max(1.0)
}

/// `n` points of the box: its corners chosen at random for half of them, uniform for the rest
/// (deterministic), one per column.
fn sample_points(b: &Interval<f64>, n: usize, seed: u64) -> DMatrix<f64> {
    let (lo, hi) = (b.lower(), b.upper());
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64)
    };
    DMatrix::from_fn(lo.len(), n, |i, j| {
        let u = next();
        let t = if j % 2 == 0 { u.round() } else { u };
        lo[i] + t * (hi[i] - lo[i])
    })
}

/// Bounds of one method on one case: raw outputs and margins.
struct CaseBounds {
    outputs: (DVector<f64>, DVector<f64>),
    margins: (DVector<f64>, DVector<f64>),
}

fn bounds_of(
    net: &impl Network<f64>,
    domain: &InputDomain<f64>,
    spec: &DMatrix<f64>,
    m: &Method,
) -> CaseBounds {
    let o = compute_bounds(net, domain, None, m).unwrap();
    let c = compute_bounds(net, domain, Some(spec), m).unwrap();
    CaseBounds {
        outputs: (o.lower_bounds().clone(), o.upper_bounds().clone()),
        margins: (c.lower_bounds().clone(), c.upper_bounds().clone()),
    }
}

/// Checks that every sampled output (and margin) lies in the bounds; returns the number of
/// inequalities checked.
fn check_samples(what: &str, ys: &DMatrix<f64>, spec: &DMatrix<f64>, b: &CaseBounds) -> usize {
    let margins = spec * ys;
    let mut checked = 0;
    for (vals, (lo, hi), kind) in [(ys, &b.outputs, "output"), (&margins, &b.margins, "margin")] {
        for j in 0..vals.ncols() {
            for i in 0..vals.nrows() {
                let v = vals[(i, j)];
                let tol = 1e-9 * (1.0 + v.abs());
                assert!(
                    lo[i] - tol <= v && v <= hi[i] + tol,
                    "{what}: sampled {kind} {i} = {v} outside [{}, {}]",
                    lo[i],
                    hi[i]
                );
                checked += 2;
            }
        }
    }
    checked
}

/// Worst errors over the cases of one reference file.
#[derive(Default, Debug)]
struct Report {
    forward: f64,
    ibp: f64,
    linear: f64,
    compared: usize,
    samples_checked: usize,
}

/// Which cases and methods of a reference file to check.
struct Selection {
    /// Number of cases (from the first).
    cases: usize,
    /// Skip the `*-dense` methods (textbook CROWN / Fast-Lin, slow on max pooling).
    skip_dense: bool,
}

const ALL: Selection = Selection {
    cases: usize::MAX,
    skip_dense: false,
};

/// Compares the network with `reference/<stem>.json`. `exact_linear`: the linear methods must
/// match (else they are checked for soundness on `samples` points and their gap is printed).
fn check_network(stem: &str, exact_linear: bool, samples: usize, sel: Selection) -> Option<Report> {
    let (models, cases) = cases(stem)?;
    let mut report = Report::default();
    for case in cases.iter().take(sel.cases) {
        let what = format!("{stem} {}", case["property"]);
        let net = load_onnx::<f64>(models.join(case["model"].as_str().unwrap()))
            .unwrap()
            .network;
        let x0 = centre(&models, case);
        let y = net.forward(&x0).unwrap();
        let err = max_abs_diff(y.as_slice(), &floats(&case["logits_x0"]));
        assert!(err <= 1e-5, "{what}: forward error {err}");
        report.forward = report.forward.max(err);
        let prop = read_vnnlib(models.join(case["property"].as_str().unwrap())).unwrap();
        let b = prop.single_box().unwrap().clone();
        let domain = InputDomain::Box(b.clone());
        let label = case["label"].as_u64().unwrap() as usize;
        let spec = Specification::margins::<f64>(net.output_dim(), label).unwrap();
        let ys = (samples > 0).then(|| net.forward_batch(&sample_points(&b, samples, 7)).unwrap());
        let methods: Vec<&String> = case["bounds"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| !(sel.skip_dense && k.ends_with("-dense")))
            .collect();
        for name in methods {
            let start = Instant::now();
            let got = bounds_of(&net, &domain, &spec, &method(name));
            let seconds = start.elapsed().as_secs_f64();
            let is_ibp = name == "IBP";
            let mut worst: f64 = 0.0;
            let mut gap: f64 = 0.0;
            let mut gain: f64 = 0.0;
            for (key, (lo, hi)) in [("bounds", &got.outputs), ("margin_bounds", &got.margins)] {
                let want_lo = floats(&case[key][name.as_str()]["lower"]);
                let want_hi = floats(&case[key][name.as_str()]["upper"]);
                for i in 0..want_lo.len() {
                    worst = worst
                        .max(rel(lo[i], want_lo[i]))
                        .max(rel(hi[i], want_hi[i]));
                    // Positive when ours is looser than the reference.
                    gap = gap.max(want_lo[i] - lo[i]).max(hi[i] - want_hi[i]);
                    // Positive when ours is tighter.
                    gain = gain.max(lo[i] - want_lo[i]).max(want_hi[i] - hi[i]);
                }
            }
            if is_ibp || exact_linear {
                let tol = if is_ibp { 1e-6 } else { 1e-5 };
                assert!(
                    worst <= tol,
                    "{what} {name}: relative error {worst:e} > {tol:e}"
                );
                println!("{what} {name}: max relative error {worst:.3e} ({seconds:.2} s)");
                if is_ibp {
                    report.ibp = report.ibp.max(worst);
                } else {
                    report.linear = report.linear.max(worst);
                }
                report.compared += 1;
            } else {
                println!(
                    "{what} {name}: max |ours − reference| {worst:.4e} (relative); largest \
                     loosening {gap:.4e}, largest tightening {gain:.4e} ({seconds:.2} s)"
                );
            }
            if let Some(ys) = &ys {
                report.samples_checked += check_samples(&format!("{what} {name}"), ys, &spec, &got);
            }
        }
    }
    println!("{stem}: {report:?}");
    Some(report)
}

#[test]
fn convnet_avgpool_matches_reference() {
    if let Some(r) = check_network("verivital__Convnet_avgpool", true, 0, ALL) {
        assert_eq!(r.compared, 5 * 5);
    }
}

#[test]
fn cifar_base_kw_matches_reference() {
    if let Some(r) = check_network("oval21__cifar_base_kw", true, 0, ALL) {
        assert_eq!(r.compared, 3 * 5);
    }
}

/// Property 0 with IBP, CROWN and Fast-Lin (the `-dense` variants take minutes on this network).
#[test]
fn convnet_maxpool_is_sound_and_ibp_matches() {
    let samples = 2000;
    let sel = Selection {
        cases: 1,
        skip_dense: true,
    };
    if let Some(r) = check_network("verivital__Convnet_maxpool", false, samples, sel) {
        assert_eq!(r.compared, 1, "IBP compared");
        // 3 methods × samples × (10 outputs + 9 margins) × 2 sides.
        assert_eq!(r.samples_checked, 3 * samples * 19 * 2);
    }
}

/// All five properties with IBP, CROWN and Fast-Lin (a few minutes):
/// `cargo test --release --test conformance_cnn convnet_maxpool_all_cases -- --ignored --nocapture`.
#[test]
#[ignore = "heavy: every Convnet_maxpool property"]
fn convnet_maxpool_all_cases_are_sound() {
    let samples = 2000;
    let sel = Selection {
        cases: usize::MAX,
        skip_dense: true,
    };
    if let Some(r) = check_network("verivital__Convnet_maxpool", false, samples, sel) {
        assert_eq!(r.compared, 5, "IBP compared on every case");
        assert_eq!(r.samples_checked, 5 * 3 * samples * 19 * 2);
    }
}

/// All five properties with every method including CROWN-dense and Fast-Lin-dense (each dense
/// call takes minutes on this network):
/// `cargo test --release --test conformance_cnn convnet_maxpool_dense -- --ignored --nocapture`.
#[test]
#[ignore = "very heavy: the dense methods on every Convnet_maxpool property"]
fn convnet_maxpool_dense_methods_are_sound() {
    let samples = 2000;
    if let Some(r) = check_network("verivital__Convnet_maxpool", false, samples, ALL) {
        assert_eq!(r.compared, 5, "IBP compared on every case");
        assert_eq!(r.samples_checked, 5 * 5 * samples * 19 * 2);
    }
}

/// cifar_wide_kw / cifar_deep_kw (no reference file): the first `limit` properties of the
/// benchmark's vnnlib folder for `net`.
fn check_unreferenced(net_name: &str, limit: usize, samples: usize) {
    let Some(dir) = shared_path("models/oval21") else {
        return;
    };
    let model = dir.join(format!("nets/{net_name}.onnx"));
    let net = load_onnx::<f64>(&model).unwrap().network;
    let graph = read_graph(&model).unwrap();
    let mut props: Vec<PathBuf> = std::fs::read_dir(dir.join("vnnlib"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{net_name}-"))
        })
        .collect();
    props.sort();
    assert_eq!(props.len(), 10, "{net_name}: vnnlib files");
    for p in props.iter().take(limit) {
        let what = format!("{net_name} {}", p.file_name().unwrap().to_string_lossy());
        let prop = read_vnnlib(p).unwrap();
        let b = prop.single_box().unwrap().clone();
        let label = prop.label().expect("a label");
        let x0 = b.center();
        let y = net.forward(&x0).unwrap();
        assert_eq!(y.argmax().0, label, "{what}: prediction at the centre");
        let reader = graph.forward(&x0).unwrap();
        let err = max_abs_diff(y.as_slice(), reader.as_slice());
        assert!(err <= 1e-9, "{what}: network vs reader forward {err}");
        let spec = Specification::margins::<f64>(net.output_dim(), label).unwrap();
        let ys = net.forward_batch(&sample_points(&b, samples, 11)).unwrap();
        let domain = InputDomain::Box(b);
        let mut checked = 0;
        for name in ["IBP", "CROWN"] {
            let start = Instant::now();
            let got = bounds_of(&net, &domain, &spec, &method(name));
            let lower_margin = got.margins.0.min();
            println!(
                "{what} {name}: min margin lower bound {lower_margin:.4} ({:.2} s)",
                start.elapsed().as_secs_f64()
            );
            checked += check_samples(&format!("{what} {name}"), &ys, &spec, &got);
        }
        assert_eq!(checked, 2 * samples * 19 * 2);
        println!("{what}: forward vs reader {err:.2e}, {checked} sampled inequalities hold");
    }
}

#[test]
fn cifar_wide_and_deep_kw_are_consistent_and_sound() {
    check_unreferenced("cifar_wide_kw", 1, 500);
    check_unreferenced("cifar_deep_kw", 1, 500);
}

/// All ten properties of each network:
/// `cargo test --release --test conformance_cnn -- --ignored --nocapture`.
#[test]
#[ignore = "heavy: all 20 properties of cifar_wide_kw and cifar_deep_kw"]
fn cifar_wide_and_deep_kw_all_properties() {
    check_unreferenced("cifar_wide_kw", 10, 2000);
    check_unreferenced("cifar_deep_kw", 10, 2000);
}
