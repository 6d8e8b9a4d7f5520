//! Arbitrary requests signed then verified: the verifier must accept what the signer produced, and
//! must reject the same request with another body (when the body is hashed) or another query.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use arbitrary::Arbitrary;
use http::{HeaderName, HeaderValue, Method, Request, Uri};
use libfuzzer_sys::fuzz_target;
use modelarts_protocol::signing::{
    self, Credentials, SignableRequest, SigningError, SigningParams, VerifyError, X_SDK_CONTENT_SHA256,
};

/// Header names the signer treats specially, so the fuzzer reaches them without guessing.
const KNOWN_NAMES: &[&str] = &[
    "host",
    "content-type",
    "x-sdk-date",
    "x-sdk-content-sha256",
    "x-security-token",
    "x-project-id",
    "authorization",
    "x_underscored",
    "user-agent",
];
const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"];

#[derive(Debug, Arbitrary)]
enum Name<'a> {
    Known(u8),
    Other(&'a str),
}

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    method: Result<u8, &'a str>,
    authority: Option<&'a str>,
    path: &'a str,
    query: &'a str,
    headers: Vec<(Name<'a>, &'a str)>,
    access_key: &'a str,
    secret_key: &'a str,
    token: Option<&'a str>,
    secs: u32,
    body: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let method = match input.method {
        Ok(i) => Method::from_bytes(METHODS[usize::from(i) % METHODS.len()].as_bytes()),
        Err(m) => Method::from_bytes(m.as_bytes()),
    };
    let Ok(method) = method else { return };
    let authority = input.authority.unwrap_or("modelarts.cn-north-4.myhuaweicloud.com");
    let path = if input.path.starts_with('/') { input.path.to_owned() } else { format!("/{}", input.path) };
    let target = if input.query.is_empty() { path } else { format!("{path}?{}", input.query) };
    let Ok(uri) = format!("https://{authority}{target}").parse::<Uri>() else { return };
    let mut request = Request::new(input.body.to_vec());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    for (name, value) in &input.headers {
        let name = match name {
            Name::Known(i) => HeaderName::from_static(KNOWN_NAMES[usize::from(*i) % KNOWN_NAMES.len()]),
            Name::Other(n) => match HeaderName::from_bytes(n.as_bytes()) {
                Ok(n) => n,
                Err(_) => continue,
            },
        };
        let Ok(value) = HeaderValue::from_str(value) else { continue };
        request.headers_mut().append(name, value);
    }
    // Access keys are issued as letters and digits; the Authorization syntax cannot carry ',' or spaces.
    let access_key: String = input.access_key.chars().filter(char::is_ascii_alphanumeric).collect();
    let access_key = if access_key.is_empty() { "AK".to_owned() } else { access_key };
    let mut credentials = Credentials::new(access_key.clone(), input.secret_key);
    if let Some(token) = input.token {
        credentials = credentials.with_security_token(token);
    }
    let time = UNIX_EPOCH + Duration::from_secs(u64::from(input.secs));

    let output =
        match signing::sign(&SignableRequest::from_http(&request), &SigningParams::new(&credentials, time)) {
            Ok(output) => output,
            // A malformed X-Sdk-Date or a token that is no header value is refused, not signed.
            Err(SigningError::InvalidDate(_) | SigningError::InvalidHeaderValue(_)) => return,
            Err(e) => panic!("unexpected signing error {e:?}"),
        };
    let signature = output.signature().to_owned();
    output.apply_to(&mut request);
    let (parts, body) = request.into_parts();
    let secret = input.secret_key.to_owned();
    let lookup = move |ak: &str| (ak == access_key).then(|| secret.clone());
    let any_time = Duration::from_secs(u64::MAX);

    let verified = signing::verify(&parts, &body, &lookup, time, any_time)
        .unwrap_or_else(|e| panic!("verify rejected a request just signed (signature {signature}): {e:?}"));
    assert!(verified.signed_headers.iter().any(|h| h == "x-sdk-date"));
    assert!(verified.signed_headers.iter().any(|h| h == "host"));

    // Another body: refused unless the body is not hashed (a signed X-Sdk-Content-Sha256).
    if !verified.signed_headers.iter().any(|h| h == X_SDK_CONTENT_SHA256) {
        let mut other = body.clone();
        other.push(b'!');
        assert_eq!(
            signing::verify(&parts, &other, &lookup, time, any_time),
            Err(VerifyError::SignatureMismatch)
        );
    }
    // Another query: always refused.
    let mut tampered = parts.clone();
    let pq = tampered.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let extra = if tampered.uri.query().is_some() { "&zz=1" } else { "?zz=1" };
    let mut uri = tampered.uri.clone().into_parts();
    uri.path_and_query = format!("{pq}{extra}").parse().ok();
    if let Ok(new_uri) = Uri::from_parts(uri) {
        tampered.uri = new_uri;
        assert_eq!(
            signing::verify(&tampered, &body, &lookup, time, any_time),
            Err(VerifyError::SignatureMismatch)
        );
    }
});
