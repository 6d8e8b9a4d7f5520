//! The `modelarts` command line, as a library: the binary is `run()` on a tokio runtime, and the
//! `cargo xtask codegen` uses [`command()`] and the [`docs`] module to write `docs/cli.md`, the
//! man page and the completion scripts.
//!
//! This crate is thin on purpose: argument parsing, settings, rendering. It never decides what a
//! status code or an error code means (that is `modelarts-protocol`'s and `modelarts-sdk`'s job) and
//! never prints a secret.
//!
//! ```
//! let cmd = modelarts_cli::command();
//! assert_eq!(cmd.get_name(), "modelarts");
//! assert!(cmd.find_subcommand("training-job").is_some());
//! ```
//!
//! Exit statuses are [`ExitStatus`]; they are listed in `--help` and in `docs/cli.md`.

mod args;
mod commands;
pub mod docs;
mod dry_run;
mod escape;
mod exit;
mod failure;
mod hints;
mod json_docs;
mod logging;
mod output;
mod progress;
mod settings;
mod signal;
mod stop_file;
mod targets;

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches};

pub use clap_complete::Shell;
pub use exit::ExitStatus;

use crate::args::{Cli, OutputFormat};
use crate::failure::Failure;
use crate::output::{Stderr, Stdout};

/// The full clap command: every subcommand, flag and environment variable (for documentation).
pub fn command() -> clap::Command {
    Cli::command()
}

/// Runs the command line `args` (the program name first, as `std::env::args_os()` gives it) and
/// returns how it ended. Prints data on stdout and everything else on stderr. Needs a tokio runtime
/// with time, I/O and signal drivers.
pub async fn run<I, T>(args: I) -> ExitStatus
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let matches = match command().try_get_matches_from(&args) {
        Ok(matches) => matches,
        Err(error) => return clap_error(&error, &args),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => return clap_error(&error, &args),
    };
    let mut cli = cli;
    logging::init(cli.global.verbose, cli.global.quiet);
    let mut sources = settings::Sources::from_matches(&matches);
    if let Some(format) = sources.output_from_profile(&cli.global) {
        cli.global.output = format;
    }
    let global = &cli.global;
    let json = global.output != OutputFormat::Table;
    failure::set_verbose(global.verbose > 0);
    let stderr = Stderr::new(global.quiet, json);
    if global.insecure {
        stderr.always("warning: --insecure: TLS certificates are not verified; anyone on the network path can read and change this traffic");
    }
    let mut stdout = Stdout::new(global.output);
    let context = commands::Context::new(&cli.global, sources, stderr);
    let result = tokio::select! {
        biased;
        result = commands::dispatch(&cli.command, &context, &mut stdout) => result,
        status = signal::interrupted() => Err(Failure::new(status, signal::describe(status))),
    };
    if stdout.is_broken() && !cli.command.changes_state() {
        // Stdout's reader is gone (`| head -1`): a read-only command ends there, quietly.
        return ExitStatus::Success;
    }
    match result {
        Ok(status) => status,
        Err(mut failure) => {
            context.explain(&mut failure);
            report(&failure, json);
            failure.status
        }
    }
}

/// Prints a failure on stderr: text with its cause chain, or `{"error": …}` with `--output json`.
fn report(failure: &Failure, json: bool) {
    if json {
        Stderr::new(false, true).always(&failure.json().to_string());
    } else {
        Stderr::new(false, false).always(&failure.text());
    }
}

/// Help and version go to stdout with status 0; usage errors to stderr with status 2 (as JSON when
/// `--output json` is on the command line or in `MODELARTS_OUTPUT`).
fn clap_error(error: &clap::Error, args: &[OsString]) -> ExitStatus {
    use clap::error::ErrorKind;
    if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = error.print();
        return ExitStatus::Success;
    }
    if args.len() <= 1
        && matches!(
            error.kind(),
            ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        )
    {
        // A bare `modelarts` asks what there is to do: the help, on stdout, is the answer.
        let _ = command().print_help();
        return ExitStatus::Success;
    }
    if matches!(error.kind(), ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand) {
        let _ = error.print();
        return ExitStatus::Usage;
    }
    if matches!(error.kind(), ErrorKind::InvalidUtf8 | ErrorKind::InvalidValue)
        && args.iter().all(|a| a.to_str().is_some())
    {
        // Not an argument: a variable clap reads for one (clap reports a lossy copy of an enum
        // value as invalid). Name it, never its value.
        if let Some(name) = settings::non_utf8_env(&command()) {
            let failure = Failure::new(
                ExitStatus::Config,
                format!(
                    "the environment variable {name} is not valid UTF-8; set it to a UTF-8 value or unset it"
                ),
            );
            report(&failure, wants_json(args));
            return failure.status;
        }
    }
    let text = usage_text(error, args);
    if wants_json(args) {
        let mut failure = Failure::usage(error.kind().as_str().unwrap_or("invalid command line"));
        failure.causes.push(text.unwrap_or_else(|| error.render().to_string()).trim().to_owned());
        report(&failure, true);
    } else if let Some(text) = text {
        eprint!("{text}");
    } else {
        let _ = error.print();
    }
    ExitStatus::Usage
}

/// Flags of other tools that clap would answer with a look-alike of ours (`--query` → `--quiet`),
/// and what to do instead.
const FOREIGN_FLAGS: &[(&str, &str)] = &[(
    "--query",
    "there is no --query: to pick fields, print JSON (`-o json`, or `-o jsonl`: one document per line) and \
     filter it with a JSON tool such as jq",
)];

/// clap's text for a usage error, rewritten where it would lead nowhere: a look-alike suggested for
/// another tool's flag, or a usage line that lists as required the options an environment variable
/// set (clap lists every option present). `None` keeps clap's text.
fn usage_text(error: &clap::Error, args: &[OsString]) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let rendered = error.render().to_string();
    let usage_line = rendered.lines().find(|l| l.starts_with("Usage: "))?;
    let generic = format!("Usage: {}", generic_usage(args).trim_start_matches("Usage: ").trim());
    let foreign = match (error.kind(), error.get(ContextKind::InvalidArg)) {
        (ErrorKind::UnknownArgument, Some(ContextValue::String(arg))) => {
            let name = arg.split('=').next().unwrap_or(arg);
            FOREIGN_FLAGS.iter().find(|(flag, _)| *flag == name).map(|(_, tip)| (arg.clone(), *tip))
        }
        _ => None,
    };
    if let Some((arg, tip)) = foreign {
        return Some(format!(
            "error: unexpected argument '{arg}' found\n\n  tip: {tip}\n\n{generic}\n\nFor more information, try '--help'.\n"
        ));
    }
    let from_env = command().get_arguments().any(|a| {
        a.get_env().is_some_and(|e| std::env::var_os(e).is_some())
            && a.get_long().is_some_and(|l| usage_line.contains(&format!("--{l} ")))
    });
    (from_env && usage_line != generic).then(|| rendered.replacen(usage_line, &generic, 1))
}

/// The usage line of the command the arguments name (`modelarts training-job list [OPTIONS]`),
/// with no option filled in.
fn generic_usage(args: &[OsString]) -> String {
    let mut cmd = command();
    cmd.build();
    for arg in args.iter().skip(1).filter_map(|a| a.to_str()) {
        if let Some(sub) = cmd.find_subcommand(arg) {
            cmd = sub.clone();
        }
    }
    cmd.render_usage().to_string()
}

/// Whether JSON output (`--output json`, `-o jsonl`, …) was asked for, before the arguments could
/// be parsed.
fn wants_json(args: &[OsString]) -> bool {
    let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let mut from_args = None;
    for (i, arg) in args.iter().enumerate() {
        if arg == "--" {
            break;
        }
        if let Some(v) = arg.strip_prefix("--output=").or_else(|| arg.strip_prefix("-o=")) {
            from_args = Some(v.to_owned());
        } else if arg == "--output" || arg == "-o" {
            from_args = args.get(i + 1).cloned();
        } else if let Some(v) = arg.strip_prefix("-o").filter(|v| !v.is_empty()) {
            from_args = Some(v.to_owned());
        }
    }
    from_args
        .or_else(|| std::env::var("MODELARTS_OUTPUT").ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("json") || v.eq_ignore_ascii_case("jsonl"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_detected_before_parsing() {
        let os = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(wants_json(&os(&["modelarts", "--output", "json", "x"])));
        assert!(wants_json(&os(&["modelarts", "x", "--output=json"])));
        assert!(wants_json(&os(&["modelarts", "-o", "jsonl", "x"])));
        assert!(wants_json(&os(&["modelarts", "-ojson", "x"])));
        assert!(
            !wants_json(&os(&["modelarts", "--", "--output=json"]))
                || std::env::var("MODELARTS_OUTPUT").is_ok()
        );
    }
}
