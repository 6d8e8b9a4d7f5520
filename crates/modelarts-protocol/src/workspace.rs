//! ModelArts workspaces: the lenient [`Workspace`] and [`WorkspaceList`] of the workspace list
//! (`GET /v1/{project_id}/workspaces`, [`ListWorkspaces`](crate::operations::workspaces::ListWorkspaces))
//! and [`WorkspaceWalk`], the bounded walk over its pages.
//!
//! Jobs live in workspaces; the default one is `"0"`. A v2 search without `workspace_id` reads only
//! the default workspace, so a caller that must see every v2 job lists the workspaces and searches
//! each. The workspace list is ModelArts' workspace-management API, not the historical v1
//! training-job API: it stays where v1 training jobs are gone.
//!
//! Field names follow the official Python SDK (`huaweicloudsdkmodelarts` 3.1.219,
//! `v1/model/list_workspace_response.py` and `workspace_response.py`); every field may be missing
//! or `null`, numbers may come as strings, unknown fields are ignored.

use serde::{Deserialize, Serialize};

use crate::lenient;
use crate::machine::pagination::{Keyed, ListPage, Offset, OffsetMode, PageStep, Paginator, WalkError};

/// The ID of the default workspace, where jobs go when none is named.
pub const DEFAULT_WORKSPACE_ID: &str = "0";

/// One workspace of the list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Workspace {
    /// The ID: a 32-digit UUID without dashes, `"0"` for the default workspace.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// The name (`default` for `"0"`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// The description.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    /// The creator's name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub owner: Option<String>,
    /// Creation time (documented as an integer, "UTC"; epoch ms on the emulator).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub create_time: Option<i64>,
    /// Last modification time.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub update_time: Option<i64>,
    /// The enterprise project.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub enterprise_project_id: Option<String>,
    /// The enterprise project's name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub enterprise_project_name: Option<String>,
    /// Who may use it: `PUBLIC`, `PRIVATE` or `INTERNAL`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub auth_type: Option<String>,
    /// `NORMAL`, `CREATE_FAILED`, `DELETING` or `DELETE_FAILED`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    /// More about the status (why a deletion failed).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub status_info: Option<String>,
}

impl Workspace {
    /// A workspace with this ID and nothing else known (for tests and callers that name one).
    pub fn with_id(id: impl Into<String>) -> Self {
        Self { id: Some(id.into()), ..Self::default() }
    }

    /// Whether this is the default workspace `"0"`.
    pub fn is_default(&self) -> bool {
        self.id.as_deref() == Some(DEFAULT_WORKSPACE_ID)
    }
}

/// One page of the workspace list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WorkspaceList {
    /// Workspaces matching the query, over all pages.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub total_count: Option<i64>,
    /// Workspaces in this answer.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub count: Option<i64>,
    /// The workspaces.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub workspaces: Vec<Workspace>,
}

impl ListPage for WorkspaceList {
    type Item = Workspace;

    fn announced(&self) -> Option<i64> {
        self.total_count
    }

    fn into_items(self) -> Vec<Workspace> {
        self.workspaces
    }
}

impl Keyed for Workspace {
    type Key = String;

    /// The ID without surrounding blanks; an empty one is no ID.
    fn key(&self) -> Option<String> {
        self.id.as_deref().map(str::trim).filter(|id| !id.is_empty()).map(str::to_owned)
    }
}

/// The bounded walk over the workspace list: the one paginator of both job lists
/// ([`Paginator`]) over page indexes from 0, each workspace once (by ID): an empty or short page or
/// the announced total ends it, a page of workspaces seen before is a
/// [`WalkError::RepeatedPage`], and the walk's bound (the job walks' item bound) is an error, never
/// a silent end.
///
/// ```
/// use modelarts_protocol::pagination::PageStep;
/// use modelarts_protocol::workspace::{WorkspaceList, WorkspaceWalk};
///
/// let mut walk = WorkspaceWalk::new(2);
/// let page: WorkspaceList =
///     serde_json::from_str(r#"{"total_count":3,"workspaces":[{"id":"0"},{"id":"a"}]}"#).unwrap();
/// let (fresh, step) = walk.accept(page).unwrap();
/// assert_eq!((fresh.len(), step), (2, PageStep::Next(1)));
/// let page: WorkspaceList = serde_json::from_str(r#"{"total_count":3,"workspaces":[{"id":"a"},{"id":"b"}]}"#).unwrap();
/// let (fresh, step) = walk.accept(page).unwrap();
/// assert_eq!((fresh[0].id.as_deref(), step), (Some("b"), PageStep::Done));
/// ```
#[derive(Debug, Clone)]
pub struct WorkspaceWalk(Paginator<Offset, String>);

impl WorkspaceWalk {
    /// Walks pages of `limit` workspaces (clamped to 1..=50) from page index 0, within the job
    /// walks' bound.
    pub fn new(limit: u32) -> Self {
        Self(Paginator::by_offset(limit, OffsetMode::PageIndex))
    }

    /// The page size to ask for.
    pub fn limit(&self) -> u32 {
        self.0.limit()
    }

    /// The offset (a page index) of the first page.
    pub fn first_offset(&self) -> u32 {
        self.0.first_offset()
    }

    /// How many pages were accepted.
    pub fn pages(&self) -> u32 {
        self.0.pages()
    }

    /// Takes the page fetched at the current offset: its workspaces not seen before (those
    /// without an ID too, never counted as new), and the next step; or why the walk fails.
    pub fn accept(&mut self, page: WorkspaceList) -> Result<(Vec<Workspace>, PageStep), WalkError> {
        self.0.accept(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(ids: &[&str], total: Option<i64>) -> WorkspaceList {
        WorkspaceList {
            total_count: total,
            count: Some(ids.len() as i64),
            workspaces: ids.iter().map(|id| Workspace::with_id(*id)).collect(),
        }
    }

    fn ids(list: &[Workspace]) -> Vec<&str> {
        list.iter().map(|w| w.id.as_deref().unwrap_or("-")).collect()
    }

    #[test]
    fn walk_table() {
        // (pages served, steps, ids yielded, the walk's error if any)
        type Case<'a> = (Vec<WorkspaceList>, Vec<PageStep>, Vec<&'a str>, Option<&'a str>);
        let cases: Vec<Case<'_>> = vec![
            (
                vec![page(&["0", "a"], None), page(&["b"], None)],
                vec![PageStep::Next(1), PageStep::Done],
                vec!["0", "a", "b"],
                None,
            ),
            (vec![page(&["0", "a"], Some(2))], vec![PageStep::Done], vec!["0", "a"], None),
            (
                vec![page(&["0", "a"], None), page(&[], None)],
                vec![PageStep::Next(1), PageStep::Done],
                vec!["0", "a"],
                None,
            ),
            // A server that ignores `offset` repeats the first page: an error, not an end.
            (
                vec![page(&["0", "a"], Some(9)), page(&["0", "a"], Some(9))],
                vec![PageStep::Next(1)],
                vec!["0", "a"],
                Some("repeated"),
            ),
            // A page shifted by one yields only the new workspace.
            (
                vec![page(&["0", "a"], None), page(&["a", "b"], None), page(&[], None)],
                vec![PageStep::Next(1), PageStep::Next(2), PageStep::Done],
                vec!["0", "a", "b"],
                None,
            ),
        ];
        for (i, (pages, steps, expected, error)) in cases.into_iter().enumerate() {
            let mut walk = WorkspaceWalk::new(2);
            let mut got_steps = Vec::new();
            let mut got = Vec::new();
            let mut failed = None;
            for p in pages {
                match walk.accept(p) {
                    Ok((fresh, step)) => {
                        got.extend(fresh);
                        got_steps.push(step);
                    }
                    Err(e) => failed = Some(e),
                }
            }
            assert_eq!(got_steps, steps, "case {i}");
            assert_eq!(ids(&got), expected, "case {i}");
            assert_eq!(failed.is_some(), error.is_some(), "case {i}: {failed:?}");
            if let (Some(e), Some(word)) = (failed, error) {
                assert!(e.to_string().contains(word), "case {i}: {e}");
            }
        }
    }

    #[test]
    fn duplicates_within_a_page_and_workspaces_without_id() {
        let mut walk = WorkspaceWalk::new(50);
        let mut p = page(&["0", "a", "a"], None);
        p.workspaces.push(Workspace::default());
        let (fresh, step) = walk.accept(p).unwrap();
        assert_eq!(ids(&fresh), ["0", "a", "-"]);
        assert_eq!(step, PageStep::Done);
        assert_eq!(WorkspaceWalk::new(5000).limit(), 50);
    }

    #[test]
    fn the_model_is_lenient() {
        let list: WorkspaceList = serde_json::from_str(
            r#"{"total_count":"2","count":null,"workspaces":[
                {"id":"0","name":"default","create_time":"1700000000000","update_time":1700000000001,
                 "auth_type":"PUBLIC","status":"NORMAL","status_info":null,"extra":{"x":1}},
                {"id":"1c5f1e1f6b4a4c61a0e6f6ad1d6e4c33","name":"team"}]}"#,
        )
        .unwrap();
        assert_eq!((list.total_count, list.count), (Some(2), None));
        assert!(list.workspaces[0].is_default());
        assert_eq!(list.workspaces[0].create_time, Some(1_700_000_000_000));
        assert_eq!(list.workspaces[1].name.as_deref(), Some("team"));
        let empty: WorkspaceList = serde_json::from_str(r#"{"workspaces":null}"#).unwrap();
        assert!(empty.workspaces.is_empty());
    }
}
