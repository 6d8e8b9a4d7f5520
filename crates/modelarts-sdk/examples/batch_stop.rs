//! Batch-stop benchmark: starts the emulator in-process (HTTPS, AK/SK enforced) with N running
//! versions, stops them all at concurrency C, and prints the wall time and the outcome counts.
//!
//! ```text
//! cargo run --release -p modelarts-sdk --example batch_stop -- [N=10000] [C=64] [--wait]
//! cargo run --release -p modelarts-sdk --example batch_stop -- --targets FILE [C=64] [--wait] [--multi-thread] [--http1]
//! ```
//!
//! With `--wait`, each stop is followed by a wait until KILLED (the emulator kills 200 ms after the
//! stop; polls start at 50 ms).
//!
//! With `--targets FILE` (one target per line: `JOB_ID VERSION_ID` for a v1 version or a v2 job's
//! UUID, as the CLI's `--from-file` reads them; both may be mixed) no emulator is started: the client is
//! configured from the environment (`MODELARTS_ENDPOINT_URL`, `MODELARTS_CA_BUNDLE`,
//! `HUAWEICLOUD_SDK_AK`/`_SK`/`_PROJECT_ID`), so that a server running as its own process is
//! measured, as `cargo xtask bench` does; the client runs on a current-thread runtime, or on a
//! multi-thread one with `--multi-thread`. `--http1` offers only HTTP/1.1 (`TransportConfig::http2 =
//! false`; the pool then opens up to C connections, like wrk) instead of one HTTP/2 connection.
#![allow(clippy::print_stdout, reason = "an example prints its measurements")]

use std::time::{Duration, Instant};

use modelarts_emulator::{Emulator, EmulatorConfig};
use modelarts_sdk::{
    BatchOptions, Client, Credentials, JobId, JobRef, TransportConfig, VersionId, WaitOptions,
};

type BoxError = Box<dyn std::error::Error>;

fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let mut targets_file = None;
    let mut numbers = Vec::new();
    let mut wait = false;
    let mut multi_thread = false;
    let mut http1 = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--targets" => targets_file = Some(args.next().ok_or("--targets needs a FILE")?),
            "--wait" => wait = true,
            "--multi-thread" => multi_thread = true,
            "--http1" => http1 = true,
            other => {
                numbers.push(other.parse::<usize>().map_err(|_| format!("unexpected argument {other:?}"))?)
            }
        }
    }
    if let Some(path) = targets_file {
        // An external server, configured from the environment. The batch is I/O-bound: one thread
        // (as the CLI uses) saves the cross-thread wake-ups of a multi-thread runtime.
        let runtime = if multi_thread {
            tokio::runtime::Builder::new_multi_thread().enable_all().build()?
        } else {
            tokio::runtime::Builder::new_current_thread().enable_all().build()?
        };
        let concurrency = numbers.first().copied().unwrap_or(64);
        let targets = read_targets(&path)?;
        return runtime.block_on(async move {
            let mut transport = TransportConfig::default();
            transport.http2 = !http1;
            transport.pool_max_idle_per_host = transport.pool_max_idle_per_host.max(concurrency);
            let client = Client::builder().transport_config(transport).build()?;
            run(&client, targets, concurrency, wait).await
        });
    }

    // The emulator runs in this process, on the same runtime: give it worker threads.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;

    let n = numbers.first().copied().unwrap_or(10_000);
    let concurrency = numbers.get(1).copied().unwrap_or(64);
    runtime.block_on(async move {
        let emulator = Emulator::start(
            EmulatorConfig::default()
                .tls(true)
                .generate_jobs(n)
                .kill_after(Duration::from_millis(200))
                .journal_limit(0),
        )
        .await?;
        let targets: Vec<JobRef> = emulator
            .state()
            .jobs()
            .iter()
            .filter_map(|j| {
                let v = j.versions.first()?;
                Some(JobRef::V1 {
                    job: JobId::new(j.job_id).ok()?,
                    version: VersionId::new(v.version_id).ok()?,
                })
            })
            .collect();
        let credentials = emulator.credentials();
        let client = Client::builder()
            .endpoint_url(&emulator.endpoint())
            .ca_bundle(emulator.ca_cert_path().ok_or("the emulator has no CA")?)
            .project_id(emulator.project_id())
            .credentials(Credentials::new(&credentials.access_key, &credentials.secret_key))
            .env(|_| None)
            .build()?;
        run(&client, targets, concurrency, wait).await?;
        emulator.shutdown().await;
        Ok(())
    })
}

/// Reads `JOB_ID VERSION_ID` (v1) or UUID (v2) lines (blank lines skipped), as `--from-file` does.
fn read_targets(path: &str) -> Result<Vec<JobRef>, BoxError> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
    let mut targets = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        targets.push(JobRef::parse_line(line).map_err(|e| format!("{path}: {line:?}: {e}"))?);
    }
    Ok(targets)
}

/// Stops every target, then prints the wall time and the outcome counts.
async fn run(client: &Client, targets: Vec<JobRef>, concurrency: usize, wait: bool) -> Result<(), BoxError> {
    let n = targets.len();
    let mut options = BatchOptions::default().with_concurrency(concurrency);
    if wait {
        options = options.with_wait(
            WaitOptions::default()
                .with_max_wait(Duration::from_secs(60))
                .with_min_delay(Duration::from_millis(50))
                .with_max_delay(Duration::from_millis(500)),
        );
    }

    let started = Instant::now();
    let report = client.batch_stop(targets, options, |_| {}).await;
    let wall = started.elapsed();

    let counts = report.counts();
    println!(
        "versions={n} concurrency={concurrency} wait={wait} wall={:.3}s rate={:.0}/s",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64()
    );
    // `name=count` for every outcome, and `done=`: the stops that took effect as asked.
    let names = modelarts_sdk::BatchOutcomeKind::NAMES;
    let each: Vec<String> = names.iter().zip(counts.by_name).map(|(name, n)| format!("{name}={n}")).collect();
    let done = counts.of("stopped") + counts.of("stop_requested");
    println!("done={done} {} total={}", each.join(" "), counts.total());
    if let Some(failure) = report.outcomes.iter().find_map(|o| o.error.as_ref()) {
        println!("first error: {failure}");
    }
    Ok(())
}
