//! Small loopback servers for the TLS and redirect tests: TLS with a deliberately bad certificate,
//! and a server that answers every request with one canned response (a redirect). Each runs on its
//! own thread with its own runtime, so plain (non-async) tests can use it, and counts the requests
//! it read.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::background::Background;

/// What is wrong with the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertCase {
    /// Nothing: a leaf for `127.0.0.1` and `localhost`, signed by the CA in [`TestServer::ca_path`].
    Valid,
    /// The leaf expired in 2020.
    Expired,
    /// The leaf names `modelarts.example.com` only.
    WrongHost,
    /// The leaf is signed by another CA than the one in [`TestServer::ca_path`].
    UntrustedCa,
}

/// A running test server; stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    tls: bool,
    ca_path: Option<PathBuf>,
    requests: Arc<AtomicUsize>,
    connections: Arc<AtomicUsize>,
    _dir: Option<tempfile::TempDir>,
    _serving: Background,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer").field("addr", &self.addr).field("tls", &self.tls).finish_non_exhaustive()
    }
}

impl TestServer {
    /// An HTTPS server with `case`'s certificate; it answers `response` (raw HTTP/1.1 bytes) to
    /// every request on a connection that completes the handshake.
    pub fn tls(case: CertCase, response: &str) -> Result<Self, String> {
        let (config, ca_pem) = server_config(case)?;
        // A fresh private directory (random name, mode 0700), removed on drop.
        let dir =
            tempfile::Builder::new().prefix("modelarts-test-server-").tempdir().map_err(|e| e.to_string())?;
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, ca_pem).map_err(|e| e.to_string())?;
        let mut server = Self::start(Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))), response)?;
        server.ca_path = Some(ca_path);
        server._dir = Some(dir);
        Ok(server)
    }

    /// A plain-HTTP server answering `response` (raw HTTP/1.1 bytes) to every request.
    pub fn plain(response: &str) -> Result<Self, String> {
        Self::start(None, response)
    }

    fn start(acceptor: Option<tokio_rustls::TlsAcceptor>, response: &str) -> Result<Self, String> {
        let requests = Arc::new(AtomicUsize::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let response: Arc<[u8]> = Arc::from(response.as_bytes());
        let tls = acceptor.is_some();
        let (counted_requests, counted_connections) = (requests.clone(), connections.clone());
        let serving = Background::start(move |stream| {
            counted_connections.fetch_add(1, Ordering::Relaxed);
            let (acceptor, response, requests) =
                (acceptor.clone(), response.clone(), counted_requests.clone());
            async move {
                match acceptor {
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(stream).await {
                            answer(stream, &response, &requests).await;
                        }
                    }
                    None => answer(stream, &response, &requests).await,
                }
            }
        })
        .map_err(|e| e.to_string())?;
        Ok(Self {
            addr: serving.addr(),
            tls,
            ca_path: None,
            requests,
            connections,
            _dir: None,
            _serving: serving,
        })
    }

    /// `https://127.0.0.1:PORT` or `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("{}://{}", if self.tls { "https" } else { "http" }, self.addr)
    }

    /// The CA file to trust (for [`CertCase::UntrustedCa`], a CA that did not sign the leaf).
    pub fn ca_path(&self) -> Option<&Path> {
        self.ca_path.as_deref()
    }

    /// Requests read (complete request heads) so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }
}

/// Reads request heads and answers each with `response`, until the peer closes.
async fn answer<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
    response: &[u8],
    requests: &AtomicUsize,
) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Ok(n) = stream.read(&mut chunk).await else { return };
        if n == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..n]);
        // Bodies of the requests under test are empty: a head ends a request.
        while let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            buffer.drain(..end + 4);
            requests.fetch_add(1, Ordering::Relaxed);
            if stream.write_all(response).await.is_err() || stream.flush().await.is_err() {
                return;
            }
        }
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn ca(name: &str) -> Result<(rcgen::Certificate, Issuer<'static, KeyPair>), String> {
    let key = KeyPair::generate().map_err(err)?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.self_signed(&key).map_err(err)?;
    Ok((cert, Issuer::new(params, key)))
}

/// The server configuration for `case` and the PEM of the CA the client is told to trust.
fn server_config(case: CertCase) -> Result<(rustls::ServerConfig, String), String> {
    let (trusted_cert, trusted) = ca("modelarts test CA")?;
    let names = match case {
        CertCase::WrongHost => vec!["modelarts.example.com".to_owned()],
        _ => vec!["127.0.0.1".to_owned(), "localhost".to_owned()],
    };
    let mut params = CertificateParams::new(names).map_err(err)?;
    params.distinguished_name.push(DnType::CommonName, "modelarts test server");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    if case == CertCase::Expired {
        params.not_before = rcgen::date_time_ymd(2019, 1, 1);
        params.not_after = rcgen::date_time_ymd(2020, 1, 1);
    }
    let key = KeyPair::generate().map_err(err)?;
    let leaf = if case == CertCase::UntrustedCa {
        let (_, other) = ca("another test CA")?;
        params.signed_by(&key, &other).map_err(err)?
    } else {
        params.signed_by(&key, &trusted).map_err(err)?
    };
    let chain = vec![CertificateDer::from(leaf.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(err)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(err)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((config, trusted_cert.pem()))
}
