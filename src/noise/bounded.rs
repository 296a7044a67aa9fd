//! [`BoundedIndependent`]: general independent bounded noise with per-coordinate ranges.

use super::laws::CoordLaw;
use super::tails::{bounded_cumulant, bounded_upper, check_row};
use super::{NoiseModel, Probability, Region, TailBound, TailValue};
use crate::{Error, Result};
use rand::RngExt;

/// Independent noise with `lo_k ≤ Δ_k ≤ hi_k`, of otherwise unknown law, with known means `m_k`
/// and optionally known variances `v_k`.
///
/// ```text
/// Hoeffding:     P[a·(Δ − m) ≤ −s] ≤ exp(−2s² / Σ a_k²(hi_k − lo_k)²)
/// Chernoff:      MGF of Δ_k − m_k ≤ MGF of the two-point law on {lo_k, hi_k} with mean m_k
/// Bernstein:     v = Σ a_k² v_k,  v_k ≤ (hi_k − m_k)(m_k − lo_k)  (Bhatia–Davis, used if unknown)
/// ```
/// **Assumption:** [`BoundedIndependent::new`] takes the mean to be the midpoint of each range
/// (true for any law symmetric about it); give the real means with
/// [`BoundedIndependent::with_means`] otherwise. A wrong mean makes every bound unsound.
///
/// [`TailBound::Convolution`] and [`TailBound::Exact`] need the law itself and are unsupported;
/// the lower tail bound is the trivial 0.
///
/// # Examples
/// ```
/// use proven::noise::{BoundedIndependent, NoiseModel, TailBound};
/// let n = BoundedIndependent::new(vec![-1.0, -0.5], vec![1.0, 0.5]).unwrap()
///     .with_variances(vec![0.1, 0.01]).unwrap();
/// let b = n.tail_upper(&[1.0, 1.0], 1.0, TailBound::Bernstein).unwrap().certified().unwrap();
/// let h = n.tail_upper(&[1.0, 1.0], 1.0, TailBound::Hoeffding).unwrap().certified().unwrap();
/// assert!(b.value() < 0.33 && h.value() > 0.67); // exp(−1/(2(0.11 + 1/3))) vs exp(−2/5)
/// ```
///
/// # References
/// Hoeffding 1963; Boucheron, Lugosi, Massart 2013 (Bernstein); Bhatia & Davis, Amer. Math.
/// Monthly 2000 (variance bound).
#[derive(Debug, Clone, PartialEq)]
pub struct BoundedIndependent {
    lo: Vec<f64>,
    hi: Vec<f64>,
    mean: Vec<f64>,
    var: Option<Vec<f64>>,
}

fn check_len(what: &'static str, expected: usize, v: &[f64]) -> Result<()> {
    if v.len() != expected {
        return Err(Error::mismatch(
            format!("bounded noise: {what}"),
            expected,
            v.len(),
        ));
    }
    if let Some(index) = v.iter().position(|x| !x.is_finite()) {
        return Err(Error::NonFinite {
            context: format!("bounded noise: {what}"),
            index,
            value: v[index],
        });
    }
    Ok(())
}

impl BoundedIndependent {
    /// Ranges `[lo_k, hi_k]`; means default to the midpoints (see the type docs).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`], [`Error::NonFinite`], [`Error::InvalidInterval`] (`lo > hi`),
    /// or [`Error::InvalidParameter`] for an empty range list.
    pub fn new(lo: Vec<f64>, hi: Vec<f64>) -> Result<Self> {
        super::check_dim(lo.len())?;
        check_len("lo", lo.len(), &lo)?;
        check_len("hi", lo.len(), &hi)?;
        for (index, (l, h)) in lo.iter().zip(&hi).enumerate() {
            if l > h {
                return Err(Error::InvalidInterval {
                    context: "bounded noise range".into(),
                    index,
                    lower: *l,
                    upper: *h,
                });
            }
        }
        let mean = lo.iter().zip(&hi).map(|(l, h)| 0.5 * (l + h)).collect();
        Ok(Self {
            lo,
            hi,
            mean,
            var: None,
        })
    }

    /// Sets the known means `m_k ∈ [lo_k, hi_k]` (clears given variances, which are re-checked
    /// against the new means by [`BoundedIndependent::with_variances`]).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`], [`Error::NonFinite`], or [`Error::InvalidParameter`] naming
    /// `mean` if a mean lies outside its range.
    pub fn with_means(mut self, mean: Vec<f64>) -> Result<Self> {
        check_len("mean", self.lo.len(), &mean)?;
        for (k, m) in mean.iter().enumerate() {
            if *m < self.lo[k] || *m > self.hi[k] {
                return Err(Error::invalid(
                    "mean",
                    *m,
                    "a mean must lie inside its range",
                ));
            }
        }
        self.mean = mean;
        self.var = None;
        Ok(self)
    }

    /// Sets known variances `v_k` (used by Bernstein and the CLT estimate).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`], [`Error::NonFinite`], or [`Error::InvalidParameter`] naming
    /// `variance` if `v_k < 0` or `v_k > (hi_k − m_k)(m_k − lo_k)` (impossible for the range).
    pub fn with_variances(mut self, var: Vec<f64>) -> Result<Self> {
        check_len("variance", self.lo.len(), &var)?;
        for (k, v) in var.iter().enumerate() {
            let max = (self.hi[k] - self.mean[k]) * (self.mean[k] - self.lo[k]);
            if *v < 0.0 || *v > max * (1.0 + 1e-12) {
                return Err(Error::invalid(
                    "variance",
                    *v,
                    "must lie in [0, (hi - mean)(mean - lo)]",
                ));
            }
        }
        self.var = Some(var);
        Ok(self)
    }

    /// Per coordinate, the probability of `hi_k` in the two-point law with mean `m_k`.
    fn upper_probabilities(&self) -> Vec<f64> {
        (0..self.lo.len())
            .map(|k| {
                let w = self.hi[k] - self.lo[k];
                if w > 0.0 {
                    (self.mean[k] - self.lo[k]) / w
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// One draw of coordinate `k` (`hi_k` with probability `p`).
    fn draw(&self, k: usize, p: f64, rng: &mut dyn rand::Rng) -> f64 {
        if rng.random::<f64>() < p {
            self.hi[k]
        } else {
            self.lo[k]
        }
    }

    fn coord(&self, k: usize) -> CoordLaw {
        let m = self.mean[k];
        let var = match &self.var {
            Some(v) => v[k],
            None => (self.hi[k] - m) * (m - self.lo[k]),
        };
        CoordLaw::Bounded {
            lo: self.lo[k] - m,
            hi: self.hi[k] - m,
            var,
        }
    }
}

impl NoiseModel for BoundedIndependent {
    fn dim(&self) -> usize {
        self.lo.len()
    }
    fn name(&self) -> &'static str {
        "bounded"
    }
    fn describe(&self) -> String {
        format!(
            "independent bounded noise in {} coordinates{}",
            self.lo.len(),
            if self.var.is_some() {
                " with known variances"
            } else {
                ""
            }
        )
    }
    fn mean(&self) -> Vec<f64> {
        self.mean.clone()
    }
    fn variance(&self) -> Option<Vec<f64>> {
        Some(
            (0..self.lo.len())
                .map(|k| self.coord(k).variance())
                .collect(),
        )
    }
    fn region(&self) -> Region {
        Region::Box {
            lo: self.lo.clone(),
            hi: self.hi.clone(),
        }
    }
    fn mass_outside(&self) -> Probability {
        Probability::ZERO
    }
    /// Samples the two-point law on `{lo_k, hi_k}` with the given means (the law is otherwise
    /// unknown; this is the extremal law of the Chernoff bound).
    fn sample(&self, rng: &mut dyn rand::Rng) -> Vec<f64> {
        let p = self.upper_probabilities();
        (0..self.lo.len())
            .map(|k| self.draw(k, p[k], rng))
            .collect()
    }
    /// The draws of `n` calls of [`NoiseModel::sample`], written straight into the matrix.
    fn sample_batch(&self, rng: &mut dyn rand::Rng, n: usize) -> nalgebra::DMatrix<f64> {
        let d = self.lo.len();
        let p = self.upper_probabilities();
        nalgebra::DMatrix::from_iterator(d, n, (0..d * n).map(|i| self.draw(i % d, p[i % d], rng)))
    }
    fn tail_upper(&self, a: &[f64], s: f64, method: TailBound) -> Result<TailValue> {
        check_row(a, s, self.dim())?;
        if matches!(method, TailBound::Convolution { .. }) {
            return Err(Error::UnsupportedTailBound {
                model: self.name(),
                bound: method.name(),
                reason: "convolution needs the law, not only its range",
            });
        }
        bounded_upper(self.name(), &|k| self.coord(k), a, s, method)
    }
    fn tail_lower(&self, a: &[f64], s: f64, _method: TailBound) -> Result<Probability> {
        check_row(a, s, self.dim())?;
        Ok(Probability::ZERO)
    }
    fn closed_form(&self, method: TailBound) -> Option<super::ClosedForm> {
        super::closed_form::bounded_closed_form(&|k| self.coord(k), self.lo.len(), method)
    }
    fn cumulant(&self, a: &[f64], lambda: f64) -> Option<(f64, f64)> {
        (a.len() == self.lo.len()).then(|| bounded_cumulant(&|k| self.coord(k), a, lambda))?
    }
}
