//! The idempotent stop: a stop that finds the version already stopping or stopped is a success, and
//! after an ambiguous failure the status is read before the stop is sent again.

use modelarts_protocol::ids::{JobId, VersionId};
use modelarts_protocol::operations::stop_training_job::StopTrainingJob;
use modelarts_protocol::retry::RetryKind;
use modelarts_protocol::status::JobStatus;
use modelarts_transport::HttpSend;

use crate::client::Client;
use crate::error::Error;
use crate::execute::{Attempts, Failure};

/// A refusal because of the version's state: a conflict-class code (`ModelArts.0105`, `2796`,
/// `2878`) or any 409.
fn is_conflict(error: &Error) -> bool {
    error.api_error().is_some_and(|e| e.is_conflict() || e.http_status == 409)
}

/// Options of a stop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StopOptions {
    /// Treat a stop refused because the version is already stopping or final as an error (the
    /// service's conflict error is returned) instead of [`StopOutcome::AlreadyStopping`] /
    /// [`StopOutcome::AlreadyFinal`].
    pub strict: bool,
}

/// How a stop ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StopOutcome {
    /// The service accepted the stop (`is_success: true`); the version goes to KILLING, then KILLED.
    Accepted,
    /// The service refused the stop with a conflict, and the version is already KILLING.
    AlreadyStopping(JobStatus),
    /// The service refused the stop with a conflict, and the version is already final (KILLED,
    /// CANCELED, COMPLETED, FAILED, …).
    AlreadyFinal(JobStatus),
    /// The stop's answer was lost or garbled (a reset, a timeout, a 500/502/504), and reading the
    /// status showed the stop had taken effect (KILLING) or was no longer needed (a final state).
    ConfirmedByStatus(JobStatus),
}

impl StopOutcome {
    /// The status known from the outcome, if one was read (`None` for [`Accepted`](Self::Accepted)).
    pub fn status(self) -> Option<JobStatus> {
        match self {
            StopOutcome::Accepted => None,
            StopOutcome::AlreadyStopping(s)
            | StopOutcome::AlreadyFinal(s)
            | StopOutcome::ConfirmedByStatus(s) => Some(s),
        }
    }

    /// Whether this stop request is what started the stop (accepted, or confirmed after an
    /// ambiguous failure), rather than finding it already done.
    pub fn is_new_stop(self) -> bool {
        matches!(self, StopOutcome::Accepted | StopOutcome::ConfirmedByStatus(_))
    }

    /// Whether the version was already stopping or final before this stop.
    pub fn was_already_done(self) -> bool {
        matches!(self, StopOutcome::AlreadyStopping(_) | StopOutcome::AlreadyFinal(_))
    }

    /// Whether the version is known to have ended in a state other than KILLED or CANCELED.
    pub fn ended_otherwise(self) -> bool {
        self.status().is_some_and(|s| s.is_terminal() && !s.is_stopped())
    }
}

impl std::fmt::Display for StopOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopOutcome::Accepted => f.write_str("stop accepted"),
            StopOutcome::AlreadyStopping(s) => write!(f, "already stopping ({s})"),
            StopOutcome::AlreadyFinal(s) => write!(f, "already final ({s})"),
            StopOutcome::ConfirmedByStatus(s) => write!(f, "stop confirmed by status ({s})"),
        }
    }
}

impl<T: HttpSend> Client<T> {
    /// Stops a version (non-strict): see [`stop_training_job_with`](Self::stop_training_job_with).
    pub async fn stop_training_job(&self, job: JobId, version: VersionId) -> Result<StopOutcome, Error> {
        self.stop_training_job_with(job, version, StopOptions::default()).await
    }

    /// Stops a version. The stop is asynchronous: on success the version is KILLING (or already
    /// final); use [`wait_until_stopped`](Self::wait_until_stopped) to see it KILLED.
    ///
    /// Safe to repeat: after an ambiguous failure the status is read before the stop is sent again,
    /// and a conflict on a version already stopping or final is an `Ok` unless `options.strict`.
    pub async fn stop_training_job_with(
        &self,
        job: JobId,
        version: VersionId,
        options: StopOptions,
    ) -> Result<StopOutcome, Error> {
        let op = StopTrainingJob::new(self.inner.project_id.clone(), job, version);
        let policy = &self.inner.policy;
        let mut attempts = Attempts::default();
        loop {
            let error = match self.attempt_loop(&op, &mut attempts).await {
                Ok(_) => return Ok(StopOutcome::Accepted),
                Err(Failure::Final(error)) if is_conflict(&error) && !options.strict => {
                    // Refused because of the version's state: done already, or a real refusal?
                    return match self.show_training_job_version(job, version).await {
                        Ok(v) if v.status.is_terminal() => Ok(StopOutcome::AlreadyFinal(v.status)),
                        Ok(v) if v.status.is_stopping_or_final() => {
                            Ok(StopOutcome::AlreadyStopping(v.status))
                        }
                        _ => Err(error),
                    };
                }
                Err(Failure::Final(error)) => return Err(error),
                Err(Failure::CheckState(error)) => error,
            };
            // The stop may have taken effect but its answer was lost: read the status before
            // sending it again.
            tracing::debug!(%job, %version, "the stop's answer was lost or garbled; reading the status first");
            match self.show_training_job_version(job, version).await {
                Ok(v) if v.status.is_stopping_or_final() => {
                    return Ok(StopOutcome::ConfirmedByStatus(v.status));
                }
                Ok(v) => {
                    tracing::debug!(%job, %version, status = %v.status, "the stop did not take effect; sending it again");
                }
                // The version does not exist: that answer is definite, the stop's was not.
                Err(e) if e.is_not_found() => return Err(e),
                Err(_) => return Err(error),
            }
            if attempts.counted >= policy.max_attempts || !self.inner.state.try_acquire(RetryKind::Transient)
            {
                return Err(error);
            }
            let delay = policy.backoff(RetryKind::Transient, attempts.counted, self.jitter(), None);
            tokio::time::sleep(delay).await;
        }
    }
}
