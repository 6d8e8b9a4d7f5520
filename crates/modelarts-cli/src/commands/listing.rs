//! What the list commands of both APIs share (and the commands that name no job): which API and
//! which v2 workspaces a command reads, the dry run of a walk over every page, the note under a
//! page that does not show every job. The v1 and v2 printers (`inspect.rs`, `inspect_v2.rs`) and
//! the commands over both APIs (`both.rs`) use it; it uses none of them.

use futures_util::{Stream, StreamExt};
use modelarts_protocol::model::JobSummary;
use modelarts_protocol::target::ApiVersion;
use modelarts_protocol::v2::TrainingJob;
use modelarts_sdk::{Client, DryRunSender, Error, ListQuery, V2ListQuery};
use serde_json::Value;

use super::{Context, dry_run, io_failure};
use crate::args::ApiArg;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::{Stdout, Table};

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

/// How one API's `list --all` prints: its table, a job as JSON and as a row, and the names its
/// document and messages use.
pub(crate) struct WalkFormat<T> {
    /// What is listed, for the spinner and the messages: `training jobs`, `v2 training jobs`.
    pub(crate) what: &'static str,
    pub(crate) table: Table,
    /// The document's opening, up to its array: `{"schema_version":2,"jobs":[`.
    pub(crate) open: String,
    /// The key of the count after the array: `job_total_count` (v1), `total` (v2).
    pub(crate) count_key: &'static str,
    pub(crate) json: fn(&T) -> Value,
    pub(crate) row: fn(&T) -> Vec<String>,
}

/// `list --all` of one API: prints each page as it arrives, so memory stays flat however long the
/// list. Table rows page by page (the header once; a column widens when a page needs it and never
/// narrows), one JSON object per line with `jsonl`, and with `json` one document written as it
/// goes, `…[…],"complete":…,"<count_key>":N}`, where `complete` is `false` when the walk failed
/// part-way (the jobs before the failure are printed; the error is on stderr, the exit status
/// says which). Stops reading when stdout is gone.
pub(crate) async fn print_all<T>(
    walk: impl Stream<Item = Result<T, Error>>,
    chunk: usize,
    mut format: WalkFormat<T>,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let spinner = ctx.progress.spinner(format!("listing {}", format.what));
    let mut pages = std::pin::pin!(walk.ready_chunks(chunk.max(1)));
    let document = out.is_json() && !out.is_jsonl();
    let mut count: u64 = 0;
    let mut written: std::io::Result<()> = if document { out.json_piece(&format.open) } else { Ok(()) };
    let mut failed = None;
    while let Some(page) = pages.next().await {
        let jobs = read_page(page, &mut failed);
        if written.is_ok() && !jobs.is_empty() {
            written = spinner.suspend(|| {
                let page = Page { table: &mut format.table, before: count, document };
                page.print(&jobs, format.json, format.row, out)
            });
        }
        count += u64::try_from(jobs.len()).unwrap_or(u64::MAX);
        spinner.inc(u64::try_from(jobs.len()).unwrap_or(u64::MAX));
        // A failed walk, or stdout gone (`| head`): read no further.
        if failed.is_some() || written.is_err() {
            break;
        }
    }
    spinner.finish_and_clear();
    if document && written.is_ok() {
        let mut end = serde_json::Map::new();
        end.insert("complete".into(), failed.is_none().into());
        end.insert(format.count_key.into(), count.into());
        let end = Value::Object(end).to_string();
        // The end's fields without their braces, after the array.
        written = out.line(&format!("],{}", &end[1..]));
    }
    if let Some(e) = failed {
        return Err(Failure::sdk(format!("cannot list {}", format.what), &e));
    }
    written.map_err(io_failure)?;
    if count == 0 && !out.is_json() {
        ctx.stderr.note(&format!("no {} found", format.what));
    }
    Ok(ExitStatus::Success)
}

/// One page of a `list --all` that prints as it goes: after `before` jobs, in the document
/// (`document`: pieces of one JSON array), as JSON lines, or as rows of `table`.
pub(crate) struct Page<'a> {
    pub(crate) table: &'a mut Table,
    pub(crate) before: u64,
    pub(crate) document: bool,
}

impl Page<'_> {
    pub(crate) fn print<T>(
        self,
        jobs: &[T],
        json: impl Fn(&T) -> Value,
        row: impl Fn(&T) -> Vec<String>,
        out: &mut Stdout,
    ) -> std::io::Result<()> {
        if self.document {
            let pieces: Vec<String> = jobs.iter().map(|j| json(j).to_string()).collect();
            let lead = if self.before > 0 { "," } else { "" };
            out.json_piece(&format!("{lead}{}", pieces.join(",")))
        } else if out.is_jsonl() {
            jobs.iter().try_for_each(|j| out.json(&json(j)))
        } else {
            let rows: Vec<Vec<String>> = jobs.iter().map(row).collect();
            let text = self.table.render_rows(&rows);
            out.line(text.trim_end_matches('\n'))
        }
    }
}

/// The jobs of a page of a walk; its error, if the walk failed there, into `failed`.
pub(crate) fn read_page<T>(page: Vec<Result<T, Error>>, failed: &mut Option<Error>) -> Vec<T> {
    let mut jobs = Vec::with_capacity(page.len());
    for item in page {
        match item {
            Ok(job) => jobs.push(job),
            Err(e) => *failed = Some(e),
        }
    }
    jobs
}
