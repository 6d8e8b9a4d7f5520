//! `HttpsTransport`: one pooled hyper-util client behind a small, `http`-typed API.
//!
//! Per request it checks the URL, adds a default `User-Agent` (and `Content-Length: 0` to an
//! empty POST, PUT or PATCH), marks credential headers sensitive, bounds the attempt (headers and body) by one timeout and the body by a size cap,
//! and records one `http.request` span. It must never follow redirects, never log a header
//! value or a query string, and never retry a request that may have been written (the
//! caller decides that from [`Error::may_have_reached_server`]).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, Entry, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Version};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{HttpConnector, capture_connection};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tracing::Instrument as _;

use crate::config::TransportConfig;
use crate::connector::{ProxyConnector, SetupTimeout};
use crate::error::{self, BuildError, Error, ErrorKind, Reason};
use crate::tls;

type Connector = SetupTimeout<HttpsConnector<ProxyConnector>>;

/// Headers whose values are credentials: marked sensitive on every outgoing request so that
/// hyper and h2 never print or index them.
const SENSITIVE_HEADERS: [HeaderName; 5] = [
    header::AUTHORIZATION,
    header::PROXY_AUTHORIZATION,
    header::COOKIE,
    HeaderName::from_static("x-auth-token"),
    HeaderName::from_static("x-security-token"),
];

/// An HTTPS client: pooled connections, HTTP/1.1 and HTTP/2 (by ALPN), rustls with `ring`,
/// timeouts, a response size cap, proxies, and no redirects.
///
/// Cheap to clone: clones share one connection pool. Build one per process (or per set of
/// settings) and reuse it. Sending needs a Tokio runtime with timers enabled.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use bytes::Bytes;
/// use modelarts_transport::{HttpsTransport, TransportConfig};
///
/// let transport = HttpsTransport::new(TransportConfig::default())?;
/// let request = http::Request::get("https://example.com/").body(Bytes::new())?;
/// let response = transport.send(request).await?;
/// println!("{} ({} bytes)", response.status(), response.body().len());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct HttpsTransport {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client<Connector, Full<Bytes>>,
    config: TransportConfig,
}

impl HttpsTransport {
    /// Builds a transport. Reads the CA bundle file and, for [`ProxyConfig::FromEnv`]
    /// (the default), the proxy environment variables, now rather than per request.
    ///
    /// Fails on an unreadable, empty or invalid CA bundle and on an unusable proxy URL.
    ///
    /// [`ProxyConfig::FromEnv`]: crate::ProxyConfig::FromEnv
    pub fn new(config: TransportConfig) -> Result<Self, BuildError> {
        let tls = tls::client_config(&config, |name| std::env::var(name).ok())?;
        let proxies = config.proxy.to_matcher()?;

        let mut tcp = HttpConnector::new();
        // hyper-rustls decides the scheme; this connector only opens TCP connections.
        tcp.enforce_http(false);
        tcp.set_connect_timeout(Some(config.connect_timeout));
        tcp.set_nodelay(config.tcp_nodelay);
        let tcp = ProxyConnector::new(tcp, proxies);

        let https = HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http().enable_http1();
        let https =
            if config.http2 { https.enable_http2().wrap_connector(tcp) } else { https.wrap_connector(tcp) };

        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(config.pool_idle_timeout)
            .pool_max_idle_per_host(config.pool_max_idle_per_host)
            .build(SetupTimeout::new(https, config.connect_timeout));

        Ok(Self { inner: Arc::new(Inner { client, config }) })
    }

    /// The settings this transport was built from.
    pub fn config(&self) -> &TransportConfig {
        &self.inner.config
    }

    /// Sends one request and reads the whole response, within the attempt timeout.
    ///
    /// The URL must be absolute (`https://`, or `http://` with `allow_http`). The request's
    /// HTTP version is ignored: ALPN decides. A redirect is returned as it is, never followed.
    /// A request without `User-Agent` gets the configured one; an empty POST, PUT or PATCH
    /// without `Content-Length` gets `Content-Length: 0`.
    pub async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, Error> {
        let config = &self.inner.config;
        let (mut parts, body) = request.into_parts();
        check_target(&parts.uri, config.allow_http)?;

        for name in &SENSITIVE_HEADERS {
            mark_sensitive(&mut parts.headers, name);
        }
        if let Some(agent) = &config.user_agent {
            parts.headers.entry(header::USER_AGENT).or_insert_with(|| agent.clone());
        }
        // hyper sends no length for an empty body; like curl, declare it for methods that
        // carry content, since some servers and gateways answer 411 otherwise.
        if body.is_empty()
            && matches!(parts.method, Method::POST | Method::PUT | Method::PATCH)
            && !parts.headers.contains_key(header::CONTENT_LENGTH)
        {
            parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        }
        parts.version = Version::HTTP_11;

        let span = tracing::debug_span!(
            "http.request",
            method = %parts.method,
            host = parts.uri.host().unwrap_or_default(),
            path = parts.uri.path(),
            status = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let is_head = parts.method == Method::HEAD;
        let mut request = Request::from_parts(parts, Full::new(body));
        let captured = capture_connection(&mut request);
        let attempt = async {
            let response = self.inner.client.request(request).await.map_err(error::from_client_error)?;
            tracing::Span::current().record("status", response.status().as_u16());
            read_body(response, is_head, config.max_response_body_bytes).await
        };

        async {
            let result = match tokio::time::timeout(config.attempt_timeout, attempt).await {
                Ok(result) => result,
                // A connection was handed the request: it may have been written.
                Err(_) => {
                    Err(attempt_timeout(config.attempt_timeout, captured.connection_metadata().is_some()))
                }
            };
            let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let span = tracing::Span::current();
            span.record("elapsed_ms", elapsed_ms);
            match &result {
                Ok(_) => tracing::debug!("request completed"),
                Err(err) => tracing::debug!(
                    error = %err,
                    kind = ?err.kind(),
                    may_have_reached_server = err.may_have_reached_server(),
                    "request failed"
                ),
            }
            result
        }
        .instrument(span)
        .await
    }
}

impl fmt::Debug for HttpsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpsTransport").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

fn invalid_request(message: &'static str) -> Error {
    Error::with_message(ErrorKind::InvalidRequest, false, message, Some(Box::new(Reason(message.into()))))
}

fn check_target(uri: &http::Uri, allow_http: bool) -> Result<(), Error> {
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if allow_http => {}
        Some("http") => {
            return Err(invalid_request("plain http:// URLs are refused unless allow_http is set"));
        }
        Some(_) => {
            return Err(invalid_request("the URL scheme must be https:// or http://"));
        }
        None => {
            return Err(invalid_request("the URL must be absolute (https://host/...)"));
        }
    }
    match uri.host() {
        Some(host) if !host.is_empty() => Ok(()),
        _ => Err(invalid_request("the URL has no host")),
    }
}

fn mark_sensitive(headers: &mut HeaderMap, name: &HeaderName) {
    if let Entry::Occupied(mut entry) = headers.entry(name) {
        for value in entry.iter_mut() {
            value.set_sensitive(true);
        }
    }
}

fn attempt_timeout(timeout: Duration, may_have_reached_server: bool) -> Error {
    Error::with_message(
        ErrorKind::Timeout,
        may_have_reached_server,
        format!("no complete response within the attempt timeout of {timeout:?}"),
        Some(Box::new(std::io::Error::from(std::io::ErrorKind::TimedOut))),
    )
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

async fn read_body(
    response: Response<Incoming>,
    is_head: bool,
    max_bytes: usize,
) -> Result<Response<Bytes>, Error> {
    let (parts, body) = response.into_parts();
    let bodiless = is_head
        || parts.status.is_informational()
        || parts.status == StatusCode::NO_CONTENT
        || parts.status == StatusCode::NOT_MODIFIED;
    if !bodiless
        && let Some(declared) = declared_length(&parts.headers)
        && declared > u64::try_from(max_bytes).unwrap_or(u64::MAX)
    {
        // Dropping the unread body closes the connection instead of draining it.
        return Err(Error::with_message(
            ErrorKind::BodyTooLarge,
            true,
            format!("the response declares {declared} bytes, over the limit of {max_bytes}"),
            None,
        ));
    }
    let body = Limited::new(body, max_bytes).collect().await.map_err(error::from_in_flight_error)?.to_bytes();
    Ok(Response::from_parts(parts, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_types_are_thread_safe() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<HttpsTransport>();
        assert_send_sync::<Error>();
        assert_send_sync::<BuildError>();
        assert_send_sync::<TransportConfig>();
    }

    #[test]
    fn builds_outside_a_runtime() {
        let config = TransportConfig { proxy: crate::ProxyConfig::None, ..TransportConfig::default() };
        let transport = HttpsTransport::new(config).expect("builds without a runtime");
        assert!(format!("{transport:?}").contains("HttpsTransport"));
    }

    #[test]
    fn check_target_table() {
        let cases = [
            ("https://h.example/p", false, true),
            ("http://h.example/p", false, false),
            ("http://h.example/p", true, true),
            ("ftp://h.example/p", true, false),
            ("/relative", true, false),
        ];
        for (uri, allow_http, ok) in cases {
            let uri: http::Uri = uri.parse().expect("valid URI");
            let result = check_target(&uri, allow_http);
            assert_eq!(result.is_ok(), ok, "{uri} allow_http={allow_http}");
            if let Err(err) = result {
                assert_eq!(err.kind(), ErrorKind::InvalidRequest);
                assert!(!err.may_have_reached_server());
            }
        }
    }

    #[test]
    fn credential_headers_are_marked_sensitive() {
        let mut headers = HeaderMap::new();
        headers.insert("x-auth-token", "t".parse().expect("valid"));
        headers.append("authorization", "a".parse().expect("valid"));
        headers.append("authorization", "b".parse().expect("valid"));
        headers.insert("x-other", "o".parse().expect("valid"));
        for name in &SENSITIVE_HEADERS {
            mark_sensitive(&mut headers, name);
        }
        assert!(headers.get_all("authorization").iter().all(|v| v.is_sensitive()));
        assert!(headers["x-auth-token"].is_sensitive());
        assert!(!headers["x-other"].is_sensitive());
    }
}
