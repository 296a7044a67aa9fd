//! 2-D max pooling on one NCHW image, with the linear relaxation of auto_LiRPA.

use super::pool2d::Windows;
use super::{Backward, BackwardContext, Layer, Pool2dGeometry, Shape3, Side};
use crate::{Error, Float, Interval, Result};
use nalgebra::{DMatrix, DVector};

/// 2-D max pooling on one NCHW image, with the linear relaxation of auto_LiRPA.
///
/// For one window with inputs `x_i ∈ [l_i, u_i]` (padding is ignored, as ONNX pads max pooling
/// with −∞) and output `y = max_i x_i`, let `i* = argmax_i l_i` (first on ties) and
/// `U = max_i u_i`:
///
/// ```text
/// lower line:   y ≥ x_{i*}
/// upper line:   y ≤ x_{i*}            if l_{i*} ≥ u_j for every j ≠ i*   ("decided" window: y = x_{i*})
///               y ≤ U                 otherwise (slope 0)
/// IBP:          y ∈ [max_i l_i, max_i u_i]
/// ```
///
/// **Soundness.** `y = max_i x_i ≥ x_{i*}` for every `x`. In a decided window every `x_j`,
/// `j ≠ i*`, satisfies `x_j ≤ u_j ≤ l_{i*} ≤ x_{i*}`, so `y = x_{i*}` (both lines are exact).
/// Otherwise `y = max_i x_i ≤ max_i u_i = U`. The backward pass applies the usual sign split to
/// these two lines per output (lower side: `Λ⁺` takes the lower line and `Λ⁻` the upper; upper
/// side the reverse), which is sound because each line holds on the whole input box.
///
/// **Why this relaxation.** It is the rule auto_LiRPA uses without α-optimisation
/// (`BoundMaxPool.bound_backward`), so CROWN bounds on max-pool networks can be compared with
/// its reference bounds, and it needs no division by `u − l` (no loss of precision when a
/// window is nearly decided). CNN-Cert's plane (`pool_linear_bounds`: weights
/// `w_i = (u_i − γ)/(u_i − l_i)` over the candidates, see `../shared/notes/bound-propagation.md`
/// §3) gives a tighter upper line on undecided windows but differs from auto_LiRPA; it is not
/// implemented here. The remaining gap to a tool that optimises the lower weights (α-CROWN) is
/// expected and reported by the conformance tests.
///
/// [`Layer::unstable_inputs`] reports the inputs of undecided windows only: on a decided window
/// both lines stay the same on every sub-box, so refining those inputs cannot help.
///
/// # References
/// Xu et al., *auto_LiRPA*, NeurIPS 2020 (`pooling.BoundMaxPool`); Boopathy et al., *CNN-Cert*,
/// AAAI 2019, §3.3 (max pooling bounds).
///
/// # Examples
/// ```
/// use proven::layers::{MaxPool2d, Pool2dGeometry, Shape3};
/// use proven::{Interval, Layer};
/// use nalgebra::DVector;
/// let g = Pool2dGeometry::non_overlapping(Shape3::new(1, 2, 2).unwrap(), (2, 2));
/// let pool = MaxPool2d::new(g).unwrap();
/// assert_eq!(Layer::<f64>::forward(&pool, &DVector::from_vec(vec![1.0, 5.0, 3.0, 2.0]))[0], 5.0);
/// let b = Interval::new(DVector::from_vec(vec![0.0, 2.0, -1.0, 0.0]), DVector::from_vec(vec![1.0, 3.0, 0.0, 2.5])).unwrap();
/// // Input 1 wins unless input 3 exceeds 2: the window is not decided.
/// assert_eq!(Layer::<f64>::unstable_inputs(&pool, &b), Some(vec![0, 1, 2, 3]));
/// ```
#[derive(Debug, Clone)]
pub struct MaxPool2d {
    geometry: Pool2dGeometry,
    windows: Windows,
}

/// The relaxation of one window: the input of the lower line and, when not decided, the
/// constant upper bound.
#[derive(Debug, Clone, Copy)]
struct WindowLines<T> {
    /// Flat input index of `i* = argmax l`.
    arg: usize,
    /// `None` when decided (`y = x_{i*}`), else `Some(max u)`.
    upper: Option<T>,
}

impl MaxPool2d {
    /// Builds a max pooling layer.
    ///
    /// # Errors
    /// As [`Pool2dGeometry::output_shape`]; [`Error::Unsupported`] if a window lies entirely in
    /// the padding.
    pub fn new(geometry: Pool2dGeometry) -> Result<Self> {
        let windows = Windows::new(&geometry, "max pooling")?;
        Ok(Self { geometry, windows })
    }

    /// The geometry.
    pub fn geometry(&self) -> &Pool2dGeometry {
        &self.geometry
    }

    /// The output shape `C × H_out × W_out`.
    pub fn output_shape(&self) -> Shape3 {
        self.windows.output
    }

    /// Flat input indices of output `j`'s window.
    fn inputs(&self, j: usize) -> impl Iterator<Item = usize> + '_ {
        let (pin, pout) = (self.windows.input.plane(), self.windows.output.plane());
        let (c, p) = (j / pout, j % pout);
        self.windows.window(p).iter().map(move |&i| c * pin + i)
    }

    fn lines<T: Float>(&self, j: usize, b: &Interval<T>) -> WindowLines<T> {
        let (l, u) = (b.lower(), b.upper());
        let mut arg = usize::MAX;
        for i in self.inputs(j) {
            if arg == usize::MAX || l[i] > l[arg] {
                arg = i;
            }
        }
        let others = self
            .inputs(j)
            .filter(|&i| i != arg)
            .map(|i| u[i])
            .fold(T::neg_infinity(), |a, v| a.max(v));
        let upper = if l[arg] >= others {
            None
        } else {
            Some(others.max(u[arg]))
        };
        WindowLines { arg, upper }
    }

    fn pool<T: Float>(&self, x: &[T], y: &mut [T]) {
        for (j, yj) in y.iter_mut().enumerate() {
            *yj = self
                .inputs(j)
                .map(|i| x[i])
                .fold(T::neg_infinity(), |a, v| a.max(v));
        }
    }
}

impl<T: Float> Layer<T> for MaxPool2d {
    fn kind(&self) -> &'static str {
        "max_pool2d"
    }
    fn input_dim(&self) -> usize {
        self.windows.input.len()
    }
    fn output_dim(&self) -> usize {
        self.windows.output.len()
    }
    fn forward(&self, x: &DVector<T>) -> DVector<T> {
        let mut y = DVector::zeros(self.windows.output.len());
        self.pool(x.as_slice(), y.as_mut_slice());
        y
    }
    fn forward_batch(&self, x: &DMatrix<T>) -> DMatrix<T> {
        let mut y = DMatrix::zeros(self.windows.output.len(), x.ncols());
        let (n_in, n_out) = (x.nrows(), y.nrows());
        for (xc, yc) in x
            .as_slice()
            .chunks(n_in.max(1))
            .zip(y.as_mut_slice().chunks_mut(n_out.max(1)))
        {
            self.pool(xc, yc);
        }
        y
    }
    fn interval(&self, input: &Interval<T>) -> Interval<T> {
        Interval::new_unchecked(self.forward(input.lower()), self.forward(input.upper()))
    }
    fn is_linear(&self) -> bool {
        false
    }
    fn backward(&self, lambda: &DMatrix<T>, ctx: &BackwardContext<'_, T>) -> Result<Backward<T>> {
        let bounds = ctx.input_bounds.ok_or_else(|| Error::Unsupported {
            what: "backward pass through `max_pool2d` without input bounds".into(),
        })?;
        let n_out = self.windows.output.len();
        if lambda.ncols() != n_out {
            return Err(Error::mismatch(
                "max_pool2d backward Λ columns",
                n_out,
                lambda.ncols(),
            ));
        }
        if bounds.dim() != self.windows.input.len() {
            return Err(Error::mismatch(
                "max_pool2d backward input bounds",
                self.windows.input.len(),
                bounds.dim(),
            ));
        }
        let rows = lambda.nrows();
        let mut out = DMatrix::<T>::zeros(rows, self.windows.input.len());
        let mut offset = DVector::<T>::zeros(rows);
        let src = lambda.as_slice();
        let od = out.as_mut_slice();
        for j in 0..n_out {
            let col = &src[j * rows..(j + 1) * rows];
            let w = self.lines(j, bounds);
            let dst = &mut od[w.arg * rows..(w.arg + 1) * rows];
            match w.upper {
                None => {
                    for (d, &s) in dst.iter_mut().zip(col) {
                        *d += s;
                    }
                }
                Some(top) => {
                    // Coefficients that take the lower line y ≥ x_{i*}: the positive ones when
                    // bounding from below, the negative ones when bounding from above; the
                    // others take the constant line y ≤ top.
                    for (r, (d, &s)) in dst.iter_mut().zip(col).enumerate() {
                        let positive = s >= T::zero();
                        let takes_lower = match ctx.side {
                            Side::Lower => positive,
                            Side::Upper => !positive,
                        };
                        if takes_lower {
                            *d += s;
                        } else {
                            offset[r] += s * top;
                        }
                    }
                }
            }
        }
        Ok(Backward {
            lambda: out,
            offset,
        })
    }
    /// One non-zero per row at most: for `Λ = I[rows, :]` every coefficient is `1 ≥ 0`, so row
    /// `r` (output `j`) gets `x_{i*}` on the lower side and on the upper side of a decided window,
    /// and the constant `U` (no coefficient) on the upper side of an undecided one, as
    /// [`Layer::backward`] gives for the selection matrix.
    fn backward_identity(
        &self,
        rows: &[usize],
        ctx: &BackwardContext<'_, T>,
    ) -> Result<Backward<T>> {
        let bounds = ctx.input_bounds.ok_or_else(|| Error::Unsupported {
            what: "backward pass through `max_pool2d` without input bounds".into(),
        })?;
        let (n_in, n_out) = (self.windows.input.len(), self.windows.output.len());
        if bounds.dim() != n_in {
            return Err(Error::mismatch(
                "max_pool2d backward input bounds",
                n_in,
                bounds.dim(),
            ));
        }
        let mut lambda = DMatrix::<T>::zeros(rows.len(), n_in);
        let mut offset = DVector::<T>::zeros(rows.len());
        for (r, &j) in rows.iter().enumerate() {
            if j >= n_out {
                return Err(Error::mismatch(
                    "max_pool2d backward_identity row (< output length)",
                    n_out,
                    j,
                ));
            }
            let w = self.lines(j, bounds);
            match (ctx.side, w.upper) {
                (Side::Upper, Some(top)) => offset[r] = top,
                _ => lambda[(r, w.arg)] = T::one(),
            }
        }
        Ok(Backward { lambda, offset })
    }
    fn unstable_inputs(&self, bounds: &Interval<T>) -> Option<Vec<usize>> {
        if bounds.dim() != self.windows.input.len() {
            return None;
        }
        let mut flag = vec![false; self.windows.input.len()];
        for j in 0..self.windows.output.len() {
            if self.lines(j, bounds).upper.is_some() {
                for i in self.inputs(j) {
                    flag[i] = true;
                }
            }
        }
        Some((0..flag.len()).filter(|&i| flag[i]).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::RelaxationPolicy;

    /// `backward_identity` equals `backward` of the selection matrix, entry for entry.
    #[test]
    fn identity_rows_equal_the_selection_matrix_pass() {
        let g = Pool2dGeometry {
            input: Shape3::new(2, 3, 3).unwrap(),
            kernel: (2, 2),
            stride: (1, 1),
            padding: [0, 0, 1, 1],
        };
        let pool = MaxPool2d::new(g).unwrap();
        let (n_in, n_out) = (
            Layer::<f64>::input_dim(&pool),
            Layer::<f64>::output_dim(&pool),
        );
        let lo = DVector::from_fn(n_in, |i, _| ((i * 7) % 5) as f64 - 2.0);
        let hi = DVector::from_fn(n_in, |i, _| lo[i] + ((i * 3) % 4) as f64 * 0.5);
        let bounds = Interval::new(lo, hi).unwrap();
        let rows: Vec<usize> = (0..n_out).rev().chain([1, 1]).collect();
        let policy = RelaxationPolicy::default();
        for side in [Side::Lower, Side::Upper] {
            let ctx = BackwardContext {
                side,
                input_bounds: Some(&bounds),
                policy: &policy,
            };
            let selection = DMatrix::from_fn(rows.len(), n_out, |r, j| f64::from(rows[r] == j));
            let full = pool.backward(&selection, &ctx).unwrap();
            let fast = pool.backward_identity(&rows, &ctx).unwrap();
            assert_eq!(fast.lambda, full.lambda, "{side:?}");
            assert_eq!(fast.offset, full.offset, "{side:?}");
            assert!(pool.backward_identity(&[n_out], &ctx).is_err());
        }
    }
}
