//! The README's emulator examples run as written: the block after `<!-- readme-emulator-examples -->`
//! is run by bash from the repository's root (its `cargo build` line aside: the binaries are the ones
//! under test), with a cleared environment and a temporary HOME, and every line must succeed.

// Test code may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const MARKER: &str = "<!-- readme-emulator-examples -->";

/// The `sh` block after the marker, line by line.
fn example_block(readme: &str) -> Vec<String> {
    let after =
        &readme[readme.find(MARKER).expect("the README marks its emulator examples") + MARKER.len()..];
    let body = after.trim_start().strip_prefix("```sh\n").expect("an sh block follows the marker");
    let end = body.find("\n```").expect("the block ends");
    body[..end].lines().map(str::to_owned).collect()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The directory of the binaries under test, with the emulator's built if `cargo test` did not.
fn binaries() -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_modelarts")).parent().unwrap().to_owned();
    if !dir.join("modelarts-emulator").exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "-p", "modelarts-emulator", "--bin", "modelarts-emulator"])
            .current_dir(root())
            .status()
            .unwrap();
        assert!(status.success(), "building the emulator failed");
    }
    dir
}

#[test]
fn the_readme_emulator_examples_run_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = example_block(&readme);
    assert!(lines.len() >= 5, "the example block was not found whole: {lines:?}");
    assert!(lines[0].starts_with("cargo build"), "the block starts by building: {lines:?}");
    let bin = binaries();
    let mut script = String::from(
        "set -euo pipefail\ntrap 'kill \"${MODELARTS_EMULATOR_PID:-}\" 2>/dev/null || true' EXIT\n",
    );
    for line in &lines[1..] {
        assert!(line.contains("target/debug/") || line.starts_with("kill "), "an unexpected line: {line}");
        script.push_str(&line.replace("target/debug/", &format!("{}/", bin.display())));
        script.push('\n');
    }
    let home = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(root())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the README's examples failed ({}):\n{stdout}\n{stderr}", out.status);
    for seen in ["llama-finetune", "resnet50-imagenet", "Terminated", "KILLED"] {
        assert!(stdout.contains(seen) || stderr.contains(seen), "{seen} not shown:\n{stdout}\n{stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}
