//! [`Sequential`]: layers applied one after another.

use crate::{Error, Float, Layer, Network, Result};

/// Layers applied one after another, with every layer's input size checked against the previous
/// layer's output size at construction.
///
/// # Examples
/// ```
/// use proven::layers::{ActivationLayer, Dense};
/// use proven::{Activation, Network, Sequential};
/// use nalgebra::{DMatrix, DVector};
/// // The 2-2-1 network of auto_LiRPA's toy example.
/// let net = Sequential::new(vec![
///     Box::new(Dense::new(DMatrix::from_row_slice(2, 2, &[1.0, -1.0, 2.0, -1.0]), DVector::zeros(2)).unwrap()),
///     Box::new(ActivationLayer::new(2, Activation::Relu).unwrap()),
///     Box::new(Dense::new(DMatrix::from_row_slice(1, 2, &[1.0, -1.0]), DVector::zeros(1)).unwrap()),
/// ]).unwrap();
/// assert_eq!(net.forward(&DVector::from_vec(vec![1.0, 0.0])).unwrap()[0], -1.0);
/// ```
#[derive(Debug)]
pub struct Sequential<T: Float> {
    layers: Vec<Box<dyn Layer<T>>>,
}

impl<T: Float> Sequential<T> {
    /// Chains `layers`.
    ///
    /// # Errors
    /// [`Error::EmptyNetwork`] for no layers; [`Error::DimensionMismatch`] naming the layer whose
    /// input size differs from the previous output size.
    pub fn new(layers: Vec<Box<dyn Layer<T>>>) -> Result<Self> {
        if layers.is_empty() {
            return Err(Error::EmptyNetwork);
        }
        for (k, pair) in layers.windows(2).enumerate() {
            if pair[0].output_dim() != pair[1].input_dim() {
                return Err(Error::mismatch(
                    format!(
                        "layer {} ({}) input, after layer {} ({}) output",
                        k + 1,
                        pair[1].kind(),
                        k,
                        pair[0].kind()
                    ),
                    pair[0].output_dim(),
                    pair[1].input_dim(),
                ));
            }
        }
        Ok(Self { layers })
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// The layers, first to last, by value (to rebuild a network with some layers replaced).
    pub fn into_layers(self) -> Vec<Box<dyn Layer<T>>> {
        self.layers
    }

    /// Always false (construction rejects empty networks).
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

impl<T: Float> Network<T> for Sequential<T> {
    fn layers(&self) -> &[Box<dyn Layer<T>>] {
        &self.layers
    }
}
