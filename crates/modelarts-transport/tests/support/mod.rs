//! Loopback test servers: a generated CA, HTTPS/HTTP servers built on hyper, raw TLS servers
//! that misbehave on purpose, and a counting `CONNECT` proxy.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, Uri, Version};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// A CA and a leaf certificate signed by it (by default for `localhost` and `127.0.0.1`).
pub struct Pki {
    pub ca_pem: String,
    leaf: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl Pki {
    pub fn generate() -> Pki {
        Pki::generate_for(&["localhost", "127.0.0.1"])
    }

    pub fn generate_for(names: &[&str]) -> Pki {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};

        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "modelarts-transport test CA");
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA cert");
        let issuer = Issuer::new(ca_params, ca_key);

        let leaf_key = KeyPair::generate().expect("leaf key");
        let leaf_params = CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .expect("leaf params");
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).expect("leaf cert");

        Pki {
            ca_pem: ca_cert.pem(),
            leaf: leaf.der().clone(),
            key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()),
        }
    }

    /// Writes the CA certificate to a fresh PEM file.
    pub fn write_ca_file(&self, name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("modelarts-transport-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        std::fs::write(&path, &self.ca_pem).expect("write CA file");
        path
    }

    pub fn server_config(&self, alpn: &[&[u8]]) -> Arc<ServerConfig> {
        let mut config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("protocol versions")
                .with_no_client_auth()
                .with_single_cert(vec![self.leaf.clone()], PrivateKeyDer::Pkcs8(self.key.clone_key()))
                .expect("server config");
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Arc::new(config)
    }
}

pub const H1_ONLY: &[&[u8]] = &[b"http/1.1"];
pub const H2_AND_H1: &[&[u8]] = &[b"h2", b"http/1.1"];

/// What a server saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub version: Version,
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
}

pub type Handler = Arc<dyn Fn(&Seen) -> Response<Full<Bytes>> + Send + Sync>;

/// Answers 200 with the request's HTTP version as the body.
pub fn echo_version() -> Handler {
    Arc::new(|seen: &Seen| Response::new(Full::new(Bytes::from(format!("{:?}", seen.version)))))
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicUsize>,
    pub requests: Arc<Mutex<Vec<Seen>>>,
}

impl TestServer {
    pub fn https_url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }

    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn connection_count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.requests.lock().expect("lock").clone()
    }
}

/// An HTTPS server (hyper, HTTP/1.1 and HTTP/2 as the ALPN list allows).
pub async fn https_server(pki: &Pki, alpn: &[&[u8]], handler: Handler) -> TestServer {
    serve(Some(TlsAcceptor::from(pki.server_config(alpn))), handler).await
}

/// A plain-HTTP server (hyper).
pub async fn http_server(handler: Handler) -> TestServer {
    serve(None, handler).await
}

async fn serve(tls: Option<TlsAcceptor>, handler: Handler) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let server = TestServer { addr, connections: connections.clone(), requests: requests.clone() };
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            connections.fetch_add(1, Ordering::SeqCst);
            let tls = tls.clone();
            let handler = handler.clone();
            let requests = requests.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let seen = Seen {
                        version: req.version(),
                        method: req.method().clone(),
                        uri: req.uri().clone(),
                        headers: req.headers().clone(),
                    };
                    let response = handler(&seen);
                    requests.lock().expect("lock").push(seen);
                    async move { Ok::<_, Infallible>(response) }
                });
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                match tls {
                    Some(tls) => {
                        if let Ok(stream) = tls.accept(tcp).await {
                            let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                        }
                    }
                    None => {
                        let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
                    }
                }
            });
        }
    });
    server
}

/// How a raw HTTP/1.1-over-TLS server misbehaves after reading a request head.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Never answers.
    StallBeforeHeaders,
    /// Sends the head and part of the body, then nothing.
    StallMidBody,
    /// Declares a 1 GiB body, sends 1 KiB, then nothing.
    HugeContentLength,
    /// Sends a chunked body forever (up to 256 MiB).
    EndlessChunked,
    /// Closes the connection without answering.
    CloseAfterRequest,
    /// Resets the connection (RST) without answering.
    ResetAfterRequest,
    /// Accepts TCP but never completes the TLS handshake.
    StallHandshake,
}

/// A TLS server that reads one request head per connection and then misbehaves.
/// `bytes_sent` counts body bytes written.
pub struct FaultyServer {
    pub addr: SocketAddr,
    pub requests: Arc<AtomicUsize>,
    pub bytes_sent: Arc<AtomicUsize>,
}

impl FaultyServer {
    pub fn url(&self) -> String {
        format!("https://{}/fault", self.addr)
    }
}

pub async fn faulty_server(pki: &Pki, fault: Fault) -> FaultyServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let acceptor = TlsAcceptor::from(pki.server_config(H1_ONLY));
    let requests = Arc::new(AtomicUsize::new(0));
    let bytes_sent = Arc::new(AtomicUsize::new(0));
    let server = FaultyServer { addr, requests: requests.clone(), bytes_sent: bytes_sent.clone() };
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let requests = requests.clone();
            let bytes_sent = bytes_sent.clone();
            tokio::spawn(async move {
                if let Fault::StallHandshake = fault {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    drop(tcp);
                    return;
                }
                let Ok(mut stream) = acceptor.accept(tcp).await else {
                    return;
                };
                if read_head(&mut stream).await.is_none() {
                    return;
                }
                requests.fetch_add(1, Ordering::SeqCst);
                misbehave(stream, fault, &bytes_sent).await;
            });
        }
    });
    server
}

async fn misbehave(
    mut stream: tokio_rustls::server::TlsStream<TcpStream>,
    fault: Fault,
    bytes_sent: &AtomicUsize,
) {
    let long = Duration::from_secs(30);
    match fault {
        Fault::StallBeforeHeaders | Fault::StallHandshake => tokio::time::sleep(long).await,
        Fault::StallMidBody => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789").await;
            let _ = stream.flush().await;
            bytes_sent.fetch_add(10, Ordering::SeqCst);
            tokio::time::sleep(long).await;
        }
        Fault::HugeContentLength => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1073741824\r\n\r\n").await;
            let _ = stream.write_all(&[b'x'; 1024]).await;
            let _ = stream.flush().await;
            bytes_sent.fetch_add(1024, Ordering::SeqCst);
            tokio::time::sleep(long).await;
        }
        Fault::EndlessChunked => {
            if stream.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n").await.is_err() {
                return;
            }
            let chunk = vec![b'x'; 64 * 1024];
            let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
            framed.extend_from_slice(&chunk);
            framed.extend_from_slice(b"\r\n");
            for _ in 0..4096 {
                if stream.write_all(&framed).await.is_err() {
                    return;
                }
                bytes_sent.fetch_add(chunk.len(), Ordering::SeqCst);
            }
        }
        Fault::CloseAfterRequest => {
            // Close the TCP connection without a TLS close_notify or any response.
            let (tcp, _) = stream.into_inner();
            drop(tcp);
        }
        Fault::ResetAfterRequest => {
            let (tcp, _) = stream.into_inner();
            let _ = tcp.set_zero_linger();
            drop(tcp);
        }
    }
}

/// Reads until the end of an HTTP/1 request head; returns the head.
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 64 * 1024 {
            return None;
        }
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// An HTTP `CONNECT` proxy that counts tunnels and remembers what it was asked.
pub struct TestProxy {
    pub addr: SocketAddr,
    pub tunnels: Arc<AtomicUsize>,
    pub seen: Arc<Mutex<Vec<TunnelRequest>>>,
}

/// What the proxy was asked for one tunnel.
#[derive(Debug, Clone)]
pub struct TunnelRequest {
    /// The `CONNECT` target, `host:port`.
    pub target: String,
    /// The `Proxy-Authorization` header, if any.
    pub authorization: Option<String>,
}

impl TestProxy {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn tunnel_count(&self) -> usize {
        self.tunnels.load(Ordering::SeqCst)
    }
}

pub async fn connect_proxy() -> TestProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let tunnels = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let proxy = TestProxy { addr, tunnels: tunnels.clone(), seen: seen.clone() };
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let tunnels = tunnels.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let Some(head) = read_head(&mut client).await else {
                    return;
                };
                let mut lines = head.lines();
                let request_line = lines.next().unwrap_or_default().to_owned();
                let mut parts = request_line.split_whitespace();
                let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
                    let _ = client
                        .write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
                        .await;
                    return;
                };
                let auth = lines.find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("proxy-authorization").then(|| value.trim().to_owned())
                });
                seen.lock()
                    .expect("lock")
                    .push(TunnelRequest { target: target.to_owned(), authorization: auth });
                let Ok(mut upstream) = TcpStream::connect(target).await else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                    return;
                };
                tunnels.fetch_add(1, Ordering::SeqCst);
                if client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await.is_err() {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    proxy
}

/// A loopback port with nothing listening on it.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    addr
}

/// A writer for `tracing_subscriber` that keeps everything in memory.
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
