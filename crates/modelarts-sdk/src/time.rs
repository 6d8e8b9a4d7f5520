//! Time, injected: a [`Clock`] (the wall clock for signing and skew, a monotonic one for elapsed
//! times) and a [`Sleeper`]. The client reads time and sleeps only through them, so a test, a
//! simulation or another runtime can drive every loop (call retries, safe stop, waiter, batch)
//! without waiting on the wall clock. Defaults: [`SystemClock`] and [`TokioSleeper`]; the blocking
//! client's sleepers (`BlockingSleeper`, `ThreadSleeper`) live here too, below both clients.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
#[cfg(feature = "blocking")]
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// A sleep in progress.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Where the client reads the time.
pub trait Clock: Send + Sync + 'static {
    /// The wall-clock time (requests are signed with it, corrected by the measured skew).
    fn now(&self) -> SystemTime;
    /// A monotonic time since an origin fixed for this clock (waits and elapsed times).
    fn monotonic(&self) -> Duration;
}

/// How the client sleeps (backoffs, waiter delays).
pub trait Sleeper: Send + Sync + 'static {
    /// A future that is ready after `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// The system's wall clock, and tokio's monotonic clock (which a paused tokio runtime controls).
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: tokio::time::Instant,
}

impl SystemClock {
    /// A clock whose monotonic origin is now.
    pub fn new() -> Self {
        Self { origin: tokio::time::Instant::now() }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// Sleeps on tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// The time sources of a client (shared by its clones).
#[derive(Clone)]
pub(crate) struct Time {
    pub(crate) clock: std::sync::Arc<dyn Clock>,
    pub(crate) sleeper: std::sync::Arc<dyn Sleeper>,
    /// Whether sleeps block the thread (the blocking client): then a sleep cannot race a call, and
    /// bounded calls are bounded another way.
    #[cfg(feature = "blocking")]
    pub(crate) blocking: bool,
}

impl Time {
    pub(crate) fn system() -> Self {
        Self {
            clock: std::sync::Arc::new(SystemClock::new()),
            sleeper: std::sync::Arc::new(TokioSleeper),
            #[cfg(feature = "blocking")]
            blocking: false,
        }
    }

    pub(crate) fn now(&self) -> SystemTime {
        self.clock.now()
    }

    pub(crate) fn monotonic(&self) -> Duration {
        self.clock.monotonic()
    }

    pub(crate) async fn sleep(&self, duration: Duration) {
        self.sleeper.sleep(duration).await;
    }
}

impl fmt::Debug for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Time").finish_non_exhaustive()
    }
}

/// How the blocking client sleeps (backoffs, waiter delays): it blocks the calling thread.
#[cfg(feature = "blocking")]
pub trait BlockingSleeper: Send + Sync + 'static {
    /// Returns after `duration` (or, in a test, after moving a simulated clock by it).
    fn sleep(&self, duration: Duration);
}

/// Sleeps with [`std::thread::sleep`].
#[cfg(feature = "blocking")]
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadSleeper;

#[cfg(feature = "blocking")]
impl BlockingSleeper for ThreadSleeper {
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

#[cfg(feature = "blocking")]
impl<F: Fn(Duration) + Send + Sync + 'static> BlockingSleeper for F {
    fn sleep(&self, duration: Duration) {
        self(duration);
    }
}

/// A blocking sleeper seen as the async client's [`Sleeper`]: the sleep happens when it is asked
/// for, and the future is ready at once.
#[cfg(feature = "blocking")]
pub(crate) struct BlockingSleep(pub(crate) Arc<dyn BlockingSleeper>);

#[cfg(feature = "blocking")]
impl Sleeper for BlockingSleep {
    fn sleep(&self, duration: Duration) -> Sleep {
        self.0.sleep(duration);
        Box::pin(std::future::ready(()))
    }
}
