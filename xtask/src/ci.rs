//! `cargo xtask ci`: the checks that keep main green.

use std::process::Command;

use crate::process::{cargo, exec, output};

/// Crates that do I/O (the tidy tests keep them out of the protocol's tree for the host; this
/// list keeps them out of its tree for wasm32).
const IO_CRATES: &[&str] = &["tokio", "hyper", "hyper-util", "rustls", "mio", "socket2", "reqwest"];

/// Crates that keep a crate from building for `wasm32-unknown-unknown` (native code, an OS random
/// source) and must not be in the protocol's tree for that target.
const NOT_WASM_CRATES: &[&str] = &["ring", "getrandom", "aws-lc-rs", "aws-lc-sys", "cc"];

/// The target the protocol must build for: no OS, no I/O.
const WASM_TARGET: &str = "wasm32-unknown-unknown";

pub(crate) fn run(no_test: bool) -> Result<(), String> {
    exec(cargo().args(["fmt", "--all", "--", "--check"]))?;
    exec(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    // The SDK without its built-in transport (a sender of the user's), with and without the
    // blocking client: both build and lint clean.
    for features in ["", "blocking"] {
        exec(cargo().args([
            "clippy",
            "-p",
            "modelarts-sdk",
            "--no-default-features",
            "--features",
            features,
            "--",
            "-D",
            "warnings",
        ]))?;
    }
    // Its examples hold without the built-in transport too.
    exec(cargo().args(["test", "-p", "modelarts-sdk", "--no-default-features", "--doc"]))?;
    if no_test {
        // The architecture's invariants (dependency rules, sans-IO sources, API boundaries) are
        // the `tidy` tests; `cargo test --workspace` runs them otherwise.
        exec(cargo().args(["test", "-p", "xtask", "--test", "tidy"]))?;
    } else {
        exec(cargo().args(["test", "--workspace"]))?;
    }
    exec(cargo().args(["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings"))?;
    wasm_build()?;
    crate::codegen::run(true)?;
    package_check()?;
    eprintln!("xtask ci: all checks passed");
    Ok(())
}

/// The protocol builds anywhere: its tree for wasm32 holds no native or OS-bound crate, and
/// `cargo build --target wasm32-unknown-unknown` passes (the target is installed with rustup when
/// missing; a failure to install it fails the check).
pub(crate) fn wasm_build() -> Result<(), String> {
    let tree = output(cargo().args([
        "tree",
        "-p",
        "modelarts-protocol",
        "-e",
        "normal",
        "--target",
        WASM_TARGET,
        "--prefix",
        "none",
    ]))?;
    let offenders: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| NOT_WASM_CRATES.contains(name) || IO_CRATES.contains(name))
        .collect();
    if !offenders.is_empty() {
        return Err(format!(
            "modelarts-protocol cannot build for {WASM_TARGET}: it depends on {offenders:?}"
        ));
    }
    if !target_installed(WASM_TARGET) {
        // Installed, never skipped: the build is the check.
        eprintln!("wasm: installing the {WASM_TARGET} standard library (rustup target add {WASM_TARGET})");
        exec(Command::new("rustup").args(["target", "add", WASM_TARGET])).map_err(|e| {
            format!("the {WASM_TARGET} target could not be installed, so the wasm build cannot run: {e}")
        })?;
        if !target_installed(WASM_TARGET) {
            return Err(format!("rustup added {WASM_TARGET}, but its standard library is still missing"));
        }
    }
    exec(cargo().args(["build", "-p", "modelarts-protocol", "--target", WASM_TARGET]))?;
    eprintln!("wasm: modelarts-protocol builds for {WASM_TARGET}");
    Ok(())
}

/// Whether the active toolchain has the standard library of `target`.
fn target_installed(target: &str) -> bool {
    let sysroot = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned()))
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    sysroot
        .is_some_and(|root| std::path::Path::new(&root).join("lib/rustlib").join(target).join("lib").is_dir())
}

/// The workspace's `[profile.dev]` settings (root `Cargo.toml`), given again to `cargo package`:
/// its verification builds are ephemeral workspaces without the root's profiles, and with other
/// settings they would compile every dependency anew beside the ones already built.
const DEV_PROFILE: &[&str] =
    &["profile.dev.debug=\"line-tables-only\"", "profile.dev.package.\"*\".debug=false"];

/// Every publishable crate packages, and each package builds from its packaged files alone.
///
/// `cargo package` packages the crates together and verifies each against the others' packages
/// through a local registry overlay, so the path dependencies between them need no release on
/// crates.io. It runs offline (the builds before it filled the cache), in the workspace's target
/// directory with the workspace's dev profile and no incremental caches, so only the packaged
/// crates and a few dependencies built with other features are compiled; `target/package` keeps
/// the `.crate` files (about 0.5 MB) and their sources.
pub(crate) fn package_check() -> Result<(), String> {
    let crates = publishable_crates()?;
    forget_unpacked_overlays(&crates)?;
    let mut cmd = cargo();
    // `--allow-dirty`: the check is of the files as they are, committed or not (a release is
    // made from a clean checkout anyway).
    cmd.args(["package", "--offline", "--allow-dirty"]).env("CARGO_INCREMENTAL", "0");
    for name in &crates {
        cmd.args(["-p", name]);
    }
    for setting in DEV_PROFILE {
        cmd.args(["--config", setting]);
    }
    exec(&mut cmd)?;
    eprintln!("package: {} package and build from their packages", crates.join(", "));
    Ok(())
}

/// Removes the sources cargo unpacked from the local registry a previous `cargo package` of
/// these crates made (`$CARGO_HOME/registry/src/-<hash>/<crate>-<version>`): cargo never unpacks a
/// crate again once its directory exists, so a second check from the same path would build the
/// dependents against the first run's sources. crates.io's sources (`index.crates.io-…`) are
/// never touched.
fn forget_unpacked_overlays(crates: &[String]) -> Result<(), String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo")));
    let Some(sources) = home.map(|h| h.join("registry").join("src")) else { return Ok(()) };
    let Ok(registries) = std::fs::read_dir(&sources) else { return Ok(()) };
    for registry in registries.flatten() {
        // Local registries have no name: their directories are `-<hash>`.
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        let Ok(unpacked) = std::fs::read_dir(registry.path()) else { continue };
        for dir in unpacked.flatten() {
            let name = dir.file_name().to_string_lossy().into_owned();
            let ours = crates.iter().any(|c| {
                name.strip_prefix(c.as_str())
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|version| version.chars().next().is_some_and(|c| c.is_ascii_digit()))
            });
            if ours {
                std::fs::remove_dir_all(dir.path())
                    .map_err(|e| format!("removing the stale {}: {e}", dir.path().display()))?;
            }
        }
    }
    Ok(())
}

/// The workspace's crates without `publish = false`, as `cargo metadata` lists them.
fn publishable_crates() -> Result<Vec<String>, String> {
    let metadata = output(cargo().args(["metadata", "--format-version", "1", "--no-deps", "--offline"]))?;
    let metadata: serde_json::Value =
        serde_json::from_str(&metadata).map_err(|e| format!("cargo metadata is not JSON: {e}"))?;
    let crates: Vec<String> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| !p["publish"].as_array().is_some_and(Vec::is_empty))
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    if crates.is_empty() {
        return Err("cargo metadata lists no publishable crate".to_owned());
    }
    Ok(crates)
}
