//! The machines on the one interface of [`drive`](crate::machine::drive): a call, the safe stop,
//! the waiter, and a single target's stop-then-wait. Each composes the decisions of its module
//! ([`Call`], [`SafeStop`], [`Waiter`]); none sends, sleeps or reads a clock.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::Response;

use crate::error::{ErrorClass, ResponseError};
use crate::machine::call::{
    AttemptError, Call, CallError, CallStep, GiveUpReason, PrepareError, ResponseHead, TransportFailure,
};
use crate::machine::drive::{Attempt, Input, Machine, Step, prepare};
use crate::machine::retry::{ClockSkew, RetryPolicy};
pub use crate::machine::stop::CallEnd;
use crate::machine::stop::{SafeStop, StopAction, StopFailure, StopOptions, StopOutcome, Stoppable};
use crate::machine::waiter::{PollResult, WaitOptions, WaitStep, Waiter};
use crate::operations::Operation;

/// A call on the one machine interface ([`Machine`]): it prepares each attempt's request (built,
/// `User-Agent`, signed at the time [`Call::start_attempt`] gives, `Content-Length`), sends it,
/// sleeps the backoff, re-signs, and ends with the call's [`CallEnd`]. A request refused as
/// expired is signed again at once when the driver's credentials have moved on since it was signed
/// (once per call; [`iam::renewal::after_refusal`](crate::iam::renewal::after_refusal) decides).
#[derive(Debug)]
pub struct CallMachine<O, E> {
    op: O,
    call: Call,
    state: CallState<E>,
    signed_generation: u64,
    renewals: u32,
    last_failure: Option<TransportFailure>,
}

#[derive(Debug)]
enum CallState<E> {
    Ready,
    Sent,
    Answered(Response<Bytes>, SystemTime),
    Failed(TransportFailure, E),
    Over,
}

impl<O: Operation, E> CallMachine<O, E> {
    /// A call of `op` under `policy`.
    pub fn new(op: O, policy: RetryPolicy) -> Self {
        Self::resume(op, Call::new(policy, O::IDEMPOTENT))
    }

    /// A call of `op` that goes on with `call`'s attempts (a stop sent again after a status read
    /// counts its attempts over the whole stop).
    pub fn resume(op: O, call: Call) -> Self {
        Self { op, call, state: CallState::Ready, signed_generation: 0, renewals: 0, last_failure: None }
    }

    /// The attempts' state, handed back when the call is over.
    pub fn into_call(self) -> Call {
        self.call
    }

    /// The transport failure of the last attempt, if it failed so.
    pub fn last_failure(&self) -> Option<TransportFailure> {
        self.last_failure
    }

    fn send(&mut self, input: &mut Input<'_>) -> Step<CallEnd<O::Output, E>> {
        let signing_time = self.call.start_attempt(input.now, input.skew);
        self.signed_generation = input.auth_generation;
        match prepare(&self.op, input.endpoint, input.auth, signing_time) {
            Ok(request) => {
                self.state = CallState::Sent;
                Step::Send(request)
            }
            Err(e) => {
                self.state = CallState::Over;
                Step::Done(CallEnd::GaveUp(CallError {
                    error: AttemptError::Prepare(e),
                    attempts: self.call.attempts().saturating_sub(1),
                    reason: GiveUpReason::NotRetryable,
                }))
            }
        }
    }

    fn finished() -> Step<CallEnd<O::Output, E>> {
        Step::Done(CallEnd::GaveUp(finished_error()))
    }
}

/// The error of a machine stepped again after its end (a driver's mistake, never a success).
fn finished_error<E>() -> CallError<E> {
    CallError {
        error: AttemptError::Prepare(PrepareError::Finished),
        attempts: 0,
        reason: GiveUpReason::NotRetryable,
    }
}

/// A stop that ended because its machine was stepped after its end.
fn finished_stop<S, E>() -> StopFailure<S, E> {
    StopFailure { error: finished_error(), status: None, not_found: false, may_have_been_sent: false }
}

impl<O: Operation, E> Machine for CallMachine<O, E> {
    type Output = CallEnd<O::Output, E>;
    type Error = E;

    fn step(&mut self, input: &mut Input<'_>) -> Step<Self::Output> {
        let step = match std::mem::replace(&mut self.state, CallState::Over) {
            // Stepped again without an answer (a driver bug): the request is prepared again.
            CallState::Ready | CallState::Sent => return self.send(input),
            CallState::Over => return Self::finished(),
            CallState::Answered(response, received_at) => {
                self.last_failure = None;
                let head = ResponseHead::of(&response, received_at);
                let parsed = self.op.read_response(response);
                self.call.on_response(&head, parsed, &mut *input.quota, input.jitter)
            }
            CallState::Failed(failure, error) => {
                self.last_failure = Some(failure);
                self.call.on_transport_error(failure, error, &mut *input.quota, input.jitter)
            }
        };
        match step {
            CallStep::Done(output) => Step::Done(CallEnd::Done(output)),
            CallStep::CheckState(e) => Step::Done(CallEnd::CheckState(e)),
            CallStep::GiveUp(e) => {
                let renew = e.error.api_error().is_some_and(|api| {
                    crate::iam::renewal::after_refusal(api, self.renewals)
                        == crate::iam::renewal::AfterRefusal::RenewAndRetry
                });
                if renew && input.auth_generation != self.signed_generation {
                    self.renewals += 1;
                    return self.send(input);
                }
                Step::Done(CallEnd::GaveUp(e))
            }
            CallStep::Resign { .. } => self.send(input),
            CallStep::Retry { delay, .. } => {
                self.state = CallState::Ready;
                Step::Sleep(delay)
            }
        }
    }

    fn on_response(&mut self, response: Response<Bytes>, received_at: SystemTime) {
        self.state = CallState::Answered(response, received_at);
    }

    fn on_transport_failure(&mut self, failure: TransportFailure, error: E) {
        self.state = CallState::Failed(failure, error);
    }

    fn measured_skew(&self) -> Option<ClockSkew> {
        self.call.measured_skew()
    }

    fn attempt(&self) -> Option<Attempt> {
        Some(Attempt {
            operation: O::NAME,
            number: self.call.counted_attempts(),
            max_attempts: self.call.policy().max_attempts,
        })
    }
}

/// How a [`WaitMachine`] ended. `D` is what a status read returns (a v1 version, a v2 job).
#[derive(Debug)]
#[non_exhaustive]
pub enum Waited<D, E> {
    /// Stopped as asked: the read that showed it.
    Stopped(D),
    /// Ended in another final state: the read that showed it.
    EndedOtherwise(D),
    /// The time was up.
    TimedOut {
        /// The last read, if any succeeded.
        last: Option<D>,
        /// The time waited.
        waited: Duration,
    },
    /// A read failed for a reason waiting does not ride out (not throttling, not a server or
    /// network failure).
    Failed(CallError<E>),
}

/// The waiter on the one machine interface: polls a [`Stoppable`] resource with its read
/// operation (a call of its own, with its retries) until its status is final or the time is up;
/// throttled and transient poll failures lengthen the delay but never end the wait. The first poll
/// is at once; the time is measured from the first step's [`Input::monotonic`].
pub struct WaitMachine<R: Stoppable, E> {
    resource: R,
    policy: RetryPolicy,
    waiter: Waiter,
    started: Option<Duration>,
    read: Option<CallMachine<R::Read, E>>,
    last: Option<<R::Read as Operation>::Output>,
    reads: u32,
}

impl<R: Stoppable, E> WaitMachine<R, E> {
    /// A wait for `resource`, its reads under `policy`.
    pub fn new(resource: R, policy: RetryPolicy, options: WaitOptions) -> Self {
        Self {
            resource,
            policy,
            waiter: Waiter::new(options),
            started: None,
            read: None,
            last: None,
            reads: 0,
        }
    }

    /// Successful reads so far (a driver may report each new one, [`last_read`](Self::last_read)).
    pub fn reads(&self) -> u32 {
        self.reads
    }

    /// The last successful read.
    pub fn last_read(&self) -> Option<&<R::Read as Operation>::Output> {
        self.last.as_ref()
    }
}

impl<R: Stoppable, E> std::fmt::Debug for WaitMachine<R, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitMachine")
            .field("waiter", &self.waiter)
            .field("reads", &self.reads)
            .finish_non_exhaustive()
    }
}

/// What a failed poll means for a wait: throttled or transient (go on), or `None` (end it).
fn poll_failure<S, E>(error: &CallError<E>, failure: Option<TransportFailure>) -> Option<PollResult<S>> {
    match &error.error {
        AttemptError::Api { error, retry_after } if error.is_throttling() => {
            Some(PollResult::Throttled { retry_after: *retry_after })
        }
        AttemptError::Api { error, .. } if error.class() == ErrorClass::Server => {
            Some(PollResult::TransientFailure)
        }
        AttemptError::Response(ResponseError::Api(e)) if e.is_throttling() => {
            Some(PollResult::Throttled { retry_after: None })
        }
        AttemptError::Response(ResponseError::Api(e)) if e.is_server_error() => {
            Some(PollResult::TransientFailure)
        }
        AttemptError::Transport(_) => {
            let f = failure.unwrap_or_default();
            (!f.tls_rejected && !f.proxy_auth_rejected && !f.oversized)
                .then_some(PollResult::TransientFailure)
        }
        _ => None,
    }
}

impl<R: Stoppable, E> Machine for WaitMachine<R, E> {
    type Output = Waited<<R::Read as Operation>::Output, E>;
    type Error = E;

    fn step(&mut self, input: &mut Input<'_>) -> Step<Self::Output> {
        let started = *self.started.get_or_insert(input.monotonic);
        let read =
            self.read.get_or_insert_with(|| CallMachine::new(self.resource.read_operation(), self.policy));
        let end = match read.step(input) {
            Step::Send(request) => return Step::Send(request),
            Step::Sleep(delay) => return Step::Sleep(delay),
            Step::Done(end) => end,
        };
        let failure = read.last_failure();
        self.read = None;
        let poll = match end {
            CallEnd::Done(output) => {
                let status = R::status_of(&output);
                self.last = Some(output);
                self.reads = self.reads.saturating_add(1);
                PollResult::Status(status)
            }
            CallEnd::CheckState(e) | CallEnd::GaveUp(e) => match poll_failure(&e, failure) {
                Some(poll) => poll,
                None => return Step::Done(Waited::Failed(e)),
            },
        };
        let elapsed = input.monotonic.saturating_sub(started);
        match (self.waiter.next(&poll, elapsed, input.jitter), self.last.take()) {
            (WaitStep::Sleep(delay), last) => {
                self.last = last;
                Step::Sleep(delay)
            }
            (WaitStep::TimedOut, last) => Step::Done(Waited::TimedOut { last, waited: elapsed }),
            (WaitStep::Stopped(_), Some(read)) => Step::Done(Waited::Stopped(read)),
            (WaitStep::OtherFinalState(_), Some(read)) => Step::Done(Waited::EndedOtherwise(read)),
            // Both only follow a status read, which `last` holds.
            (_, None) => Step::Sleep(self.waiter.options().min_delay),
        }
    }

    fn on_response(&mut self, response: http::Response<Bytes>, received_at: SystemTime) {
        if let Some(read) = &mut self.read {
            read.on_response(response, received_at);
        }
    }

    fn on_transport_failure(&mut self, failure: TransportFailure, error: E) {
        if let Some(read) = &mut self.read {
            read.on_transport_failure(failure, error);
        }
    }

    fn measured_skew(&self) -> Option<ClockSkew> {
        self.read.as_ref().and_then(Machine::measured_skew)
    }

    fn attempt(&self) -> Option<Attempt> {
        self.read.as_ref().and_then(Machine::attempt)
    }
}

/// The safe stop on the one machine interface ([`Machine`]): the stop's call, the status read
/// [`SafeStop`] asks for (a call of its own), the sleep before a stop is sent again, and the end.
pub struct StopMachine<R: Stoppable, E> {
    resource: R,
    policy: RetryPolicy,
    safe: SafeStop<R::Status, E>,
    phase: StopPhase<R, E>,
}

enum StopPhase<R: Stoppable, E> {
    Decided(StopAction<R::Status, E>),
    Stopping(CallMachine<R::Stop, E>),
    Reading(CallMachine<R::Read, E>),
    Over,
}

impl<R: Stoppable, E> std::fmt::Debug for StopMachine<R, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StopMachine").field("options", &self.safe.options()).finish_non_exhaustive()
    }
}

impl<R: Stoppable, E> StopMachine<R, E> {
    /// The safe stop of `resource`, its calls under `policy`.
    pub fn new(resource: R, policy: RetryPolicy, options: StopOptions) -> Self {
        Self {
            resource,
            policy,
            safe: SafeStop::new(policy, options),
            phase: StopPhase::Decided(StopAction::SendStop),
        }
    }

    /// The resource stopped.
    pub fn resource(&self) -> &R {
        &self.resource
    }
}

impl<R: Stoppable, E> Machine for StopMachine<R, E> {
    type Output = Result<StopOutcome<R::Status>, StopFailure<R::Status, E>>;
    type Error = E;

    fn step(&mut self, input: &mut Input<'_>) -> Step<Self::Output> {
        loop {
            let action = match &mut self.phase {
                StopPhase::Decided(_) => {
                    match std::mem::replace(&mut self.phase, StopPhase::Over) {
                        StopPhase::Decided(StopAction::SendStop) => {
                            // The stop's call lasts across re-sends: its attempts count over the
                            // whole stop.
                            let call = std::mem::replace(self.safe.call_mut(), Call::new(self.policy, false));
                            let op = self.resource.stop_operation();
                            self.phase = StopPhase::Stopping(CallMachine::resume(op, call));
                        }
                        StopPhase::Decided(StopAction::ReadStatus) => {
                            let op = self.resource.read_operation();
                            self.phase = StopPhase::Reading(CallMachine::new(op, self.policy));
                        }
                        StopPhase::Decided(StopAction::Sleep(delay)) => {
                            self.phase = StopPhase::Decided(StopAction::SendStop);
                            return Step::Sleep(delay);
                        }
                        StopPhase::Decided(StopAction::Finish(result)) => return Step::Done(result),
                        _ => {}
                    }
                    continue;
                }
                StopPhase::Stopping(call) => match call.step(input) {
                    Step::Done(end) => {
                        if let StopPhase::Stopping(call) = std::mem::replace(&mut self.phase, StopPhase::Over)
                        {
                            *self.safe.call_mut() = call.into_call();
                        }
                        self.safe.on_stop(end)
                    }
                    Step::Send(request) => return Step::Send(request),
                    Step::Sleep(delay) => return Step::Sleep(delay),
                },
                StopPhase::Reading(call) => match call.step(input) {
                    Step::Done(end) => {
                        let read = match end {
                            CallEnd::Done(output) => Ok(R::status_of(&output)),
                            CallEnd::CheckState(e) | CallEnd::GaveUp(e) => Err(e),
                        };
                        self.safe.on_status(read, &mut *input.quota, input.jitter)
                    }
                    Step::Send(request) => return Step::Send(request),
                    Step::Sleep(delay) => return Step::Sleep(delay),
                },
                StopPhase::Over => {
                    return Step::Done(Err(finished_stop()));
                }
            };
            self.phase = StopPhase::Decided(action);
        }
    }

    fn on_response(&mut self, response: http::Response<Bytes>, received_at: SystemTime) {
        match &mut self.phase {
            StopPhase::Stopping(call) => call.on_response(response, received_at),
            StopPhase::Reading(call) => call.on_response(response, received_at),
            _ => {}
        }
    }

    fn on_transport_failure(&mut self, failure: TransportFailure, error: E) {
        match &mut self.phase {
            StopPhase::Stopping(call) => call.on_transport_failure(failure, error),
            StopPhase::Reading(call) => call.on_transport_failure(failure, error),
            _ => {}
        }
    }

    fn measured_skew(&self) -> Option<ClockSkew> {
        match &self.phase {
            StopPhase::Stopping(call) => call.measured_skew(),
            StopPhase::Reading(call) => call.measured_skew(),
            _ => self.safe.call().measured_skew(),
        }
    }

    fn attempt(&self) -> Option<Attempt> {
        match &self.phase {
            StopPhase::Stopping(call) => call.attempt(),
            StopPhase::Reading(call) => call.attempt(),
            _ => None,
        }
    }
}

/// How a [`StopThenWait`] ended: the stop's result, and the wait's end when a wait was made (asked
/// for, the stop succeeded, and its status read was not already final).
#[derive(Debug)]
#[non_exhaustive]
pub struct StopThenWaitEnd<S, D, E> {
    /// The stop.
    pub stop: Result<StopOutcome<S>, StopFailure<S, E>>,
    /// The wait, if one was made.
    pub wait: Option<Waited<D, E>>,
}

/// A single target's stop, then its wait for a final status, as one machine: the
/// [`StopMachine`], then (when `wait` is given and [`StopOutcome::needs_wait`]) a [`WaitMachine`].
pub struct StopThenWait<R: Stoppable + Clone, E> {
    stop: Option<StopMachine<R, E>>,
    wait_options: Option<WaitOptions>,
    policy: RetryPolicy,
    outcome: Option<StopOutcome<R::Status>>,
    wait: Option<WaitMachine<R, E>>,
}

impl<R: Stoppable + Clone, E> std::fmt::Debug for StopThenWait<R, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StopThenWait").field("wait_options", &self.wait_options).finish_non_exhaustive()
    }
}

impl<R: Stoppable + Clone, E> StopThenWait<R, E> {
    /// Stops `resource`, then waits under `wait` (no wait when `None`).
    pub fn new(resource: R, policy: RetryPolicy, options: StopOptions, wait: Option<WaitOptions>) -> Self {
        Self {
            stop: Some(StopMachine::new(resource, policy, options)),
            wait_options: wait,
            policy,
            outcome: None,
            wait: None,
        }
    }

    /// The wait, once it started (its reads, for a driver that reports them).
    pub fn wait(&self) -> Option<&WaitMachine<R, E>> {
        self.wait.as_ref()
    }
}

impl<R: Stoppable + Clone, E> Machine for StopThenWait<R, E> {
    type Output = StopThenWaitEnd<R::Status, <R::Read as Operation>::Output, E>;
    type Error = E;

    fn step(&mut self, input: &mut Input<'_>) -> Step<Self::Output> {
        if let Some(stop) = &mut self.stop {
            let result = match stop.step(input) {
                Step::Send(request) => return Step::Send(request),
                Step::Sleep(delay) => return Step::Sleep(delay),
                Step::Done(result) => result,
            };
            let resource = stop.resource().clone();
            self.stop = None;
            match (&result, self.wait_options) {
                (Ok(outcome), Some(options)) if outcome.needs_wait() => {
                    self.outcome = Some(*outcome);
                    self.wait = Some(WaitMachine::new(resource, self.policy, options));
                }
                _ => return Step::Done(StopThenWaitEnd { stop: result, wait: None }),
            }
        }
        let (Some(wait), Some(outcome)) = (&mut self.wait, self.outcome) else {
            return Step::Done(StopThenWaitEnd { stop: Err(finished_stop()), wait: None });
        };
        match wait.step(input) {
            Step::Send(request) => Step::Send(request),
            Step::Sleep(delay) => Step::Sleep(delay),
            Step::Done(waited) => {
                self.outcome = None;
                Step::Done(StopThenWaitEnd { stop: Ok(outcome), wait: Some(waited) })
            }
        }
    }

    fn on_response(&mut self, response: http::Response<Bytes>, received_at: SystemTime) {
        match (&mut self.stop, &mut self.wait) {
            (Some(stop), _) => stop.on_response(response, received_at),
            (None, Some(wait)) => wait.on_response(response, received_at),
            _ => {}
        }
    }

    fn on_transport_failure(&mut self, failure: TransportFailure, error: E) {
        match (&mut self.stop, &mut self.wait) {
            (Some(stop), _) => stop.on_transport_failure(failure, error),
            (None, Some(wait)) => wait.on_transport_failure(failure, error),
            _ => {}
        }
    }

    fn measured_skew(&self) -> Option<ClockSkew> {
        match (&self.stop, &self.wait) {
            (Some(stop), _) => stop.measured_skew(),
            (None, Some(wait)) => wait.measured_skew(),
            _ => None,
        }
    }

    fn attempt(&self) -> Option<Attempt> {
        match (&self.stop, &self.wait) {
            (Some(stop), _) => stop.attempt(),
            (None, Some(wait)) => wait.attempt(),
            _ => None,
        }
    }
}
