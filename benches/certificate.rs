//! Cost of the probabilistic step alone: [`certify_rows`] on fixed linear bounds of 9 margin
//! rows, for the input sizes of the digits (64) and MNIST (784) networks: rows that need their
//! tails, with the noise models' many-row tails ([`NoiseModel::tail_upper_rows`]: one sweep of
//! the column-major matrix) against the same models answering one row at a time (the trait's
//! defaults, through `proven::testing::OneRowAtATime`), and rows whose lower lines stay above 0
//! on the whole ball (probability 0 without a tail).
//! Run: `cargo bench --bench certificate`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nalgebra::{DMatrix, DVector};
use proven::noise::{TailBound, Uniform, certify_rows};
use proven::testing::OneRowAtATime;
use proven::{InputDomain, LinearBounds, Norm};
use std::hint::black_box;

/// Margin-like lines: dense rows with small entries (`ε‖a‖₁ ≈ 0.016` for 64 inputs, 0.2 for
/// 784), every lower line `margin` above 0 at the centre: with `margin = 1` every line stays
/// above 0 on the whole ball (no tail is needed), with `margin = 0.01` (64 inputs) or 0.1 (784)
/// the lines dip below 0 on the ball and every row needs its tail.
fn bounds(d: usize, eps: f64, margin: f64) -> (DVector<f64>, LinearBounds<f64>) {
    let mut state = 11u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64) - 0.5
    };
    let x0 = DVector::from_fn(d, |_, _| 0.5 + 0.4 * next());
    let al = DMatrix::from_fn(9, d, |_, _| 0.05 * next());
    let au = &al + DMatrix::from_fn(9, d, |_, _| 0.01 * next().abs());
    let bl = DVector::from_fn(9, |r, _| margin - al.row(r).dot(&x0.transpose()));
    let bu = DVector::from_fn(9, |r, _| 1.5 * margin - au.row(r).dot(&x0.transpose()));
    let domain = InputDomain::ball(x0.clone(), eps, Norm::LInf).unwrap();
    (x0, LinearBounds::new(al, bl, au, bu, domain).unwrap())
}

fn certificate(c: &mut Criterion) {
    let mut group = c.benchmark_group("certify_rows");
    for (d, dip) in [(64usize, 0.01), (784, 0.1)] {
        let eps = 0.02;
        let many = Uniform::new(d, eps).unwrap();
        let one = OneRowAtATime(Uniform::new(d, eps).unwrap());
        let (x0, above) = bounds(d, eps, 1.0);
        group.bench_function(BenchmarkId::new("above on the ball", d), |bench| {
            bench.iter(|| {
                black_box(certify_rows(&above, &x0, &many, TailBound::SubGaussian, 0.0).unwrap())
            })
        });
        let (x0, b) = bounds(d, eps, dip);
        for tail in [TailBound::SubGaussian, TailBound::Hoeffding] {
            let name = format!("{tail:?}/{d}");
            group.bench_function(BenchmarkId::new("many rows", &name), |bench| {
                bench.iter(|| black_box(certify_rows(&b, &x0, &many, tail, 0.0).unwrap()))
            });
            group.bench_function(BenchmarkId::new("one row at a time", &name), |bench| {
                bench.iter(|| black_box(certify_rows(&b, &x0, &one, tail, 0.0).unwrap()))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, certificate);
criterion_main!(benches);
