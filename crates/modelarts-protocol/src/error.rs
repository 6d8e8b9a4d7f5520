//! Errors the service returns ([`ApiError`] and the [`ErrorCode`] catalogue) and errors of building
//! requests and reading responses.

use std::fmt;

use crate::ids::IdError;

/// The header carrying the request ID in answers.
pub const X_REQUEST_ID: &str = "x-request-id";

/// The `X-Request-Id` header, if any.
pub fn request_id(headers: &http::HeaderMap) -> Option<String> {
    headers.get(X_REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// What kind of failure an error code stands for; drives retry decisions and exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorClass {
    /// Bad or expired credentials, signature, or token (401), or a proxy that refused its
    /// credentials (407).
    Auth,
    /// Authenticated but not allowed (403).
    Permission,
    /// Too many requests (429, `APIG.0308`).
    Throttling,
    /// The job or version does not exist.
    NotFound,
    /// The API itself is not there: the gateway's 404 `APIG.0101` ("The API does not exist or has
    /// not been published in the environment"), e.g. the v1 training-job API on a cloud that
    /// retired it, or a wrong path. It says nothing about any job: not [`NotFound`](Self::NotFound),
    /// and never retried.
    ApiAbsent,
    /// The request conflicts with the resource's state (a stop of a version that cannot be stopped).
    Conflict,
    /// The request is invalid (400).
    InvalidRequest,
    /// A server or gateway failure, possibly transient (5xx, 408).
    Server,
    /// Nothing more is known.
    Other,
}

/// One entry of the catalogue of documented error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    /// The code, e.g. `ModelArts.2775` or `APIG.0308`.
    pub code: &'static str,
    /// The HTTP status the documentation gives for it (`0` when it varies).
    pub(crate) http_status: u16,
    /// The documented meaning.
    pub meaning: &'static str,
    /// Its class.
    pub class: ErrorClass,
}

macro_rules! catalogue {
    ($( $code:literal, $status:literal, $class:ident, $meaning:literal; )*) => {
        /// The documented ModelArts and API-gateway codes (the gateway's `APIGW.` spelling maps to the
        /// same `APIG.` entries). See `ErrorCode::lookup`.
        pub const ERROR_CODES: &[ErrorCode] = &[
            $( ErrorCode { code: $code, http_status: $status, meaning: $meaning, class: ErrorClass::$class }, )*
        ];
    };
}

catalogue! {
    "ModelArts.0010", 500, Server, "internal error";
    "ModelArts.0015", 404, NotFound, "the resource does not exist";
    "ModelArts.0101", 400, InvalidRequest, "invalid argument";
    "ModelArts.0102", 400, InvalidRequest, "the workspace does not exist";
    "ModelArts.0104", 400, InvalidRequest, "parameter error";
    "ModelArts.0105", 400, Conflict, "the operation is not allowed in the current state";
    "ModelArts.0107", 400, InvalidRequest, "invalid values";
    "ModelArts.0108", 403, Permission, "not authorised for this operation";
    "ModelArts.0109", 500, Server, "unauthorised account";
    "ModelArts.0112", 0, Permission, "policy execution failed";
    "ModelArts.0113", 400, InvalidRequest, "notebook quota exhausted";
    "ModelArts.0116", 400, InvalidRequest, "quota exceeded";
    "ModelArts.0118", 400, InvalidRequest, "quota insufficient";
    "ModelArts.0201", 401, Auth, "the token is missing";
    "ModelArts.0202", 401, Auth, "the token has expired";
    "ModelArts.0203", 0, Auth, "invalid token";
    "ModelArts.0204", 0, Auth, "the token cannot be parsed or lacks a project";
    "ModelArts.0205", 401, Auth, "the authorization header is missing";
    "ModelArts.0206", 0, Auth, "invalid AK/SK or authorization header";
    "ModelArts.0207", 401, Auth, "the token lacks the project of the current region";
    "ModelArts.0208", 401, Auth, "the authorization header failed the check";
    "ModelArts.0209", 401, Auth, "the appId header is missing";
    "ModelArts.0210", 0, Auth, "invalid project ID, or it does not match the token";
    "ModelArts.0212", 401, Auth, "the token has no project";
    "ModelArts.2775", 400, NotFound, "training job not found";
    "ModelArts.2784", 403, Auth, "invalid token";
    "ModelArts.2785", 403, Permission, "ModelArts is not authorised (agency)";
    "ModelArts.2786", 404, NotFound, "the project ID in the request does not match the token";
    "ModelArts.2787", 400, InvalidRequest, "invalid JSON body";
    "ModelArts.2788", 400, InvalidRequest, "invalid parameter";
    "ModelArts.2789", 400, InvalidRequest, "unsupported filter field";
    "ModelArts.2790", 400, InvalidRequest, "unsupported sort field";
    "ModelArts.2796", 409, Conflict, "the job cannot be terminated";
    "ModelArts.2799", 429, Throttling, "too many requests";
    "ModelArts.2803", 405, InvalidRequest, "method not allowed";
    "ModelArts.2837", 400, Permission, "the account is frozen";
    "ModelArts.2878", 409, Conflict, "the job status changed";
    "ModelArts.2950", 500, Server, "unknown back-end error";
    "ModelArts.4205", 408, Server, "timeout";
    "ModelArts.4206", 429, Throttling, "too many requests";
    "ModelArts.4302", 503, Server, "gateway error";
    "ModelArts.4503", 504, Server, "back end unavailable";
    "ModelArts.4700", 503, Server, "gateway error";
    "ModelArts.6100", 408, Server, "timeout";
    "ModelArts.6101", 429, Throttling, "system busy";
    "APIG.0101", 404, ApiAbsent, "the API does not exist or has not been published";
    "APIG.0103", 500, Server, "the back end does not exist";
    "APIG.0104", 500, Server, "the plug-ins do not exist";
    "APIG.0105", 500, Server, "the back-end configuration does not exist";
    "APIG.0106", 400, InvalidRequest, "orchestration error";
    "APIG.0201", 0, Server, "request error or back-end failure";
    "APIG.0202", 502, Server, "the back end is unavailable";
    "APIG.0203", 504, Server, "the back end timed out";
    "APIG.0204", 400, InvalidRequest, "SSL protocol version not supported";
    "APIG.0301", 401, Auth, "incorrect IAM authentication information";
    "APIG.0302", 403, Permission, "the IAM user is not allowed";
    "APIG.0303", 401, Auth, "incorrect app authentication information";
    "APIG.0304", 403, Permission, "the app is not authorised for the API";
    "APIG.0305", 401, Auth, "incorrect authentication information";
    "APIG.0306", 403, Permission, "API access denied";
    "APIG.0307", 401, Auth, "the token must be refreshed";
    "APIG.0308", 429, Throttling, "the throttling threshold has been reached";
    "APIG.0310", 403, Permission, "the project is unavailable";
}

impl ErrorCode {
    /// Looks a code up; `APIGW.xxxx` finds the `APIG.xxxx` entry.
    ///
    /// ```
    /// use modelarts_protocol::error::{ErrorClass, ErrorCode};
    /// assert_eq!(ErrorCode::lookup("APIGW.0308").unwrap().class, ErrorClass::Throttling);
    /// assert!(ErrorCode::lookup("ModelArts.9999").is_none());
    /// ```
    pub fn lookup(code: &str) -> Option<&'static ErrorCode> {
        let normalized = code.trim();
        let normalized = match normalized.strip_prefix("APIGW.") {
            Some(rest) => return ERROR_CODES.iter().find(|e| e.code.strip_prefix("APIG.") == Some(rest)),
            None => normalized,
        };
        ERROR_CODES.iter().find(|e| e.code == normalized)
    }
}

/// The service said no: an HTTP error status, or a `200` with `is_success: false`.
///
/// Read it with the accessors ([`http_status`](Self::http_status), [`code`](Self::code),
/// [`message`](Self::message), [`request_id`](Self::request_id)); the fields stay readable.
/// New fields may be added: outside this crate build one with [`ApiError::new`] and the `with_*`
/// methods.
///
/// ```
/// use modelarts_protocol::error::{ApiError, ErrorClass};
///
/// let error = ApiError::new(400).with_code("ModelArts.2775").with_request_id("req-1");
/// assert_eq!(error.code(), Some("ModelArts.2775"));
/// assert_eq!(error.request_id(), Some("req-1"));
/// assert_eq!(error.class(), ErrorClass::NotFound);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status of the response.
    pub http_status: u16,
    /// `error_code` (ModelArts or gateway), if the body had one.
    pub(crate) code: Option<String>,
    /// `error_message` / `error_msg`, if the body had one.
    pub(crate) message: Option<String>,
    /// The request ID: the body's `request_id` or the `X-Request-Id` header.
    pub(crate) request_id: Option<String>,
}

impl ApiError {
    /// A refusal with this HTTP status and nothing else known.
    pub fn new(http_status: u16) -> Self {
        Self { http_status, code: None, message: None, request_id: None }
    }

    /// With the service's `error_code`.
    #[must_use]
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// With the service's error message.
    #[must_use]
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// With the request ID.
    #[must_use]
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// The HTTP status of the response.
    pub fn http_status(&self) -> u16 {
        self.http_status
    }

    /// `error_code` (ModelArts or gateway), if the body had one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// `error_message` / `error_msg`, if the body had one.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The request ID: the body's `request_id` or the `X-Request-Id` header.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The catalogue entry of the code, if documented.
    pub fn catalogue_entry(&self) -> Option<&'static ErrorCode> {
        self.code.as_deref().and_then(ErrorCode::lookup)
    }

    /// The error's class, from the code if known, else from the HTTP status.
    pub fn class(&self) -> ErrorClass {
        if let Some(entry) = self.catalogue_entry() {
            return entry.class;
        }
        match self.http_status {
            // 407: a proxy on the way refused its credentials (a configuration problem, like a 401).
            401 | 407 => ErrorClass::Auth,
            403 => ErrorClass::Permission,
            404 => ErrorClass::NotFound,
            409 => ErrorClass::Conflict,
            429 => ErrorClass::Throttling,
            408 | 500..=599 => ErrorClass::Server,
            400..=499 => ErrorClass::InvalidRequest,
            _ => ErrorClass::Other,
        }
    }

    /// 429 or a throttling code (`APIG.0308`, `ModelArts.2799`, …).
    pub fn is_throttling(&self) -> bool {
        self.http_status == 429 || self.class() == ErrorClass::Throttling
    }

    /// Bad credentials, signature or token.
    pub fn is_auth(&self) -> bool {
        self.class() == ErrorClass::Auth
    }

    /// The job or version does not exist. Not for an API that is not there: see
    /// [`is_api_absent`](Self::is_api_absent).
    pub fn is_not_found(&self) -> bool {
        self.class() == ErrorClass::NotFound
    }

    /// The API gateway says the API itself is not there: HTTP 404 with `APIG.0101` (or its
    /// `APIGW.0101` spelling), "The API does not exist or has not been published in the
    /// environment". Huawei Cloud retired the v1 training-job API, so a v1 call may get this answer
    /// where only v2 is served; a caller that covers both APIs may skip v1 on it, and on nothing
    /// else (any other refusal is a real failure).
    ///
    /// ```
    /// use modelarts_protocol::error::ApiError;
    ///
    /// assert!(ApiError::new(404).with_code("APIG.0101").is_api_absent());
    /// assert!(!ApiError::new(404).with_code("APIG.0101").is_not_found());
    /// assert!(!ApiError::new(404).is_api_absent()); // a bare 404 is not the gateway's word
    /// assert!(!ApiError::new(400).with_code("ModelArts.2775").is_api_absent());
    /// ```
    pub fn is_api_absent(&self) -> bool {
        self.http_status == 404 && self.class() == ErrorClass::ApiAbsent
    }

    /// The request conflicts with the resource's state.
    pub fn is_conflict(&self) -> bool {
        self.class() == ErrorClass::Conflict
    }

    /// A server-side failure (5xx, 408, or a server-class code).
    pub fn is_server_error(&self) -> bool {
        self.class() == ErrorClass::Server
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the service answered HTTP {}", self.http_status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        match (&self.message, self.catalogue_entry()) {
            (Some(message), _) => write!(f, ": {message}")?,
            (None, Some(entry)) => write!(f, ": {}", entry.meaning)?,
            (None, None) => {}
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A request could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// An identifier or parameter is invalid.
    #[error(transparent)]
    InvalidId(#[from] IdError),
    /// A parameter is out of its documented range.
    #[error("invalid {name} {value:?}: {reason}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: String,
        /// The documented constraint.
        reason: &'static str,
    },
    /// The endpoint and path do not form a valid URI.
    #[error("the request URI {0:?} is not valid")]
    InvalidUri(String),
}

/// How much of an unparseable body an error keeps.
pub const EXCERPT_LIMIT: usize = 512;

/// A response could not be turned into the operation's output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The service refused the request.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The body is not what the operation returns (not JSON, truncated, wrong shape).
    #[error("could not read the response (HTTP {http_status}): {reason}")]
    Malformed {
        /// The HTTP status of the response.
        http_status: u16,
        /// What did not parse.
        reason: String,
        /// The first bytes of the body (at most [`EXCERPT_LIMIT`]), lossily decoded.
        excerpt: String,
        /// The `X-Request-Id` header, if any.
        request_id: Option<String>,
    },
}

impl ResponseError {
    /// The API error, if the service refused.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            Self::Malformed { .. } => None,
        }
    }

    /// The request ID, from the body or the headers.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api(e) => e.request_id.as_deref(),
            Self::Malformed { request_id, .. } => request_id.as_deref(),
        }
    }

    /// The HTTP status of the response.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Api(e) => e.http_status,
            Self::Malformed { http_status, .. } => *http_status,
        }
    }
}

/// A capped, lossily decoded excerpt of a body, cut on a character boundary.
pub fn excerpt(body: &[u8]) -> String {
    let cut = &body[..body.len().min(EXCERPT_LIMIT)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if body.len() > EXCERPT_LIMIT {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: Option<&str>) -> ApiError {
        ApiError { http_status: status, code: code.map(str::to_owned), message: None, request_id: None }
    }

    #[test]
    fn classes_table() {
        let cases = [
            (429, Some("APIG.0308"), ErrorClass::Throttling),
            (429, Some("APIGW.0308"), ErrorClass::Throttling),
            (429, None, ErrorClass::Throttling),
            (401, Some("APIG.0301"), ErrorClass::Auth),
            (400, Some("ModelArts.2775"), ErrorClass::NotFound),
            (404, Some("APIG.0101"), ErrorClass::ApiAbsent),
            (404, Some("APIGW.0101"), ErrorClass::ApiAbsent),
            (409, Some("ModelArts.2796"), ErrorClass::Conflict),
            (400, Some("ModelArts.0105"), ErrorClass::Conflict),
            (200, Some("ModelArts.0105"), ErrorClass::Conflict),
            (503, None, ErrorClass::Server),
            (502, Some("APIG.0202"), ErrorClass::Server),
            (400, Some("ModelArts.9999"), ErrorClass::InvalidRequest),
            (403, None, ErrorClass::Permission),
            (404, None, ErrorClass::NotFound),
            (407, None, ErrorClass::Auth),
        ];
        for (status, code, class) in cases {
            assert_eq!(api(status, code).class(), class, "{status} {code:?}");
        }
        assert!(api(429, None).is_throttling());
        assert!(api(400, Some("ModelArts.2775")).is_not_found());
    }

    #[test]
    fn only_the_gateways_404_apig_0101_says_the_api_is_absent() {
        // (status, code, is_api_absent, is_not_found)
        let cases = [
            (404, Some("APIG.0101"), true, false),
            (404, Some("APIGW.0101"), true, false),
            (404, Some(" APIG.0101 "), true, false),
            (404, None, false, true),
            (404, Some("ModelArts.0015"), false, true),
            (400, Some("ModelArts.2775"), false, true),
            (404, Some("ModelArts.2786"), false, true),
            (400, Some("APIG.0101"), false, false),
            (404, Some("APIG.0102"), false, true),
            (500, Some("APIG.0103"), false, false),
        ];
        for (status, code, absent, not_found) in cases {
            let e = api(status, code);
            assert_eq!((e.is_api_absent(), e.is_not_found()), (absent, not_found), "{status} {code:?}");
        }
    }

    #[test]
    fn every_catalogue_code_is_unique_and_found() {
        for (i, entry) in ERROR_CODES.iter().enumerate() {
            assert_eq!(ErrorCode::lookup(entry.code), Some(entry));
            assert!(ERROR_CODES[i + 1..].iter().all(|e| e.code != entry.code), "{}", entry.code);
        }
    }

    #[test]
    fn display_names_code_message_and_request_id() {
        let e = ApiError {
            http_status: 429,
            code: Some("APIG.0308".into()),
            message: None,
            request_id: Some("req-1".into()),
        };
        assert_eq!(
            e.to_string(),
            "the service answered HTTP 429 APIG.0308: the throttling threshold has been reached (request id req-1)"
        );
    }

    #[test]
    fn excerpt_is_capped_on_a_char_boundary() {
        let body = "é".repeat(600);
        let e = excerpt(body.as_bytes());
        assert!(e.ends_with('…'));
        assert!(e.len() <= EXCERPT_LIMIT + 4);
        assert_eq!(excerpt(b"short"), "short");
    }
}
