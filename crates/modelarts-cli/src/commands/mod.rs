//! The commands: each turns parsed arguments into SDK calls and renders the answer.
//!
//! A command returns the exit status it ended with (`Ok`, also for outcomes such as a wait that
//! timed out, whose document is still printed on stdout) or a [`Failure`] to report on stderr.

mod both;
mod configure;
mod events;
mod inspect;
mod inspect_v2;
mod listing;

/// The JSON of a v2 job and of an event, for the documentation's checks.
#[cfg(test)]
pub(crate) use events::event_json;
#[cfg(test)]
pub(crate) use inspect_v2::job_json as v2_job_json;
mod logs;
mod named;
mod stop;

use std::io;

use bytes::Bytes;
use modelarts_protocol::waiter::WaitOptions;
use modelarts_sdk::Client;
use serde_json::{Map, Value, json};

use crate::args::{Command, ConfigureCommand, GlobalArgs, OutputFormat, TrainingJobCommand, WaitOptionsArgs};
use crate::dry_run::MaskedRequest;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::{Stderr, Stdout};
use crate::progress::Progress;
use crate::settings::{self, Sources};

/// What every command needs besides its own arguments.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    pub(crate) global: &'a GlobalArgs,
    pub(crate) sources: Sources,
    pub(crate) stderr: Stderr,
    pub(crate) progress: Progress,
    /// The client, built on first use (so that a failure can be explained with what it measured).
    client: std::sync::OnceLock<Client>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(global: &'a GlobalArgs, sources: Sources, stderr: Stderr) -> Self {
        let progress = Progress::new(
            !global.no_progress
                && !global.quiet
                && global.output == OutputFormat::Table
                && Stderr::is_terminal(),
        );
        Self { global, sources, stderr, progress, client: std::sync::OnceLock::new() }
    }

    /// The SDK client for the global options (one per run: clones share its state).
    pub(crate) fn client(&self) -> Result<Client, Failure> {
        if let Some(client) = self.client.get() {
            return Ok(client.clone());
        }
        let client = settings::client(self.global, &self.sources)?;
        Ok(self.client.get_or_init(|| client).clone())
    }

    /// Builds the client with the calls its identity needs first (a password login, the metadata
    /// service, an agency, the project lookup), so that every command finds it ready.
    pub(crate) async fn connect(&self) -> Result<Client, Failure> {
        if let Some(client) = self.client.get() {
            return Ok(client.clone());
        }
        let client = settings::connect(self.global, &self.sources).await?;
        Ok(self.client.get_or_init(|| client).clone())
    }

    /// Adds the next steps only the command knows to a failure: for rejected credentials, which
    /// source was used and the clock skew the client measured.
    pub(crate) fn explain(&self, failure: &mut Failure) {
        let mut hints = Vec::new();
        // A network failure (no answer from the service): name the host the requests went to.
        if failure.category == Some("transient")
            && failure.api.is_none()
            && let Some(client) = self.client.get()
        {
            hints.push(format!(
                "the requests went to {}: check that the name resolves and the port is reachable from here (--endpoint-url or --region chose it)",
                client.endpoint().url()
            ));
        }
        if failure.is_rejected_credentials() {
            let resolved = settings::builder(self.global, &self.sources).resolve().ok();
            let skew = self.client.get().and_then(Client::clock_skew_millis);
            hints.extend(crate::hints::for_credentials(resolved.as_ref(), skew));
        }
        // Explaining twice (a command, then the run) adds nothing twice.
        for hint in hints {
            if !failure.hints.contains(&hint) {
                failure.hints.push(hint);
            }
        }
    }
}

/// Runs a command.
pub(crate) async fn dispatch(
    command: &Command,
    ctx: &Context<'_>,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure> {
    if !matches!(command, Command::Completions { .. } | Command::Configure(_)) {
        ctx.connect().await?;
    }
    match command {
        Command::TrainingJob(TrainingJobCommand::Stop(args)) => stop::stop(args, ctx, out).await,
        Command::TrainingJob(TrainingJobCommand::Show(args)) => inspect::show(args, ctx, out).await,
        Command::TrainingJob(TrainingJobCommand::List(args)) => inspect::list(args, ctx, out).await,
        Command::TrainingJob(TrainingJobCommand::Versions(args)) => inspect::versions(args, ctx, out).await,
        Command::TrainingJob(TrainingJobCommand::Wait(args)) => stop::wait(args, ctx, out).await,
        Command::TrainingJob(TrainingJobCommand::Logs(args)) => logs::logs(args, ctx, out).await,
        Command::TrainingJob(TrainingJobCommand::Events(args)) => events::events(args, ctx, out).await,
        Command::Completions { shell } => {
            let mut script = Vec::new();
            crate::docs::completions(*shell, &mut script);
            out.line(String::from_utf8_lossy(&script).trim_end()).map_err(io_failure)?;
            Ok(ExitStatus::Success)
        }
        Command::Configure(ConfigureCommand::List) => configure::list(ctx, out),
        Command::Configure(ConfigureCommand::Test) => configure::test(ctx, out).await,
        Command::Configure(ConfigureCommand::Init(args)) => configure::init(args, ctx, out),
    }
}

/// A local I/O error (writing stdout, reading a file).
pub(crate) fn io_failure(error: io::Error) -> Failure {
    Failure::new(ExitStatus::Other, "cannot write the output").caused_by(&error)
}

/// The wait limits: the flags, else the protocol's defaults. Checked before any request.
pub(crate) fn wait_options(args: &WaitOptionsArgs) -> Result<WaitOptions, Failure> {
    let defaults = WaitOptions::default();
    let options = WaitOptions::default()
        .with_max_wait(args.max_wait.unwrap_or(defaults.max_wait))
        .with_min_delay(args.poll_min.unwrap_or(defaults.min_delay))
        .with_max_delay(args.poll_max.unwrap_or(defaults.max_delay));
    if options.min_delay.is_zero() {
        return Err(Failure::usage("--poll-min must be longer than zero"));
    }
    if options.min_delay > options.max_delay {
        return Err(Failure::usage(format!(
            "--poll-min ({}) is longer than --poll-max ({})",
            crate::output::exact_duration(options.min_delay),
            crate::output::exact_duration(options.max_delay)
        )));
    }
    Ok(options)
}

/// Prints a signed request for `--dry-run`, secrets masked: an HTTP message and a curl command, or
/// one JSON document.
pub(crate) fn print_dry_run(out: &mut Stdout, request: &http::Request<Bytes>) -> Result<(), Failure> {
    let masked = MaskedRequest::new(request);
    if out.is_json() {
        let headers: Map<String, Value> =
            masked.headers.iter().map(|(name, value)| (name.clone(), Value::String(value.clone()))).collect();
        let document = json!({
            "dry_run": true,
            "method": masked.method,
            "url": masked.url,
            "headers": headers,
            "body": masked.body,
            "curl": masked.curl(),
        });
        return out.json(&document).map_err(io_failure);
    }
    let text = format!(
        "# --dry-run: this request was NOT sent. Secrets are masked (****).\n{}\n\n# As a curl command:\n{}\n",
        masked.http_message().trim_end(),
        masked.curl()
    );
    out.line(&text).map_err(io_failure)
}

/// Runs `call` through the SDK's real pipeline up to the transport (see [`Client::dry_run`]) and
/// prints the request it would have sent.
pub(crate) async fn dry_run<F, Fut, R, E>(
    client: &Client,
    call: F,
    out: &mut Stdout,
) -> Result<ExitStatus, Failure>
where
    F: FnOnce(Client<modelarts_sdk::DryRunSender>) -> Fut,
    Fut: std::future::Future<Output = Result<R, E>>,
    E: From<modelarts_sdk::Error> + DryRunError,
{
    let request = client.dry_run(call).await.map_err(|e| e.failure())?;
    print_dry_run(out, &request)?;
    Ok(ExitStatus::Success)
}

/// A dry-run call's error (found before anything would have been sent) as a failure.
pub(crate) trait DryRunError {
    /// The failure to report.
    fn failure(self) -> Failure;
}

impl DryRunError for modelarts_sdk::Error {
    fn failure(self) -> Failure {
        Failure::sdk("cannot build the request", &self)
    }
}

impl<D: modelarts_sdk::WaitSubject + 'static> DryRunError for modelarts_sdk::WaitError<D> {
    fn failure(self) -> Failure {
        match self {
            modelarts_sdk::WaitError::Call(e) => e.failure(),
            other => Failure::wait("cannot build the request", &other),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn wait_options_table() {
        let args = |max: Option<u64>, min: Option<u64>, maxd: Option<u64>| WaitOptionsArgs {
            max_wait: max.map(Duration::from_secs),
            poll_min: min.map(Duration::from_secs),
            poll_max: maxd.map(Duration::from_secs),
        };
        assert_eq!(wait_options(&args(None, None, None)).unwrap(), WaitOptions::default());
        assert_eq!(wait_options(&args(Some(60), None, None)).unwrap().max_wait, Duration::from_secs(60));
        assert_eq!(wait_options(&args(None, Some(0), None)).unwrap_err().status, ExitStatus::Usage);
        assert!(
            wait_options(&args(None, Some(60), Some(10))).unwrap_err().context.contains("--poll-min (1m)")
        );
    }
}
