//! Helpers shared by the `io_*` integration tests: shared model files and ONNX builders.

#![allow(dead_code)]

pub mod onnx_builder;

use std::path::PathBuf;

/// `../shared/models` relative to the crate root.
pub fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/models")
}

/// `../shared/reference` relative to the crate root.
pub fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference")
}

/// Returns the directory if it exists. Otherwise panics when `CI=true`, else prints a skip message
/// and returns `None`.
pub fn require(dir: PathBuf, test: &str) -> Option<PathBuf> {
    if dir.exists() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test}: required test data {} is missing", dir.display());
    }
    eprintln!("{test}: skipped, {} not found", dir.display());
    None
}

/// All files under `dir` (recursively) with the given extension, sorted.
pub fn files_with_ext(dir: &std::path::Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().and_then(|x| x.to_str()) == Some(ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
