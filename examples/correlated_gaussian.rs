//! Correlated Gaussian noise with a blur-like covariance on the 8x8 digits.
//!
//! Run: `cargo run --release --example correlated_gaussian`
//!
//! Sensor noise is rarely independent per pixel: blurred white noise moves neighbouring pixels
//! together. This example builds such a covariance Σ on the 8x8 grid
//! ([`proven::datasets::blur_covariance`]: a 3x3 binomial blur of white noise, largest per-pixel
//! variance 1), and for a few digits test images compares the certified radius σ (99.9 %) of
//! `N(0, σ²Σ)` with that of isotropic `N(0, σ²I)`, with worst-case intermediate bounds (PROVEN:
//! every hidden neuron bounded over the whole truncation box, which hides most of the difference
//! between the two laws) and with probabilistic intermediate bounds. It then builds one [`CorrelatedGaussian`] by
//! hand at the certified σ, prints its per-class certificate, and checks it by Monte Carlo.
//!
//! The certificate reads: with probability at least 99.9 % over this noise law (not for every
//! perturbation), the digits MLP's prediction does not change.

use proven::Network;
use proven::certify::{Certifier, IntermediateMode, NoiseFamily, monte_carlo_top1};
use proven::datasets::{Digits, blur_covariance};
use proven::io::onnx::load_onnx;
use proven::noise::{CorrelatedGaussian, TailBound, Truncation};
use std::path::Path;

fn main() -> proven::Result<()> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/digits_mlp.onnx");
    let net = load_onnx::<f64>(path)?.network;
    let test = Digits::embedded()?.test();
    let sigma_blur = blur_covariance(8);
    let delta = 1e-3;
    // Exact Gaussian tails; half of δ pays for the mass outside the truncation box.
    let certifier = Certifier::new(&net).delta(delta)?.tail(TailBound::Exact)?;
    let blur = NoiseFamily::CorrelatedGaussian {
        covariance: sigma_blur.clone(),
        truncation_share: 0.5,
    };
    let iso = NoiseFamily::gaussian();
    // The same with probabilistic intermediate bounds (the hidden neurons are bounded with the
    // noise's own tails instead of over the whole truncation box).
    let prob_int = Certifier::new(&net)
        .delta(delta)?
        .tail(TailBound::Exact)?
        .intermediate(IntermediateMode::Probabilistic { split: 0.9 })?;

    println!("certified σ at 99.9 % (digits_mlp, pixels in [0, 1]):");
    println!(
        "| test row | label | isotropic σ | blur-correlated σ | ratio | isotropic σ, prob. int. | blur σ, prob. int. | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for i in 0..4 {
        let (x, label) = (&test.images[i], test.labels[i]);
        if net.forward(x)?.argmax().0 != label {
            continue;
        }
        let a = certifier.radius(x, label, &iso)?.probabilistic.certified;
        let b = certifier.radius(x, label, &blur)?.probabilistic.certified;
        let c = prob_int.radius(x, label, &iso)?.probabilistic.certified;
        let d = prob_int.radius(x, label, &blur)?.probabilistic.certified;
        println!(
            "| {} | {label} | {a:.4} | {b:.4} | {:.2} | {c:.4} | {d:.4} | {:.2} |",
            test.rows[i],
            b / a,
            d / c
        );
    }

    // One noise law by hand: N(0, σ²Σ) truncated to the box whose outside mass is δ/2.
    let (x, label) = (&test.images[0], test.labels[0]);
    let sigma = certifier.radius(x, label, &blur)?.probabilistic.certified;
    let noise = CorrelatedGaussian::new(
        &sigma_blur * (sigma * sigma),
        Truncation::BoxMass(delta / 2.0),
    )?;
    let cert = certifier.certify(x, label, &noise)?;
    println!("\ntest row 0 (label {label}) at σ = {sigma:.4}:");
    for (t, row) in cert.targets.iter().zip(&cert.rows) {
        // The row bound is the linear bound's Gaussian tail plus the truncation mass.
        println!(
            "  P[class {t} beats {label}] ≤ {:.2e} (tail {:.2e} + truncation {:.2e})",
            row.upper.value(),
            row.lower_line_tail.value(),
            row.truncation.value()
        );
    }
    println!(
        "  union bound (truncation counted once): P[top-1 changes] ≤ {:.2e} (certified: {})",
        cert.failure().value(),
        cert.is_certified()
    );
    let mc = monte_carlo_top1(&net, x, label, &noise, 50_000, 0.999, 1)?;
    println!(
        "  Monte Carlo (an estimate): {} / {} changes, 99.9 % interval [{:.1e}, {:.1e}], consistent: {}",
        mc.changes,
        mc.samples,
        mc.interval.0,
        mc.interval.1,
        mc.consistent_with(cert.failure().value())
    );
    Ok(())
}
