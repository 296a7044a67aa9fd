//! Tests of [`Certifier`]'s radius searches on a linear model with closed-form radii.

use super::*;
use crate::layers::Dense;
use crate::noise::{TailBound, hoeffding_multiplier, uniform_subgaussian_multiplier};
use crate::{Error, Layer, Sequential};
use nalgebra::{DMatrix, DVector};

const D: usize = 100;

/// Two classes in `D` inputs: `f0 = 1.5`, `f1 = Σ_k x_k`, so the margin of class 0 at `x0 = 0` is
/// `1.5 − Σ_k x_k`, with `‖a‖₁ = D` and `‖a‖₂ = √D`.
fn linear_net() -> Sequential<f64> {
    let mut w = DMatrix::zeros(2, D);
    w.row_mut(1).fill(1.0);
    let b = DVector::from_vec(vec![1.5, 0.0]);
    Sequential::new(vec![
        Box::new(Dense::new(w, b).unwrap()) as Box<dyn Layer<f64>>
    ])
    .unwrap()
}

fn close(got: f64, want: f64) -> bool {
    // 20 log bisections after a doubling bracket: resolution 2^(1/2^20) − 1 ≈ 6.6e-7.
    got <= want && want / got < 1.0 + 1e-6
}

#[test]
fn radii_match_closed_forms_and_share_bound_calls() {
    let net = linear_net();
    let x0 = DVector::zeros(D);
    let c = Certifier::new(&net).delta(1e-4).unwrap();
    let tails = [
        TailBound::Hoeffding,
        TailBound::SubGaussian,
        TailBound::Chernoff,
        TailBound::Bernstein,
    ];
    let r = c.radii(&x0, 0, &NoiseFamily::Uniform, &tails).unwrap();
    let sqrt_d = (D as f64).sqrt();
    assert!(close(r.worst_case.certified, 1.5 / D as f64), "{r:?}");
    // Hoeffding / sub-Gaussian: 1.5 ≥ m·ε·‖a‖₂.
    let h = 1.5 / (hoeffding_multiplier(1e-4).unwrap() * sqrt_d);
    let sg = 1.5 / (uniform_subgaussian_multiplier(1e-4).unwrap() * sqrt_d);
    assert!(close(r.probabilistic[0].1.certified, h), "{r:?}");
    assert!(close(r.probabilistic[1].1.certified, sg), "{r:?}");
    // Chernoff is never looser than the sub-Gaussian bound (same MGF, optimised λ).
    assert!(r.probabilistic[2].1.certified >= r.probabilistic[1].1.certified);
    for (i, (t, _)) in r.probabilistic.iter().enumerate() {
        assert_eq!(*t, tails[i]);
        assert!(r.ratio(i) > 1.0, "{t:?}: {}", r.ratio(i));
    }
    // Shared calls: fewer than one per evaluation, at least the distinct radii of the longest
    // search, and the worst-case search alone costs one call per evaluation.
    let evaluations: usize = r.worst_case.evaluations
        + r.probabilistic
            .iter()
            .map(|(_, s)| s.evaluations)
            .sum::<usize>();
    assert!(
        r.bound_calls < evaluations,
        "{} vs {evaluations}",
        r.bound_calls
    );
    let alone = c.worst_case_radius(&x0, 0).unwrap();
    assert_eq!(alone, r.worst_case);
    assert!(r.bound_calls > alone.evaluations);
}

#[test]
fn radius_is_radii_with_the_configured_tail() {
    let net = linear_net();
    let x0 = DVector::zeros(D);
    for tail in [TailBound::Hoeffding, TailBound::Chernoff] {
        let c = Certifier::new(&net).tail(tail).unwrap();
        let one = c.radius(&x0, 0, &NoiseFamily::Uniform).unwrap();
        let many = c
            .radii(
                &x0,
                0,
                &NoiseFamily::Uniform,
                &[tail, TailBound::SubGaussian],
            )
            .unwrap();
        assert_eq!(one.worst_case, many.worst_case);
        assert_eq!(one.probabilistic, many.probabilistic[0].1);
        assert!((one.ratio - many.ratio(0)).abs() <= f64::EPSILON * one.ratio);
        assert!(one.bound_calls <= many.bound_calls);
    }
}

#[test]
fn gaussian_family_shares_calls_between_tails_only() {
    let net = linear_net();
    let x0 = DVector::zeros(D);
    let c = Certifier::new(&net);
    let fam = NoiseFamily::gaussian();
    let r = c
        .radii(&x0, 0, &fam, &[TailBound::Exact, TailBound::SubGaussian])
        .unwrap();
    // Exact Gaussian tails are never looser than the sub-Gaussian bound with the variance proxy.
    assert!(r.probabilistic[0].1.certified >= r.probabilistic[1].1.certified);
    assert!(r.probabilistic[0].1.certified > 0.0);
    let wc = r.worst_case.evaluations;
    let p: usize = r.probabilistic.iter().map(|(_, s)| s.evaluations).sum();
    assert!(r.bound_calls >= wc && r.bound_calls < wc + p);
}

#[test]
fn radii_refuses_estimates_and_bad_labels() {
    let net = linear_net();
    let x0 = DVector::zeros(D);
    let c = Certifier::new(&net);
    assert!(matches!(
        c.radii(&x0, 0, &NoiseFamily::Uniform, &[TailBound::CltEstimate]),
        Err(Error::NotCertified { .. })
    ));
    assert!(matches!(
        c.worst_case_radius(&x0, 2),
        Err(Error::InvalidParameter { name: "label", .. })
    ));
}

#[test]
fn radii_with_probabilistic_intermediate_bounds_match_radius() {
    use crate::layers::ActivationLayer;
    use crate::{Activation, Network};
    // A ReLU layer so that there are intermediate bounds to narrow.
    let mut w1 = DMatrix::zeros(4, D);
    for (r, mut row) in w1.row_iter_mut().enumerate() {
        row.iter_mut()
            .enumerate()
            .for_each(|(k, v)| *v = if (k + r) % 3 == 0 { 0.2 } else { -0.1 });
    }
    let w2 = DMatrix::from_row_slice(2, 4, &[1.0, -1.0, 0.5, 0.0, -1.0, 1.0, 0.0, 0.5]);
    let net = Sequential::new(vec![
        Box::new(Dense::new(w1, DVector::from_element(4, 0.05)).unwrap()) as Box<dyn Layer<f64>>,
        Box::new(ActivationLayer::new(4, Activation::Relu).unwrap()),
        Box::new(Dense::new(w2, DVector::from_vec(vec![0.3, 0.0])).unwrap()),
    ])
    .unwrap();
    let x0 = DVector::from_element(D, 0.5);
    let label = net.forward(&x0).unwrap().argmax().0;
    let c = Certifier::new(&net)
        .intermediate(IntermediateMode::Probabilistic { split: 0.5 })
        .unwrap();
    let one = c.radius(&x0, label, &NoiseFamily::Uniform).unwrap();
    let many = c
        .radii(&x0, label, &NoiseFamily::Uniform, &[TailBound::SubGaussian])
        .unwrap();
    assert_eq!(one.probabilistic, many.probabilistic[0].1);
    // The bounds depend on the tail: one call per probabilistic evaluation.
    assert_eq!(
        many.bound_calls,
        many.worst_case.evaluations + many.probabilistic[0].1.evaluations
    );
}
