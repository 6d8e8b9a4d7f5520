//! Walking every page of the v2 list (`offset` based): the one paginator of both APIs
//! ([`pagination::Paginator`](crate::machine::pagination::Paginator)) over offsets, so the v2 walk
//! ends and fails exactly as the v1 walk does, within the same item bound.
//!
//! The walk ends ([`PageStep::Done`]) on the first of: an empty page, a short page (fewer items
//! than the page size, or than the smaller `limit` the server says it applied), the announced
//! `total` reached. A page with jobs seen before and none new (the server ignores `offset`) or a
//! full page without one job that has an ID is a [`WalkError`] (the page is dropped); more than
//! [`MAX_ITEMS`] jobs, or the page bound derived from it, ends with [`PageStep::Exceeded`] after the
//! jobs up to the bound. A server that lies about `total` or keeps answering full pages can neither
//! make the walk run forever nor truncate the list silently.
//!
//! A job is known by its ID compared normalized: a `metadata.id` that is a UUID once surrounding
//! ASCII blanks are trimmed, in lower case ([`TrainingJob::id`]); `" 3F2B…"` and `"3f2b…"` are one
//! job. Anything else counts as a job without an ID: kept, never recognised again.
//!
//! What `offset` counts is documented both ways: [`OffsetMode`] chooses.

use super::id::TrainingJobId;
use super::model::{TrainingJob, TrainingJobList};
use crate::machine::pagination::{Keyed, ListPage, Offset};

pub use crate::machine::pagination::{OffsetMode, PageStep, WalkError};

/// The largest page size the v2 list accepts.
pub const MAX_LIMIT: u32 = crate::machine::pagination::MAX_OFFSET_LIMIT;
/// The most jobs one walk yields: the one bound of both APIs
/// ([`MAX_WALK_ITEMS`](crate::machine::pagination::MAX_WALK_ITEMS)).
pub const MAX_ITEMS: usize = crate::machine::pagination::MAX_WALK_ITEMS;

/// The walk over the v2 list: the one paginator over offsets, jobs known by their normalized ID.
/// Start it with [`Paginator::by_offset`](crate::machine::pagination::Paginator::by_offset).
pub type Paginator = crate::machine::pagination::Paginator<Offset, TrainingJobId>;

impl ListPage for TrainingJobList {
    type Item = TrainingJob;

    fn announced(&self) -> Option<i64> {
        self.total
    }

    fn applied_page_size(&self) -> Option<i64> {
        self.limit
    }

    fn into_items(self) -> Vec<TrainingJob> {
        self.items
    }
}

impl Keyed for TrainingJob {
    type Key = TrainingJobId;

    /// [`TrainingJob::id`]: a UUID, normalized.
    fn key(&self) -> Option<TrainingJobId> {
        self.id()
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
            let got = walk(Paginator::by_offset(limit, mode), pages);
            assert_eq!(got, (steps, yielded), "case {i}");
        }
    }

    /// A page of `size` jobs: `new` new ones (from `first`) and the rest repeats of job 0.
    fn shifted(first: u32, new: u32, size: u32, total: Option<i64>) -> TrainingJobList {
        let mut items: Vec<TrainingJob> = (first..first + new).map(job).collect();
        items.extend((new..size).map(|_| job(0)));
        page_of(items, total)
    }

    #[test]
    fn the_bounds_are_errors_not_silent_ends() {
        use crate::machine::pagination::{PAGE_MARGIN, page_bound};
        let huge = Some(1_000_000_000_000);
        // The derived page bound (100 jobs at 2 a page: 50 pages + the margin): pages of one new
        // job and one repeat reach it; the last page's new job is good, then the walk has failed.
        let bound = page_bound(100, 2);
        assert_eq!(bound, 50 + PAGE_MARGIN);
        let mut pages = vec![page(0..2, huge)];
        pages.extend((2..=bound).map(|n| shifted(n, 1, 2, huge)));
        pages.push(page(1_000..1_002, huge));
        let (steps, yielded) =
            walk(Paginator::by_offset(2, OffsetMode::PageIndex).with_item_bound(100), pages);
        let exceeded = WalkError::TooManyPages { limit: bound, items: bound as usize + 1, announced: huge };
        assert_eq!(steps[steps.len() - 2..], [Ok(PageStep::Exceeded(exceeded)), Ok(PageStep::Done)]);
        assert!(steps[..steps.len() - 2].iter().all(|s| matches!(s, Ok(PageStep::Next(_)))));
        assert_eq!(yielded, bound as usize + 1);
        // The item bound: the jobs up to it are good, then the walk has failed.
        let (steps, yielded) = walk(
            Paginator::by_offset(2, OffsetMode::PageIndex).with_item_bound(5),
            vec![page(0..2, huge), page(2..4, huge), page(4..6, huge), page(6..8, huge)],
        );
        assert_eq!(
            steps,
            [
                Ok(PageStep::Next(1)),
                Ok(PageStep::Next(2)),
                Ok(PageStep::Exceeded(WalkError::TooManyItems { limit: 5, announced: huge })),
                Ok(PageStep::Done)
            ]
        );
        assert_eq!(yielded, 5);
        // Exactly the bound, with the total reached, is a normal end.
        let (steps, _) = walk(
            Paginator::by_offset(2, OffsetMode::PageIndex).with_item_bound(4),
            vec![page(0..2, None), page(2..4, Some(4))],
        );
        assert_eq!(steps, [Ok(PageStep::Next(1)), Ok(PageStep::Done)]);
        // After an error the walk is over.
        let mut p = Paginator::by_offset(2, OffsetMode::PageIndex);
        p.accept(page(0..2, None)).unwrap();
        assert!(p.accept(page(0..2, None)).is_err());
        assert_eq!(p.accept(page(5..7, None)), Ok((Vec::new(), PageStep::Done)));
    }

    #[test]
    fn a_smaller_applied_limit_is_not_a_short_page() {
        let mut p = Paginator::by_offset(50, OffsetMode::PageIndex);
        let mut first = page(0..10, None);
        first.limit = Some(10);
        assert_eq!(p.accept(first).unwrap().1, PageStep::Next(1));
        assert_eq!(p.accept(page(10..15, None)).unwrap().1, PageStep::Done);
    }

    #[test]
    fn limit_is_clamped() {
        assert_eq!(Paginator::by_offset(0, OffsetMode::PageIndex).limit(), 1);
        assert_eq!(Paginator::by_offset(500, OffsetMode::PageIndex).limit(), 50);
    }

    #[test]
    fn a_lying_server_reaches_the_one_item_bound() {
        // New jobs on every page and a huge total, as the hostile probe serves: the item bound
        // (100,000 jobs, the v1 walk's too) ends it, after the jobs up to it, whatever the page
        // size (the server may apply a smaller one than asked).
        for (asked, applied) in [(50u32, None), (50, Some(10i64)), (7, None)] {
            let size = applied.map_or(asked, |a| a as u32);
            let mut p = Paginator::by_offset(asked, OffsetMode::PageIndex);
            let (mut pages, mut yielded) = (0u32, 0usize);
            let step = loop {
                let first = pages * size;
                pages += 1;
                let mut served = page(first..first + size, Some(1_000_000_000_000));
                served.limit = applied;
                let (jobs, step) = p.accept(served).unwrap();
                yielded += jobs.len();
                if !matches!(step, PageStep::Next(_)) {
                    break step;
                }
                assert!(pages <= 100_001, "runaway walk");
            };
            let error = WalkError::TooManyItems { limit: MAX_ITEMS, announced: Some(1_000_000_000_000) };
            assert_eq!(step, PageStep::Exceeded(error), "{asked} {applied:?}");
            assert_eq!(yielded, MAX_ITEMS, "{asked} {applied:?}");
            assert_eq!(pages as usize, MAX_ITEMS / size as usize + 1, "{asked} {applied:?}");
        }
    }
}
