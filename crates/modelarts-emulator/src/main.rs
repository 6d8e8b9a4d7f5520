//! The `modelarts-emulator` binary: starts an emulator, prints one JSON line describing it on stdout,
//! serves until SIGINT or SIGTERM, then exits 0. Logs go to stderr.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use modelarts_emulator::{
    AcceptedCredentials, AlreadyStoppedPolicy, AuthMode, Emulator, EmulatorConfig, ErrorField, IamConfig,
    MetadataConfig, ThrottleSettings,
};

/// A local ModelArts server for tests: v2 training jobs (UUIDs), v1 training jobs (numbers), their
/// logs and events, IAM (tokens, projects, agencies), ECS metadata and CCE pod identity.
///
/// Prints `{"endpoint":…,"ca_cert":…,"project_id":…,"ak":…,"sk":…,"token":…,"admin":…}` on one line,
/// then serves until SIGINT/SIGTERM. With `--print-env`: prints shell `export` lines for the CLI
/// and returns, the emulator serving in the background.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Serve HTTPS with a generated CA (written to --ca-out).
    #[arg(long)]
    tls: bool,
    /// Where to write the CA certificate (PEM); it must not exist yet. Default: `ca.pem` in a new
    /// private directory of the temp dir, removed at exit.
    #[arg(long, value_name = "PATH")]
    ca_out: Option<PathBuf>,
    /// Accepted access key.
    #[arg(long)]
    ak: Option<String>,
    /// Accepted secret key.
    #[arg(long)]
    sk: Option<String>,
    /// Accepted IAM token (X-Auth-Token).
    #[arg(long)]
    token: Option<String>,
    /// Require this X-Security-Token on AK/SK requests (temporary credentials).
    #[arg(long)]
    security_token: Option<String>,
    /// Project id in the API paths.
    #[arg(long)]
    project_id: Option<String>,
    /// Authentication mode.
    #[arg(long, value_enum, default_value_t = AuthArg::Enforce)]
    auth: AuthArg,
    /// JSON file: an array of jobs with versions to seed.
    #[arg(long, value_name = "FILE")]
    seed_file: Option<PathBuf>,
    /// Generate N running jobs with one version each.
    #[arg(long, value_name = "N", default_value_t = 0)]
    jobs: usize,
    /// Generate N Running v2 jobs (UUID ids).
    #[arg(long, value_name = "N", default_value_t = 0)]
    v2_jobs: usize,
    /// A stopped version goes KILLING → KILLED after this time (e.g. 2s, 200ms, 1.5s, 1m) [default: 2s,
    /// unless only --kill-after-polls is given].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    kill_after: Option<Duration>,
    /// A stopped version goes KILLED on the status read after N reads.
    #[arg(long, value_name = "N")]
    kill_after_polls: Option<u32>,
    /// Answer to a stop of a version that cannot be stopped.
    #[arg(long, value_enum, default_value_t = PolicyArg::BadRequest)]
    already_stopped: PolicyArg,
    /// Answer to a v2 terminate of a job that cannot be terminated (conflict: 409 ModelArts.2796,
    /// bad-request: 400 ModelArts.0105, ok-false: 200 with the 2796 error body, success: 202 with the job).
    #[arg(long, value_enum, default_value_t = PolicyArg::Conflict)]
    v2_already_stopped: PolicyArg,
    /// Name of the error-text field in ModelArts error bodies.
    #[arg(long, value_enum, default_value_t = ErrorFieldArg::ErrorMessage)]
    error_field: ErrorFieldArg,
    /// Emulator clock offset from the wall clock, seconds (may be negative).
    #[arg(long, value_name = "SECS", default_value_t = 0, allow_negative_numbers = true)]
    clock_offset: i64,
    /// Seed of every random choice.
    #[arg(long, value_name = "N", default_value_t = 1)]
    random_seed: u64,
    /// JSON file: an array of fault scripts.
    #[arg(long, value_name = "FILE")]
    faults: Option<PathBuf>,
    /// Throttle mode: answer 429 APIG.0308 above N requests per second.
    #[arg(long, value_name = "N")]
    throttle_rps: Option<u32>,
    /// Journal capacity (entries); older entries are dropped.
    #[arg(long, value_name = "N", default_value_t = 50_000)]
    journal_limit: usize,
    /// Log level on stderr (error, warn, info, debug, trace).
    #[arg(long, default_value = "info")]
    log_level: tracing::Level,
    /// The region whose IAM project is the emulator's project (`GET /v3/projects?name=…`).
    #[arg(long, value_name = "REGION", default_value = "cn-north-4")]
    iam_region: String,
    /// Serve the ECS metadata face (`/meta-data/latest/api/token`, `/openstack/latest/securitykey`).
    #[arg(long)]
    metadata: bool,
    /// With --metadata: the server has no agency (the security key is refused).
    #[arg(long, requires = "metadata")]
    metadata_no_agency: bool,
    /// Worker threads (default: one per CPU).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Serve no v1 training-job API, as Huawei Cloud since its retirement: every
    /// `/v1/{project_id}/training-jobs…` route answers 404 APIG.0101 ("The API does not exist or has
    /// not been published in the environment"). v2, the workspace list, IAM and metadata stay.
    #[arg(long)]
    v1_absent: bool,
    /// Print shell `export` lines instead of the JSON start line and return at once, the emulator
    /// serving in the background: `eval "$(modelarts-emulator --tls --print-env)"` points the
    /// `modelarts` CLI at it; `kill $MODELARTS_EMULATOR_PID` stops it.
    #[arg(long)]
    print_env: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AuthArg {
    Off,
    Log,
    Enforce,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PolicyArg {
    /// HTTP 400 ModelArts.0105
    BadRequest,
    /// HTTP 409 ModelArts.2796
    Conflict,
    /// HTTP 200 is_success:false ModelArts.0105
    OkFalse,
    /// HTTP 200 is_success:true
    Success,
}

impl PolicyArg {
    fn policy(self) -> AlreadyStoppedPolicy {
        match self {
            PolicyArg::BadRequest => AlreadyStoppedPolicy::BadRequest,
            PolicyArg::Conflict => AlreadyStoppedPolicy::Conflict,
            PolicyArg::OkFalse => AlreadyStoppedPolicy::OkFalse,
            PolicyArg::Success => AlreadyStoppedPolicy::Success,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
enum ErrorFieldArg {
    ErrorMessage,
    ErrorMsg,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 =
        number.parse().map_err(|_| format!("{text:?} is not a duration like 2s, 200ms, 1.5s or 1m"))?;
    let secs = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown duration unit {other:?} (use ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())
}

fn config(args: &Args) -> Result<EmulatorConfig, modelarts_emulator::Error> {
    let defaults = AcceptedCredentials::default();
    let mut credentials = defaults.clone();
    credentials.access_key = args.ak.clone().unwrap_or(defaults.access_key);
    credentials.secret_key = args.sk.clone().unwrap_or(defaults.secret_key);
    credentials.token = args.token.clone().unwrap_or(defaults.token);
    credentials.security_token = args.security_token.clone();
    let mut cfg = EmulatorConfig::default()
        .listen(args.listen)
        .tls(args.tls)
        .credentials(credentials)
        .auth(match args.auth {
            AuthArg::Off => AuthMode::Off,
            AuthArg::Log => AuthMode::Log,
            AuthArg::Enforce => AuthMode::Enforce,
        })
        .already_stopped(args.already_stopped.policy())
        .v2_already_stopped(args.v2_already_stopped.policy())
        .error_field(match args.error_field {
            ErrorFieldArg::ErrorMessage => ErrorField::ErrorMessage,
            ErrorFieldArg::ErrorMsg => ErrorField::ErrorMsg,
        })
        .generate_jobs(args.jobs)
        .generate_v2_jobs(args.v2_jobs)
        .clock_offset_secs(args.clock_offset)
        .random_seed(args.random_seed)
        .journal_limit(args.journal_limit)
        .v1_absent(args.v1_absent)
        .iam(IamConfig::default().region(Some(&args.iam_region)));
    if args.metadata {
        let metadata = MetadataConfig::enabled();
        cfg = cfg.metadata(if args.metadata_no_agency { metadata.without_agency() } else { metadata });
    }
    if let Some(pid) = &args.project_id {
        cfg = cfg.project_id(pid.clone());
    }
    if let Some(path) = &args.ca_out {
        cfg = cfg.ca_out(path.clone());
    }
    if let Some(n) = args.kill_after_polls {
        cfg = cfg.kill_after_polls(n);
    }
    if let Some(d) = args.kill_after {
        cfg = cfg.kill_after(d);
    }
    if let Some(path) = &args.seed_file {
        cfg = cfg.seed_file(path)?;
    }
    if let Some(path) = &args.faults {
        cfg = cfg.fault_file(path)?;
    }
    if let Some(rps) = args.throttle_rps {
        cfg = cfg.throttle(ThrottleSettings::per_second(rps));
    }
    Ok(cfg)
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    // The handlers are installed before anything is announced: a SIGTERM sent as soon as the start
    // line is read must reach them, not the default action (which would kill the process).
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let emulator = Emulator::start(config(&args)?).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", emulator.start_line())?;
        out.flush()?;
    }
    tokio::select! {
        _ = sigint.recv() => {}
        _ = sigterm.recv() => {}
    }
    tracing::info!("signal received; shutting down");
    emulator.shutdown().await;
    Ok(())
}

/// `--print-env`: starts the emulator as a child process (the same arguments without
/// `--print-env`), reads its start line, prints `export` lines for a POSIX shell and exits 0, leaving
/// the child serving. Command substitution (`eval "$(modelarts-emulator --print-env)"`) returns as
/// soon as this process exits, since the child's stdout is another pipe. The child's logs are
/// discarded; run without `--print-env` to see them.
fn print_env(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    // Refuse a bad configuration here, where the error can still be shown.
    config(args)?;
    let exe = std::env::current_exe()?;
    let child_args: Vec<std::ffi::OsString> =
        std::env::args_os().skip(1).filter(|a| a != "--print-env").collect();
    let mut child = std::process::Command::new(exe)
        .args(child_args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let mut line = String::new();
    if let Some(stdout) = child.stdout.take() {
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
    }
    let start: serde_json::Value = match serde_json::from_str(line.trim()) {
        Ok(value) => value,
        Err(_) => {
            let status = child.wait()?;
            return Err(format!(
                "the emulator did not start ({status}); run it without --print-env to see why"
            )
            .into());
        }
    };
    let field = |name: &str| start.get(name).and_then(serde_json::Value::as_str).map(str::to_owned);
    let mut vars = Vec::new();
    for (var, name) in [
        ("MODELARTS_ENDPOINT_URL", "endpoint"),
        ("MODELARTS_CA_BUNDLE", "ca_cert"),
        ("HUAWEICLOUD_SDK_AK", "ak"),
        ("HUAWEICLOUD_SDK_SK", "sk"),
        ("HUAWEICLOUD_SDK_SECURITY_TOKEN", "security_token"),
        ("HUAWEICLOUD_SDK_PROJECT_ID", "project_id"),
        ("MODELARTS_EMULATOR_ADMIN", "admin"),
    ] {
        if let Some(value) = field(name) {
            vars.push((var, value));
        }
    }
    vars.push(("MODELARTS_EMULATOR_PID", child.id().to_string()));
    let mut out = std::io::stdout().lock();
    for (name, value) in vars {
        writeln!(out, "export {name}={}", shell_quote(&value))?;
    }
    writeln!(
        out,
        "# modelarts-emulator serves {} until SIGINT/SIGTERM: kill $MODELARTS_EMULATOR_PID",
        field("endpoint").unwrap_or_default()
    )?;
    out.flush()?;
    Ok(())
}

/// Single-quotes `text` for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(args.log_level)
        .with_ansi(false)
        .init();
    if args.print_env {
        return match print_env(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        runtime.worker_threads(n.max(1));
    }
    let runtime = match runtime.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the tokio runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let mut message = e.to_string();
            let mut source = e.source();
            while let Some(s) = source {
                message.push_str(": ");
                message.push_str(&s.to_string());
                source = s.source();
            }
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("plain"), "'plain'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn durations() {
        let ok = [("2s", 2000), ("200ms", 200), ("1.5s", 1500), ("1m", 60_000), ("3", 3000)];
        for (text, ms) in ok {
            assert_eq!(parse_duration(text), Ok(Duration::from_millis(ms)), "{text}");
        }
        for bad in ["", "s", "2x", "-1s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
