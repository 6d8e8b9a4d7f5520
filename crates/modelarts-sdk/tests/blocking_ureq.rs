//! The blocking client over ureq (the `blocking_ureq` example) against the emulator over HTTPS,
//! signatures enforced: one effective stop, then KILLED, decided by the emulator's read count.
#![allow(clippy::unwrap_used, reason = "a failure is a test failure")]

#[path = "../examples/blocking_ureq.rs"]
mod example;

use modelarts_sdk::{JobStatus, StopOutcome};

#[test]
fn the_blocking_client_over_ureq_stops_and_waits_until_killed() {
    let demo = example::demo().unwrap();
    assert_eq!(demo.done.stop, StopOutcome::Accepted);
    assert_eq!(demo.done.version.status, JobStatus::Killed);
    // KILLING, KILLING, then KILLED on the read after 3 reads.
    assert!(demo.polls >= 3, "{} polls", demo.polls);
    assert_eq!(demo.effective_stops, 1);
    assert!(demo.all_signed, "every request verified by the emulator");
}
