//! Monte Carlo soundness of probabilistic certificates on the shared real networks, for every
//! noise model.
//!
//! Subjects: `mnistfc/mnist-net_256x2.onnx` (image 0 of `images.json`, every noise model),
//! `mnist-net_256x4.onnx` (image 1, Gaussian noise) and ACAS Xu
//! `ACASXU_run2a_1_1_batch_2000.onnx` at the centre of the `prop_3` box (every noise model) in
//! the default run; both MNIST networks with images 0–4 and every noise model in the heavy run
//! below. The label is the argmax at
//! `x0`. Noise models: uniform, symmetric Bernoulli, asymmetric Bernoulli (`p = 0.1`), bounded
//! independent (asymmetric ranges, two-point law), isotropic Gaussian and correlated Gaussian
//! (separable 2-D exponential covariance `0.7^(|Δrow| + |Δcolumn|)` on the central 14×14 patch of
//! the image and no noise elsewhere — a rank-196 Σ keeps sampling cheap —, AR(1) `0.7^|i−j|` on
//! the 5 ACAS Xu inputs).
//!
//! Per (subject, noise), the probabilistic radius `r` at `δ = 1e-4` is searched with the
//! certifier (Chernoff tail for bounded noise, exact tail for Gaussians); then each [`Level`]
//! (a multiple of `r` and a kind of event, [`Event`]) gets one seeded Monte Carlo run of
//! [`SAMPLES`] samples (`monte_carlo_rows`), checked against the certificates of **every** tail
//! bound the noise model supports, at 99.9 % Clopper–Pearson confidence:
//!
//! ```text
//! union (top-1) bound        ≥ lower end of the interval of P[some row event]
//! per row: certified upper   ≥ lower end,  certified lower ≤ upper end  of the interval of P[row event]
//! ```
//!
//! Levels: (a) flips at `r` (certified top-1 bound ≤ δ), everywhere; ACAS Xu: flips at `2r`
//! (changes occur, certified bounds < 1) and 10 %-quantile events at `r`; MNIST: 10 %-quantile
//! events at `r/16` ([`MNIST_LEVELS`] explains why larger levels are not informative there).
//!
//! Certificates with probabilistic intermediate bounds (`IntermediateMode::Probabilistic`) are
//! checked the same way at their own radius and twice it (ACAS Xu by default, mnist-net_256x2 in
//! the heavy run), with the charged intermediate mass added to every bound.
//!
//! `cargo test --release --test monte_carlo_real -- --nocapture` prints the table of cases.
//! Heavy run (both MNIST networks, images 0–4, every noise model, plus flips at `2r`):
//! `cargo test --release --test monte_carlo_real -- --ignored --nocapture`.

mod common;

use common::shared_path;
use nalgebra::{DMatrix, DVector};
use proven::certify::{
    Certifier, NoiseFamily, RowsMonteCarloReport, SearchSchedule, monte_carlo_rows,
    monte_carlo_top1, search_radius,
};
use proven::noise::{
    BoundedIndependent, CorrelatedGaussian, NoiseModel, Truncation, certify_rows, top1,
};
use proven::{LinearBounds, Network, Result, Sequential, Specification, TailBound};
use std::fmt::Write as _;
use std::time::Instant;

/// Samples per case (the item asks for at least 10⁵).
const SAMPLES: u64 = 100_000;
/// Failure budget of the certificates.
const DELTA: f64 = 1e-4;
/// Confidence of the Clopper–Pearson intervals.
const CONFIDENCE: f64 = 0.999;
/// Lattice cells of the convolution tail on MNIST (the default 2¹⁵ costs 0.1 s per row there).
const MNIST_CELLS: u32 = 1 << 13;
/// Radius search: doubling from 0.01, then 8 log-bisections (bracket ratio 2^(1/256)).
const SCHEDULE: SearchSchedule = SearchSchedule::DoublingBisection {
    start: 0.01,
    steps: 8,
};

/// A network with its input and label.
struct Subject {
    name: String,
    net: Sequential<f64>,
    x0: DVector<f64>,
    label: usize,
    /// The separable covariance Σ used for the correlated Gaussian at unit scale.
    unit_covariance: DMatrix<f64>,
    cells: u32,
}

fn mnist(file: &str, image: usize) -> Option<Subject> {
    let path = shared_path(&format!("models/mnistfc/{file}"))?;
    let images = shared_path("models/mnistfc/images.json")?;
    let net = proven::io::onnx::load_onnx::<f64>(&path).unwrap().network;
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(images).unwrap()).unwrap();
    let x0 = DVector::from_vec(common::floats(&v["images"][image]["x"]));
    let label = net.forward(&x0).unwrap().argmax().0;
    // Separable 2-D exponential correlation ρ^(|Δrow| + |Δcolumn|) on the central 14×14 patch
    // (rows and columns 7..21), no noise elsewhere: Σ has rank 196, so the factor is 784 × 196
    // and sampling costs a quarter of a full-image correlated law.
    let rho: f64 = 0.7;
    let patch = |p: usize| (7..21).contains(&(p / 28)) && (7..21).contains(&(p % 28));
    let unit_covariance = DMatrix::from_fn(784, 784, |p, q| {
        if !patch(p) || !patch(q) {
            return 0.0;
        }
        let (r1, c1) = ((p / 28) as i32, (p % 28) as i32);
        let (r2, c2) = ((q / 28) as i32, (q % 28) as i32);
        rho.powi((r1 - r2).abs() + (c1 - c2).abs())
    });
    Some(Subject {
        name: format!("{} img {image}", file.trim_end_matches(".onnx")),
        net,
        x0,
        label,
        unit_covariance,
        cells: MNIST_CELLS,
    })
}

fn acasxu() -> Option<Subject> {
    let path = shared_path("models/acasxu/ACASXU_run2a_1_1_batch_2000.onnx")?;
    let prop = shared_path("models/acasxu/prop_3.vnnlib")?;
    let net = proven::io::onnx::load_onnx::<f64>(&path).unwrap().network;
    let property = proven::io::vnnlib::read_vnnlib(prop).unwrap();
    let x0 = property.single_box().expect("one box").center();
    let label = net.forward(&x0).unwrap().argmax().0;
    let rho: f64 = 0.7;
    let unit_covariance = DMatrix::from_fn(5, 5, |i, j| rho.powi((i as i32 - j as i32).abs()));
    Some(Subject {
        name: "ACASXU_1_1 prop_3 centre".into(),
        net,
        x0,
        label,
        unit_covariance,
        cells: proven::noise::DEFAULT_CONVOLUTION_CELLS,
    })
}

/// The noise models under test.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Noise {
    Uniform,
    BernoulliSymmetric,
    BernoulliAsymmetric,
    Bounded,
    Gaussian,
    Correlated,
}

const BOUNDED: [Noise; 4] = [
    Noise::Uniform,
    Noise::BernoulliSymmetric,
    Noise::BernoulliAsymmetric,
    Noise::Bounded,
];
const GAUSSIAN: [Noise; 2] = [Noise::Gaussian, Noise::Correlated];

impl Noise {
    fn name(self) -> &'static str {
        match self {
            Noise::Uniform => "uniform",
            Noise::BernoulliSymmetric => "bernoulli ±s",
            Noise::BernoulliAsymmetric => "bernoulli {0,s} p=0.1",
            Noise::Bounded => "bounded [-w s, s]",
            Noise::Gaussian => "gaussian",
            Noise::Correlated => "correlated gaussian",
        }
    }

    /// The family for `Certifier::radius`, where there is one.
    fn family(self, subject: &Subject) -> Option<NoiseFamily> {
        match self {
            Noise::Uniform => Some(NoiseFamily::Uniform),
            Noise::BernoulliSymmetric => Some(NoiseFamily::Bernoulli { p: None }),
            Noise::BernoulliAsymmetric => Some(NoiseFamily::Bernoulli { p: Some(0.1) }),
            Noise::Gaussian => Some(NoiseFamily::gaussian()),
            // Building a 784-dimensional correlated law factorises Σ (about 1 s); the family would
            // do that at every step of the search, so MNIST uses `CorrelatedGaussian::scaled`.
            Noise::Correlated if subject.x0.len() <= 64 => Some(NoiseFamily::CorrelatedGaussian {
                covariance: subject.unit_covariance.clone(),
                truncation_share: 0.5,
            }),
            Noise::Correlated | Noise::Bounded => None,
        }
    }

    /// The tail bound of the radius search.
    fn search_tail(self) -> TailBound {
        match self {
            Noise::Gaussian | Noise::Correlated => TailBound::Exact,
            _ => TailBound::Chernoff,
        }
    }

    /// Every certified tail bound the model supports.
    fn tails(self, cells: u32) -> Vec<TailBound> {
        match self {
            Noise::Uniform | Noise::BernoulliSymmetric | Noise::BernoulliAsymmetric => vec![
                TailBound::Hoeffding,
                TailBound::SubGaussian,
                TailBound::Chernoff,
                TailBound::Bernstein,
                TailBound::Convolution { cells },
            ],
            Noise::Bounded => vec![
                TailBound::Hoeffding,
                TailBound::SubGaussian,
                TailBound::Chernoff,
                TailBound::Bernstein,
            ],
            Noise::Gaussian | Noise::Correlated => vec![
                TailBound::SubGaussian,
                TailBound::Chernoff,
                TailBound::Exact,
            ],
        }
    }
}

/// Builds the law at scale `s` (the correlated one from a prefactorised unit law).
struct Laws {
    dim: usize,
    correlated_unit: Option<CorrelatedGaussian>,
}

impl Laws {
    fn new(subject: &Subject, noise: Noise) -> Self {
        let correlated_unit = (noise == Noise::Correlated).then(|| {
            CorrelatedGaussian::new(subject.unit_covariance.clone(), Truncation::BoxSigmas(1.0))
                .unwrap()
        });
        Self {
            dim: subject.x0.len(),
            correlated_unit,
        }
    }

    fn at(&self, noise: Noise, s: f64) -> Result<Box<dyn NoiseModel>> {
        let d = self.dim;
        Ok(match noise {
            Noise::Bounded => {
                // Ranges [−w_k·s, s] with w_k ∈ {0.5, 1, 1.5} and mean 0 (two-point law on the
                // ends with P[s] = w_k / (1 + w_k)).
                let lo = (0..d).map(|k| -s * (0.5 + 0.5 * (k % 3) as f64)).collect();
                Box::new(BoundedIndependent::new(lo, vec![s; d])?.with_means(vec![0.0; d])?)
            }
            Noise::Correlated => Box::new(
                self.correlated_unit
                    .as_ref()
                    .expect("correlated unit law")
                    .scaled(s, Truncation::BoxMass(0.5 * DELTA))?,
            ),
            Noise::Uniform => NoiseFamily::Uniform.at(d, s, DELTA)?,
            Noise::BernoulliSymmetric => NoiseFamily::Bernoulli { p: None }.at(d, s, DELTA)?,
            Noise::BernoulliAsymmetric => {
                NoiseFamily::Bernoulli { p: Some(0.1) }.at(d, s, DELTA)?
            }
            Noise::Gaussian => NoiseFamily::gaussian().at(d, s, DELTA)?,
        })
    }
}

/// Which events a level checks.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Event {
    /// `margin_r ≤ 0`: the certificate's own events (top-1 changes and per-target flips).
    Flip,
    /// `margin_r ≤ τ_r` with `τ_r` the given quantile of margin `r` in an independent pilot run
    /// of [`PILOT`] samples: events of substantial probability on every row, so that certified
    /// upper **and** lower bounds meet real counts even where the network never flips.
    Quantile(f64),
}

/// Samples of the pilot run that sets the thresholds of [`Event::Quantile`].
const PILOT: usize = 4096;

/// Per-row thresholds: the `q`-quantile of each margin over [`PILOT`] fresh samples (a seed the
/// main run does not use, so the thresholds are independent of the counted sample).
fn pilot_thresholds(
    subject: &Subject,
    spec: &DMatrix<f64>,
    law: &dyn NoiseModel,
    q: f64,
    seed: u64,
) -> Vec<f64> {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let delta = law.sample_batch(&mut rng, PILOT);
    let x = DMatrix::from_fn(subject.x0.len(), PILOT, |k, j| {
        subject.x0[k] + delta[(k, j)]
    });
    let margins = spec * subject.net.forward_batch(&x).unwrap();
    margins
        .row_iter()
        .map(|row| {
            let mut v: Vec<f64> = row.iter().copied().collect();
            v.sort_by(f64::total_cmp);
            v[((PILOT as f64 * q) as usize).min(PILOT - 1)]
        })
        .collect()
}

/// Bounds on `C_r f / τ_r` from bounds on `C_r f` (rows scaled by `1/τ_r > 0`), so that the
/// event `C_r f ≤ τ_r` becomes `C'_r f ≤ 1` for every row at once.
fn scale_rows(bounds: &LinearBounds<f64>, tau: &[f64]) -> LinearBounds<f64> {
    let scale =
        |a: &DMatrix<f64>| DMatrix::from_fn(a.nrows(), a.ncols(), |r, c| a[(r, c)] / tau[r]);
    let shift = |b: &DVector<f64>| DVector::from_fn(b.len(), |r, _| b[r] / tau[r]);
    LinearBounds::new(
        scale(&bounds.lower().a),
        shift(&bounds.lower().b),
        scale(&bounds.upper().a),
        shift(&bounds.upper().b),
        bounds.domain().clone(),
    )
    .unwrap()
}

/// One checked case, for the table.
struct Case {
    level: String,
    scale: f64,
    mc: RowsMonteCarloReport,
    /// The tightest certified top-1 bound and its tail.
    top1: (f64, &'static str),
    /// Rows with at least one sampled violation, and over those rows the largest certified
    /// lower bound and the smallest certified upper bound (over tails).
    rows_hit: usize,
    best_row_upper: f64,
    best_row_lower: f64,
}

/// The probabilistic radius at `δ`, from the certifier.
fn radius(subject: &Subject, noise: Noise, laws: &Laws) -> f64 {
    let certifier = Certifier::new(&subject.net)
        .delta(DELTA)
        .unwrap()
        .tail(noise.search_tail())
        .unwrap()
        .schedule(SCHEDULE);
    let r = match noise.family(subject) {
        Some(family) => {
            certifier
                .radius(&subject.x0, subject.label, &family)
                .unwrap()
                .probabilistic
        }
        None => search_radius(SCHEDULE, |s| {
            let law = laws.at(noise, s)?;
            Ok(certifier
                .certify(&subject.x0, subject.label, law.as_ref())?
                .is_certified())
        })
        .unwrap(),
    };
    assert!(
        r.certified > 0.0 && r.failed.is_finite(),
        "{} {}: radius search {r:?}",
        subject.name,
        noise.name()
    );
    r.certified
}

/// Checks every tail's certificate at scale `s` against one Monte Carlo run; returns the case
/// and appends any inconsistency to `failures`.
#[allow(clippy::too_many_arguments)]
fn check_level(
    subject: &Subject,
    noise: Noise,
    laws: &Laws,
    level: String,
    s: f64,
    event: Event,
    seed: u64,
    failures: &mut Vec<String>,
) -> Case {
    let law = laws.at(noise, s).unwrap();
    let certifier = Certifier::new(&subject.net).delta(DELTA).unwrap();
    let cert = certifier
        .certify(&subject.x0, subject.label, law.as_ref())
        .unwrap();
    let margins = Specification::margins::<f64>(subject.net.output_dim(), subject.label).unwrap();
    let (spec, bounds, tau) = match event {
        Event::Flip => (margins, cert.bounds.clone(), 0.0),
        Event::Quantile(q) => {
            let t = pilot_thresholds(subject, &margins, law.as_ref(), q, seed ^ 0x5eed);
            assert!(
                t.iter().all(|v| *v > 0.0),
                "{} {}: quantile thresholds must be > 0 to scale rows: {t:?}",
                subject.name,
                noise.name()
            );
            let spec = DMatrix::from_fn(margins.nrows(), margins.ncols(), |r, c| {
                margins[(r, c)] / t[r]
            });
            (spec, scale_rows(&cert.bounds, &t), 1.0)
        }
    };
    let mc = monte_carlo_rows(
        &subject.net,
        &subject.x0,
        &spec,
        tau,
        law.as_ref(),
        SAMPLES,
        CONFIDENCE,
        seed,
    )
    .unwrap();
    assert_eq!(mc.samples(), SAMPLES);
    assert_eq!(mc.rows.len(), subject.net.output_dim() - 1);
    assert!(mc.rows.iter().all(|r| r.samples == SAMPLES));
    let tag = format!(
        "{} | {} | {level} (s = {s:.5e})",
        subject.name,
        noise.name()
    );
    let mut top1_best = (f64::INFINITY, "");
    let mut upper = vec![f64::INFINITY; mc.rows.len()];
    let mut lower = vec![0.0f64; mc.rows.len()];
    for tail in noise.tails(subject.cells) {
        let rows = certify_rows(&bounds, &subject.x0, law.as_ref(), tail, tau).unwrap();
        let t = top1(&rows, DELTA).unwrap();
        let f = t.failure.value();
        if f < top1_best.0 {
            top1_best = (f, tail.name());
        }
        if !mc.consistent_with_top1(&t) {
            failures.push(format!(
                "{tag}: {} union bound {f:e} < CP lower end {:e} ({} / {} samples)",
                tail.name(),
                mc.union.interval.0,
                mc.union.changes,
                SAMPLES
            ));
        }
        for bad in mc.inconsistent_rows(&rows).unwrap() {
            let est = &mc.rows[bad.row];
            failures.push(format!(
                "{tag}: {} row {} certified [{:e}, {:e}] vs CP [{:e}, {:e}] ({} / {})",
                tail.name(),
                bad.row,
                bad.lower.value(),
                bad.upper.value(),
                est.interval.0,
                est.interval.1,
                est.changes,
                SAMPLES
            ));
        }
        for r in &rows {
            upper[r.row] = upper[r.row].min(r.upper.value());
            lower[r.row] = lower[r.row].max(r.lower.value());
        }
    }
    let hit: Vec<usize> = (0..mc.rows.len())
        .filter(|&r| mc.rows[r].changes > 0)
        .collect();
    Case {
        level,
        scale: s,
        top1: top1_best,
        rows_hit: hit.len(),
        best_row_upper: hit.iter().map(|&r| upper[r]).fold(f64::INFINITY, f64::min),
        best_row_lower: hit.iter().map(|&r| lower[r]).fold(0.0, f64::max),
        mc,
    }
}

fn line(subject: &Subject, noise: Noise, c: &Case) -> String {
    format!(
        "| {} | {} | {} | {:.4e} | {} | {} | [{:.3e}, {:.3e}] | {:.3e} ({}) | {} | {:.3e} | {:.3e} |",
        subject.name,
        noise.name(),
        c.level,
        c.scale,
        c.mc.samples(),
        c.mc.union.changes,
        c.mc.union.interval.0,
        c.mc.union.interval.1,
        c.top1.0,
        c.top1.1,
        c.rows_hit,
        c.best_row_upper,
        c.best_row_lower
    )
}

/// A noise level `multiplier × radius` and the events checked there.
#[derive(Debug, Clone, Copy)]
struct Level {
    multiplier: f64,
    event: Event,
    /// Whether the level must be informative (events occur and a certified row bound of a row
    /// with events is below 1).
    informative: bool,
}

/// ACAS Xu: (a) flips at the radius, (b) flips at 2× the radius (changes occur and the
/// certified bounds are below 1 for every noise model), and quantile events at the radius.
const ACAS_LEVELS: [Level; 3] = [
    Level {
        multiplier: 1.0,
        event: Event::Flip,
        informative: false,
    },
    Level {
        multiplier: 2.0,
        event: Event::Flip,
        informative: true,
    },
    Level {
        multiplier: 1.0,
        event: Event::Quantile(0.1),
        informative: true,
    },
];

/// MNIST: (a) flips at the radius; (b) quantile events at `r/16`. Larger levels are not
/// informative on these networks: image 0 of mnist-net_256x2 and image 1 of mnist-net_256x4 never
/// flip in 4096 samples at 2–16× the radius (a few flips at 12–16× for Bernoulli and bounded
/// noise), while every certified top-1 bound is already 1 from 2× the radius on, and even the
/// 10 % quantile events get certified row bounds of 1 at `r/4`–`2r` (the CROWN lines drift far
/// below the true margins). At `r/16` the lines are nearly exact, so the certified upper and
/// lower bounds of every row sandwich real probabilities of 0.1–0.2.
const MNIST_LEVELS: [Level; 2] = [
    Level {
        multiplier: 1.0,
        event: Event::Flip,
        informative: false,
    },
    Level {
        multiplier: 0.0625,
        event: Event::Quantile(0.1),
        informative: true,
    },
];

/// The heavy run on MNIST adds flips at 2× the radius (not informative there, see
/// [`MNIST_LEVELS`], but cheap to record).
const MNIST_HEAVY_LEVELS: [Level; 3] = [
    MNIST_LEVELS[0],
    MNIST_LEVELS[1],
    Level {
        multiplier: 2.0,
        event: Event::Flip,
        informative: false,
    },
];

/// Runs every level for every noise in `noises`; panics with every inconsistency found.
fn run(subject: Option<Subject>, noises: &[Noise], levels: &[Level], seed: u64) {
    run_with(subject, noises, levels, seed, true);
}

/// [`run`]; with `require_informative = false` an uninformative level is only marked in the
/// table (other images may have looser bounds at the fixed levels), soundness is still asserted.
fn run_with(
    subject: Option<Subject>,
    noises: &[Noise],
    levels: &[Level],
    seed: u64,
    require_informative: bool,
) {
    let Some(subject) = subject else {
        return;
    };
    let t = Instant::now();
    let mut failures = Vec::new();
    let mut table = String::new();
    for (i, &noise) in noises.iter().enumerate() {
        let laws = Laws::new(&subject, noise);
        let r = radius(&subject, noise, &laws);
        for (j, level) in levels.iter().enumerate() {
            let name = match level.event {
                Event::Flip => format!("{}×r, flips", level.multiplier),
                Event::Quantile(q) => format!("{}×r, {q}-quantile", level.multiplier),
            };
            let c = check_level(
                &subject,
                noise,
                &laws,
                name,
                level.multiplier * r,
                level.event,
                seed + 10 * i as u64 + j as u64,
                &mut failures,
            );
            if level.event == Event::Flip && level.multiplier <= 1.0 {
                // At the certified radius the top-1 bound is at most δ.
                assert!(
                    c.top1.0 <= DELTA,
                    "{} {}: top-1 bound {:e} at the radius",
                    subject.name,
                    noise.name(),
                    c.top1.0
                );
            } else if level.informative {
                // Informative: events occur, and some row hit has a certified bound below 1.
                let informative = c.mc.union.changes > 0 && c.best_row_upper < 1.0;
                assert!(
                    informative || !require_informative,
                    "{} {} {}: not informative: {} events, best row bound {:e}",
                    subject.name,
                    noise.name(),
                    c.level,
                    c.mc.union.changes,
                    c.best_row_upper
                );
                if !informative {
                    let _ = writeln!(table, "(next line: not informative)");
                }
            }
            let _ = writeln!(table, "{}", line(&subject, noise, &c));
        }
    }
    eprintln!(
        "| network | noise | level | s | samples | events (union) | CP 99.9% | certified union (tail) | rows hit | min upper (hit rows) | max lower (hit rows) |\n{table}{}: {:.1?}",
        subject.name,
        t.elapsed()
    );
    assert!(
        failures.is_empty(),
        "certified bounds refuted by Monte Carlo:\n{}",
        failures.join("\n")
    );
}

#[test]
fn acasxu_every_noise_model() {
    let all = [BOUNDED.as_slice(), GAUSSIAN.as_slice()].concat();
    run(acasxu(), &all, &ACAS_LEVELS, 1_000);
}

#[test]
fn mnist_256x2_uniform_and_symmetric_bernoulli() {
    let noises = [Noise::Uniform, Noise::BernoulliSymmetric];
    run(
        mnist("mnist-net_256x2.onnx", 0),
        &noises,
        &MNIST_LEVELS,
        2_000,
    );
}

#[test]
fn mnist_256x2_asymmetric_bernoulli_and_bounded() {
    let noises = [Noise::BernoulliAsymmetric, Noise::Bounded];
    run(
        mnist("mnist-net_256x2.onnx", 0),
        &noises,
        &MNIST_LEVELS,
        3_000,
    );
}

#[test]
fn mnist_256x2_gaussian() {
    run(
        mnist("mnist-net_256x2.onnx", 0),
        &[Noise::Gaussian],
        &MNIST_LEVELS,
        4_000,
    );
}

#[test]
fn mnist_256x2_correlated_gaussian() {
    run(
        mnist("mnist-net_256x2.onnx", 0),
        &[Noise::Correlated],
        &MNIST_LEVELS,
        5_000,
    );
}

#[test]
fn mnist_256x4_gaussian() {
    run(
        mnist("mnist-net_256x4.onnx", 1),
        &[Noise::Gaussian],
        &MNIST_LEVELS,
        6_000,
    );
}

/// Throughput of the batched Monte Carlo against the one-sample-at-a-time loop it replaced
/// (`sample` + `Network::forward` per sample, seeded `StdRng`), on mnist-net_256x2 with uniform
/// noise: `cargo test --release --test monte_carlo_real speed -- --ignored --nocapture`.
#[test]
#[ignore = "timing: cargo test --release --test monte_carlo_real speed -- --ignored --nocapture"]
fn speed_batched_vs_one_at_a_time() {
    use rand::SeedableRng;
    let Some(s) = mnist("mnist-net_256x2.onnx", 0) else {
        return;
    };
    let law = NoiseFamily::Uniform.at(784, 0.05, DELTA).unwrap();
    let n = 20_000u64;
    let t = Instant::now();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut old = 0u64;
    for _ in 0..n {
        let x = &s.x0 + DVector::from_vec(law.sample(&mut rng));
        let y = s.net.forward(&x).unwrap();
        old += u64::from((0..10).any(|j| j != s.label && y[j] >= y[s.label]));
    }
    let before = n as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mc = monte_carlo_top1(&s.net, &s.x0, s.label, law.as_ref(), 5 * n, 0.999, 1).unwrap();
    let after = (5 * n) as f64 / t.elapsed().as_secs_f64();
    eprintln!(
        "mnist-net_256x2, uniform noise: one at a time {before:.0} samples/s ({old} changes), \
         batched {after:.0} samples/s ({} changes): {:.1}×",
        mc.changes,
        after / before
    );
}

/// Both MNIST networks, images 0–4, every noise model, levels [`MNIST_HEAVY_LEVELS`].
#[test]
#[ignore = "heavy (about 20 min on two cores): cargo test --release --test monte_carlo_real -- --ignored --nocapture"]
fn mnist_heavy_images_0_to_4() {
    let all = [BOUNDED.as_slice(), GAUSSIAN.as_slice()].concat();
    for image in [1, 0, 2, 3, 4] {
        for file in ["mnist-net_256x4.onnx", "mnist-net_256x2.onnx"] {
            run(
                mnist(file, image),
                &all,
                &MNIST_HEAVY_LEVELS,
                10_000 + 100 * image as u64,
            );
        }
    }
}

/// `monte_carlo_top1` and the union count of `monte_carlo_rows` see the same samples and count
/// the same events (margins `≤ 0` ⇔ some class ties or beats the label).
#[test]
fn top1_and_union_counts_agree_on_acasxu() {
    let Some(s) = acasxu() else {
        return;
    };
    let law = NoiseFamily::Uniform.at(5, 0.05, DELTA).unwrap();
    let spec = Specification::margins::<f64>(5, s.label).unwrap();
    let rows = monte_carlo_rows(&s.net, &s.x0, &spec, 0.0, law.as_ref(), 20_000, 0.999, 9).unwrap();
    let top = monte_carlo_top1(&s.net, &s.x0, s.label, law.as_ref(), 20_000, 0.999, 9).unwrap();
    assert!(top.changes > 0, "choose a noise level where changes occur");
    assert_eq!(rows.union, top);
}

/// Certificates with probabilistic intermediate bounds (`IntermediateMode::Probabilistic`,
/// the CLI default): at the radius found with that mode and at twice it, the whole failure bound
/// (final margins + truncation + charged intermediate mass) and every row's bounds widened by
/// the charged mass must stand against flips in [`SAMPLES`] samples.
fn probabilistic_intermediate(subject: Option<Subject>, noises: &[Noise], seed: u64) {
    use proven::certify::IntermediateMode;
    let Some(subject) = subject else {
        return;
    };
    let t = Instant::now();
    let mut failures = Vec::new();
    for (i, &noise) in noises.iter().enumerate() {
        let family = noise.family(&subject).expect("a noise family");
        let certifier = Certifier::new(&subject.net)
            .delta(DELTA)
            .unwrap()
            .tail(noise.search_tail())
            .unwrap()
            .schedule(SCHEDULE)
            .intermediate(IntermediateMode::Probabilistic { split: 0.9 })
            .unwrap();
        let r = certifier
            .radius(&subject.x0, subject.label, &family)
            .unwrap()
            .probabilistic
            .certified;
        assert!(r > 0.0);
        for (j, m) in [1.0, 2.0].into_iter().enumerate() {
            let law = family.at(subject.x0.len(), m * r, DELTA).unwrap();
            let cert = certifier
                .certify(&subject.x0, subject.label, law.as_ref())
                .unwrap();
            let charged = cert.intermediate.map_or(0.0, |a| a.charged.value());
            let spec =
                Specification::margins::<f64>(subject.net.output_dim(), subject.label).unwrap();
            let mc = monte_carlo_rows(
                &subject.net,
                &subject.x0,
                &spec,
                0.0,
                law.as_ref(),
                SAMPLES,
                CONFIDENCE,
                seed + 10 * i as u64 + j as u64,
            )
            .unwrap();
            assert_eq!(mc.samples(), SAMPLES);
            let failure = cert.failure().value();
            eprintln!(
                "| {} | {} | {m}×r (probabilistic intermediates) | {:.4e} | {} | {} | [{:.3e}, {:.3e}] | {:.3e} (charged {:.1e}) |",
                subject.name,
                noise.name(),
                m * r,
                SAMPLES,
                mc.union.changes,
                mc.union.interval.0,
                mc.union.interval.1,
                failure,
                charged
            );
            if !mc.union.consistent_with(failure) {
                failures.push(format!(
                    "{} {} {m}×r: failure bound {failure:e} < CP {:?}",
                    subject.name,
                    noise.name(),
                    mc.union.interval
                ));
            }
            for row in &cert.rows {
                let est = &mc.rows[row.row];
                if !est.consistent_with(row.upper.value() + charged)
                    || !est.consistent_with_lower(row.lower.value() - charged)
                {
                    failures.push(format!(
                        "{} {} {m}×r row {}: [{:e}, {:e}] ± {charged:e} vs CP {:?}",
                        subject.name,
                        noise.name(),
                        row.row,
                        row.lower.value(),
                        row.upper.value(),
                        est.interval
                    ));
                }
            }
        }
    }
    eprintln!(
        "{} (probabilistic intermediates): {:.1?}",
        subject.name,
        t.elapsed()
    );
    assert!(
        failures.is_empty(),
        "certified bounds refuted by Monte Carlo:\n{}",
        failures.join("\n")
    );
}

#[test]
fn acasxu_probabilistic_intermediate_bounds() {
    let noises = [
        Noise::Uniform,
        Noise::BernoulliSymmetric,
        Noise::BernoulliAsymmetric,
        Noise::Gaussian,
        Noise::Correlated,
    ];
    probabilistic_intermediate(acasxu(), &noises, 7_000);
}

/// Slow: the radius search with probabilistic intermediate bounds on the 784-input network did
/// not finish within 5 minutes on the busy two-core machine (not yet run to completion).
#[test]
#[ignore = "slow (> 5 min): cargo test --release --test monte_carlo_real mnist_256x2_probabilistic -- --ignored --nocapture"]
fn mnist_256x2_probabilistic_intermediate_bounds() {
    probabilistic_intermediate(
        mnist("mnist-net_256x2.onnx", 0),
        &[Noise::Uniform, Noise::Gaussian],
        8_000,
    );
}
