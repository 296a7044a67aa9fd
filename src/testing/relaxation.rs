//! [`check_relaxation`]: a neuron's two lines enclose its activation on `[l, u]`.

use super::violation::Checker;
use super::{CheckStats, SoundnessViolation, Tolerance};
use crate::Float;
use crate::activation::{ElementwiseActivation, RelaxationPolicy};

/// Checks the relaxation of `activation` on `[l, u]` on a grid of `grid_points` points (the two
/// ends included; `l = u` is checked at the single point):
///
/// ```text
/// lower.at(z) ≤ σ(z) ≤ upper.at(z)   and   interval(l, u).0 ≤ σ(z) ≤ interval(l, u).1
/// ```
///
/// Besides the uniform grid it checks the points next to `0` (where S-shaped functions change
/// curvature and ReLUs bend), within [`Tolerance::local`] of `T`. The magnitude of a line
/// `a·z + b` is its size over the interval, `|a|·max(|l|, |u|) + |b| + |σ(z)|`: a line is built
/// from values at the ends or at a tangent point, and its rounding scales with those.
///
/// # Errors
/// A [`SoundnessViolation`] naming the line and the point `z`; [`SoundnessViolation::Failed`] if
/// `l > u`, either end is not finite, or a line has a NaN.
///
/// # Examples
/// ```
/// use proven::activation::RelaxationPolicy;
/// use proven::testing::check_relaxation;
/// use proven::Activation;
/// let stats = check_relaxation(&Activation::Tanh, -1.0_f64, 2.0, &RelaxationPolicy::default(), 101).unwrap();
/// assert!(stats.points >= 101);
/// ```
pub fn check_relaxation<T: Float, A: ElementwiseActivation<T> + ?Sized>(
    activation: &A,
    l: T,
    u: T,
    policy: &RelaxationPolicy,
    grid_points: usize,
) -> Result<CheckStats, SoundnessViolation> {
    let mut c = Checker::new("check_relaxation", Tolerance::local::<T>());
    if !(l.is_finite() && u.is_finite()) || l > u {
        return Err(c.fail(format!("invalid interval [{l}, {u}]")));
    }
    let relax = activation.relax(l, u, policy);
    let (ilo, ihi) = activation.interval(l, u);
    let name = activation.name();
    let lines = [
        relax.lower.slope,
        relax.lower.intercept,
        relax.upper.slope,
        relax.upper.intercept,
    ];
    if lines.iter().any(|v| v.is_nan()) || ilo.is_nan() || ihi.is_nan() {
        return Err(c.fail(format!(
            "{name} on [{l}, {u}]: NaN in the relaxation {relax:?} or interval ({ilo}, {ihi})"
        )));
    }
    // A line is built from its values on [l, u] (an end point, a tangent point), so its rounding
    // error scales with its size over the whole interval, not at z alone.
    let reach = l.as_f64().abs().max(u.as_f64().abs());
    for z in grid(l, u, grid_points) {
        c.stats.points += 1;
        let s = activation.eval(z).as_f64();
        let zf = z.as_f64();
        let at = |slope: T, intercept: T| {
            let (a, b) = (slope.as_f64(), intercept.as_f64());
            (a * zf + b, a.abs() * reach + b.abs() + s.abs())
        };
        let here = || vec![zf];
        let (lo, mag) = at(relax.lower.slope, relax.lower.intercept);
        c.le(lo, s, mag, true, || {
            (
                format!("{name} on [{l}, {u}]: lower line {:?} ≤ σ(z)", relax.lower),
                here(),
            )
        })?;
        let (hi, mag) = at(relax.upper.slope, relax.upper.intercept);
        c.le(s, hi, mag, false, || {
            (
                format!("{name} on [{l}, {u}]: σ(z) ≤ upper line {:?}", relax.upper),
                here(),
            )
        })?;
        let (a, b) = (ilo.as_f64(), ihi.as_f64());
        c.le(a, s, a.abs() + s.abs(), true, || {
            (
                format!("{name} on [{l}, {u}]: interval lower end ≤ σ(z)"),
                here(),
            )
        })?;
        c.le(s, b, b.abs() + s.abs(), false, || {
            (
                format!("{name} on [{l}, {u}]: σ(z) ≤ interval upper end"),
                here(),
            )
        })?;
    }
    Ok(c.stats)
}

/// `n` points evenly spread over `[l, u]` (ends included), plus `0` and its neighbours when they
/// lie inside.
fn grid<T: Float>(l: T, u: T, n: usize) -> Vec<T> {
    let (lf, uf) = (l.as_f64(), u.as_f64());
    let mut pts = vec![l, u];
    let n = n.max(2);
    for i in 1..n - 1 {
        let t = i as f64 / (n - 1) as f64;
        let z = T::from_f64_rounded(lf + (uf - lf) * t);
        pts.push(z.max(l).min(u));
    }
    for z in [T::zero(), T::min_positive_value(), -T::min_positive_value()] {
        if z >= l && z <= u {
            pts.push(z);
        }
    }
    pts
}
