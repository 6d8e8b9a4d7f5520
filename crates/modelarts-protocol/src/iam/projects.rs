//! Project-id discovery: `GET {iam}/v3/projects?name={region}`, signed like any AK/SK request (with
//! `X-Security-Token` for temporary keys) or sent with a token, and the decision on its answer.
//!
//! ```
//! use modelarts_protocol::iam::projects::{ListProjects, select_project};
//! use modelarts_protocol::operations::Operation;
//! use modelarts_protocol::Endpoint;
//!
//! let iam = Endpoint::from_url("https://iam.la-south-2.myhuaweicloud.com")?;
//! let request = ListProjects::new("la-south-2").build_request(&iam)?;
//! assert_eq!(request.uri(), "https://iam.la-south-2.myhuaweicloud.com/v3/projects?name=la-south-2");
//!
//! let answer = http::Response::builder()
//!     .status(200)
//!     .header("x-iam-trace-id", "trace-1")
//!     .body(bytes::Bytes::from_static(br#"{"projects":[{"id":"0123456789abcdef0123456789abcdef","name":"la-south-2","enabled":true}],"links":{}}"#))?;
//! let list = ListProjects::parse_response(answer)?;
//! let id = select_project(&list, "la-south-2", iam.host())?;
//! assert_eq!(id.as_str(), "0123456789abcdef0123456789abcdef");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use bytes::Bytes;
use http::{Method, Request, Response};
use serde::Deserialize;

use super::{check_name, iam_request, parse_iam_json, trace_id};
use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError};
use crate::ids::ProjectId;
use crate::lenient;
use crate::operations::{Operation, push_query};

/// Input of the project lookup: the projects named after a region.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListProjects {
    /// The region, which is also the name of its default project.
    pub region: String,
}

impl ListProjects {
    /// The projects named `region`.
    pub fn new(region: impl Into<String>) -> Self {
        Self { region: region.into() }
    }
}

/// One project of the answer. Every field may be missing; unknown ones are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Project {
    /// The project id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// Its name (a region, or `region_subproject`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// The account (domain) it belongs to.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub domain_id: Option<String>,
    /// Whether it is enabled.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub enabled: Option<bool>,
}

/// The answer of the lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectList {
    /// The projects, as listed.
    pub projects: Vec<Project>,
    /// `X-IAM-Trace-Id` (or `X-Request-Id`) of the answer.
    pub trace_id: Option<String>,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    projects: Vec<Project>,
}

impl Operation for ListProjects {
    type Output = ProjectList;
    const NAME: &'static str = "list_projects";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        check_name("region", &self.region, 64)?;
        let mut query = String::new();
        push_query(&mut query, "name", self.region.trim());
        iam_request(Method::GET, endpoint, "/v3/projects", &query, None)
    }

    fn parse_response(response: Response<Bytes>) -> Result<ProjectList, ResponseError> {
        let body: Body = parse_iam_json(&response, false)?;
        Ok(ProjectList { projects: body.projects, trace_id: trace_id(response.headers()) })
    }
}

/// Input of `GET {iam}/v3/auth/projects`: every project the credentials can reach, whatever the
/// region (what `configure test` asks when no region is set). The answer is the same document as
/// [`ListProjects`]'s.
///
/// ```
/// use modelarts_protocol::iam::projects::ListAuthProjects;
/// use modelarts_protocol::operations::Operation;
/// use modelarts_protocol::Endpoint;
///
/// let request = ListAuthProjects.build_request(&Endpoint::from_url("https://iam.myhuaweicloud.com")?)?;
/// assert_eq!(request.uri(), "https://iam.myhuaweicloud.com/v3/auth/projects");
/// let answer = http::Response::builder()
///     .status(200)
///     .body(bytes::Bytes::from_static(br#"{"projects":[{"id":"0123456789abcdef0123456789abcdef","name":"eu-de"},{"name":null}]}"#))?;
/// let list = ListAuthProjects::parse_response(answer)?;
/// assert_eq!(list.projects.len(), 2);
/// assert_eq!(list.projects[0].name.as_deref(), Some("eu-de"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ListAuthProjects;

impl Operation for ListAuthProjects {
    type Output = ProjectList;
    const NAME: &'static str = "list_auth_projects";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        iam_request(Method::GET, endpoint, "/v3/auth/projects", "", None)
    }

    fn parse_response(response: Response<Bytes>) -> Result<ProjectList, ResponseError> {
        ListProjects::parse_response(response)
    }
}

/// The lookup found no single project for the region: a configuration error. `Display` names the
/// region, the IAM host and the trace id, and lists what was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProjectLookupError {
    /// No enabled project is named after the region.
    #[error(
        "IAM at {iam_host} has no project named {region:?}{} (found: {}); set the project id explicitly (HUAWEICLOUD_SDK_PROJECT_ID)",
        trace(trace_id.as_deref()),
        list(found)
    )]
    NoProject {
        /// The region looked up.
        region: String,
        /// The IAM host asked.
        iam_host: String,
        /// The answer's trace id.
        trace_id: Option<String>,
        /// What the answer listed instead (`name (id)`), possibly nothing.
        found: Vec<String>,
    },
    /// Several enabled projects carry the region's name.
    #[error(
        "IAM at {iam_host} lists {} projects named {region:?}{} ({}); set the project id explicitly (HUAWEICLOUD_SDK_PROJECT_ID)",
        found.len(),
        trace(trace_id.as_deref()),
        list(found)
    )]
    SeveralProjects {
        /// The region looked up.
        region: String,
        /// The IAM host asked.
        iam_host: String,
        /// The answer's trace id.
        trace_id: Option<String>,
        /// The candidates (`name (id)`).
        found: Vec<String>,
    },
    /// The one project's id is not a valid project id.
    #[error("IAM at {iam_host} gave the project {region:?} an invalid id{}", trace(trace_id.as_deref()))]
    InvalidId {
        /// The region looked up.
        region: String,
        /// The IAM host asked.
        iam_host: String,
        /// The answer's trace id.
        trace_id: Option<String>,
        /// Why the id was refused.
        #[source]
        error: crate::ids::IdError,
    },
}

fn trace(id: Option<&str>) -> String {
    id.map(|id| format!(" (trace id {id})")).unwrap_or_default()
}

fn list(found: &[String]) -> String {
    if found.is_empty() { "nothing".to_owned() } else { found.join(", ") }
}

/// How many listed projects an error names at most.
const LISTED: usize = 20;

/// Printable text of a server-sent value: control characters dropped, at most 80 characters.
fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(80).collect()
}

fn describe(project: &Project) -> String {
    let name = project.name.as_deref().map_or_else(|| "<no name>".to_owned(), printable);
    let id = project.id.as_deref().map_or_else(|| "no id".to_owned(), printable);
    let disabled = if project.enabled == Some(false) { ", disabled" } else { "" };
    format!("{name} ({id}{disabled})")
}

/// Decides on the lookup's answer: exactly one enabled project named `region` → its id; none or
/// several → a [`ProjectLookupError`]. The name is compared exactly, so that a server ignoring the
/// filter (and listing every project) still yields the right one.
pub fn select_project(
    list: &ProjectList,
    region: &str,
    iam_host: &str,
) -> Result<ProjectId, ProjectLookupError> {
    let region = region.trim();
    let matching: Vec<&Project> = list
        .projects
        .iter()
        .filter(|p| p.name.as_deref().map(str::trim) == Some(region) && p.enabled != Some(false))
        .collect();
    let context = || (region.to_owned(), printable(iam_host), list.trace_id.clone());
    match matching.as_slice() {
        [one] => {
            let (region, iam_host, trace_id) = context();
            one.id
                .as_deref()
                .unwrap_or_default()
                .parse::<ProjectId>()
                .map_err(|error| ProjectLookupError::InvalidId { region, iam_host, trace_id, error })
        }
        [] => {
            let (region, iam_host, trace_id) = context();
            let found = list.projects.iter().take(LISTED).map(describe).collect();
            Err(ProjectLookupError::NoProject { region, iam_host, trace_id, found })
        }
        several => {
            let (region, iam_host, trace_id) = context();
            let found = several.iter().take(LISTED).map(|p| describe(p)).collect();
            Err(ProjectLookupError::SeveralProjects { region, iam_host, trace_id, found })
        }
    }
}

impl fmt::Display for ProjectList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.projects.iter().take(LISTED).map(describe).collect();
        f.write_str(&list(&names))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID_A: &str = "0123456789abcdef0123456789abcdef";
    const ID_B: &str = "fedcba9876543210fedcba9876543210";

    fn project(id: Option<&str>, name: Option<&str>, enabled: Option<bool>) -> Project {
        Project { id: id.map(Into::into), name: name.map(Into::into), domain_id: None, enabled }
    }

    fn listed(projects: Vec<Project>) -> ProjectList {
        ProjectList { projects, trace_id: Some("trace-9".into()) }
    }

    #[test]
    fn request_is_a_get_with_the_name_filter() {
        let iam = Endpoint::from_url("https://iam.example:8443/prefix").unwrap();
        let r = ListProjects::new("cn-north-4").build_request(&iam).unwrap();
        assert_eq!(r.method(), "GET");
        assert_eq!(r.uri(), "https://iam.example:8443/prefix/v3/projects?name=cn-north-4");
        assert!(r.headers().get("x-project-id").is_none(), "the lookup has no project yet");
        assert!(r.body().is_empty());
        for bad in ["", " ", "a\u{7}b"] {
            assert!(ListProjects::new(bad).build_request(&iam).is_err(), "{bad:?}");
        }
        // Anything else is encoded, never spliced into the query.
        let odd = ListProjects::new("a&b=c").build_request(&iam).unwrap();
        assert_eq!(odd.uri().query(), Some("name=a%26b%3Dc"));
    }

    #[test]
    fn lenient_answers_parse() {
        let answers = [
            (r#"{"projects":[{"id":"x","name":"r","enabled":"true","extra":{}}],"links":{"self":"s"}}"#, 1),
            (r#"{"projects":null}"#, 0),
            (r#"{}"#, 0),
            (r#"{"projects":[{"id":null,"name":null}]}"#, 1),
        ];
        for (body, count) in answers {
            let r = Response::builder().status(200).body(Bytes::from(body)).unwrap();
            assert_eq!(ListProjects::parse_response(r).unwrap().projects.len(), count, "{body}");
        }
        let refused = Response::builder()
            .status(401)
            .header("x-iam-trace-id", "t-1")
            .body(Bytes::from_static(
                br#"{"error":{"code":401,"message":"The request you have made requires authentication."}}"#,
            ))
            .unwrap();
        let e = ListProjects::parse_response(refused).unwrap_err();
        assert_eq!((e.http_status(), e.request_id()), (401, Some("t-1")));
        let garbage = Response::builder().status(200).body(Bytes::from_static(b"<html>")).unwrap();
        assert!(matches!(ListProjects::parse_response(garbage), Err(ResponseError::Malformed { .. })));
    }

    #[test]
    fn decision_table() {
        let host = "iam.la-south-2.myhuaweicloud.com";
        let one = listed(vec![project(Some(ID_A), Some("la-south-2"), Some(true))]);
        assert_eq!(select_project(&one, "la-south-2", host).unwrap().as_str(), ID_A);

        // A server that ignores the filter: the exact name still decides; a disabled twin is ignored.
        let all = listed(vec![
            project(Some(ID_B), Some("la-south-2_sub"), Some(true)),
            project(Some(ID_B), Some("la-south-2"), Some(false)),
            project(Some(ID_A), Some("la-south-2"), None),
        ]);
        assert_eq!(select_project(&all, "la-south-2", host).unwrap().as_str(), ID_A);

        let none = listed(vec![]);
        let e = select_project(&none, "la-south-2", host).unwrap_err();
        assert!(matches!(e, ProjectLookupError::NoProject { ref found, .. } if found.is_empty()));
        let text = e.to_string();
        for part in ["la-south-2", host, "trace id trace-9", "found: nothing"] {
            assert!(text.contains(part), "{text}");
        }

        let others = listed(vec![project(Some(ID_B), Some("cn-north-4"), Some(true))]);
        let text = select_project(&others, "la-south-2", host).unwrap_err().to_string();
        assert!(text.contains(&format!("cn-north-4 ({ID_B})")), "{text}");

        let two = listed(vec![
            project(Some(ID_A), Some("la-south-2"), Some(true)),
            project(Some(ID_B), Some("la-south-2"), Some(true)),
        ]);
        let e = select_project(&two, "la-south-2", host).unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, ProjectLookupError::SeveralProjects { ref found, .. } if found.len() == 2));
        assert!(text.contains("2 projects") && text.contains(ID_A) && text.contains(ID_B), "{text}");

        let bad_id = listed(vec![project(Some("a/b"), Some("la-south-2"), Some(true))]);
        assert!(matches!(
            select_project(&bad_id, "la-south-2", host),
            Err(ProjectLookupError::InvalidId { .. })
        ));
        let no_id = listed(vec![project(None, Some("la-south-2"), Some(true))]);
        assert!(matches!(
            select_project(&no_id, "la-south-2", host),
            Err(ProjectLookupError::InvalidId { .. })
        ));
    }

    #[test]
    fn server_text_in_errors_is_printable_and_bounded() {
        let hostile = listed(
            (0..100)
                .map(|i| project(Some(&format!("id{i}\u{1b}[31m")), Some("other\r\nname"), None))
                .collect(),
        );
        let text = select_project(&hostile, "r", "h").unwrap_err().to_string();
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(text.matches("othername").count() == LISTED, "{text}");
    }
}
