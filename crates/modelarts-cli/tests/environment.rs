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
    let doc: serde_json::Value =
        serde_json::from_str(stdout.trim()).expect("JSON from the profile's output key");
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

/// `configure init` from flags: the secret key from stdin, the profile's section added, every other
/// byte of the file kept, the file 0600, and no secret on stdout or stderr.
#[test]
fn configure_init_writes_its_own_section_and_keeps_the_rest() {
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt as _;
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".huaweicloud");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("credentials");
    let before =
        "# my keys\n[basic]\nak = OLDAK\nsk = OLDSK\n\n[dev]\nak = X\n\n[prod] \n; kept\nak=P\nsk=Q\n";
    std::fs::write(&path, before).unwrap();
    let mut child = common::bare(home.path())
        .args([
            "--profile",
            "dev",
            "--region",
            "eu-de",
            "configure",
            "init",
            "--access-key",
            "NEWAK0000000001",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"NEW-SECRET-KEY\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(!stdout.contains("NEW-SECRET-KEY") && !stderr.contains("NEW-SECRET-KEY"), "{stdout}\n{stderr}");
    let after = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        after,
        "# my keys\n[basic]\nak = OLDAK\nsk = OLDSK\n\n[dev]\nak = NEWAK0000000001\nsk = NEW-SECRET-KEY\nregion = eu-de\n\n[prod] \n; kept\nak=P\nsk=Q\n"
    );
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    // The new profile is read back.
    let out = common::bare(home.path())
        .args(["--profile", "dev", "-o", "json", "configure", "list"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let find =
        |name: &str| doc["settings"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap().clone();
    assert_eq!(find("region")["value"], "eu-de");
    assert!(find("access_key")["source"].as_str().unwrap().contains("[dev]"));
    // Without a terminal and without --access-key: a usage error, nothing written.
    let out = common::bare(home.path()).args(["configure", "init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), after);
}

/// On a terminal, `configure init` asks, and the secret key is not echoed.
#[test]
fn configure_init_on_a_terminal_does_not_echo_the_secret_key() {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("`script` is not installed; skipping");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let line = format!(
        "(sleep 1; printf 'TTYAK000000001\\n'; sleep 1; printf 'TTY-SECRET-KEY\\n'; sleep 1; printf 'cn-north-4\\n'; sleep 1) | script -qec '{} configure init' /dev/null",
        common::BIN
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&line)
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TERM", "xterm")
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("Secret key (SK, not shown)"), "{screen}");
    assert!(screen.contains("TTYAK000000001"), "the access key is echoed: {screen}");
    assert!(!screen.contains("TTY-SECRET-KEY"), "the secret key was echoed: {screen}");
    let written = std::fs::read_to_string(home.path().join(".huaweicloud/credentials")).unwrap();
    assert_eq!(written, "[basic]\nak = TTYAK000000001\nsk = TTY-SECRET-KEY\nregion = cn-north-4\n");
}
