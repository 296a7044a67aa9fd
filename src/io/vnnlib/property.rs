//! The parsed property: input boxes and, per box, the disjunction of output conditions.

use crate::{Float, InputDomain, Interval, Result};
use nalgebra::{DMatrix, DVector};

/// One conjunction of linear output conditions, `matrix · y ≤ rhs` (all rows must hold).
///
/// A VNN-LIB file describes the **unsafe** region: a point whose output satisfies every row of some
/// [`OutputConstraint`] of its case is a counterexample.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputConstraint {
    /// Coefficients, one row per condition and one column per output.
    pub matrix: DMatrix<f64>,
    /// Right-hand sides.
    pub rhs: DVector<f64>,
}

impl OutputConstraint {
    /// Whether `y` satisfies every row up to `tol` (that is, `y` lies in this unsafe region).
    ///
    /// Returns `false` if `y` does not have one entry per column.
    pub fn is_satisfied_by(&self, y: &DVector<f64>, tol: f64) -> bool {
        if y.len() != self.matrix.ncols() {
            return false;
        }
        let lhs = &self.matrix * y;
        lhs.iter().zip(self.rhs.iter()).all(|(l, r)| *l <= *r + tol)
    }

    /// The rows as a specification matrix over `T` (for [`crate::compute_bounds`]).
    ///
    /// This disjunct is refuted on a box when, for some row `r`, a lower bound of `(M·f(x))_r`
    /// exceeds `rhs_r`.
    pub fn spec_matrix<T: Float>(&self) -> nalgebra::DMatrix<T> {
        self.matrix.map(T::from_f64_rounded)
    }

    /// Whether lower bounds `lower` of `M·f(x)` (one per row) refute this disjunct: some row's
    /// lower bound is strictly above its right-hand side. An empty disjunct is never refuted.
    pub fn is_refuted_by(&self, lower: &DVector<f64>) -> bool {
        lower.len() == self.rhs.len() && lower.iter().zip(self.rhs.iter()).any(|(l, r)| l > r)
    }
}

/// One input box with the output conditions that apply on it.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyCase {
    /// The input box (finite bounds, lower ≤ upper).
    pub input: Interval<f64>,
    /// The unsafe region on this box: the union (OR) of these conjunctions. An entry with no rows
    /// means every output is unsafe.
    pub disjuncts: Vec<OutputConstraint>,
}

impl PropertyCase {
    /// The input box as an [`InputDomain::Box`] over `T`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInterval`] if rounding to `T` reorders the bounds (it cannot for
    /// `f64`).
    pub fn input_domain<T: Float>(&self) -> Result<InputDomain<T>> {
        InputDomain::boxed(
            self.input.lower().map(T::from_f64_rounded),
            self.input.upper().map(T::from_f64_rounded),
        )
    }
}

/// A parsed VNN-LIB property: the unsafe set is the union over cases of
/// `{x ∈ case.input : f(x) satisfies some disjunct of the case}`.
#[derive(Debug, Clone, PartialEq)]
pub struct VnnLibProperty {
    /// Number of declared inputs `X_0 … X_{n−1}`.
    pub num_inputs: usize,
    /// Number of declared outputs `Y_0 … Y_{m−1}`.
    pub num_outputs: usize,
    /// Input boxes with their output conditions, in order of first appearance. Disjuncts whose box
    /// is empty (some lower bound above its upper bound) are dropped, since no input satisfies them.
    pub cases: Vec<PropertyCase>,
}

impl VnnLibProperty {
    /// The input box when the property has exactly one.
    pub fn single_box(&self) -> Option<&Interval<f64>> {
        match self.cases.as_slice() {
            [one] => Some(&one.input),
            _ => None,
        }
    }

    /// The label of a classification property: the one output index shared by every output
    /// comparison, where every row compares two outputs (`±(Y_a − Y_b) ≤ 0`).
    ///
    /// `None` if some row is not such a comparison, there are no rows, or the shared index is not
    /// unique (a single comparison names two indices).
    pub fn label(&self) -> Option<usize> {
        let mut shared: Option<Vec<usize>> = None;
        for c in &self.cases {
            for d in &c.disjuncts {
                for (r, row) in d.matrix.row_iter().enumerate() {
                    let nz: Vec<(usize, f64)> = row
                        .iter()
                        .enumerate()
                        .filter(|(_, v)| **v != 0.0)
                        .map(|(i, v)| (i, *v))
                        .collect();
                    let rhs = d.rhs.get(r).copied().unwrap_or(f64::NAN);
                    // A comparison `Y_a − Y_b ≤ 0` up to a positive factor: exact equality intended.
                    #[allow(clippy::float_cmp)]
                    let pair = match nz.as_slice() {
                        [(a, x), (b, y)] if *x == -*y && rhs == 0.0 => [*a, *b],
                        _ => return None,
                    };
                    shared = Some(match shared {
                        None => pair.to_vec(),
                        Some(s) => s.into_iter().filter(|i| pair.contains(i)).collect(),
                    });
                }
            }
        }
        match shared?.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}
