//! Time and peak memory of CROWN margins for one image on a CNN, with convolutions kept as
//! kernels (`tensor`) or replaced by their dense matrices (`dense`). One configuration per
//! process, so that the peak resident size (`VmHWM` from `/proc/self/status`, Linux only) belongs
//! to it alone:
//!
//! ```text
//! cargo run --release --example cnn_memory -- <convnet_avgpool|cifar_base_kw> <tensor|dense>
//! ```
//!
//! The networks have the layer shapes of the VNN-COMP 2021 models with random weights
//! (`proven::testing::{convnet_avgpool_like, cifar_base_kw_like}`); inputs uniform in `[0, 1]`,
//! ℓ∞ radius 0.02 (MNIST shape) or 2/255 (CIFAR shape).

use nalgebra::DVector;
use proven::testing::{cifar_base_kw_like, convnet_avgpool_like};
use proven::{InputDomain, Method, Network, Norm, Specification, compute_bounds};
use rand::{RngExt, SeedableRng};
use std::time::Instant;

fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (name, mode) = match args.as_slice() {
        [n, m] => (n.as_str(), m.as_str()),
        _ => {
            eprintln!("usage: cnn_memory <convnet_avgpool|cifar_base_kw> <tensor|dense>");
            std::process::exit(2);
        }
    };
    let dense = match mode {
        "tensor" => false,
        "dense" => true,
        other => return Err(format!("unknown mode `{other}`").into()),
    };
    let before = peak_kib();
    let t = Instant::now();
    let (net, eps) = match name {
        "convnet_avgpool" => (convnet_avgpool_like(1, dense)?, 0.02),
        "cifar_base_kw" => (cifar_base_kw_like(1, dense)?, 2.0 / 255.0),
        other => return Err(format!("unknown network `{other}`").into()),
    };
    let build = t.elapsed();
    let mut rng = rand::rngs::SmallRng::seed_from_u64(5);
    let x0 = DVector::from_fn(net.input_dim(), |_, _| rng.random_range(0.0..1.0));
    let label = net.forward(&x0)?.argmax().0;
    let domain = InputDomain::ball(x0, eps, Norm::LInf)?;
    let spec = Specification::margins::<f64>(net.output_dim(), label)?;
    let t = Instant::now();
    let b = compute_bounds(&net, &domain, Some(&spec), &Method::crown())?;
    let bounds = t.elapsed();
    let worst = b
        .lower_bounds()
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    println!(
        "{name} {mode}: build {:.3} s, CROWN margins {:.3} s, peak RSS {} MiB (before building {} MiB), min margin lower bound {worst:.6}",
        build.as_secs_f64(),
        bounds.as_secs_f64(),
        peak_kib().map_or("n/a".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
        before.map_or("n/a".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
    );
    Ok(())
}
