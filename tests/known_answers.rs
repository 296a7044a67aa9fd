//! Known-answer tests: the hand-checkable 2-2-1 network (bound-propagation.md §7.1) and the
//! 4-8-8-3 MLP of `../shared/reference/tiny_mlp_4x8x8x3.json` (auto_LiRPA 0.7.1, float64).

mod common;

use approx::assert_relative_eq;
use common::{dense, relu, shared_path, vec};
use nalgebra::{DMatrix, DVector};
use proven::activation::ReluLowerSlope;
use proven::{InputDomain, LinearBounds, Method, Norm, Sequential, Specification, compute_bounds};

fn toy() -> Sequential<f64> {
    Sequential::new(vec![
        dense(2, 2, &[1.0, -1.0, 2.0, -1.0], &[0.0, 0.0]),
        relu(2),
        dense(1, 2, &[1.0, -1.0], &[0.0]),
    ])
    .unwrap()
}

fn toy_bounds(norm: Norm, method: Method) -> (f64, f64) {
    let d = InputDomain::ball(vec(&[0.5, -0.5]), 1.5, norm).unwrap();
    let b = compute_bounds(&toy(), &d, None, &method).unwrap();
    (b.lower_bounds()[0], b.upper_bounds()[0])
}

#[test]
fn toy_linf_known_answers() {
    let cases = [
        (Method::ibp(), -6.0, 4.0),
        (Method::fast_lin(), -10.0 / 3.0, 2.0),
        (Method::crown(), -3.0, 3.0),
        (Method::crown_ibp(), -3.0, 3.0),
    ];
    for (m, lo, hi) in cases {
        let (l, u) = toy_bounds(Norm::LInf, m);
        assert_relative_eq!(l, lo, epsilon = 1e-12);
        assert_relative_eq!(u, hi, epsilon = 1e-12);
    }
}

#[test]
fn toy_l2_l1_known_answers() {
    let cases = [
        (Norm::L2, Method::ibp(), -4.854102, 3.121320),
        (Norm::L2, Method::fast_lin(), -2.758770, 1.542671),
        (Norm::L2, Method::crown(), -2.215648, 1.998102),
        (Norm::L1, Method::ibp(), -4.5, 2.5),
        (Norm::L1, Method::fast_lin(), -2.416667, 1.125),
        (Norm::L1, Method::crown(), -2.0, 1.5),
    ];
    for (norm, m, lo, hi) in cases {
        let (l, u) = toy_bounds(norm, m);
        assert_relative_eq!(l, lo, epsilon = 1e-6);
        assert_relative_eq!(u, hi, epsilon = 1e-6);
    }
}

#[test]
fn toy_crown_linear_coefficients() {
    let d = InputDomain::ball(vec(&[0.5, -0.5]), 1.5, Norm::LInf).unwrap();
    let b = compute_bounds(&toy(), &d, None, &Method::crown()).unwrap();
    let expect_l = [-1.0 / 3.0, -1.0 / 3.0];
    let expect_u = [-4.0 / 3.0, 1.0 / 3.0];
    for i in 0..2 {
        assert_relative_eq!(b.lower().a[(0, i)], expect_l[i], epsilon = 1e-12);
        assert_relative_eq!(b.upper().a[(0, i)], expect_u[i], epsilon = 1e-12);
    }
    assert_relative_eq!(b.lower().b[0], -2.0, epsilon = 1e-12);
    assert_relative_eq!(b.upper().b[0], 4.0 / 3.0, epsilon = 1e-12);
}

/// The 2-3-3-2 MLP of bound-propagation.md §7.2 (exact ReLU goldens).
#[test]
fn mlp_2332_relu_known_answers() {
    let net = Sequential::new(vec![
        dense(3, 2, &[1.0, -2.0, -1.0, 1.0, 2.0, 1.0], &[0.5, 0.0, -1.0]),
        relu(3),
        dense(
            3,
            3,
            &[1.0, -1.0, 2.0, -2.0, 1.0, 1.0, 1.0, 1.0, -1.0],
            &[0.0, 1.0, -0.5],
        ),
        relu(3),
        dense(2, 3, &[1.0, 2.0, -1.0, -1.0, 1.0, 1.0], &[0.0, 0.0]),
    ])
    .unwrap();
    let x0 = vec(&[0.3, -0.2]);
    type Case = (Norm, fn() -> Method, [f64; 2], [f64; 2]);
    let cases: [Case; 9] = [
        (Norm::LInf, Method::ibp, [-2.7, -4.5], [9.3, 5.1]),
        (
            Norm::LInf,
            Method::fast_lin,
            [-3.929483, -4.781926],
            [7.099363, 3.911108],
        ),
        (
            Norm::LInf,
            Method::crown,
            [-1.333333, -3.438298],
            [6.897121, 3.627451],
        ),
        (
            Norm::L2,
            Method::ibp,
            [-2.025141, -3.354102],
            [6.476519, 3.586350],
        ),
        (
            Norm::L2,
            Method::fast_lin,
            [-2.411665, -3.081696],
            [4.255927, 2.211960],
        ),
        (
            Norm::L2,
            Method::crown,
            [-0.476583, -2.083341],
            [4.163255, 1.711623],
        ),
        (Norm::L1, Method::ibp, [-1.5, -3.0], [5.0, 2.5]),
        (
            Norm::L1,
            Method::fast_lin,
            [-1.601593, -2.288706],
            [3.057143, 1.370767],
        ),
        (Norm::L1, Method::crown, [-0.021739, -1.7], [3.2, 0.858948]),
    ];
    for (norm, m, lo, hi) in cases {
        let d = InputDomain::ball(x0.clone(), 0.5, norm).unwrap();
        let b = compute_bounds(&net, &d, None, &m().dense()).unwrap();
        for i in 0..2 {
            assert_relative_eq!(b.lower_bounds()[i], lo[i], epsilon = 1e-6);
            assert_relative_eq!(b.upper_bounds()[i], hi[i], epsilon = 1e-6);
        }
    }
    // Margin y0 − y1 on the ℓ∞ ball, folded into the last layer.
    let d = InputDomain::ball(x0, 0.5, Norm::LInf).unwrap();
    let c = DMatrix::from_row_slice(1, 2, &[1.0, -1.0]);
    for (m, lo, hi) in [
        (Method::ibp(), -5.4, 11.4),
        (Method::fast_lin(), -4.9311, 8.971799),
        (Method::crown(), -2.666667, 8.606008),
    ] {
        let b = compute_bounds(&net, &d, Some(&c), &m.dense()).unwrap();
        assert_relative_eq!(b.lower_bounds()[0], lo, epsilon = 1e-4);
        assert_relative_eq!(b.upper_bounds()[0], hi, epsilon = 1e-6);
    }
}

struct TinyMlp {
    json: serde_json::Value,
    net: Sequential<f64>,
    x0: DVector<f64>,
    eps: f64,
}

fn tiny_mlp() -> Option<TinyMlp> {
    let path = shared_path("reference/tiny_mlp_4x8x8x3.json")?;
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let w = &json["weights"];
    let mat = |k: &str| -> (usize, usize, Vec<f64>) {
        let rows = w[k].as_array().unwrap();
        let flat: Vec<f64> = rows
            .iter()
            .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
            .collect();
        (rows.len(), flat.len() / rows.len(), flat)
    };
    let bias = |k: &str| -> Vec<f64> { common::floats(&w[k]) };
    let (r1, c1, w1) = mat("W1");
    let (r2, c2, w2) = mat("W2");
    let (r3, c3, w3) = mat("W3");
    let net = Sequential::new(vec![
        dense(r1, c1, &w1, &bias("b1")),
        relu(r1),
        dense(r2, c2, &w2, &bias("b2")),
        relu(r2),
        dense(r3, c3, &w3, &bias("b3")),
    ])
    .unwrap();
    let x0 = DVector::from_vec(common::floats(&json["x0"]));
    let eps = json["eps"].as_f64().unwrap();
    Some(TinyMlp { json, net, x0, eps })
}

fn assert_bounds(b: &LinearBounds<f64>, expect: &serde_json::Value, what: &str) {
    let lb = common::floats(&expect["lb"]);
    let ub = common::floats(&expect["ub"]);
    for i in 0..lb.len() {
        assert!(
            (b.lower_bounds()[i] - lb[i]).abs() <= 1e-9,
            "{what} lb[{i}]: {} vs {}",
            b.lower_bounds()[i],
            lb[i]
        );
        assert!(
            (b.upper_bounds()[i] - ub[i]).abs() <= 1e-9,
            "{what} ub[{i}]: {} vs {}",
            b.upper_bounds()[i],
            ub[i]
        );
    }
}

#[test]
fn tiny_mlp_matches_auto_lirpa() {
    let Some(t) = tiny_mlp() else { return };
    let dom = |norm| InputDomain::ball(t.x0.clone(), t.eps, norm).unwrap();
    let lirpa = |m: Method| m.auto_lirpa_compatible();
    let run = |norm, m: Method| compute_bounds(&t.net, &dom(norm), None, &lirpa(m)).unwrap();
    // Forward pass.
    let fx = proven::Network::forward(&t.net, &t.x0).unwrap();
    for (i, v) in common::floats(&t.json["f(x0)"]).iter().enumerate() {
        assert!((fx[i] - v).abs() < 1e-12);
    }
    assert_bounds(&run(Norm::LInf, Method::ibp()), &t.json["IBP"], "IBP");
    assert_bounds(
        &run(Norm::LInf, Method::crown_ibp()),
        &t.json["CROWN-IBP"],
        "CROWN-IBP",
    );
    assert_bounds(&run(Norm::LInf, Method::crown()), &t.json["CROWN"], "CROWN");
    assert_bounds(
        &run(Norm::LInf, Method::crown()),
        &t.json["CROWN_relu_adaptive"],
        "adaptive",
    );
    assert_bounds(
        &run(Norm::LInf, Method::fast_lin()),
        &t.json["CROWN_relu_same-slope"],
        "same-slope",
    );
    assert_bounds(
        &run(
            Norm::LInf,
            Method::crown().with_relu_lower(ReluLowerSlope::Zero),
        ),
        &t.json["CROWN_relu_zero-lb"],
        "zero-lb",
    );
    assert_bounds(&run(Norm::L2, Method::ibp()), &t.json["l2_IBP"], "l2 IBP");
    assert_bounds(
        &run(Norm::L2, Method::crown()),
        &t.json["l2_CROWN"],
        "l2 CROWN",
    );
    assert_bounds(&run(Norm::L1, Method::ibp()), &t.json["l1_IBP"], "l1 IBP");
    assert_bounds(
        &run(Norm::L1, Method::crown()),
        &t.json["l1_CROWN"],
        "l1 CROWN",
    );

    // A matrices and biases (both ends of every intermediate row, to compare them below; the
    // final lines are the same without, checked here too).
    let b = run(
        Norm::LInf,
        Method::crown().with_complete_intermediate_bounds(),
    );
    let short = run(Norm::LInf, Method::crown());
    assert_eq!(short.lower().a, b.lower().a);
    assert_eq!(short.upper().a, b.upper().a);
    assert_eq!(short.lower_bounds(), b.lower_bounds());
    assert_eq!(short.upper_bounds(), b.upper_bounds());
    let a = &t.json["CROWN_A"];
    for (key, side) in [("lA", b.lower()), ("uA", b.upper())] {
        for (r, row) in a[key].as_array().unwrap().iter().enumerate() {
            for (c, v) in common::floats(row).iter().enumerate() {
                assert!((side.a[(r, c)] - v).abs() <= 1e-9, "{key}[{r},{c}]");
            }
        }
    }
    for (key, side) in [("lbias", b.lower()), ("ubias", b.upper())] {
        for (r, v) in common::floats(&a[key]).iter().enumerate() {
            assert!((side.b[r] - v).abs() <= 1e-9, "{key}[{r}]");
        }
    }

    // Intermediate pre-activation bounds of both ReLU layers.
    let inter = &t.json["CROWN_intermediate_preactivation"];
    for (key, layer) in [("/input", 1usize), ("/input-3", 3)] {
        let got = b.layer_input_bounds(layer).unwrap();
        let lb = common::floats(&inter[key]["lb"]);
        let ub = common::floats(&inter[key]["ub"]);
        for i in 0..lb.len() {
            assert!((got.lower()[i] - lb[i]).abs() <= 1e-9, "{key} lb[{i}]");
            assert!((got.upper()[i] - ub[i]).abs() <= 1e-9, "{key} ub[{i}]");
        }
    }

    // Margins of class 0, folded.
    let c = Specification::margins::<f64>(3, 0).unwrap();
    let m = compute_bounds(&t.net, &dom(Norm::LInf), Some(&c), &lirpa(Method::crown())).unwrap();
    assert_bounds(&m, &t.json["CROWN_margin_class0"], "margins");

    // Soundness against the sampled extremes stored with the reference.
    let smin = common::floats(&t.json["sampled_min"]);
    let smax = common::floats(&t.json["sampled_max"]);
    for i in 0..3 {
        assert!(b.lower_bounds()[i] <= smin[i] && b.upper_bounds()[i] >= smax[i]);
    }
}
