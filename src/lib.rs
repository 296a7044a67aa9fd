//! # proven
//!
//! Certified bounds for neural networks under **random input noise** (PROVEN, Weng et al.,
//! ICML 2019), built on linear bound propagation (IBP, Fast-Lin, CROWN).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![deny(clippy::float_cmp)]

pub mod domain;
pub mod error;
pub mod float;
pub mod interval;
pub mod io;
pub mod linear_bounds;

pub use domain::{InputDomain, Norm};
pub use error::{Error, Result};
pub use float::Float;
pub use interval::Interval;
pub use linear_bounds::{AffineBound, LinearBounds};
