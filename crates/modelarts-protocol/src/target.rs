//! Which API a training job belongs to, decided from the shape of its ID.
//!
//! A v1 training job is named by two numbers, a job ID and a version ID; a v2 training job by one
//! UUID. A user types an ID (and perhaps `--version`), and may force the API; [`JobRef::route`]
//! turns that into a typed target or a [`RouteError`] that says which API each form belongs to.
//! Commands that act on one job (stop, show, wait, logs, events) and batch files share it.
//! Those commands also take a v2 job's name: [`JobArg::route`] reads an argument that is neither
//! a UUID nor a number (or any argument with `--name`) as a [`JobName`], which the caller resolves
//! through the v2 search ([`JobName::pick`]).
//!
//! ```
//! use modelarts_protocol::target::{ApiVersion, JobRef};
//! let v1 = JobRef::route("10", Some("3"), None)?;
//! assert_eq!(v1.api(), ApiVersion::V1);
//! let v2 = JobRef::route("3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab", None, None)?;
//! assert_eq!(v2.api(), ApiVersion::V2);
//! let e = JobRef::route("10", None, None).unwrap_err();
//! assert!(e.to_string().contains("--version"));
//! # Ok::<(), modelarts_protocol::target::RouteError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::ids::{IdError, JobId, VersionId};
use crate::machine::stop::{StatusClass, StopStatus};
use crate::v1::model::{JobSummary, VersionDetail};
use crate::v1::status::JobStatus;
use crate::v2::{JobName, JobNameError, PhaseStatus, TrainingJob, TrainingJobId, TrainingJobIdError};

/// The two training-job APIs.
///
/// Exhaustive on purpose: a third API is a breaking change by design, since every caller must
/// decide how to reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiVersion {
    /// The historical API: numeric job and version IDs (`/v1/{project}/training-jobs/{job}/versions/{version}`).
    V1,
    /// The current API: UUID job IDs (`/v2/{project}/training-jobs/{id}`).
    V2,
}

impl ApiVersion {
    /// `"v1"` or `"v2"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "v1",
            Self::V2 => "v2",
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ApiVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "v1" | "1" => Ok(Self::V1),
            "v2" | "2" => Ok(Self::V2),
            other => Err(format!("unknown API version {other:?}: expected v1 or v2")),
        }
    }
}

/// One training job of either API: a v1 job version or a v2 job.
///
/// Exhaustive on purpose, as [`ApiVersion`]: a job of a third API is a breaking change by design.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobRef {
    /// A v1 training-job version.
    V1 {
        /// The job's numeric ID.
        job: JobId,
        /// The version's numeric ID.
        version: VersionId,
    },
    /// A v2 training job.
    V2(TrainingJobId),
}

impl JobRef {
    /// The API this job belongs to.
    pub fn api(&self) -> ApiVersion {
        match self {
            Self::V1 { .. } => ApiVersion::V1,
            Self::V2(_) => ApiVersion::V2,
        }
    }

    /// Routes a user's `id` (and `--version`, and a forced `--api`) to a target.
    ///
    /// - digits with a version → v1;
    /// - a UUID without a version → v2;
    /// - `api` forces the API, and the ID must then have that API's shape;
    /// - digits without a version, a UUID with a version, or anything else → a [`RouteError`] that
    ///   names which API each form belongs to.
    pub fn route(id: &str, version: Option<&str>, api: Option<ApiVersion>) -> Result<Self, RouteError> {
        let looks_v2 = TrainingJobId::is_uuid_shaped(id);
        let api = match api {
            Some(api) => api,
            None if looks_v2 => ApiVersion::V2,
            None if version.is_some() => ApiVersion::V1,
            None => {
                let trimmed = id.trim();
                if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(RouteError::V1NeedsVersion { id: excerpt(id) });
                }
                // Neither shape: say why it is not a UUID (the likelier intent without --version).
                return Err(RouteError::InvalidV2(TrainingJobId::new(id).err().unwrap_or_else(|| {
                    TrainingJobIdError {
                        value: excerpt(id),
                        reason: crate::v2::TrainingJobIdErrorReason::NotUuid,
                    }
                })));
            }
        };
        match (api, version) {
            (ApiVersion::V1, Some(version)) => Ok(Self::V1 {
                job: id.parse().map_err(RouteError::InvalidV1)?,
                version: version.parse().map_err(RouteError::InvalidV1)?,
            }),
            (ApiVersion::V1, None) => Err(RouteError::V1NeedsVersion { id: excerpt(id) }),
            (ApiVersion::V2, None) => Ok(Self::V2(TrainingJobId::new(id).map_err(RouteError::InvalidV2)?)),
            (ApiVersion::V2, Some(_)) if !looks_v2 => Err(RouteError::VersionForcedToV2 { id: excerpt(id) }),
            (ApiVersion::V2, Some(_)) => Err(RouteError::V2TakesNoVersion { id: excerpt(id) }),
        }
    }

    /// Parses one line of a batch file: `JOB VERSION` (two numbers, v1) or one UUID (v2),
    /// separated by blanks or one comma.
    pub fn parse_line(line: &str) -> Result<Self, RouteError> {
        let mut fields = line.split(|c: char| c == ',' || c.is_whitespace()).filter(|f| !f.is_empty());
        let first = fields.next().unwrap_or("");
        let second = fields.next();
        if let Some(extra) = fields.next() {
            return Err(RouteError::TooManyFields { extra: excerpt(extra) });
        }
        Self::route(first, second, None)
    }
}

/// What a user's argument names: a job of either API by its ID, or a v2 job by its name.
///
/// Exhaustive on purpose: an argument names a job by its ID or by its name; a caller handles both.
///
/// ```
/// use modelarts_protocol::target::{ApiVersion, JobArg};
/// assert!(matches!(JobArg::route("llama-finetune", None, None, false)?, JobArg::Name(_)));
/// assert!(matches!(JobArg::route("3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab", None, None, false)?, JobArg::Id(_)));
/// // A name made of digits, or shaped like a UUID, is a name only with `--name`.
/// assert!(matches!(JobArg::route("2024", None, None, true)?, JobArg::Name(_)));
/// assert!(JobArg::route("2024", None, Some(ApiVersion::V2), false).unwrap_err().to_string().contains("--name"));
/// # Ok::<(), modelarts_protocol::target::RouteError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JobArg {
    /// A job (v2) or version (v1) by its ID.
    Id(JobRef),
    /// A v2 job by its exact name.
    Name(JobName),
}

impl JobArg {
    /// Routes a user's argument (and `--version`, a forced `--api`, and `--name`):
    ///
    /// - `by_name` (`--name`): the argument is a v2 name whatever its shape; `--version` and
    ///   `--api v1` are refused;
    /// - a UUID, digits, anything with `--version`, or anything with `--api v1`: as
    ///   [`JobRef::route`] routes it;
    /// - anything else (neither a UUID nor a number): a v2 name.
    ///
    /// Digits forced to v2 without `--name` are refused with a hint at `--name`.
    pub fn route(
        arg: &str,
        version: Option<&str>,
        api: Option<ApiVersion>,
        by_name: bool,
    ) -> Result<Self, RouteError> {
        if by_name {
            if version.is_some() {
                return Err(RouteError::NameTakesNoVersion { name: excerpt(arg) });
            }
            if api == Some(ApiVersion::V1) {
                return Err(RouteError::NameIsV2 { name: excerpt(arg) });
            }
            return JobName::new(arg).map(Self::Name).map_err(RouteError::InvalidName);
        }
        let trimmed = arg.trim();
        let digits = !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit());
        if api == Some(ApiVersion::V2) && digits && version.is_none() {
            return Err(RouteError::NumberForV2 { id: excerpt(arg) });
        }
        if api == Some(ApiVersion::V1) || version.is_some() || digits || TrainingJobId::is_uuid_shaped(arg) {
            return JobRef::route(arg, version, api).map(Self::Id);
        }
        JobName::new(arg).map(Self::Name).map_err(|e| match e {
            // Blank: the ID's own refusal says it best.
            JobNameError::Empty => {
                JobRef::route(arg, version, api).err().unwrap_or(RouteError::InvalidName(e))
            }
            other => RouteError::InvalidName(other),
        })
    }
}

/// A target as a list or a read showed it: its name, status and creation time, for a preview
/// before a stop. A field is `None` when it was not read (or the answer lacked it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSummary {
    /// The target.
    pub target: JobRef,
    /// The job's name (v1: the job's name; v2: `metadata.name`).
    pub name: Option<String>,
    /// The status read (v1 status of the version; v2 phase).
    pub status: Option<TargetStatus>,
    /// Creation time, epoch milliseconds.
    pub create_time_ms: Option<i64>,
}

impl TargetSummary {
    /// A target nothing was read about.
    pub fn unread(target: JobRef) -> Self {
        Self { target, name: None, status: None, create_time_ms: None }
    }

    /// A v2 job as listed or read; `None` for a job without a valid ID.
    pub fn of_v2_job(job: &TrainingJob) -> Option<Self> {
        Some(Self {
            target: JobRef::V2(job.id()?),
            name: job.name().map(str::to_owned),
            status: Some(TargetStatus::V2(PhaseStatus::of(job))),
            create_time_ms: job.create_time_ms(),
        })
    }

    /// A v1 job of the list whose latest version is `version`, with the list's status (the latest
    /// version's) and creation time.
    pub fn of_v1_job(job: &JobSummary, version: VersionId) -> Self {
        Self {
            target: JobRef::V1 { job: job.job_id, version },
            name: job.job_name.clone(),
            status: Some(TargetStatus::V1(job.status)),
            create_time_ms: job.create_time,
        }
    }

    /// A v1 version as read by its show, for job `job`.
    pub fn of_v1_version(job: JobId, version: &VersionDetail) -> Self {
        Self {
            target: JobRef::V1 { job, version: version.version_id },
            name: version.job_name.clone(),
            status: Some(TargetStatus::V1(version.status)),
            create_time_ms: version.create_time,
        }
    }
}

impl fmt::Display for JobRef {
    /// `job 10 version 3` or `job 3f2b1c9e-…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::V1 { job, version } => write!(f, "job {job} version {version}"),
            Self::V2(id) => write!(f, "job {id}"),
        }
    }
}

/// The status of a target of either API, as a batch of mixed targets carries it.
///
/// Exhaustive on purpose, as [`ApiVersion`]: a status of a third API is a breaking change by design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetStatus {
    /// A v1 version's status.
    V1(JobStatus),
    /// A v2 job's phase.
    V2(PhaseStatus),
}

impl TargetStatus {
    /// The API the status belongs to.
    pub fn api(self) -> ApiVersion {
        match self {
            Self::V1(_) => ApiVersion::V1,
            Self::V2(_) => ApiVersion::V2,
        }
    }

    /// The v1 status, if it is one.
    pub fn v1(self) -> Option<JobStatus> {
        match self {
            Self::V1(s) => Some(s),
            Self::V2(_) => None,
        }
    }

    /// The v2 phase, if it is one.
    pub fn v2(self) -> Option<PhaseStatus> {
        match self {
            Self::V1(_) => None,
            Self::V2(p) => Some(p),
        }
    }
}

impl StopStatus for TargetStatus {
    fn stop_class(self) -> StatusClass {
        match self {
            Self::V1(s) => s.stop_class(),
            Self::V2(p) => p.stop_class(),
        }
    }
}

impl fmt::Display for TargetStatus {
    /// `KILLED` (v1) or `Terminated` (v2).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::V1(s) => s.fmt(f),
            Self::V2(p) => p.fmt(f),
        }
    }
}

impl From<JobStatus> for TargetStatus {
    fn from(s: JobStatus) -> Self {
        Self::V1(s)
    }
}

impl From<PhaseStatus> for TargetStatus {
    fn from(p: PhaseStatus) -> Self {
        Self::V2(p)
    }
}

/// Why an ID could not be routed to an API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    /// A number without a version: a v1 job needs both.
    #[error(
        "{id:?} is a v1 job id (a number): v1 jobs also need --version VERSION_ID; v2 jobs are named by a UUID alone, or by their name (--name for a name made of digits)"
    )]
    V1NeedsVersion {
        /// The ID as given (truncated).
        id: String,
    },
    /// A UUID with a version: v2 jobs have no versions.
    #[error(
        "{id:?} is a v2 job id (a UUID): v2 jobs have no version, drop --version; v1 jobs are numbers with --version"
    )]
    V2TakesNoVersion {
        /// The ID as given (truncated).
        id: String,
    },
    /// `--api v2` with `--version`, on an ID that is no UUID: the shape of a v1 version, forced to
    /// the API that has no versions.
    #[error(
        "--api v2 names a v2 job (a UUID, no version), but {id:?} with --version is a v1 version: drop --api v2 (or use --api v1)"
    )]
    VersionForcedToV2 {
        /// The ID as given (truncated).
        id: String,
    },
    /// The v1 job or version ID is invalid.
    #[error(transparent)]
    InvalidV1(IdError),
    /// The v2 ID is invalid.
    #[error(transparent)]
    InvalidV2(TrainingJobIdError),
    /// `--name` with `--version`: names are of v2 jobs, which have no versions.
    #[error("--name names a v2 job ({name:?}): v2 jobs have no version, drop --version")]
    NameTakesNoVersion {
        /// The name as given (truncated).
        name: String,
    },
    /// `--name` with `--api v1`: only v2 jobs are found by name.
    #[error("--name finds v2 jobs only ({name:?}); a v1 job is named by JOB_ID --version VERSION_ID")]
    NameIsV2 {
        /// The name as given (truncated).
        name: String,
    },
    /// Digits with `--api v2` and no `--name`: neither a UUID nor, without `--name`, a name.
    #[error("{id:?} is a number, not a v2 job id (a UUID); for a v2 job named {id:?}, pass --name")]
    NumberForV2 {
        /// The ID as given (truncated).
        id: String,
    },
    /// The name is not a possible job name.
    #[error(transparent)]
    InvalidName(JobNameError),
    /// A batch line with more than two fields.
    #[error("unexpected field {extra:?}: a line holds `JOB_ID VERSION_ID` (v1) or one UUID (v2)")]
    TooManyFields {
        /// The first field too many (truncated).
        extra: String,
    },
}

fn excerpt(text: &str) -> String {
    text.trim().chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";

    #[test]
    fn routing_table() {
        use ApiVersion::*;
        // (id, version, api, Ok(api) or Err(fragment of the message))
        type Case<'a> = (&'a str, Option<&'a str>, Option<ApiVersion>, Result<ApiVersion, &'a str>);
        let cases: &[Case<'_>] = &[
            ("10", Some("3"), None, Ok(V1)),
            (UUID, None, None, Ok(V2)),
            ("3F2B1C9E-5A4D-4C1B-9E8F-0123456789AB", None, None, Ok(V2)),
            ("10", Some("3"), Some(V1), Ok(V1)),
            (UUID, None, Some(V2), Ok(V2)),
            ("10", None, None, Err("need --version")),
            ("10", None, Some(V1), Err("need --version")),
            (UUID, Some("3"), None, Err("drop --version")),
            (UUID, Some("3"), Some(V2), Err("drop --version")),
            (UUID, Some("3"), Some(V1), Err("not a number")),
            ("10", None, Some(V2), Err("looks like a v1 job id")),
            // The shape of a v1 version forced to v2: the advice is to drop --api v2, not that
            // "10" is a UUID.
            ("1001", Some("1"), Some(V2), Err("is a v1 version: drop --api v2")),
            ("abc", None, None, Err("not a UUID")),
            ("", None, None, Err("empty")),
            ("10", Some("x"), None, Err("version_id")),
            ("0", Some("3"), None, Err("job_id")),
        ];
        for (id, version, api, want) in cases {
            let got = JobRef::route(id, *version, *api);
            match (want, &got) {
                (Ok(api), Ok(r)) => assert_eq!(r.api(), *api, "{id} {version:?}"),
                (Err(fragment), Err(e)) => {
                    assert!(e.to_string().contains(fragment), "{id} {version:?}: {e}")
                }
                _ => panic!("{id} {version:?} {api:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn arguments_route_to_an_id_or_a_name() {
        use ApiVersion::*;
        // (arg, version, api, --name, "id" / "name" or a fragment of the error)
        type Case<'a> = (&'a str, Option<&'a str>, Option<ApiVersion>, bool, &'a str);
        let cases: &[Case<'_>] = &[
            (UUID, None, None, false, "id"),
            ("10", Some("3"), None, false, "id"),
            ("bert", None, None, false, "name"),
            ("llama-finetune", None, Some(V2), false, "name"),
            (" bert ", None, None, false, "name"),
            ("3f2b1c9e-5a4d", None, None, false, "name"),
            // A number, a UUID: a name only with --name.
            ("10", None, None, false, "need --version"),
            ("10", None, Some(V2), false, "pass --name"),
            ("10", None, None, true, "name"),
            (UUID, None, None, true, "name"),
            ("bert", None, Some(V2), true, "name"),
            // Names are v2 and have no version.
            ("bert", Some("3"), None, true, "drop --version"),
            ("bert", None, Some(V1), true, "v2 jobs only"),
            ("bert", Some("3"), None, false, "not a number"),
            ("bert", None, Some(V1), false, "need --version"),
            ("", None, None, false, "empty"),
            ("", None, None, true, "cannot be empty"),
        ];
        for (arg, version, api, by_name, want) in cases {
            let got = JobArg::route(arg, *version, *api, *by_name);
            let seen = match &got {
                Ok(JobArg::Id(_)) => "id".to_owned(),
                Ok(JobArg::Name(n)) => {
                    assert_eq!(n.as_str(), arg.trim(), "{arg:?}");
                    "name".to_owned()
                }
                Err(e) => e.to_string(),
            };
            assert!(
                seen.contains(want),
                "{arg:?} {version:?} {api:?} {by_name}: got {seen:?}, want {want:?}"
            );
        }
    }

    #[test]
    fn summaries_of_either_api() {
        let job: TrainingJob = serde_json::from_value(serde_json::json!({
            "metadata": {"id": UUID.to_uppercase(), "name": "bert", "create_time": 1_700_000_000_000_i64},
            "status": {"phase": "Running"}
        }))
        .unwrap();
        let s = TargetSummary::of_v2_job(&job).unwrap();
        assert_eq!(s.target, JobRef::route(UUID, None, None).unwrap());
        assert_eq!((s.name.as_deref(), s.create_time_ms), (Some("bert"), Some(1_700_000_000_000)));
        assert_eq!(s.status.map(|st| st.to_string()).as_deref(), Some("Running"));
        assert_eq!(TargetSummary::of_v2_job(&TrainingJob::default()), None);
        let unread = TargetSummary::unread(s.target.clone());
        assert_eq!((unread.name, unread.status, unread.create_time_ms), (None, None, None));
    }

    #[test]
    fn routed_values_are_kept() {
        let r = JobRef::route(" 10 ", Some("3"), None).unwrap();
        assert_eq!(r, JobRef::V1 { job: JobId::new(10).unwrap(), version: VersionId::new(3).unwrap() });
        assert_eq!(r.to_string(), "job 10 version 3");
        let r = JobRef::route(&UUID.to_uppercase(), None, None).unwrap();
        assert_eq!(r.to_string(), format!("job {UUID}"));
    }

    #[test]
    fn batch_lines() {
        assert_eq!(JobRef::parse_line("10 3").unwrap().api(), ApiVersion::V1);
        assert_eq!(JobRef::parse_line("10,3").unwrap().api(), ApiVersion::V1);
        assert_eq!(JobRef::parse_line(&format!("  {UUID}  ")).unwrap().api(), ApiVersion::V2);
        assert!(JobRef::parse_line("10").unwrap_err().to_string().contains("--version"));
        assert!(JobRef::parse_line("10 3 4").unwrap_err().to_string().contains("unexpected field \"4\""));
        assert!(JobRef::parse_line(&format!("{UUID} 3")).unwrap_err().to_string().contains("drop --version"));
    }

    #[test]
    fn target_status_classes_follow_their_api() {
        let v1 = TargetStatus::from(JobStatus::Killing);
        assert_eq!(
            (v1.api(), v1.stop_class(), v1.to_string()),
            (ApiVersion::V1, StatusClass::Stopping, "KILLING".into())
        );
        let v2 = TargetStatus::from(PhaseStatus::from_phase(&crate::v2::Phase::Abnormal));
        assert_eq!((v2.api(), v2.stop_class()), (ApiVersion::V2, StatusClass::EndedOtherwise));
        assert_eq!(v2.to_string(), "Abnormal");
        assert_eq!(v2.v1(), None);
        assert_eq!(v1.v1(), Some(JobStatus::Killing));
    }

    #[test]
    fn api_version_text() {
        assert_eq!("V2".parse::<ApiVersion>().unwrap(), ApiVersion::V2);
        assert_eq!(ApiVersion::V1.to_string(), "v1");
        assert!("v3".parse::<ApiVersion>().is_err());
    }
}
