//! A hostile server: a tiny real HTTP/1.1 server on loopback (tokio TCP, no HTTP library) that
//! answers each request with whatever a script returns, including what the emulator never sends:
//! pages that ignore `page`, `200 {}` and `200 []`, huge headers, garbage bytes, a closed or reset
//! connection.
//!
//! The script is called with the request's index (from 0, over every connection) and its head, and
//! returns a [`Reply`]. The server runs on its own thread with its own runtime, so plain tests and
//! `#[tokio::test]`s alike can use it, and it stops when dropped.
//!
//! ```
//! use modelarts_reliability::hostile::{HostileServer, Reply};
//!
//! let server = HostileServer::start(|_, _| Reply::json(200, "{}")).unwrap();
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! assert_eq!(server.requests(), 0);
//! ```

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::background::Background;

/// The largest request head read; a longer one closes the connection.
const MAX_HEAD: usize = 64 * 1024;
/// How many request heads [`HostileServer::log`] keeps (the most recent ones).
const LOG_LIMIT: usize = 256;

/// What the server does with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A well-formed HTTP/1.1 answer. `Content-Length` is added unless `headers` has one; the
    /// connection stays open for the next request.
    Http {
        /// The status code (any number, even one HTTP does not define).
        status: u16,
        /// Header lines, written as given.
        headers: Vec<(String, String)>,
        /// The body.
        body: Vec<u8>,
    },
    /// These bytes exactly, then the connection is closed.
    Raw(Vec<u8>),
    /// Close the connection without answering.
    Close,
    /// Reset the connection (`SO_LINGER` 0, then close: the peer sees `ECONNRESET`).
    Reset,
}

impl Reply {
    /// `status` with a JSON body (`Content-Type: application/json`) and
    /// `X-Request-Id: hostile-request`.
    pub fn json(status: u16, body: &str) -> Reply {
        Reply::Http {
            status,
            headers: vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("X-Request-Id".to_owned(), "hostile-request".to_owned()),
            ],
            body: body.as_bytes().to_vec(),
        }
    }

    /// A reply with one more header.
    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Http { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Reply::Http { status, headers, body } => {
                let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(*status));
                let mut has_length = false;
                for (name, value) in headers {
                    has_length |= name.eq_ignore_ascii_case("content-length");
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                if !has_length {
                    head.push_str(&format!("Content-Length: {}\r\n", body.len()));
                }
                head.push_str("\r\n");
                let mut bytes = head.into_bytes();
                bytes.extend_from_slice(body);
                bytes
            }
            Reply::Raw(bytes) => bytes.clone(),
            Reply::Close | Reply::Reset => Vec::new(),
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        407 => "Proxy Authentication Required",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

/// The head of a request the server read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// `GET`, `POST`, `CONNECT`, …
    pub method: String,
    /// The request target as sent (path and query, or `host:port` for `CONNECT`).
    pub target: String,
    /// The header lines, names as sent.
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    /// The path of the target, without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// A query parameter's value (not decoded), if present.
    pub fn query(&self, key: &str) -> Option<&str> {
        let query = self.target.split_once('?')?.1;
        query.split('&').find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
    }

    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn parse(head: &[u8]) -> Option<RequestHead> {
        let text = std::str::from_utf8(head).ok()?;
        let mut lines = text.split("\r\n");
        let mut first = lines.next()?.split(' ');
        let (method, target) = (first.next()?.to_owned(), first.next()?.to_owned());
        let headers = lines
            .filter(|l| !l.is_empty())
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Some(RequestHead { method, target, headers })
    }
}

type Script = dyn Fn(usize, &RequestHead) -> Reply + Send + Sync;

/// A running hostile server; stops when dropped.
pub struct HostileServer {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<RequestHead>>>,
    _serving: Background,
}

impl std::fmt::Debug for HostileServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostileServer").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl HostileServer {
    /// Starts a server on `127.0.0.1` (a free port) answering request number `n` (from 0) with
    /// `script(n, &head)`.
    pub fn start(
        script: impl Fn(usize, &RequestHead) -> Reply + Send + Sync + 'static,
    ) -> std::io::Result<HostileServer> {
        let requests = Arc::new(AtomicUsize::new(0));
        let log = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let (counter, shared_log) = (requests.clone(), log.clone());
        let serving = Background::start(move |stream| {
            serve(stream, script.clone(), counter.clone(), shared_log.clone())
        })?;
        Ok(HostileServer { addr: serving.addr(), requests, log, _serving: serving })
    }

    /// A server answering every request with `reply`.
    pub fn always(reply: Reply) -> std::io::Result<HostileServer> {
        HostileServer::start(move |_, _| reply.clone())
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests read (complete heads) so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// The most recent request heads (at most 256), oldest first.
    pub fn log(&self) -> Vec<RequestHead> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// Reads request heads (skipping any `Content-Length` body) and answers each as scripted.
async fn serve(
    mut stream: TcpStream,
    script: Arc<Script>,
    counter: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<RequestHead>>>,
) {
    let mut buffer = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let end = loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            if buffer.len() > MAX_HEAD {
                return;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let Some(head) = RequestHead::parse(&buffer[..end]) else { return };
        buffer.drain(..end + 4);
        let body_len: usize = head.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        while buffer.len() < body_len {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        buffer.drain(..body_len);
        let index = counter.fetch_add(1, Ordering::SeqCst);
        let reply = script(index, &head);
        if let Ok(mut log) = log.lock() {
            if log.len() >= LOG_LIMIT {
                log.remove(0);
            }
            log.push(head);
        }
        match reply {
            Reply::Close => return,
            Reply::Reset => {
                let _ = stream.set_zero_linger();
                return;
            }
            Reply::Raw(_) => {
                let _ = stream.write_all(&reply.bytes()).await;
                let _ = stream.shutdown().await;
                return;
            }
            Reply::Http { .. } => {
                if stream.write_all(&reply.bytes()).await.is_err() || stream.flush().await.is_err() {
                    return;
                }
            }
        }
    }
}

/// A page of the job list with `per_page` fresh jobs for request `n` (IDs `n × per_page + 1` on),
/// all RUNNING, claiming `total` jobs: what a server that ignores `page` and invents jobs sends.
pub fn endless_page(n: usize, per_page: usize, total: u64) -> Reply {
    let first = n * per_page + 1;
    let jobs: Vec<String> = (first..first + per_page)
        .map(|id| {
            format!(
                r#"{{"job_id":{id},"job_name":"job-{id}","version_id":{},"status":8}}"#,
                id + 1_000_000_000
            )
        })
        .collect();
    Reply::json(
        200,
        &format!(r#"{{"is_success":true,"job_total_count":{total},"jobs":[{}]}}"#, jobs.join(",")),
    )
}

/// The v2 ID (a UUID) the hostile pages give job number `n`.
pub fn v2_job_id(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// A v2 job object with `metadata.id` exactly `id` (any text, even none: `None` leaves it out) in
/// `phase`.
pub fn v2_job(id: Option<&str>, phase: &str) -> String {
    let id = id.map_or_else(String::new, |id| format!(r#""id":"{}","#, json_escaped(id)));
    format!(r#"{{"kind":"job","metadata":{{{id}"name":"hostile"}},"status":{{"phase":"{phase}"}}}}"#)
}

/// A v2 search answer (`200`) holding these job objects and claiming `total`.
pub fn v2_search_page(jobs: &[String], total: u64) -> Reply {
    Reply::json(200, &format!(r#"{{"total":{total},"count":{},"items":[{}]}}"#, jobs.len(), jobs.join(",")))
}

/// A page of the v2 search with `limit` fresh Running jobs for request `n` (IDs [`v2_job_id`] of
/// `n × limit` on), claiming `total`: what a server that ignores `offset` and invents jobs sends.
pub fn endless_page_v2(n: usize, limit: usize, total: u64) -> Reply {
    let jobs: Vec<String> =
        (n * limit..(n + 1) * limit).map(|i| v2_job(Some(&v2_job_id(i)), "Running")).collect();
    v2_search_page(&jobs, total)
}

/// `text` escaped for a JSON string.
fn json_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}
