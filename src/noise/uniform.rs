//! [`Uniform`]: i.i.d. uniform noise on the ℓ∞ box of radius ε.

use super::laws::CoordLaw;
use super::tails::{bounded_cumulant, bounded_lower, bounded_upper_iid, check_row};
use super::{NoiseModel, Probability, Region, TailBound, TailValue, check_dim, check_positive};
use crate::Result;
use rand::RngExt;

/// Independent uniform noise `Δ_k ~ U[−ε, ε]`, `k = 1..d`.
///
/// ```text
/// E Δ_k = 0,  Var Δ_k = ε²/3,  support [−ε, ε]^d
/// MGF  E e^{tΔ_k} = sinh(tε)/(tε) ≤ exp(t²ε²/6)       (strictly sub-Gaussian)
/// Hoeffding:     P[a·Δ ≤ −s] ≤ exp(−s² / (2ε²‖a‖₂²))
/// sub-Gaussian:  P[a·Δ ≤ −s] ≤ exp(−3s² / (2ε²‖a‖₂²))
/// ```
///
/// # Examples
/// ```
/// use proven::noise::{NoiseModel, TailBound, Uniform};
/// let u = Uniform::new(3, 0.5).unwrap();
/// // exp(−3s²/(2ε²‖a‖²)) = exp(−2.88) ≈ 0.056
/// let p = u.tail_upper(&[1.0, 1.0, 1.0], 1.2, TailBound::SubGaussian).unwrap();
/// assert!(p.certified().unwrap().value() < 0.1);
/// ```
///
/// # References
/// PROVEN (Weng et al., ICML 2019) for the Hoeffding form; Arbel, Marchal, Nguyen, ESAIM: P&S 2020
/// for strict sub-Gaussianity of the uniform law.
#[derive(Debug, Clone, PartialEq)]
pub struct Uniform {
    dim: usize,
    eps: f64,
}

impl Uniform {
    /// Uniform noise of half-width `eps` in `dim` coordinates.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] naming `eps` (not finite or `≤ 0`) or `dim` (zero).
    pub fn new(dim: usize, eps: f64) -> Result<Self> {
        check_dim(dim)?;
        check_positive("eps", eps)?;
        Ok(Self { dim, eps })
    }

    /// The half-width ε.
    pub fn eps(&self) -> f64 {
        self.eps
    }

    fn law(&self) -> impl Fn(usize) -> CoordLaw + '_ {
        move |_| CoordLaw::Uniform { half: self.eps }
    }
}

impl NoiseModel for Uniform {
    fn dim(&self) -> usize {
        self.dim
    }
    fn name(&self) -> &'static str {
        "uniform"
    }
    fn describe(&self) -> String {
        format!(
            "uniform noise on [-{e}, {e}]^{d}",
            e = self.eps,
            d = self.dim
        )
    }
    fn mean(&self) -> Vec<f64> {
        vec![0.0; self.dim]
    }
    fn variance(&self) -> Option<Vec<f64>> {
        Some(vec![self.eps * self.eps / 3.0; self.dim])
    }
    fn region(&self) -> Region {
        Region::Box {
            lo: vec![-self.eps; self.dim],
            hi: vec![self.eps; self.dim],
        }
    }
    fn cube_half_width(&self) -> Option<f64> {
        Some(self.eps)
    }
    fn mass_outside(&self) -> Probability {
        Probability::ZERO
    }
    fn sample(&self, rng: &mut dyn rand::Rng) -> Vec<f64> {
        (0..self.dim)
            .map(|_| (2.0 * rng.random::<f64>() - 1.0) * self.eps)
            .collect()
    }
    /// The draws of `n` calls of [`NoiseModel::sample`], written straight into the matrix.
    fn sample_batch(&self, rng: &mut dyn rand::Rng, n: usize) -> nalgebra::DMatrix<f64> {
        nalgebra::DMatrix::from_iterator(
            self.dim,
            n,
            (0..self.dim * n).map(|_| (2.0 * rng.random::<f64>() - 1.0) * self.eps),
        )
    }
    fn tail_upper(&self, a: &[f64], s: f64, method: TailBound) -> Result<TailValue> {
        if a.len() != self.dim {
            // The dimension error, named as everywhere else.
            check_row(a, s, self.dim)?;
        }
        // Every coordinate has the same law: one pass for the closed-form tails.
        bounded_upper_iid(self.name(), self.law()(0), a, s, method)
    }
    fn tail_lower(&self, a: &[f64], s: f64, method: TailBound) -> Result<Probability> {
        check_row(a, s, self.dim)?;
        bounded_lower(&self.law(), a, s, method)
    }
    fn tail_upper_rows(
        &self,
        a: super::ColumnMajor<'_>,
        s: &[f64],
        method: TailBound,
    ) -> Result<Vec<TailValue>> {
        super::batched::iid_upper_rows(self, self.law()(0), a, s, method)
    }
    fn tail_lower_rows(
        &self,
        a: super::ColumnMajor<'_>,
        s: &[f64],
        method: TailBound,
    ) -> Result<Vec<Probability>> {
        super::batched::iid_lower_rows(self, a, s, method)
    }
    fn closed_form(&self, method: TailBound) -> Option<super::ClosedForm> {
        super::closed_form::bounded_closed_form(&self.law(), self.dim, method)
    }
    fn cumulant(&self, a: &[f64], lambda: f64) -> Option<(f64, f64)> {
        (a.len() == self.dim).then(|| bounded_cumulant(&self.law(), a, lambda))?
    }
}
