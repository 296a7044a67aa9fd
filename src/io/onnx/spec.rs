//! The reader's backend-independent result: a flat list of layer descriptions in `f64`.
//!
//! Conversion from an ONNX graph produces an [`OnnxGraph`]; [`crate::io::onnx::load_onnx`] then builds
//! a network over `f32` or `f64` from it. Keeping this step separate lets the parser be tested and
//! fuzzed without the bound engine.

use super::cnn::{ConvSpec, PoolSpec};
use crate::{Activation, ElementwiseActivation};
use nalgebra::{DMatrix, DVector};

/// Evaluates a built-in activation in `f64` (constant folding and [`LayerSpec::forward`]).
pub(crate) fn apply(activation: Activation, x: f64) -> f64 {
    <Activation as ElementwiseActivation<f64>>::eval(&activation, x)
}

/// One layer of the converted network, acting on the flattened (row-major, NCHW) vector.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerSpec {
    /// `y = W·x + b`, `W` is `out × in`.
    Dense {
        /// Weights, `out × in`.
        weights: DMatrix<f64>,
        /// Bias, length `out`.
        bias: DVector<f64>,
    },
    /// `y = scale ⊙ x + shift` (input normalisation and other element-wise constants).
    Affine {
        /// Per-coordinate factor.
        scale: DVector<f64>,
        /// Per-coordinate offset.
        shift: DVector<f64>,
    },
    /// An element-wise activation on `dim` coordinates.
    Activation {
        /// Number of coordinates.
        dim: usize,
        /// The function.
        activation: Activation,
    },
    /// The identity on `dim` coordinates (emitted only for a graph with no other layer).
    Identity {
        /// Number of coordinates.
        dim: usize,
    },
    /// A 2-D convolution (NCHW, `group = 1`); zero padding is part of its geometry.
    Conv2d(ConvSpec),
    /// Average pooling.
    AvgPool2d {
        /// Geometry.
        pool: PoolSpec,
        /// Whether padded positions count in the divisor (ONNX `count_include_pad`).
        count_include_pad: bool,
    },
    /// Max pooling (padding never wins).
    MaxPool2d(PoolSpec),
}

impl LayerSpec {
    /// Input size.
    pub fn input_dim(&self) -> usize {
        match self {
            LayerSpec::Dense { weights, .. } => weights.ncols(),
            LayerSpec::Affine { scale, .. } => scale.len(),
            LayerSpec::Activation { dim, .. } | LayerSpec::Identity { dim } => *dim,
            LayerSpec::Conv2d(c) => c.input.len(),
            LayerSpec::AvgPool2d { pool, .. } | LayerSpec::MaxPool2d(pool) => pool.input.len(),
        }
    }

    /// Output size.
    pub fn output_dim(&self) -> usize {
        match self {
            LayerSpec::Dense { weights, .. } => weights.nrows(),
            LayerSpec::Conv2d(c) => c.output().len(),
            LayerSpec::AvgPool2d { pool, .. } | LayerSpec::MaxPool2d(pool) => pool.output().len(),
            _ => self.input_dim(),
        }
    }

    /// Evaluates the layer at `x` in `f64` (`x.len()` must be [`LayerSpec::input_dim`]).
    pub fn forward(&self, x: &DVector<f64>) -> DVector<f64> {
        match self {
            LayerSpec::Dense { weights, bias } => weights * x + bias,
            LayerSpec::Affine { scale, shift } => scale.component_mul(x) + shift,
            LayerSpec::Activation { activation, .. } => x.map(|v| apply(*activation, v)),
            LayerSpec::Identity { .. } => x.clone(),
            LayerSpec::Conv2d(c) => DVector::from_vec(c.forward(x.as_slice())),
            LayerSpec::AvgPool2d {
                pool,
                count_include_pad,
            } => DVector::from_vec(pool.average(x.as_slice(), *count_include_pad)),
            LayerSpec::MaxPool2d(pool) => DVector::from_vec(pool.max(x.as_slice())),
        }
    }
}

/// One node of a graph with residual additions. Node `0` is the network input and `nodes[i]` of
/// [`OnnxGraph::dag`] is node `i + 1`; every node reads only earlier nodes.
#[derive(Debug, Clone, PartialEq)]
pub enum GraphNode {
    /// A layer applied to the output of node `input`.
    Layer {
        /// The node read.
        input: usize,
        /// The layer.
        layer: LayerSpec,
    },
    /// The element-wise sum of the outputs of nodes `a` and `b` (equal lengths).
    Add {
        /// First summand.
        a: usize,
        /// Second summand.
        b: usize,
    },
}

/// A converted ONNX model: a sequence of layers (or, with residual additions, a DAG of layers)
/// plus the names and shapes of its input and output.
#[derive(Debug, Clone, PartialEq)]
pub struct OnnxGraph {
    /// Name of the graph input.
    pub input_name: String,
    /// Declared input shape (symbolic dimensions such as a batch `N` are taken as 1).
    pub input_shape: Vec<usize>,
    /// Name of the graph output.
    pub output_name: String,
    /// Shape of the output as inferred by the reader.
    pub output_shape: Vec<usize>,
    /// The layers, first to last; consecutive dimensions agree. Empty when [`OnnxGraph::dag`] is
    /// given.
    pub layers: Vec<LayerSpec>,
    /// The graph's nodes when it adds two branches (a residual block); `None` for a chain. The
    /// output is the last node.
    pub dag: Option<Vec<GraphNode>>,
}

impl OnnxGraph {
    /// Number of input coordinates (product of [`OnnxGraph::input_shape`]).
    pub fn input_dim(&self) -> usize {
        self.input_shape.iter().product()
    }

    /// Number of output coordinates.
    pub fn output_dim(&self) -> usize {
        self.output_shape.iter().product()
    }

    /// Evaluates the whole network at `x` in `f64`.
    ///
    /// # Errors
    /// [`crate::Error::DimensionMismatch`] if `x` does not have [`OnnxGraph::input_dim`] entries
    /// or the layers do not fit together (a hand-made graph); [`crate::Error::Unsupported`] if a
    /// node of [`OnnxGraph::dag`] reads a node that is not before it.
    pub fn forward(&self, x: &DVector<f64>) -> crate::Result<DVector<f64>> {
        if x.len() != self.input_dim() {
            return Err(crate::Error::mismatch(
                "ONNX graph input",
                self.input_dim(),
                x.len(),
            ));
        }
        let apply = |k: usize, layer: &LayerSpec, v: &DVector<f64>| {
            if v.len() == layer.input_dim() {
                Ok(layer.forward(v))
            } else {
                Err(crate::Error::mismatch(
                    format!("ONNX graph layer {k} input"),
                    layer.input_dim(),
                    v.len(),
                ))
            }
        };
        let Some(nodes) = &self.dag else {
            let mut v = x.clone();
            for (k, layer) in self.layers.iter().enumerate() {
                v = apply(k, layer, &v)?;
            }
            return Ok(v);
        };
        let mut values = vec![x.clone()];
        for (k, node) in nodes.iter().enumerate() {
            let missing = || crate::Error::Unsupported {
                what: format!("ONNX graph node {k} reads a later node"),
            };
            let y = match node {
                GraphNode::Layer { input, layer } => {
                    apply(k, layer, values.get(*input).ok_or_else(missing)?)?
                }
                GraphNode::Add { a, b } => {
                    let (a, b) = (
                        values.get(*a).ok_or_else(missing)?,
                        values.get(*b).ok_or_else(missing)?,
                    );
                    if a.len() != b.len() {
                        return Err(crate::Error::mismatch(
                            format!("ONNX graph node {k} (add) second operand"),
                            a.len(),
                            b.len(),
                        ));
                    }
                    a + b
                }
            };
            values.push(y);
        }
        Ok(values.pop().unwrap_or_else(|| x.clone()))
    }
}
