//! Versions of a training job: `GET /v1/{project_id}/training-jobs/{job_id}/versions`.

use bytes::Bytes;
use http::{Method, Request, Response};

use super::{Operation, parse_json, push_query, request};
use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError};
use crate::ids::{JobId, ProjectId};
use crate::v1::model::VersionList;

/// Input of "list versions". Without `page`, the API returns every version (its default page 0
/// means "no paging"); with it, `per_page` (1 to 1000) versions of that page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListTrainingJobVersions {
    /// The project.
    pub project_id: ProjectId,
    /// The job.
    pub job_id: JobId,
    /// Versions per page, 1 to 1000.
    pub per_page: Option<u32>,
    /// Page number, from 1; `None` or 0 for no paging.
    pub page: Option<u32>,
}

impl ListTrainingJobVersions {
    /// Lists every version of `job_id`.
    pub fn new(project_id: ProjectId, job_id: JobId) -> Self {
        Self { project_id, job_id, per_page: None, page: None }
    }
}

impl Operation for ListTrainingJobVersions {
    type Output = VersionList;
    const NAME: &'static str = "list_training_job_versions";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        let mut query = String::new();
        if let Some(page) = self.page {
            push_query(&mut query, "page", &page.to_string());
        }
        if let Some(per_page) = self.per_page {
            if !(1..=1000).contains(&per_page) {
                return Err(BuildError::InvalidParameter {
                    name: "per_page",
                    value: per_page.to_string(),
                    reason: "must be between 1 and 1000",
                });
            }
            push_query(&mut query, "per_page", &per_page.to_string());
        }
        let path = format!("/v1/{}/training-jobs/{}/versions", self.project_id, self.job_id);
        request(Method::GET, endpoint, &self.project_id, &path, &query)
    }

    fn parse_response(response: Response<Bytes>) -> Result<VersionList, ResponseError> {
        parse_json(response)
    }
}
