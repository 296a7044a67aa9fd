//! [`OnSlice`]: an inner layer applied to one contiguous slice of the input.

use super::{Backward, BackwardContext, Layer};
use crate::{Error, Float, Interval, Result};
use nalgebra::{DMatrix, DVector};

/// An inner layer applied to `input[offset .. offset + inner.input_dim()]`; every other
/// Applies an inner layer to one contiguous slice of the input and passes the other
/// coordinates through unchanged. With [`super::Rewire`] it lets a DAG network run as a sequence
/// of layers over the concatenation `[v_1, …, v_k]` of its live values
/// ([`crate::network::GraphBuilder`]).
///
/// For input `x = (a, s, c)` with the slice `s` at `offset` and `g` the inner layer,
/// `y = (a, g(s), c)`:
///
/// ```text
/// IBP:       y ∈ (box_a, g.interval(box_s), box_c)
/// backward:  Λ = (Λ_a, Λ_g, Λ_c)  ↦  Λ' = (Λ_a, Λ'_g, Λ_c),   Δ' = Δ'_g
///            with (Λ'_g, Δ'_g) = g.backward(Λ_g, input bounds = box_s)
/// ```
///
/// This is sound on the same side as the inner backward pass: the pass-through part is exact,
/// and `Λ_g·g(s) ≥ Λ'_g·s + Δ'_g` (lower side) whenever `s ∈ box_s`.
///
/// # Examples
/// ```
/// use proven::layers::{ActivationLayer, OnSlice};
/// use proven::{Activation, Layer};
/// use nalgebra::DVector;
/// let relu = ActivationLayer::<f64>::new(2, Activation::Relu).unwrap();
/// let layer = OnSlice::new(1, 4, Box::new(relu)).unwrap();
/// let y = layer.forward(&DVector::from_vec(vec![-1.0, -2.0, 3.0, -4.0]));
/// assert_eq!(y.as_slice(), &[-1.0, 0.0, 3.0, -4.0]);
/// ```
#[derive(Debug)]
pub struct OnSlice<T: Float> {
    offset: usize,
    total: usize,
    inner: Box<dyn Layer<T>>,
}

fn slice_interval<T: Float>(b: &Interval<T>, start: usize, len: usize) -> Interval<T> {
    Interval::new_unchecked(
        b.lower().rows(start, len).into_owned(),
        b.upper().rows(start, len).into_owned(),
    )
}

impl<T: Float> OnSlice<T> {
    /// Wraps `inner`, applied at `offset` of an input of length `total`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if the slice `offset .. offset + inner.input_dim()` does not
    /// fit in `total`.
    pub fn new(offset: usize, total: usize, inner: Box<dyn Layer<T>>) -> Result<Self> {
        let end = offset.checked_add(inner.input_dim());
        if end.is_none_or(|e| e > total) || inner.input_dim() == 0 {
            return Err(Error::mismatch(
                format!(
                    "on_slice: input length for `{}` at offset {offset} (≥ offset + {})",
                    inner.kind(),
                    inner.input_dim()
                ),
                offset.saturating_add(inner.input_dim()),
                total,
            ));
        }
        Ok(Self {
            offset,
            total,
            inner,
        })
    }

    /// The inner layer.
    pub fn inner(&self) -> &dyn Layer<T> {
        self.inner.as_ref()
    }

    /// Where the slice starts.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// `(a, s, c)` lengths of the input.
    fn parts(&self) -> (usize, usize, usize) {
        let n = self.inner.input_dim();
        (self.offset, n, self.total - self.offset - n)
    }

    fn inner_ctx<'a>(
        &self,
        ctx: &BackwardContext<'a, T>,
        sliced: Option<&'a Interval<T>>,
    ) -> BackwardContext<'a, T> {
        BackwardContext {
            side: ctx.side,
            input_bounds: sliced,
            policy: ctx.policy,
        }
    }

    fn check(&self, b: &Backward<T>, rows: usize) -> Result<()> {
        let n = self.inner.input_dim();
        if b.lambda.nrows() != rows || b.lambda.ncols() != n || b.offset.len() != rows {
            return Err(Error::mismatch(
                format!("on_slice: `{}` backward Λ' columns", self.inner.kind()),
                n,
                b.lambda.ncols(),
            ));
        }
        Ok(())
    }
}

impl<T: Float> Layer<T> for OnSlice<T> {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    fn input_dim(&self) -> usize {
        self.total
    }
    fn output_dim(&self) -> usize {
        self.total - self.inner.input_dim() + self.inner.output_dim()
    }
    fn forward(&self, x: &DVector<T>) -> DVector<T> {
        let (a, n, c) = self.parts();
        let g = self.inner.forward(&x.rows(a, n).into_owned());
        let mut y = DVector::zeros(self.output_dim());
        y.rows_mut(0, a).copy_from(&x.rows(0, a));
        y.rows_mut(a, g.len()).copy_from(&g);
        y.rows_mut(a + g.len(), c).copy_from(&x.rows(a + n, c));
        y
    }
    fn forward_batch(&self, x: &DMatrix<T>) -> DMatrix<T> {
        let (a, n, c) = self.parts();
        let g = self.inner.forward_batch(&x.rows(a, n).into_owned());
        let mut y = DMatrix::zeros(self.output_dim(), x.ncols());
        y.rows_mut(0, a).copy_from(&x.rows(0, a));
        y.rows_mut(a, g.nrows()).copy_from(&g);
        y.rows_mut(a + g.nrows(), c).copy_from(&x.rows(a + n, c));
        y
    }
    fn interval(&self, input: &Interval<T>) -> Interval<T> {
        let (a, n, _) = self.parts();
        let g = self.inner.interval(&slice_interval(input, a, n));
        let lower = self.splice(input.lower(), g.lower());
        let upper = self.splice(input.upper(), g.upper());
        Interval::new_unchecked(lower, upper)
    }
    fn is_linear(&self) -> bool {
        self.inner.is_linear()
    }
    fn backward(&self, lambda: &DMatrix<T>, ctx: &BackwardContext<'_, T>) -> Result<Backward<T>> {
        let (a, n, c) = self.parts();
        let m = self.inner.output_dim();
        if lambda.ncols() != self.output_dim() {
            return Err(Error::mismatch(
                format!("on_slice: `{}` backward Λ columns", self.inner.kind()),
                self.output_dim(),
                lambda.ncols(),
            ));
        }
        let sliced = ctx.input_bounds.map(|b| slice_interval(b, a, n));
        let inner = self.inner.backward(
            &lambda.columns(a, m).into_owned(),
            &self.inner_ctx(ctx, sliced.as_ref()),
        )?;
        self.check(&inner, lambda.nrows())?;
        let mut out = DMatrix::zeros(lambda.nrows(), self.total);
        out.columns_mut(0, a).copy_from(&lambda.columns(0, a));
        out.columns_mut(a, n).copy_from(&inner.lambda);
        out.columns_mut(a + n, c)
            .copy_from(&lambda.columns(a + m, c));
        Ok(Backward {
            lambda: out,
            offset: inner.offset,
        })
    }
    fn backward_identity(
        &self,
        rows: &[usize],
        ctx: &BackwardContext<'_, T>,
    ) -> Result<Backward<T>> {
        let (a, n, _) = self.parts();
        let m = self.inner.output_dim();
        let out_dim = self.output_dim();
        let mut out = DMatrix::zeros(rows.len(), self.total);
        let mut offset = DVector::zeros(rows.len());
        let mut inner_rows = Vec::new();
        let mut inner_pos = Vec::new();
        for (r, &j) in rows.iter().enumerate() {
            if j >= out_dim {
                return Err(Error::mismatch(
                    "on_slice backward_identity row (< output length)",
                    out_dim,
                    j,
                ));
            }
            if j < a {
                out[(r, j)] = T::one();
            } else if j < a + m {
                inner_rows.push(j - a);
                inner_pos.push(r);
            } else {
                out[(r, j - m + n)] = T::one();
            }
        }
        if !inner_rows.is_empty() {
            let sliced = ctx.input_bounds.map(|b| slice_interval(b, a, n));
            let inner = self
                .inner
                .backward_identity(&inner_rows, &self.inner_ctx(ctx, sliced.as_ref()))?;
            self.check(&inner, inner_rows.len())?;
            for (k, &r) in inner_pos.iter().enumerate() {
                out.view_mut((r, a), (1, n))
                    .copy_from(&inner.lambda.view((k, 0), (1, n)));
                offset[r] = inner.offset[k];
            }
        }
        Ok(Backward {
            lambda: out,
            offset,
        })
    }
    fn unstable_inputs(&self, bounds: &Interval<T>) -> Option<Vec<usize>> {
        let (a, n, _) = self.parts();
        let sliced = slice_interval(bounds, a, n);
        Some(match self.inner.unstable_inputs(&sliced) {
            Some(v) => v.into_iter().map(|i| i + a).collect(),
            None => (a..a + n).collect(),
        })
    }
}

impl<T: Float> OnSlice<T> {
    /// `(v_a, g, v_c)`: the pass-through parts of `v` around `g`.
    fn splice(&self, v: &DVector<T>, g: &DVector<T>) -> DVector<T> {
        let (a, n, c) = self.parts();
        let mut y = DVector::zeros(self.output_dim());
        y.rows_mut(0, a).copy_from(&v.rows(0, a));
        y.rows_mut(a, g.len()).copy_from(g);
        y.rows_mut(a + g.len(), c).copy_from(&v.rows(a + n, c));
        y
    }
}
