//! Details of a training-job version: `GET /v1/{project_id}/training-jobs/{job_id}/versions/{version_id}`.

use bytes::Bytes;
use http::{Method, Request, Response};

use super::{Operation, parse_json, request};
use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError};
use crate::ids::{JobId, ProjectId, VersionId};
use crate::v1::model::VersionDetail;

/// Input of "show version".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShowTrainingJobVersion {
    /// The project.
    pub project_id: ProjectId,
    /// The job.
    pub job_id: JobId,
    /// The version.
    pub version_id: VersionId,
}

impl ShowTrainingJobVersion {
    /// Shows `version_id` of `job_id`.
    pub fn new(project_id: ProjectId, job_id: JobId, version_id: VersionId) -> Self {
        Self { project_id, job_id, version_id }
    }
}

impl Operation for ShowTrainingJobVersion {
    type Output = VersionDetail;
    const NAME: &'static str = "show_training_job_version";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        let path =
            format!("/v1/{}/training-jobs/{}/versions/{}", self.project_id, self.job_id, self.version_id);
        request(Method::GET, endpoint, &self.project_id, &path, "")
    }

    fn parse_response(response: Response<Bytes>) -> Result<VersionDetail, ResponseError> {
        parse_json(response)
    }
}
