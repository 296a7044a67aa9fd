//! Time and peak memory of CROWN margins for one image on a CNN, with convolutions kept as
//! kernels (`tensor`) or replaced by their dense matrices (`dense`). One configuration per
//! process, so that the peak resident size (`VmHWM` from `/proc/self/status`, Linux only) belongs
//! to it alone:
//!
//! ```text
//! cargo run --release --example cnn_memory -- <network> <tensor|dense>
//! ```
//!
//! `<network>`: `Convnet_avgpool` or `cifar_base_kw` (the VNN-COMP 2021 models in
//! `../shared/models` with the first property of their `../shared/reference` file: the vnnlib
//! input box, margins of the labelled class), or `convnet_avgpool_like` / `cifar_base_kw_like`
//! (the same layer shapes with random weights, `proven::testing`; inputs uniform in `[0, 1]`, ℓ∞
//! radius 0.02 or 2/255). `dense` replaces every convolution by its dense matrix
//! (`proven::testing::densify_convolutions`).

use nalgebra::DVector;
use proven::io::onnx::load_onnx;
use proven::io::vnnlib::read_vnnlib;
use proven::testing::{cifar_base_kw_like, convnet_avgpool_like, densify_convolutions};
use proven::{InputDomain, Method, Network, Norm, Sequential, Specification, compute_bounds};
use rand::{RngExt, SeedableRng};
use std::path::PathBuf;
use std::time::Instant;

fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

type Loaded = (Sequential<f64>, InputDomain<f64>, usize);

/// A real model and the first property of its reference file.
fn real(reference: &str) -> Result<Loaded, Box<dyn std::error::Error>> {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let json = shared.join("reference").join(reference);
    let cases: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json)?)?;
    let first = &cases[0];
    let path = |key: &str| -> Result<PathBuf, String> {
        let rel = first[key]
            .as_str()
            .ok_or(format!("{reference}: no `{key}`"))?;
        Ok(shared.join("models").join(rel))
    };
    let net = load_onnx::<f64>(path("model")?)?.network;
    let prop = read_vnnlib(path("property")?)?;
    let domain = InputDomain::Box(prop.single_box().ok_or("not a single box")?.clone());
    let label = first["label"].as_u64().ok_or("no label")? as usize;
    Ok((net, domain, label))
}

/// A random-weight network of the same shapes, around a uniform input.
fn random(net: Sequential<f64>, eps: f64) -> Result<Loaded, Box<dyn std::error::Error>> {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(5);
    let x0 = DVector::from_fn(net.input_dim(), |_, _| rng.random_range(0.0..1.0));
    let label = net.forward(&x0)?.argmax().0;
    Ok((net, InputDomain::ball(x0, eps, Norm::LInf)?, label))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (name, mode) = match args.as_slice() {
        [n, m] => (n.as_str(), m.as_str()),
        _ => {
            eprintln!(
                "usage: cnn_memory <Convnet_avgpool|cifar_base_kw|convnet_avgpool_like|cifar_base_kw_like> <tensor|dense>"
            );
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
    let (net, domain, label) = match name {
        "Convnet_avgpool" => real("verivital__Convnet_avgpool.json")?,
        "cifar_base_kw" => real("oval21__cifar_base_kw.json")?,
        "convnet_avgpool_like" => random(convnet_avgpool_like(1, false)?, 0.02)?,
        "cifar_base_kw_like" => random(cifar_base_kw_like(1, false)?, 2.0 / 255.0)?,
        other => return Err(format!("unknown network `{other}`").into()),
    };
    let net = if dense {
        densify_convolutions(net)?
    } else {
        net
    };
    let build = t.elapsed();
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
        "{name} {mode}: load/build {:.3} s, CROWN margins {:.3} s, peak RSS {} MiB (before building {} MiB), min margin lower bound {worst:.6}",
        build.as_secs_f64(),
        bounds.as_secs_f64(),
        peak_kib().map_or("n/a".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
        before.map_or("n/a".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
    );
    Ok(())
}
