//! Tails of many rows in one call ([`NoiseModel::tail_upper_rows`],
//! [`NoiseModel::tail_lower_rows`]).
//!
//! The bound engine hands over the lines of all margins as one column-major `rows × d` matrix
//! ([`ColumnMajor`]). Reading a row of it touches one value per column; copying every row out
//! first cost more than the tails themselves (a 9 × 784 matrix: about 8 µs of a 34 µs step).
//! Models whose tails need only a few sums of the row (identically distributed bounded
//! coordinates: `Σ a_k⁺`, `Σ a_k⁻`, `Σ a_k²`) sweep the matrix once, column by column, keeping
//! the sums of every row; every other model gets the row-by-row default.

use super::column_major::{all_finite, row_sums};
use super::laws::CoordLaw;
use super::probability::{Probability, TailValue};
use super::tail_bound::TailBound;
use super::tails::{bounded_upper_iid, iid_scale, iid_tail_from_stats};
use super::{ColumnMajor, NoiseModel};
use crate::{Error, Result};

/// Checks that there is one deviation per row.
fn check_lengths(a: &ColumnMajor<'_>, s: &[f64]) -> Result<()> {
    if s.len() != a.nrows() {
        return Err(Error::mismatch(
            "noise tail: deviations (= rows)",
            a.nrows(),
            s.len(),
        ));
    }
    Ok(())
}

/// Row `r` of `a`, copied into `buf`.
fn copy_row(a: &ColumnMajor<'_>, r: usize, buf: &mut Vec<f64>) {
    buf.clear();
    buf.extend(a.row(r));
}

/// `one(row r, s[r])` for every row of `a`, each row copied into one reused buffer: the
/// defaults of [`NoiseModel::tail_upper_rows`] and [`NoiseModel::tail_lower_rows`].
pub(crate) fn row_by_row<R>(
    a: ColumnMajor<'_>,
    s: &[f64],
    mut one: impl FnMut(&[f64], f64) -> Result<R>,
) -> Result<Vec<R>> {
    check_lengths(&a, s)?;
    let mut row = Vec::with_capacity(a.ncols());
    each_row(a.nrows(), |r| {
        copy_row(&a, r, &mut row);
        one(&row, s[r])
    })
}

/// `[f(0), …, f(rows − 1)]`, or the first error, in one allocation (collecting an iterator of
/// `Result`s grows the vector from a zero size hint).
fn each_row<R>(rows: usize, mut f: impl FnMut(usize) -> Result<R>) -> Result<Vec<R>> {
    let mut out = Vec::with_capacity(rows);
    for r in 0..rows {
        out.push(f(r)?);
    }
    Ok(out)
}

/// [`NoiseModel::tail_upper_rows`] for noise whose `d` coordinates all have the law `law`
/// (uniform, Bernoulli): the sub-Gaussian and Hoeffding tails from each row's
/// `[Σ a_k⁺, Σ a_k⁻, Σ a_k²]` (`[Σ |a_k|, 0, Σ a_k²]` on a symmetric support; one sweep; a
/// non-finite entry makes `Σ a_k²` non-finite), the
/// same closed forms as the one-row path. A row with a non-finite sum or a bad `s` goes through
/// the one-row path, which names the problem; other methods go row by row.
pub(crate) fn iid_upper_rows<N: NoiseModel + ?Sized>(
    noise: &N,
    law: CoordLaw,
    a: ColumnMajor<'_>,
    s: &[f64],
    method: TailBound,
) -> Result<Vec<TailValue>> {
    check_lengths(&a, s)?;
    if iid_scale(law, method).is_none() || a.ncols() != noise.dim() {
        return row_by_row(a, s, |row, s| noise.tail_upper(row, s, method));
    }
    let d = a.ncols();
    let mut row = Vec::new();
    let mut tail =
        |r: usize, stats: [f64; 3]| match iid_tail_from_stats(law, method, d, stats, s[r]) {
            Some(p) => Ok(TailValue::Certified(p)),
            None => {
                copy_row(&a, r, &mut row);
                bounded_upper_iid(noise.name(), law, &row, s[r], method)
            }
        };
    let (lo, hi) = law.support();
    if lo.total_cmp(&-hi).is_eq() {
        // Symmetric support: only −lo·Σa⁺ + hi·Σa⁻ = hi·Σ|a_k| is used, so pass Σ|a_k| as the
        // positive part and 0 as the negative one (two sums instead of three).
        let sums = row_sums(a, |_| 1.0, |x, _| [x.abs(), x * x]);
        each_row(sums.len(), |r| tail(r, [sums[r][0], 0.0, sums[r][1]]))
    } else {
        let sums = row_sums(a, |_| 1.0, |x, _| [x.max(0.0), (-x).max(0.0), x * x]);
        each_row(sums.len(), |r| tail(r, sums[r]))
    }
}

/// [`NoiseModel::tail_lower_rows`] for identically distributed bounded coordinates: every
/// method but [`TailBound::Convolution`] gives the trivial lower bound 0 once the rows and `s`
/// are valid, which one pass over the values checks; otherwise row by row.
pub(crate) fn iid_lower_rows<N: NoiseModel + ?Sized>(
    noise: &N,
    a: ColumnMajor<'_>,
    s: &[f64],
    method: TailBound,
) -> Result<Vec<Probability>> {
    check_lengths(&a, s)?;
    let trivial = !matches!(method, TailBound::Convolution { .. });
    let valid_s = s.iter().all(|v| v.is_finite() && *v >= 0.0);
    if !trivial || !valid_s || a.ncols() != noise.dim() || !all_finite(a.values()) {
        return row_by_row(a, s, |row, s| noise.tail_lower(row, s, method));
    }
    Ok(vec![Probability::ZERO; a.nrows()])
}
