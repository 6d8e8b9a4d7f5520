//! Test support for the reliability evidence in `docs/reliability.md` (not published).
//!
//! - [`soak`]: batches of stops against an in-process emulator with a seeded mix of faults, checking
//!   after every batch that each version has exactly one outcome, that no version was stopped twice
//!   (journal `effective_stop`), that every version reported stopped is KILLING or KILLED, and that
//!   resident memory stays flat. `cargo xtask soak` runs it for a duration; the test
//!   `tests/soak.rs` runs it for about 5 s in `cargo test --workspace`.
//! - [`docs`]: sections of a Markdown file that a test generates and checks (`UPDATE_DOCS=1`
//!   rewrites them): the fault matrix and the bad-input table are kept true this way.
//! - [`rss`]: the process's resident memory from `/proc/self/status`.
//! - [`servers`]: loopback servers with a bad TLS certificate (expired, wrong host, untrusted CA)
//!   or a canned answer (a redirect), for the CLI's TLS tests.
//! - [`hostile`]: a raw HTTP/1.1 server answering scripted bytes (endless pages, `200 {}`, garbage,
//!   huge headers, resets): what the emulator never sends.
//!
//! The soak lives here rather than in `xtask` so that the same code is reachable from a test, and
//! rather than in the SDK so that the SDK does not depend on the emulator.

mod background;
pub mod docs;
pub mod hostile;
pub mod rss;
pub mod servers;
pub mod soak;
