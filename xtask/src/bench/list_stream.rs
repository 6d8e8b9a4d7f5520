//! Section 4b, streaming list: `list --all` at 10,000 and 100,000 jobs, JSON Lines and the JSON
//! document, wall time and peak RSS of the client.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use super::Plan;
use super::measure::{Run, measure, median, met, mib};
use super::report::Report;
use super::server::Server;
use super::tools::release_bin;

const FORMATS: [&str; 2] = ["jsonl", "json"];

pub(super) fn list_stream(plan: &Plan, work: &Path, report: &mut Report) -> Result<(), String> {
    let sizes: Vec<usize> = plan.list_stream.iter().map(|(n, _)| *n).collect();
    eprintln!("bench: 6/7 streaming list --all of {sizes:?} jobs");
    // results[size] = (n, runs[round][format])
    let mut results: Vec<(usize, Vec<Vec<Run>>)> = Vec::new();
    for &(n, rounds) in plan.list_stream {
        let server = Server::start(work, &format!("list-{n}"), n, "enforce", "2s")?;
        let mut runs = Vec::new();
        for _ in 0..rounds {
            let mut row = Vec::new();
            for format in FORMATS {
                let mut cmd = Command::new(release_bin("modelarts"));
                cmd.args(["training-job", "list", "--all", "--output", format]);
                server.env(&mut cmd, work);
                let run = measure(&mut cmd, true, work)?;
                let listed = match format {
                    "jsonl" => run.stdout.lines().filter(|l| l.starts_with('{')).count(),
                    _ => serde_json::from_str::<serde_json::Value>(&run.stdout)
                        .ok()
                        .and_then(|v| v["jobs"].as_array().map(Vec::len))
                        .unwrap_or(0),
                };
                if listed != n {
                    return Err(format!("list --all --output {format} printed {listed} jobs, not {n}"));
                }
                eprintln!("  list --all --output {format} of {n}: {:.2?}", run.wall);
                row.push(Run { stdout: String::new(), ..run });
            }
            runs.push(row);
        }
        drop(server);
        results.push((n, runs));
    }

    let mut s = String::new();
    let _ = writeln!(s, "## 4b. Streaming list\n");
    let _ = writeln!(
        s,
        "For each N: an emulator with `--tls --auth enforce --jobs N --journal-limit 0`; per round \
         `target/release/modelarts training-job list --all --output jsonl` then `… --output json` (each job \
         printed as its page arrives; the document's total comes at the end), stdout read through a pipe and \
         checked (N jobs), under `/usr/bin/time -f '%M %U %S'`. Wall time includes process start-up. The \
         emulator serves each unfiltered page from a sorted index (O(page) per request), so the figures are \
         the client's.\n"
    );
    let _ = writeln!(s, "| N | round | jsonl: wall (s) | peak RSS (MiB) | json: wall (s) | peak RSS (MiB) |");
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|");
    let mut medians = Vec::new();
    for (n, runs) in &results {
        for (i, row) in runs.iter().enumerate() {
            let _ = writeln!(
                s,
                "| {n} | {} | {:.2} | {:.1} | {:.2} | {:.1} |",
                i + 1,
                row[0].wall.as_secs_f64(),
                mib(row[0].rss_kib.unwrap_or(0)),
                row[1].wall.as_secs_f64(),
                mib(row[1].rss_kib.unwrap_or(0))
            );
        }
        let med =
            |f: usize, g: &dyn Fn(&Run) -> f64| median(&runs.iter().map(|r| g(&r[f])).collect::<Vec<_>>());
        let wall = |r: &Run| r.wall.as_secs_f64();
        let rss = |r: &Run| mib(r.rss_kib.unwrap_or(0));
        medians.push((*n, [med(0, &wall), med(1, &wall)], [med(0, &rss), med(1, &rss)]));
    }
    if let [first, .., last] = &medians[..] {
        let scale = last.0 as f64 / first.0 as f64;
        let _ = writeln!(
            s,
            "\nFrom {} to {} ({scale:.0}× the jobs), medians: jsonl wall ×{:.1}, peak RSS ×{:.2}; json wall ×{:.1}, \
             peak RSS ×{:.2} (aims: wall ×≤ 11, RSS ×≤ 1.2).\n",
            first.0,
            last.0,
            last.1[0] / first.1[0],
            last.2[0] / first.2[0],
            last.1[1] / first.1[1],
            last.2[1] / first.2[1]
        );
        for (f, name) in FORMATS.iter().enumerate() {
            let (w, r) = (last.1[f] / first.1[f], last.2[f] / first.2[f]);
            report.summary.push((
                format!("list --all --output {name} {}→{}: wall / peak RSS", first.0, last.0),
                format!("×{w:.1} / ×{r:.2}"),
                met(w <= 11.0 && r <= 1.2).to_owned(),
            ));
        }
    }
    report.sections.push(s);
    Ok(())
}
