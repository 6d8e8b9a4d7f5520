//! The SDK against a hostile server (`modelarts_reliability::hostile`): answers the emulator never
//! sends. Each must end in a typed error after a bounded number of requests, never in a silent
//! success, a hang or a panic.

use futures_util::StreamExt;
use modelarts_protocol::ResponseError;
use modelarts_protocol::pagination::{MAX_WALK_ITEMS, WalkError};
use modelarts_reliability::hostile::{
    HostileServer, Reply, endless_page, endless_page_v2, v2_job, v2_job_id, v2_search_page,
};
use modelarts_sdk::{Client, Credentials, Error, ErrorCategory, ListQuery, V2ListQuery};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const RUNNING_VERSION: &str = r#"{"is_success":true,"job_id":10,"version_id":20,"status":8}"#;

fn client(server: &HostileServer, attempts: u32) -> Client {
    Client::builder()
        .endpoint_url(&server.url())
        .allow_http(true)
        .project_id(PROJECT)
        .credentials(Credentials::new("HOSTILEAK", "HOSTILESK"))
        .max_attempts(attempts)
        .jitter(|| 0.0)
        .env(|_| None)
        .build()
        .expect("client")
}

fn assert_malformed(error: &Error, body: &str) {
    match error {
        Error::Response {
            source: ResponseError::Malformed { http_status, excerpt, request_id, .. }, ..
        } => {
            assert_eq!(*http_status, 200);
            assert_eq!(excerpt, body);
            assert_eq!(request_id.as_deref(), Some("hostile-request"));
        }
        other => panic!("{body}: not a malformed response: {other:?}"),
    }
    assert_eq!(error.category(), ErrorCategory::Malformed);
}

#[tokio::test]
async fn endless_pages_end_at_the_one_item_bound() {
    // Ignores `page`, invents 100 new jobs per request and claims 10^12: the item bound of both
    // APIs ends it, after the 100,000 jobs read.
    let server = HostileServer::start(|n, _| endless_page(n, 100, 1_000_000_000_000)).unwrap();
    let client = client(&server, 1);
    let mut stream = std::pin::pin!(client.list_training_jobs_all(ListQuery::default()));
    let (mut jobs, mut error) = (0usize, None);
    while let Some(item) = stream.next().await {
        match item {
            Ok(_) => {
                assert!(error.is_none(), "a job after the error");
                jobs += 1;
            }
            Err(e) => {
                assert!(error.is_none(), "a second error");
                error = Some(e);
            }
        }
    }
    match error {
        Some(Error::Walk(WalkError::TooManyItems { limit, announced })) => {
            assert_eq!(limit, MAX_WALK_ITEMS);
            assert_eq!(announced, Some(1_000_000_000_000));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(jobs, MAX_WALK_ITEMS);
    assert_eq!(server.requests(), MAX_WALK_ITEMS / 100 + 1);
}

#[tokio::test]
async fn endless_large_pages_end_at_the_item_bound() {
    let server = HostileServer::start(|n, _| endless_page(n, 1000, 1_000_000_000_000)).unwrap();
    let client = client(&server, 1);
    let query = ListQuery::default().with_per_page(1000);
    let items: Vec<_> = client.list_training_jobs_all(query).collect().await;
    let last = items.last().unwrap();
    assert!(matches!(last, Err(Error::Walk(WalkError::TooManyItems { limit: 100_000, .. }))), "{last:?}");
    assert_eq!(items.len(), 100_001);
    assert_eq!(server.requests(), 101);
}

#[tokio::test]
async fn a_server_ignoring_page_is_an_error_after_two_requests() {
    let server = HostileServer::start(|_, _| endless_page(0, 100, 1_000_000_000_000)).unwrap();
    let client = client(&server, 1);
    let items: Vec<_> = client.list_training_jobs_all(ListQuery::default()).collect().await;
    assert!(matches!(items.last(), Some(Err(Error::Walk(WalkError::RepeatedPage { page: 2, .. })))));
    assert_eq!(server.requests(), 2);
    let error = client.running_versions(None).await.unwrap_err();
    assert!(matches!(error, Error::Walk(_)), "{error:?}");
}

#[tokio::test]
async fn a_v2_search_ignoring_offset_is_an_error_after_two_requests() {
    // 49 jobs and one without an ID, every time: the second page is dropped, the error comes last.
    let mut jobs: Vec<String> = (0..49).map(|i| v2_job(Some(&v2_job_id(i)), "Running")).collect();
    jobs.push(v2_job(None, "Running"));
    let server = HostileServer::always(v2_search_page(&jobs, 1_000_000_000_000)).unwrap();
    let walker = client(&server, 1);
    let items: Vec<_> = walker.list_training_jobs_v2_all(V2ListQuery::default()).collect().await;
    assert_eq!(items.len(), 51);
    assert!(items[..50].iter().all(Result::is_ok));
    assert!(
        matches!(items[50], Err(Error::Walk(WalkError::RepeatedPage { page: 2, items: 50, .. }))),
        "{:?}",
        items[50]
    );
    assert_eq!(server.requests(), 2);
    let error = walker.running_training_jobs_v2(None).await.unwrap_err();
    assert!(matches!(error, Error::Walk(_)), "{error:?}");
    // Endless fresh pages: the item bound, after the 100,000 jobs read.
    let server = HostileServer::start(|n, _| endless_page_v2(n, 50, 1_000_000_000_000)).unwrap();
    let items: Vec<_> = client(&server, 1).list_training_jobs_v2_all(V2ListQuery::default()).collect().await;
    assert_eq!(items.len(), 100_001);
    let last = items.last().unwrap();
    assert!(matches!(last, Err(Error::Walk(WalkError::TooManyItems { limit: 100_000, .. }))), "{last:?}");
    assert_eq!(server.requests(), 2_001);
}

#[tokio::test]
async fn a_stop_answered_without_is_success_is_malformed() {
    for body in ["{}", "[]", r#"{"is_success":null}"#] {
        let server = HostileServer::start(move |_, head| match head.method.as_str() {
            "POST" => Reply::json(200, body),
            _ => Reply::json(200, RUNNING_VERSION),
        })
        .unwrap();
        let client = client(&server, 3);
        let error = client.stop_training_job("10".parse().unwrap(), "20".parse().unwrap()).await.unwrap_err();
        assert_malformed(&error, body);
        // An unreadable answer to a stop is ambiguous: the status is read before each re-send.
        let posts = server.log().iter().filter(|h| h.method == "POST").count();
        assert_eq!(posts, 3, "{body}");
        assert_eq!(server.requests() - posts, 3, "{body}: one status read after each unreadable answer");
    }
}

#[tokio::test]
async fn a_list_without_jobs_is_malformed_not_empty() {
    for body in ["{}", "[]", r#"{"jobs":null}"#, r#"{"is_success":true,"job_total_count":3}"#] {
        let server = HostileServer::always(Reply::json(200, body)).unwrap();
        let client = client(&server, 1);
        let error = client.list_training_jobs(ListQuery::default()).await.unwrap_err();
        assert_malformed(&error, body);
        let error = client.running_versions(None).await.unwrap_err();
        assert_malformed(&error, body);
    }
}

#[tokio::test]
async fn a_v2_search_without_items_is_malformed_not_empty() {
    for body in ["{}", r#"{"items":null,"total":5}"#, r#"{"total":3,"count":3}"#] {
        let server = HostileServer::always(Reply::json(200, body)).unwrap();
        let client = client(&server, 1);
        let error = client.list_training_jobs_v2(&V2ListQuery::default()).await.unwrap_err();
        assert_malformed(&error, body);
        let error = client.running_training_jobs_v2(None).await.unwrap_err();
        assert_malformed(&error, body);
    }
}

#[tokio::test]
async fn versions_without_a_list_are_malformed() {
    // The list names no version, so `running_versions` asks for the versions, which are `{}`.
    let server = HostileServer::start(|_, head| {
        if head.path().ends_with("/versions") {
            Reply::json(200, "{}")
        } else {
            Reply::json(200, r#"{"is_success":true,"job_total_count":1,"jobs":[{"job_id":10,"status":8}]}"#)
        }
    })
    .unwrap();
    let error = client(&server, 1).running_versions(None).await.unwrap_err();
    assert_malformed(&error, "{}");
}

#[tokio::test]
async fn garbage_huge_headers_and_resets_are_errors() {
    let huge = "x".repeat(1024 * 1024);
    let cases = [
        ("garbage", Reply::Raw(b"\x00\x1b[2J not http at all\r\n\r\n".to_vec()), ErrorCategory::Transient),
        (
            "huge header",
            Reply::json(200, RUNNING_VERSION).with_header("X-Huge", &huge),
            ErrorCategory::Transient,
        ),
        ("reset", Reply::Reset, ErrorCategory::Transient),
        ("close", Reply::Close, ErrorCategory::Transient),
        ("status 999", Reply::json(999, RUNNING_VERSION), ErrorCategory::ServiceRefused),
        (
            "truncated",
            Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"is_".to_vec()),
            ErrorCategory::Transient,
        ),
    ];
    for (what, reply, category) in cases {
        let server = HostileServer::always(reply).unwrap();
        let result =
            client(&server, 2).show_training_job_version("10".parse().unwrap(), "20".parse().unwrap()).await;
        let error = result.expect_err(what);
        assert_eq!(error.category(), category, "{what}: {error:?}");
        // Idempotent: retried, and no more than the attempts allow.
        assert!(server.requests() <= 2, "{what}: {}", server.requests());
    }
}
