//! The release emulator as a separate process, its admin API, and the environment every client
//! reads to reach it.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use modelarts_sdk::{Client, Credentials};
use serde_json::Value;

use crate::emulator::EmulatorProcess;
use crate::process::output;

use super::CLOCK_TICKS;
use super::tools::release_bin;

/// A running release emulator and what a client needs to reach it.
pub(super) struct Server {
    /// Stopped when the server is dropped.
    pub(super) _process: EmulatorProcess,
    pub(super) endpoint: String,
    pub(super) admin: String,
    pub(super) ca: PathBuf,
    pub(super) project_id: String,
    pub(super) ak: String,
    pub(super) sk: String,
}

impl Server {
    pub(super) fn start(
        work: &Path,
        name: &str,
        jobs: usize,
        auth: &str,
        kill_after: &str,
    ) -> Result<Self, String> {
        Self::start_with_journal(work, name, Seed::V1(jobs), auth, kill_after, 0)
    }

    /// [`start`](Self::start) with a journal (of up to a million requests) for [`requests`](Self::requests).
    pub(super) fn start_journaled(
        work: &Path,
        name: &str,
        jobs: usize,
        auth: &str,
        kill_after: &str,
    ) -> Result<Self, String> {
        Self::start_with_journal(work, name, Seed::V1(jobs), auth, kill_after, 1_000_000)
    }

    /// An emulator seeded with `jobs` Running v2 jobs (`--v2-jobs`) and no v1 job; with
    /// `journaled`, a journal of up to a million requests.
    pub(super) fn start_v2(
        work: &Path,
        name: &str,
        jobs: usize,
        auth: &str,
        kill_after: &str,
        journaled: bool,
    ) -> Result<Self, String> {
        let journal_limit = if journaled { 1_000_000 } else { 0 };
        Self::start_with_journal(work, name, Seed::V2(jobs), auth, kill_after, journal_limit)
    }

    fn start_with_journal(
        work: &Path,
        name: &str,
        seed: Seed,
        auth: &str,
        kill_after: &str,
        journal_limit: usize,
    ) -> Result<Self, String> {
        let journal_limit = journal_limit.to_string();
        let ca = work.join(format!("ca-{name}.pem"));
        // The emulator refuses to overwrite a file: clear the previous run's CA.
        let _ = fs::remove_file(&ca);
        let (seed_flag, jobs) = match seed {
            Seed::V1(n) => ("--jobs", n.to_string()),
            Seed::V2(n) => ("--v2-jobs", n.to_string()),
        };
        let process = EmulatorProcess::start(
            &release_bin("modelarts-emulator"),
            &[
                "--tls",
                "--auth",
                auth,
                seed_flag,
                &jobs,
                "--kill-after",
                kill_after,
                "--journal-limit",
                &journal_limit,
                "--log-level",
                "error",
                "--ca-out",
                &ca.to_string_lossy(),
            ],
        )?;
        Ok(Self {
            endpoint: process.field("endpoint")?,
            admin: process.field("admin")?,
            project_id: process.field("project_id")?,
            ak: process.field("ak")?,
            sk: process.field("sk")?,
            ca,
            _process: process,
        })
    }

    /// The emulator's CPU time so far (user + system seconds, from /proc).
    pub(super) fn cpu(&self) -> f64 {
        proc_cpu(&self._process.pid().to_string())
    }

    /// An admin call (`/__emulator/...`) with curl; returns the body.
    fn admin(&self, method: &str, path: &str, body: Option<&str>) -> Result<String, String> {
        let mut cmd = Command::new("curl");
        cmd.args(["--silent", "--show-error", "--fail", "--cacert"])
            .arg(&self.ca)
            .args(["--request", method])
            .arg(format!("{}{path}", self.admin));
        if let Some(body) = body {
            cmd.args(["--header", "Content-Type: application/json", "--data-binary", body]);
        }
        output(&mut cmd)
    }

    /// Puts every job back as seeded (all versions RUNNING) with the given auth mode.
    pub(super) fn reset(&self, auth: &str) -> Result<(), String> {
        self.admin("POST", "/reset", None)?;
        self.admin("POST", "/settings", Some(&format!(r#"{{"auth":"{auth}"}}"#)))?;
        Ok(())
    }

    /// How many requests of `route` (`stop`, `show`, `list`, …) the journal holds since the last
    /// reset.
    pub(super) fn requests(&self, route: &str) -> Result<usize, String> {
        let text = self.admin("GET", &format!("/journal?route={route}"), None)?;
        let value: Value = serde_json::from_str(&text).map_err(|e| format!("the journal: {e}"))?;
        if value["dropped"].as_u64().unwrap_or(0) > 0 {
            return Err("the journal dropped entries: raise its limit".to_owned());
        }
        value["entries"].as_array().map(Vec::len).ok_or_else(|| "the journal has no `entries`".to_owned())
    }

    /// The (job, version) of every job's first version, in job order.
    pub(super) fn versions(&self) -> Result<Vec<(u64, u64)>, String> {
        let text = self.admin("GET", "/jobs", None)?;
        let value: Value = serde_json::from_str(&text).map_err(|e| format!("the admin job list: {e}"))?;
        let jobs = value["jobs"].as_array().ok_or("the admin job list has no `jobs`")?;
        Ok(jobs
            .iter()
            .filter_map(|j| Some((j["job_id"].as_u64()?, j["versions"].get(0)?["version_id"].as_u64()?)))
            .collect())
    }

    /// The UUID of every v2 job, in the admin list's order.
    pub(super) fn v2_ids(&self) -> Result<Vec<String>, String> {
        let text = self.admin("GET", "/v2/jobs", None)?;
        let value: Value = serde_json::from_str(&text).map_err(|e| format!("the admin v2 job list: {e}"))?;
        let jobs = value["jobs"].as_array().ok_or("the admin v2 job list has no `jobs`")?;
        Ok(jobs.iter().filter_map(|j| j["id"].as_str().map(str::to_owned)).collect())
    }

    /// The environment every client reads (as the official SDKs do).
    pub(super) fn env(&self, cmd: &mut Command, work: &Path) {
        cmd.env("MODELARTS_ENDPOINT_URL", &self.endpoint)
            .env("MODELARTS_CA_BUNDLE", &self.ca)
            .env("HUAWEICLOUD_SDK_AK", &self.ak)
            .env("HUAWEICLOUD_SDK_SK", &self.sk)
            .env("HUAWEICLOUD_SDK_PROJECT_ID", &self.project_id)
            .env("HOME", work.join("home"))
            .env("XDG_CACHE_HOME", work.join("cache"))
            .env_remove("HUAWEICLOUD_SDK_CREDENTIALS_FILE")
            .env_remove("MODELARTS_PROFILE")
            .env_remove("MODELARTS_REGION")
            .env_remove("MODELARTS_OUTPUT")
            .env_remove("HUAWEICLOUD_SDK_REGION")
            .env_remove("RUST_LOG");
    }

    /// A client that signs exactly like the CLI's (for the curl leg).
    pub(super) fn client(&self) -> Result<Client, String> {
        Client::builder()
            .endpoint_url(&self.endpoint)
            .ca_bundle(&self.ca)
            .project_id(&self.project_id)
            .credentials(Credentials::new(&self.ak, &self.sk))
            .env(|_| None)
            .build()
            .map_err(|e| format!("building the signing client: {e}"))
    }
}

/// What the emulator is seeded with: N v1 jobs of one Running version each, or N Running v2 jobs.
#[derive(Clone, Copy)]
enum Seed {
    V1(usize),
    V2(usize),
}

/// A process's CPU time so far (user + system seconds, from `/proc/<pid>/stat`; 0 when unreadable).
pub(super) fn proc_cpu(pid: &str) -> f64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name (which may hold spaces): state (field 3), …, utime (14), stime (15).
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / CLOCK_TICKS
}

pub(super) fn write_targets(path: &Path, targets: &[(u64, u64)]) -> Result<(), String> {
    let mut text = String::with_capacity(targets.len() * 16);
    for (job, version) in targets {
        let _ = writeln!(text, "{job} {version}");
    }
    fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}
