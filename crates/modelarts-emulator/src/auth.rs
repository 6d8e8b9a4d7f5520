//! Authentication of API requests: IAM token (`X-Auth-Token`) or AK/SK signature (`SDK-HMAC-SHA256`,
//! checked with the protocol crate's verifier), plus the `X-Security-Token` and `X-Project-Id`
//! checks. Decides only; answering 401 or serving anyway is the caller's business (the auth mode).

use std::fmt;
use std::time::{Duration, SystemTime};

use modelarts_protocol::signing::{self, VerifyError};
use serde::{Deserialize, Serialize};

use crate::journal::{AuthRecord, AuthResult, AuthScheme};

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
pub struct Credentials {
    /// Access key (AK).
    pub access_key: String,
    /// Secret key (SK).
    pub secret_key: String,
    /// The IAM token accepted in `X-Auth-Token`.
    pub token: String,
    /// When set, AK/SK requests must carry this `X-Security-Token` (temporary credentials).
    pub security_token: Option<String>,
}

impl Default for Credentials {
    fn default() -> Self {
        Self {
            access_key: "EMULATORAK0000000001".to_owned(),
            secret_key: "emulatorSecretKey00000000000000000000001".to_owned(),
            token: "emulator-iam-token-0000000000000001".to_owned(),
            security_token: None,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("token", &"<redacted>")
            .field("security_token", &self.security_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Everything a check needs besides the request.
pub(crate) struct AuthContext<'a> {
    pub(crate) credentials: &'a Credentials,
    pub(crate) project_id: &'a str,
    pub(crate) now: SystemTime,
    pub(crate) tolerance: Duration,
}

fn rejected(scheme: AuthScheme, access_key: Option<String>, reason: impl Into<String>) -> AuthRecord {
    AuthRecord { result: AuthResult::Rejected, scheme, access_key, reason: Some(reason.into()) }
}

/// The APIG-style reason for a verifier error.
fn reason(error: &VerifyError) -> String {
    match error {
        VerifyError::SignatureMismatch => "verify aksk signature fail".to_owned(),
        VerifyError::DateOutOfRange { skew_secs } => format!("date out of range (skew {skew_secs} s)"),
        VerifyError::UnknownAccessKey(_) => "unknown access key".to_owned(),
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
    let (scheme, access_key) = if let Some(token) = headers.get("x-auth-token") {
        if token.as_bytes() != ctx.credentials.token.as_bytes() {
            return rejected(AuthScheme::Token, None, "decrypt token fail");
        }
        (AuthScheme::Token, None)
    } else {
        let secret_for =
            |ak: &str| (ak == ctx.credentials.access_key).then(|| ctx.credentials.secret_key.clone());
        let named_key = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| signing::parse_authorization(v).ok())
            .map(|a| a.access_key.to_owned());
        match signing::verify(parts, body, &secret_for, ctx.now, ctx.tolerance) {
            Ok(verified) => {
                if let Some(expected) = &ctx.credentials.security_token {
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
