//! `Debug` and `Display` of every configuration, credential and signing type of the protocol,
//! transport and SDK crates never show a secret key, a security token, an IAM token, a proxy
//! password or a signature (as text, or as the bytes `Debug` prints for a `&[u8]`).

use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use modelarts_protocol::auth::{self, Auth, IamToken};
use modelarts_protocol::signing::{
    self, Credentials, SignableRequest, SigningParams, parse_authorization, verify,
};
use modelarts_sdk::{Client, ClientBuilder};
use modelarts_transport::{HttpsTransport, ProxyConfig, TransportConfig};

const AK: &str = "REDACTIONTESTAK00001";
const SK: &str = "SKredactionSecret0123456789abcdefSK";
const SECURITY_TOKEN: &str = "STSredactionToken0123456789abcdefSTS";
const IAM_TOKEN: &str = "IAMredactionToken0123456789abcdefIAM";
const PROXY_PASSWORD: &str = "proxyPa55wordSecret";

/// The forms a secret can take in a `Debug` or `Display` string.
fn forms(secret: &str) -> Vec<String> {
    let bytes: Vec<String> = secret.bytes().take(8).map(|b| b.to_string()).collect();
    vec![secret.to_owned(), secret[..12.min(secret.len())].to_owned(), bytes.join(", ")]
}

fn check(what: &str, text: &str, secrets: &[(&str, &str)], problems: &mut Vec<String>) {
    for (name, secret) in secrets {
        for form in forms(secret) {
            if text.contains(&form) {
                problems.push(format!("{what} shows the {name} ({form:?}):\n  {text}"));
                break;
            }
        }
    }
}

fn signed_request(credentials: &Credentials) -> (http::Request<Bytes>, String) {
    let mut request =
        http::Request::post("https://modelarts.eu-de.otc.t-systems.com/v1/p/training-jobs/1/versions/2/stop")
            .header("content-type", "application/json")
            .body(Bytes::new())
            .unwrap_or_default();
    let at = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let output = signing::sign(&SignableRequest::from_http(&request), &SigningParams::new(credentials, at))
        .expect("signs");
    let signature = output.signature().to_owned();
    output.apply_to(&mut request);
    (request, signature)
}

#[test]
fn no_type_shows_a_secret() {
    let credentials = Credentials::new(AK, SK).with_security_token(SECURITY_TOKEN);
    let (signed, signature) = signed_request(&credentials);
    let secrets = [
        ("secret key", SK),
        ("security token", SECURITY_TOKEN),
        ("IAM token", IAM_TOKEN),
        ("proxy password", PROXY_PASSWORD),
        ("signature", signature.as_str()),
    ];
    let mut problems = Vec::new();
    let mut shown = |what: &str, text: String| check(what, &text, &secrets, &mut problems);

    // Protocol.
    shown("Credentials Debug", format!("{credentials:?}"));
    shown("IamToken Debug", format!("{:?}", IamToken::new(IAM_TOKEN)));
    shown("Auth::AkSk Debug", format!("{:?}", Auth::AkSk(credentials.clone())));
    shown("Auth::Token Debug", format!("{:?}", Auth::Token(IamToken::new(IAM_TOKEN))));
    let at = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    shown("SigningParams Debug", format!("{:?}", SigningParams::new(&credentials, at)));
    let unsigned = http::Request::get("https://h/v1/p/training-jobs").body(Bytes::new()).unwrap_or_default();
    let output = signing::sign(&SignableRequest::from_http(&unsigned), &SigningParams::new(&credentials, at))
        .expect("signs");
    shown("SigningOutput Debug", format!("{output:?}"));
    shown(
        "SignableRequest Debug (of a signed request)",
        format!("{:?}", SignableRequest::from_http(&signed)),
    );
    let authorization = signed.headers()["authorization"].to_str().unwrap_or_default().to_owned();
    match parse_authorization(&authorization) {
        Ok(header) => shown("AuthorizationHeader Debug", format!("{header:?}")),
        Err(e) => panic!("{}", format!("the Authorization header does not parse: {e}")),
    }
    let (parts, body) = signed.clone().into_parts();
    let wrong = verify(&parts, &body, &|_| Some("other".to_owned()), at, Duration::from_secs(900));
    shown("VerifyError Debug", format!("{wrong:?}"));
    if let Err(e) = &wrong {
        shown("VerifyError Display", e.to_string());
    }
    shown("signed http::Request Debug", format!("{signed:?}"));
    let mut with_token = unsigned.clone();
    auth::authorize(&mut with_token, &Auth::Token(IamToken::new(IAM_TOKEN)), at).expect("authorizes");
    shown("token http::Request Debug", format!("{with_token:?}"));

    // Transport.
    let mut config = TransportConfig::default();
    config.proxy = ProxyConfig::Explicit {
        url: format!("http://user:{PROXY_PASSWORD}@proxy.internal:3128"),
        no_proxy: None,
    };
    shown("TransportConfig Debug", format!("{config:?}"));
    shown("ProxyConfig Debug", format!("{:?}", config.proxy));
    let per_scheme = ProxyConfig::PerScheme {
        https: Some(format!("http://u:{PROXY_PASSWORD}@p:1")),
        http: Some(format!("http://u:{PROXY_PASSWORD}@p:2")),
        no_proxy: None,
    };
    shown("ProxyConfig::PerScheme Debug", format!("{per_scheme:?}"));
    match HttpsTransport::new(config.clone()) {
        Ok(transport) => shown("HttpsTransport Debug", format!("{transport:?}")),
        Err(e) => {
            shown("transport BuildError Debug", format!("{e:?}"));
            shown("transport BuildError Display", e.to_string());
        }
    }
    let mut bad_proxy = TransportConfig::default();
    bad_proxy.proxy = ProxyConfig::Explicit { url: format!("ftp://u:{PROXY_PASSWORD}@p:1"), no_proxy: None };
    if let Err(e) = HttpsTransport::new(bad_proxy) {
        shown("transport BuildError (bad proxy) Debug", format!("{e:?}"));
        shown("transport BuildError (bad proxy) Display", e.to_string());
    }

    // SDK.
    let builder = || -> ClientBuilder {
        Client::builder()
            .region("eu-de")
            .project_id("0123456789abcdef0123456789abcdef")
            .env(|_| None)
            .transport_config(config.clone())
    };
    let aksk = builder().credentials(credentials.clone());
    shown("ClientBuilder (AK/SK) Debug", format!("{aksk:?}"));
    let token = builder().iam_token(IAM_TOKEN);
    shown("ClientBuilder (token) Debug", format!("{token:?}"));
    for (name, b) in [("AK/SK", aksk.clone()), ("token", token.clone())] {
        match b.resolve() {
            Ok(resolved) => {
                shown(&format!("ResolvedConfig ({name}) Debug"), format!("{resolved:?}"));
                shown(&format!("ResolvedConfig ({name}) Display"), resolved.to_string());
                shown(&format!("Setting<Auth> ({name}) Debug"), format!("{:?}", resolved.auth));
            }
            Err(e) => panic!("{}", format!("resolve ({name}) failed: {e}")),
        }
    }
    match aksk.build() {
        Ok(client) => {
            shown("Client Debug", format!("{client:?}"));
            match client.signed_request(
                &modelarts_protocol::operations::show_training_job_version::ShowTrainingJobVersion::new(
                    client.project_id().clone(),
                    "1".parse().expect("id"),
                    "2".parse().expect("id"),
                ),
            ) {
                Ok(request) => shown("Client::signed_request Debug", format!("{request:?}")),
                Err(e) => panic!("{}", format!("signed_request failed: {e}")),
            }
        }
        Err(e) => panic!("{}", format!("build failed: {e}")),
    }
    // Errors that involve credentials.
    let both = builder().credentials(credentials.clone()).iam_token(IAM_TOKEN).build();
    if let Err(e) = both {
        shown("sdk Error (both credentials) Debug", format!("{e:?}"));
        shown("sdk Error (both credentials) Display", e.to_string());
    }
    let no_sk = builder().credentials(Credentials::new(AK, " ").with_security_token(SECURITY_TOKEN)).build();
    if let Err(e) = no_sk {
        shown("sdk Error (empty SK) Debug", format!("{e:?}"));
    }
    let bad_header =
        builder().credentials(Credentials::new(AK, SK).with_security_token("bad\ntoken")).build();
    if let Ok(client) = bad_header {
        let op = modelarts_protocol::operations::show_training_job_version::ShowTrainingJobVersion::new(
            client.project_id().clone(),
            "1".parse().expect("id"),
            "2".parse().expect("id"),
        );
        if let Err(e) = client.signed_request(&op) {
            shown("sdk Error (unsignable) Debug", format!("{e:?}"));
            shown("sdk Error (unsignable) Display", e.to_string());
        }
    }

    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
