//! `training-job stop` (one version, `--from-file` or `--running`) and `training-job wait`.
//!
//! Every stop ends with one outcome document per version: a row of the table, or one JSON object
//! per line. Ctrl-C ends a wait cleanly (exit 130, the last status shown); in a batch, the versions
//! not finished get an `interrupted` outcome, since their stop may or may not have been sent.

use std::io::{self, IsTerminal, Read};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use modelarts_protocol::model::VersionDetail;
use modelarts_protocol::operations::stop_training_job::StopTrainingJob;
use modelarts_protocol::stop::{Outcome, WaitEnd};
use modelarts_protocol::waiter::WaitOptions;
use modelarts_protocol::{JobId, JobStatus, VersionId};
use modelarts_sdk::{BatchEvent, BatchOptions, BatchOutcome, Client, StopOptions, StopOutcome, WaitError};
use serde_json::Value;

use super::{Context, dry_run, io_failure, print_dry_run, wait_options};
use crate::args::{StopArgs, WaitArgs};
use crate::exit::{self, ExitStatus};
use crate::failure::Failure;
use crate::output::{Stdout, elapsed, insert_status};
use crate::stop_file::{self, StopTarget};

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

    fn row(&self, with_line: bool) -> String {
        let status = self.status.map_or_else(|| "-".to_owned(), |s| s.to_string());
        let detail = match (&self.error, self.stop) {
            (Some(f), _) => f.causes.last().cloned().unwrap_or_else(|| f.context.clone()),
            (None, Some(stop)) => stop.to_string(),
            (None, None) => String::new(),
        };
        let line = match (with_line, self.line) {
            (true, Some(l)) => format!("{l:<6}"),
            (true, None) => format!("{:<6}", "-"),
            (false, _) => String::new(),
        };
        format!(
            "{line}{:<12}{:<12}{:<17}{:<15}{}",
            self.job_id.to_string(),
            self.version_id.to_string(),
            self.outcome,
            status,
            detail
        )
        .trim_end()
        .to_owned()
    }

    fn header(with_line: bool) -> String {
        let line = if with_line { format!("{:<6}", "LINE") } else { String::new() };
        format!("{line}{:<12}{:<12}{:<17}{:<15}DETAIL", "JOB_ID", "VERSION_ID", "OUTCOME", "STATUS")
    }
}

/// Prints outcomes one by one (header first in table mode).
#[derive(Debug)]
struct OutcomePrinter {
    with_line: bool,
    header_printed: bool,
}

impl OutcomePrinter {
    fn new(with_line: bool) -> Self {
        Self { with_line, header_printed: false }
    }

    fn print(&mut self, out: &mut Stdout, outcome: &OutcomeDoc) -> io::Result<()> {
        if out.is_json() {
            return out.json(&outcome.json());
        }
        if !self.header_printed {
            self.header_printed = true;
            out.line(&OutcomeDoc::header(self.with_line))?;
        }
        out.line(&outcome.row(self.with_line))
    }
}

/// `training-job stop`
pub(crate) async fn stop(
    args: &StopArgs,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let wait = if args.wait { Some(wait_options(&args.wait_options)?) } else { None };
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
        return stop_batch(targets, true, args, wait, ctx, out).await;
    }
    // --running (clap guarantees one of the three targets).
    let client = ctx.client()?;
    if ctx.global.dry_run {
        // The first request of `running_versions`: the walk over every job matching the search.
        let query = modelarts_sdk::ListQuery { search: args.search.clone(), ..Default::default() };
        let op = query.page_of_all(1).to_operation(client.project_id().clone());
        ctx.stderr.note(
            "note: --running first lists the jobs (this request); which stops follow depends on its answer",
        );
        return dry_run(&client, &op, out);
    }
    let spinner = ctx.progress.spinner("listing running training jobs".to_owned());
    let found = client.running_versions(args.search.clone()).await;
    spinner.finish_and_clear();
    let found = found.map_err(|e| Failure::sdk("cannot list the running training jobs", &e))?;
    let targets =
        found.into_iter().map(|(job_id, version_id)| StopTarget { job_id, version_id, line: None }).collect();
    stop_batch(targets, false, args, wait, ctx, out).await
}

/// Reads the `--from-file` list (`-`: stdin) off the async threads, so Ctrl-C still works.
async fn read_list(path: &Path) -> Result<String, Failure> {
    let owned = path.to_owned();
    let read = tokio::task::spawn_blocking(move || {
        if owned == Path::new("-") {
            let mut bytes = Vec::new();
            io::stdin().lock().read_to_end(&mut bytes).map(|_| bytes)
        } else {
            std::fs::read(&owned)
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
        let op = StopTrainingJob::new(client.project_id().clone(), job, version);
        return dry_run(&client, &op, out);
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
            printer.print(out, &outcome).map_err(io_failure)?;
            if exit != ExitStatus::Success {
                let failure =
                    Failure::new(exit, format!("job {job} version {version} did not need a stop: {stop}"));
                report_outcome_failure(&failure, ctx, out);
            }
            return Ok(exit);
        }
    };
    spinner.set_message(format!("job {job} version {version}: {}", stop));
    let result = wait_with_spinner(&client, job, version, options, &spinner).await;
    spinner.finish_and_clear();
    finish_wait(&target, Some(stop), result, options.max_wait, started, ctx, out, &mut printer)
}

/// The result of a wait, Ctrl-C included.
enum Waited {
    Done(Box<Result<VersionDetail, WaitError>>),
    Interrupted(Option<JobStatus>),
}

async fn wait_with_spinner(
    client: &Client,
    job: JobId,
    version: VersionId,
    options: WaitOptions,
    spinner: &ProgressBar,
) -> Waited {
    let last = Mutex::new(None::<JobStatus>);
    let on_poll = |v: &VersionDetail| {
        spinner.set_message(format!("job {job} version {version}: {}", v.status));
        if let Ok(mut l) = last.lock() {
            *l = Some(v.status);
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
            ctx.stderr.always(&format!(
                "interrupted: stopped waiting for job {job} version {version} ({seen}); a stop already sent goes on"
            ));
            o
        }
    };
    outcome.stop = stop;
    outcome.elapsed = Some(started.elapsed());
    printer.print(out, &outcome).map_err(io_failure)?;
    Ok(outcome.exit)
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
        let op = modelarts_protocol::operations::show_training_job_version::ShowTrainingJobVersion::new(
            client.project_id().clone(),
            job,
            version,
        );
        ctx.stderr.note("note: the wait repeats this request until the version is final");
        return dry_run(&client, &op, out);
    }
    let target = StopTarget { job_id: job, version_id: version, line: None };
    let started = Instant::now();
    let spinner = ctx.progress.spinner(format!("waiting for job {job} version {version}"));
    let result = wait_with_spinner(&client, job, version, options, &spinner).await;
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
        for t in &targets {
            let op = StopTrainingJob::new(client.project_id().clone(), t.job_id, t.version_id);
            let request =
                client.signed_request(&op).map_err(|e| Failure::sdk("cannot build the request", &e))?;
            print_dry_run(out, &request)?;
        }
        return Ok(ExitStatus::Success);
    }
    confirm(targets.len(), ctx).await?;

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
        return Err(io_failure(e));
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
        None => ctx.stderr.always("interrupted: stops already sent are not undone"),
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
async fn confirm(count: usize, ctx: &Context<'_>) -> Result<(), Failure> {
    if ctx.global.yes {
        return Ok(());
    }
    if !io::stdin().is_terminal() {
        return Err(Failure::usage(format!(
            "refusing to stop {count} training-job version(s) without confirmation: stdin is not a terminal; pass --yes"
        )));
    }
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
        let header = OutcomeDoc::header(true);
        let row = o.row(true);
        assert_eq!(header.find("JOB_ID"), row.find("10"));
        assert_eq!(header.find("STATUS"), row.find("KILLING"));
        assert!(OutcomeDoc::header(false).starts_with("JOB_ID"));
    }
}
