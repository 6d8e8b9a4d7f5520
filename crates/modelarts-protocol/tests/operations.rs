//! Request building and response parsing for every operation, including every documented drift and
//! error shape.
#![allow(clippy::unwrap_used, missing_docs)]

use bytes::Bytes;
use modelarts_protocol::error::ErrorClass;
use modelarts_protocol::operations::Operation;
use modelarts_protocol::operations::list_training_job_versions::ListTrainingJobVersions;
use modelarts_protocol::operations::list_training_jobs::{ListTrainingJobs, Order, SortBy};
use modelarts_protocol::operations::show_training_job_version::ShowTrainingJobVersion;
use modelarts_protocol::operations::stop_training_job::StopTrainingJob;
use modelarts_protocol::{BuildError, Endpoint, JobStatus, ProjectId, ResponseError, signing};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";

fn project() -> ProjectId {
    PROJECT.parse().unwrap()
}

fn endpoint() -> Endpoint {
    Endpoint::for_region("cn-north-4").unwrap()
}

fn response(status: u16, body: &str) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-request-id", "hdr-req-1")
        .body(Bytes::from(body.to_owned()))
        .unwrap()
}

#[test]
fn request_shapes() {
    let base = format!("https://modelarts.cn-north-4.myhuaweicloud.com/v1/{PROJECT}");
    let stop = StopTrainingJob::new(project(), "10".parse().unwrap(), "11".parse().unwrap())
        .build_request(&endpoint())
        .unwrap();
    let show = ShowTrainingJobVersion::new(project(), "10".parse().unwrap(), "11".parse().unwrap())
        .build_request(&endpoint())
        .unwrap();
    let versions =
        ListTrainingJobVersions::new(project(), "10".parse().unwrap()).build_request(&endpoint()).unwrap();
    let list = ListTrainingJobs::new(project()).build_request(&endpoint()).unwrap();
    let cases = [
        (&stop, "POST", format!("{base}/training-jobs/10/versions/11/stop")),
        (&show, "GET", format!("{base}/training-jobs/10/versions/11")),
        (&versions, "GET", format!("{base}/training-jobs/10/versions")),
        (&list, "GET", format!("{base}/training-jobs")),
    ];
    for (request, method, uri) in cases {
        assert_eq!(request.method(), method);
        assert_eq!(request.uri().to_string(), uri);
        assert_eq!(request.headers()["content-type"], "application/json");
        assert_eq!(request.headers()["x-project-id"], PROJECT);
        assert!(request.body().is_empty(), "no body for {uri}");
    }
}

#[test]
fn list_query_is_canonical_so_the_wire_query_is_the_signed_one() {
    let mut input = ListTrainingJobs::new(project());
    input.query.status = Some(JobStatus::Running);
    input.query.per_page = Some(10);
    input.query.page = Some(1);
    input.query.sort_by = Some(SortBy::JobName);
    input.query.order = Some(Order::Asc);
    input.query.search = Some("my job+1".into());
    input.query.workspace_id = Some("0".into());
    let request = input.build_request(&endpoint()).unwrap();
    let query = request.uri().query().unwrap();
    assert_eq!(
        query,
        "order=asc&page=1&per_page=10&search_content=my%20job%2B1&sortBy=job_name&status=8&workspace_id=0"
    );
    assert_eq!(signing::canonical_query(query), query);
}

#[test]
fn list_parameters_are_range_checked() {
    let bad = [
        (Some(0), None, None, "per_page"),
        (Some(1001), None, None, "per_page"),
        (None, Some(0), None, "page"),
        (None, Some(65_536), None, "page"),
        (None, None, Some("x".repeat(65)), "search_content"),
    ];
    for (per_page, page, search, name) in bad {
        let mut input = ListTrainingJobs::new(project());
        input.query.per_page = per_page;
        input.query.page = page;
        input.query.search = search;
        match input.build_request(&endpoint()) {
            Err(BuildError::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
            other => panic!("{name}: {other:?}"),
        }
    }
    let mut versions = ListTrainingJobVersions::new(project(), "1".parse().unwrap());
    versions.per_page = Some(5);
    versions.page = Some(1);
    assert_eq!(versions.build_request(&endpoint()).unwrap().uri().query(), Some("page=1&per_page=5"));
}

#[test]
fn stop_success_and_failure_shapes() {
    assert!(StopTrainingJob::parse_response(response(200, r#"{"is_success": true}"#)).is_ok());
    assert!(
        StopTrainingJob::parse_response(response(200, r#"{"is_success": "true", "extra": [1]}"#)).is_ok()
    );

    // (status, body, code, message, request id, class)
    let cases = [
        (
            200,
            r#"{"is_success": false, "error_message": "Error string", "error_code": "ModelArts.0105"}"#,
            Some("ModelArts.0105"),
            Some("Error string"),
            Some("hdr-req-1"),
            ErrorClass::Conflict,
        ),
        (
            400,
            r#"{"is_success": false, "error_msg": "old field name", "error_code": "ModelArts.2775"}"#,
            Some("ModelArts.2775"),
            Some("old field name"),
            Some("hdr-req-1"),
            ErrorClass::NotFound,
        ),
        (
            429,
            r#"{"error_code": "APIG.0308", "error_msg": "policy user over ratelimit", "request_id": "body-req"}"#,
            Some("APIG.0308"),
            Some("policy user over ratelimit"),
            Some("body-req"),
            ErrorClass::Throttling,
        ),
        (
            401,
            r#"{"error_code": "APIGW.0301", "error_msg": "verify aksk signature fail", "request_id": "r2"}"#,
            Some("APIGW.0301"),
            Some("verify aksk signature fail"),
            Some("r2"),
            ErrorClass::Auth,
        ),
        (503, "", None, None, Some("hdr-req-1"), ErrorClass::Server),
        (
            409,
            r#"{"error_code": "ModelArts.2796"}"#,
            Some("ModelArts.2796"),
            None,
            Some("hdr-req-1"),
            ErrorClass::Conflict,
        ),
    ];
    for (status, body, code, message, request_id, class) in cases {
        let err = StopTrainingJob::parse_response(response(status, body)).unwrap_err();
        let api = err.api_error().unwrap_or_else(|| panic!("{body}: {err:?}"));
        assert_eq!(api.http_status, status, "{body}");
        assert_eq!(api.code(), code, "{body}");
        assert_eq!(api.message(), message, "{body}");
        assert_eq!(api.request_id(), request_id, "{body}");
        assert_eq!(api.class(), class, "{body}");
    }
}

#[test]
fn html_gateway_page_is_a_bare_http_error_with_an_excerpt() {
    let page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    let response = http::Response::builder()
        .status(502)
        .header("content-type", "text/html")
        .body(Bytes::from(page))
        .unwrap();
    let err = ShowTrainingJobVersion::parse_response(response).unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(api.http_status, 502);
    assert_eq!(api.code(), None);
    assert!(api.message().unwrap().contains("502 Bad Gateway"), "{api:?}");
    assert!(api.message().unwrap().contains("text/html"));
    assert!(api.is_server_error());
}

#[test]
fn a_redirect_is_an_error_naming_its_target_without_the_query() {
    let response = http::Response::builder()
        .status(302)
        .header("location", "https://login.example.com/sso?ticket=secret-ticket#x")
        .header("content-type", "text/html")
        .body(Bytes::from("<html>moved</html>"))
        .unwrap();
    let err = StopTrainingJob::parse_response(response).unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(api.http_status, 302);
    assert_eq!(api.code(), None);
    assert_eq!(api.message(), Some("a redirect to https://login.example.com/sso (not followed)"));
    assert!(!api.is_server_error() && !api.is_throttling());
    let bare = http::Response::builder().status(307).body(Bytes::new()).unwrap();
    let err = ShowTrainingJobVersion::parse_response(bare).unwrap_err();
    assert_eq!(err.api_error().unwrap().message(), Some("a redirect (not followed)"));
}

#[test]
fn unparseable_success_bodies_are_malformed_with_status_and_excerpt() {
    let cases = [
        r#"{"is_success": true, "job_id": 10, "version_id": 1, "sta"#,
        "<html>oops</html>",
        r#"{"is_success": true, "job_id": 10}"#,
        r#"{"is_success": true, "job_id": 10, "version_id": 1, "status": "running"}"#,
        r#"[1,2,3]"#,
        "",
    ];
    for body in cases {
        match ShowTrainingJobVersion::parse_response(response(200, body)) {
            Err(ResponseError::Malformed { http_status, excerpt, request_id, .. }) => {
                assert_eq!(http_status, 200);
                assert_eq!(excerpt, body.chars().take(512).collect::<String>());
                assert_eq!(request_id.as_deref(), Some("hdr-req-1"));
            }
            other => panic!("{body:?}: {other:?}"),
        }
    }
}

/// The documented sample, with the documented drifts: numbers as strings, strings as numbers,
/// JSON in strings, nulls, unknown fields.
const VERSION_DETAIL: &str = r#"{
  "is_success": true,
  "job_id": 10,
  "job_name": "TestModelArtsJob",
  "job_desc": "",
  "version_id": "10",
  "version_name": "V0001",
  "pre_version_id": null,
  "engine_type": "",
  "engine_id": 1,
  "engine_name": "TensorFlow",
  "engine_version": "TF-1.4.0-python2.7",
  "status": "9",
  "app_url": "/usr/app/",
  "boot_file_url": "/usr/app/boot.py",
  "create_time": 1524189990635,
  "parameter": [{"label": "learning_rate", "value": 0.01}, {"label": "epochs", "value": "10"}],
  "duration": "532",
  "spec_id": 1,
  "core": 2,
  "cpu": "8",
  "gpu_num": 1,
  "gpu_type": "P100",
  "worker_server_num": 1,
  "data_url": "/usr/data/",
  "train_url": "/usr/train/",
  "log_url": "/usr/log/",
  "dataset_version_id": "2ff0d6ba-c480-45ae-be41-09a8369bfc90",
  "dataset_id": "38277e62-9e59-48f4-8d89-c8cf41622c24",
  "data_source": [{"type": "obs", "data_url": "/qianjiajun-test/minst/data/"}],
  "model_id": 1,
  "model_metric_list": "{\"metric\":[{\"metric_values\":{\"recall\":0.005,\"precision\":0.004,\"accuracy\":0.000}}],\"total_metric\":{\"total_metric_values\":{\"f1_score\":0.0,\"recall\":0.0}}}",
  "system_metric_list": {"cpuUsage": ["0", "0"], "memUsage": ["0"], "gpuUtil": ["0"]},
  "user_image_url": "100.125.5.235:20202/jobmng/custom-cpu-base:1.0",
  "user_command": "bash -x /home/work/run_train.sh python /home/work/user-job-dir/app/mnist/mnist_softmax.py --data_url /home/work/user-job-dir/app/mnist_data",
  "resource_id": "JOB3f1fd3d3a8ec4b6c8e5e9d7f6c3a8b1e",
  "dataset_name": "dataset-test",
  "dataset_version_name": "dataset-version-test",
  "start_time": 1563045000000,
  "volumes": [{"nfs": {"id": "43b37236-9afa-4855-8174-32254b9562e7", "src_path": "192.168.8.150:/", "dest_path": "/home/work/nas", "read_only": false}}],
  "pool_id": "pool9928813f",
  "pool_name": "p100",
  "nas_mount_path": "/home/work/nas",
  "nas_share_addr": "192.168.8.150:/",
  "nas_type": "nfs",
  "flavor_code": "modelarts.vm.cpu.2u",
  "is_zombie": 0
}"#;

#[test]
fn version_detail_with_every_drift() {
    let v = ShowTrainingJobVersion::parse_response(response(200, VERSION_DETAIL)).unwrap();
    assert_eq!(v.job_id.unwrap().get(), 10);
    assert_eq!(v.version_id.get(), 10);
    assert_eq!(v.status, JobStatus::Killing);
    assert_eq!(v.duration, Some(532));
    assert_eq!(v.engine_type, None);
    assert_eq!(v.pre_version_id, None);
    assert_eq!(v.core.as_deref(), Some("2"));
    assert_eq!(v.cpu.as_deref(), Some("8"));
    let params = v.parameter.as_ref().unwrap();
    assert_eq!(params[0].value.as_deref(), Some("0.01"));
    assert_eq!(params[1].value.as_deref(), Some("10"));
    let metrics = v.model_metric_list.as_ref().unwrap().value().unwrap();
    assert_eq!(metrics["total_metric"]["total_metric_values"]["recall"], 0.0);
    assert_eq!(v.system_metric_list.as_ref().unwrap().value().unwrap()["cpuUsage"][0], "0");
    assert_eq!(v.data_source.as_ref().unwrap()[0].kind.as_deref(), Some("obs"));
    assert_eq!(v.volumes.as_ref().unwrap().len(), 1);
    assert_eq!(v.nas_type.as_deref(), Some("nfs"));
    assert_eq!(v.start_time, Some(1_563_045_000_000));
}

#[test]
fn version_list_with_json_arrays_in_strings() {
    let body = r#"{
      "is_success": true, "job_id": "10", "job_name": "j", "job_desc": "d", "version_count": 2,
      "versions": [
        {"version_id": 11, "status": 8, "gpu": true, "engine_type": 1,
         "system_metric_list": "{\"cpuUsage\":[\"1\"],\"gpuMemUsage\":[]}",
         "volumes": "[]", "parameter": "[{\"label\":\"a\",\"value\":\"b\"}]", "data_source": null},
        {"version_id": 10, "status": 12, "gpu": "false", "model_metric_list": "not json at all"}
      ]
    }"#;
    let list = ListTrainingJobVersions::parse_response(response(200, body)).unwrap();
    assert_eq!(list.job_id.unwrap().get(), 10);
    assert_eq!(list.version_count, Some(2));
    let [a, b] = &list.versions[..] else { panic!("two versions") };
    assert_eq!(a.status, JobStatus::Running);
    assert_eq!(a.gpu, Some(true));
    assert_eq!(a.system_metric_list.as_ref().unwrap().value().unwrap()["cpuUsage"][0], "1");
    assert_eq!(a.volumes.as_deref(), Some(&[][..]));
    assert_eq!(a.parameter.as_ref().unwrap()[0].label.as_deref(), Some("a"));
    assert_eq!(b.status, JobStatus::Killed);
    assert_eq!(b.gpu, Some(false));
    // A metric string that is not JSON is kept as it came.
    let kept = b.model_metric_list.as_ref().unwrap();
    assert_eq!(kept.value().unwrap(), "not json at all");
    assert_eq!(kept.get(), r#""not json at all""#);
}

#[test]
fn job_list_shapes() {
    let body = r#"{
      "is_success": true, "job_total_count": "2", "job_count_limit": 8, "quotas": 10,
      "jobs": [
        {"job_id": 10, "job_name": "a", "version_id": 11, "status": 8, "create_time": 1524189990635,
         "duration": 5, "job_desc": "", "version_count": 1},
        {"job_id": "12", "job_name": 34, "version_id": "13", "status": "22"}
      ]
    }"#;
    let list = ListTrainingJobs::parse_response(response(200, body)).unwrap();
    assert_eq!(list.job_total_count, Some(2));
    assert_eq!(list.jobs.len(), 2);
    assert_eq!(list.jobs[1].job_name.as_deref(), Some("34"));
    assert_eq!(list.jobs[1].status, JobStatus::MountFailed);
    assert_eq!(list.jobs[1].version_id.unwrap().get(), 13);

    // An empty page is an empty array; `"jobs": null` is malformed (see below).
    let empty = ListTrainingJobs::parse_response(response(200, r#"{"is_success":true,"jobs":[]}"#)).unwrap();
    assert!(empty.jobs.is_empty());
}

#[test]
fn unknown_status_codes_are_kept() {
    let v = ShowTrainingJobVersion::parse_response(response(
        200,
        r#"{"is_success":true,"job_id":1,"version_id":2,"status":77}"#,
    ))
    .unwrap();
    assert_eq!(v.status, JobStatus::Unknown(77));
}

/// Answers without the fields that carry the answer are malformed (with the excerpt and the request
/// ID), never an accepted stop, an empty list or a job without versions.
#[test]
fn answers_without_their_required_fields_are_malformed() {
    fn check<T: std::fmt::Debug>(what: &str, body: &str, result: Result<T, ResponseError>) {
        match result {
            Err(ResponseError::Malformed { http_status: 200, excerpt, request_id, reason }) => {
                assert_eq!(excerpt, body, "{what}");
                assert_eq!(request_id.as_deref(), Some("hdr-req-1"), "{what} {body}");
                assert!(!reason.is_empty());
            }
            other => panic!("{what} {body:?}: {other:?}"),
        }
    }
    for body in ["{}", "[]", "[true]", r#"{"is_success": null}"#, r#"{"error_message": "x"}"#, "null", "true"]
    {
        check("stop", body, StopTrainingJob::parse_response(response(200, body)));
    }
    for body in ["{}", "[]", r#"{"jobs": null}"#, r#"{"is_success": true, "job_total_count": 5}"#, "[[]]"] {
        check("list", body, ListTrainingJobs::parse_response(response(200, body)));
    }
    for body in ["{}", "[]", r#"{"versions": null, "job_id": 10}"#, r#"{"is_success": true}"#] {
        check("versions", body, ListTrainingJobVersions::parse_response(response(200, body)));
    }
    // serde reads a struct from an array: `[job_id, version_id, …, status]` must not pass as a version.
    let positional = "[10, 20, null, null, null, null, null, null, null, null, 8]";
    check("show", positional, ShowTrainingJobVersion::parse_response(response(200, positional)));
    // Still lenient where the answer does not depend on it.
    assert!(ListTrainingJobs::parse_response(response(200, r#"{"jobs": []}"#)).unwrap().jobs.is_empty());
    assert!(
        ListTrainingJobVersions::parse_response(response(200, r#" {"versions": [], "job_id": "10"}"#))
            .is_ok()
    );
    assert!(StopTrainingJob::parse_response(response(200, r#"{"is_success": 1}"#)).is_ok());
}
