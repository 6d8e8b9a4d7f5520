//! What the SDK logs: one span per attempt with its fields, and never a secret.

use std::io::Write;
use std::sync::{Arc, Mutex};

use super::fake::*;
use crate::*;

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

#[tokio::test(start_paused = true)]
async fn attempts_are_logged_in_spans_without_secrets() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = Fake::new(|_, n| if n == 0 { api_error(503, "APIG.0202") } else { version(8) });
    let client = client_with(fake, |b| {
        b.credentials(
            Credentials::new("AKLOGGED00001", "SECRETSKNEVERLOGGED").with_security_token("TOKENNEVERLOGGED"),
        )
    });
    client.show_training_job_version("10".parse().unwrap(), "3".parse().unwrap()).await.unwrap();
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

#[tokio::test]
async fn a_dry_run_logs_no_attempt_it_did_not_make() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let client = client(Fake::new(|_, _| api_error(400, "ModelArts.2775")));
    let (job, version) = ("10".parse().unwrap(), "3".parse().unwrap());
    let request = client.dry_run(|c| async move { c.stop_training_job(job, version).await }).await.unwrap();
    assert_eq!(request.method(), http::Method::POST);
    // The same call for real is logged: the subscriber is listening.
    client.show_training_job_version(job, version).await.unwrap_err();
    let log = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("show_training_job_version"), "{log}");
    assert!(!log.contains("stop_training_job"), "{log}");
    assert!(!log.contains("TLS"), "{log}");
}

/// The futures a command line awaits or spawns are `Send`.
#[allow(dead_code, reason = "compile-time check only")]
fn futures_are_send(client: &Client, job: JobId, version: VersionId) {
    fn is_send<F: Send>(_: F) {}
    is_send(client.stop_training_job(job, version));
    is_send(client.stop_and_wait(job, version, WaitOptions::default(), |_| {}));
    is_send(client.batch_stop(Vec::new(), BatchOptions::default(), |_| {}));
    is_send(client.list_training_jobs_all(ListQuery::default()));
    is_send(client.running_versions(None));
}
