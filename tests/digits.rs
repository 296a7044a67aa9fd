//! The embedded digits dataset and the digits models in `models/`: recorded accuracies are
//! reproduced by `proven`'s own forward pass, and certificates on them agree with Monte Carlo.
//!
//! Needs nothing outside the repository (no `../shared`).

use nalgebra::DVector;
use proven::certify::{
    Certifier, IntermediateMode, NoiseFamily, monte_carlo_rows, monte_carlo_top1,
};
use proven::datasets::{Digits, blur_covariance};
use proven::io::onnx::load_onnx;
use proven::noise::certify_rows;
use proven::noise::{Gaussian, NoiseModel, TailBound, Truncation, Uniform};
use proven::{Network, Sequential, Specification};
use std::path::PathBuf;

type MlpCertifier<'a> = Certifier<'a, f64, Sequential<f64>>;

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn metrics() -> serde_json::Value {
    let text = std::fs::read_to_string(models_dir().join("digits_metrics.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn load(name: &str) -> Sequential<f64> {
    load_onnx::<f64>(models_dir().join(format!("{name}.onnx")))
        .unwrap()
        .network
}

fn correct(net: &Sequential<f64>, images: &[DVector<f64>], labels: &[usize]) -> usize {
    images
        .iter()
        .zip(labels)
        .filter(|(x, l)| net.forward(x).unwrap().argmax().0 == **l)
        .count()
}

#[test]
fn mlp_test_accuracy_matches_the_recorded_value() {
    let test = Digits::embedded().unwrap().test();
    let m = metrics();
    for name in ["digits_mlp", "digits_mlp_pgd"] {
        let net = load(name);
        assert_eq!((net.input_dim(), net.output_dim()), (64, 10));
        let rec = &m["models"][name];
        let recorded = rec["test_correct_float64"].as_u64().unwrap() as usize;
        let got = correct(&net, &test.images, &test.labels);
        assert_eq!(got, recorded, "{name}: correct test images");
        let acc = rec["test_accuracy_clean"].as_f64().unwrap();
        assert!(
            (got as f64 / test.len() as f64 - acc).abs() < 1e-3,
            "{name}"
        );
        assert!(got >= 340, "{name}: {got}/360");
    }
}

#[test]
fn cnn_test_accuracy_matches_the_recorded_value() {
    let m = metrics();
    let test = Digits::embedded().unwrap().test();
    for name in ["digits_cnn", "digits_cnn_pgd"] {
        let path = models_dir().join(format!("{name}.onnx"));
        let bytes = std::fs::metadata(&path).unwrap().len();
        assert!((1_000..1_000_000).contains(&bytes), "{name}: {bytes} bytes");
        assert_eq!(
            m["models"][name]["input_shape"],
            serde_json::json!([1, 1, 8, 8])
        );
        let model = load_onnx::<f64>(&path).unwrap();
        assert_eq!(model.input_shape, vec![1, 1, 8, 8], "{name}");
        assert_eq!(
            (model.network.input_dim(), model.network.output_dim()),
            (64, 10)
        );
        let recorded = m["models"][name]["test_correct_float64"].as_u64().unwrap();
        let got = correct(&model.network, &test.images, &test.labels);
        assert_eq!(got as u64, recorded, "{name}: correct test images");
        assert!(got >= 350, "{name}: {got}/360");
    }
}

/// Certified `P[top-1 changes]` must not lie below the Clopper–Pearson lower end (99.9 %) of the
/// sampled rate, at the certified radius and at 3× it (where the network does flip; the
/// certified bound is trivial there, so the informative check is the next test).
#[test]
fn certificates_agree_with_monte_carlo() {
    for name in ["digits_mlp", "digits_cnn"] {
        top1_agrees(name);
    }
}

fn top1_agrees(name: &str) {
    let test = Digits::embedded().unwrap().test();
    let net = load(name);
    let (x, label) = (&test.images[0], test.labels[0]);
    assert_eq!(net.forward(x).unwrap().argmax().0, label);
    let uniform = Certifier::new(&net).confidence(0.9999).unwrap();
    let gauss = Certifier::new(&net)
        .confidence(0.9999)
        .unwrap()
        .tail(TailBound::Exact)
        .unwrap();
    let prob_int = Certifier::new(&net)
        .confidence(0.9999)
        .unwrap()
        .intermediate(IntermediateMode::Probabilistic { split: 0.9 })
        .unwrap();
    let eps = uniform
        .radius(x, label, &NoiseFamily::Uniform)
        .unwrap()
        .probabilistic
        .certified;
    let sigma = gauss
        .radius(x, label, &NoiseFamily::gaussian())
        .unwrap()
        .probabilistic
        .certified;
    let eps_int = prob_int
        .radius(x, label, &NoiseFamily::Uniform)
        .unwrap()
        .probabilistic
        .certified;
    assert!(
        eps > 0.0 && sigma > 0.0 && eps_int > 0.0,
        "{eps} {sigma} {eps_int}"
    );
    // Fewer samples on the CNN, whose batched forward pass is slower.
    let samples = if name.contains("cnn") { 5_000 } else { 20_000 };
    let mut informative = 0;
    for scale in [1.0, 3.0] {
        let cases: Vec<(&str, Box<dyn NoiseModel>, &MlpCertifier)> = vec![
            (
                "uniform",
                Box::new(Uniform::new(64, scale * eps).unwrap()),
                &uniform,
            ),
            (
                "gaussian",
                Box::new(
                    Gaussian::isotropic(64, scale * sigma, Truncation::BoxMass(5e-5)).unwrap(),
                ),
                &gauss,
            ),
            (
                "uniform, prob. intermediate",
                Box::new(Uniform::new(64, scale * eps_int).unwrap()),
                &prob_int,
            ),
        ];
        for (what, noise, certifier) in cases {
            let cert = certifier.certify(x, label, noise.as_ref()).unwrap();
            if scale == 1.0 {
                assert!(cert.is_certified(), "{what} at the certified radius");
            }
            let bound = cert.failure().value();
            let mc = monte_carlo_top1(&net, x, label, noise.as_ref(), samples, 0.999, 11).unwrap();
            assert_eq!(mc.samples, samples);
            println!(
                "{name}, {what} ×{scale}: certified ≤ {bound:.3e}, sampled {} / {} (CP [{:.2e}, {:.2e}])",
                mc.changes, mc.samples, mc.interval.0, mc.interval.1
            );
            assert!(
                mc.consistent_with(bound),
                "{what} ×{scale}: {bound} vs {mc:?}"
            );
            if mc.changes > 0 {
                informative += 1;
            }
        }
    }
    // Some noise does change the prediction at 3× the radius.
    assert!(
        informative > 0,
        "no flips sampled at 3× the certified radii"
    );
}

/// Per-row events `f_c(X) − f_t(X) ≤ τ_t` at a small noise level (ε = r/8, where the linear
/// bounds are nearly tight), with τ_t one standard deviation of the lower line below its value at
/// `x0`: frequent enough to be sampled and non-trivially bounded. No certified upper bound may lie
/// below the Clopper–Pearson lower end, no lower bound above the upper end (99.9 %).
#[test]
fn row_certificates_agree_with_monte_carlo_at_an_informative_threshold() {
    for name in ["digits_mlp", "digits_cnn"] {
        row_events_agree(name);
    }
}

fn row_events_agree(name: &str) {
    let test = Digits::embedded().unwrap().test();
    let net = load(name);
    let (x, label) = (&test.images[0], test.labels[0]);
    let spec = Specification::margins::<f64>(10, label).unwrap();
    let c = Certifier::new(&net).confidence(0.9999).unwrap();
    let r = c
        .radius(x, label, &NoiseFamily::Uniform)
        .unwrap()
        .probabilistic
        .certified;
    let eps = r / 8.0;
    let noise = Uniform::new(64, eps).unwrap();
    let bounds = c.certify(x, label, &noise).unwrap().bounds;
    let at_x = bounds.lower().eval(x);
    let mut informative = 0;
    for row in 0..spec.nrows() {
        let sd = eps / 3f64.sqrt() * bounds.lower().a.row(row).norm();
        let tau = at_x[row] - sd;
        let mc = monte_carlo_rows(&net, x, &spec, tau, &noise, 20_000, 0.999, row as u64).unwrap();
        let sampled = &mc.rows[row];
        for tail in [
            TailBound::SubGaussian,
            TailBound::Chernoff,
            TailBound::convolution(),
        ] {
            let cert = &certify_rows(&bounds, x, &noise, tail, tau).unwrap()[row];
            assert!(
                sampled.consistent_with(cert.upper.value())
                    && sampled.consistent_with_lower(cert.lower.value()),
                "row {row}, {tail:?}: certified [{}, {}] vs sampled {sampled:?}",
                cert.lower.value(),
                cert.upper.value()
            );
            if sampled.changes > 0 && cert.upper.value() < 1.0 {
                informative += 1;
            }
        }
        println!(
            "row {row}: τ = {tau:.3}, sampled {} / {}",
            sampled.changes, sampled.samples
        );
    }
    assert!(
        informative >= 9,
        "only {informative} informative (row, tail) pairs"
    );
}

/// The blur covariance of the examples is accepted by the correlated Gaussian family, and its
/// radius is certified by a second, independent certificate at that σ.
#[test]
fn correlated_gaussian_radius_is_certified() {
    let test = Digits::embedded().unwrap().test();
    let net = load("digits_mlp_pgd");
    let i = (0..test.len())
        .find(|&i| i > 0 && net.forward(&test.images[i]).unwrap().argmax().0 == test.labels[i])
        .unwrap();
    let (x, label) = (&test.images[i], test.labels[i]);
    let family = NoiseFamily::CorrelatedGaussian {
        covariance: blur_covariance(8),
        truncation_share: 0.5,
    };
    let c = Certifier::new(&net)
        .confidence(0.999)
        .unwrap()
        .tail(TailBound::Exact)
        .unwrap();
    let r = c.radius(x, label, &family).unwrap();
    let sigma = r.probabilistic.certified;
    assert!(sigma > 0.0);
    let noise = family.at(64, sigma, 1e-3).unwrap();
    let cert = c.certify(x, label, noise.as_ref()).unwrap();
    assert!(cert.is_certified() && cert.failure().value() <= 1e-3);
    let mc = monte_carlo_top1(&net, x, label, noise.as_ref(), 20_000, 0.999, 5).unwrap();
    assert!(mc.consistent_with(cert.failure().value()), "{mc:?}");
}

/// The two ways a certificate gets the lines' values at the noise mean agree on real bounds:
/// from the sums the ball concretisation kept (the `Certifier`'s ball domain) and from a sweep
/// over `A` (the same lines on the box of that ball, which keeps no sums). Margins agree to
/// rounding, every row's upper bound to a relative 1e-9 (or both are below 1e-30: a line above 0
/// on the whole ball is 0 on one path and a vanishing tail on the other), and the top-1 verdicts
/// are the same. Uniform noise below, near and above the worst-case radius.
#[test]
fn certificates_from_kept_sums_equal_certificates_from_a_sweep() {
    let test = Digits::embedded().unwrap().test();
    let net = load("digits_mlp");
    let c = Certifier::new(&net).confidence(0.9999).unwrap();
    let (mut compared, mut with_tails) = (0, 0);
    for (x, &label) in test.images.iter().zip(&test.labels).take(8) {
        if net.forward(x).unwrap().argmax().0 != label {
            continue;
        }
        for eps in [0.02, 0.07, 0.15] {
            let noise = Uniform::new(64, eps).unwrap();
            let cert = c.certify(x, label, &noise).unwrap();
            let b = &cert.bounds;
            let r = match b.domain() {
                proven::InputDomain::Ball { radius, .. } => *radius,
                other => panic!("the certifier's domain for uniform noise is a ball: {other:?}"),
            };
            let boxed = proven::InputDomain::boxed(x.add_scalar(-r), x.add_scalar(r)).unwrap();
            let swept = proven::LinearBounds::new(
                b.lower().a.clone(),
                b.lower().b.clone(),
                b.upper().a.clone(),
                b.upper().b.clone(),
                boxed,
            )
            .unwrap();
            let rows = certify_rows(&swept, x, &noise, TailBound::SubGaussian, 0.0).unwrap();
            for (kept, swept) in cert.rows.iter().zip(&rows) {
                let what = format!("label {label}, eps {eps}, row {}", kept.row);
                let scale = 1.0 + kept.lower_line_margin.abs();
                assert!(
                    (kept.lower_line_margin - swept.lower_line_margin).abs() <= 1e-12 * scale,
                    "{what}"
                );
                assert!(
                    (kept.upper_line_margin - swept.upper_line_margin).abs() <= 1e-12 * scale,
                    "{what}"
                );
                let (p, q) = (kept.upper.value(), swept.upper.value());
                assert!(
                    (p - q).abs() <= 1e-9 * p.max(q) || p.max(q) < 1e-30,
                    "{what}: {p} from the kept sums, {q} from the sweep"
                );
                compared += 1;
                if p > 1e-30 && p < 1.0 {
                    with_tails += 1;
                }
            }
            let top1 = proven::noise::top1(&rows, 1e-4).unwrap();
            assert_eq!(
                top1.certified_sum, cert.top1.certified_sum,
                "label {label}, eps {eps}"
            );
        }
    }
    assert!(compared >= 9 * 3 * 6, "only {compared} rows compared");
    // Rows strictly between a vanishing and a trivial bound: real tails were compared.
    assert!(
        with_tails >= 5,
        "only {with_tails} rows with a non-trivial tail"
    );
}
