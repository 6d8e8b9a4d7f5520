//! What stop targets are, before they are stopped: v2 jobs found by name, and the name, status and
//! creation time of targets (the running ones as listed, or a list of IDs read in few requests),
//! for a confirmation that shows what it is about to stop.
//!
//! The decisions are the protocol's ([`JobName::pick`], [`TargetSummary`]); this module only reads.

use std::collections::HashMap;

use futures_util::{StreamExt, stream};
use modelarts_http::HttpSend;
use modelarts_protocol::operations::list_training_jobs::ListQuery;
use modelarts_protocol::operations::v2::list::Filter;
use modelarts_protocol::target::{JobRef, TargetSummary};
use modelarts_protocol::v2::pagination::MAX_LIMIT;
use modelarts_protocol::v2::{JobName, TrainingJob, TrainingJobId};

use crate::client::Client;
use crate::error::Error;
use crate::v2::V2ListQuery;

/// How many reads [`Client::describe_targets`] has in flight at once.
const DESCRIBE_CONCURRENCY: usize = 8;

impl<T: HttpSend<Error: Send + Sync + 'static>> Client<T> {
    /// Every v2 job that bears exactly `name` (case included), in any phase, from a walk of the v2
    /// search narrowed by the name ([`JobName::search_filter`]) in workspace `workspace_id`
    /// (`None`: the default workspace). Pick the one meant with [`JobName::pick`]. A walk that fails
    /// part-way is an error, as in
    /// [`list_training_jobs_v2_all`](Self::list_training_jobs_v2_all).
    ///
    /// ```no_run
    /// # async fn f<T>(client: modelarts_sdk::Client<T>) -> Result<(), Box<dyn std::error::Error>>
    /// # where T: modelarts_sdk::HttpSend<Error: Send + Sync + 'static> {
    /// use modelarts_sdk::{JobName, NameScope};
    /// let name = JobName::new("llama-finetune")?;
    /// let jobs = client.training_jobs_v2_named(&name, None).await?;
    /// let job = name.pick(NameScope::NotFinal, &jobs)?;
    /// client.terminate_training_job(&job.id().expect("a picked job has an id")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn training_jobs_v2_named(
        &self,
        name: &JobName,
        workspace_id: Option<&str>,
    ) -> Result<Vec<TrainingJob>, Error> {
        let query = V2ListQuery {
            filters: vec![name.search_filter()],
            workspace_id: workspace_id.map(str::to_owned),
            ..V2ListQuery::default()
        };
        let mut jobs = std::pin::pin!(self.list_training_jobs_v2_all(query));
        let mut named = Vec::new();
        while let Some(job) = jobs.next().await {
            let job = job?;
            if name.names(&job) {
                named.push(job);
            }
        }
        Ok(named)
    }

    /// The running (stoppable) v2 jobs whose name contains `search`, as
    /// [`running_training_jobs_v2_in_workspace`](Self::running_training_jobs_v2_in_workspace)
    /// finds them, with the name, phase and creation time the search showed.
    pub async fn running_training_jobs_v2_described(
        &self,
        search: Option<String>,
        workspace_id: Option<&str>,
    ) -> Result<Vec<TargetSummary>, Error> {
        let filters = search.map(Filter::name_like).into_iter().collect();
        let query =
            V2ListQuery { filters, workspace_id: workspace_id.map(str::to_owned), ..Default::default() };
        let mut jobs = std::pin::pin!(self.list_training_jobs_v2_all(query));
        let mut found = Vec::new();
        while let Some(job) = jobs.next().await {
            let job = job?;
            if job.phase().is_some_and(|p| p.is_stoppable())
                && let Some(summary) = TargetSummary::of_v2_job(&job)
            {
                found.push(summary);
            }
        }
        Ok(found)
    }

    /// The running or pending latest versions that [`running_versions`](Self::running_versions)
    /// finds, with the job's name, the status and the creation time the list showed (or, for a job
    /// whose latest version the list did not name, the versions list did).
    pub async fn running_versions_described(
        &self,
        search: Option<String>,
    ) -> Result<Vec<TargetSummary>, Error> {
        let mut query = ListQuery::default();
        query.search = search;
        let mut jobs = std::pin::pin!(self.list_training_jobs_all(query));
        let mut found = Vec::new();
        while let Some(job) = jobs.next().await {
            let job = job?;
            if !job.status.is_stoppable() {
                continue;
            }
            match job.version_id {
                Some(version) => found.push(TargetSummary::of_v1_job(&job, version)),
                None => {
                    let versions = self.list_training_job_versions(job.job_id).await?;
                    if let Some(latest) = versions.versions.iter().max_by_key(|v| v.version_id)
                        && latest.status.is_stoppable()
                    {
                        let mut summary = TargetSummary::of_v1_version(job.job_id, latest);
                        summary.name = summary.name.or_else(|| job.job_name.clone());
                        found.push(summary);
                    }
                }
            }
        }
        Ok(found)
    }

    /// The name, status and creation time of each target, in the order given: v2 jobs by one
    /// search per 50 IDs (an `id in` filter), and singly those the search did not return (another
    /// workspace, a lagging index); v1 versions by one show each. A target whose read failed is
    /// [`TargetSummary::unread`]: this never fails, it describes what it could.
    pub async fn describe_targets(&self, targets: &[JobRef]) -> Vec<TargetSummary> {
        let v2: Vec<&TrainingJobId> = targets
            .iter()
            .filter_map(|t| match t {
                JobRef::V2(id) => Some(id),
                JobRef::V1 { .. } => None,
            })
            .collect();
        let mut seen: HashMap<TrainingJobId, TrainingJob> = HashMap::new();
        let chunk = usize::try_from(MAX_LIMIT).unwrap_or(50);
        for ids in v2.chunks(chunk) {
            let query = V2ListQuery::default()
                .with_limit(MAX_LIMIT)
                .with_filters(vec![Filter::id_in(ids.iter().map(|id| id.as_str()))]);
            match self.list_training_jobs_v2(&query).await {
                Ok(list) => {
                    for job in list.items {
                        if let Some(id) = job.id()
                            && ids.contains(&&id)
                        {
                            seen.entry(id).or_insert(job);
                        }
                    }
                }
                Err(e) => tracing::debug!(error = %e, "the v2 search for the preview failed"),
            }
        }
        let reads = targets.iter().map(|target| {
            let listed = match target {
                JobRef::V2(id) => seen.get(id).and_then(TargetSummary::of_v2_job),
                JobRef::V1 { .. } => None,
            };
            async move {
                if let Some(summary) = listed {
                    return summary;
                }
                let read = match target {
                    JobRef::V2(id) => {
                        self.show_training_job(id).await.map(|job| TargetSummary::of_v2_job(&job))
                    }
                    JobRef::V1 { job, version } => self
                        .show_training_job_version(*job, *version)
                        .await
                        .map(|v| Some(TargetSummary::of_v1_version(*job, &v))),
                };
                match read {
                    // The answer is about another target (a hostile server): not this one's.
                    Ok(Some(summary)) if summary.target == *target => summary,
                    Ok(_) => TargetSummary::unread(target.clone()),
                    Err(e) => {
                        tracing::debug!(%target, error = %e, "cannot read the target for the preview");
                        TargetSummary::unread(target.clone())
                    }
                }
            }
        });
        stream::iter(reads).buffered(DESCRIBE_CONCURRENCY).collect().await
    }
}
