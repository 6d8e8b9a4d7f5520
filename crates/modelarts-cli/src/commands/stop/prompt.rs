//! The confirmation a batch stop asks for.

use std::io::{self, IsTerminal};

use modelarts_protocol::target::{JobRef, TargetSummary};
use modelarts_sdk::Client;

use super::super::Context;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::stop_file::StopTarget;
use crate::targets;

/// Asks before a batch stop on a terminal; refuses without `--yes` anywhere else.
/// On a terminal the targets are shown first (the first few and a count, see
/// [`targets::preview`]) with their name, status and creation time: `listed`, as the list that
/// found them showed them (`--running`), or, when `None` (`--from-file`), read now (the SDK's
/// [`Client::describe_targets`]: one v2 search per 50 IDs, one show per v1 version) for the targets
/// the preview shows. With `--yes`, or off a terminal, nothing is read.
pub(super) async fn confirm(
    targets: &[StopTarget],
    listed: Option<&[TargetSummary]>,
    from_file: bool,
    client: &Client,
    ctx: &Context<'_>,
) -> Result<(), Failure> {
    let count = targets.len();
    let words = targets::kind_words(targets);
    if ctx.global.yes {
        return Ok(());
    }
    if !io::stdin().is_terminal() {
        return Err(Failure::usage(format!(
            "refusing to stop {count} {words} without confirmation: stdin is not a terminal; pass --yes"
        )));
    }
    let read;
    let described = match listed {
        Some(listed) => listed,
        None => {
            let shown: Vec<JobRef> =
                targets.iter().take(targets::PREVIEW).map(|t| t.target.clone()).collect();
            let spinner = ctx.progress.spinner(format!("reading the {words} to stop"));
            read = tokio::select! {
                biased;
                read = client.describe_targets(&shown) => read,
                status = crate::signal::interrupted() => {
                    spinner.finish_and_clear();
                    return Err(Failure::new(status, format!("{}: nothing was sent", crate::signal::describe(status))));
                }
            };
            spinner.finish_and_clear();
            &read
        }
    };
    ctx.stderr.always(&targets::preview(targets, described, from_file));
    let prompt = format!("Stop {count} {words}? [y/N] ");
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::Write as _;
        let mut err = io::stderr().lock();
        let _ = write!(err, "{prompt}");
        let _ = err.flush();
        let mut line = String::new();
        io::stdin().read_line(&mut line).map(|_| line)
    });
    let answer = tokio::select! {
        biased;
        answer = answer => answer,
        status = crate::signal::interrupted() => {
            return Err(Failure::new(status, format!("{}: nothing was sent", crate::signal::describe(status))));
        }
    };
    match answer {
        Ok(Ok(line)) if matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes") => Ok(()),
        _ => Err(Failure::new(ExitStatus::Declined, "declined: nothing was sent")),
    }
}
