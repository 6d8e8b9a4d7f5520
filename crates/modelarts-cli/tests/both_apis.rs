//! The commands that name no job (`list`, `stop --running`) without `--api`: no v2 job is ever
//! missed. Against emulators holding only v2 jobs (v1 retired: `APIG.0101`), only v1 jobs, both,
//! and v1 failing: what was stopped is proved by the emulator's journal and state.

// Test helpers may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use modelarts_emulator::{
    EmulatorConfig, FaultScript, FaultStep, JobSeed, RouteSelector, V2JobSeed, V2Phase, status,
};

mod common;

use common::{Env, expect, json, json_lines};

const A: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
const B: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ac";
const C: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ad";

fn v2_running(env: &Env, id: &str) -> bool {
    env.emulator().state().v2_phase(id) == Some(V2Phase::Running)
}

/// The three commands, on a cloud where v1 is retired and two v2 jobs run: `list` shows
/// them, and `stop --running --yes` stops both (before: "no training jobs found" and "nothing to
/// stop", exit 0, both jobs still running).
#[test]
fn on_a_v2_only_cloud_list_and_stop_running_see_every_v2_job() {
    let env = Env::v2_only([
        V2JobSeed::running(A).name("llama-finetune").create_time(1_700_000_000_000),
        V2JobSeed::running(B).name("bert").create_time(1_700_000_100_000),
    ]);
    let r = expect(env.cmd().args(["training-job", "list"]), 0);
    assert!(r.stdout.starts_with("API"), "{}", r.stdout);
    let rows: Vec<&str> = r.stdout.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{}", r.stdout);
    // Newest first.
    assert!(rows[0].contains(B) && rows[1].contains(A), "{}", r.stdout);
    assert!(!r.all().contains("no training jobs found"), "{}", r.all());
    assert!(r.stderr.contains("v2 workspace read: 0"), "{}", r.stderr);

    let r = expect(env.cmd().args(["-o", "json", "training-job", "list"]), 0);
    let doc = json(&r.stdout);
    assert_eq!(doc["schema_version"], 2);
    // v1 answered APIG.0101: it is not there, and that is no failure.
    assert_eq!(doc["apis_read"], serde_json::json!(["v2"]));
    assert_eq!(doc["complete"], true);
    let items = doc["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i["api"] == "v2"), "{doc}");

    let r = expect(env.cmd().args(["-o", "json", "--yes", "training-job", "stop", "--running"]), 0);
    let outcomes = json_lines(&r.stdout);
    assert_eq!(outcomes.len(), 2, "{}", r.stdout);
    assert!(outcomes.iter().all(|o| o["outcome"] == "stop_requested"), "{}", r.stdout);
    assert!(!v2_running(&env, A) && !v2_running(&env, B));
    assert_eq!(env.emulator().state().v2_effective_terminates(A), 1);
    assert_eq!(env.emulator().state().v2_effective_terminates(B), 1);
}

/// `stop --running --yes` stops every running job, whatever the cloud holds: only v2, only v1,
/// both, and both with v1 not there. The journal shows one stop per running job, no more.
#[test]
fn stop_running_without_api_stops_every_running_job_in_each_case() {
    let v1 = || [JobSeed::running(10, 20), JobSeed::running(11, 21)];
    let v2 =
        || [V2JobSeed::running(A), V2JobSeed::running(B), V2JobSeed::running(C).phase(V2Phase::Completed)];
    // (case, emulator, v1 stops, v2 terminates)
    let cases: Vec<(&str, Env, usize, usize)> = vec![
        ("only v2, v1 retired", Env::v2_only(v2()), 0, 2),
        ("only v1", Env::v1_only(v1()), 2, 0),
        ("both", Env::both(v1(), v2()), 2, 2),
        (
            "both, v1 not there",
            Env::start(EmulatorConfig::default().v1_absent(true).jobs(v1()).v2_jobs(v2())),
            0,
            2,
        ),
    ];
    for (case, env, v1_stops, v2_stops) in cases {
        let r = expect(env.cmd().args(["-o", "json", "--yes", "training-job", "stop", "--running"]), 0);
        let outcomes = json_lines(&r.stdout);
        assert_eq!(outcomes.len(), v1_stops + v2_stops, "{case}: {}", r.stdout);
        assert_eq!(env.requests("stop"), v1_stops, "{case}: {:?}", env.routes());
        assert_eq!(env.requests("v2_terminate"), v2_stops, "{case}: {:?}", env.routes());
        if v2_stops > 0 {
            assert!(!v2_running(&env, A) && !v2_running(&env, B), "{case}");
            assert_eq!(env.emulator().state().v2_phase(C), Some(V2Phase::Completed), "{case}");
        }
        if v1_stops > 0 {
            assert_eq!(env.status(10, 20), Some(status::KILLING), "{case}");
            assert_eq!(env.status(11, 21), Some(status::KILLING), "{case}");
        }
        // v2 is listed first.
        assert_eq!(env.routes().first(), Some(&"v2_list"), "{case}: {:?}", env.routes());
    }
}

/// A failure of one API's list does not hide the other's jobs: the v2 jobs are stopped, then the
/// run exits with the v1 failure's status and says what may have been missed. Never "nothing to
/// stop".
#[test]
fn a_failing_v1_list_still_stops_the_v2_jobs_then_fails() {
    let env = Env::start(
        EmulatorConfig::default()
            .jobs([JobSeed::running(10, 20)])
            .v2_jobs([V2JobSeed::running(A)])
            .fault(FaultScript::new(RouteSelector::List).repeat(FaultStep::status(503), 20)),
    );
    let r = expect(env.cmd().args(["--max-attempts", "1", "--yes", "training-job", "stop", "--running"]), 5);
    assert!(!v2_running(&env, A), "the v2 job was stopped");
    assert_eq!(env.status(10, 20), Some(status::RUNNING));
    assert!(r.stderr.contains("cannot list the running training jobs (v1)"), "{}", r.stderr);
    assert!(r.stderr.contains("may have been missed"), "{}", r.stderr);
    assert!(!r.all().contains("nothing to stop"), "{}", r.all());

    // With only the failing part to read, nothing is stopped and it is no "nothing to stop" either.
    let env = Env::start(
        EmulatorConfig::default()
            .jobs([JobSeed::running(10, 20)])
            .fault(FaultScript::new(RouteSelector::List).repeat(FaultStep::status(503), 20)),
    );
    let r = expect(env.cmd().args(["--max-attempts", "1", "--yes", "training-job", "stop", "--running"]), 5);
    assert!(!r.all().contains("nothing to stop"), "{}", r.all());
    assert_eq!(env.stops(), 0);
}

/// Refused credentials end the command at the first refusal: nothing more is sent (each refusal
/// counts towards the key's lock-out), exit 3.
#[test]
fn refused_credentials_end_the_command_before_the_other_api() {
    let env = Env::both([JobSeed::running(10, 20)], [V2JobSeed::running(A)]);
    for args in [&["training-job", "stop", "--running", "--yes"][..], &["training-job", "list"]] {
        let before = env.journal_len();
        let r = expect(env.cmd().env("HUAWEICLOUD_SDK_SK", "not-the-secret-key").args(args), 3);
        assert!(r.stderr.contains("401") || r.stderr.contains("credentials"), "{args:?}: {}", r.stderr);
        let routes: Vec<&str> = env.routes()[before..].to_vec();
        assert_eq!(routes, ["v2_list"], "{args:?}: one request, then nothing more");
    }
    assert!(v2_running(&env, A));
    assert_eq!(env.status(10, 20), Some(status::RUNNING));
}

/// The choice can be made once: `MODELARTS_API` or the profile's `api`; `--api` wins.
#[test]
fn the_api_can_be_chosen_by_environment_and_profile() {
    let env = Env::both([JobSeed::running(10, 20)], [V2JobSeed::running(A)]);
    let r = expect(env.cmd().env("MODELARTS_API", "v2").args(["-o", "json", "training-job", "list"]), 0);
    assert_eq!(json(&r.stdout)["items"][0]["metadata"]["id"], A, "{}", r.stdout);
    assert_eq!(env.requests("list"), 0, "{:?}", env.routes());

    let profile = env.file("credentials", "[basic]\napi = v1\n");
    let r = expect(
        env.cmd().env("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &profile).args([
            "-o",
            "json",
            "training-job",
            "list",
        ]),
        0,
    );
    assert_eq!(json(&r.stdout)["jobs"][0]["job_id"], 10, "{}", r.stdout);
    assert_eq!(env.requests("v2_list"), 1, "{:?}", env.routes());

    // The flag wins over both.
    let r = expect(
        env.cmd().env("MODELARTS_API", "v1").args(["-o", "json", "training-job", "list", "--api", "v2"]),
        0,
    );
    assert_eq!(json(&r.stdout)["items"][0]["metadata"]["id"], A, "{}", r.stdout);

    let r = expect(env.cmd().env("MODELARTS_API", "v3").args(["training-job", "list"]), 3);
    assert!(r.stderr.contains("expected v1 or v2"), "{}", r.stderr);
    // `--page` is a page of one API.
    let r = expect(env.cmd().args(["training-job", "list", "--page", "2"]), 2);
    assert!(r.stderr.contains("need --api"), "{}", r.stderr);
}

/// Jobs outside the default workspace: `--workspace-id` reads one, `--all-workspaces` every one
/// the credentials can list; without either, the output says which was read.
#[test]
fn workspaces_are_read_as_asked_and_named() {
    let ws = "1c5f1e1f6b4a4c61a0e6f6ad1d6e4c33";
    let env =
        Env::v2_only([V2JobSeed::running(A).name("home"), V2JobSeed::running(B).name("team").workspace(ws)]);
    let r = expect(env.cmd().args(["-o", "json", "training-job", "list"]), 0);
    let doc = json(&r.stdout);
    assert_eq!(doc["items"].as_array().unwrap().len(), 1, "{doc}");
    assert_eq!(doc["workspaces_read"], serde_json::json!(["0"]));

    let r = expect(env.cmd().args(["-o", "json", "--workspace-id", ws, "training-job", "list"]), 0);
    let doc = json(&r.stdout);
    assert_eq!(doc["items"][0]["metadata"]["id"], B, "{doc}");
    assert_eq!(doc["workspaces_read"], serde_json::json!([ws]));
    let r =
        expect(env.cmd().env("MODELARTS_WORKSPACE_ID", ws).args(["-o", "json", "training-job", "list"]), 0);
    assert_eq!(json(&r.stdout)["items"][0]["metadata"]["id"], B);

    let r = expect(env.cmd().args(["-o", "json", "training-job", "list", "--all-workspaces"]), 0);
    let doc = json(&r.stdout);
    assert_eq!(doc["items"].as_array().unwrap().len(), 2, "{doc}");
    assert_eq!(doc["workspaces_read"], serde_json::json!(["0", ws]));

    // Stop every running job of every workspace.
    let r = expect(env.cmd().args(["--yes", "training-job", "stop", "--running", "--all-workspaces"]), 0);
    assert!(r.stderr.contains(&format!("v2 workspaces read: 0, {ws}")), "{}", r.stderr);
    assert!(!v2_running(&env, A) && !v2_running(&env, B));
}
