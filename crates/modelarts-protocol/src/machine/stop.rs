//! The safe stop and the outcome classifier, for any stoppable resource.
//!
//! A stop is not idempotent, and its refusals are not reliable evidence: the documented conflict
//! code (`ModelArts.0105`) is only a sample. So [`SafeStop`] decides from the status it reads:
//!
//! - the stop is sent through a [`Call`] (retries, quota, re-sign);
//! - after an ambiguous failure (the stop may have taken effect) **or any refusal that is not about
//!   authentication or throttling**, the status is read, and the outcome follows from it: stopping
//!   or stopped confirms the stop, another final state ends it, a stoppable status sends the stop
//!   again (after an ambiguous failure, while attempts last) or makes the refusal stand;
//! - a status that was not read is never assumed.
//!
//! [`Outcome`] then classifies a target once and for all (single stop and batch alike), from the
//! stop's result and, when a wait was needed, the wait's end.
//!
//! A resource plugs in with [`Stoppable`] (its stop and status-read operations) and its status type
//! with [`StopStatus`]. The v1 training-job version does so here; the v2 job in
//! [`v2::stop`](crate::v2::stop) (its phase as a [`PhaseStatus`](crate::v2::PhaseStatus)); a batch of both
//! carries a [`TargetStatus`](crate::target::TargetStatus).

use std::time::Duration;

use crate::ids::ProjectId;
use crate::machine::call::{Call, CallError, CallStep, GiveUpReason, RetryQuota};
use crate::machine::retry::RetryPolicy;
use crate::operations::Operation;
use crate::operations::show_training_job_version::ShowTrainingJobVersion;
use crate::operations::stop_training_job::StopTrainingJob;
use crate::v1::model::VersionDetail;
use crate::v1::status::JobStatus;
use crate::{JobId, VersionId};

/// What a status means for a stop: the one classification of both APIs (v1 `JobStatus`, v2
/// `Phase`; `v2::StopClass` is this type). A status not known to be anything else (a v1 code or a
/// v2 phase this client does not know, a v2 answer without a phase) is [`Stoppable`](Self::Stoppable):
/// a stop is never assumed done, and a wait reads again.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusClass {
    /// Not stopping, not final: a stop is needed (running, pending, or a status not known to be
    /// anything else).
    Stoppable,
    /// A stop has taken effect and is in progress (v1 KILLING, v2 Terminating).
    Stopping,
    /// Stopped as a stop asks (v1 KILLED, CANCELED; v2 Terminated).
    Stopped,
    /// Ended in another final state (v1 COMPLETED, FAILED, LOST, …; v2 Completed, Failed, Abnormal).
    EndedOtherwise,
}

/// A status a stop can be decided from.
pub trait StopStatus: Copy + std::fmt::Debug + PartialEq {
    /// What the status means for a stop.
    fn stop_class(self) -> StatusClass;

    /// Whether a stop can still be sent for it (neither stopping nor final): a job found so after a
    /// stop was accepted has not started stopping yet.
    fn is_stoppable_now(self) -> bool {
        self.stop_class() == StatusClass::Stoppable
    }
}

impl StopStatus for JobStatus {
    fn stop_class(self) -> StatusClass {
        if self.is_stopped() {
            StatusClass::Stopped
        } else if self.is_terminal() {
            StatusClass::EndedOtherwise
        } else if self == JobStatus::Killing {
            StatusClass::Stopping
        } else {
            StatusClass::Stoppable
        }
    }
}

/// A resource that can be stopped: its stop operation, its status-read operation, and how to find
/// the status in what the read returns.
pub trait Stoppable {
    /// The resource's status.
    type Status: StopStatus;
    /// The stop request.
    type Stop: Operation;
    /// The status read.
    type Read: Operation;
    /// The stop operation for this resource.
    fn stop_operation(&self) -> Self::Stop;
    /// The status-read operation for this resource.
    fn read_operation(&self) -> Self::Read;
    /// The status in a read's output.
    fn status_of(read: &<Self::Read as Operation>::Output) -> Self::Status;
}

/// A v1 training-job version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingJobVersion {
    /// The project.
    pub project_id: ProjectId,
    /// The job.
    pub job_id: JobId,
    /// The version.
    pub version_id: VersionId,
}

impl Stoppable for TrainingJobVersion {
    type Status = JobStatus;
    type Stop = StopTrainingJob;
    type Read = ShowTrainingJobVersion;

    fn stop_operation(&self) -> StopTrainingJob {
        StopTrainingJob::new(self.project_id.clone(), self.job_id, self.version_id)
    }

    fn read_operation(&self) -> ShowTrainingJobVersion {
        ShowTrainingJobVersion::new(self.project_id.clone(), self.job_id, self.version_id)
    }

    fn status_of(read: &VersionDetail) -> JobStatus {
        read.status
    }
}

/// How a stop ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StopOutcome<S = JobStatus> {
    /// The service accepted the stop. No status was read.
    Accepted,
    /// The service refused the stop, and the status read shows a stop already in progress.
    AlreadyStopping(S),
    /// The service refused the stop, and the status read shows the resource already stopped.
    AlreadyFinal(S),
    /// The stop's answer was lost or garbled, and the status read shows it took effect (stopping
    /// or stopped).
    ConfirmedByStatus(S),
    /// The status read shows the resource ended in another final state: nothing left to stop.
    EndedOtherwise(S),
}

impl<S: StopStatus> StopOutcome<S> {
    /// The status read, if one was (`None` for [`Accepted`](Self::Accepted)).
    pub fn status(self) -> Option<S> {
        match self {
            StopOutcome::Accepted => None,
            StopOutcome::AlreadyStopping(s)
            | StopOutcome::AlreadyFinal(s)
            | StopOutcome::ConfirmedByStatus(s)
            | StopOutcome::EndedOtherwise(s) => Some(s),
        }
    }

    /// Whether this stop request is what started the stop (accepted, or confirmed after an
    /// ambiguous failure), rather than finding it already done.
    pub fn is_new_stop(self) -> bool {
        matches!(self, StopOutcome::Accepted | StopOutcome::ConfirmedByStatus(_))
    }

    /// Whether the resource was already stopping or stopped before this stop.
    pub fn was_already_done(self) -> bool {
        matches!(self, StopOutcome::AlreadyStopping(_) | StopOutcome::AlreadyFinal(_))
    }

    /// Whether the resource is known to have ended in a final state other than stopped.
    pub fn ended_otherwise(self) -> bool {
        matches!(self, StopOutcome::EndedOtherwise(_))
    }

    /// Whether a wait for the final status still has something to see: false when the status read
    /// already is final.
    pub fn needs_wait(self) -> bool {
        self.status()
            .is_none_or(|s| !matches!(s.stop_class(), StatusClass::Stopped | StatusClass::EndedOtherwise))
    }

    /// The same outcome with its status converted (e.g. into a
    /// [`TargetStatus`](crate::target::TargetStatus) for a batch of both APIs).
    pub fn map<U>(self, f: impl FnOnce(S) -> U) -> StopOutcome<U> {
        match self {
            StopOutcome::Accepted => StopOutcome::Accepted,
            StopOutcome::AlreadyStopping(s) => StopOutcome::AlreadyStopping(f(s)),
            StopOutcome::AlreadyFinal(s) => StopOutcome::AlreadyFinal(f(s)),
            StopOutcome::ConfirmedByStatus(s) => StopOutcome::ConfirmedByStatus(f(s)),
            StopOutcome::EndedOtherwise(s) => StopOutcome::EndedOtherwise(f(s)),
        }
    }

    /// A short snake_case name (`accepted`, `already_stopping`, `already_final`,
    /// `confirmed_by_status`, `ended_otherwise`).
    pub fn name(self) -> &'static str {
        match self {
            StopOutcome::Accepted => "accepted",
            StopOutcome::AlreadyStopping(_) => "already_stopping",
            StopOutcome::AlreadyFinal(_) => "already_final",
            StopOutcome::ConfirmedByStatus(_) => "confirmed_by_status",
            StopOutcome::EndedOtherwise(_) => "ended_otherwise",
        }
    }
}

impl<S: std::fmt::Display> std::fmt::Display for StopOutcome<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopOutcome::Accepted => f.write_str("stop accepted"),
            StopOutcome::AlreadyStopping(s) => write!(f, "already stopping ({s})"),
            StopOutcome::AlreadyFinal(s) => write!(f, "already final ({s})"),
            StopOutcome::ConfirmedByStatus(s) => write!(f, "stop confirmed by status ({s})"),
            StopOutcome::EndedOtherwise(s) => write!(f, "already ended otherwise ({s})"),
        }
    }
}

/// A stop that failed.
#[derive(Debug)]
pub struct StopFailure<S, E> {
    /// The failure to report: the stop's, or the status read's when that read is the definite
    /// answer (the resource does not exist).
    pub error: CallError<E>,
    /// The status read, if one was (a stoppable status under a refusal, or after the attempts
    /// ran out); `None` when none was read.
    pub status: Option<S>,
    /// Whether the resource does not exist: said by the status read, or by a stop refused in
    /// strict mode (when no status is read).
    pub not_found: bool,
    /// Whether a stop may have reached the service and taken effect unseen: an ambiguous failure
    /// whose status read failed, or showed the resource still stoppable after every attempt.
    /// False when every stop was refused or never reached the service.
    pub may_have_been_sent: bool,
}

/// Options of a stop.
///
/// New fields may be added: start from [`StopOptions::default()`] and change what you need with the
/// `with_*` setters.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StopOptions {
    /// A refused stop is a failure as the service said it: no status is read to interpret it.
    pub strict: bool,
}

impl StopOptions {
    /// Sets [`strict`](Self::strict).
    #[must_use]
    pub fn with_strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }
}

/// What the driver of a [`SafeStop`] does next.
///
/// Exhaustive on purpose: a driver must handle every step, so a new step is a breaking change by
/// design.
#[derive(Debug)]
pub enum StopAction<S, E> {
    /// Run the stop operation through [`SafeStop::call_mut`] and feed its end to
    /// [`SafeStop::on_stop`].
    SendStop,
    /// Read the status (a call of its own) and feed it to [`SafeStop::on_status`].
    ReadStatus,
    /// Sleep, then send the stop again.
    Sleep(Duration),
    /// The stop is over.
    Finish(Result<StopOutcome<S>, StopFailure<S, E>>),
}

/// How a call ended, as a [`SafeStop`] takes it.
///
/// Exhaustive on purpose, as [`CallStep`]: these are its ends, and a driver must handle every one.
#[derive(Debug)]
pub enum CallEnd<T, E> {
    /// It succeeded.
    Done(T),
    /// [`CallStep::CheckState`].
    CheckState(CallError<E>),
    /// [`CallStep::GiveUp`].
    GaveUp(CallError<E>),
}

impl<T, E> CallEnd<T, E> {
    /// The end a call step stands for, or `None` while the call goes on (retry, re-sign).
    pub fn of_step(step: CallStep<T, E>) -> Result<Self, CallStep<T, E>> {
        match step {
            CallStep::Done(t) => Ok(CallEnd::Done(t)),
            CallStep::CheckState(e) => Ok(CallEnd::CheckState(e)),
            CallStep::GiveUp(e) => Ok(CallEnd::GaveUp(e)),
            other => Err(other),
        }
    }
}

#[derive(Debug)]
enum Why {
    Ambiguous,
    Refused,
}

/// The safe stop of one resource.
#[derive(Debug)]
pub struct SafeStop<S, E> {
    call: Call,
    options: StopOptions,
    pending: Option<(Why, CallError<E>)>,
    _status: std::marker::PhantomData<S>,
}

impl<S: StopStatus, E> SafeStop<S, E> {
    /// A stop under `policy`. Start with [`StopAction::SendStop`].
    pub fn new(policy: RetryPolicy, options: StopOptions) -> Self {
        Self { call: Call::new(policy, false), options, pending: None, _status: std::marker::PhantomData }
    }

    /// The stop's options.
    pub fn options(&self) -> StopOptions {
        self.options
    }

    /// The stop's call (its attempts so far).
    pub fn call(&self) -> &Call {
        &self.call
    }

    /// The stop's call, for the driver to run its attempts (it lasts across re-sends, so attempts
    /// count over the whole stop).
    pub fn call_mut(&mut self) -> &mut Call {
        &mut self.call
    }

    /// Feeds the end of the stop call.
    pub fn on_stop<T>(&mut self, end: CallEnd<T, E>) -> StopAction<S, E> {
        match end {
            CallEnd::Done(_) => StopAction::Finish(Ok(StopOutcome::Accepted)),
            CallEnd::CheckState(error) => {
                self.pending = Some((Why::Ambiguous, error));
                StopAction::ReadStatus
            }
            CallEnd::GaveUp(error) if error.is_refusal() && !self.options.strict => {
                self.pending = Some((Why::Refused, error));
                StopAction::ReadStatus
            }
            CallEnd::GaveUp(error) => {
                let not_found = error.is_not_found();
                StopAction::Finish(Err(StopFailure {
                    error,
                    status: None,
                    not_found,
                    may_have_been_sent: false,
                }))
            }
        }
    }

    /// Feeds the status read (its own call's result). `jitter` is in `[0, 1)`.
    pub fn on_status(
        &mut self,
        read: Result<S, CallError<E>>,
        quota: &mut dyn RetryQuota,
        jitter: f64,
    ) -> StopAction<S, E> {
        let Some((why, stop_error)) = self.pending.take() else {
            // Fed without a pending check: a driver bug; nothing was decided from a status.
            return StopAction::SendStop;
        };
        let sent = matches!(why, Why::Ambiguous);
        let fail = |error, status, not_found| {
            StopAction::Finish(Err(StopFailure { error, status, not_found, may_have_been_sent: sent }))
        };
        let status = match read {
            Ok(status) => status,
            Err(read_error) if read_error.is_not_found() => {
                // The resource does not exist: that answer is definite.
                return match why {
                    Why::Ambiguous => fail(read_error, None, true),
                    Why::Refused => fail(stop_error, None, true),
                };
            }
            // The state is unknown: the stop is not sent again, its own error is reported.
            Err(_) => return fail(stop_error, None, false),
        };
        match (why, status.stop_class()) {
            (_, StatusClass::EndedOtherwise) => StopAction::Finish(Ok(StopOutcome::EndedOtherwise(status))),
            (Why::Ambiguous, StatusClass::Stopping | StatusClass::Stopped) => {
                StopAction::Finish(Ok(StopOutcome::ConfirmedByStatus(status)))
            }
            (Why::Refused, StatusClass::Stopping) => {
                StopAction::Finish(Ok(StopOutcome::AlreadyStopping(status)))
            }
            (Why::Refused, StatusClass::Stopped) => StopAction::Finish(Ok(StopOutcome::AlreadyFinal(status))),
            // Still stoppable: the refusal stands.
            (Why::Refused, StatusClass::Stoppable) => fail(stop_error, Some(status), false),
            // The stop did not take effect: send it again, if attempts and quota allow.
            (Why::Ambiguous, StatusClass::Stoppable) => match self.call.resume_after_check(quota, jitter) {
                Ok(delay) => StopAction::Sleep(delay),
                Err(reason) => {
                    let mut error = stop_error;
                    if reason != GiveUpReason::NotRetryable {
                        error.reason = reason;
                    }
                    fail(error, Some(status), false)
                }
            },
        }
    }
}

/// How a wait for the final status ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WaitEnd<S> {
    /// Stopped as asked.
    Stopped(S),
    /// Ended in another final state.
    EndedOtherwise(S),
    /// The time was up; the last status read, if any.
    TimedOut(Option<S>),
    /// A status read failed for a reason waiting does not ride out.
    Failed {
        /// The resource does not exist.
        not_found: bool,
    },
}

impl<S> WaitEnd<S> {
    /// The same end with its status mapped (e.g. into a status of either API).
    pub fn map<T>(self, f: impl FnOnce(S) -> T) -> WaitEnd<T> {
        match self {
            Self::Stopped(s) => WaitEnd::Stopped(f(s)),
            Self::EndedOtherwise(s) => WaitEnd::EndedOtherwise(f(s)),
            Self::TimedOut(s) => WaitEnd::TimedOut(s.map(f)),
            Self::Failed { not_found } => WaitEnd::Failed { not_found },
        }
    }
}

/// The one definite outcome of a stop target (a single stop, a wait, or one line of a batch): what
/// was seen, never more. Its [`name`](Self::name) is the `outcome` vocabulary of the CLI's table
/// (`docs/cli.md`), the same for v1 and v2.
///
/// `Stopped` needs a stopped status read (v1 KILLED or CANCELED, v2 Terminated): a stop that was
/// accepted, with KILLING/Terminating or nothing read since, is [`StopRequested`](Self::StopRequested).
/// `wait_gave_up` marks a wait that ended before a final status (its time was up, or it was
/// interrupted): the outcome is what was seen last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome<S = JobStatus> {
    /// A stopped status was read after this stop (or during a wait).
    Stopped(S),
    /// The stop was accepted (or confirmed after an ambiguous failure), and a stopping status or
    /// none was read.
    StopRequested {
        /// The last status read (stopping, or still stoppable when a wait gave up), if any.
        status: Option<S>,
        /// A wait ended before a final status.
        wait_gave_up: bool,
    },
    /// A stop was already in progress before this one (the stop was refused, and the status read
    /// shows it stopping; or `wait` found it stopping).
    AlreadyStopping {
        /// The stopping status read.
        status: S,
        /// A wait ended before a final status.
        wait_gave_up: bool,
    },
    /// It was already stopped before this stop (refused, and the status read shows it stopped).
    AlreadyStopped(S),
    /// It ended in another final state (v1 COMPLETED, FAILED, LOST, …; v2 Completed, Failed,
    /// Abnormal).
    EndedOtherwise(S),
    /// The resource does not exist.
    NotFound,
    /// The stop may have been sent, and no status could be read: the state is not known.
    Unknown,
    /// No stop took effect: the service refused it (and the status read, if any, shows the resource
    /// still stoppable), or it was not sent (skipped before sending; `wait` sends none).
    NotSent {
        /// The status read, if one was.
        status: Option<S>,
        /// A wait ended before a final status.
        wait_gave_up: bool,
    },
    /// The stop may have been sent and the status read shows no effect after every attempt, or a
    /// wait alone failed: the outcome is an error.
    Failed,
}

impl<S: StopStatus> Outcome<S> {
    /// Every name, in the order of the CLI's table.
    pub const NAMES: &'static [&'static str] = &[
        "stopped",
        "stop_requested",
        "already_stopping",
        "already_stopped",
        "ended_otherwise",
        "not_found",
        "unknown",
        "not_sent",
        "failed",
    ];

    /// The outcome of a stop that failed: not found; not sent (refused or never sent); unknown (it
    /// may have been sent, and no status was read); else failed.
    pub fn of_failure(not_found: bool, may_have_been_sent: bool, status: Option<S>) -> Self {
        if not_found {
            Outcome::NotFound
        } else if !may_have_been_sent {
            Outcome::NotSent { status, wait_gave_up: false }
        } else if status.is_none() {
            Outcome::Unknown
        } else {
            Outcome::Failed
        }
    }

    /// The outcome of a stop, when no wait follows (none asked, or [`StopOutcome::needs_wait`] is
    /// false).
    pub fn of_stop(stop: StopOutcome<S>) -> Self {
        match stop {
            StopOutcome::Accepted => Outcome::StopRequested { status: None, wait_gave_up: false },
            StopOutcome::ConfirmedByStatus(s) => match s.stop_class() {
                StatusClass::Stopped => Outcome::Stopped(s),
                StatusClass::EndedOtherwise => Outcome::EndedOtherwise(s),
                StatusClass::Stopping | StatusClass::Stoppable => {
                    Outcome::StopRequested { status: Some(s), wait_gave_up: false }
                }
            },
            StopOutcome::AlreadyStopping(s) => Outcome::AlreadyStopping { status: s, wait_gave_up: false },
            StopOutcome::AlreadyFinal(s) => Outcome::AlreadyStopped(s),
            StopOutcome::EndedOtherwise(s) => Outcome::EndedOtherwise(s),
        }
    }

    /// The outcome of a stop (`None`: a wait alone) followed by a wait.
    pub fn of_wait(stop: Option<StopOutcome<S>>, wait: WaitEnd<S>) -> Self {
        let already = stop.is_some_and(StopOutcome::was_already_done);
        match wait {
            WaitEnd::Stopped(s) if already => Outcome::AlreadyStopped(s),
            WaitEnd::Stopped(s) => Outcome::Stopped(s),
            WaitEnd::EndedOtherwise(s) => Outcome::EndedOtherwise(s),
            WaitEnd::TimedOut(last) => Self::gave_up(stop, last),
            WaitEnd::Failed { not_found: true } => Outcome::NotFound,
            // The wait's read failed: what the stop itself established stands.
            WaitEnd::Failed { not_found: false } => match stop {
                Some(stop) => Self::of_stop(stop),
                None => Outcome::Failed,
            },
        }
    }

    /// A wait that ended before a final status (time up, or interrupted), `last` the last status
    /// read: what was seen, marked `wait_gave_up`.
    pub fn gave_up(stop: Option<StopOutcome<S>>, last: Option<S>) -> Self {
        let stopping = last.filter(|s| s.stop_class() == StatusClass::Stopping);
        match (stop, stopping) {
            (Some(stop), _) if stop.is_new_stop() => {
                Outcome::StopRequested { status: last, wait_gave_up: true }
            }
            (_, Some(status)) => Outcome::AlreadyStopping { status, wait_gave_up: true },
            _ => Outcome::NotSent { status: last, wait_gave_up: true },
        }
    }

    /// The short snake_case name: one of [`NAMES`](Self::NAMES).
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Stopped(_) => "stopped",
            Outcome::StopRequested { .. } => "stop_requested",
            Outcome::AlreadyStopping { .. } => "already_stopping",
            Outcome::AlreadyStopped(_) => "already_stopped",
            Outcome::EndedOtherwise(_) => "ended_otherwise",
            Outcome::NotFound => "not_found",
            Outcome::Unknown => "unknown",
            Outcome::NotSent { .. } => "not_sent",
            Outcome::Failed => "failed",
        }
    }

    /// Whether the target is stopped, or stopping as asked, and no wait gave up on it.
    pub fn is_success(self) -> bool {
        match self {
            Outcome::Stopped(_) | Outcome::AlreadyStopped(_) => true,
            Outcome::StopRequested { wait_gave_up, .. } | Outcome::AlreadyStopping { wait_gave_up, .. } => {
                !wait_gave_up
            }
            _ => false,
        }
    }

    /// Whether a wait ended before a final status.
    pub fn wait_gave_up(self) -> bool {
        matches!(
            self,
            Outcome::StopRequested { wait_gave_up: true, .. }
                | Outcome::AlreadyStopping { wait_gave_up: true, .. }
                | Outcome::NotSent { wait_gave_up: true, .. }
        )
    }

    /// The status read, if any (never assumed).
    pub fn status(self) -> Option<S> {
        match self {
            Outcome::StopRequested { status, .. } | Outcome::NotSent { status, .. } => status,
            Outcome::Stopped(s)
            | Outcome::AlreadyStopped(s)
            | Outcome::EndedOtherwise(s)
            | Outcome::AlreadyStopping { status: s, .. } => Some(s),
            Outcome::NotFound | Outcome::Unknown | Outcome::Failed => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use crate::machine::call::{AttemptError, Unlimited};
    use crate::machine::retry::RetryTokenBucket;

    type Stop = SafeStop<JobStatus, &'static str>;
    type Action = StopAction<JobStatus, &'static str>;

    fn api(status: u16, code: &str) -> CallError<&'static str> {
        CallError {
            error: AttemptError::Api {
                error: ApiError {
                    http_status: status,
                    code: Some(code.to_owned()),
                    message: None,
                    request_id: None,
                },
                retry_after: None,
            },
            attempts: 1,
            reason: GiveUpReason::NotRetryable,
        }
    }

    fn reset() -> CallError<&'static str> {
        CallError { error: AttemptError::Transport("reset"), attempts: 1, reason: GiveUpReason::NotRetryable }
    }

    /// What the driver is told, in short.
    fn show(action: &Action) -> String {
        match action {
            StopAction::SendStop => "send".into(),
            StopAction::ReadStatus => "read".into(),
            StopAction::Sleep(d) => format!("sleep {}ms", d.as_millis()),
            StopAction::Finish(Ok(o)) => format!("ok {}", Outcome::of_stop(*o).name()) + &format!(" {o:?}"),
            StopAction::Finish(Err(f)) => format!(
                "err {} status={:?} not_found={} attempts={}",
                f.error.error.api_error().and_then(|e| e.code.clone()).unwrap_or_else(|| "transport".into()),
                f.status,
                f.not_found,
                f.error.attempts
            ),
        }
    }

    /// One scripted stop: the stop call's end, then (if asked) the read's result.
    fn once(
        stop: CallEnd<(), &'static str>,
        read: Option<Result<JobStatus, CallError<&'static str>>>,
        strict: bool,
    ) -> Vec<String> {
        let mut s = Stop::new(RetryPolicy::default(), StopOptions { strict });
        s.call_mut().start_attempt(std::time::SystemTime::UNIX_EPOCH, None);
        let mut out = vec![];
        let a = s.on_stop(stop);
        out.push(show(&a));
        if let (StopAction::ReadStatus, Some(read)) = (&a, read) {
            out.push(show(&s.on_status(read, &mut Unlimited, 1.0)));
        }
        out
    }

    #[test]
    fn refusals_are_decided_by_the_status_read_not_the_code() {
        use JobStatus::*;
        let cases: Vec<(CallError<&'static str>, JobStatus, &str)> = vec![
            (api(400, "ModelArts.0105"), Killed, "ok already_stopped AlreadyFinal(Killed)"),
            (api(409, "ModelArts.2796"), Killing, "ok already_stopping AlreadyStopping(Killing)"),
            // Any refusal code, even one never documented for a stop.
            (api(400, "ModelArts.9999"), Canceled, "ok already_stopped AlreadyFinal(Canceled)"),
            (api(403, "APIG.0302"), Killing, "ok already_stopping AlreadyStopping(Killing)"),
            (api(409, "ModelArts.2878"), Completed, "ok ended_otherwise EndedOtherwise(Completed)"),
            // The version still runs: the refusal stands.
            (
                api(400, "ModelArts.0105"),
                Running,
                "err ModelArts.0105 status=Some(Running) not_found=false attempts=1",
            ),
        ];
        for (error, status, expected) in cases {
            let got = once(CallEnd::GaveUp(error), Some(Ok(status)), false);
            assert_eq!(got, ["read", expected]);
        }
    }

    #[test]
    fn auth_throttling_and_strict_refusals_read_no_status() {
        for error in [api(401, "APIG.0301"), api(429, "APIG.0308"), api(503, "APIG.0201")] {
            let got = once(CallEnd::GaveUp(error), None, false);
            assert_eq!(got.len(), 1);
            assert!(got[0].starts_with("err APIG.0") && got[0].contains("status=None"), "{got:?}");
        }
        let got = once(CallEnd::GaveUp(api(400, "ModelArts.0105")), None, true);
        assert_eq!(got, ["err ModelArts.0105 status=None not_found=false attempts=1"]);
        let got = once(CallEnd::GaveUp(api(400, "ModelArts.2775")), None, true);
        assert_eq!(got, ["err ModelArts.2775 status=None not_found=true attempts=1"]);
        // Transport failures that never reached the server and gave up: no read either.
        assert_eq!(
            once(CallEnd::GaveUp(reset()), None, false),
            ["err transport status=None not_found=false attempts=1"]
        );
    }

    #[test]
    fn a_failed_stop_says_whether_it_may_have_been_sent() {
        let failed = |stop: CallEnd<(), &'static str>,
                      read: Option<Result<JobStatus, CallError<&'static str>>>| {
            let mut s = Stop::new(RetryPolicy::default(), StopOptions::default());
            s.call_mut().start_attempt(std::time::SystemTime::UNIX_EPOCH, None);
            let mut action = s.on_stop(stop);
            if let (StopAction::ReadStatus, Some(read)) = (&action, read) {
                action = s.on_status(read, &mut Unlimited, 0.0);
            }
            match action {
                StopAction::Finish(Err(f)) => {
                    Outcome::of_failure(f.not_found, f.may_have_been_sent, f.status)
                }
                other => panic!("not a failure: {other:?}"),
            }
        };
        // Refused (the read shows it still running), or refused for authentication: not sent.
        assert_eq!(
            failed(CallEnd::GaveUp(api(400, "ModelArts.0105")), Some(Ok(JobStatus::Running))).name(),
            "not_sent"
        );
        assert_eq!(failed(CallEnd::GaveUp(api(401, "APIG.0301")), None).name(), "not_sent");
        // Ambiguous, and the status could not be read: unknown, never stopped.
        assert_eq!(failed(CallEnd::CheckState(reset()), Some(Err(api(503, "APIG.0201")))).name(), "unknown");
        assert_eq!(
            failed(CallEnd::CheckState(reset()), Some(Err(api(404, "ModelArts.2775")))).name(),
            "not_found"
        );
    }

    #[test]
    fn not_found_comes_from_the_status_read() {
        let got =
            once(CallEnd::GaveUp(api(400, "ModelArts.2775")), Some(Err(api(400, "ModelArts.2775"))), false);
        assert_eq!(got, ["read", "err ModelArts.2775 status=None not_found=true attempts=1"]);
        let got = once(CallEnd::CheckState(reset()), Some(Err(api(404, "ModelArts.2775"))), false);
        assert_eq!(got, ["read", "err ModelArts.2775 status=None not_found=true attempts=1"]);
        // A read that fails otherwise leaves the state unknown: the stop's error, status not read.
        let got = once(CallEnd::CheckState(reset()), Some(Err(api(503, "APIG.0201"))), false);
        assert_eq!(got, ["read", "err transport status=None not_found=false attempts=1"]);
        let got = once(CallEnd::GaveUp(api(400, "ModelArts.2775")), Some(Err(api(503, "APIG.0201"))), false);
        assert_eq!(got, ["read", "err ModelArts.2775 status=None not_found=false attempts=1"]);
    }

    #[test]
    fn an_ambiguous_stop_is_confirmed_or_sent_again() {
        assert_eq!(
            once(CallEnd::CheckState(reset()), Some(Ok(JobStatus::Killing)), false),
            ["read", "ok stop_requested ConfirmedByStatus(Killing)"]
        );
        assert_eq!(
            once(CallEnd::CheckState(reset()), Some(Ok(JobStatus::Killed)), false),
            ["read", "ok stopped ConfirmedByStatus(Killed)"]
        );
        assert_eq!(
            once(CallEnd::CheckState(reset()), Some(Ok(JobStatus::Failed)), false),
            ["read", "ok ended_otherwise EndedOtherwise(Failed)"]
        );
        assert_eq!(
            once(CallEnd::CheckState(reset()), Some(Ok(JobStatus::Running)), false),
            ["read", "sleep 100ms"]
        );
    }

    #[test]
    fn a_whole_stop_under_repeated_resets_gives_up_after_max_attempts() {
        let mut quota = RetryTokenBucket::default();
        let mut s = Stop::new(RetryPolicy::default(), StopOptions::default());
        let mut log = vec![];
        let mut action = StopAction::SendStop;
        for _ in 0..20 {
            action = match action {
                StopAction::SendStop => {
                    s.call_mut().start_attempt(std::time::SystemTime::UNIX_EPOCH, None);
                    let mut e = reset();
                    e.attempts = s.call_mut().attempts();
                    s.on_stop::<()>(CallEnd::CheckState(e))
                }
                StopAction::ReadStatus => s.on_status(Ok(JobStatus::Running), &mut quota, 1.0),
                StopAction::Sleep(_) => StopAction::SendStop,
                StopAction::Finish(_) => break,
            };
            log.push(show(&action));
        }
        assert_eq!(
            log,
            [
                "read",
                "sleep 100ms",
                "send",
                "read",
                "sleep 200ms",
                "send",
                "read",
                "err transport status=Some(Running) not_found=false attempts=3",
            ]
        );
    }

    #[test]
    fn the_outcome_classifier_never_assumes_a_status() {
        use JobStatus::*;
        let requested = |status| Outcome::StopRequested { status, wait_gave_up: false };
        let gave_up = |status| Outcome::StopRequested { status, wait_gave_up: true };
        let cases: Vec<(Option<StopOutcome>, Option<WaitEnd<JobStatus>>, Outcome)> = vec![
            // Accepted, nothing read: never `stopped`.
            (Some(StopOutcome::Accepted), None, requested(None)),
            (Some(StopOutcome::ConfirmedByStatus(Killing)), None, requested(Some(Killing))),
            (Some(StopOutcome::ConfirmedByStatus(Killed)), None, Outcome::Stopped(Killed)),
            (
                Some(StopOutcome::AlreadyStopping(Killing)),
                None,
                Outcome::AlreadyStopping { status: Killing, wait_gave_up: false },
            ),
            (Some(StopOutcome::AlreadyFinal(Killed)), None, Outcome::AlreadyStopped(Killed)),
            (Some(StopOutcome::EndedOtherwise(Failed)), None, Outcome::EndedOtherwise(Failed)),
            (Some(StopOutcome::Accepted), Some(WaitEnd::Stopped(Killed)), Outcome::Stopped(Killed)),
            (
                Some(StopOutcome::AlreadyStopping(Killing)),
                Some(WaitEnd::Stopped(Killed)),
                Outcome::AlreadyStopped(Killed),
            ),
            (
                Some(StopOutcome::Accepted),
                Some(WaitEnd::EndedOtherwise(Completed)),
                Outcome::EndedOtherwise(Completed),
            ),
            (Some(StopOutcome::Accepted), Some(WaitEnd::TimedOut(None)), gave_up(None)),
            (Some(StopOutcome::Accepted), Some(WaitEnd::TimedOut(Some(Killing))), gave_up(Some(Killing))),
            (
                Some(StopOutcome::AlreadyStopping(Killing)),
                Some(WaitEnd::TimedOut(Some(Killing))),
                Outcome::AlreadyStopping { status: Killing, wait_gave_up: true },
            ),
            (Some(StopOutcome::Accepted), Some(WaitEnd::Failed { not_found: true }), Outcome::NotFound),
            // The wait's read failed: the stop's own outcome stands.
            (Some(StopOutcome::Accepted), Some(WaitEnd::Failed { not_found: false }), requested(None)),
            (None, Some(WaitEnd::Stopped(Killed)), Outcome::Stopped(Killed)),
            (None, Some(WaitEnd::Failed { not_found: false }), Outcome::Failed),
            // `wait` alone: what was seen last when the time was up.
            (
                None,
                Some(WaitEnd::TimedOut(Some(Killing))),
                Outcome::AlreadyStopping { status: Killing, wait_gave_up: true },
            ),
            (
                None,
                Some(WaitEnd::TimedOut(Some(Running))),
                Outcome::NotSent { status: Some(Running), wait_gave_up: true },
            ),
        ];
        for (stop, wait, expected) in cases {
            let got = match (stop, wait) {
                (stop, Some(wait)) => Outcome::of_wait(stop, wait),
                (Some(stop), None) => Outcome::of_stop(stop),
                (None, None) => unreachable!(),
            };
            assert_eq!(got, expected, "{stop:?} {wait:?}");
            assert!(Outcome::<JobStatus>::NAMES.contains(&got.name()), "{got:?}");
            // `stopped` only with a stopped status read.
            if got.name() == "stopped" {
                assert!(got.status().is_some_and(|s| s.stop_class() == StatusClass::Stopped), "{got:?}");
            }
        }
        assert_eq!(Outcome::<JobStatus>::of_failure(true, true, None), Outcome::NotFound);
        assert_eq!(Outcome::<JobStatus>::of_failure(false, true, None), Outcome::Unknown);
        assert_eq!(Outcome::of_failure(false, true, Some(Running)), Outcome::Failed);
        assert_eq!(
            Outcome::of_failure(false, false, Some(Running)),
            Outcome::NotSent { status: Some(Running), wait_gave_up: false }
        );
        assert_eq!(Outcome::<JobStatus>::of_failure(false, false, None).status(), None);
        assert!(StopOutcome::<JobStatus>::Accepted.needs_wait());
        assert!(StopOutcome::ConfirmedByStatus(Killing).needs_wait());
        assert!(!StopOutcome::ConfirmedByStatus(Killed).needs_wait());
        assert!(!StopOutcome::AlreadyFinal(Canceled).needs_wait());
        assert!(!StopOutcome::EndedOtherwise(Lost).needs_wait());
    }

    #[test]
    fn v1_status_classes() {
        use JobStatus::*;
        for (status, class) in [
            (Running, StatusClass::Stoppable),
            (Waiting, StatusClass::Stoppable),
            (Unknown(77), StatusClass::Stoppable),
            (Killing, StatusClass::Stopping),
            (Killed, StatusClass::Stopped),
            (Canceled, StatusClass::Stopped),
            (Completed, StatusClass::EndedOtherwise),
            (Lost, StatusClass::EndedOtherwise),
        ] {
            assert_eq!(status.stop_class(), class, "{status:?}");
        }
    }
}
