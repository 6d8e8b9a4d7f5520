//! Starting the emulator binary and reading its start-up line.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::process::show;

/// A running emulator process; stopped (SIGTERM, then kill) when dropped.
pub(crate) struct EmulatorProcess {
    child: Child,
    /// The start-up line.
    pub(crate) info: Value,
}

impl EmulatorProcess {
    /// Starts `binary` with `args` and waits for its JSON start-up line.
    pub(crate) fn start(binary: &Path, args: &[&str]) -> Result<Self, String> {
        let mut cmd = Command::new(binary);
        cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::inherit());
        eprintln!("$ {} &", show(&cmd));
        let mut child = cmd.spawn().map_err(|e| format!("could not start {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("the emulator has no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("reading the emulator's start-up line: {e}"))?;
        let info: Value = serde_json::from_str(line.trim())
            .map_err(|e| format!("the emulator's start-up line {line:?} is not JSON: {e}"))?;
        Ok(Self { child, info })
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A string field of the start-up line.
    pub(crate) fn field(&self, name: &str) -> Result<String, String> {
        self.info[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("the emulator's start-up line has no {name:?}"))
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        // SIGTERM lets the emulator remove its files; kill() is the fallback.
        let terminated = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if !terminated {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
