//! The admin API over real sockets, and the in-process state handle that mirrors it.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Proto, TestClient, start};
use http::Method;
use modelarts_emulator::{AuthMode, EmulatorConfig, FaultScript, FaultStep, JobSeed, RouteSelector, status};
use serde_json::{Value, json};

async fn admin(client: &TestClient, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    let reply = client
        .try_send(method, &format!("/__emulator{path}"), &[("content-type", "application/json")], &bytes)
        .await
        .unwrap();
    (reply.status.as_u16(), reply.json())
}

#[tokio::test]
async fn jobs_can_be_listed_seeded_and_cleared() {
    let cfg = EmulatorConfig::default().tls(true).job(JobSeed::running(1, 2));
    let (emu, client) = start(cfg, Proto::Auto).await;
    let (code, body) = admin(&client, Method::GET, "/jobs", None).await;
    assert_eq!(code, 200);
    assert_eq!(body["jobs"][0]["job_id"], 1);
    assert_eq!(body["jobs"][0]["versions"][0]["status"], status::RUNNING);

    let seeds = json!([
        {"job_id": 50, "job_name": "seeded", "versions": [{"version_id": 60, "status": 7}, {"status": 11}]},
        {"job_name": "auto-id"}
    ]);
    let (code, body) = admin(&client, Method::POST, "/jobs", Some(seeds)).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["jobs"][0], json!({"job_id": 50, "version_ids": [60, 100_000]}));
    assert_eq!(body["jobs"][1]["job_id"], 100, "generated ids start at 100");
    assert_eq!(emu.state().version_status(50, 60), Some(status::WAITING));
    assert_eq!(emu.state().jobs().len(), 3);

    for bad in [json!({"job_id": "x"}), json!([{"versions": [{"status": 23}]}]), json!({"jobid": 1})] {
        let (code, body) = admin(&client, Method::POST, "/jobs", Some(bad)).await;
        assert_eq!(code, 400, "{body}");
        assert!(body["error"].is_string());
    }

    let (code, _) = admin(&client, Method::DELETE, "/jobs", None).await;
    assert_eq!(code, 200);
    assert!(emu.state().jobs().is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn faults_throttle_clock_and_settings_routes() {
    let cfg = EmulatorConfig::default().auth(AuthMode::Off).job(JobSeed::running(1, 2)).never_kill();
    let (emu, client) = start(cfg, Proto::Auto).await;

    let script =
        json!({"route": "stop", "job_id": 1, "steps": [{"status": 503}, {"reset_after_effect": true}]});
    let (code, body) = admin(&client, Method::POST, "/faults", Some(script)).await;
    assert_eq!((code, body["added"].as_u64()), (200, Some(1)), "{body}");
    assert_eq!(
        emu.state().faults(),
        [FaultScript::new(RouteSelector::Stop)
            .job(1)
            .step(FaultStep::status(503))
            .step(FaultStep::reset_after_effect())]
    );
    let (code, body) =
        admin(&client, Method::POST, "/faults", Some(json!({"steps": [{"status": 503, "html_502": true}]})))
            .await;
    assert_eq!(code, 400, "{body}");
    let (_, body) = admin(&client, Method::GET, "/faults", None).await;
    assert_eq!(body["faults"].as_array().unwrap().len(), 1);
    admin(&client, Method::DELETE, "/faults", None).await;
    assert!(emu.state().faults().is_empty());

    let (code, body) =
        admin(&client, Method::POST, "/throttle", Some(json!({"rps": 2, "retry_after": 1}))).await;
    assert_eq!((code, body["throttle"]["rps"].as_u64()), (200, Some(2)));
    assert!(emu.state().throttle().is_some());
    let (code, _) = admin(&client, Method::POST, "/throttle", Some(json!({"rps": 0}))).await;
    assert_eq!(code, 400);
    admin(&client, Method::DELETE, "/throttle", None).await;
    assert!(emu.state().throttle().is_none());

    let (_, body) = admin(&client, Method::POST, "/clock", Some(json!({"offset_secs": 600}))).await;
    assert_eq!(body["offset_ms"], 600_000);
    let (_, body) = admin(&client, Method::POST, "/clock", Some(json!({"advance_ms": 500}))).await;
    assert_eq!(body["offset_ms"], 600_500);
    assert_eq!(emu.state().clock_offset_ms(), 600_500);

    let (code, body) = admin(
        &client,
        Method::POST,
        "/settings",
        Some(json!({"already_stopped": "conflict", "kill_after_ms": 5})),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["already_stopped"], "conflict");
    assert_eq!(body["kill_after_ms"], 5);
    assert_eq!(body["auth"], "off", "untouched keys keep their value");
    let (code, _) = admin(&client, Method::POST, "/settings", Some(json!({"auth": "sometimes"}))).await;
    assert_eq!(code, 400);

    let (code, body) = admin(&client, Method::GET, "/nope", None).await;
    assert_eq!(code, 404, "{body}");
    let (code, _) = admin(&client, Method::PUT, "/jobs", None).await;
    assert_eq!(code, 405);
    assert!(emu.state().journal().is_empty(), "admin calls are not journaled");
    emu.shutdown().await;
}

#[tokio::test]
async fn journal_filters_redacts_and_clears() {
    let cfg = EmulatorConfig::default().job(JobSeed::running(1, 2)).job(JobSeed::running(3, 4));
    let (emu, client) = start(cfg, Proto::Auto).await;
    client.with_token(Method::GET, &client.show_path(1, 2)).await;
    client.with_token(Method::GET, &client.show_path(1, 2)).await;
    client.with_token(Method::POST, &client.stop_path(3, 4)).await;
    let (_, all) = admin(&client, Method::GET, "/journal", None).await;
    let entries = all["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(all["dropped"], 0);
    let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(entries[1]["attempt"], 2);
    assert_eq!(entries[2]["attempt"], 1, "attempts count per route and ids");
    assert_eq!(entries[2]["effective_stop"], true);
    assert_eq!(entries[0]["auth"]["scheme"], "token");
    let raw = all.to_string();
    assert!(!raw.contains(&client.token), "the token never reaches the journal");

    let (_, stops) = admin(&client, Method::GET, "/journal?route=stop", None).await;
    assert_eq!(stops["entries"].as_array().unwrap().len(), 1);
    let (_, job1) = admin(&client, Method::GET, "/journal?job_id=1&version_id=2", None).await;
    assert_eq!(job1["entries"].as_array().unwrap().len(), 2);

    admin(&client, Method::DELETE, "/journal", None).await;
    assert!(emu.state().journal().is_empty());
    client.with_token(Method::GET, &client.show_path(1, 2)).await;
    assert_eq!(emu.state().journal()[0].attempt, 1, "clearing resets attempt numbers");
    emu.shutdown().await;
}

#[tokio::test]
async fn journal_limit_drops_the_oldest() {
    let cfg = EmulatorConfig::default().auth(AuthMode::Off).journal_limit(2);
    let (emu, client) = start(cfg, Proto::Auto).await;
    for _ in 0..5 {
        client.get(&client.jobs_path("")).await;
    }
    let seqs: Vec<u64> = emu.state().journal().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [4, 5]);
    assert_eq!(emu.state().journal_dropped(), 3);
    emu.shutdown().await;
}

#[tokio::test]
async fn reset_restores_the_start_state() {
    let cfg = EmulatorConfig::default()
        .auth(AuthMode::Off)
        .job(JobSeed::running(1, 2))
        .generate_jobs(2)
        .fault(FaultScript::new(RouteSelector::List).step(FaultStep::status(500)))
        .clock_offset_secs(5);
    let (emu, client) = start(cfg, Proto::Auto).await;
    let names_before: Vec<String> = emu.state().jobs().into_iter().map(|j| j.job_name).collect();
    let first_id = client.get(&client.jobs_path("")).await.header("x-request-id").unwrap().to_owned();
    client.post(&client.stop_path(1, 2)).await;
    emu.state().seed_jobs([JobSeed::running(9, 9)]);
    emu.state().set_clock_offset_ms(0);
    emu.state().update_settings(|s| s.auth = AuthMode::Enforce);

    let (code, _) = admin(&client, Method::POST, "/reset", None).await;
    assert_eq!(code, 200);
    let names_after: Vec<String> = emu.state().jobs().into_iter().map(|j| j.job_name).collect();
    assert_eq!(names_before, names_after, "same seed, same generated names");
    assert_eq!(emu.state().version_status(1, 2), Some(status::RUNNING));
    assert_eq!(emu.state().clock_offset_ms(), 5000);
    assert_eq!(emu.state().settings().auth, AuthMode::Off);
    assert!(emu.state().journal().is_empty());
    let again = client.get(&client.jobs_path("")).await;
    assert_eq!(again.status, 500, "the start fault is back");
    assert_eq!(again.header("x-request-id"), Some(first_id.as_str()), "request ids restart");
    emu.shutdown().await;
}

/// A non-loopback address of this machine, if it has one with a route.
fn non_loopback_ip() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    for target in ["192.0.2.255:9", "198.51.100.1:9", "10.255.255.255:9"] {
        if socket.connect(target).is_ok() {
            let ip = socket.local_addr().ok()?.ip();
            if !ip.is_loopback() && !ip.is_unspecified() {
                return Some(ip);
            }
        }
    }
    None
}

#[tokio::test]
async fn admin_refuses_non_loopback_peers() {
    let Some(ip) = non_loopback_ip() else {
        eprintln!("no non-loopback address on this machine; skipping");
        return;
    };
    let cfg = EmulatorConfig::default()
        .auth(AuthMode::Off)
        .listen(std::net::SocketAddr::new(ip, 0))
        .job(JobSeed::running(1, 2));
    let (emu, client) = start(cfg, Proto::Auto).await;
    assert!(client.base.contains(&ip.to_string()));
    let (code, body) = admin(&client, Method::GET, "/jobs", None).await;
    assert_eq!(code, 403, "{body}");
    assert_eq!(client.get(&client.show_path(1, 2)).await.status, 200, "the API itself answers anyone");
    emu.shutdown().await;
}
