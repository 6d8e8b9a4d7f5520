//! What a batch stop is about to do, for people and programs: the preview before the `[y/N]`
//! prompt, the `--dry-run` list of what would be stopped, and the plain status lines of a wait
//! when stderr is not a terminal.

use std::io;

use modelarts_protocol::{JobId, JobStatus, VersionId};
use serde_json::json;

use crate::output::{Stderr, Stdout, Table};
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
        row.push(target.job_id.to_string());
        row.push(target.version_id.to_string());
        t.row(row);
    }
    t
}

/// The preview shown before the confirmation prompt: the first [`PREVIEW`] targets as a table,
/// then how many more.
pub(crate) fn preview(targets: &[StopTarget], with_line: bool) -> String {
    let shown = &targets[..targets.len().min(PREVIEW)];
    let mut text = format!("These {} training-job version(s) will be stopped:\n", targets.len());
    text.push_str(&table(shown, with_line).render());
    if targets.len() > shown.len() {
        text.push_str(&format!("… and {} more\n", targets.len() - shown.len()));
    }
    text.trim_end().to_owned()
}

/// `--dry-run` of a batch whose targets were read (`--running`): what would be stopped, on
/// stdout (a table; with JSON one `{"dry_run":true,"would_stop":[…]}` document, or one object per
/// target per line with `jsonl`). Nothing is stopped.
pub(crate) fn print_would_stop(out: &mut Stdout, targets: &[StopTarget], stderr: &Stderr) -> io::Result<()> {
    let item = |t: &StopTarget| json!({ "job_id": t.job_id.get(), "version_id": t.version_id.get() });
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
            "--dry-run: no stop was sent; {} training-job version(s) would be stopped:",
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
    last: Option<JobStatus>,
}

impl StatusLines {
    /// The line for this poll, if the status changed.
    pub(crate) fn change(
        &mut self,
        job: JobId,
        version: VersionId,
        status: JobStatus,
        elapsed: std::time::Duration,
    ) -> Option<String> {
        if self.last == Some(status) {
            return None;
        }
        self.last = Some(status);
        Some(format!("job {job} version {version}: {status} (after {}s)", elapsed.as_secs()))
    }
}

/// The note for `wait` on a version that nobody is stopping (it reads RUNNING, WAITING, …, not
/// KILLING and not final).
pub(crate) fn not_stopping_note(job: JobId, version: VersionId, status: JobStatus) -> String {
    format!(
        "note: job {job} version {version} is {status}, not KILLING: nothing is stopping it, so this wait \
         lasts until someone stops it or --max-wait runs out. To stop it: modelarts training-job stop {job} \
         --version {version} --wait"
    )
}

/// The command that resumes a wait after Ctrl-C.
pub(crate) fn resume_command(job: JobId, version: VersionId) -> String {
    format!("modelarts training-job wait {job} --version {version}")
}

/// [`resume_command`] for any version of a batch.
pub(crate) fn resume_command_template() -> &'static str {
    "modelarts training-job wait JOB_ID --version VERSION_ID"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(n: u64) -> Vec<StopTarget> {
        (1..=n)
            .map(|i| StopTarget {
                job_id: JobId::new(i).unwrap(),
                version_id: VersionId::new(i + 100).unwrap(),
                line: Some(usize::try_from(i).unwrap()),
            })
            .collect()
    }

    #[test]
    fn preview_names_the_first_targets_and_counts_the_rest() {
        let text = preview(&targets(2), false);
        assert_eq!(
            text,
            "These 2 training-job version(s) will be stopped:\nJOB_ID  VERSION_ID\n1       101\n2       102"
        );
        let text = preview(&targets(25), true);
        assert!(text.contains("\nLINE  JOB_ID  VERSION_ID\n1     1       101\n"), "{text}");
        assert!(text.contains("\n20    20      120\n"), "{text}");
        assert!(!text.contains("121"), "{text}");
        assert!(text.ends_with("… and 5 more"), "{text}");
    }

    #[test]
    fn status_lines_only_on_change() {
        let (job, version) = (JobId::new(1).unwrap(), VersionId::new(2).unwrap());
        let mut lines = StatusLines::default();
        let second = std::time::Duration::from_secs(1);
        assert_eq!(
            lines.change(job, version, JobStatus::Killing, second).unwrap(),
            "job 1 version 2: KILLING (after 1s)"
        );
        assert!(lines.change(job, version, JobStatus::Killing, second).is_none());
        assert!(lines.change(job, version, JobStatus::Killed, second).is_some());
    }
}
