//! Certified probabilities from linear bounds that another tool computed.
//!
//! Run: `cargo run --release --example external_bounds`
//!
//! Any verifier that produces linear bounds `A_L x + b_L ≤ g(x) ≤ A_U x + b_U` valid on a box or
//! ball `B` (auto_LiRPA's `return_A=True`, CROWN, DeepPoly, …) can be turned into a probability
//! bound under random noise: for noise supported in `B − x0`,
//!
//! ```text
//! P[g_r(x0 + Δ) ≤ τ] ≤ P[A_L,r·(x0 + Δ) + b_L,r ≤ τ]   (a tail of a sum of independent terms)
//! P[g_r(x0 + Δ) ≤ τ] ≥ P[A_U,r·(x0 + Δ) + b_U,r ≤ τ]
//! ```
//! (PROVEN, Weng et al., ICML 2019, Theorem 3.1). Here the coefficients are written by hand for a
//! 3-input, 2-row margin function; in practice they are read from the other tool's output.

use nalgebra::{DMatrix, DVector};
use proven::noise::{TailBound, Uniform, certify_rows, top1};
use proven::{InputDomain, LinearBounds, Norm};

fn main() -> proven::Result<()> {
    // The centre and the ℓ∞ ball of radius 0.2 on which the external tool's bounds hold.
    let x0 = DVector::from_vec(vec![0.5, 0.3, 0.8]);
    let domain = InputDomain::ball(x0.clone(), 0.2, Norm::LInf)?;
    // Two margins g_r(x) = f_label(x) − f_t(x), bounded by the external tool.
    let a_lower = DMatrix::<f64>::from_row_slice(2, 3, &[1.0, -0.5, 0.8, 0.6, 0.9, -1.2]);
    let b_lower = DVector::from_vec(vec![-0.35, 0.55]);
    let a_upper = DMatrix::from_row_slice(2, 3, &[1.1, -0.4, 0.9, 0.7, 1.0, -1.1]);
    let b_upper = DVector::from_vec(vec![-0.20, 0.70]);
    let bounds = LinearBounds::new(a_lower, b_lower, a_upper, b_upper, domain)?;
    println!(
        "worst case on the ball: margin lower bounds {:?} (negative: not robust for every point)",
        bounds
            .lower_bounds()
            .iter()
            .map(|v: &f64| (v * 1e4).round() / 1e4)
            .collect::<Vec<_>>()
    );

    // Uniform noise on [−0.2, 0.2]³ lives inside the ball, so the bounds apply to it.
    let noise = Uniform::new(3, 0.2)?;
    for tail in [
        TailBound::Hoeffding,
        TailBound::SubGaussian,
        TailBound::Chernoff,
        TailBound::convolution(),
    ] {
        let rows = certify_rows(&bounds, &x0, &noise, tail, 0.0)?;
        let union = top1(&rows, 0.05)?;
        println!("\n{} tail:", tail.name());
        for r in &rows {
            println!(
                "  row {}: {:.4} ≤ P[g_{}(X) ≤ 0] ≤ {:.4}",
                r.row,
                r.lower.value(),
                r.row,
                r.upper.value()
            );
        }
        println!(
            "  P[some margin ≤ 0] ≤ {:.4}; certified at 95 %: {}",
            union.failure.value(),
            union.certified_sum
        );
    }
    Ok(())
}
