//! CROWN margins for one image on CNNs, with convolutions kept as kernels (`tensor`: the
//! transposed-convolution backward pass of `Conv2d`) and with every convolution replaced by its
//! dense matrix (`dense`, `proven::testing::densify_convolutions`).
//!
//! Networks: the VNN-COMP 2021 models `verivital/Convnet_avgpool` and `oval21/cifar_base_kw`
//! from `../shared/models` with the first property of their `../shared/reference` file (the
//! vnnlib input box, margins of the labelled class), skipped with a message when `../shared` is
//! missing; and networks of the same layer shapes with random weights
//! (`proven::testing::{convnet_avgpool_like, cifar_base_kw_like}`, ℓ∞ radius 0.02 or 2/255 around
//! a uniform input). Before timing, the two variants are checked to give the same bounds (1e-9).
//!
//! Run: `cargo bench --bench cnn`. Peak memory: `examples/cnn_memory.rs`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nalgebra::DVector;
use proven::io::onnx::load_onnx;
use proven::io::vnnlib::read_vnnlib;
use proven::testing::{cifar_base_kw_like, convnet_avgpool_like, densify_convolutions};
use proven::{InputDomain, Method, Network, Norm, Sequential, Specification, compute_bounds};
use rand::{RngExt, SeedableRng};
use std::hint::black_box;
use std::path::PathBuf;

/// A benchmark case: name, how to build the network, the input domain and the class whose
/// margins are bounded.
struct Case {
    name: String,
    build: Box<dyn Fn() -> Sequential<f64>>,
    domain: InputDomain<f64>,
    label: usize,
}

/// The model and first property of a reference file, or `None` (with a message) without
/// `../shared`.
fn real_case(reference: &str) -> Option<Case> {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let json = shared.join("reference").join(reference);
    let Ok(text) = std::fs::read_to_string(&json) else {
        eprintln!("skipping {reference}: {} not found", json.display());
        return None;
    };
    let cases: serde_json::Value = serde_json::from_str(&text).expect("reference JSON");
    let first = &cases[0];
    let model = shared
        .join("models")
        .join(first["model"].as_str().expect("model"));
    let property = shared
        .join("models")
        .join(first["property"].as_str().expect("property"));
    let build = move || load_onnx::<f64>(&model).expect("model loads").network;
    let prop = read_vnnlib(&property).expect("property parses");
    let domain = InputDomain::Box(prop.single_box().expect("one input box").clone());
    let label = first["label"].as_u64().expect("label") as usize;
    Some(Case {
        name: reference.trim_end_matches(".json").to_string(),
        build: Box::new(build),
        domain,
        label,
    })
}

fn random_case(
    name: &str,
    build: fn(u64, bool) -> proven::Result<Sequential<f64>>,
    eps: f64,
) -> Case {
    let net = build(1, false).expect("network");
    let mut rng = rand::rngs::SmallRng::seed_from_u64(5);
    let x0 = DVector::from_fn(net.input_dim(), |_, _| rng.random_range(0.0..1.0));
    let label = net.forward(&x0).expect("forward").argmax().0;
    let domain = InputDomain::ball(x0, eps, Norm::LInf).expect("domain");
    Case {
        name: format!("{name}_like_random"),
        build: Box::new(move || build(1, false).expect("network")),
        domain,
        label,
    }
}

fn cnn(c: &mut Criterion) {
    let mut cases: Vec<Case> = [
        "verivital__Convnet_avgpool.json",
        "oval21__cifar_base_kw.json",
    ]
    .iter()
    .filter_map(|r| real_case(r))
    .collect();
    cases.push(random_case("convnet_avgpool", convnet_avgpool_like, 0.02));
    cases.push(random_case(
        "cifar_base_kw",
        cifar_base_kw_like,
        2.0 / 255.0,
    ));
    let mut group = c.benchmark_group("cnn_crown_margins");
    group.sample_size(10);
    let method = Method::crown();
    for Case {
        name,
        build,
        domain,
        label,
    } in cases
    {
        let tensor = build();
        let spec = Specification::margins::<f64>(tensor.output_dim(), label).expect("spec");
        let bt = compute_bounds(&tensor, &domain, Some(&spec), &method).expect("bounds");
        let dense = densify_convolutions(build()).expect("dense variant");
        let bd = compute_bounds(&dense, &domain, Some(&spec), &method).expect("bounds");
        let gap = (bt.lower_bounds() - bd.lower_bounds())
            .amax()
            .max((bt.upper_bounds() - bd.upper_bounds()).amax());
        assert!(
            gap <= 1e-9,
            "{name}: tensor and dense bounds differ by {gap:e}"
        );
        for (mode, net) in [("tensor", &tensor), ("dense", &dense)] {
            group.bench_with_input(BenchmarkId::new(&name, mode), net, |b, net| {
                b.iter(|| {
                    black_box(compute_bounds(net, &domain, Some(&spec), &method).expect("bounds"))
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, cnn);
criterion_main!(benches);
