//! Section 5, the transport alone: `modelarts-transport`'s `examples/load` vs `wrk` on the same URL.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::process::output;

use super::measure::{median, met};
use super::report::Report;
use super::server::Server;
use super::tools::release_bin;
use super::{CONCURRENCY, Plan};

/// The transport alone against wrk: `examples/load` (HTTP/1.1, like wrk, and HTTP/2 by ALPN) and
/// `wrk -t1`, the same `show` URL, auth off, concurrency 1 and 64, interleaved.
pub(super) fn transport_alone(plan: &Plan, work: &Path, report: &mut Report) -> Result<(), String> {
    eprintln!(
        "bench: 7/7 the transport alone vs wrk ({} rounds, concurrency 1 and {CONCURRENCY})",
        plan.transport_rounds
    );
    let server = Server::start(work, "transport", 1, "off", "2s")?;
    let (job, version) = *server.versions()?.first().ok_or("the emulator has no version")?;
    let url = format!("{}/v1/{}/training-jobs/{job}/versions/{version}", server.endpoint, server.project_id);
    let load = release_bin("examples/load");
    let rate_of = |text: &str, key: &str| -> Result<f64, String> {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(key).and_then(|v| v.trim().parse::<f64>().ok()))
            .ok_or_else(|| format!("no `{key}` in:\n{text}"))
    };
    let mut s = String::new();
    let _ = writeln!(s, "## 5. The transport alone against wrk\n");
    let _ = writeln!(
        s,
        "Emulator: one RUNNING version, HTTPS, auth off. URL: `<ENDPOINT>/v1/<PROJECT>/training-jobs/{job}/versions/{version}` \
         (show). Legs, alternating in every round: `target/release/examples/load <URL> --requests N --concurrency C --ca <CA> --http1`, the same \
         without `--http1` (HTTP/2 by ALPN, the default), and `wrk -t1 -cC -d{}s <URL>` (HTTP/1.1). N is sized to run \
         about as long as wrk.\n",
        plan.transport_seconds
    );
    let _ = writeln!(
        s,
        "| C | round | transport HTTP/1.1 (req/s) | transport HTTP/2 (req/s) | wrk (req/s) | HTTP/1.1 / wrk |"
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|");
    for concurrency in [1, CONCURRENCY] {
        let mut ratios = Vec::new();
        let mut h2_ratios = Vec::new();
        for round in 1..=plan.transport_rounds {
            let requests = if concurrency == 1 { 4_000 } else { 20_000 } * plan.transport_seconds;
            let mut rates = Vec::new();
            for http1 in [true, false] {
                let mut cmd = Command::new(&load);
                cmd.arg(&url)
                    .args([
                        "--requests",
                        &requests.to_string(),
                        "--concurrency",
                        &concurrency.to_string(),
                        "--ca",
                    ])
                    .arg(&server.ca);
                if http1 {
                    cmd.arg("--http1");
                }
                rates.push(rate_of(&output(&mut cmd)?, "requests/s:")?);
            }
            let mut wrk = Command::new("wrk");
            wrk.args(["-t1", &format!("-c{concurrency}"), &format!("-d{}s", plan.transport_seconds), &url]);
            let wrk_rate = rate_of(&output(&mut wrk)?, "Requests/sec:")?;
            let ratio = rates[0] / wrk_rate;
            ratios.push(ratio);
            h2_ratios.push(rates[1] / wrk_rate);
            let _ = writeln!(
                s,
                "| {concurrency} | {round} | {:.0} | {:.0} | {wrk_rate:.0} | {ratio:.2} |",
                rates[0], rates[1]
            );
            eprintln!(
                "  round {round} C={concurrency}: HTTP/1.1 {:.0}/s, HTTP/2 {:.0}/s, wrk {wrk_rate:.0}/s",
                rates[0], rates[1]
            );
        }
        let (ratio, h2) = (median(&ratios), median(&h2_ratios));
        report.summary.push((
            format!("transport alone / wrk, C = {concurrency} (HTTP/1.1; HTTP/2)"),
            format!("{:.0}%; {:.0}%", ratio * 100.0, h2 * 100.0),
            met(ratio >= 0.8).into(),
        ));
    }
    let _ = writeln!(
        s,
        "\nAim: the transport reaches at least 80% of the load generator's rate at the same concurrency (compared \
         over HTTP/1.1, wrk's protocol). HTTP/2 puts every request on one connection, which costs on loopback.\n"
    );
    report.sections.push(s);
    Ok(())
}
