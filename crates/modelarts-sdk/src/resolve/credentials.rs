//! The credential chain: explicit → environment → the profile file → CCE pod identity → the
//! ECS/BMS metadata service; with it the password login's virtual MFA code and the agency.

use std::path::{Path, PathBuf};

use modelarts_protocol::auth::{Auth, IamToken};
use modelarts_protocol::endpoint::Endpoint;
use modelarts_protocol::iam::federation::{ID_TOKEN_FILE_ENV, IDP_ID_ENV};
use modelarts_protocol::iam::metadata::METADATA_ENDPOINT;
use modelarts_protocol::iam::token::Password;
use modelarts_protocol::signing::Credentials;

use super::profile_file::{ProfileFile, SectionLookup};
use super::{env_value, not_unicode};
use crate::config::ClientBuilder;
use crate::config_error::{ConfigError, EndpointSetting};
use crate::error::Error;
use crate::login::{Agency, Login};
use crate::settings::{EnvFn, Setting, SettingSource};

/// Env: the access key.
pub(crate) const ENV_AK: &str = "HUAWEICLOUD_SDK_AK";
/// Env: the secret key.
pub(crate) const ENV_SK: &str = "HUAWEICLOUD_SDK_SK";
/// Env: the security token of temporary credentials.
pub(crate) const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// Env: an IAM token.
pub(crate) const ENV_IAM_TOKEN: &str = "MODELARTS_IAM_TOKEN";
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

/// The virtual MFA code of a password login: explicit → `MODELARTS_MFA_CODE` (no file key: a
/// one-time code does not belong in a file), with the user id: explicit → `MODELARTS_USER_ID` →
/// file `user_id`. The code is attached to the password login; a code that is blank or not six
/// digits, a code without a password login, or without a user id, is an error.
pub(super) fn resolve_mfa(
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
        return Err(ConfigError::EmptyMfaCode { from: source }.into());
    }
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ConfigError::MalformedMfaCode { from: source }.into());
    }
    let Some(Setting { value: Login::Password { user_name, domain_name, mfa, .. }, .. }) = login else {
        return Err(ConfigError::MfaWithoutPasswordLogin { from: source }.into());
    };
    let user_id = match &b.user_id {
        Some(id) => Some(id.clone()),
        None => match env_value(env, ENV_USER_ID)? {
            Some(id) => Some(id),
            None => file.value("user_id")?.map(|s| s.value),
        },
    };
    let Some(user_id) = user_id.filter(|id| !id.trim().is_empty()) else {
        return Err(ConfigError::MfaWithoutUserId {
            from: source,
            user: format!("{user_name}@{domain_name}"),
        }
        .into());
    };
    *mfa = Some(Mfa::of(user_id.trim(), &code));
    Ok(Some(Setting::new((), source)))
}

/// The agency: explicit → `MODELARTS_AGENCY_NAME` + `MODELARTS_AGENCY_DOMAIN` → file
/// `agency_name` + `agency_domain`. A name without a domain (or the reverse) is an error.
pub(super) fn resolve_agency(
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
        (Some(_), None) => Err(ConfigError::IncompleteAgency { from: source, has_name: true }.into()),
        (None, Some(_)) => Err(ConfigError::IncompleteAgency { from: source, has_name: false }.into()),
    }
}

fn aksk(ak: &str, sk: &str, token: Option<String>, source: &str) -> Result<Auth, Error> {
    if ak.trim().is_empty() {
        return Err(ConfigError::EmptyAccessKey { from: source.to_owned() }.into());
    }
    if sk.trim().is_empty() {
        return Err(ConfigError::EmptySecretKey { from: source.to_owned() }.into());
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
                return Err(ConfigError::EmptyPassword { from: where_.to_owned() }.into());
            }
            Ok(Some(Login::Password {
                user_name: user_name.trim().to_owned(),
                password: Password::new(password),
                domain_name: domain_name.trim().to_owned(),
                mfa: None,
            }))
        }
        (user, password, domain) => {
            let missing: Vec<String> = [user.is_none(), password.is_none(), domain.is_none()]
                .iter()
                .zip(names)
                .filter(|(missing, _)| **missing)
                .map(|(_, name)| name.to_owned())
                .collect();
            Err(ConfigError::IncompletePasswordLogin { from: where_.to_owned(), missing }.into())
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
            Err(ConfigError::IncompleteFederation { from: where_.to_owned(), has_identity_provider: true }
                .into())
        }
        (None, Some(_)) => {
            Err(ConfigError::IncompleteFederation { from: where_.to_owned(), has_identity_provider: false }
                .into())
        }
    }
}

/// The credential chain, first hit wins: explicit → environment (AK/SK, IAM token, password,
/// federation) → the profile file (AK/SK, password, federation) → CCE pod identity → the ECS/BMS
/// metadata service
/// (asked only by `connect`, unless turned off). `tried` gets every source looked at.
pub(super) fn resolve_credentials(
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
pub(super) fn metadata_endpoint(b: &ClientBuilder, env: &EnvFn) -> Result<Option<Setting<Endpoint>>, Error> {
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
    let endpoint = Endpoint::from_url(&raw).map_err(|e| ConfigError::InvalidEndpointUrl {
        setting: EndpointSetting::Metadata,
        from: source.clone(),
        source: e,
    })?;
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
            let uri = Endpoint::from_url(&uri).map_err(|e| ConfigError::InvalidEndpointUrl {
                setting: EndpointSetting::PodIdentity,
                from: SettingSource::Env(FULL_URI_ENV.to_owned()),
                source: e,
            })?;
            let login = Login::PodIdentity { uri, token_file: PathBuf::from(token_file) };
            Ok(Some((None, Some(Setting::new(login, SettingSource::Env(FULL_URI_ENV.to_owned()))))))
        }
        (Some(_), None) => {
            Err(ConfigError::IncompleteEnv { set: FULL_URI_ENV, missing: TOKEN_FILE_ENV }.into())
        }
        (None, Some(_)) => {
            Err(ConfigError::IncompleteEnv { set: TOKEN_FILE_ENV, missing: FULL_URI_ENV }.into())
        }
    }
}

fn explicit_credentials(b: &ClientBuilder, tried: &mut Vec<String>) -> Result<Option<Found>, Error> {
    let given = usize::from(b.credentials.is_some())
        + usize::from(b.iam_token.is_some())
        + usize::from(b.password_login.is_some());
    if given > 1 {
        return Err(ConfigError::ConflictingCredentials.into());
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
            return Err(ConfigError::EmptyIamToken.into());
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
            return Err(ConfigError::IncompleteEnv { set: ENV_AK, missing: ENV_SK }.into());
        }
        (None, Some(_)) => {
            return Err(ConfigError::IncompleteEnv { set: ENV_SK, missing: ENV_AK }.into());
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
                (Some(_), None) => {
                    return Err(
                        ConfigError::IncompleteKeyPair { from: where_, has: "ak", missing: "sk" }.into()
                    );
                }
                (None, Some(_)) => {
                    return Err(
                        ConfigError::IncompleteKeyPair { from: where_, has: "sk", missing: "ak" }.into()
                    );
                }
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
