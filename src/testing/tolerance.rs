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
/// (for a line `a·z + b` on `[l, u]` against `σ(z)`: `|a|·max(|l|, |u|) + |b| + |σ(z)|`, the
/// line's size over the interval it was built from; for a linear bound `A·x + b` on a box or
/// domain with bounding box `[lo, hi]` against `C·f(x)`: `Σ_j |A_j|·max(|lo_j|, |hi_j|) + |b| +
/// Σ_k |C_k·f_k(x)| + ‖C‖₁·B` with `B` the largest end of any recorded intermediate bound: the
/// largest value the network carries inside, which the engine's interval arithmetic and
/// concretisation round at — it matters where a row's own line is a constant, as under IBP).
/// Rounding errors of sums and products are proportional to that magnitude, not to the
/// (possibly cancelled) result, so a relative slack on it is the honest measure of "equal up to
/// rounding".
///
/// # Why there is any slack at all
/// The engine computes in `T` with round-to-nearest and does not round outward (only the S-shaped
/// relaxations widen their lines by a few ulps). Its bounds are therefore sound *up to rounding*,
/// in `f64` as in `f32`. A violation larger than the slack is a bug; one within it is rounding.
///
/// | scalar | relaxation / single layer (`rel`) | whole network (`rel`) | `abs` |
/// |---|---|---|---|
/// | `f64` | `64·ε ≈ 1.4e-14` | `256·ε ≈ 5.7e-14` | `8·MIN_POSITIVE ≈ 1.8e-307` |
/// | `f32` | `64·ε ≈ 7.6e-6` | `256·ε ≈ 3.1e-5` | `8·MIN_POSITIVE ≈ 9.4e-38` |
///
/// with `ε` the machine epsilon of `T`. Measured on the crate's own suite (random networks of
/// depth ≤ 4 and width ≤ 32, every method, f32 and f64, ~10⁵ points and ~3·10⁸ inequalities),
/// the largest excess seen was about `1.5·ε` of the magnitude in both types, so the slack keeps a
/// margin of two orders of magnitude and still flags anything beyond rounding: a wrong line or a
/// wrong intermediate bound misses by a fraction of the bound's width, not by a few ulps of the
/// terms. The f32 bounds are exactly as sound as the f64 ones in this sense — both round to
/// nearest — only `ε` is larger.
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
    /// `rel = 256·ε_T`.
    pub fn network<T: Float>() -> Self {
        Self {
            rel: 256.0 * T::epsilon().as_f64(),
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
