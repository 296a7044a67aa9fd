//! Cost of IBP, Fast-Lin and CROWN as width and depth grow.
//!
//! Random ReLU MLPs (784 inputs, `depth` hidden layers of `width` neurons, 10 outputs, weights
//! uniform in ±√(3/fan_in)), margins of class 0 over an ℓ∞ ball of radius 0.01.
//! Run: `cargo bench --bench propagation` (set `PROVEN_BENCH_QUICK=1` to skip width 1024).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nalgebra::{DMatrix, DVector};
use proven::layers::{ActivationLayer, Dense};
use proven::{Activation, InputDomain, Layer, Method, Norm, Sequential, Specification};
use std::hint::black_box;

struct Lcg(u64);
impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
    }
}

fn mlp(width: usize, depth: usize, rng: &mut Lcg) -> Sequential<f64> {
    let mut layers: Vec<Box<dyn Layer<f64>>> = Vec::new();
    let mut fan_in = 784;
    for k in 0..=depth {
        let out = if k == depth { 10 } else { width };
        let s = (3.0 / fan_in as f64).sqrt();
        let w = DMatrix::from_fn(out, fan_in, |_, _| (2.0 * rng.uniform() - 1.0) * s);
        let b = DVector::from_fn(out, |_, _| 0.1 * (2.0 * rng.uniform() - 1.0));
        layers.push(Box::new(Dense::new(w, b).unwrap()));
        if k < depth {
            layers.push(Box::new(
                ActivationLayer::new(out, Activation::Relu).unwrap(),
            ));
        }
        fan_in = out;
    }
    Sequential::new(layers).unwrap()
}

fn propagation(c: &mut Criterion) {
    let quick = std::env::var("PROVEN_BENCH_QUICK").is_ok();
    let mut rng = Lcg(7);
    let x0 = DVector::from_fn(784, |_, _| rng.uniform());
    let domain = InputDomain::ball(x0, 0.01, Norm::LInf).unwrap();
    let spec = Specification::margins::<f64>(10, 0).unwrap();
    let widths: &[usize] = if quick { &[64, 256] } else { &[64, 256, 1024] };
    for (name, method) in [
        ("ibp", Method::ibp()),
        ("fastlin", Method::fast_lin()),
        ("crown", Method::crown()),
    ] {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        for &depth in &[2usize, 4, 6] {
            for &width in widths {
                let net = mlp(width, depth, &mut rng);
                group.bench_with_input(
                    BenchmarkId::new(format!("depth{depth}"), width),
                    &net,
                    |b, net| {
                        b.iter(|| {
                            proven::compute_bounds(net, &domain, Some(&spec), &method).unwrap()
                        })
                    },
                );
                black_box(&net);
            }
        }
        group.finish();
    }
}

criterion_group!(benches, propagation);
criterion_main!(benches);
