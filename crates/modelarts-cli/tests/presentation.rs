//! What people and programs read: tables, messages, JSON shapes, streaming, previews, hints.
//! The real `modelarts` binary against the real emulator over HTTPS (issue 11, sections 2.1, 2.3
//! and 3).

// Test helpers may unwrap: a failure is a test failure (clippy.toml allows it in #[test] fns only).
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use assert_cmd::Command;
use modelarts_emulator::{
    EmulatorConfig, FaultScript, FaultStep, JobSeed, RouteSelector, V2JobSeed, V2Phase, VersionSeed, status,
};
use serde_json::{Value, json};
use unicode_width::UnicodeWidthStr;

mod common;

use common::{BIN, Env, Run, expect, json, json_lines, run};

/// The characters that must never reach a terminal raw.
fn unsafe_chars(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
        })
        .collect()
}

fn assert_clean(r: &Run, what: &str) {
    assert_eq!(
        unsafe_chars(&r.stdout),
        [] as [char; 0],
        "{what}: raw control characters on stdout:\n{:?}",
        r.stdout
    );
    assert_eq!(
        unsafe_chars(&r.stderr),
        [] as [char; 0],
        "{what}: raw control characters on stderr:\n{:?}",
        r.stderr
    );
}

// --- 2.1: times no calendar can show ------------------------------------------------------------

/// 253402300800000 ms is 10000-01-01T00:00:00Z; table output used to panic (exit 101).
#[test]
fn times_after_9999_print_raw_in_tables_and_as_null_iso_in_json() {
    let huge = 253_402_300_800_000_u64;
    let mut detail = serde_json::Map::new();
    detail.insert("start_time".into(), json!(-5));
    let env = Env::start(
        EmulatorConfig::default()
            .job(
                JobSeed::new(10)
                    .create_time(huge)
                    .version(VersionSeed::new(20).create_time(huge).detail(detail)),
            )
            .never_kill(),
    );
    for args in [&["training-job", "show", "10", "--version", "20"][..], &["training-job", "versions", "10"]]
    {
        let r = expect(env.cmd().args(args), 0);
        assert!(r.stdout.contains("253402300800000"), "{args:?}: the raw value is shown:\n{}", r.stdout);
    }
    // Lists show an AGE: a creation time in the future has none.
    for args in
        [&["training-job", "list", "--api", "v1"][..], &["training-job", "list", "--api", "v1", "--all"]]
    {
        let r = expect(env.cmd().args(args), 0);
        let mut lines = r.stdout.lines();
        let header = lines.next().unwrap();
        let row = lines.next().unwrap();
        let at = header.find("AGE").unwrap();
        assert!(row[at..].starts_with("- "), "{args:?}:\n{}", r.stdout);
    }
    let r = expect(env.cmd().args(["training-job", "show", "10", "--version", "20"]), 0);
    let started = r.stdout.lines().find(|l| l.starts_with("started")).unwrap();
    assert!(started.ends_with(" -5"), "{started}");

    let r = expect(env.cmd().args(["-o", "json", "training-job", "show", "10", "--version", "20"]), 0);
    let doc = json(&r.stdout);
    assert_eq!(doc["create_time"], huge);
    assert_eq!(doc["create_time_iso"], Value::Null);
    assert_eq!(doc["start_time"], -5);
    assert_eq!(doc["start_time_iso"], Value::Null);
}

#[test]
fn json_times_have_iso_8601_twins() {
    let env = Env::start(
        EmulatorConfig::default()
            .job(
                JobSeed::new(10)
                    .create_time(1_700_000_000_123)
                    .version(VersionSeed::new(20).create_time(1_700_000_000_123)),
            )
            .never_kill(),
    );
    let r = expect(env.cmd().args(["-o", "json", "training-job", "list", "--api", "v1"]), 0);
    let job = &json(&r.stdout)["jobs"][0];
    assert_eq!(job["create_time"], 1_700_000_000_123_i64);
    assert_eq!(job["create_time_iso"], "2023-11-14T22:13:20.123Z");
    let r = expect(env.cmd().args(["--output", "json", "training-job", "versions", "10"]), 0);
    assert_eq!(json(&r.stdout)["versions"][0]["create_time_iso"], "2023-11-14T22:13:20.123Z");
    let r = expect(env.cmd().args(["-o", "table", "training-job", "versions", "10"]), 0);
    assert!(r.stdout.contains("2023-11-14T22:13:20Z"), "{}", r.stdout);
    // Lists give the age instead (kubectl style, the two largest units), JSON the times.
    let r = expect(env.cmd().args(["-o", "table", "training-job", "list", "--api", "v1"]), 0);
    let mut lines = r.stdout.lines();
    let (header, row) = (lines.next().unwrap(), lines.next().unwrap());
    let age = row[header.find("AGE").unwrap()..].split_whitespace().next().unwrap();
    assert!(
        age.contains('d') && age.chars().next().is_some_and(|c| c.is_ascii_digit()),
        "an age of years is in days: {age}\n{}",
        r.stdout
    );
}

// --- 2.3: hostile server text -------------------------------------------------------------------

const HOSTILE: &str = "evil\u{1b}]0;pwned\u{7}\u{1b}[2J\rover\u{202e}gpj.exe\u{2066}\u{9b}31m\u{200f}";

#[test]
fn hostile_names_and_descriptions_are_escaped_on_terminals_and_exact_in_json() {
    let env = Env::start(
        EmulatorConfig::default()
            .job(JobSeed::new(10).name(HOSTILE).desc(HOSTILE).version(VersionSeed::new(20).name(HOSTILE)))
            .never_kill(),
    );
    for args in [
        &["training-job", "list", "--api", "v1"][..],
        &["training-job", "list", "--api", "v1", "--all"],
        // Both APIs (the default): the merged table escapes the same way.
        &["training-job", "list"],
        &["training-job", "list", "--all"],
        &["training-job", "show", "10", "--version", "20"],
        &["training-job", "versions", "10"],
    ] {
        let r = expect(env.cmd().args(args), 0);
        assert_clean(&r, &format!("{args:?}"));
        assert!(
            r.stdout.contains("evil\\e]0;pwned\\u{7}\\e[2J\\rover\\u{202e}gpj.exe"),
            "{args:?}:\n{}",
            r.stdout
        );
    }
    for format in ["json", "jsonl"] {
        let r = expect(env.cmd().args(["-o", format, "training-job", "list", "--api", "v1", "--all"]), 0);
        assert_clean(&r, format);
        let first = json_lines(&r.stdout).remove(0);
        let job = if format == "json" { first["jobs"][0].clone() } else { first };
        assert_eq!(job["job_name"], HOSTILE, "JSON keeps the exact value");
        let r = expect(env.cmd().args(["-o", format, "training-job", "show", "10", "--version", "20"]), 0);
        assert_clean(&r, format);
        assert_eq!(json(&r.stdout)["job_desc"], HOSTILE);
    }
}

#[test]
fn hostile_error_codes_and_messages_are_escaped() {
    let mut step = FaultStep::status(400);
    step.error_code = Some(format!("ModelArts.\u{1b}[31m{HOSTILE}"));
    step.error_msg = Some(format!("not found\n  request id: forged\u{1b}[2J{HOSTILE}"));
    let env = Env::start(
        EmulatorConfig::default()
            .job(JobSeed::running(10, 20))
            .never_kill()
            .fault(FaultScript::new(RouteSelector::Show).repeat(step.clone(), 10))
            .fault(FaultScript::new(RouteSelector::Stop).repeat(step, 10)),
    );
    let r = expect(env.cmd().args(["training-job", "show", "10", "--version", "20"]), 4);
    assert_clean(&r, "show error");
    assert!(r.stderr.contains("\\e[2J"), "{}", r.stderr);
    assert_eq!(
        r.stderr.matches("request id:").count(),
        2,
        "the forged line stays inside its cause:\n{}",
        r.stderr
    );
    let r = expect(env.cmd().args(["-o", "json", "training-job", "show", "10", "--version", "20"]), 4);
    assert_clean(&r, "show error, json");
    assert!(json(&r.stderr)["error"]["code"].as_str().unwrap().ends_with(HOSTILE));
    let list = env.file("stops.txt", "10 20\n");
    let r = expect(env.cmd().args(["--yes", "training-job", "stop", "--from-file"]).arg(&list), 4);
    assert_clean(&r, "batch outcome");
    let r = expect(env.cmd().args(["training-job", "stop", "10", "--version", "20"]), 4);
    assert_clean(&r, "stop error");
}

/// Logs quote the service too (`-vv`: "retrying after …: <error>").
#[test]
fn hostile_messages_in_logs_are_escaped() {
    let mut step = FaultStep::status(503);
    step.error_msg = Some(format!("busy\u{1b}[2J{HOSTILE}"));
    let env = Env::start(
        EmulatorConfig::default()
            .job(JobSeed::running(10, 20))
            .never_kill()
            .fault(FaultScript::new(RouteSelector::Show).repeat(step, 10)),
    );
    let r = expect(
        env.cmd().args(["-vvv", "--max-attempts", "2", "training-job", "show", "10", "--version", "20"]),
        5,
    );
    assert!(r.stderr.contains("busy\\e[2J"), "the message is logged, escaped:\n{}", r.stderr);
    assert_clean(&r, "logs");
}

// --- tables -------------------------------------------------------------------------------------

/// The display column (not the char index) where `needle` starts in `line`.
fn column(line: &str, needle: &str) -> usize {
    line[..line.find(needle).unwrap()].width()
}

#[test]
fn cjk_names_stay_aligned() {
    let env = Env::start(
        EmulatorConfig::default()
            .jobs([
                JobSeed::running(10, 20).name("图像分类训练任务"),
                JobSeed::running(11, 21).name("abc"),
                JobSeed::running(12, 22).name("モデル"),
            ])
            .never_kill(),
    );
    let r = expect(env.cmd().args(["training-job", "list", "--api", "v1", "--sort-by", "job_name"]), 0);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", r.stdout);
    let at = column(lines[0], "VERSION_ID");
    for line in &lines[1..] {
        // The version IDs (20, 21, 22) are the only cells starting with 2.
        assert_eq!(column(line, "  2") + 2, at, "misaligned:\n{}", r.stdout);
    }
}

// --- streaming list -----------------------------------------------------------------------------

#[test]
fn list_all_streams_in_every_format() {
    let env = Env::start(EmulatorConfig::default().generate_jobs(15).never_kill());
    let r = expect(env.cmd().args(["training-job", "list", "--api", "v1", "--all", "--per-page", "4"]), 0);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 16, "one header and 15 rows:\n{}", r.stdout);
    assert_eq!(r.stdout.matches("JOB_ID").count(), 1);

    let r = expect(
        env.cmd().args(["-o", "jsonl", "training-job", "list", "--api", "v1", "--all", "--per-page", "4"]),
        0,
    );
    let jobs = json_lines(&r.stdout);
    assert_eq!(jobs.len(), 15);
    assert!(jobs.iter().all(|j| j["job_id"].is_u64() && j["status_name"] == "RUNNING"));

    let r = expect(
        env.cmd().args(["-o", "json", "training-job", "list", "--api", "v1", "--all", "--per-page", "4"]),
        0,
    );
    let doc = json(&r.stdout);
    assert_eq!(doc["jobs"].as_array().unwrap().len(), 15);
    assert_eq!(doc["job_total_count"], 15);
    assert_eq!(doc["complete"], true);
}

/// The pages read before a failure are already on stdout: output does not wait for the whole walk.
#[test]
fn list_all_prints_the_pages_it_read_before_a_failure() {
    let env = Env::start(
        EmulatorConfig::default().generate_jobs(12).never_kill().fault(
            FaultScript::new(RouteSelector::List)
                .step(FaultStep::pass())
                .step(FaultStep::pass())
                .repeat(FaultStep::status(503), 20),
        ),
    );
    let r = expect(
        env.cmd().args([
            "--max-attempts",
            "1",
            "training-job",
            "list",
            "--api",
            "v1",
            "--all",
            "--per-page",
            "4",
        ]),
        5,
    );
    assert_eq!(r.stdout.lines().count(), 9, "the header and two pages:\n{}", r.stdout);
    assert!(r.stderr.starts_with("error: cannot list training jobs"), "{}", r.stderr);
}

#[test]
fn list_all_json_document_is_closed_and_marked_incomplete_on_failure() {
    let env = Env::start(EmulatorConfig::default().generate_jobs(12).never_kill().fault(
        FaultScript::new(RouteSelector::List).step(FaultStep::pass()).repeat(FaultStep::status(503), 20),
    ));
    let r = expect(
        env.cmd().args([
            "--max-attempts",
            "1",
            "-o",
            "json",
            "training-job",
            "list",
            "--all",
            "--per-page",
            "4",
        ]),
        5,
    );
    // Both APIs (the default): v2 read whole (no job), v1 cut after its first page.
    let doc = json(&r.stdout);
    assert_eq!(doc["schema_version"], 2);
    assert_eq!(doc["items"].as_array().unwrap().len(), 4);
    assert!(doc["items"].as_array().unwrap().iter().all(|j| j["api"] == "v1"), "{doc}");
    assert_eq!(doc["apis_read"], serde_json::json!(["v2"]));
    assert_eq!(doc["complete"], false);
    assert_eq!(json(&r.stderr)["error"]["exit_code"], 5);
}

// --- stop output --------------------------------------------------------------------------------

#[test]
fn single_and_batch_stop_outcomes_have_the_same_fields() {
    let env = Env::start(
        EmulatorConfig::default().jobs([JobSeed::running(10, 20), JobSeed::running(11, 21)]).never_kill(),
    );
    let r = expect(env.cmd().args(["-o", "json", "training-job", "stop", "10", "--version", "20"]), 0);
    let single = json(&r.stdout);
    let list = env.file("stops.txt", "11 21\n");
    let r =
        expect(env.cmd().args(["-o", "jsonl", "--yes", "training-job", "stop", "--from-file"]).arg(&list), 0);
    let batch = json_lines(&r.stdout);
    assert_eq!(batch.len(), 1);
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().filter(|k| *k != "line").cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&single), keys(&batch[0]));
    assert_eq!(batch[0]["line"], 1);
    assert_eq!(batch[0]["outcome"], "stop_requested");
}

#[test]
fn stop_table_columns_never_touch() {
    let env = Env::start(
        EmulatorConfig::default()
            .job(JobSeed::new(12345678901239876).version(VersionSeed::new(543210987).status(status::KILLED)))
            .never_kill(),
    );
    let r =
        expect(env.cmd().args(["training-job", "stop", "12345678901239876", "--version", "543210987"]), 0);
    let row = r.stdout.lines().nth(1).unwrap();
    let cells: Vec<&str> = row.split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
    assert_eq!(
        cells,
        ["12345678901239876", "543210987", "already_stopped", "KILLED", "already final (KILLED)"],
        "{}",
        r.stdout
    );
}

#[test]
fn dry_run_of_running_lists_what_would_be_stopped_and_stops_nothing() {
    let env = Env::start(
        EmulatorConfig::default()
            .jobs([
                JobSeed::running(10, 20).name("resnet-a"),
                JobSeed::running(11, 21).name("bert-b"),
                JobSeed::new(12).name("resnet-c").version(VersionSeed::new(22).status(status::KILLED)),
            ])
            .never_kill(),
    );
    let r =
        expect(env.cmd().args(["--dry-run", "training-job", "stop", "--running", "--search", "resnet"]), 0);
    assert!(
        r.stderr.contains("no stop was sent; 1 training job(s) or version(s) would be stopped"),
        "{}",
        r.stderr
    );
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines, ["JOB_ID  VERSION_ID", "10      20"], "{}", r.stdout);
    let r = expect(env.cmd().args(["--dry-run", "-o", "json", "training-job", "stop", "--running"]), 0);
    let doc = json(&r.stdout);
    assert_eq!(doc["dry_run"], true);
    let mut would: Vec<(u64, u64)> = doc["would_stop"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["job_id"].as_u64().unwrap(), t["version_id"].as_u64().unwrap()))
        .collect();
    would.sort_unstable();
    assert_eq!(would, [(10, 20), (11, 21)]);
    assert!(env.journal_len() > 0, "the list was read");
    assert_eq!(env.stops(), 0, "no stop was sent");
    assert_eq!(env.status(10, 20), Some(status::RUNNING));
    assert_eq!(env.status(11, 21), Some(status::RUNNING));
}

#[test]
fn version_without_a_job_id_is_refused() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)).never_kill());
    let r = expect(env.cmd().args(["--yes", "training-job", "stop", "--running", "--version", "20"]), 2);
    assert!(r.stderr.contains("--version"), "{}", r.stderr);
    assert_eq!(env.journal_len(), 0);
}

/// Runs the binary on a pseudo-terminal (`script` gives it one) with `args` after the emulator's
/// flags, answering the prompt with `answer`: everything the terminal showed, and the exit code.
/// `None` where `script` is not installed.
fn on_terminal(env: &Env, args: &str, answer: &str) -> Option<(String, Option<i32>)> {
    on_terminal_with(env, args, answer, &[])
}

/// [`on_terminal`] with these environment variables set too.
fn on_terminal_with(
    env: &Env,
    args: &str,
    answer: &str,
    vars: &[(&str, &str)],
) -> Option<(String, Option<i32>)> {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("`script` is not installed; skipping");
        return None;
    }
    let c = env.emulator().credentials();
    let inner = format!(
        "{BIN} --endpoint-url {} --ca-bundle {} --project-id {} {args}",
        env.emulator().endpoint(),
        env.ca().display(),
        env.emulator().project_id(),
    );
    let output = std::process::Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .env_clear()
        .env("HOME", env.home.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HUAWEICLOUD_SDK_AK", &c.access_key)
        .env("HUAWEICLOUD_SDK_SK", &c.secret_key)
        .envs(vars.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(answer.as_bytes())?;
            drop(stdin);
            child.wait_with_output()
        })
        .unwrap();
    Some((String::from_utf8_lossy(&output.stdout).into_owned(), output.status.code()))
}

/// The confirmation prompt on a real terminal: the targets are shown before `[y/N]`, with what
/// was read of them, and declining sends nothing.
#[test]
fn batch_prompt_shows_the_targets_first() {
    let jobs: Vec<JobSeed> =
        (1..=25).map(|i| JobSeed::running(100 + i, 200 + i).name(format!("train-{i}"))).collect();
    let env = Env::start(EmulatorConfig::default().jobs(jobs).never_kill());
    let list: String = (1..=25).map(|i| format!("{} {}\n", 100 + i, 200 + i)).collect();
    let list = env.file("stops.txt", &list);
    let args = format!("training-job stop --from-file {}", list.display());
    let Some((text, code)) = on_terminal(&env, &args, "n\n") else { return };
    let preview = text.find("These 25 job version(s) will be stopped:").unwrap_or_else(|| panic!("{text}"));
    let prompt = text.find("Stop 25 job version(s)? [y/N]").unwrap_or_else(|| panic!("{text}"));
    assert!(preview < prompt, "{text}");
    let header = text.lines().find(|l| l.contains("JOB_ID")).unwrap_or_else(|| panic!("{text}"));
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["LINE", "API", "JOB_ID", "VERSION_ID", "NAME", "STATUS", "CREATED"]
    );
    let row = text.lines().find(|l| l.contains("train-1 ")).unwrap_or_else(|| panic!("{text}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[..6], ["1", "v1", "101", "201", "train-1", "RUNNING"], "{row}");
    assert!(text.contains("and 5 more") && !text.contains("train-21"), "{text}");
    assert!(text.contains("declined: nothing was sent"), "{text}");
    assert_eq!(code, Some(8), "declining exits 8: {text}");
    assert_eq!(env.stops(), 0);
    // One show per version the preview names, nothing else.
    assert_eq!(env.requests("show"), 20, "{:?}", env.routes());
    assert_eq!(env.journal_len(), 20, "{:?}", env.routes());
}

const UUID_A: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
const UUID_B: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ac";

/// v2 jobs and v1 versions in one list: their names, phases and statuses are read first (one
/// search for the v2 jobs, one show per v1 version; `-` where a read failed), in words that fit.
#[test]
fn batch_prompt_of_both_apis_reads_names_and_phases() {
    let env = Env::both(
        [JobSeed::running(10, 20).name("v1-job")],
        [
            V2JobSeed::running(UUID_A).name("bert").create_time(1_700_000_000_000),
            V2JobSeed::running(UUID_B).name("resnet").phase(V2Phase::Pending),
        ],
    );
    let list = env.file("stops.txt", &format!("{UUID_A}\n10 20\n{UUID_B}\n10 21\n"));
    let args = format!("training-job stop --from-file {}", list.display());
    let Some((text, code)) = on_terminal(&env, &args, "n\n") else { return };
    assert!(text.contains("These 4 training job(s) and version(s) will be stopped:"), "{text}");
    assert!(text.contains("Stop 4 training job(s) and version(s)? [y/N]"), "{text}");
    let header = text.lines().find(|l| l.contains("JOB_ID")).unwrap_or_else(|| panic!("{text}"));
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["LINE", "API", "JOB_ID", "VERSION_ID", "NAME", "STATUS/PHASE", "CREATED"]
    );
    let cells = |needle: &str| -> Vec<String> {
        let row = text.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle}: {text}"));
        row.split_whitespace().map(str::to_owned).collect()
    };
    assert_eq!(cells(UUID_A), ["1", "v2", UUID_A, "-", "bert", "Running", "2023-11-14T22:13:20Z"]);
    assert_eq!(cells("v1-job")[..6], ["2", "v1", "10", "20", "v1-job", "RUNNING"]);
    assert_eq!(cells(UUID_B)[..6], ["3", "v2", UUID_B, "-", "resnet", "Pending"]);
    // No version 21: its read failed, and it shows `-`.
    assert_eq!(cells("   21 ")[..], ["4", "v1", "10", "21", "-", "-", "-"]);
    assert_eq!(code, Some(8), "{text}");
    assert_eq!(env.requests("v2_list"), 1, "one search for both v2 jobs: {:?}", env.routes());
    assert_eq!(env.requests("show"), 2, "one show per v1 version: {:?}", env.routes());
    assert_eq!(env.requests("v2_terminate") + env.requests("stop"), 0);

    // v2 only, confirmed: the words are the jobs', and the stops go out.
    let list = env.file("v2.txt", &format!("{UUID_A}\n{UUID_B}\n"));
    let args = format!("training-job stop --from-file {}", list.display());
    let Some((text, code)) = on_terminal(&env, &args, "y\n") else { return };
    assert!(text.contains("These 2 training job(s) will be stopped:"), "{text}");
    assert!(text.contains("Stop 2 training job(s)? [y/N]"), "{text}");
    let header = text.lines().find(|l| l.contains("JOB_ID")).unwrap_or_else(|| panic!("{text}"));
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["LINE", "API", "JOB_ID", "NAME", "PHASE", "CREATED"]
    );
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(env.requests("v2_terminate"), 2, "{:?}", env.routes());
}

/// `--running`: the preview shows the names the list read, and reads nothing more.
#[test]
fn batch_prompt_of_running_jobs_shows_the_listed_names_without_more_reads() {
    let env = Env::v2_only([
        V2JobSeed::running(UUID_A).name("bert"),
        V2JobSeed::running(UUID_B).name("resnet").phase(V2Phase::Completed),
    ]);
    let Some((text, code)) = on_terminal(&env, "training-job stop --running --api v2", "n\n") else { return };
    assert!(text.contains("These 1 training job(s) will be stopped:"), "{text}");
    let row = text.lines().find(|l| l.contains(UUID_A)).unwrap_or_else(|| panic!("{text}"));
    assert_eq!(row.split_whitespace().collect::<Vec<_>>()[..4], ["v2", UUID_A, "bert", "Running"], "{row}");
    assert_eq!(code, Some(8), "{text}");
    assert_eq!(env.routes(), ["v2_list"], "the list, and nothing else");
}

/// With `--yes` nothing is read for a preview; without it, off a terminal, nothing is sent at all.
#[test]
fn batch_stop_with_yes_reads_nothing_for_a_preview() {
    let env = Env::both([JobSeed::running(10, 20)], [V2JobSeed::running(UUID_A).name("bert")]);
    let list = env.file("stops.txt", &format!("{UUID_A}\n10 20\n"));
    let r = expect(env.cmd().args(["training-job", "stop", "--from-file"]).arg(&list), 2);
    assert!(
        r.stderr.contains("refusing to stop 2 training job(s) and version(s) without confirmation"),
        "{}",
        r.stderr
    );
    assert_eq!(env.journal_len(), 0, "{:?}", env.routes());
    expect(env.cmd().args(["--yes", "training-job", "stop", "--from-file"]).arg(&list), 0);
    let mut routes = env.routes();
    routes.sort_unstable();
    assert_eq!(routes, ["stop", "v2_terminate"], "the stops only");
}

// --- waiting ------------------------------------------------------------------------------------

#[test]
fn waiting_off_a_terminal_prints_one_line_per_status_change() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)).kill_after_polls(3));
    let r = expect(
        env.cmd().args([
            "training-job",
            "stop",
            "10",
            "--version",
            "20",
            "--wait",
            "--poll-min",
            "10ms",
            "--poll-max",
            "20ms",
        ]),
        0,
    );
    let lines: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("job 10 version 20: ")).collect();
    assert_eq!(lines.len(), 2, "KILLING once, then KILLED:\n{}", r.stderr);
    assert!(lines[0].contains("KILLING") && lines[1].contains("KILLED"), "{}", r.stderr);
    // -q and JSON keep stderr for errors.
    let r = expect(env.cmd().args(["-q", "training-job", "wait", "10", "--version", "20"]), 0);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn wait_on_a_version_nobody_stops_says_so_at_once() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)).never_kill());
    let r = expect(
        env.cmd().args([
            "training-job",
            "wait",
            "10",
            "--version",
            "20",
            "--max-wait",
            "300ms",
            "--poll-min",
            "50ms",
            "--poll-max",
            "100ms",
        ]),
        6,
    );
    let note = r
        .stderr
        .lines()
        .position(|l| l.contains("is RUNNING, not KILLING: nothing is stopping it"))
        .unwrap_or_else(|| panic!("{}", r.stderr));
    assert!(r.stderr.contains("modelarts training-job stop 10 --version 20"), "{}", r.stderr);
    let error = r.stderr.lines().position(|l| l.starts_with("error:")).unwrap();
    assert!(note < error, "the note comes first, at the first read:\n{}", r.stderr);
    assert_eq!(env.stops(), 0);
}

#[test]
fn ctrl_c_prints_the_command_that_resumes_the_wait() {
    let env = Env::start(
        EmulatorConfig::default()
            .job(JobSeed::new(10).version(VersionSeed::new(20).status(status::KILLING)))
            .never_kill(),
    );
    let mut child = env
        .std_cmd()
        .args(["training-job", "wait", "10", "--version", "20", "--poll-min", "50ms", "--poll-max", "100ms"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first status line says the wait is under way.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.starts_with("job 10 version 20: KILLING"), "{first}");
    let killed = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains("to wait again: modelarts training-job wait 10 --version 20"), "{rest}");
}

// --- errors with their next step ----------------------------------------------------------------

#[test]
fn rejected_credentials_name_the_source_and_the_clock_skew() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)).clock_offset_secs(-3600));
    let r = expect(
        env.cmd().env("HUAWEICLOUD_SDK_SK", "wrong-secret").args([
            "training-job",
            "show",
            "10",
            "--version",
            "20",
        ]),
        3,
    );
    assert!(r.stderr.contains("\n  hint: credentials used: access_key "), "{}", r.stderr);
    assert!(r.stderr.contains("from env HUAWEICLOUD_SDK_AK"), "{}", r.stderr);
    assert!(
        r.stderr.contains("hint: clock skew: the server's clock is 3600s behind this machine's"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("wrong-secret"));
    let r = expect(
        env.cmd().env("HUAWEICLOUD_SDK_SK", "wrong-secret").args([
            "-o",
            "json",
            "training-job",
            "show",
            "10",
            "--version",
            "20",
        ]),
        3,
    );
    // The SDK's clock warning is a log line before the report.
    let hints = json(r.stderr.lines().last().unwrap())["error"]["hints"].as_array().unwrap().clone();
    assert!(hints.iter().any(|h| h.as_str().unwrap().starts_with("credentials used:")), "{hints:?}");
}

#[test]
fn an_unknown_issuer_points_to_ca_bundle() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)));
    let mut cmd = Command::from_std(env.std_unpointed());
    cmd.arg("--endpoint-url").arg(env.emulator().endpoint()).write_stdin("");
    let r = expect(cmd.args(["--max-attempts", "1", "training-job", "show", "10", "--version", "20"]), 3);
    assert!(r.stderr.contains("hint: ") && r.stderr.contains("--ca-bundle FILE"), "{}", r.stderr);
}

#[test]
fn a_region_typo_gets_the_closest_region_and_the_list() {
    let env = Env::start(EmulatorConfig::default());
    let mut cmd = Command::from_std(env.std_unpointed());
    cmd.write_stdin("");
    let r = expect(cmd.args(["--region", "cn-nort-4", "training-job", "list", "--api", "v1"]), 3);
    assert!(r.stderr.contains("hint: did you mean --region cn-north-4?"), "{}", r.stderr);
    // The region list once, not twice.
    assert_eq!(r.stderr.matches("eu-de").count(), 1, "{}", r.stderr);
    // The advice works: the region it names is known (its endpoint is derived; no request is made).
    let mut fixed = Command::from_std(env.std_unpointed());
    fixed.write_stdin("");
    let r = run(fixed.args(["--region", "cn-north-4", "--dry-run", "training-job", "list", "--api", "v1"]));
    assert!(!r.stderr.contains("unknown region"), "{}", r.stderr);
    assert_eq!(env.journal_len(), 0);
}

// --- completions --------------------------------------------------------------------------------

#[test]
fn completions_offer_status_region_and_output_values() {
    for shell in ["bash", "zsh", "fish"] {
        let r = expect(Command::new(BIN).env_clear().args(["completions", shell]), 0);
        for value in ["running", "killed", "eu-de", "cn-north-4", "jsonl"] {
            assert!(r.stdout.contains(value), "{shell} lacks {value}");
        }
    }
}

// --- issue 24: the newcomer's path --------------------------------------------------------------

/// Runs `command` (a shell line) on a pseudo-terminal of `columns` columns: what it showed and its
/// exit code. `None` where `script` is not installed.
fn on_pty(command: &str, columns: u16, env: &[(&str, &str)]) -> Option<(String, Option<i32>)> {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("`script` is not installed; skipping");
        return None;
    }
    let home = tempfile::tempdir().unwrap();
    let inner = format!("stty cols {columns} rows 50; {command}");
    let output = std::process::Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Some((String::from_utf8_lossy(&output.stdout).replace("\r\n", "\n"), output.status.code()))
}

#[test]
fn a_bare_modelarts_prints_help() {
    let home = tempfile::tempdir().unwrap();
    let r = expect(&mut Command::from_std(common::bare(home.path())), 0);
    assert!(r.stdout.contains("Usage: modelarts [OPTIONS] <COMMAND>"), "{}", r.stdout);
    assert!(r.stdout.contains("training-job"), "{}", r.stdout);
    assert_eq!(r.stderr, "");
}

#[test]
fn short_help_leaves_the_global_options_to_long_help() {
    let home = tempfile::tempdir().unwrap();
    let help = |args: &[&str]| expect(Command::from_std(common::bare(home.path())).args(args), 0).stdout;
    let short = help(&["training-job", "stop", "-h"]);
    for global in ["Global options", "--region", "--endpoint-url", "--dry-run"] {
        assert!(!short.contains(global), "stop -h shows {global}:\n{short}");
    }
    assert!(short.lines().count() < 50, "stop -h is {} lines:\n{short}", short.lines().count());
    assert!(short.contains("modelarts training-job stop llama-finetune"), "{short}");
    for args in [&["training-job", "stop", "--help"][..], &["--help"]] {
        let long = help(args);
        for global in ["Global options", "--region", "--endpoint-url", "--dry-run"] {
            assert!(long.contains(global), "{args:?} lacks {global}");
        }
    }
}

/// Help fills a wide terminal and keeps paragraphs and examples whole; a narrow one gets narrow
/// lines.
#[test]
fn help_wraps_to_the_terminals_width() {
    let command = format!("{BIN} training-job stop --help");
    let Some((wide, code)) = on_pty(&command, 200, &[]) else { return };
    assert_eq!(code, Some(0), "{wide}");
    let widest = wide.lines().map(UnicodeWidthStr::width).max().unwrap();
    assert!(widest > 120 && widest <= 200, "widest line {widest}:\n{wide}");
    assert!(
        wide.contains("\n  modelarts training-job stop --from-file stops.txt --yes --output json\n"),
        "{wide}"
    );
    let Some((narrow, _)) = on_pty(&command, 70, &[]) else { return };
    // The usage line is the one line that cannot wrap.
    let widest =
        narrow.lines().filter(|l| !l.starts_with("Usage:")).map(UnicodeWidthStr::width).max().unwrap();
    assert!(widest <= 70, "widest line {widest}:\n{narrow}");
}

/// `wait --help` shows `wait` examples, and the one for a v1 version runs as written.
#[test]
fn wait_help_examples_are_wait_commands_that_run() {
    let env = Env::start(
        EmulatorConfig::default().job(JobSeed::new(10).version(VersionSeed::new(20).status(status::KILLED))),
    );
    let help = expect(env.cmd().args(["training-job", "wait", "--help"]), 0).stdout;
    let examples: Vec<&str> = help
        .lines()
        .skip_while(|l| *l != "Examples:")
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert!(!examples.is_empty(), "{help}");
    for example in &examples {
        assert!(example.starts_with("modelarts training-job wait "), "{example}");
    }
    let v1 = examples.iter().find(|e| e.contains("--version")).unwrap();
    let args: Vec<&str> = v1.split_whitespace().skip(1).collect();
    let r = expect(env.cmd().args(&args), 0);
    assert!(r.all().contains("KILLED") || r.all().contains("stopped"), "{}", r.all());
}

/// `--query` (aws-cli's) is not answered with `--quiet`; the tip it gets instead works.
#[test]
fn an_unknown_query_flag_points_to_json_not_quiet() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)));
    let r = expect(env.cmd().args(["training-job", "list", "--query", "jobs[0]"]), 2);
    assert!(!r.stderr.contains("--quiet"), "{}", r.stderr);
    assert!(
        r.stderr.contains("-o jsonl") && r.stderr.contains("Usage: modelarts training-job list [OPTIONS]"),
        "{}",
        r.stderr
    );
    let r = expect(env.cmd().args(["training-job", "list", "-o", "jsonl"]), 0);
    assert!(!json_lines(&r.stdout).is_empty(), "{}", r.stdout);
}

/// Options an environment variable sets are not shown as required in a usage line; doing what the
/// error asks is enough.
#[test]
fn usage_lines_leave_out_options_set_by_environment_variables() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 20)));
    let run = |extra: &[&str]| {
        let mut cmd = Command::from_std(env.std_unpointed());
        cmd.env("MODELARTS_ENDPOINT_URL", env.emulator().endpoint()).env("MODELARTS_CA_BUNDLE", env.ca());
        cmd.args(["--max-attempts", "1", "training-job"]).args(extra).write_stdin("");
        run(&mut cmd)
    };
    let r = run(&["stop"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let usage = r.stderr.lines().find(|l| l.starts_with("Usage: ")).unwrap();
    assert_eq!(usage, "Usage: modelarts training-job stop [OPTIONS] <ID|--running|--from-file <FILE>>");
    assert_eq!(run(&["stop", "10", "--version", "20"]).code, 0);
}

/// On a terminal a log keeps its colours (SGR) and nothing else raw; with `NO_COLOR`, or off a
/// terminal, every control character is spelled out.
#[test]
fn logs_keep_colour_on_a_terminal_and_only_colour() {
    let env = Env::start(
        EmulatorConfig::default()
            .job(JobSeed::new(10).version(VersionSeed::new(20).status(status::FAILED).duration_ms(10_000))),
    );
    let Some((shown, code)) = on_terminal(&env, "training-job logs 10 --version 20 --lines 12", "") else {
        return;
    };
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("\u{1b}[33mWARN\u{1b}[0m"), "the colour reaches the terminal: {shown:?}");
    assert!(!shown.contains("\\e[33m"), "{shown:?}");
    // The same on a terminal with NO_COLOR: spelled out.
    let args = "training-job logs 10 --version 20 --lines 12";
    let Some((plain, _)) = on_terminal_with(&env, args, "", &[("NO_COLOR", "1")]) else {
        return;
    };
    assert!(plain.contains("\\e[33mWARN\\e[0m"), "{plain:?}");
    assert!(!plain.contains("\u{1b}[33m"), "{plain:?}");
}

/// On a terminal, a batch stop's progress counts the stops answered and accepted, then the jobs
/// found stopped: while the versions take a second to die, every stop already shows as accepted
/// (the bar used to sit at 0/N until each wait ended).
#[test]
fn batch_progress_counts_accepted_stops_then_stopped_jobs() {
    let env = Env::start(
        EmulatorConfig::default()
            .jobs((1..=3).map(|j| JobSeed::new(j).version(VersionSeed::new(10 + j))))
            .kill_after(Duration::from_millis(1500)),
    );
    let file = env.home.path().join("targets.txt");
    std::fs::write(&file, "1 11\n2 12\n3 13\n").unwrap();
    let c = env.emulator().credentials();
    let command = format!(
        "{BIN} --endpoint-url {} --ca-bundle {} --project-id {} training-job stop --from-file {} --wait --yes",
        env.emulator().endpoint(),
        env.ca().display(),
        env.emulator().project_id(),
        file.display()
    );
    let vars = [
        ("HUAWEICLOUD_SDK_AK", c.access_key.as_str()),
        ("HUAWEICLOUD_SDK_SK", c.secret_key.as_str()),
        ("TERM", "xterm"),
    ];
    let Some((screen, code)) = on_pty(&command, 160, &vars) else { return };
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        screen.contains("3/3") && screen.contains("3 accepted · 0 stopped"),
        "no frame with every stop accepted:\n{screen}"
    );
    assert!(screen.contains("3 job(s): 3 stopped"), "{screen}");
}
