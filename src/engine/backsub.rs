//! The back-substitution loop shared by every method and every side.

use super::Method;
use crate::layers::{BackwardContext, Side};
use crate::{Float, Interval, Layer, Result};
use nalgebra::{DMatrix, DVector};

/// Where back-substitution starts.
pub(crate) enum Start<'a, T: Float> {
    /// The given rows of the identity (intermediate bounds).
    Identity(Vec<usize>),
    /// A specification matrix.
    Matrix(&'a DMatrix<T>),
}

/// Back-substitutes the start rows, placed on the output of layer `upto − 1`, down to the input of
/// layer 0. `bounds[j]` are the bounds on layer `j`'s input (needed for non-linear layers; may be
/// empty when every layer involved is linear). Returns `(Λ, Δ)` with `Λ·x + Δ` bounding the rows
/// on the given side.
pub(crate) fn back_substitute<T: Float>(
    layers: &[Box<dyn Layer<T>>],
    upto: usize,
    start: &Start<'_, T>,
    side: Side,
    bounds: &[Interval<T>],
    method: &Method,
) -> Result<(DMatrix<T>, DVector<T>)> {
    let ctx = |j: usize| BackwardContext {
        side,
        input_bounds: bounds.get(j),
        policy: &method.relaxation,
    };
    let top = upto - 1;
    let first = match start {
        Start::Identity(rows) => layers[top].backward_identity(rows, &ctx(top))?,
        Start::Matrix(c) => layers[top].backward(c, &ctx(top))?,
    };
    let mut lambda = first.lambda;
    let mut offset = first.offset;
    for j in (0..top).rev() {
        let step = layers[j].backward(&lambda, &ctx(j))?;
        lambda = step.lambda;
        offset += step.offset;
    }
    Ok((lambda, offset))
}
