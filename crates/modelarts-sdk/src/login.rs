//! What the credential chain may find that needs a call before the first request ([`Login`]), and an
//! agency to assume on top of the credentials ([`Agency`]). A leaf: definitions only; the calls are
//! `identity`'s.

use std::path::PathBuf;

use modelarts_protocol::endpoint::Endpoint;
use modelarts_protocol::iam::token::{Mfa, Password};

/// A credential source that needs a call before the first request. `Debug` hides the password.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Login {
    /// An IAM user's password: `POST {iam}/v3/auth/tokens`, the token cached on disk.
    Password {
        /// The IAM user name.
        user_name: String,
        /// The password.
        password: Password,
        /// The account (domain) name.
        domain_name: String,
        /// The virtual MFA code and the user's id, when the login is protected by MFA.
        mfa: Option<Mfa>,
    },
    /// The ECS/BMS metadata service (the server's agency).
    Metadata {
        /// The metadata service's address (`http://169.254.169.254` unless set explicitly).
        endpoint: Endpoint,
    },
    /// CCE pod identity: the container credentials service (`HC_CONTAINER_CREDENTIALS_FULL_URI`)
    /// with the pod's token (`HC_CONTAINER_AUTHORIZATION_TOKEN_FILE`, read at each call).
    PodIdentity {
        /// The credentials service's full URL.
        uri: Endpoint,
        /// The file holding the authorization token.
        token_file: PathBuf,
    },
    /// OIDC federation: an ID token exchanged for an IAM token, then for temporary AK/SK.
    Federation {
        /// The identity provider's id (`HUAWEICLOUD_SDK_IDP_ID`).
        idp_id: String,
        /// The file holding the ID token (`HUAWEICLOUD_SDK_ID_TOKEN_FILE`), read at each login.
        id_token_file: PathBuf,
    },
}

impl Login {
    /// A short description without secrets: `password of alice@example`, `ECS metadata at …`.
    pub fn describe(&self) -> String {
        match self {
            Login::Password { user_name, domain_name, mfa: None, .. } => {
                format!("password login of {user_name}@{domain_name}")
            }
            Login::Password { user_name, domain_name, mfa: Some(_), .. } => {
                format!("password login of {user_name}@{domain_name} with a virtual MFA code")
            }
            Login::Metadata { endpoint } => format!("ECS/BMS metadata at {}", endpoint.url()),
            Login::PodIdentity { uri, .. } => format!("CCE pod identity at {}", uri.url()),
            Login::Federation { idp_id, .. } => format!("OIDC federation via identity provider {idp_id}"),
        }
    }
}

/// An agency to assume with the base credentials (`--agency-name`, `--agency-domain`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    /// The account (domain) that created the agency.
    pub domain_name: String,
    /// The agency's name.
    pub agency_name: String,
}
