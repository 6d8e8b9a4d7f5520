//! Batch-stop benchmark: starts the emulator in-process (HTTPS, AK/SK enforced) with N running
//! versions, stops them all at concurrency C, and prints the wall time and the outcome counts.
//!
//! ```text
//! cargo run --release -p modelarts-sdk --example batch_stop -- [N=10000] [C=64] [--wait]
//! ```
//!
//! With `--wait`, each stop is followed by a wait until KILLED (the emulator kills 200 ms after the
//! stop; polls start at 50 ms).
#![allow(clippy::print_stdout, reason = "an example prints its measurements")]

use std::time::{Duration, Instant};

use modelarts_emulator::{Emulator, EmulatorConfig};
use modelarts_sdk::{BatchOptions, Client, Credentials, JobId, VersionId, WaitOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let numbers: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let n = numbers.first().copied().unwrap_or(10_000);
    let concurrency = numbers.get(1).copied().unwrap_or(64);
    let wait = args.iter().any(|a| a == "--wait");

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let emulator = Emulator::start(
            EmulatorConfig::default()
                .tls(true)
                .generate_jobs(n)
                .kill_after(Duration::from_millis(200))
                .journal_limit(0),
        )
        .await?;
        let targets: Vec<(JobId, VersionId)> = emulator
            .state()
            .jobs()
            .iter()
            .filter_map(|j| {
                let v = j.versions.first()?;
                Some((JobId::new(j.job_id).ok()?, VersionId::new(v.version_id).ok()?))
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
        let options = BatchOptions {
            concurrency,
            wait: wait.then(|| WaitOptions {
                max_wait: Duration::from_secs(60),
                min_delay: Duration::from_millis(50),
                max_delay: Duration::from_millis(500),
            }),
            strict: false,
        };

        let started = Instant::now();
        let report = client.batch_stop(targets, options, |_| {}).await;
        let wall = started.elapsed();

        let counts = report.counts();
        println!(
            "versions={n} concurrency={concurrency} wait={wait} wall={:.3}s rate={:.0}/s",
            wall.as_secs_f64(),
            n as f64 / wall.as_secs_f64()
        );
        println!(
            "stopped={} already_stopped={} not_found={} failed={} wait_timed_out={} ended_otherwise={} total={}",
            counts.stopped,
            counts.already_stopped,
            counts.not_found,
            counts.failed,
            counts.wait_timed_out,
            counts.ended_otherwise,
            counts.total()
        );
        if let Some(failure) = report.outcomes.iter().find_map(|o| o.error.as_ref()) {
            println!("first error: {failure}");
        }
        emulator.shutdown().await;
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}
