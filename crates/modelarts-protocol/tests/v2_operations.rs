//! The v2 operations: request shapes, the signed JSON body against the official SDK's vector, and
//! response parsing (202 job object, v2 error bodies, drifts).
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use modelarts_protocol::error::ErrorClass;
use modelarts_protocol::operations::Operation;
use modelarts_protocol::operations::list_training_jobs::Order;
use modelarts_protocol::operations::v2::list::{Filter, FilterOperator, ListTrainingJobsV2};
use modelarts_protocol::operations::v2::show::ShowTrainingJob;
use modelarts_protocol::operations::v2::terminate::{TERMINATE_BODY, TerminateTrainingJob};
use modelarts_protocol::signing::{self, Credentials, parse_sdk_date};
use modelarts_protocol::v2::{Phase, StopClass, TrainingJobId};
use modelarts_protocol::{Auth, BuildError, Endpoint, ProjectId, ResponseError, auth};
use serde_json::Value;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const JOB: &str = "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab";
const VECTORS: &str = include_str!("fixtures/sign-vectors.json");

fn project() -> ProjectId {
    PROJECT.parse().unwrap()
}

fn job_id() -> TrainingJobId {
    JOB.parse().unwrap()
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
    let base = format!("https://modelarts.cn-north-4.myhuaweicloud.com/v2/{PROJECT}");
    let terminate = TerminateTrainingJob::new(project(), job_id()).build_request(&endpoint()).unwrap();
    let show = ShowTrainingJob::new(project(), job_id()).build_request(&endpoint()).unwrap();
    let list = ListTrainingJobsV2::new(project()).build_request(&endpoint()).unwrap();
    let cases = [
        (
            &terminate,
            "POST",
            format!("{base}/training-jobs/{JOB}/actions"),
            &br#"{"action_type": "terminate"}"#[..],
        ),
        (&show, "GET", format!("{base}/training-jobs/{JOB}"), &b""[..]),
        (&list, "POST", format!("{base}/training-job-searches"), &b"{}"[..]),
    ];
    for (request, method, uri, body) in cases {
        assert_eq!(request.method(), method, "{uri}");
        assert_eq!(request.uri().to_string(), uri);
        assert_eq!(request.headers()["x-project-id"], PROJECT);
        assert_eq!(request.body().as_ref(), body, "{uri}");
    }
    assert_eq!(terminate.headers()["content-type"], "application/json;charset=utf-8");
    assert_eq!(list.headers()["content-type"], "application/json;charset=utf-8");
    const {
        assert!(
            !TerminateTrainingJob::IDEMPOTENT
                && ShowTrainingJob::IDEMPOTENT
                && ListTrainingJobsV2::IDEMPOTENT
        )
    };
}

/// The terminate request as built by the operation, signed, equals the official Python SDK's
/// `v2_stop_json_body` vector byte for byte: same body, same `Content-Type`, same signature. The
/// vector's job id is `abc-123`, which is no UUID (the type refuses it), so the built request's path
/// is pointed at the vector's before signing; everything else is the operation's own.
#[test]
fn terminate_matches_the_official_sdk_vector() {
    let all: Value = serde_json::from_str(VECTORS).unwrap();
    let case = all["cases"].as_array().unwrap().iter().find(|c| c["name"] == "v2_stop_json_body").unwrap();
    let mut request =
        TerminateTrainingJob::new(case["project_id"].as_str().unwrap().parse().unwrap(), job_id())
            .build_request(&endpoint())
            .unwrap();
    assert_eq!(request.body().as_ref(), case["body"].as_str().unwrap().as_bytes());
    assert_eq!(request.body().as_ref(), TERMINATE_BODY);
    assert_eq!(request.headers()["content-type"], case["headers_in"]["Content-Type"].as_str().unwrap());
    assert_eq!(request.uri().host(), case["host"].as_str());
    assert_eq!(request.uri().path().replace(JOB, "abc-123"), case["resource_path_in"].as_str().unwrap());
    *request.uri_mut() = case["url"].as_str().unwrap().parse().unwrap();

    let credentials = Credentials::new(case["ak"].as_str().unwrap(), case["sk"].as_str().unwrap());
    let date = parse_sdk_date(case["date_used"].as_str().unwrap()).unwrap();
    let out = signing::sign(
        &signing::SignableRequest::from_http(&request),
        &signing::SigningParams::new(&credentials, date),
    )
    .unwrap();
    assert_eq!(out.canonical_request(), case["canonical_request"].as_str().unwrap());
    assert_eq!(out.authorization(), case["authorization"].as_str().unwrap());

    // The same request through `auth::authorize`, and every header the SDK sent.
    auth::authorize(&mut request, &Auth::AkSk(credentials), date).unwrap();
    for (name, value) in case["headers_out"].as_object().unwrap() {
        if name == "Host" {
            assert_eq!(request.uri().authority().unwrap().as_str(), value.as_str().unwrap());
        } else {
            assert_eq!(request.headers()[name.as_str()], value.as_str().unwrap(), "{name}");
        }
    }
}

/// With the real UUID path the signed request passes the verifier the emulator uses.
#[test]
fn a_signed_terminate_with_a_uuid_verifies() {
    let mut request = TerminateTrainingJob::new(project(), job_id()).build_request(&endpoint()).unwrap();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    auth::authorize(&mut request, &Auth::AkSk(Credentials::new("AK", "SK")), now).unwrap();
    let (parts, body) = request.into_parts();
    let lookup = |ak: &str| (ak == "AK").then(|| "SK".to_owned());
    signing::verify(&parts, &body, &lookup, now, Duration::from_secs(900)).unwrap();
    // The body is signed: another body fails.
    assert!(
        signing::verify(&parts, br#"{"action_type":"terminate"}"#, &lookup, now, Duration::from_secs(900))
            .is_err()
    );
}

#[test]
fn list_body_table() {
    let mut q = ListTrainingJobsV2::new(project());
    assert_eq!(q.body().unwrap(), b"{}");
    q.offset = Some(2);
    q.limit = Some(50);
    q.sort_by = Some("create_time".into());
    q.order = Some(Order::Asc);
    q.workspace_id = Some("0".into());
    q.filters = vec![Filter::name_like("bert"), Filter::phase_in(&[Phase::Running, Phase::Pending])];
    let body: Value = serde_json::from_slice(&q.body().unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"offset":2,"limit":50,"sort_by":"create_time","order":"asc","workspace_id":"0",
            "filters":[{"key":"name","operator":"like","value":["bert"]},
                       {"key":"phase","operator":"in","value":["Running","Pending"]}]})
    );
    assert_eq!(q.at_offset(7).offset, Some(7));

    let bad: Vec<(ListTrainingJobsV2, &str)> = vec![
        (ListTrainingJobsV2 { limit: Some(0), ..ListTrainingJobsV2::new(project()) }, "limit"),
        (ListTrainingJobsV2 { limit: Some(51), ..ListTrainingJobsV2::new(project()) }, "limit"),
        (
            ListTrainingJobsV2 { sort_by: Some(String::new()), ..ListTrainingJobsV2::new(project()) },
            "sort_by",
        ),
        (
            ListTrainingJobsV2 { group_by: Some("g".repeat(65)), ..ListTrainingJobsV2::new(project()) },
            "group_by",
        ),
        (
            ListTrainingJobsV2 {
                filters: vec![Filter {
                    key: "create_time".into(),
                    operator: FilterOperator::Between,
                    value: vec!["1".into()],
                }],
                ..ListTrainingJobsV2::new(project())
            },
            "filters.value",
        ),
    ];
    for (query, field) in bad {
        match query.build_request(&endpoint()) {
            Err(BuildError::InvalidParameter { name, .. }) => assert_eq!(name, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[test]
fn filters_are_checked_on_the_client() {
    let job: modelarts_protocol::v2::TrainingJob = serde_json::from_str(&format!(
        r#"{{"metadata":{{"id":"{JOB}","name":"BERT-finetune"}},"status":{{"phase":"Running"}}}}"#
    ))
    .unwrap();
    let cases = [
        (Filter::name_like("bert"), true),
        (Filter::name_like("gpt"), false),
        (Filter::phase_in(&[Phase::Running]), true),
        (Filter::phase_in(&[Phase::Terminated, Phase::Failed]), false),
        (Filter::id_in([JOB.to_uppercase()]), true),
        (Filter::id_in(["00000000-0000-0000-0000-000000000000"]), false),
        (Filter { key: "phase".into(), operator: FilterOperator::Not, value: vec!["Running".into()] }, false),
        (
            Filter { key: "name".into(), operator: FilterOperator::In, value: vec!["BERT-finetune".into()] },
            true,
        ),
        (Filter { key: "flavor".into(), operator: FilterOperator::In, value: vec!["x".into()] }, true),
    ];
    for (filter, expected) in cases {
        assert_eq!(filter.matches(&job), expected, "{filter:?}");
    }
    let mut q = ListTrainingJobsV2::new(project());
    q.filters = vec![Filter::name_like("bert"), Filter::phase_in(&[Phase::Terminated])];
    assert!(!q.matches(&job));
}

#[test]
fn terminate_answer_202_is_the_job_object() {
    let body = format!(
        r#"{{"kind":"job","metadata":{{"id":"{JOB}","name":"j"}},"status":{{"phase":"Terminating","secondary_phase":"Terminating","duration":1200}}}}"#
    );
    let job = TerminateTrainingJob::parse_response(response(202, &body)).unwrap();
    assert_eq!(job.id(), Some(job_id()));
    assert_eq!(job.stop_class(), StopClass::Stopping);
    let job = ShowTrainingJob::parse_response(response(200, &body)).unwrap();
    assert_eq!(job.duration_ms(), Some(1200));
    let list = ListTrainingJobsV2::parse_response(response(
        200,
        &format!(r#"{{"total":"3","count":1,"limit":1,"offset":0,"sort_by":"create_time","order":"desc","items":[{body}]}}"#),
    ))
    .unwrap();
    assert_eq!((list.total, list.count, list.items.len()), (Some(3), Some(1), 1));
}

#[test]
fn v2_error_bodies_table() {
    let cases = [
        (
            409,
            r#"{"error_code":"ModelArts.2796","error_msg":"The job cannot be terminated."}"#,
            ErrorClass::Conflict,
            Some("ModelArts.2796"),
        ),
        (
            400,
            r#"{"error_code":"ModelArts.2775","error_msg":"Training job not found"}"#,
            ErrorClass::NotFound,
            Some("ModelArts.2775"),
        ),
        (
            404,
            r#"{"error_code":"ModelArts.2775","error_msg":"Training job not found"}"#,
            ErrorClass::NotFound,
            Some("ModelArts.2775"),
        ),
        (
            409,
            r#"{"error_code":"ModelArts.2878","error_msg":"status changed"}"#,
            ErrorClass::Conflict,
            Some("ModelArts.2878"),
        ),
        (
            429,
            r#"{"error_code":"APIG.0308","error_msg":"throttled","request_id":"r-9"}"#,
            ErrorClass::Throttling,
            Some("APIG.0308"),
        ),
        (
            429,
            r#"{"error_code":"ModelArts.2799","error_msg":"too many"}"#,
            ErrorClass::Throttling,
            Some("ModelArts.2799"),
        ),
        (429, "", ErrorClass::Throttling, None),
        (
            200,
            r#"{"error_code":"ModelArts.2796","error_msg":"no"}"#,
            ErrorClass::Conflict,
            Some("ModelArts.2796"),
        ),
    ];
    for (status, body, class, code) in cases {
        let err = TerminateTrainingJob::parse_response(response(status, body)).unwrap_err();
        let api = err.api_error().unwrap_or_else(|| panic!("{status} {body}: {err:?}"));
        assert_eq!(api.class(), class, "{status} {body}");
        assert_eq!(api.code(), code, "{status} {body}");
        assert!(err.request_id().is_some(), "{status} {body}");
    }
}

#[test]
fn malformed_answers_are_typed_errors() {
    let show_bodies =
        ["", "not json", "[1,2]", r#"{"status":"Running"}"#, r#"{"metadata":{"create_time":"x"}}"#];
    let list_bodies =
        ["", "not json", r#"{"items":{}}"#, r#"{"total":"many"}"#, r#"{"items":[{"status":[]}]}"#];
    let errors = show_bodies
        .iter()
        .map(|b| ShowTrainingJob::parse_response(response(200, b)).unwrap_err())
        .chain(list_bodies.iter().map(|b| ListTrainingJobsV2::parse_response(response(200, b)).unwrap_err()));
    for err in errors {
        assert!(matches!(err, ResponseError::Malformed { http_status: 200, .. }), "{err:?}");
        assert_eq!(err.request_id(), Some("hdr-req-1"));
    }
    // The show of an odd body that is still an object works leniently.
    assert!(ShowTrainingJob::parse_response(response(200, "{}")).is_ok());
}
