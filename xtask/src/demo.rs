//! `cargo xtask demo`: the main job, end to end, against the local emulator.
//!
//! Builds the `modelarts` and `modelarts-emulator` binaries, starts the emulator over HTTPS (signatures
//! enforced) with three seeded v1 jobs and two v2 jobs, then runs the real CLI: list the jobs, stop a
//! v1 version with `--wait` until it reads KILLED, show it, show the last lines of its log (the
//! closing line says how it ended), then stop a v2 job by its UUID until it reads Terminated and end
//! with the last lines of its log.

use std::fs;
use std::process::Command;

use crate::emulator::EmulatorProcess;
use crate::process::{cargo, exec, show, target_dir};

/// The v2 job the demo terminates.
const V2_JOB: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";

/// The jobs the demo starts with: the seed file the README's emulator examples use too.
const SEED: &str = include_str!("../../crates/modelarts-emulator/seeds/demo.json");

pub(crate) fn run(release: bool) -> Result<(), String> {
    println!(
        "Building `modelarts` and `modelarts-emulator` ({} profile; the first build takes a few minutes)...",
        if release { "release" } else { "dev" }
    );
    let mut build = cargo();
    build.args(["build", "-p", "modelarts-cli", "-p", "modelarts-emulator"]);
    if release {
        build.arg("--release");
    }
    exec(&mut build)?;
    let bin = target_dir().join(if release { "release" } else { "debug" });
    let work = target_dir().join("demo");
    fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;
    let seed = work.join("jobs.json");
    fs::write(&seed, SEED).map_err(|e| format!("writing {}: {e}", seed.display()))?;
    let ca = work.join("ca.pem");
    // The emulator refuses to overwrite a file: clear the previous run's CA.
    let _ = fs::remove_file(&ca);

    let emulator = EmulatorProcess::start(
        &bin.join("modelarts-emulator"),
        &[
            "--tls",
            "--auth",
            "enforce",
            "--ca-out",
            &ca.to_string_lossy(),
            "--seed-file",
            &seed.to_string_lossy(),
            "--kill-after",
            "3s",
            "--log-level",
            "warn",
        ],
    )?;
    let endpoint = emulator.field("endpoint")?;
    let modelarts = |args: &[&str]| -> Result<(), String> {
        let mut cmd = Command::new(bin.join("modelarts"));
        cmd.args(["--endpoint-url", &endpoint, "--ca-bundle", &ca.to_string_lossy()])
            .args(args)
            .env("HUAWEICLOUD_SDK_AK", emulator.field("ak")?)
            .env("HUAWEICLOUD_SDK_SK", emulator.field("sk")?)
            .env("HUAWEICLOUD_SDK_PROJECT_ID", emulator.field("project_id")?)
            // Keep the user's own credentials file, profile and caches out of the demo: a home of
            // its own, where no credentials file exists.
            .env("HOME", work.join("home"))
            .env("XDG_CACHE_HOME", work.join("cache"))
            .env_remove("HUAWEICLOUD_SDK_CREDENTIALS_FILE")
            .env_remove("MODELARTS_PROFILE");
        println!();
        println!("$ modelarts {}", args.join(" "));
        let status = cmd.status().map_err(|e| format!("could not start `{}`: {e}", show(&cmd)))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`modelarts {}` failed ({status})", args.join(" ")))
        }
    };

    println!("The emulator serves {endpoint} (HTTPS, AK/SK signatures enforced; CA in {}).", ca.display());
    println!("The AK/SK and project ID come from HUAWEICLOUD_SDK_* variables, as with the official SDKs.");
    modelarts(&["training-job", "list"])?;
    modelarts(&["training-job", "stop", "1001", "--version", "1", "--wait", "--max-wait", "1m"])?;
    modelarts(&["training-job", "show", "1001", "--version", "1"])?;
    modelarts(&["training-job", "list", "--status", "running"])?;
    modelarts(&["training-job", "logs", "1001", "--version", "1", "--lines", "5"])?;
    // v2 (the current API): a job is named by its UUID alone.
    modelarts(&["training-job", "list", "--api", "v2"])?;
    modelarts(&["training-job", "stop", V2_JOB, "--wait", "--max-wait", "1m"])?;
    modelarts(&["training-job", "show", V2_JOB])?;
    modelarts(&["training-job", "logs", V2_JOB, "--lines", "5"])?;
    println!();
    println!(
        "Demo finished: job 1001 version 1 (v1) reads KILLED, job {V2_JOB} (v2) reads Terminated, and their logs say so."
    );
    Ok(())
}
