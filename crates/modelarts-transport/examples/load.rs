//! A small load generator over `HttpsTransport`, to compare with `wrk` or `oha` on the same URL.
//!
//! ```text
//! cargo run --release -p modelarts-transport --example load -- \
//!     https://127.0.0.1:8443/v1/p/training-jobs --requests 10000 --concurrency 32 \
//!     [--ca FILE] [--header 'K: V']... [--method GET] [--insecure] [--http1]
//! ```
//!
//! Prints requests/s, latency percentiles and a count per status or error kind. Plain
//! `http://` URLs are allowed. Only point it at servers you run.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request};
use modelarts_transport::{HttpsTransport, TransportConfig};

struct Args {
    url: String,
    requests: usize,
    concurrency: usize,
    ca: Option<PathBuf>,
    headers: Vec<(HeaderName, HeaderValue)>,
    method: Method,
    insecure: bool,
    http1: bool,
}

const USAGE: &str = "usage: load <URL> --requests N --concurrency C [--ca FILE] \
                     [--header 'K: V']... [--method M] [--insecure] [--http1]";

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut url = None;
    let mut parsed = Args {
        url: String::new(),
        requests: 1000,
        concurrency: 16,
        ca: None,
        headers: Vec::new(),
        method: Method::GET,
        insecure: false,
        http1: false,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--requests" | "-n" => {
                parsed.requests = value(&arg)?.parse().map_err(|e| format!("{arg}: {e}"))?;
            }
            "--concurrency" | "-c" => {
                parsed.concurrency = value(&arg)?.parse().map_err(|e| format!("{arg}: {e}"))?;
            }
            "--ca" => parsed.ca = Some(PathBuf::from(value(&arg)?)),
            "--header" | "-H" => {
                let header = value(&arg)?;
                let (name, val) = header
                    .split_once(':')
                    .ok_or_else(|| format!("--header {header:?}: expected 'Name: value'"))?;
                parsed.headers.push((
                    name.trim().parse().map_err(|e| format!("--header: {e}"))?,
                    val.trim().parse().map_err(|e| format!("--header: {e}"))?,
                ));
            }
            "--method" | "-m" => {
                parsed.method = value(&arg)?.parse().map_err(|e| format!("--method: {e}"))?;
            }
            "--insecure" | "-k" => parsed.insecure = true,
            "--http1" => parsed.http1 = true,
            "--help" | "-h" => return Err(USAGE.to_owned()),
            other if other.starts_with('-') => return Err(format!("unknown option {other}")),
            other => url = Some(other.to_owned()),
        }
    }
    parsed.url = url.ok_or_else(|| USAGE.to_owned())?;
    if parsed.concurrency == 0 || parsed.requests == 0 {
        return Err("--requests and --concurrency must be at least 1".to_owned());
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let mut config = TransportConfig::default();
    config.ca_bundle = args.ca.clone();
    config.insecure = args.insecure;
    config.allow_http = true;
    config.http2 = !args.http1;
    config.pool_max_idle_per_host = args.concurrency.max(1);
    let transport = match HttpsTransport::new(config) {
        Ok(transport) => transport,
        Err(err) => {
            eprintln!("cannot build the transport: {err}");
            return ExitCode::FAILURE;
        }
    };
    let template = {
        let mut builder = Request::builder().method(args.method.clone()).uri(&args.url);
        for (name, value) in &args.headers {
            builder = builder.header(name, value);
        }
        match builder.body(Bytes::new()) {
            Ok(request) => Arc::new(request),
            Err(err) => {
                eprintln!("invalid request: {err}");
                return ExitCode::from(2);
            }
        }
    };

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::with_capacity(args.concurrency);
    for _ in 0..args.concurrency.min(args.requests) {
        let transport = transport.clone();
        let template = template.clone();
        let next = next.clone();
        let total = args.requests;
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let request = clone_request(&template);
                let sent = Instant::now();
                let outcome = match transport.send(request).await {
                    Ok(response) => response.status().as_u16().to_string(),
                    Err(err) => format!("error:{:?}", err.kind()),
                };
                latencies.push(sent.elapsed());
                *outcomes.entry(outcome).or_default() += 1;
            }
            (latencies, outcomes)
        }));
    }

    let mut latencies = Vec::with_capacity(args.requests);
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for worker in workers {
        match worker.await {
            Ok((mut l, o)) => {
                latencies.append(&mut l);
                for (key, count) in o {
                    *outcomes.entry(key).or_default() += count;
                }
            }
            Err(err) => eprintln!("worker failed: {err}"),
        }
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();

    let percentile = |p: f64| -> Duration {
        if latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[index.min(latencies.len() - 1)]
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{} requests, concurrency {}, in {:.3} s",
        latencies.len(),
        args.concurrency,
        elapsed.as_secs_f64()
    );
    let _ =
        writeln!(out, "requests/s: {:.1}", latencies.len() as f64 / elapsed.as_secs_f64().max(f64::EPSILON));
    let _ = writeln!(
        out,
        "latency p50 {:?}  p90 {:?}  p99 {:?}  max {:?}",
        percentile(0.50),
        percentile(0.90),
        percentile(0.99),
        latencies.last().copied().unwrap_or_default()
    );
    for (outcome, count) in &outcomes {
        let _ = writeln!(out, "  {outcome}: {count}");
    }
    if outcomes.keys().any(|k| k.starts_with("error:")) { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

fn clone_request(template: &Request<Bytes>) -> Request<Bytes> {
    let mut request = Request::new(template.body().clone());
    *request.method_mut() = template.method().clone();
    *request.uri_mut() = template.uri().clone();
    *request.headers_mut() = template.headers().clone();
    request
}
