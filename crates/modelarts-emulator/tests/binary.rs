//! The `modelarts-emulator` binary: start-up line, flags, files, SIGTERM.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_modelarts-emulator");

fn spawn(args: &[&str]) -> (Child, Value, BufReader<std::process::ChildStdout>) {
    let mut child =
        Command::new(BIN).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let json: Value = serde_json::from_str(line.trim_end()).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    (child, json, stdout)
}

fn sigterm(child: &mut Child) -> std::process::ExitStatus {
    let ok = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(ok.success());
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    panic!("the emulator did not exit within 5 s of SIGTERM");
}

async fn get(ca_pem: Option<&str>, url: String, headers: &[(&str, &str)]) -> (u16, Value) {
    let client = common::client_for(ca_pem, common::Proto::Auto);
    let mut request = http::Request::get(url);
    for (n, v) in headers {
        request = request.header(*n, *v);
    }
    let response = client.request(request.body(Full::new(Bytes::new())).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

// Multi-threaded so the client's connection tasks keep running while this thread waits for the exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prints_one_json_line_serves_https_and_exits_0_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("emu-bin-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("seed.json");
    std::fs::write(
        &seed,
        r#"[{"job_id": 10, "job_name": "seeded", "versions": [{"version_id": 20, "status": 8}]}]"#,
    )
    .unwrap();
    let faults = dir.join("faults.json");
    std::fs::write(&faults, r#"[{"route": "list", "steps": [{"status": 503}]}]"#).unwrap();

    let (mut child, line, mut stdout) = spawn(&[
        "--tls",
        "--jobs",
        "2",
        "--kill-after",
        "200ms",
        "--seed-file",
        seed.to_str().unwrap(),
        "--faults",
        faults.to_str().unwrap(),
        "--project-id",
        "0123456789abcdef0123456789abcdef",
        "--token",
        "tok",
    ]);
    let keys: Vec<&String> = line.as_object().unwrap().keys().collect();
    for key in ["endpoint", "ca_cert", "project_id", "ak", "sk", "token", "admin"] {
        assert!(keys.iter().any(|k| *k == key), "{key} missing from {line}");
    }
    let endpoint = line["endpoint"].as_str().unwrap().to_owned();
    assert!(endpoint.starts_with("https://127.0.0.1:"), "{endpoint}");
    assert_eq!(line["admin"].as_str().unwrap(), format!("{endpoint}/__emulator"));
    assert_eq!(line["project_id"], "0123456789abcdef0123456789abcdef");
    assert_eq!(line["token"], "tok");
    let ca_path = std::path::PathBuf::from(line["ca_cert"].as_str().unwrap());
    let ca = std::fs::read_to_string(&ca_path).unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));

    let base = format!("{endpoint}/v1/0123456789abcdef0123456789abcdef/training-jobs");
    let token = [("x-auth-token", "tok")];
    let (code, _) = get(Some(&ca), base.clone(), &token).await;
    assert_eq!(code, 503, "the fault file applies");
    let (code, list) = get(Some(&ca), base.clone(), &token).await;
    assert_eq!(code, 200);
    assert_eq!(list["job_total_count"], 3, "the seed file plus --jobs 2");
    let (code, show) = get(Some(&ca), format!("{base}/10/versions/20"), &token).await;
    assert_eq!((code, show["job_name"].as_str()), (200, Some("seeded")));
    let (code, journal) = get(Some(&ca), format!("{endpoint}/__emulator/journal"), &[]).await;
    assert_eq!((code, journal["entries"].as_array().unwrap().len()), (200, 3));

    let status = sigterm(&mut child);
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "exactly one line on stdout");
    assert!(!ca_path.exists(), "the temp CA file is removed at exit");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_by_default_with_ca_out_ignored() {
    let (mut child, line, _stdout) = spawn(&["--auth", "off", "--listen", "127.0.0.1:0"]);
    assert!(line["endpoint"].as_str().unwrap().starts_with("http://"));
    assert!(line["ca_cert"].is_null());
    let url = format!(
        "{}/v1/{}/training-jobs",
        line["endpoint"].as_str().unwrap(),
        line["project_id"].as_str().unwrap()
    );
    let (code, body) = get(None, url, &[]).await;
    assert_eq!((code, body["job_total_count"].as_u64()), (200, Some(0)));
    assert!(sigterm(&mut child).success());
}

/// A SIGTERM sent the moment the start line is read is handled (exit 0), never the default action:
/// the handlers are installed before the line is printed.
#[test]
fn sigterm_right_after_the_start_line_exits_0() {
    for _ in 0..20 {
        let (mut child, _line, _stdout) = spawn(&["--auth", "off"]);
        let status = sigterm(&mut child);
        assert!(status.success(), "{status:?}");
    }
}

#[test]
fn ca_out_refuses_an_existing_file_or_a_planted_symlink() {
    let dir = tempfile_dir("emu-ca-refuse");
    let existing = dir.join("existing.pem");
    std::fs::write(&existing, "keep me").unwrap();
    let target = dir.join("target.txt");
    std::fs::write(&target, "victim").unwrap();
    let link = dir.join("link.pem");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    for path in [&existing, &link] {
        let output = Command::new(BIN).args(["--tls", "--ca-out", path.to_str().unwrap()]).output().unwrap();
        assert!(!output.status.success(), "{path:?}");
        assert!(output.stdout.is_empty(), "no start line for {path:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("must not exist yet"), "{stderr}");
    }
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "victim", "the symlink was not followed");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn default_ca_sits_in_a_private_directory_removed_at_exit() {
    use std::os::unix::fs::PermissionsExt;
    let (mut child, line, _stdout) = spawn(&["--tls", "--auth", "off"]);
    let ca = std::path::PathBuf::from(line["ca_cert"].as_str().unwrap());
    let dir = ca.parent().unwrap().to_path_buf();
    assert_ne!(dir, std::env::temp_dir(), "not directly in the shared temp dir");
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{dir:?}");
    assert!(sigterm(&mut child).success());
    assert!(!dir.exists(), "{dir:?} removed at exit");
}

fn tempfile_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn explicit_ca_out_is_kept() {
    let path = std::env::temp_dir().join(format!("emu-ca-out-{}.pem", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let (mut child, line, _stdout) = spawn(&["--tls", "--ca-out", path.to_str().unwrap()]);
    assert_eq!(line["ca_cert"].as_str(), path.to_str());
    assert!(sigterm(&mut child).success());
    assert!(path.exists());
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn bad_input_fails_without_a_start_line() {
    let cases: &[&[&str]] = &[
        &["--seed-file", "/nonexistent/seed.json"],
        &["--kill-after", "soon"],
        &["--auth", "maybe"],
        &["--listen", "256.0.0.1:1"],
    ];
    for args in cases {
        let output = Command::new(BIN).args(*args).output().unwrap();
        assert!(!output.status.success(), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
}
