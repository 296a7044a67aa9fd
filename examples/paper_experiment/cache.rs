//! Per-network results saved under `target/paper-experiment/<network>.json`, so a long run can be
//! done in parts: with `--reuse`, a network whose saved settings equal this run's is loaded
//! instead of recomputed (the report names the commit and date each network was computed at, and
//! its images; the image count may differ from this run's).

use serde_json::{Value, json};
use std::path::{Path, PathBuf};

use crate::AnyResult;
use crate::inputs::NETS;
use crate::run::{NoiseKind, Record, Search};

/// The results of one network.
pub struct Saved {
    /// The settings the records were computed with (compared for reuse).
    pub settings: Value,
    /// `git describe` of the code that computed them, and when.
    pub provenance: String,
    /// The "Networks and images" line of the report.
    pub note: String,
    pub records: Vec<Record>,
}

pub fn path(root: &Path, net: &str) -> PathBuf {
    root.join("target/paper-experiment")
        .join(format!("{net}.json"))
}

/// `git describe --always --dirty` of the repository, and the UTC date.
pub fn provenance(root: &Path) -> String {
    let run = |args: &[&str]| {
        std::process::Command::new(args[0])
            .args(&args[1..])
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|| "unknown".into())
    };
    format!(
        "commit {}, {}",
        run(&["git", "describe", "--always", "--dirty"]),
        run(&["date", "-u", "+%Y-%m-%d %H:%M UTC"])
    )
}

fn search_json(s: &Search) -> Value {
    json!({"radius": s.radius, "calls": s.calls, "seconds": s.seconds, "sides": s.sides})
}

fn search_from(v: &Value) -> AnyResult<Search> {
    Ok(Search {
        radius: v["radius"].as_f64().ok_or("cache: radius")?,
        calls: v["calls"].as_u64().ok_or("cache: calls")? as usize,
        seconds: v["seconds"].as_f64().ok_or("cache: seconds")?,
        sides: v["sides"].as_u64().map(|n| n as usize),
    })
}

pub fn save(root: &Path, net: &str, saved: &Saved) -> AnyResult<()> {
    let records: Vec<Value> = saved
        .records
        .iter()
        .map(|r| {
            json!({
                "method": r.method,
                "noise": r.noise.key(),
                "confidence": r.confidence,
                "image": r.image,
                "worst_case": search_json(&r.worst_case),
                "plain": search_json(&r.plain),
                "prob": r.prob.as_ref().map(search_json),
                "frozen": if r.frozen.is_finite() { json!(r.frozen) } else { Value::Null },
            })
        })
        .collect();
    let v = json!({
        "settings": saved.settings,
        "provenance": saved.provenance,
        "note": saved.note,
        "records": records,
    });
    let p = path(root, net);
    std::fs::create_dir_all(p.parent().ok_or("cache path")?)?;
    std::fs::write(&p, serde_json::to_string_pretty(&v)?)?;
    Ok(())
}

/// The saved results of `net` if they exist and were computed with `settings`.
pub fn load(root: &Path, net: &str, settings: &Value) -> AnyResult<Option<Saved>> {
    let p = path(root, net);
    let Ok(text) = std::fs::read_to_string(&p) else {
        return Ok(None);
    };
    let v: Value = serde_json::from_str(&text)?;
    // The image count may differ (the report lists the images each network was run on).
    let strip = |s: &Value| {
        let mut s = s.clone();
        if let Some(o) = s.as_object_mut() {
            o.remove("images");
        }
        s
    };
    if strip(&v["settings"]) != strip(settings) {
        return Ok(None);
    }
    let spec = NETS
        .iter()
        .find(|s| s.name == net)
        .ok_or("cache: unknown network")?;
    let method_name = |m: &str| -> AnyResult<&'static str> {
        Ok(match m {
            "Fast-Lin" => "Fast-Lin",
            "CROWN" => "CROWN",
            other => return Err(format!("cache: unknown method {other}").into()),
        })
    };
    let mut records = Vec::new();
    for r in v["records"].as_array().ok_or("cache: records")? {
        records.push(Record {
            net: spec.name,
            training: spec.training,
            method: method_name(r["method"].as_str().ok_or("cache: method")?)?,
            noise: NoiseKind::parse(r["noise"].as_str().ok_or("cache: noise")?)?,
            confidence: r["confidence"].as_f64().ok_or("cache: confidence")?,
            image: r["image"].as_str().ok_or("cache: image")?.to_string(),
            worst_case: search_from(&r["worst_case"])?,
            plain: search_from(&r["plain"])?,
            prob: if r["prob"].is_null() {
                None
            } else {
                Some(search_from(&r["prob"])?)
            },
            frozen: r["frozen"].as_f64().unwrap_or(f64::NAN),
        });
    }
    Ok(Some(Saved {
        settings: v["settings"].clone(),
        provenance: v["provenance"].as_str().unwrap_or("unknown").to_string(),
        note: v["note"].as_str().unwrap_or_default().to_string(),
        records,
    }))
}
