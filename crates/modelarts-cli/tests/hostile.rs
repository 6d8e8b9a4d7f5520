//! The real `modelarts` binary against a hostile server (`modelarts_reliability::hostile`, plain
//! HTTP on loopback): answers the emulator never sends must end in a clear error and a non-zero exit,
//! never in "nothing to stop", an endless walk or a panic. Every row that means something for both
//! APIs runs against v1 and v2 from one table.

// Test helpers may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::process::{Output, Stdio};

use modelarts_reliability::hostile::{
    HostileServer, Reply, RequestHead, endless_page, endless_page_v2, v2_job, v2_job_id, v2_search_page,
};
use serde_json::Value;

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

/// A script for the hostile server, boxed so that one table holds the rows of both APIs.
type Script = Box<dyn Fn(usize, &RequestHead) -> Reply + Send + Sync>;

/// What every job list of these tests claims to hold.
const TOTAL: u64 = 1_000_000_000_000;

/// The v2 job the stop tests stop.
const JOB: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";

/// Whether a request is a stop (v1 `…/stop`, v2 `…/actions`).
fn is_stop(head: &RequestHead) -> bool {
    head.method == "POST" && (head.path().ends_with("/stop") || head.path().ends_with("/actions"))
}

#[test]
fn stop_running_over_a_list_without_jobs_fails() {
    let v1 = ["training-job", "stop", "--running", "--api", "v1", "--yes"].as_slice();
    let v2 = ["training-job", "stop", "--running", "--api", "v2", "--yes"].as_slice();
    let both = ["training-job", "stop", "--running", "--yes"].as_slice();
    // (API, list answer, arguments, list requests: one per API read)
    let cases = [
        ("v1", "{}", v1, 1),
        ("v1", "[]", v1, 1),
        ("v1", r#"{"jobs":null}"#, v1, 1),
        ("v2", "{}", v2, 1),
        ("v2", "[]", v2, 1),
        ("v2", r#"{"items":null,"total":5}"#, v2, 1),
        ("v2", r#"{"total":0,"count":0}"#, v2, 1),
        // Without --api both are read; each part fails on its own, and neither says "nothing".
        ("both", "{}", both, 2),
        ("both", r#"{"items":null,"jobs":null}"#, both, 2),
    ];
    for (api, body, args, lists) in cases {
        let server = HostileServer::always(Reply::json(200, body)).unwrap();
        let out = run(&server, args);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        let row = format!("{api} {body}");
        assert_eq!(out.status.code(), Some(1), "{row}: {stdout}\n{stderr}");
        assert!(stderr.contains("cannot list the running training jobs"), "{row}: {stderr}");
        assert!(stderr.contains("request id: hostile-request"), "{row}: {stderr}");
        assert!(!stdout.contains("nothing to stop") && !stderr.contains("nothing to stop"), "{row}");
        let log = server.log();
        assert_eq!(log.len(), lists, "{row}: one list request per API (--max-attempts 1)");
        assert!(!log.iter().any(is_stop), "{row}: no stop may be sent");
    }
}

/// A stop's success answer counts only when it is the answer a stop gets (v1: `is_success: true`;
/// v2: the job object of the job stopped, its ID compared normalized); any other body is read as
/// ambiguous: the status is read, and decides.
#[test]
fn a_stop_answered_without_our_job_is_not_accepted() {
    const RUNNING_V1: &str = r#"{"is_success":true,"job_id":10,"version_id":20,"status":8}"#;
    const KILLING_V1: &str = r#"{"is_success":true,"job_id":10,"version_id":20,"status":9}"#;
    let v1 = ["training-job", "stop", "10", "--version", "20"].as_slice();
    let v2 = ["training-job", "stop", JOB].as_slice();
    let ours = |id: &str, phase: &str| v2_job(Some(id), phase);
    let upper = format!(" {}", JOB.to_uppercase());
    // (API, stop answer, status answer, exit, requests in order, stderr contains)
    type Row<'a> = (&'a str, Reply, String, i32, &'a [&'a str], &'a str);
    let cases: Vec<Row<'_>> = vec![
        ("v1", Reply::json(200, "{}"), RUNNING_V1.into(), 1, &["POST", "GET"], "is_success"),
        ("v1", Reply::json(200, "[]"), RUNNING_V1.into(), 1, &["POST", "GET"], "not a JSON object"),
        ("v1", Reply::json(200, "{}"), KILLING_V1.into(), 0, &["POST", "GET"], ""),
        ("v1", Reply::json(200, r#"{"is_success":true}"#), RUNNING_V1.into(), 0, &["POST"], ""),
        ("v2", Reply::json(202, "{}"), ours(JOB, "Running"), 1, &["POST", "GET"], "names no job"),
        ("v2", Reply::json(202, "[]"), ours(JOB, "Running"), 1, &["POST", "GET"], "not a JSON object"),
        (
            "v2",
            Reply::json(202, &ours(&v2_job_id(7), "Terminating")),
            ours(JOB, "Running"),
            1,
            &["POST", "GET"],
            "another job (00000000-0000-4000-8000-000000000007)",
        ),
        (
            "v2",
            Reply::json(202, &v2_job(None, "Terminating")),
            ours(JOB, "Running"),
            1,
            &["POST", "GET"],
            "names no job",
        ),
        (
            "v2",
            Reply::json(202, &ours("12345", "Terminating")),
            ours(JOB, "Running"),
            1,
            &["POST", "GET"],
            "names no job",
        ),
        ("v2", Reply::json(202, "{}"), ours(JOB, "Terminating"), 0, &["POST", "GET"], ""),
        ("v2", Reply::json(202, &ours(&upper, "Terminating")), ours(JOB, "Running"), 0, &["POST"], ""),
    ];
    for (api, stop, status, code, requests, message) in cases {
        let row = format!("{api} {stop:?} then {status}");
        let status_reply = Reply::json(200, &status);
        let server = HostileServer::start(move |_, head| match head.method.as_str() {
            "POST" => stop.clone(),
            _ => status_reply.clone(),
        })
        .unwrap();
        let out = run(&server, if api == "v1" { v1 } else { v2 });
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{row}: {}\n{stderr}", text(&out.stdout));
        assert!(stderr.contains(message), "{row}: {stderr}");
        let methods: Vec<String> = server.log().into_iter().map(|h| h.method).collect();
        assert_eq!(methods, requests, "{row}: {stderr}");
    }
}

#[test]
fn list_all_over_endless_pages_ends_with_an_error() {
    // Ignores `page`/`offset`, invents a full page of new jobs per request and claims 10^12: the
    // item bound (100,000) ends the walk, the jobs read so far printed.
    // (API, pages, arguments, requests, the document's list)
    let cases: [(&str, Script, &[&str], usize, &str); 2] = [
        (
            "v1",
            Box::new(|n, _| endless_page(n, 1000, TOTAL)),
            &["training-job", "list", "--api", "v1", "--all", "--per-page", "1000", "--output", "json"],
            101,
            "jobs",
        ),
        (
            "v2",
            Box::new(|n, _| endless_page_v2(n, 50, TOTAL)),
            &["training-job", "list", "--api", "v2", "--all", "--output", "json"],
            2_001,
            "items",
        ),
    ];
    for (api, script, args, requests, list) in cases {
        let server = HostileServer::start(script).unwrap();
        let out = run(&server, args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{api}: {stderr}");
        assert!(stderr.contains("more than 100000 jobs"), "{api}: {stderr}");
        assert!(stderr.contains("1000000000000"), "{api}: {stderr}");
        assert_eq!(server.requests(), requests, "{api}");
        let document: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(document["complete"], false, "{api}");
        assert_eq!(document[list].as_array().unwrap().len(), 100_000, "{api}");
    }
}

#[test]
fn list_all_over_a_server_that_ignores_page_ends_with_an_error() {
    // v2: 49 jobs and one without `metadata.id`, the same page every time.
    let mut v2_jobs: Vec<String> = (0..49).map(|i| v2_job(Some(&v2_job_id(i)), "Running")).collect();
    v2_jobs.push(v2_job(None, "Running"));
    // (API, page, arguments, the document's list, jobs printed)
    let cases: [(&str, Reply, &[&str], &str, usize); 2] = [
        (
            "v1",
            endless_page(0, 100, TOTAL),
            &["training-job", "list", "--api", "v1", "--all", "--output", "json"],
            "jobs",
            100,
        ),
        (
            "v2",
            v2_search_page(&v2_jobs, TOTAL),
            &["training-job", "list", "--api", "v2", "--all", "--output", "json"],
            "items",
            50,
        ),
    ];
    for (api, page, args, list, printed) in cases {
        let server = HostileServer::always(page).unwrap();
        let out = run(&server, args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{api}: {stderr}");
        assert!(stderr.contains("page 2 of the job list repeated jobs already seen"), "{api}: {stderr}");
        assert_eq!(server.requests(), 2, "{api}");
        let document: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(document["complete"], false, "{api}");
        let jobs = document[list].as_array().unwrap();
        assert_eq!(jobs.len(), printed, "{api}: the repeated page is not printed");
        if api == "v2" {
            let id_less = jobs.iter().filter(|j| j["metadata"]["id"].is_null()).count();
            assert_eq!(id_less, 1, "the job without an ID is printed once");
        }
    }
}

/// One job listed several ways is stopped once: v1 twice under one number, v2 as its UUID, in
/// capitals and after a blank (IDs compared with ASCII blanks trimmed, in lower case), by the list
/// (`--running`) or by a stop list (`--from-file`).
#[test]
fn one_job_listed_several_ways_is_stopped_once() {
    let home = tempfile::tempdir().unwrap();
    let forms = [JOB.to_owned(), JOB.to_uppercase(), format!(" {JOB}")];
    let file = home.path().join("stop-list");
    std::fs::write(&file, forms.iter().map(|f| format!("{f}\n")).collect::<String>()).unwrap();
    let v1_job = r#"{"job_id":10,"job_name":"a","version_id":20,"status":8}"#;
    let v1_list = format!(r#"{{"is_success":true,"job_total_count":2,"jobs":[{v1_job},{v1_job}]}}"#);
    let v2_list = forms.iter().map(|f| v2_job(Some(f), "Running")).collect::<Vec<_>>();
    let terminating = v2_job(Some(JOB), "Terminating");
    let file = file.to_str().unwrap().to_owned();
    // (API, arguments, the stop's path ends with)
    let cases: [(&str, Vec<&str>, String); 3] = [
        (
            "v1",
            vec!["training-job", "stop", "--running", "--api", "v1", "--yes"],
            "/training-jobs/10/versions/20/stop".into(),
        ),
        (
            "v2",
            vec!["training-job", "stop", "--running", "--api", "v2", "--yes"],
            format!("/training-jobs/{JOB}/actions"),
        ),
        (
            "v2",
            vec!["training-job", "stop", "--from-file", &file, "--yes"],
            format!("/training-jobs/{JOB}/actions"),
        ),
    ];
    for (api, args, stop_path) in cases {
        let (v1_list, v2_list, terminating) = (v1_list.clone(), v2_list.clone(), terminating.clone());
        let server = HostileServer::start(move |_, head| {
            if head.path().ends_with("/training-job-searches") {
                v2_search_page(&v2_list, 3)
            } else if head.path().ends_with("/actions") {
                Reply::json(202, &terminating)
            } else if head.path().ends_with("/stop") {
                Reply::json(200, r#"{"is_success":true}"#)
            } else {
                Reply::json(200, &v1_list)
            }
        })
        .unwrap();
        let out = run(&server, &args);
        let row = format!("{api} {args:?}");
        assert_eq!(out.status.code(), Some(0), "{row}: {}\n{}", text(&out.stdout), text(&out.stderr));
        let stops: Vec<String> =
            server.log().into_iter().filter(is_stop).map(|h| h.path().to_owned()).collect();
        assert_eq!(stops.len(), 1, "{row}: {stops:?}");
        assert!(stops[0].ends_with(&stop_path), "{row}: {stops:?}");
    }
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

/// A server that echoes what it received in its refusal: the `Authorization` header (with the
/// signature), `X-Auth-Token` and `X-Security-Token`, whole and cut to 20 characters. None of the
/// secrets, nor any 16-character piece of them, nor the signature, reaches stderr or stdout, in
/// text or JSON, with `-vv` (they used to be printed as the server wrote them).
#[test]
fn secrets_a_server_echoes_are_masked_in_errors_and_logs() {
    const SK: &str = "echoed-secret-key-0000000000000000000001";
    const SECURITY_TOKEN: &str = "gQechoed-security-token-00000000000000000000000000000001";
    const TOKEN: &str = "MIIechoed-iam-token-000000000000000000000000000000000000001";
    let echo = |_: usize, head: &RequestHead| {
        let mut said = String::new();
        for name in ["authorization", "x-auth-token", "x-security-token"] {
            if let Some(value) = head.header(name) {
                let cut: String =
                    value.chars().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect();
                said.push_str(&format!(" {name}={value} (ends {cut})"));
            }
        }
        let body = serde_json::json!({
            "error_code": "APIG.0301",
            "error_msg": format!("Incorrect IAM authentication information: you sent{said}"),
        });
        Reply::json(401, &body.to_string())
    };
    let server = HostileServer::start(echo).unwrap();
    let show = ["training-job", "show", "10", "--version", "20"];
    let home = tempfile::tempdir().unwrap();
    let base = || {
        let mut cmd = common::bare(home.path());
        cmd.args(["--endpoint-url", &server.url(), "--project-id", PROJECT, "--max-attempts", "1"])
            .stdin(Stdio::null());
        cmd
    };
    for json in [false, true] {
        for with_token in [false, true] {
            let mut cmd = base();
            if with_token {
                cmd.env("MODELARTS_IAM_TOKEN", TOKEN);
            } else {
                cmd.env("HUAWEICLOUD_SDK_AK", "ECHOAK")
                    .env("HUAWEICLOUD_SDK_SK", SK)
                    .env("HUAWEICLOUD_SDK_SECURITY_TOKEN", SECURITY_TOKEN);
            }
            cmd.arg("-vv");
            if json {
                cmd.args(["--output", "json"]);
            }
            let out = cmd.args(show).output().unwrap();
            let all = format!("{}\n{}", text(&out.stdout), text(&out.stderr));
            let row = format!("json {json}, token {with_token}");
            assert_ne!(out.status.code(), Some(0), "{row}: {all}");
            assert!(all.contains("you sent"), "{row}: the server's text is shown: {all}");
            for secret in [SK, SECURITY_TOKEN, TOKEN] {
                let pieces: Vec<&str> = (0..=secret.len() - 16).map(|i| &secret[i..i + 16]).collect();
                for piece in pieces {
                    assert!(!all.contains(piece), "{row}: a piece of a secret: {piece}\n{all}");
                }
            }
            assert!(
                !all.contains("Signature=")
                    || all.matches("Signature=****").count() == all.matches("Signature=").count(),
                "{row}: {all}"
            );
            let hex_runs = all.split(|c: char| !c.is_ascii_hexdigit()).filter(|run| run.len() >= 64).count();
            assert_eq!(hex_runs, 0, "{row}: no signature-shaped value: {all}");
        }
    }
}
