//! Gemm and MatMul: a constant matrix applied to the network value (either operand order).

use super::OnnxErrorKind;
use super::attrs::Attrs;
use super::broadcast::broadcast_to;
use super::convert::{Converter, NodeCtx, Value};
use super::tensor::{Tensor, checked_count};
use nalgebra::{DMatrix, DVector};
use std::rc::Rc;

/// A constant operand as a float matrix (a 1-D tensor of length `k` becomes `k × 1`).
fn const_matrix(ctx: &NodeCtx, t: &Tensor, operand: &str) -> Result<DMatrix<f64>, OnnxErrorKind> {
    let data = t.as_float().ok_or_else(|| OnnxErrorKind::WrongType {
        what: format!("node {} operand {operand}", ctx.label),
        expected: "FLOAT or DOUBLE",
        found: "an integer type".into(),
    })?;
    match t.dims.as_slice() {
        [r, c] => Ok(DMatrix::from_row_slice(*r, *c, data)),
        [k] => Ok(DMatrix::from_column_slice(*k, 1, data)),
        d => Err(ctx.unsupported(format!(
            "constant operand {operand} has shape {d:?}; only 1-D and 2-D constants are supported"
        ))),
    }
}

/// Product of all dimensions except the last `keep`.
fn leading(shape: &[usize], keep: usize) -> usize {
    shape[..shape.len().saturating_sub(keep)].iter().product()
}

impl Converter {
    /// Applies `y = W·x (+ bias)` to dynamic value `version` and defines the node's output.
    fn apply_linear(
        &mut self,
        ctx: &NodeCtx,
        version: usize,
        w: DMatrix<f64>,
        bias: Option<DVector<f64>>,
        out_shape: Vec<usize>,
    ) -> Result<(), OnnxErrorKind> {
        let n = w.nrows();
        let state = self.state(version);
        let (done, mut pending) = state.pending.then_linear(w);
        let mut base = self.emit(state.base, done);
        if let Some(b) = bias {
            let (done, p) = pending.then_elementwise(&DVector::from_element(n, 1.0), &b);
            base = self.emit(base, done);
            pending = p;
        }
        self.define_dynamic(ctx, out_shape, base, pending)
    }

    /// `Y = alpha·A'·B' + beta·C` with `'` the optional transposes.
    pub(super) fn gemm(&mut self, ctx: &NodeCtx) -> Result<(), OnnxErrorKind> {
        let at = Attrs::new(ctx.node, &ctx.label);
        let alpha = at.float("alpha", 1.0)?;
        let beta = at.float("beta", 1.0)?;
        let trans_a = at.int("transA", 0)? != 0;
        let trans_b = at.int("transB", 0)? != 0;
        let a = self.input(ctx, 0)?;
        let b = self.input(ctx, 1)?;
        let c = if Self::has_input(ctx, 2) {
            match self.input(ctx, 2)? {
                Value::Const(t) => Some(t),
                Value::Dynamic { .. } => return Err(ctx.unsupported("bias C must be constant")),
            }
        } else {
            None
        };
        let two_d = |shape: &[usize], name: &str| match shape {
            [r, c] => Ok((*r, *c)),
            _ => {
                Err(ctx.shape_mismatch(format!("operand {name} must be 2-D, has shape {shape:?}")))
            }
        };
        let bias = |m: usize, n: usize| -> Result<Option<DVector<f64>>, OnnxErrorKind> {
            let Some(c) = &c else { return Ok(None) };
            let data = c.as_float().ok_or_else(|| OnnxErrorKind::WrongType {
                what: format!("node {} operand C", ctx.label),
                expected: "FLOAT or DOUBLE",
                found: "an integer type".into(),
            })?;
            let v = broadcast_to(data, &c.dims, &[m, n]).ok_or_else(|| {
                ctx.shape_mismatch(format!(
                    "bias C of shape {:?} does not broadcast to [{m}, {n}]",
                    c.dims
                ))
            })?;
            Ok(Some(DVector::from_vec(v) * beta))
        };
        match (a, b) {
            (Value::Dynamic { shape, version }, Value::Const(bt)) => {
                let (r, cols) = two_d(&shape, "A")?;
                let (m, k) = if trans_a { (cols, r) } else { (r, cols) };
                if m != 1 {
                    return Err(ctx.unsupported(format!("batch size {m}; only 1 is supported")));
                }
                two_d(&bt.dims, "B")?;
                let bm = const_matrix(ctx, &bt, "B")?;
                let bm = if trans_b { bm.transpose() } else { bm };
                if bm.nrows() != k {
                    return Err(ctx.shape_mismatch(format!(
                        "A has {k} columns but B has {} rows (shapes {shape:?}, {:?})",
                        bm.nrows(),
                        bt.dims
                    )));
                }
                let n = bm.ncols();
                let w = bm.transpose() * alpha;
                let bias = bias(1, n)?;
                self.apply_linear(ctx, version, w, bias, vec![1, n])
            }
            (Value::Const(atn), Value::Dynamic { shape, version }) => {
                let (r, cols) = two_d(&shape, "B")?;
                let (k, n) = if trans_b { (cols, r) } else { (r, cols) };
                if n != 1 {
                    return Err(ctx.unsupported(format!("B has {n} columns; only 1 is supported")));
                }
                two_d(&atn.dims, "A")?;
                let am = const_matrix(ctx, &atn, "A")?;
                let am = if trans_a { am.transpose() } else { am };
                if am.ncols() != k {
                    return Err(ctx.shape_mismatch(format!(
                        "A has {} columns but B has {k} rows",
                        am.ncols()
                    )));
                }
                let m = am.nrows();
                let bias = bias(m, 1)?;
                self.apply_linear(ctx, version, am * alpha, bias, vec![m, 1])
            }
            (Value::Const(atn), Value::Const(bt)) => {
                two_d(&atn.dims, "A")?;
                two_d(&bt.dims, "B")?;
                let am = const_matrix(ctx, &atn, "A")?;
                let bm = const_matrix(ctx, &bt, "B")?;
                let am = if trans_a { am.transpose() } else { am };
                let bm = if trans_b { bm.transpose() } else { bm };
                let y = fold_product(ctx, &am, &bm)? * alpha;
                let (m, n) = (y.nrows(), y.ncols());
                let mut out: Vec<f64> = y.transpose().as_slice().to_vec();
                if let Some(b) = bias(m, n)? {
                    out.iter_mut().zip(b.iter()).for_each(|(o, b)| *o += b);
                }
                self.define(ctx, Value::Const(Rc::new(Tensor::float(vec![m, n], out))))
            }
            (Value::Dynamic { .. }, Value::Dynamic { .. }) => {
                Err(ctx.unsupported("both operands depend on the network input"))
            }
        }
    }

    /// NumPy matrix product with one constant operand (1-D or 2-D).
    pub(super) fn matmul(&mut self, ctx: &NodeCtx) -> Result<(), OnnxErrorKind> {
        let a = self.input(ctx, 0)?;
        let b = self.input(ctx, 1)?;
        match (a, b) {
            (Value::Dynamic { shape, version }, Value::Const(bt)) => {
                let Some(&k) = shape.last() else {
                    return Err(ctx.shape_mismatch("operand A is a scalar"));
                };
                if leading(&shape, 1) != 1 {
                    return Err(ctx.unsupported(format!(
                        "operand A has shape {shape:?}; only a single row is supported"
                    )));
                }
                let bm = const_matrix(ctx, &bt, "B")?;
                if bm.nrows() != k {
                    return Err(ctx.shape_mismatch(format!(
                        "A has shape {shape:?} but B has shape {:?}",
                        bt.dims
                    )));
                }
                let mut out = shape[..shape.len() - 1].to_vec();
                if bt.dims.len() == 2 {
                    out.push(bm.ncols());
                }
                self.apply_linear(ctx, version, bm.transpose(), None, out)
            }
            (Value::Const(atn), Value::Dynamic { shape, version }) => {
                let am = const_matrix(ctx, &atn, "A")?;
                let am = if atn.dims.len() == 1 {
                    am.transpose()
                } else {
                    am
                };
                let (k, out) = match shape.as_slice() {
                    [] => return Err(ctx.shape_mismatch("operand B is a scalar")),
                    [k] => (*k, vec![]),
                    [.., k, 1] if leading(&shape, 2) == 1 => {
                        (*k, shape[..shape.len() - 2].to_vec())
                    }
                    _ => {
                        return Err(ctx.unsupported(format!(
                            "operand B has shape {shape:?}; only a single column is supported"
                        )));
                    }
                };
                if am.ncols() != k {
                    return Err(ctx.shape_mismatch(format!(
                        "A has shape {:?} but B has shape {shape:?}",
                        atn.dims
                    )));
                }
                let mut out = out;
                if atn.dims.len() == 2 {
                    out.push(am.nrows());
                }
                if shape.len() >= 2 {
                    out.push(1);
                }
                self.apply_linear(ctx, version, am, None, out)
            }
            (Value::Const(atn), Value::Const(bt)) => {
                if atn.dims.len() != 2 || bt.dims.len() != 2 {
                    return Err(ctx.unsupported("constant folding needs 2-D operands"));
                }
                let am = const_matrix(ctx, &atn, "A")?;
                let bm = const_matrix(ctx, &bt, "B")?;
                let y = fold_product(ctx, &am, &bm)?;
                let dims = vec![y.nrows(), y.ncols()];
                let data = y.transpose().as_slice().to_vec();
                self.define(ctx, Value::Const(Rc::new(Tensor::float(dims, data))))
            }
            (Value::Dynamic { .. }, Value::Dynamic { .. }) => {
                Err(ctx.unsupported("both operands depend on the network input"))
            }
        }
    }
}

/// The product of two constant matrices, with shape and size checks.
fn fold_product(
    ctx: &NodeCtx,
    a: &DMatrix<f64>,
    b: &DMatrix<f64>,
) -> Result<DMatrix<f64>, OnnxErrorKind> {
    if a.ncols() != b.nrows() {
        return Err(ctx.shape_mismatch(format!(
            "constant operands {}×{} and {}×{}",
            a.nrows(),
            a.ncols(),
            b.nrows(),
            b.ncols()
        )));
    }
    let work = (a.nrows() as u128) * (a.ncols() as u128) * (b.ncols() as u128);
    checked_count(&format!("result of node {}", ctx.label), work)?;
    checked_count(
        &format!("result of node {}", ctx.label),
        (a.nrows() as u128) * (b.ncols() as u128),
    )?;
    Ok(a * b)
}
