//! Section 2, one stop from the command line: `modelarts training-job stop` vs `curl` with the same
//! signed request vs a minimal official-SDK script.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use modelarts_protocol::operations::stop_training_job::StopTrainingJob;
use modelarts_sdk::Client;

use crate::process::root;

use super::Plan;
use super::measure::{measure, median, met, mib};
use super::report::Report;
use super::server::Server;
use super::tools::{Tools, release_bin};

pub(super) fn one_stop(plan: &Plan, tools: &Tools, work: &Path, report: &mut Report) -> Result<(), String> {
    eprintln!(
        "bench: 2/7 one stop from the command line ({} timed rounds + {} RSS rounds of CLI, curl, Python)",
        plan.single_rounds, plan.single_rss_rounds
    );
    let rounds = plan.single_rounds + plan.single_rss_rounds + 1;
    let server = Server::start(work, "single", rounds * 3, "enforce", "2s")?;
    let mut versions = server.versions()?.into_iter();
    let client = server.client()?;
    let script = root().join("xtask/bench/stop_one.py");
    let modelarts = release_bin("modelarts");
    const LEGS: [&str; 3] = ["modelarts (CLI)", "curl", "Python SDK script"];

    // One command per leg, each for a fresh RUNNING version.
    let mut command = |leg: usize| -> Result<Command, String> {
        let (job, version) = versions.next().ok_or("the emulator ran out of running versions")?;
        let mut cmd = match leg {
            0 => {
                let mut cmd = Command::new(&modelarts);
                cmd.args(["training-job", "stop", &job.to_string(), "--version", &version.to_string()]);
                cmd
            }
            1 => signed_curl(&client, &server, job, version)?,
            _ => {
                let mut cmd = Command::new(&tools.python);
                cmd.arg(&script).arg(job.to_string()).arg(version.to_string());
                cmd
            }
        };
        server.env(&mut cmd, work);
        Ok(cmd)
    };

    let (walls, rss) = trio_rounds(plan, work, &mut command)?;
    drop(server);

    let mut s = String::new();
    let _ = writeln!(s, "## 2. One stop from the command line\n");
    let _ = writeln!(
        s,
        "Emulator: `target/release/modelarts-emulator --tls --auth enforce --jobs {} --kill-after 2s \
         --journal-limit 0 --log-level error --ca-out target/bench/ca-single.pem` (HTTPS, signatures checked). \
         Every run stops a different RUNNING version. Environment of all three: `MODELARTS_ENDPOINT_URL`, \
         `MODELARTS_CA_BUNDLE`, `HUAWEICLOUD_SDK_AK/_SK/_PROJECT_ID` from the emulator's start line.\n",
        rounds * 3
    );
    let _ = writeln!(s, "- CLI: `target/release/modelarts training-job stop <JOB> --version <VERSION>`");
    let _ = writeln!(
        s,
        "- curl: the request the CLI sends, signed by the xtask just before the run with the SDK's own \
         `Client::signed_request` (the same build-and-sign step every attempt of the CLI's calls goes through; \
         the CLI's `--dry-run` masks the signature by design, so its output cannot be replayed): `curl --silent --show-error --fail --output /dev/null --cacert <CA> \
         --request POST <ENDPOINT>/v1/<PROJECT>/training-jobs/<JOB>/versions/<VERSION>/stop --header \
         'content-type: application/json' --header 'x-project-id: <PROJECT>' --header 'user-agent: {}' \
         --header 'x-sdk-date: <NOW>' --header 'authorization: SDK-HMAC-SHA256 Access=<AK>, \
         SignedHeaders=…, Signature=<SIG>' --data-binary ''` (HTTP/2, like the CLI)",
        modelarts_sdk::USER_AGENT
    );
    let _ = writeln!(
        s,
        "- Python: `.venv/bin/python xtask/bench/stop_one.py <JOB> <VERSION>` (official SDK, `call_api`)\n"
    );
    let _ = writeln!(
        s,
        "Wall time is measured by the xtask around spawn → exit (one fresh process per run; the three legs \
         alternate, {} rounds after one warm-up round). Peak RSS comes from {} further rounds under \
         `/usr/bin/time -f %M`.\n",
        plan.single_rounds, plan.single_rss_rounds
    );
    let (cli_curl, py_cli, cli_rss) = trio_tables(&mut s, &LEGS, &walls, &rss);
    let _ = writeln!(
        s,
        "Aims: CLI within 1.5× of curl: {} ({cli_curl:.2}×); 10× faster than the Python SDK: {} ({py_cli:.1}×); \
         peak RSS under 20 MB: {} ({cli_rss:.1} MiB).\n",
        met(cli_curl <= 1.5),
        met(py_cli >= 10.0),
        met(cli_rss * 1.048_576 < 20.0)
    );
    report.summary.push((
        "one stop: CLI / curl (wall)".into(),
        format!("{cli_curl:.2}×"),
        met(cli_curl <= 1.5).into(),
    ));
    report.summary.push((
        "one stop: Python / CLI (wall)".into(),
        format!("{py_cli:.1}×"),
        met(py_cli >= 10.0).into(),
    ));
    report.summary.push((
        "one stop: CLI peak RSS".into(),
        format!("{cli_rss:.1} MiB"),
        met(cli_rss * 1.048_576 < 20.0).into(),
    ));
    report.sections.push(s);
    Ok(())
}

/// curl sending the request the CLI would send for this stop, signed now.
fn signed_curl(client: &Client, server: &Server, job: u64, version: u64) -> Result<Command, String> {
    let op = StopTrainingJob::new(
        server.project_id.parse().map_err(|e| format!("project id: {e}"))?,
        job.to_string().parse().map_err(|e| format!("job id: {e}"))?,
        version.to_string().parse().map_err(|e| format!("version id: {e}"))?,
    );
    let request = client.signed_request(&op).map_err(|e| format!("signing: {e}"))?;
    let mut cmd = Command::new("curl");
    cmd.args(["--silent", "--show-error", "--fail", "--output", "/dev/null", "--cacert"])
        .arg(&server.ca)
        .args(["--request", request.method().as_str()])
        .arg(request.uri().to_string());
    for (name, value) in request.headers() {
        let value = value.to_str().map_err(|e| format!("header {name}: {e}"))?;
        cmd.arg("--header").arg(format!("{name}: {value}"));
    }
    cmd.arg("--data-binary").arg(String::from_utf8_lossy(request.body()).into_owned());
    Ok(cmd)
}

/// The two tables of a CLI / curl / Python trio: wall time per round with the ratios, then peak
/// RSS per round, each with its median row. Returns the median CLI/curl and Python/CLI ratios and
/// the CLI's median peak RSS (MiB).
pub(super) fn trio_tables(
    s: &mut String,
    legs: &[&str; 3],
    walls: &[[f64; 3]],
    rss: &[[u64; 3]],
) -> (f64, f64, f64) {
    let _ = writeln!(s, "| round | CLI (ms) | curl (ms) | Python (ms) | CLI / curl | Python / CLI |");
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|");
    for (i, r) in walls.iter().enumerate() {
        let _ = writeln!(
            s,
            "| {} | {:.1} | {:.1} | {:.1} | {:.2} | {:.1} |",
            i + 1,
            r[0],
            r[1],
            r[2],
            r[0] / r[1],
            r[2] / r[0]
        );
    }
    let col = |i: usize| median(&walls.iter().map(|r| r[i]).collect::<Vec<_>>());
    let cli_curl = median(&walls.iter().map(|r| r[0] / r[1]).collect::<Vec<_>>());
    let py_cli = median(&walls.iter().map(|r| r[2] / r[0]).collect::<Vec<_>>());
    let rss_col = |i: usize| median(&rss.iter().map(|r| mib(r[i])).collect::<Vec<_>>());
    let _ = writeln!(
        s,
        "| **median** | **{:.1}** | **{:.1}** | **{:.1}** | **{cli_curl:.2}** | **{py_cli:.1}** |\n",
        col(0),
        col(1),
        col(2)
    );
    let _ = writeln!(s, "| peak RSS (MiB) | {} |", legs.join(" | "));
    let _ = writeln!(s, "|---|---:|---:|---:|");
    for (i, r) in rss.iter().enumerate() {
        let _ = writeln!(s, "| round {} | {:.1} | {:.1} | {:.1} |", i + 1, mib(r[0]), mib(r[1]), mib(r[2]));
    }
    let _ = writeln!(
        s,
        "| **median** | **{:.1}** | **{:.1}** | **{:.1}** |\n",
        rss_col(0),
        rss_col(1),
        rss_col(2)
    );
    (cli_curl, py_cli, rss_col(0))
}

/// The rounds of the three legs (0 = CLI, 1 = curl, 2 = Python), alternating: a warm-up of each (page
/// cache, .pyc files, not recorded), then the timed rounds (wall, ms) and the RSS rounds (KiB).
pub(super) type TrioRounds = (Vec<[f64; 3]>, Vec<[u64; 3]>);

pub(super) fn trio_rounds(
    plan: &Plan,
    work: &Path,
    command: &mut dyn FnMut(usize) -> Result<Command, String>,
) -> Result<TrioRounds, String> {
    for leg in 0..3 {
        measure(&mut command(leg)?, false, work)?;
    }
    let mut walls: Vec<[f64; 3]> = Vec::new();
    for _ in 0..plan.single_rounds {
        let mut row = [0.0; 3];
        for (leg, slot) in row.iter_mut().enumerate() {
            *slot = measure(&mut command(leg)?, false, work)?.wall.as_secs_f64() * 1e3;
        }
        walls.push(row);
    }
    let mut rss: Vec<[u64; 3]> = Vec::new();
    for _ in 0..plan.single_rss_rounds {
        let mut row = [0; 3];
        for (leg, slot) in row.iter_mut().enumerate() {
            *slot = measure(&mut command(leg)?, true, work)?.rss_kib.unwrap_or(0);
        }
        rss.push(row);
    }
    Ok((walls, rss))
}
