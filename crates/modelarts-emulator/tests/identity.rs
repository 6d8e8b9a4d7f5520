//! The IAM and metadata faces over real sockets (HTTP and HTTPS), driven end to end by the protocol
//! crate's operations: build → authorize → send with the test client → parse → decide.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Proto, TestClient, start};
use http_body_util::Full;
use modelarts_emulator::{
    AuthResult, AuthScheme, EmulatorConfig, FaultScript, FaultStep, IamConfig, IamFederation, IamProject,
    IamUser, JobSeed, MetadataConfig, Route, RouteSelector, RunningEmulator,
};
use modelarts_protocol::auth::{self, Auth, IamToken};
use modelarts_protocol::iam::agency::AssumeAgency;
use modelarts_protocol::iam::federation::{IdToken, IdTokenLogin, TokenToTemporaryKeys};
use modelarts_protocol::iam::metadata::{
    MetadataFailure, MetadataSecurityKey, MetadataSession, MetadataSessionToken, classify_security_key_error,
};
use modelarts_protocol::iam::projects::{ListProjects, ProjectLookupError, select_project};
use modelarts_protocol::iam::renewal::{
    AfterRefusal, Freshness, after_refusal, says_token_expired, token_freshness,
};
use modelarts_protocol::iam::token::{IssuedToken, Mfa, Password, PasswordLogin, ProjectScope};
use modelarts_protocol::operations::Operation;
use modelarts_protocol::operations::show_training_job_version::ShowTrainingJobVersion;
use modelarts_protocol::signing::Credentials;
use modelarts_protocol::{Endpoint, ProjectId, ResponseError};

const MODES: [(bool, Proto); 3] = [(false, Proto::H1), (true, Proto::H1), (true, Proto::Auto)];
const USER: &str = "emulator-user";
const PASSWORD: &str = "emulator-password-0001";
const DOMAIN: &str = "emulator-domain";

fn config(tls: bool) -> EmulatorConfig {
    EmulatorConfig::default().tls(tls).job(JobSeed::running(1, 2)).never_kill()
}

fn endpoint(emu: &RunningEmulator) -> Endpoint {
    Endpoint::from_url(&emu.endpoint()).unwrap()
}

fn aksk(emu: &RunningEmulator) -> Auth {
    let c = emu.credentials();
    Auth::AkSk(Credentials::new(&c.access_key, &c.secret_key))
}

/// Builds `op`, authorizes it at the emulator's clock, sends it and parses the answer.
async fn call<O: Operation>(
    emu: &RunningEmulator,
    client: &TestClient,
    op: &O,
    with: Option<&Auth>,
) -> Result<O::Output, ResponseError> {
    let mut request = op.build_request(&endpoint(emu)).unwrap();
    if let Some(a) = with {
        auth::authorize(&mut request, a, emu.state().now()).unwrap();
    }
    let (parts, body) = request.into_parts();
    let reply = client.try_send_request(http::Request::from_parts(parts, Full::new(body))).await.unwrap();
    let mut response = http::Response::new(reply.body.clone());
    *response.status_mut() = reply.status;
    *response.headers_mut() = reply.headers.clone();
    O::parse_response(response)
}

fn show(emu: &RunningEmulator) -> ShowTrainingJobVersion {
    ShowTrainingJobVersion::new(emu.project_id().parse().unwrap(), "1".parse().unwrap(), "2".parse().unwrap())
}

fn login(scope: ProjectScope) -> PasswordLogin {
    PasswordLogin::new(USER, Password::new(PASSWORD), DOMAIN, scope)
}

fn region_scope() -> ProjectScope {
    ProjectScope::Name("cn-north-4".into())
}

fn api_error(result: Result<impl std::fmt::Debug, ResponseError>) -> modelarts_protocol::ApiError {
    match result {
        Err(ResponseError::Api(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn project_lookup_signed_or_with_a_token_finds_the_emulator_project() {
    for (tls, proto) in MODES {
        let (emu, client) = start(config(tls), proto).await;
        let iam = endpoint(&emu);
        let list = call(&emu, &client, &ListProjects::new("cn-north-4"), Some(&aksk(&emu))).await.unwrap();
        let id = select_project(&list, "cn-north-4", iam.host()).unwrap();
        assert_eq!(id.as_str(), emu.project_id());

        // The id found is the one the ModelArts routes take.
        let with_project = ShowTrainingJobVersion::new(id, "1".parse().unwrap(), "2".parse().unwrap());
        let version = call(&emu, &client, &with_project, Some(&aksk(&emu))).await.unwrap();
        assert_eq!(version.status.name(), "RUNNING");

        // With the configured token too.
        let token = Auth::Token(IamToken::new(&emu.credentials().token));
        let list = call(&emu, &client, &ListProjects::new("cn-north-4"), Some(&token)).await.unwrap();
        assert_eq!(list.projects.len(), 1);

        let journal = emu.state().journal();
        let lookups: Vec<_> = journal.iter().filter(|e| e.route == Route::IamProjects).collect();
        assert_eq!(lookups.len(), 2);
        assert_eq!(
            (lookups[0].auth.result, lookups[0].auth.scheme),
            (AuthResult::Accepted, AuthScheme::AkSk)
        );
        assert_eq!(lookups[1].auth.scheme, AuthScheme::Token);
        assert_eq!(list.trace_id.as_deref(), Some(lookups[1].request_id.as_str()), "X-IAM-Trace-Id");

        let unsigned = api_error(call(&emu, &client, &ListProjects::new("cn-north-4"), None).await);
        assert_eq!((unsigned.http_status, unsigned.code()), (401, Some("APIG.0301")));
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn zero_and_two_projects_are_errors_naming_region_host_trace_and_findings() {
    let iam_config = IamConfig::default()
        .project(IamProject::new("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ap-southeast-3"))
        .project(IamProject::new("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "ap-southeast-3"));
    let (emu, client) = start(config(true).iam(iam_config), Proto::Auto).await;
    let iam = endpoint(&emu);

    let none = call(&emu, &client, &ListProjects::new("la-south-2"), Some(&aksk(&emu))).await.unwrap();
    let e = select_project(&none, "la-south-2", iam.host()).unwrap_err();
    let trace = none.trace_id.clone().unwrap();
    assert!(matches!(&e, ProjectLookupError::NoProject { found, .. } if found.is_empty()), "{e:?}");
    let text = e.to_string();
    for part in ["\"la-south-2\"", iam.host(), trace.as_str()] {
        assert!(text.contains(part), "{part} in {text}");
    }

    let two = call(&emu, &client, &ListProjects::new("ap-southeast-3"), Some(&aksk(&emu))).await.unwrap();
    let text = select_project(&two, "ap-southeast-3", iam.host()).unwrap_err().to_string();
    assert!(text.contains("2 projects"), "{text}");
    assert!(
        text.contains("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
            && text.contains("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
        "{text}"
    );

    // A token cannot be scoped by an ambiguous name, only by id.
    let ambiguous =
        api_error(call(&emu, &client, &login(ProjectScope::Name("ap-southeast-3".into())), None).await);
    assert_eq!(ambiguous.http_status, 400);
    let pid: ProjectId = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".parse().unwrap();
    let by_id = call(&emu, &client, &login(ProjectScope::Id(pid.clone())), None).await.unwrap();
    assert_eq!(by_id.project_id, Some(pid));
    emu.shutdown().await;
}

#[tokio::test]
async fn password_token_is_accepted_until_it_expires_on_the_emulator_clock() {
    for (tls, proto) in MODES {
        let (emu, client) = start(config(tls), proto).await;
        let issued: IssuedToken = call(&emu, &client, &login(region_scope()), None).await.unwrap();
        assert_eq!(issued.project_id.as_ref().map(ProjectId::as_str), Some(emu.project_id()));
        assert_eq!(issued.project_name.as_deref(), Some("cn-north-4"));
        let lifetime = issued.expires_at.duration_since(issued.issued_at.unwrap()).unwrap();
        assert_eq!(lifetime, Duration::from_secs(24 * 3600));
        assert_eq!(token_freshness(issued.expires_at, emu.state().now()), Freshness::Fresh);

        let bearer = Auth::Token(issued.token.clone());
        assert!(call(&emu, &client, &show(&emu), Some(&bearer)).await.is_ok());

        // 23 h 50 min later: still accepted, but due for renewal.
        emu.state().advance_clock(Duration::from_secs(23 * 3600 + 50 * 60));
        assert_eq!(token_freshness(issued.expires_at, emu.state().now()), Freshness::Renew);
        assert!(call(&emu, &client, &show(&emu), Some(&bearer)).await.is_ok());

        // Past expiry: the gateway's documented 401 `APIG.0301` "token expires, expires_at: …"
        // (API Gateway FAQ), which the protocol renews once.
        emu.state().advance_clock(Duration::from_secs(11 * 60));
        let expired = api_error(call(&emu, &client, &show(&emu), Some(&bearer)).await);
        assert_eq!((expired.http_status, expired.code()), (401, Some("APIG.0301")));
        let at = expired
            .message()
            .and_then(|m| {
                m.strip_prefix("Incorrect IAM authentication information: token expires, expires_at: ")
            })
            .unwrap_or_else(|| panic!("{:?}", expired.message()));
        assert_eq!(modelarts_protocol::iam::parse_time(at), Some(issued.expires_at));
        assert!(says_token_expired(&expired));
        assert_eq!(after_refusal(&expired, 0), AfterRefusal::RenewAndRetry);
        assert_eq!(after_refusal(&expired, 1), AfterRefusal::Fail);

        let renewed = call(&emu, &client, &login(region_scope()), None).await.unwrap();
        assert_ne!(renewed.token.expose(), issued.token.expose());
        assert!(call(&emu, &client, &show(&emu), Some(&Auth::Token(renewed.token.clone()))).await.is_ok());

        // Neither the token nor the password reaches the journal.
        let journal = serde_json::to_string(&emu.state().journal()).unwrap();
        for secret in [issued.token.expose(), renewed.token.expose(), PASSWORD] {
            assert!(!journal.contains(secret), "journal leaks a secret");
        }
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn wrong_password_unknown_user_mfa_and_unknown_project() {
    let mfa_user = IamUser::new("mfa-user", "mfa-pass", DOMAIN).mfa("JBSWY3DPEHPK3PXP");
    let iam_config = IamConfig::default().user(mfa_user.clone());
    let (emu, client) = start(config(false).iam(iam_config), Proto::H1).await;
    let wrong = [
        PasswordLogin::new(USER, Password::new("not-it"), DOMAIN, region_scope()),
        PasswordLogin::new("nobody", Password::new(PASSWORD), DOMAIN, region_scope()),
        PasswordLogin::new(USER, Password::new(PASSWORD), "other-domain", region_scope()),
    ];
    for op in &wrong {
        let e = api_error(call(&emu, &client, op, None).await);
        assert_eq!(e.http_status, 401);
        assert_eq!(e.message(), Some("The username or password is wrong."));
        assert!(e.request_id().is_some(), "the trace id names the answer");
    }

    let mfa = PasswordLogin::new("mfa-user", Password::new("mfa-pass"), DOMAIN, region_scope());
    let missing = api_error(call(&emu, &client, &mfa, None).await);
    assert_eq!(missing.http_status, 401);
    assert!(missing.message().unwrap().contains("MFA verification is required"), "{missing:?}");
    let user_id = mfa_user.user_id.clone();
    let now = emu.state().now();
    let code = mfa_user.totp_code(now).unwrap();
    // A code of two steps (60 s) ago is outside the window.
    let stale = mfa_user.totp_code(now - std::time::Duration::from_secs(60)).unwrap();
    let other = if code == "111111" { "222222" } else { "111111" };
    for bad in [other, stale.as_str()] {
        if bad == code {
            continue;
        }
        let bad_code = mfa.clone().with_mfa(Mfa::new(user_id.clone(), bad));
        let e = api_error(call(&emu, &client, &bad_code, None).await);
        assert_eq!((e.http_status, e.message()), (401, Some("The verification code is wrong.")));
    }
    let other_user = mfa.clone().with_mfa(Mfa::new("0".repeat(32), code.clone()));
    assert_eq!(api_error(call(&emu, &client, &other_user, None).await).http_status, 401);
    assert!(call(&emu, &client, &mfa.with_mfa(Mfa::new(user_id, code)), None).await.is_ok());

    let nowhere = api_error(call(&emu, &client, &login(ProjectScope::Name("mars-1".into())), None).await);
    assert_eq!(nowhere.http_status, 404);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_token_of_another_project_is_refused_by_the_modelarts_routes() {
    let other = "cccccccccccccccccccccccccccccccc";
    let iam_config = IamConfig::default().project(IamProject::new(other, "la-south-2"));
    let (emu, client) = start(config(false).iam(iam_config), Proto::H1).await;
    let issued = call(&emu, &client, &login(ProjectScope::Name("la-south-2".into())), None).await.unwrap();
    assert_eq!(issued.project_id.as_ref().map(ProjectId::as_str), Some(other));
    let e = api_error(call(&emu, &client, &show(&emu), Some(&Auth::Token(issued.token.clone()))).await);
    assert_eq!((e.http_status, e.code()), (401, Some("APIG.0301")));
    assert!(e.message().unwrap().contains("project"));
    // IAM itself takes it.
    assert!(
        call(&emu, &client, &ListProjects::new("la-south-2"), Some(&Auth::Token(issued.token))).await.is_ok()
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn agency_credentials_sign_modelarts_requests_until_they_expire() {
    for (tls, proto) in MODES {
        let (emu, client) = start(config(tls), proto).await;
        let op = AssumeAgency::new(DOMAIN, "emulator-agency").duration(Duration::from_secs(3600));
        let temporary = call(&emu, &client, &op, Some(&aksk(&emu))).await.unwrap();
        assert!(temporary.credentials.access_key().starts_with("TMP"));
        let lifetime = temporary.expires_at.duration_since(emu.state().now()).unwrap();
        assert!(
            lifetime <= Duration::from_secs(3600) && lifetime > Duration::from_secs(3590),
            "{lifetime:?}"
        );

        let signed = Auth::AkSk(temporary.credentials.clone());
        assert!(call(&emu, &client, &show(&emu), Some(&signed)).await.is_ok());
        let last = emu.state().journal().pop().unwrap();
        assert_eq!(last.auth.access_key.as_deref(), Some(temporary.credentials.access_key()));
        assert_eq!(last.header("x-security-token"), Some("<redacted>"));

        // Without the security token, or with another one, the temporary keys are refused.
        let c = &temporary.credentials;
        for creds in [
            Credentials::new(c.access_key(), c.secret_key()),
            Credentials::new(c.access_key(), c.secret_key()).with_security_token("forged"),
        ] {
            let e = api_error(call(&emu, &client, &show(&emu), Some(&Auth::AkSk(creds))).await);
            assert_eq!(e.http_status, 401);
        }

        emu.state().advance_clock(Duration::from_secs(3601));
        let expired = api_error(call(&emu, &client, &show(&emu), Some(&signed)).await);
        assert_eq!(expired.http_status, 401);
        assert!(says_token_expired(&expired), "{expired:?}");

        let unknown =
            api_error(call(&emu, &client, &AssumeAgency::new(DOMAIN, "nope"), Some(&aksk(&emu))).await);
        assert_eq!(unknown.http_status, 403);
        let unauthenticated = api_error(call(&emu, &client, &op, None).await);
        assert_eq!(unauthenticated.http_status, 401);
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn metadata_face_gives_agency_credentials_with_a_session_token() {
    for (tls, proto) in MODES {
        let (emu, client) = start(config(tls).metadata(MetadataConfig::enabled()), proto).await;
        let session = match call(&emu, &client, &MetadataSessionToken::default(), None).await.unwrap() {
            MetadataSession::Token(t) => t,
            other => panic!("{other:?}"),
        };
        let key = MetadataSecurityKey { session: Some(session) };
        let temporary = call(&emu, &client, &key, None).await.unwrap();
        assert!(call(&emu, &client, &show(&emu), Some(&Auth::AkSk(temporary.credentials))).await.is_ok());

        // Without the session token: a stale-session 401, which the SDK answers with a new token.
        let host = endpoint(&emu).host().to_owned();
        let stale = call(&emu, &client, &MetadataSecurityKey::default(), None).await.unwrap_err();
        assert_eq!(classify_security_key_error(&stale, &host), MetadataFailure::SessionRejected);

        let journal = emu.state().journal();
        let sessioned = journal.iter().find(|e| e.route == Route::MetadataSecurityKey).unwrap();
        assert_eq!(sessioned.header("x-metadata-token"), Some("<redacted>"));
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn metadata_without_agency_or_session_tokens_and_when_off() {
    let (emu, client) =
        start(config(false).metadata(MetadataConfig::enabled().without_agency()), Proto::H1).await;
    let host = endpoint(&emu).host().to_owned();
    let MetadataSession::Token(session) =
        call(&emu, &client, &MetadataSessionToken::default(), None).await.unwrap()
    else {
        panic!("a session token");
    };
    let e = call(&emu, &client, &MetadataSecurityKey { session: Some(session) }, None).await.unwrap_err();
    match classify_security_key_error(&e, &host) {
        MetadataFailure::NoAgency(no) => {
            assert_eq!(no.http_status, 401);
            assert!(no.to_string().contains("no agency") && no.to_string().contains(&host), "{no}");
        }
        other => panic!("{other:?} from {e:?}"),
    }
    emu.shutdown().await;

    let plain = MetadataConfig::enabled().without_session_tokens();
    let (emu, client) = start(config(true).metadata(plain), Proto::Auto).await;
    let session = call(&emu, &client, &MetadataSessionToken::default(), None).await.unwrap();
    assert!(matches!(session, MetadataSession::Unsupported));
    assert!(call(&emu, &client, &MetadataSecurityKey::default(), None).await.is_ok());
    emu.shutdown().await;

    let (emu, client) = start(config(false), Proto::H1).await;
    let off = api_error(call(&emu, &client, &MetadataSecurityKey::default(), None).await);
    assert_eq!((off.http_status, off.code()), (404, Some("APIG.0101")));
    emu.shutdown().await;
}

#[tokio::test]
async fn oidc_id_token_then_temporary_keys() {
    let iam_config = IamConfig::default().federation(IamFederation::new("corp-idp", "eyJ.corp.token"));
    let (emu, client) = start(config(true).iam(iam_config), Proto::Auto).await;
    let pid: ProjectId = emu.project_id().parse().unwrap();
    let exchange = IdTokenLogin {
        idp_id: "corp-idp".into(),
        id_token: IdToken::new("eyJ.corp.token\n"),
        scope: Some(ProjectScope::Id(pid.clone())),
    };
    let issued = call(&emu, &client, &exchange, None).await.unwrap();
    assert_eq!(issued.project_id, Some(pid));

    let keys = TokenToTemporaryKeys { token: issued.token.clone(), duration: Some(Duration::from_secs(900)) };
    let temporary = call(&emu, &client, &keys, Some(&Auth::Token(issued.token.clone()))).await.unwrap();
    assert!(call(&emu, &client, &show(&emu), Some(&Auth::AkSk(temporary.credentials))).await.is_ok());

    for (idp, token) in [("corp-idp", "forged"), ("other-idp", "eyJ.corp.token")] {
        let bad = IdTokenLogin { idp_id: idp.into(), id_token: IdToken::new(token), scope: None };
        assert_eq!(api_error(call(&emu, &client, &bad, None).await).http_status, 401);
    }
    let unknown = TokenToTemporaryKeys { token: IamToken::new("MIInot-issued"), duration: None };
    let e = api_error(call(&emu, &client, &unknown, Some(&Auth::Token(issued.token))).await);
    assert_eq!(e.http_status, 401);
    emu.shutdown().await;
}

#[tokio::test]
async fn faults_journal_and_reset_apply_to_identity_routes() {
    let cfg = config(false).fault(FaultScript::new(RouteSelector::Any).step(FaultStep::status(500))).fault(
        FaultScript::new(RouteSelector::IamTokens).step(FaultStep::status(503)).step(FaultStep::pass()),
    );
    let (emu, client) = start(cfg, Proto::H1).await;
    let failed = api_error(call(&emu, &client, &login(region_scope()), None).await);
    assert_eq!(failed.http_status, 503);
    let issued = call(&emu, &client, &login(region_scope()), None).await.unwrap();
    // The `any` script was left for the ModelArts routes.
    assert_eq!(api_error(call(&emu, &client, &show(&emu), Some(&aksk(&emu))).await).http_status, 500);

    let logins: Vec<_> = emu.state().journal().into_iter().filter(|e| e.route == Route::IamTokens).collect();
    assert_eq!(logins.iter().map(|e| e.attempt).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(logins.iter().map(|e| e.status).collect::<Vec<_>>(), [Some(503), Some(201)]);

    // A reset forgets what IAM issued (and restores the configured faults: drop them).
    emu.state().reset();
    emu.state().clear_faults();
    let forgotten = api_error(call(&emu, &client, &show(&emu), Some(&Auth::Token(issued.token))).await);
    assert_eq!(forgotten.message(), Some("Incorrect IAM authentication information: decrypt token fail"));
    emu.shutdown().await;
}

#[tokio::test]
async fn the_iam_region_setting_moves_the_emulator_project() {
    // What `--iam-region la-south-2` sets: the lookup follows the region.
    let cfg = config(false)
        .iam(IamConfig::default().region(Some("la-south-2")))
        .metadata(MetadataConfig::enabled());
    let (emu, client) = start(cfg, Proto::H1).await;
    let list = call(&emu, &client, &ListProjects::new("la-south-2"), Some(&aksk(&emu))).await.unwrap();
    assert_eq!(select_project(&list, "la-south-2", "h").unwrap().as_str(), emu.project_id());
    let list = call(&emu, &client, &ListProjects::new("cn-north-4"), Some(&aksk(&emu))).await.unwrap();
    assert!(list.projects.is_empty());
    emu.shutdown().await;
}
