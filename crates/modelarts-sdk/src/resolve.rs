//! Resolution of the builder's settings, one function per setting, first hit wins: explicit
//! builder values → environment → the credentials file → default.
//!
//! An environment variable set to an empty string counts as unset. The credentials file is only
//! read when a setting is not found before it; when it is read, a garbled file is an error that
//! names the path and the line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[cfg(feature = "transport")]
use http::HeaderValue;
#[cfg(feature = "transport")]
use modelarts_protocol::USER_AGENT;
use modelarts_protocol::auth::{Auth, IamToken};
use modelarts_protocol::endpoint::{Endpoint, EndpointError};
use modelarts_protocol::ids::ProjectId;
use modelarts_protocol::retry::RetryPolicy;
use modelarts_protocol::signing::Credentials;
use modelarts_protocol::target::ApiVersion;

use modelarts_protocol::iam::federation::{ID_TOKEN_FILE_ENV, IDP_ID_ENV};
use modelarts_protocol::iam::metadata::METADATA_ENDPOINT;
use modelarts_protocol::iam::token::Password;
#[cfg(feature = "transport")]
use modelarts_transport::TransportConfig;

use crate::config::{
    ClientBuilder, EnvFn, ResolvedConfig, Setting, SettingSource, default_credentials_file, home_dir,
    not_unicode,
};
use crate::error::Error;
use crate::identity::{Agency, Login};

/// Env: the access key.
pub(crate) const ENV_AK: &str = "HUAWEICLOUD_SDK_AK";
/// Env: the secret key.
pub(crate) const ENV_SK: &str = "HUAWEICLOUD_SDK_SK";
/// Env: the security token of temporary credentials.
pub(crate) const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// Env: the project ID.
pub(crate) const ENV_PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";
/// Env: an IAM token.
pub(crate) const ENV_IAM_TOKEN: &str = "MODELARTS_IAM_TOKEN";
/// Env: the credentials file.
pub(crate) const ENV_CREDENTIALS_FILE: &str = "HUAWEICLOUD_SDK_CREDENTIALS_FILE";
/// Env: the profile.
pub(crate) const ENV_PROFILE: &str = "MODELARTS_PROFILE";
/// The API commands without an ID use by default (`v1` or `v2`; unset: both).
pub(crate) const ENV_API: &str = "MODELARTS_API";
/// The v2 workspace lists and searches read (unset: the service's default, `"0"`).
pub(crate) const ENV_WORKSPACE_ID: &str = "MODELARTS_WORKSPACE_ID";
/// Env: the region (ours, then the official SDKs').
pub(crate) const ENV_REGIONS: [&str; 2] = ["MODELARTS_REGION", "HUAWEICLOUD_SDK_REGION"];
/// Env: the endpoint URL.
pub(crate) const ENV_ENDPOINT_URL: &str = "MODELARTS_ENDPOINT_URL";
/// Env: the CA bundle.
pub(crate) const ENV_CA_BUNDLE: &str = "MODELARTS_CA_BUNDLE";
/// Env: the IAM user name of a password login.
pub(crate) const ENV_USERNAME: &str = "HUAWEICLOUD_SDK_USERNAME";
/// Env: the password of a password login.
pub(crate) const ENV_PASSWORD: &str = "HUAWEICLOUD_SDK_PASSWORD";
/// Env: the account (domain) of a password login.
pub(crate) const ENV_DOMAIN_NAME: &str = "HUAWEICLOUD_SDK_DOMAIN_NAME";
/// Env: the current code of the password login's virtual MFA device.
pub(crate) const ENV_MFA_CODE: &str = "MODELARTS_MFA_CODE";
/// Env: the IAM user's id (an MFA login names the user by id).
pub(crate) const ENV_USER_ID: &str = "MODELARTS_USER_ID";
/// Env: the agency to assume.
pub(crate) const ENV_AGENCY_NAME: &str = "MODELARTS_AGENCY_NAME";
/// Env: the account (domain) that created the agency.
pub(crate) const ENV_AGENCY_DOMAIN: &str = "MODELARTS_AGENCY_DOMAIN";
/// Env: the metadata service's address, or `off`.
pub(crate) const ENV_METADATA_ENDPOINT: &str = "MODELARTS_METADATA_ENDPOINT";
/// Env: the user's cache directory.
pub(crate) const ENV_XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";
/// The default profile.
pub(crate) const DEFAULT_PROFILE: &str = "basic";
/// The connect timeout reported without the built-in transport (the transport's default).
#[cfg(not(feature = "transport"))]
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The attempt timeout reported without the built-in transport (the transport's default).
#[cfg(not(feature = "transport"))]
const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// A variable's trimmed value (empty counts as unset), or a configuration error when it is not
/// valid UTF-8.
fn env_value(env: &EnvFn, name: &str) -> Result<Option<String>, Error> {
    let value = env(name).map_err(|_| not_unicode(name))?;
    Ok(value.filter(|v| !v.trim().is_empty()).map(|v| v.trim().to_owned()))
}

fn env_setting(env: &EnvFn, name: &str) -> Result<Option<Setting<String>>, Error> {
    Ok(env_value(env, name)?.map(|v| Setting::new(v, SettingSource::Env(name.to_owned()))))
}

/// The official SDKs' per-service endpoint variable for a region:
/// `HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4`.
pub(crate) fn region_endpoint_var(region: &str) -> String {
    let id: String = region
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
        .collect();
    format!("HUAWEICLOUD_SDK_REGION_MODELARTS_{id}")
}

pub(crate) fn resolve(b: &ClientBuilder) -> Result<ResolvedConfig, Error> {
    let env = &b.env;
    let profile = resolve_profile(b)?;
    let credentials_file = resolve_credentials_file(b)?;
    let mut file = ProfileFile::new(credentials_file, profile.clone());

    let mut tried = Vec::new();
    let (auth, mut login) = resolve_credentials(b, env, &mut file, &mut tried)?;
    let mfa = resolve_mfa(b, env, &mut file, login.as_mut())?;
    let agency = resolve_agency(b, env, &mut file)?;
    let project_id = resolve_project_id(b, env, &mut file)?;
    let api = resolve_api(b, env, &mut file)?;
    let workspace_id = resolve_workspace_id(b, env, &mut file)?;
    let region = resolve_region(b, env)?;
    let mut regions = RegionsFileSource::new(env)?;
    let (endpoint, endpoint_fallbacks) = resolve_endpoint(b, env, region.as_ref(), &mut regions)?;
    let iam_endpoint = resolve_iam_endpoint(b, env, &mut file, region.as_ref(), &mut regions)?;
    let cache_dir = resolve_cache_dir(b, env)?;

    let metadata_over_http = match &login {
        Some(Setting {
            value: Login::Metadata { endpoint } | Login::PodIdentity { uri: endpoint, .. },
            ..
        }) => !endpoint.is_https(),
        _ => false,
    };
    let transport = resolve_transport(b, env, metadata_over_http)?;
    let (max_attempts, retry_policy) = resolve_retries(b)?;

    let credentials_file = file.into_setting();
    Ok(ResolvedConfig {
        region,
        endpoint,
        endpoint_fallbacks,
        project_id,
        api,
        workspace_id,
        auth,
        login,
        agency,
        mfa,
        iam_endpoint,
        cache_dir,
        credentials_tried: tried,
        profile,
        credentials_file,
        ca_bundle: transport.ca_bundle,
        max_attempts,
        retry_policy,
        connect_timeout: transport.connect_timeout,
        timeout: transport.timeout,
        insecure: transport.insecure,
        allow_http: transport.allow_http,
        proxy: transport.proxy,
        #[cfg(feature = "transport")]
        transport_config: transport.config,
    })
}

/// The profile: explicit → `MODELARTS_PROFILE` → `basic`.
fn resolve_profile(b: &ClientBuilder) -> Result<Setting<String>, Error> {
    let profile = match &b.profile {
        Some(p) => Setting::new(p.trim().to_owned(), SettingSource::Explicit),
        None => env_setting(&b.env, ENV_PROFILE)?
            .unwrap_or_else(|| Setting::new(DEFAULT_PROFILE.to_owned(), SettingSource::Default)),
    };
    if profile.value.is_empty() {
        return Err(Error::config("the profile name is empty"));
    }
    Ok(profile)
}

/// The credentials file: explicit → `HUAWEICLOUD_SDK_CREDENTIALS_FILE` → `~/.huaweicloud/credentials`.
fn resolve_credentials_file(b: &ClientBuilder) -> Result<Option<Setting<PathBuf>>, Error> {
    Ok(match &b.credentials_file {
        Some(p) => Some(Setting::new(p.clone(), SettingSource::Explicit)),
        None => match env_value(&b.env, ENV_CREDENTIALS_FILE)? {
            Some(p) => {
                Some(Setting::new(PathBuf::from(p), SettingSource::Env(ENV_CREDENTIALS_FILE.to_owned())))
            }
            None => {
                home_dir(&b.env)?.map(|h| Setting::new(default_credentials_file(&h), SettingSource::Default))
            }
        },
    })
}

/// The project ID: explicit → `HUAWEICLOUD_SDK_PROJECT_ID` → file `project_id`; else looked up
/// through IAM by `connect`.
fn resolve_project_id(
    b: &ClientBuilder,
    env: &EnvFn,
    file: &mut ProfileFile,
) -> Result<Option<Setting<ProjectId>>, Error> {
    let raw = match &b.project_id {
        Some(p) => Some(Setting::new(p.clone(), SettingSource::Explicit)),
        None => match env_setting(env, ENV_PROJECT_ID)? {
            Some(s) => Some(s),
            None => file.value("project_id")?,
        },
    };
    raw.map(|Setting { value, source }| {
        ProjectId::new(value.trim())
            .map(|id| Setting::new(id, source.clone()))
            .map_err(|e| Error::config_with(format!("invalid project ID from {source}"), e))
    })
    .transpose()
}

/// The API of the commands that name no job: explicit → `MODELARTS_API` → profile key `api`;
/// `None` (both APIs) when none is set.
fn resolve_api(
    b: &ClientBuilder,
    env: &EnvFn,
    file: &mut ProfileFile,
) -> Result<Option<Setting<ApiVersion>>, Error> {
    if let Some(api) = b.api {
        return Ok(Some(Setting::new(api, SettingSource::Explicit)));
    }
    let raw = match env_setting(env, ENV_API)? {
        Some(s) => Some(s),
        None => file.value("api")?,
    };
    raw.filter(|s| !s.value.trim().is_empty())
        .map(|Setting { value, source }| match value.trim().to_ascii_lowercase().as_str() {
            "v1" => Ok(Setting::new(ApiVersion::V1, source)),
            "v2" => Ok(Setting::new(ApiVersion::V2, source)),
            _ => Err(Error::config(format!("invalid API from {source}: expected v1 or v2"))),
        })
        .transpose()
}

/// The v2 workspace: explicit → `MODELARTS_WORKSPACE_ID` → profile key `workspace_id`; `None`
/// (the service's default workspace, `"0"`) when none is set.
fn resolve_workspace_id(
    b: &ClientBuilder,
    env: &EnvFn,
    file: &mut ProfileFile,
) -> Result<Option<Setting<String>>, Error> {
    if let Some(id) = &b.workspace_id {
        return Ok(Some(Setting::new(id.trim().to_owned(), SettingSource::Explicit)));
    }
    let raw = match env_setting(env, ENV_WORKSPACE_ID)? {
        Some(s) => Some(s),
        None => file.value("workspace_id")?,
    };
    Ok(raw
        .map(|Setting { value, source }| Setting::new(value.trim().to_owned(), source))
        .filter(|s| !s.value.is_empty()))
}

/// The region: explicit → `MODELARTS_REGION` → `HUAWEICLOUD_SDK_REGION`.
fn resolve_region(b: &ClientBuilder, env: &EnvFn) -> Result<Option<Setting<String>>, Error> {
    let region = match &b.region {
        Some(r) => Some(Setting::new(r.trim().to_owned(), SettingSource::Explicit)),
        None => {
            let mut found = None;
            for name in ENV_REGIONS {
                if let Some(setting) = env_setting(env, name)? {
                    found = Some(setting);
                    break;
                }
            }
            found
        }
    };
    Ok(region.filter(|r| !r.value.is_empty()))
}

/// The ModelArts endpoints, the first one and the rest of its list (tried in turn when a
/// connection or TLS handshake fails): explicit → `MODELARTS_ENDPOINT_URL` →
/// `HUAWEICLOUD_SDK_REGION_MODELARTS_<REGION>` → the regions file (`HUAWEICLOUD_SDK_REGIONS_FILE`,
/// else `~/.huaweicloud/regions.yaml`) → derived from the region. The first three may be
/// comma-separated lists.
fn resolve_endpoint(
    b: &ClientBuilder,
    env: &EnvFn,
    region: Option<&Setting<String>>,
    regions: &mut RegionsFileSource,
) -> Result<(Option<Setting<Endpoint>>, Vec<Endpoint>), Error> {
    let list = |text: &str| -> Vec<String> {
        text.split(',').map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned).collect()
    };
    let mut raw: Option<(Vec<String>, SettingSource)> = match &b.endpoint_url {
        Some(u) => Some((list(u), SettingSource::Explicit)),
        None => env_value(env, ENV_ENDPOINT_URL)?
            .map(|u| (list(&u), SettingSource::Env(ENV_ENDPOINT_URL.to_owned()))),
    };
    if raw.is_none()
        && let Some(r) = region
    {
        let var = region_endpoint_var(&r.value);
        raw = env_value(env, &var)?.map(|u| (list(&u), SettingSource::Env(var.clone())));
        if raw.is_none()
            && let Some((urls, source)) = regions.endpoints("MODELARTS", &r.value)?
        {
            raw = Some((urls, source));
        }
    }
    if let Some((urls, source)) = raw.filter(|(urls, _)| !urls.is_empty()) {
        let mut parsed = Vec::with_capacity(urls.len());
        for url in urls.iter().take(modelarts_protocol::regions_file::MAX_ENDPOINTS) {
            parsed.push(
                Endpoint::from_url(url)
                    .map_err(|e| Error::config_with(format!("invalid endpoint URL from {source}"), e))?,
            );
        }
        let first = parsed.remove(0);
        return Ok((Some(Setting::new(first, source)), parsed));
    }
    let Some(r) = region else { return Ok((None, Vec::new())) };
    match Endpoint::for_region(&r.value) {
        Ok(e) => Ok((Some(Setting::new(e, SettingSource::Derived("region"))), Vec::new())),
        Err(e @ EndpointError::UnknownRegion(_)) => Err(Error::config_with(
            format!(
                "unknown region {:?} (from {}): set the endpoint URL explicitly (MODELARTS_ENDPOINT_URL or {})",
                r.value,
                r.source,
                region_endpoint_var(&r.value)
            ),
            e,
        )),
        Err(e) => Err(Error::config_with(format!("invalid region {:?}", r.value), e)),
    }
}

/// The official SDKs' regions file, read at most once and only when an endpoint is looked up in
/// it: `HUAWEICLOUD_SDK_REGIONS_FILE` (which must exist), else `~/.huaweicloud/regions.yaml` (if
/// it exists).
struct RegionsFileSource {
    path: Option<(PathBuf, bool)>,
    parsed: Option<Option<modelarts_protocol::regions_file::RegionsFile>>,
}

impl RegionsFileSource {
    fn new(env: &EnvFn) -> Result<Self, Error> {
        let path = match env_value(env, modelarts_protocol::regions_file::REGIONS_FILE_ENV)? {
            Some(p) => Some((PathBuf::from(p), true)),
            None => home_dir(env)?.map(|h| (h.join(".huaweicloud").join("regions.yaml"), false)),
        };
        Ok(Self { path, parsed: None })
    }

    fn source(&self) -> SettingSource {
        SettingSource::File {
            path: self.path.as_ref().map(|(p, _)| p.clone()).unwrap_or_default(),
            section: "regions".to_owned(),
        }
    }

    /// The endpoints the file gives `service` in `region`, if any.
    fn endpoints(
        &mut self,
        service: &str,
        region: &str,
    ) -> Result<Option<(Vec<String>, SettingSource)>, Error> {
        if self.parsed.is_none() {
            let parsed = match &self.path {
                None => None,
                Some((path, required)) => {
                    match crate::files::open_regular(path).and_then(|f| {
                        read_limited(f, modelarts_protocol::regions_file::MAX_REGIONS_FILE as u64)
                    }) {
                        Ok(bytes) => {
                            let text = decode_text_file(bytes).map_err(|reason| {
                                Error::config(format!("the regions file {} {reason}", path.display()))
                            })?;
                            Some(modelarts_protocol::regions_file::RegionsFile::parse(&text).map_err(
                                |e| {
                                    Error::config_with(
                                        format!("cannot use the regions file {}", path.display()),
                                        e,
                                    )
                                },
                            )?)
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => None,
                        Err(e) => {
                            return Err(Error::config_with(
                                format!("cannot read the regions file {}", path.display()),
                                e,
                            ));
                        }
                    }
                }
            };
            self.parsed = Some(parsed);
        }
        let source = self.source();
        Ok(self
            .parsed
            .as_ref()
            .and_then(Option::as_ref)
            .and_then(|file| file.endpoints(service, region))
            .map(|urls| (urls.to_vec(), source)))
    }
}

/// The IAM endpoint: explicit → `HUAWEICLOUD_SDK_IAM_ENDPOINT` → file `iam_endpoint` → the
/// region's → the global one (the protocol's `resolve_iam_endpoint` decides; the profile is read
/// only when neither of the first two is set).
fn resolve_iam_endpoint(
    b: &ClientBuilder,
    env: &EnvFn,
    file: &mut ProfileFile,
    region: Option<&Setting<String>>,
    regions: &mut RegionsFileSource,
) -> Result<Setting<Endpoint>, Error> {
    use modelarts_protocol::iam::endpoint::{IAM_ENDPOINT_ENV, IamEndpointInputs, IamEndpointSource};
    let from_env = env_value(env, IAM_ENDPOINT_ENV)?;
    let from_file = match (&b.iam_endpoint, &from_env) {
        (None, None) => file.value("iam_endpoint")?.map(|s| s.value),
        _ => None,
    };
    let inputs = IamEndpointInputs {
        explicit: b.iam_endpoint.as_deref(),
        env: from_env.as_deref(),
        profile: from_file.as_deref(),
        region: region.map(|r| r.value.as_str()),
    };
    let (endpoint, source) = modelarts_protocol::iam::endpoint::resolve_iam_endpoint(&inputs)
        .map_err(|e| Error::config_with(e.to_string(), e))?;
    // The regions file comes after the settings and before the built-in region table.
    if matches!(source, IamEndpointSource::Region | IamEndpointSource::Global)
        && let Some(r) = region
        && let Some((urls, from)) = regions.endpoints("IAM", &r.value)?
        && let Some(url) = urls.first()
    {
        let endpoint = Endpoint::from_url(url)
            .map_err(|e| Error::config_with(format!("invalid IAM endpoint from {from}"), e))?;
        return Ok(Setting::new(endpoint, from));
    }
    let source = match source {
        IamEndpointSource::Explicit => SettingSource::Explicit,
        IamEndpointSource::Env => SettingSource::Env(IAM_ENDPOINT_ENV.to_owned()),
        IamEndpointSource::Profile => file.source(),
        IamEndpointSource::Region => SettingSource::Derived("region"),
        _ => SettingSource::Default,
    };
    Ok(Setting::new(endpoint, source))
}

/// The virtual MFA code of a password login: explicit → `MODELARTS_MFA_CODE` (no file key: a
/// one-time code does not belong in a file), with the user id: explicit → `MODELARTS_USER_ID` →
/// file `user_id`. The code is attached to the password login; a code that is blank or not six
/// digits, a code without a password login, or without a user id, is an error.
fn resolve_mfa(
    b: &ClientBuilder,
    env: &EnvFn,
    file: &mut ProfileFile,
    login: Option<&mut Setting<Login>>,
) -> Result<Option<Setting<()>>, Error> {
    use modelarts_protocol::iam::token::{Mfa, MfaCode};
    let (code, source) = match &b.mfa_code {
        Some(code) => (code.clone(), SettingSource::Explicit),
        // Set but blank is a mistake here (an empty `$CODE`), not "unset": it is refused below.
        None => match env(ENV_MFA_CODE).map_err(|_| not_unicode(ENV_MFA_CODE))? {
            Some(code) => (MfaCode::new(code), SettingSource::Env(ENV_MFA_CODE.to_owned())),
            None => return Ok(None),
        },
    };
    // The code itself is never shown, only what is wrong with it.
    let text = code.expose();
    if text.is_empty() {
        return Err(Error::config(format!(
            "the virtual MFA code ({source}) is empty: give the current six-digit code of the MFA device, or unset it"
        )));
    }
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::config(format!(
            "the virtual MFA code ({source}) is not six digits: give the current six-digit code of the MFA device"
        )));
    }
    let Some(Setting { value: Login::Password { user_name, domain_name, mfa, .. }, .. }) = login else {
        return Err(Error::config(format!(
            "a virtual MFA code is set ({source}) but the credentials are not a password login: the code is only sent with HUAWEICLOUD_SDK_USERNAME/_PASSWORD/_DOMAIN_NAME (or the profile's username/password/domain_name)"
        )));
    };
    let user_id = match &b.user_id {
        Some(id) => Some(id.clone()),
        None => match env_value(env, ENV_USER_ID)? {
            Some(id) => Some(id),
            None => file.value("user_id")?.map(|s| s.value),
        },
    };
    let Some(user_id) = user_id.filter(|id| !id.trim().is_empty()) else {
        return Err(Error::config(format!(
            "a virtual MFA code is set ({source}) but not the id of the IAM user {user_name}@{domain_name}, which the MFA login must send: set --user-id ({ENV_USER_ID}, profile key user_id); the console shows it under My Credentials"
        )));
    };
    *mfa = Some(Mfa::of(user_id.trim(), &code));
    Ok(Some(Setting::new((), source)))
}

/// The agency: explicit → `MODELARTS_AGENCY_NAME` + `MODELARTS_AGENCY_DOMAIN` → file
/// `agency_name` + `agency_domain`. A name without a domain (or the reverse) is an error.
fn resolve_agency(
    b: &ClientBuilder,
    env: &EnvFn,
    file: &mut ProfileFile,
) -> Result<Option<Setting<Agency>>, Error> {
    let (name, domain, source) = match (&b.agency_name, &b.agency_domain) {
        (None, None) => match (env_value(env, ENV_AGENCY_NAME)?, env_value(env, ENV_AGENCY_DOMAIN)?) {
            (None, None) => {
                let name = file.value("agency_name")?.map(|s| s.value);
                let domain = file.value("agency_domain")?.map(|s| s.value);
                (name, domain, file.source())
            }
            (name, domain) => (name, domain, SettingSource::Env(ENV_AGENCY_NAME.to_owned())),
        },
        (name, domain) => (name.clone(), domain.clone(), SettingSource::Explicit),
    };
    match (name, domain) {
        (None, None) => Ok(None),
        (Some(agency_name), Some(domain_name)) => Ok(Some(Setting::new(
            Agency { domain_name: domain_name.trim().to_owned(), agency_name: agency_name.trim().to_owned() },
            source,
        ))),
        (Some(_), None) => Err(Error::config(format!(
            "an agency name is set ({source}) but not the account (domain) that created it: set --agency-domain ({ENV_AGENCY_DOMAIN}, file key agency_domain)"
        ))),
        (None, Some(_)) => Err(Error::config(format!(
            "an agency domain is set ({source}) but no agency name: set --agency-name ({ENV_AGENCY_NAME}, file key agency_name)"
        ))),
    }
}

/// The identity cache directory: explicit → `$XDG_CACHE_HOME/modelarts` → `~/.cache/modelarts`.
fn resolve_cache_dir(b: &ClientBuilder, env: &EnvFn) -> Result<Option<Setting<PathBuf>>, Error> {
    if let Some(dir) = &b.cache_dir {
        return Ok(dir.clone().map(|d| Setting::new(d, SettingSource::Explicit)));
    }
    // The XDG spec: a relative path in XDG_CACHE_HOME is invalid and ignored.
    if let Some(xdg) = env_value(env, ENV_XDG_CACHE_HOME)?.filter(|x| Path::new(x).is_absolute()) {
        return Ok(Some(Setting::new(
            PathBuf::from(xdg).join("modelarts"),
            SettingSource::Env(ENV_XDG_CACHE_HOME.to_owned()),
        )));
    }
    Ok(home_dir(env)?.map(|h| Setting::new(h.join(".cache").join("modelarts"), SettingSource::Default)))
}

/// The transport's settings as resolved.
struct TransportSettings {
    ca_bundle: Option<Setting<PathBuf>>,
    connect_timeout: Setting<Duration>,
    timeout: Setting<Duration>,
    insecure: Setting<bool>,
    allow_http: Setting<bool>,
    proxy: Option<Setting<String>>,
    #[cfg(feature = "transport")]
    config: TransportConfig,
}

/// Transport settings: the transport's defaults, or the base configuration given, overridden by
/// the builder's values; the CA bundle also from `MODELARTS_CA_BUNDLE`.
fn resolve_transport(
    b: &ClientBuilder,
    env: &EnvFn,
    metadata_over_http: bool,
) -> Result<TransportSettings, Error> {
    #[cfg(feature = "transport")]
    let mut transport = b.transport_config.clone().unwrap_or_default();
    #[cfg(feature = "transport")]
    let (base_ca, base_connect, base_attempt, base_insecure, base_allow_http) = (
        transport.ca_bundle.clone(),
        transport.connect_timeout,
        transport.attempt_timeout,
        transport.insecure,
        transport.allow_http,
    );
    #[cfg(not(feature = "transport"))]
    let (base_ca, base_connect, base_attempt, base_insecure, base_allow_http) =
        (None::<PathBuf>, DEFAULT_CONNECT_TIMEOUT, DEFAULT_ATTEMPT_TIMEOUT, false, false);
    #[cfg(feature = "transport")]
    let has_base = b.transport_config.is_some();
    #[cfg(not(feature = "transport"))]
    let has_base = false;
    let base_source = || if has_base { SettingSource::Explicit } else { SettingSource::Default };
    let ca_bundle = match &b.ca_bundle {
        Some(p) => Some(Setting::new(p.clone(), SettingSource::Explicit)),
        None => match env_value(env, ENV_CA_BUNDLE)? {
            Some(p) => Some(Setting::new(PathBuf::from(p), SettingSource::Env(ENV_CA_BUNDLE.to_owned()))),
            None => base_ca.map(|p| Setting::new(p, SettingSource::Explicit)),
        },
    };
    if let Some(ca) = &ca_bundle {
        check_readable(&ca.value).map_err(|e| {
            Error::config_with(
                format!("cannot read the CA bundle {} (from {})", ca.value.display(), ca.source),
                e,
            )
        })?;
    }
    let connect_timeout = pick_duration(b.connect_timeout, base_connect, base_source());
    let timeout = pick_duration(b.timeout, base_attempt, base_source());
    for (name, d) in [("connect timeout", &connect_timeout), ("timeout", &timeout)] {
        if d.value.is_zero() {
            return Err(Error::config(format!("the {name} must be greater than zero")));
        }
    }
    let insecure = match b.insecure {
        Some(v) => Setting::new(v, SettingSource::Explicit),
        None => Setting::new(base_insecure, base_source()),
    };
    let allow_http = match b.allow_http {
        Some(v) => Setting::new(v, SettingSource::Explicit),
        None => Setting::new(base_allow_http, base_source()),
    };
    #[cfg(feature = "transport")]
    let proxy = proxy_in_effect(&transport.proxy, env, has_base);
    #[cfg(not(feature = "transport"))]
    let (proxy, _) = (None, metadata_over_http);
    #[cfg(feature = "transport")]
    {
        transport.ca_bundle = ca_bundle.as_ref().map(|ca| ca.value.clone()).or(transport.ca_bundle);
        transport.connect_timeout = connect_timeout.value;
        transport.attempt_timeout = timeout.value;
        transport.insecure = insecure.value;
        // The metadata service is plain HTTP by nature; the ModelArts and IAM endpoints' schemes
        // are checked by the client against `allow_http` itself.
        transport.allow_http = allow_http.value || metadata_over_http;
        transport.user_agent = Some(HeaderValue::from_static(USER_AGENT));
    }
    Ok(TransportSettings {
        ca_bundle,
        connect_timeout,
        timeout,
        insecure,
        allow_http,
        proxy,
        #[cfg(feature = "transport")]
        config: transport,
    })
}

/// The proxy requests to an `https://` endpoint go through, credentials removed, for display.
#[cfg(feature = "transport")]
fn proxy_in_effect(
    config: &modelarts_transport::ProxyConfig,
    env: &EnvFn,
    explicit: bool,
) -> Option<Setting<String>> {
    use modelarts_transport::ProxyConfig;
    let from_env;
    let (config, source) = match config {
        ProxyConfig::FromEnv => {
            from_env = ProxyConfig::from_env_vars(|name| env(name).ok().flatten());
            (&from_env, SettingSource::Env("HTTPS_PROXY".to_owned()))
        }
        other => (other, if explicit { SettingSource::Explicit } else { SettingSource::Default }),
    };
    let (url, no_proxy) = match config {
        ProxyConfig::Explicit { url, no_proxy } => (url.as_str(), no_proxy.as_deref()),
        ProxyConfig::PerScheme { https: Some(url), no_proxy, .. } => (url.as_str(), no_proxy.as_deref()),
        _ => return None,
    };
    let shown = without_userinfo(url);
    let shown = match no_proxy {
        Some(list) => format!("{shown} (except {list})"),
        None => shown,
    };
    Some(Setting::new(shown, source))
}

/// A URL without the `user:password@` part.
#[cfg(feature = "transport")]
fn without_userinfo(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    if scheme.is_empty() { format!("{host}{path}") } else { format!("{scheme}://{host}{path}") }
}

/// Attempts per call and the retry policy with them applied.
fn resolve_retries(b: &ClientBuilder) -> Result<(Setting<u32>, RetryPolicy), Error> {
    let mut retry_policy = b.retry_policy.unwrap_or_default();
    let max_attempts = match (b.max_attempts, b.retry_policy) {
        (Some(n), _) => Setting::new(n, SettingSource::Explicit),
        (None, Some(p)) => Setting::new(p.max_attempts, SettingSource::Explicit),
        (None, None) => Setting::new(RetryPolicy::default().max_attempts, SettingSource::Default),
    };
    if max_attempts.value == 0 {
        return Err(Error::config("max_attempts must be at least 1 (1 means no retries)"));
    }
    retry_policy.max_attempts = max_attempts.value;
    Ok((max_attempts, retry_policy))
}

fn pick_duration(
    explicit: Option<Duration>,
    base: Duration,
    base_source: SettingSource,
) -> Setting<Duration> {
    match explicit {
        Some(d) => Setting::new(d, SettingSource::Explicit),
        None => Setting::new(base, base_source),
    }
}

fn check_readable(path: &Path) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(std::io::Error::other("it is a directory"));
    }
    crate::files::open_regular(path).map(drop)
}

fn aksk(ak: &str, sk: &str, token: Option<String>, source: &str) -> Result<Auth, Error> {
    if ak.trim().is_empty() {
        return Err(Error::config(format!("the access key (AK) from {source} is empty")));
    }
    if sk.trim().is_empty() {
        return Err(Error::config(format!("the secret key (SK) from {source} is empty")));
    }
    let mut credentials = Credentials::new(ak.trim(), sk.trim());
    if let Some(token) = token.filter(|t| !t.trim().is_empty()) {
        credentials = credentials.with_security_token(token.trim());
    }
    Ok(Auth::AkSk(credentials))
}

/// What the credential chain found: ready credentials, or a login to make first.
type Found = (Option<Setting<Auth>>, Option<Setting<Login>>);

/// A password login from three values of one source; all three or none.
fn password_login(
    user: Option<String>,
    password: Option<String>,
    domain: Option<String>,
    where_: &str,
    names: [&str; 3],
) -> Result<Option<Login>, Error> {
    match (user, password, domain) {
        (None, None, None) => Ok(None),
        (Some(user_name), Some(password), Some(domain_name)) => {
            if password.is_empty() {
                return Err(Error::config(format!("the password from {where_} is empty")));
            }
            Ok(Some(Login::Password {
                user_name: user_name.trim().to_owned(),
                password: Password::new(password),
                domain_name: domain_name.trim().to_owned(),
                mfa: None,
            }))
        }
        (user, password, domain) => {
            let missing: Vec<&str> = [user.is_none(), password.is_none(), domain.is_none()]
                .iter()
                .zip(names)
                .filter(|(missing, _)| **missing)
                .map(|(_, name)| name)
                .collect();
            Err(Error::config(format!("a password login from {where_} needs {} too", missing.join(" and "))))
        }
    }
}

/// An OIDC federation from an identity provider and an ID-token file; both or none.
fn federation(idp: Option<String>, file: Option<String>, where_: &str) -> Result<Option<Login>, Error> {
    match (idp, file) {
        (None, None) => Ok(None),
        (Some(idp_id), Some(file)) => Ok(Some(Login::Federation {
            idp_id: idp_id.trim().to_owned(),
            id_token_file: PathBuf::from(file.trim()),
        })),
        (Some(_), None) => {
            Err(Error::config(format!("{where_} names an identity provider but no ID-token file")))
        }
        (None, Some(_)) => {
            Err(Error::config(format!("{where_} names an ID-token file but no identity provider")))
        }
    }
}

/// The credential chain, first hit wins: explicit → environment (AK/SK, IAM token, password,
/// federation) → the profile file (AK/SK, password, federation) → CCE pod identity → the ECS/BMS
/// metadata service
/// (asked only by `connect`, unless turned off). `tried` gets every source looked at.
fn resolve_credentials(
    b: &ClientBuilder,
    env: &EnvFn,
    file: &mut ProfileFile,
    tried: &mut Vec<String>,
) -> Result<Found, Error> {
    if let Some(found) = explicit_credentials(b, tried)? {
        return Ok(found);
    }
    if let Some(found) = env_credentials(env, tried)? {
        return Ok(found);
    }
    if let Some(found) = file_credentials(file, tried)? {
        return Ok(found);
    }
    if let Some(found) = pod_identity_credentials(env, tried)? {
        return Ok(found);
    }
    match metadata_endpoint(b, env)? {
        Some(Setting { value: endpoint, source }) => {
            Ok((None, Some(Setting::new(Login::Metadata { endpoint }, source))))
        }
        None => {
            tried.push(format!("ECS/BMS metadata (turned off: {ENV_METADATA_ENDPOINT}=off)"));
            Ok((None, None))
        }
    }
}

/// The metadata service's address: explicit → `MODELARTS_METADATA_ENDPOINT` → the documented
/// link-local one (`Default`); `off` turns the source off.
fn metadata_endpoint(b: &ClientBuilder, env: &EnvFn) -> Result<Option<Setting<Endpoint>>, Error> {
    let (raw, source) = match &b.metadata_endpoint {
        Some(url) => (url.clone(), SettingSource::Explicit),
        None => match env_value(env, ENV_METADATA_ENDPOINT)? {
            Some(url) => (url, SettingSource::Env(ENV_METADATA_ENDPOINT.to_owned())),
            None => (METADATA_ENDPOINT.to_owned(), SettingSource::Default),
        },
    };
    if raw.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let endpoint = Endpoint::from_url(&raw)
        .map_err(|e| Error::config_with(format!("invalid metadata endpoint from {source}"), e))?;
    Ok(Some(Setting::new(endpoint, source)))
}

/// CCE pod identity: `HC_CONTAINER_CREDENTIALS_FULL_URI` and
/// `HC_CONTAINER_AUTHORIZATION_TOKEN_FILE`, both or none.
fn pod_identity_credentials(env: &EnvFn, tried: &mut Vec<String>) -> Result<Option<Found>, Error> {
    use modelarts_protocol::iam::pod_identity::{FULL_URI_ENV, TOKEN_FILE_ENV};
    match (env_value(env, FULL_URI_ENV)?, env_value(env, TOKEN_FILE_ENV)?) {
        (None, None) => {
            tried.push(format!("env {FULL_URI_ENV}/{TOKEN_FILE_ENV} (CCE pod identity, not set)"));
            Ok(None)
        }
        (Some(uri), Some(token_file)) => {
            let uri = Endpoint::from_url(&uri)
                .map_err(|e| Error::config_with(format!("invalid {FULL_URI_ENV}"), e))?;
            let login = Login::PodIdentity { uri, token_file: PathBuf::from(token_file) };
            Ok(Some((None, Some(Setting::new(login, SettingSource::Env(FULL_URI_ENV.to_owned()))))))
        }
        (Some(_), None) => Err(Error::config(format!("{FULL_URI_ENV} is set but {TOKEN_FILE_ENV} is not"))),
        (None, Some(_)) => Err(Error::config(format!("{TOKEN_FILE_ENV} is set but {FULL_URI_ENV} is not"))),
    }
}

fn explicit_credentials(b: &ClientBuilder, tried: &mut Vec<String>) -> Result<Option<Found>, Error> {
    let given = usize::from(b.credentials.is_some())
        + usize::from(b.iam_token.is_some())
        + usize::from(b.password_login.is_some());
    if given > 1 {
        return Err(Error::config(
            "more than one of AK/SK credentials, an IAM token and a password login were given; choose one",
        ));
    }
    if let Some(c) = &b.credentials {
        let auth = aksk(
            c.access_key(),
            c.secret_key(),
            c.security_token().map(str::to_owned),
            "the explicit credentials",
        )?;
        return Ok(Some((Some(Setting::new(auth, SettingSource::Explicit)), None)));
    }
    if let Some(token) = &b.iam_token {
        if token.expose().trim().is_empty() {
            return Err(Error::config("the explicit IAM token is empty"));
        }
        return Ok(Some((Some(Setting::new(Auth::Token(token.clone()), SettingSource::Explicit)), None)));
    }
    if let Some(login) = &b.password_login {
        return Ok(Some((None, Some(Setting::new(login.clone(), SettingSource::Explicit)))));
    }
    tried.push("explicit credentials (none given)".to_owned());
    Ok(None)
}

fn env_credentials(env: &EnvFn, tried: &mut Vec<String>) -> Result<Option<Found>, Error> {
    // Each variable is read (and a non-UTF-8 value reported) before deciding anything.
    let (ak, sk, token) =
        (env_value(env, ENV_AK)?, env_value(env, ENV_SK)?, env_value(env, ENV_SECURITY_TOKEN)?);
    match (ak, sk) {
        (Some(ak), Some(sk)) => {
            let auth = aksk(&ak, &sk, token, "the environment")?;
            return Ok(Some((Some(Setting::new(auth, SettingSource::Env(ENV_AK.to_owned()))), None)));
        }
        (Some(_), None) => {
            return Err(Error::config(format!("{ENV_AK} is set but {ENV_SK} is not")));
        }
        (None, Some(_)) => {
            return Err(Error::config(format!("{ENV_SK} is set but {ENV_AK} is not")));
        }
        (None, None) => tried.push(format!("env {ENV_AK}/{ENV_SK} (not set)")),
    }
    if let Some(token) = env_value(env, ENV_IAM_TOKEN)? {
        return Ok(Some((
            Some(Setting::new(
                Auth::Token(IamToken::new(token)),
                SettingSource::Env(ENV_IAM_TOKEN.to_owned()),
            )),
            None,
        )));
    }
    tried.push(format!("env {ENV_IAM_TOKEN} (not set)"));
    let user = env_value(env, ENV_USERNAME)?;
    let password = env(ENV_PASSWORD).map_err(|_| not_unicode(ENV_PASSWORD))?.filter(|p| !p.is_empty());
    let domain = env_value(env, ENV_DOMAIN_NAME)?;
    if let Some(login) = password_login(
        user,
        password,
        domain,
        "the environment",
        [ENV_USERNAME, ENV_PASSWORD, ENV_DOMAIN_NAME],
    )? {
        return Ok(Some((None, Some(Setting::new(login, SettingSource::Env(ENV_USERNAME.to_owned()))))));
    }
    tried.push(format!("env {ENV_USERNAME}/{ENV_PASSWORD}/{ENV_DOMAIN_NAME} (not set)"));
    let idp = env_value(env, IDP_ID_ENV)?;
    let token_file = env_value(env, ID_TOKEN_FILE_ENV)?;
    if let Some(login) = federation(idp, token_file, "the environment")? {
        return Ok(Some((None, Some(Setting::new(login, SettingSource::Env(IDP_ID_ENV.to_owned()))))));
    }
    tried.push(format!("env {IDP_ID_ENV}/{ID_TOKEN_FILE_ENV} (not set)"));
    Ok(None)
}

fn file_credentials(file: &mut ProfileFile, tried: &mut Vec<String>) -> Result<Option<Found>, Error> {
    let Some(path) = file.path().map(Path::to_path_buf) else {
        tried.push("credentials file (no home directory: HOME is not set)".to_owned());
        return Ok(None);
    };
    let profile = file.profile.value.clone();
    let where_ = format!("file {} [{profile}]", path.display());
    let source = file.source();
    match file.section()? {
        SectionLookup::NoFile => {
            tried.push(format!("file {} (not found)", path.display()));
            Ok(None)
        }
        SectionLookup::NoSection(sections, headless) => {
            let ignored = match headless {
                0 => String::new(),
                n => format!(
                    "; {n} key(s) before any [section] header, ignored: add a [{profile}] line above them"
                ),
            };
            tried.push(format!(
                "file {} (no [{profile}] section; sections: {}{ignored})",
                path.display(),
                if sections.is_empty() { "none".to_owned() } else { sections.join(", ") }
            ));
            Ok(None)
        }
        SectionLookup::Found(section) => {
            let raw = |k: &str| section.get(k).map(|(v, _)| v.clone());
            let get = |k: &str| raw(k).filter(|v| !v.is_empty());
            // An empty `ak =` or `sk =` is reported as empty, not as missing.
            match (raw("ak"), raw("sk")) {
                (Some(ak), Some(sk)) => {
                    let auth = aksk(&ak, &sk, get("security_token"), &where_)?;
                    return Ok(Some((Some(Setting::new(auth, source)), None)));
                }
                (Some(_), None) => return Err(Error::config(format!("{where_} has ak but no sk"))),
                (None, Some(_)) => return Err(Error::config(format!("{where_} has sk but no ak"))),
                (None, None) => {}
            }
            if let Some(login) = password_login(
                get("username"),
                get("password"),
                get("domain_name"),
                &where_,
                ["username", "password", "domain_name"],
            )? {
                tracing::warn!(
                    file = %path.display(),
                    "a password is stored in the credentials file; prefer {ENV_PASSWORD} or AK/SK, and keep the file private (chmod 600)"
                );
                return Ok(Some((None, Some(Setting::new(login, source)))));
            }
            if let Some(login) = federation(get("idp_id"), get("id_token_file"), &where_)? {
                return Ok(Some((None, Some(Setting::new(login, source)))));
            }
            tried.push(format!("{where_} (no ak/sk, username/password or idp_id keys)"));
            Ok(None)
        }
    }
}

/// A parsed INI section: key → (value, line).
type Section = HashMap<String, (String, usize)>;

enum SectionLookup<'a> {
    NoFile,
    /// The section names, and how many keys come before any `[section]` header (ignored).
    NoSection(Vec<String>, usize),
    Found(&'a Section),
}

/// The credentials file, read at most once and only when needed.
struct ProfileFile {
    path: Option<Setting<PathBuf>>,
    profile: Setting<String>,
    parsed: Option<Option<Vec<(String, Section)>>>,
}

impl ProfileFile {
    fn new(path: Option<Setting<PathBuf>>, profile: Setting<String>) -> Self {
        Self { path, profile, parsed: None }
    }

    fn path(&self) -> Option<&Path> {
        self.path.as_ref().map(|s| s.value.as_path())
    }

    fn into_setting(self) -> Option<Setting<PathBuf>> {
        self.path
    }

    fn source(&self) -> SettingSource {
        SettingSource::File {
            path: self.path().map(Path::to_path_buf).unwrap_or_default(),
            section: self.profile.value.clone(),
        }
    }

    fn load(&mut self) -> Result<Option<&Vec<(String, Section)>>, Error> {
        if self.parsed.is_none() {
            let parsed = match &self.path {
                None => None,
                Some(Setting { value: path, source }) => match crate::files::open_regular(path)
                    .and_then(|file| read_limited(file, MAX_CREDENTIALS_FILE_BYTES))
                {
                    Ok(bytes) => {
                        let text = decode_text_file(bytes).map_err(|reason| {
                            Error::config(format!("the credentials file {} {reason}", path.display()))
                        })?;
                        Some(parse_ini(&text).map_err(|(line, reason)| {
                            Error::config(format!(
                                "the credentials file {}, line {line}: {reason}",
                                path.display()
                            ))
                        })?)
                    }
                    Err(e)
                        if e.kind() == std::io::ErrorKind::NotFound && *source == SettingSource::Default =>
                    {
                        None
                    }
                    Err(e) => {
                        return Err(Error::config_with(
                            format!("cannot read the credentials file {} (from {source})", path.display()),
                            e,
                        ));
                    }
                },
            };
            self.parsed = Some(parsed);
        }
        Ok(self.parsed.as_ref().and_then(Option::as_ref))
    }

    fn section(&mut self) -> Result<SectionLookup<'_>, Error> {
        let profile = self.profile.value.clone();
        let explicit_profile = self.profile.source != SettingSource::Default;
        let path = self.path().map(Path::to_path_buf).unwrap_or_default();
        let Some(sections) = self.load()? else {
            return Ok(SectionLookup::NoFile);
        };
        match sections.iter().find(|(name, _)| *name == profile) {
            Some((_, section)) => Ok(SectionLookup::Found(section)),
            None => {
                let names: Vec<String> =
                    sections.iter().map(|(n, _)| n.clone()).filter(|n| !n.is_empty()).collect();
                let headless = sections.iter().find(|(n, _)| n.is_empty()).map_or(0, |(_, s)| s.len());
                if explicit_profile {
                    return Err(Error::config(format!(
                        "profile [{profile}] not found in the credentials file {} (sections: {})",
                        path.display(),
                        if names.is_empty() { "none".to_owned() } else { names.join(", ") }
                    )));
                }
                Ok(SectionLookup::NoSection(names, headless))
            }
        }
    }

    /// A key of the profile's section, if the file and the section exist.
    fn value(&mut self, key: &str) -> Result<Option<Setting<String>>, Error> {
        let found = match self.section()? {
            SectionLookup::Found(section) => section.get(key).map(|(v, _)| v.clone()),
            _ => None,
        };
        Ok(found.filter(|v| !v.is_empty()).map(|v| Setting::new(v, self.source())))
    }
}

/// The most bytes read from a credentials file (far more than any real one holds).
pub(crate) const MAX_CREDENTIALS_FILE_BYTES: u64 = 1 << 20;

/// Reads all of `reader` up to `limit` bytes. Longer input (a huge file, `/dev/zero`, an endless
/// pipe) is an error of kind [`FileTooLarge`](std::io::ErrorKind::FileTooLarge) after reading at
/// most `limit + 1` bytes, so memory stays bounded (tested in `target_list`).
pub(crate) fn read_limited(reader: impl std::io::Read, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    reader.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        let shown = if limit >= 1 << 20 && limit.is_multiple_of(1 << 20) {
            format!("{} MiB", limit >> 20)
        } else {
            format!("{limit} bytes")
        };
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("it is larger than {shown}, the limit for this file"),
        ));
    }
    Ok(bytes)
}

/// Why a file the user gave is not text this tool reads. The message never quotes the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextFileError {
    /// UTF-16 with a byte-order mark.
    #[error("is UTF-16; save it as UTF-8")]
    Utf16,
    /// NUL bytes: most likely UTF-16 without a byte-order mark.
    #[error("contains NUL bytes (UTF-16 without a byte-order mark?); save it as UTF-8")]
    Nul,
    /// A byte sequence that is not UTF-8, first on this line (from 1).
    #[error(
        "is not UTF-8: line {line} is not valid UTF-8 (Latin-1 or another legacy encoding?); save it as UTF-8"
    )]
    NotUtf8 {
        /// The line of the first invalid byte.
        line: usize,
    },
}

/// The text of a file the user gave (a credentials file, a list of versions to stop), or why it is
/// not UTF-8: UTF-16 is named, otherwise the first line with an invalid byte; never a value.
/// A UTF-8 byte-order mark is kept for the caller to skip.
pub(crate) fn decode_text_file(bytes: Vec<u8>) -> Result<String, TextFileError> {
    match String::from_utf8(bytes) {
        Ok(text) if text.contains('\0') => Err(TextFileError::Nul),
        Ok(text) => Ok(text),
        Err(e) if e.as_bytes().starts_with(&[0xFF, 0xFE]) || e.as_bytes().starts_with(&[0xFE, 0xFF]) => {
            Err(TextFileError::Utf16)
        }
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            Err(TextFileError::NotUtf8 { line: valid.iter().filter(|b| **b == b'\n').count() + 1 })
        }
    }
}

/// Parses the INI dialect of the official SDKs' credentials file: `[section]` headers,
/// `key = value` (or `key: value`) lines, `#` and `;` comment lines, optional quotes around values.
/// Keys are case-insensitive; keys before any section go to a section named `""`. Errors are
/// `(line, reason)`, the line counted from 1. Never includes a value in an error.
pub(crate) fn parse_ini(text: &str) -> Result<Vec<(String, Section)>, (usize, String)> {
    let mut sections: Vec<(String, Section)> = vec![(String::new(), Section::new())];
    let mut current = 0;
    for (i, raw) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err((line_no, "a section header must end with ']'".to_owned()));
            };
            let name = name.trim();
            if name.is_empty() {
                return Err((line_no, "empty section name".to_owned()));
            }
            current = match sections.iter().position(|(n, _)| n == name) {
                Some(index) => index,
                None => {
                    sections.push((name.to_owned(), Section::new()));
                    sections.len() - 1
                }
            };
            continue;
        }
        let split = line.find(['=', ':']);
        let Some(at) = split else {
            return Err((line_no, "expected `key = value` or `[section]`".to_owned()));
        };
        let key = line[..at].trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err((line_no, "missing key before '='".to_owned()));
        }
        let mut value = line[at + 1..].trim();
        for quote in ['"', '\''] {
            if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
                value = &value[1..value.len() - 1];
            }
        }
        if let Some((name, section)) = sections.get_mut(current) {
            if let Some((_, first)) = section.get(&key) {
                let place = if name.is_empty() {
                    "before any [section] header".to_owned()
                } else {
                    format!("in [{name}]")
                };
                return Err((line_no, format!("duplicate key `{key}` {place} (first on line {first})")));
            }
            section.insert(key, (value.to_owned(), line_no));
        }
    }
    Ok(sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_dialect() {
        let text = "\u{feff}# comment\n; other\n[basic]\nak = AK1\nSK: \"S K\"\n\n[other]\nak=2\n[basic]\nproject_id = p\n";
        let sections = parse_ini(text).unwrap();
        let basic = &sections.iter().find(|(n, _)| n == "basic").unwrap().1;
        assert_eq!(basic["ak"].0, "AK1");
        assert_eq!(basic["sk"], ("S K".to_owned(), 5));
        assert_eq!(basic["project_id"].0, "p");
        assert_eq!(sections.iter().find(|(n, _)| n == "other").unwrap().1["ak"].0, "2");
    }

    #[test]
    fn ini_errors_name_the_line() {
        let cases = [
            ("[basic\nak=1", 1, "section header"),
            ("[basic]\nak 1\n", 2, "expected `key = value`"),
            ("[]\n", 1, "empty section"),
            ("[a]\n\n = x", 3, "missing key"),
            ("[basic]\nak = 1\nsk = 2\nAK = 3\n", 4, "duplicate key `ak` in [basic] (first on line 2)"),
            (
                "[basic]\nak = 1\n[other]\n[basic]\nak = 2\n",
                5,
                "duplicate key `ak` in [basic] (first on line 2)",
            ),
            ("ak = 1\nak = 1\n", 2, "duplicate key `ak` before any [section] header"),
        ];
        for (text, line, reason) in cases {
            let (l, r) = parse_ini(text).unwrap_err();
            assert_eq!(l, line, "{text:?}");
            assert!(r.contains(reason), "{r}");
        }
    }

    #[test]
    fn odd_encodings_are_named() {
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("[basic]".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert!(decode_text_file(utf16).unwrap_err().to_string().starts_with("is UTF-16"));
        let no_bom: Vec<u8> = "[basic]".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert!(decode_text_file(no_bom).unwrap_err().to_string().contains("NUL bytes"));
        let latin1 = b"[basic]\nak = x\nsk = caf\xe9\n".to_vec();
        let err = decode_text_file(latin1).unwrap_err().to_string();
        assert!(err.contains("line 3 is not valid UTF-8") && !err.contains("caf"), "{err}");
        assert_eq!(
            decode_text_file("\u{feff}[basic]\r\n".as_bytes().to_vec()).unwrap(),
            "\u{feff}[basic]\r\n"
        );
    }

    #[test]
    fn region_endpoint_variable() {
        assert_eq!(region_endpoint_var("cn-north-4"), "HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4");
        assert_eq!(region_endpoint_var("eu-de"), "HUAWEICLOUD_SDK_REGION_MODELARTS_EU_DE");
    }
}
