//! The workspace list, `GET /v1/{project_id}/workspaces` (ModelArts workspace management,
//! `ListWorkspace` in the official SDKs): the default workspace `"0"` (named `default`) and every
//! workspace a v1 or v2 job of the emulator is in. It is a ModelArts API of its own, not the v1
//! training-job API: `--v1-absent` leaves it in place.
//!
//! Query (all optional): `offset` (the page, from 0), `limit` (1..=1000, 1000), `sort_by` (`name`,
//! the default, `update_time` or `status`), `order` (`desc`, the default, or `asc`), `name` (a
//! case-insensitive substring), `enterprise_project_id` (every workspace here is in `"0"`) and
//! `filter_accessible` (`true`/`false`; every workspace here is accessible). Answer:
//! `{"total_count", "count", "workspaces": [{"id", "name", "description", "owner", "create_time",
//! "update_time", "enterprise_project_id", "enterprise_project_name", "auth_type", "status",
//! "status_info"}]}`; `create_time` and `update_time` are the earliest creation time of a job in
//! the workspace (epoch ms), the time of the request for an empty default workspace.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::api::query_param;

/// The largest and default page of the list (the official SDK documents 1000 as the default).
const MAX_LIMIT: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Name,
    UpdateTime,
    Status,
}

/// The validated query of a workspace list request.
#[derive(Debug)]
pub(crate) struct WorkspaceQuery {
    offset: usize,
    limit: usize,
    sort: Sort,
    descending: bool,
    name: Option<String>,
    enterprise_project_id: Option<String>,
}

impl WorkspaceQuery {
    pub(crate) fn parse(query: &str) -> Result<Self, String> {
        let int =
            |key: &str, default: usize, range: std::ops::RangeInclusive<usize>| match query_param(query, key)
            {
                None => Ok(default),
                Some(text) => text.parse::<usize>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                    format!(
                        "Invalid {key}: {text:?} (expected an integer in {}..{})",
                        range.start(),
                        range.end()
                    )
                }),
            };
        let offset = int("offset", 0, 0..=1_000_000)?;
        let limit = int("limit", MAX_LIMIT, 1..=MAX_LIMIT)?;
        let sort = match query_param(query, "sort_by").as_deref() {
            None | Some("name") => Sort::Name,
            Some("update_time") => Sort::UpdateTime,
            Some("status") => Sort::Status,
            Some(other) => {
                return Err(format!("Invalid sort_by: {other:?} (expected name, update_time or status)"));
            }
        };
        let descending = match query_param(query, "order").as_deref() {
            None | Some("desc") => true,
            Some("asc") => false,
            Some(other) => return Err(format!("Invalid order: {other:?} (expected asc or desc)")),
        };
        match query_param(query, "filter_accessible").as_deref() {
            None | Some("true" | "false") => {}
            Some(other) => {
                return Err(format!("Invalid filter_accessible: {other:?} (expected true or false)"));
            }
        }
        Ok(Self {
            offset,
            limit,
            sort,
            descending,
            name: query_param(query, "name").filter(|n| !n.is_empty()).map(|n| n.to_lowercase()),
            enterprise_project_id: query_param(query, "enterprise_project_id")
                .filter(|e| !e.is_empty())
                .map(|e| e.into_owned()),
        })
    }
}

/// The answer for `used`: each workspace a job is in, with the earliest creation time of its jobs.
/// The default workspace `"0"` is always listed.
pub(crate) fn answer(q: &WorkspaceQuery, mut used: BTreeMap<String, u64>, now_ms: u64) -> Value {
    used.entry("0".to_owned()).or_insert(now_ms);
    let name = |id: &str| if id == "0" { "default".to_owned() } else { id.to_owned() };
    let mut matching: Vec<(String, String, u64)> = used
        .into_iter()
        .map(|(id, created)| (name(&id), id, created))
        .filter(|(name, _, _)| q.name.as_ref().is_none_or(|n| name.to_lowercase().contains(n)))
        .filter(|_| q.enterprise_project_id.as_deref().is_none_or(|e| e == "0"))
        .collect();
    matching.sort_by(|a, b| {
        let ord = match q.sort {
            // Every workspace here is NORMAL: the status ties, the name breaks it.
            Sort::Name | Sort::Status => a.0.cmp(&b.0),
            Sort::UpdateTime => a.2.cmp(&b.2),
        }
        .then_with(|| a.1.cmp(&b.1));
        if q.descending { ord.reverse() } else { ord }
    });
    let total = matching.len();
    let workspaces: Vec<Value> = matching
        .into_iter()
        .skip(q.offset.saturating_mul(q.limit))
        .take(q.limit)
        .map(|(name, id, created)| {
            json!({
                "id": id,
                "name": name,
                "description": if id == "0" { "The default workspace" } else { "" },
                "owner": "emulator",
                "create_time": created,
                "update_time": created,
                "enterprise_project_id": "0",
                "enterprise_project_name": "default",
                "auth_type": "PUBLIC",
                "status": "NORMAL",
                "status_info": "",
            })
        })
        .collect();
    json!({"total_count": total, "count": workspaces.len(), "workspaces": workspaces})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(q: &str, used: &[(&str, u64)]) -> Vec<String> {
        let used = used.iter().map(|(id, t)| ((*id).to_owned(), *t)).collect();
        let out = answer(&WorkspaceQuery::parse(q).unwrap(), used, 5);
        out["workspaces"].as_array().unwrap().iter().map(|w| w["id"].as_str().unwrap().to_owned()).collect()
    }

    #[test]
    fn the_default_workspace_is_always_listed_and_the_query_applies() {
        let used = [("ws-1", 3), ("0", 9), ("ws-2", 1)];
        // (query, ids in order)
        let cases: &[(&str, &[&str])] = &[
            ("", &["ws-2", "ws-1", "0"]),
            ("order=asc", &["0", "ws-1", "ws-2"]),
            ("sort_by=update_time&order=asc", &["ws-2", "ws-1", "0"]),
            ("limit=2", &["ws-2", "ws-1"]),
            ("limit=2&offset=1", &["0"]),
            ("limit=2&offset=2", &[]),
            ("name=DEFAULT", &["0"]),
            ("name=ws", &["ws-2", "ws-1"]),
            ("enterprise_project_id=0&filter_accessible=true", &["ws-2", "ws-1", "0"]),
            ("enterprise_project_id=other", &[]),
        ];
        for (q, expected) in cases {
            assert_eq!(ids(q, &used), *expected, "{q}");
        }
        assert_eq!(ids("", &[]), ["0"]);
        let out = answer(&WorkspaceQuery::parse("limit=1").unwrap(), BTreeMap::new(), 7);
        assert_eq!((out["total_count"].as_u64(), out["count"].as_u64()), (Some(1), Some(1)));
        assert_eq!(out["workspaces"][0]["name"], "default");
        assert_eq!(out["workspaces"][0]["create_time"], 7);
    }

    #[test]
    fn invalid_queries_are_refused() {
        for bad in ["limit=0", "limit=1001", "offset=x", "sort_by=id", "order=up", "filter_accessible=yes"] {
            assert!(WorkspaceQuery::parse(bad).is_err(), "{bad}");
        }
    }
}
