//! [`ColumnMajor`]: the rows handed to [`super::NoiseModel::tail_upper_rows`], and the
//! column-sweep kernels that read them.

use crate::{Error, Result};
use nalgebra::DMatrix;

/// A borrowed `rows × cols` matrix of `f64` stored column by column (nalgebra's layout): the
/// `A` of a [`crate::LinearBounds`] as it comes out of the engine, one row per specification row.
///
/// The slice is contiguous, so kernels can sweep it column by column with one accumulator per
/// row (see [`super::NoiseModel::tail_upper_rows`]).
///
/// # Examples
/// ```
/// use nalgebra::DMatrix;
/// use proven::noise::ColumnMajor;
/// let m = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// let a = ColumnMajor::from(&m);
/// assert_eq!((a.nrows(), a.ncols()), (2, 3));
/// assert_eq!(a.row(1).collect::<Vec<_>>(), vec![4.0, 5.0, 6.0]);
/// assert_eq!(a.column(2), &[3.0, 6.0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColumnMajor<'a> {
    values: &'a [f64],
    rows: usize,
    cols: usize,
}

impl<'a> ColumnMajor<'a> {
    /// The matrix whose column `j` is `values[j·rows .. (j+1)·rows]`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] unless `values.len() = rows·cols`.
    pub fn new(values: &'a [f64], rows: usize, cols: usize) -> Result<Self> {
        match rows.checked_mul(cols) {
            Some(n) if n == values.len() => Ok(Self { values, rows, cols }),
            _ => Err(Error::mismatch(
                "column-major matrix: values (= rows × cols)",
                rows.saturating_mul(cols),
                values.len(),
            )),
        }
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.rows
    }

    /// Number of columns (the noise dimension `d`).
    pub fn ncols(&self) -> usize {
        self.cols
    }

    /// All values, column by column.
    pub fn values(&self) -> &'a [f64] {
        self.values
    }

    /// Column `j`.
    ///
    /// # Panics
    /// If `j ≥ ncols()`.
    pub fn column(&self, j: usize) -> &'a [f64] {
        &self.values[j * self.rows..(j + 1) * self.rows]
    }

    /// The entries of row `r`, left to right.
    ///
    /// # Panics
    /// If `r ≥ nrows()` (when the matrix has a column).
    pub fn row(&self, r: usize) -> impl Iterator<Item = f64> + 'a {
        assert!(r < self.rows || self.cols == 0, "row {r} of {}", self.rows);
        self.values
            .get(r..)
            .unwrap_or(&[])
            .iter()
            .step_by(self.rows.max(1))
            .copied()
    }

    /// The columns, left to right.
    pub fn columns(&self) -> std::slice::ChunksExact<'a, f64> {
        self.values.chunks_exact(self.rows.max(1))
    }
}

impl<'a> From<&'a DMatrix<f64>> for ColumnMajor<'a> {
    fn from(m: &'a DMatrix<f64>) -> Self {
        Self {
            values: m.as_slice(),
            rows: m.nrows(),
            cols: m.ncols(),
        }
    }
}

/// Per row `r`, the `K` sums `Σ_j term(a_{rj}, w_j)[k]` (`w_j` = `weights[j]`), in one sweep
/// over the columns. Four columns are added per visit of a row's accumulators, which live in
/// memory (the row count is known only at run time). Each row's sums are sums of its `d` terms
/// in some order, which every `γ_d`-style error bound allows.
pub(crate) fn row_sums<const K: usize>(
    a: ColumnMajor<'_>,
    weights: impl Fn(usize) -> f64,
    term: impl Fn(f64, f64) -> [f64; K],
) -> Vec<[f64; K]> {
    let rows = a.nrows();
    let mut acc = vec![[0.0; K]; rows];
    if rows == 0 {
        return acc;
    }
    let blocks = a.values().chunks_exact(4 * rows);
    let rest = blocks.remainder();
    for (b, block) in blocks.enumerate() {
        let j = 4 * b;
        let (w0, w1, w2, w3) = (weights(j), weights(j + 1), weights(j + 2), weights(j + 3));
        let (x0, block) = block.split_at(rows);
        let (x1, block) = block.split_at(rows);
        let (x2, x3) = block.split_at(rows);
        let columns = x0.iter().zip(x1).zip(x2.iter().zip(x3));
        for (sum, ((&y0, &y1), (&y2, &y3))) in acc.iter_mut().zip(columns) {
            let (t0, t1, t2, t3) = (term(y0, w0), term(y1, w1), term(y2, w2), term(y3, w3));
            for k in 0..K {
                sum[k] += (t0[k] + t1[k]) + (t2[k] + t3[k]);
            }
        }
    }
    let first = a.ncols() - rest.len() / rows;
    for (i, column) in rest.chunks_exact(rows).enumerate() {
        let w = weights(first + i);
        for (sum, &y) in acc.iter_mut().zip(column) {
            let t = term(y, w);
            for k in 0..K {
                sum[k] += t[k];
            }
        }
    }
    acc
}

/// Whether every value is finite: `x·0` is 0 for finite `x` and NaN otherwise, so one
/// branch-free sum decides.
pub(crate) fn all_finite(values: &[f64]) -> bool {
    let mut lanes = [0.0f64; 4];
    let chunks = values.chunks_exact(4);
    let rest = chunks.remainder();
    for chunk in chunks {
        for t in 0..4 {
            lanes[t] += chunk[t] * 0.0;
        }
    }
    let tail: f64 = rest.iter().map(|x| x * 0.0).sum();
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + tail == 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn construction_checks_the_length() {
        assert!(ColumnMajor::new(&[1.0; 6], 2, 3).is_ok());
        assert!(matches!(
            ColumnMajor::new(&[1.0; 5], 2, 3),
            Err(Error::DimensionMismatch { .. })
        ));
        assert!(ColumnMajor::new(&[], 0, 5).is_ok());
    }

    #[test]
    fn row_sums_equal_plain_row_sums() {
        // Every column count from 0 to 9 (blocks of four and remainders), 1 to 5 rows.
        for rows in 1..=5 {
            for cols in 0..=9 {
                let m = DMatrix::from_fn(rows, cols, |r, j| {
                    ((r * 7 + j * 3) % 11) as f64 - 5.0 + 0.25 * r as f64
                });
                let w: Vec<f64> = (0..cols).map(|j| 0.5 + j as f64).collect();
                let got = row_sums(ColumnMajor::from(&m), |j| w[j], |x, wj| [x * wj, x.abs()]);
                for r in 0..rows {
                    let dot: f64 = (0..cols).map(|j| m[(r, j)] * w[j]).sum();
                    let abs: f64 = (0..cols).map(|j| m[(r, j)].abs()).sum();
                    assert!((got[r][0] - dot).abs() <= 1e-12 * (1.0 + dot.abs()));
                    assert!((got[r][1] - abs).abs() <= 1e-12 * (1.0 + abs));
                }
            }
        }
    }

    #[test]
    fn all_finite_finds_every_non_finite_value() {
        for n in 0..10 {
            let v: Vec<f64> = (0..n).map(|i| i as f64 - 3.0).collect();
            assert!(all_finite(&v));
            for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                for k in 0..n {
                    let mut w = v.clone();
                    w[k] = bad;
                    assert!(!all_finite(&w), "n {n}, index {k}, value {bad}");
                }
            }
        }
        assert!(all_finite(&[f64::MAX, f64::MAX, -f64::MAX]));
    }

    #[test]
    fn rows_and_columns_read_the_matrix() {
        let m = DMatrix::from_fn(3, 4, |r, j| (10 * r + j) as f64);
        let a = ColumnMajor::from(&m);
        for r in 0..3 {
            let row: Vec<f64> = a.row(r).collect();
            assert_eq!(row, m.row(r).iter().copied().collect::<Vec<_>>());
        }
        for (j, column) in a.columns().enumerate() {
            assert_eq!(column, a.column(j));
            assert_eq!(column, m.column(j).as_slice());
        }
    }
}
