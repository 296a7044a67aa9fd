//! ONNX model reader.
//!
//! Decodes the protobuf with hand-written [`prost`] structs ([`proto`]), checks every tensor
//! (size, type and finiteness checks happen before any large allocation), and converts
//! the graph into a sequence of layers ([`OnnxGraph`]): `Gemm`/`MatMul` (either operand order,
//! `transA`/`transB`/`alpha`/`beta`), `Add`/`Sub`/`Mul`/`Div` by constants, `Relu`, `LeakyRelu`,
//! `Sigmoid`, `Tanh`, `Atan`, `Flatten`, `Reshape`, `Constant` and `Identity`, and for
//! convolutional networks (NCHW, batch 1) `Conv` (`group = 1`), `MaxPool`, `AveragePool`,
//! `BatchNormalization` (inference form), zero `Pad` on the spatial axes and `Add` of two
//! branches (residual blocks, which make the result a DAG, [`OnnxGraph::dag`]). Constant affine
//! chains are folded: `MatMul → Add` gives one dense layer, `Sub → Div` on the input one
//! normalisation layer, `Conv → BatchNormalization` one convolution, and `Pad → Conv` one
//! convolution with the padding added. Anything else gives a typed error naming the node
//! ([`OnnxErrorKind::UnsupportedOperator`], [`OnnxErrorKind::UnsupportedUsage`],
//! [`OnnxErrorKind::InvalidAttribute`], [`OnnxErrorKind::ShapeMismatch`]).
//!
//! [`load_onnx`] and [`from_bytes`] build a [`crate::Sequential`] network over `f32` or `f64`;
//! [`read_graph`] and [`parse_bytes`] stop at the backend-independent [`OnnxGraph`].
//!
//! # Examples
//! ```no_run
//! use proven::Network;
//! let model = proven::io::onnx::load_onnx::<f64>("model.onnx")?;
//! println!("input shape {:?}, {} inputs", model.input_shape, model.network.input_dim());
//! # Ok::<(), proven::Error>(())
//! ```

mod affine;
mod attrs;
mod broadcast;
mod cnn;
mod convert;
mod error;
mod model;
mod ops_conv;
mod ops_elementwise;
mod ops_linear;
mod ops_norm;
mod ops_pool;
mod ops_shape;
pub mod proto;
mod spec;
mod tensor;
mod window_attrs;

pub use cnn::{ConvSpec, MapShape, PoolSpec, Window};
pub use error::OnnxErrorKind;
pub use model::{OnnxModel, from_bytes, load_onnx};
pub use spec::{GraphNode, LayerSpec, OnnxGraph};
pub use tensor::MAX_ELEMENTS;

use crate::{Error, Result};
use std::path::Path;

/// The largest file the reader opens (protobuf messages are limited to 2 GiB).
pub const MAX_FILE_BYTES: u64 = 2 << 30;

/// Parses an ONNX model held in memory into layer descriptions.
///
/// # Errors
/// [`Error::Onnx`] with the reason ([`OnnxErrorKind`]); the path is reported as `"<memory>"`.
pub fn parse_bytes(bytes: &[u8]) -> Result<OnnxGraph> {
    parse_named(bytes, "<memory>")
}

/// Reads and parses an ONNX file into layer descriptions.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read, [`Error::Onnx`] if it cannot be converted.
pub fn read_graph(path: impl AsRef<Path>) -> Result<OnnxGraph> {
    let path = path.as_ref();
    let bytes = read_file(path)?;
    parse_named(&bytes, &path.display().to_string())
}

/// Reads a file, refusing files over [`MAX_FILE_BYTES`].
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_FILE_BYTES {
        return Err(Error::Onnx {
            path: path.display().to_string(),
            kind: OnnxErrorKind::Decode(format!("file of {len} bytes exceeds {MAX_FILE_BYTES}")),
        });
    }
    std::fs::read(path).map_err(io)
}

pub(crate) fn parse_named(bytes: &[u8], path: &str) -> Result<OnnxGraph> {
    let wrap = |kind| Error::Onnx {
        path: path.to_string(),
        kind,
    };
    let model =
        proto::decode_model(bytes).map_err(|e| wrap(OnnxErrorKind::Decode(e.to_string())))?;
    convert::convert_model(&model).map_err(wrap)
}
