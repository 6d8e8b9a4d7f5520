//! Walking every page of the job list, and stopping even when the server misbehaves: an empty page,
//! a short page, the announced total reached, or the last page number end the walk; a page that
//! only repeats jobs seen before, or a walk past [`MAX_WALK_PAGES`] pages or [`MAX_WALK_ITEMS`] jobs,
//! is a [`WalkError`] (never a silent truncation).
//!
//! The bounds sit far above any real account (the training-job quota is about 1,000 jobs), so only a
//! server that ignores `page` or invents jobs reaches them, and it is stopped after a bounded number
//! of requests and a bounded amount of memory (the IDs seen, at most [`MAX_WALK_ITEMS`]).
//!
//! The decision after a page is one function of the page's counts ([`decide`]), shared by this v1
//! walk and the v2 offset walk ([`v2::Paginator`](crate::v2::Paginator)): both end, and fail, alike.

use std::collections::HashSet;

use crate::ids::JobId;
use crate::operations::list_training_jobs::MAX_PAGE;
use crate::v1::model::{JobList, JobSummary};

/// The most pages one walk fetches. At the default page size (100) that is 100,000 jobs.
pub const MAX_WALK_PAGES: u32 = 1_000;

/// The most jobs one walk yields (100 times the training-job quota of a real account).
pub const MAX_WALK_ITEMS: usize = 100_000;

/// Why a walk over the job list was abandoned: the server's answers cannot be the whole list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WalkError {
    /// More pages than [`MAX_WALK_PAGES`] (or the walk's own limit) would be needed.
    #[error(
        "the job list did not end after {limit} pages ({items} jobs; the server announced {}): stopped there rather than walk on",
        announced.map_or_else(|| "no total".to_owned(), |t| t.to_string())
    )]
    TooManyPages {
        /// The page limit.
        limit: u32,
        /// Jobs received so far.
        items: usize,
        /// The last `job_total_count` the server sent.
        announced: Option<i64>,
    },
    /// More jobs than [`MAX_WALK_ITEMS`] (or the walk's own limit).
    #[error(
        "the job list holds more than {limit} jobs (the server announced {}): stopped there rather than walk on",
        announced.map_or_else(|| "no total".to_owned(), |t| t.to_string())
    )]
    TooManyItems {
        /// The item limit.
        limit: usize,
        /// The last `job_total_count` the server sent.
        announced: Option<i64>,
    },
    /// A page held only jobs already seen (and perhaps jobs without an ID): the server ignored
    /// `page` (or the list moved by a whole page during the walk), so the rest of the list cannot be
    /// read reliably. The page's jobs are dropped.
    #[error(
        "page {page} of the job list repeated jobs already seen ({items} jobs read; the server announced {}): the server does not page",
        announced.map_or_else(|| "no total".to_owned(), |t| t.to_string())
    )]
    RepeatedPage {
        /// The page that repeated.
        page: u32,
        /// Distinct jobs received before it.
        items: usize,
        /// The last `job_total_count` the server sent.
        announced: Option<i64>,
    },
    /// A full page in which no job had an ID (v2: a `metadata.id` that is a UUID): new jobs cannot
    /// be told from repeats, so the walk cannot know it is moving on. The page's jobs are dropped.
    #[error(
        "page {page} of the job list held no job with an ID ({items} jobs read; the server announced {}): new jobs cannot be told from repeats",
        announced.map_or_else(|| "no total".to_owned(), |t| t.to_string())
    )]
    NoIdOnPage {
        /// The page.
        page: u32,
        /// Jobs received before it.
        items: usize,
        /// The last total the server sent.
        announced: Option<i64>,
    },
}

/// What one page brought, in counts: all that [`decide`] needs. A job is *recognised* when it has
/// an ID (every v1 job; a v2 job whose `metadata.id` is a UUID), *new* when recognised and not seen
/// before; a job without an ID cannot be recognised again, so it is kept but never new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCounts {
    /// The page's place in the walk, from 1.
    pub number: u32,
    /// Jobs on the page.
    pub received: usize,
    /// Jobs new to the walk.
    pub new: usize,
    /// Jobs the page would yield: the new ones and those without an ID.
    pub kept: usize,
    /// Jobs yielded by the pages before.
    pub before: usize,
    /// The page size in force (a page with fewer jobs is the last).
    pub page_size: usize,
    /// The total the server announced with the page (a negative one is ignored).
    pub announced: Option<i64>,
}

/// The bounds of one walk: pages fetched and jobs yielded.
///
/// New fields may be added: start from [`WalkBounds::default()`] and change what you need with the
/// `with_*` setters (the default: [`MAX_WALK_PAGES`] and [`MAX_WALK_ITEMS`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkBounds {
    /// The most pages.
    pub max_pages: u32,
    /// The most jobs.
    pub max_items: usize,
}

impl Default for WalkBounds {
    fn default() -> Self {
        Self { max_pages: MAX_WALK_PAGES, max_items: MAX_WALK_ITEMS }
    }
}

impl WalkBounds {
    /// Sets [`max_pages`](Self::max_pages).
    #[must_use]
    pub fn with_max_pages(mut self, max_pages: u32) -> Self {
        self.max_pages = max_pages;
        self
    }

    /// Sets [`max_items`](Self::max_items).
    #[must_use]
    pub fn with_max_items(mut self, max_items: usize) -> Self {
        self.max_items = max_items;
        self
    }
}

/// What a page means for the walk, given its counts: [`PageStep::Next`] (with a placeholder `0`:
/// the caller knows where the next page is), [`PageStep::Done`], [`PageStep::Exceeded`] (the page
/// is good but the walk is over its page bound), or a [`WalkError`] (the page is dropped).
///
/// In this order: more jobs than the item bound; a page with jobs seen before and none new
/// ([`WalkError::RepeatedPage`]); an empty or short page or the announced total reached (the end);
/// a full page with no recognisable job ([`WalkError::NoIdOnPage`]); the page bound.
///
/// ```
/// use modelarts_protocol::pagination::{PageCounts, PageStep, WalkBounds, WalkError, decide};
/// let bounds = WalkBounds::default().with_max_pages(10).with_max_items(1_000);
/// let page = PageCounts { number: 2, received: 50, new: 0, kept: 1, before: 50, page_size: 50, announced: None };
/// assert!(matches!(decide(page, bounds), Err(WalkError::RepeatedPage { page: 2, items: 50, .. })));
/// let short = PageCounts { received: 3, new: 3, kept: 3, ..page };
/// assert_eq!(decide(short, bounds), Ok(PageStep::Done));
/// ```
pub fn decide(page: PageCounts, bounds: WalkBounds) -> Result<PageStep, WalkError> {
    let PageCounts { number, received, new, kept, before, page_size, announced } = page;
    let items = before.saturating_add(kept);
    if items > bounds.max_items {
        return Err(WalkError::TooManyItems { limit: bounds.max_items, announced });
    }
    let nothing_new = received > 0 && new == 0;
    if nothing_new && kept < received {
        return Err(WalkError::RepeatedPage { page: number, items: before, announced });
    }
    let short = received < page_size;
    let total_reached = announced.is_some_and(|t| t >= 0 && items as u64 >= t as u64);
    if received == 0 || short || total_reached {
        return Ok(PageStep::Done);
    }
    if nothing_new {
        return Err(WalkError::NoIdOnPage { page: number, items: before, announced });
    }
    if number >= bounds.max_pages {
        return Ok(PageStep::Exceeded(WalkError::TooManyPages { limit: bounds.max_pages, items, announced }));
    }
    Ok(PageStep::Next(0))
}

/// What to do after a page (of the v1 list or the v2 search).
///
/// Exhaustive on purpose: a driver must handle every step, so a new step is a breaking change by
/// design.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageStep {
    /// Fetch this page next: a page number for the v1 list, an `offset` for the v2 search.
    Next(u32),
    /// The walk is over.
    Done,
    /// The list goes on past the page bound: this page's jobs are good, then the walk fails with
    /// this error ([`WalkError::TooManyPages`]) rather than end as if the list were complete.
    Exceeded(WalkError),
}

/// The state of a walk over the job list.
#[derive(Debug, Clone)]
pub struct Paginator {
    per_page: u32,
    next_page: u32,
    seen: HashSet<JobId>,
    max_pages: u32,
    max_items: usize,
}

impl Paginator {
    /// Walks pages of `per_page` jobs (1 to 1000), from page 1, within [`MAX_WALK_PAGES`] and
    /// [`MAX_WALK_ITEMS`].
    pub fn new(per_page: u32) -> Self {
        Self::with_limits(per_page, MAX_WALK_PAGES, MAX_WALK_ITEMS)
    }

    /// Like [`new`](Self::new) with other bounds: at least 1 each, and `max_pages` at most the
    /// API's last page (65,535).
    pub fn with_limits(per_page: u32, max_pages: u32, max_items: usize) -> Self {
        Self {
            per_page: per_page.clamp(1, 1000),
            next_page: 1,
            seen: HashSet::new(),
            max_pages: max_pages.clamp(1, MAX_PAGE),
            max_items: max_items.max(1),
        }
    }

    /// The page size.
    pub fn per_page(&self) -> u32 {
        self.per_page
    }

    /// The page to fetch first.
    pub fn first_page(&self) -> u32 {
        1
    }

    /// Takes a fetched page: returns its jobs not seen before and the next step, or why the walk
    /// cannot go on (a page of repeats, or more jobs than the item bound; the page's jobs are then
    /// dropped). At the page bound the page's jobs are returned with [`PageStep::Exceeded`]. The
    /// decision is [`decide`]'s.
    pub fn accept(&mut self, page: JobList) -> Result<(Vec<JobSummary>, PageStep), WalkError> {
        let received = page.jobs.len();
        let before = self.seen.len();
        // The set grows by at most one page (1,000 IDs) past the bound before the check.
        let fresh: Vec<JobSummary> = page.jobs.into_iter().filter(|j| self.seen.insert(j.job_id)).collect();
        let counts = PageCounts {
            number: self.next_page,
            received,
            new: fresh.len(),
            kept: fresh.len(),
            before,
            page_size: self.per_page as usize,
            announced: page.job_total_count,
        };
        // `max_pages` is at most the API's last page, so a walk never asks for a page past it.
        let bounds = WalkBounds { max_pages: self.max_pages, max_items: self.max_items };
        match decide(counts, bounds)? {
            PageStep::Next(_) => {
                self.next_page += 1;
                Ok((fresh, PageStep::Next(self.next_page)))
            }
            end => Ok((fresh, end)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::status::JobStatus;

    fn page(ids: &[u64], total: Option<i64>) -> JobList {
        JobList {
            job_total_count: total,
            job_count_limit: None,
            quotas: None,
            jobs: ids
                .iter()
                .map(|id| JobSummary {
                    job_id: JobId::new(*id).unwrap(),
                    job_name: None,
                    version_id: None,
                    status: JobStatus::Running,
                    create_time: None,
                    duration: None,
                    job_desc: None,
                    version_count: None,
                })
                .collect(),
        }
    }

    fn step(p: &mut Paginator, ids: &[u64], total: Option<i64>) -> PageStep {
        p.accept(page(ids, total)).unwrap().1
    }

    #[test]
    fn walks_until_a_short_page() {
        let mut p = Paginator::new(2);
        assert_eq!(step(&mut p, &[1, 2], None), PageStep::Next(2));
        assert_eq!(step(&mut p, &[3, 4], None), PageStep::Next(3));
        let (jobs, step) = p.accept(page(&[5], None)).unwrap();
        assert_eq!((jobs.len(), step), (1, PageStep::Done));
    }

    #[test]
    fn stops_on_empty_page_and_on_total() {
        let mut p = Paginator::new(2);
        assert_eq!(p.accept(page(&[], None)), Ok((vec![], PageStep::Done)));
        let mut p = Paginator::new(2);
        assert_eq!(step(&mut p, &[1, 2], Some(2)), PageStep::Done);
    }

    #[test]
    fn a_repeated_page_is_an_error_and_a_shifted_page_keeps_the_new_jobs() {
        let mut p = Paginator::new(2);
        assert_eq!(step(&mut p, &[1, 2], Some(100)), PageStep::Next(2));
        assert_eq!(
            p.accept(page(&[1, 2], Some(100))),
            Err(WalkError::RepeatedPage { page: 2, items: 2, announced: Some(100) })
        );
        let mut p = Paginator::new(2);
        step(&mut p, &[1, 2], None);
        let (jobs, _) = p.accept(page(&[2, 3], None)).unwrap();
        assert_eq!(jobs.iter().map(|j| j.job_id.get()).collect::<Vec<_>>(), [3]);
    }

    #[test]
    fn the_page_bound_is_an_error_not_a_silent_end() {
        let mut p = Paginator::with_limits(2, 3, 1_000);
        assert_eq!(step(&mut p, &[1, 2], Some(1_000_000_000_000)), PageStep::Next(2));
        assert_eq!(step(&mut p, &[3, 4], Some(1_000_000_000_000)), PageStep::Next(3));
        let (jobs, next) = p.accept(page(&[5, 6], Some(1_000_000_000_000))).unwrap();
        assert_eq!(jobs.len(), 2);
        assert_eq!(
            next,
            PageStep::Exceeded(WalkError::TooManyPages {
                limit: 3,
                items: 6,
                announced: Some(1_000_000_000_000)
            })
        );
        // The last allowed page may still end the walk normally.
        let mut p = Paginator::with_limits(2, 2, 1_000);
        step(&mut p, &[1, 2], None);
        assert_eq!(step(&mut p, &[3], None), PageStep::Done);
    }

    #[test]
    fn the_item_bound_is_an_error() {
        let mut p = Paginator::with_limits(3, 100, 5);
        assert_eq!(step(&mut p, &[1, 2, 3], None), PageStep::Next(2));
        assert_eq!(
            p.accept(page(&[4, 5, 6], None)),
            Err(WalkError::TooManyItems { limit: 5, announced: None })
        );
        // Exactly the bound is fine.
        let mut p = Paginator::with_limits(3, 100, 6);
        step(&mut p, &[1, 2, 3], None);
        assert_eq!(step(&mut p, &[4, 5, 6], Some(6)), PageStep::Done);
    }

    #[test]
    fn decide_table() {
        let bounds = WalkBounds { max_pages: 3, max_items: 10 };
        let full =
            PageCounts { number: 1, received: 4, new: 4, kept: 4, before: 0, page_size: 4, announced: None };
        // (counts, decision)
        let cases: Vec<(PageCounts, Result<PageStep, WalkError>)> = vec![
            (full, Ok(PageStep::Next(0))),
            (PageCounts { received: 0, new: 0, kept: 0, ..full }, Ok(PageStep::Done)),
            (PageCounts { received: 3, new: 3, kept: 3, ..full }, Ok(PageStep::Done)),
            (PageCounts { announced: Some(4), ..full }, Ok(PageStep::Done)),
            (PageCounts { announced: Some(-1), ..full }, Ok(PageStep::Next(0))),
            // Repeats and nothing new, with or without jobs that have no ID.
            (
                PageCounts { number: 2, new: 0, kept: 0, before: 4, ..full },
                Err(WalkError::RepeatedPage { page: 2, items: 4, announced: None }),
            ),
            (
                PageCounts { number: 2, new: 0, kept: 1, before: 4, announced: Some(9), ..full },
                Err(WalkError::RepeatedPage { page: 2, items: 4, announced: Some(9) }),
            ),
            // Even a short page of repeats.
            (
                PageCounts { number: 2, received: 2, new: 0, kept: 0, before: 4, ..full },
                Err(WalkError::RepeatedPage { page: 2, items: 4, announced: None }),
            ),
            // Only jobs without an ID: the end if the page is the last, else an error.
            (PageCounts { received: 2, new: 0, kept: 2, ..full }, Ok(PageStep::Done)),
            (
                PageCounts { new: 0, ..full },
                Err(WalkError::NoIdOnPage { page: 1, items: 0, announced: None }),
            ),
            // The bounds.
            (
                PageCounts { number: 3, before: 8, new: 2, kept: 2, received: 4, ..full },
                Ok(PageStep::Exceeded(WalkError::TooManyPages { limit: 3, items: 10, announced: None })),
            ),
            (
                PageCounts { number: 3, before: 8, announced: Some(1_000), ..full },
                Err(WalkError::TooManyItems { limit: 10, announced: Some(1_000) }),
            ),
            (PageCounts { number: 3, before: 6, announced: Some(10), ..full }, Ok(PageStep::Done)),
        ];
        for (i, (counts, decision)) in cases.into_iter().enumerate() {
            assert_eq!(decide(counts, bounds), decision, "case {i}: {counts:?}");
        }
    }

    #[test]
    fn the_default_bounds() {
        assert_eq!((MAX_WALK_PAGES, MAX_WALK_ITEMS), (1_000, 100_000));
        let p = Paginator::new(5000);
        assert_eq!(p.per_page(), 1000);
        assert_eq!(Paginator::with_limits(10, u32::MAX, 0).max_pages, MAX_PAGE);
    }
}
