//! Running a process to completion and measuring it (wall time, peak RSS, CPU), and the small
//! statistics of the tables.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::process::show;

use super::KIB_PER_MIB;

/// One finished process: wall time (measured here), peak RSS (KiB, when run under /usr/bin/time)
/// and its stdout.
pub(super) struct Run {
    pub(super) wall: Duration,
    pub(super) rss_kib: Option<u64>,
    /// User + system CPU seconds (under /usr/bin/time).
    pub(super) cpu: Option<f64>,
    pub(super) stdout: String,
}

/// Runs `cmd` to completion, timing it; with `rss`, under `/usr/bin/time -f '%M %U %S'` (peak RSS
/// and CPU time). Fails on a non-zero exit.
pub(super) fn measure(cmd: &mut Command, rss: bool, work: &Path) -> Result<Run, String> {
    let rss_file = work.join("time.out");
    let mut wrapped;
    let cmd = if rss {
        wrapped = Command::new("/usr/bin/time");
        wrapped.args(["-f", "%M %U %S", "-o"]).arg(&rss_file).arg(cmd.get_program()).args(cmd.get_args());
        for (key, value) in cmd.get_envs() {
            match value {
                Some(v) => wrapped.env(key, v),
                None => wrapped.env_remove(key),
            };
        }
        if let Some(dir) = cmd.get_current_dir() {
            wrapped.current_dir(dir);
        }
        &mut wrapped
    } else {
        cmd
    };
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let child = cmd.spawn().map_err(|e| format!("could not start `{}`: {e}", show(cmd)))?;
    let out = child.wait_with_output().map_err(|e| format!("waiting for `{}`: {e}", show(cmd)))?;
    let wall = started.elapsed();
    check(cmd, &out)?;
    let (rss_kib, cpu) = if rss {
        let text =
            fs::read_to_string(&rss_file).map_err(|e| format!("reading {}: {e}", rss_file.display()))?;
        let fields: Vec<f64> =
            text.lines().last().unwrap_or("").split_whitespace().filter_map(|f| f.parse().ok()).collect();
        let [kib, user, system] = fields[..] else {
            return Err(format!("/usr/bin/time wrote {text:?}"));
        };
        (Some(kib as u64), Some(user + system))
    } else {
        (None, None)
    };
    Ok(Run { wall, rss_kib, cpu, stdout: String::from_utf8_lossy(&out.stdout).into_owned() })
}

pub(super) fn check(cmd: &Command, out: &Output) -> Result<(), String> {
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "`{}` failed ({}):\n{}{}",
        show(cmd),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// `key=value` in a line of `text` (the value ends at whitespace; a trailing `s` or `/s` is cut).
pub(super) fn field(text: &str, key: &str) -> Option<f64> {
    let prefix = format!("{key}=");
    text.split_whitespace()
        .find_map(|w| w.strip_prefix(prefix.as_str()))
        .map(|v| v.trim_end_matches("/s").trim_end_matches('s'))
        .and_then(|v| v.parse().ok())
}

pub(super) fn field_or(text: &str, key: &str, what: &str) -> Result<f64, String> {
    field(text, key).ok_or_else(|| format!("{what}: no `{key}=` in its output:\n{text}"))
}

pub(super) fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 { v[mid] } else { (v[mid - 1] + v[mid]) / 2.0 }
}

pub(super) fn mib(kib: u64) -> f64 {
    kib as f64 / KIB_PER_MIB
}

pub(super) fn met(ok: bool) -> &'static str {
    if ok { "**met**" } else { "**missed**" }
}
