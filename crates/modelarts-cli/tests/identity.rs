//! Identity from the command line, each run a fresh process: with only AK/SK and a region, or
//! only a user name, password and account and a region, every command runs without a project ID,
//! and the second run sends no IAM request (the caches on disk answer). `configure test` proves the
//! credentials; `configure list` names the IAM endpoint, the credential source and the proxy.

// Test helpers may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use modelarts_emulator::{EmulatorConfig, IamConfig, IamProject, IamUser, JobSeed, Route};

mod common;

use common::Env;

const PASSWORD: &str = "emulator-password-0001";

fn routes(env: &Env, route: Route) -> usize {
    env.emulator().state().journal().iter().filter(|e| e.route == route).count()
}

/// The binary with a region, the emulator as ModelArts and IAM endpoint, no project ID, no
/// credentials, a private cache directory and the metadata service off.
fn regional(env: &Env) -> std::process::Command {
    let mut cmd = std::process::Command::new(common::BIN);
    cmd.env_clear()
        .env("HOME", env.home.path())
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", env.home.path().join("cache"))
        .env("MODELARTS_METADATA_ENDPOINT", "off")
        .args(["--region", "cn-north-4", "--endpoint-url", &env.emulator().endpoint()])
        .args(["--iam-endpoint", &env.emulator().endpoint()])
        .arg("--ca-bundle")
        .arg(env.ca())
        .stdin(std::process::Stdio::null());
    cmd
}

fn with_keys(env: &Env) -> std::process::Command {
    let c = env.emulator().credentials();
    let mut cmd = regional(env);
    cmd.env("HUAWEICLOUD_SDK_AK", &c.access_key).env("HUAWEICLOUD_SDK_SK", &c.secret_key);
    cmd
}

fn with_password(env: &Env) -> std::process::Command {
    let mut cmd = regional(env);
    cmd.env("HUAWEICLOUD_SDK_USERNAME", "emulator-user")
        .env("HUAWEICLOUD_SDK_PASSWORD", PASSWORD)
        .env("HUAWEICLOUD_SDK_DOMAIN_NAME", "emulator-domain");
    cmd
}

fn run(mut cmd: std::process::Command, code: i32) -> common::Run {
    let run = common::Run::of(cmd.output().unwrap());
    assert_eq!(run.code, code, "{}", run.all());
    run
}

#[test]
fn aksk_and_a_region_need_no_project_id_and_the_second_run_asks_iam_nothing() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 3)));
    let mut first = with_keys(&env);
    first.args(["-o", "json", "training-job", "list"]);
    let r = run(first, 0);
    assert!(r.stdout.contains("\"job_id\": 10") || r.stdout.contains("\"job_id\":10"), "{}", r.stdout);
    assert_eq!(routes(&env, Route::IamProjects), 1);

    env.emulator().state().clear_journal();
    let mut second = with_keys(&env);
    second.args(["training-job", "stop", "10", "--version", "3"]);
    run(second, 0);
    assert_eq!(routes(&env, Route::IamProjects), 0, "the project id came from the disk cache");
    assert_eq!(routes(&env, Route::Stop), 1);
    let cached = std::fs::read_to_string(env.home.path().join("cache/modelarts/projects.json")).unwrap();
    assert!(!cached.contains(&env.secret_key()), "{cached}");
}

#[test]
fn a_password_login_runs_every_command_and_logs_in_once_across_runs() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 3)));
    let mut first = with_password(&env);
    first.args(["-vv", "training-job", "list"]);
    let r = run(first, 0);
    assert!(!r.all().contains(PASSWORD), "{}", r.all());
    assert_eq!(routes(&env, Route::IamTokens), 1);
    let token = env.emulator().state().journal().into_iter().find(|e| e.route == Route::List).unwrap();
    assert!(token.header("x-auth-token").is_some());

    env.emulator().state().clear_journal();
    let mut second = with_password(&env);
    second.args(["-vv", "training-job", "show", "10", "--version", "3"]);
    let r = run(second, 0);
    assert_eq!(routes(&env, Route::IamTokens), 0, "the cached token is reused");
    // The token is a secret: never printed, also not at -vv.
    let tokens = std::fs::read_to_string(env.home.path().join("cache/modelarts/tokens.json")).unwrap();
    let issued: serde_json::Value = serde_json::from_str(&tokens).unwrap();
    let token = issued["tokens"][0]["token"].as_str().unwrap();
    assert!(!r.all().contains(token), "{}", r.all());
    assert!(!tokens.contains(PASSWORD));

    // --dry-run prints the request with the token masked.
    let mut dry = with_password(&env);
    dry.args(["--dry-run", "training-job", "stop", "10", "--version", "3"]);
    let r = run(dry, 0);
    assert!(
        r.stdout.contains("x-auth-token: ****") || r.stdout.to_lowercase().contains("x-auth-token: ****"),
        "{}",
        r.stdout
    );
    assert!(!r.all().contains(token));
}

#[test]
fn a_password_in_the_credentials_file_works_with_a_warning() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 3)));
    let file = env.file(
        "credentials",
        &format!("[basic]\nusername = emulator-user\npassword = {PASSWORD}\ndomain_name = emulator-domain\n"),
    );
    let mut cmd = regional(&env);
    cmd.env("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &file).args(["training-job", "list"]);
    let r = run(cmd, 0);
    assert!(r.stderr.contains("a password is stored in the credentials file"), "{}", r.stderr);
    assert!(!r.all().contains(PASSWORD));
}

#[test]
fn configure_test_proves_the_credentials_and_shows_where_the_project_came_from() {
    let env = Env::start(EmulatorConfig::default());
    let mut cmd = with_keys(&env);
    cmd.args(["configure", "test"]);
    let r = run(cmd, 0);
    assert!(r.stdout.contains("ok: the credentials were accepted"), "{}", r.stdout);
    assert!(r.stdout.contains(env.emulator().project_id()), "{}", r.stdout);
    assert!(r.stdout.contains("IAM lookup at 127.0.0.1"), "{}", r.stdout);
    assert!(r.stdout.contains("list_projects at 127.0.0.1"), "{}", r.stdout);
    // The account from IAM's GET /v3/auth/domains; an access key's user is not named, and why.
    let line = |name: &str| r.stdout.lines().find(|l| l.starts_with(name)).unwrap_or_default().to_owned();
    assert!(line("account").ends_with("emulator-domain"), "{}", r.stdout);
    assert!(line("user").contains("not named") && line("user").contains("OS-CREDENTIAL"), "{}", r.stdout);
    assert!(
        r.stdout.contains("clock_skew") && r.stdout.contains("server minus this machine"),
        "{}",
        r.stdout
    );

    // A wrong secret key: explained as a wrong key or the clock, with the skew.
    let mut wrong = regional(&env);
    wrong
        .env("HUAWEICLOUD_SDK_AK", &env.emulator().credentials().access_key)
        .env("HUAWEICLOUD_SDK_SK", "not-the-secret-key")
        .args(["configure", "test"]);
    let r = run(wrong, 3);
    assert!(r.stderr.contains("refused the credentials (HTTP 401)"), "{}", r.stderr);
    assert!(r.stderr.contains("clock skew measured from the answer is"), "{}", r.stderr);
    assert!(!r.all().contains("not-the-secret-key"));
}

#[test]
fn configure_test_names_the_user_of_a_password_login_and_the_account() {
    let env = Env::start(EmulatorConfig::default());
    let mut cmd = with_password(&env);
    cmd.args(["-o", "json", "configure", "test"]);
    let r = run(cmd, 0);
    let doc: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(doc["user"], "emulator-user (account emulator-domain)", "{}", r.stdout);
    assert_eq!(doc["user_note"], serde_json::Value::Null);
    assert_eq!(doc["account"], "emulator-domain");
    assert!(!r.all().contains(PASSWORD));
}

#[test]
fn configure_test_without_a_region_proves_the_keys_at_iam_and_lists_the_projects_they_reach() {
    let hostile = "la-south-2\u{1b}[31m\u{7}";
    let env = Env::start(
        EmulatorConfig::default()
            .iam(IamConfig::default().project(IamProject::new("cccccccccccccccccccccccccccccccc", hostile))),
    );
    let c = env.emulator().credentials();
    let mut cmd = std::process::Command::new(common::BIN);
    cmd.env_clear()
        .env("HOME", env.home.path())
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", env.home.path().join("cache"))
        .env("MODELARTS_METADATA_ENDPOINT", "off")
        .env("HUAWEICLOUD_SDK_AK", &c.access_key)
        .env("HUAWEICLOUD_SDK_SK", &c.secret_key)
        .args(["--endpoint-url", &env.emulator().endpoint(), "--iam-endpoint", &env.emulator().endpoint()])
        .args(["--project-id", env.emulator().project_id()])
        .arg("--ca-bundle")
        .arg(env.ca())
        .args(["configure", "test"])
        .stdin(std::process::Stdio::null());
    let r = run(cmd, 0);
    assert!(r.stdout.contains("list_auth_projects at 127.0.0.1"), "{}", r.stdout);
    let line = |name: &str| r.stdout.lines().find(|l| l.starts_with(name)).unwrap_or_default().to_owned();
    assert!(line("proved_at").ends_with("iam"), "{}", r.stdout);
    assert!(line("iam_endpoint_source").contains("flag/explicit"), "{}", r.stdout);
    let found = r.stdout.lines().find(|l| l.starts_with("projects_found")).unwrap_or_default();
    assert!(found.contains(&format!("cn-north-4 ({})", env.emulator().project_id())), "{}", r.stdout);
    assert!(found.contains("cccccccccccccccccccccccccccccccc"), "{}", r.stdout);
    assert!(
        !r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{7}'),
        "control characters are escaped: {:?}",
        r.stdout
    );
    // One IAM call, and no ModelArts call at all.
    let journal = env.emulator().state().journal();
    let routes: Vec<Route> = journal.iter().map(|e| e.route).collect();
    assert_eq!(routes, [Route::IamAuthProjects, Route::IamAuthDomains], "{routes:?}");
    assert!(line("account").ends_with("emulator-domain"), "{}", r.stdout);
    assert_eq!(journal[0].auth.access_key.as_deref(), Some(c.access_key.as_str()), "signed with the keys");
}

#[test]
fn configure_test_with_an_endpoint_url_but_no_region_and_no_iam_endpoint_proves_the_keys_at_modelarts() {
    // The global Huawei IAM would be another operator's for this endpoint: nothing goes there.
    let env = Env::start(EmulatorConfig::default());
    let c = env.emulator().credentials();
    let mut cmd = std::process::Command::new(common::BIN);
    cmd.env_clear()
        .env("HOME", env.home.path())
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", env.home.path().join("cache"))
        .env("MODELARTS_METADATA_ENDPOINT", "off")
        .env("HUAWEICLOUD_SDK_AK", &c.access_key)
        .env("HUAWEICLOUD_SDK_SK", &c.secret_key)
        .env("MODELARTS_ENDPOINT_URL", env.emulator().endpoint())
        .args(["--project-id", env.emulator().project_id()])
        .arg("--ca-bundle")
        .arg(env.ca())
        .args(["--output", "json", "configure", "test"])
        .stdin(std::process::Stdio::null());
    let r = run(cmd, 0);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["proved_at"], "modelarts", "{}", r.stdout);
    assert_eq!(doc["check"], "list_training_jobs_v2", "{}", r.stdout);
    assert!(doc["host"].as_str().unwrap_or_default().starts_with("127.0.0.1:"), "{}", r.stdout);
    assert!(doc["iam_endpoint_source"].is_null(), "{}", r.stdout);
    // One ModelArts call, the v2 search (every account has v2; v1 was retired for new jobs), signed
    // with the keys, and no IAM call at all.
    let journal = env.emulator().state().journal();
    let routes: Vec<Route> = journal.iter().map(|e| e.route).collect();
    assert_eq!(routes, [Route::V2List], "{routes:?}");
    assert_eq!(journal[0].auth.access_key.as_deref(), Some(c.access_key.as_str()), "signed with the keys");

    // A wrong secret key is refused there, not at any IAM.
    let mut wrong = std::process::Command::new(common::BIN);
    wrong
        .env_clear()
        .env("HOME", env.home.path())
        .env("XDG_CACHE_HOME", env.home.path().join("cache"))
        .env("MODELARTS_METADATA_ENDPOINT", "off")
        .env("HUAWEICLOUD_SDK_AK", &c.access_key)
        .env("HUAWEICLOUD_SDK_SK", "not-the-secret-key")
        .env("MODELARTS_ENDPOINT_URL", env.emulator().endpoint())
        .args(["--project-id", env.emulator().project_id()])
        .arg("--ca-bundle")
        .arg(env.ca())
        .args(["configure", "test"])
        .stdin(std::process::Stdio::null());
    let r = run(wrong, 3);
    assert!(r.stderr.contains("401"), "{}", r.stderr);
    assert!(!r.all().contains("not-the-secret-key"));
    let routes: Vec<Route> = env.emulator().state().journal().iter().map(|e| e.route).collect();
    assert!(routes.iter().all(|r| *r == Route::V2List), "{routes:?}");
}

#[test]
fn configure_list_names_the_iam_endpoint_the_credential_source_the_proxy_and_each_keys_source() {
    let env = Env::start(EmulatorConfig::default());
    let mut cmd = with_keys(&env);
    cmd.env("HTTPS_PROXY", "http://user:proxy-pass@proxy.internal:3128").args(["configure", "list"]);
    let r = run(cmd, 0);
    let line = |name: &str| r.stdout.lines().find(|l| l.starts_with(name)).unwrap_or_default().to_owned();
    assert!(line("iam_endpoint").contains(&env.emulator().endpoint()), "{}", r.stdout);
    assert!(line("iam_endpoint").contains("flag/explicit"), "{}", r.stdout);
    assert!(line("credential_source").contains("AK/SK (env HUAWEICLOUD_SDK_AK)"), "{}", r.stdout);
    assert!(line("secret_key").contains("env HUAWEICLOUD_SDK_SK"), "{}", r.stdout);
    assert!(line("access_key").contains("env HUAWEICLOUD_SDK_AK"), "{}", r.stdout);
    assert!(line("proxy").contains("http://proxy.internal:3128"), "{}", r.stdout);
    assert!(!r.stdout.contains("proxy-pass"), "{}", r.stdout);
    // `configure list` makes no call.
    assert_eq!(env.journal_len(), 0);
}

#[test]
fn an_agency_from_the_command_line_is_assumed_once() {
    let env = Env::start(EmulatorConfig::default().job(JobSeed::running(10, 3)));
    let mut cmd = with_keys(&env);
    cmd.args([
        "--agency-name",
        "emulator-agency",
        "--agency-domain",
        "emulator-domain",
        "training-job",
        "list",
    ]);
    run(cmd, 0);
    assert_eq!(routes(&env, Route::IamSecurityTokens), 1);
    let list = env.emulator().state().journal().into_iter().find(|e| e.route == Route::List).unwrap();
    assert!(list.header("x-security-token").is_some());

    let mut half = with_keys(&env);
    half.args(["--agency-name", "emulator-agency", "training-job", "list"]);
    let r = run(half, 2);
    assert!(r.stderr.contains("--agency-domain"), "{}", r.stderr);

    // The name from its variable and the domain from its flag are a pair (clap refused it).
    let mut mixed = with_keys(&env);
    mixed.env("MODELARTS_AGENCY_NAME", "emulator-agency").args([
        "--agency-domain",
        "emulator-domain",
        "training-job",
        "list",
    ]);
    run(mixed, 0);
    assert_eq!(routes(&env, Route::IamSecurityTokens), 2);
}

#[test]
fn a_password_login_with_virtual_mfa_takes_the_code_from_the_flag_and_explains_refusals() {
    const MFA_PASSWORD: &str = "mfa-password-0001";
    let user = IamUser::new("mfa-user", MFA_PASSWORD, "emulator-domain").mfa("JBSWY3DPEHPK3PXP");
    let env = Env::start(
        EmulatorConfig::default().job(JobSeed::running(10, 3)).iam(IamConfig::default().user(user.clone())),
    );
    let login = |args: &[&str]| {
        let mut cmd = regional(&env);
        cmd.env("HUAWEICLOUD_SDK_USERNAME", "mfa-user")
            .env("HUAWEICLOUD_SDK_PASSWORD", MFA_PASSWORD)
            .env("HUAWEICLOUD_SDK_DOMAIN_NAME", "emulator-domain")
            .args(args)
            .args(["training-job", "list"]);
        cmd
    };

    // No code: exit 3, the error names the flag and the variable.
    let r = run(login(&[]), 3);
    assert!(r.stderr.contains("has virtual MFA login protection"), "{}", r.stderr);
    assert!(
        r.stderr.contains("--mfa-code (MODELARTS_MFA_CODE)") && r.stderr.contains("--user-id"),
        "{}",
        r.stderr
    );

    // A wrong code: 401 explained, the code never printed (also not at -vv).
    let now = env.emulator().state().now();
    let step = std::time::Duration::from_secs(30);
    let valid: Vec<String> =
        [now - step, now, now + step].iter().map(|t| user.totp_code(*t).unwrap()).collect();
    // Non-repetitive, so it cannot show up by chance in the zero-padded user id or elsewhere in
    // the output; and checked to be none of the codes the emulator accepts now.
    let wrong = ["135797", "864213"].into_iter().find(|c| !valid.iter().any(|v| v == c)).unwrap();
    assert!(!user.user_id.contains(wrong), "the no-leak check below would be void");
    let r = run(login(&["-vv", "--mfa-code", wrong, "--user-id", &user.user_id]), 3);
    assert!(
        r.stderr.contains("refused the virtual MFA code of mfa-user@emulator-domain (HTTP 401)"),
        "{}",
        r.stderr
    );
    assert!(!r.all().contains(wrong) && !r.all().contains(MFA_PASSWORD), "{}", r.all());

    // The current code from the flag logs in; the next run needs none (the token is cached).
    let code = user.totp_code(env.emulator().state().now()).unwrap();
    env.emulator().state().clear_journal();
    let r = run(login(&["-vv", "--mfa-code", &code, "--user-id", &user.user_id]), 0);
    assert!(!r.stderr.contains(&code), "{}", r.stderr);
    assert_eq!(routes(&env, Route::IamTokens), 1);
    env.emulator().state().clear_journal();
    run(login(&[]), 0);
    assert_eq!(routes(&env, Route::IamTokens), 0, "the cached token is reused without a code");
    let tokens = std::fs::read_to_string(env.home.path().join("cache/modelarts/tokens.json")).unwrap();
    assert!(!tokens.contains(&code) && !tokens.contains(MFA_PASSWORD));
}

#[test]
fn with_no_credentials_the_error_says_the_metadata_probe_ran_how_long_and_how_to_turn_it_off() {
    let env = Env::start(EmulatorConfig::default());
    // The metadata probe pointed at a closed local port (a real run probes 169.254.169.254).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut cmd = regional(&env);
    cmd.env("MODELARTS_METADATA_ENDPOINT", &url).args(["training-job", "list"]);
    let r = run(cmd, 3);
    assert!(r.stderr.contains("no credentials found"), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("ECS/BMS metadata at {url} (not reachable")), "{}", r.stderr);
    assert!(
        r.stderr.contains("the probe took ") && r.stderr.contains("MODELARTS_METADATA_ENDPOINT=off skips it"),
        "{}",
        r.stderr
    );

    // Turned off: no probe, and the list of sources says so.
    let r = run(
        {
            let mut cmd = regional(&env);
            cmd.args(["training-job", "list"]);
            cmd
        },
        3,
    );
    assert!(
        r.stderr.contains("ECS/BMS metadata (turned off: MODELARTS_METADATA_ENDPOINT=off)"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("the probe took"), "{}", r.stderr);
}

/// `configure test` that cannot reach the service says so, not that the credentials were refused.
#[test]
fn configure_test_that_cannot_reach_the_service_does_not_blame_the_credentials() {
    let home = tempfile::tempdir().unwrap();
    let out = common::bare(home.path())
        .env("HUAWEICLOUD_SDK_AK", "SOMEAK")
        .env("HUAWEICLOUD_SDK_SK", "SOMESK")
        .env("MODELARTS_METADATA_ENDPOINT", "off")
        .args([
            "--endpoint-url",
            "https://modelarts.nowhere.invalid",
            "--project-id",
            "0123456789abcdef0123456789abcdef",
        ])
        .args(["--max-attempts", "1", "configure", "test"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = common::text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("the credentials could not be checked"), "{stderr}");
    assert!(!stderr.contains("not accepted"), "{stderr}");
    // The host the requests went to is named, once.
    assert_eq!(
        stderr.matches("the requests went to https://modelarts.nowhere.invalid").count(),
        1,
        "{stderr}"
    );
}

/// No credentials: the fix comes first (and following it works), the sources merely not set are
/// counted, and `-v` lists every source tried.
#[test]
fn no_credentials_gives_the_fix_first_and_the_sources_with_v() {
    let env = Env::start(EmulatorConfig::default().job(modelarts_emulator::JobSeed::running(10, 20)));
    let home = tempfile::tempdir().unwrap();
    let cmd = |extra: &[&str]| {
        let mut c = common::emulator_cmd(env.emulator(), home.path());
        c.env("MODELARTS_METADATA_ENDPOINT", "off").args(extra).args(["training-job", "list", "--api", "v1"]);
        c
    };
    let out = cmd(&[]).output().unwrap();
    let stderr = common::text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("no credentials found") && stderr.contains("-v lists every one"), "{stderr}");
    assert!(
        stderr.contains("hint: export HUAWEICLOUD_SDK_AK=YOUR_AK HUAWEICLOUD_SDK_SK=YOUR_SK"),
        "{stderr}"
    );
    assert!(!stderr.contains("HC_CONTAINER_CREDENTIALS_FULL_URI"), "the unset sources are counted: {stderr}");
    // -v lists them all.
    let out = cmd(&["-v"]).output().unwrap();
    assert!(common::text(&out.stderr).contains("HC_CONTAINER_CREDENTIALS_FULL_URI"));
    // The fix works.
    let c = env.emulator().credentials();
    let out = cmd(&[])
        .env("HUAWEICLOUD_SDK_AK", &c.access_key)
        .env("HUAWEICLOUD_SDK_SK", &c.secret_key)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out.stderr));
}
