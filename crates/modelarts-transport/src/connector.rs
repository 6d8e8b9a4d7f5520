//! The connector stack under the pooled client:
//! `SetupTimeout<HttpsConnector<ProxyConnector>>`.
//!
//! `ProxyConnector` opens a TCP connection per destination, either directly or through an HTTP
//! `CONNECT` tunnel (hyper-util's `Tunnel`); hyper-rustls then runs TLS over it, so the proxy
//! sees only the tunnel. `SetupTimeout` bounds the whole set-up (DNS, TCP, tunnel, TLS
//! handshake) by the connect timeout, so a stalled handshake surfaces as a connect error that
//! provably sent nothing. Nothing here may log a destination's headers or proxy credentials.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use crate::error::ProxyAuthRefused;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Connects directly or through a `CONNECT` tunnel, as the proxy matcher decides.
///
/// Plain-`http://` destinations are tunnelled too (rather than sent in absolute form), so one
/// code path serves both schemes and the proxy never sees a request.
#[derive(Clone, Debug)]
pub(crate) struct ProxyConnector {
    direct: HttpConnector,
    proxies: Option<Arc<Matcher>>,
}

impl ProxyConnector {
    pub(crate) fn new(direct: HttpConnector, proxies: Option<Matcher>) -> Self {
        Self { direct, proxies: proxies.map(Arc::new) }
    }
}

impl Service<Uri> for ProxyConnector {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = BoxFuture<Result<Self::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.direct.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let intercept = self.proxies.as_ref().and_then(|m| m.intercept(&dst));
        match intercept {
            Some(intercept) => {
                let mut tunnel = Tunnel::new(intercept.uri().clone(), self.direct.clone());
                let credentials_sent = intercept.basic_auth().is_some();
                if let Some(auth) = intercept.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                tracing::debug!(
                    proxy.host = intercept.uri().host().unwrap_or_default(),
                    "connecting through a CONNECT tunnel"
                );
                Box::pin(async move {
                    // `Tunnel` assumes port 443 when the URI has none.
                    let dst = with_explicit_port(dst)?;
                    tunnel.call(dst).await.map_err(|e| tunnel_error(e, credentials_sent))
                })
            }
            None => {
                let connecting = self.direct.call(dst);
                Box::pin(async move { connecting.await.map_err(Into::into) })
            }
        }
    }
}

/// A tunnel's error, with a 407 turned into [`ProxyAuthRefused`] (hyper-util does not export its
/// error type, so its `ProxyAuthRequired` variant is recognised by its `Debug` name).
fn tunnel_error(error: impl std::error::Error + Send + Sync + 'static, credentials_sent: bool) -> BoxError {
    if format!("{error:?}") == "ProxyAuthRequired" {
        return Box::new(ProxyAuthRefused { credentials_sent });
    }
    Box::new(error)
}

fn with_explicit_port(dst: Uri) -> Result<Uri, BoxError> {
    if dst.port().is_some() {
        return Ok(dst);
    }
    let port = match dst.scheme_str() {
        Some("http") => 80,
        _ => 443,
    };
    let host = dst.host().ok_or("destination has no host")?;
    let scheme = dst.scheme_str().unwrap_or("https");
    Ok(Uri::builder().scheme(scheme).authority(format!("{host}:{port}")).path_and_query("/").build()?)
}

/// Bounds a connector's whole set-up by a timeout.
#[derive(Clone, Debug)]
pub(crate) struct SetupTimeout<C> {
    inner: C,
    timeout: Duration,
}

impl<C> SetupTimeout<C> {
    pub(crate) fn new(inner: C, timeout: Duration) -> Self {
        Self { inner, timeout }
    }
}

impl<C> Service<Uri> for SetupTimeout<C>
where
    C: Service<Uri>,
    C::Response: Send + 'static,
    C::Error: Into<BoxError>,
    C::Future: Send + 'static,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = BoxFuture<Result<Self::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let connecting = self.inner.call(dst);
        let timeout = self.timeout;
        Box::pin(async move {
            match tokio::time::timeout(timeout, connecting).await {
                Ok(result) => result.map_err(Into::into),
                Err(_) => Err(Box::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("connection set-up did not complete within {timeout:?}"),
                )) as BoxError),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_port_table() {
        let cases = [
            ("https://h.example/a?b", "https://h.example:443/"),
            ("http://h.example/a", "http://h.example:80/"),
            ("https://h.example:8443/a", "https://h.example:8443/a"),
            ("https://[::1]/", "https://[::1]:443/"),
        ];
        for (input, expected) in cases {
            let uri = with_explicit_port(Uri::from_static(input)).expect("valid URI");
            assert_eq!(uri.to_string(), expected, "{input}");
        }
    }
}
