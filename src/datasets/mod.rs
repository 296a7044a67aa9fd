//! Small real datasets that the crate carries, so examples and tests run on a fresh machine
//! without downloads, and a noise covariance for their image grid.
//!
//! - [`digits`]: the 8x8 handwritten digits (UCI "Optical Recognition of Handwritten Digits",
//!   CC BY 4.0), 1,797 images, embedded in the library as `data/digits.csv.gz`.
//! - [`blur_covariance`]: a blur-like covariance on a square grid, for correlated Gaussian noise.

mod blur;
pub mod digits;

pub use blur::blur_covariance;
pub use digits::{Digits, DigitsSplit};
