//! Bad input is a typed error, never a panic and never a silently wrong bound.

use nalgebra::{DMatrix, DVector};
use proven::layers::{ActivationLayer, Dense, ElementwiseAffine, Flatten};
use proven::{
    Activation, Error, InputDomain, Interval, Layer, LinearBounds, Method, Network, Norm,
    Sequential, Specification, compute_bounds,
};

fn v(x: &[f64]) -> DVector<f64> {
    DVector::from_vec(x.to_vec())
}

fn dense(rows: usize, cols: usize) -> Box<dyn Layer<f64>> {
    Box::new(Dense::new(DMatrix::from_element(rows, cols, 0.5), DVector::zeros(rows)).unwrap())
}

fn relu(n: usize) -> Box<dyn Layer<f64>> {
    Box::new(ActivationLayer::new(n, Activation::Relu).unwrap())
}

fn net_3_2_1() -> Sequential<f64> {
    Sequential::new(vec![dense(2, 3), relu(2), dense(1, 2)]).unwrap()
}

fn ball(n: usize) -> InputDomain<f64> {
    InputDomain::ball(DVector::zeros(n), 0.1, Norm::LInf).unwrap()
}

// ---- shapes -------------------------------------------------------------------------------

#[test]
fn sequential_chaining_mismatch() {
    let e = Sequential::new(vec![dense(2, 3), relu(3)]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::DimensionMismatch {
                expected: 2,
                found: 3,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn empty_network() {
    let e = Sequential::<f64>::new(vec![]).unwrap_err();
    assert!(matches!(e, Error::EmptyNetwork), "{e}");
}

#[test]
fn domain_does_not_fit_the_network() {
    let e = compute_bounds(&net_3_2_1(), &ball(4), None, &Method::crown()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::DimensionMismatch {
                expected: 3,
                found: 4,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn specification_columns_do_not_fit_the_outputs() {
    let c = DMatrix::from_element(2, 3, 1.0);
    let e = compute_bounds(&net_3_2_1(), &ball(3), Some(&c), &Method::crown()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::DimensionMismatch {
                expected: 1,
                found: 3,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn specification_with_nan() {
    let c = DMatrix::from_row_slice(1, 1, &[f64::NAN]);
    let e = compute_bounds(&net_3_2_1(), &ball(3), Some(&c), &Method::ibp()).unwrap_err();
    assert!(matches!(e, Error::NonFinite { index: 0, .. }), "{e}");
}

#[test]
fn network_input_of_the_wrong_length() {
    let e = net_3_2_1().forward(&v(&[1.0, 2.0])).unwrap_err();
    assert!(
        matches!(
            e,
            Error::DimensionMismatch {
                expected: 3,
                found: 2,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn linear_bounds_new_shape_mismatches() {
    let d = ball(2);
    let a = DMatrix::zeros(1, 2);
    let b = DVector::zeros(1);
    let wrong_cols = DMatrix::zeros(1, 3);
    let e = LinearBounds::new(wrong_cols, b.clone(), a.clone(), b.clone(), d.clone()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::DimensionMismatch {
                expected: 2,
                found: 3,
                ..
            }
        ),
        "{e}"
    );
    let e = LinearBounds::new(
        a.clone(),
        b.clone(),
        DMatrix::zeros(2, 2),
        b.clone(),
        d.clone(),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::DimensionMismatch {
                expected: 1,
                found: 2,
                ..
            }
        ),
        "{e}"
    );
    let e = LinearBounds::new(
        a.clone(),
        DVector::zeros(2),
        a.clone(),
        b.clone(),
        d.clone(),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::DimensionMismatch {
                expected: 1,
                found: 2,
                ..
            }
        ),
        "{e}"
    );
    let nan = DMatrix::from_row_slice(1, 2, &[0.0, f64::NAN]);
    let e = LinearBounds::new(a, b.clone(), nan, b, d).unwrap_err();
    assert!(matches!(e, Error::NonFinite { index: 1, .. }), "{e}");
}

#[test]
fn dense_bias_length_and_empty_weights() {
    let e = Dense::new(DMatrix::<f64>::zeros(2, 3), DVector::zeros(3)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::DimensionMismatch {
                expected: 2,
                found: 3,
                ..
            }
        ),
        "{e}"
    );
    let e = Dense::new(DMatrix::<f64>::zeros(0, 3), DVector::zeros(0)).unwrap_err();
    assert!(matches!(e, Error::DimensionMismatch { .. }), "{e}");
}

#[test]
fn elementwise_affine_length_mismatch() {
    let e = ElementwiseAffine::new(v(&[1.0, 2.0]), v(&[0.0])).unwrap_err();
    assert!(
        matches!(
            e,
            Error::DimensionMismatch {
                expected: 2,
                found: 1,
                ..
            }
        ),
        "{e}"
    );
    let e = ElementwiseAffine::<f64>::normalization(v(&[0.0]), v(&[1.0, 2.0])).unwrap_err();
    assert!(matches!(e, Error::DimensionMismatch { .. }), "{e}");
}

#[test]
fn zero_sized_layers() {
    assert!(matches!(
        Flatten::new(0).unwrap_err(),
        Error::DimensionMismatch { .. }
    ));
    let e = ActivationLayer::<f64>::new(0, Activation::Relu).unwrap_err();
    assert!(matches!(e, Error::DimensionMismatch { .. }), "{e}");
}

// ---- non-finite numbers -------------------------------------------------------------------

#[test]
fn dense_nan_and_infinite_weights_name_the_index() {
    let mut w = DMatrix::<f64>::zeros(2, 3);
    w[(1, 2)] = f64::NAN;
    let e = Dense::new(w, DVector::zeros(2)).unwrap_err();
    assert!(matches!(e, Error::NonFinite { index: 5, .. }), "{e}");
    let mut w = DMatrix::<f64>::zeros(2, 3);
    w[(0, 1)] = f64::INFINITY;
    let e = Dense::new(w, DVector::zeros(2)).unwrap_err();
    assert!(
        matches!(e, Error::NonFinite { index: 1, value, .. } if value == f64::INFINITY),
        "{e}"
    );
    let e = Dense::new(
        DMatrix::<f32>::zeros(2, 1),
        DVector::from_vec(vec![0.0, f32::NEG_INFINITY]),
    )
    .unwrap_err();
    assert!(matches!(e, Error::NonFinite { index: 1, .. }), "{e}");
}

#[test]
fn elementwise_affine_nan_and_infinite_entries_name_the_index() {
    let e = ElementwiseAffine::new(v(&[1.0, f64::NAN]), v(&[0.0, 0.0])).unwrap_err();
    assert!(matches!(e, Error::NonFinite { index: 1, .. }), "{e}");
    let e = ElementwiseAffine::new(v(&[1.0, 1.0, 1.0]), v(&[0.0, 0.0, f64::INFINITY])).unwrap_err();
    assert!(matches!(e, Error::NonFinite { index: 2, .. }), "{e}");
    let e = ElementwiseAffine::normalization(v(&[0.0]), v(&[0.0])).unwrap_err();
    assert!(
        matches!(e, Error::InvalidParameter { name: "std", .. }),
        "{e}"
    );
    let e = ElementwiseAffine::normalization(v(&[0.0, 0.0]), v(&[1.0, f64::NAN])).unwrap_err();
    assert!(matches!(e, Error::NonFinite { index: 1, .. }), "{e}");
}

#[test]
fn ball_centre_with_nan() {
    let e = InputDomain::ball(v(&[0.0, f64::NAN]), 0.1, Norm::L2).unwrap_err();
    assert!(matches!(e, Error::NonFinite { index: 1, .. }), "{e}");
}

// ---- parameters ---------------------------------------------------------------------------

#[test]
fn negative_nan_and_infinite_eps() {
    for eps in [-0.1, f64::NAN, f64::INFINITY] {
        for norm in [Norm::LInf, Norm::L2, Norm::L1] {
            let e = InputDomain::ball(v(&[0.0]), eps, norm).unwrap_err();
            assert!(
                matches!(e, Error::InvalidParameter { name: "eps", .. }),
                "{e}"
            );
        }
        let e = InputDomain::clipped_linf(v(&[0.5]), eps, 0.0, 1.0).unwrap_err();
        assert!(
            matches!(e, Error::InvalidParameter { name: "eps", .. }),
            "{e}"
        );
    }
}

#[test]
fn lower_above_upper() {
    let e = Interval::new(v(&[0.0, 2.0]), v(&[1.0, 1.0])).unwrap_err();
    assert!(matches!(e, Error::InvalidInterval { index: 1, .. }), "{e}");
    let e = InputDomain::boxed(v(&[0.0, 2.0]), v(&[1.0, 1.0])).unwrap_err();
    assert!(matches!(e, Error::InvalidInterval { index: 1, .. }), "{e}");
    let e = InputDomain::clipped_linf(v(&[0.5]), 0.1, 1.0, 0.0).unwrap_err();
    assert!(
        matches!(e, Error::InvalidParameter { name: "clip", .. }),
        "{e}"
    );
    let e = InputDomain::clipped_linf(v(&[0.5]), 0.1, f64::NAN, 1.0).unwrap_err();
    assert!(
        matches!(e, Error::InvalidParameter { name: "clip", .. }),
        "{e}"
    );
    let e = InputDomain::clipped_linf(v(&[3.0]), 0.1, 0.0, 1.0).unwrap_err();
    assert!(matches!(e, Error::InvalidInterval { index: 0, .. }), "{e}");
}

#[test]
fn interval_and_box_with_nan_or_infinite_ends() {
    let e = Interval::new(v(&[f64::NAN]), v(&[1.0])).unwrap_err();
    assert!(matches!(e, Error::NonFinite { index: 0, .. }), "{e}");
    let e = InputDomain::boxed(v(&[0.0, f64::NEG_INFINITY]), v(&[1.0, 1.0])).unwrap_err();
    assert!(matches!(e, Error::NonFinite { index: 1, .. }), "{e}");
}

#[test]
fn label_not_below_classes() {
    let e = Specification::margins::<f64>(3, 3).unwrap_err();
    assert!(
        matches!(e, Error::InvalidParameter { name: "label", .. }),
        "{e}"
    );
    let e = Specification::margins::<f64>(1, 0).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidParameter {
                name: "classes",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn leaky_relu_slope_outside_unit_interval() {
    for a in [-0.5, 1.5, f64::NAN] {
        let e = ActivationLayer::<f64>::builtin(2, Activation::LeakyRelu(a)).unwrap_err();
        assert!(matches!(e, Error::InvalidParameter { .. }), "{e}");
    }
}
