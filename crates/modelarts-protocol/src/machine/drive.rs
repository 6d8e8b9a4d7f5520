//! One way to drive every machine, in the manner of quinn-proto: a [`Machine`] says what it needs
//! next ([`Step`]: send this request, sleep this long, or done with this output) and takes the
//! answer back (a response with the time it arrived, or a transport failure). What it cannot
//! compute without I/O (the time now, a jitter sample, the retry quota, the credentials and the
//! endpoint in use) the driver passes in on every step ([`Input`]). So a driver is one small loop,
//! the same for every machine; it must never do more than move bytes and time.
//!
//! The machines are in [`steps`](crate::machine::steps): [`CallMachine`](crate::machine::steps::CallMachine)
//! (one operation's attempts), [`StopMachine`](crate::machine::steps::StopMachine) (the safe stop and its
//! status read), [`WaitMachine`](crate::machine::steps::WaitMachine) (the waiter's polls and sleeps) and
//! [`StopThenWait`](crate::machine::steps::StopThenWait) (both, the wait skipped when it is not needed).
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use modelarts_protocol::machine::steps::{CallEnd, CallMachine};
//! use modelarts_protocol::drive::{Input, Machine, Step};
//! use modelarts_protocol::operations::show_training_job_version::ShowTrainingJobVersion;
//! use modelarts_protocol::retry::{RetryPolicy, RetryTokenBucket};
//! use modelarts_protocol::{Endpoint, signing::Credentials, Auth};
//!
//! let op = ShowTrainingJobVersion::new("p1".parse()?, "1".parse()?, "2".parse()?);
//! let mut machine = CallMachine::<_, std::io::Error>::new(op, RetryPolicy::default());
//! let (endpoint, auth) = (Endpoint::from_url("https://modelarts.example.test")?, Auth::AkSk(Credentials::new("AK", "SK")));
//! let mut quota = RetryTokenBucket::default();
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let mut input = Input::new(now, Duration::ZERO, 0.5, &mut quota, &endpoint, Some(&auth));
//! let Step::Send(request) = machine.step(&mut input) else { unreachable!() };
//! assert!(request.headers().contains_key("authorization"));
//! let answer = http::Response::builder().status(200)
//!     .body(bytes::Bytes::from_static(br#"{"is_success":true,"version_id":2,"status":10}"#))?;
//! machine.on_response(answer, now);
//! assert!(matches!(machine.step(&mut input), Step::Done(CallEnd::Done(_))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::HeaderValue;

use crate::auth::{self, Auth};
use crate::endpoint::Endpoint;
pub use crate::machine::call::PrepareError;
use crate::machine::call::{RetryQuota, TransportFailure};
use crate::machine::retry::ClockSkew;
use crate::operations::Operation;

/// What a machine needs next.
///
/// Exhaustive on purpose (unlike the result types, which are `#[non_exhaustive]`): a driver must
/// handle every step, so a new kind of step is a breaking change that no driver can miss.
#[derive(Debug)]
#[allow(clippy::large_enum_variant, reason = "a step is moved once, from the machine to the sender")]
pub enum Step<O> {
    /// Send this request (prepared: `User-Agent`, `Content-Length`, signed), then feed its
    /// answer back ([`Machine::on_response`] or [`Machine::on_transport_failure`]) and step again.
    Send(http::Request<Bytes>),
    /// Sleep this long, then step again.
    Sleep(Duration),
    /// The machine is over, with this output. Stepping it again is a driver bug.
    Done(O),
}

/// What the driver passes in on every step: what a machine cannot compute without I/O.
#[non_exhaustive]
pub struct Input<'a> {
    /// The local wall-clock time (requests are signed with it, moved by the known skew).
    pub now: SystemTime,
    /// A monotonic time since an origin the driver fixed (waits measure their time with it).
    pub monotonic: Duration,
    /// A jitter sample in `[0, 1)`.
    pub jitter: f64,
    /// The clock skew the driver knows (shared between calls; see [`Machine::measured_skew`]).
    pub skew: Option<ClockSkew>,
    /// The retry quota, borrowed for this step (a driver may share one between machines).
    pub quota: &'a mut dyn RetryQuota,
    /// The endpoint requests go to (the driver may fail over to another between steps).
    pub endpoint: &'a Endpoint,
    /// The credentials requests are signed with; `None` sends them unsigned.
    pub auth: Option<&'a Auth>,
    /// The credentials' generation: a driver that renews them raises it. A call whose request was
    /// refused as expired signs it again at once when the generation has moved since it signed.
    pub auth_generation: u64,
}

impl<'a> Input<'a> {
    /// An input with no known skew and the credentials' generation 0.
    pub fn new(
        now: SystemTime,
        monotonic: Duration,
        jitter: f64,
        quota: &'a mut dyn RetryQuota,
        endpoint: &'a Endpoint,
        auth: Option<&'a Auth>,
    ) -> Self {
        Self { now, monotonic, jitter, skew: None, quota, endpoint, auth, auth_generation: 0 }
    }

    /// The same input with the skew the driver knows.
    pub fn with_skew(mut self, skew: Option<ClockSkew>) -> Self {
        self.skew = skew;
        self
    }

    /// The same input with the credentials' generation.
    pub fn with_auth_generation(mut self, generation: u64) -> Self {
        self.auth_generation = generation;
        self
    }
}

impl std::fmt::Debug for Input<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("now", &self.now)
            .field("monotonic", &self.monotonic)
            .field("jitter", &self.jitter)
            .field("skew", &self.skew)
            .field("endpoint", &self.endpoint.host())
            .field("auth", &self.auth.map(Auth::method_name))
            .field("auth_generation", &self.auth_generation)
            .finish_non_exhaustive()
    }
}

/// A machine: it says what it needs next and takes the answer back. `E` is the sender's error.
pub trait Machine {
    /// What the machine ends with.
    type Output;
    /// The sender's error, kept for the caller.
    type Error;

    /// What the machine needs next. Feed the answer of a [`Step::Send`] before stepping again.
    fn step(&mut self, input: &mut Input<'_>) -> Step<Self::Output>;

    /// The answer of the last [`Step::Send`], and the local time it arrived.
    fn on_response(&mut self, response: http::Response<Bytes>, received_at: SystemTime);

    /// The last [`Step::Send`] failed in the transport: what the sender's error says, and the
    /// error itself.
    fn on_transport_failure(&mut self, failure: TransportFailure, error: Self::Error);

    /// The clock skew measured from the last answer with a usable `Date` (none for a cached
    /// answer): the driver reads it after each step and passes it on ([`Input::skew`]), also to
    /// later machines.
    fn measured_skew(&self) -> Option<ClockSkew>;

    /// The attempt the last [`Step::Send`] made, for the driver's logs.
    fn attempt(&self) -> Option<Attempt> {
        None
    }
}

/// Which attempt of which operation a request is (for logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// The operation's [`Operation::NAME`].
    pub operation: &'static str,
    /// The attempt's number, from 1 (a re-sign does not count).
    pub number: u32,
    /// The policy's `max_attempts`.
    pub max_attempts: u32,
}

/// Builds `op`'s request for `endpoint` and prepares it for any HTTP/1.1 sender: the
/// [`USER_AGENT`](crate::USER_AGENT), then signed with `auth` at `signing_time` (already on the
/// server's clock), then `Content-Length` when the request carries a body or its method does. Without
/// `auth` (a password login, the metadata service) it is sent unsigned.
pub fn prepare<O: Operation + ?Sized>(
    op: &O,
    endpoint: &Endpoint,
    auth: Option<&Auth>,
    signing_time: SystemTime,
) -> Result<http::Request<Bytes>, PrepareError> {
    let mut request = op.build_request(endpoint)?;
    request.headers_mut().insert(http::header::USER_AGENT, HeaderValue::from_static(crate::USER_AGENT));
    match auth {
        Some(auth) => auth::authorize(&mut request, auth, signing_time)?,
        None => auth::set_content_length(&mut request),
    }
    Ok(request)
}
