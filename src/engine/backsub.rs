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
        let step = layers[j].backward_owned(lambda, &ctx(j))?;
        check_shape(layers[j].as_ref(), j, &step, rows)?;
        lambda = step.lambda;
        offset += step.offset;
    }
    Ok((lambda, offset))
}

/// Lines of both sides: `(Λ_L, Δ_L)` and `(Λ_U, Δ_U)`, the latter `None` when it is the same as
/// the lower one (only affine layers were crossed).
pub(crate) type BothSides<T> = ((DMatrix<T>, DVector<T>), Option<(DMatrix<T>, DVector<T>)>);

/// Borrowed lines `(Λ, Δ)` of one side.
pub(crate) type LinesRef<'a, T> = (&'a DMatrix<T>, &'a DVector<T>);

/// The state of a two-sided back-substitution: while only affine layers have been crossed the
/// two sides are the same lines, computed once.
pub(crate) enum Sides<T: Float> {
    /// Both sides are these lines `(Λ, Δ)`.
    Shared(DMatrix<T>, DVector<T>),
    /// Each side has its own lines.
    Split {
        lower: (DMatrix<T>, DVector<T>),
        upper: (DMatrix<T>, DVector<T>),
    },
}

impl<T: Float> Sides<T> {
    /// The lines of the first step, through layer `top` (the start rows sit on its output).
    pub(crate) fn start(
        layers: &[Box<dyn Layer<T>>],
        top: usize,
        start: &Start<'_, T>,
        bounds: &[Interval<T>],
        method: &Method,
    ) -> Result<Self> {
        let rows = start.rows();
        let first = |side: Side| -> Result<Backward<T>> {
            let ctx = context(top, side, bounds, method);
            let step = match start {
                Start::Identity(r) => layers[top].backward_identity(r, &ctx)?,
                Start::Matrix(c) => layers[top].backward(c, &ctx)?,
            };
            check_shape(layers[top].as_ref(), top, &step, rows)?;
            Ok(step)
        };
        Ok(if layers[top].is_linear() {
            let s = first(Side::Lower)?;
            Sides::Shared(s.lambda, s.offset)
        } else {
            let (l, u) = (first(Side::Lower)?, first(Side::Upper)?);
            Sides::Split {
                lower: (l.lambda, l.offset),
                upper: (u.lambda, u.offset),
            }
        })
    }

    /// One step down, through layer `j` (an affine layer crossed while the sides are shared is
    /// crossed once).
    pub(crate) fn step(
        self,
        layers: &[Box<dyn Layer<T>>],
        j: usize,
        bounds: &[Interval<T>],
        method: &Method,
    ) -> Result<Self> {
        let layer = layers[j].as_ref();
        let ctx = |side: Side| context(j, side, bounds, method);
        let rows = self.rows();
        Ok(match self {
            Sides::Shared(lambda, offset) if layer.is_linear() => {
                let step = layer.backward(&lambda, &ctx(Side::Lower))?;
                check_shape(layer, j, &step, rows)?;
                Sides::Shared(step.lambda, offset + step.offset)
            }
            Sides::Shared(lambda, offset) => {
                let l = layer.backward(&lambda, &ctx(Side::Lower))?;
                check_shape(layer, j, &l, rows)?;
                let u = layer.backward_owned(lambda, &ctx(Side::Upper))?;
                check_shape(layer, j, &u, rows)?;
                Sides::Split {
                    lower: (l.lambda, &offset + l.offset),
                    upper: (u.lambda, offset + u.offset),
                }
            }
            Sides::Split { lower, upper } => {
                let l = layer.backward_owned(lower.0, &ctx(Side::Lower))?;
                check_shape(layer, j, &l, rows)?;
                let u = layer.backward_owned(upper.0, &ctx(Side::Upper))?;
                check_shape(layer, j, &u, rows)?;
                Sides::Split {
                    lower: (l.lambda, lower.1 + l.offset),
                    upper: (u.lambda, upper.1 + u.offset),
                }
            }
        })
    }

    /// The number of rows.
    pub(crate) fn rows(&self) -> usize {
        match self {
            Sides::Shared(_, offset) => offset.len(),
            Sides::Split { lower, .. } => lower.1.len(),
        }
    }

    /// The lower lines, and the upper ones when they differ.
    pub(crate) fn into_parts(self) -> BothSides<T> {
        match self {
            Sides::Shared(lambda, offset) => ((lambda, offset), None),
            Sides::Split { lower, upper } => (lower, Some(upper)),
        }
    }

    /// The lower lines and the upper lines (the same ones when shared).
    pub(crate) fn lines(&self) -> (LinesRef<'_, T>, LinesRef<'_, T>) {
        match self {
            Sides::Shared(lambda, offset) => ((lambda, offset), (lambda, offset)),
            Sides::Split { lower, upper } => ((&lower.0, &lower.1), (&upper.0, &upper.1)),
        }
    }

    /// Keeps the given rows (by position), in the given order.
    pub(crate) fn keep_rows(self, keep: &[usize]) -> Self {
        let pick = |(lambda, offset): (DMatrix<T>, DVector<T>)| {
            (
                crate::layers::gather_rows(&lambda, keep),
                DVector::from_iterator(keep.len(), keep.iter().map(|&r| offset[r])),
            )
        };
        match self {
            Sides::Shared(lambda, offset) => {
                let (l, o) = pick((lambda, offset));
                Sides::Shared(l, o)
            }
            Sides::Split { lower, upper } => Sides::Split {
                lower: pick(lower),
                upper: pick(upper),
            },
        }
    }
}

impl<T: Float> Start<'_, T> {
    fn rows(&self) -> usize {
        match self {
            Start::Identity(rows) => rows.len(),
            Start::Matrix(c) => c.nrows(),
        }
    }
}

fn context<'a, T: Float>(
    j: usize,
    side: Side,
    bounds: &'a [Interval<T>],
    method: &'a Method,
) -> BackwardContext<'a, T> {
    BackwardContext {
        side,
        input_bounds: bounds.get(j),
        policy: &method.relaxation,
    }
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
    let top = upto - 1;
    let mut state = Sides::start(layers, top, start, bounds, method)?;
    for j in (0..top).rev() {
        state = state.step(layers, j, bounds, method)?;
    }
    Ok(state.into_parts())
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
