//! The job a command acts on, from its argument: an ID of either API, or a v2 job's exact name
//! (routed by the protocol's [`JobArg::route`], found through the SDK's v2 search, picked by the
//! protocol's [`JobName::pick`]). A name that picks no job, or several, is a failure that lists
//! the jobs concerned. This module decides nothing about which job a name means.

use modelarts_protocol::target::{ApiVersion, JobArg, JobRef};
use modelarts_sdk::{JobName, NameError, NameScope, TrainingJob};
use serde_json::json;

use super::Context;
use crate::exit::ExitStatus;
use crate::failure::{Failure, JobListing};
use crate::output::{Table, text_cell, time_cell};

/// What the command does with the job, which decides the jobs a name may pick: a stop or a wait
/// acts on an active job, a read on any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// `stop`, `wait`: only jobs not in a final phase.
    Act,
    /// `show`, `logs`, `events`: every job.
    Read,
}

/// The target of `arg` (with `--version`, `--api` and `--name`): routed by its shape, or, for a
/// name, the one v2 job that bears it (a search, with a note on stderr of the job it picked).
pub(crate) async fn resolve(
    arg: &str,
    version: Option<&str>,
    api: Option<ApiVersion>,
    by_name: bool,
    purpose: Purpose,
    ctx: &Context<'_>,
) -> Result<JobRef, Failure> {
    let name = match JobArg::route(arg, version, api, by_name).map_err(|e| Failure::usage(e.to_string()))? {
        JobArg::Id(target) => return Ok(target),
        JobArg::Name(name) => name,
    };
    let scope = match purpose {
        Purpose::Act => NameScope::NotFinal,
        Purpose::Read => NameScope::Any,
    };
    let client = ctx.client()?;
    let spinner = ctx.progress.spinner(format!("looking for the v2 job named {name}"));
    let found = client.training_jobs_v2_named(&name, None).await;
    spinner.finish_and_clear();
    let jobs = found
        .map_err(|e| Failure::sdk(format!("cannot look for the v2 job named {:?}", name.as_str()), &e))?;
    match name.pick(scope, &jobs) {
        Ok(job) => {
            // A picked job bears a valid ID (`JobName::names`).
            let id = job
                .id()
                .ok_or_else(|| Failure::new(ExitStatus::Other, "internal error: a job without an id"))?;
            ctx.stderr.note(&format!(
                "note: {:?} is job {id} ({})",
                name.as_str(),
                job.phase().map_or("no phase", |p| p.as_str())
            ));
            Ok(JobRef::V2(id))
        }
        Err(e) => Err(name_failure(&name, &e)),
    }
}

/// The failure of a name that picked no job (exit 4) or several (exit 2), with the jobs concerned.
fn name_failure(name: &JobName, error: &NameError) -> Failure {
    let search = format!("modelarts training-job list --api v2 --search {}", shell_word(name.as_str()));
    let mut failure = match error {
        NameError::Ambiguous { .. } => {
            let mut f = Failure::usage(error.to_string());
            f.hints.push("name the job by its ID (a UUID) from the list above".to_owned());
            f
        }
        _ => {
            let mut f = Failure::new(ExitStatus::Refused, error.to_string());
            f.category = Some("not_found");
            if !error.jobs().is_empty() {
                f.hints.push("a job that ended is named by its ID (a UUID) from the list above".to_owned());
            }
            f.hints.push(format!("to see the jobs whose name contains it: {search}"));
            f
        }
    };
    if !error.jobs().is_empty() {
        failure.set_jobs(listing(error.jobs()));
    }
    failure
}

/// The jobs as a table (API, ID, NAME, PHASE, CREATED) and as JSON.
fn listing(jobs: &[TrainingJob]) -> JobListing {
    let mut table = Table::new(["API", "ID", "NAME", "PHASE", "CREATED"]);
    let mut json = Vec::with_capacity(jobs.len());
    for job in jobs {
        let phase = job.phase().map(|p| p.as_str());
        table.row(vec![
            "v2".to_owned(),
            text_cell(job.id_text()),
            text_cell(job.name()),
            text_cell(phase),
            time_cell(job.create_time_ms()),
        ]);
        json.push(json!({
            "api": "v2",
            "job_id": job.id().map(|id| id.to_string()),
            "name": job.name(),
            "phase": phase,
            "create_time": job.create_time_ms(),
        }));
    }
    JobListing { table, json }
}

/// `text` as one shell word: as it is when it is plain, else single-quoted.
fn shell_word(text: &str) -> String {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:@".contains(c)) {
        text.to_owned()
    } else {
        crate::dry_run::shell_quote(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_hints_quote_what_a_shell_would_split() {
        assert_eq!(shell_word("bert-large_v2.1"), "bert-large_v2.1");
        assert_eq!(shell_word("my job"), "'my job'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
