//! The soundness test kit (cargo feature `testing`): checkers and proptest strategies for the
//! bound engine, the built-in layers, and **your own** layers, activations and networks.
//!
//! Turn it on in your tests with
//! ```toml
//! [dev-dependencies]
//! proven = { version = "…", features = ["testing"] }
//! ```
//! (this crate does the same with a dev-dependency on itself, so its own `cargo test` needs no
//! flag).
//!
//! | checker | what must hold |
//! |---|---|
//! | [`check_relaxation`] | `lower(z) ≤ σ(z) ≤ upper(z)` and `σ(z) ∈ interval(l, u)` on a grid of `[l, u]` |
//! | [`check_layer`] | `forward(x) ∈ interval(box)`; `backward(Λ)` bounds `Λ·forward(x)` from the requested side |
//! | [`check_network`] | `lower ≤ A_L·x + b_L ≤ C·f(x) ≤ A_U·x + b_U ≤ upper`, and every intermediate bound contains the layer's actual input |
//!
//! Each returns `Ok(`[`CheckStats`]`)` (how many points and inequalities were checked) or the
//! first [`SoundnessViolation`] (which bound, at which point, by how much). Floating-point slack
//! is set in one place, [`Tolerance`].
//!
//! For a noise model that overrides the many-row tails, [`OneRowAtATime`] gives the row-by-row
//! reference to compare them with.
//!
//! Strategies: [`arb_bounds`], [`arb_interval`], [`arb_dense`], [`arb_elementwise_affine`],
//! [`arb_activation`], [`arb_network`], [`arb_domain`], [`arb_spec`], [`arb_method`]; random small
//! CNNs (convolution, pooling, batch norm, residual blocks): [`arb_cnn`], [`random_cnn`].
//!
//! # Examples
//! ```
//! use proptest::prelude::*;
//! use proven::testing::{arb_domain, arb_network, check_network};
//! use proven::{Activation, Method, Network};
//! use rand::SeedableRng;
//!
//! let strategy = arb_network::<f64>(1..=2, 1..=4, Activation::Tanh)
//!     .prop_flat_map(|net| { let d = net.input_dim(); (Just(net), arb_domain::<f64>(d), any::<u64>()) });
//! proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(8))
//!     .run(&strategy, |(net, domain, seed)| {
//!         let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
//!         check_network(&*net, &domain, &Method::crown(), None, 20, &mut rng)
//!             .map_err(|v| TestCaseError::fail(v.to_string()))?;
//!         Ok(())
//!     })
//!     .unwrap();
//! ```

mod cnn;
mod layer;
mod network;
mod one_row;
mod relaxation;
mod sampling;
mod strategies;
mod tolerance;
mod violation;

pub use cnn::{
    CnnParts, arb_cnn, cifar_base_kw_like, convnet_avgpool_like, densify_convolutions, random_cnn,
    random_conv2d, random_pool_geometry,
};
pub use layer::check_layer;
pub use network::{Traces, check_bounds, check_network, extreme_points};
pub use one_row::OneRowAtATime;
pub use relaxation::check_relaxation;
pub use sampling::{extreme_point, sample_box, sample_domain};
pub use strategies::{
    arb_activation, arb_bounds, arb_dense, arb_domain, arb_elementwise_affine, arb_interval,
    arb_method, arb_network, arb_spec,
};
pub use tolerance::Tolerance;
pub use violation::{CheckStats, SoundnessViolation};

use crate::Method;

/// Every method the engine offers: IBP, Fast-Lin, CROWN and CROWN-IBP, each as is, `.dense()`
/// and `.auto_lirpa_compatible()`, and Fast-Lin and CROWN `.with_stability_pretest()` (14 in
/// all).
///
/// # Examples
/// ```
/// assert_eq!(proven::testing::all_methods().len(), 14);
/// ```
pub fn all_methods() -> Vec<Method> {
    [
        Method::ibp(),
        Method::fast_lin(),
        Method::crown(),
        Method::crown_ibp(),
    ]
    .into_iter()
    .flat_map(|m| [m, m.dense(), m.auto_lirpa_compatible()])
    .chain([
        Method::fast_lin().with_stability_pretest(),
        Method::crown().with_stability_pretest(),
    ])
    .collect()
}
