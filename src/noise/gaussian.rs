//! [`Gaussian`]: independent Gaussian noise, isotropic or diagonal.

use super::probability::gamma;
use super::tails::{check_row, gaussian_lower, gaussian_upper};
use super::truncation::resolve;
use super::{
    NoiseModel, Probability, Region, TailBound, TailValue, Truncation, fill_standard_normal,
    standard_normal,
};
use crate::Result;

/// Independent Gaussian noise `Δ_k ~ N(0, σ_k²)` (isotropic: all `σ_k = σ`), truncated to a region
/// chosen by the caller (see [`Truncation`]).
///
/// ```text
/// a·Δ ~ N(0, Σ_k a_k² σ_k²)              P[a·Δ ≤ −s] = Φ(−s/σ_S) = ½ erfc(s/(σ_S√2))
/// certificate:  P[f fails] ≤ Φ(−μ/σ_S) + P[Δ ∉ region]
/// ```
///
/// # Examples
/// ```
/// use proven::noise::{Gaussian, NoiseModel, TailBound, Truncation};
/// let g = Gaussian::isotropic(2, 0.5, Truncation::BoxSigmas(6.0)).unwrap();
/// // a·Δ ~ N(0, 0.5): P[a·Δ ≤ −1] = Φ(−√2) ≈ 0.0786.
/// let p = g.tail_upper(&[1.0, 1.0], 1.0, TailBound::Exact).unwrap().certified().unwrap();
/// assert!((p.value() - 0.078_649_603_6).abs() < 1e-9);
/// assert!(g.mass_outside().value() < 1e-8);
/// ```
///
/// # References
/// PROVEN (Weng et al., ICML 2019), the corollary for Gaussian noise.
#[derive(Debug, Clone, PartialEq)]
pub struct Gaussian {
    sigma: Vec<f64>,
    region: Region,
    outside: Probability,
}

impl Gaussian {
    /// Isotropic noise `N(0, σ² I_d)`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] naming `sigma`, `dim`, or the truncation parameter.
    pub fn isotropic(dim: usize, sigma: f64, truncation: Truncation) -> Result<Self> {
        super::check_dim(dim)?;
        super::check_positive("sigma", sigma)?;
        Self::diagonal(vec![sigma; dim], truncation)
    }

    /// Diagonal noise `N(0, diag(σ_k²))`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] naming `sigma` (an entry `≤ 0` or not finite) or the truncation
    /// parameter.
    pub fn diagonal(sigma: Vec<f64>, truncation: Truncation) -> Result<Self> {
        super::check_dim(sigma.len())?;
        for s in &sigma {
            super::check_positive("sigma", *s)?;
        }
        let lambda_max = sigma.iter().fold(0.0f64, |m, s| m.max(s * s));
        let (region, outside) = resolve(&sigma, lambda_max, truncation)?;
        Ok(Self {
            sigma,
            region,
            outside,
        })
    }

    /// The standard deviations `σ_k`.
    pub fn sigma(&self) -> &[f64] {
        &self.sigma
    }

    fn var(&self, a: &[f64]) -> f64 {
        a.iter()
            .zip(&self.sigma)
            .map(|(ak, s)| ak * ak * s * s)
            .sum()
    }
}

impl NoiseModel for Gaussian {
    fn dim(&self) -> usize {
        self.sigma.len()
    }
    fn name(&self) -> &'static str {
        "gaussian"
    }
    fn describe(&self) -> String {
        format!(
            "independent Gaussian noise in {} coordinates, truncated to {:?} (outside mass ≤ {:e})",
            self.sigma.len(),
            match &self.region {
                Region::Box { .. } => "a box",
                Region::L2Ball { .. } => "an l2 ball",
            },
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
        self.sigma
            .iter()
            .map(|s| s * standard_normal(rng))
            .collect()
    }
    /// Standard normals for the whole batch (both outputs of every Box–Muller pair), scaled row
    /// by row.
    fn sample_batch(&self, rng: &mut dyn rand::Rng, n: usize) -> nalgebra::DMatrix<f64> {
        let d = self.sigma.len();
        let mut z = nalgebra::DMatrix::zeros(d, n);
        fill_standard_normal(rng, z.as_mut_slice());
        for mut col in z.column_iter_mut() {
            for (v, s) in col.iter_mut().zip(&self.sigma) {
                *v *= s;
            }
        }
        z
    }
    fn tail_upper(&self, a: &[f64], s: f64, method: TailBound) -> Result<TailValue> {
        check_row(a, s, self.dim())?;
        let v_up = self.var(a) * (1.0 + gamma(a.len() + 4));
        gaussian_upper(self.name(), v_up, s, method)
    }
    fn tail_lower(&self, a: &[f64], s: f64, method: TailBound) -> Result<Probability> {
        check_row(a, s, self.dim())?;
        let v_down = self.var(a) * (1.0 - gamma(a.len() + 4));
        Ok(gaussian_lower(v_down, s, method))
    }
    /// Exact normal tails (and the sub-Gaussian / Chernoff bound) in closed form, with the
    /// weights `σ_k²` rounded up.
    fn closed_form(&self, method: TailBound) -> Option<super::ClosedForm> {
        let w = self
            .sigma
            .iter()
            .map(|s| s * s * (1.0 + 4.0 * super::probability::U))
            .collect();
        super::closed_form::gaussian_closed_form(super::Spread::Diagonal(w), method)
    }
}
