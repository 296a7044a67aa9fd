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

/// Lines of both sides: `(Λ_L, Δ_L)` and `(Λ_U, Δ_U)`, the latter `None` when it is the same as
/// the lower one (only affine layers were crossed).
pub(crate) type BothSides<T> = ((DMatrix<T>, DVector<T>), Option<(DMatrix<T>, DVector<T>)>);

/// The state of a two-sided back-substitution: while only affine layers have been crossed the
/// two sides are the same lines, computed once.
enum Sides<T: Float> {
    Shared(DMatrix<T>, DVector<T>),
    Split {
        lower: (DMatrix<T>, DVector<T>),
        upper: (DMatrix<T>, DVector<T>),
    },
}

/// [`back_substitute`] for both sides at once, with the same result as two calls: through an
/// affine layer ([`Layer::is_linear`]: its backward step is exact, so it does not depend on the
/// side) while both sides are still equal, the step is taken once; after the first non-linear
/// layer each side takes its own steps.
///
/// (Stacking `Λ_L` and `Λ_U` into one `2·rows × n` product for the affine layers below was tried
/// and measured slower: the copies cost more than the larger GEMM gains, 0.31–0.36 s against
/// 0.27–0.28 s CPU for one margin call on the 784-1024×3 MLP.)
pub(crate) fn back_substitute_sides<T: Float>(
    layers: &[Box<dyn Layer<T>>],
    upto: usize,
    start: &Start<'_, T>,
    bounds: &[Interval<T>],
    method: &Method,
) -> Result<BothSides<T>> {
    let ctx = |j: usize, side: Side| BackwardContext {
        side,
        input_bounds: bounds.get(j),
        policy: &method.relaxation,
    };
    let top = upto - 1;
    let rows = match start {
        Start::Identity(rows) => rows.len(),
        Start::Matrix(c) => c.nrows(),
    };
    let first = |side: Side| -> Result<Backward<T>> {
        let step = match start {
            Start::Identity(r) => layers[top].backward_identity(r, &ctx(top, side))?,
            Start::Matrix(c) => layers[top].backward(c, &ctx(top, side))?,
        };
        check_shape(layers[top].as_ref(), top, &step, rows)?;
        Ok(step)
    };
    let mut state = if layers[top].is_linear() {
        let s = first(Side::Lower)?;
        Sides::Shared(s.lambda, s.offset)
    } else {
        let (l, u) = (first(Side::Lower)?, first(Side::Upper)?);
        Sides::Split {
            lower: (l.lambda, l.offset),
            upper: (u.lambda, u.offset),
        }
    };
    for j in (0..top).rev() {
        let layer = layers[j].as_ref();
        state = match state {
            Sides::Shared(lambda, offset) if layer.is_linear() => {
                let step = layer.backward(&lambda, &ctx(j, Side::Lower))?;
                check_shape(layer, j, &step, rows)?;
                Sides::Shared(step.lambda, offset + step.offset)
            }
            Sides::Shared(lambda, offset) => {
                let l = layer.backward(&lambda, &ctx(j, Side::Lower))?;
                check_shape(layer, j, &l, rows)?;
                let u = layer.backward(&lambda, &ctx(j, Side::Upper))?;
                check_shape(layer, j, &u, rows)?;
                Sides::Split {
                    lower: (l.lambda, &offset + l.offset),
                    upper: (u.lambda, offset + u.offset),
                }
            }
            Sides::Split { lower, upper } => {
                let l = layer.backward(&lower.0, &ctx(j, Side::Lower))?;
                check_shape(layer, j, &l, rows)?;
                let u = layer.backward(&upper.0, &ctx(j, Side::Upper))?;
                check_shape(layer, j, &u, rows)?;
                Sides::Split {
                    lower: (l.lambda, lower.1 + l.offset),
                    upper: (u.lambda, upper.1 + u.offset),
                }
            }
        };
    }
    Ok(match state {
        Sides::Shared(lambda, offset) => ((lambda, offset), None),
        Sides::Split { lower, upper } => (lower, Some(upper)),
    })
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
