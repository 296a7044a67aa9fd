//! The Clopper–Pearson interval for a binomial proportion (Monte Carlo validation).

use crate::{Error, Result};
use statrs::function::beta::inv_beta_reg;

/// Two-sided Clopper–Pearson ("exact") confidence interval `(lower, upper)` for the success
/// probability of a binomial experiment with `k` successes in `n` trials, at confidence `conf`:
///
/// ```text
/// α = 1 − conf
/// lower = B⁻¹(α/2; k, n − k + 1)      (0 if k = 0)
/// upper = B⁻¹(1 − α/2; k + 1, n − k)  (1 if k = n)
/// ```
/// with `B⁻¹(q; a, b)` the quantile of the Beta(a, b) law.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `n` (zero), `k` (`k > n`) or `conf` (`∉ (0, 1)`).
///
/// # Examples
/// ```
/// let (lo, hi) = proven::noise::clopper_pearson(50, 1000, 0.95).unwrap();
/// assert!(lo < 0.05 && 0.05 < hi);
/// assert!((lo - 0.0373).abs() < 1e-3 && (hi - 0.0654).abs() < 1e-3);
/// ```
///
/// # References
/// C. J. Clopper, E. S. Pearson, *The use of confidence or fiducial limits illustrated in the case
/// of the binomial*, Biometrika 1934.
pub fn clopper_pearson(k: u64, n: u64, conf: f64) -> Result<(f64, f64)> {
    if n == 0 {
        return Err(Error::invalid("n", 0.0, "at least one trial is needed"));
    }
    if k > n {
        return Err(Error::invalid(
            "k",
            k as f64,
            "successes cannot exceed trials",
        ));
    }
    if !(conf > 0.0 && conf < 1.0) {
        return Err(Error::invalid(
            "conf",
            conf,
            "the confidence must lie in (0, 1)",
        ));
    }
    let alpha = 1.0 - conf;
    let (kf, nf) = (k as f64, n as f64);
    let lower = if k == 0 {
        0.0
    } else {
        inv_beta_reg(kf, nf - kf + 1.0, alpha / 2.0)
    };
    let upper = if k == n {
        1.0
    } else {
        inv_beta_reg(kf + 1.0, nf - kf, 1.0 - alpha / 2.0)
    };
    Ok((lower, upper))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn edge_cases_and_closed_forms() {
        // k = 0: upper = 1 − (α/2)^{1/n}.
        let (lo, hi) = clopper_pearson(0, 100, 0.99).unwrap();
        assert!(lo.abs() < f64::MIN_POSITIVE);
        assert_relative_eq!(hi, 1.0 - 0.005f64.powf(0.01), max_relative = 1e-9);
        // k = n: lower = (α/2)^{1/n}.
        let (lo, hi) = clopper_pearson(100, 100, 0.99).unwrap();
        assert_relative_eq!(lo, 0.005f64.powf(0.01), max_relative = 1e-9);
        assert_relative_eq!(hi, 1.0);
        assert!(matches!(
            clopper_pearson(3, 2, 0.9),
            Err(Error::InvalidParameter { name: "k", .. })
        ));
        assert!(matches!(
            clopper_pearson(0, 0, 0.9),
            Err(Error::InvalidParameter { name: "n", .. })
        ));
        assert!(matches!(
            clopper_pearson(1, 2, 1.0),
            Err(Error::InvalidParameter { name: "conf", .. })
        ));
    }
}
