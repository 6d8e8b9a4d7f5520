//! What the SDK logs: one span per attempt with its fields, and never a secret.
//!
//! A binary of its own, its tests one at a time: a thread-local subscriber in a process where other
//! tests create and drop subscribers of their own races tracing's per-callsite interest cache (a
//! span can be cached as uninteresting by another thread just before this subscriber exists).
#![allow(clippy::unwrap_used, reason = "a failure is a test failure")]

use std::cell::Cell;
use std::io::Write;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use modelarts_sdk::{Client, Credentials, SendError};

/// Held by each test for its whole run.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// This sender never fails: every answer is scripted.
#[derive(Debug, thiserror::Error)]
#[error("never")]
struct Never;

impl SendError for Never {
    fn may_have_reached_server(&self) -> bool {
        true
    }
}

fn answer(status: u16, body: &str) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-request-id", "req-fake")
        .body(Bytes::from(body.to_owned()))
        .unwrap()
}

fn capture() -> (Buffer, tracing::subscriber::DefaultGuard) {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    (buffer, tracing::subscriber::set_default(subscriber))
}

fn client_over<S: modelarts_sdk::HttpSend<Error: Send + Sync + 'static>>(sender: S) -> Client<S> {
    Client::builder()
        .endpoint_url("https://modelarts.example.test")
        .project_id("0123456789abcdef0123456789abcdef")
        .credentials(
            Credentials::new("AKLOGGED00001", "SECRETSKNEVERLOGGED").with_security_token("TOKENNEVERLOGGED"),
        )
        .env(|_| None)
        .build_with(sender)
        .unwrap()
}

#[tokio::test]
#[allow(clippy::await_holding_lock, reason = "the lock only keeps the tests of this binary apart")]
async fn a_dry_run_logs_no_attempt_it_did_not_make() {
    let _serial = one_at_a_time();
    let (buffer, _guard) = capture();
    let client = client_over(|_: http::Request<Bytes>| {
        std::future::ready(Ok::<_, Never>(answer(
            400,
            r#"{"is_success":false,"error_code":"ModelArts.2775","error_message":"scripted"}"#,
        )))
    });
    let (job, version) = ("10".parse().unwrap(), "3".parse().unwrap());
    let request = client.dry_run(|c| async move { c.stop_training_job(job, version).await }).await.unwrap();
    assert_eq!(request.method(), http::Method::POST);
    // The same kind of call for real is logged: the subscriber is listening.
    client.show_training_job_version(job, version).await.unwrap_err();
    let log = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("show_training_job_version"), "{log}");
    assert!(!log.contains("stop_training_job"), "{log}");
    assert!(!log.contains("TLS"), "{log}");
}

#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock, reason = "the lock only keeps the tests of this binary apart")]
async fn attempts_are_logged_in_spans_without_secrets() {
    let _serial = one_at_a_time();
    let (buffer, _guard) = capture();
    let sent = Cell::new(0);
    let sender = |_: http::Request<Bytes>| {
        let n = sent.get();
        sent.set(n + 1);
        std::future::ready(Ok::<_, Never>(if n == 0 {
            answer(503, r#"{"is_success":false,"error_code":"APIG.0202","error_message":"scripted"}"#)
        } else {
            answer(200, r#"{"is_success":true,"job_id":10,"version_id":3,"status":8}"#)
        }))
    };
    let client = client_over(sender);
    client.show_training_job_version("10".parse().unwrap(), "3".parse().unwrap()).await.unwrap();
    assert_eq!(sent.get(), 2);
    let log = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("modelarts.attempt"), "{log}");
    assert!(log.contains("operation=\"show_training_job_version\""), "{log}");
    assert!(log.contains("attempt=1") && log.contains("attempt=2"), "{log}");
    assert!(log.contains("max_attempts=3"), "{log}");
    assert!(log.contains("status=503") && log.contains("status=200"), "{log}");
    assert!(log.contains("request_id=\"req-fake\""), "{log}");
    assert!(log.contains("outcome=\"retry\"") && log.contains("backoff_ms="), "{log}");
    for secret in ["SECRETSKNEVERLOGGED", "TOKENNEVERLOGGED", "SDK-HMAC-SHA256", "Signature="] {
        assert!(!log.contains(secret), "{secret} leaked: {log}");
    }
}
