//! The CCE pod-identity face, off unless a pod token is set ([`PodIdentityConfig::enabled`]): the
//! container credentials service a pod reaches at `HC_CONTAINER_CREDENTIALS_FULL_URI`, on the same
//! listener as the API, at the path the official SDKs' tests use.
//!
//! | Route | Answer |
//! |---|---|
//! | `POST /v1/credentials` with `Authorization: <pod token>` and a JSON object body (`{}`) | 200 `{"assumedAgency":{…},"audience":"","credentials":{"accessKeyId","secretAccessKey","securityToken","expiration"},"podIdentityAssociationId":"","subject":{…}}` |
//!
//! The answer is the one of the official SDKs' tests (Python `tests/test_credentials.py`,
//! `TestPodIdentityCredentials`, and their Java and Go twins); with
//! [`PodIdentityConfig::legacy_shape`] it is the older `{"credential":{"access","secret",
//! "securitytoken","expires_at"}}` the official reader (core `auth/internal.py`,
//! `StsAccessor._process_credential`) also accepts. A missing or wrong token is 401, a body that
//! is not a JSON object 400; with the face off the path is an unknown API (404 `APIG.0101`). The
//! keys it hands out are accepted by the API routes with their security token until they expire.

use std::time::Duration;

use http::StatusCode;
use serde_json::json;

use crate::iam::{Identity, IdentityAnswer, IdentityRequest, iam_time};

/// The pod-identity face's configuration.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PodIdentityConfig {
    /// The pod's authorization token (the content of `HC_CONTAINER_AUTHORIZATION_TOKEN_FILE`);
    /// `None`: the face is off.
    pub token: Option<String>,
    /// How long the handed-out credentials live.
    pub credential_lifetime: Duration,
    /// Answer the older `{"credential":{…}}` shape instead of `{"credentials":{…}}`.
    pub legacy_shape: bool,
}

impl Default for PodIdentityConfig {
    fn default() -> Self {
        Self { token: None, credential_lifetime: Duration::from_secs(3600), legacy_shape: false }
    }
}

impl std::fmt::Debug for PodIdentityConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PodIdentityConfig")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("credential_lifetime", &self.credential_lifetime)
            .field("legacy_shape", &self.legacy_shape)
            .finish()
    }
}

impl PodIdentityConfig {
    /// An enabled face accepting `token`.
    pub fn enabled(token: impl Into<String>) -> Self {
        Self { token: Some(token.into()), ..Self::default() }
    }

    /// Answers the older `{"credential":{…}}` shape.
    pub fn legacy_shape(mut self) -> Self {
        self.legacy_shape = true;
        self
    }

    /// Sets the lifetime of the credentials handed out.
    pub fn credential_lifetime(mut self, lifetime: Duration) -> Self {
        self.credential_lifetime = lifetime;
        self
    }
}

pub(crate) fn answer(identity: &Identity<'_>, req: &IdentityRequest<'_>) -> IdentityAnswer {
    let config = &identity.config.pod_identity;
    let Some(expected) = config.token.as_deref() else {
        let body = json!({
            "error_code": "APIG.0101",
            "error_msg": "The API does not exist or has not been published in the environment",
        });
        return IdentityAnswer::json(StatusCode::NOT_FOUND, &body);
    };
    let presented = req.headers.get(http::header::AUTHORIZATION).map(|v| v.as_bytes());
    if presented != Some(expected.trim().as_bytes()) {
        let body = json!({ "error_code": "CCE.01401", "error_msg": "invalid pod identity token" });
        return IdentityAnswer::json(StatusCode::UNAUTHORIZED, &body);
    }
    if !serde_json::from_slice::<serde_json::Value>(req.body).is_ok_and(|v| v.is_object()) {
        let body = json!({ "error_code": "CCE.01400", "error_msg": "the body must be a JSON object" });
        return IdentityAnswer::json(StatusCode::BAD_REQUEST, &body);
    }
    let (access, secret, security_token, expires_ms) =
        identity.state.issue_key(req.now_ms, config.credential_lifetime);
    let body = if config.legacy_shape {
        json!({ "credential": {
            "access": access,
            "secret": secret,
            "securitytoken": security_token,
            "expires_at": iam_time(expires_ms),
        }})
    } else {
        json!({
            "assumedAgency": { "urn": "", "id": "" },
            "audience": "",
            "credentials": {
                "accessKeyId": access,
                "secretAccessKey": secret,
                "securityToken": security_token,
                "expiration": iam_time(expires_ms),
            },
            "podIdentityAssociationId": "",
            "subject": { "namespace": "", "serviceAccount": "" },
        })
    };
    IdentityAnswer::json(StatusCode::OK, &body)
}
