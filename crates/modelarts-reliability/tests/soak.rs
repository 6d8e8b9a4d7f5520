//! A short soak (about 5 s) in `cargo test --workspace`: the same code as `cargo xtask soak`.

use std::time::Duration;

use modelarts_reliability::soak::{SoakConfig, run_blocking};

#[test]
fn a_short_soak_keeps_every_invariant() {
    let config = SoakConfig {
        duration: Duration::from_secs(5),
        fault_rate: 0.25,
        seed: 7,
        batch_size: 100,
        concurrency: 16,
        warmup_batches: 2,
        // A 5 s run is too short for a memory verdict: the figure is printed, the 60 s run checks it.
        max_rss_growth: f64::INFINITY,
        ..SoakConfig::default()
    };
    let report = run_blocking(&config, |_| {}).expect("the soak runs");
    eprintln!("{}", report.render());
    report.check().expect("every invariant holds");
    assert!(report.batches >= 2, "{} batches", report.batches);
    let injected: usize = report.faults.values().sum();
    assert!(injected * 10 >= report.versions, "{injected} faults for {} versions", report.versions);
    // The soak does not wait: an accepted stop is `stop_requested` (KILLING or nothing read).
    let count = |name: &str| report.outcomes.get(name).copied().unwrap_or(0);
    assert!(count("stop_requested") + count("stopped") > report.versions / 2);
    assert!(count("not_found") > 0);
    assert!(count("already_stopped") > 0);
}
