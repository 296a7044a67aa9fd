//! Cost of the probabilistic step alone: [`certify_rows`] on fixed linear bounds of 9 margin
//! rows, for the input sizes of the digits (64) and MNIST (784) networks, with the noise
//! models' many-row tails ([`NoiseModel::tail_upper_rows`]: one sweep of the column-major
//! matrix) against the same models answering one row at a time (the trait's defaults, through
//! `proven::testing::OneRowAtATime`).
//! Run: `cargo bench --bench certificate`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nalgebra::{DMatrix, DVector};
use proven::noise::{TailBound, Uniform, certify_rows};
use proven::testing::OneRowAtATime;
use proven::{InputDomain, LinearBounds, Norm};
use std::hint::black_box;

/// Margin-like lines: dense rows with small entries, offsets so that every lower line is
/// certifiable at the centre (the common case of a robust input).
fn bounds(d: usize, eps: f64) -> (DVector<f64>, LinearBounds<f64>) {
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
    let bl = DVector::from_fn(9, |r, _| 1.0 - al.row(r).dot(&x0.transpose()));
    let bu = DVector::from_fn(9, |r, _| 1.5 - au.row(r).dot(&x0.transpose()));
    let domain = InputDomain::ball(x0.clone(), eps, Norm::LInf).unwrap();
    (x0, LinearBounds::new(al, bl, au, bu, domain).unwrap())
}

fn certificate(c: &mut Criterion) {
    let mut group = c.benchmark_group("certify_rows");
    for d in [64usize, 784] {
        let eps = 0.02;
        let (x0, b) = bounds(d, eps);
        let many = Uniform::new(d, eps).unwrap();
        let one = OneRowAtATime(Uniform::new(d, eps).unwrap());
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
