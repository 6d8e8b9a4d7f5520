//! Walking every page of the job list, and stopping even when the server misbehaves: an empty page,
//! a short page, the announced total reached, the last page number, or a page that repeats one seen
//! before (its jobs are dropped, and the walk ends).

use std::collections::HashSet;

use crate::ids::JobId;
use crate::model::{JobList, JobSummary};
use crate::operations::list_training_jobs::MAX_PAGE;

/// What to do after a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageStep {
    /// Fetch this page next.
    Next(u32),
    /// The walk is over.
    Done,
}

/// The state of a walk over the job list.
#[derive(Debug, Clone)]
pub struct Paginator {
    per_page: u32,
    next_page: u32,
    seen: HashSet<JobId>,
    repeated_page: bool,
}

impl Paginator {
    /// Walks pages of `per_page` jobs (1 to 1000), from page 1.
    pub fn new(per_page: u32) -> Self {
        Self { per_page: per_page.clamp(1, 1000), next_page: 1, seen: HashSet::new(), repeated_page: false }
    }

    /// The page size.
    pub fn per_page(&self) -> u32 {
        self.per_page
    }

    /// The page to fetch first.
    pub fn first_page(&self) -> u32 {
        1
    }

    /// Whether the walk ended because the server repeated a page.
    pub fn saw_repeated_page(&self) -> bool {
        self.repeated_page
    }

    /// Takes a fetched page: returns its jobs not seen before, and the next step.
    pub fn accept(&mut self, page: JobList) -> (Vec<JobSummary>, PageStep) {
        let received = page.jobs.len();
        let total = page.job_total_count;
        let fresh: Vec<JobSummary> = page.jobs.into_iter().filter(|j| self.seen.insert(j.job_id)).collect();
        if received > 0 && fresh.is_empty() {
            self.repeated_page = true;
            return (fresh, PageStep::Done);
        }
        let short = received < self.per_page as usize;
        let total_reached = total.is_some_and(|t| t >= 0 && self.seen.len() as u64 >= t as u64);
        let step = if received == 0 || short || total_reached || self.next_page >= MAX_PAGE {
            PageStep::Done
        } else {
            self.next_page += 1;
            PageStep::Next(self.next_page)
        };
        (fresh, step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::JobStatus;

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

    #[test]
    fn walks_until_a_short_page() {
        let mut p = Paginator::new(2);
        assert_eq!(p.accept(page(&[1, 2], None)).1, PageStep::Next(2));
        assert_eq!(p.accept(page(&[3, 4], None)).1, PageStep::Next(3));
        let (jobs, step) = p.accept(page(&[5], None));
        assert_eq!((jobs.len(), step), (1, PageStep::Done));
    }

    #[test]
    fn stops_on_empty_page_and_on_total() {
        let mut p = Paginator::new(2);
        assert_eq!(p.accept(page(&[], None)), (vec![], PageStep::Done));
        let mut p = Paginator::new(2);
        assert_eq!(p.accept(page(&[1, 2], Some(2))).1, PageStep::Done);
    }

    #[test]
    fn a_repeated_page_ends_the_walk_without_duplicates() {
        let mut p = Paginator::new(2);
        assert_eq!(p.accept(page(&[1, 2], Some(100))).1, PageStep::Next(2));
        let (jobs, step) = p.accept(page(&[1, 2], Some(100)));
        assert!(jobs.is_empty());
        assert_eq!(step, PageStep::Done);
        assert!(p.saw_repeated_page());
        // A shifted page keeps only the new jobs.
        let mut p = Paginator::new(2);
        p.accept(page(&[1, 2], None));
        let (jobs, _) = p.accept(page(&[2, 3], None));
        assert_eq!(jobs.iter().map(|j| j.job_id.get()).collect::<Vec<_>>(), [3]);
    }
}
