//! The outcome documents of a stop or wait: one table row or one JSON object per version, and
//! the reports on stderr that go with them.

use std::io;
use std::time::Duration;

use modelarts_protocol::status::JobStatus;
use modelarts_protocol::stop::Outcome;
use modelarts_protocol::target::{JobRef, TargetStatus};
use modelarts_protocol::v2::Phase;
use modelarts_sdk::StopOutcome;
use serde_json::Value;

use super::super::Context;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::{Stdout, Table, insert_status};
use crate::stop_file::StopTarget;
use crate::targets::{job_cell, target_fields, version_cell};

/// The outcome of one job (v2) or version (v1): a table row or a JSON line, the same fields for
/// both APIs.
#[derive(Debug)]
pub(super) struct OutcomeDoc {
    /// Line of the `--from-file` list.
    pub(super) line: Option<usize>,
    pub(super) target: JobRef,
    /// A name of the outcome table (`Outcome::NAMES`: `stopped`, `stop_requested`, …).
    pub(super) outcome: &'static str,
    pub(super) status: Option<TargetStatus>,
    pub(super) stop: Option<StopOutcome<TargetStatus>>,
    pub(super) elapsed: Option<Duration>,
    pub(super) exit: ExitStatus,
    pub(super) error: Option<Failure>,
    /// The command that sees the stop through, for an outcome that leaves the job stopping.
    pub(super) hint: Option<String>,
}

impl OutcomeDoc {
    pub(super) fn new(target: &StopTarget, outcome: &'static str, exit: ExitStatus) -> Self {
        Self {
            line: target.line,
            target: target.target.clone(),
            outcome,
            status: None,
            stop: None,
            elapsed: None,
            exit,
            error: None,
            hint: None,
        }
    }

    pub(super) fn json(&self) -> Value {
        let mut map = serde_json::Map::new();
        if let Some(line) = self.line {
            map.insert("line".into(), line.into());
        }
        for (key, value) in target_fields(&self.target) {
            map.insert(key.into(), value);
        }
        map.insert("schema_version".into(), crate::json_docs::SCHEMA_VERSION.into());
        map.insert("outcome".into(), self.outcome.into());
        match self.status {
            Some(TargetStatus::V1(status)) => insert_status(&mut map, status),
            Some(TargetStatus::V2(phase)) => {
                map.insert("status".into(), phase.as_str().into());
                map.insert("status_name".into(), phase.as_str().into());
            }
            None => {
                map.insert("status".into(), Value::Null);
                map.insert("status_name".into(), Value::Null);
            }
        }
        map.insert("stop".into(), self.stop.map(StopOutcome::name).into());
        map.insert(
            "elapsed_ms".into(),
            self.elapsed.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)).into(),
        );
        map.insert("exit_code".into(), self.exit.code().into());
        map.insert("error".into(), self.error.as_ref().map_or(Value::Null, Failure::json_fields));
        map.insert("hint".into(), self.hint.clone().into());
        Value::Object(map)
    }

    /// The outcome's table cells (escaped and aligned by the table).
    pub(super) fn row(&self, with_line: bool) -> Vec<String> {
        let status = self.status.map_or_else(|| "-".to_owned(), |s| s.to_string());
        let detail = match (&self.error, self.stop) {
            (Some(f), _) => f.causes.last().cloned().unwrap_or_else(|| f.context.to_string()),
            (None, Some(stop)) => stop.to_string(),
            (None, None) => String::new(),
        };
        let mut cells = Vec::with_capacity(6);
        if with_line {
            cells.push(self.line.map_or_else(|| "-".to_owned(), |l| l.to_string()));
        }
        cells.extend([
            job_cell(&self.target),
            version_cell(&self.target),
            self.outcome.to_owned(),
            status,
            detail,
        ]);
        cells
    }

    /// The outcome table, its columns as wide as their possible values from the start, since rows
    /// are printed one by one as outcomes arrive: a v2 job ID is a UUID (36 characters; 10 for a
    /// batch of v1 versions only), the outcome and status names are known (v1 statuses and v2
    /// phases alike). So the rows of a mixed batch stay aligned.
    pub(super) fn table(with_line: bool, with_v2: bool) -> Table {
        let job = if with_v2 { 36 } else { 10 };
        let outcome = Outcome::<TargetStatus>::NAMES.iter().map(|n| n.len()).max().unwrap_or(0);
        let status = known_status_width();
        if with_line {
            Table::new(["LINE", "JOB_ID", "VERSION_ID", "OUTCOME", "STATUS", "DETAIL"])
                .min_widths(&[4, job, 10, outcome, status])
        } else {
            Table::new(["JOB_ID", "VERSION_ID", "OUTCOME", "STATUS", "DETAIL"])
                .min_widths(&[job, 10, outcome, status])
        }
    }
}

/// The widest name a status cell can hold: a v1 status or a v2 phase.
fn known_status_width() -> usize {
    let v1 = JobStatus::ALL.iter().map(|s| s.name().len());
    let v2 = Phase::ALL.iter().map(|p| p.as_str().len());
    v1.chain(v2).max().unwrap_or(0)
}

/// Prints outcomes one by one (header first in table mode); in JSON (`json` and `jsonl` alike)
/// one document per outcome per line.
#[derive(Debug)]
pub(super) struct OutcomePrinter {
    with_line: bool,
    table: Table,
}

impl OutcomePrinter {
    /// `with_v2`: whether a v2 job may be among the outcomes (its ID sets the column's width).
    pub(super) fn new(with_line: bool, with_v2: bool) -> Self {
        Self { with_line, table: OutcomeDoc::table(with_line, with_v2) }
    }

    pub(super) fn print(&mut self, out: &mut Stdout, outcome: &OutcomeDoc) -> io::Result<()> {
        if out.is_json() {
            return out.json(&outcome.json());
        }
        let text = self.table.render_rows(&[outcome.row(self.with_line)]);
        out.line(text.trim_end_matches('\n'))
    }
}

/// Stdout failed (`/dev/full`, a closed file) after the version's outcome was known: the failure
/// (exit 1) says on stderr what happened to the version, since stdout cannot.
pub(super) fn unwritten(error: io::Error, outcome: &OutcomeDoc) -> Failure {
    let target = &outcome.target;
    let what = match outcome.outcome {
        "stop_requested" => format!("the stop of {target} was accepted"),
        other => format!("{target}: {}", other.replace('_', " ")),
    };
    let status = outcome.status.map_or_else(String::new, |s| format!(" (status {s})"));
    Failure::new(ExitStatus::Other, format!("{what}{status}, but the outcome could not be written to stdout"))
        .caused_by(&error)
}

/// Reports on stderr why a stop or wait outcome is not a success (its document is on stdout).
pub(super) fn report_outcome_failure(failure: &Failure, ctx: &Context<'_>, out: &Stdout) {
    ctx.stderr.always(&if out.is_json() { failure.json().to_string() } else { failure.text() });
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    use modelarts_protocol::JobStatus;
    use modelarts_protocol::v2::{Phase, PhaseStatus};

    fn target(line: Option<usize>) -> StopTarget {
        StopTarget { target: JobRef::route("10", Some("20"), None).unwrap(), line }
    }

    #[test]
    fn outcome_json_is_stable() {
        let mut o = OutcomeDoc::new(&target(Some(3)), "stopped", ExitStatus::Success);
        o.status = Some(TargetStatus::V1(JobStatus::Killed));
        o.stop = Some(StopOutcome::Accepted);
        o.elapsed = Some(Duration::from_millis(1500));
        let v = o.json();
        assert_eq!(
            v,
            json!({"schema_version": 2, "line": 3, "api": "v1", "job_id": 10, "version_id": 20, "outcome": "stopped",
                   "status": 12, "status_name": "KILLED", "stop": "accepted", "elapsed_ms": 1500, "exit_code": 0,
                   "error": null, "hint": null})
        );
        let uuid = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
        let v2 = StopTarget { target: JobRef::route(uuid, None, None).unwrap(), line: None };
        let mut o = OutcomeDoc::new(&v2, "stop_requested", ExitStatus::Success);
        let terminating = TargetStatus::V2(PhaseStatus::from_phase(&Phase::Terminating));
        o.status = Some(terminating);
        o.stop = Some(StopOutcome::ConfirmedByStatus(terminating));
        o.hint = Some(format!("modelarts training-job wait {uuid}"));
        assert_eq!(
            o.json(),
            json!({"schema_version": 2, "api": "v2", "job_id": uuid, "version_id": null, "outcome": "stop_requested",
                   "status": "Terminating", "status_name": "Terminating", "stop": "confirmed_by_status",
                   "elapsed_ms": null, "exit_code": 0, "error": null,
                   "hint": format!("modelarts training-job wait {uuid}")})
        );
        let row = o.row(false);
        assert_eq!(row[..4], [uuid, "-", "stop_requested", "Terminating"]);
    }

    #[test]
    fn outcome_rows_align_with_the_header() {
        let mut o = OutcomeDoc::new(&target(Some(3)), "stopped", ExitStatus::Success);
        o.status = Some(TargetStatus::V1(JobStatus::Killing));
        let mut table = OutcomeDoc::table(true, false);
        let text = table.render_rows(&[o.row(true)]);
        let (header, row) = text.split_once('\n').unwrap();
        assert_eq!(header.find("JOB_ID"), row.find("10"));
        assert_eq!(header.find("STATUS"), row.find("KILLING"));
        let mut o = OutcomeDoc::new(&target(None), "ended_otherwise", ExitStatus::OtherFinalState);
        o.status = Some(TargetStatus::V1(JobStatus::CheckRunningCompleted));
        o.stop = Some(StopOutcome::AlreadyFinal(TargetStatus::V1(JobStatus::CheckRunningCompleted)));
        let text = OutcomeDoc::table(false, false).render_rows(&[o.row(false)]);
        assert!(text.starts_with("JOB_ID"));
        assert!(text.contains("CHECK_RUNNING_COMPLETED  "), "{text}");
    }

    #[test]
    fn a_mixed_batch_stays_aligned_whatever_comes_first() {
        // Rows are printed one at a time: the v1 row first must leave room for the UUID after it.
        let mut table = OutcomeDoc::table(false, true);
        let mut v1 = OutcomeDoc::new(&target(None), "already_stopped", ExitStatus::Success);
        v1.status = Some(TargetStatus::V1(JobStatus::Killed));
        let first = table.render_rows(&[v1.row(false)]);
        let uuid = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
        let v2 = StopTarget { target: JobRef::route(uuid, None, None).unwrap(), line: None };
        let mut o = OutcomeDoc::new(&v2, "stop_requested", ExitStatus::Success);
        o.status = Some(TargetStatus::V2(PhaseStatus::from_phase(&Phase::Terminating)));
        let second = table.render_rows(&[o.row(false)]);
        let lines: Vec<&str> = first.lines().chain(second.lines()).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        for column in ["VERSION_ID", "OUTCOME", "STATUS"] {
            let at = lines[0].find(column).unwrap();
            for row in &lines[1..] {
                let before = &row[..at];
                assert!(before.ends_with("  "), "{column} is not aligned:\n{}", lines.join("\n"));
                assert!(!row[at..].starts_with(' '), "{column} is not aligned:\n{}", lines.join("\n"));
            }
        }
    }

    #[test]
    fn documented_outcome_fields_are_the_output() {
        let mut documented: Vec<&str> = crate::json_docs::OUTCOME_FIELDS.iter().map(|f| f.0).collect();
        documented.sort_unstable();
        let json = OutcomeDoc::new(&target(Some(1)), "stopped", ExitStatus::Success).json();
        let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, documented);
    }
}
