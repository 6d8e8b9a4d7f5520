//! Why a certificate was rejected, as a typed reason: the transport reads it from rustls'
//! certificate error, the SDK carries it in its `TransportError`, and the CLI picks its hint from
//! it. Each row is a loopback server with one bad certificate (`modelarts_reliability::servers`).

use bytes::Bytes;
use modelarts_reliability::servers::{CertCase, TestServer};
use modelarts_sdk::{Client, Credentials, Error, ErrorCategory};
use modelarts_transport::{ErrorKind, HttpsTransport, TlsRejection, TransportConfig};

const NOT_FOUND: &str = "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 55\r\n\r\n{\"error_code\":\"ModelArts.2775\",\"error_msg\":\"not found\"}";

const CASES: [(CertCase, TlsRejection); 3] = [
    (CertCase::Expired, TlsRejection::Expired),
    (CertCase::WrongHost, TlsRejection::WrongHost),
    (CertCase::UntrustedCa, TlsRejection::UnknownIssuer),
];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

#[test]
fn the_transport_names_the_reason() {
    for (case, expected) in CASES {
        let server = TestServer::tls(case, NOT_FOUND).expect("server");
        let mut config = TransportConfig::default();
        config.ca_bundle = server.ca_path().map(Into::into);
        let transport = HttpsTransport::new(config).expect("transport");
        let request = http::Request::get(format!("{}/", server.url())).body(Bytes::new()).expect("request");
        let err = runtime().block_on(transport.send(request)).expect_err("a bad certificate is refused");
        assert_eq!(err.kind(), ErrorKind::Tls, "{case:?}: {err:?}");
        assert_eq!(err.tls_rejection(), Some(expected), "{case:?}: {err:?}");
        assert_eq!(modelarts_transport::Error::tls_rejection(&err), Some(expected));
        assert_eq!(server.requests(), 0, "{case:?}: nothing is sent through a refused handshake");
    }
}

#[test]
fn the_sdk_carries_the_reason() {
    for (case, expected) in CASES {
        let server = TestServer::tls(case, NOT_FOUND).expect("server");
        let mut builder = Client::builder()
            .endpoint_url(&server.url())
            .project_id("0123456789abcdef0123456789abcdef")
            .credentials(Credentials::new("TLSAK", "TLSSK"))
            .env(|_| None);
        if let Some(ca) = server.ca_path() {
            builder = builder.ca_bundle(ca);
        }
        let client = builder.build().expect("client");
        let job = modelarts_sdk::JobId::new(10).expect("job id");
        let error = runtime()
            .block_on(client.list_training_job_versions(job))
            .expect_err("a bad certificate is refused");
        let Error::Transport { source, attempts } = &error else { panic!("{case:?}: {error:?}") };
        assert_eq!(*attempts, 1, "{case:?}: a rejected certificate is not retried");
        assert!(source.is_tls_rejected(), "{case:?}");
        assert_eq!(source.tls_rejection(), Some(expected), "{case:?}");
        assert_eq!(error.category(), ErrorCategory::Config, "{case:?}");
    }
}
