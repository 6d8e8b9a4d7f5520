//! The call machine: one operation's attempts, from the first signing to the answer the caller
//! gets. It counts attempts, spends the shared retry quota, re-signs once when the clock explains an
//! authentication failure, measures the clock skew from the answers' `Date`, honours `Retry-After`,
//! and says what to do next. It does no I/O: the driver reads the clock, draws the jitter, signs and
//! sends, sleeps, and feeds each answer back (in the manner of quinn-proto's connection, or smithy's
//! `RetryStrategy`).
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use modelarts_protocol::call::{Call, CallStep, ResponseHead};
//! use modelarts_protocol::operations::{Operation, show_training_job_version::ShowTrainingJobVersion};
//! use modelarts_protocol::retry::{RetryPolicy, RetryTokenBucket};
//!
//! let mut quota = RetryTokenBucket::default();
//! let mut call = Call::new(RetryPolicy::default(), ShowTrainingJobVersion::IDEMPOTENT);
//! let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! // Attempt 1: sign at this time, send, and feed the answer back.
//! let _signing_time = call.start_attempt(t0, None);
//! let answer = http::Response::builder().status(503).body(bytes::Bytes::new())?;
//! let head = ResponseHead::of(&answer, t0);
//! let parsed = ShowTrainingJobVersion::parse_response(answer);
//! let step: CallStep<_, std::io::Error> = call.on_response(&head, parsed, &mut quota, 1.0);
//! assert!(matches!(step, CallStep::Retry { delay, .. } if delay == Duration::from_millis(100)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};

use crate::error::request_id;
use crate::error::{ApiError, ErrorClass, ResponseError};
use crate::machine::retry::{
    AttemptContext, AttemptOutcome, ClockSkew, RetryDecision, RetryKind, RetryPolicy, RetryTokenBucket,
    parse_http_date, parse_retry_after,
};

/// A retry quota shared by the calls of a client. The call borrows it only while it decides, so
/// the driver may keep it behind a mutex and share it between clones of a client.
pub trait RetryQuota {
    /// Takes the cost of a retry of this kind; false (and nothing taken) when the quota is dry.
    fn try_acquire(&mut self, kind: RetryKind) -> bool;
    /// Gives back after a success.
    fn on_success(&mut self);
}

impl RetryQuota for RetryTokenBucket {
    fn try_acquire(&mut self, kind: RetryKind) -> bool {
        RetryTokenBucket::try_acquire(self, kind)
    }

    fn on_success(&mut self) {
        RetryTokenBucket::on_success(self);
    }
}

/// No quota: every retry the policy allows is made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unlimited;

impl RetryQuota for Unlimited {
    fn try_acquire(&mut self, _: RetryKind) -> bool {
        true
    }

    fn on_success(&mut self) {}
}

/// What the call needs from an answer besides its parsed body: read from the head before the body
/// is parsed (parsing consumes the response).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// The HTTP status.
    pub status: StatusCode,
    /// The server's `Date`, if present and readable.
    pub date: Option<SystemTime>,
    /// Whether an `Age` header marks the answer as cached (its `Date` then says nothing of the
    /// server's clock now).
    pub cached: bool,
    /// The server's `Retry-After`, as a delay (an HTTP date is measured from `Date`, else from the
    /// local receive time).
    pub retry_after: Option<Duration>,
    /// The `X-Request-Id` header.
    pub request_id: Option<String>,
    /// The local time the answer was received.
    pub received_at: SystemTime,
}

impl ResponseHead {
    /// Reads a head from its status and headers; `received_at` is the local clock when it came.
    pub fn from_parts(status: StatusCode, headers: &HeaderMap, received_at: SystemTime) -> Self {
        let text = |name| headers.get(name).and_then(|v: &http::HeaderValue| v.to_str().ok());
        let date = text(http::header::DATE).and_then(parse_http_date);
        let retry_after =
            text(http::header::RETRY_AFTER).and_then(|v| parse_retry_after(v, date.unwrap_or(received_at)));
        Self {
            status,
            date,
            cached: headers.contains_key(http::header::AGE),
            retry_after,
            request_id: request_id(headers),
            received_at,
        }
    }

    /// Reads the head of a response.
    pub fn of(response: &Response<Bytes>, received_at: SystemTime) -> Self {
        Self::from_parts(response.status(), response.headers(), received_at)
    }
}

/// A transport failure as the call sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransportFailure {
    /// Whether the request may have reached the server (written, or partly).
    pub may_have_reached_server: bool,
    /// The TLS handshake rejected the server (certificate, protocol): nothing was sent, and
    /// another attempt would meet the same server.
    pub tls_rejected: bool,
    /// A proxy refused its credentials (407): a configuration failure, never retried.
    pub proxy_auth_rejected: bool,
    /// The answer was over the client's size cap: unreadable, not retried (a stop's state is read
    /// first).
    pub oversized: bool,
}

impl TransportFailure {
    /// The failure as the HTTP-client seam's error reports it.
    pub fn of(error: &impl modelarts_http::SendError) -> Self {
        Self {
            may_have_reached_server: error.may_have_reached_server(),
            tls_rejected: error.is_tls_rejected(),
            proxy_auth_rejected: error.is_proxy_auth_rejected(),
            oversized: error.is_oversized(),
        }
    }
}

/// Why a request could not be prepared: nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrepareError {
    /// The operation's input did not make a request.
    #[error(transparent)]
    Build(#[from] crate::error::BuildError),
    /// The request could not be signed.
    #[error(transparent)]
    Signing(#[from] crate::signing::SigningError),
    /// The machine was stepped after it was done (a driver bug).
    #[error("the machine was stepped after it was done")]
    Finished,
}

/// Why an attempt failed; `E` is the driver's transport error.
#[non_exhaustive]
#[derive(Debug)]
pub enum AttemptError<E> {
    /// The service refused the request.
    Api {
        /// The service's error.
        error: ApiError,
        /// The answer's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// The service answered, but the answer could not be read.
    Response(ResponseError),
    /// The transport failed.
    Transport(E),
    /// The request could not be prepared (built or signed): nothing was sent.
    Prepare(PrepareError),
}

impl<E> AttemptError<E> {
    /// The service's error, if the service answered with one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            AttemptError::Api { error, .. } => Some(error),
            AttemptError::Response(e) => e.api_error(),
            AttemptError::Transport(_) | AttemptError::Prepare(_) => None,
        }
    }
}

impl<E: fmt::Display> fmt::Display for AttemptError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptError::Api { error, .. } => error.fmt(f),
            AttemptError::Response(e) => e.fmt(f),
            AttemptError::Transport(e) => e.fmt(f),
            AttemptError::Prepare(e) => e.fmt(f),
        }
    }
}

/// Why a call gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GiveUpReason {
    /// The policy does not retry this failure (a refusal, a rejected TLS certificate).
    NotRetryable,
    /// Every attempt allowed was made.
    AttemptsExhausted,
    /// The shared retry quota is dry.
    QuotaExhausted,
}

impl GiveUpReason {
    /// A short snake_case name, for logs.
    pub fn name(self) -> &'static str {
        match self {
            GiveUpReason::NotRetryable => "error",
            GiveUpReason::AttemptsExhausted => "attempts_exhausted",
            GiveUpReason::QuotaExhausted => "retry_quota_exhausted",
        }
    }
}

/// The last failure of a call that did not succeed.
#[derive(Debug)]
pub struct CallError<E> {
    /// The last attempt's failure.
    pub error: AttemptError<E>,
    /// Requests sent, re-signs included.
    pub attempts: u32,
    /// Why the call ended here.
    pub reason: GiveUpReason,
}

impl<E> CallError<E> {
    /// Whether the service refused the request for a reason other than authentication,
    /// throttling, a server failure or an API that is not there (`APIG.0101`, where a status read
    /// gets the same answer): a refusal a stop must check against the status.
    pub fn is_refusal(&self) -> bool {
        match &self.error {
            AttemptError::Api { error, .. } => {
                !error.is_throttling()
                    && !matches!(error.class(), ErrorClass::Auth | ErrorClass::Server | ErrorClass::ApiAbsent)
                    && error.http_status < 500
            }
            _ => false,
        }
    }

    /// Whether the service said the resource does not exist (not an API that is not there).
    pub fn is_not_found(&self) -> bool {
        self.error.api_error().is_some_and(ApiError::is_not_found)
    }
}

/// What the driver does next.
///
/// Exhaustive on purpose: a driver must handle every step, so a new step is a breaking change by
/// design.
#[derive(Debug)]
pub enum CallStep<T, E> {
    /// The call succeeded.
    Done(T),
    /// Sleep `delay`, then start the next attempt ([`Call::start_attempt`]).
    Retry {
        /// How long to sleep.
        delay: Duration,
        /// Why the retry is made.
        kind: RetryKind,
        /// The failure that is retried (for logs).
        error: AttemptError<E>,
    },
    /// Sign again at once with the corrected clock and send: start the next attempt now. A re-sign
    /// is not an attempt and costs no retry token.
    Resign {
        /// The authentication failure the skew explains (for logs).
        error: AttemptError<E>,
        /// The skew the next signature corrects.
        skew: ClockSkew,
    },
    /// The request is not idempotent and may have taken effect: read the resource's state before
    /// sending it again (see [`Call::resume_after_check`]).
    CheckState(CallError<E>),
    /// Give the error to the caller.
    GiveUp(CallError<E>),
}

/// One operation's attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    policy: RetryPolicy,
    idempotent: bool,
    /// Requests sent, re-signs included.
    sent: u32,
    /// Attempts counted against `max_attempts` (a re-sign is not one).
    counted: u32,
    resigned: bool,
    /// The skew the current attempt was signed with.
    skew_used: Option<ClockSkew>,
    /// The local time the current attempt started.
    started_at: Option<SystemTime>,
    /// The last skew measured from an answer's `Date`.
    measured: Option<ClockSkew>,
}

impl Call {
    /// A call under `policy`; `idempotent` is the operation's [`Operation::IDEMPOTENT`](crate::operations::Operation::IDEMPOTENT).
    pub fn new(policy: RetryPolicy, idempotent: bool) -> Self {
        Self {
            policy,
            idempotent,
            sent: 0,
            counted: 0,
            resigned: false,
            skew_used: None,
            started_at: None,
            measured: None,
        }
    }

    /// Starts an attempt at local time `now`, and gives the time to sign it with: `now` moved onto
    /// the server's clock, by the skew this call measured, else by `known_skew` (one measured by an
    /// earlier call of the same client, if the driver keeps it).
    pub fn start_attempt(&mut self, now: SystemTime, known_skew: Option<ClockSkew>) -> SystemTime {
        self.sent = self.sent.saturating_add(1);
        self.counted = self.counted.saturating_add(1);
        let skew = self.measured.or(known_skew);
        self.skew_used = skew;
        self.started_at = Some(now);
        skew.map_or(now, |s| s.apply(now))
    }

    /// Requests sent so far, re-signs included.
    pub fn attempts(&self) -> u32 {
        self.sent
    }

    /// Attempts counted against the policy's `max_attempts`.
    pub fn counted_attempts(&self) -> u32 {
        self.counted
    }

    /// The skew measured from the last answer with a usable `Date` (none when the answer was
    /// cached), for the driver to share with later calls.
    pub fn measured_skew(&self) -> Option<ClockSkew> {
        self.measured
    }

    /// The policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Feeds the answer of the current attempt: its head, and its body as the operation parsed it.
    /// `jitter` is in `[0, 1)`.
    pub fn on_response<T, E>(
        &mut self,
        head: &ResponseHead,
        parsed: Result<T, ResponseError>,
        quota: &mut dyn RetryQuota,
        jitter: f64,
    ) -> CallStep<T, E> {
        let mut residual = None;
        if let (Some(date), false, Some(started)) = (head.date, head.cached, self.started_at) {
            let measured = ClockSkew::estimate(date, started, head.received_at);
            self.measured = Some(measured);
            residual = Some(ClockSkew { millis: measured.millis - self.skew_used.map_or(0, |s| s.millis) });
        }
        let (outcome_error, decision) = match parsed {
            Ok(output) => {
                quota.on_success();
                return CallStep::Done(output);
            }
            Err(ResponseError::Api(error)) => {
                let retry_after = head.retry_after;
                let decision = self.classify(&AttemptOutcome::Api { error: &error, retry_after }, residual);
                (AttemptError::Api { error, retry_after }, decision)
            }
            Err(other) => {
                let decision =
                    self.classify(&AttemptOutcome::Malformed { http_status: other.http_status() }, residual);
                (AttemptError::Response(other), decision)
            }
        };
        self.decide(outcome_error, decision, residual, quota, jitter)
    }

    /// Feeds a transport failure of the current attempt. `jitter` is in `[0, 1)`.
    pub fn on_transport_error<T, E>(
        &mut self,
        failure: TransportFailure,
        error: E,
        quota: &mut dyn RetryQuota,
        jitter: f64,
    ) -> CallStep<T, E> {
        let outcome = if failure.tls_rejected {
            AttemptOutcome::TlsRejected
        } else if failure.proxy_auth_rejected {
            AttemptOutcome::ProxyAuthRejected
        } else if failure.oversized {
            AttemptOutcome::Oversized
        } else {
            AttemptOutcome::TransportError { may_have_reached_server: failure.may_have_reached_server }
        };
        let decision = self.classify(&outcome, None);
        self.decide(AttemptError::Transport(error), decision, None, quota, jitter)
    }

    /// After [`CallStep::CheckState`] and a status read that shows the request did not take
    /// effect: whether to send it again, and after how long. `Err` means give up (attempts or
    /// quota exhausted); the caller then reports the failure that led to the check.
    pub fn resume_after_check(
        &mut self,
        quota: &mut dyn RetryQuota,
        jitter: f64,
    ) -> Result<Duration, GiveUpReason> {
        self.retry_delay(RetryKind::Transient, None, quota, jitter)
    }

    fn classify(&self, outcome: &AttemptOutcome<'_>, residual: Option<ClockSkew>) -> RetryDecision {
        let context = AttemptContext {
            idempotent: self.idempotent,
            clock_skew: residual,
            already_resigned: self.resigned,
        };
        self.policy.classify(outcome, &context)
    }

    fn retry_delay(
        &mut self,
        kind: RetryKind,
        retry_after: Option<Duration>,
        quota: &mut dyn RetryQuota,
        jitter: f64,
    ) -> Result<Duration, GiveUpReason> {
        if self.counted >= self.policy.max_attempts {
            return Err(GiveUpReason::AttemptsExhausted);
        }
        if !quota.try_acquire(kind) {
            return Err(GiveUpReason::QuotaExhausted);
        }
        Ok(self.policy.backoff(kind, self.counted, jitter, retry_after))
    }

    fn decide<T, E>(
        &mut self,
        error: AttemptError<E>,
        decision: RetryDecision,
        residual: Option<ClockSkew>,
        quota: &mut dyn RetryQuota,
        jitter: f64,
    ) -> CallStep<T, E> {
        let give_up = |error, reason, attempts| CallStep::GiveUp(CallError { error, attempts, reason });
        match decision {
            RetryDecision::DoNotRetry => give_up(error, GiveUpReason::NotRetryable, self.sent),
            RetryDecision::CheckStateFirst => CallStep::CheckState(CallError {
                error,
                attempts: self.sent,
                reason: GiveUpReason::NotRetryable,
            }),
            RetryDecision::ResignWithCorrectedClock => {
                self.resigned = true;
                // The re-sign is not counted against max_attempts (start_attempt counts it again).
                self.counted = self.counted.saturating_sub(1);
                CallStep::Resign { error, skew: residual.unwrap_or_default() }
            }
            RetryDecision::Retry { kind, retry_after } => {
                match self.retry_delay(kind, retry_after, quota, jitter) {
                    Ok(delay) => CallStep::Retry { delay, kind, error },
                    Err(reason) => give_up(error, reason, self.sent),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::Operation;
    use crate::operations::show_training_job_version::ShowTrainingJobVersion;
    use crate::operations::stop_training_job::StopTrainingJob;
    use crate::v1::model::VersionDetail;

    /// One scripted answer.
    enum Answer {
        Http { status: u16, body: &'static str, headers: Vec<(&'static str, String)> },
        Transport { may_have_reached_server: bool, tls: bool },
    }

    fn http(status: u16, body: &'static str) -> Answer {
        Answer::Http { status, body, headers: Vec::new() }
    }

    fn with(status: u16, body: &'static str, headers: Vec<(&'static str, String)>) -> Answer {
        Answer::Http { status, body, headers }
    }

    const VERSION_OK: &str = r#"{"is_success":true,"version_id":3,"status":8}"#;
    const STOP_OK: &str = r#"{"is_success":true}"#;
    const THROTTLED: &str = r#"{"error_code":"APIG.0308","error_msg":"over ratelimit"}"#;
    const SIG_EXPIRED: &str = r#"{"error_code":"APIG.0301","error_msg":"signature expired"}"#;

    /// What a sequence did: the step names, the sleeps, the signing times' offset from local.
    #[derive(Debug, PartialEq)]
    struct Trace {
        steps: Vec<String>,
        sleeps: Vec<Duration>,
        sign_offsets_s: Vec<i64>,
        attempts: u32,
    }

    fn t0() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    /// Drives a call through `answers` the way a driver does, with a local clock that only moves
    /// when the driver sleeps, and the server's clock `server_ahead_s` ahead of it.
    fn run<O: Operation>(
        answers: Vec<Answer>,
        max_attempts: u32,
        server_ahead_s: i64,
        quota: &mut dyn RetryQuota,
    ) -> Trace {
        let policy = RetryPolicy { max_attempts, ..RetryPolicy::default() };
        let mut call = Call::new(policy, O::IDEMPOTENT);
        let mut now = t0();
        let mut trace = Trace { steps: vec![], sleeps: vec![], sign_offsets_s: vec![], attempts: 0 };
        let server_now = |local: SystemTime| {
            if server_ahead_s >= 0 {
                local + Duration::from_secs(server_ahead_s.unsigned_abs())
            } else {
                local - Duration::from_secs(server_ahead_s.unsigned_abs())
            }
        };
        for answer in answers {
            let signing = call.start_attempt(now, None);
            let offset = match signing.duration_since(now) {
                Ok(d) => i64::try_from(d.as_secs()).unwrap(),
                Err(e) => -i64::try_from(e.duration().as_secs()).unwrap(),
            };
            trace.sign_offsets_s.push(offset);
            let step: CallStep<O::Output, &'static str> = match answer {
                Answer::Http { status, body, headers } => {
                    let mut b = http::Response::builder()
                        .status(status)
                        .header("date", httpdate::fmt_http_date(server_now(now)));
                    for (k, v) in headers {
                        b = b.header(k, v);
                    }
                    let response = b.body(Bytes::from_static(body.as_bytes())).unwrap();
                    let head = ResponseHead::of(&response, now);
                    call.on_response(&head, O::parse_response(response), quota, 1.0)
                }
                Answer::Transport { may_have_reached_server, tls } => call.on_transport_error(
                    TransportFailure { may_have_reached_server, tls_rejected: tls, ..Default::default() },
                    "transport failed",
                    quota,
                    1.0,
                ),
            };
            match step {
                CallStep::Done(_) => trace.steps.push("done".into()),
                CallStep::Retry { delay, kind, .. } => {
                    trace.steps.push(format!("retry {kind:?}"));
                    trace.sleeps.push(delay);
                    now += delay;
                }
                CallStep::Resign { .. } => trace.steps.push("resign".into()),
                CallStep::CheckState(e) => trace.steps.push(format!("check_state after {}", e.attempts)),
                CallStep::GiveUp(e) => {
                    trace.steps.push(format!("give_up {} after {}", e.reason.name(), e.attempts))
                }
            }
            trace.attempts = call.attempts();
        }
        trace
    }

    fn steps(trace: &Trace) -> Vec<&str> {
        trace.steps.iter().map(String::as_str).collect()
    }

    #[test]
    fn unavailable_then_throttled_with_retry_after_then_success() {
        let mut quota = RetryTokenBucket::default();
        let trace = run::<ShowTrainingJobVersion>(
            vec![
                http(503, "{}"),
                with(429, THROTTLED, vec![("retry-after", "7".into())]),
                http(200, VERSION_OK),
            ],
            3,
            0,
            &mut quota,
        );
        assert_eq!(steps(&trace), ["retry Transient", "retry Throttling", "done"]);
        // 100 ms full-jitter ceiling for retry 1; the server's 7 s beats the 2 s throttling ceiling.
        assert_eq!(trace.sleeps, [Duration::from_millis(100), Duration::from_secs(7)]);
        assert_eq!(trace.attempts, 3);
        // 500 - 14 - 5 + 1.
        assert_eq!(quota.available(), 482);
    }

    #[test]
    fn a_reset_of_a_stop_checks_the_state_whether_or_not_it_reached_the_server() {
        let mut quota = RetryTokenBucket::default();
        let after = run::<StopTrainingJob>(
            vec![Answer::Transport { may_have_reached_server: true, tls: false }],
            3,
            0,
            &mut quota,
        );
        assert_eq!(steps(&after), ["check_state after 1"]);
        // Never reached the server (refused before the request was written): retried as is.
        let before = run::<StopTrainingJob>(
            vec![Answer::Transport { may_have_reached_server: false, tls: false }, http(200, STOP_OK)],
            3,
            0,
            &mut quota,
        );
        assert_eq!(steps(&before), ["retry Transient", "done"]);
        // A read is simply retried after a reset.
        let read = run::<ShowTrainingJobVersion>(
            vec![Answer::Transport { may_have_reached_server: true, tls: false }, http(200, VERSION_OK)],
            3,
            0,
            &mut quota,
        );
        assert_eq!(steps(&read), ["retry Transient", "done"]);
    }

    #[test]
    fn a_20_minute_skew_is_resigned_exactly_once_and_is_not_an_attempt() {
        let mut quota = RetryTokenBucket::default();
        let trace = run::<ShowTrainingJobVersion>(
            vec![http(401, SIG_EXPIRED), http(200, VERSION_OK)],
            1,
            20 * 60,
            &mut quota,
        );
        assert_eq!(steps(&trace), ["resign", "done"]);
        // The second signature is on the server's clock.
        assert_eq!(trace.sign_offsets_s, [0, 1200]);
        assert_eq!(trace.attempts, 2, "two requests sent, though max_attempts is 1");
        assert_eq!(quota.available(), 500, "a re-sign costs no token");
        // A second 401 after the re-sign is final.
        let again = run::<ShowTrainingJobVersion>(
            vec![http(401, SIG_EXPIRED), http(401, SIG_EXPIRED)],
            3,
            20 * 60,
            &mut quota,
        );
        assert_eq!(steps(&again), ["resign", "give_up error after 2"]);
        // Without skew a 401 is final at once.
        let no_skew = run::<ShowTrainingJobVersion>(vec![http(401, SIG_EXPIRED)], 3, 0, &mut quota);
        assert_eq!(steps(&no_skew), ["give_up error after 1"]);
    }

    #[test]
    fn a_cached_answer_does_not_measure_the_skew() {
        let mut call = Call::new(RetryPolicy::default(), true);
        call.start_attempt(t0(), None);
        let response = http::Response::builder()
            .status(200)
            .header("date", httpdate::fmt_http_date(t0() - Duration::from_secs(3600)))
            .header("age", "3600")
            .body(Bytes::from_static(VERSION_OK.as_bytes()))
            .unwrap();
        let head = ResponseHead::of(&response, t0());
        let step: CallStep<VersionDetail, ()> =
            call.on_response(&head, ShowTrainingJobVersion::parse_response(response), &mut Unlimited, 0.5);
        assert!(matches!(step, CallStep::Done(_)));
        assert_eq!(call.measured_skew(), None);
        // A fresh Date does, and the next attempt is signed with it.
        let mut call = Call::new(RetryPolicy::default(), true);
        call.start_attempt(t0(), None);
        let head = ResponseHead::from_parts(
            StatusCode::OK,
            &[(
                http::header::DATE,
                httpdate::fmt_http_date(t0() + Duration::from_secs(600)).parse().unwrap(),
            )]
            .into_iter()
            .collect(),
            t0(),
        );
        let _: CallStep<(), ()> = call.on_response(&head, Ok(()), &mut Unlimited, 0.5);
        assert_eq!(call.measured_skew(), Some(ClockSkew { millis: 600_000 }));
        assert_eq!(call.start_attempt(t0(), None), t0() + Duration::from_secs(600));
    }

    #[test]
    fn attempts_exhausted() {
        let mut quota = RetryTokenBucket::default();
        let trace = run::<ShowTrainingJobVersion>(
            vec![http(503, "{}"), http(500, "{}"), http(504, "{}")],
            3,
            0,
            &mut quota,
        );
        assert_eq!(
            steps(&trace),
            ["retry Transient", "retry Transient", "give_up attempts_exhausted after 3"]
        );
        assert_eq!(trace.sleeps, [Duration::from_millis(100), Duration::from_millis(200)]);
    }

    #[test]
    fn quota_exhausted() {
        let mut quota = RetryTokenBucket::new(20, 14, 5);
        let trace = run::<ShowTrainingJobVersion>(vec![http(503, "{}"), http(503, "{}")], 5, 0, &mut quota);
        assert_eq!(steps(&trace), ["retry Transient", "give_up retry_quota_exhausted after 2"]);
        assert_eq!(quota.available(), 6);
    }

    #[test]
    fn tls_rejected_gives_up_at_once() {
        for idempotent_op in [true, false] {
            let mut call = Call::new(RetryPolicy::default(), idempotent_op);
            call.start_attempt(t0(), None);
            let step: CallStep<(), &str> = call.on_transport_error(
                TransportFailure { may_have_reached_server: false, tls_rejected: true, ..Default::default() },
                "certificate expired",
                &mut Unlimited,
                1.0,
            );
            match step {
                CallStep::GiveUp(e) => {
                    assert_eq!((e.attempts, e.reason), (1, GiveUpReason::NotRetryable));
                    assert!(matches!(e.error, AttemptError::Transport("certificate expired")));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_stop_after_a_check_is_resumed_while_attempts_and_quota_last() {
        let mut call = Call::new(RetryPolicy::default(), false);
        let mut quota = RetryTokenBucket::new(30, 14, 5);
        for expected in [Ok(Duration::from_millis(100)), Ok(Duration::from_millis(200))] {
            call.start_attempt(t0(), None);
            assert_eq!(call.resume_after_check(&mut quota, 1.0), expected);
        }
        call.start_attempt(t0(), None);
        assert_eq!(call.resume_after_check(&mut quota, 1.0), Err(GiveUpReason::AttemptsExhausted));
        let mut call = Call::new(RetryPolicy::default(), false);
        call.start_attempt(t0(), None);
        assert_eq!(call.resume_after_check(&mut quota, 1.0), Err(GiveUpReason::QuotaExhausted));
    }

    #[test]
    fn a_seam_error_becomes_a_transport_failure() {
        #[derive(Debug)]
        struct Tls;
        impl fmt::Display for Tls {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("certificate expired")
            }
        }
        impl std::error::Error for Tls {}
        impl modelarts_http::SendError for Tls {
            fn may_have_reached_server(&self) -> bool {
                false
            }
            fn is_tls_rejected(&self) -> bool {
                true
            }
        }
        assert_eq!(
            TransportFailure::of(&Tls),
            TransportFailure { may_have_reached_server: false, tls_rejected: true, ..Default::default() }
        );
    }

    #[test]
    fn refusals_are_told_apart() {
        let refusal = |status, code: &str| CallError::<()> {
            error: AttemptError::Api {
                error: ApiError {
                    http_status: status,
                    code: Some(code.to_owned()),
                    message: None,
                    request_id: None,
                },
                retry_after: None,
            },
            attempts: 1,
            reason: GiveUpReason::NotRetryable,
        };
        assert!(refusal(400, "ModelArts.0105").is_refusal());
        assert!(refusal(409, "Whatever.1").is_refusal());
        assert!(refusal(400, "ModelArts.2775").is_refusal());
        assert!(refusal(403, "APIG.0302").is_refusal());
        assert!(!refusal(401, "APIG.0301").is_refusal());
        assert!(!refusal(429, "APIG.0308").is_refusal());
        assert!(!refusal(503, "APIG.0201").is_refusal());
        assert!(!refusal(404, "APIG.0101").is_refusal());
        assert!(!refusal(404, "APIG.0101").is_not_found());
        let transport =
            CallError { error: AttemptError::Transport(()), attempts: 1, reason: GiveUpReason::NotRetryable };
        assert!(!transport.is_refusal());
    }
}
