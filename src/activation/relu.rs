//! ReLU relaxation (Fast-Lin / CROWN).
//!
//! ```text
//! u ≤ 0:      lower = upper = 0
//! l ≥ 0:      lower = upper = z
//! l < 0 < u:  upper = u/(u−l)·(z − l)             (the chord)
//!             lower = α·z,  α = 1[u > −l] (CROWN-Ada) | u/(u−l) (Fast-Lin) | 0 | 1
//! ```
//!
//! # References
//! Weng et al., *Towards Fast Computation of Certified Robustness for ReLU Networks* (Fast-Lin),
//! ICML 2018, §3.3; Zhang et al., *CROWN*, NeurIPS 2018, §3.2 (adaptive lower bound).

use super::{Line, NeuronRelaxation, ReluLowerSlope};
use crate::Float;

/// The relaxation of `max(z, 0)` on `[l, u]`.
///
/// # Examples
/// ```
/// use proven::activation::{relu_relaxation, ReluLowerSlope};
/// let r = relu_relaxation(-2.0_f64, 4.0, ReluLowerSlope::Adaptive);
/// assert!((r.upper.slope - 2.0 / 3.0).abs() < 1e-12);
/// assert!((r.upper.intercept - 4.0 / 3.0).abs() < 1e-12);
/// assert_eq!(r.lower.slope, 1.0);
/// ```
pub fn relu_relaxation<T: Float>(l: T, u: T, lower: ReluLowerSlope) -> NeuronRelaxation<T> {
    let zero = T::zero();
    if u <= zero {
        return NeuronRelaxation::exact(Line::new(zero, zero));
    }
    if l >= zero {
        return NeuronRelaxation::exact(Line::new(T::one(), zero));
    }
    let slope = u / (u - l);
    let upper = Line::new(slope, -l * slope);
    let lower_slope = match lower {
        ReluLowerSlope::Adaptive => {
            if u > -l {
                T::one()
            } else {
                zero
            }
        }
        ReluLowerSlope::SameAsUpper => slope,
        ReluLowerSlope::Zero => zero,
        ReluLowerSlope::One => T::one(),
    };
    NeuronRelaxation {
        lower: Line::new(lower_slope, zero),
        upper,
    }
}
