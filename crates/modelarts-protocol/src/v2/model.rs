//! The v2 job object and list answer, read leniently: every part may be missing or `null`, numbers
//! may arrive as strings, unknown fields are ignored, and an unknown phase is kept as text.

use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

use super::id::TrainingJobId;
use crate::lenient;
use crate::v1::status::JobStatus;

/// How long an unknown phase name may be; longer ones are cut (a server cannot make it grow).
const MAX_PHASE_LEN: usize = 64;

/// The phase of a v2 training job (`status.phase`).
///
/// ```
/// use modelarts_protocol::v2::{Phase, StopClass};
/// let p = Phase::from_name("Terminating");
/// assert_eq!(p, Phase::Terminating);
/// assert_eq!(p.stop_class(), StopClass::Stopping);
/// let unknown = Phase::from_name("Hibernating");
/// assert_eq!(unknown.as_str(), "Hibernating");
/// // Not known to be anything else: stoppable for the machines, as an unknown v1 code is; but not
/// // one of the phases a `--running` selection takes.
/// assert_eq!(unknown.stop_class(), StopClass::Stoppable);
/// assert!(unknown.is_unknown() && !unknown.is_stoppable());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// `Creating`: being created.
    Creating,
    /// `Pending`: waiting for resources.
    Pending,
    /// `Running`.
    Running,
    /// `Terminating`: a terminate is under way.
    Terminating,
    /// `Terminated`: stopped by a terminate.
    Terminated,
    /// `Completed`: ended by itself, successfully.
    Completed,
    /// `Failed`: ended by itself, with an error.
    Failed,
    /// `Abnormal`: ended in an abnormal state.
    Abnormal,
    /// A phase this client does not know, as sent (at most 64 characters).
    Unknown(String),
}

/// What a phase means for a stop: the one classification of both APIs,
/// [`StatusClass`](crate::machine::stop::StatusClass), under its v2 name. `Creating`, `Pending`,
/// `Running` and an unknown phase are stoppable (the machines read again rather than guess; tell an
/// unknown phase apart with [`Phase::is_unknown`]); `Terminating` stopping; `Terminated` stopped;
/// `Completed`, `Failed`, `Abnormal` ended otherwise.
pub use crate::machine::stop::StatusClass as StopClass;

impl Phase {
    /// Every documented phase.
    pub const ALL: &'static [Phase] = &[
        Phase::Creating,
        Phase::Pending,
        Phase::Running,
        Phase::Terminating,
        Phase::Terminated,
        Phase::Completed,
        Phase::Failed,
        Phase::Abnormal,
    ];

    /// The phase for the API's name (compared without regard to case and surrounding blanks);
    /// anything else is kept as [`Phase::Unknown`].
    pub fn from_name(name: &str) -> Self {
        let t = name.trim();
        Self::ALL
            .iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(t))
            .cloned()
            .unwrap_or_else(|| Phase::Unknown(t.chars().take(MAX_PHASE_LEN).collect()))
    }

    /// The API's name (`Running`, …), or the unknown text as received.
    pub fn as_str(&self) -> &str {
        match self {
            Phase::Creating => "Creating",
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Terminating => "Terminating",
            Phase::Terminated => "Terminated",
            Phase::Completed => "Completed",
            Phase::Failed => "Failed",
            Phase::Abnormal => "Abnormal",
            Phase::Unknown(text) => text,
        }
    }

    /// What the phase means for a stop (an unknown phase: [`StopClass::Stoppable`], as an unknown
    /// v1 status code).
    pub fn stop_class(&self) -> StopClass {
        match self {
            Phase::Creating | Phase::Pending | Phase::Running | Phase::Unknown(_) => StopClass::Stoppable,
            Phase::Terminating => StopClass::Stopping,
            Phase::Terminated => StopClass::Stopped,
            Phase::Completed | Phase::Failed | Phase::Abnormal => StopClass::EndedOtherwise,
        }
    }

    /// `Terminated`: the stop succeeded.
    pub fn is_stopped(&self) -> bool {
        self.stop_class() == StopClass::Stopped
    }

    /// `Terminating`.
    pub fn is_stopping(&self) -> bool {
        self.stop_class() == StopClass::Stopping
    }

    /// `Completed`, `Failed` or `Abnormal`.
    pub fn has_ended_otherwise(&self) -> bool {
        self.stop_class() == StopClass::EndedOtherwise
    }

    /// `Creating`, `Pending` or `Running`: a terminate is due (not an unknown phase, as
    /// `JobStatus::is_stoppable` is false for an unknown v1 code).
    pub fn is_stoppable(&self) -> bool {
        self.stop_class() == StopClass::Stoppable && !self.is_unknown()
    }

    /// The job will not change any more: stopped or ended otherwise.
    pub fn is_terminal(&self) -> bool {
        matches!(self.stop_class(), StopClass::Stopped | StopClass::EndedOtherwise)
    }

    /// Whether the phase is not one of the documented ones.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Phase::Unknown(_))
    }

    /// The v2 phase a v1 status stands for, so that a filter written in v1 words (`killed`) can
    /// select v2 jobs; `None` for statuses v2 has no phase for (image builds, reviews, scaling, …).
    ///
    /// KILLED and CANCELED both mean "stopped by a user": `Terminated`. WAITING is `Pending`, INIT
    /// is `Creating`, LOST is `Abnormal`; the others keep their meaning.
    ///
    /// ```
    /// use modelarts_protocol::{JobStatus, v2::Phase};
    /// assert_eq!(Phase::from_v1_status(JobStatus::Killed), Some(Phase::Terminated));
    /// assert_eq!(Phase::from_v1_status(JobStatus::Scaling), None);
    /// ```
    pub fn from_v1_status(status: JobStatus) -> Option<Phase> {
        Some(match status {
            JobStatus::Init => Phase::Creating,
            JobStatus::Waiting => Phase::Pending,
            JobStatus::Running => Phase::Running,
            JobStatus::Killing => Phase::Terminating,
            JobStatus::Killed | JobStatus::Canceled => Phase::Terminated,
            JobStatus::Completed => Phase::Completed,
            JobStatus::Failed => Phase::Failed,
            JobStatus::Lost => Phase::Abnormal,
            _ => return None,
        })
    }

    /// The phase a filter text selects: a phase name (`terminating`), or else a v1 status name or
    /// code (`killed`, `12`) through [`Phase::from_v1_status`]. `None` when the text names neither,
    /// or a v1 status without a v2 phase.
    ///
    /// ```
    /// use modelarts_protocol::v2::Phase;
    /// assert_eq!(Phase::from_filter("Terminating"), Some(Phase::Terminating));
    /// assert_eq!(Phase::from_filter("killed"), Some(Phase::Terminated));
    /// assert_eq!(Phase::from_filter("8"), Some(Phase::Running));
    /// assert_eq!(Phase::from_filter("scaling"), None);
    /// ```
    pub fn from_filter(text: &str) -> Option<Phase> {
        let named = Phase::from_name(text);
        if !named.is_unknown() {
            return Some(named);
        }
        JobStatus::from_name(text).and_then(Phase::from_v1_status)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Phase {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Phase {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = lenient::opt_string(d)?.ok_or_else(|| de::Error::custom("a phase is required"))?;
        Ok(Phase::from_name(&text))
    }
}

fn opt_phase<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Phase>, D::Error> {
    Ok(lenient::opt_string(d)?.filter(|t| !t.trim().is_empty()).map(|t| Phase::from_name(&t)))
}

/// An optional object: `null` or absent is `None`; anything but an object is an error (serde would
/// otherwise read an array positionally into a struct).
fn opt_object<'de, D: Deserializer<'de>, T: de::DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    let raw = Option::<Box<RawValue>>::deserialize(d)?;
    match raw.as_deref().map(|r| r.get().trim_start()) {
        None => Ok(None),
        Some(text) if text.starts_with("null") => Ok(None),
        Some(text) if text.starts_with('{') => {
            serde_json::from_str(text).map(Some).map_err(de::Error::custom)
        }
        Some(text) => Err(de::Error::custom(format!("expected an object, got {:.40}", text))),
    }
}

/// A list of strings that may be `null`, or hold numbers and `null`s (kept as text, `null`s dropped).
fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let items = Option::<Vec<Value>>::deserialize(d)?.unwrap_or_default();
    items
        .into_iter()
        .filter(|v| !v.is_null())
        .map(|v| match v {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(de::Error::custom(format!("expected a string, got {other}"))),
        })
        .collect()
}

/// `metadata` of a v2 job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The job's ID (a UUID on a real service; kept as text so a stray value does not fail the
    /// answer: see [`TrainingJob::id`]).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// The job's name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// The workspace.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub workspace_id: Option<String>,
    /// The description.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    /// Creation time, epoch ms.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub create_time: Option<i64>,
    /// The user who created it.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub user_name: Option<String>,
}

/// One entry of `status.task_statuses`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskStatus {
    /// The task's name, e.g. `worker-0`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub task: Option<String>,
    /// Its exit code, once it ended.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub exit_code: Option<i64>,
    /// Its message.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub message: Option<String>,
}

/// `status` of a v2 job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// The phase.
    #[serde(default, deserialize_with = "opt_phase")]
    pub phase: Option<Phase>,
    /// The secondary phase (finer-grained, free text such as `Running` or `Terminated`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub secondary_phase: Option<String>,
    /// Run time so far, ms.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub duration: Option<i64>,
    /// Start time, epoch ms.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub start_time: Option<i64>,
    /// The tasks (`worker-0`, …).
    #[serde(default, deserialize_with = "string_list")]
    pub tasks: Vec<String>,
    /// The tasks' statuses.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub task_statuses: Vec<TaskStatus>,
}

/// `spec.resource` of a v2 job (the fields a listing shows).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// The flavor, e.g. `modelarts.vm.cpu.8u`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub flavor_id: Option<String>,
    /// How many nodes.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub node_count: Option<i64>,
    /// The dedicated pool, if any.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub pool_id: Option<String>,
}

/// `spec` of a v2 job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spec {
    /// The resources.
    #[serde(default, deserialize_with = "opt_object")]
    pub resource: Option<Resource>,
}

/// A v2 training job: the answer of terminate and show, and an item of the list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingJob {
    /// `job` for training jobs.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub kind: Option<String>,
    /// Identity and description.
    #[serde(default, deserialize_with = "opt_object")]
    pub metadata: Option<Metadata>,
    /// Phase, timings and tasks.
    #[serde(default, deserialize_with = "opt_object")]
    pub status: Option<Status>,
    /// Resources.
    #[serde(default, deserialize_with = "opt_object")]
    pub spec: Option<Spec>,
}

impl TrainingJob {
    /// `metadata.id` if it is a valid UUID, normalized ([`TrainingJobId::new`]: ASCII blanks
    /// trimmed, lower case): the job's identity wherever jobs are compared. A job whose `metadata.id`
    /// is anything else counts as a job without an ID.
    pub fn id(&self) -> Option<TrainingJobId> {
        self.id_text().and_then(|t| TrainingJobId::new(t).ok())
    }

    /// `metadata.id` as sent.
    pub fn id_text(&self) -> Option<&str> {
        self.metadata.as_ref()?.id.as_deref()
    }

    /// `metadata.name`.
    pub fn name(&self) -> Option<&str> {
        self.metadata.as_ref()?.name.as_deref()
    }

    /// `status.phase`.
    pub fn phase(&self) -> Option<&Phase> {
        self.status.as_ref()?.phase.as_ref()
    }

    /// What the phase means for a stop; [`StopClass::Stoppable`] when the answer has no phase (not
    /// known to be anything else).
    pub fn stop_class(&self) -> StopClass {
        self.phase().map_or(StopClass::Stoppable, Phase::stop_class)
    }

    /// `status.secondary_phase`.
    pub fn secondary_phase(&self) -> Option<&str> {
        self.status.as_ref()?.secondary_phase.as_deref()
    }

    /// `status.duration`, ms.
    pub fn duration_ms(&self) -> Option<i64> {
        self.status.as_ref()?.duration
    }

    /// `metadata.create_time`, epoch ms.
    pub fn create_time_ms(&self) -> Option<i64> {
        self.metadata.as_ref()?.create_time
    }

    /// `spec.resource.flavor_id`.
    pub fn flavor_id(&self) -> Option<&str> {
        self.spec.as_ref()?.resource.as_ref()?.flavor_id.as_deref()
    }

    /// `spec.resource.node_count`.
    pub fn node_count(&self) -> Option<i64> {
        self.spec.as_ref()?.resource.as_ref()?.node_count
    }
}

/// The answer of the v2 list (`POST …/training-job-searches`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingJobList {
    /// Jobs matching the query, over all pages.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub total: Option<i64>,
    /// Jobs in this answer.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub count: Option<i64>,
    /// The page size applied.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub limit: Option<i64>,
    /// The offset applied.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub offset: Option<i64>,
    /// The sort field applied.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sort_by: Option<String>,
    /// The order applied.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub order: Option<String>,
    /// The grouping applied.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub group_by: Option<String>,
    /// The jobs of this page. Required (an array, possibly empty): an answer without it, or with
    /// `null`, is malformed rather than an empty list, as for the v1 list's `jobs`. The counts stay
    /// optional: the walk does not need them to end.
    pub items: Vec<TrainingJob>,
}

/// The log preview of one task (`tasks/{task_id}/logs/preview`): the whole log, or its latest part
/// when it is larger than the service's preview limit.
///
/// The text is `content`; older answers call it `context`, and [`LogPreview::text`] reads either.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPreview {
    /// The log text (current answers).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub content: Option<String>,
    /// The log text (older answers).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub context: Option<String>,
    /// Bytes in this answer.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub current_size: Option<i64>,
    /// Bytes in the whole log: the text ends at this offset, which the follow cursor uses.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub full_size: Option<i64>,
}

impl LogPreview {
    /// The log text, `content` or else `context` (empty when both are absent).
    pub fn text(&self) -> &str {
        self.content.as_deref().or(self.context.as_deref()).unwrap_or_default()
    }
}

/// The temporary OBS address of a task's whole log (`tasks/{task_id}/logs/url`).
///
/// The address is presigned (its query carries a key ID and a signature): `Debug` shows it
/// without the query.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogUrl {
    /// The address; `None` when the answer has none.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub obs_url: Option<String>,
}

impl fmt::Debug for LogUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.obs_url.as_deref().map(|u| match u.split_once('?') {
            Some((base, _)) => format!("{base}?<redacted>"),
            None => u.to_owned(),
        });
        f.debug_struct("LogUrl").field("obs_url", &shown).finish()
    }
}

/// One event of a v2 job (`events`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened, as sent (epoch ms or a date text).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub time: Option<String>,
    /// `Info`, `Warning` or `Error`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub level: Option<String>,
    /// What happened.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub message: Option<String>,
    /// `K8S`, `Job` or `Task`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub source: Option<String>,
}

/// A page of events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventList {
    /// The events; `null` is empty.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub events: Vec<Event>,
    /// Events matching the query on all pages, when sent.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub total: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_classes_table() {
        use StopClass::*;
        let cases = [
            ("Creating", Stoppable),
            ("Pending", Stoppable),
            ("Running", Stoppable),
            ("Terminating", Stopping),
            ("Terminated", Stopped),
            ("Completed", EndedOtherwise),
            ("Failed", EndedOtherwise),
            ("Abnormal", EndedOtherwise),
            ("running", Stoppable),
            (" TERMINATED ", Stopped),
            ("Hibernating", Stoppable),
            ("", Stoppable),
        ];
        for (name, class) in cases {
            let phase = Phase::from_name(name);
            assert_eq!(phase.stop_class(), class, "{name:?}");
            assert_eq!(phase.is_terminal(), matches!(class, Stopped | EndedOtherwise), "{name:?}");
            assert_eq!(phase.is_stopped(), class == Stopped);
            assert_eq!(phase.is_stopping(), class == Stopping);
            assert_eq!(phase.is_stoppable(), class == Stoppable && !phase.is_unknown(), "{name:?}");
            assert_eq!(phase.has_ended_otherwise(), class == EndedOtherwise);
        }
        for phase in Phase::ALL {
            assert_eq!(&Phase::from_name(phase.as_str()), phase);
            assert!(!phase.is_unknown());
        }
        let long = Phase::from_name(&"X".repeat(10_000));
        assert_eq!(long.as_str().len(), 64);
        assert!(long.is_unknown());
    }

    #[test]
    fn v1_statuses_map_to_phases_table() {
        use crate::machine::stop::StopStatus;
        use JobStatus as S;
        let cases = [
            (S::Undetermined, None),
            (S::Init, Some(Phase::Creating)),
            (S::ImageCreating, None),
            (S::ImageFailed, None),
            (S::SubmitTrying, None),
            (S::SubmitFailed, None),
            (S::DeleteFailed, None),
            (S::Waiting, Some(Phase::Pending)),
            (S::Running, Some(Phase::Running)),
            (S::Killing, Some(Phase::Terminating)),
            (S::Completed, Some(Phase::Completed)),
            (S::Failed, Some(Phase::Failed)),
            (S::Killed, Some(Phase::Terminated)),
            (S::Canceled, Some(Phase::Terminated)),
            (S::Lost, Some(Phase::Abnormal)),
            (S::Scaling, None),
            (S::SubmitModelFailed, None),
            (S::DeployServiceFailed, None),
            (S::CheckInit, None),
            (S::CheckRunning, None),
            (S::CheckRunningCompleted, None),
            (S::CheckFailed, None),
            (S::MountFailed, None),
        ];
        // The table covers every documented status, in code order.
        assert_eq!(cases.iter().map(|(s, _)| *s).collect::<Vec<_>>(), S::ALL);
        for (status, phase) in &cases {
            assert_eq!(&Phase::from_v1_status(*status), phase, "{status:?}");
            // A mapped status keeps its stop meaning in v2.
            if let Some(phase) = phase {
                assert_eq!(phase.is_stopped(), status.is_stopped(), "{status:?}");
                assert_eq!(phase.is_terminal(), status.is_terminal(), "{status:?}");
                assert_eq!(phase.is_stoppable(), status.is_stoppable(), "{status:?}");
                // One classification: the same class through either API.
                assert_eq!(phase.stop_class(), StopStatus::stop_class(*status), "{status:?}");
            }
        }
        assert_eq!(Phase::from_v1_status(S::Unknown(99)), None);
        // What neither API knows is stoppable for the machines, and not a `--running` target.
        let unknown = Phase::from_name("Hibernating");
        assert_eq!(unknown.stop_class(), StopStatus::stop_class(S::Unknown(99)));
        assert_eq!(unknown.is_stoppable(), S::Unknown(99).is_stoppable());
    }

    #[test]
    fn filter_texts_select_phases_table() {
        let cases = [
            ("Terminating", Some(Phase::Terminating)),
            (" running ", Some(Phase::Running)),
            ("ABNORMAL", Some(Phase::Abnormal)),
            ("killed", Some(Phase::Terminated)),
            ("JOBSTAT_CANCELED", Some(Phase::Terminated)),
            ("killing", Some(Phase::Terminating)),
            ("waiting", Some(Phase::Pending)),
            ("init", Some(Phase::Creating)),
            ("lost", Some(Phase::Abnormal)),
            ("8", Some(Phase::Running)),
            ("12", Some(Phase::Terminated)),
            ("scaling", None),
            ("99", None),
            ("sleeping", None),
            ("", None),
        ];
        for (text, phase) in cases {
            assert_eq!(Phase::from_filter(text), phase, "{text:?}");
        }
    }

    #[test]
    fn full_job_object_parses() {
        let body = r#"{"kind":"job","metadata":{"id":"3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab","name":"trainjob-1",
            "workspace_id":"0","description":"d","create_time":1700000000000,"user_name":"alice","annotations":{"a":"b"}},
            "status":{"phase":"Running","secondary_phase":"Running","duration":65000,"start_time":"1700000001000",
            "tasks":["worker-0",1,null],"task_statuses":[{"task":"worker-0","exit_code":"0","message":"ok"}],
            "running_records":[{"x":1}],"node_count_metrics":[[1,2]]},
            "algorithm":{"id":"a"},"spec":{"resource":{"flavor_id":"modelarts.vm.cpu.8u","node_count":"2"}},
            "endpoints":{},"unknown":[1,2,3]}"#;
        let job: TrainingJob = serde_json::from_str(body).unwrap();
        assert_eq!(job.id().unwrap().as_str(), "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab");
        assert_eq!(job.name(), Some("trainjob-1"));
        assert_eq!(job.phase(), Some(&Phase::Running));
        assert_eq!(job.secondary_phase(), Some("Running"));
        assert_eq!(job.duration_ms(), Some(65_000));
        assert_eq!(job.status.as_ref().unwrap().start_time, Some(1_700_000_001_000));
        assert_eq!(job.status.as_ref().unwrap().tasks, ["worker-0", "1"]);
        assert_eq!(job.status.as_ref().unwrap().task_statuses[0].exit_code, Some(0));
        assert_eq!(job.create_time_ms(), Some(1_700_000_000_000));
        assert_eq!((job.flavor_id(), job.node_count()), (Some("modelarts.vm.cpu.8u"), Some(2)));
        assert_eq!(job.stop_class(), StopClass::Stoppable);
    }

    #[test]
    fn every_part_may_be_missing_or_null() {
        for body in [
            "{}",
            r#"{"metadata":null,"status":null,"spec":null}"#,
            r#"{"metadata":{},"status":{},"spec":{"resource":null}}"#,
            r#"{"status":{"phase":null,"tasks":null,"task_statuses":null,"duration":""}}"#,
            r#"{"status":{"phase":""}}"#,
        ] {
            let job: TrainingJob = serde_json::from_str(body).unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(job.phase(), None, "{body}");
            assert_eq!(job.stop_class(), StopClass::Stoppable, "{body}");
            assert_eq!(job.id(), None);
        }
        let list: TrainingJobList = serde_json::from_str(r#"{"items":[]}"#).unwrap();
        assert!(list.items.is_empty() && list.total.is_none());
    }

    #[test]
    fn a_list_without_items_is_malformed_not_empty() {
        for body in ["{}", r#"{"items":null}"#, r#"{"items":null,"total":5}"#, r#"{"total":0,"count":0}"#] {
            assert!(serde_json::from_str::<TrainingJobList>(body).is_err(), "{body}");
        }
        let list: TrainingJobList = serde_json::from_str(r#"{"items":[],"total":null}"#).unwrap();
        assert!(list.items.is_empty());
    }

    #[test]
    fn a_stray_id_is_kept_as_text_but_not_as_an_id() {
        let job: TrainingJob = serde_json::from_str(r#"{"metadata":{"id":12345}}"#).unwrap();
        assert_eq!(job.id_text(), Some("12345"));
        assert_eq!(job.id(), None);
    }

    #[test]
    fn hostile_input_is_an_error_not_a_panic() {
        let deep = format!("{}{}", r#"{"status":"#.repeat(5000), "}".repeat(5000));
        for body in [
            "",
            "null",
            "[[1]]",
            r#"{"status":[]}"#,
            r#"{"status":{"duration":1.5}}"#,
            r#"{"status":{"duration":"ten"}}"#,
            r#"{"metadata":"x"}"#,
            r#"{"status":{"tasks":[{"a":1}]}}"#,
            r#"{"status":{"duration":99999999999999999999999}}"#,
            deep.as_str(),
        ] {
            assert!(serde_json::from_str::<TrainingJob>(body).is_err(), "{body:.80}");
        }
    }
}
