//! Small real datasets that the crate carries, so examples and tests run on a fresh machine
//! without downloads.
//!
//! - [`digits`]: the 8x8 handwritten digits (UCI "Optical Recognition of Handwritten Digits",
//!   CC BY 4.0), 1,797 images, embedded in the library as `data/digits.csv.gz`.

pub mod digits;

pub use digits::{Digits, DigitsSplit};
