//! How a request proves who sends it: AK/SK signing or an IAM token.

use std::fmt;
use std::time::SystemTime;

use bytes::Bytes;
use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use crate::signing::{self, Credentials, SignableRequest, SigningError, SigningParams};

/// The header carrying an IAM token.
pub const X_AUTH_TOKEN: &str = "x-auth-token";

/// An IAM token (from `POST /v3/auth/tokens`, header `X-Subject-Token`). `Debug` never shows it.
#[derive(Clone)]
pub struct IamToken(SecretString);

impl IamToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(SecretString::from(token.into()))
    }

    /// The token. Handle with care: never log it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for IamToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IamToken(<redacted>)")
    }
}

/// The two ways of authenticating.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Auth {
    /// AK/SK (`SDK-HMAC-SHA256`), with an optional security token for temporary credentials.
    AkSk(Credentials),
    /// An IAM token sent as `X-Auth-Token`.
    Token(IamToken),
}

impl Auth {
    /// A short name of the method, for messages (`AK/SK`, `temporary AK/SK`, `IAM token`).
    pub fn method_name(&self) -> &'static str {
        match self {
            Auth::AkSk(c) if c.security_token().is_some() => "temporary AK/SK",
            Auth::AkSk(_) => "AK/SK",
            Auth::Token(_) => "IAM token",
        }
    }
}

/// Adds authentication to a built request: signs it at `now`, or adds the token.
///
/// `now` is the caller's clock, already corrected for any known skew. Header values that carry
/// secrets are marked sensitive.
pub fn authorize(
    request: &mut http::Request<Bytes>,
    auth: &Auth,
    now: SystemTime,
) -> Result<(), SigningError> {
    match auth {
        Auth::AkSk(credentials) => {
            let output =
                signing::sign(&SignableRequest::from_http(request), &SigningParams::new(credentials, now))?;
            output.apply_to(request);
        }
        Auth::Token(token) => {
            let mut value = HeaderValue::from_str(token.expose())
                .map_err(|_| SigningError::InvalidHeaderValue("X-Auth-Token"))?;
            value.set_sensitive(true);
            request.headers_mut().insert(X_AUTH_TOKEN, value);
        }
    }
    Ok(())
}
