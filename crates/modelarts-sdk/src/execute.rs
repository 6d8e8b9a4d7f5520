//! The attempt loop every call runs: build (protocol) → `User-Agent` → authorize at the
//! skew-corrected time → send → measure skew → parse → classify (protocol) → back off and retry, or
//! stop. Also the state clones of a client share: the retry token bucket and the clock skew.
//!
//! Decisions are never made here: [`RetryPolicy::classify`] and [`RetryPolicy::backoff`] make them.
//! This module only reads clocks, draws jitter, sleeps and sends. It never logs a header value.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::HeaderValue;
use modelarts_protocol::auth;
use modelarts_protocol::error::ResponseError;
use modelarts_protocol::operations::{Operation, request_id};
use modelarts_protocol::retry::{
    AttemptContext, AttemptOutcome, ClockSkew, RetryDecision, RetryKind, RetryTokenBucket, parse_http_date,
    parse_retry_after,
};
use modelarts_transport::HttpSend;
use tracing::Instrument;
use tracing::field::Empty;

use crate::client::Client;
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
        }
    }

    fn bucket(&self) -> std::sync::MutexGuard<'_, RetryTokenBucket> {
        // The bucket is a counter: a panic elsewhere cannot leave it inconsistent.
        self.bucket.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn try_acquire(&self, kind: RetryKind) -> bool {
        self.bucket().try_acquire(kind)
    }

    pub(crate) fn on_success(&self) {
        self.bucket().on_success();
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

    fn record_skew(&self, skew: ClockSkew) {
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

    /// Now, on the server's clock as far as it is known.
    pub(crate) fn corrected_now(&self) -> SystemTime {
        let now = SystemTime::now();
        self.skew().map_or(now, |s| s.apply(now))
    }
}

/// Counters of one call's attempts.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Attempts {
    /// Requests sent, re-signs included (reported in errors).
    pub(crate) sent: u32,
    /// Attempts counted against `max_attempts` (a re-sign for skew is not one).
    pub(crate) counted: u32,
    /// Whether the one re-sign for skew was made.
    pub(crate) resigned: bool,
}

/// How an attempt loop ended without an output.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Give this error to the caller.
    Final(Error),
    /// A non-idempotent request may have taken effect: read the state before sending it again.
    CheckState(Error),
}

impl Failure {
    pub(crate) fn into_error(self) -> Error {
        match self {
            Failure::Final(e) | Failure::CheckState(e) => e,
        }
    }
}

impl<T> Client<T> {
    /// Builds and authorizes `op`'s request as of `now` (already skew-corrected).
    pub(crate) fn prepare<O: Operation>(
        &self,
        op: &O,
        now: SystemTime,
    ) -> Result<http::Request<Bytes>, Error> {
        let mut request = op.build_request(&self.inner.endpoint).map_err(Error::InvalidInput)?;
        request.headers_mut().insert(http::header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
        auth::authorize(&mut request, &self.inner.auth, now).map_err(Error::Signing)?;
        Ok(request)
    }
}

impl<T: HttpSend> Client<T> {
    pub(crate) async fn execute<O: Operation + Sync>(&self, op: &O) -> Result<O::Output, Error> {
        let mut attempts = Attempts::default();
        self.attempt_loop(op, &mut attempts).await.map_err(Failure::into_error)
    }

    /// Sends `op` until it succeeds, the policy says stop, the attempts or the retry quota run out,
    /// or (for a non-idempotent request) the state must be read first.
    pub(crate) async fn attempt_loop<O: Operation + Sync>(
        &self,
        op: &O,
        attempts: &mut Attempts,
    ) -> Result<O::Output, Failure> {
        let policy = &self.inner.policy;
        let state = &self.inner.state;
        loop {
            attempts.sent += 1;
            attempts.counted += 1;
            let span = tracing::debug_span!(
                "modelarts.attempt",
                operation = O::NAME,
                attempt = attempts.counted,
                max_attempts = policy.max_attempts,
                status = Empty,
                request_id = Empty,
                outcome = Empty,
                backoff_ms = Empty,
            );
            let skew_used = state.skew();
            let now = SystemTime::now();
            let signing_time = skew_used.map_or(now, |s| s.apply(now));
            let request = self.prepare(op, signing_time).map_err(Failure::Final)?;

            let sent_at = SystemTime::now();
            let result = self.inner.transport.send(request).instrument(span.clone()).await;
            let received_at = SystemTime::now();

            let mut residual_skew = None;
            let (error, decision) = match result {
                Ok(response) => {
                    let headers = response.headers();
                    span.record("status", response.status().as_u16());
                    if let Some(id) = request_id(headers) {
                        span.record("request_id", id.as_str());
                    }
                    let server_date = headers
                        .get(http::header::DATE)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_http_date);
                    // A cached answer's Date says nothing of the server's clock now.
                    if let Some(date) = server_date.filter(|_| !headers.contains_key(http::header::AGE)) {
                        let measured = ClockSkew::estimate(date, sent_at, received_at);
                        state.record_skew(measured);
                        residual_skew =
                            Some(ClockSkew { millis: measured.millis - skew_used.map_or(0, |s| s.millis) });
                    }
                    let retry_after = headers
                        .get(http::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, server_date.unwrap_or(received_at)));
                    match O::parse_response(response) {
                        Ok(output) => {
                            state.on_success();
                            span.record("outcome", "success");
                            return Ok(output);
                        }
                        Err(ResponseError::Api(api)) => {
                            let context = AttemptContext {
                                idempotent: O::IDEMPOTENT,
                                clock_skew: residual_skew,
                                already_resigned: attempts.resigned,
                            };
                            let outcome = AttemptOutcome::Api { error: &api, retry_after };
                            let decision = policy.classify(&outcome, &context);
                            let error = Error::Service { error: api, attempts: attempts.sent, retry_after };
                            (error, decision)
                        }
                        Err(other) => {
                            let context = AttemptContext {
                                idempotent: O::IDEMPOTENT,
                                clock_skew: residual_skew,
                                already_resigned: attempts.resigned,
                            };
                            let outcome = AttemptOutcome::Malformed { http_status: other.http_status() };
                            let decision = policy.classify(&outcome, &context);
                            let error = Error::Response { source: other, attempts: attempts.sent };
                            (error, decision)
                        }
                    }
                }
                Err(transport_error) => {
                    let context = AttemptContext {
                        idempotent: O::IDEMPOTENT,
                        clock_skew: None,
                        already_resigned: attempts.resigned,
                    };
                    let outcome = match transport_error.kind() {
                        modelarts_transport::ErrorKind::Tls => AttemptOutcome::TlsRejected,
                        modelarts_transport::ErrorKind::ProxyAuth => AttemptOutcome::ProxyAuthRejected,
                        modelarts_transport::ErrorKind::BodyTooLarge => AttemptOutcome::Oversized,
                        _ => AttemptOutcome::TransportError {
                            may_have_reached_server: transport_error.may_have_reached_server(),
                        },
                    };
                    let decision = policy.classify(&outcome, &context);
                    tracing::debug!(parent: &span, kind = ?transport_error.kind(), "transport error: {transport_error}");
                    let error = Error::Transport { source: transport_error, attempts: attempts.sent };
                    (error, decision)
                }
            };

            match decision {
                RetryDecision::DoNotRetry => {
                    span.record("outcome", "error");
                    return Err(Failure::Final(error));
                }
                RetryDecision::CheckStateFirst => {
                    span.record("outcome", "check_state_first");
                    return Err(Failure::CheckState(error));
                }
                RetryDecision::ResignWithCorrectedClock => {
                    span.record("outcome", "resign");
                    tracing::info!(
                        parent: &span,
                        skew_ms = residual_skew.map_or(0, |s| s.millis),
                        "authentication failed while the clock is off: signing again with the server's time"
                    );
                    attempts.resigned = true;
                    // The re-sign is not counted against max_attempts, and costs no retry token.
                    attempts.counted = attempts.counted.saturating_sub(1);
                }
                RetryDecision::Retry { kind, retry_after } => {
                    if attempts.counted >= policy.max_attempts {
                        span.record("outcome", "attempts_exhausted");
                        return Err(Failure::Final(error));
                    }
                    if !state.try_acquire(kind) {
                        span.record("outcome", "retry_quota_exhausted");
                        tracing::debug!(parent: &span, "the retry quota is exhausted: not retrying");
                        return Err(Failure::Final(error));
                    }
                    let delay = policy.backoff(kind, attempts.counted, self.jitter(), retry_after);
                    span.record("outcome", if kind == RetryKind::Throttling { "throttled" } else { "retry" });
                    span.record("backoff_ms", u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
                    tracing::debug!(parent: &span, "retrying after {delay:?}: {error}");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }
}
