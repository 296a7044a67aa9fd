//! Dense (fully connected, affine) layer `y = W·x + b`.
//!
//! ```text
//! IBP:       y ∈ W·c + b ± |W|·r        (c, r: midpoint and half-width of the input box)
//! backward:  Λ·y = (Λ·W)·x + Λ·b        (exact)
//! ```
//!
//! # References
//! Gowal et al., *On the Effectiveness of Interval Bound Propagation*, 2018, eq. (6);
//! Zhang et al., *CROWN*, NeurIPS 2018, Theorem 3.2.

use super::{Backward, BackwardContext, Layer};
use crate::{Error, Float, Interval, Result};
use nalgebra::{DMatrix, DMatrixView, DVector};

/// A dense layer `y = W·x + b` with `W` of shape outputs × inputs.
#[derive(Debug, Clone)]
pub struct Dense<T: Float> {
    weights: DMatrix<T>,
    bias: DVector<T>,
    /// `Wᵀ`, so that a row of `W` is a contiguous column here (used to gather rows of `W`).
    transposed: DMatrix<T>,
    /// Names these weights in the per-thread cache of gathered rows ([`super::gather_cache`]).
    id: u64,
}

impl<T: Float> Dense<T> {
    /// Builds a dense layer.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `bias.len() != weights.nrows()` or the matrix is empty;
    /// [`Error::NonFinite`] for a NaN or infinite weight or bias (index is row-major).
    ///
    /// # Examples
    /// ```
    /// use proven::layers::Dense;
    /// use nalgebra::{DMatrix, DMatrixView, DVector};
    /// let d = Dense::new(DMatrix::from_row_slice(1, 2, &[1.0, -1.0]), DVector::from_vec(vec![0.5])).unwrap();
    /// assert!(Dense::new(DMatrix::from_row_slice(1, 1, &[f64::NAN]), DVector::zeros(1)).is_err());
    /// # let _ = d;
    /// ```
    pub fn new(weights: DMatrix<T>, bias: DVector<T>) -> Result<Self> {
        if bias.len() != weights.nrows() {
            return Err(Error::mismatch(
                "dense layer bias length (= weight rows)",
                weights.nrows(),
                bias.len(),
            ));
        }
        if weights.nrows() == 0 || weights.ncols() == 0 {
            return Err(Error::mismatch("dense layer weight size", 1, 0));
        }
        for r in 0..weights.nrows() {
            for c in 0..weights.ncols() {
                let v = weights[(r, c)];
                if !v.is_finite() {
                    return Err(Error::NonFinite {
                        context: format!("dense layer weights (row {r}, column {c})"),
                        index: r * weights.ncols() + c,
                        value: v.as_f64(),
                    });
                }
            }
        }
        if let Some(i) = bias.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                context: "dense layer bias".into(),
                index: i,
                value: bias[i].as_f64(),
            });
        }
        let transposed = weights.transpose();
        Ok(Self {
            weights,
            bias,
            transposed,
            id: super::gather_cache::next_id(),
        })
    }

    /// The weight matrix (outputs × inputs).
    pub fn weights(&self) -> &DMatrix<T> {
        &self.weights
    }

    /// The bias vector.
    pub fn bias(&self) -> &DVector<T> {
        &self.bias
    }
}

impl<T: Float> Layer<T> for Dense<T> {
    fn kind(&self) -> &'static str {
        "dense"
    }
    fn input_dim(&self) -> usize {
        self.weights.ncols()
    }
    fn output_dim(&self) -> usize {
        self.weights.nrows()
    }
    fn forward(&self, x: &DVector<T>) -> DVector<T> {
        &self.weights * x + &self.bias
    }
    fn forward_batch(&self, x: &DMatrix<T>) -> DMatrix<T> {
        let mut y = &self.weights * x;
        for mut col in y.column_iter_mut() {
            col += &self.bias;
        }
        y
    }
    fn interval(&self, input: &Interval<T>) -> Interval<T> {
        let (mid, spread) = center_and_spread(&self.weights, &input.center(), &input.radius());
        let mid = mid + &self.bias;
        Interval::new_unchecked(&mid - &spread, &mid + &spread)
    }
    fn is_linear(&self) -> bool {
        true
    }
    fn backward(&self, lambda: &DMatrix<T>, _ctx: &BackwardContext<'_, T>) -> Result<Backward<T>> {
        let (lambda, offset) = skip_zero_columns_product(lambda, self);
        Ok(Backward { lambda, offset })
    }
    fn backward_identity(
        &self,
        rows: &[usize],
        _ctx: &BackwardContext<'_, T>,
    ) -> Result<Backward<T>> {
        if let Some(&j) = rows.iter().find(|&&j| j >= self.weights.nrows()) {
            return Err(Error::mismatch(
                "dense backward_identity row (< layer outputs)",
                self.weights.nrows(),
                j,
            ));
        }
        Ok(Backward {
            lambda: gather_rows(&self.weights, rows),
            offset: DVector::from_iterator(rows.len(), rows.iter().map(|&j| self.bias[j])),
        })
    }
}

/// `(Λ·W, Λ·b)`, leaving out the columns of `Λ` that are all zero (and the matching rows of `W`
/// and entries of `b`).
///
/// After a ReLU, the columns of the neurons that are inactive on the whole domain are zero, so
/// they contribute nothing to `Λ·W`: `Λ·W = Λ[:, nz]·W[nz, :]` with `nz` the non-zero columns.
/// The weights are finite (checked by [`Dense::new`]), so a zero column adds exactly `±0` to every
/// sum it enters. The kept rows of `W` are the kept columns of `Wᵀ` (`transposed`), copied as
/// contiguous columns and multiplied through a transposed (strided) view. The gathered product
/// is used only when it saves work: the saved multiply-adds (`zero columns × rows × n`) must
/// outweigh the copy of the kept rows of `W` (`kept × n`); the copy is kept per thread and
/// reused while the same (or nearly the same) columns are zero ([`super::gather_cache`]).
/// The bias term `Λ·b` of the gathered case is `Λ[:, nz]·b[nz]`, taken from the selected
/// columns while they are in cache (the same terms minus exact zeros; over all of `Λ` it read the
/// whole matrix once more, 4.4 % of a 256x4 call). Products of at most [`FEW_ROWS`] rows go
/// through [`few_rows_product`], those of up to [`NALGEBRA_SMALL_DIM`] rows get zero rows added
/// first.
fn skip_zero_columns_product<T: Float>(
    lambda: &DMatrix<T>,
    layer: &Dense<T>,
) -> (DMatrix<T>, DVector<T>) {
    let (weights, transposed, bias) = (&layer.weights, &layer.transposed, &layer.bias);
    let rows = lambda.nrows();
    if rows <= FEW_ROWS {
        return (few_rows_product(lambda, transposed), lambda * bias);
    }
    if rows <= NALGEBRA_SMALL_DIM {
        // Zero rows added so that nalgebra hands the product to matrixmultiply.
        let padded = lambda
            .clone()
            .resize_vertically(NALGEBRA_SMALL_DIM + 1, T::zero());
        let (product, offset) = skip_zero_columns_product(&padded, layer);
        return (
            product.rows(0, rows).into_owned(),
            offset.rows(0, rows).into_owned(),
        );
    }
    let kept = non_zero_columns(lambda);
    let zeros = lambda.ncols() - kept.len();
    if zeros == 0 || zeros * rows < 4 * kept.len() {
        return (lambda * weights, lambda * bias);
    }
    if kept.is_empty() {
        return (DMatrix::zeros(rows, weights.ncols()), DVector::zeros(rows));
    }
    let n = weights.ncols();
    let gather = || {
        let by_row = transposed.as_slice();
        let mut rows_of_w = Vec::with_capacity(kept.len() * n);
        for &k in &kept {
            rows_of_w.extend_from_slice(&by_row[k * n..(k + 1) * n]);
        }
        rows_of_w
    };
    // The rows W[kept, :] row after row: entry (t, c) at t·n + c.
    super::gather_cache::with_gathered(layer.id, &kept, gather, |held, rows_of_w: &[T]| {
        // `held ⊇ kept`: the extra columns of Λ are zero and add exact zeros.
        let w_held = DMatrixView::from_slice_with_strides(rows_of_w, held.len(), n, n, 1);
        let selected = lambda.select_columns(held);
        let bias_held = DVector::from_iterator(held.len(), held.iter().map(|&k| bias[k]));
        (&selected * w_held, &selected * bias_held)
    })
}

/// Up to this many rows, [`few_rows_product`] beats the general product. Measured (µs, one
/// thread, `rows × 64 × 64` / `rows × 256 × 784`): 1 row 1.1 / 59 against 3.8 / 180 for
/// matrixmultiply, 4 rows 3.7 / 199 against 3.8 / 187; from 4 rows on matrixmultiply's
/// AVX-512 kernel wins (the loops here are compiled for baseline x86-64).
const FEW_ROWS: usize = 3;

/// nalgebra multiplies matrices with at most this many rows (or columns) column by column
/// through small matrix–vector products, 3–5× slower here than matrixmultiply; such products
/// get zero rows added first.
const NALGEBRA_SMALL_DIM: usize = 5;

/// `Λ·W` row by row: row `r` is `Σ_k Λ_rk·W_k,:`, one contiguous pass over row `k` of `W`
/// (column `k` of `transposed`) per non-zero `Λ_rk`, so zero entries (inactive neurons) cost
/// nothing. Each entry is the same sum as in the plain product, in the order of `k`.
fn few_rows_product<T: Float>(lambda: &DMatrix<T>, transposed: &DMatrix<T>) -> DMatrix<T> {
    let (rows, n) = (lambda.nrows(), transposed.nrows());
    let mut out = DMatrix::zeros(rows, n);
    let mut row = vec![T::zero(); n];
    for r in 0..rows {
        row.fill(T::zero());
        for (k, w) in transposed.as_slice().chunks_exact(n.max(1)).enumerate() {
            let l = lambda[(r, k)];
            if l != T::zero() {
                for (o, &wk) in row.iter_mut().zip(w) {
                    *o += l * wk;
                }
            }
        }
        for (c, v) in row.iter().enumerate() {
            out[(r, c)] = *v;
        }
    }
    out
}

/// The indices of the columns of `Λ` with a non-zero entry. A column is looked at from its
/// first entry, so a non-zero column usually costs one comparison.
fn non_zero_columns<T: Float>(lambda: &DMatrix<T>) -> Vec<usize> {
    let zero = T::zero();
    let rows = lambda.nrows().max(1);
    let mut kept = Vec::with_capacity(lambda.ncols());
    for (j, column) in lambda.as_slice().chunks_exact(rows).enumerate() {
        // A column of an active or unstable neuron almost always has a non-zero first entry;
        // one that starts with 0 is almost always all zero (an inactive neuron), so it is read
        // whole without early exits, which lets the test vectorise.
        let non_zero =
            column[0] != zero || column.iter().fold(false, |seen, v| seen | (*v != zero));
        if non_zero {
            kept.push(j);
        }
    }
    kept
}

/// `M[rows, :]` (rows in the given order, repeats allowed), copied column by column: each column
/// of the column-major `M` is read where the rows ask and written contiguously. Every index must
/// be below `M.nrows()` (callers check, or take them from `M` itself).
pub(crate) fn gather_rows<T: Float>(m: &DMatrix<T>, rows: &[usize]) -> DMatrix<T> {
    let height = m.nrows().max(1);
    let mut data = Vec::with_capacity(rows.len() * m.ncols());
    for column in m.as_slice().chunks_exact(height) {
        data.extend(rows.iter().map(|&r| column[r]));
    }
    DMatrix::from_vec(rows.len(), m.ncols(), data)
}

/// `(W·c, |W|·r)` in one pass over the column-major `W`: for every input `j`, the column `W[:, j]`
/// is read once and added into both sums (`W·c += W[:, j]·c_j`, `|W|·r += |W[:, j]|·r_j`). This
/// is IBP's midpoint–radius form (Gowal et al. 2018, eq. 6) without forming `|W|`; inputs with
/// `c_j = r_j = 0` add nothing and are skipped.
fn center_and_spread<T: Float>(
    weights: &DMatrix<T>,
    center: &DVector<T>,
    radius: &DVector<T>,
) -> (DVector<T>, DVector<T>) {
    let rows = weights.nrows();
    let mut mid = vec![T::zero(); rows];
    let mut spread = vec![T::zero(); rows];
    let zero = T::zero();
    let used: Vec<usize> = (0..weights.ncols())
        .filter(|&j| !(center[j] == zero && radius[j] == zero))
        .collect();
    let column = |j: usize| &weights.as_slice()[j * rows..(j + 1) * rows];
    // Four columns per visit of the two sums (they live in memory), each row still adding its
    // terms in the order of `j`; the last columns after the groups.
    let groups = used.chunks_exact(4);
    let rest = groups.remainder();
    for g in groups {
        let (c0, c1, c2, c3) = (center[g[0]], center[g[1]], center[g[2]], center[g[3]]);
        let (r0, r1, r2, r3) = (radius[g[0]], radius[g[1]], radius[g[2]], radius[g[3]]);
        let ws = column(g[0])
            .iter()
            .zip(column(g[1]))
            .zip(column(g[2]).iter().zip(column(g[3])));
        for ((m, s), ((&w0, &w1), (&w2, &w3))) in mid.iter_mut().zip(spread.iter_mut()).zip(ws) {
            *m = (((*m + w0 * c0) + w1 * c1) + w2 * c2) + w3 * c3;
            *s = (((*s + w0.abs() * r0) + w1.abs() * r1) + w2.abs() * r2) + w3.abs() * r3;
        }
    }
    for &j in rest {
        let (c, r) = (center[j], radius[j]);
        for ((m, s), &w) in mid.iter_mut().zip(spread.iter_mut()).zip(column(j)) {
            *m += w * c;
            *s += w.abs() * r;
        }
    }
    (DVector::from_vec(mid), DVector::from_vec(spread))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic entries with exact zeros.
    fn matrix(rows: usize, cols: usize, seed: u64) -> DMatrix<f64> {
        let mut s = seed;
        DMatrix::from_fn(rows, cols, |_, _| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            if u < 0.3 { 0.0 } else { u - 0.65 }
        })
    }

    /// The gathered, transposed-view product and the few-rows product equal the plain product,
    /// and the bias term over the kept columns equals `Λ·b`, whatever columns of `Λ` are zero
    /// (none, some, all).
    #[test]
    fn zero_column_skipping_equals_the_plain_product() {
        let w = matrix(12, 9, 3);
        let b = DVector::from_fn(12, |i, _| 0.25 * i as f64 - 1.3);
        let layer = Dense::new(w.clone(), b.clone()).unwrap();
        for (rows, zero_every) in [
            (1, 0),
            (5, 2),
            (40, 3),
            (7, 1),
            (8, 0),
            (9, 2),
            (3, 1),
            (4, 0),
            (2, 3),
        ] {
            let mut lambda = matrix(rows, 12, rows as u64);
            if zero_every > 0 {
                for j in (0..12).step_by(zero_every) {
                    lambda.column_mut(j).fill(0.0);
                }
            }
            let (fast, offset) = skip_zero_columns_product(&lambda, &layer);
            let plain = &lambda * &w;
            assert!(
                (fast - plain).abs().max() <= 1e-14,
                "{rows} rows, every {zero_every}"
            );
            assert!(
                (offset - &lambda * &b).abs().max() <= 1e-14,
                "bias term: {rows} rows, every {zero_every}"
            );
        }
    }

    /// The per-thread cache of gathered rows never hands one layer's rows to another, and
    /// follows a change of the kept rows: layers with different weights alternate on the same
    /// and on different zero patterns, and every product is checked against the plain one.
    #[test]
    fn cached_gathers_belong_to_their_layer_and_pattern() {
        let layers: Vec<Dense<f64>> = (0..3)
            .map(|s| Dense::new(matrix(12, 9, 10 + s), DVector::zeros(12)).unwrap())
            .collect();
        let clone = layers[0].clone();
        for round in 0..4 {
            for (i, layer) in layers.iter().chain([&clone]).enumerate() {
                let mut lambda = matrix(30, 12, (round * 7 + i) as u64);
                for j in (round % 3..12).step_by(2 + round % 2) {
                    lambda.column_mut(j).fill(0.0);
                }
                let fast = skip_zero_columns_product(&lambda, layer).0;
                let plain = &lambda * layer.weights();
                assert!(
                    (fast - plain).abs().max() <= 1e-14,
                    "round {round}, layer {i}"
                );
            }
        }
    }

    #[test]
    fn gathered_rows_are_the_selected_rows() {
        let m = matrix(6, 4, 11);
        let g = gather_rows(&m, &[5, 0, 5, 2]);
        assert_eq!(g, m.select_rows(&[5, 0, 5, 2]));
    }

    /// The fused IBP pass is the midpoint–radius formula.
    /// Four columns per visit give every row the same sums, bit for bit, as one column at a
    /// time, with inputs fixed at 0 (skipped) anywhere in the groups.
    #[test]
    fn grouped_center_and_spread_equal_the_column_by_column_sums() {
        let w = matrix(6, 15, 4);
        let center = DVector::from_fn(15, |j, _| {
            if j % 5 == 1 {
                0.0
            } else {
                0.3 * j as f64 - 2.0
            }
        });
        let radius = DVector::from_fn(15, |j, _| {
            if j % 5 == 1 {
                0.0
            } else {
                0.1 + j as f64 / 7.0
            }
        });
        let (mid, spread) = center_and_spread(&w, &center, &radius);
        let (mut want_mid, mut want_spread) = (DVector::zeros(6), DVector::zeros(6));
        for j in 0..15 {
            for i in 0..6 {
                want_mid[i] += w[(i, j)] * center[j];
                want_spread[i] += w[(i, j)].abs() * radius[j];
            }
        }
        assert_eq!(mid, want_mid);
        assert_eq!(spread, want_spread);
    }

    #[test]
    fn interval_is_the_midpoint_radius_image() {
        let d = Dense::new(matrix(5, 7, 2), DVector::from_fn(5, |i, _| i as f64 - 2.0)).unwrap();
        let lo = DVector::from_fn(7, |i, _| -(i as f64) / 3.0);
        let hi = DVector::from_fn(7, |i, _| if i == 3 { lo[i] } else { 1.0 + i as f64 / 5.0 });
        let b = Interval::new(lo, hi).unwrap();
        let out = d.interval(&b);
        let mid = d.weights() * b.center() + d.bias();
        let spread = d.weights().abs() * b.radius();
        assert!((out.lower() - (&mid - &spread)).abs().max() <= 1e-14);
        assert!((out.upper() - (&mid + &spread)).abs().max() <= 1e-14);
    }
}
