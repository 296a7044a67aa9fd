//! Rigorous direct convolution of the lattice-rounded law of `S = Σ_k a_k(Δ_k − EΔ_k)`.
//!
//! Upper bound: every term is rounded *down* to the lattice `hℤ` (`Y'_k = h⌊Y_k/h⌋ ≤ Y_k`), so
//! `S' ≤ S` and `P[S ≤ −s] ≤ P[S' ≤ −s]`. Lower bound: terms rounded *up*, so `P[S ≤ −s] ≥
//! P[S'' ≤ −s]`. The lattice law is computed with additions and multiplications of non-negative
//! numbers only (window sums by the van Herk / Gil-Werman block scheme, no subtraction), so the
//! floating-point result has a relative error below `Σ γ_n`, which is applied outward. Kernel
//! weights are rounded outward too (up for the upper bound, down for the lower bound); mass that
//! can no longer cross the threshold is moved to an exact accumulator or dropped.

use super::laws::CoordLaw;
use super::probability::{Probability, U, gamma};
use crate::{Error, Result};

/// Which side of the true probability the result must lie on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Upper,
    Lower,
}

/// One term's lattice kernel: a constant weight on `[in_lo, in_hi]` plus explicit edge cells.
struct Kernel {
    in_lo: i64,
    in_hi: i64,
    in_weight: f64,
    edges: Vec<(i64, f64)>,
    min: i64,
    max: i64,
}

impl Kernel {
    fn ops(&self) -> usize {
        let w = if self.in_hi >= self.in_lo {
            (self.in_hi - self.in_lo + 1) as usize
        } else {
            0
        };
        w + 2 * self.edges.len() + 4
    }
}

fn outward(w: f64, abs_err: f64, side: Side) -> f64 {
    match side {
        Side::Upper => (w + abs_err) * (1.0 + 4.0 * U),
        Side::Lower => ((w - abs_err) * (1.0 - 4.0 * U)).max(0.0),
    }
}

/// Lattice cell of a point mass at `y`, rounded down (upper bound) or up (lower bound), with a
/// margin so that floating-point rounding of `y/h` cannot go the wrong way.
fn point_cell(y: f64, h: f64, side: Side) -> i64 {
    let r = y / h;
    let m = 8.0 * U * (1.0 + r.abs());
    match side {
        Side::Upper => (r - m).floor() as i64,
        Side::Lower => (r + m).ceil() as i64,
    }
}

fn kernel(law: CoordLaw, a: f64, h: f64, side: Side) -> Kernel {
    match law {
        CoordLaw::Uniform { half } => {
            let c = a.abs() * half;
            // Floor cells j cover [jh, (j+1)h); ceil cells are the same shifted by one.
            let shift = i64::from(side == Side::Lower);
            let lo = (-c / h).floor() as i64 - 1;
            let hi = (c / h).floor() as i64 + 1;
            let in_lo = (-c / h).ceil() as i64 + 1;
            let in_hi = (c / h).floor() as i64 - 2;
            let in_weight = outward(h / (2.0 * c), 0.0, side);
            let mut edges = Vec::new();
            for j in (lo..=hi).filter(|j| *j < in_lo || *j > in_hi) {
                let jf = j as f64;
                let len = (((jf + 1.0) * h).min(c) - (jf * h).max(-c)).max(0.0);
                let err = 4.0 * U * (jf.abs() * h + h + c) / (2.0 * c);
                let w = outward(len / (2.0 * c), err, side);
                if w > 0.0 {
                    edges.push((j + shift, w));
                }
            }
            Kernel {
                in_lo: in_lo + shift,
                in_hi: in_hi + shift,
                in_weight,
                edges,
                min: lo + shift,
                max: hi + shift,
            }
        }
        CoordLaw::TwoPoint { lo, hi, p_hi } => {
            let pts = [(a * lo, 1.0 - p_hi), (a * hi, p_hi)];
            let edges: Vec<(i64, f64)> = pts
                .iter()
                .map(|&(y, p)| (point_cell(y, h, side), outward(p, 2.0 * U, side)))
                .collect();
            let min = edges.iter().map(|e| e.0).min().unwrap_or(0);
            let max = edges.iter().map(|e| e.0).max().unwrap_or(0);
            Kernel {
                in_lo: 1,
                in_hi: 0,
                in_weight: 0.0,
                edges,
                min,
                max,
            }
        }
        CoordLaw::Bounded { .. } => unreachable!("checked by the caller"),
    }
}

/// `out[m] = Σ_{t = m−w+1}^{m} x[t]` for `m ∈ [0, n + w − 1)`, zeros outside `x`, computed with
/// additions only (block prefix and suffix sums).
fn window_sums(x: &[f64], w: usize) -> Vec<f64> {
    let n = x.len();
    let len = n + 2 * (w - 1);
    let padded_len = len.div_ceil(w) * w;
    let mut y = vec![0.0; padded_len];
    y[w - 1..w - 1 + n].copy_from_slice(x);
    let mut pre = vec![0.0; padded_len];
    let mut suf = vec![0.0; padded_len];
    for b in (0..padded_len).step_by(w) {
        let mut acc = 0.0;
        for i in b..b + w {
            acc += y[i];
            pre[i] = acc;
        }
        let mut acc = 0.0;
        for i in (b..b + w).rev() {
            acc += y[i];
            suf[i] = acc;
        }
    }
    (0..n + w - 1)
        .map(|m| {
            if m % w == 0 {
                suf[m]
            } else {
                suf[m] + pre[m + w - 1]
            }
        })
        .collect()
}

/// Bound on `P[Σ_k a_k Y_k ≤ −s]` for independent centred uniform / two-point `Y_k`, on the given
/// side of the true value.
pub(crate) fn convolution_tail(
    laws: &dyn Fn(usize) -> CoordLaw,
    a: &[f64],
    s: f64,
    cells: u32,
    side: Side,
) -> Result<Probability> {
    if cells < 16 {
        return Err(Error::invalid(
            "cells",
            f64::from(cells),
            "the convolution grid needs at least 16 cells",
        ));
    }
    let terms: Vec<(CoordLaw, f64)> = a
        .iter()
        .enumerate()
        .filter(|(_, ak)| **ak != 0.0)
        .map(|(k, &ak)| (laws(k), ak))
        .collect();
    let range: f64 = terms.iter().map(|(l, ak)| l.width() * ak.abs()).sum();
    if terms.is_empty() || range.is_nan() || range <= 0.0 {
        // S = 0 almost surely.
        return Ok(if s > 0.0 {
            Probability::ZERO
        } else {
            Probability::ONE
        });
    }
    let h = range / f64::from(cells);
    let kernels: Vec<Kernel> = terms
        .iter()
        .map(|&(l, ak)| kernel(l, ak, h, side))
        .collect();
    // Final threshold index: lattice points i·h counted iff i·h ≤ −s (outward margin).
    let t_real = -s / h;
    let margin = 8.0 * U * (1.0 + t_real.abs());
    let threshold = match side {
        Side::Upper => (t_real + margin).floor(),
        Side::Lower => (t_real - margin).floor(),
    };
    if threshold.abs() > 1e15 {
        return Err(Error::invalid(
            "s",
            s,
            "threshold too far outside the lattice",
        ));
    }
    let threshold = threshold as i64;
    // Remaining index range after term k: suffix sums of kernel minima / maxima.
    let n = kernels.len();
    let mut rem_min = vec![0i64; n + 1];
    let mut rem_max = vec![0i64; n + 1];
    for k in (0..n).rev() {
        rem_min[k] = rem_min[k + 1] + kernels[k].min;
        rem_max[k] = rem_max[k + 1] + kernels[k].max;
    }
    if rem_max[0] <= threshold {
        return Ok(Probability::ONE);
    }
    if rem_min[0] > threshold {
        return Ok(Probability::ZERO);
    }
    let mut off: i64 = 0;
    let mut pmf = vec![1.0f64];
    let mut certain = 0.0f64;
    let mut rel = 0.0f64;
    for (k, ker) in kernels.iter().enumerate() {
        let new_off = off + ker.min;
        let new_len = pmf.len() + (ker.max - ker.min) as usize;
        let mut next = vec![0.0f64; new_len];
        if ker.in_hi >= ker.in_lo {
            let w = (ker.in_hi - ker.in_lo + 1) as usize;
            let sums = window_sums(&pmf, w);
            for (m, v) in sums.iter().enumerate() {
                let i = m as i64 + ker.in_lo + off;
                next[(i - new_off) as usize] += ker.in_weight * v;
            }
        }
        for &(j, wj) in &ker.edges {
            let base = (off + j - new_off) as usize;
            for (t, v) in pmf.iter().enumerate() {
                next[base + t] += wj * v;
            }
        }
        rel += gamma(ker.ops());
        // Trim: mass that is certain to end at or below the threshold, or certain not to.
        let lo_keep = threshold - rem_max[k + 1] + 1; // i < lo_keep: certain
        let hi_keep = threshold - rem_min[k + 1]; // i > hi_keep: never
        let start = (lo_keep - new_off).clamp(0, new_len as i64) as usize;
        let end = (hi_keep - new_off + 1).clamp(0, new_len as i64) as usize;
        for v in &next[..start] {
            certain += v;
        }
        if start >= end {
            pmf = Vec::new();
            break;
        }
        pmf = next[start..end].to_vec();
        off = new_off + start as i64;
    }
    // After the last term rem = 0: every kept index is ≤ threshold.
    let total = certain + pmf.iter().sum::<f64>();
    rel += gamma(pmf.len() + n + 2);
    if rel > 0.01 {
        return Err(Error::invalid(
            "cells",
            f64::from(cells),
            "grid too fine for the a-priori rounding-error bound",
        ));
    }
    let value = match side {
        Side::Upper => total * (1.0 + 2.0 * rel) + 1e-300,
        Side::Lower => (total / (1.0 + 2.0 * rel) - 1e-300).max(0.0),
    };
    Ok(match side {
        Side::Upper => Probability::upper_from_ln(value.ln()),
        Side::Lower => Probability::lower_from_ln(value.ln()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn window_sums_match_naive() {
        let x: Vec<f64> = (0..23).map(|i| f64::from(i * i % 7) + 0.5).collect();
        for w in [1usize, 2, 3, 5, 8, 30] {
            let got = window_sums(&x, w);
            assert_eq!(got.len(), x.len() + w - 1);
            for (m, g) in got.iter().enumerate() {
                let lo = (m + 1).saturating_sub(w);
                let naive: f64 = x[lo..=m.min(x.len() - 1)].iter().sum();
                let naive = if m >= lo && lo < x.len() { naive } else { 0.0 };
                assert_relative_eq!(*g, naive, max_relative = 1e-14);
            }
        }
    }

    #[test]
    fn single_uniform_is_linear_and_bracketed() {
        // P[U ≤ −s] for U uniform on [−1, 1] is (1 − s)/2.
        let law = |_| CoordLaw::Uniform { half: 1.0 };
        for &s in &[0.0, 0.3, 0.77, 0.999] {
            let exact = (1.0 - s) / 2.0;
            let up = convolution_tail(&law, &[1.0], s, 4096, Side::Upper).unwrap();
            let lo = convolution_tail(&law, &[1.0], s, 4096, Side::Lower).unwrap();
            assert!(up.value() >= exact && lo.value() <= exact, "s={s}");
            assert!(up.value() - lo.value() < 2e-3);
        }
        let up = convolution_tail(&law, &[1.0], 1.5, 4096, Side::Upper).unwrap();
        assert!(up.is_zero());
    }
}
