//! [`EmulatorConfig`]: everything fixed at start, with deterministic defaults, plus the run-time
//! [`Settings`] that the admin API may change later.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::auth::{AcceptedCredentials, AuthMode};
use crate::faults::FaultScript;
use crate::iam::IamConfig;
use crate::metadata::MetadataConfig;
use crate::model::JobSeed;
use crate::throttle::ThrottleSettings;
use crate::v2_model::V2JobSeed;

/// How a stop on a version that cannot be stopped (already KILLING, KILLED or another
/// non-stoppable status) is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum AlreadyStoppedPolicy {
    /// HTTP 400 `{"is_success":false,"error_code":"ModelArts.0105","error_message":…}` (the
    /// documented sample failure).
    #[default]
    BadRequest,
    /// HTTP 409 `ModelArts.2796` (NotAllowedToTerminate).
    Conflict,
    /// HTTP 200 with `is_success:false` and `ModelArts.0105`.
    OkFalse,
    /// HTTP 200 `{"is_success":true}`, as if the stop worked (an idempotent server).
    Success,
}

impl AlreadyStoppedPolicy {
    /// The kebab-case name (`bad-request`, `conflict`, `ok-false`, `success`).
    pub fn as_str(self) -> &'static str {
        match self {
            AlreadyStoppedPolicy::BadRequest => "bad-request",
            AlreadyStoppedPolicy::Conflict => "conflict",
            AlreadyStoppedPolicy::OkFalse => "ok-false",
            AlreadyStoppedPolicy::Success => "success",
        }
    }
}

/// The name of the error-text field in ModelArts error bodies (the docs use both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorField {
    /// `error_message` (current v1 pages).
    #[default]
    ErrorMessage,
    /// `error_msg` (older pages, the SDK reference).
    ErrorMsg,
}

/// Behaviour that can change while the emulator runs (`GET/POST /__emulator/settings`,
/// [`crate::StateHandle::settings`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Settings {
    /// Auth mode.
    pub auth: AuthMode,
    /// Answer to a stop of a version that cannot be stopped.
    pub already_stopped: AlreadyStoppedPolicy,
    /// KILLING becomes final this long after the stop (ms); `None` disables the time rule.
    pub kill_after_ms: Option<u64>,
    /// KILLING becomes final on the status read after this many reads; `None` disables the rule.
    pub kill_after_polls: Option<u32>,
    /// Error-text field name in ModelArts error bodies.
    pub error_field: ErrorField,
    /// Answer to a v2 terminate of a job that cannot be terminated (default `conflict`: 409
    /// `ModelArts.2796`, as documented for v2; `bad-request` is 400 `ModelArts.0105`, `ok-false` a
    /// 200 with the 2796 error body, `success` a 202 with the unchanged job).
    #[serde(default = "v2_conflict")]
    pub v2_already_stopped: AlreadyStoppedPolicy,
}

fn v2_conflict() -> AlreadyStoppedPolicy {
    AlreadyStoppedPolicy::Conflict
}

impl Settings {
    pub(crate) fn kill_timing(&self) -> crate::model::KillTiming {
        crate::model::KillTiming {
            after: self.kill_after_ms.map(Duration::from_millis),
            after_polls: self.kill_after_polls,
        }
    }
}

/// A partial [`Settings`] update: absent keys keep their value; `kill_after_ms` and
/// `kill_after_polls` accept `null` to disable the rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsPatch {
    auth: Option<AuthMode>,
    already_stopped: Option<AlreadyStoppedPolicy>,
    #[serde(default, deserialize_with = "double_option")]
    kill_after_ms: Option<Option<u64>>,
    #[serde(default, deserialize_with = "double_option")]
    kill_after_polls: Option<Option<u32>>,
    error_field: Option<ErrorField>,
    v2_already_stopped: Option<AlreadyStoppedPolicy>,
}

fn double_option<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl SettingsPatch {
    pub(crate) fn apply(self, s: &mut Settings) {
        if let Some(v) = self.auth {
            s.auth = v;
        }
        if let Some(v) = self.already_stopped {
            s.already_stopped = v;
        }
        if let Some(v) = self.kill_after_ms {
            s.kill_after_ms = v;
        }
        if let Some(v) = self.kill_after_polls {
            s.kill_after_polls = v;
        }
        if let Some(v) = self.error_field {
            s.error_field = v;
        }
        if let Some(v) = self.v2_already_stopped {
            s.v2_already_stopped = v;
        }
    }
}

/// How to start an emulator. `Default` gives plain HTTP on `127.0.0.1:0` (an ephemeral port), auth
/// `enforce`, deterministic credentials and project id, no jobs, `kill_after` 2 s, seed 1.
///
/// ```no_run
/// # async fn demo() -> Result<(), modelarts_emulator::Error> {
/// use std::time::Duration;
/// use modelarts_emulator::{Emulator, EmulatorConfig, JobSeed};
///
/// let emulator = Emulator::start(
///     EmulatorConfig::default()
///         .tls(true)
///         .job(JobSeed::running(10, 20))
///         .kill_after(Duration::from_millis(200)),
/// )
/// .await?;
/// println!("{} trusts {:?}", emulator.endpoint(), emulator.ca_cert_path());
/// emulator.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EmulatorConfig {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Serve HTTPS with a generated CA (ALPN h2 and http/1.1) instead of plain HTTP.
    pub tls: bool,
    /// Where to write the CA certificate (PEM) when `tls` is on; `ca.pem` in a new private directory
    /// (mode 0700) of the temp dir, deleted at shutdown, when `None`. The file is always created new:
    /// an existing file or symlink at the path is refused.
    pub ca_out: Option<PathBuf>,
    /// Accepted credentials.
    pub credentials: AcceptedCredentials,
    /// The project id in the paths (32 hex digits by default).
    pub project_id: String,
    /// Allowed distance between `X-Sdk-Date` and the emulator clock (±15 min).
    pub auth_tolerance: Duration,
    /// Jobs present at start (and after a reset).
    pub jobs: Vec<JobSeed>,
    /// Number of RUNNING jobs with one version each to generate at start, after `jobs`.
    pub generated_jobs: usize,
    /// v2 jobs present at start (and after a reset).
    pub v2_jobs: Vec<V2JobSeed>,
    /// Number of Running v2 jobs to generate at start, after `v2_jobs`.
    pub generated_v2_jobs: usize,
    /// Offset of the emulator clock from the wall clock, ms (affects `Date`, signature checks,
    /// timestamps and kill timing).
    pub clock_offset_ms: i64,
    /// Seed of every random choice (generated names, request ids).
    pub random_seed: u64,
    /// Fault scripts present at start (and after a reset).
    pub faults: Vec<FaultScript>,
    /// Throttle mode at start.
    pub throttle: Option<ThrottleSettings>,
    /// Maximum number of training jobs reported as `quotas`.
    pub quota: u64,
    /// Journal capacity; older entries are dropped beyond it.
    pub journal_limit: usize,
    /// Largest request body accepted (bytes); larger ones get 413.
    pub max_request_body: usize,
    /// How long a request's body may take to arrive once its head is read; a client that stalls
    /// longer gets 408 and the connection is closed (hyper bounds the head itself).
    pub body_read_timeout: Duration,
    /// Run-time settings at start (and after a reset).
    pub settings: Settings,
    /// The IAM face: users, projects per region, agencies, identity providers.
    pub iam: IamConfig,
    /// The ECS metadata face (off by default).
    pub metadata: MetadataConfig,
    /// The CCE pod-identity face (off by default).
    pub pod_identity: crate::pod_identity::PodIdentityConfig,
    /// How long an access key stays locked after more than five signature failures in a row
    /// (the gateway's 5 minutes by default; short in tests).
    pub ak_lock: Duration,
    /// Serve no v1 training-job API, as a cloud that retired it: every
    /// `/v1/{project_id}/training-jobs…` route answers the gateway's 404
    /// `{"error_code":"APIG.0101","error_msg":"The API does not exist or has not been published in the environment","request_id":…}`
    /// (with `X-Request-Id`), whatever the method, auth or faults. The v2, workspace, IAM and
    /// metadata routes are unaffected (the workspace list `GET /v1/{project_id}/workspaces` is
    /// another ModelArts API and stays). Off by default.
    pub v1_absent: bool,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            tls: false,
            ca_out: None,
            credentials: AcceptedCredentials::default(),
            project_id: "6d6f64656c617274732d656d756c6174".to_owned(),
            auth_tolerance: Duration::from_secs(15 * 60),
            jobs: Vec::new(),
            generated_jobs: 0,
            v2_jobs: Vec::new(),
            generated_v2_jobs: 0,
            clock_offset_ms: 0,
            random_seed: 1,
            faults: Vec::new(),
            throttle: None,
            quota: 1000,
            journal_limit: 50_000,
            max_request_body: 1 << 20,
            body_read_timeout: Duration::from_secs(30),
            settings: Settings {
                auth: AuthMode::Enforce,
                already_stopped: AlreadyStoppedPolicy::BadRequest,
                kill_after_ms: Some(2000),
                kill_after_polls: None,
                error_field: ErrorField::ErrorMessage,
                v2_already_stopped: AlreadyStoppedPolicy::Conflict,
            },
            iam: IamConfig::default(),
            metadata: MetadataConfig::default(),
            pod_identity: crate::pod_identity::PodIdentityConfig::default(),
            ak_lock: Duration::from_secs(5 * 60),
            v1_absent: false,
        }
    }
}

impl EmulatorConfig {
    /// Sets the listen address.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Turns HTTPS on or off.
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }

    /// Writes the CA certificate to `path`, which must not exist yet (the file is kept at shutdown).
    pub fn ca_out(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_out = Some(path.into());
        self
    }

    /// Sets the accepted credentials.
    pub fn credentials(mut self, credentials: AcceptedCredentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// Requires `X-Security-Token: <token>` on AK/SK requests.
    pub fn security_token(mut self, token: impl Into<String>) -> Self {
        self.credentials.security_token = Some(token.into());
        self
    }

    /// Sets the project id.
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = project_id.into();
        self
    }

    /// Sets the auth mode.
    pub fn auth(mut self, mode: AuthMode) -> Self {
        self.settings.auth = mode;
        self
    }

    /// Adds a job.
    pub fn job(mut self, job: JobSeed) -> Self {
        self.jobs.push(job);
        self
    }

    /// Adds jobs.
    pub fn jobs(mut self, jobs: impl IntoIterator<Item = JobSeed>) -> Self {
        self.jobs.extend(jobs);
        self
    }

    /// Generates `n` RUNNING jobs with one version each.
    pub fn generate_jobs(mut self, n: usize) -> Self {
        self.generated_jobs = n;
        self
    }

    /// Adds a v2 job.
    pub fn v2_job(mut self, job: V2JobSeed) -> Self {
        self.v2_jobs.push(job);
        self
    }

    /// Adds v2 jobs.
    pub fn v2_jobs(mut self, jobs: impl IntoIterator<Item = V2JobSeed>) -> Self {
        self.v2_jobs.extend(jobs);
        self
    }

    /// Generates `n` Running v2 jobs.
    pub fn generate_v2_jobs(mut self, n: usize) -> Self {
        self.generated_v2_jobs = n;
        self
    }

    /// Sets the answer to a v2 terminate of a job that cannot be terminated.
    pub fn v2_already_stopped(mut self, policy: AlreadyStoppedPolicy) -> Self {
        self.settings.v2_already_stopped = policy;
        self
    }

    /// KILLING becomes final `after` the stop (on the emulator clock). Keeps a poll rule if set.
    pub fn kill_after(mut self, after: Duration) -> Self {
        self.settings.kill_after_ms = Some(u64::try_from(after.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// KILLING becomes final on the read after `n` status reads, and the time rule is turned off
    /// (call [`kill_after`](Self::kill_after) afterwards to have both; the first met wins).
    pub fn kill_after_polls(mut self, n: u32) -> Self {
        self.settings.kill_after_polls = Some(n);
        self.settings.kill_after_ms = None;
        self
    }

    /// A stop stays KILLING forever (for waiter time-out tests).
    pub fn never_kill(mut self) -> Self {
        self.settings.kill_after_ms = None;
        self.settings.kill_after_polls = None;
        self
    }

    /// Sets the answer to a stop of a version that cannot be stopped.
    pub fn already_stopped(mut self, policy: AlreadyStoppedPolicy) -> Self {
        self.settings.already_stopped = policy;
        self
    }

    /// Sets the error-text field name of ModelArts error bodies.
    pub fn error_field(mut self, field: ErrorField) -> Self {
        self.settings.error_field = field;
        self
    }

    /// Sets the clock offset in seconds (positive: the emulator is ahead of the wall clock).
    pub fn clock_offset_secs(mut self, secs: i64) -> Self {
        self.clock_offset_ms = secs.saturating_mul(1000);
        self
    }

    /// Sets the random seed.
    pub fn random_seed(mut self, seed: u64) -> Self {
        self.random_seed = seed;
        self
    }

    /// Adds a fault script present from the start.
    pub fn fault(mut self, script: FaultScript) -> Self {
        self.faults.push(script);
        self
    }

    /// Turns the throttle mode on from the start.
    pub fn throttle(mut self, settings: ThrottleSettings) -> Self {
        self.throttle = Some(settings);
        self
    }

    /// Sets the journal capacity.
    pub fn journal_limit(mut self, entries: usize) -> Self {
        self.journal_limit = entries;
        self
    }

    /// Sets the IAM face's configuration.
    pub fn iam(mut self, iam: IamConfig) -> Self {
        self.iam = iam;
        self
    }

    /// Serves no v1 training-job API (see [`EmulatorConfig::v1_absent`]).
    pub fn v1_absent(mut self, absent: bool) -> Self {
        self.v1_absent = absent;
        self
    }

    /// Sets the pod-identity face's configuration.
    pub fn pod_identity(mut self, pod_identity: crate::pod_identity::PodIdentityConfig) -> Self {
        self.pod_identity = pod_identity;
        self
    }

    /// Sets how long an access key stays locked after more than five signature failures in a row.
    pub fn ak_lock(mut self, lock: Duration) -> Self {
        self.ak_lock = lock;
        self
    }

    /// Sets the metadata face's configuration.
    pub fn metadata(mut self, metadata: MetadataConfig) -> Self {
        self.metadata = metadata;
        self
    }

    /// Reads a seed file and adds its jobs: a JSON array of [`JobSeed`] (or one object) for v1, or
    /// an object with sections `{"jobs": [JobSeed…], "v2_jobs": [V2JobSeed…]}` (both optional).
    pub fn seed_file(mut self, path: &Path) -> Result<Self, Error> {
        let bytes = read(path)?;
        let (jobs, v2_jobs) =
            parse_seed_file(&bytes).map_err(|e| Error::File { path: path.to_owned(), reason: e })?;
        self.jobs.extend(jobs);
        self.v2_jobs.extend(v2_jobs);
        Ok(self)
    }

    /// Reads a fault file: a JSON array of [`FaultScript`] (or one object) and adds its scripts.
    pub fn fault_file(mut self, path: &Path) -> Result<Self, Error> {
        let bytes = read(path)?;
        let scripts = crate::faults::parse_scripts(&bytes)
            .map_err(|e| Error::File { path: path.to_owned(), reason: e })?;
        self.faults.extend(scripts);
        Ok(self)
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        let bad = |m: String| Err(Error::Config(m));
        if self.project_id.is_empty() || self.project_id.contains('/') {
            return bad(format!("invalid project id {:?}", self.project_id));
        }
        for script in &self.faults {
            script.validate().map_err(Error::Config)?;
        }
        self.iam.validate().map_err(Error::Config)?;
        if self.throttle.as_ref().is_some_and(|t| t.rps == 0) {
            return bad("throttle rps must be at least 1".into());
        }
        Ok(())
    }
}

/// A seed file: v1 seeds, or the sectioned object (told apart by a `v2_jobs` key at the top).
fn parse_seed_file(bytes: &[u8]) -> Result<(Vec<JobSeed>, Vec<V2JobSeed>), String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sections {
        #[serde(default)]
        jobs: Option<Box<serde_json::value::RawValue>>,
        v2_jobs: Box<serde_json::value::RawValue>,
    }
    match serde_json::from_slice::<Sections>(bytes) {
        Ok(sections) => {
            let jobs = match sections.jobs {
                Some(raw) => crate::state::parse_seeds(raw.get().as_bytes())?,
                None => Vec::new(),
            };
            Ok((jobs, crate::v2_model::parse_v2_seeds(sections.v2_jobs.get().as_bytes())?))
        }
        Err(_) => Ok((crate::state::parse_seeds(bytes)?, Vec::new())),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Io { what: format!("reading {}", path.display()), source })
}
