//! Walking every page of the v2 list (`offset` based) and ending even when the server misbehaves.
//!
//! The walk ends on the first of: an empty page, a short page (fewer items than the page size), the
//! announced `total` reached, a page that brings no job not seen before (its items are dropped), or
//! a hard ceiling of [`MAX_PAGES`] pages or [`MAX_ITEMS`] jobs, so that a server that lies about
//! `total` or keeps answering full pages cannot make it run forever.
//!
//! What `offset` counts is documented both ways ("page index from 0" in the API reference, "records
//! to skip" in the SDK reference): [`OffsetMode`] chooses. Either way duplicates are dropped, so the
//! wrong reading costs requests, never repeated or lost jobs on a stable list.

use std::collections::HashSet;

use super::model::{TrainingJob, TrainingJobList};

/// The largest page size the v2 list accepts.
pub const MAX_LIMIT: u32 = 50;
/// The most pages one walk fetches: the v2 walk's own ceiling (100,000 jobs at 10 a page, the
/// smallest page a server might impose).
pub const MAX_PAGES: u32 = 10_000;
/// The most jobs one walk yields: the same ceiling as the v1 walk
/// ([`MAX_WALK_ITEMS`](crate::pagination::MAX_WALK_ITEMS)), which also bounds the memory of the IDs
/// seen.
pub const MAX_ITEMS: usize = crate::pagination::MAX_WALK_ITEMS;

/// What `offset` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OffsetMode {
    /// The page index, from 0 (the API reference's reading).
    #[default]
    PageIndex,
    /// The number of records to skip (the SDK reference's reading).
    ItemOffset,
}

/// What to do after a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageStep {
    /// Fetch the page at this `offset` next.
    Next(u32),
    /// The walk is over.
    Done,
}

/// Why a walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WalkEnd {
    /// The page was empty.
    EmptyPage,
    /// The page was shorter than the page size.
    ShortPage,
    /// As many jobs as the announced `total` were seen.
    TotalReached,
    /// The page brought no job not seen before.
    RepeatedPage,
    /// [`MAX_PAGES`] pages or [`MAX_ITEMS`] jobs, or the largest offset, were reached.
    Ceiling,
}

impl WalkEnd {
    /// Whether the server's answers say the list is complete (an empty or short page, or the
    /// total). A repeated page or the ceiling means the jobs yielded may not be all of them: report
    /// that to the user rather than truncate silently.
    pub fn is_complete(self) -> bool {
        matches!(self, WalkEnd::EmptyPage | WalkEnd::ShortPage | WalkEnd::TotalReached)
    }
}

/// The state of a walk over the v2 list.
#[derive(Debug, Clone)]
pub struct Paginator {
    limit: u32,
    mode: OffsetMode,
    offset: u32,
    pages: u32,
    yielded: usize,
    seen: HashSet<String>,
    end: Option<WalkEnd>,
}

impl Paginator {
    /// Walks pages of `limit` jobs (clamped to 1..=50) from offset 0, reading `offset` as `mode`.
    pub fn new(limit: u32, mode: OffsetMode) -> Self {
        Self {
            limit: limit.clamp(1, MAX_LIMIT),
            mode,
            offset: 0,
            pages: 0,
            yielded: 0,
            seen: HashSet::new(),
            end: None,
        }
    }

    /// The page size to ask for.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The offset of the first page.
    pub fn first_offset(&self) -> u32 {
        0
    }

    /// Why the walk ended, once it has.
    pub fn end(&self) -> Option<WalkEnd> {
        self.end
    }

    /// How many pages were accepted.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// Takes the page fetched at the current offset: returns its jobs not seen before, and the next
    /// step. Jobs without an ID cannot be recognised again: they are returned, but do not count as
    /// new for the repeated-page rule. After [`PageStep::Done`], every further page yields nothing.
    pub fn accept(&mut self, page: TrainingJobList) -> (Vec<TrainingJob>, PageStep) {
        if self.end.is_some() {
            return (Vec::new(), PageStep::Done);
        }
        self.pages += 1;
        let received = page.items.len();
        let mut new_ids = 0usize;
        let room = MAX_ITEMS - self.yielded;
        let mut fresh = Vec::with_capacity(received.min(room));
        for job in page.items {
            if fresh.len() >= room {
                break;
            }
            match job.id_text() {
                Some(id) => {
                    if self.seen.insert(id.to_owned()) {
                        new_ids += 1;
                        fresh.push(job);
                    }
                }
                None => fresh.push(job),
            }
        }
        self.yielded += fresh.len();
        // The server may apply a smaller page size than asked: a page is short against that one.
        let applied = page
            .limit
            .and_then(|l| u32::try_from(l).ok())
            .filter(|l| (1..self.limit).contains(l))
            .unwrap_or(self.limit);
        let end = if received == 0 {
            Some(WalkEnd::EmptyPage)
        } else if new_ids == 0 {
            Some(WalkEnd::RepeatedPage)
        } else if page.total.is_some_and(|t| t >= 0 && self.seen.len() as u64 >= t as u64) {
            Some(WalkEnd::TotalReached)
        } else if received < applied as usize {
            Some(WalkEnd::ShortPage)
        } else if self.pages >= MAX_PAGES || self.yielded >= MAX_ITEMS {
            Some(WalkEnd::Ceiling)
        } else {
            None
        };
        if let Some(end) = end {
            self.end = Some(end);
            return (fresh, PageStep::Done);
        }
        let step = match self.mode {
            OffsetMode::PageIndex => 1,
            OffsetMode::ItemOffset => u32::try_from(received).unwrap_or(u32::MAX),
        };
        match self.offset.checked_add(step) {
            Some(next) => {
                self.offset = next;
                (fresh, PageStep::Next(next))
            }
            None => {
                self.end = Some(WalkEnd::Ceiling);
                (fresh, PageStep::Done)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v2::model::Metadata;

    fn job(n: u32) -> TrainingJob {
        TrainingJob {
            metadata: Some(Metadata {
                id: Some(format!("00000000-0000-0000-0000-{n:012}")),
                ..Metadata::default()
            }),
            ..TrainingJob::default()
        }
    }

    fn page(ids: std::ops::Range<u32>, total: Option<i64>) -> TrainingJobList {
        TrainingJobList { total, items: ids.map(job).collect(), ..TrainingJobList::default() }
    }

    #[test]
    fn walk_table() {
        use WalkEnd::*;
        // (limit, mode, pages served, expected steps, expected yielded, expected end)
        type Case = (u32, OffsetMode, Vec<TrainingJobList>, Vec<PageStep>, usize, WalkEnd);
        let cases: Vec<Case> = vec![
            (
                2,
                OffsetMode::PageIndex,
                vec![page(0..2, None), page(2..4, None), page(4..5, None)],
                vec![PageStep::Next(1), PageStep::Next(2), PageStep::Done],
                5,
                ShortPage,
            ),
            (
                2,
                OffsetMode::ItemOffset,
                vec![page(0..2, None), page(2..4, None), page(4..4, None)],
                vec![PageStep::Next(2), PageStep::Next(4), PageStep::Done],
                4,
                EmptyPage,
            ),
            (2, OffsetMode::PageIndex, vec![page(0..2, Some(2))], vec![PageStep::Done], 2, TotalReached),
            (
                2,
                OffsetMode::PageIndex,
                vec![page(0..2, Some(100)), page(0..2, Some(100))],
                vec![PageStep::Next(1), PageStep::Done],
                2,
                RepeatedPage,
            ),
            // A shifted page keeps only the new job and goes on.
            (
                2,
                OffsetMode::PageIndex,
                vec![page(0..2, None), page(1..3, None), page(3..3, None)],
                vec![PageStep::Next(1), PageStep::Next(2), PageStep::Done],
                3,
                EmptyPage,
            ),
            // A total smaller than what is served ends the walk at once.
            (2, OffsetMode::PageIndex, vec![page(0..2, Some(1))], vec![PageStep::Done], 2, TotalReached),
            // A negative total is ignored.
            (
                2,
                OffsetMode::PageIndex,
                vec![page(0..2, Some(-1)), page(2..3, Some(-1))],
                vec![PageStep::Next(1), PageStep::Done],
                3,
                ShortPage,
            ),
        ];
        for (i, (limit, mode, pages, steps, yielded, end)) in cases.into_iter().enumerate() {
            let mut p = Paginator::new(limit, mode);
            let mut got_steps = Vec::new();
            let mut got = 0;
            for page in pages {
                let (jobs, step) = p.accept(page);
                got += jobs.len();
                got_steps.push(step);
            }
            assert_eq!(got_steps, steps, "case {i}");
            assert_eq!(got, yielded, "case {i}");
            assert_eq!(p.end(), Some(end), "case {i}");
            assert_eq!(end.is_complete(), !matches!(end, RepeatedPage | Ceiling), "case {i}");
        }
    }

    #[test]
    fn a_smaller_applied_limit_is_not_a_short_page() {
        let mut p = Paginator::new(50, OffsetMode::PageIndex);
        let mut first = page(0..10, None);
        first.limit = Some(10);
        assert_eq!(p.accept(first).1, PageStep::Next(1));
        assert_eq!(p.accept(page(10..15, None)).1, PageStep::Done);
        assert_eq!(p.end(), Some(WalkEnd::ShortPage));
    }

    #[test]
    fn limit_is_clamped() {
        assert_eq!(Paginator::new(0, OffsetMode::PageIndex).limit(), 1);
        assert_eq!(Paginator::new(500, OffsetMode::PageIndex).limit(), 50);
    }

    #[test]
    fn a_lying_server_hits_the_page_ceiling() {
        // Always a full page of new jobs and a huge total: only the ceiling ends it.
        let mut p = Paginator::new(1, OffsetMode::PageIndex);
        let mut pages = 0u32;
        loop {
            pages += 1;
            let (_, step) = p.accept(page(pages..pages + 1, Some(i64::MAX)));
            if step == PageStep::Done {
                break;
            }
            assert!(pages <= MAX_PAGES, "runaway walk");
        }
        assert_eq!(pages, MAX_PAGES);
        assert_eq!(p.end(), Some(WalkEnd::Ceiling));
        assert_eq!(p.accept(page(0..1, None)), (Vec::new(), PageStep::Done));
    }

    #[test]
    fn id_less_jobs_are_returned_but_do_not_keep_the_walk_going() {
        let mut p = Paginator::new(2, OffsetMode::PageIndex);
        let anonymous =
            TrainingJobList { items: vec![TrainingJob::default(); 2], ..TrainingJobList::default() };
        let (jobs, step) = p.accept(anonymous);
        assert_eq!((jobs.len(), step), (2, PageStep::Done));
        assert_eq!(p.end(), Some(WalkEnd::RepeatedPage));
    }
}
