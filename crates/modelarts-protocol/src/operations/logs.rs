//! The v1 logs of a training-job version: the log file names
//! (`GET /v1/{project_id}/training-jobs/{job_id}/versions/{version_id}/log/file-names`) and one
//! page of a file's lines (`GET …/aom-log?base_line=B&lines=N&log_file=F&order=desc|asc`).
//!
//! `lines` is documented as 0..=500 (default 50): a larger page is refused by
//! [`ShowAomLog::build_request`] with a [`BuildError`], before anything is sent. The documented
//! directions read backwards on purpose: `desc` asks for the lines *after* `base_line` (the next
//! records), `asc` for the lines before it; without `base_line` the service answers the latest
//! lines. Line positions (`start_line`, `end_line`) may arrive as numbers or strings; the
//! follow cursor in [`crate::logs`] reads them.
//!
//! ```
//! use modelarts_protocol::operations::Operation;
//! use modelarts_protocol::operations::logs::{LogOrder, ShowAomLog};
//! use modelarts_protocol::Endpoint;
//!
//! let page = ShowAomLog::new("0123456789abcdef0123456789abcdef".parse()?, "10".parse()?, "3".parse()?, "worker-0.log")
//!     .lines(100)
//!     .after("1551252759254000002");
//! let request = page.build_request(&Endpoint::for_region("eu-de")?)?;
//! assert_eq!(request.uri().query(), Some("base_line=1551252759254000002&lines=100&log_file=worker-0.log&order=desc"));
//! assert!(ShowAomLog::new("0123456789abcdef0123456789abcdef".parse()?, "10".parse()?, "3".parse()?, "f").lines(501)
//!     .build_request(&Endpoint::for_region("eu-de")?).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use bytes::Bytes;
use http::{Method, Request, Response};

use super::{Operation, parse_json, push_query, request};
use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError};
use crate::ids::{JobId, ProjectId, VersionId};
use crate::v1::model::{AomLog, LogFileNames};

/// The largest page of `aom-log` the API documents.
pub const MAX_AOM_LINES: u32 = 500;
/// The API's page size when `lines` is absent.
pub const DEFAULT_AOM_LINES: u32 = 50;

/// Input of "log file names".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListLogFileNames {
    /// The project.
    pub project_id: ProjectId,
    /// The job.
    pub job_id: JobId,
    /// The version.
    pub version_id: VersionId,
}

impl ListLogFileNames {
    /// The log files of `version_id` of `job_id`.
    pub fn new(project_id: ProjectId, job_id: JobId, version_id: VersionId) -> Self {
        Self { project_id, job_id, version_id }
    }
}

impl Operation for ListLogFileNames {
    type Output = LogFileNames;
    const NAME: &'static str = "list_log_file_names";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        let path = format!(
            "/v1/{}/training-jobs/{}/versions/{}/log/file-names",
            self.project_id, self.job_id, self.version_id
        );
        request(Method::GET, endpoint, &self.project_id, &path, "")
    }

    fn parse_response(response: Response<Bytes>) -> Result<LogFileNames, ResponseError> {
        parse_json(response)
    }
}

/// The `order` of an `aom-log` page, as the API names it.
///
/// Exhaustive on purpose: the API reads a page in these two directions only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LogOrder {
    /// `desc`: the lines after `base_line` (the API's "next records").
    #[default]
    Next,
    /// `asc`: the lines before `base_line` (the API's "previous records").
    Previous,
}

impl LogOrder {
    /// The query value: `desc` or `asc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "desc",
            Self::Previous => "asc",
        }
    }
}

/// Input of one `aom-log` page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShowAomLog {
    /// The project.
    pub project_id: ProjectId,
    /// The job.
    pub job_id: JobId,
    /// The version.
    pub version_id: VersionId,
    /// The log file (one of [`LogFileNames::log_file_list`]).
    pub log_file: String,
    /// Lines per page, 0..=500; the API's 50 when `None`.
    pub lines: Option<u32>,
    /// The position to read from (an `end_line` or `start_line` of an earlier answer); the latest
    /// lines when `None`.
    pub base_line: Option<String>,
    /// Which side of `base_line` to read.
    pub order: LogOrder,
}

impl ShowAomLog {
    /// The latest lines of `log_file`.
    pub fn new(
        project_id: ProjectId,
        job_id: JobId,
        version_id: VersionId,
        log_file: impl Into<String>,
    ) -> Self {
        Self {
            project_id,
            job_id,
            version_id,
            log_file: log_file.into(),
            lines: None,
            base_line: None,
            order: LogOrder::Next,
        }
    }

    /// Sets the page size (checked when the request is built: 0..=500).
    #[must_use]
    pub fn lines(mut self, lines: u32) -> Self {
        self.lines = Some(lines);
        self
    }

    /// Reads the lines after `base_line`.
    #[must_use]
    pub fn after(mut self, base_line: impl Into<String>) -> Self {
        self.base_line = Some(base_line.into());
        self.order = LogOrder::Next;
        self
    }

    /// Reads the lines before `base_line`.
    #[must_use]
    pub fn before(mut self, base_line: impl Into<String>) -> Self {
        self.base_line = Some(base_line.into());
        self.order = LogOrder::Previous;
        self
    }
}

/// Checks a page size against the documented 0..=500.
pub fn check_lines(lines: u32) -> Result<u32, BuildError> {
    if lines > MAX_AOM_LINES {
        return Err(BuildError::InvalidParameter {
            name: "lines",
            value: lines.to_string(),
            reason: "the log API returns at most 500 lines per request (0..=500)",
        });
    }
    Ok(lines)
}

/// A log file name or task name: 1..=256 characters, no control characters, no `/`.
pub(crate) fn check_name(name: &'static str, value: &str) -> Result<(), BuildError> {
    let bad = value.is_empty()
        || value.chars().count() > 256
        || value.chars().any(|c| c.is_control() || c == '/' || c == '\\');
    if bad {
        return Err(BuildError::InvalidParameter {
            name,
            value: value.chars().take(64).filter(|c| !c.is_control()).collect(),
            reason: "expected 1 to 256 characters, without '/', '\\' or control characters",
        });
    }
    Ok(())
}

impl Operation for ShowAomLog {
    type Output = AomLog;
    const NAME: &'static str = "show_aom_log";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        check_name("log_file", &self.log_file)?;
        let lines = self.lines.map(check_lines).transpose()?;
        let path = format!(
            "/v1/{}/training-jobs/{}/versions/{}/aom-log",
            self.project_id, self.job_id, self.version_id
        );
        // Canonical order: keys sorted.
        let mut query = String::new();
        if let Some(base) = &self.base_line {
            if base.is_empty() || !base.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BuildError::InvalidParameter {
                    name: "base_line",
                    value: base.chars().take(64).filter(|c| !c.is_control()).collect(),
                    reason: "expected a line position (digits) from an earlier answer",
                });
            }
            push_query(&mut query, "base_line", base);
        }
        if let Some(lines) = lines {
            push_query(&mut query, "lines", &lines.to_string());
        }
        push_query(&mut query, "log_file", &self.log_file);
        push_query(&mut query, "order", self.order.as_str());
        request(Method::GET, endpoint, &self.project_id, &path, &query)
    }

    fn parse_response(response: Response<Bytes>) -> Result<AomLog, ResponseError> {
        parse_json(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::v2::logs::{ListEvents, ShowLogPreview};

    fn answer(status: u16, body: &str) -> Response<Bytes> {
        Response::builder().status(status).body(Bytes::from(body.to_owned())).unwrap_or_default()
    }

    /// Answers as they come (numbers as strings, nulls, missing fields) and as they should not
    /// (garbage): a value or a typed error, never a panic.
    #[test]
    fn aom_answers_table() {
        let ok: &[(&str, &str, Option<&str>, Option<i64>)] = &[
            (
                r#"{"is_success":true,"content":"a\nb","lines":"2","start_line":1,"end_line":"2"}"#,
                "a\nb",
                Some("2"),
                Some(2),
            ),
            (
                r#"{"is_success":true,"content":null,"lines":null,"start_line":null,"end_line":null}"#,
                "",
                None,
                None,
            ),
            (
                r#"{"content":"x","end_line":1551252759254000003,"lines":1}"#,
                "x",
                Some("1551252759254000003"),
                Some(1),
            ),
            (r#"{}"#, "", None, None),
        ];
        for (body, content, end, lines) in ok {
            let page =
                ShowAomLog::parse_response(answer(200, body)).unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(
                (page.content.as_str(), page.end_line.as_deref(), page.lines),
                (*content, *end, *lines),
                "{body}"
            );
        }
        let bad = [r#"["content"]"#, r#"{"content":{"a":1}}"#, "not json", r#"{"lines":"many"}"#];
        for body in bad {
            assert!(
                matches!(ShowAomLog::parse_response(answer(200, body)), Err(ResponseError::Malformed { .. })),
                "{body}"
            );
        }
        let refused = ShowAomLog::parse_response(answer(
            200,
            r#"{"is_success":false,"error_code":"ModelArts.0806","error_message":"log download failed"}"#,
        ));
        assert!(matches!(refused, Err(ResponseError::Api(e)) if e.code.as_deref() == Some("ModelArts.0806")));
        let names = ListLogFileNames::parse_response(answer(
            200,
            r#"{"is_success":true,"log_file_list":["a.log",7,null]}"#,
        ));
        assert_eq!(names.map(|n| n.log_file_list).ok(), Some(vec!["a.log".to_owned(), "7".to_owned()]));
        let names = ListLogFileNames::parse_response(answer(200, r#"{"log_file_list":null}"#));
        assert_eq!(names.map(|n| n.log_file_list.len()).ok(), Some(0));
    }

    #[test]
    fn v2_answers_table() {
        let p = ShowLogPreview::parse_response(answer(
            200,
            r#"{"content":"new","context":"old","full_size":"12"}"#,
        ));
        assert_eq!(p.as_ref().map(|p| (p.text(), p.full_size)).ok(), Some(("new", Some(12))));
        let p = ShowLogPreview::parse_response(answer(200, r#"{"context":"old"}"#));
        assert_eq!(p.as_ref().map(|p| p.text()).ok(), Some("old"));
        assert!(ShowLogPreview::parse_response(answer(200, "[1]")).is_err());
        let e = ListEvents::parse_response(answer(
            200,
            r#"{"events":[{"time":1700000000000,"level":"Error","message":"x"},{}],"total":"2"}"#,
        ));
        let e = e.unwrap_or_default();
        assert_eq!((e.events.len(), e.total), (2, Some(2)));
        assert_eq!(e.events[0].time.as_deref(), Some("1700000000000"));
        assert!(ListEvents::parse_response(answer(200, r#"{"events":"none"}"#)).is_err());
        let refused =
            ListEvents::parse_response(answer(400, r#"{"error_code":"ModelArts.2788","error_msg":"bad"}"#));
        assert!(matches!(refused, Err(ResponseError::Api(e)) if e.http_status == 400));
    }

    #[test]
    fn request_checks_table() {
        let p: ProjectId = "0123456789abcdef0123456789abcdef".parse().unwrap();
        let (j, v): (JobId, VersionId) = ("10".parse().unwrap(), "3".parse().unwrap());
        let endpoint = Endpoint::for_region("eu-de").unwrap();
        let page = |f: &str| ShowAomLog::new(p.clone(), j, v, f);
        let cases: Vec<(ShowAomLog, bool)> = vec![
            (page("a.log").lines(0), true),
            (page("a.log").lines(500), true),
            (page("a.log").lines(501), false),
            (page("a.log").lines(u32::MAX), false),
            (page(""), false),
            (page("../x"), false),
            (page("a\u{1b}b"), false),
            (page("a.log").after("12a"), false),
            (page("a.log").before("7"), true),
        ];
        for (op, ok) in cases {
            assert_eq!(op.build_request(&endpoint).is_ok(), ok, "{op:?}");
        }
        let q =
            page("a b.log").before("7").build_request(&endpoint).map(|r| r.uri().query().map(str::to_owned));
        assert_eq!(q.ok().flatten().as_deref(), Some("base_line=7&log_file=a%20b.log&order=asc"));
    }
}
