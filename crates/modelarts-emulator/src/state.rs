//! The emulator's mutable state behind one mutex (jobs, faults, attempts, journal, throttle, settings,
//! random generator), the emulator clock, and [`StateHandle`], the in-process control surface that the
//! admin API also uses.
//!
//! Critical sections are short and never await: a request takes the lock to begin (attempt number,
//! throttle, fault step), to run its operation and to write its journal entry.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::{EmulatorConfig, Settings, SettingsPatch};
use crate::faults::{self, FaultScript, FaultStep, RetryAfter, Route};
use crate::journal::{Journal, JournalEntry};
use crate::model::{self, Job, JobSeed, JobSnapshot, SeedDefaults, StopOutcome};
use crate::throttle::{ThrottleSettings, TokenBucket};
use crate::v2_model::{self, V2JobSeed, V2JobSnapshot, V2Jobs, V2Phase, V2SeedDefaults};

const FIRST_JOB_ID: u64 = 100;
const FIRST_VERSION_ID: u64 = 100_000;

const ADJECTIVES: [&str; 16] = [
    "amber", "brisk", "calm", "deep", "eager", "fast", "gentle", "hidden", "icy", "jolly", "keen", "lucid",
    "mellow", "noble", "quiet", "rapid",
];
const NOUNS: [&str; 16] = [
    "badger", "comet", "delta", "ember", "falcon", "glacier", "harbor", "iris", "jaguar", "kestrel", "lynx",
    "meadow", "nebula", "orca", "pine", "quartz",
];

/// Why an operation found nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotFound {
    Job(u64),
    Version(u64, u64),
}

impl NotFound {
    pub(crate) fn message(self) -> String {
        match self {
            NotFound::Job(j) => format!("Training job {j} does not exist"),
            NotFound::Version(j, v) => format!("Version {v} of training job {j} does not exist"),
        }
    }
}

/// What a request learns when it begins.
pub(crate) struct Begin {
    pub(crate) seq: u64,
    pub(crate) attempt: u32,
    /// `Some((rps, retry_after))` when the throttle mode rejects the request.
    pub(crate) throttled: Option<(u32, Option<RetryAfter>)>,
    pub(crate) fault: Option<FaultStep>,
    pub(crate) settings: Settings,
}

/// The validated query of a list request.
pub(crate) struct ListQuery {
    pub(crate) status: Option<i32>,
    pub(crate) per_page: usize,
    pub(crate) page: usize,
    pub(crate) sort_by: SortBy,
    pub(crate) descending: bool,
    pub(crate) search: String,
    pub(crate) workspace_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortBy {
    JobName,
    JobDesc,
    Status,
    Duration,
    VersionCount,
    CreateTime,
}

/// Attempts are counted per route and target: v1 job and version, or v2 training job.
type AttemptKey = (Route, Option<u64>, Option<u64>, Option<String>);

struct Inner {
    jobs: BTreeMap<u64, Job>,
    /// The jobs' ids sorted by each key that does not change with time (see [`SortIndex`]).
    order: SortIndex,
    faults: Vec<FaultScript>,
    attempts: HashMap<AttemptKey, u32>,
    v2: V2Jobs,
    journal: Journal,
    next_seq: u64,
    throttle: Option<TokenBucket>,
    settings: Settings,
    rng: fastrand::Rng,
    next_job_id: u64,
    next_version_id: u64,
}

impl SeedDefaults for Inner {
    fn next_job_id(&mut self) -> u64 {
        while self.jobs.contains_key(&self.next_job_id) {
            self.next_job_id += 1;
        }
        let id = self.next_job_id;
        self.next_job_id += 1;
        id
    }

    fn next_version_id(&mut self) -> u64 {
        let id = self.next_version_id;
        self.next_version_id += 1;
        id
    }

    fn job_name(&mut self, job_id: u64) -> String {
        let adjective = ADJECTIVES[self.rng.usize(..ADJECTIVES.len())];
        let noun = NOUNS[self.rng.usize(..NOUNS.len())];
        format!("{adjective}-{noun}-{job_id}")
    }
}

impl V2SeedDefaults for Inner {
    fn uuid(&mut self) -> String {
        v2_model::uuid_from(self.rng.u64(..), self.rng.u64(..))
    }

    fn v2_name(&mut self, n: usize) -> String {
        let adjective = ADJECTIVES[self.rng.usize(..ADJECTIVES.len())];
        let noun = NOUNS[self.rng.usize(..NOUNS.len())];
        format!("{adjective}-{noun}-v2-{n}")
    }
}

impl Inner {
    fn seed_v2(&mut self, seeds: &[V2JobSeed], now_ms: u64) -> Vec<String> {
        let mut jobs = std::mem::take(&mut self.v2);
        let ids = jobs.seed(seeds, self, now_ms);
        self.v2 = jobs;
        ids
    }

    fn new(config: &EmulatorConfig, now_ms: u64) -> Self {
        let mut inner = Self {
            jobs: BTreeMap::new(),
            order: SortIndex::default(),
            faults: config.faults.clone(),
            attempts: HashMap::new(),
            v2: V2Jobs::default(),
            journal: Journal::new(config.journal_limit),
            next_seq: 1,
            throttle: config.throttle.clone().map(|t| TokenBucket::new(t, now_ms)),
            settings: config.settings,
            rng: fastrand::Rng::with_seed(config.random_seed),
            next_job_id: FIRST_JOB_ID,
            next_version_id: FIRST_VERSION_ID,
        };
        inner.seed(&config.jobs, now_ms);
        let generated: Vec<JobSeed> = (0..config.generated_jobs)
            .map(|i| {
                let minutes = inner.rng.u64(1..=240);
                let mut seed = JobSeed::default().desc(format!("generated job {}", i + 1));
                seed.versions.push(model::VersionSeed::default().duration_ms(minutes * 60_000));
                seed
            })
            .collect();
        inner.seed(&generated, now_ms);
        inner.seed_v2(&config.v2_jobs, now_ms);
        let generated: Vec<V2JobSeed> = (0..config.generated_v2_jobs)
            .map(|_| V2JobSeed::default().duration_ms(inner.rng.u64(1..=240) * 60_000))
            .collect();
        inner.seed_v2(&generated, now_ms);
        inner
    }

    fn seed(&mut self, seeds: &[JobSeed], now_ms: u64) -> Vec<(u64, Vec<u64>)> {
        self.order.clear();
        let mut out = Vec::with_capacity(seeds.len());
        for seed in seeds {
            // Keep generated ids clear of explicit ones.
            if let Some(id) = seed.job_id {
                self.next_job_id = self.next_job_id.max(id.saturating_add(1));
            }
            for v in &seed.versions {
                if let Some(id) = v.version_id {
                    self.next_version_id = self.next_version_id.max(id.saturating_add(1));
                }
            }
            let job = Job::from_seed(seed, self, now_ms);
            out.push((job.id, job.versions.iter().map(|v| v.id).collect()));
            self.jobs.insert(job.id, job);
        }
        out
    }
}

/// Shared by the server tasks and every [`StateHandle`].
pub(crate) struct Shared {
    pub(crate) config: EmulatorConfig,
    offset_ms: AtomicI64,
    request_counter: AtomicU64,
    /// Requests being served now (a handler that has not answered, or was dropped, yet).
    pub(crate) in_flight: AtomicU64,
    /// Stop requests (v1 stop, v2 terminate) being served now, and the most there were at once.
    stops_in_flight: AtomicU64,
    max_stops_in_flight: AtomicU64,
    /// What the IAM and metadata faces issued.
    pub(crate) iam: crate::iam::IamState,
    inner: Mutex<Inner>,
}

/// Counts one request as in flight until dropped (answered, or abandoned by a closed connection).
pub(crate) struct InFlight(pub(crate) Arc<Shared>);

impl InFlight {
    pub(crate) fn enter(shared: Arc<Shared>) -> Self {
        shared.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(shared)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Counts one stop request (v1 stop, v2 terminate) as in flight until dropped, and keeps the most
/// there were at once.
pub(crate) struct StopInFlight<'a>(&'a Shared);

impl<'a> StopInFlight<'a> {
    pub(crate) fn enter(shared: &'a Shared) -> Self {
        let now = shared.stops_in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        shared.max_stops_in_flight.fetch_max(now, Ordering::AcqRel);
        Self(shared)
    }
}

impl Drop for StopInFlight<'_> {
    fn drop(&mut self) {
        self.0.stops_in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Shared {
    pub(crate) fn new(config: EmulatorConfig) -> Self {
        let offset = config.clock_offset_ms;
        let now_ms = to_ms(shifted(SystemTime::now(), offset));
        let inner = Inner::new(&config, now_ms);
        let iam = crate::iam::IamState::new(config.random_seed);
        Self {
            config,
            offset_ms: AtomicI64::new(offset),
            request_counter: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            stops_in_flight: AtomicU64::new(0),
            max_stops_in_flight: AtomicU64::new(0),
            iam,
            inner: Mutex::new(inner),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The emulator clock: the wall clock plus the configured offset.
    pub(crate) fn now(&self) -> SystemTime {
        shifted(SystemTime::now(), self.offset_ms.load(Ordering::Relaxed))
    }

    /// A fresh request id: 32 hex digits fixed by the seed and a counter.
    pub(crate) fn next_request_id(&self) -> String {
        let n = self.request_counter.fetch_add(1, Ordering::Relaxed);
        let a = splitmix64(self.config.random_seed ^ n.wrapping_mul(0xD1B5_4A32_D192_ED03));
        let b = splitmix64(a ^ 0x5851_F42D_4C95_7F2D);
        format!("{a:016x}{b:016x}")
    }

    pub(crate) fn begin(&self, route: Route, target: faults::Target<'_>, now_ms: u64) -> Begin {
        let mut inner = self.lock();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        let attempt = {
            let key = (route, target.job_id, target.version_id, target.training_job_id.map(str::to_owned));
            let n = inner.attempts.entry(key).or_insert(0);
            *n += 1;
            *n
        };
        let throttled = match inner.throttle.as_mut() {
            Some(bucket) if route != Route::Unknown => {
                (!bucket.try_take(now_ms)).then(|| (bucket.settings.rps, bucket.settings.retry_after.clone()))
            }
            _ => None,
        };
        let fault = if throttled.is_none() && !inner.faults.is_empty() {
            faults::next_step(&mut inner.faults, route, target)
        } else {
            None
        };
        Begin { seq, attempt, throttled, fault, settings: inner.settings }
    }

    /// Stalls the log of a running v1 version at its current length; false when unknown.
    pub(crate) fn stall_v1_log(&self, job_id: u64, version_id: u64) -> bool {
        let now_ms = to_ms(self.now());
        let mut inner = self.lock();
        let Some(v) = inner.jobs.get_mut(&job_id).and_then(|j| j.version_mut(version_id)) else {
            return false;
        };
        let lines = v.log(0, now_ms).regular_lines();
        v.log_stall = Some(lines);
        true
    }

    /// Stalls the logs of a running v2 job at their current length; false when unknown.
    pub(crate) fn stall_v2_log(&self, id: &str) -> bool {
        let now_ms = to_ms(self.now());
        let id = id.to_ascii_lowercase();
        let mut inner = self.lock();
        let Some(job) = inner.v2.jobs.get_mut(&id) else {
            return false;
        };
        let lines = job.log("worker-0", now_ms).regular_lines();
        job.log_stall = Some(lines);
        true
    }

    /// The workspace list (`GET /v1/{project}/workspaces`): `"0"` and every workspace a v1 or v2
    /// job is in, each with the earliest creation time of its jobs.
    pub(crate) fn workspaces(&self, q: &crate::workspaces::WorkspaceQuery, now_ms: u64) -> Vec<u8> {
        let inner = self.lock();
        let mut used: BTreeMap<String, u64> = BTreeMap::new();
        let v1 = inner.jobs.values().map(|j| (&j.workspace_id, j.create_time));
        let v2 = inner.v2.jobs.values().map(|j| (&j.workspace_id, j.create_time));
        for (workspace, created) in v1.chain(v2) {
            let earliest = used.entry(workspace.clone()).or_insert(created);
            *earliest = (*earliest).min(created);
        }
        drop(inner);
        crate::workspaces::answer(q, used, now_ms).to_string().into_bytes()
    }

    /// Runs `f` on the v2 jobs under the lock.
    pub(crate) fn with_v2<R>(&self, f: impl FnOnce(&mut V2Jobs) -> R) -> R {
        f(&mut self.lock().v2)
    }

    pub(crate) fn record(&self, entry: JournalEntry) {
        self.lock().journal.push(entry);
    }

    pub(crate) fn stop(&self, job_id: u64, version_id: u64, now_ms: u64) -> Result<StopOutcome, NotFound> {
        let mut inner = self.lock();
        let timing = inner.settings.kill_timing();
        let version = inner
            .jobs
            .get_mut(&job_id)
            .ok_or(NotFound::Job(job_id))?
            .version_mut(version_id)
            .ok_or(NotFound::Version(job_id, version_id))?;
        version.observe(now_ms, timing, false);
        Ok(version.stop(now_ms))
    }

    pub(crate) fn show(&self, job_id: u64, version_id: u64, now_ms: u64) -> Result<Vec<u8>, NotFound> {
        let mut inner = self.lock();
        let timing = inner.settings.kill_timing();
        let job = inner.jobs.get_mut(&job_id).ok_or(NotFound::Job(job_id))?;
        let index = job
            .versions
            .binary_search_by_key(&version_id, |v| v.id)
            .map_err(|_| NotFound::Version(job_id, version_id))?;
        job.versions[index].observe(now_ms, timing, true);
        Ok(model::show_body(job, &job.versions[index], now_ms))
    }

    pub(crate) fn versions(
        &self,
        job_id: u64,
        per_page: usize,
        page: usize,
        now_ms: u64,
    ) -> Result<Vec<u8>, NotFound> {
        let mut inner = self.lock();
        let timing = inner.settings.kill_timing();
        let job = inner.jobs.get_mut(&job_id).ok_or(NotFound::Job(job_id))?;
        // Newest first.
        let count = job.versions.len();
        let (skip, take) =
            if page == 0 { (0, count) } else { ((page - 1).saturating_mul(per_page), per_page) };
        for v in job.versions.iter_mut().rev().skip(skip).take(take) {
            v.observe(now_ms, timing, true);
        }
        let page: Vec<&model::Version> = job.versions.iter().rev().skip(skip).take(take).collect();
        Ok(model::versions_body(job, &page, now_ms))
    }

    fn version_mut(
        &self,
        inner: &mut Inner,
        job_id: u64,
        version_id: u64,
        now_ms: u64,
    ) -> Result<(), NotFound> {
        let timing = inner.settings.kill_timing();
        let version = inner
            .jobs
            .get_mut(&job_id)
            .ok_or(NotFound::Job(job_id))?
            .version_mut(version_id)
            .ok_or(NotFound::Version(job_id, version_id))?;
        // A log read is not a status read: it brings the version up to date without counting.
        version.observe(now_ms, timing, false);
        Ok(())
    }

    pub(crate) fn log_file_names(
        &self,
        job_id: u64,
        version_id: u64,
        now_ms: u64,
    ) -> Result<serde_json::Value, NotFound> {
        let mut inner = self.lock();
        self.version_mut(&mut inner, job_id, version_id, now_ms)?;
        let workers = inner
            .jobs
            .get(&job_id)
            .and_then(|j| j.versions.iter().find(|v| v.id == version_id))
            .map_or(1, |v| v.workers());
        let names: Vec<String> = (0..workers).map(|w| crate::logs::v1_file_name(job_id, w)).collect();
        Ok(serde_json::json!({"is_success": true, "log_file_list": names}))
    }

    /// One `aom-log` page; `Ok(None)` when `file` is not one of the version's logs.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn aom_log(
        &self,
        job_id: u64,
        version_id: u64,
        file: &str,
        base: Option<u64>,
        lines: u64,
        next: bool,
        now_ms: u64,
    ) -> Result<Option<serde_json::Value>, NotFound> {
        let mut inner = self.lock();
        self.version_mut(&mut inner, job_id, version_id, now_ms)?;
        let Some(version) =
            inner.jobs.get(&job_id).and_then(|j| j.versions.iter().find(|v| v.id == version_id))
        else {
            return Err(NotFound::Version(job_id, version_id));
        };
        let Some(worker) = crate::logs::v1_worker_of(job_id, version.workers(), file) else {
            return Ok(None);
        };
        Ok(Some(version.log(worker, now_ms).aom_page(base, lines, next)))
    }

    pub(crate) fn list(&self, q: &ListQuery, now_ms: u64) -> Vec<u8> {
        let mut inner = self.lock();
        let timing = inner.settings.kill_timing();
        let quota = self.config.quota;
        let total_jobs = inner.jobs.len();
        // Without a filter and by a key that does not change with time, the page is a slice of the
        // sorted index: O(page) per request once the index is built. Statuses are lazy (a kill ends at
        // a time fixed when it was asked for), so the jobs off the page need no observing here.
        if q.status.is_none()
            && q.search.is_empty()
            && let Some(key) = IndexKey::of(q.sort_by)
        {
            let Inner { jobs, order, .. } = &mut *inner;
            let sorted = order.get(key, q.workspace_id.as_deref(), jobs);
            let skip = (q.page - 1).saturating_mul(q.per_page).min(sorted.len());
            let take = q.per_page.min(sorted.len() - skip);
            let page_ids: Vec<u64> = if q.descending {
                let end = sorted.len() - skip;
                sorted[end - take..end].iter().rev().copied().collect()
            } else {
                sorted[skip..skip + take].to_vec()
            };
            for id in &page_ids {
                if let Some(v) = jobs.get_mut(id).and_then(Job::latest_mut) {
                    // Counted as a poll of each reported (latest) version, as below.
                    v.observe(now_ms, timing, true);
                }
            }
            let page: Vec<&Job> = page_ids.iter().filter_map(|id| jobs.get(id)).collect();
            return model::list_body(&page, sorted.len(), total_jobs, quota, now_ms);
        }
        for job in inner.jobs.values_mut() {
            if let Some(v) = job.latest_mut() {
                v.observe(now_ms, timing, false);
            }
        }
        let search = q.search.to_lowercase();
        let mut matching: Vec<&Job> = inner
            .jobs
            .values()
            .filter(|j| q.status.is_none_or(|s| j.latest().is_some_and(|v| v.status == s)))
            .filter(|j| search.is_empty() || j.name.to_lowercase().contains(&search))
            .filter(|j| q.workspace_id.as_ref().is_none_or(|w| &j.workspace_id == w))
            .collect();
        let latest_status = |j: &Job| j.latest().map_or(0, |v| v.status);
        let latest_duration = |j: &Job| j.latest().map_or(0, |v| v.duration(now_ms));
        let order = |a: &&Job, b: &&Job| {
            let ord = match q.sort_by {
                SortBy::JobName => a.name.cmp(&b.name),
                SortBy::JobDesc => a.desc.cmp(&b.desc),
                SortBy::Status => latest_status(a).cmp(&latest_status(b)),
                SortBy::Duration => latest_duration(a).cmp(&latest_duration(b)),
                SortBy::VersionCount => a.versions.len().cmp(&b.versions.len()),
                SortBy::CreateTime => a.create_time.cmp(&b.create_time),
            };
            let ord = ord.then(a.id.cmp(&b.id));
            if q.descending { ord.reverse() } else { ord }
        };
        let total_matching = matching.len();
        let skip = (q.page - 1).saturating_mul(q.per_page).min(total_matching);
        // Only the page is sorted: partition around its bounds (linear), then sort its few jobs, so
        // walking every page of a large seed stays fast. Ties are broken by id: the order is total.
        let rest = &mut matching[..];
        let rest = if skip > 0 && skip < rest.len() {
            rest.select_nth_unstable_by(skip, order);
            &mut rest[skip..]
        } else {
            &mut rest[skip..]
        };
        let take = q.per_page.min(rest.len());
        if take > 0 && take < rest.len() {
            rest.select_nth_unstable_by(take, order);
        }
        let page_slice = &mut rest[..take];
        page_slice.sort_by(order);
        let page_ids: Vec<u64> = page_slice.iter().map(|j| j.id).collect();
        // Count this read as a poll of each reported (latest) version.
        for id in &page_ids {
            if let Some(v) = inner.jobs.get_mut(id).and_then(Job::latest_mut) {
                v.observe(now_ms, timing, true);
            }
        }
        let page: Vec<&Job> = page_ids.iter().filter_map(|id| inner.jobs.get(id)).collect();
        model::list_body(&page, total_matching, total_jobs, quota, now_ms)
    }
}

/// A sort key of the v1 list whose value never changes once a job is seeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IndexKey {
    JobName,
    JobDesc,
    VersionCount,
    CreateTime,
}

impl IndexKey {
    const ALL: usize = 4;

    /// `None` for the keys that move with time (status, duration).
    fn of(sort: SortBy) -> Option<Self> {
        match sort {
            SortBy::JobName => Some(Self::JobName),
            SortBy::JobDesc => Some(Self::JobDesc),
            SortBy::VersionCount => Some(Self::VersionCount),
            SortBy::CreateTime => Some(Self::CreateTime),
            SortBy::Status | SortBy::Duration => None,
        }
    }
}

/// Job ids in ascending (key, id) order, one list per workspace (or all jobs) and [`IndexKey`], each
/// built on the first list request that needs it (O(N log N), once) and dropped whenever jobs are
/// added or removed. A page (either direction) is then a slice of it.
#[derive(Debug, Default)]
struct SortIndex {
    by: HashMap<Option<String>, [Option<Vec<u64>>; IndexKey::ALL]>,
}

impl SortIndex {
    fn clear(&mut self) {
        self.by.clear();
    }

    fn get(&mut self, key: IndexKey, workspace: Option<&str>, jobs: &BTreeMap<u64, Job>) -> &[u64] {
        let lists = self.by.entry(workspace.map(str::to_owned)).or_default();
        lists[key as usize].get_or_insert_with(|| {
            // `jobs` iterates in id order and the sort is stable, so ties stay ordered by id.
            let mut all: Vec<&Job> =
                jobs.values().filter(|j| workspace.is_none_or(|w| j.workspace_id == w)).collect();
            match key {
                IndexKey::JobName => all.sort_by(|a, b| a.name.cmp(&b.name)),
                IndexKey::JobDesc => all.sort_by(|a, b| a.desc.cmp(&b.desc)),
                IndexKey::VersionCount => all.sort_by_key(|j| j.versions.len()),
                IndexKey::CreateTime => all.sort_by_key(|j| j.create_time),
            }
            all.iter().map(|j| j.id).collect()
        })
    }
}

fn shifted(t: SystemTime, offset_ms: i64) -> SystemTime {
    let d = Duration::from_millis(offset_ms.unsigned_abs());
    if offset_ms >= 0 { t.checked_add(d).unwrap_or(t) } else { t.checked_sub(d).unwrap_or(t) }
}

pub(crate) fn to_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Parses a seed file or admin body: an array of [`JobSeed`] or one object.
pub(crate) fn parse_seeds(json: &[u8]) -> Result<Vec<JobSeed>, String> {
    let seeds: Vec<JobSeed> = crate::one_or_many(json).map_err(|e| format!("invalid job seeds: {e}"))?;
    for (i, job) in seeds.iter().enumerate() {
        for v in &job.versions {
            if let Some(code) = v.status.filter(|c| !model::status::is_known(*c)) {
                return Err(format!("job {i}: status {code} is not in 0..=22"));
            }
        }
    }
    Ok(seeds)
}

/// In-process control of a running emulator: the same powers as the admin API.
///
/// Cheap to clone; every clone controls the same emulator.
#[derive(Clone)]
pub struct StateHandle {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for StateHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateHandle").finish_non_exhaustive()
    }
}

impl StateHandle {
    /// Adds or replaces jobs; returns each job id with its version ids.
    pub fn seed_jobs(&self, jobs: impl IntoIterator<Item = JobSeed>) -> Vec<(u64, Vec<u64>)> {
        let seeds: Vec<JobSeed> = jobs.into_iter().collect();
        let now_ms = self.now_ms();
        self.shared.lock().seed(&seeds, now_ms)
    }

    /// Removes every job.
    pub fn clear_jobs(&self) {
        let mut inner = self.shared.lock();
        inner.jobs.clear();
        inner.order.clear();
    }

    /// Adds or replaces v2 jobs; returns their ids. Seeds are not validated here (the admin API and
    /// the seed file validate theirs).
    pub fn seed_v2_jobs(&self, jobs: impl IntoIterator<Item = V2JobSeed>) -> Vec<String> {
        let seeds: Vec<V2JobSeed> = jobs.into_iter().collect();
        let now_ms = self.now_ms();
        self.shared.lock().seed_v2(&seeds, now_ms)
    }

    /// Removes every v2 job.
    pub fn clear_v2_jobs(&self) {
        self.shared.lock().v2.clear();
    }

    /// Every v2 job as it stands now (by id). Does not count as a status read.
    pub fn v2_jobs(&self) -> Vec<V2JobSnapshot> {
        let now_ms = self.now_ms();
        let mut inner = self.shared.lock();
        let timing = inner.settings.kill_timing();
        inner
            .v2
            .jobs
            .values_mut()
            .map(|job| {
                job.observe(now_ms, timing, false);
                job.snapshot(now_ms)
            })
            .collect()
    }

    /// The current phase of a v2 job (not counted as a status read).
    pub fn v2_phase(&self, id: &str) -> Option<V2Phase> {
        let now_ms = self.now_ms();
        let mut inner = self.shared.lock();
        let timing = inner.settings.kill_timing();
        let job = inner.v2.jobs.get_mut(&id.to_ascii_lowercase())?;
        job.observe(now_ms, timing, false);
        Some(job.phase)
    }

    /// Leaves a v2 job out of the search's answers (`true`), as a lagging search index would, or
    /// lets the search show it again (`false`); see [`V2JobSeed::hidden_from_search`]. Returns
    /// whether the job exists.
    pub fn set_v2_hidden_from_search(&self, id: &str, hidden: bool) -> bool {
        self.shared.lock().v2.set_hidden_from_search(&id.to_ascii_lowercase(), hidden)
    }

    /// How many requests moved this v2 job to Terminating.
    pub fn v2_effective_terminates(&self, id: &str) -> usize {
        let id = id.to_ascii_lowercase();
        self.journal()
            .iter()
            .filter(|e| e.effective_stop && e.training_job_id.as_deref() == Some(id.as_str()))
            .count()
    }

    /// Every job as it stands now (ascending id). Does not count as a status read.
    pub fn jobs(&self) -> Vec<JobSnapshot> {
        let now_ms = self.now_ms();
        let mut inner = self.shared.lock();
        let timing = inner.settings.kill_timing();
        inner
            .jobs
            .values_mut()
            .map(|job| {
                for v in &mut job.versions {
                    v.observe(now_ms, timing, false);
                }
                job.snapshot(now_ms)
            })
            .collect()
    }

    /// The current status of a version (not counted as a status read).
    pub fn version_status(&self, job_id: u64, version_id: u64) -> Option<i32> {
        let now_ms = self.now_ms();
        let mut inner = self.shared.lock();
        let timing = inner.settings.kill_timing();
        let v = inner.jobs.get_mut(&job_id)?.version_mut(version_id)?;
        v.observe(now_ms, timing, false);
        Some(v.status)
    }

    /// Adds a fault script (after validating it).
    pub fn add_faults(&self, script: FaultScript) -> Result<(), String> {
        script.validate()?;
        self.shared.lock().faults.push(script);
        Ok(())
    }

    /// The scripts with steps left.
    pub fn faults(&self) -> Vec<FaultScript> {
        self.shared.lock().faults.clone()
    }

    /// Removes every fault script.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Turns the throttle mode on (`Some`) or off (`None`).
    pub fn set_throttle(&self, settings: Option<ThrottleSettings>) {
        let now_ms = self.now_ms();
        self.shared.lock().throttle = settings.map(|s| TokenBucket::new(s, now_ms));
    }

    /// The throttle mode, if on.
    pub fn throttle(&self) -> Option<ThrottleSettings> {
        self.shared.lock().throttle.as_ref().map(|b| b.settings.clone())
    }

    /// The journal in arrival order.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.shared.lock().journal.entries()
    }

    /// Stalls the log of a running v1 version at its current length (a job that hangs while it
    /// shows RUNNING); false when the version is unknown.
    pub fn stall_log(&self, job_id: u64, version_id: u64) -> bool {
        self.shared.stall_v1_log(job_id, version_id)
    }

    /// Stalls the logs of a running v2 job at their current length; false when unknown.
    pub fn stall_v2_log(&self, training_job_id: &str) -> bool {
        self.shared.stall_v2_log(training_job_id)
    }

    /// Every line of a v1 version's worker log now, as the API would page it.
    pub fn log_lines(&self, job_id: u64, version_id: u64, worker: u64) -> Option<Vec<String>> {
        let now_ms = self.now_ms();
        let inner = self.shared.lock();
        let v = inner.jobs.get(&job_id)?.versions.iter().find(|v| v.id == version_id)?;
        Some(v.log(worker, now_ms).all_lines())
    }

    /// Every line of a v2 job's task log now.
    pub fn v2_log_lines(&self, training_job_id: &str, task: &str) -> Option<Vec<String>> {
        let now_ms = self.now_ms();
        let inner = self.shared.lock();
        let job = inner.v2.jobs.get(&training_job_id.to_ascii_lowercase())?;
        Some(job.log(task, now_ms).all_lines())
    }

    /// How many entries the journal dropped for lack of room since it was last cleared.
    pub fn journal_dropped(&self) -> u64 {
        self.shared.lock().journal.dropped()
    }

    /// Clears the journal and the attempt counters.
    pub fn clear_journal(&self) {
        let mut inner = self.shared.lock();
        inner.journal.clear();
        inner.attempts.clear();
    }

    /// Takes the journal (in arrival order) and clears it and the attempt counters, atomically: no
    /// entry is lost between the read and the clear (for long runs that must keep memory bounded).
    pub fn take_journal(&self) -> Vec<JournalEntry> {
        let mut inner = self.shared.lock();
        let entries = inner.journal.entries();
        inner.journal.clear();
        inner.attempts.clear();
        entries
    }

    /// Requests being handled now: received and not yet answered (a delayed or stalled answer
    /// counts until it is written or its connection is gone). Tests wait for 0 before reading the
    /// journal, instead of sleeping.
    pub fn in_flight(&self) -> u64 {
        self.shared.in_flight.load(Ordering::Acquire)
    }

    /// The most stop requests (v1 stop, v2 terminate) the emulator served at once since it started
    /// (or since [`reset_max_stops_in_flight`](Self::reset_max_stops_in_flight)).
    pub fn max_stops_in_flight(&self) -> u64 {
        self.shared.max_stops_in_flight.load(Ordering::Acquire)
    }

    /// Starts counting [`max_stops_in_flight`](Self::max_stops_in_flight) afresh.
    pub fn reset_max_stops_in_flight(&self) {
        self.shared.max_stops_in_flight.store(0, Ordering::Release);
    }

    /// Waits (polling every 10 ms, up to `limit`) until no request is in flight; returns whether
    /// that happened.
    pub async fn settle(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while self.in_flight() > 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }

    /// How many requests moved this version to KILLING.
    pub fn effective_stops(&self, job_id: u64, version_id: u64) -> usize {
        self.journal()
            .iter()
            .filter(|e| e.effective_stop && e.job_id == Some(job_id) && e.version_id == Some(version_id))
            .count()
    }

    /// The run-time settings.
    pub fn settings(&self) -> Settings {
        self.shared.lock().settings
    }

    /// Replaces the run-time settings.
    pub fn set_settings(&self, settings: Settings) {
        self.shared.lock().settings = settings;
    }

    /// Changes the run-time settings in place, e.g.
    /// `state.update_settings(|s| s.already_stopped = AlreadyStoppedPolicy::Conflict)`.
    pub fn update_settings(&self, change: impl FnOnce(&mut Settings)) {
        change(&mut self.shared.lock().settings);
    }

    pub(crate) fn patch_settings(&self, patch: SettingsPatch) -> Settings {
        let mut inner = self.shared.lock();
        patch.apply(&mut inner.settings);
        inner.settings
    }

    /// The emulator clock's offset from the wall clock, ms.
    pub fn clock_offset_ms(&self) -> i64 {
        self.shared.offset_ms.load(Ordering::Relaxed)
    }

    /// Sets the emulator clock's offset from the wall clock, ms.
    pub fn set_clock_offset_ms(&self, offset_ms: i64) {
        self.shared.offset_ms.store(offset_ms, Ordering::Relaxed);
    }

    /// Moves the emulator clock forward (e.g. past `kill_after`).
    pub fn advance_clock(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.shared.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// The emulator clock.
    pub fn now(&self) -> SystemTime {
        self.shared.now()
    }

    fn now_ms(&self) -> u64 {
        to_ms(self.shared.now())
    }

    /// Restores the start state: the configured jobs (re-seeded now), faults, throttle, settings,
    /// clock offset and random seed; empties the journal and the attempt counters; forgets the
    /// tokens and keys the identity faces issued.
    pub fn reset(&self) {
        let config = &self.shared.config;
        self.shared.offset_ms.store(config.clock_offset_ms, Ordering::Relaxed);
        self.shared.request_counter.store(0, Ordering::Relaxed);
        let now_ms = self.now_ms();
        *self.shared.lock() = Inner::new(config, now_ms);
        self.shared.iam.reset();
    }
}
