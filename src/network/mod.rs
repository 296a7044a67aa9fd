//! Networks: an ordered list of [`Layer`]s with checked shapes.

mod graph;
mod sequential;

pub use graph::{GraphBuilder, NodeId};
pub use sequential::Sequential;

use crate::{Float, Layer, Result};
use nalgebra::{DMatrix, DVector};
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

    /// Evaluates the network on a batch of inputs, one per column of `x` (`input_dim` rows);
    /// column `j` of the result is [`Network::forward`] of column `j`, up to the rounding of the
    /// summation order (a dense layer does one matrix–matrix product for the whole batch).
    ///
    /// # Errors
    /// [`crate::Error::DimensionMismatch`] if `x` does not have `input_dim` rows, or a layer's
    /// input does not have the rows it declares, or a layer returns a different number of
    /// columns than it received (a hand-made layer whose `forward_batch` is broken).
    ///
    /// # Examples
    /// ```
    /// use proven::layers::Dense;
    /// use proven::{Network, Sequential};
    /// use nalgebra::{DMatrix, DVector};
    /// let net = Sequential::new(vec![Box::new(
    ///     Dense::new(DMatrix::from_row_slice(1, 2, &[1.0, -1.0]), DVector::from_vec(vec![0.5])).unwrap(),
    /// ) as Box<dyn proven::Layer<f64>>]).unwrap();
    /// // Three inputs as columns: (1, 0), (0, 1), (2, 2).
    /// let x = DMatrix::from_column_slice(2, 3, &[1.0, 0.0, 0.0, 1.0, 2.0, 2.0]);
    /// let y = net.forward_batch(&x).unwrap();
    /// assert_eq!(y.as_slice(), &[1.5, -0.5, 0.5]);
    /// assert!(net.forward_batch(&DMatrix::zeros(3, 1)).is_err());
    /// ```
    fn forward_batch(&self, x: &DMatrix<T>) -> Result<DMatrix<T>> {
        if x.nrows() != self.input_dim() {
            return Err(crate::Error::mismatch(
                "network batch input rows",
                self.input_dim(),
                x.nrows(),
            ));
        }
        let n = x.ncols();
        let mut y = x.clone();
        for (k, layer) in self.layers().iter().enumerate() {
            if y.nrows() != layer.input_dim() {
                return Err(crate::Error::mismatch(
                    format!("layer {k} ({}) batch input rows", layer.kind()),
                    layer.input_dim(),
                    y.nrows(),
                ));
            }
            y = layer.forward_batch(&y);
            if y.ncols() != n {
                return Err(crate::Error::mismatch(
                    format!("layer {k} ({}) batch output columns", layer.kind()),
                    n,
                    y.ncols(),
                ));
            }
        }
        if y.nrows() != self.output_dim() {
            return Err(crate::Error::mismatch(
                "network batch output rows",
                self.output_dim(),
                y.nrows(),
            ));
        }
        Ok(y)
    }
}
