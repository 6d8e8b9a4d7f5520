//! The soak: batches of stops through [`Client::batch_stop`] against an in-process HTTPS emulator,
//! with a seeded random mix of faults, checked after every batch.
//!
//! Each batch seeds `batch_size` fresh versions (new job ids, never reused): most RUNNING, about 3 %
//! already KILLED, about 2 % never created (unknown job). A fraction `fault_rate` of the versions gets
//! a fault script drawn from [`FAULTS`] (fixed per version by the seed). A new [`Client`] stops the
//! batch (one client per batch, like one CLI run: the client's retry quota is meant to stop a
//! client hammering a failing endpoint, and a single client under sustained 20 % faults would run
//! dry and fail fast, which is not what this run measures). Then:
//!
//! - every version has exactly one outcome (one `Finished` event, one report entry, in order);
//! - no version was moved to KILLING more than once (journal `effective_stop`, summed over the whole
//!   run, stragglers included);
//! - every version reported `stopped`/`already_stopped` is KILLED in the emulator (a stopped status
//!   was read), and every one reported `stop_requested`/`already_stopping` is KILLING or KILLED; one
//!   whose stop was plainly accepted was stopped exactly once and was not KILLED before;
//! - an unknown version is never reported stopped, and only an unknown one is reported not found.
//!
//! A version reported `stopped` or `stop_requested` after an ambiguous failure (`StopOutcome::ConfirmedByStatus`: the
//! answer was lost, the status read showed KILLING or KILLED) may have been stopped already: the
//! client cannot tell. Those are counted, not flagged.
//! - after the warm-up, resident memory (`VmRSS`, client and emulator together) does not grow more
//!   than `max_rss_growth` above the level at the end of the warm-up.
//!
//! The journal is drained and the jobs removed after each batch, so the emulator's memory is
//! bounded by a batch, and growth points at the client stack.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use modelarts_emulator::{
    Emulator, EmulatorConfig, FaultScript, FaultStep, JobSeed, RouteSelector, RunningEmulator, VersionSeed,
    status,
};
use modelarts_sdk::{
    BatchEvent, BatchOptions, BatchOutcomeKind, Client, Credentials, JobId, StopOutcome, TransportConfig,
    VersionId,
};

/// Settings of a soak run.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    /// How long to run batches (the last batch finishes after this).
    pub duration: Duration,
    /// Fraction of versions with a fault script, 0 to 1 (e.g. 0.2).
    pub fault_rate: f64,
    /// Seed of every random choice.
    pub seed: u64,
    /// Versions per batch.
    pub batch_size: usize,
    /// Stops in flight at once.
    pub concurrency: usize,
    /// The client's attempt timeout (the stall faults last longer).
    pub attempt_timeout: Duration,
    /// Offer HTTP/2 (the SDK's default). Over HTTP/2 all stops share one connection, so a reset
    /// fault fails every stop in flight on it; over HTTP/1.1 each stop has its own connection.
    pub http2: bool,
    /// Batches before the memory baseline is taken (at least this many, and at least 20 % of the
    /// duration).
    pub warmup_batches: usize,
    /// Largest allowed RSS growth over the baseline, as a fraction (0.2 = 20 %).
    pub max_rss_growth: f64,
}

impl Default for SoakConfig {
    fn default() -> Self {
        Self {
            duration: Duration::from_secs(60),
            fault_rate: 0.2,
            seed: 1,
            batch_size: 200,
            concurrency: 32,
            attempt_timeout: Duration::from_millis(1000),
            http2: true,
            warmup_batches: 3,
            max_rss_growth: 0.2,
        }
    }
}

/// The stall of the `stall_*` faults; longer than the default attempt timeout.
const STALL_MS: u64 = 1500;
/// The client's response size cap in the soak, and the `oversized` fault's size beyond it.
const BODY_CAP: usize = 256 << 10;

/// Builds the fault scripts of one fault for a job and version.
pub type FaultBuilder = fn(u64, u64) -> Vec<FaultScript>;

/// Every fault the soak draws from: a name and the scripts it installs for one version.
pub const FAULTS: &[(&str, FaultBuilder)] = &[
    ("stop_500", |j, v| stop(j, v, vec![FaultStep::status(500)])),
    ("stop_502", |j, v| stop(j, v, vec![FaultStep::status(502)])),
    ("stop_503", |j, v| stop(j, v, vec![FaultStep::status(503)])),
    ("stop_504", |j, v| stop(j, v, vec![FaultStep::status(504)])),
    ("stop_503_persistent", |j, v| stop(j, v, vec![FaultStep::status(503); 5])),
    ("stop_429_retry_after", |j, v| stop(j, v, vec![FaultStep::throttle(Some(1))])),
    ("stop_429", |j, v| stop(j, v, vec![FaultStep::throttle(None)])),
    ("stop_reset_before", |j, v| stop(j, v, vec![FaultStep::reset_before()])),
    ("stop_reset_after_effect", |j, v| stop(j, v, vec![FaultStep::reset_after_effect()])),
    ("stop_stall_headers", |j, v| stop(j, v, vec![FaultStep::delay_ms(STALL_MS)])),
    ("stop_stall_body", |j, v| stop(j, v, vec![FaultStep::trickle(STALL_MS)])),
    ("stop_truncated", |j, v| stop(j, v, vec![FaultStep::truncated()])),
    ("stop_incomplete_body", |j, v| stop(j, v, vec![FaultStep::incomplete_body()])),
    ("stop_html_502", |j, v| stop(j, v, vec![FaultStep::html_502()])),
    ("stop_oversized", |j, v| stop(j, v, vec![FaultStep::oversized(BODY_CAP + 1024)])),
    ("stop_wrong_content_type", |j, v| stop(j, v, vec![FaultStep::wrong_content_type()])),
    ("stop_500_then_show_503", |j, v| {
        let mut scripts = stop(j, v, vec![FaultStep::status(500)]);
        scripts.push(script(RouteSelector::Show, j, v, vec![FaultStep::status(503); 5]));
        scripts
    }),
    ("stop_reset_after_effect_then_show_truncated", |j, v| {
        let mut scripts = stop(j, v, vec![FaultStep::reset_after_effect()]);
        scripts.push(script(RouteSelector::Show, j, v, vec![FaultStep::truncated()]));
        scripts
    }),
];

fn script(route: RouteSelector, job: u64, version: u64, steps: Vec<FaultStep>) -> FaultScript {
    steps.into_iter().fold(FaultScript::new(route).job(job).version(version), FaultScript::step)
}

fn stop(job: u64, version: u64, steps: Vec<FaultStep>) -> Vec<FaultScript> {
    vec![script(RouteSelector::Stop, job, version, steps)]
}

/// What a version was seeded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Running,
    AlreadyKilled,
    Unknown,
}

/// One memory sample.
#[derive(Debug, Clone, Copy)]
pub struct RssSample {
    /// Time since the start.
    pub at: Duration,
    /// Versions stopped so far.
    pub versions: usize,
    /// `VmRSS` in bytes.
    pub rss_bytes: u64,
}

/// The result of a soak run.
#[derive(Debug, Clone, Default)]
pub struct SoakReport {
    /// Batches run.
    pub batches: usize,
    /// Versions targeted.
    pub versions: usize,
    /// Faults injected, per name.
    pub faults: BTreeMap<&'static str, usize>,
    /// Outcomes, per kind name (`stopped`, `already_stopped`, `not_found`, `failed`, …).
    pub outcomes: BTreeMap<&'static str, usize>,
    /// Outcomes of the versions that had a fault, per kind name.
    pub faulted_outcomes: BTreeMap<&'static str, usize>,
    /// Versions reported stopped because the status read after an ambiguous failure showed KILLING
    /// or KILLED (`StopOutcome::ConfirmedByStatus`).
    pub confirmed_by_status: usize,
    /// Of those, versions that were already KILLED before the batch (the ambiguity the SDK cannot
    /// resolve: reported stopped, though this batch did not stop them).
    pub confirmed_already_killed: usize,
    /// Requests the emulator answered (or dropped), in all.
    pub requests: usize,
    /// Requests that moved a version to KILLING.
    pub effective_stops: usize,
    /// Wall time of the batches (without the checks between them).
    pub batch_time: Duration,
    /// Wall time in all.
    pub elapsed: Duration,
    /// Memory samples, one after each batch.
    pub rss: Vec<RssSample>,
    /// The memory baseline (at the end of the warm-up), bytes.
    pub rss_baseline: Option<u64>,
    /// The largest sample, bytes.
    pub rss_peak: Option<u64>,
    /// Every broken invariant (empty when the run passed).
    pub violations: Vec<String>,
}

impl SoakReport {
    /// Targets per second of batch time.
    pub fn stops_per_sec(&self) -> f64 {
        let secs = self.batch_time.as_secs_f64();
        if secs > 0.0 { self.versions as f64 / secs } else { 0.0 }
    }

    /// RSS growth after the warm-up: (largest sample after the baseline − baseline) / baseline.
    pub fn rss_growth(&self) -> Option<f64> {
        let baseline = self.rss_baseline?;
        let after = self.rss.iter().skip_while(|s| s.rss_bytes != baseline).map(|s| s.rss_bytes).max()?;
        Some((after as f64 - baseline as f64) / baseline as f64)
    }

    /// `Ok` when no invariant broke.
    pub fn check(&self) -> Result<(), String> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(format!("{} violation(s):\n  {}", self.violations.len(), self.violations.join("\n  ")))
        }
    }

    /// A plain-text summary.
    pub fn render(&self) -> String {
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        let injected: usize = self.faults.values().sum();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "versions {} in {} batches, {:.1} s ({:.1} s in batches): {:.0} stops/s",
            self.versions,
            self.batches,
            self.elapsed.as_secs_f64(),
            self.batch_time.as_secs_f64(),
            self.stops_per_sec()
        );
        let _ = writeln!(
            out,
            "faults injected {injected} ({:.1} % of versions), requests {}, effective stops {}",
            100.0 * injected as f64 / self.versions.max(1) as f64,
            self.requests,
            self.effective_stops
        );
        let _ = writeln!(
            out,
            "outcomes: {} (stopped after an ambiguous failure, confirmed by a status read: {}, of which already KILLED before: {})",
            counts(&self.outcomes),
            self.confirmed_by_status,
            self.confirmed_already_killed
        );
        let _ = writeln!(out, "outcomes of faulted versions: {}", counts(&self.faulted_outcomes));
        let _ = writeln!(out, "faults: {}", counts(&self.faults));
        if let (Some(base), Some(peak)) = (self.rss_baseline, self.rss_peak) {
            let first = self.rss.first().map_or(0, |s| s.rss_bytes);
            let last = self.rss.last().map_or(0, |s| s.rss_bytes);
            let _ = writeln!(
                out,
                "RSS MiB: first {:.1}, baseline {:.1}, peak {:.1}, last {:.1}, growth after warm-up {:+.1} %",
                mib(first),
                mib(base),
                mib(peak),
                mib(last),
                100.0 * self.rss_growth().unwrap_or(0.0)
            );
        }
        match self.check() {
            Ok(()) => out.push_str("invariants: all held\n"),
            Err(e) => {
                let _ = writeln!(out, "invariants: {e}");
            }
        }
        out
    }
}

fn counts(map: &BTreeMap<&'static str, usize>) -> String {
    map.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
}

/// Runs a soak on a new multi-thread runtime (two workers) and returns its report; `progress` gets
/// the report so far after every batch.
pub fn run_blocking(config: &SoakConfig, progress: impl FnMut(&SoakReport)) -> Result<SoakReport, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    runtime.block_on(run(config, progress))
}

/// Runs a soak on the current (multi-thread) runtime.
pub async fn run(config: &SoakConfig, mut progress: impl FnMut(&SoakReport)) -> Result<SoakReport, String> {
    if !(0.0..=1.0).contains(&config.fault_rate) {
        return Err(format!("the fault rate {} is not between 0 and 1", config.fault_rate));
    }
    if config.batch_size == 0 || config.concurrency == 0 {
        return Err("the batch size and the concurrency must be at least 1".into());
    }
    let emulator = Emulator::start(
        EmulatorConfig::default()
            .tls(true)
            .random_seed(config.seed)
            .kill_after(Duration::from_millis(300))
            .journal_limit(config.batch_size * 20),
    )
    .await
    .map_err(|e| format!("cannot start the emulator: {e}"))?;
    let mut rng = fastrand::Rng::with_seed(config.seed);
    let mut report = SoakReport::default();
    // Effective stops per job id over the whole run (job ids are consecutive from FIRST_JOB).
    let mut effective: Vec<u8> = Vec::new();
    let started = Instant::now();
    let warmup_until = config.duration.mul_f64(0.2);
    let mut next_job = FIRST_JOB;
    while started.elapsed() < config.duration || report.batches == 0 {
        let batch = Batch::seed(&emulator, config, &mut rng, &mut next_job, &mut report);
        let batch_started = Instant::now();
        batch.run(&emulator, config, &mut report, &mut effective).await?;
        report.batch_time += batch_started.elapsed();
        report.batches += 1;
        if let Some(rss_bytes) = crate::rss::current_rss_bytes() {
            report.rss.push(RssSample { at: started.elapsed(), versions: report.versions, rss_bytes });
            report.rss_peak = report.rss_peak.max(Some(rss_bytes));
            if report.rss_baseline.is_none()
                && report.batches >= config.warmup_batches
                && started.elapsed() >= warmup_until
            {
                report.rss_baseline = Some(rss_bytes);
            }
        }
        report.elapsed = started.elapsed();
        progress(&report);
    }
    // Stragglers (a stalled request still sleeping in the emulator) end within the stall time.
    tokio::time::sleep(Duration::from_millis(STALL_MS + 200)).await;
    drain_journal(&emulator, &mut report, &mut effective);
    emulator.shutdown().await;
    for (offset, count) in effective.iter().enumerate() {
        if *count > 1 {
            report.violations.push(format!("job {} was stopped {count} times", FIRST_JOB + offset as u64));
        }
    }
    if let Some(growth) = report.rss_growth()
        && growth > config.max_rss_growth
    {
        report.violations.push(format!(
            "resident memory grew {:.1} % after the warm-up (limit {:.0} %)",
            growth * 100.0,
            config.max_rss_growth * 100.0
        ));
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

const FIRST_JOB: u64 = 1_000_000;
const VERSION: u64 = 1;

/// One batch: the versions and what each was seeded as.
struct Batch {
    targets: Vec<(u64, Kind, Option<&'static str>)>,
}

impl Batch {
    fn seed(
        emulator: &RunningEmulator,
        config: &SoakConfig,
        rng: &mut fastrand::Rng,
        next_job: &mut u64,
        report: &mut SoakReport,
    ) -> Self {
        let mut targets = Vec::with_capacity(config.batch_size);
        let mut seeds = Vec::with_capacity(config.batch_size);
        let state = emulator.state();
        for _ in 0..config.batch_size {
            let job = *next_job;
            *next_job += 1;
            let kind = match rng.u32(0..100) {
                0..=1 => Kind::Unknown,
                2..=4 => Kind::AlreadyKilled,
                _ => Kind::Running,
            };
            match kind {
                Kind::Running => seeds.push(JobSeed::running(job, VERSION)),
                Kind::AlreadyKilled => {
                    seeds.push(JobSeed::new(job).version(VersionSeed::new(VERSION).status(status::KILLED)));
                }
                Kind::Unknown => {}
            }
            let fault = (rng.f64() < config.fault_rate).then(|| FAULTS[rng.usize(..FAULTS.len())]);
            if let Some((name, scripts)) = fault {
                for script in scripts(job, VERSION) {
                    // The scripts are built valid; a refusal would be a bug in this table.
                    if let Err(e) = state.add_faults(script) {
                        report.violations.push(format!("fault {name} refused by the emulator: {e}"));
                    }
                }
                *report.faults.entry(name).or_default() += 1;
            }
            targets.push((job, kind, fault.map(|(name, _)| name)));
        }
        state.seed_jobs(seeds);
        report.versions += targets.len();
        Self { targets }
    }

    async fn run(
        self,
        emulator: &RunningEmulator,
        config: &SoakConfig,
        report: &mut SoakReport,
        effective: &mut Vec<u8>,
    ) -> Result<(), String> {
        let c = emulator.credentials();
        let mut transport = TransportConfig::default();
        transport.max_response_body_bytes = BODY_CAP;
        transport.proxy = modelarts_transport::ProxyConfig::None;
        transport.http2 = config.http2;
        let client = Client::builder()
            .endpoint_url(&emulator.endpoint())
            .ca_bundle(emulator.ca_cert_path().ok_or("the emulator has no CA file")?)
            .project_id(emulator.project_id())
            .credentials(Credentials::new(&c.access_key, &c.secret_key))
            .env(|_| None)
            .transport_config(transport)
            .timeout(config.attempt_timeout)
            .build()
            .map_err(|e| format!("cannot build the client: {e}"))?;
        let targets: Vec<modelarts_sdk::JobRef> = self
            .targets
            .iter()
            .map(|(job, _, _)| {
                Ok(modelarts_sdk::JobRef::V1 { job: JobId::new(*job)?, version: VersionId::new(VERSION)? })
            })
            .collect::<Result<_, modelarts_protocol::ids::IdError>>()
            .map_err(|e| format!("invalid id: {e}"))?;
        let finished = Mutex::new(vec![0u32; targets.len()]);
        let options = BatchOptions::default().with_concurrency(config.concurrency);
        let batch = client
            .batch_stop(targets, options, |event| {
                if let BatchEvent::Finished { index, .. } = event
                    && let Ok(mut counts) = finished.lock()
                    && let Some(n) = counts.get_mut(*index)
                {
                    *n += 1;
                }
            })
            .await;
        drop(client);
        let finished = finished.into_inner().unwrap_or_default();
        let journal_effective = drain_journal(emulator, report, effective);

        if batch.outcomes.len() != self.targets.len() {
            report.violations.push(format!(
                "a batch of {} reported {} outcomes",
                self.targets.len(),
                batch.outcomes.len()
            ));
        }
        let state = emulator.state();
        for (i, ((job, kind, fault), outcome)) in self.targets.iter().zip(&batch.outcomes).enumerate() {
            let what = format!("job {job} ({kind:?}, fault {})", fault.unwrap_or("none"));
            let same_job =
                matches!(&outcome.target, modelarts_sdk::JobRef::V1 { job: j, .. } if j.get() == *job);
            if outcome.index != i || !same_job {
                report.violations.push(format!("{what}: outcome {i} is for index {}", outcome.index));
            }
            if finished.get(i) != Some(&1) {
                report.violations.push(format!("{what}: {:?} Finished events", finished.get(i)));
            }
            let name = outcome.kind.name();
            *report.outcomes.entry(name).or_default() += 1;
            if fault.is_some() {
                *report.faulted_outcomes.entry(name).or_default() += 1;
            }
            let status_now = state.version_status(*job, VERSION);
            let stops_here = journal_effective.get(job).copied().unwrap_or(0);
            let (stopped, requested) = match outcome.kind {
                BatchOutcomeKind::Stopped(_) | BatchOutcomeKind::AlreadyStopped(_) => (true, false),
                BatchOutcomeKind::StopRequested { .. } | BatchOutcomeKind::AlreadyStopping { .. } => {
                    (false, true)
                }
                _ => (false, false),
            };
            if stopped && status_now != Some(status::KILLED) {
                report.violations.push(format!(
                    "{what}: reported {name} but the emulator has it {}",
                    status_now.map_or("missing", status::name)
                ));
            }
            match outcome.kind {
                _ if stopped || requested => {
                    if !matches!(status_now, Some(status::KILLING | status::KILLED)) {
                        report.violations.push(format!(
                            "{what}: reported {name} but the emulator has it {}",
                            status_now.map_or("missing", status::name)
                        ));
                    }
                    if *kind == Kind::Unknown {
                        report
                            .violations
                            .push(format!("{what}: reported {name} for a version that does not exist"));
                    }
                }
                _ => {}
            }
            if matches!(outcome.kind, BatchOutcomeKind::Stopped(_) | BatchOutcomeKind::StopRequested { .. }) {
                // After an ambiguous failure (answer lost or garbled) the status read cannot tell
                // "my stop did it" from "it was already stopped": the SDK reports
                // `ConfirmedByStatus`, counted as stopped. Only a plain acceptance is proof.
                if outcome.stop == Some(StopOutcome::Accepted) {
                    if *kind == Kind::AlreadyKilled {
                        report.violations.push(format!("{what}: stop accepted, but it was KILLED before"));
                    }
                    if stops_here != 1 {
                        report
                            .violations
                            .push(format!("{what}: stop accepted with {stops_here} effective stops"));
                    }
                } else {
                    report.confirmed_by_status += 1;
                    if *kind == Kind::AlreadyKilled {
                        report.confirmed_already_killed += 1;
                    }
                }
            }
            if outcome.kind == BatchOutcomeKind::NotFound && *kind != Kind::Unknown {
                report.violations.push(format!("{what}: reported not found"));
            }
        }
        state.clear_jobs();
        state.clear_faults();
        Ok(())
    }
}

/// Takes the journal: counts requests and effective stops (per job, into `effective`, indexed from
/// [`FIRST_JOB`]); returns this drain's effective stops per job.
fn drain_journal(
    emulator: &RunningEmulator,
    report: &mut SoakReport,
    effective: &mut Vec<u8>,
) -> BTreeMap<u64, usize> {
    let mut here = BTreeMap::new();
    for entry in emulator.state().take_journal() {
        report.requests += 1;
        if !entry.effective_stop {
            continue;
        }
        report.effective_stops += 1;
        let Some(job) = entry.job_id else { continue };
        *here.entry(job).or_default() += 1;
        let Some(offset) = job.checked_sub(FIRST_JOB).and_then(|o| usize::try_from(o).ok()) else {
            continue;
        };
        if effective.len() <= offset {
            effective.resize(offset + 1, 0);
        }
        effective[offset] = effective[offset].saturating_add(1);
    }
    here
}
