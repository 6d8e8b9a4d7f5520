//! The v2 face: routing of the three v2 operations, their validation and answers. The pipeline
//! (auth, throttle, faults, journal) is the v1 one in `api`.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::config::{AlreadyStoppedPolicy, Settings};
use crate::faults::Route;
use crate::state::Shared;
use crate::v2_model::{TerminateOutcome, V2Job, V2Phase};

/// Largest page of the list.
const MAX_LIMIT: usize = 50;
/// Page size when the body has none.
const DEFAULT_LIMIT: usize = 10;
/// The workspace a search without `workspace_id` reads.
pub(crate) const DEFAULT_WORKSPACE: &str = "0";

/// A routed v2 request.
pub(crate) struct V2Target {
    pub(crate) route: Route,
    pub(crate) project_ok: bool,
    pub(crate) id: Option<String>,
    /// The task of the log routes (`worker-0`).
    pub(crate) task: Option<String>,
    /// The log URL route was asked for a download address (`Content-Type: application/octet-stream`).
    pub(crate) download: bool,
}

/// Routes a path under `/v2/` (`rest` is what follows `/v2/`).
pub(crate) fn route(method: &Method, rest: &str, project_id: &str) -> Option<V2Target> {
    let mut buffer = [""; 7];
    let mut count = 0;
    for segment in rest.split('/') {
        *buffer.get_mut(count)? = segment;
        count += 1;
    }
    let segments = &buffer[..count];
    if segments.iter().any(|s| s.is_empty()) {
        return None;
    }
    let (route, id, task) = match (method, segments) {
        (&Method::POST, [_, "training-jobs", id, "actions"]) => (Route::V2Terminate, Some(*id), None),
        (&Method::GET, [_, "training-jobs", id]) => (Route::V2Show, Some(*id), None),
        (&Method::POST, [_, "training-job-searches"]) => (Route::V2List, None, None),
        (&Method::GET, [_, "training-jobs", id, "events"]) => (Route::V2Events, Some(*id), None),
        (&Method::GET, [_, "training-jobs", id, "tasks", task, "logs", "preview"]) => {
            (Route::V2LogPreview, Some(*id), Some(*task))
        }
        (&Method::GET, [_, "training-jobs", id, "tasks", task, "logs", "url"]) => {
            (Route::V2LogUrl, Some(*id), Some(*task))
        }
        _ => return None,
    };
    Some(V2Target {
        route,
        project_ok: segments.first().is_some_and(|p| *p == project_id),
        // Ids are matched without regard to case, as UUIDs are.
        id: id.map(str::to_ascii_lowercase),
        download: false,
        task: task.map(|t| percent_encoding::percent_decode_str(t).decode_utf8_lossy().into_owned()),
    })
}

/// A v2 answer before headers.
pub(crate) struct V2Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
    pub(crate) effective_stop: bool,
}

fn answer(status: StatusCode, body: &Value) -> V2Answer {
    V2Answer { status, body: body.to_string().into_bytes(), effective_stop: false }
}

/// `{"error_code":…,"error_msg":…}`, the v2 error body.
pub(crate) fn error(status: StatusCode, code: &str, msg: &str) -> V2Answer {
    answer(status, &json!({"error_code": code, "error_msg": msg}))
}

fn invalid(msg: impl Into<String>) -> V2Answer {
    error(StatusCode::BAD_REQUEST, "ModelArts.2788", &msg.into())
}

fn not_found(id: &str) -> V2Answer {
    error(StatusCode::BAD_REQUEST, "ModelArts.2775", &format!("Training job {id} not found"))
}

/// Runs a v2 operation.
pub(crate) fn operate(
    shared: &Shared,
    target: &V2Target,
    query: &str,
    body: &[u8],
    settings: &Settings,
    now_ms: u64,
) -> V2Answer {
    if !target.project_ok {
        return error(
            StatusCode::FORBIDDEN,
            "ModelArts.0210",
            "The project ID in the URL does not match the credentials",
        );
    }
    let timing = settings.kill_timing();
    match (target.route, target.id.as_deref()) {
        (Route::V2Terminate, Some(id)) => {
            if let Err(msg) = check_action(body) {
                return msg;
            }
            shared.with_v2(|jobs| {
                let Some(job) = jobs.jobs.get_mut(id) else {
                    return not_found(id);
                };
                job.observe(now_ms, timing, false);
                match job.terminate(now_ms) {
                    TerminateOutcome::Effective => {
                        V2Answer { effective_stop: true, ..answer(StatusCode::ACCEPTED, &job.body(now_ms)) }
                    }
                    TerminateOutcome::NotTerminable(phase) => already_stopped(job, phase, settings, now_ms),
                }
            })
        }
        (Route::V2Show, Some(id)) => shared.with_v2(|jobs| match jobs.jobs.get_mut(id) {
            Some(job) => {
                job.observe(now_ms, timing, true);
                answer(StatusCode::OK, &job.body(now_ms))
            }
            None => not_found(id),
        }),
        (Route::V2List, _) => match ListQuery::parse(body) {
            Ok(q) => shared.with_v2(|jobs| {
                let skip = q.offset.saturating_mul(q.limit);
                let (total, ids) = match q.sort {
                    // Unfiltered, by a key fixed at seeding: a slice of the sorted index, O(page).
                    // Phases are lazy (a termination ends at a time fixed when it was asked for), so
                    // the jobs off the page need no observing.
                    Sort::CreateTime | Sort::Name if q.unfiltered() => {
                        let sorted =
                            if q.sort == Sort::Name { jobs.by_name() } else { jobs.by_create_time() };
                        let total = sorted.len();
                        let skip = skip.min(total);
                        let take = q.limit.min(total - skip);
                        let ids: Vec<String> = if q.descending {
                            sorted[total - skip - take..total - skip].iter().rev().cloned().collect()
                        } else {
                            sorted[skip..skip + take].to_vec()
                        };
                        (total, ids)
                    }
                    _ => {
                        for job in jobs.jobs.values_mut() {
                            job.observe(now_ms, timing, false);
                        }
                        let mut matching: Vec<&V2Job> = jobs.jobs.values().filter(|j| q.matches(j)).collect();
                        matching.sort_by(|a, b| {
                            let ord = match q.sort {
                                Sort::CreateTime => a.create_time.cmp(&b.create_time),
                                Sort::Name => a.name.cmp(&b.name),
                                Sort::Duration => a.duration(now_ms).cmp(&b.duration(now_ms)),
                            }
                            .then_with(|| a.id.cmp(&b.id));
                            if q.descending { ord.reverse() } else { ord }
                        });
                        let ids = matching.iter().skip(skip).take(q.limit).map(|j| j.id.clone()).collect();
                        (matching.len(), ids)
                    }
                };
                let mut items: Vec<Value> = Vec::with_capacity(ids.len());
                for id in &ids {
                    if let Some(job) = jobs.jobs.get_mut(id) {
                        // Reporting a job's phase is a status read.
                        job.observe(now_ms, timing, true);
                        items.push(job.body(now_ms));
                    }
                }
                let mut out = json!({
                    "total": total,
                    "count": items.len(),
                    "limit": q.limit,
                    "offset": q.offset,
                    "sort_by": q.sort.as_str(),
                    "order": if q.descending { "desc" } else { "asc" },
                    "workspace_id": q.workspace_id,
                    "items": items,
                });
                if let (Some(g), Some(map)) = (&q.group_by, out.as_object_mut()) {
                    map.insert("group_by".into(), json!(g));
                }
                answer(StatusCode::OK, &out)
            }),
            Err(a) => a,
        },
        (Route::V2LogPreview | Route::V2LogUrl, Some(id)) => shared.with_v2(|jobs| {
            let Some(job) = jobs.jobs.get_mut(id) else {
                return not_found(id);
            };
            job.observe(now_ms, timing, false);
            let task = target.task.as_deref().unwrap_or_default();
            if !job.tasks().iter().any(|t| t == task) {
                return error(
                    StatusCode::BAD_REQUEST,
                    "ModelArts.2788",
                    &format!("Task {task:?} is not a task of training job {id}"),
                );
            }
            if target.route == Route::V2LogPreview {
                answer(StatusCode::OK, &job.log(task, now_ms).preview("content"))
            } else {
                let disposition = if target.download { "&response-content-disposition=attachment" } else { "" };
                let url = format!(
                    "https://obs.emulator.invalid/logs/{id}/{task}.log?AWSAccessKeyId=EMULATORKEY&Expires={}&Signature=emulated{disposition}",
                    now_ms / 1000 + 3600
                );
                answer(StatusCode::OK, &json!({"obs_url": url}))
            }
        }),
        (Route::V2Events, Some(id)) => match crate::logs::EventQuery::parse(query) {
            Err(msg) => invalid(msg),
            Ok(q) => shared.with_v2(|jobs| match jobs.jobs.get_mut(id) {
                Some(job) => {
                    job.observe(now_ms, timing, false);
                    answer(StatusCode::OK, &q.answer(job.events(now_ms)))
                }
                None => not_found(id),
            }),
        },
        _ => error(StatusCode::NOT_FOUND, "APIG.0101", "The API does not exist"),
    }
}

fn check_action(body: &[u8]) -> Result<(), V2Answer> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| error(StatusCode::BAD_REQUEST, "ModelArts.2787", &format!("Invalid JSON body: {e}")))?;
    match value.get("action_type").and_then(Value::as_str) {
        Some("terminate") => Ok(()),
        Some(other) => Err(invalid(format!("Unsupported action_type {other:?} (expected terminate)"))),
        None => Err(invalid("action_type is required")),
    }
}

fn already_stopped(job: &V2Job, phase: V2Phase, settings: &Settings, now_ms: u64) -> V2Answer {
    let msg = format!("The job cannot be terminated in its current phase ({})", phase.as_str());
    match settings.v2_already_stopped {
        AlreadyStoppedPolicy::Conflict => error(StatusCode::CONFLICT, "ModelArts.2796", &msg),
        AlreadyStoppedPolicy::BadRequest => error(StatusCode::BAD_REQUEST, "ModelArts.0105", &msg),
        AlreadyStoppedPolicy::OkFalse => error(StatusCode::OK, "ModelArts.2796", &msg),
        AlreadyStoppedPolicy::Success => answer(StatusCode::ACCEPTED, &job.body(now_ms)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    CreateTime,
    Name,
    Duration,
}

impl Sort {
    fn as_str(self) -> &'static str {
        match self {
            Sort::CreateTime => "create_time",
            Sort::Name => "name",
            Sort::Duration => "duration",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    In,
    Like,
    Not,
    Between,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Id,
    Name,
    Phase,
    CreateTime,
}

#[derive(Debug)]
struct Filter {
    key: Key,
    op: Op,
    values: Vec<String>,
}

impl Filter {
    fn matches(&self, job: &V2Job) -> bool {
        if self.key == Key::CreateTime {
            let bound = |i: usize| self.values.get(i).and_then(|v| v.parse::<u64>().ok());
            return match (bound(0), bound(1)) {
                (Some(lo), Some(hi)) => (lo..=hi).contains(&job.create_time),
                _ => false,
            };
        }
        let field = match self.key {
            Key::Id => job.id.as_str(),
            Key::Name => job.name.as_str(),
            _ => job.phase.as_str(),
        };
        let equal = |v: &String| match self.key {
            Key::Name => field == v,
            _ => field.eq_ignore_ascii_case(v),
        };
        match self.op {
            Op::In => self.values.iter().any(equal),
            Op::Not => !self.values.iter().any(equal),
            Op::Like => {
                let f = field.to_lowercase();
                self.values.iter().any(|v| f.contains(&v.to_lowercase()))
            }
            Op::Between => false,
        }
    }
}

/// The validated body of a list request.
#[derive(Debug)]
struct ListQuery {
    offset: usize,
    limit: usize,
    sort: Sort,
    descending: bool,
    group_by: Option<String>,
    /// The workspace searched: the body's `workspace_id`, `"0"` (the default workspace) when absent.
    workspace_id: String,
    filters: Vec<Filter>,
}

impl ListQuery {
    /// The default workspace and no filter: every job of the sorted indexes matches.
    fn unfiltered(&self) -> bool {
        self.workspace_id == DEFAULT_WORKSPACE && self.filters.is_empty()
    }

    /// Whether the search shows `job` for this query (never a job hidden from the search, never a
    /// job of another workspace).
    fn matches(&self, job: &V2Job) -> bool {
        !job.hidden_from_search
            && job.workspace_id == self.workspace_id
            && self.filters.iter().all(|f| f.matches(job))
    }

    fn parse(body: &[u8]) -> Result<Self, V2Answer> {
        let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            serde_json::from_slice(body).map_err(|e| {
                error(StatusCode::BAD_REQUEST, "ModelArts.2787", &format!("Invalid JSON body: {e}"))
            })?
        };
        let Some(map) = value.as_object() else {
            return Err(error(StatusCode::BAD_REQUEST, "ModelArts.2787", "The body must be a JSON object"));
        };
        let int = |key: &str, default: usize, range: std::ops::RangeInclusive<usize>| match map.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => {
                v.as_u64().and_then(|n| usize::try_from(n).ok()).filter(|n| range.contains(n)).ok_or_else(
                    || {
                        invalid(format!(
                            "Invalid {key}: {v} (expected an integer in {}..{})",
                            range.start(),
                            range.end()
                        ))
                    },
                )
            }
        };
        let text = |key: &str| match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(invalid(format!("Invalid {key}: {v} (expected a string)"))),
        };
        let offset = int("offset", 0, 0..=1_000_000)?;
        let limit = int("limit", DEFAULT_LIMIT, 1..=MAX_LIMIT)?;
        let sort = match text("sort_by")?.as_deref() {
            None | Some("create_time") => Sort::CreateTime,
            Some("name") => Sort::Name,
            Some("duration") => Sort::Duration,
            Some(other) => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "ModelArts.2790",
                    &format!("Unsupported sort field {other:?} (expected create_time, name or duration)"),
                ));
            }
        };
        let descending = match text("order")?.as_deref() {
            None | Some("desc") => true,
            Some("asc") => false,
            Some(other) => return Err(invalid(format!("Invalid order {other:?} (expected asc or desc)"))),
        };
        let group_by = text("group_by")?;
        let workspace_id = text("workspace_id")?.unwrap_or_else(|| DEFAULT_WORKSPACE.to_owned());
        let mut filters = Vec::new();
        match map.get("filters") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for item in items {
                    filters.push(parse_filter(item)?);
                }
            }
            Some(v) => return Err(invalid(format!("Invalid filters: {v} (expected an array)"))),
        }
        Ok(Self { offset, limit, sort, descending, group_by, workspace_id, filters })
    }
}

fn parse_filter(item: &Value) -> Result<Filter, V2Answer> {
    let key = match item.get("key").and_then(Value::as_str) {
        Some("id") => Key::Id,
        Some("name") => Key::Name,
        Some("phase" | "status") => Key::Phase,
        Some("create_time") => Key::CreateTime,
        other => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "ModelArts.2789",
                &format!(
                    "Unsupported filter field {:?} (expected id, name, phase or create_time)",
                    other.unwrap_or("")
                ),
            ));
        }
    };
    let op = match item.get("operator").and_then(Value::as_str) {
        Some("in") => Op::In,
        Some("like") => Op::Like,
        Some("not") => Op::Not,
        Some("between") => Op::Between,
        other => {
            return Err(invalid(format!(
                "Invalid filter operator {:?} (expected between, like, in or not)",
                other.unwrap_or("")
            )));
        }
    };
    let values: Vec<String> = match item.get("value") {
        Some(Value::Array(vs)) => vs
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| invalid("filter values must be strings")))
            .collect::<Result<_, _>>()?,
        _ => return Err(invalid("a filter needs a value array")),
    };
    if (op == Op::Between) != (key == Key::CreateTime) {
        return Err(invalid("between goes with create_time, and create_time with between"));
    }
    if op == Op::Between && values.len() != 2 {
        return Err(invalid("between takes two values"));
    }
    Ok(Filter { key, op, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_table() {
        let id = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
        let cases: &[(Method, String, Option<Route>, bool)] = &[
            (Method::POST, format!("p/training-jobs/{id}/actions"), Some(Route::V2Terminate), true),
            (Method::GET, format!("p/training-jobs/{id}"), Some(Route::V2Show), true),
            (Method::POST, "p/training-job-searches".into(), Some(Route::V2List), true),
            (Method::POST, "q/training-job-searches".into(), Some(Route::V2List), false),
            (Method::GET, "p/training-job-searches".into(), None, false),
            (Method::GET, format!("p/training-jobs/{id}/actions"), None, false),
            (Method::DELETE, format!("p/training-jobs/{id}"), None, false),
            (Method::GET, "p/training-jobs/".into(), None, false),
            (Method::GET, format!("p/training-jobs/{id}/x/y"), None, false),
        ];
        for (method, rest, expected, project_ok) in cases {
            let t = route(method, rest, "p");
            assert_eq!(t.as_ref().map(|t| t.route), *expected, "{method} {rest}");
            if let Some(t) = t {
                assert_eq!(t.project_ok, *project_ok, "{method} {rest}");
            }
        }
        let t = route(&Method::GET, "p/training-jobs/ABC", "p").unwrap();
        assert_eq!(t.id.as_deref(), Some("abc"));
    }

    #[test]
    fn list_body_validation() {
        let q = ListQuery::parse(b"").map_err(|_| ()).unwrap();
        assert_eq!((q.offset, q.limit, q.sort, q.descending), (0, 10, Sort::CreateTime, true));
        let q = ListQuery::parse(
            br#"{"offset":3,"limit":50,"sort_by":"name","order":"asc","filters":[{"key":"phase","operator":"in","value":["Running"]}]}"#,
        )
        .map_err(|_| ())
        .unwrap();
        assert_eq!((q.offset, q.limit, q.sort, q.descending, q.filters.len()), (3, 50, Sort::Name, false, 1));
        let bad: &[(&[u8], &str)] = &[
            (b"{", "ModelArts.2787"),
            (b"[]", "ModelArts.2787"),
            (br#"{"limit":0}"#, "ModelArts.2788"),
            (br#"{"limit":51}"#, "ModelArts.2788"),
            (br#"{"offset":-1}"#, "ModelArts.2788"),
            (br#"{"limit":"5"}"#, "ModelArts.2788"),
            (br#"{"sort_by":"flavor"}"#, "ModelArts.2790"),
            (br#"{"order":"up"}"#, "ModelArts.2788"),
            (br#"{"filters":[{"key":"flavor","operator":"in","value":["x"]}]}"#, "ModelArts.2789"),
            (br#"{"filters":[{"key":"name","operator":"eq","value":["x"]}]}"#, "ModelArts.2788"),
            (br#"{"filters":[{"key":"name","operator":"in","value":"x"}]}"#, "ModelArts.2788"),
            (br#"{"filters":[{"key":"name","operator":"between","value":["a","b"]}]}"#, "ModelArts.2788"),
            (br#"{"filters":[{"key":"create_time","operator":"between","value":["1"]}]}"#, "ModelArts.2788"),
            (br#"{"filters":{}}"#, "ModelArts.2788"),
        ];
        for (body, code) in bad {
            let a =
                ListQuery::parse(body).err().unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(body)));
            let v: Value = serde_json::from_slice(&a.body).unwrap();
            assert_eq!(v["error_code"], *code, "{}", String::from_utf8_lossy(body));
            assert_eq!(a.status, StatusCode::BAD_REQUEST);
        }
    }

    #[test]
    fn action_body_validation() {
        assert!(check_action(br#"{"action_type": "terminate"}"#).is_ok());
        for body in [&b""[..], b"{}", br#"{"action_type":"start"}"#, b"[1]"] {
            assert!(check_action(body).is_err(), "{}", String::from_utf8_lossy(body));
        }
    }
}
