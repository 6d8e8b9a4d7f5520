//! Everything the CLI prints: data on stdout (tables or JSON), and notes, warnings and errors on
//! stderr. Printing is this module's job, so `print_stdout` is allowed here and nowhere else.
//!
//! A closed stdout (`modelarts … | head -1`) is not an error: the first `BrokenPipe` turns further
//! writes into no-ops, the command finishes its work, and the process exits with the command's own
//! status without a message or a panic.

#![allow(clippy::print_stdout)]

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, UNIX_EPOCH};

use modelarts_protocol::JobStatus;
use serde_json::{Map, Value};

use crate::args::OutputFormat;

/// The process's stdout, with broken-pipe handling.
#[derive(Debug)]
pub(crate) struct Stdout {
    format: OutputFormat,
    broken: bool,
}

impl Stdout {
    pub(crate) fn new(format: OutputFormat) -> Self {
        Self { format, broken: false }
    }

    pub(crate) fn format(&self) -> OutputFormat {
        self.format
    }

    pub(crate) fn is_json(&self) -> bool {
        self.format == OutputFormat::Json
    }

    /// Writes text (a newline is added). Other I/O errors are returned; a broken pipe is not.
    pub(crate) fn line(&mut self, text: &str) -> io::Result<()> {
        if self.broken {
            return Ok(());
        }
        let mut out = io::stdout().lock();
        let result = writeln!(out, "{text}").and_then(|()| out.flush());
        match result {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.broken = true;
                Ok(())
            }
            other => other,
        }
    }

    /// Writes a JSON document on one line.
    pub(crate) fn json(&mut self, value: &Value) -> io::Result<()> {
        self.line(&value.to_string())
    }

    /// Writes a table.
    pub(crate) fn table(&mut self, table: &Table) -> io::Result<()> {
        let text = table.render();
        if text.is_empty() {
            return Ok(());
        }
        self.line(text.trim_end_matches('\n'))
    }
}

/// Messages for people on stderr. Failures to write to stderr are ignored: there is nowhere left
/// to report them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stderr {
    quiet: bool,
    json: bool,
}

impl Stderr {
    pub(crate) fn new(quiet: bool, json: bool) -> Self {
        Self { quiet, json }
    }

    /// A note (suppressed by `-q` and by `--output json`, where stderr carries only errors).
    pub(crate) fn note(&self, text: &str) {
        if !self.quiet && !self.json {
            Self::write(text);
        }
    }

    /// Always written, whatever `-q` says.
    pub(crate) fn always(&self, text: &str) {
        Self::write(text);
    }

    fn write(text: &str) {
        let mut err = io::stderr().lock();
        let _ = writeln!(err, "{text}");
    }

    /// Whether stderr is a terminal.
    pub(crate) fn is_terminal() -> bool {
        io::stderr().is_terminal()
    }
}

/// Aligned columns with a header row.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new<const N: usize>(header: [&str; N]) -> Self {
        Self { header: header.iter().map(|s| (*s).to_owned()).collect(), rows: Vec::new() }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text; the last column is not padded.
    pub(crate) fn render(&self) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut text = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate().take(columns) {
                if i + 1 == columns {
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    let pad = widths[i] - cell.chars().count() + 2;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
        text
    }
}

/// A status for people: `KILLED`, `UNKNOWN(99)`.
pub(crate) fn status_cell(status: JobStatus) -> String {
    status.to_string()
}

/// Serialises `value` and adds `status_name` after every `status` code it finds at the top level
/// of the object: `"status": 12, "status_name": "KILLED"`.
pub(crate) fn with_status_name<T: serde::Serialize>(value: &T, status: JobStatus) -> Value {
    let mut json = serde_json::to_value(value).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut json {
        insert_status(map, status);
    }
    json
}

/// Adds `status` (code) and `status_name` to a JSON object.
pub(crate) fn insert_status(map: &mut Map<String, Value>, status: JobStatus) {
    map.insert("status".into(), status.code().into());
    map.insert("status_name".into(), status.name().into());
}

/// An epoch-milliseconds time for people (UTC, seconds precision); `-` when absent.
pub(crate) fn time_cell(epoch_ms: Option<i64>) -> String {
    match epoch_ms.and_then(|ms| u64::try_from(ms).ok()).filter(|ms| *ms > 0) {
        Some(ms) => {
            let time = UNIX_EPOCH + Duration::from_millis(ms);
            humantime::format_rfc3339_seconds(time).to_string()
        }
        None => "-".to_owned(),
    }
}

/// A run time in milliseconds for people (`1h 2m 3s`); `-` when absent.
pub(crate) fn duration_cell(ms: Option<i64>) -> String {
    match ms.and_then(|ms| u64::try_from(ms).ok()) {
        Some(ms) => humantime::format_duration(Duration::from_secs(ms / 1000)).to_string(),
        None => "-".to_owned(),
    }
}

/// A duration for people, rounded to the millisecond.
pub(crate) fn elapsed(d: Duration) -> String {
    let rounded = Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    humantime::format_duration(rounded).to_string()
}

/// An optional text for a table cell.
pub(crate) fn text_cell(text: Option<&str>) -> String {
    match text {
        Some(t) if !t.is_empty() => t.to_owned(),
        _ => "-".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let mut t = Table::new(["JOB", "NAME", "STATUS"]);
        t.row(vec!["10".into(), "resnet".into(), "RUNNING".into()]);
        t.row(vec!["1234".into(), "a".into(), "KILLED".into()]);
        assert_eq!(t.render(), "JOB   NAME    STATUS\n10    resnet  RUNNING\n1234  a       KILLED\n");
    }

    #[test]
    fn status_name_is_added() {
        #[derive(serde::Serialize)]
        struct S {
            status: JobStatus,
            job_id: u64,
        }
        let v = with_status_name(&S { status: JobStatus::Killed, job_id: 1 }, JobStatus::Killed);
        assert_eq!(v["status"], 12);
        assert_eq!(v["status_name"], "KILLED");
        assert_eq!(v["job_id"], 1);
    }

    #[test]
    fn cells_table() {
        assert_eq!(time_cell(Some(0)), "-");
        assert_eq!(time_cell(None), "-");
        assert_eq!(time_cell(Some(1_700_000_000_123)), "2023-11-14T22:13:20Z");
        assert_eq!(duration_cell(Some(3_723_999)), "1h 2m 3s");
        assert_eq!(duration_cell(None), "-");
        assert_eq!(text_cell(Some("")), "-");
        assert_eq!(status_cell(JobStatus::Unknown(99)), "UNKNOWN(99)");
    }
}
