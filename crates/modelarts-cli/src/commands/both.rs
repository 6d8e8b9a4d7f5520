//! The commands that name no job (`list`, `stop --running`) without `--api`: both APIs, v2 first.
//!
//! Every job created since v1 was retired (2023) is a v2 job, so no such command may miss one. The
//! v1 part is skipped only when the service says the v1 API is not there
//! ([`modelarts_sdk::Error::is_api_absent`]: the gateway's 404 `APIG.0101`). A refused credential
//! or certificate (exit 3) ends the command before anything more is sent; any other failure of one
//! API lets the other's part run, then exits non-zero and says what may have been missed.

use futures_util::StreamExt;
use modelarts_protocol::model::JobSummary;
use modelarts_protocol::target::{ApiVersion, TargetSummary};
use modelarts_protocol::v2::TrainingJob;
use modelarts_sdk::{Client, ListQuery};
use serde_json::{Value, json};

use super::listing::workspaces;
use super::{Context, io_failure};
use crate::args::ListArgs;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::{Stdout, Table, age_cell, duration_cell, item_json, status_cell, text_cell};

/// How one API's part of a command ended.
#[derive(Debug)]
pub(crate) enum Part<T> {
    /// Read.
    Read(T),
    /// The API is not there (v1 retired at this endpoint): nothing to read.
    Absent,
    /// It failed: the failure to report once the other API's part is done.
    Failed(Failure),
}

impl<T> Part<T> {
    /// The failure of a part that failed, leaving it as one that read nothing.
    fn take_failure(&mut self) -> Option<Failure> {
        match std::mem::replace(self, Part::Absent) {
            Part::Failed(f) => Some(f),
            other => {
                *self = other;
                None
            }
        }
    }
}

/// Decides one API's failure: `Err` ends the command at once (credentials or the certificate
/// refused: the other API would be refused the same way, and each refusal counts towards the
/// key's lock-out); else the part is skipped (v1 not there) or reported later.
pub(crate) fn part_of<T>(
    api: ApiVersion,
    result: Result<T, modelarts_sdk::Error>,
    context: &str,
) -> Result<Part<T>, Failure> {
    match result {
        Ok(value) => Ok(Part::Read(value)),
        Err(e) if api == ApiVersion::V1 && e.is_api_absent() => {
            tracing::info!("the v1 API is not there (APIG.0101): only v2 was read");
            Ok(Part::Absent)
        }
        Err(e) => {
            let failure = Failure::sdk(format!("{context} ({api})"), &e);
            if failure.status == ExitStatus::Config {
                return Err(failure);
            }
            Ok(Part::Failed(failure))
        }
    }
}

/// A job of either API, as `list` shows it.
enum Item<'a> {
    V1(&'a JobSummary),
    V2(&'a TrainingJob),
}

impl Item<'_> {
    fn created(&self) -> Option<i64> {
        match self {
            Item::V1(j) => j.create_time,
            Item::V2(j) => j.create_time_ms(),
        }
    }

    fn json(&self) -> Value {
        match self {
            Item::V1(j) => {
                let mut value = item_json(j, j.status);
                if let Value::Object(map) = &mut value {
                    map.insert("api".into(), "v1".into());
                }
                value
            }
            Item::V2(j) => super::inspect_v2::job_json(j),
        }
    }

    fn row(&self) -> Vec<String> {
        let now = std::time::SystemTime::now();
        match self {
            Item::V1(j) => vec![
                "v1".to_owned(),
                j.job_id.to_string(),
                text_cell(j.job_name.as_deref()),
                j.version_id.map_or_else(|| "-".to_owned(), |v| v.to_string()),
                status_cell(j.status),
                age_cell(j.create_time, now),
                duration_cell(j.duration),
            ],
            Item::V2(j) => vec![
                "v2".to_owned(),
                text_cell(j.id_text()),
                text_cell(j.name()),
                "-".to_owned(),
                text_cell(j.phase().map(|p| p.as_str())),
                age_cell(j.create_time_ms(), now),
                duration_cell(j.duration_ms()),
            ],
        }
    }
}

fn table() -> Table {
    Table::new(["API", "JOB_ID", "NAME", "VERSION_ID", "STATUS", "AGE", "DURATION"])
}

/// `training-job list` without `--all`, over both APIs (or one, with `api`) and any workspaces: the
/// first page of each, merged by creation time, newest first. `--page` and `--sort-by` need one
/// API (a page of one API is not a page of both).
pub(crate) async fn list(
    args: &ListArgs,
    api: Option<ApiVersion>,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    if api.is_none() && (args.page.is_some() || args.sort_by.is_some()) {
        return Err(Failure::usage(
            "--page and --sort-by need --api v2 or --api v1: without --api, list shows the first page of each API, newest first",
        ));
    }
    let client = ctx.client()?;
    if args.all && !ctx.global.dry_run {
        return list_all(args, &client, ctx, out).await;
    }
    let v1_status = args.status.as_ref().and_then(|s| s.v1);
    // A status only one API knows reads only that API.
    let read_v1 = api != Some(ApiVersion::V2) && (args.status.is_none() || v1_status.is_some());
    let read_v2 = api != Some(ApiVersion::V1) && args.status.as_ref().is_none_or(|s| !s.phases.is_empty());
    let v2_query = super::inspect_v2::query(args)?;
    let mut v1_query = ListQuery::default();
    v1_query.status = v1_status;
    v1_query.per_page = args.per_page;
    v1_query.order = args.order.map(Into::into);
    v1_query.search = args.search.clone();
    if ctx.global.dry_run {
        // The requests each part would send, v2 first (the workspace list is read: reads change nothing).
        let mut exit = ExitStatus::Success;
        if read_v2 {
            for workspace in workspaces(args.all_workspaces, &client, ctx).await? {
                let query = match workspace {
                    Some(id) => v2_query.clone().with_workspace_id(id),
                    None => v2_query.clone(),
                };
                exit = super::dry_run(&client, |c| async move { c.list_training_jobs_v2(&query).await }, out)
                    .await?;
            }
        }
        if read_v1 {
            exit =
                super::dry_run(&client, |c| async move { c.list_training_jobs(v1_query).await }, out).await?;
        }
        return Ok(exit);
    }

    let mut v2_parts = Vec::new();
    if read_v2 {
        for workspace in workspaces(args.all_workspaces, &client, ctx).await? {
            let query = match &workspace {
                Some(id) => v2_query.clone().with_workspace_id(id.clone()),
                None => v2_query.clone(),
            };
            let spinner = ctx.progress.spinner("listing v2 training jobs".to_owned());
            let result = client.list_training_jobs_v2(&query).await;
            spinner.finish_and_clear();
            v2_parts.push((workspace, part_of(ApiVersion::V2, result, "cannot list the training jobs")?));
        }
    }
    let v1 = if read_v1 {
        let spinner = ctx.progress.spinner("listing v1 training jobs".to_owned());
        let result = client.list_training_jobs(v1_query).await;
        spinner.finish_and_clear();
        Some(part_of(ApiVersion::V1, result, "cannot list the training jobs")?)
    } else {
        None
    };

    // The failures first (moved out), then the items (borrowed from the pages read).
    let mut v1 = v1;
    let mut failures: Vec<Failure> = Vec::new();
    for (_, part) in &mut v2_parts {
        failures.extend(part.take_failure());
    }
    if let Some(part) = &mut v1 {
        failures.extend(part.take_failure());
    }
    let mut items: Vec<Item<'_>> = Vec::new();
    let mut apis_read: Vec<&str> = Vec::new();
    let mut complete = true;
    let mut more = |api: &str, shown: usize, total: Option<i64>| {
        if total.is_some_and(|t| t > i64::try_from(shown).unwrap_or(i64::MAX)) {
            complete = false;
            ctx.stderr.note(&format!(
                "{api}: {shown} of {} jobs shown; for every one: modelarts training-job list --api {api} --all",
                total.unwrap_or_default()
            ));
        }
    };
    for (_, part) in &v2_parts {
        match part {
            Part::Read(page) => {
                if !apis_read.contains(&"v2") {
                    apis_read.push("v2");
                }
                more("v2", page.items.len(), page.total);
                // A server may ignore a filter: only the jobs that pass every one are shown.
                items.extend(
                    page.items.iter().filter(|j| v2_query.filters.iter().all(|f| f.matches(j))).map(Item::V2),
                );
            }
            Part::Absent | Part::Failed(_) => {}
        }
    }
    if let Some(part) = &v1 {
        match part {
            Part::Read(page) => {
                apis_read.push("v1");
                more("v1", page.jobs.len(), page.job_total_count);
                items.extend(page.jobs.iter().map(Item::V1));
            }
            Part::Absent | Part::Failed(_) => {}
        }
    }
    let complete = complete && failures.is_empty();
    // Newest first; a job without a creation time last. The sort is stable: v2 before v1 on a tie.
    items.sort_by_key(|item| std::cmp::Reverse(item.created().unwrap_or(i64::MIN)));

    if out.is_jsonl() {
        for item in &items {
            out.json(&item.json()).map_err(io_failure)?;
        }
    } else if out.is_json() {
        let docs: Vec<Value> = items.iter().map(Item::json).collect();
        let workspaces: Vec<&str> = v2_parts
            .iter()
            .map(|(w, _)| {
                w.as_deref().or(client.workspace_id()).unwrap_or(modelarts_sdk::DEFAULT_WORKSPACE_ID)
            })
            .collect();
        let document = json!({
            "apis_read": apis_read,
            "workspaces_read": workspaces,
            "items": docs,
            "complete": complete,
        });
        out.json(&document).map_err(io_failure)?;
    } else if items.is_empty() {
        if failures.is_empty() {
            let read = if apis_read.is_empty() { "no API".to_owned() } else { apis_read.join(" and ") };
            ctx.stderr.note(&format!("no training jobs found ({read} read)"));
        }
    } else {
        let mut t = table();
        for item in &items {
            t.row(item.row());
        }
        out.table(&t).map_err(io_failure)?;
    }
    Ok(report_missed(failures, "the jobs of that API are missing from this list", ctx))
}

/// `training-job list --all` over both APIs: every v2 job (the workspace read), then every v1 job,
/// printed as the pages arrive (memory stays flat). Table rows page by page; `-o jsonl` one job per
/// line; `-o json` one document written as it goes,
/// `{"schema_version":2,"items":[…],"apis_read":[…],"complete":…}`, where `complete` is false when a
/// part failed (the error is on stderr after the document, the exit status says which).
async fn list_all(
    args: &ListArgs,
    client: &Client,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let document = out.is_json() && !out.is_jsonl();
    let v2_query = super::inspect_v2::query(args)?;
    let v1_status = args.status.as_ref().and_then(|s| s.v1);
    let read_v1 = args.status.is_none() || v1_status.is_some();
    let read_v2 = args.status.as_ref().is_none_or(|s| !s.phases.is_empty());
    let mut v1_query =
        ListQuery::default().with_per_page(args.per_page.unwrap_or(modelarts_sdk::DEFAULT_PAGE_SIZE));
    v1_query.status = v1_status;
    v1_query.order = args.order.map(Into::into);
    v1_query.search = args.search.clone();
    if read_v2 {
        workspaces(false, client, ctx).await?;
    }
    let mut printer = AllPrinter { table: table(), count: 0, document };
    let mut written: std::io::Result<()> = if document {
        out.json_piece(&format!("{{\"schema_version\":{},\"items\":[", crate::json_docs::SCHEMA_VERSION))
    } else {
        Ok(())
    };
    let mut apis_read = Vec::new();
    let mut failures = Vec::new();
    let mut stop_now = false;
    let spinner = ctx.progress.spinner("listing training jobs (v2, then v1)".to_owned());
    // Each part in turn: v2, then v1 (unless the credentials were refused, or stdout is gone).
    if read_v2 && written.is_ok() {
        let chunk =
            usize::try_from(v2_query.limit.unwrap_or(modelarts_sdk::DEFAULT_V2_PAGE_SIZE)).unwrap_or(1);
        let filters = v2_query.filters.clone();
        // A server may ignore a filter: only the jobs that pass every one are shown.
        let walk = client.list_training_jobs_v2_all(v2_query).filter(move |job| {
            std::future::ready(
                job.as_ref().is_ok_and(|j| filters.iter().all(|f| f.matches(j))) || job.is_err(),
            )
        });
        let failed;
        (written, failed) = print_walk(walk, chunk, &mut printer, &spinner, out).await;
        match failed.map(|e| part_of::<()>(ApiVersion::V2, Err(e), "cannot list the training jobs")) {
            None => apis_read.push("v2"),
            Some(Ok(Part::Failed(f))) => failures.push(f),
            Some(Ok(Part::Read(()) | Part::Absent)) => {}
            // Refused credentials: nothing more is sent (the document is still closed).
            Some(Err(f)) => {
                failures.push(f);
                stop_now = true;
            }
        }
    }
    if read_v1 && written.is_ok() && !stop_now {
        let chunk =
            usize::try_from(v1_query.per_page.unwrap_or(modelarts_sdk::DEFAULT_PAGE_SIZE)).unwrap_or(1);
        let failed;
        (written, failed) =
            print_walk(client.list_training_jobs_all(v1_query), chunk, &mut printer, &spinner, out).await;
        match failed.map(|e| part_of::<()>(ApiVersion::V1, Err(e), "cannot list the training jobs")) {
            None => apis_read.push("v1"),
            Some(Ok(Part::Failed(f)) | Err(f)) => failures.push(f),
            Some(Ok(Part::Read(()) | Part::Absent)) => {}
        }
    }
    spinner.finish_and_clear();
    if document && written.is_ok() {
        let end = json!({ "apis_read": apis_read, "complete": failures.is_empty() }).to_string();
        // `"apis_read":…,"complete":…` without its braces, after the array.
        written = out.line(&format!("],{}", &end[1..]));
    }
    written.map_err(io_failure)?;
    if printer.count == 0 && !out.is_json() && failures.is_empty() {
        ctx.stderr.note(&format!("no training jobs found ({} read)", apis_read.join(" and ")));
    }
    Ok(report_missed(failures, "the jobs of that API are missing from this list", ctx))
}

/// A job of either API's walk, as `list` shows it.
trait Listed {
    fn item(&self) -> Item<'_>;
}

impl Listed for JobSummary {
    fn item(&self) -> Item<'_> {
        Item::V1(self)
    }
}

impl Listed for TrainingJob {
    fn item(&self) -> Item<'_> {
        Item::V2(self)
    }
}

/// Prints one API's walk page by page (`chunk` jobs at a time) as it arrives: how the writing
/// went, and the walk's error, if it failed part-way (the jobs before it are printed). Stops
/// reading when stdout is gone.
async fn print_walk<T: Listed>(
    walk: impl futures_util::Stream<Item = Result<T, modelarts_sdk::Error>>,
    chunk: usize,
    printer: &mut AllPrinter,
    spinner: &indicatif::ProgressBar,
    out: &mut Stdout,
) -> (std::io::Result<()>, Option<modelarts_sdk::Error>) {
    let mut pages = std::pin::pin!(walk.ready_chunks(chunk.max(1)));
    let mut failed = None;
    let mut written = Ok(());
    while let Some(page) = pages.next().await {
        let jobs = super::listing::read_page(page, &mut failed);
        let items: Vec<Item<'_>> = jobs.iter().map(Listed::item).collect();
        written = spinner.suspend(|| printer.print(&items, out));
        if failed.is_some() || written.is_err() {
            break;
        }
    }
    (written, failed)
}

/// Prints the pages of `list --all` over both APIs as they arrive.
struct AllPrinter {
    table: Table,
    count: u64,
    document: bool,
}

impl AllPrinter {
    fn print(&mut self, items: &[Item<'_>], out: &mut Stdout) -> std::io::Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let page =
            super::listing::Page { table: &mut self.table, before: self.count, document: self.document };
        let result = page.print(items, Item::json, Item::row, out);
        self.count += u64::try_from(items.len()).unwrap_or(u64::MAX);
        result
    }
}

/// Reports the failures of the parts that failed (after the others' output): each with what may
/// have been missed; returns the worst exit status.
pub(crate) fn report_missed(failures: Vec<Failure>, missed: &str, ctx: &Context<'_>) -> ExitStatus {
    let mut exit = ExitStatus::Success;
    for mut failure in failures {
        failure.hints.push(missed.to_owned());
        ctx.explain(&mut failure);
        ctx.stderr.always(&if ctx.global.output == crate::args::OutputFormat::Table {
            failure.text()
        } else {
            failure.json().to_string()
        });
        exit = exit.worst(failure.status);
    }
    exit
}

/// The running jobs for `stop --running`: v2 jobs not in a final phase (in each workspace read),
/// then the latest version of each running v1 job, of the APIs chosen (`None`: both); and the
/// failures of a part that could not be listed (its running jobs may have been missed).
pub(crate) async fn running(
    client: &Client,
    api: Option<ApiVersion>,
    search: Option<String>,
    all_workspaces: bool,
    ctx: &Context<'_>,
) -> Result<(Vec<TargetSummary>, Vec<Failure>), Failure> {
    let context = "cannot list the running training jobs";
    let mut targets = Vec::new();
    let mut failures = Vec::new();
    if api != Some(ApiVersion::V1) {
        for workspace in workspaces(all_workspaces, client, ctx).await? {
            let spinner = ctx.progress.spinner("listing running v2 training jobs".to_owned());
            let result =
                client.running_training_jobs_v2_described(search.clone(), workspace.as_deref()).await;
            spinner.finish_and_clear();
            match part_of(ApiVersion::V2, result, context)? {
                Part::Read(found) => targets.extend(found),
                Part::Absent => {}
                Part::Failed(f) => failures.push(f),
            }
        }
    }
    if api != Some(ApiVersion::V2) {
        let spinner = ctx.progress.spinner("listing running v1 training jobs".to_owned());
        let result = client.running_versions_described(search).await;
        spinner.finish_and_clear();
        match part_of(ApiVersion::V1, result, context)? {
            Part::Read(found) => targets.extend(found),
            Part::Absent if api == Some(ApiVersion::V1) => {
                return Err(Failure::new(
                    ExitStatus::Refused,
                    "the v1 API is not there at this endpoint (APIG.0101): its jobs are v2 jobs; drop --api v1",
                ));
            }
            Part::Absent => {}
            Part::Failed(f) => failures.push(f),
        }
    }
    Ok((targets, failures))
}
