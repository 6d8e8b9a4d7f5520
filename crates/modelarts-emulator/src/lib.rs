//! A local server for the ModelArts training-job API, v1 (historical, numeric ids) and v2 (current,
//! UUID ids) on the same port, for tests, demos, benchmarks and the official-SDK conformance run.
//!
//! It is a real server (hyper 1, HTTP/1.1 and HTTP/2, plain or TLS with a per-run CA) implementing
//! the four v1 operations with a status machine per job version, AK/SK and token auth, scripted
//! faults, a throttle mode, an admin API and a request journal. A seed fixes every random choice.
//! It writes the API's JSON itself from the reference notes; it does not reuse the client's types,
//! so it checks the client's parser independently. It does use the protocol crate's signature
//! verifier, which shares the signer's canonicalisation (the signer is checked against the official
//! SDK's vectors, and the conformance script checks the official SDK against this verifier).
//!
//! # In-process use
//!
//! ```
//! use std::time::Duration;
//! use modelarts_emulator::{Emulator, EmulatorConfig, JobSeed, status};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! # rt.block_on(async {
//! let emulator = Emulator::start(
//!     EmulatorConfig::default()
//!         .tls(true)
//!         .job(JobSeed::running(10, 20))
//!         .kill_after(Duration::from_millis(200)),
//! )
//! .await?;
//! assert!(emulator.endpoint().starts_with("https://127.0.0.1:"));
//! assert!(emulator.ca_cert_pem().is_some());
//! assert_eq!(emulator.state().version_status(10, 20), Some(status::RUNNING));
//! emulator.shutdown().await;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })
//! # }
//! ```
//!
//! # The API
//!
//! | Route | Operation |
//! |---|---|
//! | `POST /v1/{project_id}/training-jobs/{job_id}/versions/{version_id}/stop` | stop: 200 `{"is_success":true}` and the version goes KILLING |
//! | `GET /v1/{project_id}/training-jobs/{job_id}/versions/{version_id}` | version detail (§2 fields; `model_metric_list` is a JSON string) |
//! | `GET /v1/{project_id}/training-jobs` | job list: `status`, `per_page` (1..1000, 10), `page` (1..65535, 1), `sortBy`, `order`, `search_content`, `workspace_id` |
//! | `GET /v1/{project_id}/training-jobs/{job_id}/versions` | versions, newest first: `per_page` (1..1000, 10), `page` (0..65535, 0 = all) |
//!
//! Every answer has `Content-Type: application/json` (except the `html_502` and
//! `wrong_content_type` faults), `X-Request-Id` (32 hex digits from the seed and a counter) and a
//! `Date` from the emulator clock (wall clock plus the configured offset).
//!
//! Choices where the reference is silent:
//! - Stoppable statuses: INIT 1, IMAGE_CREATING 2, SUBMIT_TRYING 4, WAITING 7, RUNNING 8,
//!   SCALING 15. A stop of any other status is answered by [`AlreadyStoppedPolicy`] (default
//!   400 `ModelArts.0105`).
//! - KILLING becomes KILLED (or the version's `stop_result_status`) `kill_after` after the stop
//!   (default 2 s, emulator clock), or on the read after `kill_after_polls` status reads, whichever
//!   comes first. A status read is a show of the version, a versions listing that includes it, or a
//!   job list that reports it as the latest version; admin reads do not count. `duration` grows
//!   while RUNNING/KILLING/SCALING and freezes when the version ends (at the exact due time for the
//!   time rule).
//! - Unknown job or version: 400 `{"is_success":false,"error_code":"ModelArts.2775",…}`
//!   (TrainingJobNotFound is documented as 400); a 404 variant is the `not_found` fault.
//! - Wrong project id in the path: 403 `ModelArts.0210` (project ID does not match the token),
//!   checked after auth. Non-numeric ids and invalid query values: 400 `ModelArts.0101`.
//! - `job_total_count` is the number of jobs matching the filter (all pages), so a client can page;
//!   `job_count_limit` is `quotas` minus all jobs; `quotas` is [`EmulatorConfig::quota`] (1000).
//! - `search_content` is a case-insensitive substring of the job name; an absent `workspace_id`
//!   means `"0"` (the documented default), which every job has unless seeded otherwise. List sorts
//!   break ties by job id (desc is the exact reverse of asc). `status`, `duration` and `version_id` in the list are the latest
//!   (highest id) version's.
//! - Unknown paths and wrong methods, including a trailing slash: 404 `APIG.0101`.
//! - **No v1 API** ([`EmulatorConfig::v1_absent`], `--v1-absent`): every
//!   `/v1/{project_id}/training-jobs…` route answers as an unknown path, 404
//!   `{"error_code":"APIG.0101","error_msg":"The API does not exist or has not been published in the environment","request_id":…}`
//!   with `X-Request-Id`, before auth, faults or anything else (the journal names the route
//!   `unknown`), as Huawei Cloud does since it retired the v1 training-job API. The v2 routes, the
//!   workspace list, IAM and metadata are unaffected.
//! - Request bodies over 1 MiB: 413 `APIG.0201`.
//!
//! # The v2 API
//!
//! | Route | Operation |
//! |---|---|
//! | `POST /v2/{project_id}/training-jobs/{training_job_id}/actions` | body `{"action_type":"terminate"}`: 202 with the job object, now `Terminating` |
//! | `GET /v2/{project_id}/training-jobs/{training_job_id}` | 200, the job object |
//! | `POST /v2/{project_id}/training-job-searches` | body `{offset, limit, sort_by, order, group_by, workspace_id, filters}`: 200 `{total, count, limit, offset, sort_by, order, [group_by], items}` |
//!
//! The job object: `kind`, `metadata{id, name, workspace_id, description, create_time, user_name,
//! annotations}`, `status{phase, secondary_phase, duration, start_time, tasks, task_statuses[{task,
//! exit_code, message}]}`, `algorithm`, `spec{resource{policy, flavor_id, node_count}}`. Errors are
//! `{"error_code":…,"error_msg":…}` (no `is_success`). Fault scripts, the throttle, auth and the
//! journal apply as for v1; the route names are `v2_terminate`, `v2_show` and `v2_list`, a script may
//! select one job with `"training_job_id"`, and journal entries carry `training_job_id`.
//!
//! Choices where the reference is silent or disagrees with itself:
//! - **`offset` is a page index** (from 0, pages of `limit` jobs), as the API reference says; the SDK
//!   reference's "records to skip" reading is not implemented. `limit` is 1..=50, 10 when absent.
//! - Sort fields: `create_time` (default), `name`, `duration`; order `desc` (default) or `asc`; ties
//!   broken by id. Others: 400 `ModelArts.2790`.
//! - Filters (all must match): keys `id`, `name`, `phase` (alias `status`) with `in`, `not`, `like`
//!   (case-insensitive substring of any value), and `create_time` with `between` (two epoch-ms
//!   values, inclusive). Phase and id compare without regard to case, names exactly. Another key:
//!   400 `ModelArts.2789`; a bad operator, value or range: 400 `ModelArts.2788`; a body that is not
//!   a JSON object: 400 `ModelArts.2787`.
//! - Phases: Creating, Pending and Running accept a terminate and go `Terminating`, which becomes
//!   `Terminated` (or the seed's `terminate_result`) by the v1 rules: `kill_after` on the emulator
//!   clock or the read after `kill_after_polls` status reads (a show, or a list that reports the
//!   job). A terminate of any other phase is answered by [`Settings::v2_already_stopped`] (default
//!   409 `ModelArts.2796`); it never takes effect.
//! - Unknown id (any shape): 400 `ModelArts.2775`, like v1 (the `not_found` fault gives 404). Ids
//!   are compared without regard to case. Wrong project: 403 `ModelArts.0210`.
//! - Seeds: `--v2-jobs N` (N Running jobs, ids from the random seed), [`V2JobSeed`] through
//!   [`EmulatorConfig::v2_job`], the seed file's `v2_jobs` section (`{"jobs":[…],"v2_jobs":[…]}`;
//!   a bare array is v1 jobs), and `POST /__emulator/v2/jobs`.
//! - **Workspaces**: a job is in the workspace of its seed (`workspace_id`, [`V2JobSeed::workspace`];
//!   `"0"`, the default workspace, when absent). A search reads the body's `workspace_id`, `"0"`
//!   when absent, and shows only that workspace's jobs (`total` counts them alone); the answer
//!   repeats the `workspace_id` searched. `GET /v1/{project_id}/workspaces` (route `workspaces`)
//!   lists `"0"` (named `default`) and every workspace a v1 or v2 job is in, as the workspace
//!   management API does: `{total_count, count, workspaces:[{id, name, description, owner,
//!   create_time, update_time, enterprise_project_id, enterprise_project_name, auth_type, status,
//!   status_info}]}`; query `offset` (a page index), `limit` (1..=1000, 1000), `sort_by` (`name`,
//!   `update_time`, `status`), `order` (`desc` default), `name` (substring), `enterprise_project_id`,
//!   `filter_accessible`. It is not part of the v1 training-job API, so `--v1-absent` keeps it.
//! - **A search index that lags behind**: a job seeded with `"hidden_from_search": true` (or hidden
//!   later with [`StateHandle::set_v2_hidden_from_search`]) is in no search page and no `total`,
//!   whatever the filter, while show, terminate, logs and events find it as usual; a client must
//!   fall back to a show to learn its phase. Snapshots say `hidden_from_search`.
//!
//! # Logs and events
//!
//! | Route | Operation |
//! |---|---|
//! | `GET /v1/{p}/training-jobs/{job}/versions/{version}/log/file-names` | `{is_success, log_file_list}`: `modelarts-job-{job}-worker-{i}.log` per worker (the detail's `worker_server_num`, 1 by default) |
//! | `GET /v1/{p}/training-jobs/{job}/versions/{version}/aom-log` | `log_file` (required), `base_line`, `lines` (0..=500, 50), `order` (`desc`, the default: the lines after `base_line`; `asc`: before it): `{is_success, content, lines (a string), start_line (a number), end_line (a string)}`; without `base_line` the latest lines |
//! | `GET /v2/{p}/training-jobs/{id}/tasks/{task}/logs/preview` | `{content, current_size, full_size}`: the whole log, or its last [`PREVIEW_LIMIT_BYTES`] bytes |
//! | `GET /v2/{p}/training-jobs/{id}/tasks/{task}/logs/url` | `{obs_url}`: a fake presigned address; `Content-Type: application/octet-stream` asks for a download address |
//! | `GET /v2/{p}/training-jobs/{id}/events` | `offset` (events to skip), `limit` (1..=100, 50), `order` (`asc` by default), `start_time`/`end_time` (epoch ms, together), `level`, `pattern`: `{total, count, events:[{time, level, source, message}]}` |
//!
//! A log has one line per [`LINE_INTERVAL_MS`] of run time until a stop (terminate) is requested,
//! then a closing line once the job has ended (`… training ended: JOBSTAT_KILLED`). Every tenth
//! line carries an ANSI colour sequence. v1 line positions are [`LINE_BASE`] + 1 + index.
//! Events: created, running, terminate requested, ended (`Error` for Failed and Abnormal). A log
//! read is not a status read (it does not count toward `kill_after_polls`). Route names for
//! faults and the journal: `log_file_names`, `aom_log`, `v2_log_preview`, `v2_log_url`,
//! `v2_events`. A hung job: seed `log_stall_after_lines`, or `POST /__emulator/logs/stall` with
//! `{"job_id","version_id"}` or `{"training_job_id"}` ([`StateHandle::stall_log`],
//! [`StateHandle::stall_v2_log`]): the log stops growing while the job runs on. A wrong task or
//! file: 400 (`ModelArts.2788` for v2, `ModelArts.0101` for v1).
//!
//! # Identity faces
//!
//! The same listener serves an IAM face (`/v3/projects`, `/v3/auth/tokens`,
//! `/v3.0/OS-CREDENTIAL/securitytokens`, `/v3.0/OS-AUTH/id-token/tokens`; see [`IamConfig`]) and,
//! when enabled, the ECS metadata face (`/meta-data/latest/api/token`,
//! `/openstack/latest/securitykey`; see [`MetadataConfig`]) and the CCE pod-identity face
//! (`POST /v1/credentials`; see [`PodIdentityConfig`]). Tokens and temporary keys they issue
//! are accepted by every authenticated route until they expire on the emulator clock; an expired
//! token is answered as the gateway does, 401 `{"error_code":"APIG.0301","error_msg":"Incorrect IAM
//! authentication information: token expires, expires_at: <time>"}`, expired temporary keys 401
//! `APIG.0301` (`the security token has expired`). The identity routes
//! are journaled and take fault scripts (routes `iam_projects`, `iam_tokens`,
//! `iam_security_tokens`, `iam_id_tokens`, `metadata_token`, `metadata_security_key`; the `any`
//! selector leaves them out); the login and metadata routes need no authentication.
//!
//! # Auth
//!
//! Modes ([`AuthMode`]): `off`, `log` (check, warn and journal, serve anyway), `enforce` (default).
//! A request passes with `X-Auth-Token` equal to the configured token, or else with a valid
//! `SDK-HMAC-SHA256` signature by the configured AK/SK with `X-Sdk-Date` within ±15 min of the
//! emulator clock; with a configured security token, AK/SK requests must carry a matching
//! `X-Security-Token`; an `X-Project-Id` header must match the project. Failures in `enforce` mode:
//! 401 `{"error_code":"APIG.0301","error_msg":"Incorrect IAM authentication information: <reason>",
//! "request_id":…}` where the reason is e.g. `verify aksk signature fail`, `date out of range (skew
//! -1200 s)`, `unknown access key`, `x-auth-token not found`, `decrypt token fail`.
//!
//! # Faults and throttling
//!
//! See [`FaultStep`] for every kind and [`FaultScript`] for how steps are matched and consumed. The
//! throttle mode ([`ThrottleSettings`]) answers 429 `APIG.0308` when a global token bucket on the
//! emulator clock is empty. Closing a connection for `reset_before`/`reset_after_effect` sends a
//! TCP RST on HTTP/1.1 (no response at all); on HTTP/2 it resets only that request's stream
//! (`RST_STREAM`), so one fault does not fail the other requests multiplexed on the connection.
//!
//! # Admin API
//!
//! Under `/__emulator/`, unauthenticated, answering loopback peers only (403 otherwise), JSON in and
//! out, not journaled:
//!
//! | Route | Body / answer |
//! |---|---|
//! | `GET /__emulator/jobs` | `{"jobs":[JobSnapshot…]}` |
//! | `POST /__emulator/jobs` | a [`JobSeed`] or an array → `{"jobs":[{"job_id":10,"version_ids":[20]}]}` |
//! | `DELETE /__emulator/jobs` | removes every job |
//! | `GET`, `POST`, `DELETE /__emulator/v2/jobs` | v2 jobs: `{"jobs":[V2JobSnapshot…]}`; a [`V2JobSeed`] or an array → `{"jobs":["<id>"…]}`; removes every v2 job |
//! | `POST /__emulator/reset` | back to the start state (jobs, faults, throttle, settings, clock, seed, empty journal) |
//! | `GET`, `POST`, `DELETE /__emulator/faults` | a [`FaultScript`] or an array, e.g. `{"route":"stop","job_id":10,"steps":[{"status":503},{"reset_after_effect":true}]}`; GET shows what is left |
//! | `GET`, `POST`, `DELETE /__emulator/throttle` | [`ThrottleSettings`] `{"rps":5,"burst":5,"retry_after":1}`; `null` or DELETE turns it off |
//! | `GET`, `POST /__emulator/clock` | `{"offset_ms":…}`, `{"offset_secs":…}` or `{"advance_ms":…}` → `{"offset_ms":…,"now_ms":…}` |
//! | `GET`, `POST /__emulator/settings` | [`Settings`] (partial on POST): `{"auth":"log","already_stopped":"conflict","kill_after_ms":200,"kill_after_polls":null,"error_field":"error_msg"}` |
//! | `GET /__emulator/journal` | `{"dropped":0,"entries":[JournalEntry…]}`; filters `?route=stop&job_id=10&version_id=20` |
//! | `DELETE /__emulator/journal` | empties the journal and the attempt counters |
//!
//! A journal entry ([`JournalEntry`]):
//!
//! ```json
//! {"seq":3,"time_ms":1767225600000,"request_id":"9f…","http_version":"HTTP/1.1","method":"POST",
//!  "path":"/v1/6d…/training-jobs/10/versions/20/stop","query":null,"route":"stop","job_id":10,
//!  "version_id":20,"attempt":2,"headers":[["authorization","<redacted>"],["x-sdk-date","20260101T000000Z"]],
//!  "auth":{"result":"accepted","scheme":"ak_sk","access_key":"EMULATORAK0000000001","reason":null},
//!  "throttled":false,"fault":{"reset_after_effect":true},"status":null,"effective_stop":true}
//! ```

mod admin;
mod api;
mod auth;
mod body;
mod config;
mod faults;
mod iam;
mod journal;
mod logs;
mod metadata;
mod model;
mod pod_identity;
mod server;
mod state;
mod throttle;
mod tls;
mod v2_api;
mod v2_model;
mod workspaces;

use std::path::PathBuf;

pub use auth::{AcceptedCredentials, AuthMode};
pub use config::{AlreadyStoppedPolicy, EmulatorConfig, ErrorField, Settings};
pub use faults::{FaultScript, FaultStep, RetryAfter, Route, RouteSelector, ThrottleFault, Trickle};
pub use iam::{IamAgency, IamConfig, IamFederation, IamProject, IamUser};
pub use journal::{AuthRecord, AuthResult, AuthScheme, JournalEntry};
pub use logs::{LINE_BASE, LINE_INTERVAL_MS, PREVIEW_LIMIT_BYTES};
pub use metadata::MetadataConfig;
pub use model::{JobSeed, JobSnapshot, VersionSeed, VersionSnapshot, status};
pub use pod_identity::PodIdentityConfig;
pub use server::{Emulator, RunningEmulator};
pub use state::StateHandle;
pub use throttle::ThrottleSettings;
pub use v2_model::{V2JobSeed, V2JobSnapshot, V2Phase};

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Another I/O operation failed.
    #[error("I/O error while {what}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Generating the certificates or the TLS configuration failed.
    #[error("TLS set-up failed: {0}")]
    Tls(String),
    /// The configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A seed or fault file is invalid.
    #[error("invalid file {}: {reason}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Parses a JSON array of `T`, or a single `T` object.
fn one_or_many<T: serde::de::DeserializeOwned>(json: &[u8]) -> Result<Vec<T>, serde_json::Error> {
    let first = json.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        serde_json::from_slice(json)
    } else {
        serde_json::from_slice(json).map(|one| vec![one])
    }
}
