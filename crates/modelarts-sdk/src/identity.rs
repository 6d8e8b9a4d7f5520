//! Identity in use: turning what the credential chain found (AK/SK, a token, a password, the ECS
//! metadata service, an OIDC federation, an agency on top of any of them) into the credentials a
//! request is signed with and the project it goes to, and renewing them.
//!
//! Every call made here (IAM, metadata) is a protocol operation driven by the same call machine as
//! the ModelArts calls ([`Pipeline`]), so retries, the quota and the clock skew apply. The
//! decisions (is a token fresh, does a refusal say it expired, which project) are the protocol's
//! (`iam::renewal`, `iam::projects::select_project`).
//!
//! Nothing here logs or shows a secret: passwords, tokens and temporary keys stay in redacting
//! types; errors name sources, hosts and trace ids only.

use std::fmt;
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use modelarts_http::HttpSend;
use modelarts_protocol::auth::{Auth, IamToken};
use modelarts_protocol::endpoint::Endpoint;
use modelarts_protocol::iam::TemporaryCredentials;
use modelarts_protocol::iam::agency::AssumeAgency;
use modelarts_protocol::iam::federation::{IdToken, IdTokenLogin, TokenToTemporaryKeys};
use modelarts_protocol::iam::metadata::{
    MetadataFailure, MetadataSecurityKey, MetadataSession, MetadataSessionToken, classify_security_key_error,
};
use modelarts_protocol::iam::projects::{ListProjects, select_project};
use modelarts_protocol::iam::renewal::{Freshness, credentials_freshness, token_freshness};
use modelarts_protocol::iam::token::{IssuedToken, LoginRefusal, Mfa, Password, PasswordLogin, ProjectScope};
use modelarts_protocol::ids::ProjectId;

use crate::cache::{IdentityCache, ProjectKey, TokenEntry};
use crate::config_error::{ConfigError, ConfigFile, IdentityCall};
use crate::error::Error;
use crate::execute::Pipeline;
use crate::resolve::{ENV_MFA_CODE, ENV_USER_ID};
use crate::settings::SettingSource;

pub use crate::login::{Agency, Login};

/// How long the metadata service may take to answer before it counts as unreachable (a laptop
/// has none, and must not hang).
pub const METADATA_BOUND: Duration = Duration::from_secs(1);

/// The most bytes read from an ID-token or pod-token file.
const MAX_ID_TOKEN_BYTES: u64 = 64 * 1024;

/// What a client knows of its identity besides the credentials.
#[derive(Debug, Clone)]
pub(crate) struct IdentityInfo {
    pub(crate) iam: Endpoint,
    /// Where the IAM endpoint came from (`Default`: the global one, nothing chose it).
    pub(crate) iam_source: SettingSource,
    pub(crate) region: Option<String>,
    /// Whether the ModelArts endpoint was set explicitly (flag, code or environment), not
    /// derived from the region.
    pub(crate) endpoint_explicit: bool,
    pub(crate) project_source: Option<String>,
    /// The API of the commands that name no job, when one was chosen (else both).
    pub(crate) api: Option<modelarts_protocol::target::ApiVersion>,
    /// The v2 workspace lists and searches read, when one was chosen.
    pub(crate) workspace_id: Option<String>,
}

impl IdentityInfo {
    pub(crate) fn of(resolved: &crate::resolve::ResolvedConfig, project_source: Option<String>) -> Self {
        Self {
            iam: resolved.iam_endpoint.value.clone(),
            iam_source: resolved.iam_endpoint.source.clone(),
            region: resolved.region.as_ref().map(|r| r.value.clone()),
            endpoint_explicit: resolved
                .endpoint
                .as_ref()
                .is_some_and(|e| matches!(e.source, SettingSource::Explicit | SettingSource::Env(_))),
            project_source,
            api: resolved.api.as_ref().map(|a| a.value),
            workspace_id: resolved.workspace_id.as_ref().map(|w| w.value.clone()),
        }
    }

    /// Whether `configure test` proves the credentials at ModelArts rather than at IAM: with no
    /// region, no IAM endpoint chosen by anyone (only the global Huawei one would apply) and a
    /// ModelArts endpoint set explicitly (another operator, a private cloud, an emulator), the
    /// global IAM belongs to someone else, so the configured endpoint is asked instead.
    pub(crate) fn proves_at_modelarts(&self) -> bool {
        self.region.is_none() && self.iam_source == SettingSource::Default && self.endpoint_explicit
    }
}

/// What [`Client::check_credentials`](crate::Client::check_credentials) proved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CredentialCheck {
    /// The call made: at IAM `list_projects` (the region's projects) or `list_auth_projects`
    /// (every project the credentials reach, without a region); at ModelArts
    /// `list_training_jobs` (one job).
    pub call: &'static str,
    /// Which service proved the credentials: `"iam"` or `"modelarts"`.
    pub proved_at: &'static str,
    /// Where the IAM endpoint came from, when IAM was asked (`None` at ModelArts).
    pub iam_endpoint_source: Option<String>,
    /// The host it went to.
    pub host: String,
    /// The answer's trace or request id, if any.
    pub request_id: Option<String>,
    /// The clock skew measured so far (server minus local), in milliseconds.
    pub skew_millis: Option<i64>,
    /// The projects the answer listed (their names are the regions).
    pub projects: Vec<modelarts_protocol::iam::projects::Project>,
    /// The account (domain) the credentials belong to, from IAM's `GET /v3/auth/domains`.
    pub account: Option<String>,
    /// Why the account is not named, when it is not (IAM not asked, or its answer).
    pub account_note: Option<String>,
    /// The IAM user, where the credentials say it: a password login's user name.
    pub user: Option<String>,
    /// Why the user is not named, when it is not.
    pub user_note: Option<String>,
}

/// Everything needed to (re)obtain the credentials and find the project.
#[derive(Debug, Clone)]
pub(crate) struct IdentityPlan {
    /// AK/SK or a token found directly.
    pub(crate) base: Option<Auth>,
    pub(crate) login: Option<Login>,
    /// Whether the login is the chain's last resort (the metadata service, not asked for): then
    /// its failure is reported as "no credentials found".
    pub(crate) login_is_fallback: bool,
    pub(crate) agency: Option<Agency>,
    pub(crate) iam: Endpoint,
    pub(crate) region: Option<String>,
    pub(crate) project_id: Option<ProjectId>,
    pub(crate) cache: IdentityCache,
    pub(crate) tried: Vec<String>,
}

/// Credentials obtained, with what is known of their life.
struct Obtained {
    auth: Auth,
    expires_at: Option<SystemTime>,
    issued_at: Option<SystemTime>,
    /// Whether they are a token (renewed 15 min ahead) rather than temporary keys.
    is_token: bool,
    /// The project the password login's token is scoped to.
    project_hint: Option<ProjectId>,
}

/// The credentials and project a client starts with, and where the project id came from.
pub(crate) struct Established {
    pub(crate) auth: AuthState,
    pub(crate) project_id: ProjectId,
    pub(crate) project_source: String,
}

struct Current {
    auth: Auth,
    expires_at: Option<SystemTime>,
    issued_at: Option<SystemTime>,
    is_token: bool,
    generation: u64,
}

/// The credentials requests are signed with, shared by the clones of a client; renewable when they
/// came from a login, a metadata service or an agency.
pub(crate) struct AuthState {
    current: RwLock<Current>,
    renewer: Option<IdentityPlan>,
    renewing: futures_util::lock::Mutex<()>,
}

impl fmt::Debug for AuthState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthState")
            .field("method", &self.method_name())
            .field("renewable", &self.is_renewable())
            .finish_non_exhaustive()
    }
}

impl AuthState {
    /// Fixed credentials (never renewed).
    pub(crate) fn fixed(auth: Auth) -> Self {
        Self::new(Obtained::fixed(auth), None)
    }

    fn new(obtained: Obtained, renewer: Option<IdentityPlan>) -> Self {
        crate::secrets::remember_auth(&obtained.auth);
        Self {
            current: RwLock::new(Current {
                auth: obtained.auth,
                expires_at: obtained.expires_at,
                issued_at: obtained.issued_at,
                is_token: obtained.is_token,
                generation: 0,
            }),
            renewer,
            renewing: futures_util::lock::Mutex::new(()),
        }
    }

    /// The credentials now, and their generation (which a renewal raises).
    /// The IAM user a password login signs in as, if that is the login.
    pub(crate) fn login_user(&self) -> Option<String> {
        match self.renewer.as_ref()?.login.as_ref()? {
            Login::Password { user_name, domain_name, .. } => {
                Some(format!("{user_name} (account {domain_name})"))
            }
            _ => None,
        }
    }

    pub(crate) fn current(&self) -> (Auth, u64) {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        (current.auth.clone(), current.generation)
    }

    /// A copy with today's credentials that never renews (for dry runs).
    pub(crate) fn snapshot(&self) -> Self {
        Self::fixed(self.current().0)
    }

    pub(crate) fn method_name(&self) -> &'static str {
        self.current.read().unwrap_or_else(PoisonError::into_inner).auth.method_name()
    }

    pub(crate) fn is_renewable(&self) -> bool {
        self.renewer.is_some()
    }

    fn freshness(&self, now: SystemTime) -> Freshness {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        match current.expires_at {
            None => Freshness::Fresh,
            Some(expires) if current.is_token => token_freshness(expires, now),
            Some(expires) => credentials_freshness(current.issued_at, expires, now),
        }
    }

    /// Renews the credentials when they are due (15 min before a token expires; earlier for short
    /// temporary keys).
    pub(crate) async fn renew_when_due<T: HttpSend<Error: Send + Sync + 'static>>(
        &self,
        p: &Pipeline<'_, T>,
    ) -> Result<(), Error> {
        if self.renewer.is_none() {
            return Ok(());
        }
        let now = p.state.corrected_now(p.time.now());
        if self.freshness(now) == Freshness::Renew {
            let (_, generation) = self.current();
            tracing::debug!("the credentials are due for renewal");
            self.renew_from(p, generation).await?;
        }
        Ok(())
    }

    /// Obtains new credentials, unless another task already renewed the `seen` generation.
    pub(crate) async fn renew_from<T: HttpSend<Error: Send + Sync + 'static>>(
        &self,
        p: &Pipeline<'_, T>,
        seen: u64,
    ) -> Result<(), Error> {
        let Some(plan) = &self.renewer else { return Ok(()) };
        let _guard = self.renewing.lock().await;
        if self.current().1 != seen {
            return Ok(());
        }
        let obtained = obtain(p, plan, false).await?;
        crate::secrets::remember_auth(&obtained.auth);
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        *current = Current {
            auth: obtained.auth,
            expires_at: obtained.expires_at,
            issued_at: obtained.issued_at,
            is_token: obtained.is_token,
            generation: seen + 1,
        };
        Ok(())
    }
}

impl Obtained {
    fn fixed(auth: Auth) -> Self {
        Self { auth, expires_at: None, issued_at: None, is_token: false, project_hint: None }
    }

    fn temporary(credentials: TemporaryCredentials, now: SystemTime) -> Self {
        Self {
            auth: Auth::AkSk(credentials.credentials),
            expires_at: Some(credentials.expires_at),
            issued_at: Some(now),
            is_token: false,
            project_hint: None,
        }
    }

    fn token(token: IssuedToken) -> Self {
        Self {
            auth: Auth::Token(token.token),
            expires_at: Some(token.expires_at),
            issued_at: token.issued_at,
            is_token: true,
            project_hint: token.project_id,
        }
    }
}

/// Obtains the credentials and the project id for `plan`: the login or metadata call if any, the
/// agency if any, and the project lookup when no project id is set (cached per identity and
/// region, in process and on disk).
pub(crate) async fn establish<T: HttpSend<Error: Send + Sync + 'static>>(
    p: &Pipeline<'_, T>,
    plan: IdentityPlan,
    project_source: Option<String>,
) -> Result<Established, Error> {
    let obtained = obtain(p, &plan, true).await?;
    let (project_id, project_source) = match (&plan.project_id, project_source) {
        (Some(id), source) => (id.clone(), source.unwrap_or_else(|| "explicit".to_owned())),
        (None, _) => match (&obtained.project_hint, &plan.agency) {
            (Some(id), None) => (id.clone(), "the password login's token scope".to_owned()),
            _ => discover_project(p, &plan, &obtained.auth).await?,
        },
    };
    // The renewal logs in with the same scope as the first login, so that both share a cache entry.
    let renewer = obtained.expires_at.is_some().then_some(plan);
    Ok(Established { auth: AuthState::new(obtained, renewer), project_id, project_source })
}

/// The identity the project cache is keyed by: never a secret.
fn identity_key(plan: &IdentityPlan) -> Option<String> {
    if let Some(agency) = &plan.agency {
        return Some(format!("agency:{}/{}", agency.domain_name, agency.agency_name));
    }
    match (&plan.base, &plan.login) {
        (Some(Auth::AkSk(c)), _) => Some(c.access_key().to_owned()),
        (_, Some(Login::Password { user_name, domain_name, .. })) => {
            Some(format!("{user_name}@{domain_name}"))
        }
        (_, Some(Login::Metadata { endpoint })) => Some(format!("metadata:{}", endpoint.host())),
        (_, Some(Login::Federation { idp_id, .. })) => Some(format!("idp:{idp_id}")),
        (_, Some(Login::PodIdentity { uri, .. })) => Some(format!("pod:{}", uri.url())),
        // A bare token says nothing of its account.
        _ => None,
    }
}

async fn discover_project<T: HttpSend<Error: Send + Sync + 'static>>(
    p: &Pipeline<'_, T>,
    plan: &IdentityPlan,
    auth: &Auth,
) -> Result<(ProjectId, String), Error> {
    let Some(region) = plan.region.as_deref() else {
        return Err(ConfigError::NoProjectIdOrRegion.into());
    };
    let key = identity_key(plan).map(|identity| ProjectKey {
        identity,
        region: region.to_owned(),
        iam: plan.iam.url(),
    });
    if let Some(key) = &key
        && let Some((id, from)) = plan.cache.project(key)
    {
        return Ok((id, format!("IAM lookup ({from})")));
    }
    let list = p
        .run(&ListProjects::new(region), &plan.iam, Some(auth))
        .await
        .map_err(|e| explain_refusal(p, e, &plan.iam))?;
    let id = select_project(&list, region, plan.iam.host())
        .map_err(|e| ConfigError::ProjectNotFound { region: region.to_owned(), source: e })?;
    if let Some(key) = &key {
        plan.cache.store_project(key, &id);
    }
    Ok((id, format!("IAM lookup at {}", plan.iam.host())))
}

/// A 401 of an identity call, explained: a wrong key or this machine's clock, with the skew
/// measured from the answer.
pub(crate) fn explain_refusal<T>(p: &Pipeline<'_, T>, error: Error, iam: &Endpoint) -> Error {
    match &error {
        Error::Service { error: api, .. } if api.http_status == 401 => ConfigError::CredentialsRefused {
            host: iam.host().to_owned(),
            skew_secs: p.state.skew().map(|skew| skew.millis / 1000),
            source: Box::new(error),
        }
        .into(),
        _ => error,
    }
}

async fn obtain<T: HttpSend<Error: Send + Sync + 'static>>(
    p: &Pipeline<'_, T>,
    plan: &IdentityPlan,
    use_cache: bool,
) -> Result<Obtained, Error> {
    let base = match (&plan.base, &plan.login) {
        (Some(auth), _) => Obtained::fixed(auth.clone()),
        (None, Some(Login::Password { user_name, password, domain_name, mfa })) => {
            password_login(p, plan, (user_name, password, domain_name, mfa.as_ref()), use_cache).await?
        }
        (None, Some(Login::Metadata { endpoint })) => metadata(p, plan, endpoint).await?,
        (None, Some(Login::Federation { idp_id, id_token_file })) => {
            federation(p, plan, idp_id, id_token_file).await?
        }
        (None, Some(Login::PodIdentity { uri, token_file })) => {
            let token = read_secret_file(token_file, ConfigFile::PodToken)?;
            let op = modelarts_protocol::iam::pod_identity::PodIdentityKey {
                token: modelarts_protocol::iam::pod_identity::PodToken::new(token),
            };
            let credentials = p
                .run(&op, uri, None)
                .await
                .map_err(|e| call_failed(IdentityCall::PodIdentity, uri.host(), e))?;
            Obtained::temporary(credentials, p.state.corrected_now(p.time.now()))
        }
        (None, None) => return Err(Error::Credentials { tried: plan.tried.clone() }),
    };
    let Some(agency) = &plan.agency else { return Ok(base) };
    let op = AssumeAgency::new(agency.domain_name.as_str(), agency.agency_name.as_str());
    let credentials = p.run(&op, &plan.iam, Some(&base.auth)).await.map_err(|e| {
        let call = IdentityCall::Agency {
            agency_name: agency.agency_name.clone(),
            domain_name: agency.domain_name.clone(),
            method: base.auth.method_name(),
        };
        call_failed(call, plan.iam.host(), e)
    })?;
    Ok(Obtained::temporary(credentials, p.state.corrected_now(p.time.now())))
}

fn token_cache_key(user: &str, domain: &str, scope: &ProjectScope, iam: &Endpoint) -> String {
    let scope = match scope {
        ProjectScope::Id(id) => format!("id:{}", id.as_str()),
        ProjectScope::Name(name) => format!("name:{name}"),
        _ => "other".to_owned(),
    };
    format!("{user}@{domain} {scope} {}", iam.url())
}

/// The user name, password, account and MFA code of a password login.
type PasswordParts<'a> = (&'a str, &'a Password, &'a str, Option<&'a Mfa>);

async fn password_login<T: HttpSend<Error: Send + Sync + 'static>>(
    p: &Pipeline<'_, T>,
    plan: &IdentityPlan,
    (user_name, password, domain_name, mfa): PasswordParts<'_>,
    use_cache: bool,
) -> Result<Obtained, Error> {
    let scope = match (&plan.project_id, &plan.region) {
        (Some(id), _) => ProjectScope::Id(id.clone()),
        (None, Some(region)) => ProjectScope::Name(region.clone()),
        (None, None) => {
            return Err(ConfigError::PasswordLoginUnscoped.into());
        }
    };
    let key = token_cache_key(user_name, domain_name, &scope, &plan.iam);
    let now = p.state.corrected_now(p.time.now());
    // A cached expiry past what a time can hold (a garbled or planted file) is stale, never a panic.
    if use_cache
        && let Some(entry) = plan.cache.token(&key)
        && let Some(expires_at) = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(entry.expires_at))
        && token_freshness(expires_at, now) == Freshness::Fresh
    {
        tracing::debug!("using the cached IAM token");
        return Ok(Obtained {
            auth: Auth::Token(IamToken::new(entry.token)),
            expires_at: Some(expires_at),
            issued_at: None,
            is_token: true,
            project_hint: entry.project_id.and_then(|id| ProjectId::new(&id).ok()),
        });
    }
    let mut login = PasswordLogin::new(user_name, password.clone(), domain_name, scope);
    if let Some(mfa) = mfa {
        login = login.with_mfa(mfa.clone());
    }
    let issued = p.run(&login, &plan.iam, None).await.map_err(|e| {
        let who = format!("{user_name}@{domain_name}");
        let refusal = match &e {
            Error::Service { error, .. } if error.http_status == 401 => LoginRefusal::of(error),
            _ => LoginRefusal::Other,
        };
        let reason = login_refusal_message(refusal, mfa.is_some(), &who, plan.iam.host());
        call_failed(IdentityCall::PasswordLogin { reason }, plan.iam.host(), e)
    })?;
    plan.cache.store_token(
        TokenEntry {
            key,
            token: issued.token.expose().to_owned(),
            expires_at: issued.expires_at.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            project_id: issued.project_id.as_ref().map(|id| id.as_str().to_owned()),
        },
        now,
    );
    Ok(Obtained::token(issued))
}

/// The message of a refused password login, by what IAM said and whether a code was sent: real
/// IAM may answer a missing code with "The verification code is wrong.", and a sent code with "MFA
/// required" when it did not take the totp method or the user id.
fn login_refusal_message(refusal: LoginRefusal, code_sent: bool, who: &str, iam_host: &str) -> String {
    match (refusal, code_sent) {
        (LoginRefusal::MfaRequired | LoginRefusal::MfaCodeWrong, false) => format!(
            "MFA required: the IAM user {who} has virtual MFA login protection; pass the current code of the MFA device with --mfa-code ({ENV_MFA_CODE}) and the user's id with --user-id ({ENV_USER_ID}, profile key user_id)"
        ),
        (LoginRefusal::MfaRequired, true) => format!(
            "IAM at {iam_host} still asks {who} for MFA (HTTP 401): a code was sent but IAM did not accept the totp method or the user id; check that --user-id ({ENV_USER_ID}) is the id of {who}"
        ),
        (LoginRefusal::MfaCodeWrong, true) => format!(
            "IAM at {iam_host} refused the virtual MFA code of {who} (HTTP 401): the code is wrong, already expired (codes change every 30 s: use the current one), or the user id does not belong to {who}; also check this machine's clock"
        ),
        _ => format!("the password login of {who} at {iam_host} failed"),
    }
}

/// The configuration error of a failed identity call to `host`.
fn call_failed(call: IdentityCall, host: &str, error: Error) -> Error {
    ConfigError::IdentityCallFailed { call, host: host.to_owned(), source: Box::new(error) }.into()
}

/// The "no credentials" error with the metadata service's reason appended (and that the probe
/// took `probed`, and how to switch it off), or a configuration error when the metadata service
/// was asked for explicitly.
fn metadata_failure(plan: &IdentityPlan, endpoint: &Endpoint, reason: String, probed: Duration) -> Error {
    if plan.login_is_fallback {
        let mut tried = plan.tried.clone();
        tried.push(format!(
            "ECS/BMS metadata at {} ({reason}; the probe took {:.1}s; {}=off skips it)",
            endpoint.url(),
            probed.as_secs_f64(),
            crate::resolve::ENV_METADATA_ENDPOINT
        ));
        Error::Credentials { tried }
    } else {
        ConfigError::Metadata { endpoint: endpoint.url(), reason }.into()
    }
}

async fn metadata<T: HttpSend<Error: Send + Sync + 'static>>(
    p: &Pipeline<'_, T>,
    plan: &IdentityPlan,
    endpoint: &Endpoint,
) -> Result<Obtained, Error> {
    let started = p.time.monotonic();
    let failure =
        |reason: String| metadata_failure(plan, endpoint, reason, p.time.monotonic().saturating_sub(started));
    let silent = || failure(format!("no answer within {}s", METADATA_BOUND.as_secs()));
    // A session the service refuses (it expired between the two calls) is fetched again, once.
    for last in [false, true] {
        let session = match p.run_bounded(&MetadataSessionToken::default(), endpoint, METADATA_BOUND).await {
            None => return Err(silent()),
            Some(Err(Error::Transport { source, .. })) => {
                return Err(failure(format!("not reachable: {source}")));
            }
            // Anything that is not a session token: go on without one, as the official SDKs do.
            Some(Ok(MetadataSession::Token(token))) => Some(token),
            Some(_) => None,
        };
        let op = MetadataSecurityKey { session };
        let source = match p.run_bounded(&op, endpoint, METADATA_BOUND).await {
            None => return Err(silent()),
            Some(Ok(credentials)) => {
                return Ok(Obtained::temporary(credentials, p.state.corrected_now(p.time.now())));
            }
            Some(Err(Error::Response { source, .. })) => source,
            Some(Err(Error::Service { error, .. })) => modelarts_protocol::error::ResponseError::Api(error),
            Some(Err(e)) => return Err(e),
        };
        match classify_security_key_error(&source, endpoint.host()) {
            MetadataFailure::NoAgency(no_agency) => {
                return Err(failure(no_agency.to_string()));
            }
            MetadataFailure::SessionRejected if !last => {
                tracing::debug!("the metadata service refused its session token: fetching a new one");
            }
            _ => return Err(failure(format!("refused the security key: {source}"))),
        }
    }
    // Not reached: the second round returns in every arm.
    Err(silent())
}

/// A token from a file (bounded, UTF-8, trimmed); errors name the file, never its content.
fn read_secret_file(path: &std::path::Path, file: ConfigFile) -> Result<String, Error> {
    let bytes = crate::files::open_regular(path)
        .and_then(|f| crate::files::read_limited(f, MAX_ID_TOKEN_BYTES))
        .map_err(|e| ConfigError::UnreadableFile { file, path: path.to_owned(), from: None, source: e })?;
    let text = String::from_utf8(bytes).map_err(|_| ConfigError::NotUtf8 { file, path: path.to_owned() })?;
    let text = text.trim();
    if text.is_empty() {
        return Err(ConfigError::EmptyFile { file, path: path.to_owned() }.into());
    }
    crate::secrets::remember(text);
    Ok(text.to_owned())
}

async fn federation<T: HttpSend<Error: Send + Sync + 'static>>(
    p: &Pipeline<'_, T>,
    plan: &IdentityPlan,
    idp_id: &str,
    id_token_file: &std::path::Path,
) -> Result<Obtained, Error> {
    let id_token = IdToken::new(read_secret_file(id_token_file, ConfigFile::IdToken)?);
    let scope = match (&plan.project_id, &plan.region) {
        (Some(id), _) => Some(ProjectScope::Id(id.clone())),
        (None, Some(region)) => Some(ProjectScope::Name(region.clone())),
        (None, None) => None,
    };
    let login = IdTokenLogin { idp_id: idp_id.to_owned(), id_token, scope };
    let issued = p.run(&login, &plan.iam, None).await.map_err(|e| {
        call_failed(IdentityCall::FederationLogin { idp_id: idp_id.to_owned() }, plan.iam.host(), e)
    })?;
    let token = issued.token.clone();
    let exchange = TokenToTemporaryKeys { token: token.clone(), duration: None };
    let credentials = p
        .run(&exchange, &plan.iam, Some(&Auth::Token(token)))
        .await
        .map_err(|e| call_failed(IdentityCall::FederationExchange, plan.iam.host(), e))?;
    let mut obtained = Obtained::temporary(credentials, p.state.corrected_now(p.time.now()));
    obtained.project_hint = issued.project_id;
    Ok(obtained)
}

impl IdentityPlan {
    /// The plan for a resolved configuration.
    pub(crate) fn of(resolved: &crate::resolve::ResolvedConfig) -> Self {
        let login = resolved.login.as_ref().map(|s| s.value.clone());
        if let Some(Login::Password { password, mfa, .. }) = &login {
            crate::secrets::remember(password.expose());
            if let Some(mfa) = mfa {
                crate::secrets::remember_mfa_code(mfa.expose_passcode());
            }
        }
        if let Some(auth) = &resolved.auth {
            crate::secrets::remember_auth(&auth.value);
        }
        Self {
            base: resolved.auth.as_ref().map(|s| s.value.clone()),
            // The chain only reaches the metadata service when nothing else was found.
            login_is_fallback: resolved
                .login
                .as_ref()
                .is_some_and(|s| matches!(s.value, Login::Metadata { .. })),
            login,
            agency: resolved.agency.as_ref().map(|s| s.value.clone()),
            iam: resolved.iam_endpoint.value.clone(),
            region: resolved.region.as_ref().map(|s| s.value.clone()),
            project_id: resolved.project_id.as_ref().map(|s| s.value.clone()),
            cache: IdentityCache { dir: resolved.cache_dir.as_ref().map(|s| s.value.clone()) },
            tried: resolved.credentials_tried.clone(),
        }
    }
}

impl<T: HttpSend<Error: Send + Sync + 'static>> crate::execute::ClientCredentials<T> for AuthState {
    fn current(&self) -> (Auth, u64) {
        AuthState::current(self)
    }

    fn is_renewable(&self) -> bool {
        AuthState::is_renewable(self)
    }

    async fn renew_if_due(&self, pipeline: &Pipeline<'_, T>) -> Result<(), Error> {
        self.renew_when_due(pipeline).await
    }

    async fn renew(&self, pipeline: &Pipeline<'_, T>, seen: u64) -> Result<(), Error> {
        self.renew_from(pipeline, seen).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What IAM said × whether a code was sent → what the user is told to do.
    #[test]
    fn a_refused_login_is_explained_by_what_iam_said_and_whether_a_code_was_sent() {
        let cases: [(LoginRefusal, bool, &str); 6] = [
            // Real IAM may answer a missing code with "The verification code is wrong.".
            (LoginRefusal::MfaCodeWrong, false, "MFA required: the IAM user u@d has virtual MFA"),
            (LoginRefusal::MfaRequired, false, "MFA required: the IAM user u@d has virtual MFA"),
            (
                LoginRefusal::MfaRequired,
                true,
                "a code was sent but IAM did not accept the totp method or the user id",
            ),
            (
                LoginRefusal::MfaCodeWrong,
                true,
                "refused the virtual MFA code of u@d (HTTP 401): the code is wrong",
            ),
            (LoginRefusal::WrongPassword, false, "the password login of u@d at iam.example failed"),
            (LoginRefusal::Other, true, "the password login of u@d at iam.example failed"),
        ];
        for (refusal, code_sent, expected) in cases {
            let message = login_refusal_message(refusal, code_sent, "u@d", "iam.example");
            assert!(message.contains(expected), "{refusal:?}, code sent {code_sent}: {message}");
            let asks_for_a_code = message.contains("pass the current code");
            assert_eq!(
                asks_for_a_code,
                !code_sent && refusal != LoginRefusal::WrongPassword && refusal != LoginRefusal::Other,
                "{message}"
            );
        }
    }
}
