//! Everything the CLI prints: data on stdout (tables or JSON), and notes, warnings and errors on
//! stderr. Printing is this module's job, so `print_stdout` is allowed here and nowhere else.
//!
//! A closed stdout (`modelarts … | head -1`): every write from the first `BrokenPipe` on fails with
//! it. A read-only command (`list`, `show`, `logs`, `events`, `wait`, …) then ends at once, and the
//! process exits 0 without a message (its reader has what it wanted); a stop keeps stopping what it
//! was asked to stop, writes the outcomes' summary to stderr and exits 1.

#![allow(clippy::print_stdout)]

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use modelarts_protocol::JobStatus;
use serde_json::{Map, Value};
use unicode_width::UnicodeWidthStr;

use crate::args::OutputFormat;
use crate::escape::{escape, escape_lines, json_safe};

/// `value` with `schema_version` ([`SCHEMA_VERSION`](crate::json_docs::SCHEMA_VERSION)) when it is
/// an object that does not carry one.
pub(crate) fn versioned(value: &Value) -> Cow<'_, Value> {
    match value {
        Value::Object(map) if !map.contains_key("schema_version") => {
            let mut map = map.clone();
            map.insert("schema_version".into(), crate::json_docs::SCHEMA_VERSION.into());
            Cow::Owned(Value::Object(map))
        }
        other => Cow::Borrowed(other),
    }
}

/// The process's stdout, with broken-pipe handling. In table mode every line is escaped
/// ([`escape_lines`]); JSON is written with [`json_safe`], which keeps the values exact.
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

    /// Whether the output is JSON (one document, or one document per line with `jsonl`).
    pub(crate) fn is_json(&self) -> bool {
        matches!(self.format, OutputFormat::Json | OutputFormat::Jsonl)
    }

    /// Whether the output is one JSON document per item (`--output jsonl`).
    pub(crate) fn is_jsonl(&self) -> bool {
        self.format == OutputFormat::Jsonl
    }

    /// Writes text (a newline is added), escaped unless the output is JSON. Other I/O errors are
    /// returned; a broken pipe is not.
    pub(crate) fn line(&mut self, text: &str) -> io::Result<()> {
        if self.is_json() {
            let safe = json_safe(text);
            self.raw(&safe, true)
        } else {
            let safe = escape_lines(text);
            self.raw(&safe, true)
        }
    }

    /// Whether a log line may keep its colours: stdout is a terminal, the output is a table, and
    /// `NO_COLOR` is not set (<https://no-color.org>).
    pub(crate) fn shows_colour(&self) -> bool {
        !self.is_json()
            && io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    }

    /// Writes a log line with its colour (SGR) sequences kept and every other unsafe character
    /// spelled out ([`crate::escape::escape_keep_colour`]), with a newline.
    pub(crate) fn colour_line(&mut self, text: &str) -> io::Result<()> {
        let safe = crate::escape::escape_keep_colour(text);
        self.raw(&safe, true)
    }

    /// Writes text exactly as it is, with a newline (`logs --raw`: the user asked for the bytes).
    pub(crate) fn raw_line(&mut self, text: &str) -> io::Result<()> {
        self.raw(text, true)
    }

    /// Writes JSON text as it is (after [`json_safe`]), without a newline: a piece of a document
    /// that is streamed.
    pub(crate) fn json_piece(&mut self, text: &str) -> io::Result<()> {
        let safe = json_safe(text);
        self.raw(&safe, false)
    }

    /// Whether a write found stdout closed (its reader gone).
    pub(crate) fn is_broken(&self) -> bool {
        self.broken
    }

    fn raw(&mut self, text: &str, newline: bool) -> io::Result<()> {
        if self.broken {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        // Every secret the client holds is masked, wherever it appears (a job's text included).
        let text = modelarts_sdk::secrets::mask(text);
        let mut out = io::stdout().lock();
        let result = out
            .write_all(text.as_bytes())
            .and_then(|()| if newline { out.write_all(b"\n") } else { Ok(()) })
            .and_then(|()| out.flush());
        match result {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.broken = true;
                Err(e)
            }
            other => other,
        }
    }

    /// Writes a JSON document on one line, with its `schema_version` when it is an object.
    pub(crate) fn json(&mut self, value: &Value) -> io::Result<()> {
        self.line(&versioned(value).to_string())
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

/// Messages for people on stderr, escaped line by line (JSON reports with [`json_safe`]).
/// Failures to write to stderr are ignored: there is nowhere left to report them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stderr {
    quiet: bool,
    json: bool,
}

impl Stderr {
    pub(crate) fn new(quiet: bool, json: bool) -> Self {
        Self { quiet, json }
    }

    /// A note (suppressed by `-q` and by JSON output, where stderr carries only errors).
    pub(crate) fn note(&self, text: &str) {
        if !self.quiet && !self.json {
            self.write(text);
        }
    }

    /// Always written, whatever `-q` says.
    pub(crate) fn always(&self, text: &str) {
        self.write(text);
    }

    fn write(&self, text: &str) {
        // A server may echo what it received (a token, a signature) in the message shown here.
        let text = modelarts_sdk::secrets::mask_echo(text);
        let safe = if self.json { json_safe(&text) } else { escape_lines(&text) };
        let mut err = io::stderr().lock();
        let _ = writeln!(err, "{safe}");
    }

    /// Whether stderr is a terminal.
    pub(crate) fn is_terminal() -> bool {
        io::stderr().is_terminal()
    }
}

/// Aligned columns with a header row: the one table renderer of every command.
///
/// Cells are escaped ([`escape`]) and measured in terminal columns (`unicode-width`: a CJK
/// character takes two), columns are separated by at least two spaces, and the last column is not
/// padded. [`Table::render`] renders a whole table; [`Table::render_rows`] renders it in pieces as
/// rows arrive (a page of `list --all`, an outcome of a batch stop): the header comes with the first
/// piece, and a column only ever widens, so later rows stay aligned with earlier ones as long as
/// they fit the widths so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    widths: Vec<usize>,
    header_done: bool,
}

/// The space between columns.
const GAP: usize = 2;

impl Table {
    pub(crate) fn new<const N: usize>(header: [&str; N]) -> Self {
        let header: Vec<String> = header.iter().map(|s| (*s).to_owned()).collect();
        let widths = header.iter().map(|h| h.width()).collect();
        Self { header, rows: Vec::new(), widths, header_done: false }
    }

    /// A table whose columns are chosen at run time.
    pub(crate) fn with_header(header: &[&str]) -> Self {
        let header: Vec<String> = header.iter().map(|s| (*s).to_owned()).collect();
        let widths = header.iter().map(|h| h.width()).collect();
        Self { header, rows: Vec::new(), widths, header_done: false }
    }

    /// Columns at least this wide (in terminal columns), for tables printed row by row.
    pub(crate) fn min_widths(mut self, widths: &[usize]) -> Self {
        for (w, min) in self.widths.iter_mut().zip(widths) {
            *w = (*w).max(*min);
        }
        self
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text; the last column is not padded.
    pub(crate) fn render(&self) -> String {
        let mut copy = self.clone();
        let rows = std::mem::take(&mut copy.rows);
        copy.render_rows(&rows)
    }

    /// The next rows as text, with the header first if it was not rendered yet. The widths grow
    /// to fit these rows.
    pub(crate) fn render_rows(&mut self, rows: &[Vec<String>]) -> String {
        let columns = self.header.len();
        let escaped: Vec<Vec<Cow<'_, str>>> =
            rows.iter().map(|r| r.iter().take(columns).map(|c| escape(c)).collect()).collect();
        for row in &escaped {
            for (i, cell) in row.iter().enumerate() {
                self.widths[i] = self.widths[i].max(cell.width());
            }
        }
        let mut text = String::new();
        if !self.header_done {
            self.header_done = true;
            let header: Vec<Cow<'_, str>> = self.header.iter().map(|h| Cow::Borrowed(h.as_str())).collect();
            self.push_line(&mut text, &header);
        }
        for row in &escaped {
            self.push_line(&mut text, row);
        }
        text
    }

    fn push_line(&self, text: &mut String, row: &[Cow<'_, str>]) {
        let columns = self.header.len();
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate().take(columns) {
            line.push_str(cell);
            if i + 1 < columns {
                let pad = self.widths[i].saturating_sub(cell.width()) + GAP;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
}

/// A status for people: `KILLED`, `UNKNOWN(99)`.
pub(crate) fn status_cell(status: JobStatus) -> String {
    status.to_string()
}

/// The epoch-millisecond fields of the API's objects: each gets an ISO 8601 twin in JSON output
/// (`create_time` → `create_time_iso`).
pub(crate) const TIME_FIELDS: [&str; 2] = ["create_time", "start_time"];

/// Serialises an item of the API (a job, a version) for JSON output: its fields as the service
/// sent them, plus `status_name` beside `status` and an ISO 8601 twin beside every time
/// ([`TIME_FIELDS`]; `null` when the time is absent or cannot be a date).
pub(crate) fn item_json<T: serde::Serialize>(value: &T, status: JobStatus) -> Value {
    let mut json = serde_json::to_value(value).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut json {
        insert_status(map, status);
        insert_iso_times(map);
    }
    json
}

/// Adds `status` (code) and `status_name` to a JSON object.
pub(crate) fn insert_status(map: &mut Map<String, Value>, status: JobStatus) {
    map.insert("status".into(), status.code().into());
    map.insert("status_name".into(), status.name().into());
}

/// Adds `<field>_iso` beside each epoch-millisecond field present in `map`.
pub(crate) fn insert_iso_times(map: &mut Map<String, Value>) {
    for field in TIME_FIELDS {
        if let Some(value) = map.get(field) {
            let iso = value.as_i64().and_then(iso_time).map_or(Value::Null, Value::String);
            map.insert(format!("{field}_iso"), iso);
        }
    }
}

/// An epoch-milliseconds time as ISO 8601 UTC with milliseconds (`2023-11-14T22:13:20.123Z`), or
/// `None` outside years 0000 to 9999 (or before 1970-01-01T00:00:00.001Z, since the API counts
/// from the epoch and 0 means "not set").
pub(crate) fn iso_time(epoch_ms: i64) -> Option<String> {
    if epoch_ms <= 0 {
        return None;
    }
    let nanos = i128::from(epoch_ms).checked_mul(1_000_000)?;
    let time = time::OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
    if !(0..=9999).contains(&time.year()) {
        return None;
    }
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second(),
        time.millisecond()
    ))
}

/// An epoch-milliseconds time for people (UTC, seconds precision); `-` when absent or 0. A time
/// no calendar date can show (after 9999-12-31, negative) is shown as the raw number.
pub(crate) fn time_cell(epoch_ms: Option<i64>) -> String {
    match epoch_ms {
        None | Some(0) => "-".to_owned(),
        Some(ms) => match iso_time(ms) {
            // Seconds precision: drop `.mmm` before the `Z`.
            Some(iso) => format!("{}Z", &iso[..19]),
            None => ms.to_string(),
        },
    }
}

/// A run time in milliseconds for people ([`human_duration`], whole seconds); `-` when absent,
/// the raw number when negative.
pub(crate) fn duration_cell(ms: Option<i64>) -> String {
    match ms {
        None => "-".to_owned(),
        Some(ms) => match u64::try_from(ms) {
            Ok(ms) => human_duration(Duration::from_secs(ms / 1000)),
            Err(_) => ms.to_string(),
        },
    }
}

/// How long ago an epoch-milliseconds time was, for an AGE column (kubectl style:
/// [`human_duration`] in whole seconds); `-` when absent or 0, or in the future.
pub(crate) fn age_cell(epoch_ms: Option<i64>, now: std::time::SystemTime) -> String {
    let Some(ms) = epoch_ms.filter(|ms| *ms > 0).and_then(|ms| u64::try_from(ms).ok()) else {
        return "-".to_owned();
    };
    let then = std::time::UNIX_EPOCH + Duration::from_millis(ms);
    match now.duration_since(then) {
        Ok(age) => human_duration(Duration::from_secs(age.as_secs())),
        Err(_) => "-".to_owned(),
    }
}

/// A duration for people, rounded to the millisecond ([`human_duration`]).
pub(crate) fn elapsed(d: Duration) -> String {
    human_duration(Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)))
}

/// The one duration format of the command (tables, progress, messages): the two largest units
/// that are not zero, with no spaces, kubectl style: `2d3h`, `1h37m`, `1h`, `3m12s`, `45s`;
/// milliseconds only under a second (`523ms`, `0s`). A value the user gave (a flag echoed in a
/// message) is written in the same notation, whole: [`exact_duration`].
pub(crate) fn human_duration(d: Duration) -> String {
    units(d, 2)
}

/// [`human_duration`]'s notation with every unit: `1h30m5s`, `2d1s`.
pub(crate) fn exact_duration(d: Duration) -> String {
    units(d, usize::MAX)
}

fn units(d: Duration, at_most: usize) -> String {
    const UNITS: [(u64, &str); 4] = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];
    let secs = d.as_secs();
    if secs == 0 {
        let ms = d.subsec_millis();
        return if ms == 0 { "0s".to_owned() } else { format!("{ms}ms") };
    }
    let mut out = String::new();
    let mut rest = secs;
    let mut shown = 0;
    for (size, unit) in UNITS {
        let n = rest / size;
        rest %= size;
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
            shown += 1;
        } else if shown > 0 && at_most != usize::MAX {
            // A zero between two units ends a rounded reading: `1d` for 1 day 0 h 5 m.
            break;
        }
        if shown == at_most {
            break;
        }
    }
    out
}

/// An optional text for a table cell (the table escapes it).
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
    fn table_measures_display_width_and_escapes() {
        let mut t = Table::new(["NAME", "STATUS"]);
        t.row(vec!["训练任务".into(), "RUNNING".into()]);
        t.row(vec!["abc".into(), "KILLED".into()]);
        t.row(vec!["a\u{1b}[2Jb".into(), "FAILED".into()]);
        let text = t.render();
        let lines: Vec<&str> = text.lines().collect();
        // 训练任务 is 8 columns wide, `a\e[2Jb` 7: the STATUS column starts at column 10.
        assert_eq!(lines[0], "NAME      STATUS");
        assert_eq!(lines[1], "训练任务  RUNNING");
        assert_eq!(lines[2], "abc       KILLED");
        assert_eq!(lines[3], "a\\e[2Jb   FAILED");
    }

    #[test]
    fn columns_never_touch() {
        let mut t = Table::new(["JOB_ID", "OUTCOME", "DETAIL"]).min_widths(&[4, 4]);
        let first = t.render_rows(&[vec!["1".into(), "stopped".into(), "x".into()]]);
        let second = t.render_rows(&[vec![
            "12345678901239876543210987".into(),
            "CHECK_RUNNING_COMPLETED".into(),
            "already final".into(),
        ]]);
        assert!(first.starts_with("JOB_ID  OUTCOME  DETAIL\n"), "{first}");
        assert_eq!(second, "12345678901239876543210987  CHECK_RUNNING_COMPLETED  already final\n");
        // The header is rendered once.
        assert!(!second.contains("JOB_ID"));
    }

    #[test]
    fn item_json_adds_status_name_and_iso_times() {
        #[derive(serde::Serialize)]
        struct S {
            status: JobStatus,
            job_id: u64,
            create_time: i64,
        }
        let v = item_json(
            &S { status: JobStatus::Killed, job_id: 1, create_time: 1_700_000_000_123 },
            JobStatus::Killed,
        );
        assert_eq!(v["status"], 12);
        assert_eq!(v["status_name"], "KILLED");
        assert_eq!(v["job_id"], 1);
        assert_eq!(v["create_time"], 1_700_000_000_123_i64);
        assert_eq!(v["create_time_iso"], "2023-11-14T22:13:20.123Z");
        let v = item_json(
            &S { status: JobStatus::Killed, job_id: 1, create_time: 253_402_300_800_000 },
            JobStatus::Killed,
        );
        assert_eq!(v["create_time_iso"], Value::Null);
    }

    #[test]
    fn one_duration_format() {
        let cases = [
            (0, "0s"),
            (523, "523ms"),
            (2_523, "2s"),
            (45_000, "45s"),
            (60_000, "1m"),
            (192_000, "3m12s"),
            (3_600_000, "1h"),
            (3_609_000, "1h"),
            (5_820_000, "1h37m"),
            (5_827_000, "1h37m"),
            (86_400_000, "1d"),
            (93_601_000, "1d2h"),
            (86_700_000, "1d"),
            (u64::MAX, "213503982334d14h"),
        ];
        for (ms, want) in cases {
            assert_eq!(human_duration(Duration::from_millis(ms)), want, "{ms} ms");
        }
        assert_eq!(exact_duration(Duration::from_secs(5_405)), "1h30m5s");
        assert_eq!(exact_duration(Duration::from_secs(172_801)), "2d1s");
        assert_eq!(exact_duration(Duration::from_millis(1_500)), "1s");
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(age_cell(Some(1_700_000_000_000 - 3_723_000), now), "1h2m");
        assert_eq!(age_cell(Some(1_700_000_000_000 + 5_000), now), "-");
        assert_eq!(age_cell(None, now), "-");
        assert_eq!(age_cell(Some(0), now), "-");
        assert_eq!(age_cell(Some(-7), now), "-");
    }

    #[test]
    fn cells_table() {
        assert_eq!(time_cell(Some(0)), "-");
        assert_eq!(time_cell(None), "-");
        assert_eq!(time_cell(Some(1_700_000_000_123)), "2023-11-14T22:13:20Z");
        assert_eq!(time_cell(Some(253_402_300_799_999)), "9999-12-31T23:59:59Z");
        assert_eq!(time_cell(Some(253_402_300_800_000)), "253402300800000");
        assert_eq!(time_cell(Some(-5)), "-5");
        assert_eq!(time_cell(Some(i64::MAX)), i64::MAX.to_string());
        assert_eq!(time_cell(Some(i64::MIN)), i64::MIN.to_string());
        assert_eq!(duration_cell(Some(3_723_999)), "1h2m");
        assert_eq!(duration_cell(Some(90_000)), "1m30s");
        assert_eq!(duration_cell(Some(-1)), "-1");
        assert!(!duration_cell(Some(i64::MAX)).is_empty());
        assert_eq!(duration_cell(None), "-");
        assert_eq!(text_cell(Some("")), "-");
        assert_eq!(status_cell(JobStatus::Unknown(99)), "UNKNOWN(99)");
    }
}
