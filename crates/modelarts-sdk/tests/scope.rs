//! What a command covering both APIs meets, against the emulator over real sockets: a cloud without
//! the v1 training-job API (404 `APIG.0101`, told apart from a missing job and never retried), and
//! v2 jobs outside the default workspace (found only with their `workspace_id`; the workspace list
//! names every workspace).
#![allow(clippy::unwrap_used, reason = "a failure is a test failure")]

use futures_util::StreamExt;
use modelarts_emulator::{Emulator, EmulatorConfig, JobSeed, RunningEmulator, V2JobSeed, V2Phase};
use modelarts_sdk::*;

const A: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
const B: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ac";
const C: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ad";

/// An emulator over HTTPS with signatures enforced.
async fn start(config: EmulatorConfig) -> RunningEmulator {
    Emulator::start(config.tls(true)).await.unwrap()
}

/// An emulator with v2 jobs only and no v1 API at all, as Huawei Cloud today.
async fn start_without_v1(config: EmulatorConfig) -> RunningEmulator {
    start(config.v1_absent(true)).await
}

fn client(emulator: &RunningEmulator) -> Client {
    let c = emulator.credentials();
    Client::builder()
        .endpoint_url(&emulator.endpoint())
        .project_id(emulator.project_id())
        .credentials(Credentials::new(&c.access_key, &c.secret_key))
        .ca_bundle(emulator.ca_cert_path().unwrap())
        .env(|_| None)
        .build()
        .unwrap()
}

fn ids(list: &[TrainingJobId]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

/// The routes of the requests the emulator received, in order.
fn routes(emulator: &RunningEmulator) -> Vec<&'static str> {
    emulator.state().journal().iter().map(|e| e.route.as_str()).collect()
}

fn assert_api_absent(error: &Error, what: &str) {
    assert!(error.is_api_absent(), "{what}: {error:?}");
    assert!(!error.is_not_found(), "{what}: {error:?}");
    assert!(!error.is_transient(), "{what}: {error:?}");
    assert_eq!(error.category(), ErrorCategory::ServiceRefused, "{what}");
    assert_eq!(error.attempts(), 1, "{what}: not retried");
    assert_eq!(error.http_status(), Some(404), "{what}");
    assert_eq!(error.api_error().unwrap().code(), Some("APIG.0101"), "{what}");
    assert!(error.request_id().is_some_and(|id| id.len() == 32), "{what}: {error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v1_list_without_the_v1_api_is_api_absent_after_exactly_one_request() {
    let emulator = start_without_v1(EmulatorConfig::default().v2_job(V2JobSeed::running(A))).await;
    let client = client(&emulator);

    let error = client.list_training_jobs(ListQuery::default()).await.unwrap_err();
    assert_api_absent(&error, "list");
    assert_eq!(routes(&emulator), ["unknown"]);
    let journal = emulator.state().take_journal();
    assert!(journal[0].path.ends_with("/training-jobs"), "{:?}", journal[0].path);

    // Every page of the list: one request, then the error.
    let all: Vec<_> = client.list_training_jobs_all(ListQuery::default()).collect().await;
    assert_eq!(all.len(), 1);
    assert_api_absent(all[0].as_ref().unwrap_err(), "list all");
    assert_eq!(emulator.state().take_journal().len(), 1);

    // The running versions of `stop --running`: the same single request.
    assert_api_absent(&client.running_versions(None).await.unwrap_err(), "running versions");
    assert_eq!(emulator.state().take_journal().len(), 1);

    // A stop is not a "not found" of the version and reads no status: one request.
    let stop = client.stop_training_job("10".parse().unwrap(), "20".parse().unwrap()).await.unwrap_err();
    assert_api_absent(&stop, "stop");
    assert_eq!(routes(&emulator), ["unknown"]);
    emulator.state().clear_journal();

    // v2 on the same server answers as usual.
    assert_eq!(ids(&client.running_training_jobs_v2(None).await.unwrap()), [A]);
    assert_eq!(routes(&emulator), ["v2_list"]);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_v1_job_is_not_found_and_not_an_absent_api() {
    let emulator = start(EmulatorConfig::default().job(JobSeed::running(10, 20))).await;
    let client = client(&emulator);
    let error =
        client.show_training_job_version("11".parse().unwrap(), "1".parse().unwrap()).await.unwrap_err();
    assert!(error.is_not_found() && !error.is_api_absent(), "{error:?}");
    let jobs = client.list_training_jobs(ListQuery::default()).await.unwrap();
    assert_eq!(jobs.jobs.len(), 1);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_in_another_workspace_is_found_only_with_its_workspace_id() {
    let emulator = start_without_v1(
        EmulatorConfig::default()
            .v2_job(V2JobSeed::running(A).name("train-default"))
            .v2_job(V2JobSeed::running(B).name("train-ws-1").workspace("ws-1"))
            .v2_job(V2JobSeed::running(C).name("done-ws-1").workspace("ws-1").phase(V2Phase::Completed)),
    )
    .await;
    let client = client(&emulator);

    let default: Vec<TrainingJob> =
        client.list_training_jobs_v2_all(V2ListQuery::default()).map(Result::unwrap).collect().await;
    assert_eq!(default.iter().map(|j| j.name().unwrap()).collect::<Vec<_>>(), ["train-default"]);
    let page = client.list_training_jobs_v2(&V2ListQuery::default()).await.unwrap();
    assert_eq!(page.total, Some(1));

    let in_ws_1: Vec<TrainingJob> = client
        .list_training_jobs_v2_all(V2ListQuery::default().with_workspace_id("ws-1"))
        .map(Result::unwrap)
        .collect()
        .await;
    let mut names: Vec<&str> = in_ws_1.iter().map(|j| j.name().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["done-ws-1", "train-ws-1"]);
    assert!(in_ws_1.iter().all(|j| j.metadata.as_ref().unwrap().workspace_id.as_deref() == Some("ws-1")));

    assert_eq!(ids(&client.running_training_jobs_v2(None).await.unwrap()), [A]);
    assert_eq!(ids(&client.running_training_jobs_v2_in_workspace(None, Some("ws-1")).await.unwrap()), [B]);
    assert_eq!(ids(&client.running_training_jobs_v2_in_workspace(None, Some("0")).await.unwrap()), [A]);
    assert!(client.running_training_jobs_v2_in_workspace(None, Some("nowhere")).await.unwrap().is_empty());

    // The workspace list is not the v1 training-job API: it answers without it.
    emulator.state().clear_journal();
    let workspaces = client.list_workspaces().await.unwrap();
    let listed: Vec<(&str, &str)> =
        workspaces.iter().map(|w| (w.id.as_deref().unwrap(), w.name.as_deref().unwrap())).collect();
    assert_eq!(listed, [("ws-1", "ws-1"), ("0", "default")]);
    assert!(workspaces[1].is_default());
    assert_eq!(routes(&emulator), ["workspaces"]);

    // A terminate finds a job whatever its workspace.
    let id: TrainingJobId = B.parse().unwrap();
    assert_eq!(client.terminate_training_job(&id).await.unwrap(), StopOutcome::Accepted);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_workspaces_walks_every_page() {
    // 120 workspaces of jobs and the default one: pages of 50, 50 and a short 21.
    let seeds = (0..120).map(|i| {
        V2JobSeed::running(format!("00000000-0000-4000-8000-{i:012}")).workspace(format!("ws-{i:03}"))
    });
    let mut config = EmulatorConfig::default();
    for seed in seeds {
        config = config.v2_job(seed);
    }
    let emulator = start(config).await;
    let client = client(&emulator);
    let workspaces = client.list_workspaces().await.unwrap();
    assert_eq!(workspaces.len(), 121);
    let mut seen: Vec<&str> = workspaces.iter().map(|w| w.id.as_deref().unwrap()).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 121);
    let journal = emulator.state().journal();
    let queries: Vec<&str> = journal.iter().map(|e| e.query.as_deref().unwrap_or("")).collect();
    assert_eq!(queries, ["limit=50&offset=0", "limit=50&offset=1", "limit=50&offset=2"]);
    emulator.shutdown().await;
}
