//! `training-job logs` and `events`, and `stop --wait --logs-on-exit`, the real binary against the
//! emulator over HTTPS. Follows end on the emulator's poll counts (`kill_after_polls`), not on time.

#![allow(clippy::unwrap_used)]

use modelarts_emulator::{EmulatorConfig, FaultScript, JobSeed, V2JobSeed, V2Phase, VersionSeed, status};

mod common;

use common::{Env, expect, json, json_lines};

const A: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
const FAST_POLL: [&str; 4] = ["--poll-min", "10ms", "--poll-max", "20ms"];

fn ended(job: u64, version: u64, code: i32, run_ms: u64) -> JobSeed {
    JobSeed::new(job).version(VersionSeed::new(version).status(code).duration_ms(run_ms))
}

#[test]
fn logs_print_the_latest_lines_escaped_unless_raw() {
    let env = Env::start(EmulatorConfig::default().job(ended(10, 20, status::FAILED, 10_000)));
    let all = env.emulator().state().log_lines(10, 20, 0).unwrap();
    let r = expect(env.cmd().args(["training-job", "logs", "10", "--version", "20", "--lines", "12"]), 0);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 12, "{}", r.stdout);
    assert!(!r.stdout.contains('\u{1b}'), "no raw ESC reaches the terminal");
    assert!(r.stdout.contains("\\e[33mWARN\\e[0m"), "{}", r.stdout);
    assert_eq!(lines[11], all[all.len() - 1]);
    assert!(lines[11].ends_with("training ended: JOBSTAT_FAILED"));

    let r = expect(env.cmd().args(["training-job", "logs", "10", "--version", "20", "-n", "12", "--raw"]), 0);
    assert_eq!(r.stdout.lines().collect::<Vec<_>>(), all[all.len() - 12..]);

    let r = expect(
        env.cmd().args(["--output", "jsonl", "training-job", "logs", "10", "--version", "20", "-n", "3"]),
        0,
    );
    let docs = json_lines(&r.stdout);
    let got: Vec<&str> = docs.iter().map(|d| d["line"].as_str().unwrap()).collect();
    assert_eq!(got, all[all.len() - 3..]);
    let r = expect(
        env.cmd().args(["--output", "json", "training-job", "logs", "10", "--version", "20", "-n", "2"]),
        0,
    );
    assert_eq!(json(&r.stdout)["lines"].as_array().unwrap().len(), 2);
}

#[test]
fn more_than_500_lines_and_misrouted_ids_are_refused_before_any_request() {
    let env =
        Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)).v2_job(V2JobSeed::running(A)));
    let cases: &[(&[&str], &str)] = &[
        (&["training-job", "logs", "10", "--version", "20", "--lines", "501"], "500"),
        (&["training-job", "logs", "10"], "--version"),
        (&["training-job", "logs", A, "--version", "3"], "v2"),
        (&["training-job", "logs", A, "--file", "x.log"], "--task"),
        (&["training-job", "logs", "10", "--version", "20", "--task", "worker-0"], "--file"),
        (&["training-job", "events", "10"], "v1"),
        (&["training-job", "logs", "10", "--version", "20", "--stall-after", "1s"], "--follow"),
    ];
    for (args, says) in cases {
        let r = expect(env.cmd().args(*args), 2);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
    }
    assert_eq!(env.journal_len(), 0, "nothing was sent");
}

#[test]
fn follow_prints_every_line_once_until_the_job_is_final() {
    // A version already stopping: its log is frozen at the stop, and it turns KILLED on the fourth
    // status read, so the follow ends on poll counts.
    let seed = JobSeed::new(10).version(VersionSeed::new(20).status(status::KILLING).duration_ms(30_000));
    let env = Env::start(EmulatorConfig::default().job(seed).kill_after_polls(3));
    let r = expect(
        env.cmd()
            .args(["training-job", "logs", "10", "--version", "20", "--follow", "--raw"])
            .args(FAST_POLL),
        0,
    );
    let all = env.emulator().state().log_lines(10, 20, 0).unwrap();
    assert_eq!(all.len(), 301);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines, all[all.len() - 51..], "the 50 latest lines, then the closing one, once each");
    assert!(r.stderr.contains("ended: KILLED"), "{}", r.stderr);

    // JSON Lines: the lines, then the end event.
    let seed = JobSeed::new(11).version(VersionSeed::new(21).status(status::KILLING).duration_ms(1_000));
    let env = Env::start(EmulatorConfig::default().job(seed).kill_after_polls(1));
    let r = expect(
        env.cmd()
            .args(["--output", "jsonl", "training-job", "logs", "11", "--version", "21", "--follow"])
            .args(FAST_POLL),
        0,
    );
    let docs = json_lines(&r.stdout);
    assert_eq!(docs.len(), 10 + 1 + 1, "{}", r.stdout);
    assert_eq!(docs.last().unwrap()["event"], "ended");
    assert_eq!(docs.last().unwrap()["status"], "KILLED");
}

#[test]
fn a_running_job_whose_log_stopped_moving_is_reported_on_stderr() {
    // 60 s of run time seeded, the log stalled at 600 lines: it never moves while the job runs.
    let seed = JobSeed::new(10).version(VersionSeed::new(20).log_stall_after_lines(600));
    let env = Env::start(EmulatorConfig::default().job(seed).never_kill());
    let r = expect(
        env.cmd()
            .args(["training-job", "logs", "10", "--version", "20", "--follow", "-n", "5"])
            .args(["--stall-after", "100ms", "--max-wait", "3s"])
            .args(FAST_POLL),
        6,
    );
    assert_eq!(r.stdout.lines().count(), 5, "{}", r.stdout);
    let warnings = r.stderr.matches("has not moved for").count();
    assert_eq!(warnings, 1, "one warning per quiet spell: {}", r.stderr);
    assert!(r.stderr.contains("while the job is RUNNING"), "{}", r.stderr);
    assert!(r.stderr.contains("--max-wait"), "{}", r.stderr);
}

#[test]
fn v2_logs_read_the_older_context_field_and_events_list_state_changes() {
    let fault: FaultScript = serde_json::from_value(serde_json::json!({
        "route": "v2_log_preview",
        "steps": [{"status": 200, "body": {"context": "first\n\u{1b}]0;title\u{7}second\n"}}]
    }))
    .unwrap();
    let env = Env::start(
        EmulatorConfig::default()
            .v2_job(V2JobSeed::running(A).phase(V2Phase::Failed).duration_ms(5_000))
            .fault(fault),
    );
    let r = expect(env.cmd().args(["training-job", "logs", A]), 0);
    assert_eq!(r.stdout, "first\n\\e]0;title\\u{7}second\n");
    // The emulator's own answer (`content`), a task named.
    let r = expect(env.cmd().args(["training-job", "logs", A, "--task", "worker-0", "-n", "1", "--raw"]), 0);
    assert_eq!(r.stdout.trim_end(), "[ModelArts Service Log] worker-0 training ended: Failed");
    let r = expect(env.cmd().args(["training-job", "logs", A, "--task", "worker-7"]), 4);
    assert!(r.stderr.contains("worker-7"), "{}", r.stderr);

    let r = expect(env.cmd().args(["training-job", "logs", A, "--url", "download"]), 0);
    assert!(r.stdout.starts_with("https://") && r.stdout.contains("attachment"), "{}", r.stdout);
    let r = expect(env.cmd().args(["-o", "json", "training-job", "logs", A, "--url", "preview"]), 0);
    assert!(!json(&r.stdout)["obs_url"].as_str().unwrap().contains("attachment"));

    let r = expect(env.cmd().args(["training-job", "events", A]), 0);
    assert!(r.stdout.starts_with("TIME"), "{}", r.stdout);
    assert!(r.stdout.contains("Phase Failed: the job ended") && r.stdout.contains("Error"), "{}", r.stdout);
    let r = expect(env.cmd().args(["--output", "jsonl", "training-job", "events", A, "--level", "error"]), 0);
    let docs = json_lines(&r.stdout);
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["level"], "Error");
    assert!(docs[0]["time_iso"].as_str().unwrap().ends_with('Z'));
    let journal = env.emulator().state().journal();
    assert!(
        journal.iter().any(|e| e.route.as_str() == "v2_events" && e.query.as_deref() == Some("level=Error"))
    );
}

#[test]
fn stop_wait_prints_the_last_log_lines_when_the_version_ends_otherwise() {
    let env = Env::start(
        EmulatorConfig::default()
            .job(JobSeed::new(10).version(VersionSeed::new(20).stop_result_status(status::FAILED)))
            .kill_after_polls(1),
    );
    let r = expect(
        env.cmd()
            .args(["training-job", "stop", "10", "--version", "20", "--wait", "--logs-on-exit", "3"])
            .args(FAST_POLL),
        7,
    );
    assert!(r.stderr.contains("last 3 log line(s) of job 10 version 20"), "{}", r.stderr);
    assert!(r.stderr.contains("training ended: JOBSTAT_FAILED"), "{}", r.stderr);
    // A version that ends stopped prints no log.
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)).kill_after_polls(1));
    let r = expect(
        env.cmd()
            .args(["training-job", "stop", "10", "--version", "20", "--wait", "--logs-on-exit", "3"])
            .args(FAST_POLL),
        0,
    );
    assert!(!r.stderr.contains("log line"), "{}", r.stderr);
}

/// A task the job does not have: the error lists the job's tasks, and the one it names works.
#[test]
fn a_missing_v2_task_lists_the_jobs_tasks() {
    let env = Env::start(EmulatorConfig::default().v2_job(V2JobSeed::running(A)));
    let r = expect(env.cmd().args(["training-job", "logs", A, "--task", "worker-9"]), 4);
    assert!(r.stderr.contains("\"worker-9\" is not a task of this job; its tasks: worker-0"), "{}", r.stderr);
    // The advice works: the task it names is read (exit 0, no error).
    let r = expect(env.cmd().args(["training-job", "logs", A, "--task", "worker-0", "--lines", "3"]), 0);
    assert!(!r.stderr.contains("error"), "{}", r.stderr);
}
