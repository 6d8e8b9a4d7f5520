//! The throttle mode: a global token bucket on the emulator clock; requests that find it empty are
//! answered 429 `APIG.0308`.

use serde::{Deserialize, Serialize};

use crate::faults::RetryAfter;

/// Throttle-mode settings (`POST /__emulator/throttle`, `--throttle-rps`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ThrottleSettings {
    /// Sustained requests per second (≥ 1).
    pub rps: u32,
    /// Bucket size: how many requests may come at once; `rps` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<u32>,
    /// The `Retry-After` header on throttled answers; none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<RetryAfter>,
}

impl ThrottleSettings {
    /// `rps` requests per second, burst `rps`, no `Retry-After`.
    pub fn per_second(rps: u32) -> Self {
        Self { rps, burst: None, retry_after: None }
    }

    /// Sets the bucket size.
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = Some(burst);
        self
    }

    /// Sets `Retry-After: <secs>`.
    pub fn retry_after_secs(mut self, secs: u64) -> Self {
        self.retry_after = Some(RetryAfter::Seconds(secs));
        self
    }
}

/// A token bucket fed on the emulator clock (ms).
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    pub(crate) settings: ThrottleSettings,
    capacity: f64,
    tokens: f64,
    last_ms: u64,
}

impl TokenBucket {
    pub(crate) fn new(settings: ThrottleSettings, now_ms: u64) -> Self {
        let capacity = f64::from(settings.burst.unwrap_or(settings.rps).max(1));
        Self { settings, capacity, tokens: capacity, last_ms: now_ms }
    }

    /// Takes a token if there is one.
    pub(crate) fn try_take(&mut self, now_ms: u64) -> bool {
        // A clock moved backwards (offset change) refills nothing.
        let elapsed = now_ms.saturating_sub(self.last_ms);
        self.last_ms = self.last_ms.max(now_ms);
        let rate = f64::from(self.settings.rps.max(1)) / 1000.0;
        self.tokens = (self.tokens + elapsed as f64 * rate).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_rate() {
        let mut b = TokenBucket::new(ThrottleSettings::per_second(10).burst(3), 0);
        let first: Vec<bool> = (0..4).map(|_| b.try_take(0)).collect();
        assert_eq!(first, [true, true, true, false]);
        assert!(!b.try_take(50), "half a token after 50 ms");
        assert!(b.try_take(100), "one token after 100 ms");
        assert!(!b.try_take(100));
        // Refill is capped at the burst.
        let later: usize = (0..10).filter(|_| b.try_take(100_000)).count();
        assert_eq!(later, 3);
    }
}
