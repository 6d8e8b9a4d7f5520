//! Property tests: canonicalisation laws, sign/verify round trips, and parsers that never panic.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use modelarts_protocol::operations::Operation;
use modelarts_protocol::operations::list_training_job_versions::ListTrainingJobVersions;
use modelarts_protocol::operations::list_training_jobs::ListTrainingJobs;
use modelarts_protocol::operations::show_training_job_version::ShowTrainingJobVersion;
use modelarts_protocol::operations::stop_training_job::StopTrainingJob;
use modelarts_protocol::signing::{self, Credentials, SignableRequest, SigningParams};
use modelarts_protocol::{JobId, JobStatus};
use proptest::prelude::*;

fn response(status: u16, body: Vec<u8>) -> http::Response<Bytes> {
    http::Response::builder().status(status).body(Bytes::from(body)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn canonical_query_is_idempotent(q in "[a-zA-Z0-9=&%~._ +-]{0,40}") {
        let once = signing::canonical_query(&q);
        prop_assert_eq!(signing::canonical_query(&once), once.clone());
    }

    #[test]
    fn canonical_uri_is_encoded_and_ends_with_slash(p in "/[ -~\\u{80}-\\u{2FF}]{0,40}") {
        let uri = signing::canonical_uri(&p);
        prop_assert!(uri.ends_with('/'));
        prop_assert!(uri.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%/".contains(&b)), "{}", uri);
        prop_assert_eq!(signing::canonical_uri(&uri), uri.clone());
    }

    #[test]
    fn sign_then_verify_round_trips(
        method in prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]),
        segs in prop::collection::vec("[a-zA-Z0-9 ~._+-]{1,8}", 1..4),
        query in prop::collection::vec(("[a-z_]{1,6}", "[a-zA-Z0-9 ./+~-]{0,8}"), 0..4),
        body in prop::collection::vec(any::<u8>(), 0..64),
        extra in "[a-zA-Z0-9 ]{0,16}",
        secs in 0u64..4_000_000_000,
    ) {
        let path: String = segs.iter().map(|s| format!("/{}", signing::encode_component(s))).collect();
        let q: Vec<String> = query.iter().map(|(k, v)| format!("{}={}", k, signing::encode_component(v))).collect();
        let q = q.join("&");
        let uri = if q.is_empty() { path.clone() } else { format!("{path}?{q}") };
        let time = UNIX_EPOCH + Duration::from_secs(secs);
        let creds = Credentials::new("AK", "SK-secret");
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("https://h.example:8443{uri}"))
            .header("content-type", "application/json")
            .header("x-custom", extra.trim())
            .body(body.clone())
            .unwrap();
        let out = signing::sign(&SignableRequest::from_http(&request), &SigningParams::new(&creds, time)).unwrap();
        out.apply_to(&mut request);
        let (parts, body) = request.into_parts();
        let lookup = |ak: &str| (ak == "AK").then(|| "SK-secret".to_owned());
        prop_assert!(signing::verify(&parts, &body, &lookup, time, Duration::from_secs(900)).is_ok());
        let mut other = body.clone();
        other.push(b'!');
        prop_assert_eq!(
            signing::verify(&parts, &other, &lookup, time, Duration::from_secs(900)),
            Err(signing::VerifyError::SignatureMismatch)
        );
    }

    #[test]
    fn parsers_never_panic(status in 100u16..600, body in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = StopTrainingJob::parse_response(response(status, body.clone()));
        let _ = ShowTrainingJobVersion::parse_response(response(status, body.clone()));
        let _ = ListTrainingJobs::parse_response(response(status, body.clone()));
        let _ = ListTrainingJobVersions::parse_response(response(status, body));
    }

    #[test]
    fn json_shaped_bodies_never_panic(status in prop::sample::select(vec![200u16, 400, 429, 503]), v in json_value()) {
        let body = serde_json::to_vec(&v).unwrap();
        let _ = ShowTrainingJobVersion::parse_response(response(status, body.clone()));
        let _ = ListTrainingJobs::parse_response(response(status, body));
    }

    #[test]
    fn authorization_parser_never_panics(s in "\\PC{0,120}") {
        let _ = signing::parse_authorization(&s);
    }

    #[test]
    fn ids_parse_or_explain(s in "\\PC{0,24}") {
        match s.parse::<JobId>() {
            Ok(id) => prop_assert!(id.get() > 0 && id.get() <= i64::MAX as u64),
            Err(e) => prop_assert!(e.to_string().starts_with("invalid job_id")),
        }
    }

    #[test]
    fn valid_ids_round_trip(n in 1u64..=i64::MAX as u64) {
        prop_assert_eq!(n.to_string().parse::<JobId>().unwrap().get(), n);
    }

    #[test]
    fn status_codes_round_trip(code in any::<i32>()) {
        prop_assert_eq!(JobStatus::from_code(code).code(), code);
    }

    #[test]
    fn sdk_dates_round_trip(secs in 0u64..253_402_300_799) {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        let text = signing::format_sdk_date(t).unwrap();
        prop_assert_eq!(signing::parse_sdk_date(&text), Some(t));
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let keys = prop::sample::select(vec![
        "is_success",
        "error_code",
        "error_msg",
        "error_message",
        "job_id",
        "version_id",
        "status",
        "jobs",
        "versions",
        "duration",
        "model_metric_list",
        "parameter",
        "job_total_count",
        "x",
    ]);
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(serde_json::Value::from),
        "[0-9a-z{}\\[\\]\":,]{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map(keys.clone(), inner, 0..6).prop_map(|m| serde_json::Value::Object(
                m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}
