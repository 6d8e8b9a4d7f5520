//! Resolution of the builder's settings, per setting and first hit wins: explicit builder values →
//! environment → the credentials file → default.
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

use crate::config::{
    ClientBuilder, EnvFn, ResolvedConfig, Setting, SettingSource, default_credentials_file, home_dir,
    not_unicode,
};
use crate::error::Error;

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
/// Env: the region (ours, then the official SDKs').
pub(crate) const ENV_REGIONS: [&str; 2] = ["MODELARTS_REGION", "HUAWEICLOUD_SDK_REGION"];
/// Env: the endpoint URL.
pub(crate) const ENV_ENDPOINT_URL: &str = "MODELARTS_ENDPOINT_URL";
/// Env: the CA bundle.
pub(crate) const ENV_CA_BUNDLE: &str = "MODELARTS_CA_BUNDLE";
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

    let profile = match &b.profile {
        Some(p) => Setting::new(p.trim().to_owned(), SettingSource::Explicit),
        None => env_setting(env, ENV_PROFILE)?
            .unwrap_or_else(|| Setting::new(DEFAULT_PROFILE.to_owned(), SettingSource::Default)),
    };
    if profile.value.is_empty() {
        return Err(Error::config("the profile name is empty"));
    }
    let credentials_file = match &b.credentials_file {
        Some(p) => Some(Setting::new(p.clone(), SettingSource::Explicit)),
        None => match env_value(env, ENV_CREDENTIALS_FILE)? {
            Some(p) => {
                Some(Setting::new(PathBuf::from(p), SettingSource::Env(ENV_CREDENTIALS_FILE.to_owned())))
            }
            None => {
                home_dir(env)?.map(|h| Setting::new(default_credentials_file(&h), SettingSource::Default))
            }
        },
    };
    let mut file = ProfileFile::new(credentials_file.clone(), profile.clone());

    // Credentials.
    let mut tried = Vec::new();
    let auth = resolve_auth(b, env, &mut file, &mut tried)?;

    // Project ID.
    let project_raw = match &b.project_id {
        Some(p) => Some(Setting::new(p.clone(), SettingSource::Explicit)),
        None => match env_setting(env, ENV_PROJECT_ID)? {
            Some(s) => Some(s),
            None => file.value("project_id")?,
        },
    };
    let project_id = match project_raw {
        Some(Setting { value, source }) => Some(Setting::new(
            ProjectId::new(value.trim())
                .map_err(|e| Error::config_with(format!("invalid project ID from {source}"), e))?,
            source,
        )),
        None => None,
    };

    // Region and endpoint.
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
    }
    .filter(|r| !r.value.is_empty());
    let endpoint_raw = match &b.endpoint_url {
        Some(u) => Some(Setting::new(u.clone(), SettingSource::Explicit)),
        None => match (env_setting(env, ENV_ENDPOINT_URL)?, &region) {
            (Some(url), _) => Some(url),
            (None, Some(r)) => {
                let var = region_endpoint_var(&r.value);
                env_value(env, &var)?.and_then(|list| {
                    list.split(',')
                        .map(str::trim)
                        .find(|u| !u.is_empty())
                        .map(|u| Setting::new(u.to_owned(), SettingSource::Env(var.clone())))
                })
            }
            (None, None) => None,
        },
    };
    let endpoint = match (endpoint_raw, &region) {
        (Some(Setting { value, source }), _) => Some(Setting::new(
            Endpoint::from_url(&value)
                .map_err(|e| Error::config_with(format!("invalid endpoint URL from {source}"), e))?,
            source,
        )),
        (None, Some(r)) => match Endpoint::for_region(&r.value) {
            Ok(e) => Some(Setting::new(e, SettingSource::Derived("region"))),
            Err(e @ EndpointError::UnknownRegion(_)) => {
                return Err(Error::config_with(
                    format!(
                        "unknown region {:?} (from {}): set the endpoint URL explicitly (MODELARTS_ENDPOINT_URL or {})",
                        r.value,
                        r.source,
                        region_endpoint_var(&r.value)
                    ),
                    e,
                ));
            }
            Err(e) => return Err(Error::config_with(format!("invalid region {:?}", r.value), e)),
        },
        (None, None) => None,
    };

    // Transport settings: the transport's defaults, or the base configuration given.
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
    {
        transport.ca_bundle = ca_bundle.as_ref().map(|ca| ca.value.clone()).or(transport.ca_bundle);
        transport.connect_timeout = connect_timeout.value;
        transport.attempt_timeout = timeout.value;
        transport.insecure = insecure.value;
        transport.allow_http = allow_http.value;
        transport.user_agent = Some(HeaderValue::from_static(USER_AGENT));
    }

    // Retries.
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

    let credentials_file = file.into_setting();
    Ok(ResolvedConfig {
        region,
        endpoint,
        project_id,
        auth,
        credentials_tried: tried,
        profile,
        credentials_file,
        ca_bundle,
        max_attempts,
        retry_policy,
        connect_timeout,
        timeout,
        insecure,
        allow_http,
        #[cfg(feature = "transport")]
        transport_config: transport,
    })
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
    std::fs::File::open(path).map(drop)
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

fn resolve_auth(
    b: &ClientBuilder,
    env: &EnvFn,
    file: &mut ProfileFile,
    tried: &mut Vec<String>,
) -> Result<Option<Setting<Auth>>, Error> {
    // 1. Explicit.
    match (&b.credentials, &b.iam_token) {
        (Some(_), Some(_)) => {
            return Err(Error::config("both AK/SK credentials and an IAM token were given; choose one"));
        }
        (Some(c), None) => {
            let auth = aksk(
                c.access_key(),
                c.secret_key(),
                c.security_token().map(str::to_owned),
                "the explicit credentials",
            )?;
            return Ok(Some(Setting::new(auth, SettingSource::Explicit)));
        }
        (None, Some(token)) => {
            if token.expose().trim().is_empty() {
                return Err(Error::config("the explicit IAM token is empty"));
            }
            return Ok(Some(Setting::new(Auth::Token(token.clone()), SettingSource::Explicit)));
        }
        (None, None) => tried.push("explicit credentials (none given)".to_owned()),
    }

    // 2. Environment: AK/SK, then an IAM token.
    // Each variable is read (and a non-UTF-8 value reported) before deciding anything.
    let (ak, sk, token) =
        (env_value(env, ENV_AK)?, env_value(env, ENV_SK)?, env_value(env, ENV_SECURITY_TOKEN)?);
    match (ak, sk) {
        (Some(ak), Some(sk)) => {
            let auth = aksk(&ak, &sk, token, "the environment")?;
            return Ok(Some(Setting::new(auth, SettingSource::Env(ENV_AK.to_owned()))));
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
        return Ok(Some(Setting::new(
            Auth::Token(IamToken::new(token)),
            SettingSource::Env(ENV_IAM_TOKEN.to_owned()),
        )));
    }
    tried.push(format!("env {ENV_IAM_TOKEN} (not set)"));

    // 3. The credentials file.
    let Some(path) = file.path().map(Path::to_path_buf) else {
        tried.push("credentials file (no home directory: HOME is not set)".to_owned());
        return Ok(None);
    };
    let profile = file.profile.value.clone();
    let where_ = format!("file {} [{profile}]", path.display());
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
            let get = |k: &str| section.get(k).map(|(v, _)| v.clone());
            match (get("ak"), get("sk")) {
                (Some(ak), Some(sk)) => {
                    let auth = aksk(&ak, &sk, get("security_token"), &where_)?;
                    let source = file.source();
                    Ok(Some(Setting::new(auth, source)))
                }
                (Some(_), None) => Err(Error::config(format!("{where_} has ak but no sk"))),
                (None, Some(_)) => Err(Error::config(format!("{where_} has sk but no ak"))),
                (None, None) => {
                    tried.push(format!("{where_} (no ak/sk keys)"));
                    Ok(None)
                }
            }
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
                Some(Setting { value: path, source }) => match std::fs::File::open(path)
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
pub const MAX_CREDENTIALS_FILE_BYTES: u64 = 1 << 20;

/// Reads all of `reader` up to `limit` bytes. Longer input (a huge file, `/dev/zero`, an endless
/// pipe) is an error of kind [`FileTooLarge`](std::io::ErrorKind::FileTooLarge) after reading at
/// most `limit + 1` bytes, so memory stays bounded.
///
/// ```
/// let err = modelarts_sdk::read_limited(std::io::repeat(0), 1 << 20).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::FileTooLarge);
/// assert_eq!(err.to_string(), "it is larger than 1 MiB, the limit for this file");
/// assert_eq!(modelarts_sdk::read_limited(&b"10 20\n"[..], 6).unwrap(), b"10 20\n");
/// ```
pub fn read_limited(reader: impl std::io::Read, limit: u64) -> std::io::Result<Vec<u8>> {
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
///
/// ```
/// use modelarts_sdk::{TextFileError, decode_text_file};
/// assert!(decode_text_file(b"ok\n".to_vec()).is_ok());
/// assert_eq!(decode_text_file(vec![b'a', b'\n', 0xE9]), Err(TextFileError::NotUtf8 { line: 2 }));
/// ```
pub fn decode_text_file(bytes: Vec<u8>) -> Result<String, TextFileError> {
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
