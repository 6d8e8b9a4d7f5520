//! The small text parsers (IDs, status names, Retry-After and HTTP dates, X-Sdk-Date, endpoint URLs):
//! never panic, and what they accept round-trips.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use modelarts_protocol::operations::Operation;
use modelarts_protocol::operations::show_training_job_version::ShowTrainingJobVersion;
use modelarts_protocol::retry::{parse_http_date, parse_retry_after};
use modelarts_protocol::signing::{Credentials, format_sdk_date, parse_sdk_date};
use modelarts_protocol::{Auth, Endpoint, JobId, JobStatus, ProjectId, VersionId, auth};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };

    if let Ok(id) = text.parse::<JobId>() {
        assert!(id.get() > 0 && id.get() <= i64::MAX as u64);
        assert_eq!(id.to_string().parse::<JobId>(), Ok(id));
        assert_eq!(JobId::new(id.get()), Ok(id));
    }
    if let Ok(id) = text.parse::<VersionId>() {
        assert_eq!(id.to_string().parse::<VersionId>(), Ok(id));
    }
    match text.parse::<ProjectId>() {
        Ok(id) => {
            assert_eq!(id.as_str(), text);
            assert_eq!(id.to_string().parse::<ProjectId>(), Ok(id.clone()));
        }
        Err(e) => assert!(e.to_string().starts_with("invalid project_id")),
    }
    let _ = serde_json::from_str::<JobId>(text);
    let _ = serde_json::from_str::<JobStatus>(text);

    if let Some(status) = JobStatus::from_name(text) {
        assert_eq!(JobStatus::from_name(&status.code().to_string()), Some(status));
        assert_eq!(JobStatus::from_code(status.code()), status);
        let _ = (status.to_string(), status.meaning(), status.is_terminal());
    }

    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let _ = parse_retry_after(text, now);
    if let Some(at) = parse_http_date(text) {
        let _ = parse_retry_after(text, at);
    }
    if let Some(t) = parse_sdk_date(text) {
        assert_eq!(parse_sdk_date(&format_sdk_date(t).expect("a parsed date formats")), Some(t));
    }

    if let Ok(endpoint) = Endpoint::from_url(text) {
        let again = Endpoint::from_url(&endpoint.url()).expect("an endpoint's own URL parses");
        assert_eq!(again, endpoint);
        // Every valid endpoint yields a request that can be signed.
        let op = ShowTrainingJobVersion::new(
            ProjectId::new("0123456789abcdef0123456789abcdef").expect("valid"),
            JobId::new(10).expect("valid"),
            VersionId::new(3).expect("valid"),
        );
        let mut request = op.build_request(&endpoint).expect("a valid endpoint builds requests");
        auth::authorize(&mut request, &Auth::AkSk(Credentials::new("AK", "SK")), now).expect("signs");
    }
});
