//! `training-job stop` (one version, `--from-file` or `--running`) and `training-job wait`.
//!
//! Every stop ends with one outcome document per version: a row of the table, or one JSON object
//! per line. Ctrl-C ends a wait cleanly (exit 130, the last status shown); in a batch, the versions
//! not finished get an `interrupted` outcome, since their stop may or may not have been sent.

use std::io;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use modelarts_protocol::model::VersionDetail;
use modelarts_protocol::stop::{Outcome, WaitEnd};
use modelarts_protocol::target::JobRef;
use modelarts_protocol::waiter::WaitOptions;
use modelarts_protocol::{JobId, JobStatus, VersionId};
use modelarts_sdk::{Client, StopOptions, StopOutcome, WaitError};

mod batch;
mod prompt;
mod render;

use batch::stop_batch;
use render::{OutcomeDoc, OutcomePrinter, report_outcome_failure, unwritten};

use super::{Context, dry_run, io_failure, wait_options};
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
            "--version names a version of JOB_ID; it does not go with --running or --from-file",
        ));
    }
    if let (Some(job), Some(version)) = (args.job_id, args.version) {
        let exit = stop_one(job, version, args.strict, wait, ctx, out).await?;
        // `--logs-on-exit N`: why it ended otherwise, or what it was doing when the wait gave up.
        if let Some(lines) = args.logs_on_exit
            && matches!(exit, ExitStatus::OtherFinalState | ExitStatus::WaitTimedOut)
        {
            let client = ctx.client()?;
            super::logs::print_last_lines(&client, JobRef::V1 { job, version }, lines, ctx).await;
        }
        return Ok(exit);
    }
    if let Some(path) = &args.from_file {
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
        return stop_batch(targets, true, args, wait, ctx, out).await;
    }
    // --running (clap guarantees one of the three targets).
    let client = ctx.client()?;
    let spinner = ctx.progress.spinner("listing running training jobs".to_owned());
    let found = client.running_versions(args.search.clone()).await;
    spinner.finish_and_clear();
    let found = found.map_err(|e| Failure::sdk("cannot list the running training jobs", &e))?;
    let targets: Vec<StopTarget> =
        found.into_iter().map(|(job_id, version_id)| StopTarget { job_id, version_id, line: None }).collect();
    if ctx.global.dry_run {
        // The list was read (reads change nothing); the stops are only shown.
        targets::print_would_stop(out, &targets, &ctx.stderr).map_err(io_failure)?;
        return Ok(ExitStatus::Success);
    }
    stop_batch(targets, false, args, wait, ctx, out).await
}

/// The most bytes read from a `--from-file` list: about 500,000 lines, far more versions than an
/// account can hold.
const MAX_STOP_LIST_BYTES: u64 = 16 << 20;

/// Reads the `--from-file` list (`-`: stdin, at most [`MAX_STOP_LIST_BYTES`]) off the async
/// threads, so Ctrl-C still works.
async fn read_list(path: &Path) -> Result<String, Failure> {
    let owned = path.to_owned();
    let read = tokio::task::spawn_blocking(move || {
        if owned == Path::new("-") {
            modelarts_sdk::read_limited(io::stdin().lock(), MAX_STOP_LIST_BYTES)
        } else {
            std::fs::File::open(&owned)
                .and_then(|file| modelarts_sdk::read_limited(file, MAX_STOP_LIST_BYTES))
        }
    })
    .await;
    let shown = if path == Path::new("-") { "stdin".to_owned() } else { path.display().to_string() };
    match read {
        Ok(Ok(bytes)) => modelarts_sdk::decode_text_file(bytes)
            .map_err(|reason| Failure::usage(format!("cannot read the stop list {shown}: it {reason}"))),
        Ok(Err(e)) => Err(Failure::usage(format!("cannot read the stop list {shown}")).caused_by(&e)),
        Err(e) => {
            Err(Failure::new(ExitStatus::Other, format!("cannot read the stop list {shown}")).caused_by(&e))
        }
    }
}

async fn stop_one(
    job: JobId,
    version: VersionId,
    strict: bool,
    wait: Option<WaitOptions>,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let client = ctx.client()?;
    if ctx.global.dry_run {
        let options = StopOptions { strict };
        return dry_run(
            &client,
            |c| async move { c.stop_training_job_with(job, version, options).await },
            out,
        )
        .await;
    }
    let target = StopTarget { job_id: job, version_id: version, line: None };
    let started = Instant::now();
    let spinner = ctx.progress.spinner(format!("stopping job {job} version {version}"));
    let stop = tokio::select! {
        biased;
        result = client.stop_training_job_with(job, version, StopOptions { strict }) => result,
        _ = tokio::signal::ctrl_c() => {
            spinner.finish_and_clear();
            return Err(Failure::new(
                ExitStatus::Interrupted,
                format!("interrupted: the stop of job {job} version {version} may or may not have reached the service"),
            ));
        }
    };
    let stop = match stop {
        Ok(stop) => stop,
        Err(e) => {
            spinner.finish_and_clear();
            return Err(Failure::sdk(format!("cannot stop job {job} version {version}"), &e));
        }
    };
    let mut printer = OutcomePrinter::new(false);
    let options = match wait {
        Some(options) if stop.needs_wait() => options,
        _ => {
            // No wait asked, or the status read already is final: the stop's outcome is the end.
            spinner.finish_and_clear();
            let (name, exit) = exit::of_outcome(Outcome::of_stop(stop), None);
            let mut outcome = OutcomeDoc::new(&target, name, exit);
            outcome.status = stop.status();
            outcome.stop = Some(stop);
            outcome.elapsed = Some(started.elapsed());
            printer.print(out, &outcome).map_err(|e| unwritten(e, &outcome))?;
            if exit != ExitStatus::Success {
                let failure =
                    Failure::new(exit, format!("job {job} version {version} did not need a stop: {stop}"));
                report_outcome_failure(&failure, ctx, out);
            }
            return Ok(exit);
        }
    };
    spinner.set_message(format!("job {job} version {version}: {}", stop));
    let result = wait_with_spinner(&client, job, version, options, &spinner, ctx, false).await;
    spinner.finish_and_clear();
    finish_wait(&target, Some(stop), result, options.max_wait, started, ctx, out, &mut printer)
}

/// The result of a wait, Ctrl-C included.
enum Waited {
    Done(Box<Result<VersionDetail, WaitError>>),
    Interrupted(Option<JobStatus>),
}

/// Waits with the live status in the spinner on a terminal, or one plain line per status change
/// on stderr elsewhere. `watch_for_no_stop`: say at once when the version is not being stopped
/// (`wait`, where no stop was just sent).
async fn wait_with_spinner(
    client: &Client,
    job: JobId,
    version: VersionId,
    options: WaitOptions,
    spinner: &ProgressBar,
    ctx: &Context<'_>,
    watch_for_no_stop: bool,
) -> Waited {
    let last = Mutex::new(None::<JobStatus>);
    let lines = Mutex::new(targets::StatusLines::default());
    let started = Instant::now();
    let on_poll = |v: &VersionDetail| {
        spinner.set_message(format!("job {job} version {version}: {}", v.status));
        let first = match last.lock() {
            Ok(mut l) => l.replace(v.status).is_none(),
            Err(_) => false,
        };
        if spinner.is_hidden()
            && let Ok(mut lines) = lines.lock()
            && let Some(line) = lines.change(job, version, v.status, started.elapsed())
        {
            ctx.stderr.note(&line);
        }
        if watch_for_no_stop && first && v.status != JobStatus::Killing && !v.status.is_terminal() {
            spinner.suspend(|| ctx.stderr.note(&targets::not_stopping_note(job, version, v.status)));
        }
        tracing::debug!(%job, %version, status = %v.status, "polled");
    };
    tokio::select! {
        biased;
        result = client.wait_until_stopped(job, version, options, on_poll) => Waited::Done(Box::new(result)),
        _ = tokio::signal::ctrl_c() => Waited::Interrupted(last.lock().ok().and_then(|l| *l)),
    }
}

#[allow(clippy::too_many_arguments)]
fn finish_wait(
    target: &StopTarget,
    stop: Option<StopOutcome>,
    result: Waited,
    max_wait: Duration,
    started: Instant,
    ctx: &Context<'_>,
    out: &mut Stdout,
    printer: &mut OutcomePrinter,
) -> Result<ExitStatus, Failure> {
    let (job, version) = (target.job_id, target.version_id);
    let mut outcome = match result {
        Waited::Done(done) => {
            let (end, failure) = match *done {
                Ok(detail) => (WaitEnd::Stopped(detail.status), None),
                Err(WaitError::Call(e)) => {
                    return Err(Failure::sdk(
                        format!("cannot read the status of job {job} version {version} while waiting"),
                        &e,
                    ));
                }
                Err(e) => {
                    let context = match &e {
                        WaitError::TimedOut { .. } => format!(
                            "job {job} version {version} was not stopped within --max-wait {}; it may still be stopping",
                            humantime::format_duration(max_wait)
                        ),
                        _ => format!("job {job} version {version} did not end stopped"),
                    };
                    let end = match &e {
                        WaitError::OtherFinalState(v) => WaitEnd::EndedOtherwise(v.status),
                        other => WaitEnd::TimedOut(other.last().map(|v| v.status)),
                    };
                    (end, Some(Failure::wait(context, &e)))
                }
            };
            let kind = Outcome::of_wait(stop, end);
            let (name, exit) = exit::of_outcome(kind, failure.as_ref().map(|f| f.status));
            let mut o = OutcomeDoc::new(target, name, exit);
            o.status = kind.status();
            if let Some(failure) = &failure {
                report_outcome_failure(failure, ctx, out);
            }
            o
        }
        Waited::Interrupted(last) => {
            let mut o = OutcomeDoc::new(target, "interrupted", ExitStatus::Interrupted);
            o.status = last;
            let seen = last.map_or_else(|| "no status read yet".to_owned(), |s| format!("last status {s}"));
            let resume = targets::resume_command(job, version);
            if out.is_json() {
                let mut failure = Failure::new(
                    ExitStatus::Interrupted,
                    format!("interrupted: stopped waiting for job {job} version {version} ({seen})"),
                );
                failure.category = Some("interrupted");
                failure.hints.push(format!("a stop already sent goes on; to wait again: {resume}"));
                ctx.stderr.always(&failure.json().to_string());
            } else {
                ctx.stderr.always(&format!(
                    "interrupted: stopped waiting for job {job} version {version} ({seen}); a stop already sent goes on\n  to wait again: {resume}"
                ));
            }
            o
        }
    };
    outcome.stop = stop;
    outcome.elapsed = Some(started.elapsed());
    printer.print(out, &outcome).map_err(|e| unwritten(e, &outcome))?;
    Ok(outcome.exit)
}

/// `training-job wait`
pub(crate) async fn wait(
    args: &WaitArgs,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let options = wait_options(&args.wait_options)?;
    let client = ctx.client()?;
    let (job, version) = (args.job_id, args.version);
    if ctx.global.dry_run {
        ctx.stderr.note("note: the wait repeats this request until the version is final");
        return dry_run(
            &client,
            |c| async move { c.wait_until_stopped(job, version, options, |_| {}).await },
            out,
        )
        .await;
    }
    let target = StopTarget { job_id: job, version_id: version, line: None };
    let started = Instant::now();
    let spinner = ctx.progress.spinner(format!("waiting for job {job} version {version}"));
    let result = wait_with_spinner(&client, job, version, options, &spinner, ctx, true).await;
    spinner.finish_and_clear();
    let mut printer = OutcomePrinter::new(false);
    finish_wait(&target, None, result, options.max_wait, started, ctx, out, &mut printer)
}
