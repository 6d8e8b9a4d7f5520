//! OIDC federation, as the official SDKs do it with `HUAWEICLOUD_SDK_IDP_ID` and
//! `HUAWEICLOUD_SDK_ID_TOKEN_FILE`: exchange the ID token for an IAM token
//! (`POST {iam}/v3.0/OS-AUTH/id-token/tokens` with `X-Idp-Id`, body `{"auth":{"id_token":{"id":…},
//! "scope":{"project":{"id":…}}}}`, token in `X-Subject-Token`), then the token for temporary AK/SK
//! (`POST {iam}/v3.0/OS-CREDENTIAL/securitytokens` with the `token` method). The SDK reads the
//! token file; this module only builds and parses.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::token::{IssuedToken, ProjectScope, parse_issued_token};
use super::{TemporaryCredentials, check_name, iam_request, parse_credential, security_tokens_request};
use crate::auth::IamToken;
use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError};
use crate::operations::Operation;

/// The request header naming the identity provider.
pub const X_IDP_ID: &str = "x-idp-id";
/// The environment variable of the identity provider's id.
pub const IDP_ID_ENV: &str = "HUAWEICLOUD_SDK_IDP_ID";
/// The environment variable of the ID token file.
pub const ID_TOKEN_FILE_ENV: &str = "HUAWEICLOUD_SDK_ID_TOKEN_FILE";

/// An OIDC ID token. `Debug` never shows it.
#[derive(Clone)]
pub struct IdToken(SecretString);

impl IdToken {
    /// Wraps an ID token (surrounding white space, as a file has it, is removed).
    pub fn new(token: impl Into<String>) -> Self {
        Self(SecretString::from(token.into().trim().to_owned()))
    }

    /// The token. Handle with care: never log it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for IdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdToken(<redacted>)")
    }
}

/// Input of the ID-token exchange.
#[derive(Debug, Clone)]
pub struct IdTokenLogin {
    /// The identity provider's id (`X-Idp-Id`).
    pub idp_id: String,
    /// The ID token.
    pub id_token: IdToken,
    /// The project the IAM token is for; an unscoped token when `None`.
    pub scope: Option<ProjectScope>,
}

impl Operation for IdTokenLogin {
    type Output = IssuedToken;
    const NAME: &'static str = "id_token_login";
    const IDEMPOTENT: bool = true;
    const SECRET_BODY: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        check_name("idp_id", &self.idp_id, 128)?;
        let idp = HeaderValue::from_str(self.idp_id.trim()).map_err(|_| BuildError::InvalidParameter {
            name: "idp_id",
            value: self.idp_id.chars().take(80).collect(),
            reason: "is not a valid header value",
        })?;
        if self.id_token.expose().is_empty() {
            return Err(BuildError::InvalidParameter {
                name: "id_token",
                value: String::new(),
                reason: "must not be empty",
            });
        }
        let mut auth = json!({ "id_token": { "id": self.id_token.expose() } });
        match &self.scope {
            Some(ProjectScope::Id(id)) => auth["scope"] = json!({ "project": { "id": id.as_str() } }),
            Some(ProjectScope::Name(name)) => {
                check_name("project name", name, 64)?;
                auth["scope"] = json!({ "project": { "name": name.trim() } });
            }
            None => {}
        }
        let body = json!({ "auth": auth });
        let mut request = iam_request(
            Method::POST,
            endpoint,
            "/v3.0/OS-AUTH/id-token/tokens",
            "",
            Some(body.to_string().into_bytes()),
        )?;
        request.headers_mut().insert(X_IDP_ID, idp);
        Ok(request)
    }

    fn parse_response(response: Response<Bytes>) -> Result<IssuedToken, ResponseError> {
        parse_issued_token(&response)
    }
}

/// Input of the token → temporary AK/SK exchange. Send it with the same token as `X-Auth-Token`.
#[derive(Debug, Clone)]
pub struct TokenToTemporaryKeys {
    /// The IAM token.
    pub token: IamToken,
    /// How long the credentials live (900 s to 86 400 s); IAM's default when `None`.
    pub duration: Option<Duration>,
}

impl Operation for TokenToTemporaryKeys {
    type Output = TemporaryCredentials;
    const NAME: &'static str = "token_to_temporary_keys";
    const IDEMPOTENT: bool = true;
    const SECRET_BODY: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        if self.token.expose().is_empty() {
            return Err(BuildError::InvalidParameter {
                name: "token",
                value: String::new(),
                reason: "must not be empty",
            });
        }
        security_tokens_request(endpoint, "token", json!({ "id": self.token.expose() }), self.duration)
    }

    fn parse_response(response: Response<Bytes>) -> Result<TemporaryCredentials, ResponseError> {
        parse_credential(&response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_table() {
        let iam = Endpoint::from_url("https://iam.example").unwrap();
        let login = IdTokenLogin {
            idp_id: "my-idp".into(),
            id_token: IdToken::new(" eyJ.secret.sig\n"),
            scope: Some(ProjectScope::Id("0123456789abcdef0123456789abcdef".parse().unwrap())),
        };
        assert!(!format!("{login:?}").contains("eyJ.secret"));
        let r = login.build_request(&iam).unwrap();
        assert_eq!((r.method().as_str(), r.uri().path()), ("POST", "/v3.0/OS-AUTH/id-token/tokens"));
        assert_eq!(r.headers()[X_IDP_ID], "my-idp");
        let body: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(
            body,
            json!({"auth":{"id_token":{"id":"eyJ.secret.sig"},"scope":{"project":{"id":"0123456789abcdef0123456789abcdef"}}}})
        );
        let unscoped = IdTokenLogin { scope: None, ..login.clone() };
        let body: serde_json::Value =
            serde_json::from_slice(unscoped.build_request(&iam).unwrap().body()).unwrap();
        assert!(body["auth"].get("scope").is_none());
        for bad in [
            IdTokenLogin { idp_id: "".into(), ..login.clone() },
            IdTokenLogin { idp_id: "a\u{7f}".into(), ..login.clone() },
            IdTokenLogin { id_token: IdToken::new("  "), ..login.clone() },
        ] {
            assert!(bad.build_request(&iam).is_err());
        }

        let keys = TokenToTemporaryKeys {
            token: IamToken::new("MIItok"),
            duration: Some(Duration::from_secs(3600)),
        };
        let body: serde_json::Value =
            serde_json::from_slice(keys.build_request(&iam).unwrap().body()).unwrap();
        assert_eq!(
            body,
            json!({"auth":{"identity":{"methods":["token"],"token":{"id":"MIItok","duration_seconds":3600}}}})
        );
        let short =
            TokenToTemporaryKeys { token: IamToken::new("MIItok"), duration: Some(Duration::from_secs(60)) };
        assert!(short.build_request(&iam).is_err());
    }
}
