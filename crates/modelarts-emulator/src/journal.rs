//! The request journal: one entry per API request, so tests can assert what the client did
//! ("the stop took effect exactly once", "the third attempt carried a valid signature").
//!
//! Secrets never enter it: `Authorization`, `X-Auth-Token`, `X-Security-Token` and
//! `X-Metadata-Token` values are replaced by `<redacted>` when the entry is made (bodies, which may
//! hold passwords, are not recorded).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::faults::{FaultStep, Route};

/// Whether a request passed authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthResult {
    /// Auth mode `off`: nothing was checked.
    NotChecked,
    /// The token or signature was valid.
    Accepted,
    /// It was not (answered 401 in `enforce` mode, served anyway in `log` mode).
    Rejected,
}

/// How a request authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthScheme {
    /// No credentials were found (or auth was off).
    None,
    /// `X-Auth-Token`.
    Token,
    /// `Authorization: SDK-HMAC-SHA256 …`
    AkSk,
}

/// The auth outcome of one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthRecord {
    /// Accepted, rejected or not checked.
    pub result: AuthResult,
    /// Token, AK/SK or none.
    pub scheme: AuthScheme,
    /// The access key named by the `Authorization` header, if any.
    pub access_key: Option<String>,
    /// Why it was rejected: the text after `Incorrect IAM authentication information: `.
    pub reason: Option<String>,
}

impl AuthRecord {
    pub(crate) fn not_checked() -> Self {
        Self { result: AuthResult::NotChecked, scheme: AuthScheme::None, access_key: None, reason: None }
    }
}

/// One API request as the emulator saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JournalEntry {
    /// Arrival order, from 1.
    pub seq: u64,
    /// Arrival time on the emulator clock, epoch ms.
    pub time_ms: u64,
    /// The `X-Request-Id` of the answer (also set when no answer was sent).
    pub request_id: String,
    /// `HTTP/1.1` or `HTTP/2.0`.
    pub http_version: String,
    /// HTTP method.
    pub method: String,
    /// Path as received.
    pub path: String,
    /// Query string as received, without `?`.
    pub query: Option<String>,
    /// Which operation the path and method name.
    pub route: Route,
    /// Job id from the path, if numeric.
    pub job_id: Option<u64>,
    /// v2 training job id from the path (lower case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_job_id: Option<String>,
    /// Version id from the path, if numeric.
    pub version_id: Option<u64>,
    /// 1 for the first request with this route, job id and version id; counts up (reset with the
    /// journal).
    pub attempt: u32,
    /// Request headers in arrival order, names lower-case, secrets redacted.
    pub headers: Vec<(String, String)>,
    /// The auth outcome.
    pub auth: AuthRecord,
    /// True when the throttle mode answered 429.
    pub throttled: bool,
    /// The fault step applied, if any (a `pass` step is recorded as such).
    pub fault: Option<FaultStep>,
    /// The status answered; `None` when the connection was closed without an answer.
    pub status: Option<u16>,
    /// True when this request moved a version to KILLING.
    pub effective_stop: bool,
}

impl JournalEntry {
    /// The value of a request header (first occurrence; name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Header names whose values are never recorded.
const REDACTED: [&str; 4] = ["authorization", "x-auth-token", "x-security-token", "x-metadata-token"];

/// Copies headers for the journal, redacting secrets.
pub(crate) fn redact_headers(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = if REDACTED.contains(&name.as_str()) {
                "<redacted>".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), value)
        })
        .collect()
}

/// The journal: a bounded queue (oldest entries dropped first).
#[derive(Debug)]
pub(crate) struct Journal {
    entries: VecDeque<JournalEntry>,
    limit: usize,
    dropped: u64,
}

impl Journal {
    pub(crate) fn new(limit: usize) -> Self {
        Self { entries: VecDeque::new(), limit, dropped: 0 }
    }

    pub(crate) fn push(&mut self, entry: JournalEntry) {
        if self.limit == 0 {
            self.dropped += 1;
            return;
        }
        if self.entries.len() >= self.limit {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(entry);
    }

    /// Entries in arrival order (they are pushed when answered, which may differ).
    pub(crate) fn entries(&self) -> Vec<JournalEntry> {
        let mut out: Vec<JournalEntry> = self.entries.iter().cloned().collect();
        out.sort_by_key(|e| e.seq);
        out
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.dropped = 0;
    }
}
