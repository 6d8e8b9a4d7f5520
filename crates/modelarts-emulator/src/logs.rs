//! The emulated training logs and events: deterministic text that grows on the emulator clock while
//! a job runs and stops growing when it is stopped (or its log is stalled), and the answers of the
//! v1 `log/file-names` and `aom-log` routes and the v2 `logs/preview`, `logs/url` and `events` routes.
//!
//! A log has one line per [`LINE_INTERVAL_MS`] of run time up to the stop request, then, once the
//! job has ended, one closing line naming how it ended. Lines have a fixed width per task (a step
//! number of seven digits), so sizes and windows are computed without building the text; every
//! tenth line carries an ANSI colour sequence, as real training logs do. v1 line positions are
//! `1551252759254000001 + index` (the shape of the documented sample).

use serde_json::{Value, json};

/// Run time per log line.
pub const LINE_INTERVAL_MS: u64 = 100;
/// Position of line 0 minus one (v1 `start_line`/`end_line`).
pub const LINE_BASE: u64 = 1_551_252_759_254_000_000;
/// The largest v2 preview: longer logs answer their latest part (the service documents "n MB";
/// the emulator's limit is small so that tests see the window slide).
pub const PREVIEW_LIMIT_BYTES: u64 = 16 * 1024;

const WARN: &str = "\u{1b}[33mWARN\u{1b}[0m";
const INFO: &str = "INFO";

/// One task's log at one moment.
#[derive(Debug, Clone)]
pub(crate) struct Log {
    task: String,
    /// Regular lines.
    count: u64,
    /// The closing line, once the job has ended.
    closing: Option<String>,
}

impl Log {
    /// The log of `task` after `run_ms` of run time, capped at `stall` lines, closed with `ended`.
    pub(crate) fn new(task: &str, run_ms: u64, stall: Option<u64>, ended: Option<&str>) -> Self {
        let count = run_ms / LINE_INTERVAL_MS;
        let count = stall.map_or(count, |s| count.min(s));
        Self {
            task: task.to_owned(),
            count,
            closing: ended.map(|how| format!("[ModelArts Service Log] {} training ended: {how}", task)),
        }
    }

    /// Lines, the closing one included.
    pub(crate) fn len(&self) -> u64 {
        self.count + u64::from(self.closing.is_some())
    }

    /// Regular lines only (what a stall caps).
    pub(crate) fn regular_lines(&self) -> u64 {
        self.count
    }

    fn loss(i: u64) -> u64 {
        9999 - (i * 37 + i / 3) % 9000
    }

    pub(crate) fn line(&self, i: u64) -> String {
        if i >= self.count {
            return self.closing.clone().unwrap_or_default();
        }
        let level = if i % 10 == 9 { WARN } else { INFO };
        format!("[{}] {level} step {i:07} loss 0.{:04}", self.task, Self::loss(i))
    }

    /// Bytes of regular line `i` with its `\n`.
    fn width(&self, i: u64) -> u64 {
        let base = self.task.len() as u64 + 3 + 5 + 5 + 7 + 6 + 6 + 1;
        if i % 10 == 9 { base + (WARN.len() - INFO.len()) as u64 } else { base }
    }

    /// Bytes of the first `n` regular lines.
    fn size_of(&self, n: u64) -> u64 {
        let n = n.min(self.count);
        n * self.width(0) + (n / 10) * (WARN.len() - INFO.len()) as u64
    }

    /// Bytes of the whole text (every line ends with `\n`).
    pub(crate) fn full_size(&self) -> u64 {
        self.size_of(self.count) + self.closing.as_ref().map_or(0, |c| c.len() as u64 + 1)
    }

    fn text(&self, from: u64, to: u64) -> String {
        let mut out = String::new();
        for i in from..to.min(self.len()) {
            out.push_str(&self.line(i));
            out.push('\n');
        }
        out
    }

    /// The v2 preview: the whole text, or its last [`PREVIEW_LIMIT_BYTES`] (which may start in the
    /// middle of a line, as a byte window does).
    pub(crate) fn preview(&self, content_field: &str) -> Value {
        let full = self.full_size();
        let from_byte = full.saturating_sub(PREVIEW_LIMIT_BYTES);
        // The first regular line that ends after `from_byte`.
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.size_of(mid + 1) <= from_byte { lo = mid + 1 } else { hi = mid }
        }
        let first = lo;
        let text = self.text(first, self.len());
        let skip =
            usize::try_from(from_byte.saturating_sub(self.size_of(first))).unwrap_or(0).min(text.len());
        // Every line is ASCII but the colour sequences' ESC, also ASCII: any byte is a boundary.
        let content = text.get(skip..).unwrap_or_default();
        json!({content_field: content, "current_size": content.len(), "full_size": full})
    }

    /// One `aom-log` page: `lines` lines after (`next`) or before position `base`, or the latest.
    pub(crate) fn aom_page(&self, base: Option<u64>, lines: u64, next: bool) -> Value {
        let total = self.len();
        let (from, to) = match base {
            None => (total.saturating_sub(lines), total),
            Some(b) if next => {
                let from = b.saturating_sub(LINE_BASE).min(total);
                (from, from.saturating_add(lines).min(total))
            }
            Some(b) => {
                let to = b.saturating_sub(LINE_BASE + 1).min(total);
                (to.saturating_sub(lines), to)
            }
        };
        let content: Vec<String> = (from..to).map(|i| self.line(i)).collect();
        let n = content.len();
        let mut body = json!({"is_success": true, "content": content.join("\n"), "lines": n.to_string()});
        if let Some(map) = body.as_object_mut() {
            if n > 0 {
                // As in the documented sample: start_line a number, end_line a string.
                map.insert("start_line".into(), json!(LINE_BASE + 1 + from));
                map.insert("end_line".into(), json!((LINE_BASE + to).to_string()));
            } else if let Some(b) = base {
                map.insert("start_line".into(), json!(b));
                map.insert("end_line".into(), json!(b.to_string()));
            }
        }
        body
    }

    /// Every line, for the in-process handle (tests compare against it).
    pub(crate) fn all_lines(&self) -> Vec<String> {
        (0..self.len()).map(|i| self.line(i)).collect()
    }
}

/// The v1 log file of worker `i` of a job.
pub(crate) fn v1_file_name(job_id: u64, worker: u64) -> String {
    format!("modelarts-job-{job_id}-worker-{worker}.log")
}

/// The worker a v1 log file name names, if it is one of the job's.
pub(crate) fn v1_worker_of(job_id: u64, workers: u64, file: &str) -> Option<u64> {
    (0..workers).find(|w| v1_file_name(job_id, *w) == file)
}

/// One event of a v2 job.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) time_ms: u64,
    pub(crate) level: &'static str,
    pub(crate) source: &'static str,
    pub(crate) message: String,
}

impl Event {
    pub(crate) fn to_json(&self) -> Value {
        json!({"time": self.time_ms, "level": self.level, "source": self.source, "message": self.message})
    }
}

/// The validated query of the events route.
pub(crate) struct EventQuery {
    offset: usize,
    limit: usize,
    descending: bool,
    range: Option<(u64, u64)>,
    level: Option<String>,
    pattern: Option<String>,
}

impl EventQuery {
    /// Reads `offset` (events to skip), `limit` (1..=100, 50), `order` (`asc`, the default, or
    /// `desc`), `start_time` and `end_time` (epoch ms, both or neither), `level` and `pattern`
    /// (case-insensitive substring, at most 256 characters).
    pub(crate) fn parse(query: &str) -> Result<Self, String> {
        let param = |k: &str| crate::api::query_param(query, k).map(|c| c.into_owned());
        let number = |k: &str| -> Result<Option<u64>, String> {
            param(k).map(|v| v.parse::<u64>().map_err(|_| format!("Invalid {k}: {v:?}"))).transpose()
        };
        let offset = usize::try_from(number("offset")?.unwrap_or(0)).unwrap_or(usize::MAX);
        let limit = number("limit")?.unwrap_or(50);
        if !(1..=100).contains(&limit) {
            return Err(format!("Invalid limit: {limit} (expected 1..100)"));
        }
        let descending = match param("order").as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => return Err(format!("Invalid order: {other:?} (expected asc or desc)")),
        };
        let range = match (number("start_time")?, number("end_time")?) {
            (Some(s), Some(e)) => Some((s, e)),
            (None, None) => None,
            _ => return Err("start_time and end_time go together".into()),
        };
        let level = param("level");
        if let Some(l) = &level
            && !["info", "warning", "error"].contains(&l.to_ascii_lowercase().as_str())
        {
            return Err(format!("Invalid level: {l:?} (expected Info, Warning or Error)"));
        }
        let pattern = param("pattern");
        if pattern.as_ref().is_some_and(|p| p.chars().count() > 256) {
            return Err("Invalid pattern: longer than 256 characters".into());
        }
        Ok(Self { offset, limit: limit as usize, descending, range, level, pattern })
    }

    /// The answer for `events` (oldest first).
    pub(crate) fn answer(&self, mut events: Vec<Event>) -> Value {
        events.retain(|e| {
            self.range.is_none_or(|(s, end)| (s..=end).contains(&e.time_ms))
                && self.level.as_ref().is_none_or(|l| e.level.eq_ignore_ascii_case(l))
                && self.pattern.as_ref().is_none_or(|p| e.message.to_lowercase().contains(&p.to_lowercase()))
        });
        if self.descending {
            events.reverse();
        }
        let total = events.len();
        let page: Vec<Value> = events.iter().skip(self.offset).take(self.limit).map(Event::to_json).collect();
        json!({"total": total, "count": page.len(), "events": page})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_the_text() {
        for (run_ms, ended) in
            [(0, None), (900, None), (1_000, None), (12_345, Some("Failed")), (100_000, Some("x"))]
        {
            let log = Log::new("worker-0", run_ms, None, ended);
            let text = log.text(0, log.len());
            assert_eq!(log.full_size(), text.len() as u64, "{run_ms}");
            for n in 0..log.regular_lines() {
                assert_eq!(log.size_of(n), log.text(0, n).len() as u64);
                assert_eq!(log.width(n), log.line(n).len() as u64 + 1);
            }
            let p = log.preview("content");
            let content = p["content"].as_str().unwrap();
            assert!(text.ends_with(content));
            assert!(content.len() as u64 <= PREVIEW_LIMIT_BYTES);
            assert_eq!(p["full_size"], json!(text.len()));
        }
    }

    #[test]
    fn aom_pages_walk_forward_and_back() {
        let log = Log::new("worker-0", 2_000, None, Some("KILLED"));
        assert_eq!(log.len(), 21);
        let tail = log.aom_page(None, 5, true);
        assert_eq!(tail["lines"], json!("5"));
        assert_eq!(tail["end_line"], json!((LINE_BASE + 21).to_string()));
        let first = log.aom_page(Some(LINE_BASE), 3, true);
        assert_eq!(first["start_line"], json!(LINE_BASE + 1));
        assert_eq!(first["content"].as_str().unwrap().lines().count(), 3);
        let before = log.aom_page(Some(LINE_BASE + 4), 10, false);
        assert_eq!(before["lines"], json!("3"));
        let past = log.aom_page(Some(LINE_BASE + 21), 10, true);
        assert_eq!(past["lines"], json!("0"));
        assert_eq!(past["end_line"], json!((LINE_BASE + 21).to_string()));
    }
}
