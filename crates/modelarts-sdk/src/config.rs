//! Client configuration: the [`ClientBuilder`], the credentials chain, and [`ResolvedConfig`], every
//! setting with the place it came from.
//!
//! Precedence, first hit wins, per setting: explicit builder values → environment → the credentials
//! file (`HUAWEICLOUD_SDK_CREDENTIALS_FILE` or `~/.huaweicloud/credentials`, section = profile) →
//! default. Nothing here may print a secret: [`ResolvedConfig`]'s `Display` and `Debug` mask them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use modelarts_http::HttpSend;
use modelarts_protocol::auth::{Auth, IamToken};
use modelarts_protocol::endpoint::Endpoint;
use modelarts_protocol::ids::ProjectId;
use modelarts_protocol::retry::RetryPolicy;
use modelarts_protocol::signing::Credentials;
#[cfg(feature = "transport")]
use modelarts_transport::{HttpsTransport, TransportConfig};

use modelarts_protocol::iam::token::{MfaCode, Password};

use crate::identity::{Agency, Login};
use crate::time::{Clock, Sleeper, Time};

use crate::client::Client;
use crate::error::Error;

/// Draws a jitter in `[0, 1]`; injectable for tests.
pub(crate) type JitterFn = Arc<dyn Fn() -> f64 + Send + Sync>;

/// Reads an environment variable: unset (`Ok(None)`), its value, or [`NotUnicode`]; injectable for
/// tests.
pub(crate) type EnvFn = Arc<dyn Fn(&str) -> Result<Option<String>, NotUnicode> + Send + Sync>;

/// An environment variable is set to bytes that are not valid UTF-8 (never dropped silently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotUnicode;

/// The process environment, telling a value that is not UTF-8 from an unset variable.
fn process_env(name: &str) -> Result<Option<String>, NotUnicode> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(NotUnicode),
    }
}

/// Builds a [`Client`]. Every setting not given explicitly is looked up when the client is built,
/// per setting and first hit wins: explicit value → environment → credentials file → default. An
/// environment variable set to the empty string counts as unset.
///
/// | Setting | Environment | Credentials file key |
/// |---|---|---|
/// | AK/SK (+ token) | `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`, `HUAWEICLOUD_SDK_SECURITY_TOKEN` | `ak`, `sk`, `security_token` |
/// | IAM token | `MODELARTS_IAM_TOKEN` (after AK/SK) | – |
/// | password login | `HUAWEICLOUD_SDK_USERNAME`, `HUAWEICLOUD_SDK_PASSWORD`, `HUAWEICLOUD_SDK_DOMAIN_NAME` | `username`, `password`, `domain_name` |
/// | virtual MFA of a password login | `MODELARTS_MFA_CODE` (never a file), `MODELARTS_USER_ID` | `user_id` |
/// | OIDC federation | `HUAWEICLOUD_SDK_IDP_ID`, `HUAWEICLOUD_SDK_ID_TOKEN_FILE` | `idp_id`, `id_token_file` |
/// | CCE pod identity | `HC_CONTAINER_CREDENTIALS_FULL_URI`, `HC_CONTAINER_AUTHORIZATION_TOKEN_FILE` | – |
/// | ECS/BMS metadata (last) | `MODELARTS_METADATA_ENDPOINT` (address or `off`) | – |
/// | agency | `MODELARTS_AGENCY_NAME`, `MODELARTS_AGENCY_DOMAIN` | `agency_name`, `agency_domain` |
/// | project ID | `HUAWEICLOUD_SDK_PROJECT_ID` (else looked up by [`connect`](Self::connect)) | `project_id` |
/// | region | `MODELARTS_REGION`, `HUAWEICLOUD_SDK_REGION` | – |
/// | endpoint | `MODELARTS_ENDPOINT_URL`, `HUAWEICLOUD_SDK_REGION_MODELARTS_<REGION>` (lists fail over), `HUAWEICLOUD_SDK_REGIONS_FILE`, else derived from the region | – |
/// | IAM endpoint | `HUAWEICLOUD_SDK_IAM_ENDPOINT`, then the regions file, the region's, the global one | `iam_endpoint` |
/// | identity cache | `XDG_CACHE_HOME` (`/modelarts`), else `$HOME/.cache/modelarts` | – |
/// | CA bundle | `MODELARTS_CA_BUNDLE` | – |
/// | profile (file section) | `MODELARTS_PROFILE`, default `basic` | – |
/// | credentials file | `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, default `$HOME/.huaweicloud/credentials` | – |
///
/// [`build`](Self::build) makes no call: it needs AK/SK or a token and a project ID. A password,
/// federation, pod identity, the metadata service, an agency or a project lookup need calls first:
/// [`connect`](Self::connect) makes them (through the same retries and skew correction as every
/// call) and caches what it may.
///
/// The credentials file (INI, one section per profile) is read only when a setting is not found
/// before it. When no credentials are found, [`Error::Credentials`] lists every source tried.
/// Invalid values fail the build with [`Error::Config`]: no region and no endpoint, an empty AK or
/// SK, an AK without SK, an unreadable CA bundle, zero attempts, an unreadable or garbled credentials
/// file (with its path and line), an explicitly chosen profile missing from the credentials file, plain `http`
/// without [`allow_http`](Self::allow_http).
///
/// ```
/// use modelarts_sdk::Client;
/// use modelarts_protocol::signing::Credentials;
///
/// # #[cfg(feature = "transport")] {
/// let client = Client::builder()
///     .region("eu-de")
///     .project_id("0123456789abcdef0123456789abcdef")
///     .credentials(Credentials::new("AK", "SK"))
///     .env(|_| None) // ignore the real environment
///     .build()?;
/// assert_eq!(client.endpoint().url(), "https://modelarts.eu-de.otc.t-systems.com");
/// # }
/// # Ok::<(), modelarts_sdk::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    pub(crate) region: Option<String>,
    pub(crate) endpoint_url: Option<String>,
    pub(crate) project_id: Option<String>,
    pub(crate) api: Option<modelarts_protocol::target::ApiVersion>,
    pub(crate) workspace_id: Option<String>,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) iam_token: Option<IamToken>,
    pub(crate) profile: Option<String>,
    pub(crate) credentials_file: Option<PathBuf>,
    pub(crate) password_login: Option<Login>,
    pub(crate) mfa_code: Option<MfaCode>,
    pub(crate) user_id: Option<String>,
    pub(crate) iam_endpoint: Option<String>,
    pub(crate) agency_name: Option<String>,
    pub(crate) agency_domain: Option<String>,
    pub(crate) metadata_endpoint: Option<String>,
    pub(crate) cache_dir: Option<Option<PathBuf>>,
    pub(crate) retry_policy: Option<RetryPolicy>,
    pub(crate) max_attempts: Option<u32>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) ca_bundle: Option<PathBuf>,
    pub(crate) insecure: Option<bool>,
    pub(crate) allow_http: Option<bool>,
    #[cfg(feature = "transport")]
    pub(crate) transport_config: Option<TransportConfig>,
    pub(crate) env: EnvFn,
    #[cfg(feature = "blocking")]
    pub(crate) blocking_sleeper: Option<Arc<dyn crate::blocking::BlockingSleeper>>,
    pub(crate) jitter: JitterFn,
    pub(crate) time: Time,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("project_id", &self.project_id)
            .field("credentials", &self.credentials)
            .field("iam_token", &self.iam_token)
            .field("profile", &self.profile)
            .field("credentials_file", &self.credentials_file)
            .field("password_login", &self.password_login)
            .field("mfa_code", &self.mfa_code)
            .field("user_id", &self.user_id)
            .field("iam_endpoint", &self.iam_endpoint)
            .field("agency_name", &self.agency_name)
            .field("agency_domain", &self.agency_domain)
            .field("metadata_endpoint", &self.metadata_endpoint)
            .field("cache_dir", &self.cache_dir)
            .field("retry_policy", &self.retry_policy)
            .field("max_attempts", &self.max_attempts)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("ca_bundle", &self.ca_bundle)
            .field("insecure", &self.insecure)
            .field("allow_http", &self.allow_http)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// A builder with nothing set, reading the process environment.
    pub fn new() -> Self {
        Self {
            region: None,
            endpoint_url: None,
            project_id: None,
            api: None,
            workspace_id: None,
            credentials: None,
            iam_token: None,
            profile: None,
            credentials_file: None,
            password_login: None,
            mfa_code: None,
            user_id: None,
            iam_endpoint: None,
            agency_name: None,
            agency_domain: None,
            metadata_endpoint: None,
            cache_dir: None,
            retry_policy: None,
            max_attempts: None,
            connect_timeout: None,
            timeout: None,
            ca_bundle: None,
            insecure: None,
            allow_http: None,
            #[cfg(feature = "transport")]
            transport_config: None,
            env: Arc::new(process_env),
            #[cfg(feature = "blocking")]
            blocking_sleeper: None,
            jitter: Arc::new(fastrand::f64),
            time: Time::system(),
        }
    }

    /// The region (`cn-north-4`, `eu-de`, …); the endpoint is derived from it unless
    /// [`endpoint_url`](Self::endpoint_url) is set. Env: `MODELARTS_REGION`, `HUAWEICLOUD_SDK_REGION`.
    pub fn region(mut self, region: &str) -> Self {
        self.region = Some(region.to_owned());
        self
    }

    /// An explicit endpoint URL (an emulator, a private endpoint). Env: `MODELARTS_ENDPOINT_URL`, then
    /// `HUAWEICLOUD_SDK_REGION_MODELARTS_<REGION>` (first of a comma-separated list).
    pub fn endpoint_url(mut self, url: &str) -> Self {
        self.endpoint_url = Some(url.to_owned());
        self
    }

    /// The project ID. Env: `HUAWEICLOUD_SDK_PROJECT_ID`; file key `project_id`.
    pub fn project_id(mut self, project_id: &str) -> Self {
        self.project_id = Some(project_id.to_owned());
        self
    }

    /// The API of the commands that name no job (`list`, stop of every running job). Else
    /// `MODELARTS_API`, else the profile's `api`; unset: both APIs.
    pub fn api(mut self, api: modelarts_protocol::target::ApiVersion) -> Self {
        self.api = Some(api);
        self
    }

    /// The v2 workspace that lists and searches read. Else `MODELARTS_WORKSPACE_ID`, else the
    /// profile's `workspace_id`; unset: the service's default workspace (`"0"`).
    pub fn workspace_id(mut self, workspace_id: &str) -> Self {
        self.workspace_id = Some(workspace_id.to_owned());
        self
    }

    /// AK/SK credentials (with an optional security token). Wins over every other source.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// An IAM token instead of AK/SK. Env: `MODELARTS_IAM_TOKEN`.
    pub fn iam_token(mut self, token: &str) -> Self {
        self.iam_token = Some(IamToken::new(token));
        self
    }

    /// The section of the credentials file. Env: `MODELARTS_PROFILE`; default `basic`.
    pub fn profile(mut self, profile: &str) -> Self {
        self.profile = Some(profile.to_owned());
        self
    }

    /// The credentials file. Env: `HUAWEICLOUD_SDK_CREDENTIALS_FILE`; default
    /// `~/.huaweicloud/credentials`.
    pub fn credentials_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.credentials_file = Some(path.into());
        self
    }

    /// A password login (`POST {iam}/v3/auth/tokens`) instead of AK/SK; needs
    /// [`connect`](Self::connect). Env: `HUAWEICLOUD_SDK_USERNAME`, `HUAWEICLOUD_SDK_PASSWORD`,
    /// `HUAWEICLOUD_SDK_DOMAIN_NAME`; file keys `username`, `password`, `domain_name`. The token is
    /// cached on disk (mode 0600; never the password) and reused until 15 min before it expires.
    pub fn password_login(mut self, user_name: &str, password: &str, domain_name: &str) -> Self {
        self.password_login = Some(Login::Password {
            user_name: user_name.trim().to_owned(),
            password: Password::new(password),
            domain_name: domain_name.trim().to_owned(),
            mfa: None,
        });
        self
    }

    /// The current code of the IAM user's virtual MFA device, for a password login whose user
    /// has MFA login protection (`methods: ["password", "totp"]`). Env: `MODELARTS_MFA_CODE`;
    /// deliberately no file key: a one-time code (valid about 30 s) does not belong in a file.
    /// Needs the user's id too ([`user_id`](Self::user_id)), as the API names the MFA user by id.
    /// A token obtained with a code is cached and reused like any other, so later runs need no
    /// code until it is due for renewal. Never shown in `Debug`, errors or logs.
    pub fn mfa_code(mut self, code: &str) -> Self {
        self.mfa_code = Some(MfaCode::new(code));
        self
    }

    /// The IAM user's id (32 hex characters, shown in the console under "My Credentials"), which
    /// an MFA login sends with the code. Env: `MODELARTS_USER_ID`; file key `user_id`.
    pub fn user_id(mut self, user_id: &str) -> Self {
        self.user_id = Some(user_id.trim().to_owned());
        self
    }

    /// The IAM endpoint (project lookup, logins, agencies). Env: `HUAWEICLOUD_SDK_IAM_ENDPOINT`;
    /// file key `iam_endpoint`; else the region's IAM endpoint, else the global one.
    pub fn iam_endpoint(mut self, url: &str) -> Self {
        self.iam_endpoint = Some(url.to_owned());
        self
    }

    /// Assumes the agency `agency_name` created by the account `domain_name` with the base
    /// credentials (temporary AK/SK, renewed ahead of expiry); needs [`connect`](Self::connect).
    /// Env: `MODELARTS_AGENCY_NAME`, `MODELARTS_AGENCY_DOMAIN`; file keys `agency_name`,
    /// `agency_domain`.
    pub fn agency(mut self, domain_name: &str, agency_name: &str) -> Self {
        self.agency_domain = Some(domain_name.to_owned());
        self.agency_name = Some(agency_name.to_owned());
        self
    }

    /// The ECS/BMS metadata service's address (default `http://169.254.169.254`), the chain's last
    /// source; `"off"` turns it off. Env: `MODELARTS_METADATA_ENDPOINT`. Never changed otherwise.
    pub fn metadata_endpoint(mut self, url: &str) -> Self {
        self.metadata_endpoint = Some(url.to_owned());
        self
    }

    /// The directory of the identity caches (project ids, IAM tokens), or `None` for no disk
    /// cache. Default: `$XDG_CACHE_HOME/modelarts`, else `~/.cache/modelarts`.
    pub fn cache_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.cache_dir = Some(dir);
        self
    }

    /// The retry policy (attempts, backoff bases and cap). Default: [`RetryPolicy::default()`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = Some(policy);
        self
    }

    /// Attempts per call, at least 1 (overrides the policy's `max_attempts`). Default 3.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    #[cfg(feature = "transport")]
    /// Time to set up a connection (DNS, TCP, TLS). Default 5 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    #[cfg(feature = "transport")]
    /// Time for one attempt, from sending to having read the whole response. Default 30 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    #[cfg(feature = "transport")]
    /// An extra PEM file of trusted CA certificates. Env: `MODELARTS_CA_BUNDLE`.
    pub fn ca_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_bundle = Some(path.into());
        self
    }

    #[cfg(feature = "transport")]
    /// Accept any server certificate. Dangerous; the transport logs a warning.
    pub fn insecure(mut self, insecure: bool) -> Self {
        self.insecure = Some(insecure);
        self
    }

    /// Allow a plain `http://` endpoint (local emulators).
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = Some(allow);
        self
    }

    #[cfg(feature = "transport")]
    /// The transport settings to start from; the timeouts, CA bundle, `insecure` and `allow_http`
    /// set on this builder override its fields.
    pub fn transport_config(mut self, config: TransportConfig) -> Self {
        self.transport_config = Some(config);
        self
    }

    /// Where environment variables come from (default: `std::env::var`). Tests inject a map;
    /// `|_| None` ignores the environment entirely (the home directory is read from `HOME` through it
    /// too).
    pub fn env(mut self, env: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        self.env = Arc::new(move |name| Ok(env(name)));
        self
    }

    /// Like [`env`](Self::env), with raw values as the operating system holds them: a value that is
    /// not valid UTF-8 fails the build with [`Error::Config`] naming the variable (as the process
    /// environment does by default), never counts as unset.
    pub fn env_os(
        mut self,
        env: impl Fn(&str) -> Option<std::ffi::OsString> + Send + Sync + 'static,
    ) -> Self {
        self.env =
            Arc::new(move |name| env(name).map(|v| v.into_string().map_err(|_| NotUnicode)).transpose());
        self
    }

    /// Where the jitter of backoffs and waiter delays comes from: a number in `[0, 1]` (clamped).
    /// Default: uniform random (`fastrand`). `|| 1.0` makes every delay its ceiling, for tests that
    /// check the delays.
    pub fn jitter(mut self, jitter: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        self.jitter = Arc::new(jitter);
        self
    }

    /// Where the client reads the time: the wall clock it signs with, and the monotonic clock of
    /// waits and elapsed times. Default: [`SystemClock`](crate::SystemClock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.time.clock = Arc::new(clock);
        self
    }

    /// How the client sleeps between attempts and polls. Default: tokio's timer
    /// ([`TokioSleeper`](crate::TokioSleeper)).
    pub fn sleeper(mut self, sleeper: impl Sleeper) -> Self {
        self.time.sleeper = Arc::new(sleeper);
        self
    }

    /// Resolves every setting and its source without building a client (for `configure list`).
    ///
    /// Fails on invalid values (a garbled credentials file, an AK without SK, a bad URL or project
    /// ID, an unreadable CA bundle); missing values are `None` here and fail only in
    /// `build` or [`build_with`](Self::build_with), except credentials, whose absence is reported in
    /// [`ResolvedConfig::credentials_tried`].
    pub fn resolve(&self) -> Result<ResolvedConfig, Error> {
        crate::resolve::resolve(self)
    }

    #[cfg(feature = "transport")]
    /// Builds a client on the HTTPS transport.
    pub fn build(self) -> Result<Client, Error> {
        let resolved = self.resolve()?;
        let transport = HttpsTransport::new(resolved.transport_config.clone()).map_err(|e| {
            let message = match &e {
                modelarts_transport::BuildError::CaBundle { path, .. } => {
                    format!("cannot use the CA bundle {}", path.display())
                }
                _ => "cannot build the HTTPS transport".to_owned(),
            };
            Error::config_with(message, e)
        })?;
        Client::from_resolved(resolved, transport, self.jitter, self.time)
    }

    #[cfg(feature = "transport")]
    /// Builds a client on the HTTPS transport, making the calls its identity needs first: the
    /// password login, the metadata service, the agency, the project lookup (when no project ID is
    /// set and the region is known). The project id is cached per identity and region in process
    /// and on disk, the token on disk, so a second run makes no IAM request.
    pub async fn connect(self) -> Result<Client, Error> {
        let resolved = self.resolve()?;
        let transport = HttpsTransport::new(resolved.transport_config.clone()).map_err(|e| {
            let message = match &e {
                modelarts_transport::BuildError::CaBundle { path, .. } => {
                    format!("cannot use the CA bundle {}", path.display())
                }
                _ => "cannot build the HTTPS transport".to_owned(),
            };
            Error::config_with(message, e)
        })?;
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

    /// How the blocking client sleeps between attempts and polls. Default:
    /// [`ThreadSleeper`](crate::blocking::ThreadSleeper) (`std::thread::sleep`); a closure
    /// `Fn(Duration)` will do, e.g. one that moves a test server's clock instead.
    #[cfg(feature = "blocking")]
    pub fn blocking_sleeper(mut self, sleeper: impl crate::blocking::BlockingSleeper) -> Self {
        self.blocking_sleeper = Some(Arc::new(sleeper));
        self
    }

    /// Builds a [`blocking::Client`](crate::blocking::Client) on any blocking sender. As with
    /// [`build_with`](Self::build_with), the timeouts, CA bundle and proxy are the sender's
    /// business. Sleeps go to the [`blocking_sleeper`](Self::blocking_sleeper) (the async
    /// [`sleeper`](Self::sleeper) is not used).
    #[cfg(feature = "blocking")]
    pub fn build_blocking<T: modelarts_http::BlockingHttpSend<Error: Send + Sync + 'static>>(
        self,
        sender: T,
    ) -> Result<crate::blocking::Client<T>, Error> {
        let resolved = self.resolve()?;
        let sleeper = self.blocking_sleeper.unwrap_or_else(|| Arc::new(crate::blocking::ThreadSleeper));
        let time = Time {
            clock: self.time.clock,
            sleeper: Arc::new(crate::blocking::BlockingSleep(sleeper)),
            blocking: true,
        };
        let client =
            Client::from_resolved(resolved, crate::blocking::Client::wrap(sender), self.jitter, time)?;
        Ok(crate::blocking::Client::of(client))
    }

    /// Like [`build_blocking`](Self::build_blocking), making the calls the identity needs first, as
    /// [`connect`](Self::connect) does (on the calling thread). The metadata service gets the same
    /// 1 s bound ([`METADATA_BOUND`](crate::METADATA_BOUND)) for its connection: before each
    /// metadata request a plain TCP connect to its address must succeed within it (a laptop, where
    /// nothing answers at 169.254.169.254, gives up after 1 s). A blocking send cannot be raced by
    /// a timer, so once connected the answer's wait is the sender's own timeout: set it short.
    #[cfg(feature = "blocking")]
    pub fn connect_blocking<T: modelarts_http::BlockingHttpSend<Error: Send + Sync + 'static>>(
        self,
        sender: T,
    ) -> Result<crate::blocking::Client<T>, Error> {
        let resolved = self.resolve()?;
        let sleeper = self.blocking_sleeper.unwrap_or_else(|| Arc::new(crate::blocking::ThreadSleeper));
        let time = Time {
            clock: self.time.clock,
            sleeper: Arc::new(crate::blocking::BlockingSleep(sleeper)),
            blocking: true,
        };
        let client = crate::blocking::run(Client::connect_resolved(
            resolved,
            crate::blocking::Client::wrap(sender),
            self.jitter,
            time,
        ))?;
        Ok(crate::blocking::Client::of(client))
    }

    /// Builds a client on any transport; the same as [`build_with`](Self::build_with).
    pub fn build_with_transport<T: HttpSend<Error: Send + Sync + 'static>>(
        self,
        transport: T,
    ) -> Result<Client<T>, Error> {
        self.build_with(transport)
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SettingSource {
    /// Set on the builder (a command-line flag, or code).
    Explicit,
    /// An environment variable (its name).
    Env(String),
    /// A key of the credentials file.
    File {
        /// The file.
        path: PathBuf,
        /// The section (profile).
        section: String,
    },
    /// Derived from another setting (the endpoint from the region).
    Derived(&'static str),
    /// The built-in default.
    Default,
}

impl fmt::Display for SettingSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingSource::Explicit => f.write_str("flag/explicit"),
            SettingSource::Env(name) => write!(f, "env {name}"),
            SettingSource::File { path, section } => write!(f, "file {} [{section}]", path.display()),
            SettingSource::Derived(from) => write!(f, "derived from {from}"),
            SettingSource::Default => f.write_str("default"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<V> {
    /// The value.
    pub value: V,
    /// Its source.
    pub source: SettingSource,
}

impl<V> Setting<V> {
    pub(crate) fn new(value: V, source: SettingSource) -> Self {
        Self { value, source }
    }
}

/// Every setting of a client with its source. `Display` prints one line per setting
/// (`name  value  source`), secrets masked; so does `Debug`.
#[derive(Clone)]
#[non_exhaustive]
pub struct ResolvedConfig {
    /// The region, if any.
    pub region: Option<Setting<String>>,
    /// The endpoint, if a URL was given or the region is known.
    pub endpoint: Option<Setting<Endpoint>>,
    /// The rest of the endpoint's list, tried in turn when a connection or TLS handshake fails
    /// (never after a request may have reached a server).
    pub endpoint_fallbacks: Vec<Endpoint>,
    /// The project ID, if found.
    pub project_id: Option<Setting<ProjectId>>,
    /// The API of the commands that name no job; `None`: both.
    pub api: Option<Setting<modelarts_protocol::target::ApiVersion>>,
    /// The v2 workspace lists and searches read; `None`: the service's default (`"0"`).
    pub workspace_id: Option<Setting<String>>,
    /// The credentials or token, if found.
    pub auth: Option<Setting<Auth>>,
    /// A login to make first (password, metadata service, federation), when no credentials were
    /// found before it; the metadata service is the chain's last resort (source `Default`).
    pub login: Option<Setting<Login>>,
    /// The agency to assume with the credentials, if any.
    pub agency: Option<Setting<Agency>>,
    /// Where the virtual MFA code of the password login came from, if one was given (the code
    /// itself is in the login, redacted).
    pub mfa: Option<Setting<()>>,
    /// The IAM endpoint.
    pub iam_endpoint: Setting<Endpoint>,
    /// The identity cache directory, if any.
    pub cache_dir: Option<Setting<PathBuf>>,
    /// The proxy for `https://` destinations in effect (credentials removed), if any.
    pub proxy: Option<Setting<String>>,
    /// Every credentials source looked at, in order, with what it held (`Error::Credentials`
    /// lists these when none had credentials).
    pub credentials_tried: Vec<String>,
    /// The profile (section of the credentials file).
    pub profile: Setting<String>,
    /// The credentials file looked at, and whether it exists.
    pub credentials_file: Option<Setting<PathBuf>>,
    /// The extra CA bundle, if any.
    pub ca_bundle: Option<Setting<PathBuf>>,
    /// Attempts per call.
    pub max_attempts: Setting<u32>,
    /// The retry policy (with `max_attempts` applied).
    pub retry_policy: RetryPolicy,
    /// Connect timeout.
    pub connect_timeout: Setting<Duration>,
    /// Attempt timeout.
    pub timeout: Setting<Duration>,
    /// Whether certificate checks are off.
    pub insecure: Setting<bool>,
    /// Whether plain HTTP is allowed.
    pub allow_http: Setting<bool>,
    /// The transport settings that [`ClientBuilder::build`] uses.
    #[cfg(feature = "transport")]
    pub transport_config: TransportConfig,
}

impl ResolvedConfig {
    /// The rows of the `Display` table: name, masked value, source.
    pub fn rows(&self) -> Vec<(&'static str, String, String)> {
        fn row<V>(
            name: &'static str,
            s: &Option<Setting<V>>,
            show: impl Fn(&V) -> String,
        ) -> (&'static str, String, String) {
            match s {
                Some(s) => (name, show(&s.value), s.source.to_string()),
                None => (name, "<not set>".to_owned(), "-".to_owned()),
            }
        }
        let mut rows = vec![
            row("region", &self.region, Clone::clone),
            row("endpoint", &self.endpoint, |e| {
                let mut urls = vec![e.url()];
                urls.extend(self.endpoint_fallbacks.iter().map(Endpoint::url));
                urls.join(", ")
            }),
            row("project_id", &self.project_id, |p| p.as_str().to_owned()),
            row("api", &self.api, |a| a.to_string()),
            row("workspace_id", &self.workspace_id, Clone::clone),
        ];
        match &self.auth {
            Some(Setting { value: Auth::AkSk(c), source }) => {
                // AK/SK from the environment come from one variable each; a file or explicit
                // credentials are one source for all three.
                let own = |var: &str| match source {
                    SettingSource::Env(_) => SettingSource::Env(var.to_owned()).to_string(),
                    other => other.to_string(),
                };
                rows.push(("access_key", mask(c.access_key()), own(crate::resolve::ENV_AK)));
                rows.push(("secret_key", "********".to_owned(), own(crate::resolve::ENV_SK)));
                if c.security_token().is_some() {
                    rows.push((
                        "security_token",
                        "********".to_owned(),
                        own(crate::resolve::ENV_SECURITY_TOKEN),
                    ));
                }
            }
            Some(Setting { value, source }) => {
                rows.push(("auth", format!("{} ********", value.method_name()), source.to_string()));
            }
            None => match &self.login {
                Some(login) => {
                    rows.push(("credentials", login.value.describe(), login.source.to_string()));
                    if let Some(mfa) = &self.mfa {
                        rows.push(("mfa_code", "********".to_owned(), mfa.source.to_string()));
                    }
                }
                None => rows.push(("credentials", "<not found>".to_owned(), "-".to_owned())),
            },
        }
        let chosen = match (&self.auth, &self.login) {
            (Some(s), _) => format!("{} ({})", s.value.method_name(), s.source),
            (None, Some(l)) => format!("{} ({})", l.value.describe(), l.source),
            (None, None) => "<none>".to_owned(),
        };
        rows.push(("credential_source", chosen, "chain".to_owned()));
        if let Some(agency) = &self.agency {
            rows.push((
                "agency",
                format!("{} of {}", agency.value.agency_name, agency.value.domain_name),
                agency.source.to_string(),
            ));
        }
        rows.push(("iam_endpoint", self.iam_endpoint.value.url(), self.iam_endpoint.source.to_string()));
        rows.push(row("proxy", &self.proxy, Clone::clone));
        rows.push(row("cache_dir", &self.cache_dir, |p| p.display().to_string()));
        rows.push(("profile", self.profile.value.clone(), self.profile.source.to_string()));
        rows.push(row("credentials_file", &self.credentials_file, |p| p.display().to_string()));
        rows.push(row("ca_bundle", &self.ca_bundle, |p| p.display().to_string()));
        rows.push((
            "max_attempts",
            self.max_attempts.value.to_string(),
            self.max_attempts.source.to_string(),
        ));
        rows.push((
            "connect_timeout",
            format!("{:?}", self.connect_timeout.value),
            self.connect_timeout.source.to_string(),
        ));
        rows.push(("timeout", format!("{:?}", self.timeout.value), self.timeout.source.to_string()));
        rows.push(("insecure", self.insecure.value.to_string(), self.insecure.source.to_string()));
        rows.push(("allow_http", self.allow_http.value.to_string(), self.allow_http.source.to_string()));
        rows
    }
}

/// Shows the first and last 3 characters of an access key (all stars when shorter than 10).
pub(crate) fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len().max(4));
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 6))
}

impl fmt::Display for ResolvedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = self.rows();
        let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let w1 = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
        for (name, value, source) in rows {
            writeln!(f, "{name:<w0$}  {value:<w1$}  {source}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ResolvedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ResolvedConfig");
        for (name, value, source) in self.rows() {
            d.field(name, &format_args!("{value} ({source})"));
        }
        d.finish()
    }
}

/// The home directory, through the injectable environment.
pub(crate) fn home_dir(env: &EnvFn) -> Result<Option<PathBuf>, Error> {
    for name in ["HOME", "USERPROFILE"] {
        match env(name) {
            Ok(Some(home)) if !home.is_empty() => return Ok(Some(PathBuf::from(home))),
            Ok(_) => {}
            Err(NotUnicode) => return Err(not_unicode(name)),
        }
    }
    Ok(None)
}

/// The error for an environment variable whose value is not valid UTF-8 (the value is not shown:
/// it may be a secret).
pub(crate) fn not_unicode(name: &str) -> Error {
    Error::config(format!(
        "the environment variable {name} is not valid UTF-8; set it to a UTF-8 value or unset it"
    ))
}

/// `~/.huaweicloud/credentials` under a home directory.
pub(crate) fn default_credentials_file(home: &Path) -> PathBuf {
    home.join(".huaweicloud").join("credentials")
}
