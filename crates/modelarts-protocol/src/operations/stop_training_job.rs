//! Stop a training-job version: `POST /v1/{project_id}/training-jobs/{job_id}/versions/{version_id}/stop`.
//!
//! The call only starts the stop; the version goes to KILLING, then KILLED. Read its status with
//! [`show_training_job_version`](super::show_training_job_version) to see the stop through.

use bytes::Bytes;
use http::{Method, Request, Response};

use super::{Operation, parse_json, request};
use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError};
use crate::ids::{JobId, ProjectId, VersionId};
use crate::model::StopAccepted;

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
        let path = format!(
            "/v1/{}/training-jobs/{}/versions/{}/stop",
            self.project_id, self.job_id, self.version_id
        );
        request(Method::POST, endpoint, &self.project_id, &path, "")
    }

    fn parse_response(response: Response<Bytes>) -> Result<StopAccepted, ResponseError> {
        parse_json(response)
    }
}
