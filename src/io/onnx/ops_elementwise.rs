//! Element-wise operations: arithmetic with constants (affine) and activation functions.

use super::OnnxErrorKind;
use super::affine::Pending;
use super::attrs::Attrs;
use super::broadcast::{broadcast_shape, broadcast_to};
use super::convert::{Converter, NodeCtx, Value};
use super::spec::{GraphNode, LayerSpec, apply};
use super::tensor::{Tensor, check_finite, checked_count};
use crate::Activation;
use nalgebra::DVector;
use std::rc::Rc;

/// The float data of a constant operand.
fn float_data<'a>(
    ctx: &NodeCtx,
    t: &'a Tensor,
    operand: usize,
) -> Result<&'a [f64], OnnxErrorKind> {
    t.as_float().ok_or_else(|| OnnxErrorKind::WrongType {
        what: format!("node {} input #{operand}", ctx.label),
        expected: "FLOAT or DOUBLE",
        found: "an integer type".into(),
    })
}

/// Broadcasts `t` against `shape`, returning the common shape and `t` expanded to it.
fn expand(
    ctx: &NodeCtx,
    t: &Tensor,
    shape: &[usize],
    operand: usize,
) -> Result<(Vec<usize>, Vec<f64>), OnnxErrorKind> {
    let data = float_data(ctx, t, operand)?;
    let mismatch = || {
        ctx.shape_mismatch(format!(
            "shapes {shape:?} and {:?} do not broadcast",
            t.dims
        ))
    };
    let common = broadcast_shape(shape, &t.dims).ok_or_else(mismatch)?;
    let count = common
        .iter()
        .fold(1u128, |a, &d| a.saturating_mul(d as u128));
    checked_count(&format!("result of node {}", ctx.label), count)?;
    let v = broadcast_to(data, &t.dims, &common).ok_or_else(mismatch)?;
    Ok((common, v))
}

impl Converter {
    /// Add, Sub, Mul and Div where at most one operand depends on the input.
    pub(super) fn arithmetic(&mut self, ctx: &NodeCtx) -> Result<(), OnnxErrorKind> {
        let op = ctx.node.op_type.as_str();
        let a = self.input(ctx, 0)?;
        let b = self.input(ctx, 1)?;
        let (shape, version, c, dynamic_first) = match (a, b) {
            (Value::Const(x), Value::Const(y)) => return self.fold_arithmetic(ctx, &x, &y),
            (Value::Dynamic { shape, version }, Value::Const(c)) => (shape, version, c, true),
            (Value::Const(c), Value::Dynamic { shape, version }) => (shape, version, c, false),
            (
                Value::Dynamic { shape, version },
                Value::Dynamic {
                    shape: s2,
                    version: v2,
                },
            ) => {
                return self.add_branches(ctx, (shape, version), (s2, v2));
            }
        };
        let (common, cb) = expand(ctx, &c, &shape, if dynamic_first { 1 } else { 0 })?;
        if common.iter().product::<usize>() != shape.iter().product::<usize>() {
            return Err(ctx.unsupported(format!(
                "constant of shape {:?} would enlarge the network value of shape {shape:?}",
                c.dims
            )));
        }
        let n = cb.len();
        let cb = DVector::from_vec(cb);
        let (scale, shift) = match (op, dynamic_first) {
            ("Add", _) => (DVector::from_element(n, 1.0), cb),
            ("Sub", true) => (DVector::from_element(n, 1.0), -cb),
            ("Sub", false) => (DVector::from_element(n, -1.0), cb),
            ("Mul", _) => (cb, DVector::zeros(n)),
            ("Div", true) => {
                if let Some(i) = cb.iter().position(|&v| v == 0.0) {
                    return Err(ctx.unsupported(format!("division by zero at constant index {i}")));
                }
                (cb.map(|v| 1.0 / v), DVector::zeros(n))
            }
            _ => return Err(ctx.unsupported("dividing by the network value is not affine")),
        };
        self.elementwise(ctx, version, &scale, &shift, common)
    }

    /// Applies `y = scale ⊙ x + shift` to dynamic value `version` and defines the node's output
    /// with `shape`.
    pub(super) fn elementwise(
        &mut self,
        ctx: &NodeCtx,
        version: usize,
        scale: &DVector<f64>,
        shift: &DVector<f64>,
        shape: Vec<usize>,
    ) -> Result<(), OnnxErrorKind> {
        let state = self.state(version);
        let (done, pending) = state.pending.then_elementwise(scale, shift);
        let base = self.emit(state.base, done);
        self.define_dynamic(ctx, shape, base, pending)
    }

    /// `Add` of two network values of the same shape (a residual connection).
    fn add_branches(
        &mut self,
        ctx: &NodeCtx,
        (sa, va): (Vec<usize>, usize),
        (sb, vb): (Vec<usize>, usize),
    ) -> Result<(), OnnxErrorKind> {
        if ctx.node.op_type != "Add" {
            return Err(ctx.unsupported(
                "both operands depend on the network input; only Add of two branches is supported",
            ));
        }
        if sa != sb {
            return Err(ctx.shape_mismatch(format!(
                "the two branches have shapes {sa:?} and {sb:?}; they must be equal"
            )));
        }
        let a = self.materialise(va);
        let b = self.materialise(vb);
        let dim = sa.iter().product();
        let node = self.push_node(GraphNode::Add { a, b });
        self.define_dynamic(ctx, sa, node, Pending::Identity(dim))
    }

    /// Arithmetic on two constants.
    fn fold_arithmetic(
        &mut self,
        ctx: &NodeCtx,
        x: &Tensor,
        y: &Tensor,
    ) -> Result<(), OnnxErrorKind> {
        let (shape, xb) = expand(ctx, x, &y.dims, 0)?;
        let (_, yb) = expand(ctx, y, &shape, 1)?;
        let f: fn(f64, f64) -> f64 = match ctx.node.op_type.as_str() {
            "Add" => |a, b| a + b,
            "Sub" => |a, b| a - b,
            "Mul" => |a, b| a * b,
            _ => |a, b| a / b,
        };
        let out: Vec<f64> = xb.iter().zip(&yb).map(|(&a, &b)| f(a, b)).collect();
        check_finite(&format!("result of node {}", ctx.label), &out)?;
        self.define(ctx, Value::Const(Rc::new(Tensor::float(shape, out))))
    }

    /// Relu, LeakyRelu, Sigmoid, Tanh and Atan.
    pub(super) fn activation(&mut self, ctx: &NodeCtx) -> Result<(), OnnxErrorKind> {
        let activation = match ctx.node.op_type.as_str() {
            "Relu" => Activation::Relu,
            "LeakyRelu" => {
                Activation::LeakyRelu(Attrs::new(ctx.node, &ctx.label).float("alpha", 0.01)?)
            }
            "Sigmoid" => Activation::Sigmoid,
            "Tanh" => Activation::Tanh,
            _ => Activation::Arctan,
        };
        match self.input(ctx, 0)? {
            Value::Const(t) => {
                let data = float_data(ctx, &t, 0)?;
                let out = data.iter().map(|&v| apply(activation, v)).collect();
                self.define(
                    ctx,
                    Value::Const(Rc::new(Tensor::float(t.dims.clone(), out))),
                )
            }
            Value::Dynamic { shape, version } => {
                let dim = self.states[version].pending.output_dim();
                let base = self.materialise(version);
                let node = self.emit(base, Some(LayerSpec::Activation { dim, activation }));
                self.define_dynamic(ctx, shape, node, Pending::Identity(dim))
            }
        }
    }
}
