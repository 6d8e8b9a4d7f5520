//! Terminate a v2 training job: `POST /v2/{project_id}/training-jobs/{training_job_id}/actions` with
//! `{"action_type": "terminate"}`; 202 with the job object.
//!
//! The call only starts the stop; the job goes `Terminating`, then `Terminated`. A job that cannot
//! be terminated in its phase is refused (409 `ModelArts.2796`): read its phase to decide.

use bytes::Bytes;
use http::{Method, Request, Response};

use super::json_request;
use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError};
use crate::ids::ProjectId;
use crate::operations::Operation;
use crate::v2::{TrainingJob, TrainingJobId};

/// The body, byte for byte as the official Python SDK serialises `JobActionType(action_type="terminate")`.
pub const TERMINATE_BODY: &[u8] = br#"{"action_type": "terminate"}"#;

/// Input of the terminate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TerminateTrainingJob {
    /// The project.
    pub project_id: ProjectId,
    /// The job.
    pub training_job_id: TrainingJobId,
}

impl TerminateTrainingJob {
    /// Terminates `training_job_id`.
    pub fn new(project_id: ProjectId, training_job_id: TrainingJobId) -> Self {
        Self { project_id, training_job_id }
    }
}

impl Operation for TerminateTrainingJob {
    type Output = TrainingJob;
    const NAME: &'static str = "v2_terminate_training_job";
    const IDEMPOTENT: bool = false;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        let path = format!("/v2/{}/training-jobs/{}/actions", self.project_id, self.training_job_id);
        json_request(Method::POST, endpoint, &self.project_id, &path, Bytes::from_static(TERMINATE_BODY))
    }

    fn parse_response(response: Response<Bytes>) -> Result<TrainingJob, ResponseError> {
        super::parse_object(response)
    }
}
