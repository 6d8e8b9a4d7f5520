//! The safe stop, driven: the protocol's [`SafeStop`] decides (send, read the status, sleep,
//! finish, with which outcome); this module runs the calls it asks for and sleeps.

use modelarts_http::HttpSend;
use modelarts_protocol::ids::{JobId, VersionId};
use modelarts_protocol::machine::steps::StopMachine;
use modelarts_protocol::stop::{Outcome, StopFailure, Stoppable, TrainingJobVersion};
use modelarts_protocol::target::{JobRef, TargetStatus};

pub use modelarts_protocol::stop::{StopOptions, StopOutcome};

use crate::client::Client;
use crate::error::Error;

/// A stop of a [`JobRef`] that failed: the error, and the outcome it leaves.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct StopTargetError {
    /// What is known of the target: `NotFound`, `NotSent`, `Unknown` or `Failed`.
    pub outcome: Outcome<TargetStatus>,
    /// Why the stop failed.
    #[source]
    pub error: Error,
}

/// A stop that failed, with what the safe stop learnt (for the batch's outcome).
#[derive(Debug)]
pub(crate) struct StopFailed<S> {
    pub(crate) error: Error,
    /// The status read, if one was.
    pub(crate) status: Option<S>,
    /// Whether the resource does not exist (said by a status read, or a strict refusal).
    pub(crate) not_found: bool,
    /// Whether a stop may have reached the service unseen (see the protocol's `StopFailure`).
    pub(crate) may_have_been_sent: bool,
}

impl<S> StopFailed<S> {
    pub(crate) fn before_sending(error: Error) -> Self {
        Self { error, status: None, not_found: false, may_have_been_sent: false }
    }

    /// The same failure with its status converted.
    pub(crate) fn map<U>(self, f: impl FnOnce(S) -> U) -> StopFailed<U> {
        StopFailed {
            error: self.error,
            status: self.status.map(f),
            not_found: self.not_found,
            may_have_been_sent: self.may_have_been_sent,
        }
    }
}

impl<S, E: modelarts_http::SendError + Send + Sync + 'static> From<StopFailure<S, E>> for StopFailed<S> {
    fn from(f: StopFailure<S, E>) -> Self {
        Self {
            error: f.error.into(),
            status: f.status,
            not_found: f.not_found,
            may_have_been_sent: f.may_have_been_sent,
        }
    }
}

impl<T: HttpSend<Error: Send + Sync + 'static>> Client<T> {
    /// Stops a version (non-strict): see [`stop_training_job_with`](Self::stop_training_job_with).
    pub async fn stop_training_job(&self, job: JobId, version: VersionId) -> Result<StopOutcome, Error> {
        self.stop_training_job_with(job, version, StopOptions::default()).await
    }

    /// Stops a version. The stop is asynchronous: on success the version is KILLING (or already
    /// final); use [`wait_until_stopped`](Self::wait_until_stopped) to see it KILLED.
    ///
    /// Safe to repeat: after an ambiguous failure, or a refusal that is not about authentication
    /// or throttling, the status is read and decides (see [`modelarts_protocol::stop`]); a version
    /// already stopping or final is an `Ok` unless `options.strict`.
    pub async fn stop_training_job_with(
        &self,
        job: JobId,
        version: VersionId,
        options: StopOptions,
    ) -> Result<StopOutcome, Error> {
        self.stop_version(job, version, options).await.map_err(|f| f.error)
    }

    /// Stops a target of either API (the safe stop), its status as a [`TargetStatus`]. A failure
    /// carries the outcome it leaves ([`StopTargetError::outcome`]: not found, not sent, unknown
    /// when the stop may have been sent and no status could be read, or failed), so that no target
    /// is left without one.
    pub async fn stop_target(
        &self,
        target: &JobRef,
        options: StopOptions,
    ) -> Result<StopOutcome<TargetStatus>, StopTargetError> {
        let result = match target {
            JobRef::V1 { job, version } => self
                .stop_version(*job, *version, options)
                .await
                .map(|o| o.map(TargetStatus::V1))
                .map_err(|f| f.map(TargetStatus::V1)),
            JobRef::V2(id) => self
                .terminate_job(id, options)
                .await
                .map(|o| o.map(TargetStatus::V2))
                .map_err(|f| f.map(TargetStatus::V2)),
        };
        result.map_err(|f| StopTargetError {
            outcome: Outcome::of_failure(f.not_found, f.may_have_been_sent, f.status),
            error: f.error,
        })
    }

    pub(crate) async fn stop_version(
        &self,
        job: JobId,
        version: VersionId,
        options: StopOptions,
    ) -> Result<StopOutcome, StopFailed<modelarts_protocol::JobStatus>> {
        let resource = TrainingJobVersion {
            project_id: self.inner.project_id.clone(),
            job_id: job,
            version_id: version,
        };
        self.safe_stop(&resource, options).await
    }

    /// Drives the protocol's safe stop of any stoppable resource ([`StopMachine`]).
    pub(crate) async fn safe_stop<R>(
        &self,
        resource: &R,
        options: StopOptions,
    ) -> Result<StopOutcome<R::Status>, StopFailed<R::Status>>
    where
        R: Stoppable + Clone,
    {
        let machine = StopMachine::new(resource.clone(), self.inner.policy, options);
        match self.drive(machine, |_| {}).await {
            Ok(result) => result.map_err(StopFailed::from),
            Err(error) => Err(StopFailed::before_sending(error)),
        }
    }
}
