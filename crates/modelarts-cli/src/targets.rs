//! What a batch stop is about to do, for people and programs: the preview before the `[y/N]`
//! prompt, the `--dry-run` list of what would be stopped, and the plain status lines of a wait
//! when stderr is not a terminal.

use std::io;

use modelarts_protocol::target::{ApiVersion, JobRef, TargetStatus, TargetSummary};
use serde_json::{Value, json};

use crate::output::{Stderr, Stdout, Table, text_cell, time_cell};
use crate::stop_file::StopTarget;

/// How many targets the preview before the prompt names; the rest are counted.
pub(crate) const PREVIEW: usize = 20;

/// The table of targets (`LINE` only for a `--from-file` list).
fn table(targets: &[StopTarget], with_line: bool) -> Table {
    let mut t = if with_line {
        Table::new(["LINE", "JOB_ID", "VERSION_ID"])
    } else {
        Table::new(["JOB_ID", "VERSION_ID"])
    };
    for target in targets {
        let mut row = Vec::with_capacity(3);
        if with_line {
            row.push(target.line.map_or_else(|| "-".to_owned(), |l| l.to_string()));
        }
        row.push(job_cell(&target.target));
        row.push(version_cell(&target.target));
        t.row(row);
    }
    t
}

/// The JOB_ID cell: the v1 number or the v2 UUID.
pub(crate) fn job_cell(target: &JobRef) -> String {
    match target {
        JobRef::V1 { job, .. } => job.to_string(),
        JobRef::V2(id) => id.to_string(),
    }
}

/// The VERSION_ID cell: the v1 version, `-` for a v2 job.
pub(crate) fn version_cell(target: &JobRef) -> String {
    match target {
        JobRef::V1 { version, .. } => version.to_string(),
        JobRef::V2(_) => "-".to_owned(),
    }
}

/// `api`, `job_id` (a v1 number or a v2 UUID) and `version_id` (`null` for v2) of a target.
pub(crate) fn target_fields(target: &JobRef) -> [(&'static str, Value); 3] {
    match target {
        JobRef::V1 { job, version } => {
            [("api", "v1".into()), ("job_id", job.get().into()), ("version_id", version.get().into())]
        }
        JobRef::V2(id) => [("api", "v2".into()), ("job_id", id.as_str().into()), ("version_id", Value::Null)],
    }
}

/// What a batch's targets are called, by the APIs among them: `training job(s)` (v2 only),
/// `job version(s)` (v1 only), `training job(s) and version(s)` (both).
pub(crate) fn kind_words(targets: &[StopTarget]) -> &'static str {
    let has = |api| targets.iter().any(|t| t.target.api() == api);
    match (has(ApiVersion::V1), has(ApiVersion::V2)) {
        (true, false) => "job version(s)",
        (false, true) => "training job(s)",
        _ => "training job(s) and version(s)",
    }
}

/// The preview shown before the confirmation prompt: the first [`PREVIEW`] targets as a table
/// (LINE for a `--from-file` list, API, JOB_ID, VERSION_ID when a v1 version is among them, NAME,
/// STATUS or PHASE, CREATED), then how many more. `described` holds what was read of the targets,
/// in their order (the first ones at least); a target without its description, or a field not
/// read, shows `-`.
pub(crate) fn preview(targets: &[StopTarget], described: &[TargetSummary], with_line: bool) -> String {
    let shown = &targets[..targets.len().min(PREVIEW)];
    let mut text = format!("These {} {} will be stopped:\n", targets.len(), kind_words(targets));
    let v1 = targets.iter().any(|t| t.target.api() == ApiVersion::V1);
    let v2 = targets.iter().any(|t| t.target.api() == ApiVersion::V2);
    let status = match (v1, v2) {
        (false, true) => "PHASE",
        (true, false) => "STATUS",
        _ => "STATUS/PHASE",
    };
    let mut header = Vec::with_capacity(7);
    if with_line {
        header.push("LINE");
    }
    header.extend(["API", "JOB_ID"]);
    if v1 {
        header.push("VERSION_ID");
    }
    header.extend(["NAME", status, "CREATED"]);
    let mut table = Table::with_header(&header);
    for (index, target) in shown.iter().enumerate() {
        // The description of this target, if the one at its index is about it.
        let about = described.get(index).filter(|d| d.target == target.target);
        let mut row = Vec::with_capacity(header.len());
        if with_line {
            row.push(target.line.map_or_else(|| "-".to_owned(), |l| l.to_string()));
        }
        row.push(target.target.api().to_string());
        row.push(job_cell(&target.target));
        if v1 {
            row.push(version_cell(&target.target));
        }
        row.push(text_cell(about.and_then(|d| d.name.as_deref())));
        row.push(
            about.and_then(|d| d.status).map_or_else(|| "-".to_owned(), |s| text_cell(Some(&s.to_string()))),
        );
        row.push(time_cell(about.and_then(|d| d.create_time_ms)));
        table.row(row);
    }
    text.push_str(&table.render());
    if targets.len() > shown.len() {
        text.push_str(&format!("… and {} more\n", targets.len() - shown.len()));
    }
    text.trim_end().to_owned()
}

/// `--dry-run` of a batch whose targets were read (`--running`): what would be stopped, on
/// stdout (a table; with JSON one `{"dry_run":true,"would_stop":[…]}` document, or one object per
/// target per line with `jsonl`). Nothing is stopped.
pub(crate) fn print_would_stop(out: &mut Stdout, targets: &[StopTarget], stderr: &Stderr) -> io::Result<()> {
    let item = |t: &StopTarget| {
        let mut map = serde_json::Map::new();
        for (k, v) in target_fields(&t.target) {
            map.insert(k.into(), v);
        }
        Value::Object(map)
    };
    if out.is_jsonl() {
        for t in targets {
            let mut value = item(t);
            value["dry_run"] = true.into();
            out.json(&value)?;
        }
    } else if out.is_json() {
        let items: Vec<_> = targets.iter().map(item).collect();
        out.json(&json!({ "dry_run": true, "would_stop": items }))?;
    } else {
        stderr.note(&format!(
            "--dry-run: no stop was sent; {} training job(s) or version(s) would be stopped:",
            targets.len()
        ));
        if !targets.is_empty() {
            out.table(&table(targets, false))?;
        }
    }
    Ok(())
}

/// One plain line per status change of a wait, for stderr off a terminal (CI logs): the spinner
/// is hidden there.
#[derive(Debug, Default)]
pub(crate) struct StatusLines {
    last: Option<TargetStatus>,
}

impl StatusLines {
    /// The line for this poll, if the status changed.
    pub(crate) fn change(
        &mut self,
        target: &JobRef,
        status: TargetStatus,
        elapsed: std::time::Duration,
    ) -> Option<String> {
        if self.last == Some(status) {
            return None;
        }
        self.last = Some(status);
        Some(format!(
            "{target}: {status} (after {})",
            crate::output::human_duration(std::time::Duration::from_secs(elapsed.as_secs()))
        ))
    }
}

/// The note for `wait` on a job that nobody is stopping (it reads v2 Running, Pending, …; v1
/// RUNNING, WAITING, …: not stopping and not final).
pub(crate) fn not_stopping_note(target: &JobRef, status: TargetStatus) -> String {
    let stopping = match target {
        JobRef::V1 { .. } => "KILLING",
        JobRef::V2(_) => "Terminating",
    };
    format!(
        "note: {target} is {status}, not {stopping}: nothing is stopping it, so this wait lasts until \
         someone stops it or --max-wait runs out. To stop it: {} --wait",
        command("stop", target)
    )
}

/// `modelarts training-job <verb> ID [--version V]` for a target.
fn command(verb: &str, target: &JobRef) -> String {
    match target {
        JobRef::V1 { job, version } => format!("modelarts training-job {verb} {job} --version {version}"),
        JobRef::V2(id) => format!("modelarts training-job {verb} {id}"),
    }
}

/// The command that resumes a wait after Ctrl-C.
pub(crate) fn resume_command(target: &JobRef) -> String {
    command("wait", target)
}

/// [`resume_command`] for any target of a batch.
pub(crate) fn resume_command_template() -> &'static str {
    "modelarts training-job wait UUID (v2), or modelarts training-job wait JOB_ID --version VERSION_ID (v1)"
}

#[cfg(test)]
mod tests {
    use super::*;

    use modelarts_protocol::JobStatus;

    fn targets(n: u64) -> Vec<StopTarget> {
        (1..=n)
            .map(|i| StopTarget {
                target: JobRef::route(&i.to_string(), Some(&(i + 100).to_string()), None).unwrap(),
                line: Some(usize::try_from(i).unwrap()),
            })
            .collect()
    }

    #[test]
    fn preview_names_the_first_targets_and_counts_the_rest() {
        let text = preview(&targets(2), &[], false);
        assert_eq!(
            text,
            "These 2 job version(s) will be stopped:\n\
             API  JOB_ID  VERSION_ID  NAME  STATUS  CREATED\n\
             v1   1       101         -     -       -\n\
             v1   2       102         -     -       -"
        );
        let text = preview(&targets(25), &[], true);
        assert!(
            text.contains("\nLINE  API  JOB_ID  VERSION_ID  NAME  STATUS  CREATED\n1     v1   1       101"),
            "{text}"
        );
        assert!(text.contains("\n20    v1   20      120 "), "{text}");
        assert!(!text.contains("121"), "{text}");
        assert!(text.ends_with("… and 5 more"), "{text}");
    }

    #[test]
    fn preview_shows_what_was_read_in_words_that_fit_the_targets() {
        use modelarts_protocol::v2::{Phase, PhaseStatus};
        let uuid = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
        let v2 = StopTarget { target: JobRef::route(uuid, None, None).unwrap(), line: None };
        let v1 = StopTarget { target: JobRef::route("10", Some("20"), None).unwrap(), line: None };
        let read = TargetSummary {
            target: v2.target.clone(),
            name: Some("bert".into()),
            status: Some(TargetStatus::V2(PhaseStatus::from_phase(&Phase::Running))),
            create_time_ms: Some(1_700_000_000_000),
        };
        let text = preview(std::slice::from_ref(&v2), std::slice::from_ref(&read), false);
        assert_eq!(
            text,
            format!(
                "These 1 training job(s) will be stopped:\n\
                 API  JOB_ID{pad}  NAME  PHASE    CREATED\n\
                 v2   {uuid}  bert  Running  2023-11-14T22:13:20Z",
                pad = " ".repeat(uuid.len() - "JOB_ID".len())
            )
        );
        // Both APIs; the v1 version's read failed (`unread`), and a description of another target
        // is not shown against this one.
        let both = [v2.clone(), v1.clone()];
        let text = preview(&both, &[read.clone(), TargetSummary::unread(v1.target.clone())], false);
        assert!(text.starts_with("These 2 training job(s) and version(s) will be stopped:\n"), "{text}");
        assert!(text.contains("VERSION_ID  NAME  STATUS/PHASE  CREATED"), "{text}");
        assert!(
            text.ends_with("v1   10                                    20          -     -             -"),
            "{text}"
        );
        let text = preview(&both, &[TargetSummary::unread(v1.target.clone()), read], false);
        assert!(!text.contains("bert"), "{text}");
    }

    #[test]
    fn status_lines_only_on_change() {
        let target = JobRef::route("1", Some("2"), None).unwrap();
        let mut lines = StatusLines::default();
        let second = std::time::Duration::from_secs(1);
        let killing = TargetStatus::V1(JobStatus::Killing);
        assert_eq!(lines.change(&target, killing, second).unwrap(), "job 1 version 2: KILLING (after 1s)");
        assert!(lines.change(&target, killing, second).is_none());
        assert!(lines.change(&target, TargetStatus::V1(JobStatus::Killed), second).is_some());
        let v2 = JobRef::route("3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab", None, None).unwrap();
        let running = TargetStatus::V2(modelarts_protocol::v2::PhaseStatus::from_phase(
            &modelarts_protocol::v2::Phase::Running,
        ));
        let note = not_stopping_note(&v2, running);
        assert!(note.contains("is Running, not Terminating"), "{note}");
        assert!(
            note.ends_with("modelarts training-job stop 3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab --wait"),
            "{note}"
        );
    }
}
