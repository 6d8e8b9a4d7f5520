//! The blocking client has every method of the async one, but for those it leaves out on purpose
//! (written down here, with the reason).

use std::collections::BTreeSet;

/// The async client's methods, from the files that implement `Client<T>`.
const ASYNC_SOURCES: &[&str] = &[
    include_str!("../client.rs"),
    include_str!("../check.rs"),
    include_str!("../stop.rs"),
    include_str!("../wait.rs"),
    include_str!("../v2.rs"),
    include_str!("../list.rs"),
    include_str!("../describe.rs"),
    include_str!("../logs.rs"),
    include_str!("../batch.rs"),
];

/// Left out of the blocking client on purpose, each with its reason below. Streams become
/// iterators; the batch runs its concurrency on threads (`blocking::Client::batch_stop`).
const NOT_BLOCKING: &[&str] = &[
    // Streams are iterators in the blocking client, under their own names
    // (`list_training_jobs_all_iter`; `follow_logs` keeps its name and returns an iterator).
    "list_training_jobs_all_stream",
    "dry_run",
    // Builds and signs without sending: nothing blocks; the async client's is reachable.
    "signed_request",
    "retry_policy",
    "builder",
];

/// `pub async fn NAME` and `pub fn NAME(&self` in `source`, before its `#[cfg(test)]` part and
/// outside its `impl ClientBuilder` blocks (the builder's methods that build a client live beside it).
fn methods(source: &str) -> BTreeSet<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or(source);
    let mut names = BTreeSet::new();
    let mut in_builder = false;
    for line in code.lines() {
        if line.starts_with("impl ClientBuilder") {
            in_builder = true;
        } else if line == "}" {
            in_builder = false;
        }
        if in_builder {
            continue;
        }
        let line = line.trim_start();
        let rest = line.strip_prefix("pub async fn ").or_else(|| line.strip_prefix("pub fn "));
        if let Some(rest) = rest {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            // A signature on one line names `&self`; a longer one breaks after `(`.
            let is_method = line.starts_with("pub async fn ")
                || rest.contains("(&self")
                || rest.trim_end().ends_with('(');
            if is_method && !name.is_empty() {
                names.insert(name);
            }
        }
    }
    names
}

#[test]
fn the_blocking_client_has_every_method_of_the_async_one() {
    let blocking = methods(include_str!("../blocking.rs"));
    let mut missing: Vec<String> = ASYNC_SOURCES
        .iter()
        .flat_map(|s| methods(s))
        .filter(|m| !blocking.contains(m) && !NOT_BLOCKING.contains(&m.as_str()))
        .collect();
    missing.sort();
    missing.dedup();
    // Methods of other types in those files (counts, outcomes) are not the client's.
    missing.retain(|m| !matches!(m.as_str(), "total" | "of" | "summary" | "counts" | "all_succeeded"));
    assert!(
        missing.is_empty(),
        "the blocking client lacks {missing:?}; add them, or list them in NOT_BLOCKING with the reason"
    );
    // The check sees what it claims to: it finds a method it knows.
    assert!(blocking.contains("stop_target_and_wait") && blocking.contains("terminate_and_wait"));
}
