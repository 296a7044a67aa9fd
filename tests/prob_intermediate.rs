//! Probabilistic intermediate bounds: reproduction of the method note's radii, and Monte Carlo
//! checks of the certificate and of its bookkeeping (samples leaving the narrowed intervals).

mod common;

use common::{floats, shared_path};
use nalgebra::{DMatrix, DVector};
use proven::certify::{Certifier, IntermediateMode, NoiseFamily, ProbabilisticTightener};
use proven::io::onnx::load_onnx;
use proven::layers::{ActivationLayer, Dense};
use proven::noise::{NoiseModel, TailBound, Uniform, clopper_pearson};
use proven::{
    Activation, InputDomain, Layer, LinearBounds, Method, Network, Norm, Sequential, Specification,
    compute_bounds_tightened,
};
use rand::SeedableRng;

/// Per sample: whether some layer input left its interval, and whether the top-1 class changed.
fn sample_events(
    net: &dyn Network<f64>,
    bounds: &LinearBounds<f64>,
    x0: &DVector<f64>,
    label: usize,
    noise: &dyn NoiseModel,
    samples: u64,
    seed: u64,
) -> (u64, u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (mut left, mut changed) = (0, 0);
    for _ in 0..samples {
        let d = noise.sample(&mut rng);
        let mut y = x0 + DVector::from_vec(d);
        let mut outside = false;
        for (k, layer) in net.layers().iter().enumerate() {
            if let Some(b) = bounds.layer_input_bounds(k)
                && !layer.is_linear()
                && !b.contains(&y, 1e-9)
            {
                outside = true;
            }
            y = layer.forward(&y);
        }
        left += u64::from(outside);
        let top = y[label];
        changed += u64::from(y.iter().enumerate().any(|(j, v)| j != label && *v >= top));
    }
    (left, changed)
}

#[test]
fn reproduces_the_method_note_on_mnistfc_256x2() {
    let Some(models) = shared_path("models/mnistfc") else {
        return;
    };
    let reference = shared_path("reference/prob_intermediate__mnist-net_256x2.json").unwrap();
    let refs: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(reference).unwrap()).unwrap();
    let net = load_onnx::<f64>(models.join("mnist-net_256x2.onnx"))
        .unwrap()
        .network;
    let images: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(models.join("images.json")).unwrap())
            .unwrap();
    let c = Certifier::new(&net)
        .method(Method::crown().dense())
        .tail(TailBound::SubGaussian)
        .unwrap()
        .delta(1e-4)
        .unwrap()
        .intermediate(IntermediateMode::Probabilistic { split: 0.9 })
        .unwrap();
    let img = &images["images"][0];
    let x = DVector::from_vec(floats(&img["x"]));
    let label = img["label"].as_u64().unwrap() as usize;
    let r = c.radius(&x, label, &NoiseFamily::Uniform).unwrap();
    let want = refs[0]["prob_intermediate_subgaussian_eps"]
        .as_f64()
        .unwrap();
    assert!(
        r.probabilistic.certified >= 0.98 * want,
        "{} vs reference {want}",
        r.probabilistic.certified
    );
    assert!(r.ratio >= 5.8, "ratio {}", r.ratio);

    // Monte Carlo at the certified radius: top-1 changes and interval exits.
    let eps = r.probabilistic.certified;
    let noise = Uniform::new(784, eps).unwrap();
    let cert = c.certify(&x, label, &noise).unwrap();
    assert!(cert.is_certified());
    let acc = cert.intermediate.unwrap();
    assert!(acc.sides > 100 && acc.charged.value() <= 0.9e-4 * (1.0 + 1e-9));
    let n = 20_000;
    let (left, changed) = sample_events(&net, &cert.bounds, &x, label, &noise, n, 7);
    let (flip_lo, _) = clopper_pearson(changed, n, 0.999).unwrap();
    let (exit_lo, _) = clopper_pearson(left, n, 0.999).unwrap();
    assert!(
        cert.failure().value() >= flip_lo,
        "{changed} changes of {n}"
    );
    assert!(acc.charged.value() >= exit_lo, "{left} exits of {n}");
}

/// Random small ReLU networks with a large per-side budget, so that exits really happen: the
/// fraction of samples leaving the narrowed intervals must be consistent with the charged mass,
/// and on samples that stay inside, the final lines must hold.
#[test]
fn bookkeeping_on_random_small_networks() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    use rand::RngExt;
    let mut checked = 0;
    for case in 0..12 {
        let dims = [16, 12, 12, 4];
        let mut layers: Vec<Box<dyn Layer<f64>>> = Vec::new();
        for k in 0..3 {
            let s = (3.0 / dims[k] as f64).sqrt();
            let w = DMatrix::from_fn(dims[k + 1], dims[k], |_, _| {
                (2.0 * rng.random::<f64>() - 1.0) * s
            });
            let b = DVector::from_fn(dims[k + 1], |_, _| 0.2 * (rng.random::<f64>() - 0.5));
            layers.push(Box::new(Dense::new(w, b).unwrap()));
            if k < 2 {
                layers.push(Box::new(
                    ActivationLayer::new(dims[k + 1], Activation::Relu).unwrap(),
                ));
            }
        }
        let net = Sequential::new(layers).unwrap();
        let x0 = DVector::from_fn(16, |_, _| rng.random::<f64>());
        let label = net.forward(&x0).unwrap().argmax().0;
        let eps = 0.3;
        let noise = Uniform::new(16, eps).unwrap();
        let side_budget = 0.02;
        let x: Vec<f64> = x0.iter().copied().collect();
        let mut t =
            ProbabilisticTightener::new(&noise, &x, TailBound::SubGaussian, side_budget).unwrap();
        let spec = Specification::margins::<f64>(4, label).unwrap();
        let domain = InputDomain::ball(x0.clone(), eps, Norm::LInf).unwrap();
        let bounds =
            compute_bounds_tightened(&net, &domain, Some(&spec), &Method::crown(), Some(&mut t))
                .unwrap();
        let n = 20_000u64;
        let mut srng = rand::rngs::StdRng::seed_from_u64(case);
        let mut left = 0;
        for _ in 0..n {
            let xs = &x0 + DVector::from_vec(noise.sample(&mut srng));
            let mut y = xs.clone();
            let mut inside = true;
            for (k, layer) in net.layers().iter().enumerate() {
                if !layer.is_linear() && !bounds.layer_input_bounds(k).unwrap().contains(&y, 1e-9) {
                    inside = false;
                }
                y = layer.forward(&y);
            }
            if inside {
                // On E the margin lines hold.
                let m = &spec * &y;
                let lo = bounds.lower().eval(&xs);
                let hi = bounds.upper().eval(&xs);
                for r in 0..m.len() {
                    assert!(lo[r] <= m[r] + 1e-9 && m[r] <= hi[r] + 1e-9, "case {case}");
                }
            } else {
                left += 1;
            }
        }
        let (lo, _) = clopper_pearson(left, n, 0.999).unwrap();
        assert!(
            t.charged().value() >= lo,
            "case {case}: {left} exits of {n}, charged {} ({} sides)",
            t.charged().value(),
            t.sides()
        );
        checked += n;
    }
    assert!(checked >= 200_000);
}
