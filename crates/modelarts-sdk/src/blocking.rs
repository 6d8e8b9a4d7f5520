//! A blocking client over any [`BlockingHttpSend`]: for programs without an async runtime.
//!
//! It runs the very loops of the async [`Client`](crate::Client) (the call driver, the safe stop,
//! the waiter), so the protocol's machines decide everything in both: the sender is wrapped as an
//! async sender whose answers are ready at once, sleeps block the calling thread (through a
//! [`BlockingSleeper`], [`ThreadSleeper`] by default), and each call runs to completion on the
//! calling thread. Built with [`ClientBuilder::build_blocking`](crate::ClientBuilder::build_blocking).
//!
//! ```
//! use bytes::Bytes;
//! use modelarts_sdk::{Client, Credentials, SendError};
//!
//! #[derive(Debug)]
//! struct Offline;
//! impl std::fmt::Display for Offline {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//!         f.write_str("no network here")
//!     }
//! }
//! impl std::error::Error for Offline {}
//! impl SendError for Offline {
//!     fn may_have_reached_server(&self) -> bool {
//!         false
//!     }
//! }
//!
//! let offline = |_: http::Request<Bytes>| -> Result<http::Response<Bytes>, Offline> { Err(Offline) };
//! let client = Client::builder()
//!     .endpoint_url("https://modelarts.example.test")
//!     .project_id("0123456789abcdef0123456789abcdef")
//!     .credentials(Credentials::new("AKEXAMPLE0001", "secret"))
//!     .max_attempts(1)
//!     .env(|_| None)
//!     .build_blocking(offline)?;
//! let error = client.show_training_job_version("1".parse()?, "2".parse()?).unwrap_err();
//! assert!(error.is_transient());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use bytes::Bytes;
use futures_util::StreamExt;
use modelarts_http::{BlockingHttpSend, HttpSend};
use modelarts_protocol::endpoint::Endpoint;
use modelarts_protocol::ids::{JobId, ProjectId, VersionId};
use modelarts_protocol::model::{JobList, JobSummary, VersionDetail, VersionList};
use modelarts_protocol::operations::Operation;
use modelarts_protocol::stop::{StopOptions, StopOutcome};
use modelarts_protocol::target::{JobRef, TargetStatus, TargetSummary};
use modelarts_protocol::waiter::WaitOptions;

use crate::client::Client as AsyncClient;
use crate::config::ClientBuilder;
use crate::error::{Error, WaitError};
use crate::time::{BlockingSleep, Time};

pub use crate::time::{BlockingSleeper, ThreadSleeper};
use crate::v2::{TerminateAndWait, V2ListQuery};
use crate::wait::StopAndWait;
use modelarts_protocol::operations::list_training_jobs::ListQuery;
use modelarts_protocol::v2::{PhaseStatus, TrainingJob, TrainingJobId, TrainingJobList};

/// A blocking sender seen as an async one: its future is ready at once, or, while a batch runs
/// ([`Client::batch_stop`]), the send runs on a thread of its own and its future is ready when the
/// thread is done, so that the batch's concurrent stops are concurrent sends.
pub(crate) struct Blocking<T: BlockingHttpSend> {
    sender: Arc<T>,
    /// Set for the time of a batch: sends one thread each.
    threads: Arc<Mutex<Option<Spawner<T>>>>,
}

/// Starts one send on a thread of its own; the slot receives its answer.
type Spawner<T> = Arc<dyn Fn(http::Request<Bytes>) -> Arc<Slot<T>> + Send + Sync>;

/// A sender's answer.
type Answer<T> = Result<http::Response<Bytes>, <T as BlockingHttpSend>::Error>;

/// What a send on a thread left: its answer, or the sender's panic.
type Outcome<T> = std::thread::Result<Answer<T>>;

/// Where a send on a thread leaves its answer, and the waker of the future waiting for it.
pub(crate) struct Slot<T: BlockingHttpSend> {
    /// The answer, or the panic of the sender on its thread (raised again where the send is
    /// awaited, as a send on the calling thread would have raised it; never a batch waiting
    /// forever), and the waker.
    state: Mutex<(Option<Outcome<T>>, Option<Waker>)>,
}

impl<T: BlockingHttpSend> Slot<T> {
    fn fill(&self, answer: Outcome<T>) {
        let waker = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.0 = Some(answer);
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The future of a send: ready at once, or waiting for its thread.
enum Sent<T: BlockingHttpSend> {
    Ready(Option<Answer<T>>),
    Thread(Arc<Slot<T>>),
}

impl<T: BlockingHttpSend> Future for Sent<T> {
    type Output = Result<http::Response<Bytes>, T::Error>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // No field is pinned: `Sent` is `Unpin`.
        match self.get_mut() {
            Sent::Ready(answer) => match answer.take() {
                Some(answer) => Poll::Ready(answer),
                None => Poll::Pending,
            },
            Sent::Thread(slot) => {
                let mut state = slot.state.lock().unwrap_or_else(PoisonError::into_inner);
                match state.0.take() {
                    Some(Ok(answer)) => Poll::Ready(answer),
                    Some(Err(panic)) => {
                        drop(state);
                        std::panic::resume_unwind(panic)
                    }
                    None => {
                        state.1 = Some(cx.waker().clone());
                        Poll::Pending
                    }
                }
            }
        }
    }
}

impl<T: BlockingHttpSend> Unpin for Sent<T> {}

impl<T: BlockingHttpSend> std::fmt::Debug for Blocking<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Blocking")
    }
}

impl<T: BlockingHttpSend> HttpSend for Blocking<T> {
    type Error = T::Error;

    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> impl Future<Output = Result<http::Response<Bytes>, T::Error>> {
        let spawner = self.threads.lock().unwrap_or_else(PoisonError::into_inner).clone();
        match spawner {
            Some(spawn) => Sent::Thread(spawn(request)),
            None => Sent::Ready(Some(self.sender.send(request))),
        }
    }
}

/// The blocking ModelArts training-job client; see the [module documentation](self). Cheap to
/// clone; clones share the retry quota and the measured clock skew.
pub struct Client<T: BlockingHttpSend> {
    inner: crate::Client<Blocking<T>>,
}

impl<T: BlockingHttpSend> Clone for Client<T> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone() }
    }
}

impl<T: BlockingHttpSend> std::fmt::Debug for Client<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("blocking::Client").field(&self.inner).finish()
    }
}

impl<T: BlockingHttpSend> Client<T> {
    pub(crate) fn wrap(sender: T) -> Blocking<T> {
        Blocking { sender: Arc::new(sender), threads: Arc::new(Mutex::new(None)) }
    }

    pub(crate) fn of(inner: crate::Client<Blocking<T>>) -> Self {
        Self { inner }
    }

    /// The project every request goes to.
    pub fn project_id(&self) -> &ProjectId {
        self.inner.project_id()
    }

    /// The endpoint every request goes to.
    pub fn endpoint(&self) -> &Endpoint {
        self.inner.endpoint()
    }

    /// The clock skew measured from the server's `Date` headers, in milliseconds (server minus
    /// local), if a response has carried one.
    pub fn clock_skew_millis(&self) -> Option<i64> {
        self.inner.clock_skew_millis()
    }

    /// Retry tokens left in the shared quota.
    pub fn retry_tokens_available(&self) -> u32 {
        self.inner.retry_tokens_available()
    }

    /// Where the project id came from: see [`crate::Client::project_source`].
    pub fn project_source(&self) -> Option<&str> {
        self.inner.project_source()
    }

    /// The API chosen for the commands that name no job: see [`crate::Client::default_api`].
    pub fn default_api(&self) -> Option<crate::ApiVersion> {
        self.inner.default_api()
    }

    /// The v2 workspace chosen for lists and searches: see [`crate::Client::workspace_id`].
    pub fn workspace_id(&self) -> Option<&str> {
        self.inner.workspace_id()
    }

    /// The IAM endpoint this client's identity calls go to.
    pub fn iam_endpoint(&self) -> &Endpoint {
        self.inner.iam_endpoint()
    }
}

impl<T: BlockingHttpSend<Error: Send + Sync + 'static>> Client<T> {
    /// Reads a version's details (its status among them).
    pub fn show_training_job_version(&self, job: JobId, version: VersionId) -> Result<VersionDetail, Error> {
        run(self.inner.show_training_job_version(job, version))
    }

    /// Reads one page of the job list.
    pub fn list_training_jobs(&self, query: ListQuery) -> Result<JobList, Error> {
        run(self.inner.list_training_jobs(query))
    }

    /// Reads every page of the job list (see [`crate::Client::list_training_jobs_all`]); the walk is
    /// bounded, so the list is too.
    pub fn list_training_jobs_all(&self, query: ListQuery) -> Result<Vec<JobSummary>, Error> {
        let mut jobs = Vec::new();
        let mut stream = pin!(self.inner.list_training_jobs_all(query));
        while let Some(job) = run(stream.next()) {
            jobs.push(job?);
        }
        Ok(jobs)
    }

    /// Reads every version of a job.
    pub fn list_training_job_versions(&self, job: JobId) -> Result<VersionList, Error> {
        run(self.inner.list_training_job_versions(job))
    }

    /// Runs any protocol operation with this client's retries, signing and skew correction.
    pub fn call<O: Operation + Sync>(&self, op: &O) -> Result<O::Output, Error> {
        run(self.inner.call(op))
    }

    /// Stops a version (non-strict), safely: see [`crate::Client::stop_training_job_with`].
    pub fn stop_training_job(&self, job: JobId, version: VersionId) -> Result<StopOutcome, Error> {
        run(self.inner.stop_training_job(job, version))
    }

    /// Stops a version with options: see [`crate::Client::stop_training_job_with`].
    pub fn stop_training_job_with(
        &self,
        job: JobId,
        version: VersionId,
        options: StopOptions,
    ) -> Result<StopOutcome, Error> {
        run(self.inner.stop_training_job_with(job, version, options))
    }

    /// Polls a version until it is stopped: see [`crate::Client::wait_until_stopped`].
    pub fn wait_until_stopped(
        &self,
        job: JobId,
        version: VersionId,
        options: WaitOptions,
        on_poll: impl Fn(&VersionDetail),
    ) -> Result<VersionDetail, WaitError> {
        run(self.inner.wait_until_stopped(job, version, options, on_poll))
    }

    /// Stops a version (non-strict) and waits until it is stopped: see
    /// [`crate::Client::stop_and_wait`].
    pub fn stop_and_wait(
        &self,
        job: JobId,
        version: VersionId,
        options: WaitOptions,
        on_poll: impl Fn(&VersionDetail),
    ) -> Result<StopAndWait, WaitError> {
        run(self.inner.stop_and_wait(job, version, options, on_poll))
    }

    /// [`stop_and_wait`](Self::stop_and_wait) with stop options.
    pub fn stop_and_wait_with(
        &self,
        job: JobId,
        version: VersionId,
        stop_options: StopOptions,
        options: WaitOptions,
        on_poll: impl Fn(&VersionDetail),
    ) -> Result<StopAndWait, WaitError> {
        run(self.inner.stop_and_wait_with(job, version, stop_options, options, on_poll))
    }

    /// Reads a v2 job: see [`crate::Client::show_training_job`].
    pub fn show_training_job(&self, id: &TrainingJobId) -> Result<TrainingJob, Error> {
        run(self.inner.show_training_job(id))
    }

    /// Reads one page of the v2 list: see [`crate::Client::list_training_jobs_v2`].
    pub fn list_training_jobs_v2(&self, query: &V2ListQuery) -> Result<TrainingJobList, Error> {
        run(self.inner.list_training_jobs_v2(query))
    }

    /// Reads every page of the v2 list (see [`crate::Client::list_training_jobs_v2_all`]); the
    /// walk is bounded, so the list is too.
    pub fn list_training_jobs_v2_all(&self, query: V2ListQuery) -> Result<Vec<TrainingJob>, Error> {
        let mut jobs = Vec::new();
        let mut stream = pin!(self.inner.list_training_jobs_v2_all(query));
        while let Some(job) = run(stream.next()) {
            jobs.push(job?);
        }
        Ok(jobs)
    }

    /// Terminates a v2 job, safely: see [`crate::Client::terminate_training_job_with`].
    pub fn terminate_training_job_with(
        &self,
        id: &TrainingJobId,
        options: StopOptions,
    ) -> Result<StopOutcome<PhaseStatus>, Error> {
        run(self.inner.terminate_training_job_with(id, options))
    }

    /// Polls a v2 job until it is Terminated: see [`crate::Client::wait_until_terminated`].
    pub fn wait_until_terminated(
        &self,
        id: &TrainingJobId,
        options: WaitOptions,
        on_poll: impl Fn(&TrainingJob),
    ) -> Result<TrainingJob, WaitError<TrainingJob>> {
        run(self.inner.wait_until_terminated(id, options, on_poll))
    }

    /// Terminates a v2 job (non-strict) and waits until it is Terminated: see
    /// [`crate::Client::terminate_and_wait`].
    pub fn terminate_and_wait(
        &self,
        id: &TrainingJobId,
        options: WaitOptions,
        on_poll: impl Fn(&TrainingJob),
    ) -> Result<TerminateAndWait, WaitError<TrainingJob>> {
        run(self.inner.terminate_and_wait(id, options, on_poll))
    }

    /// Terminates a v2 job (non-strict), safely: see [`crate::Client::terminate_training_job`].
    pub fn terminate_training_job(&self, id: &TrainingJobId) -> Result<StopOutcome<PhaseStatus>, Error> {
        run(self.inner.terminate_training_job(id))
    }

    /// [`terminate_and_wait`](Self::terminate_and_wait) with stop options.
    pub fn terminate_and_wait_with(
        &self,
        id: &TrainingJobId,
        stop_options: StopOptions,
        options: WaitOptions,
        on_poll: impl Fn(&TrainingJob),
    ) -> Result<TerminateAndWait, WaitError<TrainingJob>> {
        run(self.inner.terminate_and_wait_with(id, stop_options, options, on_poll))
    }

    /// Stops a target of either API: see [`crate::Client::stop_target`].
    // The async client's error, as it is (an outcome beside the error).
    #[allow(clippy::result_large_err)]
    pub fn stop_target(
        &self,
        target: &JobRef,
        options: StopOptions,
    ) -> Result<StopOutcome<TargetStatus>, crate::StopTargetError> {
        run(self.inner.stop_target(target, options))
    }

    /// Polls a target of either API until it is stopped: see [`crate::Client::wait_target`].
    pub fn wait_target(
        &self,
        target: &JobRef,
        options: WaitOptions,
        on_poll: impl Fn(TargetStatus),
    ) -> Result<TargetStatus, WaitError<TargetStatus>> {
        run(self.inner.wait_target(target, options, on_poll))
    }

    /// Stops a target of either API and waits for it: see
    /// [`crate::Client::stop_target_and_wait`].
    pub fn stop_target_and_wait(
        &self,
        target: &JobRef,
        stop_options: StopOptions,
        wait: Option<WaitOptions>,
        on_poll: impl Fn(TargetStatus),
    ) -> crate::TargetEnd {
        run(self.inner.stop_target_and_wait(target, stop_options, wait, on_poll))
    }

    /// The running latest versions of v1 jobs: see [`crate::Client::running_versions`].
    pub fn running_versions(&self, search: Option<String>) -> Result<Vec<(JobId, VersionId)>, Error> {
        run(self.inner.running_versions(search))
    }

    /// The running v1 targets with what the list showed: see
    /// [`crate::Client::running_versions_described`].
    pub fn running_versions_described(&self, search: Option<String>) -> Result<Vec<TargetSummary>, Error> {
        run(self.inner.running_versions_described(search))
    }

    /// The running v2 jobs: see [`crate::Client::running_training_jobs_v2`].
    pub fn running_training_jobs_v2(&self, search: Option<String>) -> Result<Vec<TrainingJobId>, Error> {
        run(self.inner.running_training_jobs_v2(search))
    }

    /// The running v2 jobs of a workspace: see
    /// [`crate::Client::running_training_jobs_v2_in_workspace`].
    pub fn running_training_jobs_v2_in_workspace(
        &self,
        search: Option<String>,
        workspace_id: Option<&str>,
    ) -> Result<Vec<TrainingJobId>, Error> {
        run(self.inner.running_training_jobs_v2_in_workspace(search, workspace_id))
    }

    /// The running v2 jobs with what the search showed: see
    /// [`crate::Client::running_training_jobs_v2_described`].
    pub fn running_training_jobs_v2_described(
        &self,
        search: Option<String>,
        workspace_id: Option<&str>,
    ) -> Result<Vec<TargetSummary>, Error> {
        run(self.inner.running_training_jobs_v2_described(search, workspace_id))
    }

    /// The v2 jobs of one exact name: see [`crate::Client::training_jobs_v2_named`].
    pub fn training_jobs_v2_named(
        &self,
        name: &crate::JobName,
        workspace_id: Option<&str>,
    ) -> Result<Vec<TrainingJob>, Error> {
        run(self.inner.training_jobs_v2_named(name, workspace_id))
    }

    /// The name, status and creation time of each target: see
    /// [`crate::Client::describe_targets`].
    pub fn describe_targets(&self, targets: &[JobRef]) -> Vec<TargetSummary> {
        run(self.inner.describe_targets(targets))
    }

    /// Every workspace of the project: see [`crate::Client::list_workspaces`].
    pub fn list_workspaces(&self) -> Result<Vec<crate::Workspace>, Error> {
        run(self.inner.list_workspaces())
    }

    /// Proves the credentials with one call: see [`crate::Client::check_credentials`].
    pub fn check_credentials(&self) -> Result<crate::CredentialCheck, Error> {
        run(self.inner.check_credentials())
    }

    /// The log file names of a v1 version.
    pub fn log_file_names(
        &self,
        job: JobId,
        version: VersionId,
    ) -> Result<modelarts_protocol::model::LogFileNames, Error> {
        run(self.inner.log_file_names(job, version))
    }

    /// The v2 events of a job (see [`crate::Client::list_events`]).
    pub fn list_events(
        &self,
        query: modelarts_protocol::operations::v2::logs::ListEvents,
    ) -> Result<modelarts_protocol::v2::EventList, Error> {
        run(self.inner.list_events(query))
    }

    /// The temporary OBS address of a v2 task's whole log (see [`crate::Client::log_url`]).
    pub fn log_url(
        &self,
        id: TrainingJobId,
        task: impl Into<String>,
        kind: modelarts_protocol::operations::v2::logs::LogUrlKind,
    ) -> Result<modelarts_protocol::v2::LogUrl, Error> {
        run(self.inner.log_url(id, task, kind))
    }

    /// A job's state for the log follow (see [`crate::Client::job_state`]).
    pub fn job_state(&self, job: &JobRef) -> Result<crate::JobState, Error> {
        run(self.inner.job_state(job))
    }

    /// The last `lines` lines of a job's log (see [`crate::Client::log_tail`]).
    pub fn log_tail(&self, target: &crate::LogTarget, lines: u32) -> Result<Vec<String>, Error> {
        run(self.inner.log_tail(target, lines))
    }

    /// Follows a job's log until it ends: the async client's stream as an iterator, each `next`
    /// running on the calling thread (sleeping there between reads).
    pub fn follow_logs(
        &self,
        target: crate::LogTarget,
        options: crate::FollowOptions,
    ) -> impl Iterator<Item = Result<crate::LogEvent, Error>> + '_ {
        iterate(self.inner.follow_logs(target, options))
    }

    /// Every page of the job list as an iterator (memory stays flat however long the list), each
    /// `next` running on the calling thread.
    pub fn list_training_jobs_all_iter(
        &self,
        query: ListQuery,
    ) -> impl Iterator<Item = Result<JobSummary, Error>> + '_ {
        iterate(self.inner.list_training_jobs_all(query))
    }
}

/// Wakes the thread that runs a call.
struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

impl<T: BlockingHttpSend<Error: Send + Sync + 'static> + Send + Sync + 'static> Client<T> {
    /// Stops many targets (see [`crate::Client::batch_stop`]: the same batch, its safety rules
    /// and its one watcher). Its concurrency runs on threads: while it runs, each request the batch
    /// has in flight is sent on a thread of its own (at most `options.concurrency` stops at once),
    /// and the calling thread drives the batch and sleeps its pauses.
    pub fn batch_stop(
        &self,
        targets: Vec<JobRef>,
        options: crate::BatchOptions,
        on_event: impl Fn(&crate::BatchEvent<'_>) + Send + Sync,
    ) -> crate::BatchReport {
        /// Back to sends on the calling thread however the batch ends.
        struct Reset<'a, T: BlockingHttpSend>(&'a Mutex<Option<Spawner<T>>>);
        impl<T: BlockingHttpSend> Drop for Reset<'_, T> {
            fn drop(&mut self) {
                *self.0.lock().unwrap_or_else(PoisonError::into_inner) = None;
            }
        }
        let transport = &self.inner.inner.transport;
        let sender = Arc::clone(&transport.sender);
        let spawner: Spawner<T> = Arc::new(move |request| {
            let slot = Arc::new(Slot { state: Mutex::new((None, None)) });
            let (sender, filled) = (Arc::clone(&sender), Arc::clone(&slot));
            std::thread::spawn(move || {
                let sent = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sender.send(request)));
                filled.fill(sent);
            });
            slot
        });
        *transport.threads.lock().unwrap_or_else(PoisonError::into_inner) = Some(spawner);
        let _reset = Reset(&transport.threads);
        run(self.inner.batch_stop(targets, options, on_event))
    }
}

/// A stream of the async client as an iterator: each `next` runs on the calling thread.
fn iterate<S: futures_util::Stream>(stream: S) -> impl Iterator<Item = S::Item> {
    let mut stream = Box::pin(stream);
    std::iter::from_fn(move || run(stream.next()))
}

/// Runs `future` to completion on this thread. With a blocking sender and sleeper every future of
/// the client is ready when first polled; anything else parks the thread until it is woken.
pub(crate) fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}

impl ClientBuilder {
    /// Builds a [`blocking::Client`](crate::blocking::Client) on any blocking sender. As with
    /// [`build_with`](Self::build_with), the timeouts, CA bundle and proxy are the sender's
    /// business. Sleeps go to the [`blocking_sleeper`](Self::blocking_sleeper) (the async
    /// [`sleeper`](Self::sleeper) is not used).
    #[cfg(feature = "blocking")]
    pub fn build_blocking<T: modelarts_http::BlockingHttpSend<Error: Send + Sync + 'static>>(
        self,
        sender: T,
    ) -> Result<Client<T>, Error> {
        let (resolved, jitter, time) = self.blocking_parts()?;
        Ok(Client::of(AsyncClient::from_resolved(resolved, Client::wrap(sender), jitter, time)?))
    }

    /// Like [`build_blocking`](Self::build_blocking), making the calls the identity needs first, as
    /// [`connect`](Self::connect) does (on the calling thread). The metadata service gets the same
    /// 1 s bound ([`METADATA_BOUND`](crate::METADATA_BOUND)) for its connection: before each
    /// metadata request a plain TCP connect to its address must succeed within it (a laptop, where
    /// nothing answers at 169.254.169.254, gives up after 1 s). A blocking send cannot be raced by
    /// a timer, so once connected the answer's wait is the sender's own timeout: set it short.
    #[cfg(feature = "blocking")]
    pub fn connect_blocking<T: modelarts_http::BlockingHttpSend<Error: Send + Sync + 'static>>(
        self,
        sender: T,
    ) -> Result<Client<T>, Error> {
        let (resolved, jitter, time) = self.blocking_parts()?;
        Ok(Client::of(run(AsyncClient::connect_resolved(resolved, Client::wrap(sender), jitter, time))?))
    }

    /// What a blocking client is made of: the resolved settings, the jitter, and a time whose
    /// sleeps block the calling thread (the [`blocking_sleeper`](Self::blocking_sleeper)).
    #[cfg(feature = "blocking")]
    fn blocking_parts(self) -> Result<(crate::ResolvedConfig, crate::settings::JitterFn, Time), Error> {
        let resolved = self.resolve()?;
        let sleeper = self.blocking_sleeper.unwrap_or_else(|| Arc::new(ThreadSleeper));
        let time = Time { clock: self.time.clock, sleeper: Arc::new(BlockingSleep(sleeper)), blocking: true };
        Ok((resolved, self.jitter, time))
    }
}
