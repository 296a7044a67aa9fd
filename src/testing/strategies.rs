//! proptest strategies for intervals, layers, networks, domains and specifications.
//!
//! Values are drawn in `f64` and rounded to `T`, so the same strategy serves `f32` and `f64`.

use crate::layers::{ActivationLayer, Dense, ElementwiseAffine, Flatten};
use crate::{Activation, Float, InputDomain, Interval, Layer, Method, Norm, Sequential};
use nalgebra::{DMatrix, DVector};
use proptest::collection::vec;
use proptest::prelude::*;
use std::ops::RangeInclusive;
use std::sync::Arc;

/// One pair `l ≤ u`, mixing the shapes that break relaxations: points (`l = u`, also at 0 and
/// ±1e3), tiny widths (1e-12), ordinary intervals, very wide ones (±1e3), one-sided intervals
/// (all negative, all positive, touching 0) and symmetric ones (`u = −l`, the CROWN-Ada tie).
///
/// # Examples
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
/// let mut runner = TestRunner::deterministic();
/// let (l, u) = proven::testing::arb_bounds::<f32>().new_tree(&mut runner).unwrap().current();
/// assert!(l <= u);
/// ```
pub fn arb_bounds<T: Float>() -> impl Strategy<Value = (T, T)> {
    let sorted = |(a, b): (f64, f64)| (a.min(b), a.max(b));
    prop_oneof![
        2 => prop_oneof![Just(0.0), Just(1e3), Just(-1e3), -10.0..10.0f64].prop_map(|c| (c, c)),
        2 => (-5.0..5.0f64).prop_map(|c| (c, c + 1e-12)),
        4 => (-5.0..5.0f64, -5.0..5.0f64).prop_map(sorted),
        2 => (-1e3..1e3f64, -1e3..1e3f64).prop_map(sorted),
        1 => (-20.0..0.0f64, -20.0..0.0f64).prop_map(sorted),
        1 => (0.0..20.0f64, 0.0..20.0f64).prop_map(sorted),
        1 => (0.0..10.0f64).prop_map(|u| (0.0, u)),
        1 => (-10.0..0.0f64).prop_map(|l| (l, 0.0)),
        1 => prop_oneof![0.0..10.0f64, Just(1e3)].prop_map(|a| (-a, a)),
    ]
    .prop_map(|(l, u)| {
        let (l, u) = (T::from_f64_rounded(l), T::from_f64_rounded(u));
        (l, u.max(l))
    })
}

/// A box of `dim` coordinates, each from [`arb_bounds`].
pub fn arb_interval<T: Float>(dim: usize) -> impl Strategy<Value = Interval<T>> {
    vec(arb_bounds::<T>(), dim).prop_map(|pairs| {
        let lo = DVector::from_iterator(pairs.len(), pairs.iter().map(|p| p.0));
        let hi = DVector::from_iterator(pairs.len(), pairs.iter().map(|p| p.1));
        Interval::new(lo, hi).expect("arb_bounds yields l <= u")
    })
}

/// A weight: uniform in `[−1, 1]`, or exactly zero one time in eight.
fn weight() -> impl Strategy<Value = f64> {
    prop_oneof![7 => -1.0..=1.0f64, 1 => Just(0.0)]
}

/// A dense layer `inputs → outputs`: weights `w·s/√inputs` with `w` from `[−1, 1]` (some exactly
/// 0) and a per-layer scale `s ∈ {0.5, 1, 2, 4}` (so that ReLUs are a mix of stable and unstable),
/// biases in `[−1, 1]`.
pub fn arb_dense<T: Float>(inputs: usize, outputs: usize) -> impl Strategy<Value = Dense<T>> {
    (
        vec(weight(), inputs * outputs),
        vec(-1.0..=1.0f64, outputs),
        prop_oneof![Just(0.5), Just(1.0), Just(2.0), Just(4.0)],
    )
        .prop_map(move |(w, b, s)| {
            let k = s / (inputs as f64).sqrt();
            let w = DMatrix::from_row_iterator(
                outputs,
                inputs,
                w.iter().map(|v| T::from_f64_rounded(v * k)),
            );
            let b = DVector::from_iterator(outputs, b.iter().map(|v| T::from_f64_rounded(*v)));
            Dense::new(w, b).expect("finite weights")
        })
}

/// A normalisation-like element-wise affine layer: scales in `±[0.25, 4]`, shifts in `[−2, 2]`.
pub fn arb_elementwise_affine<T: Float>(dim: usize) -> impl Strategy<Value = ElementwiseAffine<T>> {
    (
        vec((0.25..4.0f64, any::<bool>()), dim),
        vec(-2.0..2.0f64, dim),
    )
        .prop_map(|(s, t)| {
            let s = DVector::from_iterator(
                s.len(),
                s.iter()
                    .map(|&(v, neg)| T::from_f64_rounded(if neg { -v } else { v })),
            );
            let t = DVector::from_iterator(t.len(), t.iter().map(|v| T::from_f64_rounded(*v)));
            ElementwiseAffine::new(s, t).expect("finite")
        })
}

/// Any built-in activation (leaky ReLU with a slope from `[0, 1]`).
pub fn arb_activation() -> impl Strategy<Value = Activation> {
    prop_oneof![
        Just(Activation::Relu),
        prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64].prop_map(Activation::LeakyRelu),
        Just(Activation::Sigmoid),
        Just(Activation::Tanh),
        Just(Activation::Arctan),
    ]
}

/// A random [`Sequential`] with `depth` dense layers (widths, including input and output, from
/// `width`) and `activation` after every dense layer but the last. Variations, each with a
/// fixed probability: a leading normalisation ([`ElementwiseAffine`], ¼) and [`Flatten`] (⅛), an
/// activation after the last layer too (¼), a second activation right after the first (⅛).
///
/// The network is wrapped in an [`Arc`] so the strategy value is `Clone`.
pub fn arb_network<T: Float>(
    depth: RangeInclusive<usize>,
    width: RangeInclusive<usize>,
    activation: Activation,
) -> impl Strategy<Value = Arc<Sequential<T>>> {
    let max_depth = *depth.end();
    (depth, vec(width, max_depth + 1))
        .prop_flat_map(move |(d, widths)| {
            let dims = widths[..=d].to_vec();
            let dense: Vec<_> = dims
                .windows(2)
                .map(|w| arb_dense::<T>(w[0], w[1]))
                .collect();
            (
                dense,
                proptest::option::weighted(0.25, arb_elementwise_affine::<T>(dims[0])),
                any::<u8>(),
            )
        })
        .prop_map(move |(dense, norm, flags)| build_network(dense, norm, flags, activation))
}

fn build_network<T: Float>(
    dense: Vec<Dense<T>>,
    norm: Option<ElementwiseAffine<T>>,
    flags: u8,
    activation: Activation,
) -> Arc<Sequential<T>> {
    let inputs = dense[0].weights().ncols();
    let mut layers: Vec<Box<dyn Layer<T>>> = Vec::new();
    if let Some(n) = norm {
        layers.push(Box::new(n));
    }
    if flags.is_multiple_of(8) {
        layers.push(Box::new(Flatten::new(inputs).expect("inputs > 0")));
    }
    let count = dense.len();
    let act = |n: usize| -> Box<dyn Layer<T>> {
        Box::new(ActivationLayer::builtin(n, activation).expect("valid activation"))
    };
    for (k, d) in dense.into_iter().enumerate() {
        let out = d.weights().nrows();
        layers.push(Box::new(d));
        let last = k + 1 == count;
        if !last || (flags / 8).is_multiple_of(4) {
            layers.push(act(out));
            if k == 0 && (flags / 32).is_multiple_of(8) {
                layers.push(act(out));
            }
        }
    }
    Arc::new(Sequential::new(layers).expect("consistent shapes"))
}

/// Any kind of input domain on `dim` coordinates: ℓ∞, ℓ2 and ℓ1 balls (centres in `[−2, 2]`,
/// radii 0, 1e-12, small, ordinary or wide up to 1e3), boxes ([`arb_interval`]) and ℓ∞ balls
/// clipped to `[0, 1]`.
pub fn arb_domain<T: Float>(dim: usize) -> impl Strategy<Value = InputDomain<T>> {
    let eps = prop_oneof![
        1 => Just(0.0),
        1 => Just(1e-12),
        3 => 1e-3..0.5f64,
        3 => 0.5..3.0f64,
        1 => 10.0..1e3f64,
    ];
    let center = vec(-2.0..2.0f64, dim);
    let ball = (
        center,
        eps.clone(),
        prop_oneof![Just(Norm::LInf), Just(Norm::L2), Just(Norm::L1)],
    )
        .prop_map(|(c, e, norm)| {
            InputDomain::ball(to_vec::<T>(&c), T::from_f64_rounded(e), norm).expect("valid ball")
        });
    let boxed = arb_interval::<T>(dim).prop_map(InputDomain::Box);
    let clipped = (vec(0.0..=1.0f64, dim), eps).prop_map(|(c, e)| {
        InputDomain::clipped_linf(to_vec::<T>(&c), T::from_f64_rounded(e), T::zero(), T::one())
            .expect("centre inside [0, 1]")
    });
    prop_oneof![6 => ball, 2 => boxed, 1 => clipped]
}

/// A specification for `outputs` outputs: `None` (the identity), margins of a random label
/// (when `outputs ≥ 2`), or a random 1–3-row matrix with entries in `[−1, 1]`.
pub fn arb_spec<T: Float>(outputs: usize) -> impl Strategy<Value = Option<DMatrix<T>>> {
    let random = (1..=3usize)
        .prop_flat_map(move |rows| vec(weight(), rows * outputs))
        .prop_map(move |v| {
            let rows = v.len() / outputs;
            Some(DMatrix::from_row_iterator(
                rows,
                outputs,
                v.iter().map(|x| T::from_f64_rounded(*x)),
            ))
        });
    let margins = (0..outputs.max(2))
        .prop_map(move |label| crate::Specification::margins::<T>(outputs, label).ok());
    prop_oneof![Just(None), margins, random]
}

/// Any method of [`super::all_methods`].
pub fn arb_method() -> impl Strategy<Value = Method> {
    proptest::sample::select(super::all_methods())
}

fn to_vec<T: Float>(v: &[f64]) -> DVector<T> {
    DVector::from_iterator(v.len(), v.iter().map(|x| T::from_f64_rounded(*x)))
}
