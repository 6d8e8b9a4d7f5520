//! `configure list`: every setting that would be used, with its source, secrets masked; `configure
//! test`: one IAM call that proves the credentials (the region's projects, or without a region every
//! project the credentials reach) and lists the projects found.
//!
//! The values, sources and masking come from the SDK's `ClientBuilder::resolve()`; this command only
//! adds the CLI's own `output` setting and renders the rows.

use serde_json::{Value, json};

use super::{Context, io_failure};
use crate::args::InitArgs;
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
    let named = |value: &Option<String>, note: &Option<String>| match (value, note) {
        (Some(v), _) => v.clone(),
        (None, Some(why)) => format!("- ({why})"),
        (None, None) => "-".to_owned(),
    };
    let rows = [
        ("result", "ok: the credentials were accepted".to_owned()),
        ("account", named(&check.account, &check.account_note)),
        ("user", named(&check.user, &check.user_note)),
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
            "account": check.account,
            "account_note": check.account_note,
            "user": check.user,
            "user_note": check.user_note,
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

/// `configure init`: writes the profile's section into the credentials file.
pub(crate) fn init(args: &InitArgs, ctx: &Context<'_>, out: &mut Stdout) -> Result<ExitStatus, Failure> {
    let global = ctx.global;
    // Not the whole configuration: the section being replaced may be the broken one.
    let (profile, path) = settings::builder(global, &ctx.sources)
        .profile_location()
        .map_err(|e| Failure::sdk("cannot read the configuration", &e))?;
    let path = path.map(|s| s.value).ok_or_else(|| {
        Failure::new(ExitStatus::Config, "no home directory: set HUAWEICLOUD_SDK_CREDENTIALS_FILE")
    })?;
    let profile = profile.value;
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdin());
    let access_key = match &args.access_key {
        Some(ak) => ak.trim().to_owned(),
        None if terminal => ask("Access key (AK): ")?,
        None => return Err(Failure::usage("--access-key is needed when stdin is not a terminal")),
    };
    let secret_key = if terminal {
        rpassword::prompt_password("Secret key (SK, not shown): ").map_err(io_failure)?
    } else {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut line).map_err(io_failure)?;
        line
    };
    let secret_key = secret_key.trim_end_matches(['\r', '\n']).to_owned();
    let region = match &global.region {
        Some(r) => Some(r.clone()),
        None if terminal => {
            Some(ask("Region (e.g. cn-north-4, empty for none): ")?).filter(|r| !r.is_empty())
        }
        None => None,
    };
    let mut keys: Vec<(&str, String)> = vec![("ak", access_key), ("sk", secret_key)];
    keys.extend(region.map(|r| ("region", r)));
    keys.extend(global.project_id.as_ref().map(|p| ("project_id", p.as_str().to_owned())));
    keys.extend(global.endpoint_url.clone().map(|u| ("endpoint_url", u)));
    for (key, value) in &keys {
        if value.is_empty() || value.chars().any(char::is_control) {
            return Err(Failure::usage(format!("the {key} is empty or holds a control character")));
        }
    }
    let old = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(Failure::new(ExitStatus::Config, format!("cannot read {}: {e}", path.display())));
        }
    };
    let text = with_section(&old, &profile, &keys);
    write_private(&path, text.as_bytes())
        .map_err(|e| Failure::new(ExitStatus::Other, format!("cannot write {}: {e}", path.display())))?;
    let written: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
    if out.is_json() {
        out.json(&json!({"path": path, "profile": profile, "keys": written})).map_err(io_failure)?;
    } else {
        out.line(&format!("wrote profile [{profile}] ({}) into {}", written.join(", "), path.display()))
            .map_err(io_failure)?;
        ctx.stderr.note("check it with: modelarts configure test");
    }
    Ok(ExitStatus::Success)
}

/// One answer on the terminal (shown as typed).
fn ask(prompt: &str) -> Result<String, Failure> {
    use std::io::Write as _;
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{prompt}");
    let _ = stderr.flush();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut line).map_err(io_failure)?;
    Ok(line.trim().to_owned())
}

/// `old` (a credentials file) with the section `name` replaced by `keys`, or added at the end;
/// every other byte is kept. A section is its `[name]` line up to the next `[…]` line.
fn with_section(old: &[u8], name: &str, keys: &[(&str, String)]) -> String {
    let old = String::from_utf8_lossy(old);
    let mut section = format!("[{name}]\n");
    for (key, value) in keys {
        section.push_str(&format!("{key} = {value}\n"));
    }
    let is_header = |line: &str| line.trim_start().starts_with('[');
    let names = |line: &str| {
        line.trim().strip_prefix('[').and_then(|l| l.strip_suffix(']')).map(str::trim) == Some(name)
    };
    let mut out = String::new();
    let mut replaced = false;
    let mut skipping = false;
    // The blank lines that end a replaced section stay before the next one.
    let mut blanks = String::new();
    for line in old.split_inclusive('\n') {
        if is_header(line) {
            if skipping {
                out.push_str(&blanks);
                blanks.clear();
            }
            skipping = false;
            if names(line) && !replaced {
                out.push_str(&section);
                replaced = true;
                skipping = true;
                continue;
            }
        }
        if skipping {
            if line.trim().is_empty() {
                blanks.push_str(line);
            } else {
                blanks.clear();
            }
        } else {
            out.push_str(line);
        }
    }
    if !replaced {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&section);
    }
    out
}

/// Writes `bytes` to `path` through a new private file (0600) in the same directory, renamed over
/// it, the directory created private (0700) if missing.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    // tempfile creates it 0600, with a random name, never following a planted link.
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod init_tests {
    use super::with_section;

    #[test]
    fn a_section_is_added_or_replaced_and_the_rest_kept_byte_for_byte() {
        let keys = [("ak", "AK2".to_owned()), ("sk", "S2".to_owned())];
        let old = "# mine\n[basic]\nak = AK1\nsk = S1\n\n[prod]  \n; comment\nak=P\n";
        assert_eq!(
            with_section(old.as_bytes(), "basic", &keys),
            "# mine\n[basic]\nak = AK2\nsk = S2\n\n[prod]  \n; comment\nak=P\n"
        );
        assert_eq!(
            with_section(old.as_bytes(), "prod", &keys),
            "# mine\n[basic]\nak = AK1\nsk = S1\n\n[prod]\nak = AK2\nsk = S2\n"
        );
        assert_eq!(with_section(old.as_bytes(), "new", &keys), format!("{old}\n[new]\nak = AK2\nsk = S2\n"));
        assert_eq!(with_section(b"", "basic", &keys), "[basic]\nak = AK2\nsk = S2\n");
        assert_eq!(with_section(b"[x]\nk=v", "basic", &keys), "[x]\nk=v\n\n[basic]\nak = AK2\nsk = S2\n");
    }
}
