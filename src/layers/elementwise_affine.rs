//! Element-wise affine layer `y = s ⊙ x + t`, including per-input normalisation
//! `(x − mean) / std` as real models carry it.
//!
//! ```text
//! IBP:       y_i ∈ [min(s_i l_i, s_i u_i), max(s_i l_i, s_i u_i)] + t_i
//! backward:  Λ·y = (Λ·diag(s))·x + Λ·t     (exact)
//! ```

use super::{Backward, BackwardContext, Layer};
use crate::{Error, Float, Interval, Result};
use nalgebra::{DMatrix, DVector};

/// `y = scale ⊙ x + shift`.
#[derive(Debug, Clone)]
pub struct ElementwiseAffine<T: Float> {
    scale: DVector<T>,
    shift: DVector<T>,
}

fn check_finite<T: Float>(v: &DVector<T>, what: &str) -> Result<()> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(Error::NonFinite {
            context: format!("element-wise affine layer {what}"),
            index: i,
            value: v[i].as_f64(),
        }),
        None => Ok(()),
    }
}

impl<T: Float> ElementwiseAffine<T> {
    /// Builds `y = scale ⊙ x + shift`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] for unequal or zero lengths, [`Error::NonFinite`] for NaN or
    /// infinite entries.
    pub fn new(scale: DVector<T>, shift: DVector<T>) -> Result<Self> {
        if scale.len() != shift.len() {
            return Err(Error::mismatch(
                "element-wise affine shift length (= scale length)",
                scale.len(),
                shift.len(),
            ));
        }
        if scale.is_empty() {
            return Err(Error::mismatch("element-wise affine length", 1, 0));
        }
        check_finite(&scale, "scale")?;
        check_finite(&shift, "shift")?;
        Ok(Self { scale, shift })
    }

    /// Per-input normalisation `(x − mean) / std`.
    ///
    /// # Errors
    /// As [`ElementwiseAffine::new`], and [`Error::InvalidParameter`] for a `std` entry that is
    /// zero.
    ///
    /// # Examples
    /// ```
    /// use proven::layers::ElementwiseAffine;
    /// use proven::Layer;
    /// use nalgebra::DVector;
    /// let n = ElementwiseAffine::normalization(DVector::from_vec(vec![0.5]), DVector::from_vec(vec![0.25])).unwrap();
    /// assert_eq!(n.forward(&DVector::from_vec(vec![1.0]))[0], 2.0);
    /// ```
    pub fn normalization(mean: DVector<T>, std: DVector<T>) -> Result<Self> {
        if let Some(i) = std.iter().position(|s| s.is_zero()) {
            let _ = i;
            return Err(Error::invalid(
                "std",
                0.0,
                "normalisation needs non-zero standard deviations",
            ));
        }
        check_finite(&mean, "mean")?;
        check_finite(&std, "std")?;
        if mean.len() != std.len() {
            return Err(Error::mismatch(
                "normalisation std length (= mean length)",
                mean.len(),
                std.len(),
            ));
        }
        let scale = std.map(|s| T::one() / s);
        let shift = mean.zip_map(&std, |m, s| -m / s);
        Self::new(scale, shift)
    }

    /// A per-channel affine map on a `C × H × W` tensor (NCHW): every pixel of channel `c` is
    /// mapped to `scale[c]·x + shift[c]`. This is inference-mode batch normalisation with
    /// `scale = γ/√(var + ε)` and `shift = β − scale·μ` when it cannot be folded into a
    /// neighbouring affine layer.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `scale` or `shift` does not have `C` entries or the shape
    /// has a zero extent; [`Error::NonFinite`] for NaN or infinite entries (index = channel).
    ///
    /// # Examples
    /// ```
    /// use proven::layers::{ElementwiseAffine, Shape3};
    /// use proven::Layer;
    /// use nalgebra::DVector;
    /// let s = Shape3::new(2, 1, 2).unwrap();
    /// let bn = ElementwiseAffine::per_channel(s, &[2.0, -1.0], &[0.0, 1.0]).unwrap();
    /// let y = bn.forward(&DVector::from_vec(vec![1.0, 2.0, 3.0, 4.0]));
    /// assert_eq!(y.as_slice(), &[2.0, 4.0, -2.0, -3.0]);
    /// ```
    pub fn per_channel(shape: super::Shape3, scale: &[T], shift: &[T]) -> Result<Self> {
        shape.validate("per-channel affine shape")?;
        for (what, v) in [("scale", scale), ("shift", shift)] {
            if v.len() != shape.channels {
                return Err(Error::mismatch(
                    format!("per-channel affine {what} length (= channels)"),
                    shape.channels,
                    v.len(),
                ));
            }
            if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                return Err(Error::NonFinite {
                    context: format!("per-channel affine {what} (index = channel)"),
                    index: i,
                    value: v[i].as_f64(),
                });
            }
        }
        let plane = shape.plane();
        let expand = |v: &[T]| DVector::from_fn(shape.len(), |j, _| v[j / plane]);
        Self::new(expand(scale), expand(shift))
    }

    /// The scale vector.
    pub fn scale(&self) -> &DVector<T> {
        &self.scale
    }

    /// The shift vector.
    pub fn shift(&self) -> &DVector<T> {
        &self.shift
    }
}

impl<T: Float> Layer<T> for ElementwiseAffine<T> {
    fn kind(&self) -> &'static str {
        "elementwise_affine"
    }
    fn input_dim(&self) -> usize {
        self.scale.len()
    }
    fn output_dim(&self) -> usize {
        self.scale.len()
    }
    fn forward(&self, x: &DVector<T>) -> DVector<T> {
        x.component_mul(&self.scale) + &self.shift
    }
    fn forward_batch(&self, x: &DMatrix<T>) -> DMatrix<T> {
        let mut y = x.clone();
        for mut col in y.column_iter_mut() {
            col.component_mul_assign(&self.scale);
            col += &self.shift;
        }
        y
    }
    fn interval(&self, input: &Interval<T>) -> Interval<T> {
        let a = input.lower().component_mul(&self.scale) + &self.shift;
        let b = input.upper().component_mul(&self.scale) + &self.shift;
        Interval::new_unchecked(
            a.zip_map(&b, |p, q| p.min(q)),
            a.zip_map(&b, |p, q| p.max(q)),
        )
    }
    fn is_linear(&self) -> bool {
        true
    }
    fn backward(&self, lambda: &DMatrix<T>, _ctx: &BackwardContext<'_, T>) -> Result<Backward<T>> {
        let mut out = lambda.clone();
        for (j, mut col) in out.column_iter_mut().enumerate() {
            col *= self.scale[j];
        }
        Ok(Backward {
            lambda: out,
            offset: lambda * &self.shift,
        })
    }
    fn backward_identity(
        &self,
        rows: &[usize],
        _ctx: &BackwardContext<'_, T>,
    ) -> Result<Backward<T>> {
        let n = self.scale.len();
        let mut lambda = DMatrix::zeros(rows.len(), n);
        let mut offset = DVector::zeros(rows.len());
        for (r, &j) in rows.iter().enumerate() {
            if j >= n {
                return Err(Error::mismatch(
                    "elementwise_affine backward_identity row (< size)",
                    n,
                    j,
                ));
            }
            lambda[(r, j)] = self.scale[j];
            offset[r] = self.shift[j];
        }
        Ok(Backward { lambda, offset })
    }
}
