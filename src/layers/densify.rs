//! [`densify`]: the dense matrix of any affine layer, read off its backward pass.

use super::{BackwardContext, Dense, Layer, MAX_DENSE_ELEMENTS, Side};
use crate::activation::RelaxationPolicy;
use crate::{Error, Float, Result};

/// The [`Dense`] layer computing the same affine map as `layer`: with `Λ = I`, the exact backward
/// pass of an affine layer `y = W·x + b` returns `Λ' = W` and `Δ' = b`. This is the dense
/// fallback for any linear layer (for example a [`super::Conv2d`] inside an [`super::OnSlice`]),
/// used to compare against the structured form.
///
/// # Errors
/// [`Error::Unsupported`] if the layer is not linear ([`Layer::is_linear`]) or the matrix would
/// have more than [`MAX_DENSE_ELEMENTS`] entries; the layer's own backward errors.
///
/// # Examples
/// ```
/// use proven::layers::{densify, AvgPool2d, Pool2dGeometry, Shape3};
/// use proven::Layer;
/// let pool = AvgPool2d::<f64>::new(Pool2dGeometry::non_overlapping(Shape3::new(1, 2, 2).unwrap(), (2, 2)), true).unwrap();
/// let d = densify(&pool).unwrap();
/// assert_eq!(d.weights().as_slice(), &[0.25; 4]);
/// ```
pub fn densify<T: Float, L: Layer<T> + ?Sized>(layer: &L) -> Result<Dense<T>> {
    if !layer.is_linear() {
        return Err(Error::Unsupported {
            what: format!("densify: `{}` is not a linear layer", layer.kind()),
        });
    }
    let (rows, cols) = (layer.output_dim(), layer.input_dim());
    if rows
        .checked_mul(cols)
        .is_none_or(|n| n > MAX_DENSE_ELEMENTS)
    {
        return Err(Error::Unsupported {
            what: format!(
                "densify `{}`: a {rows}×{cols} matrix is larger than {MAX_DENSE_ELEMENTS} entries",
                layer.kind()
            ),
        });
    }
    let policy = RelaxationPolicy::default();
    let ctx = BackwardContext {
        side: Side::Lower,
        input_bounds: None,
        policy: &policy,
    };
    let all: Vec<usize> = (0..rows).collect();
    let b = layer.backward_identity(&all, &ctx)?;
    Dense::new(b.lambda, b.offset)
}
