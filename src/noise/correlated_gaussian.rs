//! [`CorrelatedGaussian`]: Gaussian noise with a full covariance matrix.

use super::probability::{U, gamma};
use super::tails::{check_row, gaussian_lower, gaussian_upper};
use super::truncation::resolve;
use super::{
    NoiseModel, Probability, Region, TailBound, TailValue, Truncation, fill_standard_normal,
    standard_normal,
};
use crate::{Error, Result};
use nalgebra::{DMatrix, DVector, SymmetricEigen};

/// Gaussian noise `Δ ~ N(0, Σ)` with a full covariance `Σ`.
///
/// `Σ` is factorised once at construction by a symmetric eigendecomposition `Σ = Q Λ Qᵀ`; the
/// factor `L = Q √Λ` keeps only the eigenvalues above `tol = 1e-10·d·λ_max` (so `L` is `d × rank`
/// and sampling a singular `Σ` — noise on part of the input — is cheap); the dropped ones,
/// `|λ| ≤ tol`, enter the variance error bound. This handles positive *semi*-definite
/// (singular) `Σ` without jitter. Eigenvalues below `−tol` are rejected as not PSD.
///
/// ```text
/// a·Δ ~ N(0, aΣaᵀ),  aΣaᵀ = ‖Lᵀa‖₂²  (± 16·d·u·λ_max‖a‖² for the factorisation's rounding)
/// box truncation |Δ_k| ≤ k√Σ_kk:  outside mass ≤ 1 − Π(1 − 2Φ(−k))       (Šidák 1967)
/// ℓ2 truncation ‖Δ‖₂ ≤ R:          outside mass ≤ P[χ²_d > R²/λ_max(Σ)]  (‖LZ‖ ≤ √λ_max ‖Z‖)
/// ```
///
/// # Examples
/// ```
/// use nalgebra::DMatrix;
/// use proven::noise::{CorrelatedGaussian, NoiseModel, TailBound, Truncation};
/// let cov = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.5, 1.0]);
/// let g = CorrelatedGaussian::new(cov, Truncation::BoxSigmas(6.0)).unwrap();
/// // a = (1, 1): aΣaᵀ = 3, P[a·Δ ≤ −3] = Φ(−√3) ≈ 0.041632.
/// let p = g.tail_upper(&[1.0, 1.0], 3.0, TailBound::Exact).unwrap().certified().unwrap();
/// assert!((p.value() - 0.041_632).abs() < 1e-6);
/// ```
///
/// # References
/// PROVEN (Weng et al., ICML 2019), the corollary for Gaussian noise; Z. Šidák, JASA 1967.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelatedGaussian {
    factor: DMatrix<f64>,
    sigma: Vec<f64>,
    lambda_max: f64,
    clamped: f64,
    region: Region,
    outside: Probability,
}

impl CorrelatedGaussian {
    /// Noise `N(0, cov)`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `cov` is not square (or empty); [`Error::NonFinite`] for NaN
    /// or infinite entries; [`Error::NotPositiveSemiDefinite`] if `cov` is not symmetric (relative
    /// tolerance 1e-12) or has a negative eigenvalue; [`Error::InvalidParameter`] for a bad
    /// truncation.
    pub fn new(cov: DMatrix<f64>, truncation: Truncation) -> Result<Self> {
        let d = cov.nrows();
        if cov.ncols() != d || d == 0 {
            return Err(Error::mismatch(
                "covariance matrix columns",
                d.max(1),
                cov.ncols(),
            ));
        }
        if let Some(index) = cov.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                context: "covariance matrix".into(),
                index,
                value: cov[index],
            });
        }
        let scale = cov.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for i in 0..d {
            for j in 0..i {
                if (cov[(i, j)] - cov[(j, i)]).abs() > 1e-12 * scale {
                    return Err(Error::NotPositiveSemiDefinite {
                        reason: format!(
                            "not symmetric: entry ({i}, {j}) = {} but ({j}, {i}) = {}",
                            cov[(i, j)],
                            cov[(j, i)]
                        ),
                    });
                }
            }
        }
        let eig = SymmetricEigen::new(cov.clone());
        let lambda_max = eig.eigenvalues.iter().fold(0.0f64, |m, v| m.max(*v));
        let tol = 1e-10 * d as f64 * lambda_max.max(f64::MIN_POSITIVE);
        if let Some(k) = eig.eigenvalues.iter().position(|v| *v < -tol) {
            return Err(Error::NotPositiveSemiDefinite {
                reason: format!("eigenvalue {k} is {}", eig.eigenvalues[k]),
            });
        }
        if lambda_max.is_nan() || lambda_max <= 0.0 {
            return Err(Error::NotPositiveSemiDefinite {
                reason: "the covariance is zero".into(),
            });
        }
        // Eigenvalues within the rounding of the decomposition (|λ| ≤ tol) are dropped together
        // with their eigenvectors, so a singular Σ (noise on part of the input) gets a thin
        // factor and cheap sampling. Dropping λ ∈ (0, tol] moves aΣaᵀ by at most tol·‖a‖², which
        // joins the clamped negative eigenvalues in the error bound of the variance.
        let clamped =
            eig.eigenvalues.iter().fold(
                0.0f64,
                |m, v| if v.abs() <= tol { m.max(v.abs()) } else { m },
            );
        let keep: Vec<usize> = (0..d).filter(|&k| eig.eigenvalues[k] > tol).collect();
        let factor = DMatrix::from_fn(d, keep.len(), |i, j| {
            eig.eigenvectors[(i, keep[j])] * eig.eigenvalues[keep[j]].sqrt()
        });
        let sigma: Vec<f64> = (0..d).map(|k| cov[(k, k)].max(0.0).sqrt()).collect();
        let (region, outside) = resolve(&sigma, lambda_max, truncation)?;
        Ok(Self {
            factor,
            sigma,
            lambda_max,
            clamped,
            region,
            outside,
        })
    }

    /// The law `N(0, scale²·Σ)` with a new truncation, reusing this model's factorisation (no
    /// new eigendecomposition, so a radius search over the scale costs `O(d²)` per step instead
    /// of `O(d³)`). The rounding of the rescaled factor is added to the variance error bound.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a scale that is not finite and `> 0`, or a bad truncation.
    ///
    /// # Examples
    /// ```
    /// use nalgebra::DMatrix;
    /// use proven::noise::{CorrelatedGaussian, NoiseModel, TailBound, Truncation};
    /// let cov = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.5, 1.0]);
    /// let unit = CorrelatedGaussian::new(cov.clone(), Truncation::BoxSigmas(6.0)).unwrap();
    /// let a = unit.scaled(0.3, Truncation::BoxSigmas(6.0)).unwrap();
    /// let b = CorrelatedGaussian::new(cov * 0.09, Truncation::BoxSigmas(6.0)).unwrap();
    /// let p = |g: &CorrelatedGaussian| g.tail_upper(&[1.0, 1.0], 0.9, TailBound::Exact).unwrap().certified().unwrap().value();
    /// assert!((p(&a) - p(&b)).abs() < 1e-12 && (a.sigma()[0] - 0.3).abs() < 1e-15);
    /// ```
    pub fn scaled(&self, scale: f64, truncation: Truncation) -> Result<Self> {
        super::check_positive("scale", scale)?;
        let d = self.sigma.len();
        let s2 = scale * scale * (1.0 + 4.0 * U);
        let lambda_max = self.lambda_max * s2;
        let factor = &self.factor * scale;
        let sigma: Vec<f64> = self.sigma.iter().map(|v| v * scale).collect();
        // Each entry of the rescaled factor carries one more rounding (relative U), which moves
        // ‖Lᵀa‖² by at most 3U·‖|L|ᵀ|a|‖² ≤ 3U·trace(Σ)·‖a‖² ≤ 3U·d·λ_max·‖a‖².
        let clamped = self.clamped * s2 + 3.0 * U * d as f64 * lambda_max;
        let (region, outside) = resolve(&sigma, lambda_max, truncation)?;
        Ok(Self {
            factor,
            sigma,
            lambda_max,
            clamped,
            region,
            outside,
        })
    }

    /// Per-coordinate standard deviations `√Σ_kk`.
    pub fn sigma(&self) -> &[f64] {
        &self.sigma
    }

    /// The largest eigenvalue of `Σ`.
    pub fn lambda_max(&self) -> f64 {
        self.lambda_max
    }

    /// `(aΣaᵀ, error bound)`.
    fn var(&self, a: &[f64]) -> (f64, f64) {
        let av = DVector::from_column_slice(a);
        let w = self.factor.transpose() * &av;
        let v = w.norm_squared();
        let d = a.len();
        let err = (16.0 * d as f64 * U * self.lambda_max + self.clamped) * av.norm_squared()
            + gamma(d + 4) * v;
        (v, err)
    }
}

impl NoiseModel for CorrelatedGaussian {
    fn dim(&self) -> usize {
        self.sigma.len()
    }
    fn name(&self) -> &'static str {
        "correlated gaussian"
    }
    fn describe(&self) -> String {
        format!(
            "correlated Gaussian noise in {} coordinates (λ_max = {}), outside mass ≤ {:e}",
            self.sigma.len(),
            self.lambda_max,
            self.outside.value()
        )
    }
    fn mean(&self) -> Vec<f64> {
        vec![0.0; self.sigma.len()]
    }
    fn variance(&self) -> Option<Vec<f64>> {
        Some(self.sigma.iter().map(|s| s * s).collect())
    }
    fn region(&self) -> Region {
        self.region.clone()
    }
    fn mass_outside(&self) -> Probability {
        self.outside
    }
    fn sample(&self, rng: &mut dyn rand::Rng) -> Vec<f64> {
        let k = self.factor.ncols();
        let z = DVector::from_iterator(k, (0..k).map(|_| standard_normal(rng)));
        (&self.factor * z).iter().copied().collect()
    }
    /// One matrix–matrix product `L·Z` for the whole batch, `Z` filled with standard normals
    /// (both outputs of every Box–Muller pair).
    fn sample_batch(&self, rng: &mut dyn rand::Rng, n: usize) -> DMatrix<f64> {
        let mut z = DMatrix::zeros(self.factor.ncols(), n);
        fill_standard_normal(rng, z.as_mut_slice());
        &self.factor * z
    }
    fn tail_upper(&self, a: &[f64], s: f64, method: TailBound) -> Result<TailValue> {
        check_row(a, s, self.dim())?;
        let (v, err) = self.var(a);
        gaussian_upper(self.name(), v + err, s, method)
    }
    fn tail_lower(&self, a: &[f64], s: f64, method: TailBound) -> Result<Probability> {
        check_row(a, s, self.dim())?;
        let (v, err) = self.var(a);
        Ok(gaussian_lower((v - err).max(0.0), s, method))
    }
    /// Exact normal tails (and the sub-Gaussian / Chernoff bound) in closed form:
    /// `aΣaᵀ = ‖Lᵀa‖²` plus the factorisation's error bound per unit of `‖a‖²`.
    fn closed_form(&self, method: TailBound) -> Option<super::ClosedForm> {
        let d = self.sigma.len();
        let slack = 16.0 * d as f64 * U * self.lambda_max + self.clamped;
        let spread = super::Spread::Factor {
            factor: self.factor.clone(),
            slack,
        };
        super::closed_form::gaussian_closed_form(spread, method)
    }
}
