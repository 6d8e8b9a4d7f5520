//! An embedder's driver: the protocol's machines over a plain `std::net::TcpStream` (HTTP/1.1, one
//! request per connection), with no SDK. `drive` is the whole loop any machine needs; `send` stands
//! for the embedder's HTTP client. The SDK's parity test (`crates/modelarts-sdk/tests/embedder_parity.rs`)
//! runs this file against the SDK and compares what each sent and slept.
//!
//! `cargo run -p modelarts-protocol --example embedder -- http://127.0.0.1:8080 PROJECT JOB VERSION`
//! with `HUAWEICLOUD_SDK_AK` / `HUAWEICLOUD_SDK_SK` set: stops the version and waits for it.

use std::io::{Read, Write};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use modelarts_protocol::call::TransportFailure;
use modelarts_protocol::drive::{Input, Machine, Step};
use modelarts_protocol::retry::RetryTokenBucket;
use modelarts_protocol::{Auth, Endpoint};

/// Drives any machine to its end: `now` gives (wall clock, monotonic time), `jitter` a sample in
/// `[0, 1)`; `send` answers `Err((may_have_reached_server, error))` when no answer came.
pub(crate) fn drive<M: Machine<Error = std::io::Error>>(
    mut machine: M,
    (endpoint, auth): (&Endpoint, &Auth),
    mut send: impl FnMut(&http::Request<Bytes>) -> Result<http::Response<Bytes>, (bool, std::io::Error)>,
    mut sleep: impl FnMut(Duration),
    now: impl Fn() -> (SystemTime, Duration),
    mut jitter: impl FnMut() -> f64,
) -> M::Output {
    let (mut quota, mut skew) = (RetryTokenBucket::default(), None);
    loop {
        let (wall, monotonic) = now();
        let mut input =
            Input::new(wall, monotonic, jitter(), &mut quota, endpoint, Some(auth)).with_skew(skew);
        let step = machine.step(&mut input);
        skew = machine.measured_skew().or(skew);
        match step {
            Step::Done(output) => return output,
            Step::Sleep(delay) => sleep(delay),
            Step::Send(request) => match send(&request) {
                Ok(response) => machine.on_response(response, now().0),
                Err((reached, error)) => {
                    let failure = TransportFailure { may_have_reached_server: reached, ..Default::default() };
                    machine.on_transport_failure(failure, error);
                }
            },
        }
    }
}

/// A minimal HTTP/1.1 client over `std::net` (plain HTTP, one request per connection).
pub(crate) fn send(request: &http::Request<Bytes>) -> Result<http::Response<Bytes>, (bool, std::io::Error)> {
    let authority = request.uri().authority().map_or("", |a| a.as_str());
    let mut stream = std::net::TcpStream::connect(authority).map_err(|e| (false, e))?;
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut head =
        format!("{} {target} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n", request.method());
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {}\r\n", String::from_utf8_lossy(value.as_bytes())));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(request.body()))
        .map_err(|e| (true, e))?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| (true, e))?;
    let bad =
        || (true, std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "malformed or truncated answer"));
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(bad)?;
    let text = std::str::from_utf8(&raw[..end]).map_err(|_| bad())?;
    let mut lines = text.split("\r\n");
    let code: u16 =
        lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|c| c.parse().ok()).ok_or_else(bad)?;
    let mut builder = http::Response::builder().status(code);
    for (name, value) in lines.filter_map(|l| l.split_once(':')) {
        builder = builder.header(name.trim(), value.trim());
    }
    let mut body = raw[end + 4..].to_vec();
    if builder.headers_ref().and_then(|h| h.get("transfer-encoding")).is_some_and(|v| v == "chunked") {
        body = dechunk(&body).ok_or_else(bad)?;
    }
    builder.body(Bytes::from(body)).map_err(|_| bad())
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size = usize::from_str_radix(std::str::from_utf8(&data[..line_end]).ok()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

#[allow(dead_code, reason = "the parity test includes this file as a module")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use modelarts_protocol::machine::steps::StopThenWait;
    use modelarts_protocol::retry::RetryPolicy;
    use modelarts_protocol::stop::{StopOptions, TrainingJobVersion};
    use modelarts_protocol::waiter::WaitOptions;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, project, job, version] = args.as_slice() else {
        return Err("usage: URL PROJECT JOB VERSION".into());
    };
    let key = |name| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let credentials =
        modelarts_protocol::signing::Credentials::new(key("HUAWEICLOUD_SDK_AK")?, key("HUAWEICLOUD_SDK_SK")?);
    let resource = TrainingJobVersion {
        project_id: project.parse()?,
        job_id: job.parse()?,
        version_id: version.parse()?,
    };
    let machine = StopThenWait::new(
        resource,
        RetryPolicy::default(),
        StopOptions::default(),
        Some(WaitOptions::default()),
    );
    let (started, endpoint) = (std::time::Instant::now(), Endpoint::from_url(url)?);
    let now = || (SystemTime::now(), started.elapsed());
    let jitter = || {
        f64::from(
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos() % 1000),
        ) / 1000.0
    };
    let end = drive(machine, (&endpoint, &Auth::AkSk(credentials)), send, std::thread::sleep, now, jitter);
    let report =
        format!("stop: {:?}\nwait: {:?}\n", end.stop.map_err(|f| f.error.error.to_string()), end.wait);
    std::io::stdout().write_all(report.as_bytes())?;
    Ok(())
}
