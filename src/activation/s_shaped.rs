//! Relaxations of S-shaped activations (sigmoid, tanh, arctan): convex for `z ≤ 0`, concave for
//! `z ≥ 0`.
//!
//! ```text
//! k = (σ(u) − σ(l)) / (u − l)                       (chord slope)
//! u ≤ 0:     upper = chord,              lower = tangent at (l+u)/2
//! l ≥ 0:     upper = tangent at (l+u)/2, lower = chord
//! l < 0 < u: upper = chord if σ'(u) ≥ k, else the tangent at d ∈ [0, u] that passes above
//!            (l, σ(l)):  h(d) = σ(d) + σ'(d)(l − d) − σ(l) ≥ 0
//!            lower = the mirror image (σ reflected through the origin, g(w) = −σ(−w))
//! ```
//!
//! The tangent point is found by bisection on `h`, which is increasing on `[0, u]`. The bracket
//! keeps `h(hi) ≥ 0`, and the tangent at `hi` is returned, so the line is valid whatever the
//! number of steps: no ad-hoc safety shift is needed. Lines are computed in `f64` and widened
//! outward by a few ulps of `T` to absorb rounding.
//!
//! # References
//! Zhang et al., *CROWN*, NeurIPS 2018, §3.2 and Appendix (tangent/chord bounds for general
//! activations); Boopathy et al., *CNN-Cert*, AAAI 2019, §3.

use super::{Line, NeuronRelaxation, round_down, round_up};
use crate::Float;

/// The S-shaped functions with built-in relaxations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SShaped {
    /// `1 / (1 + e^{−z})`.
    Sigmoid,
    /// `tanh z`.
    Tanh,
    /// `arctan z`.
    Arctan,
}

impl SShaped {
    /// σ(z) in `f64` (sigmoid evaluated without overflow).
    pub fn eval(self, z: f64) -> f64 {
        match self {
            SShaped::Sigmoid => {
                if z >= 0.0 {
                    1.0 / (1.0 + (-z).exp())
                } else {
                    let e = z.exp();
                    e / (1.0 + e)
                }
            }
            SShaped::Tanh => z.tanh(),
            SShaped::Arctan => z.atan(),
        }
    }

    /// σ'(z).
    pub fn derivative(self, z: f64) -> f64 {
        match self {
            SShaped::Sigmoid => {
                let s = self.eval(z);
                s * (1.0 - s)
            }
            SShaped::Tanh => {
                let t = z.tanh();
                1.0 - t * t
            }
            SShaped::Arctan => 1.0 / (1.0 + z * z),
        }
    }
}

/// A function and its derivative, possibly mirrored: `g(w) = −σ(−w)`, `g'(w) = σ'(−w)`.
#[derive(Clone, Copy)]
struct Curve {
    f: SShaped,
    mirrored: bool,
}

impl Curve {
    fn eval(self, z: f64) -> f64 {
        if self.mirrored {
            -self.f.eval(-z)
        } else {
            self.f.eval(z)
        }
    }
    fn derivative(self, z: f64) -> f64 {
        if self.mirrored {
            self.f.derivative(-z)
        } else {
            self.f.derivative(z)
        }
    }
    fn tangent(self, d: f64) -> (f64, f64) {
        let s = self.derivative(d);
        (s, self.eval(d) - s * d)
    }
}

const BISECTION_STEPS: usize = 100;

/// Upper line `(slope, intercept)` of an S-shaped curve on `[l, u]`, finite `l < u`.
fn upper_line(c: Curve, l: f64, u: f64) -> (f64, f64) {
    let (fl, fu) = (c.eval(l), c.eval(u));
    let k = (fu - fl) / (u - l);
    let chord = (k, fl - k * l);
    if u <= 0.0 {
        return chord;
    }
    if l >= 0.0 {
        return c.tangent(0.5 * (l + u));
    }
    if c.derivative(u) >= k {
        return chord;
    }
    // h(d) = tangent at d, evaluated at l, minus σ(l); increasing on [0, u], h(0) ≤ 0 ≤ h(u).
    let h = |d: f64| c.eval(d) + c.derivative(d) * (l - d) - fl;
    let (mut lo, mut hi) = (0.0_f64, u);
    for _ in 0..BISECTION_STEPS {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if h(mid) >= 0.0 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    c.tangent(hi)
}

/// The relaxation of `f` on `[l, u]`, widened outward to cover rounding in `T`.
///
/// # Examples
/// ```
/// use proven::activation::{s_shaped_relaxation, SShaped};
/// let r = s_shaped_relaxation(SShaped::Tanh, -1.0_f64, 2.0);
/// assert!((r.upper.slope - 0.816219).abs() < 1e-6);
/// assert!((r.upper.intercept - 0.054625).abs() < 1e-6);
/// ```
pub fn s_shaped_relaxation<T: Float>(f: SShaped, l: T, u: T) -> NeuronRelaxation<T> {
    let (l, u) = (l.as_f64(), u.as_f64());
    let (fl, fu) = (f.eval(l), f.eval(u));
    if !(l.is_finite() && u.is_finite()) || u - l <= 0.0 {
        // Constant lines from the range of the (monotone) function.
        return NeuronRelaxation {
            lower: Line::new(T::zero(), round_down(fl.min(fu))),
            upper: Line::new(T::zero(), round_up(fu.max(fl))),
        };
    }
    let up = upper_line(Curve { f, mirrored: false }, l, u);
    // Lower line of σ on [l, u] = reflection of the upper line of g(w) = −σ(−w) on [−u, −l].
    let (s, t) = upper_line(Curve { f, mirrored: true }, -u, -l);
    let low = (s, -t);
    let reach = l.abs().max(u.abs());
    NeuronRelaxation {
        lower: widen::<T>(low, reach, -1.0),
        upper: widen::<T>(up, reach, 1.0),
    }
}

/// Converts a line to `T` and moves it by a rounding margin (`dir` = +1 up, −1 down).
fn widen<T: Float>((slope, intercept): (f64, f64), reach: f64, dir: f64) -> Line<T> {
    let eps = T::epsilon().as_f64().max(f64::EPSILON);
    let margin = 8.0 * eps * (1.0 + intercept.abs() + slope.abs() * reach);
    let shifted = intercept + dir * margin;
    let intercept_t = if dir > 0.0 {
        round_up::<T>(shifted)
    } else {
        round_down::<T>(shifted)
    };
    Line::new(T::from_f64_rounded(slope), intercept_t)
}
