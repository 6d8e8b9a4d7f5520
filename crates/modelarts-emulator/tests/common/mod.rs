//! Test client for the emulator: hyper-util's legacy client over hyper-rustls (ring) trusting only the
//! emulator's generated CA, plus helpers to sign requests with the protocol crate.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use modelarts_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use modelarts_protocol::signing::{self, SignableRequest, SigningParams};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::Value;

/// Which HTTP versions the client offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// HTTP/1.1 only.
    H1,
    /// HTTP/1.1 or HTTP/2 by ALPN (HTTPS only; plain HTTP stays 1.1).
    Auto,
}

pub struct TestClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    pub base: String,
    pub project: String,
    pub ak: String,
    pub sk: String,
    pub token: String,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub version: http::Version,
    pub elapsed: Duration,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub fn client_for(ca_pem: Option<&str>, proto: Proto) -> Client<HttpsConnector<HttpConnector>, Full<Bytes>> {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(pem) = ca_pem {
        roots.add(CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()).unwrap();
    }
    let config =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    let builder =
        hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config).https_or_http().enable_http1();
    let connector = match proto {
        Proto::H1 => builder.build(),
        Proto::Auto => builder.enable_http2().build(),
    };
    Client::builder(TokioExecutor::new()).retry_canceled_requests(false).build(connector)
}

impl TestClient {
    pub fn new(emulator: &RunningEmulator, proto: Proto) -> Self {
        let c = emulator.credentials();
        Self {
            client: client_for(emulator.ca_cert_pem(), proto),
            base: emulator.endpoint(),
            project: emulator.project_id().to_owned(),
            ak: c.access_key.clone(),
            sk: c.secret_key.clone(),
            token: c.token.clone(),
        }
    }

    /// `/v1/{project}/training-jobs{suffix}`
    pub fn jobs_path(&self, suffix: &str) -> String {
        format!("/v1/{}/training-jobs{suffix}", self.project)
    }

    pub fn stop_path(&self, job: u64, version: u64) -> String {
        self.jobs_path(&format!("/{job}/versions/{version}/stop"))
    }

    pub fn show_path(&self, job: u64, version: u64) -> String {
        self.jobs_path(&format!("/{job}/versions/{version}"))
    }

    /// Sends a request; `path` may carry a query.
    pub async fn try_send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Reply, String> {
        let mut builder = Request::builder().method(method).uri(format!("{}{path}", self.base));
        for (n, v) in headers {
            builder = builder.header(*n, *v);
        }
        let request = builder.body(Full::new(Bytes::copy_from_slice(body))).unwrap();
        self.try_send_request(request).await
    }

    pub async fn try_send_request(&self, request: Request<Full<Bytes>>) -> Result<Reply, String> {
        let started = Instant::now();
        let response = self.client.request(request).await.map_err(|e| format!("{e:?}"))?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| format!("body: {e:?}"))?.to_bytes();
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body,
            version: parts.version,
            elapsed: started.elapsed(),
        })
    }

    pub async fn send(&self, method: Method, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.try_send(method.clone(), path, headers, b"")
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Unauthenticated GET (for auth off).
    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, &[]).await
    }

    /// Unauthenticated POST with no body.
    pub async fn post(&self, path: &str) -> Reply {
        self.send(Method::POST, path, &[]).await
    }

    /// A request with `X-Auth-Token`.
    pub async fn with_token(&self, method: Method, path: &str) -> Reply {
        let token = self.token.clone();
        self.send(method, path, &[("x-auth-token", &token)]).await
    }

    /// Builds a request signed with the given credentials at `time`.
    pub fn signed_request(
        &self,
        method: Method,
        path_and_query: &str,
        ak: &str,
        sk: &str,
        time: SystemTime,
        extra: &[(&str, &str)],
    ) -> Request<Full<Bytes>> {
        let uri: http::Uri = format!("{}{path_and_query}", self.base).parse().unwrap();
        let mut headers: Vec<(&str, &str)> =
            vec![("content-type", "application/json"), ("x-project-id", &self.project)];
        headers.extend_from_slice(extra);
        let host = uri.authority().unwrap().as_str().to_owned();
        let credentials = signing::Credentials::new(ak, sk);
        let signable = SignableRequest::new(
            method.as_str(),
            &host,
            uri.path(),
            uri.query().unwrap_or(""),
            headers.iter().copied(),
            b"",
        );
        let output = signing::sign(&signable, &SigningParams::new(&credentials, time)).unwrap();
        let mut builder = Request::builder().method(method).uri(uri);
        for (n, v) in &headers {
            builder = builder.header(*n, *v);
        }
        let mut request = builder.body(Full::new(Bytes::new())).unwrap();
        output.apply_to(&mut request);
        request
    }

    /// A request signed with the emulator's credentials at the wall clock.
    pub async fn signed(&self, method: Method, path: &str) -> Reply {
        let request = self.signed_request(method, path, &self.ak, &self.sk, SystemTime::now(), &[]);
        self.try_send_request(request).await.unwrap()
    }
}

/// Starts an emulator and a client for it.
pub async fn start(config: EmulatorConfig, proto: Proto) -> (RunningEmulator, TestClient) {
    let emulator = Emulator::start(config).await.unwrap();
    let client = TestClient::new(&emulator, proto);
    (emulator, client)
}

/// Asserts a ModelArts error body and returns its message.
pub fn assert_modelarts_error(reply: &Reply, status: u16, code: &str) -> String {
    assert_eq!(reply.status.as_u16(), status, "{}", String::from_utf8_lossy(&reply.body));
    let body = reply.json();
    assert_eq!(body["is_success"], false, "{body}");
    assert_eq!(body["error_code"], code, "{body}");
    let msg = body["error_message"].as_str().expect("error_message");
    assert!(!msg.is_empty());
    msg.to_owned()
}

/// Asserts a gateway error body (with `request_id` equal to the header) and returns its message.
pub fn assert_gateway_error(reply: &Reply, status: u16, code: &str) -> String {
    assert_eq!(reply.status.as_u16(), status, "{}", String::from_utf8_lossy(&reply.body));
    let body = reply.json();
    assert_eq!(body["error_code"], code, "{body}");
    assert_eq!(body["request_id"].as_str(), reply.header("x-request-id"), "{body}");
    assert!(body.get("is_success").is_none(), "{body}");
    body["error_msg"].as_str().expect("error_msg").to_owned()
}

/// Asserts the headers every answer carries.
pub fn assert_common_headers(reply: &Reply) {
    let id = reply.header("x-request-id").expect("x-request-id");
    assert_eq!(id.len(), 32, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    let date = reply.header("date").expect("date");
    httpdate::parse_http_date(date).expect("HTTP date");
}
