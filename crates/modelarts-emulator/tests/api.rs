//! The four v1 operations over real sockets (HTTP and HTTPS): response shapes, state transitions,
//! list filters, errors, headers, determinism.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, SystemTime};

use common::{Proto, assert_common_headers, assert_gateway_error, assert_modelarts_error, start};
use http::Method;
use modelarts_emulator::{
    AlreadyStoppedPolicy, AuthMode, EmulatorConfig, ErrorField, JobSeed, VersionSeed, status,
};
use serde_json::Value;

fn open_config() -> EmulatorConfig {
    EmulatorConfig::default().auth(AuthMode::Off)
}

#[tokio::test]
async fn stop_then_show_reaches_killed_over_http_and_https() {
    for tls in [false, true] {
        // The emulator's clock decides the kill, never the wall clock: a loaded machine cannot flake it.
        let cfg = open_config().tls(tls).job(JobSeed::running(10, 20)).kill_after(Duration::from_secs(60));
        let (emu, client) = start(cfg, Proto::Auto).await;
        assert_eq!(emu.endpoint().starts_with("https://"), tls);
        assert_eq!(emu.ca_cert_path().is_some(), tls);

        let stop = client.post(&client.stop_path(10, 20)).await;
        assert_eq!(stop.status, 200);
        assert_eq!(stop.header("content-type"), Some("application/json"));
        assert_common_headers(&stop);
        assert_eq!(stop.json(), serde_json::json!({"is_success": true}));

        let killing = client.get(&client.show_path(10, 20)).await.json();
        assert_eq!(killing["status"], status::KILLING);
        emu.state().advance_clock(Duration::from_secs(61));
        let killed = client.get(&client.show_path(10, 20)).await.json();
        assert_eq!(killed["status"], status::KILLED);
        emu.state().advance_clock(Duration::from_secs(30));
        let later = client.get(&client.show_path(10, 20)).await.json();
        assert_eq!(later["duration"], killed["duration"], "duration stops growing once KILLED");
        assert_eq!(emu.state().effective_stops(10, 20), 1);
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn https_negotiates_h2_and_http1_only_clients_work() {
    let cfg = open_config().tls(true).job(JobSeed::running(1, 2));
    let (emu, h2) = start(cfg, Proto::Auto).await;
    let h1 = common::TestClient::new(&emu, Proto::H1);
    assert_eq!(h2.get(&h2.show_path(1, 2)).await.version, http::Version::HTTP_2);
    assert_eq!(h1.get(&h1.show_path(1, 2)).await.version, http::Version::HTTP_11);
    let versions: Vec<String> = emu.state().journal().iter().map(|e| e.http_version.clone()).collect();
    assert_eq!(versions, ["HTTP/2.0", "HTTP/1.1"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn show_has_the_documented_fields_and_types() {
    let cfg = open_config().job(
        JobSeed::new(10)
            .name("resnet")
            .desc("a job")
            .version(VersionSeed::new(20).status(status::COMPLETED).duration_ms(5000))
            .version(VersionSeed::new(21)),
    );
    let (emu, client) = start(cfg, Proto::Auto).await;
    let reply = client.get(&client.show_path(10, 21)).await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    let numbers = [
        "job_id",
        "version_id",
        "pre_version_id",
        "engine_type",
        "engine_id",
        "status",
        "create_time",
        "duration",
        "spec_id",
        "gpu_num",
        "worker_server_num",
        "model_id",
        "start_time",
    ];
    for key in numbers {
        assert!(body[key].is_u64(), "{key} should be a number: {body}");
    }
    let strings = [
        "job_name",
        "job_desc",
        "version_name",
        "engine_name",
        "engine_version",
        "app_url",
        "boot_file_url",
        "spec_code",
        "core",
        "cpu",
        "gpu_type",
        "data_url",
        "train_url",
        "log_url",
        "dataset_version_id",
        "dataset_id",
        "model_metric_list",
        "user_image_url",
        "user_command",
        "resource_id",
        "dataset_name",
        "dataset_version_name",
        "pool_id",
        "pool_name",
        "nas_mount_path",
        "nas_share_addr",
        "nas_type",
    ];
    for key in strings {
        assert!(body[key].is_string(), "{key} should be a string: {body}");
    }
    for key in ["parameter", "data_source", "volumes"] {
        assert!(body[key].is_array(), "{key} should be an array");
    }
    assert_eq!(body["is_success"], true);
    assert_eq!((body["job_id"].as_u64(), body["version_id"].as_u64()), (Some(10), Some(21)));
    assert_eq!(body["job_name"], "resnet");
    assert_eq!(body["job_desc"], "a job");
    assert_eq!(body["version_name"], "V0002");
    assert_eq!(body["pre_version_id"], 20);
    assert_eq!(body["status"], status::RUNNING);
    assert!(body["system_metric_list"].is_object());
    let metrics: Value = serde_json::from_str(body["model_metric_list"].as_str().unwrap()).unwrap();
    assert!(metrics["metric"].is_array() && metrics["total_metric"]["total_metric_values"].is_object());
    let start_time = body["start_time"].as_u64().unwrap();
    let create_time = body["create_time"].as_u64().unwrap();
    assert!(start_time >= create_time);
    let now_ms =
        u64::try_from(SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis()).unwrap();
    let duration = body["duration"].as_u64().unwrap();
    assert!(start_time + duration <= now_ms + 1000 && start_time + duration + 5000 >= now_ms);

    let completed = client.get(&client.show_path(10, 20)).await.json();
    assert_eq!((completed["status"].as_i64(), completed["duration"].as_u64()), (Some(10), Some(5000)));
    emu.shutdown().await;
}

#[tokio::test]
async fn seed_detail_overrides_reach_show_and_versions() {
    let mut extra = serde_json::Map::new();
    extra.insert("core".into(), Value::from(2));
    extra.insert("flavor_code".into(), Value::from("modelarts.p3.large"));
    let cfg = open_config().job(JobSeed::new(1).version(VersionSeed::new(2).detail(extra)));
    let (emu, client) = start(cfg, Proto::Auto).await;
    let show = client.get(&client.show_path(1, 2)).await.json();
    assert_eq!(
        (show["core"].clone(), show["flavor_code"].clone()),
        (Value::from(2), Value::from("modelarts.p3.large"))
    );
    let versions = client.get(&client.jobs_path("/1/versions")).await.json();
    assert_eq!(versions["versions"][0]["core"], 2);
    emu.shutdown().await;
}

#[tokio::test]
async fn versions_are_newest_first_with_optional_paging() {
    let cfg = open_config().job(
        JobSeed::new(7)
            .name("multi")
            .version(VersionSeed::new(70).status(status::FAILED))
            .version(VersionSeed::new(71).status(status::COMPLETED))
            .version(VersionSeed::new(72)),
    );
    let (emu, client) = start(cfg, Proto::Auto).await;
    let all = client.get(&client.jobs_path("/7/versions")).await;
    assert_eq!(all.status, 200);
    let body = all.json();
    assert_eq!(body["is_success"], true);
    assert_eq!((body["job_id"].as_u64(), body["job_name"].as_str()), (Some(7), Some("multi")));
    assert_eq!(body["version_count"], 3);
    let ids: Vec<u64> =
        body["versions"].as_array().unwrap().iter().map(|v| v["version_id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [72, 71, 70], "page 0 means no paging; newest first");
    let item = &body["versions"][0];
    assert!(item["system_metric_list"].is_string(), "a JSON string in §4");
    assert!(item["gpu"].is_boolean());
    assert!(item.get("is_success").is_none() && item.get("job_id").is_none());
    serde_json::from_str::<Value>(item["system_metric_list"].as_str().unwrap()).unwrap();

    let page2 = client.get(&client.jobs_path("/7/versions?per_page=2&page=2")).await.json();
    let ids: Vec<u64> =
        page2["versions"].as_array().unwrap().iter().map(|v| v["version_id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [70]);
    assert_eq!(page2["version_count"], 3);

    for bad in ["per_page=0", "per_page=1001", "page=-1", "page=65536", "page=one"] {
        let reply = client.get(&client.jobs_path(&format!("/7/versions?{bad}"))).await;
        assert_modelarts_error(&reply, 400, "ModelArts.0101");
    }
    let missing = client.get(&client.jobs_path("/8/versions")).await;
    assert_modelarts_error(&missing, 400, "ModelArts.2775");
    emu.shutdown().await;
}

fn list_fixture() -> Vec<JobSeed> {
    let v = |id, code, ms| VersionSeed::new(id).status(code).duration_ms(ms);
    vec![
        JobSeed::new(1).name("alpha-train").desc("d").create_time(1000).version(v(11, status::RUNNING, 3000)),
        JobSeed::new(2).name("Beta-train").desc("c").create_time(4000).version(v(
            21,
            status::COMPLETED,
            1000,
        )),
        JobSeed::new(3)
            .name("gamma")
            .desc("b")
            .create_time(2000)
            .version(v(31, status::FAILED, 100))
            .version(v(32, status::RUNNING, 2000)),
        JobSeed::new(4).name("delta-train").desc("a").create_time(3000).version(v(41, status::KILLED, 4000)),
        JobSeed::new(5).name("other-space").workspace("ws-1").version(v(51, status::RUNNING, 1)),
    ]
}

fn job_ids(body: &Value) -> Vec<u64> {
    body["jobs"].as_array().unwrap().iter().map(|j| j["job_id"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    let (emu, client) = start(open_config().jobs(list_fixture()), Proto::Auto).await;
    let list = |q: &str| {
        let path = client.jobs_path(&format!("?{q}"));
        let client = &client;
        async move { client.get(&path).await.json() }
    };

    let all = list("").await;
    assert_eq!(all["is_success"], true);
    assert_eq!(job_ids(&all), [2, 1, 4, 3], "default: job_name asc (byte order), workspace 0 only");
    assert_eq!(all["job_total_count"], 4);
    assert_eq!(all["quotas"], 1000);
    assert_eq!(all["job_count_limit"], 995, "quota minus all 5 jobs");
    let gamma = &all["jobs"][3];
    assert_eq!(
        (gamma["version_id"].as_u64(), gamma["status"].as_i64(), gamma["version_count"].as_u64()),
        (Some(32), Some(8), Some(2)),
        "latest version's id and status"
    );
    for key in ["job_id", "version_id", "status", "create_time", "duration", "version_count"] {
        assert!(gamma[key].is_u64(), "{key}");
    }
    assert!(gamma["job_name"].is_string() && gamma["job_desc"].is_string());

    let sorts: &[(&str, &[u64])] = &[
        ("sortBy=job_desc", &[4, 3, 2, 1]),
        ("sortBy=status", &[1, 3, 2, 4]),
        ("sortBy=duration&order=desc", &[4, 1, 3, 2]),
        ("sortBy=version_count&order=desc", &[3, 4, 2, 1]), // desc reverses the job-id tie-break too
        ("sortBy=create_time", &[1, 3, 4, 2]),
        ("sortBy=job_name&order=desc", &[3, 4, 1, 2]),
    ];
    for (q, expected) in sorts {
        assert_eq!(job_ids(&list(q).await), *expected, "{q}");
    }

    let running = list("status=8").await;
    assert_eq!(job_ids(&running), [1, 3]);
    assert_eq!(running["job_total_count"], 2, "counts the jobs matching the filter");
    assert_eq!(job_ids(&list("search_content=TRAIN").await), [2, 1, 4], "case-insensitive substring");
    assert_eq!(job_ids(&list("search_content=train&status=10").await), [2]);
    assert_eq!(job_ids(&list("workspace_id=ws-1").await), [5]);

    let page1 = list("per_page=3&page=1").await;
    let page2 = list("per_page=3&page=2").await;
    assert_eq!((job_ids(&page1), job_ids(&page2)), (vec![2, 1, 4], vec![3]));
    assert_eq!(page2["job_total_count"], 4);
    assert!(job_ids(&list("per_page=3&page=3").await).is_empty());

    let long = format!("search_content={}", "x".repeat(65));
    for bad in [
        "per_page=0",
        "per_page=1001",
        "page=0",
        "page=65536",
        "sortBy=name",
        "sort_by=job_name&sortBy=bogus",
        "order=sideways",
        "status=99",
        "status=KILLED",
        long.as_str(),
    ] {
        let reply = client.get(&client.jobs_path(&format!("?{bad}"))).await;
        let msg = assert_modelarts_error(&reply, 400, "ModelArts.0101");
        assert!(msg.starts_with("Invalid "), "{bad}: {msg}");
    }
    emu.shutdown().await;
}

/// A job's (sort key, id) by its id.
type SortKey = fn(u64) -> (String, u64);

/// The sorted index behind unfiltered lists: every page of every key and direction is the slice of
/// the (key, job id) order the test computes itself, ties included; a seed after the first list is
/// seen by the next one; filtered and time-dependent sorts agree with it.
#[tokio::test]
async fn list_pages_follow_the_sort_order_through_the_index_and_after_new_seeds() {
    // Few distinct names, descriptions, times and version counts: many ties to break by id.
    let seed = |id: u64| {
        let mut job = JobSeed::new(id)
            .name(format!("job-{}", id % 7))
            .desc(format!("d{}", id % 5))
            .create_time(1_000 + (id * 37) % 11);
        for v in 0..=(id % 3) {
            job = job.version(VersionSeed::new(id * 10 + v).status(status::RUNNING));
        }
        if id.is_multiple_of(4) {
            job = job.workspace("ws-1");
        }
        job
    };
    let (emu, client) = start(open_config().jobs((1..=60).map(seed)), Proto::Auto).await;
    let walk = |q: String| {
        let client = &client;
        async move {
            let mut ids = Vec::new();
            for page in 1.. {
                let body =
                    client.get(&client.jobs_path(&format!("?per_page=7&page={page}&{q}"))).await.json();
                let got = job_ids(&body);
                if got.is_empty() {
                    return (ids, body["job_total_count"].as_u64().unwrap());
                }
                ids.extend(got);
            }
            unreachable!()
        }
    };
    let check = |n: u64| {
        let walk = &walk;
        async move {
            let ws0: Vec<u64> = (1..=n).filter(|id| !id.is_multiple_of(4)).collect();
            let keys: [(&str, SortKey); 4] = [
                ("job_name", |id| (format!("job-{}", id % 7), id)),
                ("job_desc", |id| (format!("d{}", id % 5), id)),
                ("version_count", |id| (format!("{:05}", id % 3 + 1), id)),
                ("create_time", |id| (format!("{:05}", 1_000 + (id * 37) % 11), id)),
            ];
            for (key, order) in keys {
                let mut expected = ws0.clone();
                expected.sort_by_key(|&id| order(id));
                let (asc, total) = walk(format!("sortBy={key}")).await;
                assert_eq!(
                    (asc.as_slice(), total),
                    (expected.as_slice(), ws0.len() as u64),
                    "{key} asc, {n} jobs"
                );
                expected.reverse();
                let (desc, _) = walk(format!("sortBy={key}&order=desc")).await;
                assert_eq!(desc, expected, "{key} desc, {n} jobs");
            }
            let mut ws1: Vec<u64> = (1..=n).filter(|id| id.is_multiple_of(4)).collect();
            ws1.sort_by_key(|&id| (format!("job-{}", id % 7), id));
            assert_eq!(walk("workspace_id=ws-1".into()).await.0, ws1, "another workspace's index");
            // The scan (a status filter) and the index agree.
            let (scanned, _) = walk(format!("status={}", status::RUNNING)).await;
            assert_eq!(scanned, walk(String::new()).await.0, "status filter over all-running jobs");
        }
    };
    check(60).await;
    emu.state().seed_jobs((61..=75).map(seed));
    check(75).await;
    emu.shutdown().await;
}

#[tokio::test]
async fn every_stoppable_status_goes_killing_then_killed_on_time() {
    let stoppable = [1, 2, 4, 7, 8, 15];
    let jobs = stoppable
        .iter()
        .map(|code| JobSeed::new(*code as u64).version(VersionSeed::new(100 + *code as u64).status(*code)));
    let cfg = open_config().jobs(jobs).kill_after(Duration::from_secs(60));
    let (emu, client) = start(cfg, Proto::Auto).await;
    for code in stoppable {
        let (job, version) = (code as u64, 100 + code as u64);
        let before = client.get(&client.show_path(job, version)).await.json();
        assert_eq!(before["status"], code);
        assert_eq!(client.post(&client.stop_path(job, version)).await.json()["is_success"], true);
        assert_eq!(client.get(&client.show_path(job, version)).await.json()["status"], status::KILLING);
    }
    emu.state().advance_clock(Duration::from_secs(61));
    for code in stoppable {
        let (job, version) = (code as u64, 100 + code as u64);
        let after = client.get(&client.show_path(job, version)).await.json();
        assert_eq!(after["status"], status::KILLED, "from {code}");
        if status::is_executing(code) {
            assert!(after["duration"].as_u64().unwrap() >= 60_000);
        } else {
            assert_eq!(after["duration"], 0, "a version that never ran has no run time");
        }
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn non_stoppable_statuses_answer_the_policy_and_do_not_change() {
    let codes: Vec<i32> = (0..=22).filter(|c| !status::is_stoppable(*c)).collect();
    let jobs = codes.iter().map(|code| {
        JobSeed::new(*code as u64 + 1).version(VersionSeed::new(*code as u64 + 1000).status(*code))
    });
    let (emu, client) = start(open_config().jobs(jobs).never_kill(), Proto::Auto).await;
    for code in &codes {
        let (job, version) = (*code as u64 + 1, *code as u64 + 1000);
        let reply = client.post(&client.stop_path(job, version)).await;
        let msg = assert_modelarts_error(&reply, 400, "ModelArts.0105");
        assert!(msg.contains(&format!("({code})")), "{msg}");
        assert_eq!(emu.state().version_status(job, version), Some(*code));
    }
    assert!(emu.state().journal().iter().all(|e| !e.effective_stop));
    emu.shutdown().await;
}

#[tokio::test]
async fn poll_based_kill_is_deterministic() {
    let cfg = open_config().job(JobSeed::running(1, 2)).kill_after_polls(2);
    let (emu, client) = start(cfg, Proto::Auto).await;
    client.post(&client.stop_path(1, 2)).await;
    // The admin view does not count as a poll.
    assert_eq!(emu.state().version_status(1, 2), Some(status::KILLING));
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(client.get(&client.show_path(1, 2)).await.json()["status"].as_i64().unwrap());
    }
    assert_eq!(seen, [9, 9, 12, 12]);
    // List and versions reads count too.
    let cfg = open_config().job(JobSeed::running(1, 2).name("x")).kill_after_polls(1);
    let (emu2, client2) = start(cfg, Proto::Auto).await;
    client2.post(&client2.stop_path(1, 2)).await;
    assert_eq!(client2.get(&client2.jobs_path("")).await.json()["jobs"][0]["status"], 9);
    assert_eq!(client2.get(&client2.jobs_path("/1/versions")).await.json()["versions"][0]["status"], 12);
    emu.shutdown().await;
    emu2.shutdown().await;
}

#[tokio::test]
async fn kill_timing_follows_the_emulator_clock_and_side_exits() {
    let cfg = open_config()
        .job(JobSeed::running(1, 2))
        .job(JobSeed::new(3).version(VersionSeed::new(4).stop_result_status(status::COMPLETED)))
        .kill_after(Duration::from_secs(3600));
    let (emu, client) = start(cfg, Proto::Auto).await;
    client.post(&client.stop_path(1, 2)).await;
    client.post(&client.stop_path(3, 4)).await;
    assert_eq!(client.get(&client.show_path(1, 2)).await.json()["status"], 9);
    emu.state().advance_clock(Duration::from_secs(3601));
    let killed = client.get(&client.show_path(1, 2)).await.json();
    assert_eq!(killed["status"], 12);
    assert!(killed["duration"].as_u64().unwrap() >= 3_600_000 + 60_000, "duration counts up to the kill");
    assert_eq!(client.get(&client.show_path(3, 4)).await.json()["status"], status::COMPLETED);
    emu.shutdown().await;
}

#[tokio::test]
async fn already_stopped_policies() {
    let cases = [
        (AlreadyStoppedPolicy::BadRequest, 400, Some("ModelArts.0105")),
        (AlreadyStoppedPolicy::Conflict, 409, Some("ModelArts.2796")),
        (AlreadyStoppedPolicy::OkFalse, 200, Some("ModelArts.0105")),
        (AlreadyStoppedPolicy::Success, 200, None),
    ];
    let cfg = open_config().job(JobSeed::new(1).version(VersionSeed::new(2).status(status::KILLED)));
    let (emu, client) = start(cfg, Proto::Auto).await;
    for (policy, http_status, code) in cases {
        emu.state().update_settings(|s| s.already_stopped = policy);
        assert_eq!(emu.state().settings().already_stopped, policy);
        let reply = client.post(&client.stop_path(1, 2)).await;
        match code {
            Some(code) => {
                assert_modelarts_error(&reply, http_status, code);
            }
            None => {
                assert_eq!(reply.status, 200);
                assert_eq!(reply.json(), serde_json::json!({"is_success": true}));
            }
        }
    }
    assert_eq!(emu.state().effective_stops(1, 2), 0);
    emu.shutdown().await;
}

#[tokio::test]
async fn error_field_name_is_configurable() {
    let cfg = open_config().error_field(ErrorField::ErrorMsg);
    let (emu, client) = start(cfg, Proto::Auto).await;
    let body = client.post(&client.stop_path(1, 2)).await.json();
    assert_eq!(body["error_code"], "ModelArts.2775");
    assert!(body["error_msg"].is_string() && body.get("error_message").is_none(), "{body}");
    emu.shutdown().await;
}

#[tokio::test]
async fn not_found_bad_ids_wrong_project_and_unknown_paths() {
    let (emu, client) = start(open_config().job(JobSeed::running(1, 2)), Proto::Auto).await;
    let cases = [
        (Method::POST, client.stop_path(9, 2), 400, "ModelArts.2775"),
        (Method::POST, client.stop_path(1, 9), 400, "ModelArts.2775"),
        (Method::GET, client.show_path(9, 9), 400, "ModelArts.2775"),
        (Method::GET, client.jobs_path("/abc/versions/2"), 400, "ModelArts.0101"),
        (Method::POST, client.jobs_path("/1/versions/-2/stop"), 400, "ModelArts.0101"),
        (Method::GET, client.jobs_path("/99999999999999999999999/versions"), 400, "ModelArts.0101"),
        (Method::GET, "/v1/00000000000000000000000000000000/training-jobs".to_owned(), 403, "ModelArts.0210"),
    ];
    for (method, path, http_status, code) in cases {
        let reply = client.send(method.clone(), &path, &[]).await;
        assert_modelarts_error(&reply, http_status, code);
        assert_common_headers(&reply);
    }
    let unknown = [
        (Method::GET, "/".to_owned()),
        (Method::GET, "/v2/x/training-jobs".to_owned()),
        (Method::GET, client.jobs_path("/")),
        (Method::GET, client.stop_path(1, 2)),
        (Method::DELETE, client.show_path(1, 2)),
        (Method::PUT, client.jobs_path("")),
    ];
    for (method, path) in unknown {
        let reply = client.send(method.clone(), &path, &[]).await;
        let msg = assert_gateway_error(&reply, 404, "APIG.0101");
        assert_eq!(msg, "The API does not exist or has not been published in the environment");
        assert_common_headers(&reply);
    }
    let routes: Vec<&str> = emu.state().journal().iter().map(|e| e.route.as_str()).collect();
    assert_eq!(routes.iter().filter(|r| **r == "unknown").count(), 6);
    emu.shutdown().await;
}

#[tokio::test]
async fn request_ids_and_generated_jobs_follow_the_seed() {
    async fn run(seed: u64) -> (Vec<String>, Vec<String>) {
        let cfg = open_config().generate_jobs(3).random_seed(seed);
        let (emu, client) = start(cfg, Proto::Auto).await;
        let mut ids = Vec::new();
        for _ in 0..3 {
            ids.push(client.get(&client.jobs_path("")).await.header("x-request-id").unwrap().to_owned());
        }
        let names = emu.state().jobs().into_iter().map(|j| j.job_name).collect();
        emu.shutdown().await;
        (ids, names)
    }
    let (a, b, c) = (run(7).await, run(7).await, run(8).await);
    assert_eq!(a, b);
    assert_ne!(a.0, c.0);
    assert_ne!(a.1, c.1);
    assert_eq!(a.1.len(), 3);
    let unique: std::collections::HashSet<&String> = a.0.iter().collect();
    assert_eq!(unique.len(), 3);
}

#[tokio::test]
async fn date_header_uses_the_clock_offset() {
    let (emu, client) = start(open_config().clock_offset_secs(3600), Proto::Auto).await;
    let reply = client.get(&client.jobs_path("")).await;
    let date = httpdate::parse_http_date(reply.header("date").unwrap()).unwrap();
    let ahead = date.duration_since(SystemTime::now()).unwrap().as_secs();
    assert!((3590..=3601).contains(&ahead), "{ahead}");
    emu.shutdown().await;
}
