//! Noise models: the probabilistic half of PROVEN.
//!
//! The random input is `X = x0 + Δ` with `Δ` drawn from a [`NoiseModel`]. A bound engine supplies
//! [`crate::LinearBounds`], `a_L·x + b_L ≤ C_r f(x) ≤ a_U·x + b_U` on a domain `B`; a noise model
//! turns a row `a` into a tail probability of `a·Δ`, and [`certify_rows`] combines both into
//! certified bounds on `P[C_r f(X) ≤ τ]`:
//!
//! ```text
//! P[C_r f(X) ≤ τ] ≤ P[a_L·X + b_L ≤ τ] + P[X ∉ B]          (certified upper bound)
//! P[C_r f(X) ≤ τ] ≥ P[a_U·X + b_U ≤ τ] − P[X ∉ B]          (certified lower bound)
//! P[a·X + b ≤ τ] = P[a·(Δ − EΔ) ≤ −s],  s = a·(x0 + EΔ) + b − τ
//! ```
//!
//! | model | support / region | Hoeffding | SubGaussian | Chernoff | Bernstein | Convolution | Exact | lower bound |
//! |---|---|---|---|---|---|---|---|---|
//! | [`Uniform`] | box `[−ε, ε]` | ✓ | ✓ (ε²/3) | ✓ | ✓ | ✓ | – | Convolution |
//! | [`Bernoulli`] | box | ✓ | ✓ (optimal) | ✓ | ✓ | ✓ | – | Convolution |
//! | [`BoundedIndependent`] | box `[lo, hi]` | ✓ | ✓ ((hi−lo)²/4) | ✓ (two-point) | ✓ | – | – | 0 |
//! | [`Gaussian`] | truncation box / ℓ2 ball | – | ✓ | ✓ | – | – | ✓ | Exact |
//! | [`CorrelatedGaussian`] | truncation box / ℓ2 ball | – | ✓ | ✓ | – | – | ✓ | Exact |
//!
//! [`TailBound::CltEstimate`] works for every model and is never certified. Unsupported
//! combinations return [`crate::Error::UnsupportedTailBound`].
//!
//! # Soundness
//! The certificates are exactly as good as the assumed noise law. Probabilities are computed in
//! `f64` with outward rounding of the formulas (see [`Probability`]); special functions (`erfc`,
//! the regularised incomplete gamma) are trusted to the relative accuracy stated where they are
//! used. Only the lower line of a bound certifies robustness; the upper line gives the converse.
//!
//! # Examples
//! ```
//! use proven::noise::{NoiseModel, TailBound, Uniform};
//! let noise = Uniform::new(4, 0.1).unwrap();
//! let a = [1.0, -2.0, 0.5, 1.0];
//! let h = noise.tail_upper(&a, 0.3, TailBound::Hoeffding).unwrap().certified().unwrap();
//! let c = noise.tail_upper(&a, 0.3, TailBound::Chernoff).unwrap().certified().unwrap();
//! assert!(c.value() <= h.value());
//! ```
//!
//! # References
//! T.-W. Weng, P.-Y. Chen, L. M. Nguyen, M. S. Squillante, A. Boopathy, I. Oseledets, L. Daniel,
//! *PROVEN: Verifying Robustness of Neural Networks with a Probabilistic Approach*, ICML 2019.

mod batched;
mod bernoulli;
mod bounded;
mod certificate;
mod clopper_pearson;
mod closed_form;
mod column_major;
mod convolution;
mod correlated_gaussian;
mod deficit;
mod gaussian;
mod laws;
mod probability;
mod region;
mod tail_bound;
mod tails;
mod truncation;
mod uniform;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_batched;
#[cfg(test)]
mod tests_cert;

pub use bernoulli::Bernoulli;
pub use bounded::BoundedIndependent;
pub(crate) use certificate::rows_on_region;
pub use certificate::{RowCertificate, Top1Certificate, certify_rows, check_domain, top1};
pub use clopper_pearson::clopper_pearson;
pub use closed_form::{ClosedForm, Profile, Spread, row_dots};
pub use column_major::ColumnMajor;
pub use correlated_gaussian::CorrelatedGaussian;
pub use deficit::{DeficitSolver, chernoff_deficit, deficit};
pub use gaussian::Gaussian;
pub use probability::{Probability, TailValue};
pub use region::Region;
pub use tail_bound::{
    DEFAULT_CONVOLUTION_CELLS, TailBound, gaussian_multiplier, hoeffding_multiplier,
    uniform_subgaussian_multiplier,
};
pub use truncation::{Truncation, box_mass, box_sigmas_for_mass, l2_mass, l2_radius_for_mass};
pub use uniform::Uniform;

use crate::Result;
use nalgebra::DMatrix;
use std::fmt::Debug;

/// A law of additive input noise `Δ` (`X = x0 + Δ`), independent of any network.
///
/// Object safe: certifiers take `&dyn NoiseModel`.
///
/// # Contract
/// - [`NoiseModel::tail_upper`] returns a certified **upper** bound on
///   `P[a·(Δ − EΔ) ≤ −s]` (or an estimate for [`TailBound::CltEstimate`]),
/// - [`NoiseModel::tail_lower`] a certified **lower** bound on the same probability,
/// - the linear bounds must hold on `x0 + region()`; the noise leaves that region with probability
///   at most [`NoiseModel::mass_outside`] (0 for bounded noise).
pub trait NoiseModel: Send + Sync + Debug {
    /// Dimension `d` of `Δ`.
    fn dim(&self) -> usize;

    /// A short name (`"uniform"`, `"gaussian"`, …).
    fn name(&self) -> &'static str;

    /// A one-line description with the parameters.
    fn describe(&self) -> String;

    /// The mean offset `E[Δ]` per coordinate.
    fn mean(&self) -> Vec<f64>;

    /// `Var(Δ_k)` per coordinate, where known (an upper bound for [`BoundedIndependent`] without
    /// given variances).
    fn variance(&self) -> Option<Vec<f64>>;

    /// The set of offsets on which the linear bounds must hold: the support of bounded noise, the
    /// chosen truncation region of Gaussian noise.
    fn region(&self) -> Region;

    /// [`Region::cube_half_width`] of [`NoiseModel::region`] without building the region's
    /// vectors: `Some(h)` when the region is the cube `[−h, h]^d`, so that the bounds can be
    /// computed on the ℓ∞ ball of radius `h` around `x0`. An override must return what the
    /// default does (at the least, an `h` with `‖Δ‖∞ ≤ h` on the whole region).
    fn cube_half_width(&self) -> Option<f64> {
        self.region().cube_half_width()
    }

    /// Certified upper bound on `P[Δ ∉ region()]` (zero for bounded noise).
    fn mass_outside(&self) -> Probability;

    /// Draws one `Δ` (for Monte Carlo validation).
    fn sample(&self, rng: &mut dyn rand::Rng) -> Vec<f64>;

    /// Draws `n` offsets as the columns of a `dim × n` matrix (batched Monte Carlo). The default
    /// calls [`NoiseModel::sample`] `n` times; an override must give the same law (the built-in
    /// correlated Gaussian multiplies its factor with all `n` standard normal columns at once).
    fn sample_batch(&self, rng: &mut dyn rand::Rng, n: usize) -> DMatrix<f64> {
        let d = self.dim();
        let mut out = DMatrix::zeros(d, n);
        for mut col in out.column_iter_mut() {
            let delta = self.sample(rng);
            col.copy_from_slice(&delta);
        }
        out
    }

    /// Upper bound on `P[a·(Δ − EΔ) ≤ −s]`, `s ≥ 0`, by `method`.
    ///
    /// # Errors
    /// [`crate::Error::UnsupportedTailBound`] if `method` is not valid for this model;
    /// [`crate::Error::DimensionMismatch`], [`crate::Error::NonFinite`] or
    /// [`crate::Error::InvalidParameter`] for a bad row or `s`.
    fn tail_upper(&self, a: &[f64], s: f64, method: TailBound) -> Result<TailValue>;

    /// Certified lower bound on `P[a·(Δ − EΔ) ≤ −s]`, `s ≥ 0`.
    ///
    /// Methods that give no anti-concentration (all exponential bounds,
    /// [`TailBound::gives_lower_bound`] false) must return the trivial bound 0 for a valid row:
    /// callers skip the call for them. [`TailBound::Exact`] (Gaussian) and
    /// [`TailBound::Convolution`] (uniform, Bernoulli) give real lower bounds.
    ///
    /// # Errors
    /// As [`NoiseModel::tail_upper`] for a bad row.
    fn tail_lower(&self, a: &[f64], s: f64, method: TailBound) -> Result<Probability>;

    /// [`NoiseModel::tail_upper`] of every row `a_r` of the `rows × d` matrix `a` at `s[r]`.
    ///
    /// The default calls `tail_upper` row by row. An override reads the matrix as it likes, but must return, row for row, a valid upper bound by `method` and an error
    /// wherever the one-row call errs. [`Uniform`] and [`Bernoulli`] read it once for the
    /// sub-Gaussian and Hoeffding tails.
    ///
    /// # Errors
    /// [`crate::Error::DimensionMismatch`] unless `s` has one entry per row; otherwise the first
    /// error of the one-row calls.
    ///
    /// # Examples
    /// ```
    /// use nalgebra::DMatrix;
    /// use proven::noise::{ColumnMajor, NoiseModel, TailBound, Uniform};
    /// let noise = Uniform::new(3, 0.1).unwrap();
    /// let a = DMatrix::from_row_slice(2, 3, &[1.0, -2.0, 0.5, 0.0, 1.0, 1.0]);
    /// let many = noise.tail_upper_rows(ColumnMajor::from(&a), &[0.2, 0.1], TailBound::Hoeffding).unwrap();
    /// let one = noise.tail_upper(&[1.0, -2.0, 0.5], 0.2, TailBound::Hoeffding).unwrap();
    /// let (p, q) = (many[0].certified().unwrap(), one.certified().unwrap());
    /// assert!((p.ln() - q.ln()).abs() < 1e-12);
    /// ```
    fn tail_upper_rows(
        &self,
        a: ColumnMajor<'_>,
        s: &[f64],
        method: TailBound,
    ) -> Result<Vec<TailValue>> {
        batched::row_by_row(a, s, |row, s| self.tail_upper(row, s, method))
    }

    /// [`NoiseModel::tail_lower`] of every row of `a` at `s[r]`; the default and the contract as
    /// in [`NoiseModel::tail_upper_rows`].
    ///
    /// # Errors
    /// As [`NoiseModel::tail_upper_rows`].
    fn tail_lower_rows(
        &self,
        a: ColumnMajor<'_>,
        s: &[f64],
        method: TailBound,
    ) -> Result<Vec<Probability>> {
        batched::row_by_row(a, s, |row, s| self.tail_lower(row, s, method))
    }

    /// The closed-form inverse of `method` ([`ClosedForm`]: a spread of the row and a profile),
    /// if it has one, so that deficits cost `O(d)` per row without bisection
    /// ([`DeficitSolver`]). `None` (the default) means: invert [`NoiseModel::tail_upper`]
    /// numerically. An override must be consistent with `tail_upper`: the closed-form deficit
    /// at budget `d` must have a certified tail of at most `d`.
    fn closed_form(&self, method: TailBound) -> Option<ClosedForm> {
        let _ = method;
        None
    }

    /// A certified upper bound on the cumulant `Ψ(λ) = ln E exp(−λ·a·(Δ − EΔ))` at `λ > 0`,
    /// with `Ψ'(λ)` (need not be rounded), for Chernoff deficits ([`chernoff_deficit`]):
    /// `s = (Ψ(λ) + ln(1/d))/λ` is a valid deficit at budget `d` for every `λ > 0`.
    /// `None` (the default) where no moment generating function is known.
    fn cumulant(&self, a: &[f64], lambda: f64) -> Option<(f64, f64)> {
        let _ = (a, lambda);
        None
    }
}

/// A standard normal draw (Box–Muller).
pub(crate) fn standard_normal(rng: &mut dyn rand::Rng) -> f64 {
    use rand::RngExt;
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Fills `out` with independent standard normal draws, using both outputs of each Box–Muller
/// pair (half the logarithms and square roots of [`standard_normal`]; for batched sampling).
pub(crate) fn fill_standard_normal(rng: &mut dyn rand::Rng, out: &mut [f64]) {
    use rand::RngExt;
    let mut chunks = out.chunks_exact_mut(2);
    for pair in &mut chunks {
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random::<f64>();
        let r = (-2.0 * u1.ln()).sqrt();
        let (sin, cos) = (2.0 * std::f64::consts::PI * u2).sin_cos();
        pair[0] = r * cos;
        pair[1] = r * sin;
    }
    for last in chunks.into_remainder() {
        *last = standard_normal(rng);
    }
}

/// Validates a dimension (`d ≥ 1`).
pub(crate) fn check_dim(dim: usize) -> Result<()> {
    if dim == 0 {
        return Err(crate::Error::invalid(
            "dim",
            0.0,
            "the noise dimension must be at least 1",
        ));
    }
    Ok(())
}

/// Validates a strictly positive finite scale parameter.
pub(crate) fn check_positive(name: &'static str, v: f64) -> Result<()> {
    if v.is_nan() || v <= 0.0 || v.is_infinite() {
        return Err(crate::Error::invalid(name, v, "must be finite and > 0"));
    }
    Ok(())
}
