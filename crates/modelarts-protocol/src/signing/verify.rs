//! The server half of signing: parse an `SDK-HMAC-SHA256` `Authorization` header and verify a
//! received request with the same canonicalisation as [`sign`](super::sign), for servers such as
//! the project's emulator. Clients need none of it.
//!
//! Its items are also re-exported at [`signing`](super), their former path.

use std::fmt;
use std::time::{Duration, SystemTime};

use hmac::Mac;

#[cfg(doc)]
use super::DEFAULT_TOLERANCE;
use super::{
    ALGORITHM, X_SDK_CONTENT_SHA256, X_SDK_DATE, canonical_request, hmac_sha256, parse_sdk_date,
    payload_hash, string_to_sign,
};

/// What [`verify`] learnt from a request whose signature is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// The access key that signed.
    pub access_key: String,
    /// The lower-case header names the client chose to sign.
    pub signed_headers: Vec<String>,
    /// The signing time (`X-Sdk-Date`).
    pub date: SystemTime,
}

/// Why [`verify`] rejected a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// No `Authorization` header.
    #[error("the Authorization header is missing")]
    MissingAuthorization,
    /// The `Authorization` header is not `SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`.
    #[error("the Authorization header is malformed: {0}")]
    MalformedAuthorization(String),
    /// The `Authorization` header names another algorithm.
    #[error("unsupported signing algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// The access key is not known to the server.
    #[error("unknown access key {0:?}")]
    UnknownAccessKey(String),
    /// No `X-Sdk-Date` header (or it is not signed).
    #[error("the X-Sdk-Date header is missing or not signed")]
    MissingDate,
    /// The `X-Sdk-Date` header does not parse.
    #[error("the X-Sdk-Date header {0:?} is not of the form YYYYMMDDTHHMMSSZ")]
    MalformedDate(String),
    /// The signing time is too far from the server's clock.
    #[error("the signing time is {skew_secs} s away from the server's clock")]
    DateOutOfRange {
        /// Request time minus server time, in seconds.
        skew_secs: i64,
    },
    /// A header listed in `SignedHeaders` is not in the request.
    #[error("the signed header {0:?} is not in the request")]
    SignedHeaderMissing(String),
    /// The signature does not match.
    #[error("the signature does not match")]
    SignatureMismatch,
}

/// The parsed fields of an `SDK-HMAC-SHA256` `Authorization` header. `Debug` hides the signature.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationHeader<'a> {
    /// `Access=`
    pub access_key: &'a str,
    /// `SignedHeaders=`, split on `;`.
    pub signed_headers: Vec<&'a str>,
    /// `Signature=`
    pub signature: &'a str,
}

impl fmt::Debug for AuthorizationHeader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationHeader")
            .field("access_key", &self.access_key)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &"<redacted>")
            .finish()
    }
}

/// Parses an `Authorization` header value of the `SDK-HMAC-SHA256` form.
pub fn parse_authorization(value: &str) -> Result<AuthorizationHeader<'_>, VerifyError> {
    let (algorithm, rest) = value
        .trim()
        .split_once(' ')
        .ok_or_else(|| VerifyError::MalformedAuthorization("no fields after the algorithm".into()))?;
    if algorithm != ALGORITHM {
        return Err(VerifyError::UnsupportedAlgorithm(algorithm.to_owned()));
    }
    let (mut access, mut signed, mut sig) = (None, None, None);
    for field in rest.split(',') {
        let (key, val) = field.trim().split_once('=').ok_or_else(|| {
            VerifyError::MalformedAuthorization(format!("field {:?} has no '='", field.trim()))
        })?;
        let slot = match key {
            "Access" => &mut access,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut sig,
            other => return Err(VerifyError::MalformedAuthorization(format!("unknown field {other:?}"))),
        };
        if slot.replace(val).is_some() {
            return Err(VerifyError::MalformedAuthorization(format!("field {key:?} repeated")));
        }
    }
    let missing = |name: &str| VerifyError::MalformedAuthorization(format!("no {name} field"));
    let access_key = access.filter(|a| !a.is_empty()).ok_or_else(|| missing("Access"))?;
    let signed = signed.filter(|s| !s.is_empty()).ok_or_else(|| missing("SignedHeaders"))?;
    let signature = sig.ok_or_else(|| missing("Signature"))?;
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(VerifyError::MalformedAuthorization("the signature is not 64 hex digits".into()));
    }
    Ok(AuthorizationHeader { access_key, signed_headers: signed.split(';').collect(), signature })
}

/// Verifies the `SDK-HMAC-SHA256` signature of a received request.
///
/// `secret_for` maps an access key to its secret key; `now` is the server's clock and `tolerance` the
/// allowed distance of `X-Sdk-Date` from it (usually [`DEFAULT_TOLERANCE`]). Only the headers listed in
/// `SignedHeaders` are checked, whatever else the request carries. A signed `host` missing from the
/// headers is taken from the URI's authority (HTTP/2 carries it as `:authority`).
pub fn verify(
    parts: &http::request::Parts,
    body: &[u8],
    secret_for: &dyn Fn(&str) -> Option<String>,
    now: SystemTime,
    tolerance: Duration,
) -> Result<VerifiedSignature, VerifyError> {
    let header = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .ok_or(VerifyError::MissingAuthorization)?
        .to_str()
        .map_err(|_| VerifyError::MalformedAuthorization("not visible ASCII".into()))?;
    let auth = parse_authorization(header)?;

    let mut signed: Vec<(String, &[u8])> = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        let lower = name.to_ascii_lowercase();
        let value = match parts.headers.get(lower.as_str()) {
            Some(v) => v.as_bytes(),
            None if lower == "host" => parts
                .uri
                .authority()
                .map(|a| a.as_str().as_bytes())
                .ok_or_else(|| VerifyError::SignedHeaderMissing(lower.clone()))?,
            None => return Err(VerifyError::SignedHeaderMissing(lower)),
        };
        signed.push((lower, value));
    }
    let date_text = signed
        .iter()
        .find(|(n, _)| n == X_SDK_DATE)
        .map(|(_, v)| String::from_utf8_lossy(v).trim().to_owned())
        .ok_or(VerifyError::MissingDate)?;
    let date = parse_sdk_date(&date_text).ok_or_else(|| VerifyError::MalformedDate(date_text.clone()))?;
    let skew_secs = signed_seconds_between(now, date);
    if skew_secs.unsigned_abs() > tolerance.as_secs() {
        return Err(VerifyError::DateOutOfRange { skew_secs });
    }

    let secret = secret_for(auth.access_key)
        .ok_or_else(|| VerifyError::UnknownAccessKey(auth.access_key.to_owned()))?;
    let mut body_hash = [0u8; 64];
    let payload_hash = payload_hash(
        body,
        signed.iter().find(|(n, _)| n == X_SDK_CONTENT_SHA256).map(|(_, v)| *v),
        &mut body_hash,
    );
    let canonical = canonical_request(
        parts.method.as_str(),
        parts.uri.path(),
        parts.uri.query().unwrap_or(""),
        &signed,
        &payload_hash,
    );
    let to_sign = string_to_sign(&date_text, &canonical);
    let tag = hex::decode(auth.signature).map_err(|_| VerifyError::SignatureMismatch)?;
    // Constant-time comparison.
    hmac_sha256(secret.as_bytes(), to_sign.as_bytes())
        .verify_slice(&tag)
        .map_err(|_| VerifyError::SignatureMismatch)?;

    Ok(VerifiedSignature {
        access_key: auth.access_key.to_owned(),
        signed_headers: signed.into_iter().map(|(n, _)| n).collect(),
        date,
    })
}

/// `later - earlier` in whole seconds, negative when `later` is before `earlier`.
fn signed_seconds_between(earlier: SystemTime, later: SystemTime) -> i64 {
    match later.duration_since(earlier) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}
