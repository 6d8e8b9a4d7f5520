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

use std::time::Duration;

use crate::machine::stop::{StatusClass, StopStatus};
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
