//! `training-job show`, `list` and `versions`: reads, rendered as tables or JSON.

use modelarts_protocol::model::{JobSummary, VersionDetail};
use modelarts_sdk::ListQuery;
use serde_json::{Value, json};

use super::listing::{WalkFormat, dry_run_list_all, note_more_jobs, print_all};
use super::{Context, dry_run, io_failure};
use crate::args::{ListArgs, ShowArgs, VersionsArgs};
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::{Stdout, Table, age_cell, duration_cell, item_json, status_cell, text_cell, time_cell};
use modelarts_protocol::target::{ApiVersion, JobRef};

/// `training-job show`
pub(crate) async fn show(
    args: &ShowArgs,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let (api, purpose) = (args.api.map(Into::into), super::named::Purpose::Read);
    let (job, version) =
        match super::named::resolve(&args.job_id, args.version.as_deref(), api, args.by_name, purpose, ctx)
            .await?
        {
            JobRef::V2(id) => return super::inspect_v2::show(&id, ctx, out).await,
            JobRef::V1 { job, version } => (job, version),
        };
    let client = ctx.client()?;
    if ctx.global.dry_run {
        return dry_run(&client, |c| async move { c.show_training_job_version(job, version).await }, out)
            .await;
    }
    let version = client
        .show_training_job_version(job, version)
        .await
        .map_err(|e| Failure::sdk(format!("cannot show job {job} version {version}"), &e))?;
    if out.is_json() {
        out.json(&item_json(&version, version.status)).map_err(io_failure)?;
    } else {
        out.table(&version_table(&version)).map_err(io_failure)?;
    }
    Ok(ExitStatus::Success)
}

fn version_table(v: &VersionDetail) -> Table {
    let mut t = Table::new(["FIELD", "VALUE"]);
    let mut add = |name: &str, value: String| t.row(vec![name.to_owned(), value]);
    add("job_id", v.job_id.map_or_else(|| "-".to_owned(), |j| j.to_string()));
    add("job_name", text_cell(v.job_name.as_deref()));
    add("version_id", v.version_id.to_string());
    add("version_name", text_cell(v.version_name.as_deref()));
    add("status", status_cell(v.status));
    add("created", time_cell(v.create_time));
    add("started", time_cell(v.start_time));
    add("duration", duration_cell(v.duration));
    let engine = match (&v.engine_name, &v.engine_version) {
        (Some(n), Some(ver)) => format!("{n} {ver}"),
        (Some(n), None) => n.clone(),
        _ => "-".to_owned(),
    };
    add("engine", engine);
    add("spec", text_cell(v.spec_code.as_deref()));
    add("workers", v.worker_server_num.map_or_else(|| "-".to_owned(), |n| n.to_string()));
    add("pool", text_cell(v.pool_name.as_deref().or(v.pool_id.as_deref())));
    add("data_url", text_cell(v.data_url.as_deref()));
    add("train_url", text_cell(v.train_url.as_deref()));
    add("log_url", text_cell(v.log_url.as_deref()));
    add("description", text_cell(v.job_desc.as_deref()));
    t
}

/// `training-job list`
pub(crate) async fn list(
    args: &ListArgs,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let client = ctx.client()?;
    let api = super::listing::chosen_api(args.api, &client);
    if args.all_workspaces && api == Some(ApiVersion::V1) {
        return Err(Failure::usage("--all-workspaces reads v2 workspaces; it does not go with --api v1"));
    }
    // Without an API (or over every workspace), the first page of each part, merged.
    if api.is_none() || args.all_workspaces {
        return super::both::list(args, api, ctx, out).await;
    }
    if api == Some(ApiVersion::V2) {
        return super::inspect_v2::list(args, ctx, out).await;
    }
    let status = match &args.status {
        Some(s) => Some(s.v1.ok_or_else(|| {
            Failure::usage(format!("--status {}: a v2 phase, not a v1 status; add --api v2", s.text))
        })?),
        None => None,
    };
    let mut query = ListQuery::default();
    query.status = status;
    query.per_page = args.per_page.or(if args.all { Some(modelarts_sdk::DEFAULT_PAGE_SIZE) } else { None });
    query.page = if args.all { None } else { args.page };
    query.sort_by = args.sort_by;
    query.order = args.order.map(Into::into);
    query.search = args.search.clone();
    if ctx.global.dry_run {
        if args.all {
            return dry_run_list_all(&client, query, ctx, out).await;
        }
        return dry_run(&client, |c| async move { c.list_training_jobs(query).await }, out).await;
    }
    let context = "cannot list training jobs";
    if args.all {
        let per_page = query.per_page.unwrap_or(modelarts_sdk::DEFAULT_PAGE_SIZE);
        return list_all(&client, query, per_page, ctx, out).await;
    }
    let page = client.list_training_jobs(query).await.map_err(|e| Failure::sdk(context, &e))?;
    note_more_jobs(ctx, page.jobs.len(), page.job_total_count, args.page);
    if out.is_jsonl() {
        for job in &page.jobs {
            out.json(&item_json(job, job.status)).map_err(io_failure)?;
        }
    } else if out.is_json() {
        let jobs: Vec<Value> = page.jobs.iter().map(|j| item_json(j, j.status)).collect();
        let document = json!({
            "job_total_count": page.job_total_count,
            "job_count_limit": page.job_count_limit,
            "quotas": page.quotas,
            "page": args.page.unwrap_or(1),
            "jobs": jobs,
        });
        out.json(&document).map_err(io_failure)?;
    } else if page.jobs.is_empty() {
        ctx.stderr.note("no training jobs found");
    } else {
        let mut t = jobs_table();
        for job in &page.jobs {
            t.row(job_row(job));
        }
        out.table(&t).map_err(io_failure)?;
    }
    Ok(ExitStatus::Success)
}

fn jobs_table() -> Table {
    Table::new(["JOB_ID", "NAME", "VERSION_ID", "STATUS", "VERSIONS", "AGE", "DURATION"])
}

fn job_row(j: &JobSummary) -> Vec<String> {
    vec![
        j.job_id.to_string(),
        text_cell(j.job_name.as_deref()),
        j.version_id.map_or_else(|| "-".to_owned(), |v| v.to_string()),
        status_cell(j.status),
        j.version_count.map_or_else(|| "-".to_owned(), |n| n.to_string()),
        age_cell(j.create_time, std::time::SystemTime::now()),
        duration_cell(j.duration),
    ]
}

/// `list --api v1 --all` (see [`print_all`]): `{"schema_version":2,"jobs":[…],"complete":…,"job_total_count":N}`.
async fn list_all(
    client: &modelarts_sdk::Client,
    query: ListQuery,
    per_page: u32,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let format = WalkFormat {
        what: "training jobs",
        table: jobs_table(),
        open: format!("{{\"schema_version\":{},\"jobs\":[", crate::json_docs::SCHEMA_VERSION),
        count_key: "job_total_count",
        json: |job: &JobSummary| item_json(job, job.status),
        row: job_row,
    };
    let chunk = usize::try_from(per_page).unwrap_or(1);
    print_all(client.list_training_jobs_all(query), chunk, format, ctx, out).await
}

/// `training-job versions`
pub(crate) async fn versions(
    args: &VersionsArgs,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let client = ctx.client()?;
    if ctx.global.dry_run {
        let job = args.job_id;
        return dry_run(&client, |c| async move { c.list_training_job_versions(job).await }, out).await;
    }
    let list = client
        .list_training_job_versions(args.job_id)
        .await
        .map_err(|e| Failure::sdk(format!("cannot list the versions of job {}", args.job_id), &e))?;
    if out.is_jsonl() {
        for v in &list.versions {
            out.json(&item_json(v, v.status)).map_err(io_failure)?;
        }
    } else if out.is_json() {
        let mut document = serde_json::to_value(&list).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut document {
            let items: Vec<Value> = list.versions.iter().map(|v| item_json(v, v.status)).collect();
            map.insert("versions".into(), Value::Array(items));
        }
        out.json(&document).map_err(io_failure)?;
    } else {
        let mut t = Table::new(["VERSION_ID", "NAME", "STATUS", "CREATED", "DURATION", "ENGINE", "SPEC"]);
        for v in &list.versions {
            t.row(vec![
                v.version_id.to_string(),
                text_cell(v.version_name.as_deref()),
                status_cell(v.status),
                time_cell(v.create_time),
                duration_cell(v.duration),
                text_cell(v.engine_name.as_deref()),
                text_cell(v.spec_code.as_deref()),
            ]);
        }
        if t.is_empty() {
            ctx.stderr.note(&format!("job {} has no versions", args.job_id));
        } else {
            out.table(&t).map_err(io_failure)?;
        }
    }
    Ok(ExitStatus::Success)
}
