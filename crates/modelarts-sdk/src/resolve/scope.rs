//! What the calls address: the project, the API of the commands that name no job, the v2
//! workspace; and the identity cache directory.

use std::path::{Path, PathBuf};

use modelarts_protocol::ids::ProjectId;
use modelarts_protocol::target::ApiVersion;

use super::profile_file::ProfileFile;
use super::{env_setting, env_value, home_dir};
use crate::config::ClientBuilder;
use crate::config_error::ConfigError;
use crate::error::Error;
use crate::settings::{EnvFn, Setting, SettingSource};

/// Env: the project ID.
pub(crate) const ENV_PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";
/// The API commands without an ID use by default (`v1` or `v2`; unset: both).
pub(crate) const ENV_API: &str = "MODELARTS_API";
/// The v2 workspace lists and searches read (unset: the service's default, `"0"`).
pub(crate) const ENV_WORKSPACE_ID: &str = "MODELARTS_WORKSPACE_ID";
/// Env: the user's cache directory.
pub(crate) const ENV_XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";

/// The project ID: explicit → `HUAWEICLOUD_SDK_PROJECT_ID` → file `project_id`; else looked up
/// through IAM by `connect`.
pub(super) fn resolve_project_id(
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
            .map_err(|e| ConfigError::InvalidProjectId { from: source.clone(), source: e }.into())
    })
    .transpose()
}

/// The API of the commands that name no job: explicit → `MODELARTS_API` → profile key `api`;
/// `None` (both APIs) when none is set.
pub(super) fn resolve_api(
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
            _ => Err(ConfigError::InvalidApi { from: source, value: value.trim().to_owned() }.into()),
        })
        .transpose()
}

/// The v2 workspace: explicit → `MODELARTS_WORKSPACE_ID` → profile key `workspace_id`; `None`
/// (the service's default workspace, `"0"`) when none is set.
pub(super) fn resolve_workspace_id(
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

/// The identity cache directory: explicit → `$XDG_CACHE_HOME/modelarts` → `~/.cache/modelarts`.
pub(super) fn resolve_cache_dir(b: &ClientBuilder, env: &EnvFn) -> Result<Option<Setting<PathBuf>>, Error> {
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
