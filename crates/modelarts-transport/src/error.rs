//! Errors of the transport: what failed, and whether the request may have reached the server.
//!
//! The classification here is what lets a caller retry a non-idempotent request safely, so it
//! errs on the side of "may have reached": only failures that provably happened before any byte
//! of the request was written (DNS, TCP connect, proxy tunnel, TLS handshake, a request refused
//! locally) report `may_have_reached_server() == false`.
//!
//! This module must never put a hyper, hyper-util or rustls type in its public API.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::path::PathBuf;

use modelarts_http::TlsRejection;

/// A boxed error, as accepted by [`Error::new`].
type BoxError = Box<dyn StdError + Send + Sync>;

/// What kind of failure an [`Error`] is.
///
/// New kinds may be added; match with a wildcard arm.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// No connection could be set up: DNS failure, connection refused, connect timeout, the proxy
    /// refused the tunnel, or a pooled connection closed before the request was written.
    Connect,
    /// The TLS handshake failed (for example an untrusted or mismatched certificate).
    Tls,
    /// The proxy refused the tunnel with `407 Proxy Authentication Required`: the proxy URL's
    /// credentials are missing or wrong. Nothing reached the server, and another attempt would meet
    /// the same refusal.
    ProxyAuth,
    /// The attempt did not complete (headers and whole body) within the attempt timeout.
    Timeout,
    /// The response body is larger than the configured limit.
    BodyTooLarge,
    /// The connection failed while the request or response was in flight (reset, closed early,
    /// protocol error).
    Io,
    /// The request was refused before sending: unsupported or missing scheme, missing host,
    /// plain `http://` without `allow_http`.
    InvalidRequest,
}

impl ErrorKind {
    fn default_message(self) -> &'static str {
        match self {
            ErrorKind::Connect => "could not connect to the server",
            ErrorKind::Tls => "TLS handshake with the server failed",
            ErrorKind::ProxyAuth => "the proxy refused the credentials (407 Proxy Authentication Required)",
            ErrorKind::Timeout => "the request timed out",
            ErrorKind::BodyTooLarge => "the response body is too large",
            ErrorKind::Io => "the connection failed while the request was in flight",
            ErrorKind::InvalidRequest => "the request cannot be sent",
        }
    }
}

/// The error of one HTTP attempt.
///
/// Opaque on purpose: ask it what happened with [`kind`](Error::kind) and whether a retry could
/// duplicate the request with [`may_have_reached_server`](Error::may_have_reached_server). Its
/// `Display` is one short sentence without the cause; the whole cause chain is available
/// through [`std::error::Error::source`].
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    may_have_reached_server: bool,
    message: Cow<'static, str>,
    source: Option<BoxError>,
}

impl Error {
    /// Creates an error, for fakes and other [`modelarts_http::HttpSend`] implementations.
    ///
    /// `may_have_reached_server` must be `true` unless the request provably never left the
    /// client, because callers use it to decide whether retrying a non-idempotent request is
    /// safe.
    ///
    /// ```
    /// use modelarts_transport::{Error, ErrorKind};
    ///
    /// let err = Error::new(ErrorKind::Timeout, true, "no answer within 30 s");
    /// assert!(err.is_timeout());
    /// assert!(err.may_have_reached_server());
    /// ```
    pub fn new(
        kind: ErrorKind,
        may_have_reached_server: bool,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        Self {
            kind,
            may_have_reached_server,
            message: Cow::Borrowed(kind.default_message()),
            source: Some(source.into()),
        }
    }

    pub(crate) fn with_message(
        kind: ErrorKind,
        may_have_reached_server: bool,
        message: impl Into<Cow<'static, str>>,
        source: Option<BoxError>,
    ) -> Self {
        Self { kind, may_have_reached_server, message: message.into(), source }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether the server may have received (part of) the request.
    ///
    /// `false` only when the request provably never left: DNS, connect and TLS-handshake
    /// failures, a proxy that refused the tunnel, a request refused locally. `true` from the
    /// moment a connection was handed the request: timeouts after connecting, resets, truncated
    /// or oversized bodies.
    pub fn may_have_reached_server(&self) -> bool {
        self.may_have_reached_server
    }

    /// The kind is [`ErrorKind::Timeout`] (the attempt timeout; a connect timeout is
    /// [`ErrorKind::Connect`]).
    pub fn is_timeout(&self) -> bool {
        self.kind == ErrorKind::Timeout
    }

    /// The kind is [`ErrorKind::Connect`].
    pub fn is_connect(&self) -> bool {
        self.kind == ErrorKind::Connect
    }

    /// The kind is [`ErrorKind::Tls`].
    pub fn is_tls(&self) -> bool {
        self.kind == ErrorKind::Tls
    }

    /// Why the TLS handshake rejected the server, for an [`ErrorKind::Tls`] error: read from
    /// rustls' own certificate error, [`TlsRejection::Other`] when it names none of the reasons
    /// (or the error was built with [`Error::new`]). `None` for every other kind.
    ///
    /// ```
    /// use modelarts_transport::{Error, ErrorKind, TlsRejection};
    ///
    /// let err = Error::new(ErrorKind::Tls, false, "handshake failed");
    /// assert_eq!(err.tls_rejection(), Some(TlsRejection::Other));
    /// assert_eq!(Error::new(ErrorKind::Connect, false, "refused").tls_rejection(), None);
    /// ```
    pub fn tls_rejection(&self) -> Option<TlsRejection> {
        if self.kind != ErrorKind::Tls {
            return None;
        }
        let source = self.source.as_deref().map(|e| e as &(dyn StdError + 'static));
        let rustls = source.and_then(|e| chain(e).find_map(|e| e.downcast_ref::<rustls::Error>()));
        Some(rustls.map_or(TlsRejection::Other, rejection_of))
    }

    /// The kind is [`ErrorKind::ProxyAuth`].
    pub fn is_proxy_auth(&self) -> bool {
        self.kind == ErrorKind::ProxyAuth
    }

    /// The kind is [`ErrorKind::BodyTooLarge`].
    pub fn is_body_too_large(&self) -> bool {
        self.kind == ErrorKind::BodyTooLarge
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// Why an [`HttpsTransport`](crate::HttpsTransport) could not be built from its
/// [`TransportConfig`](crate::TransportConfig).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The extra CA bundle could not be read, is empty, or holds an invalid certificate.
    #[error("cannot use the CA bundle file {}", path.display())]
    CaBundle {
        /// The file, as configured or found in the environment.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    /// A proxy setting cannot be used. The message never contains the proxy URL, which may
    /// carry credentials.
    #[error("invalid proxy setting ({setting}): {reason}")]
    Proxy {
        /// Which setting: `https proxy`, `http proxy`, `proxy url`, or the environment variable.
        setting: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The TLS configuration could not be assembled.
    #[error("cannot build the TLS configuration")]
    Tls {
        /// The cause.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
}

/// A message-only error used as the source of errors this crate detects itself.
#[derive(Debug)]
pub(crate) struct Reason(pub(crate) Cow<'static, str>);

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Reason {}

/// The proxy answered `CONNECT` with 407. Built by the connector, which knows whether the proxy URL
/// carried credentials (never what they are).
#[derive(Debug)]
pub(crate) struct ProxyAuthRefused {
    /// Whether the proxy URL had a user (and password) to send.
    pub(crate) credentials_sent: bool,
}

impl ProxyAuthRefused {
    fn message(&self) -> &'static str {
        if self.credentials_sent {
            "the proxy refused the credentials (407 Proxy Authentication Required): check the user and password of the proxy URL"
        } else {
            "the proxy requires credentials (407 Proxy Authentication Required): put them in the proxy URL, http://user:password@host:port"
        }
    }
}

impl fmt::Display for ProxyAuthRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.credentials_sent {
            "the proxy answered CONNECT with 407 to the credentials sent"
        } else {
            "the proxy answered CONNECT with 407 and no credentials were configured"
        })
    }
}

impl StdError for ProxyAuthRefused {}

/// Walks an error's cause chain, including the inner error of every `io::Error` (whose
/// `source()` skips its own payload and returns the payload's source instead).
pub(crate) fn chain<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let mut next = Some(err);
    std::iter::from_fn(move || {
        let current = next?;
        next = match current.downcast_ref::<std::io::Error>() {
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn StdError + 'static)),
                None => current.source(),
            },
            None => current.source(),
        };
        Some(current)
    })
}

/// The reason of a rustls error, from its typed certificate error (never from its text).
fn rejection_of(error: &rustls::Error) -> TlsRejection {
    use rustls::CertificateError as Cert;
    match error {
        rustls::Error::InvalidCertificate(cert) => match cert {
            Cert::UnknownIssuer => TlsRejection::UnknownIssuer,
            Cert::Expired | Cert::ExpiredContext { .. } => TlsRejection::Expired,
            Cert::NotValidYet | Cert::NotValidYetContext { .. } => TlsRejection::NotYetValid,
            Cert::NotValidForName | Cert::NotValidForNameContext { .. } => TlsRejection::WrongHost,
            _ => TlsRejection::Other,
        },
        _ => TlsRejection::Other,
    }
}

fn chain_has_tls_error(err: &(dyn StdError + 'static)) -> bool {
    chain(err).any(|e| e.is::<rustls::Error>())
}

fn chain_has_io_kind(err: &(dyn StdError + 'static), kind: std::io::ErrorKind) -> bool {
    chain(err).any(|e| e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == kind))
}

/// Classifies an error returned by the pooled client's `request()` future.
pub(crate) fn from_client_error(err: hyper_util::client::legacy::Error) -> Error {
    let dyn_err: &(dyn StdError + 'static) = &err;
    if err.is_connect() {
        // The connector failed: nothing of the request was written.
        let proxy_auth = chain(dyn_err).find_map(|e| e.downcast_ref::<ProxyAuthRefused>());
        let (kind, message) = if let Some(refused) = proxy_auth {
            (ErrorKind::ProxyAuth, refused.message())
        } else if chain_has_tls_error(dyn_err) {
            (ErrorKind::Tls, "TLS handshake with the server failed")
        } else if chain_has_io_kind(dyn_err, std::io::ErrorKind::TimedOut) {
            (ErrorKind::Connect, "timed out connecting to the server")
        } else {
            (ErrorKind::Connect, "could not connect to the server")
        };
        return Error::with_message(kind, false, message, Some(Box::new(err)));
    }
    // hyper hands a request back as "canceled" only when it was never written to the
    // connection (the pooled connection closed first).
    let canceled =
        chain(dyn_err).any(|e| e.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_canceled));
    if canceled {
        return Error::with_message(
            ErrorKind::Connect,
            false,
            "the connection closed before the request was sent",
            Some(Box::new(err)),
        );
    }
    from_in_flight_error(Box::new(err))
}

/// Classifies a failure after the request was handed to a connection.
pub(crate) fn from_in_flight_error(err: BoxError) -> Error {
    let dyn_err: &(dyn StdError + 'static) = &*err;
    if chain(dyn_err).any(|e| e.is::<http_body_util::LengthLimitError>()) {
        return Error::with_message(
            ErrorKind::BodyTooLarge,
            true,
            "the response body exceeds the configured limit",
            Some(err),
        );
    }
    if chain_has_io_kind(dyn_err, std::io::ErrorKind::TimedOut) {
        return Error::with_message(ErrorKind::Timeout, true, "the connection timed out", Some(err));
    }
    Error::with_message(
        ErrorKind::Io,
        true,
        "the connection failed while the request was in flight",
        Some(err),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_does_not_include_the_source() {
        let err = Error::new(ErrorKind::Io, true, "secret detail");
        assert_eq!(err.to_string(), "the connection failed while the request was in flight");
        assert_eq!(err.source().map(ToString::to_string).as_deref(), Some("secret detail"));
    }

    #[test]
    fn chain_looks_inside_io_errors() {
        let inner = rustls::Error::General("bad".into());
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner);
        let outer = Error::new(ErrorKind::Io, true, io);
        let outer: &(dyn StdError + 'static) = &outer;
        assert!(chain_has_tls_error(outer));
        assert!(chain_has_io_kind(outer, std::io::ErrorKind::InvalidData));
    }

    #[test]
    fn tls_rejections_are_read_from_the_certificate_error() {
        use rustls::CertificateError as Cert;
        let cases = [
            (rustls::Error::InvalidCertificate(Cert::UnknownIssuer), TlsRejection::UnknownIssuer),
            (rustls::Error::InvalidCertificate(Cert::Expired), TlsRejection::Expired),
            (rustls::Error::InvalidCertificate(Cert::NotValidYet), TlsRejection::NotYetValid),
            (rustls::Error::InvalidCertificate(Cert::NotValidForName), TlsRejection::WrongHost),
            (rustls::Error::InvalidCertificate(Cert::Revoked), TlsRejection::Other),
            (rustls::Error::General("no common version".into()), TlsRejection::Other),
        ];
        for (rustls, expected) in cases {
            // As hyper hands it over: inside an `io::Error`.
            let io = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls);
            let err = Error::new(ErrorKind::Tls, false, io);
            assert_eq!(err.tls_rejection(), Some(expected), "{err:?}");
        }
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls::Error::General("x".into()));
        assert_eq!(
            Error::new(ErrorKind::Io, true, io).tls_rejection(),
            None,
            "only a TLS error has a reason"
        );
    }

    fn length_limit_error() -> BoxError {
        use http_body_util::BodyExt as _;
        let body =
            http_body_util::Limited::new(http_body_util::Full::new(bytes::Bytes::from_static(b"abc")), 1);
        let runtime =
            tokio::runtime::Builder::new_current_thread().build().expect("a current-thread runtime builds");
        match runtime.block_on(body.collect()) {
            Ok(_) => panic!("a 3-byte body must exceed a 1-byte limit"),
            Err(err) => err,
        }
    }

    #[test]
    fn in_flight_classification_table() {
        let cases: Vec<(BoxError, ErrorKind)> = vec![
            (length_limit_error(), ErrorKind::BodyTooLarge),
            (Box::new(std::io::Error::from(std::io::ErrorKind::TimedOut)), ErrorKind::Timeout),
            (Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionReset)), ErrorKind::Io),
        ];
        for (source, expected) in cases {
            let err = from_in_flight_error(source);
            assert_eq!(err.kind(), expected);
            assert!(err.may_have_reached_server());
        }
    }
}
