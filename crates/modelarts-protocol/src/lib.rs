//! Sans-IO core of the ModelArts v1 training-job API.
//!
//! This crate builds requests and parses responses as pure functions, signs requests with AK/SK
//! (`SDK-HMAC-SHA256`) or an IAM token, and makes the retry and wait decisions. It is deterministic: it
//! does no networking and reads no clock, environment, file or random source. Time and jitter are
//! arguments. Any transport can embed it:
//!
//! ```
//! use std::time::SystemTime;
//! use modelarts_protocol::{auth, Auth, Endpoint, operations::Operation};
//! use modelarts_protocol::operations::show_training_job_version::ShowTrainingJobVersion;
//! use modelarts_protocol::signing::Credentials;
//!
//! let endpoint = Endpoint::for_region("eu-de")?;
//! let op = ShowTrainingJobVersion::new("0123456789abcdef0123456789abcdef".parse()?, "10".parse()?, "3".parse()?);
//! let mut request = op.build_request(&endpoint)?;
//! let credentials = Auth::AkSk(Credentials::new("AK", "SK"));
//! auth::authorize(&mut request, &credentials, SystemTime::UNIX_EPOCH)?;
//! // … send `request` with any HTTP client, then:
//! let response = http::Response::builder()
//!     .status(200)
//!     .body(bytes::Bytes::from_static(br#"{"is_success":true,"job_id":10,"version_id":3,"status":9}"#))?;
//! let version = ShowTrainingJobVersion::parse_response(response)?;
//! assert_eq!(version.status.name(), "KILLING");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Modules: [`ids`] (validated identifiers), [`status`] (the 0..=22 status table), [`model`]
//! (response types), [`operations`], [`error`] ([`ApiError`] and the code catalogue), [`signing`]
//! and [`auth`], [`endpoint`] (and [`regions_file`]), [`iam`] (project discovery, password login,
//! agency, metadata and federation credentials, renewal), and the decisions and machines:
//! [`retry`], [`call`] (one operation's attempts), [`stop`] (the safe stop and the outcome
//! classifier), [`waiter`], [`pagination`]. The v2 API (UUID job IDs) is in [`v2`] and
//! [`operations::v2`].

pub mod auth;
pub mod endpoint;
pub mod error;
pub mod iam;
pub mod ids;
pub mod lenient;
pub mod logs;
pub mod machine;
pub mod operations;
pub mod regions_file;
pub mod signing;
pub mod target;
pub mod v1;
pub mod v2;
pub mod workspace;

// The paths of the modules before `machine/` and `v1/` grouped them, kept (see `CHANGELOG.md`).
pub use machine::{call, drive, pagination, retry, stop, waiter, watch};
pub use v1::{model, status};

/// The `bytes` crate of the bodies.
pub use bytes;
/// The `http` crate this crate's requests and responses are made of.
pub use http;

pub use auth::Auth;
pub use endpoint::Endpoint;
pub use error::{ApiError, BuildError, ErrorClass, ResponseError};
pub use ids::{JobId, ProjectId, VersionId};
pub use status::JobStatus;
pub use target::{ApiVersion, JobRef};

/// The `User-Agent` of every request of modelarts-rs: `modelarts-rs/<version>`. The SDK sets it on
/// each request it sends; an embedder sets it (or its own) the same way.
pub const USER_AGENT: &str = concat!("modelarts-rs/", env!("CARGO_PKG_VERSION"));
