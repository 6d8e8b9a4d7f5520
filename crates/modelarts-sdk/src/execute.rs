//! The driver of one call: the protocol's [`Call`] owns the attempts (counting, quota, re-sign,
//! skew, `Retry-After`, backoff); this loop reads the clock, draws the jitter, signs and sends,
//! feeds the answer back, and sleeps when told. Also the state clones of a client share: the retry
//! token bucket and the clock skew. It never logs a header value.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::HeaderValue;
use modelarts_http::{HttpSend, SendError};
use modelarts_protocol::auth;
use modelarts_protocol::call::{Call, CallStep, ResponseHead, TransportFailure};
use modelarts_protocol::operations::Operation;
use modelarts_protocol::retry::{ClockSkew, RetryKind, RetryTokenBucket};
use modelarts_protocol::stop::CallEnd;
use tracing::Instrument;
use tracing::field::Empty;

use crate::error::Error;

use modelarts_protocol::USER_AGENT;

/// Skew from which a warning is logged (API Gateway refuses requests beyond 15 min).
const SKEW_WARNING: Duration = Duration::from_secs(5 * 60);

/// State shared by all clones of a client.
#[derive(Debug)]
pub(crate) struct SharedState {
    bucket: Mutex<RetryTokenBucket>,
    skew_millis: AtomicI64,
    skew_known: AtomicBool,
    skew_warned: AtomicBool,
    /// Whether an answer in this run proved the credentials: a 2xx from ModelArts or IAM to a
    /// request carrying them, or an answer of the service behind the gateway (a `ModelArts.*`
    /// code), which only comes once the gateway accepted them.
    credentials_proved: AtomicBool,
}

impl SharedState {
    pub(crate) fn new() -> Self {
        Self::with_bucket(RetryTokenBucket::default())
    }

    pub(crate) fn with_bucket(bucket: RetryTokenBucket) -> Self {
        Self {
            bucket: Mutex::new(bucket),
            skew_millis: AtomicI64::new(0),
            skew_known: AtomicBool::new(false),
            skew_warned: AtomicBool::new(false),
            credentials_proved: AtomicBool::new(false),
        }
    }

    pub(crate) fn bucket(&self) -> std::sync::MutexGuard<'_, RetryTokenBucket> {
        // The bucket is a counter: a panic elsewhere cannot leave it inconsistent.
        self.bucket.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn tokens_available(&self) -> u32 {
        self.bucket().available()
    }

    /// The measured skew, if any response carried a usable `Date`.
    pub(crate) fn skew(&self) -> Option<ClockSkew> {
        self.skew_known
            .load(Ordering::Acquire)
            .then(|| ClockSkew { millis: self.skew_millis.load(Ordering::Acquire) })
    }

    pub(crate) fn record_skew(&self, skew: ClockSkew) {
        self.skew_millis.store(skew.millis, Ordering::Release);
        self.skew_known.store(true, Ordering::Release);
        if skew.magnitude() > SKEW_WARNING {
            if !self.skew_warned.swap(true, Ordering::AcqRel) {
                tracing::warn!(
                    skew_seconds = skew.millis / 1000,
                    "the local clock is off by more than 5 minutes from the server's; requests are signed with the \
                     server's time (fix the system clock: the API refuses signatures more than 15 minutes off)"
                );
            }
        } else {
            self.skew_warned.store(false, Ordering::Release);
        }
    }

    /// Whether an answer in this run proved the credentials (see [`Self::prove_credentials`]).
    pub(crate) fn credentials_proved(&self) -> bool {
        self.credentials_proved.load(Ordering::Acquire)
    }

    /// Records that an answer proved the credentials: a batch may then send at its full
    /// concurrency without risking the gateway's lock of the access key.
    pub(crate) fn prove_credentials(&self) {
        self.credentials_proved.store(true, Ordering::Release);
    }

    /// Now, on the server's clock as far as it is known.
    pub(crate) fn corrected_now(&self, now: SystemTime) -> SystemTime {
        self.skew().map_or(now, |s| s.apply(now))
    }
}

/// The endpoints of a client: the first, then the rest of its list. Clones of a client share the
/// one in use; the protocol's [`failover`](modelarts_protocol::endpoint::failover) decides when to
/// move on.
#[derive(Debug)]
pub(crate) struct EndpointSet {
    list: Vec<modelarts_protocol::endpoint::Endpoint>,
    active: std::sync::atomic::AtomicUsize,
}

impl EndpointSet {
    pub(crate) fn new(
        first: modelarts_protocol::endpoint::Endpoint,
        rest: Vec<modelarts_protocol::endpoint::Endpoint>,
    ) -> Self {
        let mut list = vec![first];
        list.extend(rest);
        Self { list, active: std::sync::atomic::AtomicUsize::new(0) }
    }

    /// The endpoint the next attempt goes to.
    pub(crate) fn current(&self) -> &modelarts_protocol::endpoint::Endpoint {
        let index = self.active.load(Ordering::Acquire).min(self.list.len() - 1);
        // `list` is never empty: `new` puts the first endpoint in.
        &self.list[index]
    }

    /// The same endpoints, starting where this set is now.
    pub(crate) fn snapshot(&self) -> Self {
        Self {
            list: self.list.clone(),
            active: std::sync::atomic::AtomicUsize::new(self.active.load(Ordering::Acquire)),
        }
    }

    /// Moves to the next endpoint when the protocol says so; the failure as the call should see it.
    fn after_failure(&self, failure: &TransportFailure) -> TransportFailure {
        let current = self.active.load(Ordering::Acquire).min(self.list.len() - 1);
        let (next, seen) = modelarts_protocol::endpoint::failover(current, self.list.len(), failure);
        if next != current {
            self.active.store(next, Ordering::Release);
            tracing::info!(
                from = self.list[current].host(),
                to = self.list[next].host(),
                "the endpoint could not be reached: trying the next one of the list"
            );
        }
        seen
    }
}

/// What a call needs besides the operation: the sender, the shared state, the clock and the jitter.
/// The client's calls and the identity calls before and between them (IAM, metadata) run through it,
/// so they share retries, the quota and the measured skew.
pub(crate) struct Pipeline<'a, T> {
    pub(crate) transport: &'a T,
    pub(crate) state: &'a SharedState,
    pub(crate) time: &'a crate::time::Time,
    pub(crate) jitter: &'a crate::settings::JitterFn,
    pub(crate) policy: modelarts_protocol::retry::RetryPolicy,
}

/// Whether an answer to a request carrying credentials proves them: a 2xx, or a refusal by the
/// service behind the gateway (`ModelArts.*`), which the gateway only lets through once it accepted
/// the credentials.
fn proves_credentials<O>(
    status: http::StatusCode,
    parsed: &Result<O, modelarts_protocol::error::ResponseError>,
) -> bool {
    status.is_success()
        || matches!(
            parsed,
            Err(modelarts_protocol::error::ResponseError::Api(e))
                if e.code().is_some_and(|c| c.starts_with("ModelArts."))
        )
}

/// Builds and authorizes `op`'s request for `endpoint` as of `now` (already skew-corrected);
/// without `auth` (a password login, the metadata service) it is sent as built.
pub(crate) fn prepare<O: Operation>(
    op: &O,
    endpoint: &modelarts_protocol::endpoint::Endpoint,
    auth: Option<&auth::Auth>,
    now: SystemTime,
) -> Result<http::Request<Bytes>, Error> {
    let mut request = op.build_request(endpoint).map_err(Error::InvalidInput)?;
    request.headers_mut().insert(http::header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
    match auth {
        Some(auth) => auth::authorize(&mut request, auth, now).map_err(Error::Signing)?,
        None => {
            let carries_body = !request.body().is_empty()
                || matches!(*request.method(), http::Method::POST | http::Method::PUT | http::Method::PATCH);
            if carries_body && !request.headers().contains_key(http::header::CONTENT_LENGTH) {
                let length = HeaderValue::from(request.body().len());
                request.headers_mut().insert(http::header::CONTENT_LENGTH, length);
            }
        }
    }
    Ok(request)
}

/// How a driven call ended: the protocol's end, or an error found before sending (build, sign).
pub(crate) type Driven<O, E> = Result<CallEnd<<O as Operation>::Output, E>, Error>;

impl<T: HttpSend<Error: Send + Sync + 'static>> Pipeline<'_, T> {
    /// Runs an identity call (IAM, metadata) to its end: its output or the error.
    pub(crate) async fn run<O: Operation + Sync>(
        &self,
        op: &O,
        endpoint: &modelarts_protocol::endpoint::Endpoint,
        auth: Option<&auth::Auth>,
    ) -> Result<O::Output, Error> {
        let mut call = Call::new(self.policy, O::IDEMPOTENT);
        let endpoints = EndpointSet::new(endpoint.clone(), Vec::new());
        match self.drive(&mut call, op, &endpoints, auth).await? {
            CallEnd::Done(output) => Ok(output),
            CallEnd::CheckState(e) | CallEnd::GaveUp(e) => Err(e.into()),
        }
    }

    /// Runs an identity call once, unauthenticated, giving up when no answer came within `bound`
    /// (`None`): for a service that may not exist (the metadata service on a laptop).
    pub(crate) async fn run_bounded<O: Operation + Sync>(
        &self,
        op: &O,
        endpoint: &modelarts_protocol::endpoint::Endpoint,
        bound: Duration,
    ) -> Option<Result<O::Output, Error>> {
        let mut policy = self.policy;
        policy.max_attempts = 1;
        let once = Pipeline { policy, ..*self };
        // A blocking sleep cannot race a blocking send (it would only delay it): the blocking
        // client bounds the connection by a TCP connect of its own instead.
        #[cfg(feature = "blocking")]
        if self.time.blocking {
            return match crate::probe::probe_connect(endpoint, bound) {
                crate::probe::Probe::Reachable => Some(once.run(op, endpoint, None).await),
                crate::probe::Probe::Silent => None,
                crate::probe::Probe::Failed(error) => Some(Err(Error::Transport {
                    source: crate::error::TransportError::new(error),
                    attempts: 0,
                })),
            };
        }
        let call = std::pin::pin!(once.run(op, endpoint, None));
        let bound = std::pin::pin!(self.time.sleep(bound));
        match futures_util::future::select(call, bound).await {
            futures_util::future::Either::Left((result, _)) => Some(result),
            futures_util::future::Either::Right(((), _)) => None,
        }
    }

    fn jitter(&self) -> f64 {
        (self.jitter)().clamp(0.0, 1.0)
    }

    /// Runs `call`'s attempts of `op`: the protocol's [`Call`] decides, this loop signs at the time
    /// it gives, sends, feeds the answer back, and sleeps when told.
    pub(crate) async fn drive<O: Operation + Sync>(
        &self,
        call: &mut Call,
        op: &O,
        endpoints: &EndpointSet,
        auth: Option<&auth::Auth>,
    ) -> Driven<O, T::Error> {
        let state = self.state;
        loop {
            let span = tracing::debug_span!(
                "modelarts.attempt",
                operation = O::NAME,
                attempt = call.counted_attempts() + 1,
                max_attempts = call.policy().max_attempts,
                status = Empty,
                request_id = Empty,
                outcome = Empty,
                backoff_ms = Empty,
            );
            let signing_time = call.start_attempt(self.time.now(), state.skew());
            let request = prepare(op, endpoints.current(), auth, signing_time)?;
            let result = self.transport.send(request).instrument(span.clone()).await;
            let received_at = self.time.now();
            let step = match result {
                Ok(response) => {
                    let head = ResponseHead::of(&response, received_at);
                    span.record("status", head.status.as_u16());
                    if let Some(id) = &head.request_id {
                        span.record("request_id", id.as_str());
                    }
                    let parsed = op.read_response(response);
                    if auth.is_some() && proves_credentials(head.status, &parsed) {
                        state.prove_credentials();
                    }
                    let step = call.on_response(&head, parsed, &mut *state.bucket(), self.jitter());
                    if let Some(skew) = call.measured_skew().filter(|_| head.date.is_some() && !head.cached) {
                        state.record_skew(skew);
                    }
                    step
                }
                Err(error) => {
                    tracing::debug!(
                        parent: &span,
                        may_have_reached_server = error.may_have_reached_server(),
                        "transport error: {error}"
                    );
                    let failure = endpoints.after_failure(&TransportFailure::of(&error));
                    call.on_transport_error(failure, error, &mut *state.bucket(), self.jitter())
                }
            };
            match step {
                CallStep::Done(output) => {
                    span.record("outcome", "success");
                    return Ok(CallEnd::Done(output));
                }
                CallStep::CheckState(e) => {
                    span.record("outcome", "check_state_first");
                    return Ok(CallEnd::CheckState(e));
                }
                CallStep::GiveUp(e) => {
                    span.record("outcome", e.reason.name());
                    return Ok(CallEnd::GaveUp(e));
                }
                CallStep::Resign { skew, .. } => {
                    span.record("outcome", "resign");
                    tracing::info!(
                        parent: &span,
                        skew_ms = skew.millis,
                        "authentication failed while the clock is off: signing again with the server's time"
                    );
                }
                CallStep::Retry { delay, kind, error } => {
                    span.record("outcome", if kind == RetryKind::Throttling { "throttled" } else { "retry" });
                    span.record("backoff_ms", u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
                    tracing::debug!(parent: &span, "retrying after {delay:?}: {error}");
                    self.time.sleep(delay).await;
                }
            }
        }
    }
}
