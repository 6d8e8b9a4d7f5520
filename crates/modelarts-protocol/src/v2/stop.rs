//! A v2 training job as a [`Stoppable`]: the one safe-stop machine ([`SafeStop`](crate::machine::stop::SafeStop)),
//! the waiter ([`Waiter`](crate::machine::waiter::Waiter)) and the outcome classifier
//! ([`Outcome`](crate::machine::stop::Outcome)) serve v2 as they serve v1.
//!
//! The machines carry a status by value (`Copy`), so a v2 job's phase is carried as a
//! [`PhaseStatus`]: the phase's name in a fixed buffer, unknown names kept (cut at 64 bytes).
//!
//! ```
//! use modelarts_protocol::stop::{StatusClass, StopStatus};
//! use modelarts_protocol::v2::{Phase, PhaseStatus};
//! assert_eq!(PhaseStatus::from_phase(&Phase::Terminated).stop_class(), StatusClass::Stopped);
//! let unknown = PhaseStatus::from_phase(&Phase::from_name("Hibernating"));
//! assert_eq!(unknown.as_str(), "Hibernating");
//! assert_eq!(unknown.stop_class(), StatusClass::Stoppable);
//! ```

use std::fmt;

use super::TrainingJobId;
use super::model::{Phase, TrainingJob};
use crate::ids::ProjectId;
use crate::machine::stop::{StatusClass, StopStatus, Stoppable};
use crate::operations::v2::show::ShowTrainingJob;
use crate::operations::v2::terminate::TerminateTrainingJob;

/// The most bytes of a phase name a [`PhaseStatus`] keeps.
pub const MAX_PHASE_BYTES: usize = 64;

/// A v2 job's phase as the stop and wait machines carry it: `Copy`, the name kept (an unknown
/// phase too, cut at [`MAX_PHASE_BYTES`] on a character boundary). An answer without a phase is
/// the empty name, which classes as an unknown phase.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PhaseStatus {
    len: u8,
    bytes: [u8; MAX_PHASE_BYTES],
}

impl PhaseStatus {
    /// The status of `phase`.
    pub fn from_phase(phase: &Phase) -> Self {
        Self::from_name(phase.as_str())
    }

    /// The status of a job object: its `status.phase`, or the empty name when it has none.
    pub fn of(job: &TrainingJob) -> Self {
        job.phase().map_or_else(|| Self::from_name(""), Self::from_phase)
    }

    fn from_name(name: &str) -> Self {
        let mut end = name.len().min(MAX_PHASE_BYTES);
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        let mut bytes = [0; MAX_PHASE_BYTES];
        bytes[..end].copy_from_slice(&name.as_bytes()[..end]);
        // `end` is at most 64.
        Self { len: u8::try_from(end).unwrap_or(0), bytes }
    }

    /// The phase's name as the API sent it (`""` when the answer had none).
    pub fn as_str(&self) -> &str {
        // The bytes are a prefix of a `str` cut on a character boundary.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }

    /// The phase.
    pub fn phase(&self) -> Phase {
        Phase::from_name(self.as_str())
    }

    /// Whether the answer had no phase.
    pub fn is_missing(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Debug for PhaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhaseStatus({:?})", self.as_str())
    }
}

impl fmt::Display for PhaseStatus {
    /// The phase's name, or `(no phase)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_missing() { f.write_str("(no phase)") } else { f.write_str(self.as_str()) }
    }
}

impl From<&Phase> for PhaseStatus {
    fn from(phase: &Phase) -> Self {
        Self::from_phase(phase)
    }
}

impl StopStatus for PhaseStatus {
    /// Terminated: stopped; Terminating: stopping; Completed, Failed, Abnormal: ended otherwise;
    /// Creating, Pending, Running and any unknown phase: stoppable (a stop is not assumed done,
    /// and a wait reads again).
    fn stop_class(self) -> StatusClass {
        self.phase().stop_class()
    }
}

/// A v2 training job to stop: terminate (`POST …/actions`) and show (`GET …/training-jobs/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrainingJobTarget {
    /// The project.
    pub project_id: ProjectId,
    /// The job.
    pub training_job_id: TrainingJobId,
}

impl Stoppable for TrainingJobTarget {
    type Status = PhaseStatus;
    type Stop = TerminateTrainingJob;
    type Read = ShowTrainingJob;

    fn stop_operation(&self) -> TerminateTrainingJob {
        TerminateTrainingJob::new(self.project_id.clone(), self.training_job_id.clone())
    }

    fn read_operation(&self) -> ShowTrainingJob {
        ShowTrainingJob::new(self.project_id.clone(), self.training_job_id.clone())
    }

    fn status_of(read: &TrainingJob) -> PhaseStatus {
        PhaseStatus::of(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use crate::machine::call::{AttemptError, CallError, GiveUpReason, Unlimited};
    use crate::machine::retry::RetryPolicy;
    use crate::machine::stop::{CallEnd, Outcome, SafeStop, StopAction, StopOptions, StopOutcome, WaitEnd};
    use crate::machine::waiter::{PollResult, WaitOptions, WaitStep, Waiter};

    fn phase(name: &str) -> PhaseStatus {
        PhaseStatus::from_phase(&Phase::from_name(name))
    }

    fn api(status: u16, code: &str) -> CallError<&'static str> {
        CallError {
            error: AttemptError::Api { error: ApiError::new(status).with_code(code), retry_after: None },
            attempts: 1,
            reason: GiveUpReason::NotRetryable,
        }
    }

    fn reset() -> CallError<&'static str> {
        CallError { error: AttemptError::Transport("reset"), attempts: 1, reason: GiveUpReason::NotRetryable }
    }

    /// The stop's end, then the phase read: what the safe stop decides, in short.
    fn decide(stop: CallEnd<(), &'static str>, read: &str) -> String {
        let mut s =
            SafeStop::<PhaseStatus, &'static str>::new(RetryPolicy::default(), StopOptions::default());
        s.call_mut().start_attempt(std::time::SystemTime::UNIX_EPOCH, None);
        match s.on_stop(stop) {
            StopAction::ReadStatus => match s.on_status(Ok(phase(read)), &mut Unlimited, 1.0) {
                StopAction::Finish(Ok(o)) => format!("{} {}", Outcome::of_stop(o).name(), o.name()),
                StopAction::Finish(Err(f)) => format!("refused status={:?}", f.status.map(|s| s.to_string())),
                StopAction::Sleep(_) => "send again".into(),
                other => format!("{other:?}"),
            },
            other => format!("no read: {other:?}"),
        }
    }

    #[test]
    fn phase_classes() {
        for (name, class) in [
            ("Creating", StatusClass::Stoppable),
            ("Pending", StatusClass::Stoppable),
            ("Running", StatusClass::Stoppable),
            ("Terminating", StatusClass::Stopping),
            ("Terminated", StatusClass::Stopped),
            ("Completed", StatusClass::EndedOtherwise),
            ("Failed", StatusClass::EndedOtherwise),
            ("Abnormal", StatusClass::EndedOtherwise),
            ("Hibernating", StatusClass::Stoppable),
            ("", StatusClass::Stoppable),
        ] {
            assert_eq!(phase(name).stop_class(), class, "{name:?}");
        }
    }

    #[test]
    fn unknown_phases_are_kept_and_cut_on_a_character_boundary() {
        assert_eq!(phase("Hibernating").as_str(), "Hibernating");
        assert_eq!(phase("Hibernating").phase(), Phase::Unknown("Hibernating".into()));
        assert_eq!(phase("terminated").phase(), Phase::Terminated);
        let long = "é".repeat(40); // 80 bytes
        let kept = PhaseStatus::from_phase(&Phase::Unknown(long.clone()));
        assert_eq!(kept.as_str(), "é".repeat(32));
        assert!(long.starts_with(kept.as_str()));
        let job = TrainingJob::default();
        assert!(PhaseStatus::of(&job).is_missing());
        assert_eq!(PhaseStatus::of(&job).to_string(), "(no phase)");
        assert_eq!(format!("{:?}", phase("Running")), "PhaseStatus(\"Running\")");
    }

    #[test]
    fn safe_stop_decides_v2_refusals_and_ambiguous_failures_by_the_phase() {
        let conflict = || CallEnd::GaveUp(api(409, "ModelArts.2796"));
        assert_eq!(decide(conflict(), "Terminated"), "already_stopped already_final");
        assert_eq!(decide(conflict(), "Terminating"), "already_stopping already_stopping");
        assert_eq!(decide(conflict(), "Completed"), "ended_otherwise ended_otherwise");
        assert_eq!(decide(conflict(), "Abnormal"), "ended_otherwise ended_otherwise");
        assert_eq!(decide(conflict(), "Running"), "refused status=Some(\"Running\")");
        assert_eq!(decide(conflict(), "Hibernating"), "refused status=Some(\"Hibernating\")");
        // A refusal code never documented for the terminate is decided the same way.
        assert_eq!(
            decide(CallEnd::GaveUp(api(400, "ModelArts.0105")), "Terminated"),
            "already_stopped already_final"
        );
        assert_eq!(decide(CallEnd::CheckState(reset()), "Terminating"), "stop_requested confirmed_by_status");
        assert_eq!(decide(CallEnd::CheckState(reset()), "Terminated"), "stopped confirmed_by_status");
        assert_eq!(decide(CallEnd::CheckState(reset()), "Failed"), "ended_otherwise ended_otherwise");
        assert_eq!(decide(CallEnd::CheckState(reset()), "Pending"), "send again");
        // Throttling and authentication read nothing.
        assert!(decide(CallEnd::GaveUp(api(429, "ModelArts.2799")), "Terminated").starts_with("no read"));
        assert!(decide(CallEnd::GaveUp(api(401, "APIG.0301")), "Terminated").starts_with("no read"));
    }

    #[test]
    fn the_waiter_and_the_classifier_serve_v2() {
        let mut w = Waiter::new(WaitOptions::default());
        let step =
            |w: &mut Waiter, name| w.next(&PollResult::Status(phase(name)), std::time::Duration::ZERO, 0.0);
        assert!(matches!(step(&mut w, "Terminating"), WaitStep::Sleep(_)));
        assert!(matches!(step(&mut w, "Hibernating"), WaitStep::Sleep(_)));
        assert_eq!(step(&mut w, "Terminated"), WaitStep::Stopped(phase("Terminated")));
        assert_eq!(step(&mut w, "Completed"), WaitStep::OtherFinalState(phase("Completed")));
        let done = Outcome::of_wait(Some(StopOutcome::Accepted), WaitEnd::Stopped(phase("Terminated")));
        assert_eq!(done, Outcome::Stopped(phase("Terminated")));
        assert!(done.is_success());
        let ended = Outcome::of_stop(StopOutcome::EndedOtherwise(phase("Failed")));
        assert_eq!(ended.name(), "ended_otherwise");
        assert!(!StopOutcome::AlreadyFinal(phase("Terminated")).needs_wait());
        assert!(StopOutcome::AlreadyStopping(phase("Terminating")).needs_wait());
    }

    #[test]
    fn the_target_builds_the_v2_requests() {
        use crate::operations::Operation;
        let t = TrainingJobTarget {
            project_id: "0123456789abcdef0123456789abcdef".parse().unwrap(),
            training_job_id: "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab".parse().unwrap(),
        };
        let endpoint = crate::Endpoint::for_region("cn-north-4").unwrap();
        let stop = t.stop_operation().build_request(&endpoint).unwrap();
        assert!(stop.uri().path().ends_with("/training-jobs/3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab/actions"));
        let read = t.read_operation().build_request(&endpoint).unwrap();
        assert_eq!(read.method(), "GET");
        let job: TrainingJob = serde_json::from_str(r#"{"status":{"phase":"Terminating"}}"#).unwrap();
        assert_eq!(TrainingJobTarget::status_of(&job).stop_class(), StatusClass::Stopping);
    }
}
