//! The driver of one call: the protocol's [`Call`] owns the attempts (counting, quota, re-sign,
//! skew, `Retry-After`, backoff); this loop reads the clock, draws the jitter, signs and sends,
//! feeds the answer back, and sleeps when told. Also the state clones of a client share: the retry
//! token bucket and the clock skew. It never logs a header value.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use modelarts_http::{HttpSend, SendError};
use modelarts_protocol::auth;
use modelarts_protocol::call::{ResponseHead, TransportFailure};
use modelarts_protocol::drive::{Input, Machine, PrepareError, Step};
use modelarts_protocol::iam::renewal;
use modelarts_protocol::machine::steps::{CallEnd, CallMachine};
use modelarts_protocol::operations::Operation;
use modelarts_protocol::retry::{ClockSkew, RetryTokenBucket};
use tracing::Instrument;
use tracing::field::Empty;

use crate::error::Error;

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
fn proves_credentials(response: &http::Response<Bytes>) -> bool {
    response.status().is_success()
        || modelarts_protocol::operations::parse_error(response)
            .code()
            .is_some_and(|c| c.starts_with("ModelArts."))
}

/// Builds and authorizes `op`'s request for `endpoint` as of `now` (already skew-corrected): the
/// protocol's [`prepare`](modelarts_protocol::drive::prepare).
pub(crate) fn prepare<O: Operation>(
    op: &O,
    endpoint: &modelarts_protocol::endpoint::Endpoint,
    auth: Option<&auth::Auth>,
    now: SystemTime,
) -> Result<http::Request<Bytes>, Error> {
    modelarts_protocol::drive::prepare(op, endpoint, auth, now).map_err(|e| match e {
        PrepareError::Build(e) => Error::InvalidInput(e),
        PrepareError::Signing(e) => Error::Signing(e),
        other => Error::Internal { message: other.to_string() },
    })
}

/// The client's credentials as the driver sees them: the current ones with their generation, and
/// their renewal, which runs identity calls through this driver. `identity::AuthState` implements
/// it; the driver names only this trait, so the identity calls and the driver stay two layers.
pub(crate) trait ClientCredentials<T> {
    /// The credentials in force and their generation (raised by each renewal).
    fn current(&self) -> (auth::Auth, u64);
    /// Whether they can be renewed at all (a fixed AK/SK cannot).
    fn is_renewable(&self) -> bool;
    /// Renews them when they are due.
    fn renew_if_due(
        &self,
        pipeline: &Pipeline<'_, T>,
    ) -> impl std::future::Future<Output = Result<(), Error>>;
    /// Renews them, unless another task already renewed the `seen` generation.
    fn renew(
        &self,
        pipeline: &Pipeline<'_, T>,
        seen: u64,
    ) -> impl std::future::Future<Output = Result<(), Error>>;
}

/// No client credentials: the signer of identity calls, which are unsigned or signed with fixed
/// credentials (it has no value).
pub(crate) enum NoClientCredentials {}

impl<T> ClientCredentials<T> for NoClientCredentials {
    fn current(&self) -> (auth::Auth, u64) {
        match *self {}
    }

    fn is_renewable(&self) -> bool {
        match *self {}
    }

    async fn renew_if_due(&self, _: &Pipeline<'_, T>) -> Result<(), Error> {
        match *self {}
    }

    async fn renew(&self, _: &Pipeline<'_, T>, _: u64) -> Result<(), Error> {
        match *self {}
    }
}

/// Whose credentials sign a machine's requests.
pub(crate) enum Signer<'a, C> {
    /// None: a password login, the metadata service.
    Unsigned,
    /// Fixed credentials (an identity call).
    Fixed(&'a auth::Auth),
    /// The client's credentials: renewed ahead of expiry, and once after a refusal that says they
    /// expired.
    Client(&'a C),
}

impl<C> Clone for Signer<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for Signer<'_, C> {}

impl<T: HttpSend<Error: Send + Sync + 'static>> Pipeline<'_, T> {
    /// Runs an identity call (IAM, metadata) to its end: its output or the error.
    pub(crate) async fn run<O: Operation + Sync>(
        &self,
        op: &O,
        endpoint: &modelarts_protocol::endpoint::Endpoint,
        auth: Option<&auth::Auth>,
    ) -> Result<O::Output, Error> {
        let endpoints = EndpointSet::new(endpoint.clone(), Vec::new());
        let signer: Signer<'_, NoClientCredentials> = auth.map_or(Signer::Unsigned, Signer::Fixed);
        match self.drive(CallMachine::new(op, self.policy), &endpoints, signer, |_| {}).await? {
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

    /// The one driver of every machine: steps it with the clock, a jitter sample, the shared
    /// quota and skew, the endpoint and the credentials; sends what it asks (each request in a
    /// `modelarts.attempt` span), sleeps what it asks, and feeds each answer back.
    pub(crate) async fn drive<M: Machine<Error = T::Error>, C: ClientCredentials<T>>(
        &self,
        mut machine: M,
        endpoints: &EndpointSet,
        signer: Signer<'_, C>,
        mut observe: impl FnMut(&M),
    ) -> Result<M::Output, Error> {
        let state = self.state;
        // The span of the last request, and its answer's status, until the next step says what
        // came of it.
        let mut attempt: Option<(tracing::Span, Option<http::StatusCode>)> = None;
        let mut fresh_date = false;
        let mut renewed = false;
        loop {
            let (auth, generation) = match signer {
                Signer::Unsigned => (None, 0),
                Signer::Fixed(auth) => (Some(auth.clone()), 0),
                Signer::Client(credentials) => {
                    // Boxed: a renewal runs identity calls through this driver.
                    // Boxed: a renewal runs identity calls through this driver.
                    Box::pin(credentials.renew_if_due(self)).await?;
                    let (auth, generation) = credentials.current();
                    (Some(auth), generation)
                }
            };
            let step = {
                let mut quota = state.bucket();
                let mut input = Input::new(
                    self.time.now(),
                    self.time.monotonic(),
                    self.jitter(),
                    &mut *quota,
                    endpoints.current(),
                    auth.as_ref(),
                )
                .with_skew(state.skew())
                .with_auth_generation(generation);
                machine.step(&mut input)
            };
            if std::mem::take(&mut fresh_date)
                && let Some(skew) = machine.measured_skew()
            {
                state.record_skew(skew);
            }
            observe(&machine);
            if let Some((span, status)) = attempt.take() {
                let outcome = match (&step, status) {
                    (_, Some(s)) if s.is_success() => "success",
                    (Step::Sleep(delay), status) => {
                        span.record("backoff_ms", u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
                        if status == Some(http::StatusCode::TOO_MANY_REQUESTS) {
                            "throttled"
                        } else {
                            "retry"
                        }
                    }
                    (Step::Send(_), _) => "next",
                    (Step::Done(_), _) => "ended",
                };
                span.record("outcome", outcome);
            }
            let request = match step {
                Step::Done(output) => return Ok(output),
                Step::Sleep(delay) => {
                    tracing::debug!("sleeping {delay:?} as the protocol asks");
                    self.time.sleep(delay).await;
                    continue;
                }
                Step::Send(request) => request,
            };
            let info = machine.attempt();
            let span = tracing::debug_span!(
                "modelarts.attempt",
                operation = info.map_or("request", |a| a.operation),
                attempt = info.map_or(0, |a| a.number),
                max_attempts = info.map_or(0, |a| a.max_attempts),
                status = Empty,
                request_id = Empty,
                outcome = Empty,
                backoff_ms = Empty,
            );
            let sent_at = self.time.now();
            let result = self.transport.send(request).instrument(span.clone()).await;
            let received_at = self.time.now();
            match result {
                Ok(response) => {
                    let status = response.status();
                    span.record("status", status.as_u16());
                    if let Some(id) = modelarts_protocol::error::request_id(response.headers()) {
                        span.record("request_id", id.as_str());
                    }
                    if auth.is_some() && proves_credentials(&response) {
                        state.prove_credentials();
                    }
                    fresh_date = response.headers().contains_key(http::header::DATE)
                        && !response.headers().contains_key(http::header::AGE);
                    if let Signer::Client(credentials) = signer
                        && !status.is_success()
                        && !renewed
                        && credentials.is_renewable()
                        && renewal::after_refusal(&modelarts_protocol::operations::parse_error(&response), 0)
                            == renewal::AfterRefusal::RenewAndRetry
                    {
                        renewed = true;
                        tracing::info!(parent: &span, "the credentials expired: renewing them once");
                        // The renewal's own calls sign with the skew this answer shows.
                        let head = ResponseHead::of(&response, received_at);
                        if let (Some(date), false) = (head.date, head.cached) {
                            state.record_skew(ClockSkew::estimate(date, sent_at, received_at));
                        }
                        Box::pin(credentials.renew(self, generation)).await?;
                    }
                    machine.on_response(response, received_at);
                    attempt = Some((span, Some(status)));
                }
                Err(error) => {
                    tracing::debug!(
                        parent: &span,
                        may_have_reached_server = error.may_have_reached_server(),
                        "transport error: {error}"
                    );
                    let failure = endpoints.after_failure(&TransportFailure::of(&error));
                    machine.on_transport_failure(failure, error);
                    attempt = Some((span, None));
                }
            }
        }
    }
}
