//! The real `modelarts` binary against the real emulator over HTTPS.
//!
//! Each test starts its own emulator (ephemeral port, its own CA file), runs the binary with a
//! temporary HOME (so no real credentials file is read) and a cleared environment, and checks the
//! exit status, stdout, stderr and, where it matters, the emulator's journal.

// Test helpers may unwrap: a failure is a test failure (clippy.toml allows it in #[test] fns only).
#![allow(clippy::unwrap_used)]

use std::process::Stdio;
use std::time::Duration;

use assert_cmd::Command;
use modelarts_emulator::{
    EmulatorConfig, FaultScript, FaultStep, JobSeed, RouteSelector, VersionSeed, status,
};
use serde_json::Value;

mod common;

use common::{BIN, Env, expect, json, json_lines};

const FAST_POLL: [&str; 4] = ["--poll-min", "50ms", "--poll-max", "200ms"];

// --- stop ---------------------------------------------------------------------------------------

#[test]
fn stop_sends_one_stop_and_reports_it() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)).never_kill());
    let r = expect(env.cmd().args(["training-job", "stop", "10", "--version", "20"]), 0);
    assert!(r.stdout.starts_with("JOB_ID"), "{}", r.stdout);
    // Accepted and nothing read since: never `stopped`; the hint says how to see it end.
    assert!(r.stdout.contains("stop_requested") && !r.stdout.contains(" stopped"), "{}", r.stdout);
    assert!(
        r.stderr.contains("hint: ") && r.stderr.contains("modelarts training-job wait 10 --version 20"),
        "{}",
        r.stderr
    );
    assert_eq!(env.status(10, 20), Some(status::KILLING));
    assert_eq!(env.emulator().state().effective_stops(10, 20), 1);
}

#[test]
fn stop_of_a_stopped_version_succeeds_unless_strict() {
    let env = Env::start(
        EmulatorConfig::default().job(JobSeed::new(10).version(VersionSeed::new(20).status(status::KILLED))),
    );
    let r = expect(env.cmd().args(["--output", "json", "training-job", "stop", "10", "--version", "20"]), 0);
    assert_eq!(json(&r.stdout)["outcome"], "already_stopped");
    let r = expect(env.cmd().args(["training-job", "stop", "10", "--version", "20", "--strict"]), 4);
    assert!(r.stderr.starts_with("error: cannot stop job 10 version 20"), "{}", r.stderr);
}

#[test]
fn stop_wait_ends_killed() {
    let env = Env::start(
        EmulatorConfig::default().job(JobSeed::running(10, 20)).kill_after(Duration::from_millis(300)),
    );
    let r = expect(
        env.cmd()
            .args(["--output", "json", "training-job", "stop", "10", "--version", "20", "--wait"])
            .args(FAST_POLL),
        0,
    );
    let doc = json(&r.stdout);
    assert_eq!(doc["status"], 12);
    assert_eq!(doc["status_name"], "KILLED");
    assert_eq!(doc["outcome"], "stopped");
    assert_eq!(doc["stop"], "accepted");
    assert_eq!(doc["exit_code"], 0);
    assert_eq!(env.status(10, 20), Some(status::KILLED));
}

#[test]
fn exit_6_when_the_wait_times_out() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)).never_kill());
    let r = expect(
        env.cmd()
            .args([
                "--output",
                "json",
                "training-job",
                "stop",
                "10",
                "--version",
                "20",
                "--wait",
                "--max-wait",
                "500ms",
            ])
            .args(FAST_POLL),
        6,
    );
    let doc = json(&r.stdout);
    assert_eq!(doc["outcome"], "stop_requested");
    assert_eq!(doc["status_name"], "KILLING");
    assert_eq!(doc["exit_code"], 6);
    assert_eq!(doc["hint"], "modelarts training-job wait 10 --version 20");
    assert_eq!(json(&r.stderr)["error"]["exit_code"], 6);
}

#[test]
fn exit_7_when_the_version_ends_otherwise_while_stopping() {
    let env = Env::start(
        EmulatorConfig::default()
            .job(JobSeed::new(10).version(VersionSeed::new(20).stop_result_status(status::COMPLETED)))
            .kill_after(Duration::from_millis(200)),
    );
    let r = expect(
        env.cmd().args(["training-job", "stop", "10", "--version", "20", "--wait"]).args(FAST_POLL),
        7,
    );
    assert!(r.stdout.contains("ended_otherwise") && r.stdout.contains("COMPLETED"), "{}", r.stdout);
    assert!(r.stderr.contains("COMPLETED"), "{}", r.stderr);
}

#[test]
fn exit_7_when_waiting_for_a_failed_version() {
    let env = Env::start(
        EmulatorConfig::default().job(JobSeed::new(10).version(VersionSeed::new(20).status(status::FAILED))),
    );
    let r = expect(env.cmd().args(["--output", "json", "training-job", "wait", "10", "--version", "20"]), 7);
    assert_eq!(json(&r.stdout)["status_name"], "FAILED");
}

#[test]
fn wait_returns_when_killed() {
    let env = Env::start(
        EmulatorConfig::default()
            .job(JobSeed::new(10).version(VersionSeed::new(20).status(status::KILLING)))
            .kill_after(Duration::from_millis(200)),
    );
    let r = expect(env.cmd().args(["training-job", "wait", "10", "--version", "20"]).args(FAST_POLL), 0);
    assert!(r.stdout.contains("KILLED"), "{}", r.stdout);
}

#[test]
fn ctrl_c_and_sigterm_stop_waiting_with_130_and_143() {
    for (signal, code, said) in [("-INT", 130, "interrupted"), ("-TERM", 143, "terminated (SIGTERM)")] {
        let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)).never_kill());
        let mut cmd = env.std_cmd();
        cmd.args(["--output", "json", "training-job", "stop", "10", "--version", "20", "--wait"])
            .args(FAST_POLL)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = cmd.spawn().unwrap();
        // Let the stop happen and a few polls run.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while env.status(10, 20) != Some(status::KILLING) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(400));
        let killed =
            std::process::Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
        assert!(killed.success());
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{signal}: stdout {stdout}\nstderr {stderr}");
        // The stop was accepted and KILLING read: its outcome is printed, with the wait command.
        let doc = json(&stdout);
        assert_eq!(doc["outcome"], "stop_requested", "{signal}");
        assert_eq!(doc["exit_code"], code, "{signal}");
        assert_eq!(doc["status_name"], "KILLING", "{signal}");
        assert_eq!(doc["hint"], "modelarts training-job wait 10 --version 20", "{signal}");
        assert!(stderr.contains(said), "{signal}: {stderr}");
    }
}

// --- batch --------------------------------------------------------------------------------------

#[test]
fn batch_from_file_reports_every_line_and_exits_with_the_worst() {
    let env = Env::start(
        EmulatorConfig::default()
            .jobs([JobSeed::running(10, 20), JobSeed::running(11, 21), JobSeed::running(12, 22)])
            .never_kill()
            .fault(FaultScript::new(RouteSelector::Stop).job(11).repeat(FaultStep::status(503), 50)),
    );
    let list = env
        .file("stops.txt", "# versions to stop\n10 20\n\n11 21   # this one keeps failing\n12,22\n13 23\n");
    let r = expect(
        env.cmd()
            .args(["--output", "json", "--max-attempts", "2", "--yes", "training-job", "stop", "--from-file"])
            .arg(&list),
        5,
    );
    let mut lines = json_lines(&r.stdout);
    assert_eq!(lines.len(), 4, "{}", r.stdout);
    lines.sort_by_key(|l| l["line"].as_u64());
    let got: Vec<(u64, &str, u64)> = lines
        .iter()
        .map(|l| {
            (l["line"].as_u64().unwrap(), l["outcome"].as_str().unwrap(), l["exit_code"].as_u64().unwrap())
        })
        .collect();
    // A stop refused 503 after every retry took no effect: `not_sent`, exit 5.
    assert_eq!(
        got,
        [(2, "stop_requested", 0), (4, "not_sent", 5), (5, "stop_requested", 0), (6, "not_found", 4)]
    );
    assert_eq!(lines[1]["error"]["http_status"], 503);
    assert_eq!(env.status(10, 20), Some(status::KILLING));
    assert_eq!(env.status(11, 21), Some(status::RUNNING));
    assert_eq!(env.status(12, 22), Some(status::KILLING));
}

#[test]
fn a_single_stop_and_a_batch_of_one_print_the_same_document() {
    let env = Env::start(
        EmulatorConfig::default().jobs([JobSeed::running(10, 20), JobSeed::running(11, 21)]).never_kill(),
    );
    let single =
        expect(env.cmd().args(["--output", "json", "training-job", "stop", "10", "--version", "20"]), 0);
    assert_eq!(json(&single.stdout)["hint"], "modelarts training-job wait 10 --version 20");
    let list = env.file("stops.txt", "11 21\n");
    let batch = expect(
        env.cmd().args(["--output", "json", "--yes", "training-job", "stop", "--from-file"]).arg(&list),
        0,
    );
    let strip = |mut doc: Value| {
        let map = doc.as_object_mut().unwrap();
        for key in ["line", "job_id", "version_id", "elapsed_ms", "hint"] {
            map.remove(key);
        }
        doc
    };
    let single = strip(json(&single.stdout));
    let batch = strip(json(&batch.stdout));
    assert_eq!(single, batch);
    // The stop was accepted and no status was read: none is reported (not an assumed KILLING).
    assert_eq!(single["status"], Value::Null, "{single}");
    assert_eq!(single["status_name"], Value::Null, "{single}");
    assert_eq!(
        (single["outcome"].as_str(), single["stop"].as_str()),
        (Some("stop_requested"), Some("accepted"))
    );
}

#[test]
fn batch_table_has_a_row_per_line() {
    let env = Env::start(
        EmulatorConfig::default().jobs([JobSeed::running(10, 20), JobSeed::running(11, 21)]).never_kill(),
    );
    let list = env.file("stops.txt", "10 20\n11 21\n");
    let r = expect(env.cmd().args(["--yes", "training-job", "stop", "--from-file"]).arg(&list), 0);
    let rows: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(rows.len(), 3, "{}", r.stdout);
    assert!(rows[0].starts_with("LINE"));
    assert!(r.stderr.contains("2 job(s): 2 stop_requested"), "{}", r.stderr);
}

#[test]
fn duplicate_lines_are_stopped_once_with_one_warning() {
    let env = Env::start(
        EmulatorConfig::default().jobs([JobSeed::running(10, 20), JobSeed::running(11, 21)]).never_kill(),
    );
    let mut text = "10 20\n".repeat(1000);
    text.push_str("11 21\n11,21\n");
    let list = env.file("stops.txt", &text);
    let r = expect(
        env.cmd().args(["--yes", "--max-attempts", "1", "training-job", "stop", "--from-file"]).arg(&list),
        0,
    );
    let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(warnings.len(), 1, "{}", r.stderr);
    assert!(warnings[0].contains("repeats 1000 line(s)"), "{}", warnings[0]);
    assert!(warnings[0].contains("job 10 version 20 (line 1) repeated on line(s) 2, 3,"), "{}", warnings[0]);
    assert!(
        warnings[0].contains("job 11 version 21 (line 1001) repeated on line(s) 1002"),
        "{}",
        warnings[0]
    );
    // One stop per version, no status reads: the journal holds two requests.
    let journal = env.emulator().state().journal();
    let mut stops: Vec<(Option<u64>, Option<u64>)> =
        journal.iter().filter(|e| e.method == "POST").map(|e| (e.job_id, e.version_id)).collect();
    // The two stops run concurrently: their order is not fixed.
    stops.sort();
    assert_eq!(stops, [(Some(10), Some(20)), (Some(11), Some(21))]);
    assert_eq!(journal.len(), 2);
    assert_eq!(r.stdout.lines().count(), 3, "{}", r.stdout);
    assert!(r.stderr.contains("2 stop_requested"), "{}", r.stderr);
}

/// `stop > /dev/full`: the stop was accepted but its outcome cannot be printed; stderr says so, and
/// the exit status is 1.
#[test]
fn a_stop_whose_outcome_cannot_be_written_says_so_on_stderr() {
    let env = Env::start(
        EmulatorConfig::default().jobs([JobSeed::running(10, 20), JobSeed::running(11, 21)]).never_kill(),
    );
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let out = env
        .std_cmd()
        .args(["training-job", "stop", "10", "--version", "20"])
        .stdout(full())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "the stop of job 10 version 20 was accepted, but the outcome could not be written to stdout"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert_eq!(env.status(10, 20), Some(status::KILLING));
    // A batch: the counts go to stderr.
    let list = env.file("stops.txt", "11 21\n");
    let out = env
        .std_cmd()
        .args(["--yes", "training-job", "stop", "--from-file"])
        .arg(&list)
        .stdout(full())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "the outcomes could not be written to stdout; the batch ran: 1 job(s): 1 stop_requested"
        ),
        "{stderr}"
    );
    assert_eq!(env.status(11, 21), Some(status::KILLING));
}

#[test]
fn batch_without_yes_off_a_terminal_is_refused_before_any_request() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)));
    let list = env.file("stops.txt", "10 20\n");
    let r = expect(env.cmd().args(["training-job", "stop", "--from-file"]).arg(&list), 2);
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    let r = expect(env.cmd().args(["training-job", "stop", "--from-file", "-"]).write_stdin("10 20\n"), 2);
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    assert_eq!(env.journal_len(), 0);
    assert_eq!(env.status(10, 20), Some(status::RUNNING));
}

#[test]
fn batch_from_stdin_with_yes() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)).never_kill());
    let r = expect(
        env.cmd()
            .args(["--output", "json", "--yes", "training-job", "stop", "--from-file", "-"])
            .write_stdin("10 20\n"),
        0,
    );
    assert_eq!(json_lines(&r.stdout).len(), 1);
    assert_eq!(env.status(10, 20), Some(status::KILLING));
}

#[test]
fn stop_running_stops_only_running_jobs() {
    let env = Env::start(
        EmulatorConfig::default()
            .jobs([
                JobSeed::running(10, 20).name("resnet-a"),
                JobSeed::running(11, 21).name("bert-b"),
                JobSeed::new(12).name("resnet-c").version(VersionSeed::new(22).status(status::KILLED)),
            ])
            .never_kill(),
    );
    let r = expect(
        env.cmd().args([
            "--output",
            "json",
            "--yes",
            "training-job",
            "stop",
            "--running",
            "--search",
            "resnet",
        ]),
        0,
    );
    let lines = json_lines(&r.stdout);
    assert_eq!(lines.len(), 1, "{}", r.stdout);
    assert_eq!(lines[0]["job_id"], 10);
    assert_eq!(env.status(10, 20), Some(status::KILLING));
    assert_eq!(env.status(11, 21), Some(status::RUNNING));
}

#[test]
fn malformed_stop_list_is_refused_before_any_request() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)));
    let list = env.file("stops.txt", "10 20\n# fine\n11 abc\n");
    let r = expect(env.cmd().args(["--yes", "training-job", "stop", "--from-file"]).arg(&list), 2);
    assert!(r.stderr.contains("line 3: invalid version_id \"abc\""), "{}", r.stderr);
    assert_eq!(env.journal_len(), 0);
}

// --- show, list, versions -----------------------------------------------------------------------

#[test]
fn show_as_table_and_json() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20).name("resnet")));
    let r = expect(env.cmd().args(["training-job", "show", "10", "--version", "20"]), 0);
    assert!(r.stdout.contains("RUNNING") && r.stdout.contains("resnet"), "{}", r.stdout);
    let r = expect(env.cmd().args(["--output", "json", "training-job", "show", "10", "--version", "20"]), 0);
    let doc = json(&r.stdout);
    assert_eq!(doc["status"], 8);
    assert_eq!(doc["status_name"], "RUNNING");
    assert_eq!(doc["version_id"], 20);
}

#[test]
fn list_as_table_and_json() {
    let env = Env::start(EmulatorConfig::default().generate_jobs(15));
    let r = expect(env.cmd().args(["training-job", "list", "--api", "v1"]), 0);
    let rows: Vec<&str> = r.stdout.lines().collect();
    assert!(rows[0].starts_with("JOB_ID"), "{}", r.stdout);
    assert_eq!(rows.len(), 11, "API default page of 10 plus the header:\n{}", r.stdout);
    assert!(r.stderr.contains("of 15 jobs"), "{}", r.stderr);

    let r = expect(
        env.cmd().args([
            "--output",
            "json",
            "training-job",
            "list",
            "--api",
            "v1",
            "--per-page",
            "5",
            "--page",
            "2",
        ]),
        0,
    );
    let doc = json(&r.stdout);
    assert_eq!(doc["jobs"].as_array().unwrap().len(), 5);
    assert_eq!(doc["job_total_count"], 15);
    assert_eq!(doc["jobs"][0]["status_name"], "RUNNING");

    let r = expect(
        env.cmd().args(["--output", "json", "training-job", "list", "--api=v1", "--all", "--per-page", "4"]),
        0,
    );
    assert_eq!(json(&r.stdout)["jobs"].as_array().unwrap().len(), 15);

    let r = expect(
        env.cmd().args(["--output", "json", "training-job", "list", "--api=v1", "--status", "killed"]),
        0,
    );
    assert_eq!(json(&r.stdout)["jobs"].as_array().unwrap().len(), 0);
}

#[test]
fn versions_lists_every_version() {
    let env = Env::start(EmulatorConfig::default().job(
        JobSeed::new(10).version(VersionSeed::new(20).status(status::KILLED)).version(VersionSeed::new(21)),
    ));
    let r = expect(env.cmd().args(["--output", "json", "training-job", "versions", "10"]), 0);
    let doc = json(&r.stdout);
    let names: Vec<&str> =
        doc["versions"].as_array().unwrap().iter().map(|v| v["status_name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"KILLED") && names.contains(&"RUNNING"));
    expect(env.cmd().args(["training-job", "versions", "10"]), 0);
}

// --- errors -------------------------------------------------------------------------------------

#[test]
fn exit_3_without_credentials() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)));
    let r = expect(env.bare().args(["training-job", "show", "10", "--version", "20"]), 3);
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert!(r.stderr.contains("credentials"), "{}", r.stderr);
    assert!(r.stderr.contains("HUAWEICLOUD_SDK_AK"), "every source tried is named:\n{}", r.stderr);
    assert_eq!(env.journal_len(), 0);
}

#[test]
fn exit_3_with_rejected_credentials() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)));
    let r = expect(
        env.bare().env("HUAWEICLOUD_SDK_AK", "WRONGAK").env("HUAWEICLOUD_SDK_SK", "wrong-secret").args([
            "training-job",
            "show",
            "10",
            "--version",
            "20",
        ]),
        3,
    );
    assert!(r.stderr.contains("APIG.0301"), "{}", r.stderr);
}

#[test]
fn exit_4_not_found_with_cause_chain_code_and_request_id() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)));
    let r = expect(env.cmd().args(["training-job", "show", "99", "--version", "1"]), 4);
    // One line with the code and the request ID to quote, then how to list.
    let first = r.stderr.lines().next().unwrap();
    assert!(
        first.starts_with(
            "error: cannot show job 99 version 1: not found (HTTP 400, ModelArts.2775, request id "
        ),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.matches("request id").count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("\n  hint: to see the jobs there are: modelarts training-job list"),
        "{}",
        r.stderr
    );
    // The advice works.
    let listed = expect(env.cmd().args(["training-job", "list"]), 0);
    assert!(listed.stdout.contains("10"), "{}", listed.stdout);

    let r = expect(env.cmd().args(["--output", "json", "training-job", "show", "99", "--version", "1"]), 4);
    assert!(r.stdout.is_empty());
    let error = &json(&r.stderr)["error"];
    assert_eq!(error["exit_code"], 4);
    assert!(error["code"].is_string() && error["request_id"].is_string(), "{error}");
    assert!(error["causes"].as_array().is_some_and(|c| !c.is_empty()));
}

#[test]
fn exit_5_on_persistent_503() {
    let env = Env::start(
        EmulatorConfig::default()
            .job(JobSeed::running(10, 20))
            .fault(FaultScript::new(RouteSelector::Show).repeat(FaultStep::status(503), 10)),
    );
    let r =
        expect(env.cmd().args(["--max-attempts", "2", "training-job", "show", "10", "--version", "20"]), 5);
    assert!(r.stderr.contains("503"), "{}", r.stderr);
    assert_eq!(env.journal_len(), 2);
}

/// An answer over the transport's size cap (16 MiB) is an unreadable answer: exit 1, not retried
/// (the same request would get the same answer), as the README's exit-status table says.
#[test]
fn exit_1_on_an_oversized_answer_without_retry() {
    let env = Env::start(
        EmulatorConfig::default()
            .job(JobSeed::running(10, 20))
            .fault(FaultScript::new(RouteSelector::Show).repeat(FaultStep::oversized(17 << 20), 5)),
    );
    let r = expect(env.cmd().args(["training-job", "show", "10", "--version", "20"]), 1);
    assert!(r.stderr.contains("over the limit of 16777216"), "{}", r.stderr);
    assert_eq!(env.journal_len(), 1);
}

#[test]
fn bad_input_fails_before_any_request() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)));
    let cases: &[&[&str]] = &[
        &["training-job", "stop", "abc", "--version", "20"],
        &["training-job", "stop", "10", "--version", "0"],
        &["training-job", "stop", "10"],
        &["training-job", "stop", "10", "--version", "20", "--wait", "--max-wait", "soon"],
        &["training-job", "stop", "10", "--version", "20", "--wait", "--poll-min", "1m", "--poll-max", "1s"],
        &["training-job", "list", "--status", "sleeping"],
        &["training-job", "list", "--per-page", "5000"],
        &["training-job", "list", "--sort-by", "colour"],
        &["--project-id", "a/b", "training-job", "list"],
        &["training-job", "stop", "--from-file", "/nonexistent/stops.txt", "--yes"],
    ];
    for args in cases {
        let r = expect(env.cmd().args(*args), 2);
        assert!(r.stderr.contains("error"), "{args:?}: {}", r.stderr);
    }
    let r = expect(env.cmd().args(["--output", "json", "training-job", "show", "x", "--version", "1"]), 2);
    assert_eq!(json(&r.stderr)["error"]["exit_code"], 2);
    assert_eq!(env.journal_len(), 0);
}

// --- dry run, configuration ---------------------------------------------------------------------

#[test]
fn dry_run_sends_nothing_and_shows_no_secret() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)));
    let r = expect(
        env.cmd().env("HUAWEICLOUD_SDK_SECURITY_TOKEN", "security-token-secret-value").args([
            "--dry-run",
            "training-job",
            "stop",
            "10",
            "--version",
            "20",
        ]),
        0,
    );
    assert!(r.stdout.contains("POST /v1/"), "{}", r.stdout);
    assert!(r.stdout.contains("curl --request POST"), "{}", r.stdout);
    assert!(r.stdout.contains("Signature=****"), "{}", r.stdout);
    let everything = format!("{}{}", r.stdout, r.stderr);
    assert!(!everything.contains(&env.secret_key()));
    assert!(!everything.contains("security-token-secret-value"));
    let signature = regex_free_signature(&everything);
    assert_eq!(signature, Some("****".to_owned()));

    let r = expect(
        env.bare().env("MODELARTS_IAM_TOKEN", "iam-token-secret-value").args([
            "--dry-run",
            "--output",
            "json",
            "training-job",
            "show",
            "10",
            "--version",
            "20",
        ]),
        0,
    );
    let doc = json(&r.stdout);
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["headers"]["x-auth-token"], "****");
    assert!(!r.stdout.contains("iam-token-secret-value"));

    let list = env.file("stops.txt", "10 20\n");
    expect(env.cmd().args(["--dry-run", "training-job", "stop", "--from-file"]).arg(&list), 0);
    expect(env.cmd().args(["--dry-run", "training-job", "list", "--all"]), 0);
    assert_eq!(env.journal_len(), 0);
    assert_eq!(env.status(10, 20), Some(status::RUNNING));
}

#[test]
fn dry_run_prints_the_request_the_command_then_sends() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)));
    let cases: [&[&str]; 3] = [
        &["training-job", "list", "--api", "v1", "--all", "--search", "job"],
        &["training-job", "show", "10", "--version", "20"],
        &["training-job", "stop", "10", "--version", "20"],
    ];
    for (index, args) in cases.iter().enumerate() {
        let dry = json(&expect(env.cmd().args(["--dry-run", "--output", "json"]).args(*args), 0).stdout);
        assert_eq!(env.journal_len(), index, "{args:?}: the dry run sent nothing");
        expect(env.cmd().args(["--output", "json"]).args(*args), 0);
        let sent = env.emulator().state().journal().into_iter().nth(index).unwrap();
        let url = dry["url"].as_str().unwrap();
        let query = sent.query.as_ref().map_or_else(String::new, |q| format!("?{q}"));
        assert!(url.ends_with(&format!("{}{query}", sent.path)), "{args:?}: {url} vs {}{query}", sent.path);
        assert_eq!(dry["method"], sent.method.as_str(), "{args:?}");
        let headers = dry["headers"].as_object().unwrap();
        for (name, value) in &sent.headers {
            if matches!(name.as_str(), "host" | "authorization" | "x-sdk-date" | "content-length") {
                continue;
            }
            assert_eq!(headers.get(name).and_then(Value::as_str), Some(value.as_str()), "{args:?}: {name}");
        }
        for name in headers.keys().filter(|n| *n != "host") {
            assert!(sent.headers.iter().any(|(n, _)| n == name), "{args:?}: {name} was not sent");
        }
    }
    assert_eq!(env.status(10, 20), Some(status::KILLING));
}

/// The value after `Signature=` in the first Authorization line.
fn regex_free_signature(text: &str) -> Option<String> {
    let start = text.find("Signature=")? + "Signature=".len();
    Some(text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '*').collect())
}

#[test]
fn configure_list_masks_secrets_and_names_sources() {
    let env = Env::start(EmulatorConfig::default());
    let r = expect(env.cmd().args(["configure", "list"]), 0);
    assert!(!r.stdout.contains(&env.secret_key()), "{}", r.stdout);
    assert!(r.stdout.contains("secret_key"), "{}", r.stdout);
    assert!(r.stdout.contains("env HUAWEICLOUD_SDK_AK"), "{}", r.stdout);
    assert!(r.stdout.contains("flag"), "{}", r.stdout);
    let ak = &env.emulator().credentials().access_key;
    assert!(!r.stdout.contains(ak.as_str()), "the AK is partly masked too:\n{}", r.stdout);

    let r = expect(
        env.cmd()
            .env("MODELARTS_OUTPUT", "json")
            .env("MODELARTS_REGION", "eu-de")
            .args(["configure", "list"]),
        0,
    );
    let doc = json(&r.stdout);
    let settings = doc["settings"].as_array().unwrap();
    let find = |name: &str| settings.iter().find(|s| s["name"] == name).cloned().unwrap();
    assert_eq!(find("region")["source"], "env MODELARTS_REGION");
    assert_eq!(find("output")["source"], "env MODELARTS_OUTPUT");
    assert!(!r.stdout.contains(&env.secret_key()));
    assert_eq!(env.journal_len(), 0);
}

// --- the rest -----------------------------------------------------------------------------------

#[test]
fn broken_pipe_ends_a_read_only_command_at_once_with_0() {
    let env = Env::start(EmulatorConfig::default().generate_jobs(300));
    let mut child = env
        .std_cmd()
        .args(["training-job", "list", "--all", "--per-page", "50"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end before anything is written, as `| head -0` does.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("error") && !stderr.contains("cannot"), "{stderr}");
    // The walk ended at the first write: one page read of six.
    let lists = env.emulator().state().journal().iter().filter(|e| e.method == "GET").count();
    assert_eq!(lists, 1, "a read-only command ends when its reader is gone");
}

#[test]
fn broken_pipe_never_stops_a_batch_midway_and_exits_1() {
    let env = Env::start(EmulatorConfig::default().jobs((0..20).map(|i| JobSeed::running(100 + i, 200 + i))));
    let list =
        env.file("stops.txt", &(0..20).map(|i| format!("{} {}\n", 100 + i, 200 + i)).collect::<String>());
    let mut child = env
        .std_cmd()
        .args(["--yes", "training-job", "stop", "--concurrency", "1", "--from-file"])
        .arg(&list)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    // Every stop was sent, and the summary went to stderr.
    let stops = env.emulator().state().journal().iter().filter(|e| e.method == "POST").count();
    assert_eq!(stops, 20, "{stderr}");
    assert!(stderr.contains("the batch ran: 20 job(s): 20 stop_requested"), "{stderr}");
}

#[test]
fn insecure_warns_on_every_run() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)));
    let r = expect(
        env.cmd().args([
            "--insecure",
            "-q",
            "--output",
            "json",
            "training-job",
            "show",
            "10",
            "--version",
            "20",
        ]),
        0,
    );
    assert!(r.stderr.contains("--insecure"), "{}", r.stderr);
    assert_eq!(json(&r.stdout)["status"], 8);
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let r = expect(Command::new(BIN).env_clear().args(["completions", shell]), 0);
        assert!(r.stdout.contains("training-job"), "{shell}");
    }
}

#[test]
fn help_lists_the_exit_codes() {
    let r = expect(Command::new(BIN).env_clear().arg("--help"), 0);
    for line in ["Exit status:", "  130  interrupted", "    6  the wait timed out"] {
        assert!(r.stdout.contains(line), "{line}\n{}", r.stdout);
    }
}

/// `--from-file` takes a pipe (`--from-file <(grep …)`, here a FIFO with a writer) as well as a
/// regular file, and refuses a directory or a device at once.
#[cfg(unix)]
#[test]
fn batch_from_a_pipe_works_and_a_directory_is_refused() {
    let env = Env::start(EmulatorConfig::default().jobs([JobSeed::running(10, 20)]).never_kill());
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("list");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, "10 20\n").unwrap())
    };
    let r = expect(
        env.cmd().args(["--output", "json", "--yes", "training-job", "stop", "--from-file"]).arg(&fifo),
        0,
    );
    writer.join().unwrap();
    let lines = json_lines(&r.stdout);
    assert_eq!(lines.len(), 1, "{}", r.stdout);
    assert_eq!(lines[0]["outcome"], "stop_requested", "{}", r.stdout);
    for odd in [dir.path().to_path_buf(), std::path::PathBuf::from("/dev/null")] {
        let r = expect(env.cmd().args(["--yes", "training-job", "stop", "--from-file"]).arg(&odd), 2);
        assert!(r.stderr.contains("not a regular file or a pipe"), "{}", r.stderr);
    }
}
