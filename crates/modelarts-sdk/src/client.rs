//! The [`Client`]: holds the configuration and shared state (retry quota, measured clock skew) and
//! offers the operations.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use modelarts_http::HttpSend;
use modelarts_protocol::endpoint::Endpoint;
use modelarts_protocol::ids::{JobId, ProjectId, VersionId};
use modelarts_protocol::model::{JobList, VersionDetail, VersionList};
use modelarts_protocol::operations::Operation;
use modelarts_protocol::operations::list_training_job_versions::ListTrainingJobVersions;
use modelarts_protocol::operations::list_training_jobs::{ListQuery, ListTrainingJobs};
use modelarts_protocol::operations::show_training_job_version::ShowTrainingJobVersion;
use modelarts_protocol::retry::RetryPolicy;
use modelarts_protocol::stop::CallEnd;
#[cfg(feature = "transport")]
use modelarts_transport::HttpsTransport;

use crate::config::ClientBuilder;
use crate::config_error::ConfigError;
use crate::error::Error;
use modelarts_protocol::drive::Machine;
use modelarts_protocol::machine::steps::CallMachine;

use crate::execute::{Pipeline, SharedState, Signer, prepare};
use crate::resolve::ResolvedConfig;
use crate::settings::JitterFn;
use crate::time::Time;

/// The ModelArts training-job client. Cheap to clone (the state is shared behind an `Arc`), `Send`
/// and `Sync`; clones share the retry quota and the measured clock skew.
///
/// Stop a version and wait until it is KILLED, here against the local emulator:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use modelarts_emulator::{Emulator, EmulatorConfig, JobSeed};
/// use modelarts_sdk::{Client, Credentials, JobStatus, StopOutcome, WaitOptions};
///
/// let emulator = Emulator::start(
///     EmulatorConfig::default().tls(true).job(JobSeed::running(10, 3)).kill_after(Duration::from_millis(100)),
/// )
/// .await?;
/// let client = Client::builder()
///     .endpoint_url(&emulator.endpoint())
///     .ca_bundle(emulator.ca_cert_path().ok_or("no CA")?)
///     .project_id(emulator.project_id())
///     .credentials(Credentials::new(&emulator.credentials().access_key, &emulator.credentials().secret_key))
///     .env(|_| None)
///     .build()?;
///
/// let options = WaitOptions::default().with_min_delay(Duration::from_millis(50));
/// let done = client
///     .stop_and_wait("10".parse()?, "3".parse()?, options, |v| eprintln!("status {}", v.status))
///     .await?;
/// assert_eq!(done.stop, StopOutcome::Accepted);
/// assert_eq!(done.version.status, JobStatus::Killed);
/// # emulator.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "transport")]
pub struct Client<T = modelarts_transport::HttpsTransport> {
    pub(crate) inner: Arc<Inner<T>>,
}

/// The ModelArts training-job client over a sender of yours (see [`ClientBuilder::build_with`]).
/// Cheap to clone; clones share the retry quota and the measured clock skew.
#[cfg(not(feature = "transport"))]
pub struct Client<T> {
    pub(crate) inner: Arc<Inner<T>>,
}

pub(crate) struct Inner<T> {
    pub(crate) transport: T,
    pub(crate) endpoint: Endpoint,
    /// The endpoint and the rest of its list (failover on connect or TLS-handshake failures).
    pub(crate) endpoints: crate::execute::EndpointSet,
    pub(crate) project_id: ProjectId,
    pub(crate) auth: crate::identity::AuthState,
    /// The IAM endpoint, the region and where the project id came from.
    pub(crate) identity: crate::identity::IdentityInfo,
    pub(crate) policy: RetryPolicy,
    pub(crate) state: SharedState,
    pub(crate) jitter: JitterFn,
    pub(crate) time: Time,
}

impl<T> Inner<T> {
    /// The same configuration (endpoint, project, credentials, policy, jitter, clock, and the skew
    /// measured so far) over another sender, with a retry quota of its own.
    pub(crate) fn over<U>(&self, transport: U) -> Inner<U> {
        let state = SharedState::new();
        if let Some(skew) = self.state.skew() {
            state.record_skew(skew);
        }
        if self.state.credentials_proved() {
            state.prove_credentials();
        }
        Inner {
            transport,
            endpoint: self.endpoint.clone(),
            endpoints: self.endpoints.snapshot(),
            project_id: self.project_id.clone(),
            auth: self.auth.snapshot(),
            identity: self.identity.clone(),
            policy: self.policy,
            state,
            jitter: Arc::clone(&self.jitter),
            time: self.time.clone(),
        }
    }
}

impl<T> Clone for Client<T> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

impl<T> fmt::Debug for Client<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint.url())
            .field("project_id", &self.inner.project_id.as_str())
            .field("auth", &self.inner.auth.method_name())
            .field("max_attempts", &self.inner.policy.max_attempts)
            .finish_non_exhaustive()
    }
}

impl Client<()> {
    /// A builder; see [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }
}

#[cfg(feature = "transport")]
impl Client {
    /// A client on the HTTPS transport, configured from the environment and the credentials file
    /// only.
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::new().build()
    }
}

impl<T> Client<T> {
    /// The project every request goes to.
    pub fn project_id(&self) -> &ProjectId {
        &self.inner.project_id
    }

    /// The endpoint every request goes to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The retry policy in use.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.policy
    }

    /// The clock skew measured from the server's `Date` headers, in milliseconds (server minus
    /// local), if a response has carried one.
    pub fn clock_skew_millis(&self) -> Option<i64> {
        self.inner.state.skew().map(|s| s.millis)
    }

    /// Retry tokens left in the shared quota.
    pub fn retry_tokens_available(&self) -> u32 {
        self.inner.state.tokens_available()
    }

    /// A jitter in `[0, 1]` from the configured source.
    pub(crate) fn jitter(&self) -> f64 {
        (self.inner.jitter)().clamp(0.0, 1.0)
    }

    pub(crate) fn from_resolved(
        resolved: ResolvedConfig,
        transport: T,
        jitter: JitterFn,
        time: Time,
    ) -> Result<Self, Error> {
        let endpoint = checked_endpoint(&resolved)?;
        let resolved_identity = crate::identity::IdentityInfo::of(&resolved, None);
        if let Some(login) = &resolved.login
            && resolved.auth.is_none()
            && !matches!(login.value, crate::login::Login::Metadata { .. })
        {
            return Err(ConfigError::LoginNeedsConnect {
                from: login.source.clone(),
                login: login.value.describe(),
            }
            .into());
        }
        if let Some(agency) = &resolved.agency {
            return Err(ConfigError::AgencyNeedsConnect {
                agency: agency.value.agency_name.clone(),
                from: agency.source.clone(),
            }
            .into());
        }
        let auth = match resolved.auth {
            Some(s) => s.value,
            None => {
                let mut tried = resolved.credentials_tried;
                if resolved.login.is_some() {
                    tried.push(
                        "ECS/BMS metadata (not asked: ClientBuilder::build makes no call; connect does)"
                            .to_owned(),
                    );
                }
                return Err(Error::Credentials { tried });
            }
        };
        let project_id = resolved.project_id.map(|s| s.value).ok_or(ConfigError::NoProjectId)?;
        Ok(Self::assemble(
            transport,
            (endpoint, resolved.endpoint_fallbacks),
            project_id,
            crate::identity::AuthState::fixed(auth),
            resolved.retry_policy,
            SharedState::new(),
            jitter,
            time,
            resolved_identity,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        transport: T,
        (endpoint, fallbacks): (Endpoint, Vec<Endpoint>),
        project_id: ProjectId,
        auth: crate::identity::AuthState,
        policy: RetryPolicy,
        state: SharedState,
        jitter: JitterFn,
        time: Time,
        identity: crate::identity::IdentityInfo,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                transport,
                endpoints: crate::execute::EndpointSet::new(endpoint.clone(), fallbacks),
                endpoint,
                project_id,
                auth,
                identity,
                policy,
                state,
                jitter,
                time,
            }),
        }
    }

    /// Where the project id came from (`explicit`, `IAM lookup (disk cache)`, …), when the client
    /// was connected ([`ClientBuilder::connect`]); `None` for a client built offline.
    pub fn project_source(&self) -> Option<&str> {
        self.inner.identity.project_source.as_deref()
    }

    /// The API chosen for the commands that name no job (`ClientBuilder::api`, `MODELARTS_API`,
    /// the profile's `api`); `None`: both, v2 first.
    pub fn default_api(&self) -> Option<crate::ApiVersion> {
        self.inner.identity.api
    }

    /// The v2 workspace chosen for lists and searches (`ClientBuilder::workspace_id`,
    /// `MODELARTS_WORKSPACE_ID`, the profile's `workspace_id`); `None`: the service's default.
    pub fn workspace_id(&self) -> Option<&str> {
        self.inner.identity.workspace_id.as_deref()
    }

    /// The IAM endpoint this client's identity calls go to.
    pub fn iam_endpoint(&self) -> &Endpoint {
        &self.inner.identity.iam
    }
}

/// The ModelArts endpoint, refusing plain HTTP unless allowed.
fn checked_endpoint(resolved: &ResolvedConfig) -> Result<Endpoint, Error> {
    let endpoint = resolved.endpoint.as_ref().map(|s| s.value.clone()).ok_or(ConfigError::NoEndpoint)?;
    if !endpoint.is_https() && !resolved.allow_http.value {
        return Err(ConfigError::PlainHttp { endpoint: endpoint.url() }.into());
    }
    Ok(endpoint)
}

impl<T: HttpSend<Error: Send + Sync + 'static>> Client<T> {
    /// Builds a client whose credentials and project may need calls first: a login, the metadata
    /// service, an agency, the project lookup. Those calls run through the same pipeline (retries,
    /// skew) and their skew is kept.
    pub(crate) async fn connect_resolved(
        resolved: ResolvedConfig,
        transport: T,
        jitter: JitterFn,
        time: Time,
    ) -> Result<Self, Error> {
        let endpoint = checked_endpoint(&resolved)?;
        let resolved_identity = crate::identity::IdentityInfo::of(&resolved, None);
        let plan = crate::identity::IdentityPlan::of(&resolved);
        let project_source = resolved.project_id.as_ref().map(|s| s.source.to_string());
        let state = SharedState::new();
        let pipeline = crate::execute::Pipeline {
            transport: &transport,
            state: &state,
            time: &time,
            jitter: &jitter,
            policy: resolved.retry_policy,
        };
        let established = crate::identity::establish(&pipeline, plan, project_source).await?;
        let client = Self::assemble(
            transport,
            (endpoint, resolved.endpoint_fallbacks),
            established.project_id,
            established.auth,
            resolved.retry_policy,
            state,
            jitter,
            time,
            crate::identity::IdentityInfo {
                project_source: Some(established.project_source),
                ..resolved_identity
            },
        );
        Ok(client)
    }

    /// Reads a version's details (its status among them).
    pub async fn show_training_job_version(
        &self,
        job: JobId,
        version: VersionId,
    ) -> Result<VersionDetail, Error> {
        let op = ShowTrainingJobVersion::new(self.inner.project_id.clone(), job, version);
        self.call(&op).await
    }

    /// Reads one page of the job list (the API's defaults where `query` sets nothing: page 1, 10
    /// jobs).
    pub async fn list_training_jobs(&self, query: ListQuery) -> Result<JobList, Error> {
        let op = ListTrainingJobs::with_query(self.inner.project_id.clone(), query);
        self.call(&op).await
    }

    /// Reads every version of a job.
    pub async fn list_training_job_versions(&self, job: JobId) -> Result<VersionList, Error> {
        let op = ListTrainingJobVersions::new(self.inner.project_id.clone(), job);
        self.call(&op).await
    }

    /// Runs any protocol operation with this client's retries, signing and skew correction.
    pub async fn call<O: Operation + Sync>(&self, op: &O) -> Result<O::Output, Error> {
        self.execute(op).await
    }

    /// The exact request that would be sent for `op`, signed now (the build-and-sign step of every
    /// attempt of [`call`](Self::call); `--dry-run` goes through [`Client::dry_run`]). Its secret
    /// headers are marked sensitive; `Debug` on it hides them, but printing header values does not:
    /// mask `Authorization`, `X-Security-Token` and `X-Auth-Token` before showing it.
    pub fn signed_request<O: Operation>(&self, op: &O) -> Result<http::Request<Bytes>, Error> {
        self.prepare(op, self.inner.state.corrected_now(self.inner.time.now()))
    }
}

impl<T> Client<T> {
    /// Builds and authorizes `op`'s request as of `now` (already skew-corrected).
    pub(crate) fn prepare<O: Operation>(
        &self,
        op: &O,
        now: SystemTime,
    ) -> Result<http::Request<Bytes>, Error> {
        prepare(op, self.inner.endpoints.current(), Some(&self.inner.auth.current().0), now)
    }

    pub(crate) fn pipeline(&self) -> Pipeline<'_, T> {
        Pipeline {
            transport: &self.inner.transport,
            state: &self.inner.state,
            time: &self.inner.time,
            jitter: &self.inner.jitter,
            policy: self.inner.policy,
        }
    }
}

impl<T: HttpSend<Error: Send + Sync + 'static>> Client<T> {
    pub(crate) async fn execute<O: Operation + Sync>(&self, op: &O) -> Result<O::Output, Error> {
        match self.drive(CallMachine::new(op, self.inner.policy), |_| {}).await? {
            CallEnd::Done(output) => Ok(output),
            CallEnd::CheckState(e) | CallEnd::GaveUp(e) => Err(e.into()),
        }
    }

    /// Drives any machine of the protocol to its end on the client's endpoints with its
    /// credentials; `observe` sees the machine after each step. `Err` only for a failure outside
    /// the machine (a renewal of the credentials).
    pub(crate) async fn drive<M: Machine<Error = T::Error>>(
        &self,
        machine: M,
        observe: impl FnMut(&M),
    ) -> Result<M::Output, Error> {
        self.pipeline().drive(machine, &self.inner.endpoints, Signer::Client(&self.inner.auth), observe).await
    }
}

impl ClientBuilder {
    #[cfg(feature = "transport")]
    /// Builds a client on the HTTPS transport.
    pub fn build(self) -> Result<Client, Error> {
        let resolved = self.resolve()?;
        let transport = HttpsTransport::new(resolved.transport_config.clone()).map_err(transport_error)?;
        Client::from_resolved(resolved, transport, self.jitter, self.time)
    }

    #[cfg(feature = "transport")]
    /// Builds a client on the HTTPS transport, making the calls its identity needs first: the
    /// password login, the metadata service, the agency, the project lookup (when no project ID is
    /// set and the region is known). The project id is cached per identity and region in process
    /// and on disk, the token on disk, so a second run makes no IAM request.
    pub async fn connect(self) -> Result<Client, Error> {
        let resolved = self.resolve()?;
        let transport = HttpsTransport::new(resolved.transport_config.clone()).map_err(transport_error)?;
        Client::connect_resolved(resolved, transport, self.jitter, self.time).await
    }

    /// Like [`connect`](Self::connect), on any async sender.
    pub async fn connect_with<T: HttpSend<Error: Send + Sync + 'static>>(
        self,
        sender: T,
    ) -> Result<Client<T>, Error> {
        let resolved = self.resolve()?;
        Client::connect_resolved(resolved, sender, self.jitter, self.time).await
    }

    /// Builds a client on any async sender: another HTTP stack, or a fake in tests. The timeouts,
    /// CA bundle and proxy are the sender's business; the endpoint, credentials, retries and time
    /// are this builder's.
    pub fn build_with<T: HttpSend<Error: Send + Sync + 'static>>(
        self,
        sender: T,
    ) -> Result<Client<T>, Error> {
        let resolved = self.resolve()?;
        Client::from_resolved(resolved, sender, self.jitter, self.time)
    }

    /// Builds a client on any transport; the same as [`build_with`](Self::build_with).
    pub fn build_with_transport<T: HttpSend<Error: Send + Sync + 'static>>(
        self,
        transport: T,
    ) -> Result<Client<T>, Error> {
        self.build_with(transport)
    }
}

/// The configuration error of a transport that cannot be built: the CA bundle named when it is at
/// fault.
#[cfg(feature = "transport")]
fn transport_error(e: modelarts_transport::BuildError) -> Error {
    match &e {
        modelarts_transport::BuildError::CaBundle { path, .. } => {
            ConfigError::CaBundle { path: path.clone(), source: e }.into()
        }
        _ => ConfigError::HttpsTransport(e).into(),
    }
}
