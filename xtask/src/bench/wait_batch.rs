//! Section 3b, stop and wait: a `--wait` batch of versions that take a while to die.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use super::measure::{Run, measure, median, mib};
use super::report::Report;
use super::server::{Server, write_targets};
use super::tools::{Tools, release_bin};
use super::{CONCURRENCY, Plan};

pub(super) fn wait_batch(
    plan: &Plan,
    _tools: &Tools,
    work: &Path,
    report: &mut Report,
) -> Result<(), String> {
    let n = plan.wait_versions;
    eprintln!(
        "bench: 4/6 stop --wait of {n} versions that take 2 s to die ({} rounds, concurrency {CONCURRENCY} and {WAIT_WIDE})",
        plan.wait_rounds
    );
    let server = Server::start(work, "wait", n, "enforce", "2s")?;
    let targets = server.versions()?;
    let file = work.join("wait-targets.txt");
    write_targets(&file, &targets)?;
    let widths = [CONCURRENCY, WAIT_WIDE];
    // runs[round][width]
    let mut runs: Vec<Vec<Run>> = Vec::new();
    for _ in 0..plan.wait_rounds {
        let mut row = Vec::new();
        for width in widths {
            server.reset("enforce")?;
            let mut cmd = Command::new(release_bin("modelarts"));
            cmd.args(["training-job", "stop", "--from-file"]).arg(&file).args([
                "--wait",
                "--yes",
                "--concurrency",
                &width.to_string(),
                "--output",
                "json",
                "--no-progress",
            ]);
            server.env(&mut cmd, work);
            let run = measure(&mut cmd, true, work)?;
            let killed = run.stdout.lines().filter(|l| l.contains("\"KILLED\"")).count();
            if killed < n {
                return Err(format!("stop --wait: only {killed} of {n} versions read KILLED"));
            }
            eprintln!("  stop --wait of {n} at concurrency {width}: {:.1?}", run.wall);
            row.push(Run { stdout: String::new(), ..run });
        }
        runs.push(row);
    }
    drop(server);
    let wall = |w: usize| median(&runs.iter().map(|r| r[w].wall.as_secs_f64()).collect::<Vec<_>>());
    let rss = |w: usize| median(&runs.iter().map(|r| mib(r[w].rss_kib.unwrap_or(0))).collect::<Vec<_>>());
    let mut s = String::new();
    let _ = writeln!(s, "## 3b. Stop {n} versions and wait until each is KILLED\n");
    let _ = writeln!(
        s,
        "Emulator: `--tls --auth enforce --jobs {n} --kill-after 2s` (a stopped version reads KILLING, then \
         KILLED 2 s after its stop). Command: `target/release/modelarts training-job stop --from-file <FILE> \
         --wait --yes --concurrency <C> --output json --no-progress` with C = {CONCURRENCY} and {WAIT_WIDE} (the \
         CLI's maximum), alternating; default polling (first poll 2 s after the stop, backing off to 30 s). {} \
         round(s).\n",
        plan.wait_rounds
    );
    let _ = writeln!(
        s,
        "| round | C = {CONCURRENCY}: wall (s) | peak RSS (MiB) | C = {WAIT_WIDE}: wall (s) | peak RSS (MiB) |"
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|");
    for (i, r) in runs.iter().enumerate() {
        let _ = writeln!(
            s,
            "| {} | {:.2} | {:.1} | {:.2} | {:.1} |",
            i + 1,
            r[0].wall.as_secs_f64(),
            mib(r[0].rss_kib.unwrap_or(0)),
            r[1].wall.as_secs_f64(),
            mib(r[1].rss_kib.unwrap_or(0))
        );
    }
    let floor = |c: usize| (n as f64 / c as f64).ceil() * 2.0;
    let _ = writeln!(
        s,
        "| **median** | **{:.2}** | **{:.1}** | **{:.2}** | **{:.1}** |\n\n`batch_stop` holds one of its C slots \
         per version from the stop until the version is KILLED, so {n} versions that take 2 s to die need at \
         least ⌈{n}/C⌉ × 2 s: {:.0} s at C = {CONCURRENCY}, {:.0} s at C = {WAIT_WIDE}. Stopping every version \
         first and then polling them all would take about 2 s plus the stops and one round of polls.\n",
        wall(0),
        rss(0),
        wall(1),
        rss(1),
        floor(CONCURRENCY),
        floor(WAIT_WIDE)
    );
    report.summary.push((
        format!("stop --wait of {n} (2 s to die), C = {CONCURRENCY} / {WAIT_WIDE}"),
        format!("{:.1} s / {:.1} s", wall(0), wall(1)),
        String::new(),
    ));
    report.sections.push(s);
    Ok(())
}

/// The wider concurrency of the `--wait` batch (the CLI's maximum).
const WAIT_WIDE: usize = 256;
