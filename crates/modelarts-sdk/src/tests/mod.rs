//! Unit tests of the loops and the configuration, with an `HttpSend` fake and paused time.

mod config;
mod fake;
mod logging;
mod loops;
