//! Authentication of API requests: IAM token (`X-Auth-Token`) or AK/SK signature (`SDK-HMAC-SHA256`,
//! checked with the protocol crate's verifier), plus the `X-Security-Token` and `X-Project-Id`
//! checks. Decides only; answering 401 or serving anyway is the caller's business (the auth mode).

use std::fmt;
use std::time::{Duration, SystemTime};

use modelarts_protocol::signing::{self, VerifyError};
use serde::{Deserialize, Serialize};

use crate::iam::{IamState, KeyCheck, TokenCheck};
use crate::journal::{AuthRecord, AuthResult, AuthScheme};
use crate::state::to_ms;

/// The rejection reason of temporary keys that have expired.
pub(crate) const SECURITY_TOKEN_EXPIRED: &str = "the security token has expired";
/// The rejection reason of a locked access key (the gateway's text).
pub(crate) const AK_LOCKED: &str = "AK access failed to reach the limit,forbidden";

/// The rejection reason of an expired token, as the gateway words it (API Gateway FAQ).
fn token_expires(expires_ms: u64) -> String {
    format!("token expires, expires_at: {}", crate::iam::iam_time(expires_ms))
}

/// The error code and message of a rejection with `reason`: the gateway's 401 `APIG.0301`
/// "Incorrect IAM authentication information: <reason>", whatever the reason (an expired token,
/// `decrypt token fail`, `x-auth-token not found`, `verify aksk signature fail`, `Get secretKey
/// failed,ak:…,err:ak not exist`, `AK access failed to reach the limit,forbidden`, …).
pub(crate) fn rejection(reason: &str) -> (&'static str, String) {
    ("APIG.0301", format!("Incorrect IAM authentication information: {reason}"))
}

/// What the emulator does with authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum AuthMode {
    /// Check nothing.
    Off,
    /// Check, log failures (warn) and journal them, but serve anyway.
    Log,
    /// Answer failures with 401 `APIG.0301`.
    #[default]
    Enforce,
}

impl AuthMode {
    /// The lower-case name (`off`, `log`, `enforce`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Off => "off",
            AuthMode::Log => "log",
            AuthMode::Enforce => "enforce",
        }
    }
}

/// The credentials the emulator accepts. `Debug` hides the secret key and the tokens.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AcceptedCredentials {
    /// Access key (AK).
    pub access_key: String,
    /// Secret key (SK).
    pub secret_key: String,
    /// The IAM token accepted in `X-Auth-Token`.
    pub token: String,
    /// When set, AK/SK requests must carry this `X-Security-Token` (temporary credentials).
    pub security_token: Option<String>,
}

impl Default for AcceptedCredentials {
    fn default() -> Self {
        Self {
            access_key: "EMULATORAK0000000001".to_owned(),
            secret_key: "emulatorSecretKey00000000000000000000001".to_owned(),
            token: "emulator-iam-token-0000000000000001".to_owned(),
            security_token: None,
        }
    }
}

impl fmt::Debug for AcceptedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcceptedCredentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("token", &"<redacted>")
            .field("security_token", &self.security_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Everything a check needs besides the request.
pub(crate) struct AuthContext<'a> {
    pub(crate) credentials: &'a AcceptedCredentials,
    pub(crate) project_id: &'a str,
    pub(crate) now: SystemTime,
    pub(crate) tolerance: Duration,
    /// The tokens and temporary keys the identity faces issued.
    pub(crate) issued: &'a IamState,
    /// An IAM route: a token scoped to any project (or none) is fine there.
    pub(crate) identity_route: bool,
    /// How long an access key stays locked after more than five signature failures in a row.
    pub(crate) ak_lock: Duration,
}

fn rejected(scheme: AuthScheme, access_key: Option<String>, reason: impl Into<String>) -> AuthRecord {
    AuthRecord { result: AuthResult::Rejected, scheme, access_key, reason: Some(reason.into()) }
}

/// The APIG-style reason for a verifier error.
fn reason(error: &VerifyError) -> String {
    match error {
        VerifyError::SignatureMismatch => "verify aksk signature fail".to_owned(),
        VerifyError::DateOutOfRange { skew_secs } => format!("date out of range (skew {skew_secs} s)"),
        VerifyError::UnknownAccessKey(ak) => format!("Get secretKey failed,ak:{ak},err:ak not exist"),
        VerifyError::MissingAuthorization => "x-auth-token not found".to_owned(),
        VerifyError::MalformedAuthorization(_) => "malformed authorization header".to_owned(),
        VerifyError::UnsupportedAlgorithm(_) => "unsupported signing algorithm".to_owned(),
        VerifyError::MissingDate => "x-sdk-date not found or not signed".to_owned(),
        VerifyError::MalformedDate(_) => "malformed x-sdk-date".to_owned(),
        VerifyError::SignedHeaderMissing(name) => format!("signed header {name} not found"),
        other => format!("verify aksk signature fail ({other})"),
    }
}

/// Checks a request's credentials.
pub(crate) fn check(parts: &http::request::Parts, body: &[u8], ctx: &AuthContext<'_>) -> AuthRecord {
    let headers = &parts.headers;
    let now_ms = to_ms(ctx.now);
    let (scheme, access_key) = if let Some(token) = headers.get("x-auth-token") {
        if token.as_bytes() != ctx.credentials.token.as_bytes() {
            match ctx.issued.check_token(token.to_str().unwrap_or_default(), now_ms) {
                TokenCheck::Valid(_) if ctx.identity_route => {}
                TokenCheck::Valid(Some(project)) if project == ctx.project_id => {}
                TokenCheck::Valid(Some(_)) => {
                    return rejected(
                        AuthScheme::Token,
                        None,
                        "the token's project does not match the project",
                    );
                }
                TokenCheck::Valid(None) => {
                    return rejected(AuthScheme::Token, None, "the token has no project");
                }
                TokenCheck::Expired(at) => return rejected(AuthScheme::Token, None, token_expires(at)),
                TokenCheck::Unknown => return rejected(AuthScheme::Token, None, "decrypt token fail"),
            }
        }
        (AuthScheme::Token, None)
    } else {
        let named_key = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| signing::parse_authorization(v).ok())
            .map(|a| a.access_key.to_owned());
        // A locked key is refused before its signature is looked at, as the gateway does.
        if let Some(ak) = named_key.as_deref()
            && ctx.issued.ak_locked(ak, now_ms)
        {
            return rejected(AuthScheme::AkSk, named_key, AK_LOCKED);
        }
        // Temporary keys the identity faces issued sign like permanent ones, with their own token.
        let temporary = match named_key.as_deref() {
            Some(ak) if ak != ctx.credentials.access_key => match ctx.issued.check_key(ak, now_ms) {
                KeyCheck::Valid { secret, security_token } => Some((ak.to_owned(), secret, security_token)),
                KeyCheck::Expired => return rejected(AuthScheme::AkSk, named_key, SECURITY_TOKEN_EXPIRED),
                KeyCheck::Unknown => None,
            },
            _ => None,
        };
        let secret_for = |ak: &str| {
            if ak == ctx.credentials.access_key {
                return Some(ctx.credentials.secret_key.clone());
            }
            temporary.as_ref().filter(|(t, _, _)| t == ak).map(|(_, secret, _)| secret.clone())
        };
        match signing::verify(parts, body, &secret_for, ctx.now, ctx.tolerance) {
            Ok(verified) => {
                ctx.issued.ak_accepted(&verified.access_key);
                let expected = if verified.access_key == ctx.credentials.access_key {
                    ctx.credentials.security_token.as_deref()
                } else {
                    temporary.as_ref().map(|(_, _, token)| token.as_str())
                };
                if let Some(expected) = expected {
                    match headers.get("x-security-token") {
                        None => {
                            return rejected(
                                AuthScheme::AkSk,
                                Some(verified.access_key),
                                "x-security-token not found",
                            );
                        }
                        Some(v) if v.as_bytes() != expected.as_bytes() => {
                            return rejected(
                                AuthScheme::AkSk,
                                Some(verified.access_key),
                                "invalid x-security-token",
                            );
                        }
                        Some(_) => {}
                    }
                }
                (AuthScheme::AkSk, Some(verified.access_key))
            }
            Err(VerifyError::MissingAuthorization) => {
                return rejected(AuthScheme::None, None, "x-auth-token not found");
            }
            Err(e) => {
                tracing::debug!(error = %e, "AK/SK verification failed");
                if let Some(ak) = named_key.as_deref()
                    && matches!(e, VerifyError::SignatureMismatch | VerifyError::DateOutOfRange { .. })
                {
                    ctx.issued.ak_failed(ak, now_ms, ctx.ak_lock);
                }
                return rejected(AuthScheme::AkSk, named_key, reason(&e));
            }
        }
    };
    if let Some(pid) = headers.get("x-project-id")
        && pid.as_bytes() != ctx.project_id.as_bytes()
    {
        return rejected(scheme, access_key, "x-project-id does not match the project");
    }
    AuthRecord { result: AuthResult::Accepted, scheme, access_key, reason: None }
}
