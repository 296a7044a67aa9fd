//! The markdown section of `docs/results.md`.

use std::fmt::Write as _;

use crate::AnyResult;
use crate::inputs::Training;
use crate::run::{NoiseKind, Record, SearchParams};

pub const BEGIN: &str = "<!-- paper-experiment:begin -->";
pub const END: &str = "<!-- paper-experiment:end -->";

/// Everything the section is made from.
pub struct Context<'a> {
    pub records: &'a [Record],
    pub not_run: &'a [(String, String)],
    pub loaded: &'a [String],
    pub noises: &'a [NoiseKind],
    pub confidences: &'a [f64],
    pub params: &'a SearchParams,
    pub command: String,
    /// What convolutional networks were run with.
    pub cnn_settings: String,
    pub load: String,
}

/// The confidence used for single-level summaries: 99.99 % (the paper's headline level) when it
/// was run, otherwise the highest level run.
pub fn reference_confidence(confidences: &[f64]) -> f64 {
    confidences
        .iter()
        .copied()
        .find(|c| (c - 0.9999).abs() < 1e-12)
        .unwrap_or_else(|| confidences.iter().copied().fold(0.0, f64::max))
}

/// A per-record statistic.
type Stat = dyn Fn(&Record) -> f64;

pub fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| !x.is_nan());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { f64::NAN }
}

pub fn pct(c: f64) -> String {
    let s = format!("{:.3}", 100.0 * c);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s} %")
}

fn num(v: f64, digits: usize) -> String {
    if v.is_nan() {
        "—".into()
    } else {
        format!("{v:.digits$}")
    }
}

/// The (network, method) pairs in run order.
pub fn groups(records: &[Record]) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = Vec::new();
    for r in records {
        if !out.contains(&(r.net, r.method)) {
            out.push((r.net, r.method));
        }
    }
    out
}

/// Records of one cell.
fn cell<'a>(
    records: &'a [Record],
    net: &str,
    method: &str,
    noise: NoiseKind,
    confidence: f64,
) -> Vec<&'a Record> {
    records
        .iter()
        .filter(|r| {
            r.net == net && r.method == method && r.noise == noise && r.confidence == confidence
        })
        .collect()
}

fn training_of(records: &[Record], net: &str) -> Training {
    records
        .iter()
        .find(|r| r.net == net)
        .map_or(Training::Standard, |r| r.training)
}

/// Min and max of the medians of `f` over the groups of the given training, for one noise at one
/// confidence.
fn range_over(
    ctx: &Context,
    training: Training,
    noise: NoiseKind,
    confidence: f64,
    f: &dyn Fn(&Record) -> f64,
) -> Option<(f64, f64)> {
    let meds: Vec<f64> = groups(ctx.records)
        .into_iter()
        .filter(|(n, _)| training_of(ctx.records, n) == training)
        .map(|(n, m)| {
            median(
                cell(ctx.records, n, m, noise, confidence)
                    .into_iter()
                    .map(f)
                    .collect(),
            )
        })
        .filter(|v| !v.is_nan())
        .collect();
    if meds.is_empty() {
        return None;
    }
    Some((
        meds.iter().copied().fold(f64::INFINITY, f64::min),
        meds.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    ))
}

fn plain_ratio(r: &Record) -> f64 {
    ratio(r.plain.radius, r.worst_case.radius)
}

fn prob_ratio(r: &Record) -> f64 {
    r.prob
        .map_or(f64::NAN, |p| ratio(p.radius, r.worst_case.radius))
}

pub fn markdown(ctx: &Context) -> AnyResult<String> {
    let mut md = String::new();
    let refc = reference_confidence(ctx.confidences);
    writeln!(md, "{BEGIN}")?;
    writeln!(
        md,
        "## The PROVEN paper's experiment: worst-case vs probabilistic radius\n"
    )?;
    writeln!(
        md,
        "Produced by `{}` (files `examples/paper_experiment/`), on the shared 2-core machine \
         with other jobs running (load average {} at the end), so times are rough. Each \
         network's results are saved under `target/paper-experiment/`; the list below gives the \
         commit and time each was computed at (`--reuse` assembles this section from saved \
         results computed with the same settings, except possibly the image count). The \
         full run over every mnistfc image and 5 images per CNN is `cargo run --release \
         --example paper_experiment -- --images 15 --cnn-images 5` (several hours on this \
         machine under load; not run). This section and \
         `docs/radius_vs_confidence.svg` are rewritten by each run; the rest of this file is \
         not.\n",
        ctx.command, ctx.load
    )?;
    writeln!(md, "Setup:\n")?;
    writeln!(
        md,
        "- Noise `X = x0 + Δ`, not clipped to the data range: {}.",
        ctx.noises
            .iter()
            .map(|n| format!("{} (tail: {})", n.name(), n.tail_name()))
            .collect::<Vec<_>>()
            .join("; ")
    )?;
    if ctx.noises.contains(&NoiseKind::Gaussian) {
        writeln!(
            md,
            "- Gaussian noise `N(0, σ²I)` has unbounded support: the linear bounds are computed on \
             the ℓ∞ box that holds all but {} of δ, and `P[X ∉ box]` is added to the failure \
             bound. Its radius is the standard deviation σ, so its ratio column is σ divided by \
             the worst-case ℓ∞ ε — a different quantity from the ε/ε ratios of bounded noise.",
            ctx.params.truncation_share
        )?;
    }
    writeln!(
        md,
        "- Input scales: mnistfc, verivital and the MLPs trained by \
         `scripts/train_mnist_paper.py` take pixels in [0, 1]; the oval21 CIFAR networks take \
         inputs in their normalised space (the space of their VNN-LIB boxes, per-channel \
         (x − mean)/std), so ε and σ there are in normalised units (1/255 in pixels is about \
         0.017 there). CNN inputs are the centres of the first VNN-LIB instances (for the \
         clipped verivital boxes, the image recovered by undoing the clip)."
    )?;
    writeln!(
        md,
        "- Certificates are top-1: `P[top-1 changes] ≤ Σ_t P[margin line t ≤ 0] (+ P[X ∉ B]) ≤ δ` \
         (union bound over the K − 1 margins, K = 10)."
    )?;
    writeln!(
        md,
        "- **worst case**: the largest ℓ∞ ε with every margin lower bound > 0. **plain PROVEN**: \
         the published method — intermediate bounds worst-case over the noise support, the tail \
         bound applied to the final margin lines only (`IntermediateMode::WorstCase`). \
         **prob. intermediate**: every unstable neuron's interval is also narrowed with the noise \
         law's tail, {} of the budget spread over 2 sides of every neuron, charged to δ \
         (`IntermediateMode::Probabilistic {{ split: {} }}`).",
        ctx.params.split, ctx.params.split
    )?;
    writeln!(
        md,
        "- Bound methods: `Method::fast_lin()` and `Method::crown()` (the default CROWN: \
         adaptive lower ReLU slope, intermediate bounds intersected with IBP). On convolutional \
         networks CROWN is CNN-Cert's method (the same back-substitution through convolutions)."
    )?;
    writeln!(
        md,
        "- Search: double/halve from a start (0.01 for the worst case, the worst-case radius for \
         plain PROVEN, the plain PROVEN radius for prob. intermediate) until the verdict changes, \
         then {} log-space bisections (resolution {:.1e} relative). Every tested radius is a full \
         certificate, so every reported radius was certified.",
        ctx.params.steps,
        2f64.powf(2f64.powi(-(ctx.params.steps as i32))) - 1.0
    )?;
    writeln!(
        md,
        "- Fully connected networks: every noise law and confidence above; {} (each CNN \
         search costs ~50× an MLP one on this machine); cells not run show \"—\".",
        ctx.cnn_settings
    )?;
    writeln!(
        md,
        "- Ratios are medians over images of per-image ratios; radii are medians over images.\n"
    )?;
    writeln!(md, "Networks and images:\n")?;
    for l in ctx.loaded {
        writeln!(md, "- {l}")?;
    }
    for (net, why) in ctx.not_run {
        writeln!(md, "- **{net}: not run**: {why}")?;
    }
    writeln!(md)?;
    writeln!(
        md,
        "![Certified radius against confidence](radius_vs_confidence.svg)\n\n\
         *Median certified radius against confidence (x axis logarithmic in δ) for CROWN: worst case \
         (flat), plain PROVEN and probabilistic intermediate bounds under uniform and Bernoulli \
         noise (ε, same axis as the worst case); Gaussian σ is left out of the plot (a different \
         quantity, see the tables).*\n"
    )?;

    ratio_tables(&mut md, ctx)?;
    method_table(&mut md, ctx, refc)?;
    frozen_table(&mut md, ctx, refc)?;
    radii_table(&mut md, ctx)?;
    time_table(&mut md, ctx)?;
    comparison(&mut md, ctx, refc)?;
    writeln!(md, "{END}")?;
    Ok(md)
}

fn ratio_tables(md: &mut String, ctx: &Context) -> AnyResult<()> {
    writeln!(
        md,
        "### Median ratio of the probabilistic to the worst-case radius\n"
    )?;
    for &noise in ctx.noises {
        let what = if noise.is_sigma() {
            "σ / worst-case ε"
        } else {
            "ε / worst-case ε"
        };
        writeln!(md, "#### {} noise ({what})\n", noise.name())?;
        write!(md, "| network | training | method | certificate |")?;
        for c in ctx.confidences {
            write!(md, " {} |", pct(*c))?;
        }
        writeln!(md)?;
        writeln!(
            md,
            "|---|---|---|---|{}",
            "---|".repeat(ctx.confidences.len())
        )?;
        for (net, method) in groups(ctx.records) {
            if !ctx
                .records
                .iter()
                .any(|r| r.net == net && r.method == method && r.noise == noise)
            {
                continue;
            }
            let training = training_of(ctx.records, net).name();
            let rows: [(&str, &Stat); 2] = [
                ("plain PROVEN", &plain_ratio),
                ("prob. intermediate", &prob_ratio),
            ];
            for (label, f) in rows {
                write!(md, "| {net} | {training} | {method} | {label} |")?;
                for &c in ctx.confidences {
                    let v = median(
                        cell(ctx.records, net, method, noise, c)
                            .into_iter()
                            .map(f)
                            .collect(),
                    );
                    if label == "prob. intermediate" {
                        write!(md, " **{}** |", num(v, 2))?;
                    } else {
                        write!(md, " {} |", num(v, 3))?;
                    }
                }
                writeln!(md)?;
            }
        }
        writeln!(md)?;
    }
    Ok(())
}

fn method_table(md: &mut String, ctx: &Context, refc: f64) -> AnyResult<()> {
    let nets: Vec<&str> = {
        let mut v: Vec<&str> = Vec::new();
        for (n, _) in groups(ctx.records) {
            if !v.contains(&n) {
                v.push(n);
            }
        }
        v
    };
    let both: Vec<&str> = nets
        .into_iter()
        .filter(|n| {
            let ms: Vec<&str> = groups(ctx.records)
                .into_iter()
                .filter(|(m, _)| m == n)
                .map(|(_, m)| m)
                .collect();
            ms.contains(&"Fast-Lin") && ms.contains(&"CROWN")
        })
        .collect();
    writeln!(
        md,
        "### Tighter bound method: CROWN radius / Fast-Lin radius ({})\n",
        pct(refc)
    )?;
    if both.is_empty() {
        writeln!(md, "Not run: no network was run with both methods.\n")?;
        return Ok(());
    }
    writeln!(
        md,
        "Median over images of the per-image ratio CROWN / Fast-Lin, same image, noise and \
         confidence.\n"
    )?;
    write!(md, "| network | worst case |")?;
    for noise in ctx.noises {
        write!(
            md,
            " plain PROVEN, {} | prob. int., {} |",
            noise.name(),
            noise.name()
        )?;
    }
    writeln!(md)?;
    writeln!(md, "|---|---|{}", "---|---|".repeat(ctx.noises.len()))?;
    for net in both {
        let pair = |noise: NoiseKind, f: &dyn Fn(&Record) -> f64| -> f64 {
            let fl = cell(ctx.records, net, "Fast-Lin", noise, refc);
            let cr = cell(ctx.records, net, "CROWN", noise, refc);
            median(
                cr.iter()
                    .filter_map(|c| {
                        fl.iter()
                            .find(|f| f.image == c.image)
                            .map(|f0| ratio(f(c), f(f0)))
                    })
                    .collect(),
            )
        };
        let first = ctx.noises[0];
        write!(
            md,
            "| {net} | {} |",
            num(pair(first, &|r| r.worst_case.radius), 3)
        )?;
        for &noise in ctx.noises {
            write!(
                md,
                " {} | {} |",
                num(pair(noise, &|r| r.plain.radius), 3),
                num(pair(noise, &|r| r.prob.map_or(f64::NAN, |p| p.radius)), 3)
            )?;
        }
        writeln!(md)?;
    }
    writeln!(md)?;
    Ok(())
}

fn frozen_table(md: &mut String, ctx: &Context, refc: f64) -> AnyResult<()> {
    writeln!(
        md,
        "### Why plain PROVEN gains little: the bounds loosen with ε ({}, uniform noise)\n",
        pct(refc)
    )?;
    writeln!(
        md,
        "*Frozen-bound ratio* (a diagnostic, **not** a certificate): take the margin lines \
         `a_t·x + b_t` computed on the worst-case ball, pretend they stayed valid for larger ε, and \
         find the ε at which PROVEN's uniform test (strict sub-Gaussian, δ split evenly over the 9 \
         margins) would still pass: `min_t μ_t / (‖a_t‖₂ √(2 ln(9/δ)/3))`, divided by the \
         worst-case radius. It is about `‖a‖₁ / (c_δ ‖a‖₂)` for the binding margin — the gain \
         the probabilistic deficit alone offers. The measured plain PROVEN ratio is far below it \
         because the lines themselves get looser as ε grows (more unstable ReLUs, wider \
         intermediate intervals). The last column shows how much of that probabilistic \
         intermediate bounds recover; the frozen-bound value is not a ceiling for them, since \
         they change the lines themselves.\n"
    )?;
    writeln!(
        md,
        "| network | method | frozen-bound ratio | plain PROVEN ratio | prob. intermediate ratio |"
    )?;
    writeln!(md, "|---|---|---|---|---|")?;
    for (net, method) in groups(ctx.records) {
        let recs = cell(ctx.records, net, method, NoiseKind::Uniform, refc);
        if recs.is_empty() {
            continue;
        }
        writeln!(
            md,
            "| {net} | {method} | {} | {} | {} |",
            num(median(recs.iter().map(|r| r.frozen).collect()), 2),
            num(median(recs.iter().map(|r| plain_ratio(r)).collect()), 3),
            num(median(recs.iter().map(|r| prob_ratio(r)).collect()), 2),
        )?;
    }
    writeln!(md)?;
    Ok(())
}

fn radii_table(md: &mut String, ctx: &Context) -> AnyResult<()> {
    writeln!(md, "### Radii (medians over images)\n")?;
    writeln!(
        md,
        "| network | method | noise | 1 − δ | images | worst-case ε | plain PROVEN | prob. intermediate | plain / worst case | prob. int. / worst case | prob. int. / plain | narrowed sides |"
    )?;
    writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|")?;
    for (net, method) in groups(ctx.records) {
        for &noise in ctx.noises {
            for &c in ctx.confidences {
                let recs = cell(ctx.records, net, method, noise, c);
                if recs.is_empty() {
                    continue;
                }
                let unit = if noise.is_sigma() { "σ " } else { "" };
                writeln!(
                    md,
                    "| {net} | {method} | {} | {} | {} | {} | {unit}{} | {unit}{} | {} | {} | {} | {} |",
                    noise.name(),
                    pct(c),
                    recs.len(),
                    num(
                        median(recs.iter().map(|r| r.worst_case.radius).collect()),
                        5
                    ),
                    num(median(recs.iter().map(|r| r.plain.radius).collect()), 5),
                    num(
                        median(
                            recs.iter()
                                .map(|r| r.prob.map_or(f64::NAN, |p| p.radius))
                                .collect()
                        ),
                        5
                    ),
                    num(median(recs.iter().map(|r| plain_ratio(r)).collect()), 3),
                    num(median(recs.iter().map(|r| prob_ratio(r)).collect()), 3),
                    num(
                        median(
                            recs.iter()
                                .map(|r| r
                                    .prob
                                    .map_or(f64::NAN, |p| ratio(p.radius, r.plain.radius)))
                                .collect()
                        ),
                        3
                    ),
                    num(
                        median(
                            recs.iter()
                                .map(|r| r
                                    .prob
                                    .and_then(|p| p.sides)
                                    .map_or(f64::NAN, |n| n as f64))
                                .collect()
                        ),
                        0
                    ),
                )?;
            }
        }
    }
    writeln!(md)?;
    Ok(())
}

fn time_table(md: &mut String, ctx: &Context) -> AnyResult<()> {
    writeln!(md, "### Time per search\n")?;
    writeln!(
        md,
        "Wall clock, release build, one run each, medians over images and (for the probabilistic \
         searches) over noise laws and confidences; the machine is shared, so these are rough. \
         Calls = bound-engine calls per search (one per tested radius).\n"
    )?;
    writeln!(
        md,
        "| network | method | worst case: s (calls) | plain PROVEN: s (calls) | prob. intermediate: s (calls) | s per call, prob. / plain |"
    )?;
    writeln!(md, "|---|---|---|---|---|---|")?;
    for (net, method) in groups(ctx.records) {
        let recs: Vec<&Record> = ctx
            .records
            .iter()
            .filter(|r| r.net == net && r.method == method)
            .collect();
        let med = |f: &dyn Fn(&Record) -> f64| median(recs.iter().map(|r| f(r)).collect());
        let per_call = med(&|r| {
            r.prob.map_or(f64::NAN, |p| {
                ratio(
                    p.seconds / p.calls as f64,
                    r.plain.seconds / r.plain.calls as f64,
                )
            })
        });
        writeln!(
            md,
            "| {net} | {method} | {:.2} ({:.0}) | {:.2} ({:.0}) | {} ({}) | {} |",
            med(&|r| r.worst_case.seconds),
            med(&|r| r.worst_case.calls as f64),
            med(&|r| r.plain.seconds),
            med(&|r| r.plain.calls as f64),
            num(med(&|r| r.prob.map_or(f64::NAN, |p| p.seconds)), 2),
            num(med(&|r| r.prob.map_or(f64::NAN, |p| p.calls as f64)), 0),
            num(per_call, 2),
        )?;
    }
    writeln!(md)?;
    Ok(())
}

fn range_text(r: Option<(f64, f64)>, digits: usize) -> String {
    match r {
        None => "not measured".into(),
        Some((a, b)) if (a - b).abs() < 0.5 * 10f64.powi(-(digits as i32)) => {
            format!("{a:.digits$}×")
        }
        Some((a, b)) => format!("{a:.digits$}–{b:.digits$}×"),
    }
}

fn comparison(md: &mut String, ctx: &Context, refc: f64) -> AnyResult<()> {
    let u = NoiseKind::Uniform;
    let std_plain = range_over(ctx, Training::Standard, u, refc, &plain_ratio);
    let std_prob = range_over(ctx, Training::Standard, u, refc, &prob_ratio);
    let rob_plain = range_over(ctx, Training::Robust, u, refc, &plain_ratio);
    let rob_prob = range_over(ctx, Training::Robust, u, refc, &prob_ratio);
    let frozen = range_over(ctx, Training::Standard, u, refc, &|r| r.frozen);
    writeln!(md, "### Comparison with the paper's claims\n")?;
    writeln!(
        md,
        "The PROVEN talk (ICML 2019) states that the radius certified at 99.99 % is up to \
         3.5–5.4× the worst-case one on standard networks and up to 7× on robustly trained ones, \
         and that a tighter bound method gives up to 1.3× more; the abstract says about 1.8× over \
         CROWN and 3.5× over CNN-Cert. The paper's tables could not be read here (see \
         `../shared/notes/proven-method.md`), so these are the only figures compared, and the \
         networks differ. Measured here, uniform noise at {}:\n",
        pct(refc)
    )?;
    writeln!(
        md,
        "| | standard networks | robust networks | paper |\n|---|---|---|---|\n\
         | plain PROVEN / worst case | {} | {} | 3.5–5.4× standard, up to 7× robust |\n\
         | prob. intermediate / worst case | {} | {} | — (not in the paper) |\n\
         | frozen-bound ratio (diagnostic) | {} | {} | — |\n",
        range_text(std_plain, 3),
        range_text(rob_plain, 3),
        range_text(std_prob, 2),
        range_text(rob_prob, 2),
        range_text(frozen, 2),
        range_text(range_over(ctx, Training::Robust, u, refc, &|r| r.frozen), 2),
    )?;
    writeln!(
        md,
        "(Ranges are over the medians of the (network, method) pairs run; \"not measured\" means \
         no network of that kind was run.)\n"
    )?;
    let wc_range = {
        let meds: Vec<f64> = groups(ctx.records)
            .into_iter()
            .filter(|(n, _)| training_of(ctx.records, n) == Training::Standard)
            .map(|(n, m)| {
                median(
                    cell(ctx.records, n, m, u, refc)
                        .iter()
                        .map(|r| r.worst_case.radius)
                        .collect(),
                )
            })
            .filter(|v| !v.is_nan())
            .collect();
        if meds.is_empty() {
            "not measured".to_string()
        } else {
            format!(
                "{:.4}–{:.4}",
                meds.iter().copied().fold(f64::INFINITY, f64::min),
                meds.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            )
        }
    };
    let method_gain = |f: &Stat| -> Option<(f64, f64)> {
        let mut meds = Vec::new();
        for (net, method) in groups(ctx.records) {
            if method != "CROWN" {
                continue;
            }
            let fl = cell(ctx.records, net, "Fast-Lin", u, refc);
            let cr = cell(ctx.records, net, "CROWN", u, refc);
            let v = median(
                cr.iter()
                    .filter_map(|c| {
                        fl.iter()
                            .find(|x| x.image == c.image)
                            .map(|x| ratio(f(c), f(x)))
                    })
                    .collect(),
            );
            if !v.is_nan() {
                meds.push(v);
            }
        }
        if meds.is_empty() {
            None
        } else {
            Some((
                meds.iter().copied().fold(f64::INFINITY, f64::min),
                meds.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ))
        }
    };
    let lo_c = ctx.confidences.iter().copied().fold(1.0, f64::min);
    let hi_c = ctx.confidences.iter().copied().fold(0.0, f64::max);
    writeln!(md, "Why the measured ratios differ from the paper's:\n")?;
    writeln!(
        md,
        "1. **Intermediate bounds stay worst-case in PROVEN.** It replaces only the final \
         deficit `ε‖a‖₁` by a tail deficit `c_δ ε‖a‖₂`; the lines `a, b` still come from \
         worst-case intermediate bounds on the whole support. At a fixed line the gain is \
         `‖a‖₁ / (c_δ‖a‖₂)` — the frozen-bound ratio, {} here — but beyond the worst-case \
         radius CROWN's lines degrade so fast (unstable ReLUs multiply, the margin centre `μ` \
         falls) that the certified ε grows only by {}. Probabilistic intermediate bounds narrow \
         the intervals with the same noise law and certify {} the worst-case radius (per \
         network: the frozen-bound table; the low end is explained in point 6 where it \
         applies).",
        range_text(frozen, 2),
        range_text(std_plain, 3),
        range_text(std_prob, 2)
    )?;
    writeln!(
        md,
        "2. **Different networks.** The paper used the CROWN / CNN-Cert model zoos (MLPs of \
         2–4 layers of 20 or 1024 neurons and CNNs, pixels in [−0.5, 0.5]). The networks here \
         (listed above) are other MLPs and CNNs; median worst-case radii of the standard ones \
         {wc_range} (at {}). The plain PROVEN ratio is set by how fast a network's linear \
         bounds loosen beyond its worst-case radius, which depends on the network and its \
         training, not on the noise law. Robustly trained networks here: {}.",
        pct(refc),
        match rob_plain {
            Some(_) => format!(
                "plain PROVEN {}, probabilistic intermediate {} (per network in the \
                 frozen-bound table; see the reading notes after this section)",
                range_text(rob_plain, 3),
                range_text(rob_prob, 2)
            ),
            None => "not run (see the list of networks above)".to_string(),
        }
    )?;
    writeln!(
        md,
        "3. **Top-1 union bound and tails.** These certificates bound the probability that the \
         top-1 class changes (a union over 9 margins); the paper's experiments most likely \
         certified one target class at a time, as CROWN and CNN-Cert do (not verifiable here). \
         The union costs a larger multiplier (`√(2 ln(9/δ))` vs `√(2 ln(1/δ))`: 4.78 vs 4.29 at \
         99.99 %, 10 %). Our uniform tail (strict sub-Gaussian, proxy ε²/3) is √3 tighter than \
         the Hoeffding bound the paper used, which works the other way. Neither accounts for a \
         factor of 3–5 in the ratio."
    )?;
    writeln!(
        md,
        "4. **Tighter bound method.** CROWN over Fast-Lin, median per network at {}: worst case \
         {}, plain PROVEN {}, probabilistic intermediate {} (paper: up to 1.3×).",
        pct(refc),
        range_text(method_gain(&|r| r.worst_case.radius), 3),
        range_text(method_gain(&|r| r.plain.radius), 3),
        range_text(method_gain(&|r| r.prob.map_or(f64::NAN, |p| p.radius)), 3),
    )?;
    writeln!(
        md,
        "5. **Confidence.** From {} to {} the probabilistic-intermediate ratio (uniform, \
         standard networks) goes from {} to {}: each extra nine costs about {:.0} % of the \
         radius (the tail deficit grows like `√(ln 1/δ)`, and the bounds loosen with ε), while \
         the plain PROVEN radius hardly moves (the worst-case intermediate bounds dominate).\n",
        pct(lo_c),
        pct(hi_c),
        range_text(range_over(ctx, Training::Standard, u, lo_c, &prob_ratio), 2),
        range_text(range_over(ctx, Training::Standard, u, hi_c, &prob_ratio), 2),
        per_nine_loss(ctx, lo_c, hi_c),
    )?;
    let no_sides: Vec<&str> = {
        let mut v: Vec<&str> = Vec::new();
        for (net, method) in groups(ctx.records) {
            let sides: Vec<f64> = cell(ctx.records, net, method, u, refc)
                .iter()
                .filter_map(|r| r.prob.and_then(|p| p.sides))
                .map(|n| n as f64)
                .collect();
            if !sides.is_empty() && median(sides) == 0.0 && !v.contains(&net) {
                v.push(net);
            }
        }
        v
    };
    if !no_sides.is_empty() {
        writeln!(
            md,
            "6. **Where probabilistic intermediate bounds cannot help.** On {} no intermediate \
             side was narrowed (median 0 narrowed sides), so the certificate equals plain \
             PROVEN's. A side is narrowed only where the tail deficit beats the worst-case one, \
             `c·ε‖a‖₂ < ε‖a‖₁`, and `‖a‖₁/‖a‖₂ ≤ √(fan-in)`; with δ spread over tens of \
             thousands of sides the multiplier `c` is about 3.7 (uniform noise, 99.99 %). The \
             verivital networks have a single ReLU layer, right after a 2×2 convolution: each \
             ReLU input depends on 4 pixels (`‖a‖₁/‖a‖₂ ≤ 2`; checked on Convnet_avgpool, whose \
             first-layer rows have 4 non-zero weights), so their worst-case intervals are \
             already the tighter ones. Deeper layers, whose rows see the whole image, are where \
             the method gains.\n",
            no_sides.join(", ")
        )?;
    }
    Ok(())
}

/// The median over standard (network, method) pairs of the relative radius lost per extra nine of
/// confidence, `1 − (r_hi / r_lo)^(1/nines)`, in per cent (probabilistic intermediate, uniform).
fn per_nine_loss(ctx: &Context, lo_c: f64, hi_c: f64) -> f64 {
    let nines = ((1.0 - lo_c) / (1.0 - hi_c)).log10();
    if nines <= 0.0 {
        return f64::NAN;
    }
    let losses: Vec<f64> = groups(ctx.records)
        .into_iter()
        .filter(|(n, _)| training_of(ctx.records, n) == Training::Standard)
        .map(|(n, m)| {
            let at = |c: f64| {
                median(
                    cell(ctx.records, n, m, NoiseKind::Uniform, c)
                        .into_iter()
                        .map(prob_ratio)
                        .collect(),
                )
            };
            100.0 * (1.0 - (at(hi_c) / at(lo_c)).powf(1.0 / nines))
        })
        .collect();
    median(losses)
}

/// `old` with the marked section replaced by `section` (or `section` appended).
pub fn replace_marked(old: &str, section: &str) -> String {
    let section = section.trim_end();
    match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if e > b => {
            let after = &old[e + END.len()..];
            format!("{}{section}{after}", &old[..b])
        }
        _ => {
            if old.trim().is_empty() {
                format!("{section}\n")
            } else {
                format!("{}\n\n{section}\n", old.trim_end())
            }
        }
    }
}
