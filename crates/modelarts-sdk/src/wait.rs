//! The waiter: polls a version until it is KILLED or CANCELED, another final state, or the time is
//! up. The decisions come from [`modelarts_protocol::waiter::Waiter`]; this module sleeps and calls.

use modelarts_http::HttpSend;
use modelarts_protocol::ids::{JobId, VersionId};
use modelarts_protocol::model::VersionDetail;
use modelarts_protocol::waiter::{PollResult, WaitOptions, WaitStep, Waiter};

use crate::client::Client;
use crate::error::{Error, WaitError, WaitSubject};
use crate::stop::{StopOptions, StopOutcome};
use modelarts_protocol::stop::StopStatus;

/// The result of [`Client::stop_and_wait`].
#[derive(Debug, Clone, PartialEq)]
pub struct StopAndWait {
    /// How the stop went.
    pub stop: StopOutcome,
    /// The version as last read: KILLED or CANCELED.
    pub version: VersionDetail,
}

impl<T: HttpSend<Error: Send + Sync + 'static>> Client<T> {
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
