//! Your own layer types, checked with the soundness test kit.
//!
//! Defines a hard-tanh activation (an [`ElementwiseActivation`]: only `eval` and `relax`) and a
//! "scaled absolute value" layer `y = s·|x|` (a full [`Layer`], not monotone, whose backward pass
//! reuses [`backward_through_relaxation`]), builds a network with both, and property-tests
//! everything with `proven::testing`:
//!
//! 1. `check_relaxation` on 2,000 random intervals for hard-tanh;
//! 2. `check_layer` on random boxes for both layers;
//! 3. `check_network` for every method on random input domains of every kind;
//! 4. and shows what a violation report looks like, on a deliberately wrong relaxation.
//!
//! Run with `cargo run --example custom_layer` (the crate's dev-dependency on itself turns the
//! `testing` feature on; a downstream crate adds `features = ["testing"]` to its dependency).

use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use proven::activation::{ElementwiseActivation, Line, NeuronRelaxation, RelaxationPolicy};
use proven::layers::{
    ActivationLayer, Backward, BackwardContext, Dense, backward_through_relaxation,
};
use proven::testing::{
    CheckStats, all_methods, arb_bounds, arb_domain, arb_interval, check_layer, check_network,
    check_relaxation,
};
use proven::{Error, Interval, Layer, Network, Sequential};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use std::cell::RefCell;

/// `clamp(z, −1, 1)`.
#[derive(Debug, Clone, Copy)]
struct HardTanh;

impl HardTanh {
    fn f(z: f64) -> f64 {
        z.clamp(-1.0, 1.0)
    }
}

/// The chord of `f` on `[l, u]` (a constant line at `f(l)` when `l = u`).
fn chord(l: f64, u: f64, f: fn(f64) -> f64) -> Line<f64> {
    if u - l <= 0.0 {
        return Line::new(0.0, f(l));
    }
    let slope = (f(u) - f(l)) / (u - l);
    Line::through(l, f(l), slope)
}

impl ElementwiseActivation<f64> for HardTanh {
    fn name(&self) -> &'static str {
        "hard_tanh"
    }
    fn eval(&self, z: f64) -> f64 {
        Self::f(z)
    }
    // `interval` keeps its default (σ(l), σ(u)): hard-tanh is non-decreasing.
    fn relax(&self, l: f64, u: f64, _policy: &RelaxationPolicy) -> NeuronRelaxation<f64> {
        // Convex on (−∞, 1]: the chord is an upper line there; concave on [−1, ∞): the chord is
        // a lower line there. Elsewhere a constant line holds because σ is monotone.
        let upper = if u <= 1.0 {
            chord(l, u, Self::f)
        } else {
            Line::new(0.0, Self::f(u))
        };
        let lower = if l >= -1.0 {
            chord(l, u, Self::f)
        } else {
            Line::new(0.0, Self::f(l))
        };
        NeuronRelaxation { lower, upper }
    }
}

/// The same activation with an upper line that is too low on wide intervals (a planted bug).
#[derive(Debug, Clone, Copy)]
struct BuggyHardTanh;

impl ElementwiseActivation<f64> for BuggyHardTanh {
    fn name(&self) -> &'static str {
        "buggy_hard_tanh"
    }
    fn eval(&self, z: f64) -> f64 {
        HardTanh::f(z)
    }
    fn relax(&self, l: f64, u: f64, policy: &RelaxationPolicy) -> NeuronRelaxation<f64> {
        let mut r = HardTanh.relax(l, u, policy);
        // Bug: "the chord is always an upper line" — false when [l, u] crosses z = 1.
        r.upper = chord(l, u, HardTanh::f);
        r
    }
}

/// `y = s·|x|` element-wise, `s > 0`: not monotone, so it supplies its own interval.
#[derive(Debug, Clone)]
struct ScaledAbs {
    dim: usize,
    scale: f64,
}

impl ScaledAbs {
    fn new(dim: usize, scale: f64) -> proven::Result<Self> {
        if !(scale > 0.0 && scale.is_finite()) {
            return Err(Error::invalid(
                "scale",
                scale,
                "the scale must be finite and > 0",
            ));
        }
        Ok(Self { dim, scale })
    }

    /// `s·|z|` on `[l, u]`: upper = chord (|·| is convex), lower = a line `α·s·z` through the
    /// origin with `α ∈ [−1, 1]` (α = ±1 on one-sided intervals, else the sign of the larger
    /// side, as CROWN-Ada does for ReLU).
    fn relaxation(&self, l: f64, u: f64) -> NeuronRelaxation<f64> {
        let s = self.scale;
        let upper = if u - l <= 0.0 {
            Line::new(0.0, s * l.abs())
        } else {
            let slope = s * (u.abs() - l.abs()) / (u - l);
            Line::through(l, s * l.abs(), slope)
        };
        let alpha = if l >= 0.0 || u > -l { 1.0 } else { -1.0 };
        NeuronRelaxation {
            lower: Line::new(alpha * s, 0.0),
            upper,
        }
    }
}

impl Layer<f64> for ScaledAbs {
    fn kind(&self) -> &'static str {
        "scaled_abs"
    }
    fn input_dim(&self) -> usize {
        self.dim
    }
    fn output_dim(&self) -> usize {
        self.dim
    }
    fn forward(&self, x: &DVector<f64>) -> DVector<f64> {
        x.map(|v| self.scale * v.abs())
    }
    fn interval(&self, input: &Interval<f64>) -> Interval<f64> {
        let (lo, hi): (Vec<f64>, Vec<f64>) = input
            .lower()
            .iter()
            .zip(input.upper().iter())
            .map(|(&l, &u)| {
                let low = if l <= 0.0 && u >= 0.0 {
                    0.0
                } else {
                    l.abs().min(u.abs())
                };
                (self.scale * low, self.scale * l.abs().max(u.abs()))
            })
            .unzip();
        Interval::new(DVector::from_vec(lo), DVector::from_vec(hi)).expect("lo <= hi")
    }
    fn is_linear(&self) -> bool {
        false
    }
    fn backward(
        &self,
        lambda: &DMatrix<f64>,
        ctx: &BackwardContext<'_, f64>,
    ) -> proven::Result<Backward<f64>> {
        let bounds = ctx.input_bounds.ok_or_else(|| Error::Unsupported {
            what: "scaled_abs needs input bounds".into(),
        })?;
        let relax: Vec<_> = bounds
            .lower()
            .iter()
            .zip(bounds.upper().iter())
            .map(|(&l, &u)| self.relaxation(l, u))
            .collect();
        Ok(backward_through_relaxation(lambda, &relax, ctx.side))
    }
}

fn random_dense(rng: &mut SmallRng, inputs: usize, outputs: usize) -> Box<dyn Layer<f64>> {
    let k = 1.5 / (inputs as f64).sqrt();
    let w = DMatrix::from_fn(outputs, inputs, |_, _| k * rng.random_range(-1.0..=1.0));
    let b = DVector::from_fn(outputs, |_, _| rng.random_range(-0.5..=0.5));
    Box::new(Dense::new(w, b).expect("finite weights"))
}

/// 3 → 8 (hard-tanh) → 8 (scaled |·|) → 2.
fn network(seed: u64) -> proven::Result<Sequential<f64>> {
    let mut rng = SmallRng::seed_from_u64(seed);
    Sequential::new(vec![
        random_dense(&mut rng, 3, 8),
        Box::new(ActivationLayer::new(8, HardTanh)?),
        random_dense(&mut rng, 8, 8),
        Box::new(ScaledAbs::new(8, 0.5)?),
        random_dense(&mut rng, 8, 2),
    ])
}

/// `cases` cases; no failure-persistence file (an example has no source directory to save to).
fn config(cases: u32) -> Config {
    Config {
        failure_persistence: None,
        ..Config::with_cases(cases)
    }
}

fn fail(v: proven::testing::SoundnessViolation) -> TestCaseError {
    TestCaseError::fail(v.to_string())
}

fn run() -> Result<(), String> {
    let policy = RelaxationPolicy::default();

    // 1. The activation's relaxation on random intervals (points, 1e-12 and ±1e3 widths).
    let relax_stats = RefCell::new(CheckStats::default());
    TestRunner::new(config(2_000))
        .run(&arb_bounds::<f64>(), |(l, u)| {
            *relax_stats.borrow_mut() +=
                check_relaxation(&HardTanh, l, u, &policy, 64).map_err(fail)?;
            Ok(())
        })
        .map_err(|e| format!("hard_tanh relaxation: {e}"))?;
    let r = relax_stats.into_inner();
    println!(
        "check_relaxation(hard_tanh): 2000 intervals, {} grid points, {} inequalities: ok",
        r.points, r.inequalities
    );

    // 2. Both layers on random boxes.
    let layer_stats = RefCell::new(CheckStats::default());
    let boxes = (1..=8usize).prop_flat_map(|n| (arb_interval::<f64>(n), any::<u64>()));
    TestRunner::new(config(300))
        .run(&boxes, |(b, seed)| {
            let mut rng = SmallRng::seed_from_u64(seed);
            let abs = ScaledAbs::new(b.dim(), 0.5).expect("valid");
            let ht = ActivationLayer::new(b.dim(), HardTanh).expect("valid");
            let mut s = layer_stats.borrow_mut();
            *s += check_layer(&abs, &b, 32, &mut rng).map_err(fail)?;
            *s += check_layer(&ht, &b, 32, &mut rng).map_err(fail)?;
            Ok(())
        })
        .map_err(|e| format!("layers: {e}"))?;
    let l = layer_stats.into_inner();
    println!(
        "check_layer(scaled_abs, hard_tanh): 300 boxes, {} points, {} inequalities: ok",
        l.points, l.inequalities
    );

    // 3. The whole network, every method, random domains of every kind.
    let net_stats = RefCell::new(CheckStats::default());
    let cases = (any::<u64>(), arb_domain::<f64>(3), any::<u64>());
    TestRunner::new(config(40))
        .run(&cases, |(net_seed, domain, seed)| {
            let net = network(net_seed).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut rng = SmallRng::seed_from_u64(seed);
            for method in all_methods() {
                *net_stats.borrow_mut() +=
                    check_network(&net, &domain, &method, None, 64, &mut rng).map_err(fail)?;
            }
            Ok(())
        })
        .map_err(|e| format!("network: {e}"))?;
    let n = net_stats.into_inner();
    let net = network(0).map_err(|e| e.to_string())?;
    println!(
        "check_network({} layers: {}): 40 domains × {} methods, {} points, {} inequalities: ok",
        net.layers().len(),
        net.layers()
            .iter()
            .map(|l| l.kind())
            .collect::<Vec<_>>()
            .join(" → "),
        all_methods().len(),
        n.points,
        n.inequalities
    );

    // 4. A planted bug is caught, with the point and the size of the violation.
    match check_relaxation(&BuggyHardTanh, -0.5, 3.0, &policy, 64) {
        Err(v) => println!("planted bug caught as expected:\n  {v}"),
        Ok(_) => return Err("the planted bug in BuggyHardTanh was not caught".into()),
    }
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("soundness check failed: {e}");
        std::process::exit(1);
    }
    println!("all checks passed");
}
