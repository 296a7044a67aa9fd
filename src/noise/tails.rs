//! Evaluation of every [`TailBound`] for independent bounded coordinates and for Gaussian linear
//! forms. Shared by all noise models.

use super::convolution::{Side, convolution_tail};
use super::laws::CoordLaw;
use super::probability::{Probability, TailValue, U, gamma};
use super::tail_bound::TailBound;
use crate::{Error, Result};
use statrs::function::erf::erfc;

/// Validates a coefficient row and a deviation `s`.
pub(crate) fn check_row(a: &[f64], s: f64, dim: usize) -> Result<()> {
    if a.len() != dim {
        return Err(Error::mismatch("noise tail: coefficient row", dim, a.len()));
    }
    if let Some(index) = a.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            context: "noise tail: coefficient row".into(),
            index,
            value: a[index],
        });
    }
    if s.is_nan() || s < 0.0 || s.is_infinite() {
        return Err(Error::invalid(
            "s",
            s,
            "the deviation must be finite and >= 0",
        ));
    }
    Ok(())
}

/// `Σ a_k² q_k`, rounded up.
fn weighted_sum_up(a: &[f64], q: impl Fn(usize) -> f64) -> f64 {
    let v: f64 = a.iter().enumerate().map(|(k, ak)| ak * ak * q(k)).sum();
    v * (1.0 + gamma(a.len() + 4))
}

/// `ln p = −num / den`, evaluated so that the result is an upper bound on the exact value.
fn ln_ratio_upper(num: f64, den: f64) -> Probability {
    if den <= 0.0 {
        return if num > 0.0 {
            Probability::ZERO
        } else {
            Probability::ONE
        };
    }
    Probability::upper_from_ln(-(num / den) * (1.0 - gamma(4)))
}

/// Certified upper bound (or estimate) on `P[Σ a_k Y_k ≤ −s]` for independent centred bounded
/// `Y_k ~ laws(k)`.
pub(crate) fn bounded_upper(
    model: &'static str,
    laws: &dyn Fn(usize) -> CoordLaw,
    a: &[f64],
    s: f64,
    method: TailBound,
) -> Result<TailValue> {
    if s == 0.0 {
        return Ok(TailValue::Certified(Probability::ONE));
    }
    let d = a.len();
    let down: f64 = a.iter().enumerate().map(|(k, &ak)| laws(k).down(ak)).sum();
    if s > down * (1.0 + gamma(d + 4)) && method.is_certified() {
        // S ≥ −Σ down_k almost surely.
        return Ok(TailValue::Certified(Probability::ZERO));
    }
    let s2 = s * s * (1.0 - 2.0 * U);
    let p = match method {
        TailBound::Hoeffding => {
            let v = weighted_sum_up(a, |k| laws(k).width().powi(2) * (1.0 + 4.0 * U));
            ln_ratio_upper(2.0 * s2, v)
        }
        TailBound::SubGaussian => ln_ratio_upper(s2, 2.0 * weighted_sum_up(a, |k| laws(k).proxy())),
        TailBound::Bernstein => {
            let v = weighted_sum_up(a, |k| laws(k).variance() * (1.0 + 4.0 * U));
            let m = a
                .iter()
                .enumerate()
                .map(|(k, &ak)| laws(k).down(ak))
                .fold(0.0, f64::max)
                * (1.0 + 2.0 * U);
            ln_ratio_upper(s2, 2.0 * (v + m * s / 3.0) * (1.0 + 4.0 * U))
        }
        TailBound::Chernoff => chernoff(laws, a, s),
        TailBound::Convolution { cells } => convolution_tail(laws, a, s, cells, Side::Upper)?,
        TailBound::CltEstimate => {
            let v: f64 = a
                .iter()
                .enumerate()
                .map(|(k, ak)| ak * ak * laws(k).variance())
                .sum();
            return Ok(TailValue::Estimate(gaussian_ln_tail(s / v.sqrt(), false)));
        }
        TailBound::Exact => {
            return Err(Error::UnsupportedTailBound {
                model,
                bound: method.name(),
                reason: "no exact closed form for this law; use Convolution for a rigorous value",
            });
        }
    };
    Ok(TailValue::Certified(p))
}

/// `(Σ max(a_k, 0), Σ max(−a_k, 0), Σ a_k²)` in one pass of four interleaved lanes (so it
/// vectorises). A NaN or infinite entry makes the last sum non-finite.
fn row_stats(a: &[f64]) -> (f64, f64, f64) {
    let (mut p, mut n, mut q) = ([0.0f64; 4], [0.0f64; 4], [0.0f64; 4]);
    let chunks = a.chunks_exact(4);
    let rest = chunks.remainder();
    for chunk in chunks {
        for t in 0..4 {
            let x = chunk[t];
            p[t] += x.max(0.0);
            n[t] += (-x).max(0.0);
            q[t] += x * x;
        }
    }
    let fold = |v: [f64; 4]| (v[0] + v[1]) + (v[2] + v[3]);
    let (mut sp, mut sn, mut sq) = (fold(p), fold(n), fold(q));
    for &x in rest {
        sp += x.max(0.0);
        sn += (-x).max(0.0);
        sq += x * x;
    }
    (sp, sn, sq)
}

/// [`bounded_upper`] when every coordinate has the same law `law` (uniform, Bernoulli): the
/// sub-Gaussian and Hoeffding tails need only `Σ a_k⁺`, `Σ a_k⁻` and `Σ a_k²`, taken in one
/// vectorised pass, with
///
/// ```text
/// Σ_k down(a_k) = |lo|·Σ a_k⁺ + hi·Σ a_k⁻,      Σ_k a_k² q = q·Σ a_k²
/// ```
/// (`[lo, hi]` the support, `q` the proxy or the squared width / 4). The sums have at most
/// `d` terms and one more product, so the `γ_{d+4}` the general path applies still covers their
/// rounding. The other methods, and rows whose `Σ a_k²` is not finite (a non-finite entry, or an
/// overflow), take the general path, which also reports a bad row.
pub(crate) fn bounded_upper_iid(
    model: &'static str,
    law: CoordLaw,
    a: &[f64],
    s: f64,
    method: TailBound,
) -> Result<TailValue> {
    if iid_scale(law, method).is_none() {
        return general_checked(model, law, a, s, method);
    }
    let (pos, neg, squares) = row_stats(a);
    match iid_tail_from_stats(law, method, a.len(), [pos, neg, squares], s) {
        Some(p) => Ok(TailValue::Certified(p)),
        None => general_checked(model, law, a, s, method),
    }
}

/// The per-coordinate scale of the closed-form iid tails: the sub-Gaussian proxy, or the
/// squared width / 4 (rounded up) for Hoeffding; `None` for every other method.
pub(crate) fn iid_scale(law: CoordLaw, method: TailBound) -> Option<f64> {
    match method {
        TailBound::SubGaussian => Some(law.proxy()),
        TailBound::Hoeffding => Some(law.width().powi(2) * (1.0 + 4.0 * U) / 4.0),
        _ => None,
    }
}

/// The tail of [`bounded_upper_iid`] from a row's `[Σ a_k⁺, Σ a_k⁻, Σ a_k²]` (`d` terms each,
/// summed in any order): `None` when the method has no closed form, the sums are not finite or
/// `s` is not a valid deviation (the caller then takes the general path, which reports the
/// error).
pub(crate) fn iid_tail_from_stats(
    law: CoordLaw,
    method: TailBound,
    d: usize,
    [pos, neg, squares]: [f64; 3],
    s: f64,
) -> Option<Probability> {
    let scale = iid_scale(law, method)?;
    if !squares.is_finite() || s.is_nan() || s < 0.0 || s.is_infinite() {
        return None;
    }
    if s == 0.0 {
        return Some(Probability::ONE);
    }
    let (lo, hi) = law.support();
    let down = -lo * pos + hi * neg;
    if s > down * (1.0 + gamma(d + 4)) {
        // S ≥ −Σ down_k almost surely.
        return Some(Probability::ZERO);
    }
    let s2 = s * s * (1.0 - 2.0 * U);
    let v = scale * squares * (1.0 + gamma(d + 4));
    // Hoeffding's exp(−2s²/Σ a²w²) is the sub-Gaussian form with proxy w²/4.
    Some(ln_ratio_upper(s2, 2.0 * v))
}

/// The general path with the row checks of [`check_row`] (its dimension check is the caller's).
fn general_checked(
    model: &'static str,
    law: CoordLaw,
    a: &[f64],
    s: f64,
    method: TailBound,
) -> Result<TailValue> {
    check_row(a, s, a.len())?;
    bounded_upper(model, &move |_| law, a, s, method)
}

/// Certified lower bound on `P[Σ a_k Y_k ≤ −s]` for bounded laws: the lattice convolution for
/// [`TailBound::Convolution`], the trivial bound 0 for every other method (exponential bounds give
/// no anti-concentration).
pub(crate) fn bounded_lower(
    laws: &dyn Fn(usize) -> CoordLaw,
    a: &[f64],
    s: f64,
    method: TailBound,
) -> Result<Probability> {
    match method {
        TailBound::Convolution { cells } => convolution_tail(laws, a, s, cells, Side::Lower),
        _ => Ok(Probability::ZERO),
    }
}

/// Cramér–Chernoff with the exact log-MGF: minimise `f(λ) = −λs + Σ ψ_k(−λ a_k)` over `λ > 0`.
fn chernoff(laws: &dyn Fn(usize) -> CoordLaw, a: &[f64], s: f64) -> Probability {
    let eval = |lam: f64| -> (f64, f64) {
        let mut f = -lam * s;
        let mut err = 4.0 * U * (lam * s).abs();
        let mut mag = 0.0;
        for (k, &ak) in a.iter().enumerate() {
            let (v, e) = laws(k).psi(-lam * ak);
            f += v;
            err += e;
            mag += v.abs();
        }
        (f, err + gamma(a.len() + 2) * (mag + (lam * s).abs()))
    };
    let deriv = |lam: f64| -> f64 {
        -s - a
            .iter()
            .enumerate()
            .map(|(k, &ak)| ak * laws(k).dpsi(-lam * ak))
            .sum::<f64>()
    };
    // Start from the sub-Gaussian optimum; bracket the root of f' (increasing) and bisect.
    let proxy: f64 = a
        .iter()
        .enumerate()
        .map(|(k, ak)| ak * ak * laws(k).proxy())
        .sum();
    let hoeff: f64 = a
        .iter()
        .enumerate()
        .map(|(k, ak)| ak * ak * laws(k).width().powi(2))
        .sum();
    let lam0 = if proxy > 0.0 { s / proxy } else { 1.0 };
    let mut lo = 0.0;
    let mut hi = lam0;
    let mut bracketed = false;
    for _ in 0..200 {
        if deriv(hi) >= 0.0 {
            bracketed = true;
            break;
        }
        lo = hi;
        hi *= 2.0;
    }
    if bracketed {
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if deriv(mid) < 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
    }
    let mut candidates = vec![lo, hi, lam0];
    if hoeff > 0.0 {
        candidates.push(4.0 * s / hoeff);
    }
    let best = candidates
        .into_iter()
        .filter(|l| l.is_finite() && *l > 0.0)
        .map(|l| {
            let (f, e) = eval(l);
            f + e
        })
        .fold(0.0, f64::min);
    Probability::upper_from_ln(best)
}

/// `(Ψ(λ) rounded up, Ψ'(λ))` for `Ψ(λ) = Σ_k ψ_k(−λ a_k)`, the cumulant of `−λ·Σ a_k Y_k`.
pub(crate) fn bounded_cumulant(
    laws: &dyn Fn(usize) -> CoordLaw,
    a: &[f64],
    lambda: f64,
) -> Option<(f64, f64)> {
    if !(lambda > 0.0 && lambda.is_finite()) {
        return None;
    }
    let (mut f, mut err, mut mag, mut df) = (0.0, 0.0, 0.0, 0.0);
    for (k, &ak) in a.iter().enumerate() {
        let law = laws(k);
        let (v, e) = law.psi(-lambda * ak);
        f += v;
        err += e;
        mag += v.abs();
        df -= ak * law.dpsi(-lambda * ak);
    }
    let up = f + err + gamma(a.len() + 2) * mag;
    (up.is_finite() && df.is_finite()).then_some((up, df))
}

/// `ln Φ(−x)` for `x ≥ 0`, rounded up (`lower = false`) or down (`lower = true`).
///
/// Uses `½ erfc(x/√2)` while it is representable, and the Mills-ratio bounds
/// `φ(x)(1/x − 1/x³) ≤ Φ(−x) ≤ φ(x)/x` beyond.
pub(crate) fn gaussian_ln_tail(x: f64, lower: bool) -> Probability {
    if x.is_nan() {
        return Probability::ONE;
    }
    if x == f64::INFINITY {
        return Probability::ZERO;
    }
    if x <= 36.0 {
        let ln = (0.5 * erfc(x / std::f64::consts::SQRT_2)).ln();
        // statrs' erfc is trusted to 1e-13 relative.
        return if lower {
            Probability::lower_from_ln(ln - 1e-13)
        } else {
            Probability::upper_from_ln(ln + 1e-13)
        };
    }
    let ln_upper = -0.5 * x * x - x.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
    if lower {
        Probability::lower_from_ln(ln_upper + (-1.0 / (x * x)).ln_1p() - 1e-13)
    } else {
        Probability::upper_from_ln(ln_upper + 1e-13)
    }
}

/// Upper bound (or estimate) on `P[N(0, v) ≤ −s]` given `v_up ≥ v` (and the nominal `v` for the
/// estimate).
pub(crate) fn gaussian_upper(
    model: &'static str,
    v_up: f64,
    s: f64,
    method: TailBound,
) -> Result<TailValue> {
    match method {
        TailBound::Exact => {
            let x = s / v_up.sqrt() * (1.0 - 4.0 * U);
            Ok(TailValue::Certified(gaussian_ln_tail(x, false)))
        }
        TailBound::SubGaussian | TailBound::Chernoff => Ok(TailValue::Certified(ln_ratio_upper(
            s * s * (1.0 - 2.0 * U),
            2.0 * v_up,
        ))),
        TailBound::CltEstimate => Ok(TailValue::Estimate(gaussian_ln_tail(
            s / v_up.sqrt(),
            false,
        ))),
        TailBound::Hoeffding | TailBound::Bernstein | TailBound::Convolution { .. } => {
            Err(Error::UnsupportedTailBound {
                model,
                bound: method.name(),
                reason: "Gaussian noise is unbounded; use Exact (or SubGaussian / Chernoff)",
            })
        }
    }
}

/// Certified lower bound on `P[N(0, v) ≤ −s]` given `v_down ≤ v`: exact for [`TailBound::Exact`],
/// trivial (0) otherwise.
pub(crate) fn gaussian_lower(v_down: f64, s: f64, method: TailBound) -> Probability {
    match method {
        TailBound::Exact => {
            if v_down <= 0.0 {
                return if s > 0.0 {
                    Probability::ZERO
                } else {
                    Probability::ONE
                };
            }
            gaussian_ln_tail(s / v_down.sqrt() * (1.0 + 4.0 * U), true)
        }
        _ => Probability::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn gaussian_tail_known_values_and_asymptotic_branch() {
        // Φ(−3.719016485455709) = 1e-4.
        let p = gaussian_ln_tail(3.719_016_485_455_709, false).value();
        assert_relative_eq!(p, 1e-4, max_relative = 1e-9);
        let lo = gaussian_ln_tail(3.719_016_485_455_709, true).value();
        assert!(lo <= p);
        // Both branches agree around the switch point.
        let a = (0.5 * erfc(36.0 / std::f64::consts::SQRT_2)).ln();
        let b = gaussian_ln_tail(36.0 + 1e-9, false).ln();
        // The Mills-ratio upper bound is loose by a factor 1/(1 − 1/x²) at most.
        assert!(b >= a && b - a < 1.0 / (36.0 * 36.0) + 1e-9);
        assert!(gaussian_ln_tail(100.0, true).ln() <= gaussian_ln_tail(100.0, false).ln());
        assert!(gaussian_ln_tail(100.0, false).ln() > -5006.0);
    }

    #[test]
    fn bad_rows_are_typed_errors() {
        assert!(matches!(
            check_row(&[1.0], 1.0, 2),
            Err(Error::DimensionMismatch { .. })
        ));
        assert!(matches!(
            check_row(&[f64::NAN, 1.0], 1.0, 2),
            Err(Error::NonFinite { index: 0, .. })
        ));
        assert!(matches!(
            check_row(&[1.0, 1.0], -1.0, 2),
            Err(Error::InvalidParameter { name: "s", .. })
        ));
    }
}
