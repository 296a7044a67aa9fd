//! Dense (fully connected, affine) layer `y = W·x + b`.
//!
//! ```text
//! IBP:       y ∈ W·c + b ± |W|·r        (c, r: midpoint and half-width of the input box)
//! backward:  Λ·y = (Λ·W)·x + Λ·b        (exact)
//! ```
//!
//! # References
//! Gowal et al., *On the Effectiveness of Interval Bound Propagation*, 2018, eq. (6);
//! Zhang et al., *CROWN*, NeurIPS 2018, Theorem 3.2.

use super::{Backward, BackwardContext, Layer};
use crate::{Error, Float, Interval, Result};
use nalgebra::{DMatrix, DVector};

/// A dense layer `y = W·x + b` with `W` of shape outputs × inputs.
#[derive(Debug, Clone)]
pub struct Dense<T: Float> {
    weights: DMatrix<T>,
    bias: DVector<T>,
}

impl<T: Float> Dense<T> {
    /// Builds a dense layer.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `bias.len() != weights.nrows()` or the matrix is empty;
    /// [`Error::NonFinite`] for a NaN or infinite weight or bias (index is row-major).
    ///
    /// # Examples
    /// ```
    /// use proven::layers::Dense;
    /// use nalgebra::{DMatrix, DVector};
    /// let d = Dense::new(DMatrix::from_row_slice(1, 2, &[1.0, -1.0]), DVector::from_vec(vec![0.5])).unwrap();
    /// assert!(Dense::new(DMatrix::from_row_slice(1, 1, &[f64::NAN]), DVector::zeros(1)).is_err());
    /// # let _ = d;
    /// ```
    pub fn new(weights: DMatrix<T>, bias: DVector<T>) -> Result<Self> {
        if bias.len() != weights.nrows() {
            return Err(Error::mismatch(
                "dense layer bias length (= weight rows)",
                weights.nrows(),
                bias.len(),
            ));
        }
        if weights.nrows() == 0 || weights.ncols() == 0 {
            return Err(Error::mismatch("dense layer weight size", 1, 0));
        }
        for r in 0..weights.nrows() {
            for c in 0..weights.ncols() {
                let v = weights[(r, c)];
                if !v.is_finite() {
                    return Err(Error::NonFinite {
                        context: format!("dense layer weights (row {r}, column {c})"),
                        index: r * weights.ncols() + c,
                        value: v.as_f64(),
                    });
                }
            }
        }
        if let Some(i) = bias.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                context: "dense layer bias".into(),
                index: i,
                value: bias[i].as_f64(),
            });
        }
        Ok(Self { weights, bias })
    }

    /// The weight matrix (outputs × inputs).
    pub fn weights(&self) -> &DMatrix<T> {
        &self.weights
    }

    /// The bias vector.
    pub fn bias(&self) -> &DVector<T> {
        &self.bias
    }
}

impl<T: Float> Layer<T> for Dense<T> {
    fn kind(&self) -> &'static str {
        "dense"
    }
    fn input_dim(&self) -> usize {
        self.weights.ncols()
    }
    fn output_dim(&self) -> usize {
        self.weights.nrows()
    }
    fn forward(&self, x: &DVector<T>) -> DVector<T> {
        &self.weights * x + &self.bias
    }
    fn forward_batch(&self, x: &DMatrix<T>) -> DMatrix<T> {
        let mut y = &self.weights * x;
        for mut col in y.column_iter_mut() {
            col += &self.bias;
        }
        y
    }
    fn interval(&self, input: &Interval<T>) -> Interval<T> {
        let c = input.center();
        let r = input.radius();
        let mid = &self.weights * c + &self.bias;
        let spread = self.weights.abs() * r;
        Interval::new_unchecked(&mid - &spread, &mid + &spread)
    }
    fn is_linear(&self) -> bool {
        true
    }
    fn backward(&self, lambda: &DMatrix<T>, _ctx: &BackwardContext<'_, T>) -> Result<Backward<T>> {
        Ok(Backward {
            lambda: skip_zero_columns_product(lambda, &self.weights),
            offset: lambda * &self.bias,
        })
    }
    fn backward_identity(
        &self,
        rows: &[usize],
        _ctx: &BackwardContext<'_, T>,
    ) -> Result<Backward<T>> {
        Ok(Backward {
            lambda: self.weights.select_rows(rows),
            offset: DVector::from_iterator(rows.len(), rows.iter().map(|&j| self.bias[j])),
        })
    }
}

/// `Λ·W`, leaving out the columns of `Λ` that are all zero (and the matching rows of `W`).
///
/// After a ReLU, the columns of the neurons that are inactive on the whole domain are zero, so
/// they contribute nothing to `Λ·W`: `Λ·W = Λ[:, nz]·W[nz, :]` with `nz` the non-zero columns.
/// The weights are finite (checked by [`Dense::new`]), so a zero column adds exactly `±0` to every
/// sum it enters. The gathered product is used only when it saves work: the saved multiply-adds
/// (`zero columns × rows × n`) must outweigh the copy of the kept rows of `W` (`kept × n`).
fn skip_zero_columns_product<T: Float>(lambda: &DMatrix<T>, weights: &DMatrix<T>) -> DMatrix<T> {
    let zero = T::zero();
    let kept: Vec<usize> = (0..lambda.ncols())
        .filter(|&j| lambda.column(j).iter().any(|v| *v != zero))
        .collect();
    let zeros = lambda.ncols() - kept.len();
    if zeros == 0 || zeros * lambda.nrows() < 4 * kept.len() {
        return lambda * weights;
    }
    if kept.is_empty() {
        return DMatrix::zeros(lambda.nrows(), weights.ncols());
    }
    lambda.select_columns(&kept) * weights.select_rows(&kept)
}
