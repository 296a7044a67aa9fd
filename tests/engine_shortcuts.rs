//! The engine's work-saving paths give the same final bounds as the full computation:
//!
//! - rows of an inactive ReLU skip their lower side ([`Method::complete_intermediate_bounds`]
//!   off, the default): every final line and bound is bit-for-bit the one computed with both
//!   ends of every row; intermediate upper ends are equal, and a lower end differs only on a
//!   neuron that is inactive either way (it is then its IBP reference's);
//! - the stability pre-test ([`Method::with_stability_pretest`]) is sound (sampled points; the
//!   suites of `tests/soundness_*.rs` cover it too, through `all_methods`).
//!
//! On random ReLU and leaky-ReLU networks of depth 2–5, every domain kind, with and without a
//! specification.

mod kit;

use kit::runner;
use proptest::prelude::*;
use proven::testing::{arb_domain, arb_network, arb_spec, check_bounds, sample_domain};
use proven::{Activation, Method, Network, compute_bounds};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::cell::{Cell, RefCell};

fn methods() -> [Method; 4] {
    [
        Method::crown(),
        Method::fast_lin(),
        Method::crown().auto_lirpa_compatible(),
        Method::fast_lin().auto_lirpa_compatible(),
    ]
}

#[test]
fn skipping_lower_sides_of_inactive_rows_changes_no_final_bound() {
    for activation in [Activation::Relu, Activation::LeakyRelu(0.1)] {
        let strategy = arb_network::<f64>(2..=5, 1..=7, activation).prop_flat_map(|net| {
            let (i, o) = (net.input_dim(), net.output_dim());
            (Just(net), arb_domain::<f64>(i), arb_spec::<f64>(o))
        });
        runner(200)
            .run(&strategy, |(net, domain, spec)| {
                for m in methods() {
                    let short = compute_bounds(&*net, &domain, spec.as_ref(), &m).unwrap();
                    let full = compute_bounds(
                        &*net,
                        &domain,
                        spec.as_ref(),
                        &m.with_complete_intermediate_bounds(),
                    )
                    .unwrap();
                    prop_assert_eq!(&short.lower().a, &full.lower().a);
                    prop_assert_eq!(&short.lower().b, &full.lower().b);
                    prop_assert_eq!(&short.upper().a, &full.upper().a);
                    prop_assert_eq!(&short.upper().b, &full.upper().b);
                    for (k, (s, f)) in short
                        .intermediate_bounds()
                        .iter()
                        .zip(full.intermediate_bounds())
                        .enumerate()
                    {
                        let (Some(s), Some(f)) = (s, f) else { continue };
                        prop_assert_eq!(s.upper(), f.upper(), "layer {} upper ends", k);
                        for j in 0..s.dim() {
                            if s.lower()[j] != f.lower()[j] {
                                // Only where the neuron is inactive anyway (the IBP lower end
                                // may be looser or tighter than the back-substituted one:
                                // neither is always tighter).
                                prop_assert!(f.upper()[j] <= 0.0, "layer {} row {}", k, j);
                            }
                        }
                    }
                }
                Ok(())
            })
            .unwrap();
    }
}

#[test]
fn stability_pretest_is_sound() {
    let rng = RefCell::new(SmallRng::seed_from_u64(7));
    let strategy = arb_network::<f64>(3..=5, 1..=7, Activation::Relu).prop_flat_map(|net| {
        let (i, o) = (net.input_dim(), net.output_dim());
        (Just(net), arb_domain::<f64>(i), arb_spec::<f64>(o))
    });
    let points_checked = Cell::new(0usize);
    runner(200)
        .run(&strategy, |(net, domain, spec)| {
            for m in [Method::crown(), Method::fast_lin()] {
                let pre = m.with_stability_pretest();
                let b = compute_bounds(&*net, &domain, spec.as_ref(), &pre).unwrap();
                let points = sample_domain(&domain, 200, &mut *rng.borrow_mut());
                let stats = check_bounds(&*net, &b, spec.as_ref(), &points, pre.name())
                    .map_err(|v| TestCaseError::fail(v.to_string()))?;
                points_checked.set(points_checked.get() + stats.points);
            }
            Ok(())
        })
        .unwrap();
    assert!(
        points_checked.get() >= 200 * 200,
        "{} points",
        points_checked.get()
    );
}
