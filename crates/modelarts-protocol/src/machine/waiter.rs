//! The wait for a stop to finish: given each poll's result and the time elapsed, decide whether the
//! version has stopped, ended otherwise, or how long to sleep before the next poll. Pure: the caller
//! passes the elapsed time and the jitter, and does the sleeping.
//!
//! ```
//! use std::time::Duration;
//! use modelarts_protocol::JobStatus;
//! use modelarts_protocol::waiter::{PollResult, WaitOptions, WaitStep, Waiter};
//!
//! let mut waiter = Waiter::new(WaitOptions::default());
//! let step = waiter.next(&PollResult::Status(JobStatus::Killing), Duration::ZERO, 0.0);
//! assert_eq!(step, WaitStep::Sleep(Duration::from_secs(2)));
//! let step = waiter.next(&PollResult::Status(JobStatus::Killed), Duration::from_secs(2), 0.0);
//! assert_eq!(step, WaitStep::Stopped(JobStatus::Killed));
//! ```

use std::time::{Duration, SystemTime};

use bytes::Bytes;

use crate::error::{ErrorClass, ResponseError};
use crate::machine::call::{AttemptError, CallError, CallMachine, TransportFailure};
use crate::machine::drive::{Attempt, Input, Machine, Step};
use crate::machine::retry::{ClockSkew, RetryPolicy};
use crate::machine::stop::{CallEnd, StatusClass, StopStatus, Stoppable};
use crate::operations::Operation;
use crate::v1::status::JobStatus;

/// Limits of a wait. Defaults: 2 s minimum delay, 30 s maximum delay, 30 min in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitOptions {
    /// Give up after this long.
    pub max_wait: Duration,
    /// The first delay, and the least.
    pub min_delay: Duration,
    /// The largest delay.
    pub max_delay: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            max_wait: Duration::from_secs(30 * 60),
            min_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// What one poll found. `S` is the resource's status: a v1 [`JobStatus`] by default, or any
/// [`StopStatus`] (a v2 job's [`PhaseStatus`](crate::v2::PhaseStatus)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollResult<S = JobStatus> {
    /// The resource's status.
    Status(S),
    /// The poll was throttled (after the call's own retries).
    Throttled {
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// The poll failed transiently (after the call's own retries); keep waiting.
    TransientFailure,
}

/// What a poll found that does not end the wait (for [`Waiter::next_pending`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// A status that is not final.
    Status,
    /// The poll was throttled (after the call's own retries).
    Throttled {
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// The poll failed transiently (after the call's own retries).
    TransientFailure,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStep<S = JobStatus> {
    /// The resource is stopped (v1 KILLED or CANCELED, v2 Terminated): the wait succeeded.
    Stopped(S),
    /// The resource reached another final state (v1 COMPLETED, FAILED, LOST, …; v2 Completed,
    /// Failed, Abnormal): the wait ends there.
    OtherFinalState(S),
    /// PollResult again after this delay (already cut to the time left).
    Sleep(Duration),
    /// The time is up; the last status seen is the caller's to report.
    TimedOut,
}

/// The wait's state between polls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiter {
    options: WaitOptions,
    polls: u32,
}

impl Waiter {
    /// A new wait.
    pub fn new(options: WaitOptions) -> Self {
        Self { options, polls: 0 }
    }

    /// The options.
    pub fn options(&self) -> &WaitOptions {
        &self.options
    }

    /// Polls made so far.
    pub fn polls(&self) -> u32 {
        self.polls
    }

    /// Decides after a poll. `elapsed` is the time since the wait began; `jitter` is in `[0, 1]`.
    ///
    /// Delays grow from `min_delay` towards `max_delay`: poll *n* sleeps a random time in
    /// `[min, min(max, min·2^(n−1))]`. Throttling doubles the ceiling and honours `Retry-After`, but
    /// never ends the wait. A sleep never goes past the deadline; once it is reached, the wait times out.
    ///
    /// The status's [`StatusClass`] decides: stopped ends the wait with success, ended otherwise
    /// ends it without; stopping and stoppable (an unknown status among them) keep polling.
    pub fn next<S: StopStatus>(
        &mut self,
        poll: &PollResult<S>,
        elapsed: Duration,
        jitter: f64,
    ) -> WaitStep<S> {
        let pending = match poll {
            PollResult::Status(status) => match status.stop_class() {
                StatusClass::Stopped => {
                    self.polls = self.polls.saturating_add(1);
                    return WaitStep::Stopped(*status);
                }
                StatusClass::EndedOtherwise => {
                    self.polls = self.polls.saturating_add(1);
                    return WaitStep::OtherFinalState(*status);
                }
                StatusClass::Stopping | StatusClass::Stoppable => Pending::Status,
            },
            PollResult::Throttled { retry_after } => Pending::Throttled { retry_after: *retry_after },
            PollResult::TransientFailure => Pending::TransientFailure,
        };
        self.next_pending(pending, elapsed, jitter)
    }

    /// Decides after a poll that did not find a final status (of any resource kind: the caller
    /// has classified the status itself): sleep, or the time is up. Never returns
    /// [`WaitStep::Stopped`] or [`WaitStep::OtherFinalState`].
    pub fn next_pending<S>(&mut self, poll: Pending, elapsed: Duration, jitter: f64) -> WaitStep<S> {
        self.polls = self.polls.saturating_add(1);
        let Some(left) = self.options.max_wait.checked_sub(elapsed).filter(|d| !d.is_zero()) else {
            return WaitStep::TimedOut;
        };
        let min = self.options.min_delay;
        let max = self.options.max_delay.max(min);
        let exponent = (self.polls - 1).min(30);
        let ceiling = min.saturating_mul(1u32 << exponent).min(max);
        let jitter = jitter.clamp(0.0, 1.0);
        let delay = match poll {
            Pending::Throttled { retry_after } => {
                let ceiling = ceiling.saturating_mul(2).min(max.saturating_mul(2));
                let computed = min + (ceiling - min).mul_f64(jitter);
                computed.max(retry_after.unwrap_or_default())
            }
            _ => min + (ceiling - min).mul_f64(jitter),
        };
        WaitStep::Sleep(delay.min(left))
    }
}

/// How a [`WaitMachine`] ended. `D` is what a status read returns (a v1 version, a v2 job).
#[derive(Debug)]
#[non_exhaustive]
pub enum Waited<D, E> {
    /// Stopped as asked: the read that showed it.
    Stopped(D),
    /// Ended in another final state: the read that showed it.
    EndedOtherwise(D),
    /// The time was up.
    TimedOut {
        /// The last read, if any succeeded.
        last: Option<D>,
        /// The time waited.
        waited: Duration,
    },
    /// A read failed for a reason waiting does not ride out (not throttling, not a server or
    /// network failure).
    Failed(CallError<E>),
}

/// The waiter on the one machine interface: polls a [`Stoppable`] resource with its read
/// operation (a call of its own, with its retries) until its status is final or the time is up;
/// throttled and transient poll failures lengthen the delay but never end the wait. The first poll
/// is at once; the time is measured from the first step's [`Input::monotonic`].
pub struct WaitMachine<R: Stoppable, E> {
    resource: R,
    policy: RetryPolicy,
    waiter: Waiter,
    started: Option<Duration>,
    read: Option<CallMachine<R::Read, E>>,
    last: Option<<R::Read as Operation>::Output>,
    reads: u32,
}

impl<R: Stoppable, E> WaitMachine<R, E> {
    /// A wait for `resource`, its reads under `policy`.
    pub fn new(resource: R, policy: RetryPolicy, options: WaitOptions) -> Self {
        Self {
            resource,
            policy,
            waiter: Waiter::new(options),
            started: None,
            read: None,
            last: None,
            reads: 0,
        }
    }

    /// Successful reads so far (a driver may report each new one, [`last_read`](Self::last_read)).
    pub fn reads(&self) -> u32 {
        self.reads
    }

    /// The last successful read.
    pub fn last_read(&self) -> Option<&<R::Read as Operation>::Output> {
        self.last.as_ref()
    }
}

impl<R: Stoppable, E> std::fmt::Debug for WaitMachine<R, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitMachine")
            .field("waiter", &self.waiter)
            .field("reads", &self.reads)
            .finish_non_exhaustive()
    }
}

/// What a failed poll means for a wait: throttled or transient (go on), or `None` (end it).
fn poll_failure<S, E>(error: &CallError<E>, failure: Option<TransportFailure>) -> Option<PollResult<S>> {
    match &error.error {
        AttemptError::Api { error, retry_after } if error.is_throttling() => {
            Some(PollResult::Throttled { retry_after: *retry_after })
        }
        AttemptError::Api { error, .. } if error.class() == ErrorClass::Server => {
            Some(PollResult::TransientFailure)
        }
        AttemptError::Response(ResponseError::Api(e)) if e.is_throttling() => {
            Some(PollResult::Throttled { retry_after: None })
        }
        AttemptError::Response(ResponseError::Api(e)) if e.is_server_error() => {
            Some(PollResult::TransientFailure)
        }
        AttemptError::Transport(_) => {
            let f = failure.unwrap_or_default();
            (!f.tls_rejected && !f.proxy_auth_rejected && !f.oversized)
                .then_some(PollResult::TransientFailure)
        }
        _ => None,
    }
}

impl<R: Stoppable, E> Machine for WaitMachine<R, E> {
    type Output = Waited<<R::Read as Operation>::Output, E>;
    type Error = E;

    fn step(&mut self, input: &mut Input<'_>) -> Step<Self::Output> {
        let started = *self.started.get_or_insert(input.monotonic);
        let read =
            self.read.get_or_insert_with(|| CallMachine::new(self.resource.read_operation(), self.policy));
        let end = match read.step(input) {
            Step::Send(request) => return Step::Send(request),
            Step::Sleep(delay) => return Step::Sleep(delay),
            Step::Done(end) => end,
        };
        let failure = read.last_failure();
        self.read = None;
        let poll = match end {
            CallEnd::Done(output) => {
                let status = R::status_of(&output);
                self.last = Some(output);
                self.reads = self.reads.saturating_add(1);
                PollResult::Status(status)
            }
            CallEnd::CheckState(e) | CallEnd::GaveUp(e) => match poll_failure(&e, failure) {
                Some(poll) => poll,
                None => return Step::Done(Waited::Failed(e)),
            },
        };
        let elapsed = input.monotonic.saturating_sub(started);
        match (self.waiter.next(&poll, elapsed, input.jitter), self.last.take()) {
            (WaitStep::Sleep(delay), last) => {
                self.last = last;
                Step::Sleep(delay)
            }
            (WaitStep::TimedOut, last) => Step::Done(Waited::TimedOut { last, waited: elapsed }),
            (WaitStep::Stopped(_), Some(read)) => Step::Done(Waited::Stopped(read)),
            (WaitStep::OtherFinalState(_), Some(read)) => Step::Done(Waited::EndedOtherwise(read)),
            // Both only follow a status read, which `last` holds.
            (_, None) => Step::Sleep(self.waiter.options().min_delay),
        }
    }

    fn on_response(&mut self, response: http::Response<Bytes>, received_at: SystemTime) {
        if let Some(read) = &mut self.read {
            read.on_response(response, received_at);
        }
    }

    fn on_transport_failure(&mut self, failure: TransportFailure, error: E) {
        if let Some(read) = &mut self.read {
            read.on_transport_failure(failure, error);
        }
    }

    fn measured_skew(&self) -> Option<ClockSkew> {
        self.read.as_ref().and_then(Machine::measured_skew)
    }

    fn attempt(&self) -> Option<Attempt> {
        self.read.as_ref().and_then(Machine::attempt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn final_states_end_the_wait() {
        let cases = [
            (JobStatus::Killed, WaitStep::Stopped(JobStatus::Killed)),
            (JobStatus::Canceled, WaitStep::Stopped(JobStatus::Canceled)),
            (JobStatus::Completed, WaitStep::OtherFinalState(JobStatus::Completed)),
            (JobStatus::Failed, WaitStep::OtherFinalState(JobStatus::Failed)),
            (JobStatus::Lost, WaitStep::OtherFinalState(JobStatus::Lost)),
            (JobStatus::ImageFailed, WaitStep::OtherFinalState(JobStatus::ImageFailed)),
        ];
        for (status, expected) in cases {
            assert_eq!(
                Waiter::new(WaitOptions::default()).next(&PollResult::Status(status), secs(0), 0.5),
                expected
            );
        }
        // Final states win even past the deadline.
        assert_eq!(
            Waiter::new(WaitOptions::default()).next(
                &PollResult::Status(JobStatus::Killed),
                secs(99_999),
                0.5
            ),
            WaitStep::Stopped(JobStatus::Killed)
        );
    }

    #[test]
    fn transitional_states_keep_polling_with_growing_delays() {
        let mut w = Waiter::new(WaitOptions::default());
        let delays: Vec<WaitStep> = [
            JobStatus::Running,
            JobStatus::Killing,
            JobStatus::Killing,
            JobStatus::Waiting,
            JobStatus::Unknown(77),
            JobStatus::Killing,
        ]
        .iter()
        .map(|s| w.next(&PollResult::Status(*s), secs(1), 1.0))
        .collect();
        let expected = [2, 4, 8, 16, 30, 30].map(|s| WaitStep::Sleep(secs(s)));
        assert_eq!(delays, expected);
        // Jitter 0 always gives the minimum.
        assert_eq!(w.next(&PollResult::Status(JobStatus::Killing), secs(1), 0.0), WaitStep::Sleep(secs(2)));
    }

    #[test]
    fn sleep_is_cut_to_the_deadline_then_times_out() {
        let options = WaitOptions { max_wait: secs(10), min_delay: secs(4), max_delay: secs(8) };
        let mut w = Waiter::new(options);
        assert_eq!(w.next(&PollResult::Status(JobStatus::Killing), secs(0), 1.0), WaitStep::Sleep(secs(4)));
        assert_eq!(w.next(&PollResult::Status(JobStatus::Killing), secs(4), 1.0), WaitStep::Sleep(secs(6)));
        assert_eq!(w.next(&PollResult::Status(JobStatus::Killing), secs(10), 1.0), WaitStep::TimedOut);
        assert_eq!(w.polls(), 3);
    }

    #[test]
    fn throttling_lengthens_but_never_aborts() {
        let mut w = Waiter::new(WaitOptions::default());
        assert_eq!(
            w.next(&PollResult::<JobStatus>::Throttled { retry_after: None }, secs(0), 1.0),
            WaitStep::Sleep(secs(4))
        );
        assert_eq!(
            w.next(&PollResult::<JobStatus>::Throttled { retry_after: Some(secs(45)) }, secs(5), 0.0),
            WaitStep::Sleep(secs(45))
        );
        assert_eq!(
            w.next(&PollResult::<JobStatus>::TransientFailure, secs(50), 0.0),
            WaitStep::Sleep(secs(2))
        );
    }
}
