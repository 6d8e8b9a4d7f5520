//! The HTTP-client seam: what a client must do for the ModelArts machines to drive it. It depends on
//! `http` and `bytes` only, so any HTTP stack (async or blocking, native or wasm) can fill it.
//!
//! - [`HttpSend`] (async) and [`BlockingHttpSend`] send one request and return the whole response;
//!   any status is an `Ok`.
//! - Their error is the implementation's own, as long as it says whether the request may have
//!   reached the server ([`SendError::may_have_reached_server`]): a non-idempotent stop is only
//!   re-sent when it provably was not, or after its status was read.
//! - Neither trait requires `Send`: a driver that needs `Send` futures asks for it where it needs it.
//! - Closures implement both, so a test or a one-off client needs no type of its own:
//!
//! ```
//! use bytes::Bytes;
//! use modelarts_http::{BlockingHttpSend, SendError};
//!
//! #[derive(Debug)]
//! struct Refused;
//! impl std::fmt::Display for Refused {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//!         f.write_str("connection refused")
//!     }
//! }
//! impl std::error::Error for Refused {}
//! impl SendError for Refused {
//!     fn may_have_reached_server(&self) -> bool {
//!         false
//!     }
//! }
//!
//! let client = |_request: http::Request<Bytes>| -> Result<http::Response<Bytes>, Refused> { Err(Refused) };
//! let error = BlockingHttpSend::send(&client, http::Request::new(Bytes::new())).unwrap_err();
//! assert!(!error.may_have_reached_server());
//! ```

use std::future::Future;

use bytes::Bytes;

pub use bytes;
pub use http;

/// A failure to get a complete response.
pub trait SendError: std::error::Error {
    /// Whether the request may have reached the server: false only when it provably never left
    /// (name resolution, connect, the TLS handshake); true once it may have been written.
    fn may_have_reached_server(&self) -> bool;

    /// Whether the TLS handshake rejected the server (certificate, protocol version): nothing was
    /// sent, and another attempt would meet the same server. Default: false.
    fn is_tls_rejected(&self) -> bool {
        false
    }

    /// Why the TLS handshake rejected the server, when it did ([`is_tls_rejected`]): what a
    /// caller tells its user to check. Default: [`TlsRejection::Other`] for a TLS rejection (the
    /// reason unknown), `None` otherwise; a client that knows the reason overrides it, and keeps
    /// [`is_tls_rejected`] true whenever this is `Some`.
    ///
    /// [`is_tls_rejected`]: SendError::is_tls_rejected
    fn tls_rejection(&self) -> Option<TlsRejection> {
        self.is_tls_rejected().then_some(TlsRejection::Other)
    }

    /// Whether a proxy refused the request for want of (valid) proxy credentials (407): a
    /// configuration failure, never retried. Default: false.
    fn is_proxy_auth_rejected(&self) -> bool {
        false
    }

    /// Whether the answer was larger than the client accepts: unreadable, not retried. Default:
    /// false.
    fn is_oversized(&self) -> bool {
        false
    }
}

/// Why the TLS handshake rejected the server ([`SendError::tls_rejection`]): each reason has its
/// own remedy (trust a CA, set the clock, use the right host name).
///
/// New reasons may be added; match with a wildcard arm, which should treat the rejection as
/// [`Other`](TlsRejection::Other).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsRejection {
    /// The certificate chain does not lead to a trusted CA (a private CA, a TLS-inspecting proxy,
    /// a self-signed certificate).
    UnknownIssuer,
    /// The certificate has expired (or this machine's clock is ahead).
    Expired,
    /// The certificate is not valid yet (or this machine's clock is behind).
    NotYetValid,
    /// The certificate is valid, but for other host names than the one connected to.
    WrongHost,
    /// Another rejection: another certificate defect, no common protocol version or cipher suite,
    /// an alert from the server, or a reason the client does not tell.
    Other,
}

/// Sends one request and reads the whole response, asynchronously.
pub trait HttpSend {
    /// Why no complete response came.
    type Error: SendError;

    /// Sends `request` and reads the whole response body.
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> impl Future<Output = Result<http::Response<Bytes>, Self::Error>>;
}

/// Sends one request and reads the whole response, blocking the calling thread.
pub trait BlockingHttpSend {
    /// Why no complete response came.
    type Error: SendError;

    /// Sends `request` and reads the whole response body.
    fn send(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, Self::Error>;
}

impl<F, Fut, E> HttpSend for F
where
    F: Fn(http::Request<Bytes>) -> Fut,
    Fut: Future<Output = Result<http::Response<Bytes>, E>>,
    E: SendError,
{
    type Error = E;

    fn send(&self, request: http::Request<Bytes>) -> impl Future<Output = Result<http::Response<Bytes>, E>> {
        self(request)
    }
}

impl<F, E> BlockingHttpSend for F
where
    F: Fn(http::Request<Bytes>) -> Result<http::Response<Bytes>, E>,
    E: SendError,
{
    type Error = E;

    fn send(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, E> {
        self(request)
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    #[derive(Debug, PartialEq)]
    struct Reset;

    impl std::fmt::Display for Reset {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("connection reset")
        }
    }

    impl std::error::Error for Reset {}

    impl SendError for Reset {
        fn may_have_reached_server(&self) -> bool {
            true
        }
    }

    fn ok(status: u16) -> http::Response<Bytes> {
        http::Response::builder().status(status).body(Bytes::from_static(b"{}")).unwrap()
    }

    /// Polls a future that is ready at once (the closures below never wait).
    fn ready<T>(future: impl Future<Output = T>) -> T {
        let mut future = pin!(future);
        match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(value) => value,
            Poll::Pending => panic!("the future was not ready"),
        }
    }

    fn blocking_status<S: BlockingHttpSend>(sender: &S) -> Result<u16, bool> {
        sender
            .send(http::Request::new(Bytes::new()))
            .map(|r| r.status().as_u16())
            .map_err(|e| e.may_have_reached_server())
    }

    async fn async_status<S: HttpSend>(sender: &S) -> Result<u16, bool> {
        sender
            .send(http::Request::new(Bytes::new()))
            .await
            .map(|r| r.status().as_u16())
            .map_err(|e| e.may_have_reached_server())
    }

    #[test]
    fn closures_are_blocking_senders() {
        let answers = |request: http::Request<Bytes>| -> Result<http::Response<Bytes>, Reset> {
            if request.method() == http::Method::POST { Err(Reset) } else { Ok(ok(204)) }
        };
        assert_eq!(blocking_status(&answers), Ok(204));
        let post = http::Request::post("/stop").body(Bytes::new()).unwrap();
        let error = BlockingHttpSend::send(&answers, post).unwrap_err();
        assert!(error.may_have_reached_server() && !error.is_tls_rejected());
        assert_eq!(error.tls_rejection(), None);
    }

    #[test]
    fn a_tls_rejection_without_a_reason_is_other() {
        #[derive(Debug)]
        struct Handshake;
        impl std::fmt::Display for Handshake {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("handshake failed")
            }
        }
        impl std::error::Error for Handshake {}
        impl SendError for Handshake {
            fn may_have_reached_server(&self) -> bool {
                false
            }
            fn is_tls_rejected(&self) -> bool {
                true
            }
        }
        assert_eq!(Handshake.tls_rejection(), Some(TlsRejection::Other));
    }

    #[test]
    fn async_closures_are_senders_without_send() {
        // An `Rc` makes the closure and its futures `!Send`: the seam does not mind.
        let count = std::rc::Rc::new(std::cell::Cell::new(0));
        let counted = count.clone();
        let sender = move |_request: http::Request<Bytes>| {
            let counted = counted.clone();
            async move {
                counted.set(counted.get() + 1);
                if counted.get() == 1 { Err(Reset) } else { Ok::<_, Reset>(ok(200)) }
            }
        };
        assert_eq!(ready(async_status(&sender)), Err(true));
        assert_eq!(ready(async_status(&sender)), Ok(200));
        assert_eq!(count.get(), 2);
    }
}
