//! The v2 operations (current API, UUID job IDs): [`terminate`], [`show`] and [`list`].
//!
//! ```
//! use modelarts_protocol::operations::Operation;
//! use modelarts_protocol::operations::v2::terminate::TerminateTrainingJob;
//! use modelarts_protocol::Endpoint;
//!
//! let op = TerminateTrainingJob::new(
//!     "0123456789abcdef0123456789abcdef".parse().unwrap(),
//!     "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab".parse().unwrap(),
//! );
//! let request = op.build_request(&Endpoint::for_region("cn-north-4").unwrap()).unwrap();
//! assert_eq!(request.method(), "POST");
//! assert_eq!(request.body().as_ref(), br#"{"action_type": "terminate"}"#);
//!
//! let answer = http::Response::builder()
//!     .status(202)
//!     .body(bytes::Bytes::from_static(br#"{"metadata":{"id":"3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab"},"status":{"phase":"Terminating"}}"#))
//!     .unwrap();
//! let job = TerminateTrainingJob::parse_response(answer).unwrap();
//! assert!(job.phase().unwrap().is_stopping());
//! ```

pub mod list;
pub mod logs;
pub mod show;
pub mod terminate;

use bytes::Bytes;
use http::{HeaderValue, Method, Request};

use http::Response;
use serde::de::DeserializeOwned;

use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError, excerpt};
use crate::ids::ProjectId;
use crate::operations::{parse_json, request_id};

/// The `Content-Type` the official SDK sends with a v2 JSON body (part of the signature).
pub const JSON_CONTENT_TYPE: &str = "application/json;charset=utf-8";

/// A v2 request with a JSON body, with the official SDK's `Content-Type`.
fn json_request(
    method: Method,
    endpoint: &Endpoint,
    project_id: &ProjectId,
    path: &str,
    body: Bytes,
) -> Result<Request<Bytes>, BuildError> {
    let mut request = super::request(method, endpoint, project_id, path, "")?;
    request.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    *request.body_mut() = body;
    Ok(request)
}

/// Parses a v2 answer: an error status or body is an [`ApiError`](crate::ApiError); a success must
/// be a JSON object (serde would otherwise read an array positionally into the job's fields).
fn parse_object<T: DeserializeOwned>(response: Response<Bytes>) -> Result<T, ResponseError> {
    let first = response.body().iter().find(|b| !b.is_ascii_whitespace()).copied();
    if response.status().is_success() && first.is_some_and(|b| b != b'{') {
        return Err(ResponseError::Malformed {
            http_status: response.status().as_u16(),
            reason: "the body is not a JSON object".into(),
            excerpt: excerpt(response.body()),
            request_id: request_id(response.headers()),
        });
    }
    parse_json(response)
}
