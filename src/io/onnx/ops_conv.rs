//! `Conv` (2-D, `group = 1`) and `Pad` (constant zero, spatial axes only).
//!
//! A zero `Pad` of an NCHW value is the convolution with the `C × C × 1 × 1` identity kernel and
//! that padding; when a `Conv` follows, the padding is merged into the `Conv`'s own padding.

use super::OnnxErrorKind;
use super::attrs::Attrs;
use super::cnn::ConvSpec;
use super::convert::{Converter, NodeCtx, Value};
use super::tensor::Tensor;
use super::window_attrs::{MAX_WINDOW, map_shape, read_window};
use std::rc::Rc;

/// The float data of constant input `i`, or a typed error naming the node and operand.
pub(super) fn const_floats(
    conv: &Converter,
    ctx: &NodeCtx,
    i: usize,
    what: &str,
) -> Result<Rc<Tensor>, OnnxErrorKind> {
    match conv.input(ctx, i)? {
        Value::Const(t) if t.as_float().is_some() => Ok(t),
        Value::Const(_) => Err(OnnxErrorKind::WrongType {
            what: format!("node {} input #{i} ({what})", ctx.label),
            expected: "FLOAT or DOUBLE",
            found: "an integer type".into(),
        }),
        Value::Dynamic { .. } => Err(ctx.unsupported(format!(
            "input #{i} ({what}) depends on the network input; it must be a constant"
        ))),
    }
}

/// The network value read by input `i`: `(shape, version)`.
pub(super) fn dynamic_input(
    conv: &Converter,
    ctx: &NodeCtx,
    i: usize,
) -> Result<(Vec<usize>, usize), OnnxErrorKind> {
    match conv.input(ctx, i)? {
        Value::Dynamic { shape, version } => Ok((shape, version)),
        Value::Const(_) => Err(ctx.unsupported(format!(
            "input #{i} is a constant; only operations on the network value are supported"
        ))),
    }
}

impl Converter {
    /// `Conv(X, W[, B])` with `W` of shape `M × C × kh × kw`.
    pub(super) fn conv(&mut self, ctx: &NodeCtx) -> Result<(), OnnxErrorKind> {
        let at = Attrs::new(ctx.node, &ctx.label);
        let (shape, version) = dynamic_input(self, ctx, 0)?;
        let input = map_shape(ctx, &shape)?;
        let group = at.int("group", 1)?;
        if group != 1 {
            return Err(at.invalid("group", format!("{group}; only group = 1 is supported")));
        }
        let w = const_floats(self, ctx, 1, "weight")?;
        let [m, c, kh, kw] = w.dims[..] else {
            return Err(ctx.shape_mismatch(format!(
                "weight has shape {:?}; a 2-D convolution needs rank 4 [M, C, kh, kw]",
                w.dims
            )));
        };
        if c != input.channels {
            return Err(ctx.shape_mismatch(format!(
                "weight of shape {:?} expects {c} input channels, the input {shape:?} has {}",
                w.dims, input.channels
            )));
        }
        let window = read_window(ctx, &input, Some((kh, kw)), false)?;
        let bias = if Self::has_input(ctx, 2) {
            let b = const_floats(self, ctx, 2, "bias")?;
            if b.dims != [m] {
                return Err(
                    ctx.shape_mismatch(format!("bias has shape {:?}; [{m}] is needed", b.dims))
                );
            }
            b.as_float().unwrap_or_default().to_vec()
        } else {
            vec![0.0; m]
        };
        let spec = ConvSpec {
            input,
            out_channels: m,
            window,
            weight: w.as_float().unwrap_or_default().to_vec(),
            bias,
        };
        let out = spec.output();
        let state = self.state(version);
        let (done, pending) = state.pending.then_conv(spec);
        let base = self.emit(state.base, done);
        self.define_dynamic(ctx, vec![1, m, out.height, out.width], base, pending)
    }

    /// `Pad` in `constant` mode with value 0 on the two spatial axes of an NCHW value
    /// (`pads` attribute before opset 11, `pads` input from opset 11).
    pub(super) fn pad(&mut self, ctx: &NodeCtx) -> Result<(), OnnxErrorKind> {
        let at = Attrs::new(ctx.node, &ctx.label);
        let mode = at.string("mode", "constant")?;
        if mode != "constant" {
            return Err(at.invalid(
                "mode",
                format!("`{mode}`; only constant (zero) padding is supported"),
            ));
        }
        let (shape, version) = dynamic_input(self, ctx, 0)?;
        let (pads, value): (Vec<i64>, f64) = if Self::has_input(ctx, 1) {
            let pads = match self.input(ctx, 1)? {
                Value::Const(t) => {
                    t.as_int()
                        .map(<[i64]>::to_vec)
                        .ok_or_else(|| OnnxErrorKind::WrongType {
                            what: format!("node {} input #1 (pads)", ctx.label),
                            expected: "INT64",
                            found: "a float type".into(),
                        })?
                }
                Value::Dynamic { .. } => return Err(ctx.unsupported("pads must be constant")),
            };
            let value = if Self::has_input(ctx, 2) {
                let v = const_floats(self, ctx, 2, "constant_value")?;
                match v.as_float().unwrap_or_default() {
                    [v] => *v,
                    other => {
                        return Err(ctx.shape_mismatch(format!(
                            "constant_value has {} values; a scalar is needed",
                            other.len()
                        )));
                    }
                }
            } else {
                0.0
            };
            if Self::has_input(ctx, 3) {
                return Err(ctx.unsupported("the axes input is not supported"));
            }
            (pads, value)
        } else {
            let pads = at.ints("pads")?.map(<[i64]>::to_vec).unwrap_or_default();
            (pads, at.float("value", 0.0)?)
        };
        if value != 0.0 {
            return Err(at.invalid(
                "value",
                format!("padding value {value}; only zero padding is supported"),
            ));
        }
        let rank = shape.len();
        if pads.len() != 2 * rank || pads.iter().any(|&p| !(0..=MAX_WINDOW).contains(&p)) {
            return Err(at.invalid(
                "pads",
                format!(
                    "{pads:?}; {} values in [0, {MAX_WINDOW}] are needed",
                    2 * rank
                ),
            ));
        }
        if pads.iter().all(|&p| p == 0) {
            let value = self.input(ctx, 0)?;
            return self.define(ctx, value);
        }
        let input = map_shape(ctx, &shape)?;
        if pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 {
            return Err(at.invalid(
                "pads",
                format!("{pads:?}; only the two spatial axes (H, W) may be padded"),
            ));
        }
        let padding = [pads[2], pads[3], pads[6], pads[7]].map(|p| p as usize);
        let spec = ConvSpec::padding(input, padding);
        let out = spec.output();
        let state = self.state(version);
        let (done, pending) = state.pending.then_conv(spec);
        let base = self.emit(state.base, done);
        self.define_dynamic(
            ctx,
            vec![1, input.channels, out.height, out.width],
            base,
            pending,
        )
    }
}
