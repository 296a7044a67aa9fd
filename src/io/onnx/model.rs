//! Building a [`Sequential`] network from a converted ONNX graph.

use super::cnn::{MapShape, PoolSpec};
use super::spec::{GraphNode, LayerSpec, OnnxGraph};
use super::{OnnxErrorKind, parse_named, read_file};
use crate::layers::{
    ActivationLayer, AvgPool2d, Conv2d, Conv2dGeometry, Dense, ElementwiseAffine, Flatten,
    MaxPool2d, Pool2dGeometry, Shape3,
};
use crate::network::GraphBuilder;
use crate::{Error, Float, Layer, Result, Sequential};
use nalgebra::{DMatrix, DVector};
use std::path::Path;

/// A network read from an ONNX file, with the shapes of its input and output.
#[derive(Debug)]
pub struct OnnxModel<T: Float> {
    /// The network on the flattened (row-major, NCHW) input. A graph with residual additions is
    /// compiled to a sequential network by [`GraphBuilder`].
    pub network: Sequential<T>,
    /// Declared input shape (symbolic dimensions such as a batch `N` are taken as 1).
    pub input_shape: Vec<usize>,
    /// Output shape as inferred by the reader.
    pub output_shape: Vec<usize>,
    /// Name of the graph input.
    pub input_name: String,
    /// Name of the graph output.
    pub output_name: String,
}

/// Reads an ONNX file and builds the network over `T` (`f32` or `f64`).
///
/// Weights are decoded in `f64` (FLOAT initializers widened exactly) and rounded once to `T`.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Onnx`] if it cannot be decoded or converted
/// (the kind names the tensor or node).
///
/// # Examples
/// ```no_run
/// use proven::Network;
/// use nalgebra::DVector;
/// let m = proven::io::onnx::load_onnx::<f64>("../shared/models/test/test_small.onnx")?;
/// let y = m.network.forward(&DVector::from_vec(vec![0.5]))?;
/// # Ok::<(), proven::Error>(())
/// ```
pub fn load_onnx<T: Float>(path: impl AsRef<Path>) -> Result<OnnxModel<T>> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes = read_file(path)?;
    build(parse_named(&bytes, &name)?, &name)
}

/// Decodes an ONNX model held in memory and builds the network over `T`.
///
/// # Errors
/// [`Error::Onnx`] (path `"<memory>"`) if the bytes cannot be decoded or converted.
pub fn from_bytes<T: Float>(bytes: &[u8]) -> Result<OnnxModel<T>> {
    build(parse_named(bytes, "<memory>")?, "<memory>")
}

fn cast_vec<T: Float>(v: &DVector<f64>) -> DVector<T> {
    v.map(T::from_f64_rounded)
}

/// One layer over `T`.
fn layer<T: Float>(spec: &LayerSpec) -> Result<Box<dyn Layer<T>>> {
    Ok(match spec {
        LayerSpec::Dense { weights, bias } => {
            let w: DMatrix<T> = weights.map(T::from_f64_rounded);
            Box::new(Dense::new(w, cast_vec(bias))?)
        }
        LayerSpec::Affine { scale, shift } => {
            Box::new(ElementwiseAffine::new(cast_vec(scale), cast_vec(shift))?)
        }
        LayerSpec::Activation { dim, activation } => {
            Box::new(ActivationLayer::builtin(*dim, *activation)?)
        }
        LayerSpec::Identity { dim } => Box::new(Flatten::new(*dim)?),
        LayerSpec::Conv2d(c) => {
            let geometry = Conv2dGeometry {
                input: shape3(c.input),
                out_channels: c.out_channels,
                kernel: c.window.kernel,
                stride: c.window.stride,
                padding: c.window.padding,
                dilation: c.window.dilation,
            };
            let cast = |v: &[f64]| v.iter().map(|&x| T::from_f64_rounded(x)).collect();
            Box::new(Conv2d::new(geometry, cast(&c.weight), cast(&c.bias))?)
        }
        LayerSpec::AvgPool2d {
            pool,
            count_include_pad,
        } => Box::new(AvgPool2d::new(pool_geometry(pool), *count_include_pad)?),
        LayerSpec::MaxPool2d(pool) => Box::new(MaxPool2d::new(pool_geometry(pool))?),
    })
}

fn shape3(m: MapShape) -> Shape3 {
    Shape3 {
        channels: m.channels,
        height: m.height,
        width: m.width,
    }
}

fn pool_geometry(p: &PoolSpec) -> Pool2dGeometry {
    Pool2dGeometry {
        input: shape3(p.input),
        kernel: p.window.kernel,
        stride: p.window.stride,
        padding: p.window.padding,
    }
}

/// Compiles a DAG of layer specs with [`GraphBuilder`]; `wrap(i, e)` reports node `i`'s error.
fn build_dag<T: Float>(
    input_dim: usize,
    nodes: &[GraphNode],
    wrap: impl Fn(usize, Error) -> Error,
) -> Result<Sequential<T>> {
    let mut g = GraphBuilder::<T>::new(input_dim);
    let mut ids = vec![g.input()];
    for (i, node) in nodes.iter().enumerate() {
        let id = match node {
            GraphNode::Layer { input, layer: spec } => {
                let l = layer::<T>(spec).map_err(|e| wrap(i, e))?;
                g.layer(ids[*input], l)
            }
            GraphNode::Add { a, b } => g.add(ids[*a], ids[*b]),
        }
        .map_err(|e| wrap(i, e))?;
        ids.push(id);
    }
    let out = *ids.last().unwrap_or(&g.input());
    g.build(out).map_err(|e| wrap(nodes.len(), e))
}

/// Builds the network, reporting a rejected layer as [`OnnxErrorKind::InvalidLayer`].
fn build<T: Float>(graph: OnnxGraph, path: &str) -> Result<OnnxModel<T>> {
    let wrap = |index: usize, e: Error| Error::Onnx {
        path: path.to_string(),
        kind: OnnxErrorKind::InvalidLayer {
            index,
            message: e.to_string(),
        },
    };
    let network = match &graph.dag {
        Some(nodes) => build_dag(graph.input_dim(), nodes, wrap)?,
        None => {
            let layers = graph
                .layers
                .iter()
                .enumerate()
                .map(|(i, s)| layer::<T>(s).map_err(|e| wrap(i, e)))
                .collect::<Result<Vec<_>>>()?;
            Sequential::new(layers).map_err(|e| wrap(0, e))?
        }
    };
    Ok(OnnxModel {
        network,
        input_shape: graph.input_shape,
        output_shape: graph.output_shape,
        input_name: graph.input_name,
        output_name: graph.output_name,
    })
}
