//! Monte Carlo check of a certificate with probabilistic intermediate bounds: top-1 changes and
//! the samples that leave the narrowed intervals, split by the first layer that fails.
//!
//! The certificate ([`super::ProbabilisticCertificate`]) rests on the decomposition
//!
//! ```text
//! P[top-1 changes] ≤ P[X ∉ B] + P[X ∈ B, some interval fails] + Σ_t P[a_t·X + b_t ≤ 0]
//! P[X ∈ B, some interval fails] = Σ_k P[X ∈ B, E_{<k}, layer k fails] ≤ charged
//! ```
//! where `E_{<k}` says that every layer input before `k` lies in its interval. This module
//! estimates each term from samples, so that each bound of the decomposition can be checked on
//! its own (Clopper–Pearson intervals; estimates, never certificates).

use super::MonteCarloReport;
use crate::noise::{NoiseModel, Region, clopper_pearson};
use crate::{Error, Float, LinearBounds, Network, Result};
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;

/// Whether `delta` lies in `region` enlarged by `tol` (absolute): samplers reach the law only up
/// to rounding (a correlated Gaussian's factor puts ~1e-17 on coordinates of zero variance).
fn in_region(region: &Region, delta: &[f64], tol: f64) -> bool {
    match region {
        Region::Box { lo, hi } => delta
            .iter()
            .zip(lo.iter().zip(hi))
            .all(|(d, (l, h))| *l - tol <= *d && *d <= *h + tol),
        Region::L2Ball { radius } => {
            delta.iter().map(|d| d * d).sum::<f64>().sqrt() <= radius + tol
        }
    }
}

/// The outcome of [`monte_carlo_intervals`] (estimates, not certificates).
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalsMonteCarloReport {
    /// Samples drawn.
    pub samples: u64,
    /// Top-1 changes, with their Clopper–Pearson interval.
    pub top1: MonteCarloReport,
    /// Samples with `Δ` in the noise region at which some layer input left its interval, with
    /// their Clopper–Pearson interval (compare with the charged mass).
    pub exits: MonteCarloReport,
    /// Per layer index: the samples (in the region) whose first failing layer input is that
    /// layer's.
    pub first_exit: Vec<u64>,
    /// Samples with `Δ` outside the noise region (compare with `P[X ∉ B]`).
    pub outside_region: u64,
}

/// Draws `samples` offsets of `noise` around `x0` (seeded; batches of
/// [`super::MONTE_CARLO_BATCH`]) and counts top-1 changes against `label`, samples outside the
/// noise region, and samples in the region at which the input of some non-linear layer leaves
/// its interval in `bounds` (by more than `tol`, absolute), by the first layer that fails. The
/// region is enlarged by `tol` too (samplers reach the law only up to rounding).
///
/// # Errors
/// [`Error::DimensionMismatch`] if `x0`, the noise or `bounds` do not fit the network;
/// [`Error::InvalidParameter`] for zero samples, a label out of range or a confidence outside
/// (0, 1).
#[allow(clippy::too_many_arguments)]
pub fn monte_carlo_intervals<T: Float, N: Network<T> + ?Sized>(
    net: &N,
    x0: &DVector<T>,
    label: usize,
    bounds: &LinearBounds<T>,
    noise: &dyn NoiseModel,
    samples: u64,
    confidence: f64,
    seed: u64,
    tol: f64,
) -> Result<IntervalsMonteCarloReport> {
    if noise.dim() != net.input_dim() || x0.len() != net.input_dim() {
        return Err(Error::mismatch(
            "Monte Carlo: x0 and noise dimension (= network input)",
            net.input_dim(),
            x0.len().min(noise.dim()),
        ));
    }
    if samples == 0 {
        return Err(Error::invalid(
            "samples",
            0.0,
            "at least one sample is needed",
        ));
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(Error::invalid(
            "confidence",
            confidence,
            "the confidence must lie in (0, 1)",
        ));
    }
    if label >= net.output_dim() {
        return Err(Error::invalid(
            "label",
            label as f64,
            "the label must be smaller than the number of outputs",
        ));
    }
    let layers = net.layers();
    let checked: Vec<Option<(Vec<f64>, Vec<f64>)>> = (0..layers.len())
        .map(|k| {
            bounds
                .layer_input_bounds(k)
                .filter(|_| !layers[k].is_linear())
                .map(|b| {
                    (
                        b.lower().iter().map(|v| v.as_f64() - tol).collect(),
                        b.upper().iter().map(|v| v.as_f64() + tol).collect(),
                    )
                })
        })
        .collect();
    for (k, c) in checked.iter().enumerate() {
        if let Some((lo, _)) = c
            && lo.len() != layers[k].input_dim()
        {
            return Err(Error::mismatch(
                format!("Monte Carlo: interval of layer {k}"),
                layers[k].input_dim(),
                lo.len(),
            ));
        }
    }
    let region = noise.region();
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let (mut changes, mut exits, mut outside) = (0u64, 0u64, 0u64);
    let mut first_exit = vec![0u64; layers.len()];
    let mut left = samples;
    let mut column = Vec::with_capacity(x0.len());
    while left > 0 {
        let n = usize::try_from(left.min(super::MONTE_CARLO_BATCH as u64))
            .unwrap_or(super::MONTE_CARLO_BATCH);
        let delta = noise.sample_batch(&mut rng, n);
        if delta.nrows() != x0.len() || delta.ncols() != n {
            return Err(Error::mismatch(
                "Monte Carlo: noise batch (rows)",
                x0.len(),
                delta.nrows(),
            ));
        }
        // Per sample: 0 = inside every interval so far, 1 = outside the region, 2 = exited.
        let mut state: Vec<u8> = delta
            .column_iter()
            .map(|c| {
                column.clear();
                column.extend(c.iter().copied());
                u8::from(!in_region(&region, &column, tol))
            })
            .collect();
        let mut y = DMatrix::from_fn(x0.len(), n, |k, j| {
            x0[k] + T::from_f64_rounded(delta[(k, j)])
        });
        for (k, layer) in layers.iter().enumerate() {
            if let Some((lo, hi)) = &checked[k] {
                for (j, col) in y.column_iter().enumerate() {
                    if state[j] != 0 {
                        continue;
                    }
                    let out = col
                        .iter()
                        .zip(lo.iter().zip(hi))
                        .any(|(v, (l, h))| !(v.as_f64() >= *l && v.as_f64() <= *h));
                    if out {
                        state[j] = 2;
                        first_exit[k] += 1;
                    }
                }
            }
            y = layer.forward_batch(&y);
        }
        for (j, col) in y.column_iter().enumerate() {
            let top = col[label];
            let changed = col
                .iter()
                .enumerate()
                .any(|(i, v)| i != label && (*v >= top || v.is_nan() || top.is_nan()));
            changes += u64::from(changed);
            exits += u64::from(state[j] == 2);
            outside += u64::from(state[j] == 1);
        }
        left -= n as u64;
    }
    let report = |count: u64| -> Result<MonteCarloReport> {
        Ok(MonteCarloReport {
            samples,
            changes: count,
            interval: clopper_pearson(count, samples, confidence)?,
            confidence,
        })
    };
    Ok(IntervalsMonteCarloReport {
        samples,
        top1: report(changes)?,
        exits: report(exits)?,
        first_exit,
        outside_region: outside,
    })
}
