//! CCE pod identity: a pod's credentials from the container credentials service, the URL in
//! `HC_CONTAINER_CREDENTIALS_FULL_URI`, authorised by the token in the file named by
//! `HC_CONTAINER_AUTHORIZATION_TOKEN_FILE` (sent as `Authorization`). The answer is taken to be the
//! same `{"credential":{"access","secret","securitytoken","expires_at"}}` as the metadata
//! service's (the public sources do not show it: an assumption, recorded in the architecture notes).
//!
//! ```
//! use modelarts_protocol::iam::pod_identity::{PodIdentityKey, PodToken};
//! use modelarts_protocol::operations::Operation;
//! use modelarts_protocol::Endpoint;
//!
//! let op = PodIdentityKey { token: PodToken::new("pod-token") };
//! let request = op.build_request(&Endpoint::from_url("http://169.254.170.2/v1/credentials")?)?;
//! assert_eq!(request.uri(), "http://169.254.170.2/v1/credentials");
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

/// Input of the pod-identity call: `GET {full URI}` with the token. The endpoint is the full URI.
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
        let mut request = iam_request(Method::GET, endpoint, "", "", None)?;
        request.headers_mut().remove(http::header::CONTENT_TYPE);
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
