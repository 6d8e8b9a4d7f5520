//! Doc sections that tests generate and check: the text between `<!-- BEGIN name -->` and
//! `<!-- END name -->` in a Markdown file must equal what the test observed. With `UPDATE_DOCS=1`
//! the section is rewritten instead.

use std::path::Path;

/// The environment variable that makes [`check_section`] rewrite instead of compare.
pub const UPDATE_ENV: &str = "UPDATE_DOCS";

fn markers(name: &str) -> (String, String) {
    (format!("<!-- BEGIN {name} -->"), format!("<!-- END {name} -->"))
}

/// Compares `content` with the section `name` of the file at `path`, or rewrites the section when
/// `UPDATE_DOCS=1` is set. The error holds a line diff (`-` committed, `+` observed) and says how to
/// update.
pub fn check_section(path: &Path, name: &str, content: &str) -> Result<(), String> {
    let update = std::env::var(UPDATE_ENV).is_ok_and(|v| v == "1");
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let (begin, end) = markers(name);
    let start =
        text.find(&begin).ok_or_else(|| format!("{} has no `{begin}` marker", path.display()))? + begin.len();
    let stop = text[start..]
        .find(&end)
        .map(|i| start + i)
        .ok_or_else(|| format!("{} has no `{end}` after `{begin}`", path.display()))?;
    let committed = text[start..stop].trim_matches('\n');
    let observed = content.trim_matches('\n');
    if committed == observed {
        return Ok(());
    }
    if update {
        let new = format!("{}\n{observed}\n{}", &text[..start], &text[stop..]);
        std::fs::write(path, new).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        return Ok(());
    }
    Err(format!(
        "the section `{name}` of {} differs from what the test observed \
         (rerun with {UPDATE_ENV}=1 to rewrite it if the change is intended):\n{}",
        path.display(),
        diff(committed, observed)
    ))
}

/// A line diff: ` ` common, `-` only in `old`, `+` only in `new` (longest common subsequence).
pub fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // lcs[i][j]: length of the LCS of a[i..] and b[j..].
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("  {}\n", a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        }
    }
    out
}

/// Escapes `|` for a Markdown table cell and keeps it on one line.
pub fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_marks_changed_lines() {
        assert_eq!(diff("a\nb\nc", "a\nx\nc"), "  a\n+ x\n- b\n  c\n");
        assert_eq!(diff("a", "a"), "  a\n");
    }

    #[test]
    fn section_is_checked_and_rewritten() {
        let dir = std::env::temp_dir().join(format!("modelarts-docs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let path = dir.join("doc.md");
        std::fs::write(&path, "head\n<!-- BEGIN t -->\nold\n<!-- END t -->\ntail\n").unwrap_or_default();
        assert_eq!(check_section(&path, "t", "old\n"), Ok(()));
        let err = check_section(&path, "t", "new").unwrap_err();
        assert!(err.contains("- old") && err.contains("+ new"), "{err}");
        assert!(check_section(&path, "missing", "x").unwrap_err().contains("no `<!-- BEGIN missing -->`"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
