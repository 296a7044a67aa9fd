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
    backward_through_relaxation_owned(lambda.clone(), relax, side)
}

/// [`backward_through_relaxation`], rewriting `Λ` in place.
fn backward_through_relaxation_owned<T: Float>(
    mut out: DMatrix<T>,
    relax: &[NeuronRelaxation<T>],
    side: Side,
) -> Backward<T> {
    let rows = out.nrows();
    let mut offset = DVector::zeros(rows);
    let (zero, one) = (T::zero(), T::one());
    let acc = offset.as_mut_slice();
    let columns = out.as_mut_slice().chunks_exact_mut(rows.max(1));
    for (col, r) in columns.zip(relax) {
        if r.lower == r.upper {
            let line = r.lower;
            if line.intercept == zero && line.slope == one {
                // The identity (a ReLU active on the whole box): Λ' = Λ, Δ' = 0.
                continue;
            }
            if line.intercept == zero && line.slope == zero {
                // Constant zero (an inactive ReLU): the column vanishes.
                col.fill(zero);
                continue;
            }
            for (o, v) in acc.iter_mut().zip(col.iter_mut()) {
                *o += *v * line.intercept;
                *v *= line.slope;
            }
            continue;
        }
        // The lower side takes the lower line where Λ ≥ 0, the upper side where Λ < 0.
        let (on_positive, on_negative) = match side {
            Side::Lower => (r.lower, r.upper),
            Side::Upper => (r.upper, r.lower),
        };
        for (o, v) in acc.iter_mut().zip(col.iter_mut()) {
            let line = if *v >= zero { on_positive } else { on_negative };
            *o += *v * line.intercept;
            *v *= line.slope;
        }
    }
    Backward {
        lambda: out,
        offset,
    }
}

impl<T: Float> ActivationLayer<T> {
    /// The input bounds a backward pass needs, or a typed error naming the activation.
    fn required_bounds<'a>(&self, ctx: &BackwardContext<'a, T>) -> Result<&'a Interval<T>> {
        ctx.input_bounds.ok_or_else(|| Error::Unsupported {
            what: format!(
                "backward pass through `{}` without input bounds",
                self.activation.name()
            ),
        })
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
    fn forward_batch(&self, x: &DMatrix<T>) -> DMatrix<T> {
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
        self.backward_owned(lambda.clone(), ctx)
    }
    fn backward_owned(
        &self,
        lambda: DMatrix<T>,
        ctx: &BackwardContext<'_, T>,
    ) -> Result<Backward<T>> {
        let bounds = self.required_bounds(ctx)?;
        let relax = self.relaxations(bounds, ctx.policy);
        Ok(backward_through_relaxation_owned(lambda, &relax, ctx.side))
    }
    /// One non-zero per row: for `Λ = I[rows, :]` every coefficient is `1 ≥ 0`, so row `r`
    /// (neuron `j`) takes the lower line on the lower side and the upper line on the upper side
    /// (`Λ'[r, j] = α`, `Δ'[r] = β`), exactly what [`backward_through_relaxation`] gives for the
    /// selection matrix, without forming it or relaxing the neurons not asked for.
    fn backward_identity(
        &self,
        rows: &[usize],
        ctx: &BackwardContext<'_, T>,
    ) -> Result<Backward<T>> {
        let bounds = self.required_bounds(ctx)?;
        if bounds.dim() != self.dim {
            return Err(Error::mismatch(
                format!("`{}` backward input bounds", self.activation.name()),
                self.dim,
                bounds.dim(),
            ));
        }
        let mut lambda = DMatrix::zeros(rows.len(), self.dim);
        let mut offset = DVector::zeros(rows.len());
        for (r, &j) in rows.iter().enumerate() {
            if j >= self.dim {
                return Err(Error::mismatch(
                    format!(
                        "`{}` backward_identity row (< layer size)",
                        self.activation.name()
                    ),
                    self.dim,
                    j,
                ));
            }
            let relax = self
                .activation
                .relax(bounds.lower()[j], bounds.upper()[j], ctx.policy);
            let line = match ctx.side {
                Side::Lower => relax.lower,
                Side::Upper => relax.upper,
            };
            lambda[(r, j)] = line.slope;
            offset[r] = line.intercept;
        }
        Ok(Backward { lambda, offset })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Activation;
    use crate::activation::{RelaxationPolicy, ReluLowerSlope};

    /// The in-place backward pass (with its shortcuts for active and inactive neurons) equals
    /// the formula `Λ' = Λ⁺·diag(α_L) + Λ⁻·diag(α_U)`, `Δ' = Λ⁺·β_L + Λ⁻·β_U` (sides swapped
    /// for the upper side) evaluated entry by entry, for active, inactive and unstable neurons.
    #[test]
    #[allow(clippy::float_cmp)] // exact on purpose: the shortcuts must give the same values
    fn in_place_backward_equals_the_formula() {
        let lo = DVector::from_vec(vec![-2.0, 0.5, -1.0, -3.0, 1.0, -0.5]);
        let hi = DVector::from_vec(vec![1.0, 2.0, -0.2, 3.0, 4.0, 0.5]);
        let bounds = Interval::new(lo, hi).unwrap();
        let layer = ActivationLayer::new(6, Activation::Relu).unwrap();
        let lambda = DMatrix::from_fn(4, 6, |r, c| ((r * 7 + c * 3) % 5) as f64 - 2.0);
        let policy = RelaxationPolicy::default();
        let relax = layer.relaxations(&bounds, &policy);
        for side in [Side::Lower, Side::Upper] {
            let ctx = BackwardContext {
                side,
                input_bounds: Some(&bounds),
                policy: &policy,
            };
            let got = layer.backward_owned(lambda.clone(), &ctx).unwrap();
            for r in 0..4 {
                let mut offset = 0.0;
                for j in 0..6 {
                    let v = lambda[(r, j)];
                    let line = match (side, v >= 0.0) {
                        (Side::Lower, true) | (Side::Upper, false) => relax[j].lower,
                        _ => relax[j].upper,
                    };
                    assert_eq!(got.lambda[(r, j)], v * line.slope, "{side:?} ({r}, {j})");
                    offset += v * line.intercept;
                }
                assert_eq!(got.offset[r], offset, "{side:?} offset {r}");
            }
        }
    }

    /// `backward_identity` equals `backward` of the selection matrix, entry for entry.
    #[test]
    fn identity_rows_equal_the_selection_matrix_pass() {
        let lo = DVector::from_vec(vec![-2.0, 0.5, -1.0, -3.0, 1.0, -0.5]);
        let hi = DVector::from_vec(vec![1.0, 2.0, -0.2, 3.0, 4.0, 0.5]);
        let bounds = Interval::new(lo, hi).unwrap();
        let rows = [4, 0, 2, 0, 5, 3];
        let policies = [
            ReluLowerSlope::Adaptive,
            ReluLowerSlope::SameAsUpper,
            ReluLowerSlope::Zero,
        ]
        .map(|relu_lower| RelaxationPolicy { relu_lower });
        for act in [Activation::Relu, Activation::Sigmoid, Activation::Tanh] {
            let layer = ActivationLayer::<f64>::new(6, act).unwrap();
            for (policy, side) in policies
                .iter()
                .flat_map(|p| [(p, Side::Lower), (p, Side::Upper)])
            {
                let ctx = BackwardContext {
                    side,
                    input_bounds: Some(&bounds),
                    policy,
                };
                let selection = DMatrix::from_fn(rows.len(), 6, |r, j| f64::from(rows[r] == j));
                let full = layer.backward(&selection, &ctx).unwrap();
                let fast = layer.backward_identity(&rows, &ctx).unwrap();
                assert_eq!(fast.lambda, full.lambda, "{act:?} {side:?}");
                assert_eq!(fast.offset, full.offset, "{act:?} {side:?}");
            }
            let ctx = BackwardContext {
                side: Side::Lower,
                input_bounds: Some(&bounds),
                policy: &policies[0],
            };
            assert!(layer.backward_identity(&[6], &ctx).is_err());
        }
    }
}
