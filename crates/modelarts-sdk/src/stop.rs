//! The safe stop, driven: the protocol's [`SafeStop`] decides (send, read the status, sleep,
//! finish, with which outcome); this module runs the calls it asks for and sleeps.

use modelarts_http::HttpSend;
use modelarts_protocol::ids::{JobId, VersionId};
use modelarts_protocol::operations::Operation;
use modelarts_protocol::stop::{CallEnd, SafeStop, StopAction, StopFailure, Stoppable, TrainingJobVersion};

pub use modelarts_protocol::stop::{StopOptions, StopOutcome};

use crate::client::Client;
use crate::error::Error;

/// A stop that failed, with what the safe stop learnt (for the batch's outcome).
#[derive(Debug)]
pub(crate) struct StopFailed<S> {
    pub(crate) error: Error,
    /// The status read, if one was.
    pub(crate) status: Option<S>,
    /// Whether the resource does not exist (said by a status read, or a strict refusal).
    pub(crate) not_found: bool,
}

impl<S> StopFailed<S> {
    fn before_sending(error: Error) -> Self {
        Self { error, status: None, not_found: false }
    }

    /// The same failure with its status converted.
    pub(crate) fn map<U>(self, f: impl FnOnce(S) -> U) -> StopFailed<U> {
        StopFailed { error: self.error, status: self.status.map(f), not_found: self.not_found }
    }
}

impl<S, E: modelarts_http::SendError + Send + Sync + 'static> From<StopFailure<S, E>> for StopFailed<S> {
    fn from(f: StopFailure<S, E>) -> Self {
        Self { error: f.error.into(), status: f.status, not_found: f.not_found }
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

    /// Drives the protocol's safe stop of any stoppable resource.
    pub(crate) async fn safe_stop<R>(
        &self,
        resource: &R,
        options: StopOptions,
    ) -> Result<StopOutcome<R::Status>, StopFailed<R::Status>>
    where
        R: Stoppable,
        R::Stop: Operation + Sync,
        R::Read: Operation + Sync,
    {
        let stop_op = resource.stop_operation();
        let read_op = resource.read_operation();
        let mut machine = SafeStop::new(self.inner.policy, options);
        let mut action = StopAction::SendStop;
        loop {
            action = match action {
                StopAction::SendStop => {
                    let end =
                        self.drive(machine.call_mut(), &stop_op).await.map_err(StopFailed::before_sending)?;
                    machine.on_stop(end)
                }
                StopAction::ReadStatus => {
                    tracing::debug!(operation = R::Stop::NAME, "reading the status before deciding the stop");
                    let mut call =
                        modelarts_protocol::call::Call::new(self.inner.policy, R::Read::IDEMPOTENT);
                    let read =
                        match self.drive(&mut call, &read_op).await.map_err(StopFailed::before_sending)? {
                            CallEnd::Done(output) => Ok(R::status_of(&output)),
                            CallEnd::CheckState(e) | CallEnd::GaveUp(e) => Err(e),
                        };
                    machine.on_status(read, &mut *self.inner.state.bucket(), self.jitter())
                }
                StopAction::Sleep(delay) => {
                    tracing::debug!("the stop did not take effect; sending it again after {delay:?}");
                    self.inner.time.sleep(delay).await;
                    StopAction::SendStop
                }
                StopAction::Finish(result) => return result.map_err(StopFailed::from),
            };
        }
    }
}
