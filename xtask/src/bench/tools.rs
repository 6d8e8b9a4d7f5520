//! The tools the comparisons need (installed when missing), the release builds, and what the report
//! says of the machine.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::conformance::venv_python;
use crate::process::{cargo, exec, output, target_dir};

pub(super) fn release_bin(name: &str) -> PathBuf {
    target_dir().join("release").join(name)
}

pub(super) struct Tools {
    pub(super) python: PathBuf,
    pub(super) versions: Vec<(String, String)>,
}

impl Tools {
    /// Installs what is missing: wrk, GNU time and curl with apt-get, the official SDK into .venv.
    pub(super) fn ensure() -> Result<Self, String> {
        let wanted = [("wrk", "/usr/bin/wrk"), ("time", "/usr/bin/time"), ("curl", "/usr/bin/curl")];
        let missing: Vec<&str> = wanted
            .iter()
            .filter(|(_, path)| !Path::new(path).exists())
            .map(|(package, _)| *package)
            .collect();
        if !missing.is_empty() {
            eprintln!("bench: installing {} with apt-get (needed by the comparisons)", missing.join(", "));
            let install = || {
                exec(
                    Command::new("apt-get").args(["install", "-y", "--no-install-recommends"]).args(&missing),
                )
            };
            if install().is_err() {
                exec(Command::new("apt-get").arg("update"))?;
                install().map_err(|e| format!("{e}; install {} by hand", missing.join(", ")))?;
            }
        }
        eprintln!("bench: the official Python SDK comes from .venv (created and filled by pip when missing)");
        let python = venv_python()?;
        let first_line = |cmd: &mut Command| {
            output(cmd).map(|s| s.lines().next().unwrap_or("").trim().to_owned()).unwrap_or_else(|e| e)
        };
        let versions = vec![
            ("rustc".to_owned(), first_line(Command::new("rustc").arg("--version"))),
            ("curl".to_owned(), first_line(Command::new("curl").arg("--version"))),
            ("wrk".to_owned(), first_line(Command::new("sh").args(["-c", "wrk --version 2>&1 || true"]))),
            ("python".to_owned(), first_line(Command::new(&python).arg("--version"))),
            (
                "official SDK".to_owned(),
                first_line(Command::new(&python).args([
                    "-c",
                    "import importlib.metadata as m; print('huaweicloudsdkcore', m.version('huaweicloudsdkcore'), \
                     '/ huaweicloudsdkmodelarts', m.version('huaweicloudsdkmodelarts'))",
                ])),
            ),
        ];
        Ok(Self { python, versions })
    }
}

/// The release builds every section needs; the criterion benches only when the protocol section runs
/// (they build in the `bench` profile, with debug info: a second build of every dependency).
pub(super) fn build(criterion: bool) -> Result<(), String> {
    exec(cargo().args(["build", "--release", "-p", "modelarts-cli", "-p", "modelarts-emulator"]))?;
    exec(cargo().args(["build", "--release", "-p", "modelarts-sdk", "--example", "batch_stop"]))?;
    exec(cargo().args(["build", "--release", "-p", "modelarts-transport", "--example", "load"]))?;
    if criterion {
        exec(cargo().args(["bench", "-p", "modelarts-protocol", "--bench", "protocol", "--no-run"]))?;
    }
    Ok(())
}

pub(super) fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

pub(super) fn machine() -> Vec<(&'static str, String)> {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "?".into());
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0))
        .unwrap_or_else(|| "?".into());
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned();
    let nproc =
        std::thread::available_parallelism().map(|n| n.get().to_string()).unwrap_or_else(|_| "?".into());
    vec![("nproc", nproc), ("CPU", cpu), ("memory", memory), ("kernel", kernel)]
}
