//! Following a log: pure cursors that turn successive answers into new lines, each line once, with
//! no gap and no duplicate, and know what to ask next. No I/O, no clock: the SDK sends, sleeps and
//! feeds the answers in.
//!
//! - [`AomCursor`] follows a v1 `aom-log` file by line position: it asks for the lines after the
//!   last `end_line` it saw, and drops any line of an answer at or before it (a server may include
//!   the base line itself, or answer an overlapping page).
//! - [`PreviewCursor`] follows a v2 task preview, which has no paging: every answer is the whole
//!   log or its latest part. With `full_size` (the log's length in bytes; the text ends there) the
//!   cursor counts bytes; without it, it finds where the new answer overlaps the lines it saw last.
//!   Lines are yielded once complete (ended by `\n`); [`PreviewCursor::finish`] gives the
//!   unterminated rest when the job has ended.
//!
//! ```
//! use modelarts_protocol::logs::AomCursor;
//! use modelarts_protocol::model::AomLog;
//!
//! let page = |content: &str, start: u64, end: u64| AomLog {
//!     content: content.into(), lines: None,
//!     start_line: Some(start.to_string()), end_line: Some(end.to_string()),
//! };
//! let mut cursor = AomCursor::new();
//! assert_eq!(cursor.next_base_line(), None); // the latest lines first
//! assert_eq!(cursor.accept(&page("a\nb\n", 1, 2))?, ["a", "b"]);
//! assert_eq!(cursor.next_base_line().as_deref(), Some("2"));
//! // An answer that repeats line 2 yields only line 3.
//! assert_eq!(cursor.accept(&page("b\nc\n", 2, 3))?, ["c"]);
//! # Ok::<(), modelarts_protocol::logs::CursorError>(())
//! ```

use std::collections::VecDeque;

use crate::v1::model::AomLog;
use crate::v2::LogPreview;

/// How many of the last lines the preview cursor keeps to find the overlap of answers that carry
/// no `full_size` (memory stays bounded whatever the server sends).
pub const OVERLAP_WINDOW: usize = 2000;

pub use crate::lenient::split_lines;

/// Why an answer cannot be followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CursorError {
    /// The answer has lines but no `end_line` that is a position (digits): there is nothing to
    /// ask the next page from.
    #[error("the log answer has lines but no usable end_line ({found:?}), so it cannot be followed")]
    MissingPosition {
        /// What `end_line` held (cut to 64 characters), if anything.
        found: Option<String>,
    },
}

fn position(text: Option<&str>) -> Option<u64> {
    text.map(str::trim).filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))?.parse().ok()
}

/// Follows a v1 `aom-log` file by line position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AomCursor {
    last: Option<u64>,
}

impl AomCursor {
    /// A cursor that starts at the latest lines.
    pub fn new() -> Self {
        Self::default()
    }

    /// A cursor that continues after position `base_line`.
    pub fn after(base_line: u64) -> Self {
        Self { last: Some(base_line) }
    }

    /// The `base_line` of the next request (read with `order=desc`, the next records); `None`
    /// for the first, which asks for the latest lines.
    pub fn next_base_line(&self) -> Option<String> {
        self.last.map(|l| l.to_string())
    }

    /// The last position seen.
    pub fn last_position(&self) -> Option<u64> {
        self.last
    }

    /// The lines of `page` not seen before, in order.
    pub fn accept(&mut self, page: &AomLog) -> Result<Vec<String>, CursorError> {
        let lines = page.text_lines();
        if lines.is_empty() {
            return Ok(Vec::new());
        }
        let Some(end) = position(page.end_line.as_deref()) else {
            return Err(CursorError::MissingPosition {
                found: page.end_line.as_ref().map(|e| e.chars().take(64).collect()),
            });
        };
        let skip = match self.last {
            None => 0,
            Some(last) if end <= last => lines.len(),
            Some(last) => {
                let start = position(page.start_line.as_deref());
                match start {
                    // Entirely after what was seen.
                    Some(start) if start > last => 0,
                    // Overlapping: one line per position after `last` is new (positions of a
                    // page are consecutive; a page starting at `last` repeats at least it).
                    _ => {
                        let new = usize::try_from(end - last).unwrap_or(usize::MAX);
                        let skip = lines.len().saturating_sub(new);
                        if start == Some(last) { skip.max(1) } else { skip }
                    }
                }
            }
        };
        self.last = Some(self.last.map_or(end, |l| l.max(end)));
        Ok(lines.into_iter().skip(skip).map(str::to_owned).collect())
    }
}

/// What one preview answer added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreviewLines {
    /// New complete lines, in order.
    pub lines: Vec<String>,
    /// Whether some of the log was never seen: it grew by more than one preview holds between two
    /// reads (or shrank, as when it was replaced), so lines may be missing before these.
    pub gap: bool,
}

/// Follows a v2 task's log preview.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreviewCursor {
    /// Bytes of the log consumed (through the last complete line), when answers carry `full_size`.
    consumed: Option<u64>,
    /// The last complete lines seen, for answers without `full_size`.
    recent: VecDeque<String>,
    /// Whether any answer was accepted.
    started: bool,
    /// The unterminated last line of the latest answer.
    partial: String,
}

impl PreviewCursor {
    /// A cursor that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// The new complete lines of `preview`.
    pub fn accept(&mut self, preview: &LogPreview) -> PreviewLines {
        let text = preview.text();
        let full = preview.full_size.and_then(|f| u64::try_from(f).ok());
        let first = !self.started;
        self.started = true;
        match full {
            Some(full) if (text.len() as u64) <= full => self.accept_sized(text, full, first),
            _ => self.accept_overlap(text, first),
        }
    }

    fn accept_sized(&mut self, text: &str, full: u64, first: bool) -> PreviewLines {
        let start = full - text.len() as u64;
        let (from, gap) = match self.consumed {
            None if first => (start, false),
            // Earlier answers had no size: continue by overlap instead.
            None => return self.accept_overlap(text, first),
            Some(c) if c < start => (start, true),
            // The log is shorter than what was read: it was replaced; read it all again.
            Some(c) if c > full => (start, true),
            Some(c) => (c, false),
        };
        let offset = usize::try_from(from - start).unwrap_or(usize::MAX).min(text.len());
        let new = &text.as_bytes()[offset..];
        let complete = new.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        self.consumed = Some(from + complete as u64);
        self.partial = String::from_utf8_lossy(&new[complete..]).into_owned();
        let lines: Vec<String> =
            split_lines(&String::from_utf8_lossy(&new[..complete])).into_iter().map(str::to_owned).collect();
        self.remember(&lines);
        PreviewLines { lines, gap }
    }

    fn accept_overlap(&mut self, text: &str, first: bool) -> PreviewLines {
        let complete = text.rfind('\n').map_or(0, |i| i + 1);
        self.partial = text[complete..].to_owned();
        let lines = split_lines(&text[..complete]);
        let overlap = if first { 0 } else { self.overlap(&lines) };
        let gap = !first && overlap == 0 && !self.recent.is_empty() && !lines.is_empty();
        let new: Vec<String> = lines[overlap..].iter().map(|l| (*l).to_owned()).collect();
        self.recent.clear();
        self.remember(&lines.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>());
        // Byte counting cannot resume after an answer without a size.
        self.consumed = None;
        PreviewLines { lines: new, gap }
    }

    /// The largest k such that the last k lines seen are the first k of `lines`.
    fn overlap(&self, lines: &[&str]) -> usize {
        let max = self.recent.len().min(lines.len());
        (1..=max)
            .rev()
            .find(|&k| {
                let tail = self.recent.iter().skip(self.recent.len() - k);
                tail.zip(&lines[..k]).all(|(a, b)| a == b)
            })
            .unwrap_or(0)
    }

    fn remember(&mut self, lines: &[String]) {
        for l in lines.iter().skip(lines.len().saturating_sub(OVERLAP_WINDOW)) {
            if self.recent.len() == OVERLAP_WINDOW {
                self.recent.pop_front();
            }
            self.recent.push_back(l.clone());
        }
    }

    /// The unterminated last line of the latest answer, once: call it when the job has ended and
    /// no more text will come.
    pub fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.partial);
        (!rest.is_empty()).then_some(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aom(content: &str, start: Option<&str>, end: Option<&str>) -> AomLog {
        AomLog {
            content: content.into(),
            lines: None,
            start_line: start.map(Into::into),
            end_line: end.map(Into::into),
        }
    }

    fn preview(text: &str, full: Option<i64>) -> LogPreview {
        LogPreview { content: Some(text.into()), context: None, current_size: None, full_size: full }
    }

    #[test]
    fn split_lines_table() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("\n", &[""]),
            ("a", &["a"]),
            ("a\n", &["a"]),
            ("a\r\nb", &["a", "b"]),
            ("a\n\nb\n", &["a", "", "b"]),
        ];
        for (text, want) in cases {
            assert_eq!(split_lines(text), *want, "{text:?}");
        }
    }

    /// Pages a server might send in turn (content, start, end) → the lines the cursor yields and the
    /// next base line.
    #[test]
    fn aom_cursor_table() {
        type Step = (
            &'static str,
            Option<&'static str>,
            Option<&'static str>,
            &'static [&'static str],
            Option<&'static str>,
        );
        let runs: &[(&str, &[Step])] = &[
            (
                "exclusive pages",
                &[
                    ("a\nb\n", Some("10"), Some("11"), &["a", "b"], Some("11")),
                    ("c\n", Some("12"), Some("12"), &["c"], Some("12")),
                    ("", Some("12"), Some("12"), &[], Some("12")),
                    ("d\ne\n", Some("13"), Some("14"), &["d", "e"], Some("14")),
                ],
            ),
            (
                "inclusive base line",
                &[
                    ("a\nb\n", Some("10"), Some("11"), &["a", "b"], Some("11")),
                    ("b\nc\n", Some("11"), Some("12"), &["c"], Some("12")),
                    ("c\n", Some("12"), Some("12"), &[], Some("12")),
                ],
            ),
            (
                "overlapping page, positions as numbers in text",
                &[
                    (
                        "a\nb\nc\n",
                        Some("1551252759254000001"),
                        Some("1551252759254000003"),
                        &["a", "b", "c"],
                        Some("1551252759254000003"),
                    ),
                    (
                        "b\nc\nd\ne\n",
                        Some("1551252759254000002"),
                        Some("1551252759254000005"),
                        &["d", "e"],
                        Some("1551252759254000005"),
                    ),
                ],
            ),
            (
                "an older page yields nothing and keeps the cursor",
                &[
                    ("x\ny\n", Some("20"), Some("21"), &["x", "y"], Some("21")),
                    ("w\nx\n", Some("19"), Some("20"), &[], Some("21")),
                ],
            ),
            (
                "no start_line: counts from the end",
                &[
                    ("a\n", None, Some("5"), &["a"], Some("5")),
                    ("a\nb\n", None, Some("6"), &["b"], Some("6")),
                ],
            ),
        ];
        for (name, steps) in runs {
            let mut cursor = AomCursor::new();
            for (i, (content, start, end, want, next)) in steps.iter().enumerate() {
                let got = cursor.accept(&aom(content, *start, *end)).unwrap();
                assert_eq!(got, *want, "{name}, step {i}");
                assert_eq!(cursor.next_base_line().as_deref(), *next, "{name}, step {i}");
            }
        }
    }

    #[test]
    fn aom_lines_without_a_position_cannot_be_followed() {
        let mut cursor = AomCursor::new();
        for end in [None, Some("soon"), Some("")] {
            let e = cursor.accept(&aom("a\n", Some("1"), end)).unwrap_err();
            assert!(matches!(e, CursorError::MissingPosition { .. }), "{end:?}");
        }
        // An empty page needs no position.
        assert_eq!(cursor.accept(&aom("", None, None)).unwrap(), Vec::<String>::new());
    }

    /// A log that grows, read through a preview window of `window` bytes: every line comes out
    /// once, in order, whatever the growth between reads.
    #[test]
    fn preview_cursor_sized_windows_yield_each_line_once() {
        let log: String = (0..200).map(|i| format!("line {i}\n")).collect();
        for (window, growth) in [(10_000, 37), (300, 20), (64, 7), (300, 1)] {
            let mut cursor = PreviewCursor::new();
            let mut seen = Vec::new();
            let mut len = 0;
            while len < log.len() {
                len = (len + growth).min(log.len());
                let start = len.saturating_sub(window);
                let out = cursor.accept(&preview(&log[start..len], Some(len as i64)));
                assert!(!out.gap, "window {window}, growth {growth}");
                seen.extend(out.lines);
            }
            let want: Vec<String> = split_lines(&log).into_iter().map(str::to_owned).collect();
            assert_eq!(seen, want, "window {window}, growth {growth}");
            assert_eq!(cursor.finish(), None);
        }
    }

    #[test]
    fn preview_cursor_reports_a_gap_and_holds_back_a_partial_line() {
        let mut cursor = PreviewCursor::new();
        let out = cursor.accept(&preview("a\nb\npart", Some(8)));
        assert_eq!(out.lines, ["a", "b"]);
        // The partial line completes.
        let out = cursor.accept(&preview("a\nb\npartial\nc\n", Some(14)));
        assert_eq!((out.lines.as_slice(), out.gap), (&["partial".to_owned(), "c".to_owned()][..], false));
        // The log grew by more than the window holds.
        let out = cursor.accept(&preview("y\nz\n", Some(100)));
        assert_eq!((out.lines.as_slice(), out.gap), (&["y".to_owned(), "z".to_owned()][..], true));
        let out = cursor.accept(&preview("z\nend", Some(103)));
        assert!(out.lines.is_empty());
        assert_eq!(cursor.finish().as_deref(), Some("end"));
        assert_eq!(cursor.finish(), None);
    }

    #[test]
    fn preview_cursor_without_sizes_finds_the_overlap() {
        let steps: &[(&str, &[&str], bool)] = &[
            ("a\nb\nc\n", &["a", "b", "c"], false),
            ("b\nc\nd\n", &["d"], false),
            ("b\nc\nd\n", &[], false),
            ("d\ne\nf\ng\n", &["e", "f", "g"], false),
            ("x\ny\n", &["x", "y"], true),
            // The older `context` field, same rules.
            ("y\nz\n", &["z"], false),
        ];
        let mut cursor = PreviewCursor::new();
        for (i, (text, want, gap)) in steps.iter().enumerate() {
            let p = if i == 5 {
                LogPreview {
                    content: None,
                    context: Some((*text).into()),
                    current_size: None,
                    full_size: None,
                }
            } else {
                preview(text, None)
            };
            let out = cursor.accept(&p);
            assert_eq!(out.lines, *want, "step {i}");
            assert_eq!(out.gap, *gap, "step {i}");
        }
    }

    #[test]
    fn preview_cursor_survives_hostile_sizes() {
        let mut cursor = PreviewCursor::new();
        // A size smaller than the text, negative, or huge: no panic, lines still come out once.
        assert_eq!(cursor.accept(&preview("a\nb\n", Some(1))).lines, ["a", "b"]);
        assert_eq!(cursor.accept(&preview("a\nb\nc\n", Some(-5))).lines, ["c"]);
        let out = cursor.accept(&preview("é\n", Some(i64::MAX)));
        assert_eq!(out.lines, ["é"]);
        let out = cursor.accept(&preview("é\nf\n", Some(i64::MAX)));
        assert!(out.lines.len() <= 2);
    }
}
