//! CROWN margins for one image on CNNs, with convolutions kept as kernels (`tensor`: the
//! transposed-convolution backward pass of `Conv2d`) and with every convolution replaced by its
//! dense matrix (`dense`, `Conv2d::to_dense`).
//!
//! Networks with the layer shapes of VNN-COMP 2021 `verivital/Convnet_avgpool` and
//! `oval21/cifar_base_kw` and random weights (`proven::testing::{convnet_avgpool_like,
//! cifar_base_kw_like}`); input uniform in `[0, 1]`, ℓ∞ radius 0.02 (MNIST shape) or 2/255
//! (CIFAR shape); margins of the predicted class. Before timing, the two variants are checked to
//! give the same bounds (to 1e-9).
//!
//! Run: `cargo bench --bench cnn`. Peak memory: `examples/cnn_memory.rs`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nalgebra::DVector;
use proven::testing::{cifar_base_kw_like, convnet_avgpool_like};
use proven::{
    InputDomain, Method, Network, Norm, Result, Sequential, Specification, compute_bounds,
};
use rand::{RngExt, SeedableRng};
use std::hint::black_box;

type Builder = fn(u64, bool) -> Result<Sequential<f64>>;

fn cnn(c: &mut Criterion) {
    let cases: [(&str, Builder, f64); 2] = [
        ("convnet_avgpool", convnet_avgpool_like, 0.02),
        ("cifar_base_kw", cifar_base_kw_like, 2.0 / 255.0),
    ];
    let mut group = c.benchmark_group("cnn_crown_margins");
    group.sample_size(10);
    for (name, build, eps) in cases {
        let tensor = build(1, false).expect("network");
        let dense = build(1, true).expect("network");
        let mut rng = rand::rngs::SmallRng::seed_from_u64(5);
        let x0 = DVector::from_fn(tensor.input_dim(), |_, _| rng.random_range(0.0..1.0));
        let label = tensor.forward(&x0).expect("forward").argmax().0;
        let domain = InputDomain::ball(x0, eps, Norm::LInf).expect("domain");
        let spec = Specification::margins::<f64>(10, label).expect("spec");
        let method = Method::crown();
        let bt = compute_bounds(&tensor, &domain, Some(&spec), &method).expect("bounds");
        let bd = compute_bounds(&dense, &domain, Some(&spec), &method).expect("bounds");
        let gap = (bt.lower_bounds() - bd.lower_bounds())
            .amax()
            .max((bt.upper_bounds() - bd.upper_bounds()).amax());
        assert!(
            gap <= 1e-9,
            "{name}: tensor and dense bounds differ by {gap:e}"
        );
        for (mode, net) in [("tensor", &tensor), ("dense", &dense)] {
            group.bench_with_input(BenchmarkId::new(name, mode), net, |b, net| {
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
