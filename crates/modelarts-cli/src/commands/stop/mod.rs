//! `training-job stop` (one job or version, `--from-file` or `--running`) and `training-job wait`,
//! for both APIs: a UUID is a v2 job, digits with `--version` a v1 version, anything else (or any
//! ID with `--name`) a v2 job's exact name (see [`JobArg::route`] and `named`).
//!
//! Every stop ends with one outcome document per target: a row of the table, or one JSON object
//! per line. Ctrl-C ends a wait cleanly (exit 130, the last status shown); in a batch, the targets
//! not finished get an `interrupted` outcome, since their stop may or may not have been sent.

use std::io;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use modelarts_protocol::stop::{Outcome, StopStatus, WaitEnd};
#[cfg(doc)]
use modelarts_protocol::target::JobArg;
use modelarts_protocol::target::{ApiVersion, JobRef, TargetStatus};
use modelarts_protocol::waiter::WaitOptions;
use modelarts_sdk::{Client, StopOptions, StopOutcome, TargetListError, WaitError};

mod batch;
mod prompt;
mod render;

use batch::stop_batch;
use render::{OutcomeDoc, OutcomePrinter, report_outcome_failure, unwritten};

use super::{Context, dry_run, io_failure, named, wait_options};
use crate::args::{StopArgs, WaitArgs};
use crate::exit::{self, ExitStatus};
use crate::failure::Failure;
use crate::output::Stdout;
use crate::stop_file::{self, StopTarget};
use crate::targets;

/// `training-job stop`
pub(crate) async fn stop(
    args: &StopArgs,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let wait = if args.wait { Some(wait_options(&args.wait_options)?) } else { None };
    if args.version.is_some() && args.job_id.is_none() {
        return Err(Failure::usage(
            "--version names a version of a v1 JOB_ID; it does not go with --running or --from-file",
        ));
    }
    let api = args.api.map(ApiVersion::from);
    if let Some(id) = &args.job_id {
        let target =
            named::resolve(id, args.version.as_deref(), api, args.by_name, named::Purpose::Act, ctx).await?;
        let exit = stop_one(target.clone(), args.strict, wait, ctx, out).await?;
        // `--logs-on-exit N`: why it ended otherwise, or what it was doing when the wait gave up.
        if let Some(lines) = args.logs_on_exit
            && matches!(exit, ExitStatus::OtherFinalState | ExitStatus::WaitTimedOut)
        {
            let client = ctx.client()?;
            super::logs::print_last_lines(&client, target, lines, ctx).await;
        }
        return Ok(exit);
    }
    if let Some(path) = &args.from_file {
        if api.is_some() {
            return Err(Failure::usage(
                "--api does not go with --from-file: each line's shape says its API (a UUID is v2, `JOB_ID VERSION_ID` v1)",
            ));
        }
        if path == Path::new("-") && !ctx.global.yes && !ctx.global.dry_run {
            return Err(Failure::usage(
                "--from-file - reads the list from stdin, so no one can confirm the stops there: pass --yes",
            ));
        }
        let text = read_list(path).await?;
        let targets = stop_file::parse(&text)
            .map_err(|e| Failure::usage(format!("invalid stop list {}: {e}", path.display())))?;
        let (targets, duplicates) = stop_file::dedupe(targets);
        if let Some(warning) = duplicates {
            ctx.stderr.always(&warning);
        }
        return stop_batch(targets, true, None, args, wait, ctx, out).await;
    }
    // --running (clap guarantees one of the three targets): both APIs, v2 first, unless one is
    // chosen (`--api`, `MODELARTS_API`, the profile's `api`).
    let client = ctx.client()?;
    let api = super::listing::chosen_api(args.api, &client);
    if args.all_workspaces && api == Some(ApiVersion::V1) {
        return Err(Failure::usage("--all-workspaces reads v2 workspaces; it does not go with --api v1"));
    }
    let (found, failures) =
        super::both::running(&client, api, args.search.clone(), args.all_workspaces, ctx).await?;
    // The name, status and creation time the lists showed are kept for the confirmation.
    let targets: Vec<StopTarget> =
        found.iter().map(|s| StopTarget { target: s.target.clone(), line: None }).collect();
    // A part that could not be listed: its running jobs may have been missed, so "nothing to
    // stop" is never said, and the run exits non-zero once the others are stopped.
    let missed = "its running jobs may have been missed: they were not stopped";
    if targets.is_empty() && !failures.is_empty() {
        return Ok(super::both::report_missed(failures, missed, ctx));
    }
    let exit = if ctx.global.dry_run {
        // The lists were read (reads change nothing); the stops are only shown.
        targets::print_would_stop(out, &targets, &ctx.stderr).map_err(io_failure)?;
        ExitStatus::Success
    } else {
        stop_batch(targets, false, Some(found), args, wait, ctx, out).await?
    };
    Ok(exit.worst(super::both::report_missed(failures, missed, ctx)))
}

/// Reads the `--from-file` list (`-`: stdin; at most [`modelarts_sdk::MAX_TARGET_LIST_BYTES`])
/// off the async threads, so Ctrl-C still works.
async fn read_list(path: &Path) -> Result<String, Failure> {
    let owned = path.to_owned();
    let read = tokio::task::spawn_blocking(move || {
        if owned == Path::new("-") {
            modelarts_sdk::read_target_list_from(io::stdin().lock())
        } else {
            modelarts_sdk::read_target_list(&owned)
        }
    })
    .await;
    let shown = if path == Path::new("-") { "stdin".to_owned() } else { path.display().to_string() };
    let context = format!("cannot read the stop list {shown}");
    match read {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(TargetListError::NotText(reason))) => Err(Failure::usage(format!("{context}: it {reason}"))),
        Ok(Err(TargetListError::Unreadable(e))) => Err(Failure::usage(context).caused_by(&e)),
        // A reason added later: still the user's file, its text says why.
        Ok(Err(e)) => Err(Failure::usage(context).caused_by(&e)),
        Err(e) => Err(Failure::new(ExitStatus::Other, context).caused_by(&e)),
    }
}

/// Stops one target of either API (the SDK's safe stop), for `--dry-run`.
pub(super) async fn stop_target<T>(
    client: &Client<T>,
    target: &JobRef,
    options: StopOptions,
) -> Result<StopOutcome<TargetStatus>, modelarts_sdk::Error>
where
    T: modelarts_sdk::HttpSend<Error: Send + Sync + 'static>,
{
    client.stop_target(target, options).await.map_err(|e| e.error)
}

async fn stop_one(
    target: JobRef,
    strict: bool,
    wait: Option<WaitOptions>,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let client = ctx.client()?;
    let options = StopOptions::default().with_strict(strict);
    if ctx.global.dry_run {
        let t = target.clone();
        return dry_run(&client, |c| async move { stop_target(&c, &t, options).await }, out).await;
    }
    let doc_target = StopTarget { target: target.clone(), line: None };
    let started = Instant::now();
    let spinner = ctx.progress.spinner(format!("stopping {target}"));
    let mut printer = OutcomePrinter::new(false, matches!(target, JobRef::V2(_)));
    let stop = tokio::select! {
        biased;
        result = client.stop_target(&target, options) => result,
        signal = crate::signal::interrupted() => {
            spinner.finish_and_clear();
            // The stop may or may not have been sent: `unknown`, with the signal's exit status.
            let mut outcome = OutcomeDoc::new(&doc_target, Outcome::<TargetStatus>::Unknown.name(), signal);
            outcome.elapsed = Some(started.elapsed());
            outcome.hint = Some(targets::resume_command(&target));
            printer.print(out, &outcome).map_err(|e| unwritten(e, &outcome))?;
            let what = crate::signal::describe(signal);
            return Err(Failure::new(
                signal,
                format!("{what}: the stop of {target} may or may not have reached the service"),
            ));
        }
    };
    let stop = match stop {
        Ok(stop) => stop,
        Err(e) => {
            spinner.finish_and_clear();
            // The outcome the failure leaves (not found, not sent, unknown, failed), then why.
            let failure = Failure::sdk(format!("cannot stop {target}"), &e.error);
            let (name, exit) = exit::of_outcome(e.outcome, Some(failure.status));
            let mut outcome = OutcomeDoc::new(&doc_target, name, exit);
            outcome.status = e.outcome.status();
            outcome.elapsed = Some(started.elapsed());
            if e.outcome == Outcome::Unknown {
                outcome.hint = Some(targets::resume_command(&target));
            }
            printer.print(out, &outcome).map_err(|e| unwritten(e, &outcome))?;
            return Err(failure);
        }
    };
    let options = match wait {
        Some(options) if stop.needs_wait() => options,
        _ => {
            // No wait asked, or the status read already is final: the stop's outcome is the end.
            spinner.finish_and_clear();
            let kind = Outcome::of_stop(stop);
            let (name, exit) = exit::of_outcome(kind, None);
            let mut outcome = OutcomeDoc::new(&doc_target, name, exit);
            outcome.status = stop.status();
            outcome.stop = Some(stop);
            outcome.elapsed = Some(started.elapsed());
            outcome.hint = hint_for(&target, kind);
            printer.print(out, &outcome).map_err(|e| unwritten(e, &outcome))?;
            if let Some(hint) = &outcome.hint
                && !out.is_json()
            {
                ctx.stderr.note(&format!("hint: the stop is under way; to see it end: {hint}"));
            }
            if exit != ExitStatus::Success {
                let failure = Failure::new(exit, format!("{target} did not need a stop: {stop}"));
                report_outcome_failure(&failure, ctx, out);
            }
            return Ok(exit);
        }
    };
    spinner.set_message(format!("{target}: {stop}"));
    let result = wait_with_spinner(&client, &target, options, &spinner, ctx, false).await;
    spinner.finish_and_clear();
    finish_wait(&doc_target, Some(stop), result, started, ctx, out, &mut printer)
}

/// The `wait` command that sees a stop through, for an outcome that leaves the job stopping.
pub(super) fn hint_for(target: &JobRef, outcome: Outcome<TargetStatus>) -> Option<String> {
    matches!(outcome, Outcome::StopRequested { .. } | Outcome::AlreadyStopping { .. })
        .then(|| targets::resume_command(target))
}

/// The result of a wait, Ctrl-C included.
enum Waited {
    /// Stopped: the final status.
    Stopped(TargetStatus),
    /// Ended otherwise or timed out: how, and the failure to report.
    NotStopped(WaitEnd<TargetStatus>, Box<Failure>),
    /// A poll failed for a reason waiting does not ride out.
    CallFailed(modelarts_sdk::Error),
    /// Ctrl-C or SIGTERM (the exit status that says which); the last status read.
    Interrupted(Option<TargetStatus>, ExitStatus),
}

impl Waited {
    /// The SDK's one wait of a target of either API, as the CLI reports it.
    fn of(
        target: &JobRef,
        result: Result<TargetStatus, WaitError<TargetStatus>>,
        max_wait: Duration,
    ) -> Self {
        match result {
            Ok(status) => Waited::Stopped(status),
            Err(WaitError::Call(e)) => Waited::CallFailed(e),
            Err(e) => {
                let (context, end) = match &e {
                    WaitError::OtherFinalState(s) => {
                        (format!("{target} did not end stopped"), WaitEnd::EndedOtherwise(**s))
                    }
                    other => (
                        format!(
                            "{target} was not stopped within --max-wait {}; it may still be stopping",
                            crate::output::exact_duration(max_wait)
                        ),
                        WaitEnd::TimedOut(other.last().copied()),
                    ),
                };
                Waited::NotStopped(end, Box::new(Failure::wait(context, &e)))
            }
        }
    }
}

/// Waits with the live status in the spinner on a terminal, or one plain line per status change
/// on stderr elsewhere. `watch_for_no_stop`: say at once when the job is not being stopped
/// (`wait`, where no stop was just sent).
async fn wait_with_spinner(
    client: &Client,
    target: &JobRef,
    options: WaitOptions,
    spinner: &ProgressBar,
    ctx: &Context<'_>,
    watch_for_no_stop: bool,
) -> Waited {
    let last = Mutex::new(None::<TargetStatus>);
    let lines = Mutex::new(targets::StatusLines::default());
    let started = Instant::now();
    let on_poll = |status: TargetStatus| {
        spinner.set_message(format!("{target}: {status}"));
        let first = match last.lock() {
            Ok(mut l) => l.replace(status).is_none(),
            Err(_) => false,
        };
        if spinner.is_hidden()
            && let Ok(mut lines) = lines.lock()
            && let Some(line) = lines.change(target, status, started.elapsed())
        {
            ctx.stderr.note(&line);
        }
        if watch_for_no_stop && first && status.is_stoppable_now() {
            spinner.suspend(|| ctx.stderr.note(&targets::not_stopping_note(target, status)));
        }
        tracing::debug!(%target, %status, "polled");
    };
    let wait = async {
        let result = client.wait_target(target, options, on_poll).await;
        Waited::of(target, result, options.max_wait)
    };
    tokio::select! {
        biased;
        result = wait => result,
        signal = crate::signal::interrupted() => Waited::Interrupted(last.lock().ok().and_then(|l| *l), signal),
    }
}

fn finish_wait(
    target: &StopTarget,
    stop: Option<StopOutcome<TargetStatus>>,
    result: Waited,
    started: Instant,
    ctx: &Context<'_>,
    out: &mut Stdout,
    printer: &mut OutcomePrinter,
) -> Result<ExitStatus, Failure> {
    let job = &target.target;
    // The outcome, the error that comes with it, and a failure to report after it (returned, for
    // a poll that failed).
    let (kind, failure, returned) = match result {
        Waited::Stopped(status) => (Outcome::of_wait(stop, WaitEnd::Stopped(status)), None, None),
        Waited::NotStopped(end, failure) => (Outcome::of_wait(stop, end), Some(*failure), None),
        Waited::CallFailed(e) => {
            let end = WaitEnd::Failed { not_found: e.is_not_found() };
            let failure = Failure::sdk(format!("cannot read the status of {job} while waiting"), &e);
            (Outcome::of_wait(stop, end), None, Some(failure))
        }
        Waited::Interrupted(last, signal) => {
            let seen = last.map_or_else(|| "no status read yet".to_owned(), |s| format!("last status {s}"));
            let what = crate::signal::describe(signal);
            let mut failure = Failure::new(signal, format!("{what}: stopped waiting for {job} ({seen})"));
            failure.category = Some("interrupted");
            failure.hints.push(format!(
                "a stop already sent goes on; to wait again: {}",
                targets::resume_command(job)
            ));
            (Outcome::gave_up(stop, last), None, Some(failure))
        }
    };
    let error_status = failure.as_ref().or(returned.as_ref()).map(|f| f.status);
    let (name, exit) = exit::of_outcome(kind, error_status);
    let mut outcome = OutcomeDoc::new(target, name, exit);
    outcome.status = kind.status();
    outcome.stop = stop;
    outcome.elapsed = Some(started.elapsed());
    outcome.hint = hint_for(job, kind);
    if let Some(failure) = &failure {
        report_outcome_failure(failure, ctx, out);
    }
    printer.print(out, &outcome).map_err(|e| unwritten(e, &outcome))?;
    match returned {
        Some(failure) => Err(failure),
        None => Ok(outcome.exit),
    }
}

/// `training-job wait`
pub(crate) async fn wait(
    args: &WaitArgs,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let options = wait_options(&args.wait_options)?;
    let api = args.api.map(ApiVersion::from);
    let target =
        named::resolve(&args.job_id, args.version.as_deref(), api, args.by_name, named::Purpose::Act, ctx)
            .await?;
    let client = ctx.client()?;
    if ctx.global.dry_run {
        ctx.stderr.note("note: the wait repeats this request until the job is final");
        return match &target {
            JobRef::V1 { job, version } => {
                let (job, version) = (*job, *version);
                dry_run(
                    &client,
                    |c| async move { c.wait_until_stopped(job, version, options, |_| {}).await },
                    out,
                )
                .await
            }
            JobRef::V2(id) => {
                let id = id.clone();
                dry_run(&client, |c| async move { c.wait_until_terminated(&id, options, |_| {}).await }, out)
                    .await
            }
        };
    }
    let started = Instant::now();
    let spinner = ctx.progress.spinner(format!("waiting for {target}"));
    let result = wait_with_spinner(&client, &target, options, &spinner, ctx, true).await;
    spinner.finish_and_clear();
    let mut printer = OutcomePrinter::new(false, matches!(target, JobRef::V2(_)));
    finish_wait(&StopTarget { target, line: None }, None, result, started, ctx, out, &mut printer)
}
