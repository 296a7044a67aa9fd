//! Backend-independent descriptions of 2-D convolution and pooling (NCHW, batch 1), with a plain
//! `f64` evaluation that serves as the reader's reference forward pass.
//!
//! Output size per spatial axis (ONNX `Conv`/`AveragePool`/`MaxPool` with `ceil_mode = 0`):
//! `out = ⌊(in + pad_begin + pad_end − dilation·(kernel − 1) − 1) / stride⌋ + 1`.

/// A `channels × height × width` feature map, flattened row-major (channel outermost).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapShape {
    /// Number of channels.
    pub channels: usize,
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
}

impl MapShape {
    /// Number of coordinates.
    pub fn len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Whether the map has no coordinates.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Flat index of `(c, i, j)`.
    fn at(&self, c: usize, i: usize, j: usize) -> usize {
        (c * self.height + i) * self.width + j
    }
}

/// The sliding-window geometry shared by convolution and pooling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Kernel `(rows, columns)`.
    pub kernel: (usize, usize),
    /// Stride `(rows, columns)`.
    pub stride: (usize, usize),
    /// Zero padding `[top, left, bottom, right]` (ONNX `pads` order for 2-D).
    pub padding: [usize; 4],
    /// Dilation `(rows, columns)`.
    pub dilation: (usize, usize),
}

/// Output length of one axis, or `None` when the window does not fit (or a parameter is zero).
pub(crate) fn axis_output(
    input: usize,
    pad_begin: usize,
    pad_end: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
) -> Option<usize> {
    if kernel == 0 || stride == 0 || dilation == 0 {
        return None;
    }
    let span = dilation.checked_mul(kernel - 1)?.checked_add(1)?;
    let padded = input.checked_add(pad_begin)?.checked_add(pad_end)?;
    padded.checked_sub(span).map(|r| r / stride + 1)
}

impl Window {
    /// Output `(height, width)` for an input of `(height, width)`, or `None` if the window does
    /// not fit.
    pub fn output(&self, height: usize, width: usize) -> Option<(usize, usize)> {
        let [top, left, bottom, right] = self.padding;
        Some((
            axis_output(
                height,
                top,
                bottom,
                self.kernel.0,
                self.stride.0,
                self.dilation.0,
            )?,
            axis_output(
                width,
                left,
                right,
                self.kernel.1,
                self.stride.1,
                self.dilation.1,
            )?,
        ))
    }

    /// Input positions `(row, column)` under the window for output `(oi, oj)`, or `None` for a
    /// position in the padding; `(ki, kj)` is the kernel offset.
    fn source(
        &self,
        input: &MapShape,
        (oi, oj): (usize, usize),
        (ki, kj): (usize, usize),
    ) -> Option<(usize, usize)> {
        let r = (oi * self.stride.0 + ki * self.dilation.0).checked_sub(self.padding[0])?;
        let c = (oj * self.stride.1 + kj * self.dilation.1).checked_sub(self.padding[1])?;
        (r < input.height && c < input.width).then_some((r, c))
    }
}

/// `Conv` with `group = 1`: `y[m,i,j] = b[m] + Σ_{c,ki,kj} W[m,c,ki,kj]·x[c, i·s+ki·d−p, j·s+kj·d−p]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvSpec {
    /// Input map.
    pub input: MapShape,
    /// Number of output channels `M`.
    pub out_channels: usize,
    /// Kernel, stride, padding and dilation.
    pub window: Window,
    /// Weights `M × C × kh × kw`, row-major as in ONNX.
    pub weight: Vec<f64>,
    /// Bias, length `M` (zeros when the node has none).
    pub bias: Vec<f64>,
}

impl ConvSpec {
    /// The `C × C × 1 × 1` identity convolution with `padding`: zero padding as a layer.
    pub fn padding(input: MapShape, padding: [usize; 4]) -> ConvSpec {
        let c = input.channels;
        let mut weight = vec![0.0; c * c];
        (0..c).for_each(|i| weight[i * c + i] = 1.0);
        ConvSpec {
            input,
            out_channels: c,
            window: Window {
                kernel: (1, 1),
                stride: (1, 1),
                padding,
                dilation: (1, 1),
            },
            weight,
            bias: vec![0.0; c],
        }
    }

    /// Whether this is exactly [`ConvSpec::padding`] of its input.
    pub fn is_padding(&self) -> bool {
        self.window.kernel == (1, 1)
            && self.window.stride == (1, 1)
            && *self == ConvSpec::padding(self.input, self.window.padding)
    }

    /// `self` applied after the zero padding `pad` (a [`ConvSpec::is_padding`] convolution): one
    /// convolution with the paddings added, since both pad with zeros.
    pub(crate) fn after_padding(mut self, pad: &ConvSpec) -> ConvSpec {
        self.input = pad.input;
        for (p, q) in self.window.padding.iter_mut().zip(pad.window.padding) {
            *p = p.saturating_add(q);
        }
        self
    }

    /// The output map (the geometry was checked when the spec was made).
    pub fn output(&self) -> MapShape {
        let (height, width) = self
            .window
            .output(self.input.height, self.input.width)
            .unwrap_or((0, 0));
        MapShape {
            channels: self.out_channels,
            height,
            width,
        }
    }

    /// Evaluates the convolution at `x` (length `input.len()`).
    pub fn forward(&self, x: &[f64]) -> Vec<f64> {
        let out = self.output();
        let (kh, kw) = self.window.kernel;
        let c_in = self.input.channels;
        let mut y = vec![0.0; out.len()];
        for m in 0..out.channels {
            for oi in 0..out.height {
                for oj in 0..out.width {
                    let mut acc = self.bias[m];
                    for c in 0..c_in {
                        for ki in 0..kh {
                            for kj in 0..kw {
                                if let Some((r, s)) =
                                    self.window.source(&self.input, (oi, oj), (ki, kj))
                                {
                                    let w = self.weight[((m * c_in + c) * kh + ki) * kw + kj];
                                    acc += w * x[self.input.at(c, r, s)];
                                }
                            }
                        }
                    }
                    y[out.at(m, oi, oj)] = acc;
                }
            }
        }
        y
    }
}

/// Average or max pooling over each channel separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSpec {
    /// Input map.
    pub input: MapShape,
    /// Kernel, stride and padding (dilation is always 1).
    pub window: Window,
}

impl PoolSpec {
    /// The output map.
    pub fn output(&self) -> MapShape {
        let (height, width) = self
            .window
            .output(self.input.height, self.input.width)
            .unwrap_or((0, 0));
        MapShape {
            channels: self.input.channels,
            height,
            width,
        }
    }

    /// Applies `reduce(values under the window, number of window positions)` at every output.
    fn map(&self, x: &[f64], reduce: impl Fn(&[f64], usize) -> f64) -> Vec<f64> {
        let out = self.output();
        let (kh, kw) = self.window.kernel;
        let mut y = vec![0.0; out.len()];
        let mut buf = Vec::with_capacity(kh * kw);
        for c in 0..out.channels {
            for oi in 0..out.height {
                for oj in 0..out.width {
                    buf.clear();
                    for ki in 0..kh {
                        for kj in 0..kw {
                            if let Some((r, s)) =
                                self.window.source(&self.input, (oi, oj), (ki, kj))
                            {
                                buf.push(x[self.input.at(c, r, s)]);
                            }
                        }
                    }
                    y[out.at(c, oi, oj)] = reduce(&buf, kh * kw);
                }
            }
        }
        y
    }

    /// Average pooling: the sum over the window divided by `kh·kw` when `count_include_pad`
    /// (padding counts as zeros), else by the number of positions inside the input.
    pub fn average(&self, x: &[f64], count_include_pad: bool) -> Vec<f64> {
        self.map(x, |v, full| {
            let n = if count_include_pad { full } else { v.len() };
            v.iter().sum::<f64>() / n.max(1) as f64
        })
    }

    /// Max pooling: the largest value inside the input (padding never wins).
    pub fn max(&self, x: &[f64]) -> Vec<f64> {
        self.map(x, |v, _| {
            v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(k: usize, s: usize, p: usize, d: usize) -> Window {
        Window {
            kernel: (k, k),
            stride: (s, s),
            padding: [p; 4],
            dilation: (d, d),
        }
    }

    #[test]
    fn output_sizes() {
        assert_eq!(window(2, 1, 0, 1).output(28, 28), Some((27, 27)));
        assert_eq!(window(4, 4, 0, 1).output(27, 27), Some((6, 6)));
        assert_eq!(window(4, 2, 1, 1).output(32, 32), Some((16, 16)));
        assert_eq!(window(3, 1, 0, 2).output(5, 5), Some((1, 1)));
        assert_eq!(window(3, 1, 0, 3).output(5, 5), None);
        assert_eq!(window(0, 1, 0, 1).output(5, 5), None);
    }

    #[test]
    fn convolution_by_hand() {
        // One 3×3 input channel, a 2×2 kernel of ones plus a diagonal, padding 1 on the top only.
        let input = MapShape {
            channels: 1,
            height: 3,
            width: 3,
        };
        let conv = ConvSpec {
            input,
            out_channels: 1,
            window: Window {
                kernel: (2, 2),
                stride: (1, 1),
                padding: [1, 0, 0, 0],
                dilation: (1, 1),
            },
            weight: vec![1.0, 0.0, 0.0, 2.0],
            bias: vec![0.5],
        };
        let x: Vec<f64> = (1..=9).map(f64::from).collect();
        // Output 3×2; row 0 reads the padding row above and row 0 (w[1,1]=2 on x[0, j+1]).
        let y = conv.forward(&x);
        assert_eq!(conv.output().height, 3);
        assert_eq!(
            y,
            vec![
                0.5 + 2.0 * 2.0,
                0.5 + 2.0 * 3.0,
                0.5 + 1.0 + 2.0 * 5.0,
                0.5 + 2.0 + 2.0 * 6.0,
                0.5 + 4.0 + 2.0 * 8.0,
                0.5 + 5.0 + 2.0 * 9.0
            ]
        );
    }

    #[test]
    fn pooling_with_padding() {
        let pool = PoolSpec {
            input: MapShape {
                channels: 1,
                height: 2,
                width: 2,
            },
            window: Window {
                kernel: (2, 2),
                stride: (2, 2),
                padding: [1, 1, 1, 1],
                dilation: (1, 1),
            },
        };
        let x = [1.0, -2.0, -3.0, -4.0];
        assert_eq!(pool.max(&x), vec![1.0, -2.0, -3.0, -4.0]);
        assert_eq!(pool.average(&x, false), x.to_vec());
        assert_eq!(pool.average(&x, true), vec![0.25, -0.5, -0.75, -1.0]);
    }
}
