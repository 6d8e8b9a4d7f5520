//! `training-job stop --from-file` and `--running`: the batch, its outcomes printed as they
//! arrive, its summary, and Ctrl-C.

use std::io;
use std::sync::Mutex;
use std::time::Instant;

use modelarts_protocol::target::{JobRef, TargetSummary};
use modelarts_protocol::waiter::WaitOptions;
use modelarts_sdk::{BatchEvent, BatchOptions, BatchOutcome, StopOptions, StopOutcome};

use super::super::{Context, dry_run};
use super::prompt::confirm;
use super::render::{OutcomeDoc, OutcomePrinter};
use crate::args::StopArgs;
use crate::exit::{self, ExitStatus};
use crate::failure::Failure;
use crate::output::{Stdout, elapsed};
use crate::stop_file::StopTarget;
use crate::targets;

/// What a batch shares with its event callback.
struct BatchShared<'o> {
    out: &'o mut Stdout,
    printer: OutcomePrinter,
    finished: Vec<bool>,
    worst: ExitStatus,
    write_error: Option<io::Error>,
    /// Progress: the targets whose stop was answered (the bar's position), the stops accepted
    /// and the targets found stopped.
    progress: Progress,
}

/// What the progress bar counts.
#[derive(Debug)]
struct Progress {
    answered: Vec<bool>,
    accepted: usize,
    stopped: usize,
    waiting: bool,
}

impl Progress {
    /// Marks `index` answered: whether it was not before (the bar moves).
    fn answer(&mut self, index: usize) -> bool {
        match self.answered.get_mut(index) {
            Some(seen @ false) => {
                *seen = true;
                true
            }
            _ => false,
        }
    }

    /// The bar's suffix: `3 accepted · 1 stopped` while waiting, `3 accepted` otherwise.
    fn counts(&self) -> String {
        if self.waiting {
            format!("{} accepted · {} stopped", self.accepted, self.stopped)
        } else {
            format!("{} accepted", self.accepted)
        }
    }
}

/// Stops `targets` (after the confirmation): `from_file` for a `--from-file` list; `listed`, the
/// targets as the list that found them showed them (`--running`), for the confirmation's preview.
pub(super) async fn stop_batch(
    targets: Vec<StopTarget>,
    from_file: bool,
    listed: Option<Vec<TargetSummary>>,
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
        let options = StopOptions::default().with_strict(args.strict);
        for t in &targets {
            let target = t.target.clone();
            dry_run(&client, |c| async move { super::stop_target(&c, &target, options).await }, out).await?;
        }
        return Ok(ExitStatus::Success);
    }
    confirm(&targets, listed.as_deref(), from_file, &client, ctx).await?;

    let total = targets.len();
    let bar = ctx.progress.bar(u64::try_from(total).unwrap_or(u64::MAX), "stopping");
    let shared = Mutex::new(BatchShared {
        out,
        printer: OutcomePrinter::new(from_file, targets.iter().any(|t| matches!(t.target, JobRef::V2(_)))),
        finished: vec![false; total],
        worst: ExitStatus::Success,
        write_error: None,
        progress: Progress { answered: vec![false; total], accepted: 0, stopped: 0, waiting: wait.is_some() },
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
        if matches!(outcome.outcome, "stopped" | "already_stopped") {
            s.progress.stopped += 1;
        }
        if s.progress.answer(index) {
            bar.inc(1);
        }
        bar.set_prefix(s.progress.counts());
    };
    let on_event = |event: &BatchEvent<'_>| match event {
        BatchEvent::StopDone { index, result } => {
            let Ok(mut s) = shared.lock() else { return };
            if matches!(result, Ok(StopOutcome::Accepted)) {
                s.progress.accepted += 1;
            }
            if s.progress.answer(*index) {
                bar.inc(1);
            }
            bar.set_prefix(s.progress.counts());
        }
        BatchEvent::Finished { index, outcome } => {
            if let Some(target) = targets.get(*index) {
                record(batch_outcome(target, outcome), *index);
            }
        }
        _ => {}
    };
    let mut options = BatchOptions::default()
        .with_concurrency(
            usize::try_from(args.concurrency).unwrap_or(modelarts_sdk::DEFAULT_BATCH_CONCURRENCY),
        )
        .with_strict(args.strict);
    options.wait = wait;
    let pairs: Vec<JobRef> = targets.iter().map(|t| t.target.clone()).collect();
    let started = Instant::now();
    let report = tokio::select! {
        biased;
        report = client.batch_stop(pairs, options, on_event) => Ok(report),
        signal = crate::signal::interrupted() => Err(signal),
    };
    // Outcomes the events did not deliver (none, normally): from the report, or `interrupted`.
    match &report {
        Ok(report) => {
            for outcome in &report.outcomes {
                if let Some(target) = targets.get(outcome.index) {
                    record(batch_outcome(target, outcome), outcome.index);
                }
            }
        }
        Err(signal) => {
            // The targets not finished: their stop may or may not have been sent.
            let what = crate::signal::describe(*signal);
            for (index, target) in targets.iter().enumerate() {
                let mut o = OutcomeDoc::new(target, "unknown", *signal);
                o.error = Some(Failure::new(
                    *signal,
                    format!(
                        "{what} before this target's outcome was known; its stop may or may not have been sent"
                    ),
                ));
                o.hint = Some(targets::resume_command(&target.target));
                record(o, index);
            }
        }
    }
    bar.finish_and_clear();
    let shared = shared
        .into_inner()
        .map_err(|_| Failure::new(ExitStatus::Other, "internal error: a batch task panicked"))?;
    let summary = match &report {
        Ok(report) => format!("{total} job(s): {}", report.counts().summary()),
        Err(signal) => format!("{}: stops already sent are not undone", crate::signal::describe(*signal)),
    };
    if let Some(e) = shared.write_error {
        // Stdout failed: the stops went on, and their results go to stderr instead.
        return Err(Failure::new(
            ExitStatus::Other,
            format!("the outcomes could not be written to stdout; the batch ran: {summary}"),
        )
        .caused_by(&e));
    }
    match &report {
        Ok(report) => {
            ctx.stderr.note(&format!("{summary} (in {})", elapsed(started.elapsed())));
            let c = report.counts();
            if c.of("stop_requested") + c.of("already_stopping") > 0 && wait.is_none() {
                ctx.stderr.note(&format!(
                    "hint: the stops are under way; to see one end: {}",
                    targets::resume_command_template()
                ));
            }
        }
        Err(_) => ctx
            .stderr
            .always(&format!("{summary}\n  to wait for one of them: {}", targets::resume_command_template())),
    }
    Ok(shared.worst)
}

/// One SDK batch outcome as a CLI outcome.
fn batch_outcome(target: &StopTarget, o: &BatchOutcome) -> OutcomeDoc {
    let context = format!("cannot stop {}", o.target);
    let error = o.error.as_ref().map(|e| Failure::sdk(context.clone(), e));
    let (name, exit) = exit::of_outcome(o.kind, error.as_ref().map(|f| f.status));
    let mut outcome = OutcomeDoc::new(target, name, exit);
    outcome.status = o.kind.status();
    outcome.hint = super::hint_for(&target.target, o.kind);
    outcome.stop = o.stop;
    outcome.elapsed = Some(o.elapsed);
    outcome.error = error;
    outcome
}
