//! Sliding-window arithmetic shared by convolution and pooling: along one spatial axis, which
//! input position (if any) kernel tap `k` of output position `o` reads.
//!
//! ```text
//! out = ⌊(in + pad_before + pad_after − (dilation·(kernel − 1) + 1)) / stride⌋ + 1
//! source(o, k) = o·stride + k·dilation − pad_before      (None when outside [0, in))
//! ```
//! (ONNX `Conv`/`AveragePool`/`MaxPool` with `ceil_mode = 0`.)

use crate::{Error, Result};

/// One spatial axis of a sliding window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Axis {
    pub input: usize,
    pub kernel: usize,
    pub stride: usize,
    pub pad_before: usize,
    pub pad_after: usize,
    pub dilation: usize,
}

/// The height and width axes of a 2-D window geometry (`padding` = top, left, bottom, right).
pub(crate) fn plane_axes(
    input: super::Shape3,
    kernel: (usize, usize),
    stride: (usize, usize),
    padding: [usize; 4],
    dilation: (usize, usize),
) -> (Axis, Axis) {
    (
        Axis {
            input: input.height,
            kernel: kernel.0,
            stride: stride.0,
            pad_before: padding[0],
            pad_after: padding[2],
            dilation: dilation.0,
        },
        Axis {
            input: input.width,
            kernel: kernel.1,
            stride: stride.1,
            pad_before: padding[1],
            pad_after: padding[3],
            dilation: dilation.1,
        },
    )
}

impl Axis {
    /// Checks the parameters and returns the output length.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] naming `what` for a zero kernel, stride or dilation, or a
    /// dilated kernel longer than the padded input.
    pub fn output_len(&self, what: &str) -> Result<usize> {
        for (name, v) in [
            ("kernel", self.kernel),
            ("stride", self.stride),
            ("dilation", self.dilation),
        ] {
            if v == 0 {
                return Err(Error::mismatch(format!("{what} {name}"), 1, 0));
            }
        }
        let too_big = || Error::Unsupported {
            what: format!("{what}: sizes overflow"),
        };
        let padded = self
            .input
            .checked_add(self.pad_before)
            .and_then(|v| v.checked_add(self.pad_after))
            .ok_or_else(too_big)?;
        let extent = self
            .dilation
            .checked_mul(self.kernel - 1)
            .and_then(|v| v.checked_add(1))
            .ok_or_else(too_big)?;
        if extent > padded {
            return Err(Error::mismatch(
                format!("{what} padded input (at least the dilated kernel extent)"),
                extent,
                padded,
            ));
        }
        Ok((padded - extent) / self.stride + 1)
    }

    /// The input position read by tap `k` of output position `o`, if it is not padding.
    pub fn source(&self, o: usize, k: usize) -> Option<usize> {
        let pos = o * self.stride + k * self.dilation;
        pos.checked_sub(self.pad_before).filter(|&i| i < self.input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_length_and_sources_follow_the_onnx_formula() {
        let a = Axis {
            input: 5,
            kernel: 3,
            stride: 2,
            pad_before: 1,
            pad_after: 0,
            dilation: 1,
        };
        // ⌊(5 + 1 − 3)/2⌋ + 1 = 2
        assert_eq!(a.output_len("t").unwrap(), 2);
        assert_eq!(a.source(0, 0), None);
        assert_eq!(a.source(0, 1), Some(0));
        assert_eq!(a.source(1, 2), Some(3));
        let d = Axis { dilation: 3, ..a };
        // extent 7 > 6
        assert!(d.output_len("t").is_err());
        assert!(Axis { stride: 0, ..a }.output_len("t").is_err());
    }
}
