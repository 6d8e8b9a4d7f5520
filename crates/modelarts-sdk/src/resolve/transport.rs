//! The transport's settings: CA bundle, timeouts, `insecure`, plain HTTP, the proxy in effect; and
//! the attempts per call.

use std::path::{Path, PathBuf};
use std::time::Duration;

#[cfg(feature = "transport")]
use http::HeaderValue;
#[cfg(feature = "transport")]
use modelarts_protocol::USER_AGENT;
use modelarts_protocol::retry::RetryPolicy;
#[cfg(feature = "transport")]
use modelarts_transport::TransportConfig;

use super::env_value;
use super::profile_file::ProfileFile;
use crate::config::ClientBuilder;
use crate::config_error::{ConfigError, ConfigFile};
use crate::error::Error;
use crate::settings::{EnvFn, Setting, SettingSource};

/// Env: the CA bundle.
pub(crate) const ENV_CA_BUNDLE: &str = "MODELARTS_CA_BUNDLE";
/// The connect timeout reported without the built-in transport (the transport's default).
#[cfg(not(feature = "transport"))]
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The attempt timeout reported without the built-in transport (the transport's default).
#[cfg(not(feature = "transport"))]
const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// The transport's settings as resolved.
pub(super) struct TransportSettings {
    pub(super) ca_bundle: Option<Setting<PathBuf>>,
    pub(super) connect_timeout: Setting<Duration>,
    pub(super) timeout: Setting<Duration>,
    pub(super) insecure: Setting<bool>,
    pub(super) allow_http: Setting<bool>,
    pub(super) proxy: Option<Setting<String>>,
    #[cfg(feature = "transport")]
    pub(super) config: TransportConfig,
}

/// Transport settings: the transport's defaults, or the base configuration given, overridden by
/// the builder's values; the CA bundle also from `MODELARTS_CA_BUNDLE`.
pub(super) fn resolve_transport(
    b: &ClientBuilder,
    env: &EnvFn,
    file: &mut ProfileFile,
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
            None => match base_ca {
                Some(p) => Some(Setting::new(p, SettingSource::Explicit)),
                None => file.value("ca_bundle")?.map(|s| Setting::new(PathBuf::from(s.value), s.source)),
            },
        },
    };
    if let Some(ca) = &ca_bundle {
        check_readable(&ca.value).map_err(|e| ConfigError::UnreadableFile {
            file: ConfigFile::CaBundle,
            path: ca.value.clone(),
            from: Some(ca.source.clone()),
            source: e,
        })?;
    }
    let connect_timeout = pick_duration(b.connect_timeout, base_connect, base_source());
    let timeout = pick_duration(b.timeout, base_attempt, base_source());
    for (name, d) in [("connect timeout", &connect_timeout), ("timeout", &timeout)] {
        if d.value.is_zero() {
            return Err(ConfigError::ZeroTimeout { name }.into());
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
pub(super) fn resolve_retries(b: &ClientBuilder) -> Result<(Setting<u32>, RetryPolicy), Error> {
    let mut retry_policy = b.retry_policy.unwrap_or_default();
    let max_attempts = match (b.max_attempts, b.retry_policy) {
        (Some(n), _) => Setting::new(n, SettingSource::Explicit),
        (None, Some(p)) => Setting::new(p.max_attempts, SettingSource::Explicit),
        (None, None) => Setting::new(RetryPolicy::default().max_attempts, SettingSource::Default),
    };
    if max_attempts.value == 0 {
        return Err(ConfigError::ZeroAttempts.into());
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
