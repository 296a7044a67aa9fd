//! Random small convolutional networks for soundness tests: [`random_cnn`] and the strategy
//! [`arb_cnn`].

use crate::layers::{
    ActivationLayer, AvgPool2d, Conv2d, Conv2dGeometry, Dense, ElementwiseAffine, Flatten,
    MaxPool2d, Pool2dGeometry, Shape3,
};
use crate::network::{GraphBuilder, NodeId};
use crate::{Activation, Float, Layer, Result, Sequential};
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use rand::{Rng, RngExt, SeedableRng};
use std::sync::Arc;

/// Which layer kinds a [`random_cnn`] contains (each is then present, not just possible).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CnnParts {
    /// A per-channel affine layer (inference batch norm) after the first convolution.
    pub batch_norm: bool,
    /// Average pooling after the first activation.
    pub avg_pool: bool,
    /// Max pooling after the first activation (after the average pooling if both).
    pub max_pool: bool,
    /// A residual block `act(x + conv(act(conv(x))))`.
    pub residual: bool,
}

impl CnnParts {
    /// The parts encoded by the low four bits of `bits` (1 = batch norm, 2 = average pooling,
    /// 4 = max pooling, 8 = residual block).
    pub fn from_bits(bits: u8) -> Self {
        Self {
            batch_norm: bits & 1 != 0,
            avg_pool: bits & 2 != 0,
            max_pool: bits & 4 != 0,
            residual: bits & 8 != 0,
        }
    }
}

fn uniform<T: Float, R: Rng + ?Sized>(rng: &mut R, n: usize, scale: f64) -> Vec<T> {
    (0..n)
        .map(|_| T::from_f64_rounded(rng.random_range(-1.0..=1.0) * scale))
        .collect()
}

/// A random convolution on `input` (1–3 output channels, kernel 1–3, stride 1–2, padding 0–1 on
/// each side independently, dilation 1–2), retried with smaller kernels until the geometry fits.
///
/// # Errors
/// Only if no geometry fits (cannot happen for inputs of at least 1×1).
pub fn random_conv2d<T: Float, R: Rng + ?Sized>(
    rng: &mut R,
    input: Shape3,
    same_shape: bool,
) -> Result<Conv2d<T>> {
    let mut last = None;
    for attempt in 0..8 {
        let g = if same_shape {
            // Output shape = input shape: odd kernel, stride 1, "same" padding.
            let k = if rng.random::<bool>() { 1 } else { 3 };
            Conv2dGeometry {
                input,
                out_channels: input.channels,
                kernel: (k, k),
                stride: (1, 1),
                padding: [k / 2; 4],
                dilation: (1, 1),
            }
        } else {
            let shrink = attempt / 2;
            let k = |rng: &mut R| rng.random_range(1..=3usize.saturating_sub(shrink).max(1));
            Conv2dGeometry {
                input,
                out_channels: rng.random_range(1..=3),
                kernel: (k(rng), k(rng)),
                stride: (rng.random_range(1..=2), rng.random_range(1..=2)),
                padding: [
                    rng.random_range(0..=1),
                    rng.random_range(0..=1),
                    rng.random_range(0..=1),
                    rng.random_range(0..=1),
                ],
                dilation: if attempt < 4 {
                    (rng.random_range(1..=2), rng.random_range(1..=2))
                } else {
                    (1, 1)
                },
            }
        };
        let fan_in = g.taps() as f64;
        let w = uniform::<T, R>(rng, g.out_channels * g.taps(), 1.5 / fan_in.sqrt());
        let b = uniform::<T, R>(rng, g.out_channels, 0.5);
        match Conv2d::new(g, w, b) {
            Ok(c) => return Ok(c),
            Err(e) => last = Some(e),
        }
    }
    Err(last.expect("at least one attempt"))
}

/// A random pooling geometry on `input` (window 1–2, stride 1–2, padding 0–1 only where the
/// window is 2), shrunk to fit.
pub fn random_pool_geometry<R: Rng + ?Sized>(rng: &mut R, input: Shape3) -> Pool2dGeometry {
    let axis = |rng: &mut R, extent: usize| {
        let k = rng.random_range(1..=2usize).min(extent);
        let s = rng.random_range(1..=2usize);
        let (a, b) = if k == 2 {
            (rng.random_range(0..=1usize), rng.random_range(0..=1usize))
        } else {
            (0, 0)
        };
        (k, s, a, b)
    };
    let (kh, sh, pt, pb) = axis(rng, input.height);
    let (kw, sw, pl, pr) = axis(rng, input.width);
    Pool2dGeometry {
        input,
        kernel: (kh, kw),
        stride: (sh, sw),
        padding: [pt, pl, pb, pr],
    }
}

/// A random small CNN for soundness tests, built with a [`GraphBuilder`]:
///
/// ```text
/// [normalisation] → conv → [batch norm] → act → [avg pool] → [max pool]
///   → [residual block: act(x + conv(act(conv(x))))] → conv → act → flatten → dense (1–3 outputs)
/// ```
///
/// Inputs have 1–2 channels and 3–6 pixels per side; bracketed parts are present as `parts`
/// says (the normalisation at random).
///
/// # Errors
/// Only if a random geometry cannot be made to fit (not expected).
pub fn random_cnn<T: Float, R: Rng + ?Sized>(
    rng: &mut R,
    activation: Activation,
    parts: CnnParts,
) -> Result<Sequential<T>> {
    let mut shape = Shape3::new(
        rng.random_range(1..=2),
        rng.random_range(3..=6),
        rng.random_range(3..=6),
    )?;
    let mut g = GraphBuilder::<T>::new(shape.len());
    let mut x = g.input();
    let act = |n: usize| -> Result<Box<dyn Layer<T>>> {
        Ok(Box::new(ActivationLayer::builtin(n, activation)?))
    };
    let per_channel = |rng: &mut R, s: Shape3| -> Result<Box<dyn Layer<T>>> {
        let scale: Vec<T> = (0..s.channels)
            .map(|_| {
                let v: f64 = rng.random_range(0.3..=1.5);
                T::from_f64_rounded(if rng.random::<bool>() { v } else { -v })
            })
            .collect();
        let shift = uniform::<T, R>(rng, s.channels, 0.5);
        Ok(Box::new(ElementwiseAffine::per_channel(s, &scale, &shift)?))
    };
    if rng.random::<bool>() {
        x = g.layer(x, per_channel(rng, shape)?)?;
    }
    let conv = random_conv2d::<T, R>(rng, shape, false)?;
    shape = conv.output_shape();
    x = g.layer(x, Box::new(conv))?;
    if parts.batch_norm {
        x = g.layer(x, per_channel(rng, shape)?)?;
    }
    x = g.layer(x, act(shape.len())?)?;
    if parts.avg_pool {
        let pool = AvgPool2d::new(random_pool_geometry(rng, shape), rng.random::<bool>())?;
        shape = pool.output_shape();
        x = g.layer(x, Box::new(pool))?;
    }
    if parts.max_pool {
        let pool = MaxPool2d::new(random_pool_geometry(rng, shape))?;
        shape = pool.output_shape();
        x = g.layer(x, Box::new(pool))?;
    }
    if parts.residual {
        x = residual_block(&mut g, rng, x, shape, activation)?;
    }
    let conv = random_conv2d::<T, R>(rng, shape, false)?;
    shape = conv.output_shape();
    x = g.layer(x, Box::new(conv))?;
    x = g.layer(x, act(shape.len())?)?;
    x = g.layer(x, Box::new(Flatten::new(shape.len())?))?;
    let outputs = rng.random_range(1..=3);
    let n = shape.len();
    let w = uniform::<T, R>(rng, outputs * n, 1.5 / (n as f64).sqrt());
    let b = uniform::<T, R>(rng, outputs, 0.5);
    let dense = Dense::new(
        DMatrix::from_row_slice(outputs, n, &w),
        DVector::from_vec(b),
    )?;
    x = g.layer(x, Box::new(dense))?;
    g.build(x)
}

/// `act(x + conv₂(act(conv₁(x))))` with shape-preserving convolutions.
fn residual_block<T: Float, R: Rng + ?Sized>(
    g: &mut GraphBuilder<T>,
    rng: &mut R,
    x: NodeId,
    shape: Shape3,
    activation: Activation,
) -> Result<NodeId> {
    let c1 = random_conv2d::<T, R>(rng, shape, true)?;
    let h = g.layer(x, Box::new(c1))?;
    let h = g.layer(
        h,
        Box::new(ActivationLayer::builtin(shape.len(), activation)?),
    )?;
    let c2 = random_conv2d::<T, R>(rng, shape, true)?;
    let h = g.layer(h, Box::new(c2))?;
    let y = g.add(x, h)?;
    g.layer(
        y,
        Box::new(ActivationLayer::builtin(shape.len(), activation)?),
    )
}

/// A strategy of [`random_cnn`]s with `activation`, every combination of [`CnnParts`] equally
/// likely. The network is wrapped in an [`Arc`] so the strategy value is `Clone`.
///
/// # Examples
/// ```
/// use proptest::prelude::*;
/// use proven::testing::arb_cnn;
/// use proven::{Activation, Network};
/// proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(4))
///     .run(&arb_cnn::<f64>(Activation::Relu), |net| {
///         prop_assert!(net.input_dim() >= 9);
///         Ok(())
///     })
///     .unwrap();
/// ```
pub fn arb_cnn<T: Float>(activation: Activation) -> impl Strategy<Value = Arc<Sequential<T>>> {
    (any::<u64>(), 0..16u8).prop_map(move |(seed, bits)| {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
        Arc::new(
            random_cnn::<T, _>(&mut rng, activation, CnnParts::from_bits(bits))
                .expect("random CNN geometries fit"),
        )
    })
}

/// A network with the layer shapes of VNN-COMP 2021 `verivital/Convnet_avgpool` and random
/// weights (for benchmarks): `1×28×28 → conv 32×2×2 → ReLU → average pool 4×4 (stride 4) →
/// flatten → dense 10`. With `dense_convs` every convolution is replaced by
/// [`Conv2d::to_dense`] (the same function as a dense matrix).
///
/// # Errors
/// Only if a layer cannot be built (not expected).
pub fn convnet_avgpool_like(seed: u64, dense_convs: bool) -> Result<Sequential<f64>> {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let input = Shape3::new(1, 28, 28)?;
    let conv = shaped_conv(
        &mut rng,
        Conv2dGeometry::simple(input, 32, (2, 2)),
        dense_convs,
    )?;
    let s = Shape3::new(32, 27, 27)?;
    let pool = AvgPool2d::new(Pool2dGeometry::non_overlapping(s, (4, 4)), false)?;
    let n = pool.output_shape().len();
    Sequential::new(vec![
        conv,
        Box::new(ActivationLayer::builtin(s.len(), Activation::Relu)?),
        Box::new(pool),
        Box::new(Flatten::new(n)?),
        shaped_dense(&mut rng, n, 10)?,
    ])
}

/// A network with the layer shapes of VNN-COMP 2021 `oval21/cifar_base_kw` and random weights
/// (for benchmarks): `3×32×32 → conv 8×4×4 (stride 2, padding 1) → ReLU → conv 16×4×4
/// (stride 2, padding 1) → ReLU → flatten → dense 100 → ReLU → dense 10`. `dense_convs` as in
/// [`convnet_avgpool_like`].
///
/// # Errors
/// Only if a layer cannot be built (not expected).
pub fn cifar_base_kw_like(seed: u64, dense_convs: bool) -> Result<Sequential<f64>> {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let strided = |input: Shape3, out: usize| Conv2dGeometry {
        stride: (2, 2),
        padding: [1; 4],
        ..Conv2dGeometry::simple(input, out, (4, 4))
    };
    let s0 = Shape3::new(3, 32, 32)?;
    let s1 = Shape3::new(8, 16, 16)?;
    let s2 = Shape3::new(16, 8, 8)?;
    let relu = |n: usize| -> Result<Box<dyn Layer<f64>>> {
        Ok(Box::new(ActivationLayer::builtin(n, Activation::Relu)?))
    };
    Sequential::new(vec![
        shaped_conv(&mut rng, strided(s0, 8), dense_convs)?,
        relu(s1.len())?,
        shaped_conv(&mut rng, strided(s1, 16), dense_convs)?,
        relu(s2.len())?,
        Box::new(Flatten::new(s2.len())?),
        shaped_dense(&mut rng, s2.len(), 100)?,
        relu(100)?,
        shaped_dense(&mut rng, 100, 10)?,
    ])
}

fn shaped_conv<R: Rng + ?Sized>(
    rng: &mut R,
    g: Conv2dGeometry,
    dense: bool,
) -> Result<Box<dyn Layer<f64>>> {
    let s = (3.0 / g.taps() as f64).sqrt();
    let w = uniform::<f64, R>(rng, g.out_channels * g.taps(), s);
    let b = uniform::<f64, R>(rng, g.out_channels, 0.1);
    let conv = Conv2d::new(g, w, b)?;
    Ok(if dense {
        Box::new(conv.to_dense()?)
    } else {
        Box::new(conv)
    })
}

fn shaped_dense<R: Rng + ?Sized>(
    rng: &mut R,
    inputs: usize,
    outputs: usize,
) -> Result<Box<dyn Layer<f64>>> {
    let s = (3.0 / inputs as f64).sqrt();
    let w = uniform::<f64, R>(rng, inputs * outputs, s);
    let b = uniform::<f64, R>(rng, outputs, 0.1);
    Ok(Box::new(Dense::new(
        DMatrix::from_row_slice(outputs, inputs, &w),
        DVector::from_vec(b),
    )?))
}

/// The same network with every convolution (every linear layer whose [`Layer::kind`] is
/// `"conv2d"`, also inside an [`crate::layers::OnSlice`]) replaced by its dense matrix
/// ([`crate::layers::densify`]): the "dense approach" that benchmarks compare against.
///
/// # Errors
/// As [`crate::layers::densify`] (a matrix too large for the dense fallback).
pub fn densify_convolutions<T: Float>(net: Sequential<T>) -> Result<Sequential<T>> {
    let layers = net
        .into_layers()
        .into_iter()
        .map(|l| -> Result<Box<dyn Layer<T>>> {
            if l.kind() == "conv2d" && l.is_linear() {
                Ok(Box::new(crate::layers::densify(l.as_ref())?))
            } else {
                Ok(l)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    Sequential::new(layers)
}
