//! Operations that only rename or reshape a value: Flatten, Reshape, Identity, Constant.
//!
//! The network value is kept as a flat row-major vector, so reshaping never changes the layers.

use super::OnnxErrorKind;
use super::attrs::Attrs;
use super::convert::{Converter, NodeCtx, Value};
use super::proto::{TensorProto, data_type};
use super::tensor::{Tensor, check_dims, decode_tensor};
use std::rc::Rc;

/// The value with a new shape (same element count, checked by the caller).
fn reshaped(value: Value, dims: Vec<usize>) -> Value {
    match value {
        Value::Const(t) => Value::Const(Rc::new(Tensor {
            dims,
            data: t.data.clone(),
        })),
        Value::Dynamic { version, .. } => Value::Dynamic {
            shape: dims,
            version,
        },
    }
}

/// The shape of a value.
fn shape_of(value: &Value) -> &[usize] {
    match value {
        Value::Const(t) => &t.dims,
        Value::Dynamic { shape, .. } => shape,
    }
}

impl Converter {
    /// `Flatten(axis)`: `[d0…d(a−1), da…]` → `[d0·…·d(a−1), da·…]`.
    pub(super) fn flatten(&mut self, ctx: &NodeCtx) -> Result<(), OnnxErrorKind> {
        let at = Attrs::new(ctx.node, &ctx.label);
        let axis = at.int("axis", 1)?;
        let value = self.input(ctx, 0)?;
        let shape = shape_of(&value);
        let rank = shape.len() as i64;
        if axis < -rank || axis > rank {
            return Err(at.invalid("axis", format!("{axis} is out of range for rank {rank}")));
        }
        let axis = if axis < 0 { axis + rank } else { axis } as usize;
        let dims = vec![
            shape[..axis].iter().product(),
            shape[axis..].iter().product(),
        ];
        self.define(ctx, reshaped(value, dims))
    }

    /// `Reshape(data, shape)` with a constant shape (`0` copies, `−1` infers one dimension).
    pub(super) fn reshape(&mut self, ctx: &NodeCtx) -> Result<(), OnnxErrorKind> {
        let at = Attrs::new(ctx.node, &ctx.label);
        let allow_zero = at.int("allowzero", 0)? != 0;
        let value = self.input(ctx, 0)?;
        let target = match self.input(ctx, 1)? {
            Value::Const(t) => t,
            Value::Dynamic { .. } => {
                return Err(ctx.unsupported("the target shape must be constant"));
            }
        };
        let spec = target.as_int().ok_or_else(|| OnnxErrorKind::WrongType {
            what: format!("node {} input #1 (shape)", ctx.label),
            expected: "INT64",
            found: "a float type".into(),
        })?;
        if target.dims.len() != 1 {
            return Err(ctx.shape_mismatch(format!(
                "target shape has shape {:?}; it must be 1-D",
                target.dims
            )));
        }
        let shape = shape_of(&value).to_vec();
        let total: usize = shape.iter().product();
        let mut dims = Vec::with_capacity(spec.len());
        let mut infer = None;
        for (i, &s) in spec.iter().enumerate() {
            let d = match s {
                -1 if infer.is_none() => {
                    infer = Some(i);
                    1
                }
                0 if !allow_zero => *shape.get(i).ok_or_else(|| {
                    ctx.shape_mismatch(format!("target shape copies dimension {i} of {shape:?}"))
                })?,
                s if s >= 0 => usize::try_from(s).unwrap_or(usize::MAX),
                _ => return Err(ctx.shape_mismatch(format!("invalid target shape {spec:?}"))),
            };
            dims.push(d);
        }
        let known = check_dims(&format!("result of node {}", ctx.label), &dims)?;
        if let Some(i) = infer {
            if known == 0 || !total.is_multiple_of(known) {
                return Err(ctx.shape_mismatch(format!("cannot reshape {shape:?} to {spec:?}")));
            }
            dims[i] = total / known;
        } else if known != total {
            return Err(ctx.shape_mismatch(format!("cannot reshape {shape:?} to {spec:?}")));
        }
        self.define(ctx, reshaped(value, dims))
    }

    /// `Identity`: the same value under a new name.
    pub(super) fn identity(&mut self, ctx: &NodeCtx) -> Result<(), OnnxErrorKind> {
        let value = self.input(ctx, 0)?;
        self.define(ctx, value)
    }

    /// `Constant`: a tensor from the `value`, `value_float(s)` or `value_int(s)` attribute.
    pub(super) fn constant(&mut self, ctx: &NodeCtx) -> Result<(), OnnxErrorKind> {
        let at = Attrs::new(ctx.node, &ctx.label);
        let tensor = if let Some(t) = at.tensor("value")? {
            let mut t = t.clone();
            if t.name.is_empty() {
                t.name = ctx.node.output.first().cloned().unwrap_or_default();
            }
            decode_tensor(&t)?
        } else if at.has("value_float") {
            Tensor::float(vec![], vec![at.float("value_float", 0.0)?])
        } else if let Some(v) = at.floats("value_floats")? {
            let t = TensorProto {
                dims: vec![v.len() as i64],
                data_type: data_type::FLOAT,
                float_data: v.to_vec(),
                name: format!("attribute value_floats of node {}", ctx.label),
                ..Default::default()
            };
            decode_tensor(&t)?
        } else if at.has("value_int") {
            Tensor {
                dims: vec![],
                data: super::tensor::TensorData::Int(vec![at.int("value_int", 0)?]),
            }
        } else if let Some(v) = at.ints("value_ints")? {
            Tensor {
                dims: vec![v.len()],
                data: super::tensor::TensorData::Int(v.to_vec()),
            }
        } else {
            return Err(at.invalid("value", "a Constant node needs a value attribute"));
        };
        self.define(ctx, Value::Const(Rc::new(tensor)))
    }
}
