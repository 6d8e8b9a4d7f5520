//! `cargo xtask fuzz [--seconds N] [TARGET...]`: runs the cargo-fuzz targets of `fuzz/` (the
//! protocol crate's parsers, canonicalisation and signer) for a while each, and reports.
//!
//! cargo-fuzz passes nightly-only `-Z` flags (`-Zsanitizer=address`, …); on the stable toolchain
//! `RUSTC_BOOTSTRAP=1` makes rustc and cargo accept them. If the AddressSanitizer build fails, the
//! targets are built again without a sanitizer (Rust code is memory-safe; the panics and failed
//! assertions the targets look for are caught either way).
//!
//! Corpora grow in `fuzz/corpus/<target>` (ignored by git), seeded from `fuzz/seeds/<target>`;
//! crashes are written to `fuzz/artifacts/<target>`, logs to `target/fuzz-logs/<target>.log`, and
//! the summary table to `target/fuzz-report.md`.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::process::{cargo, exec, root, show, target_dir};

/// Every target of `fuzz/Cargo.toml`, in the order they run.
pub(crate) const TARGETS: &[&str] =
    &["parse_responses", "canonicalise", "sign_verify", "verify_garbage", "parse_inputs"];

/// What one target's run produced.
#[derive(Debug, Default)]
struct Outcome {
    target: String,
    seconds: u64,
    wall_seconds: f64,
    executions: Option<u64>,
    execs_per_sec: Option<u64>,
    crashes: Vec<String>,
    /// Why the run failed without a crash artifact (the fuzzer did not start, …).
    failure: Option<String>,
}

/// Runs each of `targets` (all of [`TARGETS`] when empty) for `seconds` seconds, prints the table
/// and writes it to `target/fuzz-report.md`. Fails if a target crashed or could not run.
pub(crate) fn run(seconds: u64, targets: &[String]) -> Result<(), String> {
    if seconds == 0 {
        return Err("--seconds must be at least 1".into());
    }
    let targets: Vec<String> =
        if targets.is_empty() { TARGETS.iter().map(|t| (*t).to_owned()).collect() } else { targets.to_vec() };
    if let Some(unknown) = targets.iter().find(|t| !TARGETS.contains(&t.as_str())) {
        return Err(format!("unknown fuzz target {unknown:?}; the targets are {}", TARGETS.join(", ")));
    }

    let fuzz_dir = root().join("fuzz");
    let logs = target_dir().join("fuzz-logs");
    fs::create_dir_all(&logs).map_err(|e| format!("could not create {}: {e}", logs.display()))?;
    ensure_cargo_fuzz()?;
    let sanitizer = build(&fuzz_dir, &targets)?;

    let mut outcomes = Vec::with_capacity(targets.len());
    for target in &targets {
        let outcome = run_target(&fuzz_dir, &logs, target, seconds, sanitizer)?;
        eprintln!(
            "xtask fuzz: {target}: {} executions, {} crash(es)",
            outcome.executions.map_or_else(|| "?".to_owned(), |n| n.to_string()),
            outcome.crashes.len()
        );
        outcomes.push(outcome);
    }

    let report = report(&outcomes, sanitizer);
    println!("{report}");
    let path = target_dir().join("fuzz-report.md");
    fs::write(&path, &report).map_err(|e| format!("could not write {}: {e}", path.display()))?;
    eprintln!("xtask fuzz: report written to {}", path.display());

    let crashed: Vec<&str> =
        outcomes.iter().filter(|o| !o.crashes.is_empty()).map(|o| o.target.as_str()).collect();
    let failed: Vec<String> =
        outcomes.iter().filter_map(|o| o.failure.as_ref().map(|f| format!("{}: {f}", o.target))).collect();
    if !crashed.is_empty() {
        return Err(format!(
            "fuzzing found crashes in {} (artifacts in fuzz/artifacts; reproduce with \
             `RUSTC_BOOTSTRAP=1 cargo fuzz run <target> <artifact>` in fuzz/)",
            crashed.join(", ")
        ));
    }
    if !failed.is_empty() {
        return Err(format!("fuzz targets failed to run: {}", failed.join("; ")));
    }
    Ok(())
}

/// `cargo` with the stable toolchain unlocked for cargo-fuzz's `-Z` flags, run inside `fuzz/`.
fn cargo_fuzz(fuzz_dir: &Path) -> Command {
    let mut cmd = cargo();
    cmd.current_dir(fuzz_dir).env("RUSTC_BOOTSTRAP", "1").arg("fuzz");
    cmd
}

/// Installs cargo-fuzz when `cargo fuzz` is not available.
fn ensure_cargo_fuzz() -> Result<(), String> {
    let probe = cargo().args(["fuzz", "--version"]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    if probe.is_ok_and(|s| s.success()) {
        return Ok(());
    }
    eprintln!("xtask fuzz: cargo-fuzz is missing; installing it (takes a few minutes)");
    exec(cargo().args(["install", "cargo-fuzz", "--locked"]))
}

/// Builds the targets with AddressSanitizer, or without a sanitizer if that build fails. Returns
/// the `--sanitizer` value that worked.
fn build(fuzz_dir: &Path, targets: &[String]) -> Result<&'static str, String> {
    let build_with = |sanitizer: &str| -> Result<(), String> {
        for target in targets {
            exec(cargo_fuzz(fuzz_dir).args(["build", "--sanitizer", sanitizer, target]))?;
        }
        Ok(())
    };
    match build_with("address") {
        Ok(()) => Ok("address"),
        Err(asan) => {
            eprintln!("xtask fuzz: the AddressSanitizer build failed ({asan}); building without a sanitizer");
            build_with("none").map(|()| "none")
        }
    }
}

fn run_target(
    fuzz_dir: &Path,
    logs: &Path,
    target: &str,
    seconds: u64,
    sanitizer: &str,
) -> Result<Outcome, String> {
    let corpus = fuzz_dir.join("corpus").join(target);
    fs::create_dir_all(&corpus).map_err(|e| format!("could not create {}: {e}", corpus.display()))?;
    let log_path = logs.join(format!("{target}.log"));
    let log = File::create(&log_path).map_err(|e| format!("could not create {}: {e}", log_path.display()))?;
    let log_err = log.try_clone().map_err(|e| format!("could not open {}: {e}", log_path.display()))?;

    let mut cmd = cargo_fuzz(fuzz_dir);
    cmd.args(["run", "--sanitizer", sanitizer, target]).arg(&corpus);
    // libFuzzer writes new inputs to the first corpus directory only; the seeds stay untouched.
    let seeds = fuzz_dir.join("seeds").join(target);
    if seeds.is_dir() {
        cmd.arg(&seeds);
    }
    cmd.arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg("-print_final_stats=1")
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_err));
    eprintln!("$ {}  (log: {})", show(&cmd), log_path.display());

    let started = Instant::now();
    let status = cmd.status().map_err(|e| format!("could not start `{}`: {e}", show(&cmd)))?;
    let wall_seconds = started.elapsed().as_secs_f64();
    let text =
        fs::read_to_string(&log_path).map_err(|e| format!("could not read {}: {e}", log_path.display()))?;
    let mut outcome = parse_log(&text);
    outcome.target = target.to_owned();
    outcome.seconds = seconds;
    outcome.wall_seconds = wall_seconds;
    if !status.success() && outcome.crashes.is_empty() {
        let tail: Vec<&str> = text.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
        outcome.failure = Some(format!("exited with {status}: {}", tail.join(" | ")));
    }
    Ok(outcome)
}

/// Reads libFuzzer's output: the final stats (`stat::number_of_executed_units`,
/// `stat::average_exec_per_sec`, printed with `-print_final_stats=1`), else the `#N DONE … exec/s: M`
/// line, else the last `#N` status line; and every crash artifact written.
fn parse_log(text: &str) -> Outcome {
    let mut outcome = Outcome::default();
    let mut last_status: Option<(u64, Option<u64>)> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(v) = line.strip_prefix("stat::number_of_executed_units:") {
            outcome.executions = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("stat::average_exec_per_sec:") {
            outcome.execs_per_sec = v.trim().parse().ok();
        } else if let Some(rest) = line.strip_prefix('#') {
            // `#12345\tDONE   cov: … exec/s: 678 rss: …` or `#4096\tpulse …`
            let mut words = rest.split_whitespace();
            if let Some(n) = words.next().and_then(|n| n.parse::<u64>().ok()) {
                let per_sec = rest
                    .split_whitespace()
                    .skip_while(|w| *w != "exec/s:")
                    .nth(1)
                    .and_then(|v| v.parse().ok());
                last_status = Some((n, per_sec));
            }
        } else if let Some(i) = line.find("Test unit written to ") {
            let path = line[i + "Test unit written to ".len()..].trim().to_owned();
            let name =
                Path::new(&path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            // `slow-unit-` files are only reports; the others stop the run.
            if ["crash-", "leak-", "timeout-", "oom-"].iter().any(|p| name.starts_with(p)) {
                outcome.crashes.push(path);
            }
        }
    }
    if let Some((n, per_sec)) = last_status {
        outcome.executions = outcome.executions.or(Some(n));
        outcome.execs_per_sec = outcome.execs_per_sec.or(per_sec);
    }
    outcome
}

fn report(outcomes: &[Outcome], sanitizer: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Fuzzing report\n");
    let _ = writeln!(
        out,
        "cargo-fuzz on the stable toolchain (`RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer {sanitizer} <target>`).\n"
    );
    let _ = writeln!(out, "| target | seconds | executions | exec/s | crashes |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    for o in outcomes {
        let executions = o.executions.map_or_else(|| "?".to_owned(), |n| n.to_string());
        let per_sec = o
            .execs_per_sec
            .or_else(|| o.executions.map(|n| (n as f64 / o.wall_seconds.max(1.0)) as u64))
            .map_or_else(|| "?".to_owned(), |n| n.to_string());
        let crashes = match (&o.failure, o.crashes.len()) {
            (Some(_), 0) => "run failed".to_owned(),
            (_, n) => n.to_string(),
        };
        let _ = writeln!(out, "| {} | {} | {executions} | {per_sec} | {crashes} |", o.target, o.seconds);
    }
    let findings: Vec<String> = outcomes
        .iter()
        .flat_map(|o| {
            o.crashes
                .iter()
                .map(move |c| format!("- {}: `{c}`", o.target))
                .chain(o.failure.iter().map(move |f| format!("- {}: {f}", o.target)))
        })
        .collect();
    if !findings.is_empty() {
        let _ = writeln!(out, "\n## Findings\n\n{}", findings.join("\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_stats_win_over_status_lines() {
        let log = "#1024\tpulse  cov: 10 exec/s: 500 rss: 40Mb\n\
                   #69912\tDONE   cov: 1211 ft: 2078 corp: 388/9419b lim: 116 exec/s: 6355 rss: 485Mb\n\
                   stat::number_of_executed_units: 69913\n\
                   stat::average_exec_per_sec:     6356\n";
        let o = parse_log(log);
        assert_eq!((o.executions, o.execs_per_sec), (Some(69913), Some(6356)));
        assert!(o.crashes.is_empty());
    }

    #[test]
    fn done_line_and_crash_artifacts_are_read() {
        let log = "#69912\tDONE   cov: 1211 exec/s: 6355 rss: 485Mb\n\
                   artifact_prefix='/w/fuzz/artifacts/x/'; Test unit written to /w/fuzz/artifacts/x/crash-9be2\n\
                   Test unit written to /w/fuzz/artifacts/x/slow-unit-1\n";
        let o = parse_log(log);
        assert_eq!((o.executions, o.execs_per_sec), (Some(69912), Some(6355)));
        assert_eq!(o.crashes, ["/w/fuzz/artifacts/x/crash-9be2"]);
    }
}
