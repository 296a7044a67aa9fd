//! The deficit of a linear form at a failure budget: the inverse of a tail bound.
//!
//! ```text
//! deficit(a, d) = the smallest s ≥ 0 (found by bisection) with  T(a, s) ≤ d,
//! so that  P[a·(Δ − EΔ) ≤ −deficit(a, d)] ≤ T(a, deficit) ≤ d
//! ```
//! where `T` is a certified tail bound of the noise model. The bisection keeps the end of the
//! bracket at which the certified tail is at most `d`, so the returned deficit is always valid,
//! whatever the number of steps (for the sub-Gaussian tail it equals `√(2v ln(1/d))` up to the
//! bracket width).

use super::{NoiseModel, TailBound};
use crate::{Error, Result};

const DOUBLINGS: usize = 400;
const BISECTIONS: usize = 60;

/// The deficit `s` with certified `P[a·(Δ − EΔ) ≤ −s] ≤ budget`.
///
/// ```text
/// deficit(a, d) = the smallest s ≥ 0 (bisection) with certified tail T(a, s) ≤ d
/// ```
/// The bracket end kept satisfies `T ≤ d`, so the result is valid whatever the number of steps.
///
/// # Errors
/// [`Error::InvalidParameter`] for a budget outside (0, 1); [`Error::NotCertified`] for an
/// estimate; the noise model's errors for the row.
///
/// # Examples
/// ```
/// use proven::noise::{deficit, TailBound, Uniform};
/// let u = Uniform::new(100, 1.0).unwrap();
/// // Strict sub-Gaussian: variance proxy 1/3 per coordinate, v = 100/3.
/// let s = deficit(&u, &[1.0; 100], 1e-4, TailBound::SubGaussian).unwrap();
/// let closed_form = (2.0 * (100.0 / 3.0) * 1e4f64.ln()).sqrt();
/// assert!(s >= closed_form * (1.0 - 1e-9) && s <= closed_form * (1.0 + 1e-6));
/// ```
pub fn deficit(noise: &dyn NoiseModel, a: &[f64], budget: f64, tail: TailBound) -> Result<f64> {
    if budget.is_nan() || budget <= 0.0 || budget >= 1.0 {
        return Err(Error::invalid(
            "budget",
            budget,
            "the failure budget of a side must lie in (0, 1)",
        ));
    }
    if !tail.is_certified() {
        return Err(Error::NotCertified { what: "deficit" });
    }
    let ln_budget = budget.ln();
    let passes = |s: f64| -> Result<bool> {
        Ok(noise.tail_upper(a, s, tail)?.certified()?.ln() <= ln_budget)
    };
    let scale = a.iter().map(|v| v * v).sum::<f64>().sqrt();
    if scale == 0.0 {
        // a·Δ ≡ 0: no deficit is needed.
        return Ok(0.0);
    }
    let spread = noise
        .variance()
        .map(|v| v.iter().fold(0.0_f64, |m, x| m.max(x.sqrt())))
        .filter(|s| *s > 0.0)
        .unwrap_or(1.0);
    let start = scale * spread;
    if matches!(tail, TailBound::SubGaussian | TailBound::Hoeffding) {
        // These tails are exp(−s²/(2v)): read v off one evaluation, solve, and verify.
        let ln_t0 = noise.tail_upper(a, start, tail)?.certified()?.ln();
        if ln_t0.is_finite() && ln_t0 < 0.0 {
            let v = -start * start / (2.0 * ln_t0);
            let mut s = (2.0 * v * -ln_budget).sqrt();
            for _ in 0..8 {
                if passes(s)? {
                    return Ok(s);
                }
                s *= 1.0 + 1e-12;
            }
        }
    }
    if tail == TailBound::Exact {
        // Gaussian: T(s) = Φ(−s/σ_S). Read σ_S off one evaluation, solve, and verify.
        let p0 = noise.tail_upper(a, start, tail)?.certified()?.value();
        if p0 > 0.0 && p0 < 0.5 {
            let z = |p: f64| -> f64 {
                use statrs::distribution::{ContinuousCDF, Normal};
                Normal::standard().inverse_cdf(p)
            };
            let sigma = -start / z(p0);
            let mut s = sigma * -z(budget);
            if s.is_finite() && s > 0.0 {
                for _ in 0..8 {
                    if passes(s)? {
                        return Ok(s);
                    }
                    s *= 1.0 + 1e-9;
                }
            }
        }
    }
    let mut hi = start;
    let mut lo = 0.0;
    let mut found = false;
    for _ in 0..DOUBLINGS {
        if passes(hi)? {
            found = true;
            break;
        }
        lo = hi;
        hi *= 2.0;
    }
    if !found {
        return Err(Error::invalid(
            "budget",
            budget,
            "no finite deficit reaches this budget",
        ));
    }
    for _ in 0..BISECTIONS {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if passes(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}
