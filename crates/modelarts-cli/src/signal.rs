//! The signals that end a run early: Ctrl-C (SIGINT, exit 130) and, on Unix, SIGTERM (exit 143).
//! Both are handled the same way: waiting stops, and the outcomes known so far are printed.

use crate::exit::ExitStatus;

/// Resolves when the process is asked to stop, with the exit status that says how.
pub(crate) async fn interrupted() -> ExitStatus {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => ExitStatus::Interrupted,
                _ = term.recv() => ExitStatus::Terminated,
            };
        }
    }
    // Without a SIGTERM handler (not Unix, or it could not be installed): Ctrl-C alone. A failure
    // to listen for Ctrl-C never resolves, rather than reading as an interruption.
    match tokio::signal::ctrl_c().await {
        Ok(()) => ExitStatus::Interrupted,
        Err(_) => std::future::pending().await,
    }
}

/// How an interruption is named in messages.
pub(crate) fn describe(status: ExitStatus) -> &'static str {
    if status == ExitStatus::Terminated { "terminated (SIGTERM)" } else { "interrupted" }
}
