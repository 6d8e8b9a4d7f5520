//! The decisions and the machines that carry them: [`retry`] (whether and when to try again),
//! [`call`] (one operation's attempts), [`stop`] (the safe stop and the outcome classifier),
//! [`waiter`] (the wait for a final status), [`watch`] (one wait for many targets) and
//! [`pagination`] (the walk over list pages). Each machine is driven from outside: it says what it
//! needs next (send this, sleep this long, done) and takes the answer back; it never sends, sleeps
//! or reads a clock itself. [`drive`] is the one interface of the call, the safe stop, the waiter and
//! the stop-then-wait ([`drive::Machine`], implemented in [`steps`]); watch, pagination and the log cursors still have verbs
//! of their own.
//!
//! The machines are also re-exported at the crate's root (`modelarts_protocol::call`, …), the
//! paths they had before this module grouped them.

pub mod call;
pub mod drive;
pub mod pagination;
pub mod retry;
pub mod steps;
pub mod stop;
pub mod waiter;
pub mod watch;
