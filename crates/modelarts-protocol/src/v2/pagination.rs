//! Walking every page of the v2 list (`offset` based), with the v1 walk's contract: the decision
//! after each page is the shared [`pagination::decide`](crate::machine::pagination::decide), so the v2 walk
//! ends and fails exactly as the v1 walk does.
//!
//! The walk ends ([`PageStep::Done`]) on the first of: an empty page, a short page (fewer items
//! than the page size), the announced `total` reached. A page with jobs seen before and none new
//! (the server ignores `offset`), a full page without one job that has an ID, or more than
//! [`MAX_ITEMS`] jobs is a [`WalkError`] (the page is dropped); a walk that reaches [`MAX_PAGES`]
//! pages while the list goes on ends with [`PageStep::Exceeded`] (the page's jobs are good, the walk
//! has failed). A server that lies about `total` or keeps answering full pages can neither make the
//! walk run forever nor truncate the list silently.
//!
//! A job is known by its ID compared normalized: a `metadata.id` that is a UUID once surrounding
//! ASCII blanks are trimmed, in lower case ([`TrainingJob::id`]); `" 3F2B…"` and `"3f2b…"` are one
//! job. Anything else counts as a job without an ID: kept, never recognised again.
//!
//! What `offset` counts is documented both ways ("page index from 0" in the API reference, "records
//! to skip" in the SDK reference): [`OffsetMode`] chooses. Either way duplicates are dropped, so the
//! wrong reading costs requests, never repeated or lost jobs on a stable list.

use std::collections::HashSet;

use super::id::TrainingJobId;
use super::model::{TrainingJob, TrainingJobList};
use crate::machine::pagination::{PageCounts, WalkBounds, decide};

pub use crate::machine::pagination::{PageStep, WalkError};

/// The largest page size the v2 list accepts.
pub const MAX_LIMIT: u32 = 50;
/// The most pages one walk fetches: the v2 walk's own ceiling (100,000 jobs at 10 a page, the
/// smallest page a server might impose).
pub const MAX_PAGES: u32 = 10_000;
/// The most jobs one walk yields: the same ceiling as the v1 walk
/// ([`MAX_WALK_ITEMS`](crate::machine::pagination::MAX_WALK_ITEMS)), which also bounds the memory of the IDs
/// seen.
pub const MAX_ITEMS: usize = crate::machine::pagination::MAX_WALK_ITEMS;

/// What `offset` counts.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OffsetMode {
    /// The page index, from 0 (the API reference's reading).
    #[default]
    PageIndex,
    /// The number of records to skip (the SDK reference's reading).
    ItemOffset,
}

/// The state of a walk over the v2 list.
#[derive(Debug, Clone)]
pub struct Paginator {
    limit: u32,
    mode: OffsetMode,
    offset: u32,
    pages: u32,
    yielded: usize,
    seen: HashSet<TrainingJobId>,
    bounds: WalkBounds,
    ended: bool,
}

impl Paginator {
    /// Walks pages of `limit` jobs (clamped to 1..=50) from offset 0, reading `offset` as `mode`,
    /// within [`MAX_PAGES`] and [`MAX_ITEMS`].
    pub fn new(limit: u32, mode: OffsetMode) -> Self {
        Self::with_limits(limit, mode, MAX_PAGES, MAX_ITEMS)
    }

    /// Like [`new`](Self::new) with other bounds (at least 1 each).
    pub fn with_limits(limit: u32, mode: OffsetMode, max_pages: u32, max_items: usize) -> Self {
        Self {
            limit: limit.clamp(1, MAX_LIMIT),
            mode,
            offset: 0,
            pages: 0,
            yielded: 0,
            seen: HashSet::new(),
            bounds: WalkBounds { max_pages: max_pages.max(1), max_items: max_items.max(1) },
            ended: false,
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

    /// How many pages were accepted.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// Takes the page fetched at the current offset: returns its jobs not seen before (and those
    /// without an ID) and the next step, or why the walk cannot go on (the page's jobs are then
    /// dropped). At the page bound the page's jobs are returned with [`PageStep::Exceeded`]. Once
    /// the walk has ended (done, exceeded or failed), every further page yields nothing and
    /// [`PageStep::Done`].
    pub fn accept(&mut self, page: TrainingJobList) -> Result<(Vec<TrainingJob>, PageStep), WalkError> {
        if self.ended {
            return Ok((Vec::new(), PageStep::Done));
        }
        self.pages += 1;
        let received = page.items.len();
        let mut new = 0usize;
        // The set grows by at most one page (50 IDs) past the bound before the check.
        let fresh: Vec<TrainingJob> = page
            .items
            .into_iter()
            .filter(|job| match job.id() {
                Some(id) => {
                    let first = self.seen.insert(id);
                    new += usize::from(first);
                    first
                }
                None => true,
            })
            .collect();
        // The server may apply a smaller page size than asked: a page is short against that one.
        let applied = page
            .limit
            .and_then(|l| u32::try_from(l).ok())
            .filter(|l| (1..self.limit).contains(l))
            .unwrap_or(self.limit);
        let counts = PageCounts {
            number: self.pages,
            received,
            new,
            kept: fresh.len(),
            before: self.yielded,
            page_size: applied as usize,
            announced: page.total,
        };
        let step = match decide(counts, self.bounds) {
            Ok(step) => step,
            Err(e) => {
                self.ended = true;
                return Err(e);
            }
        };
        self.yielded += fresh.len();
        if !matches!(step, PageStep::Next(_)) {
            self.ended = true;
            return Ok((fresh, step));
        }
        let step = match self.mode {
            OffsetMode::PageIndex => 1,
            OffsetMode::ItemOffset => u32::try_from(received).unwrap_or(u32::MAX),
        };
        match self.offset.checked_add(step) {
            Some(next) => {
                self.offset = next;
                Ok((fresh, PageStep::Next(next)))
            }
            None => {
                // The largest offset: the list goes on past what can be asked for.
                self.ended = true;
                let error =
                    WalkError::TooManyPages { limit: self.pages, items: self.yielded, announced: page.total };
                Ok((fresh, PageStep::Exceeded(error)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v2::model::Metadata;

    fn uuid(n: u32) -> String {
        format!("00000000-0000-4000-8000-{n:012}")
    }

    fn with_id(id: Option<String>) -> TrainingJob {
        TrainingJob { metadata: Some(Metadata { id, ..Metadata::default() }), ..TrainingJob::default() }
    }

    fn job(n: u32) -> TrainingJob {
        with_id(Some(uuid(n)))
    }

    fn page(ids: std::ops::Range<u32>, total: Option<i64>) -> TrainingJobList {
        TrainingJobList { total, items: ids.map(job).collect(), ..TrainingJobList::default() }
    }

    fn page_of(items: Vec<TrainingJob>, total: Option<i64>) -> TrainingJobList {
        TrainingJobList { total, items, ..TrainingJobList::default() }
    }

    /// What a walk did: the step (or error) after each page, and the jobs yielded.
    fn walk(mut p: Paginator, pages: Vec<TrainingJobList>) -> (Vec<Result<PageStep, WalkError>>, usize) {
        let mut steps = Vec::new();
        let mut yielded = 0;
        for page in pages {
            match p.accept(page) {
                Ok((jobs, step)) => {
                    yielded += jobs.len();
                    steps.push(Ok(step));
                }
                Err(e) => steps.push(Err(e)),
            }
        }
        (steps, yielded)
    }

    #[test]
    fn walk_table() {
        use PageStep::*;
        // (limit, mode, pages served, expected steps, expected yielded)
        type Case = (u32, OffsetMode, Vec<TrainingJobList>, Vec<Result<PageStep, WalkError>>, usize);
        let cases: Vec<Case> = vec![
            // A short page ends the walk.
            (
                2,
                OffsetMode::PageIndex,
                vec![page(0..2, None), page(2..4, None), page(4..5, None)],
                vec![Ok(Next(1)), Ok(Next(2)), Ok(Done)],
                5,
            ),
            // An empty page ends it; record offsets step by the page's length.
            (
                2,
                OffsetMode::ItemOffset,
                vec![page(0..2, None), page(2..4, None), page(4..4, None)],
                vec![Ok(Next(2)), Ok(Next(4)), Ok(Done)],
                4,
            ),
            // The total reached ends it.
            (2, OffsetMode::PageIndex, vec![page(0..2, Some(2))], vec![Ok(Done)], 2),
            // The same page again: an error, its jobs dropped.
            (
                2,
                OffsetMode::PageIndex,
                vec![page(0..2, Some(100)), page(0..2, Some(100))],
                vec![Ok(Next(1)), Err(WalkError::RepeatedPage { page: 2, items: 2, announced: Some(100) })],
                2,
            ),
            // A shifted page keeps only the new job and goes on.
            (
                2,
                OffsetMode::PageIndex,
                vec![page(0..2, None), page(1..3, None), page(3..3, None)],
                vec![Ok(Next(1)), Ok(Next(2)), Ok(Done)],
                3,
            ),
            // A total smaller than what is served ends the walk at once.
            (2, OffsetMode::PageIndex, vec![page(0..2, Some(1))], vec![Ok(Done)], 2),
            // A negative total is ignored.
            (
                2,
                OffsetMode::PageIndex,
                vec![page(0..2, Some(-1)), page(2..3, Some(-1))],
                vec![Ok(Next(1)), Ok(Done)],
                3,
            ),
            // One job listed three ways (as sent, in capitals, after a blank) is one job.
            (
                3,
                OffsetMode::PageIndex,
                vec![
                    page_of(
                        vec![
                            with_id(Some(uuid(1))),
                            with_id(Some(uuid(1).to_uppercase())),
                            with_id(Some(format!(" {}\t", uuid(1)))),
                        ],
                        None,
                    ),
                    page(2..3, None),
                ],
                vec![Ok(Next(1)), Ok(Done)],
                2,
            ),
            // The same page of 2 jobs and one without an ID: an error on the second, whose
            // ID-less job is not yielded again.
            (
                3,
                OffsetMode::PageIndex,
                vec![
                    page_of(vec![job(1), job(2), with_id(None)], Some(1_000)),
                    page_of(vec![job(1), job(2), with_id(None)], Some(1_000)),
                ],
                vec![Ok(Next(1)), Err(WalkError::RepeatedPage { page: 2, items: 3, announced: Some(1_000) })],
                3,
            ),
            // A full page without one ID cannot show progress; a short one is the end.
            (
                2,
                OffsetMode::PageIndex,
                vec![page_of(vec![with_id(None), with_id(Some("12345".into()))], None)],
                vec![Err(WalkError::NoIdOnPage { page: 1, items: 0, announced: None })],
                0,
            ),
            (2, OffsetMode::PageIndex, vec![page_of(vec![with_id(None)], Some(1))], vec![Ok(Done)], 1),
            // An ID that is not a UUID (even numeric-looking) is no ID: the job is kept, not
            // recognised, so its repeat is kept too.
            (
                2,
                OffsetMode::PageIndex,
                vec![
                    page_of(vec![job(1), with_id(Some("abc".into()))], None),
                    page_of(vec![job(2), with_id(Some("abc".into()))], None),
                    page(3..3, None),
                ],
                vec![Ok(Next(1)), Ok(Next(2)), Ok(Done)],
                4,
            ),
        ];
        for (i, (limit, mode, pages, steps, yielded)) in cases.into_iter().enumerate() {
            let got = walk(Paginator::new(limit, mode), pages);
            assert_eq!(got, (steps, yielded), "case {i}");
        }
    }

    #[test]
    fn the_bounds_are_errors_not_silent_ends() {
        let huge = Some(1_000_000_000_000);
        // The page bound: the last page's jobs are good, then the walk has failed.
        let (steps, yielded) = walk(
            Paginator::with_limits(2, OffsetMode::PageIndex, 3, 1_000),
            vec![page(0..2, huge), page(2..4, huge), page(4..6, huge), page(6..8, huge)],
        );
        let exceeded = WalkError::TooManyPages { limit: 3, items: 6, announced: huge };
        assert_eq!(
            steps,
            [
                Ok(PageStep::Next(1)),
                Ok(PageStep::Next(2)),
                Ok(PageStep::Exceeded(exceeded)),
                Ok(PageStep::Done)
            ]
        );
        assert_eq!(yielded, 6);
        // The item bound: the page past it is dropped.
        let (steps, yielded) = walk(
            Paginator::with_limits(2, OffsetMode::PageIndex, 100, 5),
            vec![page(0..2, huge), page(2..4, huge), page(4..6, huge)],
        );
        assert_eq!(
            steps,
            [
                Ok(PageStep::Next(1)),
                Ok(PageStep::Next(2)),
                Err(WalkError::TooManyItems { limit: 5, announced: huge })
            ]
        );
        assert_eq!(yielded, 4);
        // Exactly the bound, with the total reached, is a normal end.
        let (steps, _) = walk(
            Paginator::with_limits(2, OffsetMode::PageIndex, 100, 4),
            vec![page(0..2, None), page(2..4, Some(4))],
        );
        assert_eq!(steps, [Ok(PageStep::Next(1)), Ok(PageStep::Done)]);
        // After an error the walk is over.
        let mut p = Paginator::new(2, OffsetMode::PageIndex);
        p.accept(page(0..2, None)).unwrap();
        assert!(p.accept(page(0..2, None)).is_err());
        assert_eq!(p.accept(page(5..7, None)), Ok((Vec::new(), PageStep::Done)));
    }

    #[test]
    fn a_smaller_applied_limit_is_not_a_short_page() {
        let mut p = Paginator::new(50, OffsetMode::PageIndex);
        let mut first = page(0..10, None);
        first.limit = Some(10);
        assert_eq!(p.accept(first).unwrap().1, PageStep::Next(1));
        assert_eq!(p.accept(page(10..15, None)).unwrap().1, PageStep::Done);
    }

    #[test]
    fn limit_is_clamped() {
        assert_eq!(Paginator::new(0, OffsetMode::PageIndex).limit(), 1);
        assert_eq!(Paginator::new(500, OffsetMode::PageIndex).limit(), 50);
    }

    #[test]
    fn a_lying_server_reaches_an_error() {
        // 50 new jobs a page and a huge total, as the hostile probe served: the item bound
        // (100,000 jobs) ends it after 2,001 pages, the last one dropped.
        let mut p = Paginator::new(50, OffsetMode::PageIndex);
        let mut pages = 0u32;
        let error = loop {
            let first = pages * 50;
            pages += 1;
            match p.accept(page(first..first + 50, Some(1_000_000_000_000))) {
                Ok((_, PageStep::Next(_))) => {}
                Ok((_, other)) => panic!("ended without an error: {other:?}"),
                Err(e) => break e,
            }
            assert!(pages <= MAX_PAGES, "runaway walk");
        };
        assert_eq!(pages, 2_001);
        assert_eq!(error, WalkError::TooManyItems { limit: MAX_ITEMS, announced: Some(1_000_000_000_000) });
        // One job a page reaches the page bound first.
        let mut p = Paginator::new(1, OffsetMode::PageIndex);
        let mut pages = 0u32;
        let step = loop {
            pages += 1;
            let (_, step) = p.accept(page(pages..pages + 1, Some(i64::MAX))).unwrap();
            if step != PageStep::Next(pages) {
                break step;
            }
        };
        assert_eq!(pages, MAX_PAGES);
        assert!(
            matches!(
                step,
                PageStep::Exceeded(WalkError::TooManyPages { limit: MAX_PAGES, items: 10_000, .. })
            ),
            "{step:?}"
        );
    }
}
