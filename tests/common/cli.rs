//! Running the `proven` binary from integration tests.

use std::process::Command;

/// Runs `proven` with `args`: (exit success, stdout, stderr).
pub fn proven(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_proven"))
        .args(args)
        .output()
        .expect("run proven");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Parses the command's JSON output, naming it when it is not JSON.
pub fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}
