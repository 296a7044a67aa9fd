//! Truncation regions of Gaussian noise and the probability mass outside them.
//!
//! Linear bounds only hold on a bounded domain, so for Gaussian noise the certificate adds
//! `P[Δ ∉ region]`. Two regions are offered:
//!
//! ```text
//! box  |Δ_k| ≤ r_k:   P[outside] ≤ 1 − Π_k (1 − 2Φ(−r_k/σ_k))      (= for independent coordinates;
//!                                                                   ≤ for correlated, by Šidák)
//! ℓ2 ball ‖Δ‖₂ ≤ R:   P[outside] ≤ P[χ²_d > R²/λ_max(Σ)] = Q(d/2, R²/(2λ_max))
//!                     (= for isotropic Σ; ‖Δ‖₂ ≤ √λ_max ‖Z‖₂ in general)
//! ```
//! computed as `−expm1(Σ_k ln_1p(−2Φ(−r_k/σ_k)))`, so tiny masses keep their relative accuracy.
//!
//! # References
//! Z. Šidák, *Rectangular confidence regions for the means of multivariate normal
//! distributions*, JASA 1967.

use super::Probability;
use super::probability::{U, gamma};
use super::tails::gaussian_ln_tail;
use crate::{Error, Result};
use statrs::function::gamma::gamma_ur;

/// Relative accuracy trusted for statrs' regularised incomplete gamma function.
const GAMMA_UR_SLACK: f64 = 1e-9;

/// How a Gaussian noise model is truncated (the region the linear bounds must hold on).
///
/// Every choice keeps the mass outside the region and adds it to certificates; nothing is dropped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Truncation {
    /// The box `|Δ_k| ≤ k·σ_k` for the given `k > 0`.
    BoxSigmas(f64),
    /// The smallest box `|Δ_k| ≤ k·σ_k` (common `k`) whose outside mass is at most the given
    /// value, e.g. `fraction · δ` to spend a fixed part of the failure budget `δ` on truncation.
    BoxMass(f64),
    /// The ℓ2 ball of the given radius.
    L2Radius(f64),
    /// The smallest ℓ2 ball whose outside mass bound is at most the given value.
    L2Mass(f64),
}

fn check_mass(mass: f64) -> Result<()> {
    if !(mass > 0.0 && mass < 1.0) {
        return Err(Error::invalid(
            "mass",
            mass,
            "the truncation mass must lie in (0, 1)",
        ));
    }
    Ok(())
}

/// Certified upper bound on `1 − Π_k (1 − 2Φ(−r_k/σ_k))`, the Gaussian mass outside the box
/// `|Δ_k| ≤ r_k` (coordinates with `σ_k = 0` contribute nothing).
///
/// # Errors
/// [`Error::DimensionMismatch`] if the lengths differ; [`Error::InvalidParameter`] for negative or
/// NaN entries.
///
/// # Examples
/// ```
/// // 784 coordinates, a 6σ box: about 1.5e-6 outside.
/// let m = proven::noise::box_mass(&[1.0; 784], &[6.0; 784]).unwrap().value();
/// assert!((m - 1.55e-6).abs() < 0.01e-6);
/// ```
pub fn box_mass(sigma: &[f64], half_width: &[f64]) -> Result<Probability> {
    if sigma.len() != half_width.len() {
        return Err(Error::mismatch(
            "box mass: half widths",
            sigma.len(),
            half_width.len(),
        ));
    }
    let mut sum = 0.0;
    for (s, r) in sigma.iter().zip(half_width) {
        if s.is_nan() || r.is_nan() || *s < 0.0 || *r < 0.0 {
            return Err(Error::invalid(
                "sigma or half width",
                s.min(*r),
                "must be >= 0",
            ));
        }
        if *s == 0.0 {
            continue;
        }
        let q = 2.0 * gaussian_ln_tail(r / s * (1.0 - 4.0 * U), false).value() * (1.0 + 4.0 * U);
        if q >= 1.0 {
            return Ok(Probability::ONE);
        }
        sum += (-q).ln_1p();
    }
    let sum = sum * (1.0 + gamma(sigma.len() + 4)) - 1e-300;
    let mass = (-sum.exp_m1()) * (1.0 + 4.0 * U);
    Ok(Probability::upper_from_ln(mass.min(1.0).ln()))
}

/// The smallest common multiplier `k` such that the box `|Δ_k| ≤ k·σ_k` in `dim` independent
/// (or correlated, by Šidák) Gaussian coordinates has outside mass at most `mass`.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `0 < mass < 1` and `dim ≥ 1`.
///
/// # Examples
/// ```
/// let k = proven::noise::box_sigmas_for_mass(784, 1.5e-6).unwrap();
/// assert!((k - 6.0).abs() < 0.01);
/// ```
pub fn box_sigmas_for_mass(dim: usize, mass: f64) -> Result<f64> {
    super::check_dim(dim)?;
    check_mass(mass)?;
    // Per coordinate: 2Φ(−k) = 1 − (1 − mass)^{1/d}.
    let q = -((-mass).ln_1p() / dim as f64).exp_m1();
    let mut k = super::gaussian_multiplier(0.5 * q)?;
    let sig = vec![1.0; dim];
    for _ in 0..200 {
        if box_mass(&sig, &vec![k; dim])?.value() <= mass {
            return Ok(k);
        }
        k *= 1.0 + 1e-10;
    }
    Err(Error::invalid(
        "mass",
        mass,
        "could not reach the requested truncation mass",
    ))
}

/// Certified upper bound on `P[χ²_d > t]` (mass of `N(0, I_d)` outside the ℓ2 ball of radius `√t`).
///
/// # Errors
/// [`Error::InvalidParameter`] for `dim = 0` or negative / NaN `t`.
///
/// # Examples
/// ```
/// // χ²_2 has survival function e^{−t/2}.
/// let p = proven::noise::l2_mass(2, 10.0).unwrap().value();
/// assert!((p / (-5.0f64).exp() - 1.0).abs() < 1e-8);
/// ```
pub fn l2_mass(dim: usize, t: f64) -> Result<Probability> {
    super::check_dim(dim)?;
    if t.is_nan() || t < 0.0 {
        return Err(Error::invalid("t", t, "the squared radius must be >= 0"));
    }
    if t == 0.0 {
        return Ok(Probability::ONE);
    }
    let q = gamma_ur(0.5 * dim as f64, 0.5 * t * (1.0 - 4.0 * U));
    Ok(Probability::upper_from_ln(
        (q * (1.0 + GAMMA_UR_SLACK)).min(1.0).ln(),
    ))
}

/// The radius `R/σ` of the smallest ℓ2 ball with `P[χ²_d > (R/σ)²] ≤ mass`.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `0 < mass < 1` and `dim ≥ 1`.
///
/// # Examples
/// ```
/// let r = proven::noise::l2_radius_for_mass(784, 1e-5).unwrap();
/// assert!(r > 30.5 && r < 31.5);
/// ```
pub fn l2_radius_for_mass(dim: usize, mass: f64) -> Result<f64> {
    super::check_dim(dim)?;
    check_mass(mass)?;
    let ok = |t: f64| -> Result<bool> { Ok(l2_mass(dim, t)?.value() <= mass) };
    let mut hi = dim as f64 + 1.0;
    while !ok(hi)? {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if ok(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi.sqrt())
}

/// Resolves a [`Truncation`] for coordinate scales `sigma` and the largest covariance eigenvalue
/// `lambda_max`: the region and a certified upper bound on the mass outside it.
pub(crate) fn resolve(
    sigma: &[f64],
    lambda_max: f64,
    truncation: Truncation,
) -> Result<(super::Region, Probability)> {
    let d = sigma.len();
    let boxed = |k: f64| -> Result<(super::Region, Probability)> {
        let hi: Vec<f64> = sigma.iter().map(|s| k * s).collect();
        let lo = hi.iter().map(|h| -h).collect();
        let mass = box_mass(sigma, &hi)?;
        Ok((super::Region::Box { lo, hi }, mass))
    };
    let ball = |r: f64| -> Result<(super::Region, Probability)> {
        let mass = if lambda_max > 0.0 {
            l2_mass(d, r * r / lambda_max)?
        } else {
            Probability::ZERO
        };
        Ok((super::Region::L2Ball { radius: r }, mass))
    };
    match truncation {
        Truncation::BoxSigmas(k) => {
            super::check_positive("k", k)?;
            boxed(k)
        }
        Truncation::BoxMass(m) => boxed(box_sigmas_for_mass(d, m)?),
        Truncation::L2Radius(r) => {
            super::check_positive("radius", r)?;
            ball(r)
        }
        Truncation::L2Mass(m) => {
            ball(lambda_max.sqrt() * l2_radius_for_mass(d, m)? * (1.0 + 4.0 * U))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_mass_reproduces_the_table_of_the_notes() {
        // proven-method.md §3.5: d = 784, r = 4σ → 4.8e-2, 5σ → 4.5e-4, 6σ → 1.5e-6;
        // d = 3072, 6σ → 6.1e-6.
        for (d, k, want) in [
            (784, 4.0, 4.8e-2),
            (784, 5.0, 4.5e-4),
            (784, 6.0, 1.5e-6),
            (3072, 6.0, 6.1e-6),
        ] {
            let m = box_mass(&vec![1.0; d], &vec![k; d]).unwrap().value();
            assert!((m / want - 1.0).abs() < 0.05, "d={d} k={k} m={m}");
        }
    }

    #[test]
    fn tiny_masses_keep_relative_accuracy() {
        // One coordinate at 30σ: 2Φ(−30) ≈ 9.8e-198.
        let m = box_mass(&[1.0], &[30.0]).unwrap();
        assert!((m.ln() - (9.8e-198f64).ln()).abs() < 0.01);
    }

    #[test]
    fn bad_masses_are_typed_errors() {
        assert!(matches!(
            box_sigmas_for_mass(3, 0.0),
            Err(Error::InvalidParameter { name: "mass", .. })
        ));
        assert!(matches!(
            l2_radius_for_mass(0, 0.1),
            Err(Error::InvalidParameter { name: "dim", .. })
        ));
        assert!(matches!(
            box_mass(&[1.0], &[1.0, 2.0]),
            Err(Error::DimensionMismatch { .. })
        ));
    }
}
