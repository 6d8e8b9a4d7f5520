//! Inputs found by the fuzz targets (`fuzz/`, `cargo xtask fuzz`), kept as table-driven regressions.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, UNIX_EPOCH};

use modelarts_protocol::signing::{self, Credentials, SignableRequest, SigningParams};

/// `sign_verify`: a request that already carries an `Authorization` header (an empty one from the
/// caller, or the one of an earlier signing) was signed *including* that header, which the new
/// signature then replaces, so the verifier always refused it. The header is no longer signed.
#[test]
fn requests_that_already_carry_authorization_sign_and_verify() {
    let earlier =
        "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=".to_owned() + &"0".repeat(64);
    // (case, headers present before signing)
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("fuzz minimised: empty Authorization", &[("authorization", "")]),
        ("empty Authorization and empty Host", &[("authorization", ""), ("host", "")]),
        ("Authorization of an earlier signing", &[("authorization", &earlier)]),
        (
            "bearer token left by the caller",
            &[("authorization", "Bearer abc"), ("content-type", "application/json")],
        ),
        ("repeated Authorization", &[("authorization", "a"), ("authorization", "b")]),
        ("no Authorization (control)", &[("content-type", "application/json")]),
    ];
    let credentials = Credentials::new("AK", "SK");
    let time = UNIX_EPOCH + Duration::from_secs(1_704_164_645);
    let lookup = |ak: &str| (ak == "AK").then(|| "SK".to_owned());
    for (case, headers) in cases {
        let mut builder =
            http::Request::builder().method("GET").uri("https://h.example/v1/p/training-jobs?page=1");
        for (name, value) in *headers {
            builder = builder.header(*name, *value);
        }
        let mut request = builder.body(Vec::<u8>::new()).unwrap();
        let output =
            signing::sign(&SignableRequest::from_http(&request), &SigningParams::new(&credentials, time))
                .unwrap();
        assert!(
            !output.canonical_request().contains("\nauthorization:"),
            "{case}: the Authorization header must not be signed"
        );
        output.apply_to(&mut request);
        let (parts, body) = request.into_parts();
        let verified = signing::verify(&parts, &body, &lookup, time, signing::DEFAULT_TOLERANCE);
        assert!(verified.is_ok(), "{case}: {verified:?}");
        assert!(!verified.unwrap().signed_headers.iter().any(|h| h == "authorization"), "{case}");
    }
}

/// The `Authorization` header is left out of the signed headers whatever the case of its name.
#[test]
fn authorization_is_never_signed_whatever_its_case() {
    let credentials = Credentials::new("AK", "SK");
    let time = UNIX_EPOCH + Duration::from_secs(1_704_164_645);
    for name in ["Authorization", "AUTHORIZATION", "authorization"] {
        let request = SignableRequest::new("GET", "h.example", "/v1/p", "", [(name, "stale")], b"");
        let output = signing::sign(&request, &SigningParams::new(&credentials, time)).unwrap();
        let signed =
            output.authorization().split("SignedHeaders=").nth(1).unwrap().split(',').next().unwrap();
        assert_eq!(signed, "host;x-sdk-date", "{name}");
    }
}
