//! The confirmation a batch stop asks for.

use std::io::{self, IsTerminal};

use super::super::Context;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::stop_file::StopTarget;
use crate::targets;

/// Asks before a batch stop on a terminal; refuses without `--yes` anywhere else.
/// On a terminal the targets are shown first (the first few and a count, see
/// [`targets::preview`]).
pub(super) async fn confirm(
    targets: &[StopTarget],
    from_file: bool,
    ctx: &Context<'_>,
) -> Result<(), Failure> {
    let count = targets.len();
    if ctx.global.yes {
        return Ok(());
    }
    if !io::stdin().is_terminal() {
        return Err(Failure::usage(format!(
            "refusing to stop {count} training job(s) or version(s) without confirmation: stdin is not a terminal; pass --yes"
        )));
    }
    ctx.stderr.always(&targets::preview(targets, from_file));
    let prompt = format!("Stop {count} training-job version(s)? [y/N] ");
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
