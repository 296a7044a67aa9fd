//! Monte Carlo validation of probabilistic certificates.
//!
//! Draws `n` noise samples, runs the forward pass on `x0 + Δ` and counts events: top-1 changes
//! ([`monte_carlo_top1`]) or, per row `r` of a specification matrix `C`, the samples with
//! `C_r f(x0 + Δ) ≤ τ` ([`monte_carlo_rows`]). Each count comes with the Clopper–Pearson interval
//! of the event's probability. A certified bound is *consistent* with the sample when it is not
//! refuted at the chosen confidence:
//!
//! ```text
//! certified upper bound  ≥  lower end of the interval
//! certified lower bound  ≤  upper end of the interval
//! ```
//!
//! Everything here is a statistical **estimate**, never a certificate: a consistent bound can
//! still be wrong, and at confidence `1 − α` a correct bound is flagged with probability at most
//! `α/2` per check.
//!
//! Samples are drawn and evaluated in batches of [`MONTE_CARLO_BATCH`] columns
//! ([`NoiseModel::sample_batch`], [`Network::forward_batch`]), so a dense layer does one
//! matrix–matrix product per batch. Runs are seeded and repeatable: the generator is `rand`'s
//! fast non-cryptographic `SmallRng`, seeded with `seed_from_u64` (its stream may change with
//! the `rand` version).
//!
//! # References
//! Clopper & Pearson, *The use of confidence or fiducial limits illustrated in the case of the
//! binomial*, Biometrika 1934.

use crate::noise::{NoiseModel, RowCertificate, Top1Certificate, clopper_pearson};
use crate::{Error, Float, Network, Result};
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;

/// Number of samples evaluated together (one column each) in the batched forward pass.
pub const MONTE_CARLO_BATCH: usize = 1024;

/// The outcome of a Monte Carlo run for one event (an estimate, not a certificate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonteCarloReport {
    /// Number of noise samples.
    pub samples: u64,
    /// Samples in which the event occurred (for [`monte_carlo_top1`]: the top-1 class differs
    /// from the label).
    pub changes: u64,
    /// Clopper–Pearson interval of the event's probability.
    pub interval: (f64, f64),
    /// Its confidence level.
    pub confidence: f64,
}

impl MonteCarloReport {
    /// The empirical rate `changes / samples` (an estimate).
    pub fn rate(&self) -> f64 {
        self.changes as f64 / self.samples as f64
    }

    /// Whether a certified upper bound `bound` on the event's probability is consistent with the
    /// sample (not below the lower end of the interval).
    pub fn consistent_with(&self, bound: f64) -> bool {
        bound >= self.interval.0
    }

    /// Whether a certified lower bound `bound` on the event's probability is consistent with the
    /// sample (not above the upper end of the interval).
    pub fn consistent_with_lower(&self, bound: f64) -> bool {
        bound <= self.interval.1
    }

    fn new(changes: u64, samples: u64, confidence: f64) -> Result<Self> {
        Ok(Self {
            samples,
            changes,
            interval: clopper_pearson(changes, samples, confidence)?,
            confidence,
        })
    }
}

/// The outcome of [`monte_carlo_rows`]: per-row estimates of `P[C_r f(X) ≤ τ]` and of the union
/// `P[some row ≤ τ]` (estimates, not certificates).
#[derive(Debug, Clone, PartialEq)]
pub struct RowsMonteCarloReport {
    /// The threshold τ.
    pub tau: f64,
    /// Per row `r`, in order: the samples with `C_r f(x0 + Δ) ≤ τ` and their interval.
    pub rows: Vec<MonteCarloReport>,
    /// The samples with at least one row `≤ τ`. For margin rows `f_c − f_t` and `τ = 0` these
    /// are exactly the top-1 changes of [`monte_carlo_top1`] (ties count).
    pub union: MonteCarloReport,
}

impl RowsMonteCarloReport {
    /// Number of noise samples.
    pub fn samples(&self) -> u64 {
        self.union.samples
    }

    /// The rows whose certificate the sample refutes: `upper` below the interval's lower end or
    /// `lower` above its upper end. Empty when every row is consistent. Certificates are matched
    /// to estimates by [`RowCertificate::row`].
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `row` for a certificate whose row is out of range.
    pub fn inconsistent_rows<'c>(
        &self,
        certificates: &'c [RowCertificate],
    ) -> Result<Vec<&'c RowCertificate>> {
        let mut bad = Vec::new();
        for c in certificates {
            let est = self.rows.get(c.row).ok_or_else(|| {
                Error::invalid("row", c.row as f64, "no Monte Carlo estimate for this row")
            })?;
            if !est.consistent_with(c.upper.value()) || !est.consistent_with_lower(c.lower.value())
            {
                bad.push(c);
            }
        }
        Ok(bad)
    }

    /// Whether a top-1 (union) certificate is consistent with the union count: its failure bound
    /// is not below the interval's lower end.
    pub fn consistent_with_top1(&self, certificate: &Top1Certificate) -> bool {
        self.union.consistent_with(certificate.failure.value())
    }
}

fn check_run<T: Float, N: Network<T> + ?Sized>(
    net: &N,
    x0: &DVector<T>,
    noise: &dyn NoiseModel,
    samples: u64,
    confidence: f64,
) -> Result<()> {
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
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(Error::invalid(
            "confidence",
            confidence,
            "the confidence must lie in (0, 1)",
        ));
    }
    Ok(())
}

/// Draws `samples` offsets in batches, evaluates `f(x0 + Δ)` and hands every output batch
/// (one column per sample) to `visit`.
fn run_batches<T: Float, N: Network<T> + ?Sized>(
    net: &N,
    x0: &DVector<T>,
    noise: &dyn NoiseModel,
    samples: u64,
    seed: u64,
    mut visit: impl FnMut(&DMatrix<T>),
) -> Result<()> {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let mut left = samples;
    while left > 0 {
        let n = usize::try_from(left.min(MONTE_CARLO_BATCH as u64)).unwrap_or(MONTE_CARLO_BATCH);
        let delta = noise.sample_batch(&mut rng, n);
        if delta.nrows() != x0.len() || delta.ncols() != n {
            return Err(Error::mismatch(
                format!("Monte Carlo: noise batch of {n} samples (rows)"),
                x0.len(),
                delta.nrows(),
            ));
        }
        let x = DMatrix::from_fn(x0.len(), n, |k, j| {
            x0[k] + T::from_f64_rounded(delta[(k, j)])
        });
        let y = net.forward_batch(&x)?;
        visit(&y);
        left -= n as u64;
    }
    Ok(())
}

/// Estimates `P[argmax f(x0 + Δ) ≠ label]` from `samples` draws of `noise` (seeded, so runs are
/// repeatable). Ties and NaN outputs count as changes. The result is an estimate with its
/// Clopper–Pearson interval, never a certificate.
///
/// # Errors
/// [`Error::DimensionMismatch`] if `x0` or the noise does not fit the network;
/// [`Error::InvalidParameter`] for zero samples, a label out of range, or a confidence outside
/// (0, 1).
///
/// # Examples
/// ```
/// use proven::certify::monte_carlo_top1;
/// use proven::layers::Dense;
/// use proven::noise::Uniform;
/// use proven::Sequential;
/// use nalgebra::{DMatrix, DVector};
/// // Margin f0 − f1 = x0 − 0.5: under uniform noise on [−1, 1] it is ≤ 0 with probability 3/4.
/// let net = Sequential::new(vec![Box::new(
///     Dense::new(DMatrix::from_row_slice(2, 1, &[1.0, 0.0]), DVector::from_vec(vec![0.0, 0.5])).unwrap(),
/// ) as Box<dyn proven::Layer<f64>>]).unwrap();
/// let noise = Uniform::new(1, 1.0).unwrap();
/// let mc = monte_carlo_top1(&net, &DVector::from_vec(vec![0.0]), 0, &noise, 20_000, 0.999, 7).unwrap();
/// assert_eq!(mc.samples, 20_000);
/// assert!(mc.interval.0 < 0.75 && 0.75 < mc.interval.1);
/// ```
pub fn monte_carlo_top1<T: Float, N: Network<T> + ?Sized>(
    net: &N,
    x0: &DVector<T>,
    label: usize,
    noise: &dyn NoiseModel,
    samples: u64,
    confidence: f64,
    seed: u64,
) -> Result<MonteCarloReport> {
    check_run(net, x0, noise, samples, confidence)?;
    if label >= net.output_dim() {
        return Err(Error::invalid(
            "label",
            label as f64,
            "the label must be smaller than the number of outputs",
        ));
    }
    let mut changes = 0u64;
    run_batches(net, x0, noise, samples, seed, |y| {
        for col in y.column_iter() {
            let top = col[label];
            let changed = col
                .iter()
                .enumerate()
                .any(|(j, v)| j != label && (*v >= top || v.is_nan() || top.is_nan()));
            if changed {
                changes += 1;
            }
        }
    })?;
    MonteCarloReport::new(changes, samples, confidence)
}

/// Estimates, for every row `r` of the specification `spec` (rows × outputs, for example
/// [`crate::Specification::margins`]), `P[C_r f(x0 + Δ) ≤ τ]`, and the probability that at least
/// one row is `≤ τ`, from `samples` draws of `noise` (seeded). These are the events whose
/// probabilities [`crate::noise::certify_rows`] bounds from above (`RowCertificate::upper`) and
/// below (`RowCertificate::lower`), and whose union [`crate::noise::top1`] bounds; check them
/// with [`RowsMonteCarloReport::inconsistent_rows`] and
/// [`RowsMonteCarloReport::consistent_with_top1`].
///
/// `C_r f` is computed in `T` for the whole batch (`C·Y`); a NaN value counts as `≤ τ`. The
/// results are estimates with Clopper–Pearson intervals, never certificates.
///
/// # Errors
/// [`Error::DimensionMismatch`] if `x0`, the noise or `spec` does not fit the network (or `spec`
/// has no rows); [`Error::InvalidParameter`] for zero samples, a non-finite `τ` or a confidence
/// outside (0, 1); [`Error::NonFinite`] for a non-finite entry of `spec`.
///
/// # Examples
/// ```
/// use proven::certify::monte_carlo_rows;
/// use proven::layers::Dense;
/// use proven::noise::Uniform;
/// use proven::{Sequential, Specification};
/// use nalgebra::{DMatrix, DVector};
/// // Outputs (x, 0.5, −x): margins of label 0 are x − 0.5 and 2x.
/// let net = Sequential::new(vec![Box::new(
///     Dense::new(DMatrix::from_row_slice(3, 1, &[1.0, 0.0, -1.0]), DVector::from_vec(vec![0.0, 0.5, 0.0])).unwrap(),
/// ) as Box<dyn proven::Layer<f64>>]).unwrap();
/// let spec = Specification::margins::<f64>(3, 0).unwrap();
/// let noise = Uniform::new(1, 1.0).unwrap();
/// let mc = monte_carlo_rows(&net, &DVector::from_vec(vec![0.0]), &spec, 0.0, &noise, 20_000, 0.999, 7).unwrap();
/// assert!(mc.rows[0].interval.0 < 0.75 && 0.75 < mc.rows[0].interval.1); // P[x ≤ 0.5]
/// assert!(mc.rows[1].interval.0 < 0.5 && 0.5 < mc.rows[1].interval.1);   // P[x ≤ 0]
/// assert_eq!(mc.union.changes, mc.rows[0].changes);                      // {x ≤ 0} ⊂ {x ≤ 0.5}
/// ```
#[allow(clippy::too_many_arguments)]
pub fn monte_carlo_rows<T: Float, N: Network<T> + ?Sized>(
    net: &N,
    x0: &DVector<T>,
    spec: &DMatrix<T>,
    tau: f64,
    noise: &dyn NoiseModel,
    samples: u64,
    confidence: f64,
    seed: u64,
) -> Result<RowsMonteCarloReport> {
    check_run(net, x0, noise, samples, confidence)?;
    if spec.ncols() != net.output_dim() {
        return Err(Error::mismatch(
            "Monte Carlo: specification columns (= network outputs)",
            net.output_dim(),
            spec.ncols(),
        ));
    }
    if spec.nrows() == 0 {
        return Err(Error::mismatch("Monte Carlo: specification rows", 1, 0));
    }
    if let Some(index) = spec.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            context: "Monte Carlo: specification matrix (column-major)".into(),
            index,
            value: spec[index].as_f64(),
        });
    }
    if !tau.is_finite() {
        return Err(Error::invalid("tau", tau, "the threshold must be finite"));
    }
    let mut hits = vec![0u64; spec.nrows()];
    let mut any = 0u64;
    run_batches(net, x0, noise, samples, seed, |y| {
        let margins = spec * y;
        for col in margins.column_iter() {
            let mut hit_any = false;
            for (r, v) in col.iter().enumerate() {
                let v = v.as_f64();
                if v <= tau || v.is_nan() {
                    hits[r] += 1;
                    hit_any = true;
                }
            }
            if hit_any {
                any += 1;
            }
        }
    })?;
    let rows = hits
        .into_iter()
        .map(|k| MonteCarloReport::new(k, samples, confidence))
        .collect::<Result<Vec<_>>>()?;
    Ok(RowsMonteCarloReport {
        tau,
        rows,
        union: MonteCarloReport::new(any, samples, confidence)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::{ActivationLayer, Dense};
    use crate::noise::{CorrelatedGaussian, Truncation, Uniform};
    use crate::{Activation, Layer, Sequential, Specification};

    fn net() -> Sequential<f64> {
        let w1 = DMatrix::from_fn(5, 3, |i, j| ((i * 3 + j) as f64 * 0.7).sin());
        let w2 = DMatrix::from_fn(3, 5, |i, j| ((i * 5 + j) as f64 * 1.3).cos());
        Sequential::new(vec![
            Box::new(Dense::new(w1, DVector::from_element(5, 0.1)).unwrap()) as Box<dyn Layer<f64>>,
            Box::new(ActivationLayer::new(5, Activation::Relu).unwrap()),
            Box::new(Dense::new(w2, DVector::zeros(3)).unwrap()),
        ])
        .unwrap()
    }

    /// The batched run counts exactly what a one-sample-at-a-time loop with the same draws
    /// counts.
    #[test]
    fn batched_counts_match_a_sample_by_sample_loop() {
        let net = net();
        let x0 = DVector::from_vec(vec![0.3, -0.2, 0.5]);
        let label = 0;
        let noise = Uniform::new(3, 0.8).unwrap();
        let n = 3000u64; // not a multiple of the batch size
        let mc = monte_carlo_top1(&net, &x0, label, &noise, n, 0.99, 11).unwrap();
        let spec = Specification::margins::<f64>(3, label).unwrap();
        let rows = monte_carlo_rows(&net, &x0, &spec, 0.0, &noise, n, 0.99, 11).unwrap();
        let mut rng = rand::rngs::SmallRng::seed_from_u64(11);
        let (mut changes, mut per_row) = (0u64, [0u64; 2]);
        for _ in 0..n {
            let d = noise.sample(&mut rng);
            let y = net.forward(&(&x0 + DVector::from_vec(d))).unwrap();
            let m = [y[0] - y[1], y[0] - y[2]];
            for (r, v) in m.iter().enumerate() {
                per_row[r] += u64::from(*v <= 0.0);
            }
            changes += u64::from(m.iter().any(|v| *v <= 0.0));
        }
        assert!(changes > 0 && changes < n, "{changes}");
        assert_eq!(mc.changes, changes);
        assert_eq!(rows.union.changes, changes);
        assert_eq!([rows.rows[0].changes, rows.rows[1].changes], per_row);
        assert_eq!(rows.samples(), n);
    }

    /// The bounded laws' batch draws are exactly the draws of repeated `sample` calls.
    #[test]
    fn bounded_batches_equal_repeated_single_draws() {
        use crate::noise::{Bernoulli, BoundedIndependent};
        let laws: Vec<Box<dyn NoiseModel>> = vec![
            Box::new(Uniform::new(5, 0.3).unwrap()),
            Box::new(Bernoulli::symmetric(5, 0.3).unwrap()),
            Box::new(Bernoulli::asymmetric(5, 0.3, 0.2).unwrap()),
            Box::new(
                BoundedIndependent::new(vec![-0.1, -0.2, -0.3, 0.0, -1.0], vec![0.2; 5])
                    .unwrap()
                    .with_means(vec![0.0, 0.0, 0.1, 0.1, -0.5])
                    .unwrap(),
            ),
        ];
        for law in &laws {
            let mut a = rand::rngs::SmallRng::seed_from_u64(3);
            let mut b = rand::rngs::SmallRng::seed_from_u64(3);
            let batch = law.sample_batch(&mut a, 7);
            for j in 0..7 {
                assert_eq!(batch.column(j).as_slice(), law.sample(&mut b).as_slice());
            }
        }
    }

    #[test]
    fn gaussian_batch_has_the_variance() {
        use crate::noise::Gaussian;
        let g = Gaussian::diagonal(vec![1.0, 2.0, 0.5], Truncation::BoxSigmas(6.0)).unwrap();
        let mut rng = rand::rngs::SmallRng::seed_from_u64(8);
        let z = g.sample_batch(&mut rng, 40_001);
        let n = z.ncols() as f64;
        let c = |a: usize, b: usize| z.row(a).dot(&z.row(b)) / n;
        for (k, v) in [1.0, 4.0, 0.25].iter().enumerate() {
            assert!((c(k, k) / v - 1.0).abs() < 0.03, "{k}: {}", c(k, k));
        }
        // Coordinates 0 and 1 are the two outputs of one Box–Muller pair: uncorrelated.
        assert!(
            c(0, 1).abs() < 0.05 && c(1, 2).abs() < 0.03,
            "{} {}",
            c(0, 1),
            c(1, 2)
        );
    }

    #[test]
    fn correlated_batch_has_the_covariance() {
        let cov = DMatrix::from_row_slice(2, 2, &[1.0, 0.8, 0.8, 2.0]);
        let g = CorrelatedGaussian::new(cov, Truncation::BoxSigmas(6.0)).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let z = g.sample_batch(&mut rng, 40_000);
        let n = z.ncols() as f64;
        let c = |a: usize, b: usize| z.row(a).dot(&z.row(b)) / n;
        assert!((c(0, 0) - 1.0).abs() < 0.05 && (c(1, 1) - 2.0).abs() < 0.08);
        assert!((c(0, 1) - 0.8).abs() < 0.05, "{}", c(0, 1));
    }

    #[test]
    fn rejects_bad_arguments() {
        let net = net();
        let x0 = DVector::zeros(3);
        let noise = Uniform::new(3, 0.1).unwrap();
        let spec = Specification::margins::<f64>(3, 0).unwrap();
        let rows = |s: &DMatrix<f64>, tau: f64, n: u64, conf: f64| {
            monte_carlo_rows(&net, &x0, s, tau, &noise, n, conf, 1)
        };
        assert!(matches!(
            rows(&spec, 0.0, 0, 0.9),
            Err(Error::InvalidParameter {
                name: "samples",
                ..
            })
        ));
        assert!(matches!(
            rows(&spec, f64::NAN, 10, 0.9),
            Err(Error::InvalidParameter { name: "tau", .. })
        ));
        assert!(matches!(
            rows(&spec, 0.0, 10, 1.0),
            Err(Error::InvalidParameter {
                name: "confidence",
                ..
            })
        ));
        assert!(matches!(
            rows(&DMatrix::zeros(1, 2), 0.0, 10, 0.9),
            Err(Error::DimensionMismatch { .. })
        ));
        let mut nan = spec.clone();
        nan[(1, 1)] = f64::NAN;
        assert!(matches!(
            rows(&nan, 0.0, 10, 0.9),
            Err(Error::NonFinite { index: 3, .. })
        ));
        assert!(matches!(
            monte_carlo_top1(&net, &x0, 3, &noise, 10, 0.9, 1),
            Err(Error::InvalidParameter { name: "label", .. })
        ));
        let wrong = Uniform::new(2, 0.1).unwrap();
        assert!(matches!(
            monte_carlo_top1(&net, &x0, 0, &wrong, 10, 0.9, 1),
            Err(Error::DimensionMismatch { .. })
        ));
    }
}
