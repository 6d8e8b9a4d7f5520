//! The harness every CLI integration test shares: the binary with a cleared environment and a
//! temporary HOME (so no real credentials file is read), an emulator on its own runtime, and the
//! checks of a run (exit status, no panic, JSON documents).
//!
//! Each test file compiles this module on its own and uses part of it.

// Test helpers may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use assert_cmd::Command;
use modelarts_emulator::{Emulator, EmulatorConfig, JobSeed, RunningEmulator, V2JobSeed};
use serde_json::Value;

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_modelarts");

/// A project ID for servers that accept any.
pub(crate) const PROJECT: &str = "0123456789abcdef0123456789abcdef";

/// The binary with only `HOME` in its environment and stdin closed.
pub(crate) fn binary(home: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(BIN);
    cmd.env_clear().env("HOME", home).stdin(Stdio::null());
    cmd
}

/// [`binary`] with `NO_COLOR` set.
pub(crate) fn bare(home: &Path) -> std::process::Command {
    let mut cmd = binary(home);
    cmd.env("NO_COLOR", "1");
    cmd
}

/// [`bare`] pointed at an emulator: endpoint, project, CA bundle; no credentials.
pub(crate) fn emulator_cmd(emulator: &RunningEmulator, home: &Path) -> std::process::Command {
    let mut cmd = bare(home);
    cmd.args(["--endpoint-url", &emulator.endpoint(), "--project-id", emulator.project_id()])
        .arg("--ca-bundle")
        .arg(emulator.ca_cert_path().unwrap());
    cmd
}

/// Bytes as text, invalid UTF-8 replaced.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A finished run of the binary.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// The run's output, checked for a panic.
    pub(crate) fn of(output: std::process::Output) -> Self {
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: text(&output.stdout),
            stderr: text(&output.stderr),
        };
        assert!(!run.stderr.contains("panicked"), "panic:\n{}", run.stderr);
        run
    }

    /// Stdout and stderr.
    pub(crate) fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs a command to its end.
pub(crate) fn run(cmd: &mut Command) -> Run {
    Run::of(cmd.output().unwrap())
}

/// Runs a command and checks its exit status.
pub(crate) fn expect(cmd: &mut Command, code: i32) -> Run {
    let r = run(cmd);
    assert_eq!(r.code, code, "exit status\n--- stdout\n{}\n--- stderr\n{}", r.stdout, r.stderr);
    r
}

/// The one JSON document of `text`.
pub(crate) fn json(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{text}"))
}

/// One JSON document per non-empty line.
pub(crate) fn json_lines(text: &str) -> Vec<Value> {
    text.lines().filter(|l| !l.trim().is_empty()).map(json).collect()
}

/// An emulator over HTTPS on its own runtime, and a temporary HOME.
pub(crate) struct Env {
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) emulator: Option<RunningEmulator>,
    pub(crate) home: tempfile::TempDir,
}

impl Env {
    pub(crate) fn start(config: EmulatorConfig) -> Self {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let emulator = runtime.block_on(Emulator::start(config.tls(true))).unwrap();
        Self { runtime, emulator: Some(emulator), home: tempfile::tempdir().unwrap() }
    }

    /// Today's Huawei Cloud: these v2 jobs (a seed may name another workspace with
    /// `V2JobSeed::workspace`) and no v1 training-job API at all: every
    /// `/v1/{project}/training-jobs…` request is answered 404 `APIG.0101`. The workspace list stays.
    pub(crate) fn v2_only(jobs: impl IntoIterator<Item = V2JobSeed>) -> Self {
        Self::start(EmulatorConfig::default().v1_absent(true).v2_jobs(jobs))
    }

    /// A cloud that still serves v1 (Open Telekom Cloud): these v1 jobs, and the v2 API with no job.
    pub(crate) fn v1_only(jobs: impl IntoIterator<Item = JobSeed>) -> Self {
        Self::start(EmulatorConfig::default().jobs(jobs))
    }

    /// Both APIs, each with its jobs.
    pub(crate) fn both(
        v1: impl IntoIterator<Item = JobSeed>,
        v2: impl IntoIterator<Item = V2JobSeed>,
    ) -> Self {
        Self::start(EmulatorConfig::default().jobs(v1).v2_jobs(v2))
    }

    /// The route of every request the emulator received, in order: `list`, `stop`, `v2_list`,
    /// `workspaces`, … and `unknown` for a request to an API that is not there (with
    /// [`v2_only`](Self::v2_only), every v1 request).
    pub(crate) fn routes(&self) -> Vec<&'static str> {
        self.emulator().state().journal().iter().map(|e| e.route.as_str()).collect()
    }

    /// How many requests of one route (see [`routes`](Self::routes)) the emulator received.
    pub(crate) fn requests(&self, route: &str) -> usize {
        self.routes().iter().filter(|r| **r == route).count()
    }

    pub(crate) fn emulator(&self) -> &RunningEmulator {
        self.emulator.as_ref().unwrap()
    }

    pub(crate) fn ca(&self) -> PathBuf {
        self.emulator().ca_cert_path().unwrap().to_owned()
    }

    /// The binary (as a std command) with endpoint, CA and project flags, no credentials, a
    /// temporary HOME and an otherwise empty environment.
    pub(crate) fn std_bare(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(BIN);
        cmd.env_clear()
            .env("HOME", self.home.path())
            .env("NO_COLOR", "1")
            .arg("--endpoint-url")
            .arg(self.emulator().endpoint())
            .arg("--ca-bundle")
            .arg(self.ca())
            .arg("--project-id")
            .arg(self.emulator().project_id());
        cmd
    }

    /// [`std_bare`](Self::std_bare) with the emulator's credentials in the environment.
    pub(crate) fn std_cmd(&self) -> std::process::Command {
        let c = self.emulator().credentials();
        let mut cmd = self.std_bare();
        cmd.env("HUAWEICLOUD_SDK_AK", &c.access_key).env("HUAWEICLOUD_SDK_SK", &c.secret_key);
        cmd
    }

    /// The binary with the emulator's credentials in a cleared environment, no endpoint flags.
    pub(crate) fn std_unpointed(&self) -> std::process::Command {
        let c = self.emulator().credentials();
        let mut cmd = std::process::Command::new(BIN);
        cmd.env_clear()
            .env("HOME", self.home.path())
            .env("NO_COLOR", "1")
            .env("HUAWEICLOUD_SDK_AK", &c.access_key)
            .env("HUAWEICLOUD_SDK_SK", &c.secret_key)
            .arg("--project-id")
            .arg(self.emulator().project_id());
        cmd
    }

    /// The binary without credentials, stdin a pipe (not a terminal).
    pub(crate) fn bare(&self) -> Command {
        let mut cmd = Command::from_std(self.std_bare());
        cmd.timeout(Duration::from_secs(60)).write_stdin("");
        cmd
    }

    /// The binary with credentials, stdin a pipe (not a terminal).
    pub(crate) fn cmd(&self) -> Command {
        let mut cmd = Command::from_std(self.std_cmd());
        cmd.timeout(Duration::from_secs(60)).write_stdin("");
        cmd
    }

    pub(crate) fn secret_key(&self) -> String {
        self.emulator().credentials().secret_key.clone()
    }

    /// The stops the emulator received.
    pub(crate) fn stops(&self) -> usize {
        // The v2 search is a POST too: only the stop routes count.
        self.emulator()
            .state()
            .journal()
            .iter()
            .filter(|e| {
                matches!(e.route, modelarts_emulator::Route::Stop | modelarts_emulator::Route::V2Terminate)
            })
            .count()
    }

    pub(crate) fn journal_len(&self) -> usize {
        self.emulator().state().journal().len()
    }

    pub(crate) fn status(&self, job: u64, version: u64) -> Option<i32> {
        self.emulator().state().version_status(job, version)
    }

    /// Writes a file in the temporary HOME.
    pub(crate) fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.home.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(emulator) = self.emulator.take() {
            self.runtime.block_on(emulator.shutdown());
        }
    }
}
