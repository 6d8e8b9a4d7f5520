//! The `--from-file` list of jobs to stop: one v2 UUID or one v1 `JOB_ID VERSION_ID` pair per
//! line (read by the protocol's [`JobRef::parse_line`]), both kinds mixed as needed.
//!
//! The whole file is read and checked before any request is sent, so a typo on line 900 cannot
//! leave 899 versions stopped and the rest not.

use modelarts_protocol::target::{JobRef, RouteError};

/// One job (v2) or version (v1) to stop, with the line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StopTarget {
    pub(crate) target: JobRef,
    /// 1-based line number in the file; `None` for targets not read from a file.
    pub(crate) line: Option<usize>,
}

/// A malformed line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub(crate) struct StopFileError {
    pub(crate) line: usize,
    pub(crate) reason: String,
}

/// Parses the list. A UTF-8 byte-order mark is skipped; blank lines and `#` comments (whole-line or
/// trailing) are skipped; a v1 line's two IDs may be separated by spaces, tabs or one comma.
pub(crate) fn parse(text: &str) -> Result<Vec<StopTarget>, StopFileError> {
    let mut targets = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let target = JobRef::parse_line(content).map_err(|e| StopFileError {
            line,
            reason: match e {
                RouteError::V1NeedsVersion { .. } => {
                    format!("expected a UUID (v2) or `JOB_ID VERSION_ID` (v1), found {content:?}")
                }
                other => other.to_string(),
            },
        })?;
        targets.push(StopTarget { target, line: Some(line) });
    }
    Ok(targets)
}

/// How many repeated line numbers a duplicate warning names before it only counts them.
const NAMED_DUPLICATES: usize = 10;

/// Drops the targets that repeat an earlier one (the same job and version), keeping the first, and
/// returns the warning naming the repeated lines (`None` when there were none). Each version gets
/// one stop whatever the file holds.
pub(crate) fn dedupe(targets: Vec<StopTarget>) -> (Vec<StopTarget>, Option<String>) {
    use std::collections::HashMap;
    // (job, version) -> index in `kept`; the repeats of each kept target, by line.
    let mut first: HashMap<JobRef, usize> = HashMap::new();
    let mut kept: Vec<StopTarget> = Vec::with_capacity(targets.len());
    let mut repeats: Vec<Vec<Option<usize>>> = Vec::new();
    for target in targets {
        match first.get(&target.target) {
            Some(&index) => repeats[index].push(target.line),
            None => {
                first.insert(target.target.clone(), kept.len());
                kept.push(target);
                repeats.push(Vec::new());
            }
        }
    }
    let dropped: usize = repeats.iter().map(Vec::len).sum();
    if dropped == 0 {
        return (kept, None);
    }
    let line = |l: Option<usize>| l.map_or_else(|| "-".to_owned(), |l| l.to_string());
    let mut named = Vec::new();
    for (target, lines) in kept.iter().zip(&repeats).filter(|(_, lines)| !lines.is_empty()) {
        if named.len() >= NAMED_DUPLICATES {
            break;
        }
        let shown: Vec<String> = lines.iter().take(NAMED_DUPLICATES).map(|l| line(*l)).collect();
        let more = match lines.len().saturating_sub(NAMED_DUPLICATES) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        named.push(format!(
            "{} (line {}) repeated on line(s) {}{more}",
            target.target,
            line(target.line),
            shown.join(", ")
        ));
    }
    let groups = repeats.iter().filter(|r| !r.is_empty()).count();
    let rest = match groups.saturating_sub(named.len()) {
        0 => String::new(),
        n => format!("; and {n} more repeated target(s)"),
    };
    let warning = format!(
        "warning: the stop list repeats {dropped} line(s); each job or version is stopped once: {}{rest}",
        named.join("; ")
    );
    (kept, Some(warning))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (job, version, line)
    type Expected = &'static [(u64, u64, usize)];

    fn v1(t: &StopTarget) -> (u64, u64, usize) {
        match &t.target {
            JobRef::V1 { job, version } => (job.get(), version.get(), t.line.unwrap()),
            other => panic!("not v1: {other:?}"),
        }
    }

    #[test]
    fn good_files_table() {
        let cases: &[(&str, Expected)] = &[
            ("", &[]),
            ("# only a comment\n\n   \n", &[]),
            ("10 20\n", &[(10, 20, 1)]),
            ("10\t20\n11,21\n12 , 22 # trailing comment\n", &[(10, 20, 1), (11, 21, 2), (12, 22, 3)]),
            ("\r\n10 20\r\n", &[(10, 20, 2)]),
            ("\u{feff}10 20\r\n", &[(10, 20, 1)]),
        ];
        for (text, expected) in cases {
            let got: Vec<(u64, u64, usize)> = parse(text).unwrap().iter().map(v1).collect();
            assert_eq!(&got, expected, "{text:?}");
        }
    }

    #[test]
    fn duplicates_are_dropped_and_named() {
        let (kept, warning) = dedupe(parse("10 20\n11 21\n10,20\n# c\n10 20\n11 22\n").unwrap());
        let got: Vec<(u64, u64, usize)> = kept.iter().map(v1).collect();
        assert_eq!(got, [(10, 20, 1), (11, 21, 2), (11, 22, 6)]);
        assert_eq!(
            warning.as_deref(),
            Some(
                "warning: the stop list repeats 2 line(s); each job or version is stopped once: \
                 job 10 version 20 (line 1) repeated on line(s) 3, 5"
            )
        );
        assert_eq!(dedupe(parse("10 20\n10 21\n").unwrap()).1, None);
        // A thousand identical lines: one target, a bounded warning.
        let (kept, warning) = dedupe(parse(&"10 20\n".repeat(1000)).unwrap());
        assert_eq!(kept.len(), 1);
        let warning = warning.unwrap();
        assert!(warning.contains("repeats 999 line(s)"), "{warning}");
        assert!(
            warning.ends_with("repeated on line(s) 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 989 more"),
            "{warning}"
        );
    }

    #[test]
    fn v1_and_v2_lines_mix_and_v2_duplicates_are_dropped() {
        let uuid = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
        let text =
            format!("10 20\n{uuid}\n# c\n{}  # upper case is the same job\n11,21\n", uuid.to_uppercase());
        let (kept, warning) = dedupe(parse(&text).unwrap());
        let apis: Vec<_> = kept.iter().map(|t| (t.target.api().as_str(), t.line.unwrap())).collect();
        assert_eq!(apis, [("v1", 1), ("v2", 2), ("v1", 5)]);
        assert!(warning.unwrap().contains(&format!("job {uuid} (line 2) repeated on line(s) 4")));
    }

    #[test]
    fn bad_lines_are_named_table() {
        let cases = [
            ("10 20\n10\n", 2, "expected a UUID (v2) or `JOB_ID VERSION_ID` (v1)"),
            ("10 20 30\n", 1, "unexpected field \"30\""),
            ("3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab 3\n", 1, "drop --version"),
            ("3f2b1c9e-5a4d-4c1b-9e8f\n", 1, "UUID"),
            ("# c\n\nten 20\n", 3, "invalid job_id \"ten\""),
            ("10 0\n", 1, "invalid version_id \"0\""),
            ("10 -3\n", 1, "negative"),
        ];
        for (text, line, needle) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}");
            assert!(e.to_string().contains(needle), "{e} lacks {needle}");
            assert!(e.to_string().starts_with(&format!("line {line}: ")));
        }
    }
}
