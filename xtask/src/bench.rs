//! `cargo xtask bench [--quick]`: our client against the obvious alternatives, on this machine, with
//! the emulator (release build) as a separate process, and the results written to
//! `docs/benchmarks.md`.
//!
//! Every comparison runs its legs pairwise and interleaved (A B C, A B C, …), so that a change in the
//! machine's load hits every leg alike; each table gives the raw figures of every run, the medians,
//! and the ratio of each pair within the same run. The comparisons:
//!
//! 1. protocol cost: the criterion benches of `modelarts-protocol` vs the official Python SDK's
//!    signer and deserialiser (`xtask/bench/protocol.py`);
//! 2. one stop from the command line: `modelarts training-job stop` vs `curl` with the same signed
//!    request vs a minimal official-SDK script (`xtask/bench/stop_one.py`), whole-process wall time
//!    and peak RSS;
//! 3. many stops: the SDK's `batch_stop` (`examples/batch_stop.rs --targets`) vs the official SDK in
//!    a `ThreadPoolExecutor` (`xtask/bench/batch_stop.py`) vs `wrk` (`xtask/bench/wrk_stop.lua`), same
//!    versions, same route, same concurrency; then a `--wait` batch of versions that take 2 s to die;
//! 4. scaling: batch stop and `list --all` at growing numbers of versions;
//! 5. the transport alone (`modelarts-transport`'s `examples/load`) vs `wrk` on the same `show` URL,
//!    one request at a time and 64 in flight, over HTTP/1.1 (wrk's protocol) and HTTP/2.
//!
//! Missing tools are installed: `wrk`, `time` and `curl` with apt-get, the official SDK into `.venv`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use modelarts_protocol::operations::stop_training_job::StopTrainingJob;
use modelarts_sdk::{Client, Credentials};
use serde_json::Value;

use crate::conformance::venv_python;
use crate::emulator::EmulatorProcess;
use crate::process::{cargo, exec, output, root, show, target_dir};

/// Sizes and repetitions of one mode.
struct Plan {
    name: &'static str,
    /// Pairs of (criterion run, Python run).
    protocol_pairs: usize,
    /// criterion `--warm-up-time` and `--measurement-time`, seconds.
    criterion_times: (u32, u32),
    /// Seconds of `timeit` per Python operation.
    python_seconds: f64,
    /// Timed rounds of the one-stop trio, and rounds under `/usr/bin/time` for the peak RSS.
    single_rounds: usize,
    single_rss_rounds: usize,
    /// Versions and rounds of the many-stops comparison.
    many_versions: usize,
    many_rounds: usize,
    /// Versions and rounds of the `--wait` batch.
    wait_versions: usize,
    wait_rounds: usize,
    /// (versions, rounds) of the scaling runs.
    scaling: &'static [(usize, usize)],
    /// Rounds of the transport-alone comparison, and about how long each leg runs.
    transport_rounds: usize,
    transport_seconds: u64,
}

const QUICK: Plan = Plan {
    name: "quick",
    protocol_pairs: 2,
    criterion_times: (1, 1),
    python_seconds: 0.5,
    single_rounds: 5,
    single_rss_rounds: 2,
    many_versions: 2_000,
    many_rounds: 2,
    wait_versions: 1_000,
    wait_rounds: 1,
    scaling: &[(1_000, 1), (10_000, 1)],
    transport_rounds: 2,
    transport_seconds: 2,
};

const FULL: Plan = Plan {
    name: "full",
    protocol_pairs: 3,
    criterion_times: (2, 4),
    python_seconds: 2.0,
    single_rounds: 15,
    single_rss_rounds: 5,
    many_versions: 10_000,
    many_rounds: 3,
    wait_versions: 1_000,
    wait_rounds: 2,
    scaling: &[(1_000, 3), (10_000, 3), (100_000, 2)],
    transport_rounds: 3,
    transport_seconds: 5,
};

/// The concurrency of every batch.
const CONCURRENCY: usize = 64;
/// Clock ticks per second of `/proc/<pid>/stat` (USER_HZ, 100 on Linux).
const CLOCK_TICKS: f64 = 100.0;
/// `/usr/bin/time` reports KiB.
const KIB_PER_MIB: f64 = 1024.0;

pub(crate) fn run(quick: bool, out: Option<PathBuf>) -> Result<(), String> {
    let plan = if quick { &QUICK } else { &FULL };
    let started = Instant::now();
    let out = out.unwrap_or_else(|| {
        if quick { target_dir().join("bench/benchmarks-quick.md") } else { root().join("docs/benchmarks.md") }
    });
    let work = target_dir().join("bench");
    fs::create_dir_all(work.join("home")).map_err(|e| format!("creating {}: {e}", work.display()))?;

    let tools = Tools::ensure()?;
    build()?;
    let load_before = load_average();
    let mut report = Report::default();

    protocol_cost(plan, &tools, &work, &mut report)?;
    one_stop(plan, &tools, &work, &mut report)?;
    many_stops(plan, &tools, &work, &mut report)?;
    wait_batch(plan, &tools, &work, &mut report)?;
    scaling(plan, &tools, &work, &mut report)?;
    transport_alone(plan, &work, &mut report)?;

    let load_after = load_average();
    let text = report.render(plan, &tools, &load_before, &load_after, started.elapsed());
    if let Some(dir) = out.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    fs::write(&out, text).map_err(|e| format!("writing {}: {e}", out.display()))?;
    eprintln!("bench ({}) finished in {:.0?}; wrote {}", plan.name, started.elapsed(), out.display());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Tools, builds, the machine

fn release_bin(name: &str) -> PathBuf {
    target_dir().join("release").join(name)
}

struct Tools {
    python: PathBuf,
    versions: Vec<(String, String)>,
}

impl Tools {
    /// Installs what is missing: wrk, GNU time and curl with apt-get, the official SDK into .venv.
    fn ensure() -> Result<Self, String> {
        let wanted = [("wrk", "/usr/bin/wrk"), ("time", "/usr/bin/time"), ("curl", "/usr/bin/curl")];
        let missing: Vec<&str> = wanted
            .iter()
            .filter(|(_, path)| !Path::new(path).exists())
            .map(|(package, _)| *package)
            .collect();
        if !missing.is_empty() {
            eprintln!("bench: installing {} with apt-get (needed by the comparisons)", missing.join(", "));
            let install = || {
                exec(
                    Command::new("apt-get").args(["install", "-y", "--no-install-recommends"]).args(&missing),
                )
            };
            if install().is_err() {
                exec(Command::new("apt-get").arg("update"))?;
                install().map_err(|e| format!("{e}; install {} by hand", missing.join(", ")))?;
            }
        }
        eprintln!("bench: the official Python SDK comes from .venv (created and filled by pip when missing)");
        let python = venv_python()?;
        let first_line = |cmd: &mut Command| {
            output(cmd).map(|s| s.lines().next().unwrap_or("").trim().to_owned()).unwrap_or_else(|e| e)
        };
        let versions = vec![
            ("rustc".to_owned(), first_line(Command::new("rustc").arg("--version"))),
            ("curl".to_owned(), first_line(Command::new("curl").arg("--version"))),
            ("wrk".to_owned(), first_line(Command::new("sh").args(["-c", "wrk --version 2>&1 || true"]))),
            ("python".to_owned(), first_line(Command::new(&python).arg("--version"))),
            (
                "official SDK".to_owned(),
                first_line(Command::new(&python).args([
                    "-c",
                    "import importlib.metadata as m; print('huaweicloudsdkcore', m.version('huaweicloudsdkcore'), \
                     '/ huaweicloudsdkmodelarts', m.version('huaweicloudsdkmodelarts'))",
                ])),
            ),
        ];
        Ok(Self { python, versions })
    }
}

fn build() -> Result<(), String> {
    exec(cargo().args(["build", "--release", "-p", "modelarts-cli", "-p", "modelarts-emulator"]))?;
    exec(cargo().args(["build", "--release", "-p", "modelarts-sdk", "--example", "batch_stop"]))?;
    exec(cargo().args(["build", "--release", "-p", "modelarts-transport", "--example", "load"]))?;
    exec(cargo().args(["bench", "-p", "modelarts-protocol", "--bench", "protocol", "--no-run"]))?;
    Ok(())
}

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn machine() -> Vec<(&'static str, String)> {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "?".into());
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0))
        .unwrap_or_else(|| "?".into());
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned();
    let nproc =
        std::thread::available_parallelism().map(|n| n.get().to_string()).unwrap_or_else(|_| "?".into());
    vec![("nproc", nproc), ("CPU", cpu), ("memory", memory), ("kernel", kernel)]
}

// ---------------------------------------------------------------------------------------------
// Running and measuring

/// One finished process: wall time (measured here), peak RSS (KiB, when run under /usr/bin/time)
/// and its stdout.
struct Run {
    wall: Duration,
    rss_kib: Option<u64>,
    /// User + system CPU seconds (under /usr/bin/time).
    cpu: Option<f64>,
    stdout: String,
}

/// Runs `cmd` to completion, timing it; with `rss`, under `/usr/bin/time -f '%M %U %S'` (peak RSS
/// and CPU time). Fails on a non-zero exit.
fn measure(cmd: &mut Command, rss: bool, work: &Path) -> Result<Run, String> {
    let rss_file = work.join("time.out");
    let mut wrapped;
    let cmd = if rss {
        wrapped = Command::new("/usr/bin/time");
        wrapped.args(["-f", "%M %U %S", "-o"]).arg(&rss_file).arg(cmd.get_program()).args(cmd.get_args());
        for (key, value) in cmd.get_envs() {
            match value {
                Some(v) => wrapped.env(key, v),
                None => wrapped.env_remove(key),
            };
        }
        if let Some(dir) = cmd.get_current_dir() {
            wrapped.current_dir(dir);
        }
        &mut wrapped
    } else {
        cmd
    };
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let child = cmd.spawn().map_err(|e| format!("could not start `{}`: {e}", show(cmd)))?;
    let out = child.wait_with_output().map_err(|e| format!("waiting for `{}`: {e}", show(cmd)))?;
    let wall = started.elapsed();
    check(cmd, &out)?;
    let (rss_kib, cpu) = if rss {
        let text =
            fs::read_to_string(&rss_file).map_err(|e| format!("reading {}: {e}", rss_file.display()))?;
        let fields: Vec<f64> =
            text.lines().last().unwrap_or("").split_whitespace().filter_map(|f| f.parse().ok()).collect();
        let [kib, user, system] = fields[..] else {
            return Err(format!("/usr/bin/time wrote {text:?}"));
        };
        (Some(kib as u64), Some(user + system))
    } else {
        (None, None)
    };
    Ok(Run { wall, rss_kib, cpu, stdout: String::from_utf8_lossy(&out.stdout).into_owned() })
}

fn check(cmd: &Command, out: &Output) -> Result<(), String> {
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "`{}` failed ({}):\n{}{}",
        show(cmd),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// `key=value` in a line of `text` (the value ends at whitespace; a trailing `s` or `/s` is cut).
fn field(text: &str, key: &str) -> Option<f64> {
    let prefix = format!("{key}=");
    text.split_whitespace()
        .find_map(|w| w.strip_prefix(prefix.as_str()))
        .map(|v| v.trim_end_matches("/s").trim_end_matches('s'))
        .and_then(|v| v.parse().ok())
}

fn field_or(text: &str, key: &str, what: &str) -> Result<f64, String> {
    field(text, key).ok_or_else(|| format!("{what}: no `{key}=` in its output:\n{text}"))
}

fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 { v[mid] } else { (v[mid - 1] + v[mid]) / 2.0 }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / KIB_PER_MIB
}

fn met(ok: bool) -> &'static str {
    if ok { "**met**" } else { "**missed**" }
}

// ---------------------------------------------------------------------------------------------
// The emulator

/// A running release emulator and what a client needs to reach it.
struct Server {
    /// Stopped when the server is dropped.
    _process: EmulatorProcess,
    endpoint: String,
    admin: String,
    ca: PathBuf,
    project_id: String,
    ak: String,
    sk: String,
}

impl Server {
    fn start(work: &Path, name: &str, jobs: usize, auth: &str, kill_after: &str) -> Result<Self, String> {
        let ca = work.join(format!("ca-{name}.pem"));
        // The emulator refuses to overwrite a file: clear the previous run's CA.
        let _ = fs::remove_file(&ca);
        let jobs = jobs.to_string();
        let process = EmulatorProcess::start(
            &release_bin("modelarts-emulator"),
            &[
                "--tls",
                "--auth",
                auth,
                "--jobs",
                &jobs,
                "--kill-after",
                kill_after,
                "--journal-limit",
                "0",
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
    fn cpu(&self) -> f64 {
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
    fn reset(&self, auth: &str) -> Result<(), String> {
        self.admin("POST", "/reset", None)?;
        self.admin("POST", "/settings", Some(&format!(r#"{{"auth":"{auth}"}}"#)))?;
        Ok(())
    }

    /// The (job, version) of every job's first version, in job order.
    fn versions(&self) -> Result<Vec<(u64, u64)>, String> {
        let text = self.admin("GET", "/jobs", None)?;
        let value: Value = serde_json::from_str(&text).map_err(|e| format!("the admin job list: {e}"))?;
        let jobs = value["jobs"].as_array().ok_or("the admin job list has no `jobs`")?;
        Ok(jobs
            .iter()
            .filter_map(|j| Some((j["job_id"].as_u64()?, j["versions"].get(0)?["version_id"].as_u64()?)))
            .collect())
    }

    /// The environment every client reads (as the official SDKs do).
    fn env(&self, cmd: &mut Command, work: &Path) {
        cmd.env("MODELARTS_ENDPOINT_URL", &self.endpoint)
            .env("MODELARTS_CA_BUNDLE", &self.ca)
            .env("HUAWEICLOUD_SDK_AK", &self.ak)
            .env("HUAWEICLOUD_SDK_SK", &self.sk)
            .env("HUAWEICLOUD_SDK_PROJECT_ID", &self.project_id)
            .env("HUAWEICLOUD_SDK_CREDENTIALS_FILE", work.join("no-credentials-file"))
            .env("HOME", work.join("home"))
            .env_remove("MODELARTS_PROFILE")
            .env_remove("MODELARTS_REGION")
            .env_remove("MODELARTS_OUTPUT")
            .env_remove("HUAWEICLOUD_SDK_REGION")
            .env_remove("RUST_LOG");
    }

    /// A client that signs exactly like the CLI's (for the curl leg).
    fn client(&self) -> Result<Client, String> {
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

/// A process's CPU time so far (user + system seconds, from `/proc/<pid>/stat`; 0 when unreadable).
fn proc_cpu(pid: &str) -> f64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name (which may hold spaces): state (field 3), …, utime (14), stime (15).
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / CLOCK_TICKS
}

fn write_targets(path: &Path, targets: &[(u64, u64)]) -> Result<(), String> {
    let mut text = String::with_capacity(targets.len() * 16);
    for (job, version) in targets {
        let _ = writeln!(text, "{job} {version}");
    }
    fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// 1. Protocol cost

const OPERATIONS: [(&str, &str); 3] = [
    ("stop_request/build_and_sign", "build + sign a stop request"),
    ("version_detail/parse", "parse a version detail (2 KB)"),
    ("job_list_100/parse", "parse a 100-job list page (17 KB)"),
];

/// (pair, operation, Rust ns, Python ns)
type ProtocolRow = (usize, &'static str, f64, f64);

fn protocol_cost(plan: &Plan, tools: &Tools, work: &Path, report: &mut Report) -> Result<(), String> {
    eprintln!("bench: 1/6 protocol cost ({} criterion/Python pairs)", plan.protocol_pairs);
    let (warm_up, measure_secs) = plan.criterion_times;
    let criterion_args = [
        "bench".to_owned(),
        "-p".into(),
        "modelarts-protocol".into(),
        "--bench".into(),
        "protocol".into(),
        "--".into(),
        "--noplot".into(),
        "--warm-up-time".into(),
        warm_up.to_string(),
        "--measurement-time".into(),
        measure_secs.to_string(),
    ];
    let data = root().join("crates/modelarts-protocol/benches/data");
    let script = root().join("xtask/bench/protocol.py");
    let seconds = plan.python_seconds.to_string();
    let mut rows: Vec<ProtocolRow> = Vec::new();
    for pair in 0..plan.protocol_pairs {
        let mut bench = cargo();
        bench.args(&criterion_args);
        let log = measure(&mut bench, false, work)?;
        fs::write(work.join(format!("criterion-{pair}.log")), &log.stdout).map_err(|e| e.to_string())?;
        let mut rust = BTreeMap::new();
        for (id, _) in OPERATIONS {
            // criterion names the directory after the id with `/` replaced by `_`.
            let path = target_dir().join("criterion").join(id.replace('/', "_")).join("new/estimates.json");
            let text = fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
            let value: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let ns = value["median"]["point_estimate"]
                .as_f64()
                .ok_or_else(|| format!("{} has no median", path.display()))?;
            rust.insert(id, ns);
        }
        let mut py = Command::new(&tools.python);
        py.arg(&script)
            .arg(data.join("version_detail.json"))
            .arg(data.join("job_list_100.json"))
            .arg(&seconds)
            .env("HOME", work.join("home"));
        let out = measure(&mut py, false, work)?;
        let value: Value = serde_json::from_str(out.stdout.trim())
            .map_err(|e| format!("protocol.py printed {:?}: {e}", out.stdout))?;
        for (id, _) in OPERATIONS {
            let python = value[id].as_f64().ok_or_else(|| format!("protocol.py gave no {id}"))?;
            rows.push((pair + 1, id, rust[id], python));
        }
    }
    let mut s = String::new();
    let _ = writeln!(s, "## 1. Protocol cost (no I/O)\n");
    let _ = writeln!(
        s,
        "Rust: `{}` (criterion; the median of its samples, read from \
         `target/criterion/<bench_id>/new/estimates.json`). Python: `.venv/bin/python xtask/bench/protocol.py \
         crates/modelarts-protocol/benches/data/version_detail.json …/job_list_100.json {seconds}` (median \
         of 5 `timeit` repeats). The two alternate, {} pairs.\n",
        format_args!("cargo {}", criterion_args.join(" ")),
        plan.protocol_pairs
    );
    let _ = writeln!(
        s,
        "Python side: build + sign is `SdkRequest(...)` for the same POST \
         `https://modelarts.cn-north-4.myhuaweicloud.com/v1/0123…/training-jobs/10/versions/10/stop` with the same \
         headers, then `huaweicloudsdkcore.signer.signer.Signer(credentials).sign(request)` (the SDK takes the \
         time itself with `datetime.utcnow()`; the Rust bench passes a fixed time). Parsing is the SDK's own \
         response path, `client.deserialize(response, Type, None)`: `json.loads(…, parse_float=Decimal)` (the \
         SDK imports simplejson) then `_deserialize` into typed model classes whose `openapi_types` mirror the \
         fields of the same JSON files (the SDK ships no v1 training-job models, so the script defines them in \
         the generated models' shape). The same bytes are parsed on both sides.\n"
    );
    let _ = writeln!(s, "| pair | operation | Rust (µs) | Python (µs) | Python / Rust |");
    let _ = writeln!(s, "|---:|---|---:|---:|---:|");
    for (pair, id, rust, python) in &rows {
        let _ = writeln!(
            s,
            "| {pair} | `{id}` | {:.2} | {:.1} | {:.0}× |",
            rust / 1e3,
            python / 1e3,
            python / rust
        );
    }
    let _ = writeln!(s, "\n**Medians**\n");
    let _ =
        writeln!(s, "| operation | Rust (µs) | Python (µs) | Python / Rust (median of the pairs' ratios) |");
    let _ = writeln!(s, "|---|---:|---:|---:|");
    for (id, what) in OPERATIONS {
        let of = |f: &dyn Fn(&ProtocolRow) -> f64| -> f64 {
            median(&rows.iter().filter(|r| r.1 == id).map(f).collect::<Vec<_>>())
        };
        let rust = of(&|r| r.2);
        let python = of(&|r| r.3);
        let ratio = of(&|r| r.3 / r.2);
        let _ = writeln!(s, "| {what} | {:.2} | {:.1} | **{ratio:.0}×** |", rust / 1e3, python / 1e3);
        report.summary.push((format!("protocol: {what}"), format!("Python/Rust {ratio:.0}×"), String::new()));
    }
    s.push('\n');
    report.sections.push(s);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 2. One stop from the command line

fn one_stop(plan: &Plan, tools: &Tools, work: &Path, report: &mut Report) -> Result<(), String> {
    eprintln!(
        "bench: 2/6 one stop from the command line ({} timed rounds + {} RSS rounds of CLI, curl, Python)",
        plan.single_rounds, plan.single_rss_rounds
    );
    let rounds = plan.single_rounds + plan.single_rss_rounds + 1;
    let server = Server::start(work, "single", rounds * 3, "enforce", "2s")?;
    let mut versions = server.versions()?.into_iter();
    let client = server.client()?;
    let script = root().join("xtask/bench/stop_one.py");
    let modelarts = release_bin("modelarts");
    const LEGS: [&str; 3] = ["modelarts (CLI)", "curl", "Python SDK script"];

    // One command per leg, each for a fresh RUNNING version.
    let mut command = |leg: usize| -> Result<Command, String> {
        let (job, version) = versions.next().ok_or("the emulator ran out of running versions")?;
        let mut cmd = match leg {
            0 => {
                let mut cmd = Command::new(&modelarts);
                cmd.args(["training-job", "stop", &job.to_string(), "--version", &version.to_string()]);
                cmd
            }
            1 => signed_curl(&client, &server, job, version)?,
            _ => {
                let mut cmd = Command::new(&tools.python);
                cmd.arg(&script).arg(job.to_string()).arg(version.to_string());
                cmd
            }
        };
        server.env(&mut cmd, work);
        Ok(cmd)
    };

    // Warm-up (page cache, .pyc files), not recorded.
    for leg in 0..3 {
        measure(&mut command(leg)?, false, work)?;
    }
    let mut walls: Vec<[f64; 3]> = Vec::new();
    for _ in 0..plan.single_rounds {
        let mut row = [0.0; 3];
        for (leg, slot) in row.iter_mut().enumerate() {
            *slot = measure(&mut command(leg)?, false, work)?.wall.as_secs_f64() * 1e3;
        }
        walls.push(row);
    }
    let mut rss: Vec<[u64; 3]> = Vec::new();
    for _ in 0..plan.single_rss_rounds {
        let mut row = [0; 3];
        for (leg, slot) in row.iter_mut().enumerate() {
            *slot = measure(&mut command(leg)?, true, work)?.rss_kib.unwrap_or(0);
        }
        rss.push(row);
    }
    drop(server);

    let mut s = String::new();
    let _ = writeln!(s, "## 2. One stop from the command line\n");
    let _ = writeln!(
        s,
        "Emulator: `target/release/modelarts-emulator --tls --auth enforce --jobs {} --kill-after 2s \
         --journal-limit 0 --log-level error --ca-out target/bench/ca-single.pem` (HTTPS, signatures checked). \
         Every run stops a different RUNNING version. Environment of all three: `MODELARTS_ENDPOINT_URL`, \
         `MODELARTS_CA_BUNDLE`, `HUAWEICLOUD_SDK_AK/_SK/_PROJECT_ID` from the emulator's start line.\n",
        rounds * 3
    );
    let _ = writeln!(s, "- CLI: `target/release/modelarts training-job stop <JOB> --version <VERSION>`");
    let _ = writeln!(
        s,
        "- curl: the request the CLI sends, signed by the xtask just before the run with the SDK's own \
         `Client::signed_request` (the code path the CLI uses; `--dry-run` masks the signature by design, so \
         its line cannot be replayed): `curl --silent --show-error --fail --output /dev/null --cacert <CA> \
         --request POST <ENDPOINT>/v1/<PROJECT>/training-jobs/<JOB>/versions/<VERSION>/stop --header \
         'content-type: application/json' --header 'x-project-id: <PROJECT>' --header 'user-agent: {}' \
         --header 'x-sdk-date: <NOW>' --header 'authorization: SDK-HMAC-SHA256 Access=<AK>, \
         SignedHeaders=…, Signature=<SIG>' --data-binary ''` (HTTP/2, like the CLI)",
        modelarts_sdk::USER_AGENT
    );
    let _ = writeln!(
        s,
        "- Python: `.venv/bin/python xtask/bench/stop_one.py <JOB> <VERSION>` (official SDK, `call_api`)\n"
    );
    let _ = writeln!(
        s,
        "Wall time is measured by the xtask around spawn → exit (one fresh process per run; the three legs \
         alternate, {} rounds after one warm-up round). Peak RSS comes from {} further rounds under \
         `/usr/bin/time -f %M`.\n",
        plan.single_rounds, plan.single_rss_rounds
    );
    let _ = writeln!(s, "| round | CLI (ms) | curl (ms) | Python (ms) | CLI / curl | Python / CLI |");
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|");
    for (i, r) in walls.iter().enumerate() {
        let _ = writeln!(
            s,
            "| {} | {:.1} | {:.1} | {:.1} | {:.2} | {:.1} |",
            i + 1,
            r[0],
            r[1],
            r[2],
            r[0] / r[1],
            r[2] / r[0]
        );
    }
    let col = |i: usize| median(&walls.iter().map(|r| r[i]).collect::<Vec<_>>());
    let cli_curl = median(&walls.iter().map(|r| r[0] / r[1]).collect::<Vec<_>>());
    let py_cli = median(&walls.iter().map(|r| r[2] / r[0]).collect::<Vec<_>>());
    let rss_col = |i: usize| median(&rss.iter().map(|r| mib(r[i])).collect::<Vec<_>>());
    let _ = writeln!(
        s,
        "| **median** | **{:.1}** | **{:.1}** | **{:.1}** | **{cli_curl:.2}** | **{py_cli:.1}** |\n",
        col(0),
        col(1),
        col(2)
    );
    let _ = writeln!(s, "| peak RSS (MiB) | {} |", LEGS.join(" | "));
    let _ = writeln!(s, "|---|---:|---:|---:|");
    for (i, r) in rss.iter().enumerate() {
        let _ = writeln!(s, "| round {} | {:.1} | {:.1} | {:.1} |", i + 1, mib(r[0]), mib(r[1]), mib(r[2]));
    }
    let _ = writeln!(
        s,
        "| **median** | **{:.1}** | **{:.1}** | **{:.1}** |\n",
        rss_col(0),
        rss_col(1),
        rss_col(2)
    );
    let cli_rss = rss_col(0);
    let _ = writeln!(
        s,
        "Aims: CLI within 1.5× of curl: {} ({cli_curl:.2}×); 10× faster than the Python SDK: {} ({py_cli:.1}×); \
         peak RSS under 20 MB: {} ({cli_rss:.1} MiB).\n",
        met(cli_curl <= 1.5),
        met(py_cli >= 10.0),
        met(cli_rss * 1.048_576 < 20.0)
    );
    report.summary.push((
        "one stop: CLI / curl (wall)".into(),
        format!("{cli_curl:.2}×"),
        met(cli_curl <= 1.5).into(),
    ));
    report.summary.push((
        "one stop: Python / CLI (wall)".into(),
        format!("{py_cli:.1}×"),
        met(py_cli >= 10.0).into(),
    ));
    report.summary.push((
        "one stop: CLI peak RSS".into(),
        format!("{cli_rss:.1} MiB"),
        met(cli_rss * 1.048_576 < 20.0).into(),
    ));
    report.sections.push(s);
    Ok(())
}

/// curl sending the request the CLI would send for this stop, signed now.
fn signed_curl(client: &Client, server: &Server, job: u64, version: u64) -> Result<Command, String> {
    let op = StopTrainingJob::new(
        server.project_id.parse().map_err(|e| format!("project id: {e}"))?,
        job.to_string().parse().map_err(|e| format!("job id: {e}"))?,
        version.to_string().parse().map_err(|e| format!("version id: {e}"))?,
    );
    let request = client.signed_request(&op).map_err(|e| format!("signing: {e}"))?;
    let mut cmd = Command::new("curl");
    cmd.args(["--silent", "--show-error", "--fail", "--output", "/dev/null", "--cacert"])
        .arg(&server.ca)
        .args(["--request", request.method().as_str()])
        .arg(request.uri().to_string());
    for (name, value) in request.headers() {
        let value = value.to_str().map_err(|e| format!("header {name}: {e}"))?;
        cmd.arg("--header").arg(format!("{name}: {value}"));
    }
    cmd.arg("--data-binary").arg(String::from_utf8_lossy(request.body()).into_owned());
    Ok(cmd)
}

// ---------------------------------------------------------------------------------------------
// 3. Many stops

const WRK_THREADS: usize = 2;
/// Versions seeded beyond N for wrk's last in-flight requests.
const WRK_SPARE: usize = 512;

/// Runs wrk with `wrk_stop.lua` until every thread has reported to `report_file`, then sends it
/// SIGINT. The returned stdout is `seconds=… successes=… non_2xx=…` from the threads' reports; the
/// peak RSS is read from /proc just before the signal.
fn run_wrk(cmd: &mut Command, report_file: &Path, threads: usize) -> Result<Run, String> {
    fs::write(report_file, "").map_err(|e| format!("writing {}: {e}", report_file.display()))?;
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let child = cmd.spawn().map_err(|e| format!("could not start `{}`: {e}", show(cmd)))?;
    let pid = child.id().to_string();
    let deadline = started + Duration::from_secs(600);
    let report = loop {
        let text = fs::read_to_string(report_file).unwrap_or_default();
        if text.lines().count() >= threads {
            break text;
        }
        if Instant::now() > deadline {
            let _ = Command::new("kill").args(["-INT", &pid]).status();
            let _ = child.wait_with_output();
            return Err(format!("`{}`: no report from its threads after 600 s", show(cmd)));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let wall = started.elapsed();
    let rss_kib = fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()));
    let cpu = proc_cpu(&pid);
    exec(Command::new("kill").args(["-INT", &pid]))?;
    let out = child.wait_with_output().map_err(|e| format!("waiting for wrk: {e}"))?;
    check(cmd, &out)?;
    let (mut first, mut last, mut successes, mut errors) = (f64::INFINITY, 0.0_f64, 0.0, 0.0);
    for line in report.lines() {
        let v: Vec<f64> = line.split_whitespace().filter_map(|x| x.parse().ok()).collect();
        let [start, end, ok, bad] = v[..] else {
            return Err(format!("wrk_stop.lua reported {line:?}"));
        };
        first = first.min(start);
        last = last.max(end);
        successes += ok;
        errors += bad;
    }
    Ok(Run {
        wall,
        rss_kib,
        cpu: Some(cpu),
        stdout: format!("seconds={} successes={successes} non_2xx={errors}", last - first),
    })
}

fn many_stops(plan: &Plan, tools: &Tools, work: &Path, report: &mut Report) -> Result<(), String> {
    let n = plan.many_versions;
    eprintln!("bench: 3/6 {n} stops at concurrency {CONCURRENCY} ({} rounds of 6 legs)", plan.many_rounds);
    // Spare versions for the requests wrk has in flight when it has its count (see wrk_stop.lua).
    let server = Server::start(work, "many", n + WRK_SPARE, "off", "2s")?;
    let all = server.versions()?;
    let targets = &all[..n.min(all.len())];
    let targets_file = work.join("many-targets.txt");
    write_targets(&targets_file, targets)?;
    let paths_file = work.join("many-paths.txt");
    let report_file = work.join("wrk-report.txt");
    let mut paths = String::new();
    for (job, version) in &all {
        let _ = writeln!(paths, "/v1/{}/training-jobs/{job}/versions/{version}/stop", server.project_id);
    }
    fs::write(&paths_file, paths).map_err(|e| e.to_string())?;
    let example = target_dir().join("release/examples/batch_stop");
    let c = CONCURRENCY.to_string();
    let n_text = n.to_string();

    // (column title, auth mode)
    const LEGS: [(&str, &str); 6] = [
        ("SDK, auth off", "off"),
        ("Python, auth off", "off"),
        ("wrk, auth off", "off"),
        ("SDK multi-thread, auth off", "off"),
        ("SDK, auth enforce", "enforce"),
        ("CLI --from-file, auth enforce", "enforce"),
    ];
    let command = |leg: usize| -> Command {
        let mut cmd = match leg {
            0 | 3 | 4 => {
                let mut cmd = Command::new(&example);
                cmd.arg("--targets").arg(&targets_file).arg(&c);
                if leg == 3 {
                    cmd.arg("--multi-thread");
                }
                cmd
            }
            1 => {
                let mut cmd = Command::new(&tools.python);
                cmd.arg(root().join("xtask/bench/batch_stop.py")).arg(&targets_file).arg(&c);
                cmd
            }
            2 => {
                let mut cmd = Command::new("wrk");
                cmd.args(["-t", &WRK_THREADS.to_string(), "-c", &c, "-d", "600s", "--timeout", "30s", "-s"])
                    .arg(root().join("xtask/bench/wrk_stop.lua"))
                    .arg(&server.endpoint)
                    .arg("--")
                    .arg(&paths_file)
                    .arg(&n_text)
                    .arg(WRK_THREADS.to_string())
                    .arg(&report_file);
                cmd
            }
            _ => {
                let mut cmd = Command::new(release_bin("modelarts"));
                cmd.args(["training-job", "stop", "--from-file"]).arg(&targets_file).args([
                    "--concurrency",
                    &c,
                    "--yes",
                    "--output",
                    "json",
                    "--no-progress",
                ]);
                cmd
            }
        };
        server.env(&mut cmd, work);
        cmd
    };

    // rows[round][leg]
    let mut rows: Vec<Vec<ManyRun>> = Vec::new();
    for round in 0..plan.many_rounds {
        let mut row = Vec::new();
        for (i, (name, auth)) in LEGS.iter().enumerate() {
            server.reset(auth)?;
            let before = server.cpu();
            let run = if i == 2 {
                run_wrk(&mut command(i), &report_file, WRK_THREADS)?
            } else {
                measure(&mut command(i), true, work)?
            };
            let server_cpu = server.cpu() - before;
            let what = format!("{name} (round {})", round + 1);
            let (rate, done) = match i {
                0 | 3 | 4 => {
                    let wall = field_or(&run.stdout, "wall", &what)?;
                    (n as f64 / wall, field_or(&run.stdout, "stopped", &what)? as usize)
                }
                1 => {
                    let wall = field_or(&run.stdout, "wall", &what)?;
                    (n as f64 / wall, field_or(&run.stdout, "ok", &what)? as usize)
                }
                2 => {
                    let seconds = field_or(&run.stdout, "seconds", &what)?;
                    let successes = field_or(&run.stdout, "successes", &what)?;
                    (successes / seconds, successes as usize)
                }
                _ => {
                    let ok = run.stdout.lines().filter(|l| l.contains("\"stopped\"")).count();
                    (n as f64 / run.wall.as_secs_f64(), ok)
                }
            };
            if done < n {
                return Err(format!("{what}: only {done} of {n} stops succeeded"));
            }
            eprintln!("  round {} {name}: {rate:.0}/s", round + 1);
            row.push(ManyRun {
                rate,
                wall: run.wall.as_secs_f64(),
                rss_kib: run.rss_kib.unwrap_or(0),
                client_cpu: run.cpu.unwrap_or(f64::NAN),
                server_cpu,
            });
        }
        rows.push(row);
    }
    drop(server);

    let mut s = String::new();
    let _ = writeln!(s, "## 3. Many stops: {n} versions at concurrency {CONCURRENCY}\n");
    let _ = writeln!(
        s,
        "Emulator (its own process, 2 worker threads on this 2-CPU machine, sharing it with the client): \
         `target/release/modelarts-emulator --tls --auth off --jobs {} --kill-after 2s --journal-limit 0 \
         --log-level error` ({WRK_SPARE} spare versions for wrk, see below). Before every leg the xtask resets \
         it (`POST /__emulator/reset`: every version RUNNING again) and sets the auth mode (`POST \
         /__emulator/settings`). Every leg stops the same {n} versions, each once, on the v1 stop route; the \
         legs alternate, {} rounds. Targets file: one `JOB VERSION` per line.\n",
        n + WRK_SPARE,
        plan.many_rounds
    );
    let _ = writeln!(
        s,
        "- SDK: `target/release/examples/batch_stop --targets <FILE> {c}` (`Client::batch_stop`, concurrency \
         {c}, client configured from the environment, current-thread tokio runtime like the CLI's; its own \
         timer around `batch_stop`); \"SDK multi-thread\" adds `--multi-thread` (tokio's default multi-thread \
         runtime, the batch driven from `block_on`)"
    );
    let _ = writeln!(
        s,
        "- Python: `.venv/bin/python xtask/bench/batch_stop.py <FILE> {c}` (one official-SDK client, \
         `ThreadPoolExecutor({c})`, urllib3 pool of {c}; its own timer around the pool)"
    );
    let _ = writeln!(
        s,
        "- wrk: `wrk -t {WRK_THREADS} -c {c} -d 600s --timeout 30s -s xtask/bench/wrk_stop.lua <ENDPOINT> -- \
         <PATHS_FILE> {n} {WRK_THREADS} <REPORT_FILE>` (unsigned POSTs, HTTP/1.1 over {c} connections, a \
         different version per request; each thread stops after its share of the {n} successful stops and \
         writes its CLOCK_MONOTONIC start and end; the xtask then ends wrk with SIGINT, since wrk only stops \
         at the end of `-d`; rate = {n} / (last end − first start). The few requests still in flight when a \
         thread has its share stop spare versions and are not counted. wrk's peak RSS and CPU time are read \
         from `/proc/<pid>` before the signal)"
    );
    let _ = writeln!(
        s,
        "- with signatures checked (`auth enforce`): the same SDK binary, and the CLI as a whole process, \
         `target/release/modelarts training-job stop --from-file <FILE> --concurrency {c} --yes --output json \
         --no-progress` (rate = {n} / process wall time, start-up included)\n"
    );
    let _ = writeln!(
        s,
        "The Rust client speaks HTTP/2 (one connection, {c} streams); the Python SDK and wrk HTTP/1.1. Peak \
         RSS and CPU time are the client process's (`/usr/bin/time -f '%M %U %S'`); emulator CPU is the \
         emulator's user + system time during the leg (`/proc/<pid>/stat`). Rates are stops per second.\n"
    );
    let _ = writeln!(
        s,
        "| round | {} | SDK / wrk | SDK / Python | SDK / SDK multi-thread | enforce / off |",
        LEGS.iter().map(|l| l.0).collect::<Vec<_>>().join(" | ")
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (i, r) in rows.iter().enumerate() {
        let rates: Vec<String> = r.iter().map(|x| format!("{:.0}", x.rate)).collect();
        let _ = writeln!(
            s,
            "| {} | {} | {:.2} | {:.1} | {:.2} | {:.2} |",
            i + 1,
            rates.join(" | "),
            r[0].rate / r[2].rate,
            r[0].rate / r[1].rate,
            r[0].rate / r[3].rate,
            r[4].rate / r[0].rate
        );
    }
    let col = |leg: usize, f: &dyn Fn(&ManyRun) -> f64| {
        median(&rows.iter().map(|r| f(&r[leg])).collect::<Vec<_>>())
    };
    let ratio = |a: usize, b: usize| median(&rows.iter().map(|r| r[a].rate / r[b].rate).collect::<Vec<_>>());
    let (sdk_wrk, sdk_py, sdk_multi, enforce_off) = (ratio(0, 2), ratio(0, 1), ratio(0, 3), ratio(4, 0));
    let medians: Vec<String> = (0..LEGS.len()).map(|l| format!("**{:.0}**", col(l, &|x| x.rate))).collect();
    let _ = writeln!(
        s,
        "| **median** | {} | **{sdk_wrk:.2}** | **{sdk_py:.1}** | **{sdk_multi:.2}** | **{enforce_off:.2}** |\n",
        medians.join(" | ")
    );
    let _ = writeln!(s, "| medians | {} |", LEGS.iter().map(|l| l.0).collect::<Vec<_>>().join(" | "));
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
    let line = |title: &str, f: &dyn Fn(&ManyRun) -> f64, digits: usize| -> String {
        let cells: Vec<String> = (0..LEGS.len()).map(|l| format!("{:.*}", digits, col(l, f))).collect();
        format!("| {title} | {} |", cells.join(" | "))
    };
    let nf = n as f64;
    let _ = writeln!(s, "{}", line("process wall (s)", &|x| x.wall, 2));
    let _ = writeln!(s, "{}", line("client CPU per stop (µs)", &|x| x.client_cpu / nf * 1e6, 0));
    let _ = writeln!(s, "{}", line("emulator CPU per stop (µs)", &|x| x.server_cpu / nf * 1e6, 0));
    let _ = writeln!(s, "{}\n", line("peak RSS (MiB)", &|x| mib(x.rss_kib), 1));
    let _ = writeln!(
        s,
        "Aims: ≥ 70% of the load generator's rate: {} ({:.0}%); 20× the Python SDK's: {} ({sdk_py:.1}×).\n",
        met(sdk_wrk >= 0.7),
        sdk_wrk * 100.0,
        met(sdk_py >= 20.0)
    );
    report.summary.push((
        format!("{n} stops: SDK / wrk (rate)"),
        format!("{:.0}%", sdk_wrk * 100.0),
        met(sdk_wrk >= 0.7).into(),
    ));
    report.summary.push((
        format!("{n} stops: SDK / Python (rate)"),
        format!("{sdk_py:.1}×"),
        met(sdk_py >= 20.0).into(),
    ));
    report.summary.push((
        format!("{n} stops: SDK current-thread / multi-thread runtime"),
        format!("{sdk_multi:.2}×"),
        String::new(),
    ));
    report.summary.push((
        format!("{n} stops: SDK auth enforce / off"),
        format!("{enforce_off:.2}×"),
        String::new(),
    ));
    report.sections.push(s);
    Ok(())
}

/// The transport alone against wrk: `examples/load` (HTTP/1.1, like wrk, and HTTP/2 by ALPN) and
/// `wrk -t1`, the same `show` URL, auth off, concurrency 1 and 64, interleaved.
fn transport_alone(plan: &Plan, work: &Path, report: &mut Report) -> Result<(), String> {
    eprintln!(
        "bench: 6/6 the transport alone vs wrk ({} rounds, concurrency 1 and {CONCURRENCY})",
        plan.transport_rounds
    );
    let server = Server::start(work, "transport", 1, "off", "2s")?;
    let (job, version) = *server.versions()?.first().ok_or("the emulator has no version")?;
    let url = format!("{}/v1/{}/training-jobs/{job}/versions/{version}", server.endpoint, server.project_id);
    let load = release_bin("examples/load");
    let rate_of = |text: &str, key: &str| -> Result<f64, String> {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(key).and_then(|v| v.trim().parse::<f64>().ok()))
            .ok_or_else(|| format!("no `{key}` in:\n{text}"))
    };
    let mut s = String::new();
    let _ = writeln!(s, "## 5. The transport alone against wrk\n");
    let _ = writeln!(
        s,
        "Emulator: one RUNNING version, HTTPS, auth off. URL: `<ENDPOINT>/v1/<PROJECT>/training-jobs/{job}/versions/{version}` \
         (show). Legs, alternating in every round: `target/release/examples/load <URL> --requests N --concurrency C --ca <CA> --http1`, the same \
         without `--http1` (HTTP/2 by ALPN, the default), and `wrk -t1 -cC -d{}s <URL>` (HTTP/1.1). N is sized to run \
         about as long as wrk.\n",
        plan.transport_seconds
    );
    let _ = writeln!(
        s,
        "| C | round | transport HTTP/1.1 (req/s) | transport HTTP/2 (req/s) | wrk (req/s) | HTTP/1.1 / wrk |"
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|");
    for concurrency in [1, CONCURRENCY] {
        let mut ratios = Vec::new();
        let mut h2_ratios = Vec::new();
        for round in 1..=plan.transport_rounds {
            let requests = if concurrency == 1 { 4_000 } else { 20_000 } * plan.transport_seconds;
            let mut rates = Vec::new();
            for http1 in [true, false] {
                let mut cmd = Command::new(&load);
                cmd.arg(&url)
                    .args([
                        "--requests",
                        &requests.to_string(),
                        "--concurrency",
                        &concurrency.to_string(),
                        "--ca",
                    ])
                    .arg(&server.ca);
                if http1 {
                    cmd.arg("--http1");
                }
                rates.push(rate_of(&output(&mut cmd)?, "requests/s:")?);
            }
            let mut wrk = Command::new("wrk");
            wrk.args(["-t1", &format!("-c{concurrency}"), &format!("-d{}s", plan.transport_seconds), &url]);
            let wrk_rate = rate_of(&output(&mut wrk)?, "Requests/sec:")?;
            let ratio = rates[0] / wrk_rate;
            ratios.push(ratio);
            h2_ratios.push(rates[1] / wrk_rate);
            let _ = writeln!(
                s,
                "| {concurrency} | {round} | {:.0} | {:.0} | {wrk_rate:.0} | {ratio:.2} |",
                rates[0], rates[1]
            );
            eprintln!(
                "  round {round} C={concurrency}: HTTP/1.1 {:.0}/s, HTTP/2 {:.0}/s, wrk {wrk_rate:.0}/s",
                rates[0], rates[1]
            );
        }
        let (ratio, h2) = (median(&ratios), median(&h2_ratios));
        report.summary.push((
            format!("transport alone / wrk, C = {concurrency} (HTTP/1.1; HTTP/2)"),
            format!("{:.0}%; {:.0}%", ratio * 100.0, h2 * 100.0),
            met(ratio >= 0.8).into(),
        ));
    }
    let _ = writeln!(
        s,
        "\nAim: the transport reaches at least 80% of the load generator's rate at the same concurrency (compared \
         over HTTP/1.1, wrk's protocol). HTTP/2 puts every request on one connection, which costs on loopback.\n"
    );
    report.sections.push(s);
    Ok(())
}

/// One leg of the many-stops comparison.
struct ManyRun {
    /// Stops per second.
    rate: f64,
    /// Process wall time, seconds.
    wall: f64,
    rss_kib: u64,
    /// Client CPU seconds.
    client_cpu: f64,
    /// Emulator CPU seconds during the leg.
    server_cpu: f64,
}

// ---------------------------------------------------------------------------------------------
// 3b. Stop and wait

fn wait_batch(plan: &Plan, _tools: &Tools, work: &Path, report: &mut Report) -> Result<(), String> {
    let n = plan.wait_versions;
    eprintln!(
        "bench: 4/6 stop --wait of {n} versions that take 2 s to die ({} rounds, concurrency {CONCURRENCY} and {WAIT_WIDE})",
        plan.wait_rounds
    );
    let server = Server::start(work, "wait", n, "enforce", "2s")?;
    let targets = server.versions()?;
    let file = work.join("wait-targets.txt");
    write_targets(&file, &targets)?;
    let widths = [CONCURRENCY, WAIT_WIDE];
    // runs[round][width]
    let mut runs: Vec<Vec<Run>> = Vec::new();
    for _ in 0..plan.wait_rounds {
        let mut row = Vec::new();
        for width in widths {
            server.reset("enforce")?;
            let mut cmd = Command::new(release_bin("modelarts"));
            cmd.args(["training-job", "stop", "--from-file"]).arg(&file).args([
                "--wait",
                "--yes",
                "--concurrency",
                &width.to_string(),
                "--output",
                "json",
                "--no-progress",
            ]);
            server.env(&mut cmd, work);
            let run = measure(&mut cmd, true, work)?;
            let killed = run.stdout.lines().filter(|l| l.contains("\"KILLED\"")).count();
            if killed < n {
                return Err(format!("stop --wait: only {killed} of {n} versions read KILLED"));
            }
            eprintln!("  stop --wait of {n} at concurrency {width}: {:.1?}", run.wall);
            row.push(Run { stdout: String::new(), ..run });
        }
        runs.push(row);
    }
    drop(server);
    let wall = |w: usize| median(&runs.iter().map(|r| r[w].wall.as_secs_f64()).collect::<Vec<_>>());
    let rss = |w: usize| median(&runs.iter().map(|r| mib(r[w].rss_kib.unwrap_or(0))).collect::<Vec<_>>());
    let mut s = String::new();
    let _ = writeln!(s, "## 3b. Stop {n} versions and wait until each is KILLED\n");
    let _ = writeln!(
        s,
        "Emulator: `--tls --auth enforce --jobs {n} --kill-after 2s` (a stopped version reads KILLING, then \
         KILLED 2 s after its stop). Command: `target/release/modelarts training-job stop --from-file <FILE> \
         --wait --yes --concurrency <C> --output json --no-progress` with C = {CONCURRENCY} and {WAIT_WIDE} (the \
         CLI's maximum), alternating; default polling (first poll 2 s after the stop, backing off to 30 s). {} \
         round(s).\n",
        plan.wait_rounds
    );
    let _ = writeln!(
        s,
        "| round | C = {CONCURRENCY}: wall (s) | peak RSS (MiB) | C = {WAIT_WIDE}: wall (s) | peak RSS (MiB) |"
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|");
    for (i, r) in runs.iter().enumerate() {
        let _ = writeln!(
            s,
            "| {} | {:.2} | {:.1} | {:.2} | {:.1} |",
            i + 1,
            r[0].wall.as_secs_f64(),
            mib(r[0].rss_kib.unwrap_or(0)),
            r[1].wall.as_secs_f64(),
            mib(r[1].rss_kib.unwrap_or(0))
        );
    }
    let floor = |c: usize| (n as f64 / c as f64).ceil() * 2.0;
    let _ = writeln!(
        s,
        "| **median** | **{:.2}** | **{:.1}** | **{:.2}** | **{:.1}** |\n\n`batch_stop` holds one of its C slots \
         per version from the stop until the version is KILLED, so {n} versions that take 2 s to die need at \
         least ⌈{n}/C⌉ × 2 s: {:.0} s at C = {CONCURRENCY}, {:.0} s at C = {WAIT_WIDE}. Stopping every version \
         first and then polling them all would take about 2 s plus the stops and one round of polls.\n",
        wall(0),
        rss(0),
        wall(1),
        rss(1),
        floor(CONCURRENCY),
        floor(WAIT_WIDE)
    );
    report.summary.push((
        format!("stop --wait of {n} (2 s to die), C = {CONCURRENCY} / {WAIT_WIDE}"),
        format!("{:.1} s / {:.1} s", wall(0), wall(1)),
        String::new(),
    ));
    report.sections.push(s);
    Ok(())
}

/// The wider concurrency of the `--wait` batch (the CLI's maximum).
const WAIT_WIDE: usize = 256;

// ---------------------------------------------------------------------------------------------
// 4. Scaling

/// One scaling run: the client's process and the emulator's CPU during it.
struct ScaleRun {
    run: Run,
    server_cpu: f64,
}

fn scaling(plan: &Plan, _tools: &Tools, work: &Path, report: &mut Report) -> Result<(), String> {
    eprintln!("bench: 5/6 scaling {:?}", plan.scaling.iter().map(|(n, _)| *n).collect::<Vec<_>>());
    let example = target_dir().join("release/examples/batch_stop");
    let c = CONCURRENCY.to_string();
    // (n, stop runs, list runs)
    let mut results: Vec<(usize, Vec<ScaleRun>, Vec<ScaleRun>)> = Vec::new();
    for &(n, rounds) in plan.scaling {
        let server = Server::start(work, "scaling", n, "enforce", "2s")?;
        let targets = server.versions()?;
        let file = work.join(format!("scaling-{n}.txt"));
        write_targets(&file, &targets)?;
        let mut stops = Vec::new();
        let mut lists = Vec::new();
        for _ in 0..rounds {
            server.reset("enforce")?;
            let mut list = Command::new(release_bin("modelarts"));
            list.args(["training-job", "list", "--all", "--output", "json"]);
            server.env(&mut list, work);
            let before = server.cpu();
            let run = measure(&mut list, true, work)?;
            let server_cpu = server.cpu() - before;
            let listed = serde_json::from_str::<Value>(&run.stdout)
                .ok()
                .and_then(|v| v["jobs"].as_array().map(Vec::len).or_else(|| v.as_array().map(Vec::len)));
            if listed != Some(n) {
                return Err(format!("list --all returned {listed:?} jobs, not {n}"));
            }
            eprintln!("  list --all of {n}: {:.2?}", run.wall);
            lists.push(ScaleRun { run: Run { stdout: String::new(), ..run }, server_cpu });

            let mut stop = Command::new(&example);
            stop.arg("--targets").arg(&file).arg(&c);
            server.env(&mut stop, work);
            let before = server.cpu();
            let run = measure(&mut stop, true, work)?;
            let server_cpu = server.cpu() - before;
            if field_or(&run.stdout, "stopped", "batch_stop")? as usize != n {
                return Err(format!("batch_stop of {n}: {}", run.stdout));
            }
            eprintln!("  batch stop of {n}: {:.2?}", run.wall);
            stops.push(ScaleRun { run, server_cpu });
        }
        drop(server);
        results.push((n, stops, lists));
    }

    let mut s = String::new();
    let _ = writeln!(s, "## 4. Scaling\n");
    let _ = writeln!(
        s,
        "For each N: an emulator with `--tls --auth enforce --jobs N --journal-limit 0`; per round (reset \
         first) `target/release/modelarts training-job list --all --output json` (stdout read through a pipe and \
         checked: N jobs) then `target/release/examples/batch_stop --targets <FILE> {c}`, both under \
         `/usr/bin/time -f '%M %U %S'`. Wall time is the whole client process's (start-up included); client CPU \
         is its user + system time; emulator CPU is the emulator process's user + system time during the run \
         (from `/proc/<pid>/stat`, 10 ms resolution). Medians of the rounds.\n"
    );
    let _ = writeln!(
        s,
        "| N | rounds | batch stop: wall (s) | wall µs / version | client CPU µs / version | emulator CPU (s) | \
         peak RSS (MiB) | list --all: wall (s) | client CPU µs / job | emulator CPU (s) | peak RSS (MiB) |"
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    // (n, stop wall, stop client cpu, stop rss, list wall, list client cpu, list rss)
    let mut rows = Vec::new();
    for (n, stops, lists) in &results {
        let med =
            |runs: &[ScaleRun], f: &dyn Fn(&ScaleRun) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
        let nf = *n as f64;
        let (sw, sc, ss, sm) = (
            med(stops, &|r| r.run.wall.as_secs_f64()),
            med(stops, &|r| r.run.cpu.unwrap_or(f64::NAN)),
            med(stops, &|r| r.server_cpu),
            med(stops, &|r| mib(r.run.rss_kib.unwrap_or(0))),
        );
        let (lw, lc, ls, lm) = (
            med(lists, &|r| r.run.wall.as_secs_f64()),
            med(lists, &|r| r.run.cpu.unwrap_or(f64::NAN)),
            med(lists, &|r| r.server_cpu),
            med(lists, &|r| mib(r.run.rss_kib.unwrap_or(0))),
        );
        let _ = writeln!(
            s,
            "| {n} | {} | {sw:.2} | {:.0} | {:.0} | {ss:.2} | {sm:.1} | {lw:.2} | {:.0} | {ls:.2} | {lm:.1} |",
            stops.len(),
            sw / nf * 1e6,
            sc / nf * 1e6,
            lc / nf * 1e6,
        );
        rows.push((*n, sw, sc, sm, lw, lc, lm));
    }
    // Growth between the two largest sizes: the smallest is dominated by process start-up, and its CPU
    // time can round to 0 at /usr/bin/time's 10 ms resolution.
    if let [.., first, last] = &rows[..]
        && last.0 > first.0
    {
        let scale = last.0 as f64 / first.0 as f64;
        // A CPU time under /usr/bin/time's resolution gives no ratio.
        let g =
            |to: f64, from: f64| if from > 0.0 { format!("×{:.1}", to / from) } else { "n/a".to_owned() };
        let _ = writeln!(
            s,
            "\nFrom {} to {} ({scale:.0}× the versions; linear would be ×{scale:.0}): batch stop wall {}, client CPU \
             {}, peak RSS {}; list --all wall {}, client CPU {}, peak RSS {}.\n",
            first.0,
            last.0,
            g(last.1, first.1),
            g(last.2, first.2),
            g(last.3, first.3),
            g(last.4, first.4),
            g(last.5, first.5),
            g(last.6, first.6)
        );
        report.summary.push((
            format!("scaling {}→{}: batch stop wall / client CPU / RSS", first.0, last.0),
            format!("{} / {} / {}", g(last.1, first.1), g(last.2, first.2), g(last.3, first.3)),
            String::new(),
        ));
        report.summary.push((
            format!("scaling {}→{}: list --all wall / client CPU / RSS", first.0, last.0),
            format!("{} / {} / {}", g(last.4, first.4), g(last.5, first.5), g(last.6, first.6)),
            String::new(),
        ));
    }
    report.sections.push(s);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The report

#[derive(Default)]
struct Report {
    /// (what, figure, aim met?)
    summary: Vec<(String, String, String)>,
    sections: Vec<String>,
}

impl Report {
    fn render(
        &self,
        plan: &Plan,
        tools: &Tools,
        load_before: &str,
        load_after: &str,
        took: Duration,
    ) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Benchmarks\n");
        let _ = writeln!(
            s,
            "Written by `cargo xtask bench{}` ({} mode) in {:.0} s{}. Do not edit by hand: the analysis at the end \
             comes from `xtask/bench/analysis.md`. The source of every comparison is `xtask/src/bench.rs` and \
             `xtask/bench/`.\n",
            if plan.name == "quick" { " --quick" } else { "" },
            plan.name,
            took.as_secs_f64(),
            utc_date().map(|d| format!(", finished {d} UTC")).unwrap_or_default()
        );
        let _ = writeln!(s, "## Machine\n");
        let _ = writeln!(s, "| | |");
        let _ = writeln!(s, "|---|---|");
        for (k, v) in machine() {
            let _ = writeln!(s, "| {k} | {v} |");
        }
        for (k, v) in &tools.versions {
            let _ = writeln!(s, "| {k} | {v} |");
        }
        let _ = writeln!(s, "| load average (1, 5, 15 min) before | {load_before} |");
        let _ = writeln!(s, "| load average after | {load_after} |");
        let _ = writeln!(
            s,
            "\nThe machine is shared with other builds: the load average says how busy it was. Client and \
             emulator run on the same CPUs. Every leg of a comparison alternates with the others, so the ratios \
             (taken within a round) are steadier than the absolute figures.\n"
        );
        let _ = writeln!(s, "## Summary\n");
        let _ = writeln!(s, "| comparison | result | aim |");
        let _ = writeln!(s, "|---|---:|---|");
        for (what, figure, aim) in &self.summary {
            let _ = writeln!(s, "| {what} | {figure} | {aim} |");
        }
        s.push('\n');
        for section in &self.sections {
            s.push_str(section);
        }
        if let Ok(analysis) = fs::read_to_string(root().join("xtask/bench/analysis.md")) {
            s.push_str(&analysis);
        }
        s
    }
}

/// Today's date and time, UTC, from the system clock (`YYYY-MM-DD HH:MM`).
fn utc_date() -> Option<String> {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(format!("{year:04}-{month:02}-{day:02} {:02}:{:02}", rem / 3600, rem % 3600 / 60))
}
