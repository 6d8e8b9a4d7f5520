//! Text from the server (job names, descriptions, error codes and messages, anything) is escaped
//! before it reaches a terminal: a name may carry ESC sequences (a new window title, a cleared
//! screen), `\r` (a line that overwrites the previous one) or bidi overrides (text that reads
//! differently from what it is).
//!
//! [`escape`] is the one rule, applied to every table cell and message, and again to every line
//! written in a human-readable format (so nothing escapes it by accident). JSON output keeps the
//! exact values: [`json_safe`] only spells the characters serde_json leaves raw (C1 controls, bidi
//! controls) as `\uXXXX` escapes, which decode to the same strings.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal raw: C0 controls and DEL, C1 controls, and the Unicode
/// bidi controls (embeddings, overrides, isolates, marks).
pub(crate) fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// `text` with every unsafe character spelled out: `\n`, `\r`, `\t`, `\e` for ESC, `\u{…}` for the
/// rest. Safe text is returned as it is.
///
/// ```text
/// "a\u{1b}]0;pwned\u{7}b" → "a\e]0;pwned\u{7}b"
/// "\u{202e}txt.exe"       → "\u{202e}txt.exe" (spelled out, not applied)
/// ```
pub(crate) fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{1b}' => out.push_str("\\e"),
            c if is_unsafe(c) => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`escape`], but colour (SGR) sequences — `ESC [`, digits and `;`, then `m` — are kept, so that
/// a log's colours show on a terminal; every other unsafe character is spelled out.
///
/// ```text
/// "\u{1b}[33mWARN\u{1b}[0m x" → kept as it is
/// "\u{1b}]0;pwned\u{7}"        → "\e]0;pwned\u{7}" (a title change is no colour)
/// ```
pub(crate) fn escape_keep_colour(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\u{1b}'
            && let Some(sgr) = sgr_at(rest)
        {
            out.push_str(sgr);
            rest = &rest[sgr.len()..];
            continue;
        }
        out.push_str(&escape(&rest[..c.len_utf8()]));
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// The SGR sequence `text` starts with (`ESC [ 0-9;* m`), if it starts with one.
fn sgr_at(text: &str) -> Option<&str> {
    let body = text.strip_prefix("\u{1b}[")?;
    let params = body.bytes().take_while(|b| b.is_ascii_digit() || *b == b';').count();
    // A bound on the parameters: a colour never needs more.
    (params <= 32 && body.as_bytes().get(params) == Some(&b'm')).then(|| &text[..2 + params + 1])
}

/// [`escape`] applied line by line: the line breaks of a multi-line message stay, every other
/// unsafe character is spelled out.
pub(crate) fn escape_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(text);
    }
    let lines: Vec<Cow<'_, str>> = text.split('\n').map(escape).collect();
    Cow::Owned(lines.join("\n"))
}

/// A serialised JSON text with the unsafe characters serde_json writes raw (C1 controls, bidi
/// controls) replaced by `\uXXXX` escapes. Outside strings JSON is ASCII, so this changes no
/// value: the document decodes to exactly what it did.
pub(crate) fn json_safe(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_unsafe) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_is_kept_and_nothing_else() {
        let cases = [
            ("\u{1b}[33mWARN\u{1b}[0m x", "\u{1b}[33mWARN\u{1b}[0m x"),
            ("\u{1b}[1;31mE\u{1b}[m", "\u{1b}[1;31mE\u{1b}[m"),
            ("\u{1b}]0;pwned\u{7}", "\\e]0;pwned\\u{7}"),
            ("\u{1b}[2J\rover", "\\e[2J\\rover"),
            ("\u{1b}[31", "\\e[31"),
            ("\u{202e}txt", "\\u{202e}txt"),
            ("plain", "plain"),
        ];
        for (input, want) in cases {
            assert_eq!(escape_keep_colour(input), want, "{input:?}");
        }
    }

    #[test]
    fn escape_table() {
        let cases = [
            ("resnet-50", "resnet-50"),
            ("a\u{1b}]0;pwned\u{7}b", "a\\e]0;pwned\\u{7}b"),
            ("line\rover", "line\\rover"),
            ("two\nlines\t", "two\\nlines\\t"),
            ("\u{202e}txt.exe", "\\u{202e}txt.exe"),
            ("\u{2066}x\u{2069}\u{200e}\u{200f}\u{61c}", "\\u{2066}x\\u{2069}\\u{200e}\\u{200f}\\u{61c}"),
            ("c1\u{9b}31m", "c1\\u{9b}31m"),
            ("del\u{7f}", "del\\u{7f}"),
            ("训练任务", "训练任务"),
        ];
        for (input, expected) in cases {
            assert_eq!(escape(input), expected, "{input:?}");
            assert!(!escape(input).chars().any(is_unsafe));
        }
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_lines_keeps_line_breaks_only() {
        assert_eq!(escape_lines("error: x\n  caused by: \u{1b}[2J"), "error: x\n  caused by: \\e[2J");
        assert_eq!(escape_lines("a\r\nb"), "a\\r\nb");
    }

    #[test]
    fn json_safe_keeps_the_value() {
        let value = serde_json::json!({"name": "a\u{1b}b\u{202e}c\u{9b}d\u{2069}", "n": 1});
        let text = value.to_string();
        let safe = json_safe(&text);
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }
}
