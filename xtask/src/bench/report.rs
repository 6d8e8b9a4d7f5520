//! The report: machine, summary and sections, rendered as `docs/benchmarks.md`.

use std::fmt::Write as _;
use std::fs;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::process::root;

use super::Plan;
use super::tools::{Tools, machine};

#[derive(Default)]
pub(super) struct Report {
    /// (what, figure, aim met?)
    pub(super) summary: Vec<(String, String, String)>,
    pub(super) sections: Vec<String>,
}

impl Report {
    pub(super) fn render(
        &self,
        plan: &Plan,
        tools: &Tools,
        load_before: &str,
        load_after: &str,
        took: Duration,
    ) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Benchmarks\n");
        let _ = writeln!(
            s,
            "Written by `cargo xtask bench{}` ({} mode) in {:.0} s{}. Do not edit by hand: the analysis at the end \
             comes from `xtask/bench/analysis.md`. The source of every comparison is `xtask/src/bench/` and \
             `xtask/bench/`.\n",
            if plan.name == "quick" { " --quick" } else { "" },
            plan.name,
            took.as_secs_f64(),
            utc_date().map(|d| format!(", finished {d} UTC")).unwrap_or_default()
        );
        let _ = writeln!(s, "## Machine\n");
        let _ = writeln!(s, "| | |");
        let _ = writeln!(s, "|---|---|");
        for (k, v) in machine() {
            let _ = writeln!(s, "| {k} | {v} |");
        }
        for (k, v) in &tools.versions {
            let _ = writeln!(s, "| {k} | {v} |");
        }
        let _ = writeln!(s, "| load average (1, 5, 15 min) before | {load_before} |");
        let _ = writeln!(s, "| load average after | {load_after} |");
        let _ = writeln!(
            s,
            "\nThe machine is shared with other builds: the load average says how busy it was. Client and \
             emulator run on the same CPUs. Every leg of a comparison alternates with the others, so the ratios \
             (taken within a round) are steadier than the absolute figures.\n"
        );
        let _ = writeln!(s, "## Summary\n");
        let _ = writeln!(s, "| comparison | result | aim |");
        let _ = writeln!(s, "|---|---:|---|");
        for (what, figure, aim) in &self.summary {
            let _ = writeln!(s, "| {what} | {figure} | {aim} |");
        }
        s.push('\n');
        for section in &self.sections {
            s.push_str(section);
        }
        if let Ok(analysis) = fs::read_to_string(root().join("xtask/bench/analysis.md")) {
            s.push_str(&analysis);
        }
        s
    }
}

/// Today's date and time, UTC, from the system clock (`YYYY-MM-DD HH:MM`).
fn utc_date() -> Option<String> {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(format!("{year:04}-{month:02}-{day:02} {:02}:{:02}", rem / 3600, rem % 3600 / 60))
}
