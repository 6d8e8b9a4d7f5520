//! `training-job logs`: the latest lines of a v1 version's log file or a v2 task's log, or every new
//! line until the job is final (`--follow`, with `--stall-after`); and the last lines printed by
//! `stop --wait --logs-on-exit`. Routing by ID shape (or a v2 job's name) is `named::resolve`; paging,
//! pacing and the stall rule are the SDK's follow stream.

use std::time::Duration;

use futures_util::StreamExt;
use modelarts_protocol::operations::v2::logs::LogUrlKind;
use modelarts_protocol::target::JobRef;
use modelarts_sdk::{Client, FollowOptions, LogEvent, LogTarget};
use serde_json::json;

use super::{Context, dry_run, io_failure, wait_options};
use crate::args::{LogUrlArg, LogsArgs};
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::Stdout;

/// How long `--follow` runs without `--max-wait`.
const FOLLOW_MAX_WAIT: Duration = Duration::from_secs(7 * 24 * 3600);

fn describe(job: &JobRef) -> String {
    match job {
        JobRef::V1 { job, version } => format!("job {job} version {version}"),
        JobRef::V2(id) => format!("job {id}"),
    }
}

/// When a v2 log read naming a task was refused: the job's tasks, if the one named is not among
/// them (decided by the job as read, not by the refusal's code).
async fn missing_task_hint(
    client: &modelarts_sdk::Client,
    job: &JobRef,
    task: Option<&str>,
    error: &modelarts_sdk::Error,
) -> Option<String> {
    let (JobRef::V2(id), Some(task)) = (job, task) else { return None };
    error.api_error()?;
    let read = client.show_training_job(id).await.ok()?;
    let tasks = &read.status.as_ref()?.tasks;
    (!tasks.iter().any(|t| t == task)).then(|| {
        let list = if tasks.is_empty() { "none listed".to_owned() } else { tasks.join(", ") };
        format!("{task:?} is not a task of this job; its tasks: {list} (pass one with --task)")
    })
}

/// `training-job logs`
pub(crate) async fn logs(
    args: &LogsArgs,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let (api, purpose) = (args.api.map(Into::into), super::named::Purpose::Read);
    let job =
        super::named::resolve(&args.id, args.version.as_deref(), api, args.by_name, purpose, ctx).await?;
    let source = match (&job, &args.file, &args.task) {
        (JobRef::V1 { .. }, _, Some(_)) => {
            return Err(Failure::usage("--task names a v2 task; a v1 version's logs are files (--file)"));
        }
        (JobRef::V2(_), Some(_), _) => {
            return Err(Failure::usage("--file names a v1 log file; a v2 job's logs are per task (--task)"));
        }
        (_, file, task) => file.clone().or_else(|| task.clone()),
    };
    if job.api() == modelarts_protocol::ApiVersion::V1 {
        // Checked here too, so that the refusal comes before the file-name lookup.
        modelarts_protocol::operations::logs::check_lines(args.lines)
            .map_err(|e| Failure::usage(format!("invalid --lines: {e}")))?;
    }
    let target = LogTarget { job: job.clone(), source };
    let client = ctx.client()?;
    if let Some(kind) = args.url {
        return log_url(&client, &target, kind, ctx, out).await;
    }
    if ctx.global.dry_run {
        let (target, lines) = (target.clone(), args.lines);
        return dry_run(&client, |c| async move { c.log_tail(&target, lines).await }, out).await;
    }
    let mut pacing = wait_options(&args.wait_options)?;
    if args.wait_options.max_wait.is_none() {
        pacing.max_wait = FOLLOW_MAX_WAIT;
    }
    if !args.follow {
        let lines = match client.log_tail(&target, args.lines).await {
            Ok(lines) => lines,
            Err(e) => {
                let mut failure = Failure::sdk(format!("cannot read the log of {}", describe(&job)), &e);
                if let Some(hint) = missing_task_hint(&client, &job, args.task.as_deref(), &e).await {
                    failure.hints.push(hint);
                }
                return Err(failure);
            }
        };
        if out.is_json() && !out.is_jsonl() {
            out.json(&json!({"lines": lines})).map_err(io_failure)?;
        } else {
            for line in &lines {
                print_line(out, line, args.raw)?;
            }
        }
        return Ok(ExitStatus::Success);
    }
    let mut options = FollowOptions::default().with_lines(args.lines).with_pacing(pacing);
    options.stall_after = args.stall_after;
    let mut stream = std::pin::pin!(client.follow_logs(target, options));
    loop {
        let next = tokio::select! {
            biased;
            next = stream.next() => next,
            status = crate::signal::interrupted() => return Ok(status),
        };
        let Some(event) = next else { return Ok(ExitStatus::Success) };
        let event =
            event.map_err(|e| Failure::sdk(format!("cannot follow the log of {}", describe(&job)), &e))?;
        match event {
            LogEvent::Line(line) => print_line(out, &line, args.raw)?,
            LogEvent::Gap => {
                if out.is_json() {
                    out.json(&json!({"event": "gap"})).map_err(io_failure)?;
                }
                ctx.stderr.note("warning: part of the log was not seen (it grew faster than it was read)");
            }
            LogEvent::Stalled { quiet_for, status } => {
                if out.is_json() {
                    out.json(
                        &json!({"event": "stalled", "quiet_for_secs": quiet_for.as_secs(), "status": status}),
                    )
                    .map_err(io_failure)?;
                }
                ctx.stderr.note(&format!(
                    "warning: the log of {} has not moved for {} while the job is {status}",
                    describe(&job),
                    crate::output::human_duration(Duration::from_secs(quiet_for.as_secs()))
                ));
            }
            LogEvent::Ended(state) => {
                if out.is_json() {
                    out.json(&json!({"event": "ended", "status": state.name})).map_err(io_failure)?;
                }
                ctx.stderr.note(&format!("{} ended: {}", describe(&job), state.name));
            }
            LogEvent::TimedOut { last } => {
                let status = last.map_or_else(|| "unknown".to_owned(), |s| s.name);
                if out.is_json() {
                    out.json(&json!({"event": "timed_out", "status": status})).map_err(io_failure)?;
                }
                return Err(Failure::new(
                    ExitStatus::WaitTimedOut,
                    format!(
                        "{} was not final within --max-wait {} (last status {status})",
                        describe(&job),
                        crate::output::exact_duration(pacing.max_wait)
                    ),
                ));
            }
            _ => {}
        }
    }
}

async fn log_url(
    client: &Client,
    target: &LogTarget,
    kind: LogUrlArg,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    let JobRef::V2(id) = &target.job else {
        return Err(Failure::usage(
            "--url is a v2 API: a v1 version's log is read with `training-job logs ID --version V`",
        ));
    };
    let kind = match kind {
        LogUrlArg::Preview => LogUrlKind::Preview,
        LogUrlArg::Download => LogUrlKind::Download,
    };
    let task = target.source.clone().unwrap_or_else(|| "worker-0".to_owned());
    if ctx.global.dry_run {
        let (id, task) = (id.clone(), task.clone());
        return dry_run(client, |c| async move { c.log_url(id, task, kind).await }, out).await;
    }
    let url = client
        .log_url(id.clone(), task.clone(), kind)
        .await
        .map_err(|e| Failure::sdk(format!("cannot get the log address of job {id} task {task}"), &e))?;
    let Some(url) = url.obs_url else {
        return Err(Failure::new(
            ExitStatus::Other,
            format!("the service sent no log address for job {id} task {task}"),
        ));
    };
    if out.is_json() {
        out.json(&json!({"obs_url": url})).map_err(io_failure)?;
    } else {
        out.line(&url).map_err(io_failure)?;
    }
    Ok(ExitStatus::Success)
}

fn print_line(out: &mut Stdout, line: &str, raw: bool) -> Result<(), Failure> {
    if out.is_json() {
        out.json(&json!({"line": line})).map_err(io_failure)
    } else if raw {
        out.raw_line(line).map_err(io_failure)
    } else if out.shows_colour() {
        // On a terminal a log keeps its colours; nothing else reaches it raw.
        out.colour_line(line).map_err(io_failure)
    } else {
        // One log line is one output line: a `\n` inside it is spelled out too.
        out.line(&crate::escape::escape(line)).map_err(io_failure)
    }
}

/// Prints the last `lines` lines of `job`'s log on stderr (escaped), after `stop --wait` ended
/// otherwise or timed out. A failure to read them is a note, not the command's failure.
pub(crate) async fn print_last_lines(client: &Client, job: JobRef, lines: u32, ctx: &Context<'_>) {
    let what = describe(&job);
    match client.log_tail(&LogTarget::new(job), lines).await {
        Ok(tail) => {
            ctx.stderr.note(&format!("last {} log line(s) of {what}:", tail.len()));
            for line in tail {
                ctx.stderr.note(&format!("  {}", crate::escape::escape(&line)));
            }
        }
        Err(e) => ctx.stderr.note(&format!("note: the log of {what} could not be read: {e}")),
    }
}
