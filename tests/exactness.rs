//! Exactness where it is proven:
//!
//! - a network without activations gets its exact range from every method, IBP included (IBP
//!   back-substitutes the leading affine layers and folds the specification into them; not
//!   `Method::ibp().auto_lirpa_compatible()`, which applies interval arithmetic layer by layer as
//!   auto_LiRPA does), and its linear bounds are the affine map itself (every method but IBP,
//!   whose lines are constants);
//! - a ReLU network whose ReLUs are all stable on the domain is affine there, and Fast-Lin, CROWN
//!   and CROWN-IBP (each as is, `.dense()`, `.auto_lirpa_compatible()`) give its exact range.
//!
//! The reference is computed independently of the engine: the affine map is composed from the
//! weights in `f64` and minimised over the domain in closed form (box: per coordinate; ℓp ball:
//! `a·x0 ∓ ε‖a‖_q` with the dual norm `q`).

mod kit;

use kit::runner;
use nalgebra::{DMatrix, DVector};
use proptest::collection::vec;
use proptest::prelude::*;
use proven::engine::BoundSource;
use proven::layers::{ActivationLayer, Dense, ElementwiseAffine};
use proven::testing::{all_methods, arb_dense, arb_domain, arb_elementwise_affine, arb_spec};
use proven::{Activation, InputDomain, Layer, LinearBounds, Norm, Sequential, compute_bounds};
use std::cell::Cell;

const CASES: u32 = 150;
const REL: f64 = 1e-9;

/// The affine map `x ↦ M·x + b` of a list of affine layers, composed in `f64`.
fn compose(maps: &[(DMatrix<f64>, DVector<f64>)]) -> (DMatrix<f64>, DVector<f64>) {
    let n = maps[0].0.ncols();
    let (mut m, mut b) = (DMatrix::identity(n, n), DVector::zeros(n));
    for (w, c) in maps {
        m = w * m;
        b = w * b + c;
    }
    (m, b)
}

fn dense_map(d: &Dense<f64>) -> (DMatrix<f64>, DVector<f64>) {
    (d.weights().clone(), d.bias().clone())
}

fn elementwise_map(e: &ElementwiseAffine<f64>) -> (DMatrix<f64>, DVector<f64>) {
    (DMatrix::from_diagonal(e.scale()), e.shift().clone())
}

/// Exact `min` and `max` of `a·x + b0` over the domain, and the magnitude of the terms.
fn exact_range(a: &[f64], b0: f64, domain: &InputDomain<f64>) -> (f64, f64, f64) {
    match domain {
        InputDomain::Box(bx) => {
            let (mut lo, mut hi, mut mag) = (b0, b0, b0.abs());
            for (j, &aj) in a.iter().enumerate() {
                let (p, q) = (aj * bx.lower()[j], aj * bx.upper()[j]);
                lo += p.min(q);
                hi += p.max(q);
                mag += p.abs().max(q.abs());
            }
            (lo, hi, mag)
        }
        InputDomain::Ball {
            center,
            radius,
            norm,
        } => {
            let mid: f64 = a.iter().zip(center.iter()).map(|(p, q)| p * q).sum::<f64>() + b0;
            let dual = match norm {
                Norm::LInf => a.iter().map(|v| v.abs()).sum::<f64>(),
                Norm::L2 => a.iter().map(|v| v * v).sum::<f64>().sqrt(),
                Norm::L1 => a.iter().fold(0.0_f64, |m, v| m.max(v.abs())),
            };
            let mag = a
                .iter()
                .zip(center.iter())
                .map(|(p, q)| (p * q).abs())
                .sum::<f64>()
                + b0.abs()
                + radius * dual;
            (mid - radius * dual, mid + radius * dual, mag)
        }
    }
}

/// Asserts that `bounds` are the exact range of `C·(M·x + b)` (and, if `lines`, that both lines
/// are `C·M·x + C·b`).
fn assert_exact(
    bounds: &LinearBounds<f64>,
    m: &DMatrix<f64>,
    b: &DVector<f64>,
    spec: Option<&DMatrix<f64>>,
    lines: bool,
    label: &str,
) -> Result<(), TestCaseError> {
    let c = spec
        .cloned()
        .unwrap_or_else(|| DMatrix::identity(m.nrows(), m.nrows()));
    let (cm, cb) = (&c * m, &c * b);
    for r in 0..c.nrows() {
        let a: Vec<f64> = cm.row(r).iter().copied().collect();
        let (lo, hi, mag) = exact_range(&a, cb[r], bounds.domain());
        let tol = REL * (1.0 + mag);
        let (got_lo, got_hi) = (bounds.lower_bounds()[r], bounds.upper_bounds()[r]);
        prop_assert!(
            (got_lo - lo).abs() <= tol && (got_hi - hi).abs() <= tol,
            "{label}: row {r}: got [{got_lo}, {got_hi}], exact [{lo}, {hi}]"
        );
        if lines {
            for (side, line) in [("lower", bounds.lower()), ("upper", bounds.upper())] {
                let scale = 1.0 + a.iter().map(|v| v.abs()).sum::<f64>() + cb[r].abs();
                let diff = (0..a.len())
                    .map(|j| (line.a[(r, j)] - a[j]).abs())
                    .sum::<f64>()
                    + (line.b[r] - cb[r]).abs();
                prop_assert!(
                    diff <= REL * scale,
                    "{label}: row {r}: {side} line differs from C·M by {diff}"
                );
            }
        }
    }
    Ok(())
}

/// Networks without activations: an optional normalisation, then 1–3 dense layers of width 1–8.
#[test]
fn affine_networks_are_exact_under_every_method() {
    let strategy = (1..=3usize, vec(1..=8usize, 4), any::<bool>())
        .prop_flat_map(|(depth, widths, norm)| {
            let dense: Vec<_> = widths[..=depth]
                .windows(2)
                .map(|w| arb_dense::<f64>(w[0], w[1]))
                .collect();
            let norm = if norm {
                arb_elementwise_affine::<f64>(widths[0])
                    .prop_map(Some)
                    .boxed()
            } else {
                Just(None).boxed()
            };
            (dense, norm)
        })
        .prop_flat_map(|(dense, norm)| {
            let (i, o) = (
                dense[0].weights().ncols(),
                dense[dense.len() - 1].weights().nrows(),
            );
            (
                Just((dense, norm)),
                arb_domain::<f64>(i),
                arb_spec::<f64>(o),
            )
        });
    let checked = Cell::new(0usize);
    runner(CASES)
        .run(&strategy, |((dense, norm), domain, spec)| {
            let mut maps = Vec::new();
            let mut layers: Vec<Box<dyn Layer<f64>>> = Vec::new();
            if let Some(e) = norm {
                maps.push(elementwise_map(&e));
                layers.push(Box::new(e));
            }
            for d in dense {
                maps.push(dense_map(&d));
                layers.push(Box::new(d));
            }
            let net = Sequential::new(layers).unwrap();
            let (m, b) = compose(&maps);
            for method in all_methods() {
                if method.output == BoundSource::Ibp && !method.ibp_fold_specification {
                    continue; // auto_LiRPA's IBP: interval arithmetic through every layer.
                }
                let bounds = compute_bounds(&net, &domain, spec.as_ref(), &method).unwrap();
                let lines = method.output == BoundSource::BackSubstitution;
                assert_exact(&bounds, &m, &b, spec.as_ref(), lines, method.name())?;
                checked.set(checked.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(checked.get(), CASES as usize * (all_methods().len() - 1));
}

/// ReLU networks on narrow domains (radius ≤ 1e-3), kept only when IBP already proves every
/// ReLU stable; the network is then affine on the domain.
#[test]
fn stable_relu_networks_are_exact_under_linear_relaxation_methods() {
    let narrow = prop_oneof![
        (vec(-2.0..2.0f64, 1..=8), 0.0..1e-3f64, 0..3u8).prop_map(|(c, e, k)| {
            let norm = [Norm::LInf, Norm::L2, Norm::L1][k as usize];
            InputDomain::ball(DVector::from_vec(c), e, norm).unwrap()
        }),
        (vec((-2.0..2.0f64, 0.0..1e-3f64), 1..=8)).prop_map(|v| {
            let lo = DVector::from_iterator(v.len(), v.iter().map(|p| p.0));
            let hi = DVector::from_iterator(v.len(), v.iter().map(|p| p.0 + p.1));
            InputDomain::boxed(lo, hi).unwrap()
        }),
    ];
    let strategy =
        (narrow, 1..=3usize, vec(1..=8usize, 3)).prop_flat_map(|(domain, hidden, widths)| {
            let mut dims = vec![domain.dim()];
            dims.extend_from_slice(&widths[..hidden]);
            dims.push(widths[hidden % widths.len()]);
            let dense: Vec<_> = dims
                .windows(2)
                .map(|w| arb_dense::<f64>(w[0], w[1]))
                .collect();
            let out = *dims.last().unwrap();
            (Just(domain), dense, arb_spec::<f64>(out))
        });
    let (kept, checked) = (Cell::new(0usize), Cell::new(0usize));
    let mut config_runner = runner(CASES);
    config_runner
        .run(&strategy, |(domain, dense, spec)| {
            let count = dense.len();
            let mut layers: Vec<Box<dyn Layer<f64>>> = Vec::new();
            for (k, d) in dense.iter().enumerate() {
                layers.push(Box::new(d.clone()));
                if k + 1 < count {
                    let n = d.weights().nrows();
                    layers.push(Box::new(ActivationLayer::new(n, Activation::Relu).unwrap()));
                }
            }
            let net = Sequential::new(layers).unwrap();
            // The activity pattern from IBP's bounds on every ReLU input (layers 1, 3, …).
            let ibp = compute_bounds(&net, &domain, None, &proven::Method::ibp()).unwrap();
            let mut maps = Vec::new();
            for (k, d) in dense.iter().enumerate() {
                let (w, b) = dense_map(d);
                maps.push((w, b));
                if k + 1 < count {
                    let bx = ibp.layer_input_bounds(2 * k + 1).unwrap();
                    let stable = bx
                        .lower()
                        .iter()
                        .zip(bx.upper().iter())
                        .all(|(&l, &u)| l >= 0.0 || u <= 0.0);
                    prop_assume!(stable, "an unstable ReLU");
                    let mask = DVector::from_iterator(
                        bx.dim(),
                        bx.lower().iter().map(|&l| if l >= 0.0 { 1.0 } else { 0.0 }),
                    );
                    let n = mask.len();
                    maps.push((DMatrix::from_diagonal(&mask), DVector::zeros(n)));
                }
            }
            kept.set(kept.get() + 1);
            let (m, b) = compose(&maps);
            for method in all_methods() {
                if method.output == BoundSource::Ibp {
                    continue; // IBP is not exact through ReLUs, stable or not.
                }
                let bounds = compute_bounds(&net, &domain, spec.as_ref(), &method).unwrap();
                assert_exact(&bounds, &m, &b, spec.as_ref(), true, method.name())?;
                checked.set(checked.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "stable ReLU networks: {} kept, {} method checks",
        kept.get(),
        checked.get()
    );
    assert_eq!(kept.get(), CASES as usize);
}
