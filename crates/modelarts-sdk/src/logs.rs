//! Logs and events of a training job, v1 or v2: one page ([`Client::log_tail`]), a follow stream
//! ([`Client::follow_logs`]) and the v2 events ([`Client::list_events`]).
//!
//! The follow stream drives the protocol's cursors ([`AomCursor`], [`PreviewCursor`]): it
//! re-queries from the last line seen, sleeps with the waiter's pacing ([`WaitOptions`]: the least
//! delay after new lines, doubling to the largest while the log is quiet) through the client's
//! injected sleeper and clock, reports a log that has not moved for `stall_after` while the job
//! still runs, and ends once the job is final and its log drained.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::Stream;
use modelarts_http::HttpSend;
use modelarts_protocol::error::ResponseError;
use modelarts_protocol::logs::{AomCursor, CursorError, PreviewCursor, split_lines};
use modelarts_protocol::model::LogFileNames;
use modelarts_protocol::operations::logs::{DEFAULT_AOM_LINES, ListLogFileNames, MAX_AOM_LINES, ShowAomLog};
use modelarts_protocol::operations::v2::logs::{ListEvents, ShowLogPreview};
use modelarts_protocol::operations::v2::show::ShowTrainingJob;
use modelarts_protocol::target::JobRef;
use modelarts_protocol::v2::EventList;
use modelarts_protocol::waiter::WaitOptions;
use modelarts_protocol::{JobId, VersionId};

use crate::client::Client;
use crate::error::Error;

/// Whose log: a job and, optionally, a v1 log file or a v2 task (the first file, or `worker-0`
/// when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTarget {
    /// The job (v1 version or v2 job).
    pub job: JobRef,
    /// The v1 log file or the v2 task.
    pub source: Option<String>,
}

impl LogTarget {
    /// The default log of `job`.
    pub fn new(job: JobRef) -> Self {
        Self { job, source: None }
    }
}

/// What the job's status was when read for a follow or a tail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobState {
    /// The status (v1 name, e.g. `KILLED`) or phase (v2, e.g. `Terminated`).
    pub name: String,
    /// Whether it will not change any more.
    pub terminal: bool,
    /// Whether it is a stop's outcome (KILLED, CANCELED, Terminated).
    pub stopped: bool,
}

/// What a follow yields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogEvent {
    /// A new line, as the service sent it (control characters included: escape before printing).
    Line(String),
    /// Part of the log was never seen (it grew by more than one v2 preview holds between reads).
    Gap,
    /// The log has not moved for this long while the job is still running (reported once per
    /// quiet spell).
    Stalled {
        /// How long no line came.
        quiet_for: Duration,
        /// The job's status then.
        status: String,
    },
    /// The job is final and its log drained; the stream ends after this.
    Ended(JobState),
    /// `max_wait` passed before the job became final; the stream ends after this.
    TimedOut {
        /// The last status read, if any.
        last: Option<JobState>,
    },
}

/// How a follow runs.
///
/// New fields may be added: start from [`FollowOptions::default()`] and change what you need with
/// the `with_*` setters.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowOptions {
    /// Lines of the first read (the latest ones) and of each v1 page (0..=500).
    pub lines: u32,
    /// Pacing and the time limit.
    pub pacing: WaitOptions,
    /// Report [`LogEvent::Stalled`] after this long without a new line while the job runs.
    pub stall_after: Option<Duration>,
}

impl Default for FollowOptions {
    fn default() -> Self {
        Self { lines: DEFAULT_AOM_LINES, pacing: WaitOptions::default(), stall_after: None }
    }
}

impl FollowOptions {
    /// Sets [`lines`](Self::lines).
    #[must_use]
    pub fn with_lines(mut self, lines: u32) -> Self {
        self.lines = lines;
        self
    }

    /// Sets [`pacing`](Self::pacing).
    #[must_use]
    pub fn with_pacing(mut self, pacing: WaitOptions) -> Self {
        self.pacing = pacing;
        self
    }

    /// Sets [`stall_after`](Self::stall_after).
    #[must_use]
    pub fn with_stall_after(mut self, stall_after: Duration) -> Self {
        self.stall_after = Some(stall_after);
        self
    }
}

fn cursor_error(e: CursorError) -> Error {
    Error::Response {
        source: ResponseError::Malformed {
            http_status: 200,
            reason: e.to_string(),
            excerpt: String::new(),
            request_id: None,
        },
        attempts: 1,
    }
}

/// The resolved source: a v1 file or a v2 task.
#[derive(Debug, Clone)]
enum Source {
    V1 { job: JobId, version: VersionId, file: String },
    V2 { id: modelarts_protocol::v2::TrainingJobId, task: String },
}

enum Cursor {
    V1(AomCursor),
    V2(PreviewCursor),
}

/// The state of one follow stream.
struct Follow {
    target: LogTarget,
    options: FollowOptions,
    source: Option<Source>,
    cursor: Option<Cursor>,
    buffer: VecDeque<LogEvent>,
    done: bool,
    started: Duration,
    last_line_at: Duration,
    stall_reported: bool,
    delay: Duration,
    last_state: Option<JobState>,
}

impl<T: HttpSend<Error: Send + Sync + 'static>> Client<T> {
    /// The log files of a v1 version (one per worker).
    pub async fn log_file_names(&self, job: JobId, version: VersionId) -> Result<LogFileNames, Error> {
        self.call(&ListLogFileNames::new(self.inner.project_id.clone(), job, version)).await
    }

    /// The v2 events of a job: `query` with this client's project (`query.project_id` is
    /// replaced).
    pub async fn list_events(&self, mut query: ListEvents) -> Result<EventList, Error> {
        query.project_id = self.inner.project_id.clone();
        self.call(&query).await
    }

    /// The temporary OBS address of a v2 task's whole log (`kind`: to view or to download). The
    /// address is presigned: treat it as a secret while it is valid.
    pub async fn log_url(
        &self,
        id: modelarts_protocol::v2::TrainingJobId,
        task: impl Into<String>,
        kind: modelarts_protocol::operations::v2::logs::LogUrlKind,
    ) -> Result<modelarts_protocol::v2::LogUrl, Error> {
        let op = modelarts_protocol::operations::v2::logs::ShowLogUrl::new(
            self.inner.project_id.clone(),
            id,
            task,
            kind,
        )
        .map_err(Error::InvalidInput)?;
        self.call(&op).await
    }

    /// The job's status now.
    pub async fn job_state(&self, job: &JobRef) -> Result<JobState, Error> {
        match job {
            JobRef::V1 { job, version } => {
                let v = self.show_training_job_version(*job, *version).await?;
                Ok(JobState {
                    name: v.status.name().to_owned(),
                    terminal: v.status.is_terminal(),
                    stopped: v.status.is_stopped(),
                })
            }
            JobRef::V2(id) => {
                let j = self.call(&ShowTrainingJob::new(self.inner.project_id.clone(), id.clone())).await?;
                let phase = j.phase().cloned();
                Ok(JobState {
                    name: phase.as_ref().map_or_else(|| "unknown".to_owned(), |p| p.as_str().to_owned()),
                    terminal: phase.as_ref().is_some_and(|p| p.is_terminal()),
                    stopped: phase.as_ref().is_some_and(|p| p.is_stopped()),
                })
            }
        }
    }

    async fn source(&self, target: &LogTarget) -> Result<Source, Error> {
        match &target.job {
            JobRef::V1 { job, version } => {
                let file = match &target.source {
                    Some(f) => f.clone(),
                    None => {
                        let names = self.log_file_names(*job, *version).await?;
                        names.log_file_list.into_iter().next().ok_or_else(|| Error::Response {
                            source: ResponseError::Malformed {
                                http_status: 200,
                                reason: "the version has no log files (log_file_list is empty)".into(),
                                excerpt: String::new(),
                                request_id: None,
                            },
                            attempts: 1,
                        })?
                    }
                };
                Ok(Source::V1 { job: *job, version: *version, file })
            }
            JobRef::V2(id) => Ok(Source::V2 {
                id: id.clone(),
                task: target.source.clone().unwrap_or_else(|| "worker-0".into()),
            }),
        }
    }

    fn aom(&self, job: JobId, version: VersionId, file: &str, lines: u32) -> ShowAomLog {
        ShowAomLog::new(self.inner.project_id.clone(), job, version, file).lines(lines)
    }

    /// The latest `lines` lines of the log (v1: one `aom-log` page, at most 500 lines: more is
    /// [`Error::InvalidInput`] before anything is sent; v2: the last lines of the preview).
    pub async fn log_tail(&self, target: &LogTarget, lines: u32) -> Result<Vec<String>, Error> {
        if target.job.api() == modelarts_protocol::ApiVersion::V1 {
            modelarts_protocol::operations::logs::check_lines(lines).map_err(Error::InvalidInput)?;
        }
        match self.source(target).await? {
            Source::V1 { job, version, file } => {
                let page = self.call(&self.aom(job, version, &file, lines)).await?;
                Ok(page.text_lines().into_iter().map(str::to_owned).collect())
            }
            Source::V2 { id, task } => {
                let op = ShowLogPreview::new(self.inner.project_id.clone(), id, task)
                    .map_err(Error::InvalidInput)?;
                let preview = self.call(&op).await?;
                let all = split_lines(preview.text());
                let keep = usize::try_from(lines).unwrap_or(usize::MAX);
                Ok(all[all.len().saturating_sub(keep)..].iter().map(|l| (*l).to_owned()).collect())
            }
        }
    }

    /// Follows the log until the job is final (then [`LogEvent::Ended`]) or `options.pacing.max_wait`
    /// passes ([`LogEvent::TimedOut`]): first the latest `options.lines` lines, then every new
    /// line once, in order. An error is yielded once and ends the stream. Memory is bounded by one
    /// answer and the cursor's window.
    pub fn follow_logs(
        &self,
        target: LogTarget,
        options: FollowOptions,
    ) -> impl Stream<Item = Result<LogEvent, Error>> + '_ {
        let now = self.inner.time.monotonic();
        let follow = Follow {
            target,
            options,
            source: None,
            cursor: None,
            buffer: VecDeque::new(),
            done: false,
            started: now,
            last_line_at: now,
            stall_reported: false,
            delay: options.pacing.min_delay,
            last_state: None,
        };
        futures_util::stream::unfold(follow, move |mut f| async move {
            loop {
                if let Some(event) = f.buffer.pop_front() {
                    return Some((Ok(event), f));
                }
                if f.done {
                    return None;
                }
                if let Err(e) = self.follow_round(&mut f).await {
                    f.done = true;
                    return Some((Err(e), f));
                }
            }
        })
    }

    /// Reads what is new (all of it, page after page), then either ends, or reads the status and
    /// sleeps.
    async fn follow_round(&self, f: &mut Follow) -> Result<(), Error> {
        let time = self.inner.time.clone();
        if f.source.is_none() {
            f.source = Some(self.source(&f.target).await?);
        }
        let new = self.drain(f).await?;
        let now = time.monotonic();
        if new > 0 {
            f.last_line_at = now;
            f.delay = f.options.pacing.min_delay;
            f.stall_reported = false;
        }
        // Read the status when the log is quiet (and on the first round).
        if new == 0 || f.last_state.is_none() {
            let state = self.job_state(&f.target.job).await?;
            if state.terminal {
                // The log may still hold its last lines (the closing one): drain once more.
                self.drain(f).await?;
                if let Some(Cursor::V2(c)) = f.cursor.as_mut()
                    && let Some(rest) = c.finish()
                {
                    f.buffer.push_back(LogEvent::Line(rest));
                }
                f.buffer.push_back(LogEvent::Ended(state));
                f.done = true;
                return Ok(());
            }
            let quiet = now.saturating_sub(f.last_line_at);
            if let Some(stall) = f.options.stall_after
                && quiet >= stall
                && !f.stall_reported
            {
                f.buffer.push_back(LogEvent::Stalled { quiet_for: quiet, status: state.name.clone() });
                f.stall_reported = true;
            }
            f.last_state = Some(state);
        }
        let elapsed = now.saturating_sub(f.started);
        let pacing = f.options.pacing;
        if elapsed >= pacing.max_wait {
            f.buffer.push_back(LogEvent::TimedOut { last: f.last_state.clone() });
            f.done = true;
            return Ok(());
        }
        let mut delay = f.delay.min(pacing.max_wait - elapsed);
        // Wake in time to report a stall.
        if let Some(due) = pacing_stall(&f.options, f.stall_reported, now, f.last_line_at) {
            delay = delay.min(due.max(Duration::from_millis(1)));
        }
        time.sleep(delay).await;
        if new == 0 {
            f.delay = (f.delay * 2).min(pacing.max_delay).max(pacing.min_delay);
        }
        Ok(())
    }

    /// Reads until nothing new comes (v1: page after full page; v2: one preview) and queues the
    /// lines; returns how many.
    async fn drain(&self, f: &mut Follow) -> Result<usize, Error> {
        let lines = f.options.lines.clamp(1, MAX_AOM_LINES);
        let Some(source) = f.source.clone() else {
            return Ok(0);
        };
        let mut total = 0;
        match source {
            Source::V1 { job, version, file } => {
                let cursor = match f.cursor.get_or_insert_with(|| Cursor::V1(AomCursor::new())) {
                    Cursor::V1(c) => c,
                    Cursor::V2(_) => return Ok(0),
                };
                // Bounded: a server that keeps answering full pages cannot hold the follow here
                // for ever (the next round continues from the cursor).
                for _ in 0..64 {
                    let mut op = self.aom(job, version, &file, lines);
                    if let Some(base) = cursor.next_base_line() {
                        op = op.after(base);
                    }
                    let page = self.call(&op).await?;
                    let new = cursor.accept(&page).map_err(cursor_error)?;
                    let n = new.len();
                    let full = page.text_lines().len() >= lines as usize;
                    f.buffer.extend(new.into_iter().map(LogEvent::Line));
                    total += n;
                    if n == 0 || !full {
                        break;
                    }
                }
            }
            Source::V2 { id, task } => {
                let op = ShowLogPreview::new(self.inner.project_id.clone(), id, task)
                    .map_err(Error::InvalidInput)?;
                let preview = self.call(&op).await?;
                let first = f.cursor.is_none();
                if let Cursor::V2(cursor) = f.cursor.get_or_insert_with(|| Cursor::V2(PreviewCursor::new())) {
                    let out = cursor.accept(&preview);
                    let mut new = out.lines;
                    if first {
                        // The first read shows only the latest lines, as the v1 tail does.
                        new.drain(..new.len().saturating_sub(lines as usize));
                    } else if out.gap {
                        f.buffer.push_back(LogEvent::Gap);
                    }
                    total = new.len();
                    f.buffer.extend(new.into_iter().map(LogEvent::Line));
                }
            }
        }
        Ok(total)
    }
}

fn pacing_stall(options: &FollowOptions, reported: bool, now: Duration, last: Duration) -> Option<Duration> {
    let stall = options.stall_after?;
    if reported {
        return None;
    }
    Some(stall.saturating_sub(now.saturating_sub(last)))
}
