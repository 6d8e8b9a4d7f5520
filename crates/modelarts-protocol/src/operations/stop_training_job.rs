//! Stop a training-job version: `POST /v1/{project_id}/training-jobs/{job_id}/versions/{version_id}/stop`.
//!
//! The call only starts the stop; the version goes to KILLING, then KILLED. Read its status with
//! [`show_training_job_version`](super::show_training_job_version) to see the stop through.

use bytes::Bytes;
use http::{Method, Request, Response};

use super::{Operation, malformed, parse_json, request_of};
use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError};
use crate::ids::{JobId, ProjectId, VersionId};
use crate::v1::model::StopAccepted;

/// Input of the stop.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StopTrainingJob {
    /// The project.
    pub project_id: ProjectId,
    /// The job.
    pub job_id: JobId,
    /// The version to stop.
    pub version_id: VersionId,
}

impl StopTrainingJob {
    /// Stops `version_id` of `job_id`.
    pub fn new(project_id: ProjectId, job_id: JobId, version_id: VersionId) -> Self {
        Self { project_id, job_id, version_id }
    }
}

impl Operation for StopTrainingJob {
    type Output = StopAccepted;
    const NAME: &'static str = "stop_training_job";
    const IDEMPOTENT: bool = false;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        // Written straight into the URI's buffer: no `format!`, no intermediate path.
        let (mut job, mut version) = (itoa::Buffer::new(), itoa::Buffer::new());
        let path = [
            "/v1/",
            self.project_id.as_str(),
            "/training-jobs/",
            job.format(self.job_id.get()),
            "/versions/",
            version.format(self.version_id.get()),
            "/stop",
        ];
        request_of(Method::POST, endpoint, &self.project_id, &path, "")
    }

    /// `is_success: true` is required: `{}`, `[]` or an answer without it are malformed, never an
    /// accepted stop. A success status with `is_success: false` and no `error_code` is malformed
    /// too (neither accepted nor refused), so the stop machine reads the status before deciding,
    /// as for `{}`; with an `error_code` it is the service's refusal.
    fn parse_response(response: Response<Bytes>) -> Result<StopAccepted, ResponseError> {
        let missing = malformed(&response, "the answer to the stop has no `is_success: true`");
        if response.status().is_success()
            && let Ok(answer) = serde_json::from_slice::<StopAnswer>(response.body())
            && answer.is_success == Some(false)
            && answer.error_code.is_none()
        {
            return Err(malformed(
                &response,
                "the answer to the stop says `is_success: false` without an error code: neither accepted nor refused",
            ));
        }
        let body: StopAnswer = parse_json(response)?;
        match body.is_success {
            Some(true) => Ok(StopAccepted {}),
            // `false` was already turned into the service's error by `parse_json`.
            _ => Err(missing),
        }
    }
}

/// The body of a stop's answer; `is_success` is what says it was accepted.
#[derive(serde::Deserialize)]
struct StopAnswer {
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    is_success: Option<bool>,
    #[serde(default, deserialize_with = "crate::lenient::opt_string")]
    error_code: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only `is_success: true` is an accepted stop; any other success answer is malformed (the
    /// status decides), and an `error_code` is the service's refusal.
    #[test]
    fn a_success_answer_counts_only_when_it_says_so() {
        // (HTTP status, body, reading)
        let cases = [
            (200, r#"{"is_success":true}"#, "accepted"),
            (200, r#"{"is_success":"true","job_id":10}"#, "accepted"),
            (200, "{}", "malformed"),
            (202, "{}", "malformed"),
            (200, "[]", "malformed"),
            (200, r#"{"is_success":null}"#, "malformed"),
            (200, r#"{"is_success":false}"#, "malformed"),
            (200, r#"{"is_success":"false","error_msg":"no code"}"#, "malformed"),
            (200, r#"{"is_success":false,"error_code":null}"#, "malformed"),
            (200, r#"{"is_success":false,"error_code":"ModelArts.0105"}"#, "refused"),
            (200, r#"{"error_code":"ModelArts.0105"}"#, "refused"),
            (400, r#"{"is_success":false}"#, "refused"),
        ];
        for (status, body, reading) in cases {
            let mut response = Response::new(Bytes::from(body));
            *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
            let got = match StopTrainingJob::parse_response(response) {
                Ok(_) => "accepted",
                Err(ResponseError::Malformed { .. }) => "malformed",
                Err(ResponseError::Api(_)) => "refused",
            };
            assert_eq!(got, reading, "{status} {body}");
        }
    }

    #[test]
    fn the_path_is_written_without_format_for_any_id() {
        let endpoint = Endpoint::from_url("https://h.example:8443/base").unwrap();
        let project: ProjectId = "0123456789abcdef0123456789abcdef".parse().unwrap();
        for (job, version) in [(1u64, 1u64), (10, 11), (i64::MAX as u64, 9_876_543_210)] {
            let op = StopTrainingJob::new(
                project.clone(),
                JobId::new(job).unwrap(),
                VersionId::new(version).unwrap(),
            );
            let request = op.build_request(&endpoint).unwrap();
            assert_eq!(
                request.uri().to_string(),
                format!(
                    "https://h.example:8443/base/v1/{project}/training-jobs/{job}/versions/{version}/stop"
                )
            );
            assert_eq!(request.method(), Method::POST);
            assert_eq!(request.headers()["x-project-id"], project.as_str());
        }
    }
}
