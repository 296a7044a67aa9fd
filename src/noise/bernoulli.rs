//! [`Bernoulli`]: two-point noise, symmetric (±ε, Rademacher) or asymmetric ({0, +ε}).

use super::laws::CoordLaw;
use super::tails::{bounded_cumulant, bounded_lower, bounded_upper_iid, check_row};
use super::{NoiseModel, Probability, Region, TailBound, TailValue, check_dim, check_positive};
use crate::{Error, Result};
use rand::RngExt;

/// Independent two-point noise.
///
/// ```text
/// symmetric:   Δ_k = ±ε with probability ½ each;  E = 0,  Var = ε²,  MGF cosh(tε)
/// asymmetric:  Δ_k = ε with probability p, else 0;  E = pε,  Var = p(1 − p)ε²
///              centred MGF  e^{−tpε}(1 − p + p e^{tε})
/// ```
/// The asymmetric form models pixel flips or dropout-like perturbations; for small `p` use a
/// variance-aware bound ([`TailBound::Bernstein`], [`TailBound::Chernoff`]) rather than Hoeffding.
///
/// # Examples
/// ```
/// use proven::noise::{Bernoulli, NoiseModel, TailBound};
/// let flip = Bernoulli::asymmetric(10, 1.0, 0.05).unwrap();
/// assert!((flip.mean()[0] - 0.05).abs() < 1e-15);
/// let a = [1.0; 10];
/// let h = flip.tail_upper(&a, 0.4, TailBound::Hoeffding).unwrap().certified().unwrap();
/// let c = flip.tail_upper(&a, 0.4, TailBound::Chernoff).unwrap().certified().unwrap();
/// assert!(c.value() < h.value());
/// ```
///
/// # References
/// Hoeffding 1963 (bounded summands); Kearns & Saul, UAI 1998, and Berend & Kontorovich, ECP 2013
/// (optimal sub-Gaussian proxy of the Bernoulli law).
#[derive(Debug, Clone, PartialEq)]
pub struct Bernoulli {
    dim: usize,
    eps: f64,
    /// `None`: symmetric ±ε; `Some(p)`: {0, +ε} with `P[+ε] = p`.
    p: Option<f64>,
}

impl Bernoulli {
    /// Symmetric (Rademacher) noise `±eps`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `eps` or `dim`.
    pub fn symmetric(dim: usize, eps: f64) -> Result<Self> {
        check_dim(dim)?;
        check_positive("eps", eps)?;
        Ok(Self { dim, eps, p: None })
    }

    /// Asymmetric noise: `+eps` with probability `p`, else 0.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `eps`, `dim` or `p` (`p ∉ (0, 1)` or NaN).
    pub fn asymmetric(dim: usize, eps: f64, p: f64) -> Result<Self> {
        check_dim(dim)?;
        check_positive("eps", eps)?;
        if !(p > 0.0 && p < 1.0) {
            return Err(Error::invalid(
                "p",
                p,
                "the flip probability must lie in (0, 1)",
            ));
        }
        Ok(Self {
            dim,
            eps,
            p: Some(p),
        })
    }

    /// The magnitude ε.
    pub fn eps(&self) -> f64 {
        self.eps
    }

    /// The flip probability (`None` for the symmetric law).
    pub fn p(&self) -> Option<f64> {
        self.p
    }

    /// One coordinate's draw.
    fn draw(&self, rng: &mut dyn rand::Rng) -> f64 {
        let u: f64 = rng.random();
        match self.p {
            None if u < 0.5 => -self.eps,
            None => self.eps,
            Some(p) if u < p => self.eps,
            Some(_) => 0.0,
        }
    }

    fn coord(&self) -> CoordLaw {
        match self.p {
            None => CoordLaw::TwoPoint {
                lo: -self.eps,
                hi: self.eps,
                p_hi: 0.5,
            },
            Some(p) => CoordLaw::TwoPoint {
                lo: -p * self.eps,
                hi: (1.0 - p) * self.eps,
                p_hi: p,
            },
        }
    }
}

impl NoiseModel for Bernoulli {
    fn dim(&self) -> usize {
        self.dim
    }
    fn name(&self) -> &'static str {
        "bernoulli"
    }
    fn describe(&self) -> String {
        match self.p {
            None => format!(
                "symmetric Bernoulli noise ±{} in {} coordinates",
                self.eps, self.dim
            ),
            Some(p) => format!(
                "Bernoulli noise {{0, +{}}} with P[+{}] = {p} in {} coordinates",
                self.eps, self.eps, self.dim
            ),
        }
    }
    fn mean(&self) -> Vec<f64> {
        vec![self.p.map_or(0.0, |p| p * self.eps); self.dim]
    }
    fn variance(&self) -> Option<Vec<f64>> {
        let v = self.p.map_or(1.0, |p| p * (1.0 - p)) * self.eps * self.eps;
        Some(vec![v; self.dim])
    }
    fn region(&self) -> Region {
        let lo = if self.p.is_some() { 0.0 } else { -self.eps };
        Region::Box {
            lo: vec![lo; self.dim],
            hi: vec![self.eps; self.dim],
        }
    }
    fn cube_half_width(&self) -> Option<f64> {
        // ±ε is the cube; the asymmetric {0, ε} is not.
        self.p.is_none().then_some(self.eps)
    }
    fn mass_outside(&self) -> Probability {
        Probability::ZERO
    }
    fn sample(&self, rng: &mut dyn rand::Rng) -> Vec<f64> {
        (0..self.dim).map(|_| self.draw(rng)).collect()
    }
    /// The draws of `n` calls of [`NoiseModel::sample`], written straight into the matrix.
    fn sample_batch(&self, rng: &mut dyn rand::Rng, n: usize) -> nalgebra::DMatrix<f64> {
        nalgebra::DMatrix::from_iterator(self.dim, n, (0..self.dim * n).map(|_| self.draw(rng)))
    }
    fn tail_upper(&self, a: &[f64], s: f64, method: TailBound) -> Result<TailValue> {
        if a.len() != self.dim {
            // The dimension error, named as everywhere else.
            check_row(a, s, self.dim)?;
        }
        // Every coordinate has the same law: one pass for the closed-form tails.
        bounded_upper_iid(self.name(), self.coord(), a, s, method)
    }
    fn tail_lower(&self, a: &[f64], s: f64, method: TailBound) -> Result<Probability> {
        check_row(a, s, self.dim)?;
        let law = self.coord();
        bounded_lower(&move |_| law, a, s, method)
    }
    fn tail_upper_rows(
        &self,
        a: super::ColumnMajor<'_>,
        s: &[f64],
        method: TailBound,
    ) -> Result<Vec<TailValue>> {
        super::batched::iid_upper_rows(self, self.coord(), a, s, method)
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
        let law = self.coord();
        super::closed_form::bounded_closed_form(&move |_| law, self.dim, method)
    }
    fn cumulant(&self, a: &[f64], lambda: f64) -> Option<(f64, f64)> {
        let law = self.coord();
        (a.len() == self.dim).then(|| bounded_cumulant(&move |_| law, a, lambda))?
    }
}
