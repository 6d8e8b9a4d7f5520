//! The waiter: polls a version until it is KILLED or CANCELED, another final state, or the time is
//! up. The decisions come from [`modelarts_protocol::waiter::Waiter`]; this module sleeps and calls.

use modelarts_http::HttpSend;
use modelarts_protocol::ids::{JobId, VersionId};
use modelarts_protocol::machine::steps::{StopThenWait, StopThenWaitEnd, WaitMachine, Waited};
use modelarts_protocol::model::VersionDetail;
use modelarts_protocol::operations::Operation;
use modelarts_protocol::stop::{Stoppable, TrainingJobVersion};
use modelarts_protocol::v2::{TrainingJob, TrainingJobId, TrainingJobTarget};
use modelarts_protocol::waiter::WaitOptions;

use crate::client::Client;
use crate::error::{Error, WaitError, WaitSubject};
use crate::stop::{StopOptions, StopOutcome};
use modelarts_protocol::stop::{Outcome, WaitEnd};
use modelarts_protocol::target::{JobRef, TargetStatus};
use modelarts_protocol::v2::PhaseStatus;

/// The result of [`Client::stop_and_wait`].
#[derive(Debug, Clone, PartialEq)]
pub struct StopAndWait {
    /// How the stop went.
    pub stop: StopOutcome,
    /// The version as last read: KILLED or CANCELED.
    pub version: VersionDetail,
}

/// What became of one target of either API after [`Client::stop_target_and_wait`]: its one
/// outcome (the protocol's [`Outcome`], as a batch line reports it), how the stop call went, and the
/// error that came with the outcome, if any (the stop's failure, or the wait's failed read).
#[derive(Debug)]
#[non_exhaustive]
pub struct TargetEnd {
    /// What was seen: `stopped` only with a stopped status read.
    pub outcome: Outcome<TargetStatus>,
    /// The stop's outcome, when the stop call succeeded.
    pub stop: Option<StopOutcome<TargetStatus>>,
    /// The error that came with the outcome.
    pub error: Option<Error>,
}

impl<T: HttpSend<Error: Send + Sync + 'static>> Client<T> {
    /// Polls a target of either API (a v1 version or a v2 job) until it is stopped (its status
    /// returned), another final state ([`WaitError::OtherFinalState`]) or `options.max_wait`
    /// passes ([`WaitError::TimedOut`] with the last status): the one waiter, as for
    /// [`wait_until_stopped`](Self::wait_until_stopped). `on_poll` sees every status read.
    pub async fn wait_target(
        &self,
        target: &JobRef,
        options: WaitOptions,
        on_poll: impl Fn(TargetStatus),
    ) -> Result<TargetStatus, WaitError<TargetStatus>> {
        match target {
            JobRef::V1 { job, version } => {
                let on_poll = |v: &VersionDetail| on_poll(TargetStatus::V1(v.status));
                let waited = self.wait_resource(self.version(*job, *version), options, on_poll, target).await;
                map_wait(waited, |v| TargetStatus::V1(v.status))
            }
            JobRef::V2(id) => {
                let on_poll = |j: &TrainingJob| on_poll(TargetStatus::V2(PhaseStatus::of(j)));
                let waited = self.wait_resource(self.job_v2(id), options, on_poll, target).await;
                map_wait(waited, |j| TargetStatus::V2(PhaseStatus::of(&j)))
            }
        }
    }

    /// Stops a target of either API (the safe stop) and, when `wait` is given and the status read
    /// is not already final, waits for it: the composition of a single stop, classified as a batch
    /// line is. Never fails: a failure is an outcome (`not_found`, `not_sent`, `unknown`, `failed`,
    /// or the stop's outcome when only the wait's read failed) with its error.
    pub async fn stop_target_and_wait(
        &self,
        target: &JobRef,
        stop_options: StopOptions,
        wait: Option<WaitOptions>,
        on_poll: impl Fn(TargetStatus),
    ) -> TargetEnd {
        match target {
            JobRef::V1 { job, version } => {
                let machine =
                    StopThenWait::new(self.version(*job, *version), self.inner.policy, stop_options, wait);
                let ended = self
                    .drive_reporting(machine, |v: &VersionDetail| on_poll(TargetStatus::V1(v.status)))
                    .await;
                self.target_end(ended, TargetStatus::V1, |v| TargetStatus::V1(v.status), target)
            }
            JobRef::V2(id) => {
                let machine = StopThenWait::new(self.job_v2(id), self.inner.policy, stop_options, wait);
                let ended = self
                    .drive_reporting(machine, |j: &TrainingJob| on_poll(TargetStatus::V2(PhaseStatus::of(j))))
                    .await;
                self.target_end(ended, TargetStatus::V2, |j| TargetStatus::V2(PhaseStatus::of(&j)), target)
            }
        }
    }

    /// Drives a [`StopThenWait`], reporting each status its wait reads.
    async fn drive_reporting<R>(
        &self,
        machine: StopThenWait<R, T::Error>,
        on_poll: impl Fn(&<R::Read as Operation>::Output),
    ) -> Result<StopThenWaitEnd<R::Status, <R::Read as Operation>::Output, T::Error>, Error>
    where
        R: Stoppable + Clone,
    {
        let mut reported = 0;
        let mut unreported = false;
        let ended = self
            .drive(machine, |m| {
                if let Some(wait) = m.wait() {
                    unreported = report_read(wait.reads(), wait.last_read(), &mut reported, &on_poll);
                }
            })
            .await?;
        // The last read leaves the machine with its end.
        if unreported && let Some(Waited::Stopped(read) | Waited::EndedOtherwise(read)) = &ended.wait {
            on_poll(read);
        }
        Ok(ended)
    }

    /// The one outcome of a stop-then-wait, as a batch line reports it.
    fn target_end<S: modelarts_protocol::stop::StopStatus, D>(
        &self,
        ended: Result<StopThenWaitEnd<S, D, T::Error>, Error>,
        status: impl Fn(S) -> TargetStatus,
        read_status: impl Fn(D) -> TargetStatus,
        target: &JobRef,
    ) -> TargetEnd {
        let ended = match ended {
            Ok(ended) => ended,
            Err(error) => {
                let outcome = Outcome::of_failure(false, false, None);
                return TargetEnd { outcome, stop: None, error: Some(error) };
            }
        };
        let stop = match ended.stop {
            Ok(stop) => stop.map(&status),
            Err(f) => {
                let f = crate::stop::StopFailed::from(f).map(&status);
                let outcome = Outcome::of_failure(f.not_found, f.may_have_been_sent, f.status);
                return TargetEnd { outcome, stop: None, error: Some(f.error) };
            }
        };
        let Some(waited) = ended.wait else {
            return TargetEnd { outcome: Outcome::of_stop(stop), stop: Some(stop), error: None };
        };
        let (end, error) = match waited {
            Waited::Stopped(read) => (WaitEnd::Stopped(read_status(read)), None),
            Waited::EndedOtherwise(read) => (WaitEnd::EndedOtherwise(read_status(read)), None),
            Waited::TimedOut { last, .. } => (WaitEnd::TimedOut(last.map(&read_status)), None),
            Waited::Failed(e) => {
                let e = Error::from(e);
                tracing::debug!(target_id = %target, "the wait's read failed: {e}");
                (WaitEnd::Failed { not_found: e.is_not_found() }, Some(e))
            }
            _ => (WaitEnd::Failed { not_found: false }, None),
        };
        TargetEnd { outcome: Outcome::of_wait(Some(stop), end), stop: Some(stop), error }
    }

    /// Polls a version until it is KILLED or CANCELED (returned), another final state
    /// ([`WaitError::OtherFinalState`]) or `options.max_wait` passes ([`WaitError::TimedOut`] with
    /// the last status). `on_poll` sees every version detail read. Throttled and transient poll
    /// failures (after the call's own retries) lengthen the delay but never end the wait; other
    /// failures end it ([`WaitError::Call`]). Sleeps never pass the deadline; a poll in flight when
    /// it passes is finished first (a final status read then still counts).
    pub async fn wait_until_stopped(
        &self,
        job: JobId,
        version: VersionId,
        options: WaitOptions,
        on_poll: impl Fn(&VersionDetail),
    ) -> Result<VersionDetail, WaitError> {
        let what = format!("job {job} version {version}");
        self.wait_resource(self.version(job, version), options, on_poll, &what).await
    }

    /// The one waiter of both APIs: drives the protocol's [`WaitMachine`] for `resource` until its
    /// status is stopped (the read is returned), another final state
    /// ([`WaitError::OtherFinalState`]) or `options.max_wait` passes ([`WaitError::TimedOut`] with
    /// the last read). `on_poll` sees every read.
    pub(crate) async fn wait_resource<R>(
        &self,
        resource: R,
        options: WaitOptions,
        on_poll: impl Fn(&<R::Read as Operation>::Output),
        what: &(impl std::fmt::Display + ?Sized),
    ) -> Result<<R::Read as Operation>::Output, WaitError<<R::Read as Operation>::Output>>
    where
        R: Stoppable,
        <R::Read as Operation>::Output: WaitSubject,
    {
        let (mut reported, mut unreported) = (0, false);
        let machine = WaitMachine::new(resource, self.inner.policy, options);
        let waited = self
            .drive(machine, |m| unreported = report_read(m.reads(), m.last_read(), &mut reported, &on_poll))
            .await
            .map_err(WaitError::Call)?;
        // The last read leaves the machine with its end.
        if unreported && let Waited::Stopped(read) | Waited::EndedOtherwise(read) = &waited {
            on_poll(read);
        }
        match waited {
            Waited::Stopped(read) => Ok(read),
            Waited::EndedOtherwise(read) => Err(WaitError::OtherFinalState(Box::new(read))),
            Waited::TimedOut { last, waited } => {
                Err(WaitError::TimedOut { last: last.map(Box::new), waited })
            }
            Waited::Failed(e) => {
                tracing::debug!(target_id = %what, "a poll failed; the wait ends");
                Err(WaitError::Call(e.into()))
            }
            _ => Err(WaitError::Call(Error::Internal { message: "the wait ended unexpectedly".into() })),
        }
    }

    pub(crate) fn version(&self, job: JobId, version: VersionId) -> TrainingJobVersion {
        TrainingJobVersion { project_id: self.inner.project_id.clone(), job_id: job, version_id: version }
    }

    pub(crate) fn job_v2(&self, id: &TrainingJobId) -> TrainingJobTarget {
        TrainingJobTarget { project_id: self.inner.project_id.clone(), training_job_id: id.clone() }
    }

    /// Stops a version (non-strict) and waits until it is stopped: [`stop_training_job`](Self::stop_training_job)
    /// then [`wait_until_stopped`](Self::wait_until_stopped).
    pub async fn stop_and_wait(
        &self,
        job: JobId,
        version: VersionId,
        options: WaitOptions,
        on_poll: impl Fn(&VersionDetail),
    ) -> Result<StopAndWait, WaitError> {
        self.stop_and_wait_with(job, version, StopOptions::default(), options, on_poll).await
    }

    /// [`stop_and_wait`](Self::stop_and_wait) with stop options.
    pub async fn stop_and_wait_with(
        &self,
        job: JobId,
        version: VersionId,
        stop_options: StopOptions,
        options: WaitOptions,
        on_poll: impl Fn(&VersionDetail),
    ) -> Result<StopAndWait, WaitError> {
        let stop = self.stop_training_job_with(job, version, stop_options).await?;
        let version = self.wait_until_stopped(job, version, options, on_poll).await?;
        Ok(StopAndWait { stop, version })
    }
}

/// A wait's result with its reads converted (into a status of either API).
fn map_wait<D: WaitSubject>(
    waited: Result<D, WaitError<D>>,
    f: impl Fn(D) -> TargetStatus,
) -> Result<TargetStatus, WaitError<TargetStatus>> {
    match waited {
        Ok(read) => Ok(f(read)),
        Err(WaitError::TimedOut { last, waited }) => {
            Err(WaitError::TimedOut { last: last.map(|d| Box::new(f(*d))), waited })
        }
        Err(WaitError::OtherFinalState(d)) => Err(WaitError::OtherFinalState(Box::new(f(*d)))),
        Err(WaitError::Call(e)) => Err(WaitError::Call(e)),
    }
}

/// Reports a wait's new read, if it made one since `reported`; true when the read is new but has
/// left the machine already (with its end), for the caller to report from the end.
fn report_read<D>(reads: u32, last: Option<&D>, reported: &mut u32, on_poll: impl Fn(&D)) -> bool {
    if reads == *reported {
        return false;
    }
    *reported = reads;
    match last {
        Some(read) => {
            on_poll(read);
            false
        }
        None => true,
    }
}
