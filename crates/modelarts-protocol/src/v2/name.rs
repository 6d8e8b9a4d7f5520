//! A v2 training job named by its name: which of the jobs a search found the name picks.
//!
//! The v2 search can only narrow by name (`like`: the name contains the text, in any case), so
//! the decision is taken here, over the jobs it returned: a name matches only a job whose
//! `metadata.name` is exactly the name, case included (`bert` never picks `bert-large` or `BERT`).
//! A stop or a wait looks only at jobs not in a final phase ([`NameScope::NotFinal`]); a read (show,
//! logs, events) at every job ([`NameScope::Any`]). More than one match is refused with the
//! candidates, none with the final jobs that bear the name (if any). Pure: the caller reads the
//! pages.
//!
//! ```
//! use modelarts_protocol::v2::name::{JobName, NameError, NameScope};
//! use modelarts_protocol::v2::TrainingJob;
//!
//! let job = |id: &str, name: &str, phase: &str| -> TrainingJob {
//!     serde_json::from_value(serde_json::json!({
//!         "metadata": {"id": id, "name": name}, "status": {"phase": phase}
//!     }))
//!     .unwrap()
//! };
//! let found = [
//!     job("3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab", "bert", "Completed"),
//!     job("3f2b1c9e-5a4d-4c1b-9e8f-0123456789ac", "bert", "Running"),
//!     job("3f2b1c9e-5a4d-4c1b-9e8f-0123456789ad", "bert-large", "Running"),
//! ];
//! let name = JobName::new("bert")?;
//! // A stop considers the running one only.
//! let picked = name.pick(NameScope::NotFinal, &found).unwrap();
//! assert_eq!(picked.id().unwrap().as_str(), "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ac");
//! // A read sees two jobs named `bert`, and refuses.
//! assert!(matches!(name.pick(NameScope::Any, &found), Err(NameError::Ambiguous { .. })));
//! # Ok::<(), modelarts_protocol::v2::name::JobNameError>(())
//! ```

use std::fmt;

use crate::operations::v2::list::Filter;
use crate::v2::TrainingJob;

/// The longest name accepted (the service allows 64 characters; more is surely not a name).
pub const MAX_NAME_CHARS: usize = 256;

/// A v2 training job's name as a user gave it (surrounding ASCII blanks dropped), to be resolved
/// to one job.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JobName(String);

/// Why a text cannot be a job name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JobNameError {
    /// Empty or blank.
    #[error("a job name cannot be empty")]
    Empty,
    /// Longer than [`MAX_NAME_CHARS`].
    #[error("a job name has at most {MAX_NAME_CHARS} characters, this one {chars}")]
    TooLong {
        /// Its length in characters.
        chars: usize,
    },
}

impl JobName {
    /// The name in `text`, surrounding ASCII blanks dropped; the rest is kept as given (case
    /// included).
    pub fn new(text: &str) -> Result<Self, JobNameError> {
        let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
        if t.is_empty() {
            return Err(JobNameError::Empty);
        }
        let chars = t.chars().count();
        if chars > MAX_NAME_CHARS {
            return Err(JobNameError::TooLong { chars });
        }
        Ok(Self(t.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The search filter that narrows the v2 list to the jobs that may bear the name (`like`: its
    /// name contains the text). It only narrows: [`pick`](Self::pick) decides.
    pub fn search_filter(&self) -> Filter {
        Filter::name_like(self.0.clone())
    }

    /// Whether `job` bears exactly this name (case included) and has an ID to act on.
    pub fn names(&self, job: &TrainingJob) -> bool {
        job.name() == Some(self.0.as_str()) && job.id().is_some()
    }

    /// The one job of `jobs` (the pages a search with [`search_filter`](Self::search_filter)
    /// returned, in any order) that this name picks in `scope`:
    ///
    /// - only jobs that bear exactly the name and have a valid ID count (see [`names`](Self::names));
    /// - [`NameScope::NotFinal`] leaves out jobs in a final phase (Terminated, Completed, Failed,
    ///   Abnormal); a job without a phase, or with an unknown one, stays in;
    /// - one job left: it; none: [`NameError::NotFound`] (with the final jobs of that name left
    ///   out by the scope); several: [`NameError::Ambiguous`] with all of them, newest first.
    ///
    /// A job listed twice (the same normalized ID) counts once.
    pub fn pick<'a>(&self, scope: NameScope, jobs: &'a [TrainingJob]) -> Result<&'a TrainingJob, NameError> {
        let mut named: Vec<&TrainingJob> = Vec::new();
        for job in jobs.iter().filter(|j| self.names(j)) {
            if !named.iter().any(|n| n.id() == job.id()) {
                named.push(job);
            }
        }
        let (kept, left_out): (Vec<&TrainingJob>, Vec<&TrainingJob>) =
            named.into_iter().partition(|j| scope.considers(j));
        match kept.as_slice() {
            [one] => Ok(one),
            [] => {
                Err(NameError::NotFound { name: self.0.clone(), scope, final_jobs: newest_first(left_out) })
            }
            _ => Err(NameError::Ambiguous { name: self.0.clone(), scope, jobs: newest_first(kept) }),
        }
    }
}

fn newest_first(mut jobs: Vec<&TrainingJob>) -> Vec<TrainingJob> {
    jobs.sort_by_key(|j| std::cmp::Reverse(j.create_time_ms()));
    jobs.into_iter().cloned().collect()
}

impl fmt::Display for JobName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which jobs a name may pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NameScope {
    /// Jobs not in a final phase: what a stop or a wait acts on.
    NotFinal,
    /// Every job: what a read (show, logs, events) looks at.
    Any,
}

impl NameScope {
    /// Whether a job is in this scope.
    pub fn considers(self, job: &TrainingJob) -> bool {
        match self {
            Self::NotFinal => !job.phase().is_some_and(|p| p.is_terminal()),
            Self::Any => true,
        }
    }
}

/// Why a name picked no job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// No job in the scope bears the name.
    #[error("{}", not_found(name, *scope, final_jobs.len()))]
    NotFound {
        /// The name.
        name: String,
        /// The scope looked in.
        scope: NameScope,
        /// With [`NameScope::NotFinal`]: the jobs of that name left out for being final, newest
        /// first.
        final_jobs: Vec<TrainingJob>,
    },
    /// More than one job in the scope bears the name.
    #[error("{}", ambiguous(name, *scope, jobs.len()))]
    Ambiguous {
        /// The name.
        name: String,
        /// The scope looked in.
        scope: NameScope,
        /// Every job of that name in the scope, newest first.
        jobs: Vec<TrainingJob>,
    },
}

impl NameError {
    /// The jobs the error is about: the candidates of an ambiguous name, or the final jobs of a
    /// name not found in [`NameScope::NotFinal`].
    pub fn jobs(&self) -> &[TrainingJob] {
        match self {
            Self::NotFound { final_jobs, .. } => final_jobs,
            Self::Ambiguous { jobs, .. } => jobs,
        }
    }
}

fn not_found(name: &str, scope: NameScope, finals: usize) -> String {
    match (scope, finals) {
        (NameScope::NotFinal, 0) | (NameScope::Any, _) => {
            format!("no v2 training job is named {name:?} (names match exactly, case included)")
        }
        (NameScope::NotFinal, n) => format!(
            "no v2 training job named {name:?} is still active: {n} job(s) of that name ended already"
        ),
    }
}

fn ambiguous(name: &str, scope: NameScope, count: usize) -> String {
    let which = match scope {
        NameScope::NotFinal => "active v2 training jobs",
        NameScope::Any => "v2 training jobs",
    };
    format!("{count} {which} are named {name:?}: name one by its ID")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str, name: &str, phase: Option<&str>, created: i64) -> TrainingJob {
        let mut value = serde_json::json!({"metadata": {"id": id, "name": name, "create_time": created}});
        if let Some(phase) = phase {
            value["status"] = serde_json::json!({ "phase": phase });
        }
        serde_json::from_value(value).unwrap()
    }

    const A: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
    const B: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ac";
    const C: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ad";

    /// What `pick` answers: the picked ID, or the error's kind and its jobs' IDs.
    fn outcome(name: &str, scope: NameScope, jobs: &[TrainingJob]) -> String {
        match JobName::new(name).unwrap().pick(scope, jobs) {
            Ok(job) => job.id().unwrap().to_string(),
            Err(e) => {
                let kind = if matches!(e, NameError::NotFound { .. }) { "not found" } else { "ambiguous" };
                let ids: Vec<String> = e.jobs().iter().map(|j| j.id().unwrap().to_string()).collect();
                format!("{kind} [{}]", ids.join(" "))
            }
        }
    }

    #[test]
    fn picking_table() {
        use NameScope::{Any, NotFinal};
        let running_a = job(A, "bert", Some("Running"), 1);
        let done_b = job(B, "bert", Some("Completed"), 2);
        let pending_c = job(C, "bert", Some("Pending"), 3);
        let large = job(C, "bert-large", Some("Running"), 3);
        let upper = job(C, "BERT", Some("Running"), 3);
        let no_phase = job(C, "bert", None, 3);
        let unknown_phase = job(C, "bert", Some("Hibernating"), 3);
        let no_id = serde_json::from_value::<TrainingJob>(
            serde_json::json!({"metadata": {"name": "bert"}, "status": {"phase": "Running"}}),
        )
        .unwrap();
        let a_again = job(&format!(" {}", A.to_uppercase()), "bert", Some("Running"), 1);
        // (name, scope, jobs, answer)
        let cases: Vec<(&str, NameScope, Vec<TrainingJob>, String)> = vec![
            ("bert", NotFinal, vec![running_a.clone()], A.into()),
            ("bert", Any, vec![running_a.clone()], A.into()),
            // Containing the text, or the same letters in another case, is not the name.
            ("bert", NotFinal, vec![large.clone(), upper.clone()], "not found []".into()),
            ("bert", NotFinal, vec![large.clone(), running_a.clone()], A.into()),
            ("BERT", NotFinal, vec![upper.clone(), running_a.clone()], C.into()),
            ("ber", Any, vec![running_a.clone()], "not found []".into()),
            // A stop looks only at active jobs; a read at every job.
            ("bert", NotFinal, vec![running_a.clone(), done_b.clone()], A.into()),
            ("bert", Any, vec![running_a.clone(), done_b.clone()], format!("ambiguous [{B} {A}]")),
            ("bert", NotFinal, vec![done_b.clone()], format!("not found [{B}]")),
            ("bert", Any, vec![done_b.clone()], B.into()),
            ("bert", NotFinal, vec![running_a.clone(), pending_c.clone()], format!("ambiguous [{C} {A}]")),
            // No phase, or an unknown one: not known to be final.
            ("bert", NotFinal, vec![no_phase], C.into()),
            ("bert", NotFinal, vec![unknown_phase], C.into()),
            // A job without an ID cannot be acted on; a job listed twice is one job.
            ("bert", NotFinal, vec![no_id, running_a.clone()], A.into()),
            ("bert", NotFinal, vec![running_a.clone(), a_again], A.into()),
            ("bert", NotFinal, vec![], "not found []".into()),
        ];
        for (name, scope, jobs, want) in cases {
            assert_eq!(outcome(name, scope, &jobs), want, "{name} {scope:?} {jobs:?}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(JobName::new("  bert\t").unwrap().as_str(), "bert");
        assert_eq!(JobName::new(" ").unwrap_err(), JobNameError::Empty);
        assert!(matches!(JobName::new(&"x".repeat(257)), Err(JobNameError::TooLong { chars: 257 })));
        assert_eq!(JobName::new("Bert Large").unwrap().to_string(), "Bert Large");
        let filter = JobName::new("bert").unwrap().search_filter();
        assert_eq!((filter.key.as_str(), filter.value.as_slice()), ("name", &["bert".to_owned()][..]));
    }

    #[test]
    fn messages_name_the_name_and_the_count() {
        let name = JobName::new("bert").unwrap();
        let e = name.pick(NameScope::Any, &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no v2 training job is named \"bert\" (names match exactly, case included)"
        );
        let done = [job(A, "bert", Some("Terminated"), 1)];
        let e = name.pick(NameScope::NotFinal, &done).unwrap_err();
        assert!(e.to_string().contains("is still active: 1 job(s) of that name ended already"), "{e}");
        let two = [job(A, "bert", Some("Running"), 1), job(B, "bert", Some("Running"), 2)];
        let e = name.pick(NameScope::NotFinal, &two).unwrap_err();
        assert_eq!(e.to_string(), "2 active v2 training jobs are named \"bert\": name one by its ID");
    }
}
