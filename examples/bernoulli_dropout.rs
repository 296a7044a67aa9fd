//! Pixel dropout: every pixel of a digit is set to 0 independently with probability `p`.
//!
//! Run: `cargo run --release --example bernoulli_dropout [-- --p 0.005,0.01,0.02,0.05]`
//!
//! Dropout is a Bernoulli perturbation whose size differs per pixel: `Δ_k = −x_k` with
//! probability `p`, else `0`. It is described exactly as [`BoundedIndependent`] noise with range
//! `[−x_k, 0]`, mean `−p·x_k` and variance `p(1 − p)·x_k²` per pixel; the Chernoff tail then uses
//! the exact two-point moment generating function of each pixel (Hoeffding 1963). The linear
//! bounds must hold on the noise's support, the box `[0, x]` of every dropout pattern, which
//! [`Certifier::certify`] takes from the noise model.
//!
//! For a few dropout rates the example prints the certified bound on `P[top-1 changes]` of the
//! PGD-trained digits MLP on one test image, with worst-case intermediate bounds (PROVEN) and with
//! probabilistic intermediate bounds (`IntermediateMode::Probabilistic`), next to a Monte Carlo
//! estimate. Pixels that are already 0 cannot drop; they have a zero range.

use proven::Network;
use proven::certify::{Certifier, IntermediateMode, monte_carlo_top1};
use proven::datasets::Digits;
use proven::io::onnx::load_onnx;
use proven::noise::{BoundedIndependent, TailBound};
use std::path::Path;

/// Dropout of each pixel with probability `p`, as bounded independent noise around `x`.
fn dropout(x: &[f64], p: f64) -> proven::Result<BoundedIndependent> {
    let lo: Vec<f64> = x.iter().map(|v| -v).collect();
    let hi = vec![0.0; x.len()];
    BoundedIndependent::new(lo, hi)?
        .with_means(x.iter().map(|v| -p * v).collect())?
        .with_variances(x.iter().map(|v| p * (1.0 - p) * v * v).collect())
}

fn main() -> proven::Result<()> {
    // `--p 0.005,0.02` picks the dropout rates (each probabilistic certificate takes about a
    // second: Chernoff tails for every hidden neuron's two sides).
    let args: Vec<String> = std::env::args().collect();
    let rates: Vec<f64> = args
        .iter()
        .position(|a| a == "--p")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').filter_map(|v| v.parse().ok()).collect())
        .unwrap_or_else(|| vec![0.01, 0.05]);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/digits_mlp_pgd.onnx");
    let net = load_onnx::<f64>(path)?.network;
    let test = Digits::embedded()?.test();
    let (x, label) = (&test.images[0], test.labels[0]);
    assert_eq!(
        net.forward(x)?.argmax().0,
        label,
        "test row 0 is classified correctly"
    );
    let pixels: Vec<f64> = x.iter().copied().collect();
    println!(
        "digits_mlp_pgd, test row 0 (label {label}, {} of 64 pixels non-zero): pixel dropout",
        pixels.iter().filter(|v| **v > 0.0).count()
    );
    println!("certified upper bounds on P[top-1 changes] (Chernoff tails, δ = 1 %):\n");
    println!(
        "| p | PROVEN (worst-case intermediates) | probabilistic intermediates | certified at 99 % | Monte Carlo estimate (99.9 % interval) |"
    );
    println!("|---|---|---|---|---|");
    let plain = Certifier::new(&net)
        .delta(0.01)?
        .tail(TailBound::Chernoff)?;
    let prob_int = Certifier::new(&net)
        .delta(0.01)?
        .tail(TailBound::Chernoff)?
        .intermediate(IntermediateMode::Probabilistic { split: 0.5 })?;
    for p in rates {
        let noise = dropout(&pixels, p)?;
        let worst = plain.certify(x, label, &noise)?;
        let prob = prob_int.certify(x, label, &noise)?;
        let mc = monte_carlo_top1(&net, x, label, &noise, 20_000, 0.999, 7)?;
        assert!(mc.consistent_with(worst.failure().value()));
        assert!(mc.consistent_with(prob.failure().value()));
        println!(
            "| {p} | {:.2e} | {:.2e} | {} | {:.2e} [{:.1e}, {:.1e}] |",
            worst.failure().value(),
            prob.failure().value(),
            if worst.is_certified() || prob.is_certified() {
                "yes"
            } else {
                "no"
            },
            mc.rate(),
            mc.interval.0,
            mc.interval.1
        );
    }
    println!(
        "\nThe bounds are certificates for this noise law; the Monte Carlo column is an estimate. \
         A bound of 1 means nothing could be certified. With worst-case intermediate bounds every \
         neuron must be bounded over all 2^35 dropout patterns at once, which leaves nothing to \
         certify; probabilistic intermediate bounds (half of δ spent on the hidden neurons) make \
         small dropout rates certifiable."
    );
    Ok(())
}
