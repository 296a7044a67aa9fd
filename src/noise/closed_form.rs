//! Closed-form deficits: tails whose inverse is explicit in the "spread" of a linear form.
//!
//! For a row `a` and a side budget `d` (write `L = ln(1/d)`), the deficit `s` with certified
//! `P[a·(Δ − EΔ) ≤ −s] ≤ d` is, for the tails that have a closed-form inverse,
//!
//! ```text
//! sub-Gaussian / Hoeffding:  exp(−s²/(2v)) ≤ d   ⇔  s ≥ √(2vL),        v = Σ_k a_k² q_k
//! exact Gaussian:            Φ(−s/√v) ≤ d        ⇔  s ≥ z_{1−d}·√v,     v = aΣaᵀ = ‖Lᵀa‖²
//! Bernstein:                 exp(−s²/(2(v + Ms/3))) ≤ d
//!                            ⇔  s ≥ ML/3 + √((ML/3)² + 2vL),  v = Σ_k a_k² Var Δ_k, M = max_k down_k(a_k)
//! ```
//! with `q_k` the sub-Gaussian proxy (`(hi_k − lo_k)²/4` for Hoeffding). The spread `v` costs
//! `O(d)` per row (one column-major pass over a whole layer's rows, or one matrix product with
//! the factor of a correlated Gaussian), and the multiplier depends on `d` only, so it is
//! computed once per budget: no bisection, no per-row tail evaluation.
//!
//! # Rounding
//! `v` is rounded up by Higham's `γ_{n+4}` (plus the factorisation error of a correlated
//! Gaussian), the multipliers are rounded up and checked against the tail formulas of
//! [`super::NoiseModel::tail_upper`], so every returned deficit is at least the exact inverse.
//!
//! # References
//! Boucheron, Lugosi, Massart, *Concentration Inequalities*, OUP 2013, §2.3 (sub-Gaussian),
//! §2.8 (Bernstein); PROVEN (Weng et al., ICML 2019) for the Gaussian corollary.

use super::TailBound;
use super::laws::CoordLaw;
use super::probability::{U, gamma};
use super::tails::gaussian_ln_tail;
use crate::{Error, Float, Result};
use nalgebra::DMatrix;

/// How the spread `v(a)` of a row is computed.
#[derive(Debug, Clone, PartialEq)]
pub enum Spread {
    /// `v(a) = Σ_k a_k² w_k` (independent coordinates).
    Diagonal(Vec<f64>),
    /// `v(a) = ‖Fᵀa‖² + slack·‖a‖²` (a Gaussian with covariance `FFᵀ`, `slack` bounding the
    /// factorisation's error).
    Factor {
        /// The `d × rank` factor `F`.
        factor: DMatrix<f64>,
        /// Added per unit of `‖a‖²`.
        slack: f64,
    },
}

/// Which inverse turns the spread into a deficit.
#[derive(Debug, Clone, PartialEq)]
pub enum Profile {
    /// `s = √(2vL)` (sub-Gaussian with variance proxy `v`; Hoeffding with `v = Σ a²w²/4`).
    SubGaussian,
    /// `s = z_{1−d}·√v` (exact normal tail).
    Normal,
    /// Bernstein's inverse; `lo_k ≤ 0 ≤ hi_k` is the centred support of coordinate `k`.
    Bernstein {
        /// Centred lower ends.
        lo: Vec<f64>,
        /// Centred upper ends.
        hi: Vec<f64>,
    },
}

/// A tail with a closed-form inverse: `deficit(a, d) = profile⁻¹(spread(a), d)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedForm {
    /// The spread of a row.
    pub spread: Spread,
    /// The inverse of the tail.
    pub profile: Profile,
}

impl ClosedForm {
    /// Sub-Gaussian profile with diagonal weights.
    pub(crate) fn sub_gaussian(weights: Vec<f64>) -> Self {
        Self {
            spread: Spread::Diagonal(weights),
            profile: Profile::SubGaussian,
        }
    }
}

/// The closed form of `tail` for independent bounded coordinates with centred laws `laws(k)`,
/// `k < d` (`None` for tails without one: Chernoff, convolution, exact).
pub(crate) fn bounded_closed_form(
    laws: &dyn Fn(usize) -> CoordLaw,
    d: usize,
    tail: TailBound,
) -> Option<ClosedForm> {
    match tail {
        TailBound::SubGaussian => Some(ClosedForm::sub_gaussian(
            (0..d).map(|k| laws(k).proxy()).collect(),
        )),
        // exp(−2s²/Σa²w²) = exp(−s²/(2·Σa²w²/4)); the weights carry the models' rounding.
        TailBound::Hoeffding => Some(ClosedForm::sub_gaussian(
            (0..d)
                .map(|k| laws(k).width().powi(2) * (1.0 + 4.0 * U) / 4.0)
                .collect(),
        )),
        TailBound::Bernstein => {
            let (lo, hi) = (0..d).map(|k| laws(k).support()).unzip();
            Some(ClosedForm {
                spread: Spread::Diagonal(
                    (0..d)
                        .map(|k| laws(k).variance() * (1.0 + 4.0 * U))
                        .collect(),
                ),
                profile: Profile::Bernstein { lo, hi },
            })
        }
        _ => None,
    }
}

/// The closed form of `tail` for a Gaussian with spread `spread` (exact normal tail, or the
/// sub-Gaussian / Chernoff bound, which coincide for normals).
pub(crate) fn gaussian_closed_form(spread: Spread, tail: TailBound) -> Option<ClosedForm> {
    let profile = match tail {
        TailBound::Exact => Profile::Normal,
        TailBound::SubGaussian | TailBound::Chernoff => Profile::SubGaussian,
        _ => return None,
    };
    Some(ClosedForm { spread, profile })
}

/// The per-budget constants of a [`ClosedForm`].
#[derive(Debug, Clone)]
pub(crate) struct Multiplier {
    /// `ln(1/d)`, rounded up.
    ln_inv: f64,
    /// `√(2L)` (sub-Gaussian) or `z_{1−d}` (normal), rounded up and verified.
    factor: f64,
}

impl Multiplier {
    /// The constants for `profile` at budget `d ∈ (0, 1)`.
    pub(crate) fn new(profile: &Profile, budget: f64) -> Result<Self> {
        if budget.is_nan() || budget <= 0.0 || budget >= 1.0 {
            return Err(Error::invalid(
                "budget",
                budget,
                "the failure budget of a side must lie in (0, 1)",
            ));
        }
        let ln_budget = budget.ln();
        let ln_inv = -ln_budget * (1.0 + 4.0 * U) + 4e-15;
        let factor = match profile {
            Profile::SubGaussian | Profile::Bernstein { .. } => {
                (2.0 * ln_inv).sqrt() * (1.0 + 4.0 * U)
            }
            Profile::Normal => {
                use statrs::distribution::{ContinuousCDF, Normal};
                let mut z = -Normal::standard().inverse_cdf(budget);
                if !z.is_finite() || z <= 0.0 {
                    // d ≥ ½ would need z ≤ 0; the side is useless then and d < ½ is checked
                    // by callers; fall back to the sub-Gaussian constant (valid for normals).
                    z = (2.0 * ln_inv).sqrt();
                }
                // The tail is evaluated at `x = s/√v·(1 − 4u)` by the noise models: make sure
                // the certified tail at z(1 − 8u) is at most d.
                let mut tries = 0;
                while gaussian_ln_tail(z * (1.0 - 8.0 * U), false).ln() > ln_budget {
                    z *= 1.0 + 1e-12;
                    tries += 1;
                    if tries > 10_000 {
                        return Err(Error::invalid(
                            "budget",
                            budget,
                            "no normal quantile reaches this budget",
                        ));
                    }
                }
                z
            }
        };
        Ok(Self { ln_inv, factor })
    }
}

/// `Σ_k a[r,k]·c_k` for every row `r` of `a`, in `f64` (column-major accumulation, one output
/// vector, no allocation per row).
///
/// # Examples
/// ```
/// use nalgebra::DMatrix;
/// let a = DMatrix::from_row_slice(2, 2, &[1.0_f32, 2.0, 3.0, 4.0]);
/// assert_eq!(proven::noise::row_dots(&a, &[1.0, -1.0]), vec![-1.0, -1.0]);
/// ```
pub fn row_dots<T: Float>(a: &DMatrix<T>, c: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; a.nrows()];
    for (k, col) in a.column_iter().enumerate() {
        let ck = c[k];
        if ck == 0.0 {
            continue;
        }
        for (o, v) in out.iter_mut().zip(col.iter()) {
            *o += v.as_f64() * ck;
        }
    }
    out
}

/// The deficits of all rows of `a` (of `−a` when `negate`) for `form` at the budget of `m`.
/// A row with a non-finite entry gets `+∞` (a side that is never used).
pub(crate) fn closed_form_deficits<T: Float>(
    form: &ClosedForm,
    m: &Multiplier,
    a: &DMatrix<T>,
    negate: bool,
) -> Vec<f64> {
    let (rows, d) = a.shape();
    let round = 1.0 + gamma(d + 4);
    let mut v = match &form.spread {
        Spread::Diagonal(w) => {
            let mut v = vec![0.0; rows];
            for (k, col) in a.column_iter().enumerate() {
                let wk = w[k];
                for (o, x) in v.iter_mut().zip(col.iter()) {
                    let x = x.as_f64();
                    *o += x * x * wk;
                }
            }
            v.iter_mut().for_each(|x| *x *= round);
            v
        }
        Spread::Factor { factor, slack } => {
            let af = a.map(|x| x.as_f64());
            let w = &af * factor;
            (0..rows)
                .map(|r| {
                    let vr = w.row(r).norm_squared();
                    vr * round * (1.0 + 4.0 * U) + slack * af.row(r).norm_squared()
                })
                .collect()
        }
    };
    match &form.profile {
        Profile::SubGaussian | Profile::Normal => {
            for x in &mut v {
                *x = if x.is_finite() {
                    m.factor * x.sqrt() * (1.0 + 4.0 * U)
                } else {
                    f64::INFINITY
                };
            }
        }
        Profile::Bernstein { lo, hi } => {
            // M = max_k down_k(a_k), down_k(a) = −a·lo_k (a ≥ 0) or −a·hi_k (a < 0).
            let mut big = vec![0.0_f64; rows];
            for (k, col) in a.column_iter().enumerate() {
                for (o, x) in big.iter_mut().zip(col.iter()) {
                    let mut x = x.as_f64();
                    if negate {
                        x = -x;
                    }
                    let down = if x >= 0.0 { -x * lo[k] } else { -x * hi[k] };
                    *o = o.max(down);
                }
            }
            for (x, mb) in v.iter_mut().zip(&big) {
                let mb = mb * (1.0 + 4.0 * U);
                let vv = *x * (1.0 + 8.0 * U);
                let h = mb * m.ln_inv / 3.0;
                *x = if vv.is_finite() && h.is_finite() {
                    (h + (h * h + 2.0 * vv * m.ln_inv).sqrt()) * (1.0 + 8.0 * U)
                } else {
                    f64::INFINITY
                };
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise::{
        Bernoulli, BoundedIndependent, CorrelatedGaussian, Gaussian, NoiseModel, TailBound,
        Truncation, Uniform,
    };

    fn rows() -> DMatrix<f64> {
        DMatrix::from_fn(5, 6, |r, k| ((r * 7 + k * 3) % 11) as f64 * 0.3 - 1.4)
    }

    /// Every closed-form deficit passes the model's own certified tail at the budget, and is
    /// within a hair of the smallest passing value.
    #[test]
    fn closed_forms_are_valid_and_tight() {
        let cov = DMatrix::from_fn(6, 6, |i, j| if i == j { 1.0 } else { 0.3 });
        let models: Vec<(Box<dyn NoiseModel>, Vec<TailBound>)> = vec![
            (
                Box::new(Uniform::new(6, 0.2).unwrap()),
                vec![
                    TailBound::SubGaussian,
                    TailBound::Hoeffding,
                    TailBound::Bernstein,
                ],
            ),
            (
                Box::new(Bernoulli::asymmetric(6, 0.5, 0.1).unwrap()),
                vec![
                    TailBound::SubGaussian,
                    TailBound::Hoeffding,
                    TailBound::Bernstein,
                ],
            ),
            (
                Box::new(
                    BoundedIndependent::new(
                        vec![-0.1, -0.2, 0.0, -0.3, -0.1, -0.5],
                        vec![0.3, 0.2, 0.1, 0.1, 0.4, 0.5],
                    )
                    .unwrap(),
                ),
                vec![
                    TailBound::SubGaussian,
                    TailBound::Hoeffding,
                    TailBound::Bernstein,
                ],
            ),
            (
                Box::new(Gaussian::isotropic(6, 0.3, Truncation::BoxSigmas(6.0)).unwrap()),
                vec![TailBound::Exact, TailBound::SubGaussian],
            ),
            (
                Box::new(CorrelatedGaussian::new(cov, Truncation::BoxSigmas(6.0)).unwrap()),
                vec![TailBound::Exact, TailBound::SubGaussian],
            ),
        ];
        let a = rows();
        for (noise, tails) in &models {
            for &tail in tails {
                let form = noise.closed_form(tail).expect("closed form");
                for budget in [1e-2, 1e-5, 1e-9] {
                    let m = Multiplier::new(&form.profile, budget).unwrap();
                    for negate in [false, true] {
                        let s = closed_form_deficits(&form, &m, &a, negate);
                        for (r, &sr) in s.iter().enumerate() {
                            let mut row: Vec<f64> = a.row(r).iter().copied().collect();
                            if negate {
                                row.iter_mut().for_each(|x| *x = -*x);
                            }
                            let t = noise.tail_upper(&row, sr, tail).unwrap();
                            let p = t.certified().unwrap().value();
                            assert!(p <= budget, "{} {tail:?} {budget}: {p}", noise.name());
                            let t = noise.tail_upper(&row, sr * (1.0 - 1e-6), tail).unwrap();
                            let p = t.certified().unwrap().value();
                            // Not looser than 1e-6 relative (tails capped at the support are
                            // exempt: they reach 0 before the closed form).
                            assert!(p > budget || p == 0.0, "{} {tail:?}: loose", noise.name());
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn row_dots_match_matrix_vector_product() {
        let a = rows();
        let c = [0.5, -1.0, 0.0, 2.0, 0.25, 1.0];
        let d = row_dots(&a, &c);
        let e = &a * nalgebra::DVector::from_column_slice(&c);
        for (x, y) in d.iter().zip(e.iter()) {
            assert!((x - y).abs() < 1e-12);
        }
    }

    #[test]
    fn bad_budgets_are_rejected() {
        for b in [0.0, 1.0, f64::NAN, -1.0] {
            assert!(Multiplier::new(&Profile::SubGaussian, b).is_err());
        }
    }
}
