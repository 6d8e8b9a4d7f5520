//! What the list commands of both APIs share (and the commands that name no job): which API and
//! which v2 workspaces a command reads, the dry run of a walk over every page, the note under a
//! page that does not show every job. The v1 and v2 printers (`inspect.rs`, `inspect_v2.rs`) and
//! the commands over both APIs (`both.rs`) use it; it uses none of them.

use futures_util::{Stream, StreamExt};
use modelarts_protocol::model::JobSummary;
use modelarts_protocol::target::ApiVersion;
use modelarts_protocol::v2::TrainingJob;
use modelarts_sdk::{Client, DryRunSender, Error, ListQuery, V2ListQuery};

use super::{Context, dry_run};
use crate::args::ApiArg;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::Stdout;

/// The API a command that names no job reads: `--api`, else `MODELARTS_API` or the profile's
/// `api` (read by the SDK); `None`: both.
pub(crate) fn chosen_api(flag: Option<ApiArg>, client: &Client) -> Option<ApiVersion> {
    flag.map(ApiVersion::from).or_else(|| client.default_api())
}

/// The v2 workspaces a command reads: every one the credentials can list (`--all-workspaces`),
/// else the one chosen (`--workspace-id`, `MODELARTS_WORKSPACE_ID`, the profile), else the
/// service's default; `None` stands for "the client's own choice". The note says which, so that a
/// user never wonders where the other jobs went.
pub(crate) async fn workspaces(
    all: bool,
    client: &Client,
    ctx: &Context<'_>,
) -> Result<Vec<Option<String>>, Failure> {
    if !all {
        match client.workspace_id() {
            Some(id) => ctx.stderr.note(&format!("v2 workspace read: {id}")),
            None => ctx.stderr.note(&format!(
                "v2 workspace read: {} (the default; --workspace-id ID or --all-workspaces for the others)",
                modelarts_sdk::DEFAULT_WORKSPACE_ID
            )),
        }
        return Ok(vec![None]);
    }
    let found = client
        .list_workspaces()
        .await
        .map_err(|e| Failure::sdk("cannot list the workspaces (--all-workspaces)", &e))?;
    let ids: Vec<Option<String>> = found.into_iter().filter_map(|w| w.id).map(Some).collect();
    ctx.stderr.note(&format!(
        "v2 workspaces read: {}",
        ids.iter().flatten().cloned().collect::<Vec<_>>().join(", ")
    ));
    Ok(ids)
}

/// A query `list --all` walks page by page: v1 ([`ListQuery`]) or v2 ([`V2ListQuery`]).
pub(crate) trait ListAll: Sized {
    /// What a page holds.
    type Item;

    /// The SDK's walk over every page.
    fn walk(self, client: &Client<DryRunSender>) -> impl Stream<Item = Result<Self::Item, Error>> + '_;
}

impl ListAll for ListQuery {
    type Item = JobSummary;

    fn walk(self, client: &Client<DryRunSender>) -> impl Stream<Item = Result<JobSummary, Error>> + '_ {
        client.list_training_jobs_all(self)
    }
}

impl ListAll for V2ListQuery {
    type Item = TrainingJob;

    fn walk(self, client: &Client<DryRunSender>) -> impl Stream<Item = Result<TrainingJob, Error>> + '_ {
        client.list_training_jobs_v2_all(self)
    }
}

/// `list --all --dry-run`: prints the first page's request, and notes that the walk may send more.
pub(crate) async fn dry_run_list_all<Q: ListAll>(
    client: &Client,
    query: Q,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    ctx.stderr.note("note: --all reads more pages after this one, as long as the answers call for them");
    dry_run(
        client,
        |c| async move {
            let mut items = std::pin::pin!(query.walk(&c));
            items.next().await.transpose()
        },
        out,
    )
    .await
}

/// The note under one page of a list when the server counts more jobs than the page shows.
pub(crate) fn note_more_jobs(ctx: &Context<'_>, shown: usize, total: Option<i64>, page: Option<u32>) {
    if let Some(total) = total
        && total > i64::try_from(shown).unwrap_or(i64::MAX)
    {
        ctx.stderr.note(&format!(
            "{shown} of {total} jobs shown (page {}); use --page N, --per-page N or --all for more",
            page.unwrap_or(1)
        ));
    }
}
