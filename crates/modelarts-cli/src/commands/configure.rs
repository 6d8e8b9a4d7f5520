//! `configure list`: every setting that would be used, with its source, secrets masked; `configure
//! test`: one IAM call that proves the credentials (the region's projects, or without a region every
//! project the credentials reach) and lists the projects found.
//!
//! The values, sources and masking come from the SDK's `ClientBuilder::resolve()`; this command only
//! adds the CLI's own `output` setting and renders the rows.

use serde_json::{Value, json};

use super::{Context, io_failure};
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::{Stdout, Table};
use crate::settings;

/// `configure list`
pub(crate) fn list(ctx: &Context<'_>, out: &mut Stdout) -> Result<ExitStatus, Failure> {
    let resolved = settings::builder(ctx.global, &ctx.sources)
        .resolve()
        .map_err(|e| Failure::sdk("cannot resolve the configuration", &e))?;
    let mut rows: Vec<(String, String, String)> =
        resolved.rows().into_iter().map(|(name, value, source)| (name.to_owned(), value, source)).collect();
    let output = match out.format() {
        crate::args::OutputFormat::Table => "table",
        crate::args::OutputFormat::Json => "json",
        crate::args::OutputFormat::Jsonl => "jsonl",
    };
    rows.push(("output".to_owned(), output.to_owned(), ctx.sources.output_source()));
    if out.is_jsonl() {
        for (name, value, source) in &rows {
            out.json(&json!({ "name": name, "value": value, "source": source })).map_err(io_failure)?;
        }
    } else if out.is_json() {
        let settings: Vec<Value> = rows
            .iter()
            .map(|(name, value, source)| json!({ "name": name, "value": value, "source": source }))
            .collect();
        let document = json!({
            "settings": settings,
            "credentials_tried": resolved.credentials_tried,
        });
        out.json(&document).map_err(io_failure)?;
    } else {
        let mut table = Table::new(["NAME", "VALUE", "SOURCE"]);
        for (name, value, source) in rows {
            table.row(vec![name, value, source]);
        }
        out.table(&table).map_err(io_failure)?;
        if resolved.auth.is_none() {
            ctx.stderr
                .note(&format!("no credentials found; tried: {}", resolved.credentials_tried.join("; ")));
        }
    }
    Ok(ExitStatus::Success)
}

/// `configure test`: connects (making the calls the identity needs) and proves the credentials
/// with one call (at IAM, or at the explicit ModelArts endpoint when no region and no IAM
/// endpoint is set: see `Client::check_credentials`); prints the region, the project ID and where it came from, and the skew.
pub(crate) async fn test(ctx: &Context<'_>, out: &mut Stdout) -> Result<ExitStatus, Failure> {
    let resolved = settings::builder(ctx.global, &ctx.sources)
        .resolve()
        .map_err(|e| Failure::sdk("cannot resolve the configuration", &e))?;
    let client = ctx.connect().await?;
    let check = client.check_credentials().await.map_err(|e| {
        // "Not accepted" only when the service refused them; a network failure says it could not ask.
        let refused = e.http_status().is_some_and(|s| s == 401 || s == 403)
            || e.category() == modelarts_sdk::ErrorCategory::Credentials;
        let context = if refused {
            "the credentials were not accepted"
        } else {
            "the credentials could not be checked"
        };
        let mut failure = Failure::sdk(context, &e);
        ctx.explain(&mut failure);
        failure
    })?;
    let region = resolved.region.as_ref().map(|r| r.value.clone());
    let credentials = match (&resolved.auth, &resolved.login) {
        (Some(a), _) => format!("{} from {}", a.value.method_name(), a.source),
        (None, Some(l)) => format!("{} from {}", l.value.describe(), l.source),
        (None, None) => "<none>".to_owned(),
    };
    let skew_text = match check.skew_millis {
        Some(ms) => format!("{:+.1}s (server minus this machine)", ms as f64 / 1000.0),
        None => "not measured (the answer had no Date)".to_owned(),
    };
    // What the answer listed: the regions (project names) and their project ids, at most 50.
    const SHOWN_PROJECTS: usize = 50;
    let found: Vec<String> = check
        .projects
        .iter()
        .take(SHOWN_PROJECTS)
        .map(|p| {
            format!("{} ({})", p.name.as_deref().unwrap_or("<no name>"), p.id.as_deref().unwrap_or("<no id>"))
        })
        .collect();
    let mut found_text = if found.is_empty() { "none".to_owned() } else { found.join(", ") };
    if check.projects.len() > SHOWN_PROJECTS {
        found_text.push_str(&format!(", and {} more", check.projects.len() - SHOWN_PROJECTS));
    }
    let rows = [
        ("result", "ok: the credentials were accepted".to_owned()),
        ("projects_found", found_text),
        ("proved_at", check.proved_at.to_owned()),
        ("check", format!("{} at {}", check.call, check.host)),
        ("request_id", check.request_id.clone().unwrap_or_else(|| "-".to_owned())),
        ("region", region.clone().unwrap_or_else(|| "<not set>".to_owned())),
        ("project_id", client.project_id().as_str().to_owned()),
        ("project_id_source", client.project_source().unwrap_or("-").to_owned()),
        ("credentials", credentials),
        ("agency", resolved.agency.as_ref().map_or("-".to_owned(), |a| a.value.agency_name.clone())),
        ("iam_endpoint", client.iam_endpoint().url()),
        ("iam_endpoint_source", check.iam_endpoint_source.clone().unwrap_or_else(|| "-".to_owned())),
        ("clock_skew", skew_text),
    ];
    if out.is_json() || out.is_jsonl() {
        let document = json!({
            "ok": true,
            "proved_at": check.proved_at,
            "check": check.call,
            "host": check.host,
            "request_id": check.request_id,
            "region": region,
            "project_id": client.project_id().as_str(),
            "project_id_source": client.project_source(),
            "iam_endpoint": client.iam_endpoint().url(),
            "iam_endpoint_source": check.iam_endpoint_source,
            "clock_skew_ms": check.skew_millis,
            "projects_found": check
                .projects
                .iter()
                .take(SHOWN_PROJECTS)
                .map(|p| json!({ "name": p.name, "id": p.id }))
                .collect::<Vec<Value>>(),
        });
        out.json(&document).map_err(io_failure)?;
    } else {
        let mut table = Table::new(["CHECK", "VALUE"]);
        for (name, value) in rows {
            table.row(vec![name.to_owned(), value]);
        }
        out.table(&table).map_err(io_failure)?;
    }
    Ok(ExitStatus::Success)
}
