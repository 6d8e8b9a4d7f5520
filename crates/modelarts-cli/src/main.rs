//! The `modelarts` binary: a tokio runtime around [`modelarts_cli::run`].

use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    // One thread: the CLI is I/O-bound, and a batch of stops on a current-thread runtime needs about a
    // third less CPU than on a multi-thread one (no cross-thread wake-ups; see docs/benchmarks.md).
    // Blocking work (stdin) still goes to tokio's blocking pool.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime\n  caused by: {e}");
            return ExitCode::from(1);
        }
    };
    let status = runtime.block_on(modelarts_cli::run(std::env::args_os()));
    // A blocking read of stdin (a confirmation interrupted by Ctrl-C) must not keep the process alive.
    runtime.shutdown_timeout(Duration::from_millis(100));
    status.into()
}
