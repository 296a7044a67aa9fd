//! The reader's backend-independent result: a flat list of layer descriptions in `f64`.
//!
//! Conversion from an ONNX graph produces an [`OnnxGraph`]; [`crate::io::onnx::load_onnx`] then builds
//! a network over `f32` or `f64` from it. Keeping this step separate lets the parser be tested and
//! fuzzed without the bound engine.

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
}

impl LayerSpec {
    /// Input size.
    pub fn input_dim(&self) -> usize {
        match self {
            LayerSpec::Dense { weights, .. } => weights.ncols(),
            LayerSpec::Affine { scale, .. } => scale.len(),
            LayerSpec::Activation { dim, .. } | LayerSpec::Identity { dim } => *dim,
        }
    }

    /// Output size.
    pub fn output_dim(&self) -> usize {
        match self {
            LayerSpec::Dense { weights, .. } => weights.nrows(),
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
        }
    }
}

/// A converted ONNX model: a sequence of layers plus the names and shapes of its input and output.
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
    /// The layers, first to last; consecutive dimensions agree.
    pub layers: Vec<LayerSpec>,
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
    /// [`crate::Error::DimensionMismatch`] if `x` does not have [`OnnxGraph::input_dim`] entries.
    pub fn forward(&self, x: &DVector<f64>) -> crate::Result<DVector<f64>> {
        if x.len() != self.input_dim() {
            return Err(crate::Error::mismatch(
                "ONNX graph input",
                self.input_dim(),
                x.len(),
            ));
        }
        Ok(self.layers.iter().fold(x.clone(), |v, l| l.forward(&v)))
    }
}
