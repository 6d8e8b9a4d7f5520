//! `configure list`: every setting that would be used, with its source, secrets masked.
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
    rows.push(("output".to_owned(), output.to_owned(), ctx.sources.output_source().to_owned()));
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
