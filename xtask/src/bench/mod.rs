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
//!    and peak RSS; then (2b) the same trio for one v2 terminate by UUID, the Python leg the
//!    official SDK's typed `stop_training_job` (`xtask/bench/terminate_one.py`);
//! 3. many stops: the SDK's `batch_stop` (`examples/batch_stop.rs --targets`) vs the official SDK in
//!    a `ThreadPoolExecutor` (`xtask/bench/batch_stop.py`) vs `wrk` (`xtask/bench/wrk_stop.lua`), same
//!    versions, same route, same concurrency; (3a) the same for a v2 batch terminate by UUID (the
//!    Python leg the typed `stop_training_job`, `xtask/bench/batch_terminate.py`); then `--wait` batches of versions that take 2 s to die,
//!    at 1,000 and 10,000 versions and two concurrencies, with the requests sent (the emulator's
//!    journal);
//! 4. scaling: batch stop and `list --all` at growing numbers of versions; then the streaming list
//!    (`--output jsonl` and `json`) at 10,000 and 100,000 jobs, wall time and peak RSS;
//! 5. the transport alone (`modelarts-transport`'s `examples/load`) vs `wrk` on the same `show` URL,
//!    one request at a time and 64 in flight, over HTTP/1.1 (wrk's protocol) and HTTP/2.
//!
//! Missing tools are installed: `wrk`, `time` and `curl` with apt-get, the official SDK into `.venv`.

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use crate::process::{root, target_dir};

mod list_stream;
mod many_stops;
mod measure;
mod one_stop;
mod one_stop_v2;
mod protocol_cost;
mod report;
mod scaling;
mod server;
mod tools;
mod transport_alone;
mod wait_batch;

use self::list_stream::list_stream;
use self::many_stops::{many_stops, many_stops_v2};
use self::one_stop::one_stop;
use self::one_stop_v2::one_stop_v2;
use self::protocol_cost::protocol_cost;
use self::report::Report;
use self::scaling::scaling;
use self::tools::{Tools, build, load_average};
use self::transport_alone::transport_alone;
use self::wait_batch::wait_batch;

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
    /// (versions, rounds) of the `--wait` batches.
    wait: &'static [(usize, usize)],
    /// (jobs, rounds) of the streaming list.
    list_stream: &'static [(usize, usize)],
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
    wait: &[(1_000, 1)],
    list_stream: &[(1_000, 1), (10_000, 1)],
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
    wait: &[(1_000, 2), (10_000, 1)],
    list_stream: &[(10_000, 3), (100_000, 3)],
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

/// The sections, by the names `--only` takes, in the report's order.
pub(crate) const SECTIONS: [&str; 9] = [
    "protocol",
    "one-stop",
    "one-stop-v2",
    "many-stops",
    "many-stops-v2",
    "wait",
    "scaling",
    "list-stream",
    "transport",
];

pub(crate) fn run(quick: bool, only: Vec<String>, out: Option<PathBuf>) -> Result<(), String> {
    let plan = if quick { &QUICK } else { &FULL };
    if let Some(bad) = only.iter().find(|s| !SECTIONS.contains(&s.as_str())) {
        return Err(format!("unknown section {bad:?} (expected one of {})", SECTIONS.join(", ")));
    }
    let runs = |section: &str| only.is_empty() || only.iter().any(|s| s == section);
    let started = Instant::now();
    let out = out.unwrap_or_else(|| {
        if !only.is_empty() {
            target_dir().join(format!("bench/benchmarks-{}-{}.md", plan.name, only.join("-")))
        } else if quick {
            target_dir().join("bench/benchmarks-quick.md")
        } else {
            root().join("docs/benchmarks.md")
        }
    });
    let work = target_dir().join("bench");
    fs::create_dir_all(work.join("home")).map_err(|e| format!("creating {}: {e}", work.display()))?;

    let tools = Tools::ensure()?;
    build(runs("protocol"))?;
    let load_before = load_average();
    let mut report = Report::default();

    if runs("protocol") {
        protocol_cost(plan, &tools, &work, &mut report)?;
    }
    if runs("one-stop") {
        one_stop(plan, &tools, &work, &mut report)?;
    }
    if runs("one-stop-v2") {
        one_stop_v2(plan, &tools, &work, &mut report)?;
    }
    if runs("many-stops") {
        many_stops(plan, &tools, &work, &mut report)?;
    }
    if runs("many-stops-v2") {
        many_stops_v2(plan, &tools, &work, &mut report)?;
    }
    if runs("wait") {
        wait_batch(plan, &tools, &work, &mut report)?;
    }
    if runs("scaling") {
        scaling(plan, &tools, &work, &mut report)?;
    }
    if runs("list-stream") {
        list_stream(plan, &work, &mut report)?;
    }
    if runs("transport") {
        transport_alone(plan, &work, &mut report)?;
    }

    let load_after = load_average();
    let text = report.render(plan, &tools, &load_before, &load_after, started.elapsed());
    if let Some(dir) = out.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    fs::write(&out, text).map_err(|e| format!("writing {}: {e}", out.display()))?;
    eprintln!("bench ({}) finished in {:.0?}; wrote {}", plan.name, started.elapsed(), out.display());
    Ok(())
}
