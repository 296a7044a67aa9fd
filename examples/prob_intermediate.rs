//! Probabilistic intermediate bounds on the mnistfc MLPs: certified radius under uniform noise
//! at 99.99 % compared with the worst-case radius and with plain PROVEN (final margins only).
//!
//! Run: `cargo run --release --example prob_intermediate [-- --noise uniform|gaussian]
//! [--truncation 0.1] [--tail subgaussian|hoeffding|chernoff]
//! [--split 0.9] [--method dense|tight] [--slopes adaptive|best] [--images N] [--cnn | --cifar]`
//!
//! `--cnn` runs verivital `Convnet_avgpool` on the 5 images of
//! `../shared/reference/verivital__Convnet_avgpool.json` instead of the mnistfc MLPs; `--cifar`
//! runs the robustly trained oval21 `cifar_base_kw` on the 3 images of
//! `../shared/reference/oval21__cifar_base_kw.json`.
//!
//! `--slopes best` certifies a scale when any of the four ReLU lower-slope rules (CROWN-adaptive,
//! zero, one, Fast-Lin's `u/(u−l)`) certifies it, trying them in that order: each is a
//! deterministic certificate of the same event, so the best of them is one too.
//! Reads `../shared/models/mnistfc` and `../shared/reference/prob_intermediate__*.json`.

use nalgebra::DVector;
use proven::activation::ReluLowerSlope;
use proven::certify::{Certifier, IntermediateMode, NoiseFamily, SearchSchedule, search_radius};
use proven::io::onnx::load_onnx;
use proven::noise::TailBound;
use proven::{Method, Network};
use std::path::Path;
use std::time::Instant;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Images as (x, label).
type Images = Vec<(Vec<f64>, usize)>;

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn main() -> proven::Result<()> {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if !shared.join("models/mnistfc").exists() {
        println!("../shared/models/mnistfc not found: nothing to do");
        return Ok(());
    }
    let gaussian = arg("--noise").as_deref() == Some("gaussian");
    let family = if gaussian {
        NoiseFamily::Gaussian {
            truncation_share: arg("--truncation")
                .and_then(|s| s.parse().ok())
                .unwrap_or(0.1),
        }
    } else {
        NoiseFamily::Uniform
    };
    let tail = match arg("--tail").as_deref() {
        Some("hoeffding") => TailBound::Hoeffding,
        Some("chernoff") => TailBound::Chernoff,
        _ if gaussian => TailBound::Exact,
        _ => TailBound::SubGaussian,
    };
    let split: f64 = arg("--split").and_then(|s| s.parse().ok()).unwrap_or(0.9);
    let method = match arg("--method").as_deref() {
        Some("tight") => Method::crown(),
        _ => Method::crown().dense(),
    };
    let best_slopes = arg("--slopes").as_deref() == Some("best");
    let images: usize = arg("--images").and_then(|s| s.parse().ok()).unwrap_or(15);
    // (name, ONNX path, images as (x, label)).
    let read_images = |file: &str, list: &str, x_key: &str| -> Images {
        let text = std::fs::read_to_string(shared.join(file)).unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let array = if list.is_empty() { &json } else { &json[list] };
        array
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|img| {
                        let x = img[x_key].as_array().unwrap().iter();
                        let x = x.map(|v| v.as_f64().unwrap()).collect();
                        (x, img["label"].as_u64().unwrap() as usize)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let nets: Vec<(String, std::path::PathBuf, Images)> =
        if std::env::args().any(|a| a == "--cifar") {
            // The 3 images of the reference file (VNN-COMP 2021 oval21 properties).
            vec![(
                "cifar_base_kw".into(),
                shared.join("models/oval21/nets/cifar_base_kw.onnx"),
                read_images("reference/oval21__cifar_base_kw.json", "", "x0"),
            )]
        } else if std::env::args().any(|a| a == "--cnn") {
            // The 5 images of the reference file (VNN-COMP 2021 verivital properties).
            vec![(
                "Convnet_avgpool".into(),
                shared.join("models/verivital/Convnet_avgpool.onnx"),
                read_images("reference/verivital__Convnet_avgpool.json", "", "x0"),
            )]
        } else {
            ["mnist-net_256x2", "mnist-net_256x4"]
                .iter()
                .map(|n| {
                    (
                        n.to_string(),
                        shared.join(format!("models/mnistfc/{n}.onnx")),
                        read_images("models/mnistfc/images.json", "images", "x"),
                    )
                })
                .collect()
        };
    println!(
        "tail {tail:?}, split {split}, method {} ({}), slopes {}, noise {family:?}, delta 1e-4 (Gaussian: radii are σ)\n",
        method.name(),
        if method.intersect_with_ibp {
            "tight"
        } else {
            "dense"
        },
        if best_slopes { "best of 4" } else { "adaptive" }
    );
    println!(
        "| net | image | worst-case ε | plain PROVEN ε | prob. intermediate ε | ratio to worst case | reference ε | ours/ref | charged sides | s/image (prob.) | s/image (plain PROVEN) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (net_name, path, net_images) in &nets {
        let net = load_onnx::<f64>(path)?.network;
        let reference: Vec<serde_json::Value> = std::fs::read_to_string(
            shared.join(format!("reference/prob_intermediate__{net_name}.json")),
        )
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
        let c = Certifier::new(&net)
            .method(method)
            .tail(tail)?
            .delta(1e-4)?
            .intermediate(IntermediateMode::Probabilistic { split })?;
        let plain = Certifier::new(&net)
            .method(method)
            .tail(tail)?
            .delta(1e-4)?;
        let slopes = [
            ReluLowerSlope::Adaptive,
            ReluLowerSlope::Zero,
            ReluLowerSlope::One,
            ReluLowerSlope::SameAsUpper,
        ];
        let variants: Vec<_> = slopes
            .iter()
            .map(|&s| {
                Certifier::new(&net)
                    .method(method.with_relu_lower(s))
                    .tail(tail)
                    .and_then(|c| c.delta(1e-4))
                    .and_then(|c| c.intermediate(IntermediateMode::Probabilistic { split }))
            })
            .collect::<proven::Result<_>>()?;
        let (mut ratios, mut vs_ref, mut cost, mut times) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, (x, label)) in net_images.iter().take(images).enumerate() {
            let x = DVector::from_vec(x.clone());
            let label = *label;
            assert_eq!(net.forward(&x)?.argmax().0, label);
            let start = Instant::now();
            let mut r = c.radius(&x, label, &family)?;
            if best_slopes {
                // Replace the probabilistic search: certified when any slope rule certifies.
                let mut calls = 0;
                let search = search_radius(SearchSchedule::default(), |s| {
                    let noise = family.at(x.len(), s, 1e-4)?;
                    for v in &variants {
                        calls += 1;
                        if v.certify(&x, label, noise.as_ref())?.is_certified() {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                })?;
                r.bound_calls = r.bound_calls - r.probabilistic.evaluations + calls;
                r.probabilistic = search;
                r.ratio = search.certified / r.worst_case.certified;
            }
            let secs = start.elapsed().as_secs_f64();
            times.push(secs);
            let start = Instant::now();
            let p = plain.radius(&x, label, &family)?;
            let plain_secs = start.elapsed().as_secs_f64();
            cost.push(secs / plain_secs);
            let eps = r.probabilistic.certified;
            let certifier = if best_slopes {
                let noise = family.at(x.len(), eps, 1e-4)?;
                variants
                    .iter()
                    .find(|v| {
                        v.certify(&x, label, noise.as_ref())
                            .is_ok_and(|c| c.is_certified())
                    })
                    .unwrap_or(&c)
            } else {
                &c
            };
            let cert = certifier.certify(&x, label, family.at(x.len(), eps, 1e-4)?.as_ref())?;
            let sides = cert.intermediate.map_or(0, |a| a.sides);
            let refe = reference
                .get(i)
                .and_then(|c| c["prob_intermediate_subgaussian_eps"].as_f64())
                .unwrap_or(f64::NAN);
            ratios.push(r.ratio);
            vs_ref.push(eps / refe);
            println!(
                "| {net_name} | {i} | {:.5} | {:.5} | {eps:.5} | {:.3} | {refe:.5} | {:.3} | {sides} | {secs:.2} ({} calls) | {plain_secs:.2} ({} calls) |",
                r.worst_case.certified,
                p.probabilistic.certified,
                r.ratio,
                eps / refe,
                r.bound_calls,
                p.bound_calls
            );
        }
        println!(
            "| **{net_name} median** | | | | | **{:.3}** | | **{:.3}** | | {:.2} s, cost ×{:.2} | |",
            median(&mut ratios),
            median(&mut vs_ref),
            median(&mut times),
            median(&mut cost)
        );
        println!("(load: {})", load());
    }
    Ok(())
}
