//! The ECS/BMS metadata service: temporary credentials of the server's agency.
//!
//! Two calls, as the official SDKs make them: `PUT {metadata}/meta-data/latest/api/token` with
//! `X-Metadata-Token-Ttl-Seconds` for a session token (a 404 or 405 means the service has no session
//! tokens: go on without one), then `GET {metadata}/openstack/latest/securitykey` with
//! `X-Metadata-Token` → `{"credential":{…}}`. A 401 saying "Please configure Cloud Service Agency
//! first", or a 404, means the server has no agency: [`classify_security_key_error`] makes that a
//! [`NoAgency`] error; another 401 means the session token is stale (fetch a new one, once).
//!
//! The metadata base URL is an argument like any endpoint ([`METADATA_ENDPOINT`] on a cloud host);
//! the SDK may point it elsewhere only when told to.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response};
use secrecy::{ExposeSecret, SecretString};

use super::{TemporaryCredentials, iam_request, parse_credential, parse_iam_error, trace_id};
use crate::endpoint::Endpoint;
use crate::error::{ApiError, BuildError, ResponseError, excerpt};
use crate::operations::Operation;

/// The metadata service of ECS and BMS servers.
pub const METADATA_ENDPOINT: &str = "http://169.254.169.254";
/// The request header carrying the session token's lifetime.
pub const X_METADATA_TOKEN_TTL_SECONDS: &str = "x-metadata-token-ttl-seconds";
/// The request header carrying the session token.
pub const X_METADATA_TOKEN: &str = "x-metadata-token";
/// The session token lifetime the official SDKs ask for (6 h).
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(6 * 3600);
/// The text of the answer of a server without an agency.
pub const NO_AGENCY_TEXT: &str = "Please configure Cloud Service Agency first";
/// The longest session token accepted (the service's tokens are short; anything longer is not one).
const MAX_SESSION_TOKEN: usize = 4096;

/// A metadata session token. `Debug` never shows it.
#[derive(Clone)]
pub struct MetadataToken(SecretString);

impl MetadataToken {
    /// Wraps a session token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(SecretString::from(token.into()))
    }

    /// The token. Handle with care: never log it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for MetadataToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetadataToken(<redacted>)")
    }
}

/// Input of the session-token call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MetadataSessionToken {
    /// The lifetime asked for (1 s to 6 h).
    pub ttl: Duration,
}

impl Default for MetadataSessionToken {
    fn default() -> Self {
        Self { ttl: DEFAULT_SESSION_TTL }
    }
}

/// The answer of the session-token call.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum MetadataSession {
    /// A session token: send it with the security-key call.
    Token(MetadataToken),
    /// The service has no session tokens (404 or 405): call without one.
    Unsupported,
}

impl Operation for MetadataSessionToken {
    type Output = MetadataSession;
    const NAME: &'static str = "metadata_session_token";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        let secs = self.ttl.as_secs();
        if !(1..=DEFAULT_SESSION_TTL.as_secs()).contains(&secs) {
            return Err(BuildError::InvalidParameter {
                name: "ttl",
                value: secs.to_string(),
                reason: "must be between 1 and 21600 seconds",
            });
        }
        let mut request = iam_request(Method::PUT, endpoint, "/meta-data/latest/api/token", "", None)?;
        request.headers_mut().remove(http::header::CONTENT_TYPE);
        request.headers_mut().insert(X_METADATA_TOKEN_TTL_SECONDS, HeaderValue::from(secs));
        Ok(request)
    }

    fn parse_response(response: Response<Bytes>) -> Result<MetadataSession, ResponseError> {
        match response.status().as_u16() {
            200 => {
                let text = std::str::from_utf8(response.body()).map(str::trim).unwrap_or_default();
                let valid = !text.is_empty()
                    && text.len() <= MAX_SESSION_TOKEN
                    && HeaderValue::from_str(text).is_ok();
                if !valid {
                    return Err(ResponseError::Malformed {
                        http_status: 200,
                        reason: "the session token is empty, too long or not a header value".into(),
                        excerpt: super::WITHHELD_EXCERPT.into(),
                        request_id: trace_id(response.headers()),
                    });
                }
                Ok(MetadataSession::Token(MetadataToken::new(text)))
            }
            404 | 405 => Ok(MetadataSession::Unsupported),
            _ => Err(ResponseError::Api(parse_iam_error(&response))),
        }
    }
}

/// Input of the security-key call.
#[derive(Debug, Clone, Default)]
pub struct MetadataSecurityKey {
    /// The session token, unless the service has none.
    pub session: Option<MetadataToken>,
}

impl Operation for MetadataSecurityKey {
    type Output = TemporaryCredentials;
    const NAME: &'static str = "metadata_security_key";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        let mut request = iam_request(Method::GET, endpoint, "/openstack/latest/securitykey", "", None)?;
        request.headers_mut().remove(http::header::CONTENT_TYPE);
        if let Some(token) = &self.session {
            let mut value =
                HeaderValue::from_str(token.expose()).map_err(|_| BuildError::InvalidParameter {
                    name: "metadata session token",
                    value: "<redacted>".into(),
                    reason: "is not a valid header value",
                })?;
            value.set_sensitive(true);
            request.headers_mut().insert(X_METADATA_TOKEN, value);
        }
        Ok(request)
    }

    fn parse_response(response: Response<Bytes>) -> Result<TemporaryCredentials, ResponseError> {
        if !response.status().is_success() {
            let mut error = parse_iam_error(&response);
            // Keep the agency hint even from a plain-text body, in a bounded excerpt.
            if error.message.is_none() && !response.body().is_empty() {
                error.message = Some(excerpt(response.body()));
            }
            return Err(ResponseError::Api(error));
        }
        parse_credential(&response)
    }
}

/// The server has no agency, so its metadata service has no credentials to give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the metadata service at {host} answered HTTP {http_status}: this server has no agency; attach a cloud service agency to the ECS/BMS server, or use other credentials"
)]
pub struct NoAgency {
    /// The metadata host asked.
    pub host: String,
    /// The answer's status (401 or 404).
    pub http_status: u16,
}

/// What a failed security-key call means.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetadataFailure {
    /// No agency (the documented 401 text, or a 404).
    NoAgency(NoAgency),
    /// Another 401: the session token is stale; fetch a new one and try once more.
    SessionRejected,
    /// Anything else: report it as is.
    Other,
}

fn says_no_agency(error: &ApiError) -> bool {
    let needle = NO_AGENCY_TEXT.to_ascii_lowercase();
    error.message.as_deref().is_some_and(|m| m.to_ascii_lowercase().contains(&needle))
}

/// Classifies a failed security-key call made to `host`.
pub fn classify_security_key_error(error: &ResponseError, host: &str) -> MetadataFailure {
    let Some(api) = error.api_error() else {
        return MetadataFailure::Other;
    };
    let no_agency = || NoAgency { host: host.chars().take(255).collect(), http_status: api.http_status };
    match api.http_status {
        404 => MetadataFailure::NoAgency(no_agency()),
        401 if says_no_agency(api) => MetadataFailure::NoAgency(no_agency()),
        401 => MetadataFailure::SessionRejected,
        _ if says_no_agency(api) => MetadataFailure::NoAgency(no_agency()),
        _ => MetadataFailure::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint() -> Endpoint {
        Endpoint::from_url(METADATA_ENDPOINT).unwrap()
    }

    fn answer(status: u16, body: &str) -> Response<Bytes> {
        Response::builder().status(status).body(Bytes::from(body.to_owned())).unwrap()
    }

    #[test]
    fn requests_table() {
        let put = MetadataSessionToken::default().build_request(&endpoint()).unwrap();
        assert_eq!(
            (put.method().as_str(), put.uri().to_string().as_str()),
            ("PUT", "http://169.254.169.254/meta-data/latest/api/token")
        );
        assert_eq!(put.headers()[X_METADATA_TOKEN_TTL_SECONDS], "21600");
        for ttl in [0, 21_601] {
            assert!(
                MetadataSessionToken { ttl: Duration::from_secs(ttl) }.build_request(&endpoint()).is_err()
            );
        }

        let get = MetadataSecurityKey { session: Some(MetadataToken::new("sess-secret")) }
            .build_request(&endpoint())
            .unwrap();
        assert_eq!(get.uri().path(), "/openstack/latest/securitykey");
        assert!(get.headers()[X_METADATA_TOKEN].is_sensitive());
        assert!(!format!("{:?}", MetadataToken::new("sess-secret")).contains("sess-secret"));
        let without = MetadataSecurityKey::default().build_request(&endpoint()).unwrap();
        assert!(without.headers().get(X_METADATA_TOKEN).is_none());
        let bad =
            MetadataSecurityKey { session: Some(MetadataToken::new("a\nb")) }.build_request(&endpoint());
        assert!(bad.is_err());
    }

    #[test]
    fn session_answers_table() {
        assert!(
            matches!(MetadataSessionToken::parse_response(answer(200, " tok \n")), Ok(MetadataSession::Token(t)) if t.expose() == "tok")
        );
        for status in [404, 405] {
            assert!(matches!(
                MetadataSessionToken::parse_response(answer(status, "")),
                Ok(MetadataSession::Unsupported)
            ));
        }
        assert!(matches!(
            MetadataSessionToken::parse_response(answer(200, "")),
            Err(ResponseError::Malformed { .. })
        ));
        let huge = "x".repeat(MAX_SESSION_TOKEN + 1);
        assert!(MetadataSessionToken::parse_response(answer(200, &huge)).is_err());
        assert!(matches!(MetadataSessionToken::parse_response(answer(503, "")), Err(ResponseError::Api(_))));
    }

    #[test]
    fn security_key_failures_table() {
        let host = "169.254.169.254";
        let cases = [
            (answer(401, NO_AGENCY_TEXT), "no agency"),
            (answer(401, r#"{"error_msg":"Please configure Cloud Service Agency first."}"#), "no agency"),
            (answer(404, ""), "no agency"),
            (answer(401, "token expired"), "session"),
            (answer(500, "oops"), "other"),
        ];
        for (r, expected) in cases {
            let e = MetadataSecurityKey::parse_response(r).unwrap_err();
            let got = match classify_security_key_error(&e, host) {
                MetadataFailure::NoAgency(n) => {
                    assert!(n.to_string().contains("no agency") && n.to_string().contains(host));
                    "no agency"
                }
                MetadataFailure::SessionRejected => "session",
                MetadataFailure::Other => "other",
            };
            assert_eq!(got, expected, "{e:?}");
        }
        let ok = answer(
            200,
            r#"{"credential":{"access":"A","secret":"S","securitytoken":"T","expires_at":"2030-01-01T00:00:00Z"}}"#,
        );
        assert_eq!(MetadataSecurityKey::parse_response(ok).unwrap().credentials.access_key(), "A");
        let malformed = MetadataSecurityKey::parse_response(answer(200, "{")).unwrap_err();
        assert_eq!(classify_security_key_error(&malformed, host), MetadataFailure::Other);
    }
}
