//! Identity against the emulator's IAM and metadata faces over HTTPS: the credential chain's
//! sources, the project lookup and its caches, password login with the token cache, renewal of an
//! expired token in the middle of a wait, agencies, the metadata service and OIDC federation,
//! virtual MFA, and the renewal of temporary keys ahead of expiry (also by 16 stops at once).
#![allow(clippy::unwrap_used, reason = "test helpers fail the test on a broken fixture")]

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use modelarts_emulator::{
    Emulator, EmulatorConfig, IamConfig, IamProject, IamUser, JobSeed, MetadataConfig, PodIdentityConfig,
    Route, RunningEmulator, StateHandle,
};
use modelarts_sdk::*;

const REGION: &str = "cn-north-4";
const USER: &str = "emulator-user";
const PASSWORD: &str = "emulator-password-0001";
const DOMAIN: &str = "emulator-domain";

async fn start(config: EmulatorConfig) -> RunningEmulator {
    Emulator::start(config.tls(true)).await.unwrap()
}

fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |name| map.get(name).cloned()
}

/// A builder for the emulator with a region, no project id, no credentials, a private cache
/// directory and an environment of its own (no home directory, the metadata service off).
fn base(emulator: &RunningEmulator, cache: &Path) -> ClientBuilder {
    Client::builder()
        .region(REGION)
        .endpoint_url(&emulator.endpoint())
        .iam_endpoint(&emulator.endpoint())
        .ca_bundle(emulator.ca_cert_path().unwrap())
        .cache_dir(Some(cache.to_path_buf()))
        .metadata_endpoint("off")
        .env(|_| None)
}

/// A builder with a region, `emulator`'s keys and CA, a private cache directory, quick retries
/// (1 ms base) and an environment of its own: for tests that point the endpoints themselves.
fn keyed(emulator: &RunningEmulator, cache: &Path) -> ClientBuilder {
    Client::builder()
        .region(REGION)
        .credentials(aksk(emulator))
        .ca_bundle(emulator.ca_cert_path().unwrap())
        .cache_dir(Some(cache.to_path_buf()))
        .retry_policy(RetryPolicy::default().with_transient_base(Duration::from_millis(1)))
        .env(|_| None)
}

/// A builder with a region and a project id, no credentials, no cache and an environment of its
/// own: for tests of the chain's last resort, the metadata service.
fn keyless() -> ClientBuilder {
    Client::builder().region(REGION).project_id(OTHER_PROJECT).cache_dir(None).env(|_| None)
}

const OTHER_PROJECT: &str = "0123456789abcdef0123456789abcdef";

fn aksk(emulator: &RunningEmulator) -> Credentials {
    let c = emulator.credentials();
    Credentials::new(&c.access_key, &c.secret_key)
}

fn routes(emulator: &RunningEmulator, route: Route) -> usize {
    emulator.state().journal().iter().filter(|e| e.route == route).count()
}

/// An error and its whole cause chain, `Debug` included, as one string.
fn chain(err: &Error) -> String {
    let mut text = format!("{err} | {err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(&format!(" | {s}"));
        source = s.source();
    }
    text
}

/// The environment of a password login (plus `extra`).
fn password_env(user: &str, password: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut vars = vec![
        ("HUAWEICLOUD_SDK_USERNAME".to_owned(), user.to_owned()),
        ("HUAWEICLOUD_SDK_PASSWORD".to_owned(), password.to_owned()),
        ("HUAWEICLOUD_SDK_DOMAIN_NAME".to_owned(), DOMAIN.to_owned()),
    ];
    vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    vars
}

fn env_owned(vars: Vec<(String, String)>) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let map: HashMap<String, String> = vars.into_iter().collect();
    move |name| map.get(name).cloned()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn aksk_and_region_find_the_project_once_and_cache_it_without_secrets() {
    let emulator = start(EmulatorConfig::default().job(JobSeed::running(10, 3))).await;
    let cache = tempfile::tempdir().unwrap();
    let client = base(&emulator, cache.path()).credentials(aksk(&emulator)).connect().await.unwrap();
    assert_eq!(client.project_id().as_str(), emulator.project_id());
    assert!(
        client.project_source().unwrap().starts_with("IAM lookup at 127.0.0.1"),
        "{:?}",
        client.project_source()
    );
    assert_eq!(client.list_training_jobs(ListQuery::default()).await.unwrap().jobs.len(), 1);
    assert_eq!(routes(&emulator, Route::IamProjects), 1);
    let lookup = emulator.state().journal().into_iter().find(|e| e.route == Route::IamProjects).unwrap();
    assert_eq!(lookup.query.as_deref(), Some("name=cn-north-4"));

    // The file: private, keyed by the access key, and no secret key in it.
    let file = cache.path().join("projects.json");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains(emulator.project_id()) && text.contains(&emulator.credentials().access_key),
        "{text}"
    );
    assert!(!text.contains(&emulator.credentials().secret_key), "{text}");
    #[cfg(unix)]
    {
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(cache.path()), 0o700);
    }

    // A second client makes no IAM request.
    emulator.state().clear_journal();
    let again = base(&emulator, cache.path()).credentials(aksk(&emulator)).connect().await.unwrap();
    assert_eq!(again.project_id().as_str(), emulator.project_id());
    assert!(again.project_source().unwrap().contains("cache"), "{:?}", again.project_source());
    assert_eq!(emulator.state().journal().len(), 0);
    emulator.shutdown().await;
}

#[tokio::test]
async fn zero_or_two_projects_are_configuration_errors_naming_what_was_found() {
    let none = start(EmulatorConfig::default().iam(IamConfig::default().region(None))).await;
    let cache = tempfile::tempdir().unwrap();
    let err = base(&none, cache.path()).credentials(aksk(&none)).connect().await.unwrap_err();
    assert_eq!(err.category(), ErrorCategory::Config, "{err:?}");
    let shown = chain(&err);
    assert!(shown.contains("has no project named \"cn-north-4\"") && shown.contains("trace id"), "{shown}");
    none.shutdown().await;

    let two = start(
        EmulatorConfig::default()
            .iam(IamConfig::default().project(IamProject::new("0123456789abcdef0123456789abcdef", REGION))),
    )
    .await;
    let err = base(&two, cache.path()).credentials(aksk(&two)).connect().await.unwrap_err();
    let shown = chain(&err);
    assert!(shown.contains("lists 2 projects named \"cn-north-4\""), "{shown}");
    assert!(
        shown.contains("0123456789abcdef0123456789abcdef") && shown.contains(two.project_id()),
        "{shown}"
    );
    assert!(!std::fs::read_to_string(cache.path().join("projects.json")).is_ok_and(|t| t.contains(REGION)));
    two.shutdown().await;
}

#[tokio::test]
async fn a_password_login_caches_its_token_privately_and_the_next_client_reuses_it() {
    let emulator = start(EmulatorConfig::default().job(JobSeed::running(10, 3))).await;
    let cache = tempfile::tempdir().unwrap();
    let env = [
        ("HUAWEICLOUD_SDK_USERNAME", USER),
        ("HUAWEICLOUD_SDK_PASSWORD", PASSWORD),
        ("HUAWEICLOUD_SDK_DOMAIN_NAME", DOMAIN),
    ];
    let client = base(&emulator, cache.path()).env(env_of(&env)).connect().await.unwrap();
    assert_eq!(client.project_id().as_str(), emulator.project_id());
    assert_eq!(client.project_source(), Some("the password login's token scope"));
    assert_eq!(client.list_training_jobs(ListQuery::default()).await.unwrap().jobs.len(), 1);
    assert_eq!(routes(&emulator, Route::IamTokens), 1);
    assert_eq!(routes(&emulator, Route::IamProjects), 0);
    let list = emulator.state().journal().into_iter().find(|e| e.route == Route::List).unwrap();
    assert!(list.header("x-auth-token").is_some());
    assert!(format!("{client:?}").contains("IAM token"));

    let file = cache.path().join("tokens.json");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(PASSWORD), "the password is never cached");
    assert!(text.contains("emulator-user@emulator-domain"), "{text}");
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);

    emulator.state().clear_journal();
    let again = base(&emulator, cache.path()).env(env_of(&env)).connect().await.unwrap();
    again.list_training_jobs(ListQuery::default()).await.unwrap();
    assert_eq!(routes(&emulator, Route::IamTokens), 0, "the cached token is reused");
    emulator.shutdown().await;
}

/// A cached expiry past what a time can hold (near `u64::MAX`, or 2^63) is stale: the client logs
/// in again instead of panicking (it used to exit 101 on `UNIX_EPOCH + Duration::from_secs`).
#[tokio::test]
async fn a_cached_token_whose_expiry_overflows_is_stale_not_a_panic() {
    let emulator = start(EmulatorConfig::default().job(JobSeed::running(10, 3))).await;
    let cache = tempfile::tempdir().unwrap();
    let env = password_env(USER, PASSWORD, &[]);
    let first = base(&emulator, cache.path()).env(env_owned(env.clone())).connect().await.unwrap();
    first.list_training_jobs(ListQuery::default()).await.unwrap();
    let file = cache.path().join("tokens.json");
    for expires_at in [u64::MAX, u64::MAX - 1, 1u64 << 63, (1u64 << 63) + 12_345] {
        let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        for entry in doc["tokens"].as_array_mut().unwrap() {
            entry["expires_at"] = serde_json::json!(expires_at);
        }
        std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
        emulator.state().clear_journal();
        let client = base(&emulator, cache.path()).env(env_owned(env.clone())).connect().await.unwrap();
        client.list_training_jobs(ListQuery::default()).await.unwrap();
        assert_eq!(routes(&emulator, Route::IamTokens), 1, "expires_at {expires_at}: logged in again");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_the_trace_id_and_never_shown() {
    let emulator = start(EmulatorConfig::default()).await;
    let cache = tempfile::tempdir().unwrap();
    let err = base(&emulator, cache.path())
        .password_login(USER, "wrong-password-123", DOMAIN)
        .connect()
        .await
        .unwrap_err();
    let chain = chain(&err);
    assert!(chain.contains("password login of emulator-user@emulator-domain"), "{chain}");
    assert!(chain.contains("The username or password is wrong."), "{chain}");
    assert!(chain.contains("(request id "), "{chain}");
    assert!(!chain.contains("wrong-password-123"), "{chain}");
    assert!(!cache.path().join("tokens.json").exists());
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_password_login_with_virtual_mfa_needs_the_current_code_and_caches_its_token() {
    const MFA_PASSWORD: &str = "mfa-password-0001";
    let user = IamUser::new("mfa-user", MFA_PASSWORD, DOMAIN).mfa("JBSWY3DPEHPK3PXP");
    let emulator = start(
        EmulatorConfig::default().job(JobSeed::running(10, 3)).iam(IamConfig::default().user(user.clone())),
    )
    .await;
    let cache = tempfile::tempdir().unwrap();
    let user_id = user.user_id.clone();
    let connect = |extra: &[(&str, &str)]| {
        base(&emulator, cache.path()).env(env_owned(password_env("mfa-user", MFA_PASSWORD, extra))).connect()
    };

    // No code: IAM says MFA is required, and the error names the flag and the variables.
    let err = connect(&[]).await.unwrap_err();
    assert_eq!(err.category(), ErrorCategory::Config, "{err:?}");
    let text = chain(&err);
    assert!(text.contains("mfa-user@emulator-domain has virtual MFA login protection"), "{text}");
    assert!(
        text.contains("--mfa-code (MODELARTS_MFA_CODE)") && text.contains("--user-id (MODELARTS_USER_ID"),
        "{text}"
    );

    // A code but no user id: refused before any request.
    emulator.state().clear_journal();
    let err = connect(&[("MODELARTS_MFA_CODE", "123456")]).await.unwrap_err();
    assert!(chain(&err).contains("not the id of the IAM user mfa-user@emulator-domain"), "{err}");
    assert_eq!(emulator.state().journal().len(), 0);

    // A wrong code (none of the three the emulator accepts now): 401 explained, the code never shown.
    let now = emulator.state().now();
    let valid: Vec<String> = [now - Duration::from_secs(30), now, now + Duration::from_secs(30)]
        .iter()
        .map(|t| user.totp_code(*t).unwrap())
        .collect();
    // Non-repetitive, so it cannot show up by chance in the zero-padded user id or elsewhere in
    // the output; and checked to be none of the codes the emulator accepts now.
    let wrong = ["135797", "864213"].into_iter().find(|c| !valid.iter().any(|v| v == c)).unwrap();
    assert!(!user_id.contains(wrong), "the no-leak check below would be void");
    let err = connect(&[("MODELARTS_MFA_CODE", wrong), ("MODELARTS_USER_ID", &user_id)]).await.unwrap_err();
    let text = chain(&err);
    assert!(text.contains("refused the virtual MFA code of mfa-user@emulator-domain (HTTP 401)"), "{text}");
    assert!(text.contains("The verification code is wrong.") && text.contains("(request id "), "{text}");
    assert!(!text.contains(wrong) && !text.contains(MFA_PASSWORD), "{text}");

    // The current code logs in; the token is cached like any other (no code, no password in it).
    let code = user.totp_code(emulator.state().now()).unwrap();
    let client = connect(&[("MODELARTS_MFA_CODE", &code), ("MODELARTS_USER_ID", &user_id)]).await.unwrap();
    assert_eq!(client.project_id().as_str(), emulator.project_id());
    assert_eq!(client.list_training_jobs(ListQuery::default()).await.unwrap().jobs.len(), 1);
    assert!(!format!("{client:?}").contains(&code));
    let text = std::fs::read_to_string(cache.path().join("tokens.json")).unwrap();
    assert!(
        text.contains("mfa-user@emulator-domain") && !text.contains(&code) && !text.contains(MFA_PASSWORD),
        "{text}"
    );

    // The next run needs no code: the cached token is reused, no login is sent.
    emulator.state().clear_journal();
    let again = connect(&[]).await.unwrap();
    again.list_training_jobs(ListQuery::default()).await.unwrap();
    assert_eq!(routes(&emulator, Route::IamTokens), 0, "the cached token is reused");
    emulator.shutdown().await;
}

#[test]
fn an_mfa_code_without_a_password_login_is_refused_and_never_shown() {
    let builder = Client::builder()
        .region(REGION)
        .credentials(Credentials::new("AKAKAKAKAKAK", "SK"))
        .mfa_code("246810")
        .env(|_| None);
    assert!(!format!("{builder:?}").contains("246810"), "{builder:?}");
    let err = builder.resolve().unwrap_err();
    assert!(err.to_string().contains("not a password login"), "{err}");
    // With a password login, `configure list` shows that a code is set, masked, and its source.
    let resolved = Client::builder()
        .region(REGION)
        .password_login("u", "secret-pw-1", "d")
        .env(env_of(&[
            ("MODELARTS_MFA_CODE", "246810"),
            ("MODELARTS_USER_ID", "0123456789abcdef0123456789abcdef"),
        ]))
        .resolve()
        .unwrap();
    let shown = format!("{resolved} {resolved:?}");
    assert!(!shown.contains("246810") && !shown.contains("secret-pw-1"), "{shown}");
    assert!(shown.contains("with a virtual MFA code") && shown.contains("env MODELARTS_MFA_CODE"), "{shown}");
}

#[test]
fn an_mfa_code_that_is_blank_or_not_six_digits_is_a_configuration_error_from_every_source() {
    let login = || Client::builder().region(REGION).password_login("u", "secret-pw-1", "d");
    let user = ("MODELARTS_USER_ID", "0123456789abcdef0123456789abcdef");
    // (code, from the builder (flag) or the environment, what the error says)
    let cases: [(&str, bool, &str); 10] = [
        ("", true, "is empty"),
        ("   ", true, "is empty"),
        ("", false, "is empty"),
        (" \t", false, "is empty"),
        ("13579", true, "is not six digits"),
        ("1357975", true, "is not six digits"),
        ("13579x", true, "is not six digits"),
        ("１３５７９７", true, "is not six digits"),
        ("13 579", false, "is not six digits"),
        ("-13579", false, "is not six digits"),
    ];
    for (code, explicit, expected) in cases {
        let builder = if explicit {
            login().mfa_code(code).env(env_of(&[user]))
        } else {
            login().env(env_of(&[("MODELARTS_MFA_CODE", code), user]))
        };
        let err = builder.resolve().unwrap_err();
        assert_eq!(err.category(), ErrorCategory::Config, "{code:?}: {err:?}");
        let text = chain(&err);
        let source = if explicit { "(flag/explicit)" } else { "(env MODELARTS_MFA_CODE)" };
        assert!(text.contains(expected) && text.contains(source), "{code:?}: {text}");
        assert!(code.trim().is_empty() || !text.contains(code.trim()), "the code is not shown: {text}");
    }
    // Six digits (surrounding spaces dropped) pass, from either source.
    assert!(login().mfa_code(" 135797 ").env(env_of(&[user])).resolve().is_ok());
    assert!(login().env(env_of(&[("MODELARTS_MFA_CODE", "135797"), user])).resolve().is_ok());
}

/// Advances the emulator's clock once, on the waiter's first sleep: the token expires mid-wait.
struct ExpireOnFirstSleep {
    state: StateHandle,
    done: Arc<AtomicBool>,
}

impl Sleeper for ExpireOnFirstSleep {
    fn sleep(&self, duration: Duration) -> Sleep {
        if !self.done.swap(true, Ordering::SeqCst) {
            self.state.advance_clock(Duration::from_secs(25 * 3600));
        }
        Box::pin(tokio::time::sleep(duration.min(Duration::from_millis(20))))
    }
}

#[tokio::test]
async fn a_token_that_expires_mid_wait_is_renewed_by_exactly_one_login_and_no_second_stop() {
    let emulator = start(EmulatorConfig::default().job(JobSeed::running(10, 3)).kill_after_polls(3)).await;
    let cache = tempfile::tempdir().unwrap();
    let sleeper =
        ExpireOnFirstSleep { state: emulator.state().clone(), done: Arc::new(AtomicBool::new(false)) };
    let client = base(&emulator, cache.path())
        .password_login(USER, PASSWORD, DOMAIN)
        .sleeper(sleeper)
        .connect()
        .await
        .unwrap();
    let options = WaitOptions::default()
        .with_max_wait(Duration::from_secs(30))
        .with_min_delay(Duration::from_millis(10))
        .with_max_delay(Duration::from_millis(20));
    let done = client
        .stop_and_wait(JobId::new(10).unwrap(), VersionId::new(3).unwrap(), options, |_| {})
        .await
        .unwrap();
    assert_eq!(done.version.status, JobStatus::Killed);
    assert_eq!(routes(&emulator, Route::IamTokens), 2, "one login, one renewal");
    assert_eq!(routes(&emulator, Route::Stop), 1, "no second stop");
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_agency_turns_the_keys_into_temporary_keys_for_every_request() {
    let emulator = start(EmulatorConfig::default().job(JobSeed::running(10, 3))).await;
    let cache = tempfile::tempdir().unwrap();
    let client = base(&emulator, cache.path())
        .credentials(aksk(&emulator))
        .project_id(emulator.project_id())
        .agency("emulator-domain", "emulator-agency")
        .connect()
        .await
        .unwrap();
    client.list_training_jobs(ListQuery::default()).await.unwrap();
    let journal = emulator.state().journal();
    let assume = journal.iter().find(|e| e.route == Route::IamSecurityTokens).unwrap();
    assert_eq!(assume.auth.access_key.as_deref(), Some(emulator.credentials().access_key.as_str()));
    let list = journal.iter().find(|e| e.route == Route::List).unwrap();
    assert!(list.header("x-security-token").is_some());
    assert_ne!(list.auth.access_key.as_deref(), Some(emulator.credentials().access_key.as_str()));
    assert!(format!("{client:?}").contains("temporary AK/SK"));

    // An agency that does not exist: the error names it.
    let err = base(&emulator, cache.path())
        .credentials(aksk(&emulator))
        .project_id(emulator.project_id())
        .agency("emulator-domain", "no-such-agency")
        .connect()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot assume the agency \"no-such-agency\""), "{err}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_metadata_service_gives_the_servers_agency_credentials_when_nothing_else_is_set() {
    let emulator =
        start(EmulatorConfig::default().job(JobSeed::running(10, 3)).metadata(MetadataConfig::enabled()))
            .await;
    let cache = tempfile::tempdir().unwrap();
    let client =
        base(&emulator, cache.path()).metadata_endpoint(&emulator.endpoint()).connect().await.unwrap();
    assert_eq!(client.project_id().as_str(), emulator.project_id());
    client.list_training_jobs(ListQuery::default()).await.unwrap();
    let order: Vec<Route> = emulator.state().journal().iter().map(|e| e.route).collect();
    assert_eq!(
        order,
        [Route::MetadataToken, Route::MetadataSecurityKey, Route::IamProjects, Route::List],
        "session token, security key, project lookup with the temporary keys, then the call"
    );
    emulator.shutdown().await;

    // A server without agency: the clear error, among the sources tried.
    let emulator =
        start(EmulatorConfig::default().metadata(MetadataConfig::enabled().without_agency())).await;
    let err = base(&emulator, cache.path())
        .project_id(emulator.project_id())
        .metadata_endpoint(&emulator.endpoint())
        .connect()
        .await
        .unwrap_err();
    let Error::Credentials { tried } = &err else { panic!("{err:?}") };
    assert!(tried.last().unwrap().contains("this server has no agency"), "{tried:?}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn with_nothing_found_the_error_lists_every_source_tried_including_an_unreachable_metadata_service() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let err = keyless().env(env_of(&[("MODELARTS_METADATA_ENDPOINT", &url)])).connect().await.unwrap_err();
    let Error::Credentials { tried } = &err else { panic!("{err:?}") };
    assert_eq!(tried.len(), 8, "{tried:?}");
    assert!(tried[0].starts_with("explicit"));
    assert!(tried[5].starts_with("credentials file"), "{tried:?}");
    assert!(tried[6].contains("CCE pod identity, not set"), "{tried:?}");
    assert!(
        tried[7].starts_with(&format!("ECS/BMS metadata at {url}")) && tried[7].contains("not reachable"),
        "{tried:?}"
    );
}

#[tokio::test]
async fn oidc_federation_trades_the_id_token_file_for_temporary_keys() {
    let emulator = start(EmulatorConfig::default().job(JobSeed::running(10, 3))).await;
    let cache = tempfile::tempdir().unwrap();
    let token_file = cache.path().join("id-token");
    std::fs::write(&token_file, "emulator-id-token-0001\n").unwrap();
    let file = token_file.to_str().unwrap().to_owned();
    let client = base(&emulator, cache.path())
        .env(env_of(&[("HUAWEICLOUD_SDK_IDP_ID", "emulator-idp"), ("HUAWEICLOUD_SDK_ID_TOKEN_FILE", &file)]))
        .connect()
        .await
        .unwrap();
    assert_eq!(client.project_id().as_str(), emulator.project_id());
    client.list_training_jobs(ListQuery::default()).await.unwrap();
    let order: Vec<Route> = emulator.state().journal().iter().map(|e| e.route).collect();
    assert_eq!(order, [Route::IamIdTokens, Route::IamSecurityTokens, Route::List]);
    emulator.shutdown().await;
}

#[test]
fn the_chain_takes_the_first_source_in_the_official_order() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    std::fs::write(
        &file,
        "[basic]\nusername = fileuser\npassword = file-password-1\ndomain_name = filedomain\n",
    )
    .unwrap();
    let file_s = file.to_str().unwrap().to_owned();
    let password_env = [
        ("HUAWEICLOUD_SDK_USERNAME", "envuser"),
        ("HUAWEICLOUD_SDK_PASSWORD", "env-password-1"),
        ("HUAWEICLOUD_SDK_DOMAIN_NAME", "envdomain"),
    ];
    let resolve = |builder: ClientBuilder, vars: &[(&str, &str)]| {
        let mut vars = vars.to_vec();
        vars.push(("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &file_s));
        builder.region(REGION).env(env_of(&vars)).resolve().unwrap()
    };
    // Explicit AK/SK wins over everything.
    let r = resolve(Client::builder().credentials(Credentials::new("EXPLICITAK", "SK")), &password_env);
    assert_eq!(r.auth.unwrap().source, SettingSource::Explicit);
    // Env AK/SK before the env password.
    let mut with_keys = password_env.to_vec();
    with_keys.extend([("HUAWEICLOUD_SDK_AK", "ENVAK"), ("HUAWEICLOUD_SDK_SK", "ENVSK")]);
    let r = resolve(Client::builder(), &with_keys);
    assert_eq!(r.auth.unwrap().source, SettingSource::Env("HUAWEICLOUD_SDK_AK".into()));
    // Env password before the file's.
    let r = resolve(Client::builder(), &password_env);
    let login = r.login.unwrap();
    assert!(login.value.describe().contains("envuser@envdomain"));
    assert_eq!(login.source, SettingSource::Env("HUAWEICLOUD_SDK_USERNAME".into()));
    // The file's password when the environment has nothing; never shown.
    let r = resolve(Client::builder(), &[]);
    let shown = format!("{r} {r:?}");
    assert!(shown.contains("fileuser@filedomain"), "{shown}");
    assert!(!shown.contains("file-password-1"), "{shown}");
    assert!(matches!(r.login.unwrap().source, SettingSource::File { .. }));
    // Nothing at all: the metadata service, the last resort.
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    let r = Client::builder().region(REGION).credentials_file(&empty).env(|_| None).resolve().unwrap();
    assert!(r.login.unwrap().value.describe().starts_with("ECS/BMS metadata at http://169.254.169.254"));
    // A half-set password login is an error naming what is missing.
    let err = Client::builder()
        .region(REGION)
        .env(env_of(&[("HUAWEICLOUD_SDK_USERNAME", "u"), ("HUAWEICLOUD_SDK_PASSWORD", "p")]))
        .resolve()
        .unwrap_err();
    assert!(err.to_string().contains("needs HUAWEICLOUD_SDK_DOMAIN_NAME too"), "{err}");
}

#[test]
fn build_without_connect_explains_what_needs_a_call() {
    let builder = Client::builder().password_login("u", "secret-pw-1", "d");
    assert!(!format!("{builder:?}").contains("secret-pw-1"), "{builder:?}");
    let err = Client::builder()
        .region(REGION)
        .credentials(Credentials::new("AKAKAKAKAKAK", "SK"))
        .env(|_| None)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("ClientBuilder::connect"), "{err}");
    let err = Client::builder()
        .region(REGION)
        .project_id("0123456789abcdef0123456789abcdef")
        .password_login("u", "secret-pw-1", "d")
        .env(|_| None)
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("need a login first") && !format!("{err:?}").contains("secret-pw-1"),
        "{err}"
    );
}

fn closed_port_url() -> String {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", closed.local_addr().unwrap());
    drop(closed);
    url
}

#[tokio::test]
async fn an_endpoint_list_fails_over_past_a_refused_connection_and_a_refused_handshake() {
    let emulator = start(EmulatorConfig::default().job(JobSeed::running(10, 3))).await;
    // Another server whose certificate this client does not trust: the handshake fails.
    let untrusted = start(EmulatorConfig::default()).await;
    let cache = tempfile::tempdir().unwrap();
    let list = format!("{},{},{}", closed_port_url(), untrusted.endpoint(), emulator.endpoint());
    let client = keyed(&emulator, cache.path())
        .project_id(emulator.project_id())
        .max_attempts(3)
        .env(env_of(&[("HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4", &list)]))
        .build()
        .unwrap();
    assert_eq!(client.list_training_jobs(ListQuery::default()).await.unwrap().jobs.len(), 1);
    assert_eq!(routes(&emulator, Route::List), 1);
    assert_eq!(untrusted.state().journal().len(), 0, "the handshake failed before any request");
    // The next call starts on the host that answered.
    client.list_training_jobs(ListQuery::default()).await.unwrap();
    assert_eq!(routes(&emulator, Route::List), 2);
    untrusted.shutdown().await;
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_stop_that_may_have_reached_a_host_is_never_sent_to_the_next_one() {
    use modelarts_emulator::{FaultScript, FaultStep, RouteSelector};
    let first = start(
        EmulatorConfig::default()
            .job(JobSeed::running(10, 3))
            .never_kill()
            .fault(FaultScript::new(RouteSelector::Stop).step(FaultStep::reset_after_effect())),
    )
    .await;
    let second = start(EmulatorConfig::default().job(JobSeed::running(10, 3))).await;
    let list = format!("{},{}", first.endpoint(), second.endpoint());
    let cache = tempfile::tempdir().unwrap();
    let client = keyed(&first, cache.path())
        .project_id(first.project_id())
        .env(env_of(&[("MODELARTS_ENDPOINT_URL", &list)]))
        .build()
        .unwrap();
    let outcome =
        client.stop_training_job(JobId::new(10).unwrap(), VersionId::new(3).unwrap()).await.unwrap();
    assert!(matches!(outcome, StopOutcome::ConfirmedByStatus(_)), "{outcome:?}");
    assert_eq!(first.state().effective_stops(10, 3), 1);
    assert_eq!(second.state().journal().len(), 0, "nothing went to the second host");
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test]
async fn the_regions_file_gives_the_modelarts_and_iam_endpoints() {
    let emulator = start(EmulatorConfig::default().job(JobSeed::running(10, 3))).await;
    let cache = tempfile::tempdir().unwrap();
    let file = cache.path().join("regions.yaml");
    std::fs::write(
        &file,
        format!(
            "ModelArts:\n  - id: cn-north-4\n    endpoints:\n      - '{}'\n      - '{}'\nIAM:\n  - id: cn-north-4\n    endpoint: '{}'\n",
            closed_port_url(),
            emulator.endpoint(),
            emulator.endpoint()
        ),
    )
    .unwrap();
    let file_s = file.to_str().unwrap().to_owned();
    let builder = keyed(&emulator, cache.path()).env(env_of(&[("HUAWEICLOUD_SDK_REGIONS_FILE", &file_s)]));
    let resolved = builder.resolve().unwrap();
    assert!(matches!(resolved.endpoint.as_ref().unwrap().source, SettingSource::File { .. }));
    assert_eq!(resolved.endpoint_fallbacks.len(), 1);
    assert_eq!(resolved.iam_endpoint.value.url(), emulator.endpoint());
    let client = builder.connect().await.unwrap();
    assert_eq!(client.project_id().as_str(), emulator.project_id());
    client.list_training_jobs(ListQuery::default()).await.unwrap();
    assert_eq!(routes(&emulator, Route::List), 1);
    emulator.shutdown().await;
}

/// CCE pod identity as the official SDKs do it (core `auth/internal.py`, `PodIdentityAccessor`):
/// `POST {}` to the full URI with the token file's content as `Authorization`; the emulator's pod
/// face answers as the SDKs' tests expect (`{"credentials":{"accessKeyId",…}}`), or the older
/// `{"credential":{"access",…}}`; both are read, and the keys sign the next request.
#[tokio::test]
async fn cce_pod_identity_posts_the_pod_token_and_signs_with_the_keys_it_gets() {
    for face in [
        PodIdentityConfig::enabled("pod-token-secret-1"),
        PodIdentityConfig::enabled("pod-token-secret-1").legacy_shape(),
    ] {
        let legacy = face.legacy_shape;
        let emulator = start(EmulatorConfig::default().job(JobSeed::running(10, 3)).pod_identity(face)).await;
        let cache = tempfile::tempdir().unwrap();
        let token_file = cache.path().join("pod-token");
        std::fs::write(&token_file, "pod-token-secret-1\n").unwrap();
        let uri = format!("{}/v1/credentials", emulator.endpoint());
        let file = token_file.to_str().unwrap().to_owned();
        let client = base(&emulator, cache.path())
            .project_id(emulator.project_id())
            .env(env_of(&[
                ("HC_CONTAINER_CREDENTIALS_FULL_URI", &uri),
                ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", &file),
            ]))
            .connect()
            .await
            .unwrap();
        client.list_training_jobs(ListQuery::default()).await.unwrap();
        let journal = emulator.state().journal();
        let key = journal.iter().find(|e| e.route == Route::PodIdentity).unwrap();
        assert_eq!((key.method.as_str(), key.status), ("POST", Some(200)), "legacy {legacy}");
        assert!(key.header("authorization").is_some());
        assert!(!format!("{key:?}").contains("pod-token-secret-1"), "the journal redacts it too");
        let list = journal.iter().find(|e| e.route == Route::List).unwrap();
        assert!(list.header("x-security-token").is_some());
        assert_eq!(list.status, Some(200));
        assert!(format!("{client:?}").contains("temporary AK/SK"));

        // A token the service does not know: the error names the service, never the token.
        std::fs::write(&token_file, "another-pod-token").unwrap();
        let err = base(&emulator, cache.path())
            .project_id(emulator.project_id())
            .env(env_of(&[
                ("HC_CONTAINER_CREDENTIALS_FULL_URI", &uri),
                ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", &file),
            ]))
            .connect()
            .await
            .unwrap_err();
        let text = chain(&err);
        assert!(text.contains("CCE pod identity service"), "{text}");
        assert!(!text.contains("another-pod-token"), "{text}");
        emulator.shutdown().await;
    }
}

#[tokio::test]
async fn expired_agency_keys_are_renewed_by_one_more_assume_call() {
    let emulator = start(EmulatorConfig::default().job(JobSeed::running(10, 3))).await;
    let cache = tempfile::tempdir().unwrap();
    let client = base(&emulator, cache.path())
        .credentials(aksk(&emulator))
        .project_id(emulator.project_id())
        .agency("emulator-domain", "emulator-agency")
        .connect()
        .await
        .unwrap();
    client.list_training_jobs(ListQuery::default()).await.unwrap();
    // The temporary keys live 15 minutes (IAM's default) on the emulator's clock.
    emulator.state().advance_clock(Duration::from_secs(3600));
    client.list_training_jobs(ListQuery::default()).await.unwrap();
    assert_eq!(routes(&emulator, Route::IamSecurityTokens), 2, "one assume call, one renewal");
    assert_eq!(
        emulator.state().journal().iter().filter(|e| e.route == Route::List && e.status == Some(200)).count(),
        2
    );
    // The next call uses the renewed keys without another assume call.
    client.list_training_jobs(ListQuery::default()).await.unwrap();
    assert_eq!(routes(&emulator, Route::IamSecurityTokens), 2);
    emulator.shutdown().await;
}

/// Records the sleeps asked for and ends each at once.
#[derive(Clone, Default)]
struct RecordingSleeper(Arc<std::sync::Mutex<Vec<Duration>>>);

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> Sleep {
        self.0.lock().unwrap().push(duration);
        Box::pin(std::future::ready(()))
    }
}

#[tokio::test]
async fn a_metadata_service_that_never_answers_is_given_up_after_the_one_second_bound() {
    // Accepts connections (the kernel's backlog) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let sleeper = RecordingSleeper::default();
    let err = keyless()
        .metadata_endpoint(&url)
        .sleeper(sleeper.clone())
        .clock(FrozenClock(std::time::SystemTime::now()))
        .connect()
        .await
        .unwrap_err();
    let Error::Credentials { tried } = &err else { panic!("{err:?}") };
    // The injected sleeper ends the bound at once and the injected clock stands still: the probe
    // took no time on the client's clock, however loaded the machine.
    assert!(
        tried.last().unwrap().ends_with(
            "(no answer within 1s; the probe took 0.0s; MODELARTS_METADATA_ENDPOINT=off skips it)"
        ),
        "{tried:?}"
    );
    assert_eq!(*sleeper.0.lock().unwrap(), [METADATA_BOUND]);
    assert_eq!(METADATA_BOUND, Duration::from_secs(1));
    drop(silent);
}

#[tokio::test]
async fn a_refused_metadata_session_is_fetched_again_once() {
    use modelarts_emulator::{FaultScript, FaultStep, RouteSelector};
    let emulator = start(
        EmulatorConfig::default()
            .metadata(MetadataConfig::enabled())
            .fault(FaultScript::new(RouteSelector::MetadataSecurityKey).step(FaultStep::status(401))),
    )
    .await;
    let cache = tempfile::tempdir().unwrap();
    let client = base(&emulator, cache.path())
        .project_id(emulator.project_id())
        .metadata_endpoint(&emulator.endpoint())
        .connect()
        .await
        .unwrap();
    assert!(format!("{client:?}").contains("temporary AK/SK"));
    let order: Vec<Route> = emulator.state().journal().iter().map(|e| e.route).collect();
    assert_eq!(
        order,
        [Route::MetadataToken, Route::MetadataSecurityKey, Route::MetadataToken, Route::MetadataSecurityKey]
    );
    emulator.shutdown().await;
}

/// A clock that stands still: durations measured on it are zero.
struct FrozenClock(std::time::SystemTime);

impl Clock for FrozenClock {
    fn now(&self) -> std::time::SystemTime {
        self.0
    }

    fn monotonic(&self) -> Duration {
        Duration::from_secs(1000)
    }
}

/// The emulator's clock as the client's: moving the emulator's clock moves the client's, so the
/// client sees temporary keys come due as the emulator does (and measures no skew).
struct EmulatorClock {
    state: StateHandle,
    origin: std::time::Instant,
}

impl EmulatorClock {
    fn of(emulator: &RunningEmulator) -> Self {
        Self { state: emulator.state().clone(), origin: std::time::Instant::now() }
    }
}

impl Clock for EmulatorClock {
    fn now(&self) -> std::time::SystemTime {
        self.state.now()
    }

    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// The access keys the emulator saw on the ModelArts requests, in order.
fn signing_keys(emulator: &RunningEmulator) -> Vec<String> {
    emulator
        .state()
        .journal()
        .iter()
        .filter(|e| !e.route.is_identity())
        .map(|e| {
            assert_eq!(e.status, Some(200), "{e:?}");
            e.auth.access_key.clone().unwrap()
        })
        .collect()
}

fn route_list(emulator: &RunningEmulator) -> Vec<Route> {
    emulator.state().journal().iter().map(|e| e.route).collect()
}

#[tokio::test]
async fn metadata_keys_are_renewed_ahead_of_expiry_by_exactly_one_more_fetch() {
    let emulator =
        start(EmulatorConfig::default().job(JobSeed::running(10, 3)).metadata(MetadataConfig::enabled()))
            .await;
    let cache = tempfile::tempdir().unwrap();
    let client = base(&emulator, cache.path())
        .project_id(emulator.project_id())
        .metadata_endpoint(&emulator.endpoint())
        .clock(EmulatorClock::of(&emulator))
        .connect()
        .await
        .unwrap();
    client.list_training_jobs(ListQuery::default()).await.unwrap();
    let first = signing_keys(&emulator);
    emulator.state().clear_journal();

    // The keys live an hour: 50 minutes on, they still work but are within the 15-minute margin.
    emulator.state().advance_clock(Duration::from_secs(50 * 60));
    client.list_training_jobs(ListQuery::default()).await.unwrap();
    assert_eq!(
        route_list(&emulator),
        [Route::MetadataToken, Route::MetadataSecurityKey, Route::List],
        "one fetch ahead of the request, no refusal first"
    );
    let renewed = signing_keys(&emulator);
    assert_ne!(renewed, first, "the request is signed with the new keys");

    emulator.state().clear_journal();
    client.list_training_jobs(ListQuery::default()).await.unwrap();
    assert_eq!(route_list(&emulator), [Route::List], "fresh again: no further fetch");
    assert_eq!(signing_keys(&emulator), renewed);
    emulator.shutdown().await;
}

#[tokio::test]
async fn federation_keys_are_renewed_ahead_of_expiry_by_one_more_login_and_exchange() {
    let emulator = start(EmulatorConfig::default().job(JobSeed::running(10, 3))).await;
    let cache = tempfile::tempdir().unwrap();
    let token_file = cache.path().join("id-token");
    std::fs::write(&token_file, "emulator-id-token-0001\n").unwrap();
    let file = token_file.to_str().unwrap().to_owned();
    let client = base(&emulator, cache.path())
        .env(env_of(&[("HUAWEICLOUD_SDK_IDP_ID", "emulator-idp"), ("HUAWEICLOUD_SDK_ID_TOKEN_FILE", &file)]))
        .clock(EmulatorClock::of(&emulator))
        .connect()
        .await
        .unwrap();
    client.list_training_jobs(ListQuery::default()).await.unwrap();
    let first = signing_keys(&emulator);
    emulator.state().clear_journal();

    // The temporary keys live 15 minutes (IAM's default): due half-way, still valid at 8 minutes.
    emulator.state().advance_clock(Duration::from_secs(8 * 60));
    client.list_training_jobs(ListQuery::default()).await.unwrap();
    assert_eq!(route_list(&emulator), [Route::IamIdTokens, Route::IamSecurityTokens, Route::List]);
    let renewed = signing_keys(&emulator);
    assert_ne!(renewed, first);

    emulator.state().clear_journal();
    client.list_training_jobs(ListQuery::default()).await.unwrap();
    assert_eq!(route_list(&emulator), [Route::List]);
    assert_eq!(signing_keys(&emulator), renewed);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_batch_at_concurrency_16_whose_keys_expire_renews_them_exactly_once() {
    let jobs: Vec<JobSeed> = (0..50).map(|i| JobSeed::running(100 + i, 1)).collect();
    let emulator = start(EmulatorConfig::default().jobs(jobs)).await;
    let cache = tempfile::tempdir().unwrap();
    let client = base(&emulator, cache.path())
        .credentials(aksk(&emulator))
        .project_id(emulator.project_id())
        .agency("emulator-domain", "emulator-agency")
        .clock(EmulatorClock::of(&emulator))
        .connect()
        .await
        .unwrap();
    emulator.state().clear_journal();
    // The agency's 15-minute keys have expired when the batch starts: 16 stops find them due at once.
    emulator.state().advance_clock(Duration::from_secs(20 * 60));
    let targets: Vec<JobRef> = (0..50)
        .map(|i| JobRef::V1 { job: JobId::new(100 + i).unwrap(), version: VersionId::new(1).unwrap() })
        .collect();
    let options = BatchOptions::default().with_concurrency(16);
    let report = client.batch_stop(targets, options, |_| {}).await;
    assert!(report.all_succeeded(), "{report:?}");
    assert_eq!(report.outcomes.len(), 50);
    assert_eq!(routes(&emulator, Route::IamSecurityTokens), 1, "exactly one renewal");
    assert_eq!(routes(&emulator, Route::Stop), 50, "every stop sent once");
    let keys = signing_keys(&emulator);
    assert_eq!(keys.len(), 50);
    assert!(keys.iter().all(|k| *k == keys[0]), "all signed with the renewed keys");
    assert_ne!(keys[0], emulator.credentials().access_key);
    emulator.shutdown().await;
}

/// The token cache no one else can hijack: a directory group or others may write to (or that
/// belongs to another user) is not used at all, so a link planted in it is never written through;
/// one others may only read is tightened to 0700 and used; a tokens.json of another user, or one
/// that is not a regular file (a FIFO, which used to hang the client), is skipped.
#[cfg(unix)]
#[tokio::test]
async fn a_cache_others_could_hijack_is_not_used_and_odd_cache_files_are_skipped() {
    use std::os::unix::fs::PermissionsExt as _;
    let emulator = start(EmulatorConfig::default().job(JobSeed::running(10, 3))).await;
    let env = password_env(USER, PASSWORD, &[]);
    let login = |cache: &Path| {
        let builder = base(&emulator, cache).env(env_owned(env.clone()));
        async move {
            let client =
                tokio::time::timeout(Duration::from_secs(20), builder.connect()).await.unwrap().unwrap();
            client.list_training_jobs(ListQuery::default()).await.unwrap();
        }
    };
    let set_mode =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();

    // World-writable: not used; a link planted at any name in it is never followed.
    let root = tempfile::tempdir().unwrap();
    let shared = root.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    set_mode(&shared, 0o777);
    let victim = root.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    set_mode(&victim, 0o644);
    for name in ["tokens.json", ".tokens.json.tmp", &format!(".tokens.json.{}.tmp", std::process::id())] {
        std::os::unix::fs::symlink(&victim, shared.join(name)).unwrap();
    }
    login(&shared).await;
    login(&shared).await;
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(mode(&victim), 0o644);
    assert_eq!(routes(&emulator, Route::IamTokens), 2, "no cache: each client logs in");
    assert_eq!(std::fs::read_dir(&shared).unwrap().count(), 3, "nothing was written there");

    // Readable by others only: tightened to 0700 and used.
    let readable = root.path().join("readable");
    std::fs::create_dir(&readable).unwrap();
    set_mode(&readable, 0o755);
    login(&readable).await;
    assert_eq!(mode(&readable), 0o700);
    assert_eq!(mode(&readable.join("tokens.json")), 0o600);
    let leftovers: Vec<_> = std::fs::read_dir(&readable)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left: {leftovers:?}");
    emulator.state().clear_journal();
    login(&readable).await;
    assert_eq!(routes(&emulator, Route::IamTokens), 0, "the cached token is used");

    // A tokens.json that is a FIFO is skipped (it used to hang), then replaced.
    let fifo_dir = root.path().join("fifo");
    std::fs::create_dir(&fifo_dir).unwrap();
    set_mode(&fifo_dir, 0o700);
    assert!(
        std::process::Command::new("mkfifo").arg(fifo_dir.join("tokens.json")).status().unwrap().success()
    );
    emulator.state().clear_journal();
    login(&fifo_dir).await;
    assert_eq!(routes(&emulator, Route::IamTokens), 1);

    // Another user's directory or token file (only root can make one here).
    if rustix_euid_is_root() {
        std::os::unix::fs::chown(readable.join("tokens.json"), Some(65534), None).unwrap();
        emulator.state().clear_journal();
        login(&readable).await;
        assert_eq!(routes(&emulator, Route::IamTokens), 1, "another user's token file is ignored");
        std::os::unix::fs::chown(&readable, Some(65534), None).unwrap();
        emulator.state().clear_journal();
        login(&readable).await;
        login(&readable).await;
        assert_eq!(routes(&emulator, Route::IamTokens), 2, "another user's directory is not used");
    }
    emulator.shutdown().await;
}

#[cfg(unix)]
fn rustix_euid_is_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    // A file this process creates belongs to its effective uid.
    let probe = tempfile::NamedTempFile::new().unwrap();
    probe.as_file().metadata().unwrap().uid() == 0
}

/// A relative XDG_CACHE_HOME is ignored (the XDG spec): the cache goes under the home directory.
#[test]
fn a_relative_xdg_cache_home_is_ignored() {
    let home = tempfile::tempdir().unwrap();
    let home_s = home.path().to_str().unwrap().to_owned();
    for (xdg, expected) in [
        ("relative/cache", home.path().join(".cache").join("modelarts")),
        ("/abs/cache", std::path::PathBuf::from("/abs/cache/modelarts")),
    ] {
        let resolved = Client::builder()
            .region(REGION)
            .credentials(Credentials::new("AK", "SK-of-the-test-000"))
            .env(env_of(&[("HOME", &home_s), ("XDG_CACHE_HOME", xdg)]))
            .resolve()
            .unwrap();
        assert_eq!(resolved.cache_dir.unwrap().value, expected, "XDG_CACHE_HOME={xdg}");
    }
}

/// Configuration inputs that are not regular files (a FIFO, a directory) are refused at once
/// instead of hanging; symlinks to regular files are followed (Kubernetes' projected tokens).
#[cfg(unix)]
#[tokio::test]
async fn token_and_regions_files_that_are_not_files_are_refused_without_hanging() {
    let emulator = start(EmulatorConfig::default().job(JobSeed::running(10, 3))).await;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let fifo_s = fifo.to_str().unwrap().to_owned();
    let uri = format!("{}/v1/credentials", emulator.endpoint());
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "pod token",
            vec![
                ("HC_CONTAINER_CREDENTIALS_FULL_URI", &uri),
                ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", &fifo_s),
            ],
        ),
        ("ID token", vec![("HUAWEICLOUD_SDK_IDP_ID", "idp"), ("HUAWEICLOUD_SDK_ID_TOKEN_FILE", &fifo_s)]),
        ("regions file", vec![("HUAWEICLOUD_SDK_REGIONS_FILE", &fifo_s)]),
        ("credentials file", vec![("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &fifo_s)]),
    ];
    for (what, vars) in cases {
        let mut builder = base(&emulator, dir.path()).project_id(emulator.project_id()).env(env_of(&vars));
        if what == "regions file" {
            builder = keyed(&emulator, dir.path()).env(env_of(&vars));
        }
        let result = tokio::time::timeout(Duration::from_secs(10), builder.connect()).await;
        let err = result.unwrap_or_else(|_| panic!("{what}: hung")).unwrap_err();
        let text = chain(&err);
        assert!(text.contains("FIFO"), "{what}: {text}");
    }
    emulator.shutdown().await;
}
