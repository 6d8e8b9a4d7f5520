//! [`Client::dry_run`]: the request it returns is the one the real call sends, and nothing is sent.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::StreamExt;
use http::Request;

use super::fake::*;
use crate::*;

fn ids() -> (JobId, VersionId) {
    ("10".parse().unwrap(), "3".parse().unwrap())
}

/// A fake that keeps every request it is sent, whole.
fn recording(answer: fn() -> Answer) -> (Fake, Arc<Mutex<Vec<Request<Bytes>>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&seen);
    let fake = Fake::new(move |request, _| {
        keep.lock().unwrap().push(request.clone());
        answer()
    });
    (fake, seen)
}

fn same_request(a: &Request<Bytes>, b: &Request<Bytes>) {
    assert_eq!(a.method(), b.method());
    assert_eq!(a.uri(), b.uri());
    assert_eq!(a.headers(), b.headers());
    assert_eq!(a.body(), b.body());
}

#[tokio::test]
async fn a_dry_run_stop_is_exactly_the_request_the_real_stop_sends() {
    let time = ManualTime::at(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let (fake, seen) = recording(stop_ok);
    let client = client_on(fake, &time);
    let (job, version) = ids();
    let dry = client.dry_run(|c| async move { c.stop_training_job(job, version).await }).await.unwrap();
    assert!(seen.lock().unwrap().is_empty(), "a dry run sends nothing");
    assert!(time.sleeps().is_empty(), "a dry run neither retries nor backs off");
    assert_eq!(client.stop_training_job(job, version).await.unwrap(), StopOutcome::Accepted);
    let sent = seen.lock().unwrap();
    assert_eq!(sent.len(), 1);
    same_request(&dry, &sent[0]);
    assert!(dry.headers()["authorization"].is_sensitive());
    assert_eq!(dry.headers()["user-agent"], USER_AGENT);
}

#[tokio::test]
async fn a_dry_run_read_matches_the_real_read_and_signs_with_the_client_clock() {
    let time = ManualTime::at(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let (fake, seen) = recording(|| version(8));
    let client = client_on(fake, &time);
    let (job, version) = ids();
    let dry =
        client.dry_run(|c| async move { c.show_training_job_version(job, version).await }).await.unwrap();
    assert_eq!(dry.headers()["x-sdk-date"], "20231114T221320Z");
    client.show_training_job_version(job, version).await.unwrap();
    same_request(&dry, &seen.lock().unwrap()[0]);
}

#[tokio::test]
async fn a_dry_run_walk_shows_its_first_page_as_the_walk_asks_for_it() {
    let (fake, seen) = recording(|| json(200, r#"{"is_success":true,"jobs":[]}"#));
    let client = client(fake);
    let dry = client
        .dry_run(|c| async move {
            let mut jobs = std::pin::pin!(c.list_training_jobs_all(ListQuery::default()));
            jobs.next().await.transpose()
        })
        .await
        .unwrap();
    assert!(seen.lock().unwrap().is_empty());
    let query = dry.uri().query().unwrap_or_default();
    assert!(query.contains("page=1") && query.contains("per_page=100"), "{query}");
}

#[tokio::test]
async fn a_dry_run_reports_an_input_that_forms_no_request() {
    let (fake, seen) = recording(stop_ok);
    let client = client(fake);
    let query = ListQuery::default().with_per_page(5000);
    let err = client.dry_run(|c| async move { c.list_training_jobs(query).await }).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    let err = client.dry_run(|_| async { Ok::<(), Error>(()) }).await.unwrap_err();
    assert!(matches!(err, Error::Internal { .. }), "{err:?}");
    assert!(seen.lock().unwrap().is_empty());
}
