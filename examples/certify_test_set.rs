//! Certify the whole digits test set (360 images) at one noise level and confidence.
//!
//! Run: `cargo run --release --example certify_test_set [-- --model digits_mlp_pgd]
//! [--noise uniform|bernoulli|gaussian] [--scale 0.05] [--confidence 0.999] [--limit N]`
//!
//! For every test image: is it classified correctly, is the prediction certified at the given
//! noise scale (ε, or σ for Gaussian noise) with the given confidence, and what are its worst-case
//! radius and its probabilistic radius (CROWN, worst-case intermediate bounds, sub-Gaussian tails
//! for bounded noise and exact tails for Gaussian noise)? A progress line goes to stderr; the
//! summary gives the certified accuracy (correct and certified) and the mean radii over the
//! correctly classified images.

use proven::Network;
use proven::certify::{Certifier, NoiseFamily};
use proven::datasets::Digits;
use proven::io::onnx::load_onnx;
use proven::noise::TailBound;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> proven::Result<()> {
    let model = arg("--model").unwrap_or_else(|| "digits_mlp_pgd".into());
    let scale: f64 = arg("--scale").and_then(|s| s.parse().ok()).unwrap_or(0.05);
    let confidence: f64 = arg("--confidence")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.999);
    let (family, tail) = match arg("--noise").as_deref() {
        Some("bernoulli") => (NoiseFamily::Bernoulli { p: None }, TailBound::SubGaussian),
        Some("gaussian") => (NoiseFamily::gaussian(), TailBound::Exact),
        _ => (NoiseFamily::Uniform, TailBound::SubGaussian),
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("models/{model}.onnx"));
    let net = load_onnx::<f64>(path)?.network;
    let test = Digits::embedded()?.test();
    let limit: usize = arg("--limit")
        .and_then(|s| s.parse().ok())
        .unwrap_or(test.len());
    let certifier = Certifier::new(&net).confidence(confidence)?.tail(tail)?;
    let dim = net.input_dim();

    let live = std::io::stderr().is_terminal();
    let start = Instant::now();
    let (mut correct, mut certified, mut worst_sum, mut prob_sum) = (0usize, 0usize, 0.0, 0.0);
    let n = limit.min(test.len());
    for i in 0..n {
        let (x, label) = (&test.images[i], test.labels[i]);
        if net.forward(x)?.argmax().0 == label {
            correct += 1;
            let noise = family.at(dim, scale, certifier.failure_budget())?;
            if certifier.certify(x, label, noise.as_ref())?.is_certified() {
                certified += 1;
            }
            let r = certifier.radius(x, label, &family)?;
            worst_sum += r.worst_case.certified;
            prob_sum += r.probabilistic.certified;
        }
        if live && ((i + 1) % 10 == 0 || i + 1 == n) {
            eprint!(
                "\r{}/{n} images, {certified} certified, {:.1}s",
                i + 1,
                start.elapsed().as_secs_f64()
            );
            let _ = std::io::stderr().flush();
        }
    }
    if live {
        eprintln!();
    }
    let mean = |s: f64| {
        if correct > 0 {
            s / correct as f64
        } else {
            f64::NAN
        }
    };
    println!(
        "{model}, {} noise at scale {scale}, confidence {confidence}: {n} test images",
        family.name()
    );
    println!(
        "  clean accuracy        {:.2} % ({correct}/{n})",
        100.0 * correct as f64 / n as f64
    );
    println!(
        "  certified accuracy    {:.2} % ({certified}/{n} correct and certified)",
        100.0 * certified as f64 / n as f64
    );
    println!(
        "  mean worst-case ε     {:.4} (over the correct images)",
        mean(worst_sum)
    );
    println!(
        "  mean probabilistic radius {:.4} (ratio of means {:.2})",
        mean(prob_sum),
        mean(prob_sum) / mean(worst_sum)
    );
    println!("  time {:.1}s", start.elapsed().as_secs_f64());
    Ok(())
}
