//! Times CROWN margin bounds on the cases of a JSON file: the Rust half of
//! `scripts/compare_auto_lirpa.py`, which writes that file, runs this example once per case and
//! runs auto_LiRPA on the same networks and inputs in the same run.
//!
//! ```sh
//! cargo run --release --example timing_cases -- CASES.json [--case NAME] [--repeat N]
//!     [--method auto-lirpa|tight] [--single-only | --per-image | --throughput SECONDS]
//! ```
//!
//! `CASES.json` is a list of `{"name", "onnx", "eps", "clip": [lo, hi] | null, "images": [{"x":
//! [...], "label": n, "lower"?: [...], "upper"?: [...]}], "shape"?: [c, h, w], "radius": bool}`.
//! Images are flat, in the network's row-major NCHW order (as [`load_onnx`] reads them); `shape`
//! (used by the torch side) must match the ONNX input shape without the batch dimension. An
//! image with `lower`/`upper` is bounded on that box (a VNN-LIB property taken verbatim) instead
//! of `[x − eps, x + eps]` clipped to `clip`. For each case (or only `NAME`) it prints one JSON
//! object per line with, in seconds:
//!
//! - `single`: one [`compute_bounds`] call with the margin specification `e_label − e_j` on the
//!   box of the first image, the median and every one of `repeat` timed runs (after one untimed
//!   warm-up call), and the median CPU time of the
//!   calling thread (`cpu`; equal to the wall time on one thread when the core is not shared);
//!   with `--single-only` nothing else is run (for profilers); with `--per-image` only the
//!   median of `repeat` single calls for every image (`per_image`) is printed, the images
//!   taking turns (one call each per round);
//! - `batch_sequential` / `batch_parallel`: the same call for every image one after the other,
//!   and through [`compute_bounds_batch`] (rayon across images), medians of `repeat` runs;
//! - `probabilistic_step`: wall-time minima of [`Certifier::certify`] under uniform noise of
//!   half-width `eps` and of the [`compute_bounds`] call it makes (the unclipped ℓ∞ ball), and
//!   the relative overhead of the tail bounds and the union bound: from the minima, and as the
//!   median over the alternating pairs of `certify / bounds − 1`;
//!   `probabilistic_step_beyond_worst_case`: the same at twice the worst-case radius, where some
//!   margin rows need the noise's tails (with `radius` only);
//! - `throughput` (only, with `--throughput SECONDS`): the images' calls repeated until one
//!   sequential pass takes about `SECONDS`, timed `repeat` times alternately on the calling
//!   thread and through [`compute_bounds_batch`]; medians, minima and their ratios;
//! - `radius`: [`Certifier::worst_case_radius`] of the first image (ℓ∞ ball, not clipped; the
//!   default schedule), its time, number of bound calls and radius; `against_its_bound_calls`:
//!   the search timed against a replay of exactly its bound calls (`compute_bounds` on each ball
//!   it tried), alternating, `min(repeat, 20)` rounds (at least 3): minima, medians and the median
//!   of `search / replay − 1` over the pairs;
//! - `logits`: the forward pass at the first image's `x` (to check both tools run the same
//!   network);
//! - `margins`: the margin lower bounds of the first image (to check both tools agree), the
//!   fraction of unstable ReLU neurons, and `vm_hwm_kib` (the process's peak resident memory,
//!   `/proc/self/status` VmHWM, so run one case per process to get one case's peak).
//!
//! Threads: rayon's pool (`RAYON_NUM_THREADS`) runs the batch, and nalgebra's GEMM
//! (matrixmultiply with `threading`) uses `MATMUL_NUM_THREADS` threads (default: the cores).

use nalgebra::DVector;
use proven::certify::{Certifier, RadiusSearch, SearchSchedule, search_radius};
use proven::engine::{BatchJob, compute_bounds_batch};
use proven::io::onnx::load_onnx;
use proven::noise::Uniform;
use proven::{InputDomain, Method, Network, Norm, Sequential, Specification, compute_bounds};
use serde_json::{Value, json};
use std::time::Instant;

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

struct Case {
    name: String,
    net: Sequential<f64>,
    eps: f64,
    clip: Option<(f64, f64)>,
    images: Vec<(DVector<f64>, usize)>,
    /// Per-image boxes `(lower, upper)` when every image carries one.
    boxes: Option<Vec<(DVector<f64>, DVector<f64>)>>,
    radius: bool,
}

/// The numbers of a JSON array field, `what` naming it in the error.
fn numbers(v: &Value, what: &str) -> AnyResult<Vec<f64>> {
    Ok(v.as_array()
        .ok_or_else(|| format!("{what} is not a list"))?
        .iter()
        .map(|t| t.as_f64().ok_or_else(|| format!("non-number in {what}")))
        .collect::<Result<_, _>>()?)
}

fn parse_case(v: &Value) -> AnyResult<Case> {
    let name = v["name"].as_str().ok_or("case without `name`")?.to_string();
    let onnx = v["onnx"].as_str().ok_or("case without `onnx`")?;
    let model = load_onnx::<f64>(onnx)?;
    let net = model.network;
    let dim = net.input_dim();
    if let Some(shape) = v["shape"].as_array() {
        let shape: Vec<u64> = shape
            .iter()
            .map(|d| d.as_u64().ok_or("non-integer in `shape`"))
            .collect::<Result<_, _>>()?;
        let declared: Vec<u64> = model
            .input_shape
            .iter()
            .skip(1)
            .map(|&d| d as u64)
            .collect();
        if shape.iter().product::<u64>() != dim as u64 || shape != declared {
            return Err(format!(
                "{name}: shape {shape:?} does not match the ONNX input {:?} ({dim} values)",
                model.input_shape
            )
            .into());
        }
    }
    let eps = v["eps"].as_f64().ok_or("case without `eps`")?;
    let clip = match v["clip"].as_array() {
        Some(c) if c.len() == 2 => Some((
            c[0].as_f64().ok_or("bad clip")?,
            c[1].as_f64().ok_or("bad clip")?,
        )),
        _ => None,
    };
    let mut images = Vec::new();
    let mut boxes = Vec::new();
    for (i, im) in v["images"]
        .as_array()
        .ok_or("case without `images`")?
        .iter()
        .enumerate()
    {
        let x = numbers(&im["x"], &format!("{name}: image {i} `x`"))?;
        if x.len() != dim {
            return Err(format!(
                "{name}: image {i} has {} values, the network {dim}",
                x.len()
            )
            .into());
        }
        let label = im["label"].as_u64().ok_or("image without `label`")? as usize;
        images.push((DVector::from_vec(x), label));
        if !im["lower"].is_null() || !im["upper"].is_null() {
            let lower = numbers(&im["lower"], &format!("{name}: image {i} `lower`"))?;
            let upper = numbers(&im["upper"], &format!("{name}: image {i} `upper`"))?;
            if lower.len() != dim || upper.len() != dim {
                return Err(format!("{name}: image {i}: box of the wrong length").into());
            }
            boxes.push((DVector::from_vec(lower), DVector::from_vec(upper)));
        }
    }
    let boxes = match boxes.len() {
        0 => None,
        n if n == images.len() => Some(boxes),
        _ => return Err(format!("{name}: only some images carry `lower`/`upper`").into()),
    };
    Ok(Case {
        name,
        net,
        eps,
        clip,
        images,
        boxes,
        radius: v["radius"].as_bool().unwrap_or(true),
    })
}

/// The box of image `i`: its own `lower`/`upper`, else `[x − eps, x + eps]` clipped.
fn domain(case: &Case, i: usize) -> AnyResult<InputDomain<f64>> {
    if let Some(boxes) = &case.boxes {
        let (l, u) = &boxes[i];
        return Ok(InputDomain::boxed(l.clone(), u.clone())?);
    }
    let x = &case.images[i].0;
    let (lo, hi) = case.clip.unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
    let l = x.map(|v| (v - case.eps).max(lo));
    let u = x.map(|v| (v + case.eps).min(hi));
    Ok(InputDomain::boxed(l, u)?)
}

/// `repeat` alternating timings of `jobs` one after the other on the calling thread and through
/// [`compute_bounds_batch`] (rayon), each result kept until the timing ends.
fn sequential_and_parallel(
    case: &Case,
    jobs: &[BatchJob<f64>],
    method: &Method,
    repeat: usize,
) -> AnyResult<(Vec<f64>, Vec<f64>)> {
    let (mut seq, mut par) = (Vec::with_capacity(repeat), Vec::with_capacity(repeat));
    for _ in 0..repeat {
        let (t, r) = time(|| {
            jobs.iter()
                .map(|j| compute_bounds(&case.net, &j.domain, j.spec.as_ref(), method))
                .collect::<Vec<_>>()
        });
        for b in r {
            b?;
        }
        seq.push(t);
        let (t, r) = time(|| compute_bounds_batch(&case.net, jobs, method));
        for b in r {
            b?;
        }
        par.push(t);
    }
    Ok((seq, par))
}

/// Sustained throughput: the images' jobs repeated until one sequential pass takes about
/// `seconds`, then `repeat` alternating timings of that batch on the calling thread and through
/// [`compute_bounds_batch`]. Short batches (a few ms) do not measure throughput on this VM:
/// after a sequential phase the idle second vCPU takes milliseconds to wake up.
fn sustained_throughput(
    case: &Case,
    jobs: &[BatchJob<f64>],
    method: &Method,
    repeat: usize,
    seconds: f64,
    call_seconds: f64,
) -> AnyResult<Value> {
    let passes = (seconds / (call_seconds * jobs.len() as f64))
        .ceil()
        .max(1.0) as usize;
    let batch: Vec<BatchJob<f64>> = (0..passes).flat_map(|_| jobs.iter().cloned()).collect();
    let (seq, par) = sequential_and_parallel(case, &batch, method, repeat)?;
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let (seq_min, par_min) = (min(&seq), min(&par));
    let (seq_median, par_median) = (median(seq), median(par));
    Ok(json!({
        "name": case.name,
        "throughput": {
            "calls": batch.len(),
            "sequential_median": seq_median,
            "parallel_median": par_median,
            "sequential_min": seq_min,
            "parallel_min": par_min,
            "speedup_median": seq_median / par_median,
            "speedup_min": seq_min / par_min,
        },
        "rayon_threads": rayon::current_num_threads(),
    }))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn time<R>(f: impl FnOnce() -> R) -> (f64, R) {
    let t = Instant::now();
    let r = f();
    (t.elapsed().as_secs_f64(), r)
}

/// CPU time of the calling thread in seconds (`/proc/thread-self/schedstat`, first field, ns):
/// with one thread, unlike wall time, it does not grow when other processes share the cores.
fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns * 1e-9)
}

/// The probabilistic step at noise level `eps` on the first image: `Certifier::certify` under
/// uniform noise on the ℓ∞ ball of radius `eps` makes the same bound call as `compute_bounds` on
/// that ball, then the tail bounds and the top-1 union bound. Wall-clock minima over alternating
/// runs (at least 20; the step is a few percent of a call of a millisecond or less, below the CPU
/// clock's tick and the machine's scatter), and the median over the pairs of `certify / bounds −
/// 1`. Also counts the margin rows whose lower line is not above 0 on the whole ball (the rows
/// that need a tail).
fn probabilistic_step(
    case: &Case,
    certifier: &Certifier<'_, f64, Sequential<f64>>,
    spec: &nalgebra::DMatrix<f64>,
    eps: f64,
    repeat: usize,
    method: &Method,
) -> AnyResult<Value> {
    let (x0, label) = &case.images[0];
    let ball = InputDomain::ball(x0.clone(), eps, Norm::LInf)?;
    let noise = Uniform::new(x0.len(), eps)?;
    let (mut plain, mut certify) = (f64::INFINITY, f64::INFINITY);
    let mut paired = Vec::with_capacity(repeat.max(20));
    let mut rows_not_above_zero = 0;
    for _ in 0..repeat.max(20) {
        let (t_plain, r) = time(|| compute_bounds(&case.net, &ball, Some(spec), method));
        rows_not_above_zero = r?.lower_bounds().iter().filter(|v| **v <= 0.0).count();
        plain = plain.min(t_plain);
        let (t, r) = time(|| certifier.certify(x0, *label, &noise));
        r?;
        certify = certify.min(t);
        paired.push(t / t_plain - 1.0);
    }
    Ok(
        json!({"eps": eps, "rows_not_above_zero": rows_not_above_zero, "bounds_min": plain,
        "certify_min": certify, "overhead": certify / plain - 1.0,
        "overhead_paired_median": median(paired)}),
    )
}

/// What a worst-case radius search costs beyond its bound calls: the radii it tries are recorded
/// once (through [`search_radius`] with the default schedule and the same test; it must agree
/// with `searched`, the certifier's search), then `rounds` alternating timings of
/// [`Certifier::worst_case_radius`] and of a replay of exactly those bound calls
/// ([`compute_bounds`] with the margin specification on each ball, nothing else).
/// `overhead_paired_median` is the median over the pairs of `search / replay − 1`.
fn radius_cost(
    case: &Case,
    certifier: &Certifier<'_, f64, Sequential<f64>>,
    searched: &RadiusSearch,
    spec: &nalgebra::DMatrix<f64>,
    rounds: usize,
    method: &Method,
) -> AnyResult<Value> {
    let (x0, label) = &case.images[0];
    let bounds_at = |eps: f64| -> proven::Result<bool> {
        let ball = InputDomain::ball(x0.clone(), eps, Norm::LInf)?;
        let b = compute_bounds(&case.net, &ball, Some(spec), method)?;
        Ok(b.lower_bounds().iter().all(|v| *v > 0.0))
    };
    let mut radii = Vec::new();
    let recorded = search_radius(SearchSchedule::default(), |eps| {
        radii.push(eps);
        bounds_at(eps)
    })?;
    if (recorded.evaluations, recorded.certified) != (searched.evaluations, searched.certified) {
        return Err(format!(
            "the recorded search ({} calls, radius {}) differs from the certifier's ({} calls, radius {})",
            recorded.evaluations, recorded.certified, searched.evaluations, searched.certified
        )
        .into());
    }
    let (mut searches, mut replays, mut paired) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds.max(3) {
        let (t_search, r) = time(|| certifier.worst_case_radius(x0, *label));
        r?;
        let (t_replay, r) = time(|| radii.iter().try_for_each(|&eps| bounds_at(eps).map(drop)));
        r?;
        searches.push(t_search);
        replays.push(t_replay);
        paired.push(t_search / t_replay - 1.0);
    }
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    Ok(json!({
        "search_min": min(&searches),
        "replay_min": min(&replays),
        "search_median": median(searches),
        "replay_median": median(replays),
        "overhead_paired_median": median(paired),
    }))
}

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Floating-point operations of the back-substitution products of one margin call (`2·m·k·n`
/// per product), replaying the engine's choices from the final intermediate bounds: the rows
/// refined per layer (unstable under the IBP reference, or all when more than 90 % are, as
/// auto_LiRPA's rule; the lower side only for rows not proved inactive), the columns left out
/// after inactive ReLUs, one product while both sides are equal and one per side after.
/// Concretisation and relaxations are not counted.
fn gemm_flops(
    net: &Sequential<f64>,
    bounds: &[Option<proven::Interval<f64>>],
    spec_rows: usize,
) -> f64 {
    let layers = net.layers();
    let active = |j: usize| -> usize {
        // Columns of Λ that stay non-zero after the activation at layer j.
        match (&bounds[j], layers[j].is_linear()) {
            (Some(b), false) => b.upper().iter().filter(|u| **u > 0.0).count(),
            _ => layers[j].input_dim(),
        }
    };
    let backsub = |upto: usize, rows: usize, start_is_matrix: bool| -> f64 {
        let top = upto - 1;
        let mut sides = 1.0;
        let mut flops = if start_is_matrix {
            2.0 * (rows * layers[top].output_dim() * layers[top].input_dim()) as f64
        } else {
            0.0
        };
        for j in (0..top).rev() {
            if layers[j].is_linear() {
                let kept = if j + 1 < layers.len() {
                    active(j + 1)
                } else {
                    layers[j].output_dim()
                };
                flops += 2.0 * sides * (rows * kept * layers[j].input_dim()) as f64;
            } else {
                sides = 2.0;
            }
        }
        flops
    };
    let mut total = 0.0;
    for k in 1..layers.len() {
        // Behind an affine prefix the rows are read off the weights: no product.
        if layers[k].is_linear() || layers[..k].iter().all(|l| l.is_linear()) {
            continue;
        }
        let reference = layers[k - 1].interval(bounds[k - 1].as_ref().expect("bounds"));
        let n = layers[k].input_dim();
        let all: Vec<usize> = (0..n).collect();
        let unstable = layers[k].unstable_inputs(&reference).unwrap_or(all.clone());
        let rows = if unstable.len() as f64 > 0.9 * n as f64 {
            all
        } else {
            unstable
        };
        // Upper side for every row, lower side only for the rows not proved inactive
        // (`engine::upper_first`); each side is its own chain of products.
        let upper = bounds[k].as_ref().expect("bounds").upper();
        let lower_rows = rows.iter().filter(|&&j| upper[j] > 0.0).count();
        total += (backsub(k, rows.len(), false) + backsub(k, lower_rows, false)) / 2.0;
    }
    total + backsub(layers.len(), spec_rows, true)
}

fn run_case(
    case: &Case,
    repeat: usize,
    method: &Method,
    only_single: bool,
    per_image: bool,
    throughput: Option<f64>,
) -> AnyResult<Value> {
    let classes = case.net.output_dim();
    let jobs: Vec<BatchJob<f64>> = case
        .images
        .iter()
        .enumerate()
        .map(|(i, (_, label))| {
            Ok(BatchJob {
                domain: domain(case, i)?,
                spec: Some(Specification::margins::<f64>(classes, *label)?),
            })
        })
        .collect::<AnyResult<_>>()?;
    let first = &jobs[0];
    let spec0 = Specification::margins::<f64>(classes, case.images[0].1)?;
    let one = || compute_bounds(&case.net, &first.domain, first.spec.as_ref(), method);
    let warm = one()?;
    let mut single = Vec::with_capacity(repeat);
    let mut cpu = Vec::with_capacity(repeat);
    for _ in 0..repeat {
        let c = thread_cpu_seconds();
        let (t, r) = time(one);
        cpu.push(thread_cpu_seconds() - c);
        r?;
        single.push(t);
    }
    if let Some(seconds) = throughput {
        return sustained_throughput(case, &jobs, method, repeat, seconds, median(single.clone()));
    }
    if per_image {
        // One median per image: the per-image costs of CNN properties differ by up to 10x, so
        // one image alone does not describe a case. The images take turns (one call each per round, after a warm-up call each), so no
        // call starts with what the same image's previous call left behind (the per-thread
        // cache of gathered weight rows, warm caches) and a slow phase of the machine is
        // spread over all images.
        let mut runs = vec![Vec::with_capacity(repeat); jobs.len()];
        for job in &jobs {
            compute_bounds(&case.net, &job.domain, job.spec.as_ref(), method)?;
        }
        for _ in 0..repeat {
            for (job, times) in jobs.iter().zip(&mut runs) {
                let (t, r) =
                    time(|| compute_bounds(&case.net, &job.domain, job.spec.as_ref(), method));
                r?;
                times.push(t);
            }
        }
        let medians: Vec<f64> = runs.into_iter().map(median).collect();
        return Ok(json!({"name": case.name, "per_image": medians}));
    }
    if only_single {
        return Ok(
            json!({"name": case.name, "single": {"median": median(single.clone()), "all": single, "cpu": median(cpu)}}),
        );
    }
    let (mut unstable, mut neurons) = (0usize, 0usize);
    for (layer, b) in case.net.layers().iter().zip(warm.intermediate_bounds()) {
        if let (false, Some(b)) = (layer.is_linear(), b) {
            neurons += layer.input_dim();
            unstable += layer.unstable_inputs(b).map_or(0, |u| u.len());
        }
    }
    let (seq, par) = sequential_and_parallel(case, &jobs, method, repeat)?;
    let (x0, label) = &case.images[0];
    let certifier = Certifier::new(&case.net).method(*method);
    let step = probabilistic_step(case, &certifier, &spec0, case.eps, repeat, method)?;
    let (radius, step_beyond) = if case.radius {
        let (t, r) = time(|| certifier.worst_case_radius(x0, *label));
        let r = r?;
        // Twice the worst-case radius: some lower lines now dip below 0 on the ball, so their
        // rows need the noise's tails (at eps every row of a robust image is above 0 on the
        // whole ball, where bounded noise has probability 0 without a tail).
        let beyond =
            probabilistic_step(case, &certifier, &spec0, 2.0 * r.certified, repeat, method)?;
        let cost = radius_cost(case, &certifier, &r, &spec0, repeat.min(20), method)?;
        (
            json!({"seconds": t, "calls": r.evaluations, "certified": r.certified,
                "against_its_bound_calls": cost}),
            beyond,
        )
    } else {
        (Value::Null, Value::Null)
    };
    Ok(json!({
        "name": case.name,
        "images": case.images.len(),
        "single": {"median": median(single.clone()), "all": single, "cpu": median(cpu)},
        "batch_sequential_min": seq.iter().copied().fold(f64::INFINITY, f64::min),
        "batch_parallel_min": par.iter().copied().fold(f64::INFINITY, f64::min),
        "batch_sequential": median(seq),
        "batch_parallel": median(par),
        "radius": radius,
        "probabilistic_step": step,
        "probabilistic_step_beyond_worst_case": step_beyond,
        "logits": case.net.forward(x0)?.iter().copied().collect::<Vec<f64>>(),
        "margins": warm.lower_bounds().iter().copied().collect::<Vec<f64>>(),
        "unstable_fraction": unstable as f64 / neurons.max(1) as f64,
        "gemm_flops": gemm_flops(&case.net, warm.intermediate_bounds(), classes - 1),
        "rayon_threads": rayon::current_num_threads(),
        "vm_hwm_kib": vm_hwm_kib(),
    }))
}

fn main() -> AnyResult<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().ok_or(
        "usage: timing_cases CASES.json [--case NAME] [--repeat N] [--method auto-lirpa|tight]",
    )?;
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let only = flag("--case");
    let repeat: usize = flag("--repeat").map_or(Ok(5), |r| r.parse())?;
    let method = match flag("--method").as_deref() {
        None | Some("auto-lirpa") => Method::crown().auto_lirpa_compatible(),
        Some("tight") => Method::crown(),
        Some(other) => return Err(format!("unknown --method {other}").into()),
    };
    let only_single = args.iter().any(|a| a == "--single-only");
    let per_image = args.iter().any(|a| a == "--per-image");
    let throughput = match args.iter().position(|a| a == "--throughput") {
        Some(i) => Some(
            args.get(i + 1)
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| *v > 0.0)
                .ok_or("--throughput needs a positive number of seconds")?,
        ),
        None => None,
    };
    let cases: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let list = cases.as_array().ok_or("CASES.json is not a list")?;
    if let Some(name) = &only
        && !list.iter().any(|v| v["name"].as_str() == Some(name))
    {
        return Err(format!("{path}: no case named {name:?}").into());
    }
    for v in list {
        if only
            .as_deref()
            .is_some_and(|n| v["name"].as_str() != Some(n))
        {
            continue;
        }
        let case = parse_case(v)?;
        println!(
            "{}",
            run_case(
                &case,
                repeat.max(1),
                &method,
                only_single,
                per_image,
                throughput
            )?
        );
    }
    Ok(())
}
