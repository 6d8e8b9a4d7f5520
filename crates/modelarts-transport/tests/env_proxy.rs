//! `ProxyConfig::FromEnv` against the real process environment.
//!
//! Tests may not change their own environment (it races with other threads, and
//! `std::env::set_var` is `unsafe`, which the workspace forbids). So the parent test starts the
//! servers, then runs this same binary again as a child with `HTTPS_PROXY`/`NO_PROXY` set, and
//! checks the proxy's tunnel count after the child exits.

mod support;

use std::process::Command;

use bytes::Bytes;
use modelarts_transport::{HttpsTransport, TransportConfig};
use support::{H1_ONLY, Pki};

const CHILD_MARKER: &str = "MODELARTS_TRANSPORT_ENV_PROXY_CHILD";

/// Runs the child test with the given environment; returns whether it passed.
fn run_child(vars: &[(&str, String)]) -> bool {
    let exe = std::env::current_exe().expect("test binary path");
    let mut command = Command::new(exe);
    command
        .args(["--ignored", "--exact", "child_sends_one_request", "--test-threads=1"])
        .env(CHILD_MARKER, "1");
    for name in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
        "ALL_PROXY",
        "all_proxy",
        "REQUEST_METHOD",
    ] {
        command.env_remove(name);
    }
    for (name, value) in vars {
        command.env(name, value);
    }
    let output = command.output().expect("child runs");
    if !output.status.success() {
        eprintln!(
            "child failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    output.status.success()
}

/// Only meaningful inside `run_child`: sends one request to `TARGET_URL`, trusting `CA_FILE`,
/// with the default (`FromEnv`) proxy settings.
#[tokio::test]
#[ignore = "run by the env tests as a child process"]
async fn child_sends_one_request() {
    if std::env::var_os(CHILD_MARKER).is_none() {
        return;
    }
    let mut config = TransportConfig::default();
    config.ca_bundle = Some(std::env::var("CA_FILE").expect("CA_FILE").into());
    let transport = HttpsTransport::new(config).expect("transport");
    let url = std::env::var("TARGET_URL").expect("TARGET_URL");
    let request = http::Request::get(url).body(Bytes::new()).expect("request");
    let response = transport.send(request).await.expect("response");
    assert_eq!(response.status(), http::StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_proxy_and_no_proxy_from_the_process_environment() {
    let pki = Pki::generate();
    let server = support::https_server(&pki, H1_ONLY, support::echo_version()).await;
    let proxy = support::connect_proxy().await;
    let ca = pki.write_ca_file("env-proxy.pem").display().to_string();
    let target = server.https_url("/env");
    let base = [("CA_FILE", ca), ("TARGET_URL", target)];

    let proxied = [base.as_slice(), &[("HTTPS_PROXY", proxy.url())]].concat();
    let child = tokio::task::spawn_blocking(move || run_child(&proxied));
    assert!(child.await.expect("join"), "child with HTTPS_PROXY");
    assert_eq!(proxy.tunnel_count(), 1, "HTTPS_PROXY was used");

    let lower = [base.as_slice(), &[("https_proxy", proxy.url())]].concat();
    let child = tokio::task::spawn_blocking(move || run_child(&lower));
    assert!(child.await.expect("join"), "child with https_proxy");
    assert_eq!(proxy.tunnel_count(), 2, "https_proxy was used");

    let bypassed = [
        base.as_slice(),
        &[("HTTPS_PROXY", proxy.url()), ("NO_PROXY", "example.invalid,127.0.0.1".to_owned())],
    ]
    .concat();
    let child = tokio::task::spawn_blocking(move || run_child(&bypassed));
    assert!(child.await.expect("join"), "child with NO_PROXY");
    assert_eq!(proxy.tunnel_count(), 2, "NO_PROXY bypassed the proxy");

    assert_eq!(server.seen().len(), 3);
}
