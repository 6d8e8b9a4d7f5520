//! `training-job show`, `list` and `versions`: reads, rendered as tables or JSON.

use futures_util::TryStreamExt;
use modelarts_protocol::model::{JobSummary, VersionDetail};
use modelarts_protocol::operations::list_training_job_versions::ListTrainingJobVersions;
use modelarts_protocol::operations::show_training_job_version::ShowTrainingJobVersion;
use modelarts_sdk::ListQuery;
use serde_json::{Value, json};

use super::{Context, dry_run, io_failure};
use crate::args::{ListArgs, ShowArgs, VersionsArgs};
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::{Stdout, Table, duration_cell, status_cell, text_cell, time_cell, with_status_name};

/// `training-job show`
pub(crate) async fn show(
    args: &ShowArgs,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let client = ctx.client()?;
    if ctx.global.dry_run {
        let op = ShowTrainingJobVersion::new(client.project_id().clone(), args.job_id, args.version);
        return dry_run(&client, &op, out);
    }
    let version = client
        .show_training_job_version(args.job_id, args.version)
        .await
        .map_err(|e| Failure::sdk(format!("cannot show job {} version {}", args.job_id, args.version), &e))?;
    if out.is_json() {
        out.json(&with_status_name(&version, version.status)).map_err(io_failure)?;
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
    let query = ListQuery {
        status: args.status,
        per_page: args.per_page.or(if args.all { Some(modelarts_sdk::DEFAULT_PAGE_SIZE) } else { None }),
        page: if args.all { None } else { args.page },
        sort_by: args.sort_by,
        order: args.order.map(Into::into),
        search: args.search.clone(),
        workspace_id: None,
    };
    if ctx.global.dry_run {
        let first = if args.all { query.page_of_all(1) } else { query.clone() };
        let op = first.to_operation(client.project_id().clone());
        if args.all {
            ctx.stderr
                .note("note: --all reads more pages after this one, as long as the answers call for them");
        }
        return dry_run(&client, &op, out);
    }
    let context = "cannot list training jobs";
    let (jobs, document) = if args.all {
        let spinner = ctx.progress.spinner("listing training jobs".to_owned());
        let stream = client.list_training_jobs_all(query);
        let jobs: Result<Vec<JobSummary>, _> = stream.inspect_ok(|_| spinner.inc(1)).try_collect().await;
        spinner.finish_and_clear();
        let jobs = jobs.map_err(|e| Failure::sdk(context, &e))?;
        let document = json!({ "job_total_count": jobs.len() });
        (jobs, document)
    } else {
        let page = client.list_training_jobs(query).await.map_err(|e| Failure::sdk(context, &e))?;
        let document = json!({
            "job_total_count": page.job_total_count,
            "job_count_limit": page.job_count_limit,
            "quotas": page.quotas,
            "page": args.page.unwrap_or(1),
        });
        if let Some(total) = page.job_total_count {
            let shown = i64::try_from(page.jobs.len()).unwrap_or(i64::MAX);
            if total > shown {
                ctx.stderr.note(&format!(
                    "{} of {total} jobs shown (page {}); use --page N, --per-page N or --all for more",
                    page.jobs.len(),
                    args.page.unwrap_or(1)
                ));
            }
        }
        (page.jobs, document)
    };
    if out.is_json() {
        out.line(&list_json(document, &jobs)).map_err(io_failure)?;
    } else {
        let mut t = Table::new(["JOB_ID", "NAME", "VERSION_ID", "STATUS", "VERSIONS", "CREATED", "DURATION"]);
        for j in &jobs {
            t.row(vec![
                j.job_id.to_string(),
                text_cell(j.job_name.as_deref()),
                j.version_id.map_or_else(|| "-".to_owned(), |v| v.to_string()),
                status_cell(j.status),
                j.version_count.map_or_else(|| "-".to_owned(), |n| n.to_string()),
                time_cell(j.create_time),
                duration_cell(j.duration),
            ]);
        }
        if t.is_empty() {
            ctx.stderr.note("no training jobs found");
        } else {
            out.table(&t).map_err(io_failure)?;
        }
    }
    Ok(ExitStatus::Success)
}

/// The list document with `jobs` added, as one line of JSON: the same text as serialising the whole
/// document as one `Value`, but each job's `Value` lives only while it is written, so `list --all`
/// of many jobs holds the jobs and the text, not a third, larger copy of every job.
fn list_json(document: Value, jobs: &[JobSummary]) -> String {
    let Value::Object(mut map) = document else {
        return document.to_string();
    };
    map.insert("jobs".into(), Value::Null);
    let mut text = String::with_capacity(64 + jobs.len() * 256);
    text.push('{');
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&Value::String(key.clone()).to_string());
        text.push(':');
        if key == "jobs" {
            text.push('[');
            for (j, job) in jobs.iter().enumerate() {
                if j > 0 {
                    text.push(',');
                }
                text.push_str(&with_status_name(job, job.status).to_string());
            }
            text.push(']');
        } else {
            text.push_str(&value.to_string());
        }
    }
    text.push('}');
    text
}

/// `training-job versions`
pub(crate) async fn versions(
    args: &VersionsArgs,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let client = ctx.client()?;
    if ctx.global.dry_run {
        let op = ListTrainingJobVersions::new(client.project_id().clone(), args.job_id);
        return dry_run(&client, &op, out);
    }
    let list = client
        .list_training_job_versions(args.job_id)
        .await
        .map_err(|e| Failure::sdk(format!("cannot list the versions of job {}", args.job_id), &e))?;
    if out.is_json() {
        let mut document = serde_json::to_value(&list).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut document {
            let items: Vec<Value> = list.versions.iter().map(|v| with_status_name(v, v.status)).collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `list_json` writes exactly what serialising the whole document as one `Value` writes.
    #[test]
    fn list_json_matches_the_whole_document() {
        let page: modelarts_protocol::model::JobList = serde_json::from_str(
            r#"{"is_success":true,"job_total_count":2,"job_count_limit":8,"quotas":10,"jobs":[
                {"job_id":1,"job_name":"a \"quoted\" name","version_id":10,"status":8,"create_time":5,
                 "duration":6,"job_desc":"d","version_count":1},
                {"job_id":2,"version_id":20,"status":12}]}"#,
        )
        .unwrap();
        let documents = [
            json!({ "job_total_count": 2 }),
            json!({ "job_total_count": 2, "job_count_limit": 8, "quotas": 10, "page": 1 }),
        ];
        for document in documents {
            for jobs in [&page.jobs[..], &[]] {
                let mut whole = document.clone();
                let items: Vec<Value> = jobs.iter().map(|j| with_status_name(j, j.status)).collect();
                if let Value::Object(map) = &mut whole {
                    map.insert("jobs".into(), Value::Array(items));
                }
                assert_eq!(list_json(document.clone(), jobs), whole.to_string());
            }
        }
    }
}
