//! Bad input that bypasses the validating constructors (public enum variants, hand-made
//! networks, custom layers returning wrong sizes) is still a typed error, never a panic or a
//! silently wrong bound. Each of these was a panic or a wrong result before this suite.

use nalgebra::{DMatrix, DVector};
use proven::layers::{ActivationLayer, Backward, BackwardContext, Dense};
use proven::{
    Activation, Error, InputDomain, Interval, Layer, LinearBounds, Method, Network, Norm,
    Sequential, compute_bounds,
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

/// `ActivationLayer::new` takes any activation, so it must validate the built-in leaky slope
/// too: with a negative slope leaky ReLU is not monotone (the default interval is wrong), with
/// a slope above 1 it is concave (the chord is not an upper bound).
#[test]
fn leaky_relu_slope_is_validated_by_new_too() {
    for a in [-0.5, 1.5, f64::NAN] {
        let e = ActivationLayer::<f64>::new(2, Activation::LeakyRelu(a)).unwrap_err();
        assert!(matches!(e, Error::InvalidParameter { .. }), "{e}");
    }
}

/// `InputDomain`'s variants are public, so a domain can be built without its constructors; the
/// engine must still refuse a negative, NaN or infinite radius and non-finite coordinates.
#[test]
fn directly_built_domains_are_validated_by_the_engine() {
    let net = net_3_2_1();
    for radius in [-0.1, f64::NAN, f64::INFINITY] {
        let d = InputDomain::Ball {
            center: DVector::zeros(3),
            radius,
            norm: Norm::L2,
        };
        let e = compute_bounds(&net, &d, None, &Method::crown()).unwrap_err();
        assert!(
            matches!(e, Error::InvalidParameter { name: "eps", .. }),
            "{e}"
        );
    }
    let d = InputDomain::Ball {
        center: v(&[0.0, f64::NAN, 0.0]),
        radius: 0.1,
        norm: Norm::L1,
    };
    let e = compute_bounds(&net, &d, None, &Method::crown()).unwrap_err();
    assert!(matches!(e, Error::NonFinite { index: 1, .. }), "{e}");
    let b = Interval::new(v(&[0.0, 0.0, f64::NEG_INFINITY]), v(&[1.0, 1.0, 1.0])).unwrap();
    let e = compute_bounds(&net, &InputDomain::Box(b), None, &Method::ibp()).unwrap_err();
    assert!(matches!(e, Error::NonFinite { index: 2, .. }), "{e}");
    let e = LinearBounds::new(
        DMatrix::zeros(1, 1),
        DVector::zeros(1),
        DMatrix::zeros(1, 1),
        DVector::zeros(1),
        InputDomain::Ball {
            center: DVector::zeros(1),
            radius: -1.0,
            norm: Norm::LInf,
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, Error::InvalidParameter { name: "eps", .. }),
        "{e}"
    );
}

/// A `Network` implemented by hand whose layers do not chain.
#[derive(Debug)]
struct Unchained(Vec<Box<dyn Layer<f64>>>);

impl Network<f64> for Unchained {
    fn layers(&self) -> &[Box<dyn Layer<f64>>] {
        &self.0
    }
}

#[test]
fn hand_made_network_whose_layers_do_not_chain() {
    let net = Unchained(vec![dense(2, 3), relu(4), dense(1, 4)]);
    for m in proven_methods() {
        let e = compute_bounds(&net, &ball(3), None, &m).unwrap_err();
        assert!(
            matches!(
                e,
                Error::DimensionMismatch {
                    expected: 2,
                    found: 4,
                    ..
                }
            ),
            "{e}"
        );
    }
    let e = net.forward(&v(&[0.0, 0.0, 0.0])).unwrap_err();
    assert!(
        matches!(
            e,
            Error::DimensionMismatch {
                expected: 4,
                found: 2,
                ..
            }
        ),
        "{e}"
    );
}

fn proven_methods() -> Vec<Method> {
    vec![
        Method::ibp(),
        Method::fast_lin(),
        Method::crown(),
        Method::crown_ibp(),
    ]
}

/// A custom layer whose methods return results of the wrong size.
#[derive(Debug)]
struct Broken;

impl Layer<f64> for Broken {
    fn kind(&self) -> &'static str {
        "broken"
    }
    fn input_dim(&self) -> usize {
        2
    }
    fn output_dim(&self) -> usize {
        2
    }
    fn forward(&self, _x: &DVector<f64>) -> DVector<f64> {
        DVector::zeros(3)
    }
    fn interval(&self, _input: &Interval<f64>) -> Interval<f64> {
        Interval::new(DVector::zeros(3), DVector::zeros(3)).unwrap()
    }
    fn is_linear(&self) -> bool {
        false
    }
    fn backward(
        &self,
        lambda: &DMatrix<f64>,
        _ctx: &BackwardContext<'_, f64>,
    ) -> proven::Result<Backward<f64>> {
        Ok(Backward {
            lambda: DMatrix::zeros(lambda.nrows(), 5),
            offset: DVector::zeros(1),
        })
    }
}

#[test]
fn custom_layer_with_wrong_result_sizes() {
    let net = Sequential::new(vec![dense(2, 2), Box::new(Broken), dense(1, 2)]).unwrap();
    for m in proven_methods() {
        let e = compute_bounds(&net, &ball(2), None, &m).unwrap_err();
        assert!(
            matches!(e, Error::DimensionMismatch { .. }),
            "{}: {e}",
            m.name()
        );
    }
    let e = net.forward(&v(&[0.0, 0.0])).unwrap_err();
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
fn specification_without_rows_is_fine() {
    let c = DMatrix::<f64>::zeros(0, 1);
    for m in proven_methods() {
        let b = compute_bounds(&net_3_2_1(), &ball(3), Some(&c), &m).unwrap();
        assert_eq!(b.rows(), 0);
    }
}
