//! `BatchNormalization` in inference form, as a per-channel affine map.
//!
//! `y = γ_c·(x − μ_c)/√(σ²_c + ε) + β_c = s_c·x + t_c` with `s_c = γ_c/√(σ²_c + ε)` and
//! `t_c = β_c − μ_c·s_c` (Ioffe & Szegedy 2015, §3.1, the inference transform). The map joins
//! the pending affine map: right after a `Conv`, `Gemm` or `MatMul` it is folded into that layer's
//! weights and bias; otherwise it becomes an element-wise affine layer.

use super::OnnxErrorKind;
use super::attrs::Attrs;
use super::convert::{Converter, NodeCtx};
use super::ops_conv::{const_floats, dynamic_input};
use nalgebra::DVector;

impl Converter {
    /// `BatchNormalization(X, scale, B, mean, var)` with running statistics (inference).
    pub(super) fn batch_norm(&mut self, ctx: &NodeCtx) -> Result<(), OnnxErrorKind> {
        let at = Attrs::new(ctx.node, &ctx.label);
        let eps = at.float("epsilon", 1e-5)?;
        if at.int("training_mode", 0)? != 0 {
            return Err(at.invalid("training_mode", "only inference (0) is supported"));
        }
        if at.int("spatial", 1)? != 1 {
            return Err(at.invalid("spatial", "only spatial = 1 is supported"));
        }
        if ctx.node.output.iter().skip(1).any(|o| !o.is_empty()) {
            return Err(
                ctx.unsupported("running mean/variance outputs (training form) are not supported")
            );
        }
        let (shape, version) = dynamic_input(self, ctx, 0)?;
        let channels = match shape.as_slice() {
            [1, c, ..] => *c,
            _ => {
                return Err(
                    ctx.shape_mismatch(format!("input has shape {shape:?}; [1, C, ...] is needed"))
                );
            }
        };
        let names = ["scale", "B", "input_mean", "input_var"];
        let mut params = Vec::with_capacity(4);
        for (i, name) in names.iter().enumerate() {
            let t = const_floats(self, ctx, i + 1, name)?;
            if t.dims != [channels] {
                return Err(ctx.shape_mismatch(format!(
                    "{name} has shape {:?}; [{channels}] is needed",
                    t.dims
                )));
            }
            params.push(t.as_float().unwrap_or_default().to_vec());
        }
        let (gamma, beta, mean, var) = (&params[0], &params[1], &params[2], &params[3]);
        let plane: usize = shape[2..].iter().product();
        let mut scale = Vec::with_capacity(channels * plane);
        let mut shift = Vec::with_capacity(channels * plane);
        for c in 0..channels {
            let denom = (var[c] + eps).sqrt();
            if !(denom > 0.0 && denom.is_finite()) {
                return Err(OnnxErrorKind::InvalidAttribute {
                    node: ctx.label.clone(),
                    attribute: "input_var".into(),
                    message: format!(
                        "channel {c}: variance {} + epsilon {eps} is not positive",
                        var[c]
                    ),
                });
            }
            let s = gamma[c] / denom;
            let t = beta[c] - mean[c] * s;
            scale.extend(std::iter::repeat_n(s, plane));
            shift.extend(std::iter::repeat_n(t, plane));
        }
        self.elementwise(
            ctx,
            version,
            &DVector::from_vec(scale),
            &DVector::from_vec(shift),
            shape,
        )
    }
}
