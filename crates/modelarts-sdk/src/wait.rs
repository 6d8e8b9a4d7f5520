//! The waiter: polls a version until it is KILLED or CANCELED, another final state, or the time is
//! up. The decisions come from [`modelarts_protocol::waiter::Waiter`]; this module sleeps and calls.

use modelarts_http::HttpSend;
use modelarts_protocol::ids::{JobId, VersionId};
use modelarts_protocol::model::VersionDetail;
use modelarts_protocol::waiter::{PollResult, WaitOptions, WaitStep, Waiter};

use crate::client::Client;
use crate::error::{Error, WaitError, WaitSubject};
use crate::stop::{StopOptions, StopOutcome};
use modelarts_protocol::stop::{Outcome, StopStatus, WaitEnd};
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
        let read = || async move {
            match target {
                JobRef::V1 { job, version } => {
                    self.show_training_job_version(*job, *version).await.map(|v| TargetStatus::V1(v.status))
                }
                JobRef::V2(id) => {
                    self.show_training_job(id).await.map(|j| TargetStatus::V2(PhaseStatus::of(&j)))
                }
            }
        };
        self.wait_for(read, |s: &TargetStatus| *s, options, |s| on_poll(*s), &target.to_string()).await
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
        let stop = match self.stop_target(target, stop_options).await {
            Ok(stop) => stop,
            Err(e) => return TargetEnd { outcome: e.outcome, stop: None, error: Some(e.error) },
        };
        let options = match wait {
            Some(options) if stop.needs_wait() => options,
            _ => return TargetEnd { outcome: Outcome::of_stop(stop), stop: Some(stop), error: None },
        };
        let (end, error) = match self.wait_target(target, options, on_poll).await {
            Ok(status) => (WaitEnd::Stopped(status), None),
            Err(WaitError::OtherFinalState(s)) => (WaitEnd::EndedOtherwise(*s), None),
            Err(WaitError::TimedOut { last, .. }) => (WaitEnd::TimedOut(last.map(|s| *s)), None),
            Err(WaitError::Call(e)) => (WaitEnd::Failed { not_found: e.is_not_found() }, Some(e)),
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
        let read = || self.show_training_job_version(job, version);
        self.wait_for(
            read,
            |v: &VersionDetail| v.status,
            options,
            on_poll,
            &format!("job {job} version {version}"),
        )
        .await
    }

    /// The one waiter of both APIs: polls `read` until the status `status_of` finds in its answer
    /// is stopped (the answer is returned), another final state ([`WaitError::OtherFinalState`])
    /// or `options.max_wait` passes ([`WaitError::TimedOut`] with the last answer). The decisions
    /// are the protocol's [`Waiter`].
    pub(crate) async fn wait_for<D, S, F, Fut>(
        &self,
        read: F,
        status_of: impl Fn(&D) -> S,
        options: WaitOptions,
        on_poll: impl Fn(&D),
        what: &str,
    ) -> Result<D, WaitError<D>>
    where
        D: WaitSubject,
        S: StopStatus,
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<D, Error>>,
    {
        let time = &self.inner.time;
        let start = time.monotonic();
        let mut waiter = Waiter::new(options);
        let mut last: Option<D> = None;
        loop {
            let poll = match read().await {
                Ok(v) => {
                    on_poll(&v);
                    let poll = PollResult::Status(status_of(&v));
                    last = Some(v);
                    poll
                }
                Err(e) if e.is_throttling() => PollResult::Throttled { retry_after: e.retry_after() },
                Err(e) if e.is_transient() => {
                    tracing::debug!(target_id = what, "a poll failed transiently; still waiting: {e}");
                    PollResult::TransientFailure
                }
                Err(e) => return Err(WaitError::Call(e)),
            };
            let elapsed = time.monotonic().saturating_sub(start);
            match waiter.next(&poll, elapsed, self.jitter()) {
                WaitStep::Sleep(delay) => time.sleep(delay).await,
                WaitStep::TimedOut => {
                    return Err(WaitError::TimedOut { last: last.map(Box::new), waited: elapsed });
                }
                // Both only follow a `PollResult::Status`, so `last` holds this poll's answer.
                step @ (WaitStep::Stopped(_) | WaitStep::OtherFinalState(_)) => match (step, last.take()) {
                    (WaitStep::Stopped(_), Some(v)) => return Ok(v),
                    (_, Some(v)) => return Err(WaitError::OtherFinalState(Box::new(v))),
                    (_, None) => time.sleep(options.min_delay).await,
                },
            }
        }
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
