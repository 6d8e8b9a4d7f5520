//! AK/SK request signing (`SDK-HMAC-SHA256`) and its verifier.
//!
//! Shaped like `aws-sigv4`: a [`SignableRequest`] borrows exactly what is signed, [`SigningParams`] carry
//! the credentials and the time (passed in: this module reads no clock), and [`sign`] returns
//! *instructions* ([`SigningOutput`]: the headers to add) instead of mutating a request. Applying them
//! is a separate step ([`SigningOutput::apply_to`]). The server half, [`verify()`] and
//! [`parse_authorization`], lives in [`signing::verify`](mod@verify) (and is re-exported here): it
//! checks a received request with the same canonicalisation, for servers such as the project's
//! emulator.
//!
//! The algorithm is the one of the official Huawei Cloud SDKs (see the crate's test vectors, produced by
//! the official Python SDK):
//!
//! 1. the canonical request is `METHOD\nURI/\nQUERY\nheaders\n\nsigned;headers\nhex(sha256(body))`;
//! 2. the string to sign is `SDK-HMAC-SHA256\n<X-Sdk-Date>\nhex(sha256(canonical request))`;
//! 3. the signature is `hex(HMAC-SHA256(SK, string to sign))`, sent as
//!    `Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<...>, Signature=<...>`.
//!
//! Every header present when signing is signed, except names containing `_` (as the Python SDK does)
//! and `Authorization` itself (which the signature replaces).
//! Repeated query keys keep the order in which they appear: the canonical query string is sorted by key
//! only, with a stable sort. The official Python SDK sends its canonical query string on the wire, so a
//! verifier that keeps the wire order of repeated keys reproduces it exactly.
//!
//! # Example
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use modelarts_protocol::signing::{sign, Credentials, SignableRequest, SigningParams};
//!
//! let credentials = Credentials::new("AKTESTEXAMPLE0000001", "SKtestExampleSecretKey0123456789abcdefgh");
//! let request = SignableRequest::new(
//!     "POST",
//!     "modelarts.cn-north-4.myhuaweicloud.com",
//!     "/v1/0123456789abcdef0123456789abcdef/training-jobs/10/versions/10/stop",
//!     "",
//!     [("Content-Type", "application/json")],
//!     b"",
//! );
//! let time = UNIX_EPOCH + Duration::from_secs(1_704_164_645); // 2024-01-02T03:04:05Z
//! let output = sign(&request, &SigningParams::new(&credentials, time)).unwrap();
//! assert_eq!(
//!     output.signature(),
//!     "7604f83f5a38dbd776d42ce12a1068baa86ec93225b9d78cd34a8560bd93577b"
//! );
//! ```

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::header::{HeaderName, HeaderValue};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

pub mod verify;

// The server half, at its former path too.
pub use verify::{AuthorizationHeader, VerifiedSignature, VerifyError, parse_authorization, verify};

/// The algorithm name that starts the `Authorization` header.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// Header carrying the signing time.
pub const X_SDK_DATE: &str = "x-sdk-date";
/// Header that replaces the body hash (`UNSIGNED-PAYLOAD`) for non-JSON bodies.
pub const X_SDK_CONTENT_SHA256: &str = "x-sdk-content-sha256";
/// Header carrying the security token of temporary credentials.
pub const X_SECURITY_TOKEN: &str = "x-security-token";
/// The value of [`X_SDK_CONTENT_SHA256`] for bodies that are not hashed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// How far the signing time may be from the server's clock (the gateway's documented limit).
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(15 * 60);
/// Hex SHA-256 of the empty string.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Bytes left unencoded in the canonical URI and query: `A-Z a-z 0-9 - _ . ~`.
const CANONICAL: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

const SDK_DATE_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// An access key, its secret key and, for temporary credentials, a security token.
///
/// `Debug` shows the access key only; the secret key and the token are never printed.
#[derive(Clone)]
pub struct Credentials {
    access_key: String,
    secret_key: SecretString,
    security_token: Option<SecretString>,
    /// The HMAC keyed with the secret key, before any data: each signature clones it instead of
    /// hashing the key again. As secret as the key; never printed.
    keyed: Hmac<Sha256>,
}

impl Credentials {
    /// Permanent credentials.
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        let secret_key = secret_key.into();
        let keyed = hmac_key(secret_key.as_bytes());
        Self {
            access_key: access_key.into(),
            secret_key: SecretString::from(secret_key),
            security_token: None,
            keyed,
        }
    }

    /// Adds the security token of temporary credentials (sent and signed as `X-Security-Token`).
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(SecretString::from(token.into()));
        self
    }

    /// The access key (not secret).
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The secret key. Handle with care: never log it.
    pub fn secret_key(&self) -> &str {
        self.secret_key.expose_secret()
    }

    /// The security token, if these are temporary credentials.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_ref().map(|t| t.expose_secret())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("security_token", &self.security_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// What the signer needs besides the request: credentials and the signing time.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    credentials: &'a Credentials,
    time: SystemTime,
}

impl<'a> SigningParams<'a> {
    /// Signs with `credentials` at `time` (the caller's clock, corrected for skew if known).
    pub fn new(credentials: &'a Credentials, time: SystemTime) -> Self {
        Self { credentials, time }
    }
}

/// The parts of a request that are signed, borrowed.
///
/// `Debug` shows header values as text, except those of `Authorization`, `X-Security-Token` and
/// `X-Auth-Token` (a request being verified carries its signature and token).
#[derive(Clone)]
pub struct SignableRequest<'a> {
    method: &'a str,
    host: &'a str,
    path: &'a str,
    query: &'a str,
    headers: Headers<'a>,
    body: &'a [u8],
}

/// The headers of a [`SignableRequest`]: a list given by the caller, or an [`http::HeaderMap`]
/// borrowed as it is (no copy into a list per signature).
#[derive(Clone)]
enum Headers<'a> {
    List(Vec<(&'a str, &'a [u8])>),
    Map(&'a http::HeaderMap),
}

impl<'a> Headers<'a> {
    fn len(&self) -> usize {
        match self {
            Headers::List(list) => list.len(),
            Headers::Map(map) => map.len(),
        }
    }

    /// Name and value of each header, in the order given (a map: its iteration order).
    fn iter(&self) -> impl Iterator<Item = (&'a str, &'a [u8])> + '_ {
        let (list, map) = match self {
            Headers::List(list) => (Some(list.iter().copied()), None),
            Headers::Map(map) => (None, Some(map.iter().map(|(n, v)| (n.as_str(), v.as_bytes())))),
        };
        list.into_iter().flatten().chain(map.into_iter().flatten())
    }
}

impl fmt::Debug for SignableRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, Cow<'_, str>)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let secret = ["authorization", X_SECURITY_TOKEN, "x-auth-token"]
                    .iter()
                    .any(|s| name.eq_ignore_ascii_case(s));
                let shown = if secret { Cow::Borrowed("<redacted>") } else { String::from_utf8_lossy(value) };
                (name, shown)
            })
            .collect();
        f.debug_struct("SignableRequest")
            .field("method", &self.method)
            .field("host", &self.host)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl<'a> SignableRequest<'a> {
    /// A request given as its wire parts: `host` is the authority (with port, if any) used for the
    /// `Host` header when `headers` has none; `path` and `query` (without `?`) as they will be sent.
    pub fn new<I>(
        method: &'a str,
        host: &'a str,
        path: &'a str,
        query: &'a str,
        headers: I,
        body: &'a [u8],
    ) -> Self
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        Self {
            method,
            host,
            path,
            query,
            headers: Headers::List(headers.into_iter().map(|(n, v)| (n, v.as_bytes())).collect()),
            body,
        }
    }

    /// Borrows an [`http::Request`] whose body is already in memory.
    ///
    /// The host is taken from the URI's authority (the `Host` header wins if present).
    pub fn from_http<B: AsRef<[u8]>>(request: &'a http::Request<B>) -> Self {
        Self::from_parts(request.method(), request.uri(), request.headers(), request.body().as_ref())
    }

    fn from_parts(
        method: &'a http::Method,
        uri: &'a http::Uri,
        headers: &'a http::HeaderMap,
        body: &'a [u8],
    ) -> Self {
        Self {
            method: method.as_str(),
            host: uri.authority().map(|a| a.as_str()).unwrap_or(""),
            path: uri.path(),
            query: uri.query().unwrap_or(""),
            headers: Headers::Map(headers),
            body,
        }
    }
}

/// Why a request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigningError {
    /// The request carries an `X-Sdk-Date` header that is not `YYYYMMDDTHHMMSSZ`.
    #[error("the X-Sdk-Date header {0:?} is not of the form YYYYMMDDTHHMMSSZ")]
    InvalidDate(String),
    /// The signing time cannot be written as `YYYYMMDDTHHMMSSZ` (before 1970 or after 9999).
    #[error("the signing time is out of range")]
    TimeOutOfRange,
    /// A header to add is not a valid header value (a credential with control characters).
    #[error("the {0} header would not be a valid header value")]
    InvalidHeaderValue(&'static str),
}

/// The result of [`sign`]: the headers to add, plus the intermediate strings for inspection.
#[derive(Clone)]
pub struct SigningOutput {
    headers: Vec<(HeaderName, HeaderValue)>,
    /// The canonical request followed by the string to sign: one buffer, split at `canonical_len`.
    text: String,
    canonical_len: usize,
    /// The hex signature (ASCII).
    signature: [u8; 64],
}

impl SigningOutput {
    /// The headers to add to the request, `Authorization` last. Secret values are marked sensitive.
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }

    /// The canonical request that was hashed (public for tests and debugging; holds no secret
    /// except the security token, if one is signed).
    pub fn canonical_request(&self) -> &str {
        self.text.get(..self.canonical_len).unwrap_or_default()
    }

    /// The string to sign.
    pub fn string_to_sign(&self) -> &str {
        self.text.get(self.canonical_len..).unwrap_or_default()
    }

    /// The hex signature.
    pub fn signature(&self) -> &str {
        // Only hex digits were written.
        std::str::from_utf8(&self.signature).unwrap_or_default()
    }

    /// The value of the `Authorization` header.
    pub fn authorization(&self) -> &str {
        self.headers.last().and_then(|(_, v)| v.to_str().ok()).unwrap_or_default()
    }

    /// Adds the headers to `request`, replacing any of the same name.
    pub fn apply_to<B>(self, request: &mut http::Request<B>) {
        let headers = request.headers_mut();
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
    }
}

impl fmt::Debug for SigningOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The headers hold the Authorization value and maybe a security token; show names only.
        f.debug_struct("SigningOutput")
            .field("headers", &self.headers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>())
            .field("signature", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Formats a time as `YYYYMMDDTHHMMSSZ` (the `X-Sdk-Date` format).
pub fn format_sdk_date(time: SystemTime) -> Result<String, SigningError> {
    let date = sdk_date(time)?;
    Ok(String::from_utf8_lossy(&date).into_owned())
}

/// Parses an `X-Sdk-Date` value (`YYYYMMDDTHHMMSSZ`, UTC).
pub fn parse_sdk_date(value: &str) -> Option<SystemTime> {
    time::PrimitiveDateTime::parse(value, SDK_DATE_FORMAT).ok().map(|t| SystemTime::from(t.assume_utc()))
}

/// Signs `request` with `params`. Returns the headers to add; see the module docs for the algorithm.
///
/// Headers added when the request lacks them: `X-Sdk-Date` (from `params`' time), `Host`,
/// `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` (for a `Content-Type` other than JSON/BSON),
/// `X-Security-Token` (temporary credentials), and always `Authorization`.
pub fn sign(
    request: &SignableRequest<'_>,
    params: &SigningParams<'_>,
) -> Result<SigningOutput, SigningError> {
    // One pass over the request's headers, then the ones added here, in the order the Python SDK
    // adds them; the stable sort below keeps the first of two equal names.
    let mut signed: Vec<(Cow<'_, str>, &[u8])> = Vec::with_capacity(request.headers.len() + 4);
    let mut added: Vec<(HeaderName, HeaderValue)> = Vec::with_capacity(5);
    let (mut has_token, mut has_content_sha256, mut has_host) = (false, false, false);
    let (mut content_type, mut content_sha256, mut existing_date) = (None, None, None);
    for (name, value) in request.headers.iter() {
        // The first of each name counts, as a lookup by name would find it.
        if name.eq_ignore_ascii_case(X_SECURITY_TOKEN) {
            has_token = true;
        } else if name.eq_ignore_ascii_case(X_SDK_CONTENT_SHA256) {
            content_sha256 = content_sha256.or(Some(value));
            has_content_sha256 = true;
        } else if name.eq_ignore_ascii_case("content-type") {
            content_type = content_type.or(Some(value));
        } else if name.eq_ignore_ascii_case(X_SDK_DATE) {
            existing_date = existing_date.or(Some(value));
        } else if name.eq_ignore_ascii_case("host") {
            has_host = true;
        }
        // The Authorization header is replaced by the one computed here, so a value already present
        // (a request signed before, or set by the caller) must not be signed: it could never verify.
        if !name.contains('_') && !name.eq_ignore_ascii_case("authorization") {
            signed.push((lowercase(name), value));
        }
    }

    if let Some(token) = params.credentials.security_token()
        && !has_token
    {
        let mut value =
            HeaderValue::from_str(token).map_err(|_| SigningError::InvalidHeaderValue("X-Security-Token"))?;
        value.set_sensitive(true);
        signed.push((Cow::Borrowed(X_SECURITY_TOKEN), token.as_bytes()));
        added.push((HeaderName::from_static(X_SECURITY_TOKEN), value));
    }
    if let Some(content_type) = content_type
        && !content_type.starts_with(b"application/json")
        && !content_type.starts_with(b"application/bson")
        && !has_content_sha256
    {
        signed.push((Cow::Borrowed(X_SDK_CONTENT_SHA256), UNSIGNED_PAYLOAD.as_bytes()));
        content_sha256 = Some(UNSIGNED_PAYLOAD.as_bytes());
        added.push((
            HeaderName::from_static(X_SDK_CONTENT_SHA256),
            HeaderValue::from_static(UNSIGNED_PAYLOAD),
        ));
    }
    let formatted;
    let date: Cow<'_, str> = match existing_date {
        Some(existing) => {
            let text = String::from_utf8_lossy(existing);
            if parse_sdk_date(text.trim()).is_none() {
                return Err(SigningError::InvalidDate(text.into_owned()));
            }
            Cow::Owned(text.trim().to_owned())
        }
        None => {
            formatted = sdk_date(params.time)?;
            let date = std::str::from_utf8(&formatted).map_err(|_| SigningError::TimeOutOfRange)?;
            signed.push((Cow::Borrowed(X_SDK_DATE), &formatted[..]));
            added.push((
                HeaderName::from_static(X_SDK_DATE),
                HeaderValue::from_bytes(&formatted).map_err(|_| SigningError::TimeOutOfRange)?,
            ));
            Cow::Borrowed(date)
        }
    };
    if !has_host {
        signed.push((Cow::Borrowed("host"), request.host.as_bytes()));
        added.push((
            http::header::HOST,
            HeaderValue::from_str(request.host).map_err(|_| SigningError::InvalidHeaderValue("Host"))?,
        ));
    }
    signed.sort_by(|a, b| a.0.cmp(&b.0));
    signed.dedup_by(|later, earlier| later.0 == earlier.0);

    let mut body_hash = [0u8; 64];
    let payload_hash = payload_hash(request.body, content_sha256, &mut body_hash);
    // The canonical request, then the string to sign, in one buffer.
    let mut text = String::with_capacity(
        canonical_request_len(request.method, request.path, request.query, &signed, &payload_hash)
            + string_to_sign_len(&date),
    );
    push_canonical_request(&mut text, request.method, request.path, request.query, &signed, &payload_hash);
    let canonical_len = text.len();
    let hash = Sha256::digest(text.as_bytes());
    push_string_to_sign(&mut text, &date, &hash.into());
    let mut mac = params.credentials.keyed.clone();
    mac.update(&text.as_bytes()[canonical_len..]);
    let signature = hex_array(&mac.finalize().into_bytes().into());

    // Exactly as long as written, so that the header value takes the buffer without a copy.
    let access_key = params.credentials.access_key();
    let names_len = signed.iter().map(|(n, _)| n.len() + 1).sum::<usize>().saturating_sub(1);
    let mut authorization = String::with_capacity(
        ALGORITHM.len()
            + " Access=".len()
            + access_key.len()
            + ", SignedHeaders=".len()
            + names_len
            + ", Signature=".len()
            + signature.len(),
    );
    authorization.push_str(ALGORITHM);
    authorization.push_str(" Access=");
    authorization.push_str(access_key);
    authorization.push_str(", SignedHeaders=");
    push_names(&mut authorization, signed.iter().map(|(n, _)| n.as_ref()));
    authorization.push_str(", Signature=");
    authorization.push_str(std::str::from_utf8(&signature).unwrap_or_default());
    let mut authorization = HeaderValue::from_maybe_shared(Bytes::from(authorization))
        .map_err(|_| SigningError::InvalidHeaderValue("Authorization"))?;
    authorization.set_sensitive(true);
    added.push((http::header::AUTHORIZATION, authorization));

    Ok(SigningOutput { headers: added, text, canonical_len, signature })
}

fn lowercase(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// Appends the names joined by `;`.
fn push_names<'a>(out: &mut String, names: impl Iterator<Item = &'a str>) {
    for (i, name) in names.enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(name);
    }
}

/// Lower-case hex of `bytes` (a digest), through a stack buffer.
fn hex_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    out
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hex of a SHA-256 digest.
fn hex_array(digest: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (pair, byte) in out.chunks_exact_mut(2).zip(digest) {
        pair[0] = HEX_DIGITS[usize::from(byte >> 4)];
        pair[1] = HEX_DIGITS[usize::from(byte & 0x0f)];
    }
    out
}

/// Appends the lower-case hex of `bytes`, two characters per byte.
fn push_hex(out: &mut String, bytes: &[u8]) {
    let mut buffer = [0u8; 128];
    for chunk in bytes.chunks(buffer.len() / 2) {
        let hex = &mut buffer[..chunk.len() * 2];
        for (pair, byte) in hex.chunks_exact_mut(2).zip(chunk) {
            pair[0] = HEX_DIGITS[usize::from(byte >> 4)];
            pair[1] = HEX_DIGITS[usize::from(byte & 0x0f)];
        }
        // Only ASCII digits and letters were written.
        out.push_str(std::str::from_utf8(hex).unwrap_or_default());
    }
}

/// `YYYYMMDDTHHMMSSZ` of `time`, without going through a format description.
fn sdk_date(time: SystemTime) -> Result<[u8; 16], SigningError> {
    // Whole seconds since the epoch, rounded down (`OffsetDateTime::from` would panic past 9999).
    let secs = match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).ok(),
        Err(before) => {
            let before = before.duration();
            i64::try_from(before.as_secs()).ok().map(|s| -s - i64::from(before.subsec_nanos() > 0))
        }
    };
    let t =
        secs.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok()).ok_or(SigningError::TimeOutOfRange)?;
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999).ok_or(SigningError::TimeOutOfRange)?;
    let mut out = *b"00000000T000000Z";
    let mut put = |at: usize, width: usize, mut value: u32| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, 4, year);
    put(4, 2, u32::from(u8::from(t.month())));
    put(6, 2, u32::from(t.day()));
    put(9, 2, u32::from(t.hour()));
    put(11, 2, u32::from(t.minute()));
    put(13, 2, u32::from(t.second()));
    Ok(out)
}

/// The payload hash of the canonical request; a computed hash is written into `buffer`.
fn payload_hash<'a>(body: &[u8], content_sha256: Option<&'a [u8]>, buffer: &'a mut [u8; 64]) -> Cow<'a, str> {
    // The official Python SDK checks for an empty body first, then for the header.
    if body.is_empty() {
        Cow::Borrowed(EMPTY_SHA256)
    } else if let Some(value) = content_sha256 {
        String::from_utf8_lossy(value.trim_ascii())
    } else {
        *buffer = hex_array(&Sha256::digest(body).into());
        // Only hex digits were written.
        Cow::Borrowed(std::str::from_utf8(&buffer[..]).unwrap_or_default())
    }
}

/// Builds the canonical request from wire parts. `signed_headers` must be lower-case and sorted.
pub fn canonical_request<N: AsRef<str>>(
    method: &str,
    path: &str,
    query: &str,
    signed_headers: &[(N, &[u8])],
    payload_hash: &str,
) -> String {
    let mut out =
        String::with_capacity(canonical_request_len(method, path, query, signed_headers, payload_hash));
    push_canonical_request(&mut out, method, path, query, signed_headers, payload_hash);
    out
}

/// The length of the canonical request when nothing needs encoding (a good capacity otherwise).
fn canonical_request_len<N: AsRef<str>>(
    method: &str,
    path: &str,
    query: &str,
    signed_headers: &[(N, &[u8])],
    payload_hash: &str,
) -> usize {
    method.len()
        + path.len()
        + query.len()
        + signed_headers.iter().map(|(n, v)| 2 * n.as_ref().len() + v.len() + 3).sum::<usize>()
        + payload_hash.len()
        + 6
}

fn push_canonical_request<N: AsRef<str>>(
    out: &mut String,
    method: &str,
    path: &str,
    query: &str,
    signed_headers: &[(N, &[u8])],
    payload_hash: &str,
) {
    if method.bytes().any(|b| b.is_ascii_lowercase()) {
        out.push_str(&method.to_ascii_uppercase());
    } else {
        out.push_str(method);
    }
    out.push('\n');
    push_canonical_uri(out, path);
    out.push('\n');
    push_canonical_query(out, query);
    out.push('\n');
    for (name, value) in signed_headers {
        out.push_str(name.as_ref());
        out.push(':');
        let value = value.trim_ascii();
        match std::str::from_utf8(value) {
            Ok(text) => out.push_str(text),
            Err(_) => out.push_str(&String::from_utf8_lossy(value)),
        }
        out.push('\n');
    }
    out.push('\n');
    push_names(out, signed_headers.iter().map(|(n, _)| n.as_ref()));
    out.push('\n');
    out.push_str(payload_hash);
}

/// The canonical URI: each segment decoded then re-encoded, and a trailing `/` added if missing.
pub fn canonical_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    push_canonical_uri(&mut out, path);
    out
}

/// The bytes a path may hold to be its own canonical form: `/` and `A-Z a-z 0-9 - _ . ~`.
const CANONICAL_PATH_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'/' | b'-' | b'_' | b'.' | b'~');
        b += 1;
    }
    table
};

fn push_canonical_uri(out: &mut String, path: &str) {
    // The common case: nothing to decode or encode.
    if path.bytes().all(|b| CANONICAL_PATH_BYTE[usize::from(b)]) {
        out.push_str(path);
        if !out.ends_with('/') {
            out.push('/');
        }
        return;
    }
    // Decoding happens before splitting, so `%2F` becomes a real separator (as in the Python SDK).
    let decoded = percent_decode_str(path).collect::<Vec<u8>>();
    for (i, segment) in decoded.split(|b| *b == b'/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.extend(percent_encoding::percent_encode(segment, CANONICAL));
    }
    if !out.ends_with('/') {
        out.push('/');
    }
}

/// The canonical query string: pairs decoded, stably sorted by key, re-encoded and joined by `&`.
pub fn canonical_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    push_canonical_query(&mut out, query);
    out
}

fn push_canonical_query(out: &mut String, query: &str) {
    if query.is_empty() {
        return;
    }
    let mut pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode_str(k).decode_utf8_lossy(), percent_decode_str(v).decode_utf8_lossy())
        })
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.extend(utf8_percent_encode(k, CANONICAL));
        out.push('=');
        out.extend(utf8_percent_encode(v, CANONICAL));
    }
}

/// Encodes one query key or value, or one path segment, the way the canonical form does
/// (only `A-Z a-z 0-9 - _ . ~` stay literal). Request builders use it so that the wire form is the
/// canonical form.
pub fn encode_component(value: &str) -> Cow<'_, str> {
    utf8_percent_encode(value, CANONICAL).into()
}

/// The string to sign for a canonical request and an `X-Sdk-Date` value.
pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    let hash = Sha256::digest(canonical_request.as_bytes());
    let mut out = String::with_capacity(string_to_sign_len(sdk_date));
    push_string_to_sign(&mut out, sdk_date, &hash.into());
    out
}

fn string_to_sign_len(sdk_date: &str) -> usize {
    ALGORITHM.len() + sdk_date.len() + 66
}

fn push_string_to_sign(out: &mut String, sdk_date: &str, canonical_hash: &[u8; 32]) {
    out.push_str(ALGORITHM);
    out.push('\n');
    out.push_str(sdk_date);
    out.push('\n');
    // Only hex digits were written.
    out.push_str(std::str::from_utf8(&hex_array(canonical_hash)).unwrap_or_default());
}

/// The hex HMAC-SHA256 of `string_to_sign`, keyed with the secret key itself.
pub fn signature(secret_key: &str, string_to_sign: &str) -> String {
    hex_string(&hmac_sha256(secret_key.as_bytes(), string_to_sign.as_bytes()).finalize().into_bytes())
}

/// An HMAC-SHA256 keyed with `key` (any length is a valid key), before any data.
fn hmac_key(key: &[u8]) -> Hmac<Sha256> {
    // `new_from_slice` refuses no key length for HMAC; the fallback keeps it total.
    Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| Hmac::<Sha256>::new(&Default::default()))
}

/// An HMAC-SHA256 over `data` keyed with `key`.
fn hmac_sha256(key: &[u8], data: &[u8]) -> Hmac<Sha256> {
    let mut mac = hmac_key(key);
    mac.update(data);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_uri_table() {
        let cases = [
            ("/v1/p/training-jobs", "/v1/p/training-jobs/"),
            ("/", "/"),
            ("", "/"),
            ("/a/b/", "/a/b/"),
            ("/a%2Fb", "/a/b/"),
            ("/my job+1", "/my%20job%2B1/"),
            ("/my%20job%2B1", "/my%20job%2B1/"),
            ("/~x.y_z-", "/~x.y_z-/"),
        ];
        for (input, expected) in cases {
            assert_eq!(canonical_uri(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn the_path_byte_table_is_the_canonical_set_and_slash() {
        for b in 0..=255u8 {
            let unencoded = percent_encoding::percent_encode(&[b], CANONICAL).to_string()
                == (b as char).to_string()
                && b.is_ascii();
            assert_eq!(CANONICAL_PATH_BYTE[usize::from(b)], unencoded || b == b'/', "byte {b:#04x}");
        }
    }

    #[test]
    fn a_borrowed_header_map_signs_as_the_same_list() {
        let mut request = http::Request::builder()
            .method("POST")
            .uri("https://h.example/v1/p/a%20b?b=2&a=1")
            .header("content-type", "text/plain")
            .header("x-a", " 2 ")
            .header("x-a", "1")
            .header("x_b", "not signed")
            .header("authorization", "stale")
            .body(&b"body"[..])
            .unwrap();
        request.headers_mut().append("x-c", http::HeaderValue::from_static("3"));
        let list: Vec<(&str, &str)> =
            request.headers().iter().map(|(n, v)| (n.as_str(), v.to_str().unwrap())).collect();
        let credentials = Credentials::new("AK", "SK").with_security_token("token");
        let params =
            SigningParams::new(&credentials, SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        let from_map = sign(&SignableRequest::from_http(&request), &params).unwrap();
        let from_list = sign(
            &SignableRequest::new("POST", "h.example", "/v1/p/a%20b", "b=2&a=1", list, b"body"),
            &params,
        )
        .unwrap();
        assert_eq!(from_map.canonical_request(), from_list.canonical_request());
        assert_eq!(from_map.authorization(), from_list.authorization());
        assert!(
            from_map.canonical_request().contains("\nx-a:2\nx-c:3\n"),
            "the first of a repeated name is signed: {}",
            from_map.canonical_request()
        );
        let added: Vec<(&str, &str)> =
            from_map.headers().iter().map(|(n, v)| (n.as_str(), v.to_str().unwrap())).collect();
        let authorization = from_map.authorization();
        assert_eq!(
            added,
            [
                ("x-security-token", "token"),
                ("x-sdk-content-sha256", UNSIGNED_PAYLOAD),
                ("x-sdk-date", "20231114T221320Z"),
                ("host", "h.example"),
                ("authorization", authorization),
            ],
        );
        assert!(authorization.starts_with("SDK-HMAC-SHA256 Access=AK, SignedHeaders=content-type;host;"));
        assert!(!from_map.canonical_request().contains("stale"));
        assert!(!from_map.canonical_request().contains("x_b"));
    }

    #[test]
    fn canonical_query_table() {
        let cases = [
            ("", ""),
            ("b=2&a=1", "a=1&b=2"),
            ("A=x&a=true", "A=x&a=true"),
            ("a=true&A=x", "A=x&a=true"),
            ("empty", "empty="),
            ("ids=2&ids=10", "ids=2&ids=10"),
            ("q=%C3%BC%20~*", "q=%C3%BC%20~%2A"),
            ("sortBy=job_name&per_page=10&page=1", "page=1&per_page=10&sortBy=job_name"),
        ];
        for (input, expected) in cases {
            assert_eq!(canonical_query(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn sdk_date_round_trip() {
        let t = parse_sdk_date("20240102T030405Z").expect("parses");
        assert_eq!(format_sdk_date(t).expect("formats"), "20240102T030405Z");
        for bad in ["", "2024-01-02T03:04:05Z", "20240102T030405", "20241302T030405Z"] {
            assert_eq!(parse_sdk_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_sdk_date_writer_agrees_with_the_format_description() {
        let at = |secs: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        let mut secs = 0u64;
        // Every few hours from 1970 to past 2100, leap days and year ends included.
        while secs < 4_200_000_000 {
            let expected = OffsetDateTime::from(at(secs)).format(SDK_DATE_FORMAT).unwrap();
            assert_eq!(format_sdk_date(at(secs)).unwrap(), expected, "{secs}");
            secs += 3 * 3_600 + 1_537;
        }
        let last = at(253_402_300_799); // 9999-12-31T23:59:59Z
        assert_eq!(format_sdk_date(last).unwrap(), "99991231T235959Z");
        assert_eq!(format_sdk_date(last + Duration::from_secs(1)), Err(SigningError::TimeOutOfRange));
    }

    #[test]
    fn hex_is_lower_case_two_digits_per_byte() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(hex_string(&bytes), hex::encode(&bytes));
        assert_eq!(hex_string(&[]), "");
        let digest: [u8; 32] = std::array::from_fn(|i| (i * 37 + 11) as u8);
        assert_eq!(&hex_array(&digest)[..], hex::encode(digest).as_bytes());
    }

    #[test]
    fn authorization_parsing_rejects_malformed() {
        let sig = "a".repeat(64);
        let ok = format!("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature={sig}");
        let parsed = parse_authorization(&ok).expect("valid");
        assert_eq!(parsed.access_key, "AK");
        assert_eq!(parsed.signed_headers, ["host", "x-sdk-date"]);
        let bad = [
            "SDK-HMAC-SHA256",
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host",
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=xyz",
            "SDK-HMAC-SHA256 Credential=AK/2015, SignedHeaders=host, Signature=abc",
        ];
        for value in bad {
            assert!(
                matches!(parse_authorization(value), Err(VerifyError::MalformedAuthorization(_))),
                "{value:?}"
            );
        }
        assert_eq!(
            parse_authorization(&format!("V11-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature={sig}")),
            Err(VerifyError::UnsupportedAlgorithm("V11-HMAC-SHA256".into()))
        );
    }

    #[test]
    fn debug_hides_secrets() {
        let c = Credentials::new("AKID", "the-secret-key").with_security_token("the-token");
        let shown = format!("{c:?}");
        assert!(shown.contains("AKID"));
        assert!(!shown.contains("the-secret-key"));
        assert!(!shown.contains("the-token"));
    }
}
