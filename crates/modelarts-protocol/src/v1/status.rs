//! Training-job status codes (0 to 22) and what they mean for stopping and waiting.

use std::fmt;

macro_rules! statuses {
    ($( $code:literal => $variant:ident, $api_name:literal, $short:literal, $meaning:literal; )*) => {
        /// The status of a training job version, as the API's integer `status` field.
        ///
        /// Codes the table does not know are kept as [`JobStatus::Unknown`].
        ///
        /// ```
        /// use modelarts_protocol::JobStatus;
        /// let s = JobStatus::from_code(12);
        /// assert_eq!(s, JobStatus::Killed);
        /// assert_eq!(s.name(), "KILLED");
        /// assert!(s.is_stopped() && s.is_terminal());
        /// assert!(!JobStatus::Killing.is_terminal());
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum JobStatus {
            $( #[doc = concat!($code, " `", $api_name, "`: ", $meaning, ".")] $variant, )*
            /// A code outside the documented table.
            Unknown(i32),
        }

        impl JobStatus {
            /// Every documented status, in code order.
            pub const ALL: &'static [JobStatus] = &[$(JobStatus::$variant),*];

            /// The status for an API code.
            pub fn from_code(code: i32) -> Self {
                match code {
                    $( $code => JobStatus::$variant, )*
                    other => JobStatus::Unknown(other),
                }
            }

            /// The API's integer code.
            pub fn code(self) -> i32 {
                match self {
                    $( JobStatus::$variant => $code, )*
                    JobStatus::Unknown(code) => code,
                }
            }

            /// The documented constant name, e.g. `JOBSTAT_KILLED` (`UNKNOWN` for unknown codes).
            pub fn api_name(self) -> &'static str {
                match self {
                    $( JobStatus::$variant => $api_name, )*
                    JobStatus::Unknown(_) => "UNKNOWN",
                }
            }

            /// A short human-readable name, e.g. `KILLED`.
            pub fn name(self) -> &'static str {
                match self {
                    $( JobStatus::$variant => $short, )*
                    JobStatus::Unknown(_) => "UNKNOWN",
                }
            }

            /// What the status means, in words.
            pub fn meaning(self) -> &'static str {
                match self {
                    $( JobStatus::$variant => $meaning, )*
                    JobStatus::Unknown(_) => "a status code this client does not know",
                }
            }

            /// Parses a status name (`killed`, `KILLED`, `JOBSTAT_KILLED`) or code (`12`).
            pub fn from_name(text: &str) -> Option<Self> {
                let t = text.trim();
                if let Ok(code) = t.parse::<i32>() {
                    return Some(Self::from_code(code));
                }
                let upper = t.to_ascii_uppercase().replace('-', "_");
                Self::ALL
                    .iter()
                    .copied()
                    .find(|s| s.name() == upper || s.api_name() == upper)
            }
        }
    };
}

statuses! {
    0 => Undetermined, "JOBSTAT_UNKNOWN", "UNKNOWN", "unknown";
    1 => Init, "JOBSTAT_INIT", "INIT", "initialising";
    2 => ImageCreating, "JOBSTAT_IMAGE_CREATING", "IMAGE_CREATING", "the image is being built";
    3 => ImageFailed, "JOBSTAT_IMAGE_FAILED", "IMAGE_FAILED", "the image build failed";
    4 => SubmitTrying, "JOBSTAT_SUBMIT_TRYING", "SUBMIT_TRYING", "being submitted";
    5 => SubmitFailed, "JOBSTAT_SUBMIT_FAILED", "SUBMIT_FAILED", "the submission failed";
    6 => DeleteFailed, "JOBSTAT_DELETE_FAILED", "DELETE_FAILED", "the deletion failed";
    7 => Waiting, "JOBSTAT_WAITING", "WAITING", "queued";
    8 => Running, "JOBSTAT_RUNNING", "RUNNING", "running";
    9 => Killing, "JOBSTAT_KILLING", "KILLING", "being stopped";
    10 => Completed, "JOBSTAT_COMPLETED", "COMPLETED", "completed";
    11 => Failed, "JOBSTAT_FAILED", "FAILED", "the run failed";
    12 => Killed, "JOBSTAT_KILLED", "KILLED", "stopped";
    13 => Canceled, "JOBSTAT_CANCELED", "CANCELED", "cancelled";
    14 => Lost, "JOBSTAT_LOST", "LOST", "lost";
    15 => Scaling, "JOBSTAT_SCALING", "SCALING", "scaling";
    16 => SubmitModelFailed, "JOBSTAT_SUBMIT_MODEL_FAILED", "SUBMIT_MODEL_FAILED", "the model submission failed";
    17 => DeployServiceFailed, "JOBSTAT_DEPLOY_SERVICE_FAILED", "DEPLOY_SERVICE_FAILED", "the service deployment failed";
    18 => CheckInit, "JOBSTAT_CHECK_INIT", "CHECK_INIT", "the review is initialising";
    19 => CheckRunning, "JOBSTAT_CHECK_RUNNING", "CHECK_RUNNING", "under review";
    20 => CheckRunningCompleted, "JOBSTAT_CHECK_RUNNING_COMPLETED", "CHECK_RUNNING_COMPLETED", "the review finished";
    21 => CheckFailed, "JOBSTAT_CHECK_FAILED", "CHECK_FAILED", "the review failed";
    22 => MountFailed, "MOUNT_FAILED", "MOUNT_FAILED", "mounting failed";
}

impl JobStatus {
    /// Whether the version has reached a final state: it will not change again.
    ///
    /// KILLING (9) is not final; 0 (unknown) and unknown codes are not final either, so a waiter keeps
    /// polling them.
    pub fn is_terminal(self) -> bool {
        self.is_stopped()
            || self.is_failure()
            || matches!(self, Self::Completed | Self::CheckRunningCompleted)
    }

    /// KILLED (12) or CANCELED (13): the outcome a stop asks for.
    pub fn is_stopped(self) -> bool {
        matches!(self, Self::Killed | Self::Canceled)
    }

    /// A final failure state (image, submit, delete, run, model, deploy, review or mount failure, or LOST).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Self::ImageFailed
                | Self::SubmitFailed
                | Self::DeleteFailed
                | Self::Failed
                | Self::Lost
                | Self::SubmitModelFailed
                | Self::DeployServiceFailed
                | Self::CheckFailed
                | Self::MountFailed
        )
    }

    /// RUNNING (8) or SCALING (15): the job is consuming resources.
    pub fn is_running(self) -> bool {
        matches!(self, Self::Running | Self::Scaling)
    }

    /// A state before running (init, image build, submission, queue, review).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Self::Init
                | Self::ImageCreating
                | Self::SubmitTrying
                | Self::Waiting
                | Self::CheckInit
                | Self::CheckRunning
        )
    }

    /// Whether a stop may be sent: running or pending.
    pub fn is_stoppable(self) -> bool {
        self.is_running() || self.is_pending()
    }

    /// Whether a stop has taken effect or is no longer needed: KILLING or any final state.
    /// A stop that finds the version here counts as done.
    pub fn is_stopping_or_final(self) -> bool {
        self == Self::Killing || self.is_terminal()
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(code) => write!(f, "UNKNOWN({code})"),
            other => f.write_str(other.name()),
        }
    }
}

impl serde::Serialize for JobStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for JobStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = crate::lenient::Int::deserialize(d)?;
        Ok(Self::from_code(code.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for code in 0..=22 {
            let s = JobStatus::from_code(code);
            assert!(!matches!(s, JobStatus::Unknown(_)), "{code}");
            assert_eq!(s.code(), code);
            assert_eq!(JobStatus::from_name(s.name()), Some(s));
            assert_eq!(JobStatus::from_name(s.api_name()), Some(s));
        }
        assert_eq!(JobStatus::ALL.len(), 23);
        assert_eq!(JobStatus::from_code(99), JobStatus::Unknown(99));
        assert_eq!(JobStatus::from_code(-1).to_string(), "UNKNOWN(-1)");
    }

    #[test]
    fn classification_table() {
        // (code, terminal, stopped, running, stoppable)
        let table = [
            (0, false, false, false, false),
            (1, false, false, false, true),
            (3, true, false, false, false),
            (7, false, false, false, true),
            (8, false, false, true, true),
            (9, false, false, false, false),
            (10, true, false, false, false),
            (11, true, false, false, false),
            (12, true, true, false, false),
            (13, true, true, false, false),
            (14, true, false, false, false),
            (15, false, false, true, true),
            (20, true, false, false, false),
            (22, true, false, false, false),
            (99, false, false, false, false),
        ];
        for (code, terminal, stopped, running, stoppable) in table {
            let s = JobStatus::from_code(code);
            assert_eq!(s.is_terminal(), terminal, "terminal {code}");
            assert_eq!(s.is_stopped(), stopped, "stopped {code}");
            assert_eq!(s.is_running(), running, "running {code}");
            assert_eq!(s.is_stoppable(), stoppable, "stoppable {code}");
        }
        assert!(JobStatus::Killing.is_stopping_or_final());
        assert!(!JobStatus::Running.is_stopping_or_final());
    }

    #[test]
    fn names_parse_case_insensitively() {
        assert_eq!(JobStatus::from_name("running"), Some(JobStatus::Running));
        assert_eq!(JobStatus::from_name("8"), Some(JobStatus::Running));
        assert_eq!(JobStatus::from_name("jobstat_killed"), Some(JobStatus::Killed));
        assert_eq!(JobStatus::from_name("image-creating"), Some(JobStatus::ImageCreating));
        assert_eq!(JobStatus::from_name("sleeping"), None);
    }

    #[test]
    fn serde_accepts_numbers_and_strings() {
        let a: JobStatus = serde_json::from_str("9").unwrap();
        let b: JobStatus = serde_json::from_str("\"9\"").unwrap();
        assert_eq!((a, b), (JobStatus::Killing, JobStatus::Killing));
        assert_eq!(serde_json::to_string(&JobStatus::Killed).unwrap(), "12");
    }
}
