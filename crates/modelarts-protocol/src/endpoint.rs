//! Where requests go: Huawei Cloud regions, Open Telekom Cloud, or any explicit URL.

use std::fmt;

/// Huawei Cloud regions with a ModelArts endpoint (from the official SDK's region table).
pub const HUAWEI_CLOUD_REGIONS: &[&str] = &[
    "af-north-1",
    "af-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "cn-east-3",
    "cn-east-4",
    "cn-north-1",
    "cn-north-2",
    "cn-north-4",
    "cn-north-9",
    "cn-north-11",
    "cn-north-12",
    "cn-south-1",
    "cn-southwest-2",
    "cn-southwest-3",
    "la-north-2",
    "la-south-2",
    "me-east-1",
    "sa-brazil-1",
    "tr-west-1",
];

/// Open Telekom Cloud regions with a ModelArts endpoint.
pub const OPEN_TELEKOM_CLOUD_REGIONS: &[&str] = &["eu-de"];

/// Why an endpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// The region has no known ModelArts endpoint. `Display` lists the known regions and suggests
    /// the closest one.
    #[error("{}", unknown_region_message(.0))]
    UnknownRegion(String),
    /// The URL does not parse or is not `http(s)://host[:port][/prefix]`.
    #[error("invalid endpoint URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong.
        reason: &'static str,
    },
}

/// A ModelArts endpoint: scheme, authority and an optional path prefix.
///
/// ```
/// use modelarts_protocol::Endpoint;
/// assert_eq!(Endpoint::for_region("cn-north-4").unwrap().url(), "https://modelarts.cn-north-4.myhuaweicloud.com");
/// assert_eq!(Endpoint::for_region("ap-southeast-1").unwrap().url(), "https://modelarts.ap-southeast-1.myhuaweicloud.cn");
/// assert_eq!(Endpoint::for_region("eu-de").unwrap().url(), "https://modelarts.eu-de.otc.t-systems.com");
/// assert_eq!(Endpoint::from_url("http://127.0.0.1:8080/").unwrap().host(), "127.0.0.1:8080");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    https: bool,
    authority: http::uri::Authority,
    prefix: String,
}

impl Endpoint {
    /// The endpoint of a region: Huawei Cloud (`modelarts.{region}.myhuaweicloud.com`, `.cn` for
    /// ap-southeast-1) or Open Telekom Cloud (`modelarts.eu-de.otc.t-systems.com`).
    pub fn for_region(region: &str) -> Result<Self, EndpointError> {
        let region = region.trim();
        let host = if OPEN_TELEKOM_CLOUD_REGIONS.contains(&region) {
            format!("modelarts.{region}.otc.t-systems.com")
        } else if region == "ap-southeast-1" {
            format!("modelarts.{region}.myhuaweicloud.cn")
        } else if HUAWEI_CLOUD_REGIONS.contains(&region) {
            format!("modelarts.{region}.myhuaweicloud.com")
        } else {
            return Err(EndpointError::UnknownRegion(region.to_owned()));
        };
        Self::from_url(&format!("https://{host}"))
    }

    /// An explicit endpoint URL, `http(s)://host[:port][/prefix]`. A URL without a scheme gets
    /// `https://`, as in the official SDKs.
    pub fn from_url(url: &str) -> Result<Self, EndpointError> {
        let invalid = |reason| EndpointError::InvalidUrl { url: without_userinfo(url), reason };
        let trimmed = url.trim();
        let with_scheme =
            if trimmed.contains("://") { trimmed.to_owned() } else { format!("https://{trimmed}") };
        let uri: http::Uri = with_scheme.parse().map_err(|_| invalid("not a URL"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(invalid("the scheme must be http or https")),
        };
        let authority = uri.authority().cloned().ok_or_else(|| invalid("no host"))?;
        if authority.host().is_empty() {
            return Err(invalid("no host"));
        }
        if authority.as_str().contains('@') {
            return Err(invalid("credentials in the endpoint URL are not supported"));
        }
        let port = authority.as_str().strip_prefix(authority.host()).and_then(|rest| rest.strip_prefix(':'));
        if port.is_some_and(|p| !p.parse::<u16>().is_ok_and(|p| p > 0)) {
            return Err(invalid("the port must be a number from 1 to 65535"));
        }
        if uri.query().is_some() {
            return Err(invalid("an endpoint URL cannot have a query"));
        }
        let prefix = uri.path().trim_end_matches('/').to_owned();
        Ok(Self { https, authority, prefix })
    }

    /// The endpoint as a URL, without a trailing slash.
    pub fn url(&self) -> String {
        format!("{}://{}{}", self.scheme(), self.authority, self.prefix)
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &'static str {
        if self.https { "https" } else { "http" }
    }

    /// Whether requests go over TLS.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// Host and port, as signed in the `Host` header.
    pub fn host(&self) -> &str {
        self.authority.as_str()
    }

    /// The full URI for a path (starting with `/`) and an optional encoded query.
    pub(crate) fn uri(&self, path: &str, query: &str) -> Result<http::Uri, crate::error::BuildError> {
        self.uri_of(&[path], query)
    }

    /// The full URI for a path given as pieces to join (the first starting with `/`), so that a
    /// request builder writes its path straight into the URI's buffer.
    pub(crate) fn uri_of(&self, pieces: &[&str], query: &str) -> Result<http::Uri, crate::error::BuildError> {
        // Exactly as long as written, so that the URI takes the buffer without a copy.
        let query_len = if query.is_empty() { 0 } else { query.len() + 1 };
        let path_len = pieces.iter().map(|p| p.len()).sum::<usize>();
        let mut path_and_query = String::with_capacity(self.prefix.len() + path_len + query_len);
        path_and_query.push_str(&self.prefix);
        for piece in pieces {
            path_and_query.push_str(piece);
        }
        if !query.is_empty() {
            path_and_query.push('?');
            path_and_query.push_str(query);
        }
        // Only the new part is parsed: the scheme and the authority were checked when the endpoint
        // was made.
        let invalid = || {
            let path = pieces.concat();
            let query = if query.is_empty() { String::new() } else { format!("?{query}") };
            crate::error::BuildError::InvalidUri(format!(
                "{}://{}{}{path}{query}",
                self.scheme(),
                self.authority.as_str(),
                self.prefix
            ))
        };
        let parsed = http::uri::PathAndQuery::from_maybe_shared(bytes::Bytes::from(path_and_query))
            .map_err(|_| invalid())?;
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(if self.https { http::uri::Scheme::HTTPS } else { http::uri::Scheme::HTTP });
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(parsed);
        http::Uri::from_parts(parts).map_err(|_| invalid())
    }
}

/// Every region with a known ModelArts endpoint, sorted.
pub fn known_regions() -> Vec<&'static str> {
    let mut all: Vec<&'static str> =
        HUAWEI_CLOUD_REGIONS.iter().chain(OPEN_TELEKOM_CLOUD_REGIONS).copied().collect();
    all.sort_unstable();
    all
}

/// The known regions closest to `input` by edit distance (case-insensitive, `_` and ` ` read as
/// `-`), if close enough to be a likely typo (at most a quarter of the region's length away, and at
/// least one edit allowed). Several regions come back when they are equally close.
///
/// ```
/// use modelarts_protocol::endpoint::closest_regions;
/// assert_eq!(closest_regions("cn-nort-4"), ["cn-north-4"]);
/// assert_eq!(closest_regions("EU_DE"), ["eu-de"]);
/// assert_eq!(closest_regions("cn-east-1"), ["cn-east-3", "cn-east-4"]);
/// assert!(closest_regions("mars-1").is_empty());
/// ```
pub fn closest_regions(input: &str) -> Vec<&'static str> {
    let normalized: String = input
        .trim()
        .chars()
        .take(64)
        .map(|c| if c == '_' || c == ' ' { '-' } else { c.to_ascii_lowercase() })
        .collect();
    let scored: Vec<(usize, &'static str)> = known_regions()
        .into_iter()
        .map(|r| (edit_distance(&normalized, r), r))
        .filter(|(d, r)| *d <= (r.len() / 4).max(1))
        .collect();
    let best = scored.iter().map(|(d, _)| *d).min();
    scored.into_iter().filter(|(d, _)| Some(*d) == best).map(|(_, r)| r).collect()
}

/// Levenshtein distance over characters (inputs are short: regions and a capped user value).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

fn unknown_region_message(region: &str) -> String {
    let shown: String = region.chars().take(64).collect();
    let suggestion = match closest_regions(region).as_slice() {
        [] => String::new(),
        [one] => format!("did you mean {one:?}? "),
        several => format!("did you mean one of {}? ", several.join(", ")),
    };
    format!(
        "unknown region {shown:?}: {suggestion}give an endpoint URL instead, or one of the known regions: {}",
        known_regions().join(", ")
    )
}

/// The URL with any `user:password@` replaced by `***@`, for error messages.
fn without_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

/// Where the next attempt goes after a transport failure at endpoint `current` of a list of
/// `count` (an endpoint list from `HUAWEICLOUD_SDK_REGION_MODELARTS_<REGION>`, a comma-separated
/// URL or `regions.yaml`), and the failure as the call's machine should see it.
///
/// The call fails over to the next host only when the request provably never reached a server: the
/// connection or the TLS handshake failed. After anything that may have reached a server the next
/// attempt stays on the same host (a stop must not land twice on two hosts). A TLS rejection by
/// one host of several is, for the call, a failed connection: retried on the next host instead
/// of ending the call.
///
/// ```
/// use modelarts_protocol::call::TransportFailure;
/// use modelarts_protocol::endpoint::failover;
///
/// let refused = TransportFailure::default();
/// assert_eq!(failover(0, 3, &refused).0, 1);
/// assert_eq!(failover(2, 3, &refused).0, 0);
/// let sent = TransportFailure { may_have_reached_server: true, ..TransportFailure::default() };
/// assert_eq!(failover(1, 3, &sent).0, 1);
/// ```
pub fn failover(
    current: usize,
    count: usize,
    failure: &crate::machine::call::TransportFailure,
) -> (usize, crate::machine::call::TransportFailure) {
    let never_sent = !failure.may_have_reached_server && !failure.proxy_auth_rejected && !failure.oversized;
    if count <= 1 || !never_sent {
        return (current.min(count.saturating_sub(1)), *failure);
    }
    let next = (current + 1) % count;
    let seen = crate::machine::call::TransportFailure { tls_rejected: false, ..*failure };
    (next, seen)
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Endpoint").field(&self.url()).finish()
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

impl std::str::FromStr for Endpoint {
    type Err = EndpointError;
    fn from_str(s: &str) -> Result<Self, EndpointError> {
        Self::from_url(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failover_moves_on_only_when_nothing_was_sent() {
        use crate::machine::call::TransportFailure;
        let refused = TransportFailure::default();
        let sent = TransportFailure { may_have_reached_server: true, ..refused };
        let tls = TransportFailure { tls_rejected: true, ..refused };
        let proxy = TransportFailure { proxy_auth_rejected: true, ..refused };
        let oversized = TransportFailure { oversized: true, may_have_reached_server: true, ..refused };
        // (current, count, failure, next host, the call sees a TLS rejection)
        let cases = [
            (0, 1, refused, 0, false),
            (0, 2, refused, 1, false),
            (1, 2, refused, 0, false),
            (0, 2, sent, 0, false),
            (0, 2, tls, 1, false),
            (0, 1, tls, 0, true),
            (0, 2, proxy, 0, false),
            (1, 3, oversized, 1, false),
        ];
        for (current, count, failure, next, tls_seen) in cases {
            let (got, seen) = failover(current, count, &failure);
            assert_eq!((got, seen.tls_rejected), (next, tls_seen), "{current}/{count} {failure:?}");
            assert_eq!(seen.may_have_reached_server, failure.may_have_reached_server);
        }
    }

    #[test]
    fn regions_table() {
        for region in HUAWEI_CLOUD_REGIONS {
            let url = Endpoint::for_region(region).unwrap().url();
            let tld = if *region == "ap-southeast-1" { "cn" } else { "com" };
            assert_eq!(url, format!("https://modelarts.{region}.myhuaweicloud.{tld}"));
        }
        assert_eq!(Endpoint::for_region("mars-1"), Err(EndpointError::UnknownRegion("mars-1".into())));
    }

    #[test]
    fn unknown_region_suggests_the_closest_table() {
        let cases: &[(&str, &[&str])] = &[
            ("cn-nort-4", &["cn-north-4"]),
            ("CN-NORTH-4", &["cn-north-4"]),
            ("la_south_2", &["la-south-2"]),
            ("ap-southeast1", &["ap-southeast-1"]),
            ("eu-de ", &["eu-de"]),
            ("eu-dee", &["eu-de"]),
            ("cn-north-3", &["cn-north-1", "cn-north-2", "cn-north-4", "cn-north-9"]),
            ("mars-1", &[]),
            ("", &[]),
            ("us-east-1", &["me-east-1"]),
            ("sa-brasil-2", &["sa-brazil-1"]),
            ("zz-top-77", &[]),
        ];
        for (input, expected) in cases {
            assert_eq!(closest_regions(input), *expected, "{input:?}");
        }
        let several = EndpointError::UnknownRegion("cn-east-1".into()).to_string();
        assert!(several.contains("did you mean one of cn-east-3, cn-east-4?"), "{several}");
        let text = EndpointError::UnknownRegion("cn-nort-4".into()).to_string();
        assert!(text.starts_with("unknown region \"cn-nort-4\": did you mean \"cn-north-4\"?"), "{text}");
        assert!(text.contains("af-north-1, af-south-1,") && text.contains("eu-de"), "{text}");
        let plain = EndpointError::UnknownRegion("mars-1".into()).to_string();
        assert!(!plain.contains("did you mean"), "{plain}");
        // A hostile value is bounded and shown escaped.
        let long = EndpointError::UnknownRegion(format!("{}\u{1b}", "x".repeat(10_000))).to_string();
        assert!(long.len() < 1_000 && !long.contains('\u{1b}'), "{}", long.len());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn urls_table() {
        let ok = [
            ("https://example.com", "https://example.com"),
            ("example.com:8443", "https://example.com:8443"),
            ("http://127.0.0.1:9/", "http://127.0.0.1:9"),
            ("https://[::1]:9/prefix/", "https://[::1]:9/prefix"),
        ];
        for (input, url) in ok {
            assert_eq!(Endpoint::from_url(input).unwrap().url(), url, "{input}");
        }
        for bad in ["ftp://x", "https://", "https://u:p@host", "https://h/?q=1", "::::"] {
            assert!(Endpoint::from_url(bad).is_err(), "{bad}");
        }
        for bad_port in ["https://h:99999", "https://h:0", "h:65536"] {
            assert!(Endpoint::from_url(bad_port).is_err(), "{bad_port}");
        }
        assert!(Endpoint::from_url("https://h:65535").is_ok());
        assert_eq!(Endpoint::from_url("https://[::1]:443/").unwrap().host(), "[::1]:443");
        let err = Endpoint::from_url("https://user:s3cret@host/p").unwrap_err().to_string();
        assert!(!err.contains("s3cret") && err.contains("https://***@host/p"), "{err}");
    }

    #[test]
    fn uri_joins_prefix_path_and_query() {
        let e = Endpoint::from_url("https://h:1/base").unwrap();
        assert_eq!(e.uri("/v1/p", "a=1").unwrap().to_string(), "https://h:1/base/v1/p?a=1");
    }
}
