//! `--dry-run`: a signed request rendered as an HTTP message and as a `curl` command, with every
//! secret masked, for people to read and check. Nothing is sent.
//!
//! Masked: the `Signature=` of `Authorization` (a signature is a reusable credential for the
//! signing time window), the values of `X-Security-Token`, `X-Auth-Token`, `Cookie` and
//! `Proxy-Authorization`, and any header value marked sensitive. The SK itself is never in a
//! request; the curl command cannot be replayed as printed, by design.

use bytes::Bytes;
use http::header::{AUTHORIZATION, HeaderName};
use http::{HeaderValue, Request};
use serde::Serialize;

/// What replaces a secret.
pub(crate) const MASK: &str = "****";

const SECRET_HEADERS: [&str; 5] =
    ["x-security-token", "x-auth-token", "cookie", "proxy-authorization", "x-subject-token"];

/// A request ready to print, with secrets already masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct MaskedRequest {
    pub(crate) method: String,
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl MaskedRequest {
    /// Masks a signed request.
    pub(crate) fn new(request: &Request<Bytes>) -> Self {
        let mut headers: Vec<(String, String)> = Vec::new();
        if !request.headers().contains_key(http::header::HOST)
            && let Some(authority) = request.uri().authority()
        {
            headers.push(("host".to_owned(), authority.to_string()));
        }
        for (name, value) in request.headers() {
            headers.push((name.as_str().to_owned(), mask_value(name, value)));
        }
        Self {
            method: request.method().as_str().to_owned(),
            url: request.uri().to_string(),
            headers,
            body: modelarts_sdk::secrets::mask(&String::from_utf8_lossy(request.body())).into_owned(),
        }
    }

    /// The request as an HTTP/1.1 message.
    pub(crate) fn http_message(&self) -> String {
        let target = self
            .url
            .find("://")
            .and_then(|i| self.url[i + 3..].find('/').map(|j| &self.url[i + 3 + j..]))
            .unwrap_or("/");
        let mut text = format!("{} {} HTTP/1.1\n", self.method, target);
        for (name, value) in &self.headers {
            text.push_str(&format!("{name}: {value}\n"));
        }
        text.push('\n');
        text.push_str(&self.body);
        text
    }

    /// The request as a `curl` command (POSIX shell quoting).
    pub(crate) fn curl(&self) -> String {
        let mut parts = vec![format!("curl --request {} {}", self.method, shell_quote(&self.url))];
        for (name, value) in &self.headers {
            if name == "host" {
                continue;
            }
            parts.push(format!("--header {}", shell_quote(&format!("{name}: {value}"))));
        }
        if !self.body.is_empty() || self.method == "POST" {
            parts.push(format!("--data-binary {}", shell_quote(&self.body)));
        }
        parts.join(" \\\n  ")
    }
}

fn mask_value(name: &HeaderName, value: &HeaderValue) -> String {
    if *name == AUTHORIZATION {
        return mask_authorization(value.to_str().unwrap_or(""));
    }
    if value.is_sensitive() || SECRET_HEADERS.contains(&name.as_str()) {
        return MASK.to_owned();
    }
    match value.to_str() {
        Ok(text) => modelarts_sdk::secrets::mask_header_value(text).into_owned(),
        Err(_) => format!("<{} non-ASCII bytes>", value.len()),
    }
}

/// Keeps the scheme, `Access=` and `SignedHeaders=` of an `SDK-HMAC-SHA256` header and masks the
/// signature; any other scheme is masked whole after its name.
fn mask_authorization(value: &str) -> String {
    let (scheme, params) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case(modelarts_protocol::signing::ALGORITHM) {
        return format!("{scheme} {MASK}");
    }
    let masked: Vec<String> = params
        .split(',')
        .map(|part| {
            let trimmed = part.trim();
            match trimmed.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("Signature") => format!("{key}={MASK}"),
                Some((key, v))
                    if key.eq_ignore_ascii_case("Access") || key.eq_ignore_ascii_case("SignedHeaders") =>
                {
                    format!("{key}={v}")
                }
                Some((key, _)) => format!("{key}={MASK}"),
                None => MASK.to_owned(),
            }
        })
        .collect();
    format!("{scheme} {}", masked.join(", "))
}

pub(crate) fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request<Bytes> {
        let mut token = HeaderValue::from_static("sensitive-by-flag");
        token.set_sensitive(true);
        Request::post("https://modelarts.eu-de.otc.t-systems.com/v1/p/training-jobs/1/versions/2/stop")
            .header(
                "authorization",
                "SDK-HMAC-SHA256 Access=AKID, SignedHeaders=host;x-sdk-date, Signature=deadbeefcafe",
            )
            .header("x-sdk-date", "20240101T000000Z")
            .header("x-security-token", "temporary-token-value")
            .header("x-auth-token", "iam-token-value")
            .header("x-custom", token)
            .body(Bytes::from_static(b"{}"))
            .unwrap()
    }

    #[test]
    fn secrets_are_masked_everywhere() {
        let masked = MaskedRequest::new(&request());
        let everything = format!("{}\n{}\n{:?}", masked.http_message(), masked.curl(), masked);
        for secret in ["deadbeefcafe", "temporary-token-value", "iam-token-value", "sensitive-by-flag"] {
            assert!(!everything.contains(secret), "{secret} leaked:\n{everything}");
        }
        assert!(everything.contains("Access=AKID"));
        assert!(everything.contains("Signature=****"));
        assert!(everything.contains("x-sdk-date: 20240101T000000Z"));
    }

    #[test]
    fn http_message_and_curl_shapes() {
        let masked = MaskedRequest::new(&request());
        let http = masked.http_message();
        assert!(http.starts_with(
            "POST /v1/p/training-jobs/1/versions/2/stop HTTP/1.1\nhost: modelarts.eu-de.otc.t-systems.com\n"
        ));
        assert!(http.ends_with("\n\n{}"));
        let curl = masked.curl();
        assert!(curl.starts_with(
            "curl --request POST 'https://modelarts.eu-de.otc.t-systems.com/v1/p/training-jobs/1/versions/2/stop' \\\n  --header "
        ));
        assert!(curl.ends_with(" \\\n  --data-binary '{}'"));
    }

    #[test]
    fn authorization_table() {
        let cases = [
            ("Bearer abc", "Bearer ****"),
            (
                "SDK-HMAC-SHA256 Access=A, SignedHeaders=h, Signature=s",
                "SDK-HMAC-SHA256 Access=A, SignedHeaders=h, Signature=****",
            ),
            ("SDK-HMAC-SHA256 garbage", "SDK-HMAC-SHA256 ****"),
        ];
        for (input, expected) in cases {
            assert_eq!(mask_authorization(input), expected);
        }
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
