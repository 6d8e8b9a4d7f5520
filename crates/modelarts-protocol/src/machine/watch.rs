//! The watcher: one wait for many stopped targets, reading their statuses in bulk.
//!
//! A batch with a wait hands every target whose stop was answered to one [`Watch`]. The watch
//! reads statuses in *rounds*: one walk over the list (a v1 page of up to 1,000 jobs shows each
//! job's latest version and its status), plus single status reads only for the targets the list
//! cannot show (a version that is not its job's latest, a job the list does not return) or when the
//! list is not worth it (fewer targets due than pages to walk) or not allowed.
//!
//! Each target keeps its own [`Waiter`]: it is *due* when its waiter says to poll again, it times
//! out on its own deadline, and it ends with exactly one [`WaitEnd`]. A round starts when the
//! earliest target is due, but never sooner than a quarter of `min_delay` after the previous round
//! (so targets stopped moments apart share rounds), nor while the service is throttling (a
//! throttled round holds the next one back by its `Retry-After`, or `min_delay`). A status seen
//! for a target that is not due yet is free: a final one ends it, another is kept as its last.
//!
//! The machine is pure: the driver passes the time (`now`, a duration since any fixed origin) and
//! the jitter, walks the pages and sends the reads.
//!
//! ```
//! use std::time::Duration;
//! use modelarts_protocol::JobStatus;
//! use modelarts_protocol::stop::WaitEnd;
//! use modelarts_protocol::waiter::WaitOptions;
//! use modelarts_protocol::watch::{ListEnd, Watch, WatchStep};
//!
//! let mut watch = Watch::new(WaitOptions::default());
//! let a = watch.add("a", Duration::ZERO);
//! let b = watch.add("b", Duration::ZERO);
//! // Both are due at once; two targets and a list of one page: the list is read.
//! let WatchStep::Round(round) = watch.next(Duration::ZERO) else { panic!() };
//! assert!(round.list && round.reads.is_empty());
//! watch.on_page([("a", JobStatus::Killed), ("b", JobStatus::Killing), ("other", JobStatus::Running)]);
//! assert!(watch.on_list_end(ListEnd::Complete).is_empty());
//! watch.end_round(Duration::ZERO, &mut || 0.0);
//! assert_eq!(watch.take_finished(), [(a, WaitEnd::Stopped(JobStatus::Killed))]);
//! // b polls again after min_delay (2 s).
//! assert_eq!(watch.next(Duration::ZERO), WatchStep::Sleep(Duration::from_secs(2)));
//! # let _ = b;
//! ```

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;
use std::time::Duration;

use crate::machine::stop::{StatusClass, StopStatus, Stoppable, TrainingJobVersion, WaitEnd};
use crate::machine::waiter::{Pending, WaitOptions, WaitStep, Waiter};
use crate::v1::model::JobList;
use crate::v1::status::JobStatus;
use crate::v2::{PhaseStatus, TrainingJobId, TrainingJobList, TrainingJobTarget};
use crate::{JobId, VersionId};

/// A stoppable resource a [`Watch`] can follow through a list call: what identifies it in a list
/// page, and the (key, status) pairs a page shows. This is all a resource kind needs to supply.
pub trait Watchable: Stoppable {
    /// What identifies a target in a list page (v1: job and version).
    type Key: Clone + Eq + Hash + std::fmt::Debug;
    /// One page of the list call's answer.
    type Page;
    /// This target's key.
    fn watch_key(&self) -> Self::Key;
    /// Every (key, status) pair the page shows.
    fn sightings(page: &Self::Page) -> Vec<(Self::Key, Self::Status)>;
}

impl Watchable for TrainingJobVersion {
    type Key = (JobId, VersionId);
    type Page = JobList;

    fn watch_key(&self) -> (JobId, VersionId) {
        (self.job_id, self.version_id)
    }

    /// A v1 page shows each job's latest version (jobs whose entry names none show nothing).
    fn sightings(page: &JobList) -> Vec<((JobId, VersionId), JobStatus)> {
        page.jobs.iter().filter_map(|j| j.version_id.map(|v| ((j.job_id, v), j.status))).collect()
    }
}

impl Watchable for TrainingJobTarget {
    type Key = TrainingJobId;
    type Page = TrainingJobList;

    fn watch_key(&self) -> TrainingJobId {
        self.training_job_id.clone()
    }

    /// A v2 search page shows each job's phase (jobs without a valid ID show nothing; a job
    /// without a phase shows the empty phase, which keeps its wait going).
    fn sightings(page: &TrainingJobList) -> Vec<(TrainingJobId, PhaseStatus)> {
        page.items.iter().filter_map(|j| j.id().map(|id| (id, PhaseStatus::of(j)))).collect()
    }
}

/// Why a status read (a page of the list, or a single read) brought no status, after the call's
/// own retries.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFailure {
    /// Throttled; the server's `Retry-After`, if any.
    Throttled {
        /// The server's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// A transient failure: keep waiting.
    Transient,
    /// A failure waiting does not ride out. For a single read it ends its target
    /// ([`WaitEnd::Failed`]); for the list, the watch stops using the list and reads singly.
    Fatal {
        /// The resource does not exist.
        not_found: bool,
    },
}

/// How the walk over the list ended.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListEnd {
    /// The walk is over: the list said so, or [`Watch::on_page`] said nothing is left to see.
    Complete,
    /// A page could not be read.
    Failed(ReadFailure),
}

/// What to read in a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    /// Walk the list, feeding each page to [`Watch::on_page`], then call [`Watch::on_list_end`]
    /// (which may add single reads).
    pub list: bool,
    /// Targets to read singly, feeding each result to [`Watch::on_read`].
    pub reads: Vec<usize>,
}

/// What the driver of a [`Watch`] does next.
///
/// Exhaustive on purpose: a driver must handle every step, so a new step is a breaking change by
/// design.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchStep {
    /// Nothing is pending: wait for a target to be added (or end, if none will be).
    Idle,
    /// Sleep this long (or until a target is added), then ask again.
    Sleep(Duration),
    /// Read, then call [`Watch::end_round`].
    Round(Round),
}

/// What a page showed of the pending targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighted<S> {
    /// The targets the page showed, with their status (for progress reports).
    pub seen: Vec<(usize, S)>,
    /// Whether some target due in this round has not been seen yet: walk on only then.
    pub walk_on: bool,
}

#[derive(Debug)]
struct Target<S> {
    joined: Duration,
    waiter: Waiter,
    due: Duration,
    last: Option<S>,
    /// Read singly: the list cannot show it.
    single: bool,
    /// Due in the round under way.
    in_round: bool,
    done: bool,
}

/// Per round: the due targets and what was learnt about them.
#[derive(Debug)]
struct RoundState<S> {
    due: Vec<usize>,
    /// What each due target's poll found (absent: nothing yet).
    polls: HashMap<usize, Pending>,
    /// Due targets read through the list and not seen yet.
    unseen: usize,
    pages: usize,
    list: bool,
    _status: std::marker::PhantomData<S>,
}

/// The shared wait of many targets (see the module docs). `K` identifies a target in a list page,
/// `S` is its status.
#[derive(Debug)]
pub struct Watch<K, S> {
    options: WaitOptions,
    targets: Vec<Target<S>>,
    /// Pending targets the list may show, by key (several when the input repeats a target).
    by_key: HashMap<K, Vec<usize>>,
    /// Pending targets by the time they are due.
    queue: BTreeSet<(Duration, usize)>,
    /// The list is used (false after it failed in a way waiting does not ride out).
    list_usable: bool,
    /// Pages the last walk took (the cost of a round through the list).
    pages: usize,
    round: Option<RoundState<S>>,
    last_round: Option<Duration>,
    hold_until: Duration,
    finished: Vec<(usize, WaitEnd<S>)>,
}

impl<K: Clone + Eq + Hash, S: StopStatus> Watch<K, S> {
    /// A watch whose targets each wait under `options`.
    pub fn new(options: WaitOptions) -> Self {
        Self {
            options,
            targets: Vec::new(),
            by_key: HashMap::new(),
            queue: BTreeSet::new(),
            list_usable: true,
            pages: 1,
            round: None,
            last_round: None,
            hold_until: Duration::ZERO,
            finished: Vec::new(),
        }
    }

    /// Adds a target whose stop was answered at `now`; returns its id (0, 1, 2, … in the order
    /// added). Its first read is due at once, as a single wait's first poll is (the next round,
    /// shared with the targets added about then).
    pub fn add(&mut self, key: K, now: Duration) -> usize {
        let id = self.targets.len();
        let due = now;
        self.by_key.entry(key).or_default().push(id);
        self.queue.insert((due, id));
        self.targets.push(Target {
            joined: now,
            waiter: Waiter::new(self.options),
            due,
            last: None,
            single: false,
            in_round: false,
            done: false,
        });
        id
    }

    /// Targets not finished yet.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// The last status seen of a target, if any.
    pub fn last_status(&self, id: usize) -> Option<S> {
        self.targets.get(id).and_then(|t| t.last)
    }

    /// What to do at `now`. Call it again after each [`end_round`](Self::end_round), sleep and
    /// [`add`](Self::add).
    pub fn next(&mut self, now: Duration) -> WatchStep {
        if self.round.is_some() {
            // The driver asks before ending the round: nothing new to do.
            return WatchStep::Sleep(Duration::ZERO);
        }
        let Some(&(earliest, _)) = self.queue.first() else {
            return WatchStep::Idle;
        };
        let gap = self.options.min_delay / 4;
        let mut at = earliest.max(self.hold_until);
        if let Some(last) = self.last_round {
            at = at.max(last + gap);
        }
        if at > now {
            return WatchStep::Sleep(at - now);
        }
        let due: Vec<usize> = self.queue.iter().take_while(|(d, _)| *d <= now).map(|(_, id)| *id).collect();
        for &id in &due {
            self.targets[id].in_round = true;
        }
        let (listed, single): (Vec<usize>, Vec<usize>) =
            due.iter().partition(|id| self.list_usable && !self.targets[**id].single);
        // The list costs its pages whatever it shows: worth it only for more targets than that.
        let list = listed.len() > self.pages;
        let reads = if list { single } else { due.clone() };
        self.round = Some(RoundState {
            unseen: if list { listed.len() } else { 0 },
            due,
            polls: HashMap::new(),
            pages: 0,
            list,
            _status: std::marker::PhantomData,
        });
        self.last_round = Some(now);
        WatchStep::Round(Round { list, reads })
    }

    /// Feeds one page of the list: the (key, status) pairs it shows. A final status ends its
    /// targets at once (due or not); another is their last status, and the poll of the due ones.
    pub fn on_page(&mut self, sightings: impl IntoIterator<Item = (K, S)>) -> Sighted<S> {
        let mut seen = Vec::new();
        let Some(round) = self.round.as_mut() else {
            return Sighted { seen, walk_on: false };
        };
        round.pages += 1;
        for (key, status) in sightings {
            let Some(ids) = self.by_key.get(&key) else {
                continue;
            };
            for &id in ids {
                let target = &mut self.targets[id];
                if target.done || target.single {
                    continue;
                }
                target.last = Some(status);
                seen.push((id, status));
                if target.in_round && round.polls.insert(id, Pending::Status).is_none() {
                    round.unseen = round.unseen.saturating_sub(1);
                }
                if let Some(end) = final_end(status) {
                    finish(&mut self.targets, &mut self.queue, &mut self.finished, id, end);
                }
            }
        }
        let walk_on = self.round.as_ref().is_some_and(|r| r.unseen > 0);
        Sighted { seen, walk_on }
    }

    /// Feeds the end of the walk; returns the targets to read singly in this round: the due ones
    /// the list did not show (from now on read singly), or, when the list failed for good, every
    /// due one it did not show.
    pub fn on_list_end(&mut self, end: ListEnd) -> Vec<usize> {
        let Some(round) = self.round.as_mut() else {
            return Vec::new();
        };
        if !round.list {
            return Vec::new();
        }
        round.list = false;
        let unseen: Vec<usize> = round
            .due
            .iter()
            .copied()
            .filter(|id| {
                let t = &self.targets[*id];
                !t.done && !t.single && !round.polls.contains_key(id)
            })
            .collect();
        match end {
            ListEnd::Complete => {
                self.pages = round.pages.max(1);
                for &id in &unseen {
                    self.targets[id].single = true;
                }
                unseen
            }
            ListEnd::Failed(ReadFailure::Fatal { .. }) => {
                self.list_usable = false;
                unseen
            }
            ListEnd::Failed(failure) => {
                let poll = match failure {
                    ReadFailure::Throttled { retry_after } => Pending::Throttled { retry_after },
                    _ => Pending::TransientFailure,
                };
                for id in unseen {
                    round.polls.insert(id, poll);
                }
                Vec::new()
            }
        }
    }

    /// Feeds a single read of target `id`.
    pub fn on_read(&mut self, id: usize, read: Result<S, ReadFailure>) {
        let Some(round) = self.round.as_mut() else {
            return;
        };
        let Some(target) = self.targets.get_mut(id) else {
            return;
        };
        let poll = match read {
            Ok(status) => {
                target.last = Some(status);
                if let Some(end) = final_end(status) {
                    finish(&mut self.targets, &mut self.queue, &mut self.finished, id, end);
                    return;
                }
                Pending::Status
            }
            Err(ReadFailure::Throttled { retry_after }) => Pending::Throttled { retry_after },
            Err(ReadFailure::Transient) => Pending::TransientFailure,
            Err(ReadFailure::Fatal { not_found }) => {
                finish(
                    &mut self.targets,
                    &mut self.queue,
                    &mut self.finished,
                    id,
                    WaitEnd::Failed { not_found },
                );
                return;
            }
        };
        round.polls.insert(id, poll);
    }

    /// Ends the round at `now`: each due target's waiter decides from what was read (a final
    /// status, a timeout, or when to poll next). `jitter` draws a number in `[0, 1]`.
    pub fn end_round(&mut self, now: Duration, jitter: &mut dyn FnMut() -> f64) {
        let Some(round) = self.round.take() else {
            return;
        };
        for id in round.due {
            self.targets[id].in_round = false;
            if self.targets[id].done {
                continue;
            }
            // A due target nothing was learnt about (a read the driver did not make) polls as a
            // transient failure: it keeps waiting, within its deadline.
            let poll = round.polls.get(&id).copied().unwrap_or(Pending::TransientFailure);
            if let Pending::Throttled { retry_after } = poll {
                self.hold_until = self.hold_until.max(now + retry_after.unwrap_or(self.options.min_delay));
            }
            let target = &mut self.targets[id];
            let elapsed = now.saturating_sub(target.joined);
            match target.waiter.next_pending::<S>(poll, elapsed, jitter()) {
                WaitStep::Sleep(delay) => {
                    self.queue.remove(&(target.due, id));
                    target.due = now + delay;
                    self.queue.insert((target.due, id));
                }
                // `next_pending` ends a wait only by time (final statuses ended it when seen).
                WaitStep::TimedOut | WaitStep::Stopped(_) | WaitStep::OtherFinalState(_) => {
                    let end = WaitEnd::TimedOut(target.last);
                    finish(&mut self.targets, &mut self.queue, &mut self.finished, id, end);
                }
            }
        }
    }

    /// The targets finished since the last call, with how their wait ended (each id once).
    pub fn take_finished(&mut self) -> Vec<(usize, WaitEnd<S>)> {
        std::mem::take(&mut self.finished)
    }
}

/// The end a final status gives, if it is final.
fn final_end<S: StopStatus>(status: S) -> Option<WaitEnd<S>> {
    match status.stop_class() {
        StatusClass::Stopped => Some(WaitEnd::Stopped(status)),
        StatusClass::EndedOtherwise => Some(WaitEnd::EndedOtherwise(status)),
        StatusClass::Stoppable | StatusClass::Stopping => None,
    }
}

/// Ends target `id` (once): out of the queue, its end recorded. Its key stays in the index: a
/// finished target is skipped there.
fn finish<S>(
    targets: &mut [Target<S>],
    queue: &mut BTreeSet<(Duration, usize)>,
    finished: &mut Vec<(usize, WaitEnd<S>)>,
    id: usize,
    end: WaitEnd<S>,
) {
    let Some(target) = targets.get_mut(id) else {
        return;
    };
    if std::mem::replace(&mut target.done, true) {
        return;
    }
    queue.remove(&(target.due, id));
    finished.push((id, end));
}

#[cfg(test)]
mod tests {
    use super::*;

    type W = Watch<&'static str, JobStatus>;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn options(max_wait_ms: u64) -> WaitOptions {
        WaitOptions { max_wait: ms(max_wait_ms), min_delay: ms(2_000), max_delay: ms(30_000) }
    }

    fn round(w: &mut W, now: Duration) -> Round {
        match w.next(now) {
            WatchStep::Round(r) => r,
            other => panic!("expected a round at {now:?}, got {other:?}"),
        }
    }

    fn no_jitter() -> impl FnMut() -> f64 {
        || 0.0
    }

    /// A whole round at `now` in which the service shows `statuses` (by list or single reads, as
    /// the round says); returns the round and what it finished.
    fn run(
        w: &mut W,
        now: Duration,
        keys: &[&'static str],
        statuses: &[(&'static str, JobStatus)],
    ) -> (Round, Vec<(usize, WaitEnd<JobStatus>)>) {
        let r = round(w, now);
        let mut reads = r.reads.clone();
        if r.list {
            w.on_page(statuses.iter().copied());
            reads.extend(w.on_list_end(ListEnd::Complete));
        }
        for id in reads {
            let key = keys[id];
            let status = statuses.iter().find(|(k, _)| *k == key).map(|(_, s)| *s);
            w.on_read(id, status.ok_or(ReadFailure::Fatal { not_found: true }));
        }
        w.end_round(now, &mut no_jitter());
        (r, w.take_finished())
    }

    #[test]
    fn one_walk_resolves_every_target_the_list_shows() {
        let mut w = W::new(options(60_000));
        let ids: Vec<usize> = ["a", "b", "c"].into_iter().map(|k| w.add(k, ms(0))).collect();
        let r = round(&mut w, ms(0));
        assert_eq!(r, Round { list: true, reads: vec![] });
        let first = w.on_page([("a", JobStatus::Killed), ("x", JobStatus::Running)]);
        assert_eq!((first.seen, first.walk_on), (vec![(ids[0], JobStatus::Killed)], true));
        let second = w.on_page([("b", JobStatus::Completed), ("c", JobStatus::Killing)]);
        assert!(!second.walk_on, "every due target was seen: no need for more pages");
        assert!(w.on_list_end(ListEnd::Complete).is_empty());
        w.end_round(ms(0), &mut no_jitter());
        assert_eq!(
            w.take_finished(),
            [
                (ids[0], WaitEnd::Stopped(JobStatus::Killed)),
                (ids[1], WaitEnd::EndedOtherwise(JobStatus::Completed))
            ]
        );
        assert_eq!((w.pending(), w.last_status(ids[2])), (1, Some(JobStatus::Killing)));
        // c's waiter: the first poll sleeps min_delay.
        assert_eq!(w.next(ms(0)), WatchStep::Sleep(ms(2_000)));
    }

    #[test]
    fn a_target_the_list_does_not_show_is_read_singly_from_then_on() {
        let mut w = W::new(options(60_000));
        let keys = ["shown", "old-version", "also"];
        let ids: Vec<usize> = keys.iter().map(|k| w.add(k, ms(0))).collect();
        let r = round(&mut w, ms(0));
        assert!(r.list && r.reads.is_empty());
        w.on_page([("shown", JobStatus::Killing), ("also", JobStatus::Killing)]);
        assert_eq!(w.on_list_end(ListEnd::Complete), [ids[1]], "the walk ended without it");
        w.on_read(ids[1], Ok(JobStatus::Killing));
        w.end_round(ms(0), &mut no_jitter());
        assert!(w.take_finished().is_empty());
        let seen =
            [("shown", JobStatus::Killed), ("also", JobStatus::Killed), ("old-version", JobStatus::Canceled)];
        let (r, mut ends) = run(&mut w, ms(2_000), &keys, &seen);
        assert_eq!(r, Round { list: true, reads: vec![ids[1]] }, "read singly, beside the walk");
        ends.sort_by_key(|(id, _)| *id);
        assert_eq!(
            ends,
            [
                (ids[0], WaitEnd::Stopped(JobStatus::Killed)),
                (ids[1], WaitEnd::Stopped(JobStatus::Canceled)),
                (ids[2], WaitEnd::Stopped(JobStatus::Killed))
            ]
        );
        assert_eq!(w.next(ms(2_000)), WatchStep::Idle);
    }

    #[test]
    fn fewer_due_targets_than_pages_are_read_singly() {
        let mut w = W::new(options(60_000));
        for _ in 0..5 {
            w.add("k", ms(0));
        }
        round(&mut w, ms(0));
        for _ in 0..3 {
            w.on_page(std::iter::empty());
        }
        w.on_page([("k", JobStatus::Killing)]);
        assert!(w.on_list_end(ListEnd::Complete).is_empty());
        w.end_round(ms(0), &mut no_jitter());
        assert_eq!(w.pages, 4);
        // 5 targets due, 4 pages a walk: still worth it.
        let (r, _) = run(&mut w, ms(2_000), &["k"; 5], &[("k", JobStatus::Killing)]);
        assert!(r.list);
        assert_eq!(w.pages, 1, "the early end counted one page");

        let mut w = W::new(options(60_000));
        let one = w.add("k", ms(0));
        assert_eq!(
            round(&mut w, ms(0)),
            Round { list: false, reads: vec![one] },
            "one target: a single read"
        );
    }

    #[test]
    fn a_throttled_walk_holds_the_next_round_back_and_the_targets_keep_waiting() {
        let mut w = W::new(options(60_000));
        let keys = ["a", "b", "late"];
        w.add("a", ms(0));
        w.add("b", ms(0));
        round(&mut w, ms(0));
        let reads = w.on_list_end(ListEnd::Failed(ReadFailure::Throttled { retry_after: Some(ms(7_000)) }));
        assert!(reads.is_empty());
        w.end_round(ms(0), &mut no_jitter());
        assert!(w.take_finished().is_empty());
        w.add("late", ms(1_500));
        // `late` is due at once, but the throttle holds every round until 7 s.
        assert_eq!(w.next(ms(1_500)), WatchStep::Sleep(ms(5_500)));
        let all_killed = [("a", JobStatus::Killed), ("b", JobStatus::Killed), ("late", JobStatus::Killed)];
        let (r, ends) = run(&mut w, ms(7_000), &keys, &all_killed);
        assert!(r.list);
        assert_eq!(ends.len(), 3);
    }

    #[test]
    fn a_list_that_fails_for_good_gives_way_to_single_reads() {
        let mut w = W::new(options(60_000));
        let a = w.add("a", ms(0));
        let b = w.add("b", ms(0));
        round(&mut w, ms(0));
        w.on_page([("a", JobStatus::Killing)]);
        assert_eq!(w.on_list_end(ListEnd::Failed(ReadFailure::Fatal { not_found: false })), [b]);
        w.on_read(b, Err(ReadFailure::Fatal { not_found: true }));
        w.end_round(ms(0), &mut no_jitter());
        assert_eq!(w.take_finished(), [(b, WaitEnd::Failed { not_found: true })]);
        let (r, ends) = run(&mut w, ms(2_000), &["a", "b"], &[("a", JobStatus::Killed)]);
        assert_eq!(r, Round { list: false, reads: vec![a] }, "no list any more");
        assert_eq!(ends, [(a, WaitEnd::Stopped(JobStatus::Killed))]);
    }

    #[test]
    fn each_target_times_out_on_its_own_deadline_with_its_last_status() {
        let mut w = W::new(options(3_000));
        let keys = ["early", "late"];
        let killing = [("early", JobStatus::Killing), ("late", JobStatus::Killing)];
        let early = w.add("early", ms(0));
        // 0 s: early's first poll.
        assert!(run(&mut w, ms(0), &keys, &killing).1.is_empty());
        let late = w.add("late", ms(1_000));
        // 1 s: late's first poll (early is seen, not due: due at 2 s).
        assert!(run(&mut w, ms(1_000), &keys, &killing).1.is_empty());
        // 2 s: early's second poll; its next is cut to its deadline (3 s). Late is due at 3 s too.
        assert!(run(&mut w, ms(2_000), &keys, &killing).1.is_empty());
        let (_, ends) = run(&mut w, ms(3_000), &keys, &killing);
        assert_eq!(ends, [(early, WaitEnd::TimedOut(Some(JobStatus::Killing)))]);
        // late's deadline is 4 s.
        assert_eq!(w.next(ms(3_000)), WatchStep::Sleep(ms(1_000)));
        let r = round(&mut w, ms(4_000));
        assert_eq!(r.reads, [late]);
        w.on_read(late, Err(ReadFailure::Transient));
        w.end_round(ms(4_000), &mut no_jitter());
        assert_eq!(w.take_finished(), [(late, WaitEnd::TimedOut(Some(JobStatus::Killing)))]);
    }

    #[test]
    fn rounds_are_at_least_a_quarter_of_min_delay_apart() {
        let mut w = W::new(options(60_000));
        w.add("first", ms(0));
        run(&mut w, ms(0), &["first", "second"], &[("first", JobStatus::Killing)]);
        w.add("second", ms(1));
        assert_eq!(w.next(ms(1)), WatchStep::Sleep(ms(499)), "due at once, held to 0.5 s");
    }

    #[test]
    fn repeated_targets_each_get_their_end() {
        let mut w = W::new(options(60_000));
        let a = w.add("same", ms(0));
        let b = w.add("same", ms(0));
        round(&mut w, ms(0));
        let sighted = w.on_page([("same", JobStatus::Killed)]);
        assert_eq!(sighted.seen.len(), 2);
        w.on_list_end(ListEnd::Complete);
        w.end_round(ms(0), &mut no_jitter());
        assert_eq!(
            w.take_finished(),
            [(a, WaitEnd::Stopped(JobStatus::Killed)), (b, WaitEnd::Stopped(JobStatus::Killed))]
        );
    }

    #[test]
    fn v1_pages_show_the_latest_version_of_each_job() {
        let page: JobList = serde_json::from_str(
            r#"{"jobs": [{"job_id": 1, "version_id": 11, "status": 9},
                         {"job_id": 2, "status": 10},
                         {"job_id": 3, "version_id": 31, "status": 8}]}"#,
        )
        .unwrap();
        let key = |j: u64, v: u64| (JobId::new(j).unwrap(), VersionId::new(v).unwrap());
        assert_eq!(
            TrainingJobVersion::sightings(&page),
            [(key(1, 11), JobStatus::Killing), (key(3, 31), JobStatus::Running)]
        );
    }

    #[test]
    fn v2_pages_show_each_job_with_an_id_and_its_phase() {
        const A: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
        const B: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ac";
        let page: TrainingJobList = serde_json::from_str(&format!(
            r#"{{"total": 4, "items": [
                {{"metadata": {{"id": "{A}"}}, "status": {{"phase": "Terminating"}}}},
                {{"metadata": {{"id": "not-a-uuid"}}, "status": {{"phase": "Running"}}}},
                {{"status": {{"phase": "Running"}}}},
                {{"metadata": {{"id": "{B}"}}}}]}}"#
        ))
        .unwrap();
        let sightings = TrainingJobTarget::sightings(&page);
        let shown: Vec<(String, String)> =
            sightings.iter().map(|(id, s)| (id.to_string(), s.as_str().to_owned())).collect();
        assert_eq!(shown, [(A.to_owned(), "Terminating".to_owned()), (B.to_owned(), String::new())]);
        assert_eq!(sightings[1].1.stop_class(), StatusClass::Stoppable, "no phase: waited on");
    }
}
