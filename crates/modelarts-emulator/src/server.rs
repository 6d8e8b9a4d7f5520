//! The listener: accepts TCP connections, runs TLS when configured, serves HTTP/1.1 and HTTP/2 with
//! hyper-util's auto builder, and shuts down gracefully. [`Emulator::start`] and [`RunningEmulator`]
//! live here.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use crate::api::{self, ConnInfo};
use crate::auth::AcceptedCredentials;
use crate::config::EmulatorConfig;
use crate::state::{Shared, StateHandle};
use crate::{Error, tls};

const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const GRACEFUL_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);

/// Starts emulators.
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// Binds, generates the TLS material if asked, and starts serving on the current tokio runtime.
    pub async fn start(config: EmulatorConfig) -> Result<RunningEmulator, Error> {
        config.validate()?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| Error::Bind { addr: config.listen, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| Error::Io { what: "reading the listen address".into(), source })?;
        let host = match local_addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let authority = SocketAddr::new(host, local_addr.port());

        let (acceptor, ca) = if config.tls {
            let material = tls::generate(local_addr.ip())?;
            let ca = write_ca(config.ca_out.as_deref(), &material.ca_pem)?;
            (Some(TlsAcceptor::from(material.server_config)), Some(ca))
        } else {
            (None, None)
        };
        let scheme = if config.tls { "https" } else { "http" };
        let endpoint = format!("{scheme}://{authority}");
        let shared = Arc::new(Shared::new(config));
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, shared.clone(), acceptor, shutdown_rx));
        tracing::info!(%endpoint, "modelarts-emulator listening");
        Ok(RunningEmulator {
            local_addr,
            endpoint,
            ca,
            state: StateHandle { shared },
            shutdown_tx,
            task: Some(task),
        })
    }
}

struct CaFile {
    pem: String,
    path: PathBuf,
    /// The private directory the CA was written in when no path was given: removed with it at
    /// shutdown.
    dir: Option<tempfile::TempDir>,
}

/// Writes the CA certificate: to `path` when given, else into a new private directory (mode 0700)
/// of the temp dir. Either way the file is created new: an existing file or a planted symlink is
/// refused, never followed or overwritten.
fn write_ca(path: Option<&std::path::Path>, pem: &str) -> Result<CaFile, Error> {
    use std::io::Write as _;
    let (dir, path) = match path {
        Some(p) => (None, p.to_path_buf()),
        None => {
            let mut builder = tempfile::Builder::new();
            builder.prefix("modelarts-emulator-");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                builder.permissions(std::fs::Permissions::from_mode(0o700));
            }
            let dir = builder.tempdir().map_err(|source| Error::Io {
                what: "creating a private directory for the CA certificate".into(),
                source,
            })?;
            let path = dir.path().join("ca.pem");
            (Some(dir), path)
        }
    };
    let what = || format!("writing the CA certificate to {} (it must not exist yet)", path.display());
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|source| Error::Io { what: what(), source })?;
    file.write_all(pem.as_bytes()).map_err(|source| Error::Io { what: what(), source })?;
    Ok(CaFile { pem: pem.to_owned(), path, dir })
}

/// A running emulator. Dropping it stops the server (without waiting); prefer
/// [`shutdown`](Self::shutdown).
pub struct RunningEmulator {
    local_addr: SocketAddr,
    endpoint: String,
    ca: Option<CaFile>,
    state: StateHandle,
    shutdown_tx: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningEmulator")
            .field("endpoint", &self.endpoint)
            .field("ca_cert_path", &self.ca_cert_path())
            .finish_non_exhaustive()
    }
}

impl RunningEmulator {
    /// The base URL, e.g. `https://127.0.0.1:40123` (API paths start with `/v1/`).
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The admin API base URL, e.g. `https://127.0.0.1:40123/__emulator`.
    pub fn admin_url(&self) -> String {
        format!("{}/__emulator", self.endpoint)
    }

    /// Whether it serves HTTPS.
    pub fn is_tls(&self) -> bool {
        self.ca.is_some()
    }

    /// The CA certificate (PEM) to trust, when serving HTTPS.
    pub fn ca_cert_pem(&self) -> Option<&str> {
        self.ca.as_ref().map(|c| c.pem.as_str())
    }

    /// Where the CA certificate was written, when serving HTTPS.
    pub fn ca_cert_path(&self) -> Option<&Path> {
        self.ca.as_ref().map(|c| c.path.as_path())
    }

    /// The project id the API paths must carry.
    pub fn project_id(&self) -> &str {
        &self.state.shared.config.project_id
    }

    /// The accepted credentials.
    pub fn credentials(&self) -> &AcceptedCredentials {
        &self.state.shared.config.credentials
    }

    /// In-process control: jobs, faults, throttle, clock, settings, journal, reset.
    pub fn state(&self) -> &StateHandle {
        &self.state
    }

    /// The start-up JSON line the binary prints (without the newline):
    /// `{"endpoint","ca_cert","project_id","ak","sk","token","admin"}` plus `security_token` when set.
    pub fn start_line(&self) -> String {
        #[derive(serde::Serialize)]
        struct StartLine<'a> {
            endpoint: &'a str,
            ca_cert: Option<String>,
            project_id: &'a str,
            ak: &'a str,
            sk: &'a str,
            token: &'a str,
            admin: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            security_token: Option<&'a str>,
        }
        let c = self.credentials();
        let line = StartLine {
            endpoint: &self.endpoint,
            ca_cert: self.ca_cert_path().map(|p| p.display().to_string()),
            project_id: self.project_id(),
            ak: &c.access_key,
            sk: &c.secret_key,
            token: &c.token,
            admin: self.admin_url(),
            security_token: c.security_token.as_deref(),
        };
        // A struct of strings always serialises.
        serde_json::to_string(&line).unwrap_or_default()
    }

    /// Stops accepting, lets open connections finish (up to 2 s), closes the rest, and removes a CA
    /// file written to the temp dir.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown_tx.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.remove_ca_file();
    }

    fn remove_ca_file(&mut self) {
        if let Some(dir) = self.ca.as_mut().and_then(|c| c.dir.take()) {
            let _ = dir.close();
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        let _ = self.shutdown_tx.send(true);
        self.remove_ca_file();
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    acceptor: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).keep_alive(true);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let watcher = graceful.watcher();
                    let builder = builder.clone();
                    let shared = shared.clone();
                    let acceptor = acceptor.clone();
                    tasks.spawn(async move {
                        if let Err(e) = serve_connection(stream, peer, shared, acceptor, &builder, watcher).await {
                            tracing::debug!(%peer, error = %e, "connection ended with an error");
                        }
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(GRACEFUL_SHUTDOWN_TIMEOUT) => {
            tracing::debug!("graceful shutdown timed out; closing remaining connections");
        }
    }
    tasks.shutdown().await;
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<TlsAcceptor>,
    builder: &auto::Builder<TokioExecutor>,
    watcher: hyper_util::server::graceful::Watcher,
) -> Result<(), BoxError> {
    stream.set_nodelay(true)?;
    let reset = Arc::new(AtomicBool::new(false));
    let io = ResettableStream { inner: stream, reset: reset.clone() };
    let info = Arc::new(ConnInfo { peer, reset });
    let service = service_fn(move |req| {
        let in_flight = crate::state::InFlight::enter(shared.clone());
        let answer = api::serve(shared.clone(), info.clone(), req);
        async move {
            let response = answer.await;
            drop(in_flight);
            response
        }
    });
    match acceptor {
        Some(acceptor) => {
            let tls = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(io))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))??;
            watcher.watch(builder.serve_connection(TokioIo::new(tls), service)).await
        }
        None => watcher.watch(builder.serve_connection(TokioIo::new(io), service)).await,
    }
}

/// A TCP stream that, once `reset` is set, fails every operation and closes with a TCP RST
/// (`SO_LINGER` 0) instead of a FIN, so a client sees "connection reset" rather than a clean close.
struct ResettableStream {
    inner: TcpStream,
    reset: Arc<AtomicBool>,
}

impl ResettableStream {
    fn check(&self) -> io::Result<()> {
        if self.reset.load(Ordering::Relaxed) {
            Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset by fault injection"))
        } else {
            Ok(())
        }
    }
}

impl Drop for ResettableStream {
    fn drop(&mut self) {
        if self.reset.load(Ordering::Relaxed) {
            // Zero linger never blocks: the close sends RST at once.
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}
