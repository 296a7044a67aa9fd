//! An element-wise activation applied to every coordinate, and the one shared backward pass
//! through per-neuron relaxations (the CROWN sign split).
//!
//! ```text
//! lower side:  Λ' = Λ⁺·diag(α_L) + Λ⁻·diag(α_U),   Δ' = Λ⁺·β_L + Λ⁻·β_U
//! upper side:  Λ' = Λ⁺·diag(α_U) + Λ⁻·diag(α_L),   Δ' = Λ⁺·β_U + Λ⁻·β_L
//! ```
//! with `Λ⁺ = max(Λ, 0)`, `Λ⁻ = min(Λ, 0)`.
//!
//! # References
//! Zhang et al., *CROWN*, NeurIPS 2018, Theorem 3.2; Xu et al., *Automatic Perturbation Analysis
//! for Scalable Certified Robustness and Beyond* (auto_LiRPA), NeurIPS 2020, §3.

use super::{Backward, BackwardContext, Layer, Side};
use crate::activation::{Activation, ElementwiseActivation, NeuronRelaxation};
use crate::{Error, Float, Interval, Result};
use nalgebra::{DMatrix, DVector};
use std::sync::Arc;

/// An element-wise activation on `dim` neurons.
#[derive(Debug, Clone)]
pub struct ActivationLayer<T: Float> {
    dim: usize,
    activation: Arc<dyn ElementwiseActivation<T>>,
}

impl<T: Float> ActivationLayer<T> {
    /// Wraps an activation (a built-in [`Activation`] or your own [`ElementwiseActivation`]).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `dim` is zero; [`Error::InvalidParameter`] if
    /// [`ElementwiseActivation::validate`] fails (for example a leaky-ReLU slope outside `[0, 1]`
    /// or NaN).
    ///
    /// # Examples
    /// ```
    /// use proven::layers::ActivationLayer;
    /// use proven::{Activation, Layer};
    /// use nalgebra::DVector;
    /// let relu = ActivationLayer::<f64>::new(2, Activation::Relu).unwrap();
    /// assert_eq!(relu.forward(&DVector::from_vec(vec![-1.0, 2.0])).as_slice(), &[0.0, 2.0]);
    /// ```
    pub fn new(dim: usize, activation: impl ElementwiseActivation<T> + 'static) -> Result<Self> {
        if dim == 0 {
            return Err(Error::mismatch("activation layer size", 1, 0));
        }
        activation.validate()?;
        Ok(Self {
            dim,
            activation: Arc::new(activation),
        })
    }

    /// A built-in activation, validating its parameter.
    ///
    /// # Errors
    /// As [`ActivationLayer::new`].
    pub fn builtin(dim: usize, activation: Activation) -> Result<Self> {
        Self::new(dim, activation)
    }

    /// The activation.
    pub fn activation(&self) -> &dyn ElementwiseActivation<T> {
        self.activation.as_ref()
    }

    /// The relaxations of every neuron on `bounds`.
    pub fn relaxations(
        &self,
        bounds: &Interval<T>,
        policy: &crate::activation::RelaxationPolicy,
    ) -> Vec<NeuronRelaxation<T>> {
        bounds
            .lower()
            .iter()
            .zip(bounds.upper().iter())
            .map(|(&l, &u)| self.activation.relax(l, u, policy))
            .collect()
    }
}

/// Back-substitutes `Λ·y` through `y_j = σ(z_j)` given one relaxation per neuron (the CROWN sign
/// split). Useful for custom layers that are element-wise in disguise.
///
/// ```text
/// lower side:  Λ' = Λ⁺·diag(α_L) + Λ⁻·diag(α_U),   Δ' = Λ⁺·β_L + Λ⁻·β_U
/// upper side:  Λ' = Λ⁺·diag(α_U) + Λ⁻·diag(α_L),   Δ' = Λ⁺·β_U + Λ⁻·β_L
/// ```
pub fn backward_through_relaxation<T: Float>(
    lambda: &DMatrix<T>,
    relax: &[NeuronRelaxation<T>],
    side: Side,
) -> Backward<T> {
    let rows = lambda.nrows();
    let mut out = lambda.clone();
    let mut offset = DVector::zeros(rows);
    for (j, mut col) in out.column_iter_mut().enumerate() {
        let r = &relax[j];
        if r.lower == r.upper {
            let line = r.lower;
            for (i, v) in col.iter_mut().enumerate() {
                offset[i] += *v * line.intercept;
                *v *= line.slope;
            }
            continue;
        }
        for (i, v) in col.iter_mut().enumerate() {
            let positive = *v >= T::zero();
            let line = match (side, positive) {
                (Side::Lower, true) | (Side::Upper, false) => r.lower,
                (Side::Lower, false) | (Side::Upper, true) => r.upper,
            };
            offset[i] += *v * line.intercept;
            *v *= line.slope;
        }
    }
    Backward {
        lambda: out,
        offset,
    }
}

impl<T: Float> Layer<T> for ActivationLayer<T> {
    fn kind(&self) -> &'static str {
        self.activation.name()
    }
    fn input_dim(&self) -> usize {
        self.dim
    }
    fn output_dim(&self) -> usize {
        self.dim
    }
    fn forward(&self, x: &DVector<T>) -> DVector<T> {
        x.map(|z| self.activation.eval(z))
    }
    fn interval(&self, input: &Interval<T>) -> Interval<T> {
        let mut lo = DVector::zeros(self.dim);
        let mut hi = DVector::zeros(self.dim);
        for j in 0..self.dim {
            let (a, b) = self.activation.interval(input.lower()[j], input.upper()[j]);
            lo[j] = a;
            hi[j] = b;
        }
        Interval::new_unchecked(lo, hi)
    }
    fn is_linear(&self) -> bool {
        false
    }
    fn backward(&self, lambda: &DMatrix<T>, ctx: &BackwardContext<'_, T>) -> Result<Backward<T>> {
        let bounds = ctx.input_bounds.ok_or_else(|| Error::Unsupported {
            what: format!(
                "backward pass through `{}` without input bounds",
                self.activation.name()
            ),
        })?;
        let relax = self.relaxations(bounds, ctx.policy);
        Ok(backward_through_relaxation(lambda, &relax, ctx.side))
    }
    fn unstable_inputs(&self, bounds: &Interval<T>) -> Option<Vec<usize>> {
        Some(
            (0..self.dim)
                .filter(|&j| {
                    !self
                        .activation
                        .is_stable(bounds.lower()[j], bounds.upper()[j])
                })
                .collect(),
        )
    }
}
