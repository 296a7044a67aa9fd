//! Monte Carlo validation of probabilistic certificates.
//!
//! Draws `n` noise samples, runs the forward pass on `x0 + Δ`, counts top-1 changes `k`, and
//! gives the Clopper–Pearson interval of the change rate. A certified violation bound `v` is
//! *consistent* with the sample when `v` is not below the interval's lower end: a bound below it
//! would be refuted at the chosen confidence. This is a statistical check (an estimate), never a
//! certificate.
//!
//! # References
//! Clopper & Pearson, *The use of confidence or fiducial limits illustrated in the case of the
//! binomial*, Biometrika 1934.

use crate::noise::{NoiseModel, clopper_pearson};
use crate::{Error, Float, Network, Result};
use nalgebra::DVector;
use rand::SeedableRng;

/// The outcome of a Monte Carlo run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonteCarloReport {
    /// Number of noise samples.
    pub samples: u64,
    /// Samples whose top-1 class differs from the label.
    pub changes: u64,
    /// Clopper–Pearson interval of the change probability.
    pub interval: (f64, f64),
    /// Its confidence level.
    pub confidence: f64,
}

impl MonteCarloReport {
    /// The empirical change rate `changes / samples` (an estimate).
    pub fn rate(&self) -> f64 {
        self.changes as f64 / self.samples as f64
    }

    /// Whether a certified upper bound `bound` on the change probability is consistent with the
    /// sample (not below the lower end of the interval).
    pub fn consistent_with(&self, bound: f64) -> bool {
        bound >= self.interval.0
    }
}

/// Estimates `P[argmax f(x0 + Δ) ≠ label]` from `samples` draws of `noise` (seeded, so runs are
/// repeatable). Ties count as changes.
///
/// # Errors
/// [`Error::DimensionMismatch`] if `x0` or the noise does not fit the network;
/// [`Error::InvalidParameter`] for zero samples or a confidence outside (0, 1).
pub fn monte_carlo_top1<T: Float, N: Network<T> + ?Sized>(
    net: &N,
    x0: &DVector<T>,
    label: usize,
    noise: &dyn NoiseModel,
    samples: u64,
    confidence: f64,
    seed: u64,
) -> Result<MonteCarloReport> {
    if noise.dim() != net.input_dim() || x0.len() != net.input_dim() {
        return Err(Error::mismatch(
            "Monte Carlo: x0 and noise dimension (= network input)",
            net.input_dim(),
            if x0.len() != net.input_dim() {
                x0.len()
            } else {
                noise.dim()
            },
        ));
    }
    if samples == 0 {
        return Err(Error::invalid(
            "samples",
            0.0,
            "at least one sample is needed",
        ));
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut changes = 0u64;
    let mut x = x0.clone();
    for _ in 0..samples {
        let delta = noise.sample(&mut rng);
        for (k, d) in delta.iter().enumerate() {
            x[k] = x0[k] + T::from_f64_rounded(*d);
        }
        let y = net.forward(&x)?;
        let top = y[label];
        let changed = y
            .iter()
            .enumerate()
            .any(|(j, v)| j != label && (*v >= top || v.is_nan()));
        if changed {
            changes += 1;
        }
    }
    let interval = clopper_pearson(changes, samples, confidence)?;
    Ok(MonteCarloReport {
        samples,
        changes,
        interval,
        confidence,
    })
}
