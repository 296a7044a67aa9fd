//! [`Region`]: the set of noise offsets on which the linear bounds must hold.

/// A set of offsets `Δ` (relative to `x0`): the support of bounded noise, or the truncation region
/// of Gaussian noise.
#[derive(Debug, Clone, PartialEq)]
pub enum Region {
    /// The box `lo ≤ Δ ≤ hi` (coordinate-wise).
    Box {
        /// Lower ends.
        lo: Vec<f64>,
        /// Upper ends.
        hi: Vec<f64>,
    },
    /// The Euclidean ball `‖Δ‖₂ ≤ radius`.
    L2Ball {
        /// Radius.
        radius: f64,
    },
}

impl Region {
    /// Whether `delta` lies in the region.
    ///
    /// # Examples
    /// ```
    /// use proven::noise::Region;
    /// let r = Region::L2Ball { radius: 1.0 };
    /// assert!(r.contains(&[0.6, 0.8]));
    /// assert!(!r.contains(&[0.6, 0.9]));
    /// ```
    pub fn contains(&self, delta: &[f64]) -> bool {
        match self {
            Region::Box { lo, hi } => {
                delta.len() == lo.len()
                    && delta
                        .iter()
                        .zip(lo.iter().zip(hi))
                        .all(|(d, (l, h))| *l <= *d && *d <= *h)
            }
            Region::L2Ball { radius } => delta.iter().map(|d| d * d).sum::<f64>().sqrt() <= *radius,
        }
    }
}
