//! Layers: the building blocks of a [`crate::Network`].
//!
//! A layer maps a flat input vector to a flat output vector (tensors are flattened in NCHW,
//! row-major order) and supplies what the bound engine needs:
//!
//! - [`Layer::forward`]: the function itself;
//! - [`Layer::interval`]: interval bound propagation (IBP) — a box containing the image of a box;
//! - [`Layer::backward`]: back-substitution — given a linear function `Λ·y + Δ` of this layer's
//!   output `y`, a linear function `Λ'·x + Δ'` of its input `x` that bounds it from below
//!   ([`Side::Lower`]) or above ([`Side::Upper`]) whenever `x` lies in the layer's input bounds.
//!
//! Linear layers are exact (`Λ' = Λ·W`, `Δ' = Δ + Λ·b`); element-wise activations only supply
//! per-neuron lines ([`crate::activation`]) and share one sign-split backward pass.
//!
//! To add a layer type of your own, implement [`Layer`] and check it with
//! `proven::testing::check_layer` (cargo feature `testing`; see `examples/custom_layer.rs`).

mod activation_layer;
mod conv2d;
mod dense;
mod densify;
mod elementwise_affine;
mod flatten;
mod gather_cache;
mod max_pool2d;
mod on_slice;
mod pool2d;
mod rewire;
mod shape;
mod window;

pub use activation_layer::{ActivationLayer, backward_through_relaxation};
pub use conv2d::{CHUNK_ELEMENTS, Conv2d, Conv2dGeometry, MAX_DENSE_ELEMENTS};
pub use dense::Dense;
pub(crate) use dense::gather_rows;
pub use densify::densify;
pub use elementwise_affine::ElementwiseAffine;
pub use flatten::Flatten;
pub use max_pool2d::MaxPool2d;
pub use on_slice::OnSlice;
pub use pool2d::{AvgPool2d, Pool2dGeometry};
pub use rewire::Rewire;
pub use shape::Shape3;

use crate::activation::RelaxationPolicy;
use crate::{Float, Interval, Result};
use nalgebra::{DMatrix, DVector};
use std::fmt::Debug;

/// Which side of a linear function is being bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// A lower bound: `Λ'·x + Δ' ≤ Λ·y + Δ`.
    Lower,
    /// An upper bound: `Λ·y + Δ ≤ Λ'·x + Δ'`.
    Upper,
}

/// What [`Layer::backward`] may use besides `Λ`.
#[derive(Debug, Clone, Copy)]
pub struct BackwardContext<'a, T: Float> {
    /// Which side is bounded.
    pub side: Side,
    /// Bounds on this layer's input (`None` for layers with [`Layer::is_linear`]; always `Some`
    /// for the others).
    pub input_bounds: Option<&'a Interval<T>>,
    /// Relaxation choices (Fast-Lin vs CROWN).
    pub policy: &'a RelaxationPolicy,
}

/// The result of [`Layer::backward`]: `Λ'` (rows × input dim) and the added constant `Δ'` (rows).
#[derive(Debug, Clone)]
pub struct Backward<T: Float> {
    /// The coefficients on the layer's input.
    pub lambda: DMatrix<T>,
    /// The constant picked up on the way (bias and relaxation intercepts).
    pub offset: DVector<T>,
}

/// One layer of a network. See the [module docs](self).
pub trait Layer<T: Float>: Send + Sync + Debug {
    /// A short name of the kind (`"dense"`, `"relu"`, …), used in messages.
    fn kind(&self) -> &'static str;
    /// Length of the flat input.
    fn input_dim(&self) -> usize;
    /// Length of the flat output.
    fn output_dim(&self) -> usize;
    /// The layer's function. `x.len()` equals [`Layer::input_dim`] (the network checks).
    fn forward(&self, x: &DVector<T>) -> DVector<T>;
    /// The layer's function on a batch: column `j` of the result is `forward` of column `j` of
    /// `x` (`x` has [`Layer::input_dim`] rows, the network checks). The default loops over the
    /// columns; the built-in layers override it with one matrix operation (a dense layer does one
    /// matrix–matrix product), which is what makes Monte Carlo validation cheap.
    fn forward_batch(&self, x: &DMatrix<T>) -> DMatrix<T> {
        let columns: Vec<DVector<T>> = x
            .column_iter()
            .map(|c| self.forward(&c.into_owned()))
            .collect();
        if columns.is_empty() {
            return DMatrix::zeros(self.output_dim(), 0);
        }
        DMatrix::from_columns(&columns)
    }
    /// A box containing `{forward(x) : x ∈ input}`.
    fn interval(&self, input: &Interval<T>) -> Interval<T>;
    /// Whether the layer is affine (its backward pass is exact and needs no input bounds).
    fn is_linear(&self) -> bool;
    /// Back-substitution of `Λ·y` (`Λ`: rows × output dim) to this layer's input.
    ///
    /// # Errors
    /// A layer may refuse (for example a method it cannot support) with a typed error.
    fn backward(&self, lambda: &DMatrix<T>, ctx: &BackwardContext<'_, T>) -> Result<Backward<T>>;
    /// [`Layer::backward`] of a `Λ` the caller no longer needs, so a layer that rewrites `Λ`
    /// column by column (an activation) can do it in place instead of copying. The default
    /// forwards to [`Layer::backward`]; an override must return exactly the same result.
    ///
    /// # Errors
    /// As [`Layer::backward`].
    fn backward_owned(
        &self,
        lambda: DMatrix<T>,
        ctx: &BackwardContext<'_, T>,
    ) -> Result<Backward<T>> {
        self.backward(&lambda, ctx)
    }
    /// Back-substitution starting from the identity rows `rows` of the output (`Λ = I[rows, :]`).
    /// The default builds the selection matrix; affine layers override it to copy rows.
    ///
    /// # Errors
    /// As [`Layer::backward`].
    fn backward_identity(
        &self,
        rows: &[usize],
        ctx: &BackwardContext<'_, T>,
    ) -> Result<Backward<T>> {
        let mut lambda = DMatrix::zeros(rows.len(), self.output_dim());
        for (r, &j) in rows.iter().enumerate() {
            lambda[(r, j)] = T::one();
        }
        self.backward(&lambda, ctx)
    }
    /// For layers whose backward pass uses their input bounds: which input coordinates still
    /// matter, given `bounds` (`None` = all). A stable ReLU's relaxation is the same on every
    /// sub-interval, so refining its bounds cannot help; the engine skips those rows.
    fn unstable_inputs(&self, bounds: &Interval<T>) -> Option<Vec<usize>> {
        let _ = bounds;
        None
    }
}
