//! Unit tests of the loops and the configuration, with an `HttpSend` fake and paused time.

mod config;
mod dry_run;
mod fake;
mod logging;
mod loops;
#[cfg(feature = "blocking")]
mod parity;
