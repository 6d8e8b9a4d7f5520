//! The blocking client over `ureq` 3 (rustls on ring): a `BlockingHttpSend` in about 60 lines,
//! then a stop-and-wait against a local emulator over HTTPS with signatures enforced.
//!
//! ```text
//! cargo run -p modelarts-sdk --features blocking --example blocking_ureq
//! ```
//!
//! `cargo test -p modelarts-sdk` runs it too (`tests/blocking_ureq.rs`).
//!
//! The dependencies: `ureq = { version = "3", default-features = false, features =
//! ["rustls-no-provider"] }` and `rustls = { version = "0.23", default-features = false, features =
//! ["ring", "std"] }`; the ring provider is handed to ureq explicitly, so nothing else is compiled
//! in and no global provider is installed.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use modelarts_emulator::{Emulator, EmulatorConfig, JobSeed, RunningEmulator};
use modelarts_sdk::blocking::{self, BlockingSleeper};
use modelarts_sdk::{BlockingHttpSend, Client, Credentials, SendError, StopAndWait, WaitOptions};
use tokio::runtime::Runtime;
use ureq::tls::{RootCerts, TlsConfig, TlsProvider};

/// The largest answer read (the SDK's own transport has the same kind of cap).
const MAX_BODY: u64 = 8 * 1024 * 1024;

/// A [`BlockingHttpSend`] over a `ureq` agent.
pub(crate) struct UreqSender {
    agent: ureq::Agent,
}

impl UreqSender {
    /// An agent that trusts the CA certificates in `ca_pem` only (or the webpki roots when `None`
    /// and ureq's root feature is on), with rustls on ring.
    pub(crate) fn new(ca_pem: &str, timeout: Duration) -> Result<Self, ureq::Error> {
        let roots = ureq::tls::parse_pem(ca_pem.as_bytes())
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => Some(Ok(cert)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .root_certs(RootCerts::from(roots))
            .build();
        let agent = ureq::Agent::config_builder()
            .tls_config(tls)
            // Every status is an answer for the SDK to read, not an error.
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(timeout))
            .build()
            .new_agent();
        Ok(Self { agent })
    }
}

/// A ureq failure, with whether the request may have reached the server.
#[derive(Debug)]
pub(crate) struct UreqError(ureq::Error);

impl std::fmt::Display for UreqError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for UreqError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl SendError for UreqError {
    fn may_have_reached_server(&self) -> bool {
        use ureq::Timeout;
        match &self.0 {
            // Nothing was written: no address, no connection, no handshake, a bad request.
            ureq::Error::HostNotFound
            | ureq::Error::BadUri(_)
            | ureq::Error::Http(_)
            | ureq::Error::InvalidProxyUrl
            | ureq::Error::ConnectionFailed
            | ureq::Error::Tls(_)
            | ureq::Error::Rustls(_)
            | ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => false,
            ureq::Error::Io(e) => e.kind() != std::io::ErrorKind::ConnectionRefused,
            // Anything else may have happened after the request was written.
            _ => true,
        }
    }

    fn is_tls_rejected(&self) -> bool {
        matches!(self.0, ureq::Error::Tls(_) | ureq::Error::Rustls(_))
    }

    fn is_oversized(&self) -> bool {
        matches!(self.0, ureq::Error::BodyExceedsLimit(_))
    }
}

impl BlockingHttpSend for UreqSender {
    type Error = UreqError;

    fn send(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, UreqError> {
        let request = request.map(|body| body.to_vec());
        let response = self.agent.run(request).map_err(UreqError)?;
        let (parts, mut body) = response.into_parts();
        let body = body.with_config().limit(MAX_BODY).read_to_vec().map_err(UreqError)?;
        Ok(http::Response::from_parts(parts, Bytes::from(body)))
    }
}

/// What the demo saw: the stop and wait, and what the emulator recorded.
pub(crate) struct Demo {
    /// The client's answer.
    pub(crate) done: StopAndWait,
    /// Status reads the waiter made.
    pub(crate) polls: usize,
    /// Stops that took effect on the server.
    pub(crate) effective_stops: usize,
    /// Whether the emulator verified every request's signature.
    pub(crate) all_signed: bool,
}

/// Starts an emulator on a runtime of its own: it is an async server and runs on that runtime's
/// thread, while the blocking client runs on this one.
pub(crate) fn start(
    config: EmulatorConfig,
) -> Result<(Runtime, RunningEmulator), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let emulator = runtime.block_on(Emulator::start(config.tls(true)))?;
    Ok((runtime, emulator))
}

/// A blocking client on ureq for `emulator`, trusting its CA only, sleeping with `sleeper`.
pub(crate) fn client(
    emulator: &RunningEmulator,
    sleeper: impl BlockingSleeper,
) -> Result<blocking::Client<UreqSender>, Box<dyn std::error::Error>> {
    let sender =
        UreqSender::new(emulator.ca_cert_pem().ok_or("the emulator has no CA")?, Duration::from_secs(10))?;
    let credentials = emulator.credentials();
    let client = Client::builder()
        .endpoint_url(&emulator.endpoint())
        .project_id(emulator.project_id())
        .credentials(Credentials::new(&credentials.access_key, &credentials.secret_key))
        .env(|_| None)
        .blocking_sleeper(sleeper)
        .build_blocking(sender)?;
    Ok(client)
}

/// Starts an emulator (HTTPS, AK/SK signatures enforced, the version KILLED after 3 status reads),
/// stops version 3 of job 10 with the blocking client over ureq, and waits until it is KILLED.
pub(crate) fn demo() -> Result<Demo, Box<dyn std::error::Error>> {
    let (runtime, emulator) =
        start(EmulatorConfig::default().job(JobSeed::running(10, 3)).kill_after_polls(3))?;
    // The emulator kills the version after a number of reads, so the waiter need not really
    // sleep; a program would keep the default (`ThreadSleeper`, `std::thread::sleep`).
    let client = client(&emulator, |_: Duration| {})?;

    let polls = std::cell::Cell::new(0);
    let done = client.stop_and_wait("10".parse()?, "3".parse()?, WaitOptions::default(), |_| {
        polls.set(polls.get() + 1);
    })?;
    let state = emulator.state();
    let journal = state.journal();
    let demo = Demo {
        done,
        polls: polls.get(),
        effective_stops: state.effective_stops(10, 3),
        all_signed: !journal.is_empty()
            && journal.iter().all(|e| e.auth.result == modelarts_emulator::AuthResult::Accepted),
    };
    runtime.block_on(emulator.shutdown());
    Ok(demo)
}

#[allow(dead_code, reason = "the test includes this file for `demo` and has its own entry point")]
#[allow(clippy::print_stdout, reason = "an example reports on the terminal")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let demo = demo()?;
    println!(
        "stop: {:?}; status {} after {} reads; effective stops on the server: {}; every request signed: {}",
        demo.done.stop, demo.done.version.status, demo.polls, demo.effective_stops, demo.all_signed
    );
    Ok(())
}
