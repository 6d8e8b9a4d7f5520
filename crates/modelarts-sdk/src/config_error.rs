//! [`ConfigError`]: why a configuration cannot make a client, one variant per cause with the data
//! that names it (the setting's source, the file and line, the variable). A leaf below `resolve`,
//! `identity` and `client`, which raise it.
//!
//! No variant holds a secret: an empty or malformed key, password, token or MFA code is named by
//! where it came from, never by its value; a file is named by its path, never quoted.

use std::path::PathBuf;

use modelarts_protocol::endpoint::EndpointError;
use modelarts_protocol::iam::endpoint::IamEndpointError;
use modelarts_protocol::iam::projects::ProjectLookupError;
use modelarts_protocol::ids::IdError;
use modelarts_protocol::regions_file::RegionsFileError;

use crate::files::TextFileError;
use crate::settings::SettingSource;

/// The error of a call made for the identity: a `crate::Error`, boxed so that this leaf names no
/// module above it.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A file a configuration names, for messages (`the credentials file`, `the CA bundle`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigFile {
    /// The official SDKs' credentials file (INI, one section per profile).
    Credentials,
    /// The official SDKs' `regions.yaml`.
    Regions,
    /// An extra PEM bundle of trusted CA certificates.
    CaBundle,
    /// The OIDC ID-token file of a federation.
    IdToken,
    /// The authorization token file of CCE pod identity.
    PodToken,
}

impl std::fmt::Display for ConfigFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConfigFile::Credentials => "the credentials file",
            ConfigFile::Regions => "the regions file",
            ConfigFile::CaBundle => "the CA bundle",
            ConfigFile::IdToken => "the ID token file",
            ConfigFile::PodToken => "the pod authorization token file",
        })
    }
}

/// Which endpoint setting a URL was given for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndpointSetting {
    /// The ModelArts endpoint (or one of its list).
    ModelArts,
    /// The IAM endpoint.
    Iam,
    /// The ECS/BMS metadata service.
    Metadata,
    /// The CCE pod identity service (`HC_CONTAINER_CREDENTIALS_FULL_URI`).
    PodIdentity,
}

/// Which identity call failed while a client was connected ([`ClientBuilder::connect`](crate::ClientBuilder::connect)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentityCall {
    /// The CCE pod identity service.
    PodIdentity,
    /// Assuming an agency with the base credentials (`method`: `AK/SK`, `IAM token`, …).
    Agency {
        /// The agency's name.
        agency_name: String,
        /// The account (domain) that created it.
        domain_name: String,
        /// The base credentials' method.
        method: &'static str,
    },
    /// An OIDC login through an identity provider.
    FederationLogin {
        /// The identity provider's id.
        idp_id: String,
    },
    /// Trading the federated token for temporary keys.
    FederationExchange,
    /// A password login; `reason` says what IAM's refusal means (MFA required, a wrong code, …).
    PasswordLogin {
        /// The explanation shown, naming the user (`name@account`), never the password or code.
        reason: String,
    },
}

/// Why a configuration cannot make a client. `Display` names the cause (the setting, where it came
/// from, the file and line); `source()` is the underlying error, if any. Never holds a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    // ---- the environment and the profile
    /// An environment variable holds bytes that are not UTF-8 (the value is not shown).
    #[error("the environment variable {variable} is not valid UTF-8; set it to a UTF-8 value or unset it")]
    NotUnicode {
        /// The variable.
        variable: String,
    },
    /// The profile name is empty.
    #[error("the profile name is empty")]
    EmptyProfileName,
    /// A profile chosen explicitly is not a section of the credentials file.
    #[error(
        "profile [{profile}] not found in the credentials file {} (sections: {})",
        path.display(),
        if sections.is_empty() { "none".to_owned() } else { sections.join(", ") }
    )]
    ProfileNotFound {
        /// The profile.
        profile: String,
        /// The credentials file.
        path: PathBuf,
        /// The sections it has.
        sections: Vec<String>,
    },

    // ---- files
    /// A file cannot be opened or read (missing, not a regular file, too large, no permission).
    #[error("cannot read {file} {}{}", path.display(), from.as_ref().map(|s| format!(" (from {s})")).unwrap_or_default())]
    UnreadableFile {
        /// Which file.
        file: ConfigFile,
        /// Its path.
        path: PathBuf,
        /// The setting that named it, where the message says so.
        from: Option<SettingSource>,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not UTF-8 text (UTF-16, NUL bytes, a legacy encoding: the line of the first bad byte).
    #[error("{file} {} {reason}", path.display())]
    NotText {
        /// Which file.
        file: ConfigFile,
        /// Its path.
        path: PathBuf,
        /// What is wrong with its text.
        reason: TextFileError,
    },
    /// A token file is not UTF-8.
    #[error("{file} {} is not UTF-8", path.display())]
    NotUtf8 {
        /// Which file.
        file: ConfigFile,
        /// Its path.
        path: PathBuf,
    },
    /// A token file is empty (or only blanks).
    #[error("{file} {} is empty", path.display())]
    EmptyFile {
        /// Which file.
        file: ConfigFile,
        /// Its path.
        path: PathBuf,
    },
    /// The credentials file does not parse (the reason names the line's fault, never a value).
    #[error("the credentials file {}, line {line}: {reason}", path.display())]
    CredentialsFileSyntax {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The regions file does not parse.
    #[error("cannot use the regions file {}", path.display())]
    RegionsFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: RegionsFileError,
    },

    // ---- what the calls address
    /// The project ID is not a valid ID.
    #[error("invalid project ID from {from}")]
    InvalidProjectId {
        /// Where it came from.
        from: SettingSource,
        /// Why.
        source: IdError,
    },
    /// The API is neither `v1` nor `v2`.
    #[error("invalid API from {from}: expected v1 or v2")]
    InvalidApi {
        /// Where it came from.
        from: SettingSource,
        /// The value given.
        value: String,
    },
    /// No project ID, and nothing to find it by (`build` cannot look it up).
    #[error(
        "no project ID: set it explicitly, in HUAWEICLOUD_SDK_PROJECT_ID, or as project_id in the credentials file (or build the client with ClientBuilder::connect, which looks it up through IAM)"
    )]
    NoProjectId,
    /// No project ID and no region to look it up by.
    #[error(
        "no project ID and no region to look it up by: set the project ID (HUAWEICLOUD_SDK_PROJECT_ID) or a region (MODELARTS_REGION)"
    )]
    NoProjectIdOrRegion,
    /// IAM has no single enabled project named after the region.
    #[error("cannot find the project of region {region:?}")]
    ProjectNotFound {
        /// The region.
        region: String,
        /// What IAM listed.
        source: ProjectLookupError,
    },

    // ---- endpoints
    /// An endpoint URL does not parse.
    #[error("{}", invalid_endpoint(*setting, from))]
    InvalidEndpointUrl {
        /// Which endpoint.
        setting: EndpointSetting,
        /// Where the URL came from.
        from: SettingSource,
        /// Why.
        source: EndpointError,
    },
    /// The region is not in the built-in table, and no endpoint URL was set.
    #[error(
        "unknown region {region:?} (from {from}): set the endpoint URL explicitly (MODELARTS_ENDPOINT_URL or {variable})"
    )]
    UnknownRegion {
        /// The region.
        region: String,
        /// Where it came from.
        from: SettingSource,
        /// The official SDKs' per-region endpoint variable for it.
        variable: String,
        /// The table's answer, which suggests the closest regions.
        source: EndpointError,
    },
    /// The region cannot make an endpoint.
    #[error("invalid region {region:?}")]
    InvalidRegion {
        /// The region.
        region: String,
        /// Why.
        source: EndpointError,
    },
    /// The IAM endpoint cannot be resolved.
    #[error(transparent)]
    IamEndpoint(IamEndpointError),
    /// Neither a region nor an endpoint is set.
    #[error(
        "no region and no endpoint: set a region (MODELARTS_REGION) or an endpoint URL (MODELARTS_ENDPOINT_URL)"
    )]
    NoEndpoint,
    /// A plain `http://` endpoint without `allow_http`.
    #[error("the endpoint {endpoint} uses plain http; allow it explicitly (allow_http) or use https")]
    PlainHttp {
        /// The endpoint's URL.
        endpoint: String,
    },

    // ---- transport
    /// A timeout of zero.
    #[error("the {name} must be greater than zero")]
    ZeroTimeout {
        /// `connect timeout` or `timeout`.
        name: &'static str,
    },
    /// Zero attempts per call.
    #[error("max_attempts must be at least 1 (1 means no retries)")]
    ZeroAttempts,
    /// The CA bundle cannot be used (no certificate in it, a bad PEM block).
    #[cfg(feature = "transport")]
    #[error("cannot use the CA bundle {}", path.display())]
    CaBundle {
        /// The bundle.
        path: PathBuf,
        /// Why.
        source: modelarts_transport::BuildError,
    },
    /// The HTTPS transport cannot be built.
    #[cfg(feature = "transport")]
    #[error("cannot build the HTTPS transport")]
    HttpsTransport(#[source] modelarts_transport::BuildError),

    // ---- credentials
    /// More than one kind of explicit credentials.
    #[error("more than one of AK/SK credentials, an IAM token and a password login were given; choose one")]
    ConflictingCredentials,
    /// An empty access key.
    #[error("the access key (AK) from {from} is empty")]
    EmptyAccessKey {
        /// Where it came from (`the environment`, `file … [profile]`, …).
        from: String,
    },
    /// An empty secret key.
    #[error("the secret key (SK) from {from} is empty")]
    EmptySecretKey {
        /// Where it came from.
        from: String,
    },
    /// An empty password.
    #[error("the password from {from} is empty")]
    EmptyPassword {
        /// Where it came from.
        from: String,
    },
    /// An empty explicit IAM token.
    #[error("the explicit IAM token is empty")]
    EmptyIamToken,
    /// One variable of a pair is set without the other (`HUAWEICLOUD_SDK_AK` without `_SK`, the
    /// pod identity's URI without its token file).
    #[error("{set} is set but {missing} is not")]
    IncompleteEnv {
        /// The variable set.
        set: &'static str,
        /// The one missing.
        missing: &'static str,
    },
    /// A profile has `ak` without `sk`, or the reverse.
    #[error("{from} has {has} but no {missing}")]
    IncompleteKeyPair {
        /// The file and section.
        from: String,
        /// The key it has.
        has: &'static str,
        /// The key it lacks.
        missing: &'static str,
    },
    /// A password login without all of user name, password and account.
    #[error("a password login from {from} needs {} too", missing.join(" and "))]
    IncompletePasswordLogin {
        /// Where it came from.
        from: String,
        /// The settings missing (variables or file keys).
        missing: Vec<String>,
    },
    /// A federation without both an identity provider and an ID-token file.
    #[error(
        "{from} names {} but no {}",
        if *has_identity_provider { "an identity provider" } else { "an ID-token file" },
        if *has_identity_provider { "ID-token file" } else { "identity provider" }
    )]
    IncompleteFederation {
        /// Where it came from.
        from: String,
        /// Whether the identity provider is the half given (else the ID-token file is).
        has_identity_provider: bool,
    },
    /// An agency name without its account (domain), or the reverse.
    #[error("{}", incomplete_agency(from, *has_name))]
    IncompleteAgency {
        /// Where it came from.
        from: SettingSource,
        /// Whether the name is the half given (else the domain is).
        has_name: bool,
    },
    /// A virtual MFA code that is empty.
    #[error(
        "the virtual MFA code ({from}) is empty: give the current six-digit code of the MFA device, or unset it"
    )]
    EmptyMfaCode {
        /// Where it came from.
        from: SettingSource,
    },
    /// A virtual MFA code that is not six digits (the code is not shown).
    #[error(
        "the virtual MFA code ({from}) is not six digits: give the current six-digit code of the MFA device"
    )]
    MalformedMfaCode {
        /// Where it came from.
        from: SettingSource,
    },
    /// A virtual MFA code without a password login to send it with.
    #[error(
        "a virtual MFA code is set ({from}) but the credentials are not a password login: the code is only sent with HUAWEICLOUD_SDK_USERNAME/_PASSWORD/_DOMAIN_NAME (or the profile's username/password/domain_name)"
    )]
    MfaWithoutPasswordLogin {
        /// Where the code came from.
        from: SettingSource,
    },
    /// A virtual MFA code without the IAM user's id.
    #[error(
        "a virtual MFA code is set ({from}) but not the id of the IAM user {user}, which the MFA login must send: set --user-id (MODELARTS_USER_ID, profile key user_id); the console shows it under My Credentials"
    )]
    MfaWithoutUserId {
        /// Where the code came from.
        from: SettingSource,
        /// The user (`name@account`).
        user: String,
    },

    // ---- identity (ClientBuilder::connect)
    /// The credentials need a login, which `build` does not make.
    #[error(
        "the credentials from {from} ({login}) need a login first: build the client with ClientBuilder::connect"
    )]
    LoginNeedsConnect {
        /// Where they came from.
        from: SettingSource,
        /// The login, described without secrets.
        login: String,
    },
    /// An agency, which `build` does not assume.
    #[error(
        "the agency {agency:?} (from {from}) is assumed through IAM: build the client with ClientBuilder::connect"
    )]
    AgencyNeedsConnect {
        /// The agency's name.
        agency: String,
        /// Where it came from.
        from: SettingSource,
    },
    /// A password login with neither a region nor a project ID.
    #[error("a password login needs a region or a project ID to scope its token to")]
    PasswordLoginUnscoped,
    /// IAM refused the credentials (HTTP 401): a wrong key or a clock off by more than 15 min.
    #[error(
        "{host} refused the credentials (HTTP 401): the access key or secret key is wrong, or this machine's clock is off by more than 15 minutes ({})",
        match skew_secs {
            Some(s) => format!("the clock skew measured from the answer is {s}s"),
            None => "no clock skew could be measured".to_owned(),
        }
    )]
    CredentialsRefused {
        /// The IAM host.
        host: String,
        /// The clock skew measured from the answer, in seconds, if any.
        skew_secs: Option<i64>,
        /// The refusal (a [`crate::Error`]).
        source: BoxError,
    },
    /// An identity call failed.
    #[error("{}", identity_call(call, host))]
    IdentityCallFailed {
        /// Which call.
        call: IdentityCall,
        /// The host it went to.
        host: String,
        /// The call's error (a [`crate::Error`]).
        source: BoxError,
    },
    /// The ECS/BMS metadata service, asked for explicitly, gave no credentials.
    #[error("the ECS/BMS metadata service at {endpoint}: {reason}")]
    Metadata {
        /// The service's address.
        endpoint: String,
        /// What went wrong.
        reason: String,
    },
}

fn invalid_endpoint(setting: EndpointSetting, from: &SettingSource) -> String {
    match setting {
        EndpointSetting::ModelArts => format!("invalid endpoint URL from {from}"),
        EndpointSetting::Iam => format!("invalid IAM endpoint from {from}"),
        EndpointSetting::Metadata => format!("invalid metadata endpoint from {from}"),
        EndpointSetting::PodIdentity => match from {
            SettingSource::Env(name) => format!("invalid {name}"),
            other => format!("invalid CCE pod identity URL from {other}"),
        },
    }
}

fn incomplete_agency(from: &SettingSource, has_name: bool) -> String {
    if has_name {
        format!(
            "an agency name is set ({from}) but not the account (domain) that created it: set --agency-domain (MODELARTS_AGENCY_DOMAIN, file key agency_domain)"
        )
    } else {
        format!(
            "an agency domain is set ({from}) but no agency name: set --agency-name (MODELARTS_AGENCY_NAME, file key agency_name)"
        )
    }
}

fn identity_call(call: &IdentityCall, host: &str) -> String {
    match call {
        IdentityCall::PodIdentity => format!("the CCE pod identity service at {host} failed"),
        IdentityCall::Agency { agency_name, domain_name, method } => {
            format!("cannot assume the agency {agency_name:?} of {domain_name:?} at {host} with the {method}")
        }
        IdentityCall::FederationLogin { idp_id } => format!("the OIDC login via {idp_id} at {host} failed"),
        IdentityCall::FederationExchange => {
            format!("cannot trade the federated token for temporary keys at {host}")
        }
        IdentityCall::PasswordLogin { reason } => reason.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientBuilder, Error, ErrorCategory};

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
    }

    /// Each group's `Display` names its cause: the setting, where it came from, the file.
    #[test]
    fn every_group_names_its_cause() {
        let file = SettingSource::File { path: "/h/.huaweicloud/credentials".into(), section: "dev".into() };
        let io = || std::io::Error::from(std::io::ErrorKind::NotFound);
        let bad_url = || modelarts_protocol::endpoint::Endpoint::from_url("ftp://x").unwrap_err();
        let cases: Vec<(ConfigError, &str)> = vec![
            // the environment and the profile
            (
                ConfigError::NotUnicode { variable: "MODELARTS_REGION".into() },
                "MODELARTS_REGION is not valid UTF-8",
            ),
            (ConfigError::EmptyProfileName, "the profile name is empty"),
            (
                ConfigError::ProfileNotFound { profile: "dev".into(), path: "/c".into(), sections: vec![] },
                "profile [dev] not found in the credentials file /c (sections: none)",
            ),
            // files
            (
                ConfigError::UnreadableFile {
                    file: ConfigFile::Credentials,
                    path: "/c".into(),
                    from: Some(SettingSource::Explicit),
                    source: io(),
                },
                "cannot read the credentials file /c (from flag/explicit)",
            ),
            (
                ConfigError::UnreadableFile {
                    file: ConfigFile::Regions,
                    path: "/r".into(),
                    from: None,
                    source: io(),
                },
                "cannot read the regions file /r",
            ),
            (
                ConfigError::NotText {
                    file: ConfigFile::Credentials,
                    path: "/c".into(),
                    reason: TextFileError::Utf16,
                },
                "the credentials file /c is UTF-16",
            ),
            (
                ConfigError::NotUtf8 { file: ConfigFile::IdToken, path: "/t".into() },
                "the ID token file /t is not UTF-8",
            ),
            (
                ConfigError::EmptyFile { file: ConfigFile::PodToken, path: "/t".into() },
                "pod authorization token file /t is empty",
            ),
            (
                ConfigError::CredentialsFileSyntax {
                    path: "/c".into(),
                    line: 3,
                    reason: "empty section name".into(),
                },
                "the credentials file /c, line 3: empty section name",
            ),
            // what the calls address
            (
                ConfigError::InvalidProjectId {
                    from: file.clone(),
                    source: modelarts_protocol::ids::ProjectId::new("").unwrap_err(),
                },
                "invalid project ID from file /h/.huaweicloud/credentials [dev]",
            ),
            (
                ConfigError::InvalidApi {
                    from: SettingSource::Env("MODELARTS_API".into()),
                    value: "v3".into(),
                },
                "invalid API from env MODELARTS_API: expected v1 or v2",
            ),
            (ConfigError::NoProjectId, "no project ID: set it explicitly"),
            (ConfigError::NoProjectIdOrRegion, "no project ID and no region"),
            // endpoints
            (
                ConfigError::InvalidEndpointUrl {
                    setting: EndpointSetting::ModelArts,
                    from: SettingSource::Explicit,
                    source: bad_url(),
                },
                "invalid endpoint URL from flag/explicit",
            ),
            (
                ConfigError::InvalidEndpointUrl {
                    setting: EndpointSetting::PodIdentity,
                    from: SettingSource::Env("HC_CONTAINER_CREDENTIALS_FULL_URI".into()),
                    source: bad_url(),
                },
                "invalid HC_CONTAINER_CREDENTIALS_FULL_URI",
            ),
            (
                ConfigError::UnknownRegion {
                    region: "mars-1".into(),
                    from: SettingSource::Explicit,
                    variable: "HUAWEICLOUD_SDK_REGION_MODELARTS_MARS_1".into(),
                    source: EndpointError::UnknownRegion("mars-1".into()),
                },
                "unknown region \"mars-1\" (from flag/explicit): set the endpoint URL explicitly (MODELARTS_ENDPOINT_URL or HUAWEICLOUD_SDK_REGION_MODELARTS_MARS_1)",
            ),
            (ConfigError::NoEndpoint, "no region and no endpoint"),
            (ConfigError::PlainHttp { endpoint: "http://x".into() }, "the endpoint http://x uses plain http"),
            // transport
            (
                ConfigError::ZeroTimeout { name: "connect timeout" },
                "the connect timeout must be greater than zero",
            ),
            (ConfigError::ZeroAttempts, "max_attempts must be at least 1"),
            // credentials
            (ConfigError::ConflictingCredentials, "more than one of AK/SK credentials"),
            (
                ConfigError::EmptySecretKey { from: "the environment".into() },
                "the secret key (SK) from the environment is empty",
            ),
            (
                ConfigError::IncompleteEnv { set: "HUAWEICLOUD_SDK_AK", missing: "HUAWEICLOUD_SDK_SK" },
                "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not",
            ),
            (
                ConfigError::IncompleteKeyPair { from: "file /c [dev]".into(), has: "ak", missing: "sk" },
                "file /c [dev] has ak but no sk",
            ),
            (
                ConfigError::IncompletePasswordLogin {
                    from: "the environment".into(),
                    missing: vec!["A".into(), "B".into()],
                },
                "a password login from the environment needs A and B too",
            ),
            (
                ConfigError::IncompleteFederation { from: "f".into(), has_identity_provider: false },
                "f names an ID-token file but no identity provider",
            ),
            (
                ConfigError::IncompleteAgency { from: SettingSource::Explicit, has_name: true },
                "an agency name is set (flag/explicit) but not the account",
            ),
            (
                ConfigError::MalformedMfaCode { from: SettingSource::Explicit },
                "the virtual MFA code (flag/explicit) is not six digits",
            ),
            (
                ConfigError::MfaWithoutUserId { from: SettingSource::Explicit, user: "alice@acme".into() },
                "not the id of the IAM user alice@acme",
            ),
            // identity
            (
                ConfigError::LoginNeedsConnect {
                    from: SettingSource::Explicit,
                    login: "password login of a@b".into(),
                },
                "(password login of a@b) need a login first",
            ),
            (ConfigError::PasswordLoginUnscoped, "a password login needs a region or a project ID"),
            (
                ConfigError::CredentialsRefused {
                    host: "iam.example".into(),
                    skew_secs: Some(-1200),
                    source: "401".into(),
                },
                "iam.example refused the credentials (HTTP 401): the access key or secret key is wrong, or this machine's clock is off by more than 15 minutes (the clock skew measured from the answer is -1200s)",
            ),
            (
                ConfigError::IdentityCallFailed {
                    call: IdentityCall::Agency {
                        agency_name: "ops".into(),
                        domain_name: "acme".into(),
                        method: "AK/SK",
                    },
                    host: "iam.example".into(),
                    source: "x".into(),
                },
                "cannot assume the agency \"ops\" of \"acme\" at iam.example with the AK/SK",
            ),
            (
                ConfigError::Metadata {
                    endpoint: "http://169.254.169.254".into(),
                    reason: "no agency".into(),
                },
                "the ECS/BMS metadata service at http://169.254.169.254: no agency",
            ),
        ];
        for (error, names) in cases {
            let text = error.to_string();
            assert!(text.contains(names), "{text:?} lacks {names:?}");
            let error = Error::from(error);
            assert_eq!(error.category(), ErrorCategory::Config);
            assert_eq!(error.to_string(), format!("invalid configuration: {text}"));
            assert!(error.config_error().is_some());
        }
    }

    /// A secret given where it does not belong, or malformed, is named by its source only.
    #[test]
    fn no_secret_reaches_the_error() {
        let builders = [
            // An MFA code that is not six digits.
            ClientBuilder::new().mfa_code("12345SECRET").env(|_| None),
            // An MFA code without a password login.
            ClientBuilder::new()
                .mfa_code("123456")
                .env(env(&[("HUAWEICLOUD_SDK_AK", "AK"), ("HUAWEICLOUD_SDK_SK", "SECRET-SK")])),
            // A secret key without an access key.
            ClientBuilder::new().env(env(&[("HUAWEICLOUD_SDK_SK", "SECRET-SK")])),
            // A password without the user name and account.
            ClientBuilder::new().env(env(&[("HUAWEICLOUD_SDK_PASSWORD", "SECRET-PW")])),
            // An empty access key beside a secret key.
            ClientBuilder::new()
                .credentials(modelarts_protocol::signing::Credentials::new(" ", "SECRET-SK"))
                .env(|_| None),
        ];
        for builder in builders {
            let error = builder.resolve().unwrap_err();
            let shown = format!("{error} {error:?} {:?}", error.config_error());
            assert!(!shown.contains("SECRET") && !shown.contains("123456"), "{shown}");
            assert_eq!(error.category(), ErrorCategory::Config, "{shown}");
        }
    }
}
