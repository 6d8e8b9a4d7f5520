//! The binary's identity flags: `--iam-region`, `--metadata`, `--metadata-no-agency`.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_modelarts-emulator");

async fn send(url: String, method: &str, headers: &[(&str, &str)]) -> (u16, Bytes) {
    let client = common::client_for(None, common::Proto::H1);
    let mut request = http::Request::builder().method(method).uri(url);
    for (n, v) in headers {
        request = request.header(*n, *v);
    }
    let response = client.request(request.body(Full::new(Bytes::new())).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    (status, response.into_body().collect().await.unwrap().to_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_region_and_metadata_flags() {
    let mut child = Command::new(BIN)
        .args(["--iam-region", "la-south-2", "--metadata", "--metadata-no-agency"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let start: Value = serde_json::from_str(line.trim_end()).unwrap();
    let base = start["endpoint"].as_str().unwrap().to_owned();
    let token = start["token"].as_str().unwrap().to_owned();

    let (status, body) =
        send(format!("{base}/v3/projects?name=la-south-2"), "GET", &[("x-auth-token", &token)]).await;
    assert_eq!(status, 200);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["projects"][0]["id"], start["project_id"], "{body}");

    let (status, session) =
        send(format!("{base}/meta-data/latest/api/token"), "PUT", &[("x-metadata-token-ttl-seconds", "60")])
            .await;
    assert_eq!(status, 200);
    let session = String::from_utf8(session.to_vec()).unwrap();
    let (status, body) =
        send(format!("{base}/openstack/latest/securitykey"), "GET", &[("x-metadata-token", &session)]).await;
    assert_eq!((status, body.as_ref()), (401, b"Please configure Cloud Service Agency first".as_ref()));

    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn metadata_no_agency_requires_metadata() {
    let output = Command::new(BIN).arg("--metadata-no-agency").output().unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "no start line");
}
