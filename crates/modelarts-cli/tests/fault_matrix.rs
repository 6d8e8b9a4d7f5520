//! The fault matrix: one stop of a RUNNING v1 version (or, in the `v2:` rows, one terminate of a
//! Running v2 job) under every fault the emulator can inject, through the SDK
//! (`Client::stop_training_job` / `Client::terminate_training_job`, default retry policy) and
//! through the CLI (`modelarts training-job stop`), each against its own fresh emulator over HTTPS.
//!
//! Every row states what we expect (SDK result, requests the server saw, effective stops, CLI exit
//! code) and the test fails if the observation differs. The observed table is also compared with the
//! `fault-matrix` section of `docs/reliability.md`; `UPDATE_DOCS=1` rewrites it.

// Test helpers may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use modelarts_emulator::{
    Emulator, EmulatorConfig, FaultScript, FaultStep, JobSeed, Route, RouteSelector, RunningEmulator,
    V2JobSeed, V2Phase, status,
};
use modelarts_reliability::docs;
use modelarts_sdk::{Client, Credentials, Error, JobId, StopOutcome, VersionId};

/// The v2 job of the `v2:` rows, and one that does not exist.
const V2_JOB: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
const V2_UNKNOWN: &str = "00000000-0000-4000-8000-000000000099";

mod common;

use common::BIN;

const JOB: u64 = 10;
const VERSION: u64 = 20;
/// The attempt timeout of the stall rows (the stall is longer).
const STALL_TIMEOUT: Duration = Duration::from_millis(1000);
const STALL: u64 = 2000;

#[derive(Clone, Copy)]
enum Setup {
    /// A RUNNING version and these fault scripts.
    Faults(fn() -> Vec<FaultScript>),
    /// Nothing listens on the port.
    Refused,
    /// The emulator's clock is this far ahead of ours.
    ClockAhead(i64),
    /// The client signs with a wrong secret key.
    WrongSecret,
    /// The job does not exist.
    UnknownJob,
    /// The v2 job is already Terminated (and these fault scripts).
    V2Terminated,
}

/// Which API a row stops through.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Api {
    V1,
    V2,
}

struct Row {
    api: Api,
    fault: &'static str,
    injected: &'static str,
    setup: Setup,
    /// What should happen, in words (the doc's "expected" column).
    why: &'static str,
    /// The SDK's result as [`describe`] prints it.
    sdk: &'static str,
    /// Requests the server saw during the SDK's stop: (stop, show).
    requests: (usize, usize),
    /// Requests that moved the version to KILLING (journal `effective_stop`).
    effective: usize,
    /// The CLI's exit code.
    exit: i32,
    /// A per-attempt timeout for the stall rows.
    timeout: Option<Duration>,
}

fn once(step: FaultStep) -> Vec<FaultScript> {
    vec![FaultScript::new(RouteSelector::Stop).step(step)]
}

fn always(step: FaultStep) -> Vec<FaultScript> {
    vec![FaultScript::new(RouteSelector::Stop).repeat(step, 10)]
}

fn v2_once(step: FaultStep) -> Vec<FaultScript> {
    vec![FaultScript::new(RouteSelector::V2Terminate).step(step)]
}

fn v2_always(step: FaultStep) -> Vec<FaultScript> {
    vec![FaultScript::new(RouteSelector::V2Terminate).repeat(step, 10)]
}

fn rows() -> Vec<Row> {
    let row = |fault, injected, setup, why, sdk, requests, effective, exit| Row {
        api: Api::V1,
        fault,
        injected,
        setup,
        why,
        sdk,
        requests,
        effective,
        exit,
        timeout: None,
    };
    vec![
        row(
            "connection refused",
            "no listener",
            Setup::Refused,
            "never reached the server: retried, then fails",
            "Err transient: Connect, 3 attempts",
            (0, 0),
            0,
            5,
        ),
        row(
            "reset before response",
            "1st stop",
            Setup::Faults(|| once(FaultStep::reset_before())),
            "ambiguous: status read (RUNNING), stop sent again",
            "Ok: stop accepted",
            (2, 1),
            1,
            0,
        ),
        row(
            "reset before response",
            "every stop",
            Setup::Faults(|| always(FaultStep::reset_before())),
            "status read before each re-send; gives up after 3 attempts",
            "Err transient: Io, 3 attempts",
            (3, 3),
            0,
            5,
        ),
        row(
            "reset after the stop took effect",
            "1st stop",
            Setup::Faults(|| once(FaultStep::reset_after_effect())),
            "ambiguous: status read shows KILLING, not sent again",
            "Ok: stop confirmed by status (KILLING)",
            (1, 1),
            1,
            0,
        ),
        Row {
            timeout: Some(STALL_TIMEOUT),
            ..row(
                "stall before headers",
                "1st stop: 2 s delay, 1 s timeout",
                Setup::Faults(|| once(FaultStep::delay_ms(STALL))),
                "timeout is ambiguous: status read (RUNNING), stop sent again",
                "Ok: stop accepted",
                (1, 1),
                1,
                0,
            )
        },
        Row {
            timeout: Some(STALL_TIMEOUT),
            ..row(
                "stall mid-body",
                "1st stop: body trickled, 1 s timeout",
                Setup::Faults(|| once(FaultStep::trickle(STALL))),
                "timeout after the stop took effect: status read shows KILLING",
                "Ok: stop confirmed by status (KILLING)",
                (1, 1),
                1,
                0,
            )
        },
        row(
            "429 with Retry-After: 1",
            "1st stop",
            Setup::Faults(|| once(FaultStep::throttle(Some(1)))),
            "retried after the server's delay",
            "Ok: stop accepted",
            (2, 0),
            1,
            0,
        ),
        row(
            "429 without Retry-After",
            "1st stop",
            Setup::Faults(|| once(FaultStep::throttle(None))),
            "retried with the throttling backoff",
            "Ok: stop accepted",
            (2, 0),
            1,
            0,
        ),
        row(
            "429 without Retry-After",
            "every stop",
            Setup::Faults(|| always(FaultStep::throttle(None))),
            "retried, then fails as throttled",
            "Err transient: HTTP 429 APIG.0308, 3 attempts",
            (3, 0),
            0,
            5,
        ),
        row(
            "500",
            "1st stop",
            Setup::Faults(|| once(FaultStep::status(500))),
            "ambiguous: status read (RUNNING), stop sent again",
            "Ok: stop accepted",
            (2, 1),
            1,
            0,
        ),
        row(
            "500",
            "every stop",
            Setup::Faults(|| always(FaultStep::status(500))),
            "status read before each re-send; fails after 3 attempts",
            "Err transient: HTTP 500 APIG.0201, 3 attempts",
            (3, 3),
            0,
            5,
        ),
        row(
            "502",
            "1st stop",
            Setup::Faults(|| once(FaultStep::status(502))),
            "ambiguous: status read (RUNNING), stop sent again",
            "Ok: stop accepted",
            (2, 1),
            1,
            0,
        ),
        row(
            "503",
            "1st stop",
            Setup::Faults(|| once(FaultStep::status(503))),
            "not forwarded by the gateway: retried at once",
            "Ok: stop accepted",
            (2, 0),
            1,
            0,
        ),
        row(
            "503",
            "every stop",
            Setup::Faults(|| always(FaultStep::status(503))),
            "retried, then fails",
            "Err transient: HTTP 503 APIG.0201, 3 attempts",
            (3, 0),
            0,
            5,
        ),
        row(
            "504",
            "1st stop",
            Setup::Faults(|| once(FaultStep::status(504))),
            "ambiguous: status read (RUNNING), stop sent again",
            "Ok: stop accepted",
            (2, 1),
            1,
            0,
        ),
        row(
            "HTML error page (502, text/html)",
            "1st stop",
            Setup::Faults(|| once(FaultStep::html_502())),
            "a 502 whatever the body: status read, stop sent again",
            "Ok: stop accepted",
            (2, 1),
            1,
            0,
        ),
        row(
            "HTML error page (502, text/html)",
            "every stop",
            Setup::Faults(|| always(FaultStep::html_502())),
            "fails as unavailable, with the page's excerpt",
            "Err transient: HTTP 502, 3 attempts",
            (3, 3),
            0,
            5,
        ),
        row(
            "truncated JSON (200)",
            "1st stop",
            Setup::Faults(|| once(FaultStep::truncated())),
            "took effect but unreadable: status read shows KILLING",
            "Ok: stop confirmed by status (KILLING)",
            (1, 1),
            1,
            0,
        ),
        row(
            "connection dropped mid-body",
            "1st stop",
            Setup::Faults(|| once(FaultStep::incomplete_body())),
            "took effect, body cut: status read shows KILLING",
            "Ok: stop confirmed by status (KILLING)",
            (1, 1),
            1,
            0,
        ),
        row(
            "oversized body (17 MiB > 16 MiB cap)",
            "1st stop",
            Setup::Faults(|| once(FaultStep::oversized(17 << 20))),
            "refused by Content-Length before reading: status read shows KILLING",
            "Ok: stop confirmed by status (KILLING)",
            (1, 1),
            1,
            0,
        ),
        row(
            "wrong content type (JSON as text/plain)",
            "1st stop",
            Setup::Faults(|| once(FaultStep::wrong_content_type())),
            "the body is what counts: accepted",
            "Ok: stop accepted",
            (1, 0),
            1,
            0,
        ),
        row(
            "status read fails after a 500",
            "1st stop 500, every show 503",
            Setup::Faults(|| {
                vec![
                    FaultScript::new(RouteSelector::Stop).step(FaultStep::status(500)),
                    FaultScript::new(RouteSelector::Show).repeat(FaultStep::status(503), 10),
                ]
            }),
            "state unknown: not sent again, the stop's error is returned",
            "Err transient: HTTP 500 APIG.0201, 1 attempts",
            (1, 3),
            0,
            5,
        ),
        row(
            "expired signature (server clock +20 min)",
            "emulator clock offset",
            Setup::ClockAhead(20 * 60),
            "401 with a skewed Date: re-signed once with the server's time",
            "Ok: stop accepted",
            (2, 0),
            1,
            0,
        ),
        row(
            "invalid credentials",
            "wrong secret key",
            Setup::WrongSecret,
            "401 is final: not retried",
            "Err service_refused: HTTP 401 APIG.0301, 1 attempts",
            (1, 0),
            0,
            3,
        ),
        row(
            "unknown job",
            "job 99",
            Setup::UnknownJob,
            "a refusal: the status read says not found too; not retried",
            "Err service_refused: HTTP 400 ModelArts.2775, 1 attempts",
            (1, 1),
            0,
            4,
        ),
        row(
            "unknown job, 404 variant",
            "1st stop",
            Setup::Faults(|| once(FaultStep::not_found())),
            "a refusal: the status read shows RUNNING, so it stands; not retried",
            "Err service_refused: HTTP 404 ModelArts.2775, 1 attempts",
            (1, 1),
            0,
            4,
        ),
        v2(row(
            "v2: reset after the terminate took effect",
            "1st terminate",
            Setup::Faults(|| v2_once(FaultStep::reset_after_effect())),
            "ambiguous: the phase read shows Terminating, not sent again",
            "Ok: stop confirmed by status (Terminating)",
            (1, 1),
            1,
            0,
        )),
        v2(row(
            "v2: reset before response",
            "every terminate",
            Setup::Faults(|| v2_always(FaultStep::reset_before())),
            "phase read (Running) before each re-send; gives up after 3 attempts",
            "Err transient: Io, 3 attempts",
            (3, 3),
            0,
            5,
        )),
        v2(row(
            "v2: 502",
            "1st terminate",
            Setup::Faults(|| v2_once(FaultStep::status(502))),
            "ambiguous: phase read (Running), terminate sent again",
            "Ok: stop accepted",
            (2, 1),
            1,
            0,
        )),
        v2(row(
            "v2: 429 without Retry-After",
            "every terminate",
            Setup::Faults(|| v2_always(FaultStep::throttle(None))),
            "retried, then fails as throttled; no phase read",
            "Err transient: HTTP 429 APIG.0308, 3 attempts",
            (3, 0),
            0,
            5,
        )),
        v2(row(
            "v2: already Terminated (409 ModelArts.2796)",
            "job Terminated",
            Setup::V2Terminated,
            "a refusal: the phase read shows Terminated, so it is a success",
            "Ok: already final (Terminated)",
            (1, 1),
            0,
            0,
        )),
        v2(row(
            "v2: unknown job",
            "another UUID",
            Setup::UnknownJob,
            "a refusal: the phase read says not found too; not retried",
            "Err service_refused: HTTP 400 ModelArts.2775, 1 attempts",
            (1, 1),
            0,
            4,
        )),
    ]
}

/// The row, through the v2 API.
fn v2(row: Row) -> Row {
    Row { api: Api::V2, ..row }
}

/// What one row did.
#[derive(Debug, PartialEq, Eq)]
struct Observed {
    sdk: String,
    requests: (usize, usize),
    effective: usize,
    final_status: String,
    exit: i32,
    cli_requests: (usize, usize),
    cli_effective: usize,
}

/// The SDK's result in one line: `Ok: <outcome>` or `Err <category>: <detail>, N attempts`.
fn describe<S: std::fmt::Display>(result: &Result<StopOutcome<S>, Error>) -> String {
    match result {
        Ok(outcome) => format!("Ok: {outcome}"),
        Err(e) => {
            let category = match e.category() {
                modelarts_sdk::ErrorCategory::Transient => "transient",
                modelarts_sdk::ErrorCategory::ServiceRefused => "service_refused",
                modelarts_sdk::ErrorCategory::Malformed => "malformed",
                modelarts_sdk::ErrorCategory::Credentials => "credentials",
                modelarts_sdk::ErrorCategory::Config => "config",
                other => return format!("Err {other:?}: {e}"),
            };
            let detail = match e {
                Error::Transport { source, .. } => {
                    match source.downcast_ref::<modelarts_transport::Error>() {
                        Some(transport) => format!("{:?}", transport.kind()),
                        None => format!("not the transport's error: {source}"),
                    }
                }
                Error::Service { error, .. } => match &error.code() {
                    Some(code) => format!("HTTP {} {code}", error.http_status),
                    None => format!("HTTP {}", error.http_status),
                },
                Error::Response { source, .. } => format!("unreadable HTTP {}", source.http_status()),
                other => other.to_string(),
            };
            format!("Err {category}: {detail}, {} attempts", e.attempts())
        }
    }
}

struct Target {
    emulator: Option<RunningEmulator>,
    endpoint: String,
    ca: PathBuf,
    project: String,
    ak: String,
    sk: String,
    job: u64,
    /// The v2 job the `v2:` rows stop.
    v2_job: &'static str,
}

fn config_for(setup: Setup) -> EmulatorConfig {
    let v2 = V2JobSeed::running(V2_JOB);
    let v2 = if let Setup::V2Terminated = setup { v2.phase(V2Phase::Terminated) } else { v2 };
    let mut config =
        EmulatorConfig::default().tls(true).never_kill().job(JobSeed::running(JOB, VERSION)).v2_job(v2);
    match setup {
        Setup::Faults(scripts) => {
            for script in scripts() {
                config = config.fault(script);
            }
        }
        Setup::ClockAhead(secs) => config = config.clock_offset_secs(secs),
        Setup::Refused | Setup::WrongSecret | Setup::UnknownJob | Setup::V2Terminated => {}
    }
    config
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `KILLING` for `JOBSTAT_KILLING`.
fn short_name(code: i32) -> &'static str {
    let name = status::name(code);
    name.strip_prefix("JOBSTAT_").unwrap_or(name)
}

async fn target(setup: Setup, ca_for_refused: &Path) -> Target {
    if let Setup::Refused = setup {
        return Target {
            emulator: None,
            endpoint: format!("https://127.0.0.1:{}", closed_port()),
            ca: ca_for_refused.to_owned(),
            project: EmulatorConfig::default().project_id,
            ak: "AKNOLISTENER00000000".into(),
            sk: "no-listener-secret".into(),
            job: JOB,
            v2_job: V2_JOB,
        };
    }
    let emulator = Emulator::start(config_for(setup)).await.unwrap();
    let c = emulator.credentials().clone();
    let sk = if let Setup::WrongSecret = setup { "wrong-secret-key-0000".to_owned() } else { c.secret_key };
    Target {
        endpoint: emulator.endpoint(),
        ca: emulator.ca_cert_path().unwrap().to_owned(),
        project: emulator.project_id().to_owned(),
        ak: c.access_key,
        sk,
        job: if let Setup::UnknownJob = setup { 99 } else { JOB },
        v2_job: if let Setup::UnknownJob = setup { V2_UNKNOWN } else { V2_JOB },
        emulator: Some(emulator),
    }
}

impl Target {
    /// (stop, show) requests and effective stops in the journal; the version's status (the v2
    /// job's phase for a `v2:` row).
    fn seen(&self, api: Api) -> ((usize, usize), usize, String) {
        let Some(emulator) = &self.emulator else {
            return ((0, 0), 0, "-".into());
        };
        let journal = emulator.state().journal();
        let count = |route| journal.iter().filter(|e| e.route == route).count();
        let effective = journal.iter().filter(|e| e.effective_stop).count();
        if api == Api::V2 {
            let phase = emulator.state().v2_phase(V2_JOB).map_or("-".into(), |p| p.as_str().to_owned());
            return ((count(Route::V2Terminate), count(Route::V2Show)), effective, phase);
        }
        let status =
            emulator.state().version_status(JOB, VERSION).map_or("-".into(), |s| short_name(s).to_owned());
        ((count(Route::Stop), count(Route::Show)), effective, status)
    }

    /// Waits until no request is in flight in the emulator (a stalled one included).
    async fn settle(&self) {
        if let Some(emulator) = &self.emulator {
            let settled = emulator.state().settle(Duration::from_secs(30)).await;
            assert!(settled, "a request was still in flight in the emulator after 30 s");
        }
    }

    async fn shutdown(mut self) {
        if let Some(emulator) = self.emulator.take() {
            emulator.shutdown().await;
        }
    }
}

fn observe(runtime: &tokio::runtime::Runtime, row: &Row, any_ca: &Path) -> Observed {
    // The SDK, on its own emulator.
    let t = runtime.block_on(target(row.setup, any_ca));
    let mut builder = Client::builder()
        .endpoint_url(&t.endpoint)
        .ca_bundle(&t.ca)
        .project_id(&t.project)
        .credentials(Credentials::new(&t.ak, &t.sk))
        .env(|_| None)
        .jitter(|| 0.0);
    if let Some(timeout) = row.timeout {
        builder = builder.timeout(timeout);
    }
    let client = builder.build().unwrap();
    let result = match row.api {
        Api::V1 => runtime
            .block_on(client.stop_training_job(JobId::new(t.job).unwrap(), VersionId::new(VERSION).unwrap()))
            .map(|o| o.map(|s| s.to_string())),
        Api::V2 => runtime
            .block_on(client.terminate_training_job(&t.v2_job.parse().unwrap()))
            .map(|o| o.map(|s| s.to_string())),
    };
    // A stalled request may still be in the emulator: let it end before reading the journal.
    runtime.block_on(t.settle());
    let (requests, effective, final_status) = t.seen(row.api);
    runtime.block_on(t.shutdown());

    // The CLI, on another one.
    let t = runtime.block_on(target(row.setup, any_ca));
    let home = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(BIN);
    cmd.env_clear()
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .env("HUAWEICLOUD_SDK_AK", &t.ak)
        .env("HUAWEICLOUD_SDK_SK", &t.sk)
        .args(["--endpoint-url", &t.endpoint, "--project-id", &t.project, "--output", "json"])
        .arg("--ca-bundle")
        .arg(&t.ca)
        .stdin(std::process::Stdio::null());
    match row.api {
        Api::V1 => cmd.args(["training-job", "stop", &t.job.to_string(), "--version", &VERSION.to_string()]),
        Api::V2 => cmd.args(["training-job", "stop", t.v2_job]),
    };
    if let Some(timeout) = row.timeout {
        cmd.args(["--timeout", &format!("{}ms", timeout.as_millis())]);
    }
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{}: the CLI panicked:\n{stderr}", row.fault);
    runtime.block_on(t.settle());
    let (cli_requests, cli_effective, _) = t.seen(row.api);
    runtime.block_on(t.shutdown());

    Observed {
        sdk: describe(&result),
        requests,
        effective,
        final_status,
        exit: output.status.code().unwrap_or(-1),
        cli_requests,
        cli_effective,
    }
}

fn render(rows: &[(Row, Observed)]) -> String {
    let mut out = String::from(
        "| Fault | Injected | Expected behaviour | SDK result | Requests seen (stop/show) | Effective stops | Version after | CLI exit (expected/observed) |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for (row, seen) in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {}/{} | {} | {} | {}/{} |\n",
            docs::cell(row.fault),
            docs::cell(row.injected),
            docs::cell(row.why),
            docs::cell(&seen.sdk),
            seen.requests.0,
            seen.requests.1,
            seen.effective,
            seen.final_status,
            row.exit,
            seen.exit,
        ));
    }
    out
}

#[test]
fn fault_matrix_matches_expectations_and_the_doc() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // The refused row needs some readable CA file for the CLI's --ca-bundle.
    let holder = runtime.block_on(Emulator::start(EmulatorConfig::default().tls(true))).unwrap();
    let any_ca = holder.ca_cert_path().unwrap().to_owned();

    let started = Instant::now();
    let rows = rows();
    // Four rows at a time, each on its own emulators; the table keeps the row order.
    let next = AtomicUsize::new(0);
    let observed: Mutex<Vec<Option<Observed>>> = Mutex::new(rows.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(row) = rows.get(i) else { break };
                    let seen = observe(&runtime, row, &any_ca);
                    observed.lock().unwrap()[i] = Some(seen);
                }
            });
        }
    });
    let mut results = Vec::new();
    let mut mismatches = Vec::new();
    for (row, seen) in rows.into_iter().zip(observed.into_inner().unwrap()) {
        let seen = seen.unwrap();
        let expected = (row.sdk, row.requests, row.effective, row.exit);
        let got = (seen.sdk.as_str(), seen.requests, seen.effective, seen.exit);
        if expected != got {
            mismatches.push(format!(
                "{} ({}):\n  expected {expected:?}\n  observed {got:?}",
                row.fault, row.injected
            ));
        }
        // The CLI runs the same SDK: never more than one effective stop either.
        if seen.cli_effective > 1 {
            mismatches
                .push(format!("{}: the CLI stopped the version {} times", row.fault, seen.cli_effective));
        }
        results.push((row, seen));
    }
    runtime.block_on(holder.shutdown());
    eprintln!("fault matrix: {} rows in {:.1?}", results.len(), started.elapsed());
    eprintln!("{}", render(&results));
    assert!(
        mismatches.is_empty(),
        "observed behaviour differs from the expected:\n{}",
        mismatches.join("\n")
    );

    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/reliability.md");
    if let Err(diff) = docs::check_section(&doc, "fault-matrix", &render(&results)) {
        panic!("{diff}");
    }
}
