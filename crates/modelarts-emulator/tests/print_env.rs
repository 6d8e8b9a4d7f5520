//! `modelarts-emulator --print-env`: `eval "$(…)"` returns at once with the variables set, and the
//! emulator keeps serving in the background until SIGTERM.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_modelarts-emulator");

fn alive(pid: &str) -> bool {
    Command::new("kill").args(["-0", pid]).stderr(std::process::Stdio::null()).status().unwrap().success()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_of_print_env_points_at_a_serving_emulator() {
    let script = format!(
        r#"eval "$('{BIN}' --tls --auth off --jobs 2 --print-env)" && printf '%s\n' "$MODELARTS_ENDPOINT_URL" "$MODELARTS_CA_BUNDLE" "$MODELARTS_EMULATOR_PID" "$HUAWEICLOUD_SDK_AK" "$HUAWEICLOUD_SDK_SK" "$HUAWEICLOUD_SDK_PROJECT_ID""#
    );
    // `output()` returns only once the shell's stdout is closed: the background emulator does not
    // hold it.
    let output = Command::new("sh").args(["-c", &script]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    let vars: Vec<&str> = text.lines().collect();
    assert_eq!(vars.len(), 6, "{text}");
    let (endpoint, ca, pid) = (vars[0], vars[1], vars[2]);
    assert!(endpoint.starts_with("https://127.0.0.1:"), "{text}");
    assert!(vars[3..].iter().all(|v| !v.is_empty()), "{text}");
    assert!(alive(pid), "the emulator keeps serving after the shell returned");

    let ca_pem = std::fs::read_to_string(ca).unwrap();
    let client = common::client_for(Some(&ca_pem), common::Proto::Auto);
    let url = format!("{endpoint}/v1/{}/training-jobs", vars[5]);
    let request = http::Request::get(url).body(Full::new(Bytes::new())).unwrap();
    let response = client.request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value =
        serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["job_total_count"], 2);

    assert!(Command::new("kill").args(["-TERM", pid]).status().unwrap().success());
    for _ in 0..100 {
        if !alive(pid) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!alive(pid), "SIGTERM stops it");
    assert!(!std::path::Path::new(ca).exists(), "its temp CA is removed at exit");
}

#[test]
fn print_env_reports_a_bad_configuration_and_fails() {
    let output =
        Command::new(BIN).args(["--print-env", "--seed-file", "/nonexistent/seed.json"]).output().unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "nothing to eval");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("seed"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
