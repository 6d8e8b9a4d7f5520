//! What the transport logs: one `http.request` span per request, a warning for insecure
//! transports, and never a credential header value or a query string.
//!
//! One process-wide subscriber at TRACE level (hyper-util and h2 included) writes to memory.
//! Scoped (`set_default`) subscribers in parallel tests race on tracing's per-callsite
//! interest cache, so this binary installs a single global one instead.

mod support;

use std::sync::OnceLock;

use bytes::Bytes;
use http::Request;
use modelarts_transport::{HttpsTransport, ProxyConfig, TransportConfig};
use support::{H1_ONLY, H2_AND_H1, LogBuffer, Pki};

fn logs() -> &'static LogBuffer {
    static LOGS: OnceLock<LogBuffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = LogBuffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("first subscriber");
        logs
    })
}

fn config() -> TransportConfig {
    let mut config = TransportConfig::default();
    config.proxy = ProxyConfig::None;
    config
}

#[tokio::test]
async fn secrets_never_appear_in_logs() {
    const SECRETS: [&str; 4] =
        ["authz-secret-value", "token-secret-value", "security-token-secret-value", "query-secret-value"];
    let logs = logs();
    let pki = Pki::generate();

    for alpn in [H1_ONLY, H2_AND_H1] {
        let server = support::https_server(&pki, alpn, support::echo_version()).await;
        let mut config = config();
        config.ca_bundle = Some(pki.write_ca_file("logs.pem"));
        let transport = HttpsTransport::new(config).expect("transport");
        // A failing request too, so the error path is covered.
        let refused = support::closed_port().await;
        for url in [
            server.https_url("/path?sig=query-secret-value"),
            format!("https://{refused}/x?sig=query-secret-value"),
        ] {
            let request = Request::post(url)
                .header("Authorization", "SDK-HMAC-SHA256 authz-secret-value")
                .header("X-Auth-Token", "token-secret-value")
                .header("X-Security-Token", "security-token-secret-value")
                .body(Bytes::from_static(b"{}"))
                .expect("request");
            let _ = transport.send(request).await;
        }
        // The server did receive the values, so the test would catch them if they were logged.
        assert_eq!(server.seen()[0].headers["x-auth-token"], "token-secret-value");
    }

    let logs = logs.contents();
    assert!(logs.contains("http.request{"), "the span was captured: {logs}");
    assert!(logs.contains(r#"path="/path""#), "{logs}");
    assert!(logs.contains("status=200"), "{logs}");
    assert!(logs.contains("elapsed_ms="), "{logs}");
    assert!(logs.contains("h2::"), "h2 traces were captured too: {logs}");
    for secret in SECRETS {
        assert!(!logs.contains(secret), "{secret} leaked into logs:\n{logs}");
    }
}

#[tokio::test]
async fn building_an_insecure_transport_warns_every_time() {
    let logs = logs();
    let count = || logs.contents().matches("verification is DISABLED").count();
    let before = count();
    let mut config = config();
    config.insecure = true;

    HttpsTransport::new(config.clone()).expect("transport");
    HttpsTransport::new(config).expect("transport");

    assert_eq!(count() - before, 2, "{}", logs.contents());
    assert!(logs.contents().contains(" WARN "), "{}", logs.contents());
}
