//! No circles of files: within a crate, the files that name each other's items form no cycle.
//!
//! A file depends on another when its compiled code names an item of it: a private `use crate::…`
//! / `use super::…`, or a path `crate::a::b` / `super::x` in the code. Paths are followed through
//! re-exports (`pub use` of a module file), which are the facade of a module, not dependencies of
//! their own; the `mod` declarations are not dependencies either, nor is a file's naming of its
//! ancestors' items (a module's inside: `super::X` in `stop/batch.rs` of `stop/mod.rs`). A path is resolved to the
//! deepest module file it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::{Tok, crate_sources, shown, tokens, use_paths};

/// A file's module path from its crate's `src/`: `lib.rs` → `[]`, `a/mod.rs` and `a.rs` → `[a]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    match last.as_str() {
        "lib.rs" | "main.rs" | "mod.rs" => {}
        other => parts.push(other.trim_end_matches(".rs").to_owned()),
    }
    parts
}

/// One crate's files as the resolver sees them.
pub(super) struct Files {
    /// Module path → file.
    by_module: BTreeMap<Vec<String>, PathBuf>,
    /// File → (its module path, its `pub use` aliases: name → path, and its private uses).
    info: BTreeMap<PathBuf, FileInfo>,
}

struct FileInfo {
    module: Vec<String>,
    reexports: BTreeMap<String, Vec<String>>,
    references: Vec<Vec<String>>,
}

impl Files {
    pub(super) fn read(src: &Path, files: &[(PathBuf, syn::File)]) -> Self {
        let mut by_module = BTreeMap::new();
        let mut info = BTreeMap::new();
        for (path, file) in files {
            let module = module_path(src, path);
            by_module.insert(module.clone(), path.clone());
            let mut reexports = BTreeMap::new();
            let mut references = Vec::new();
            for item in &file.items {
                let syn::Item::Use(u) = item else { continue };
                let public = !matches!(u.vis, syn::Visibility::Inherited);
                for (name, full) in use_paths(std::slice::from_ref(item)) {
                    if public {
                        reexports.insert(name, full);
                    } else {
                        references.push(full);
                    }
                }
            }
            // Uses inside inline modules and paths written in the code.
            let inline: Vec<syn::Item> =
                file.items.iter().filter(|i| matches!(i, syn::Item::Mod(_))).cloned().collect();
            references.extend(use_paths(&inline).into_iter().map(|(_, full)| full));
            let mut code = file.clone();
            code.items.retain(|i| !matches!(i, syn::Item::Use(_)));
            references.extend(code_paths(&tokens(&code)));
            info.insert(path.clone(), FileInfo { module, reexports, references });
        }
        Files { by_module, info }
    }

    /// The absolute module path of `path` written in the file at `from` (`crate::`, `super::`,
    /// `self::`, or a child module's name); `None` for another crate's path.
    fn absolute(&self, from: &[String], path: &[String]) -> Option<Vec<String>> {
        let (first, rest) = path.split_first()?;
        match first.as_str() {
            "crate" => Some(rest.to_vec()),
            "self" => Some(from.iter().chain(rest).cloned().collect()),
            "super" => {
                let mut base = from.to_vec();
                base.pop();
                let mut rest = rest;
                while rest.first().map(String::as_str) == Some("super") {
                    base.pop();
                    rest = &rest[1..];
                }
                Some(base.into_iter().chain(rest.iter().cloned()).collect())
            }
            name => {
                let mut child = from.to_vec();
                child.push(name.to_owned());
                self.by_module
                    .contains_key(&child)
                    .then(|| child.into_iter().chain(rest.iter().cloned()).collect())
            }
        }
    }

    /// The file an absolute path lands in, following re-exports.
    fn resolve(&self, path: &[String], depth: usize) -> Option<PathBuf> {
        if depth > 8 {
            return None;
        }
        for i in (0..=path.len()).rev() {
            let Some(file) = self.by_module.get(&path[..i]) else { continue };
            if let Some(next) = path.get(i) {
                let info = &self.info[file];
                if let Some(target) = info.reexports.get(next) {
                    let module = &info.module;
                    if let Some(abs) = self.absolute(module, target) {
                        let full: Vec<String> =
                            abs.into_iter().chain(path[i + 1..].iter().cloned()).collect();
                        return self.resolve(&full, depth + 1).or_else(|| Some(file.clone()));
                    }
                }
            }
            return Some(file.clone());
        }
        None
    }

    /// File → the files it depends on (itself and its ancestors' facades excluded).
    pub(super) fn edges(&self) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
        let mut edges = BTreeMap::new();
        for (file, info) in &self.info {
            let mut targets = BTreeSet::new();
            for reference in &info.references {
                let Some(abs) = self.absolute(&info.module, reference) else { continue };
                if let Some(target) = self.resolve(&abs, 0) {
                    // A file naming its own ancestor's items (`super::X`) is the module's inside.
                    let ancestor = info.module.starts_with(&self.info[&target].module);
                    if &target != file && !ancestor {
                        targets.insert(target);
                    }
                }
            }
            edges.insert(file.clone(), targets);
        }
        edges
    }
}

/// `crate :: a :: b` and `super :: a` sequences in code (the file's `use` items are read apart).
fn code_paths(toks: &[Tok]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let start = matches!(&toks[i], Tok::Ident(s) if s == "crate" || s == "super")
            && !(i >= 2 && toks[i - 1] == Tok::Punct(':') && toks[i - 2] == Tok::Punct(':'));
        if !start {
            i += 1;
            continue;
        }
        let mut path = Vec::new();
        let mut j = i;
        while let Some(Tok::Ident(s)) = toks.get(j) {
            path.push(s.clone());
            if toks.get(j + 1) == Some(&Tok::Punct(':')) && toks.get(j + 2) == Some(&Tok::Punct(':')) {
                j += 3;
            } else {
                j += 1;
                break;
            }
        }
        if path.len() > 1 {
            out.push(path);
        }
        i = j.max(i + 1);
    }
    out
}

/// The strongly connected components of more than one file.
pub(super) fn cycles(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    let graph: petgraph::graphmap::DiGraphMap<&Path, ()> =
        edges.iter().flat_map(|(from, to)| to.iter().map(move |t| (from.as_path(), t.as_path()))).collect();
    let mut found: Vec<Vec<PathBuf>> = petgraph::algo::tarjan_scc(&graph)
        .into_iter()
        .filter(|component| component.len() > 1)
        .map(|component| {
            let mut files: Vec<PathBuf> = component.into_iter().map(Path::to_path_buf).collect();
            files.sort();
            files
        })
        .collect();
    found.sort();
    found
}

/// The circles of files of one crate, each shown with the edges that close it.
pub(super) fn crate_cycles(krate: &str) -> Vec<String> {
    let src = super::workspace_root().join("crates").join(krate).join("src");
    let files = crate_sources(krate);
    let graph = Files::read(&src, &files);
    let edges = graph.edges();
    let src = src.as_path();
    cycles(&edges)
        .into_iter()
        .map(|component| {
            let set: BTreeSet<&PathBuf> = component.iter().collect();
            let links: Vec<String> = component
                .iter()
                .flat_map(|f| {
                    edges[f]
                        .iter()
                        .filter(|t| set.contains(t))
                        .map(move |t| format!("{} → {}", short(src, f), short(src, t)))
                })
                .collect();
            format!("{krate}: {}", links.join(", "))
        })
        .collect()
}

fn short(src: &Path, path: &Path) -> String {
    path.strip_prefix(src).map(|p| p.display().to_string()).unwrap_or_else(|_| shown(path))
}

/// The circles of made-up files (`src/` is `/src`): each `(file, source)` parsed as the compiler
/// would see it.
pub(super) fn cycles_of(sources: &[(&str, &str)]) -> Vec<Vec<String>> {
    let src = Path::new("/src");
    let files: Vec<(PathBuf, syn::File)> = sources
        .iter()
        .map(|(name, text)| (src.join(name), syn::parse_file(text).expect("a test source parses")))
        .collect();
    let edges = Files::read(src, &files).edges();
    cycles(&edges).into_iter().map(|c| c.iter().map(|p| short(src, p)).collect()).collect()
}
