//! Client configuration: the [`ClientBuilder`], what a user sets. Resolving it (the credentials chain,
//! every setting with the place it came from) is `resolve`'s; building a client from it, `client`'s.
//!
//! Precedence, first hit wins, per setting: explicit builder values → environment → the credentials
//! file (`HUAWEICLOUD_SDK_CREDENTIALS_FILE` or `~/.huaweicloud/credentials`, section = profile) →
//! default. Nothing here may print a secret: the builder's `Debug` masks them.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use modelarts_protocol::auth::IamToken;
use modelarts_protocol::iam::token::{MfaCode, Password};
use modelarts_protocol::retry::RetryPolicy;
use modelarts_protocol::signing::Credentials;
#[cfg(feature = "transport")]
use modelarts_transport::TransportConfig;

use crate::login::Login;
use crate::settings::{EnvFn, JitterFn, NotUnicode};
use crate::time::{Clock, Sleeper, Time};

/// The process environment, telling a value that is not UTF-8 from an unset variable.
fn process_env(name: &str) -> Result<Option<String>, NotUnicode> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(NotUnicode),
    }
}

/// Builds a [`Client`](crate::Client). Every setting not given explicitly is looked up when the client is built,
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
/// before it. When no credentials are found, [`Error::Credentials`](crate::Error::Credentials) lists every source tried.
/// Invalid values fail the build with [`Error::Config`](crate::Error::Config): no region and no endpoint, an empty AK or
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
    /// not valid UTF-8 fails the build with [`Error::Config`](crate::Error::Config) naming the variable (as the process
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

    /// How the blocking client sleeps between attempts and polls. Default:
    /// [`ThreadSleeper`](crate::blocking::ThreadSleeper) (`std::thread::sleep`); a closure
    /// `Fn(Duration)` will do, e.g. one that moves a test server's clock instead.
    #[cfg(feature = "blocking")]
    pub fn blocking_sleeper(mut self, sleeper: impl crate::time::BlockingSleeper) -> Self {
        self.blocking_sleeper = Some(Arc::new(sleeper));
        self
    }
}
