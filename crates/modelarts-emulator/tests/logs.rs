//! The log and event routes over real sockets: growth on the emulator clock, the stop, stalls,
//! paging, events per state change; faults, auth and the journal as on the other routes.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use common::{Proto, Reply, TestClient, start};
use http_body_util::Full;
use modelarts_emulator::{
    AuthMode, EmulatorConfig, FaultScript, JobSeed, LINE_BASE, PREVIEW_LIMIT_BYTES, RunningEmulator,
    V2JobSeed, VersionSeed,
};
use modelarts_protocol::logs::{AomCursor, PreviewCursor};
use modelarts_protocol::operations::Operation;
use modelarts_protocol::operations::logs::{ListLogFileNames, ShowAomLog};
use modelarts_protocol::operations::v2::logs::{ListEvents, LogUrlKind, ShowLogPreview, ShowLogUrl};
use modelarts_protocol::signing::Credentials;
use modelarts_protocol::{Auth, Endpoint, auth};

const A: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";

async fn signed<O: Operation>(emu: &RunningEmulator, client: &TestClient, op: &O) -> Reply {
    let endpoint = Endpoint::from_url(&emu.endpoint()).unwrap();
    let mut request = op.build_request(&endpoint).unwrap();
    let credentials = Credentials::new(&client.ak, &client.sk);
    auth::authorize(&mut request, &Auth::AkSk(credentials), SystemTime::now()).unwrap();
    let (parts, body) = request.into_parts();
    client.try_send_request(http::Request::from_parts(parts, Full::new(body))).await.unwrap()
}

fn response(reply: &Reply) -> http::Response<Bytes> {
    let mut r = http::Response::builder().status(reply.status);
    for (n, v) in &reply.headers {
        r = r.header(n, v);
    }
    r.body(reply.body.clone()).unwrap()
}

fn page_op(client: &TestClient, file: &str, lines: u32, base: Option<String>) -> ShowAomLog {
    let op =
        ShowAomLog::new(client.project.parse().unwrap(), "10".parse().unwrap(), "20".parse().unwrap(), file)
            .lines(lines);
    match base {
        Some(b) => op.after(b),
        None => op,
    }
}

#[tokio::test]
async fn v1_log_pages_walk_the_whole_log_without_gap_or_repeat_over_http_and_https() {
    for tls in [false, true] {
        // An ended version: its log is fixed, so the walk can be compared line by line.
        let seed = JobSeed::new(10)
            .version(VersionSeed::new(20).status(modelarts_emulator::status::FAILED).duration_ms(123_400));
        let (emu, client) = start(EmulatorConfig::default().tls(tls).job(seed), Proto::Auto).await;
        let names = signed(
            &emu,
            &client,
            &ListLogFileNames::new(
                client.project.parse().unwrap(),
                "10".parse().unwrap(),
                "20".parse().unwrap(),
            ),
        )
        .await;
        let names = ListLogFileNames::parse_response(response(&names)).unwrap();
        assert_eq!(names.log_file_list, ["modelarts-job-10-worker-0.log"]);
        let file = &names.log_file_list[0];

        let want = emu.state().log_lines(10, 20, 0).unwrap();
        assert_eq!(want.len(), 1234 + 1, "one line per 100 ms and the closing line");
        assert!(want.last().unwrap().ends_with("training ended: JOBSTAT_FAILED"));
        assert!(want[9].contains('\u{1b}'), "every tenth line carries a colour sequence");

        // From the start (base line before the first), pages of 500.
        let mut cursor = AomCursor::after(LINE_BASE);
        let mut seen = Vec::new();
        for _ in 0..10 {
            let reply = signed(&emu, &client, &page_op(&client, file, 500, cursor.next_base_line())).await;
            assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
            let page = ShowAomLog::parse_response(response(&reply)).unwrap();
            let lines = cursor.accept(&page).unwrap();
            if lines.is_empty() {
                break;
            }
            seen.extend(lines);
        }
        assert_eq!(seen, want);

        // The latest lines without a base line; the lines before a base line.
        let reply = signed(&emu, &client, &page_op(&client, file, 3, None)).await;
        let tail = ShowAomLog::parse_response(response(&reply)).unwrap();
        assert_eq!(tail.text_lines(), want[want.len() - 3..].iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(tail.lines, Some(3));
        let reply =
            signed(&emu, &client, &page_op(&client, file, 2, None).before((LINE_BASE + 5).to_string())).await;
        let before = ShowAomLog::parse_response(response(&reply)).unwrap();
        assert_eq!(before.text_lines(), [want[2].as_str(), want[3].as_str()]);

        // A file of another job is refused.
        let reply = signed(&emu, &client, &page_op(&client, "modelarts-job-11-worker-0.log", 5, None)).await;
        common::assert_modelarts_error(&reply, 400, "ModelArts.0101");
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn a_running_log_grows_on_the_emulator_clock_stops_at_the_stop_and_can_stall() {
    let cfg = EmulatorConfig::default()
        .auth(AuthMode::Off)
        .job(JobSeed::running(10, 20))
        .job(JobSeed::new(30).version(VersionSeed::new(40).log_stall_after_lines(7)))
        .never_kill();
    let (emu, client) = start(cfg, Proto::H1).await;
    let state = emu.state();
    let before = state.log_lines(10, 20, 0).unwrap().len();
    state.advance_clock(Duration::from_secs(10));
    let grown = state.log_lines(10, 20, 0).unwrap().len();
    assert!(grown >= before + 100, "{before} → {grown}");

    // The stop: the log stops growing (KILLING, never killed here).
    let reply = client.post(&client.stop_path(10, 20)).await;
    assert_eq!(reply.status, 200);
    let at_stop = state.log_lines(10, 20, 0).unwrap();
    state.advance_clock(Duration::from_secs(30));
    assert_eq!(state.log_lines(10, 20, 0).unwrap(), at_stop);

    // A seeded stall: 7 lines however long it runs; the admin route stalls a running log.
    assert_eq!(state.log_lines(30, 40, 0).unwrap().len(), 7);
    let reply = client.get(&client.jobs_path("/10/versions/20")).await;
    assert_eq!(reply.status, 200);
    let reply = client
        .try_send(http::Method::POST, "/__emulator/logs/stall", &[], br#"{"job_id":30,"version_id":40}"#)
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let reply = client
        .try_send(http::Method::POST, "/__emulator/logs/stall", &[], br#"{"job_id":30,"version_id":41}"#)
        .await
        .unwrap();
    assert_eq!(reply.status, 404);
    emu.shutdown().await;
}

#[tokio::test]
async fn v2_preview_follows_a_growing_log_and_events_tell_each_state_change() {
    let cfg = EmulatorConfig::default()
        .v2_job(V2JobSeed::running(A).duration_ms(1_000))
        .kill_after(Duration::from_secs(2));
    let (emu, client) = start(cfg, Proto::Auto).await;
    let state = emu.state();
    let project = client.project.parse::<modelarts_protocol::ProjectId>().unwrap();
    let id = A.parse::<modelarts_protocol::v2::TrainingJobId>().unwrap();
    let preview = ShowLogPreview::new(project.clone(), id.clone(), "worker-0").unwrap();

    let mut cursor = PreviewCursor::new();
    let mut seen = Vec::new();
    for step in 0..30 {
        let reply = signed(&emu, &client, &preview).await;
        assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
        let p = ShowLogPreview::parse_response(response(&reply)).unwrap();
        assert!(p.text().len() as u64 <= PREVIEW_LIMIT_BYTES);
        let out = cursor.accept(&p);
        assert!(!out.gap, "step {step}");
        seen.extend(out.lines);
        if step == 20 {
            let reply = signed(
                &emu,
                &client,
                &modelarts_protocol::operations::v2::terminate::TerminateTrainingJob::new(
                    project.clone(),
                    id.clone(),
                ),
            )
            .await;
            assert_eq!(reply.status, 202);
        }
        // 5 s of run time: 50 lines, under the preview window's size.
        state.advance_clock(Duration::from_secs(5));
    }
    assert_eq!(seen, state.v2_log_lines(A, "worker-0").unwrap());
    assert!(seen.last().unwrap().ends_with("training ended: Terminated"), "{:?}", seen.last());

    let reply = signed(&emu, &client, &ListEvents::new(project.clone(), id.clone())).await;
    let events = ListEvents::parse_response(response(&reply)).unwrap();
    let messages: Vec<&str> = events.events.iter().map(|e| e.message.as_deref().unwrap()).collect();
    assert_eq!(events.total, Some(4), "{messages:?}");
    assert!(
        messages[1].contains("Running")
            && messages[2].contains("Terminating")
            && messages[3].contains("Terminated")
    );
    let mut query = ListEvents::new(project.clone(), id.clone());
    query.level = Some(modelarts_protocol::operations::v2::logs::EventLevel::Warning);
    let reply = signed(&emu, &client, &query).await;
    assert_eq!(ListEvents::parse_response(response(&reply)).unwrap().events.len(), 1);

    let reply = signed(
        &emu,
        &client,
        &ShowLogUrl::new(project.clone(), id.clone(), "worker-0", LogUrlKind::Download).unwrap(),
    )
    .await;
    let url = ShowLogUrl::parse_response(response(&reply)).unwrap();
    assert!(url.obs_url.as_deref().unwrap().contains("attachment"));
    assert!(!format!("{url:?}").contains("Signature"), "the presigned query stays out of Debug");

    // An unknown task: 400.
    let reply = signed(&emu, &client, &ShowLogPreview::new(project, id, "worker-9").unwrap()).await;
    assert_eq!(reply.status, 400);
    emu.shutdown().await;
}

#[tokio::test]
async fn faults_auth_and_journal_apply_to_the_log_routes() {
    let fault: FaultScript = serde_json::from_value(serde_json::json!({
        "route": "v2_log_preview",
        "steps": [{"status": 200, "body": {"context": "old\nfield\n"}}, {"status": 503}]
    }))
    .unwrap();
    let cfg = EmulatorConfig::default().v2_job(V2JobSeed::running(A)).fault(fault);
    let (emu, client) = start(cfg, Proto::H1).await;
    let project = client.project.parse::<modelarts_protocol::ProjectId>().unwrap();
    let preview = ShowLogPreview::new(project, A.parse().unwrap(), "worker-0").unwrap();
    let reply = signed(&emu, &client, &preview).await;
    assert_eq!(ShowLogPreview::parse_response(response(&reply)).unwrap().text(), "old\nfield\n");
    let reply = signed(&emu, &client, &preview).await;
    assert_eq!(reply.status, 503);
    // Unsigned: refused like any other route.
    let path = format!("/v2/{}/training-jobs/{A}/tasks/worker-0/logs/preview", client.project);
    let reply = client.get(&path).await;
    assert_eq!(reply.status, 401);
    let routes: Vec<&str> = emu.state().journal().iter().map(|e| e.route.as_str()).collect();
    assert_eq!(routes, ["v2_log_preview"; 3]);
    emu.shutdown().await;
}
