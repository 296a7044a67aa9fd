//! [`GraphBuilder`]: DAG networks (residual blocks, forks) compiled to a [`Sequential`].

use crate::layers::{OnSlice, Rewire};
use crate::{Error, Float, Layer, Result, Sequential};

/// A node of a [`GraphBuilder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeId(usize);

impl NodeId {
    /// The node's position in creation order (the input is 0).
    pub fn index(self) -> usize {
        self.0
    }
}

#[derive(Debug)]
enum Node<T: Float> {
    Input,
    Layer {
        from: usize,
        layer: Box<dyn Layer<T>>,
    },
    Add {
        a: usize,
        b: usize,
    },
}

/// Builds networks whose layers form a DAG (residual blocks `F(x) + x`, forks), compiled
/// to a [`Sequential`] so that the whole bound engine (intermediate bounds, tightening hooks,
/// radius search, Monte Carlo) works on them unchanged.
///
/// # Compilation
/// The compiled network carries, between two layers, the concatenation `[v_1, …, v_k]` of the
/// values that are still needed later ("live" values), in creation order. Nodes are visited in
/// creation order (which is topological: a node can only use earlier nodes):
///
/// - a layer node whose input is not used later replaces that input in place, as an
///   [`OnSlice`] layer on its slice (or the bare layer when it is the only live value, so a plain
///   chain compiles to exactly its layers);
/// - a layer node whose input is still needed later first duplicates it at the end with a
///   [`Rewire`], then applies an [`OnSlice`] to the copy;
/// - an `add` node is one [`Rewire`] that keeps the values still needed later and appends
///   `a + b` (dropping `a` and `b` if this was their last use).
///
/// Back-substitution through this sequence equals the graph rule of auto_LiRPA
/// (`backward_general`: the `Λ` contributions of all consumers of a value are summed), because
/// the `Rewire` of a fork sends the `Λ` of both copies to the same input coordinates. Bounds on
/// a non-linear layer's input are computed for its slice only when the method refines unstable
/// neurons ([`crate::engine::Sparsity::Unstable`]); with [`crate::Method::dense`] the
/// pass-through coordinates are refined too (sound, more work).
///
/// # References
/// He et al., *Deep Residual Learning*, CVPR 2016 (residual blocks); Boopathy et al.,
/// *CNN-Cert*, AAAI 2019, §3.4 (bounds through residual blocks); Xu et al., *auto_LiRPA*,
/// NeurIPS 2020, §3 (back-substitution on general computational graphs).
///
/// # Examples
/// A residual block `y = x + relu(W·x)`:
/// ```
/// use proven::layers::{ActivationLayer, Dense};
/// use proven::network::GraphBuilder;
/// use proven::{Activation, Network};
/// use nalgebra::{DMatrix, DVector};
/// let mut g = GraphBuilder::<f64>::new(2);
/// let x = g.input();
/// let h = g.layer(x, Box::new(Dense::new(DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, -1.0]), DVector::zeros(2)).unwrap())).unwrap();
/// let h = g.layer(h, Box::new(ActivationLayer::new(2, Activation::Relu).unwrap())).unwrap();
/// let y = g.add(x, h).unwrap();
/// let net = g.build(y).unwrap();
/// assert_eq!(net.forward(&DVector::from_vec(vec![1.0, 2.0])).unwrap().as_slice(), &[2.0, 2.0]);
/// ```
#[derive(Debug)]
pub struct GraphBuilder<T: Float> {
    nodes: Vec<Node<T>>,
    dims: Vec<usize>,
}

impl<T: Float> GraphBuilder<T> {
    /// A graph whose input has `input_dim` coordinates.
    pub fn new(input_dim: usize) -> Self {
        Self {
            nodes: vec![Node::Input],
            dims: vec![input_dim],
        }
    }

    /// The input node.
    pub fn input(&self) -> NodeId {
        NodeId(0)
    }

    /// The length of a node's value.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for a node of another builder.
    pub fn dim(&self, node: NodeId) -> Result<usize> {
        self.dims
            .get(node.0)
            .copied()
            .ok_or_else(|| self.unknown(node))
    }

    fn unknown(&self, node: NodeId) -> Error {
        Error::Unsupported {
            what: format!(
                "graph node {} does not exist (the graph has {} nodes)",
                node.0,
                self.nodes.len()
            ),
        }
    }

    /// Applies `layer` to the value of `from`.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for an unknown node; [`Error::DimensionMismatch`] if the layer's
    /// input size is not the node's length.
    pub fn layer(&mut self, from: NodeId, layer: Box<dyn Layer<T>>) -> Result<NodeId> {
        let d = self.dim(from)?;
        if layer.input_dim() != d {
            return Err(Error::mismatch(
                format!(
                    "graph node {} ({}) input, from node {}",
                    self.nodes.len(),
                    layer.kind(),
                    from.0
                ),
                d,
                layer.input_dim(),
            ));
        }
        self.dims.push(layer.output_dim());
        self.nodes.push(Node::Layer {
            from: from.0,
            layer,
        });
        Ok(NodeId(self.nodes.len() - 1))
    }

    /// The element-wise sum of two values of equal length (`a` and `b` may be the same node).
    ///
    /// # Errors
    /// [`Error::Unsupported`] for an unknown node; [`Error::DimensionMismatch`] for unequal
    /// lengths.
    pub fn add(&mut self, a: NodeId, b: NodeId) -> Result<NodeId> {
        let (da, db) = (self.dim(a)?, self.dim(b)?);
        if da != db {
            return Err(Error::mismatch(
                format!(
                    "graph node {} (add) second operand (node {}), = length of node {}",
                    self.nodes.len(),
                    b.0,
                    a.0
                ),
                da,
                db,
            ));
        }
        self.dims.push(da);
        self.nodes.push(Node::Add { a: a.0, b: b.0 });
        Ok(NodeId(self.nodes.len() - 1))
    }

    /// Compiles the graph computing `output` into a [`Sequential`] (nodes that `output` does not
    /// depend on are dropped).
    ///
    /// # Errors
    /// [`Error::Unsupported`] for an unknown node; [`Error::EmptyNetwork`] if `output` is the
    /// input or the input has no coordinates.
    pub fn build(self, output: NodeId) -> Result<Sequential<T>> {
        let out = output.0;
        if out >= self.nodes.len() {
            return Err(self.unknown(output));
        }
        if out == 0 || self.dims[0] == 0 {
            return Err(Error::EmptyNetwork);
        }
        // Reachability and last use (the output is used "after the end").
        let mut reachable = vec![false; out + 1];
        reachable[out] = true;
        let mut last_use = vec![0usize; out + 1];
        last_use[out] = usize::MAX;
        for n in (1..=out).rev() {
            if !reachable[n] {
                continue;
            }
            for i in operands(&self.nodes[n]) {
                reachable[i] = true;
                last_use[i] = last_use[i].max(n);
            }
        }
        let dims = self.dims;
        // Live values in order: (node, length).
        let mut live: Vec<(usize, usize)> = vec![(0, dims[0])];
        let mut layers: Vec<Box<dyn Layer<T>>> = Vec::new();
        for (n, node) in self.nodes.into_iter().enumerate().take(out + 1).skip(1) {
            if !reachable[n] {
                continue;
            }
            let total: usize = live.iter().map(|v| v.1).sum();
            match node {
                Node::Input => unreachable!("only node 0 is the input"),
                Node::Layer { from, layer } => {
                    let mut pos = position(&live, from);
                    if last_use[from] > n {
                        // Still needed later: duplicate it at the end first.
                        let offset = offset_of(&live, pos);
                        let mut sources: Vec<Vec<usize>> = (0..total).map(|i| vec![i]).collect();
                        sources.extend((0..dims[from]).map(|i| vec![offset + i]));
                        layers.push(Box::new(Rewire::new(total, sources)?));
                        live.push((from, dims[from]));
                        pos = live.len() - 1;
                    }
                    let total: usize = live.iter().map(|v| v.1).sum();
                    if live.len() == 1 {
                        layers.push(layer);
                    } else {
                        let offset = offset_of(&live, pos);
                        layers.push(Box::new(OnSlice::new(offset, total, layer)?));
                    }
                    live[pos] = (n, dims[n]);
                }
                Node::Add { a, b } => {
                    let (pa, pb) = (position(&live, a), position(&live, b));
                    let (oa, ob) = (offset_of(&live, pa), offset_of(&live, pb));
                    let mut sources = Vec::new();
                    let mut next = Vec::new();
                    for (k, &(v, d)) in live.iter().enumerate() {
                        if last_use[v] > n {
                            let o = offset_of(&live, k);
                            sources.extend((0..d).map(|i| vec![o + i]));
                            next.push((v, d));
                        }
                    }
                    sources.extend((0..dims[n]).map(|i| vec![oa + i, ob + i]));
                    next.push((n, dims[n]));
                    layers.push(Box::new(Rewire::new(total, sources)?));
                    live = next;
                }
            }
        }
        debug_assert_eq!(live, vec![(out, dims[out])]);
        Sequential::new(layers)
    }
}

fn operands<T: Float>(node: &Node<T>) -> Vec<usize> {
    match node {
        Node::Input => Vec::new(),
        Node::Layer { from, .. } => vec![*from],
        Node::Add { a, b } => vec![*a, *b],
    }
}

fn position(live: &[(usize, usize)], node: usize) -> usize {
    live.iter()
        .position(|v| v.0 == node)
        .expect("an operand is live until its last use")
}

fn offset_of(live: &[(usize, usize)], pos: usize) -> usize {
    live[..pos].iter().map(|v| v.1).sum()
}
