//! The IAM face, served on the same listener as the ModelArts API: project lookup, password and
//! ID-token logins, and temporary credentials (agency or token), with what it issued kept on the
//! emulator clock so that the ModelArts routes accept it until it expires.
//!
//! It writes IAM's JSON itself from the reference notes (never through the client's types):
//!
//! | Route | Answer |
//! |---|---|
//! | `GET /v3/projects[?name=N]` (authenticated) | 200 `{"projects":[{"id","name","domain_id","enabled","is_domain","parent_id","description","links"}],"links":{…}}` |
//! | `GET /v3/auth/domains` (authenticated) | 200 `{"domains":[{"id","name","enabled","description","links"}],"links":{…}}`: the account |
//! | `GET /v3/auth/projects` (authenticated) | 200, the same document: every project the credentials reach (all of them here) |
//! | `POST /v3/auth/tokens` (password, optional `totp`) | 201, `X-Subject-Token`, `{"token":{"expires_at","issued_at","methods","project","user","catalog":[]}}` |
//! | `POST /v3.0/OS-AUTH/id-token/tokens` (`X-Idp-Id`) | 201, `X-Subject-Token`, the same `token` object |
//! | `POST /v3.0/OS-CREDENTIAL/securitytokens` (authenticated; `assume_role` or `token`) | 201 `{"credential":{"access","secret","securitytoken","expires_at"}}` |
//!
//! Every IAM answer carries `X-IAM-Trace-Id` (the request id). Refusals use the Keystone body
//! `{"error":{"code":N,"title":…,"message":…}}`: 400 for a malformed body, 401 `The username or
//! password is wrong.`, 401 `Virtual MFA verification is required …` for a user with a virtual MFA
//! device ([`IamUser::mfa`]) and no `totp` method, 401 `The verification code is wrong.` for a code
//! that is not the RFC 6238 code of the emulator clock (±30 s) or names another user id,
//! 401 for an unknown or expired token or ID token, 403 for an unknown agency, 404 for a scope
//! naming an unknown project. Choices where the reference is silent: a token lives
//! [`IamConfig::token_lifetime`] (24 h); temporary credentials live `duration_seconds`
//! (900..=86400, default 900); the tables of issued tokens and keys are bounded
//! (10 000 entries each; expired entries go first, then the oldest).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::StatusCode;
use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::faults::Route;

/// The refusal of a password login without the `totp` method for a user with a virtual MFA device.
pub(crate) const MFA_REQUIRED: &str =
    "Virtual MFA verification is required for this user: log in with the password and totp methods.";

/// How many tokens (and, separately, temporary keys and metadata sessions) are remembered at most.
pub(crate) const MAX_ISSUED: usize = 10_000;

/// An IAM user the face accepts. `Debug` hides the password and the MFA code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IamUser {
    /// The user name.
    pub name: String,
    /// The password.
    pub password: String,
    /// The account (domain) name.
    pub domain_name: String,
    /// The user id (the MFA body names the user by id).
    pub user_id: String,
    /// The base32 secret of the user's virtual MFA device: when set, a login needs the `totp`
    /// method with the RFC 6238 code (30 s steps, 6 digits, one step either side) of the
    /// emulator's clock.
    #[serde(default)]
    pub totp_secret: Option<String>,
}

impl IamUser {
    /// A user without MFA; the user id is derived from the name.
    pub fn new(name: impl Into<String>, password: impl Into<String>, domain_name: impl Into<String>) -> Self {
        let name = name.into();
        let mut user_id = hex_of(&name);
        user_id.truncate(32);
        let user_id = format!("{user_id:0<32}");
        Self { name, password: password.into(), domain_name: domain_name.into(), user_id, totp_secret: None }
    }

    /// Protects the login with a virtual MFA device of this base32 secret (as authenticator apps
    /// take it, e.g. `JBSWY3DPEHPK3PXP`).
    pub fn mfa(mut self, totp_secret: impl Into<String>) -> Self {
        self.totp_secret = Some(totp_secret.into());
        self
    }

    /// The code the user's device shows at `time`, if the user has one (for tests: pass
    /// [`StateHandle::now`](crate::StateHandle::now)).
    pub fn totp_code(&self, time: SystemTime) -> Option<String> {
        let key = decode_totp_secret(self.totp_secret.as_deref()?)?;
        let secs = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
        Some(totp_at_step(&key, secs / TOTP_STEP_SECS))
    }
}

/// RFC 6238's time step.
const TOTP_STEP_SECS: u64 = 30;

/// A base32 secret (RFC 4648; case, spaces and padding ignored) as bytes.
fn decode_totp_secret(secret: &str) -> Option<Vec<u8>> {
    let cleaned: String =
        secret.chars().filter(|c| !c.is_whitespace() && *c != '=').map(|c| c.to_ascii_uppercase()).collect();
    data_encoding::BASE32_NOPAD.decode(cleaned.as_bytes()).ok().filter(|k| !k.is_empty())
}

/// The six-digit HOTP value (RFC 4226, HMAC-SHA1) of `step`.
fn totp_at_step(key: &[u8], step: u64) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
    let tag = ring::hmac::sign(&key, &step.to_be_bytes());
    let mac = tag.as_ref();
    // A SHA-1 tag has 20 bytes; the offset (low nibble of the last byte) is at most 15.
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let word =
        u32::from_be_bytes([mac[offset], mac[offset + 1], mac[offset + 2], mac[offset + 3]]) & 0x7fff_ffff;
    format!("{:06}", word % 1_000_000)
}

/// Whether `code` is the user's code at `now_ms`, one step either side (clock drift).
fn totp_matches(secret: &str, code: &str, now_ms: u64) -> bool {
    let Some(key) = decode_totp_secret(secret) else { return false };
    let step = now_ms / 1000 / TOTP_STEP_SECS;
    [step.saturating_sub(1), step, step + 1].iter().any(|s| totp_at_step(&key, *s) == code)
}

fn hex_of(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

impl fmt::Debug for IamUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IamUser")
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .field("domain_name", &self.domain_name)
            .field("user_id", &self.user_id)
            .field("totp_secret", &self.totp_secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A project the lookup lists (besides the emulator's own, see [`IamConfig::region`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IamProject {
    /// The project id.
    pub id: String,
    /// Its name (a region).
    pub name: String,
    /// Whether it is enabled.
    pub enabled: bool,
}

impl IamProject {
    /// An enabled project.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self { id: id.into(), name: name.into(), enabled: true }
    }
}

/// An agency that `assume_role` may assume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IamAgency {
    /// The account (domain) that created it.
    pub domain_name: String,
    /// Its name.
    pub agency_name: String,
}

impl IamAgency {
    /// The agency `agency_name` of `domain_name`.
    pub fn new(domain_name: impl Into<String>, agency_name: impl Into<String>) -> Self {
        Self { domain_name: domain_name.into(), agency_name: agency_name.into() }
    }
}

/// An identity provider and the ID token it accepts. `Debug` hides the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IamFederation {
    /// The provider's id (`X-Idp-Id`).
    pub idp_id: String,
    /// The one ID token accepted.
    pub id_token: String,
}

impl IamFederation {
    /// Accepts `id_token` from `idp_id`.
    pub fn new(idp_id: impl Into<String>, id_token: impl Into<String>) -> Self {
        Self { idp_id: idp_id.into(), id_token: id_token.into() }
    }
}

impl fmt::Debug for IamFederation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IamFederation")
            .field("idp_id", &self.idp_id)
            .field("id_token", &"<redacted>")
            .finish()
    }
}

/// The IAM face's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IamConfig {
    /// The region whose project is the emulator's own ([`crate::EmulatorConfig::project_id`]);
    /// `None` lists no such project.
    pub region: Option<String>,
    /// More projects (e.g. a second one of the same name, for the "several projects" error).
    pub projects: Vec<IamProject>,
    /// Accepted users.
    pub users: Vec<IamUser>,
    /// Agencies that may be assumed.
    pub agencies: Vec<IamAgency>,
    /// Identity providers.
    pub federations: Vec<IamFederation>,
    /// The account id shown in answers.
    pub domain_id: String,
    /// The account name shown in answers (`GET /v3/auth/domains`).
    pub domain_name: String,
    /// How long an issued token lives (emulator clock).
    pub token_lifetime: Duration,
}

impl Default for IamConfig {
    fn default() -> Self {
        Self {
            region: Some("cn-north-4".to_owned()),
            projects: Vec::new(),
            users: vec![IamUser::new("emulator-user", "emulator-password-0001", "emulator-domain")],
            agencies: vec![IamAgency::new("emulator-domain", "emulator-agency")],
            federations: vec![IamFederation::new("emulator-idp", "emulator-id-token-0001")],
            domain_id: "656d756c61746f72646f6d61696e3031".to_owned(),
            domain_name: "emulator-domain".to_owned(),
            token_lifetime: Duration::from_secs(24 * 3600),
        }
    }
}

impl IamConfig {
    /// Sets the region of the emulator's own project (`None`: no project for any region).
    pub fn region(mut self, region: Option<&str>) -> Self {
        self.region = region.map(str::to_owned);
        self
    }

    /// Adds a project.
    pub fn project(mut self, project: IamProject) -> Self {
        self.projects.push(project);
        self
    }

    /// Adds a user.
    pub fn user(mut self, user: IamUser) -> Self {
        self.users.push(user);
        self
    }

    /// Adds an agency.
    pub fn agency(mut self, agency: IamAgency) -> Self {
        self.agencies.push(agency);
        self
    }

    /// Adds an identity provider.
    pub fn federation(mut self, federation: IamFederation) -> Self {
        self.federations.push(federation);
        self
    }

    /// Sets the token lifetime.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        for p in &self.projects {
            if p.id.is_empty() || p.name.is_empty() {
                return Err("IAM projects need an id and a name".into());
            }
        }
        for (i, u) in self.users.iter().enumerate() {
            if self.users[i + 1..].iter().any(|o| o.name == u.name && o.domain_name == u.domain_name) {
                return Err(format!("IAM user {:?} of {:?} is configured twice", u.name, u.domain_name));
            }
            if u.totp_secret.as_deref().is_some_and(|s| decode_totp_secret(s).is_none()) {
                return Err(format!("the MFA secret of IAM user {:?} is not base32", u.name));
            }
        }
        if self.token_lifetime.is_zero() {
            return Err("the IAM token lifetime must be positive".into());
        }
        Ok(())
    }
}

/// What the emulator remembers of a token it issued.
#[derive(Debug, Clone)]
struct Token {
    project_id: Option<String>,
}

/// What the emulator remembers of temporary keys it issued.
#[derive(Debug, Clone)]
struct TemporaryKey {
    secret: String,
    security_token: String,
}

/// A bounded table of issued things, keyed by their secret or access key.
struct Issued<T> {
    map: HashMap<String, (u64, T)>,
    order: VecDeque<String>,
}

impl<T> Default for Issued<T> {
    fn default() -> Self {
        Self { map: HashMap::new(), order: VecDeque::new() }
    }
}

impl<T> Issued<T> {
    fn insert(&mut self, key: String, expires_ms: u64, value: T, now_ms: u64) {
        if self.map.len() >= MAX_ISSUED {
            self.map.retain(|_, (exp, _)| *exp > now_ms);
            self.order.retain(|k| self.map.contains_key(k));
        }
        while self.map.len() >= MAX_ISSUED {
            match self.order.pop_front() {
                Some(oldest) => {
                    self.map.remove(&oldest);
                }
                None => break,
            }
        }
        self.order.push_back(key.clone());
        self.map.insert(key, (expires_ms, value));
    }

    fn get(&self, key: &str) -> Option<&(u64, T)> {
        self.map.get(key)
    }
}

/// What a token presented to the emulator is.
pub(crate) enum TokenCheck {
    /// Issued and not expired; scoped to this project, if any.
    Valid(Option<String>),
    /// Issued, but expired on the emulator clock (at this epoch-ms time).
    Expired(u64),
    /// Never issued.
    Unknown,
}

/// What an access key presented to the emulator is.
pub(crate) enum KeyCheck {
    /// Issued and not expired: its secret and security token.
    Valid { secret: String, security_token: String },
    /// Issued, but expired.
    Expired,
    /// Not a temporary key of this emulator.
    Unknown,
}

struct Inner {
    tokens: Issued<Token>,
    keys: Issued<TemporaryKey>,
    sessions: Issued<()>,
    /// Per access key: signature failures in a row, and until when (epoch ms) it is locked.
    ak_failures: std::collections::HashMap<String, (u32, u64)>,
    rng: fastrand::Rng,
}

/// The IAM and metadata faces' run-time state: what was issued, on the emulator clock.
pub(crate) struct IamState {
    seed: u64,
    inner: Mutex<Inner>,
}

/// The gateway locks an access key after more than this many signature failures in a row.
pub(crate) const AK_FAILURES_BEFORE_LOCK: u32 = 5;

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

impl IamState {
    pub(crate) fn new(seed: u64) -> Self {
        Self { seed, inner: Mutex::new(Self::fresh(seed)) }
    }

    fn fresh(seed: u64) -> Inner {
        Inner {
            tokens: Issued::default(),
            keys: Issued::default(),
            sessions: Issued::default(),
            ak_failures: std::collections::HashMap::new(),
            rng: fastrand::Rng::with_seed(seed ^ 0x1A4D_0000_5EED),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets everything issued (the emulator's reset).
    pub(crate) fn reset(&self) {
        *self.lock() = Self::fresh(self.seed);
    }

    pub(crate) fn check_token(&self, token: &str, now_ms: u64) -> TokenCheck {
        match self.lock().tokens.get(token) {
            Some((expires, _)) if *expires <= now_ms => TokenCheck::Expired(*expires),
            Some((_, t)) => TokenCheck::Valid(t.project_id.clone()),
            None => TokenCheck::Unknown,
        }
    }

    pub(crate) fn check_key(&self, access_key: &str, now_ms: u64) -> KeyCheck {
        match self.lock().keys.get(access_key) {
            Some((expires, _)) if *expires <= now_ms => KeyCheck::Expired,
            Some((_, k)) => {
                KeyCheck::Valid { secret: k.secret.clone(), security_token: k.security_token.clone() }
            }
            None => KeyCheck::Unknown,
        }
    }

    /// Whether `access_key` is locked now (more than [`AK_FAILURES_BEFORE_LOCK`] signature
    /// failures in a row, less than the lock's time ago).
    pub(crate) fn ak_locked(&self, access_key: &str, now_ms: u64) -> bool {
        self.lock().ak_failures.get(access_key).is_some_and(|(_, until)| *until > now_ms)
    }

    /// Counts a signature failure of `access_key`; the one after [`AK_FAILURES_BEFORE_LOCK`] in a
    /// row locks it for `lock`.
    pub(crate) fn ak_failed(&self, access_key: &str, now_ms: u64, lock: Duration) {
        let mut inner = self.lock();
        let entry = inner.ak_failures.entry(access_key.to_owned()).or_insert((0, 0));
        entry.0 += 1;
        if entry.0 > AK_FAILURES_BEFORE_LOCK {
            *entry = (0, now_ms.saturating_add(duration_ms(lock)));
        }
    }

    /// A signature of `access_key` verified: the failures in a row start again from zero.
    pub(crate) fn ak_accepted(&self, access_key: &str) {
        self.lock().ak_failures.remove(access_key);
    }

    pub(crate) fn session_valid(&self, token: &str, now_ms: u64) -> bool {
        self.lock().sessions.get(token).is_some_and(|(expires, _)| *expires > now_ms)
    }

    fn random(rng: &mut fastrand::Rng, n: usize) -> String {
        (0..n).map(|_| char::from(ALPHANUMERIC[rng.usize(..ALPHANUMERIC.len())])).collect()
    }

    fn issue_token(&self, project_id: Option<String>, now_ms: u64, lifetime: Duration) -> (String, u64) {
        let mut inner = self.lock();
        let token = format!("MIIemu{}", Self::random(&mut inner.rng, 90));
        let expires_ms = now_ms.saturating_add(duration_ms(lifetime));
        inner.tokens.insert(token.clone(), expires_ms, Token { project_id }, now_ms);
        (token, expires_ms)
    }

    pub(crate) fn issue_key(&self, now_ms: u64, lifetime: Duration) -> (String, String, String, u64) {
        let mut inner = self.lock();
        let access = format!("TMP{}", Self::random(&mut inner.rng, 17).to_ascii_uppercase());
        let secret = Self::random(&mut inner.rng, 40);
        let security_token = format!("gQ{}", Self::random(&mut inner.rng, 120));
        let expires_ms = now_ms.saturating_add(duration_ms(lifetime));
        let key = TemporaryKey { secret: secret.clone(), security_token: security_token.clone() };
        inner.keys.insert(access.clone(), expires_ms, key, now_ms);
        (access, secret, security_token, expires_ms)
    }

    pub(crate) fn issue_session(&self, now_ms: u64, ttl: Duration) -> String {
        let mut inner = self.lock();
        let token = format!("mds{}", Self::random(&mut inner.rng, 40));
        let expires_ms = now_ms.saturating_add(duration_ms(ttl));
        inner.sessions.insert(token.clone(), expires_ms, (), now_ms);
        token
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// An epoch-ms time as IAM writes it: `2024-01-02T03:04:05.123000Z`.
pub(crate) fn iam_time(ms: u64) -> String {
    let time = UNIX_EPOCH.checked_add(Duration::from_millis(ms)).unwrap_or(SystemTime::UNIX_EPOCH);
    let t = time::OffsetDateTime::from(time);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// The identity route of a path and method, if it is one.
pub(crate) fn route(method: &http::Method, path: &str) -> Option<Route> {
    use http::Method;
    match (method, path) {
        (&Method::GET, "/v3/projects") => Some(Route::IamProjects),
        (&Method::GET, "/v3/auth/projects") => Some(Route::IamAuthProjects),
        (&Method::GET, "/v3/auth/domains") => Some(Route::IamAuthDomains),
        (&Method::POST, "/v3/auth/tokens") => Some(Route::IamTokens),
        (&Method::POST, "/v3.0/OS-CREDENTIAL/securitytokens") => Some(Route::IamSecurityTokens),
        (&Method::POST, "/v3.0/OS-AUTH/id-token/tokens") => Some(Route::IamIdTokens),
        (&Method::PUT, "/meta-data/latest/api/token") => Some(Route::MetadataToken),
        (&Method::GET, "/openstack/latest/securitykey") => Some(Route::MetadataSecurityKey),
        (&Method::POST, "/v1/credentials") => Some(Route::PodIdentity),
        _ => None,
    }
}

/// An identity answer before the common headers are added.
pub(crate) struct IdentityAnswer {
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
    pub(crate) content_type: &'static str,
    /// `X-Subject-Token`, when a token was issued.
    pub(crate) subject_token: Option<String>,
}

impl IdentityAnswer {
    pub(crate) fn json(status: StatusCode, value: &Value) -> Self {
        Self {
            status,
            body: value.to_string().into_bytes(),
            content_type: "application/json",
            subject_token: None,
        }
    }

    pub(crate) fn text(status: StatusCode, text: &str) -> Self {
        Self { status, body: text.as_bytes().to_vec(), content_type: "text/plain", subject_token: None }
    }
}

/// The Keystone error body.
fn refusal(status: StatusCode, message: &str) -> IdentityAnswer {
    let title = status.canonical_reason().unwrap_or("Error");
    IdentityAnswer::json(
        status,
        &json!({ "error": { "code": status.as_u16(), "title": title, "message": message } }),
    )
}

fn bad_request(message: &str) -> IdentityAnswer {
    refusal(StatusCode::BAD_REQUEST, message)
}

/// Everything an IAM handler reads.
pub(crate) struct IdentityRequest<'a> {
    pub(crate) route: Route,
    pub(crate) headers: &'a http::HeaderMap,
    pub(crate) query: &'a str,
    pub(crate) body: &'a [u8],
    pub(crate) now_ms: u64,
    /// The token the request authenticated with, when it did so with one.
    pub(crate) auth_token: Option<&'a str>,
}

/// The emulator's side of the IAM and metadata faces.
pub(crate) struct Identity<'a> {
    pub(crate) config: &'a crate::EmulatorConfig,
    pub(crate) state: &'a IamState,
}

impl Identity<'_> {
    fn projects(&self) -> Vec<IamProject> {
        let iam = &self.config.iam;
        let own = iam.region.as_ref().map(|r| IamProject::new(self.config.project_id.clone(), r.clone()));
        own.into_iter().chain(iam.projects.iter().cloned()).collect()
    }

    pub(crate) fn answer(&self, req: &IdentityRequest<'_>) -> IdentityAnswer {
        match req.route {
            Route::IamProjects | Route::IamAuthProjects => self.list_projects(req),
            Route::IamAuthDomains => self.list_domains(),
            Route::IamTokens => self.password_login(req),
            Route::IamIdTokens => self.id_token_login(req),
            Route::IamSecurityTokens => self.security_tokens(req),
            Route::MetadataToken | Route::MetadataSecurityKey => crate::metadata::answer(self, req),
            Route::PodIdentity => crate::pod_identity::answer(self, req),
            _ => refusal(StatusCode::NOT_FOUND, "not an identity route"),
        }
    }

    fn list_projects(&self, req: &IdentityRequest<'_>) -> IdentityAnswer {
        let path = if req.route == Route::IamAuthProjects { "/v3/auth/projects" } else { "/v3/projects" };
        let name = if req.route == Route::IamProjects { query_param(req.query, "name") } else { None };
        let projects: Vec<Value> = self
            .projects()
            .iter()
            .filter(|p| name.as_deref().is_none_or(|n| n == p.name))
            .map(|p| {
                json!({
                    "id": p.id,
                    "name": p.name,
                    "domain_id": self.config.iam.domain_id,
                    "enabled": p.enabled,
                    "is_domain": false,
                    "parent_id": self.config.iam.domain_id,
                    "description": "",
                    "links": { "self": format!("/v3/projects/{}", p.id), "previous": null, "next": null },
                })
            })
            .collect();
        let self_link = if req.query.is_empty() { path.to_owned() } else { format!("{path}?{}", req.query) };
        IdentityAnswer::json(
            StatusCode::OK,
            &json!({ "projects": projects, "links": { "self": self_link, "previous": null, "next": null } }),
        )
    }

    /// `GET /v3/auth/domains`: the one account the emulator serves (Huawei IAM, "Querying the List
    /// of Domains Accessible to Users": `{"domains":[{"id","name","enabled","description","links"}],"links"}`).
    fn list_domains(&self) -> IdentityAnswer {
        let iam = &self.config.iam;
        IdentityAnswer::json(
            StatusCode::OK,
            &json!({
                "domains": [{
                    "id": iam.domain_id,
                    "name": iam.domain_name,
                    "enabled": true,
                    "description": "",
                    "links": { "self": format!("/v3/domains/{}", iam.domain_id) },
                }],
                "links": { "self": "/v3/auth/domains", "previous": null, "next": null },
            }),
        )
    }

    /// Resolves a `scope` object to a project id (`None` for an unscoped token).
    fn scope(&self, scope: Option<&Value>) -> Result<Option<IamProject>, IdentityAnswer> {
        let Some(scope) = scope.filter(|s| !s.is_null()) else {
            return Ok(None);
        };
        let project = scope.get("project").ok_or_else(|| bad_request("The scope must name a project."))?;
        let projects = self.projects();
        let found: Vec<&IamProject> =
            match (project.get("id").and_then(Value::as_str), project.get("name").and_then(Value::as_str)) {
                (Some(id), _) => projects.iter().filter(|p| p.id == id).collect(),
                (None, Some(name)) => projects.iter().filter(|p| p.name == name).collect(),
                (None, None) => return Err(bad_request("The project scope needs an id or a name.")),
            };
        match found.as_slice() {
            [one] if one.enabled => Ok(Some((*one).clone())),
            [_] => Err(refusal(StatusCode::UNAUTHORIZED, "The project is disabled.")),
            [] => Err(refusal(StatusCode::NOT_FOUND, "Could not find project.")),
            _ => Err(bad_request("Several projects have this name; scope the token by project id.")),
        }
    }

    fn token_answer(
        &self,
        methods: Value,
        project: Option<IamProject>,
        user: Value,
        now_ms: u64,
    ) -> IdentityAnswer {
        let lifetime = self.config.iam.token_lifetime;
        let (token, expires_ms) =
            self.state.issue_token(project.as_ref().map(|p| p.id.clone()), now_ms, lifetime);
        let domain = json!({ "id": self.config.iam.domain_id, "name": user.get("domain_name").cloned().unwrap_or(Value::Null) });
        let mut body = json!({
            "token": {
                "expires_at": iam_time(expires_ms),
                "issued_at": iam_time(now_ms),
                "methods": methods,
                "catalog": [],
                "roles": [{ "id": "0", "name": "op_service" }],
                "user": {
                    "id": user.get("id").cloned().unwrap_or(Value::Null),
                    "name": user.get("name").cloned().unwrap_or(Value::Null),
                    "domain": domain,
                    "password_expires_at": "",
                },
            }
        });
        if let Some(p) = project {
            body["token"]["project"] = json!({ "id": p.id, "name": p.name, "domain": domain });
        }
        let mut answer = IdentityAnswer::json(StatusCode::CREATED, &body);
        answer.subject_token = Some(token);
        answer
    }

    fn password_login(&self, req: &IdentityRequest<'_>) -> IdentityAnswer {
        let Ok(body) = serde_json::from_slice::<Value>(req.body) else {
            return bad_request("The request body is not JSON.");
        };
        let auth = &body["auth"];
        let identity = &auth["identity"];
        let methods: Vec<&str> = identity["methods"]
            .as_array()
            .map(|m| m.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !methods.contains(&"password") {
            return bad_request("The identity methods must include password.");
        }
        let user = &identity["password"]["user"];
        let (Some(name), Some(password), Some(domain)) =
            (user["name"].as_str(), user["password"].as_str(), user["domain"]["name"].as_str())
        else {
            return bad_request("The password identity needs user.name, user.password and user.domain.name.");
        };
        let wrong = || refusal(StatusCode::UNAUTHORIZED, "The username or password is wrong.");
        let Some(account) = self.config.iam.users.iter().find(|u| u.name == name && u.domain_name == domain)
        else {
            return wrong();
        };
        if account.password != password {
            return wrong();
        }
        if let Some(secret) = &account.totp_secret {
            let totp = &identity["totp"]["user"];
            if !methods.contains(&"totp") || totp.is_null() {
                return refusal(StatusCode::UNAUTHORIZED, MFA_REQUIRED);
            }
            let ok = totp["id"].as_str() == Some(account.user_id.as_str())
                && totp["passcode"].as_str().is_some_and(|code| totp_matches(secret, code, req.now_ms));
            if !ok {
                return refusal(StatusCode::UNAUTHORIZED, "The verification code is wrong.");
            }
        }
        let project = match self.scope(auth.get("scope")) {
            Ok(p) => p,
            Err(answer) => return answer,
        };
        let user = json!({ "id": account.user_id, "name": account.name, "domain_name": account.domain_name });
        self.token_answer(json!(methods), project, user, req.now_ms)
    }

    fn id_token_login(&self, req: &IdentityRequest<'_>) -> IdentityAnswer {
        let idp = req.headers.get("x-idp-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let Ok(body) = serde_json::from_slice::<Value>(req.body) else {
            return bad_request("The request body is not JSON.");
        };
        let auth = &body["auth"];
        let Some(id_token) = auth["id_token"]["id"].as_str() else {
            return bad_request("The body needs auth.id_token.id.");
        };
        let accepted = self.config.iam.federations.iter().any(|f| f.idp_id == idp && f.id_token == id_token);
        if !accepted {
            return refusal(StatusCode::UNAUTHORIZED, "The ID token or the identity provider is invalid.");
        }
        let project = match self.scope(auth.get("scope")) {
            Ok(p) => p,
            Err(answer) => return answer,
        };
        let user =
            json!({ "id": format!("federated-{idp}"), "name": "federated-user", "domain_name": "federated" });
        self.token_answer(json!(["mapped"]), project, user, req.now_ms)
    }

    fn security_tokens(&self, req: &IdentityRequest<'_>) -> IdentityAnswer {
        let Ok(body) = serde_json::from_slice::<Value>(req.body) else {
            return bad_request("The request body is not JSON.");
        };
        let identity = &body["auth"]["identity"];
        let methods: Vec<&str> = identity["methods"]
            .as_array()
            .map(|m| m.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let (holder, duration) = match methods.as_slice() {
            ["assume_role"] => {
                let role = &identity["assume_role"];
                let (Some(domain), Some(agency)) =
                    (role["domain_name"].as_str(), role["agency_name"].as_str())
                else {
                    return bad_request("assume_role needs domain_name and agency_name.");
                };
                let known = self
                    .config
                    .iam
                    .agencies
                    .iter()
                    .any(|a| a.domain_name == domain && a.agency_name == agency);
                if !known {
                    return refusal(StatusCode::FORBIDDEN, "You are not authorized to assume this agency.");
                }
                ("assume_role", &role["duration_seconds"])
            }
            ["token"] => {
                let Some(token) = identity["token"]["id"].as_str() else {
                    return bad_request("The token method needs token.id.");
                };
                let known = token == self.config.credentials.token
                    || matches!(self.state.check_token(token, req.now_ms), TokenCheck::Valid(_));
                // The header token, when the request authenticated with one, must be the same.
                if !known || req.auth_token.is_some_and(|t| t != token) {
                    return refusal(StatusCode::UNAUTHORIZED, "The token is invalid or has expired.");
                }
                ("token", &identity["token"]["duration_seconds"])
            }
            _ => return bad_request("The identity methods must be [\"assume_role\"] or [\"token\"]."),
        };
        let seconds = match duration {
            Value::Null => 900,
            v => match v.as_u64().filter(|s| (900..=86_400).contains(s)) {
                Some(s) => s,
                None => return bad_request("duration_seconds must be an integer from 900 to 86400."),
            },
        };
        tracing::debug!(method = holder, seconds, "issuing temporary credentials");
        IdentityAnswer::json(StatusCode::CREATED, &self.credential(req.now_ms, Duration::from_secs(seconds)))
    }

    /// Issues temporary keys: `{"credential":{…}}`.
    pub(crate) fn credential(&self, now_ms: u64, lifetime: Duration) -> Value {
        let (access, secret, security_token, expires_ms) = self.state.issue_key(now_ms, lifetime);
        json!({ "credential": {
            "access": access,
            "secret": secret,
            "securitytoken": security_token,
            "expires_at": iam_time(expires_ms),
        }})
    }
}

/// The first value of a query key, decoded.
fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode_str(k).decode_utf8_lossy() == key)
            .then(|| percent_decode_str(v).decode_utf8_lossy().into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_iam_does() {
        assert_eq!(iam_time(1_704_164_645_123), "2024-01-02T03:04:05.123000Z");
        assert_eq!(iam_time(0), "1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn issued_tables_are_bounded_and_expire() {
        let state = IamState::new(1);
        let (token, expires) = state.issue_token(Some("p".into()), 1_000, Duration::from_secs(10));
        assert_eq!(expires, 11_000);
        assert!(matches!(state.check_token(&token, 10_999), TokenCheck::Valid(Some(ref p)) if p == "p"));
        assert!(matches!(state.check_token(&token, 11_000), TokenCheck::Expired(11_000)));
        assert!(matches!(state.check_token("other", 0), TokenCheck::Unknown));
        let mut table: Issued<()> = Issued::default();
        for i in 0..(MAX_ISSUED + 50) {
            table.insert(i.to_string(), u64::MAX, (), 0);
        }
        assert_eq!(table.map.len(), MAX_ISSUED);
        assert!(table.get("0").is_none() && table.get(&(MAX_ISSUED + 49).to_string()).is_some());
        state.reset();
        assert!(matches!(state.check_token(&token, 0), TokenCheck::Unknown));
    }

    #[test]
    fn totp_codes_are_rfc_6238_with_one_step_either_side() {
        // RFC 6238 appendix B, SHA-1, the key "12345678901234567890", last six of the eight digits.
        let secret = data_encoding::BASE32_NOPAD.encode(b"12345678901234567890");
        let user = IamUser::new("u", "p", "d").mfa(secret.to_lowercase());
        let at = |secs: u64| UNIX_EPOCH + Duration::from_secs(secs);
        let vectors =
            [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"), (2_000_000_000, "279037")];
        for (secs, code) in vectors {
            assert_eq!(user.totp_code(at(secs)).as_deref(), Some(code), "T = {secs}");
        }
        let ms = 1_111_111_109_000;
        assert!(totp_matches(&secret, "081804", ms));
        assert!(totp_matches(&secret, "081804", ms + 30_000), "one step late");
        assert!(totp_matches(&secret, "081804", ms - 30_000), "one step early");
        assert!(!totp_matches(&secret, "081804", ms + 60_000), "two steps late");
        assert!(!totp_matches(&secret, "081805", ms));
        assert!(!totp_matches("not base32!", "081804", ms));
        assert_eq!(IamUser::new("u", "p", "d").totp_code(at(59)), None);
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let user = IamUser::new("u", "pw-secret", "d").mfa("GEZDGNBVGY3TQOJQ");
        let fed = IamFederation::new("idp", "idtoken-secret");
        let text = format!("{user:?} {fed:?}");
        assert!(
            !text.contains("pw-secret") && !text.contains("GEZDGNBV") && !text.contains("idtoken-secret"),
            "{text}"
        );
    }
}
