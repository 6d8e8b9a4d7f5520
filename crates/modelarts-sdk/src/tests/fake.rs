//! An `HttpSend` fake for unit tests of the loops: a handler decides each answer; every request is
//! logged with the (pausable) tokio time it was sent at.

use std::sync::Mutex;
use std::time::SystemTime;

use bytes::Bytes;
use http::{Method, Request, Response};
use modelarts_http::HttpSend;
use modelarts_transport::{Error as TransportError, ErrorKind};
use tokio::time::Instant;

use crate::{Client, Credentials};

pub(crate) type Answer = Result<Response<Bytes>, TransportError>;

/// One logged request.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) at: Instant,
    pub(crate) user_agent: Option<String>,
}

type Handler = Box<dyn Fn(&Request<Bytes>, usize) -> Answer + Send + Sync>;

pub(crate) struct Fake {
    handler: Handler,
    log: Mutex<Vec<Sent>>,
}

impl Fake {
    /// `handler(request, n)` answers the `n`-th request (from 0).
    pub(crate) fn new(handler: impl Fn(&Request<Bytes>, usize) -> Answer + Send + Sync + 'static) -> Self {
        Self { handler: Box::new(handler), log: Mutex::new(Vec::new()) }
    }

    pub(crate) fn sent(&self) -> Vec<Sent> {
        self.log.lock().unwrap().clone()
    }

    pub(crate) fn count(&self, method: &Method, path_suffix: &str) -> usize {
        self.sent().iter().filter(|s| s.method == method && s.path.ends_with(path_suffix)).count()
    }
}

impl HttpSend for Fake {
    type Error = TransportError;

    async fn send(&self, request: Request<Bytes>) -> Answer {
        let n = {
            let mut log = self.log.lock().unwrap();
            log.push(Sent {
                method: request.method().clone(),
                path: request.uri().path().to_owned(),
                at: Instant::now(),
                user_agent: request.headers().get("user-agent").map(|v| v.to_str().unwrap().to_owned()),
            });
            log.len() - 1
        };
        (self.handler)(&request, n)
    }
}

pub(crate) const PROJECT: &str = "0123456789abcdef0123456789abcdef";

/// A client on a fake, with no environment.
pub(crate) fn client(fake: Fake) -> Client<Fake> {
    client_with(fake, |b| b)
}

pub(crate) fn client_with(
    fake: Fake,
    f: impl FnOnce(crate::ClientBuilder) -> crate::ClientBuilder,
) -> Client<Fake> {
    let builder = Client::builder()
        .endpoint_url("https://modelarts.example.test")
        .project_id(PROJECT)
        .credentials(Credentials::new("AKEXAMPLE0001", "secret-key-example"))
        .env(|_| None);
    f(builder).build_with_transport(fake).unwrap()
}

pub(crate) fn json(status: u16, body: &str) -> Answer {
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-request-id", "req-fake")
        .body(Bytes::from(body.to_owned()))
        .unwrap())
}

pub(crate) fn json_with(status: u16, body: &str, headers: &[(&str, String)]) -> Answer {
    let mut builder = Response::builder().status(status).header("content-type", "application/json");
    for (k, v) in headers {
        builder = builder.header(*k, v.as_str());
    }
    Ok(builder.body(Bytes::from(body.to_owned())).unwrap())
}

pub(crate) fn version(status: i32) -> Answer {
    json(200, &format!(r#"{{"is_success":true,"job_id":10,"version_id":3,"status":{status}}}"#))
}

pub(crate) fn stop_ok() -> Answer {
    json(200, r#"{"is_success":true}"#)
}

pub(crate) fn api_error(status: u16, code: &str) -> Answer {
    json(status, &format!(r#"{{"is_success":false,"error_code":"{code}","error_message":"scripted"}}"#))
}

pub(crate) fn reset_after_send() -> Answer {
    Err(TransportError::new(ErrorKind::Io, true, "connection reset by peer"))
}

pub(crate) fn refused() -> Answer {
    Err(TransportError::new(ErrorKind::Connect, false, "connection refused"))
}

pub(crate) fn http_date(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

/// Time a test controls: sleeping advances the wall and monotonic clocks at once and is logged,
/// so the loops run without any timer.
#[derive(Clone)]
pub(crate) struct ManualTime {
    state: std::sync::Arc<Mutex<ManualState>>,
}

struct ManualState {
    wall: SystemTime,
    monotonic: std::time::Duration,
    sleeps: Vec<std::time::Duration>,
}

impl ManualTime {
    pub(crate) fn at(wall: SystemTime) -> Self {
        let state = ManualState { wall, monotonic: std::time::Duration::ZERO, sleeps: Vec::new() };
        Self { state: std::sync::Arc::new(Mutex::new(state)) }
    }

    pub(crate) fn sleeps(&self) -> Vec<std::time::Duration> {
        self.state.lock().unwrap().sleeps.clone()
    }

    pub(crate) fn wall(&self) -> SystemTime {
        self.state.lock().unwrap().wall
    }
}

impl crate::Clock for ManualTime {
    fn now(&self) -> SystemTime {
        self.wall()
    }

    fn monotonic(&self) -> std::time::Duration {
        self.state.lock().unwrap().monotonic
    }
}

impl crate::Sleeper for ManualTime {
    fn sleep(&self, duration: std::time::Duration) -> crate::Sleep {
        let mut state = self.state.lock().unwrap();
        state.wall += duration;
        state.monotonic += duration;
        state.sleeps.push(duration);
        Box::pin(std::future::ready(()))
    }
}

/// A client on a fake, on manual time.
pub(crate) fn client_on(fake: Fake, time: &ManualTime) -> Client<Fake> {
    let (clock, sleeper) = (time.clone(), time.clone());
    client_with(fake, |b| b.clock(clock).sleeper(sleeper).jitter(|| 1.0))
}
