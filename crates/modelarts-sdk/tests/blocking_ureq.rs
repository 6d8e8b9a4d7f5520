//! The blocking client over ureq (the `blocking_ureq` example) against the emulator over HTTPS,
//! signatures enforced: one effective stop, then KILLED, decided by the emulator's read count.
#![allow(clippy::unwrap_used, reason = "a failure is a test failure")]

#[path = "../examples/blocking_ureq.rs"]
mod example;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use modelarts_emulator::{EmulatorConfig, FaultScript, FaultStep, JobSeed, RouteSelector};
use modelarts_sdk::{JobId, JobStatus, StopOutcome, VersionId};

#[test]
fn the_blocking_client_over_ureq_stops_and_waits_until_killed() {
    let demo = example::demo().unwrap();
    assert_eq!(demo.done.stop, StopOutcome::Accepted);
    assert_eq!(demo.done.version.status, JobStatus::Killed);
    // KILLING, KILLING, then KILLED on the read after 3 reads.
    assert!(demo.polls >= 3, "{} polls", demo.polls);
    assert_eq!(demo.effective_stops, 1);
    assert!(demo.all_signed, "every request verified by the emulator");
}

#[test]
fn the_blocking_client_reads_the_status_after_a_reset_stop_and_sleeps_before_retrying_a_503() {
    let (runtime, emulator) = example::start(
        EmulatorConfig::default()
            .never_kill()
            .job(JobSeed::running(10, 3))
            .fault(FaultScript::new(RouteSelector::Stop).step(FaultStep::reset_after_effect()))
            .fault(FaultScript::new(RouteSelector::Show).step(FaultStep::status(503))),
    )
    .unwrap();
    let slept = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&slept);
    let client = example::client(&emulator, move |d: Duration| recorded.lock().unwrap().push(d)).unwrap();
    let (job, version) = (JobId::new(10).unwrap(), VersionId::new(3).unwrap());

    // The reset came after the stop took effect: the status read (503, then KILLING) confirms it,
    // and the stop is not sent again.
    let outcome = client.stop_training_job(job, version).unwrap();
    assert_eq!(outcome, StopOutcome::ConfirmedByStatus(JobStatus::Killing));
    assert_eq!(emulator.state().effective_stops(10, 3), 1);
    let journal = emulator.state().journal();
    let methods: Vec<&str> = journal.iter().map(|e| e.method.as_str()).collect();
    assert_eq!(methods, ["POST", "GET", "GET"], "stop, the 503'd read, the read");
    // The retry of the 503 slept through the injected sleeper, once, and not for nothing.
    let slept = slept.lock().unwrap().clone();
    assert_eq!(slept.len(), 1, "{slept:?}");
    assert!(slept[0] > Duration::ZERO, "{slept:?}");
    runtime.block_on(emulator.shutdown());
}

#[test]
fn the_blocking_client_terminates_a_v2_job_and_waits_until_terminated() {
    use modelarts_emulator::{V2JobSeed, V2Phase};
    use modelarts_sdk::{Phase, PhaseStatus, StopOptions, WaitOptions};
    const ID: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
    const DONE: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ac";
    let (runtime, emulator) = example::start(
        EmulatorConfig::default()
            .kill_after_polls(2)
            .v2_job(V2JobSeed::running(ID))
            .v2_job(V2JobSeed::running(DONE).phase(V2Phase::Terminated)),
    )
    .unwrap();
    let client = example::client(&emulator, |_d: Duration| {}).unwrap();
    let id = ID.parse().unwrap();
    let options = WaitOptions::default().with_min_delay(Duration::from_millis(1));
    let done = client.terminate_and_wait(&id, options, |_| {}).unwrap();
    assert_eq!(done.stop, StopOutcome::Accepted);
    assert_eq!(done.job.phase(), Some(&Phase::Terminated));
    assert_eq!(emulator.state().v2_effective_terminates(ID), 1);
    // 409 ModelArts.2796 on a Terminated job: the phase read makes it a success.
    let again = client.terminate_training_job_with(&DONE.parse().unwrap(), StopOptions::default()).unwrap();
    assert_eq!(again, StopOutcome::AlreadyFinal(PhaseStatus::from_phase(&Phase::Terminated)));
    assert_eq!(client.list_training_jobs_v2_all(modelarts_sdk::V2ListQuery::default()).unwrap().len(), 2);
    runtime.block_on(emulator.shutdown());
}

#[test]
fn the_blocking_client_connects_with_a_password_login_and_finds_the_project() {
    let (runtime, emulator) = example::start(EmulatorConfig::default().job(JobSeed::running(10, 3))).unwrap();
    let sender = example::UreqSender::new(emulator.ca_cert_pem().unwrap(), Duration::from_secs(10)).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let client = modelarts_sdk::Client::builder()
        .region("cn-north-4")
        .endpoint_url(&emulator.endpoint())
        .iam_endpoint(&emulator.endpoint())
        .password_login("emulator-user", "emulator-password-0001", "emulator-domain")
        .cache_dir(Some(cache.path().to_path_buf()))
        .env(|_| None)
        .connect_blocking(sender)
        .unwrap();
    assert_eq!(client.project_id().as_str(), emulator.project_id());
    let detail =
        client.show_training_job_version(JobId::new(10).unwrap(), VersionId::new(3).unwrap()).unwrap();
    assert_eq!(detail.status, JobStatus::Running);
    let routes: Vec<_> = emulator.state().journal().iter().map(|e| e.route).collect();
    assert_eq!(routes, [modelarts_emulator::Route::IamTokens, modelarts_emulator::Route::Show]);
    runtime.block_on(emulator.shutdown());
}

/// A listener whose accept queue is full: further connections are never accepted (the kernel
/// drops their SYNs), as at an address where nothing answers. Returns it with the held connections.
/// Linux only: other kernels answer a full queue differently (a reset, or a SYN cookie).
#[cfg(target_os = "linux")]
fn never_accepting() -> (std::net::TcpListener, Vec<std::net::TcpStream>, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let connect = || std::net::TcpStream::connect_timeout(&address, Duration::from_millis(200));
    // More than any accept queue (`somaxconn` is at most 4096 by default): the loop ends on the
    // first connection the queue has no room for, and only there.
    let mut held = Vec::new();
    loop {
        match connect() {
            Ok(stream) => held.push(stream),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => break,
            Err(e) => panic!("connection {} failed otherwise than by a timeout: {e}", held.len() + 1),
        }
        assert!(held.len() <= 8192, "the accept queue never filled");
    }
    // And it stays full: one more connection times out too.
    let again = connect().unwrap_err();
    assert_eq!(again.kind(), std::io::ErrorKind::TimedOut, "{again}");
    (listener, held, format!("http://{address}"))
}

#[cfg(target_os = "linux")]
#[derive(Debug)]
struct NotSent;
#[cfg(target_os = "linux")]
impl std::fmt::Display for NotSent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not sent")
    }
}
#[cfg(target_os = "linux")]
impl std::error::Error for NotSent {}
#[cfg(target_os = "linux")]
impl modelarts_sdk::SendError for NotSent {
    fn may_have_reached_server(&self) -> bool {
        false
    }
}

#[cfg(target_os = "linux")]
#[test]
fn the_blocking_connect_gives_up_on_a_metadata_service_that_never_accepts_after_its_own_bound() {
    use modelarts_sdk::{Client, Error, METADATA_BOUND};
    let (_listener, held, url) = never_accepting();
    assert!(!held.is_empty(), "the queue took connections before it filled");
    let sent = Arc::new(Mutex::new(0usize));
    let counter = Arc::clone(&sent);
    let sender = move |_: http::Request<bytes::Bytes>| -> Result<http::Response<bytes::Bytes>, NotSent> {
        *counter.lock().unwrap() += 1;
        Err(NotSent)
    };
    let slept = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&slept);
    let started = std::time::Instant::now();
    let err = Client::builder()
        .region("cn-north-4")
        .project_id("0123456789abcdef0123456789abcdef")
        .cache_dir(None)
        .metadata_endpoint(&url)
        .blocking_sleeper(move |d: Duration| recorded.lock().unwrap().push(d))
        .env(|_| None)
        .connect_blocking(sender)
        .err()
        .unwrap();
    let elapsed = started.elapsed();
    let Error::Credentials { tried } = &err else { panic!("{err:?}") };
    let last = tried.last().unwrap();
    // The probe's own figure, on the real clock: about the bound, with room for a loaded machine.
    let took: f64 = last
        .split_once("(no answer within 1s; the probe took ")
        .and_then(|(_, rest)| rest.split_once("s;"))
        .and_then(|(number, _)| number.parse().ok())
        .unwrap_or_else(|| panic!("no probe time in {tried:?}"));
    assert!((0.9..10.0).contains(&took), "the probe took {took}s: {tried:?}");
    assert!(last.ends_with("MODELARTS_METADATA_ENDPOINT=off skips it)"), "{tried:?}");
    assert_eq!(*sent.lock().unwrap(), 0, "no request was handed to the sender");
    assert!(slept.lock().unwrap().is_empty(), "the bound is a connect timeout, not a sleep");
    assert!(elapsed >= METADATA_BOUND.mul_f64(0.9) && elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[test]
fn the_blocking_connect_takes_the_metadata_services_keys_without_waiting_for_the_bound() {
    use modelarts_emulator::{MetadataConfig, Route};
    use modelarts_sdk::{Client, ListQuery};
    let (runtime, emulator) = example::start(
        EmulatorConfig::default().job(JobSeed::running(10, 3)).metadata(MetadataConfig::enabled()),
    )
    .unwrap();
    let sender = example::UreqSender::new(emulator.ca_cert_pem().unwrap(), Duration::from_secs(10)).unwrap();
    let slept = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&slept);
    let client = Client::builder()
        .endpoint_url(&emulator.endpoint())
        .project_id(emulator.project_id())
        .cache_dir(None)
        .metadata_endpoint(&emulator.endpoint())
        .blocking_sleeper(move |d: Duration| recorded.lock().unwrap().push(d))
        .env(|_| None)
        .connect_blocking(sender)
        .unwrap();
    assert_eq!(client.list_training_jobs(ListQuery::default()).unwrap().jobs.len(), 1);
    let routes: Vec<Route> = emulator.state().journal().iter().map(|e| e.route).collect();
    assert_eq!(routes, [Route::MetadataToken, Route::MetadataSecurityKey, Route::List]);
    assert!(slept.lock().unwrap().is_empty(), "no sleep: {:?}", slept.lock().unwrap());
    runtime.block_on(emulator.shutdown());
}

/// The blocking client's share of the async one's newer methods: the running jobs of both APIs,
/// and the stop-then-wait of a target of either API, classified as a batch line is.
#[test]
fn the_blocking_client_stops_and_waits_for_targets_of_either_api() {
    use modelarts_emulator::V2JobSeed;
    use modelarts_sdk::{JobRef, StopOptions, WaitOptions};
    const ID: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
    let (runtime, emulator) = example::start(
        EmulatorConfig::default()
            .kill_after_polls(2)
            .job(JobSeed::running(10, 3))
            .v2_job(V2JobSeed::running(ID)),
    )
    .unwrap();
    let client = example::client(&emulator, |_d: Duration| {}).unwrap();
    let v1 = client.running_versions(None).unwrap();
    let v2 = client.running_training_jobs_v2(None).unwrap();
    assert_eq!((v1.len(), v2.len()), (1, 1));
    let options = WaitOptions::default().with_min_delay(Duration::from_millis(1));
    let targets = [JobRef::V1 { job: v1[0].0, version: v1[0].1 }, JobRef::V2(v2[0].clone())];
    for target in targets {
        let end = client.stop_target_and_wait(&target, StopOptions::default(), Some(options), |_| {});
        assert_eq!(end.outcome.name(), "stopped", "{target}: {end:?}");
        assert!(end.error.is_none(), "{target}: {end:?}");
    }
    assert_eq!(emulator.state().effective_stops(10, 3), 1);
    assert_eq!(emulator.state().v2_effective_terminates(ID), 1);
    runtime.block_on(emulator.shutdown());
}

/// Counts the sends in flight at once (the most seen), around the example's ureq sender.
struct Counting {
    inner: example::UreqSender,
    now: std::sync::atomic::AtomicUsize,
    most: Arc<std::sync::atomic::AtomicUsize>,
}

impl modelarts_sdk::BlockingHttpSend for Counting {
    type Error = <example::UreqSender as modelarts_sdk::BlockingHttpSend>::Error;

    fn send(
        &self,
        request: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, Self::Error> {
        use std::sync::atomic::Ordering;
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        let answer = self.inner.send(request);
        self.now.fetch_sub(1, Ordering::SeqCst);
        answer
    }
}

/// A blocking batch runs its concurrency on threads: with each stop held 300 ms by the server,
/// several are in flight at once (never more than the batch's concurrency), and every version
/// ends stopped; after the batch, sends are back on the calling thread.
#[test]
fn a_blocking_batch_sends_its_concurrent_stops_on_threads() {
    use modelarts_sdk::{BatchOptions, JobRef};
    let jobs = 1..=6u64;
    let mut config = EmulatorConfig::default().never_kill();
    for j in jobs.clone() {
        config = config.job(JobSeed::running(j, 10 + j));
    }
    let config = config.fault(FaultScript::new(RouteSelector::Stop).repeat(FaultStep::delay_ms(300), 6));
    let (runtime, emulator) = example::start(config).unwrap();
    let credentials = emulator.credentials();
    let sender = Counting {
        inner: example::UreqSender::new(emulator.ca_cert_pem().unwrap(), Duration::from_secs(10)).unwrap(),
        now: 0.into(),
        most: Arc::new(0.into()),
    };
    let most = Arc::clone(&sender.most);
    let client = modelarts_sdk::Client::builder()
        .endpoint_url(&emulator.endpoint())
        .project_id(emulator.project_id())
        .credentials(modelarts_sdk::Credentials::new(&credentials.access_key, &credentials.secret_key))
        .env(|_| None)
        .blocking_sleeper(|_: Duration| {})
        .build_blocking(sender)
        .unwrap();
    let targets: Vec<JobRef> = jobs
        .clone()
        .map(|j| JobRef::V1 { job: JobId::new(j).unwrap(), version: VersionId::new(10 + j).unwrap() })
        .collect();
    let events = Mutex::new(0usize);
    let report = client.batch_stop(targets, BatchOptions::default().with_concurrency(4), |_| {
        *events.lock().unwrap() += 1;
    });
    assert_eq!(report.outcomes.len(), 6);
    for (i, o) in report.outcomes.iter().enumerate() {
        assert_eq!(o.index, i);
        assert!(o.error.is_none(), "{o:?}");
        assert_eq!(o.stop, Some(StopOutcome::Accepted), "{o:?}");
    }
    for j in jobs {
        assert_eq!(emulator.state().effective_stops(j, 10 + j), 1);
    }
    assert!(*events.lock().unwrap() >= 6);
    let most = most.load(std::sync::atomic::Ordering::SeqCst);
    assert!((2..=4).contains(&most), "{most} sends in flight at once");
    // After the batch, a send runs on the calling thread again.
    let version =
        client.show_training_job_version(JobId::new(1).unwrap(), VersionId::new(11).unwrap()).unwrap();
    assert_eq!(version.status, JobStatus::Killing);
    runtime.block_on(emulator.shutdown());
}

/// A sender that panics.
struct Panicking;

impl modelarts_sdk::BlockingHttpSend for Panicking {
    type Error = <example::UreqSender as modelarts_sdk::BlockingHttpSend>::Error;

    fn send(&self, _: http::Request<bytes::Bytes>) -> Result<http::Response<bytes::Bytes>, Self::Error> {
        panic!("the sender broke");
    }
}

/// A sender's panic on a batch's thread is raised where the batch awaits the send, as on the
/// calling thread, so the batch reports it as that target's failure (as the async batch does); it
/// never waits forever for an answer that cannot come.
#[test]
fn a_panic_of_the_sender_on_a_batch_thread_is_raised_not_waited_for() {
    let client = modelarts_sdk::Client::builder()
        .endpoint_url("https://127.0.0.1:9")
        .project_id("0123456789abcdef0123456789abcdef")
        .credentials(modelarts_sdk::Credentials::new("AK0000000000000001", "SK"))
        .env(|_| None)
        .blocking_sleeper(|_: Duration| {})
        .build_blocking(Panicking)
        .unwrap();
    let target =
        modelarts_sdk::JobRef::V1 { job: JobId::new(1).unwrap(), version: VersionId::new(2).unwrap() };
    let report = client.batch_stop(vec![target], modelarts_sdk::BatchOptions::default(), |_| {});
    let outcome = &report.outcomes[0];
    assert_eq!(outcome.kind.name(), "failed", "{outcome:?}");
    assert!(outcome.error.as_ref().unwrap().to_string().contains("the sender broke"), "{outcome:?}");
}
