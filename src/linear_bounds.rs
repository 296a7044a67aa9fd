//! [`LinearBounds`]: the result of the bound engine and the input of the noise models.

use crate::domain::{ball_end, ball_sums};
use crate::{Error, Float, InputDomain, Interval, Result};
use nalgebra::{DMatrix, DVector};

/// One side of a linear bound: `a·x + b` per specification row (`a` is rows × inputs).
#[derive(Debug, Clone, PartialEq)]
pub struct AffineBound<T: Float> {
    /// Coefficients, one row per specification row, one column per input coordinate.
    pub a: DMatrix<T>,
    /// Offsets, one per specification row.
    pub b: DVector<T>,
}

impl<T: Float> AffineBound<T> {
    /// Evaluates `a·x + b`.
    pub fn eval(&self, x: &DVector<T>) -> DVector<T> {
        &self.a * x + &self.b
    }

    /// Number of specification rows.
    pub fn rows(&self) -> usize {
        self.a.nrows()
    }
}

/// Linear bounds of a network's (specified) outputs over an input domain:
///
/// ```text
/// A_L·x + b_L ≤ C·f(x) ≤ A_U·x + b_U     for every x in the domain
/// ```
///
/// together with their concretisation (the lowest value of the lower line and the highest value
/// of the upper line over the domain) and, when the engine computed them, the bounds on each
/// layer's input.
///
/// Built by [`crate::compute_bounds`], or by another tool through [`LinearBounds::new`] — a
/// [`crate::noise`] model consumes exactly this type.
///
/// # Examples
/// ```
/// use proven::{InputDomain, LinearBounds, Norm};
/// use nalgebra::{DMatrix, DVector};
/// // f(x) = x0 - x1 on the ℓ∞ ball of radius 1 around 0: exact, so lower = upper line.
/// let dom = InputDomain::ball(DVector::from_vec(vec![0.0, 0.0]), 1.0, Norm::LInf).unwrap();
/// let a = DMatrix::from_row_slice(1, 2, &[1.0, -1.0]);
/// let b = DVector::from_vec(vec![0.0]);
/// let lb = LinearBounds::new(a.clone(), b.clone(), a, b, dom).unwrap();
/// assert_eq!(lb.lower_bounds()[0], -2.0);
/// assert_eq!(lb.upper_bounds()[0], 2.0);
/// ```
#[derive(Debug, Clone)]
pub struct LinearBounds<T: Float> {
    lower: AffineBound<T>,
    upper: AffineBound<T>,
    domain: InputDomain<T>,
    lower_bounds: DVector<T>,
    upper_bounds: DVector<T>,
    centre: Option<CentreSums<T>>,
    intermediate: Vec<Option<Interval<T>>>,
}

/// The two sums of the ball concretisation of both lines, kept from [`LinearBounds`]'s
/// construction: `A·x0` (`x0` the ball's centre) and the dual norm `‖A_r‖_q` of every row, each
/// summed in `T`. With noise of mean 0 centred on `x0`, a certificate needs each line's value at
/// the centre, `A_r·x0 + b_r`; these sums give it without another pass over `A`
/// (`crate::noise::certificate`, which bounds their rounding by Hölder's inequality).
#[derive(Debug, Clone)]
pub(crate) struct CentreSums<T: Float> {
    /// `A_L·x0` (lower line).
    pub(crate) lower_dot: DVector<T>,
    /// `‖A_L,r‖_q` per row.
    pub(crate) lower_dual: DVector<T>,
    /// `A_U·x0` (upper line).
    pub(crate) upper_dot: DVector<T>,
    /// `‖A_U,r‖_q` per row.
    pub(crate) upper_dual: DVector<T>,
}

fn check_all_finite<T: Float>(m: impl Iterator<Item = T>, context: &str) -> Result<()> {
    for (index, v) in m.enumerate() {
        if !v.is_finite() {
            return Err(Error::NonFinite {
                context: context.into(),
                index,
                value: v.as_f64(),
            });
        }
    }
    Ok(())
}

impl<T: Float> LinearBounds<T> {
    /// Builds linear bounds from their coefficients (for bounds computed by another tool) and
    /// concretises them over `domain`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if the shapes disagree with each other or with the domain;
    /// [`Error::NonFinite`] for NaN or infinite coefficients; as [`InputDomain::validate`] for a
    /// domain built from its variants directly.
    pub fn new(
        lower_a: DMatrix<T>,
        lower_b: DVector<T>,
        upper_a: DMatrix<T>,
        upper_b: DVector<T>,
        domain: InputDomain<T>,
    ) -> Result<Self> {
        domain.validate()?;
        let rows = lower_a.nrows();
        let n = domain.dim();
        let checks = [
            ("lower A columns", n, lower_a.ncols()),
            ("upper A columns", n, upper_a.ncols()),
            ("upper A rows", rows, upper_a.nrows()),
            ("lower b length", rows, lower_b.len()),
            ("upper b length", rows, upper_b.len()),
        ];
        for (what, expected, found) in checks {
            if expected != found {
                return Err(Error::mismatch(
                    format!("linear bounds: {what}"),
                    expected,
                    found,
                ));
            }
        }
        check_all_finite(
            lower_a.transpose().iter().copied(),
            "linear bounds: lower A",
        )?;
        check_all_finite(
            upper_a.transpose().iter().copied(),
            "linear bounds: upper A",
        )?;
        check_all_finite(lower_b.iter().copied(), "linear bounds: lower b")?;
        check_all_finite(upper_b.iter().copied(), "linear bounds: upper b")?;
        Ok(Self::from_parts(
            AffineBound {
                a: lower_a,
                b: lower_b,
            },
            AffineBound {
                a: upper_a,
                b: upper_b,
            },
            domain,
            Vec::new(),
        ))
    }

    pub(crate) fn from_parts(
        lower: AffineBound<T>,
        upper: AffineBound<T>,
        domain: InputDomain<T>,
        intermediate: Vec<Option<Interval<T>>>,
    ) -> Self {
        let (lower_bounds, upper_bounds, centre) = match &domain {
            InputDomain::Ball {
                center,
                radius,
                norm,
            } => {
                let (lower_dot, lower_dual) = ball_sums(&lower.a, center, *norm);
                let (upper_dot, upper_dual) = ball_sums(&upper.a, center, *norm);
                let sums = CentreSums {
                    lower_dot,
                    lower_dual,
                    upper_dot,
                    upper_dual,
                };
                (
                    ball_end(&sums.lower_dot, &sums.lower_dual, &lower.b, *radius, false),
                    ball_end(&sums.upper_dot, &sums.upper_dual, &upper.b, *radius, true),
                    Some(sums),
                )
            }
            InputDomain::Box(_) => (
                domain.concretize_lower(&lower.a, &lower.b),
                domain.concretize_upper(&upper.a, &upper.b),
                None,
            ),
        };
        Self {
            lower,
            upper,
            domain,
            lower_bounds,
            upper_bounds,
            centre,
            intermediate,
        }
    }

    /// On a ball domain, the sums its concretisation was made of (see [`CentreSums`]).
    pub(crate) fn centre_sums(&self) -> Option<&CentreSums<T>> {
        self.centre.as_ref()
    }

    /// The lower linear bound `A_L·x + b_L`.
    pub fn lower(&self) -> &AffineBound<T> {
        &self.lower
    }

    /// The upper linear bound `A_U·x + b_U`.
    pub fn upper(&self) -> &AffineBound<T> {
        &self.upper
    }

    /// The domain the bounds hold on.
    pub fn domain(&self) -> &InputDomain<T> {
        &self.domain
    }

    /// Concrete lower bounds: `min` of the lower line over the domain, per row.
    pub fn lower_bounds(&self) -> &DVector<T> {
        &self.lower_bounds
    }

    /// Concrete upper bounds: `max` of the upper line over the domain, per row.
    pub fn upper_bounds(&self) -> &DVector<T> {
        &self.upper_bounds
    }

    /// Number of specification rows.
    pub fn rows(&self) -> usize {
        self.lower.rows()
    }

    /// Input dimension.
    pub fn input_dim(&self) -> usize {
        self.domain.dim()
    }

    /// Bounds on the input of layer `k` (index into the network's layers), where the engine
    /// computed them: `Some` for layers that needed them (activations) and for every layer under
    /// IBP; `None` otherwise or when the bounds were built by [`LinearBounds::new`].
    pub fn layer_input_bounds(&self, k: usize) -> Option<&Interval<T>> {
        self.intermediate.get(k).and_then(|b| b.as_ref())
    }

    /// All per-layer input bounds (index = layer).
    pub fn intermediate_bounds(&self) -> &[Option<Interval<T>>] {
        &self.intermediate
    }

    /// Concrete bounds as an [`Interval`].
    pub fn to_interval(&self) -> Interval<T> {
        Interval::new_unchecked(self.lower_bounds.clone(), self.upper_bounds.clone())
    }
}
