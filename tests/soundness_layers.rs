//! Every built-in layer passes [`proven::testing::check_layer`] on random boxes
//! ([`proven::testing::arb_interval`]: points, 1e-12 widths, ±1e3 widths): sampled points map
//! inside `interval(box)`, and `backward` (random Λ, both sides, every ReLU policy) bounds
//! `Λ·layer(x)` from the requested side.

mod kit;

use kit::runner;
use proptest::prelude::*;
use proven::layers::{ActivationLayer, Flatten};
use proven::testing::{
    CheckStats, arb_activation, arb_dense, arb_elementwise_affine, arb_interval, check_layer,
};
use proven::{Float, Interval, Layer};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::cell::RefCell;

const CASES: u32 = 150;
const SAMPLES: usize = 48;

/// Runs `check_layer` on every generated (layer, box, seed) and returns the totals.
fn run<T: Float, L: Layer<T>>(
    name: &str,
    strategy: impl Strategy<Value = (L, Interval<T>, u64)>,
) -> CheckStats {
    let total = RefCell::new(CheckStats::default());
    runner(CASES)
        .run(&strategy, |(layer, input, seed)| {
            let mut rng = SmallRng::seed_from_u64(seed);
            *total.borrow_mut() += check_layer(&layer, &input, SAMPLES, &mut rng)
                .map_err(|v| TestCaseError::fail(v.to_string()))?;
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{} {name}: {e}", T::NAME));
    let total = total.into_inner();
    eprintln!(
        "{} {name}: {} points, {} inequalities, worst relative excess {:e}",
        T::NAME,
        total.points,
        total.inequalities,
        total.worst_relative_excess
    );
    assert_eq!(total.points, CASES as usize * SAMPLES);
    total
}

fn dense<T: Float>() {
    let s = (1..=8usize, 1..=8usize)
        .prop_flat_map(|(i, o)| (arb_dense::<T>(i, o), arb_interval::<T>(i), any::<u64>()));
    run("dense", s);
}

fn elementwise_affine<T: Float>() {
    let s = (1..=8usize).prop_flat_map(|n| {
        (
            arb_elementwise_affine::<T>(n),
            arb_interval::<T>(n),
            any::<u64>(),
        )
    });
    run("elementwise_affine", s);
}

fn flatten<T: Float>() {
    let s = (1..=8usize).prop_flat_map(|n| {
        (Just(()), arb_interval::<T>(n), any::<u64>())
            .prop_map(|(_, b, seed)| (Flatten::new(b.dim()).unwrap(), b, seed))
    });
    run("flatten", s);
}

fn activations<T: Float>() {
    let s = (1..=8usize, arb_activation()).prop_flat_map(|(n, act)| {
        (arb_interval::<T>(n), any::<u64>())
            .prop_map(move |(b, seed)| (ActivationLayer::builtin(n, act).unwrap(), b, seed))
    });
    run("activation", s);
}

#[test]
fn dense_f64() {
    dense::<f64>();
}

#[test]
fn dense_f32() {
    dense::<f32>();
}

#[test]
fn elementwise_affine_f64() {
    elementwise_affine::<f64>();
}

#[test]
fn elementwise_affine_f32() {
    elementwise_affine::<f32>();
}

#[test]
fn flatten_f64_and_f32() {
    flatten::<f64>();
    flatten::<f32>();
}

#[test]
fn activation_layers_f64() {
    activations::<f64>();
}

#[test]
fn activation_layers_f32() {
    activations::<f32>();
}
