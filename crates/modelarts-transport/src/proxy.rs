//! Proxy settings: where they come from (environment, explicit) and how they are checked.
//!
//! The matching itself (curl-style `NO_PROXY`, credentials in the URL) is hyper-util's
//! `Matcher`; this module only gathers and validates the inputs. It must never print a proxy
//! URL with its credentials: `Debug` masks them and errors name the setting, not the value.

use std::fmt;

use hyper_util::client::proxy::matcher::Matcher;

use crate::error::BuildError;

/// Where the transport finds its HTTP(S) proxy.
///
/// Proxies are reached with plain `http://` and used through `CONNECT` tunnels, for `https://`
/// and (when allowed) plain `http://` destinations alike. `https://` and SOCKS proxy URLs are
/// refused when the transport is built.
///
/// `Debug` masks credentials in proxy URLs.
///
/// ```
/// use modelarts_transport::ProxyConfig;
///
/// let proxy = ProxyConfig::Explicit {
///     url: "http://user:p%40ss@proxy.internal:3128".to_owned(),
///     no_proxy: Some("localhost,.internal".to_owned()),
/// };
/// assert!(!format!("{proxy:?}").contains("p%40ss"));
/// ```
#[non_exhaustive]
#[derive(Clone, Default, PartialEq, Eq)]
pub enum ProxyConfig {
    /// Read the process environment when the transport is built, as
    /// [`ProxyConfig::from_env_vars`] does with `std::env::var`.
    #[default]
    FromEnv,
    /// Always connect directly.
    None,
    /// One proxy for every destination, except those matched by `no_proxy`.
    Explicit {
        /// The proxy, `http://[user[:password]@]host[:port]`; user and password are
        /// percent-decoded.
        url: String,
        /// Destinations to reach directly, in `NO_PROXY` syntax (comma-separated hosts,
        /// domain suffixes, IP addresses or CIDR blocks, or `*`).
        no_proxy: Option<String>,
    },
    /// A proxy per destination scheme, as found in the environment.
    PerScheme {
        /// Proxy for `https://` destinations (`HTTPS_PROXY`).
        https: Option<String>,
        /// Proxy for `http://` destinations (`HTTP_PROXY`).
        http: Option<String>,
        /// Destinations to reach directly (`NO_PROXY`).
        no_proxy: Option<String>,
    },
}

impl ProxyConfig {
    /// Builds the proxy settings from environment variables read through `get`.
    ///
    /// Reads `HTTPS_PROXY`/`https_proxy`, `HTTP_PROXY`/`http_proxy` and `NO_PROXY`/`no_proxy`
    /// (upper case first; empty values count as unset). As curl does, `HTTP_PROXY` (upper case)
    /// is ignored when `REQUEST_METHOD` is set, since a CGI program receives request headers as
    /// `HTTP_*` variables. `ALL_PROXY` is not read. Returns [`ProxyConfig::None`] when no proxy
    /// is set.
    ///
    /// ```
    /// use modelarts_transport::ProxyConfig;
    ///
    /// let proxy = ProxyConfig::from_env_vars(|name| match name {
    ///     "https_proxy" => Some("http://127.0.0.1:3128".to_owned()),
    ///     "NO_PROXY" => Some("localhost".to_owned()),
    ///     _ => None,
    /// });
    /// assert_eq!(
    ///     proxy,
    ///     ProxyConfig::PerScheme {
    ///         https: Some("http://127.0.0.1:3128".to_owned()),
    ///         http: None,
    ///         no_proxy: Some("localhost".to_owned()),
    ///     }
    /// );
    /// ```
    pub fn from_env_vars(get: impl Fn(&str) -> Option<String>) -> ProxyConfig {
        let first =
            |names: &[&str]| names.iter().filter_map(|name| get(name)).find(|value| !value.trim().is_empty());
        let https = first(&["HTTPS_PROXY", "https_proxy"]);
        let http = if get("REQUEST_METHOD").is_some() {
            first(&["http_proxy"])
        } else {
            first(&["HTTP_PROXY", "http_proxy"])
        };
        let no_proxy = first(&["NO_PROXY", "no_proxy"]);
        if https.is_none() && http.is_none() {
            return ProxyConfig::None;
        }
        ProxyConfig::PerScheme { https, http, no_proxy }
    }

    /// Resolves the settings into a matcher, or `None` for direct connections only.
    pub(crate) fn to_matcher(&self) -> Result<Option<Matcher>, BuildError> {
        let matcher = self.to_matcher_unchecked()?;
        // As in curl, a `*` entry means "no proxy for any host". hyper-util's matcher applies
        // `*` to host names only, not to IP addresses, so it is handled here.
        let bypass_all = match self {
            ProxyConfig::Explicit { no_proxy, .. } | ProxyConfig::PerScheme { no_proxy, .. } => {
                no_proxy.as_deref().is_some_and(|list| list.split(',').any(|entry| entry.trim() == "*"))
            }
            ProxyConfig::FromEnv | ProxyConfig::None => false,
        };
        Ok(if bypass_all { None } else { matcher })
    }

    fn to_matcher_unchecked(&self) -> Result<Option<Matcher>, BuildError> {
        match self {
            ProxyConfig::FromEnv => {
                // A proxy variable that is not UTF-8 must not be skipped (that would connect
                // directly, bypassing the proxy): it is an error naming the variable.
                if let Some(name) = PROXY_VARS
                    .iter()
                    .find(|name| matches!(std::env::var(name), Err(std::env::VarError::NotUnicode(_))))
                {
                    return Err(BuildError::Proxy {
                        setting: name,
                        reason: "the environment variable is not valid UTF-8",
                    });
                }
                ProxyConfig::from_env_vars(|name| std::env::var(name).ok()).to_matcher()
            }
            ProxyConfig::None => Ok(None),
            ProxyConfig::Explicit { url, no_proxy } => {
                validate_proxy_url(url, "proxy url")?;
                Ok(Some(Matcher::builder().all(url.clone()).no(no_proxy.clone().unwrap_or_default()).build()))
            }
            ProxyConfig::PerScheme { https, http, no_proxy } => {
                let mut builder = Matcher::builder();
                if let Some(url) = https {
                    validate_proxy_url(url, "https proxy")?;
                    builder = builder.https(url.clone());
                }
                if let Some(url) = http {
                    validate_proxy_url(url, "http proxy")?;
                    builder = builder.http(url.clone());
                }
                if https.is_none() && http.is_none() {
                    return Ok(None);
                }
                Ok(Some(builder.no(no_proxy.clone().unwrap_or_default()).build()))
            }
        }
    }
}

/// Every variable [`ProxyConfig::from_env_vars`] reads.
const PROXY_VARS: [&str; 7] =
    ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "REQUEST_METHOD"];

fn validate_proxy_url(url: &str, setting: &'static str) -> Result<(), BuildError> {
    let invalid = |reason| BuildError::Proxy { setting, reason };
    let uri: http::Uri = url.trim().parse().map_err(|_| invalid("not a valid URL"))?;
    match uri.scheme_str() {
        None | Some("http") => {}
        Some("https") => {
            return Err(invalid("https:// proxies are not supported; use an http:// proxy URL"));
        }
        Some(_) => return Err(invalid("only http:// proxies are supported")),
    }
    match uri.host() {
        Some(host) if !host.is_empty() => Ok(()),
        _ => Err(invalid("the proxy URL has no host")),
    }
}

/// Masks the user-info part of a proxy URL.
fn redact(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_owned(),
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{authority}{tail}"),
        None => format!("{authority}{tail}"),
    }
}

struct Redacted<'a>(&'a Option<String>);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(url) => write!(f, "Some({:?})", redact(url)),
            None => f.write_str("None"),
        }
    }
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyConfig::FromEnv => f.write_str("FromEnv"),
            ProxyConfig::None => f.write_str("None"),
            ProxyConfig::Explicit { url, no_proxy } => {
                f.debug_struct("Explicit").field("url", &redact(url)).field("no_proxy", no_proxy).finish()
            }
            ProxyConfig::PerScheme { https, http, no_proxy } => f
                .debug_struct("PerScheme")
                .field("https", &Redacted(https))
                .field("http", &Redacted(http))
                .field("no_proxy", no_proxy)
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |name| map.get(name).cloned()
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn from_env_vars_table() {
        let cases: Vec<(&[(&str, &str)], ProxyConfig)> = vec![
            (&[], ProxyConfig::None),
            (&[("NO_PROXY", "localhost")], ProxyConfig::None),
            (&[("HTTPS_PROXY", "")], ProxyConfig::None),
            (
                &[("HTTPS_PROXY", "http://a:1"), ("https_proxy", "http://b:2")],
                ProxyConfig::PerScheme { https: some("http://a:1"), http: None, no_proxy: None },
            ),
            (
                &[("HTTPS_PROXY", " "), ("https_proxy", "http://b:2")],
                ProxyConfig::PerScheme { https: some("http://b:2"), http: None, no_proxy: None },
            ),
            (
                &[("http_proxy", "http://c:3"), ("no_proxy", ".internal")],
                ProxyConfig::PerScheme { https: None, http: some("http://c:3"), no_proxy: some(".internal") },
            ),
            // httpoxy: in a CGI program HTTP_PROXY may come from a request header.
            (&[("HTTP_PROXY", "http://evil:1"), ("REQUEST_METHOD", "GET")], ProxyConfig::None),
        ];
        for (vars, expected) in cases {
            assert_eq!(ProxyConfig::from_env_vars(env(vars)), expected, "{vars:?}");
        }
    }

    #[test]
    fn proxy_url_validation_table() {
        let cases = [
            ("http://proxy:3128", true),
            ("http://user:pa%40ss@proxy:3128", true),
            ("proxy:3128", true),
            ("https://proxy:3128", false),
            ("socks5://proxy:1080", false),
            ("not a url", false),
        ];
        for (url, ok) in cases {
            assert_eq!(validate_proxy_url(url, "test").is_ok(), ok, "{url}");
        }
    }

    #[test]
    fn matcher_honours_no_proxy_and_decodes_credentials() {
        let config = ProxyConfig::Explicit {
            url: "http://us%3Aer:p%40ss@proxy:3128".to_owned(),
            no_proxy: some("direct.example, 10.0.0.0/8"),
        };
        let matcher = config.to_matcher().expect("valid proxy config").expect("a proxy is configured");
        let via = |uri: &'static str| matcher.intercept(&http::Uri::from_static(uri));
        assert!(via("https://direct.example/x").is_none());
        assert!(via("https://sub.direct.example/x").is_none());
        assert!(via("https://10.1.2.3/x").is_none());
        let intercept = via("https://other.example/x").expect("proxied");
        assert_eq!(intercept.uri().host(), Some("proxy"));
        // base64("us:er:p@ss")
        assert_eq!(intercept.basic_auth().map(|v| v.as_bytes()), Some(&b"Basic dXM6ZXI6cEBzcw=="[..]));
    }

    #[test]
    fn a_wildcard_no_proxy_entry_bypasses_every_host() {
        let config =
            ProxyConfig::Explicit { url: "http://proxy:3128".to_owned(), no_proxy: some("example.com, *") };
        assert!(config.to_matcher().expect("valid").is_none());
        let config =
            ProxyConfig::PerScheme { https: some("http://proxy:3128"), http: None, no_proxy: some("*") };
        assert!(config.to_matcher().expect("valid").is_none());
    }

    #[test]
    fn debug_masks_credentials() {
        let config = ProxyConfig::PerScheme {
            https: some("http://alice:hunter2@proxy:3128/"),
            http: some("bob:swordfish@proxy:3128"),
            no_proxy: None,
        };
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2") && !debug.contains("alice"), "{debug}");
        assert!(!debug.contains("swordfish"), "{debug}");
        assert!(debug.contains("http://***@proxy:3128/"), "{debug}");
    }
}
