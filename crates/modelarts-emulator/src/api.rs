//! The API surface (v1 here, the v2 operations in `v2_api`): routing, parameter validation, the auth/throttle/fault pipeline, error bodies,
//! response headers and the journal entry of every request.
//!
//! Pipeline of one request: route → body → begin (attempt, throttle, fault step) → auth check →
//! `delay_ms` → `reset_before` → throttle / unknown route / replacement fault / auth rejection →
//! the operation → `reset_after_effect` → body modifiers → response, journal entry.

use std::borrow::Cow;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use percent_encoding::percent_decode_str;
use serde_json::Value;

use crate::auth::{self, AuthContext, AuthMode};
use crate::body::ResponseBody;
use crate::config::{AlreadyStoppedPolicy, ErrorField, Settings};
use crate::faults::{self, FaultStep, Route};
use crate::journal::{AuthRecord, AuthResult, JournalEntry, redact_headers};
use crate::model::{StopOutcome, status};
use crate::state::{ListQuery, NotFound, Shared, SortBy, to_ms};

/// A response as the server sends it.
pub(crate) type HttpResponse = Response<ResponseBody>;

/// Returned to hyper to close the connection without a response (reset faults).
#[derive(Debug)]
pub(crate) struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DropConnection {}

/// What the server knows about the connection a request came on.
pub(crate) struct ConnInfo {
    pub(crate) peer: SocketAddr,
    /// Set to make the connection end with a TCP reset (see `server::ResettableStream`).
    pub(crate) reset: Arc<AtomicBool>,
}

impl ConnInfo {
    /// Ends the request without an answer, as a fault asks. Over HTTP/1.1 that is the connection
    /// (a TCP reset); over HTTP/2 only the request's own stream is reset, so that one fault does not
    /// also fail the other requests multiplexed on the connection.
    fn reset_for(&self, version: http::Version) {
        if version != http::Version::HTTP_2 {
            self.reset.store(true, Ordering::Relaxed);
        }
    }
}

/// Entry point for every request on every connection.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    conn: Arc<ConnInfo>,
    req: Request<Incoming>,
) -> Result<HttpResponse, DropConnection> {
    let path = req.uri().path();
    if path == "/__emulator" || path.starts_with("/__emulator/") {
        return Ok(crate::admin::handle(&shared, &conn, req).await);
    }
    api(&shared, &conn, req).await
}

/// An id segment of the path.
#[derive(Debug, Clone)]
enum Id {
    Absent,
    Valid(u64),
    Invalid(String),
}

impl Id {
    fn parse(segment: &str) -> Self {
        match segment.parse::<u64>() {
            Ok(n) if segment.bytes().all(|b| b.is_ascii_digit()) => Id::Valid(n),
            _ => Id::Invalid(segment.to_owned()),
        }
    }

    fn value(&self) -> Option<u64> {
        match self {
            Id::Valid(n) => Some(*n),
            _ => None,
        }
    }
}

struct Target {
    route: Route,
    project_ok: bool,
    job: Id,
    version: Id,
    /// The v2 routes' target.
    v2: Option<crate::v2_api::V2Target>,
}

impl Target {
    fn ids(&self) -> faults::Target<'_> {
        faults::Target {
            job_id: self.job.value(),
            version_id: self.version.value(),
            training_job_id: self.v2.as_ref().and_then(|t| t.id.as_deref()),
        }
    }
}

/// Routes a request. With `v1_absent` every `/v1/{project}/training-jobs…` path is an unknown API
/// (404 `APIG.0101`), as on a cloud that retired the v1 training-job API.
fn route(method: &Method, path: &str, project_id: &str, v1_absent: bool) -> Target {
    if let Some(identity) = crate::iam::route(method, path) {
        return Target { route: identity, project_ok: true, job: Id::Absent, version: Id::Absent, v2: None };
    }
    let unknown =
        Target { route: Route::Unknown, project_ok: false, job: Id::Absent, version: Id::Absent, v2: None };
    if let Some(rest) = path.strip_prefix("/v2/") {
        return match crate::v2_api::route(method, rest, project_id) {
            Some(t) => Target {
                route: t.route,
                project_ok: t.project_ok,
                job: Id::Absent,
                version: Id::Absent,
                v2: Some(t),
            },
            None => unknown,
        };
    }
    let Some(rest) = path.strip_prefix("/v1/") else {
        return unknown;
    };
    // At most seven segments (`{project}/training-jobs/{job}/versions/{version}/log/file-names`);
    // no allocation.
    let mut buffer = [""; 7];
    let mut count = 0;
    for segment in rest.split('/') {
        let Some(slot) = buffer.get_mut(count) else {
            return unknown;
        };
        *slot = segment;
        count += 1;
    }
    let segments = &buffer[..count];
    if v1_absent && segments.get(1) == Some(&"training-jobs") {
        return unknown;
    }
    let (route, job, version) = match (method, segments) {
        (&Method::GET, [_, "workspaces"]) => (Route::Workspaces, None, None),
        (&Method::GET, [_, "training-jobs"]) => (Route::List, None, None),
        (&Method::GET, [_, "training-jobs", job, "versions"]) => (Route::Versions, Some(*job), None),
        (&Method::GET, [_, "training-jobs", job, "versions", version]) => {
            (Route::Show, Some(*job), Some(*version))
        }
        (&Method::POST, [_, "training-jobs", job, "versions", version, "stop"]) => {
            (Route::Stop, Some(*job), Some(*version))
        }
        (&Method::GET, [_, "training-jobs", job, "versions", version, "aom-log"]) => {
            (Route::AomLog, Some(*job), Some(*version))
        }
        (&Method::GET, [_, "training-jobs", job, "versions", version, "log", "file-names"]) => {
            (Route::LogFileNames, Some(*job), Some(*version))
        }
        _ => return unknown,
    };
    if segments.iter().any(|s| s.is_empty()) {
        return unknown;
    }
    Target {
        route,
        project_ok: segments.first().is_some_and(|p| *p == project_id),
        job: job.map_or(Id::Absent, Id::parse),
        version: version.map_or(Id::Absent, Id::parse),
        v2: None,
    }
}

/// An answer before headers are added.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
    content_type: &'static str,
    retry_after: Option<String>,
    effective_stop: bool,
    /// Headers of identity answers (`X-Subject-Token`, `X-IAM-Trace-Id`).
    extra_headers: Vec<(&'static str, String)>,
}

impl Answer {
    fn json(status: StatusCode, body: Vec<u8>) -> Self {
        Self {
            status,
            body,
            content_type: "application/json",
            retry_after: None,
            effective_stop: false,
            extra_headers: Vec::new(),
        }
    }
}

fn status_code(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

#[derive(serde::Serialize)]
struct GatewayErrorBody<'a> {
    error_code: &'a str,
    error_msg: &'a str,
    request_id: &'a str,
}

#[derive(serde::Serialize)]
struct ModelArtsErrorBody<'a> {
    is_success: bool,
    error_code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_msg: Option<&'a str>,
}

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    // Plain structs of strings and booleans always serialise.
    serde_json::to_vec(value).unwrap_or_default()
}

/// `{"error_code":"APIG.xxxx","error_msg":…,"request_id":…}`
fn gateway_error(status: StatusCode, code: &str, msg: &str, request_id: &str) -> Answer {
    let body = GatewayErrorBody { error_code: code, error_msg: msg, request_id };
    Answer::json(status, to_json(&body))
}

/// `{"is_success":false,"error_code":"ModelArts.xxxx","error_message"|"error_msg":…}`
fn modelarts_error(status: StatusCode, code: &str, msg: &str, field: ErrorField) -> Answer {
    let body = ModelArtsErrorBody {
        is_success: false,
        error_code: code,
        error_message: (field == ErrorField::ErrorMessage).then_some(msg),
        error_msg: (field == ErrorField::ErrorMsg).then_some(msg),
    };
    Answer::json(status, to_json(&body))
}

fn invalid(msg: impl AsRef<str>, settings: &Settings) -> Answer {
    modelarts_error(StatusCode::BAD_REQUEST, "ModelArts.0101", msg.as_ref(), settings.error_field)
}

fn not_found(nf: NotFound, settings: &Settings) -> Answer {
    modelarts_error(StatusCode::BAD_REQUEST, "ModelArts.2775", &nf.message(), settings.error_field)
}

fn default_gateway_code(status: u16) -> (&'static str, &'static str) {
    match status {
        404 => ("APIG.0101", "The API does not exist or has not been published in the environment"),
        401 => ("APIG.0301", "Incorrect IAM authentication information"),
        429 => ("APIG.0308", "The throttling threshold has been reached"),
        502 => ("APIG.0202", "Backend unavailable"),
        504 => ("APIG.0203", "Backend timeout"),
        _ => ("APIG.0201", "Backend service error"),
    }
}

const HTML_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>emulated gateway</center>\r\n</body>\r\n</html>\r\n";

fn throttled(retry_after: Option<String>, detail: &str, request_id: &str) -> Answer {
    let msg = format!("The throttling threshold has been reached: {detail}");
    let mut a = gateway_error(StatusCode::TOO_MANY_REQUESTS, "APIG.0308", &msg, request_id);
    a.retry_after = retry_after;
    a
}

/// The answer a fault step gives instead of running the operation, if it has one.
fn replacement(fault: &FaultStep, request_id: &str, settings: &Settings, v2: bool) -> Option<Answer> {
    if let Some(code) = fault.status {
        let status = status_code(code);
        if let Some(body) = &fault.body {
            let bytes = match body {
                Value::String(s) => s.clone().into_bytes(),
                other => other.to_string().into_bytes(),
            };
            return Some(Answer::json(status, bytes));
        }
        let (default_code, default_msg) = default_gateway_code(code);
        let error_code = fault.error_code.as_deref().unwrap_or(default_code);
        let msg = fault.error_msg.as_deref().unwrap_or(default_msg);
        return Some(gateway_error(status, error_code, msg, request_id));
    }
    if fault.not_found && v2 {
        let a = crate::v2_api::error(StatusCode::NOT_FOUND, "ModelArts.2775", "Training job not found");
        return Some(Answer::json(a.status, a.body));
    }
    if fault.not_found {
        return Some(modelarts_error(
            StatusCode::NOT_FOUND,
            "ModelArts.2775",
            "The training job does not exist",
            settings.error_field,
        ));
    }
    if let Some(t) = &fault.throttle {
        return Some(throttled(
            t.retry_after.as_ref().map(|r| r.header_value()),
            "policy user over ratelimit, limit:1, time:1 second",
            request_id,
        ));
    }
    if fault.html_502 {
        return Some(Answer {
            status: StatusCode::BAD_GATEWAY,
            body: HTML_502.as_bytes().to_vec(),
            content_type: "text/html",
            retry_after: None,
            effective_stop: false,
            extra_headers: Vec::new(),
        });
    }
    None
}

/// Decoded query parameters; the first occurrence of a key wins. `+` is kept literally.
pub(crate) fn query_param<'a>(query: &'a str, key: &str) -> Option<Cow<'a, str>> {
    query
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode_str(k).decode_utf8_lossy() == key)
                .then(|| percent_decode_str(v).decode_utf8_lossy())
        })
        .next()
}

fn int_param(
    query: &str,
    key: &str,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize, String> {
    match query_param(query, key) {
        None => Ok(default),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(format!(
                "Invalid {key}: {text:?} (expected an integer in {}..{})",
                range.start(),
                range.end()
            )),
        },
    }
}

fn list_query(query: &str) -> Result<ListQuery, String> {
    let status = match query_param(query, "status").filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => match text.parse::<i32>() {
            Ok(code) if status::is_known(code) => Some(code),
            _ => return Err(format!("Invalid status: {text:?} (expected a status code 0..22)")),
        },
    };
    let per_page = int_param(query, "per_page", 10, 1..=1000)?;
    let page = int_param(query, "page", 1, 1..=65535)?;
    let sort_by = match query_param(query, "sortBy").as_deref() {
        None | Some("job_name") => SortBy::JobName,
        Some("job_desc") => SortBy::JobDesc,
        Some("status") => SortBy::Status,
        Some("duration") => SortBy::Duration,
        Some("version_count") => SortBy::VersionCount,
        Some("create_time") => SortBy::CreateTime,
        Some(other) => {
            return Err(format!(
                "Invalid sortBy: {other:?} (expected job_name, job_desc, status, duration, version_count or create_time)"
            ));
        }
    };
    let descending = match query_param(query, "order").as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => return Err(format!("Invalid order: {other:?} (expected asc or desc)")),
    };
    let search = query_param(query, "search_content").unwrap_or_default();
    if search.chars().count() > 64 {
        return Err("Invalid search_content: longer than 64 characters".into());
    }
    let workspace_id = query_param(query, "workspace_id").map_or_else(|| "0".to_owned(), Cow::into_owned);
    Ok(ListQuery {
        status,
        per_page,
        page,
        sort_by,
        descending,
        search: search.into_owned(),
        workspace_id: Some(workspace_id),
    })
}

/// `log_file` (required), `base_line` (digits; absent or empty: the latest lines), `lines`
/// (0..=500, 50) and `order` (`desc`, the default: after the base line; `asc`: before it).
fn aom_query(query: &str) -> Result<(String, Option<u64>, u64, bool), String> {
    let file = query_param(query, "log_file").filter(|f| !f.is_empty()).ok_or("log_file is required")?;
    let base = match query_param(query, "base_line").as_deref().map(str::trim) {
        None | Some("") => None,
        Some(b) => Some(b.parse::<u64>().map_err(|_| format!("Invalid base_line: {b:?}"))?),
    };
    let lines = int_param(query, "lines", 50, 0..=500)? as u64;
    let next = match query_param(query, "order").as_deref() {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(other) => return Err(format!("Invalid order: {other:?} (expected desc or asc)")),
    };
    Ok((file.into_owned(), base, lines, next))
}

fn already_stopped(code: i32, settings: &Settings) -> Answer {
    let msg = format!(
        "The training job version is in status {} ({code}) and cannot be stopped",
        status::name(code)
    );
    match settings.already_stopped {
        AlreadyStoppedPolicy::BadRequest => {
            modelarts_error(StatusCode::BAD_REQUEST, "ModelArts.0105", &msg, settings.error_field)
        }
        AlreadyStoppedPolicy::Conflict => modelarts_error(
            StatusCode::CONFLICT,
            "ModelArts.2796",
            "The job cannot be terminated",
            settings.error_field,
        ),
        AlreadyStoppedPolicy::OkFalse => {
            modelarts_error(StatusCode::OK, "ModelArts.0105", &msg, settings.error_field)
        }
        AlreadyStoppedPolicy::Success => success(),
    }
}

fn success() -> Answer {
    Answer::json(StatusCode::OK, br#"{"is_success":true}"#.to_vec())
}

/// Runs one of the operations.
fn operate(
    shared: &Shared,
    target: &Target,
    query: &str,
    body: &[u8],
    settings: &Settings,
    now_ms: u64,
) -> Answer {
    if let Some(v2) = &target.v2 {
        let a = crate::v2_api::operate(shared, v2, query, body, settings, now_ms);
        return Answer { effective_stop: a.effective_stop, ..Answer::json(a.status, a.body) };
    }
    if !target.project_ok {
        return modelarts_error(
            StatusCode::FORBIDDEN,
            "ModelArts.0210",
            "The project ID in the URL does not match the credentials",
            settings.error_field,
        );
    }
    let job = match &target.job {
        Id::Invalid(text) => return invalid(format!("Invalid job_id: {text:?} (expected a Long)"), settings),
        id => id.value(),
    };
    let version = match &target.version {
        Id::Invalid(text) => {
            return invalid(format!("Invalid version_id: {text:?} (expected a Long)"), settings);
        }
        id => id.value(),
    };
    match (target.route, job, version) {
        (Route::Stop, Some(job), Some(version)) => match shared.stop(job, version, now_ms) {
            Ok(StopOutcome::Effective) => Answer { effective_stop: true, ..success() },
            Ok(StopOutcome::NotStoppable(code)) => already_stopped(code, settings),
            Err(nf) => not_found(nf, settings),
        },
        (Route::Show, Some(job), Some(version)) => match shared.show(job, version, now_ms) {
            Ok(body) => Answer::json(StatusCode::OK, body),
            Err(nf) => not_found(nf, settings),
        },
        (Route::Versions, Some(job), _) => {
            let paging = int_param(query, "per_page", 10, 1..=1000)
                .and_then(|per_page| Ok((per_page, int_param(query, "page", 0, 0..=65535)?)));
            match paging {
                Err(msg) => invalid(msg, settings),
                Ok((per_page, page)) => match shared.versions(job, per_page, page, now_ms) {
                    Ok(body) => Answer::json(StatusCode::OK, body),
                    Err(nf) => not_found(nf, settings),
                },
            }
        }
        (Route::LogFileNames, Some(job), Some(version)) => {
            match shared.log_file_names(job, version, now_ms) {
                Ok(body) => Answer::json(StatusCode::OK, body.to_string().into_bytes()),
                Err(nf) => not_found(nf, settings),
            }
        }
        (Route::AomLog, Some(job), Some(version)) => match aom_query(query) {
            Err(msg) => invalid(msg, settings),
            Ok((file, base, lines, next)) => {
                match shared.aom_log(job, version, &file, base, lines, next, now_ms) {
                    Ok(Some(body)) => Answer::json(StatusCode::OK, body.to_string().into_bytes()),
                    Ok(None) => {
                        invalid(format!("Invalid log_file: {file:?} is not a log of this version"), settings)
                    }
                    Err(nf) => not_found(nf, settings),
                }
            }
        },
        (Route::List, _, _) => match list_query(query) {
            Ok(q) => Answer::json(StatusCode::OK, shared.list(&q, now_ms)),
            Err(msg) => invalid(msg, settings),
        },
        (Route::Workspaces, _, _) => match crate::workspaces::WorkspaceQuery::parse(query) {
            Ok(q) => Answer::json(StatusCode::OK, shared.workspaces(&q, now_ms)),
            Err(msg) => invalid(msg, settings),
        },
        // `route` only yields the combinations above.
        _ => gateway_error(StatusCode::NOT_FOUND, "APIG.0101", "The API does not exist", ""),
    }
}

fn version_name(version: http::Version) -> &'static str {
    match version {
        http::Version::HTTP_09 => "HTTP/0.9",
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_11 => "HTTP/1.1",
        http::Version::HTTP_2 => "HTTP/2.0",
        http::Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/?",
    }
}

/// The `Date` header for the emulator clock, formatted once per second per thread.
fn date_header(now: std::time::SystemTime) -> HeaderValue {
    thread_local! {
        static CACHE: std::cell::RefCell<(u64, HeaderValue)> =
            const { std::cell::RefCell::new((u64::MAX, HeaderValue::from_static(""))) };
    }
    let secs = now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != secs {
            *cache = (secs, header_value(&httpdate::fmt_http_date(now)));
        }
        cache.1.clone()
    })
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// Adds `Content-Type`, `X-Request-Id`, `Date` (emulator clock) and `Retry-After`.
pub(crate) fn respond(
    shared: &Shared,
    status: StatusCode,
    content_type: &'static str,
    request_id: Option<&str>,
    retry_after: Option<&str>,
    body: ResponseBody,
) -> HttpResponse {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(id) = request_id {
        headers.insert("x-request-id", header_value(id));
    }
    headers.insert(header::DATE, date_header(shared.now()));
    if let Some(r) = retry_after {
        headers.insert(header::RETRY_AFTER, header_value(r));
    }
    response
}

async fn api(
    shared: &Arc<Shared>,
    conn: &ConnInfo,
    req: Request<Incoming>,
) -> Result<HttpResponse, DropConnection> {
    let now = shared.now();
    let now_ms = to_ms(now);
    let request_id = shared.next_request_id();
    let (parts, body) = req.into_parts();
    let mut target =
        route(&parts.method, parts.uri.path(), &shared.config.project_id, shared.config.v1_absent);
    if let Some(v2) = target.v2.as_mut() {
        v2.download = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().starts_with("application/octet-stream"));
    }
    let body = tokio::time::timeout(
        shared.config.body_read_timeout,
        Limited::new(body, shared.config.max_request_body).collect(),
    )
    .await;
    let _stop_in_flight = matches!(target.route, Route::Stop | Route::V2Terminate)
        .then(|| crate::state::StopInFlight::enter(shared));
    let begin = shared.begin(target.route, target.ids(), now_ms);
    let settings = begin.settings;

    let mut entry = JournalEntry {
        seq: begin.seq,
        time_ms: now_ms,
        request_id: request_id.clone(),
        http_version: version_name(parts.version).to_owned(),
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        route: target.route,
        job_id: target.job.value(),
        version_id: target.version.value(),
        training_job_id: target.v2.as_ref().and_then(|t| t.id.clone()),
        attempt: begin.attempt,
        headers: redact_headers(&parts.headers),
        auth: AuthRecord::not_checked(),
        throttled: begin.throttled.is_some(),
        fault: begin.fault.clone(),
        status: None,
        effective_stop: false,
    };

    let body = match body {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_none() => {
            // The client's body broke off (a reset, a truncated chunk): nobody is left to answer.
            entry.status = None;
            shared.record(entry);
            return Err(DropConnection);
        }
        failed => {
            let a = if failed.is_err() {
                gateway_error(StatusCode::REQUEST_TIMEOUT, "APIG.0408", "Request body timed out", &request_id)
            } else {
                gateway_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "APIG.0201",
                    "Request entity too large",
                    &request_id,
                )
            };
            entry.status = Some(a.status.as_u16());
            shared.record(entry);
            let response = respond(
                shared,
                a.status,
                a.content_type,
                Some(&request_id),
                None,
                ResponseBody::full(a.body),
            );
            return Ok(response);
        }
    };

    // The logins and the metadata service authenticate by their body or not at all.
    let open_route = matches!(
        target.route,
        Route::Unknown
            | Route::IamTokens
            | Route::IamIdTokens
            | Route::MetadataToken
            | Route::MetadataSecurityKey
            | Route::PodIdentity
    );
    if settings.auth != AuthMode::Off && !open_route {
        let ctx = AuthContext {
            credentials: &shared.config.credentials,
            project_id: &shared.config.project_id,
            now,
            tolerance: shared.config.auth_tolerance,
            issued: &shared.iam,
            identity_route: target.route.is_identity(),
            ak_lock: shared.config.ak_lock,
        };
        entry.auth = auth::check(&parts, &body, &ctx);
    }

    let fault = begin.fault.unwrap_or_default();
    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if fault.reset_before {
        shared.record(entry);
        conn.reset_for(parts.version);
        return Err(DropConnection);
    }

    let rejected = entry.auth.result == AuthResult::Rejected;
    let answer = if let Some((rps, retry_after)) = begin.throttled {
        let detail = format!("policy user over ratelimit, limit:{rps}, time:1 second");
        throttled(retry_after.map(|r| r.header_value()), &detail, &request_id)
    } else if target.route == Route::Unknown {
        let (code, msg) = default_gateway_code(404);
        gateway_error(StatusCode::NOT_FOUND, code, msg, &request_id)
    } else if let Some(a) = replacement(&fault, &request_id, &settings, target.v2.is_some()) {
        a
    } else if rejected && settings.auth == AuthMode::Enforce {
        let reason = entry.auth.reason.as_deref().unwrap_or("verify aksk signature fail");
        let (code, msg) = auth::rejection(reason);
        gateway_error(StatusCode::UNAUTHORIZED, code, &msg, &request_id)
    } else {
        if rejected {
            tracing::warn!(
                reason = entry.auth.reason.as_deref().unwrap_or(""),
                path = %parts.uri.path(),
                "authentication failed; serving anyway (auth mode log)"
            );
        }
        if target.route.is_identity() {
            identity(shared, &target, &parts, &body, now_ms, &request_id)
        } else {
            operate(shared, &target, parts.uri.query().unwrap_or(""), &body, &settings, now_ms)
        }
    };
    entry.effective_stop = answer.effective_stop;

    if fault.reset_after_effect {
        shared.record(entry);
        conn.reset_for(parts.version);
        return Err(DropConnection);
    }

    let mut bytes = answer.body;
    if let Some(size) = fault.oversized
        && size > bytes.len()
    {
        bytes.resize(size, b' ');
    }
    if fault.truncated {
        bytes.truncate(bytes.len() / 2);
    }
    let content_type =
        if fault.wrong_content_type { "text/plain; charset=utf-8" } else { answer.content_type };
    let mut body = ResponseBody::full(bytes);
    if fault.incomplete_body {
        body = body.cut_in_half();
    }
    if let Some(t) = &fault.trickle {
        body = body.trickle(t.chunk_size.unwrap_or(16), Duration::from_millis(t.chunk_delay_ms));
    }
    entry.status = Some(answer.status.as_u16());
    tracing::debug!(
        seq = entry.seq,
        route = entry.route.as_str(),
        status = answer.status.as_u16(),
        "answered"
    );
    shared.record(entry);
    let mut response =
        respond(shared, answer.status, content_type, Some(&request_id), answer.retry_after.as_deref(), body);
    for (name, value) in answer.extra_headers {
        response.headers_mut().insert(name, header_value(&value));
    }
    Ok(response)
}

/// Runs an IAM or metadata route.
fn identity(
    shared: &Shared,
    target: &Target,
    parts: &http::request::Parts,
    body: &[u8],
    now_ms: u64,
    request_id: &str,
) -> Answer {
    let request = crate::iam::IdentityRequest {
        route: target.route,
        headers: &parts.headers,
        query: parts.uri.query().unwrap_or(""),
        body,
        now_ms,
        auth_token: parts.headers.get("x-auth-token").and_then(|v| v.to_str().ok()),
    };
    let a = crate::iam::Identity { config: &shared.config, state: &shared.iam }.answer(&request);
    let mut extra_headers = Vec::new();
    if !matches!(target.route, Route::MetadataToken | Route::MetadataSecurityKey | Route::PodIdentity) {
        extra_headers.push(("x-iam-trace-id", request_id.to_owned()));
    }
    if let Some(token) = a.subject_token {
        extra_headers.push(("x-subject-token", token));
    }
    Answer { content_type: a.content_type, extra_headers, ..Answer::json(a.status, a.body) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_table() {
        let p = "abc";
        let cases: &[(Method, &str, Route, bool)] = &[
            (Method::GET, "/v1/abc/training-jobs", Route::List, true),
            (Method::GET, "/v1/xyz/training-jobs", Route::List, false),
            (Method::GET, "/v1/abc/training-jobs/1/versions", Route::Versions, true),
            (Method::GET, "/v1/abc/training-jobs/1/versions/2", Route::Show, true),
            (Method::POST, "/v1/abc/training-jobs/1/versions/2/stop", Route::Stop, true),
            (Method::GET, "/v1/abc/training-jobs/1/versions/2/stop", Route::Unknown, false),
            (Method::POST, "/v1/abc/training-jobs/1/versions/2", Route::Unknown, false),
            (Method::GET, "/v1/abc/training-jobs/", Route::Unknown, false),
            (Method::GET, "/v1//training-jobs", Route::Unknown, false),
            (Method::GET, "/v2/abc/training-jobs", Route::Unknown, false),
            (Method::DELETE, "/v1/abc/training-jobs/1/versions/2", Route::Unknown, false),
            (Method::GET, "/v1/abc/workspaces", Route::Workspaces, true),
            (Method::GET, "/v1/xyz/workspaces", Route::Workspaces, false),
            (Method::POST, "/v1/abc/workspaces", Route::Unknown, false),
            (Method::GET, "/v1/abc/workspaces/", Route::Unknown, false),
        ];
        for (method, path, expected, project_ok) in cases {
            let t = route(method, path, p, false);
            assert_eq!(t.route, *expected, "{method} {path}");
            assert_eq!(t.project_ok, *project_ok, "{method} {path}");
        }
        // Without the v1 training-job API, every one of its paths is unknown; the rest stay.
        for (method, path, _, _) in cases {
            let absent = route(method, path, p, true).route;
            let kept = if path.starts_with("/v1/") && path.contains("/training-jobs") {
                Route::Unknown
            } else {
                route(method, path, p, false).route
            };
            assert_eq!(absent, kept, "v1 absent: {method} {path}");
        }
        assert_eq!(route(&Method::POST, "/v2/abc/training-job-searches", p, true).route, Route::V2List);
        let t = route(&Method::GET, "/v1/abc/training-jobs/x1/versions/+2", p, false);
        assert!(matches!(t.job, Id::Invalid(_)) && matches!(t.version, Id::Invalid(_)));
    }

    #[test]
    fn list_query_validation() {
        let ok = list_query(
            "status=8&per_page=1000&page=65535&sortBy=create_time&order=desc&search_content=a%20b",
        )
        .expect("valid");
        assert_eq!(
            (ok.status, ok.per_page, ok.page, ok.sort_by, ok.descending, ok.search.as_str()),
            (Some(8), 1000, 65535, SortBy::CreateTime, true, "a b")
        );
        let defaults = list_query("").expect("valid");
        assert_eq!(
            (defaults.per_page, defaults.page, defaults.sort_by, defaults.descending),
            (10, 1, SortBy::JobName, false)
        );
        let long = format!("search_content={}", "x".repeat(65));
        for bad in [
            "per_page=0",
            "per_page=1001",
            "page=0",
            "page=65536",
            "page=x",
            "sortBy=name",
            "order=up",
            "status=23",
            "status=running",
            long.as_str(),
        ] {
            assert!(list_query(bad).is_err(), "{bad}");
        }
    }
}
