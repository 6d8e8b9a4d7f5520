//! Retry decisions: whether an attempt's outcome is worth another attempt, how long to wait first,
//! and a token bucket that stops a client from hammering a failing endpoint. All pure: the caller
//! passes jitter and times in, sleeps, and keeps the bucket.

use std::time::{Duration, SystemTime};

use crate::error::{ApiError, ErrorClass};

/// What happened on one attempt, as far as retrying is concerned.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome<'a> {
    /// The transport failed. `may_have_reached_server` is false when the request provably never left
    /// (DNS, connect, TLS handshake), true once it may have been written.
    TransportError {
        /// Whether the request may have reached the server.
        may_have_reached_server: bool,
    },
    /// The service answered with an error.
    Api {
        /// The error.
        error: &'a ApiError,
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// The TLS handshake failed: the server's certificate was rejected (expired, issued for another
    /// name, by an untrusted CA) or no protocol version or cipher suite could be agreed. Nothing
    /// was sent, and another attempt would meet the same certificate.
    TlsRejected,
    /// The proxy refused the tunnel with 407 (missing or wrong proxy credentials). Nothing was sent
    /// to the server, and another attempt would meet the same refusal.
    ProxyAuthRejected,
    /// The answer is larger than the transport's size cap: unreadable, and the same request would
    /// get the same answer. Not retried; a stop may have taken effect, so its state is read first.
    Oversized,
    /// The service answered, but the body could not be read (truncated, HTML on a 2xx, …).
    Malformed {
        /// The HTTP status.
        http_status: u16,
    },
}

/// Why a retry is made; selects the backoff base and the token cost.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryKind {
    /// A network failure or a server error.
    Transient,
    /// The service asked us to slow down (429, `APIG.0308`).
    Throttling,
}

/// What to do after a failed attempt.
///
/// Exhaustive on purpose: a driver must handle every step, so a new step is a breaking change by
/// design.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Give the error to the caller.
    DoNotRetry,
    /// Send again after [`RetryPolicy::backoff`].
    Retry {
        /// Why.
        kind: RetryKind,
        /// The server's hint, to honour.
        retry_after: Option<Duration>,
    },
    /// The request is not idempotent and may have taken effect: read the resource's state before
    /// sending it again.
    CheckStateFirst,
    /// Authentication failed while the clock is measurably off: sign again with the corrected clock
    /// (once), then send.
    ResignWithCorrectedClock,
}

/// The context of a decision besides the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttemptContext {
    /// Whether sending twice is safe.
    pub idempotent: bool,
    /// The clock skew the failed attempt was signed with but not corrected for: the measured skew
    /// minus any correction already applied to the signing time. `None` when no `Date` was seen.
    pub clock_skew: Option<ClockSkew>,
    /// Whether a re-sign for skew was already made.
    pub already_resigned: bool,
}

/// Retry settings. Defaults follow the trusted SDKs' standard mode: 3 attempts, full-jitter
/// exponential backoff (100 ms base for transient errors, 1 s for throttling, 20 s cap), `Retry-After`
/// honoured up to 60 s.
///
/// New fields may be added: start from [`RetryPolicy::default()`] and change what you need with the
/// `with_*` setters.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, at least 1.
    pub max_attempts: u32,
    /// Backoff base for transient failures.
    pub transient_base: Duration,
    /// Backoff base for throttling.
    pub throttling_base: Duration,
    /// Largest computed backoff.
    pub max_backoff: Duration,
    /// Largest `Retry-After` honoured.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            transient_base: Duration::from_millis(100),
            throttling_base: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Sets [`max_attempts`](Self::max_attempts).
    #[must_use]
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Sets [`transient_base`](Self::transient_base).
    #[must_use]
    pub fn with_transient_base(mut self, transient_base: Duration) -> Self {
        self.transient_base = transient_base;
        self
    }

    /// Sets [`throttling_base`](Self::throttling_base).
    #[must_use]
    pub fn with_throttling_base(mut self, throttling_base: Duration) -> Self {
        self.throttling_base = throttling_base;
        self
    }

    /// Sets [`max_backoff`](Self::max_backoff).
    #[must_use]
    pub fn with_max_backoff(mut self, max_backoff: Duration) -> Self {
        self.max_backoff = max_backoff;
        self
    }

    /// Sets [`max_retry_after`](Self::max_retry_after).
    #[must_use]
    pub fn with_max_retry_after(mut self, max_retry_after: Duration) -> Self {
        self.max_retry_after = max_retry_after;
        self
    }
}

/// The skew from which an authentication failure is blamed on the clock.
pub const SKEW_RESIGN_THRESHOLD: Duration = Duration::from_secs(60);

impl RetryPolicy {
    /// Classifies an attempt's outcome.
    ///
    /// | outcome | idempotent | not idempotent (stop) |
    /// |---|---|---|
    /// | transport error, never reached the server | retry | retry |
    /// | transport error, may have reached it | retry | check state first |
    /// | TLS handshake rejected (certificate, protocol) | no | no |
    /// | proxy refused the credentials (407 to `CONNECT`) | no | no |
    /// | answer over the size cap | no | check state first |
    /// | 429 / throttling code | retry (throttling) | retry (throttling) |
    /// | 503 | retry | retry (the gateway did not forward it) |
    /// | 500, 502, 504, 408, other server codes | retry | check state first |
    /// | 401 while the clock is off by > 60 s | re-sign once | re-sign once |
    /// | malformed body | retry | check state first |
    /// | 404 `APIG.0101`: the API is not there | no | no |
    /// | any other error | no | no |
    pub fn classify(&self, outcome: &AttemptOutcome<'_>, context: &AttemptContext) -> RetryDecision {
        let transient_or_check = if context.idempotent {
            RetryDecision::Retry { kind: RetryKind::Transient, retry_after: None }
        } else {
            RetryDecision::CheckStateFirst
        };
        match *outcome {
            AttemptOutcome::TransportError { may_have_reached_server: false } => {
                RetryDecision::Retry { kind: RetryKind::Transient, retry_after: None }
            }
            AttemptOutcome::TransportError { .. } | AttemptOutcome::Malformed { .. } => transient_or_check,
            AttemptOutcome::TlsRejected | AttemptOutcome::ProxyAuthRejected => RetryDecision::DoNotRetry,
            AttemptOutcome::Oversized if context.idempotent => RetryDecision::DoNotRetry,
            AttemptOutcome::Oversized => RetryDecision::CheckStateFirst,
            AttemptOutcome::Api { error, retry_after } => {
                if error.is_throttling() {
                    return RetryDecision::Retry { kind: RetryKind::Throttling, retry_after };
                }
                match error.class() {
                    // The gateway does not know the API (e.g. v1 where it was retired): asking
                    // again, or at another time, gets the same answer.
                    ErrorClass::ApiAbsent => RetryDecision::DoNotRetry,
                    ErrorClass::Server if error.http_status == 503 => {
                        RetryDecision::Retry { kind: RetryKind::Transient, retry_after }
                    }
                    ErrorClass::Server => match transient_or_check {
                        RetryDecision::Retry { kind, .. } => RetryDecision::Retry { kind, retry_after },
                        other => other,
                    },
                    // A 407 is the proxy's refusal: the clock plays no part.
                    ErrorClass::Auth
                        if error.http_status != 407
                            && !context.already_resigned
                            && context.clock_skew.is_some_and(|s| s.magnitude() > SKEW_RESIGN_THRESHOLD) =>
                    {
                        RetryDecision::ResignWithCorrectedClock
                    }
                    _ => RetryDecision::DoNotRetry,
                }
            }
        }
    }

    /// The delay before retry number `retry` (1 for the first retry): full jitter,
    /// `jitter × min(max_backoff, base × 2^(retry−1))`, and at least the server's `Retry-After`
    /// (capped at `max_retry_after`). `jitter` is in `[0, 1]`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use modelarts_protocol::retry::{RetryKind, RetryPolicy};
    /// let p = RetryPolicy::default();
    /// assert_eq!(p.backoff(RetryKind::Transient, 3, 1.0, None), Duration::from_millis(400));
    /// assert_eq!(p.backoff(RetryKind::Throttling, 10, 1.0, None), Duration::from_secs(20));
    /// assert_eq!(p.backoff(RetryKind::Transient, 1, 0.0, Some(Duration::from_secs(2))), Duration::from_secs(2));
    /// ```
    pub fn backoff(
        &self,
        kind: RetryKind,
        retry: u32,
        jitter: f64,
        retry_after: Option<Duration>,
    ) -> Duration {
        let base = match kind {
            RetryKind::Transient => self.transient_base,
            RetryKind::Throttling => self.throttling_base,
        };
        let exponent = retry.saturating_sub(1).min(30);
        let ceiling = base.saturating_mul(1u32 << exponent).min(self.max_backoff);
        let computed = ceiling.mul_f64(jitter.clamp(0.0, 1.0));
        match retry_after {
            Some(hint) => computed.max(hint.min(self.max_retry_after)),
            None => computed,
        }
    }
}

/// A retry quota shared by all requests of a client: each retry costs tokens, each success returns
/// one. When it runs dry, failures are returned at once instead of retried, so a dead endpoint is
/// not hammered. Defaults: 500 tokens, 5 per throttling retry, 14 per other retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryTokenBucket {
    capacity: u32,
    tokens: u32,
    transient_cost: u32,
    throttling_cost: u32,
}

impl Default for RetryTokenBucket {
    fn default() -> Self {
        Self::new(500, 14, 5)
    }
}

impl RetryTokenBucket {
    /// A full bucket of `capacity` tokens.
    pub fn new(capacity: u32, transient_cost: u32, throttling_cost: u32) -> Self {
        Self { capacity, tokens: capacity, transient_cost, throttling_cost }
    }

    /// Takes the cost of a retry; false (and nothing taken) when there are not enough tokens.
    pub fn try_acquire(&mut self, kind: RetryKind) -> bool {
        let cost = match kind {
            RetryKind::Transient => self.transient_cost,
            RetryKind::Throttling => self.throttling_cost,
        };
        if self.tokens >= cost {
            self.tokens -= cost;
            true
        } else {
            false
        }
    }

    /// Returns one token after a success.
    pub fn on_success(&mut self) {
        self.tokens = (self.tokens + 1).min(self.capacity);
    }

    /// Tokens left.
    pub fn available(&self) -> u32 {
        self.tokens
    }
}

/// How far the server's clock is ahead of ours (negative: behind), in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ClockSkew {
    /// Server minus local, in milliseconds.
    pub millis: i64,
}

impl ClockSkew {
    /// Estimates the skew from a response's `Date` and the local send and receive times: the server
    /// date minus the midpoint of the exchange.
    pub fn estimate(server_date: SystemTime, sent: SystemTime, received: SystemTime) -> Self {
        let midpoint = match received.duration_since(sent) {
            Ok(rtt) => sent + rtt / 2,
            Err(_) => sent,
        };
        let millis = match server_date.duration_since(midpoint) {
            Ok(ahead) => i64::try_from(ahead.as_millis()).unwrap_or(i64::MAX),
            Err(behind) => -i64::try_from(behind.duration().as_millis()).unwrap_or(i64::MAX),
        };
        Self { millis }
    }

    /// The size of the skew.
    pub fn magnitude(self) -> Duration {
        Duration::from_millis(self.millis.unsigned_abs())
    }

    /// The local time moved onto the server's clock (unmoved if that time cannot be held).
    pub fn apply(self, local: SystemTime) -> SystemTime {
        let by = Duration::from_millis(self.millis.unsigned_abs());
        let moved = if self.millis >= 0 { local.checked_add(by) } else { local.checked_sub(by) };
        moved.unwrap_or(local)
    }
}

/// Parses an HTTP date (`Date`, `Retry-After`).
pub fn parse_http_date(value: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(value.trim()).ok()
}

/// Parses `Retry-After`: delay-seconds, or an HTTP date measured from `now` (the server's `Date` if
/// known, else the local clock).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(seconds) = v.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = v.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    parse_http_date(v).map(|at| at.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: Option<&str>) -> ApiError {
        ApiError { http_status: status, code: code.map(str::to_owned), message: None, request_id: None }
    }

    #[test]
    fn classification_table() {
        use RetryDecision::*;
        let p = RetryPolicy::default();
        let idem = AttemptContext { idempotent: true, ..Default::default() };
        let stop = AttemptContext::default();
        let transient = Retry { kind: RetryKind::Transient, retry_after: None };
        let e429 = api(429, Some("APIG.0308"));
        let e503 = api(503, None);
        let e502 = api(502, Some("APIG.0202"));
        let e500 = api(500, None);
        let e504 = api(504, None);
        let e400 = api(400, Some("ModelArts.0101"));
        let e404 = api(400, Some("ModelArts.2775"));
        let e401 = api(401, Some("APIG.0301"));
        let e409 = api(409, Some("ModelArts.2796"));
        let absent = api(404, Some("APIG.0101"));
        let after = Some(Duration::from_secs(3));
        let cases: Vec<(AttemptOutcome<'_>, AttemptContext, RetryDecision)> = vec![
            (AttemptOutcome::TransportError { may_have_reached_server: false }, stop, transient),
            (AttemptOutcome::TransportError { may_have_reached_server: true }, stop, CheckStateFirst),
            (AttemptOutcome::TransportError { may_have_reached_server: true }, idem, transient),
            (
                AttemptOutcome::Api { error: &e429, retry_after: after },
                stop,
                Retry { kind: RetryKind::Throttling, retry_after: after },
            ),
            (
                AttemptOutcome::Api { error: &e429, retry_after: None },
                idem,
                Retry { kind: RetryKind::Throttling, retry_after: None },
            ),
            (AttemptOutcome::Api { error: &e503, retry_after: None }, stop, transient),
            (AttemptOutcome::Api { error: &e502, retry_after: None }, stop, CheckStateFirst),
            (AttemptOutcome::Api { error: &e502, retry_after: None }, idem, transient),
            (AttemptOutcome::Api { error: &e500, retry_after: None }, stop, CheckStateFirst),
            (AttemptOutcome::Api { error: &e504, retry_after: None }, idem, transient),
            (AttemptOutcome::Api { error: &e400, retry_after: None }, idem, DoNotRetry),
            (AttemptOutcome::Api { error: &e404, retry_after: None }, idem, DoNotRetry),
            (AttemptOutcome::Api { error: &e409, retry_after: None }, stop, DoNotRetry),
            (AttemptOutcome::Api { error: &e401, retry_after: None }, idem, DoNotRetry),
            (AttemptOutcome::Api { error: &absent, retry_after: None }, idem, DoNotRetry),
            (AttemptOutcome::Api { error: &absent, retry_after: None }, stop, DoNotRetry),
            (
                AttemptOutcome::Api { error: &absent, retry_after: None },
                AttemptContext { clock_skew: Some(ClockSkew { millis: 600_000 }), ..idem },
                DoNotRetry,
            ),
            (AttemptOutcome::TlsRejected, idem, DoNotRetry),
            (AttemptOutcome::TlsRejected, stop, DoNotRetry),
            (AttemptOutcome::ProxyAuthRejected, idem, DoNotRetry),
            (AttemptOutcome::ProxyAuthRejected, stop, DoNotRetry),
            (AttemptOutcome::Oversized, idem, DoNotRetry),
            (AttemptOutcome::Oversized, stop, CheckStateFirst),
            (AttemptOutcome::Malformed { http_status: 200 }, idem, transient),
            (AttemptOutcome::Malformed { http_status: 200 }, stop, CheckStateFirst),
        ];
        for (i, (outcome, ctx, expected)) in cases.iter().enumerate() {
            assert_eq!(p.classify(outcome, ctx), *expected, "case {i}: {outcome:?}");
        }
    }

    #[test]
    fn auth_failure_with_skew_is_resigned_once() {
        let p = RetryPolicy::default();
        let e401 = api(401, Some("APIG.0301"));
        let outcome = AttemptOutcome::Api { error: &e401, retry_after: None };
        let skewed = AttemptContext {
            idempotent: false,
            clock_skew: Some(ClockSkew { millis: -20 * 60 * 1000 }),
            already_resigned: false,
        };
        assert_eq!(p.classify(&outcome, &skewed), RetryDecision::ResignWithCorrectedClock);
        let again = AttemptContext { already_resigned: true, ..skewed };
        assert_eq!(p.classify(&outcome, &again), RetryDecision::DoNotRetry);
        let small = AttemptContext { clock_skew: Some(ClockSkew { millis: 2_000 }), ..skewed };
        assert_eq!(p.classify(&outcome, &small), RetryDecision::DoNotRetry);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        let ms = |k, n, j| p.backoff(k, n, j, None).as_millis();
        assert_eq!(
            (1..=9).map(|n| ms(RetryKind::Transient, n, 1.0)).collect::<Vec<_>>(),
            [100, 200, 400, 800, 1600, 3200, 6400, 12800, 20000]
        );
        assert_eq!(ms(RetryKind::Throttling, 1, 1.0), 1000);
        assert_eq!(ms(RetryKind::Throttling, 2, 0.5), 1000);
        assert_eq!(ms(RetryKind::Transient, 1, 0.0), 0);
        assert_eq!(ms(RetryKind::Transient, u32::MAX, 1.0), 20000);
        // Retry-After wins over a shorter computed delay, but is capped.
        assert_eq!(
            p.backoff(RetryKind::Throttling, 1, 0.1, Some(Duration::from_secs(600))),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn token_bucket_runs_dry_and_refills() {
        let mut b = RetryTokenBucket::new(30, 14, 5);
        assert!(b.try_acquire(RetryKind::Transient));
        assert!(b.try_acquire(RetryKind::Transient));
        assert!(!b.try_acquire(RetryKind::Transient), "2 left, 14 needed");
        assert_eq!(b.available(), 2);
        for _ in 0..3 {
            b.on_success();
        }
        assert!(b.try_acquire(RetryKind::Throttling));
        assert_eq!(b.available(), 0);
        for _ in 0..100 {
            b.on_success();
        }
        assert_eq!(b.available(), 30);
    }

    #[test]
    fn skew_estimate_and_apply() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let sent = t0;
        let received = t0 + Duration::from_secs(2);
        let server = t0 + Duration::from_secs(1) - Duration::from_secs(1200);
        let skew = ClockSkew::estimate(server, sent, received);
        assert_eq!(skew.millis, -1_200_000);
        assert_eq!(skew.apply(t0), t0 - Duration::from_secs(1200));
        assert_eq!(skew.magnitude(), Duration::from_secs(1200));
        // A time that cannot be held leaves the local time unmoved, never a panic.
        let far =
            SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(i64::MAX.unsigned_abs() - 10)).unwrap();
        assert_eq!(ClockSkew { millis: i64::MAX }.apply(far), far);
        assert_eq!(ClockSkew { millis: 0 }.apply(far), far);
    }

    #[test]
    fn retry_after_forms() {
        let now = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("1.5", now), Some(Duration::from_millis(1500)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:27 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }
}
