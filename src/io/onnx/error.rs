//! What can be wrong with an ONNX file, as structured data.

/// The reason an ONNX model was rejected; carried by [`crate::Error::Onnx`].
///
/// Every variant names the tensor or node involved so that the message can be acted on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum OnnxErrorKind {
    /// The bytes are not a valid protobuf `ModelProto` (truncated, corrupt, nested too deeply).
    #[error("invalid protobuf: {0}")]
    Decode(String),
    /// The model has no graph.
    #[error("the model has no graph")]
    MissingGraph,
    /// A tensor declares more elements than the reader accepts, or its size overflows.
    #[error("tensor `{tensor}` declares {declared} elements (limit {limit})")]
    TensorTooLarge {
        /// Tensor (or value) name.
        tensor: String,
        /// Declared element count, as text (it may not fit in an integer).
        declared: String,
        /// The reader's limit.
        limit: usize,
    },
    /// A tensor dimension is negative.
    #[error("tensor `{tensor}` has negative dimension {dim}")]
    NegativeDimension {
        /// Tensor name.
        tensor: String,
        /// The dimension.
        dim: i64,
    },
    /// The data stored for a tensor does not match its declared shape.
    #[error("tensor `{tensor}`: shape needs {expected} values, data holds {found}")]
    DataLength {
        /// Tensor name.
        tensor: String,
        /// Values implied by the shape.
        expected: usize,
        /// Values (or bytes / element size) present.
        found: usize,
    },
    /// A tensor or value has an element type the reader cannot use here.
    #[error("{what}: element type {found} is not supported here (expected {expected})")]
    WrongType {
        /// The tensor, value or node input.
        what: String,
        /// What was required.
        expected: &'static str,
        /// The type found.
        found: String,
    },
    /// Tensor data lives in an external file, which the reader does not load.
    #[error("tensor `{tensor}` uses external data, which is not supported")]
    ExternalData {
        /// Tensor name.
        tensor: String,
    },
    /// A NaN or infinite weight.
    #[error("tensor `{tensor}` has non-finite value {value} at flat index {index}")]
    NonFinite {
        /// Tensor name.
        tensor: String,
        /// Flat (row-major) index.
        index: usize,
        /// The value.
        value: f64,
    },
    /// An operator the reader does not (yet) convert.
    #[error("unsupported operator {op_type} at node {node}")]
    UnsupportedOperator {
        /// The `op_type`.
        op_type: String,
        /// The node (its name, or its index and first output when unnamed).
        node: String,
    },
    /// A supported operator used in a form the reader cannot convert.
    #[error("node {node} ({op_type}): {message}")]
    UnsupportedUsage {
        /// The `op_type`.
        op_type: String,
        /// The node.
        node: String,
        /// What is not supported.
        message: String,
    },
    /// A node reads a value that no initializer, graph input or earlier node provides.
    #[error(
        "node {node} reads `{input}`, which is neither an initializer, a graph input nor an earlier output"
    )]
    MissingInput {
        /// The node.
        node: String,
        /// The missing value name.
        input: String,
    },
    /// Shapes of connected values do not fit together.
    #[error("node {node} ({op_type}): shape mismatch: {message}")]
    ShapeMismatch {
        /// The `op_type`.
        op_type: String,
        /// The node.
        node: String,
        /// Which shapes disagree.
        message: String,
    },
    /// An attribute is missing, has the wrong type or an invalid value.
    #[error("node {node}: attribute `{attribute}`: {message}")]
    InvalidAttribute {
        /// The node.
        node: String,
        /// The attribute name.
        attribute: String,
        /// What is wrong.
        message: String,
    },
    /// The graph as a whole cannot be turned into a sequential network.
    #[error("invalid graph: {0}")]
    InvalidGraph(String),
    /// A converted layer was rejected by its constructor (for example a LeakyRelu slope outside
    /// `[0, 1]`, or weights that overflow when rounded to `f32`).
    #[error("layer {index}: {message}")]
    InvalidLayer {
        /// Index of the layer in the converted network (of the node, for [`super::OnnxGraph::dag`]).
        index: usize,
        /// The constructor's error.
        message: String,
    },
}
