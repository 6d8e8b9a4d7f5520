//! Section 2b, one v2 terminate from the command line: `modelarts training-job stop <UUID>` vs
//! `curl` with the same signed request vs the official Python SDK's typed call
//! (`stop_training_job` with `JobActionType`).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use modelarts_protocol::operations::v2::terminate::TerminateTrainingJob;
use modelarts_sdk::Client;

use crate::process::root;

use super::Plan;
use super::measure::met;
use super::one_stop::{trio_rounds, trio_tables};
use super::report::Report;
use super::server::Server;
use super::tools::{Tools, release_bin};

pub(super) fn one_stop_v2(
    plan: &Plan,
    tools: &Tools,
    work: &Path,
    report: &mut Report,
) -> Result<(), String> {
    eprintln!(
        "bench: 2b/6 one v2 terminate from the command line ({} timed rounds + {} RSS rounds of CLI, curl, Python)",
        plan.single_rounds, plan.single_rss_rounds
    );
    let rounds = plan.single_rounds + plan.single_rss_rounds + 1;
    let server = Server::start_v2(work, "single-v2", rounds * 3, "enforce", "2s", false)?;
    let mut ids = server.v2_ids()?.into_iter();
    let client = server.client()?;
    let script = root().join("xtask/bench/terminate_one.py");
    let modelarts = release_bin("modelarts");
    const LEGS: [&str; 3] = ["modelarts (CLI)", "curl", "Python SDK typed call"];

    // One command per leg, each for a fresh Running job.
    let mut command = |leg: usize| -> Result<Command, String> {
        let id = ids.next().ok_or("the emulator ran out of running v2 jobs")?;
        let mut cmd = match leg {
            0 => {
                let mut cmd = Command::new(&modelarts);
                cmd.args(["training-job", "stop", &id]);
                cmd
            }
            1 => signed_curl(&client, &server, &id)?,
            _ => {
                let mut cmd = Command::new(&tools.python);
                cmd.arg(&script).arg(&id);
                cmd
            }
        };
        server.env(&mut cmd, work);
        Ok(cmd)
    };

    let (walls, rss) = trio_rounds(plan, work, &mut command)?;
    drop(server);

    let mut s = String::new();
    let _ = writeln!(s, "## 2b. One v2 terminate from the command line\n");
    let _ = writeln!(
        s,
        "Emulator: `target/release/modelarts-emulator --tls --auth enforce --v2-jobs {} --kill-after 2s \
         --journal-limit 0 --log-level error --ca-out target/bench/ca-single-v2.pem` (HTTPS, signatures \
         checked). Every run terminates a different Running v2 job (a UUID). Same environment as section 2.\n",
        rounds * 3
    );
    let _ = writeln!(s, "- CLI: `target/release/modelarts training-job stop <UUID>`");
    let _ = writeln!(
        s,
        "- curl: the request the CLI sends, signed just before the run with `Client::signed_request`: \
         `curl … --request POST <ENDPOINT>/v2/<PROJECT>/training-jobs/<UUID>/actions --header \
         'content-type: application/json;charset=utf-8' … --data-binary '{{\"action_type\": \"terminate\"}}'`"
    );
    let _ = writeln!(
        s,
        "- Python: `.venv/bin/python xtask/bench/terminate_one.py <UUID>` (official SDK, the typed \
         `stop_training_job(StopTrainingJobRequest(training_job_id, JobActionType(\"terminate\")))`)\n"
    );
    let (cli_curl, py_cli, _) = trio_tables(&mut s, &LEGS, &walls, &rss);
    let _ = writeln!(
        s,
        "Aims (as for v1): CLI within 1.5× of curl: {} ({cli_curl:.2}×); 10× faster than the Python SDK: {} \
         ({py_cli:.1}×).\n",
        met(cli_curl <= 1.5),
        met(py_cli >= 10.0)
    );
    report.summary.push((
        "one v2 terminate: CLI / curl (wall)".into(),
        format!("{cli_curl:.2}×"),
        met(cli_curl <= 1.5).into(),
    ));
    report.summary.push((
        "one v2 terminate: Python / CLI (wall)".into(),
        format!("{py_cli:.1}×"),
        met(py_cli >= 10.0).into(),
    ));
    report.sections.push(s);
    Ok(())
}

/// curl sending the request the CLI would send for this terminate, signed now.
fn signed_curl(client: &Client, server: &Server, id: &str) -> Result<Command, String> {
    let op = TerminateTrainingJob::new(
        server.project_id.parse().map_err(|e| format!("project id: {e}"))?,
        id.parse().map_err(|e| format!("training job id: {e}"))?,
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
