//! The attributes shared by `Conv`, `MaxPool` and `AveragePool`: `kernel_shape`, `strides`,
//! `pads`, `dilations`, `auto_pad` and `ceil_mode`, read into a checked [`Window`].

use super::OnnxErrorKind;
use super::attrs::Attrs;
use super::cnn::{MapShape, Window};
use super::convert::NodeCtx;

/// The largest kernel size, stride, dilation or one-sided padding accepted: larger values are
/// rejected as implausible, which keeps the window arithmetic far from overflow.
pub(super) const MAX_WINDOW: i64 = 1 << 20;

/// The NCHW map of a network value of shape `[1, C, H, W]`.
pub(super) fn map_shape(ctx: &NodeCtx, shape: &[usize]) -> Result<MapShape, OnnxErrorKind> {
    match shape {
        [1, c, h, w] => Ok(MapShape {
            channels: *c,
            height: *h,
            width: *w,
        }),
        [n, _, _, _] => Err(ctx.unsupported(format!(
            "input of shape {shape:?} has batch size {n}; only 1 is supported"
        ))),
        _ => Err(ctx.shape_mismatch(format!(
            "input has shape {shape:?}; a 2-D {} needs an NCHW input of rank 4",
            ctx.node.op_type
        ))),
    }
}

/// A list attribute of two positive integers, or `default` when absent.
fn pair(at: &Attrs, name: &str, default: (usize, usize)) -> Result<(usize, usize), OnnxErrorKind> {
    match at.ints(name)? {
        None => Ok(default),
        Some(&[a, b]) if (1..=MAX_WINDOW).contains(&a) && (1..=MAX_WINDOW).contains(&b) => {
            Ok((a as usize, b as usize))
        }
        Some(v) => Err(at.invalid(
            name,
            format!("{v:?}; two values in [1, {MAX_WINDOW}] are needed for a 2-D operation"),
        )),
    }
}

/// Reads the window of a 2-D convolution or pooling node over `input`.
///
/// `kernel` is the kernel size implied elsewhere (the weight tensor of a `Conv`), checked against
/// `kernel_shape` when both are present. `pooling` rejects dilations other than 1 and reads
/// `ceil_mode`: `ceil_mode = 1` is accepted when it gives the same output size as `0` and is
/// rejected otherwise. `auto_pad` may be `NOTSET` (explicit `pads`), `VALID` (no padding),
/// `SAME_UPPER` or `SAME_LOWER` (output `⌈in / stride⌉`, the odd padding unit at the end or start).
pub(super) fn read_window(
    ctx: &NodeCtx,
    input: &MapShape,
    kernel: Option<(usize, usize)>,
    pooling: bool,
) -> Result<Window, OnnxErrorKind> {
    let at = Attrs::new(ctx.node, &ctx.label);
    let kernel = match (at.ints("kernel_shape")?, kernel) {
        (None, Some(k)) => k,
        (None, None) => return Err(at.invalid("kernel_shape", "missing")),
        (Some(_), k) => {
            let ks = pair(&at, "kernel_shape", (1, 1))?;
            if k.is_some_and(|k| k != ks) {
                return Err(at.invalid(
                    "kernel_shape",
                    format!(
                        "{ks:?} differs from the weight's kernel {:?}",
                        k.unwrap_or(ks)
                    ),
                ));
            }
            ks
        }
    };
    let stride = pair(&at, "strides", (1, 1))?;
    let dilation = pair(&at, "dilations", (1, 1))?;
    if pooling && dilation != (1, 1) {
        return Err(at.invalid(
            "dilations",
            format!("{dilation:?}; pooling supports only dilation 1"),
        ));
    }
    let auto_pad = at.string("auto_pad", "NOTSET")?;
    let padding = match auto_pad.as_str() {
        "NOTSET" => match at.ints("pads")? {
            None => [0; 4],
            Some(&[t, l, b, r]) if [t, l, b, r].iter().all(|p| (0..=MAX_WINDOW).contains(p)) => {
                [t as usize, l as usize, b as usize, r as usize]
            }
            Some(v) => {
                return Err(at.invalid(
                    "pads",
                    format!("{v:?}; four values [top, left, bottom, right] in [0, {MAX_WINDOW}] are needed"),
                ));
            }
        },
        "VALID" => [0; 4],
        "SAME_UPPER" | "SAME_LOWER" => {
            let total = |n: usize, k: usize, s: usize, d: usize| {
                let out = n.div_ceil(s);
                ((out - 1) * s + d * (k - 1) + 1).saturating_sub(n)
            };
            let th = total(input.height, kernel.0, stride.0, dilation.0);
            let tw = total(input.width, kernel.1, stride.1, dilation.1);
            let (bh, bw) = if auto_pad == "SAME_UPPER" {
                (th / 2, tw / 2)
            } else {
                (th - th / 2, tw - tw / 2)
            };
            [bh, bw, th - bh, tw - bw]
        }
        other => {
            return Err(at.invalid(
                "auto_pad",
                format!("`{other}`; NOTSET, VALID, SAME_UPPER or SAME_LOWER is expected"),
            ));
        }
    };
    let window = Window {
        kernel,
        stride,
        padding,
        dilation,
    };
    let (oh, ow) = window.output(input.height, input.width).ok_or_else(|| {
        ctx.shape_mismatch(format!(
            "a {kernel:?} window (dilation {dilation:?}, padding {padding:?}) does not fit in the \
             {}×{} input",
            input.height, input.width
        ))
    })?;
    if pooling && at.int("ceil_mode", 0)? != 0 {
        let ceil = |n: usize, b: usize, e: usize, k: usize, s: usize| {
            let span = (n + b + e).saturating_sub(k);
            let mut out = span.div_ceil(s) + 1;
            // The last window must start inside the input or the leading padding.
            if (out - 1) * s >= n + b {
                out -= 1;
            }
            out
        };
        let ch = ceil(input.height, padding[0], padding[2], kernel.0, stride.0);
        let cw = ceil(input.width, padding[1], padding[3], kernel.1, stride.1);
        if (ch, cw) != (oh, ow) {
            return Err(at.invalid(
                "ceil_mode",
                format!(
                    "1 gives a {ch}×{cw} output instead of {oh}×{ow}; only ceil_mode = 0 \
                     (or a ceil_mode that does not change the size) is supported"
                ),
            ));
        }
    }
    Ok(window)
}
