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
    /// [`crate::Error::DimensionMismatch`] if `x` has the wrong length.
    fn forward(&self, x: &DVector<T>) -> Result<DVector<T>> {
        if x.len() != self.input_dim() {
            return Err(crate::Error::mismatch(
                "network input",
                self.input_dim(),
                x.len(),
            ));
        }
        let mut y = x.clone();
        for layer in self.layers() {
            y = layer.forward(&y);
        }
        Ok(y)
    }
}
