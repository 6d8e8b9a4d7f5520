//! Auth modes over real sockets, with requests signed by the protocol crate's signer.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, SystemTime};

use common::{Proto, TestClient, assert_common_headers, assert_gateway_error, start};
use http::Method;
use modelarts_emulator::{
    AuthMode, AuthResult, AuthScheme, EmulatorConfig, JobSeed, RunningEmulator, status,
};

fn config(mode: AuthMode) -> EmulatorConfig {
    EmulatorConfig::default().auth(mode).job(JobSeed::running(1, 2)).never_kill()
}

async fn enforce(tls: bool, proto: Proto) -> (RunningEmulator, TestClient) {
    start(config(AuthMode::Enforce).tls(tls), proto).await
}

/// Sends and asserts a 401 `APIG.0301`; returns the reason after the fixed prefix.
async fn rejected(client: &TestClient, request: http::Request<http_body_util::Full<bytes::Bytes>>) -> String {
    let reply = client.try_send_request(request).await.unwrap();
    let msg = assert_gateway_error(&reply, 401, "APIG.0301");
    assert_common_headers(&reply);
    msg.strip_prefix("Incorrect IAM authentication information: ")
        .unwrap_or_else(|| panic!("{msg}"))
        .to_owned()
}

#[tokio::test]
async fn signed_requests_are_accepted_over_http1_and_h2() {
    for (tls, proto) in [(false, Proto::H1), (true, Proto::H1), (true, Proto::Auto)] {
        let (emu, client) = enforce(tls, proto).await;
        let show = client.signed(Method::GET, &client.show_path(1, 2)).await;
        assert_eq!(show.status, 200, "{}", String::from_utf8_lossy(&show.body));
        let list = client.signed(Method::GET, &client.jobs_path("?per_page=5&sortBy=job_name&page=1")).await;
        assert_eq!(list.status, 200, "a signed query string");
        let stop = client.signed(Method::POST, &client.stop_path(1, 2)).await;
        assert_eq!(stop.json(), serde_json::json!({"is_success": true}));
        assert_eq!(emu.state().version_status(1, 2), Some(status::KILLING));

        let journal = emu.state().journal();
        assert_eq!(journal.len(), 3);
        for entry in &journal {
            assert_eq!((entry.auth.result, entry.auth.scheme), (AuthResult::Accepted, AuthScheme::AkSk));
            assert_eq!(entry.auth.access_key.as_deref(), Some(client.ak.as_str()));
            assert_eq!(entry.header("authorization"), Some("<redacted>"));
            assert!(entry.header("x-sdk-date").is_some());
        }
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn tampered_unknown_key_and_missing_credentials_are_rejected() {
    let (emu, client) = enforce(true, Proto::Auto).await;
    let now = SystemTime::now();

    // Signed for one path, sent to another.
    let mut tampered =
        client.signed_request(Method::GET, &client.show_path(1, 2), &client.ak, &client.sk, now, &[]);
    *tampered.uri_mut() = format!("{}{}", client.base, client.show_path(1, 3)).parse().unwrap();
    assert_eq!(rejected(&client, tampered).await, "verify aksk signature fail");

    // A signed header changed after signing.
    let mut changed =
        client.signed_request(Method::GET, &client.show_path(1, 2), &client.ak, &client.sk, now, &[]);
    changed.headers_mut().insert("content-type", "text/plain".parse().unwrap());
    assert_eq!(rejected(&client, changed).await, "verify aksk signature fail");

    let wrong_sk =
        client.signed_request(Method::GET, &client.show_path(1, 2), &client.ak, "not-the-sk", now, &[]);
    assert_eq!(rejected(&client, wrong_sk).await, "verify aksk signature fail");

    let unknown =
        client.signed_request(Method::GET, &client.show_path(1, 2), "UNKNOWNAK", &client.sk, now, &[]);
    assert_eq!(rejected(&client, unknown).await, "Get secretKey failed,ak:UNKNOWNAK,err:ak not exist");

    let none = client.send(Method::GET, &client.show_path(1, 2), &[]).await;
    let msg = assert_gateway_error(&none, 401, "APIG.0301");
    assert!(msg.ends_with("x-auth-token not found"), "{msg}");

    let garbage = client.send(Method::GET, &client.show_path(1, 2), &[("authorization", "Basic abc")]).await;
    assert_gateway_error(&garbage, 401, "APIG.0301");

    // A stop that fails auth has no effect.
    let bad_stop = client.signed_request(Method::POST, &client.stop_path(1, 2), &client.ak, "nope", now, &[]);
    rejected(&client, bad_stop).await;
    assert_eq!(emu.state().version_status(1, 2), Some(status::RUNNING));

    let journal = emu.state().journal();
    assert!(journal.iter().all(|e| e.auth.result == AuthResult::Rejected && e.status == Some(401)));
    assert_eq!(journal[3].auth.access_key.as_deref(), Some("UNKNOWNAK"));
    emu.shutdown().await;
}

#[tokio::test]
async fn expired_and_skewed_signatures_are_rejected_until_the_client_uses_server_time() {
    let (emu, client) = enforce(false, Proto::H1).await;
    let old = SystemTime::now() - Duration::from_secs(16 * 60);
    let expired =
        client.signed_request(Method::GET, &client.show_path(1, 2), &client.ak, &client.sk, old, &[]);
    let reason = rejected(&client, expired).await;
    assert!(reason.starts_with("date out of range"), "{reason}");

    let near = SystemTime::now() - Duration::from_secs(14 * 60);
    let within =
        client.signed_request(Method::GET, &client.show_path(1, 2), &client.ak, &client.sk, near, &[]);
    assert_eq!(client.try_send_request(within).await.unwrap().status, 200);

    // The server clock runs 20 minutes ahead: wall-clock signatures fail, server-Date ones pass.
    emu.state().set_clock_offset_ms(20 * 60 * 1000);
    let skewed = client.signed_request(
        Method::GET,
        &client.show_path(1, 2),
        &client.ak,
        &client.sk,
        SystemTime::now(),
        &[],
    );
    let reply = client.try_send_request(skewed).await.unwrap();
    assert_eq!(reply.status, 401);
    let server_now = httpdate::parse_http_date(reply.header("date").unwrap()).unwrap();
    assert!(server_now.duration_since(SystemTime::now()).unwrap() > Duration::from_secs(19 * 60));
    let corrected =
        client.signed_request(Method::GET, &client.show_path(1, 2), &client.ak, &client.sk, server_now, &[]);
    assert_eq!(client.try_send_request(corrected).await.unwrap().status, 200);
    emu.shutdown().await;
}

#[tokio::test]
async fn token_auth() {
    let (emu, client) = enforce(true, Proto::Auto).await;
    let ok = client.with_token(Method::GET, &client.show_path(1, 2)).await;
    assert_eq!(ok.status, 200);
    let wrong = client.send(Method::GET, &client.show_path(1, 2), &[("x-auth-token", "forged")]).await;
    assert!(assert_gateway_error(&wrong, 401, "APIG.0301").ends_with("decrypt token fail"));
    let journal = emu.state().journal();
    assert_eq!((journal[0].auth.result, journal[0].auth.scheme), (AuthResult::Accepted, AuthScheme::Token));
    assert_eq!(journal[0].header("x-auth-token"), Some("<redacted>"));
    assert_eq!((journal[1].auth.result, journal[1].auth.scheme), (AuthResult::Rejected, AuthScheme::Token));
    emu.shutdown().await;
}

#[tokio::test]
async fn security_token_and_project_header_must_match() {
    let (emu, client) = start(config(AuthMode::Enforce).security_token("sts-token"), Proto::Auto).await;
    let now = SystemTime::now();
    let path = client.show_path(1, 2);
    let without = client.signed_request(Method::GET, &path, &client.ak, &client.sk, now, &[]);
    assert_eq!(rejected(&client, without).await, "x-security-token not found");
    let wrong = client.signed_request(
        Method::GET,
        &path,
        &client.ak,
        &client.sk,
        now,
        &[("x-security-token", "other")],
    );
    assert_eq!(rejected(&client, wrong).await, "invalid x-security-token");
    let right = client.signed_request(
        Method::GET,
        &path,
        &client.ak,
        &client.sk,
        now,
        &[("x-security-token", "sts-token")],
    );
    assert_eq!(client.try_send_request(right).await.unwrap().status, 200);
    assert_eq!(emu.state().journal()[2].header("x-security-token"), Some("<redacted>"));

    let token = client.token.clone();
    let other_project =
        client.send(Method::GET, &path, &[("x-auth-token", &token), ("x-project-id", "0000")]).await;
    assert!(assert_gateway_error(&other_project, 401, "APIG.0301").contains("x-project-id"));
    emu.shutdown().await;
}

#[tokio::test]
async fn log_mode_serves_and_records_failures() {
    let (emu, client) = start(config(AuthMode::Log), Proto::Auto).await;
    let reply = client.post(&client.stop_path(1, 2)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(emu.state().version_status(1, 2), Some(status::KILLING));
    let entry = &emu.state().journal()[0];
    assert_eq!(entry.auth.result, AuthResult::Rejected);
    assert_eq!(entry.auth.reason.as_deref(), Some("x-auth-token not found"));
    assert!(entry.effective_stop);
    emu.shutdown().await;
}

#[tokio::test]
async fn off_mode_checks_nothing_and_settings_switch_modes_at_run_time() {
    let (emu, client) = start(config(AuthMode::Off), Proto::Auto).await;
    assert_eq!(client.get(&client.show_path(1, 2)).await.status, 200);
    assert_eq!(emu.state().journal()[0].auth.result, AuthResult::NotChecked);
    emu.state().update_settings(|s| s.auth = AuthMode::Enforce);
    assert_eq!(client.get(&client.show_path(1, 2)).await.status, 401);
    emu.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_answer_404_before_auth() {
    let (emu, client) = enforce(false, Proto::H1).await;
    let reply = client.get("/v1/nothing-here").await;
    assert_gateway_error(&reply, 404, "APIG.0101");
    emu.shutdown().await;
}

/// The gateway locks an AK after more than five signature failures in a row, for a time set per
/// emulator; every request of that AK is refused with "AK access failed to reach the
/// limit,forbidden" until then, the right SK included. A success in between starts the count again.
#[tokio::test]
async fn an_access_key_is_locked_after_more_than_five_signature_failures_in_a_row() {
    let lock = Duration::from_millis(600);
    let (emu, client) = start(config(AuthMode::Enforce).ak_lock(lock), Proto::H1).await;
    let wrong = |c: &TestClient| {
        c.signed_request(Method::GET, &c.show_path(1, 2), &c.ak, "not-the-sk", SystemTime::now(), &[])
    };
    let right = |c: &TestClient| {
        c.signed_request(Method::GET, &c.show_path(1, 2), &c.ak, &c.sk, SystemTime::now(), &[])
    };

    // Five failures, one success: the count starts again.
    for _ in 0..5 {
        assert_eq!(rejected(&client, wrong(&client)).await, "verify aksk signature fail");
    }
    assert_eq!(client.try_send_request(right(&client)).await.unwrap().status, 200);
    // Six in a row: the sixth is still a signature failure, then the key is locked.
    for _ in 0..6 {
        assert_eq!(rejected(&client, wrong(&client)).await, "verify aksk signature fail");
    }
    assert_eq!(rejected(&client, right(&client)).await, "AK access failed to reach the limit,forbidden");
    assert_eq!(rejected(&client, wrong(&client)).await, "AK access failed to reach the limit,forbidden");
    // Other credentials are not affected.
    let token = client.send(Method::GET, &client.show_path(1, 2), &[("x-auth-token", &client.token)]).await;
    assert_eq!(token.status, 200);
    // After the lock's time, the right key works again.
    tokio::time::sleep(lock + Duration::from_millis(100)).await;
    assert_eq!(client.try_send_request(right(&client)).await.unwrap().status, 200);
    emu.shutdown().await;
}

/// The default lock is the gateway's 5 minutes.
#[test]
fn the_default_lock_is_five_minutes() {
    assert_eq!(EmulatorConfig::default().ak_lock, Duration::from_secs(300));
}
