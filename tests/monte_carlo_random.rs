//! Monte Carlo soundness of probabilistic certificates on random small networks
//! ([`proven::testing::arb_network`]), for every noise model, and the batched forward pass.
//!
//! Each case draws a network (depth 1–3, widths 1–8, ReLU or tanh), an input `x0` in `[−1, 1]`,
//! a noise model and a level in `[0.05, 1]`, certifies the margins of the argmax at `x0` with
//! CROWN and every tail bound the model supports, and checks the union and per-row bounds
//! against [`SAMPLES`] seeded samples at 99.9 % Clopper–Pearson confidence. The proptest runner
//! is deterministic (fixed seed), so runs are repeatable.

use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
use proven::certify::{Certifier, monte_carlo_rows};
use proven::noise::{
    Bernoulli, BoundedIndependent, CorrelatedGaussian, Gaussian, NoiseModel, Truncation, Uniform,
    certify_rows, top1,
};
use proven::testing::arb_network;
use proven::{Activation, Network, Sequential, Specification, TailBound};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Samples per case.
const SAMPLES: u64 = 50_000;
/// Cases per activation.
const CASES: u32 = 64;
const DELTA: f64 = 1e-3;

fn noise(kind: usize, d: usize, s: f64) -> (Box<dyn NoiseModel>, Vec<TailBound>) {
    let bounded = vec![
        TailBound::Hoeffding,
        TailBound::SubGaussian,
        TailBound::Chernoff,
        TailBound::Bernstein,
    ];
    let with_convolution = || {
        let mut t = bounded.clone();
        t.push(TailBound::convolution());
        t
    };
    let gaussian = vec![
        TailBound::SubGaussian,
        TailBound::Chernoff,
        TailBound::Exact,
    ];
    match kind {
        0 => (Box::new(Uniform::new(d, s).unwrap()), with_convolution()),
        1 => (
            Box::new(Bernoulli::symmetric(d, s).unwrap()),
            with_convolution(),
        ),
        2 => (
            Box::new(Bernoulli::asymmetric(d, s, 0.2).unwrap()),
            with_convolution(),
        ),
        3 => {
            let lo = (0..d).map(|k| -s * (0.5 + 0.5 * (k % 3) as f64)).collect();
            let n = BoundedIndependent::new(lo, vec![s; d])
                .unwrap()
                .with_means(vec![0.0; d])
                .unwrap();
            (Box::new(n), bounded)
        }
        4 => (
            Box::new(Gaussian::isotropic(d, s, Truncation::BoxMass(0.5 * DELTA)).unwrap()),
            gaussian,
        ),
        _ => {
            let cov = DMatrix::from_fn(d, d, |i, j| {
                s * s * 0.6f64.powi((i as i32 - j as i32).abs())
            });
            (
                Box::new(CorrelatedGaussian::new(cov, Truncation::BoxMass(0.5 * DELTA)).unwrap()),
                gaussian,
            )
        }
    }
}

fn case(
    checked: &AtomicUsize,
    net: &Sequential<f64>,
    x0: &DVector<f64>,
    kind: usize,
    s: f64,
    seed: u64,
) -> Result<(), TestCaseError> {
    let d = net.input_dim();
    let outputs = net.output_dim();
    if outputs < 2 {
        return Ok(()); // no margins to certify
    }
    checked.fetch_add(1, Ordering::Relaxed);
    let label = net.forward(x0).unwrap().argmax().0;
    let (law, tails) = noise(kind, d, s);
    let cert = Certifier::new(net)
        .delta(DELTA)
        .unwrap()
        .certify(x0, label, law.as_ref())
        .unwrap();
    let spec = Specification::margins::<f64>(outputs, label).unwrap();
    let mc = monte_carlo_rows(net, x0, &spec, 0.0, law.as_ref(), SAMPLES, 0.999, seed).unwrap();
    prop_assert_eq!(mc.samples(), SAMPLES);
    for tail in tails {
        let rows = certify_rows(&cert.bounds, x0, law.as_ref(), tail, 0.0).unwrap();
        let t = top1(&rows, DELTA).unwrap();
        prop_assert!(
            mc.consistent_with_top1(&t),
            "{} {}: union bound {:e} < CP {:?} ({} events)",
            law.describe(),
            tail.name(),
            t.failure.value(),
            mc.union.interval,
            mc.union.changes
        );
        let bad = mc.inconsistent_rows(&rows).unwrap();
        prop_assert!(
            bad.is_empty(),
            "{} {}: rows {:?} vs {:?}",
            law.describe(),
            tail.name(),
            bad,
            mc.rows
        );
    }
    Ok(())
}

fn run(activation: Activation) {
    // Cases that reached the checks (networks with at least two outputs).
    let checked = AtomicUsize::new(0);
    let strategy = arb_network::<f64>(1..=3, 1..=8, activation).prop_flat_map(|net| {
        let d = net.input_dim();
        (
            Just(net),
            proptest::collection::vec(-1.0..1.0f64, d),
            0..6usize,
            0.05..1.0f64,
            any::<u64>(),
        )
    });
    let mut runner = TestRunner::new_with_rng(
        ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::with_cases(CASES)
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    runner
        .run(
            &strategy,
            |(net, x0, kind, s, seed): (Arc<Sequential<f64>>, Vec<f64>, usize, f64, u64)| {
                case(&checked, &net, &DVector::from_vec(x0), kind, s, seed)
            },
        )
        .unwrap();
    let checked = checked.load(Ordering::Relaxed);
    eprintln!("{activation:?}: {checked} of {CASES} cases checked, {SAMPLES} samples each");
    assert!(
        checked >= CASES as usize / 2,
        "only {checked} cases checked"
    );
}

#[test]
fn random_relu_networks_every_noise_model() {
    run(Activation::Relu);
}

#[test]
fn random_tanh_networks_every_noise_model() {
    run(Activation::Tanh);
}

/// `Network::forward_batch` agrees column by column with `Network::forward`.
#[test]
fn forward_batch_matches_forward_on_random_networks() {
    let strategy =
        arb_network::<f64>(1..=4, 1..=16, Activation::LeakyRelu(0.1)).prop_flat_map(|net| {
            let d = net.input_dim();
            (
                Just(net),
                proptest::collection::vec(-3.0..3.0f64, d * 7),
                0..7usize,
            )
        });
    let mut runner = TestRunner::new_with_rng(
        ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::with_cases(64)
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    runner
        .run(&strategy, |(net, x, n)| {
            let d = net.input_dim();
            let x = DMatrix::from_column_slice(d, n, &x[..d * n]);
            let y = net.forward_batch(&x).unwrap();
            prop_assert_eq!(y.shape(), (net.output_dim(), n));
            for j in 0..n {
                let one = net.forward(&x.column(j).into_owned()).unwrap();
                for (a, b) in one.iter().zip(y.column(j).iter()) {
                    prop_assert!((a - b).abs() <= 1e-12 * (1.0 + a.abs()), "{a} vs {b}");
                }
            }
            Ok(())
        })
        .unwrap();
}

/// A hand-made layer whose `forward_batch` drops a column gives a typed error, not a panic.
#[test]
fn broken_forward_batch_is_a_dimension_error() {
    use proven::layers::{Backward, BackwardContext};
    use proven::{Interval, Layer};
    #[derive(Debug)]
    struct DropsColumn;
    impl Layer<f64> for DropsColumn {
        fn kind(&self) -> &'static str {
            "drops-column"
        }
        fn input_dim(&self) -> usize {
            2
        }
        fn output_dim(&self) -> usize {
            2
        }
        fn forward(&self, x: &DVector<f64>) -> DVector<f64> {
            x.clone()
        }
        fn forward_batch(&self, x: &DMatrix<f64>) -> DMatrix<f64> {
            x.columns(0, x.ncols().saturating_sub(1)).into_owned()
        }
        fn interval(&self, input: &Interval<f64>) -> Interval<f64> {
            input.clone()
        }
        fn is_linear(&self) -> bool {
            true
        }
        fn backward(
            &self,
            lambda: &DMatrix<f64>,
            _ctx: &BackwardContext<'_, f64>,
        ) -> proven::Result<Backward<f64>> {
            Ok(Backward {
                lambda: lambda.clone(),
                offset: DVector::zeros(lambda.nrows()),
            })
        }
    }
    let net = Sequential::new(vec![Box::new(DropsColumn) as Box<dyn Layer<f64>>]).unwrap();
    let err = net.forward_batch(&DMatrix::zeros(2, 3)).unwrap_err();
    assert!(
        matches!(
            err,
            proven::Error::DimensionMismatch {
                expected: 3,
                found: 2,
                ..
            }
        ),
        "{err}"
    );
    assert!(matches!(
        net.forward_batch(&DMatrix::zeros(3, 1)),
        Err(proven::Error::DimensionMismatch { .. })
    ));
}
