//! The job list: `GET /v1/{project_id}/training-jobs`, with filters, paging and sorting.

use bytes::Bytes;
use http::{Method, Request, Response};

use super::{Operation, parse_json, push_query, request};
use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError};
use crate::ids::ProjectId;
use crate::v1::model::JobList;
use crate::v1::status::JobStatus;

/// The fields the list can be sorted by (`sortBy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SortBy {
    /// `job_name` (the API's default).
    JobName,
    /// `job_desc`
    JobDesc,
    /// `status`
    Status,
    /// `duration`
    Duration,
    /// `version_count`
    VersionCount,
    /// `create_time`
    CreateTime,
}

impl SortBy {
    /// The API's value.
    pub fn as_str(self) -> &'static str {
        match self {
            SortBy::JobName => "job_name",
            SortBy::JobDesc => "job_desc",
            SortBy::Status => "status",
            SortBy::Duration => "duration",
            SortBy::VersionCount => "version_count",
            SortBy::CreateTime => "create_time",
        }
    }

    /// Parses the API's value.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            SortBy::JobName,
            SortBy::JobDesc,
            SortBy::Status,
            SortBy::Duration,
            SortBy::VersionCount,
            SortBy::CreateTime,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// Sort order.
///
/// Exhaustive on purpose: a sort order is ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Order {
    /// Ascending (the API's default).
    Asc,
    /// Descending.
    Desc,
}

/// The filters, paging and sorting of the job list: every field is optional, and the API's
/// defaults apply when absent. The one query type of the list: [`ListTrainingJobs`] adds the
/// project, and the SDK takes it as is (the client supplies the project).
///
/// New fields may be added: start from [`ListQuery::default()`] and change what you need with the
/// `with_*` setters.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ListQuery {
    /// Only jobs whose latest version has this status.
    pub status: Option<JobStatus>,
    /// Jobs per page, 1 to 1000 (API default 10).
    pub per_page: Option<u32>,
    /// Page, 1 to 65535 (API default 1).
    pub page: Option<u32>,
    /// Sort field (API default `job_name`).
    pub sort_by: Option<SortBy>,
    /// Sort order (API default ascending).
    pub order: Option<Order>,
    /// Text the job name contains, up to 64 characters (sent as `search_content`).
    pub search: Option<String>,
    /// Workspace (API default `"0"`).
    pub workspace_id: Option<String>,
}

impl ListQuery {
    /// Sets [`status`](Self::status).
    #[must_use]
    pub fn with_status(mut self, status: JobStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets [`per_page`](Self::per_page).
    #[must_use]
    pub fn with_per_page(mut self, per_page: u32) -> Self {
        self.per_page = Some(per_page);
        self
    }

    /// Sets [`page`](Self::page).
    #[must_use]
    pub fn with_page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Sets [`sort_by`](Self::sort_by).
    #[must_use]
    pub fn with_sort_by(mut self, sort_by: SortBy) -> Self {
        self.sort_by = Some(sort_by);
        self
    }

    /// Sets [`order`](Self::order).
    #[must_use]
    pub fn with_order(mut self, order: Order) -> Self {
        self.order = Some(order);
        self
    }

    /// Sets [`search`](Self::search).
    #[must_use]
    pub fn with_search(mut self, search: impl Into<String>) -> Self {
        self.search = Some(search.into());
        self
    }

    /// Sets [`workspace_id`](Self::workspace_id).
    #[must_use]
    pub fn with_workspace_id(mut self, workspace_id: impl Into<String>) -> Self {
        self.workspace_id = Some(workspace_id.into());
        self
    }
}

/// Input of "list jobs": a project and a [`ListQuery`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListTrainingJobs {
    /// The project.
    pub project_id: ProjectId,
    /// Filters, paging and sorting.
    pub query: ListQuery,
}

impl ListTrainingJobs {
    /// The first page with the API's defaults.
    pub fn new(project_id: ProjectId) -> Self {
        Self { project_id, query: ListQuery::default() }
    }

    /// The page `query` asks for in `project_id`.
    pub fn with_query(project_id: ProjectId, query: ListQuery) -> Self {
        Self { project_id, query }
    }
}

/// The largest page number the API accepts.
pub const MAX_PAGE: u32 = 65_535;
/// The largest page size the API accepts.
pub const MAX_PER_PAGE: u32 = 1_000;

impl Operation for ListTrainingJobs {
    type Output = JobList;
    const NAME: &'static str = "list_training_jobs";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        let invalid = |name, value: String, reason| BuildError::InvalidParameter { name, value, reason };
        // Keys in canonical (sorted) order, so that the wire query is the signed one.
        let input = &self.query;
        let mut query = String::new();
        if let Some(order) = input.order {
            push_query(&mut query, "order", if order == Order::Asc { "asc" } else { "desc" });
        }
        if let Some(page) = input.page {
            if !(1..=MAX_PAGE).contains(&page) {
                return Err(invalid("page", page.to_string(), "must be between 1 and 65535"));
            }
            push_query(&mut query, "page", &page.to_string());
        }
        if let Some(per_page) = input.per_page {
            if !(1..=MAX_PER_PAGE).contains(&per_page) {
                return Err(invalid("per_page", per_page.to_string(), "must be between 1 and 1000"));
            }
            push_query(&mut query, "per_page", &per_page.to_string());
        }
        if let Some(search) = &input.search {
            if search.chars().count() > 64 {
                return Err(invalid("search_content", search.clone(), "must be at most 64 characters"));
            }
            push_query(&mut query, "search_content", search);
        }
        if let Some(sort_by) = input.sort_by {
            push_query(&mut query, "sortBy", sort_by.as_str());
        }
        if let Some(status) = input.status {
            push_query(&mut query, "status", &status.code().to_string());
        }
        if let Some(workspace) = &input.workspace_id {
            push_query(&mut query, "workspace_id", workspace);
        }
        let path = format!("/v1/{}/training-jobs", self.project_id);
        request(Method::GET, endpoint, &self.project_id, &path, &query)
    }

    fn parse_response(response: Response<Bytes>) -> Result<JobList, ResponseError> {
        parse_json(response)
    }
}
