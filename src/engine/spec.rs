//! Specification matrices `C` for the bound engine.

use crate::{Error, Float, Result};
use nalgebra::DMatrix;

/// Builders of common specification matrices.
pub struct Specification;

impl Specification {
    /// Margins of class `label` against every other class: rows `e_label − e_t` for `t ≠ label`,
    /// in increasing `t`. A lower bound `> 0` on every row proves the prediction is `label`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `label >= classes` or `classes < 2`.
    ///
    /// # Examples
    /// ```
    /// use proven::Specification;
    /// let c = Specification::margins::<f64>(3, 1).unwrap();
    /// assert_eq!(c.row(0).iter().copied().collect::<Vec<_>>(), vec![-1.0, 1.0, 0.0]);
    /// ```
    pub fn margins<T: Float>(classes: usize, label: usize) -> Result<DMatrix<T>> {
        if classes < 2 {
            return Err(Error::invalid(
                "classes",
                classes as f64,
                "margins need at least 2 classes",
            ));
        }
        if label >= classes {
            return Err(Error::invalid(
                "label",
                label as f64,
                "the label must be smaller than the number of classes",
            ));
        }
        let mut c = DMatrix::zeros(classes - 1, classes);
        for (r, t) in (0..classes).filter(|&t| t != label).enumerate() {
            c[(r, label)] = T::one();
            c[(r, t)] = -T::one();
        }
        Ok(c)
    }

    /// The targets `t` of [`Specification::margins`], in row order.
    pub fn margin_targets(classes: usize, label: usize) -> Vec<usize> {
        let mut targets = Vec::with_capacity(classes.saturating_sub(1));
        targets.extend((0..classes).filter(|&t| t != label));
        targets
    }
}
