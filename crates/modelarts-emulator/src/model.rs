//! Jobs and versions held by the emulator, the status machine of a version, and the JSON bodies of the
//! four v1 operations.
//!
//! The JSON is written here from the API reference, not with the protocol crate's types, so the
//! emulator stays an independent check of the client's parser. Nothing here does I/O or reads a
//! clock: times are `now_ms` arguments (the emulator clock, epoch milliseconds).

use std::sync::OnceLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The documented v1 status codes (reference §5).
pub mod status {
    /// `JOBSTAT_UNKNOWN`
    pub const UNKNOWN: i32 = 0;
    /// `JOBSTAT_INIT`
    pub const INIT: i32 = 1;
    /// `JOBSTAT_IMAGE_CREATING`
    pub const IMAGE_CREATING: i32 = 2;
    /// `JOBSTAT_IMAGE_FAILED`
    pub const IMAGE_FAILED: i32 = 3;
    /// `JOBSTAT_SUBMIT_TRYING`
    pub const SUBMIT_TRYING: i32 = 4;
    /// `JOBSTAT_SUBMIT_FAILED`
    pub const SUBMIT_FAILED: i32 = 5;
    /// `JOBSTAT_DELETE_FAILED`
    pub const DELETE_FAILED: i32 = 6;
    /// `JOBSTAT_WAITING`
    pub const WAITING: i32 = 7;
    /// `JOBSTAT_RUNNING`
    pub const RUNNING: i32 = 8;
    /// `JOBSTAT_KILLING`: a stop is in progress.
    pub const KILLING: i32 = 9;
    /// `JOBSTAT_COMPLETED`
    pub const COMPLETED: i32 = 10;
    /// `JOBSTAT_FAILED`
    pub const FAILED: i32 = 11;
    /// `JOBSTAT_KILLED`: the normal result of a stop.
    pub const KILLED: i32 = 12;
    /// `JOBSTAT_CANCELED`
    pub const CANCELED: i32 = 13;
    /// `JOBSTAT_LOST`
    pub const LOST: i32 = 14;
    /// `JOBSTAT_SCALING`
    pub const SCALING: i32 = 15;
    /// `JOBSTAT_SUBMIT_MODEL_FAILED`
    pub const SUBMIT_MODEL_FAILED: i32 = 16;
    /// `JOBSTAT_DEPLOY_SERVICE_FAILED`
    pub const DEPLOY_SERVICE_FAILED: i32 = 17;
    /// `JOBSTAT_CHECK_INIT`
    pub const CHECK_INIT: i32 = 18;
    /// `JOBSTAT_CHECK_RUNNING`
    pub const CHECK_RUNNING: i32 = 19;
    /// `JOBSTAT_CHECK_RUNNING_COMPLETED`
    pub const CHECK_RUNNING_COMPLETED: i32 = 20;
    /// `JOBSTAT_CHECK_FAILED`
    pub const CHECK_FAILED: i32 = 21;
    /// `MOUNT_FAILED` (SDK reference only)
    pub const MOUNT_FAILED: i32 = 22;

    /// Statuses a stop moves to KILLING: INIT, IMAGE_CREATING, SUBMIT_TRYING, WAITING, RUNNING,
    /// SCALING. A stop on any other status is answered by the already-stopped policy.
    pub const STOPPABLE: [i32; 6] = [INIT, IMAGE_CREATING, SUBMIT_TRYING, WAITING, RUNNING, SCALING];

    /// Whether a stop on `code` takes effect.
    pub fn is_stoppable(code: i32) -> bool {
        STOPPABLE.contains(&code)
    }

    /// Whether a version in `code` is executing, so its `duration` grows with the clock.
    pub fn is_executing(code: i32) -> bool {
        matches!(code, RUNNING | KILLING | SCALING)
    }

    /// Whether `code` is one of the documented codes `0..=22`.
    pub fn is_known(code: i32) -> bool {
        (UNKNOWN..=MOUNT_FAILED).contains(&code)
    }

    /// The documented name of a status code, e.g. `JOBSTAT_KILLED` for 12.
    pub fn name(code: i32) -> &'static str {
        const NAMES: [&str; 23] = [
            "JOBSTAT_UNKNOWN",
            "JOBSTAT_INIT",
            "JOBSTAT_IMAGE_CREATING",
            "JOBSTAT_IMAGE_FAILED",
            "JOBSTAT_SUBMIT_TRYING",
            "JOBSTAT_SUBMIT_FAILED",
            "JOBSTAT_DELETE_FAILED",
            "JOBSTAT_WAITING",
            "JOBSTAT_RUNNING",
            "JOBSTAT_KILLING",
            "JOBSTAT_COMPLETED",
            "JOBSTAT_FAILED",
            "JOBSTAT_KILLED",
            "JOBSTAT_CANCELED",
            "JOBSTAT_LOST",
            "JOBSTAT_SCALING",
            "JOBSTAT_SUBMIT_MODEL_FAILED",
            "JOBSTAT_DEPLOY_SERVICE_FAILED",
            "JOBSTAT_CHECK_INIT",
            "JOBSTAT_CHECK_RUNNING",
            "JOBSTAT_CHECK_RUNNING_COMPLETED",
            "JOBSTAT_CHECK_FAILED",
            "MOUNT_FAILED",
        ];
        usize::try_from(code).ok().and_then(|i| NAMES.get(i)).copied().unwrap_or("UNDOCUMENTED")
    }
}

/// A job to seed, as found in a `--seed-file`, a `POST /__emulator/jobs` body or
/// [`crate::StateHandle::seed_jobs`]. Every field is optional.
///
/// ```
/// use modelarts_emulator::{JobSeed, VersionSeed, status};
/// let seed = JobSeed::new(10)
///     .name("resnet-train")
///     .version(VersionSeed::new(20).status(status::RUNNING))
///     .version(VersionSeed::new(21).status(status::COMPLETED));
/// assert_eq!(seed.versions.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct JobSeed {
    /// Job id; the next free id (from 100) when absent. Seeding an existing id replaces that job.
    #[serde(default)]
    pub job_id: Option<u64>,
    /// Job name; a generated `adjective-noun-NNN` name when absent.
    #[serde(default)]
    pub job_name: Option<String>,
    /// Job description; empty when absent.
    #[serde(default)]
    pub job_desc: Option<String>,
    /// Workspace id; `"0"` when absent.
    #[serde(default)]
    pub workspace_id: Option<String>,
    /// Creation time, epoch ms; the oldest version's creation time (or now) when absent.
    #[serde(default)]
    pub create_time: Option<u64>,
    /// The versions; one RUNNING version when empty.
    #[serde(default)]
    pub versions: Vec<VersionSeed>,
}

impl JobSeed {
    /// A job with the given id and no other field set.
    pub fn new(job_id: u64) -> Self {
        Self { job_id: Some(job_id), ..Self::default() }
    }

    /// A job with one RUNNING version: the most common test fixture.
    pub fn running(job_id: u64, version_id: u64) -> Self {
        Self::new(job_id).version(VersionSeed::new(version_id))
    }

    /// Sets the job name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.job_name = Some(name.into());
        self
    }

    /// Sets the job description.
    pub fn desc(mut self, desc: impl Into<String>) -> Self {
        self.job_desc = Some(desc.into());
        self
    }

    /// Sets the workspace id.
    pub fn workspace(mut self, workspace_id: impl Into<String>) -> Self {
        self.workspace_id = Some(workspace_id.into());
        self
    }

    /// Sets the creation time (epoch ms).
    pub fn create_time(mut self, epoch_ms: u64) -> Self {
        self.create_time = Some(epoch_ms);
        self
    }

    /// Adds a version.
    pub fn version(mut self, version: VersionSeed) -> Self {
        self.versions.push(version);
        self
    }
}

/// A version to seed; part of a [`JobSeed`]. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct VersionSeed {
    /// Version id; the next free id (from 100000) when absent.
    #[serde(default)]
    pub version_id: Option<u64>,
    /// Version name; `V0001`, `V0002`, … by position when absent.
    #[serde(default)]
    pub version_name: Option<String>,
    /// Status code (0..=22, see [`status`]); RUNNING (8) when absent. A seeded KILLING version
    /// finishes its stop like one stopped through the API, counted from the seeding time.
    #[serde(default)]
    pub status: Option<i32>,
    /// Creation time, epoch ms; now minus the duration minus one minute when absent.
    #[serde(default)]
    pub create_time: Option<u64>,
    /// Start time, epoch ms; derived from `duration` (executing) or the creation time when absent.
    #[serde(default)]
    pub start_time: Option<u64>,
    /// Run time in ms so far (executing statuses) or in total (terminal statuses); 0 for
    /// not-yet-started statuses. Default 60000 for executing and terminal statuses.
    #[serde(default)]
    pub duration: Option<u64>,
    /// The status a stop of this version ends in after KILLING; KILLED (12) when absent. Set e.g.
    /// COMPLETED (10) or FAILED (11) to model a job that ended another way while the stop was in
    /// flight.
    #[serde(default)]
    pub stop_result_status: Option<i32>,
    /// Extra or replacement fields for this version's detail JSON (show and versions), merged over
    /// the generated ones, e.g. `{"core": 2}` to send a number where the doc says String.
    #[serde(default)]
    pub detail: Option<Map<String, Value>>,
    /// The log stops growing after this many lines while the version still runs (a hung job);
    /// `POST /__emulator/logs/stall` does the same to a running version.
    #[serde(default)]
    pub log_stall_after_lines: Option<u64>,
}

impl VersionSeed {
    /// A RUNNING version with the given id.
    pub fn new(version_id: u64) -> Self {
        Self { version_id: Some(version_id), ..Self::default() }
    }

    /// Sets the status code.
    pub fn status(mut self, code: i32) -> Self {
        self.status = Some(code);
        self
    }

    /// Sets the version name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.version_name = Some(name.into());
        self
    }

    /// Sets the duration (ms).
    pub fn duration_ms(mut self, ms: u64) -> Self {
        self.duration = Some(ms);
        self
    }

    /// Sets the creation time (epoch ms).
    pub fn create_time(mut self, epoch_ms: u64) -> Self {
        self.create_time = Some(epoch_ms);
        self
    }

    /// Sets the status a stop ends in.
    pub fn stop_result_status(mut self, code: i32) -> Self {
        self.stop_result_status = Some(code);
        self
    }

    /// Makes the log stop growing after `lines` lines.
    pub fn log_stall_after_lines(mut self, lines: u64) -> Self {
        self.log_stall_after_lines = Some(lines);
        self
    }

    /// Merges extra fields into the detail JSON.
    pub fn detail(mut self, fields: Map<String, Value>) -> Self {
        self.detail = Some(fields);
        self
    }
}

/// A job as it stands now (`GET /__emulator/jobs`, [`crate::StateHandle::jobs`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobSnapshot {
    /// Job id.
    pub job_id: u64,
    /// Job name.
    pub job_name: String,
    /// Job description.
    pub job_desc: String,
    /// Workspace id.
    pub workspace_id: String,
    /// Creation time, epoch ms.
    pub create_time: u64,
    /// Versions, ascending by id.
    pub versions: Vec<VersionSnapshot>,
}

/// A version as it stands now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VersionSnapshot {
    /// Version id.
    pub version_id: u64,
    /// Version name.
    pub version_name: String,
    /// Status code.
    pub status: i32,
    /// Creation time, epoch ms.
    pub create_time: u64,
    /// Start time, epoch ms.
    pub start_time: u64,
    /// Run time, ms.
    pub duration: u64,
    /// When an effective stop was received (epoch ms), if one was.
    pub stop_requested_at: Option<u64>,
    /// Status reads counted since the stop (for `kill_after_polls`).
    pub polls_since_stop: u32,
}

/// When a KILLING version becomes KILLED. Whichever configured condition is met first wins; with
/// neither, a stop stays KILLING forever (useful for waiter time-outs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KillTiming {
    pub(crate) after: Option<Duration>,
    pub(crate) after_polls: Option<u32>,
}

#[derive(Debug, Clone)]
struct Kill {
    requested_at: u64,
    polls: u32,
}

/// One version in the emulator.
#[derive(Debug, Clone)]
pub(crate) struct Version {
    pub(crate) id: u64,
    name: String,
    pub(crate) status: i32,
    create_time: u64,
    start_time: u64,
    /// `Some` once the run time no longer grows (terminal or never started).
    frozen_duration: Option<u64>,
    kill: Option<Kill>,
    stop_result: i32,
    pre_version_id: u64,
    detail: Option<Map<String, Value>>,
    /// The log's regular lines stop at this count.
    pub(crate) log_stall: Option<u64>,
}

/// What a stop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopOutcome {
    /// The version moved to KILLING.
    Effective,
    /// The version was in this status, which a stop cannot change.
    NotStoppable(i32),
}

impl Version {
    fn from_seed(seed: &VersionSeed, id: u64, name: String, pre_version_id: u64, now_ms: u64) -> Self {
        let code = seed.status.unwrap_or(status::RUNNING);
        let not_started = matches!(
            code,
            status::UNKNOWN
                | status::INIT
                | status::IMAGE_CREATING
                | status::SUBMIT_TRYING
                | status::WAITING
                | status::CHECK_INIT
                | status::CHECK_RUNNING
        );
        let duration = if not_started { 0 } else { seed.duration.unwrap_or(60_000) };
        let create_time =
            seed.create_time.unwrap_or_else(|| now_ms.saturating_sub(duration).saturating_sub(60_000));
        let start_time = seed.start_time.unwrap_or(if status::is_executing(code) {
            now_ms.saturating_sub(duration).max(create_time)
        } else {
            create_time
        });
        let frozen_duration = if status::is_executing(code) { None } else { Some(duration) };
        let kill = (code == status::KILLING).then_some(Kill { requested_at: now_ms, polls: 0 });
        Self {
            id,
            name,
            status: code,
            create_time,
            start_time,
            frozen_duration,
            kill,
            stop_result: seed.stop_result_status.unwrap_or(status::KILLED),
            pre_version_id,
            detail: seed.detail.clone(),
            log_stall: seed.log_stall_after_lines,
        }
    }

    /// Run time in ms at `now_ms`.
    pub(crate) fn duration(&self, now_ms: u64) -> u64 {
        self.frozen_duration.unwrap_or_else(|| now_ms.saturating_sub(self.start_time))
    }

    /// Brings a KILLING version up to date. `count_poll` is true for API reads that report this
    /// version's status: the first `after_polls` such reads after the stop still see KILLING, the
    /// next one sees the final status.
    pub(crate) fn observe(&mut self, now_ms: u64, timing: KillTiming, count_poll: bool) {
        if self.status != status::KILLING {
            return;
        }
        let Some(kill) = self.kill.as_mut() else {
            return;
        };
        if let Some(after) = timing.after {
            let due = kill.requested_at.saturating_add(u64::try_from(after.as_millis()).unwrap_or(u64::MAX));
            if now_ms >= due {
                self.finish_kill(due);
                return;
            }
        }
        if count_poll && let Some(n) = timing.after_polls {
            if kill.polls >= n {
                self.finish_kill(now_ms);
            } else {
                kill.polls += 1;
            }
        }
    }

    fn finish_kill(&mut self, at_ms: u64) {
        self.status = self.stop_result;
        if self.frozen_duration.is_none() {
            self.frozen_duration = Some(at_ms.saturating_sub(self.start_time));
        }
    }

    /// Workers (log files): the detail's `worker_server_num` if seeded, else 1.
    pub(crate) fn workers(&self) -> u64 {
        self.detail
            .as_ref()
            .and_then(|d| d.get("worker_server_num"))
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .clamp(1, 64)
    }

    /// The log of `worker` at `now_ms`: it grows while the version runs, until a stop is requested.
    pub(crate) fn log(&self, worker: u64, now_ms: u64) -> crate::logs::Log {
        let run = self.duration(now_ms);
        let run = self.kill.as_ref().map_or(run, |k| run.min(k.requested_at.saturating_sub(self.start_time)));
        let ended = !status::is_executing(self.status)
            && !matches!(
                self.status,
                status::UNKNOWN
                    | status::INIT
                    | status::IMAGE_CREATING
                    | status::SUBMIT_TRYING
                    | status::WAITING
                    | status::CHECK_INIT
                    | status::CHECK_RUNNING
            );
        let how = status::name(self.status);
        crate::logs::Log::new(&format!("worker-{worker}"), run, self.log_stall, ended.then_some(how))
    }

    /// Applies a stop request at `now_ms`.
    pub(crate) fn stop(&mut self, now_ms: u64) -> StopOutcome {
        if !status::is_stoppable(self.status) {
            return StopOutcome::NotStoppable(self.status);
        }
        self.status = status::KILLING;
        self.kill = Some(Kill { requested_at: now_ms, polls: 0 });
        StopOutcome::Effective
    }

    fn snapshot(&self, now_ms: u64) -> VersionSnapshot {
        VersionSnapshot {
            version_id: self.id,
            version_name: self.name.clone(),
            status: self.status,
            create_time: self.create_time,
            start_time: self.start_time,
            duration: self.duration(now_ms),
            stop_requested_at: self.kill.as_ref().map(|k| k.requested_at),
            polls_since_stop: self.kill.as_ref().map_or(0, |k| k.polls),
        }
    }
}

/// One job in the emulator.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) desc: String,
    pub(crate) workspace_id: String,
    pub(crate) create_time: u64,
    /// Ascending by id; never empty.
    pub(crate) versions: Vec<Version>,
}

/// Hands out ids and names for seeds that leave them out.
pub(crate) trait SeedDefaults {
    fn next_job_id(&mut self) -> u64;
    fn next_version_id(&mut self) -> u64;
    fn job_name(&mut self, job_id: u64) -> String;
}

impl Job {
    pub(crate) fn from_seed(seed: &JobSeed, ids: &mut dyn SeedDefaults, now_ms: u64) -> Self {
        let id = seed.job_id.unwrap_or_else(|| ids.next_job_id());
        let default_versions = [VersionSeed::default()];
        let version_seeds: &[VersionSeed] =
            if seed.versions.is_empty() { &default_versions } else { &seed.versions };
        let mut versions: Vec<Version> = Vec::with_capacity(version_seeds.len());
        for (i, vs) in version_seeds.iter().enumerate() {
            let vid = vs.version_id.unwrap_or_else(|| ids.next_version_id());
            let name = vs.version_name.clone().unwrap_or_else(|| format!("V{:04}", i + 1));
            let pre = versions.last().map_or(0, |v| v.id);
            versions.push(Version::from_seed(vs, vid, name, pre, now_ms));
        }
        versions.sort_by_key(|v| v.id);
        versions.dedup_by_key(|v| v.id);
        let create_time =
            seed.create_time.or_else(|| versions.iter().map(|v| v.create_time).min()).unwrap_or(now_ms);
        Self {
            id,
            name: seed.job_name.clone().unwrap_or_else(|| ids.job_name(id)),
            desc: seed.job_desc.clone().unwrap_or_default(),
            workspace_id: seed.workspace_id.clone().unwrap_or_else(|| "0".to_owned()),
            create_time,
            versions,
        }
    }

    pub(crate) fn version_mut(&mut self, version_id: u64) -> Option<&mut Version> {
        self.versions.binary_search_by_key(&version_id, |v| v.id).ok().and_then(|i| self.versions.get_mut(i))
    }

    /// The latest version: the one with the highest id (versions are never empty).
    pub(crate) fn latest_mut(&mut self) -> Option<&mut Version> {
        self.versions.last_mut()
    }

    pub(crate) fn latest(&self) -> Option<&Version> {
        self.versions.last()
    }

    pub(crate) fn snapshot(&self, now_ms: u64) -> JobSnapshot {
        JobSnapshot {
            job_id: self.id,
            job_name: self.name.clone(),
            job_desc: self.desc.clone(),
            workspace_id: self.workspace_id.clone(),
            create_time: self.create_time,
            versions: self.versions.iter().map(|v| v.snapshot(now_ms)).collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Response bodies
// ---------------------------------------------------------------------------------------------

/// `model_metric_list` is documented as a JSON-encoded string.
const MODEL_METRIC_LIST: &str = r#"{"metric":[{"metric_values":{"recall":0.0,"precision":0.0,"accuracy":0.0},"reserved_data":{},"metric_meta":{}}],"total_metric":{"total_metric_meta":{},"total_reserved_data":{},"total_metric_values":{"f1_score":0.0,"recall":0.0,"precision":0.0,"accuracy":0.0}}}"#;
/// `system_metric_list` is an object in the detail (§2) but a JSON string in the versions list (§4).
const SYSTEM_METRIC_LIST: &str = r#"{"cpuUsage":[],"memUsage":[],"gpuUtil":[],"gpuMemUsage":[],"diskReadRate":[],"diskWriteRate":[],"recvBytesRate":[],"sendBytesRate":[],"interval":1}"#;

#[derive(Serialize)]
struct Parameter {
    label: &'static str,
    value: &'static str,
}

#[derive(Serialize)]
struct DataSource {
    dataset_id: &'static str,
    dataset_version: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    data_url: &'static str,
}

#[derive(Serialize)]
struct SystemMetricObject {
    #[serde(rename = "cpuUsage")]
    cpu_usage: [&'static str; 0],
    #[serde(rename = "memUsage")]
    mem_usage: [&'static str; 0],
    #[serde(rename = "gpuUtil")]
    gpu_util: [&'static str; 0],
}

#[derive(Serialize)]
#[serde(untagged)]
enum SystemMetric {
    Object(SystemMetricObject),
    Text(&'static str),
}

/// The fields of §2 and §4 that are the same for every version. Serialised once (see
/// [`constant_fields`]): escaping them on every request cost more than the rest of the body.
#[derive(Serialize)]
struct ConstantFields {
    engine_type: i64,
    engine_id: u64,
    engine_name: &'static str,
    engine_version: &'static str,
    app_url: &'static str,
    boot_file_url: &'static str,
    parameter: [Parameter; 1],
    spec_id: u64,
    spec_code: &'static str,
    core: &'static str,
    cpu: &'static str,
    gpu_num: u32,
    gpu_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    gpu: Option<bool>,
    worker_server_num: u32,
    data_url: &'static str,
    train_url: &'static str,
    log_url: &'static str,
    dataset_version_id: &'static str,
    dataset_id: &'static str,
    data_source: [DataSource; 1],
    model_id: u64,
    model_metric_list: &'static str,
    system_metric_list: SystemMetric,
    user_image_url: &'static str,
    user_command: &'static str,
    resource_id: &'static str,
    dataset_name: &'static str,
    dataset_version_name: &'static str,
    volumes: [(); 0],
    pool_id: &'static str,
    pool_name: &'static str,
    nas_mount_path: &'static str,
    nas_share_addr: &'static str,
    nas_type: &'static str,
}

impl ConstantFields {
    /// `in_list`: the §4 item variant (`system_metric_list` as a JSON string, plus `gpu`).
    fn new(in_list: bool) -> Self {
        Self {
            engine_type: 1,
            engine_id: 1,
            engine_name: "TensorFlow",
            engine_version: "TF-2.1.0-python3.6",
            app_url: "/emulator-bucket/code/",
            boot_file_url: "/emulator-bucket/code/train.py",
            parameter: [Parameter { label: "learning_rate", value: "0.01" }],
            spec_id: 1,
            spec_code: "modelarts.vm.cpu.8u",
            core: "8",
            cpu: "32",
            gpu_num: 0,
            gpu_type: "",
            gpu: in_list.then_some(false),
            worker_server_num: 1,
            data_url: "/emulator-bucket/data/",
            train_url: "/emulator-bucket/output/",
            log_url: "",
            dataset_version_id: "",
            dataset_id: "",
            data_source: [DataSource {
                dataset_id: "",
                dataset_version: "",
                kind: "obs",
                data_url: "/emulator-bucket/data/",
            }],
            model_id: 0,
            model_metric_list: MODEL_METRIC_LIST,
            system_metric_list: if in_list {
                SystemMetric::Text(SYSTEM_METRIC_LIST)
            } else {
                SystemMetric::Object(SystemMetricObject { cpu_usage: [], mem_usage: [], gpu_util: [] })
            },
            user_image_url: "",
            user_command: "",
            resource_id: "",
            dataset_name: "",
            dataset_version_name: "",
            volumes: [],
            pool_id: "",
            pool_name: "",
            nas_mount_path: "",
            nas_share_addr: "",
            nas_type: "nfs",
        }
    }
}

/// The constant fields as JSON object members, without the braces.
fn constant_fields(in_list: bool) -> &'static str {
    static DETAIL: OnceLock<String> = OnceLock::new();
    static ITEM: OnceLock<String> = OnceLock::new();
    let cell = if in_list { &ITEM } else { &DETAIL };
    cell.get_or_init(|| {
        let json = String::from_utf8(to_vec(&ConstantFields::new(in_list))).unwrap_or_default();
        json.trim_start_matches('{').trim_end_matches('}').to_owned()
    })
}

/// The fields that differ per version (and, in §2, the job fields).
#[derive(Serialize)]
struct DynamicFields<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    is_success: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_desc: Option<&'a str>,
    version_id: u64,
    version_name: &'a str,
    pre_version_id: u64,
    status: i32,
    create_time: u64,
    duration: u64,
    start_time: u64,
}

/// Appends one version object: the §2 detail when `job` is given, else a §4 `versions[]` item.
fn write_version(out: &mut Vec<u8>, job: Option<&Job>, v: &Version, now_ms: u64) {
    let dynamic = DynamicFields {
        is_success: job.map(|_| true),
        job_id: job.map(|j| j.id),
        job_name: job.map(|j| j.name.as_str()),
        job_desc: job.map(|j| j.desc.as_str()),
        version_id: v.id,
        version_name: &v.name,
        pre_version_id: v.pre_version_id,
        status: v.status,
        create_time: v.create_time,
        duration: v.duration(now_ms),
        start_time: v.start_time,
    };
    let start = out.len();
    if serde_json::to_writer(&mut *out, &dynamic).is_err() {
        out.truncate(start);
        return;
    }
    // Reopen the object: replace its closing brace with the constant members.
    out.pop();
    out.push(b',');
    out.extend_from_slice(constant_fields(job.is_none()).as_bytes());
    out.push(b'}');
    if let Some(extra) = &v.detail {
        let merged = serde_json::from_slice::<Value>(&out[start..]).map(|mut value| {
            if let Value::Object(map) = &mut value {
                for (k, val) in extra {
                    map.insert(k.clone(), val.clone());
                }
            }
            value
        });
        if let Ok(value) = merged {
            out.truncate(start);
            // A Value always serialises.
            let _ = serde_json::to_writer(&mut *out, &value);
        }
    }
}

fn to_vec<T: Serialize>(value: &T) -> Vec<u8> {
    // Detail bodies are about 1.5 KB: allocate once.
    let mut out = Vec::with_capacity(2048);
    // Serialising these plain structs cannot fail: no maps with non-string keys, no custom Serialize.
    match serde_json::to_writer(&mut out, value) {
        Ok(()) => out,
        Err(_) => Vec::new(),
    }
}

/// §2: the version-detail body.
pub(crate) fn show_body(job: &Job, v: &Version, now_ms: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(2048);
    write_version(&mut out, Some(job), v, now_ms);
    out
}

#[derive(Serialize)]
struct VersionsHead<'a> {
    is_success: bool,
    job_id: u64,
    job_name: &'a str,
    job_desc: &'a str,
    version_count: u64,
}

/// §4: the versions body for the given page of versions (already ordered).
pub(crate) fn versions_body(job: &Job, page: &[&Version], now_ms: u64) -> Vec<u8> {
    let mut out = to_vec(&VersionsHead {
        is_success: true,
        job_id: job.id,
        job_name: &job.name,
        job_desc: &job.desc,
        version_count: job.versions.len() as u64,
    });
    out.pop();
    out.extend_from_slice(b",\"versions\":[");
    for (i, v) in page.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_version(&mut out, None, v, now_ms);
    }
    out.extend_from_slice(b"]}");
    out
}

#[derive(Serialize)]
struct ListItem<'a> {
    job_id: u64,
    job_name: &'a str,
    version_id: u64,
    status: i32,
    create_time: u64,
    duration: u64,
    job_desc: &'a str,
    version_count: u64,
}

#[derive(Serialize)]
struct ListBody<'a> {
    is_success: bool,
    job_total_count: u64,
    job_count_limit: u64,
    quotas: u64,
    jobs: Vec<ListItem<'a>>,
}

/// §3: the list body. `total_matching` is the number of jobs matching the filter (all pages).
pub(crate) fn list_body(
    page: &[&Job],
    total_matching: usize,
    total_jobs: usize,
    quota: u64,
    now_ms: u64,
) -> Vec<u8> {
    let jobs = page
        .iter()
        .filter_map(|j| {
            let v = j.latest()?;
            Some(ListItem {
                job_id: j.id,
                job_name: &j.name,
                version_id: v.id,
                status: v.status,
                create_time: j.create_time,
                duration: v.duration(now_ms),
                job_desc: &j.desc,
                version_count: j.versions.len() as u64,
            })
        })
        .collect();
    to_vec(&ListBody {
        is_success: true,
        job_total_count: total_matching as u64,
        job_count_limit: quota.saturating_sub(total_jobs as u64),
        quotas: quota,
        jobs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ids(u64);
    impl SeedDefaults for Ids {
        fn next_job_id(&mut self) -> u64 {
            self.0 += 1;
            self.0
        }
        fn next_version_id(&mut self) -> u64 {
            self.0 += 1;
            self.0
        }
        fn job_name(&mut self, job_id: u64) -> String {
            format!("job-{job_id}")
        }
    }

    const NOW: u64 = 1_700_000_000_000;

    fn running() -> Version {
        let job = Job::from_seed(&JobSeed::running(1, 2), &mut Ids(0), NOW);
        job.versions[0].clone()
    }

    #[test]
    fn time_based_kill_freezes_duration_at_the_due_time() {
        let mut v = running();
        let timing = KillTiming { after: Some(Duration::from_millis(2000)), after_polls: None };
        assert_eq!(v.stop(NOW + 1000), StopOutcome::Effective);
        v.observe(NOW + 2999, timing, true);
        assert_eq!(v.status, status::KILLING);
        v.observe(NOW + 10_000, timing, true);
        assert_eq!(v.status, status::KILLED);
        // The seed's run time (60 s) plus the 3 s until the kill finished.
        assert_eq!(v.duration(NOW + 99_999), 63_000);
        assert_eq!(v.stop(NOW + 11_000), StopOutcome::NotStoppable(status::KILLED));
    }

    #[test]
    fn poll_based_kill_counts_reads() {
        let mut v = running();
        let timing = KillTiming { after: None, after_polls: Some(2) };
        v.stop(NOW);
        let seen: Vec<i32> = (0..4)
            .map(|_| {
                v.observe(NOW, timing, true);
                v.status
            })
            .collect();
        assert_eq!(seen, [status::KILLING, status::KILLING, status::KILLED, status::KILLED]);
        // Reads that do not count (admin) never advance it.
        let mut w = running();
        w.stop(NOW);
        for _ in 0..10 {
            w.observe(NOW, timing, false);
        }
        assert_eq!(w.status, status::KILLING);
    }

    #[test]
    fn stoppable_table() {
        for code in 0..=22 {
            let expected = [1, 2, 4, 7, 8, 15].contains(&code);
            assert_eq!(status::is_stoppable(code), expected, "status {code}");
        }
    }

    #[test]
    fn show_body_has_documented_types() {
        let job = Job::from_seed(&JobSeed::running(1, 2).name("n"), &mut Ids(0), NOW);
        let body: Value = serde_json::from_slice(&show_body(&job, &job.versions[0], NOW)).expect("json");
        assert_eq!(body["is_success"], true);
        assert!(body["model_metric_list"].is_string());
        assert!(body["system_metric_list"].is_object());
        let parsed: Value =
            serde_json::from_str(body["model_metric_list"].as_str().unwrap_or("")).expect("inner json");
        assert!(parsed["total_metric"]["total_metric_values"]["f1_score"].is_number());
    }
}
