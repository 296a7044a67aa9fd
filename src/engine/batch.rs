//! Bounds for many inputs at once, in parallel across inputs (rayon).
//!
//! Each job is an independent [`compute_bounds`] call, so the results are exactly those of the
//! calls made one by one (same lines, same bits); only the wall time changes. The work is spread
//! over rayon's global pool (`RAYON_NUM_THREADS` sets its size).

use super::{Method, compute_bounds};
use crate::{Float, InputDomain, LinearBounds, Network, Result};
use nalgebra::DMatrix;
use rayon::prelude::*;

/// One input of a batch: a domain and an optional specification (`None` = identity).
#[derive(Debug, Clone)]
pub struct BatchJob<T: Float> {
    /// The input domain.
    pub domain: InputDomain<T>,
    /// The specification `C` (for example margins), or `None` for the raw outputs.
    pub spec: Option<DMatrix<T>>,
}

/// [`compute_bounds`] for every job, in parallel; result `i` belongs to job `i`.
///
/// # Examples
/// ```
/// use proven::engine::{compute_bounds_batch, BatchJob};
/// use proven::layers::Dense;
/// use proven::{InputDomain, Method, Norm, Sequential};
/// use nalgebra::{DMatrix, DVector};
/// let net = Sequential::new(vec![Box::new(
///     Dense::new(DMatrix::from_row_slice(1, 2, &[1.0, -1.0]), DVector::zeros(1)).unwrap(),
/// )])
/// .unwrap();
/// let jobs: Vec<BatchJob<f64>> = (0..4)
///     .map(|i| BatchJob {
///         domain: InputDomain::ball(DVector::from_vec(vec![i as f64, 0.0]), 0.5, Norm::LInf).unwrap(),
///         spec: None,
///     })
///     .collect();
/// let out = compute_bounds_batch(&net, &jobs, &Method::crown());
/// assert!((out[3].as_ref().unwrap().lower_bounds()[0] - 2.0).abs() < 1e-12);
/// ```
pub fn compute_bounds_batch<T: Float, N: Network<T> + ?Sized>(
    net: &N,
    jobs: &[BatchJob<T>],
    method: &Method,
) -> Vec<Result<LinearBounds<T>>> {
    jobs.par_iter()
        .map(|job| compute_bounds(net, &job.domain, job.spec.as_ref(), method))
        .collect()
}
