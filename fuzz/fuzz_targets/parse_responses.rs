//! Any status, headers and body through every operation's `parse_response`: never panics, and a
//! non-2xx status always becomes the service's refusal carrying that status.
#![no_main]

use arbitrary::Arbitrary;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use libfuzzer_sys::fuzz_target;
use modelarts_protocol::ResponseError;
use modelarts_protocol::operations::list_training_job_versions::ListTrainingJobVersions;
use modelarts_protocol::operations::list_training_jobs::ListTrainingJobs;
use modelarts_protocol::operations::show_training_job_version::ShowTrainingJobVersion;
use modelarts_protocol::operations::stop_training_job::StopTrainingJob;
use modelarts_protocol::operations::{Operation, parse_error};

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    status: u16,
    request_id: Option<&'a [u8]>,
    content_type: Option<&'a [u8]>,
    body: &'a [u8],
}

fn response(input: &Input<'_>, status: StatusCode) -> Response<Bytes> {
    let mut response = Response::new(Bytes::copy_from_slice(input.body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Some(value) = input.request_id.and_then(|v| HeaderValue::from_bytes(v).ok()) {
        headers.insert("x-request-id", value);
    }
    if let Some(value) = input.content_type.and_then(|v| HeaderValue::from_bytes(v).ok()) {
        headers.insert(http::header::CONTENT_TYPE, value);
    }
    response
}

fn check<T>(status: StatusCode, result: Result<T, ResponseError>) {
    if let Err(e) = &result {
        let _ = e.to_string();
        let _ = e.request_id();
        assert_eq!(e.http_status(), status.as_u16());
        if let ResponseError::Malformed { excerpt, .. } = e {
            // At most EXCERPT_LIMIT bytes, each decoded to at most 3 bytes (U+FFFD), plus the ellipsis.
            assert!(excerpt.len() <= modelarts_protocol::error::EXCERPT_LIMIT * 3 + 3);
        }
    }
    if !status.is_success() {
        assert!(
            matches!(&result, Err(ResponseError::Api(a)) if a.http_status() == status.as_u16()),
            "a {status} answer must be the service's refusal"
        );
    }
}

fuzz_target!(|input: Input<'_>| {
    // http only represents 100..=999; map the fuzzer's u16 onto that range.
    let Ok(status) = StatusCode::from_u16(100 + input.status % 900) else {
        return;
    };
    check(status, StopTrainingJob::parse_response(response(&input, status)));
    check(status, ShowTrainingJobVersion::parse_response(response(&input, status)));
    check(status, ListTrainingJobs::parse_response(response(&input, status)));
    check(status, ListTrainingJobVersions::parse_response(response(&input, status)));
    let error = parse_error(&response(&input, status));
    assert_eq!(error.http_status(), status.as_u16());
    let _ = (error.to_string(), error.class(), error.is_throttling());
});
