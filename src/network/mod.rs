//! Networks: an ordered list of [`Layer`]s with checked shapes.

mod sequential;

pub use sequential::Sequential;

use crate::{Float, Layer, Result};
use nalgebra::DVector;
use std::fmt::Debug;

/// A feed-forward network the bound engine can analyse.
///
/// The engine walks [`Network::layers`] in order (forward for IBP, in reverse for
/// back-substitution); every layer's input is the previous layer's output.
pub trait Network<T: Float>: Send + Sync + Debug {
    /// The layers, first to last.
    fn layers(&self) -> &[Box<dyn Layer<T>>];

    /// Length of the flat input.
    fn input_dim(&self) -> usize {
        self.layers().first().map_or(0, |l| l.input_dim())
    }

    /// Length of the flat output.
    fn output_dim(&self) -> usize {
        self.layers().last().map_or(0, |l| l.output_dim())
    }

    /// Evaluates the network.
    ///
    /// # Errors
    /// [`crate::Error::DimensionMismatch`] if `x` has the wrong length, or a layer's input does
    /// not have the length it declares (a hand-made network whose layers do not chain).
    fn forward(&self, x: &DVector<T>) -> Result<DVector<T>> {
        if x.len() != self.input_dim() {
            return Err(crate::Error::mismatch(
                "network input",
                self.input_dim(),
                x.len(),
            ));
        }
        let mut y = x.clone();
        for (k, layer) in self.layers().iter().enumerate() {
            if y.len() != layer.input_dim() {
                return Err(crate::Error::mismatch(
                    format!("layer {k} ({}) input", layer.kind()),
                    layer.input_dim(),
                    y.len(),
                ));
            }
            y = layer.forward(&y);
        }
        if y.len() != self.output_dim() {
            return Err(crate::Error::mismatch(
                "network output",
                self.output_dim(),
                y.len(),
            ));
        }
        Ok(y)
    }
}
