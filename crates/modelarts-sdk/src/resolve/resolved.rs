//! [`ResolvedConfig`]: every setting of a client with its source, as `resolve` found them; its
//! `Display` and `Debug` mask every secret.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use modelarts_protocol::auth::Auth;
use modelarts_protocol::endpoint::Endpoint;
use modelarts_protocol::ids::ProjectId;
use modelarts_protocol::retry::RetryPolicy;
#[cfg(feature = "transport")]
use modelarts_transport::TransportConfig;

use super::credentials::{ENV_AK, ENV_SECURITY_TOKEN, ENV_SK};
use crate::login::{Agency, Login};
use crate::settings::{Setting, SettingSource};

/// Every setting of a client with its source. `Display` prints one line per setting
/// (`name  value  source`), secrets masked; so does `Debug`.
#[derive(Clone)]
#[non_exhaustive]
pub struct ResolvedConfig {
    /// The region, if any.
    pub region: Option<Setting<String>>,
    /// The profile's `output` key, for a command-line tool's default output format (the SDK does
    /// not use it).
    pub output: Option<Setting<String>>,
    /// The endpoint, if a URL was given or the region is known.
    pub endpoint: Option<Setting<Endpoint>>,
    /// The rest of the endpoint's list, tried in turn when a connection or TLS handshake fails
    /// (never after a request may have reached a server).
    pub endpoint_fallbacks: Vec<Endpoint>,
    /// The project ID, if found.
    pub project_id: Option<Setting<ProjectId>>,
    /// The API of the commands that name no job; `None`: both.
    pub api: Option<Setting<modelarts_protocol::target::ApiVersion>>,
    /// The v2 workspace lists and searches read; `None`: the service's default (`"0"`).
    pub workspace_id: Option<Setting<String>>,
    /// The credentials or token, if found.
    pub auth: Option<Setting<Auth>>,
    /// A login to make first (password, metadata service, federation), when no credentials were
    /// found before it; the metadata service is the chain's last resort (source `Default`).
    pub login: Option<Setting<Login>>,
    /// The agency to assume with the credentials, if any.
    pub agency: Option<Setting<Agency>>,
    /// Where the virtual MFA code of the password login came from, if one was given (the code
    /// itself is in the login, redacted).
    pub mfa: Option<Setting<()>>,
    /// The IAM endpoint.
    pub iam_endpoint: Setting<Endpoint>,
    /// The identity cache directory, if any.
    pub cache_dir: Option<Setting<PathBuf>>,
    /// The proxy for `https://` destinations in effect (credentials removed), if any.
    pub proxy: Option<Setting<String>>,
    /// Every credentials source looked at, in order, with what it held (`Error::Credentials`
    /// lists these when none had credentials).
    pub credentials_tried: Vec<String>,
    /// The profile (section of the credentials file).
    pub profile: Setting<String>,
    /// The credentials file looked at, and whether it exists.
    pub credentials_file: Option<Setting<PathBuf>>,
    /// The extra CA bundle, if any.
    pub ca_bundle: Option<Setting<PathBuf>>,
    /// Attempts per call.
    pub max_attempts: Setting<u32>,
    /// The retry policy (with `max_attempts` applied).
    pub retry_policy: RetryPolicy,
    /// Connect timeout.
    pub connect_timeout: Setting<Duration>,
    /// Attempt timeout.
    pub timeout: Setting<Duration>,
    /// Whether certificate checks are off.
    pub insecure: Setting<bool>,
    /// Whether plain HTTP is allowed.
    pub allow_http: Setting<bool>,
    /// The transport settings that [`ClientBuilder::build`](crate::ClientBuilder::build) uses.
    #[cfg(feature = "transport")]
    pub transport_config: TransportConfig,
}

impl ResolvedConfig {
    /// The rows of the `Display` table: name, masked value, source.
    pub fn rows(&self) -> Vec<(&'static str, String, String)> {
        fn row<V>(
            name: &'static str,
            s: &Option<Setting<V>>,
            show: impl Fn(&V) -> String,
        ) -> (&'static str, String, String) {
            match s {
                Some(s) => (name, show(&s.value), s.source.to_string()),
                None => (name, "<not set>".to_owned(), "-".to_owned()),
            }
        }
        let mut rows = vec![
            row("region", &self.region, Clone::clone),
            row("endpoint", &self.endpoint, |e| {
                let mut urls = vec![e.url()];
                urls.extend(self.endpoint_fallbacks.iter().map(Endpoint::url));
                urls.join(", ")
            }),
            row("project_id", &self.project_id, |p| p.as_str().to_owned()),
            row("api", &self.api, |a| a.to_string()),
            row("workspace_id", &self.workspace_id, Clone::clone),
        ];
        match &self.auth {
            Some(Setting { value: Auth::AkSk(c), source }) => {
                // AK/SK from the environment come from one variable each; a file or explicit
                // credentials are one source for all three.
                let own = |var: &str| match source {
                    SettingSource::Env(_) => SettingSource::Env(var.to_owned()).to_string(),
                    other => other.to_string(),
                };
                rows.push(("access_key", mask(c.access_key()), own(ENV_AK)));
                rows.push(("secret_key", "********".to_owned(), own(ENV_SK)));
                if c.security_token().is_some() {
                    rows.push(("security_token", "********".to_owned(), own(ENV_SECURITY_TOKEN)));
                }
            }
            Some(Setting { value, source }) => {
                rows.push(("auth", format!("{} ********", value.method_name()), source.to_string()));
            }
            None => match &self.login {
                Some(login) => {
                    rows.push(("credentials", login.value.describe(), login.source.to_string()));
                    if let Some(mfa) = &self.mfa {
                        rows.push(("mfa_code", "********".to_owned(), mfa.source.to_string()));
                    }
                }
                None => rows.push(("credentials", "<not found>".to_owned(), "-".to_owned())),
            },
        }
        let chosen = match (&self.auth, &self.login) {
            (Some(s), _) => format!("{} ({})", s.value.method_name(), s.source),
            (None, Some(l)) => format!("{} ({})", l.value.describe(), l.source),
            (None, None) => "<none>".to_owned(),
        };
        rows.push(("credential_source", chosen, "chain".to_owned()));
        if let Some(agency) = &self.agency {
            rows.push((
                "agency",
                format!("{} of {}", agency.value.agency_name, agency.value.domain_name),
                agency.source.to_string(),
            ));
        }
        rows.push(("iam_endpoint", self.iam_endpoint.value.url(), self.iam_endpoint.source.to_string()));
        rows.push(row("proxy", &self.proxy, Clone::clone));
        rows.push(row("cache_dir", &self.cache_dir, |p| p.display().to_string()));
        rows.push(("profile", self.profile.value.clone(), self.profile.source.to_string()));
        rows.push(row("credentials_file", &self.credentials_file, |p| p.display().to_string()));
        rows.push(row("ca_bundle", &self.ca_bundle, |p| p.display().to_string()));
        rows.push((
            "max_attempts",
            self.max_attempts.value.to_string(),
            self.max_attempts.source.to_string(),
        ));
        rows.push((
            "connect_timeout",
            format!("{:?}", self.connect_timeout.value),
            self.connect_timeout.source.to_string(),
        ));
        rows.push(("timeout", format!("{:?}", self.timeout.value), self.timeout.source.to_string()));
        rows.push(("insecure", self.insecure.value.to_string(), self.insecure.source.to_string()));
        rows.push(("allow_http", self.allow_http.value.to_string(), self.allow_http.source.to_string()));
        rows
    }
}

/// Shows the first and last 3 characters of an access key (all stars when shorter than 10).
pub(crate) fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len().max(4));
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 6))
}

impl fmt::Display for ResolvedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = self.rows();
        let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let w1 = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
        for (name, value, source) in rows {
            writeln!(f, "{name:<w0$}  {value:<w1$}  {source}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ResolvedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ResolvedConfig");
        for (name, value, source) in self.rows() {
            d.field(name, &format_args!("{value} ({source})"));
        }
        d.finish()
    }
}
