//! The real `modelarts` binary against a hostile server (`modelarts_reliability::hostile`, plain
//! HTTP on loopback): answers the emulator never sends must end in a clear error and a non-zero exit,
//! never in "nothing to stop", an endless walk or a panic.

// Test helpers may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::process::{Output, Stdio};

use modelarts_reliability::hostile::{HostileServer, Reply, endless_page};

mod common;

use common::{PROJECT, text};

fn run(server: &HostileServer, args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    common::bare(home.path())
        .env("HUAWEICLOUD_SDK_AK", "HOSTILEAK")
        .env("HUAWEICLOUD_SDK_SK", "HOSTILESK")
        .args(["--endpoint-url", &server.url(), "--project-id", PROJECT, "--max-attempts", "1"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn stop_running_over_a_list_without_jobs_fails() {
    for body in ["{}", "[]", r#"{"jobs":null}"#] {
        let server = HostileServer::always(Reply::json(200, body)).unwrap();
        let out = run(&server, &["training-job", "stop", "--running", "--yes"]);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{body}: {stdout}\n{stderr}");
        assert!(stderr.contains("cannot list the running training jobs"), "{body}: {stderr}");
        assert!(stderr.contains("request id: hostile-request"), "{body}: {stderr}");
        assert!(!stdout.contains("nothing to stop") && !stderr.contains("nothing to stop"), "{body}");
        assert!(server.log().iter().all(|h| h.method == "GET"), "{body}: no stop may be sent");
    }
}

#[test]
fn a_stop_answered_200_empty_is_not_accepted() {
    for body in ["{}", "[]"] {
        let server = HostileServer::start(move |_, head| match head.method.as_str() {
            "POST" => Reply::json(200, body),
            _ => Reply::json(200, r#"{"is_success":true,"job_id":10,"version_id":20,"status":8}"#),
        })
        .unwrap();
        let out = run(&server, &["training-job", "stop", "10", "--version", "20"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{body}: {}\n{stderr}", text(&out.stdout));
        assert!(stderr.contains("is_success") || stderr.contains("not a JSON object"), "{body}: {stderr}");
    }
}

#[test]
fn list_all_over_endless_pages_ends_with_an_error() {
    // Ignores `page`, invents 1,000 jobs per request and claims 10^12.
    let server = HostileServer::start(|n, _| endless_page(n, 1000, 1_000_000_000_000)).unwrap();
    let out = run(&server, &["training-job", "list", "--all", "--per-page", "1000", "--output", "json"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("more than 100000 jobs"), "{stderr}");
    assert!(stderr.contains("1000000000000"), "{stderr}");
    assert_eq!(server.requests(), 101);
}

#[test]
fn list_all_over_a_server_that_ignores_page_ends_with_an_error() {
    let server = HostileServer::always(endless_page(0, 100, 1_000_000_000_000)).unwrap();
    let out = run(&server, &["training-job", "list", "--all"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("page 2 of the job list repeated jobs already seen"), "{stderr}");
    assert_eq!(server.requests(), 2);
}

/// A proxy that answers `CONNECT` with 407: exit 3 after one attempt, the message says the proxy
/// refused the credentials, and the password is never printed.
#[test]
fn a_proxy_refusing_the_credentials_is_a_configuration_failure() {
    let proxy = HostileServer::always(Reply::Http {
        status: 407,
        headers: vec![("Proxy-Authenticate".to_owned(), "Basic realm=\"corp\"".to_owned())],
        body: Vec::new(),
    })
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    for (url, expected) in [
        (format!("http://alice:pr0xyPassw0rd@{}", proxy.addr()), "the proxy refused the credentials"),
        (format!("http://{}", proxy.addr()), "the proxy requires credentials"),
    ] {
        let before = proxy.requests();
        let out = common::binary(home.path())
            .env("HUAWEICLOUD_SDK_AK", "HOSTILEAK")
            .env("HUAWEICLOUD_SDK_SK", "HOSTILESK")
            .env("HTTPS_PROXY", &url)
            .args([
                "--region",
                "eu-de",
                "--project-id",
                PROJECT,
                "training-job",
                "show",
                "10",
                "--version",
                "20",
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("pr0xyPassw0rd") && !stderr.contains("alice"), "{stderr}");
        // Not retried: one CONNECT (the default policy allows 3 attempts).
        assert_eq!(proxy.requests() - before, 1, "{stderr}");
        let connect = proxy.log().pop().unwrap();
        assert_eq!(connect.method, "CONNECT");
        assert_eq!(connect.header("proxy-authorization").is_some(), url.contains('@'));
    }
}

/// A 407 answered to the request itself (a proxy in the path): the same class of failure.
#[test]
fn a_407_answer_is_a_configuration_failure_not_retried() {
    let server = HostileServer::always(Reply::Http {
        status: 407,
        headers: vec![("Proxy-Authenticate".to_owned(), "Basic".to_owned())],
        body: b"<html>proxy login</html>".to_vec(),
    })
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = common::binary(home.path())
        .env("HUAWEICLOUD_SDK_AK", "HOSTILEAK")
        .env("HUAWEICLOUD_SDK_SK", "HOSTILESK")
        .args([
            "--endpoint-url",
            &server.url(),
            "--project-id",
            PROJECT,
            "training-job",
            "stop",
            "10",
            "--version",
            "20",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("a proxy refused the credentials"), "{stderr}");
    assert_eq!(server.requests(), 1, "{stderr}");
}
