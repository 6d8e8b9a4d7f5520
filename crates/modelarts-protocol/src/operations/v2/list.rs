//! The v2 job list: `POST /v2/{project_id}/training-job-searches` with a JSON body of `offset`,
//! `limit` (1..=50), `sort_by`, `order`, `group_by`, `workspace_id` and `filters`.
//!
//! A server may ignore a filter it does not know (the status filter's key is not documented in
//! every language version): check each returned job with [`Filter::matches`] before acting on it.
//! Walk every page with [`v2::Paginator`](crate::v2::Paginator).

use bytes::Bytes;
use http::{Method, Request, Response};
use serde::Serialize;

use super::json_request;
use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError};
use crate::ids::ProjectId;
use crate::operations::Operation;
use crate::operations::list_training_jobs::Order;
use crate::v2::pagination::MAX_LIMIT;
use crate::v2::{Phase, TrainingJob, TrainingJobList};

/// How a filter compares (`operator`).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FilterOperator {
    /// `between`: a range of two values.
    Between,
    /// `like`: the field contains the value.
    Like,
    /// `in`: the field equals one of the values.
    In,
    /// `not`: the field equals none of the values.
    Not,
}

/// One filter `{key, operator, value: [string]}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Filter {
    /// The field: `id`, `name` (documented), `phase` (the key this crate uses for the status
    /// filter; not documented in every language version).
    pub key: String,
    /// The comparison.
    pub operator: FilterOperator,
    /// The values.
    pub value: Vec<String>,
}

impl Filter {
    /// Jobs whose name contains `text`.
    pub fn name_like(text: impl Into<String>) -> Self {
        Self { key: "name".into(), operator: FilterOperator::Like, value: vec![text.into()] }
    }

    /// Jobs whose ID is one of `ids`.
    pub fn id_in<I: IntoIterator<Item = S>, S: Into<String>>(ids: I) -> Self {
        Self {
            key: "id".into(),
            operator: FilterOperator::In,
            value: ids.into_iter().map(Into::into).collect(),
        }
    }

    /// Jobs in one of `phases`.
    pub fn phase_in<'a>(phases: impl IntoIterator<Item = &'a Phase>) -> Self {
        Self {
            key: "phase".into(),
            operator: FilterOperator::In,
            value: phases.into_iter().map(|p| p.as_str().to_owned()).collect(),
        }
    }

    /// Whether `job` passes this filter, as checked on the client. A filter this client cannot
    /// evaluate (an unknown key, `between`) passes every job: it is the server's to apply.
    pub fn matches(&self, job: &TrainingJob) -> bool {
        let field = match self.key.as_str() {
            "id" => job.id_text(),
            "name" => job.name(),
            "phase" | "status" => job.phase().map(Phase::as_str),
            _ => return true,
        };
        let blanks = |c: char| c.is_ascii_whitespace();
        let equal = |v: &String| match self.key.as_str() {
            // IDs compare as the walk compares them: ASCII blanks trimmed, any case.
            "id" => {
                field.is_some_and(|f| f.trim_matches(blanks).eq_ignore_ascii_case(v.trim_matches(blanks)))
            }
            "phase" | "status" => field.is_some_and(|f| f.eq_ignore_ascii_case(v)),
            _ => field == Some(v.as_str()),
        };
        match self.operator {
            FilterOperator::Like => {
                let haystack = field.unwrap_or_default().to_lowercase();
                self.value.iter().all(|v| haystack.contains(&v.to_lowercase()))
            }
            FilterOperator::In => self.value.iter().any(equal),
            FilterOperator::Not => !self.value.iter().any(equal),
            FilterOperator::Between => true,
        }
    }
}

/// Input of the v2 list. `None` fields are left out of the body (the API's defaults apply:
/// offset 0, a server-chosen limit, `create_time`, descending).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListTrainingJobsV2 {
    /// The project.
    pub project_id: ProjectId,
    /// Where to start (see [`OffsetMode`](crate::v2::OffsetMode) for what it counts).
    pub offset: Option<u32>,
    /// Jobs per page, 1 to 50.
    pub limit: Option<u32>,
    /// Sort field, e.g. `create_time`.
    pub sort_by: Option<String>,
    /// Sort order.
    pub order: Option<Order>,
    /// Grouping.
    pub group_by: Option<String>,
    /// The workspace searched (sent only when set): `"0"`, the default workspace, when absent;
    /// jobs of other workspaces are not returned without it (list them with
    /// [`ListWorkspaces`](crate::operations::workspaces::ListWorkspaces)).
    pub workspace_id: Option<String>,
    /// Filters, all of which apply.
    pub filters: Vec<Filter>,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sort_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace_id: Option<&'a str>,
    #[serde(skip_serializing_if = "<[Filter]>::is_empty")]
    filters: &'a [Filter],
}

/// The longest `sort_by`, `group_by` or `workspace_id` accepted.
const MAX_TEXT: usize = 64;

impl ListTrainingJobsV2 {
    /// The first page with the API's defaults.
    pub fn new(project_id: ProjectId) -> Self {
        Self {
            project_id,
            offset: None,
            limit: None,
            sort_by: None,
            order: None,
            group_by: None,
            workspace_id: None,
            filters: Vec::new(),
        }
    }

    /// The same query at another offset (for a walk).
    pub fn at_offset(&self, offset: u32) -> Self {
        Self { offset: Some(offset), ..self.clone() }
    }

    /// Whether `job` passes every filter, as checked on the client.
    pub fn matches(&self, job: &TrainingJob) -> bool {
        self.filters.iter().all(|f| f.matches(job))
    }

    /// The JSON body.
    pub fn body(&self) -> Result<Vec<u8>, BuildError> {
        let invalid = |name, value: String, reason| BuildError::InvalidParameter { name, value, reason };
        if let Some(limit) = self.limit
            && !(1..=MAX_LIMIT).contains(&limit)
        {
            return Err(invalid("limit", limit.to_string(), "must be between 1 and 50"));
        }
        for (name, value) in
            [("sort_by", &self.sort_by), ("group_by", &self.group_by), ("workspace_id", &self.workspace_id)]
        {
            if let Some(v) = value
                && (v.is_empty() || v.chars().count() > MAX_TEXT)
            {
                return Err(invalid(name, v.clone(), "must be 1 to 64 characters"));
            }
        }
        for f in &self.filters {
            if f.key.is_empty() || f.key.chars().count() > MAX_TEXT {
                return Err(invalid("filters.key", f.key.clone(), "must be 1 to 64 characters"));
            }
            if f.operator == FilterOperator::Between && f.value.len() != 2 {
                return Err(invalid("filters.value", f.value.join(","), "between takes exactly two values"));
            }
        }
        let body = Body {
            offset: self.offset,
            limit: self.limit,
            sort_by: self.sort_by.as_deref(),
            order: self.order.map(|o| if o == Order::Asc { "asc" } else { "desc" }),
            group_by: self.group_by.as_deref(),
            workspace_id: self.workspace_id.as_deref(),
            filters: &self.filters,
        };
        // Integers, strings and plain enums always serialise.
        Ok(serde_json::to_vec(&body).unwrap_or_default())
    }
}

impl Operation for ListTrainingJobsV2 {
    type Output = TrainingJobList;
    const NAME: &'static str = "v2_list_training_jobs";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        let body = self.body()?;
        let path = format!("/v2/{}/training-job-searches", self.project_id);
        json_request(Method::POST, endpoint, &self.project_id, &path, Bytes::from(body))
    }

    fn parse_response(response: Response<Bytes>) -> Result<TrainingJobList, ResponseError> {
        super::parse_object(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_is_sent_only_when_set() {
        let project: ProjectId = "0123456789abcdef0123456789abcdef".parse().unwrap();
        let body = |workspace: Option<&str>| {
            let op = ListTrainingJobsV2 {
                workspace_id: workspace.map(str::to_owned),
                ..ListTrainingJobsV2::new(project.clone())
            };
            op.body().map(|b| String::from_utf8(b).unwrap())
        };
        assert_eq!(body(None).unwrap(), "{}");
        assert_eq!(body(Some("0")).unwrap(), r#"{"workspace_id":"0"}"#);
        assert_eq!(
            body(Some("1c5f1e1f6b4a4c61a0e6f6ad1d6e4c33")).unwrap(),
            r#"{"workspace_id":"1c5f1e1f6b4a4c61a0e6f6ad1d6e4c33"}"#
        );
        assert!(matches!(body(Some("")), Err(BuildError::InvalidParameter { name: "workspace_id", .. })));
    }
}
