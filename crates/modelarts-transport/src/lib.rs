//! Sends an `http::Request<Bytes>` over HTTPS and returns the whole `http::Response<Bytes>`.
//!
//! This is the network layer of modelarts-rs: hyper 1 with a pooled hyper-util client,
//! HTTP/1.1 and HTTP/2 chosen by ALPN, rustls with the `ring` provider, trust in the webpki
//! roots plus the system's plus an optional CA bundle, `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`,
//! a connect timeout, an attempt timeout covering headers *and* body, and a response size cap.
//!
//! What it must never do:
//! - know anything of ModelArts (no paths, signing, status codes or retries: the SDK and
//!   the protocol crate own those; a response of any status is a success here);
//! - follow redirects (a `3xx` is returned as it is);
//! - install a process-wide crypto provider, or use any provider but `ring`;
//! - log or print header values or query strings (`Authorization`, `X-Auth-Token` and
//!   `X-Security-Token` are also marked sensitive on the outgoing request);
//! - expose a hyper, hyper-util or rustls type in its API.
//!
//! [`HttpsTransport`] implements the HTTP-client seam, [`modelarts_http::HttpSend`], which the SDK
//! is generic over, so the SDK can run on this transport, on another one, or on a fake in unit
//! tests. [`Error::may_have_reached_server`] tells whether retrying a request could repeat it on
//! the server.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use bytes::Bytes;
//! use modelarts_transport::{HttpsTransport, ProxyConfig, TransportConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = TransportConfig::default()
//!     .with_attempt_timeout(Duration::from_secs(10))
//!     .with_ca_bundle("/etc/ssl/my-company-ca.pem")
//!     .with_proxy(ProxyConfig::FromEnv);
//! let transport = HttpsTransport::new(config)?;
//!
//! let request = http::Request::post("https://modelarts.eu-de.otc.t-systems.com/v1/p/x")
//!     .header("X-Auth-Token", "secret")
//!     .body(Bytes::new())?;
//! match transport.send(request).await {
//!     Ok(response) => println!("{}", response.status()),
//!     Err(err) if !err.may_have_reached_server() => println!("safe to retry: {err}"),
//!     Err(err) => println!("check before retrying: {err}"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Logging
//!
//! Each request runs in a `DEBUG` span `http.request` with the fields `method`, `host`,
//! `path` (without the query), `status` and `elapsed_ms`. Building a transport with
//! `insecure = true` logs a `WARN` event every time.

mod config;
mod connector;
mod error;
mod proxy;
mod tls;
mod transport;

use std::future::Future;

use bytes::Bytes;

pub use crate::config::TransportConfig;
pub use crate::error::{BuildError, Error, ErrorKind};
pub use crate::proxy::ProxyConfig;
pub use crate::tls::MAX_CA_BUNDLE_BYTES;
pub use crate::transport::HttpsTransport;
pub use modelarts_http::TlsRejection;

/// The HTTP-client seam: the SDK and every driver generic over [`modelarts_http::HttpSend`] run on
/// this transport. The future is `Send` (as [`HttpsTransport::send`]'s), so it can be spawned.
impl modelarts_http::HttpSend for HttpsTransport {
    type Error = Error;

    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> impl Future<Output = Result<http::Response<Bytes>, Error>> {
        HttpsTransport::send(self, request)
    }
}

impl modelarts_http::SendError for Error {
    fn may_have_reached_server(&self) -> bool {
        Error::may_have_reached_server(self)
    }

    fn is_tls_rejected(&self) -> bool {
        self.is_tls()
    }

    fn tls_rejection(&self) -> Option<modelarts_http::TlsRejection> {
        Error::tls_rejection(self)
    }

    fn is_proxy_auth_rejected(&self) -> bool {
        self.kind() == ErrorKind::ProxyAuth
    }

    fn is_oversized(&self) -> bool {
        self.kind() == ErrorKind::BodyTooLarge
    }
}

#[cfg(test)]
mod seam_tests {
    use modelarts_http::SendError;

    use super::{Error, ErrorKind};

    #[test]
    fn the_error_reports_through_the_seam() {
        let reset = Error::new(ErrorKind::Io, true, "connection reset");
        assert!(SendError::may_have_reached_server(&reset) && !reset.is_tls_rejected());
        let tls = Error::new(ErrorKind::Tls, false, "invalid peer certificate");
        assert!(!SendError::may_have_reached_server(&tls) && tls.is_tls_rejected());
    }

    #[test]
    fn the_transport_is_a_seam_sender() {
        fn sender<S: modelarts_http::HttpSend<Error = Error>>(_: &S) {}
        let transport = super::HttpsTransport::new(super::TransportConfig::default()).unwrap();
        sender(&transport);
    }
}
