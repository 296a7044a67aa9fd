//! Quick start: bounds and probabilistic certificates for a small ReLU network.
//!
//! Run: `cargo run --release --example quickstart`
//!
//! Builds a 64-32-32-10 ReLU MLP with fixed pseudo-random weights, bounds its margins with IBP,
//! Fast-Lin and CROWN on an ℓ∞ ball, then searches the worst-case radius and the probabilistic
//! radius (top-1 prediction unchanged with probability ≥ 99.99 %) under uniform, Bernoulli and
//! Gaussian noise, and checks one certificate by Monte Carlo.

use nalgebra::{DMatrix, DVector};
use proven::certify::{Certifier, NoiseFamily, monte_carlo_top1};
use proven::layers::{ActivationLayer, Dense};
use proven::noise::{TailBound, Uniform};
use proven::{
    Activation, InputDomain, Layer, Method, Network, Norm, Sequential, Specification,
    compute_bounds,
};

fn network() -> proven::Result<Sequential<f64>> {
    // Deterministic weights from a simple formula (no files needed).
    let mut state = 12345u64;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
        ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    };
    let mut layers: Vec<Box<dyn Layer<f64>>> = Vec::new();
    let sizes = [64, 32, 32, 10];
    for k in 0..3 {
        let (n_in, n_out) = (sizes[k], sizes[k + 1]);
        let scale = (3.0 / n_in as f64).sqrt();
        let w = DMatrix::from_fn(n_out, n_in, |_, _| next() * scale);
        let b = DVector::from_fn(n_out, |_, _| 0.1 * next());
        layers.push(Box::new(Dense::new(w, b)?));
        if k < 2 {
            layers.push(Box::new(ActivationLayer::new(n_out, Activation::Relu)?));
        }
    }
    Sequential::new(layers)
}

fn main() -> proven::Result<()> {
    let net = network()?;
    // An 8x8 "image" with values in [0, 1].
    let x0 = DVector::from_fn(64, |i, _| ((i * 37 % 64) as f64) / 64.0);
    let logits = net.forward(&x0)?;
    let label = logits.argmax().0;
    println!("predicted class {label} (logit {:.4})", logits[label]);

    let spec = Specification::margins::<f64>(10, label)?;
    let domain = InputDomain::ball(x0.clone(), 0.01, Norm::LInf)?;
    println!("\nsmallest margin lower bound on the l_inf ball of radius 0.01:");
    for method in [Method::ibp(), Method::fast_lin(), Method::crown()] {
        let b = compute_bounds(&net, &domain, Some(&spec), &method)?;
        println!("  {:<9} min {:.4}", method.name(), b.lower_bounds().min());
    }

    let certifier = Certifier::new(&net).confidence(0.9999)?;
    println!("\nradius search at 99.99% (CROWN, strict sub-Gaussian / exact tails):");
    println!(
        "  {:<12} {:>12} {:>14} {:>7}",
        "noise", "worst-case", "probabilistic", "ratio"
    );
    for family in [
        NoiseFamily::Uniform,
        NoiseFamily::Bernoulli { p: None },
        NoiseFamily::gaussian(),
    ] {
        let c = if matches!(family, NoiseFamily::Gaussian { .. }) {
            Certifier::new(&net)
                .confidence(0.9999)?
                .tail(TailBound::Exact)?
        } else {
            Certifier::new(&net).confidence(0.9999)?
        };
        let r = c.radius(&x0, label, &family)?;
        println!(
            "  {:<12} {:>12.5} {:>14.5} {:>7.2}",
            family.name(),
            r.worst_case.certified,
            r.probabilistic.certified,
            r.ratio
        );
    }

    let eps = certifier
        .radius(&x0, label, &NoiseFamily::Uniform)?
        .probabilistic
        .certified;
    let noise = Uniform::new(64, eps)?;
    let cert = certifier.certify(&x0, label, &noise)?;
    let mc = monte_carlo_top1(&net, &x0, label, &noise, 100_000, 0.999, 1)?;
    println!(
        "\nuniform eps = {eps:.5}: certified P[top-1 changes] <= {:.3e}; Monte Carlo (estimate): \
         {} / {} changes, 99.9% interval [{:.2e}, {:.2e}] -> consistent: {}",
        cert.top1.failure.value(),
        mc.changes,
        mc.samples,
        mc.interval.0,
        mc.interval.1,
        mc.consistent_with(cert.top1.failure.value())
    );
    Ok(())
}
