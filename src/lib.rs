//! # proven
//!
//! Certified bounds for neural networks under **random input noise** (PROVEN, Weng et al.,
//! ICML 2019), built on linear bound propagation (IBP, Fast-Lin, CROWN).
//!
//! Data flows one way: network → bound engine → [`LinearBounds`] → noise model → certificate.
//! Networks and properties can be read from ONNX and VNN-LIB files with [`io::onnx::load_onnx`]
//! and [`io::vnnlib::read_vnnlib`].
//!
//! With the cargo feature `testing`, `proven::testing` offers soundness checkers and proptest
//! strategies for the engine and for layers, activations and networks of your own (see
//! `examples/custom_layer.rs`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![deny(clippy::float_cmp)]

pub mod activation;
pub mod certify;
pub mod datasets;
pub mod domain;
pub mod engine;
pub mod error;
pub mod float;
pub mod interval;
pub mod io;
pub mod layers;
pub mod linear_bounds;
pub mod network;
pub mod noise;
#[cfg(feature = "testing")]
pub mod testing;

pub use activation::{Activation, ElementwiseActivation};
pub use domain::{InputDomain, Norm};
pub use engine::{Method, Specification, compute_bounds, compute_bounds_tightened};
pub use error::{Error, Result};
pub use float::Float;
pub use interval::Interval;
pub use layers::Layer;
pub use linear_bounds::{AffineBound, LinearBounds};
pub use network::{Network, Sequential};
pub use noise::{NoiseModel, Probability, TailBound, TailValue};
