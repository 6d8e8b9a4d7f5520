//! `training-job show UUID` and `training-job list --api v2`: v2 jobs (current API, UUIDs) as
//! tables or JSON: phase, secondary phase, duration, created, flavor, node count.

use modelarts_protocol::operations::list_training_jobs::SortBy;
use modelarts_protocol::operations::v2::list::Filter;
use modelarts_protocol::v2::pagination::MAX_LIMIT;
use modelarts_protocol::v2::{TrainingJob, TrainingJobId};
use modelarts_sdk::V2ListQuery;
use serde_json::{Value, json};

use super::{Context, dry_run, io_failure};
use crate::args::ListArgs;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::{Stdout, Table, age_cell, duration_cell, insert_iso_times, text_cell, time_cell};

/// A v2 job as JSON: the job object (as read, unknown fields dropped) with `"api":"v2"`, and
/// `create_time_iso` beside the metadata's `create_time`.
pub(crate) fn job_json(job: &TrainingJob) -> Value {
    let mut value = serde_json::to_value(job).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("api".into(), "v2".into());
        for part in ["metadata", "status"] {
            if let Some(Value::Object(times)) = map.get_mut(part) {
                insert_iso_times(times);
            }
        }
    }
    value
}

fn count_cell(n: Option<i64>) -> String {
    n.map_or_else(|| "-".to_owned(), |n| n.to_string())
}

/// `training-job show UUID`
pub(crate) async fn show(
    id: &TrainingJobId,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let client = ctx.client()?;
    if ctx.global.dry_run {
        let id = id.clone();
        return dry_run(&client, |c| async move { c.show_training_job(&id).await }, out).await;
    }
    let job =
        client.show_training_job(id).await.map_err(|e| Failure::sdk(format!("cannot show job {id}"), &e))?;
    if out.is_json() {
        return out.json(&job_json(&job)).map(|()| ExitStatus::Success).map_err(io_failure);
    }
    let mut t = Table::new(["FIELD", "VALUE"]);
    let mut add = |name: &str, value: String| t.row(vec![name.to_owned(), value]);
    add("api", "v2".to_owned());
    add("id", text_cell(job.id_text()));
    add("name", text_cell(job.name()));
    add("phase", text_cell(job.phase().map(|p| p.as_str())));
    add("secondary_phase", text_cell(job.secondary_phase()));
    add("created", time_cell(job.create_time_ms()));
    add("started", time_cell(job.status.as_ref().and_then(|s| s.start_time)));
    add("duration", duration_cell(job.duration_ms()));
    add("flavor", text_cell(job.flavor_id()));
    add("nodes", count_cell(job.node_count()));
    add("description", text_cell(job.metadata.as_ref().and_then(|m| m.description.as_deref())));
    out.table(&t).map_err(io_failure)?;
    Ok(ExitStatus::Success)
}

fn jobs_table() -> Table {
    Table::new(["ID", "NAME", "PHASE", "SECONDARY_PHASE", "DURATION", "AGE", "FLAVOR", "NODES"])
}

fn job_row(j: &TrainingJob) -> Vec<String> {
    vec![
        text_cell(j.id_text()),
        text_cell(j.name()),
        text_cell(j.phase().map(|p| p.as_str())),
        text_cell(j.secondary_phase()),
        duration_cell(j.duration_ms()),
        age_cell(j.create_time_ms(), std::time::SystemTime::now()),
        text_cell(j.flavor_id()),
        count_cell(j.node_count()),
    ]
}

/// The v2 query of `list --api v2`; the flags v2 cannot honour are usage errors.
pub(super) fn query(args: &ListArgs) -> Result<V2ListQuery, Failure> {
    let limit = match args.per_page {
        Some(n) if n > MAX_LIMIT => {
            return Err(Failure::usage(format!(
                "--per-page {n}: the v2 list takes at most {MAX_LIMIT} jobs a page"
            )));
        }
        other => other,
    };
    let sort_by = match args.sort_by {
        None => None,
        Some(SortBy::CreateTime) => Some("create_time".to_owned()),
        Some(SortBy::JobName) => Some("name".to_owned()),
        Some(SortBy::Duration) => Some("duration".to_owned()),
        Some(other) => {
            return Err(Failure::usage(format!(
                "--sort-by {}: the v2 list sorts by create_time, job_name or duration",
                other.as_str()
            )));
        }
    };
    let mut filters = Vec::new();
    if let Some(search) = &args.search {
        filters.push(Filter::name_like(search.clone()));
    }
    if let Some(status) = &args.status {
        if status.phases.is_empty() {
            return Err(Failure::usage(format!(
                "--status {}: no v2 phase matches it; use creating, pending, running, terminating, terminated, completed, failed or abnormal",
                status.text
            )));
        }
        filters.push(Filter::phase_in(&status.phases));
    }
    let mut query = V2ListQuery::default().with_filters(filters);
    // `--page` counts from 1; the v2 offset is a page index from 0.
    query.offset = if args.all { None } else { args.page.map(|p| p.saturating_sub(1)) };
    query.limit = limit;
    query.sort_by = sort_by;
    query.order = args.order.map(Into::into);
    Ok(query)
}

/// `training-job list --api v2`
pub(crate) async fn list(
    args: &ListArgs,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let query = query(args)?;
    let client = ctx.client()?;
    super::listing::workspaces(false, &client, ctx).await?;
    if ctx.global.dry_run {
        if args.all {
            return super::listing::dry_run_list_all(&client, query, ctx, out).await;
        }
        return dry_run(&client, |c| async move { c.list_training_jobs_v2(&query).await }, out).await;
    }
    let context = "cannot list v2 training jobs";
    if args.all {
        return list_all(&client, query, ctx, out).await;
    }
    let page = client.list_training_jobs_v2(&query).await.map_err(|e| Failure::sdk(context, &e))?;
    // A server may ignore a filter: only the jobs that pass every one are shown.
    let jobs: Vec<&TrainingJob> =
        page.items.iter().filter(|j| query.filters.iter().all(|f| f.matches(j))).collect();
    super::listing::note_more_jobs(ctx, page.items.len(), page.total, args.page);
    if out.is_jsonl() {
        for job in &jobs {
            out.json(&job_json(job)).map_err(io_failure)?;
        }
    } else if out.is_json() {
        let items: Vec<Value> = jobs.iter().map(|j| job_json(j)).collect();
        let document = json!({
            "api": "v2",
            "total": page.total,
            "count": page.count,
            "limit": page.limit,
            "offset": page.offset,
            "page": args.page.unwrap_or(1),
            "items": items,
        });
        out.json(&document).map_err(io_failure)?;
    } else if jobs.is_empty() {
        ctx.stderr.note("no v2 training jobs found");
    } else {
        let mut t = jobs_table();
        for job in jobs {
            t.row(job_row(job));
        }
        out.table(&t).map_err(io_failure)?;
    }
    Ok(ExitStatus::Success)
}

/// `list --api v2 --all` (see [`print_all`](super::listing::print_all)):
/// `{"schema_version":2,"api":"v2","items":[…],"complete":…,"total":N}`.
async fn list_all(
    client: &modelarts_sdk::Client,
    query: V2ListQuery,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let format = super::listing::WalkFormat {
        what: "v2 training jobs",
        table: jobs_table(),
        open: format!("{{\"schema_version\":{},\"api\":\"v2\",\"items\":[", crate::json_docs::SCHEMA_VERSION),
        count_key: "total",
        json: job_json,
        row: job_row,
    };
    let chunk = usize::try_from(query.limit.unwrap_or(modelarts_sdk::DEFAULT_V2_PAGE_SIZE)).unwrap_or(1);
    super::listing::print_all(client.list_training_jobs_v2_all(query), chunk, format, ctx, out).await
}
