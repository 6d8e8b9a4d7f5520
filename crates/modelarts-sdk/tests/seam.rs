//! Any sender's error reaches the SDK's decisions and categories through `SendError` alone: the
//! kinds a sender reports decide retry, category and exit code, and the error itself comes back
//! with `downcast_ref`.
#![allow(clippy::unwrap_used, reason = "a failure is a test failure")]

use std::cell::Cell;

use bytes::Bytes;
use modelarts_sdk::{Client, Credentials, Error, ErrorCategory, SendError};

/// A sender's own error, of a kind chosen by the test.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Failure {
    Refused,
    Tls,
    ProxyAuth,
    Oversized,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for Failure {}

impl SendError for Failure {
    fn may_have_reached_server(&self) -> bool {
        *self == Failure::Oversized
    }
    fn is_tls_rejected(&self) -> bool {
        *self == Failure::Tls
    }
    fn is_proxy_auth_rejected(&self) -> bool {
        *self == Failure::ProxyAuth
    }
    fn is_oversized(&self) -> bool {
        *self == Failure::Oversized
    }
}

fn builder() -> modelarts_sdk::ClientBuilder {
    Client::builder()
        .endpoint_url("https://modelarts.example.test")
        .project_id("0123456789abcdef0123456789abcdef")
        .credentials(Credentials::new("AKEXAMPLE0001", "secret"))
        .max_attempts(3)
        .jitter(|| 0.0)
        .env(|_| None)
}

#[test]
fn a_blocking_senders_error_kinds_decide_retries_and_categories() {
    let cases = [
        // Refused never reached the server: retried until the attempts are spent.
        (Failure::Refused, 3, ErrorCategory::Transient),
        (Failure::Tls, 1, ErrorCategory::Config),
        (Failure::ProxyAuth, 1, ErrorCategory::Config),
        (Failure::Oversized, 1, ErrorCategory::Malformed),
    ];
    for (failure, attempts, category) in cases {
        let sent = Cell::new(0);
        let sender = |_: http::Request<Bytes>| -> Result<http::Response<Bytes>, Failure> {
            sent.set(sent.get() + 1);
            Err(failure)
        };
        let client = builder().blocking_sleeper(|_: std::time::Duration| {}).build_blocking(sender).unwrap();
        let error = client.show_training_job_version("1".parse().unwrap(), "2".parse().unwrap()).unwrap_err();
        assert_eq!(error.category(), category, "{failure:?}");
        assert_eq!(error.attempts(), attempts, "{failure:?}");
        assert_eq!(sent.get(), attempts, "{failure:?}");
        match &error {
            Error::Transport { source, .. } => {
                assert_eq!(source.downcast_ref::<Failure>(), Some(&failure));
                assert_eq!(source.to_string(), failure.to_string());
            }
            other => panic!("{failure:?}: {other:?}"),
        }
    }
}

#[test]
fn an_async_closure_is_a_sender_and_its_stop_is_not_resent_blindly() {
    // A stop whose request may have reached the server is not sent again before the status is
    // read: here the read fails too, so the stop's error stands after one stop request.
    let stops = Cell::new(0);
    let sender = |request: http::Request<Bytes>| {
        if request.method() == http::Method::POST {
            stops.set(stops.get() + 1);
        }
        std::future::ready(Err::<http::Response<Bytes>, _>(Failure::Oversized))
    };
    let client = builder().build_with(sender).unwrap();
    let stop = client.stop_training_job("1".parse().unwrap(), "2".parse().unwrap());
    let mut stop = std::pin::pin!(stop);
    let outcome = match stop.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(outcome) => outcome,
        std::task::Poll::Pending => panic!("nothing here waits"),
    };
    assert_eq!(outcome.unwrap_err().category(), ErrorCategory::Malformed);
    assert_eq!(stops.get(), 1);
}
