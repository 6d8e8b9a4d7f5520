//! The `--from-file` list of versions to stop: one `JOB_ID VERSION_ID` pair per line.
//!
//! The whole file is read and checked before any request is sent, so a typo on line 900 cannot
//! leave 899 versions stopped and the rest not.

use modelarts_protocol::{JobId, VersionId};

/// One version to stop, with the line it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StopTarget {
    pub(crate) job_id: JobId,
    pub(crate) version_id: VersionId,
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
/// trailing) are skipped; the two IDs may be separated by spaces, tabs or one comma.
pub(crate) fn parse(text: &str) -> Result<Vec<StopTarget>, StopFileError> {
    let mut targets = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let fields: Vec<&str> =
            content.split(|c: char| c == ',' || c.is_whitespace()).filter(|f| !f.is_empty()).collect();
        let [job, version] = fields.as_slice() else {
            return Err(StopFileError {
                line,
                reason: format!("expected `JOB_ID VERSION_ID`, found {content:?}"),
            });
        };
        let error = |e: modelarts_protocol::ids::IdError| StopFileError { line, reason: e.to_string() };
        targets.push(StopTarget {
            job_id: job.parse().map_err(error)?,
            version_id: version.parse().map_err(error)?,
            line: Some(line),
        });
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (job, version, line)
    type Expected = &'static [(u64, u64, usize)];

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
            let got: Vec<(u64, u64, usize)> = parse(text)
                .unwrap()
                .iter()
                .map(|t| (t.job_id.get(), t.version_id.get(), t.line.unwrap()))
                .collect();
            assert_eq!(&got, expected, "{text:?}");
        }
    }

    #[test]
    fn bad_lines_are_named_table() {
        let cases = [
            ("10 20\n10\n", 2, "expected `JOB_ID VERSION_ID`"),
            ("10 20 30\n", 1, "expected"),
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
