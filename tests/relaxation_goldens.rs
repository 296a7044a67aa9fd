//! Golden single-neuron lines: bound-propagation.md §7.3 (S-shaped activations, "paper rule"
//! column: exact bisection for the tangent point, no safety shift) and §2.1 (ReLU), to 1e-6.

use proven::Activation;
use proven::activation::{
    ElementwiseActivation, Line, RelaxationPolicy, ReluLowerSlope, SShaped, relu_relaxation,
    s_shaped_relaxation,
};

const TOL: f64 = 1e-6;

fn assert_line(got: Line<f64>, slope: f64, intercept: f64, what: &str) {
    assert!(
        (got.slope - slope).abs() <= TOL && (got.intercept - intercept).abs() <= TOL,
        "{what}: got {:.6}z{:+.6}, expected {slope:.6}z{intercept:+.6}",
        got.slope,
        got.intercept
    );
}

/// (function, l, u, upper slope, upper intercept, lower slope, lower intercept)
const PAPER_RULE: [(SShaped, f64, f64, f64, f64, f64, f64); 9] = [
    (
        SShaped::Sigmoid,
        -3.0,
        -1.0,
        0.110758,
        0.379699,
        0.104994,
        0.329190,
    ),
    (
        SShaped::Sigmoid,
        1.0,
        3.0,
        0.104994,
        0.670810,
        0.110758,
        0.620301,
    ),
    (
        SShaped::Sigmoid,
        -1.0,
        2.0,
        0.235681,
        0.504623,
        0.204055,
        0.472688,
    ),
    (
        SShaped::Sigmoid,
        -4.0,
        0.5,
        0.134327,
        0.555296,
        0.246181,
        0.499369,
    ),
    (
        SShaped::Tanh,
        -3.0,
        -1.0,
        0.116730,
        -0.644864,
        0.070651,
        -0.822726,
    ),
    (
        SShaped::Tanh,
        -1.0,
        2.0,
        0.816219,
        0.054625,
        0.581573,
        -0.199118,
    ),
    (
        SShaped::Tanh,
        -4.0,
        0.5,
        0.324766,
        0.299734,
        0.942725,
        -0.009245,
    ),
    (
        SShaped::Arctan,
        -3.0,
        -1.0,
        0.231824,
        -0.553574,
        0.2,
        -0.707149,
    ),
    (
        SShaped::Arctan,
        -1.0,
        2.0,
        0.833279,
        0.047881,
        0.636603,
        -0.166058,
    ),
];

#[test]
fn s_shaped_paper_rule_lines() {
    for (f, l, u, us, ui, ls, li) in PAPER_RULE {
        let r = s_shaped_relaxation(f, l, u);
        let what = format!("{f:?} on [{l}, {u}]");
        assert_line(r.upper, us, ui, &format!("{what} upper"));
        assert_line(r.lower, ls, li, &format!("{what} lower"));
    }
}

/// The same lines through the built-in [`Activation`] (the path the engine takes).
#[test]
fn s_shaped_paper_rule_lines_through_activation() {
    for (f, l, u, us, ui, ls, li) in PAPER_RULE {
        let act = match f {
            SShaped::Sigmoid => Activation::Sigmoid,
            SShaped::Tanh => Activation::Tanh,
            SShaped::Arctan => Activation::Arctan,
        };
        let r = <Activation as ElementwiseActivation<f64>>::relax(
            &act,
            l,
            u,
            &RelaxationPolicy::default(),
        );
        assert_line(r.upper, us, ui, &format!("{act:?} on [{l}, {u}] upper"));
        assert_line(r.lower, ls, li, &format!("{act:?} on [{l}, {u}] lower"));
    }
}

#[test]
fn relu_lines_of_section_2_1() {
    // [−2, 4]: upper 0.666667z + 1.333333, CROWN-Ada lower z (u > −l).
    let r = relu_relaxation(-2.0_f64, 4.0, ReluLowerSlope::Adaptive);
    assert_line(r.upper, 2.0 / 3.0, 4.0 / 3.0, "relu [-2, 4] upper");
    assert_line(r.lower, 1.0, 0.0, "relu [-2, 4] lower");
    // [−3, 1]: upper 0.25z + 0.75, CROWN-Ada lower 0.
    let r = relu_relaxation(-3.0_f64, 1.0, ReluLowerSlope::Adaptive);
    assert_line(r.upper, 0.25, 0.75, "relu [-3, 1] upper");
    assert_line(r.lower, 0.0, 0.0, "relu [-3, 1] lower");
    // Fast-Lin: the lower line has the upper slope u/(u − l), through the origin.
    let r = relu_relaxation(-3.0_f64, 1.0, ReluLowerSlope::SameAsUpper);
    assert_line(r.lower, 0.25, 0.0, "relu [-3, 1] Fast-Lin lower");
    // Stable neurons are exact.
    let r = relu_relaxation(-3.0_f64, -1.0, ReluLowerSlope::Adaptive);
    assert_line(r.upper, 0.0, 0.0, "relu [-3, -1] upper");
    assert_line(r.lower, 0.0, 0.0, "relu [-3, -1] lower");
    let r = relu_relaxation(1.0_f64, 3.0, ReluLowerSlope::SameAsUpper);
    assert_line(r.upper, 1.0, 0.0, "relu [1, 3] upper");
    assert_line(r.lower, 1.0, 0.0, "relu [1, 3] lower");
}

#[test]
fn leaky_relu_lines_of_section_2_1() {
    // γ = 0.1 on [−2, 4]: α_U = (u − γl)/(u − l) = 4.2/6 = 0.7, β_U = −l·α_U + γl = 1.4 − 0.2.
    let r = <Activation as ElementwiseActivation<f64>>::relax(
        &Activation::LeakyRelu(0.1),
        -2.0,
        4.0,
        &RelaxationPolicy::default(),
    );
    assert_line(r.upper, 0.7, 1.2, "leaky [-2, 4] upper");
    assert_line(r.lower, 1.0, 0.0, "leaky [-2, 4] lower");
    let r = <Activation as ElementwiseActivation<f64>>::relax(
        &Activation::LeakyRelu(0.1),
        -3.0,
        1.0,
        &RelaxationPolicy::default(),
    );
    assert_line(r.lower, 0.1, 0.0, "leaky [-3, 1] lower (slope γ)");
}
