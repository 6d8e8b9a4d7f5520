//! The API Gateway's authentication refusals: HTTP 401 `APIG.0301` (sometimes spelled
//! `APIGW.0301`), whose `error_msg` is "Incorrect IAM authentication information: " followed by
//! what went wrong (Huawei's API Gateway FAQ, "Incorrect IAM authentication information"):
//!
//! | Text after the prefix | [`GatewayRefusal`] | A retry can fix it |
//! |---|---|---|
//! | `token expires, expires_at: <time>` | [`TokenExpired`](GatewayRefusal::TokenExpired) | yes: renew the token, once |
//! | `decrypt token fail` | [`TokenUndecryptable`](GatewayRefusal::TokenUndecryptable) | no |
//! | `x-auth-token not found` | [`CredentialsMissing`](GatewayRefusal::CredentialsMissing) | no |
//! | `verify aksk signature fail` | [`SignatureMismatch`](GatewayRefusal::SignatureMismatch) | no (a wrong SK; a clock skew is re-signed by the call itself) |
//! | `Get secretKey failed,ak:…,err:ak not exist` | [`UnknownAccessKey`](GatewayRefusal::UnknownAccessKey) | no |
//! | `AK access failed to reach the limit,forbidden` | [`AccessKeyLocked`](GatewayRefusal::AccessKeyLocked) | no: the gateway locks an AK for [`AK_LOCK`] after more than [`AK_FAILURES_BEFORE_LOCK`] failures in a row |
//! | anything else | [`Unrecognised`](GatewayRefusal::Unrecognised) | no |
//!
//! Every AK/SK refusal counts towards the lock, which also refuses the user's other tools: a
//! caller that sends many requests (a batch) stops at the first refusal no retry can fix.
//!
//! ```
//! use modelarts_protocol::error::ApiError;
//! use modelarts_protocol::iam::gateway::GatewayRefusal;
//!
//! let error = ApiError::new(401)
//!     .with_code("APIG.0301")
//!     .with_message("Incorrect IAM authentication information: verify aksk signature fail");
//! let refusal = GatewayRefusal::of(&error).unwrap();
//! assert_eq!(refusal, GatewayRefusal::SignatureMismatch);
//! assert!(!refusal.retry_can_fix());
//! ```

use std::time::Duration;

use crate::error::ApiError;

/// How long the gateway locks an AK that failed authentication too often.
pub const AK_LOCK: Duration = Duration::from_secs(5 * 60);

/// The gateway locks an AK after more than this many authentication failures in a row.
pub const AK_FAILURES_BEFORE_LOCK: u32 = 5;

/// What an `APIG.0301` refusal says went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GatewayRefusal {
    /// `token expires, expires_at: …` (also the temporary keys' "security token has expired").
    TokenExpired,
    /// `decrypt token fail`: the token is not one IAM issued (or is cut short).
    TokenUndecryptable,
    /// `x-auth-token not found`: the request carried neither a token nor a signature.
    CredentialsMissing,
    /// `verify aksk signature fail`: a wrong secret key (or, if not re-signed, a clock skew).
    SignatureMismatch,
    /// `Get secretKey failed,ak:…,err:ak not exist`: the access key does not exist.
    UnknownAccessKey,
    /// `AK access failed to reach the limit,forbidden`: the AK is locked after too many failures.
    AccessKeyLocked,
    /// An `APIG.0301` whose text is none of the documented ones.
    Unrecognised,
}

impl GatewayRefusal {
    /// The refusal `error` is, if it is the gateway's authentication refusal (`APIG.0301` or
    /// `APIGW.0301`; a 401 without code whose text is one of the documented ones too).
    pub fn of(error: &ApiError) -> Option<Self> {
        let coded = matches!(error.code.as_deref(), Some("APIG.0301" | "APIGW.0301"));
        let text = error.message.as_deref().unwrap_or("").to_ascii_lowercase();
        let known = Self::of_text(&text);
        match (coded, known) {
            (true, Some(known)) => Some(known),
            (true, None) => Some(Self::Unrecognised),
            (false, Some(known)) if error.http_status == 401 => Some(known),
            _ => None,
        }
    }

    fn of_text(text: &str) -> Option<Self> {
        let has = |needle: &str| text.contains(needle);
        Some(if has("token expire") || has("token has expired") {
            Self::TokenExpired
        } else if has("decrypt token fail") {
            Self::TokenUndecryptable
        } else if has("x-auth-token not found") {
            Self::CredentialsMissing
        } else if has("verify aksk signature fail") {
            Self::SignatureMismatch
        } else if has("ak not exist") || has("get secretkey failed") {
            Self::UnknownAccessKey
        } else if has("failed to reach the limit") {
            Self::AccessKeyLocked
        } else {
            return None;
        })
    }

    /// Whether sending again can succeed: only an expired token, renewed first.
    pub fn retry_can_fix(self) -> bool {
        self == Self::TokenExpired
    }

    /// A sentence for the user: what is wrong and what to do.
    pub fn explain(self) -> String {
        let lock = format!(
            "the gateway locks an access key for {} minutes after more than {AK_FAILURES_BEFORE_LOCK} authentication failures in a row",
            AK_LOCK.as_secs() / 60
        );
        match self {
            Self::TokenExpired => "the token expired and could not be renewed".to_owned(),
            Self::TokenUndecryptable => {
                "the gateway could not read the token (decrypt token fail): it is not an IAM token of this cloud, or it was cut short".to_owned()
            }
            Self::CredentialsMissing => "the request carried no credentials (x-auth-token not found)".to_owned(),
            Self::SignatureMismatch => format!(
                "the signature did not verify: the secret key is wrong, or this machine's clock is off by more than 15 minutes ({lock})"
            ),
            Self::UnknownAccessKey => format!("the access key does not exist ({lock})"),
            Self::AccessKeyLocked => format!(
                "the access key is locked: {lock}, and every request signed with it is refused until then, other tools included; wait up to {} minutes before trying again, with the right secret key",
                AK_LOCK.as_secs() / 60
            ),
            Self::Unrecognised => "the gateway refused the credentials (APIG.0301)".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(status: u16, code: Option<&str>, message: &str) -> ApiError {
        ApiError {
            http_status: status,
            code: code.map(Into::into),
            message: Some(message.into()),
            request_id: None,
        }
    }

    const PREFIX: &str = "Incorrect IAM authentication information: ";

    #[test]
    fn each_documented_text_is_classified() {
        let cases = [
            ("token expires, expires_at: 2024-01-02T03:04:05.000000Z", Some(GatewayRefusal::TokenExpired)),
            ("decrypt token fail", Some(GatewayRefusal::TokenUndecryptable)),
            ("x-auth-token not found", Some(GatewayRefusal::CredentialsMissing)),
            ("verify aksk signature fail", Some(GatewayRefusal::SignatureMismatch)),
            ("Get secretKey failed,ak:ABCDEFG,err:ak not exist", Some(GatewayRefusal::UnknownAccessKey)),
            ("AK access failed to reach the limit,forbidden", Some(GatewayRefusal::AccessKeyLocked)),
            ("the security token has expired", Some(GatewayRefusal::TokenExpired)),
            ("something new", Some(GatewayRefusal::Unrecognised)),
        ];
        for (text, expected) in cases {
            for code in ["APIG.0301", "APIGW.0301"] {
                let got = GatewayRefusal::of(&refusal(401, Some(code), &format!("{PREFIX}{text}")));
                assert_eq!(got, expected, "{code} {text}");
            }
        }
        // Not the gateway's authentication refusal.
        assert_eq!(GatewayRefusal::of(&refusal(400, Some("ModelArts.0105"), "bad")), None);
        assert_eq!(GatewayRefusal::of(&refusal(401, None, "who are you")), None);
        assert_eq!(GatewayRefusal::of(&refusal(403, None, "verify aksk signature fail")), None);
        assert_eq!(
            GatewayRefusal::of(&refusal(401, None, "verify aksk signature fail")),
            Some(GatewayRefusal::SignatureMismatch)
        );
    }

    #[test]
    fn only_an_expired_token_can_be_fixed_by_a_retry() {
        let all = [
            GatewayRefusal::TokenExpired,
            GatewayRefusal::TokenUndecryptable,
            GatewayRefusal::CredentialsMissing,
            GatewayRefusal::SignatureMismatch,
            GatewayRefusal::UnknownAccessKey,
            GatewayRefusal::AccessKeyLocked,
            GatewayRefusal::Unrecognised,
        ];
        for r in all {
            assert_eq!(r.retry_can_fix(), r == GatewayRefusal::TokenExpired, "{r:?}");
            assert!(!r.explain().is_empty());
        }
        assert!(GatewayRefusal::AccessKeyLocked.explain().contains("5 minutes"));
    }
}
