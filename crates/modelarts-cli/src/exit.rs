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
    /// `--from-file` line, a v2 job name that several jobs bear, or a batch stop without `--yes`
    /// where no one can confirm it).
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
    /// 8: the confirmation was declined: nothing was sent.
    Declined,
    /// 130: interrupted by Ctrl-C (SIGINT); waiting stopped, stops already sent are not undone.
    Interrupted,
    /// 143: terminated by SIGTERM; as for Ctrl-C, the outcomes known so far are printed.
    Terminated,
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
        ExitStatus::Declined,
        ExitStatus::Interrupted,
        ExitStatus::Terminated,
    ];

    /// The order in which a batch's outcomes decide its exit status, worst first.
    pub const BATCH_ORDER: &'static [ExitStatus] = &[
        ExitStatus::Terminated,
        ExitStatus::Interrupted,
        ExitStatus::Declined,
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
            ExitStatus::Declined => 8,
            ExitStatus::Interrupted => 130,
            ExitStatus::Terminated => 143,
        }
    }

    /// A one-line description, as shown in `--help`.
    pub fn description(self) -> &'static str {
        match self {
            ExitStatus::Success => "success",
            ExitStatus::Other => "unexpected error (unreadable answer, local I/O error)",
            ExitStatus::Usage => {
                "usage: bad flag, ID, duration, status or input file; a job name several jobs bear; batch stop without --yes off a terminal"
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
            ExitStatus::Declined => "the confirmation was declined: nothing was sent",
            ExitStatus::Interrupted => {
                "interrupted (Ctrl-C): stops already sent go on; the outcomes known are printed"
            }
            ExitStatus::Terminated => "terminated (SIGTERM): as for Ctrl-C",
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

/// The outcome table of `docs/cli.md`, for both APIs: (name, what was seen, exit status). Every
/// name of the protocol's `Outcome::NAMES` has one row (a test checks it); later commands add rows
/// here, never names of their own.
pub(crate) const OUTCOME_TABLE: &[(&str, &str, &str)] = &[
    ("stopped", "a stopped status was read: v1 KILLED or CANCELED, v2 Terminated", "0"),
    (
        "stop_requested",
        "the stop was accepted, and KILLING / Terminating or nothing was read since; `hint` gives the `wait` command",
        "0; 6 when `--wait` gave up; the error's status when the wait's read failed",
    ),
    (
        "already_stopping",
        "a stop was already under way (the stop was refused and KILLING / Terminating read; or `wait` found it so)",
        "0; 6 when `--wait` gave up",
    ),
    ("already_stopped", "it was already stopped (KILLED, CANCELED, Terminated) before this stop", "0"),
    (
        "ended_otherwise",
        "it ended in another final state: v1 COMPLETED, FAILED, LOST, …; v2 Completed, Failed, Abnormal",
        "7",
    ),
    ("not_found", "the job or version does not exist", "4"),
    (
        "unknown",
        "the stop may have been sent, and no status could be read (a lost answer, or an interruption)",
        "the error's status (5 for a network failure); 130 or 143 when interrupted",
    ),
    (
        "not_sent",
        "no stop took effect: refused (the status read, if any, shows it still running), or skipped before sending; also `wait` on a job that is not stopping when its time is up",
        "the refusal's status (3, 4, 5); 6 for `wait`",
    ),
    (
        "failed",
        "the stop may have been sent and the job still reads running after every attempt, or a `wait` alone failed",
        "the error's status (1 when none)",
    ),
];

/// The one table from a stop target's outcome to its name and exit status, for a single stop, a
/// wait and every line of a batch alike (`docs/cli.md`, "Outcomes"). `failed` is the exit status
/// of the error that came with the outcome (from [`crate::failure`]): it decides when there is one.
/// An interruption is the CLI's own and overrides the status afterwards.
pub(crate) fn of_outcome<S: modelarts_protocol::stop::StopStatus>(
    outcome: Outcome<S>,
    failed: Option<ExitStatus>,
) -> (&'static str, ExitStatus) {
    let gave_up = if outcome.wait_gave_up() { ExitStatus::WaitTimedOut } else { ExitStatus::Success };
    let status = match outcome {
        Outcome::Stopped(_) | Outcome::AlreadyStopped(_) => ExitStatus::Success,
        Outcome::StopRequested { .. } | Outcome::AlreadyStopping { .. } => failed.unwrap_or(gave_up),
        Outcome::EndedOtherwise(_) => ExitStatus::OtherFinalState,
        Outcome::NotFound => ExitStatus::Refused,
        Outcome::NotSent { wait_gave_up: true, .. } => ExitStatus::WaitTimedOut,
        Outcome::NotSent { .. } => failed.unwrap_or(ExitStatus::Refused),
        _ => failed.unwrap_or(ExitStatus::Other),
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
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 7, 8, 130, 143]);
        assert_eq!(ExitStatus::BATCH_ORDER.len(), ExitStatus::ALL.len());
        for s in ExitStatus::ALL {
            assert!(ExitStatus::BATCH_ORDER.contains(s), "{s:?}");
        }
    }

    #[test]
    fn outcome_table() {
        use modelarts_protocol::JobStatus::*;
        let requested = |status, wait_gave_up| Outcome::StopRequested { status, wait_gave_up };
        let cases = [
            (Outcome::Stopped(Killed), None, ("stopped", ExitStatus::Success)),
            (requested(None, false), None, ("stop_requested", ExitStatus::Success)),
            (requested(Some(Killing), false), None, ("stop_requested", ExitStatus::Success)),
            (requested(Some(Killing), true), None, ("stop_requested", ExitStatus::WaitTimedOut)),
            (requested(None, false), Some(ExitStatus::Transient), ("stop_requested", ExitStatus::Transient)),
            (
                Outcome::AlreadyStopping { status: Killing, wait_gave_up: false },
                None,
                ("already_stopping", ExitStatus::Success),
            ),
            (Outcome::AlreadyStopped(Killed), None, ("already_stopped", ExitStatus::Success)),
            (Outcome::EndedOtherwise(Completed), None, ("ended_otherwise", ExitStatus::OtherFinalState)),
            (Outcome::NotFound, Some(ExitStatus::Refused), ("not_found", ExitStatus::Refused)),
            (Outcome::Unknown, Some(ExitStatus::Transient), ("unknown", ExitStatus::Transient)),
            (Outcome::Unknown, None, ("unknown", ExitStatus::Other)),
            (
                Outcome::NotSent { status: Some(Running), wait_gave_up: false },
                Some(ExitStatus::Config),
                ("not_sent", ExitStatus::Config),
            ),
            (
                Outcome::NotSent { status: Some(Running), wait_gave_up: true },
                None,
                ("not_sent", ExitStatus::WaitTimedOut),
            ),
            (Outcome::Failed, Some(ExitStatus::Transient), ("failed", ExitStatus::Transient)),
            (Outcome::Failed, None, ("failed", ExitStatus::Other)),
        ];
        for (outcome, failed, expected) in cases {
            assert_eq!(of_outcome(outcome, failed), expected, "{outcome:?}");
        }
        // Every name of the protocol's table is in this one, and in the documented table, in order.
        let names: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.2.0).collect();
        let all = Outcome::<modelarts_protocol::JobStatus>::NAMES;
        assert_eq!(names, all.iter().copied().collect());
        let documented: Vec<&str> = OUTCOME_TABLE.iter().map(|row| row.0).collect();
        assert_eq!(documented, all);
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
