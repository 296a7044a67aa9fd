//! How the cost of one CROWN margin call grows with width and depth (the table of
//! docs/performance.md): random ReLU MLPs with 784 inputs, `depth` hidden layers of `width`
//! neurons and 10 outputs (weights uniform in ±√(3/fan_in), as `benches/propagation.rs`), margins
//! of class 0 over the ℓ∞ ball of radius 0.01 around a random point, default rules
//! ([`Method::crown`]). Prints the fastest wall time of 5 calls after a warm-up call (run with
//! `MATMUL_NUM_THREADS=1` so that every product runs on the calling thread; the minimum is the
//! figure least disturbed by other processes).
//!
//! ```sh
//! MATMUL_NUM_THREADS=1 cargo run --release --example growth
//! ```

use nalgebra::{DMatrix, DVector};
use proven::layers::{ActivationLayer, Dense};
use proven::{
    Activation, InputDomain, Layer, Method, Norm, Sequential, Specification, compute_bounds,
};

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
        layers.push(Box::new(Dense::new(w, b).expect("dense")));
        if k < depth {
            layers.push(Box::new(
                ActivationLayer::new(out, Activation::Relu).expect("relu"),
            ));
        }
        fan_in = out;
    }
    Sequential::new(layers).expect("network")
}

fn main() {
    let mut rng = Lcg(7);
    let x0 = DVector::from_fn(784, |_, _| rng.uniform());
    let domain = InputDomain::ball(x0, 0.01, Norm::LInf).expect("ball");
    let spec = Specification::margins::<f64>(10, 0).expect("spec");
    let method = Method::crown();
    println!("| depth | width 64 | width 256 | width 1024 |");
    println!("|---|---|---|---|");
    for depth in [2usize, 4, 6] {
        let mut row = format!("| {depth} |");
        for width in [64usize, 256, 1024] {
            let net = mlp(width, depth, &mut rng);
            compute_bounds(&net, &domain, Some(&spec), &method).expect("bounds");
            let fastest = (0..5)
                .map(|_| {
                    let t = std::time::Instant::now();
                    compute_bounds(&net, &domain, Some(&spec), &method).expect("bounds");
                    t.elapsed().as_secs_f64()
                })
                .fold(f64::INFINITY, f64::min);
            row += &format!(" {:.2} ms |", fastest * 1e3);
        }
        println!("{row}");
    }
}
