//! The v2 training-job API (current; job IDs are UUIDs): terminate (the same safe stop as v1),
//! terminate-and-wait (the same waiter), show, one page of the list and every page as a stream.
//!
//! v1 is the historical API (numeric job and version IDs); route a user's ID with
//! [`JobRef::route`](modelarts_protocol::target::JobRef::route).

use std::collections::VecDeque;

use futures_util::Stream;
use modelarts_http::HttpSend;
use modelarts_protocol::operations::list_training_jobs::Order;
use modelarts_protocol::operations::v2::list::{Filter, ListTrainingJobsV2};
use modelarts_protocol::operations::v2::show::ShowTrainingJob;
use modelarts_protocol::operations::workspaces::ListWorkspaces;
use modelarts_protocol::target::JobRef;
use modelarts_protocol::v2::{
    OffsetMode, PageStep, Paginator, PhaseStatus, TrainingJob, TrainingJobId, TrainingJobList,
    TrainingJobTarget,
};
use modelarts_protocol::waiter::WaitOptions;
use modelarts_protocol::workspace::{Workspace, WorkspaceWalk};

use crate::client::Client;
use crate::error::{Error, WaitError};
use crate::stop::{StopFailed, StopOptions, StopOutcome};

/// The page size of [`Client::list_training_jobs_v2_all`] when the query sets none (the API's
/// largest).
pub const DEFAULT_V2_PAGE_SIZE: u32 = modelarts_protocol::v2::pagination::MAX_LIMIT;

/// A query of the v2 list (`POST …/training-job-searches`); `None` fields take the API's defaults.
///
/// New fields may be added: start from [`V2ListQuery::default()`] and change what you need with the
/// `with_*` setters.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct V2ListQuery {
    /// The page to read (a page index from 0, as the emulator and the API reference read it).
    pub offset: Option<u32>,
    /// Jobs per page, 1 to 50.
    pub limit: Option<u32>,
    /// Sort field, e.g. `create_time`.
    pub sort_by: Option<String>,
    /// Sort order.
    pub order: Option<Order>,
    /// Filters, all of which apply (e.g. [`Filter::name_like`], [`Filter::phase_in`]).
    pub filters: Vec<Filter>,
    /// The workspace to search (sent only when set). `None` searches the default workspace `"0"`
    /// only: jobs of other workspaces are not returned without it. [`Client::list_workspaces`]
    /// names them all.
    pub workspace_id: Option<String>,
}

impl V2ListQuery {
    /// Sets [`offset`](Self::offset).
    #[must_use]
    pub fn with_offset(mut self, offset: u32) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Sets [`limit`](Self::limit).
    #[must_use]
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Sets [`sort_by`](Self::sort_by).
    #[must_use]
    pub fn with_sort_by(mut self, sort_by: impl Into<String>) -> Self {
        self.sort_by = Some(sort_by.into());
        self
    }

    /// Sets [`order`](Self::order).
    #[must_use]
    pub fn with_order(mut self, order: Order) -> Self {
        self.order = Some(order);
        self
    }

    /// Sets [`filters`](Self::filters).
    #[must_use]
    pub fn with_filters(mut self, filters: Vec<Filter>) -> Self {
        self.filters = filters;
        self
    }

    /// Sets [`workspace_id`](Self::workspace_id): the same query in that workspace.
    ///
    /// ```
    /// use modelarts_sdk::V2ListQuery;
    /// let query = V2ListQuery::default().with_workspace_id("1c5f1e1f6b4a4c61a0e6f6ad1d6e4c33");
    /// assert_eq!(query.workspace_id.as_deref(), Some("1c5f1e1f6b4a4c61a0e6f6ad1d6e4c33"));
    /// ```
    #[must_use]
    pub fn with_workspace_id(mut self, workspace_id: impl Into<String>) -> Self {
        self.workspace_id = Some(workspace_id.into());
        self
    }
}

impl V2ListQuery {
    /// The search for this query; without a workspace of its own, the client's (`default`).
    fn operation(
        &self,
        project_id: modelarts_protocol::ProjectId,
        default: Option<&str>,
    ) -> ListTrainingJobsV2 {
        ListTrainingJobsV2 {
            offset: self.offset,
            limit: self.limit,
            sort_by: self.sort_by.clone(),
            order: self.order,
            filters: self.filters.clone(),
            workspace_id: self.workspace_id.clone().or_else(|| default.map(str::to_owned)),
            ..ListTrainingJobsV2::new(project_id)
        }
    }
}

/// The result of [`Client::terminate_and_wait`].
#[derive(Debug, Clone, PartialEq)]
pub struct TerminateAndWait {
    /// How the terminate went.
    pub stop: StopOutcome<PhaseStatus>,
    /// The job as last read: Terminated.
    pub job: TrainingJob,
}

impl<T: HttpSend<Error: Send + Sync + 'static>> Client<T> {
    /// Reads a v2 job (`GET /v2/{project}/training-jobs/{id}`).
    pub async fn show_training_job(&self, id: &TrainingJobId) -> Result<TrainingJob, Error> {
        self.call(&ShowTrainingJob::new(self.inner.project_id.clone(), id.clone())).await
    }

    /// Terminates a v2 job (non-strict): see [`terminate_training_job_with`](Self::terminate_training_job_with).
    pub async fn terminate_training_job(
        &self,
        id: &TrainingJobId,
    ) -> Result<StopOutcome<PhaseStatus>, Error> {
        self.terminate_training_job_with(id, StopOptions::default()).await
    }

    /// Terminates a v2 job. The terminate is asynchronous: on success the job is Terminating (or
    /// already final); use [`wait_until_terminated`](Self::wait_until_terminated) to see it
    /// Terminated.
    ///
    /// The same safe stop as v1: after an ambiguous failure, or a refusal that is not about
    /// authentication or throttling (409 `ModelArts.2796` among them), the phase is read and
    /// decides; a job already Terminating or Terminated is an `Ok` unless `options.strict`.
    pub async fn terminate_training_job_with(
        &self,
        id: &TrainingJobId,
        options: StopOptions,
    ) -> Result<StopOutcome<PhaseStatus>, Error> {
        self.terminate_job(id, options).await.map_err(|f| f.error)
    }

    pub(crate) async fn terminate_job(
        &self,
        id: &TrainingJobId,
        options: StopOptions,
    ) -> Result<StopOutcome<PhaseStatus>, StopFailed<PhaseStatus>> {
        let target =
            TrainingJobTarget { project_id: self.inner.project_id.clone(), training_job_id: id.clone() };
        self.safe_stop(&target, options).await
    }

    /// Polls a v2 job until it is Terminated (returned), another final state (Completed, Failed,
    /// Abnormal: [`WaitError::OtherFinalState`] with the job) or `options.max_wait` passes
    /// ([`WaitError::TimedOut`] with the last job read). The same waiter as
    /// [`wait_until_stopped`](Self::wait_until_stopped): throttled and transient poll failures
    /// never end the wait; an unknown phase is polled again.
    pub async fn wait_until_terminated(
        &self,
        id: &TrainingJobId,
        options: WaitOptions,
        on_poll: impl Fn(&TrainingJob),
    ) -> Result<TrainingJob, WaitError<TrainingJob>> {
        self.wait_resource(self.job_v2(id), options, on_poll, &format!("job {id}")).await
    }

    /// Terminates a v2 job (non-strict) and waits until it is Terminated.
    pub async fn terminate_and_wait(
        &self,
        id: &TrainingJobId,
        options: WaitOptions,
        on_poll: impl Fn(&TrainingJob),
    ) -> Result<TerminateAndWait, WaitError<TrainingJob>> {
        self.terminate_and_wait_with(id, StopOptions::default(), options, on_poll).await
    }

    /// [`terminate_and_wait`](Self::terminate_and_wait) with stop options. A job the terminate
    /// finds already final is not polled again.
    pub async fn terminate_and_wait_with(
        &self,
        id: &TrainingJobId,
        stop_options: StopOptions,
        options: WaitOptions,
        on_poll: impl Fn(&TrainingJob),
    ) -> Result<TerminateAndWait, WaitError<TrainingJob>> {
        let stop = self.terminate_training_job_with(id, stop_options).await?;
        let job = self.wait_until_terminated(id, options, on_poll).await?;
        Ok(TerminateAndWait { stop, job })
    }

    /// Reads one page of the v2 list.
    pub async fn list_training_jobs_v2(&self, query: &V2ListQuery) -> Result<TrainingJobList, Error> {
        self.call(&query.operation(self.inner.project_id.clone(), self.workspace_id())).await
    }

    /// Every v2 job matching `query`, page after page from offset 0 (`query.limit`, else
    /// [`DEFAULT_V2_PAGE_SIZE`] a page; `query.offset` is ignored), driven by the protocol's
    /// [`v2::Paginator`](modelarts_protocol::v2::Paginator), with the contract of
    /// [`list_training_jobs_all`](Self::list_training_jobs_all): ends after an empty or short page
    /// or the announced total. A page that only repeats jobs already seen, a full page without one
    /// job that has an ID, or a walk past the one item bound of both APIs
    /// ([`MAX_WALK_ITEMS`](modelarts_protocol::pagination::MAX_WALK_ITEMS), and the page bound
    /// derived from it) yields [`Error::Walk`] after the jobs read so far, up to the bound (never a
    /// silent truncation). Jobs are told apart by their normalized ID
    /// ([`TrainingJob::id`]). Jobs a filter does not match (a server may ignore a filter) are
    /// dropped. An error is yielded once and ends the stream.
    pub fn list_training_jobs_v2_all(
        &self,
        query: V2ListQuery,
    ) -> impl Stream<Item = Result<TrainingJob, Error>> + '_ {
        struct Walk {
            op: ListTrainingJobsV2,
            paginator: Paginator,
            buffer: VecDeque<TrainingJob>,
            next: Option<u32>,
            /// The error to yield once the buffer is empty (a bound was reached).
            pending: Option<Error>,
        }
        let paginator =
            Paginator::by_offset(query.limit.unwrap_or(DEFAULT_V2_PAGE_SIZE), OffsetMode::PageIndex);
        let query = V2ListQuery { limit: Some(paginator.limit()), offset: None, ..query };
        let walk = Walk {
            op: query.operation(self.inner.project_id.clone(), self.workspace_id()),
            next: Some(paginator.first_offset()),
            paginator,
            buffer: VecDeque::new(),
            pending: None,
        };
        futures_util::stream::unfold(walk, move |mut walk| async move {
            loop {
                if let Some(job) = walk.buffer.pop_front() {
                    return Some((Ok(job), walk));
                }
                let Some(offset) = walk.next else {
                    return walk.pending.take().map(|e| (Err(e), walk));
                };
                let list = match self.call(&walk.op.at_offset(offset)).await {
                    Ok(list) => list,
                    Err(e) => {
                        walk.next = None;
                        return Some((Err(e), walk));
                    }
                };
                match walk.paginator.accept(list) {
                    Ok((jobs, step)) => {
                        let op = &walk.op;
                        walk.buffer.extend(jobs.into_iter().filter(|j| op.matches(j)));
                        walk.next = match step {
                            PageStep::Next(next) => Some(next),
                            PageStep::Done => None,
                            PageStep::Exceeded(e) => {
                                tracing::warn!(offset, error = %e, "abandoning the walk over the v2 job list");
                                walk.pending = Some(Error::Walk(e));
                                None
                            }
                        };
                    }
                    Err(e) => {
                        tracing::warn!(offset, error = %e, "abandoning the walk over the v2 job list");
                        walk.next = None;
                        return Some((Err(Error::Walk(e)), walk));
                    }
                }
            }
        })
    }

    /// Every v2 job that can be terminated (Creating, Pending, Running) whose name contains
    /// `search` (all jobs when `None`), in list order, each once (IDs compared normalized: a job
    /// listed as `UUID`, in capitals and after a blank is one job). A walk that fails part-way
    /// (see [`list_training_jobs_v2_all`](Self::list_training_jobs_v2_all)) is an error: a
    /// truncated list is never taken for every running job.
    /// This reads the default workspace; for another one:
    /// [`running_training_jobs_v2_in_workspace`](Self::running_training_jobs_v2_in_workspace).
    pub async fn running_training_jobs_v2(
        &self,
        search: Option<String>,
    ) -> Result<Vec<TrainingJobId>, Error> {
        self.running_training_jobs_v2_in_workspace(search, None).await
    }

    /// [`running_training_jobs_v2`](Self::running_training_jobs_v2) in workspace `workspace_id`
    /// (`None`: the default workspace `"0"`, and no `workspace_id` is sent).
    pub async fn running_training_jobs_v2_in_workspace(
        &self,
        search: Option<String>,
        workspace_id: Option<&str>,
    ) -> Result<Vec<TrainingJobId>, Error> {
        let found = self.running_training_jobs_v2_described(search, workspace_id).await?;
        Ok(found
            .into_iter()
            .filter_map(|s| match s.target {
                JobRef::V2(id) => Some(id),
                JobRef::V1 { .. } => None,
            })
            .collect())
    }

    /// Every workspace of the project (`GET /v1/{project}/workspaces`, page after page of
    /// [`DEFAULT_V2_PAGE_SIZE`]), the default workspace `"0"` among them, in the service's order.
    /// The walk is bounded by the protocol's
    /// [`WorkspaceWalk`](modelarts_protocol::workspace::WorkspaceWalk): a page that only repeats
    /// workspaces already seen, or the walk's ceiling, is [`Error::Walk`] (never a silent
    /// truncation). An answer of 404 `APIG.0101` is an error whose
    /// [`is_api_absent`](Error::is_api_absent) is true.
    pub async fn list_workspaces(&self) -> Result<Vec<Workspace>, Error> {
        let mut walk = WorkspaceWalk::new(DEFAULT_V2_PAGE_SIZE);
        let op = ListWorkspaces {
            limit: Some(walk.limit()),
            ..ListWorkspaces::new(self.inner.project_id.clone())
        };
        let mut offset = walk.first_offset();
        let mut workspaces = Vec::new();
        loop {
            let page = self.call(&op.at_offset(offset)).await?;
            let (fresh, step) = walk.accept(page).map_err(Error::Walk)?;
            workspaces.extend(fresh);
            match step {
                PageStep::Next(next) => offset = next,
                PageStep::Done => return Ok(workspaces),
                PageStep::Exceeded(error) => return Err(Error::Walk(error)),
            }
        }
    }
}
