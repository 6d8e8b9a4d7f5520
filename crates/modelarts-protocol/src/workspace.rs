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

use crate::model::lenient;
use crate::v2::model::Metadata;
use crate::v2::{OffsetMode, PageStep, Paginator, TrainingJob, TrainingJobList, WalkEnd};

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

/// The walk over every page of the workspace list. `offset` is the page, from 0 (the official SDK:
/// "the start page of the paginated list, default 0").
///
/// The decisions are the v2 job walk's ([`v2::Paginator`](crate::v2::Paginator)), not a copy: each
/// page goes through it keyed by workspace ID, so the walk ends on an empty or short page, the
/// announced `total_count`, a page of IDs already seen, or the v2 walk's ceiling, and never yields
/// an ID twice. [`WalkEnd::is_complete`] tells a complete list from a cut one.
///
/// ```
/// use modelarts_protocol::v2::PageStep;
/// use modelarts_protocol::workspace::{WorkspaceList, WorkspaceWalk};
///
/// let mut walk = WorkspaceWalk::new(2);
/// let page: WorkspaceList =
///     serde_json::from_str(r#"{"total_count":3,"workspaces":[{"id":"0"},{"id":"a"}]}"#).unwrap();
/// let (fresh, step) = walk.accept(page);
/// assert_eq!((fresh.len(), step), (2, PageStep::Next(1)));
/// let page: WorkspaceList = serde_json::from_str(r#"{"total_count":3,"workspaces":[{"id":"a"},{"id":"b"}]}"#).unwrap();
/// let (fresh, step) = walk.accept(page);
/// assert_eq!((fresh[0].id.as_deref(), step), (Some("b"), PageStep::Done));
/// assert!(walk.end().unwrap().is_complete());
/// ```
#[derive(Debug, Clone)]
pub struct WorkspaceWalk {
    pages: Paginator,
}

impl WorkspaceWalk {
    /// Walks pages of `limit` workspaces (clamped to 1..=50, the v2 walk's page) from page 0.
    pub fn new(limit: u32) -> Self {
        Self { pages: Paginator::new(limit, OffsetMode::PageIndex) }
    }

    /// The page size to ask for.
    pub fn limit(&self) -> u32 {
        self.pages.limit()
    }

    /// The offset of the first page.
    pub fn first_offset(&self) -> u32 {
        self.pages.first_offset()
    }

    /// Why the walk ended, once it has.
    pub fn end(&self) -> Option<WalkEnd> {
        self.pages.end()
    }

    /// How many pages were accepted.
    pub fn pages(&self) -> u32 {
        self.pages.pages()
    }

    /// Takes the page fetched at the current offset: its workspaces not seen before, and the next
    /// step. Workspaces without an ID are returned but never count as new.
    pub fn accept(&mut self, page: WorkspaceList) -> (Vec<Workspace>, PageStep) {
        // Each workspace stands in the job walk as a job with its ID and, as the name, its place
        // on the page, so the fresh ones can be picked back out.
        let keys = TrainingJobList {
            total: page.total_count,
            count: page.count,
            items: page
                .workspaces
                .iter()
                .enumerate()
                .map(|(place, w)| TrainingJob {
                    metadata: Some(Metadata {
                        id: w.id.clone(),
                        name: Some(place.to_string()),
                        ..Metadata::default()
                    }),
                    ..TrainingJob::default()
                })
                .collect(),
            ..TrainingJobList::default()
        };
        let (fresh, step) = self.pages.accept(keys);
        let mut workspaces: Vec<Option<Workspace>> = page.workspaces.into_iter().map(Some).collect();
        let fresh = fresh
            .iter()
            .filter_map(|job| job.name()?.parse::<usize>().ok())
            .filter_map(|place| workspaces.get_mut(place)?.take())
            .collect();
        (fresh, step)
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
        use WalkEnd::*;
        // (pages served, steps, ids yielded, end)
        type Case<'a> = (Vec<WorkspaceList>, Vec<PageStep>, Vec<&'a str>, WalkEnd);
        let cases: Vec<Case<'_>> = vec![
            (
                vec![page(&["0", "a"], None), page(&["b"], None)],
                vec![PageStep::Next(1), PageStep::Done],
                vec!["0", "a", "b"],
                ShortPage,
            ),
            (vec![page(&["0", "a"], Some(2))], vec![PageStep::Done], vec!["0", "a"], TotalReached),
            (
                vec![page(&["0", "a"], None), page(&[], None)],
                vec![PageStep::Next(1), PageStep::Done],
                vec!["0", "a"],
                EmptyPage,
            ),
            // A server that ignores `offset` repeats the first page: the walk stops there.
            (
                vec![page(&["0", "a"], Some(9)), page(&["0", "a"], Some(9))],
                vec![PageStep::Next(1), PageStep::Done],
                vec!["0", "a"],
                RepeatedPage,
            ),
            // A page shifted by one yields only the new workspace.
            (
                vec![page(&["0", "a"], None), page(&["a", "b"], None), page(&[], None)],
                vec![PageStep::Next(1), PageStep::Next(2), PageStep::Done],
                vec!["0", "a", "b"],
                EmptyPage,
            ),
        ];
        for (i, (pages, steps, expected, end)) in cases.into_iter().enumerate() {
            let mut walk = WorkspaceWalk::new(2);
            let mut got_steps = Vec::new();
            let mut got = Vec::new();
            for p in pages {
                let (fresh, step) = walk.accept(p);
                got.extend(fresh);
                got_steps.push(step);
            }
            assert_eq!(got_steps, steps, "case {i}");
            assert_eq!(ids(&got), expected, "case {i}");
            assert_eq!(walk.end(), Some(end), "case {i}");
        }
    }

    #[test]
    fn duplicates_within_a_page_and_workspaces_without_id() {
        let mut walk = WorkspaceWalk::new(50);
        let mut p = page(&["0", "a", "a"], None);
        p.workspaces.push(Workspace::default());
        let (fresh, step) = walk.accept(p);
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
