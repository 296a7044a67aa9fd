//! Per-row and top-1 certificates: [`LinearBounds`] + `x0` + a [`NoiseModel`] → certified bounds
//! on `P[C_r f(X) ≤ τ]`.

use super::probability::gamma;
use super::{NoiseModel, Probability, Region, TailBound};
use crate::{Error, Float, InputDomain, LinearBounds, Norm, Result};
use nalgebra::DVector;

/// Certified bounds for one specification row `r` (for example the margin `f_c − f_t`).
///
/// ```text
/// upper = P[a_L·X + b_L ≤ τ] + P[X ∉ B]   ≥ P[C_r f(X) ≤ τ]
/// lower = P[a_U·X + b_U ≤ τ] − P[X ∉ B]   ≤ P[C_r f(X) ≤ τ]
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RowCertificate {
    /// Row index.
    pub row: usize,
    /// `a_L·(x0 + EΔ) + b_L − τ`: the lower line's distance above `τ` at the noise mean.
    pub lower_line_margin: f64,
    /// `a_U·(x0 + EΔ) + b_U − τ`.
    pub upper_line_margin: f64,
    /// Certified upper bound on `P[a_L·X + b_L ≤ τ]`.
    pub lower_line_tail: Probability,
    /// Certified lower bound on `P[a_U·X + b_U ≤ τ]` (0 where the method has no lower bound).
    pub upper_line_tail: Probability,
    /// Certified upper bound on `P[X ∉ B]` (0 for bounded noise).
    pub truncation: Probability,
    /// Certified upper bound on `P[C_r f(X) ≤ τ]` (the violation probability).
    pub upper: Probability,
    /// Certified lower bound on `P[C_r f(X) ≤ τ]`.
    pub lower: Probability,
}

/// Checks that the domain `B` of the linear bounds contains `x0 + region` of the noise (its
/// support, or its truncation region). Without this the bounds say nothing about the noise.
///
/// Comparisons allow a relative slack of a few units in the last place (the bounds themselves are
/// sound only up to floating-point rounding).
///
/// # Errors
/// [`Error::DimensionMismatch`] for size mismatches; [`Error::NoiseOutsideDomain`] if the region
/// sticks out of the domain.
pub fn check_domain<T: Float>(
    domain: &InputDomain<T>,
    x0: &DVector<T>,
    noise: &dyn NoiseModel,
) -> Result<()> {
    let d = noise.dim();
    if x0.len() != d {
        return Err(Error::mismatch("certificate: x0 length", d, x0.len()));
    }
    if domain.dim() != d {
        return Err(Error::mismatch(
            "certificate: domain dimension",
            d,
            domain.dim(),
        ));
    }
    let x: Vec<f64> = x0.iter().map(|v| v.as_f64()).collect();
    let tol = |scale: f64| 16.0 * f64::EPSILON * scale;
    let outside =
        |index: Option<usize>, reason: String| Error::NoiseOutsideDomain { index, reason };
    match domain {
        InputDomain::Box(b) => {
            let (lo, hi) = (b.lower(), b.upper());
            // The region once (it allocates), not once per coordinate.
            let region = noise.region();
            for k in 0..d {
                let (l, h) = match &region {
                    Region::Box { lo, hi } => (x[k] + lo[k], x[k] + hi[k]),
                    Region::L2Ball { radius } => (x[k] - radius, x[k] + radius),
                };
                let (bl, bh) = (lo[k].as_f64(), hi[k].as_f64());
                let t = tol(l.abs() + h.abs() + bl.abs() + bh.abs());
                if l < bl - t || h > bh + t {
                    return Err(outside(
                        Some(k),
                        format!("noise reaches [{l}, {h}], domain is [{bl}, {bh}]"),
                    ));
                }
            }
            Ok(())
        }
        InputDomain::Ball {
            center,
            radius,
            norm,
        } => {
            let c: Vec<f64> = center.iter().map(|v| v.as_f64()).collect();
            let r = radius.as_f64();
            // Offsets from the centre first: exact when x0 is the centre (the usual case), and
            // never `(x + h) − c`, whose rounding is relative to |x|, not to the radius.
            let shift: Vec<f64> = (0..d).map(|k| x[k] - c[k]).collect();
            let (need, spread) = match noise.region() {
                Region::Box { lo, hi } => {
                    // Farthest vertex, coordinate by coordinate (norms are monotone in |v_k|).
                    let e: Vec<f64> = (0..d)
                        .map(|k| (shift[k] + lo[k]).abs().max((shift[k] + hi[k]).abs()))
                        .collect();
                    let m: Vec<f64> = (0..d)
                        .map(|k| shift[k].abs() + lo[k].abs().max(hi[k].abs()))
                        .collect();
                    (norm_of(*norm, &e), norm_of(*norm, &m))
                }
                Region::L2Ball { radius: rr } => {
                    let v: Vec<f64> = shift.iter().map(|s| s.abs()).collect();
                    let grow = match norm {
                        Norm::LInf | Norm::L2 => rr,
                        Norm::L1 => rr * (d as f64).sqrt(),
                    };
                    let n = norm_of(*norm, &v);
                    (n + grow, n + grow)
                }
            };
            // Rounding of the offsets and of the norm's sum (relative γ_{d+4} of the magnitudes).
            let slack = gamma(d + 4) * spread + tol(need.abs() + r.abs());
            if need > r + slack {
                return Err(outside(
                    None,
                    format!("noise reaches distance {need} from the centre, ball radius is {r}"),
                ));
            }
            Ok(())
        }
    }
}

/// The norm `‖v‖_p` of a non-negative vector.
fn norm_of(norm: Norm, v: &[f64]) -> f64 {
    match norm {
        Norm::LInf => v.iter().fold(0.0f64, |m, x| m.max(*x)),
        Norm::L2 => v.iter().map(|x| x * x).sum::<f64>().sqrt(),
        Norm::L1 => v.iter().sum(),
    }
}

/// `a·c + b − τ` with an a-priori bound on its rounding error.
fn margin(a: &[f64], c: &[f64], b: f64, tau: f64) -> (f64, f64) {
    // Both sums in interleaved lanes (any summation order keeps the γ bound).
    let (dot, abs_dot) = dot_and_abs_dot(a, c);
    let v = dot + b - tau;
    let mag = abs_dot + b.abs() + tau.abs();
    (v, gamma(a.len() + 3) * mag)
}

/// Certified per-row bounds on `P[C_r f(X) ≤ τ]` for `X = x0 + Δ`, `Δ ~ noise`, using the linear
/// bounds `bounds` (which must hold on a domain containing the noise region, see
/// [`check_domain`]) and the tail bound `tail` for both lines.
///
/// The lower line gives the upper bound (PROVEN's certificate); the upper line gives the lower
/// bound (a witness of non-robustness), which is 0 unless the method has a lower counterpart
/// ([`TailBound::Exact`] for Gaussians, [`TailBound::Convolution`] for uniform/Bernoulli noise).
/// When a line's value at the noise mean is already on the wrong side of `τ`, the other side's
/// tail is used (`P[Y ≤ t] = 1 − P[Y > t]`); for methods without a lower bound this gives the
/// trivial upper bound 1.
///
/// # Errors
/// [`Error::NotCertified`] for [`TailBound::CltEstimate`]; the errors of [`check_domain`] and of
/// [`NoiseModel::tail_upper`].
///
/// # Examples
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use proven::{InputDomain, LinearBounds, Norm};
/// use proven::noise::{certify_rows, Gaussian, TailBound, Truncation};
/// // f(x) = x0 + x1 + 1 (exact linear bounds) on the 6σ box, σ = 0.1.
/// let x0 = DVector::from_vec(vec![0.0, 0.0]);
/// let dom = InputDomain::ball(x0.clone(), 0.6, Norm::LInf).unwrap();
/// let a = DMatrix::from_row_slice(1, 2, &[1.0, 1.0]);
/// let b = DVector::from_vec(vec![1.0]);
/// let lb = LinearBounds::new(a.clone(), b.clone(), a, b, dom).unwrap();
/// let g = Gaussian::isotropic(2, 0.1, Truncation::BoxSigmas(6.0)).unwrap();
/// let rows = certify_rows(&lb, &x0, &g, TailBound::Exact, 0.0).unwrap();
/// // P[f(X) ≤ 0] = Φ(−1/(0.1·√2)) ≈ 7.7e-13, plus the truncation mass ≈ 3.9e-9.
/// assert!(rows[0].lower.value() <= 7.7e-13 && 7.7e-13 <= rows[0].upper.value());
/// assert!(rows[0].upper.value() < 1e-8);
/// ```
pub fn certify_rows<T: Float>(
    bounds: &LinearBounds<T>,
    x0: &DVector<T>,
    noise: &dyn NoiseModel,
    tail: TailBound,
    tau: f64,
) -> Result<Vec<RowCertificate>> {
    if !tail.is_certified() {
        return Err(Error::NotCertified {
            what: "certify_rows",
        });
    }
    if !tau.is_finite() {
        return Err(Error::invalid("tau", tau, "the threshold must be finite"));
    }
    check_domain(bounds.domain(), x0, noise)?;
    let mean = noise.mean();
    let c: Vec<f64> = x0.iter().zip(&mean).map(|(x, m)| x.as_f64() + m).collect();
    let truncation = noise.mass_outside();
    // Rows of the column-major `A` are strided; transposed once, each is a contiguous column.
    let n = bounds.lower().a.ncols();
    let (lower_t, upper_t) = (rows_f64(&bounds.lower().a), rows_f64(&bounds.upper().a));
    let (lower_rows, upper_rows) = (&lower_t[..], &upper_t[..]);
    (0..bounds.rows())
        .map(|r| {
            let al = &lower_rows[r * n..(r + 1) * n];
            let au = &upper_rows[r * n..(r + 1) * n];
            let (ml, el) = margin(al, &c, bounds.lower().b[r].as_f64(), tau);
            let (mu, eu) = margin(au, &c, bounds.upper().b[r].as_f64(), tau);
            // Upper bound on P[L ≤ τ] = P[a_L·(Δ − EΔ) ≤ −ml].
            let s = ml - el;
            let lower_line_tail = if s > 0.0 {
                noise.tail_upper(al, s, tail)?.certified()?
            } else {
                // P[Y ≤ t] = 1 − P[Y > t] ≤ 1 − P[−Y ≤ −t'] for t' > t = −s ≥ 0.
                let t = -s * (1.0 + 4.0 * f64::EPSILON) + f64::MIN_POSITIVE;
                let neg: Vec<f64> = al.iter().map(|v| -v).collect();
                noise.tail_lower(&neg, t, tail)?.complement_upper()
            };
            // Lower bound on P[U ≤ τ] = P[a_U·(Δ − EΔ) ≤ −mu].
            let s = mu + eu;
            let upper_line_tail = if s >= 0.0 {
                noise.tail_lower(au, s, tail)?
            } else {
                // P[Y ≤ t] ≥ 1 − P[−Y ≤ −t] with t = −s > 0.
                let neg: Vec<f64> = au.iter().map(|v| -v).collect();
                noise
                    .tail_upper(&neg, -s, tail)?
                    .certified()?
                    .complement_lower()
            };
            Ok(RowCertificate {
                row: r,
                lower_line_margin: ml,
                upper_line_margin: mu,
                lower_line_tail,
                upper_line_tail,
                truncation,
                upper: lower_line_tail.add_upper(truncation),
                lower: upper_line_tail.sub_lower(truncation),
            })
        })
        .collect()
}

/// `(Σ a_k c_k, Σ |a_k c_k|)` in four interleaved lanes over equal-length slices (no index
/// checks in the loop, so it vectorises; any summation order keeps the callers' γ bound).
fn dot_and_abs_dot(a: &[f64], c: &[f64]) -> (f64, f64) {
    let (mut p, mut q) = ([0.0f64; 4], [0.0f64; 4]);
    let (ac, cc) = (a.chunks_exact(4), c.chunks_exact(4));
    let (ar, cr) = (ac.remainder(), cc.remainder());
    for (x, y) in ac.zip(cc) {
        for t in 0..4 {
            let v = x[t] * y[t];
            p[t] += v;
            q[t] += v.abs();
        }
    }
    let (mut dot, mut abs) = ((p[0] + p[1]) + (p[2] + p[3]), (q[0] + q[1]) + (q[2] + q[3]));
    for (x, y) in ar.iter().zip(cr) {
        let v = x * y;
        dot += v;
        abs += v.abs();
    }
    (dot, abs)
}

/// The rows of a column-major matrix, one after the other, as `f64` (row `r` at
/// `r·cols .. (r + 1)·cols`): one read pass in storage order.
fn rows_f64<T: Float>(m: &nalgebra::DMatrix<T>) -> Vec<f64> {
    let (rows, cols) = m.shape();
    let mut out = vec![0.0; rows * cols];
    for (j, column) in m.as_slice().chunks_exact(rows.max(1)).enumerate() {
        for (r, v) in column.iter().enumerate() {
            out[r * cols + j] = v.as_f64();
        }
    }
    out
}

/// A top-1 certificate: a union bound over the rows (one per competing class).
#[derive(Debug, Clone, PartialEq)]
pub struct Top1Certificate {
    /// Certified upper bound on `P[some row ≤ τ]`: `P[X ∉ B] + Σ_r P[L_r(X) ≤ τ]` (the truncation
    /// mass is counted once).
    pub failure: Probability,
    /// The failure budget δ.
    pub delta: f64,
    /// The plain sum test `failure ≤ δ`.
    pub certified_sum: bool,
    /// The equal-split test: every `P[L_r(X) ≤ τ] ≤ (δ − P[X ∉ B]) / K` (implies the sum test).
    pub certified_equal_split: bool,
}

/// Union bound over the rows of one input: the top-1 prediction survives with probability at
/// least `1 − failure`.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `0 < δ < 1` and `rows` is non-empty.
pub fn top1(rows: &[RowCertificate], delta: f64) -> Result<Top1Certificate> {
    if !(delta > 0.0 && delta < 1.0) {
        return Err(Error::invalid(
            "delta",
            delta,
            "the failure budget must lie in (0, 1)",
        ));
    }
    if rows.is_empty() {
        return Err(Error::invalid("rows", 0.0, "at least one row is needed"));
    }
    let trunc = rows
        .iter()
        .map(|r| r.truncation)
        .fold(
            Probability::ZERO,
            |m, p| if p.ln() > m.ln() { p } else { m },
        );
    let failure = rows
        .iter()
        .fold(trunc, |acc, r| acc.add_upper(r.lower_line_tail));
    let share = Probability::new(delta)?.sub_lower(trunc).divide(rows.len());
    let certified_equal_split =
        !share.is_zero() && rows.iter().all(|r| r.lower_line_tail.ln() <= share.ln());
    Ok(Top1Certificate {
        failure,
        delta,
        certified_sum: failure.at_most(delta),
        certified_equal_split,
    })
}
