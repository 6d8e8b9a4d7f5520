//! Terminate a v2 training job: `POST /v2/{project_id}/training-jobs/{training_job_id}/actions` with
//! `{"action_type": "terminate"}`; 202 with the job object.
//!
//! The call only starts the stop; the job goes `Terminating`, then `Terminated`. A job that cannot
//! be terminated in its phase is refused (409 `ModelArts.2796`): read its phase to decide.
//!
//! A success answer counts as the terminate accepted only when its body is our job: `metadata.id`
//! equal to the job's ID, both normalized ([`TrainingJobId::new`]). Any other body (`{}`, a job
//! without an ID, another job) is [`ResponseError::Malformed`] from
//! [`read_response`](Operation::read_response): for the stop machine an unreadable answer to a
//! non-idempotent call, so the job's phase is read before anything is decided, exactly as for a v1
//! stop answered `200 {}`.

use bytes::Bytes;
use http::{Method, Request, Response};

use super::json_request;
use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError, excerpt};
use crate::ids::ProjectId;
use crate::operations::Operation;
use crate::operations::request_id;
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

    /// [`parse_response`](Self::parse_response), and the job answered must be this one.
    fn read_response(&self, response: Response<Bytes>) -> Result<TrainingJob, ResponseError> {
        let status = response.status().as_u16();
        let (kept_excerpt, kept_request_id) = (excerpt(response.body()), request_id(response.headers()));
        let job = Self::parse_response(response)?;
        let reason = match job.id() {
            Some(id) if id == self.training_job_id => return Ok(job),
            Some(id) => {
                format!("the terminate was answered with another job ({id}), not {}", self.training_job_id)
            }
            None => format!(
                "the terminate answer names no job (no UUID metadata.id), not {}",
                self.training_job_id
            ),
        };
        Err(ResponseError::Malformed {
            http_status: status,
            reason,
            excerpt: kept_excerpt,
            request_id: kept_request_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";

    fn answer(status: u16, body: &str) -> Response<Bytes> {
        Response::builder()
            .status(status)
            .header("x-request-id", "r-1")
            .body(Bytes::from(body.to_owned()))
            .unwrap()
    }

    #[test]
    fn only_an_answer_naming_our_job_is_accepted() {
        let op = TerminateTrainingJob::new(
            "0123456789abcdef0123456789abcdef".parse().unwrap(),
            OURS.parse().unwrap(),
        );
        let job = |id: &str| format!(r#"{{"metadata":{{"id":"{id}"}},"status":{{"phase":"Terminating"}}}}"#);
        // (status, body, accepted, reason contains)
        let cases = [
            (202, job(OURS), true, ""),
            (202, job(&OURS.to_uppercase()), true, ""),
            (200, job(&format!(" {OURS}\\n")), true, ""),
            (202, "{}".to_owned(), false, "names no job"),
            (202, r#"{"metadata":null}"#.to_owned(), false, "names no job"),
            (202, job("12345"), false, "names no job"),
            (202, job(""), false, "names no job"),
            (
                202,
                job("00000000-0000-4000-8000-000000000001"),
                false,
                "another job (00000000-0000-4000-8000-000000000001)",
            ),
            (202, "[]".to_owned(), false, "not a JSON object"),
        ];
        for (status, body, accepted, reason) in cases {
            match op.read_response(answer(status, &body)) {
                Ok(read) => {
                    assert!(accepted, "{body}: accepted");
                    assert_eq!(read.id().unwrap().as_str(), OURS);
                }
                Err(ResponseError::Malformed { http_status, reason: why, excerpt, request_id }) => {
                    assert!(!accepted, "{body}: refused: {why}");
                    assert!(why.contains(reason), "{body}: {why}");
                    assert_eq!(
                        (http_status, excerpt.as_str(), request_id.as_deref()),
                        (status, body.as_str(), Some("r-1"))
                    );
                }
                Err(other) => panic!("{body}: {other:?}"),
            }
        }
        // Without the input (`parse_response`), any job object reads.
        assert!(TerminateTrainingJob::parse_response(answer(202, "{}")).is_ok());
        // A refusal stays a refusal.
        let refused = op.read_response(answer(409, r#"{"error_code":"ModelArts.2796","error_msg":"no"}"#));
        assert!(matches!(refused, Err(ResponseError::Api(_))), "{refused:?}");
    }
}
