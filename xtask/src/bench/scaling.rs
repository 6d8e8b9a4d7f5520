//! Section 4, scaling: batch stop and `list --all` at growing numbers of versions.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::process::target_dir;

use super::measure::{Run, field_or, measure, median, mib};
use super::report::Report;
use super::server::{Server, write_targets};
use super::tools::{Tools, release_bin};
use super::{CONCURRENCY, Plan};

/// One scaling run: the client's process and the emulator's CPU during it.
struct ScaleRun {
    pub(super) run: Run,
    pub(super) server_cpu: f64,
}

pub(super) fn scaling(plan: &Plan, _tools: &Tools, work: &Path, report: &mut Report) -> Result<(), String> {
    eprintln!("bench: 5/7 scaling {:?}", plan.scaling.iter().map(|(n, _)| *n).collect::<Vec<_>>());
    let example = target_dir().join("release/examples/batch_stop");
    let c = CONCURRENCY.to_string();
    // (n, stop runs, list runs)
    let mut results: Vec<(usize, Vec<ScaleRun>, Vec<ScaleRun>)> = Vec::new();
    for &(n, rounds) in plan.scaling {
        let server = Server::start(work, "scaling", n, "enforce", "2s")?;
        let targets = server.versions()?;
        let file = work.join(format!("scaling-{n}.txt"));
        write_targets(&file, &targets)?;
        let mut stops = Vec::new();
        let mut lists = Vec::new();
        for _ in 0..rounds {
            server.reset("enforce")?;
            let mut list = Command::new(release_bin("modelarts"));
            list.args(["training-job", "list", "--all", "--output", "json"]);
            server.env(&mut list, work);
            let before = server.cpu();
            let run = measure(&mut list, true, work)?;
            let server_cpu = server.cpu() - before;
            let listed = serde_json::from_str::<Value>(&run.stdout)
                .ok()
                .and_then(|v| v["jobs"].as_array().map(Vec::len).or_else(|| v.as_array().map(Vec::len)));
            if listed != Some(n) {
                return Err(format!("list --all returned {listed:?} jobs, not {n}"));
            }
            eprintln!("  list --all of {n}: {:.2?}", run.wall);
            lists.push(ScaleRun { run: Run { stdout: String::new(), ..run }, server_cpu });

            let mut stop = Command::new(&example);
            stop.arg("--targets").arg(&file).arg(&c);
            server.env(&mut stop, work);
            let before = server.cpu();
            let run = measure(&mut stop, true, work)?;
            let server_cpu = server.cpu() - before;
            if field_or(&run.stdout, "done", "batch_stop")? as usize != n {
                return Err(format!("batch_stop of {n}: {}", run.stdout));
            }
            eprintln!("  batch stop of {n}: {:.2?}", run.wall);
            stops.push(ScaleRun { run, server_cpu });
        }
        drop(server);
        results.push((n, stops, lists));
    }

    let mut s = String::new();
    let _ = writeln!(s, "## 4. Scaling\n");
    let _ = writeln!(
        s,
        "For each N: an emulator with `--tls --auth enforce --jobs N --journal-limit 0`; per round (reset \
         first) `target/release/modelarts training-job list --all --output json` (stdout read through a pipe and \
         checked: N jobs) then `target/release/examples/batch_stop --targets <FILE> {c}`, both under \
         `/usr/bin/time -f '%M %U %S'`. Wall time is the whole client process's (start-up included); client CPU \
         is its user + system time; emulator CPU is the emulator process's user + system time during the run \
         (from `/proc/<pid>/stat`, 10 ms resolution). Medians of the rounds.\n"
    );
    let _ = writeln!(
        s,
        "| N | rounds | batch stop: wall (s) | wall µs / version | client CPU µs / version | emulator CPU (s) | \
         peak RSS (MiB) | list --all: wall (s) | client CPU µs / job | emulator CPU (s) | peak RSS (MiB) |"
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    // (n, stop wall, stop client cpu, stop rss, list wall, list client cpu, list rss)
    let mut rows = Vec::new();
    for (n, stops, lists) in &results {
        let med =
            |runs: &[ScaleRun], f: &dyn Fn(&ScaleRun) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
        let nf = *n as f64;
        let (sw, sc, ss, sm) = (
            med(stops, &|r| r.run.wall.as_secs_f64()),
            med(stops, &|r| r.run.cpu.unwrap_or(f64::NAN)),
            med(stops, &|r| r.server_cpu),
            med(stops, &|r| mib(r.run.rss_kib.unwrap_or(0))),
        );
        let (lw, lc, ls, lm) = (
            med(lists, &|r| r.run.wall.as_secs_f64()),
            med(lists, &|r| r.run.cpu.unwrap_or(f64::NAN)),
            med(lists, &|r| r.server_cpu),
            med(lists, &|r| mib(r.run.rss_kib.unwrap_or(0))),
        );
        let _ = writeln!(
            s,
            "| {n} | {} | {sw:.2} | {:.0} | {:.0} | {ss:.2} | {sm:.1} | {lw:.2} | {:.0} | {ls:.2} | {lm:.1} |",
            stops.len(),
            sw / nf * 1e6,
            sc / nf * 1e6,
            lc / nf * 1e6,
        );
        rows.push((*n, sw, sc, sm, lw, lc, lm));
    }
    // Growth between the two largest sizes: the smallest is dominated by process start-up, and its CPU
    // time can round to 0 at /usr/bin/time's 10 ms resolution.
    if let [.., first, last] = &rows[..]
        && last.0 > first.0
    {
        let scale = last.0 as f64 / first.0 as f64;
        // A CPU time under /usr/bin/time's resolution gives no ratio.
        let g =
            |to: f64, from: f64| if from > 0.0 { format!("×{:.1}", to / from) } else { "n/a".to_owned() };
        let _ = writeln!(
            s,
            "\nFrom {} to {} ({scale:.0}× the versions; linear would be ×{scale:.0}): batch stop wall {}, client CPU \
             {}, peak RSS {}; list --all wall {}, client CPU {}, peak RSS {}.\n",
            first.0,
            last.0,
            g(last.1, first.1),
            g(last.2, first.2),
            g(last.3, first.3),
            g(last.4, first.4),
            g(last.5, first.5),
            g(last.6, first.6)
        );
        report.summary.push((
            format!("scaling {}→{}: batch stop wall / client CPU / RSS", first.0, last.0),
            format!("{} / {} / {}", g(last.1, first.1), g(last.2, first.2), g(last.3, first.3)),
            String::new(),
        ));
        report.summary.push((
            format!("scaling {}→{}: list --all wall / client CPU / RSS", first.0, last.0),
            format!("{} / {} / {}", g(last.4, first.4), g(last.5, first.5), g(last.6, first.6)),
            String::new(),
        ));
    }
    report.sections.push(s);
    Ok(())
}
