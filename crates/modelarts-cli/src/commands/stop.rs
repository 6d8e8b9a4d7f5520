//! `training-job stop` (one version, `--from-file` or `--running`) and `training-job wait`.
//!
//! Every stop ends with one outcome document per version: a row of the table, or one JSON object
//! per line. Ctrl-C ends a wait cleanly (exit 130, the last status shown); in a batch, the versions
//! not finished get an `interrupted` outcome, since their stop may or may not have been sent.

use std::io::{self, IsTerminal};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use modelarts_protocol::model::VersionDetail;
use modelarts_protocol::stop::{Outcome, WaitEnd};
use modelarts_protocol::waiter::WaitOptions;
use modelarts_protocol::{JobId, JobStatus, VersionId};
use modelarts_sdk::{BatchEvent, BatchOptions, BatchOutcome, Client, StopOptions, StopOutcome, WaitError};
use serde_json::Value;

use super::{Context, dry_run, io_failure, wait_options};
use crate::args::{StopArgs, WaitArgs};
use crate::exit::{self, ExitStatus};
use crate::failure::Failure;
use crate::output::{Stdout, Table, elapsed, insert_status};
use crate::stop_file::{self, StopTarget};
use crate::targets;

/// The outcome of one version: a table row or a JSON line.
#[derive(Debug)]
struct OutcomeDoc {
    /// Line of the `--from-file` list.
    line: Option<usize>,
    job_id: JobId,
    version_id: VersionId,
    /// `stopped`, `already_stopped`, `not_found`, `failed`, `wait_timed_out`, `ended_otherwise`,
    /// `interrupted`.
    outcome: &'static str,
    status: Option<JobStatus>,
    stop: Option<StopOutcome>,
    elapsed: Option<Duration>,
    exit: ExitStatus,
    error: Option<Failure>,
}

impl OutcomeDoc {
    fn new(target: &StopTarget, outcome: &'static str, exit: ExitStatus) -> Self {
        Self {
            line: target.line,
            job_id: target.job_id,
            version_id: target.version_id,
            outcome,
            status: None,
            stop: None,
            elapsed: None,
            exit,
            error: None,
        }
    }

    fn json(&self) -> Value {
        let mut map = serde_json::Map::new();
        if let Some(line) = self.line {
            map.insert("line".into(), line.into());
        }
        map.insert("job_id".into(), self.job_id.get().into());
        map.insert("version_id".into(), self.version_id.get().into());
        map.insert("outcome".into(), self.outcome.into());
        match self.status {
            Some(status) => insert_status(&mut map, status),
            None => {
                map.insert("status".into(), Value::Null);
                map.insert("status_name".into(), Value::Null);
            }
        }
        map.insert("stop".into(), self.stop.map(StopOutcome::name).into());
        map.insert(
            "elapsed_ms".into(),
            self.elapsed.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)).into(),
        );
        map.insert("exit_code".into(), self.exit.code().into());
        map.insert("error".into(), self.error.as_ref().map_or(Value::Null, Failure::json_fields));
        Value::Object(map)
    }

    /// The outcome's table cells (escaped and aligned by the table).
    fn row(&self, with_line: bool) -> Vec<String> {
        let status = self.status.map_or_else(|| "-".to_owned(), |s| s.to_string());
        let detail = match (&self.error, self.stop) {
            (Some(f), _) => f.causes.last().cloned().unwrap_or_else(|| f.context.clone()),
            (None, Some(stop)) => stop.to_string(),
            (None, None) => String::new(),
        };
        let mut cells = Vec::with_capacity(6);
        if with_line {
            cells.push(self.line.map_or_else(|| "-".to_owned(), |l| l.to_string()));
        }
        cells.extend([
            self.job_id.to_string(),
            self.version_id.to_string(),
            self.outcome.to_owned(),
            status,
            detail,
        ]);
        cells
    }

    /// The outcome table, its columns wide enough for usual values from the start, since rows are
    /// printed one by one as outcomes arrive.
    fn table(with_line: bool) -> Table {
        if with_line {
            Table::new(["LINE", "JOB_ID", "VERSION_ID", "OUTCOME", "STATUS", "DETAIL"])
                .min_widths(&[4, 10, 10, 15, 13])
        } else {
            Table::new(["JOB_ID", "VERSION_ID", "OUTCOME", "STATUS", "DETAIL"]).min_widths(&[10, 10, 15, 13])
        }
    }
}

/// Prints outcomes one by one (header first in table mode); in JSON (`json` and `jsonl` alike)
/// one document per outcome per line.
#[derive(Debug)]
struct OutcomePrinter {
    with_line: bool,
    table: Table,
}

impl OutcomePrinter {
    fn new(with_line: bool) -> Self {
        Self { with_line, table: OutcomeDoc::table(with_line) }
    }

    fn print(&mut self, out: &mut Stdout, outcome: &OutcomeDoc) -> io::Result<()> {
        if out.is_json() {
            return out.json(&outcome.json());
        }
        let text = self.table.render_rows(&[outcome.row(self.with_line)]);
        out.line(text.trim_end_matches('\n'))
    }
}

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
        return stop_one(job, version, args.strict, wait, ctx, out).await;
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

/// Stdout failed (`/dev/full`, a closed file) after the version's outcome was known: the failure
/// (exit 1) says on stderr what happened to the version, since stdout cannot.
fn unwritten(error: io::Error, outcome: &OutcomeDoc) -> Failure {
    let (job, version) = (outcome.job_id, outcome.version_id);
    let what = match outcome.outcome {
        "stopped" => format!("the stop of job {job} version {version} was accepted"),
        "already_stopped" => format!("job {job} version {version} was already stopping or stopped"),
        other => format!("job {job} version {version}: {}", other.replace('_', " ")),
    };
    let status = outcome.status.map_or_else(String::new, |s| format!(" (status {s})"));
    Failure::new(ExitStatus::Other, format!("{what}{status}, but the outcome could not be written to stdout"))
        .caused_by(&error)
}

/// Reports on stderr why a stop or wait outcome is not a success (its document is on stdout).
fn report_outcome_failure(failure: &Failure, ctx: &Context<'_>, out: &Stdout) {
    ctx.stderr.always(&if out.is_json() { failure.json().to_string() } else { failure.text() });
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

/// What a batch shares with its event callback.
struct BatchShared<'o> {
    out: &'o mut Stdout,
    printer: OutcomePrinter,
    finished: Vec<bool>,
    worst: ExitStatus,
    write_error: Option<io::Error>,
}

async fn stop_batch(
    targets: Vec<StopTarget>,
    from_file: bool,
    args: &StopArgs,
    wait: Option<WaitOptions>,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    if targets.is_empty() {
        ctx.stderr.note(if from_file {
            "the stop list is empty: nothing to stop"
        } else {
            "no running training jobs: nothing to stop"
        });
        return Ok(ExitStatus::Success);
    }
    let client = ctx.client()?;
    if ctx.global.dry_run {
        let options = StopOptions { strict: args.strict };
        for t in &targets {
            let (job, version) = (t.job_id, t.version_id);
            dry_run(&client, |c| async move { c.stop_training_job_with(job, version, options).await }, out)
                .await?;
        }
        return Ok(ExitStatus::Success);
    }
    confirm(&targets, from_file, ctx).await?;

    let total = targets.len();
    let bar = ctx.progress.bar(u64::try_from(total).unwrap_or(u64::MAX), "stopping");
    let shared = Mutex::new(BatchShared {
        out,
        printer: OutcomePrinter::new(from_file),
        finished: vec![false; total],
        worst: ExitStatus::Success,
        write_error: None,
    });
    let record = |outcome: OutcomeDoc, index: usize| {
        let Ok(mut s) = shared.lock() else { return };
        let s = &mut *s;
        if s.finished.get(index).copied().unwrap_or(true) {
            return;
        }
        s.finished[index] = true;
        s.worst = s.worst.worst(outcome.exit);
        if s.write_error.is_none() {
            let printed = bar.suspend(|| s.printer.print(s.out, &outcome));
            if let Err(e) = printed {
                s.write_error = Some(e);
            }
        }
        bar.inc(1);
    };
    let on_event = |event: &BatchEvent<'_>| {
        if let BatchEvent::Finished { index, outcome } = event
            && let Some(target) = targets.get(*index)
        {
            record(batch_outcome(target, outcome), *index);
        }
    };
    let options = BatchOptions {
        concurrency: usize::try_from(args.concurrency).unwrap_or(modelarts_sdk::DEFAULT_BATCH_CONCURRENCY),
        wait,
        strict: args.strict,
    };
    let pairs: Vec<(JobId, VersionId)> = targets.iter().map(|t| (t.job_id, t.version_id)).collect();
    let started = Instant::now();
    let report = tokio::select! {
        biased;
        report = client.batch_stop(pairs, options, on_event) => Some(report),
        _ = tokio::signal::ctrl_c() => None,
    };
    // Outcomes the events did not deliver (none, normally): from the report, or `interrupted`.
    match &report {
        Some(report) => {
            for outcome in &report.outcomes {
                if let Some(target) = targets.get(outcome.index) {
                    record(batch_outcome(target, outcome), outcome.index);
                }
            }
        }
        None => {
            for (index, target) in targets.iter().enumerate() {
                let mut o = OutcomeDoc::new(target, "interrupted", ExitStatus::Interrupted);
                o.error = Some(Failure::new(
                    ExitStatus::Interrupted,
                    "interrupted before this version's outcome was known; its stop may or may not have been sent",
                ));
                record(o, index);
            }
        }
    }
    bar.finish_and_clear();
    let shared = shared
        .into_inner()
        .map_err(|_| Failure::new(ExitStatus::Other, "internal error: a batch task panicked"))?;
    if let Some(e) = shared.write_error {
        // Stdout failed: the stops' results go to stderr instead.
        let summary = match &report {
            Some(report) => {
                let c = report.counts();
                format!(
                    "{total} version(s): {} stopped, {} already stopped, {} not found, {} failed, {} wait timed out, {} ended otherwise",
                    c.stopped, c.already_stopped, c.not_found, c.failed, c.wait_timed_out, c.ended_otherwise
                )
            }
            None => "interrupted: stops already sent are not undone".to_owned(),
        };
        return Err(Failure::new(
            ExitStatus::Other,
            format!("the outcomes could not be written to stdout; the batch ran: {summary}"),
        )
        .caused_by(&e));
    }
    match &report {
        Some(report) => {
            let c = report.counts();
            ctx.stderr.note(&format!(
                "{total} version(s) in {}: {} stopped, {} already stopped, {} not found, {} failed, {} wait timed out, {} ended otherwise",
                elapsed(started.elapsed()),
                c.stopped,
                c.already_stopped,
                c.not_found,
                c.failed,
                c.wait_timed_out,
                c.ended_otherwise
            ));
        }
        None => ctx.stderr.always(&format!(
            "interrupted: stops already sent are not undone\n  to wait for one of them: {}",
            targets::resume_command_template()
        )),
    }
    Ok(shared.worst)
}

/// One SDK batch outcome as a CLI outcome.
fn batch_outcome(target: &StopTarget, o: &BatchOutcome) -> OutcomeDoc {
    let context = format!("cannot stop job {} version {}", o.job, o.version);
    let error = o.error.as_ref().map(|e| Failure::sdk(context.clone(), e));
    let (name, exit) = exit::of_outcome(o.kind, error.as_ref().map(|f| f.status));
    let mut outcome = OutcomeDoc::new(target, name, exit);
    outcome.status = o.kind.status();
    outcome.stop = o.stop;
    outcome.elapsed = Some(o.elapsed);
    outcome.error = error;
    outcome
}

/// Asks before a batch stop on a terminal; refuses without `--yes` anywhere else.
/// On a terminal the targets are shown first (the first few and a count, see
/// [`targets::preview`]).
async fn confirm(targets: &[StopTarget], from_file: bool, ctx: &Context<'_>) -> Result<(), Failure> {
    let count = targets.len();
    if ctx.global.yes {
        return Ok(());
    }
    if !io::stdin().is_terminal() {
        return Err(Failure::usage(format!(
            "refusing to stop {count} training-job version(s) without confirmation: stdin is not a terminal; pass --yes"
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
        _ = tokio::signal::ctrl_c() => return Err(Failure::new(ExitStatus::Interrupted, "interrupted: nothing was stopped")),
    };
    match answer {
        Ok(Ok(line)) if matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes") => Ok(()),
        _ => Err(Failure::new(ExitStatus::Other, "aborted: nothing was stopped")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn target(line: Option<usize>) -> StopTarget {
        StopTarget { job_id: JobId::new(10).unwrap(), version_id: VersionId::new(20).unwrap(), line }
    }

    #[test]
    fn outcome_json_is_stable() {
        let mut o = OutcomeDoc::new(&target(Some(3)), "stopped", ExitStatus::Success);
        o.status = Some(JobStatus::Killed);
        o.stop = Some(StopOutcome::Accepted);
        o.elapsed = Some(Duration::from_millis(1500));
        let v = o.json();
        assert_eq!(
            v,
            json!({"line": 3, "job_id": 10, "version_id": 20, "outcome": "stopped", "status": 12,
                   "status_name": "KILLED", "stop": "accepted", "elapsed_ms": 1500, "exit_code": 0, "error": null})
        );
    }

    #[test]
    fn outcome_rows_align_with_the_header() {
        let mut o = OutcomeDoc::new(&target(Some(3)), "stopped", ExitStatus::Success);
        o.status = Some(JobStatus::Killing);
        let mut table = OutcomeDoc::table(true);
        let text = table.render_rows(&[o.row(true)]);
        let (header, row) = text.split_once('\n').unwrap();
        assert_eq!(header.find("JOB_ID"), row.find("10"));
        assert_eq!(header.find("STATUS"), row.find("KILLING"));
        let mut o = OutcomeDoc::new(&target(None), "ended_otherwise", ExitStatus::OtherFinalState);
        o.status = Some(JobStatus::CheckRunningCompleted);
        o.stop = Some(StopOutcome::AlreadyFinal(JobStatus::CheckRunningCompleted));
        let text = OutcomeDoc::table(false).render_rows(&[o.row(false)]);
        assert!(text.starts_with("JOB_ID"));
        assert!(text.contains("CHECK_RUNNING_COMPLETED  "), "{text}");
    }

    #[test]
    fn documented_outcome_fields_are_the_output() {
        let mut documented: Vec<&str> = crate::json_docs::OUTCOME_FIELDS.iter().map(|f| f.0).collect();
        documented.sort_unstable();
        let json = OutcomeDoc::new(&target(Some(1)), "stopped", ExitStatus::Success).json();
        let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, documented);
    }
}
