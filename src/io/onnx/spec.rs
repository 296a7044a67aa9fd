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
    /// Checks that the parts of a (possibly hand-built) layer fit together: a dense layer's bias
    /// has one entry per weight row, an element-wise affine map's shift one per scale, a
    /// convolution's weights `M·C·kh·kw` entries and its bias `M`. The ONNX reader only builds
    /// layers that pass; [`OnnxGraph::forward`] checks before evaluating.
    ///
    /// # Errors
    /// [`crate::Error::DimensionMismatch`] naming the part, with `context` (e.g. the layer index).
    pub fn check(&self, context: &str) -> crate::Result<()> {
        let fits = |what: &str, expected: usize, found: usize| {
            if expected == found {
                Ok(())
            } else {
                Err(crate::Error::mismatch(
                    format!("{context}: {what}"),
                    expected,
                    found,
                ))
            }
        };
        match self {
            LayerSpec::Dense { weights, bias } => {
                fits("dense bias (= weight rows)", weights.nrows(), bias.len())
            }
            LayerSpec::Affine { scale, shift } => {
                fits("affine shift (= scale length)", scale.len(), shift.len())
            }
            LayerSpec::Conv2d(c) => {
                let (kh, kw) = c.window.kernel;
                let weights = c.out_channels * c.input.channels * kh * kw;
                fits("convolution weights (= M·C·kh·kw)", weights, c.weight.len())?;
                fits(
                    "convolution bias (= output channels)",
                    c.out_channels,
                    c.bias.len(),
                )
            }
            LayerSpec::Activation { .. }
            | LayerSpec::Identity { .. }
            | LayerSpec::AvgPool2d { .. }
            | LayerSpec::MaxPool2d(_) => Ok(()),
        }
    }

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
    /// or the layers do not fit together or a layer's parts do not ([`LayerSpec::check`]; a
    /// hand-made graph); [`crate::Error::Unsupported`] if a
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
            layer.check(&format!("ONNX graph layer {k}"))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::onnx::{ConvSpec, MapShape, Window};
    use nalgebra::DMatrix;

    fn graph(layers: Vec<LayerSpec>) -> OnnxGraph {
        let input = layers[0].input_dim();
        let output = layers[layers.len() - 1].output_dim();
        OnnxGraph {
            input_name: "x".into(),
            input_shape: vec![1, input],
            output_name: "y".into(),
            output_shape: vec![1, output],
            layers,
            dag: None,
        }
    }

    fn conv(weights: usize, bias: usize) -> LayerSpec {
        LayerSpec::Conv2d(ConvSpec {
            input: MapShape {
                channels: 1,
                height: 3,
                width: 3,
            },
            out_channels: 2,
            window: Window {
                kernel: (2, 2),
                stride: (1, 1),
                padding: [0; 4],
                dilation: (1, 1),
            },
            weight: vec![0.5; weights],
            bias: vec![0.1; bias],
        })
    }

    /// Hand-built layers whose parts do not fit are reported, not evaluated (they used to
    /// index out of bounds).
    #[test]
    fn hand_built_layers_that_do_not_fit_are_errors() {
        let x = DVector::from_element(9, 1.0);
        assert!(graph(vec![conv(8, 2)]).forward(&x).is_ok());
        for bad in [conv(7, 2), conv(8, 1), conv(9, 3)] {
            let err = graph(vec![bad]).forward(&x).unwrap_err();
            assert!(
                matches!(err, crate::Error::DimensionMismatch { .. }),
                "{err}"
            );
        }
        let dense = LayerSpec::Dense {
            weights: DMatrix::from_element(2, 9, 1.0),
            bias: DVector::zeros(3),
        };
        assert!(matches!(
            graph(vec![dense]).forward(&x),
            Err(crate::Error::DimensionMismatch { .. })
        ));
        let affine = LayerSpec::Affine {
            scale: DVector::from_element(9, 2.0),
            shift: DVector::zeros(8),
        };
        assert!(matches!(
            graph(vec![affine]).forward(&x),
            Err(crate::Error::DimensionMismatch { .. })
        ));
    }
}
