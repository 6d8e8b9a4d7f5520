//! Progress on stderr: a spinner with the live status while waiting, a bar for batches.
//!
//! Hidden when stderr is not a terminal, with `--no-progress`, `-q` or `--output json`, so that
//! logs and pipes never receive control sequences.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Makes spinners and bars, or hidden ones.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Progress {
    enabled: bool,
}

impl Progress {
    pub(crate) fn new(enabled: bool) -> Self {
        Self { enabled }
    }

    /// A spinner with a message, ticking on its own.
    pub(crate) fn spinner(&self, message: String) -> ProgressBar {
        if !self.enabled {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
            bar.set_style(style);
        }
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }

    /// A bar of `len` steps.
    pub(crate) fn bar(&self, len: u64, message: &'static str) -> ProgressBar {
        if !self.enabled {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} [{elapsed}] {prefix}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    }
}
