//! Every `SDK-HMAC-SHA256` vector produced by the official Huawei Python SDK, reproduced exactly, and
//! the verifier accepting each one and rejecting tampered variants.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, SystemTime};

use modelarts_protocol::signing::{
    self, Credentials, SignableRequest, SigningParams, VerifyError, canonical_query, parse_sdk_date,
};
use serde_json::Value;

const VECTORS: &str = include_str!("fixtures/sign-vectors.json");

fn vectors() -> Vec<Value> {
    let all: Value = serde_json::from_str(VECTORS).unwrap();
    all["cases"].as_array().unwrap().clone()
}

/// A vector turned into the wire request our signer sees.
struct Case {
    name: String,
    method: String,
    host: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    credentials: Credentials,
    expected_headers: Vec<(String, String)>,
    canonical_request: String,
    string_to_sign: String,
    authorization: String,
    date: SystemTime,
}

fn sdk_hmac_cases() -> Vec<Case> {
    vectors()
        .into_iter()
        .filter(|c| c["authorization"].as_str().is_some_and(|a| a.starts_with("SDK-HMAC-SHA256 ")))
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            // The wire query is the one the SDK sent (it sends its canonical query string).
            let url = s("url");
            let query = url.split_once('?').map(|(_, q)| q.to_owned()).unwrap_or_default();
            let mut headers: Vec<(String, String)> = c["headers_in"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect();
            // BasicCredentials.sign_request adds X-Project-Id before the signer runs.
            if s("sdk_path").starts_with("BasicCredentials") && c["project_id"].is_string() {
                headers.push(("X-Project-Id".into(), s("project_id")));
            }
            let mut credentials = Credentials::new(s("ak"), s("sk"));
            if let Some(token) = c["security_token"].as_str() {
                credentials = credentials.with_security_token(token);
            }
            Case {
                name: s("name"),
                method: s("method"),
                host: s("host"),
                path: s("resource_path_in"),
                query,
                headers,
                body: c["body"].as_str().unwrap_or_default().as_bytes().to_vec(),
                credentials,
                expected_headers: c["headers_out"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap().to_owned()))
                    .collect(),
                canonical_request: s("canonical_request"),
                string_to_sign: s("string_to_sign"),
                authorization: s("authorization"),
                date: parse_sdk_date(&s("date_used")).unwrap(),
            }
        })
        .collect()
}

fn sign_case(case: &Case) -> signing::SigningOutput {
    let request = SignableRequest::new(
        &case.method,
        &case.host,
        &case.path,
        &case.query,
        case.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &case.body,
    );
    signing::sign(&request, &SigningParams::new(&case.credentials, case.date)).unwrap()
}

#[test]
fn vectors_are_all_present() {
    let names: Vec<String> = sdk_hmac_cases().into_iter().map(|c| c.name).collect();
    assert_eq!(names.len(), 17, "{names:?}");
}

#[test]
fn signer_reproduces_every_sdk_hmac_sha256_vector() {
    for case in sdk_hmac_cases() {
        let out = sign_case(&case);
        assert_eq!(out.canonical_request(), case.canonical_request, "{}: canonical request", case.name);
        assert_eq!(out.string_to_sign(), case.string_to_sign, "{}: string to sign", case.name);
        assert_eq!(out.authorization(), case.authorization, "{}: authorization", case.name);

        // The final header set equals the SDK's: our inputs plus the headers the signer adds.
        let mut got: Vec<(String, String)> = case
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .chain(out.headers().iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned())))
            .collect();
        got.sort();
        let mut want = case.expected_headers.clone();
        want.sort();
        assert_eq!(got, want, "{}: headers", case.name);
    }
}

#[test]
fn canonical_only_vectors() {
    for c in vectors() {
        let name = c["name"].as_str().unwrap();
        if name.starts_with("go_sdk_unit_test") {
            // The Go SDK's own tests sign only x-sdk-date, with the secret key "SecretKey".
            let date = c["headers_in"]["X-Sdk-Date"].as_str().unwrap();
            let query: Vec<String> = c["query_params_in"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| format!("{}={}", p[0].as_str().unwrap(), value_text(&p[1])))
                .collect();
            let body = c["body"].as_str().unwrap_or_default();
            let hash = if body.is_empty() {
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_owned()
            } else {
                hex_sha256(body.as_bytes())
            };
            let canonical = signing::canonical_request(
                c["method"].as_str().unwrap(),
                c["resource_path_in"].as_str().unwrap(),
                &query.join("&"),
                &[("x-sdk-date".to_owned(), date.as_bytes())],
                &hash,
            );
            assert_eq!(canonical, c["canonical_request"].as_str().unwrap(), "{name}");
            let sts = signing::string_to_sign(date, &canonical);
            assert_eq!(sts, c["string_to_sign"].as_str().unwrap(), "{name}");
            assert_eq!(signing::signature("SecretKey", &sts), c["signature"].as_str().unwrap(), "{name}");
        } else if name == "python_sdk_unit_test_canonical_query_string" {
            // Wire form in the order given (lists expanded in order); the canonical form sorts by key.
            let mut wire = Vec::new();
            for p in c["query_params_in"].as_array().unwrap() {
                let key = p[0].as_str().unwrap();
                let values = match &p[1] {
                    Value::Array(items) => items.iter().map(value_text).collect(),
                    other => vec![value_text(other)],
                };
                for v in values {
                    wire.push(format!(
                        "{}={}",
                        signing::encode_component(key),
                        signing::encode_component(&v)
                    ));
                }
            }
            assert_eq!(canonical_query(&wire.join("&")), c["expected"].as_str().unwrap());
        }
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

fn hex_sha256(data: &[u8]) -> String {
    use std::fmt::Write;
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    digest.as_ref().iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The request as a server receives it: the signer's headers applied, the path as sent.
fn received(case: &Case) -> (http::request::Parts, Vec<u8>) {
    let out = sign_case(case);
    // Raw characters (spaces, non-ASCII) cannot be in an http::Uri; a client sends them encoded.
    let path: String = case
        .path
        .split('/')
        .map(|seg| {
            if seg.bytes().all(|b| b.is_ascii_graphic() && b != b' ') {
                seg.to_owned()
            } else {
                signing::encode_component(seg).into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let uri = if case.query.is_empty() { path } else { format!("{path}?{}", case.query) };
    let mut builder = http::Request::builder().method(case.method.as_str()).uri(uri);
    for (k, v) in &case.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let mut request = builder.body(case.body.clone()).unwrap();
    out.apply_to(&mut request);
    let (parts, body) = request.into_parts();
    (parts, body)
}

fn secret_lookup(case: &Case) -> impl Fn(&str) -> Option<String> + '_ {
    move |ak| (ak == case.credentials.access_key()).then(|| case.credentials.secret_key().to_owned())
}

#[test]
fn verifier_accepts_every_vector() {
    for case in sdk_hmac_cases() {
        let (parts, body) = received(&case);
        let verified =
            signing::verify(&parts, &body, &secret_lookup(&case), case.date, Duration::from_secs(900))
                .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(verified.access_key, case.credentials.access_key());
        assert_eq!(verified.date, case.date);
    }
}

#[test]
fn verifier_rejects_tampered_requests() {
    let case = sdk_hmac_cases().into_iter().find(|c| c.name == "get_query_sort_and_encode").unwrap();
    let lookup = secret_lookup(&case);
    let check = |parts: &http::request::Parts, body: &[u8]| {
        signing::verify(parts, body, &lookup, case.date, Duration::from_secs(900))
    };
    let (parts, body) = received(&case);
    assert!(check(&parts, &body).is_ok());

    // One changed byte anywhere that is signed breaks the signature.
    let mut p = parts.clone();
    p.method = http::Method::DELETE;
    assert_eq!(check(&p, &body), Err(VerifyError::SignatureMismatch), "method");

    let mut p = parts.clone();
    p.uri = p.uri.to_string().replacen("/v1/", "/v2/", 1).parse().unwrap();
    assert_eq!(check(&p, &body), Err(VerifyError::SignatureMismatch), "path");

    let mut p = parts.clone();
    let tampered_query = p.uri.to_string().replacen("per_page=10", "per_page=11", 1);
    assert_ne!(tampered_query, p.uri.to_string(), "the vector has per_page=10");
    p.uri = tampered_query.parse().unwrap();
    assert_eq!(check(&p, &body), Err(VerifyError::SignatureMismatch), "query");

    let mut p = parts.clone();
    p.headers.insert("x-project-id", "0123456789abcdef0123456789abcdee".parse().unwrap());
    assert_eq!(check(&p, &body), Err(VerifyError::SignatureMismatch), "signed header");

    assert_eq!(check(&parts, b"x"), Err(VerifyError::SignatureMismatch), "body");

    let mut p = parts.clone();
    p.headers.insert("x-sdk-date", "20240102T030406Z".parse().unwrap());
    assert_eq!(check(&p, &body), Err(VerifyError::SignatureMismatch), "date");

    let mut p = parts.clone();
    let auth = p.headers["authorization"].to_str().unwrap().to_owned();
    let last = auth.chars().last().unwrap();
    let flipped = format!("{}{}", &auth[..auth.len() - 1], if last == '0' { '1' } else { '0' });
    p.headers.insert("authorization", flipped.parse().unwrap());
    assert_eq!(check(&p, &body), Err(VerifyError::SignatureMismatch), "signature");

    // Unsigned headers may change freely.
    let mut p = parts.clone();
    p.headers.insert("accept-encoding", "gzip".parse().unwrap());
    assert!(check(&p, &body).is_ok(), "unsigned header");

    // Other reasons.
    let mut p = parts.clone();
    p.headers.remove("authorization");
    assert_eq!(check(&p, &body), Err(VerifyError::MissingAuthorization));

    let mut p = parts.clone();
    p.headers.remove("x-project-id");
    assert_eq!(check(&p, &body), Err(VerifyError::SignedHeaderMissing("x-project-id".into())));

    let nobody = |_: &str| None;
    assert_eq!(
        signing::verify(&parts, &body, &nobody, case.date, Duration::from_secs(900)),
        Err(VerifyError::UnknownAccessKey(case.credentials.access_key().into()))
    );

    let late = case.date + Duration::from_secs(16 * 60);
    assert_eq!(
        signing::verify(&parts, &body, &lookup, late, Duration::from_secs(900)),
        Err(VerifyError::DateOutOfRange { skew_secs: -960 })
    );
    let early = case.date - Duration::from_secs(20 * 60);
    assert_eq!(
        signing::verify(&parts, &body, &lookup, early, Duration::from_secs(900)),
        Err(VerifyError::DateOutOfRange { skew_secs: 1200 })
    );

    let mut p = parts.clone();
    p.headers.insert("authorization", "Bearer abc".parse().unwrap());
    assert_eq!(check(&p, &body), Err(VerifyError::UnsupportedAlgorithm("Bearer".into())));
}

#[test]
fn signing_twice_is_deterministic_and_time_is_an_input() {
    let case = sdk_hmac_cases().remove(0);
    assert_eq!(sign_case(&case).authorization(), sign_case(&case).authorization());
    let request = SignableRequest::new("GET", "h", "/p", "", [], b"");
    let a = signing::sign(&request, &SigningParams::new(&case.credentials, case.date)).unwrap();
    let b =
        signing::sign(&request, &SigningParams::new(&case.credentials, case.date + Duration::from_secs(1)))
            .unwrap();
    assert_ne!(a.signature(), b.signature());
}
