//! Soundness of convolutional networks: layer-level checks of `Conv2d`, `AvgPool2d`,
//! `MaxPool2d`, per-channel affine (batch norm), `Rewire` and `OnSlice`; the tensor convolution
//! against its dense matrix; and every method on random small CNNs (convolutions with random
//! stride/padding/dilation, both poolings, batch norm, residual blocks, every activation), with
//! no sampled point outside its bounds.
//!
//! Each CNN group: 16 random networks (every combination of batch norm, average pooling, max
//! pooling and residual block equally likely), random domains of every kind and random
//! specifications, all 14 methods, 1,000 sampled points per method plus 2 extreme points per row
//! (about 190,000 points per group, count asserted).
//!
//! Heavier run (10× the cases): `cargo test --release --test soundness_cnn -- --ignored`

use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use proven::activation::RelaxationPolicy;
use proven::layers::{
    ActivationLayer, AvgPool2d, BackwardContext, Conv2d, Conv2dGeometry, ElementwiseAffine,
    MaxPool2d, OnSlice, Pool2dGeometry, Rewire, Shape3, Side,
};
use proven::network::GraphBuilder;
use proven::testing::{
    CnnParts, all_methods, arb_domain, arb_spec, check_layer, check_network, random_cnn,
    random_conv2d, random_pool_geometry,
};
use proven::{Activation, Float, Interval, Layer, Network};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

fn random_box<T: Float>(rng: &mut SmallRng, n: usize) -> Interval<T> {
    let (mut lo, mut hi) = (DVector::zeros(n), DVector::zeros(n));
    for i in 0..n {
        let c: f64 = rng.random_range(-2.0..2.0);
        let r: f64 = if rng.random_range(0..6u8) == 0 {
            0.0
        } else {
            rng.random_range(0.0..1.5)
        };
        lo[i] = T::from_f64_rounded(c - r);
        hi[i] = T::from_f64_rounded(c + r);
    }
    Interval::new(lo, hi).unwrap()
}

fn random_shape(rng: &mut SmallRng) -> Shape3 {
    Shape3::new(
        rng.random_range(1..=3),
        rng.random_range(1..=7),
        rng.random_range(1..=7),
    )
    .unwrap()
}

fn layer_cases<T: Float>(layer: &dyn Layer<T>, rng: &mut SmallRng, samples: usize) -> usize {
    let b = random_box::<T>(rng, layer.input_dim());
    let stats =
        check_layer(layer, &b, samples, rng).unwrap_or_else(|v| panic!("{}: {v}", layer.kind()));
    assert_eq!(stats.points, samples);
    stats.points
}

#[test]
fn conv2d_layer_is_sound() {
    let mut rng = SmallRng::seed_from_u64(11);
    let mut points = 0;
    for case in 0..120 {
        let shape = random_shape(&mut rng);
        let conv = random_conv2d::<f64, _>(&mut rng, shape, case % 5 == 0).unwrap();
        points += layer_cases(&conv, &mut rng, 60);
    }
    assert_eq!(points, 120 * 60);
}

#[test]
fn pooling_and_batch_norm_layers_are_sound() {
    let mut rng = SmallRng::seed_from_u64(12);
    let mut points = 0;
    for _ in 0..120 {
        let shape = random_shape(&mut rng);
        let g = random_pool_geometry(&mut rng, shape);
        let avg = AvgPool2d::<f64>::new(g, rng.random::<bool>()).unwrap();
        points += layer_cases(&avg, &mut rng, 60);
        let max = MaxPool2d::new(g).unwrap();
        points += layer_cases::<f64>(&max, &mut rng, 60);
        let scale: Vec<f64> = (0..shape.channels)
            .map(|_| rng.random_range(-2.0..2.0))
            .collect();
        let shift: Vec<f64> = (0..shape.channels)
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        let bn = ElementwiseAffine::per_channel(shape, &scale, &shift).unwrap();
        points += layer_cases(&bn, &mut rng, 60);
    }
    assert_eq!(points, 3 * 120 * 60);
}

#[test]
fn graph_plumbing_layers_are_sound() {
    let mut rng = SmallRng::seed_from_u64(13);
    for _ in 0..60 {
        let n = rng.random_range(1..=6usize);
        let m = rng.random_range(1..=6usize);
        let sources: Vec<Vec<usize>> = (0..m)
            .map(|_| {
                (0..rng.random_range(0..=3usize))
                    .map(|_| rng.random_range(0..n))
                    .collect()
            })
            .collect();
        let r = Rewire::new(n, sources).unwrap();
        layer_cases::<f64>(&r, &mut rng, 40);
        let k = rng.random_range(1..=n);
        let offset = rng.random_range(0..=n - k);
        for act in [Activation::Relu, Activation::Tanh] {
            let inner = ActivationLayer::<f64>::new(k, act).unwrap();
            let s = OnSlice::new(offset, n, Box::new(inner)).unwrap();
            layer_cases(&s, &mut rng, 40);
        }
        let shape = Shape3::new(1, 2, k).unwrap();
        let conv = random_conv2d::<f64, _>(&mut rng, shape, false).unwrap();
        let total = n + 2 * k;
        let s = OnSlice::new(rng.random_range(0..=n), total, Box::new(conv)).unwrap();
        layer_cases(&s, &mut rng, 40);
    }
}

/// The tensor convolution equals its dense matrix: forward, IBP, backward and
/// backward_identity, to 1e-12.
#[test]
fn conv2d_matches_its_dense_matrix() {
    let mut rng = SmallRng::seed_from_u64(14);
    let policy = RelaxationPolicy::default();
    for case in 0..200 {
        let shape = random_shape(&mut rng);
        let conv = random_conv2d::<f64, _>(&mut rng, shape, case % 4 == 0).unwrap();
        let dense = conv.to_dense().unwrap();
        let (n, m) = (conv.input_dim(), conv.output_dim());
        let x = DMatrix::from_fn(n, 5, |_, _| rng.random_range(-2.0..2.0));
        let close = |a: &DMatrix<f64>, b: &DMatrix<f64>, what: &str| {
            assert_eq!(a.shape(), b.shape(), "{what}");
            let d = (a - b).amax();
            assert!(d <= 1e-12, "case {case} {what}: max difference {d:e}");
        };
        close(
            &conv.forward_batch(&x),
            &dense.forward_batch(&x),
            "forward_batch",
        );
        let x0 = x.column(0).into_owned();
        let f = conv.forward(&x0);
        close(
            &DMatrix::from_column_slice(m, 1, f.as_slice()),
            &DMatrix::from_column_slice(m, 1, dense.forward(&x0).as_slice()),
            "forward",
        );
        let b = random_box::<f64>(&mut rng, n);
        let (ci, di) = (conv.interval(&b), dense.interval(&b));
        let v = |v: &DVector<f64>| DMatrix::from_column_slice(v.len(), 1, v.as_slice());
        close(&v(ci.lower()), &v(di.lower()), "interval lower");
        close(&v(ci.upper()), &v(di.upper()), "interval upper");
        let ctx = BackwardContext {
            side: Side::Lower,
            input_bounds: None,
            policy: &policy,
        };
        let rows = rng.random_range(1..=9usize);
        let lambda = DMatrix::from_fn(rows, m, |_, _| rng.random_range(-1.0..1.0));
        let (bc, bd) = (
            conv.backward(&lambda, &ctx).unwrap(),
            dense.backward(&lambda, &ctx).unwrap(),
        );
        close(&bc.lambda, &bd.lambda, "backward Λ'");
        close(&v(&bc.offset), &v(&bd.offset), "backward Δ'");
        let sel: Vec<usize> = (0..rows).map(|_| rng.random_range(0..m)).collect();
        let (ic, id) = (
            conv.backward_identity(&sel, &ctx).unwrap(),
            dense.backward_identity(&sel, &ctx).unwrap(),
        );
        close(&ic.lambda, &id.lambda, "backward_identity Λ'");
        close(&v(&ic.offset), &v(&id.offset), "backward_identity Δ'");
        let generic = proven::layers::densify(&conv).unwrap();
        close(generic.weights(), dense.weights(), "densify weights");
        close(&v(generic.bias()), &v(dense.bias()), "densify bias");
    }
}

/// A known answer: 1×3×3 input, one 2×2 kernel with stride 2, padding [1, 0, 0, 1] (top,
/// left, bottom, right), dilation 1, checked by hand.
#[test]
fn conv2d_known_answer_with_asymmetric_padding() {
    let g = Conv2dGeometry {
        input: Shape3::new(1, 3, 3).unwrap(),
        out_channels: 1,
        kernel: (2, 2),
        stride: (2, 2),
        padding: [1, 0, 0, 1],
        dilation: (1, 1),
    };
    // padded (4 × 4): row 0 zeros, rows 1–3 = x with a zero column on the right.
    let conv = Conv2d::new(g, vec![1.0, 2.0, 3.0, 4.0], vec![0.5]).unwrap();
    assert_eq!(conv.output_shape(), Shape3::new(1, 2, 2).unwrap());
    let x = DVector::from_vec((1..=9).map(f64::from).collect::<Vec<_>>());
    // out(0,0): [0 0; 1 2] → 3·1 + 4·2 = 11;  out(0,1): [0 0; 3 0] → 9
    // out(1,0): [4 5; 7 8] → 4 + 10 + 21 + 32 = 67;  out(1,1): [6 0; 9 0] → 6 + 27 = 33
    assert_eq!(conv.forward(&x).as_slice(), &[11.5, 9.5, 67.5, 33.5]);
    // Dilation 2 on a 1×5×5 input with a 2×2 kernel reads pixels 2 apart.
    let g = Conv2dGeometry {
        dilation: (2, 2),
        ..Conv2dGeometry::simple(Shape3::new(1, 5, 5).unwrap(), 1, (2, 2))
    };
    let conv = Conv2d::new(g, vec![1.0, 0.0, 0.0, 1.0], vec![0.0]).unwrap();
    assert_eq!(conv.output_shape(), Shape3::new(1, 3, 3).unwrap());
    let x = DVector::from_vec((0..25).map(f64::from).collect::<Vec<_>>());
    assert_eq!(conv.forward(&x)[0], 0.0 + 12.0);
}

#[test]
fn max_pool_relaxation_is_exact_on_decided_windows() {
    let g = Pool2dGeometry::non_overlapping(Shape3::new(1, 1, 2).unwrap(), (1, 2));
    let pool = MaxPool2d::new(g).unwrap();
    let b = Interval::new(
        DVector::from_vec(vec![2.0, -1.0]),
        DVector::from_vec(vec![3.0, 2.0]),
    )
    .unwrap();
    assert_eq!(Layer::<f64>::unstable_inputs(&pool, &b), Some(vec![]));
    let policy = RelaxationPolicy::default();
    for side in [Side::Lower, Side::Upper] {
        let ctx = BackwardContext {
            side,
            input_bounds: Some(&b),
            policy: &policy,
        };
        let back = pool
            .backward(&DMatrix::from_row_slice(1, 1, &[-3.0]), &ctx)
            .unwrap();
        assert_eq!(back.lambda.as_slice(), &[-3.0, 0.0]);
        assert_eq!(back.offset[0], 0.0);
    }
    // Undecided: the upper side of a positive coefficient is the constant max u = 3.5.
    let b = Interval::new(
        DVector::from_vec(vec![2.0, -1.0]),
        DVector::from_vec(vec![3.0, 3.5]),
    )
    .unwrap();
    let ctx = BackwardContext {
        side: Side::Upper,
        input_bounds: Some(&b),
        policy: &policy,
    };
    let back = pool
        .backward(&DMatrix::from_row_slice(1, 1, &[2.0]), &ctx)
        .unwrap();
    assert_eq!(back.lambda.as_slice(), &[0.0, 0.0]);
    assert_eq!(back.offset[0], 7.0);
}

#[test]
fn graph_builder_compiles_residual_blocks_and_forks() {
    // y = relu(x) + x, z = y + relu(x) (relu(x) used twice, x used twice).
    let mut g = GraphBuilder::<f64>::new(3);
    let x = g.input();
    let r = g
        .layer(
            x,
            Box::new(ActivationLayer::new(3, Activation::Relu).unwrap()),
        )
        .unwrap();
    let y = g.add(r, x).unwrap();
    let z = g.add(y, r).unwrap();
    let unused = g
        .layer(
            x,
            Box::new(ActivationLayer::new(3, Activation::Tanh).unwrap()),
        )
        .unwrap();
    assert!(g.add(z, g.input()).is_ok());
    let net = g.build(z).unwrap();
    let out = net
        .forward(&DVector::from_vec(vec![-1.0, 2.0, 0.5]))
        .unwrap();
    assert_eq!(out.as_slice(), &[-1.0, 6.0, 1.5]);
    let _ = unused;
    // Errors: dimension mismatch, unknown node, empty graph.
    let mut g = GraphBuilder::<f64>::new(3);
    let x = g.input();
    assert!(
        g.layer(
            x,
            Box::new(ActivationLayer::new(2, Activation::Relu).unwrap())
        )
        .is_err()
    );
    let mut other = GraphBuilder::<f64>::new(2);
    let a = other.input();
    let b = other
        .layer(
            a,
            Box::new(ActivationLayer::new(2, Activation::Relu).unwrap()),
        )
        .unwrap();
    assert!(g.add(x, b).is_err());
    assert!(g.build(x).is_err());
}

const CASES: u32 = 16;
const SAMPLES: usize = 1000;

/// Every method on random CNNs with `activation`: sampled points (domain samples plus each
/// row's extreme points) never leave the bounds; the number of points is asserted.
fn cnn_group<T: Float>(activation: Activation, cases: u32) {
    let methods = all_methods();
    let strategy = (any::<u64>(), 0..16u8).prop_flat_map(move |(seed, bits)| {
        let mut rng = SmallRng::seed_from_u64(seed);
        let net = std::sync::Arc::new(
            random_cnn::<T, _>(&mut rng, activation, CnnParts::from_bits(bits)).unwrap(),
        );
        let (d, o) = (net.input_dim(), net.output_dim());
        (
            Just(net),
            arb_domain::<T>(d),
            arb_spec::<T>(o),
            any::<u64>(),
        )
    });
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let counted = std::cell::Cell::new(0usize);
    runner
        .run(&strategy, |(net, domain, spec, seed)| {
            let mut rng = SmallRng::seed_from_u64(seed);
            let rows = spec.as_ref().map_or(net.output_dim(), |c| c.nrows());
            for method in &methods {
                let stats = check_network(&*net, &domain, method, spec.as_ref(), SAMPLES, &mut rng)
                    .map_err(|v| TestCaseError::fail(format!("{}: {v}", method.name())))?;
                prop_assert_eq!(stats.points, SAMPLES + 2 * rows);
                counted.set(counted.get() + stats.points);
            }
            Ok(())
        })
        .unwrap();
    let min = cases as usize * methods.len() * SAMPLES;
    assert!(
        counted.get() >= min,
        "{activation:?}: only {} points checked (at least {min} expected)",
        counted.get()
    );
    eprintln!(
        "{} {activation:?}: {cases} CNNs × {} methods, {} points",
        T::NAME,
        methods.len(),
        counted.get()
    );
}

macro_rules! groups {
    ($($name:ident, $heavy:ident: $t:ty, $act:expr;)*) => {$(
        #[test]
        fn $name() {
            cnn_group::<$t>($act, CASES);
        }
        #[test]
        #[ignore = "heavy: run with --release --ignored"]
        fn $heavy() {
            cnn_group::<$t>($act, 10 * CASES);
        }
    )*};
}

groups! {
    cnn_relu_f64, cnn_relu_f64_heavy: f64, Activation::Relu;
    cnn_relu_f32, cnn_relu_f32_heavy: f32, Activation::Relu;
    cnn_leaky_relu_f64, cnn_leaky_relu_f64_heavy: f64, Activation::LeakyRelu(0.1);
    cnn_sigmoid_f64, cnn_sigmoid_f64_heavy: f64, Activation::Sigmoid;
    cnn_tanh_f64, cnn_tanh_f64_heavy: f64, Activation::Tanh;
    cnn_arctan_f64, cnn_arctan_f64_heavy: f64, Activation::Arctan;
}

/// Invalid parameters are rejected at construction with typed errors.
#[test]
fn constructors_reject_bad_parameters() {
    use proven::Error;
    let s = Shape3::new(1, 4, 4).unwrap();
    assert!(matches!(
        Shape3::new(1, 0, 4),
        Err(Error::DimensionMismatch { .. })
    ));
    let g = Conv2dGeometry::simple(s, 2, (3, 3));
    assert!(matches!(
        Conv2d::new(g, vec![0.0; 17], vec![0.0; 2]),
        Err(Error::DimensionMismatch {
            expected: 18,
            found: 17,
            ..
        })
    ));
    assert!(matches!(
        Conv2d::new(g, vec![0.0; 18], vec![0.0; 3]),
        Err(Error::DimensionMismatch {
            expected: 2,
            found: 3,
            ..
        })
    ));
    let mut w = vec![0.0; 18];
    w[7] = f64::INFINITY;
    assert!(matches!(
        Conv2d::new(g, w, vec![0.0; 2]),
        Err(Error::NonFinite { index: 7, .. })
    ));
    for bad in [
        Conv2dGeometry {
            kernel: (5, 3),
            ..g
        },
        Conv2dGeometry {
            dilation: (2, 2),
            ..g
        },
        Conv2dGeometry {
            stride: (0, 1),
            ..g
        },
        Conv2dGeometry {
            out_channels: 0,
            ..g
        },
    ] {
        assert!(
            matches!(
                Conv2d::<f64>::new(bad, vec![0.0; 18], vec![0.0; 2]),
                Err(Error::DimensionMismatch { .. })
            ),
            "{bad:?}"
        );
    }
    // Padding makes the 5×3 kernel fit.
    let padded = Conv2dGeometry {
        kernel: (5, 3),
        padding: [1, 0, 0, 0],
        ..g
    };
    assert!(Conv2d::<f64>::new(padded, vec![0.0; 30], vec![0.0; 2]).is_ok());
    // A pooling window entirely in the padding.
    let p = Pool2dGeometry {
        input: s,
        kernel: (1, 1),
        stride: (1, 1),
        padding: [1, 0, 0, 0],
    };
    assert!(matches!(
        AvgPool2d::<f64>::new(p, true),
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(MaxPool2d::new(p), Err(Error::Unsupported { .. })));
    let p = Pool2dGeometry {
        kernel: (5, 1),
        padding: [0; 4],
        ..p
    };
    assert!(matches!(
        MaxPool2d::new(p),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        ElementwiseAffine::per_channel(s, &[1.0, 2.0], &[0.0]),
        Err(Error::DimensionMismatch {
            expected: 1,
            found: 2,
            ..
        })
    ));
    assert!(matches!(
        ElementwiseAffine::per_channel(s, &[f64::NAN], &[0.0]),
        Err(Error::NonFinite { index: 0, .. })
    ));
    assert!(Rewire::new(3, vec![vec![0, 3]]).is_err());
    assert!(Rewire::new(0, vec![vec![]]).is_err());
    let relu = ActivationLayer::<f64>::new(2, Activation::Relu).unwrap();
    assert!(OnSlice::new(2, 3, Box::new(relu)).is_err());
    // Too large for the dense fallback.
    let big = Conv2dGeometry::simple(Shape3::new(64, 128, 128).unwrap(), 64, (1, 1));
    let conv = Conv2d::new(big, vec![0.0_f64; 64 * 64], vec![0.0; 64]).unwrap();
    assert!(matches!(conv.to_dense(), Err(Error::Unsupported { .. })));
}

/// Average pooling divisors follow ONNX `count_include_pad`.
#[test]
fn avg_pool_count_include_pad() {
    let s = Shape3::new(1, 2, 2).unwrap();
    let g = Pool2dGeometry {
        input: s,
        kernel: (2, 2),
        stride: (2, 2),
        padding: [1, 1, 1, 1],
    };
    let x = DVector::from_vec(vec![1.0, 2.0, 3.0, 4.0]);
    // Output 2×2, every window holds one pixel and three padded cells.
    let with_pad = AvgPool2d::<f64>::new(g, true).unwrap();
    assert_eq!(with_pad.forward(&x).as_slice(), &[0.25, 0.5, 0.75, 1.0]);
    let without = AvgPool2d::<f64>::new(g, false).unwrap();
    assert_eq!(without.forward(&x).as_slice(), &[1.0, 2.0, 3.0, 4.0]);
}

/// A plain chain compiles to exactly its layers; `OnSlice` reports the inner layer's unstable
/// inputs at their offset.
#[test]
fn chains_compile_to_their_layers_and_slices_offset_unstable_inputs() {
    let mut g = GraphBuilder::<f64>::new(4);
    let mut x = g.input();
    for _ in 0..3 {
        x = g
            .layer(
                x,
                Box::new(ActivationLayer::new(4, Activation::Relu).unwrap()),
            )
            .unwrap();
    }
    let net = g.build(x).unwrap();
    assert_eq!(net.len(), 3);
    assert!(net.layers().iter().all(|l| l.kind() == "relu"));

    let relu = ActivationLayer::<f64>::new(3, Activation::Relu).unwrap();
    let s = OnSlice::new(2, 6, Box::new(relu)).unwrap();
    let b = Interval::new(
        DVector::from_vec(vec![-1.0, -1.0, -1.0, 0.5, -2.0, -1.0]),
        DVector::from_vec(vec![1.0, 1.0, 1.0, 1.0, -1.0, 1.0]),
    )
    .unwrap();
    // Inner inputs 0..3 are coordinates 2..5: only coordinate 2 is unstable (3 is active,
    // 4 inactive); the pass-through coordinates 0, 1 and 5 never are.
    assert_eq!(s.unstable_inputs(&b), Some(vec![2]));
}
