//! The back-substitution loop shared by every method and every side.

use super::Method;
use crate::layers::{Backward, BackwardContext, Side};
use crate::{Error, Float, Interval, Layer, Result};
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
    let (first, rows) = match start {
        Start::Identity(rows) => (layers[top].backward_identity(rows, &ctx(top))?, rows.len()),
        Start::Matrix(c) => (layers[top].backward(c, &ctx(top))?, c.nrows()),
    };
    check_shape(layers[top].as_ref(), top, &first, rows)?;
    let mut lambda = first.lambda;
    let mut offset = first.offset;
    for j in (0..top).rev() {
        let step = layers[j].backward(&lambda, &ctx(j))?;
        check_shape(layers[j].as_ref(), j, &step, rows)?;
        lambda = step.lambda;
        offset += step.offset;
    }
    Ok((lambda, offset))
}

/// A backward step must return `Λ'` of `rows × input_dim` and `Δ'` of `rows` (a custom layer
/// may not).
fn check_shape<T: Float>(
    layer: &dyn Layer<T>,
    k: usize,
    b: &Backward<T>,
    rows: usize,
) -> Result<()> {
    let found = [b.lambda.nrows(), b.lambda.ncols(), b.offset.len()];
    let expected = [rows, layer.input_dim(), rows];
    let what = ["Λ' rows", "Λ' columns", "Δ' length"];
    for i in 0..3 {
        if found[i] != expected[i] {
            return Err(Error::mismatch(
                format!("layer {k} ({}) backward {}", layer.kind(), what[i]),
                expected[i],
                found[i],
            ));
        }
    }
    Ok(())
}
