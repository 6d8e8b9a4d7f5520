//! The settings an [`HttpsTransport`](crate::HttpsTransport) is built from, with their defaults.

use std::path::PathBuf;
use std::time::Duration;

use http::HeaderValue;

use crate::proxy::ProxyConfig;

/// Settings of an [`HttpsTransport`](crate::HttpsTransport).
///
/// New fields may be added: start from [`TransportConfig::default()`] and change what you need
/// with the `with_*` setters:
///
/// ```
/// use std::time::Duration;
/// use modelarts_transport::{ProxyConfig, TransportConfig};
///
/// let config = TransportConfig::default()
///     .with_attempt_timeout(Duration::from_secs(10))
///     .with_ca_bundle("/etc/my-ca.pem")
///     .with_proxy(ProxyConfig::None);
/// assert_eq!(config.attempt_timeout, Duration::from_secs(10));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// Time allowed to set up a connection: DNS, TCP connect, proxy tunnel and TLS handshake.
    /// Exceeding it is an [`ErrorKind::Connect`](crate::ErrorKind::Connect) error that never
    /// reached the server. Default: 5 s.
    pub connect_timeout: Duration,
    /// Time allowed for one attempt, from sending to having read the whole response body
    /// (so it covers the connect time too). Exceeding it is an
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) error. Default: 30 s.
    pub attempt_timeout: Duration,
    /// Largest response body accepted, in bytes. A larger `Content-Length` is refused before
    /// the body is read; a body without one is read up to the limit. Default: 16 MiB.
    pub max_response_body_bytes: usize,
    /// How long an idle pooled connection is kept. Default: 90 s.
    pub pool_idle_timeout: Duration,
    /// Most idle connections kept per host. Default: 64.
    pub pool_max_idle_per_host: usize,
    /// Set `TCP_NODELAY` on connections. Default: `true`.
    pub tcp_nodelay: bool,
    /// Offer HTTP/2 by ALPN (HTTP/1.1 is always offered). Default: `true`.
    pub http2: bool,
    /// `User-Agent` added to requests that have none; `None` adds nothing. Default: `None` (the
    /// caller names itself: the SDK sets its own on every request).
    pub user_agent: Option<HeaderValue>,
    /// Allow plain `http://` URLs (for local emulators and tests). Default: `false`, so a
    /// plain-http request fails with [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest).
    pub allow_http: bool,
    /// An extra PEM file of trusted CA certificates, added to the webpki and system roots.
    /// When `None`, the environment variable `SSL_CERT_FILE` is read. An unreadable, empty or
    /// invalid file fails the build. Default: `None`.
    pub ca_bundle: Option<PathBuf>,
    /// Accept any server certificate (handshake signatures are still checked). Dangerous:
    /// every transport built with it logs a warning. Default: `false`.
    pub insecure: bool,
    /// Where the HTTP(S) proxy comes from. Default: [`ProxyConfig::FromEnv`].
    pub proxy: ProxyConfig,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(30),
            max_response_body_bytes: 16 * 1024 * 1024,
            pool_idle_timeout: Duration::from_secs(90),
            pool_max_idle_per_host: 64,
            tcp_nodelay: true,
            http2: true,
            user_agent: None,
            allow_http: false,
            ca_bundle: None,
            insecure: false,
            proxy: ProxyConfig::FromEnv,
        }
    }
}

impl TransportConfig {
    /// Sets [`connect_timeout`](Self::connect_timeout).
    #[must_use]
    pub fn with_connect_timeout(mut self, connect_timeout: Duration) -> Self {
        self.connect_timeout = connect_timeout;
        self
    }

    /// Sets [`attempt_timeout`](Self::attempt_timeout).
    #[must_use]
    pub fn with_attempt_timeout(mut self, attempt_timeout: Duration) -> Self {
        self.attempt_timeout = attempt_timeout;
        self
    }

    /// Sets [`max_response_body_bytes`](Self::max_response_body_bytes).
    #[must_use]
    pub fn with_max_response_body_bytes(mut self, max_response_body_bytes: usize) -> Self {
        self.max_response_body_bytes = max_response_body_bytes;
        self
    }

    /// Sets [`pool_idle_timeout`](Self::pool_idle_timeout).
    #[must_use]
    pub fn with_pool_idle_timeout(mut self, pool_idle_timeout: Duration) -> Self {
        self.pool_idle_timeout = pool_idle_timeout;
        self
    }

    /// Sets [`pool_max_idle_per_host`](Self::pool_max_idle_per_host).
    #[must_use]
    pub fn with_pool_max_idle_per_host(mut self, pool_max_idle_per_host: usize) -> Self {
        self.pool_max_idle_per_host = pool_max_idle_per_host;
        self
    }

    /// Sets [`tcp_nodelay`](Self::tcp_nodelay).
    #[must_use]
    pub fn with_tcp_nodelay(mut self, tcp_nodelay: bool) -> Self {
        self.tcp_nodelay = tcp_nodelay;
        self
    }

    /// Sets [`http2`](Self::http2).
    #[must_use]
    pub fn with_http2(mut self, http2: bool) -> Self {
        self.http2 = http2;
        self
    }

    /// Sets [`user_agent`](Self::user_agent).
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: HeaderValue) -> Self {
        self.user_agent = Some(user_agent);
        self
    }

    /// Sets [`allow_http`](Self::allow_http).
    #[must_use]
    pub fn with_allow_http(mut self, allow_http: bool) -> Self {
        self.allow_http = allow_http;
        self
    }

    /// Sets [`ca_bundle`](Self::ca_bundle).
    #[must_use]
    pub fn with_ca_bundle(mut self, ca_bundle: impl Into<PathBuf>) -> Self {
        self.ca_bundle = Some(ca_bundle.into());
        self
    }

    /// Sets [`insecure`](Self::insecure).
    #[must_use]
    pub fn with_insecure(mut self, insecure: bool) -> Self {
        self.insecure = insecure;
        self
    }

    /// Sets [`proxy`](Self::proxy).
    #[must_use]
    pub fn with_proxy(mut self, proxy: ProxyConfig) -> Self {
        self.proxy = proxy;
        self
    }
}
