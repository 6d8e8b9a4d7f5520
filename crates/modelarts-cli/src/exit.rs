//! The exit statuses of `modelarts`: what a script may branch on.
//!
//! Every status is documented here and in `--help`. The meaning of a service error (refused,
//! throttled, transient) is decided by the SDK and the protocol crate; this module only maps their
//! classes to numbers and never inspects HTTP codes itself.

use std::fmt::Write as _;

use modelarts_protocol::stop::Outcome;

/// How `modelarts` ended. The numeric value is the process exit code.
///
/// For a batch stop (`--from-file`, `--running`) the worst outcome of all the versions decides, in
/// the order of [`ExitStatus::BATCH_ORDER`]: an interruption first, then configuration errors,
/// unexpected errors, transient failures, refusals, wait time-outs and other final states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExitStatus {
    /// 0: everything asked for was done.
    Success,
    /// 1: an unexpected error (an unreadable answer from the service: malformed, or over the
    /// transport's size cap, which is not retried; a job list that never ends; a local I/O error).
    Other,
    /// 2: the command line is wrong (unknown flag, bad ID, duration or status name, malformed
    /// `--from-file` line, or a batch stop without `--yes` where no one can confirm it).
    Usage,
    /// 3: configuration or credentials are missing or invalid (no project ID, no region or
    /// endpoint, no credentials, an unreadable CA bundle, a setting that is not UTF-8, or the service
    /// or a proxy (407) rejected the credentials), or the server's TLS certificate was rejected
    /// (expired, for another name, unknown CA).
    Config,
    /// 4: the service refused the request (HTTP 4xx: not found, not allowed, conflict).
    Refused,
    /// 5: the service stayed unavailable or throttled, or the network failed, after all retries.
    Transient,
    /// 6: `--wait` or `wait` gave up after `--max-wait`; the version may still be stopping.
    WaitTimedOut,
    /// 7: the version ended in another final state (COMPLETED, FAILED, LOST, …) instead of KILLED.
    OtherFinalState,
    /// 130: interrupted by Ctrl-C; waiting stopped, stops already sent are not undone.
    Interrupted,
}

impl ExitStatus {
    /// Every status, in numeric order.
    pub const ALL: &'static [ExitStatus] = &[
        ExitStatus::Success,
        ExitStatus::Other,
        ExitStatus::Usage,
        ExitStatus::Config,
        ExitStatus::Refused,
        ExitStatus::Transient,
        ExitStatus::WaitTimedOut,
        ExitStatus::OtherFinalState,
        ExitStatus::Interrupted,
    ];

    /// The order in which a batch's outcomes decide its exit status, worst first.
    pub const BATCH_ORDER: &'static [ExitStatus] = &[
        ExitStatus::Interrupted,
        ExitStatus::Usage,
        ExitStatus::Config,
        ExitStatus::Other,
        ExitStatus::Transient,
        ExitStatus::Refused,
        ExitStatus::WaitTimedOut,
        ExitStatus::OtherFinalState,
        ExitStatus::Success,
    ];

    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Other => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Config => 3,
            ExitStatus::Refused => 4,
            ExitStatus::Transient => 5,
            ExitStatus::WaitTimedOut => 6,
            ExitStatus::OtherFinalState => 7,
            ExitStatus::Interrupted => 130,
        }
    }

    /// A one-line description, as shown in `--help`.
    pub fn description(self) -> &'static str {
        match self {
            ExitStatus::Success => "success",
            ExitStatus::Other => "unexpected error (unreadable answer, local I/O error)",
            ExitStatus::Usage => {
                "usage: bad flag, ID, duration, status or input file; batch stop without --yes off a terminal"
            }
            ExitStatus::Config => {
                "configuration or credentials missing, invalid or rejected (also by a proxy); TLS certificate rejected"
            }
            ExitStatus::Refused => "the service refused the request (4xx: not found, not allowed, conflict)",
            ExitStatus::Transient => "unavailable, throttled or network failure after all retries",
            ExitStatus::WaitTimedOut => "the wait timed out (--max-wait); the job may still be stopping",
            ExitStatus::OtherFinalState => {
                "the job ended in another final state (v2 Completed, Failed, Abnormal; v1 COMPLETED, FAILED, …)"
            }
            ExitStatus::Interrupted => "interrupted (Ctrl-C)",
        }
    }

    /// Lower is worse; see [`ExitStatus::BATCH_ORDER`].
    fn rank(self) -> usize {
        Self::BATCH_ORDER.iter().position(|s| *s == self).unwrap_or(Self::BATCH_ORDER.len())
    }

    /// The worse of two statuses, for batches.
    ///
    /// ```
    /// use modelarts_cli::ExitStatus;
    /// assert_eq!(ExitStatus::Success.worst(ExitStatus::Refused), ExitStatus::Refused);
    /// assert_eq!(ExitStatus::Transient.worst(ExitStatus::Refused), ExitStatus::Transient);
    /// ```
    pub fn worst(self, other: ExitStatus) -> ExitStatus {
        if other.rank() < self.rank() { other } else { self }
    }

    /// The `EXIT STATUS` section of `--help`.
    pub fn help_section() -> String {
        let mut text = String::from("Exit status:\n");
        for status in Self::ALL {
            // Writing to a String cannot fail.
            let _ = writeln!(text, "  {:>3}  {}", status.code(), status.description());
        }
        text.push_str("  A batch stop exits with its worst outcome, in this order: ");
        let order: Vec<String> = Self::BATCH_ORDER.iter().map(|s| s.code().to_string()).collect();
        text.push_str(&order.join(" > "));
        text.push('.');
        text
    }
}

/// The one table from a stop target's outcome to its name and exit status, for a single stop, a
/// wait and every line of a batch alike. `failed` is the exit status of the error that made the
/// target fail (from [`crate::failure`]); `interrupted` is the CLI's own and not in the table.
pub(crate) fn of_outcome<S: modelarts_protocol::stop::StopStatus>(
    outcome: Outcome<S>,
    failed: Option<ExitStatus>,
) -> (&'static str, ExitStatus) {
    let status = match outcome {
        Outcome::Stopped(_) | Outcome::AlreadyStopped(_) => ExitStatus::Success,
        Outcome::NotFound => ExitStatus::Refused,
        Outcome::Failed => failed.unwrap_or(ExitStatus::Other),
        Outcome::WaitTimedOut(_) => ExitStatus::WaitTimedOut,
        Outcome::EndedOtherwise(_) => ExitStatus::OtherFinalState,
    };
    (outcome.name(), status)
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_ordered() {
        let codes: Vec<u8> = ExitStatus::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 7, 130]);
        assert_eq!(ExitStatus::BATCH_ORDER.len(), ExitStatus::ALL.len());
        for s in ExitStatus::ALL {
            assert!(ExitStatus::BATCH_ORDER.contains(s), "{s:?}");
        }
    }

    #[test]
    fn outcome_table() {
        use modelarts_protocol::JobStatus::*;
        let cases = [
            (Outcome::Stopped(None), None, ("stopped", ExitStatus::Success)),
            (Outcome::Stopped(Some(Killed)), None, ("stopped", ExitStatus::Success)),
            (Outcome::AlreadyStopped(Killing), None, ("already_stopped", ExitStatus::Success)),
            (Outcome::NotFound, Some(ExitStatus::Refused), ("not_found", ExitStatus::Refused)),
            (Outcome::Failed, Some(ExitStatus::Transient), ("failed", ExitStatus::Transient)),
            (Outcome::Failed, None, ("failed", ExitStatus::Other)),
            (Outcome::WaitTimedOut(Some(Killing)), None, ("wait_timed_out", ExitStatus::WaitTimedOut)),
            (Outcome::EndedOtherwise(Completed), None, ("ended_otherwise", ExitStatus::OtherFinalState)),
        ];
        for (outcome, failed, expected) in cases {
            assert_eq!(of_outcome(outcome, failed), expected, "{outcome:?}");
        }
    }

    #[test]
    fn worst_is_commutative_table() {
        let order = ExitStatus::BATCH_ORDER;
        for (i, a) in order.iter().enumerate() {
            for b in &order[i..] {
                assert_eq!(a.worst(*b), *a, "{a:?} vs {b:?}");
                assert_eq!(b.worst(*a), *a, "{b:?} vs {a:?}");
            }
        }
    }
}
