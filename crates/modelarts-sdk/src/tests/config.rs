//! Configuration and the credentials chain, with an injected environment and files in a temp dir.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::fake::PROJECT;
use crate::*;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let map: HashMap<String, String> =
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |name| map.get(name).cloned()
}

/// A fresh directory under the system temp dir, used as `HOME`.
fn temp_home() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "modelarts-sdk-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".huaweicloud")).unwrap();
    dir
}

fn write_credentials(home: &std::path::Path, text: &str) -> PathBuf {
    let path = home.join(".huaweicloud").join("credentials");
    std::fs::write(&path, text).unwrap();
    path
}

fn aksk(resolved: &ResolvedConfig) -> (String, String, Option<String>) {
    match &resolved.auth.as_ref().unwrap().value {
        Auth::AkSk(c) => {
            (c.access_key().to_owned(), c.secret_key().to_owned(), c.security_token().map(str::to_owned))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn credentials_and_settings_from_the_environment() {
    let b = Client::builder().env(env_of(&[
        ("HUAWEICLOUD_SDK_AK", "ENVAK00000001"),
        ("HUAWEICLOUD_SDK_SK", "env-secret"),
        ("HUAWEICLOUD_SDK_SECURITY_TOKEN", "env-token"),
        ("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT),
        ("MODELARTS_REGION", "cn-north-4"),
    ]));
    let r = b.resolve().unwrap();
    assert_eq!(aksk(&r), ("ENVAK00000001".into(), "env-secret".into(), Some("env-token".into())));
    assert_eq!(r.auth.as_ref().unwrap().source.to_string(), "env HUAWEICLOUD_SDK_AK");
    assert_eq!(r.project_id.as_ref().unwrap().source.to_string(), "env HUAWEICLOUD_SDK_PROJECT_ID");
    let endpoint = r.endpoint.as_ref().unwrap();
    assert_eq!(endpoint.value.url(), "https://modelarts.cn-north-4.myhuaweicloud.com");
    assert_eq!(endpoint.source.to_string(), "derived from region");
    let client = b.build().unwrap();
    assert_eq!(client.project_id().as_str(), PROJECT);
}

#[test]
fn explicit_values_win_over_the_environment() {
    let b = Client::builder()
        .credentials(Credentials::new("EXPLICITAK001", "explicit-sk"))
        .project_id("explicitproject")
        .endpoint_url("https://127.0.0.1:9443")
        .env(env_of(&[
            ("HUAWEICLOUD_SDK_AK", "ENVAK00000001"),
            ("HUAWEICLOUD_SDK_SK", "env-secret"),
            ("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT),
            ("MODELARTS_ENDPOINT_URL", "https://other.test"),
        ]));
    let r = b.resolve().unwrap();
    assert_eq!(aksk(&r).0, "EXPLICITAK001");
    assert_eq!(r.auth.as_ref().unwrap().source, SettingSource::Explicit);
    assert_eq!(r.project_id.as_ref().unwrap().value.as_str(), "explicitproject");
    assert_eq!(r.endpoint.as_ref().unwrap().value.url(), "https://127.0.0.1:9443");
}

#[test]
fn iam_token_from_the_environment() {
    let r = Client::builder()
        .env(env_of(&[("MODELARTS_IAM_TOKEN", "tok"), ("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT)]))
        .resolve()
        .unwrap();
    assert!(matches!(r.auth.as_ref().unwrap().value, Auth::Token(_)));
    assert_eq!(r.auth.as_ref().unwrap().source.to_string(), "env MODELARTS_IAM_TOKEN");
}

#[test]
fn the_profile_sets_region_endpoint_ca_bundle_and_output_with_their_source() {
    let home = temp_home();
    let ca = home.join("ca.pem");
    std::fs::write(&ca, "not read here").unwrap();
    let path = write_credentials(
        &home,
        &format!(
            "[basic]\nak = FILEAK0000001\nsk = s\nproject_id = p0\nregion = eu-de\nendpoint_url = https://modelarts.example.test\nca_bundle = {}\noutput = json\nregoin = typo\n",
            ca.display()
        ),
    );
    let home_s = home.to_str().unwrap().to_owned();
    let r = Client::builder().env(env_of(&[("HOME", &home_s)])).resolve().unwrap();
    let from_file = format!("file {} [basic]", path.display());
    let region = r.region.as_ref().unwrap();
    assert_eq!((region.value.as_str(), region.source.to_string()), ("eu-de", from_file.clone()));
    let endpoint = r.endpoint.as_ref().unwrap();
    assert_eq!(
        (endpoint.value.host(), endpoint.source.to_string()),
        ("modelarts.example.test", from_file.clone())
    );
    let bundle = r.ca_bundle.as_ref().unwrap();
    assert_eq!((bundle.value.clone(), bundle.source.to_string()), (ca.clone(), from_file.clone()));
    assert_eq!(r.output.as_ref().unwrap().value, "json");
    // The environment still wins over the profile.
    let r = Client::builder()
        .env(env_of(&[
            ("HOME", &home_s),
            ("MODELARTS_REGION", "cn-north-4"),
            ("MODELARTS_ENDPOINT_URL", "https://other.example.test"),
        ]))
        .resolve()
        .unwrap();
    assert_eq!(r.region.unwrap().value, "cn-north-4");
    assert_eq!(r.endpoint.unwrap().value.host(), "other.example.test");
    let _ = std::fs::remove_dir_all(home);
}

#[test]
fn an_unknown_profile_key_is_matched_to_the_closest_known_one() {
    use crate::resolve::closest_key;
    assert_eq!(closest_key("regoin"), Some("region"));
    assert_eq!(closest_key("endpoint"), Some("endpoint_url"));
    assert_eq!(closest_key("projectid"), Some("project_id"));
    assert_eq!(closest_key("zzzzzzzz"), None);
}

#[test]
fn credentials_from_the_file_and_the_selected_profile() {
    let home = temp_home();
    let path = write_credentials(
        &home,
        "[basic]\nak = FILEAK0000001\nsk = file-secret\nproject_id = fileproject\n\n[prod]\nak=PRODAK0000001\nsk=prod-secret\nsecurity_token=st\n",
    );
    let home_s = home.to_str().unwrap().to_owned();
    let r = Client::builder().region("eu-de").env(env_of(&[("HOME", &home_s)])).resolve().unwrap();
    assert_eq!(aksk(&r), ("FILEAK0000001".into(), "file-secret".into(), None));
    assert_eq!(r.auth.as_ref().unwrap().source.to_string(), format!("file {} [basic]", path.display()));
    assert_eq!(r.project_id.as_ref().unwrap().value.as_str(), "fileproject");

    // MODELARTS_PROFILE selects another section.
    let r = Client::builder()
        .region("eu-de")
        .env(env_of(&[("HOME", &home_s), ("MODELARTS_PROFILE", "prod")]))
        .resolve()
        .unwrap();
    assert_eq!(aksk(&r), ("PRODAK0000001".into(), "prod-secret".into(), Some("st".into())));
    assert!(r.project_id.is_none(), "prod has no project_id");
    let err = Client::builder()
        .region("eu-de")
        .env(env_of(&[("HOME", &home_s), ("MODELARTS_PROFILE", "prod")]))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("no project ID"), "{err}");

    // HUAWEICLOUD_SDK_CREDENTIALS_FILE points elsewhere; a profile that is not there is an error.
    let other = home.join("other.ini");
    std::fs::write(&other, "[basic]\nak=OTHERAK000001\nsk=x\n").unwrap();
    let other_s = other.to_str().unwrap().to_owned();
    let r =
        Client::builder().env(env_of(&[("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &other_s)])).resolve().unwrap();
    assert_eq!(aksk(&r).0, "OTHERAK000001");
    let err = Client::builder()
        .profile("missing")
        .env(env_of(&[("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &other_s)]))
        .resolve()
        .unwrap_err();
    assert!(err.to_string().contains("profile [missing] not found"), "{err}");
    let _ = std::fs::remove_dir_all(home);
}

#[test]
fn no_credentials_lists_every_source_tried() {
    let home = temp_home();
    let home_s = home.to_str().unwrap().to_owned();
    let err = Client::builder()
        .region("eu-de")
        .project_id(PROJECT)
        .env(env_of(&[("HOME", &home_s)]))
        .build()
        .unwrap_err();
    let Error::Credentials { tried } = &err else { panic!("{err:?}") };
    assert_eq!(
        tried,
        &[
            "explicit credentials (none given)".to_owned(),
            "env HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK (not set)".to_owned(),
            "env MODELARTS_IAM_TOKEN (not set)".to_owned(),
            "env HUAWEICLOUD_SDK_USERNAME/HUAWEICLOUD_SDK_PASSWORD/HUAWEICLOUD_SDK_DOMAIN_NAME (not set)"
                .to_owned(),
            "env HUAWEICLOUD_SDK_IDP_ID/HUAWEICLOUD_SDK_ID_TOKEN_FILE (not set)".to_owned(),
            format!("file {} (not found)", home.join(".huaweicloud/credentials").display()),
            "env HC_CONTAINER_CREDENTIALS_FULL_URI/HC_CONTAINER_AUTHORIZATION_TOKEN_FILE (CCE pod identity, not set)"
                .to_owned(),
            "ECS/BMS metadata (not asked: ClientBuilder::build makes no call; connect does)".to_owned(),
        ]
    );
    assert_eq!(err.category(), ErrorCategory::Credentials);
    assert!(err.to_string().starts_with("no credentials found; tried: explicit credentials"));

    // A file without the profile's section says so.
    write_credentials(&home, "[other]\nak=a\nsk=b\n");
    let err = Client::builder()
        .region("eu-de")
        .project_id(PROJECT)
        .env(env_of(&[("HOME", &home_s)]))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("(no [basic] section; sections: other)"), "{err}");
    let _ = std::fs::remove_dir_all(home);
}

#[test]
fn invalid_configuration_fails_at_build_with_a_clear_message() {
    let home = temp_home();
    let garbled = write_credentials(&home, "[basic]\nak = A\nthis line is garbage\n");
    let home_s = home.to_str().unwrap().to_owned();
    let ca_missing = home.join("no-such-ca.pem");
    let base = || {
        Client::builder()
            .project_id(PROJECT)
            .credentials(Credentials::new("AKEXAMPLE0001", "sk"))
            .region("eu-de")
            .env(|_| None)
    };
    let cases: Vec<(ClientBuilder, String)> = vec![
        (
            Client::builder()
                .project_id(PROJECT)
                .credentials(Credentials::new("AKEXAMPLE0001", "sk"))
                .env(|_| None),
            "no region and no endpoint".into(),
        ),
        (
            base().credentials(Credentials::new("", "sk")),
            "access key (AK) from the explicit credentials is empty".into(),
        ),
        (
            base().credentials(Credentials::new("AK", " ")),
            "secret key (SK) from the explicit credentials is empty".into(),
        ),
        (
            base().credentials(Credentials::new("AK", "SK")).iam_token("t").env(|_| None),
            "more than one of AK/SK credentials, an IAM token and a password login".into(),
        ),
        (base().max_attempts(0), "max_attempts must be at least 1".into()),
        (base().ca_bundle(&ca_missing), format!("cannot read the CA bundle {}", ca_missing.display())),
        (base().region("mars-1"), "unknown region \"mars-1\"".into()),
        (base().endpoint_url("ftp://x"), "invalid endpoint URL from flag/explicit".into()),
        (base().endpoint_url("http://127.0.0.1:1"), "uses plain http".into()),
        (base().project_id("a/b"), "invalid project ID from flag/explicit".into()),
        (base().timeout(std::time::Duration::ZERO), "the timeout must be greater than zero".into()),
        (
            Client::builder().region("eu-de").env(env_of(&[("HUAWEICLOUD_SDK_AK", "AK")])),
            "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not".into(),
        ),
        (
            Client::builder().region("eu-de").project_id(PROJECT).env(env_of(&[("HOME", &home_s)])),
            format!(
                "the credentials file {}, line 3: expected `key = value` or `[section]`",
                garbled.display()
            ),
        ),
        (
            Client::builder()
                .region("eu-de")
                .project_id(PROJECT)
                .credentials_file(home.join("absent"))
                .env(|_| None),
            format!("cannot read the credentials file {}", home.join("absent").display()),
        ),
    ];
    for (builder, expected) in cases {
        let err = builder.build().unwrap_err();
        assert_eq!(err.category(), ErrorCategory::Config, "{err}");
        assert!(err.to_string().contains(&expected), "{err} does not contain {expected}");
    }
    // http is fine once allowed.
    base().endpoint_url("http://127.0.0.1:1").allow_http(true).build().unwrap();
    let _ = std::fs::remove_dir_all(home);
}

#[test]
fn endpoint_from_the_official_per_region_variable() {
    let r = Client::builder()
        .env(env_of(&[
            ("HUAWEICLOUD_SDK_REGION", "cn-north-4"),
            ("HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4", " https://a.test:8443 , https://b.test"),
        ]))
        .resolve()
        .unwrap();
    assert_eq!(r.region.as_ref().unwrap().source.to_string(), "env HUAWEICLOUD_SDK_REGION");
    let endpoint = r.endpoint.unwrap();
    assert_eq!(endpoint.value.url(), "https://a.test:8443");
    assert_eq!(endpoint.source.to_string(), "env HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4");
    // MODELARTS_ENDPOINT_URL wins over it.
    let r = Client::builder()
        .env(env_of(&[
            ("MODELARTS_REGION", "cn-north-4"),
            ("MODELARTS_ENDPOINT_URL", "https://mine.test"),
            ("HUAWEICLOUD_SDK_REGION_MODELARTS_CN_NORTH_4", "https://a.test"),
        ]))
        .resolve()
        .unwrap();
    assert_eq!(r.endpoint.unwrap().value.url(), "https://mine.test");
}

#[test]
fn secrets_never_show_in_debug_or_display() {
    let b = Client::builder()
        .region("eu-de")
        .project_id(PROJECT)
        .credentials(
            Credentials::new("AKVISIBLE0001", "SUPERSECRETSK").with_security_token("SUPERSECRETTOKEN"),
        )
        .env(|_| None);
    let resolved = b.resolve().unwrap();
    let texts = [
        format!("{b:?}"),
        format!("{resolved}"),
        format!("{resolved:?}"),
        format!("{:?}", b.clone().build().unwrap()),
        format!("{:?}", Client::builder().iam_token("SUPERSECRETIAM").env(|_| None)),
    ];
    for text in &texts {
        assert!(!text.contains("SUPERSECRET"), "{text}");
    }
    assert!(texts[1].contains("AKV*******001"), "{}", texts[1]);
    assert!(texts[1].contains("secret_key"), "{}", texts[1]);
    let rows = resolved.rows();
    let row = |name: &str| rows.iter().find(|r| r.0 == name).cloned().unwrap();
    assert_eq!(row("region"), ("region", "eu-de".into(), "flag/explicit".into()));
    assert_eq!(row("max_attempts"), ("max_attempts", "3".into(), "default".into()));
    assert_eq!(row("security_token").1, "********");
}

#[test]
fn environment_values_that_are_not_utf8_are_named_never_dropped() {
    use std::os::unix::ffi::OsStringExt;
    let names = [
        "HUAWEICLOUD_SDK_AK",
        "HUAWEICLOUD_SDK_SK",
        "HUAWEICLOUD_SDK_SECURITY_TOKEN",
        "HUAWEICLOUD_SDK_PROJECT_ID",
        "MODELARTS_REGION",
        "MODELARTS_ENDPOINT_URL",
        "MODELARTS_CA_BUNDLE",
        "MODELARTS_PROFILE",
        "HUAWEICLOUD_SDK_CREDENTIALS_FILE",
        "HOME",
    ];
    for bad in names {
        let b = Client::builder().env_os(move |name| {
            if name == bad {
                return Some(std::ffi::OsString::from_vec(b"tok\xE9n".to_vec()));
            }
            match name {
                "HUAWEICLOUD_SDK_AK" => Some("ENVAK00000001".into()),
                "HUAWEICLOUD_SDK_SK" => Some("env-secret".into()),
                "MODELARTS_REGION" => Some("cn-north-4".into()),
                _ => None,
            }
        });
        let err = b.resolve().unwrap_err();
        assert_eq!(err.category(), ErrorCategory::Config, "{bad}");
        let text = err.to_string();
        assert!(
            text.contains(&format!("the environment variable {bad} is not valid UTF-8")),
            "{bad}: {text}"
        );
        assert!(!text.contains("tok"), "{bad}: {text}");
    }
}

#[test]
fn configure_rows_name_each_credentials_own_variable() {
    let b = Client::builder().env(env_of(&[
        ("HUAWEICLOUD_SDK_AK", "ENVAK00000001"),
        ("HUAWEICLOUD_SDK_SK", "env-secret"),
        ("HUAWEICLOUD_SDK_SECURITY_TOKEN", "env-token"),
    ]));
    let rows = b.resolve().unwrap().rows();
    let source = |key: &str| rows.iter().find(|r| r.0 == key).map(|r| r.2.clone()).unwrap();
    assert_eq!(source("access_key"), "env HUAWEICLOUD_SDK_AK");
    assert_eq!(source("secret_key"), "env HUAWEICLOUD_SDK_SK");
    assert_eq!(source("security_token"), "env HUAWEICLOUD_SDK_SECURITY_TOKEN");
}
