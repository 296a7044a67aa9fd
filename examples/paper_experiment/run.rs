//! The measurements: one worst-case radius search per (network, image, method), then per noise
//! law and confidence a plain PROVEN search and a probabilistic-intermediate search.

use nalgebra::DVector;
use proven::certify::{Certifier, IntermediateMode, NoiseFamily, SearchSchedule, search_radius};
use proven::noise::TailBound;
use proven::{Method, Sequential};
use std::time::Instant;

use crate::AnyResult;
use crate::inputs::Training;

/// The noise laws of the experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseKind {
    /// Independent uniform on `[−ε, ε]` per coordinate.
    Uniform,
    /// Independent symmetric Bernoulli `±ε`.
    Bernoulli,
    /// Isotropic Gaussian `N(0, σ²I)`, truncated to a box that holds all but a share of δ.
    Gaussian,
}

impl NoiseKind {
    pub fn parse(s: &str) -> AnyResult<Self> {
        Ok(match s {
            "uniform" => NoiseKind::Uniform,
            "bernoulli" => NoiseKind::Bernoulli,
            "gaussian" => NoiseKind::Gaussian,
            other => {
                return Err(format!("unknown noise `{other}` (uniform|bernoulli|gaussian)").into());
            }
        })
    }

    /// The command-line name.
    pub fn key(self) -> &'static str {
        match self {
            NoiseKind::Uniform => "uniform",
            NoiseKind::Bernoulli => "bernoulli",
            NoiseKind::Gaussian => "gaussian",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            NoiseKind::Uniform => "uniform",
            NoiseKind::Bernoulli => "Bernoulli ±ε",
            NoiseKind::Gaussian => "Gaussian",
        }
    }

    /// The family searched over (its scale is ε, or σ for Gaussian noise).
    pub fn family(self, truncation_share: f64) -> NoiseFamily {
        match self {
            NoiseKind::Uniform => NoiseFamily::Uniform,
            NoiseKind::Bernoulli => NoiseFamily::Bernoulli { p: None },
            NoiseKind::Gaussian => NoiseFamily::Gaussian { truncation_share },
        }
    }

    /// The tightest certified closed-form tail of the law: strict sub-Gaussian (uniform: proxy
    /// ε²/3; Rademacher: ε², where it equals Hoeffding), the exact normal CDF for Gaussian noise.
    pub fn tail(self) -> TailBound {
        match self {
            NoiseKind::Uniform | NoiseKind::Bernoulli => TailBound::SubGaussian,
            NoiseKind::Gaussian => TailBound::Exact,
        }
    }

    pub fn tail_name(self) -> &'static str {
        match self {
            NoiseKind::Uniform => "strict sub-Gaussian (ε²/3)",
            NoiseKind::Bernoulli => "sub-Gaussian (ε², = Hoeffding)",
            NoiseKind::Gaussian => "exact normal CDF",
        }
    }

    /// Whether the radius is a standard deviation σ rather than a support half-width ε.
    pub fn is_sigma(self) -> bool {
        self == NoiseKind::Gaussian
    }
}

/// A bound-propagation method of the experiment.
#[derive(Debug, Clone, Copy)]
pub struct MethodSpec {
    pub name: &'static str,
    pub method: Method,
}

impl MethodSpec {
    pub fn parse(s: &str) -> AnyResult<Self> {
        Ok(match s {
            "fast-lin" => MethodSpec {
                name: "Fast-Lin",
                method: Method::fast_lin(),
            },
            "crown" => MethodSpec {
                name: "CROWN",
                method: Method::crown(),
            },
            other => return Err(format!("unknown method `{other}` (fast-lin|crown)").into()),
        })
    }
}

/// Search parameters shared by all searches.
#[derive(Debug, Clone, Copy)]
pub struct SearchParams {
    /// Log-space bisection steps after bracketing.
    pub steps: usize,
    /// Share of δ for the Gaussian truncation mass.
    pub truncation_share: f64,
    /// Share of the remaining budget for probabilistic intermediate sides.
    pub split: f64,
    /// Whether to run the probabilistic-intermediate searches.
    pub prob: bool,
}

/// One radius search.
#[derive(Debug, Clone, Copy)]
pub struct Search {
    pub radius: f64,
    pub calls: usize,
    pub seconds: f64,
    /// Probabilistic intermediate bounds: the number of narrowed (charged) interval sides in the
    /// certificate at `radius`.
    pub sides: Option<usize>,
}

/// Everything measured for one (network, image, method, noise, confidence).
#[derive(Debug, Clone)]
pub struct Record {
    pub net: &'static str,
    pub training: Training,
    pub method: &'static str,
    pub noise: NoiseKind,
    pub confidence: f64,
    pub image: String,
    pub worst_case: Search,
    pub plain: Search,
    pub prob: Option<Search>,
    /// [`frozen_bound_ratio`] of this (network, image, method) at the reference confidence.
    pub frozen: f64,
}

fn timed(f: impl FnOnce() -> proven::Result<proven::certify::RadiusSearch>) -> AnyResult<Search> {
    let start = Instant::now();
    let r = f()?;
    Ok(Search {
        radius: r.certified,
        calls: r.evaluations,
        seconds: start.elapsed().as_secs_f64(),
        sides: None,
    })
}

/// The worst-case ℓ∞ radius of `x` (one bound call per evaluation).
pub fn worst_case(
    net: &Sequential<f64>,
    method: &MethodSpec,
    x: &DVector<f64>,
    label: usize,
    params: &SearchParams,
) -> AnyResult<Search> {
    let c = Certifier::new(net)
        .method(method.method)
        .schedule(SearchSchedule::DoublingBisection {
            start: 0.01,
            steps: params.steps,
        });
    timed(|| c.worst_case_radius(x, label))
}

/// The largest scale certified at `confidence` with intermediate bounds `mode`, searched from
/// `start` (every evaluation is one full certificate, so one bound-engine call).
#[allow(clippy::too_many_arguments)]
pub fn probabilistic(
    net: &Sequential<f64>,
    method: &MethodSpec,
    noise: NoiseKind,
    confidence: f64,
    mode: IntermediateMode,
    x: &DVector<f64>,
    label: usize,
    start: f64,
    params: &SearchParams,
) -> AnyResult<Search> {
    let c = Certifier::new(net)
        .method(method.method)
        .tail(noise.tail())?
        .confidence(confidence)?
        .intermediate(mode)?;
    let family = noise.family(params.truncation_share);
    let delta = c.failure_budget();
    let schedule = SearchSchedule::DoublingBisection {
        start,
        steps: params.steps,
    };
    // The last passing test is the certified radius (the bracket's low end only rises on a pass).
    let last_sides = std::cell::Cell::new(None);
    let mut search = timed(|| {
        search_radius(schedule, |s| {
            let law = family.at(x.len(), s, delta)?;
            let cert = c.certify(x, label, law.as_ref())?;
            let ok = cert.is_certified();
            if ok {
                last_sides.set(cert.intermediate.map(|a| a.sides));
            }
            Ok(ok)
        })
    })?;
    search.sides = last_sides.get();
    Ok(search)
}

/// The "frozen-bound" ratio of one image: the uniform-noise radius that PROVEN's test would
/// certify at `confidence` if the margin lines computed at the worst-case radius `wc` stayed valid
/// for larger ε, divided by `wc`. A diagnostic of how much the loosening of the linear bounds
/// with ε costs (it is **not** a certificate: the lines are only valid on the ball of radius
/// `wc`). Equal split of δ over the K − 1 margins, strict sub-Gaussian tail (proxy ε²/3):
/// `ε_t = μ_t / (‖a_t‖₂ √(2 ln((K − 1)/δ) / 3))`, `μ_t = a_t·x0 + b_t`, the radius is `min_t ε_t`.
pub fn frozen_bound_ratio(
    net: &Sequential<f64>,
    method: &MethodSpec,
    x: &DVector<f64>,
    label: usize,
    wc: f64,
    confidence: f64,
) -> AnyResult<f64> {
    use proven::{InputDomain, Network, Norm, Specification, compute_bounds};
    if wc <= 0.0 {
        return Ok(f64::NAN);
    }
    let k = net.output_dim();
    let spec = Specification::margins::<f64>(k, label)?;
    let domain = InputDomain::ball(x.clone(), wc, Norm::LInf)?;
    let bounds = compute_bounds(net, &domain, Some(&spec), &method.method)?;
    let lower = bounds.lower();
    let mu = lower.eval(x);
    let delta = 1.0 - confidence;
    let multiplier = (2.0 * ((k - 1) as f64 / delta).ln() / 3.0).sqrt();
    let frozen = (0..lower.rows())
        .map(|t| mu[t] / (lower.a.row(t).norm() * multiplier))
        .fold(f64::INFINITY, f64::min);
    Ok(frozen / wc)
}
