//! The one place where the test kit's floating-point tolerances live ([`Tolerance`]).

use crate::Float;

/// A tolerance `abs + rel · magnitude`: the test kit's one floating-point policy.
///
/// Every check compares two numbers `lhs ≤ rhs` that were computed with rounding. A check passes
/// when
///
/// ```text
/// lhs − rhs ≤ slack,    slack = abs + rel · magnitude
/// ```
///
/// where `magnitude` is the sum of the absolute values of the terms that produced `lhs` and `rhs`
/// (for a line `a·z + b` against `σ(z)`: `|a·z| + |b| + |σ(z)|`; for a linear bound `A·x + b`
/// against `C·f(x)`: `Σ_j |A_j·x_j| + |b| + |C·f(x)|`). Rounding errors of sums and products are
/// proportional to that magnitude, not to the (possibly cancelled) result, so a relative slack on
/// it is the honest measure of "equal up to rounding".
///
/// # Why there is any slack at all
/// The engine computes in `T` with round-to-nearest and does not round outward (only the S-shaped
/// relaxations widen their lines by a few ulps). Its bounds are therefore sound *up to rounding*,
/// in `f64` as in `f32`. A violation larger than the slack is a bug; one within it is rounding.
///
/// | scalar | relaxation / single layer (`rel`) | whole network (`rel`) | `abs` |
/// |---|---|---|---|
/// | `f64` | `64·ε ≈ 1.4e-14` | `2¹²·ε ≈ 9.1e-13` | `1e-300` |
/// | `f32` | `64·ε ≈ 7.6e-6` | `2¹²·ε ≈ 4.9e-4` | `1e-37` |
///
/// with `ε` the machine epsilon of `T`. The network factor `2¹²` covers depth 4 × width 32
/// back-substitution chains (each matrix product of length `n` contributes up to `n·ε` of its
/// magnitude, and intermediate-bound errors are amplified once more through the relaxation
/// slopes) with a margin; the f64 suite passing with the same formula is what shows that the
/// f32 slack hides no bug (a logic error shows up at `f64` too, where the slack is `2²⁹` times
/// smaller).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Relative part, multiplied by the magnitude of the terms.
    pub rel: f64,
    /// Absolute part (covers values that underflow, for example `σ(−1000)`).
    pub abs: f64,
}

impl Tolerance {
    /// For one neuron's relaxation lines or one layer's interval and backward pass:
    /// `rel = 64·ε_T`.
    ///
    /// # Examples
    /// ```
    /// use proven::testing::Tolerance;
    /// assert!(Tolerance::local::<f32>().rel > Tolerance::local::<f64>().rel);
    /// ```
    pub fn local<T: Float>() -> Self {
        Self {
            rel: 64.0 * T::epsilon().as_f64(),
            abs: Self::abs_floor::<T>(),
        }
    }

    /// For a whole network's bounds (back-substitution chains and intermediate bounds):
    /// `rel = 2¹²·ε_T`.
    pub fn network<T: Float>() -> Self {
        Self {
            rel: 4096.0 * T::epsilon().as_f64(),
            abs: Self::abs_floor::<T>(),
        }
    }

    /// No slack at all (for exact comparisons).
    pub fn exact() -> Self {
        Self { rel: 0.0, abs: 0.0 }
    }

    /// The allowed excess for terms of the given magnitude.
    pub fn slack(&self, magnitude: f64) -> f64 {
        self.abs + self.rel * magnitude
    }

    fn abs_floor<T: Float>() -> f64 {
        // A few multiples of the smallest normal number: absorbs underflow, nothing else.
        8.0 * T::min_positive_value().as_f64()
    }
}
