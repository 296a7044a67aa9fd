//! The affine map accumulated since the last emitted layer.
//!
//! Constant element-wise operations (Add, Sub, Mul, Div) and linear operations (Gemm, MatMul) are
//! composed here and emitted as one layer when a non-linear operation, a second linear operation or
//! the end of the graph is reached: `MatMul → Add` becomes one dense layer, and `Sub → Div` on the
//! input becomes one normalisation layer.

use super::spec::LayerSpec;
use nalgebra::{DMatrix, DVector};

/// An affine map not yet emitted as a layer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Pending {
    /// Nothing accumulated: the identity on `n` coordinates.
    Identity(usize),
    /// `y = scale ⊙ x + shift`.
    Diagonal {
        scale: DVector<f64>,
        shift: DVector<f64>,
    },
    /// `y = W·x + b`.
    Dense { w: DMatrix<f64>, b: DVector<f64> },
}

impl Pending {
    /// Output size of the accumulated map.
    pub fn output_dim(&self) -> usize {
        match self {
            Pending::Identity(n) => *n,
            Pending::Diagonal { scale, .. } => scale.len(),
            Pending::Dense { w, .. } => w.nrows(),
        }
    }

    /// Composes `y ↦ scale ⊙ y + shift` after the accumulated map (lengths equal `output_dim`).
    pub fn then_elementwise(self, scale: &DVector<f64>, shift: &DVector<f64>) -> Pending {
        match self {
            Pending::Identity(_) => Pending::Diagonal {
                scale: scale.clone(),
                shift: shift.clone(),
            },
            Pending::Diagonal { scale: s, shift: t } => Pending::Diagonal {
                scale: scale.component_mul(&s),
                shift: scale.component_mul(&t) + shift,
            },
            Pending::Dense { mut w, b } => {
                for (mut row, &k) in w.row_iter_mut().zip(scale.iter()) {
                    row *= k;
                }
                Pending::Dense {
                    w,
                    b: scale.component_mul(&b) + shift,
                }
            }
        }
    }

    /// Composes `y ↦ W·y` after the accumulated map; an earlier dense or diagonal map is emitted
    /// into `layers` first, so consecutive linear layers are kept apart.
    pub fn then_linear(self, w: DMatrix<f64>, layers: &mut Vec<LayerSpec>) -> Pending {
        self.flush(layers);
        let b = DVector::zeros(w.nrows());
        Pending::Dense { w, b }
    }

    /// Emits the accumulated map as a layer (nothing for the identity or a trivial diagonal map).
    pub fn flush(self, layers: &mut Vec<LayerSpec>) {
        match self {
            Pending::Identity(_) => {}
            Pending::Diagonal { scale, shift } => {
                // Exactly the identity (e.g. subtracting an all-zero mean): nothing to emit.
                #[allow(clippy::float_cmp)]
                let trivial = scale.iter().all(|&s| s == 1.0) && shift.iter().all(|&t| t == 0.0);
                if !trivial {
                    layers.push(LayerSpec::Affine { scale, shift });
                }
            }
            Pending::Dense { w, b } => layers.push(LayerSpec::Dense {
                weights: w,
                bias: b,
            }),
        }
    }

    /// Returns any non-finite coefficient as `(flat index, value)` (overflow while folding).
    pub fn first_non_finite(&self) -> Option<(usize, f64)> {
        let find = |v: &[f64]| v.iter().position(|x| !x.is_finite()).map(|i| (i, v[i]));
        match self {
            Pending::Identity(_) => None,
            Pending::Diagonal { scale, shift } => {
                find(scale.as_slice()).or_else(|| find(shift.as_slice()))
            }
            Pending::Dense { w, b } => find(w.as_slice()).or_else(|| find(b.as_slice())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_then_add_is_one_dense_layer() {
        let mut layers = Vec::new();
        let w = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let p = Pending::Identity(3).then_linear(w.clone(), &mut layers);
        let p = p.then_elementwise(
            &DVector::from_element(2, 1.0),
            &DVector::from_vec(vec![0.5, -0.5]),
        );
        p.flush(&mut layers);
        assert_eq!(layers.len(), 1);
        let x = DVector::from_vec(vec![1.0, 0.0, -1.0]);
        assert_eq!(layers[0].forward(&x), DVector::from_vec(vec![-1.5, -2.5]));
    }

    #[test]
    fn normalisation_then_dense_gives_two_layers() {
        let mut layers = Vec::new();
        let p = Pending::Identity(2)
            .then_elementwise(
                &DVector::from_element(2, 1.0),
                &DVector::from_element(2, -1.0),
            )
            .then_elementwise(&DVector::from_element(2, 0.5), &DVector::zeros(2));
        let p = p.then_linear(DMatrix::identity(2, 2), &mut layers);
        p.flush(&mut layers);
        assert_eq!(layers.len(), 2);
        let x = DVector::from_vec(vec![3.0, 5.0]);
        let y = layers.iter().fold(x, |v, l| l.forward(&v));
        assert_eq!(y, DVector::from_vec(vec![1.0, 2.0]));
    }
}
