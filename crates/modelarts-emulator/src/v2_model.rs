//! The v2 face's jobs: seeds, the phase machine (Running → Terminating → Terminated), snapshots,
//! and the job object as the API writes it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::model::KillTiming;

/// The documented v2 phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum V2Phase {
    /// Being created.
    Creating,
    /// Waiting for resources.
    Pending,
    /// Running.
    Running,
    /// A terminate is under way.
    Terminating,
    /// Stopped by a terminate.
    Terminated,
    /// Ended by itself, successfully.
    Completed,
    /// Ended by itself, with an error.
    Failed,
    /// Ended abnormally.
    Abnormal,
}

impl V2Phase {
    /// Every phase.
    pub const ALL: [V2Phase; 8] = [
        V2Phase::Creating,
        V2Phase::Pending,
        V2Phase::Running,
        V2Phase::Terminating,
        V2Phase::Terminated,
        V2Phase::Completed,
        V2Phase::Failed,
        V2Phase::Abnormal,
    ];

    /// The API's name.
    pub fn as_str(self) -> &'static str {
        match self {
            V2Phase::Creating => "Creating",
            V2Phase::Pending => "Pending",
            V2Phase::Running => "Running",
            V2Phase::Terminating => "Terminating",
            V2Phase::Terminated => "Terminated",
            V2Phase::Completed => "Completed",
            V2Phase::Failed => "Failed",
            V2Phase::Abnormal => "Abnormal",
        }
    }

    /// The phase of an API name (exact, case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// Creating, Pending and Running accept a terminate.
    pub fn is_terminable(self) -> bool {
        matches!(self, V2Phase::Creating | V2Phase::Pending | V2Phase::Running)
    }

    fn runs(self) -> bool {
        matches!(self, V2Phase::Running | V2Phase::Terminating)
    }
}

/// A v2 job to seed (`--v2-jobs`, the seed file's `v2_jobs`, `POST /__emulator/v2/jobs`). Every field
/// is optional.
///
/// ```
/// use modelarts_emulator::{V2JobSeed, V2Phase};
/// let seed: V2JobSeed = serde_json::from_str(
///     r#"{"id":"3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab","name":"bert","phase":"Pending","node_count":2}"#,
/// ).unwrap();
/// assert_eq!(seed.phase, Some(V2Phase::Pending));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct V2JobSeed {
    /// The job's UUID; a generated one (from the random seed) when absent. Seeding an existing id
    /// replaces that job.
    #[serde(default)]
    pub id: Option<String>,
    /// The name; a generated `adjective-noun-N` name when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// The description; empty when absent.
    #[serde(default)]
    pub description: Option<String>,
    /// The workspace; `"0"` when absent.
    #[serde(default)]
    pub workspace_id: Option<String>,
    /// The phase; `Running` when absent.
    #[serde(default)]
    pub phase: Option<V2Phase>,
    /// Run time so far (or final run time for an ended job), ms; 0 when absent.
    #[serde(default)]
    pub duration_ms: Option<u64>,
    /// Creation time, epoch ms; now minus the duration when absent.
    #[serde(default)]
    pub create_time: Option<u64>,
    /// The flavor; `modelarts.vm.cpu.8u` when absent.
    #[serde(default)]
    pub flavor_id: Option<String>,
    /// Node count (1 to 64); 1 when absent.
    #[serde(default)]
    pub node_count: Option<u32>,
    /// The phase a terminate ends in; `Terminated` when absent (e.g. `Failed` for a job that dies
    /// while stopping).
    #[serde(default)]
    pub terminate_result: Option<V2Phase>,
    /// The logs stop growing after this many lines while the job still runs (a hung job);
    /// `POST /__emulator/logs/stall` does the same to a running job.
    #[serde(default)]
    pub log_stall_after_lines: Option<u64>,
    /// The search (`POST …/training-job-searches`) leaves the job out, as a search index that lags
    /// behind the jobs would: it is in no page and no `total`, whatever the filter, while show,
    /// terminate, logs and events find it as usual. `false` when absent.
    #[serde(default)]
    pub hidden_from_search: bool,
}

impl V2JobSeed {
    /// A Running job with this id.
    pub fn running(id: impl Into<String>) -> Self {
        Self { id: Some(id.into()), ..Self::default() }
    }

    /// Sets the phase.
    pub fn phase(mut self, phase: V2Phase) -> Self {
        self.phase = Some(phase);
        self
    }

    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the creation time.
    pub fn create_time(mut self, epoch_ms: u64) -> Self {
        self.create_time = Some(epoch_ms);
        self
    }

    /// Sets the duration.
    pub fn duration_ms(mut self, ms: u64) -> Self {
        self.duration_ms = Some(ms);
        self
    }

    /// Puts the job in another workspace than the default `"0"`: a search finds it only with this
    /// `workspace_id`, and the workspace list names it.
    pub fn workspace(mut self, workspace_id: impl Into<String>) -> Self {
        self.workspace_id = Some(workspace_id.into());
        self
    }

    /// Leaves the job out of every search answer (see [`V2JobSeed::hidden_from_search`]).
    pub fn hidden_from_search(mut self) -> Self {
        self.hidden_from_search = true;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        if let Some(id) = &self.id
            && (id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return Err(format!("v2 job id {id:?} must be 1 to 64 ASCII letters, digits or '-'"));
        }
        if self.node_count.is_some_and(|n| !(1..=64).contains(&n)) {
            return Err("node_count must be between 1 and 64".into());
        }
        if self.terminate_result.is_some_and(V2Phase::is_terminable) {
            return Err("terminate_result must be a phase a job ends in".into());
        }
        Ok(())
    }
}

/// A v2 job as it stands (`GET /__emulator/v2/jobs`, [`crate::StateHandle::v2_jobs`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct V2JobSnapshot {
    /// The UUID.
    pub id: String,
    /// The name.
    pub name: String,
    /// The phase.
    pub phase: V2Phase,
    /// Run time, ms.
    pub duration_ms: u64,
    /// Creation time, epoch ms.
    pub create_time: u64,
    /// When a terminate took effect, epoch ms.
    pub terminate_requested_at: Option<u64>,
    /// Status reads since the terminate.
    pub polls_since_terminate: u32,
    /// Left out of every search answer ([`V2JobSeed::hidden_from_search`]).
    #[serde(default)]
    pub hidden_from_search: bool,
    /// The workspace (`"0"`, the default one, unless seeded otherwise).
    #[serde(default = "default_workspace")]
    pub workspace_id: String,
}

fn default_workspace() -> String {
    crate::v2_api::DEFAULT_WORKSPACE.to_owned()
}

#[derive(Debug, Clone)]
struct Terminate {
    requested_at: u64,
    polls: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct V2Job {
    pub(crate) id: String,
    pub(crate) name: String,
    description: String,
    pub(crate) workspace_id: String,
    pub(crate) phase: V2Phase,
    pub(crate) create_time: u64,
    start_time: u64,
    frozen_duration: Option<u64>,
    flavor_id: String,
    node_count: u32,
    terminate_result: V2Phase,
    terminate: Option<Terminate>,
    /// The logs' regular lines stop at this count.
    pub(crate) log_stall: Option<u64>,
    /// Left out of every search answer (a lagging search index).
    pub(crate) hidden_from_search: bool,
}

/// What a terminate did.
pub(crate) enum TerminateOutcome {
    /// The job went Terminating.
    Effective,
    /// The job was in a phase that does not accept a terminate.
    NotTerminable(V2Phase),
}

impl V2Job {
    pub(crate) fn duration(&self, now_ms: u64) -> u64 {
        match self.frozen_duration {
            Some(d) => d,
            None if self.phase.runs() => now_ms.saturating_sub(self.start_time),
            None => 0,
        }
    }

    /// Brings a Terminating job up to date (the same rules as a v1 KILLING version).
    pub(crate) fn observe(&mut self, now_ms: u64, timing: KillTiming, count_poll: bool) {
        if self.phase != V2Phase::Terminating {
            return;
        }
        let Some(t) = self.terminate.as_mut() else {
            return;
        };
        if let Some(after) = timing.after {
            let due = t.requested_at.saturating_add(u64::try_from(after.as_millis()).unwrap_or(u64::MAX));
            if now_ms >= due {
                self.finish(due);
                return;
            }
        }
        if count_poll && let Some(n) = timing.after_polls {
            if t.polls >= n {
                self.finish(now_ms);
            } else {
                t.polls += 1;
            }
        }
    }

    fn finish(&mut self, at_ms: u64) {
        self.phase = self.terminate_result;
        if self.frozen_duration.is_none() {
            self.frozen_duration = Some(at_ms.saturating_sub(self.start_time));
        }
    }

    pub(crate) fn terminate(&mut self, now_ms: u64) -> TerminateOutcome {
        if !self.phase.is_terminable() {
            return TerminateOutcome::NotTerminable(self.phase);
        }
        if self.phase != V2Phase::Running {
            // Never ran: no run time.
            self.frozen_duration = Some(0);
        }
        self.phase = V2Phase::Terminating;
        self.terminate = Some(Terminate { requested_at: now_ms, polls: 0 });
        TerminateOutcome::Effective
    }

    /// The tasks, `worker-0` … (one per node).
    pub(crate) fn tasks(&self) -> Vec<String> {
        (0..self.node_count).map(|i| format!("worker-{i}")).collect()
    }

    fn ended(&self) -> bool {
        matches!(self.phase, V2Phase::Terminated | V2Phase::Completed | V2Phase::Failed | V2Phase::Abnormal)
    }

    /// The log of `task` at `now_ms`: it grows while the job runs, until a terminate is requested.
    pub(crate) fn log(&self, task: &str, now_ms: u64) -> crate::logs::Log {
        let run = self.duration(now_ms);
        let run =
            self.terminate.as_ref().map_or(run, |t| run.min(t.requested_at.saturating_sub(self.start_time)));
        crate::logs::Log::new(task, run, self.log_stall, self.ended().then_some(self.phase.as_str()))
    }

    /// One event per state change: created, running, terminate requested, ended.
    pub(crate) fn events(&self, now_ms: u64) -> Vec<crate::logs::Event> {
        use crate::logs::Event;
        let mut out = vec![Event {
            time_ms: self.create_time,
            level: "Info",
            source: "Job",
            message: format!("Job {} was created", self.name),
        }];
        let started = self.phase.runs() || self.frozen_duration.is_some_and(|d| d > 0);
        if started {
            out.push(Event {
                time_ms: self.start_time,
                level: "Info",
                source: "Task",
                message: format!("Phase Running: {} task(s) started", self.node_count),
            });
        }
        if let Some(t) = &self.terminate {
            out.push(Event {
                time_ms: t.requested_at,
                level: "Warning",
                source: "Job",
                message: "Phase Terminating: a terminate was requested".into(),
            });
        }
        if self.ended() {
            let level =
                if matches!(self.phase, V2Phase::Failed | V2Phase::Abnormal) { "Error" } else { "Info" };
            let end = self.start_time.saturating_add(self.duration(now_ms));
            out.push(Event {
                time_ms: end.max(self.create_time),
                level,
                source: "Job",
                message: format!("Phase {}: the job ended", self.phase.as_str()),
            });
        }
        out
    }

    pub(crate) fn snapshot(&self, now_ms: u64) -> V2JobSnapshot {
        V2JobSnapshot {
            id: self.id.clone(),
            name: self.name.clone(),
            phase: self.phase,
            duration_ms: self.duration(now_ms),
            create_time: self.create_time,
            terminate_requested_at: self.terminate.as_ref().map(|t| t.requested_at),
            polls_since_terminate: self.terminate.as_ref().map_or(0, |t| t.polls),
            hidden_from_search: self.hidden_from_search,
            workspace_id: self.workspace_id.clone(),
        }
    }

    /// The job object: `kind`, `metadata`, `status`, `algorithm`, `spec`, as the v2 API writes them.
    pub(crate) fn body(&self, now_ms: u64) -> Value {
        let tasks: Vec<String> = (0..self.node_count).map(|i| format!("worker-{i}")).collect();
        let exit_code = match self.phase {
            V2Phase::Completed => Some(0),
            V2Phase::Failed | V2Phase::Abnormal => Some(1),
            V2Phase::Terminated => Some(137),
            _ => None,
        };
        let task_statuses: Vec<Value> = tasks
            .iter()
            .map(|t| match exit_code {
                Some(code) => json!({"task": t, "exit_code": code, "message": self.phase.as_str()}),
                None => json!({"task": t, "message": self.phase.as_str()}),
            })
            .collect();
        let started = self.phase.runs() || self.frozen_duration.is_some_and(|d| d > 0);
        let mut status = json!({
            "phase": self.phase.as_str(),
            "secondary_phase": self.phase.as_str(),
            "duration": self.duration(now_ms),
            "tasks": tasks,
            "task_statuses": task_statuses,
        });
        if started && let Some(map) = status.as_object_mut() {
            map.insert("start_time".into(), json!(self.start_time));
        }
        json!({
            "kind": "job",
            "metadata": {
                "id": self.id,
                "name": self.name,
                "workspace_id": self.workspace_id,
                "description": self.description,
                "create_time": self.create_time,
                "user_name": "emulator-user",
                "annotations": {"job_template": "Template DIY"},
            },
            "status": status,
            "algorithm": {
                "code_dir": "obs://emulator/code/",
                "boot_file": "obs://emulator/code/train.py",
                "engine": {"engine_name": "PyTorch", "engine_version": "pytorch_1.8.0-cuda_10.2-py_3.7-ubuntu_18.04-x86_64"},
            },
            "spec": {"resource": {"policy": "regular", "flavor_id": self.flavor_id, "node_count": self.node_count}},
        })
    }
}

/// Fills what a seed leaves open.
pub(crate) trait V2SeedDefaults {
    /// A fresh UUID.
    fn uuid(&mut self) -> String;
    /// A generated name.
    fn v2_name(&mut self, n: usize) -> String;
}

/// The v2 jobs by id.
#[derive(Debug, Default)]
pub(crate) struct V2Jobs {
    pub(crate) jobs: BTreeMap<String, V2Job>,
    /// The ids in ascending (create time, id) and (name, id) order, built on the first search that
    /// needs them and dropped whenever jobs are added or removed: a page of an unfiltered search (of
    /// the default workspace) is a slice of one. Jobs hidden from the search, and jobs of other
    /// workspaces, are not in them.
    by_create_time: Option<Vec<String>>,
    by_name: Option<Vec<String>>,
}

impl V2Jobs {
    /// Removes every job.
    pub(crate) fn clear(&mut self) {
        self.jobs.clear();
        self.forget_order();
    }

    fn forget_order(&mut self) {
        self.by_create_time = None;
        self.by_name = None;
    }

    /// The ids in ascending (create time, id) order.
    pub(crate) fn by_create_time(&mut self) -> &[String] {
        let jobs = &self.jobs;
        self.by_create_time.get_or_insert_with(|| sorted_ids(jobs, |a, b| a.create_time.cmp(&b.create_time)))
    }

    /// The ids in ascending (name, id) order.
    pub(crate) fn by_name(&mut self) -> &[String] {
        let jobs = &self.jobs;
        self.by_name.get_or_insert_with(|| sorted_ids(jobs, |a, b| a.name.cmp(&b.name)))
    }

    /// Hides a job from the search or shows it again; `false` if there is no such job.
    pub(crate) fn set_hidden_from_search(&mut self, id: &str, hidden: bool) -> bool {
        let Some(job) = self.jobs.get_mut(id) else {
            return false;
        };
        if job.hidden_from_search != hidden {
            job.hidden_from_search = hidden;
            self.forget_order();
        }
        true
    }

    pub(crate) fn seed(
        &mut self,
        seeds: &[V2JobSeed],
        defaults: &mut dyn V2SeedDefaults,
        now_ms: u64,
    ) -> Vec<String> {
        self.forget_order();
        let mut ids = Vec::with_capacity(seeds.len());
        for seed in seeds {
            let id = match &seed.id {
                Some(id) => id.to_ascii_lowercase(),
                None => loop {
                    let id = defaults.uuid();
                    if !self.jobs.contains_key(&id) {
                        break id;
                    }
                },
            };
            let name = seed.name.clone().unwrap_or_else(|| defaults.v2_name(self.jobs.len() + 1));
            let phase = seed.phase.unwrap_or(V2Phase::Running);
            let duration = seed.duration_ms.unwrap_or(0);
            let start_time = now_ms.saturating_sub(duration);
            let ended = !phase.runs() && !phase.is_terminable();
            let job = V2Job {
                id: id.clone(),
                name,
                description: seed.description.clone().unwrap_or_default(),
                workspace_id: seed.workspace_id.clone().unwrap_or_else(|| "0".into()),
                phase,
                create_time: seed.create_time.unwrap_or(start_time),
                start_time,
                frozen_duration: ended.then_some(duration),
                flavor_id: seed.flavor_id.clone().unwrap_or_else(|| "modelarts.vm.cpu.8u".into()),
                node_count: seed.node_count.unwrap_or(1),
                terminate_result: seed.terminate_result.unwrap_or(V2Phase::Terminated),
                // A job seeded Terminating finishes by the same rules, counted from now.
                terminate: (phase == V2Phase::Terminating)
                    .then_some(Terminate { requested_at: now_ms, polls: 0 }),
                log_stall: seed.log_stall_after_lines,
                hidden_from_search: seed.hidden_from_search,
            };
            self.jobs.insert(id.clone(), job);
            ids.push(id);
        }
        ids
    }
}

/// The ids a search of the default workspace shows, sorted by `key`, ties in id order (`jobs`
/// iterates by id and the sort is stable).
fn sorted_ids(
    jobs: &BTreeMap<String, V2Job>,
    key: impl Fn(&V2Job, &V2Job) -> std::cmp::Ordering,
) -> Vec<String> {
    let mut all: Vec<&V2Job> = jobs
        .values()
        .filter(|j| !j.hidden_from_search && j.workspace_id == crate::v2_api::DEFAULT_WORKSPACE)
        .collect();
    all.sort_by(|a, b| key(a, b));
    all.into_iter().map(|j| j.id.clone()).collect()
}

/// Parses the seeds of an admin body or a seed file section: an array of [`V2JobSeed`] or one object.
pub(crate) fn parse_v2_seeds(json: &[u8]) -> Result<Vec<V2JobSeed>, String> {
    let seeds: Vec<V2JobSeed> = crate::one_or_many(json).map_err(|e| format!("invalid v2 job seeds: {e}"))?;
    for (i, seed) in seeds.iter().enumerate() {
        seed.validate().map_err(|e| format!("v2 job {i}: {e}"))?;
    }
    Ok(seeds)
}

/// A version-4 UUID from two random words.
pub(crate) fn uuid_from(a: u64, b: u64) -> String {
    let a = (a & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn generated_uuids_have_the_uuid_shape() {
        for (a, b) in [(0, 0), (u64::MAX, u64::MAX), (0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210)] {
            let id = uuid_from(a, b);
            assert!(modelarts_protocol::v2::TrainingJobId::is_uuid_shaped(&id), "{id}");
            assert_eq!(&id[14..15], "4");
        }
    }

    struct Fixed;
    impl V2SeedDefaults for Fixed {
        fn uuid(&mut self) -> String {
            uuid_from(1, 2)
        }
        fn v2_name(&mut self, n: usize) -> String {
            format!("job-{n}")
        }
    }

    #[test]
    fn phase_machine_by_time_and_by_polls() {
        let mut jobs = V2Jobs::default();
        let ids = jobs.seed(
            &[V2JobSeed::default(), V2JobSeed::running("a-1").phase(V2Phase::Failed)],
            &mut Fixed,
            1000,
        );
        let job = jobs.jobs.get_mut(&ids[0]).unwrap();
        assert!(matches!(job.terminate(2000), TerminateOutcome::Effective));
        assert_eq!(job.phase, V2Phase::Terminating);
        let by_time = KillTiming { after: Some(Duration::from_millis(500)), after_polls: None };
        job.observe(2499, by_time, true);
        assert_eq!(job.phase, V2Phase::Terminating);
        job.observe(9000, by_time, true);
        assert_eq!((job.phase, job.duration(99_999)), (V2Phase::Terminated, 1500));
        assert!(matches!(job.terminate(9001), TerminateOutcome::NotTerminable(V2Phase::Terminated)));

        let failed = jobs.jobs.get_mut("a-1").unwrap();
        assert!(matches!(failed.terminate(1), TerminateOutcome::NotTerminable(V2Phase::Failed)));

        let mut jobs = V2Jobs::default();
        let ids = jobs.seed(&[V2JobSeed::default()], &mut Fixed, 0);
        let job = jobs.jobs.get_mut(&ids[0]).unwrap();
        job.terminate(10);
        let by_polls = KillTiming { after: None, after_polls: Some(2) };
        for _ in 0..2 {
            job.observe(20, by_polls, true);
            assert_eq!(job.phase, V2Phase::Terminating);
        }
        job.observe(20, by_polls, false);
        assert_eq!(job.phase, V2Phase::Terminating, "admin reads do not count");
        job.observe(30, by_polls, true);
        assert_eq!(job.phase, V2Phase::Terminated);
    }
}
