//! An embedder's stop-and-wait over a plain blocking `std::net::TcpStream`, with the SDK's
//! behaviour (retries, quota, re-sign on skew, safe stop, waiter) and no SDK: the protocol's
//! machines decide, this file only moves bytes. Run against the emulator over a real socket.
//!
//! The lines between `EMBEDDER BEGIN` and `EMBEDDER END` are what an embedder writes on top of an
//! HTTP client (the tiny HTTP/1.1 client below them stands for one).

// Test code may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use modelarts_emulator::{Emulator, EmulatorConfig, FaultScript, FaultStep, JobSeed, RouteSelector, status};
use modelarts_protocol::call::{Call, CallStep, ResponseHead, TransportFailure};
use modelarts_protocol::operations::Operation;
use modelarts_protocol::retry::{RetryPolicy, RetryTokenBucket};
use modelarts_protocol::signing::Credentials;
use modelarts_protocol::stop::{
    CallEnd, SafeStop, StopAction, StopOptions, StopOutcome, Stoppable, TrainingJobVersion,
};
use modelarts_protocol::waiter::{PollResult, WaitOptions, WaitStep, Waiter};
use modelarts_protocol::{Auth, Endpoint, JobStatus, auth};

// EMBEDDER BEGIN
struct Embedder {
    addr: SocketAddr,
    endpoint: Endpoint,
    auth: Auth,
    policy: RetryPolicy,
    quota: RetryTokenBucket,
}

impl Embedder {
    fn run<O: Operation>(&mut self, call: &mut Call, op: &O) -> CallEnd<O::Output, std::io::Error> {
        loop {
            let mut request = op.build_request(&self.endpoint).unwrap();
            auth::authorize(&mut request, &self.auth, call.start_attempt(SystemTime::now(), None)).unwrap();
            let step = match send(self.addr, &request) {
                Ok(response) => {
                    let head = ResponseHead::of(&response, SystemTime::now());
                    call.on_response(&head, O::parse_response(response), &mut self.quota, 0.0)
                }
                Err((reached, e)) => {
                    let failure = TransportFailure { may_have_reached_server: reached, ..Default::default() };
                    call.on_transport_error(failure, e, &mut self.quota, 0.0)
                }
            };
            match CallEnd::of_step(step) {
                Ok(end) => return end,
                Err(CallStep::Retry { delay, .. }) => std::thread::sleep(delay),
                Err(_) => {} // re-sign: sign again at once
            }
        }
    }

    fn stop_and_wait(&mut self, version: &TrainingJobVersion, wait: WaitOptions) -> (StopOutcome, WaitStep) {
        let mut stop = SafeStop::new(self.policy, StopOptions::default());
        let mut action = StopAction::SendStop;
        let outcome = loop {
            action = match action {
                StopAction::SendStop => {
                    let end = self.run(stop.call_mut(), &version.stop_operation());
                    stop.on_stop(end)
                }
                StopAction::ReadStatus => {
                    let status = match self.run(&mut Call::new(self.policy, true), &version.read_operation())
                    {
                        CallEnd::Done(v) => Ok(v.status),
                        CallEnd::CheckState(e) | CallEnd::GaveUp(e) => Err(e),
                    };
                    stop.on_status(status, &mut self.quota, 0.0)
                }
                StopAction::Sleep(delay) => {
                    std::thread::sleep(delay);
                    StopAction::SendStop
                }
                StopAction::Finish(result) => break result.unwrap(),
            };
        };
        let (mut waiter, started) = (Waiter::new(wait), std::time::Instant::now());
        loop {
            let poll = match self.run(&mut Call::new(self.policy, true), &version.read_operation()) {
                CallEnd::Done(v) => PollResult::Status(v.status),
                _ => PollResult::TransientFailure,
            };
            match waiter.next(&poll, started.elapsed(), 0.0) {
                WaitStep::Sleep(delay) => std::thread::sleep(delay),
                end => return (outcome, end),
            }
        }
    }
}
// EMBEDDER END

/// A minimal HTTP/1.1 client (one request per connection). `Err((true, _))`: the request may have
/// reached the server.
fn send(
    addr: SocketAddr,
    request: &http::Request<Bytes>,
) -> Result<http::Response<Bytes>, (bool, std::io::Error)> {
    let mut stream = TcpStream::connect(addr).map_err(|e| (false, e))?;
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut head = format!("{} {target} HTTP/1.1\r\nconnection: close\r\n", request.method());
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(request.body()))
        .map_err(|e| (true, e))?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| (true, e))?;
    let text_end = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| (true, truncated()))?;
    let text = std::str::from_utf8(&raw[..text_end]).map_err(|_| (true, truncated()))?;
    let mut lines = text.split("\r\n");
    let code: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or((true, truncated()))?;
    let mut builder = http::Response::builder().status(code);
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            builder = builder.header(name.trim(), value.trim());
        }
    }
    let mut body = raw[text_end + 4..].to_vec();
    let chunked =
        builder.headers_ref().and_then(|h| h.get("transfer-encoding")).is_some_and(|v| v == "chunked");
    if chunked {
        body = dechunk(&body).ok_or((true, truncated()))?;
    }
    builder.body(Bytes::from(body)).map_err(|_| (true, truncated()))
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size = usize::from_str_radix(std::str::from_utf8(&data[..line_end]).ok()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

fn truncated() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "malformed or truncated answer")
}

#[test]
fn a_blocking_embedder_stops_safely_and_waits_with_the_protocol_machines_only() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let emulator = runtime
        .block_on(Emulator::start(
            EmulatorConfig::default()
                .job(JobSeed::running(10, 20))
                .kill_after_polls(2)
                // The first stop takes effect, then the connection drops before the answer.
                .fault(FaultScript::new(RouteSelector::Stop).step(FaultStep::reset_after_effect())),
        ))
        .unwrap();
    let credentials = emulator.credentials();
    let mut embedder = Embedder {
        addr: emulator.local_addr(),
        endpoint: Endpoint::from_url(&emulator.endpoint()).unwrap(),
        auth: Auth::AkSk(Credentials::new(&credentials.access_key, &credentials.secret_key)),
        policy: RetryPolicy::default(),
        quota: RetryTokenBucket::default(),
    };
    let version = TrainingJobVersion {
        project_id: emulator.project_id().parse().unwrap(),
        job_id: "10".parse().unwrap(),
        version_id: "20".parse().unwrap(),
    };
    let wait = WaitOptions::default()
        .with_max_wait(Duration::from_secs(60))
        .with_min_delay(Duration::ZERO)
        .with_max_delay(Duration::ZERO);
    let (outcome, end) = embedder.stop_and_wait(&version, wait);
    // The lost answer was not taken as a failure, nor was the stop sent twice.
    assert_eq!(outcome, StopOutcome::ConfirmedByStatus(JobStatus::Killing));
    assert_eq!(end, WaitStep::Stopped(JobStatus::Killed));
    assert_eq!(emulator.state().effective_stops(10, 20), 1);
    assert_eq!(emulator.state().version_status(10, 20), Some(status::KILLED));
    runtime.block_on(emulator.shutdown());
}
