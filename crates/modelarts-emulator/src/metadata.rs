//! The ECS/BMS metadata face, off unless [`MetadataConfig::enabled`]: the two calls the official
//! SDKs make for a server's agency credentials, on the same listener as the API.
//!
//! | Route | Answer |
//! |---|---|
//! | `PUT /meta-data/latest/api/token` with `X-Metadata-Token-Ttl-Seconds` (1..=21600) | 200 `text/plain` session token; 404 when [`MetadataConfig::session_tokens`] is off; 400 for a bad TTL |
//! | `GET /openstack/latest/securitykey` | 200 `{"credential":{"access","secret","securitytoken","expires_at"}}` |
//!
//! The security key needs a valid `X-Metadata-Token` when session tokens are on (else 401
//! `Unauthorized`); a server without agency ([`MetadataConfig::agency`] off) answers 401
//! `Please configure Cloud Service Agency first` (plain text). With the face off, both paths
//! answer 404 `APIG.0101` like any unknown path. The credentials it hands out are accepted by the
//! API routes with their security token until they expire ([`MetadataConfig::credential_lifetime`],
//! emulator clock).

use std::time::Duration;

use http::StatusCode;

use crate::faults::Route;
use crate::iam::{Identity, IdentityAnswer, IdentityRequest};

/// The metadata face's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetadataConfig {
    /// Whether the face answers at all.
    pub enabled: bool,
    /// Whether the server has an agency (else the security key is refused).
    pub agency: bool,
    /// Whether the service issues session tokens (else the token PUT answers 404).
    pub session_tokens: bool,
    /// How long the handed-out credentials live.
    pub credential_lifetime: Duration,
}

impl Default for MetadataConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            agency: true,
            session_tokens: true,
            credential_lifetime: Duration::from_secs(3600),
        }
    }
}

impl MetadataConfig {
    /// An enabled face for a server with an agency.
    pub fn enabled() -> Self {
        Self { enabled: true, ..Self::default() }
    }

    /// A server without agency.
    pub fn without_agency(mut self) -> Self {
        self.agency = false;
        self
    }

    /// A service without session tokens.
    pub fn without_session_tokens(mut self) -> Self {
        self.session_tokens = false;
        self
    }

    /// Sets the lifetime of the credentials handed out.
    pub fn credential_lifetime(mut self, lifetime: Duration) -> Self {
        self.credential_lifetime = lifetime;
        self
    }
}

/// The text of a refusal by a server without agency.
pub(crate) const NO_AGENCY: &str = "Please configure Cloud Service Agency first";

pub(crate) fn answer(identity: &Identity<'_>, req: &IdentityRequest<'_>) -> IdentityAnswer {
    let config = &identity.config.metadata;
    if !config.enabled {
        let body = serde_json::json!({
            "error_code": "APIG.0101",
            "error_msg": "The API does not exist or has not been published in the environment",
        });
        return IdentityAnswer::json(StatusCode::NOT_FOUND, &body);
    }
    match req.route {
        Route::MetadataToken => {
            if !config.session_tokens {
                return IdentityAnswer::text(StatusCode::NOT_FOUND, "Not Found");
            }
            let ttl = req
                .headers
                .get("x-metadata-token-ttl-seconds")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|s| (1..=21_600).contains(s));
            match ttl {
                Some(secs) => IdentityAnswer::text(
                    StatusCode::OK,
                    &identity.state.issue_session(req.now_ms, Duration::from_secs(secs)),
                ),
                None => IdentityAnswer::text(
                    StatusCode::BAD_REQUEST,
                    "X-Metadata-Token-Ttl-Seconds must be an integer from 1 to 21600",
                ),
            }
        }
        _ => {
            if config.session_tokens {
                let session = req.headers.get("x-metadata-token").and_then(|v| v.to_str().ok());
                if !session.is_some_and(|s| identity.state.session_valid(s, req.now_ms)) {
                    return IdentityAnswer::text(StatusCode::UNAUTHORIZED, "Unauthorized");
                }
            }
            if !config.agency {
                return IdentityAnswer::text(StatusCode::UNAUTHORIZED, NO_AGENCY);
            }
            IdentityAnswer::json(StatusCode::OK, &identity.credential(req.now_ms, config.credential_lifetime))
        }
    }
}
