//! Every fault kind, fault selection and consumption, and the throttle mode, over real sockets.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Proto, TestClient, assert_common_headers, assert_gateway_error, assert_modelarts_error, start};
use modelarts_emulator::{
    AuthMode, EmulatorConfig, FaultScript, FaultStep, JobSeed, RouteSelector, RunningEmulator,
    ThrottleSettings, status,
};

fn config() -> EmulatorConfig {
    EmulatorConfig::default()
        .auth(AuthMode::Off)
        .job(JobSeed::running(1, 2))
        .job(JobSeed::running(3, 4))
        .never_kill()
}

async fn with_fault(step: FaultStep, tls: bool, proto: Proto) -> (RunningEmulator, TestClient) {
    let cfg = config().tls(tls).fault(FaultScript::new(RouteSelector::Any).step(step));
    start(cfg, proto).await
}

#[tokio::test]
async fn status_faults_are_consumed_in_sequence() {
    let script =
        FaultScript::new(RouteSelector::Stop).repeat(FaultStep::status(503), 2).step(FaultStep::pass());
    let (emu, client) = start(config().fault(script), Proto::Auto).await;
    for _ in 0..2 {
        let reply = client.post(&client.stop_path(1, 2)).await;
        assert_gateway_error(&reply, 503, "APIG.0201");
        assert_common_headers(&reply);
    }
    assert_eq!(emu.state().version_status(1, 2), Some(status::RUNNING), "a 503 has no effect");
    assert_eq!(client.post(&client.stop_path(1, 2)).await.status, 200);
    assert!(emu.state().faults().is_empty());
    let journal = emu.state().journal();
    let attempts: Vec<(u32, Option<u16>, bool)> =
        journal.iter().map(|e| (e.attempt, e.status, e.effective_stop)).collect();
    assert_eq!(attempts, [(1, Some(503), false), (2, Some(503), false), (3, Some(200), true)]);
    assert_eq!(journal[0].fault, Some(FaultStep::status(503)));
    assert_eq!(journal[2].fault, Some(FaultStep::pass()));
    emu.shutdown().await;
}

#[tokio::test]
async fn status_fault_overrides_and_the_404_variant() {
    let script: FaultScript = serde_json::from_str(
        r#"{"route":"show","steps":[
            {"status":502},
            {"status":504},
            {"status":500,"error_code":"APIG.0203","error_msg":"custom"},
            {"status":418,"body":"plain text"},
            {"not_found":true}]}"#,
    )
    .unwrap();
    let (emu, client) = start(config().fault(script), Proto::Auto).await;
    let path = client.show_path(1, 2);
    assert_gateway_error(&client.get(&path).await, 502, "APIG.0202");
    assert_gateway_error(&client.get(&path).await, 504, "APIG.0203");
    let custom = client.get(&path).await;
    assert_eq!(assert_gateway_error(&custom, 500, "APIG.0203"), "custom");
    let raw = client.get(&path).await;
    assert_eq!((raw.status.as_u16(), &raw.body[..]), (418, &b"plain text"[..]));
    assert_modelarts_error(&client.get(&path).await, 404, "ModelArts.2775");
    assert_eq!(client.get(&path).await.status, 200);
    emu.shutdown().await;
}

#[tokio::test]
async fn throttle_fault_with_and_without_retry_after() {
    let script = FaultScript::new(RouteSelector::List)
        .step(FaultStep::throttle(Some(1)))
        .step(FaultStep::throttle(None));
    let (emu, client) = start(config().fault(script), Proto::Auto).await;
    let first = client.get(&client.jobs_path("")).await;
    assert_gateway_error(&first, 429, "APIG.0308");
    assert_eq!(first.header("retry-after"), Some("1"));
    let second = client.get(&client.jobs_path("")).await;
    assert_gateway_error(&second, 429, "APIG.0308");
    assert_eq!(second.header("retry-after"), None);
    emu.shutdown().await;
}

#[tokio::test]
async fn delay_holds_back_the_headers() {
    let (emu, client) = with_fault(FaultStep::delay_ms(300), false, Proto::Auto).await;
    let reply = client.get(&client.show_path(1, 2)).await;
    assert_eq!(reply.status, 200);
    assert!(reply.elapsed >= Duration::from_millis(300), "{:?}", reply.elapsed);
    let quick = client.get(&client.show_path(1, 2)).await;
    assert_eq!(quick.status, 200);
    let steps = emu.state().journal().into_iter().map(|e| e.fault.is_some()).collect::<Vec<_>>();
    assert_eq!(steps, [true, false], "the delay applies to the first request only");
    emu.shutdown().await;
}

#[tokio::test]
async fn trickle_sends_the_whole_body_slowly() {
    for (tls, proto) in [(false, Proto::H1), (true, Proto::Auto)] {
        let step: FaultStep =
            serde_json::from_str(r#"{"trickle":{"chunk_delay_ms":20,"chunk_size":200}}"#).unwrap();
        let (emu, client) = with_fault(step, tls, proto).await;
        let reply = client.get(&client.show_path(1, 2)).await;
        let chunks = reply.body.len().div_ceil(200) as u32;
        assert!(chunks >= 5, "{chunks}");
        assert!(reply.elapsed >= Duration::from_millis(20) * (chunks - 1), "{:?}", reply.elapsed);
        assert_eq!(reply.json()["version_id"], 2);
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn truncated_json_is_a_complete_http_message() {
    let (emu, client) = with_fault(FaultStep::truncated(), false, Proto::Auto).await;
    let reply = client.get(&client.show_path(1, 2)).await;
    let whole = client.get(&client.show_path(1, 2)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.len(), whole.body.len() / 2);
    assert_eq!(reply.header("content-length"), Some(reply.body.len().to_string().as_str()));
    assert!(serde_json::from_slice::<serde_json::Value>(&reply.body).is_err());
    emu.shutdown().await;
}

#[tokio::test]
async fn incomplete_body_drops_the_connection_mid_body() {
    for (tls, proto) in [(false, Proto::H1), (true, Proto::Auto)] {
        let (emu, client) = with_fault(FaultStep::incomplete_body(), tls, proto).await;
        let err = client.try_send(http::Method::GET, &client.show_path(1, 2), &[], b"").await.unwrap_err();
        assert!(err.starts_with("body:"), "headers arrive, the body fails: {err}");
        assert_eq!(client.get(&client.show_path(1, 2)).await.status, 200, "next attempt is fine");
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn html_502_oversized_and_wrong_content_type() {
    let script = FaultScript::new(RouteSelector::Show)
        .step(FaultStep::html_502())
        .step(FaultStep::oversized(100_000))
        .step(FaultStep::wrong_content_type());
    let (emu, client) = start(config().fault(script), Proto::Auto).await;
    let path = client.show_path(1, 2);
    let html = client.get(&path).await;
    assert_eq!(html.status, 502);
    assert_eq!(html.header("content-type"), Some("text/html"));
    assert!(String::from_utf8_lossy(&html.body).contains("<html>"));
    assert_common_headers(&html);

    let big = client.get(&path).await;
    assert_eq!((big.status.as_u16(), big.body.len()), (200, 100_000));
    assert_eq!(big.json()["version_id"], 2, "still valid JSON, padded");

    let plain = client.get(&path).await;
    assert_eq!(plain.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(plain.json()["version_id"], 2);
    emu.shutdown().await;
}

#[tokio::test]
async fn reset_before_has_no_effect() {
    for (tls, proto) in [(false, Proto::H1), (true, Proto::H1), (true, Proto::Auto)] {
        let script = FaultScript::new(RouteSelector::Stop).step(FaultStep::reset_before());
        let (emu, client) = start(config().tls(tls).fault(script), proto).await;
        let err = client.try_send(http::Method::POST, &client.stop_path(1, 2), &[], b"").await.unwrap_err();
        assert!(!err.starts_with("body:"), "no response at all: {err}");
        assert_eq!(emu.state().version_status(1, 2), Some(status::RUNNING));
        let entry = &emu.state().journal()[0];
        assert_eq!((entry.status, entry.effective_stop), (None, false));
        // A retry goes through.
        assert_eq!(client.post(&client.stop_path(1, 2)).await.status, 200);
        assert_eq!(emu.state().effective_stops(1, 2), 1);
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn reset_after_effect_stops_once_and_is_journaled_once() {
    for (tls, proto) in [(false, Proto::H1), (true, Proto::Auto)] {
        let script = FaultScript::new(RouteSelector::Stop).job(1).step(FaultStep::reset_after_effect());
        let (emu, client) = start(config().tls(tls).fault(script), proto).await;
        let err = client.try_send(http::Method::POST, &client.stop_path(1, 2), &[], b"").await.unwrap_err();
        assert!(!err.starts_with("body:"), "{err}");
        assert_eq!(emu.state().version_status(1, 2), Some(status::KILLING), "the stop took effect");
        // The client's blind retry is answered by the already-stopped policy.
        assert_modelarts_error(&client.post(&client.stop_path(1, 2)).await, 400, "ModelArts.0105");
        let journal = emu.state().journal();
        let seen: Vec<(u32, Option<u16>, bool)> =
            journal.iter().map(|e| (e.attempt, e.status, e.effective_stop)).collect();
        assert_eq!(seen, [(1, None, true), (2, Some(400), false)]);
        assert_eq!(emu.state().effective_stops(1, 2), 1);
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn scripts_select_by_route_job_and_version() {
    let cfg = config()
        .fault(FaultScript::new(RouteSelector::Show).job(3).version(4).step(FaultStep::status(500)))
        .fault(FaultScript::new(RouteSelector::Versions).step(FaultStep::status(503)));
    let (emu, client) = start(cfg, Proto::Auto).await;
    assert_eq!(client.get(&client.show_path(1, 2)).await.status, 200, "other job untouched");
    assert_eq!(client.post(&client.stop_path(3, 4)).await.status, 200, "other route untouched");
    assert_eq!(client.get(&client.jobs_path("")).await.status, 200);
    assert_eq!(client.get(&client.show_path(3, 4)).await.status, 500);
    assert_eq!(client.get(&client.show_path(3, 4)).await.status, 200);
    assert_eq!(client.get(&client.jobs_path("/1/versions")).await.status, 503);
    assert_eq!(client.get(&client.jobs_path("/1/versions")).await.status, 200);
    emu.shutdown().await;
}

#[tokio::test]
async fn throttle_mode_is_a_token_bucket_on_the_emulator_clock() {
    let cfg = config().throttle(ThrottleSettings::per_second(1).burst(3).retry_after_secs(2));
    let (emu, client) = start(cfg, Proto::Auto).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(client.get(&client.show_path(1, 2)).await);
    }
    let ok = statuses.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 3, "the burst, then throttled");
    let limited = statuses.iter().find(|r| r.status == 429).unwrap();
    let msg = assert_gateway_error(limited, 429, "APIG.0308");
    assert!(msg.contains("limit:1"), "{msg}");
    assert_eq!(limited.header("retry-after"), Some("2"));
    assert!(emu.state().journal().iter().filter(|e| e.throttled).count() == 3);
    // Moving the emulator clock refills the bucket.
    emu.state().advance_clock(Duration::from_secs(10));
    assert_eq!(client.get(&client.show_path(1, 2)).await.status, 200);
    emu.state().set_throttle(None);
    for _ in 0..10 {
        assert_eq!(client.get(&client.show_path(1, 2)).await.status, 200);
    }
    emu.shutdown().await;
}

/// A client that sends a request head and then stalls its body gets 408 once the body read
/// timeout passes (the request is journalled), instead of holding its task forever; a body that
/// breaks off mid-way is journalled without an answer, and the connection is closed.
#[tokio::test]
async fn a_stalled_request_body_times_out_and_a_broken_one_is_dropped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut config = config();
    config.body_read_timeout = Duration::from_millis(200);
    let emulator = modelarts_emulator::Emulator::start(config).await.unwrap();
    let path = format!("/v1/{}/training-jobs/1/versions/2/stop", emulator.project_id());
    let head = format!("POST {path} HTTP/1.1\r\nhost: emulator\r\ncontent-length: 10\r\n\r\n");

    // Head, then 3 of the 10 body bytes, then silence.
    let mut stalled = tokio::net::TcpStream::connect(emulator.local_addr()).await.unwrap();
    stalled.write_all(head.as_bytes()).await.unwrap();
    stalled.write_all(b"{\"a").await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stalled.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the emulator held a stalled body past its timeout");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("APIG.0408"), "{answer}");

    // Head, then 3 bytes, then the client closes its half: the body is cut short.
    let mut broken = tokio::net::TcpStream::connect(emulator.local_addr()).await.unwrap();
    broken.write_all(head.as_bytes()).await.unwrap();
    broken.write_all(b"{\"a").await.unwrap();
    broken.shutdown().await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), broken.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the emulator kept a connection whose body broke off");
    assert!(!String::from_utf8_lossy(&answer).contains("HTTP/1.1 2"), "a cut body must not be served");

    assert!(emulator.state().settle(Duration::from_secs(10)).await);
    let journal = emulator.state().journal();
    let stops: Vec<_> = journal.iter().filter(|e| e.path == path).collect();
    assert_eq!(stops.len(), 2, "{journal:?}");
    assert_eq!(stops[0].status, Some(408));
    assert_eq!(stops[1].status, None);
    assert!(!stops.iter().any(|e| e.effective_stop));
}
