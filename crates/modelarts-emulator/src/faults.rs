//! Scripted faults: what goes wrong, on which route, at which attempt.
//!
//! A [`FaultScript`] selects requests (route, and optionally job and version) and holds a queue of
//! [`FaultStep`]s. Each matching API request consumes one step; a script whose queue is empty is
//! dropped. Scripts are tried in the order they were added and the first match wins, so
//! `[503, 503, pass]` on `stop` gives "fail twice, then succeed".
//!
//! A step is an object whose keys combine: `{"delay_ms": 300, "status": 503}` waits, then answers 503.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// The four v1 operations, the three v2 ones, plus a catch-all for anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Route {
    /// `POST …/training-jobs/{job_id}/versions/{version_id}/stop`
    Stop,
    /// `GET …/training-jobs/{job_id}/versions/{version_id}`
    Show,
    /// `GET …/training-jobs`
    List,
    /// `GET …/training-jobs/{job_id}/versions`
    Versions,
    /// `GET …/training-jobs/{job_id}/versions/{version_id}/log/file-names`
    #[serde(rename = "log_file_names")]
    LogFileNames,
    /// `GET …/training-jobs/{job_id}/versions/{version_id}/aom-log`
    #[serde(rename = "aom_log")]
    AomLog,
    /// v2 `POST /v2/…/training-jobs/{training_job_id}/actions`
    #[serde(rename = "v2_terminate")]
    V2Terminate,
    /// v2 `GET /v2/…/training-jobs/{training_job_id}`
    #[serde(rename = "v2_show")]
    V2Show,
    /// v2 `POST /v2/…/training-job-searches`
    #[serde(rename = "v2_list")]
    V2List,
    /// v2 `GET /v2/…/training-jobs/{id}/tasks/{task_id}/logs/preview`
    #[serde(rename = "v2_log_preview")]
    V2LogPreview,
    /// v2 `GET /v2/…/training-jobs/{id}/tasks/{task_id}/logs/url`
    #[serde(rename = "v2_log_url")]
    V2LogUrl,
    /// v2 `GET /v2/…/training-jobs/{id}/events`
    #[serde(rename = "v2_events")]
    V2Events,
    /// Workspace list `GET /v1/…/workspaces`
    Workspaces,
    /// IAM `GET /v3/projects`
    #[serde(rename = "iam_projects")]
    IamProjects,
    /// IAM `GET /v3/auth/projects`
    #[serde(rename = "iam_auth_projects")]
    IamAuthProjects,
    /// IAM `GET /v3/auth/domains`
    #[serde(rename = "iam_auth_domains")]
    IamAuthDomains,
    /// IAM `POST /v3/auth/tokens`
    #[serde(rename = "iam_tokens")]
    IamTokens,
    /// IAM `POST /v3.0/OS-CREDENTIAL/securitytokens`
    #[serde(rename = "iam_security_tokens")]
    IamSecurityTokens,
    /// IAM `POST /v3.0/OS-AUTH/id-token/tokens`
    #[serde(rename = "iam_id_tokens")]
    IamIdTokens,
    /// Metadata `PUT /meta-data/latest/api/token`
    #[serde(rename = "metadata_token")]
    MetadataToken,
    /// Metadata `GET /openstack/latest/securitykey`
    #[serde(rename = "metadata_security_key")]
    MetadataSecurityKey,
    /// CCE pod identity `POST /v1/credentials`
    #[serde(rename = "pod_identity")]
    PodIdentity,
    /// A path or method the API does not have (answered 404 `APIG.0101`).
    Unknown,
}

impl Route {
    /// The lower-case name used in JSON (`stop`, `show`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Stop => "stop",
            Route::Show => "show",
            Route::List => "list",
            Route::Versions => "versions",
            Route::V2Terminate => "v2_terminate",
            Route::V2Show => "v2_show",
            Route::V2List => "v2_list",
            Route::LogFileNames => "log_file_names",
            Route::AomLog => "aom_log",
            Route::V2LogPreview => "v2_log_preview",
            Route::V2LogUrl => "v2_log_url",
            Route::V2Events => "v2_events",
            Route::Workspaces => "workspaces",
            Route::IamProjects => "iam_projects",
            Route::IamAuthProjects => "iam_auth_projects",
            Route::IamAuthDomains => "iam_auth_domains",
            Route::IamTokens => "iam_tokens",
            Route::IamSecurityTokens => "iam_security_tokens",
            Route::IamIdTokens => "iam_id_tokens",
            Route::MetadataToken => "metadata_token",
            Route::MetadataSecurityKey => "metadata_security_key",
            Route::PodIdentity => "pod_identity",
            Route::Unknown => "unknown",
        }
    }

    /// Whether this is an IAM or metadata route (served by the identity faces, not ModelArts).
    pub fn is_identity(self) -> bool {
        matches!(
            self,
            Route::IamProjects
                | Route::IamAuthProjects
                | Route::IamAuthDomains
                | Route::IamTokens
                | Route::IamSecurityTokens
                | Route::IamIdTokens
                | Route::MetadataToken
                | Route::MetadataSecurityKey
                | Route::PodIdentity
        )
    }
}

/// Which requests a [`FaultScript`] applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum RouteSelector {
    /// Every v1 and v2 operation (not unknown paths, not the IAM and metadata routes).
    #[default]
    Any,
    /// Only the stop operation.
    Stop,
    /// Only the version detail.
    Show,
    /// Only the job list.
    List,
    /// Only the versions list.
    Versions,
    /// Only the v2 terminate.
    #[serde(rename = "v2_terminate")]
    V2Terminate,
    /// Only the v2 show.
    #[serde(rename = "v2_show")]
    V2Show,
    /// Only the v2 list.
    #[serde(rename = "v2_list")]
    V2List,
    /// Only the v1 log file names.
    #[serde(rename = "log_file_names")]
    LogFileNames,
    /// Only the v1 log pages.
    #[serde(rename = "aom_log")]
    AomLog,
    /// Only the v2 log preview.
    #[serde(rename = "v2_log_preview")]
    V2LogPreview,
    /// Only the v2 log URL.
    #[serde(rename = "v2_log_url")]
    V2LogUrl,
    /// Only the v2 events.
    #[serde(rename = "v2_events")]
    V2Events,
    /// Only the workspace list.
    Workspaces,
    /// Only IAM `GET /v3/projects`.
    #[serde(rename = "iam_projects")]
    IamProjects,
    /// Only IAM `GET /v3/auth/projects`.
    #[serde(rename = "iam_auth_projects")]
    IamAuthProjects,
    /// Only IAM `POST /v3/auth/tokens`.
    #[serde(rename = "iam_tokens")]
    IamTokens,
    /// Only IAM `POST /v3.0/OS-CREDENTIAL/securitytokens`.
    #[serde(rename = "iam_security_tokens")]
    IamSecurityTokens,
    /// Only IAM `POST /v3.0/OS-AUTH/id-token/tokens`.
    #[serde(rename = "iam_id_tokens")]
    IamIdTokens,
    /// Only metadata `PUT /meta-data/latest/api/token`.
    #[serde(rename = "metadata_token")]
    MetadataToken,
    /// Only metadata `GET /openstack/latest/securitykey`.
    #[serde(rename = "metadata_security_key")]
    MetadataSecurityKey,
}

impl RouteSelector {
    fn matches(self, route: Route) -> bool {
        match self {
            RouteSelector::Any => route != Route::Unknown && !route.is_identity(),
            RouteSelector::Stop => route == Route::Stop,
            RouteSelector::Show => route == Route::Show,
            RouteSelector::List => route == Route::List,
            RouteSelector::Versions => route == Route::Versions,
            RouteSelector::V2Terminate => route == Route::V2Terminate,
            RouteSelector::V2Show => route == Route::V2Show,
            RouteSelector::V2List => route == Route::V2List,
            RouteSelector::LogFileNames => route == Route::LogFileNames,
            RouteSelector::AomLog => route == Route::AomLog,
            RouteSelector::V2LogPreview => route == Route::V2LogPreview,
            RouteSelector::V2LogUrl => route == Route::V2LogUrl,
            RouteSelector::V2Events => route == Route::V2Events,
            RouteSelector::Workspaces => route == Route::Workspaces,
            RouteSelector::IamProjects => route == Route::IamProjects,
            RouteSelector::IamAuthProjects => route == Route::IamAuthProjects,
            RouteSelector::IamTokens => route == Route::IamTokens,
            RouteSelector::IamSecurityTokens => route == Route::IamSecurityTokens,
            RouteSelector::IamIdTokens => route == Route::IamIdTokens,
            RouteSelector::MetadataToken => route == Route::MetadataToken,
            RouteSelector::MetadataSecurityKey => route == Route::MetadataSecurityKey,
        }
    }
}

/// A `Retry-After` value: seconds, or any text sent verbatim (e.g. an HTTP date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`
    Seconds(u64),
    /// `Retry-After: <text>`
    Text(String),
}

impl RetryAfter {
    pub(crate) fn header_value(&self) -> String {
        match self {
            RetryAfter::Seconds(s) => s.to_string(),
            RetryAfter::Text(t) => t.clone(),
        }
    }
}

/// `{"throttle": {...}}`: a 429 `APIG.0308` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ThrottleFault {
    /// The `Retry-After` header; none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<RetryAfter>,
}

/// `{"trickle": {...}}`: the body is sent in small chunks with a pause before each one but the first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Trickle {
    /// Pause between chunks, ms.
    pub chunk_delay_ms: u64,
    /// Chunk size in bytes; 16 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk_size: Option<usize>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One scripted attempt. Keys combine; an empty step (or `{"pass": true}`) is "no fault".
///
/// Order of effects: `delay_ms`; then `reset_before`; then a replacement answer (`status`,
/// `not_found`, `throttle`, `html_502`: the operation does not run); otherwise the operation runs,
/// then `reset_after_effect`, then the body modifiers (`truncated`, `incomplete_body`, `oversized`,
/// `wrong_content_type`, `trickle`) apply to whatever it answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FaultStep {
    /// No fault for this attempt (a placeholder in a sequence).
    #[serde(default, skip_serializing_if = "is_false")]
    pub pass: bool,
    /// Answer this HTTP status with a gateway-style body
    /// `{"error_code":"APIG.xxxx","error_msg":…,"request_id":…}` (404→APIG.0101, 401→APIG.0301,
    /// 429→APIG.0308, 502→APIG.0202, 504→APIG.0203, others→APIG.0201).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Replaces the error code of a `status` answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Replaces the error message of a `status` answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_msg: Option<String>,
    /// Replaces the whole body of a `status` answer: a JSON string is sent verbatim, any other
    /// JSON value serialised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// Answer 404 with a ModelArts body `{"is_success":false,"error_code":"ModelArts.2775",…}`:
    /// the not-found variant some deployments may use instead of the default 400.
    #[serde(default, skip_serializing_if = "is_false")]
    pub not_found: bool,
    /// Answer 429 `APIG.0308`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<ThrottleFault>,
    /// Wait this long before answering (before the headers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Send the body slowly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trickle: Option<Trickle>,
    /// Send only the first half of the body, with a matching `Content-Length` (valid HTTP,
    /// invalid JSON).
    #[serde(default, skip_serializing_if = "is_false")]
    pub truncated: bool,
    /// Announce the full `Content-Length`, send half of the body, then drop the connection.
    #[serde(default, skip_serializing_if = "is_false")]
    pub incomplete_body: bool,
    /// Answer 502 with an HTML page (`text/html`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub html_502: bool,
    /// Pad the (valid) JSON body with trailing spaces to this many bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oversized: Option<usize>,
    /// Send the normal body with `Content-Type: text/plain`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub wrong_content_type: bool,
    /// Close the connection before the request takes effect; no response.
    #[serde(default, skip_serializing_if = "is_false")]
    pub reset_before: bool,
    /// Run the operation (a stop takes effect), then close the connection without a response.
    #[serde(default, skip_serializing_if = "is_false")]
    pub reset_after_effect: bool,
}

impl FaultStep {
    /// No fault.
    pub fn pass() -> Self {
        Self { pass: true, ..Self::default() }
    }

    /// An HTTP status with a gateway-style body.
    pub fn status(code: u16) -> Self {
        Self { status: Some(code), ..Self::default() }
    }

    /// 429 `APIG.0308`, with `Retry-After: <secs>` when `retry_after_secs` is given.
    pub fn throttle(retry_after_secs: Option<u64>) -> Self {
        Self {
            throttle: Some(ThrottleFault { retry_after: retry_after_secs.map(RetryAfter::Seconds) }),
            ..Self::default()
        }
    }

    /// A delay before the headers.
    pub fn delay_ms(ms: u64) -> Self {
        Self { delay_ms: Some(ms), ..Self::default() }
    }

    /// A slowly sent body.
    pub fn trickle(chunk_delay_ms: u64) -> Self {
        Self { trickle: Some(Trickle { chunk_delay_ms, chunk_size: None }), ..Self::default() }
    }

    /// Half of the JSON, as a complete HTTP message.
    pub fn truncated() -> Self {
        Self { truncated: true, ..Self::default() }
    }

    /// Half of the body, then the connection drops.
    pub fn incomplete_body() -> Self {
        Self { incomplete_body: true, ..Self::default() }
    }

    /// A 502 HTML page.
    pub fn html_502() -> Self {
        Self { html_502: true, ..Self::default() }
    }

    /// A body padded to `bytes`.
    pub fn oversized(bytes: usize) -> Self {
        Self { oversized: Some(bytes), ..Self::default() }
    }

    /// `Content-Type: text/plain`.
    pub fn wrong_content_type() -> Self {
        Self { wrong_content_type: true, ..Self::default() }
    }

    /// 404 with a ModelArts not-found body.
    pub fn not_found() -> Self {
        Self { not_found: true, ..Self::default() }
    }

    /// Connection closed before the request takes effect.
    pub fn reset_before() -> Self {
        Self { reset_before: true, ..Self::default() }
    }

    /// The request takes effect, then the connection is closed without a response.
    pub fn reset_after_effect() -> Self {
        Self { reset_after_effect: true, ..Self::default() }
    }

    /// Checks that the keys make sense together.
    pub fn validate(&self) -> Result<(), String> {
        let replacements = [
            self.status.is_some(),
            self.not_found,
            self.throttle.is_some(),
            self.html_502,
            self.reset_before,
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if replacements > 1 {
            return Err(
                "a step may have only one of status, not_found, throttle, html_502, reset_before".into()
            );
        }
        if replacements == 1 && self.reset_after_effect {
            return Err("reset_after_effect needs the operation to run; drop the other answer".into());
        }
        if let Some(code) = self.status
            && !(100..=999).contains(&code)
        {
            return Err(format!("status {code} is not an HTTP status"));
        }
        if (self.error_code.is_some() || self.error_msg.is_some() || self.body.is_some())
            && self.status.is_none()
        {
            return Err("error_code, error_msg and body go with status".into());
        }
        if self.truncated && self.incomplete_body {
            return Err("truncated and incomplete_body exclude each other".into());
        }
        if self.trickle.as_ref().is_some_and(|t| t.chunk_size == Some(0)) {
            return Err("trickle.chunk_size must be at least 1".into());
        }
        if self.pass && *self != Self::pass() {
            return Err("pass excludes every other key".into());
        }
        Ok(())
    }

    /// True for `pass` and for an empty step.
    #[cfg(test)]
    pub(crate) fn is_pass(&self) -> bool {
        let mut plain = self.clone();
        plain.pass = false;
        plain == Self::default()
    }
}

/// A queue of faults for the requests it selects.
///
/// ```
/// use modelarts_emulator::{FaultScript, FaultStep, RouteSelector};
/// let script: FaultScript = serde_json::from_str(
///     r#"{"route": "stop", "job_id": 10, "steps": [{"status": 503}, {"reset_after_effect": true}]}"#,
/// ).unwrap();
/// assert_eq!(script, FaultScript::new(RouteSelector::Stop)
///     .job(10)
///     .step(FaultStep::status(503))
///     .step(FaultStep::reset_after_effect()));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FaultScript {
    /// Which operation; `any` when absent.
    #[serde(default)]
    pub route: RouteSelector,
    /// Only requests for this job id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<u64>,
    /// Only requests for this version id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<u64>,
    /// Only v2 requests for this training job id (compared without regard to case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_job_id: Option<String>,
    /// One step per matching attempt, in order.
    pub steps: VecDeque<FaultStep>,
}

impl FaultScript {
    /// An empty script for `route`.
    pub fn new(route: RouteSelector) -> Self {
        Self { route, job_id: None, version_id: None, training_job_id: None, steps: VecDeque::new() }
    }

    /// Restricts the script to a job id.
    pub fn job(mut self, job_id: u64) -> Self {
        self.job_id = Some(job_id);
        self
    }

    /// Restricts the script to a version id.
    pub fn version(mut self, version_id: u64) -> Self {
        self.version_id = Some(version_id);
        self
    }

    /// Restricts the script to a v2 training job id.
    pub fn training_job(mut self, training_job_id: impl Into<String>) -> Self {
        self.training_job_id = Some(training_job_id.into());
        self
    }

    /// Appends a step.
    pub fn step(mut self, step: FaultStep) -> Self {
        self.steps.push_back(step);
        self
    }

    /// Appends `n` copies of a step.
    pub fn repeat(mut self, step: FaultStep, n: usize) -> Self {
        self.steps.extend(std::iter::repeat_n(step, n));
        self
    }

    /// Checks every step.
    pub fn validate(&self) -> Result<(), String> {
        for (i, step) in self.steps.iter().enumerate() {
            step.validate().map_err(|e| format!("step {i}: {e}"))?;
        }
        Ok(())
    }

    fn matches(&self, route: Route, target: Target<'_>) -> bool {
        self.route.matches(route)
            && self.job_id.is_none_or(|j| Some(j) == target.job_id)
            && self.version_id.is_none_or(|v| Some(v) == target.version_id)
            && self
                .training_job_id
                .as_deref()
                .is_none_or(|t| target.training_job_id.is_some_and(|id| id.eq_ignore_ascii_case(t)))
    }
}

/// The ids a request names: v1 job and version, or a v2 training job.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Target<'a> {
    pub(crate) job_id: Option<u64>,
    pub(crate) version_id: Option<u64>,
    pub(crate) training_job_id: Option<&'a str>,
}

#[cfg(test)]
impl Target<'_> {
    pub(crate) fn v1(job_id: Option<u64>, version_id: Option<u64>) -> Self {
        Self { job_id, version_id, training_job_id: None }
    }
}

/// Takes the next step for a request from the first matching script; drops exhausted scripts.
pub(crate) fn next_step(
    scripts: &mut Vec<FaultScript>,
    route: Route,
    target: Target<'_>,
) -> Option<FaultStep> {
    let index = scripts.iter().position(|s| !s.steps.is_empty() && s.matches(route, target))?;
    let script = scripts.get_mut(index)?;
    let step = script.steps.pop_front();
    if script.steps.is_empty() {
        scripts.remove(index);
    }
    step
}

/// Parses a fault file or admin body: one script or an array of scripts; validates every step.
pub(crate) fn parse_scripts(json: &[u8]) -> Result<Vec<FaultScript>, String> {
    let scripts: Vec<FaultScript> =
        crate::one_or_many(json).map_err(|e| format!("invalid fault script: {e}"))?;
    for script in &scripts {
        script.validate()?;
    }
    Ok(scripts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_consumed_in_order_per_matching_script() {
        let mut scripts = vec![
            FaultScript::new(RouteSelector::Stop).job(1).step(FaultStep::status(503)).step(FaultStep::pass()),
            FaultScript::new(RouteSelector::Any).step(FaultStep::truncated()),
        ];
        // Job 2 skips the first script and takes the catch-all.
        assert_eq!(
            next_step(&mut scripts, Route::Stop, Target::v1(Some(2), Some(1))),
            Some(FaultStep::truncated())
        );
        assert_eq!(
            next_step(&mut scripts, Route::Stop, Target::v1(Some(1), Some(1))),
            Some(FaultStep::status(503))
        );
        assert_eq!(next_step(&mut scripts, Route::Show, Target::v1(Some(1), Some(1))), None);
        assert_eq!(
            next_step(&mut scripts, Route::Stop, Target::v1(Some(1), Some(1))),
            Some(FaultStep::pass())
        );
        assert!(scripts.is_empty());
    }

    #[test]
    fn validation_rejects_contradictions() {
        let bad = [
            r#"{"steps":[{"status":503,"throttle":{}}]}"#,
            r#"{"steps":[{"reset_before":true,"reset_after_effect":true}]}"#,
            r#"{"steps":[{"pass":true,"status":500}]}"#,
            r#"{"steps":[{"error_code":"X"}]}"#,
            r#"{"steps":[{"statsu":500}]}"#,
            r#"{"route":"nope","steps":[]}"#,
        ];
        for json in bad {
            assert!(parse_scripts(json.as_bytes()).is_err(), "{json}");
        }
        let good = r#"[{"route":"show","steps":[{"delay_ms":5,"status":503},{"pass":true},{}]},
                       {"steps":[{"throttle":{"retry_after":"Wed, 21 Oct 2015 07:28:00 GMT"}}]}]"#;
        let scripts = parse_scripts(good.as_bytes()).expect("valid");
        assert_eq!(scripts.len(), 2);
        assert!(scripts[0].steps[1].is_pass() && scripts[0].steps[2].is_pass());
        assert!(!scripts[0].steps[0].is_pass());
    }
}
