//! The loops (retry, idempotent stop, waiter, pagination, batch) against an `HttpSend` fake, on
//! paused tokio time.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use http::Method;
use modelarts_protocol::pagination::WalkError;

use super::fake::*;
use crate::*;

fn ids() -> (JobId, VersionId) {
    ("10".parse().unwrap(), "3".parse().unwrap())
}

fn gaps(sent: &[Sent]) -> Vec<Duration> {
    sent.windows(2).map(|w| w[1].at - w[0].at).collect()
}

#[tokio::test(start_paused = true)]
async fn retries_503_until_success_with_growing_backoff() {
    let fake = Fake::new(|_, n| if n < 3 { api_error(503, "APIG.0202") } else { version(8) });
    let client = client_with(fake, |b| b.max_attempts(4).jitter(|| 1.0));
    let (job, version_id) = ids();
    let v = client.show_training_job_version(job, version_id).await.unwrap();
    assert_eq!(v.status, JobStatus::Running);
    let sent = client.inner.transport.sent();
    assert_eq!(sent.len(), 4);
    // With jitter 1 every delay is its ceiling: 100 ms, then 200, then 400 (RetryPolicy::default()).
    assert_eq!(gaps(&sent), [100, 200, 400].map(Duration::from_millis));
    // Every attempt carries our User-Agent.
    assert!(sent.iter().all(|s| s.user_agent.as_deref() == Some(USER_AGENT)));
}

#[tokio::test(start_paused = true)]
async fn gives_up_after_max_attempts_and_reports_them() {
    let client = client(Fake::new(|_, _| api_error(503, "APIG.0202")));
    let (job, version) = ids();
    let err = client.show_training_job_version(job, version).await.unwrap_err();
    assert_eq!(err.attempts(), 3);
    assert_eq!(err.category(), ErrorCategory::Transient);
    assert_eq!(err.http_status(), Some(503));
    assert_eq!(client.inner.transport.sent().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn does_not_retry_a_refusal() {
    let client = client(Fake::new(|_, _| api_error(400, "ModelArts.2775")));
    let (job, version) = ids();
    let err = client.show_training_job_version(job, version).await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.category(), ErrorCategory::ServiceRefused);
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.request_id(), Some("req-fake"));
}

#[tokio::test(start_paused = true)]
async fn a_rejected_tls_certificate_is_not_retried_and_is_a_configuration_error() {
    let fake = Fake::new(|_, _| {
        Err(modelarts_transport::Error::new(
            modelarts_transport::ErrorKind::Tls,
            false,
            "invalid peer certificate: Expired",
        ))
    });
    let client = client(fake);
    let (job, version) = ids();
    for err in [
        client.show_training_job_version(job, version).await.unwrap_err(),
        client.stop_training_job(job, version).await.unwrap_err(),
    ] {
        assert_eq!(err.attempts(), 1, "{err:?}");
        assert_eq!(err.category(), ErrorCategory::Config, "{err:?}");
        assert!(!err.is_transient());
    }
    assert_eq!(client.inner.transport.sent().len(), 2, "one attempt each, no status read");
}

#[tokio::test(start_paused = true)]
async fn throttling_honours_retry_after() {
    let fake = Fake::new(|_, n| {
        if n == 0 {
            json_with(
                429,
                r#"{"error_code":"APIG.0308","error_msg":"over ratelimit"}"#,
                &[("retry-after", "3".to_owned())],
            )
        } else {
            version(8)
        }
    });
    let client = client(fake);
    let (job, version_id) = ids();
    client.show_training_job_version(job, version_id).await.unwrap();
    let g = gaps(&client.inner.transport.sent());
    assert!(g[0] >= Duration::from_secs(3), "{g:?}");
    assert!(g[0] < Duration::from_secs(4), "{g:?}");
}

#[tokio::test]
async fn retry_after_as_a_date_is_measured_from_the_server_date() {
    let time = ManualTime::at(t0());
    let server_now = t0() + Duration::from_secs(3600);
    let fake = Fake::new(move |_, n| {
        if n == 0 {
            json_with(
                503,
                "{}",
                &[
                    ("date", http_date(server_now)),
                    ("retry-after", http_date(server_now + Duration::from_secs(5))),
                ],
            )
        } else {
            version(8)
        }
    });
    let client = client_on(fake, &time);
    let (job, version_id) = ids();
    client.show_training_job_version(job, version_id).await.unwrap();
    assert_eq!(time.sleeps(), [Duration::from_secs(5)]);
}

#[tokio::test(start_paused = true)]
async fn the_retry_quota_stops_hammering_a_dead_endpoint() {
    let client = client_with(Fake::new(|_, _| refused()), |b| b.max_attempts(10));
    let (job, version) = ids();
    let mut attempts = Vec::new();
    for _ in 0..10 {
        let err = client.show_training_job_version(job, version).await.unwrap_err();
        assert_eq!(err.category(), ErrorCategory::Transient);
        attempts.push(err.attempts());
    }
    // 500 tokens at 14 per transient retry: 35 retries in all, then one attempt per call.
    let sent = client.inner.transport.sent().len();
    assert_eq!(sent, 10 + 35, "{attempts:?}");
    assert_eq!(&attempts[..3], &[10, 10, 10]);
    assert_eq!(&attempts[5..], &[1, 1, 1, 1, 1]);
    assert!(client.retry_tokens_available() < 14);
}

#[tokio::test(start_paused = true)]
async fn ambiguous_stop_is_confirmed_by_status_without_a_second_post() {
    let fake = Fake::new(|req, _| match *req.method() {
        Method::POST => reset_after_send(),
        _ => version(9),
    });
    let client = client(fake);
    let (job, version) = ids();
    let outcome = client.stop_training_job(job, version).await.unwrap();
    assert_eq!(outcome, StopOutcome::ConfirmedByStatus(JobStatus::Killing));
    assert_eq!(client.inner.transport.count(&Method::POST, "/stop"), 1);
}

#[tokio::test(start_paused = true)]
async fn ambiguous_stop_is_sent_again_when_the_version_still_runs() {
    let fake = Fake::new(|req, n| match (req.method().clone(), n) {
        (Method::POST, 0) => api_error(504, "APIG.0203"),
        (Method::POST, _) => stop_ok(),
        _ => version(8),
    });
    let client = client(fake);
    let (job, version) = ids();
    assert_eq!(client.stop_training_job(job, version).await.unwrap(), StopOutcome::Accepted);
    let sent = client.inner.transport.sent();
    let methods: Vec<_> = sent.iter().map(|s| s.method.as_str().to_owned()).collect();
    assert_eq!(methods, ["POST", "GET", "POST"]);
}

#[tokio::test(start_paused = true)]
async fn ambiguous_stop_with_unreadable_status_returns_the_stop_error() {
    let fake = Fake::new(|req, _| match *req.method() {
        Method::POST => reset_after_send(),
        _ => refused(),
    });
    let client = client(fake);
    let (job, version) = ids();
    let err = client.stop_training_job(job, version).await.unwrap_err();
    assert!(matches!(err, Error::Transport { attempts: 1, .. }), "{err:?}");
    assert_eq!(client.inner.transport.count(&Method::POST, "/stop"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_refused_connection_is_retried_without_reading_the_status() {
    let fake = Fake::new(|req, n| match (req.method().clone(), n) {
        (Method::POST, 0) => refused(),
        (Method::POST, _) => stop_ok(),
        _ => unreachable!("no status read"),
    });
    let client = client(fake);
    let (job, version) = ids();
    assert_eq!(client.stop_training_job(job, version).await.unwrap(), StopOutcome::Accepted);
}

#[tokio::test(start_paused = true)]
async fn conflicts_on_stop_are_read_as_already_stopping_or_final() {
    let cases: [(u16, &str, i32, Option<StopOutcome>); 5] = [
        (400, "ModelArts.0105", 12, Some(StopOutcome::AlreadyFinal(JobStatus::Killed))),
        (409, "ModelArts.2796", 9, Some(StopOutcome::AlreadyStopping(JobStatus::Killing))),
        (409, "ModelArts.2878", 10, Some(StopOutcome::EndedOtherwise(JobStatus::Completed))),
        (409, "Whatever.1", 12, Some(StopOutcome::AlreadyFinal(JobStatus::Killed))),
        // A conflict while the version still runs is a real refusal.
        (400, "ModelArts.0105", 8, None),
    ];
    for (status, code, current, expected) in cases {
        let fake = Fake::new(move |req, _| match *req.method() {
            Method::POST => api_error(status, code),
            _ => version(current),
        });
        let client = client(fake);
        let (job, version_id) = ids();
        let got = client.stop_training_job(job, version_id).await;
        match expected {
            Some(outcome) => assert_eq!(got.unwrap(), outcome, "{code}"),
            None => assert_eq!(got.unwrap_err().api_error().unwrap().code(), Some(code)),
        }
        // Strict mode returns the refusal.
        let strict = client
            .stop_training_job_with(job, version_id, StopOptions::default().with_strict(true))
            .await
            .unwrap_err();
        assert_eq!(strict.category(), ErrorCategory::ServiceRefused);
    }
}

#[tokio::test]
async fn an_auth_failure_without_skew_is_not_retried() {
    let fake = Fake::new(|_, _| {
        json_with(
            401,
            r#"{"error_code":"APIG.0301","error_msg":"verify aksk signature fail"}"#,
            &[("date", http_date(t0()))],
        )
    });
    let client = client_on(fake, &ManualTime::at(t0()));
    let (job, version) = ids();
    let err = client.show_training_job_version(job, version).await.unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.category(), ErrorCategory::ServiceRefused);
}

#[tokio::test]
async fn a_cached_answer_does_not_move_the_skew() {
    let fake = Fake::new(|_, _| {
        json_with(
            200,
            r#"{"is_success":true,"version_id":3,"status":8}"#,
            &[("date", http_date(t0() - Duration::from_secs(3600))), ("age", "3600".to_owned())],
        )
    });
    let client = client_on(fake, &ManualTime::at(t0()));
    let (job, version) = ids();
    client.show_training_job_version(job, version).await.unwrap();
    assert_eq!(client.clock_skew_millis(), None);
}

#[tokio::test(start_paused = true)]
async fn waiter_polls_until_killed_with_delays_between_min_and_max() {
    let statuses = [8, 9, 9, 9, 12];
    let fake = Fake::new(move |_, n| version(statuses[n.min(4)]));
    let client = client(fake);
    let (job, version_id) = ids();
    let options = WaitOptions::default()
        .with_max_wait(Duration::from_secs(600))
        .with_min_delay(Duration::from_secs(2))
        .with_max_delay(Duration::from_secs(5));
    let seen = std::sync::Mutex::new(Vec::new());
    let v = client
        .wait_until_stopped(job, version_id, options, |v| seen.lock().unwrap().push(v.status.code()))
        .await
        .unwrap();
    assert_eq!(v.status, JobStatus::Killed);
    assert_eq!(*seen.lock().unwrap(), statuses);
    for g in gaps(&client.inner.transport.sent()) {
        assert!(g >= Duration::from_secs(2) && g <= Duration::from_secs(5), "{g:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn waiter_times_out_with_the_last_status() {
    let client = client(Fake::new(|_, _| version(9)));
    let (job, version_id) = ids();
    let options = WaitOptions::default()
        .with_max_wait(Duration::from_secs(10))
        .with_min_delay(Duration::from_secs(1))
        .with_max_delay(Duration::from_secs(3));
    let started = tokio::time::Instant::now();
    let err = client.wait_until_stopped(job, version_id, options, |_| {}).await.unwrap_err();
    match &err {
        WaitError::TimedOut { last, waited } => {
            assert_eq!(last.as_ref().unwrap().status, JobStatus::Killing);
            assert_eq!(*waited, Duration::from_secs(10));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(started.elapsed(), Duration::from_secs(10), "the last sleep is cut to the deadline");
}

#[tokio::test(start_paused = true)]
async fn waiter_reports_another_final_state() {
    let client = client(Fake::new(|_, n| version(if n == 0 { 9 } else { 10 })));
    let (job, version_id) = ids();
    let err = client.wait_until_stopped(job, version_id, WaitOptions::default(), |_| {}).await.unwrap_err();
    assert!(matches!(&err, WaitError::OtherFinalState(v) if v.status == JobStatus::Completed), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn waiter_rides_out_throttling_and_transient_failures_but_not_refusals() {
    let fake = Fake::new(|_, n| match n {
        0 => api_error(429, "APIG.0308"),
        1 => refused(),
        _ => version(12),
    });
    let client = client_with(fake, |b| b.max_attempts(1));
    let (job, version_id) = ids();
    let v = client.wait_until_stopped(job, version_id, WaitOptions::default(), |_| {}).await.unwrap();
    assert_eq!(v.status, JobStatus::Killed);

    let client = super::fake::client(Fake::new(|_, _| api_error(403, "APIG.0302")));
    let err = client.wait_until_stopped(job, version_id, WaitOptions::default(), |_| {}).await.unwrap_err();
    assert!(matches!(&err, WaitError::Call(e) if e.category() == ErrorCategory::ServiceRefused), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn stop_and_wait_runs_both() {
    let fake = Fake::new(|req, n| match *req.method() {
        Method::POST => stop_ok(),
        _ => version(if n < 3 { 9 } else { 12 }),
    });
    let client = client(fake);
    let (job, version_id) = ids();
    let done = client.stop_and_wait(job, version_id, WaitOptions::default(), |_| {}).await.unwrap();
    assert_eq!(done.stop, StopOutcome::Accepted);
    assert_eq!(done.version.status, JobStatus::Killed);
}

fn job_page(ids: std::ops::Range<u64>, total: u64) -> Answer {
    let jobs: Vec<String> = ids
        .map(|id| format!(r#"{{"job_id":{id},"job_name":"job-{id}","version_id":{},"status":8}}"#, id + 1000))
        .collect();
    json(200, &format!(r#"{{"is_success":true,"job_total_count":{total},"jobs":[{}]}}"#, jobs.join(",")))
}

#[tokio::test(start_paused = true)]
async fn pagination_walks_every_page() {
    let fake = Fake::new(|req, _| {
        let q = req.uri().query().unwrap_or("");
        let page: u64 = q.split('&').find_map(|kv| kv.strip_prefix("page=")).unwrap().parse().unwrap();
        assert!(q.contains("per_page=7"), "{q}");
        let start = (page - 1) * 7 + 1;
        job_page(start..(start + 7).min(51), 50)
    });
    let client = client(fake);
    let query = ListQuery::default().with_per_page(7);
    let jobs: Vec<_> = client.list_training_jobs_all(query).map(Result::unwrap).collect().await;
    assert_eq!(jobs.len(), 50);
    assert_eq!(jobs.iter().map(|j| j.job_id.get()).collect::<Vec<_>>(), (1..=50).collect::<Vec<_>>());
    assert_eq!(client.inner.transport.sent().len(), 8);
}

#[tokio::test(start_paused = true)]
async fn pagination_fails_when_the_server_repeats_a_page() {
    let client = client(Fake::new(|_, _| job_page(1..101, 1_000_000)));
    let items: Vec<_> = client.list_training_jobs_all(ListQuery::default()).collect().await;
    assert_eq!(items.len(), 101);
    assert!(
        matches!(items[100], Err(Error::Walk(WalkError::RepeatedPage { page: 2, .. }))),
        "{:?}",
        items[100]
    );
    assert_eq!(client.inner.transport.sent().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn pagination_yields_an_error_once_and_ends() {
    let client =
        client(Fake::new(|_, n| if n == 0 { job_page(1..101, 1000) } else { api_error(403, "APIG.0302") }));
    let items: Vec<_> = client.list_training_jobs_all(ListQuery::default()).collect().await;
    assert_eq!(items.len(), 101);
    assert!(items[100].is_err());
}

#[tokio::test(start_paused = true)]
async fn running_versions_keeps_stoppable_latest_versions() {
    let fake = Fake::new(|req, _| {
        assert!(req.uri().query().unwrap().contains("search_content=train"));
        json(
            200,
            r#"{"is_success":true,"job_total_count":4,"jobs":[
                {"job_id":1,"version_id":11,"status":8},
                {"job_id":2,"version_id":21,"status":12},
                {"job_id":3,"version_id":31,"status":7},
                {"job_id":4,"version_id":41,"status":9}]}"#,
        )
    });
    let client = client(fake);
    let got = client.running_versions(Some("train".into())).await.unwrap();
    let got: Vec<(u64, u64)> = got.iter().map(|(j, v)| (j.get(), v.get())).collect();
    assert_eq!(got, [(1, 11), (3, 31)]);
}

#[tokio::test(start_paused = true)]
async fn batch_keeps_one_outcome_per_target_in_order_even_when_one_panics() {
    let fake = Fake::new(|req, _| {
        let path = req.uri().path();
        if path.contains("/training-jobs/13/") {
            panic!("scripted panic");
        }
        match (req.method().clone(), path) {
            (Method::POST, p) if p.contains("/training-jobs/12/") => api_error(400, "ModelArts.2775"),
            (Method::POST, p) if p.contains("/training-jobs/14/") => api_error(400, "ModelArts.0105"),
            (Method::POST, _) => stop_ok(),
            (_, p) if p.contains("/training-jobs/12/") => api_error(400, "ModelArts.2775"),
            _ => version(12),
        }
    });
    let client = client(fake);
    let targets: Vec<(JobId, VersionId)> =
        (10..=15).map(|j| (JobId::new(j).unwrap(), VersionId::new(1).unwrap())).collect();
    let finished = AtomicUsize::new(0);
    let options = BatchOptions::default().with_concurrency(3).with_wait(WaitOptions::default());
    let report = client
        .batch_stop(v1_targets(&targets), options, |e| {
            if let BatchEvent::Finished { .. } = e {
                finished.fetch_add(1, Ordering::Relaxed);
            }
        })
        .await;
    assert_eq!(finished.load(Ordering::Relaxed), 6);
    let kinds: Vec<_> = report.outcomes.iter().map(|o| o.kind).collect();
    assert_eq!(
        kinds,
        [
            BatchOutcomeKind::Stopped(TargetStatus::V1(JobStatus::Killed)),
            BatchOutcomeKind::Stopped(TargetStatus::V1(JobStatus::Killed)),
            BatchOutcomeKind::NotFound,
            BatchOutcomeKind::Failed,
            BatchOutcomeKind::AlreadyStopped(TargetStatus::V1(JobStatus::Killed)),
            BatchOutcomeKind::Stopped(TargetStatus::V1(JobStatus::Killed)),
        ]
    );
    for (i, o) in report.outcomes.iter().enumerate() {
        assert_eq!(o.index, i);
        assert_eq!(o.target, v1_targets(&targets)[i]);
    }
    assert!(
        matches!(&report.outcomes[3].error, Some(Error::Internal { message }) if message == "scripted panic")
    );
    let counts = report.counts();
    let got = ["stopped", "already_stopped", "not_found", "failed"].map(|name| counts.of(name));
    assert_eq!(got, [3, 1, 1, 1], "{}", counts.summary());
    assert_eq!(counts.total(), 6);
}

#[tokio::test(start_paused = true)]
async fn batch_respects_the_concurrency_bound() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    struct Slow {
        in_flight: Arc<AtomicUsize>,
        peak: Arc<AtomicUsize>,
    }
    impl HttpSend for Slow {
        type Error = modelarts_transport::Error;

        async fn send(&self, _: http::Request<bytes::Bytes>) -> Answer {
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(10)).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            stop_ok()
        }
    }
    let client = Client::builder()
        .endpoint_url("https://h.test")
        .project_id(PROJECT)
        .credentials(Credentials::new("AKEXAMPLE0001", "sk"))
        .env(|_| None)
        .build_with_transport(Slow { in_flight: in_flight.clone(), peak: peak.clone() })
        .unwrap();
    let targets = (1..=50)
        .map(|j| JobRef::V1 { job: JobId::new(j).unwrap(), version: VersionId::new(1).unwrap() })
        .collect();
    let options = BatchOptions::default().with_concurrency(4);
    let report = client.batch_stop(targets, options, |_| {}).await;
    assert_eq!(report.counts().of("stop_requested"), 50);
    assert_eq!(peak.load(Ordering::SeqCst), 4);
}

#[test]
fn signed_request_is_the_request_that_would_be_sent() {
    let client = client(Fake::new(|_, _| unreachable!()));
    let (job, version) = ids();
    let op = modelarts_protocol::operations::stop_training_job::StopTrainingJob::new(
        client.project_id().clone(),
        job,
        version,
    );
    let request = client.signed_request(&op).unwrap();
    assert_eq!(request.method(), "POST");
    assert_eq!(
        request.uri().to_string(),
        format!("https://modelarts.example.test/v1/{PROJECT}/training-jobs/10/versions/3/stop")
    );
    assert_eq!(request.headers()["user-agent"], USER_AGENT);
    let auth = &request.headers()["authorization"];
    assert!(auth.is_sensitive());
    assert!(auth.to_str().unwrap().starts_with("SDK-HMAC-SHA256 Access=AKEXAMPLE0001"));
    assert!(client.inner.transport.sent().is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_accepted_stop_without_a_wait_reports_no_status_it_did_not_read() {
    let client = client(Fake::new(|req, _| match *req.method() {
        Method::POST => stop_ok(),
        _ => unreachable!("no status read"),
    }));
    let (job, version) = ids();
    let report = client.batch_stop(vec![JobRef::V1 { job, version }], BatchOptions::default(), |_| {}).await;
    // Accepted, nothing read: `stop_requested`, never `stopped`.
    assert_eq!(
        report.outcomes[0].kind,
        BatchOutcomeKind::StopRequested { status: None, wait_gave_up: false }
    );
    assert_eq!(report.outcomes[0].kind.status(), None);
    assert_eq!(report.outcomes[0].stop, Some(StopOutcome::Accepted));
}

#[tokio::test(start_paused = true)]
async fn a_refusal_of_any_code_is_decided_by_the_status_read() {
    // A code no document lists for a stop, on a version that is already KILLING.
    let client = client(Fake::new(|req, _| match *req.method() {
        Method::POST => api_error(400, "ModelArts.4242"),
        _ => version(9),
    }));
    let (job, version) = ids();
    assert_eq!(
        client.stop_training_job(job, version).await.unwrap(),
        StopOutcome::AlreadyStopping(JobStatus::Killing)
    );
    assert_eq!(client.inner.transport.count(&Method::GET, "/versions/3"), 1);
}

#[tokio::test(start_paused = true)]
async fn an_auth_refusal_of_a_stop_reads_no_status() {
    let client = client(Fake::new(|req, _| match *req.method() {
        Method::POST => api_error(401, "APIG.0301"),
        _ => unreachable!("no status read"),
    }));
    let (job, version) = ids();
    let err = client.stop_training_job(job, version).await.unwrap_err();
    assert_eq!(err.category(), ErrorCategory::ServiceRefused);
    assert_eq!(client.inner.transport.sent().len(), 1);
}

// --- on manual time: no timer, every time exact ----------------------------------------------

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

#[tokio::test]
async fn manual_time_drives_the_retries_of_a_call() {
    let time = ManualTime::at(t0());
    let fake = Fake::new(|_, n| match n {
        0 => api_error(503, "APIG.0202"),
        1 => json_with(429, r#"{"error_code":"APIG.0308"}"#, &[("retry-after", "7".to_owned())]),
        _ => version(8),
    });
    let client = client_on(fake, &time);
    let (job, version_id) = ids();
    client.show_training_job_version(job, version_id).await.unwrap();
    assert_eq!(time.sleeps(), [Duration::from_millis(100), Duration::from_secs(7)]);
    assert_eq!(time.wall(), t0() + Duration::from_millis(7100));
}

#[tokio::test]
async fn manual_time_measures_a_20_minute_skew_exactly_and_re_signs_once() {
    let time = ManualTime::at(t0());
    let server = time.clone();
    let fake = Fake::new(move |req, _| {
        let server_now = server.wall() + Duration::from_secs(20 * 60);
        let date = req.headers().get("x-sdk-date").unwrap().to_str().unwrap();
        let signed = modelarts_protocol::signing::parse_sdk_date(date).unwrap();
        let status = if signed == server_now { 200 } else { 401 };
        let body = if status == 200 {
            r#"{"is_success":true,"version_id":3,"status":8}"#
        } else {
            r#"{"error_code":"APIG.0301","error_msg":"signature expired"}"#
        };
        json_with(status, body, &[("date", http_date(server_now))])
    });
    let client = client_on(fake, &time);
    let (job, version) = ids();
    client.show_training_job_version(job, version).await.unwrap();
    assert_eq!(client.clock_skew_millis(), Some(1_200_000));
    assert_eq!(client.inner.transport.sent().len(), 2);
    assert!(time.sleeps().is_empty(), "a re-sign does not sleep");
}

#[tokio::test]
async fn manual_time_decides_the_waiter_and_the_batch_elapsed() {
    let time = ManualTime::at(t0());
    let client = client_on(Fake::new(|_, _| version(9)), &time);
    let (job, version_id) = ids();
    let options = WaitOptions::default()
        .with_max_wait(Duration::from_secs(10))
        .with_min_delay(Duration::from_secs(1))
        .with_max_delay(Duration::from_secs(3));
    let err = client.wait_until_stopped(job, version_id, options, |_| {}).await.unwrap_err();
    assert!(
        matches!(err, WaitError::TimedOut { waited, .. } if waited == Duration::from_secs(10)),
        "{err:?}"
    );
    // With jitter 1: 1, 2, 3, 3, then the 1 s left.
    assert_eq!(time.sleeps(), [1, 2, 3, 3, 1].map(Duration::from_secs));

    let time = ManualTime::at(t0());
    let fake = Fake::new(|req, n| match *req.method() {
        Method::POST => stop_ok(),
        _ => version(if n < 3 { 9 } else { 12 }),
    });
    let client = client_on(fake, &time);
    let options = BatchOptions::default().with_wait(options);
    let report = client.batch_stop(vec![JobRef::V1 { job, version: version_id }], options, |_| {}).await;
    assert_eq!(report.outcomes[0].kind, BatchOutcomeKind::Stopped(TargetStatus::V1(JobStatus::Killed)));
    assert_eq!(report.outcomes[0].elapsed, Duration::from_secs(3), "1 s then 2 s of polling");
    assert_eq!(report.elapsed, Duration::from_secs(3));
}

/// v1 batch targets from (job, version) pairs.
fn v1_targets(pairs: &[(JobId, VersionId)]) -> Vec<JobRef> {
    pairs.iter().map(|&(job, version)| JobRef::V1 { job, version }).collect()
}
