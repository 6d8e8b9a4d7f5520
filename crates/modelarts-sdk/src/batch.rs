//! Batch stop: many stops (and optional waits) with bounded concurrency, exactly one definite
//! outcome per target, in input order.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::future::Either;
use futures_util::{FutureExt, StreamExt};
use modelarts_http::HttpSend;
use modelarts_protocol::iam::gateway::{AK_LOCK, GatewayRefusal};
use modelarts_protocol::ids::{JobId, VersionId};
use modelarts_protocol::model::VersionDetail;
use modelarts_protocol::operations::list_training_jobs::{ListQuery, MAX_PER_PAGE};
use modelarts_protocol::pagination::{PageStep, Paginator};
use modelarts_protocol::status::JobStatus;
use modelarts_protocol::stop::{Outcome, StopStatus, TrainingJobVersion};
use modelarts_protocol::target::{JobRef, TargetStatus};
use modelarts_protocol::v2::pagination::MAX_LIMIT as V2_MAX_LIMIT;
use modelarts_protocol::v2::{
    OffsetMode, PageStep as V2PageStep, Paginator as V2Paginator, PhaseStatus, TrainingJob, TrainingJobId,
    TrainingJobTarget,
};
use modelarts_protocol::waiter::WaitOptions;
use modelarts_protocol::watch::{ListEnd, ReadFailure, Round, Watch, WatchStep, Watchable};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::client::Client;
use crate::error::Error;
use crate::stop::{StopOptions, StopOutcome};
use crate::v2::V2ListQuery;

/// The default number of stops in flight.
pub const DEFAULT_BATCH_CONCURRENCY: usize = 16;

/// Options of [`Client::batch_stop`].
///
/// New fields may be added: start from [`BatchOptions::default()`] and change what you need with
/// the `with_*` setters.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOptions {
    /// Targets in flight at once (at least 1). Default [`DEFAULT_BATCH_CONCURRENCY`].
    pub concurrency: usize,
    /// Wait for each version to be stopped, with these limits; `None` only stops.
    pub wait: Option<WaitOptions>,
    /// See [`StopOptions::strict`](crate::StopOptions::strict).
    pub strict: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self { concurrency: DEFAULT_BATCH_CONCURRENCY, wait: None, strict: false }
    }
}

impl BatchOptions {
    /// Sets [`concurrency`](Self::concurrency).
    #[must_use]
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// Sets [`wait`](Self::wait).
    #[must_use]
    pub fn with_wait(mut self, wait: WaitOptions) -> Self {
        self.wait = Some(wait);
        self
    }

    /// Sets [`strict`](Self::strict).
    #[must_use]
    pub fn with_strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }
}

/// Progress of a batch, for a progress bar or log.
#[derive(Debug)]
#[non_exhaustive]
pub enum BatchEvent<'a> {
    /// Work on a target begins.
    Started {
        /// The target's index in the input.
        index: usize,
        /// The target: a v1 job version or a v2 job.
        target: &'a JobRef,
    },
    /// The stop call ended (the wait, if any, follows).
    StopDone {
        /// The target's index in the input.
        index: usize,
        /// How it went.
        result: Result<StopOutcome<TargetStatus>, &'a Error>,
    },
    /// A wait poll read a status.
    Polled {
        /// The target's index in the input.
        index: usize,
        /// The status read (a v1 status or a v2 phase).
        status: TargetStatus,
    },
    /// The target's outcome is definite.
    Finished {
        /// The target's index in the input.
        index: usize,
        /// The outcome.
        outcome: &'a BatchOutcome,
    },
}

/// What happened to one target: the protocol's one outcome classifier
/// ([`modelarts_protocol::stop::Outcome`]), shared with the single stop.
pub type BatchOutcomeKind = modelarts_protocol::stop::Outcome<TargetStatus>;

/// The definite outcome of one target.
#[derive(Debug)]
pub struct BatchOutcome {
    /// The target's index in the input.
    pub index: usize,
    /// The target: a v1 job version or a v2 job.
    pub target: JobRef,
    /// What happened.
    pub kind: BatchOutcomeKind,
    /// The stop's outcome, if the stop call succeeded.
    pub stop: Option<StopOutcome<TargetStatus>>,
    /// The error, for `NotFound` and `Failed` (and a wait that failed after a successful stop).
    pub error: Option<Error>,
    /// Time spent on this target.
    pub elapsed: Duration,
}

/// Counts of outcomes per name (the protocol's [`Outcome::NAMES`], in that order), and how many
/// waits gave up before a final status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchCounts {
    /// One count per name of [`Outcome::NAMES`], in its order.
    pub by_name: [usize; 9],
    /// Outcomes whose wait ended before a final status (time up): a subset of the above.
    pub wait_gave_up: usize,
}

impl BatchCounts {
    /// All outcomes.
    pub fn total(&self) -> usize {
        self.by_name.iter().sum()
    }

    /// The count of one outcome name (`stopped`, `stop_requested`, …); 0 for a name not in the table.
    pub fn of(&self, name: &str) -> usize {
        BatchOutcomeKind::NAMES.iter().position(|n| *n == name).map_or(0, |i| self.by_name[i])
    }

    /// The non-zero counts, in table order: `2 stopped, 1 not_found`; `wait gave up` last.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = BatchOutcomeKind::NAMES
            .iter()
            .zip(self.by_name)
            .filter(|(_, n)| *n > 0)
            .map(|(name, n)| format!("{n} {name}"))
            .collect();
        if self.wait_gave_up > 0 {
            parts.push(format!("{} wait gave up", self.wait_gave_up));
        }
        if parts.is_empty() { "nothing".to_owned() } else { parts.join(", ") }
    }
}

/// The report of a batch: one outcome per target, in input order.
#[derive(Debug)]
pub struct BatchReport {
    /// One per target, `outcomes[i].index == i`.
    pub outcomes: Vec<BatchOutcome>,
    /// Wall time of the whole batch.
    pub elapsed: Duration,
}

impl BatchReport {
    /// Counts per outcome name.
    pub fn counts(&self) -> BatchCounts {
        let mut c = BatchCounts::default();
        for o in &self.outcomes {
            if let Some(i) = BatchOutcomeKind::NAMES.iter().position(|n| *n == o.kind.name()) {
                c.by_name[i] += 1;
            }
            if o.kind.wait_gave_up() {
                c.wait_gave_up += 1;
            }
        }
        c
    }

    /// Whether every target is stopped or stopping as asked.
    pub fn all_succeeded(&self) -> bool {
        self.outcomes.iter().all(|o| o.kind.is_success())
    }
}

/// A target whose stop was answered and whose wait is the watcher's.
#[derive(Debug)]
struct Joined {
    index: usize,
    target: JobRef,
    stop: StopOutcome<TargetStatus>,
    started: Duration,
}

/// How a target's stop ended, in a batch.
enum Stopped {
    /// With its outcome (no wait, or none needed, or the stop failed).
    Done(BatchOutcome),
    /// The watcher's now.
    Wait(Joined),
}

/// The targets of one API in the watcher: their watch, and by watch id the target and the error
/// of a failed read.
struct Side<K, S> {
    watch: Watch<K, S>,
    targets: Vec<Joined>,
    errors: HashMap<usize, Error>,
}

impl<K: Clone + Eq + std::hash::Hash, S: StopStatus> Side<K, S> {
    fn new(wait: WaitOptions) -> Self {
        Self { watch: Watch::new(wait), targets: Vec::new(), errors: HashMap::new() }
    }

    fn add(&mut self, key: K, j: Joined, now: Duration) {
        self.watch.add(key, now);
        self.targets.push(j);
    }

    /// The batch index of watch target `id`.
    fn index(&self, id: usize) -> Option<usize> {
        self.targets.get(id).map(|t| t.index)
    }

    /// The outcomes of the targets whose wait ended since the last call.
    fn finished(
        &mut self,
        status: fn(S) -> TargetStatus,
        now: Duration,
        on_event: &(impl Fn(&BatchEvent<'_>) + Send + Sync),
    ) -> Vec<BatchOutcome> {
        let mut outcomes = Vec::new();
        for (id, end) in self.watch.take_finished() {
            let Some(t) = self.targets.get(id) else { continue };
            let outcome = BatchOutcome {
                index: t.index,
                target: t.target.clone(),
                kind: Outcome::of_wait(Some(t.stop), end.map(status)),
                stop: Some(t.stop),
                error: self.errors.remove(&id),
                elapsed: now.saturating_sub(t.started),
            };
            notify(on_event, &BatchEvent::Finished { index: t.index, outcome: &outcome });
            outcomes.push(outcome);
        }
        outcomes
    }

    /// Feeds a single read's result to the watch (keeping the error of a failed one).
    fn on_read<R>(
        &mut self,
        id: usize,
        result: Result<R, Error>,
        status: impl Fn(&R) -> S,
        wrap: fn(S) -> TargetStatus,
        on_event: &(impl Fn(&BatchEvent<'_>) + Send + Sync),
    ) {
        let read = match result {
            Ok(r) => {
                let s = status(&r);
                if let Some(index) = self.index(id) {
                    notify(on_event, &BatchEvent::Polled { index, status: wrap(s) });
                }
                Ok(s)
            }
            Err(e) => {
                let failure = read_failure(&e);
                if matches!(failure, ReadFailure::Fatal { .. }) {
                    self.errors.insert(id, e);
                } else if let Some(t) = self.targets.get(id) {
                    tracing::debug!(target = %t.target, "a poll failed; still waiting: {e}");
                }
                Err(failure)
            }
        };
        self.watch.on_read(id, read);
    }

    /// Feeds a page's sightings to the watch; whether to walk on.
    fn on_page(
        &mut self,
        sightings: Vec<(K, S)>,
        wrap: fn(S) -> TargetStatus,
        on_event: &(impl Fn(&BatchEvent<'_>) + Send + Sync),
    ) -> bool {
        let sighted = self.watch.on_page(sightings);
        for (id, status) in sighted.seen {
            if let Some(index) = self.index(id) {
                notify(on_event, &BatchEvent::Polled { index, status: wrap(status) });
            }
        }
        sighted.walk_on
    }
}

type V1Side = Side<(JobId, VersionId), JobStatus>;
type V2Side = Side<TrainingJobId, PhaseStatus>;

impl<T: HttpSend<Error: Send + Sync + 'static>> Client<T> {
    /// Stops every target (v1 versions and v2 jobs, mixed) with at most `options.concurrency` stops
    /// in flight and reports exactly one outcome per target, in input order (a failure, or even a
    /// panic, in one target never loses another). With `options.wait`, a target leaves its
    /// concurrency slot as soon as its stop is answered and one watcher waits for all of them (see
    /// [`modelarts_protocol::watch`]), reading their statuses in bulk: v1 versions through the job
    /// list (one request per 1,000 jobs per poll round), v2 jobs through the unfiltered v2 search
    /// (one request per 50 jobs per round); singly (v1 version read, v2 `show`) only for the
    /// targets the list does not show, or when fewer are due than the list has pages. Each target
    /// keeps its own wait limits. `on_event` sees progress; it is called from the batch's task, so
    /// keep it quick.
    pub async fn batch_stop(
        &self,
        targets: Vec<JobRef>,
        options: BatchOptions,
        on_event: impl Fn(&BatchEvent<'_>) + Send + Sync,
    ) -> BatchReport {
        let started = self.inner.time.monotonic();
        let on_event = &on_event;
        let (joined_tx, joined_rx) = tokio::sync::mpsc::unbounded_channel::<Joined>();
        let stops = self.stop_all(targets.clone(), options, joined_tx, on_event);
        let watched = self.watch_all(joined_rx, options, on_event);
        let (stopped, watched) = futures_util::future::join(stops, watched).await;
        let mut slots: Vec<Option<BatchOutcome>> = targets.iter().map(|_| None).collect();
        for outcome in stopped.into_iter().chain(watched) {
            let index = outcome.index;
            if let Some(slot) = slots.get_mut(index) {
                *slot = Some(outcome);
            }
        }
        let outcomes = slots
            .into_iter()
            .zip(targets)
            .enumerate()
            .map(|(index, (slot, target))| {
                // Every target yields exactly once (a stop's outcome, or the watcher's); this is a
                // guard, e.g. against a watcher that panicked.
                slot.unwrap_or_else(|| BatchOutcome {
                    index,
                    target,
                    kind: BatchOutcomeKind::Failed,
                    stop: None,
                    error: Some(Error::Internal { message: "the target produced no outcome".to_owned() }),
                    elapsed: Duration::ZERO,
                })
            })
            .collect();
        BatchReport { outcomes, elapsed: self.inner.time.monotonic().saturating_sub(started) }
    }

    /// The stops, `options.concurrency` at a time: the outcomes of the targets that need no wait;
    /// the others are handed to the watcher through `joined`.
    ///
    /// Until an answer in this run proved the credentials (this batch's or an earlier call's: the
    /// project lookup, a list), one stop is in flight, so that a wrong key costs one refusal and
    /// never the run of failures after which the gateway locks the access key. After a refusal no
    /// retry can fix (a wrong secret key, an unknown or locked access key), nothing more is sent:
    /// every target not yet sent is `not_sent`, with the reason.
    async fn stop_all(
        &self,
        targets: Vec<JobRef>,
        options: BatchOptions,
        joined: UnboundedSender<Joined>,
        on_event: &(impl Fn(&BatchEvent<'_>) + Send + Sync),
    ) -> Vec<BatchOutcome> {
        let mut outcomes = Vec::new();
        let concurrency = options.concurrency.max(1);
        // Owned targets: a future borrowing the input would not be `Send` for every lifetime.
        let start = |(index, target): (usize, JobRef)| {
            let kept = target.clone();
            AssertUnwindSafe(async move { self.stop_one(index, &target, options, on_event).await })
                .catch_unwind()
                .map(move |result| (index, kept, result))
        };
        let mut pending = targets.into_iter().enumerate();
        let mut in_flight = futures_util::stream::FuturesUnordered::new();
        let mut halted: Option<Error> = None;
        loop {
            let width = if self.inner.state.credentials_proved() { concurrency } else { 1 };
            while halted.is_none() && in_flight.len() < width {
                let Some(next) = pending.next() else { break };
                in_flight.push(start(next));
            }
            let Some((index, target, result)) = in_flight.next().await else { break };
            let failed = |message: String| BatchOutcome {
                index,
                target: target.clone(),
                kind: BatchOutcomeKind::Failed,
                stop: None,
                error: Some(Error::Internal { message }),
                elapsed: Duration::ZERO,
            };
            let outcome = match result {
                Ok(Stopped::Done(outcome)) => outcome,
                Ok(Stopped::Wait(j)) => match joined.send(j) {
                    Ok(()) => continue,
                    // The watcher is gone (it panicked): this target's wait cannot happen.
                    Err(_) => failed("the wait ended before this target's".to_owned()),
                },
                Err(panic) => failed(panic_message(panic.as_ref())),
            };
            if halted.is_none()
                && let Some(reason) = outcome.error.as_ref().and_then(|e| self.halt_reason(e))
            {
                tracing::warn!("{}", reason);
                halted = Some(reason);
            }
            notify(on_event, &BatchEvent::Finished { index, outcome: &outcome });
            outcomes.push(outcome);
        }
        if let Some(Error::NotSent { reason, refusal }) = &halted {
            for (index, target) in pending {
                let outcome = BatchOutcome {
                    index,
                    target,
                    kind: Outcome::NotSent { status: None, wait_gave_up: false },
                    stop: None,
                    error: Some(Error::NotSent { reason: reason.clone(), refusal: refusal.clone() }),
                    elapsed: Duration::ZERO,
                };
                notify(on_event, &BatchEvent::Finished { index, outcome: &outcome });
                outcomes.push(outcome);
            }
        }
        outcomes
    }

    /// The error the targets not sent get, when `error` is a refusal of the credentials no retry
    /// can fix (the gateway's `APIG.0301` other than an expired token): sending on would be
    /// refused too, and bring the access key closer to the gateway's lock.
    fn halt_reason(&self, error: &Error) -> Option<Error> {
        let api = error.api_error()?;
        let refusal = GatewayRefusal::of(api).filter(|r| !r.retry_can_fix())?;
        let mut reason = format!(
            "an earlier stop of this batch was refused ({}), so the batch stopped sending: {}",
            api.message().or(api.code()).unwrap_or("HTTP 401"),
            refusal.explain()
        );
        if refusal == GatewayRefusal::AccessKeyLocked {
            let until = self.inner.time.now().checked_add(AK_LOCK).map(modelarts_protocol::iam::format_time);
            if let Some(until) = until {
                reason.push_str(&format!(" (locked until about {until} at the latest)"));
            }
        }
        Some(Error::NotSent { reason, refusal: api.clone() })
    }

    /// The watcher, if the batch waits (a panic in it costs the waiting targets their wait, not
    /// their outcome: they are reported failed).
    async fn watch_all(
        &self,
        joined: UnboundedReceiver<Joined>,
        options: BatchOptions,
        on_event: &(impl Fn(&BatchEvent<'_>) + Send + Sync),
    ) -> Vec<BatchOutcome> {
        let Some(wait) = options.wait else {
            return Vec::new();
        };
        AssertUnwindSafe(self.watch(joined, wait, options.concurrency.max(1), on_event))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| {
                tracing::error!("the batch's watcher panicked: {}", panic_message(panic.as_ref()));
                Vec::new()
            })
    }

    async fn stop_one(
        &self,
        index: usize,
        target: &JobRef,
        options: BatchOptions,
        on_event: &(impl Fn(&BatchEvent<'_>) + Send + Sync),
    ) -> Stopped {
        let started = self.inner.time.monotonic();
        let outcome = |kind, stop, error| BatchOutcome {
            index,
            target: target.clone(),
            kind,
            stop,
            error,
            elapsed: self.inner.time.monotonic().saturating_sub(started),
        };
        notify(on_event, &BatchEvent::Started { index, target });
        let stop_options = StopOptions::default().with_strict(options.strict);
        let stop = self.stop_target(target, stop_options).await;
        notify(
            on_event,
            &BatchEvent::StopDone { index, result: stop.as_ref().copied().map_err(|f| &f.error) },
        );
        let stop = match stop {
            Ok(stop) => stop,
            Err(f) => {
                tracing::debug!(%target, outcome = f.outcome.name(), "the stop failed: {}", f.error);
                return Stopped::Done(outcome(f.outcome, None, Some(f.error)));
            }
        };
        if options.wait.is_none() || !stop.needs_wait() {
            return Stopped::Done(outcome(Outcome::of_stop(stop), Some(stop), None));
        }
        // The watcher's, through the v1 job list or the v2 search.
        Stopped::Wait(Joined { index, target: target.clone(), stop, started })
    }

    /// The watcher: waits for every target it is handed until the stops are all answered and every
    /// wait has ended; returns their outcomes. v1 and v2 targets each have their watch (their lists
    /// differ), driven in this one loop.
    async fn watch(
        &self,
        mut joined: UnboundedReceiver<Joined>,
        wait: WaitOptions,
        concurrency: usize,
        on_event: &(impl Fn(&BatchEvent<'_>) + Send + Sync),
    ) -> Vec<BatchOutcome> {
        let time = &self.inner.time;
        let origin = time.monotonic();
        let now = || time.monotonic().saturating_sub(origin);
        let mut v1 = V1Side::new(wait);
        let mut v2 = V2Side::new(wait);
        let add = |v1: &mut V1Side, v2: &mut V2Side, j: Joined| match &j.target {
            JobRef::V1 { job, version } => v1.add((*job, *version), j, now()),
            JobRef::V2(id) => v2.add(id.clone(), j, now()),
        };
        let mut outcomes = Vec::new();
        let mut open = true;
        loop {
            while let Ok(j) = joined.try_recv() {
                add(&mut v1, &mut v2, j);
            }
            let mut rounds = false;
            let mut sleep: Option<Duration> = None;
            match v1.watch.next(now()) {
                WatchStep::Round(round) => {
                    self.watch_round(&mut v1, round, concurrency, on_event).await;
                    v1.watch.end_round(now(), &mut || self.jitter());
                    rounds = true;
                }
                WatchStep::Sleep(delay) => sleep = Some(delay),
                WatchStep::Idle => {}
            }
            match v2.watch.next(now()) {
                WatchStep::Round(round) => {
                    self.watch_round_v2(&mut v2, round, concurrency, on_event).await;
                    v2.watch.end_round(now(), &mut || self.jitter());
                    rounds = true;
                }
                WatchStep::Sleep(delay) => sleep = Some(sleep.map_or(delay, |s| s.min(delay))),
                WatchStep::Idle => {}
            }
            let elapsed = time.monotonic();
            outcomes.extend(v1.finished(TargetStatus::V1, elapsed, on_event));
            outcomes.extend(v2.finished(TargetStatus::V2, elapsed, on_event));
            if rounds {
                continue;
            }
            match sleep {
                None if !open => break,
                None => match joined.recv().await {
                    Some(j) => add(&mut v1, &mut v2, j),
                    None => open = false,
                },
                Some(delay) if open => {
                    let sleep = std::pin::pin!(time.sleep(delay));
                    let next = std::pin::pin!(joined.recv());
                    match futures_util::future::select(sleep, next).await {
                        Either::Left(_) => {}
                        Either::Right((Some(j), _)) => add(&mut v1, &mut v2, j),
                        Either::Right((None, _)) => open = false,
                    }
                }
                Some(delay) => time.sleep(delay).await,
            }
        }
        outcomes
    }

    /// One poll round of the v1 targets: the walk over the list (if the round has one), then the
    /// single reads.
    async fn watch_round(
        &self,
        side: &mut V1Side,
        round: Round,
        concurrency: usize,
        on_event: &(impl Fn(&BatchEvent<'_>) + Send + Sync),
    ) {
        let mut reads = round.reads;
        if round.list {
            let end = self.watch_walk(side, on_event).await;
            reads.extend(side.watch.on_list_end(end));
        }
        let reads: Vec<(usize, JobId, VersionId)> = reads
            .into_iter()
            .filter_map(|id| match side.targets.get(id).map(|t| &t.target) {
                Some(JobRef::V1 { job, version }) => Some((id, *job, *version)),
                _ => None,
            })
            .collect();
        let results: Vec<(usize, Result<VersionDetail, Error>)> = futures_util::stream::iter(reads)
            .map(|(id, job, version)| async move { (id, self.show_training_job_version(job, version).await) })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        for (id, result) in results {
            side.on_read(id, result, |v| v.status, TargetStatus::V1, on_event);
        }
    }

    /// Walks the v1 job list for a round, feeding each page to the watch, until it has seen every
    /// due target or the list ends.
    async fn watch_walk(
        &self,
        side: &mut V1Side,
        on_event: &(impl Fn(&BatchEvent<'_>) + Send + Sync),
    ) -> ListEnd {
        let mut paginator = Paginator::new(MAX_PER_PAGE);
        let mut page = paginator.first_page();
        loop {
            let query = ListQuery::default().with_page(page).with_per_page(MAX_PER_PAGE);
            let list = match self.list_training_jobs(query).await {
                Ok(list) => list,
                Err(e) => {
                    tracing::debug!(page, "a page of the job list could not be read while waiting: {e}");
                    return ListEnd::Failed(read_failure(&e));
                }
            };
            if !side.on_page(TrainingJobVersion::sightings(&list), TargetStatus::V1, on_event) {
                return ListEnd::Complete;
            }
            match paginator.accept(list) {
                Ok((_, PageStep::Next(next))) => page = next,
                Ok((_, PageStep::Done)) => return ListEnd::Complete,
                Ok((_, PageStep::Exceeded(e))) | Err(e) => {
                    // The pages read hold good statuses; the rest is read singly.
                    tracing::warn!(page, "the job list cannot be walked while waiting: {e}");
                    return ListEnd::Complete;
                }
            }
        }
    }

    /// One poll round of the v2 targets: the walk over the v2 search (if the round has one), then
    /// the single reads (`show`).
    async fn watch_round_v2(
        &self,
        side: &mut V2Side,
        round: Round,
        concurrency: usize,
        on_event: &(impl Fn(&BatchEvent<'_>) + Send + Sync),
    ) {
        let mut reads = round.reads;
        if round.list {
            let end = self.watch_walk_v2(side, on_event).await;
            reads.extend(side.watch.on_list_end(end));
        }
        let reads: Vec<(usize, TrainingJobId)> = reads
            .into_iter()
            .filter_map(|id| match side.targets.get(id).map(|t| &t.target) {
                Some(JobRef::V2(job)) => Some((id, job.clone())),
                _ => None,
            })
            .collect();
        let results: Vec<(usize, Result<TrainingJob, Error>)> = futures_util::stream::iter(reads)
            .map(|(id, job)| async move { (id, self.show_training_job(&job).await) })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        for (id, result) in results {
            side.on_read(id, result, PhaseStatus::of, TargetStatus::V2, on_event);
        }
    }

    /// Walks the v2 search for a round (unfiltered, 50 jobs a page, the API's default order: the
    /// `phase` filter's key is not documented in every language version, and each job's phase is
    /// checked on the client anyway), until the watch has seen every due target or the walk ends.
    async fn watch_walk_v2(
        &self,
        side: &mut V2Side,
        on_event: &(impl Fn(&BatchEvent<'_>) + Send + Sync),
    ) -> ListEnd {
        let mut paginator = V2Paginator::by_offset(V2_MAX_LIMIT, OffsetMode::PageIndex);
        let mut offset = paginator.first_offset();
        loop {
            let query = V2ListQuery::default().with_offset(offset).with_limit(paginator.limit());
            let list = match self.list_training_jobs_v2(&query).await {
                Ok(list) => list,
                Err(e) => {
                    tracing::debug!(
                        offset,
                        "a page of the v2 job search could not be read while waiting: {e}"
                    );
                    return ListEnd::Failed(read_failure(&e));
                }
            };
            if !side.on_page(TrainingJobTarget::sightings(&list), TargetStatus::V2, on_event) {
                return ListEnd::Complete;
            }
            match paginator.accept(list) {
                Ok((_, V2PageStep::Next(next))) => offset = next,
                Ok((_, V2PageStep::Done)) => return ListEnd::Complete,
                Ok((_, V2PageStep::Exceeded(e))) | Err(e) => {
                    // The pages read hold good statuses; the rest is read singly.
                    tracing::warn!(offset, "the v2 job search cannot be walked while waiting: {e}");
                    return ListEnd::Complete;
                }
            }
        }
    }
}

/// What a failed status read means for a wait.
fn read_failure(e: &Error) -> ReadFailure {
    if e.is_throttling() {
        ReadFailure::Throttled { retry_after: e.retry_after() }
    } else if e.is_transient() {
        ReadFailure::Transient
    } else {
        ReadFailure::Fatal { not_found: e.is_not_found() }
    }
}

/// Calls the progress callback; a panic in it must not cost a target its outcome.
fn notify(on_event: &(impl Fn(&BatchEvent<'_>) + Send + Sync), event: &BatchEvent<'_>) {
    if std::panic::catch_unwind(AssertUnwindSafe(|| on_event(event))).is_err() {
        tracing::warn!("the batch progress callback panicked; ignoring it");
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a task panicked".to_owned()
    }
}
