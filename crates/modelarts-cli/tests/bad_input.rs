//! Malformed input to the CLI and to the SDK's builder: each gets a clear error (exit code and a
//! message fragment), never a panic, and secrets in the input are not echoed. The observed table
//! is compared with the `bad-input` section of `docs/reliability.md` (`UPDATE_DOCS=1` rewrites it).

// Test helpers may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use modelarts_emulator::{Emulator, EmulatorConfig, JobSeed, RunningEmulator};
use modelarts_reliability::docs;
use modelarts_sdk::{Client, ClientBuilder, Credentials};

mod common;

/// A password in an endpoint URL: must never be echoed.
const URL_PASSWORD: &str = "hunter2secret";

struct Ctx {
    emulator: RunningEmulator,
    dir: tempfile::TempDir,
}

impl Ctx {
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// The binary with a temporary HOME, an empty environment and no flags.
    fn bare(&self) -> Command {
        common::bare(self.dir.path())
    }

    /// The binary pointed at the emulator (endpoint, CA, project), without credentials.
    fn pointed(&self) -> Command {
        let mut cmd = self.bare();
        cmd.args(["--endpoint-url", &self.emulator.endpoint(), "--project-id", self.emulator.project_id()])
            .arg("--ca-bundle")
            .arg(self.emulator.ca_cert_path().unwrap());
        cmd
    }

    /// [`pointed`](Self::pointed) with the emulator's AK/SK in the environment.
    fn with_keys(&self) -> Command {
        let c = self.emulator.credentials();
        let mut cmd = self.pointed();
        cmd.env("HUAWEICLOUD_SDK_AK", &c.access_key).env("HUAWEICLOUD_SDK_SK", &c.secret_key);
        cmd
    }

    /// [`pointed`](Self::pointed) reading credentials only from this file.
    fn with_file(&self, name: &str, bytes: &[u8]) -> Command {
        let path = self.file(name, bytes);
        let mut cmd = self.pointed();
        cmd.env("HUAWEICLOUD_SDK_CREDENTIALS_FILE", path);
        cmd
    }

    /// The credentials file text for the emulator's keys, `[basic]` section.
    fn credentials_text(&self) -> String {
        let c = self.emulator.credentials();
        format!("[basic]\nak = {}\nsk = {}\n", c.access_key, c.secret_key)
    }

    fn builder(&self) -> ClientBuilder {
        let c = self.emulator.credentials();
        Client::builder()
            .endpoint_url(&self.emulator.endpoint())
            .ca_bundle(self.emulator.ca_cert_path().unwrap())
            .project_id(self.emulator.project_id())
            .credentials(Credentials::new(&c.access_key, &c.secret_key))
            .env(|_| None)
    }
}

const SHOW: [&str; 5] = ["training-job", "show", "10", "--version", "20"];

/// How a case is run.
enum Run {
    /// The CLI; the exit code is checked.
    Cli(Command),
    /// The SDK builder; `build()` must fail.
    Sdk(Box<ClientBuilder>),
}

struct Case {
    kind: &'static str,
    input: String,
    run: Run,
    /// Exit code (CLI) or `-` for the SDK.
    code: i32,
    /// A fragment the error message (CLI: stderr) must contain.
    message: &'static str,
}

/// `text`, then the Latin-1 byte for `é`, then a newline.
fn latin1(text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    bytes.extend_from_slice(&[0xE9, b'\n']);
    bytes
}

fn utf16le(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    bytes
}

fn cases(ctx: &Ctx) -> Vec<Case> {
    let cli = |kind, input: &str, cmd: Command, code, message| Case {
        kind,
        input: input.to_owned(),
        run: Run::Cli(cmd),
        code,
        message,
    };
    let sdk = |kind, input: &str, builder: ClientBuilder, message| Case {
        kind,
        input: input.to_owned(),
        run: Run::Sdk(Box::new(builder)),
        code: -1,
        message,
    };
    let show = |id: &str, version: &str| {
        let mut c = ctx.with_keys();
        c.args(["training-job", "show", id, "--version", version]);
        c
    };
    let global = |args: &[&str]| {
        let mut c = ctx.with_keys();
        c.args(args).args(SHOW);
        c
    };
    let keys_to = |flag: &str, value: &str| {
        let c = ctx.emulator.credentials();
        let mut cmd = ctx.bare();
        cmd.env("HUAWEICLOUD_SDK_AK", &c.access_key)
            .env("HUAWEICLOUD_SDK_SK", &c.secret_key)
            .args(["--project-id", ctx.emulator.project_id(), flag, value])
            .args(SHOW);
        cmd
    };
    let wait = |args: &[&str]| {
        let mut c = ctx.with_keys();
        c.args(["training-job", "stop", "10", "--version", "20", "--wait"]).args(args);
        c
    };
    let stop_list = |name: &str, bytes: &[u8]| {
        let path = ctx.file(name, bytes);
        let mut c = ctx.with_keys();
        c.args(["--yes", "--dry-run", "training-job", "stop", "--from-file"]).arg(path);
        c
    };
    let cred_file = |name: &str, bytes: Vec<u8>, extra: &[&str]| {
        let mut c = ctx.with_file(name, &bytes);
        c.args(extra).args(SHOW);
        c
    };
    let list = |args: &[&str]| {
        let mut c = ctx.with_keys();
        c.args(["training-job", "list"]).args(args);
        c
    };
    let not_utf8 = || std::ffi::OsString::from_vec(b"value\xE9".to_vec());
    let creds = ctx.credentials_text();
    let c = ctx.emulator.credentials().clone();
    vec![
        // IDs.
        cli("ID", "job ID `abc`", show("abc", "20"), 2, "invalid job_id \"abc\""),
        cli("ID", "job ID `0`", show("0", "20"), 2, "it must be greater than zero"),
        cli("ID", "job ID `1.5`", show("1.5", "20"), 2, "invalid job_id \"1.5\""),
        cli(
            "ID",
            "job ID 20 digits",
            show("99999999999999999999", "20"),
            2,
            "it is larger than 9223372036854775807",
        ),
        cli("ID", "job ID empty", show("", "20"), 2, "invalid job_id \"\""),
        cli("ID", "job ID full-width `１０`", show("１０", "20"), 2, "invalid job_id"),
        cli("ID", "version ID `20abc`", show("10", "20abc"), 2, "invalid version_id \"20abc\""),
        // Routing between the APIs: each error names the form of both.
        cli(
            "ID",
            "v2 UUID with --version",
            show("3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab", "3"),
            2,
            "is a v2 job id (a UUID): v2 jobs have no version, drop --version",
        ),
        // Each error gives the next step: events are v2 only, and `--api v2` has no versions.
        cli(
            "ID",
            "events of a v1 job id",
            {
                let mut c = ctx.with_keys();
                c.args(["training-job", "events", "10"]);
                c
            },
            2,
            "events are a v2 API (a v1 version's log: `modelarts training-job logs 10 --version VERSION_ID`)",
        ),
        cli(
            "ID",
            "v1 version forced to v2",
            {
                let mut c = ctx.with_keys();
                c.args(["training-job", "stop", "1001", "--version", "1", "--api", "v2"]);
                c
            },
            2,
            "is a v1 version: drop --api v2 (or use --api v1)",
        ),
        cli(
            "ID",
            "v1 digits without --version",
            {
                let mut c = ctx.with_keys();
                c.args(["training-job", "stop", "10"]);
                c
            },
            2,
            "\"10\" is a v1 job id (a number): v1 jobs also need --version VERSION_ID; v2 jobs are named by a UUID alone, or by their name (--name for a name made of digits)",
        ),
        cli(
            "ID",
            "v1 digits forced to v2",
            {
                let mut c = ctx.with_keys();
                c.args(["training-job", "wait", "10", "--api", "v2"]);
                c
            },
            2,
            "\"10\" is a number, not a v2 job id (a UUID); for a v2 job named \"10\", pass --name",
        ),
        cli(
            "ID",
            "UUID forced to v1",
            {
                let mut c = ctx.with_keys();
                c.args([
                    "training-job",
                    "show",
                    "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab",
                    "--version",
                    "3",
                    "--api",
                    "v1",
                ]);
                c
            },
            2,
            "invalid job_id",
        ),
        cli(
            "ID",
            "a v2 phase for a v1 list",
            list(&["--api", "v1", "--status", "terminated"]),
            2,
            "a v2 phase, not a v1 status; add --api v2",
        ),
        cli(
            "ID",
            "v2 page too large",
            list(&["--api", "v2", "--per-page", "51"]),
            2,
            "at most 50 jobs a page",
        ),
        cli(
            "ID",
            "project ID `a/b`",
            {
                let mut c = ctx.bare();
                c.args(["--project-id", "a/b"]).args(SHOW);
                c
            },
            2,
            "invalid project_id",
        ),
        // Durations.
        cli("duration", "`--timeout soon`", global(&["--timeout", "soon"]), 2, "invalid duration \"soon\""),
        cli(
            "duration",
            "`--timeout 10` (no unit)",
            global(&["--timeout", "10"]),
            2,
            "invalid duration \"10\"",
        ),
        cli(
            "duration",
            "`--timeout 0s`",
            global(&["--timeout", "0s"]),
            2,
            "invalid timeout \"0s\": it must be greater than zero",
        ),
        cli("duration", "`--connect-timeout=-1s`", global(&["--connect-timeout=-1s"]), 2, "invalid duration"),
        cli(
            "duration",
            "`--max-wait 99999999999999999999999h`",
            wait(&["--max-wait", "99999999999999999999999h"]),
            2,
            "invalid duration",
        ),
        cli(
            "duration",
            "`--poll-min 1m --poll-max 1s`",
            wait(&["--poll-min", "1m", "--poll-max", "1s"]),
            2,
            "--poll-min",
        ),
        // Regions.
        cli("region", "`--region mars-1`", keys_to("--region", "mars-1"), 3, "unknown region \"mars-1\""),
        cli("region", "`--region 'eu de'`", keys_to("--region", "eu de"), 3, "unknown region \"eu de\""),
        cli("region", "`--region ''`", keys_to("--region", ""), 3, "no region and no endpoint"),
        // Endpoint URLs.
        cli(
            "endpoint",
            "`ftp://host`",
            keys_to("--endpoint-url", "ftp://host"),
            3,
            "the scheme must be http or https",
        ),
        cli("endpoint", "`https://`", keys_to("--endpoint-url", "https://"), 3, "invalid endpoint URL"),
        cli("endpoint", "`not a url`", keys_to("--endpoint-url", "not a url"), 3, "not a URL"),
        cli(
            "endpoint",
            "`http://example.com` (plain http)",
            keys_to("--endpoint-url", "http://example.com"),
            3,
            "uses plain http",
        ),
        cli(
            "endpoint",
            "`https://user:PASSWORD@host`",
            keys_to("--endpoint-url", &format!("https://user:{URL_PASSWORD}@host")),
            3,
            "credentials in the endpoint URL",
        ),
        cli(
            "endpoint",
            "`https://host/?q=1`",
            keys_to("--endpoint-url", "https://host/?q=1"),
            3,
            "cannot have a query",
        ),
        cli(
            "endpoint",
            "`https://host:99999` (port)",
            keys_to("--endpoint-url", "https://host:99999"),
            3,
            "the port must be a number from 1 to 65535",
        ),
        // Output.
        cli(
            "flag",
            "`MODELARTS_OUTPUT=xml`",
            {
                let mut c = ctx.with_keys();
                c.env("MODELARTS_OUTPUT", "xml").args(SHOW);
                c
            },
            2,
            "invalid value 'xml'",
        ),
        cli("flag", "`--max-attempts 0`", global(&["--max-attempts", "0"]), 2, "0 is not in 1..=20"),
        cli(
            "flag",
            "`--status 99`",
            list(&["--status", "99"]),
            2,
            "unknown status code 99; use a code in 0..=22",
        ),
        cli(
            "flag",
            "`--status -1`",
            list(&["--status", "-1"]),
            2,
            "unknown status code -1; use a code in 0..=22",
        ),
        cli(
            "flag",
            "`--status sleeping`",
            list(&["--status", "sleeping"]),
            2,
            "use a code in 0..=22 or one of",
        ),
        // Environment.
        cli(
            "environment",
            "security token not UTF-8",
            {
                let mut c = ctx.with_keys();
                c.env("HUAWEICLOUD_SDK_SECURITY_TOKEN", not_utf8()).args(SHOW);
                c
            },
            3,
            "the environment variable HUAWEICLOUD_SDK_SECURITY_TOKEN is not valid UTF-8",
        ),
        cli(
            "environment",
            "AK not UTF-8",
            {
                let mut c = ctx.with_keys();
                c.env("HUAWEICLOUD_SDK_AK", not_utf8()).args(SHOW);
                c
            },
            3,
            "the environment variable HUAWEICLOUD_SDK_AK is not valid UTF-8",
        ),
        cli(
            "environment",
            "region not UTF-8",
            {
                let mut c = ctx.with_keys();
                c.env("MODELARTS_REGION", not_utf8()).args(SHOW);
                c
            },
            3,
            "the environment variable MODELARTS_REGION is not valid UTF-8",
        ),
        // CA bundles.
        cli(
            "CA bundle",
            "missing file",
            {
                let mut c = ctx.bare();
                c.env("HUAWEICLOUD_SDK_AK", "a")
                    .env("HUAWEICLOUD_SDK_SK", "b")
                    .args([
                        "--endpoint-url",
                        "https://h",
                        "--project-id",
                        "p",
                        "--ca-bundle",
                        "/nonexistent/ca.pem",
                    ])
                    .args(SHOW);
                c
            },
            3,
            "cannot read the CA bundle /nonexistent/ca.pem",
        ),
        cli(
            "CA bundle",
            "not PEM",
            {
                let p = ctx.file("garbage.pem", b"not a certificate\n");
                let mut c = ctx.bare();
                c.env("HUAWEICLOUD_SDK_AK", "a")
                    .env("HUAWEICLOUD_SDK_SK", "b")
                    .args(["--endpoint-url", "https://h", "--project-id", "p", "--ca-bundle"])
                    .arg(p)
                    .args(SHOW);
                c
            },
            3,
            "cannot use the CA bundle",
        ),
        cli(
            "CA bundle",
            "`/dev/zero`",
            {
                let mut c = ctx.bare();
                c.env("HUAWEICLOUD_SDK_AK", "a")
                    .env("HUAWEICLOUD_SDK_SK", "b")
                    .args(["--endpoint-url", "https://h", "--project-id", "p", "--ca-bundle", "/dev/zero"])
                    .args(SHOW);
                c
            },
            3,
            // A device is not a configuration file: refused before it is read (issue 22).
            "it is a device, not a regular file",
        ),
        // Credentials files.
        cli("credentials file", "UTF-8 BOM", cred_file("bom", format!("\u{feff}{creds}").into(), &[]), 0, ""),
        cli(
            "credentials file",
            "CRLF line endings",
            cred_file("crlf", creds.replace('\n', "\r\n").into(), &[]),
            0,
            "",
        ),
        cli("credentials file", "UTF-16 (with BOM)", cred_file("utf16", utf16le(&creds), &[]), 3, "UTF-16"),
        cli(
            "credentials file",
            "Latin-1 byte in a value",
            cred_file("latin1", latin1(&format!("[basic]\nak = {}\nsk = caf", c.access_key)), &[]),
            3,
            "is not UTF-8: line 3 is not valid UTF-8",
        ),
        cli(
            "credentials file",
            "no section header",
            cred_file("nosection", format!("ak = {}\nsk = {}\n", c.access_key, c.secret_key).into(), &[]),
            3,
            "2 key(s) before any [section] header, ignored",
        ),
        cli(
            "credentials file",
            "duplicate key",
            cred_file("dup", format!("{creds}sk = other\n").into(), &[]),
            3,
            "line 4: duplicate key `sk` in [basic] (first on line 3)",
        ),
        cli(
            "credentials file",
            "empty `sk =`",
            cred_file("empty", format!("[basic]\nak = {}\nsk =\n", c.access_key).into(), &[]),
            3,
            "the secret key (SK) from file",
        ),
        cli(
            "credentials file",
            "empty file",
            cred_file("emptyfile", b"".to_vec(), &[]),
            3,
            "no [basic] section; sections: none",
        ),
        cli(
            "credentials file",
            "line without `=`",
            cred_file(
                "garbled",
                format!("[basic]\nak = {}\nsk {}\n", c.access_key, c.secret_key).into(),
                &[],
            ),
            3,
            "line 3: expected `key = value`",
        ),
        cli(
            "credentials file",
            "`--profile` not in the file",
            cred_file("profile", creds.clone().into(), &["--profile", "prod"]),
            3,
            "profile [prod] not found",
        ),
        cli(
            "credentials file",
            "a directory",
            {
                let mut c = ctx.pointed();
                c.env("HUAWEICLOUD_SDK_CREDENTIALS_FILE", ctx.dir.path()).args(SHOW);
                c
            },
            3,
            "cannot read the credentials file",
        ),
        cli(
            "credentials file",
            "`/dev/zero`",
            {
                let mut c = ctx.pointed();
                c.env("HUAWEICLOUD_SDK_CREDENTIALS_FILE", "/dev/zero").args(SHOW);
                c
            },
            3,
            "it is a device, not a regular file",
        ),
        // Stop lists.
        cli("stop list", "UTF-8 BOM and CRLF", stop_list("bom.txt", "\u{feff}10 20\r\n".as_bytes()), 0, ""),
        cli("stop list", "UTF-16", stop_list("utf16.txt", &utf16le("10 20\n")), 2, "UTF-16"),
        cli(
            "stop list",
            "Latin-1 byte",
            stop_list("latin1.txt", b"10 20\n11 21 # caf\xe9\n"),
            2,
            "is not UTF-8: line 2 is not valid UTF-8",
        ),
        cli(
            "stop list",
            "three fields",
            stop_list("three.txt", b"10 20 30\n"),
            2,
            "line 1: unexpected field \"30\": a line holds `JOB_ID VERSION_ID` (v1) or one UUID (v2)",
        ),
        cli(
            "stop list",
            "`/dev/zero`",
            {
                let mut c = ctx.with_keys();
                c.args(["--yes", "--dry-run", "training-job", "stop", "--from-file", "/dev/zero"]);
                c
            },
            2,
            "cannot read the stop list /dev/zero",
        ),
        cli(
            "stop list",
            "18 MiB of valid lines",
            {
                let path = ctx.file("huge.txt", "10 20\n".repeat(3 << 20).as_bytes());
                let mut c = ctx.with_keys();
                c.args(["--yes", "--dry-run", "training-job", "stop", "--from-file"]).arg(path);
                c
            },
            2,
            "it is larger than 16 MiB, the limit for this file",
        ),
        // The SDK builder.
        sdk(
            "SDK builder",
            "`endpoint_url(\"ftp://x\")`",
            ctx.builder().endpoint_url("ftp://x"),
            "the scheme must be http or https",
        ),
        sdk(
            "SDK builder",
            "`endpoint_url` with a password",
            ctx.builder().endpoint_url(&format!("https://u:{URL_PASSWORD}@h")),
            "credentials in the endpoint URL",
        ),
        sdk(
            "SDK builder",
            "`region(\"mars-1\")`, no endpoint",
            Client::builder()
                .region("mars-1")
                .project_id("p")
                .credentials(Credentials::new("a", "b"))
                .env(|_| None),
            "unknown region",
        ),
        sdk("SDK builder", "`project_id(\"a/b\")`", ctx.builder().project_id("a/b"), "invalid project ID"),
        sdk(
            "SDK builder",
            "`max_attempts(0)`",
            ctx.builder().max_attempts(0),
            "max_attempts must be at least 1",
        ),
        sdk(
            "SDK builder",
            "`timeout(0)`",
            ctx.builder().timeout(Duration::ZERO),
            "the timeout must be greater than zero",
        ),
        sdk(
            "SDK builder",
            "empty access key",
            ctx.builder().credentials(Credentials::new("", "sk")),
            "the access key (AK) from the explicit credentials is empty",
        ),
        sdk("SDK builder", "AK/SK and an IAM token", ctx.builder().iam_token("t"), "choose one"),
        sdk(
            "SDK builder",
            "UTF-16 credentials file",
            Client::builder()
                .endpoint_url("https://h")
                .project_id("p")
                .credentials_file(ctx.file("sdk-utf16", &utf16le(&creds)))
                .env(|_| None),
            "UTF-16",
        ),
        sdk(
            "SDK builder",
            "CA bundle missing",
            ctx.builder().ca_bundle("/nonexistent/ca.pem"),
            "cannot read the CA bundle",
        ),
    ]
}

#[test]
fn bad_input_gets_a_clear_error() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let emulator = runtime
        .block_on(Emulator::start(
            EmulatorConfig::default().tls(true).job(JobSeed::running(10, 20)).never_kill(),
        ))
        .unwrap();
    let ctx = Ctx { emulator, dir: tempfile::tempdir().unwrap() };
    let mut rows = String::from("| Input | Case | Exit | Message (fragment) |\n|---|---|---|---|\n");
    let mut problems = Vec::new();
    for case in cases(&ctx) {
        let (code, message) = match case.run {
            Run::Cli(cmd) => {
                // A case that unexpectedly passes validation must not hang the suite.
                let output =
                    assert_cmd::Command::from_std(cmd).timeout(Duration::from_secs(20)).output().unwrap();
                let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
                (output.status.code().unwrap_or(-1), stderr)
            }
            Run::Sdk(builder) => match builder.build() {
                Ok(_) => (0, String::new()),
                Err(e) => {
                    let mut text = e.to_string();
                    let mut source = std::error::Error::source(&e);
                    while let Some(s) = source {
                        text.push_str(&format!("\n  caused by: {s}"));
                        source = s.source();
                    }
                    (-1, text)
                }
            },
        };
        if message.contains("panicked") {
            problems.push(format!("{} / {}: panicked:\n{message}", case.kind, case.input));
        }
        if message.contains(URL_PASSWORD) {
            problems.push(format!("{} / {}: the URL password is echoed:\n{message}", case.kind, case.input));
        }
        if code != case.code || !message.contains(case.message) {
            problems.push(format!(
                "{} / {}: expected exit {} with {:?}, got exit {code}:\n{message}",
                case.kind, case.input, case.code, case.message
            ));
        }
        let exit = if code == -1 { "error".to_owned() } else { code.to_string() };
        let fragment = match case.message {
            "" => "(accepted)".to_owned(),
            m if m.contains('`') => format!("`` {m} ``"),
            m => format!("`{m}`"),
        };
        rows.push_str(&format!(
            "| {} | {} | {exit} | {} |\n",
            case.kind,
            docs::cell(&case.input),
            docs::cell(&fragment)
        ));
    }
    runtime.block_on(ctx.emulator.shutdown());
    assert!(problems.is_empty(), "{} case(s) differ:\n{}", problems.len(), problems.join("\n---\n"));
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/reliability.md");
    if let Err(diff) = docs::check_section(&doc, "bad-input", &rows) {
        panic!("{diff}");
    }
}
