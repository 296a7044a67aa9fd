//! Helpers shared by the soundness property tests (`tests/soundness_*.rs`).
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use proven::testing::{
    CheckStats, SoundnessViolation, Traces, all_methods, arb_domain, arb_network, arb_spec,
    check_bounds, extreme_points, sample_domain,
};
use proven::{Activation, Float, Network, compute_bounds};
use rand::SeedableRng;
use rand::rngs::SmallRng;

/// A runner with `cases` cases. The seed is fixed (CI runs are reproducible) unless
/// `PROPTEST_RNG_SEED` is set; `PROVEN_SOUNDNESS_RANDOM=1` draws a fresh one.
pub fn runner(cases: u32) -> TestRunner {
    let mut config = Config::with_cases(cases);
    config.failure_persistence = None;
    if std::env::var("PROPTEST_RNG_SEED").is_err()
        && std::env::var("PROVEN_SOUNDNESS_RANDOM").is_err()
    {
        config.rng_seed = RngSeed::Fixed(0x5EED_C0DE);
    }
    TestRunner::new(config)
}

fn fail(v: SoundnessViolation) -> TestCaseError {
    TestCaseError::fail(v.to_string())
}

/// Totals of one configuration group.
#[derive(Debug, Default, Clone, Copy)]
pub struct GroupTotals {
    /// Networks (proptest cases) checked.
    pub networks: usize,
    /// Points checked per method (every method sees the same sampled points plus its own
    /// extreme points).
    pub points_per_method_min: usize,
    /// All checks together.
    pub stats: CheckStats,
}

/// Random networks (depth 1–4, width 1–32) with `activation`, random domains and
/// specifications; every method of `all_methods()` is checked at `samples` shared points per
/// network (plus each method's own extreme points). Returns the totals.
pub fn network_group<T: Float>(activation: Activation, cases: u32, samples: usize) -> GroupTotals {
    let methods = all_methods();
    let mut per_method = vec![0usize; methods.len()];
    let mut totals = GroupTotals::default();
    let strategy = arb_network::<T>(1..=4, 1..=32, activation).prop_flat_map(|net| {
        let (i, o) = (net.input_dim(), net.output_dim());
        (
            Just(net),
            arb_domain::<T>(i),
            arb_spec::<T>(o),
            any::<u64>(),
        )
    });
    let cell = std::cell::RefCell::new((&mut per_method, &mut totals));
    runner(cases)
        .run(&strategy, |(net, domain, spec, seed)| {
            let mut rng = SmallRng::seed_from_u64(seed);
            let shared = sample_domain(&domain, samples, &mut rng);
            let traces = Traces::new(&*net, &domain, &shared).map_err(fail)?;
            let mut guard = cell.borrow_mut();
            let (per_method, totals) = &mut *guard;
            totals.networks += 1;
            for (m, method) in methods.iter().enumerate() {
                let bounds = compute_bounds(&*net, &domain, spec.as_ref(), method)
                    .map_err(|e| TestCaseError::fail(format!("{}: {e}", method.name())))?;
                let label = format!("{} ({method:?})", method.name());
                let mut stats = traces.check(&bounds, spec.as_ref(), &label).map_err(fail)?;
                stats += check_bounds(
                    &*net,
                    &bounds,
                    spec.as_ref(),
                    &extreme_points(&bounds),
                    &label,
                )
                .map_err(fail)?;
                per_method[m] += stats.points;
                totals.stats += stats;
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{} {activation:?}: {e}", T::NAME));
    let (per_method, totals) = cell.into_inner();
    totals.points_per_method_min = per_method.iter().copied().min().unwrap_or(0);
    *totals
}
