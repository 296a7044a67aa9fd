//! 2-D convolution on one NCHW image, kept as a kernel ([`Conv2d`]).

use super::window::{Axis, plane_axes};
use super::{Backward, BackwardContext, Dense, Layer, Shape3};
use crate::{Error, Float, Interval, Result};
use nalgebra::{DMatrix, DMatrixView, DMatrixViewMut, DVector};

/// Target size (in numbers) of the temporary matrices of im2col and col2im.
///
/// Small on purpose (64 KiB in `f64`): a temporary below the C allocator's mmap threshold
/// (128 KiB by default in glibc) is served from, and returned to, the heap instead of being
/// mapped and unmapped with fresh zero pages on every bound call, and it stays in cache while
/// the scatter-add reads it back. The GEMM per chunk still has thousands of rows.
pub const CHUNK_ELEMENTS: usize = 1 << 13;

/// Largest dense matrix [`Conv2d::to_dense`] builds (2²⁸ numbers, 2 GiB in `f64`).
pub const MAX_DENSE_ELEMENTS: usize = 1 << 28;

/// Marks a tap that reads the padding.
const PADDING: usize = usize::MAX;

/// The shape parameters of a [`Conv2d`] (ONNX `Conv` attributes, `group = 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conv2dGeometry {
    /// Input shape `C_in × H × W`.
    pub input: Shape3,
    /// Number of output channels `C_out`.
    pub out_channels: usize,
    /// Kernel size `(k_h, k_w)`.
    pub kernel: (usize, usize),
    /// Stride `(s_h, s_w)`.
    pub stride: (usize, usize),
    /// Zero padding `[top, left, bottom, right]` (ONNX `pads` order
    /// `[h_begin, w_begin, h_end, w_end]`).
    pub padding: [usize; 4],
    /// Dilation `(d_h, d_w)`.
    pub dilation: (usize, usize),
}

impl Conv2dGeometry {
    /// A geometry with stride 1, no padding and no dilation.
    pub fn simple(input: Shape3, out_channels: usize, kernel: (usize, usize)) -> Self {
        Self {
            input,
            out_channels,
            kernel,
            stride: (1, 1),
            padding: [0; 4],
            dilation: (1, 1),
        }
    }

    fn axes(&self) -> (Axis, Axis) {
        plane_axes(
            self.input,
            self.kernel,
            self.stride,
            self.padding,
            self.dilation,
        )
    }

    /// Checks the geometry and returns the output shape `C_out × H_out × W_out`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] for a zero extent, kernel, stride or dilation, or a dilated
    /// kernel larger than the padded input; [`Error::Unsupported`] if sizes overflow.
    pub fn output_shape(&self) -> Result<Shape3> {
        self.input.validate("conv2d input")?;
        if self.out_channels == 0 {
            return Err(Error::mismatch("conv2d output channels", 1, 0));
        }
        let (ah, aw) = self.axes();
        let h = ah.output_len("conv2d height")?;
        let w = aw.output_len("conv2d width")?;
        let out = Shape3 {
            channels: self.out_channels,
            height: h,
            width: w,
        };
        out.validate("conv2d output")?;
        let taps = self.input.channels * self.kernel.0 * self.kernel.1;
        taps.checked_mul(out.plane())
            .ok_or_else(|| Error::Unsupported {
                what: "conv2d: too many kernel taps".into(),
            })?;
        Ok(out)
    }

    /// Number of kernel taps `F = C_in·k_h·k_w` per output channel.
    pub fn taps(&self) -> usize {
        self.input.channels * self.kernel.0 * self.kernel.1
    }
}

/// 2-D convolution `y = W ⋆ x + b` on one NCHW image (stride, asymmetric zero padding,
/// dilation, bias), kept as a kernel: the dense matrix is never formed by the bound engine.
///
/// With `F = C_in·k_h·k_w` kernel taps, `P = H_out·W_out` output pixels and `tap(p, f)` the input
/// pixel tap `f` of output pixel `p` reads (none in the padding):
///
/// ```text
/// forward:   y[co, p] = Σ_f K[co, f]·x[tap(p, f)] + b[co]              (im2col + one GEMM)
/// IBP:       y ∈ (K ⋆ c + b) ± (|K| ⋆ r)          (c, r: midpoint and half-width of the box)
/// backward:  G[(r, p), f] = Σ_co Λ[r, (co, p)]·K[co, f]                 (one GEMM)
///            Λ'[r, tap(p, f)] += G[(r, p), f]                           (col2im scatter-add)
///            Δ'[r] = Σ_{co, p} Λ[r, (co, p)]·b[co]                      (exact)
/// ```
///
/// The backward pass is the transposed convolution of the rows of `Λ` (each row read as a
/// `C_out × H_out × W_out` tensor). Because `Λ` is stored column-major with flat NCHW columns,
/// `Λ` *is* the `(rows·P) × C_out` matrix of the GEMM without any copy. Work is done in chunks of
/// output pixels so that the temporary `G` stays small (about [`CHUNK_ELEMENTS`] numbers).
///
/// # References
/// Boopathy et al., *CNN-Cert: An Efficient Framework for Certifying Robustness of Convolutional
/// Neural Networks*, AAAI 2019, §3 (bounds of a convolution kept as a convolution);
/// Xu et al., *auto_LiRPA*, NeurIPS 2020 (`BoundConv.bound_backward` via `conv_transpose2d`);
/// ONNX operator `Conv` (shapes and padding order).
///
/// # Examples
/// ```
/// use proven::layers::{Conv2d, Conv2dGeometry, Shape3};
/// use proven::Layer;
/// use nalgebra::DVector;
/// // One 2×2 averaging kernel on a 1×3×3 image, stride 1, no padding.
/// let g = Conv2dGeometry::simple(Shape3::new(1, 3, 3).unwrap(), 1, (2, 2));
/// let conv = Conv2d::new(g, vec![0.25; 4], vec![1.0]).unwrap();
/// assert_eq!(conv.output_shape(), Shape3::new(1, 2, 2).unwrap());
/// let x = DVector::from_vec((0..9).map(f64::from).collect());
/// assert_eq!(conv.forward(&x).as_slice(), &[3.0, 4.0, 6.0, 7.0]);
/// ```
#[derive(Clone)]
pub struct Conv2d<T: Float> {
    geometry: Conv2dGeometry,
    output: Shape3,
    /// `C_out × F`, row `co` = the kernel of output channel `co` (ONNX layout).
    kernel: DMatrix<T>,
    /// `F × C_out`.
    kernel_t: DMatrix<T>,
    /// `|K|ᵀ`, for IBP.
    kernel_t_abs: DMatrix<T>,
    bias: DVector<T>,
    /// The bias broadcast to every output pixel (length `C_out·P`).
    bias_full: DVector<T>,
    /// `taps[p·F + f]` = the input index tap `f` of output pixel `p` reads, or [`PADDING`].
    taps: Vec<usize>,
}

impl<T: Float> std::fmt::Debug for Conv2d<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conv2d")
            .field("geometry", &self.geometry)
            .field("output", &self.output)
            .finish_non_exhaustive()
    }
}

impl<T: Float> Conv2d<T> {
    /// Builds a convolution.
    ///
    /// `weight` is `C_out × C_in × k_h × k_w` in row-major order (the ONNX layout), `bias` has
    /// `C_out` entries (zeros for a convolution without bias).
    ///
    /// # Errors
    /// As [`Conv2dGeometry::output_shape`]; [`Error::DimensionMismatch`] for a weight or bias of
    /// the wrong length; [`Error::NonFinite`] for a NaN or infinite weight or bias (index into
    /// the given vector).
    ///
    /// # Examples
    /// ```
    /// use proven::layers::{Conv2d, Conv2dGeometry, Shape3};
    /// let g = Conv2dGeometry::simple(Shape3::new(1, 3, 3).unwrap(), 2, (2, 2));
    /// assert!(Conv2d::new(g, vec![0.0_f64; 7], vec![0.0; 2]).is_err()); // needs 2·1·2·2 = 8
    /// assert!(Conv2d::new(g, vec![f64::NAN; 8], vec![0.0; 2]).is_err());
    /// ```
    pub fn new(geometry: Conv2dGeometry, weight: Vec<T>, bias: Vec<T>) -> Result<Self> {
        let output = geometry.output_shape()?;
        let f = geometry.taps();
        let c_out = geometry.out_channels;
        if weight.len() != c_out * f {
            return Err(Error::mismatch(
                format!(
                    "conv2d weight length ({c_out}×{}×{}×{})",
                    geometry.input.channels, geometry.kernel.0, geometry.kernel.1
                ),
                c_out * f,
                weight.len(),
            ));
        }
        if bias.len() != c_out {
            return Err(Error::mismatch(
                "conv2d bias length (= output channels)",
                c_out,
                bias.len(),
            ));
        }
        for (what, v) in [("weight", &weight), ("bias", &bias)] {
            if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                return Err(Error::NonFinite {
                    context: format!("conv2d {what}"),
                    index: i,
                    value: v[i].as_f64(),
                });
            }
        }
        let kernel = DMatrix::from_row_slice(c_out, f, &weight);
        let kernel_t = kernel.transpose();
        let kernel_t_abs = kernel_t.abs();
        let bias = DVector::from_vec(bias);
        let plane = output.plane();
        let bias_full = DVector::from_fn(output.len(), |j, _| bias[j / plane]);
        let taps = tap_table(&geometry, output);
        Ok(Self {
            geometry,
            output,
            kernel,
            kernel_t,
            kernel_t_abs,
            bias,
            bias_full,
            taps,
        })
    }

    /// The geometry.
    pub fn geometry(&self) -> &Conv2dGeometry {
        &self.geometry
    }

    /// The input shape.
    pub fn input_shape(&self) -> Shape3 {
        self.geometry.input
    }

    /// The output shape `C_out × H_out × W_out`.
    pub fn output_shape(&self) -> Shape3 {
        self.output
    }

    /// The kernel as a `C_out × (C_in·k_h·k_w)` matrix (row `co` is output channel `co`'s kernel,
    /// flattened in ONNX order).
    pub fn kernel(&self) -> &DMatrix<T> {
        &self.kernel
    }

    /// The bias (one per output channel).
    pub fn bias(&self) -> &DVector<T> {
        &self.bias
    }

    /// The same map as a [`Dense`] layer (the matrix has `C_out·H_out·W_out` rows and
    /// `C_in·H·W` columns): the dense fallback, for tiny layers and for comparisons.
    ///
    /// # Errors
    /// [`Error::Unsupported`] if the matrix would have more than [`MAX_DENSE_ELEMENTS`] entries.
    pub fn to_dense(&self) -> Result<Dense<T>> {
        let (rows, cols) = (self.output.len(), self.geometry.input.len());
        if rows
            .checked_mul(cols)
            .is_none_or(|n| n > MAX_DENSE_ELEMENTS)
        {
            return Err(Error::Unsupported {
                what: format!(
                    "conv2d to_dense: a {rows}×{cols} matrix is larger than {MAX_DENSE_ELEMENTS} entries"
                ),
            });
        }
        let (plane, f) = (self.output.plane(), self.geometry.taps());
        let mut w = DMatrix::zeros(rows, cols);
        for co in 0..self.geometry.out_channels {
            for p in 0..plane {
                for t in 0..f {
                    let idx = self.taps[p * f + t];
                    if idx != PADDING {
                        w[(co * plane + p, idx)] += self.kernel[(co, t)];
                    }
                }
            }
        }
        Dense::new(w, self.bias_full.clone())
    }

    /// `K ⋆ x` (no bias) for every column of `x`, with `kt` = the transposed kernel to use.
    /// im2col per chunk of samples, then one GEMM per chunk.
    fn correlate(&self, x: &DMatrix<T>, kt: &DMatrix<T>) -> DMatrix<T> {
        let (plane, f) = (self.output.plane(), self.geometry.taps());
        let c_out = self.geometry.out_channels;
        let n = x.ncols();
        let mut y = DMatrix::zeros(self.output.len(), n);
        let chunk = (CHUNK_ELEMENTS / (plane * f).max(1)).clamp(1, n.max(1));
        let mut s0 = 0;
        while s0 < n {
            let ns = chunk.min(n - s0);
            // cols: (ns·P) × F, row s·P + p holds the patch of output pixel p of sample s0 + s.
            let mut cols = DMatrix::<T>::zeros(ns * plane, f);
            {
                let data = cols.as_mut_slice();
                for t in 0..f {
                    let column = &mut data[t * ns * plane..(t + 1) * ns * plane];
                    for s in 0..ns {
                        let xs = x.column(s0 + s);
                        for p in 0..plane {
                            let idx = self.taps[p * f + t];
                            if idx != PADDING {
                                column[s * plane + p] = xs[idx];
                            }
                        }
                    }
                }
            }
            let prod = &cols * kt; // (ns·P) × C_out
            for s in 0..ns {
                let mut out = y.column_mut(s0 + s);
                for co in 0..c_out {
                    for p in 0..plane {
                        out[co * plane + p] = prod[(s * plane + p, co)];
                    }
                }
            }
            s0 += ns;
        }
        y
    }

    fn add_bias(&self, mut y: DMatrix<T>) -> DMatrix<T> {
        for mut col in y.column_iter_mut() {
            col += &self.bias_full;
        }
        y
    }
}

/// The tap table of a checked geometry: `taps[p·F + f]` (see [`Conv2d`]).
fn tap_table(g: &Conv2dGeometry, output: Shape3) -> Vec<usize> {
    let (ah, aw) = g.axes();
    let (kh, kw) = g.kernel;
    let f = g.taps();
    let mut taps = vec![PADDING; output.plane() * f];
    for oh in 0..output.height {
        for ow in 0..output.width {
            let p = oh * output.width + ow;
            for ci in 0..g.input.channels {
                for ki in 0..kh {
                    let Some(ih) = ah.source(oh, ki) else {
                        continue;
                    };
                    for kj in 0..kw {
                        if let Some(iw) = aw.source(ow, kj) {
                            taps[p * f + (ci * kh + ki) * kw + kj] = g.input.index(ci, ih, iw);
                        }
                    }
                }
            }
        }
    }
    taps
}

impl<T: Float> Layer<T> for Conv2d<T> {
    fn kind(&self) -> &'static str {
        "conv2d"
    }
    fn input_dim(&self) -> usize {
        self.geometry.input.len()
    }
    fn output_dim(&self) -> usize {
        self.output.len()
    }
    fn forward(&self, x: &DVector<T>) -> DVector<T> {
        let y = self.forward_batch(&DMatrix::from_column_slice(x.len(), 1, x.as_slice()));
        DVector::from_column_slice(y.as_slice())
    }
    fn forward_batch(&self, x: &DMatrix<T>) -> DMatrix<T> {
        self.add_bias(self.correlate(x, &self.kernel_t))
    }
    fn interval(&self, input: &Interval<T>) -> Interval<T> {
        let c = input.center();
        let r = input.radius();
        let mid = self.add_bias(self.correlate(
            &DMatrix::from_column_slice(c.len(), 1, c.as_slice()),
            &self.kernel_t,
        ));
        let spread = self.correlate(
            &DMatrix::from_column_slice(r.len(), 1, r.as_slice()),
            &self.kernel_t_abs,
        );
        Interval::new_unchecked(
            DVector::from_column_slice((&mid - &spread).as_slice()),
            DVector::from_column_slice((&mid + &spread).as_slice()),
        )
    }
    fn is_linear(&self) -> bool {
        true
    }
    fn backward(&self, lambda: &DMatrix<T>, _ctx: &BackwardContext<'_, T>) -> Result<Backward<T>> {
        if lambda.ncols() != self.output.len() {
            return Err(Error::mismatch(
                "conv2d backward Λ columns",
                self.output.len(),
                lambda.ncols(),
            ));
        }
        let rows = lambda.nrows();
        let (plane, f) = (self.output.plane(), self.geometry.taps());
        let c_out = self.geometry.out_channels;
        let mut out = DMatrix::<T>::zeros(rows, self.geometry.input.len());
        if rows == 0 {
            return Ok(Backward {
                lambda: out,
                offset: DVector::zeros(0),
            });
        }
        // Λ (rows × C_out·P, column-major) read as M: (rows·P) × C_out, M[(r + p·rows), co].
        let m = DMatrixView::from_slice(lambda.as_slice(), rows * plane, c_out);
        let chunk = (CHUNK_ELEMENTS / (rows * f).max(1)).clamp(1, plane);
        // One buffer for every chunk's G; the GEMM overwrites it (β = 0).
        let mut buffer = vec![T::zero(); chunk * rows * f];
        let mut p0 = 0;
        while p0 < plane {
            let np = chunk.min(plane - p0);
            let mut g = DMatrixViewMut::from_slice(&mut buffer[..np * rows * f], np * rows, f);
            g.gemm(
                T::one(),
                &m.rows(p0 * rows, np * rows),
                &self.kernel,
                T::zero(),
            ); // (np·rows) × F
            let gd = &buffer[..np * rows * f];
            let od = out.as_mut_slice();
            for t in 0..f {
                let gcol = &gd[t * np * rows..(t + 1) * np * rows];
                for dp in 0..np {
                    let idx = self.taps[(p0 + dp) * f + t];
                    if idx == PADDING {
                        continue;
                    }
                    let dst = &mut od[idx * rows..(idx + 1) * rows];
                    let src = &gcol[dp * rows..(dp + 1) * rows];
                    for (d, &s) in dst.iter_mut().zip(src) {
                        *d += s;
                    }
                }
            }
            p0 += np;
        }
        Ok(Backward {
            lambda: out,
            offset: lambda * &self.bias_full,
        })
    }
    fn backward_identity(
        &self,
        rows: &[usize],
        _ctx: &BackwardContext<'_, T>,
    ) -> Result<Backward<T>> {
        let (plane, f) = (self.output.plane(), self.geometry.taps());
        let mut out = DMatrix::<T>::zeros(rows.len(), self.geometry.input.len());
        let mut offset = DVector::zeros(rows.len());
        for (r, &j) in rows.iter().enumerate() {
            if j >= self.output.len() {
                return Err(Error::mismatch(
                    "conv2d backward_identity row (< output length)",
                    self.output.len(),
                    j,
                ));
            }
            let (co, p) = (j / plane, j % plane);
            for t in 0..f {
                let idx = self.taps[p * f + t];
                if idx != PADDING {
                    out[(r, idx)] += self.kernel[(co, t)];
                }
            }
            offset[r] = self.bias[co];
        }
        Ok(Backward {
            lambda: out,
            offset,
        })
    }
}
