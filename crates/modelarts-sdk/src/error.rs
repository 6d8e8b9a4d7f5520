//! The SDK's errors: [`Error`] for one call, [`WaitError`] for a wait, and [`ErrorCategory`], the
//! coarse class a command line maps to an exit code.
//!
//! `Display` is one sentence without the cause; the cause chain is reachable through
//! [`std::error::Error::source`]. No variant ever holds a secret.

use std::time::Duration;

use modelarts_http::{SendError, TlsRejection};
use modelarts_protocol::call::{AttemptError, CallError};
use modelarts_protocol::drive::PrepareError;
use modelarts_protocol::error::{ApiError, BuildError, ErrorClass, ResponseError};
use modelarts_protocol::model::VersionDetail;
use modelarts_protocol::signing::SigningError;
use modelarts_protocol::v2::{PhaseStatus, TrainingJob};

use crate::config_error::ConfigError;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The HTTP client's own error, whichever client the SDK runs on (the built-in transport or a
/// sender of yours), with what the SDK's decisions read from it. `Display` and `source()` are the
/// client error's own; [`downcast_ref`](Self::downcast_ref) gives the concrete error back.
pub struct TransportError {
    error: BoxError,
    may_have_reached_server: bool,
    tls_rejected: bool,
    tls_rejection: Option<TlsRejection>,
    proxy_auth_rejected: bool,
    oversized: bool,
}

impl TransportError {
    /// Wraps a sender's error, reading its kind once.
    pub fn new<E: SendError + Send + Sync + 'static>(error: E) -> Self {
        Self {
            may_have_reached_server: error.may_have_reached_server(),
            tls_rejected: error.is_tls_rejected(),
            tls_rejection: error.tls_rejection(),
            proxy_auth_rejected: error.is_proxy_auth_rejected(),
            oversized: error.is_oversized(),
            error: Box::new(error),
        }
    }

    /// Whether the request may have reached the server ([`SendError::may_have_reached_server`]).
    pub fn may_have_reached_server(&self) -> bool {
        self.may_have_reached_server
    }

    /// Whether the TLS handshake rejected the server (certificate, protocol version).
    pub fn is_tls_rejected(&self) -> bool {
        self.tls_rejected
    }

    /// Why the TLS handshake rejected the server ([`SendError::tls_rejection`]): `Some` only
    /// when [`is_tls_rejected`](Self::is_tls_rejected).
    pub fn tls_rejection(&self) -> Option<TlsRejection> {
        self.tls_rejection.filter(|_| self.tls_rejected)
    }

    /// Whether a proxy refused the request for want of (valid) credentials (407).
    pub fn is_proxy_auth_rejected(&self) -> bool {
        self.proxy_auth_rejected
    }

    /// Whether the answer was larger than the client accepts.
    pub fn is_oversized(&self) -> bool {
        self.oversized
    }

    /// The client's error as its own type, if it is an `E`.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.error.downcast_ref()
    }
}

impl std::fmt::Debug for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.error, f)
    }
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is invalid or incomplete (no region and no endpoint, an unreadable CA
    /// bundle or credentials file, zero attempts, …): the [`ConfigError`] names the cause. Raised
    /// when the client is built or connected. Boxed: a configuration error is rare and large, a
    /// call's error is common.
    #[error("invalid configuration: {0}")]
    Config(#[source] Box<ConfigError>),
    /// No credentials were found. `tried` names every source looked at, in order.
    #[error("no credentials found; tried: {}", tried.join("; "))]
    Credentials {
        /// Every source tried, e.g. `explicit builder values (none)`, `env HUAWEICLOUD_SDK_AK (not set)`.
        tried: Vec<String>,
    },
    /// The request could not be built from the input (an out-of-range parameter).
    #[error("the request could not be built")]
    InvalidInput(#[source] BuildError),
    /// The request could not be signed (a credential holds characters a header cannot carry).
    #[error("the request could not be signed")]
    Signing(#[source] SigningError),
    /// The transport failed on the last attempt.
    #[error("the request failed after {attempts} attempt(s)")]
    Transport {
        /// The last attempt's error.
        source: TransportError,
        /// Attempts made (requests sent).
        attempts: u32,
    },
    /// The service refused the request (after any retries).
    #[error("the service refused the request after {attempts} attempt(s)")]
    Service {
        /// The service's error: HTTP status, code, message, request ID.
        #[source]
        error: ApiError,
        /// Attempts made (requests sent).
        attempts: u32,
        /// The last response's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// The service answered, but the answer could not be read (after any retries).
    #[error("the response could not be read after {attempts} attempt(s)")]
    Response {
        /// What did not parse, with the HTTP status and a capped excerpt of the body.
        source: ResponseError,
        /// Attempts made (requests sent).
        attempts: u32,
    },
    /// A walk over every page of the job list was abandoned: the server repeated a page or the list
    /// went past the walk's bound ([`MAX_WALK_ITEMS`](modelarts_protocol::pagination::MAX_WALK_ITEMS),
    /// for both APIs, and the page bound derived from it). The jobs yielded before it are not the
    /// whole list.
    #[error("the job list could not be read to its end")]
    Walk(#[source] modelarts_protocol::pagination::WalkError),
    /// Not sent: an earlier request of a batch met a refusal of the credentials that no retry can
    /// fix (a wrong secret key, an unknown or locked access key;
    /// [`GatewayRefusal`](modelarts_protocol::iam::gateway::GatewayRefusal)). Every further request
    /// would have been refused too, and counted towards the gateway's lock of the access key.
    #[error("not sent: {reason}")]
    NotSent {
        /// Why: what the refusal means, and for a locked key until when it lasts.
        reason: String,
        /// The refusal that stopped the batch.
        #[source]
        refusal: ApiError,
    },
    /// A bug: a task panicked (only a batch reports this, for the one target whose task
    /// panicked), or a failure of a kind a newer `modelarts-protocol` added that this SDK does not
    /// know.
    #[error("internal error: {message}")]
    Internal {
        /// The panic message, if it was a string.
        message: String,
    },
}

/// The coarse class of an [`Error`], for exit codes and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCategory {
    /// Invalid or incomplete configuration, a server certificate the configured trust rejects
    /// (expired, for another name, from an unknown CA: fix the CA bundle or the endpoint), or a proxy
    /// that refused its credentials (407); retrying will not help.
    Config,
    /// No usable credentials.
    Credentials,
    /// The input cannot form a request.
    InvalidInput,
    /// The service refused the request for a reason retrying will not fix (4xx other than
    /// throttling: auth, permission, not found, conflict, invalid request).
    ServiceRefused,
    /// A transport failure (other than a rejected TLS certificate or proxy credentials, or an
    /// oversized answer), a server error (5xx), or
    /// throttling that outlasted the retries.
    Transient,
    /// The service's answer could not be read (including an answer over the transport's size cap),
    /// or a walk over the job list did not end within its bounds.
    Malformed,
    /// A bug in the SDK or a callback (a panic).
    Internal,
}

impl Error {
    /// The error's category.
    pub fn category(&self) -> ErrorCategory {
        match self {
            Error::Config(_) => ErrorCategory::Config,
            Error::Credentials { .. } | Error::Signing(_) => ErrorCategory::Credentials,
            Error::InvalidInput(_) => ErrorCategory::InvalidInput,
            Error::Transport { source, .. }
                if source.is_tls_rejected() || source.is_proxy_auth_rejected() =>
            {
                ErrorCategory::Config
            }
            // An answer over the size cap is an unreadable answer, not a network failure.
            Error::Transport { source, .. } if source.is_oversized() => ErrorCategory::Malformed,
            Error::Transport { .. } => ErrorCategory::Transient,
            Error::Service { error, .. } => match error.class() {
                _ if error.is_throttling() => ErrorCategory::Transient,
                ErrorClass::Server => ErrorCategory::Transient,
                _ => ErrorCategory::ServiceRefused,
            },
            Error::Response { source, .. } => match source {
                ResponseError::Api(e) if e.is_throttling() || e.is_server_error() => ErrorCategory::Transient,
                ResponseError::Api(_) => ErrorCategory::ServiceRefused,
                _ => ErrorCategory::Malformed,
            },
            Error::Walk(_) => ErrorCategory::Malformed,
            Error::NotSent { .. } => ErrorCategory::ServiceRefused,
            Error::Internal { .. } => ErrorCategory::Internal,
        }
    }

    /// The service's error, if the service refused the request.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Service { error, .. } => Some(error),
            Error::Response { source, .. } => source.api_error(),
            _ => None,
        }
    }

    /// The request ID of the last response, if the service answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Service { error, .. } => error.request_id(),
            Error::Response { source, .. } => source.request_id(),
            _ => None,
        }
    }

    /// The HTTP status of the last response, if the service answered.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Service { error, .. } => Some(error.http_status),
            Error::Response { source, .. } => Some(source.http_status()),
            _ => None,
        }
    }

    /// Whether the service was throttling the client (429, `APIG.0308`, …), still after the retries.
    pub fn is_throttling(&self) -> bool {
        self.api_error().is_some_and(ApiError::is_throttling)
    }

    /// Whether the job or version does not exist (never true of an API that is not there: see
    /// [`is_api_absent`](Self::is_api_absent)).
    pub fn is_not_found(&self) -> bool {
        self.api_error().is_some_and(ApiError::is_not_found)
    }

    /// Whether the API gateway said the API itself is not there: 404 `APIG.0101` ("The API does not
    /// exist or has not been published in the environment"), as a cloud that retired the v1
    /// training-job API answers a v1 call. A command that covers both APIs may skip v1 on this
    /// answer and on no other ([`ApiError::is_api_absent`]). The call was not retried.
    pub fn is_api_absent(&self) -> bool {
        self.api_error().is_some_and(ApiError::is_api_absent)
    }

    /// Whether retrying later might succeed: see [`ErrorCategory::Transient`].
    pub fn is_transient(&self) -> bool {
        self.category() == ErrorCategory::Transient
    }

    /// Attempts made (requests sent) before the error; 0 when nothing was sent.
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Transport { attempts, .. }
            | Error::Service { attempts, .. }
            | Error::Response { attempts, .. } => *attempts,
            _ => 0,
        }
    }

    /// The last response's `Retry-After`, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Service { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The configuration error, if the configuration is at fault.
    pub fn config_error(&self) -> Option<&ConfigError> {
        match self {
            Error::Config(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(Box::new(e))
    }
}

impl<E: SendError + Send + Sync + 'static> From<CallError<E>> for Error {
    fn from(e: CallError<E>) -> Self {
        let attempts = e.attempts;
        match e.error {
            AttemptError::Api { error, retry_after } => Error::Service { error, attempts, retry_after },
            AttemptError::Response(source) => Error::Response { source, attempts },
            AttemptError::Transport(source) => {
                Error::Transport { source: TransportError::new(source), attempts }
            }
            AttemptError::Prepare(PrepareError::Build(e)) => Error::InvalidInput(e),
            AttemptError::Prepare(PrepareError::Signing(e)) => Error::Signing(e),
            AttemptError::Prepare(e) => Error::Internal { message: e.to_string() },
            // A failure the protocol crate added after this SDK: an error, never a success, named
            // by kind only (its fields may hold what an error must not show).
            _ => Error::Internal {
                message: format!("an attempt failed in a way this SDK does not know ({attempts} attempt(s))"),
            },
        }
    }
}

/// Why a wait for a version to stop did not end with the version stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError<D: WaitSubject = VersionDetail> {
    /// The time was up while the resource was still not final (typically still KILLING or
    /// Terminating).
    #[error("gave up waiting after {waited:?}; last status: {}", last.as_ref().map_or_else(|| "unknown".to_owned(), |v| v.status_text()))]
    TimedOut {
        /// The last version detail (v1) or job object (v2) read, if any poll succeeded.
        last: Option<Box<D>>,
        /// How long the wait lasted.
        waited: Duration,
    },
    /// The resource reached a final state other than stopped (v1 COMPLETED, FAILED, LOST, …; v2
    /// Completed, Failed, Abnormal); the last object read.
    #[error("the {} ended as {} instead of being stopped", D::NOUN, .0.status_text())]
    OtherFinalState(Box<D>),
    /// A call failed for a reason waiting will not fix (authentication, not found, …), or the stop
    /// itself failed in [`stop_and_wait`](crate::Client::stop_and_wait).
    #[error("a call failed while stopping or waiting")]
    Call(#[source] Error),
}

/// What a wait reads: a v1 [`VersionDetail`] or a v2 [`TrainingJob`], with its status as text.
pub trait WaitSubject: std::fmt::Debug {
    /// `version` or `job`, for messages.
    const NOUN: &'static str;
    /// The status as a person reads it (`KILLED`, `Terminated`).
    fn status_text(&self) -> String;
}

impl WaitSubject for VersionDetail {
    const NOUN: &'static str = "version";
    fn status_text(&self) -> String {
        self.status.to_string()
    }
}

/// A status of either API, as [`Client::wait_target`](crate::Client::wait_target) reads it.
impl WaitSubject for modelarts_protocol::target::TargetStatus {
    const NOUN: &'static str = "job";
    fn status_text(&self) -> String {
        self.to_string()
    }
}

impl WaitSubject for TrainingJob {
    const NOUN: &'static str = "job";
    fn status_text(&self) -> String {
        PhaseStatus::of(self).to_string()
    }
}

impl<D: WaitSubject> WaitError<D> {
    /// The last object seen (version detail or job), if any.
    pub fn last(&self) -> Option<&D> {
        match self {
            WaitError::TimedOut { last, .. } => last.as_deref(),
            WaitError::OtherFinalState(v) => Some(v),
            WaitError::Call(_) => None,
        }
    }
}

impl<D: WaitSubject> From<Error> for WaitError<D> {
    fn from(e: Error) -> Self {
        WaitError::Call(e)
    }
}
