//! Helpers for tests that run the real peers (Python with temporalio, cramjam, cryptography).
//! The peers' scripts, the venv and the shared vectors are the repository's (its root is this
//! crate's parent), as every language's tests use them.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The project's test venv python: `TPC_PYTHON`, else `.venv/bin/python`. A missing venv fails
/// the test (no silent skip): `scripts/setup.sh` creates it.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("TPC_PYTHON") {
        return p.into();
    }
    let venv = repo().join(".venv/bin/python");
    assert!(
        venv.exists(),
        "{} is missing: run scripts/setup.sh (it installs temporalio, cramjam and cryptography)",
        venv.display()
    );
    venv
}

/// Runs `script args` with the venv python, feeding `stdin`, and parses its JSON output.
pub fn run_json(script: &str, args: &[&str], stdin: &str) -> serde_json::Value {
    let path = repo().join(script);
    let mut child = Command::new(python())
        .arg(&path)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{script} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from the peer script")
}

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn unb64(text: &serde_json::Value) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text.as_str().unwrap())
        .unwrap()
}
