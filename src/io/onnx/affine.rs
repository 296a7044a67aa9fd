//! The affine map accumulated since the last emitted layer.
//!
//! Constant element-wise operations (Add, Sub, Mul, Div) and linear operations (Gemm, MatMul) are
//! composed here and emitted as one layer when a non-linear operation, a second linear operation or
//! the end of the graph is reached: `MatMul → Add` becomes one dense layer, `Sub → Div` on the
//! input becomes one normalisation layer, and `Conv → BatchNormalization` one convolution.

use super::cnn::ConvSpec;
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
    /// A convolution (its bias holds any per-channel affine map folded after it).
    Conv(ConvSpec),
}

impl Pending {
    /// Output size of the accumulated map.
    pub fn output_dim(&self) -> usize {
        match self {
            Pending::Identity(n) => *n,
            Pending::Diagonal { scale, .. } => scale.len(),
            Pending::Dense { w, .. } => w.nrows(),
            Pending::Conv(c) => c.output().len(),
        }
    }

    /// Composes `y ↦ scale ⊙ y + shift` after the accumulated map (lengths equal `output_dim`).
    ///
    /// A convolution absorbs it when `scale` and `shift` are constant over each output channel
    /// (batch normalisation, a per-channel bias): `W'[m] = s_m·W[m]`, `b'[m] = s_m·b[m] + t_m`.
    /// Otherwise the convolution is returned as a finished layer and the map starts afresh.
    pub fn then_elementwise(
        self,
        scale: &DVector<f64>,
        shift: &DVector<f64>,
    ) -> (Option<LayerSpec>, Pending) {
        let fresh = || Pending::Diagonal {
            scale: scale.clone(),
            shift: shift.clone(),
        };
        match self {
            Pending::Identity(_) => (None, fresh()),
            Pending::Diagonal { scale: s, shift: t } => (
                None,
                Pending::Diagonal {
                    scale: scale.component_mul(&s),
                    shift: scale.component_mul(&t) + shift,
                },
            ),
            Pending::Dense { mut w, b } => {
                for (mut row, &k) in w.row_iter_mut().zip(scale.iter()) {
                    row *= k;
                }
                (
                    None,
                    Pending::Dense {
                        w,
                        b: scale.component_mul(&b) + shift,
                    },
                )
            }
            Pending::Conv(mut conv) => {
                let plane = conv.output().len() / conv.out_channels.max(1);
                match (per_channel(scale, plane), per_channel(shift, plane)) {
                    (Some(s), Some(t)) => {
                        let block = conv.weight.len() / conv.out_channels.max(1);
                        for (m, (&sm, &tm)) in s.iter().zip(&t).enumerate() {
                            conv.weight[m * block..(m + 1) * block]
                                .iter_mut()
                                .for_each(|w| *w *= sm);
                            conv.bias[m] = sm * conv.bias[m] + tm;
                        }
                        (None, Pending::Conv(conv))
                    }
                    _ => (Some(LayerSpec::Conv2d(conv)), fresh()),
                }
            }
        }
    }

    /// Composes `y ↦ W·y` after the accumulated map; an earlier non-trivial map is returned as a
    /// finished layer first, so consecutive linear layers are kept apart.
    pub fn then_linear(self, w: DMatrix<f64>) -> (Option<LayerSpec>, Pending) {
        let b = DVector::zeros(w.nrows());
        (self.into_layer(), Pending::Dense { w, b })
    }

    /// Composes a convolution after the accumulated map (an earlier non-trivial map is returned
    /// as a finished layer first).
    /// A pending zero padding (see [`ConvSpec::padding`]) is merged into the convolution.
    pub fn then_conv(self, conv: ConvSpec) -> (Option<LayerSpec>, Pending) {
        match self {
            Pending::Conv(pad) if pad.is_padding() && pad.output() == conv.input => {
                (None, Pending::Conv(conv.after_padding(&pad)))
            }
            other => (other.into_layer(), Pending::Conv(conv)),
        }
    }

    /// The accumulated map as a layer (`None` for the identity or a trivial diagonal map).
    pub fn into_layer(self) -> Option<LayerSpec> {
        match self {
            Pending::Identity(_) => None,
            Pending::Diagonal { scale, shift } => {
                // Exactly the identity (e.g. subtracting an all-zero mean): nothing to emit.
                #[allow(clippy::float_cmp)]
                let trivial = scale.iter().all(|&s| s == 1.0) && shift.iter().all(|&t| t == 0.0);
                (!trivial).then_some(LayerSpec::Affine { scale, shift })
            }
            Pending::Dense { w, b } => Some(LayerSpec::Dense {
                weights: w,
                bias: b,
            }),
            Pending::Conv(c) => Some(LayerSpec::Conv2d(c)),
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
            Pending::Conv(c) => find(&c.weight).or_else(|| find(&c.bias)),
        }
    }
}

/// The per-channel values of `v` when it is constant over each block of `plane` coordinates.
#[allow(clippy::float_cmp)]
fn per_channel(v: &DVector<f64>, plane: usize) -> Option<Vec<f64>> {
    if plane == 0 {
        return None;
    }
    v.as_slice()
        .chunks(plane)
        .map(|c| c.iter().all(|&x| x == c[0]).then_some(c[0]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_then_add_is_one_dense_layer() {
        let w = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let (none, p) = Pending::Identity(3).then_linear(w.clone());
        assert!(none.is_none());
        let (none, p) = p.then_elementwise(
            &DVector::from_element(2, 1.0),
            &DVector::from_vec(vec![0.5, -0.5]),
        );
        assert!(none.is_none());
        let layers: Vec<LayerSpec> = p.into_layer().into_iter().collect();
        assert_eq!(layers.len(), 1);
        let x = DVector::from_vec(vec![1.0, 0.0, -1.0]);
        assert_eq!(layers[0].forward(&x), DVector::from_vec(vec![-1.5, -2.5]));
    }

    #[test]
    fn normalisation_then_dense_gives_two_layers() {
        let (_, p) = Pending::Identity(2).then_elementwise(
            &DVector::from_element(2, 1.0),
            &DVector::from_element(2, -1.0),
        );
        let (_, p) = p.then_elementwise(&DVector::from_element(2, 0.5), &DVector::zeros(2));
        let (first, p) = p.then_linear(DMatrix::identity(2, 2));
        let layers: Vec<LayerSpec> = first.into_iter().chain(p.into_layer()).collect();
        assert_eq!(layers.len(), 2);
        let x = DVector::from_vec(vec![3.0, 5.0]);
        let y = layers.iter().fold(x, |v, l| l.forward(&v));
        assert_eq!(y, DVector::from_vec(vec![1.0, 2.0]));
    }
}
