//! Every built-in relaxation encloses its activation: at least 1,000 random intervals per
//! (activation, scalar type), each under every ReLU lower-slope policy, checked on a grid of 64
//! points plus the points next to 0 ([`proven::testing::check_relaxation`]). Intervals come from
//! [`proven::testing::arb_bounds`]: points `l = u`, 1e-12 widths, ±1e3 widths, one-sided ones.

mod kit;

use kit::runner;
use proptest::prelude::*;
use proven::activation::{RelaxationPolicy, ReluLowerSlope};
use proven::testing::{CheckStats, arb_bounds, check_relaxation};
use proven::{Activation, Float};

const INTERVALS: u32 = 1_000;
const GRID: usize = 64;
const POLICIES: [ReluLowerSlope; 4] = [
    ReluLowerSlope::Adaptive,
    ReluLowerSlope::SameAsUpper,
    ReluLowerSlope::Zero,
    ReluLowerSlope::One,
];

fn group<T: Float>(activation: Activation) -> (usize, CheckStats) {
    let mut intervals = 0;
    let mut stats = CheckStats::default();
    let counts = std::cell::RefCell::new((&mut intervals, &mut stats));
    runner(INTERVALS)
        .run(&arb_bounds::<T>(), |(l, u)| {
            let mut guard = counts.borrow_mut();
            *guard.0 += 1;
            for relu_lower in POLICIES {
                let policy = RelaxationPolicy { relu_lower };
                *guard.1 += check_relaxation(&activation, l, u, &policy, GRID)
                    .map_err(|v| TestCaseError::fail(v.to_string()))?;
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{} {activation:?}: {e}", T::NAME));
    eprintln!(
        "{} {activation:?}: {intervals} intervals, {} grid points, worst relative excess {:e}",
        T::NAME,
        stats.points,
        stats.worst_relative_excess
    );
    assert!(intervals >= 1_000, "only {intervals} intervals");
    (intervals, stats)
}

macro_rules! groups {
    ($($name:ident: $t:ty, $act:expr;)*) => {$(
        #[test]
        fn $name() {
            group::<$t>($act);
        }
    )*};
}

groups! {
    relu_f64: f64, Activation::Relu;
    relu_f32: f32, Activation::Relu;
    leaky_relu_f64: f64, Activation::LeakyRelu(0.1);
    leaky_relu_f32: f32, Activation::LeakyRelu(0.1);
    leaky_relu_zero_slope_f64: f64, Activation::LeakyRelu(0.0);
    leaky_relu_unit_slope_f32: f32, Activation::LeakyRelu(1.0);
    sigmoid_f64: f64, Activation::Sigmoid;
    sigmoid_f32: f32, Activation::Sigmoid;
    tanh_f64: f64, Activation::Tanh;
    tanh_f32: f32, Activation::Tanh;
    arctan_f64: f64, Activation::Arctan;
    arctan_f32: f32, Activation::Arctan;
}

/// Leaky ReLU with random slopes in `[0, 1]`: 1,000 (slope, interval) pairs.
#[test]
fn leaky_relu_random_slopes_f64() {
    let seen = std::cell::Cell::new(0usize);
    runner(INTERVALS)
        .run(&(0.0..=1.0f64, arb_bounds::<f64>()), |(a, (l, u))| {
            seen.set(seen.get() + 1);
            for relu_lower in POLICIES {
                let policy = RelaxationPolicy { relu_lower };
                check_relaxation(&Activation::LeakyRelu(a), l, u, &policy, GRID)
                    .map_err(|v| TestCaseError::fail(v.to_string()))?;
            }
            Ok(())
        })
        .unwrap();
    assert!(seen.get() >= 1_000, "only {} intervals", seen.get());
}
