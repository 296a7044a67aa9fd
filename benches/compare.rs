//! The cases of `scripts/compare_auto_lirpa.py` (proven side only), under criterion: CROWN
//! margin bounds with auto_LiRPA's rules for one image, for a batch of 15 images (rayon across
//! images) and the 15 images one after the other, and `Certifier::certify` (the probabilistic
//! step on top of the same call).
//!
//! Run: `cargo bench --bench compare` (needs `../shared`; the 784-1024-1024-1024-10 MLP is used
//! when `target/models/mnist_1024x3.onnx` exists, which the script writes). The side-by-side
//! ratios against auto_LiRPA come from the script; see docs/performance.md.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nalgebra::DVector;
use proven::certify::Certifier;
use proven::engine::{BatchJob, compute_bounds_batch};
use proven::io::onnx::load_onnx;
use proven::noise::Uniform;
use proven::{InputDomain, Method, Network, Norm, Sequential, Specification, compute_bounds};
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn images(path: &Path) -> Vec<(DVector<f64>, usize)> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("images.json")).expect("json");
    json["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|im| {
            let x: Vec<f64> = im["x"]
                .as_array()
                .expect("x")
                .iter()
                .map(|v| v.as_f64().expect("pixel"))
                .collect();
            (
                DVector::from_vec(x),
                im["label"].as_u64().expect("label") as usize,
            )
        })
        .collect()
}

fn clipped_box(x: &DVector<f64>, eps: f64) -> InputDomain<f64> {
    InputDomain::boxed(x.map(|v| (v - eps).max(0.0)), x.map(|v| (v + eps).min(1.0))).expect("box")
}

fn compare(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mnistfc = root.join("../shared/models/mnistfc");
    if !mnistfc.exists() {
        eprintln!("skipping: {} not found", mnistfc.display());
        return;
    }
    let images = images(&mnistfc.join("images.json"));
    let mut cases = vec![
        ("mnistfc_256x2", mnistfc.join("mnist-net_256x2.onnx"), 0.03),
        ("mnistfc_256x4", mnistfc.join("mnist-net_256x4.onnx"), 0.03),
    ];
    let big = root.join("target/models/mnist_1024x3.onnx");
    if big.exists() {
        cases.push(("mlp_1024x3", big, 0.01));
    }
    let method = Method::crown().auto_lirpa_compatible();
    let mut group = c.benchmark_group("compare");
    group.sample_size(10);
    for (name, path, eps) in cases {
        let net: Sequential<f64> = load_onnx(&path).expect("onnx").network;
        // The trained MLP certifies its own predictions (as the script does).
        let labelled: Vec<(DVector<f64>, usize)> = images
            .iter()
            .map(|(x, l)| {
                let y = net.forward(x).expect("forward");
                let pred = y.argmax().0;
                (x.clone(), if name == "mlp_1024x3" { pred } else { *l })
            })
            .collect();
        let jobs: Vec<BatchJob<f64>> = labelled
            .iter()
            .map(|(x, l)| BatchJob {
                domain: clipped_box(x, eps),
                spec: Some(Specification::margins::<f64>(10, *l).expect("spec")),
            })
            .collect();
        let first = &jobs[0];
        group.bench_function(BenchmarkId::new("single", name), |b| {
            b.iter(|| {
                black_box(compute_bounds(
                    &net,
                    &first.domain,
                    first.spec.as_ref(),
                    &method,
                ))
            })
        });
        group.bench_function(BenchmarkId::new("batch15_rayon", name), |b| {
            b.iter(|| black_box(compute_bounds_batch(&net, &jobs, &method)))
        });
        group.bench_function(BenchmarkId::new("batch15_sequential", name), |b| {
            b.iter(|| {
                for j in &jobs {
                    black_box(compute_bounds(&net, &j.domain, j.spec.as_ref(), &method)).ok();
                }
            })
        });
        let (x0, label) = &labelled[0];
        let ball = InputDomain::ball(x0.clone(), eps, Norm::LInf).expect("ball");
        let spec = Specification::margins::<f64>(10, *label).expect("spec");
        let noise = Uniform::new(784, eps).expect("noise");
        let certifier = Certifier::new(&net).method(method);
        group.bench_function(BenchmarkId::new("bounds_on_ball", name), |b| {
            b.iter(|| black_box(compute_bounds(&net, &ball, Some(&spec), &method)))
        });
        group.bench_function(BenchmarkId::new("certify_uniform", name), |b| {
            b.iter(|| black_box(certifier.certify(x0, *label, &noise)))
        });
    }
    group.finish();
}

criterion_group!(benches, compare);
criterion_main!(benches);
