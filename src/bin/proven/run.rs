//! The subcommands.

use crate::args::{
    BoundsArgs, CertificateArgs, CertifyArgs, Cli, Command, IntermediateArg, MethodArg, NormArg,
    PointArgs, RadiusArgs, RulesArg, TailArg, VerifyArgs,
};
use crate::input::{NoiseSpec, Point, parse_noise, read_point};
use nalgebra::{DMatrix, DVector};
use proven::certify::{Certifier, IntermediateMode, NoiseFamily};
use proven::io::onnx::load_onnx;
use proven::io::vnnlib::read_vnnlib;
use proven::noise::{
    Bernoulli, CorrelatedGaussian, Gaussian, NoiseModel, TailBound, Truncation, Uniform,
};
use proven::{
    Error, InputDomain, Method, Network, Norm, Result, Sequential, Specification, compute_bounds,
};
use serde_json::json;
use std::time::Instant;

pub fn run(cli: Cli) -> Result<String> {
    match cli.command {
        Command::Bounds(a) => bounds(a),
        Command::Verify(a) => verify(a),
        Command::Certify(a) => certify(a),
        Command::Radius(a) => radius(a),
    }
}

fn method_with(m: MethodArg, rules: RulesArg) -> Method {
    let base = method(m);
    match rules {
        RulesArg::Tight => base,
        RulesArg::AutoLirpa => base.auto_lirpa_compatible(),
        RulesArg::Dense => base.dense(),
    }
}

fn method(m: MethodArg) -> Method {
    match m {
        MethodArg::Ibp => Method::ibp(),
        MethodArg::Fastlin => Method::fast_lin(),
        MethodArg::Crown => Method::crown(),
        MethodArg::CrownIbp => Method::crown_ibp(),
    }
}

fn tail(t: TailArg) -> TailBound {
    match t {
        TailArg::Hoeffding => TailBound::Hoeffding,
        TailArg::Subgaussian => TailBound::SubGaussian,
        TailArg::Chernoff => TailBound::Chernoff,
        TailArg::Bernstein => TailBound::Bernstein,
        TailArg::Convolution => TailBound::convolution(),
        TailArg::Exact => TailBound::Exact,
    }
}

fn render(json: bool, value: serde_json::Value, text: String) -> String {
    if json { value.to_string() } else { text }
}

fn load(path: &std::path::Path) -> Result<Sequential<f64>> {
    Ok(load_onnx::<f64>(path)?.network)
}

/// The model, the point and the class to certify.
fn point(net: &Sequential<f64>, p: &PointArgs) -> Result<(Point, usize)> {
    let path = p.input.as_ref().ok_or_else(|| Error::Unsupported {
        what: "an input point is needed: pass --input FILE".into(),
    })?;
    let point = read_point(path, p.index)?;
    if point.x.len() != net.input_dim() {
        return Err(Error::mismatch(
            format!("{}: length of x (= model input)", path.display()),
            net.input_dim(),
            point.x.len(),
        ));
    }
    let label = match p.label.or(point.label) {
        Some(l) => l,
        None => net.forward(&point.x)?.argmax().0,
    };
    Ok((point, label))
}

fn bounds(a: BoundsArgs) -> Result<String> {
    let net = load(&a.point.model)?;
    let (domain, x_label) = if let Some(v) = &a.vnnlib {
        let prop = read_vnnlib(v)?;
        let b = prop.single_box().ok_or_else(|| Error::Unsupported {
            what: format!("{}: properties with several input boxes", v.display()),
        })?;
        (InputDomain::Box(b.clone()), prop.label())
    } else {
        let (p, label) = point(&net, &a.point)?;
        let eps = a.eps.ok_or_else(|| Error::Unsupported {
            what: "--eps is needed with --input".into(),
        })?;
        let d = match (a.clip.as_deref(), a.norm) {
            (Some([lo, hi]), NormArg::Inf) => InputDomain::clipped_linf(p.x, eps, *lo, *hi)?,
            (Some(_), _) => {
                return Err(Error::Unsupported {
                    what: "--clip works with --norm inf only".into(),
                });
            }
            (None, n) => {
                let norm = match n {
                    NormArg::Inf => Norm::LInf,
                    NormArg::Two => Norm::L2,
                    NormArg::One => Norm::L1,
                };
                InputDomain::ball(p.x, eps, norm)?
            }
        };
        (d, Some(label))
    };
    let m = method_with(a.point.method, a.point.rules);
    let spec = if a.margins {
        let label = a
            .point
            .label
            .or(x_label)
            .ok_or_else(|| Error::Unsupported {
                what: "--margins needs --label (the property names no label)".into(),
            })?;
        Some(Specification::margins::<f64>(net.output_dim(), label)?)
    } else {
        None
    };
    let start = Instant::now();
    let b = compute_bounds(&net, &domain, spec.as_ref(), &m)?;
    let seconds = start.elapsed().as_secs_f64();
    let lower: Vec<f64> = b.lower_bounds().iter().copied().collect();
    let upper: Vec<f64> = b.upper_bounds().iter().copied().collect();
    let text = lower
        .iter()
        .zip(&upper)
        .enumerate()
        .map(|(i, (l, u))| format!("{i}: [{l:.6}, {u:.6}]"))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(render(
        a.point.json,
        json!({"method": m.name(), "lower": lower, "upper": upper, "seconds": seconds}),
        format!("{} bounds ({seconds:.3} s)\n{text}", m.name()),
    ))
}

/// Deterministic pseudo-random points in a box (for the counterexample search).
fn sample_box(lo: &DVector<f64>, hi: &DVector<f64>, state: &mut u64) -> DVector<f64> {
    DVector::from_fn(lo.len(), |i, _| {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let u = ((*state >> 11) as f64) / ((1u64 << 53) as f64);
        lo[i] + u * (hi[i] - lo[i])
    })
}

fn verify(a: VerifyArgs) -> Result<String> {
    let net = load(&a.model)?;
    let prop = read_vnnlib(&a.vnnlib)?;
    if prop.num_inputs != net.input_dim() || prop.num_outputs != net.output_dim() {
        return Err(Error::mismatch(
            format!("{}: declared inputs (= model input)", a.vnnlib.display()),
            net.input_dim(),
            prop.num_inputs,
        ));
    }
    let m = method_with(a.method, a.rules);
    let start = Instant::now();
    let mut all_refuted = true;
    let mut counterexample: Option<(DVector<f64>, DVector<f64>)> = None;
    let mut state = 0x5eed_u64;
    for case in &prop.cases {
        let domain = InputDomain::Box(case.input.clone());
        // One bound call for the rows of all disjuncts of the box (each row's bound is computed
        // on its own, so stacking them only shares the intermediate bounds).
        let rows: usize = case.disjuncts.iter().map(|d| d.matrix.nrows()).sum();
        let lower = if rows > 0 {
            let mut stacked = DMatrix::zeros(rows, net.output_dim());
            let mut r = 0;
            for d in &case.disjuncts {
                let n = d.matrix.nrows();
                stacked.rows_mut(r, n).copy_from(&d.matrix);
                r += n;
            }
            compute_bounds(&net, &domain, Some(&stacked), &m)?
                .lower_bounds()
                .clone()
        } else {
            DVector::zeros(0)
        };
        let mut first = 0;
        for d in &case.disjuncts {
            // Refuted when some row has M_r·f(x) − rhs_r > 0 on the whole box.
            let n = d.matrix.nrows();
            let refuted = (0..n).any(|r| lower[first + r] > d.rhs[r]);
            first += n;
            if refuted {
                continue;
            }
            all_refuted = false;
            if counterexample.is_none() {
                let (lo, hi) = (case.input.lower(), case.input.upper());
                let mut candidates = vec![case.input.center()];
                candidates.extend((0..a.samples).map(|_| sample_box(lo, hi, &mut state)));
                for x in candidates {
                    let y = net.forward(&x)?;
                    if d.is_satisfied_by(&y, 0.0) {
                        counterexample = Some((x, y));
                        break;
                    }
                }
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let (verdict, ce) = if all_refuted {
        ("proved", serde_json::Value::Null)
    } else if let Some((x, y)) = &counterexample {
        ("falsified", json!({"x": x.as_slice(), "y": y.as_slice()}))
    } else {
        ("unknown", serde_json::Value::Null)
    };
    Ok(render(
        a.json,
        json!({"verdict": verdict, "method": m.name(), "counterexample": ce, "seconds": seconds}),
        format!("{verdict} ({}, {seconds:.3} s)", m.name()),
    ))
}

fn default_tail(t: Option<TailArg>, gaussian: bool) -> TailBound {
    t.map(tail).unwrap_or(if gaussian {
        TailBound::Exact
    } else {
        TailBound::SubGaussian
    })
}

fn certify(a: CertifyArgs) -> Result<String> {
    let net = load(&a.point.model)?;
    let (p, label) = point(&net, &a.point)?;
    let delta = 1.0 - a.certificate.confidence;
    let d = net.input_dim();
    let spec = parse_noise(&a.noise)?;
    let gaussian = matches!(spec, NoiseSpec::Gaussian(_) | NoiseSpec::GaussianCov(_));
    let trunc = Truncation::BoxMass(0.5 * delta.clamp(f64::MIN_POSITIVE, 0.5));
    let noise: Box<dyn NoiseModel> = match spec {
        NoiseSpec::Uniform(e) => Box::new(Uniform::new(d, e)?),
        NoiseSpec::Bernoulli(e, None) => Box::new(Bernoulli::symmetric(d, e)?),
        NoiseSpec::Bernoulli(e, Some(q)) => Box::new(Bernoulli::asymmetric(d, e, q)?),
        NoiseSpec::Gaussian(s) => Box::new(Gaussian::isotropic(d, s, trunc)?),
        NoiseSpec::GaussianCov(c) => Box::new(CorrelatedGaussian::new(c, trunc)?),
    };
    let (c, t) = certifier(&net, &a.point, &a.certificate, gaussian)?;
    let start = Instant::now();
    let cert = c.certify(&p.x, label, noise.as_ref())?;
    let seconds = start.elapsed().as_secs_f64();
    let targets: Vec<serde_json::Value> = cert
        .targets
        .iter()
        .zip(&cert.rows)
        .map(|(t, r)| {
            json!({"target": t, "p_flip_upper": r.upper.value(), "p_flip_lower": r.lower.value()})
        })
        .collect();
    let failure = cert.failure().value();
    let top1_lower = (1.0 - failure).max(0.0);
    let accounting = cert.intermediate.map_or(serde_json::Value::Null, |acc| {
        json!({"charged": acc.charged.value(), "sides": acc.sides, "side_budget": acc.side_budget,
               "final_margins_mass": cert.top1.failure.value()})
    });
    Ok(render(
        a.point.json,
        json!({
            "label": label, "noise": noise.describe(), "tail": format!("{t:?}"),
            "method": c_method_name(a.point.method), "delta": delta,
            "targets": targets,
            "top1_failure_upper": failure,
            "intermediate": format!("{:?}", a.certificate.intermediate),
            "intermediate_accounting": accounting,
            "top1_lower": top1_lower,
            "certified": cert.is_certified(), "seconds": seconds
        }),
        format!(
            "label {label}, {}: P[top-1 changes] <= {:.3e} -> {} at {}",
            noise.describe(),
            failure,
            if cert.is_certified() {
                "certified"
            } else {
                "not certified"
            },
            a.certificate.confidence
        ),
    ))
}

fn intermediate(i: IntermediateArg, split: f64) -> IntermediateMode {
    match i {
        IntermediateArg::WorstCase => IntermediateMode::WorstCase,
        IntermediateArg::Probabilistic => IntermediateMode::Probabilistic { split },
    }
}

/// The certifier configured by the command line, and the tail it uses.
fn certifier<'a>(
    net: &'a Sequential<f64>,
    point: &PointArgs,
    opts: &CertificateArgs,
    gaussian: bool,
) -> Result<(Certifier<'a, f64, Sequential<f64>>, TailBound)> {
    let t = default_tail(opts.tail, gaussian);
    let c = Certifier::new(net)
        .method(method_with(point.method, point.rules))
        .tail(t)?
        .confidence(opts.confidence)?
        .intermediate(intermediate(opts.intermediate, opts.budget_split))?;
    Ok((c, t))
}

fn c_method_name(m: MethodArg) -> &'static str {
    method(m).name()
}

fn radius(a: RadiusArgs) -> Result<String> {
    let net = load(&a.point.model)?;
    let (p, label) = point(&net, &a.point)?;
    let parts: Vec<&str> = a.noise.split(':').collect();
    let family = match parts.as_slice() {
        ["uniform"] => NoiseFamily::Uniform,
        ["bernoulli"] => NoiseFamily::Bernoulli { p: None },
        ["bernoulli", q] => NoiseFamily::Bernoulli {
            p: Some(q.parse().map_err(|_| Error::Unsupported {
                what: format!("noise `{}`: P is not a number", a.noise),
            })?),
        },
        ["gaussian"] => NoiseFamily::gaussian(),
        _ => {
            return Err(Error::Unsupported {
                what: format!(
                    "noise `{}`: expected uniform, bernoulli[:P] or gaussian",
                    a.noise
                ),
            });
        }
    };
    let gaussian = matches!(family, NoiseFamily::Gaussian { .. });
    let (c, t) = certifier(&net, &a.point, &a.certificate, gaussian)?;
    let start = Instant::now();
    let r = c.radius(&p.x, label, &family)?;
    let seconds = start.elapsed().as_secs_f64();
    Ok(render(
        a.point.json,
        json!({
            "label": label, "noise": family.name(),
            "worst_case_eps": r.worst_case.certified,
            "probabilistic_eps": r.probabilistic.certified,
            "ratio": r.ratio, "method": c_method_name(a.point.method),
            "tail": format!("{t:?}"), "confidence": a.certificate.confidence,
            "intermediate": format!("{:?}", a.certificate.intermediate),
            "bound_calls": r.bound_calls, "seconds": seconds
        }),
        format!(
            "label {label}: worst-case eps {:.6}, probabilistic {} {:.6} at {} (ratio {:.3}; {} bound calls, {seconds:.2} s)",
            r.worst_case.certified,
            if gaussian { "sigma" } else { "eps" },
            r.probabilistic.certified,
            a.certificate.confidence,
            r.ratio,
            r.bound_calls
        ),
    ))
}
