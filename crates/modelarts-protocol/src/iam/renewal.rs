//! When to renew a token or temporary credentials: ahead of expiry, and once after a "token
//! expired" 401. The caller passes the time (its clock, corrected for any known skew).
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use modelarts_protocol::iam::renewal::{Freshness, token_freshness};
//!
//! let expires = UNIX_EPOCH + Duration::from_secs(86_400);
//! assert_eq!(token_freshness(expires, expires - Duration::from_secs(16 * 60)), Freshness::Fresh);
//! assert_eq!(token_freshness(expires, expires - Duration::from_secs(15 * 60)), Freshness::Renew);
//! ```

use std::time::{Duration, SystemTime};

use crate::error::ApiError;
use crate::iam::gateway::GatewayRefusal;

/// A token is renewed this long before it expires (IAM tokens live 24 h).
pub const TOKEN_RENEW_AHEAD: Duration = Duration::from_secs(15 * 60);

/// Whether credentials may still be used.
///
/// Exhaustive on purpose: a driver must handle every step, so a new step is a breaking change by
/// design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Freshness {
    /// Use them.
    Fresh,
    /// Get new ones first (they expire within the margin, or already have).
    Renew,
}

fn freshness(expires_at: SystemTime, now: SystemTime, margin: Duration) -> Freshness {
    match now.checked_add(margin) {
        Some(limit) if limit < expires_at => Freshness::Fresh,
        _ => Freshness::Renew,
    }
}

/// A token (cached or in memory) is reused until [`TOKEN_RENEW_AHEAD`] before its expiry.
pub fn token_freshness(expires_at: SystemTime, now: SystemTime) -> Freshness {
    freshness(expires_at, now, TOKEN_RENEW_AHEAD)
}

/// Temporary AK/SK (agency, metadata, federation) are renewed [`TOKEN_RENEW_AHEAD`] before their
/// expiry, or half-way through their life when that is shorter (a 15-minute agency credential would
/// otherwise be "due" from the start). `issued_at` is when the caller received them.
pub fn credentials_freshness(
    issued_at: Option<SystemTime>,
    expires_at: SystemTime,
    now: SystemTime,
) -> Freshness {
    let lifetime = issued_at.and_then(|i| expires_at.duration_since(i).ok());
    let margin = lifetime.map_or(TOKEN_RENEW_AHEAD, |l| TOKEN_RENEW_AHEAD.min(l / 2));
    freshness(expires_at, now, margin)
}

/// Whether a refusal says the token (or the temporary credentials) expired: the gateway's 401
/// `APIG.0301` "Incorrect IAM authentication information: token expires, expires_at: …" (see
/// [`GatewayRefusal`]), `APIG.0307` ("the token must be refreshed"), `ModelArts.0202`, or a 401
/// without code whose message speaks of an expired token. An `APIG.0301` of any other text is not
/// renewed: no retry fixes it.
pub fn says_token_expired(error: &ApiError) -> bool {
    if matches!(error.code.as_deref(), Some("APIG.0307" | "APIGW.0307" | "ModelArts.0202")) {
        return true;
    }
    if let Some(refusal) = GatewayRefusal::of(error) {
        return refusal == GatewayRefusal::TokenExpired;
    }
    error.http_status == 401
        && error.code.is_none()
        && error.message.as_deref().is_some_and(|m| {
            let m = m.to_ascii_lowercase();
            m.contains("token") && (m.contains("expired") || m.contains("must be updated"))
        })
}

/// What to do after a refusal, given how many renewals this call already made.
///
/// Exhaustive on purpose: a driver must handle every step, so a new step is a breaking change by
/// design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AfterRefusal {
    /// The token expired: renew it and send again (once per call).
    RenewAndRetry,
    /// Report the refusal.
    Fail,
}

/// A "token expired" 401 is answered by one renewal per call; a second one, or any other refusal,
/// is reported. `renewals` counts the renewals this call already made.
pub fn after_refusal(error: &ApiError, renewals: u32) -> AfterRefusal {
    if renewals == 0 && says_token_expired(error) { AfterRefusal::RenewAndRetry } else { AfterRefusal::Fail }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn token_freshness_table() {
        let expires = at(100_000);
        let cases = [
            (100_000 - 86_400, Freshness::Fresh),
            (100_000 - 15 * 60 - 1, Freshness::Fresh),
            (100_000 - 15 * 60, Freshness::Renew),
            (100_000 - 1, Freshness::Renew),
            (100_000, Freshness::Renew),
            (200_000, Freshness::Renew),
        ];
        for (now, expected) in cases {
            assert_eq!(token_freshness(expires, at(now)), expected, "now {now}");
        }
        assert_eq!(token_freshness(at(0), at(0)), Freshness::Renew);
        assert_eq!(token_freshness(SystemTime::UNIX_EPOCH, at(u64::MAX / 4)), Freshness::Renew);
    }

    #[test]
    fn credentials_freshness_table() {
        // (issued, expires, now, expected)
        let cases = [
            // 15-minute credentials: due half-way (7.5 min), not at once.
            (Some(0), 900, 0, Freshness::Fresh),
            (Some(0), 900, 449, Freshness::Fresh),
            (Some(0), 900, 450, Freshness::Renew),
            // 24-hour credentials: 15 minutes ahead.
            (Some(0), 86_400, 86_400 - 901, Freshness::Fresh),
            (Some(0), 86_400, 86_400 - 900, Freshness::Renew),
            // Issue time unknown: 15 minutes ahead.
            (None, 86_400, 86_400 - 901, Freshness::Fresh),
            (None, 900, 0, Freshness::Renew),
            // Issued "after" expiry (a clock jump): the 15-minute rule.
            (Some(1_000), 900, 0, Freshness::Renew),
        ];
        for (issued, expires, now, expected) in cases {
            assert_eq!(
                credentials_freshness(issued.map(at), at(expires), at(now)),
                expected,
                "{issued:?} {expires} {now}"
            );
        }
    }

    fn refusal(status: u16, code: Option<&str>, message: Option<&str>) -> ApiError {
        ApiError {
            http_status: status,
            code: code.map(Into::into),
            message: message.map(Into::into),
            request_id: None,
        }
    }

    #[test]
    fn refusal_table() {
        let cases = [
            (
                refusal(401, Some("APIG.0307"), Some("The token must be updated.")),
                0,
                AfterRefusal::RenewAndRetry,
            ),
            (refusal(401, Some("APIG.0307"), None), 1, AfterRefusal::Fail),
            (refusal(401, Some("ModelArts.0202"), None), 0, AfterRefusal::RenewAndRetry),
            (
                refusal(
                    401,
                    Some("APIG.0301"),
                    Some("Incorrect IAM authentication information: token expired"),
                ),
                0,
                AfterRefusal::RenewAndRetry,
            ),
            (refusal(401, None, Some("The token has expired.")), 0, AfterRefusal::RenewAndRetry),
            // The gateway's documented text (API Gateway FAQ), renewed once.
            (
                refusal(
                    401,
                    Some("APIG.0301"),
                    Some(
                        "Incorrect IAM authentication information: token expires, expires_at: 2024-01-02T03:04:05.000000Z",
                    ),
                ),
                0,
                AfterRefusal::RenewAndRetry,
            ),
            (
                refusal(
                    401,
                    Some("APIG.0301"),
                    Some(
                        "Incorrect IAM authentication information: token expires, expires_at: 2024-01-02T03:04:05.000000Z",
                    ),
                ),
                1,
                AfterRefusal::Fail,
            ),
            // An APIG.0301 of an undocumented text is no expiry, even when it speaks of a token.
            (
                refusal(
                    401,
                    Some("APIG.0301"),
                    Some("Incorrect IAM authentication information: the token is odd"),
                ),
                0,
                AfterRefusal::Fail,
            ),
            (
                refusal(401, Some("APIG.0301"), Some("Get secretKey failed,ak:AK,err:ak not exist")),
                0,
                AfterRefusal::Fail,
            ),
            (
                refusal(401, Some("APIG.0301"), Some("AK access failed to reach the limit,forbidden")),
                0,
                AfterRefusal::Fail,
            ),
            (
                refusal(
                    401,
                    Some("APIG.0301"),
                    Some("Incorrect IAM authentication information: decrypt token fail"),
                ),
                0,
                AfterRefusal::Fail,
            ),
            (refusal(401, Some("APIG.0301"), Some("verify aksk signature fail")), 0, AfterRefusal::Fail),
            (refusal(403, None, Some("token expired")), 0, AfterRefusal::Fail),
            (refusal(429, Some("APIG.0308"), None), 0, AfterRefusal::Fail),
        ];
        for (error, renewals, expected) in cases {
            assert_eq!(after_refusal(&error, renewals), expected, "{error:?} after {renewals}");
        }
    }
}
