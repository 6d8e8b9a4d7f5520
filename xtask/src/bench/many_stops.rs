//! Section 3, many stops: the SDK's `batch_stop` vs the official SDK in a thread pool vs `wrk`.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{exec, root, show, target_dir};

use super::measure::{Run, check, field_or, measure, median, met, mib};
use super::report::Report;
use super::server::{Server, proc_cpu};
use super::tools::{Tools, release_bin};
use super::{CONCURRENCY, Plan};

const WRK_THREADS: usize = 2;
/// Versions seeded beyond N for wrk's last in-flight requests.
const WRK_SPARE: usize = 512;

/// Runs wrk with `wrk_stop.lua` until every thread has reported to `report_file`, then sends it
/// SIGINT. The returned stdout is `seconds=… successes=… non_2xx=…` from the threads' reports; the
/// peak RSS is read from /proc just before the signal.
fn run_wrk(cmd: &mut Command, report_file: &Path, threads: usize) -> Result<Run, String> {
    fs::write(report_file, "").map_err(|e| format!("writing {}: {e}", report_file.display()))?;
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let child = cmd.spawn().map_err(|e| format!("could not start `{}`: {e}", show(cmd)))?;
    let pid = child.id().to_string();
    let deadline = started + Duration::from_secs(600);
    let report = loop {
        let text = fs::read_to_string(report_file).unwrap_or_default();
        if text.lines().count() >= threads {
            break text;
        }
        if Instant::now() > deadline {
            let _ = Command::new("kill").args(["-INT", &pid]).status();
            let _ = child.wait_with_output();
            return Err(format!("`{}`: no report from its threads after 600 s", show(cmd)));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let wall = started.elapsed();
    let rss_kib = fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()));
    let cpu = proc_cpu(&pid);
    exec(Command::new("kill").args(["-INT", &pid]))?;
    let out = child.wait_with_output().map_err(|e| format!("waiting for wrk: {e}"))?;
    check(cmd, &out)?;
    let (mut first, mut last, mut successes, mut errors) = (f64::INFINITY, 0.0_f64, 0.0, 0.0);
    for line in report.lines() {
        let v: Vec<f64> = line.split_whitespace().filter_map(|x| x.parse().ok()).collect();
        let [start, end, ok, bad] = v[..] else {
            return Err(format!("wrk_stop.lua reported {line:?}"));
        };
        first = first.min(start);
        last = last.max(end);
        successes += ok;
        errors += bad;
    }
    Ok(Run {
        wall,
        rss_kib,
        cpu: Some(cpu),
        stdout: format!("seconds={} successes={successes} non_2xx={errors}", last - first),
    })
}

/// Which API a many-stops section drives.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Api {
    /// The v1 stop of a version: `POST /v1/{p}/training-jobs/{job}/versions/{version}/stop`.
    V1,
    /// The v2 terminate of a job: `POST /v2/{p}/training-jobs/{uuid}/actions`,
    /// `{"action_type":"terminate"}`.
    V2,
}

/// The v2 terminate's body, as the SDK sends it (wrk sends the same bytes).
const V2_TERMINATE_BODY: &str = r#"{"action_type":"terminate"}"#;

pub(super) fn many_stops(plan: &Plan, tools: &Tools, work: &Path, report: &mut Report) -> Result<(), String> {
    many(Api::V1, plan, tools, work, report)
}

/// Section 3a: the same comparison for a v2 batch terminate (UUIDs), the Python leg the official
/// SDK's typed `stop_training_job`.
pub(super) fn many_stops_v2(
    plan: &Plan,
    tools: &Tools,
    work: &Path,
    report: &mut Report,
) -> Result<(), String> {
    many(Api::V2, plan, tools, work, report)
}

fn many(api: Api, plan: &Plan, tools: &Tools, work: &Path, report: &mut Report) -> Result<(), String> {
    let n = plan.many_versions;
    let (tag, noun) = match api {
        Api::V1 => ("3/7", "stops"),
        Api::V2 => ("3a/7", "v2 terminates"),
    };
    eprintln!(
        "bench: {tag} {n} {noun} at concurrency {CONCURRENCY} ({} rounds of {} legs)",
        plan.many_rounds,
        LEGS.len()
    );
    // Spare jobs for the requests wrk has in flight when it has its count (see wrk_stop.lua).
    let (server, paths, targets_text) = match api {
        Api::V1 => {
            let server = Server::start(work, "many", n + WRK_SPARE, "off", "2s")?;
            let all = server.versions()?;
            let mut paths = String::new();
            for (job, version) in &all {
                let _ =
                    writeln!(paths, "/v1/{}/training-jobs/{job}/versions/{version}/stop", server.project_id);
            }
            let mut targets = String::new();
            for (job, version) in all.iter().take(n) {
                let _ = writeln!(targets, "{job} {version}");
            }
            (server, paths, targets)
        }
        Api::V2 => {
            let server = Server::start_v2(work, "many-v2", n + WRK_SPARE, "off", "2s", false)?;
            let all = server.v2_ids()?;
            let mut paths = String::new();
            for id in &all {
                let _ = writeln!(paths, "/v2/{}/training-jobs/{id}/actions", server.project_id);
            }
            let mut targets = String::new();
            for id in all.iter().take(n) {
                let _ = writeln!(targets, "{id}");
            }
            (server, paths, targets)
        }
    };
    let suffix = if api == Api::V2 { "-v2" } else { "" };
    let targets_file = work.join(format!("many-targets{suffix}.txt"));
    fs::write(&targets_file, targets_text).map_err(|e| format!("writing {}: {e}", targets_file.display()))?;
    let paths_file = work.join(format!("many-paths{suffix}.txt"));
    fs::write(&paths_file, paths).map_err(|e| e.to_string())?;
    let report_file = work.join("wrk-report.txt");
    let example = target_dir().join("release/examples/batch_stop");
    let c = CONCURRENCY.to_string();
    let n_text = n.to_string();
    let python_script = match api {
        Api::V1 => "xtask/bench/batch_stop.py",
        Api::V2 => "xtask/bench/batch_terminate.py",
    };

    // (column title, auth mode)
    const LEGS: [(&str, &str); 7] = [
        ("SDK, auth off", "off"),
        ("Python, auth off", "off"),
        ("wrk, auth off", "off"),
        ("SDK multi-thread, auth off", "off"),
        ("SDK, auth enforce", "enforce"),
        ("CLI --from-file, auth enforce", "enforce"),
        ("SDK HTTP/1.1, auth off", "off"),
    ];
    let command = |leg: usize| -> Command {
        let mut cmd = match leg {
            0 | 3 | 4 | 6 => {
                let mut cmd = Command::new(&example);
                cmd.arg("--targets").arg(&targets_file).arg(&c);
                if leg == 3 {
                    cmd.arg("--multi-thread");
                }
                if leg == 6 {
                    cmd.arg("--http1");
                }
                cmd
            }
            1 => {
                let mut cmd = Command::new(&tools.python);
                cmd.arg(root().join(python_script)).arg(&targets_file).arg(&c);
                cmd
            }
            2 => {
                let mut cmd = Command::new("wrk");
                cmd.args(["-t", &WRK_THREADS.to_string(), "-c", &c, "-d", "600s", "--timeout", "30s", "-s"])
                    .arg(root().join("xtask/bench/wrk_stop.lua"))
                    .arg(&server.endpoint)
                    .arg("--")
                    .arg(&paths_file)
                    .arg(&n_text)
                    .arg(WRK_THREADS.to_string())
                    .arg(&report_file);
                if api == Api::V2 {
                    cmd.arg(V2_TERMINATE_BODY);
                }
                cmd
            }
            _ => {
                let mut cmd = Command::new(release_bin("modelarts"));
                cmd.args(["training-job", "stop", "--from-file"]).arg(&targets_file).args([
                    "--concurrency",
                    &c,
                    "--yes",
                    "--output",
                    "json",
                    "--no-progress",
                ]);
                cmd
            }
        };
        server.env(&mut cmd, work);
        cmd
    };

    // rows[round][leg]
    let mut rows: Vec<Vec<ManyRun>> = Vec::new();
    for round in 0..plan.many_rounds {
        let mut row = Vec::new();
        for (i, (name, auth)) in LEGS.iter().enumerate() {
            server.reset(auth)?;
            let before = server.cpu();
            let run = if i == 2 {
                run_wrk(&mut command(i), &report_file, WRK_THREADS)?
            } else {
                measure(&mut command(i), true, work)?
            };
            let server_cpu = server.cpu() - before;
            let what = format!("{name} (round {})", round + 1);
            let (rate, done) = match i {
                0 | 3 | 4 | 6 => {
                    let wall = field_or(&run.stdout, "wall", &what)?;
                    (n as f64 / wall, field_or(&run.stdout, "done", &what)? as usize)
                }
                1 => {
                    let wall = field_or(&run.stdout, "wall", &what)?;
                    (n as f64 / wall, field_or(&run.stdout, "ok", &what)? as usize)
                }
                2 => {
                    let seconds = field_or(&run.stdout, "seconds", &what)?;
                    let successes = field_or(&run.stdout, "successes", &what)?;
                    (successes / seconds, successes as usize)
                }
                _ => {
                    let done = |l: &&str| {
                        l.contains("\"outcome\":\"stopped\"") || l.contains("\"outcome\":\"stop_requested\"")
                    };
                    let ok = run.stdout.lines().filter(done).count();
                    (n as f64 / run.wall.as_secs_f64(), ok)
                }
            };
            if done < n {
                return Err(format!("{what}: only {done} of {n} {noun} succeeded"));
            }
            eprintln!("  round {} {name}: {rate:.0}/s", round + 1);
            row.push(ManyRun {
                rate,
                wall: run.wall.as_secs_f64(),
                rss_kib: run.rss_kib.unwrap_or(0),
                client_cpu: run.cpu.unwrap_or(f64::NAN),
                server_cpu,
            });
        }
        rows.push(row);
    }
    drop(server);

    let mut s = String::new();
    match api {
        Api::V1 => {
            let _ = writeln!(s, "## 3. Many stops: {n} versions at concurrency {CONCURRENCY}\n");
            let _ = writeln!(
                s,
                "Emulator (its own process, 2 worker threads on this 2-CPU machine, sharing it with the client): \
                 `target/release/modelarts-emulator --tls --auth off --jobs {} --kill-after 2s --journal-limit 0 \
                 --log-level error` ({WRK_SPARE} spare versions for wrk, see below). Before every leg the xtask \
                 resets it (`POST /__emulator/reset`: every version RUNNING again) and sets the auth mode (`POST \
                 /__emulator/settings`). Every leg stops the same {n} versions, each once, on the v1 stop route; \
                 the legs alternate, {} rounds. Targets file: one `JOB VERSION` per line.\n",
                n + WRK_SPARE,
                plan.many_rounds
            );
        }
        Api::V2 => {
            let _ = writeln!(s, "## 3a. Many v2 terminates: {n} jobs at concurrency {CONCURRENCY}\n");
            let _ = writeln!(
                s,
                "The comparison of section 3 on the v2 route, `POST /v2/<PROJECT>/training-jobs/<UUID>/actions` \
                 with `{V2_TERMINATE_BODY}`. Emulator: `target/release/modelarts-emulator --tls --auth off \
                 --v2-jobs {} --kill-after 2s --journal-limit 0 --log-level error` ({WRK_SPARE} spare jobs for \
                 wrk), reset before every leg (every job Running again) and set to the leg's auth mode. Every leg \
                 terminates the same {n} jobs, each once; the legs alternate, {} rounds. Targets file: one UUID per \
                 line (read by the SDK example with `JobRef::parse_line`, as the CLI's `--from-file`). The Python \
                 leg is `.venv/bin/python xtask/bench/batch_terminate.py <FILE> {c}`: the official SDK's typed \
                 `stop_training_job(StopTrainingJobRequest(id, JobActionType(\"terminate\")))` in a \
                 `ThreadPoolExecutor({c})`; wrk sends the same body (the fifth argument of `wrk_stop.lua`). The \
                 other commands are those of section 3.\n",
                n + WRK_SPARE,
                plan.many_rounds
            );
        }
    }
    if api == Api::V1 {
        let _ = writeln!(
            s,
            "- SDK: `target/release/examples/batch_stop --targets <FILE> {c}` (`Client::batch_stop`, concurrency \
             {c}, client configured from the environment, current-thread tokio runtime like the CLI's; its own \
             timer around `batch_stop`); \"SDK multi-thread\" adds `--multi-thread` (tokio's default multi-thread \
             runtime, the batch driven from `block_on`); \"SDK HTTP/1.1\" adds `--http1` (the transport offers \
             only HTTP/1.1, so its pool opens up to {c} connections, as wrk does)"
        );
        let _ = writeln!(
            s,
            "- Python: `.venv/bin/python xtask/bench/batch_stop.py <FILE> {c}` (one official-SDK client, \
             `ThreadPoolExecutor({c})`, urllib3 pool of {c}; its own timer around the pool)"
        );
        let _ = writeln!(
            s,
            "- wrk: `wrk -t {WRK_THREADS} -c {c} -d 600s --timeout 30s -s xtask/bench/wrk_stop.lua <ENDPOINT> -- \
             <PATHS_FILE> {n} {WRK_THREADS} <REPORT_FILE>` (unsigned POSTs, HTTP/1.1 over {c} connections, a \
             different version per request; each thread stops after its share of the {n} successful stops and \
             writes its CLOCK_MONOTONIC start and end; the xtask then ends wrk with SIGINT, since wrk only stops \
             at the end of `-d`; rate = {n} / (last end − first start). The few requests still in flight when a \
             thread has its share stop spare versions and are not counted. wrk's peak RSS and CPU time are read \
             from `/proc/<pid>` before the signal)"
        );
        let _ = writeln!(
            s,
            "- with signatures checked (`auth enforce`): the same SDK binary, and the CLI as a whole process, \
             `target/release/modelarts training-job stop --from-file <FILE> --concurrency {c} --yes --output json \
             --no-progress` (rate = {n} / process wall time, start-up included)\n"
        );
        let _ = writeln!(
            s,
            "The Rust client speaks HTTP/2 (one connection, {c} streams) unless `--http1`; the Python SDK and wrk \
             HTTP/1.1. Peak \
             RSS and CPU time are the client process's (`/usr/bin/time -f '%M %U %S'`); emulator CPU is the \
             emulator's user + system time during the leg (`/proc/<pid>/stat`). Rates are stops per second.\n"
        );
    }
    let _ = writeln!(
        s,
        "| round | {} | SDK / wrk | SDK HTTP/1.1 / wrk | SDK / Python | SDK / SDK multi-thread | enforce / off |",
        LEGS.iter().map(|l| l.0).collect::<Vec<_>>().join(" | ")
    );
    let _ = writeln!(s, "|---:{}", "|---:".repeat(LEGS.len() + 5) + "|");
    for (i, r) in rows.iter().enumerate() {
        let rates: Vec<String> = r.iter().map(|x| format!("{:.0}", x.rate)).collect();
        let _ = writeln!(
            s,
            "| {} | {} | {:.2} | {:.2} | {:.1} | {:.2} | {:.2} |",
            i + 1,
            rates.join(" | "),
            r[0].rate / r[2].rate,
            r[6].rate / r[2].rate,
            r[0].rate / r[1].rate,
            r[0].rate / r[3].rate,
            r[4].rate / r[0].rate
        );
    }
    let col = |leg: usize, f: &dyn Fn(&ManyRun) -> f64| {
        median(&rows.iter().map(|r| f(&r[leg])).collect::<Vec<_>>())
    };
    let ratio = |a: usize, b: usize| median(&rows.iter().map(|r| r[a].rate / r[b].rate).collect::<Vec<_>>());
    let (sdk_wrk, sdk_py, sdk_multi, enforce_off) = (ratio(0, 2), ratio(0, 1), ratio(0, 3), ratio(4, 0));
    let h1_wrk = ratio(6, 2);
    let medians: Vec<String> = (0..LEGS.len()).map(|l| format!("**{:.0}**", col(l, &|x| x.rate))).collect();
    let _ = writeln!(
        s,
        "| **median** | {} | **{sdk_wrk:.2}** | **{h1_wrk:.2}** | **{sdk_py:.1}** | **{sdk_multi:.2}** | **{enforce_off:.2}** |\n",
        medians.join(" | ")
    );
    let _ = writeln!(s, "| medians | {} |", LEGS.iter().map(|l| l.0).collect::<Vec<_>>().join(" | "));
    let _ = writeln!(s, "|---{}", "|---:".repeat(LEGS.len()) + "|");
    let line = |title: &str, f: &dyn Fn(&ManyRun) -> f64, digits: usize| -> String {
        let cells: Vec<String> = (0..LEGS.len()).map(|l| format!("{:.*}", digits, col(l, f))).collect();
        format!("| {title} | {} |", cells.join(" | "))
    };
    let nf = n as f64;
    let _ = writeln!(s, "{}", line("process wall (s)", &|x| x.wall, 2));
    let _ = writeln!(
        s,
        "{}",
        line(&format!("client CPU per {} (µs)", unit(api)), &|x| x.client_cpu / nf * 1e6, 0)
    );
    let _ = writeln!(
        s,
        "{}",
        line(&format!("emulator CPU per {} (µs)", unit(api)), &|x| x.server_cpu / nf * 1e6, 0)
    );
    let _ = writeln!(s, "{}\n", line("peak RSS (MiB)", &|x| mib(x.rss_kib), 1));
    let _ = writeln!(
        s,
        "Aims: ≥ {:.0}% of the load generator's rate (issue 15; the first aim was 70%): HTTP/2 {} ({:.0}%), \
         HTTP/1.1 {} ({:.0}%); 20× the Python SDK's: {} ({sdk_py:.1}×).\n",
        WRK_AIM * 100.0,
        met(sdk_wrk >= WRK_AIM),
        sdk_wrk * 100.0,
        met(h1_wrk >= WRK_AIM),
        h1_wrk * 100.0,
        met(sdk_py >= 20.0)
    );
    let title = match api {
        Api::V1 => format!("{n} stops"),
        Api::V2 => format!("{n} v2 terminates"),
    };
    report.summary.push((
        format!("{title}: SDK / wrk (rate; HTTP/2, HTTP/1.1; aim judged on HTTP/1.1, wrk's protocol)"),
        format!("{:.0}%; {:.0}%", sdk_wrk * 100.0, h1_wrk * 100.0),
        met(h1_wrk >= WRK_AIM).into(),
    ));
    report.summary.push((
        format!("{title}: SDK / Python (rate)"),
        format!("{sdk_py:.1}×"),
        met(sdk_py >= 20.0).into(),
    ));
    report.summary.push((
        format!("{title}: SDK current-thread / multi-thread runtime"),
        format!("{sdk_multi:.2}×"),
        String::new(),
    ));
    report.summary.push((
        format!("{title}: SDK auth enforce / off"),
        format!("{enforce_off:.2}×"),
        String::new(),
    ));
    report.sections.push(s);
    Ok(())
}

/// The SDK's batch against the load generator on the same route (issue 15).
const WRK_AIM: f64 = 0.95;

/// What one request of the section does, for the per-request rows.
fn unit(api: Api) -> &'static str {
    match api {
        Api::V1 => "stop",
        Api::V2 => "terminate",
    }
}

/// One leg of the many-stops comparison.
struct ManyRun {
    /// Stops per second.
    pub(super) rate: f64,
    /// Process wall time, seconds.
    pub(super) wall: f64,
    pub(super) rss_kib: u64,
    /// Client CPU seconds.
    pub(super) client_cpu: f64,
    /// Emulator CPU seconds during the leg.
    pub(super) server_cpu: f64,
}
