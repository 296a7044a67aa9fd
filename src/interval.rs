//! Boxes `[lower, upper]` of vectors: the intermediate and output bounds of the engine.

use crate::{Error, Float, Result};
use nalgebra::DVector;

/// A box `lower ≤ x ≤ upper` (coordinate-wise), validated: finite-or-infinite numbers, no NaN,
/// `lower ≤ upper`.
///
/// # Examples
/// ```
/// use proven::Interval;
/// use nalgebra::DVector;
/// let b = Interval::new(DVector::from_vec(vec![-1.0, 0.0]), DVector::from_vec(vec![1.0, 2.0])).unwrap();
/// assert_eq!(b.dim(), 2);
/// assert!(Interval::new(DVector::from_vec(vec![1.0]), DVector::from_vec(vec![0.0])).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Interval<T: Float> {
    lower: DVector<T>,
    upper: DVector<T>,
}

impl<T: Float> Interval<T> {
    /// Builds a box, checking sizes, NaN and `lower ≤ upper`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`], [`Error::NonFinite`] (NaN) or [`Error::InvalidInterval`].
    pub fn new(lower: DVector<T>, upper: DVector<T>) -> Result<Self> {
        if lower.len() != upper.len() {
            return Err(Error::mismatch(
                "interval upper end",
                lower.len(),
                upper.len(),
            ));
        }
        for (i, (&l, &u)) in lower.iter().zip(upper.iter()).enumerate() {
            for v in [l, u] {
                if v.is_nan() {
                    return Err(Error::NonFinite {
                        context: "interval".into(),
                        index: i,
                        value: f64::NAN,
                    });
                }
            }
            if l > u {
                return Err(Error::InvalidInterval {
                    context: "interval".into(),
                    index: i,
                    lower: l.as_f64(),
                    upper: u.as_f64(),
                });
            }
        }
        Ok(Self { lower, upper })
    }

    /// Builds a box without validation. The caller guarantees `lower ≤ upper` and no NaN
    /// (the engine's own sound propagation does).
    pub(crate) fn new_unchecked(lower: DVector<T>, upper: DVector<T>) -> Self {
        debug_assert_eq!(lower.len(), upper.len());
        Self { lower, upper }
    }

    /// The degenerate box `{x}`.
    pub fn point(x: DVector<T>) -> Self {
        Self {
            lower: x.clone(),
            upper: x,
        }
    }

    /// Lower ends.
    pub fn lower(&self) -> &DVector<T> {
        &self.lower
    }

    /// Upper ends.
    pub fn upper(&self) -> &DVector<T> {
        &self.upper
    }

    /// Number of coordinates.
    pub fn dim(&self) -> usize {
        self.lower.len()
    }

    /// Midpoint `(lower + upper) / 2`.
    pub fn center(&self) -> DVector<T> {
        let two = T::one() + T::one();
        self.lower.zip_map(&self.upper, |l, u| l / two + u / two)
    }

    /// Half-widths `(upper − lower) / 2`.
    pub fn radius(&self) -> DVector<T> {
        let two = T::one() + T::one();
        self.lower.zip_map(&self.upper, |l, u| (u - l) / two)
    }

    /// Whether `x` lies in the box, allowing `tol` of slack on each side.
    pub fn contains(&self, x: &DVector<T>, tol: T) -> bool {
        x.len() == self.dim()
            && x.iter()
                .zip(self.lower.iter().zip(self.upper.iter()))
                .all(|(&v, (&l, &u))| v >= l - tol && v <= u + tol)
    }

    /// Coordinate-wise intersection with `other` (the tighter end on each side). Where the two
    /// boxes do not overlap because of rounding, the ends are collapsed to their midpoint.
    pub fn intersect(&self, other: &Interval<T>) -> Interval<T> {
        let mut lower = self.lower.zip_map(&other.lower, |a, b| a.max(b));
        let mut upper = self.upper.zip_map(&other.upper, |a, b| a.min(b));
        let two = T::one() + T::one();
        for i in 0..lower.len() {
            if lower[i] > upper[i] {
                let m = lower[i] / two + upper[i] / two;
                lower[i] = m;
                upper[i] = m;
            }
        }
        Interval { lower, upper }
    }

    /// Splits into the two end vectors.
    pub fn into_parts(self) -> (DVector<T>, DVector<T>) {
        (self.lower, self.upper)
    }
}

impl<T: Float> Interval<T> {
    /// Raises the lower end of coordinate `j` to `v` if that narrows it (never above the upper
    /// end). Returns whether it changed.
    pub fn raise_lower(&mut self, j: usize, v: T) -> bool {
        let v = v.min(self.upper[j]);
        if v > self.lower[j] {
            self.lower[j] = v;
            true
        } else {
            false
        }
    }

    /// Lowers the upper end of coordinate `j` to `v` if that narrows it (never below the lower
    /// end). Returns whether it changed.
    pub fn lower_upper(&mut self, j: usize, v: T) -> bool {
        let v = v.max(self.lower[j]);
        if v < self.upper[j] {
            self.upper[j] = v;
            true
        } else {
            false
        }
    }
}
