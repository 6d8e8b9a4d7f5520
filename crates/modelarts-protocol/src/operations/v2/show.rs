//! Show a v2 training job: `GET /v2/{project_id}/training-jobs/{training_job_id}`; 200 with the job.

use bytes::Bytes;
use http::{Method, Request, Response};

use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError};
use crate::ids::ProjectId;
use crate::operations::{Operation, request};
use crate::v2::{TrainingJob, TrainingJobId};

/// Input of the show.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShowTrainingJob {
    /// The project.
    pub project_id: ProjectId,
    /// The job.
    pub training_job_id: TrainingJobId,
}

impl ShowTrainingJob {
    /// Shows `training_job_id`.
    pub fn new(project_id: ProjectId, training_job_id: TrainingJobId) -> Self {
        Self { project_id, training_job_id }
    }
}

impl Operation for ShowTrainingJob {
    type Output = TrainingJob;
    const NAME: &'static str = "v2_show_training_job";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        let path = format!("/v2/{}/training-jobs/{}", self.project_id, self.training_job_id);
        request(Method::GET, endpoint, &self.project_id, &path, "")
    }

    fn parse_response(response: Response<Bytes>) -> Result<TrainingJob, ResponseError> {
        super::parse_object(response)
    }
}
