//! `training-job events`: a v2 job's events (state changes, warnings, errors), as a table, one JSON
//! document, or JSON Lines. v1 versions have no events API.

use modelarts_protocol::operations::v2::logs::ListEvents;
use modelarts_protocol::target::{JobArg, JobRef, RouteError};
use serde_json::{Value, json};

use super::{Context, dry_run, io_failure};
use crate::args::EventsArgs;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::{Stdout, Table, iso_time, text_cell};

/// `training-job events`
pub(crate) async fn events(
    args: &EventsArgs,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let (api, purpose) = (args.api.map(Into::into), super::named::Purpose::Read);
    // A v1 job id would be told to add --version, which events refuses: say what to do instead.
    if let Err(RouteError::V1NeedsVersion { id }) = JobArg::route(&args.id, None, api, args.by_name) {
        return Err(Failure::usage(format!(
            "{id:?} is a v1 job id: events are a v2 API (a v1 version's log: `modelarts training-job logs {id} --version VERSION_ID`); for a v2 job named {id:?}, pass --name"
        )));
    }
    let id = match super::named::resolve(&args.id, None, api, args.by_name, purpose, ctx).await? {
        JobRef::V2(id) => id,
        JobRef::V1 { .. } => {
            return Err(Failure::usage(
                "events are a v2 API: a v1 version has none (its log is in `training-job logs ID --version V`)",
            ));
        }
    };
    let client = ctx.client()?;
    let mut query = ListEvents::new(client.project_id().clone(), id.clone());
    query.level = args.level;
    query.pattern = args.pattern.clone();
    query.limit = args.limit;
    query.offset = args.offset;
    query.order = args.order.map(Into::into);
    if ctx.global.dry_run {
        return dry_run(&client, |c| async move { c.list_events(query).await }, out).await;
    }
    let list = client
        .list_events(query)
        .await
        .map_err(|e| Failure::sdk(format!("cannot list the events of job {id}"), &e))?;
    let docs: Vec<Value> = list.events.iter().map(event_json).collect();
    if out.is_jsonl() {
        for doc in &docs {
            out.json(doc).map_err(io_failure)?;
        }
    } else if out.is_json() {
        out.json(&json!({"total": list.total, "events": docs})).map_err(io_failure)?;
    } else {
        let mut table = Table::new(["TIME", "LEVEL", "SOURCE", "MESSAGE"]);
        for e in &list.events {
            let time = e
                .time
                .as_deref()
                .map(|t| t.parse::<i64>().ok().and_then(iso_time).unwrap_or_else(|| t.to_owned()));
            table.row(vec![
                text_cell(time.as_deref()),
                text_cell(e.level.as_deref()),
                text_cell(e.source.as_deref()),
                text_cell(e.message.as_deref()),
            ]);
        }
        if table.is_empty() {
            ctx.stderr.note(&format!("no events for job {id}"));
        } else {
            out.table(&table).map_err(io_failure)?;
        }
    }
    Ok(ExitStatus::Success)
}

/// An event as JSON: `time` in epoch milliseconds when the service sent a number (or a string of
/// digits), else `null`; `time_iso` its ISO 8601 twin; `time_raw` the text as sent (null when none).
pub(crate) fn event_json(e: &modelarts_protocol::v2::Event) -> Value {
    let raw = e.time.as_deref();
    let epoch = raw.and_then(|t| t.trim().parse::<i64>().ok());
    json!({
        "time": epoch,
        "time_iso": epoch.and_then(iso_time),
        "time_raw": raw,
        "level": e.level,
        "source": e.source,
        "message": e.message,
    })
}
