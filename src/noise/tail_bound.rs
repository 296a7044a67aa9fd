//! [`TailBound`]: which inequality turns a linear row into a probability, and the deficit
//! multipliers of the closed-form ones.

use crate::{Error, Result};
use statrs::distribution::{ContinuousCDF, Normal};

/// Default number of lattice cells of [`TailBound::Convolution`] across the support of the sum.
pub const DEFAULT_CONVOLUTION_CELLS: u32 = 1 << 15;

/// How to bound the tail `P[a·(Δ − EΔ) ≤ −s]` of a linear form of the noise.
///
/// Write `Y_k = a_k(Δ_k − EΔ_k)` (independent, mean 0) and `S = Σ_k Y_k`. Every variant except
/// [`TailBound::CltEstimate`] gives a *certified* upper bound on `P[S ≤ −s]`, `s ≥ 0`.
///
/// | variant | valid for | formula |
/// |---|---|---|
/// | `Hoeffding` | bounded noise | `exp(−2s² / Σ a_k² w_k²)`, `w_k` the support width |
/// | `SubGaussian` | sub-Gaussian laws with a proven proxy `σ_k²` | `exp(−s² / (2 Σ a_k² σ_k²))` |
/// | `Chernoff` | laws with a known MGF (or MGF bound) | `inf_λ>0 exp(−λs + Σ_k ln E e^{−λY_k})` |
/// | `Bernstein` | bounded noise with variances | `exp(−s² / (2(v + M s/3)))` |
/// | `Convolution` | uniform, Bernoulli | lattice law of `S`, rounded outward |
/// | `Exact` | Gaussian | `Φ(−s/√(aΣaᵀ))` via `erfc` |
/// | `CltEstimate` | any law with variances | `Φ(−s/√v)`, **not certified** |
///
/// # References
/// - W. Hoeffding, *Probability inequalities for sums of bounded random variables*, JASA 1963.
/// - H. Chernoff, *A measure of asymptotic efficiency for tests of a hypothesis based on the sum of
///   observations*, Ann. Math. Statist. 1952 (the exponential-moment method).
/// - S. Bernstein (1924); see Boucheron, Lugosi, Massart, *Concentration Inequalities*, OUP 2013,
///   §2.8 for the form used here.
/// - T.-W. Weng et al., *PROVEN: Verifying Robustness of Neural Networks with a Probabilistic
///   Approach*, ICML 2019 (Hoeffding for bounded noise, exact CDF for Gaussian noise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TailBound {
    /// Hoeffding's inequality (the bound of PROVEN for bounded noise).
    ///
    /// ```text
    /// P[S ≤ −s] ≤ exp(−2s² / Σ_k a_k² (hi_k − lo_k)²)
    /// ```
    /// # References
    /// Hoeffding 1963, Theorem 2.
    Hoeffding,
    /// Sub-Gaussian bound with the smallest *proven* variance proxy `σ_k²` of each law
    /// (`E e^{λY} ≤ e^{λ²σ²/2}`):
    ///
    /// ```text
    /// P[S ≤ −s] ≤ exp(−s² / (2 Σ_k a_k² σ_k²))
    /// uniform on [−ε, ε]:     σ² = ε²/3   (strict: sinh x / x = Π(1 + x²/k²π²) ≤ e^{x²/6})
    /// Rademacher ±ε:          σ² = ε²     (cosh x ≤ e^{x²/2})
    /// Bernoulli {0, ε}, p≠½:  σ² = ε² (1 − 2p) / (2 ln((1 − p)/p))   (optimal proxy)
    /// general [lo, hi]:       σ² = (hi − lo)²/4  (Hoeffding's lemma)
    /// Gaussian:               σ² = Var
    /// ```
    /// # References
    /// Arbel, Marchal, Nguyen, *On strict sub-Gaussianity, optimal proxy variance and symmetry for
    /// bounded random variables*, ESAIM: P&S 2020 (uniform is strictly sub-Gaussian);
    /// Kearns & Saul, UAI 1998, and Berend & Kontorovich, Electron. Commun. Probab. 2013 (optimal
    /// Bernoulli proxy).
    SubGaussian,
    /// Cramér–Chernoff bound with the exact moment generating function, minimised over `λ > 0`
    /// (a convex 1-D problem, solved by bisection on the derivative):
    ///
    /// ```text
    /// P[S ≤ −s] ≤ inf_{λ>0} exp(−λs + Σ_k ψ_k(−λ a_k)),  ψ_k(t) = ln E e^{t(Δ_k − EΔ_k)}
    /// uniform: ψ(t) = ln(sinh(tε)/(tε));  Rademacher: ln cosh(tε)
    /// Bernoulli {0, ε}: ψ(t) = −tpε + ln(1 − p + p e^{tε})
    /// general [lo, hi] with mean m: the two-point law on {lo, hi} with mean m (its MGF dominates)
    /// ```
    /// Never looser than `SubGaussian` or `Hoeffding` (they bound the same MGF).
    /// # References
    /// Chernoff 1952; Hoeffding 1963, proof of Theorem 2 (convexity: the two-point law dominates).
    Chernoff,
    /// Bernstein's inequality (variance-aware; good for sparse noise such as Bernoulli with small
    /// `p`). With `v = Σ a_k² Var(Δ_k)` and `M ≥ max_k (−Y_k)` almost surely:
    ///
    /// ```text
    /// P[S ≤ −s] ≤ exp(−s² / (2(v + M s / 3)))
    /// ```
    /// # References
    /// Boucheron, Lugosi, Massart 2013, §2.8 (Bernstein's inequality).
    Bernstein,
    /// Rigorous direct convolution: each `Y_k` is rounded *down* to a lattice `hℤ` (so the
    /// lattice sum `S' ≤ S` and `P[S ≤ −s] ≤ P[S' ≤ −s]`), the lattice law of `S'` is computed by
    /// `d` discrete convolutions using only additions and multiplications of non-negative numbers
    /// (kernel weights rounded up), and the result is inflated by the a-priori floating-point error
    /// bound. `cells` lattice cells span the support of `S`; the rounding loses at most `d·h` in
    /// the threshold. Cost `O(d · cells)`. Uniform and Bernoulli noise only.
    ///
    /// The drift `d·h` makes small grids loose in high dimension: for uniform noise at `d = 784`
    /// and a true tail near `1e-4`, `2¹⁵` cells give `4.2e-3` (0.1 s) and `2²⁰` cells give
    /// `1.13e-4` (5 s, release build); for `d ≤ 12` the default is within 0.5 % of the exact value.
    Convolution {
        /// Number of lattice cells across the support of `S`.
        cells: u32,
    },
    /// The exact law (Gaussian noise: `a·Δ ~ N(0, aΣaᵀ)`):
    ///
    /// ```text
    /// P[S ≤ −s] = Φ(−s/σ_S) = ½ erfc(s / (σ_S √2)),   σ_S² = aΣaᵀ
    /// ```
    /// Evaluated in log space; beyond the range of `erfc` the Mills-ratio bounds
    /// `φ(x)(1/x − 1/x³) ≤ Φ(−x) ≤ φ(x)/x` are used.
    /// # References
    /// PROVEN (Weng et al. 2019), the corollary for Gaussian noise.
    Exact,
    /// The central-limit approximation `Φ(−s/√v)` with `v = Σ a_k² Var(Δ_k)`. **Not a bound**:
    /// returned as [`crate::noise::TailValue::Estimate`] and refused wherever a certified number
    /// is required.
    CltEstimate,
}

impl TailBound {
    /// [`TailBound::Convolution`] with [`DEFAULT_CONVOLUTION_CELLS`].
    pub const fn convolution() -> Self {
        TailBound::Convolution {
            cells: DEFAULT_CONVOLUTION_CELLS,
        }
    }

    /// A short name.
    pub const fn name(self) -> &'static str {
        match self {
            TailBound::Hoeffding => "Hoeffding",
            TailBound::SubGaussian => "sub-Gaussian",
            TailBound::Chernoff => "Chernoff",
            TailBound::Bernstein => "Bernstein",
            TailBound::Convolution { .. } => "convolution",
            TailBound::Exact => "exact",
            TailBound::CltEstimate => "CLT estimate",
        }
    }

    /// Whether the result is a certified bound (everything but [`TailBound::CltEstimate`]).
    pub const fn is_certified(self) -> bool {
        !matches!(self, TailBound::CltEstimate)
    }

    /// Whether the method bounds a tail from below as well ([`TailBound::Exact`],
    /// [`TailBound::Convolution`]). The exponential bounds give no anti-concentration: with them
    /// [`super::NoiseModel::tail_lower`] is 0 for every valid row, so a caller may skip the call.
    ///
    /// ```
    /// use proven::noise::TailBound;
    /// assert!(TailBound::Exact.gives_lower_bound());
    /// assert!(!TailBound::SubGaussian.gives_lower_bound());
    /// ```
    pub const fn gives_lower_bound(self) -> bool {
        matches!(self, TailBound::Exact | TailBound::Convolution { .. })
    }
}

fn check_delta(delta: f64) -> Result<()> {
    if !(delta > 0.0 && delta < 1.0) {
        return Err(Error::invalid(
            "delta",
            delta,
            "the failure budget must lie in (0, 1)",
        ));
    }
    Ok(())
}

/// Hoeffding deficit multiplier `√(2 ln(1/δ))`: for symmetric bounded noise of half-width `ε`,
/// `μ − multiplier·ε‖a‖₂ ≥ 0` certifies `P[a·X + b ≤ 0] ≤ δ`.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `0 < δ < 1`.
///
/// # Examples
/// ```
/// let m = proven::noise::hoeffding_multiplier(1e-4).unwrap();
/// assert!((m - 4.2919).abs() < 1e-4);
/// ```
pub fn hoeffding_multiplier(delta: f64) -> Result<f64> {
    check_delta(delta)?;
    Ok((-2.0 * delta.ln()).sqrt())
}

/// Strict sub-Gaussian deficit multiplier for uniform noise, `√(2 ln(1/δ)/3)` (times `ε‖a‖₂`).
///
/// # Errors
/// [`Error::InvalidParameter`] unless `0 < δ < 1`.
///
/// # Examples
/// ```
/// let m = proven::noise::uniform_subgaussian_multiplier(1e-4).unwrap();
/// assert!((m - 2.4779).abs() < 1e-4);
/// ```
pub fn uniform_subgaussian_multiplier(delta: f64) -> Result<f64> {
    check_delta(delta)?;
    Ok((-2.0 * delta.ln() / 3.0).sqrt())
}

/// Gaussian deficit multiplier `z₁₋δ = −Φ⁻¹(δ)` (times `√(aΣaᵀ)`).
///
/// # Errors
/// [`Error::InvalidParameter`] unless `0 < δ < 1`.
///
/// # Examples
/// ```
/// let z = proven::noise::gaussian_multiplier(1e-4).unwrap();
/// assert!((z - 3.7190).abs() < 1e-4);
/// ```
pub fn gaussian_multiplier(delta: f64) -> Result<f64> {
    check_delta(delta)?;
    let n = Normal::standard();
    Ok(-n.inverse_cdf(delta))
}
