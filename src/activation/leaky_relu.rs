//! Leaky-ReLU relaxation.
//!
//! ```text
//! σ(z) = z (z ≥ 0), γ·z (z < 0), 0 ≤ γ ≤ 1
//! l < 0 < u:  upper = chord through (l, γl) and (u, u): slope (u − γl)/(u − l),
//!             intercept −l·u·(1 − γ)/(u − l)
//!             lower = α·z with α ∈ [γ, 1]: 1 or γ by area (adaptive), the chord slope (same-slope)
//! ```
//!
//! # References
//! Zhang et al., *CROWN*, NeurIPS 2018, §3.2 and Table 1 (general activations).

use super::{Line, NeuronRelaxation, ReluLowerSlope};
use crate::Float;

/// The relaxation of leaky ReLU with negative slope `gamma` on `[l, u]`.
///
/// # Examples
/// ```
/// use proven::activation::{leaky_relu_relaxation, ReluLowerSlope};
/// let r = leaky_relu_relaxation(-1.0_f64, 1.0, 0.1, ReluLowerSlope::Adaptive);
/// assert!((r.upper.at(-1.0) + 0.1).abs() < 1e-12 && (r.upper.at(1.0) - 1.0).abs() < 1e-12);
/// ```
pub fn leaky_relu_relaxation<T: Float>(
    l: T,
    u: T,
    gamma: T,
    lower: ReluLowerSlope,
) -> NeuronRelaxation<T> {
    let zero = T::zero();
    if u <= zero {
        return NeuronRelaxation::exact(Line::new(gamma, zero));
    }
    if l >= zero {
        return NeuronRelaxation::exact(Line::new(T::one(), zero));
    }
    let slope = (u - gamma * l) / (u - l);
    // β_U = γl − l·α_U = −l·u·(1 − γ)/(u − l), in the product form: the difference form
    // u − α_U·u cancels when α_U ≈ 1 and missed γl at z = l by ~ε·u.
    let upper = Line::new(slope, -l * (u * (T::one() - gamma)) / (u - l));
    let lower_slope = match lower {
        ReluLowerSlope::Adaptive => {
            if u > -l {
                T::one()
            } else {
                gamma
            }
        }
        ReluLowerSlope::SameAsUpper => slope,
        ReluLowerSlope::Zero => gamma,
        ReluLowerSlope::One => T::one(),
    };
    NeuronRelaxation {
        lower: Line::new(lower_slope, zero),
        upper,
    }
}
