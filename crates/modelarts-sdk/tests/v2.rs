//! The v2 API (UUID jobs) against the emulator over real sockets, HTTPS and plain HTTP: terminate,
//! the safe stop on 409 `ModelArts.2796` and on an ambiguous failure, terminate-and-wait, show, one
//! page and every page of the list, and batches that mix v1 and v2 targets.
#![allow(clippy::unwrap_used, reason = "a failure is a test failure")]

use std::time::Duration;

use futures_util::StreamExt;
use modelarts_emulator::{
    Emulator, EmulatorConfig, FaultScript, FaultStep, JobSeed, RouteSelector, RunningEmulator, V2JobSeed,
    V2Phase, VersionSeed, status,
};
use modelarts_sdk::*;

const A: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
const B: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ac";
const C: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ad";

async fn start(config: EmulatorConfig) -> RunningEmulator {
    Emulator::start(config.tls(true)).await.unwrap()
}

fn client(emulator: &RunningEmulator) -> Client {
    let c = emulator.credentials();
    let mut b = Client::builder()
        .endpoint_url(&emulator.endpoint())
        .project_id(emulator.project_id())
        .credentials(Credentials::new(&c.access_key, &c.secret_key))
        .env(|_| None);
    match emulator.ca_cert_path() {
        Some(ca) => b = b.ca_bundle(ca),
        None => b = b.allow_http(true),
    }
    b.build().unwrap()
}

fn id(text: &str) -> TrainingJobId {
    text.parse().unwrap()
}

fn fast_wait() -> WaitOptions {
    WaitOptions::default()
        .with_max_wait(Duration::from_secs(20))
        .with_min_delay(Duration::from_millis(10))
        .with_max_delay(Duration::from_millis(50))
}

/// The terminate requests the emulator received for one job.
fn terminates(emulator: &RunningEmulator, job: &str) -> usize {
    emulator
        .state()
        .journal()
        .iter()
        .filter(|e| e.method == "POST" && e.path.ends_with(&format!("/training-jobs/{job}/actions")))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_and_wait_over_https_and_plain_http() {
    for tls in [true, false] {
        let emulator = Emulator::start(
            EmulatorConfig::default()
                .tls(tls)
                .v2_job(V2JobSeed::running(A).name("train-a"))
                .kill_after_polls(2),
        )
        .await
        .unwrap();
        let client = client(&emulator);
        let polls = std::sync::Mutex::new(Vec::new());
        let done = client
            .terminate_and_wait(&id(A), fast_wait(), |j| {
                polls.lock().unwrap().push(PhaseStatus::of(j).to_string())
            })
            .await
            .unwrap();
        assert_eq!(done.stop, StopOutcome::Accepted, "tls={tls}");
        assert_eq!(done.job.phase(), Some(&Phase::Terminated));
        assert_eq!(done.job.name(), Some("train-a"));
        let polls = polls.into_inner().unwrap();
        assert_eq!(polls.last().map(String::as_str), Some("Terminated"), "{polls:?}");
        assert!(polls.iter().any(|p| p == "Terminating"), "{polls:?}");
        assert_eq!(emulator.state().v2_phase(A), Some(V2Phase::Terminated));
        assert_eq!(emulator.state().v2_effective_terminates(A), 1);
        let shown = client.show_training_job(&id(A)).await.unwrap();
        assert_eq!(shown.id().as_ref(), Some(&id(A)));
        emulator.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_409_2796_is_decided_by_the_phase() {
    let emulator = start(
        EmulatorConfig::default()
            .v2_job(V2JobSeed::running(A).phase(V2Phase::Terminated))
            .v2_job(V2JobSeed::running(B).phase(V2Phase::Terminating))
            .v2_job(V2JobSeed::running(C).phase(V2Phase::Completed))
            .never_kill(),
    )
    .await;
    let client = client(&emulator);
    let a = client.terminate_training_job(&id(A)).await.unwrap();
    assert_eq!(a.name(), "already_final");
    assert_eq!(a.status().map(|s| s.to_string()).as_deref(), Some("Terminated"));
    let b = client.terminate_training_job(&id(B)).await.unwrap();
    assert_eq!(b.name(), "already_stopping");
    let c = client.terminate_training_job(&id(C)).await.unwrap();
    assert_eq!(c, StopOutcome::EndedOtherwise(PhaseStatus::from_phase(&Phase::Completed)));
    // Strict: the refusal as the service said it, no phase read.
    let strict = client
        .terminate_training_job_with(&id(A), StopOptions::default().with_strict(true))
        .await
        .unwrap_err();
    assert_eq!(strict.api_error().and_then(|e| e.code()), Some("ModelArts.2796"), "{strict:?}");
    assert_eq!(strict.api_error().map(|e| e.http_status()), Some(409));
    // Each terminate was sent once: the refusal is not retried.
    assert_eq!(terminates(&emulator, A), 2);
    assert_eq!(terminates(&emulator, B), 1);
    // A job that ended otherwise, waited for: the error carries the last job object.
    let ended = client.terminate_and_wait(&id(C), fast_wait(), |_| {}).await.unwrap_err();
    match ended {
        WaitError::OtherFinalState(job) => assert_eq!(job.phase(), Some(&Phase::Completed)),
        other => panic!("{other:?}"),
    }
    // Unknown job: not found (ModelArts.2775).
    let missing =
        client.terminate_training_job(&id("00000000-0000-4000-8000-000000000000")).await.unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ambiguous_terminate_is_confirmed_by_the_phase_and_not_sent_twice() {
    let emulator = start(EmulatorConfig::default().v2_job(V2JobSeed::running(A)).never_kill()).await;
    // The terminate takes effect, then the connection is reset without an answer.
    emulator
        .state()
        .add_faults(
            FaultScript::new(RouteSelector::V2Terminate)
                .training_job(A)
                .step(FaultStep::reset_after_effect()),
        )
        .unwrap();
    let client = client(&emulator);
    let outcome = client.terminate_training_job(&id(A)).await.unwrap();
    assert_eq!(outcome, StopOutcome::ConfirmedByStatus(PhaseStatus::from_phase(&Phase::Terminating)));
    assert_eq!(terminates(&emulator, A), 1, "the phase read showed it took effect: no second terminate");
    assert_eq!(emulator.state().v2_effective_terminates(A), 1);

    // A 502 before the effect: the phase still reads Running, so the terminate is sent again.
    emulator.state().seed_v2_jobs([V2JobSeed::running(B)]);
    emulator
        .state()
        .add_faults(FaultScript::new(RouteSelector::V2Terminate).training_job(B).step(FaultStep::status(502)))
        .unwrap();
    let outcome = client.terminate_training_job(&id(B)).await.unwrap();
    assert_eq!(outcome, StopOutcome::Accepted);
    assert_eq!(terminates(&emulator, B), 2);
    assert_eq!(emulator.state().v2_effective_terminates(B), 1);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_that_times_out_carries_the_last_job() {
    let emulator = start(EmulatorConfig::default().v2_job(V2JobSeed::running(A)).never_kill()).await;
    let client = client(&emulator);
    let options = fast_wait().with_max_wait(Duration::from_millis(100));
    let error = client.terminate_and_wait(&id(A), options, |_| {}).await.unwrap_err();
    match &error {
        WaitError::TimedOut { last: Some(job), .. } => assert_eq!(job.phase(), Some(&Phase::Terminating)),
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("last status: Terminating"), "{error}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_one_page_every_page_and_the_running_jobs() {
    let seeds = (0..23u32).map(|n| {
        let seed = V2JobSeed::running(format!("00000000-0000-4000-8000-{n:012}")).name(format!("train-{n}"));
        if n % 5 == 0 { seed.phase(V2Phase::Failed) } else { seed }
    });
    let mut config = EmulatorConfig::default();
    for seed in seeds {
        config = config.v2_job(seed);
    }
    let emulator = start(config).await;
    let client = client(&emulator);
    let page = client.list_training_jobs_v2(&V2ListQuery::default().with_limit(10)).await.unwrap();
    assert_eq!(page.items.len(), 10);
    assert_eq!(page.total, Some(23));
    let all: Vec<TrainingJob> = client
        .list_training_jobs_v2_all(V2ListQuery::default().with_limit(7))
        .map(Result::unwrap)
        .collect()
        .await;
    let mut ids: Vec<String> = all.iter().filter_map(|j| j.id_text().map(str::to_owned)).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 23);
    // Pages of 7 from offset 0: 4 list requests (7, 7, 7, 2).
    let lists =
        emulator.state().journal().iter().filter(|e| e.path.ends_with("/training-job-searches")).count();
    assert_eq!(lists, 1 + 4);
    let filtered: Vec<TrainingJob> = client
        .list_training_jobs_v2_all(V2ListQuery::default().with_filters(vec![Filter::name_like("train-1")]))
        .map(Result::unwrap)
        .collect()
        .await;
    // train-1, train-10 … train-19.
    assert_eq!(filtered.len(), 11);
    let running = client.running_training_jobs_v2(Some("train-1".into())).await.unwrap();
    // train-10 and train-15 failed.
    assert_eq!(running.len(), 9);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_batch_gives_one_outcome_per_target_in_input_order() {
    let emulator = start(
        EmulatorConfig::default()
            .job(JobSeed::running(10, 3))
            .job(JobSeed::new(11).version(modelarts_emulator::VersionSeed::new(1).status(status::KILLED)))
            .v2_job(V2JobSeed::running(A))
            .v2_job(V2JobSeed::running(B).phase(V2Phase::Abnormal))
            .kill_after_polls(1),
    )
    .await;
    emulator
        .state()
        .add_faults(
            FaultScript::new(RouteSelector::V2Terminate)
                .training_job(A)
                .step(FaultStep::reset_after_effect()),
        )
        .unwrap();
    let client = client(&emulator);
    let targets = vec![
        JobRef::route(A, None, None).unwrap(),
        JobRef::route("10", Some("3"), None).unwrap(),
        JobRef::route(B, None, None).unwrap(),
        JobRef::route("11", Some("1"), None).unwrap(),
        JobRef::route(C, None, None).unwrap(),
    ];
    let polled = std::sync::Mutex::new(Vec::new());
    let options = BatchOptions::default().with_concurrency(3).with_wait(fast_wait());
    let report = client
        .batch_stop(targets.clone(), options, |e| {
            if let BatchEvent::Polled { status, .. } = e {
                polled.lock().unwrap().push(status.api());
            }
        })
        .await;
    let got: Vec<(usize, &JobRef, &str, Option<String>)> = report
        .outcomes
        .iter()
        .map(|o| (o.index, &o.target, o.kind.name(), o.kind.status().map(|s| s.to_string())))
        .collect();
    let want: Vec<(usize, &JobRef, &str, Option<String>)> = vec![
        (0, &targets[0], "stopped", Some("Terminated".into())),
        (1, &targets[1], "stopped", Some("KILLED".into())),
        (2, &targets[2], "ended_otherwise", Some("Abnormal".into())),
        (3, &targets[3], "already_stopped", Some("KILLED".into())),
        (4, &targets[4], "not_found", None),
    ];
    assert_eq!(got, want);
    assert_eq!(report.outcomes[0].kind.status().map(TargetStatus::api), Some(ApiVersion::V2));
    assert_eq!(report.outcomes[1].kind.status().map(TargetStatus::api), Some(ApiVersion::V1));
    let polled = polled.into_inner().unwrap();
    assert!(polled.contains(&ApiVersion::V1) && polled.contains(&ApiVersion::V2), "{polled:?}");
    assert_eq!(emulator.state().v2_effective_terminates(A), 1);
    assert_eq!(emulator.state().version_status(10, 3), Some(status::KILLED));
    let counts = report.counts();
    let got = ["stopped", "already_stopped", "ended_otherwise", "not_found"].map(|name| counts.of(name));
    assert_eq!(got, [2, 1, 1, 1], "{}", counts.summary());
    emulator.shutdown().await;
}

/// A batch that waits for 120 v2 jobs (and two v1 versions): one watcher reads their phases
/// through the v2 search, a few pages a round, instead of one `show` per job per poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_120_v2_jobs_waits_through_the_search() {
    let uuid = |i: usize| format!("3f2b1c9e-5a4d-4c1b-9e8f-{i:012x}");
    let mut config = EmulatorConfig::default().job(JobSeed::running(10, 3)).job(JobSeed::running(11, 1));
    for i in 0..120 {
        let seed = V2JobSeed::running(uuid(i)).name(format!("train-{i}"));
        // Every 40th job has failed already: its terminate is refused, it needs no wait.
        config = config.v2_job(if i % 40 == 7 { seed.phase(V2Phase::Failed) } else { seed });
    }
    let emulator = start(config.kill_after_polls(2)).await;
    let client = client(&emulator);
    // Input order: v2 jobs last-created first, with the v1 versions among them.
    let mut targets: Vec<JobRef> =
        (0..120).rev().map(|i| JobRef::route(&uuid(i), None, None).unwrap()).collect();
    targets.insert(30, JobRef::route("10", Some("3"), None).unwrap());
    targets.insert(90, JobRef::route("11", Some("1"), None).unwrap());
    let wait = WaitOptions::default()
        .with_max_wait(Duration::from_secs(30))
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_millis(200));
    let options = BatchOptions::default().with_concurrency(16).with_wait(wait);
    let report = client.batch_stop(targets.clone(), options, |_| {}).await;

    assert_eq!(report.outcomes.len(), 122);
    let failed: Vec<JobRef> = [7, 47, 87].map(|i| JobRef::route(&uuid(i), None, None).unwrap()).into();
    for (i, (o, t)) in report.outcomes.iter().zip(&targets).enumerate() {
        assert_eq!((o.index, &o.target), (i, t), "outcomes in input order");
        let want = match t {
            JobRef::V1 { .. } => ("stopped", "KILLED"),
            JobRef::V2(_) if failed.contains(t) => ("ended_otherwise", "Failed"),
            JobRef::V2(_) => ("stopped", "Terminated"),
        };
        let status = o.kind.status().map(|s| s.to_string());
        assert_eq!((o.kind.name(), status.as_deref()), (want.0, Some(want.1)), "target {i}");
        assert!(o.error.is_none(), "target {i}: {:?}", o.error);
    }
    let counts = report.counts();
    assert_eq!((counts.of("stopped"), counts.of("ended_otherwise")), (119, 3), "{counts:?}");
    for i in (0..120).filter(|i| i % 40 != 7) {
        assert_eq!(emulator.state().v2_effective_terminates(&uuid(i)), 1, "job {i}");
        assert_eq!(terminates(&emulator, &uuid(i)), 1, "job {i}");
    }
    let journal = emulator.state().journal();
    let searches = journal.iter().filter(|e| e.path.ends_with("/training-job-searches")).count();
    let shows = journal.iter().filter(|e| e.method == "GET" && e.path.contains("/training-jobs/")).count();
    // Waited for singly, 117 jobs at 2 polls before Terminated would take 351 shows at least.
    eprintln!("searches {searches}, shows {shows}");
    assert!(searches >= 3, "the search was walked: {searches}");
    assert!(searches + shows < 117, "searches {searches} + shows {shows}: fewer than one a job");
    emulator.shutdown().await;
}

/// A batch that waits for 40 v2 jobs, three of which the search does not show (a search index that
/// lags behind): the watcher reads the visible ones through the search pages only and falls back to
/// single `show` reads for the hidden ones, each target ending once, in input order.
///
/// The terminates' answers are held until all 40 have come back (over the real transport), so
/// every target joins the watch at once: the first round then has more targets due than the search
/// has pages, and a round never has one target due alone (which the watcher would read singly
/// whether the search shows it or not). With `min_delay == max_delay` the targets stay in step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_wait_reads_jobs_hidden_from_the_search_through_single_shows() {
    const JOBS: usize = 40;
    let uuid = |i: usize| format!("5e1a7c3d-0b2f-4a6e-8d9c-{i:012x}");
    let hidden = [5, 17, 33];
    let mut config = EmulatorConfig::default();
    for i in 0..JOBS {
        let seed = V2JobSeed::running(uuid(i)).name(format!("train-{i:02}"));
        config = config.v2_job(if hidden.contains(&i) { seed.hidden_from_search() } else { seed });
    }
    let emulator = start(config.kill_after_polls(1)).await;

    let mut transport_config = TransportConfig::default();
    transport_config.ca_bundle = emulator.ca_cert_path().map(Into::into);
    let transport = HttpsTransport::new(transport_config).unwrap();
    let answered = std::sync::Arc::new(tokio::sync::Barrier::new(JOBS));
    let sender = move |request: http::Request<bytes::Bytes>| {
        let (transport, answered) = (transport.clone(), answered.clone());
        async move {
            let terminate =
                request.method() == http::Method::POST && request.uri().path().ends_with("/actions");
            let answer = transport.send(request).await;
            if terminate {
                answered.wait().await;
            }
            answer
        }
    };
    let c = emulator.credentials();
    let client = Client::builder()
        .endpoint_url(&emulator.endpoint())
        .project_id(emulator.project_id())
        .credentials(Credentials::new(&c.access_key, &c.secret_key))
        .env(|_| None)
        .build_with(sender)
        .unwrap();

    // Input order: a shuffle (every 7th job, modulo 40), so input order is not creation order.
    let order: Vec<usize> = (0..JOBS).map(|k| (k * 7) % JOBS).collect();
    let targets: Vec<JobRef> = order.iter().map(|&i| JobRef::route(&uuid(i), None, None).unwrap()).collect();
    let wait = WaitOptions::default()
        .with_max_wait(Duration::from_secs(30))
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_millis(100));
    let options = BatchOptions::default().with_concurrency(64).with_wait(wait);
    // A batch sends its first stop alone until an answer proved the credentials (so that a wrong
    // key cannot lock the access key): prove them first, so that all 40 terminates go out at once.
    client.list_workspaces().await.unwrap();
    // The timeout only guards against a hang (e.g. fewer terminates than the barrier counts).
    let report =
        tokio::time::timeout(Duration::from_secs(60), client.batch_stop(targets.clone(), options, |_| {}))
            .await
            .expect("the batch ends");

    assert_eq!(report.outcomes.len(), JOBS);
    for (k, (o, t)) in report.outcomes.iter().zip(&targets).enumerate() {
        assert_eq!((o.index, &o.target), (k, t), "outcomes in input order");
        let status = o.kind.status().map(|s| s.to_string());
        assert_eq!((o.kind.name(), status.as_deref()), ("stopped", Some("Terminated")), "target {k}");
        assert!(o.error.is_none(), "target {k}: {:?}", o.error);
    }
    assert_eq!(report.counts().of("stopped"), JOBS);

    let journal = emulator.state().journal();
    let shows = |job: &str| {
        journal.iter().filter(|e| e.method == "GET" && e.training_job_id.as_deref() == Some(job)).count()
    };
    let searches = journal.iter().filter(|e| e.path.ends_with("/training-job-searches")).count();
    for i in 0..JOBS {
        let job = uuid(i);
        assert_eq!(terminates(&emulator, &job), 1, "job {i}: one terminate");
        if hidden.contains(&i) {
            // Terminating after the first read, Terminated at the second (kill after one poll).
            assert_eq!(shows(&job), 2, "job {i} is hidden from the search: read through shows");
        } else {
            assert_eq!(shows(&job), 0, "job {i} is in the search: read through its pages only");
        }
    }
    // One page a round (37 jobs): the round that saw them Terminating, the one that saw them end.
    assert_eq!(searches, 2, "search pages");
    // The workspace list that proved the credentials, then the batch's requests only.
    assert_eq!(journal.len(), 1 + JOBS + searches + 2 * hidden.len(), "nothing else was sent");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_name_finds_only_the_jobs_that_bear_it_exactly() {
    let emulator = start(
        EmulatorConfig::default()
            .v2_job(V2JobSeed::running(A).name("bert").create_time(1_700_000_000_000))
            .v2_job(
                V2JobSeed::running(B).name("bert").phase(V2Phase::Completed).create_time(1_600_000_000_000),
            )
            .v2_job(V2JobSeed::running(C).name("bert-large"))
            .v2_job(V2JobSeed::running("3f2b1c9e-5a4d-4c1b-9e8f-0123456789ae").name("BERT")),
    )
    .await;
    let client = client(&emulator);
    let name = JobName::new("bert").unwrap();
    let jobs = client.training_jobs_v2_named(&name, None).await.unwrap();
    let mut ids: Vec<String> = jobs.iter().map(|j| j.id().unwrap().to_string()).collect();
    ids.sort();
    assert_eq!(ids, [A, B], "bert-large and BERT are other names");
    // A stop picks the running one; a read sees two and refuses.
    assert_eq!(name.pick(NameScope::NotFinal, &jobs).unwrap().id(), Some(id(A)));
    let e = name.pick(NameScope::Any, &jobs).unwrap_err();
    assert!(matches!(e, NameError::Ambiguous { .. }), "{e:?}");
    assert_eq!(e.jobs().iter().map(|j| j.id().unwrap()).collect::<Vec<_>>(), [id(A), id(B)], "newest first");
    let none = client.training_jobs_v2_named(&JobName::new("ber").unwrap(), None).await.unwrap();
    assert!(none.is_empty(), "{none:?}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn targets_are_described_in_one_search_per_fifty_ids_and_one_show_per_version() {
    let uuid = |i: usize| format!("3f2b1c9e-5a4d-4c1b-9e8f-{i:012x}");
    let mut config = EmulatorConfig::default()
        .job(JobSeed::running(10, 20).name("v1-job"))
        .v2_job(V2JobSeed::running(uuid(1000)).name("lagging").hidden_from_search());
    for i in 0..60 {
        config = config
            .v2_job(V2JobSeed::running(uuid(i)).name(format!("job-{i}")).create_time(1_700_000_000_000));
    }
    let emulator = start(config).await;
    let client = client(&emulator);
    let mut targets: Vec<JobRef> = (0..60).map(|i| JobRef::V2(id(&uuid(i)))).collect();
    targets.push(JobRef::V2(id(&uuid(1000))));
    targets.push(JobRef::route("10", Some("20"), None).unwrap());
    targets.push(JobRef::route("10", Some("21"), None).unwrap());
    targets.push(JobRef::V2(id(&uuid(2000))));
    let described = client.describe_targets(&targets).await;
    assert_eq!(described.iter().map(|d| &d.target).collect::<Vec<_>>(), targets.iter().collect::<Vec<_>>());
    let cells = |d: &TargetSummary| (d.name.clone(), d.status.map(|s| s.to_string()), d.create_time_ms);
    assert_eq!(cells(&described[7]), (Some("job-7".into()), Some("Running".into()), Some(1_700_000_000_000)));
    assert_eq!(cells(&described[59]).0.as_deref(), Some("job-59"));
    assert_eq!(cells(&described[60]).0.as_deref(), Some("lagging"), "read by a show: the search lags");
    assert_eq!(cells(&described[61]).0.as_deref(), Some("v1-job"));
    assert_eq!(cells(&described[61]).1.as_deref(), Some("RUNNING"));
    assert_eq!(cells(&described[62]), (None, None, None), "no such version: unread");
    assert_eq!(cells(&described[63]), (None, None, None), "no such job: unread");
    let journal = emulator.state().journal();
    let searches = journal.iter().filter(|e| e.path.ends_with("/training-job-searches")).count();
    assert_eq!(searches, 2, "61 v2 IDs: two searches");
    assert_eq!(journal.len(), 2 + 2 + 2, "two searches, two v2 shows, two v1 shows");
    assert!(journal.iter().all(|e| e.method == "GET" || e.path.ends_with("/training-job-searches")));
    emulator.shutdown().await;
}

#[tokio::test]
async fn running_targets_are_described_as_listed() {
    let emulator = start(
        EmulatorConfig::default()
            .job(JobSeed::running(10, 20).name("v1-train"))
            .job(JobSeed::new(11).name("v1-done").version(VersionSeed::new(21).status(status::COMPLETED)))
            .v2_job(V2JobSeed::running(A).name("train-a").create_time(1_700_000_000_000))
            .v2_job(V2JobSeed::running(B).name("train-b").phase(V2Phase::Terminated)),
    )
    .await;
    let client = client(&emulator);
    let v2 = client.running_training_jobs_v2_described(Some("train".into()), None).await.unwrap();
    assert_eq!(v2.len(), 1, "{v2:?}");
    assert_eq!(v2[0].target, JobRef::V2(id(A)));
    assert_eq!((v2[0].name.as_deref(), v2[0].create_time_ms), (Some("train-a"), Some(1_700_000_000_000)));
    let v1 = client.running_versions_described(None).await.unwrap();
    assert_eq!(v1.len(), 1, "{v1:?}");
    assert_eq!(v1[0].target, JobRef::route("10", Some("20"), None).unwrap());
    assert_eq!(v1[0].name.as_deref(), Some("v1-train"));
    assert_eq!(v1[0].status.map(|s| s.to_string()).as_deref(), Some("RUNNING"));
    // The same targets as the ID-only variants.
    assert_eq!(client.running_training_jobs_v2(Some("train".into())).await.unwrap(), [id(A)]);
    emulator.shutdown().await;
}

/// The single stop-then-wait of either API, composed in the SDK: the outcome a batch line would
/// get, for each end a target can have.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_target_and_wait_gives_the_one_outcome_of_either_api() {
    let emulator = start(
        EmulatorConfig::default()
            .kill_after(Duration::from_millis(200))
            .job(JobSeed::running(10, 20))
            .v2_job(V2JobSeed::running(A))
            .v2_job(V2JobSeed::running(B).phase(V2Phase::Completed)),
    )
    .await;
    let client = client(&emulator);
    let v1 = JobRef::V1 { job: JobId::new(10).unwrap(), version: VersionId::new(20).unwrap() };
    let polled = std::sync::Mutex::new(Vec::new());
    // (target, wait, outcome name, status read)
    let cases: Vec<(JobRef, Option<WaitOptions>, &str, Option<&str>)> = vec![
        (JobRef::V2(id(A)), Some(fast_wait()), "stopped", Some("Terminated")),
        (v1.clone(), None, "stop_requested", None),
        (v1, Some(fast_wait()), "already_stopped", Some("KILLED")),
        (JobRef::V2(id(B)), Some(fast_wait()), "ended_otherwise", Some("Completed")),
        (JobRef::V2(id(C)), Some(fast_wait()), "not_found", None),
    ];
    for (target, wait, name, status) in cases {
        let end = client
            .stop_target_and_wait(&target, StopOptions::default(), wait, |s| polled.lock().unwrap().push(s))
            .await;
        let read = end.outcome.status().map(|s| s.to_string());
        assert_eq!((end.outcome.name(), read.as_deref()), (name, status), "{target}: {end:?}");
        assert_eq!(end.error.is_some(), name == "not_found", "{target}: {end:?}");
    }
    assert!(polled.lock().unwrap().iter().any(|s| s.to_string() == "Terminated"));
    assert_eq!(terminates(&emulator, A), 1);
    emulator.shutdown().await;
}
