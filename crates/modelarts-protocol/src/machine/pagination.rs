//! Walking every page of a list, and stopping even when the server misbehaves: one paginator for
//! both APIs (and the workspace list), generic over its [`PageScheme`]: the v1 list's page numbers
//! from 1 ([`PageNumber`]) or the v2 search's `offset` ([`Offset`], counting pages or records per
//! [`OffsetMode`]).
//!
//! The end contract is one for every list ([`decide`]): an empty page, a short page or the
//! announced total reached end the walk; a page that only repeats items seen before
//! ([`WalkError::RepeatedPage`]), a full page with no item that has an ID
//! ([`WalkError::NoIdOnPage`]) or a walk past its bound are errors, never a silent truncation. A
//! list answer without its list (no `jobs`/`items` array) does not reach the walk: the list models
//! require it, so it is a malformed answer for both APIs, never an empty list.
//!
//! **One bound, in items**: [`MAX_WALK_ITEMS`] for every list of both APIs. Reaching past it is an
//! error ([`PageStep::Exceeded`] with [`WalkError::TooManyItems`]) after the items read so far, up
//! to the bound, are returned. The bound sits far above any real account (the training-job quota is
//! about 1,000 jobs), so only a server that ignores paging or invents items reaches it, after a
//! bounded number of requests and a bounded amount of memory (the IDs seen). A page bound remains
//! only as a safety net derived from it ([`page_bound`]: the item bound over the page size in force,
//! rounded up, plus [`PAGE_MARGIN`]), for a server that sends full pages with one new item each.
//!
//! Items are known by their ID compared normalized ([`Keyed`]: a v1 job ID; a v2 `metadata.id`
//! that is a UUID, blanks trimmed, in lower case); an item without one is kept, never recognised
//! again.

use std::collections::HashSet;
use std::hash::Hash;

use crate::ids::JobId;
use crate::operations::list_training_jobs::{MAX_PAGE, MAX_PER_PAGE};
use crate::v1::model::{JobList, JobSummary};

/// The most items one walk yields, for every list of both APIs (100 times the training-job quota
/// of a real account); it also bounds the memory of the IDs seen.
pub const MAX_WALK_ITEMS: usize = 100_000;

/// The pages a walk may fetch beyond the item bound over the page size: the derived page bound's
/// margin ([`page_bound`]).
pub const PAGE_MARGIN: u32 = 10;

/// The largest page size of an offset list (the v2 search, the workspace list).
pub const MAX_OFFSET_LIMIT: u32 = 50;

/// The page bound derived from the item bound: `max_items / page_size` rounded up, plus
/// [`PAGE_MARGIN`]. A server that invents full pages of new items reaches the item bound first;
/// this bound only stops one whose full pages bring one new item each.
///
/// ```
/// use modelarts_protocol::pagination::{MAX_WALK_ITEMS, page_bound};
/// assert_eq!(page_bound(MAX_WALK_ITEMS, 100), 1_010);
/// assert_eq!(page_bound(MAX_WALK_ITEMS, 50), 2_010);
/// assert_eq!(page_bound(5, 2), 13);
/// ```
pub fn page_bound(max_items: usize, page_size: usize) -> u32 {
    let pages = max_items.div_ceil(page_size.max(1));
    u32::try_from(pages).unwrap_or(u32::MAX).saturating_add(PAGE_MARGIN)
}

/// Why a walk over a list was abandoned: the server's answers cannot be the whole list. The same
/// error for both APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WalkError {
    /// More pages than the walk's derived page bound ([`page_bound`]), or than the API can be asked
    /// for, would be needed.
    #[error(
        "the job list did not end after {limit} pages ({items} jobs; the server announced {}): stopped there rather than walk on",
        announced.map_or_else(|| "no total".to_owned(), |t| t.to_string())
    )]
    TooManyPages {
        /// The page limit.
        limit: u32,
        /// Jobs received so far.
        items: usize,
        /// The last total the server sent.
        announced: Option<i64>,
    },
    /// More items than [`MAX_WALK_ITEMS`] (or the walk's own bound); the items up to the bound
    /// were returned.
    #[error(
        "the job list holds more than {limit} jobs (the server announced {}): stopped there rather than walk on",
        announced.map_or_else(|| "no total".to_owned(), |t| t.to_string())
    )]
    TooManyItems {
        /// The item limit.
        limit: usize,
        /// The last total the server sent.
        announced: Option<i64>,
    },
    /// A page held only items already seen (and perhaps items without an ID): the server ignored
    /// the page or offset (or the list moved by a whole page during the walk), so the rest of the
    /// list cannot be read reliably. The page's items are dropped.
    #[error(
        "page {page} of the job list repeated jobs already seen ({items} jobs read; the server announced {}): the server does not page",
        announced.map_or_else(|| "no total".to_owned(), |t| t.to_string())
    )]
    RepeatedPage {
        /// The page that repeated.
        page: u32,
        /// Distinct jobs received before it.
        items: usize,
        /// The last total the server sent.
        announced: Option<i64>,
    },
    /// A full page in which no item had an ID (v2: a `metadata.id` that is a UUID): new items
    /// cannot be told from repeats, so the walk cannot know it is moving on. The page's items are
    /// dropped.
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

/// What one page brought, in counts: all that [`decide`] needs. An item is *recognised* when it
/// has an ID (every v1 job; a v2 job whose `metadata.id` is a UUID), *new* when recognised and not
/// seen before; an item without an ID cannot be recognised again, so it is kept but never new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCounts {
    /// The page's place in the walk, from 1.
    pub number: u32,
    /// Items on the page.
    pub received: usize,
    /// Items new to the walk.
    pub new: usize,
    /// Items the page would yield: the new ones and those without an ID.
    pub kept: usize,
    /// Items yielded by the pages before.
    pub before: usize,
    /// The page size in force (a page with fewer items is the last).
    pub page_size: usize,
    /// The total the server announced with the page (a negative one is ignored).
    pub announced: Option<i64>,
}

/// The bounds of one walk: pages fetched (derived from the items: [`page_bound`]) and items
/// yielded.
///
/// New fields may be added: start from [`WalkBounds::default()`] or [`WalkBounds::of_items`] and
/// change what you need with the `with_*` setters.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkBounds {
    /// The most pages.
    pub max_pages: u32,
    /// The most items.
    pub max_items: usize,
}

impl Default for WalkBounds {
    /// [`MAX_WALK_ITEMS`] items, in pages of at least one item.
    fn default() -> Self {
        Self::of_items(MAX_WALK_ITEMS, 1)
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

    /// The bounds of a walk of at most `max_items` items in pages of `page_size`: the page bound
    /// derived ([`page_bound`]).
    pub fn of_items(max_items: usize, page_size: usize) -> Self {
        Self { max_pages: page_bound(max_items, page_size), max_items }
    }
}

/// What a page means for the walk, given its counts: [`PageStep::Next`] (with a placeholder `0`:
/// the caller knows where the next page is), [`PageStep::Done`], [`PageStep::Exceeded`] (the page
/// is good, at least up to the item bound, but the walk is over a bound), or a [`WalkError`] (the
/// page is dropped).
///
/// In this order: a page with items seen before and none new ([`WalkError::RepeatedPage`]); more
/// items than the item bound ([`WalkError::TooManyItems`], exceeded); an empty or short page or
/// the announced total reached (the end); a full page with no recognisable item
/// ([`WalkError::NoIdOnPage`]); the page bound ([`WalkError::TooManyPages`], exceeded).
///
/// ```
/// use modelarts_protocol::pagination::{PageCounts, PageStep, WalkBounds, WalkError, decide};
/// let bounds = WalkBounds::default().with_max_pages(10).with_max_items(1_000);
/// let page = PageCounts { number: 2, received: 50, new: 0, kept: 1, before: 50, page_size: 50, announced: None };
/// assert!(matches!(decide(page, bounds), Err(WalkError::RepeatedPage { page: 2, items: 50, .. })));
/// let short = PageCounts { received: 3, new: 3, kept: 3, ..page };
/// assert_eq!(decide(short, bounds), Ok(PageStep::Done));
/// let over = PageCounts { new: 50, kept: 50, before: 990, ..page };
/// assert_eq!(decide(over, bounds), Ok(PageStep::Exceeded(WalkError::TooManyItems { limit: 1_000, announced: None })));
/// ```
pub fn decide(page: PageCounts, bounds: WalkBounds) -> Result<PageStep, WalkError> {
    let PageCounts { number, received, new, kept, before, page_size, announced } = page;
    let items = before.saturating_add(kept);
    let nothing_new = received > 0 && new == 0;
    if nothing_new && kept < received {
        return Err(WalkError::RepeatedPage { page: number, items: before, announced });
    }
    if items > bounds.max_items {
        return Ok(PageStep::Exceeded(WalkError::TooManyItems { limit: bounds.max_items, announced }));
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

/// What to do after a page (of the v1 list, the v2 search or the workspace list).
///
/// Exhaustive on purpose: a driver must handle every step, so a new step is a breaking change by
/// design.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageStep {
    /// Fetch this page next: a page number for the v1 list, an `offset` for the v2 search.
    Next(u32),
    /// The walk is over.
    Done,
    /// The list goes on past a bound: this page's items (up to the item bound) are good, then the
    /// walk fails with this error ([`WalkError::TooManyItems`] or [`WalkError::TooManyPages`])
    /// rather than end as if the list were complete.
    Exceeded(WalkError),
}

/// How a list is paged: where the first page is, where the next one is, and the largest page.
pub trait PageScheme: Clone + std::fmt::Debug {
    /// The largest page size the list accepts.
    fn max_page_size(&self) -> u32;
    /// The position of the first page.
    fn first(&self) -> u32;
    /// The position after the page at `position`, which held `received` items (of `page_size`
    /// asked); `None` past the last position the API can be asked for.
    fn after(&self, position: u32, received: usize, page_size: u32) -> Option<u32>;
}

/// Page numbers from 1 (the v1 list: `page`, at most [`MAX_PAGE`], pages of at most
/// [`MAX_PER_PAGE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PageNumber;

impl PageScheme for PageNumber {
    fn max_page_size(&self) -> u32 {
        MAX_PER_PAGE
    }

    fn first(&self) -> u32 {
        1
    }

    fn after(&self, position: u32, _received: usize, _page_size: u32) -> Option<u32> {
        position.checked_add(1).filter(|p| *p <= MAX_PAGE)
    }
}

/// What `offset` counts.
///
/// It is documented both ways ("page index from 0" in the v2 API reference, "records to skip" in
/// the SDK reference). Either way duplicates are dropped, so the wrong reading costs requests,
/// never repeated or lost items on a stable list.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OffsetMode {
    /// The page index, from 0 (the API reference's reading).
    #[default]
    PageIndex,
    /// The number of records to skip (the SDK reference's reading).
    ItemOffset,
}

/// An `offset` from 0 (the v2 search, the workspace list: pages of at most [`MAX_OFFSET_LIMIT`]),
/// read as its [`OffsetMode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Offset(pub OffsetMode);

impl PageScheme for Offset {
    fn max_page_size(&self) -> u32 {
        MAX_OFFSET_LIMIT
    }

    fn first(&self) -> u32 {
        0
    }

    fn after(&self, position: u32, received: usize, _page_size: u32) -> Option<u32> {
        let step = match self.0 {
            OffsetMode::PageIndex => 1,
            OffsetMode::ItemOffset => u32::try_from(received).unwrap_or(u32::MAX),
        };
        position.checked_add(step)
    }
}

/// One page of a list answer, as a walk reads it.
pub trait ListPage {
    /// An item of the list.
    type Item;
    /// The total the server announced (over all pages).
    fn announced(&self) -> Option<i64>;
    /// The page size the server says it applied, if it says (a page is short against the smaller
    /// of this and the size asked).
    fn applied_page_size(&self) -> Option<i64> {
        None
    }
    /// The page's items.
    fn into_items(self) -> Vec<Self::Item>;
}

/// An item a walk recognises by its ID, compared normalized.
pub trait Keyed {
    /// The normalized ID.
    type Key: Eq + Hash;
    /// The item's ID, normalized; `None` for an item without a usable ID (kept, never recognised).
    fn key(&self) -> Option<Self::Key>;
}

impl ListPage for JobList {
    type Item = JobSummary;

    fn announced(&self) -> Option<i64> {
        self.job_total_count
    }

    fn into_items(self) -> Vec<JobSummary> {
        self.jobs
    }
}

impl Keyed for JobSummary {
    type Key = JobId;

    fn key(&self) -> Option<JobId> {
        Some(self.job_id)
    }
}

/// The state of a walk over a list paged by `S`, its items known by their key `K`: one machine for
/// the v1 list (`Paginator<PageNumber, JobId>`, the default), the v2 search
/// ([`v2::Paginator`](crate::v2::Paginator)) and the workspace list
/// ([`WorkspaceWalk`](crate::workspace::WorkspaceWalk)).
///
/// Once the walk has ended (done, exceeded or failed), every further page yields nothing and
/// [`PageStep::Done`].
#[derive(Debug, Clone)]
pub struct Paginator<S: PageScheme = PageNumber, K = JobId> {
    scheme: S,
    page_size: u32,
    position: u32,
    pages: u32,
    yielded: usize,
    seen: HashSet<K>,
    max_items: usize,
    ended: bool,
}

impl<S: PageScheme, K: Eq + Hash> Paginator<S, K> {
    /// Walks pages of `page_size` items (clamped to 1 and the scheme's largest page) from the
    /// scheme's first position, within [`MAX_WALK_ITEMS`].
    pub fn with_scheme(scheme: S, page_size: u32) -> Self {
        Self {
            page_size: page_size.clamp(1, scheme.max_page_size()),
            position: scheme.first(),
            scheme,
            pages: 0,
            yielded: 0,
            seen: HashSet::new(),
            max_items: MAX_WALK_ITEMS,
            ended: false,
        }
    }

    /// The same walk with another item bound (at least 1); the page bound follows from it.
    #[must_use]
    pub fn with_item_bound(mut self, max_items: usize) -> Self {
        self.max_items = max_items.max(1);
        self
    }

    /// The page size to ask for.
    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    /// The position of the first page (1 for page numbers, 0 for offsets).
    pub fn first(&self) -> u32 {
        self.scheme.first()
    }

    /// How many pages were accepted.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// The item bound.
    pub fn max_items(&self) -> usize {
        self.max_items
    }

    /// Takes the page fetched at the current position: returns its items not seen before (and
    /// those without an ID) and the next step, or why the walk cannot go on (the page's items are
    /// then dropped). Past a bound the page's items (up to the item bound) are returned with
    /// [`PageStep::Exceeded`]. The decision is [`decide`]'s.
    pub fn accept<P>(&mut self, page: P) -> Result<(Vec<P::Item>, PageStep), WalkError>
    where
        P: ListPage,
        P::Item: Keyed<Key = K>,
    {
        if self.ended {
            return Ok((Vec::new(), PageStep::Done));
        }
        self.pages = self.pages.saturating_add(1);
        let announced = page.announced();
        // The server may apply a smaller page size than asked: a page is short against that one.
        let applied = page
            .applied_page_size()
            .and_then(|l| u32::try_from(l).ok())
            .filter(|l| (1..self.page_size).contains(l))
            .unwrap_or(self.page_size);
        let items = page.into_items();
        let received = items.len();
        let mut new = 0usize;
        // The set grows by at most one page past the bound before the check.
        let mut fresh: Vec<P::Item> = items
            .into_iter()
            .filter(|item| match item.key() {
                Some(key) => {
                    let first = self.seen.insert(key);
                    new += usize::from(first);
                    first
                }
                None => true,
            })
            .collect();
        let counts = PageCounts {
            number: self.pages,
            received,
            new,
            kept: fresh.len(),
            before: self.yielded,
            page_size: applied as usize,
            announced,
        };
        let step = match decide(counts, WalkBounds::of_items(self.max_items, applied as usize)) {
            Ok(step) => step,
            Err(e) => {
                self.ended = true;
                return Err(e);
            }
        };
        let step = match step {
            PageStep::Next(_) => match self.scheme.after(self.position, received, applied) {
                Some(next) => {
                    self.position = next;
                    PageStep::Next(next)
                }
                // The last position the API can be asked for: the list goes on past it.
                None => PageStep::Exceeded(WalkError::TooManyPages {
                    limit: self.pages,
                    items: self.yielded.saturating_add(fresh.len()),
                    announced,
                }),
            },
            PageStep::Exceeded(e @ WalkError::TooManyItems { .. }) => {
                fresh.truncate(self.max_items.saturating_sub(self.yielded));
                PageStep::Exceeded(e)
            }
            other => other,
        };
        self.yielded = self.yielded.saturating_add(fresh.len());
        if !matches!(step, PageStep::Next(_)) {
            self.ended = true;
        }
        Ok((fresh, step))
    }
}

impl Paginator<PageNumber, JobId> {
    /// Walks the v1 list in pages of `per_page` jobs (1 to 1000), from page 1, within
    /// [`MAX_WALK_ITEMS`].
    pub fn new(per_page: u32) -> Self {
        Self::with_scheme(PageNumber, per_page)
    }

    /// The page size.
    pub fn per_page(&self) -> u32 {
        self.page_size
    }

    /// The page to fetch first.
    pub fn first_page(&self) -> u32 {
        1
    }
}

impl<K: Eq + Hash> Paginator<Offset, K> {
    /// Walks an offset list in pages of `limit` items (clamped to 1..=50) from offset 0, reading
    /// `offset` as `mode`, within [`MAX_WALK_ITEMS`].
    pub fn by_offset(limit: u32, mode: OffsetMode) -> Self {
        Self::with_scheme(Offset(mode), limit)
    }

    /// The page size to ask for.
    pub fn limit(&self) -> u32 {
        self.page_size
    }

    /// The offset of the first page.
    pub fn first_offset(&self) -> u32 {
        0
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
        // Over: nothing more.
        assert_eq!(p.accept(page(&[6, 7], None)), Ok((vec![], PageStep::Done)));
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
    fn the_derived_page_bound_is_an_error_not_a_silent_end() {
        // Bound 5 items at 2 a page: 3 pages + the margin. Pages of one new job and one repeat
        // reach the page bound with 1 + 13 jobs.
        let mut p = Paginator::new(2).with_item_bound(5);
        assert_eq!(page_bound(5, 2), 3 + PAGE_MARGIN);
        let huge = Some(1_000_000_000_000);
        // The first page brings two new jobs.
        assert_eq!(step(&mut p, &[1, 1000], huge), PageStep::Next(2));
        let mut last = PageStep::Done;
        for n in 2..=page_bound(5, 2) {
            last = step(&mut p, &[u64::from(n), 1000], huge);
            if !matches!(last, PageStep::Next(_)) {
                break;
            }
        }
        // The item bound came first here (5 jobs): shifted pages still count their new jobs.
        assert_eq!(last, PageStep::Exceeded(WalkError::TooManyItems { limit: 5, announced: huge }));
        // With a large item bound, pages of one new job stop at the derived page bound.
        let mut p = Paginator::new(2).with_item_bound(100);
        let bound = page_bound(100, 2);
        assert_eq!(step(&mut p, &[1, 1000], huge), PageStep::Next(2));
        for n in 2..bound {
            assert_eq!(step(&mut p, &[u64::from(n), 1000], huge), PageStep::Next(n + 1), "page {n}");
        }
        let (jobs, last) = p.accept(page(&[u64::from(bound), 1000], huge)).unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(
            last,
            PageStep::Exceeded(WalkError::TooManyPages {
                limit: bound,
                items: bound as usize + 1,
                announced: huge
            })
        );
        // The last allowed page may still end the walk normally.
        let mut p = Paginator::new(2).with_item_bound(4);
        step(&mut p, &[1, 2], None);
        assert_eq!(step(&mut p, &[3], None), PageStep::Done);
    }

    #[test]
    fn the_item_bound_is_an_error_after_the_jobs_up_to_it() {
        let mut p = Paginator::new(3).with_item_bound(5);
        assert_eq!(step(&mut p, &[1, 2, 3], None), PageStep::Next(2));
        let (jobs, last) = p.accept(page(&[4, 5, 6], None)).unwrap();
        assert_eq!(jobs.iter().map(|j| j.job_id.get()).collect::<Vec<_>>(), [4, 5]);
        assert_eq!(last, PageStep::Exceeded(WalkError::TooManyItems { limit: 5, announced: None }));
        assert_eq!(p.accept(page(&[7], None)), Ok((vec![], PageStep::Done)));
        // Exactly the bound is fine.
        let mut p = Paginator::new(3).with_item_bound(6);
        step(&mut p, &[1, 2, 3], None);
        assert_eq!(step(&mut p, &[4, 5, 6], Some(6)), PageStep::Done);
    }

    #[test]
    fn the_last_page_number_is_the_end_of_what_can_be_asked() {
        let mut p = Paginator::new(1);
        p.position = MAX_PAGE;
        let (jobs, last) = p.accept(page(&[1], Some(i64::MAX))).unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(
            last,
            PageStep::Exceeded(WalkError::TooManyPages { limit: 1, items: 1, announced: Some(i64::MAX) })
        );
    }

    #[test]
    fn the_schemes() {
        assert_eq!(
            (PageNumber.first(), PageNumber.after(1, 0, 10), PageNumber.after(MAX_PAGE, 10, 10)),
            (1, Some(2), None)
        );
        let pages = Offset(OffsetMode::PageIndex);
        assert_eq!((pages.first(), pages.after(0, 7, 7), pages.after(u32::MAX, 7, 7)), (0, Some(1), None));
        let records = Offset(OffsetMode::ItemOffset);
        assert_eq!((records.after(0, 7, 7), records.after(u32::MAX - 3, 7, 7)), (Some(7), None));
        assert_eq!((PageNumber.max_page_size(), pages.max_page_size()), (1_000, 50));
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
            // The bounds: past either, the page is good (up to the item bound), the walk failed.
            (
                PageCounts { number: 3, before: 6, new: 4, kept: 4, received: 4, ..full },
                Ok(PageStep::Exceeded(WalkError::TooManyPages { limit: 3, items: 10, announced: None })),
            ),
            (
                PageCounts { number: 3, before: 8, announced: Some(1_000), ..full },
                Ok(PageStep::Exceeded(WalkError::TooManyItems { limit: 10, announced: Some(1_000) })),
            ),
            // Past the item bound even on a short page: the list holds more.
            (
                PageCounts { number: 2, before: 8, received: 3, new: 3, kept: 3, ..full },
                Ok(PageStep::Exceeded(WalkError::TooManyItems { limit: 10, announced: None })),
            ),
            (PageCounts { number: 3, before: 6, announced: Some(10), ..full }, Ok(PageStep::Done)),
        ];
        for (i, (counts, decision)) in cases.into_iter().enumerate() {
            assert_eq!(decide(counts, bounds), decision, "case {i}: {counts:?}");
        }
    }

    #[test]
    fn the_default_bounds() {
        assert_eq!(MAX_WALK_ITEMS, 100_000);
        assert_eq!(page_bound(MAX_WALK_ITEMS, 1_000), 110);
        assert_eq!(page_bound(MAX_WALK_ITEMS, 1), 100_010);
        assert_eq!(page_bound(MAX_WALK_ITEMS, 0), 100_010);
        assert_eq!(page_bound(usize::MAX, 1), u32::MAX);
        let p = Paginator::new(5000);
        assert_eq!((p.per_page(), p.max_items()), (1000, MAX_WALK_ITEMS));
        assert_eq!(Paginator::new(10).with_item_bound(0).max_items(), 1);
    }

    #[test]
    fn a_server_inventing_full_pages_reaches_the_item_bound_first_whatever_the_page_size() {
        for per_page in [1u32, 7, 100, 300, 1000] {
            let mut p = Paginator::new(per_page).with_item_bound(2_000);
            let (mut yielded, mut next_id, mut requests) = (0usize, 1u64, 0u32);
            let end = loop {
                requests += 1;
                let ids: Vec<u64> = (next_id..next_id + u64::from(per_page)).collect();
                next_id += u64::from(per_page);
                let (jobs, step) = p.accept(page(&ids, Some(i64::MAX))).unwrap();
                yielded += jobs.len();
                if !matches!(step, PageStep::Next(_)) {
                    break step;
                }
            };
            assert_eq!(
                end,
                PageStep::Exceeded(WalkError::TooManyItems { limit: 2_000, announced: Some(i64::MAX) })
            );
            assert_eq!(yielded, 2_000, "{per_page}: the jobs up to the bound");
            assert_eq!(requests as usize, 2_000 / per_page as usize + 1, "{per_page}");
        }
    }
}
