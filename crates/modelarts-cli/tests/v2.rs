//! The binary against the emulator's v2 face (UUID jobs) over HTTPS: routing by the ID's shape,
//! stop / wait / show / list, `--running --api v2`, mixed `--from-file` batches, outcomes with
//! the same fields for both APIs, `--dry-run`, and escaped server text.

// Test helpers may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use modelarts_emulator::{EmulatorConfig, JobSeed, V2JobSeed, V2Phase, status};

mod common;

use common::{Env, expect, json, json_lines};

const A: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
const B: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ac";
const C: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ad";
const FAST_POLL: [&str; 4] = ["--poll-min", "10ms", "--poll-max", "50ms"];

fn phase(env: &Env, id: &str) -> Option<V2Phase> {
    env.emulator().state().v2_phase(id)
}

#[test]
fn stop_by_uuid_terminates_the_v2_job() {
    let env = Env::start(EmulatorConfig::default().v2_job(V2JobSeed::running(A).name("bert")).never_kill());
    let r = expect(env.cmd().args(["training-job", "stop", A]), 0);
    let header = r.stdout.lines().next().unwrap();
    assert!(header.starts_with("JOB_ID") && header.contains("OUTCOME"), "{}", r.stdout);
    assert!(r.stdout.contains(A) && r.stdout.contains("stop_requested"), "{}", r.stdout);
    assert!(r.stderr.contains(&format!("modelarts training-job wait {A}")), "{}", r.stderr);
    assert_eq!(phase(&env, A), Some(V2Phase::Terminating));
    assert_eq!(env.emulator().state().v2_effective_terminates(A), 1);
    // The upper-case form is the same job; it is already Terminating now.
    let r = expect(env.cmd().args(["-o", "json", "training-job", "stop", &A.to_uppercase()]), 0);
    let doc = json(&r.stdout);
    assert_eq!(doc["api"], "v2");
    assert_eq!(doc["job_id"], A);
    assert_eq!(doc["version_id"], serde_json::Value::Null);
    assert_eq!(doc["outcome"], "already_stopping");
    assert_eq!(doc["stop"], "already_stopping");
    assert_eq!(doc["status"], "Terminating");
    assert_eq!(doc["status_name"], "Terminating");
    assert_eq!(env.emulator().state().v2_effective_terminates(A), 1);
}

#[test]
fn stop_wait_ends_terminated_and_outcomes_have_the_same_fields_for_both_apis() {
    let env = Env::start(
        EmulatorConfig::default()
            .v2_job(V2JobSeed::running(A))
            .job(JobSeed::running(10, 20))
            .kill_after_polls(2),
    );
    let v2 = expect(env.cmd().args(["-o", "json", "training-job", "stop", A, "--wait"]).args(FAST_POLL), 0);
    let v2 = json(&v2.stdout);
    assert_eq!((v2["outcome"].as_str(), v2["status"].as_str()), (Some("stopped"), Some("Terminated")));
    assert_eq!(v2["exit_code"], 0);
    assert_eq!(phase(&env, A), Some(V2Phase::Terminated));
    let v1 = expect(
        env.cmd()
            .args(["-o", "json", "training-job", "stop", "10", "--version", "20", "--wait"])
            .args(FAST_POLL),
        0,
    );
    let v1 = json(&v1.stdout);
    assert_eq!(v1["api"], "v1");
    assert_eq!(v1["status"], 12);
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&v1), keys(&v2));
    assert_eq!(env.status(10, 20), Some(status::KILLED));
}

#[test]
fn already_final_ended_otherwise_and_strict() {
    let env = Env::start(
        EmulatorConfig::default()
            .v2_job(V2JobSeed::running(A).phase(V2Phase::Terminated))
            .v2_job(V2JobSeed::running(B).phase(V2Phase::Failed)),
    );
    let r = expect(env.cmd().args(["-o", "json", "training-job", "stop", A]), 0);
    assert_eq!(json(&r.stdout)["stop"], "already_final");
    // 409 ModelArts.2796 as the service said it: exit 4.
    let r = expect(env.cmd().args(["training-job", "stop", A, "--strict"]), 4);
    assert!(r.stderr.contains(&format!("cannot stop job {A}")), "{}", r.stderr);
    assert!(r.stderr.contains("ModelArts.2796"), "{}", r.stderr);
    let r = expect(env.cmd().args(["-o", "json", "training-job", "stop", B]), 7);
    let doc = json(&r.stdout);
    assert_eq!((doc["outcome"].as_str(), doc["status"].as_str()), (Some("ended_otherwise"), Some("Failed")));
    // Unknown job: not found, exit 4.
    let r = expect(env.cmd().args(["training-job", "stop", C]), 4);
    assert!(r.stderr.contains("ModelArts.2775"), "{}", r.stderr);
}

#[test]
fn wait_on_a_running_job_says_nobody_stops_it_then_times_out() {
    let env = Env::start(EmulatorConfig::default().v2_job(V2JobSeed::running(A)).never_kill());
    let r = expect(env.cmd().args(["training-job", "wait", A, "--max-wait", "100ms"]).args(FAST_POLL), 6);
    assert!(r.stderr.contains(&format!("job {A} is Running, not Terminating")), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("modelarts training-job stop {A} --wait")), "{}", r.stderr);
    // Nobody stops it: no stop was sent, and the wait's time is up (exit 6).
    assert!(r.stdout.contains("not_sent") && r.stdout.contains("Running"), "{}", r.stdout);
    assert_eq!(env.stops(), 0, "a wait sends no terminate");
}

#[test]
fn show_and_list_v2_jobs_as_tables_and_json() {
    let env = Env::start(
        EmulatorConfig::default()
            .v2_job(V2JobSeed::running(A).name("bert-a").create_time(1_700_000_000_000).duration_ms(90_000))
            .v2_job(V2JobSeed::running(B).name("bert-b").phase(V2Phase::Terminated))
            .v2_job(V2JobSeed::running(C).name("resnet").phase(V2Phase::Pending))
            .job(JobSeed::running(10, 20).name("v1-job")),
    );
    let r = expect(env.cmd().args(["training-job", "show", A]), 0);
    for fragment in [
        "phase",
        "Running",
        "bert-a",
        "flavor",
        "modelarts.vm.cpu.8u",
        "nodes",
        "2023-11-14T22:13:20Z",
        "1m30s",
    ] {
        assert!(r.stdout.contains(fragment), "{fragment}:\n{}", r.stdout);
    }
    let doc = json(&expect(env.cmd().args(["-o", "json", "training-job", "show", A]), 0).stdout);
    assert_eq!(doc["api"], "v2");
    assert_eq!(doc["metadata"]["id"], A);
    assert_eq!(doc["metadata"]["create_time_iso"], "2023-11-14T22:13:20.000Z");
    assert_eq!(doc["status"]["phase"], "Running");

    let r = expect(env.cmd().args(["training-job", "list", "--api", "v2"]), 0);
    let header = r.stdout.lines().next().unwrap();
    for column in ["ID", "NAME", "PHASE", "SECONDARY_PHASE", "DURATION", "AGE", "FLAVOR", "NODES"] {
        assert!(header.contains(column), "{header}");
    }
    assert_eq!(r.stdout.lines().count(), 4, "{}", r.stdout);
    assert!(!r.stdout.contains("v1-job"));
    // --status maps v1 names to phases; --search is on the name.
    let doc = json(
        &expect(
            env.cmd().args(["-o", "json", "training-job", "list", "--api", "v2", "--status", "killed"]),
            0,
        )
        .stdout,
    );
    let names: Vec<&str> =
        doc["items"].as_array().unwrap().iter().map(|j| j["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["bert-b"]);
    let lines = json_lines(
        &expect(
            env.cmd().args([
                "-o",
                "jsonl",
                "training-job",
                "list",
                "--api",
                "v2",
                "--all",
                "--search",
                "bert",
                "--per-page",
                "1",
            ]),
            0,
        )
        .stdout,
    );
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|j| j["api"] == "v2"));
    let doc = json(
        &expect(env.cmd().args(["-o", "json", "training-job", "list", "--api", "v2", "--all"]), 0).stdout,
    );
    assert_eq!((doc["total"].as_u64(), doc["complete"].as_bool()), (Some(3), Some(true)));
}

#[test]
fn stop_running_api_v2_stops_only_the_matching_stoppable_jobs() {
    let env = Env::start(
        EmulatorConfig::default()
            .v2_job(V2JobSeed::running(A).name("bert-a"))
            .v2_job(V2JobSeed::running(B).name("bert-b").phase(V2Phase::Completed))
            .v2_job(V2JobSeed::running(C).name("resnet"))
            .job(JobSeed::running(10, 20).name("bert-v1"))
            .never_kill(),
    );
    let r = expect(
        env.cmd().args([
            "--dry-run",
            "-o",
            "json",
            "training-job",
            "stop",
            "--running",
            "--api",
            "v2",
            "--search",
            "bert",
        ]),
        0,
    );
    let doc = json(&r.stdout);
    assert_eq!(doc["would_stop"], serde_json::json!([{"api": "v2", "job_id": A, "version_id": null}]));
    let terminates =
        || env.emulator().state().journal().iter().filter(|e| e.path.ends_with("/actions")).count();
    assert_eq!(terminates(), 0);
    let r = expect(
        env.cmd().args([
            "-o",
            "json",
            "--yes",
            "training-job",
            "stop",
            "--running",
            "--api",
            "v2",
            "--search",
            "bert",
        ]),
        0,
    );
    let outcomes = json_lines(&r.stdout);
    assert_eq!(outcomes.len(), 1, "{}", r.stdout);
    assert_eq!(
        (outcomes[0]["job_id"].as_str(), outcomes[0]["outcome"].as_str()),
        (Some(A), Some("stop_requested"))
    );
    assert_eq!(phase(&env, A), Some(V2Phase::Terminating));
    assert_eq!(phase(&env, C), Some(V2Phase::Running));
    assert_eq!(terminates(), 1);
    assert_eq!(env.status(10, 20), Some(status::RUNNING), "v1 jobs are not touched by --api v2");
}

#[test]
fn a_mixed_stop_list_reports_every_line_with_its_api() {
    let env = Env::start(
        EmulatorConfig::default()
            .v2_job(V2JobSeed::running(A))
            .v2_job(V2JobSeed::running(B).phase(V2Phase::Abnormal))
            .job(JobSeed::running(10, 20))
            .kill_after_polls(1),
    );
    let list = env.file("stops.txt", &format!("# v1 and v2\n{A}\n10 20\n{B}\n{C}\n"));
    let r = expect(
        env.cmd()
            .args(["-o", "json", "--yes", "training-job", "stop", "--wait", "--from-file"])
            .arg(&list)
            .args(FAST_POLL),
        // The worst outcome decides: the refusal (not found, 4) comes before another final state (7).
        4,
    );
    let mut outcomes = json_lines(&r.stdout);
    outcomes.sort_by_key(|o| o["line"].as_u64());
    let got: Vec<(u64, &str, &str, String)> = outcomes
        .iter()
        .map(|o| {
            (
                o["line"].as_u64().unwrap(),
                o["api"].as_str().unwrap(),
                o["outcome"].as_str().unwrap(),
                o["status_name"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (2, "v2", "stopped", "\"Terminated\"".to_owned()),
            (3, "v1", "stopped", "\"KILLED\"".to_owned()),
            (4, "v2", "ended_otherwise", "\"Abnormal\"".to_owned()),
            (5, "v2", "not_found", "null".to_owned()),
        ]
    );
    // A malformed line stops everything before any request.
    let bad = env.file("bad.txt", &format!("{A}\n{B} 3\n"));
    let before = env.journal_len();
    let r = expect(env.cmd().args(["--yes", "training-job", "stop", "--from-file"]).arg(&bad), 2);
    assert!(r.stderr.contains("line 2: ") && r.stderr.contains("drop --version"), "{}", r.stderr);
    assert_eq!(env.journal_len(), before);
}

#[test]
fn dry_run_prints_the_signed_terminate_and_sends_nothing() {
    let env = Env::start(EmulatorConfig::default().v2_job(V2JobSeed::running(A)));
    let r = expect(env.cmd().args(["--dry-run", "-o", "json", "training-job", "stop", A]), 0);
    let doc = json(&r.stdout);
    assert_eq!(doc["method"], "POST");
    assert!(doc["url"].as_str().unwrap().ends_with(&format!("/training-jobs/{A}/actions")), "{doc}");
    assert_eq!(doc["body"], r#"{"action_type": "terminate"}"#);
    assert!(!r.stdout.contains(&env.secret_key()));
    let r = expect(env.cmd().args(["--dry-run", "training-job", "wait", A]), 0);
    assert!(r.stdout.contains("GET /v2/") && r.stdout.contains(A), "{}", r.stdout);
    assert_eq!(env.journal_len(), 0);
    assert_eq!(phase(&env, A), Some(V2Phase::Running));
}

#[test]
fn dry_run_of_list_all_prints_the_first_search_and_notes_the_walk() {
    let env = Env::start(EmulatorConfig::default().v2_job(V2JobSeed::running(A).name("bert")));
    let args = ["-o", "json", "training-job", "list", "--api", "v2", "--all", "--search", "bert"];
    let r = expect(env.cmd().arg("--dry-run").args(args), 0);
    let doc = json(&r.stdout);
    assert_eq!((doc["dry_run"].as_bool(), doc["method"].as_str()), (Some(true), Some("POST")));
    assert!(doc["body"].as_str().unwrap().contains("bert"), "{doc}");
    assert!(!r.stderr.contains("reads more pages"), "JSON keeps stderr for errors: {}", r.stderr);
    let r = expect(env.cmd().args(["--dry-run"]).args(&args[2..]), 0);
    assert!(r.stdout.contains("POST /v2/") && r.stdout.contains("/training-job-searches"), "{}", r.stdout);
    assert!(r.stderr.contains("--all reads more pages after this one"), "{}", r.stderr);
    assert_eq!(env.journal_len(), 0);
    // The request is the first one the command then sends.
    expect(env.cmd().args(args), 0);
    let first = env.emulator().state().journal().into_iter().next().unwrap();
    assert_eq!(first.method, "POST");
    assert!(doc["url"].as_str().unwrap().ends_with(&first.path), "{doc} vs {}", first.path);
    assert!(first.path.ends_with("/training-job-searches"), "{}", first.path);
}

#[test]
fn hostile_v2_names_are_escaped_in_tables_and_exact_in_json() {
    let hostile = "evil\u{1b}[2J\u{7}name\u{202e}";
    let env = Env::start(EmulatorConfig::default().v2_job(V2JobSeed::running(A).name(hostile)));
    for args in [&["training-job", "list", "--api", "v2"][..], &["training-job", "show", A]] {
        let r = expect(env.cmd().args(args), 0);
        assert!(
            !r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{7}') && !r.stdout.contains('\u{202e}'),
            "{args:?}: {:?}",
            r.stdout
        );
        assert!(r.stdout.contains("evil\\e[2J"), "{args:?}: {}", r.stdout);
    }
    let doc = json(&expect(env.cmd().args(["-o", "json", "training-job", "show", A]), 0).stdout);
    assert_eq!(doc["metadata"]["name"], hostile);
}

// --- v2 jobs by name ----------------------------------------------------------------------------

const D: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ae";

/// The terminates the emulator received, by job.
fn terminates(env: &Env) -> Vec<String> {
    let journal = env.emulator().state().journal();
    journal
        .iter()
        .filter(|e| e.route.as_str() == "v2_terminate")
        .filter_map(|e| e.training_job_id.clone())
        .collect()
}

#[test]
fn stop_by_name_stops_the_one_active_job_of_that_exact_name() {
    let env = Env::v2_only([
        V2JobSeed::running(A).name("bert"),
        V2JobSeed::running(B).name("bert").phase(V2Phase::Completed),
        V2JobSeed::running(C).name("bert-large"),
        V2JobSeed::running(D).name("BERT"),
    ]);
    let r = expect(env.cmd().args(["-o", "json", "training-job", "stop", "bert"]), 0);
    let doc = json(&r.stdout);
    assert_eq!((doc["job_id"].as_str(), doc["outcome"].as_str()), (Some(A), Some("stop_requested")));
    assert_eq!(terminates(&env), [A], "only the running job named exactly `bert`");
    // The hint to see it end names the job by its ID.
    assert_eq!(doc["hint"], format!("modelarts training-job wait {A}"));
    // `wait` by name: the job is Terminating, not final: it is the one.
    let r = expect(env.cmd().args(["training-job", "wait", "bert"]).args(FAST_POLL), 0);
    assert!(r.stdout.contains(A) && r.stdout.contains("stopped"), "{}", r.stdout);
    assert!(r.stderr.contains(&format!("note: \"bert\" is job {A} (Terminating)")), "{}", r.stderr);
    // Now every `bert` has ended: a stop finds no active job of that name, and lists the ended ones.
    let r = expect(env.cmd().args(["training-job", "stop", "bert"]), 4);
    assert!(r.stderr.contains("no v2 training job named \"bert\" is still active"), "{}", r.stderr);
    assert!(r.stderr.contains(A) && r.stderr.contains(B) && r.stderr.contains("Completed"), "{}", r.stderr);
    assert_eq!(terminates(&env), [A], "nothing more was sent");
}

#[test]
fn a_name_held_by_several_jobs_is_refused_with_the_list() {
    let env = Env::v2_only([
        V2JobSeed::running(A).name("bert").create_time(1_700_000_000_000),
        V2JobSeed::running(B).name("bert").phase(V2Phase::Pending).create_time(1_700_000_100_000),
        V2JobSeed::running(C).name("resnet"),
        V2JobSeed::running(D).name("resnet").phase(V2Phase::Terminated),
    ]);
    // Two active jobs named `bert`: a stop refuses and names both; nothing is sent.
    let r = expect(env.cmd().args(["training-job", "stop", "bert"]), 2);
    assert!(r.stderr.contains("2 active v2 training jobs are named \"bert\""), "{}", r.stderr);
    let header = r.stderr.lines().find(|l| l.contains("API")).unwrap_or_else(|| panic!("{}", r.stderr));
    for column in ["API", "ID", "NAME", "PHASE", "CREATED"] {
        assert!(header.contains(column), "{header}");
    }
    let b_row = r.stderr.find(B).unwrap();
    assert!(b_row < r.stderr.find(A).unwrap(), "newest first: {}", r.stderr);
    assert!(r.stderr.contains("Pending") && r.stderr.contains("2023-11-14T22:13:20Z"), "{}", r.stderr);
    assert!(terminates(&env).is_empty());
    // A stop considers only active jobs: `resnet` is C.
    let r = expect(env.cmd().args(["-o", "json", "training-job", "stop", "resnet"]), 0);
    assert_eq!(json(&r.stdout)["job_id"], C);
    // A read considers every job: two jobs are named `resnet`.
    let r = expect(env.cmd().args(["-o", "json", "training-job", "show", "resnet"]), 2);
    let error = &json(&r.stderr)["error"];
    let ids: Vec<&str> =
        error["jobs"].as_array().unwrap().iter().map(|j| j["job_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2, "{error}");
    assert!(ids.contains(&C) && ids.contains(&D), "{error}");
    assert_eq!(error["jobs"][0]["api"], "v2");
    for command in ["logs", "events"] {
        let r = expect(env.cmd().args(["training-job", command, "resnet"]), 2);
        assert!(r.stderr.contains("2 v2 training jobs are named \"resnet\""), "{command}: {}", r.stderr);
        assert!(r.stderr.contains(C) && r.stderr.contains(D), "{command}: {}", r.stderr);
    }
}

#[test]
fn a_name_matches_exactly_or_is_not_found() {
    let env = Env::v2_only([
        V2JobSeed::running(A).name("bert-large").phase(V2Phase::Failed),
        V2JobSeed::running(B).name("2024"),
    ]);
    for (args, name) in [
        (&["stop", "bert"][..], "bert"),
        (&["show", "BERT-LARGE"], "BERT-LARGE"),
        (&["wait", "large"], "large"),
    ] {
        let r = expect(env.cmd().arg("training-job").args(args), 4);
        assert!(
            r.stderr.contains(&format!("no v2 training job is named {name:?}")),
            "{args:?}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains(&format!("modelarts training-job list --api v2 --search {name}")),
            "{args:?}: {}",
            r.stderr
        );
    }
    let r = expect(env.cmd().args(["training-job", "show", "my job"]), 4);
    assert!(r.stderr.contains("--search 'my job'"), "{}", r.stderr);
    // The exact name reads the job whatever its phase.
    let r = expect(env.cmd().args(["-o", "json", "training-job", "show", "bert-large"]), 0);
    assert_eq!(json(&r.stdout)["metadata"]["id"], A);
    let r = expect(env.cmd().args(["training-job", "events", "bert-large"]), 0);
    assert!(r.stdout.contains("Failed"), "{}", r.stdout);
    // A name of digits needs --name; so does a name shaped like a UUID.
    let r = expect(env.cmd().args(["training-job", "stop", "2024"]), 2);
    assert!(r.stderr.contains("--name"), "{}", r.stderr);
    let r = expect(env.cmd().args(["training-job", "stop", "2024", "--api", "v2"]), 2);
    assert!(r.stderr.contains("pass --name"), "{}", r.stderr);
    // --dry-run reads (the search) and shows the terminate of the job the name picked.
    let r = expect(env.cmd().args(["--dry-run", "training-job", "stop", "--name", "2024"]), 0);
    assert!(r.stdout.contains(&format!("/training-jobs/{B}/actions")), "{}", r.stdout);
    assert!(terminates(&env).is_empty());
    let r = expect(env.cmd().args(["-o", "json", "training-job", "stop", "--name", "2024"]), 0);
    assert_eq!(json(&r.stdout)["job_id"], B);
    let r = expect(env.cmd().args(["training-job", "show", "--name", A]), 4);
    assert!(r.stderr.contains(&format!("no v2 training job is named {A:?}")), "{}", r.stderr);
    // Names are v2: no version, no --api v1.
    let r = expect(env.cmd().args(["training-job", "stop", "--name", "2024", "--api", "v1"]), 2);
    assert!(r.stderr.contains("v2 jobs only"), "{}", r.stderr);
    assert_eq!(terminates(&env), [B]);
}
