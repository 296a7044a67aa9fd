//! Flatten / reshape: the identity on the flat vector (tensors are stored flattened in NCHW,
//! row-major order, so reshaping does not move data).

use super::{Backward, BackwardContext, Layer};
use crate::{Error, Float, Interval, Result};
use nalgebra::{DMatrix, DVector};

/// The identity map on a flat vector of length `dim`, standing for ONNX `Flatten`/`Reshape`.
#[derive(Debug, Clone)]
pub struct Flatten {
    dim: usize,
}

impl Flatten {
    /// A flatten layer on `dim` values.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `dim` is zero.
    pub fn new(dim: usize) -> Result<Self> {
        if dim == 0 {
            return Err(Error::mismatch("flatten size", 1, 0));
        }
        Ok(Self { dim })
    }
}

impl<T: Float> Layer<T> for Flatten {
    fn kind(&self) -> &'static str {
        "flatten"
    }
    fn input_dim(&self) -> usize {
        self.dim
    }
    fn output_dim(&self) -> usize {
        self.dim
    }
    fn forward(&self, x: &DVector<T>) -> DVector<T> {
        x.clone()
    }
    fn forward_batch(&self, x: &DMatrix<T>) -> DMatrix<T> {
        x.clone()
    }
    fn interval(&self, input: &Interval<T>) -> Interval<T> {
        input.clone()
    }
    fn is_linear(&self) -> bool {
        true
    }
    fn backward(&self, lambda: &DMatrix<T>, _ctx: &BackwardContext<'_, T>) -> Result<Backward<T>> {
        Ok(Backward {
            lambda: lambda.clone(),
            offset: DVector::zeros(lambda.nrows()),
        })
    }
    fn backward_identity(
        &self,
        rows: &[usize],
        _ctx: &BackwardContext<'_, T>,
    ) -> Result<Backward<T>> {
        let mut lambda = DMatrix::zeros(rows.len(), self.dim);
        for (r, &j) in rows.iter().enumerate() {
            if j >= self.dim {
                return Err(Error::mismatch(
                    "flatten backward_identity row (< size)",
                    self.dim,
                    j,
                ));
            }
            lambda[(r, j)] = T::one();
        }
        Ok(Backward {
            lambda,
            offset: DVector::zeros(rows.len()),
        })
    }
}
