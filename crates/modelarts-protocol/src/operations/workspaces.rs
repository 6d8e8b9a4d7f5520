//! The workspace list: `GET /v1/{project_id}/workspaces` (ModelArts workspace management,
//! "Querying a Workspace List", `ListWorkspace` in the official SDKs), query `offset` (the page,
//! from 0), `limit` (default 1000), `sort_by` (`name`, `update_time`, `status`), `order`,
//! `enterprise_project_id`, `name` (a fuzzy match) and `filter_accessible`. Answer:
//! [`WorkspaceList`]. Walk every page with [`WorkspaceWalk`](crate::workspace::WorkspaceWalk).
//!
//! ```
//! use modelarts_protocol::operations::Operation;
//! use modelarts_protocol::operations::workspaces::ListWorkspaces;
//! use modelarts_protocol::Endpoint;
//!
//! let op = ListWorkspaces { offset: Some(1), limit: Some(50), ..ListWorkspaces::new("0123456789abcdef0123456789abcdef".parse().unwrap()) };
//! let request = op.build_request(&Endpoint::for_region("cn-north-4").unwrap()).unwrap();
//! assert_eq!(request.method(), "GET");
//! assert_eq!(request.uri().path(), "/v1/0123456789abcdef0123456789abcdef/workspaces");
//! assert_eq!(request.uri().query(), Some("limit=50&offset=1"));
//! ```

use bytes::Bytes;
use http::{Method, Request, Response};

use super::{parse_json, push_query, request};
use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError};
use crate::ids::ProjectId;
use crate::operations::Operation;
use crate::operations::list_training_jobs::Order;
use crate::workspace::WorkspaceList;

/// The largest page the workspace list accepts (its documented default).
pub const MAX_WORKSPACE_LIMIT: u32 = 1000;

/// The longest `sort_by`, `name` or `enterprise_project_id` accepted.
const MAX_TEXT: usize = 64;

/// Input of the workspace list. `None` fields are left out of the query (the API's defaults apply:
/// page 0, 1000 a page, by name, descending, every workspace).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListWorkspaces {
    /// The project.
    pub project_id: ProjectId,
    /// The page, from 0.
    pub offset: Option<u32>,
    /// Workspaces per page, 1 to 1000.
    pub limit: Option<u32>,
    /// Sort field: `name` (default), `update_time` or `status`.
    pub sort_by: Option<String>,
    /// Sort order (descending by default).
    pub order: Option<Order>,
    /// Only the workspaces of this enterprise project.
    pub enterprise_project_id: Option<String>,
    /// Only the workspaces whose name matches this (fuzzy).
    pub name: Option<String>,
    /// Leave out the workspaces the caller may not use.
    pub filter_accessible: Option<bool>,
}

impl ListWorkspaces {
    /// The first page with the API's defaults.
    pub fn new(project_id: ProjectId) -> Self {
        Self {
            project_id,
            offset: None,
            limit: None,
            sort_by: None,
            order: None,
            enterprise_project_id: None,
            name: None,
            filter_accessible: None,
        }
    }

    /// The same query at another page (for a walk).
    pub fn at_offset(&self, offset: u32) -> Self {
        Self { offset: Some(offset), ..self.clone() }
    }
}

impl Operation for ListWorkspaces {
    type Output = WorkspaceList;
    const NAME: &'static str = "list_workspaces";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        let invalid = |name, value: String, reason| BuildError::InvalidParameter { name, value, reason };
        for (name, value) in [
            ("enterprise_project_id", &self.enterprise_project_id),
            ("name", &self.name),
            ("sort_by", &self.sort_by),
        ] {
            if let Some(v) = value
                && (v.is_empty() || v.chars().count() > MAX_TEXT)
            {
                return Err(invalid(name, v.clone(), "must be 1 to 64 characters"));
            }
        }
        if let Some(limit) = self.limit
            && !(1..=MAX_WORKSPACE_LIMIT).contains(&limit)
        {
            return Err(invalid("limit", limit.to_string(), "must be between 1 and 1000"));
        }
        // Keys in canonical (sorted) order, so that the wire query is the signed one.
        let mut query = String::new();
        if let Some(v) = &self.enterprise_project_id {
            push_query(&mut query, "enterprise_project_id", v);
        }
        if let Some(v) = self.filter_accessible {
            push_query(&mut query, "filter_accessible", if v { "true" } else { "false" });
        }
        if let Some(v) = self.limit {
            push_query(&mut query, "limit", &v.to_string());
        }
        if let Some(v) = &self.name {
            push_query(&mut query, "name", v);
        }
        if let Some(v) = self.offset {
            push_query(&mut query, "offset", &v.to_string());
        }
        if let Some(v) = self.order {
            push_query(&mut query, "order", if v == Order::Asc { "asc" } else { "desc" });
        }
        if let Some(v) = &self.sort_by {
            push_query(&mut query, "sort_by", v);
        }
        let path = format!("/v1/{}/workspaces", self.project_id);
        request(Method::GET, endpoint, &self.project_id, &path, &query)
    }

    fn parse_response(response: Response<Bytes>) -> Result<WorkspaceList, ResponseError> {
        parse_json(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op() -> ListWorkspaces {
        ListWorkspaces::new("0123456789abcdef0123456789abcdef".parse().unwrap())
    }

    fn query(op: &ListWorkspaces) -> Result<String, BuildError> {
        let endpoint = Endpoint::for_region("cn-north-4").unwrap();
        op.build_request(&endpoint).map(|r| r.uri().query().unwrap_or("").to_owned())
    }

    #[test]
    fn the_query_is_canonical_and_sent_only_when_set() {
        assert_eq!(query(&op()).unwrap(), "");
        let full = ListWorkspaces {
            offset: Some(2),
            limit: Some(1000),
            sort_by: Some("update_time".into()),
            order: Some(Order::Asc),
            enterprise_project_id: Some("0".into()),
            name: Some("team a".into()),
            filter_accessible: Some(true),
            ..op()
        };
        assert_eq!(
            query(&full).unwrap(),
            "enterprise_project_id=0&filter_accessible=true&limit=1000&name=team%20a&offset=2&order=asc&sort_by=update_time"
        );
        assert_eq!(query(&full.at_offset(3)).unwrap().matches("offset=3").count(), 1);
    }

    #[test]
    fn out_of_range_input_is_refused() {
        for bad in [
            ListWorkspaces { limit: Some(0), ..op() },
            ListWorkspaces { limit: Some(1001), ..op() },
            ListWorkspaces { name: Some(String::new()), ..op() },
            ListWorkspaces { sort_by: Some("x".repeat(65)), ..op() },
        ] {
            assert!(matches!(query(&bad), Err(BuildError::InvalidParameter { .. })), "{bad:?}");
        }
    }

    #[test]
    fn answers_and_refusals() {
        let answer = |status: u16, body: &'static str| {
            Response::builder().status(status).body(Bytes::from_static(body.as_bytes())).unwrap()
        };
        let list = ListWorkspaces::parse_response(answer(
            200,
            r#"{"total_count":1,"count":1,"workspaces":[{"id":"0","name":"default"}]}"#,
        ))
        .unwrap();
        assert_eq!(list.workspaces[0].name.as_deref(), Some("default"));
        let refused = ListWorkspaces::parse_response(answer(
            404,
            r#"{"error_code":"APIG.0101","error_msg":"The API does not exist or has not been published in the environment"}"#,
        ))
        .unwrap_err();
        assert!(refused.api_error().unwrap().is_api_absent());
        let forbidden = ListWorkspaces::parse_response(answer(
            403,
            r#"{"error_code":"ModelArts.0108","error_msg":"not authorised"}"#,
        ))
        .unwrap_err();
        assert_eq!(forbidden.api_error().unwrap().code(), Some("ModelArts.0108"));
    }
}
