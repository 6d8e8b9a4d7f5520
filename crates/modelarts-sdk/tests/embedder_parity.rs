//! Embedder parity: the protocol's example embedder (`crates/modelarts-protocol/examples/embedder.rs`,
//! its machines over `std::net`) and the SDK's blocking client hand the same trace to their senders
//! and sleepers, under a fixed clock and a fixed jitter: every request's method, URI, headers
//! (`Authorization` included: same inputs, same signature) and body, and every sleep. Scenario: a
//! stop throttled (429, `Retry-After: 1`), a stop whose connection is reset after it took effect, the
//! status read, then the wait to KILLED.

// Test code may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

#[path = "../../modelarts-protocol/examples/embedder.rs"]
#[allow(dead_code)]
mod embedder;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use modelarts_emulator::{
    Emulator, EmulatorConfig, FaultScript, FaultStep, JobSeed, RouteSelector, RunningEmulator, status,
};
use modelarts_protocol::machine::steps::StopThenWait;
use modelarts_protocol::retry::RetryPolicy;
use modelarts_protocol::stop::{StopOptions, TrainingJobVersion};
use modelarts_protocol::waiter::WaitOptions;
use modelarts_protocol::{Auth, Endpoint, signing::Credentials};
use modelarts_sdk::Clock;
use modelarts_sdk::{Client, JobRef, SendError};

#[derive(Debug, Clone, PartialEq)]
enum Event {
    Send { method: String, uri: String, headers: Vec<(String, String)>, body: Vec<u8> },
    Sleep(Duration),
}

type Trace = Arc<Mutex<Vec<Event>>>;

/// The local clock: a fixed wall time (the same in both runs, within the emulator's 15 minutes of
/// signature validity), monotonic time moved only by sleeps.
#[derive(Clone)]
struct Fixed(Arc<Mutex<Duration>>, SystemTime);

impl Clock for Fixed {
    fn now(&self) -> SystemTime {
        self.1
    }
    fn monotonic(&self) -> Duration {
        *self.0.lock().unwrap()
    }
}

/// Records the request, sends it with the embedder's client, and drops the answer's `Date` (the
/// emulator's wall clock would make the measured skew differ between the runs).
fn recorded(
    trace: &Trace,
    request: &http::Request<Bytes>,
) -> Result<http::Response<Bytes>, (bool, std::io::Error)> {
    let mut headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    headers.sort();
    trace.lock().unwrap().push(Event::Send {
        method: request.method().to_string(),
        uri: request.uri().to_string(),
        headers,
        body: request.body().to_vec(),
    });
    let mut response = embedder::send(request)?;
    response.headers_mut().remove(http::header::DATE);
    Ok(response)
}

fn sleeper(trace: &Trace, clock: &Fixed) -> impl Fn(Duration) + Send + Sync + 'static {
    let (trace, clock) = (trace.clone(), clock.clone());
    move |d| {
        trace.lock().unwrap().push(Event::Sleep(d));
        *clock.0.lock().unwrap() += d;
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{1}")]
struct Net(bool, std::io::Error);

impl SendError for Net {
    fn may_have_reached_server(&self) -> bool {
        self.0
    }
}

/// The scenario's emulator, on `port` (0: any), so that both runs sign the same host.
fn scenario(runtime: &tokio::runtime::Runtime, port: u16) -> RunningEmulator {
    let stop_faults = FaultScript::new(RouteSelector::Stop)
        .step(FaultStep::throttle(Some(1)))
        .step(FaultStep::reset_after_effect());
    let config = EmulatorConfig::default()
        .job(JobSeed::running(10, 20))
        .kill_after_polls(2)
        .fault(stop_faults)
        .listen(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    runtime.block_on(Emulator::start(config)).unwrap()
}

fn wait_options() -> WaitOptions {
    WaitOptions::default()
        .with_max_wait(Duration::from_secs(60))
        .with_min_delay(Duration::from_secs(1))
        .with_max_delay(Duration::from_secs(4))
}

#[test]
fn the_example_embedder_and_the_sdk_hand_the_same_trace_to_their_sender_and_sleeper() {
    let runtime = tokio::runtime::Runtime::new().unwrap();

    let emulator = scenario(&runtime, 0);
    let port = emulator.local_addr().port();
    let keys = emulator.credentials().clone();
    let auth = Auth::AkSk(Credentials::new(&keys.access_key, &keys.secret_key));
    let wall = SystemTime::now();
    let (trace, clock) = (Trace::default(), Fixed(Arc::default(), wall));
    let resource = TrainingJobVersion {
        project_id: emulator.project_id().parse().unwrap(),
        job_id: "10".parse().unwrap(),
        version_id: "20".parse().unwrap(),
    };
    let machine =
        StopThenWait::new(resource, RetryPolicy::default(), StopOptions::default(), Some(wait_options()));
    let endpoint = Endpoint::from_url(&emulator.endpoint()).unwrap();
    let now = || (clock.now(), clock.monotonic());
    let end = embedder::drive(
        machine,
        (&endpoint, &auth),
        |r| recorded(&trace, r),
        sleeper(&trace, &clock),
        now,
        || 0.5,
    );
    assert_eq!(format!("{:?}", end.stop.unwrap()), "ConfirmedByStatus(Killing)");
    assert_eq!(emulator.state().effective_stops(10, 20), 1);
    assert_eq!(emulator.state().version_status(10, 20), Some(status::KILLED));
    let embedder_trace = trace.lock().unwrap().clone();
    runtime.block_on(emulator.shutdown());

    let emulator = scenario(&runtime, port);
    let (trace, clock) = (Trace::default(), Fixed(Arc::default(), wall));
    let sent = trace.clone();
    let client = Client::builder()
        .endpoint_url(&emulator.endpoint())
        .project_id(emulator.project_id())
        .credentials(modelarts_sdk::Credentials::new(&keys.access_key, &keys.secret_key))
        .clock(clock.clone())
        .blocking_sleeper(sleeper(&trace, &clock))
        .allow_http(true)
        .jitter(|| 0.5)
        .env(|_| None)
        .build_blocking(move |r: http::Request<Bytes>| {
            recorded(&sent, &r).map_err(|(reached, e)| Net(reached, e))
        })
        .unwrap();
    let target = JobRef::V1 { job: "10".parse().unwrap(), version: "20".parse().unwrap() };
    let end = client.stop_target_and_wait(&target, StopOptions::default(), Some(wait_options()), |_| {});
    assert_eq!(end.outcome.name(), "stopped", "{end:?}");
    let sdk_trace = trace.lock().unwrap().clone();
    runtime.block_on(emulator.shutdown());

    // The scenario happened: two stops (throttled, reset), a sleep of the Retry-After between them.
    let stops =
        embedder_trace.iter().filter(|e| matches!(e, Event::Send { method, .. } if method == "POST")).count();
    assert_eq!(stops, 2, "{embedder_trace:#?}");
    assert!(embedder_trace.contains(&Event::Sleep(Duration::from_secs(1))), "{embedder_trace:#?}");
    assert!(embedder_trace.len() >= 7, "{embedder_trace:#?}");
    assert_eq!(embedder_trace, sdk_trace);
}
