//! The PROVEN paper's experiment on the networks in `../shared/models`: worst-case radius, plain
//! PROVEN radius (worst-case intermediate bounds, as published) and the radius with probabilistic
//! intermediate bounds, for Fast-Lin and CROWN (CROWN on convolutional layers is CNN-Cert), under
//! uniform, Bernoulli and Gaussian noise, at several confidence levels.
//!
//! Run (from the repository root, with `../shared` beside it):
//!
//! ```sh
//! cargo run --release --example paper_experiment                 # default: a few minutes
//! cargo run --release --example paper_experiment -- --images 15 --cnn-images 5   # the full run
//! cargo run --release --example paper_experiment -- --help
//! ```
//!
//! It writes the section between `<!-- paper-experiment:begin -->` and
//! `<!-- paper-experiment:end -->` of `docs/results.md` (the rest of the file is kept) and the
//! plot `docs/radius_vs_confidence.svg`; `--no-write` only prints. Progress goes to stderr.
//! Networks that cannot be loaded (for example convolutional ones before the reader supports
//! them) are listed in the section as "not run" with the reader's error. Exits with a message
//! (status 0) when `../shared` is missing.

mod cache;
mod inputs;
mod plot;
mod report;
mod run;

use clap::Parser;
use proven::certify::IntermediateMode;
use std::path::PathBuf;
use std::time::Instant;

use inputs::{Image, NETS};
use run::{MethodSpec, NoiseKind, Record, SearchParams};

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The PROVEN paper's experiment on the networks in ../shared/models.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Images per fully connected network (mnistfc: up to 15).
    #[arg(long, default_value_t = 5)]
    images: usize,
    /// Images per convolutional network (VNN-LIB instances).
    #[arg(long, default_value_t = 2)]
    cnn_images: usize,
    /// Networks to run (comma-separated names; default: all).
    #[arg(long, value_delimiter = ',')]
    nets: Vec<String>,
    /// Bound methods for fully connected networks.
    #[arg(long, value_delimiter = ',', default_value = "fast-lin,crown")]
    methods: Vec<String>,
    /// Bound methods for convolutional networks (CROWN on conv layers = CNN-Cert).
    #[arg(long, value_delimiter = ',', default_value = "crown")]
    cnn_methods: Vec<String>,
    /// Noise laws.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "uniform,bernoulli,gaussian"
    )]
    noises: Vec<String>,
    /// Confidence levels 1 − δ.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "0.9,0.99,0.999,0.9999,0.99999"
    )]
    confidences: Vec<f64>,
    /// Noise laws for convolutional networks (each CNN search is ~50× an MLP one here).
    #[arg(long, value_delimiter = ',', default_value = "uniform")]
    cnn_noises: Vec<String>,
    /// Confidence levels for convolutional networks.
    #[arg(long, value_delimiter = ',', default_value = "0.99,0.9999")]
    cnn_confidences: Vec<f64>,
    /// Log-space bisection steps of every radius search (resolution 2^(2^-steps) − 1 relative).
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// Share of the budget for probabilistic intermediate bounds.
    #[arg(long, default_value_t = 0.9)]
    split: f64,
    /// Share of δ for the Gaussian truncation mass P[X ∉ B].
    #[arg(long, default_value_t = 0.5)]
    truncation: f64,
    /// Skip the probabilistic-intermediate searches.
    #[arg(long)]
    no_prob: bool,
    /// Print only; do not touch docs/.
    #[arg(long)]
    no_write: bool,
    /// Load a network's results from target/paper-experiment/<network>.json instead of
    /// recomputing them when they were saved with the same settings, except perhaps the image
    /// count (every run saves them).
    #[arg(long)]
    reuse: bool,
    /// With --reuse: list networks without saved results as not run instead of computing them
    /// (to assemble the report when a part of the run could not finish).
    #[arg(long)]
    reuse_only: bool,
}

/// The command line that reproduces this run.
fn command_line() -> String {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--reuse" && a != "--reuse-only" && a != "--no-write")
        .collect();
    let mut cmd = "cargo run --release --example paper_experiment".to_string();
    if !args.is_empty() {
        cmd.push_str(" -- ");
        cmd.push_str(&args.join(" "));
    }
    cmd
}

fn main() -> AnyResult<()> {
    let args = Args::parse();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let models = root.join("../shared/models");
    if !models.join("mnistfc/images.json").exists() {
        println!(
            "{} not found: ../shared (the models) must be beside the repository. Nothing to do.",
            models.join("mnistfc/images.json").display()
        );
        return Ok(());
    }
    let noises = args
        .noises
        .iter()
        .map(|s| NoiseKind::parse(s))
        .collect::<AnyResult<Vec<_>>>()?;
    let methods = args
        .methods
        .iter()
        .map(|s| MethodSpec::parse(s))
        .collect::<AnyResult<Vec<_>>>()?;
    let cnn_methods = args
        .cnn_methods
        .iter()
        .map(|s| MethodSpec::parse(s))
        .collect::<AnyResult<Vec<_>>>()?;
    let cnn_noises = args
        .cnn_noises
        .iter()
        .map(|s| NoiseKind::parse(s))
        .collect::<AnyResult<Vec<_>>>()?;
    for &c in args.confidences.iter().chain(&args.cnn_confidences) {
        if !(c > 0.0 && c < 1.0) {
            return Err(format!("confidence {c} is not in (0, 1)").into());
        }
    }
    let params = SearchParams {
        steps: args.steps,
        truncation_share: args.truncation,
        split: args.split,
        prob: !args.no_prob,
    };
    for n in &args.nets {
        if !NETS.iter().any(|s| s.name == n) {
            return Err(format!("unknown network `{n}`").into());
        }
    }

    let started = Instant::now();
    // The commit the binary was (normally) just built from; recorded with each network.
    let provenance = cache::provenance(&root);
    let mut records: Vec<Record> = Vec::new();
    let mut not_run: Vec<(String, String)> = Vec::new();
    let mut loaded_notes: Vec<String> = Vec::new();
    for spec in NETS.iter() {
        if !args.nets.is_empty() && !args.nets.iter().any(|n| n == spec.name) {
            continue;
        }
        let count = if spec.conv {
            args.cnn_images
        } else {
            args.images
        };
        if count == 0 {
            continue;
        }
        let (net_methods, net_noises, net_confidences) = if spec.conv {
            (&cnn_methods, &cnn_noises, &args.cnn_confidences)
        } else {
            (&methods, &noises, &args.confidences)
        };
        let settings = serde_json::json!({
            "images": count,
            "methods": net_methods.iter().map(|m| m.name).collect::<Vec<_>>(),
            "noises": net_noises.iter().map(|n| n.key()).collect::<Vec<_>>(),
            "confidences": net_confidences,
            "steps": params.steps,
            "split": params.split,
            "truncation": params.truncation_share,
            "prob": params.prob,
        });
        if (args.reuse || args.reuse_only)
            && let Some(saved) = cache::load(&root, spec.name, &settings)?
        {
            eprintln!(
                "{}: reusing {}",
                spec.name,
                cache::path(&root, spec.name).display()
            );
            loaded_notes.push(format!(
                "{} (computed at {}, reused)",
                saved.note, saved.provenance
            ));
            records.extend(saved.records);
            continue;
        }
        if args.reuse_only {
            not_run.push((
                spec.name.to_string(),
                "no results saved with these settings (the run did not finish in the time \
                 available)"
                    .to_string(),
            ));
            continue;
        }
        let loaded = match inputs::load(&root, &models, spec, count) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("{}: not run: {e}", spec.name);
                not_run.push((spec.name.to_string(), e.to_string()));
                continue;
            }
        };
        let note = format!(
            "{}{}: {} image(s) ({}){}",
            spec.name,
            inputs::describe_local(&root, spec).map_or(String::new(), |d| format!(" ({d})")),
            loaded.images.len(),
            loaded
                .images
                .iter()
                .map(|i| i.id.clone())
                .collect::<Vec<_>>()
                .join(", "),
            if loaded.misclassified > 0 {
                format!(", {} misclassified input(s) skipped", loaded.misclassified)
            } else {
                String::new()
            }
        );
        let net_started = Instant::now();
        let mut net_records = Vec::new();
        for im in &loaded.images {
            for method in net_methods {
                run_image(
                    spec,
                    &loaded.network,
                    method,
                    im,
                    net_noises,
                    net_confidences,
                    &params,
                    &started,
                    &mut net_records,
                )?;
            }
        }
        let provenance = format!(
            "{provenance}, in {:.0} s",
            net_started.elapsed().as_secs_f64()
        );
        loaded_notes.push(format!("{note} (computed at {provenance})"));
        cache::save(
            &root,
            spec.name,
            &cache::Saved {
                settings,
                provenance,
                note,
                records: net_records.clone(),
            },
        )?;
        records.extend(net_records);
    }
    let total = started.elapsed().as_secs_f64();
    let uptime = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    // Tables and plot over the union of the settings (cells not run show "—").
    let mut all_noises = noises.clone();
    for n in &cnn_noises {
        if !all_noises.contains(n) {
            all_noises.push(*n);
        }
    }
    let mut all_confidences: Vec<f64> = args
        .confidences
        .iter()
        .chain(&args.cnn_confidences)
        .copied()
        .collect();
    all_confidences.sort_by(f64::total_cmp);
    all_confidences.dedup();
    let cnn_settings = format!(
        "convolutional networks: {} under {} noise at {}",
        cnn_methods
            .iter()
            .map(|m| m.name)
            .collect::<Vec<_>>()
            .join(", "),
        cnn_noises
            .iter()
            .map(|n| n.name())
            .collect::<Vec<_>>()
            .join(", "),
        args.cnn_confidences
            .iter()
            .map(|c| report::pct(*c))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let md = report::markdown(&report::Context {
        records: &records,
        not_run: &not_run,
        loaded: &loaded_notes,
        noises: &all_noises,
        confidences: &all_confidences,
        cnn_settings,
        params: &params,
        command: command_line(),
        load: uptime
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    })?;
    println!("{md}");
    if !args.no_write {
        let svg = root.join("docs/radius_vs_confidence.svg");
        plot::radius_vs_confidence(&records, &all_confidences, &svg)?;
        eprintln!("wrote {}", svg.display());
        let path = root.join("docs/results.md");
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(&path, report::replace_marked(&old, &md))?;
        eprintln!("wrote {}", path.display());
    }
    eprintln!("total {total:.0} s");
    Ok(())
}

/// All searches of one (network, image, method).
#[allow(clippy::too_many_arguments)]
fn run_image(
    spec: &inputs::NetSpec,
    net: &proven::Sequential<f64>,
    method: &MethodSpec,
    im: &Image,
    noises: &[NoiseKind],
    confidences: &[f64],
    params: &SearchParams,
    started: &Instant,
    records: &mut Vec<Record>,
) -> AnyResult<()> {
    let wc = run::worst_case(net, method, &im.x, im.label, params)?;
    eprintln!(
        "[{:>5.0} s] {} {} image {}: worst-case ε {:.5} ({} calls, {:.2} s)",
        started.elapsed().as_secs_f64(),
        spec.name,
        method.name,
        im.id,
        wc.radius,
        wc.calls,
        wc.seconds
    );
    let start = if wc.radius > 0.0 { wc.radius } else { 0.01 };
    let frozen = run::frozen_bound_ratio(
        net,
        method,
        &im.x,
        im.label,
        wc.radius,
        report::reference_confidence(confidences),
    )?;
    for &noise in noises {
        for &confidence in confidences {
            let plain = run::probabilistic(
                net,
                method,
                noise,
                confidence,
                IntermediateMode::WorstCase,
                &im.x,
                im.label,
                start,
                params,
            )?;
            let prob = if params.prob {
                Some(run::probabilistic(
                    net,
                    method,
                    noise,
                    confidence,
                    IntermediateMode::Probabilistic {
                        split: params.split,
                    },
                    &im.x,
                    im.label,
                    plain.radius.max(start),
                    params,
                )?)
            } else {
                None
            };
            eprintln!(
                "[{:>5.0} s]   {:<13} {:<8}: plain PROVEN {:.5} ({:.2} s), prob. intermediate {}",
                started.elapsed().as_secs_f64(),
                noise.name(),
                confidence,
                plain.radius,
                plain.seconds,
                prob.map_or("—".to_string(), |p| format!(
                    "{:.5} ({:.2} s)",
                    p.radius, p.seconds
                )),
            );
            records.push(Record {
                net: spec.name,
                training: spec.training,
                method: method.name,
                noise,
                confidence,
                image: im.id.clone(),
                worst_case: wc,
                plain,
                prob,
                frozen,
            });
        }
    }
    Ok(())
}
