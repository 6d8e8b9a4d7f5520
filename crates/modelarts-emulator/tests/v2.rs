//! The v2 face over real sockets (HTTP and HTTPS): terminate, show and list with signatures
//! enforced, the phase machine, the already-stopped policies, errors, list filters and paging, and
//! the shared pipeline (faults, throttle, journal, admin API, seed file, binary flag).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use common::{Proto, Reply, TestClient, assert_common_headers, assert_gateway_error, start};
use http::Method;
use http_body_util::Full;
use modelarts_emulator::{
    AlreadyStoppedPolicy, AuthMode, EmulatorConfig, FaultScript, FaultStep, JobSeed, RouteSelector,
    RunningEmulator, ThrottleSettings, V2JobSeed, V2Phase,
};
use modelarts_protocol::operations::Operation;
use modelarts_protocol::operations::v2::list::{Filter, ListTrainingJobsV2};
use modelarts_protocol::operations::v2::show::ShowTrainingJob;
use modelarts_protocol::operations::v2::terminate::TerminateTrainingJob;
use modelarts_protocol::signing::Credentials;
use modelarts_protocol::v2::{OffsetMode, PageStep, Paginator, StopClass};
use modelarts_protocol::{Auth, Endpoint, auth};
use serde_json::{Value, json};

const A: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
const B: &str = "11111111-2222-4333-8444-555555555555";

fn open_config() -> EmulatorConfig {
    EmulatorConfig::default().auth(AuthMode::Off)
}

/// Builds `op` with the protocol crate, signs it with the emulator's keys, sends it.
async fn signed<O: Operation>(emu: &RunningEmulator, client: &TestClient, op: &O) -> Reply {
    let endpoint = Endpoint::from_url(&emu.endpoint()).unwrap();
    let mut request = op.build_request(&endpoint).unwrap();
    let credentials = Credentials::new(&client.ak, &client.sk);
    auth::authorize(&mut request, &Auth::AkSk(credentials), SystemTime::now()).unwrap();
    let (parts, body) = request.into_parts();
    client.try_send_request(http::Request::from_parts(parts, Full::new(body))).await.unwrap()
}

fn response(reply: &Reply) -> http::Response<Bytes> {
    let mut r = http::Response::builder().status(reply.status);
    for (n, v) in &reply.headers {
        r = r.header(n, v);
    }
    r.body(reply.body.clone()).unwrap()
}

fn project(client: &TestClient) -> modelarts_protocol::ProjectId {
    client.project.parse().unwrap()
}

fn terminate_op(client: &TestClient, id: &str) -> TerminateTrainingJob {
    TerminateTrainingJob::new(project(client), id.parse().unwrap())
}

fn show_op(client: &TestClient, id: &str) -> ShowTrainingJob {
    ShowTrainingJob::new(project(client), id.parse().unwrap())
}

fn v2_path(client: &TestClient, suffix: &str) -> String {
    format!("/v2/{}{suffix}", client.project)
}

async fn raw(client: &TestClient, method: Method, path: &str, body: &str) -> Reply {
    client.try_send(method, path, &[("content-type", "application/json")], body.as_bytes()).await.unwrap()
}

async fn list(client: &TestClient, body: Value) -> Value {
    let reply =
        raw(client, Method::POST, &v2_path(client, "/training-job-searches"), &body.to_string()).await;
    assert_eq!(reply.status, 200, "{body}: {}", String::from_utf8_lossy(&reply.body));
    reply.json()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["metadata"]["name"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_v2_error(reply: &Reply, status: u16, code: &str) -> String {
    assert_eq!(reply.status.as_u16(), status, "{}", String::from_utf8_lossy(&reply.body));
    let body = reply.json();
    assert_eq!(body["error_code"], code, "{body}");
    assert!(body.get("is_success").is_none(), "{body}");
    body["error_msg"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn signed_terminate_show_and_list_over_http_and_https() {
    for tls in [false, true] {
        let cfg = EmulatorConfig::default()
            .tls(tls)
            .v2_job(V2JobSeed::running(A).name("bert"))
            .v2_job(V2JobSeed::running(B).name("gpt"))
            .kill_after_polls(2);
        let (emu, client) = start(cfg, Proto::Auto).await;
        assert_eq!(emu.endpoint().starts_with("https://"), tls);

        let reply = signed(&emu, &client, &terminate_op(&client, A)).await;
        assert_eq!(reply.status, 202, "{}", String::from_utf8_lossy(&reply.body));
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_common_headers(&reply);
        let job = TerminateTrainingJob::parse_response(response(&reply)).unwrap();
        assert_eq!(job.id().unwrap().as_str(), A);
        assert_eq!(job.stop_class(), StopClass::Stopping);
        assert_eq!(job.name(), Some("bert"));
        assert_eq!((job.flavor_id(), job.node_count()), (Some("modelarts.vm.cpu.8u"), Some(1)));

        // Two reads see Terminating, the third Terminated (kill_after_polls 2).
        let mut phases = Vec::new();
        for _ in 0..3 {
            let reply = signed(&emu, &client, &show_op(&client, A)).await;
            assert_eq!(reply.status, 200);
            phases.push(
                ShowTrainingJob::parse_response(response(&reply)).unwrap().phase().unwrap().to_string(),
            );
        }
        assert_eq!(phases, ["Terminating", "Terminating", "Terminated"]);
        assert_eq!(emu.state().v2_phase(A), Some(V2Phase::Terminated));

        let mut query = ListTrainingJobsV2::new(project(&client));
        query.filters = vec![Filter::name_like("gp")];
        let reply = signed(&emu, &client, &query).await;
        let page = ListTrainingJobsV2::parse_response(response(&reply)).unwrap();
        assert_eq!(page.total, Some(1));
        assert_eq!(page.items[0].id().unwrap().as_str(), B);
        assert_eq!(page.items[0].stop_class(), StopClass::Stoppable);

        let journal = emu.state().journal();
        let routes: Vec<&str> = journal.iter().map(|e| e.route.as_str()).collect();
        assert_eq!(routes, ["v2_terminate", "v2_show", "v2_show", "v2_show", "v2_list"]);
        assert!(
            journal.iter().all(|e| e.auth.result == modelarts_emulator::AuthResult::Accepted),
            "{journal:?}"
        );
        assert_eq!(journal[0].training_job_id.as_deref(), Some(A));
        assert!(journal[0].effective_stop);
        assert_eq!(emu.state().v2_effective_terminates(A), 1);
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn v2_requests_are_authenticated_and_the_body_is_signed() {
    let (emu, client) = start(EmulatorConfig::default().v2_job(V2JobSeed::running(A)), Proto::Auto).await;
    let path = v2_path(&client, &format!("/training-jobs/{A}/actions"));
    let unsigned = raw(&client, Method::POST, &path, r#"{"action_type": "terminate"}"#).await;
    assert_gateway_error(&unsigned, 401, "APIG.0301");

    // Signed for one body, sent with another: refused, and nothing happens.
    let endpoint = Endpoint::from_url(&emu.endpoint()).unwrap();
    let mut request = terminate_op(&client, A).build_request(&endpoint).unwrap();
    auth::authorize(&mut request, &Auth::AkSk(Credentials::new(&client.ak, &client.sk)), SystemTime::now())
        .unwrap();
    let (mut parts, _) = request.into_parts();
    let other_body = Bytes::from_static(br#"{"action_type":"terminate"}"#);
    // The signed request carries the first body's Content-Length: announce the one sent.
    parts.headers.insert(http::header::CONTENT_LENGTH, other_body.len().into());
    let tampered = http::Request::from_parts(parts, Full::new(other_body));
    let reply = client.try_send_request(tampered).await.unwrap();
    assert_gateway_error(&reply, 401, "APIG.0301");
    assert_eq!(emu.state().v2_phase(A), Some(V2Phase::Running));

    // The token works as for v1.
    let token = client.token.clone();
    let reply = client
        .try_send(
            Method::GET,
            &v2_path(&client, &format!("/training-jobs/{A}")),
            &[("x-auth-token", &token)],
            b"",
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    emu.shutdown().await;
}

#[tokio::test]
async fn terminate_of_a_job_that_cannot_be_terminated_follows_the_policy() {
    let ended =
        [V2Phase::Terminating, V2Phase::Terminated, V2Phase::Completed, V2Phase::Failed, V2Phase::Abnormal];
    let ids: Vec<String> =
        (0..ended.len()).map(|i| format!("00000000-0000-4000-8000-00000000000{i}")).collect();
    let mut cfg = open_config().never_kill();
    for (id, phase) in ids.iter().zip(ended) {
        cfg = cfg.v2_job(V2JobSeed::running(id.clone()).phase(phase).duration_ms(5000));
    }
    let (emu, client) = start(cfg, Proto::Auto).await;
    let terminate = |id: &str| v2_path(&client, &format!("/training-jobs/{id}/actions"));
    let body = r#"{"action_type": "terminate"}"#;
    for (id, phase) in ids.iter().zip(ended) {
        let reply = raw(&client, Method::POST, &terminate(id), body).await;
        let msg = assert_v2_error(&reply, 409, "ModelArts.2796");
        assert!(msg.contains(phase.as_str()), "{msg}");
        let err = TerminateTrainingJob::parse_response(response(&reply)).unwrap_err();
        assert!(err.api_error().unwrap().is_conflict());
    }
    let policies = [
        (AlreadyStoppedPolicy::BadRequest, 400, Some("ModelArts.0105")),
        (AlreadyStoppedPolicy::OkFalse, 200, Some("ModelArts.2796")),
        (AlreadyStoppedPolicy::Success, 202, None),
    ];
    for (policy, status, code) in policies {
        emu.state().update_settings(|s| s.v2_already_stopped = policy);
        let reply = raw(&client, Method::POST, &terminate(&ids[1]), body).await;
        assert_eq!(reply.status, status, "{policy:?}");
        match code {
            Some(code) => {
                assert_eq!(reply.json()["error_code"], code, "{policy:?}");
                assert!(TerminateTrainingJob::parse_response(response(&reply)).is_err(), "{policy:?}");
            }
            None => {
                let job = TerminateTrainingJob::parse_response(response(&reply)).unwrap();
                assert_eq!(job.stop_class(), StopClass::Stopped);
                assert_eq!(job.duration_ms(), Some(5000));
            }
        }
    }
    // The v1 policy is separate: still its default.
    assert_eq!(emu.state().settings().already_stopped, AlreadyStoppedPolicy::BadRequest);
    assert!(emu.state().journal().iter().all(|e| !e.effective_stop));
    // Pre-run phases are stoppable.
    for phase in [V2Phase::Creating, V2Phase::Pending] {
        let id = emu.state().seed_v2_jobs([V2JobSeed::default().phase(phase)]).remove(0);
        let reply = raw(&client, Method::POST, &terminate(&id), body).await;
        assert_eq!(reply.status, 202, "{phase:?}");
        assert_eq!(reply.json()["status"]["phase"], "Terminating");
        assert_eq!(reply.json()["status"]["duration"], 0);
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn unknown_ids_bad_bodies_and_wrong_routes() {
    let (emu, client) = start(open_config().v2_job(V2JobSeed::running(A)), Proto::Auto).await;
    let body = r#"{"action_type": "terminate"}"#;
    for id in [B, "12345", "not-a-uuid"] {
        let reply =
            raw(&client, Method::POST, &v2_path(&client, &format!("/training-jobs/{id}/actions")), body)
                .await;
        assert!(assert_v2_error(&reply, 400, "ModelArts.2775").contains(id));
        let reply = client.get(&v2_path(&client, &format!("/training-jobs/{id}"))).await;
        assert_v2_error(&reply, 400, "ModelArts.2775");
        let err = ShowTrainingJob::parse_response(response(&reply)).unwrap_err();
        assert!(err.api_error().unwrap().is_not_found());
    }
    // Ids are matched without regard to case.
    assert_eq!(
        client.get(&v2_path(&client, &format!("/training-jobs/{}", A.to_uppercase()))).await.status,
        200
    );
    let actions = v2_path(&client, &format!("/training-jobs/{A}/actions"));
    assert_v2_error(&raw(&client, Method::POST, &actions, "{").await, 400, "ModelArts.2787");
    assert_v2_error(
        &raw(&client, Method::POST, &actions, r#"{"action_type":"pause"}"#).await,
        400,
        "ModelArts.2788",
    );
    assert_v2_error(&raw(&client, Method::POST, &actions, "").await, 400, "ModelArts.2787");
    let other_project = format!("/v2/0000/training-jobs/{A}");
    assert_v2_error(&client.get(&other_project).await, 403, "ModelArts.0210");
    for (method, path) in [
        (Method::GET, actions.clone()),
        (Method::DELETE, v2_path(&client, &format!("/training-jobs/{A}"))),
        (Method::GET, v2_path(&client, "/training-job-searches")),
        (Method::GET, v2_path(&client, "/training-jobs/")),
    ] {
        assert_gateway_error(&client.send(method, &path, &[]).await, 404, "APIG.0101");
    }
    assert_eq!(emu.state().v2_phase(A), Some(V2Phase::Running));
    emu.shutdown().await;
}

#[tokio::test]
async fn list_filters_sort_offset_and_limit() {
    let phases = [V2Phase::Running, V2Phase::Pending, V2Phase::Running, V2Phase::Completed, V2Phase::Running];
    let mut cfg = open_config().never_kill();
    let mut ids = Vec::new();
    for (i, phase) in phases.into_iter().enumerate() {
        let id = format!("aaaaaaaa-0000-4000-8000-00000000000{i}");
        ids.push(id.clone());
        let name = ["delta", "alpha", "echo", "bravo", "charlie"][i];
        cfg = cfg.v2_job(V2JobSeed::running(id).name(name).phase(phase).create_time(1_000 * (i as u64 + 1)));
    }
    let (emu, client) = start(cfg, Proto::Auto).await;

    let all = list(&client, json!({})).await;
    assert_eq!(
        (all["total"].as_u64(), all["count"].as_u64(), all["limit"].as_u64()),
        (Some(5), Some(5), Some(10))
    );
    assert_eq!(all["sort_by"], "create_time");
    assert_eq!(all["order"], "desc");
    assert_eq!(names(&all), ["charlie", "bravo", "echo", "alpha", "delta"], "newest first by default");
    let asc = list(&client, json!({"order": "asc", "sort_by": "name"})).await;
    assert_eq!(names(&asc), ["alpha", "bravo", "charlie", "delta", "echo"]);

    // `offset` is a page index: offset 1 with limit 2 is the 3rd and 4th job.
    let page = list(&client, json!({"offset": 1, "limit": 2, "order": "asc"})).await;
    assert_eq!(names(&page), ["echo", "bravo"]);
    assert_eq!(
        (page["total"].as_u64(), page["count"].as_u64(), page["offset"].as_u64()),
        (Some(5), Some(2), Some(1))
    );
    assert_eq!(names(&list(&client, json!({"offset": 9, "limit": 2})).await), Vec::<String>::new());

    let cases = [
        (json!([{"key": "phase", "operator": "in", "value": ["Running"]}]), vec!["charlie", "echo", "delta"]),
        (json!([{"key": "status", "operator": "not", "value": ["running", "pending"]}]), vec!["bravo"]),
        (json!([{"key": "name", "operator": "like", "value": ["LT"]}]), vec!["delta"]),
        (json!([{"key": "name", "operator": "in", "value": ["alpha", "echo"]}]), vec!["echo", "alpha"]),
        (json!([{"key": "id", "operator": "in", "value": [ids[1].to_uppercase()]}]), vec!["alpha"]),
        (
            json!([{"key": "create_time", "operator": "between", "value": ["2000", "3000"]}]),
            vec!["echo", "alpha"],
        ),
        (
            json!([{"key": "phase", "operator": "in", "value": ["Running"]}, {"key": "name", "operator": "like", "value": ["e"]}]),
            vec!["charlie", "echo", "delta"],
        ),
    ];
    for (filters, expected) in cases {
        let page = list(&client, json!({"filters": filters})).await;
        assert_eq!(names(&page), expected, "{filters}");
        assert_eq!(page["total"].as_u64(), Some(expected.len() as u64), "{filters}");
    }
    let searches = v2_path(&client, "/training-job-searches");
    for (body, code) in [
        (json!({"limit": 51}), "ModelArts.2788"),
        (json!({"limit": 0}), "ModelArts.2788"),
        (json!({"sort_by": "flavor"}), "ModelArts.2790"),
        (json!({"filters": [{"key": "flavor", "operator": "in", "value": ["x"]}]}), "ModelArts.2789"),
    ] {
        assert_v2_error(&raw(&client, Method::POST, &searches, &body.to_string()).await, 400, code);
    }

    // The protocol's paginator walks every page exactly once (page-index reading).
    let mut paginator = Paginator::by_offset(2, OffsetMode::PageIndex);
    let mut offset = paginator.first_offset();
    let mut seen = Vec::new();
    let mut requests = 0;
    loop {
        requests += 1;
        let mut query = ListTrainingJobsV2::new(project(&client));
        query.limit = Some(paginator.limit());
        query.offset = Some(offset);
        let reply = signed(&emu, &client, &query).await;
        let (jobs, step) =
            paginator.accept(ListTrainingJobsV2::parse_response(response(&reply)).unwrap()).unwrap();
        seen.extend(jobs.into_iter().map(|j| j.id().unwrap().to_string()));
        match step {
            PageStep::Next(next) => offset = next,
            PageStep::Done => break,
            PageStep::Exceeded(e) => panic!("{e}"),
        }
    }
    seen.sort();
    assert_eq!(seen, ids);
    assert_eq!(requests, 3);
    emu.shutdown().await;
}

/// A job's (sort key, id) by its number.
type SortKey = fn(u64) -> (String, String);

/// Unfiltered searches page through the sorted index: every page of both keys and directions is the
/// slice of the (key, id) order computed here, ties included, and a seed after the first search is
/// seen by the next; a filter that matches everything (the scan) gives the same order.
#[tokio::test]
async fn unfiltered_search_pages_follow_the_sort_order_and_new_seeds() {
    let id = |i: u64| format!("bbbbbbbb-0000-4000-8000-{i:012}");
    let seed = |i: u64| V2JobSeed::running(id(i)).name(format!("n{}", i % 4)).create_time(500 + (i * 7) % 5);
    let (emu, client) =
        start((1..=23).fold(open_config().never_kill(), |cfg, i| cfg.v2_job(seed(i))), Proto::Auto).await;
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["metadata"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let walk = |body: Value| {
        let client = &client;
        async move {
            let mut seen = Vec::new();
            for offset in 0.. {
                let mut body = body.clone();
                body["offset"] = json!(offset);
                body["limit"] = json!(4);
                let page = list(client, body).await;
                let got = ids(&page);
                if got.is_empty() {
                    return (seen, page["total"].as_u64().unwrap());
                }
                seen.extend(got);
            }
            unreachable!()
        }
    };
    let check = |n: u64| {
        let walk = &walk;
        async move {
            let keys: [(&str, SortKey); 2] = [
                ("name", |i| (format!("n{}", i % 4), format!("bbbbbbbb-0000-4000-8000-{i:012}"))),
                ("create_time", |i| {
                    (format!("{:04}", 500 + (i * 7) % 5), format!("bbbbbbbb-0000-4000-8000-{i:012}"))
                }),
            ];
            for (key, order) in keys {
                let mut expected: Vec<u64> = (1..=n).collect();
                expected.sort_by_key(|&i| order(i));
                let expected: Vec<String> = expected.into_iter().map(|i| order(i).1).collect();
                let (asc, total) = walk(json!({"sort_by": key, "order": "asc"})).await;
                assert_eq!((&asc, total), (&expected, n), "{key} asc, {n} jobs");
                let (desc, _) = walk(json!({"sort_by": key, "order": "desc"})).await;
                assert_eq!(desc, expected.iter().rev().cloned().collect::<Vec<_>>(), "{key} desc, {n} jobs");
                let every = json!([{"key": "name", "operator": "like", "value": ["n"]}]);
                let (scanned, _) = walk(json!({"sort_by": key, "order": "asc", "filters": every})).await;
                assert_eq!(scanned, expected, "{key}: the scan agrees");
            }
        }
    };
    check(23).await;
    emu.state().seed_v2_jobs((24..=30).map(seed));
    check(30).await;
    emu.shutdown().await;
}

#[tokio::test]
async fn jobs_hidden_from_search_are_in_no_page_but_show_and_terminate_find_them() {
    let id = |i: u64| format!("cccccccc-0000-4000-8000-{i:012}");
    let hidden = [3, 7];
    let seed = |i: u64| {
        let s = V2JobSeed::running(id(i)).name(format!("job-{i:02}")).create_time(1000 + i);
        if hidden.contains(&i) { s.hidden_from_search() } else { s }
    };
    let (emu, client) =
        start((1..=9).fold(open_config().never_kill(), |cfg, i| cfg.v2_job(seed(i))), Proto::Auto).await;
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["metadata"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let visible: Vec<String> = (1..=9).filter(|i| !hidden.contains(i)).map(id).collect();
    // The sorted index (unfiltered), the scan (filtered, and by duration) and an id filter all
    // leave the hidden jobs out, of the items and of the total.
    let every = json!([{"key": "name", "operator": "like", "value": ["job"]}]);
    for body in [
        json!({"sort_by": "create_time", "order": "asc", "limit": 50}),
        json!({"sort_by": "name", "order": "asc", "limit": 50}),
        json!({"sort_by": "create_time", "order": "asc", "limit": 50, "filters": every}),
    ] {
        let page = list(&client, body.clone()).await;
        assert_eq!(ids(&page), visible, "{body}");
        assert_eq!(page["total"], 7, "{body}");
    }
    let by_duration = list(&client, json!({"sort_by": "duration", "limit": 50})).await;
    assert_eq!(by_duration["total"], 7);
    assert!(ids(&by_duration).iter().all(|i| visible.contains(i)));
    let by_id = json!([{"key": "id", "operator": "in", "value": [id(3), id(4)]}]);
    assert_eq!(ids(&list(&client, json!({"filters": by_id})).await), [id(4)]);
    // Paging walks the visible jobs only.
    let second =
        list(&client, json!({"sort_by": "create_time", "order": "asc", "limit": 3, "offset": 1})).await;
    assert_eq!(ids(&second), visible[3..6]);

    // Show and terminate find a hidden job; the snapshot says it is hidden.
    let shown = signed(&emu, &client, &show_op(&client, &id(3))).await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.json()["status"]["phase"], "Running");
    assert_eq!(signed(&emu, &client, &terminate_op(&client, &id(7))).await.status, 202);
    assert_eq!(emu.state().v2_phase(&id(7)), Some(V2Phase::Terminating));
    let snapshots = emu.state().v2_jobs();
    let flagged: Vec<&str> =
        snapshots.iter().filter(|j| j.hidden_from_search).map(|j| j.id.as_str()).collect();
    assert_eq!(flagged, [id(3), id(7)]);

    // The admin handle hides and shows a job again; the sorted index follows.
    assert!(emu.state().set_v2_hidden_from_search(&id(3).to_uppercase(), false));
    assert!(emu.state().set_v2_hidden_from_search(&id(1), true));
    assert!(!emu.state().set_v2_hidden_from_search("dddddddd-0000-4000-8000-000000000000", true));
    let page = list(&client, json!({"sort_by": "create_time", "order": "asc", "limit": 50})).await;
    let expected: Vec<String> = [2, 3, 4, 5, 6, 8, 9].into_iter().map(id).collect();
    assert_eq!((ids(&page), page["total"].as_u64()), (expected, Some(7)));

    // Seeding through the admin API takes the flag; an unknown field is still refused.
    let seeded = raw(
        &client,
        Method::POST,
        "/__emulator/v2/jobs",
        &json!({"id": A, "name": "job-late", "hidden_from_search": true}).to_string(),
    )
    .await;
    assert_eq!(seeded.status, 200, "{}", String::from_utf8_lossy(&seeded.body));
    let late =
        list(&client, json!({"filters": [{"key": "name", "operator": "in", "value": ["job-late"]}]})).await;
    assert_eq!(late["total"], 0);
    assert_eq!(signed(&emu, &client, &show_op(&client, A)).await.status, 200);
    let bad = raw(&client, Method::POST, "/__emulator/v2/jobs", r#"{"hidden_from_search": "yes"}"#).await;
    assert_eq!(bad.status, 400);
    emu.shutdown().await;
}

#[tokio::test]
async fn the_time_rule_follows_the_emulator_clock() {
    let cfg =
        open_config().v2_job(V2JobSeed::running(A).duration_ms(60_000)).kill_after(Duration::from_secs(2));
    let (emu, client) = start(cfg, Proto::H1).await;
    let reply = raw(
        &client,
        Method::POST,
        &v2_path(&client, &format!("/training-jobs/{A}/actions")),
        r#"{"action_type":"terminate"}"#,
    )
    .await;
    assert_eq!(reply.status, 202);
    let show = v2_path(&client, &format!("/training-jobs/{A}"));
    assert_eq!(client.get(&show).await.json()["status"]["phase"], "Terminating");
    emu.state().advance_clock(Duration::from_secs(3));
    let done = client.get(&show).await.json();
    assert_eq!(done["status"]["phase"], "Terminated");
    assert_eq!(done["status"]["task_statuses"][0]["exit_code"], 137);
    let frozen = done["status"]["duration"].as_u64().unwrap();
    assert!((62_000..63_000).contains(&frozen), "{frozen}");
    emu.state().advance_clock(Duration::from_secs(60));
    assert_eq!(client.get(&show).await.json()["status"]["duration"].as_u64(), Some(frozen));
    emu.shutdown().await;
}

#[tokio::test]
async fn faults_throttle_and_journal_apply_to_v2_routes() {
    let cfg = open_config().v2_job(V2JobSeed::running(A)).v2_job(V2JobSeed::running(B)).never_kill();
    let (emu, client) = start(cfg, Proto::H1).await;
    let body = r#"{"action_type": "terminate"}"#;
    let path = |id: &str| v2_path(&client, &format!("/training-jobs/{id}/actions"));
    emu.state()
        .add_faults(
            FaultScript::new(RouteSelector::V2Terminate)
                .training_job(A.to_uppercase())
                .step(FaultStep::status(503))
                .step(FaultStep::reset_after_effect()),
        )
        .unwrap();
    // B is not selected by the script.
    assert_eq!(raw(&client, Method::POST, &path(B), body).await.status, 202);
    assert_gateway_error(&raw(&client, Method::POST, &path(A), body).await, 503, "APIG.0201");
    assert_eq!(emu.state().v2_phase(A), Some(V2Phase::Running), "a 503 fault has no effect");
    let dropped = client.try_send(Method::POST, &path(A), &[], body.as_bytes()).await;
    assert!(dropped.is_err(), "reset_after_effect answers nothing");
    assert_eq!(emu.state().v2_phase(A), Some(V2Phase::Terminating), "but the terminate took effect");
    assert_eq!(emu.state().v2_effective_terminates(A), 1);
    let attempts: Vec<u32> = emu
        .state()
        .journal()
        .iter()
        .filter(|e| e.training_job_id.as_deref() == Some(A))
        .map(|e| e.attempt)
        .collect();
    assert_eq!(attempts, [1, 2]);

    // A fault on the list through the admin API, by its JSON route name.
    let fault = json!({"route": "v2_list", "steps": [{"throttle": {"retry_after": 3}}]});
    assert_eq!(raw(&client, Method::POST, "/__emulator/faults", &fault.to_string()).await.status, 200);
    let throttled = raw(&client, Method::POST, &v2_path(&client, "/training-job-searches"), "{}").await;
    assert_gateway_error(&throttled, 429, "APIG.0308");
    assert_eq!(throttled.header("retry-after"), Some("3"));

    // The not-found fault answers a v2 body on v2 routes.
    emu.state().add_faults(FaultScript::new(RouteSelector::V2Show).step(FaultStep::not_found())).unwrap();
    let missing = client.get(&v2_path(&client, &format!("/training-jobs/{B}"))).await;
    assert_v2_error(&missing, 404, "ModelArts.2775");

    // The throttle mode covers v2 routes.
    emu.state().set_throttle(Some(ThrottleSettings::per_second(1)));
    let show = v2_path(&client, &format!("/training-jobs/{B}"));
    let replies = [client.get(&show).await.status.as_u16(), client.get(&show).await.status.as_u16()];
    assert!(replies.contains(&429), "{replies:?}");
    emu.state().set_throttle(None);

    // The journal can be filtered by training job id.
    let j = client
        .get(&format!("/__emulator/journal?route=v2_terminate&training_job_id={}", B.to_uppercase()))
        .await
        .json();
    assert_eq!(j["entries"].as_array().unwrap().len(), 1, "{j}");
    assert_eq!(j["entries"][0]["training_job_id"], B);
    emu.shutdown().await;
}

#[tokio::test]
async fn admin_api_seeds_lists_and_clears_v2_jobs_and_reset_restores_them() {
    let (emu, client) = start(open_config().generate_v2_jobs(2), Proto::Auto).await;
    let listed = client.get("/__emulator/v2/jobs").await.json();
    let generated: Vec<String> =
        listed["jobs"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(generated.len(), 2);
    assert!(
        generated.iter().all(|id| modelarts_protocol::v2::TrainingJobId::is_uuid_shaped(id)),
        "{generated:?}"
    );
    assert!(listed["jobs"].as_array().unwrap().iter().all(|j| j["phase"] == "Running"));

    let seeded = raw(
        &client,
        Method::POST,
        "/__emulator/v2/jobs",
        &json!([{"id": A, "phase": "Failed"}, {}]).to_string(),
    )
    .await;
    assert_eq!(seeded.status, 200);
    let new_ids = seeded.json()["jobs"].as_array().unwrap().clone();
    assert_eq!(new_ids[0], A);
    assert_eq!(emu.state().v2_jobs().len(), 4);
    for bad in [
        json!({"phase": "Sleeping"}),
        json!({"node_count": 0}),
        json!({"id": "a/b"}),
        json!({"terminate_result": "Running"}),
        json!({"colour": 1}),
    ] {
        let reply = raw(&client, Method::POST, "/__emulator/v2/jobs", &bad.to_string()).await;
        assert_eq!(reply.status, 400, "{bad}");
    }
    let settings = raw(&client, Method::POST, "/__emulator/settings", r#"{"v2_already_stopped":"success"}"#)
        .await
        .json();
    assert_eq!(settings["v2_already_stopped"], "success");

    emu.state().reset();
    let after: Vec<String> = emu.state().v2_jobs().into_iter().map(|j| j.id).collect();
    assert_eq!(
        after,
        {
            let mut g = generated.clone();
            g.sort();
            g
        },
        "a reset regenerates the same ids"
    );
    assert_eq!(emu.state().settings().v2_already_stopped, AlreadyStoppedPolicy::Conflict);
    assert_eq!(raw(&client, Method::DELETE, "/__emulator/v2/jobs", "").await.status, 200);
    assert!(emu.state().v2_jobs().is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn seed_file_sections_and_the_binary_flag() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("seed.json");
    std::fs::write(
        &file,
        json!({"jobs": [{"job_id": 7}], "v2_jobs": [{"id": A, "name": "from-file"}]}).to_string(),
    )
    .unwrap();
    let cfg = open_config().seed_file(&file).unwrap();
    assert_eq!((cfg.jobs.len(), cfg.v2_jobs.len()), (1, 1));
    assert_eq!(cfg.jobs[0], JobSeed::new(7));
    std::fs::write(&file, r#"[{"job_id": 8}]"#).unwrap();
    let cfg = open_config().seed_file(&file).unwrap();
    assert_eq!((cfg.jobs.len(), cfg.v2_jobs.len()), (1, 0));
    std::fs::write(&file, r#"{"v2_jobs": [{"phase": "Nope"}]}"#).unwrap();
    assert!(open_config().seed_file(&file).is_err());

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_modelarts-emulator"))
        .args(["--v2-jobs", "3", "--auth", "off", "--v2-already-stopped", "ok-false"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line)
        .unwrap();
    let start: Value = serde_json::from_str(&line).unwrap();
    let http = common::client_for(None, Proto::H1);
    let url = format!(
        "{}/v2/{}/training-job-searches",
        start["endpoint"].as_str().unwrap(),
        start["project_id"].as_str().unwrap()
    );
    let request = http::Request::post(url).body(Full::new(Bytes::from_static(b"{}"))).unwrap();
    let response = http.request(request).await.unwrap();
    let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    let settings = http
        .request(
            http::Request::get(format!("{}/settings", start["admin"].as_str().unwrap()))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    let settings = http_body_util::BodyExt::collect(settings.into_body()).await.unwrap().to_bytes();
    // Stopped before any assertion, so that a failure leaves no process behind.
    child.kill().unwrap();
    let _ = child.wait();
    let page: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(page["total"], 3, "{page}");
    let settings: Value = serde_json::from_slice(&settings).unwrap();
    assert_eq!(settings["v2_already_stopped"], "ok-false");
    assert_eq!(settings["already_stopped"], "bad-request");
}

const ABSENT: &str = "The API does not exist or has not been published in the environment";

#[tokio::test]
async fn without_the_v1_api_every_v1_training_job_route_is_apig_0101_and_the_rest_stays() {
    let cfg = EmulatorConfig::default()
        .v1_absent(true)
        .job(JobSeed::running(10, 20).workspace("ws-v1"))
        .v2_job(V2JobSeed::running(A).name("v2-job"));
    let (emu, client) = start(cfg, Proto::H1).await;
    let v1 = [
        (Method::GET, client.jobs_path("")),
        (Method::GET, client.jobs_path("?page=1&per_page=100")),
        (Method::GET, client.jobs_path("/10/versions")),
        (Method::GET, client.show_path(10, 20)),
        (Method::POST, client.stop_path(10, 20)),
        (Method::GET, client.jobs_path("/10/versions/20/aom-log?log_file=x")),
        (Method::GET, client.jobs_path("/10/versions/20/log/file-names")),
        (Method::GET, client.jobs_path("/")),
        (Method::DELETE, client.jobs_path("/10")),
    ];
    for (method, path) in &v1 {
        // Signed or not: the gateway does not know the API, so it checks nothing else.
        let signed = client.signed(method.clone(), path).await;
        let unsigned = client.send(method.clone(), path, &[]).await;
        for reply in [signed, unsigned] {
            assert_eq!(assert_gateway_error(&reply, 404, "APIG.0101"), ABSENT, "{method} {path}");
            assert_common_headers(&reply);
            assert_eq!(reply.header("content-type"), Some("application/json"));
        }
    }
    let journal = emu.state().take_journal();
    assert_eq!(journal.len(), 2 * v1.len());
    assert!(journal.iter().all(|e| e.route.as_str() == "unknown" && e.status == Some(404)), "{journal:?}");
    // The version was not stopped; v2, the workspace list and IAM answer as usual.
    assert_eq!(emu.state().version_status(10, 20), Some(modelarts_emulator::status::RUNNING));
    let page = signed(&emu, &client, &ListTrainingJobsV2::new(project(&client))).await;
    assert_eq!(page.status, 200);
    assert_eq!(names(&page.json()), ["v2-job"]);
    let workspaces = client.signed(Method::GET, &format!("/v1/{}/workspaces", client.project)).await;
    assert_eq!(workspaces.status, 200, "{}", String::from_utf8_lossy(&workspaces.body));
    let workspaces = workspaces.json();
    let ids: Vec<&str> =
        workspaces["workspaces"].as_array().unwrap().iter().map(|w| w["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["ws-v1", "0"]);
    let iam = client.signed(Method::GET, "/v3/projects?name=cn-north-4").await;
    assert_eq!(iam.status, 200);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_search_reads_the_default_workspace_unless_told_and_the_workspace_list_names_each() {
    let cfg = open_config()
        .v2_job(V2JobSeed::running(A).name("in-default").create_time(2_000))
        .v2_job(V2JobSeed::running(B).name("in-ws-1").workspace("ws-1").create_time(1_000))
        .job(JobSeed::running(10, 20).workspace("ws-v1"));
    let (emu, client) = start(cfg, Proto::H1).await;
    // (body, names, total, workspace_id echoed)
    let cases = [
        (json!({}), vec!["in-default"], 1, "0"),
        (json!({"sort_by": "name", "order": "asc"}), vec!["in-default"], 1, "0"),
        (json!({"workspace_id": "0"}), vec!["in-default"], 1, "0"),
        (json!({"workspace_id": "ws-1"}), vec!["in-ws-1"], 1, "ws-1"),
        (
            json!({"workspace_id": "ws-1", "filters": [{"key": "phase", "operator": "in", "value": ["Running"]}]}),
            vec!["in-ws-1"],
            1,
            "ws-1",
        ),
        (
            json!({"workspace_id": "ws-1", "filters": [{"key": "name", "operator": "like", "value": ["default"]}]}),
            vec![],
            0,
            "ws-1",
        ),
        (json!({"workspace_id": "nowhere"}), vec![], 0, "nowhere"),
    ];
    for (body, expected, total, workspace) in cases {
        let page = list(&client, body.clone()).await;
        assert_eq!(names(&page), expected, "{body}");
        assert_eq!(page["total"], total, "{body}");
        assert_eq!(page["workspace_id"], workspace, "{body}");
    }
    let snapshots = emu.state().v2_jobs();
    let workspaces: Vec<(&str, &str)> =
        snapshots.iter().map(|j| (j.name.as_str(), j.workspace_id.as_str())).collect();
    assert_eq!(workspaces, [("in-ws-1", "ws-1"), ("in-default", "0")]);
    let in_ws_1 = list(&client, json!({"workspace_id": "ws-1"})).await;
    assert_eq!(in_ws_1["items"][0]["metadata"]["workspace_id"], "ws-1");
    // Show and terminate find a job whatever its workspace.
    assert_eq!(client.get(&v2_path(&client, &format!("/training-jobs/{B}"))).await.status, 200);

    let path = format!("/v1/{}/workspaces", client.project);
    let all = client.get(&path).await;
    assert_eq!(all.status, 200, "{}", String::from_utf8_lossy(&all.body));
    assert_common_headers(&all);
    let all = all.json();
    assert_eq!((all["total_count"].as_u64(), all["count"].as_u64()), (Some(3), Some(3)), "{all}");
    let listed: Vec<(&str, &str)> = all["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["id"].as_str().unwrap(), w["name"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [("ws-v1", "ws-v1"), ("ws-1", "ws-1"), ("0", "default")]);
    let ws1 = &all["workspaces"][1];
    for field in [
        "description",
        "owner",
        "enterprise_project_id",
        "enterprise_project_name",
        "auth_type",
        "status_info",
    ] {
        assert!(ws1[field].is_string(), "{field}: {ws1}");
    }
    assert_eq!((ws1["status"].as_str(), ws1["create_time"].as_u64()), (Some("NORMAL"), Some(1_000)));
    let page = client.get(&format!("{path}?limit=2&offset=1&order=asc")).await.json();
    assert_eq!((page["total_count"].as_u64(), page["count"].as_u64()), (Some(3), Some(1)), "{page}");
    assert_eq!(page["workspaces"][0]["id"], "ws-v1");
    assert_eq!(client.get(&format!("{path}?name=DEF")).await.json()["workspaces"][0]["id"], "0");
    common::assert_modelarts_error(&client.get(&format!("{path}?limit=0")).await, 400, "ModelArts.0101");
    common::assert_modelarts_error(&client.get("/v1/0000/workspaces").await, 403, "ModelArts.0210");
    assert_eq!(emu.state().journal().last().unwrap().route.as_str(), "workspaces");
    emu.shutdown().await;
}

#[tokio::test]
async fn the_binary_serves_no_v1_api_with_the_v1_absent_flag() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_modelarts-emulator"))
        .args(["--v1-absent", "--jobs", "2", "--v2-jobs", "1", "--auth", "off"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line)
        .unwrap();
    let start: Value = serde_json::from_str(&line).unwrap();
    let base =
        format!("{}/v1/{}", start["endpoint"].as_str().unwrap(), start["project_id"].as_str().unwrap());
    let http = common::client_for(None, Proto::H1);
    let mut answers = Vec::new();
    for path in ["/training-jobs", "/workspaces"] {
        let request = http::Request::get(format!("{base}{path}")).body(Full::new(Bytes::new())).unwrap();
        let response = http.request(request).await.unwrap();
        let status = response.status().as_u16();
        let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
        answers.push((status, serde_json::from_slice::<Value>(&body).unwrap()));
    }
    // Stopped before any assertion, so that a failure leaves no process behind.
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(answers[0].0, 404);
    assert_eq!(
        (answers[0].1["error_code"].as_str(), answers[0].1["error_msg"].as_str()),
        (Some("APIG.0101"), Some(ABSENT))
    );
    assert_eq!(answers[1].0, 200, "{}", answers[1].1);
}
