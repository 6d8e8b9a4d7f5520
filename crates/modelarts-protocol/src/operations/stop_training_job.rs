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
    /// accepted stop.
    fn parse_response(response: Response<Bytes>) -> Result<StopAccepted, ResponseError> {
        let missing = malformed(&response, "the answer to the stop has no `is_success: true`");
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
