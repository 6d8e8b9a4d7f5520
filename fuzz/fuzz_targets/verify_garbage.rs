//! Arbitrary request parts and Authorization headers through the verifier: it may refuse, never panic.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use arbitrary::Arbitrary;
use http::{HeaderName, HeaderValue, Method, Request};
use libfuzzer_sys::fuzz_target;
use modelarts_protocol::signing::{self, ALGORITHM};

#[derive(Debug, Arbitrary)]
enum Authorization<'a> {
    Raw(&'a [u8]),
    /// Well-formed enough to reach the later checks.
    Shaped {
        access: &'a str,
        signed_headers: &'a str,
        signature: &'a str,
        hex_signature: [u8; 32],
        use_hex: bool,
    },
}

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    method: &'a str,
    uri: &'a str,
    headers: Vec<(&'a str, &'a [u8])>,
    date: Option<&'a str>,
    authorization: Option<Authorization<'a>>,
    body: &'a [u8],
    now_secs: i64,
    tolerance_secs: u64,
    known_key: bool,
}

fuzz_target!(|input: Input<'_>| {
    let mut request = Request::new(input.body.to_vec());
    if let Ok(method) = Method::from_bytes(input.method.as_bytes()) {
        *request.method_mut() = method;
    }
    if let Ok(uri) = input.uri.parse() {
        *request.uri_mut() = uri;
    }
    let headers = request.headers_mut();
    for (name, value) in &input.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(value)) {
            headers.append(n, v);
        }
    }
    if let Some(v) = input.date.and_then(|d| HeaderValue::from_str(d).ok()) {
        headers.insert("x-sdk-date", v);
    }
    let authorization = match &input.authorization {
        None => None,
        Some(Authorization::Raw(raw)) => Some(raw.to_vec()),
        Some(Authorization::Shaped { access, signed_headers, signature, hex_signature, use_hex }) => {
            let sig = if *use_hex { hex_encode(hex_signature) } else { (*signature).to_owned() };
            Some(
                format!("{ALGORITHM} Access={access}, SignedHeaders={signed_headers}, Signature={sig}")
                    .into_bytes(),
            )
        }
    };
    if let Some(v) = authorization.and_then(|a| HeaderValue::from_bytes(&a).ok()) {
        if let Ok(text) = v.to_str() {
            if let Ok(parsed) = signing::parse_authorization(text) {
                assert_eq!(parsed.signature.len(), 64);
                assert!(!parsed.access_key.is_empty());
            }
        }
        headers.insert(http::header::AUTHORIZATION, v);
    }
    let (parts, body) = request.into_parts();
    let now = if input.now_secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(input.now_secs.unsigned_abs())
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(input.now_secs.unsigned_abs())).unwrap_or(UNIX_EPOCH)
    };
    let known = input.known_key;
    let lookup = move |_: &str| known.then(|| "secret".to_owned());
    let _ = signing::verify(&parts, &body, &lookup, now, Duration::from_secs(input.tolerance_secs));
    let _ = signing::verify(&parts, &body, &lookup, now, signing::DEFAULT_TOLERANCE);
});

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
