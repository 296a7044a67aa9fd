//! 2-D pooling geometry and average pooling on one NCHW image.

use super::window::{Axis, plane_axes};
use super::{Backward, BackwardContext, Layer, Shape3};
use crate::{Error, Float, Interval, Result};
use nalgebra::{DMatrix, DVector};

/// The shape parameters of a pooling layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pool2dGeometry {
    /// Input shape `C × H × W`.
    pub input: Shape3,
    /// Window size `(k_h, k_w)`.
    pub kernel: (usize, usize),
    /// Stride `(s_h, s_w)`.
    pub stride: (usize, usize),
    /// Padding `[top, left, bottom, right]` (ONNX `pads` order).
    pub padding: [usize; 4],
}

impl Pool2dGeometry {
    /// Non-overlapping windows: stride = kernel, no padding.
    pub fn non_overlapping(input: Shape3, kernel: (usize, usize)) -> Self {
        Self {
            input,
            kernel,
            stride: kernel,
            padding: [0; 4],
        }
    }

    /// Checks the geometry and returns the output shape `C × H_out × W_out`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] for a zero extent, window or stride, or a window larger than
    /// the padded input; [`Error::Unsupported`] if sizes overflow.
    pub fn output_shape(&self) -> Result<Shape3> {
        self.input.validate("pool2d input")?;
        let (ah, aw) = self.axes();
        Ok(Shape3 {
            channels: self.input.channels,
            height: ah.output_len("pool2d height")?,
            width: aw.output_len("pool2d width")?,
        })
    }

    fn axes(&self) -> (Axis, Axis) {
        plane_axes(self.input, self.kernel, self.stride, self.padding, (1, 1))
    }
}

/// The windows of a checked pooling geometry, as in-plane pixel indices (`h·W + w`) per output
/// pixel, in compressed form.
#[derive(Debug, Clone)]
pub(crate) struct Windows {
    pub input: Shape3,
    pub output: Shape3,
    starts: Vec<usize>,
    pixels: Vec<usize>,
}

impl Windows {
    /// Builds the windows.
    ///
    /// # Errors
    /// As [`Pool2dGeometry::output_shape`]; [`Error::Unsupported`] naming the output pixel if a
    /// window lies entirely in the padding (`what` names the layer).
    pub fn new(g: &Pool2dGeometry, what: &str) -> Result<Self> {
        let output = g.output_shape()?;
        let (ah, aw) = g.axes();
        let mut starts = Vec::with_capacity(output.plane() + 1);
        let mut pixels = Vec::new();
        starts.push(0);
        for oh in 0..output.height {
            for ow in 0..output.width {
                for i in 0..g.kernel.0 {
                    let Some(ih) = ah.source(oh, i) else {
                        continue;
                    };
                    for j in 0..g.kernel.1 {
                        if let Some(iw) = aw.source(ow, j) {
                            pixels.push(ih * g.input.width + iw);
                        }
                    }
                }
                if pixels.len() == *starts.last().expect("non-empty") {
                    return Err(Error::Unsupported {
                        what: format!(
                            "{what}: the window of output pixel ({oh}, {ow}) lies entirely in the padding"
                        ),
                    });
                }
                starts.push(pixels.len());
            }
        }
        Ok(Self {
            input: g.input,
            output,
            starts,
            pixels,
        })
    }

    /// The in-plane input pixels of output pixel `p`.
    pub fn window(&self, p: usize) -> &[usize] {
        &self.pixels[self.starts[p]..self.starts[p + 1]]
    }
}

/// Average pooling on one NCHW image (a linear layer).
///
/// A pooling window of output pixel `p` (in every channel) covers the input pixels
/// `{(o_h·s_h + i − pad_top, o_w·s_w + j − pad_left) : i < k_h, j < k_w}` that are not padding
/// (ONNX `AveragePool`/`MaxPool`, `ceil_mode = 0`, no dilation).
///
/// Average pooling is linear:
///
/// ```text
/// y[c, p] = (1/d_p)·Σ_{i ∈ win(p)} x[c, i]      d_p = k_h·k_w         (count_include_pad = 1)
///                                               d_p = |win(p)|        (count_include_pad = 0)
/// IBP:       y ∈ [avg(l), avg(u)]               (non-negative weights)
/// backward:  Λ'[r, (c, i)] = Σ_{p : i ∈ win(p)} Λ[r, (c, p)] / d_p     (exact, Δ' = 0)
/// ```
///
/// # References
/// Boopathy et al., *CNN-Cert*, AAAI 2019 (pooling as a convolution with weights `1/(k_h·k_w)`
/// on the channel diagonal); ONNX operator `AveragePool`.
///
/// # Examples
/// ```
/// use proven::layers::{AvgPool2d, Pool2dGeometry, Shape3};
/// use proven::Layer;
/// use nalgebra::DVector;
/// let g = Pool2dGeometry::non_overlapping(Shape3::new(1, 2, 2).unwrap(), (2, 2));
/// let pool = AvgPool2d::new(g, false).unwrap();
/// assert_eq!(pool.forward(&DVector::from_vec(vec![1.0, 2.0, 3.0, 6.0]))[0], 3.0);
/// ```
#[derive(Debug, Clone)]
pub struct AvgPool2d<T: Float> {
    geometry: Pool2dGeometry,
    count_include_pad: bool,
    windows: Windows,
    /// `1/d_p` per output pixel.
    weights: Vec<T>,
}

impl<T: Float> AvgPool2d<T> {
    /// Builds an average pooling layer; `count_include_pad` as the ONNX attribute (whether padded
    /// cells count in the divisor).
    ///
    /// # Errors
    /// As [`Pool2dGeometry::output_shape`]; [`Error::Unsupported`] if a window lies entirely in
    /// the padding.
    pub fn new(geometry: Pool2dGeometry, count_include_pad: bool) -> Result<Self> {
        let windows = Windows::new(&geometry, "average pooling")?;
        let full = T::from_f64_rounded((geometry.kernel.0 * geometry.kernel.1) as f64);
        let weights = (0..windows.output.plane())
            .map(|p| {
                let d = if count_include_pad {
                    full
                } else {
                    T::from_f64_rounded(windows.window(p).len() as f64)
                };
                T::one() / d
            })
            .collect();
        Ok(Self {
            geometry,
            count_include_pad,
            windows,
            weights,
        })
    }

    /// The geometry.
    pub fn geometry(&self) -> &Pool2dGeometry {
        &self.geometry
    }

    /// Whether padded cells count in the divisor.
    pub fn count_include_pad(&self) -> bool {
        self.count_include_pad
    }

    /// The output shape `C × H_out × W_out`.
    pub fn output_shape(&self) -> Shape3 {
        self.windows.output
    }

    fn apply(&self, x: &[T], y: &mut [T]) {
        let (pin, pout) = (self.windows.input.plane(), self.windows.output.plane());
        for c in 0..self.windows.output.channels {
            let xin = &x[c * pin..(c + 1) * pin];
            for p in 0..pout {
                let s: T = self.windows.window(p).iter().map(|&i| xin[i]).sum();
                y[c * pout + p] = s * self.weights[p];
            }
        }
    }
}

impl<T: Float> Layer<T> for AvgPool2d<T> {
    fn kind(&self) -> &'static str {
        "avg_pool2d"
    }
    fn input_dim(&self) -> usize {
        self.windows.input.len()
    }
    fn output_dim(&self) -> usize {
        self.windows.output.len()
    }
    fn forward(&self, x: &DVector<T>) -> DVector<T> {
        let mut y = DVector::zeros(self.output_dim());
        self.apply(x.as_slice(), y.as_mut_slice());
        y
    }
    fn forward_batch(&self, x: &DMatrix<T>) -> DMatrix<T> {
        let (n_in, n_out) = (self.input_dim(), self.output_dim());
        let mut y = DMatrix::zeros(n_out, x.ncols());
        for (xc, yc) in x
            .as_slice()
            .chunks(n_in)
            .zip(y.as_mut_slice().chunks_mut(n_out))
        {
            self.apply(xc, yc);
        }
        y
    }
    fn interval(&self, input: &Interval<T>) -> Interval<T> {
        Interval::new_unchecked(self.forward(input.lower()), self.forward(input.upper()))
    }
    fn is_linear(&self) -> bool {
        true
    }
    fn backward(&self, lambda: &DMatrix<T>, _ctx: &BackwardContext<'_, T>) -> Result<Backward<T>> {
        if lambda.ncols() != self.output_dim() {
            return Err(Error::mismatch(
                "avg_pool2d backward Λ columns",
                self.output_dim(),
                lambda.ncols(),
            ));
        }
        let rows = lambda.nrows();
        let (pin, pout) = (self.windows.input.plane(), self.windows.output.plane());
        let mut out = DMatrix::<T>::zeros(rows, self.input_dim());
        let src = lambda.as_slice();
        let od = out.as_mut_slice();
        for c in 0..self.windows.output.channels {
            for p in 0..pout {
                let j = c * pout + p;
                let w = self.weights[p];
                let col = &src[j * rows..(j + 1) * rows];
                for &i in self.windows.window(p) {
                    let k = c * pin + i;
                    for (d, &s) in od[k * rows..(k + 1) * rows].iter_mut().zip(col) {
                        *d += s * w;
                    }
                }
            }
        }
        Ok(Backward {
            lambda: out,
            offset: DVector::zeros(rows),
        })
    }
    fn backward_identity(
        &self,
        rows: &[usize],
        _ctx: &BackwardContext<'_, T>,
    ) -> Result<Backward<T>> {
        let (pin, pout) = (self.windows.input.plane(), self.windows.output.plane());
        let mut out = DMatrix::<T>::zeros(rows.len(), self.input_dim());
        for (r, &j) in rows.iter().enumerate() {
            if j >= self.output_dim() {
                return Err(Error::mismatch(
                    "avg_pool2d backward_identity row (< output length)",
                    self.output_dim(),
                    j,
                ));
            }
            let (c, p) = (j / pout, j % pout);
            for &i in self.windows.window(p) {
                out[(r, c * pin + i)] += self.weights[p];
            }
        }
        Ok(Backward {
            lambda: out,
            offset: DVector::zeros(rows.len()),
        })
    }
}
