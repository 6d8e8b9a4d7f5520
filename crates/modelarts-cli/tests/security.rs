//! Secrets and TLS, through the real binary: no secret key, security token, IAM token, password,
//! MFA code or signature in any output (verbose logs, dry run, failures), and TLS that refuses what
//! it must.

// Test helpers may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use modelarts_emulator::{Emulator, EmulatorConfig, IamConfig, IamUser, JobSeed};
use modelarts_reliability::servers::{CertCase, TestServer};

mod common;

use common::{Run, bare, emulator_cmd};

const SECURITY_TOKEN: &str = "STStokenSecret0123456789abcdefSTS";
const WRONG_SK: &str = "wrongSecretKey0123456789abcdefWRONG";
const WRONG_IAM_TOKEN: &str = "wrongIamToken0123456789abcdefIAM";
/// The emulator's default IAM user's password.
const PASSWORD: &str = "emulator-password-0001";
const WRONG_PASSWORD: &str = "wrongPassword0123456789PW";
/// A one-time code of a virtual MFA device (a secret too), and one the MFA user's device never shows now.
const MFA_CODE: &str = "864209";
const WRONG_MFA_CODE: &str = "135797";
const MFA_PASSWORD: &str = "mfaUserPassword0123456789PW";

fn run(cmd: &mut Command) -> Run {
    Run::of(cmd.stdin(Stdio::null()).output().unwrap())
}

/// Every run of 64 hex digits (an SDK-HMAC-SHA256 signature, or a SHA-256) outside `allowed`.
fn hex64_runs(text: &str, allowed: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            if run.len() >= 64 && !allowed.iter().any(|a| run.eq_ignore_ascii_case(a)) {
                found.push(run.clone());
            }
            run.clear();
        }
    }
    found
}

/// The SHA-256 of an empty body: a public constant that logs may show.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

#[test]
fn no_secret_or_signature_in_any_output() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let emulator =
        runtime
            .block_on(Emulator::start(
                EmulatorConfig::default()
                    .tls(true)
                    .security_token(SECURITY_TOKEN)
                    .jobs([JobSeed::running(10, 20), JobSeed::running(11, 21)])
                    .iam(IamConfig::default().user(
                        IamUser::new("mfa-user", MFA_PASSWORD, "emulator-domain").mfa("JBSWY3DPEHPK3PXP"),
                    ))
                    .never_kill(),
            ))
            .unwrap();
    let c = emulator.credentials().clone();
    let home = tempfile::tempdir().unwrap();
    let with_keys = |sk: &str| {
        let mut cmd = emulator_cmd(&emulator, home.path());
        cmd.env("HUAWEICLOUD_SDK_AK", &c.access_key)
            .env("HUAWEICLOUD_SDK_SK", sk)
            .env("HUAWEICLOUD_SDK_SECURITY_TOKEN", SECURITY_TOKEN);
        cmd
    };
    let with_token = |token: &str| {
        let mut cmd = emulator_cmd(&emulator, home.path());
        cmd.env("MODELARTS_IAM_TOKEN", token);
        cmd
    };
    let cache = home.path().join("cache");
    let with_password = |password: &str| {
        let mut cmd = emulator_cmd(&emulator, home.path());
        cmd.env("HUAWEICLOUD_SDK_USERNAME", "emulator-user")
            .env("HUAWEICLOUD_SDK_PASSWORD", password)
            .env("HUAWEICLOUD_SDK_DOMAIN_NAME", "emulator-domain")
            .env("XDG_CACHE_HOME", &cache)
            .env("MODELARTS_METADATA_ENDPOINT", "off")
            .args(["--iam-endpoint", &emulator.endpoint()]);
        cmd
    };
    // A garbled credentials file whose bad line holds the secret key.
    let garbled = home.path().join("garbled-credentials");
    std::fs::write(&garbled, format!("[basic]\nak = {}\nsk {}\n", c.access_key, c.secret_key)).unwrap();

    let stop = ["training-job", "stop", "10", "--version", "20"];
    let show = ["training-job", "show", "11", "--version", "21"];
    let cases: Vec<(&str, Command, i32)> = vec![
        (
            "-vv stop (AK/SK + security token)",
            {
                let mut c = with_keys(&c.secret_key);
                c.arg("-vv").args(stop);
                c
            },
            0,
        ),
        (
            "-vvv show (AK/SK + security token)",
            {
                let mut c = with_keys(&c.secret_key);
                c.arg("-vvv").args(show);
                c
            },
            0,
        ),
        (
            "-vv --output json show",
            {
                let mut c = with_keys(&c.secret_key);
                c.args(["-vv", "--output", "json"]).args(show);
                c
            },
            0,
        ),
        (
            "--dry-run stop",
            {
                let mut c = with_keys(&c.secret_key);
                c.arg("--dry-run").args(stop);
                c
            },
            0,
        ),
        (
            "--dry-run --output json stop",
            {
                let mut c = with_keys(&c.secret_key);
                c.args(["--dry-run", "--output", "json"]).args(stop);
                c
            },
            0,
        ),
        (
            "-vv show with the IAM token",
            {
                let mut c = with_token(&c.token);
                c.arg("-vv").args(show);
                c
            },
            0,
        ),
        (
            "--dry-run show with the IAM token",
            {
                let mut c = with_token(&c.token);
                c.arg("--dry-run").args(show);
                c
            },
            0,
        ),
        (
            "-vv show, wrong secret key",
            {
                let mut c = with_keys(WRONG_SK);
                c.arg("-vv").args(show);
                c
            },
            3,
        ),
        (
            "-vvv --output json show, wrong secret key",
            {
                let mut c = with_keys(WRONG_SK);
                c.args(["-vvv", "--output", "json"]).args(show);
                c
            },
            3,
        ),
        (
            "-vv show, rejected IAM token",
            {
                let mut c = with_token(WRONG_IAM_TOKEN);
                c.arg("-vv").args(show);
                c
            },
            3,
        ),
        (
            "configure list",
            {
                let mut c = with_keys(&c.secret_key);
                c.args(["configure", "list"]);
                c
            },
            0,
        ),
        (
            "-vvv show with a password login",
            {
                let mut c = with_password(PASSWORD);
                c.arg("-vvv").args(show);
                c
            },
            0,
        ),
        (
            "--dry-run stop with the cached token of a password login",
            {
                let mut c = with_password(PASSWORD);
                c.arg("--dry-run").args(stop);
                c
            },
            0,
        ),
        (
            "-vvv configure test with a password login",
            {
                let mut c = with_password(PASSWORD);
                c.args(["-vvv", "--region", "cn-north-4", "configure", "test"]);
                c
            },
            0,
        ),
        (
            "configure list with a password login",
            {
                let mut c = with_password(PASSWORD);
                c.args(["configure", "list"]);
                c
            },
            0,
        ),
        (
            "configure list with an MFA code from the flag",
            {
                let mut c = with_password(PASSWORD);
                c.args([
                    "--mfa-code",
                    MFA_CODE,
                    "--user-id",
                    "0123456789abcdef0123456789abcdef",
                    "configure",
                    "list",
                ]);
                c
            },
            0,
        ),
        (
            "--dry-run stop with an MFA code in the environment",
            {
                let mut c = with_password(PASSWORD);
                c.env("MODELARTS_MFA_CODE", MFA_CODE)
                    .env("MODELARTS_USER_ID", "0123456789abcdef0123456789abcdef")
                    .arg("--dry-run")
                    .args(stop);
                c
            },
            0,
        ),
        (
            "-vvv show, wrong MFA code",
            {
                let mut c = with_password(MFA_PASSWORD);
                c.env("HUAWEICLOUD_SDK_USERNAME", "mfa-user")
                    .env("XDG_CACHE_HOME", home.path().join("mfa-cache"))
                    .env("MODELARTS_MFA_CODE", WRONG_MFA_CODE)
                    .env("MODELARTS_USER_ID", IamUser::new("mfa-user", "", "").user_id)
                    .arg("-vvv")
                    .args(show);
                c
            },
            3,
        ),
        (
            "-vv show, wrong password",
            {
                let mut c = with_password(WRONG_PASSWORD);
                c.env("XDG_CACHE_HOME", home.path().join("other-cache")).arg("-vv").args(show);
                c
            },
            3,
        ),
        (
            "-vvv show through an agency (temporary keys)",
            {
                let mut c = with_keys(&c.secret_key);
                c.args(["--agency-name", "emulator-agency", "--agency-domain", "emulator-domain"])
                    .args(["--iam-endpoint", &emulator.endpoint()])
                    .arg("-vvv")
                    .args(show);
                c
            },
            0,
        ),
        (
            "-vv show, garbled credentials file",
            {
                let mut c = emulator_cmd(&emulator, home.path());
                c.env("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &garbled).arg("-vv").args(show);
                c
            },
            3,
        ),
    ];
    let secrets = [
        ("secret key", c.secret_key.as_str()),
        ("security token", SECURITY_TOKEN),
        ("IAM token", c.token.as_str()),
        ("wrong secret key", WRONG_SK),
        ("rejected IAM token", WRONG_IAM_TOKEN),
        ("password", PASSWORD),
        ("wrong password", WRONG_PASSWORD),
        ("MFA code", MFA_CODE),
        ("wrong MFA code", WRONG_MFA_CODE),
        ("MFA user's password", MFA_PASSWORD),
    ];
    let mut problems = Vec::new();
    let mut outputs = Vec::new();
    for (name, mut cmd, expected) in cases {
        let r = run(&mut cmd);
        outputs.push((name, r.all()));
        if r.code != expected {
            problems.push(format!("{name}: exit {} instead of {expected}\n{}", r.code, r.all()));
        }
        let all = r.all();
        for (what, secret) in secrets {
            if all.contains(secret) {
                problems.push(format!("{name}: the {what} appears in the output"));
            }
        }
        let signatures = hex64_runs(&all, &[EMPTY_SHA256]);
        if !signatures.is_empty() {
            problems.push(format!("{name}: 64-hex-digit values (signatures?) in the output: {signatures:?}"));
        }
        if let Some(at) = all.find("Signature=") {
            let after: String = all[at + 10..].chars().take(4).collect();
            if after != "****" {
                problems.push(format!("{name}: an unmasked Signature= in the output"));
            }
        }
        if problems.iter().any(|p| p.starts_with(name)) {
            problems.push(format!("--- output of {name}:\n{all}"));
        }
    }
    // The token the password login got (cached on disk, 0600) is in no output either.
    let tokens = std::fs::read_to_string(cache.join("modelarts/tokens.json")).unwrap();
    let tokens: serde_json::Value = serde_json::from_str(&tokens).unwrap();
    let issued = tokens["tokens"][0]["token"].as_str().unwrap().to_owned();
    assert!(!tokens.to_string().contains(PASSWORD));
    for (name, all) in &outputs {
        if all.contains(&issued) {
            problems.push(format!("{name}: the issued IAM token appears in the output"));
        }
    }
    runtime.block_on(emulator.shutdown());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn show_against(server: &TestServer, home: &Path, extra: &[&str]) -> Run {
    let mut cmd = bare(home);
    cmd.env("HUAWEICLOUD_SDK_AK", "AKTLSTEST00000000000")
        .env("HUAWEICLOUD_SDK_SK", "tls-test-secret")
        .args(["--endpoint-url", &server.url(), "--project-id", "0123456789abcdef0123456789abcdef"])
        .args(["--connect-timeout", "2s", "--timeout", "5s"])
        .args(extra);
    if let Some(ca) = server.ca_path() {
        cmd.arg("--ca-bundle").arg(ca);
    }
    cmd.args(["training-job", "show", "10", "--version", "20"]);
    run(&mut cmd)
}

/// A definite answer (not found), so that a request that gets through ends at once (exit 4).
const NOT_FOUND: &str = "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 55\r\n\r\n{\"error_code\":\"ModelArts.2775\",\"error_msg\":\"not found\"}";

#[test]
fn tls_refuses_bad_certificates_and_insecure_warns() {
    let home = tempfile::tempdir().unwrap();
    for (case, reason, hint) in [
        (CertCase::Expired, "expired", "hint: check this machine's clock"),
        (CertCase::WrongHost, "not valid for name", "hint: the certificate is for another host"),
        (CertCase::UntrustedCa, "UnknownIssuer", "pass that CA with --ca-bundle FILE"),
    ] {
        let server = TestServer::tls(case, NOT_FOUND).unwrap();
        let r = show_against(&server, home.path(), &[]);
        eprintln!("--- {case:?}: exit {}\n{}", r.code, r.all());
        assert_eq!(server.requests(), 0, "{case:?}: no request may pass a refused handshake");
        assert_eq!(server.connections(), 1, "{case:?}: a rejected certificate is not retried");
        assert_eq!(r.code, 3, "{case:?}: exit 3 (trust configuration)");
        assert!(r.stderr.contains("TLS handshake"), "{case:?}:\n{}", r.stderr);
        assert!(r.stderr.contains(reason), "{case:?}: the reason is named:\n{}", r.stderr);
        assert!(r.stderr.contains(hint), "{case:?}: the typed reason picks the hint:\n{}", r.stderr);
    }
    // --insecure accepts the bad certificate, and says so.
    let server = TestServer::tls(CertCase::Expired, NOT_FOUND).unwrap();
    let r = show_against(&server, home.path(), &["--insecure"]);
    eprintln!("--- insecure: exit {}\n{}", r.code, r.all());
    assert!(r.stderr.contains("warning: --insecure"), "{}", r.stderr);
    assert_eq!(server.requests(), 1, "the request went through");
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("ModelArts.2775"), "{}", r.stderr);
}

#[test]
fn a_redirect_is_not_followed() {
    let home = tempfile::tempdir().unwrap();
    let elsewhere = TestServer::tls(CertCase::Valid, NOT_FOUND).unwrap();
    let redirect =
        format!("HTTP/1.1 302 Found\r\nlocation: {}/v1/x\r\ncontent-length: 0\r\n\r\n", elsewhere.url());
    let server = TestServer::tls(CertCase::Valid, &redirect).unwrap();
    let r = show_against(&server, home.path(), &[]);
    eprintln!("--- redirect: exit {}\n{}", r.code, r.all());
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.requests(), 1, "one request, no retry of a redirect");
    assert_eq!(elsewhere.connections(), 0, "the redirect target is never contacted");
    assert_eq!(r.code, 4, "a redirect is the service not doing it:\n{}", r.stderr);
    assert!(r.stderr.contains("HTTP 302"), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("a redirect to {}/v1/x (not followed)", elsewhere.url())),
        "{}",
        r.stderr
    );
}
