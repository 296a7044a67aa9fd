//! Per-row and top-1 certificates: [`LinearBounds`] + `x0` + a [`NoiseModel`] → certified bounds
//! on `P[C_r f(X) ≤ τ]`.

use super::ColumnMajor;
use super::column_major::row_sums;
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
    let x = |k: usize| x0[k].as_f64();
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
                    Region::Box { lo, hi } => (x(k) + lo[k], x(k) + hi[k]),
                    Region::L2Ball { radius } => (x(k) - radius, x(k) + radius),
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
            let r = radius.as_f64();
            // Offsets from the centre first: exact when x0 is the centre (the usual case), and
            // never `(x + h) − c`, whose rounding is relative to |x|, not to the radius.
            let shift = |k: usize| x(k) - center[k].as_f64();
            // Farthest vertex, coordinate by coordinate (norms are monotone in |v_k|), and the
            // magnitudes for the rounding slack.
            let box_extent = |lo: &dyn Fn(usize) -> f64, hi: &dyn Fn(usize) -> f64| {
                let (mut e, mut m) = (NormSum::new(*norm), NormSum::new(*norm));
                for k in 0..d {
                    let (s, l, h) = (shift(k), lo(k), hi(k));
                    e.add((s + l).abs().max((s + h).abs()));
                    m.add(s.abs() + l.abs().max(h.abs()));
                }
                (e.value(), m.value())
            };
            let cube_or_region = match noise.cube_half_width() {
                Some(h) => Ok(h),
                None => Err(noise.region()),
            };
            let (need, spread) = match cube_or_region {
                // A cube region, without building its vectors.
                Ok(h) => box_extent(&|_| -h, &|_| h),
                Err(Region::Box { lo, hi }) => box_extent(&|k| lo[k], &|k| hi[k]),
                Err(Region::L2Ball { radius: rr }) => {
                    let mut v = NormSum::new(*norm);
                    for k in 0..d {
                        v.add(shift(k).abs());
                    }
                    let grow = match norm {
                        Norm::LInf | Norm::L2 => rr,
                        Norm::L1 => rr * (d as f64).sqrt(),
                    };
                    let n = v.value();
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

/// The norm `‖v‖_p` of a non-negative vector, accumulated one entry at a time.
struct NormSum {
    norm: Norm,
    acc: f64,
}

impl NormSum {
    fn new(norm: Norm) -> Self {
        Self { norm, acc: 0.0 }
    }
    fn add(&mut self, v: f64) {
        match self.norm {
            Norm::LInf => self.acc = self.acc.max(v),
            Norm::L2 => self.acc += v * v,
            Norm::L1 => self.acc += v,
        }
    }
    fn value(&self) -> f64 {
        match self.norm {
            Norm::L2 => self.acc.sqrt(),
            Norm::LInf | Norm::L1 => self.acc,
        }
    }
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
/// trivial upper bound 1. Under bounded noise (no mass outside the region), a lower line that
/// stays above `τ` on the whole ball domain has probability 0 and needs no tail.
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
    rows_on_region(bounds, x0, noise, tail, tau)
}

/// [`certify_rows`] without its checks, for callers whose `bounds` hold on a domain built from
/// `x0 + noise.region()` (so [`check_domain`] holds by construction), with a certified `tail`
/// and a finite `tau`.
pub(crate) fn rows_on_region<T: Float>(
    bounds: &LinearBounds<T>,
    x0: &DVector<T>,
    noise: &dyn NoiseModel,
    tail: TailBound,
    tau: f64,
) -> Result<Vec<RowCertificate>> {
    let mut c = noise.mean();
    // Slices, not nalgebra's strided iterators: these loops run once per certificate.
    for (ck, x) in c.iter_mut().zip(x0.as_slice()) {
        *ck += x.as_f64();
    }
    let truncation = noise.mass_outside();
    let (rows, n) = bounds.lower().a.shape();
    // The column-major `A` as f64 (borrowed when `T = f64`), read column by column.
    let lower_a = T::slice_as_f64(bounds.lower().a.as_slice());
    let upper_a = T::slice_as_f64(bounds.upper().a.as_slice());
    let lower = ColumnMajor::new(&lower_a, rows, n)?;
    let upper = ColumnMajor::new(&upper_a, rows, n)?;
    let centred = centre_margins(bounds, &c, tau);
    // Bounded noise lives inside the domain: a lower line above τ on the whole domain is above
    // τ on every draw, P[L(X) ≤ τ] = 0 exactly (what the worst-case test certifies).
    let above_on_domain = match &centred {
        Some((lower_margins, _)) if truncation.is_zero() => {
            lines_above_on_ball(bounds, lower_margins).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    let (lower_margins, upper_margins) = match centred {
        Some(both) => both,
        None => (
            margins(lower, &c, bounds.lower().b.as_slice(), tau),
            margins(upper, &c, bounds.upper().b.as_slice(), tau),
        ),
    };
    let above = |r: usize| above_on_domain.get(r).copied().unwrap_or(false);
    // Both tails start at their trivial values (1 for the upper bound, 0 for the lower bound;
    // 0 for a lower line above τ on the domain); the calls below set the other rows once.
    let mut out: Vec<RowCertificate> = (0..rows)
        .map(|r| RowCertificate {
            row: r,
            lower_line_margin: lower_margins[r].0,
            upper_line_margin: upper_margins[r].0,
            lower_line_tail: if above(r) {
                Probability::ZERO
            } else {
                Probability::ONE
            },
            upper_line_tail: Probability::ZERO,
            truncation,
            upper: Probability::ONE,
            lower: Probability::ZERO,
        })
        .collect();
    // Upper bound on P[L ≤ τ] = P[a_L·(Δ − EΔ) ≤ −ml], s = ml − el.
    let s_lower = |r: usize| lower_margins[r].0 - lower_margins[r].1;
    let direct = |r: usize| s_lower(r) > 0.0;
    // s > 0: the tail at s, all such rows (but those above τ on the domain) in one call.
    let tails = |a: ColumnMajor<'_>, s: &[f64]| noise.tail_upper_rows(a, s, tail);
    for_rows(
        lower,
        |r| direct(r) && !above(r),
        s_lower,
        false,
        tails,
        |r, v| {
            out[r].lower_line_tail = v.certified()?;
            Ok(())
        },
    )?;
    // Otherwise P[Y ≤ t] = 1 − P[Y > t] ≤ 1 − P[−Y ≤ −t'] for t' > t = −s ≥ 0. Without lower
    // tails that is 1, the starting value, for every row with a finite `s` (a finite row); a
    // row with a non-finite `s` still goes to the model, which names the bad entry.
    let t_lower = |r: usize| -s_lower(r) * (1.0 + 4.0 * f64::EPSILON) + f64::MIN_POSITIVE;
    let tails = |a: ColumnMajor<'_>, t: &[f64]| noise.tail_lower_rows(a, t, tail);
    let lower_tail_needed =
        |r: usize| !direct(r) && (tail.gives_lower_bound() || !s_lower(r).is_finite());
    for_rows(lower, lower_tail_needed, t_lower, true, tails, |r, p| {
        out[r].lower_line_tail = p.complement_upper();
        Ok(())
    })?;
    // Lower bound on P[U ≤ τ] = P[a_U·(Δ − EΔ) ≤ −mu], s = mu + eu.
    let s_upper = |r: usize| upper_margins[r].0 + upper_margins[r].1;
    let direct = |r: usize| s_upper(r) >= 0.0;
    // s ≥ 0: the tail at s. Methods without lower bounds give 0, the starting value; a finite
    // `s` also means a finite row (a non-finite entry makes the margin's sum NaN or infinite).
    if tail.gives_lower_bound() {
        let tails = |a: ColumnMajor<'_>, s: &[f64]| noise.tail_lower_rows(a, s, tail);
        for_rows(upper, direct, s_upper, false, tails, |r, p| {
            out[r].upper_line_tail = p;
            Ok(())
        })?;
    }
    // Otherwise P[Y ≤ t] ≥ 1 − P[−Y ≤ −t] with t = −s > 0.
    let tails = |a: ColumnMajor<'_>, t: &[f64]| noise.tail_upper_rows(a, t, tail);
    for_rows(
        upper,
        |r| !direct(r),
        |r| -s_upper(r),
        true,
        tails,
        |r, v| {
            out[r].upper_line_tail = v.certified()?.complement_lower();
            Ok(())
        },
    )?;
    for row in &mut out {
        row.upper = row.lower_line_tail.add_upper(truncation);
        row.lower = row.upper_line_tail.sub_lower(truncation);
    }
    Ok(out)
}

/// Runs `tails` once on the rows `r` of `a` with `keep(r)` (negated when `negate`), at
/// `value(r)`, and hands each result to `set(r, ·)`. Every row kept and not negated (the
/// common case) passes `a` itself; no row kept makes no call.
fn for_rows<R>(
    a: ColumnMajor<'_>,
    keep: impl Fn(usize) -> bool,
    value: impl Fn(usize) -> f64,
    negate: bool,
    tails: impl FnOnce(ColumnMajor<'_>, &[f64]) -> Result<Vec<R>>,
    mut set: impl FnMut(usize, R) -> Result<()>,
) -> Result<()> {
    let (rows, d) = (a.nrows(), a.ncols());
    let count = (0..rows).filter(|&r| keep(r)).count();
    if count == 0 {
        return Ok(());
    }
    let kept: Vec<usize> = if count == rows {
        Vec::new()
    } else {
        (0..rows).filter(|&r| keep(r)).collect()
    };
    let index = |i: usize| if count == rows { i } else { kept[i] };
    let values: Vec<f64> = (0..count).map(|i| value(index(i))).collect();
    let results = if count == rows && !negate {
        tails(a, &values)?
    } else if count == rows {
        let sub: Vec<f64> = a.values().iter().map(|v| -v).collect();
        tails(ColumnMajor::new(&sub, rows, d)?, &values)?
    } else {
        let sign = if negate { -1.0 } else { 1.0 };
        let mut sub = Vec::with_capacity(count * d);
        for column in a.columns() {
            sub.extend(kept.iter().map(|&r| sign * column[r]));
        }
        tails(ColumnMajor::new(&sub, count, d)?, &values)?
    };
    if results.len() != count {
        return Err(Error::mismatch(
            "noise tails of many rows: results (= rows)",
            count,
            results.len(),
        ));
    }
    for (i, v) in results.into_iter().enumerate() {
        set(index(i), v)?;
    }
    Ok(())
}

/// `(a_r·c + b_r − τ, error bound)` for every row `r` of `a`, in one sweep over its columns
/// (the `γ` bound holds for any order of each row's sums).
fn margins<T: Float>(a: ColumnMajor<'_>, c: &[f64], b: &[T], tau: f64) -> Margins {
    let d = a.ncols();
    row_sums(
        a,
        |j| c[j],
        |x, cj| {
            let v = x * cj;
            [v, v.abs()]
        },
    )
    .into_iter()
    .zip(b)
    .map(|([dot, abs], b)| margin_from_sums(dot, abs, d, b.as_f64(), tau))
    .collect()
}

/// Per row of a line whose `margins` came from [`centre_margins`]: whether the line stays above
/// `τ` on the whole ball, `a·x0 + b − τ − ε‖a‖_q > 0` with the margin's error bound subtracted
/// and the stored `‖a‖_q` rounded up to the exact one (`(1 + 2γ_{d+3}(T))`, as there). `None`
/// when the bounds hold on no ball or `T` is too coarse.
fn lines_above_on_ball<T: Float>(bounds: &LinearBounds<T>, margins: &Margins) -> Option<Vec<bool>> {
    let sums = bounds.centre_sums()?;
    let InputDomain::Ball { radius, .. } = bounds.domain() else {
        return None;
    };
    let grow = (1.0 + 2.0 * gamma_of::<T>(bounds.input_dim() + 3)?) * (1.0 + 4.0 * f64::EPSILON);
    let radius = radius.as_f64();
    let dual = sums.lower_dual.as_slice();
    Some(
        margins
            .iter()
            .zip(dual)
            .map(|(&(m, err), q)| {
                // `m − err` and the product each rounded to their unfavourable side.
                let s = (m - err) * (1.0 - 4.0 * f64::EPSILON);
                s > 0.0 && s > radius * q.as_f64() * grow
            })
            .collect(),
    )
}

/// Higham's `γ_n = n·u / (1 − n·u)` for the unit roundoff `u` of `T`, while `n·u < 1/4` (so
/// `γ_n < 1/3`, which the bounds on the kept sums need); `None` for a `T` too coarse.
fn gamma_of<T: Float>(n: usize) -> Option<f64> {
    let nu = n as f64 * (T::epsilon().as_f64() / 2.0);
    (nu < 0.25).then(|| nu / (1.0 - nu))
}

/// `(a_r·c + b_r − τ, error bound)` per row of one line.
type Margins = Vec<(f64, f64)>;

/// Both lines' `(a_r·c + b_r − τ, error bound)` from the sums the bounds kept when they were
/// concretised over a ball centred on `c` ([`LinearBounds`]' centre sums: `a_r·x0` and
/// `‖a_r‖_q`, summed in `T`); `None` (sweep `A` instead) for a box, another centre, a
/// non-finite norm, or a `T` too coarse for the bound below.
///
/// The `T` dot product `ŝ` of `d` terms is within `γ_d Σ_k |a_k c_k|` of `a·c` (Higham, *Accuracy
/// and Stability of Numerical Algorithms*, 2nd ed., §3.1), and Hölder's inequality gives
/// `Σ_k |a_k c_k| ≤ ‖c‖_p ‖a‖_q` for the ball's norm `p` and its dual `q`. The stored `‖a‖_q` is
/// itself a `T` sum, at least `(1 − γ_{d+2})` times the exact one, so
///
/// ```text
/// |ŝ + b − τ − (a·c + b − τ)| ≤ 2 γ_{d+3}(T) ‖c‖_p ‖a‖_q(stored) + γ_3(f64) (|ŝ| + |b| + |τ|)
/// ```
/// while `γ_{d+3}(T) < 1/3` (the factor 2 covers `1/(1 − γ_{d+2})`).
#[allow(
    clippy::float_cmp,
    reason = "the sums hold at the centre exactly, not at a point near it"
)]
fn centre_margins<T: Float>(
    bounds: &LinearBounds<T>,
    c: &[f64],
    tau: f64,
) -> Option<(Margins, Margins)> {
    let sums = bounds.centre_sums()?;
    let InputDomain::Ball { center, norm, .. } = bounds.domain() else {
        return None;
    };
    let centre = center.as_slice();
    if centre.len() != c.len() || centre.iter().zip(c).any(|(x, ck)| x.as_f64() != *ck) {
        return None;
    }
    let d = c.len();
    let gamma_t = gamma_of::<T>(d + 3)?;
    // ‖c‖_p, rounded up.
    let c_norm = match norm {
        Norm::LInf => c.iter().fold(0.0f64, |m, v| m.max(v.abs())),
        Norm::L1 => c.iter().map(|v| v.abs()).sum::<f64>() * (1.0 + gamma(d)),
        Norm::L2 => c.iter().map(|v| v * v).sum::<f64>().sqrt() * (1.0 + gamma(d + 2)),
    };
    let gamma_3 = gamma(3);
    let line = |dot: &DVector<T>, dual: &DVector<T>, b: &DVector<T>| {
        let mut out = Vec::with_capacity(dot.len());
        let (dot, dual, b) = (dot.as_slice(), dual.as_slice(), b.as_slice());
        for ((dot, dual), b) in dot.iter().zip(dual).zip(b) {
            let (dot, dual, b) = (dot.as_f64(), dual.as_f64(), b.as_f64());
            if !dual.is_finite() {
                return None;
            }
            let err = 2.0 * gamma_t * c_norm * dual + gamma_3 * (dot.abs() + b.abs() + tau.abs());
            out.push((dot + b - tau, err * (1.0 + 4.0 * f64::EPSILON)));
        }
        Some(out)
    };
    Some((
        line(&sums.lower_dot, &sums.lower_dual, &bounds.lower().b)?,
        line(&sums.upper_dot, &sums.upper_dual, &bounds.upper().b)?,
    ))
}

/// `a·c + b − τ` and its a-priori rounding bound `γ_{d+3}(Σ|a_k c_k| + |b| + |τ|)` from the two
/// sums of a row of length `d`.
fn margin_from_sums(dot: f64, abs_dot: f64, d: usize, b: f64, tau: f64) -> (f64, f64) {
    let v = dot + b - tau;
    let mag = abs_dot + b.abs() + tau.abs();
    (v, gamma(d + 3) * mag)
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

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::DMatrix;
    use rand::{RngExt, SeedableRng};

    /// `Σ a_k c_k` in double-double (error-free products and sums): within `1e-30` relative of
    /// the exact value, far below the bounds checked here.
    fn exact_dot(a: impl Iterator<Item = f64>, c: &[f64]) -> f64 {
        let (mut hi, mut lo) = (0.0f64, 0.0f64);
        for (x, y) in a.zip(c) {
            let p = x * y;
            let p_err = x.mul_add(*y, -p);
            let s = hi + p;
            let z = s - hi;
            let s_err = (hi - (s - z)) + (p - z);
            hi = s;
            lo += s_err + p_err;
        }
        hi + lo
    }

    /// Entries over six orders of magnitude with both signs, some rows nearly cancelling.
    fn rows<T: Float>(rng: &mut rand::rngs::StdRng, rows: usize, d: usize) -> DMatrix<T> {
        DMatrix::from_fn(rows, d, |r, _| {
            let m = 10f64.powf(rng.random_range(-3.0..3.0));
            let v = if r % 3 == 0 {
                m
            } else {
                m * rng.random_range(-1.0..1.0)
            };
            T::from_f64_rounded(if rng.random_bool(0.5) { v } else { -v })
        })
    }

    /// The margins taken from the kept ball sums (`f32` and `f64` lines, ℓ∞, ℓ2 and ℓ1 balls)
    /// are within their error bound of the exact `a·x0 + b − τ`, and agree with the sweep.
    fn centre_margins_cover_the_exact_value<T: Float>() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(23);
        for d in [1, 7, 64, 784] {
            for norm in [Norm::LInf, Norm::L2, Norm::L1] {
                let x0 =
                    DVector::from_fn(d, |_, _| T::from_f64_rounded(rng.random_range(-2.0..2.0)));
                let (al, au) = (rows::<T>(&mut rng, 9, d), rows::<T>(&mut rng, 9, d));
                // Offsets that cancel the dot product of most rows (the hardest case).
                let offset = |a: &DMatrix<T>, r: usize| {
                    let c: Vec<f64> = x0.iter().map(|v| v.as_f64()).collect();
                    T::from_f64_rounded(-exact_dot(a.row(r).iter().map(|v| v.as_f64()), &c) * 0.999)
                };
                let bl = DVector::from_fn(9, |r, _| offset(&al, r));
                let bu = DVector::from_fn(9, |r, _| offset(&au, r));
                let radius = T::from_f64_rounded(0.1);
                let dom = InputDomain::ball(x0.clone(), radius, norm).unwrap();
                let bounds =
                    LinearBounds::new(al.clone(), bl.clone(), au.clone(), bu.clone(), dom).unwrap();
                let c: Vec<f64> = x0.iter().map(|v| v.as_f64()).collect();
                for tau in [0.0, 0.37] {
                    let (lower, upper) = centre_margins(&bounds, &c, tau).expect("centred ball");
                    for (a, b, got) in [(&al, &bl, &lower), (&au, &bu, &upper)] {
                        let a64: DMatrix<f64> = a.map(|v| v.as_f64());
                        let swept = margins(ColumnMajor::from(&a64), &c, b.as_slice(), tau);
                        for r in 0..9 {
                            let exact = exact_dot(a.row(r).iter().map(|v| v.as_f64()), &c)
                                + b[r].as_f64()
                                - tau;
                            let (v, err) = got[r];
                            assert!(
                                (v - exact).abs() <= err,
                                "{} d {d} {norm:?} row {r}: {v} vs exact {exact}, bound {err}",
                                T::NAME
                            );
                            // Both are within their bounds of the same value.
                            assert!((v - swept[r].0).abs() <= err + swept[r].1);
                        }
                    }
                }
                // Another centre (noise with a mean) goes back to the sweep.
                let shifted: Vec<f64> = c.iter().map(|v| v + 0.01).collect();
                assert!(centre_margins(&bounds, &shifted, 0.0).is_none());
            }
        }
    }

    /// A line flagged as above τ on the ball has its exact minimum over the ball above τ, and a
    /// line whose minimum clears τ by more than the rounding bounds of `T` is flagged (ℓ∞, ℓ2,
    /// ℓ1 balls; f32, f64).
    fn lines_above_on_ball_agree_with_the_exact_minimum<T: Float>() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(29);
        for d in [1, 7, 64, 784] {
            for norm in [Norm::LInf, Norm::L2, Norm::L1] {
                let x0 =
                    DVector::from_fn(d, |_, _| T::from_f64_rounded(rng.random_range(-2.0..2.0)));
                let c: Vec<f64> = x0.iter().map(|v| v.as_f64()).collect();
                let a = rows::<T>(&mut rng, 8, d);
                let radius = T::from_f64_rounded(0.1);
                let rho = radius.as_f64();
                // The exact dual norm of each row (double-double sums; ℓ2 through one sqrt,
                // relative error ~1e-16, far below the 1e-6 gaps below).
                let dual = |r: usize| {
                    let row: Vec<f64> = a.row(r).iter().map(|v| v.as_f64()).collect();
                    match norm {
                        Norm::LInf => exact_dot(row.iter().map(|v| v.abs()), &vec![1.0; d]),
                        Norm::L2 => exact_dot(row.iter().copied(), &row).sqrt(),
                        Norm::L1 => row.iter().fold(0.0f64, |m, v| m.max(v.abs())),
                    }
                };
                // Offsets putting each row's exact minimum just above or just below 0 (by a
                // gap that grows with the row, up to a relative 1e-3 for `f32`).
                let gap = 1e-6_f64.max(1e4 * T::epsilon().as_f64());
                let mins: Vec<f64> = (0..8)
                    .map(|r| {
                        let sign = if r % 2 == 0 { 1.0 } else { -1.0 };
                        sign * gap * (1.0 + rho * dual(r)) * (1.0 + (r / 2) as f64)
                    })
                    .collect();
                let b = DVector::from_fn(8, |r, _| {
                    let dot = exact_dot(a.row(r).iter().map(|v| v.as_f64()), &c);
                    T::from_f64_rounded(mins[r] + rho * dual(r) - dot)
                });
                let dom = InputDomain::ball(x0.clone(), radius, norm).unwrap();
                let bounds =
                    LinearBounds::new(a.clone(), b.clone(), a.clone(), b.clone(), dom).unwrap();
                let (lower, _) = centre_margins(&bounds, &c, 0.0).unwrap();
                let above = lines_above_on_ball(&bounds, &lower).unwrap();
                for r in 0..8 {
                    let dot = exact_dot(a.row(r).iter().map(|v| v.as_f64()), &c);
                    let exact_min = dot + b[r].as_f64() - rho * dual(r);
                    let what = format!("{} d {d} {norm:?} row {r}: exact min {exact_min}", T::NAME);
                    if above[r] {
                        assert!(exact_min > 0.0, "{what}");
                    }
                    // Usefulness: flagged once the gap clears the rounding bounds of `T`.
                    let c_norm = match norm {
                        Norm::LInf => c.iter().fold(0.0f64, |m, v| m.max(v.abs())),
                        Norm::L2 => c.iter().map(|v| v * v).sum::<f64>().sqrt(),
                        Norm::L1 => c.iter().map(|v| v.abs()).sum(),
                    };
                    let scale = 1.0 + b[r].as_f64().abs() + (c_norm + rho) * dual(r);
                    let eps_t = T::epsilon().as_f64();
                    if exact_min > 8.0 * (d + 3) as f64 * eps_t * scale {
                        assert!(above[r], "{what}: not flagged");
                    }
                }
            }
        }
    }

    #[test]
    fn lines_above_on_ball_agree_with_the_exact_minimum_f64() {
        lines_above_on_ball_agree_with_the_exact_minimum::<f64>();
    }

    #[test]
    fn lines_above_on_ball_agree_with_the_exact_minimum_f32() {
        lines_above_on_ball_agree_with_the_exact_minimum::<f32>();
    }

    #[test]
    fn centre_margins_cover_the_exact_value_f64() {
        centre_margins_cover_the_exact_value::<f64>();
    }

    #[test]
    fn centre_margins_cover_the_exact_value_f32() {
        centre_margins_cover_the_exact_value::<f32>();
    }
}
