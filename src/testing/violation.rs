//! What a failed check reports, and what a passed check counts.

use std::fmt;
use std::ops::AddAssign;

/// A failed soundness check: which check, which bound, at which point, and by how much.
#[derive(Debug, Clone, PartialEq)]
pub enum SoundnessViolation {
    /// A value lies on the wrong side of a bound by more than the tolerance:
    /// `value − bound > slack` for an upper bound (or `bound − value > slack` for a lower one).
    OutOfBounds {
        /// The checker (`"check_relaxation"`, `"check_layer"`, `"check_network"`).
        check: &'static str,
        /// Which bound, in words (for example `"row 1: A_L·x + b_L ≤ (C·f(x))_1 (CROWN)"`).
        what: String,
        /// The point where it fails (the input `z` of a neuron, or the input vector `x`).
        point: Vec<f64>,
        /// The value that should have been inside (for example `(C·f(x))_1`).
        value: f64,
        /// The bound it crossed.
        bound: f64,
        /// By how much it crossed it (always `> slack`).
        excess: f64,
        /// The tolerance that was allowed ([`crate::testing::Tolerance`]).
        slack: f64,
    },
    /// The code under test failed before anything could be compared: it returned an error, a
    /// result of the wrong shape, or a NaN.
    Failed {
        /// The checker.
        check: &'static str,
        /// What went wrong.
        what: String,
    },
}

impl fmt::Display for SoundnessViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SoundnessViolation::OutOfBounds {
                check,
                what,
                point,
                value,
                bound,
                excess,
                slack,
            } => write!(
                f,
                "{check}: {what} violated by {excess:e} (allowed {slack:e}): value {value:e}, \
                 bound {bound:e}, at point {point:?}"
            ),
            SoundnessViolation::Failed { check, what } => write!(f, "{check}: {what}"),
        }
    }
}

impl std::error::Error for SoundnessViolation {}

/// What a passed check did: how many points were sampled and how many inequalities held, and the
/// worst relative excess seen (to see how close to the tolerance the bounds came).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CheckStats {
    /// Points evaluated (grid points `z` for relaxations, input vectors otherwise).
    pub points: usize,
    /// Inequalities checked.
    pub inequalities: usize,
    /// The largest `max(0, excess) / magnitude` seen: 0 when every bound held exactly, otherwise
    /// the size of the rounding that was forgiven, relative to the terms.
    pub worst_relative_excess: f64,
}

impl AddAssign for CheckStats {
    fn add_assign(&mut self, other: Self) {
        self.points += other.points;
        self.inequalities += other.inequalities;
        self.worst_relative_excess = self.worst_relative_excess.max(other.worst_relative_excess);
    }
}

/// Accumulates [`CheckStats`] and turns the first failed comparison into a violation.
pub(crate) struct Checker {
    pub(crate) check: &'static str,
    pub(crate) tol: super::Tolerance,
    pub(crate) stats: CheckStats,
}

impl Checker {
    pub(crate) fn new(check: &'static str, tol: super::Tolerance) -> Self {
        Self {
            check,
            tol,
            stats: CheckStats::default(),
        }
    }

    /// Checks `lower ≤ upper` for terms of the given magnitude. `describe` names the bound, the
    /// value and the point, and is only called on failure; `value_is_upper` tells which side is
    /// the bound (for the report).
    pub(crate) fn le(
        &mut self,
        lower: f64,
        upper: f64,
        magnitude: f64,
        value_is_upper: bool,
        describe: impl FnOnce() -> (String, Vec<f64>),
    ) -> Result<(), SoundnessViolation> {
        self.stats.inequalities += 1;
        if lower <= upper {
            return Ok(());
        }
        let excess = lower - upper;
        let slack = self.tol.slack(magnitude);
        if excess.is_nan() || lower.is_nan() || upper.is_nan() {
            let (what, point) = describe();
            return Err(SoundnessViolation::Failed {
                check: self.check,
                what: format!("{what}: NaN in the comparison {lower} ≤ {upper} at {point:?}"),
            });
        }
        if excess > 0.0 {
            let rel = excess / magnitude.max(f64::MIN_POSITIVE);
            self.stats.worst_relative_excess = self.stats.worst_relative_excess.max(rel);
        }
        if excess > slack {
            let (what, point) = describe();
            let (value, bound) = if value_is_upper {
                (upper, lower)
            } else {
                (lower, upper)
            };
            return Err(SoundnessViolation::OutOfBounds {
                check: self.check,
                what,
                point,
                value,
                bound,
                excess,
                slack,
            });
        }
        Ok(())
    }

    pub(crate) fn fail(&self, what: impl Into<String>) -> SoundnessViolation {
        SoundnessViolation::Failed {
            check: self.check,
            what: what.into(),
        }
    }
}
