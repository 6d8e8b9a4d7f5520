//! Password login: `POST {iam}/v3/auth/tokens?nocatalog=true` with the `password` method (and
//! `totp` for a virtual MFA device), scoped to a project by id or by name (the region). The answer
//! (201) carries the token in `X-Subject-Token` and `token.expires_at` / `token.project.id` in its
//! body. Send the token as `X-Auth-Token` ([`crate::Auth::Token`]).
//!
//! ```
//! use modelarts_protocol::iam::token::{Password, PasswordLogin, ProjectScope};
//! use modelarts_protocol::operations::Operation;
//! use modelarts_protocol::Endpoint;
//!
//! let login = PasswordLogin::new("alice", Password::new("s3cret"), "example-domain", ProjectScope::Name("cn-north-4".into()));
//! assert!(!format!("{login:?}").contains("s3cret"));
//! let request = login.build_request(&Endpoint::from_url("https://iam.cn-north-4.myhuaweicloud.com")?)?;
//! assert_eq!(request.uri().path(), "/v3/auth/tokens");
//!
//! let answer = http::Response::builder()
//!     .status(201)
//!     .header("x-subject-token", "MIIthe-token")
//!     .body(bytes::Bytes::from_static(br#"{"token":{"expires_at":"2030-01-02T03:04:05.000000Z","project":{"id":"0123456789abcdef0123456789abcdef","name":"cn-north-4"}}}"#))?;
//! let issued = PasswordLogin::parse_response(answer)?;
//! assert_eq!(issued.token.expose(), "MIIthe-token");
//! assert_eq!(issued.project_id.unwrap().as_str(), "0123456789abcdef0123456789abcdef");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

use super::{
    X_SUBJECT_TOKEN, check_name, format_time, iam_request, malformed, parse_iam_json, parse_time, trace_id,
};
use crate::auth::IamToken;
use crate::endpoint::Endpoint;
use crate::error::{BuildError, ResponseError};
use crate::ids::ProjectId;
use crate::lenient;
use crate::operations::Operation;

/// A password. `Debug` never shows it.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Self(SecretString::from(password.into()))
    }

    /// The password. Handle with care: never log it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Which project a token is scoped to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProjectScope {
    /// By id, when it is known.
    Id(ProjectId),
    /// By name: the region (or `region_subproject`).
    Name(String),
}

impl ProjectScope {
    fn to_json(&self) -> serde_json::Value {
        match self {
            ProjectScope::Id(id) => json!({ "project": { "id": id.as_str() } }),
            ProjectScope::Name(name) => json!({ "project": { "name": name.trim() } }),
        }
    }

    fn check(&self) -> Result<(), BuildError> {
        match self {
            ProjectScope::Id(_) => Ok(()),
            ProjectScope::Name(name) => check_name("project name", name, 64),
        }
    }
}

/// A one-time code of a virtual MFA device (six digits, valid about 30 s). `Debug` never shows it.
#[derive(Clone)]
pub struct MfaCode(SecretString);

impl MfaCode {
    /// Wraps a code (surrounding spaces removed).
    pub fn new(code: impl Into<String>) -> Self {
        Self(SecretString::from(code.into().trim().to_owned()))
    }

    /// The code. Handle with care: never log it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for MfaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MfaCode(<redacted>)")
    }
}

/// A virtual MFA (TOTP) code and the id of the user it belongs to, as the API requires.
#[derive(Clone)]
pub struct Mfa {
    /// The IAM user id.
    pub user_id: String,
    passcode: SecretString,
}

impl Mfa {
    /// The six-digit code of the user's virtual MFA device.
    pub fn new(user_id: impl Into<String>, passcode: impl Into<String>) -> Self {
        Self { user_id: user_id.into(), passcode: SecretString::from(passcode.into()) }
    }

    /// The code `code` of the user `user_id`.
    pub fn of(user_id: impl Into<String>, code: &MfaCode) -> Self {
        Self { user_id: user_id.into(), passcode: code.0.clone() }
    }

    /// The code itself (to mask it where it could be echoed).
    pub fn expose_passcode(&self) -> &str {
        self.passcode.expose_secret()
    }
}

/// What a refused password login says about why (read from the refusal's message, since IAM gives
/// these refusals no code of their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginRefusal {
    /// The user's login is protected by a virtual MFA device and no code was sent.
    MfaRequired,
    /// The MFA code was wrong or expired.
    MfaCodeWrong,
    /// The user name, password or account is wrong.
    WrongPassword,
    /// Anything else.
    Other,
}

impl LoginRefusal {
    /// Classifies a refusal of [`PasswordLogin`].
    ///
    /// ```
    /// use modelarts_protocol::error::ApiError;
    /// use modelarts_protocol::iam::token::LoginRefusal;
    /// let e = ApiError::new(401).with_message("The verification code is wrong.");
    /// assert_eq!(LoginRefusal::of(&e), LoginRefusal::MfaCodeWrong);
    /// ```
    pub fn of(error: &crate::error::ApiError) -> Self {
        let text = error.message().unwrap_or_default().to_ascii_lowercase();
        let mfa = text.contains("mfa") || text.contains("totp") || text.contains("verification code");
        if mfa && (text.contains("required") || text.contains("needs") || text.contains("missing")) {
            LoginRefusal::MfaRequired
        } else if mfa {
            LoginRefusal::MfaCodeWrong
        } else if text.contains("username or password") || text.contains("password is wrong") {
            LoginRefusal::WrongPassword
        } else {
            LoginRefusal::Other
        }
    }
}

impl fmt::Debug for Mfa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mfa").field("user_id", &self.user_id).field("passcode", &"<redacted>").finish()
    }
}

/// Input of the password login. `Debug` redacts the password and the MFA code.
#[derive(Clone)]
pub struct PasswordLogin {
    /// The IAM user name.
    pub user_name: String,
    /// The password.
    pub password: Password,
    /// The account (domain) name.
    pub domain_name: String,
    /// The project the token is for.
    pub scope: ProjectScope,
    /// A virtual MFA code, when the user's login is protected by one.
    pub mfa: Option<Mfa>,
}

impl fmt::Debug for PasswordLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordLogin")
            .field("user_name", &self.user_name)
            .field("password", &self.password)
            .field("domain_name", &self.domain_name)
            .field("scope", &self.scope)
            .field("mfa", &self.mfa)
            .finish()
    }
}

impl PasswordLogin {
    /// A login without MFA.
    pub fn new(
        user_name: impl Into<String>,
        password: Password,
        domain_name: impl Into<String>,
        scope: ProjectScope,
    ) -> Self {
        Self { user_name: user_name.into(), password, domain_name: domain_name.into(), scope, mfa: None }
    }

    /// Adds a virtual MFA code.
    pub fn with_mfa(mut self, mfa: Mfa) -> Self {
        self.mfa = Some(mfa);
        self
    }
}

/// A token IAM issued, with what its answer says about it. `Debug` redacts the token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The token (`X-Subject-Token`).
    pub token: IamToken,
    /// When it expires (`token.expires_at`).
    pub expires_at: SystemTime,
    /// When it was issued (`token.issued_at`), if given.
    pub issued_at: Option<SystemTime>,
    /// The project it is scoped to (`token.project.id`), if given and valid.
    pub project_id: Option<ProjectId>,
    /// The project's name (`token.project.name`).
    pub project_name: Option<String>,
    /// The user's id (`token.user.id`).
    pub user_id: Option<String>,
    /// The answer's trace id.
    pub trace_id: Option<String>,
}

impl IssuedToken {
    /// A one-line description without the token: `expires 2030-01-02T03:04:05Z, project …`.
    pub fn describe(&self) -> String {
        let project = self.project_id.as_ref().map_or("no project", ProjectId::as_str);
        format!("expires {}, project {project}", format_time(self.expires_at))
    }
}

impl Operation for PasswordLogin {
    type Output = IssuedToken;
    const NAME: &'static str = "password_login";
    const IDEMPOTENT: bool = true;
    const SECRET_BODY: bool = true;

    fn build_request(&self, endpoint: &Endpoint) -> Result<Request<Bytes>, BuildError> {
        check_name("user_name", &self.user_name, 64)?;
        check_name("domain_name", &self.domain_name, 64)?;
        if self.password.expose().is_empty() {
            return Err(BuildError::InvalidParameter {
                name: "password",
                value: String::new(),
                reason: "must not be empty",
            });
        }
        self.scope.check()?;
        let password = json!({
            "user": {
                "name": self.user_name.trim(),
                "password": self.password.expose(),
                "domain": { "name": self.domain_name.trim() },
            }
        });
        let identity = match &self.mfa {
            None => json!({ "methods": ["password"], "password": password }),
            Some(mfa) => {
                check_name("mfa user_id", &mfa.user_id, 64)?;
                let code = mfa.passcode.expose_secret();
                if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(BuildError::InvalidParameter {
                        name: "mfa passcode",
                        value: "<redacted>".into(),
                        reason: "must be six digits",
                    });
                }
                json!({
                    "methods": ["password", "totp"],
                    "password": password,
                    "totp": { "user": { "id": mfa.user_id.trim(), "passcode": code } },
                })
            }
        };
        let body = json!({ "auth": { "identity": identity, "scope": self.scope.to_json() } });
        iam_request(
            Method::POST,
            endpoint,
            "/v3/auth/tokens",
            "nocatalog=true",
            Some(body.to_string().into_bytes()),
        )
    }

    fn parse_response(response: Response<Bytes>) -> Result<IssuedToken, ResponseError> {
        parse_issued_token(&response)
    }
}

#[derive(Deserialize)]
struct TokenEnvelope {
    #[serde(default)]
    token: Option<TokenBody>,
}

#[derive(Deserialize)]
struct TokenBody {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    expires_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    issued_at: Option<String>,
    #[serde(default)]
    project: Option<Named>,
    #[serde(default)]
    user: Option<Named>,
}

#[derive(Deserialize)]
struct Named {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
}

/// Parses a token answer (password or federated login): the `X-Subject-Token` header and the
/// `token` object of the body. The body holds no secret; the header's value never enters an error.
pub(crate) fn parse_issued_token(response: &Response<Bytes>) -> Result<IssuedToken, ResponseError> {
    let envelope: TokenEnvelope = parse_iam_json(response, false)?;
    let token = response
        .headers()
        .get(X_SUBJECT_TOKEN)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| malformed(response, "the answer has no X-Subject-Token header".into(), false))?;
    if HeaderValue::from_str(token).is_err() {
        return Err(malformed(
            response,
            "the X-Subject-Token header is not a valid header value".into(),
            false,
        ));
    }
    let body =
        envelope.token.ok_or_else(|| malformed(response, "the answer has no token object".into(), false))?;
    let expires_text = body
        .expires_at
        .ok_or_else(|| malformed(response, "the answer has no token.expires_at".into(), false))?;
    let expires_at = parse_time(&expires_text).ok_or_else(|| {
        malformed(response, format!("token.expires_at {expires_text:?} is not an RFC 3339 time"), false)
    })?;
    let (project_id, project_name) = match body.project {
        Some(p) => (p.id.and_then(|id| id.parse().ok()), p.name),
        None => (None, None),
    };
    Ok(IssuedToken {
        token: IamToken::new(token),
        expires_at,
        issued_at: body.issued_at.as_deref().and_then(parse_time),
        project_id,
        project_name,
        user_id: body.user.and_then(|u| u.id),
        trace_id: trace_id(response.headers()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iam() -> Endpoint {
        Endpoint::from_url("https://iam.example").unwrap()
    }

    fn body(request: &Request<Bytes>) -> serde_json::Value {
        serde_json::from_slice(request.body()).unwrap()
    }

    #[test]
    fn request_bodies_table() {
        let pid: ProjectId = "0123456789abcdef0123456789abcdef".parse().unwrap();
        let by_name = PasswordLogin::new(
            " alice ",
            Password::new("pw"),
            "dom",
            ProjectScope::Name("cn-north-4".into()),
        );
        let r = by_name.build_request(&iam()).unwrap();
        assert_eq!(
            (r.method().as_str(), r.uri().to_string().as_str()),
            ("POST", "https://iam.example/v3/auth/tokens?nocatalog=true")
        );
        assert_eq!(
            body(&r),
            json!({"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"alice","password":"pw","domain":{"name":"dom"}}}},"scope":{"project":{"name":"cn-north-4"}}}})
        );

        let by_id = PasswordLogin::new("alice", Password::new("pw"), "dom", ProjectScope::Id(pid.clone()))
            .with_mfa(Mfa::new("user-id-1", "123456"));
        let b = body(&by_id.build_request(&iam()).unwrap());
        assert_eq!(b["auth"]["scope"], json!({"project":{"id":pid.as_str()}}));
        assert_eq!(b["auth"]["identity"]["methods"], json!(["password", "totp"]));
        assert_eq!(b["auth"]["identity"]["totp"], json!({"user":{"id":"user-id-1","passcode":"123456"}}));

        let bad = [
            PasswordLogin::new("", Password::new("pw"), "dom", ProjectScope::Name("r".into())),
            PasswordLogin::new("a", Password::new(""), "dom", ProjectScope::Name("r".into())),
            PasswordLogin::new("a", Password::new("pw"), "\n", ProjectScope::Name("r".into())),
            PasswordLogin::new("a", Password::new("pw"), "d", ProjectScope::Name(" ".into())),
            PasswordLogin::new("a", Password::new("pw"), "d", ProjectScope::Name("r".into()))
                .with_mfa(Mfa::new("u", "12a456")),
        ];
        for login in bad {
            let e = login.build_request(&iam()).unwrap_err();
            assert!(!format!("{e} {e:?}").contains("12a456"), "{e:?}");
        }
    }

    #[test]
    fn login_refusals_table() {
        use crate::error::ApiError;
        let cases = [
            (
                "Virtual MFA verification is required for this user: add the totp method.",
                LoginRefusal::MfaRequired,
            ),
            ("The verification code is wrong.", LoginRefusal::MfaCodeWrong),
            ("The username or password is wrong.", LoginRefusal::WrongPassword),
            ("The project is disabled.", LoginRefusal::Other),
            ("", LoginRefusal::Other),
        ];
        for (message, expected) in cases {
            let mut e = ApiError::new(401);
            e.message = Some(message.to_owned());
            assert_eq!(LoginRefusal::of(&e), expected, "{message}");
        }
        assert_eq!(LoginRefusal::of(&ApiError::new(401)), LoginRefusal::Other);
        let code = MfaCode::new(" 123456 ");
        assert_eq!(code.expose(), "123456");
        assert!(!format!("{code:?} {:?}", Mfa::of("uid", &code)).contains("123456"));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let login = PasswordLogin::new(
            "alice",
            Password::new("hunter2-secret"),
            "dom",
            ProjectScope::Name("r".into()),
        )
        .with_mfa(Mfa::new("uid", "654321"));
        let shown = format!("{login:?}");
        assert!(!shown.contains("hunter2-secret") && !shown.contains("654321"), "{shown}");
        assert!(shown.contains("alice") && shown.contains("uid"));
    }

    #[test]
    fn answers_table() {
        let ok_body = r#"{"token":{"expires_at":"2030-01-02T03:04:05.000000Z","issued_at":"2030-01-01T03:04:05.000000Z","methods":["password"],"project":{"id":"0123456789abcdef0123456789abcdef","name":"cn-north-4","domain":{"id":"d"}},"user":{"id":"u-1","name":"alice"}}}"#;
        let answer = |status: u16, token: Option<&str>, body: &str| {
            let mut b = Response::builder().status(status).header("x-iam-trace-id", "tr");
            if let Some(t) = token {
                b = b.header(X_SUBJECT_TOKEN, t);
            }
            b.body(Bytes::from(body.to_owned())).unwrap()
        };
        let issued = PasswordLogin::parse_response(answer(201, Some("MIItoken-secret"), ok_body)).unwrap();
        assert_eq!(issued.token.expose(), "MIItoken-secret");
        assert_eq!(issued.project_name.as_deref(), Some("cn-north-4"));
        assert_eq!(issued.user_id.as_deref(), Some("u-1"));
        assert_eq!(issued.trace_id.as_deref(), Some("tr"));
        assert!(issued.issued_at.is_some());
        assert_eq!(
            issued.describe(),
            "expires 2030-01-02T03:04:05Z, project 0123456789abcdef0123456789abcdef"
        );
        assert!(!format!("{issued:?}").contains("MIItoken-secret"));

        let failures = [
            answer(201, None, ok_body),
            answer(201, Some(" "), ok_body),
            answer(201, Some("MIItoken-secret"), r#"{"token":{}}"#),
            answer(201, Some("MIItoken-secret"), r#"{"token":{"expires_at":"tomorrow"}}"#),
            answer(201, Some("MIItoken-secret"), r#"{}"#),
            answer(201, Some("MIItoken-secret"), "not json"),
        ];
        for r in failures {
            let e = PasswordLogin::parse_response(r).unwrap_err();
            assert!(matches!(e, ResponseError::Malformed { .. }), "{e:?}");
            assert!(!format!("{e} {e:?}").contains("MIItoken-secret"), "{e:?}");
        }
        let wrong = answer(
            401,
            None,
            r#"{"error":{"code":401,"title":"Unauthorized","message":"The username or password is wrong."}}"#,
        );
        let e = PasswordLogin::parse_response(wrong).unwrap_err();
        assert_eq!(
            e.api_error().and_then(|a| a.message.as_deref()),
            Some("The username or password is wrong.")
        );
        assert_eq!(e.request_id(), Some("tr"));
    }
}
