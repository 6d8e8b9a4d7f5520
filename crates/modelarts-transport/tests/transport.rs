//! The transport against real loopback servers: versions, trust, timeouts, size caps, failure
//! classification, proxies and pooling. Log capture lives in `logging.rs`, the process
//! environment in `env_proxy.rs`.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode, Version};
use http_body_util::Full;
use modelarts_transport::{
    BuildError, ErrorKind, HttpsTransport, ProxyConfig, TlsRejection, TransportConfig,
};
use support::{Fault, H1_ONLY, H2_AND_H1, Pki, Seen};

/// Direct connections, a 5 s attempt bound, no CA bundle.
fn base_config() -> TransportConfig {
    let mut config = TransportConfig::default();
    config.proxy = ProxyConfig::None;
    config.attempt_timeout = Duration::from_secs(5);
    config
}

/// `base_config` trusting the test CA.
fn trusting(pki: &Pki, name: &str) -> TransportConfig {
    let mut config = base_config();
    config.ca_bundle = Some(pki.write_ca_file(name));
    config
}

fn transport(config: TransportConfig) -> HttpsTransport {
    HttpsTransport::new(config).expect("transport builds")
}

fn get(url: &str) -> Request<Bytes> {
    Request::get(url).body(Bytes::new()).expect("valid request")
}

/// Generous bound for "fails within the configured timeout": never a tight timing.
const BOUND: Duration = Duration::from_secs(5);

#[tokio::test]
async fn http1_request_succeeds_and_adds_no_user_agent_by_default() {
    let pki = Pki::generate();
    let server = support::https_server(&pki, H1_ONLY, support::echo_version()).await;
    let transport = transport(trusting(&pki, "h1.pem"));

    let response = transport.send(get(&server.https_url("/hello?x=1"))).await.expect("response");

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.version(), Version::HTTP_11);
    assert_eq!(response.body(), &Bytes::from("HTTP/1.1"));
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].version, Version::HTTP_11);
    assert_eq!(seen[0].uri.path(), "/hello");
    assert!(seen[0].headers.get("user-agent").is_none(), "{:?}", seen[0].headers);
}

#[tokio::test]
async fn a_configured_user_agent_is_added_to_requests_without_one() {
    let pki = Pki::generate();
    let server = support::https_server(&pki, H1_ONLY, support::echo_version()).await;
    let mut config = trusting(&pki, "ua-config.pem");
    config.user_agent = Some(http::HeaderValue::from_static("my-tool/2.0"));

    transport(config).send(get(&server.https_url("/"))).await.expect("response");

    let agents: Vec<_> = server.seen()[0].headers.get_all("user-agent").iter().cloned().collect();
    assert_eq!(agents, ["my-tool/2.0"]);
}

#[tokio::test]
async fn http2_is_negotiated_by_alpn() {
    let pki = Pki::generate();
    let server = support::https_server(&pki, H2_AND_H1, support::echo_version()).await;
    let transport = transport(trusting(&pki, "h2.pem"));

    let response = transport.send(get(&server.https_url("/"))).await.expect("response");

    assert_eq!(response.version(), Version::HTTP_2);
    assert_eq!(response.body(), &Bytes::from("HTTP/2.0"));
    assert_eq!(server.seen()[0].version, Version::HTTP_2);
}

#[tokio::test]
async fn http2_can_be_turned_off() {
    let pki = Pki::generate();
    let server = support::https_server(&pki, H2_AND_H1, support::echo_version()).await;
    let mut config = trusting(&pki, "h2-off.pem");
    config.http2 = false;

    let response = transport(config).send(get(&server.https_url("/"))).await.expect("response");

    assert_eq!(server.seen()[0].version, Version::HTTP_11);
    assert_eq!(response.version(), Version::HTTP_11);
}

#[tokio::test]
async fn a_post_without_body_declares_content_length_zero() {
    let pki = Pki::generate();
    let server = support::https_server(&pki, H1_ONLY, support::echo_version()).await;
    let request = Request::post(server.https_url("/stop")).body(Bytes::new()).expect("request");

    transport(trusting(&pki, "post.pem")).send(request).await.expect("response");

    let seen = server.seen();
    assert_eq!(seen[0].method, http::Method::POST);
    assert_eq!(seen[0].headers["content-length"], "0");
}

#[tokio::test]
async fn a_user_agent_of_the_request_is_kept() {
    let pki = Pki::generate();
    let server = support::https_server(&pki, H1_ONLY, support::echo_version()).await;
    let request = Request::get(server.https_url("/"))
        .header("user-agent", "my-tool/1.0")
        .body(Bytes::new())
        .expect("request");

    transport(trusting(&pki, "ua.pem")).send(request).await.expect("response");

    let agents: Vec<_> = server.seen()[0].headers.get_all("user-agent").iter().cloned().collect();
    assert_eq!(agents, ["my-tool/1.0"]);
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_before_sending() {
    let pki = Pki::generate();
    let server = support::https_server(&pki, H2_AND_H1, support::echo_version()).await;

    let err =
        transport(base_config()).send(get(&server.https_url("/"))).await.expect_err("untrusted certificate");

    assert_eq!(err.kind(), ErrorKind::Tls, "{err:?}");
    assert!(err.is_tls());
    assert_eq!(err.tls_rejection(), Some(TlsRejection::UnknownIssuer), "{err:?}");
    assert!(!err.may_have_reached_server());
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused() {
    // Trusted CA, but the leaf names only `localhost` and the URL says 127.0.0.1.
    let pki = Pki::generate_for(&["localhost"]);
    let server = support::https_server(&pki, H1_ONLY, support::echo_version()).await;

    let err = transport(trusting(&pki, "name.pem"))
        .send(get(&server.https_url("/")))
        .await
        .expect_err("name mismatch");

    assert_eq!(err.kind(), ErrorKind::Tls, "{err:?}");
    assert_eq!(err.tls_rejection(), Some(TlsRejection::WrongHost), "{err:?}");
    assert!(!err.may_have_reached_server());
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn insecure_mode_accepts_an_untrusted_certificate() {
    let pki = Pki::generate();
    let server = support::https_server(&pki, H2_AND_H1, support::echo_version()).await;
    let mut config = base_config();
    config.insecure = true;

    let response = transport(config)
        .send(get(&server.https_url("/")))
        .await
        .expect("insecure mode accepts the certificate");

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn bad_ca_bundle_fails_the_build_naming_the_file() {
    let dir = std::env::temp_dir().join(format!("mt-bad-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("not-a-cert.pem");
    std::fs::write(&path, "hello").expect("write");
    let mut config = base_config();
    config.ca_bundle = Some(path.clone());

    let err = HttpsTransport::new(config).expect_err("invalid bundle");

    assert!(matches!(err, BuildError::CaBundle { .. }), "{err:?}");
    assert!(err.to_string().contains("not-a-cert.pem"), "{err}");
}

#[tokio::test]
async fn connection_refused_is_a_connect_error_that_never_reached_the_server() {
    let addr = support::closed_port().await;

    let err = transport(base_config()).send(get(&format!("https://{addr}/"))).await.expect_err("refused");

    assert_eq!(err.kind(), ErrorKind::Connect, "{err:?}");
    assert!(!err.may_have_reached_server());
}

#[tokio::test]
async fn a_stalled_tls_handshake_is_bounded_by_the_connect_timeout() {
    let pki = Pki::generate();
    let server = support::faulty_server(&pki, Fault::StallHandshake).await;
    let mut config = trusting(&pki, "stall-handshake.pem");
    config.connect_timeout = Duration::from_millis(300);

    let started = Instant::now();
    let err = transport(config).send(get(&server.url())).await.expect_err("handshake stalls");

    assert!(started.elapsed() < BOUND, "{:?}", started.elapsed());
    assert_eq!(err.kind(), ErrorKind::Connect, "{err:?}");
    assert!(!err.may_have_reached_server());
}

#[tokio::test]
async fn an_attempt_timeout_while_still_connecting_never_reached_the_server() {
    let pki = Pki::generate();
    let server = support::faulty_server(&pki, Fault::StallHandshake).await;
    let mut config = trusting(&pki, "stall-handshake-attempt.pem");
    config.connect_timeout = Duration::from_secs(10);
    config.attempt_timeout = Duration::from_millis(300);

    let started = Instant::now();
    let err = transport(config).send(get(&server.url())).await.expect_err("handshake stalls");

    assert!(started.elapsed() < BOUND, "{:?}", started.elapsed());
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert!(!err.may_have_reached_server());
}

/// Sends one request to a faulty server with a 300 ms attempt timeout.
async fn against_fault(fault: Fault) -> (modelarts_transport::Error, Duration, support::FaultyServer) {
    let pki = Pki::generate();
    let server = support::faulty_server(&pki, fault).await;
    let mut config = trusting(&pki, &format!("{fault:?}.pem"));
    config.attempt_timeout = Duration::from_millis(300);
    let started = Instant::now();
    let err = transport(config).send(get(&server.url())).await.expect_err("the server misbehaves");
    (err, started.elapsed(), server)
}

#[tokio::test]
async fn a_server_stalling_before_headers_times_out() {
    let (err, elapsed, server) = against_fault(Fault::StallBeforeHeaders).await;

    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert!(err.is_timeout());
    assert!(err.may_have_reached_server());
    assert!(elapsed < BOUND, "{elapsed:?}");
    assert_eq!(server.requests.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_server_stalling_mid_body_times_out() {
    let (err, elapsed, _server) = against_fault(Fault::StallMidBody).await;

    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert!(err.may_have_reached_server());
    assert!(elapsed < BOUND, "{elapsed:?}");
}

#[tokio::test]
async fn a_connection_closed_after_the_request_may_have_reached_the_server() {
    for fault in [Fault::CloseAfterRequest, Fault::ResetAfterRequest] {
        let (err, _, server) = against_fault(fault).await;

        assert_eq!(err.kind(), ErrorKind::Io, "{fault:?}: {err:?}");
        assert!(err.may_have_reached_server(), "{fault:?}");
        assert_eq!(server.requests.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}

#[tokio::test]
async fn an_oversized_content_length_is_refused_without_reading_the_body() {
    let pki = Pki::generate();
    let server = support::faulty_server(&pki, Fault::HugeContentLength).await;
    // The server sends only 1 KiB of the declared 1 GiB and then stalls: reading the body
    // would end in a timeout, not in BodyTooLarge.
    let started = Instant::now();
    let err = transport(trusting(&pki, "huge-cl.pem")).send(get(&server.url())).await.expect_err("too large");

    assert_eq!(err.kind(), ErrorKind::BodyTooLarge, "{err:?}");
    assert!(err.is_body_too_large());
    assert!(err.may_have_reached_server());
    assert!(started.elapsed() < BOUND);
}

#[tokio::test]
async fn an_oversized_chunked_body_is_cut_at_the_limit() {
    let pki = Pki::generate();
    let server = support::faulty_server(&pki, Fault::EndlessChunked).await;
    let mut config = trusting(&pki, "chunked.pem");
    config.max_response_body_bytes = 1024 * 1024;

    let err = transport(config).send(get(&server.url())).await.expect_err("too large");

    assert_eq!(err.kind(), ErrorKind::BodyTooLarge, "{err:?}");
    assert!(err.may_have_reached_server());
    // The reader stopped long before the 256 MiB the server would send.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = server.bytes_sent.load(std::sync::atomic::Ordering::SeqCst);
    assert!(sent < 64 * 1024 * 1024, "server wrote {sent} bytes");
}

#[tokio::test]
async fn a_body_at_the_limit_is_accepted() {
    let pki = Pki::generate();
    let body = Bytes::from(vec![b'a'; 4096]);
    let handler_body = body.clone();
    let server = support::https_server(
        &pki,
        H2_AND_H1,
        Arc::new(move |_: &Seen| Response::new(Full::new(handler_body.clone()))),
    )
    .await;
    let mut config = trusting(&pki, "limit.pem");
    config.max_response_body_bytes = 4096;
    let transport = transport(config);

    let response = transport.send(get(&server.https_url("/"))).await.expect("exactly at the limit");
    assert_eq!(response.body(), &body);
}

#[tokio::test]
async fn plain_http_is_refused_unless_allowed() {
    let server = support::http_server(support::echo_version()).await;

    let err =
        transport(base_config()).send(get(&server.http_url("/"))).await.expect_err("plain http refused");
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(!err.may_have_reached_server());
    assert_eq!(server.connection_count(), 0);

    let mut config = base_config();
    config.allow_http = true;
    let response = transport(config).send(get(&server.http_url("/"))).await.expect("allowed");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(server.connection_count(), 1);
}

#[tokio::test]
async fn a_relative_url_is_an_invalid_request() {
    let err = transport(base_config()).send(get("/just/a/path")).await.expect_err("relative");
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(!err.may_have_reached_server());
}

#[tokio::test]
async fn a_redirect_is_returned_not_followed() {
    let pki = Pki::generate();
    let server = support::https_server(
        &pki,
        H1_ONLY,
        Arc::new(|_: &Seen| {
            Response::builder()
                .status(StatusCode::FOUND)
                .header("location", "/elsewhere")
                .body(Full::new(Bytes::new()))
                .expect("response")
        }),
    )
    .await;

    let response = transport(trusting(&pki, "redirect.pem"))
        .send(get(&server.https_url("/start")))
        .await
        .expect("response");

    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["location"], "/elsewhere");
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].uri.path(), "/start");
}

#[tokio::test]
async fn connections_are_reused_across_requests_and_clones() {
    let pki = Pki::generate();
    for alpn in [H1_ONLY, H2_AND_H1] {
        let server = support::https_server(&pki, alpn, support::echo_version()).await;
        let transport = transport(trusting(&pki, "reuse.pem"));
        for i in 0..5 {
            let clone = transport.clone();
            let response = clone.send(get(&server.https_url(&format!("/{i}")))).await.expect("response");
            assert_eq!(response.status(), StatusCode::OK);
        }
        assert_eq!(server.seen().len(), 5);
        assert_eq!(server.connection_count(), 1, "alpn {alpn:?}");
    }
}

#[tokio::test]
async fn an_explicit_proxy_is_used_through_connect_with_decoded_credentials() {
    let pki = Pki::generate();
    let server = support::https_server(&pki, H2_AND_H1, support::echo_version()).await;
    let proxy = support::connect_proxy().await;
    let mut config = trusting(&pki, "proxy.pem");
    config.proxy =
        ProxyConfig::Explicit { url: format!("http://alice:p%40ss@{}", proxy.addr), no_proxy: None };
    let transport = transport(config);

    for _ in 0..3 {
        let response =
            transport.send(get(&server.https_url("/via-proxy"))).await.expect("response through the proxy");
        assert_eq!(response.status(), StatusCode::OK);
    }

    assert_eq!(proxy.tunnel_count(), 1, "one pooled tunnel for three requests");
    let seen = proxy.seen.lock().expect("lock").clone();
    assert_eq!(seen[0].target, server.addr.to_string());
    // base64("alice:p@ss")
    assert_eq!(seen[0].authorization.as_deref(), Some("Basic YWxpY2U6cEBzcw=="));
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn plain_http_through_a_proxy_is_tunnelled_too() {
    let server = support::http_server(support::echo_version()).await;
    let proxy = support::connect_proxy().await;
    let mut config = base_config();
    config.allow_http = true;
    config.proxy = ProxyConfig::Explicit { url: proxy.url(), no_proxy: None };

    let response = transport(config).send(get(&server.http_url("/"))).await.expect("response");

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(proxy.tunnel_count(), 1);
    assert_eq!(proxy.seen.lock().expect("lock")[0].target, server.addr.to_string());
}

#[tokio::test]
async fn no_proxy_bypasses_the_proxy() {
    let pki = Pki::generate();
    let server = support::https_server(&pki, H1_ONLY, support::echo_version()).await;
    let proxy = support::connect_proxy().await;
    for no_proxy in ["127.0.0.1", "127.0.0.0/8", "localhost, 127.0.0.1", "*"] {
        let mut config = trusting(&pki, "no-proxy.pem");
        config.proxy = ProxyConfig::Explicit { url: proxy.url(), no_proxy: Some(no_proxy.to_owned()) };
        transport(config).send(get(&server.https_url("/"))).await.expect("direct response");
    }
    assert_eq!(proxy.tunnel_count(), 0);
    assert_eq!(server.seen().len(), 4);
}

#[tokio::test]
async fn proxy_settings_from_injected_env_vars_are_honoured() {
    let pki = Pki::generate();
    let server = support::https_server(&pki, H1_ONLY, support::echo_version()).await;
    let proxy = support::connect_proxy().await;
    let proxied_env: HashMap<&str, String> =
        HashMap::from([("https_proxy", proxy.url()), ("NO_PROXY", "example.invalid".to_owned())]);
    let bypass_env: HashMap<&str, String> =
        HashMap::from([("HTTPS_PROXY", proxy.url()), ("no_proxy", "127.0.0.1".to_owned())]);

    let mut config = trusting(&pki, "env-proxy.pem");
    config.proxy = ProxyConfig::from_env_vars(|name| proxied_env.get(name).cloned());
    transport(config).send(get(&server.https_url("/"))).await.expect("through the proxy");
    assert_eq!(proxy.tunnel_count(), 1);

    let mut config = trusting(&pki, "env-proxy.pem");
    config.proxy = ProxyConfig::from_env_vars(|name| bypass_env.get(name).cloned());
    transport(config).send(get(&server.https_url("/"))).await.expect("direct");
    assert_eq!(proxy.tunnel_count(), 1, "NO_PROXY matched: no new tunnel");
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn a_proxy_refusing_the_tunnel_is_a_connect_error() {
    let pki = Pki::generate();
    let proxy = support::connect_proxy().await;
    let target = support::closed_port().await;
    let mut config = trusting(&pki, "proxy-refuses.pem");
    config.proxy = ProxyConfig::Explicit { url: proxy.url(), no_proxy: None };

    let err =
        transport(config).send(get(&format!("https://{target}/"))).await.expect_err("the proxy answers 502");

    assert_eq!(err.kind(), ErrorKind::Connect, "{err:?}");
    assert!(!err.may_have_reached_server());
}

#[tokio::test]
async fn unusable_proxy_urls_fail_the_build() {
    for url in ["https://proxy:3128", "socks5://proxy:1080", "::nonsense::"] {
        let mut config = base_config();
        config.proxy = ProxyConfig::Explicit { url: url.to_owned(), no_proxy: None };
        let err = HttpsTransport::new(config).expect_err(url);
        assert!(matches!(err, BuildError::Proxy { .. }), "{url}: {err:?}");
    }
    let mut config = base_config();
    config.proxy =
        ProxyConfig::Explicit { url: "https://user:hunter2@proxy:3128".to_owned(), no_proxy: None };
    let err = HttpsTransport::new(config).expect_err("https proxy");
    assert!(!err.to_string().contains("hunter2"));
    assert!(!format!("{err:?}").contains("hunter2"));
}

#[tokio::test]
async fn the_transport_is_a_seam_sender_whose_futures_can_be_spawned() {
    async fn call<S: modelarts_http::HttpSend>(sender: &S, url: String) -> StatusCode {
        sender.send(get(&url)).await.expect("response").status()
    }
    let pki = Pki::generate();
    let server = support::https_server(&pki, H1_ONLY, support::echo_version()).await;
    let transport = transport(trusting(&pki, "seam.pem"));

    assert_eq!(call(&transport, server.https_url("/")).await, StatusCode::OK);
    // The seam's future is Send on this transport, and clones share it, so it can be spawned.
    let spawned = tokio::spawn({
        let transport = transport.clone();
        let url = server.https_url("/");
        async move { modelarts_http::HttpSend::send(&transport, get(&url)).await }
    });
    assert!(spawned.await.expect("task").is_ok());
}
