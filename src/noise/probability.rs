//! Probabilities stored by their logarithm, and the certified / estimate distinction.
//!
//! Every violation probability in this module is a *small* number, stored as `ln p` so that
//! exponential tail bounds such as `exp(−s²/2v)` never underflow: `ln p = −s²/2v` is kept exactly
//! even when `p` itself is below the smallest `f64`. Nothing here ever stores `1 − p`.
//!
//! # Rounding
//! Certified upper bounds are nudged up, and certified lower bounds down, by a few units in the
//! last place of `ln p` (plus `1e-15` absolute, which also covers the error of `exp` in
//! [`Probability::value`]). The formula-level rounding errors (dot products, variance sums) are
//! handled where the formulas are evaluated.

use crate::{Error, Result};

/// Unit roundoff of `f64` (`2⁻⁵³`).
pub(crate) const U: f64 = f64::EPSILON / 2.0;

/// Higham's `γ_n = n·u / (1 − n·u)`: the relative error bound of a length-`n` floating-point sum
/// or dot product of non-negative terms.
pub(crate) fn gamma(n: usize) -> f64 {
    let nu = n as f64 * U;
    nu / (1.0 - nu)
}

/// Absolute slack added to (subtracted from) the log of every certified upper (lower) bound.
const LN_SLACK: f64 = 1e-15;

/// A probability `p ∈ [0, 1]`, stored as `ln p` (`−∞` for zero).
///
/// # Examples
/// ```
/// use proven::noise::Probability;
/// let p = Probability::from_ln(-1000.0).unwrap(); // e^-1000 underflows f64, its log does not
/// assert_eq!(p.value(), 0.0);
/// assert!(p.at_most(1e-300));
/// assert!(Probability::new(1.5).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Probability {
    ln: f64,
}

impl Probability {
    /// The probability 0.
    pub const ZERO: Probability = Probability {
        ln: f64::NEG_INFINITY,
    };
    /// The probability 1.
    pub const ONE: Probability = Probability { ln: 0.0 };

    /// A probability from its value.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `0 ≤ p ≤ 1`.
    pub fn new(p: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::invalid("p", p, "a probability must lie in [0, 1]"));
        }
        Ok(Probability { ln: p.ln() })
    }

    /// A probability from its natural logarithm.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `ln_p` is NaN or positive.
    pub fn from_ln(ln_p: f64) -> Result<Self> {
        if ln_p.is_nan() || ln_p > 0.0 {
            return Err(Error::invalid(
                "ln_p",
                ln_p,
                "the log of a probability must be <= 0",
            ));
        }
        Ok(Probability { ln: ln_p })
    }

    /// From a computed logarithm of an upper bound: nudged up by the rounding slack, capped at 1.
    pub(crate) fn upper_from_ln(ln_p: f64) -> Self {
        debug_assert!(!ln_p.is_nan());
        if ln_p.is_infinite() {
            return Self::ZERO;
        }
        let ln = ln_p + 4.0 * U * ln_p.abs() + LN_SLACK;
        Probability { ln: ln.min(0.0) }
    }

    /// From a computed logarithm of a lower bound: nudged down by the rounding slack.
    pub(crate) fn lower_from_ln(ln_p: f64) -> Self {
        debug_assert!(!ln_p.is_nan());
        let ln = ln_p - 4.0 * U * ln_p.abs() - LN_SLACK;
        Probability { ln: ln.min(0.0) }
    }

    /// The value `p` (rounded to nearest; may underflow to 0 although [`Self::ln`] is finite).
    pub fn value(self) -> f64 {
        self.ln.exp()
    }

    /// The natural logarithm `ln p` (`−∞` for 0).
    pub fn ln(self) -> f64 {
        self.ln
    }

    /// Whether `p = 0`.
    pub fn is_zero(self) -> bool {
        self.ln.is_infinite()
    }

    /// Whether `p ≤ δ`, compared in log space (exact for tiny `p`).
    pub fn at_most(self, delta: f64) -> bool {
        self.ln <= delta.ln()
    }

    /// `p + q`, rounded up (log-sum-exp), capped at 1.
    pub fn add_upper(self, other: Probability) -> Probability {
        let (hi, lo) = if self.ln >= other.ln {
            (self.ln, other.ln)
        } else {
            (other.ln, self.ln)
        };
        if lo.is_infinite() {
            return Probability { ln: hi };
        }
        Self::upper_from_ln(hi + (lo - hi).exp().ln_1p())
    }

    /// `max(0, p − q)`, rounded down.
    pub fn sub_lower(self, other: Probability) -> Probability {
        if other.ln >= self.ln {
            return Self::ZERO;
        }
        if other.ln.is_infinite() {
            return self;
        }
        let r = ln_one_minus_exp(other.ln - self.ln);
        Self::lower_from_ln(self.ln + r)
    }

    /// `1 − p`, rounded down: turns an upper bound on `P[E]` into a lower bound on `P[not E]`.
    pub fn complement_lower(self) -> Probability {
        if self.ln == 0.0 {
            return Self::ZERO;
        }
        Self::lower_from_ln(ln_one_minus_exp(self.ln))
    }

    /// `1 − p`, rounded up: turns a lower bound on `P[E]` into an upper bound on `P[not E]`.
    pub fn complement_upper(self) -> Probability {
        if self.ln.is_infinite() {
            return Self::ONE;
        }
        Self::upper_from_ln(ln_one_minus_exp(self.ln))
    }

    /// `p / k`, exact up to rounding of `ln k` (used to split a budget between `k` events).
    pub fn divide(self, k: usize) -> Probability {
        Probability {
            ln: self.ln - (k.max(1) as f64).ln(),
        }
    }
}

/// `ln(1 − eˣ)` for `x ≤ 0`, accurate near both ends.
pub(crate) fn ln_one_minus_exp(x: f64) -> f64 {
    if x > -std::f64::consts::LN_2 {
        (-x.exp_m1()).ln()
    } else {
        (-x.exp()).ln_1p()
    }
}

/// A tail value: either a certified bound or an uncertified estimate.
///
/// Only [`TailValue::Certified`] can be turned into a [`Probability`] by
/// [`TailValue::certified`]; an estimate (the CLT approximation) is a number to look at, never a
/// certificate.
///
/// # Examples
/// ```
/// use proven::noise::{Probability, TailValue};
/// let est = TailValue::Estimate(Probability::new(1e-5).unwrap());
/// assert!(est.certified().is_err());
/// assert!(!est.is_certified());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TailValue {
    /// A certified (sound) bound.
    Certified(Probability),
    /// An approximation that is NOT a bound (for example the CLT estimate).
    Estimate(Probability),
}

impl TailValue {
    /// The certified bound.
    ///
    /// # Errors
    /// [`Error::NotCertified`] for an estimate.
    pub fn certified(self) -> Result<Probability> {
        match self {
            TailValue::Certified(p) => Ok(p),
            TailValue::Estimate(_) => Err(Error::NotCertified {
                what: "tail probability",
            }),
        }
    }

    /// Whether this is a certified bound.
    pub fn is_certified(self) -> bool {
        matches!(self, TailValue::Certified(_))
    }

    /// The probability, certified or not (for display and diagnostics).
    pub fn probability(self) -> Probability {
        match self {
            TailValue::Certified(p) | TailValue::Estimate(p) => p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn arithmetic_in_log_space() {
        let p = Probability::new(0.25).unwrap();
        let q = Probability::new(0.5).unwrap();
        assert_relative_eq!(p.add_upper(q).value(), 0.75, max_relative = 1e-12);
        assert!(p.add_upper(q).value() >= 0.75);
        assert_relative_eq!(q.sub_lower(p).value(), 0.25, max_relative = 1e-12);
        assert!(q.sub_lower(p).value() <= 0.25);
        assert!(p.sub_lower(q).is_zero());
        assert_relative_eq!(p.complement_lower().value(), 0.75, max_relative = 1e-12);
        assert!(p.complement_upper().value() >= p.complement_lower().value());
        assert!(Probability::ZERO.complement_upper().ln().abs() < f64::MIN_POSITIVE);
        let tiny = Probability::from_ln(-2000.0).unwrap();
        assert_relative_eq!(
            tiny.add_upper(tiny).ln(),
            -2000.0 + 2f64.ln(),
            epsilon = 1e-9
        );
        assert!(Probability::ONE.add_upper(q).ln() <= 0.0);
        assert_relative_eq!(q.divide(4).value(), 0.125, max_relative = 1e-15);
    }

    #[test]
    fn invalid_values_are_typed_errors() {
        assert!(matches!(
            Probability::new(f64::NAN),
            Err(Error::InvalidParameter { name: "p", .. })
        ));
        assert!(matches!(
            Probability::from_ln(0.1),
            Err(Error::InvalidParameter { name: "ln_p", .. })
        ));
        assert!(matches!(
            TailValue::Estimate(Probability::ONE).certified(),
            Err(Error::NotCertified { .. })
        ));
    }
}
