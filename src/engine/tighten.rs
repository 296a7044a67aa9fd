//! A hook to narrow intermediate bounds as they are computed.

use crate::linear_bounds::AffineBound;
use crate::{Float, Interval, Layer, Result};

/// The lines just computed for some rows of a layer's input:
/// `lower.a[r]·x + lower.b[r] ≤ z_{rows[r]}(x) ≤ upper.a[r]·x + upper.b[r]` for every input `x`
/// of the domain at which all earlier layers' inputs lie in their intervals.
#[derive(Debug, Clone, Copy)]
pub struct RowBounds<'a, T: Float> {
    /// Index of the layer whose input these rows are.
    pub layer: usize,
    /// The rows (neurons) of that input, in the order of the lines.
    pub rows: &'a [usize],
    /// Lower lines, one per row.
    pub lower: &'a AffineBound<T>,
    /// Upper lines, one per row.
    pub upper: &'a AffineBound<T>,
}

/// Narrows a layer's intermediate interval given the lines of its back-substituted rows.
///
/// Called by [`crate::engine::compute_bounds_tightened`] once per layer whose input bounds were
/// computed by back-substitution, in layer order, before later layers use the interval.
/// Implementations must only narrow `interval` (never widen it) and must account themselves for
/// the event that a narrowed side fails.
pub trait IntermediateTightener<T: Float> {
    /// Narrows `interval` (the bounds on `layer`'s input) using `lines`.
    ///
    /// # Errors
    /// Implementation-specific (for example a noise model's errors).
    fn tighten(
        &mut self,
        lines: &RowBounds<'_, T>,
        layer: &dyn Layer<T>,
        interval: &mut Interval<T>,
    ) -> Result<()>;
}
