//! Every page of the job list as a `Stream`, driven by [`modelarts_protocol::pagination::Paginator`],
//! and the running versions a `stop --running` targets.

use std::collections::VecDeque;

use futures_util::Stream;
use modelarts_http::HttpSend;
use modelarts_protocol::ids::{JobId, VersionId};
use modelarts_protocol::model::JobSummary;
use modelarts_protocol::pagination::{PageStep, Paginator};
use modelarts_protocol::target::JobRef;

use modelarts_protocol::operations::list_training_jobs::{ListQuery, MAX_PER_PAGE};

use crate::client::Client;
use crate::error::Error;

/// The page size [`Client::list_training_jobs_all`] uses when the query sets none.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// The query of page `page` of a walk over every page: `per_page` set (the query's, else
/// [`DEFAULT_PAGE_SIZE`], within 1 to 1000).
fn page_of_all(query: &ListQuery, page: u32) -> ListQuery {
    let per_page = query.per_page.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PER_PAGE);
    query.clone().with_page(page).with_per_page(per_page)
}

impl<T: HttpSend<Error: Send + Sync + 'static>> Client<T> {
    /// Every job matching `query`, page after page (from page 1, `query.per_page` or
    /// [`DEFAULT_PAGE_SIZE`] per page). Ends after an empty or short page or the announced total.
    /// A page that only repeats jobs already seen, or a list longer than the one item bound of both
    /// APIs ([`MAX_WALK_ITEMS`](modelarts_protocol::pagination::MAX_WALK_ITEMS) jobs, and the page
    /// bound derived from it), yields [`Error::Walk`] after the jobs read so far, up to the bound: a
    /// misbehaving server can neither make it loop nor truncate the list silently.
    /// An error is yielded once and ends the stream; memory is bounded by the IDs seen.
    pub fn list_training_jobs_all(
        &self,
        query: ListQuery,
    ) -> impl Stream<Item = Result<JobSummary, Error>> + '_ {
        struct Walk {
            query: ListQuery,
            paginator: Paginator,
            buffer: VecDeque<JobSummary>,
            next: Option<u32>,
            /// The error to yield once the buffer is empty (a bound was reached).
            pending: Option<Error>,
        }
        let paginator = Paginator::new(page_of_all(&query, 1).per_page.unwrap_or(DEFAULT_PAGE_SIZE));
        let walk = Walk {
            next: Some(paginator.first_page()),
            query,
            paginator,
            buffer: VecDeque::new(),
            pending: None,
        };
        futures_util::stream::unfold(walk, move |mut walk| async move {
            loop {
                if let Some(job) = walk.buffer.pop_front() {
                    return Some((Ok(job), walk));
                }
                let Some(page) = walk.next else {
                    return walk.pending.take().map(|e| (Err(e), walk));
                };
                match self.list_training_jobs(page_of_all(&walk.query, page)).await {
                    Ok(list) => match walk.paginator.accept(list) {
                        Ok((jobs, step)) => {
                            walk.buffer.extend(jobs);
                            walk.next = match step {
                                PageStep::Next(page) => Some(page),
                                PageStep::Done => None,
                                PageStep::Exceeded(e) => {
                                    tracing::warn!(page, error = %e, "abandoning the walk over the job list");
                                    walk.pending = Some(Error::Walk(e));
                                    None
                                }
                            };
                        }
                        Err(e) => {
                            tracing::warn!(page, error = %e, "abandoning the walk over the job list");
                            walk.next = None;
                            return Some((Err(Error::Walk(e)), walk));
                        }
                    },
                    Err(e) => {
                        walk.next = None;
                        return Some((Err(e), walk));
                    }
                }
            }
        })
    }

    /// Every running or pending (stoppable) latest version of the jobs whose name contains `search`
    /// (all jobs when `None`), in list order.
    pub async fn running_versions(&self, search: Option<String>) -> Result<Vec<(JobId, VersionId)>, Error> {
        let found = self.running_versions_described(search).await?;
        Ok(found
            .into_iter()
            .filter_map(|s| match s.target {
                JobRef::V1 { job, version } => Some((job, version)),
                JobRef::V2(_) => None,
            })
            .collect())
    }
}
