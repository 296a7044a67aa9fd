//! Soundness of every method on random networks: no sampled point outside its bounds.
//!
//! One configuration group per (activation, scalar type): random networks of depth 1–4 and
//! width 1–32 ([`proven::testing::arb_network`]), random domains of every kind (ℓ∞, ℓ2, ℓ1
//! balls, boxes, clipped ℓ∞ balls), random specifications (identity, margins, random rows), and
//! all 14 methods ([`proven::testing::all_methods`]). Each group checks at least 10,000 points
//! per method and asserts the count.
//!
//! Heavier run (about 10× the cases, fresh seed each time):
//! `PROVEN_SOUNDNESS_RANDOM=1 cargo test --release --test soundness_networks -- --ignored`

mod kit;

use kit::network_group;
use proven::{Activation, Float};

const CASES: u32 = 40;
const SAMPLES: usize = 250;
const MIN_POINTS: usize = 10_000;

fn group<T: Float>(activation: Activation, cases: u32) {
    let t = std::time::Instant::now();
    let totals = network_group::<T>(activation, cases, SAMPLES);
    eprintln!(
        "{} {activation:?}: {} networks, {} points per method (min), {} inequalities, worst relative excess {:e}, {:.1?}",
        T::NAME,
        totals.networks,
        totals.points_per_method_min,
        totals.stats.inequalities,
        totals.stats.worst_relative_excess,
        t.elapsed()
    );
    assert!(
        totals.points_per_method_min >= MIN_POINTS * cases as usize / CASES as usize,
        "only {} points per method",
        totals.points_per_method_min
    );
}

macro_rules! groups {
    ($($name:ident, $heavy:ident: $t:ty, $act:expr;)*) => {$(
        #[test]
        fn $name() {
            group::<$t>($act, CASES);
        }
        #[test]
        #[ignore = "heavy: run with --release --ignored"]
        fn $heavy() {
            group::<$t>($act, 10 * CASES);
        }
    )*};
}

groups! {
    relu_f64, relu_f64_heavy: f64, Activation::Relu;
    relu_f32, relu_f32_heavy: f32, Activation::Relu;
    leaky_relu_f64, leaky_relu_f64_heavy: f64, Activation::LeakyRelu(0.1);
    leaky_relu_f32, leaky_relu_f32_heavy: f32, Activation::LeakyRelu(0.1);
    sigmoid_f64, sigmoid_f64_heavy: f64, Activation::Sigmoid;
    sigmoid_f32, sigmoid_f32_heavy: f32, Activation::Sigmoid;
    tanh_f64, tanh_f64_heavy: f64, Activation::Tanh;
    tanh_f32, tanh_f32_heavy: f32, Activation::Tanh;
    arctan_f64, arctan_f64_heavy: f64, Activation::Arctan;
    arctan_f32, arctan_f32_heavy: f32, Activation::Arctan;
}
