//! Per-coordinate laws of bounded noise, centred (mean 0), and their scalar functionals: support,
//! variance, sub-Gaussian proxy, log-MGF and its derivative.

use super::probability::U;

/// The centred law of one bounded noise coordinate `Δ_k − EΔ_k`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CoordLaw {
    /// Uniform on `[−half, half]`.
    Uniform { half: f64 },
    /// Two points `lo < 0 < hi` with `P[hi] = p_hi ∈ (0, 1)` and `(1 − p)lo + p·hi = 0`.
    TwoPoint { lo: f64, hi: f64, p_hi: f64 },
    /// Unknown law on `[lo, hi]` (`lo ≤ 0 ≤ hi`) with variance at most `var`.
    Bounded { lo: f64, hi: f64, var: f64 },
}

impl CoordLaw {
    /// The support `[lo, hi]`.
    pub(crate) fn support(self) -> (f64, f64) {
        match self {
            CoordLaw::Uniform { half } => (-half, half),
            CoordLaw::TwoPoint { lo, hi, .. } | CoordLaw::Bounded { lo, hi, .. } => (lo, hi),
        }
    }

    /// Width of the support (Hoeffding's range).
    pub(crate) fn width(self) -> f64 {
        let (lo, hi) = self.support();
        hi - lo
    }

    /// Variance (an upper bound for [`CoordLaw::Bounded`]).
    pub(crate) fn variance(self) -> f64 {
        match self {
            CoordLaw::Uniform { half } => half * half / 3.0,
            CoordLaw::TwoPoint { lo, hi, p_hi } => p_hi * (1.0 - p_hi) * (hi - lo) * (hi - lo),
            CoordLaw::Bounded { var, .. } => var,
        }
    }

    /// The smallest proven sub-Gaussian variance proxy (rounded up).
    pub(crate) fn proxy(self) -> f64 {
        let raw = match self {
            CoordLaw::Uniform { half } => half * half / 3.0,
            CoordLaw::TwoPoint { lo, hi, p_hi } => bernoulli_proxy(p_hi) * (hi - lo) * (hi - lo),
            CoordLaw::Bounded { lo, hi, .. } => (hi - lo) * (hi - lo) / 4.0,
        };
        raw * (1.0 + 1e-12)
    }

    /// An almost-sure bound on `−a·Y` (how far the term can pull the sum down).
    pub(crate) fn down(self, a: f64) -> f64 {
        let (lo, hi) = self.support();
        if a >= 0.0 { -a * lo } else { -a * hi }
    }

    /// The (centred) two-point form `(lo, width, p_hi)` whose MGF equals (two-point) or dominates
    /// (bounded) the law's MGF; `None` for the uniform law.
    fn two_point(self) -> Option<(f64, f64, f64)> {
        match self {
            CoordLaw::Uniform { .. } => None,
            CoordLaw::TwoPoint { lo, hi, p_hi } => Some((lo, hi - lo, p_hi)),
            CoordLaw::Bounded { lo, hi, .. } => {
                let w = hi - lo;
                let p = if w > 0.0 {
                    (-lo / w).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                Some((lo, w, p))
            }
        }
    }

    /// `ψ(t) = ln E e^{tY}` (or an upper bound on it for [`CoordLaw::Bounded`]), with a bound on
    /// the absolute floating-point error of the returned value.
    pub(crate) fn psi(self, t: f64) -> (f64, f64) {
        match self.two_point() {
            None => {
                let CoordLaw::Uniform { half } = self else {
                    unreachable!("only the uniform law has no two-point form")
                };
                let v = ln_sinhc(t * half);
                (v, 16.0 * U * (v.abs() + 1.0))
            }
            Some((lo, w, p)) => {
                if w <= 0.0 || p <= 0.0 || p >= 1.0 {
                    return (0.0, 0.0);
                }
                let ln_q = (-p).ln_1p();
                let sp = softplus(t * w + logit(p));
                let v = t * lo + ln_q + sp;
                (v, 16.0 * U * ((t * lo).abs() + ln_q.abs() + sp.abs() + 1.0))
            }
        }
    }

    /// `ψ'(t)`.
    pub(crate) fn dpsi(self, t: f64) -> f64 {
        match self.two_point() {
            None => {
                let CoordLaw::Uniform { half } = self else {
                    unreachable!("only the uniform law has no two-point form")
                };
                half * coth_minus_inv(t * half)
            }
            Some((lo, w, p)) => {
                if w <= 0.0 || p <= 0.0 || p >= 1.0 {
                    return 0.0;
                }
                lo + w * logistic(t * w + logit(p))
            }
        }
    }
}

/// Optimal sub-Gaussian proxy of a centred Bernoulli(p) variable with unit range:
/// `(1 − 2p) / (2 ln((1 − p)/p))`, and `1/4` at `p = 1/2`.
pub(crate) fn bernoulli_proxy(p: f64) -> f64 {
    let d = 1.0 - 2.0 * p;
    if d.abs() < 1e-9 {
        // The function is smooth and even around ½: ¼ − (1 − 2p)²/12 + …, so ¼ is an upper bound.
        return 0.25;
    }
    d / (2.0 * (d / p).ln_1p())
}

/// `ln(sinh x / x)`, accurate for all `x`.
pub(crate) fn ln_sinhc(x: f64) -> f64 {
    let x = x.abs();
    if x < 1e-3 {
        let x2 = x * x;
        x2 / 6.0 - x2 * x2 / 180.0
    } else if x < 20.0 {
        (x.sinh() / x).ln()
    } else {
        x - std::f64::consts::LN_2 - x.ln() + (-(-2.0 * x).exp()).ln_1p()
    }
}

/// `coth x − 1/x` (odd), accurate near 0.
fn coth_minus_inv(x: f64) -> f64 {
    if x.abs() < 1e-2 {
        let x2 = x * x;
        x / 3.0 - x * x2 / 45.0 + 2.0 * x * x2 * x2 / 945.0
    } else {
        1.0 / x.tanh() - 1.0 / x
    }
}

fn logit(p: f64) -> f64 {
    p.ln() - (-p).ln_1p()
}

fn logistic(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn uniform_log_mgf_matches_closed_form_and_is_strictly_sub_gaussian() {
        for &x in &[1e-5, 1e-3, 0.5, 3.0, 19.9, 20.1, 80.0] {
            let direct = if x < 700.0 {
                (f64::sinh(x) / x).ln()
            } else {
                f64::NAN
            };
            if x > 1e-3 {
                assert_relative_eq!(ln_sinhc(x), direct, max_relative = 1e-12);
            }
            assert!(ln_sinhc(x) <= x * x / 6.0);
        }
    }

    #[test]
    fn two_point_mgf_matches_direct_evaluation() {
        let p = 0.2;
        let eps = 0.7;
        let law = CoordLaw::TwoPoint {
            lo: -p * eps,
            hi: (1.0 - p) * eps,
            p_hi: p,
        };
        for &t in &[-3.0, -0.1, 0.0, 0.4, 5.0] {
            let direct =
                ((1.0 - p) * f64::exp(-t * p * eps) + p * f64::exp(t * (1.0 - p) * eps)).ln();
            assert_relative_eq!(law.psi(t).0, direct, epsilon = 1e-14);
            let h = 1e-6;
            let num = (law.psi(t + h).0 - law.psi(t - h).0) / (2.0 * h);
            assert_relative_eq!(law.dpsi(t), num, epsilon = 1e-7);
        }
    }

    #[test]
    fn bernoulli_proxy_dominates_the_log_mgf() {
        // The optimal proxy must satisfy ψ(t) ≤ t²σ²/2 for every t (it touches at one point).
        for &p in &[0.01, 0.1, 0.3, 0.5, 0.7, 0.95] {
            let law = CoordLaw::TwoPoint {
                lo: -p,
                hi: 1.0 - p,
                p_hi: p,
            };
            let proxy = law.proxy();
            assert!(proxy <= 0.25 * (1.0 + 1e-12));
            assert!(proxy >= law.variance() * (1.0 - 1e-12));
            for i in -4000..=4000 {
                let t = f64::from(i) * 0.01;
                assert!(law.psi(t).0 <= t * t * proxy / 2.0 + 1e-14, "p={p} t={t}");
            }
        }
    }
}
