//! Section 3b, stop and wait at scale: `--wait` batches of versions that take 2 s to die, at 1,000
//! and 10,000 versions and two concurrencies, with the requests each run sent (from the emulator's
//! journal).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use super::measure::{Run, measure, median, mib};
use super::report::Report;
use super::server::{Server, write_targets};
use super::tools::{Tools, release_bin};
use super::{CONCURRENCY, Plan};

/// One run: the client's process and the requests the emulator journaled.
struct WaitRun {
    run: Run,
    stops: usize,
    lists: usize,
    shows: usize,
}

pub(super) fn wait_batch(
    plan: &Plan,
    _tools: &Tools,
    work: &Path,
    report: &mut Report,
) -> Result<(), String> {
    let sizes: Vec<usize> = plan.wait.iter().map(|(n, _)| *n).collect();
    eprintln!(
        "bench: 4/7 stop --wait of {sizes:?} versions that take 2 s to die (concurrency {CONCURRENCY} and {WAIT_WIDE})"
    );
    let widths = [CONCURRENCY, WAIT_WIDE];
    let mut s = String::new();
    let _ = writeln!(s, "## 3b. Stop N versions and wait until each is KILLED\n");
    let _ = writeln!(
        s,
        "Emulator: `--tls --auth enforce --jobs N --kill-after 2s --journal-limit 1000000` (a stopped version \
         reads KILLING, then KILLED 2 s after its stop; the journal counts the requests). Command: \
         `target/release/modelarts training-job stop --from-file <FILE> --wait --yes --concurrency <C> --output \
         json --no-progress` with C = {CONCURRENCY} and {WAIT_WIDE} (the CLI's maximum), alternating, the \
         emulator reset before each run; default polling (first poll as soon as the stop is answered, then 2 s, \
         backing off to 30 s). The stops go out at C at a time; one watcher then reads the statuses of every \
         waiting version through the job list (1,000 jobs a page) and reads singly only the versions the list \
         cannot show (none here). Requests are the emulator's journal of the run: stops, list pages, single \
         reads.\n"
    );
    let _ = writeln!(
        s,
        "| N | round | C | wall (s) | peak RSS (MiB) | stops | list pages | single reads | requests / version |"
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut medians = Vec::new();
    for &(n, rounds) in plan.wait {
        let server = Server::start_journaled(work, &format!("wait-{n}"), n, "enforce", "2s")?;
        let targets = server.versions()?;
        let file = work.join(format!("wait-targets-{n}.txt"));
        write_targets(&file, &targets)?;
        // runs[round][width]
        let mut runs: Vec<Vec<WaitRun>> = Vec::new();
        for _ in 0..rounds {
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
                let (stops, lists, shows) =
                    (server.requests("stop")?, server.requests("list")?, server.requests("show")?);
                eprintln!(
                    "  stop --wait of {n} at concurrency {width}: {:.2?}; {stops} stops, {lists} list pages, {shows} single reads",
                    run.wall
                );
                row.push(WaitRun { run: Run { stdout: String::new(), ..run }, stops, lists, shows });
            }
            runs.push(row);
        }
        drop(server);
        for (i, row) in runs.iter().enumerate() {
            for (w, r) in row.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "| {n} | {} | {} | {:.2} | {:.1} | {} | {} | {} | {:.2} |",
                    i + 1,
                    widths[w],
                    r.run.wall.as_secs_f64(),
                    mib(r.run.rss_kib.unwrap_or(0)),
                    r.stops,
                    r.lists,
                    r.shows,
                    (r.stops + r.lists + r.shows) as f64 / n as f64
                );
            }
        }
        let wall = |w: usize| median(&runs.iter().map(|r| r[w].run.wall.as_secs_f64()).collect::<Vec<_>>());
        medians.push((n, wall(0), wall(1)));
    }
    let _ = writeln!(
        s,
        "\n**Medians (wall, s)**\n\n| N | C = {CONCURRENCY} | C = {WAIT_WIDE} |\n|---:|---:|---:|"
    );
    for (n, a, b) in &medians {
        let _ = writeln!(s, "| {n} | {a:.2} | {b:.2} |");
    }
    let _ = writeln!(
        s,
        "\nThe service needs 2 s per version; the rest is the stops themselves (N requests at C at a time) and \
         the watcher's rounds (at least a quarter of the 2 s minimum delay apart, one list page per 1,000 jobs \
         each).\n"
    );
    for (n, a, b) in &medians {
        let aim = if *n == 1_000 { super::measure::met(*a <= 3.0).to_owned() } else { String::new() };
        report.summary.push((
            format!("stop --wait of {n} (2 s to die), C = {CONCURRENCY} / {WAIT_WIDE}"),
            format!("{a:.1} s / {b:.1} s"),
            aim,
        ));
    }
    report.sections.push(s);
    Ok(())
}

/// The wider concurrency of the `--wait` batch (the CLI's maximum).
const WAIT_WIDE: usize = 256;
