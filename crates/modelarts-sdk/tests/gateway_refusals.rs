//! The gateway's authentication refusals against the emulator over HTTPS: a batch with a wrong key
//! costs one refusal and never trips the gateway's lock of the access key; with the right key the
//! batch widens to its full concurrency once the credentials are proved; a locked key stops the
//! batch with a message that says so.
#![allow(clippy::unwrap_used, reason = "test helpers fail the test on a broken fixture")]

use std::time::Duration;

use modelarts_emulator::{
    Emulator, EmulatorConfig, FaultScript, FaultStep, JobSeed, Route, RouteSelector, RunningEmulator,
};
use modelarts_sdk::*;

const TARGETS: u64 = 50;
const CONCURRENCY: usize = 16;

async fn start(config: EmulatorConfig) -> RunningEmulator {
    let mut config = config.never_kill();
    for job in 1..=TARGETS {
        config = config.job(JobSeed::running(job, job * 10));
    }
    Emulator::start(config.tls(true)).await.unwrap()
}

fn client(emulator: &RunningEmulator, secret_key: &str) -> Client {
    let c = emulator.credentials();
    Client::builder()
        .endpoint_url(&emulator.endpoint())
        .ca_bundle(emulator.ca_cert_path().unwrap())
        .project_id(emulator.project_id())
        .credentials(Credentials::new(&c.access_key, secret_key))
        .env(|_| None)
        .build()
        .unwrap()
}

fn targets() -> Vec<JobRef> {
    (1..=TARGETS)
        .map(|j| JobRef::V1 { job: JobId::new(j).unwrap(), version: VersionId::new(j * 10).unwrap() })
        .collect()
}

fn options() -> BatchOptions {
    BatchOptions::default().with_concurrency(CONCURRENCY)
}

fn stops_sent(emulator: &RunningEmulator) -> usize {
    emulator.state().journal().iter().filter(|e| e.route == Route::Stop).count()
}

fn reasons(emulator: &RunningEmulator) -> Vec<String> {
    emulator.state().journal().iter().filter_map(|e| e.auth.reason.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_a_wrong_secret_key_sends_one_stop_and_never_trips_the_lock() {
    let emulator = start(EmulatorConfig::default()).await;
    let client = client(&emulator, "not-the-secret-key-of-this-access-key");
    let report = client.batch_stop(targets(), options(), |_| {}).await;

    let sent = stops_sent(&emulator);
    assert!(sent <= 2, "{sent} stops sent: {:?}", reasons(&emulator));
    assert!(
        !reasons(&emulator).iter().any(|r| r.contains("failed to reach the limit")),
        "the key was locked: {:?}",
        reasons(&emulator)
    );
    assert_eq!(report.outcomes.len(), TARGETS as usize);
    let counts = report.counts();
    assert_eq!(counts.of("not_sent"), TARGETS as usize, "{}", counts.summary());
    let not_sent: Vec<_> =
        report.outcomes.iter().filter(|o| matches!(o.error, Some(Error::NotSent { .. }))).collect();
    assert_eq!(not_sent.len(), TARGETS as usize - 1, "every target but the first was held back");
    for outcome in &not_sent {
        assert_eq!(outcome.kind, BatchOutcomeKind::NotSent { status: None, wait_gave_up: false });
        let text = outcome.error.as_ref().unwrap().to_string();
        assert!(text.contains("verify aksk signature fail"), "{text}");
        assert!(text.contains("secret key is wrong"), "{text}");
        assert!(text.contains("locks an access key for 5 minutes"), "{text}");
    }
    // The key is not locked: the right one still works at once.
    let right = client_right(&emulator);
    right.list_training_jobs(ListQuery::default()).await.unwrap();
    emulator.shutdown().await;
}

fn client_right(emulator: &RunningEmulator) -> Client {
    let sk = emulator.credentials().secret_key.clone();
    client(emulator, &sk)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_right_key_the_stops_in_flight_reach_the_full_concurrency() {
    // Slow stops, so that the batch's stops overlap when it sends them at once.
    let slow = FaultScript::new(RouteSelector::Stop).repeat(FaultStep::delay_ms(150), TARGETS as usize);
    let emulator = start(EmulatorConfig::default().fault(slow)).await;
    let client = client_right(&emulator);
    let report = client.batch_stop(targets(), options(), |_| {}).await;
    assert!(report.all_succeeded(), "{}", report.counts().summary());
    assert_eq!(stops_sent(&emulator), TARGETS as usize);
    assert_eq!(emulator.state().max_stops_in_flight(), CONCURRENCY as u64);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_success_proves_the_credentials_and_the_batch_widens_at_once() {
    let slow = FaultScript::new(RouteSelector::Stop).repeat(FaultStep::delay_ms(150), CONCURRENCY);
    let emulator = start(EmulatorConfig::default().fault(slow)).await;
    let client = client_right(&emulator);
    client.list_training_jobs(ListQuery::default()).await.unwrap();
    let few: Vec<JobRef> = targets().into_iter().take(CONCURRENCY).collect();
    let report = client.batch_stop(few, options(), |_| {}).await;
    assert!(report.all_succeeded(), "{}", report.counts().summary());
    // The first stop was not sent alone: all of them overlapped.
    assert_eq!(emulator.state().max_stops_in_flight(), CONCURRENCY as u64);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_key_stops_the_batch_and_the_message_says_for_how_long() {
    let emulator = start(EmulatorConfig::default().ak_lock(Duration::from_secs(60))).await;
    // Another tool's failures lock the key first.
    let wrong = client(&emulator, "not-the-secret-key-of-this-access-key");
    for _ in 0..6 {
        assert!(wrong.list_training_jobs(ListQuery::default()).await.is_err());
    }
    let client = client_right(&emulator);
    emulator.state().clear_journal();
    let report = client.batch_stop(targets(), options(), |_| {}).await;
    assert_eq!(stops_sent(&emulator), 1);
    assert_eq!(report.counts().of("not_sent"), TARGETS as usize, "{}", report.counts().summary());
    let first = report.outcomes.iter().find(|o| matches!(o.error, Some(Error::Service { .. }))).unwrap();
    let refusal = first.error.as_ref().unwrap().api_error().unwrap();
    assert!(refusal.message().unwrap().contains("AK access failed to reach the limit,forbidden"));
    let held = report.outcomes.iter().find(|o| matches!(o.error, Some(Error::NotSent { .. }))).unwrap();
    let text = held.error.as_ref().unwrap().to_string();
    assert!(text.contains("the access key is locked"), "{text}");
    assert!(text.contains("wait up to 5 minutes"), "{text}");
    assert!(text.contains("locked until about "), "{text}");
    emulator.shutdown().await;
}
