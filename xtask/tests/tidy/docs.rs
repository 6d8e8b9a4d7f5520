//! `docs/architecture.md` stays true: every file path and every Rust path of ours in backticks
//! resolves.
//!
//! - A file path is a span with a `/` or a file extension that starts with one of the workspace's
//!   top-level directories (`crates/`, `xtask/`, `docs/`, `fuzz/`, `.ci/`) or with `…/` (short for
//!   `crates/modelarts-protocol/src/`); a glob or a `{a, b}` group is not a path. It must exist.
//! - A Rust path is a span with `::` whose first segment is one of our crates (`modelarts_protocol`,
//!   …) or a file path (`crates/…/execute.rs::drive`). Its modules are followed through the
//!   crate's files (`a/mod.rs` or `a.rs`, or a `pub use` of a module); its last segments must be
//!   named in the module's file (an item, a variant, a method, a re-export).

use std::path::{Path, PathBuf};

/// The backticked spans of a Markdown text (code blocks left out).
pub(super) fn spans(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            continue;
        }
        let mut parts = line.split('`');
        parts.next();
        while let (Some(inside), Some(_)) = (parts.next(), parts.next()) {
            out.push(inside.to_owned());
        }
    }
    out
}

const ROOTS: &[&str] = &["crates/", "xtask/", "docs/", "fuzz/", ".ci/"];
const SHORT: &str = "…/";
const SHORT_FOR: &str = "crates/modelarts-protocol/src/";

fn expand(path: &str) -> Option<String> {
    if let Some(rest) = path.strip_prefix(SHORT) {
        return Some(format!("{SHORT_FOR}{rest}"));
    }
    ROOTS.iter().any(|r| path.starts_with(r)).then(|| path.to_owned())
}

/// What in `span` does not resolve under `root`, if anything.
pub(super) fn unresolved(root: &Path, span: &str) -> Option<String> {
    let span = span.trim();
    if span.contains(' ') || span.contains('*') || span.contains('{') || span.contains('<') {
        return None;
    }
    let (file_part, rust_part) = match span.split_once("::") {
        Some((head, tail)) if head.contains('/') || head.ends_with(".rs") => (Some(head), Some(tail)),
        Some((head, tail)) if head.starts_with("modelarts_") => {
            let krate = head.replace('_', "-");
            let src = root.join("crates").join(&krate).join("src");
            if !src.is_dir() {
                return Some(format!("`{span}`: no crate {krate}"));
            }
            return rust_path(&src.join("lib.rs"), tail).map(|e| format!("`{span}`: {e}"));
        }
        Some(_) => return None,
        None => (Some(span), None),
    };
    let path = expand(file_part?)?;
    let full = root.join(path.trim_end_matches('/'));
    if !full.exists() {
        return Some(format!("`{span}`: no such file or directory"));
    }
    let tail = rust_part?;
    rust_path(&full, tail).map(|e| format!("`{span}`: {e}"))
}

/// Follows `a::b::C::m` from the module file `file`.
fn rust_path(file: &Path, path: &str) -> Option<String> {
    let mut file: PathBuf = file.to_owned();
    let segments: Vec<&str> = path.split("::").map(|s| s.trim_end_matches("()")).collect();
    for (i, segment) in segments.iter().enumerate() {
        let dir = module_dir(&file);
        let as_file = dir.join(format!("{segment}.rs"));
        let as_dir = dir.join(segment).join("mod.rs");
        if as_file.exists() {
            file = as_file;
            continue;
        }
        if as_dir.exists() {
            file = as_dir;
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        // A module re-exported here (`pub use machine::{call, …}`): follow it.
        if let Some(target) = reexported_module(&text, segment, &dir) {
            file = target;
            continue;
        }
        // An item re-exported here (`pub use error::{Error, …}`): go to the file that defines it.
        if let Some(target) = reexported_item(&text, segment, file.as_path()) {
            file = target;
        }
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        // The rest must be named in this file: each remaining segment as a word.
        let missing: Vec<&str> = segments[i..].iter().copied().filter(|s| !names(&text, s)).collect();
        return (!missing.is_empty())
            .then(|| format!("{} not found in {}", missing.join(", "), file.display()));
    }
    None
}

/// The directory of a module file's children: `a/mod.rs`, `lib.rs` → their directory; `a.rs` → `a/`.
fn module_dir(file: &Path) -> PathBuf {
    let parent = file.parent().unwrap_or(Path::new("."));
    match file.file_name().and_then(|f| f.to_str()) {
        Some("mod.rs" | "lib.rs" | "main.rs") => parent.to_owned(),
        _ => parent.join(file.file_stem().unwrap_or_default()),
    }
}

fn reexported_module(text: &str, name: &str, dir: &Path) -> Option<PathBuf> {
    for line in text.lines().filter(|l| l.trim_start().starts_with("pub use ")) {
        let line = line.trim();
        let Some(module) = line.strip_prefix("pub use ").and_then(|l| l.split("::").next()) else { continue };
        if !line.contains(name) {
            continue;
        }
        let base = dir.join(module.trim_end_matches(';'));
        for candidate in [base.join(format!("{name}.rs")), base.join(name).join("mod.rs")] {
            if candidate.exists() {
                return Some(candidate);
            }
        }
    }
    None
}

/// The `pub use` statements of a file, whitespace collapsed.
fn pub_uses(text: &str) -> Vec<String> {
    text.split("pub use ")
        .skip(1)
        .filter_map(|rest| rest.split_once(';').map(|(stmt, _)| stmt.split_whitespace().collect::<String>()))
        .collect()
}

/// The file of the module a `pub use` re-exports `name` from, if one of ours does.
fn reexported_item(text: &str, name: &str, here: &Path) -> Option<PathBuf> {
    let stmt = pub_uses(text).into_iter().find(|s| names(s, name))?;
    let prefix = match stmt.find('{') {
        Some(at) => stmt[..at].trim_end_matches("::").to_owned(),
        None => stmt.rsplit_once("::").map(|(p, _)| p.to_owned())?,
    };
    let mut segments =
        prefix.split("::").filter(|s| !s.is_empty() && *s != "self" && *s != "crate").peekable();
    let mut file = match segments.peek() {
        Some(first) if first.starts_with("modelarts_") => {
            let krate = first.replace('_', "-");
            segments.next();
            let mut root = here.to_owned();
            while root.file_name().is_some_and(|n| n != "crates") {
                root = root.parent()?.to_owned();
            }
            root.join(krate).join("src").join("lib.rs")
        }
        // Relative to this module.
        _ => here.to_owned(),
    };
    for segment in segments {
        let dir = module_dir(&file);
        let as_file = dir.join(format!("{segment}.rs"));
        let as_dir = dir.join(segment).join("mod.rs");
        file = if as_file.exists() {
            as_file
        } else if as_dir.exists() {
            as_dir
        } else {
            reexported_module(&std::fs::read_to_string(&file).unwrap_or_default(), segment, &dir)?
        };
    }
    Some(file)
}

/// Whether `word` appears in `text` as a whole identifier.
fn names(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}
