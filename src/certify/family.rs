//! [`NoiseFamily`]: a noise law with one free scale (ε or σ), for radius searches.

use crate::noise::{Bernoulli, CorrelatedGaussian, Gaussian, NoiseModel, Truncation, Uniform};
use crate::{Error, Result};
use nalgebra::DMatrix;

/// A family of noise laws indexed by a scale `s` (the radius being searched).
#[derive(Debug, Clone, PartialEq)]
pub enum NoiseFamily {
    /// Uniform on the ℓ∞ box of radius `s`.
    Uniform,
    /// Symmetric Bernoulli `±s` (`p = None`), or `{0, +s}` with probability `p`.
    Bernoulli {
        /// Probability of the `+s` value for the asymmetric law.
        p: Option<f64>,
    },
    /// Isotropic Gaussian with standard deviation `s`, truncated to the ℓ∞ box whose outside mass
    /// is `truncation_share · δ`.
    Gaussian {
        /// The part of the failure budget spent on the mass outside the box, in (0, 1).
        truncation_share: f64,
    },
    /// Correlated Gaussian with covariance `s²·Σ` (Σ given at unit scale), truncated as above.
    CorrelatedGaussian {
        /// Unit-scale covariance Σ.
        covariance: DMatrix<f64>,
        /// The part of the failure budget spent on the truncation mass, in (0, 1).
        truncation_share: f64,
    },
}

impl NoiseFamily {
    /// Gaussian with half of the budget for truncation.
    pub fn gaussian() -> Self {
        NoiseFamily::Gaussian {
            truncation_share: 0.5,
        }
    }

    /// A short name (`"uniform"`, `"bernoulli"`, `"gaussian"`, `"correlated-gaussian"`).
    pub fn name(&self) -> &'static str {
        match self {
            NoiseFamily::Uniform => "uniform",
            NoiseFamily::Bernoulli { .. } => "bernoulli",
            NoiseFamily::Gaussian { .. } => "gaussian",
            NoiseFamily::CorrelatedGaussian { .. } => "correlated-gaussian",
        }
    }

    /// The noise law at scale `s` in dimension `dim`, for failure budget `delta`.
    ///
    /// # Errors
    /// The constructors' errors (for example `s ≤ 0`, `p ∉ (0, 1)`, a Σ that is not PSD), and
    /// [`Error::InvalidParameter`] for a truncation share outside (0, 1).
    pub fn at(&self, dim: usize, s: f64, delta: f64) -> Result<Box<dyn NoiseModel>> {
        let share_mass = |share: f64| -> Result<f64> {
            if share.is_nan() || share <= 0.0 || share >= 1.0 {
                return Err(Error::invalid(
                    "truncation_share",
                    share,
                    "the truncation share of δ must lie in (0, 1)",
                ));
            }
            Ok(share * delta)
        };
        Ok(match self {
            NoiseFamily::Uniform => Box::new(Uniform::new(dim, s)?),
            NoiseFamily::Bernoulli { p: None } => Box::new(Bernoulli::symmetric(dim, s)?),
            NoiseFamily::Bernoulli { p: Some(p) } => Box::new(Bernoulli::asymmetric(dim, s, *p)?),
            NoiseFamily::Gaussian { truncation_share } => Box::new(Gaussian::isotropic(
                dim,
                s,
                Truncation::BoxMass(share_mass(*truncation_share)?),
            )?),
            NoiseFamily::CorrelatedGaussian {
                covariance,
                truncation_share,
            } => {
                if s.is_nan() || s <= 0.0 || !s.is_finite() {
                    return Err(Error::invalid("sigma", s, "the noise scale must be > 0"));
                }
                Box::new(CorrelatedGaussian::new(
                    covariance * (s * s),
                    Truncation::BoxMass(share_mass(*truncation_share)?),
                )?)
            }
        })
    }
}
