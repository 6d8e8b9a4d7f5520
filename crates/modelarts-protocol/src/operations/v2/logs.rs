//! The v2 logs and events of a training job: the log preview of one task
//! (`GET /v2/{project_id}/training-jobs/{id}/tasks/{task_id}/logs/preview`), the temporary OBS
//! address of its whole log (`GET …/tasks/{task_id}/logs/url`, preview or download by the
//! `Content-Type` header), and the job's events (`GET …/training-jobs/{id}/events?…`).
//!
//! Uncertain points, recorded here: the preview has no paging parameters (the service answers
//! the whole log up to a limit, else its latest part, with `current_size` and `full_size`); the
//! events answer's shape is not documented in the references this crate was written from: it is
//! read as `{"events":[{time, level, message, source}], "total"}`, every field optional.
//!
//! ```
//! use modelarts_protocol::operations::Operation;
//! use modelarts_protocol::operations::v2::logs::{ListEvents, ShowLogPreview};
//! use modelarts_protocol::Endpoint;
//!
//! let project = "0123456789abcdef0123456789abcdef".parse()?;
//! let job = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab".parse()?;
//! let preview = ShowLogPreview::new(project, job, "worker-0")?;
//! let request = preview.build_request(&Endpoint::for_region("eu-de")?)?;
//! assert!(request.uri().path().ends_with("/tasks/worker-0/logs/preview"));
//! let answer = http::Response::builder().status(200)
//!     .body(bytes::Bytes::from_static(br#"{"context":"old field\n"}"#))?;
//! assert_eq!(ShowLogPreview::parse_response(answer)?.text(), "old field\n");
//! # let _ = ListEvents::new("0123456789abcdef0123456789abcdef".parse()?, "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab".parse()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response};

use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError};
use crate::ids::ProjectId;
use crate::operations::list_training_jobs::Order;
use crate::operations::logs::check_name;
use crate::operations::{Operation, push_query, request};
use crate::v2::{EventList, LogPreview, LogUrl, TrainingJobId};

/// The largest events page the API documents.
pub const MAX_EVENTS_LIMIT: u32 = 100;
/// The longest `pattern` the API documents.
pub const MAX_PATTERN_CHARS: usize = 256;

fn task_path(project_id: &ProjectId, id: &TrainingJobId, task: &str, tail: &str) -> String {
    format!(
        "/v2/{project_id}/training-jobs/{id}/tasks/{}/logs/{tail}",
        crate::signing::encode_component(task)
    )
}

/// Input of the log preview of one task.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShowLogPreview {
    /// The project.
    pub project_id: ProjectId,
    /// The job.
    pub training_job_id: TrainingJobId,
    /// The task, e.g. `worker-0` (one of the job's `status.tasks`).
    pub task: String,
}

impl ShowLogPreview {
    /// The preview of `task`'s log; the task name must be 1 to 256 characters without `/` or
    /// control characters.
    pub fn new(
        project_id: ProjectId,
        training_job_id: TrainingJobId,
        task: impl Into<String>,
    ) -> Result<Self, BuildError> {
        let task = task.into();
        check_name("task", &task)?;
        Ok(Self { project_id, training_job_id, task })
    }
}

impl Operation for ShowLogPreview {
    type Output = LogPreview;
    const NAME: &'static str = "v2_show_log_preview";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        check_name("task", &self.task)?;
        let path = task_path(&self.project_id, &self.training_job_id, &self.task, "preview");
        request(Method::GET, endpoint, &self.project_id, &path, "")
    }

    fn parse_response(response: Response<Bytes>) -> Result<LogPreview, ResponseError> {
        super::parse_object(response)
    }
}

/// What kind of temporary address to ask for.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LogUrlKind {
    /// `Content-Type: text/plain`: an address to view the log in a browser.
    #[default]
    Preview,
    /// `Content-Type: application/octet-stream`: an address to download it.
    Download,
}

/// Input of the temporary OBS address of one task's whole log.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShowLogUrl {
    /// The project.
    pub project_id: ProjectId,
    /// The job.
    pub training_job_id: TrainingJobId,
    /// The task, e.g. `worker-0`.
    pub task: String,
    /// Preview or download.
    pub kind: LogUrlKind,
}

impl ShowLogUrl {
    /// The address of `task`'s log.
    pub fn new(
        project_id: ProjectId,
        training_job_id: TrainingJobId,
        task: impl Into<String>,
        kind: LogUrlKind,
    ) -> Result<Self, BuildError> {
        let task = task.into();
        check_name("task", &task)?;
        Ok(Self { project_id, training_job_id, task, kind })
    }
}

impl Operation for ShowLogUrl {
    type Output = LogUrl;
    const NAME: &'static str = "v2_show_log_url";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        check_name("task", &self.task)?;
        let path = task_path(&self.project_id, &self.training_job_id, &self.task, "url");
        let mut request = request(Method::GET, endpoint, &self.project_id, &path, "")?;
        let content_type = match self.kind {
            LogUrlKind::Preview => "text/plain",
            LogUrlKind::Download => "application/octet-stream",
        };
        request.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        Ok(request)
    }

    fn parse_response(response: Response<Bytes>) -> Result<LogUrl, ResponseError> {
        super::parse_object(response)
    }
}

/// The level of an event (`level`).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventLevel {
    /// `Info`.
    Info,
    /// `Warning`.
    Warning,
    /// `Error`.
    Error,
}

impl EventLevel {
    /// The API's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "Info",
            Self::Warning => "Warning",
            Self::Error => "Error",
        }
    }
}

impl std::str::FromStr for EventLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" => Ok(Self::Info),
            "warning" | "warn" => Ok(Self::Warning),
            "error" => Ok(Self::Error),
            other => Err(format!("unknown event level {other:?}: expected Info, Warning or Error")),
        }
    }
}

/// Input of the events list. Every filter is optional; the API's defaults apply when absent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListEvents {
    /// The project.
    pub project_id: ProjectId,
    /// The job.
    pub training_job_id: TrainingJobId,
    /// Events to skip.
    pub offset: Option<u32>,
    /// Events per page, 1..=100 (API default 50).
    pub limit: Option<u32>,
    /// Sort order by time.
    pub order: Option<Order>,
    /// The time range, both ends together (as the API demands), epoch ms.
    pub time_range: Option<(i64, i64)>,
    /// Only events of this level.
    pub level: Option<EventLevel>,
    /// Only events whose message contains this text (at most 256 characters).
    pub pattern: Option<String>,
}

impl ListEvents {
    /// The first page of `training_job_id`'s events.
    pub fn new(project_id: ProjectId, training_job_id: TrainingJobId) -> Self {
        Self {
            project_id,
            training_job_id,
            offset: None,
            limit: None,
            order: None,
            time_range: None,
            level: None,
            pattern: None,
        }
    }
}

impl Operation for ListEvents {
    type Output = EventList;
    const NAME: &'static str = "v2_list_events";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        if let Some(limit) = self.limit
            && !(1..=MAX_EVENTS_LIMIT).contains(&limit)
        {
            return Err(BuildError::InvalidParameter {
                name: "limit",
                value: limit.to_string(),
                reason: "events come in pages of 1 to 100",
            });
        }
        if let Some((start, end)) = self.time_range
            && start > end
        {
            return Err(BuildError::InvalidParameter {
                name: "time range",
                value: format!("{start}..{end}"),
                reason: "the start is after the end",
            });
        }
        if let Some(p) = &self.pattern
            && (p.chars().count() > MAX_PATTERN_CHARS || p.chars().any(char::is_control))
        {
            return Err(BuildError::InvalidParameter {
                name: "pattern",
                value: p.chars().take(64).filter(|c| !c.is_control()).collect(),
                reason: "at most 256 characters, without control characters",
            });
        }
        let path = format!("/v2/{}/training-jobs/{}/events", self.project_id, self.training_job_id);
        // Canonical order: keys sorted.
        let mut query = String::new();
        if let Some((_, end)) = self.time_range {
            push_query(&mut query, "end_time", &end.to_string());
        }
        if let Some(level) = self.level {
            push_query(&mut query, "level", level.as_str());
        }
        if let Some(limit) = self.limit {
            push_query(&mut query, "limit", &limit.to_string());
        }
        if let Some(offset) = self.offset {
            push_query(&mut query, "offset", &offset.to_string());
        }
        if let Some(order) = self.order {
            push_query(&mut query, "order", if order == Order::Asc { "asc" } else { "desc" });
        }
        if let Some(p) = &self.pattern {
            push_query(&mut query, "pattern", p);
        }
        if let Some((start, _)) = self.time_range {
            push_query(&mut query, "start_time", &start.to_string());
        }
        request(Method::GET, endpoint, &self.project_id, &path, &query)
    }

    fn parse_response(response: Response<Bytes>) -> Result<EventList, ResponseError> {
        super::parse_object(response)
    }
}
