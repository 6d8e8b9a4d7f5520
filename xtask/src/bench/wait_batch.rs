//! Section 3b, stop and wait at scale: `--wait` batches of versions that take 2 s to die, at 1,000
//! and 10,000 versions and two concurrencies, with the requests each run sent (from the emulator's
//! journal).

use std::fmt::Write as _;
use std::fs;
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
        "bench: 4/7 stop --wait of {sizes:?} versions, then v2 jobs, that take 2 s to die (concurrency {CONCURRENCY} and {WAIT_WIDE})"
    );
    let widths = [CONCURRENCY, WAIT_WIDE];
    let mut s = String::new();
    let _ = writeln!(s, "## 3b. Stop N versions (or v2 jobs) and wait until each is KILLED (Terminated)\n");
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
    let v1 = wait_rows(Api::V1, plan, work, &widths)?;
    table(&mut s, Api::V1, &v1, &widths);
    let _ = writeln!(
        s,
        "\nThe service needs 2 s per version; the rest is the stops themselves (N requests at C at a time) and \
         the watcher's rounds (at least a quarter of the 2 s minimum delay apart, one list page per 1,000 jobs \
         each).\n"
    );
    let _ = writeln!(s, "### v2 jobs\n");
    let _ = writeln!(
        s,
        "The same runs with N Running v2 jobs: emulator `--tls --auth enforce --v2-jobs N --kill-after 2s \
         --journal-limit 1000000` (a terminated job reads Terminating, then Terminated 2 s after its \
         terminate), targets file one UUID per line, the same command and concurrencies. The watcher reads \
         the phases through the v2 search (`POST /v2/<PROJECT>/training-job-searches`, 50 jobs a page, the \
         API's maximum) and shows singly only the jobs a search does not show. Requests from the journal: \
         terminates (`v2_terminate`), search pages (`v2_list`), single shows (`v2_show`).\n"
    );
    let v2 = wait_rows(Api::V2, plan, work, &widths)?;
    table(&mut s, Api::V2, &v2, &widths);
    let _ = writeln!(
        s,
        "\nA round of the v2 watcher needs ⌈N / 50⌉ search pages where the v1 one needs ⌈N / 1,000⌉ list pages: \
         at 10,000 jobs that is 200 pages a round against 10.\n"
    );
    let _ = writeln!(
        s,
        "**Medians (wall, s)**\n\n| API | N | C = {CONCURRENCY} | C = {WAIT_WIDE} |\n|---|---:|---:|---:|"
    );
    for (api, rows) in [(Api::V1, &v1), (Api::V2, &v2)] {
        for size in rows {
            let (a, b) = size.medians();
            let _ = writeln!(s, "| {} | {} | {a:.2} | {b:.2} |", api.name(), size.n);
        }
    }
    s.push('\n');
    for (api, rows) in [(Api::V1, &v1), (Api::V2, &v2)] {
        for size in rows {
            let (a, b) = size.medians();
            let aim = if size.n == 1_000 { super::measure::met(a <= 3.0).to_owned() } else { String::new() };
            let what = match api {
                Api::V1 => format!("stop --wait of {} (2 s to die), C = {CONCURRENCY} / {WAIT_WIDE}", size.n),
                Api::V2 => {
                    format!("stop --wait of {} v2 jobs (2 s to die), C = {CONCURRENCY} / {WAIT_WIDE}", size.n)
                }
            };
            report.summary.push((what, format!("{a:.1} s / {b:.1} s"), aim));
            let requests = size.median_requests_per_target(0);
            report.summary.push((
                format!("stop --wait of {} {}: requests / target at C = {CONCURRENCY}", size.n, api.noun()),
                format!("{requests:.2}"),
                String::new(),
            ));
        }
    }
    report.sections.push(s);
    Ok(())
}

/// The wider concurrency of the `--wait` batch (the CLI's maximum).
const WAIT_WIDE: usize = 256;

/// Which jobs a run waits for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Api {
    V1,
    V2,
}

impl Api {
    fn name(self) -> &'static str {
        match self {
            Api::V1 => "v1",
            Api::V2 => "v2",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Api::V1 => "versions",
            Api::V2 => "v2 jobs",
        }
    }

    /// The journal's route names of the stop, the list page and the single read.
    fn routes(self) -> [&'static str; 3] {
        match self {
            Api::V1 => ["stop", "list", "show"],
            Api::V2 => ["v2_terminate", "v2_list", "v2_show"],
        }
    }

    /// What the CLI's JSON says of a target that reached its final stopped status.
    fn final_status(self) -> &'static str {
        match self {
            Api::V1 => "\"KILLED\"",
            Api::V2 => "\"Terminated\"",
        }
    }
}

/// The runs of one size: `runs[round][width]`.
struct SizeRuns {
    n: usize,
    runs: Vec<Vec<WaitRun>>,
}

impl SizeRuns {
    /// Median wall time at each of the two widths.
    fn medians(&self) -> (f64, f64) {
        let wall =
            |w: usize| median(&self.runs.iter().map(|r| r[w].run.wall.as_secs_f64()).collect::<Vec<_>>());
        (wall(0), wall(1))
    }

    /// Median requests per target at one width.
    fn median_requests_per_target(&self, width: usize) -> f64 {
        let per = |r: &WaitRun| (r.stops + r.lists + r.shows) as f64 / self.n as f64;
        median(&self.runs.iter().map(|r| per(&r[width])).collect::<Vec<_>>())
    }
}

/// Runs every size of the plan for one API, the widths alternating, the emulator reset before each run.
fn wait_rows(api: Api, plan: &Plan, work: &Path, widths: &[usize; 2]) -> Result<Vec<SizeRuns>, String> {
    let mut sizes = Vec::new();
    for &(n, rounds) in plan.wait {
        let (server, file) = match api {
            Api::V1 => {
                let server = Server::start_journaled(work, &format!("wait-{n}"), n, "enforce", "2s")?;
                let file = work.join(format!("wait-targets-{n}.txt"));
                write_targets(&file, &server.versions()?)?;
                (server, file)
            }
            Api::V2 => {
                let server = Server::start_v2(work, &format!("wait-v2-{n}"), n, "enforce", "2s", true)?;
                let file = work.join(format!("wait-targets-v2-{n}.txt"));
                let ids = server.v2_ids()?;
                fs::write(&file, ids.join("\n") + "\n")
                    .map_err(|e| format!("writing {}: {e}", file.display()))?;
                (server, file)
            }
        };
        let [stop_route, list_route, show_route] = api.routes();
        let mut runs: Vec<Vec<WaitRun>> = Vec::new();
        for _ in 0..rounds {
            let mut row = Vec::new();
            for &width in widths {
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
                let done = run.stdout.lines().filter(|l| l.contains(api.final_status())).count();
                if done < n {
                    return Err(format!(
                        "stop --wait: only {done} of {n} {} read {}",
                        api.noun(),
                        api.final_status()
                    ));
                }
                let (stops, lists, shows) = (
                    server.requests(stop_route)?,
                    server.requests(list_route)?,
                    server.requests(show_route)?,
                );
                eprintln!(
                    "  stop --wait of {n} {} at concurrency {width}: {:.2?}; {stops} stops, {lists} list pages, {shows} single reads",
                    api.noun(),
                    run.wall
                );
                row.push(WaitRun { run: Run { stdout: String::new(), ..run }, stops, lists, shows });
            }
            runs.push(row);
        }
        drop(server);
        sizes.push(SizeRuns { n, runs });
    }
    Ok(sizes)
}

/// The table of every run of one API.
fn table(s: &mut String, api: Api, sizes: &[SizeRuns], widths: &[usize; 2]) {
    let _ = match api {
        Api::V1 => writeln!(
            s,
            "| N | round | C | wall (s) | peak RSS (MiB) | stops | list pages | single reads | requests / version |"
        ),
        Api::V2 => writeln!(
            s,
            "| N | round | C | wall (s) | peak RSS (MiB) | terminates | search pages | single shows | requests / job |"
        ),
    };
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for size in sizes {
        for (i, row) in size.runs.iter().enumerate() {
            for (w, r) in row.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {:.2} | {:.1} | {} | {} | {} | {:.2} |",
                    size.n,
                    i + 1,
                    widths[w],
                    r.run.wall.as_secs_f64(),
                    mib(r.run.rss_kib.unwrap_or(0)),
                    r.stops,
                    r.lists,
                    r.shows,
                    (r.stops + r.lists + r.shows) as f64 / size.n as f64
                );
            }
        }
    }
}
