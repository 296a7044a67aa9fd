//! The GEMM throughput the engine gets on this machine: `n × n` times `n × n` in `f64` through
//! nalgebra (which hands dynamic products to `matrixmultiply`, built with `threading` by this
//! crate), in GFLOP/s (`2·n³` flops over the best of 5 runs).
//!
//! ```sh
//! MATMUL_NUM_THREADS=1 cargo run --release --example gemm_peak -- 1024
//! MATMUL_NUM_THREADS=2 cargo run --release --example gemm_peak -- 1024
//! ```
//!
//! It also times the shapes the engine multiplies for the 784-1024-1024-1024-10 MLP (`r × 1024`
//! times `1024 × 784` and `1024 × 1024`, for a few row counts `r`).

use nalgebra::DMatrix;
use std::time::Instant;

fn best_seconds(mut f: impl FnMut(), reps: usize) -> f64 {
    f();
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn filled(rows: usize, cols: usize, seed: usize) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |i, j| {
        ((i * 7 + j * 3 + seed) % 11) as f64 - 5.0
    })
}

fn report(m: usize, k: usize, n: usize) {
    let a = filled(m, k, 1);
    let b = filled(k, n, 2);
    let t = best_seconds(
        || {
            std::hint::black_box(&a * &b);
        },
        5,
    );
    let flops = 2.0 * (m * k * n) as f64;
    println!(
        "{m:>5} x {k:>5} times {k:>5} x {n:>5}: {:>9.3} ms  {:>6.1} GFLOP/s",
        t * 1e3,
        flops / t / 1e9
    );
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1024);
    println!(
        "MATMUL_NUM_THREADS={}",
        std::env::var("MATMUL_NUM_THREADS").unwrap_or_else(|_| "(unset: all cores)".into())
    );
    report(n, n, n);
    for r in [9, 64, 256, 1024, 2048] {
        report(r, 1024, 784);
        report(r, 1024, 1024);
    }
}
