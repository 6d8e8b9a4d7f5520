//! `Debug` and `Display` of the identity types (passwords, MFA codes, IAM and ID tokens, metadata
//! session tokens, temporary credentials; the emulator's IAM configuration) and of the errors of
//! answers that carry them never show a secret. (The built login requests carry the password or ID
//! token in their body, as the API requires; they are not printed anywhere.)

use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use modelarts_emulator::{EmulatorConfig, IamConfig, IamFederation, IamUser};
use modelarts_protocol::Endpoint;
use modelarts_protocol::auth::IamToken;
use modelarts_protocol::iam::TemporaryCredentials;
use modelarts_protocol::iam::agency::AssumeAgency;
use modelarts_protocol::iam::federation::{IdToken, IdTokenLogin, TokenToTemporaryKeys};
use modelarts_protocol::iam::metadata::{MetadataSecurityKey, MetadataSessionToken, MetadataToken};
use modelarts_protocol::iam::token::{Mfa, MfaCode, Password, PasswordLogin, ProjectScope};
use modelarts_protocol::operations::Operation;
use modelarts_protocol::signing::Credentials;

const PASSWORD: &str = "PWredactionPassword0123456789PW";
const MFA_CODE: &str = "864209";
const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPREDACTION";
const IAM_TOKEN: &str = "MIIredactionToken0123456789abcdefMII";
const ID_TOKEN: &str = "eyJredactionIdToken0123456789eyJ";
const SESSION: &str = "MDSredactionSession0123456789MDS";
const SK: &str = "SKtemporarySecret0123456789abcdefSK";
const SECURITY_TOKEN: &str = "STStemporaryToken0123456789abcdefSTS";

fn response(status: u16, headers: &[(&str, &str)], body: String) -> http::Response<Bytes> {
    let mut b = http::Response::builder().status(status);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    b.body(Bytes::from(body)).unwrap_or_default()
}

#[test]
fn no_identity_type_shows_a_secret() {
    let secrets = [
        ("password", PASSWORD),
        ("MFA code", MFA_CODE),
        ("MFA device secret", TOTP_SECRET),
        ("IAM token", IAM_TOKEN),
        ("ID token", ID_TOKEN),
        ("metadata session token", SESSION),
        ("secret key", SK),
        ("security token", SECURITY_TOKEN),
    ];
    let mut problems = Vec::new();
    let mut shown = |what: &str, text: String| {
        for (name, secret) in &secrets {
            if text.contains(secret) || text.contains(&secret[..6.min(secret.len())]) && secret.len() > 6 {
                problems.push(format!("{what} shows the {name}:\n  {text}"));
            }
        }
    };

    let scope = ProjectScope::Name("cn-north-4".into());
    let login = PasswordLogin::new("alice", Password::new(PASSWORD), "dom", scope.clone())
        .with_mfa(Mfa::new("uid", MFA_CODE));
    shown("PasswordLogin Debug", format!("{login:?}"));
    shown("Password Debug", format!("{:?}", Password::new(PASSWORD)));
    shown("Mfa Debug", format!("{:?}", Mfa::new("uid", MFA_CODE)));
    shown("MfaCode Debug", format!("{:?}", MfaCode::new(MFA_CODE)));
    let id_login =
        IdTokenLogin { idp_id: "idp".into(), id_token: IdToken::new(ID_TOKEN), scope: Some(scope) };
    shown("IdTokenLogin Debug", format!("{id_login:?}"));
    let keys = TokenToTemporaryKeys { token: IamToken::new(IAM_TOKEN), duration: None };
    shown("TokenToTemporaryKeys Debug", format!("{keys:?}"));
    let metadata = MetadataSecurityKey { session: Some(MetadataToken::new(SESSION)) };
    shown("MetadataSecurityKey Debug", format!("{metadata:?}"));
    let endpoint = Endpoint::from_url("http://169.254.169.254").unwrap_or_else(|e| panic!("{e}"));
    match metadata.build_request(&endpoint) {
        Ok(request) => shown("metadata http::Request Debug", format!("{request:?}")),
        Err(e) => panic!("{}", format!("builds: {e}")),
    }
    let temporary = TemporaryCredentials {
        credentials: Credentials::new("TMPAK", SK).with_security_token(SECURITY_TOKEN),
        expires_at: UNIX_EPOCH + Duration::from_secs(1_900_000_000),
        trace_id: None,
    };
    shown("TemporaryCredentials Debug", format!("{temporary:?}"));

    // Answers that carry secrets, parsed and failing to parse.
    let token_body = r#"{"token":{"expires_at":"2030-01-01T00:00:00Z","project":{"id":"0123456789abcdef0123456789abcdef"}}}"#;
    match PasswordLogin::parse_response(response(201, &[("x-subject-token", IAM_TOKEN)], token_body.into())) {
        Ok(issued) => {
            shown("IssuedToken Debug", format!("{issued:?}"));
            shown("IssuedToken::describe", issued.describe());
        }
        Err(e) => panic!("{}", format!("parses: {e}")),
    }
    let bad_token = PasswordLogin::parse_response(response(
        201,
        &[("x-subject-token", IAM_TOKEN)],
        r#"{"token":{"expires_at":"never"}}"#.into(),
    ));
    shown("token answer error", format!("{bad_token:?}"));
    let credential = |expires: &str| {
        format!(
            r#"{{"credential":{{"access":"TMPAK","secret":"{SK}","securitytoken":"{SECURITY_TOKEN}","expires_at":"{expires}"}}}}"#
        )
    };
    for expires in ["2030-01-01T00:00:00Z", "never"] {
        let agency = AssumeAgency::parse_response(response(201, &[], credential(expires)));
        shown("agency answer", format!("{agency:?}"));
        if let Err(e) = &agency {
            shown("agency answer error Display", e.to_string());
        }
        let key = MetadataSecurityKey::parse_response(response(200, &[], credential(expires)));
        shown("metadata answer", format!("{key:?}"));
    }
    let truncated = credential("2030-01-01T00:00:00Z");
    let cut = &truncated[..truncated.len() - 3];
    shown(
        "truncated credential error",
        format!("{:?}", AssumeAgency::parse_response(response(201, &[], cut.into()))),
    );
    let session = MetadataSessionToken::parse_response(response(200, &[], SESSION.into()));
    shown("metadata session Debug", format!("{session:?}"));

    // The emulator's identity configuration.
    let iam = IamConfig::default()
        .user(IamUser::new("bob", PASSWORD, "dom").mfa(TOTP_SECRET))
        .federation(IamFederation::new("idp", ID_TOKEN));
    shown("IamConfig Debug", format!("{iam:?}"));
    shown("EmulatorConfig Debug", format!("{:?}", EmulatorConfig::default().iam(iam)));

    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
