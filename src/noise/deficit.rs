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

use super::closed_form::{ClosedForm, Multiplier, closed_form_deficits};
use super::probability::U;
use super::{NoiseModel, TailBound};
use crate::{Error, Float, Result};
use nalgebra::DMatrix;

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

/// Deficits of many rows at one budget and tail: the tail's closed form
/// ([`NoiseModel::closed_form`]) where the noise model has one — `O(d)` per row, one pass over a
/// whole matrix of rows, the multiplier computed once — and the bisection of [`deficit`] per row
/// otherwise.
///
/// # Examples
/// ```
/// use nalgebra::DMatrix;
/// use proven::noise::{deficit, DeficitSolver, TailBound, Uniform};
/// let u = Uniform::new(3, 0.5).unwrap();
/// let solver = DeficitSolver::new(&u, TailBound::SubGaussian, 1e-6).unwrap();
/// let rows = DMatrix::from_row_slice(2, 3, &[1.0, -2.0, 0.5, 0.0, 3.0, 1.0]);
/// let fast = solver.deficits(&rows, false).unwrap();
/// let slow = deficit(&u, &[1.0, -2.0, 0.5], 1e-6, TailBound::SubGaussian).unwrap();
/// assert!(fast[0] >= slow * (1.0 - 1e-9) && fast[0] <= slow * (1.0 + 1e-9));
/// ```
#[derive(Debug)]
pub struct DeficitSolver<'a> {
    noise: &'a dyn NoiseModel,
    tail: TailBound,
    budget: f64,
    closed: Option<(ClosedForm, Multiplier)>,
}

impl<'a> DeficitSolver<'a> {
    /// A solver for `tail` at `budget` under `noise`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a budget outside (0, 1); [`Error::NotCertified`] for an
    /// estimate.
    pub fn new(noise: &'a dyn NoiseModel, tail: TailBound, budget: f64) -> Result<Self> {
        if budget.is_nan() || budget <= 0.0 || budget >= 1.0 {
            return Err(Error::invalid(
                "budget",
                budget,
                "the failure budget of a side must lie in (0, 1)",
            ));
        }
        if !tail.is_certified() {
            return Err(Error::NotCertified {
                what: "DeficitSolver",
            });
        }
        let closed = match noise.closed_form(tail) {
            Some(form) => {
                let m = Multiplier::new(&form.profile, budget)?;
                Some((form, m))
            }
            None => None,
        };
        Ok(Self {
            noise,
            tail,
            budget,
            closed,
        })
    }

    /// Whether the deficits come from a closed form (no bisection).
    pub fn has_closed_form(&self) -> bool {
        self.closed.is_some()
    }

    /// The budget of one side.
    pub fn budget(&self) -> f64 {
        self.budget
    }

    /// The deficit `s_r` of every row `r` of `a` (of `−a` when `negate`): certified
    /// `P[±a_r·(Δ − EΔ) ≤ −s_r] ≤ budget`. A row with a non-finite entry gets `+∞`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `a` does not have the noise's dimension as columns; the
    /// noise model's errors (numerical inversion only).
    pub fn deficits<T: Float>(&self, a: &DMatrix<T>, negate: bool) -> Result<Vec<f64>> {
        if a.ncols() != self.noise.dim() {
            return Err(Error::mismatch(
                "deficits: columns of the rows (= noise dimension)",
                self.noise.dim(),
                a.ncols(),
            ));
        }
        if let Some((form, m)) = &self.closed {
            return Ok(closed_form_deficits(form, m, a, negate));
        }
        let mut row = vec![0.0; a.ncols()];
        let mut out = Vec::with_capacity(a.nrows());
        for r in 0..a.nrows() {
            out.push(self.deficit_of(a, r, negate, &mut row)?);
        }
        Ok(out)
    }

    /// The deficit of row `r` of `a` (of `−a` when `negate`), using `row` as scratch space.
    ///
    /// # Errors
    /// As [`DeficitSolver::deficits`].
    pub fn deficit_of<T: Float>(
        &self,
        a: &DMatrix<T>,
        r: usize,
        negate: bool,
        row: &mut Vec<f64>,
    ) -> Result<f64> {
        row.clear();
        row.extend(a.row(r).iter().map(|v| {
            let v = v.as_f64();
            if negate { -v } else { v }
        }));
        if row.iter().any(|v| !v.is_finite()) {
            return Ok(f64::INFINITY);
        }
        if let Some((form, m)) = &self.closed {
            let one = DMatrix::from_row_slice(1, row.len(), row);
            return Ok(closed_form_deficits(form, m, &one, false)[0]);
        }
        deficit(self.noise, row, self.budget, self.tail)
    }
}

/// The Cramér–Chernoff deficit of row `a` at `budget`, improving on a known valid deficit
/// `start` (for example the sub-Gaussian one):
///
/// ```text
/// P[a·(Δ − EΔ) ≤ −s] ≤ exp(Ψ(λ) − λs)  for every λ > 0,  Ψ(λ) = ln E e^{−λ a·(Δ − EΔ)}
/// ⇒ s(λ) = (Ψ(λ) + ln(1/d)) / λ is a valid deficit for every λ > 0
/// ```
/// `s(λ)` is unimodal (its derivative has the sign of `λΨ'(λ) − Ψ(λ) − ln(1/d)`, increasing in
/// `λ`), so the root is found by a safeguarded secant search started at the sub-Gaussian
/// optimum `λ₀ = 2 ln(1/d) / start`. Every evaluated `λ` gives a valid deficit (with `Ψ` rounded
/// up), and the smallest of them and `start` is returned — so the result is valid whatever the
/// number of steps. Without a known cumulant ([`NoiseModel::cumulant`]) `start` is returned.
///
/// # Errors
/// [`Error::InvalidParameter`] for a budget outside (0, 1) or a `start` that is not finite
/// and positive.
///
/// # Examples
/// ```
/// use proven::noise::{chernoff_deficit, deficit, NoiseModel, TailBound, Uniform};
/// let u = Uniform::new(4, 1.0).unwrap();
/// let a = [1.0, 1.0, 1.0, 1.0];
/// let sg = deficit(&u, &a, 1e-3, TailBound::SubGaussian).unwrap();
/// let ch = chernoff_deficit(&u, &a, 1e-3, sg).unwrap();
/// assert!(ch <= sg);
/// let p = u.tail_upper(&a, ch, TailBound::Chernoff).unwrap();
/// assert!(p.certified().unwrap().value() <= 1e-3 * (1.0 + 1e-9));
/// ```
pub fn chernoff_deficit(noise: &dyn NoiseModel, a: &[f64], budget: f64, start: f64) -> Result<f64> {
    if budget.is_nan() || budget <= 0.0 || budget >= 1.0 {
        return Err(Error::invalid(
            "budget",
            budget,
            "the failure budget of a side must lie in (0, 1)",
        ));
    }
    if !(start > 0.0 && start.is_finite()) {
        return Err(Error::invalid(
            "start",
            start,
            "the starting deficit must be finite and > 0",
        ));
    }
    let ln_inv = -budget.ln() * (1.0 + 4.0 * U) + 4e-15;
    let mut best = start;
    // g(λ) = λΨ'(λ) − Ψ(λ) − L (increasing); s(λ) = (Ψ + L)/λ (rounded up).
    let eval = |lam: f64, best: &mut f64| -> Option<f64> {
        let (psi, dpsi) = noise.cumulant(a, lam)?;
        let s = (psi + ln_inv) / lam * (1.0 + 4.0 * U);
        if s.is_finite() && s > 0.0 && s < *best {
            *best = s;
        }
        Some(lam * dpsi - psi - ln_inv)
    };
    let lam0 = 2.0 * ln_inv / start;
    let Some(g0) = eval(lam0, &mut best) else {
        return Ok(start);
    };
    // Bracket the root of g.
    let (mut lo, mut hi, mut glo, mut ghi);
    if g0 < 0.0 {
        (lo, glo) = (lam0, g0);
        (hi, ghi) = (lam0, g0);
        for _ in 0..40 {
            hi *= 2.0;
            match eval(hi, &mut best) {
                Some(g) => ghi = g,
                None => return Ok(best),
            }
            if ghi >= 0.0 {
                break;
            }
            (lo, glo) = (hi, ghi);
        }
    } else {
        (hi, ghi) = (lam0, g0);
        (lo, glo) = (lam0, g0);
        for _ in 0..40 {
            lo *= 0.5;
            match eval(lo, &mut best) {
                Some(g) => glo = g,
                None => return Ok(best),
            }
            if glo <= 0.0 {
                break;
            }
            (hi, ghi) = (lo, glo);
        }
    }
    if !(glo <= 0.0 && ghi >= 0.0) {
        return Ok(best);
    }
    // Illinois regula falsi: a few steps suffice (s(λ) is flat at its minimum).
    let mut side = 0;
    for _ in 0..12 {
        let mid = if ghi > glo {
            (lo * ghi - hi * glo) / (ghi - glo)
        } else {
            0.5 * (lo + hi)
        };
        if !(mid > lo && mid < hi) || (hi - lo) <= 1e-9 * hi {
            break;
        }
        let Some(g) = eval(mid, &mut best) else {
            break;
        };
        if g < 0.0 {
            (lo, glo) = (mid, g);
            if side == -1 {
                ghi *= 0.5;
            }
            side = -1;
        } else {
            (hi, ghi) = (mid, g);
            if side == 1 {
                glo *= 0.5;
            }
            side = 1;
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise::{Bernoulli, BoundedIndependent, Uniform};

    /// The Chernoff deficit is valid under the model's own Chernoff tail, never above the
    /// sub-Gaussian start, and strictly below it where the laws are far from Gaussian.
    #[test]
    fn chernoff_deficit_is_valid_and_not_above_sub_gaussian() {
        let models: Vec<Box<dyn NoiseModel>> = vec![
            Box::new(Uniform::new(6, 0.3).unwrap()),
            Box::new(Bernoulli::asymmetric(6, 0.5, 0.05).unwrap()),
            Box::new(BoundedIndependent::new(vec![-0.1; 6], vec![0.4; 6]).unwrap()),
        ];
        let rows = [
            [1.0, -2.0, 0.5, 0.0, 3.0, 1.0],
            [0.1, 0.1, 0.1, 0.1, 0.1, 5.0],
            [-1.0, -1.0, -1.0, -1.0, -1.0, -1.0],
        ];
        let mut strictly_better = 0;
        for noise in &models {
            for a in &rows {
                for budget in [1e-2, 1e-6] {
                    let sg = deficit(noise.as_ref(), a, budget, TailBound::SubGaussian).unwrap();
                    let ch = chernoff_deficit(noise.as_ref(), a, budget, sg).unwrap();
                    assert!(ch <= sg);
                    let p = noise.tail_upper(a, ch, TailBound::Chernoff).unwrap();
                    assert!(p.certified().unwrap().value() <= budget * (1.0 + 1e-9));
                    strictly_better += usize::from(ch < sg * (1.0 - 1e-3));
                }
            }
        }
        assert!(strictly_better >= 6, "{strictly_better}");
    }

    #[test]
    fn chernoff_deficit_rejects_bad_input() {
        let u = Uniform::new(2, 1.0).unwrap();
        assert!(chernoff_deficit(&u, &[1.0, 1.0], 0.0, 1.0).is_err());
        assert!(chernoff_deficit(&u, &[1.0, 1.0], 0.1, f64::NAN).is_err());
    }
}
