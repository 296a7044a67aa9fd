//! A blur-like covariance on a square image grid, for correlated Gaussian noise.

use nalgebra::DMatrix;

/// The covariance `Σ = B Bᵀ / max_k (B Bᵀ)_kk` of blurred white noise on a `side × side` grid
/// (row-major pixels), where `B` is the 3x3 binomial blur
///
/// ```text
/// B = k ⊗ k / 16,   k = [1, 2, 1],   zero padding at the border
/// ```
///
/// Noise `Δ = s·B Z / c` with `Z ~ N(0, I)` has covariance `s²Σ`: neighbouring pixels move
/// together (correlation 2/3 between horizontal neighbours inside the grid), the largest
/// per-pixel standard deviation is exactly `s`, and pixels at the border vary a little less.
/// `Σ` is positive semi-definite by construction (a Gram matrix), which is what
/// [`crate::noise::CorrelatedGaussian`] and [`crate::certify::NoiseFamily::CorrelatedGaussian`]
/// require.
///
/// # Examples
/// ```
/// use proven::datasets::blur_covariance;
/// let cov = blur_covariance(8);
/// assert_eq!(cov.shape(), (64, 64));
/// let max_var = (0..64).map(|k| cov[(k, k)]).fold(0.0, f64::max);
/// assert!((max_var - 1.0).abs() < 1e-12);
/// // Horizontal neighbours in the middle of the grid are strongly correlated.
/// let (a, b) = (3 * 8 + 3, 3 * 8 + 4);
/// assert!(cov[(a, b)] / (cov[(a, a)] * cov[(b, b)]).sqrt() > 0.5);
/// ```
pub fn blur_covariance(side: usize) -> DMatrix<f64> {
    let n = side * side;
    let k = [1.0, 2.0, 1.0];
    let mut blur = DMatrix::zeros(n, n);
    for r in 0..side {
        for c in 0..side {
            for (dr, wr) in k.iter().enumerate() {
                for (dc, wc) in k.iter().enumerate() {
                    let (rr, cc) = (r + dr, c + dc);
                    if (1..=side).contains(&rr) && (1..=side).contains(&cc) {
                        blur[(r * side + c, (rr - 1) * side + (cc - 1))] = wr * wc / 16.0;
                    }
                }
            }
        }
    }
    let cov = &blur * blur.transpose();
    let max_var = (0..n).map(|i| cov[(i, i)]).fold(0.0, f64::max);
    let mut cov = cov / max_var.max(f64::MIN_POSITIVE);
    // Exact symmetry (the product is symmetric up to rounding).
    for i in 0..n {
        for j in 0..i {
            let v = 0.5 * (cov[(i, j)] + cov[(j, i)]);
            cov[(i, j)] = v;
            cov[(j, i)] = v;
        }
    }
    cov
}
