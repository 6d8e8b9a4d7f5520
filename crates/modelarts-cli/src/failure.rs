//! How a command fails: an exit status, a message with its whole cause chain, and the service's
//! error code and request ID when there was an answer.
//!
//! The exit status comes from the SDK's [`ErrorCategory`] (and the protocol's error class for
//! credentials the service rejected); this module never looks at HTTP codes itself.

use std::error::Error as StdError;
use std::fmt;

use modelarts_protocol::error::ApiError;
use modelarts_sdk::{Error as SdkError, ErrorCategory, WaitError};
use serde_json::{Value, json};

use crate::escape::escape;
use crate::exit::ExitStatus;

/// A failed command, ready to report.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: ExitStatus,
    /// What the command was doing, e.g. `cannot stop job 10 version 20` (boxed: the type stays
    /// small enough to return by value).
    pub(crate) context: Box<str>,
    /// The causes, outermost first.
    pub(crate) causes: Vec<String>,
    /// The SDK's category name, when the error came from the SDK.
    pub(crate) category: Option<&'static str>,
    pub(crate) api: Option<Box<ApiError>>,
    pub(crate) request_id: Option<Box<str>>,
    /// What to do next, most useful first (`hint:` lines; `hints` in JSON).
    pub(crate) hints: Vec<String>,
    /// What few failures carry (boxed: the type stays small enough to return by value).
    more: Option<Box<More>>,
}

/// The rarer parts of a [`Failure`].
#[derive(Debug, Default)]
struct More {
    /// The jobs the failure is about (the jobs a name could mean): a table after the message, a
    /// `jobs` array in JSON.
    jobs: Option<JobListing>,
    /// A short form of the causes for the text report, when they are long and the hints say
    /// what to do (the causes stay in the JSON, and in the text with `-v`).
    brief: Option<String>,
}

/// Whether `-v` was given: the text report then shows every cause.
static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Sets whether text reports show every cause (`-v`).
pub(crate) fn set_verbose(verbose: bool) {
    VERBOSE.store(verbose, std::sync::atomic::Ordering::Relaxed);
}

/// Jobs listed in a failure, for people and programs.
#[derive(Debug)]
pub(crate) struct JobListing {
    pub(crate) table: crate::output::Table,
    pub(crate) json: Vec<Value>,
}

impl Failure {
    /// A failure with a plain message and no cause.
    pub(crate) fn new(status: ExitStatus, context: impl Into<String>) -> Self {
        Self {
            status,
            context: context.into().into_boxed_str(),
            causes: Vec::new(),
            category: None,
            api: None,
            request_id: None,
            hints: Vec::new(),
            more: None,
        }
    }

    /// A usage error found by the CLI itself (after clap's checks).
    pub(crate) fn usage(context: impl Into<String>) -> Self {
        Self::new(ExitStatus::Usage, context)
    }

    /// Adds an error's whole chain as causes.
    pub(crate) fn caused_by(mut self, error: &(dyn StdError + 'static)) -> Self {
        let mut next: Option<&(dyn StdError + 'static)> = Some(error);
        while let Some(e) = next {
            let text = e.to_string();
            // `#[error(transparent)]` layers repeat their source's text, and a layer may end with
            // it (`invalid configuration: {cause}`): show it once.
            let repeated =
                self.causes.last().is_some_and(|last| *last == text || last.ends_with(&format!(": {text}")));
            if !repeated {
                self.causes.push(text);
            }
            next = e.source();
        }
        self
    }

    /// An SDK error, with `context` saying what was being done.
    pub(crate) fn sdk(context: impl Into<String>, error: &SdkError) -> Self {
        let mut failure = Self::new(exit_status(error), context).caused_by(error);
        // No credentials: the fix first; the sources tried stay in the JSON and under -v.
        if let SdkError::Credentials { tried } = error {
            // The sources that say something (a file that was read, a probe that ran) stay; the
            // ones merely not set are counted.
            let absent =
                |t: &&String| ["not set)", "(none given)", "(not found)"].iter().any(|m| t.contains(m));
            let telling: Vec<&str> = tried.iter().filter(|t| !absent(t)).map(String::as_str).collect();
            let quiet = tried.len() - telling.len();
            let mut brief = String::from("no credentials found");
            if !telling.is_empty() {
                brief.push_str("; ");
                brief.push_str(&telling.join("; "));
            }
            brief.push_str(&format!(" ({quiet} other source(s) not set; -v lists every one)"));
            failure.more.get_or_insert_with(Box::default).brief = Some(brief);
        }
        failure.category = Some(category_name(error.category()));
        failure.api = error.api_error().cloned().map(Box::new);
        failure.request_id = error.request_id().map(Into::into);
        failure.hints = crate::hints::for_error(error);
        failure
    }

    /// A wait that did not end with the version stopped.
    pub(crate) fn wait<D: modelarts_sdk::WaitSubject + 'static>(
        context: impl Into<String>,
        error: &WaitError<D>,
    ) -> Self {
        match error {
            WaitError::Call(inner) => Self::sdk(context, inner).caused_by_wait_prefix(error),
            other => {
                let status = match other {
                    WaitError::TimedOut { .. } => ExitStatus::WaitTimedOut,
                    WaitError::OtherFinalState(_) => ExitStatus::OtherFinalState,
                    _ => ExitStatus::Other,
                };
                let mut f = Self::new(status, context).caused_by(other);
                f.category = Some(match other {
                    WaitError::TimedOut { .. } => "wait_timed_out",
                    WaitError::OtherFinalState(_) => "other_final_state",
                    _ => "other",
                });
                f
            }
        }
    }

    fn caused_by_wait_prefix<D: modelarts_sdk::WaitSubject + 'static>(
        mut self,
        error: &WaitError<D>,
    ) -> Self {
        self.causes.insert(0, error.to_string());
        self
    }

    /// The jobs the failure is about, if any.
    fn jobs(&self) -> Option<&JobListing> {
        self.more.as_ref().and_then(|m| m.jobs.as_ref())
    }

    /// Lists the jobs the failure is about (a table in the text report, `jobs` in JSON).
    pub(crate) fn set_jobs(&mut self, jobs: JobListing) {
        self.more.get_or_insert_with(Box::default).jobs = Some(jobs);
    }

    /// The text report: `error: …` then one `caused by:` line per cause, the error code and the
    /// request ID.
    ///
    /// Every piece is escaped on its own ([`escape`]): a service message cannot add lines of its
    /// own or send control sequences. The hints (the next step) come last.
    pub(crate) fn text(&self) -> String {
        // Not found: one line (what, the code, the request ID to quote), then the next step.
        if let Some(api) = self.api.as_deref().filter(|a| a.is_not_found())
            && self.jobs().is_none()
        {
            let mut said = vec![format!("HTTP {}", api.http_status())];
            said.extend(api.code().map(|c| escape(c).into_owned()));
            said.extend(self.request_id.as_deref().map(|id| format!("request id {}", escape(id))));
            let mut text = format!("error: {}: not found ({})", escape(&self.context), said.join(", "));
            for hint in &self.hints {
                text.push_str("\n  hint: ");
                text.push_str(&escape(hint));
            }
            return text;
        }
        let mut text = format!("error: {}", escape(&self.context));
        let brief = self
            .more
            .as_ref()
            .and_then(|m| m.brief.as_ref())
            .filter(|_| !VERBOSE.load(std::sync::atomic::Ordering::Relaxed));
        let causes: &[String] = match brief {
            Some(brief) => std::slice::from_ref(brief),
            None => &self.causes,
        };
        for cause in causes {
            text.push_str("\n  caused by: ");
            text.push_str(&escape(cause));
        }
        if let Some(api) = &self.api {
            text.push_str(&format!("\n  http status: {}", api.http_status()));
            if let Some(code) = api.code() {
                text.push_str(&format!("\n  error code: {}", escape(code)));
            }
        }
        if let Some(id) = &self.request_id {
            text.push_str(&format!("\n  request id: {}", escape(id)));
        }
        if let Some(jobs) = self.jobs() {
            // The table escapes its cells.
            for line in jobs.table.render().lines() {
                text.push_str("\n    ");
                text.push_str(line);
            }
        }
        for hint in &self.hints {
            text.push_str("\n  hint: ");
            text.push_str(&escape(hint));
        }
        text
    }

    /// The fields of the JSON report (the object inside `{"error": …}`).
    pub(crate) fn json_fields(&self) -> Value {
        let mut fields = json!({
            "message": self.context,
            "causes": self.causes,
            "exit_code": self.status.code(),
            "category": self.category,
            "http_status": self.api.as_deref().map(ApiError::http_status),
            "code": self.api.as_deref().and_then(ApiError::code),
            "service_message": self.api.as_deref().and_then(ApiError::message),
            "request_id": self.request_id,
            "hints": self.hints,
        });
        if let (Some(jobs), Some(map)) = (self.jobs(), fields.as_object_mut()) {
            map.insert("jobs".into(), Value::Array(jobs.json.clone()));
        }
        fields
    }

    /// Whether the service rejected the credentials or the signature.
    pub(crate) fn is_rejected_credentials(&self) -> bool {
        self.api.as_ref().is_some_and(|a| a.is_auth() || a.http_status() == 401)
    }

    /// The JSON report: `{"error": {...}}`.
    pub(crate) fn json(&self) -> Value {
        json!({ "schema_version": crate::json_docs::SCHEMA_VERSION, "error": self.json_fields() })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.context)
    }
}

/// The exit status for an SDK error.
pub(crate) fn exit_status(error: &SdkError) -> ExitStatus {
    match error.category() {
        ErrorCategory::Config | ErrorCategory::Credentials => ExitStatus::Config,
        ErrorCategory::InvalidInput => ExitStatus::Usage,
        // The service rejected the credentials or signature: a configuration problem to fix.
        ErrorCategory::ServiceRefused if error.api_error().is_some_and(ApiError::is_auth) => {
            ExitStatus::Config
        }
        ErrorCategory::ServiceRefused => ExitStatus::Refused,
        ErrorCategory::Transient => ExitStatus::Transient,
        _ => ExitStatus::Other,
    }
}

fn category_name(category: ErrorCategory) -> &'static str {
    match category {
        ErrorCategory::Config => "config",
        ErrorCategory::Credentials => "credentials",
        ErrorCategory::InvalidInput => "invalid_input",
        ErrorCategory::ServiceRefused => "service_refused",
        ErrorCategory::Transient => "transient",
        ErrorCategory::Malformed => "malformed",
        ErrorCategory::Internal => "internal",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_report_has_chain_code_and_request_id() {
        let api =
            ApiError::new(409).with_code("ModelArts.2796").with_message("conflict").with_request_id("req-1");
        let error = SdkError::Service { error: api, attempts: 1, retry_after: None };
        let f = Failure::sdk("cannot stop job 1 version 2", &error);
        assert_eq!(f.status, ExitStatus::Refused);
        let text = f.text();
        assert!(
            text.starts_with("error: cannot stop job 1 version 2\n  caused by: the service refused"),
            "{text}"
        );
        assert!(text.contains("\n  caused by: the service answered HTTP 409 ModelArts.2796: conflict"));
        assert!(text.contains("\n  error code: ModelArts.2796"));
        assert!(text.ends_with("\n  request id: req-1"));
        let json = f.json();
        assert_eq!(json["error"]["code"], "ModelArts.2796");
        assert_eq!(json["error"]["exit_code"], 4);
        assert_eq!(json["error"]["request_id"], "req-1");
    }

    #[test]
    fn a_configuration_error_is_one_cause_and_exits_3() {
        let error: SdkError = modelarts_sdk::ConfigError::EmptyProfileName.into();
        let failure = Failure::sdk("cannot build the client", &error);
        assert_eq!(failure.status, ExitStatus::Config);
        assert_eq!(
            failure.text(),
            "error: cannot build the client\n  caused by: invalid configuration: the profile name is empty"
        );
    }

    #[test]
    fn a_not_found_is_one_line_and_the_next_step() {
        let api =
            ApiError::new(400).with_code("ModelArts.2775").with_message("not found").with_request_id("req-1");
        let error = SdkError::Service { error: api, attempts: 1, retry_after: None };
        let f = Failure::sdk("cannot show job 1 version 2", &error);
        let text = f.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "error: cannot show job 1 version 2: not found (HTTP 400, ModelArts.2775, request id req-1)"
        );
        assert!(lines[1..].iter().all(|l| l.starts_with("  hint: ")), "{text}");
        assert!(text.contains("modelarts training-job list"), "{text}");
        // JSON keeps every field.
        let json = f.json();
        assert_eq!(json["error"]["code"], "ModelArts.2775");
        assert_eq!(json["error"]["request_id"], "req-1");
        assert!(!json["error"]["causes"].as_array().unwrap().is_empty());
    }

    #[test]
    fn categories_map_to_exit_statuses() {
        let service = |status: u16, code: Option<&str>| SdkError::Service {
            error: code.into_iter().fold(ApiError::new(status), ApiError::with_code),
            attempts: 1,
            retry_after: None,
        };
        let cases = [
            (service(404, Some("APIG.0101")), ExitStatus::Refused),
            (service(401, Some("APIG.0301")), ExitStatus::Config),
            (service(503, None), ExitStatus::Transient),
            (service(429, Some("APIG.0308")), ExitStatus::Transient),
            (SdkError::Credentials { tried: vec![] }, ExitStatus::Config),
            (
                SdkError::Transport {
                    source: modelarts_sdk::TransportError::new(modelarts_transport::Error::new(
                        modelarts_transport::ErrorKind::Tls,
                        false,
                        "invalid peer certificate",
                    )),
                    attempts: 1,
                },
                ExitStatus::Config,
            ),
            (
                SdkError::Transport {
                    source: modelarts_sdk::TransportError::new(modelarts_transport::Error::new(
                        modelarts_transport::ErrorKind::Connect,
                        false,
                        "connection refused",
                    )),
                    attempts: 3,
                },
                ExitStatus::Transient,
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(exit_status(&error), expected, "{error:?}");
        }
    }
}
