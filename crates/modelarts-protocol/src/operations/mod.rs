//! The four v1 operations, each a typed input with a pure `build_request` and `parse_response`.
//!
//! ```
//! use modelarts_protocol::operations::{Operation, stop_training_job::StopTrainingJob};
//! use modelarts_protocol::Endpoint;
//!
//! let input = StopTrainingJob::new("0123456789abcdef0123456789abcdef".parse().unwrap(), "10".parse().unwrap(), "11".parse().unwrap());
//! let request = input.build_request(&Endpoint::for_region("cn-north-4").unwrap()).unwrap();
//! assert_eq!(request.method(), "POST");
//! assert_eq!(
//!     request.uri(),
//!     "https://modelarts.cn-north-4.myhuaweicloud.com/v1/0123456789abcdef0123456789abcdef/training-jobs/10/versions/11/stop"
//! );
//!
//! let response = http::Response::builder().status(200).body(bytes::Bytes::from_static(br#"{"is_success":true}"#)).unwrap();
//! assert!(StopTrainingJob::parse_response(response).is_ok());
//! ```

pub mod list_training_job_versions;
pub mod list_training_jobs;
pub mod logs;
mod observed;
pub mod show_training_job_version;
pub mod stop_training_job;
pub mod v2;
pub mod workspaces;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::endpoint::Endpoint;
use crate::error::{ApiError, BuildError, ResponseError, excerpt};
use crate::ids::ProjectId;
use crate::lenient;

/// What every operation offers: a request builder and a response parser, both pure.
pub trait Operation {
    /// What a successful response yields.
    type Output;
    /// The operation's name, for logs and journals (`stop_training_job`, …).
    const NAME: &'static str;
    /// Whether sending the request twice has the same effect as sending it once. The stop is not
    /// treated as idempotent: after an ambiguous failure, read the status before sending it again.
    const IDEMPOTENT: bool;
    /// Whether the request body carries a secret (a password, an ID token, an IAM token): a dry
    /// run or a log must then print the body masked. `false` unless an operation says otherwise.
    const SECRET_BODY: bool = false;

    /// Builds the unsigned request.
    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError>;

    /// Reads the response: the output, the service's refusal, or why the body did not parse.
    fn parse_response(response: Response<Bytes>) -> Result<Self::Output, ResponseError>;

    /// Reads the response to this very request: [`parse_response`](Self::parse_response), plus
    /// what only the input can check (the v2 terminate's answer must name the job terminated). A
    /// failed check is [`ResponseError::Malformed`], so the call machine treats it as any unreadable
    /// success: a read is retried, a stop reads the status before deciding. Drivers call this one.
    fn read_response(&self, response: Response<Bytes>) -> Result<Self::Output, ResponseError> {
        Self::parse_response(response)
    }
}

/// An operation borrowed is the operation (a machine may borrow the operation it calls).
impl<O: Operation + ?Sized> Operation for &O {
    type Output = O::Output;
    const NAME: &'static str = O::NAME;
    const IDEMPOTENT: bool = O::IDEMPOTENT;
    const SECRET_BODY: bool = O::SECRET_BODY;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        (**self).build_request(endpoint)
    }

    fn parse_response(response: Response<Bytes>) -> Result<Self::Output, ResponseError> {
        O::parse_response(response)
    }

    fn read_response(&self, response: Response<Bytes>) -> Result<Self::Output, ResponseError> {
        (**self).read_response(response)
    }
}

pub use crate::error::{X_REQUEST_ID, request_id};

/// Builds a request with the headers the official SDK sends: `Content-Type: application/json` and
/// `X-Project-Id`. `query` must already be encoded and in canonical order.
pub(crate) fn request(
    method: Method,
    endpoint: &Endpoint,
    project_id: &ProjectId,
    path: &str,
    query: &str,
) -> Result<Request<Bytes>, BuildError> {
    request_of(method, endpoint, project_id, &[path], query)
}

/// [`request`] with the path given as pieces to join, written straight into the URI's buffer.
pub(crate) fn request_of(
    method: Method,
    endpoint: &Endpoint,
    project_id: &ProjectId,
    path: &[&str],
    query: &str,
) -> Result<Request<Bytes>, BuildError> {
    let uri = endpoint.uri_of(path, query)?;
    let mut request = Request::new(Bytes::new());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    let headers = request.headers_mut();
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // A validated project ID is ASCII letters, digits, '-' and '_': always a valid header value.
    if let Ok(value) = HeaderValue::from_str(project_id.as_str()) {
        headers.insert(X_PROJECT_ID, value);
    }
    Ok(request)
}

/// The header carrying the project ID, as a constant name (no parsing per request).
const X_PROJECT_ID: http::HeaderName = http::HeaderName::from_static("x-project-id");

/// Appends `key=value` to a query in construction, encoding both.
pub(crate) fn push_query(query: &mut String, key: &str, value: &str) {
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(&crate::signing::encode_component(key));
    query.push('=');
    query.push_str(&crate::signing::encode_component(value));
}

/// The fields every v1 answer may carry beside its own (read in one pass with it: `observed`).
#[derive(Debug, Default, Deserialize)]
struct Envelope {
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    is_success: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    error_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    error_message: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    error_msg: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    request_id: Option<String>,
}

/// Reads the error of a response that is not a success: a redirect (never followed; the message
/// names the target without its query), a ModelArts body (`is_success: false`, `error_code`,
/// `error_message` or `error_msg`), a gateway body (`APIG.xxxx`, `request_id`), or a bare HTTP
/// error (HTML, empty, anything else: the message describes it).
pub fn parse_error(response: &Response<Bytes>) -> ApiError {
    let header_id = request_id(response.headers());
    let status = response.status().as_u16();
    if response.status().is_redirection() {
        // Never followed (a signed request must not go elsewhere): say where it pointed.
        return ApiError {
            http_status: status,
            code: None,
            message: Some(describe_redirect(response)),
            request_id: header_id,
        };
    }
    if status == 407 {
        // Proxy-Authenticate and the body belong to the proxy: say what it means.
        return ApiError {
            http_status: status,
            code: None,
            message: Some(
                "a proxy refused the credentials (407 Proxy Authentication Required): check the proxy URL's user and password"
                    .to_owned(),
            ),
            request_id: header_id,
        };
    }
    match serde_json::from_slice::<Envelope>(response.body()) {
        Ok(envelope) => api_error(status, envelope, header_id),
        Err(_) => ApiError {
            http_status: status,
            code: None,
            message: describe_body(response),
            request_id: header_id,
        },
    }
}

fn api_error(status: u16, envelope: Envelope, header_id: Option<String>) -> ApiError {
    ApiError {
        http_status: status,
        code: envelope.error_code,
        message: envelope.error_message.or(envelope.error_msg),
        request_id: envelope.request_id.or(header_id),
    }
}

/// `a redirect to https://host/path (not followed)`: the `Location` without its query and
/// fragment, which may carry tickets.
fn describe_redirect(response: &Response<Bytes>) -> String {
    let location = response
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|l| l.split(['?', '#']).next().unwrap_or_default().chars().take(200).collect::<String>());
    match location {
        Some(l) if !l.is_empty() => format!("a redirect to {l} (not followed)"),
        _ => "a redirect (not followed)".to_owned(),
    }
}

fn describe_body(response: &Response<Bytes>) -> Option<String> {
    let body = response.body();
    if body.is_empty() {
        return None;
    }
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown content type");
    Some(format!("non-JSON body ({content_type}): {}", excerpt(body)))
}

/// A malformed-response error for `response`: its status, an excerpt of its body and its request ID.
pub(crate) fn malformed(response: &Response<Bytes>, reason: impl Into<String>) -> ResponseError {
    ResponseError::Malformed {
        http_status: response.status().as_u16(),
        reason: reason.into(),
        excerpt: excerpt(response.body()),
        request_id: request_id(response.headers()),
    }
}

/// Parses a JSON answer into `T` after checking the HTTP status and the `is_success` envelope.
///
/// Every answer of the v1 API is a JSON object: anything else (an array, a string, a number) is
/// malformed, even where `T` could be read from it (serde reads a struct from an array too). The
/// fields that carry the answer are required by `T` itself (`jobs`, `versions`, `version_id` and
/// `status`); optional fields stay lenient (null, numbers as strings).
pub(crate) fn parse_json<T: DeserializeOwned>(response: Response<Bytes>) -> Result<T, ResponseError> {
    if !response.status().is_success() {
        return Err(ResponseError::Api(parse_error(&response)));
    }
    let status = response.status().as_u16();
    let header_id = request_id(response.headers());
    let is_object = response.body().iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    // The common case in one pass; when it fails, the two passes below say why, as they always did.
    if is_object && let Ok((value, envelope)) = observed::read::<T>(response.body()) {
        if envelope.is_success == Some(false)
            || (envelope.is_success.is_none() && envelope.error_code.is_some())
        {
            return Err(ResponseError::Api(api_error(status, envelope, header_id)));
        }
        return Ok(value);
    }
    parse_json_two_pass(&response, status, header_id)
}

/// The envelope first, then `T`: the reading that names what is wrong with an unusual answer.
fn parse_json_two_pass<T: DeserializeOwned>(
    response: &Response<Bytes>,
    status: u16,
    header_id: Option<String>,
) -> Result<T, ResponseError> {
    let malformed = |reason: String| malformed(response, reason);
    let envelope: Envelope = serde_json::from_slice(response.body())
        .map_err(|e| malformed(format!("the body is not valid JSON ({e})")))?;
    if response.body().iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(malformed("the body is not a JSON object".to_owned()));
    }
    if envelope.is_success == Some(false) || (envelope.is_success.is_none() && envelope.error_code.is_some())
    {
        return Err(ResponseError::Api(api_error(status, envelope, header_id.clone())));
    }
    serde_json::from_slice(response.body()).map_err(|e| malformed(format!("unexpected response shape ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::model::VersionDetail;

    fn both(body: &str) -> (String, String) {
        let response = || {
            let mut r = Response::new(Bytes::from(body.to_owned()));
            r.headers_mut().insert(X_REQUEST_ID, HeaderValue::from_static("hdr-1"));
            r
        };
        let one: Result<VersionDetail, _> = parse_json(response());
        let r = response();
        let two: Result<VersionDetail, _> = parse_json_two_pass(&r, 200, request_id(r.headers()));
        (format!("{one:?}"), format!("{two:?}"))
    }

    /// The one-pass reading gives what the two-pass reading gives, for ordinary and unusual answers.
    #[test]
    fn one_pass_and_two_pass_readings_agree() {
        let detail = r#""version_id": 7, "status": 8, "job_name": "n""#;
        let bodies = [
            format!("{{{detail}}}"),
            format!("{{{detail}, \"is_success\": true}}"),
            format!(
                "{{\"is_success\": false, {detail}, \"error_code\": \"ModelArts.0105\", \"error_msg\": \"m\"}}"
            ),
            format!(
                "{{{detail}, \"is_success\": \"false\", \"error_message\": \"x\", \"request_id\": \"r-9\"}}"
            ),
            format!("{{{detail}, \"is_success\": 0}}"),
            format!("{{{detail}, \"error_code\": \"APIG.0101\"}}"),
            format!("{{{detail}, \"error_code\": 12, \"error_msg\": null}}"),
            format!("{{{detail}, \"is_success\": true, \"is_success\": false}}"),
            format!("{{{detail}, \"is\\u005fsuccess\": false, \"error_code\": \"E\"}}"),
            format!("{{{detail}, \"is_success\": \"maybe\"}}"),
            format!("{{{detail}, \"is_success\": {{}}}}"),
            format!("{{{detail}}} trailing"),
            format!("[{detail}]"),
            r#"{"is_success": false, "error_code": "ModelArts.2775"}"#.to_owned(),
            r#"{"status": 8}"#.to_owned(),
            r#"{"version_id": 7, "status": "x"}"#.to_owned(),
            String::new(),
        ];
        for body in &bodies {
            let (one, two) = both(body);
            assert_eq!(one, two, "{body}");
        }
        // Not vacuous: the cases cover success, the service's refusals and malformed answers.
        let outcomes: Vec<(String, String)> = bodies.iter().map(|b| both(b)).collect();
        assert!(outcomes.iter().any(|(o, _)| o.starts_with("Ok(")));
        assert!(outcomes.iter().any(|(o, _)| o.contains("Api(") && o.contains("ModelArts.0105")));
        assert!(outcomes.iter().any(|(o, _)| o.contains("Malformed")));
    }
}
