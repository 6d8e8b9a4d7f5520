//! IAM and the other identity sources: pure builders and parsers for the calls that turn what a user
//! has (AK/SK, a password, an agency, a cloud host, a federated ID token) into what a ModelArts
//! request needs (a project id, an IAM token, temporary AK/SK), and the decisions around them.
//!
//! Like the rest of the crate, nothing here sends, sleeps, reads a clock, the environment or a file:
//! the SDK reads `HUAWEICLOUD_SDK_*`, the profile and the metadata service's address and passes the
//! values in; it passes the time in too.
//!
//! | Module | Call or decision |
//! |---|---|
//! | [`endpoint`] | which IAM endpoint: explicit → `HUAWEICLOUD_SDK_IAM_ENDPOINT` → profile → region map → global |
//! | [`projects`] | `GET {iam}/v3/projects?name={region}` and the "exactly one project" decision |
//! | [`token`] | `POST {iam}/v3/auth/tokens` with a password (and optional virtual MFA) |
//! | [`agency`] | `POST {iam}/v3.0/OS-CREDENTIAL/securitytokens` with `assume_role` |
//! | [`metadata`] | the ECS/BMS metadata service: session token, then the security key |
//! | [`pod_identity`] | CCE pod identity: `POST {HC_CONTAINER_CREDENTIALS_FULL_URI}` with the pod token and `{}` |
//! | [`federation`] | OIDC: `POST {iam}/v3.0/OS-AUTH/id-token/tokens`, then temporary AK/SK by token |
//! | [`gateway`] | the gateway's `APIG.0301` refusals, classified; which a retry can fix |
//! | [`renewal`] | reuse until 15 min before expiry; renew once on a "token expired" 401 |
//!
//! Secrets (passwords, tokens, secret keys, security tokens) live in types whose `Debug` redacts
//! them. A response that carries credentials and fails to parse yields a
//! [`ResponseError::Malformed`] whose excerpt is withheld, never the body. The built requests of
//! [`token::PasswordLogin`], [`federation::IdTokenLogin`] and [`federation::TokenToTemporaryKeys`]
//! carry the secret in their body, as the API requires; they say so with
//! [`Operation::SECRET_BODY`](crate::operations::Operation::SECRET_BODY): print such a body masked.

pub mod agency;
pub mod domains;
pub mod endpoint;
pub mod federation;
pub mod gateway;
pub mod metadata;
pub mod pod_identity;
pub mod projects;
pub mod renewal;
pub mod token;

use std::fmt;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response};
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::endpoint::Endpoint;
use crate::error::{ApiError, BuildError, ResponseError, excerpt};
use crate::lenient;
use crate::signing::Credentials;

/// The answer header IAM identifies a request by (`X-IAM-Trace-Id`).
pub const X_IAM_TRACE_ID: &str = "x-iam-trace-id";
/// The answer header carrying a new token (`X-Subject-Token`).
pub const X_SUBJECT_TOKEN: &str = "x-subject-token";

/// What a [`ResponseError::Malformed`] keeps instead of an excerpt when the body carries secrets.
pub const WITHHELD_EXCERPT: &str = "<withheld: the answer carries credentials>";

/// The id IAM gives an answer: `X-IAM-Trace-Id`, else `X-Request-Id`.
pub fn trace_id(headers: &HeaderMap) -> Option<String> {
    [X_IAM_TRACE_ID, crate::operations::X_REQUEST_ID]
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(|v| v.chars().take(128).collect())
}

/// Temporary credentials: AK/SK with a security token, and when they expire.
///
/// `Debug` shows the access key and the expiry only.
#[derive(Clone)]
pub struct TemporaryCredentials {
    /// The AK, SK and security token, ready to sign with.
    pub credentials: Credentials,
    /// When they stop working.
    pub expires_at: SystemTime,
    /// The trace id of the answer that issued them, if any.
    pub trace_id: Option<String>,
}

impl fmt::Debug for TemporaryCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemporaryCredentials")
            .field("credentials", &self.credentials)
            .field("expires_at", &format_time(self.expires_at))
            .field("trace_id", &self.trace_id)
            .finish()
    }
}

/// Parses an ISO 8601 / RFC 3339 time as IAM writes it (`2024-01-02T03:04:05.123000Z`).
pub fn parse_time(text: &str) -> Option<SystemTime> {
    OffsetDateTime::parse(text.trim(), &Rfc3339).ok().map(SystemTime::from)
}

/// Formats a time as RFC 3339 in UTC (for messages and `Debug`).
pub fn format_time(time: SystemTime) -> String {
    OffsetDateTime::from(time).format(&Rfc3339).unwrap_or_else(|_| "<unrepresentable time>".to_owned())
}

/// Builds an IAM request: JSON body (if any), `Content-Type: application/json;charset=UTF-8`.
pub(crate) fn iam_request(
    method: Method,
    endpoint: &Endpoint,
    path: &str,
    query: &str,
    body: Option<Vec<u8>>,
) -> Result<Request<Bytes>, BuildError> {
    let uri = endpoint.uri(path, query)?;
    let mut request = Request::new(body.map(Bytes::from).unwrap_or_default());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    request
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json;charset=UTF-8"));
    Ok(request)
}

/// The `securitytokens` request that trades an identity `method` (`assume_role`, `token`) and its
/// payload for temporary AK/SK, with an optional lifetime.
pub(crate) fn security_tokens_request(
    endpoint: &Endpoint,
    method: &str,
    mut payload: serde_json::Value,
    duration: Option<std::time::Duration>,
) -> Result<Request<Bytes>, BuildError> {
    if let Some(d) = duration {
        payload["duration_seconds"] = serde_json::json!(agency::duration_seconds(d)?);
    }
    let mut identity = serde_json::Map::new();
    identity.insert("methods".to_owned(), serde_json::json!([method]));
    identity.insert(method.to_owned(), payload);
    let body = serde_json::json!({ "auth": { "identity": identity } });
    iam_request(
        Method::POST,
        endpoint,
        "/v3.0/OS-CREDENTIAL/securitytokens",
        "",
        Some(body.to_string().into_bytes()),
    )
}

/// The Keystone-style error body: `{"error":{"code":401,"title":"Unauthorized","message":"…"}}`.
#[derive(Deserialize)]
struct KeystoneEnvelope {
    error: KeystoneError,
}

#[derive(Deserialize)]
struct KeystoneError {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    message: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    title: Option<String>,
}

/// Reads an IAM refusal: the Keystone body (`error.message`), the Huawei body (`error_code`,
/// `error_msg`), or anything else as [`crate::operations::parse_error`] describes it. The request
/// id falls back to `X-IAM-Trace-Id`.
pub fn parse_iam_error(response: &Response<Bytes>) -> ApiError {
    let mut error = crate::operations::parse_error(response);
    if let Ok(keystone) = serde_json::from_slice::<KeystoneEnvelope>(response.body()) {
        error.message = keystone.error.message.or(keystone.error.title).or(error.message);
    }
    if error.request_id.is_none() {
        error.request_id = trace_id(response.headers());
    }
    error
}

/// A malformed-answer error; `secret` withholds the excerpt.
pub(crate) fn malformed(response: &Response<Bytes>, reason: String, secret: bool) -> ResponseError {
    ResponseError::Malformed {
        http_status: response.status().as_u16(),
        reason,
        excerpt: if secret { WITHHELD_EXCERPT.to_owned() } else { excerpt(response.body()) },
        request_id: trace_id(response.headers()),
    }
}

/// Checks the status (any 2xx is success) and parses the JSON body into `T`.
pub(crate) fn parse_iam_json<T: serde::de::DeserializeOwned>(
    response: &Response<Bytes>,
    secret: bool,
) -> Result<T, ResponseError> {
    if !response.status().is_success() {
        return Err(ResponseError::Api(parse_iam_error(response)));
    }
    serde_json::from_slice(response.body()).map_err(|e| {
        // serde_json's message names the position and the expectation, never the value.
        malformed(response, format!("unexpected answer shape ({e})"), secret)
    })
}

#[derive(Deserialize)]
struct CredentialEnvelope {
    #[serde(default)]
    credential: Option<CredentialBody>,
    #[serde(default)]
    credentials: Option<CredentialBody>,
}

/// The fields of temporary credentials under every name the official reader accepts (core
/// `auth/internal.py`, `StsAccessor._process_credential`): IAM's and the metadata service's
/// `access`/`secret`/`securitytoken`/`expires_at`, CCE pod identity's
/// `accessKeyId`/`secretAccessKey`/`securityToken`/`expiration`, and the snake-case spellings.
#[derive(Deserialize)]
struct CredentialBody {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    access: Option<String>,
    #[serde(default, rename = "accessKeyId", deserialize_with = "lenient::opt_string")]
    access_key_id_camel: Option<String>,
    #[serde(default, rename = "access_key_id", deserialize_with = "lenient::opt_string")]
    access_key_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    secret: Option<String>,
    #[serde(default, rename = "secretAccessKey", deserialize_with = "lenient::opt_string")]
    secret_access_key_camel: Option<String>,
    #[serde(default, rename = "secret_access_key", deserialize_with = "lenient::opt_string")]
    secret_access_key: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    securitytoken: Option<String>,
    #[serde(default, rename = "securityToken", deserialize_with = "lenient::opt_string")]
    security_token_camel: Option<String>,
    #[serde(default, rename = "security_token", deserialize_with = "lenient::opt_string")]
    security_token: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    expires_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    expiration: Option<String>,
}

/// The first of `names` that is set and not blank.
fn first_set(names: [Option<String>; 3]) -> Option<String> {
    names.into_iter().flatten().find(|s| !s.trim().is_empty())
}

/// Parses temporary credentials: `{"credential":{"access","secret","securitytoken","expires_at"}}`
/// (agency, metadata and federation answers) or `{"credentials":{"accessKeyId","secretAccessKey",
/// "securityToken","expiration"},…}` (CCE pod identity), each field under any of the names the
/// official reader accepts. Every field is required; the excerpt of a bad answer is withheld.
pub(crate) fn parse_credential(response: &Response<Bytes>) -> Result<TemporaryCredentials, ResponseError> {
    let envelope: CredentialEnvelope = parse_iam_json(response, true)?;
    let missing = |field: &str| malformed(response, format!("the answer has no credential.{field}"), true);
    let body = envelope.credential.or(envelope.credentials).ok_or_else(|| missing("*"))?;
    let access = first_set([body.access, body.access_key_id_camel, body.access_key_id])
        .ok_or_else(|| missing("access (accessKeyId)"))?;
    let secret = [body.secret, body.secret_access_key_camel, body.secret_access_key]
        .into_iter()
        .flatten()
        .find(|s| !s.is_empty())
        .ok_or_else(|| missing("secret (secretAccessKey)"))?;
    let token = [body.securitytoken, body.security_token_camel, body.security_token]
        .into_iter()
        .flatten()
        .find(|s| !s.is_empty())
        .ok_or_else(|| missing("securitytoken (securityToken)"))?;
    let expires_at = body.expires_at.filter(|s| !s.trim().is_empty()).or(body.expiration);
    let expires_text = expires_at.ok_or_else(|| missing("expires_at (expiration)"))?;
    let expires_at = parse_time(&expires_text).ok_or_else(|| {
        malformed(response, format!("credential.expires_at {expires_text:?} is not an RFC 3339 time"), true)
    })?;
    if HeaderValue::from_str(&token).is_err() || HeaderValue::from_str(&access).is_err() {
        return Err(malformed(
            response,
            "the credential holds characters a header cannot carry".into(),
            true,
        ));
    }
    Ok(TemporaryCredentials {
        credentials: Credentials::new(access.trim(), secret).with_security_token(token),
        expires_at,
        trace_id: trace_id(response.headers()),
    })
}

/// Checks a name sent in a body or query: not blank, at most `max` characters, no control
/// characters.
pub(crate) fn check_name(name: &'static str, value: &str, max: usize) -> Result<(), BuildError> {
    let invalid =
        |reason| BuildError::InvalidParameter { name, value: value.chars().take(80).collect(), reason };
    if value.trim().is_empty() {
        return Err(invalid("must not be empty"));
    }
    if value.chars().count() > max {
        return Err(invalid("is too long"));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid("must not contain control characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response<Bytes> {
        let mut b = Response::builder().status(status);
        for (n, v) in headers {
            b = b.header(*n, *v);
        }
        b.body(Bytes::from(body.to_owned())).unwrap()
    }

    #[test]
    fn times_parse_as_iam_writes_them() {
        let t = parse_time("2024-01-02T03:04:05.123000Z").unwrap();
        assert_eq!(t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis(), 1_704_164_645_123);
        assert_eq!(
            parse_time("2024-01-02T03:04:05Z").map(format_time).as_deref(),
            Some("2024-01-02T03:04:05Z")
        );
        for bad in ["", "yesterday", "2024-01-02 03:04:05", "2024-13-02T03:04:05Z"] {
            assert!(parse_time(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn iam_errors_table() {
        let cases = [
            (
                response(
                    401,
                    &[("x-iam-trace-id", "trace-1")],
                    r#"{"error":{"code":401,"title":"Unauthorized","message":"The username or password is wrong."}}"#,
                ),
                None,
                Some("The username or password is wrong."),
                Some("trace-1"),
            ),
            (
                response(
                    403,
                    &[("x-request-id", "req-2")],
                    r#"{"error_code":"IAM.0002","error_msg":"Forbidden"}"#,
                ),
                Some("IAM.0002"),
                Some("Forbidden"),
                Some("req-2"),
            ),
            (response(500, &[], ""), None, None, None),
        ];
        for (r, code, message, id) in cases {
            let e = parse_iam_error(&r);
            assert_eq!(
                (e.code.as_deref(), e.message.as_deref(), e.request_id.as_deref()),
                (code, message, id)
            );
        }
    }

    #[test]
    fn credential_answers_never_leak_into_errors() {
        let ok = response(
            201,
            &[("x-iam-trace-id", "t")],
            r#"{"credential":{"access":"TMPAK","secret":"TMPSK-secret","securitytoken":"ST-secret","expires_at":"2030-01-01T00:00:00.000000Z"}}"#,
        );
        let creds = parse_credential(&ok).unwrap();
        assert_eq!(creds.credentials.access_key(), "TMPAK");
        assert_eq!(creds.credentials.security_token(), Some("ST-secret"));
        let shown = format!("{creds:?}");
        assert!(!shown.contains("TMPSK-secret") && !shown.contains("ST-secret"), "{shown}");
        assert!(shown.contains("2030-01-01T00:00:00Z"), "{shown}");

        let bodies = [
            r#"{"credential":{"access":"TMPAK","secret":"TMPSK-secret","securitytoken":"ST-secret"}}"#,
            r#"{"credential":{"access":"TMPAK","secret":"TMPSK-secret","securitytoken":"ST-secret","expires_at":"soon"}}"#,
            r#"{"credential":{"access":"TMPAK","secret":"TMPSK-secret","securitytoken":"ST-secret","expires_at":"2030-01-01T00:00:00Z""#,
            r#"{"credential":{"access":"TMPAK","secret":"","securitytoken":"ST-secret","expires_at":"2030-01-01T00:00:00Z"}}"#,
            r#"{"nothing":true}"#,
        ];
        for body in bodies {
            let e = parse_credential(&response(201, &[], body)).unwrap_err();
            let text = format!("{e} {e:?}");
            assert!(!text.contains("TMPSK-secret") && !text.contains("ST-secret"), "{text}");
            assert!(matches!(e, ResponseError::Malformed { ref excerpt, .. } if excerpt == WITHHELD_EXCERPT));
        }
    }

    #[test]
    fn operations_whose_body_carries_a_secret_say_so() {
        use crate::operations::Operation;
        use crate::operations::stop_training_job::StopTrainingJob;
        fn row<O: Operation>(expected: bool) -> (&'static str, bool, bool) {
            (O::NAME, O::SECRET_BODY, expected)
        }
        let table = [
            row::<token::PasswordLogin>(true),
            row::<federation::IdTokenLogin>(true),
            row::<federation::TokenToTemporaryKeys>(true),
            row::<agency::AssumeAgency>(false),
            row::<projects::ListProjects>(false),
            row::<projects::ListAuthProjects>(false),
            row::<metadata::MetadataSessionToken>(false),
            row::<metadata::MetadataSecurityKey>(false),
            row::<StopTrainingJob>(false),
        ];
        for (name, got, expected) in table {
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("user_name", "alice", 64).is_ok());
        for bad in ["", "  ", "a\nb", &"x".repeat(65)] {
            assert!(check_name("user_name", bad, 64).is_err(), "{bad:?}");
        }
    }
}
