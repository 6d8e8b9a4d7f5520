//! Async client for the ModelArts training-job APIs: stop a training job and see it stopped. v2
//! (current; a job is a UUID: [`Client::terminate_training_job`], [`Client::terminate_and_wait`],
//! [`Client::show_training_job`], [`Client::list_training_jobs_v2_all`]) and v1 (historical; a job
//! version is two numbers: [`Client::stop_training_job`], [`Client::stop_and_wait`]) share the same
//! safe stop, waiter and batch ([`JobRef`] targets, both APIs mixed).
//!
//! The [`Client`] runs the loops around the sans-IO [`modelarts_protocol`] crate, which makes every
//! decision (retry or not, backoff, waiter steps, pagination, status meaning):
//!
//! - configuration and a credentials chain with one documented precedence ([`ClientBuilder`],
//!   [`ResolvedConfig`]): AK/SK, tokens, password login, OIDC federation, CCE pod identity, the
//!   ECS metadata service, agencies, and the project ID looked up through IAM and cached
//!   ([`ClientBuilder::connect`]); endpoint lists that fail over on refused connections;
//! - retries with full-jitter backoff, `Retry-After`, and a retry quota shared by all requests of a
//!   client, so a dead endpoint is not hammered;
//! - clock skew measured from the server's `Date`, and one re-sign on an authentication failure it
//!   explains;
//! - an idempotent stop ([`Client::stop_training_job`]): after an ambiguous failure the status is
//!   read before the stop is sent again; a version already stopping or final is a success;
//! - a waiter ([`Client::wait_until_stopped`], [`Client::stop_and_wait`]);
//! - the whole job list as a `Stream` ([`Client::list_training_jobs_all`]);
//! - a batch stop with bounded concurrency and one definite outcome per target
//!   ([`Client::batch_stop`]);
//! - v2 jobs by name ([`Client::training_jobs_v2_named`], then [`JobName::pick`]) and what a stop
//!   is about to stop ([`Client::describe_targets`], [`Client::running_training_jobs_v2_described`],
//!   [`Client::running_versions_described`]).
//!
//! Features: `transport` (default) brings the HTTPS transport (`ClientBuilder::build`); without
//! it, [`ClientBuilder::build_with`] takes any [`HttpSend`] (closures implement it), and the tree
//! has no hyper or rustls. `blocking` adds `blocking::Client` over any [`BlockingHttpSend`],
//! driving the same loops.
//!
//! It never logs or displays a secret key, a token or an `Authorization` header. Each attempt runs
//! in a `DEBUG` span `modelarts.attempt` with the fields `operation`, `attempt`, `max_attempts`,
//! `status`, `request_id`, `outcome` and `backoff_ms`.

mod batch;
#[cfg(feature = "blocking")]
pub mod blocking;
mod cache;
mod check;
mod client;
mod config;
mod config_error;
mod describe;
mod dry_run;
mod error;
mod execute;
mod files;
mod identity;
mod list;
mod login;
mod logs;
#[cfg(feature = "blocking")]
mod probe;
mod resolve;
pub mod secrets;
mod settings;
mod stop;
mod target_list;
mod time;
mod v2;
mod wait;

pub use batch::{
    BatchCounts, BatchEvent, BatchOptions, BatchOutcome, BatchOutcomeKind, BatchReport,
    DEFAULT_BATCH_CONCURRENCY,
};
pub use client::Client;
pub use config::ClientBuilder;
pub use config_error::{ConfigError, ConfigFile, EndpointSetting, IdentityCall};
pub use dry_run::{DryRunSender, NotSent};
pub use error::{Error, ErrorCategory, TransportError, WaitError, WaitSubject};
pub use files::TextFileError;
pub use identity::{Agency, CredentialCheck, Login, METADATA_BOUND};
pub use list::DEFAULT_PAGE_SIZE;
pub use logs::{FollowOptions, JobState, LogEvent, LogTarget};
pub use modelarts_protocol::stop::Outcome;
pub use resolve::ResolvedConfig;
pub use settings::{Setting, SettingSource};
pub use stop::{StopOptions, StopOutcome, StopTargetError};
pub use target_list::{MAX_TARGET_LIST_BYTES, TargetListError, read_target_list, read_target_list_from};
pub use time::{Clock, Sleep, Sleeper, SystemClock, TokioSleeper};
pub use v2::{DEFAULT_V2_PAGE_SIZE, TerminateAndWait, V2ListQuery};
pub use wait::{StopAndWait, TargetEnd};

pub use modelarts_http::{BlockingHttpSend, HttpSend, SendError, TlsRejection};
pub use modelarts_protocol::USER_AGENT;
pub use modelarts_protocol::auth::{Auth, IamToken};
pub use modelarts_protocol::endpoint::Endpoint;
pub use modelarts_protocol::ids::{JobId, ProjectId, VersionId};
pub use modelarts_protocol::model::{JobList, JobSummary, VersionDetail, VersionList};
pub use modelarts_protocol::operations::list_training_jobs::{ListQuery, Order, SortBy};
pub use modelarts_protocol::operations::v2::list::{Filter, FilterOperator};
pub use modelarts_protocol::retry::RetryPolicy;
pub use modelarts_protocol::signing::Credentials;
pub use modelarts_protocol::status::JobStatus;
pub use modelarts_protocol::target::{ApiVersion, JobArg, JobRef, TargetStatus, TargetSummary};
pub use modelarts_protocol::v2::{
    JobName, NameError, NameScope, Phase, PhaseStatus, TrainingJob, TrainingJobId, TrainingJobList,
};
pub use modelarts_protocol::waiter::WaitOptions;
pub use modelarts_protocol::workspace::{DEFAULT_WORKSPACE_ID, Workspace};
#[cfg(feature = "transport")]
pub use modelarts_transport::{HttpsTransport, TransportConfig};

#[cfg(test)]
#[cfg(feature = "transport")]
mod tests;

/// The README's Rust examples, compiled as doctests so that they stay true (they use the default
/// transport).
#[cfg(all(doctest, feature = "transport"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
