//! Graph → layer-list conversion: the value table and the walk over the nodes.
//!
//! Every value is either a constant tensor (initializers, `Constant` nodes and anything computed
//! from constants only) or a *dynamic* value that depends on the network input. A dynamic value is
//! a node of the output DAG (its *base*) followed by an affine map not yet emitted ([`Pending`]):
//! affine operations are accumulated and emitted as layers lazily, when a non-linear operation, a
//! second linear operation, an addition of two dynamic values or the output needs them. Branches
//! (a value read by two nodes) and additions of two branches give a DAG; nodes the output does not
//! depend on are dropped, and a DAG that is a chain becomes a plain layer list.

use super::OnnxErrorKind;
use super::affine::Pending;
use super::proto::{GraphProto, ModelProto, NodeProto, ValueInfoProto, data_type};
use super::spec::{GraphNode, LayerSpec, OnnxGraph};
use super::tensor::{Tensor, check_dims, checked_count, decode_tensor};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// A value in the graph.
#[derive(Debug, Clone)]
pub(super) enum Value {
    /// A constant.
    Const(Rc<Tensor>),
    /// A network-dependent value: its current shape, and its entry in [`Converter::states`].
    Dynamic { shape: Vec<usize>, version: usize },
}

/// How a dynamic value is computed: the pending affine map applied to the output of DAG node
/// `base` (node `0` is the network input).
#[derive(Debug, Clone)]
pub(super) struct State {
    pub base: usize,
    pub pending: Pending,
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
    /// One entry per dynamic value (`Value::Dynamic::version`).
    pub states: Vec<State>,
    /// The DAG built so far; `nodes[i]` is node `i + 1`.
    pub nodes: Vec<GraphNode>,
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

    /// The state of dynamic value `version` (a copy; the value may be read again).
    pub fn state(&self, version: usize) -> State {
        self.states[version].clone()
    }

    /// Appends `layer` (when there is one) reading node `base`; returns the node holding the result.
    pub fn emit(&mut self, base: usize, layer: Option<LayerSpec>) -> usize {
        match layer {
            None => base,
            Some(layer) => {
                self.nodes.push(GraphNode::Layer { input: base, layer });
                self.nodes.len()
            }
        }
    }

    /// Appends a node; returns its id.
    pub fn push_node(&mut self, node: GraphNode) -> usize {
        self.nodes.push(node);
        self.nodes.len()
    }

    /// Emits the pending map of dynamic value `version` and returns the DAG node that holds the
    /// value. The value is updated, so reading it again reuses the node.
    pub fn materialise(&mut self, version: usize) -> usize {
        let State { base, pending } = self.state(version);
        let dim = pending.output_dim();
        let node = self.emit(base, pending.into_layer());
        self.states[version] = State {
            base: node,
            pending: Pending::Identity(dim),
        };
        node
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

    /// Binds the node's output to a new dynamic value with `shape`: `pending` applied to the
    /// output of DAG node `base`.
    pub fn define_dynamic(
        &mut self,
        ctx: &NodeCtx,
        shape: Vec<usize>,
        base: usize,
        pending: Pending,
    ) -> Result<(), OnnxErrorKind> {
        if shape.contains(&0) {
            return Err(ctx.shape_mismatch(format!("the result has an empty shape {shape:?}")));
        }
        check_dims(&format!("result of node {}", ctx.label), &shape)?;
        if let Some((index, value)) = pending.first_non_finite() {
            return Err(OnnxErrorKind::NonFinite {
                tensor: format!("coefficients folded at node {}", ctx.label),
                index,
                value,
            });
        }
        self.states.push(State { base, pending });
        let version = self.states.len() - 1;
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
            "Conv" => self.conv(ctx),
            "MaxPool" | "AveragePool" => self.pool(ctx),
            "BatchNormalization" => self.batch_norm(ctx),
            "Pad" => self.pad(ctx),
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
        states: vec![State {
            base: 0,
            pending: Pending::Identity(dim),
        }],
        nodes: Vec::new(),
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
    let (output_shape, version) = match conv.values.get(&output.name) {
        Some(Value::Dynamic { shape, version }) => (shape.clone(), *version),
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
    let out_dim = conv.states[version].pending.output_dim();
    let out = conv.materialise(version);
    let (mut layers, dag) = match prune(conv.nodes, out) {
        Pruned::Chain(layers) => (layers, None),
        Pruned::Dag(nodes) => (Vec::new(), Some(nodes)),
    };
    if layers.is_empty() && dag.is_none() {
        layers.push(LayerSpec::Identity { dim: out_dim });
    }
    Ok(OnnxGraph {
        input_name: input.name.clone(),
        input_shape: shape,
        output_name: output.name.clone(),
        output_shape,
        layers,
        dag,
    })
}

/// The part of a DAG that the output depends on.
enum Pruned {
    /// Every node reads the one before it: a layer list.
    Chain(Vec<LayerSpec>),
    /// A DAG with additions, renumbered (output last).
    Dag(Vec<GraphNode>),
}

/// Drops the nodes that node `out` does not depend on and renumbers the rest.
fn prune(nodes: Vec<GraphNode>, out: usize) -> Pruned {
    let mut needed = vec![false; nodes.len() + 1];
    needed[out] = true;
    for id in (1..=out).rev() {
        if needed[id] {
            match &nodes[id - 1] {
                GraphNode::Layer { input, .. } => needed[*input] = true,
                GraphNode::Add { a, b } => {
                    needed[*a] = true;
                    needed[*b] = true;
                }
            }
        }
    }
    let mut new_id = vec![0; nodes.len() + 1];
    let mut kept = Vec::new();
    for (i, node) in nodes.into_iter().enumerate().take(out) {
        if !needed[i + 1] {
            continue;
        }
        kept.push(match node {
            GraphNode::Layer { input, layer } => GraphNode::Layer {
                input: new_id[input],
                layer,
            },
            GraphNode::Add { a, b } => GraphNode::Add {
                a: new_id[a],
                b: new_id[b],
            },
        });
        new_id[i + 1] = kept.len();
    }
    let chain = kept
        .iter()
        .enumerate()
        .all(|(i, n)| matches!(n, GraphNode::Layer { input, .. } if *input == i));
    if chain {
        Pruned::Chain(
            kept.into_iter()
                .filter_map(|n| match n {
                    GraphNode::Layer { layer, .. } => Some(layer),
                    GraphNode::Add { .. } => None,
                })
                .collect(),
        )
    } else {
        Pruned::Dag(kept)
    }
}
