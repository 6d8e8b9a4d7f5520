//! Project chores behind one entry point: `cargo xtask <task>`.
//!
//! Each task runs the real tools (cargo, the built binaries, python) as child processes and fails
//! loudly with the command that failed.
#![allow(clippy::print_stdout)]

mod bench;
mod ci;
mod codegen;
mod conformance;
mod demo;
mod emulator;
mod fuzz;
mod process;
mod release;
mod soak;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Project chores for modelarts-rs.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
struct Args {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Everything CI checks: fmt, clippy, tests, docs, dependency rules, generated files, and that
    /// every publishable crate packages and builds from its package.
    Ci {
        /// Skip `cargo test --workspace` (when it already ran).
        #[arg(long)]
        no_test: bool,
    },
    /// Package every publishable crate and build each from its package (a step of `ci`).
    Package,
    /// Start the emulator over HTTPS with running jobs and stop one with the real `modelarts` binary.
    Demo {
        /// Use release builds.
        #[arg(long)]
        release: bool,
    },
    /// Drive the emulator with the official Huawei Python SDK (installs it into .venv).
    Conformance,
    /// Regenerate docs/cli.md from the CLI's definition (`--check`: fail if it is stale).
    Codegen {
        /// Fail instead of writing when the file is out of date.
        #[arg(long)]
        check: bool,
    },
    /// Build the release binaries, a man page per subcommand and shell completions into target/dist.
    Dist,
    /// Benchmarks against curl, wrk and the official Python SDK; writes docs/benchmarks.md.
    Bench {
        /// Smaller sizes and fewer rounds (under 3 minutes once built); writes
        /// target/bench/benchmarks-quick.md unless --out is given.
        #[arg(long)]
        quick: bool,
        /// Run only these sections (comma-separated: protocol, one-stop, one-stop-v2, many-stops,
        /// many-stops-v2, wait, scaling, list-stream, transport); the report then goes to
        /// target/bench/ unless --out is given.
        #[arg(long, value_delimiter = ',', value_name = "SECTION")]
        only: Vec<String>,
        /// Where to write the report [default: docs/benchmarks.md, or target/bench/benchmarks-quick.md].
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
    /// Batches of stops against an in-process emulator with a seeded mix of faults; checks one
    /// outcome per version, at most one effective stop, stopped means KILLING/KILLED, flat memory.
    Soak(soak::SoakArgs),
    /// Run the cargo-fuzz targets of fuzz/ for a bounded time each (installs cargo-fuzz if missing).
    Fuzz {
        /// Seconds per target.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Targets to run (default: all).
        targets: Vec<String>,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match args.task {
        Task::Ci { no_test } => ci::run(no_test),
        Task::Package => ci::package_check(),
        Task::Demo { release } => demo::run(release),
        Task::Conformance => conformance::run(),
        Task::Codegen { check } => codegen::run(check),
        Task::Dist => codegen::dist(),
        Task::Bench { quick, only, out } => bench::run(quick, only, out),
        Task::Fuzz { seconds, targets } => fuzz::run(seconds, &targets),
        Task::Soak(args) => soak::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
