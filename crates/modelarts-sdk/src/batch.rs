//! Batch stop: many stops (and optional waits) with bounded concurrency, exactly one definite
//! outcome per target, in input order.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use modelarts_http::HttpSend;
use modelarts_protocol::target::{JobRef, TargetStatus};
use modelarts_protocol::waiter::WaitOptions;

use crate::client::Client;
use crate::error::Error;
use crate::error::{WaitError, WaitSubject};
use crate::stop::StopFailed;
use crate::stop::{StopOptions, StopOutcome};
use modelarts_protocol::stop::{Outcome, WaitEnd};

/// The default number of stops in flight.
pub const DEFAULT_BATCH_CONCURRENCY: usize = 16;

/// Options of [`Client::batch_stop`].
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

/// Counts of outcomes per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCounts {
    /// `Stopped`.
    pub stopped: usize,
    /// `AlreadyStopped`.
    pub already_stopped: usize,
    /// `NotFound`.
    pub not_found: usize,
    /// `Failed`.
    pub failed: usize,
    /// `WaitTimedOut`.
    pub wait_timed_out: usize,
    /// `EndedOtherwise`.
    pub ended_otherwise: usize,
}

impl BatchCounts {
    /// All outcomes.
    pub fn total(&self) -> usize {
        self.stopped
            + self.already_stopped
            + self.not_found
            + self.failed
            + self.wait_timed_out
            + self.ended_otherwise
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
    /// Counts per kind.
    pub fn counts(&self) -> BatchCounts {
        let mut c = BatchCounts::default();
        for o in &self.outcomes {
            match o.kind {
                BatchOutcomeKind::Stopped(_) => c.stopped += 1,
                BatchOutcomeKind::AlreadyStopped(_) => c.already_stopped += 1,
                BatchOutcomeKind::NotFound => c.not_found += 1,
                BatchOutcomeKind::Failed => c.failed += 1,
                BatchOutcomeKind::WaitTimedOut(_) => c.wait_timed_out += 1,
                BatchOutcomeKind::EndedOtherwise(_) => c.ended_otherwise += 1,
            }
        }
        c
    }

    /// Whether every target is stopped or stopping as asked.
    pub fn all_succeeded(&self) -> bool {
        self.outcomes.iter().all(|o| o.kind.is_success())
    }
}

impl<T: HttpSend<Error: Send + Sync + 'static>> Client<T> {
    /// Stops every target (v1 versions and v2 jobs, mixed) with at most `options.concurrency` in flight, optionally waiting for each,
    /// and reports exactly one outcome per target, in input order (a failure, or even a panic, in
    /// one target never loses another). `on_event` sees progress; it is called from the batch's
    /// task, so keep it quick.
    pub async fn batch_stop(
        &self,
        targets: Vec<JobRef>,
        options: BatchOptions,
        on_event: impl Fn(&BatchEvent<'_>) + Send + Sync,
    ) -> BatchReport {
        let started = self.inner.time.monotonic();
        let on_event = &on_event;
        let mut slots: Vec<Option<BatchOutcome>> = targets.iter().map(|_| None).collect();
        // Owned targets: a future borrowing the input would not be `Send` for every lifetime.
        let mut results = futures_util::stream::iter(targets.clone().into_iter().enumerate())
            .map(|(index, target)| {
                let kept = target.clone();
                AssertUnwindSafe(async move { self.stop_one(index, &target, options, on_event).await })
                    .catch_unwind()
                    .map(move |result| (index, kept, result))
            })
            .buffer_unordered(options.concurrency.max(1));
        while let Some((index, target, result)) = results.next().await {
            let outcome = result.unwrap_or_else(|panic| BatchOutcome {
                index,
                target,
                kind: BatchOutcomeKind::Failed,
                stop: None,
                error: Some(Error::Internal { message: panic_message(panic.as_ref()) }),
                elapsed: Duration::ZERO,
            });
            notify(on_event, &BatchEvent::Finished { index, outcome: &outcome });
            if let Some(slot) = slots.get_mut(index) {
                *slot = Some(outcome);
            }
        }
        drop(results);
        let outcomes = slots
            .into_iter()
            .zip(targets)
            .enumerate()
            .map(|(index, (slot, target))| {
                // Every future yields exactly once, so every slot is filled; this is a guard.
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

    async fn stop_one(
        &self,
        index: usize,
        target: &JobRef,
        options: BatchOptions,
        on_event: &(impl Fn(&BatchEvent<'_>) + Send + Sync),
    ) -> BatchOutcome {
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
        let stop_options = StopOptions { strict: options.strict };
        let stop: Result<StopOutcome<TargetStatus>, StopFailed<TargetStatus>> = match target {
            JobRef::V1 { job, version } => self
                .stop_version(*job, *version, stop_options)
                .await
                .map(|o| o.map(TargetStatus::V1))
                .map_err(|f| f.map(TargetStatus::V1)),
            JobRef::V2(id) => self
                .terminate_job(id, stop_options)
                .await
                .map(|o| o.map(TargetStatus::V2))
                .map_err(|f| f.map(TargetStatus::V2)),
        };
        notify(
            on_event,
            &BatchEvent::StopDone { index, result: stop.as_ref().copied().map_err(|f| &f.error) },
        );
        let stop = match stop {
            Ok(stop) => stop,
            Err(f) => {
                let read = f.status.map_or_else(|| "not read".to_owned(), |s| s.to_string());
                tracing::debug!(%target, status = %read, "the stop failed: {}", f.error);
                return outcome(Outcome::of_failure(f.not_found), None, Some(f.error));
            }
        };
        let wait = match options.wait {
            Some(wait) if stop.needs_wait() => wait,
            _ => return outcome(Outcome::of_stop(stop), Some(stop), None),
        };
        let polled = |status: TargetStatus| notify(on_event, &BatchEvent::Polled { index, status });
        let (end, error) = match target {
            JobRef::V1 { job, version } => {
                let done =
                    self.wait_until_stopped(*job, *version, wait, |v| polled(TargetStatus::V1(v.status)));
                wait_end(done.await, |v| TargetStatus::V1(v.status))
            }
            JobRef::V2(id) => {
                let status = |j: &modelarts_protocol::v2::TrainingJob| {
                    TargetStatus::V2(modelarts_protocol::v2::PhaseStatus::of(j))
                };
                let done = self.wait_until_terminated(id, wait, |j| polled(status(j)));
                wait_end(done.await, status)
            }
        };
        outcome(Outcome::of_wait(Some(stop), end), Some(stop), error)
    }
}

/// A wait's result as the classifier takes it, with the error of a failed poll.
fn wait_end<D: WaitSubject>(
    done: Result<D, WaitError<D>>,
    status: impl Fn(&D) -> TargetStatus,
) -> (WaitEnd<TargetStatus>, Option<Error>) {
    match done {
        Ok(v) => (WaitEnd::Stopped(status(&v)), None),
        Err(WaitError::TimedOut { last, .. }) => (WaitEnd::TimedOut(last.map(|v| status(&v))), None),
        Err(WaitError::OtherFinalState(v)) => (WaitEnd::EndedOtherwise(status(&v)), None),
        Err(WaitError::Call(e)) => (WaitEnd::Failed { not_found: e.is_not_found() }, Some(e)),
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
