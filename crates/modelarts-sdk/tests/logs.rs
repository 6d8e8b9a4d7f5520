//! Logs and events against the emulator over HTTPS with signatures enforced. Time is injected: the
//! client's sleeper advances the emulator clock (so a log grows and a stop completes while the
//! follow "sleeps"), and its clock reads the emulator clock; no test waits on the wall clock.
#![allow(clippy::unwrap_used, reason = "test helpers fail the test on a broken fixture")]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use modelarts_emulator::{
    Emulator, EmulatorConfig, FaultScript, JobSeed, RunningEmulator, StateHandle, V2JobSeed, VersionSeed,
};
use modelarts_protocol::operations::v2::logs::ListEvents;
use modelarts_protocol::target::JobRef;
use modelarts_sdk::*;

const A: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";

/// Emulator time: sleeping advances the emulator clock; the monotonic clock counts the sleeps.
#[derive(Clone)]
struct EmulatorTime {
    state: StateHandle,
    slept_ms: Arc<AtomicU64>,
}

impl Clock for EmulatorTime {
    fn now(&self) -> SystemTime {
        self.state.now()
    }
    fn monotonic(&self) -> Duration {
        Duration::from_millis(self.slept_ms.load(Ordering::SeqCst))
    }
}

impl Sleeper for EmulatorTime {
    fn sleep(&self, duration: Duration) -> Sleep {
        self.state.advance_clock(duration);
        self.slept_ms.fetch_add(u64::try_from(duration.as_millis()).unwrap(), Ordering::SeqCst);
        Box::pin(tokio::task::yield_now())
    }
}

async fn start(config: EmulatorConfig) -> (RunningEmulator, Client) {
    let emulator = Emulator::start(config.tls(true)).await.unwrap();
    let c = emulator.credentials();
    let time = EmulatorTime { state: emulator.state().clone(), slept_ms: Arc::default() };
    let client = Client::builder()
        .endpoint_url(&emulator.endpoint())
        .ca_bundle(emulator.ca_cert_path().unwrap())
        .project_id(emulator.project_id())
        .credentials(Credentials::new(&c.access_key, &c.secret_key))
        .env(|_| None)
        .clock(time.clone())
        .sleeper(time)
        .build()
        .unwrap();
    (emulator, client)
}

fn v1(job: u64, version: u64) -> JobRef {
    JobRef::route(&job.to_string(), Some(&version.to_string()), None).unwrap()
}

fn options(stall_after: Option<Duration>) -> FollowOptions {
    let mut options = FollowOptions::default().with_lines(50).with_pacing(
        WaitOptions::default()
            .with_max_wait(Duration::from_secs(600))
            .with_min_delay(Duration::from_secs(1))
            .with_max_delay(Duration::from_secs(4)),
    );
    options.stall_after = stall_after;
    options
}

fn lines_of(events: &[LogEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            LogEvent::Line(l) => Some(l.clone()),
            _ => None,
        })
        .collect()
}

/// Follows `target`, stopping the job after `stop_after` lines; returns every event.
async fn follow_and_stop(
    client: &Client,
    target: LogTarget,
    opts: FollowOptions,
    stop_after: usize,
) -> Vec<LogEvent> {
    let mut stream = std::pin::pin!(client.follow_logs(target.clone(), opts));
    let mut events = Vec::new();
    let mut stopped = false;
    while let Some(event) = stream.next().await {
        let event = event.unwrap();
        let lines = lines_of(&events).len();
        let stall = matches!(event, LogEvent::Stalled { .. });
        events.push(event);
        if !stopped && (lines >= stop_after || stall) {
            stopped = true;
            match &target.job {
                JobRef::V1 { job, version } => {
                    client.stop_training_job(*job, *version).await.unwrap();
                }
                JobRef::V2(id) => {
                    let op = modelarts_protocol::operations::v2::terminate::TerminateTrainingJob::new(
                        client.project_id().clone(),
                        id.clone(),
                    );
                    client.call(&op).await.unwrap();
                }
            }
        }
        assert!(events.len() < 100_000, "the follow does not end");
    }
    events
}

#[tokio::test]
async fn follow_v1_pages_every_new_line_once_until_the_job_is_killed() {
    let (emulator, client) =
        start(EmulatorConfig::default().job(JobSeed::running(10, 20)).kill_after(Duration::from_secs(3)))
            .await;
    let events = follow_and_stop(&client, LogTarget::new(v1(10, 20)), options(None), 400).await;
    let seen = lines_of(&events);
    let full = emulator.state().log_lines(10, 20, 0).unwrap();
    // The first 50 lines, then each new one once: the lines seen are the log's end, exactly.
    assert!(seen.len() >= 400, "{}", seen.len());
    assert_eq!(seen, full[full.len() - seen.len()..]);
    assert!(seen.last().unwrap().ends_with("training ended: JOBSTAT_KILLED"));
    match events.last().unwrap() {
        LogEvent::Ended(state) => {
            assert!(state.stopped && state.terminal && state.name == "KILLED", "{state:?}")
        }
        other => panic!("{other:?}"),
    }
    // Each aom-log request asks after the last line seen (or is the first, for the latest lines).
    let journal = emulator.state().journal();
    let pages: Vec<_> = journal.iter().filter(|e| e.route.as_str() == "aom_log").collect();
    assert!(pages[0].query.as_deref().unwrap().starts_with("lines=50&log_file="));
    assert!(pages[1..].iter().all(|e| e.query.as_deref().unwrap().starts_with("base_line=")));
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_log_that_stops_moving_while_the_job_runs_is_reported_once() {
    let seed = JobSeed::new(10).version(VersionSeed::new(20).log_stall_after_lines(700));
    let (emulator, client) =
        start(EmulatorConfig::default().job(seed).kill_after(Duration::from_secs(1))).await;
    let events = follow_and_stop(
        &client,
        LogTarget::new(v1(10, 20)),
        options(Some(Duration::from_secs(10))),
        usize::MAX,
    )
    .await;
    let stalls: Vec<_> = events.iter().filter(|e| matches!(e, LogEvent::Stalled { .. })).collect();
    assert_eq!(stalls.len(), 1, "{stalls:?}");
    match stalls[0] {
        LogEvent::Stalled { quiet_for, status } => {
            assert!(*quiet_for >= Duration::from_secs(10));
            assert_eq!(status, "RUNNING");
        }
        _ => unreachable!(),
    }
    // Seeded with 60 s of run time (600 lines), the log grows to 700 lines and stops there.
    let seen = lines_of(&events);
    let full = emulator.state().log_lines(10, 20, 0).unwrap();
    assert_eq!(full.len(), 701);
    assert_eq!(seen, full[full.len() - seen.len()..]);
    // The 50 latest lines at the first read (the wall clock may have added a few lines since the
    // seeding), the growth to 700 while the follow slept, the closing line.
    assert!((50 + 1 + 1..=50 + 100 + 1).contains(&seen.len()), "{}", seen.len());
    assert!(matches!(events.last(), Some(LogEvent::Ended(_))));
    emulator.shutdown().await;
}

#[tokio::test]
async fn follow_v2_preview_until_terminated_and_events() {
    let (emulator, client) = start(
        EmulatorConfig::default()
            .v2_job(V2JobSeed::running(A).duration_ms(2_000))
            .kill_after(Duration::from_secs(2)),
    )
    .await;
    let target = LogTarget { job: JobRef::route(A, None, None).unwrap(), source: Some("worker-0".into()) };
    let events = follow_and_stop(&client, target, options(None), 300).await;
    let seen = lines_of(&events);
    let full = emulator.state().v2_log_lines(A, "worker-0").unwrap();
    assert!(seen.len() >= 300);
    assert_eq!(seen, full[full.len() - seen.len()..]);
    assert!(!events.iter().any(|e| matches!(e, LogEvent::Gap)));
    assert!(matches!(events.last(), Some(LogEvent::Ended(s)) if s.name == "Terminated"));

    let list =
        client.list_events(ListEvents::new(client.project_id().clone(), A.parse().unwrap())).await.unwrap();
    let messages: Vec<_> = list.events.iter().filter_map(|e| e.message.as_deref()).collect();
    assert_eq!(messages.len(), 4, "{messages:?}");
    assert!(messages[3].contains("Terminated"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn tail_reads_context_from_older_answers_and_checks_the_500_line_cap_before_sending() {
    let fault: FaultScript = serde_json::from_value(serde_json::json!({
        "route": "v2_log_preview",
        "steps": [{"status": 200, "body": {"context": "one\ntwo\nthree\n"}}]
    }))
    .unwrap();
    let (emulator, client) = start(
        EmulatorConfig::default().job(JobSeed::running(10, 20)).v2_job(V2JobSeed::running(A)).fault(fault),
    )
    .await;
    let v2 = LogTarget { job: JobRef::route(A, None, None).unwrap(), source: None };
    assert_eq!(client.log_tail(&v2, 2).await.unwrap(), ["two", "three"]);
    // The current field, from the emulator itself.
    let tail = client.log_tail(&v2, 5).await.unwrap();
    assert!(tail.is_empty() || tail[0].starts_with("[worker-0]"), "{tail:?}");

    emulator.state().clear_journal();
    let e = client.log_tail(&LogTarget::new(v1(10, 20)), 501).await.unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    assert!(format!("{:?}", std::error::Error::source(&e)).contains("500"), "{e:?}");
    assert!(emulator.state().journal().is_empty(), "nothing was sent");
    let tail = client.log_tail(&LogTarget::new(v1(10, 20)), 500).await.unwrap();
    assert_eq!(tail.len(), 500);
    emulator.shutdown().await;
}
