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

/// What every job list of these tests claims to hold.
const TOTAL: u64 = 1_000_000_000_000;

/// The v2 job the stop tests stop.
const JOB: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";

/// Whether a request is a stop (v1 `…/stop`, v2 `…/actions`).
fn is_stop(head: &RequestHead) -> bool {
    head.method == "POST" && (head.path().ends_with("/stop") || head.path().ends_with("/actions"))
}

/// An API a row of the hostile table runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    V1,
    V2,
}

/// Which APIs a row means something for.
#[derive(Debug, Clone, Copy)]
enum Apis {
    Both,
    V1Only,
    V2Only,
}

impl Apis {
    fn each(self) -> &'static [Api] {
        match self {
            Apis::Both => &[Api::V1, Api::V2],
            Apis::V1Only => &[Api::V1],
            Apis::V2Only => &[Api::V2],
        }
    }
}

impl Api {
    fn flag(self) -> &'static str {
        match self {
            Api::V1 => "v1",
            Api::V2 => "v2",
        }
    }

    /// `list --all` as JSON: v1 a page of 1,000 jobs, v2 of 50.
    fn list_all(self) -> Vec<&'static str> {
        let mut args = vec!["training-job", "list", "--api", self.flag(), "--all", "--output", "json"];
        if self == Api::V1 {
            args.extend(["--per-page", "1000"]);
        }
        args
    }

    /// The page size `list_all` walks with.
    fn page(self) -> usize {
        match self {
            Api::V1 => 1000,
            Api::V2 => 50,
        }
    }

    /// The list in the JSON document of `list --all`.
    fn key(self) -> &'static str {
        match self {
            Api::V1 => "jobs",
            Api::V2 => "items",
        }
    }

    /// A page of `size` new jobs for request `n`, claiming [`TOTAL`].
    fn endless(self, n: usize) -> Reply {
        match self {
            Api::V1 => endless_page(n, self.page(), TOTAL),
            Api::V2 => endless_page_v2(n, self.page(), TOTAL),
        }
    }

    /// A full page whose last job has no ID (v1: no `job_id`; v2: no `metadata.id`).
    fn page_with_an_id_less_job(self) -> Reply {
        match self {
            Api::V1 => {
                let mut jobs: Vec<String> = (1..self.page())
                    .map(|id| format!(r#"{{"job_id":{id},"job_name":"j","version_id":{id},"status":8}}"#))
                    .collect();
                jobs.push(r#"{"job_name":"no-id","version_id":1,"status":8}"#.to_owned());
                let body =
                    format!(r#"{{"is_success":true,"job_total_count":{TOTAL},"jobs":[{}]}}"#, jobs.join(","));
                Reply::json(200, &body)
            }
            Api::V2 => {
                let mut jobs: Vec<String> =
                    (0..self.page() - 1).map(|i| v2_job(Some(&v2_job_id(i)), "Running")).collect();
                jobs.push(v2_job(None, "Running"));
                v2_search_page(&jobs, TOTAL)
            }
        }
    }

    /// Stop the job the stop rows stop.
    fn stop(self) -> &'static [&'static str] {
        match self {
            Api::V1 => &["training-job", "stop", "10", "--version", "20"],
            Api::V2 => &["training-job", "stop", JOB],
        }
    }

    /// Its status read: running, or stopping.
    fn status(self, stopping: bool) -> String {
        match (self, stopping) {
            (Api::V1, false) => r#"{"is_success":true,"job_id":10,"version_id":20,"status":8}"#.to_owned(),
            (Api::V1, true) => r#"{"is_success":true,"job_id":10,"version_id":20,"status":9}"#.to_owned(),
            (Api::V2, false) => v2_job(Some(JOB), "Running"),
            (Api::V2, true) => v2_job(Some(JOB), "Terminating"),
        }
    }
}

/// What a row serves and what it expects.
enum Check {
    /// `list --all --output json` over these pages: exit 1, stderr names the cause, the document
    /// says `"complete": false` and holds the jobs read, each once.
    ListAll {
        pages: fn(Api, usize) -> Reply,
        says: &'static str,
        printed: fn(Api) -> usize,
        requests: fn(Api) -> usize,
    },
    /// Every list answers this body (per API): `list --all` fails, and `stop --running --yes` fails
    /// without "nothing to stop" and without sending a stop.
    NoList { body: fn(Api) -> String },
    /// The stop is answered so, then the status read shows the job running or stopping.
    Stop {
        answer: fn(Api) -> Reply,
        stopping: bool,
        exit: i32,
        methods: &'static [&'static str],
        says: fn(Api) -> &'static str,
    },
}

/// The hostile table: every row that means something in both APIs runs against both.
fn hostile_table() -> Vec<(&'static str, Apis, Check)> {
    vec![
        (
            "a list that never ends: new jobs on every page, a total of 10^12",
            Apis::Both,
            Check::ListAll {
                pages: Api::endless,
                says: "more than 100000 jobs (the server announced 1000000000000)",
                printed: |_| 100_000,
                requests: |api| 100_000 / api.page() + 1,
            },
        ),
        (
            "the same page every time",
            Apis::Both,
            Check::ListAll {
                pages: |api, _| api.endless(0),
                says: "page 2 of the job list repeated jobs already seen",
                printed: Api::page,
                requests: |_| 2,
            },
        ),
        (
            // v2 keeps a job without an ID (printed once, never recognised); a v1 job has no
            // optional ID, so the page is malformed: an error at once, nothing printed twice.
            "the same page every time, one job without an ID",
            Apis::Both,
            Check::ListAll {
                pages: |api, _| api.page_with_an_id_less_job(),
                says: "",
                printed: |api| if api == Api::V1 { 0 } else { api.page() },
                requests: |api| if api == Api::V1 { 1 } else { 2 },
            },
        ),
        ("a list answer 200 {}", Apis::Both, Check::NoList { body: |_| "{}".to_owned() }),
        ("a list answer 200 []", Apis::Both, Check::NoList { body: |_| "[]".to_owned() }),
        (
            "a list answer with a null list and a total of 5",
            Apis::Both,
            Check::NoList {
                body: |api| match api {
                    Api::V1 => r#"{"is_success":true,"jobs":null,"job_total_count":5}"#.to_owned(),
                    Api::V2 => r#"{"items":null,"total":5}"#.to_owned(),
                },
            },
        ),
        (
            "a list answer with counts and no list",
            Apis::Both,
            Check::NoList {
                body: |api| match api {
                    Api::V1 => r#"{"is_success":true,"job_total_count":0}"#.to_owned(),
                    Api::V2 => r#"{"total":0,"count":0}"#.to_owned(),
                },
            },
        ),
        (
            "a stop answered 202 {}, the job still running",
            Apis::Both,
            Check::Stop {
                answer: |_| Reply::json(202, "{}"),
                stopping: false,
                exit: 1,
                methods: &["POST", "GET"],
                says: |api| if api == Api::V1 { "is_success" } else { "names no job" },
            },
        ),
        (
            "a stop answered 202 {}, the job stopping",
            Apis::Both,
            Check::Stop {
                answer: |_| Reply::json(202, "{}"),
                stopping: true,
                exit: 0,
                methods: &["POST", "GET"],
                says: |_| "",
            },
        ),
        (
            "a stop answered 200 {}, the job still running",
            Apis::Both,
            Check::Stop {
                answer: |_| Reply::json(200, "{}"),
                stopping: false,
                exit: 1,
                methods: &["POST", "GET"],
                says: |api| if api == Api::V1 { "is_success" } else { "names no job" },
            },
        ),
        (
            "a stop answered 200 [], the job still running",
            Apis::Both,
            Check::Stop {
                answer: |_| Reply::json(200, "[]"),
                stopping: false,
                exit: 1,
                methods: &["POST", "GET"],
                says: |_| "not a JSON object",
            },
        ),
        (
            "a stop answered as a stop is (v1 is_success true, v2 our job in capitals after a blank)",
            Apis::Both,
            Check::Stop {
                answer: |api| match api {
                    Api::V1 => Reply::json(200, r#"{"is_success":true}"#),
                    Api::V2 => {
                        Reply::json(202, &v2_job(Some(&format!(" {}", JOB.to_uppercase())), "Terminating"))
                    }
                },
                stopping: false,
                exit: 0,
                methods: &["POST"],
                says: |_| "",
            },
        ),
        (
            "a stop answered 200 is_success false without an error code, the job still running",
            Apis::V1Only,
            Check::Stop {
                answer: |_| Reply::json(200, r#"{"is_success":false}"#),
                stopping: false,
                exit: 1,
                methods: &["POST", "GET"],
                says: |_| "without an error code",
            },
        ),
        (
            "a stop answered 200 is_success false without an error code, the job stopping",
            Apis::V1Only,
            Check::Stop {
                answer: |_| Reply::json(200, r#"{"is_success":false}"#),
                stopping: true,
                exit: 0,
                methods: &["POST", "GET"],
                says: |_| "",
            },
        ),
        (
            "a terminate answered 202 with another job",
            Apis::V2Only,
            Check::Stop {
                answer: |_| Reply::json(202, &v2_job(Some(&v2_job_id(7)), "Terminating")),
                stopping: false,
                exit: 1,
                methods: &["POST", "GET"],
                says: |_| "another job (00000000-0000-4000-8000-000000000007)",
            },
        ),
        (
            "a terminate answered 202 with a job without an ID",
            Apis::V2Only,
            Check::Stop {
                answer: |_| Reply::json(202, &v2_job(None, "Terminating")),
                stopping: false,
                exit: 1,
                methods: &["POST", "GET"],
                says: |_| "names no job",
            },
        ),
        (
            "a terminate answered 202 with a job whose ID is not a UUID",
            Apis::V2Only,
            Check::Stop {
                answer: |_| Reply::json(202, &v2_job(Some("12345"), "Terminating")),
                stopping: false,
                exit: 1,
                methods: &["POST", "GET"],
                says: |_| "names no job",
            },
        ),
    ]
}

/// Runs one row against one API.
fn check_row(name: &str, api: Api, check: &Check) {
    let row = format!("{} {name}", api.flag());
    match check {
        Check::ListAll { pages, says, printed, requests } => {
            let pages = *pages;
            let server = HostileServer::start(move |n, _| pages(api, n)).unwrap();
            let out = run(&server, &api.list_all());
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{row}: {stderr}");
            assert!(stderr.contains(says), "{row}: {stderr}");
            assert_eq!(server.requests(), requests(api), "{row}");
            let document: Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("{row}: {e}: {}", text(&out.stdout)));
            assert_eq!(document["complete"], false, "{row}");
            let jobs = document[api.key()].as_array().map_or(&[][..], Vec::as_slice);
            assert_eq!(jobs.len(), printed(api), "{row}: the jobs read, each once");
            let ids: Vec<&Value> = jobs
                .iter()
                .map(|j| if api == Api::V1 { &j["job_id"] } else { &j["metadata"]["id"] })
                .collect();
            let distinct: std::collections::HashSet<String> = ids.iter().map(|id| id.to_string()).collect();
            assert_eq!(distinct.len(), ids.len(), "{row}: no job printed twice (the ID-less one included)");
        }
        Check::NoList { body } => {
            let body = body(api);
            let server = HostileServer::always(Reply::json(200, &body)).unwrap();
            let out = run(&server, &api.list_all());
            assert_eq!(out.status.code(), Some(1), "{row}: list --all: {}", text(&out.stderr));
            let stop = ["training-job", "stop", "--running", "--api", api.flag(), "--yes"];
            let before = server.requests();
            let out = run(&server, &stop);
            let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
            assert_eq!(out.status.code(), Some(1), "{row}: {stdout}\n{stderr}");
            assert!(stderr.contains("cannot list the running training jobs"), "{row}: {stderr}");
            assert!(stderr.contains("request id: hostile-request"), "{row}: {stderr}");
            assert!(!stdout.contains("nothing to stop") && !stderr.contains("nothing to stop"), "{row}");
            assert_eq!(server.requests() - before, 1, "{row}: one list request (--max-attempts 1)");
            assert!(!server.log().iter().any(is_stop), "{row}: no stop may be sent");
        }
        Check::Stop { answer, stopping, exit, methods, says } => {
            let (stop, status) = (answer(api), Reply::json(200, &api.status(*stopping)));
            let server = HostileServer::start(move |_, head| match head.method.as_str() {
                "POST" => stop.clone(),
                _ => status.clone(),
            })
            .unwrap();
            let out = run(&server, api.stop());
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(*exit), "{row}: {}\n{stderr}", text(&out.stdout));
            assert!(stderr.contains(says(api)), "{row}: {stderr}");
            let sent: Vec<String> = server.log().into_iter().map(|h| h.method).collect();
            assert_eq!(sent, *methods, "{row}: {stderr}");
        }
    }
}

/// The one hostile table: each row runs against the APIs it is marked for (`Both`, `V1Only`,
/// `V2Only`), and a row marked `Both` means the same in each: the same end, the same exit.
#[test]
fn hostile_answers_end_alike_in_both_apis() {
    let table = hostile_table();
    let both = table.iter().filter(|(_, apis, _)| matches!(apis, Apis::Both)).count();
    assert!(both >= 10, "the rows that mean something in both APIs run against both");
    for (name, apis, check) in &table {
        for api in apis.each() {
            check_row(name, *api, check);
        }
    }
}

/// Without `--api` both lists are read; each part fails on its own, and neither says "nothing".
#[test]
fn stop_running_of_both_apis_over_lists_without_jobs_fails() {
    for body in ["{}", r#"{"items":null,"jobs":null}"#] {
        let server = HostileServer::always(Reply::json(200, body)).unwrap();
        let out = run(&server, &["training-job", "stop", "--running", "--yes"]);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{body}: {stdout}\n{stderr}");
        assert!(stderr.contains("cannot list the running training jobs"), "{body}: {stderr}");
        assert!(!stdout.contains("nothing to stop") && !stderr.contains("nothing to stop"), "{body}");
        assert_eq!(server.log().len(), 2, "{body}: one list request per API");
        assert!(!server.log().iter().any(is_stop), "{body}: no stop may be sent");
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
