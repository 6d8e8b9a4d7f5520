//! Settings read from the environment: a value that is not valid UTF-8 is a configuration error
//! naming the variable (never dropped, never "not set", never echoed), and `configure list` names
//! each credential's own variable.

// Test helpers may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::process::Stdio;

use modelarts_reliability::hostile::{HostileServer, Reply};

mod common;

use common::PROJECT;

const RUNNING_VERSION: &str = r#"{"is_success":true,"job_id":10,"version_id":20,"status":8}"#;

/// `secretvalue` followed by a Latin-1 byte: not UTF-8.
fn bad_value() -> OsString {
    let mut bytes = b"secretvalue".to_vec();
    bytes.push(0xE9);
    OsString::from_vec(bytes)
}

#[test]
fn variables_that_are_not_utf8_are_named() {
    let server = HostileServer::always(Reply::json(200, RUNNING_VERSION)).unwrap();
    let home = tempfile::tempdir().unwrap();
    // (variable, with AK/SK in the environment, with --project-id and --endpoint-url flags)
    let cases = [
        ("HUAWEICLOUD_SDK_AK", true, true),
        ("HUAWEICLOUD_SDK_SK", true, true),
        ("HUAWEICLOUD_SDK_SECURITY_TOKEN", true, true),
        ("MODELARTS_IAM_TOKEN", false, true),
        ("HUAWEICLOUD_SDK_PROJECT_ID", true, false),
        ("MODELARTS_ENDPOINT_URL", true, false),
        ("MODELARTS_REGION", true, true),
        ("MODELARTS_PROFILE", true, true),
        ("MODELARTS_CA_BUNDLE", true, true),
        ("MODELARTS_OUTPUT", true, true),
        ("HUAWEICLOUD_SDK_CREDENTIALS_FILE", false, true),
        ("HOME", false, true),
        ("HTTPS_PROXY", true, true),
        ("NO_PROXY", true, true),
    ];
    for (name, keys, flags) in cases {
        let mut cmd = common::bare(home.path());
        if keys {
            cmd.env("HUAWEICLOUD_SDK_AK", "GOODAK").env("HUAWEICLOUD_SDK_SK", "GOODSK");
        }
        if flags {
            cmd.args(["--endpoint-url", &server.url(), "--project-id", PROJECT]);
        } else if name == "HUAWEICLOUD_SDK_PROJECT_ID" {
            cmd.args(["--endpoint-url", &server.url()]);
        } else {
            cmd.args(["--project-id", PROJECT]);
        }
        cmd.env(name, bad_value()).args([
            "--max-attempts",
            "1",
            "training-job",
            "show",
            "10",
            "--version",
            "20",
        ]);
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("the environment variable {name} is not valid UTF-8"))
                || stderr.contains(&format!("({name}): the environment variable is not valid UTF-8")),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("secretvalue"), "{name}: the value is echoed: {stderr}");
        assert!(!stderr.contains("is not set"), "{name}: {stderr}");
    }
    assert_eq!(server.requests(), 0, "no request may go out with a dropped setting");
}

#[test]
fn configure_list_names_each_credentials_own_variable() {
    let home = tempfile::tempdir().unwrap();
    let out = common::bare(home.path())
        .env("HUAWEICLOUD_SDK_AK", "LISTTESTAK0000000001")
        .env("HUAWEICLOUD_SDK_SK", "LISTTESTSKsecret")
        .env("HUAWEICLOUD_SDK_SECURITY_TOKEN", "LISTTESTTOKENsecret")
        .args(["--region", "eu-de", "configure", "list"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let source = |key: &str| {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .unwrap_or_else(|| panic!("{key}: {stdout}"));
        line.split_whitespace().skip(2).collect::<Vec<_>>().join(" ")
    };
    assert_eq!(source("access_key"), "env HUAWEICLOUD_SDK_AK");
    assert_eq!(source("secret_key"), "env HUAWEICLOUD_SDK_SK");
    assert_eq!(source("security_token"), "env HUAWEICLOUD_SDK_SECURITY_TOKEN");
    assert!(!stdout.contains("LISTTESTSKsecret") && !stdout.contains("LISTTESTTOKENsecret"), "{stdout}");
}

/// The profile's `output` key chooses the format when no flag or variable does, and `configure
/// list` names it as the source; an unknown key is a warning naming the closest known key.
#[test]
fn the_profile_sets_the_output_and_a_mistyped_key_is_named() {
    let env = common::Env::start(
        modelarts_emulator::EmulatorConfig::default().job(modelarts_emulator::JobSeed::running(10, 3)),
    );
    let c = env.emulator().credentials();
    let dir = env.home.path().join(".huaweicloud");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("credentials"),
        format!("[basic]\nak = {}\nsk = {}\noutput = json\nregoin = eu-de\n", c.access_key, c.secret_key),
    )
    .unwrap();
    let out = env.std_bare().args(["training-job", "list", "--api", "v1"]).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let doc: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON from the profile's output key");
    assert_eq!(doc["jobs"][0]["job_id"], 10);
    assert!(stderr.contains(r#"unknown key "regoin" is not read; did you mean "region"?"#), "{stderr}");
    assert_eq!(stderr.matches("regoin").count(), 1, "warned once: {stderr}");

    // A flag still wins; `configure list` says where the format came from.
    let out = env.std_bare().args(["-o", "table", "training-job", "list", "--api", "v1"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("JOB_ID"));
    let out = env.std_bare().args(["configure", "list"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = doc["settings"].as_array().unwrap().iter().find(|r| r["name"] == "output").unwrap().clone();
    assert_eq!((row["value"].as_str(), row["source"].as_str()), (Some("json"), Some("profile [basic]")));
}
