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
///
/// Then, when the request lacks it, sets `Content-Length` for a body or a method that carries one
/// (POST, PUT, PATCH: `Content-Length: 0` for the empty stop body), so the request is complete
/// for any HTTP/1.1 sender. It is set after signing and not signed, as the official SDK's HTTP
/// stack adds it: a verifier honours `SignedHeaders`, so a sender or proxy that rewrites it breaks
/// nothing.
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
    set_content_length(request);
    Ok(())
}

pub(crate) fn set_content_length(request: &mut http::Request<Bytes>) {
    let carries_body = !request.body().is_empty()
        || matches!(*request.method(), http::Method::POST | http::Method::PUT | http::Method::PATCH);
    if carries_body && !request.headers().contains_key(http::header::CONTENT_LENGTH) {
        let length = match request.body().len() {
            // The stop's empty body: no buffer to allocate.
            0 => HeaderValue::from_static("0"),
            n => HeaderValue::from(n),
        };
        request.headers_mut().insert(http::header::CONTENT_LENGTH, length);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::Credentials;

    fn authorized(method: http::Method, body: &'static [u8]) -> http::Request<Bytes> {
        let mut request = http::Request::builder()
            .method(method)
            .uri("https://modelarts.eu-de.otc.t-systems.com/v1/p/x")
            .header("content-type", "application/json")
            .body(Bytes::from_static(body))
            .unwrap();
        let auth = Auth::AkSk(Credentials::new("AK", "SK"));
        authorize(
            &mut request,
            &auth,
            SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
        )
        .unwrap();
        request
    }

    #[test]
    fn content_length_is_set_after_signing_and_not_signed() {
        let post = authorized(http::Method::POST, b"");
        assert_eq!(post.headers()["content-length"], "0");
        let signed = post.headers()["authorization"].to_str().unwrap().to_owned();
        assert!(signed.contains("SignedHeaders=content-type;host;x-sdk-date,"), "{signed}");
        let with_body = authorized(http::Method::PUT, b"{\"a\":1}");
        assert_eq!(with_body.headers()["content-length"], "7");
        let get = authorized(http::Method::GET, b"");
        assert!(!get.headers().contains_key("content-length"));
    }
}
