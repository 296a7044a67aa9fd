//! The scalar type of networks and bounds.
//!
//! [`Float`] bundles what the bound engine needs from `f32` and `f64`: `num_traits::Float` for the
//! arithmetic and nalgebra's scalar traits for the matrix products. Only the `num_traits` methods
//! are used on scalars (`x.abs()`, `x.max(y)`), so no call is ambiguous.

use nalgebra::{ClosedAddAssign, ClosedDivAssign, ClosedMulAssign, ClosedSubAssign, Scalar};
use std::borrow::Cow;
use std::fmt::{Debug, Display};

/// A floating-point scalar usable in networks and bounds (`f32` or `f64`).
///
/// Probabilities are always computed in `f64`; [`Float::as_f64`] and [`Float::from_f64_rounded`] convert
/// at that boundary.
pub trait Float:
    num_traits::Float
    + num_traits::Signed
    + Scalar
    + ClosedAddAssign
    + ClosedSubAssign
    + ClosedMulAssign
    + ClosedDivAssign
    + Send
    + Sync
    + Debug
    + Display
    + Default
    + std::iter::Sum
    + 'static
{
    /// Converts from `f64` (rounding to nearest for `f32`).
    fn from_f64_rounded(v: f64) -> Self;
    /// Converts to `f64` (exact for `f32` and `f64`).
    fn as_f64(self) -> f64;
    /// A short name (`"f32"` or `"f64"`), for messages.
    const NAME: &'static str;
    /// The values as `f64` (exact): borrowed for `f64`, converted for `f32`.
    fn slice_as_f64(values: &[Self]) -> Cow<'_, [f64]> {
        Cow::Owned(values.iter().map(|v| v.as_f64()).collect())
    }
}

impl Float for f64 {
    fn from_f64_rounded(v: f64) -> Self {
        v
    }
    fn as_f64(self) -> f64 {
        self
    }
    const NAME: &'static str = "f64";
    fn slice_as_f64(values: &[Self]) -> Cow<'_, [f64]> {
        Cow::Borrowed(values)
    }
}

impl Float for f32 {
    fn from_f64_rounded(v: f64) -> Self {
        v as f32
    }
    fn as_f64(self) -> f64 {
        f64::from(self)
    }
    const NAME: &'static str = "f32";
}
