//! Where the calls go: the region, the ModelArts endpoint and its list, the official SDKs' regions
//! file, and the IAM endpoint.

use std::path::PathBuf;

use modelarts_protocol::endpoint::{Endpoint, EndpointError};

use super::profile_file::ProfileFile;
use super::{env_setting, env_value, home_dir};
use crate::config::ClientBuilder;
use crate::config_error::{ConfigError, ConfigFile, EndpointSetting};
use crate::error::Error;
use crate::files::{decode_text_file, read_limited};
use crate::settings::{EnvFn, Setting, SettingSource};

/// Env: the region (ours, then the official SDKs').
pub(crate) const ENV_REGIONS: [&str; 2] = ["MODELARTS_REGION", "HUAWEICLOUD_SDK_REGION"];
/// Env: the endpoint URL.
pub(crate) const ENV_ENDPOINT_URL: &str = "MODELARTS_ENDPOINT_URL";

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

/// The region: explicit → `MODELARTS_REGION` → `HUAWEICLOUD_SDK_REGION` → the profile's `region`.
pub(super) fn resolve_region(
    b: &ClientBuilder,
    env: &EnvFn,
    file: &mut ProfileFile,
) -> Result<Option<Setting<String>>, Error> {
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
            match found {
                Some(found) => Some(found),
                None => file.value("region")?.map(|s| Setting::new(s.value.trim().to_owned(), s.source)),
            }
        }
    };
    Ok(region.filter(|r| !r.value.is_empty()))
}

/// The ModelArts endpoints, the first one and the rest of its list (tried in turn when a
/// connection or TLS handshake fails): explicit → `MODELARTS_ENDPOINT_URL` →
/// `HUAWEICLOUD_SDK_REGION_MODELARTS_<REGION>` → the regions file (`HUAWEICLOUD_SDK_REGIONS_FILE`,
/// else `~/.huaweicloud/regions.yaml`) → derived from the region. The first three may be
/// comma-separated lists.
pub(super) fn resolve_endpoint(
    b: &ClientBuilder,
    env: &EnvFn,
    file: &mut ProfileFile,
    region: Option<&Setting<String>>,
    regions: &mut RegionsFileSource,
) -> Result<(Option<Setting<Endpoint>>, Vec<Endpoint>), Error> {
    let list = |text: &str| -> Vec<String> {
        text.split(',').map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned).collect()
    };
    let mut raw: Option<(Vec<String>, SettingSource)> = match &b.endpoint_url {
        Some(u) => Some((list(u), SettingSource::Explicit)),
        None => match env_value(env, ENV_ENDPOINT_URL)? {
            Some(u) => Some((list(&u), SettingSource::Env(ENV_ENDPOINT_URL.to_owned()))),
            None => file.value("endpoint_url")?.map(|s| (list(&s.value), s.source)),
        },
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
            parsed.push(Endpoint::from_url(url).map_err(|e| ConfigError::InvalidEndpointUrl {
                setting: EndpointSetting::ModelArts,
                from: source.clone(),
                source: e,
            })?);
        }
        let first = parsed.remove(0);
        return Ok((Some(Setting::new(first, source)), parsed));
    }
    let Some(r) = region else { return Ok((None, Vec::new())) };
    match Endpoint::for_region(&r.value) {
        Ok(e) => Ok((Some(Setting::new(e, SettingSource::Derived("region"))), Vec::new())),
        Err(e @ EndpointError::UnknownRegion(_)) => Err(ConfigError::UnknownRegion {
            region: r.value.clone(),
            from: r.source.clone(),
            variable: region_endpoint_var(&r.value),
            source: e,
        }
        .into()),
        Err(e) => Err(ConfigError::InvalidRegion { region: r.value.clone(), source: e }.into()),
    }
}

/// The official SDKs' regions file, read at most once and only when an endpoint is looked up in
/// it: `HUAWEICLOUD_SDK_REGIONS_FILE` (which must exist), else `~/.huaweicloud/regions.yaml` (if
/// it exists).
pub(super) struct RegionsFileSource {
    path: Option<(PathBuf, bool)>,
    parsed: Option<Option<modelarts_protocol::regions_file::RegionsFile>>,
}

impl RegionsFileSource {
    pub(super) fn new(env: &EnvFn) -> Result<Self, Error> {
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
                            let text = decode_text_file(bytes).map_err(|reason| ConfigError::NotText {
                                file: ConfigFile::Regions,
                                path: path.clone(),
                                reason,
                            })?;
                            Some(
                                modelarts_protocol::regions_file::RegionsFile::parse(&text).map_err(|e| {
                                    ConfigError::RegionsFile { path: path.clone(), source: e }
                                })?,
                            )
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => None,
                        Err(e) => {
                            return Err(ConfigError::UnreadableFile {
                                file: ConfigFile::Regions,
                                path: path.clone(),
                                from: None,
                                source: e,
                            }
                            .into());
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
pub(super) fn resolve_iam_endpoint(
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
    let (endpoint, source) =
        modelarts_protocol::iam::endpoint::resolve_iam_endpoint(&inputs).map_err(ConfigError::IamEndpoint)?;
    // The regions file comes after the settings and before the built-in region table.
    if matches!(source, IamEndpointSource::Region | IamEndpointSource::Global)
        && let Some(r) = region
        && let Some((urls, from)) = regions.endpoints("IAM", &r.value)?
        && let Some(url) = urls.first()
    {
        let endpoint = Endpoint::from_url(url).map_err(|e| ConfigError::InvalidEndpointUrl {
            setting: EndpointSetting::Iam,
            from: from.clone(),
            source: e,
        })?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_endpoint_variable() {
        assert_eq!(region_endpoint_var("cn-north-4"), "HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4");
        assert_eq!(region_endpoint_var("eu-de"), "HUAWEICLOUD_SDK_REGION_MODELARTS_EU_DE");
    }
}
