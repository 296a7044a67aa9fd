//! Element-wise activations and their per-neuron linear relaxations.
//!
//! An activation supplies only a [`NeuronRelaxation`] per neuron — a lower and an upper line that
//! enclose it on the neuron's pre-activation interval `[l, u]`:
//!
//! ```text
//! α_L·z + β_L ≤ σ(z) ≤ α_U·z + β_U      for all z ∈ [l, u]
//! ```
//!
//! The one shared backward pass in [`crate::layers::ActivationLayer`] does the rest (the sign split
//! of CROWN). To add your own activation, implement [`ElementwiseActivation`]; check it with
//! `proven::testing::check_relaxation` (cargo feature `testing`).

mod leaky_relu;
mod relu;
mod s_shaped;

pub use leaky_relu::leaky_relu_relaxation;
pub use relu::relu_relaxation;
pub use s_shaped::{SShaped, s_shaped_relaxation};

use crate::{Error, Float, Result};
use std::fmt::Debug;

/// A line `y = slope·z + intercept`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line<T> {
    /// Slope.
    pub slope: T,
    /// Value at `z = 0`.
    pub intercept: T,
}

impl<T: Float> Line<T> {
    /// Builds a line.
    pub fn new(slope: T, intercept: T) -> Self {
        Self { slope, intercept }
    }

    /// The line through `(z, y)` with the given slope.
    pub fn through(z: T, y: T, slope: T) -> Self {
        Self {
            slope,
            intercept: y - slope * z,
        }
    }

    /// Evaluates the line at `z`.
    pub fn at(&self, z: T) -> T {
        self.slope * z + self.intercept
    }
}

/// The lower and upper line of one neuron on its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NeuronRelaxation<T> {
    /// Lower line: `lower.at(z) ≤ σ(z)` on `[l, u]`.
    pub lower: Line<T>,
    /// Upper line: `σ(z) ≤ upper.at(z)` on `[l, u]`.
    pub upper: Line<T>,
}

impl<T: Float> NeuronRelaxation<T> {
    /// Both lines equal to `line` (an exact relaxation).
    pub fn exact(line: Line<T>) -> Self {
        Self {
            lower: line,
            upper: line,
        }
    }
}

/// How the lower line of an unstable ReLU (or leaky ReLU) is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReluLowerSlope {
    /// CROWN-Ada: slope 1 if `u > −l`, else 0 (the smaller-area line).
    #[default]
    Adaptive,
    /// Fast-Lin: the same slope as the upper line, `u/(u − l)`, through the origin.
    SameAsUpper,
    /// Always slope 0 (for leaky ReLU: the negative slope).
    Zero,
    /// Always slope 1.
    One,
}

/// Choices that shape the relaxations (the difference between Fast-Lin and CROWN).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RelaxationPolicy {
    /// Lower line of unstable ReLUs.
    pub relu_lower: ReluLowerSlope,
}

/// An element-wise activation with a sound linear relaxation.
///
/// # Contract
/// For every `l ≤ u` and every `z ∈ [l, u]`: `relax(l, u).lower.at(z) ≤ eval(z) ≤
/// relax(l, u).upper.at(z)` and `interval(l, u)` contains `eval(z)` (up to floating-point rounding).
pub trait ElementwiseActivation<T: Float>: Send + Sync + Debug {
    /// A short name (`"relu"`, `"tanh"`, …).
    fn name(&self) -> &'static str;
    /// σ(z).
    fn eval(&self, z: T) -> T;
    /// The range of σ on `[l, u]`; the default assumes σ non-decreasing.
    fn interval(&self, l: T, u: T) -> (T, T) {
        (self.eval(l), self.eval(u))
    }
    /// The lower and upper line on `[l, u]`.
    fn relax(&self, l: T, u: T, policy: &RelaxationPolicy) -> NeuronRelaxation<T>;
    /// Checks the activation's parameters; [`crate::layers::ActivationLayer::new`] calls it.
    /// The default accepts everything.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a parameter under which the relaxation would be unsound.
    fn validate(&self) -> Result<()> {
        Ok(())
    }
    /// Whether the relaxation on `[l, u]` is exact and stays the same on every sub-interval
    /// (a stable ReLU). Rows of such neurons can be skipped when refining intermediate bounds.
    fn is_stable(&self, l: T, u: T) -> bool {
        let _ = (l, u);
        false
    }
}

/// The built-in activations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// `max(z, 0)`.
    Relu,
    /// `z` for `z ≥ 0`, `α·z` otherwise (`0 ≤ α ≤ 1`).
    LeakyRelu(f64),
    /// `1 / (1 + e^{−z})`.
    Sigmoid,
    /// `tanh z`.
    Tanh,
    /// `arctan z`.
    Arctan,
}

impl<T: Float> ElementwiseActivation<T> for Activation {
    fn name(&self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::LeakyRelu(_) => "leaky_relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Arctan => "arctan",
        }
    }

    fn eval(&self, z: T) -> T {
        match self {
            Activation::Relu => z.max(T::zero()),
            Activation::LeakyRelu(a) => {
                if z >= T::zero() {
                    z
                } else {
                    T::from_f64_rounded(*a) * z
                }
            }
            Activation::Sigmoid => T::from_f64_rounded(SShaped::Sigmoid.eval(z.as_f64())),
            Activation::Tanh => z.tanh(),
            Activation::Arctan => z.atan(),
        }
    }

    fn interval(&self, l: T, u: T) -> (T, T) {
        match self {
            Activation::Relu | Activation::LeakyRelu(_) | Activation::Tanh | Activation::Arctan => {
                (
                    <Self as ElementwiseActivation<T>>::eval(self, l),
                    <Self as ElementwiseActivation<T>>::eval(self, u),
                )
            }
            Activation::Sigmoid => {
                // σ in f64 rounded to T may round up; widen by one ulp-ish margin for f32.
                let lo = SShaped::Sigmoid.eval(l.as_f64());
                let hi = SShaped::Sigmoid.eval(u.as_f64());
                (round_down(lo), round_up(hi))
            }
        }
    }

    fn relax(&self, l: T, u: T, policy: &RelaxationPolicy) -> NeuronRelaxation<T> {
        match self {
            Activation::Relu => relu_relaxation(l, u, policy.relu_lower),
            Activation::LeakyRelu(a) => {
                leaky_relu_relaxation(l, u, T::from_f64_rounded(*a), policy.relu_lower)
            }
            Activation::Sigmoid => s_shaped_relaxation(SShaped::Sigmoid, l, u),
            Activation::Tanh => s_shaped_relaxation(SShaped::Tanh, l, u),
            Activation::Arctan => s_shaped_relaxation(SShaped::Arctan, l, u),
        }
    }

    /// Leaky ReLU needs a slope in `[0, 1]`: below 0 it is not monotone (the interval is
    /// wrong), above 1 it is concave (the chord is not an upper line).
    fn validate(&self) -> Result<()> {
        match self {
            Activation::LeakyRelu(a) if !(0.0..=1.0).contains(a) => Err(Error::invalid(
                "leaky_relu alpha",
                *a,
                "the negative slope must lie in [0, 1]",
            )),
            _ => Ok(()),
        }
    }

    fn is_stable(&self, l: T, u: T) -> bool {
        match self {
            Activation::Relu | Activation::LeakyRelu(_) => l >= T::zero() || u <= T::zero(),
            _ => false,
        }
    }
}

/// Rounds an `f64` to `T`, never above the input.
pub(crate) fn round_down<T: Float>(v: f64) -> T {
    let t = T::from_f64_rounded(v);
    if t.as_f64() > v {
        t - t.abs() * T::epsilon() - T::min_positive_value()
    } else {
        t
    }
}

/// Rounds an `f64` to `T`, never below the input.
pub(crate) fn round_up<T: Float>(v: f64) -> T {
    let t = T::from_f64_rounded(v);
    if t.as_f64() < v {
        t + t.abs() * T::epsilon() + T::min_positive_value()
    } else {
        t
    }
}
