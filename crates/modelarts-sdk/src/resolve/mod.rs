//! Resolution of the builder's settings, one function per setting, first hit wins: explicit
//! builder values → environment → the credentials file → default.
//!
//! An environment variable set to an empty string counts as unset. The credentials file is only
//! read when a setting is not found before it; when it is read, a garbled file is an error that
//! names the path and the line.

mod credentials;
mod endpoints;
mod profile_file;
mod resolved;
mod scope;
mod transport;

use std::path::{Path, PathBuf};

use crate::config::ClientBuilder;
use crate::config_error::ConfigError;
use crate::error::Error;
use crate::login::Login;
use crate::settings::{EnvFn, NotUnicode, Setting, SettingSource};

use credentials::{resolve_agency, resolve_credentials, resolve_mfa};
use endpoints::{RegionsFileSource, resolve_endpoint, resolve_iam_endpoint, resolve_region};
use profile_file::{ProfileFile, resolve_credentials_file, resolve_profile};
use scope::{resolve_api, resolve_cache_dir, resolve_project_id, resolve_workspace_id};
use transport::{resolve_retries, resolve_transport};

pub(crate) use crate::files::{TextFileError, decode_text_file, read_limited};
pub(crate) use credentials::{ENV_METADATA_ENDPOINT, ENV_MFA_CODE, ENV_USER_ID};
#[cfg(test)]
pub(crate) use profile_file::closest_key;
pub use resolved::ResolvedConfig;

/// A variable's trimmed value (empty counts as unset), or a configuration error when it is not
/// valid UTF-8.
pub(super) fn env_value(env: &EnvFn, name: &str) -> Result<Option<String>, Error> {
    let value = env(name).map_err(|_| not_unicode(name))?;
    Ok(value.filter(|v| !v.trim().is_empty()).map(|v| v.trim().to_owned()))
}

pub(super) fn env_setting(env: &EnvFn, name: &str) -> Result<Option<Setting<String>>, Error> {
    Ok(env_value(env, name)?.map(|v| Setting::new(v, SettingSource::Env(name.to_owned()))))
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
    let region = resolve_region(b, env, &mut file)?;
    let mut regions = RegionsFileSource::new(env)?;
    let (endpoint, endpoint_fallbacks) = resolve_endpoint(b, env, &mut file, region.as_ref(), &mut regions)?;
    let iam_endpoint = resolve_iam_endpoint(b, env, &mut file, region.as_ref(), &mut regions)?;
    let cache_dir = resolve_cache_dir(b, env)?;

    let metadata_over_http = match &login {
        Some(Setting {
            value: Login::Metadata { endpoint } | Login::PodIdentity { uri: endpoint, .. },
            ..
        }) => !endpoint.is_https(),
        _ => false,
    };
    let transport = resolve_transport(b, env, &mut file, metadata_over_http)?;
    let output = file.value("output")?;
    file.warn_unknown_keys()?;
    let (max_attempts, retry_policy) = resolve_retries(b)?;

    let credentials_file = file.into_setting();
    Ok(ResolvedConfig {
        region,
        output,
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

impl ClientBuilder {
    /// Resolves every setting and its source without building a client (for `configure list`).
    ///
    /// Fails on invalid values (a garbled credentials file, an AK without SK, a bad URL or project
    /// ID, an unreadable CA bundle); missing values are `None` here and fail only in
    /// `build` or [`build_with`](Self::build_with), except credentials, whose absence is reported in
    /// [`ResolvedConfig::credentials_tried`].
    pub fn resolve(&self) -> Result<ResolvedConfig, Error> {
        resolve(self)
    }

    /// The profile in use and the credentials file it is read from (`None`: no home directory and
    /// no file named), without reading the file: where a tool writes a profile.
    pub fn profile_location(&self) -> Result<(Setting<String>, Option<Setting<PathBuf>>), Error> {
        Ok((resolve_profile(self)?, resolve_credentials_file(self)?))
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
    ConfigError::NotUnicode { variable: name.to_owned() }.into()
}

/// `~/.huaweicloud/credentials` under a home directory.
pub(crate) fn default_credentials_file(home: &Path) -> PathBuf {
    home.join(".huaweicloud").join("credentials")
}
