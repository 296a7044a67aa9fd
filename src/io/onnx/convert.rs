//! Graph → layer-list conversion: the value table and the walk over the nodes.
//!
//! Every value is either a constant tensor (initializers, `Constant` nodes and anything computed
//! from constants only) or the single *dynamic* value that depends on the network input. The graph
//! must be a chain: each operation that transforms the dynamic value must consume its latest
//! version. Affine operations are accumulated in a [`Pending`] map and emitted as layers lazily.

use super::OnnxErrorKind;
use super::affine::Pending;
use super::proto::{GraphProto, ModelProto, NodeProto, ValueInfoProto, data_type};
use super::spec::{LayerSpec, OnnxGraph};
use super::tensor::{Tensor, checked_count, decode_tensor};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// A value in the graph.
#[derive(Debug, Clone)]
pub(super) enum Value {
    /// A constant.
    Const(Rc<Tensor>),
    /// The network-dependent value: its current shape, and the chain step that produced it.
    Dynamic { shape: Vec<usize>, version: usize },
}

/// A node being converted, with a label for messages.
pub(super) struct NodeCtx<'a> {
    pub node: &'a NodeProto,
    pub label: String,
}

impl NodeCtx<'_> {
    /// An [`OnnxErrorKind::UnsupportedUsage`] for this node.
    pub fn unsupported(&self, message: impl Into<String>) -> OnnxErrorKind {
        OnnxErrorKind::UnsupportedUsage {
            op_type: self.node.op_type.clone(),
            node: self.label.clone(),
            message: message.into(),
        }
    }

    /// An [`OnnxErrorKind::ShapeMismatch`] for this node.
    pub fn shape_mismatch(&self, message: impl Into<String>) -> OnnxErrorKind {
        OnnxErrorKind::ShapeMismatch {
            op_type: self.node.op_type.clone(),
            node: self.label.clone(),
            message: message.into(),
        }
    }
}

/// The conversion state.
pub(super) struct Converter {
    pub values: HashMap<String, Value>,
    pub pending: Pending,
    pub layers: Vec<LayerSpec>,
    pub version: usize,
}

/// A readable label for node `idx`: its name, or its index and first output when unnamed.
fn node_label(idx: usize, node: &NodeProto) -> String {
    if node.name.is_empty() {
        let out = node.output.first().map(String::as_str).unwrap_or("");
        format!("#{idx} (output `{out}`)")
    } else {
        format!("`{}`", node.name)
    }
}

/// The declared shape of a graph input; symbolic or missing sizes count as 1.
fn input_shape(info: &ValueInfoProto) -> Result<Vec<usize>, OnnxErrorKind> {
    let wrong = |found: String| OnnxErrorKind::WrongType {
        what: format!("graph input `{}`", info.name),
        expected: "a FLOAT or DOUBLE tensor",
        found,
    };
    let tensor = info
        .r#type
        .as_ref()
        .and_then(|t| t.tensor_type.as_ref())
        .ok_or_else(|| wrong("a non-tensor type".into()))?;
    if tensor.elem_type != data_type::FLOAT && tensor.elem_type != data_type::DOUBLE {
        return Err(wrong(data_type::name(tensor.elem_type).into()));
    }
    let shape = tensor.shape.as_ref().ok_or_else(|| {
        OnnxErrorKind::InvalidGraph(format!("graph input `{}` has no shape", info.name))
    })?;
    let mut dims = Vec::new();
    let mut count: u128 = 1;
    for d in &shape.dim {
        let v = match d.dim_value {
            Some(v) if v > 0 => usize::try_from(v).unwrap_or(usize::MAX),
            Some(v) if v < 0 => {
                return Err(OnnxErrorKind::NegativeDimension {
                    tensor: info.name.clone(),
                    dim: v,
                });
            }
            _ => 1,
        };
        count = count.saturating_mul(v as u128);
        dims.push(v);
    }
    checked_count(&info.name, count)?;
    Ok(dims)
}

impl Converter {
    /// The value read by input `i` of the node.
    pub fn input(&self, ctx: &NodeCtx, i: usize) -> Result<Value, OnnxErrorKind> {
        let name = match ctx.node.input.get(i) {
            Some(n) if !n.is_empty() => n,
            _ => return Err(ctx.unsupported(format!("input #{i} is missing"))),
        };
        self.values
            .get(name)
            .cloned()
            .ok_or_else(|| OnnxErrorKind::MissingInput {
                node: ctx.label.clone(),
                input: name.clone(),
            })
    }

    /// Whether the node has a non-empty input `i`.
    pub fn has_input(ctx: &NodeCtx, i: usize) -> bool {
        ctx.node.input.get(i).is_some_and(|n| !n.is_empty())
    }

    /// Checks that a dynamic input is the latest version of the chain.
    pub fn check_latest(&self, ctx: &NodeCtx, version: usize) -> Result<(), OnnxErrorKind> {
        if version == self.version {
            Ok(())
        } else {
            Err(ctx.unsupported(
                "reads an earlier version of the network value; only sequential graphs are supported",
            ))
        }
    }

    /// Binds the node's first output to `value`.
    pub fn define(&mut self, ctx: &NodeCtx, value: Value) -> Result<(), OnnxErrorKind> {
        let name = match ctx.node.output.first() {
            Some(n) if !n.is_empty() => n.clone(),
            _ => return Err(ctx.unsupported("has no output")),
        };
        if self.values.contains_key(&name) {
            return Err(OnnxErrorKind::InvalidGraph(format!(
                "value `{name}` is defined twice (node {})",
                ctx.label
            )));
        }
        self.values.insert(name, value);
        Ok(())
    }

    /// Binds the node's output to a new version of the dynamic value with `shape`.
    pub fn define_dynamic(
        &mut self,
        ctx: &NodeCtx,
        shape: Vec<usize>,
    ) -> Result<(), OnnxErrorKind> {
        self.version += 1;
        if shape.contains(&0) {
            return Err(ctx.shape_mismatch(format!("the result has an empty shape {shape:?}")));
        }
        if let Some((index, value)) = self.pending.first_non_finite() {
            return Err(OnnxErrorKind::NonFinite {
                tensor: format!("coefficients folded at node {}", ctx.label),
                index,
                value,
            });
        }
        let version = self.version;
        self.define(ctx, Value::Dynamic { shape, version })
    }

    /// Converts one node.
    fn convert_node(&mut self, ctx: &NodeCtx) -> Result<(), OnnxErrorKind> {
        let node = ctx.node;
        let unsupported = || OnnxErrorKind::UnsupportedOperator {
            op_type: node.op_type.clone(),
            node: ctx.label.clone(),
        };
        if !(node.domain.is_empty() || node.domain == "ai.onnx") {
            return Err(unsupported());
        }
        match node.op_type.as_str() {
            "Gemm" => self.gemm(ctx),
            "MatMul" => self.matmul(ctx),
            "Add" | "Sub" | "Mul" | "Div" => self.arithmetic(ctx),
            "Relu" | "LeakyRelu" | "Sigmoid" | "Tanh" | "Atan" => self.activation(ctx),
            "Flatten" => self.flatten(ctx),
            "Reshape" => self.reshape(ctx),
            "Identity" => self.identity(ctx),
            "Constant" => self.constant(ctx),
            _ => Err(unsupported()),
        }
    }
}

/// Converts a decoded model into a layer list.
pub(crate) fn convert_model(model: &ModelProto) -> Result<OnnxGraph, OnnxErrorKind> {
    let graph = model.graph.as_ref().ok_or(OnnxErrorKind::MissingGraph)?;
    convert_graph(graph)
}

/// Converts a graph into a layer list.
fn convert_graph(graph: &GraphProto) -> Result<OnnxGraph, OnnxErrorKind> {
    let mut values = HashMap::new();
    for t in &graph.initializer {
        let tensor = decode_tensor(t)?;
        if values
            .insert(t.name.clone(), Value::Const(Rc::new(tensor)))
            .is_some()
        {
            return Err(OnnxErrorKind::InvalidGraph(format!(
                "initializer `{}` is defined twice",
                t.name
            )));
        }
    }
    let inits: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let inputs: Vec<&ValueInfoProto> = graph
        .input
        .iter()
        .filter(|i| !inits.contains(i.name.as_str()))
        .collect();
    let input = match inputs.as_slice() {
        [one] => *one,
        [] => return Err(OnnxErrorKind::InvalidGraph("the graph has no input".into())),
        more => {
            return Err(OnnxErrorKind::InvalidGraph(format!(
                "the graph has {} inputs; exactly one is supported",
                more.len()
            )));
        }
    };
    let shape = input_shape(input)?;
    let dim = shape.iter().product();
    values.insert(
        input.name.clone(),
        Value::Dynamic {
            shape: shape.clone(),
            version: 0,
        },
    );
    let mut conv = Converter {
        values,
        pending: Pending::Identity(dim),
        layers: Vec::new(),
        version: 0,
    };
    for (idx, node) in graph.node.iter().enumerate() {
        let ctx = NodeCtx {
            node,
            label: node_label(idx, node),
        };
        conv.convert_node(&ctx)?;
    }
    let output = match graph.output.as_slice() {
        [one] => one,
        other => {
            return Err(OnnxErrorKind::InvalidGraph(format!(
                "the graph has {} outputs; exactly one is supported",
                other.len()
            )));
        }
    };
    let output_shape = match conv.values.get(&output.name) {
        Some(Value::Dynamic { shape, version }) if *version == conv.version => shape.clone(),
        Some(Value::Dynamic { .. }) => {
            return Err(OnnxErrorKind::InvalidGraph(format!(
                "output `{}` is not the last value of the chain",
                output.name
            )));
        }
        Some(Value::Const(_)) => {
            return Err(OnnxErrorKind::InvalidGraph(format!(
                "output `{}` does not depend on the input",
                output.name
            )));
        }
        None => {
            return Err(OnnxErrorKind::InvalidGraph(format!(
                "output `{}` is not produced by any node",
                output.name
            )));
        }
    };
    let Converter {
        pending,
        mut layers,
        ..
    } = conv;
    let out_dim = pending.output_dim();
    pending.flush(&mut layers);
    if layers.is_empty() {
        layers.push(LayerSpec::Identity { dim: out_dim });
    }
    Ok(OnnxGraph {
        input_name: input.name.clone(),
        input_shape: shape,
        output_name: output.name.clone(),
        output_shape,
        layers,
    })
}
