//! `cargo xtask soak`: batches of stops against an in-process HTTPS emulator with a seeded mix of
//! faults, for a bounded time, on loopback only. The logic is `modelarts_reliability::soak` (also
//! run for about 5 s by that crate's `tests/soak.rs`); this task only parses the flags, prints
//! progress and the summary, and fails when an invariant broke.

use std::time::{Duration, Instant};

use modelarts_reliability::soak::{SoakConfig, run_blocking};

/// The flags of `cargo xtask soak`.
#[derive(Debug, clap::Args)]
pub(crate) struct SoakArgs {
    /// How long to run batches, e.g. `60s`, `10m`.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Fraction of versions with an injected fault (0.1 to 0.3 is the intended range).
    #[arg(long, default_value_t = 0.2)]
    faults: f64,
    /// Seed of every random choice (which versions get which fault).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Versions per batch.
    #[arg(long, default_value_t = 200)]
    batch_size: usize,
    /// Stops in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Use HTTP/1.1 only (the default offers HTTP/2, where one connection carries every stop).
    #[arg(long)]
    http1: bool,
    /// Largest allowed resident-memory growth after the warm-up, in percent.
    #[arg(long, default_value_t = 20.0)]
    max_rss_growth: f64,
}

pub(crate) fn run(args: &SoakArgs) -> Result<(), String> {
    if !(0.0..=1.0).contains(&args.faults) {
        return Err(format!("--faults {} is not a fraction between 0 and 1", args.faults));
    }
    let config = SoakConfig {
        duration: args.duration,
        fault_rate: args.faults,
        seed: args.seed,
        batch_size: args.batch_size,
        concurrency: args.concurrency,
        max_rss_growth: args.max_rss_growth / 100.0,
        http2: !args.http1,
        ..SoakConfig::default()
    };
    eprintln!(
        "soak: {:?} of batches of {} (concurrency {}, {}), faults {:.0} %, seed {}",
        config.duration,
        config.batch_size,
        config.concurrency,
        if config.http2 { "HTTP/2 offered" } else { "HTTP/1.1" },
        config.fault_rate * 100.0,
        config.seed
    );
    let mut last_print = Instant::now();
    let report = run_blocking(&config, |so_far| {
        if last_print.elapsed() >= Duration::from_secs(5) {
            last_print = Instant::now();
            let rss = so_far.rss.last().map_or(0.0, |s| s.rss_bytes as f64 / 1048576.0);
            eprintln!(
                "  {:>5.1} s: {} versions, {:.0} stops/s, RSS {rss:.1} MiB, {} violation(s)",
                so_far.elapsed.as_secs_f64(),
                so_far.versions,
                so_far.stops_per_sec(),
                so_far.violations.len()
            );
        }
    })?;
    println!("{}", report.render());
    report.check()
}
