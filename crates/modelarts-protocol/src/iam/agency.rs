//! Agency (assume role): `POST {iam}/v3.0/OS-CREDENTIAL/securitytokens` with the `assume_role`
//! method, authorised by the base credentials (signed AK/SK or a token). The answer (201) carries
//! temporary AK/SK and a security token: sign with them ([`crate::Auth::AkSk`]), which sends
//! `X-Security-Token`.
//!
//! ```
//! use std::time::Duration;
//! use modelarts_protocol::iam::agency::AssumeAgency;
//! use modelarts_protocol::operations::Operation;
//! use modelarts_protocol::Endpoint;
//!
//! let op = AssumeAgency::new("other-account", "ops-agency").duration(Duration::from_secs(3600));
//! let request = op.build_request(&Endpoint::from_url("https://iam.myhuaweicloud.com")?)?;
//! assert_eq!(request.uri().path(), "/v3.0/OS-CREDENTIAL/securitytokens");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use serde_json::json;

use super::{TemporaryCredentials, check_name, parse_credential, security_tokens_request};
use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError};
use crate::operations::Operation;

/// The shortest lifetime IAM grants (15 min).
pub const MIN_DURATION: Duration = Duration::from_secs(900);
/// The longest lifetime IAM grants (24 h).
pub const MAX_DURATION: Duration = Duration::from_secs(86_400);

/// Input of the agency call.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AssumeAgency {
    /// The account (domain) that created the agency.
    pub domain_name: String,
    /// The agency's name.
    pub agency_name: String,
    /// How long the credentials live (900 s to 86 400 s); IAM's default (15 min) when `None`.
    pub duration: Option<Duration>,
}

impl AssumeAgency {
    /// Assumes `agency_name` of the account `domain_name`.
    pub fn new(domain_name: impl Into<String>, agency_name: impl Into<String>) -> Self {
        Self { domain_name: domain_name.into(), agency_name: agency_name.into(), duration: None }
    }

    /// Sets the lifetime of the credentials.
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }
}

/// Checks a lifetime against IAM's documented range and returns it in whole seconds.
pub(crate) fn duration_seconds(duration: Duration) -> Result<u64, BuildError> {
    if !(MIN_DURATION..=MAX_DURATION).contains(&duration) {
        return Err(BuildError::InvalidParameter {
            name: "duration_seconds",
            value: duration.as_secs().to_string(),
            reason: "must be between 900 and 86400 seconds",
        });
    }
    Ok(duration.as_secs())
}

impl Operation for AssumeAgency {
    type Output = TemporaryCredentials;
    const NAME: &'static str = "assume_agency";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        check_name("domain_name", &self.domain_name, 64)?;
        check_name("agency_name", &self.agency_name, 64)?;
        let assume_role = json!({
            "domain_name": self.domain_name.trim(),
            "agency_name": self.agency_name.trim(),
        });
        security_tokens_request(endpoint, "assume_role", assume_role, self.duration)
    }

    fn parse_response(response: Response<Bytes>) -> Result<TemporaryCredentials, ResponseError> {
        parse_credential(&response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_table() {
        let iam = Endpoint::from_url("https://iam.example").unwrap();
        let cases = [
            (
                AssumeAgency::new("dom", "agency"),
                json!({"auth":{"identity":{"methods":["assume_role"],"assume_role":{"domain_name":"dom","agency_name":"agency"}}}}),
            ),
            (
                AssumeAgency::new(" dom ", "agency").duration(Duration::from_secs(900)),
                json!({"auth":{"identity":{"methods":["assume_role"],"assume_role":{"domain_name":"dom","agency_name":"agency","duration_seconds":900}}}}),
            ),
        ];
        for (op, expected) in cases {
            let r = op.build_request(&iam).unwrap();
            assert_eq!(r.method(), "POST");
            assert_eq!(serde_json::from_slice::<serde_json::Value>(r.body()).unwrap(), expected);
        }
        for bad in [
            AssumeAgency::new("", "a"),
            AssumeAgency::new("d", ""),
            AssumeAgency::new("d", "a").duration(Duration::from_secs(899)),
            AssumeAgency::new("d", "a").duration(Duration::from_secs(86_401)),
        ] {
            assert!(bad.build_request(&iam).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn answer_gives_temporary_credentials() {
        let r = Response::builder()
            .status(201)
            .body(Bytes::from_static(br#"{"credential":{"access":"TMP","secret":"S","securitytoken":"T","expires_at":"2030-01-01T00:00:00.000000Z"}}"#))
            .unwrap();
        let c = AssumeAgency::parse_response(r).unwrap();
        assert_eq!((c.credentials.access_key(), c.credentials.security_token()), ("TMP", Some("T")));
        let denied = Response::builder()
            .status(403)
            .body(Bytes::from_static(br#"{"error":{"code":403,"message":"You are not authorized to perform the requested action."}}"#))
            .unwrap();
        let e = AssumeAgency::parse_response(denied).unwrap_err();
        assert_eq!(e.http_status(), 403);
    }
}
