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
    /// `Some(h)` when the region is a box `[−h, h]^d` (lower and upper ends opposite and all
    /// half-widths equal, each up to one rounding): then `h`, the largest `|lo_k|` and `|hi_k|`,
    /// covers it, `‖Δ‖∞ ≤ h` for every `Δ` in it. `None` for any other box and for a ball.
    ///
    /// # Examples
    /// ```
    /// use proven::noise::Region;
    /// let cube = Region::Box { lo: vec![-0.1; 3], hi: vec![0.1; 3] };
    /// assert_eq!(cube.cube_half_width(), Some(0.1));
    /// let shifted = Region::Box { lo: vec![0.0; 3], hi: vec![0.1; 3] };
    /// assert_eq!(shifted.cube_half_width(), None);
    /// ```
    pub fn cube_half_width(&self) -> Option<f64> {
        let Region::Box { lo, hi } = self else {
            return None;
        };
        let first = *hi.first()?;
        let near = |a: f64, b: f64| (a - b).abs() <= f64::EPSILON * b.abs();
        let cube = lo.len() == hi.len()
            && lo
                .iter()
                .zip(hi)
                .all(|(l, h)| near(-l, *h) && near(*h, first));
        cube.then(|| {
            lo.iter()
                .zip(hi)
                .fold(0.0f64, |m, (l, h)| m.max(-l).max(*h))
        })
    }

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
