//! `GET {iam}/v3/auth/domains`: the accounts (domains) the credentials reach, for `configure test`
//! to name the account. Huawei IAM API reference, "Querying the List of Domains Accessible to
//! Users" (`GET /v3/auth/domains`, token or AK/SK): `{"domains": [{"id", "name", "enabled",
//! "description", "links"}], "links": {…}}`. An IAM user reaches one domain: its account.

use bytes::Bytes;
use http::{Method, Request, Response};
use serde::Deserialize;

use super::{iam_request, parse_iam_json, trace_id};
use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError};
use crate::lenient;
use crate::operations::Operation;

/// Input of `GET {iam}/v3/auth/domains`.
///
/// ```
/// use modelarts_protocol::Endpoint;
/// use modelarts_protocol::iam::domains::ListAuthDomains;
/// use modelarts_protocol::operations::Operation;
///
/// let request = ListAuthDomains.build_request(&Endpoint::from_url("https://iam.myhuaweicloud.com")?)?;
/// assert_eq!(request.uri().path(), "/v3/auth/domains");
/// let answer = http::Response::builder()
///     .status(200)
///     .body(bytes::Bytes::from_static(br#"{"domains":[{"id":"d1","name":"acme","enabled":true}],"links":{}}"#))?;
/// let list = ListAuthDomains::parse_response(answer)?;
/// assert_eq!(list.domains[0].name.as_deref(), Some("acme"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListAuthDomains;

/// One account of the answer. Every field may be missing; unknown ones are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Domain {
    /// The account id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// The account name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// Whether it is enabled.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub enabled: Option<bool>,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DomainList {
    /// The accounts, as listed.
    pub domains: Vec<Domain>,
    /// `X-IAM-Trace-Id` (or `X-Request-Id`) of the answer.
    pub trace_id: Option<String>,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    domains: Vec<Domain>,
}

impl Operation for ListAuthDomains {
    type Output = DomainList;
    const NAME: &'static str = "list_auth_domains";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        iam_request(Method::GET, endpoint, "/v3/auth/domains", "", None)
    }

    fn parse_response(response: Response<Bytes>) -> Result<DomainList, ResponseError> {
        let body: Body = parse_iam_json(&response, false)?;
        Ok(DomainList { domains: body.domains, trace_id: trace_id(response.headers()) })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn answer(body: &'static str) -> Response<Bytes> {
        Response::builder().status(200).body(Bytes::from_static(body.as_bytes())).unwrap()
    }

    #[test]
    fn drifts_are_read_and_a_missing_list_is_empty() {
        let list = ListAuthDomains::parse_response(answer(r#"{"domains":[{"id":7,"name":null}]}"#)).unwrap();
        assert_eq!(list.domains[0].id.as_deref(), Some("7"));
        assert_eq!(list.domains[0].name, None);
        assert!(ListAuthDomains::parse_response(answer("{}")).unwrap().domains.is_empty());
        assert!(ListAuthDomains::parse_response(answer("not json")).is_err());
    }
}
