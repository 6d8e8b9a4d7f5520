//! CCE pod identity: a pod's credentials from the container credentials service, the URL in
//! `HC_CONTAINER_CREDENTIALS_FULL_URI`, authorised by the token in the file named by
//! `HC_CONTAINER_AUTHORIZATION_TOKEN_FILE`.
//!
//! As the official SDKs do it (Python core `huaweicloudsdkcore/auth/internal.py`,
//! `PodIdentityAccessor.get_credential`, and its reader `StsAccessor._process_credential`;
//! huaweicloud-sdk-python-v3 3.1.219): `POST {full URI}` with the JSON body `{}` and the header
//! `Authorization: <content of the token file, trimmed>`. The answer (CCE
//! "AssumeAgencyForPodIdentity", as the SDKs' own tests serve it) is
//! `{"assumedAgency":{…},"credentials":{"accessKeyId","secretAccessKey","securityToken","expiration"},…}`;
//! the reader also takes the older `{"credential":{"access","secret","securitytoken","expires_at"}}`
//! of the metadata service, and every field under either name.
//!
//! ```
//! use modelarts_protocol::iam::pod_identity::{PodIdentityKey, PodToken};
//! use modelarts_protocol::operations::Operation;
//! use modelarts_protocol::Endpoint;
//!
//! let op = PodIdentityKey { token: PodToken::new("pod-token") };
//! let request = op.build_request(&Endpoint::from_url("http://169.254.170.2/v1/credentials")?)?;
//! assert_eq!(request.method(), "POST");
//! assert_eq!(request.uri(), "http://169.254.170.2/v1/credentials");
//! assert_eq!(request.body().as_ref(), b"{}");
//! assert!(!format!("{op:?}").contains("pod-token"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response};
use secrecy::{ExposeSecret, SecretString};

use super::{TemporaryCredentials, iam_request, parse_credential};
use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError};
use crate::operations::Operation;

/// The variable holding the credentials service's full URL.
pub const FULL_URI_ENV: &str = "HC_CONTAINER_CREDENTIALS_FULL_URI";
/// The variable naming the file with the authorization token.
pub const TOKEN_FILE_ENV: &str = "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE";

/// The pod's authorization token. `Debug` never shows it.
#[derive(Clone)]
pub struct PodToken(SecretString);

impl PodToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(SecretString::from(token.into()))
    }
}

impl fmt::Debug for PodToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PodToken(<redacted>)")
    }
}

/// Input of the pod-identity call: `POST {full URI}` with `{}` and the token as `Authorization`.
/// The endpoint is the full URI.
#[derive(Debug, Clone)]
pub struct PodIdentityKey {
    /// The authorization token.
    pub token: PodToken,
}

impl Operation for PodIdentityKey {
    type Output = TemporaryCredentials;
    const NAME: &'static str = "pod_identity_key";
    const IDEMPOTENT: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        let mut request = iam_request(Method::POST, endpoint, "", "", Some(b"{}".to_vec()))?;
        let mut value = HeaderValue::from_str(self.token.0.expose_secret().trim()).map_err(|_| {
            BuildError::InvalidParameter {
                name: "pod authorization token",
                value: "<redacted>".into(),
                reason: "is not a valid header value",
            }
        })?;
        value.set_sensitive(true);
        request.headers_mut().insert(http::header::AUTHORIZATION, value);
        Ok(request)
    }

    fn parse_response(response: Response<Bytes>) -> Result<TemporaryCredentials, ResponseError> {
        parse_credential(&response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> Response<Bytes> {
        Response::builder().status(200).body(Bytes::from(body.to_owned())).unwrap()
    }

    /// Both answer shapes the official reader accepts, with every field name it takes.
    #[test]
    fn both_answer_shapes_are_read() {
        let current = r#"{"assumedAgency":{"urn":"","id":""},"audience":"","credentials":
            {"accessKeyId":"ak","secretAccessKey":"sk","securityToken":"st","expiration":"2020-01-08T03:50:07.574000Z"},
            "podIdentityAssociationId":"","subject":{"namespace":"","serviceAccount":""}}"#;
        let older = r#"{"credential":{"access":"ak","secret":"sk","securitytoken":"st","expires_at":"2020-01-08T03:50:07.574000Z"}}"#;
        let snake = r#"{"credentials":{"access_key_id":"ak","secret_access_key":"sk","security_token":"st","expiration":"2020-01-08T03:50:07.574000Z"}}"#;
        for body in [current, older, snake] {
            let c = PodIdentityKey::parse_response(answer(body)).unwrap();
            assert_eq!(c.credentials.access_key(), "ak", "{body}");
            assert_eq!(c.expires_at, crate::iam::parse_time("2020-01-08T03:50:07.574Z").unwrap());
        }
        let partial = r#"{"credentials":{"accessKeyId":"ak","secretAccessKey":"sk","expiration":"2020-01-08T03:50:07Z"}}"#;
        let e = PodIdentityKey::parse_response(answer(partial)).unwrap_err().to_string();
        assert!(e.contains("securitytoken"), "{e}");
        assert!(!e.contains("\"sk\""), "{e}");
    }

    #[test]
    fn the_request_is_a_post_of_an_empty_object_with_the_token_as_authorization() {
        let op = PodIdentityKey { token: PodToken::new(" tok-1\n") };
        let request =
            op.build_request(&Endpoint::from_url("http://127.0.0.1:1/v1/credentials").unwrap()).unwrap();
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.body().as_ref(), b"{}");
        let auth = request.headers().get(http::header::AUTHORIZATION).unwrap();
        assert_eq!(auth.as_bytes(), b"tok-1");
        assert!(auth.is_sensitive());
        assert!(request.headers().get(http::header::CONTENT_TYPE).is_some());
    }
}
