//! The command line as clap derive types: every command, flag and environment variable.
//!
//! Values are validated here, before any request: IDs with the protocol crate's `FromStr`, status
//! names with `JobStatus::from_name`, durations with humantime. Nothing here knows what a status or
//! an error code means.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::PossibleValuesParser;
use clap::builder::TypedValueParser;
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use modelarts_protocol::iam::token::MfaCode;
use modelarts_protocol::operations::list_training_jobs::{Order, SortBy};
use modelarts_protocol::target::ApiVersion;
use modelarts_protocol::v2::Phase;
use modelarts_protocol::{JobId, JobStatus, ProjectId};

use crate::exit::ExitStatus;

/// The `modelarts` command line.
#[derive(Debug, Parser)]
#[command(
    name = "modelarts",
    version,
    about = "Stop, inspect and wait for ModelArts training jobs",
    long_about = "Stop, inspect and wait for ModelArts training jobs (Huawei Cloud, Open Telekom Cloud).\n\n\
        Two APIs, told apart by the ID: v2 (current) names a job by a UUID \
        (`modelarts training-job stop 3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab`) or by its exact name \
        (`modelarts training-job stop llama-finetune`); v1 (historical) by a numeric \
        job ID and a version (`modelarts training-job stop 1001 --version 1`). `--api v1|v2` forces one.\n\n\
        Data goes to stdout; messages, progress and errors go to stderr. Settings come from flags, \
        then environment variables, then the profile in ~/.huaweicloud (see `modelarts configure list`).",
    after_help = ExitStatus::help_section()
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Stop, show, list and wait for training jobs and their versions.
    #[command(subcommand, name = "training-job", visible_alias = "job")]
    TrainingJob(TrainingJobCommand),
    /// Print a shell completion script to stdout.
    #[command(
        after_help = "Examples:\n  modelarts completions bash > ~/.local/share/bash-completion/completions/modelarts\n  \
        modelarts completions zsh > \"${fpath[1]}/_modelarts\"\n  \
        modelarts completions fish > ~/.config/fish/completions/modelarts.fish"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Show the configuration that would be used, prove it, or write a profile.
    #[command(subcommand)]
    Configure(ConfigureCommand),
}

impl Command {
    /// Whether the command changes anything at the service (a stop): it then goes on when stdout
    /// closes, where a read-only command ends.
    pub(crate) fn changes_state(&self) -> bool {
        matches!(self, Command::TrainingJob(TrainingJobCommand::Stop(_)))
    }
}

/// `modelarts configure …`
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigureCommand {
    /// List every setting that would be used, with its value and where it comes from (secrets masked).
    List,
    /// Prove the credentials with one IAM call: prints the region, the project ID and where it came
    /// from, and the measured clock skew.
    Test,
    /// Write a profile into the credentials file (`~/.huaweicloud/credentials`, or
    /// HUAWEICLOUD_SDK_CREDENTIALS_FILE): the section of --profile (default `basic`) is added or
    /// replaced, the rest of the file kept byte for byte; the file is 0600. On a terminal it asks
    /// for what the flags did not give (the secret key without echo); otherwise the secret key is
    /// read from stdin, one line. --region, --project-id and --endpoint-url are written too.
    #[command(
        after_help = "Examples:\n  modelarts configure init\n  modelarts configure init --access-key AK --region cn-north-4 < secret-key.txt"
    )]
    Init(InitArgs),
}

/// `configure init`
#[derive(Debug, Clone, Args)]
pub(crate) struct InitArgs {
    /// The access key (not a secret; the secret key is never taken on the command line).
    #[arg(long, value_name = "AK")]
    pub(crate) access_key: Option<String>,
}

/// `modelarts training-job …`
#[derive(Debug, Subcommand)]
pub(crate) enum TrainingJobCommand {
    /// Stop a training job (v2 UUID) or job version (v1), a list of them (--from-file), or every
    /// running job (--running).
    #[command(after_help = STOP_EXAMPLES, after_long_help = STOP_AFTER_HELP)]
    Stop(StopArgs),
    /// Show a training job (v2 UUID) or one version of a job (v1 JOB_ID --version).
    #[command(after_help = SHOW_EXAMPLES, after_long_help = SHOW_AFTER_HELP)]
    Show(ShowArgs),
    /// List training jobs (one page, or every page with --all); v2 jobs with --api v2.
    List(ListArgs),
    /// List the versions of a training job (v1).
    Versions(VersionsArgs),
    /// Wait until a job is stopped (v2 Terminated; v1 KILLED or CANCELED).
    #[command(after_help = WAIT_EXAMPLES, after_long_help = WAIT_AFTER_HELP)]
    Wait(WaitArgs),
    /// Print a job's log: the latest lines, or every new line until the job ends (--follow).
    #[command(after_help = LOGS_EXAMPLES, after_long_help = LOGS_AFTER_HELP)]
    Logs(LogsArgs),
    /// List a v2 job's events: state changes, warnings and errors.
    Events(EventsArgs),
}

/// How an ID picks the API, for the commands on one job, followed by `$examples`. One line per
/// paragraph: help wraps it to the terminal's width, and `docs/cli.md` keeps sentences whole.
macro_rules! routing_help {
    ($examples:expr) => {
        concat!(
            "Two APIs: v2 (current) names a job by a UUID alone; v1 (historical) by a numeric JOB_ID and \
            --version VERSION_ID. The ID's shape picks the API; --api v1|v2 forces it.\n\n\
            A v2 job may also be named by its exact name (case included; `bert` is not `bert-large`): an ID \
            that is neither a UUID nor a number is a name, and --name reads any ID as one. A name that several \
            jobs bear is refused with the list of them (exit 2); one that no job bears exits 4. stop and wait \
            consider only jobs that have not ended; show, logs and events every job.\n\n",
            $examples
        )
    };
}

macro_rules! show_examples {
    () => {
        "Examples:
  modelarts training-job show 3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab
  modelarts training-job show llama-finetune
  modelarts training-job show 10 --version 20"
    };
}

const SHOW_EXAMPLES: &str = show_examples!();

const SHOW_AFTER_HELP: &str = routing_help!(show_examples!());

macro_rules! wait_examples {
    () => {
        "Examples:
  modelarts training-job wait 3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab
  modelarts training-job wait llama-finetune --max-wait 10m
  modelarts training-job wait 10 --version 20"
    };
}

const WAIT_EXAMPLES: &str = wait_examples!();

const WAIT_AFTER_HELP: &str = routing_help!(wait_examples!());

macro_rules! stop_examples {
    () => {
        "Examples:
  modelarts training-job stop 3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab --wait
  modelarts training-job stop llama-finetune
  modelarts training-job stop 10 --version 20 --wait --max-wait 10m
  modelarts training-job stop --from-file stops.txt --yes --output json
  modelarts training-job stop --running --search resnet --api v2"
    };
}

const STOP_EXAMPLES: &str = stop_examples!();

const STOP_AFTER_HELP: &str = concat!(
    "Two APIs: v2 (current) names a job by a UUID alone; v1 (historical) by a numeric JOB_ID and \
    --version VERSION_ID. The ID's shape picks the API; --api v1|v2 forces it (--running lists v1 \
    jobs unless --api v2). A v2 job may also be named by its exact name: an ID that is neither a UUID \
    nor a number is one, and --name reads any ID as one; only jobs that have not ended count, and a \
    name that two of them bear is refused with the list of them (exit 2).\n\n\
    A stop is asynchronous: a v2 job goes Terminating, then Terminated; a v1 version KILLING, then \
    KILLED. Use --wait to see it through. Stopping a job that is already stopping or stopped succeeds \
    (exit 0) unless --strict; one that already ended otherwise (v2 Completed, Failed, Abnormal; v1 \
    COMPLETED, FAILED, ...) exits 7.\n\n\
    Batch stops (--from-file, --running) run --concurrency stops at a time and print one outcome per \
    version as it finishes (one JSON document per line with --output json; `line` or LINE tells which \
    input line it answers). On a terminal they ask for confirmation first, showing the API, ID, name, \
    status and creation time of what is to be stopped (read first for --from-file; declining exits 8, \
    nothing sent); when stdin is not a terminal they refuse to run without --yes (exit 2). Ctrl-C ends \
    the batch: targets without an outcome yet are reported `unknown`, and the exit status is 130.\n\n\
    --from-file format: one v2 UUID, or one v1 `JOB_ID VERSION_ID` pair (separated by spaces, tabs or \
    a comma), per line; both kinds may be mixed. Blank lines and `#` comments are skipped. A malformed \
    line is an error naming its line number, reported before any request is sent. `-` reads standard \
    input (then --yes is required).\n\n",
    stop_examples!()
);

/// Where settings come from when neither a flag nor an environment variable gives them.
const GLOBAL_HEADING: &str = "Global options";

/// Options every command takes.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = GLOBAL_HEADING)]
pub(crate) struct GlobalArgs {
    /// Region, e.g. `cn-north-4`, `ap-southeast-1` or `eu-de` (Open Telekom Cloud).
    #[arg(long, global = true, hide_short_help = true, env = "MODELARTS_REGION", value_name = "REGION", value_parser = region_parser(), hide_possible_values = true)]
    pub(crate) region: Option<String>,

    /// IAM project ID (the `{project_id}` of every request path).
    #[arg(long, global = true, hide_short_help = true, env = "HUAWEICLOUD_SDK_PROJECT_ID", value_name = "ID", value_parser = parse_project_id)]
    pub(crate) project_id: Option<ProjectId>,

    /// The v2 workspace that `list` and `stop --running` read (default: the service's default
    /// workspace, `0`); also the profile key `workspace_id`.
    #[arg(long, global = true, hide_short_help = true, env = "MODELARTS_WORKSPACE_ID", value_name = "ID")]
    pub(crate) workspace_id: Option<String>,

    /// Endpoint URL, overriding the region's (e.g. an emulator or a private endpoint).
    #[arg(long, global = true, hide_short_help = true, env = "MODELARTS_ENDPOINT_URL", value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,

    /// IAM endpoint for the project lookup, logins and agencies [default: the region's IAM endpoint].
    #[arg(
        long,
        global = true,
        hide_short_help = true,
        env = "HUAWEICLOUD_SDK_IAM_ENDPOINT",
        value_name = "URL"
    )]
    pub(crate) iam_endpoint: Option<String>,

    /// Agency to assume with the credentials (temporary keys); needs --agency-domain. A user name
    /// and password are read from HUAWEICLOUD_SDK_USERNAME/_PASSWORD/_DOMAIN_NAME or the profile
    /// only, never from the command line.
    #[arg(long, global = true, hide_short_help = true, env = "MODELARTS_AGENCY_NAME", value_name = "NAME")]
    pub(crate) agency_name: Option<String>,

    /// Account (domain) name that created the agency of --agency-name.
    #[arg(
        long,
        global = true,
        hide_short_help = true,
        env = "MODELARTS_AGENCY_DOMAIN",
        value_name = "DOMAIN"
    )]
    pub(crate) agency_domain: Option<String>,

    /// Current code of the virtual MFA device of a password login whose IAM user has MFA login
    /// protection (six digits; with --user-id). Never read from a file; the token it gets is cached,
    /// so later runs need no code until it is renewed.
    #[arg(long, global = true, hide_short_help = true, env = "MODELARTS_MFA_CODE", hide_env_values = true, value_name = "CODE", value_parser = parse_mfa_code)]
    pub(crate) mfa_code: Option<MfaCode>,

    /// IAM user id sent with --mfa-code (console: My Credentials); also profile key `user_id`.
    #[arg(long, global = true, hide_short_help = true, env = "MODELARTS_USER_ID", value_name = "ID")]
    pub(crate) user_id: Option<String>,

    /// Profile of ~/.huaweicloud/credentials to read.
    #[arg(long, global = true, hide_short_help = true, env = "MODELARTS_PROFILE", value_name = "NAME")]
    pub(crate) profile: Option<String>,

    /// Output format: `table` for people; `json` for programs (one document; batch stops print one
    /// document per outcome per line); `jsonl` (one JSON document per job, version, setting or
    /// outcome, per line). See "JSON output" in docs/cli.md for every field.
    #[arg(short, long, global = true, hide_short_help = true, env = "MODELARTS_OUTPUT", value_enum, default_value_t = OutputFormat::Table)]
    pub(crate) output: OutputFormat,

    /// Extra CA certificates to trust (PEM file).
    #[arg(long, global = true, hide_short_help = true, env = "MODELARTS_CA_BUNDLE", value_name = "PEM")]
    pub(crate) ca_bundle: Option<PathBuf>,

    /// Do not verify TLS certificates. Dangerous: a warning is printed on every run.
    #[arg(long, global = true, hide_short_help = true)]
    pub(crate) insecure: bool,

    /// Time allowed to open a connection, e.g. `5s`.
    #[arg(long, global = true, hide_short_help = true, value_name = "DURATION", value_parser = parse_timeout)]
    pub(crate) connect_timeout: Option<Duration>,

    /// Time allowed for each attempt (headers and body), e.g. `30s`.
    #[arg(long, global = true, hide_short_help = true, value_name = "DURATION", value_parser = parse_timeout)]
    pub(crate) timeout: Option<Duration>,

    /// Attempts per request, retries included (1 = no retries).
    #[arg(long, global = true, hide_short_help = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=20))]
    pub(crate) max_attempts: Option<u32>,

    /// More logs on stderr (-v: info, -vv: debug, -vvv: trace). `RUST_LOG` overrides.
    #[arg(short, long, global = true, hide_short_help = true, action = ArgAction::Count, hide_short_help = true)]
    pub(crate) verbose: u8,

    /// Only errors on stderr: no progress, notes or warnings (except --insecure's).
    #[arg(
        short,
        long,
        global = true,
        hide_short_help = true,
        conflicts_with = "verbose",
        hide_short_help = true
    )]
    pub(crate) quiet: bool,

    /// Hide the spinner and progress bar.
    #[arg(long, global = true, hide_short_help = true)]
    pub(crate) no_progress: bool,

    /// Print the signed request(s) as HTTP and as curl, with secrets masked, and send nothing to
    /// ModelArts (a login or project lookup the credentials need is still made, read-only).
    #[arg(long, global = true, hide_short_help = true)]
    pub(crate) dry_run: bool,

    /// Do not ask for confirmation before a batch stop (required when stdin is not a terminal).
    #[arg(short = 'y', long, global = true, hide_short_help = true)]
    pub(crate) yes: bool,
}

/// `--output`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Aligned columns for people.
    Table,
    /// Stable JSON for programs: one document.
    Json,
    /// One JSON document per item, per line (streams).
    Jsonl,
}

/// How long and how often to poll while waiting.
#[derive(Debug, Clone, Args)]
pub(crate) struct WaitOptionsArgs {
    /// Give up waiting after this long, e.g. `30m`, `90s`, `1h30m` [default: 30m].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) max_wait: Option<Duration>,

    /// The first and shortest delay between polls [default: 2s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) poll_min: Option<Duration>,

    /// The longest delay between polls [default: 30s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) poll_max: Option<Duration>,
}

/// `--api`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ApiArg {
    /// The historical API: numeric job and version IDs.
    V1,
    /// The current API: UUID job IDs.
    V2,
}

impl From<ApiArg> for ApiVersion {
    fn from(a: ApiArg) -> Self {
        match a {
            ApiArg::V1 => ApiVersion::V1,
            ApiArg::V2 => ApiVersion::V2,
        }
    }
}

/// `training-job stop`
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["job_id", "running", "from_file"])))]
pub(crate) struct StopArgs {
    /// The job: a v2 UUID or exact name, or a v1 numeric job ID (with --version).
    #[arg(value_name = "ID")]
    pub(crate) job_id: Option<String>,

    /// Read ID as a v2 job's exact name, even when it looks like a UUID or a number (an ID that is
    /// neither is a name already).
    #[arg(long = "name", requires = "job_id", conflicts_with = "version")]
    pub(crate) by_name: bool,

    /// The v1 version to stop (v2 jobs have no versions).
    #[arg(long, value_name = "VERSION_ID", requires = "job_id")]
    pub(crate) version: Option<String>,

    /// The API: by default the ID's shape decides (a UUID is v2, digits with --version v1);
    /// with --running, both APIs (v2 first) unless `MODELARTS_API` or the profile's `api` chooses.
    #[arg(long, value_enum)]
    pub(crate) api: Option<ApiArg>,

    /// With --running: every v2 workspace the credentials can list, not only one.
    #[arg(long, requires = "running", conflicts_with = "workspace_id")]
    pub(crate) all_workspaces: bool,

    /// Stop every running job (v1: its latest version; see --search and --api).
    #[arg(long, conflicts_with = "from_file")]
    pub(crate) running: bool,

    /// With --running: only jobs whose name contains this text.
    #[arg(long, value_name = "TEXT", requires = "running")]
    pub(crate) search: Option<String>,

    /// Stop the jobs listed in FILE (`-` for stdin): one UUID (v2) or `JOB_ID VERSION_ID` (v1) per line.
    #[arg(long, value_name = "FILE")]
    pub(crate) from_file: Option<PathBuf>,

    /// Batch stops: how many run at once.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub(crate) concurrency: u32,

    /// Wait until the job is stopped (v2 Terminated; v1 KILLED or CANCELED), with a live status on
    /// stderr.
    #[arg(long)]
    pub(crate) wait: bool,

    /// Fail (exit 4) when the job was already stopping, stopped or finished, instead of treating
    /// it as done.
    #[arg(long)]
    pub(crate) strict: bool,

    /// With --wait: when the version ends otherwise (FAILED, COMPLETED, …) or the wait times out,
    /// print its last N log lines on stderr.
    #[arg(long, value_name = "N", requires = "wait", conflicts_with_all = ["running", "from_file"], value_parser = clap::value_parser!(u32).range(1..=500))]
    pub(crate) logs_on_exit: Option<u32>,

    #[command(flatten)]
    pub(crate) wait_options: WaitOptionsArgs,
}

/// `training-job show`
#[derive(Debug, Clone, Args)]
pub(crate) struct ShowArgs {
    /// The job: a v2 UUID or exact name, or a v1 numeric job ID (with --version).
    #[arg(value_name = "ID")]
    pub(crate) job_id: String,
    /// Read ID as a v2 job's exact name, even when it looks like a UUID or a number (an ID that is
    /// neither is a name already).
    #[arg(long = "name", conflicts_with = "version")]
    pub(crate) by_name: bool,
    /// The v1 version to show.
    #[arg(long, value_name = "VERSION_ID")]
    pub(crate) version: Option<String>,
    /// The API: by default the ID's shape decides.
    #[arg(long, value_enum)]
    pub(crate) api: Option<ApiArg>,
}

/// `training-job versions`
#[derive(Debug, Clone, Args)]
pub(crate) struct VersionsArgs {
    /// The training job's ID.
    #[arg(value_name = "JOB_ID", value_parser = parse_job_id)]
    pub(crate) job_id: JobId,
}

/// `training-job wait`
#[derive(Debug, Clone, Args)]
pub(crate) struct WaitArgs {
    /// The job: a v2 UUID or exact name, or a v1 numeric job ID (with --version).
    #[arg(value_name = "ID")]
    pub(crate) job_id: String,
    /// Read ID as a v2 job's exact name, even when it looks like a UUID or a number (an ID that is
    /// neither is a name already).
    #[arg(long = "name", conflicts_with = "version")]
    pub(crate) by_name: bool,
    /// The v1 version to wait for.
    #[arg(long, value_name = "VERSION_ID")]
    pub(crate) version: Option<String>,
    /// The API: by default the ID's shape decides.
    #[arg(long, value_enum)]
    pub(crate) api: Option<ApiArg>,
    #[command(flatten)]
    pub(crate) wait_options: WaitOptionsArgs,
}

/// The sort fields the API accepts, by their API names.
const SORT_FIELDS: [&str; 6] = ["job_name", "job_desc", "status", "duration", "version_count", "create_time"];

/// `training-job list`
#[derive(Debug, Clone, Args)]
pub(crate) struct ListArgs {
    /// Only jobs in this status: a name (`running`, `killed`, `JOBSTAT_FAILED`, …) or a code (`8`);
    /// with --api v2 a phase (`running`, `terminating`, `terminated`, `pending`, …), v1 names
    /// mapped to phases (`killed` is `Terminated`).
    #[arg(long, value_name = "STATUS", value_parser = status_parser(), allow_negative_numbers = true)]
    pub(crate) status: Option<StatusArg>,

    /// The API to list: v2 (current, UUIDs) or v1 (historical, numeric IDs); default both (the
    /// first page of each, newest first), unless `MODELARTS_API` or the profile's `api` chooses.
    #[arg(long, value_enum)]
    pub(crate) api: Option<ApiArg>,

    /// Every v2 workspace the credentials can list, not only one (the first page of each).
    #[arg(long, conflicts_with_all = ["workspace_id", "all", "page"])]
    pub(crate) all_workspaces: bool,

    /// Only jobs whose name contains this text (at most 64 characters).
    #[arg(long, value_name = "TEXT", value_parser = parse_search)]
    pub(crate) search: Option<String>,

    /// Sort field.
    #[arg(long, value_name = "FIELD", value_parser = PossibleValuesParser::new(SORT_FIELDS)
        .try_map(|s: String| SortBy::from_name(&s).ok_or("unknown sort field")))]
    pub(crate) sort_by: Option<SortBy>,

    /// Sort order.
    #[arg(long, value_enum)]
    pub(crate) order: Option<OrderArg>,

    /// Every page (page size: --per-page, or 100).
    #[arg(long, conflicts_with = "page")]
    pub(crate) all: bool,

    /// The page to show (from 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=65535))]
    pub(crate) page: Option<u32>,

    /// Jobs per page (1 to 1000; v2: 1 to 50).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub(crate) per_page: Option<u32>,
}

/// `--order`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OrderArg {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

impl From<OrderArg> for Order {
    fn from(o: OrderArg) -> Self {
        match o {
            OrderArg::Asc => Order::Asc,
            OrderArg::Desc => Order::Desc,
        }
    }
}

/// A value parser that checks with `parse` and offers `values` to shell completions (and help),
/// while accepting anything `parse` accepts: `--status 8`, `--status JOBSTAT_RUNNING`, a region
/// this build does not know yet (the SDK then says what is wrong).
#[derive(Clone)]
pub(crate) struct OfferingParser<T: Clone + Send + Sync + 'static> {
    parse: fn(&str) -> Result<T, String>,
    values: fn() -> Vec<&'static str>,
}

impl<T: Clone + Send + Sync + 'static> TypedValueParser for OfferingParser<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let text = value.to_str().ok_or_else(|| {
            clap::Error::raw(clap::error::ErrorKind::InvalidUtf8, "the value is not valid UTF-8\n")
                .with_cmd(cmd)
        })?;
        (self.parse)(text).map_err(|reason| {
            let name = arg.map_or_else(|| "value".to_owned(), ToString::to_string);
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid value {text:?} for {name}: {reason}\n"),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new((self.values)().into_iter().map(clap::builder::PossibleValue::new)))
    }
}

fn region_parser() -> OfferingParser<String> {
    OfferingParser { parse: |s| Ok(s.to_owned()), values: known_regions }
}

fn status_parser() -> OfferingParser<StatusArg> {
    OfferingParser { parse: parse_status_arg, values: status_names }
}

/// `--status` for either API: the v1 status, and the v2 phases it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusArg {
    /// As typed.
    pub(crate) text: String,
    /// The v1 status, if the text names one.
    pub(crate) v1: Option<JobStatus>,
    /// The v2 phases: the phase named, or the ones a v1 status maps to.
    pub(crate) phases: Vec<Phase>,
}

/// A v1 status or code, or a v2 phase; v1 names map to the phases they mean
/// ([`Phase::from_filter`]).
fn parse_status_arg(s: &str) -> Result<StatusArg, String> {
    let v1 = parse_status(s);
    let phases: Vec<Phase> = Phase::from_filter(s).into_iter().collect();
    match (v1, phases.is_empty()) {
        (Err(e), true) => Err(format!(
            "{e}; with --api v2 one of: {}",
            Phase::ALL.iter().map(|p| p.as_str().to_ascii_lowercase()).collect::<Vec<_>>().join(", ")
        )),
        (v1, _) => Ok(StatusArg { text: s.to_owned(), v1: v1.ok(), phases }),
    }
}

/// The status names offered to completions and help, in code order (a test checks them against
/// the protocol's names).
const STATUS_NAMES: [&str; 23] = [
    "unknown",
    "init",
    "image_creating",
    "image_failed",
    "submit_trying",
    "submit_failed",
    "delete_failed",
    "waiting",
    "running",
    "killing",
    "completed",
    "failed",
    "killed",
    "canceled",
    "lost",
    "scaling",
    "submit_model_failed",
    "deploy_service_failed",
    "check_init",
    "check_running",
    "check_running_completed",
    "check_failed",
    "mount_failed",
];

fn status_names() -> Vec<&'static str> {
    STATUS_NAMES.to_vec()
}

/// Every region with a known ModelArts endpoint, sorted.
pub(crate) fn known_regions() -> Vec<&'static str> {
    let mut regions: Vec<&'static str> = modelarts_protocol::endpoint::HUAWEI_CLOUD_REGIONS
        .iter()
        .chain(modelarts_protocol::endpoint::OPEN_TELEKOM_CLOUD_REGIONS)
        .copied()
        .collect();
    regions.sort_unstable();
    regions
}

fn parse_job_id(s: &str) -> Result<JobId, String> {
    s.parse().map_err(|e: modelarts_protocol::ids::IdError| e.to_string())
}

fn parse_project_id(s: &str) -> Result<ProjectId, String> {
    s.parse().map_err(|e: modelarts_protocol::ids::IdError| e.to_string())
}

/// The code goes straight into the redacting type, so no `Debug` of the arguments shows it; its
/// form (six digits) is checked when the configuration is resolved, for every source alike.
fn parse_mfa_code(s: &str) -> Result<MfaCode, String> {
    Ok(MfaCode::new(s))
}

/// Durations as `30m`, `90s`, `1h30m`, `500ms`.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("invalid duration {s:?} ({e}); use e.g. `90s`, `30m` or `1h30m`"))
}

/// A timeout: a duration greater than zero.
fn parse_timeout(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d.is_zero() => Err(format!("invalid timeout {s:?}: it must be greater than zero")),
        d => Ok(d),
    }
}

/// A status name or a documented code; an unknown code (`99`, `-1`) is refused here rather than
/// sent as a filter that matches nothing.
fn parse_status(s: &str) -> Result<JobStatus, String> {
    let names: Vec<String> = JobStatus::ALL.iter().map(|s| s.name().to_ascii_lowercase()).collect();
    let codes = JobStatus::ALL.iter().map(|s| s.code());
    let range = format!("{}..={}", codes.clone().min().unwrap_or(0), codes.max().unwrap_or(0));
    match JobStatus::from_name(s) {
        Some(JobStatus::Unknown(code)) => {
            Err(format!("unknown status code {code}; use a code in {range} or one of: {}", names.join(", ")))
        }
        Some(status) => Ok(status),
        None => Err(format!("unknown status {s:?}; use a code in {range} or one of: {}", names.join(", "))),
    }
}

fn parse_search(s: &str) -> Result<String, String> {
    if s.chars().count() > 64 {
        Err(format!("the search text is {} characters long; at most 64 are allowed", s.chars().count()))
    } else {
        Ok(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use modelarts_protocol::waiter::WaitOptions;

    use super::*;

    #[test]
    fn the_command_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_arguments_debug_never_shows_the_mfa_code() {
        let parsed = Cli::try_parse_from([
            "modelarts",
            "--mfa-code",
            "135797",
            "--user-id",
            "u1",
            "training-job",
            "list",
        ]);
        let cli = parsed.as_ref().expect("the arguments parse");
        assert_eq!(cli.global.mfa_code.as_ref().map(MfaCode::expose), Some("135797"), "the code is kept");
        let debug = format!("{parsed:?}");
        assert!(debug.contains("mfa_code") && !debug.contains("135797"), "{debug}");
    }

    #[test]
    fn documented_wait_defaults_match_the_protocol() {
        let d = WaitOptions::default();
        let cmd = Cli::command();
        let stop =
            cmd.find_subcommand("training-job").and_then(|c| c.find_subcommand("stop")).expect("stop exists");
        for (flag, value) in [("max_wait", d.max_wait), ("poll_min", d.min_delay), ("poll_max", d.max_delay)]
        {
            let arg = stop.get_arguments().find(|a| a.get_id() == flag).expect("flag exists");
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            let expected = format!("[default: {}]", humantime::format_duration(value));
            assert!(help.contains(&expected), "{flag}: {help:?} lacks {expected}");
        }
    }

    #[test]
    fn offered_status_names_are_the_protocol_names() {
        let names: Vec<String> = JobStatus::ALL.iter().map(|s| s.name().to_ascii_lowercase()).collect();
        assert_eq!(names, STATUS_NAMES);
    }

    #[test]
    fn completions_offer_status_region_and_output_values() {
        let cmd = Cli::command();
        let list = cmd.find_subcommand("training-job").and_then(|c| c.find_subcommand("list")).unwrap();
        let values = |arg: &clap::Arg| -> Vec<String> {
            arg.get_value_parser()
                .possible_values()
                .map(|v| v.map(|p| p.get_name().to_owned()).collect())
                .unwrap_or_default()
        };
        let status = list.get_arguments().find(|a| a.get_id() == "status").unwrap();
        assert!(values(status).contains(&"running".to_owned()));
        let region = cmd.get_arguments().find(|a| a.get_id() == "region").unwrap();
        assert!(values(region).contains(&"eu-de".to_owned()));
        let output = cmd.get_arguments().find(|a| a.get_id() == "output").unwrap();
        assert_eq!(values(output), ["table", "json", "jsonl"]);
        assert_eq!(output.get_short(), Some('o'));
        // Values outside the offered list are still accepted where the parser accepts them.
        assert!(Cli::try_parse_from(["modelarts", "training-job", "list", "--status", "8"]).is_ok());
        assert!(Cli::try_parse_from(["modelarts", "--region", "xx-new-1", "configure", "list"]).is_ok());
    }

    #[test]
    fn status_names_map_to_v2_phases() {
        let arg = parse_status_arg("killed").unwrap();
        assert_eq!((arg.v1, arg.phases), (Some(JobStatus::Killed), vec![Phase::Terminated]));
        let arg = parse_status_arg("Terminating").unwrap();
        assert_eq!((arg.v1, arg.phases), (None, vec![Phase::Terminating]));
        assert_eq!(parse_status_arg("running").unwrap().phases, [Phase::Running]);
        assert_eq!(parse_status_arg("8").unwrap().v1, Some(JobStatus::Running));
        assert!(parse_status_arg("scaling").unwrap().phases.is_empty());
        assert!(parse_status_arg("sleeping").unwrap_err().contains("with --api v2 one of: creating"));
    }

    #[test]
    fn parsers_table() {
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_timeout("0s").unwrap_err().contains("greater than zero"));
        assert_eq!(parse_timeout("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_status("killed"), Ok(JobStatus::Killed));
        assert_eq!(parse_status("12"), Ok(JobStatus::Killed));
        assert!(parse_status("sleeping").unwrap_err().contains("running"));
        for code in ["99", "-1", "23", "2147483648"] {
            let error = parse_status(code).unwrap_err();
            assert!(error.contains("0..=22"), "{code}: {error}");
        }
        assert_eq!(parse_status("0"), Ok(JobStatus::Undetermined));
        assert_eq!(parse_status("22"), Ok(JobStatus::MountFailed));
        assert!(parse_job_id("x").unwrap_err().contains("job_id"));
        assert!(parse_search(&"a".repeat(65)).is_err());
    }

    #[test]
    fn stop_requires_a_target_and_a_version() {
        let parse =
            |args: &[&str]| Cli::try_parse_from(["modelarts", "training-job", "stop"].iter().chain(args));
        assert!(parse(&["10", "--version", "20"]).is_ok());
        assert!(parse(&["--running"]).is_ok());
        assert!(parse(&["--from-file", "x"]).is_ok());
        assert!(parse(&["3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab"]).is_ok());
        assert!(parse(&["--running", "--api", "v2"]).is_ok());
        assert!(parse(&[]).is_err());
        assert!(parse(&["--running", "--from-file", "x"]).is_err());
        assert!(parse(&["--search", "x"]).is_err());
        assert!(parse(&["10", "--api", "v3"]).is_err());
        // The ID's shape against --version and --api is checked by the routing (exit 2, a message
        // naming both APIs), not by clap.
        assert!(parse(&["10"]).is_ok());
    }
}

// `training-job logs` and `events`.

macro_rules! logs_examples {
    () => {
        "Examples:
  modelarts training-job logs 10 --version 20 --lines 100
  modelarts training-job logs llama-finetune --follow --stall-after 10m
  modelarts training-job logs llama-finetune --task worker-1 --lines 100
  modelarts training-job events llama-finetune --level error"
    };
}

const LOGS_EXAMPLES: &str = logs_examples!();

const LOGS_AFTER_HELP: &str = concat!(
    "The ID says which API: digits with --version are a v1 job version, a UUID is a v2 job (--api forces \
    one). v1 logs are files (one per worker; the first unless --file); v2 logs are per task (worker-0 \
    unless --task). Lines go to stdout with control characters escaped (ESC as \\e) unless --raw; \
    --output jsonl prints one {\"line\": …} document per line and, with --follow, the stall and end \
    events. v1 pages hold at most 500 lines: a larger --lines is refused before anything is sent.\n\n\
    --follow re-reads the log from the last line seen (paced like --wait: --poll-min, doubling to \
    --poll-max while the log is quiet) until the job is final, then exits 0; --max-wait ends it \
    earlier (exit 6). --stall-after warns on stderr, once per quiet spell, when no line came for that \
    long while the job still runs: a job that shows RUNNING but has stopped moving.\n\n",
    logs_examples!()
);

/// `training-job logs`
#[derive(Debug, Clone, Args)]
pub(crate) struct LogsArgs {
    /// The job: a v1 job ID (with --version), or a v2 job's ID (a UUID) or exact name.
    #[arg(value_name = "ID")]
    pub(crate) id: String,
    /// Read ID as a v2 job's exact name, even when it looks like a UUID or a number (an ID that is
    /// neither is a name already).
    #[arg(long = "name", conflicts_with = "version")]
    pub(crate) by_name: bool,
    /// The v1 version.
    #[arg(long, value_name = "VERSION_ID")]
    pub(crate) version: Option<String>,
    /// Force the API (`v1` or `v2`) instead of telling it by the ID's shape.
    #[arg(long, value_enum)]
    pub(crate) api: Option<ApiArg>,
    /// The v2 task, e.g. `worker-1` [default: worker-0].
    #[arg(long, value_name = "TASK", conflicts_with = "file")]
    pub(crate) task: Option<String>,
    /// The v1 log file [default: the first of the version's files].
    #[arg(long, value_name = "FILE")]
    pub(crate) file: Option<String>,
    /// How many of the latest lines to print first (v1: at most 500).
    #[arg(short = 'n', long, value_name = "N", default_value_t = 50)]
    pub(crate) lines: u32,
    /// Keep printing new lines until the job is final.
    #[arg(short, long)]
    pub(crate) follow: bool,
    /// With --follow: warn on stderr when no line came for this long while the job runs.
    #[arg(long, value_name = "DURATION", requires = "follow", value_parser = parse_timeout)]
    pub(crate) stall_after: Option<Duration>,
    /// Print the lines exactly as received (control characters included).
    #[arg(long)]
    pub(crate) raw: bool,
    /// v2: print a temporary address of the task's whole log instead (`preview` to view it,
    /// `download` to save it); it is presigned, so share it with care.
    #[arg(long, value_name = "KIND", value_enum, conflicts_with_all = ["follow", "raw"])]
    pub(crate) url: Option<LogUrlArg>,
    #[command(flatten)]
    pub(crate) wait_options: WaitOptionsArgs,
}

/// `logs --url`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogUrlArg {
    /// An address to view the log.
    Preview,
    /// An address to download it.
    Download,
}

/// `training-job events`
#[derive(Debug, Clone, Args)]
pub(crate) struct EventsArgs {
    /// The v2 job's ID (a UUID) or exact name.
    #[arg(value_name = "ID")]
    pub(crate) id: String,
    /// Read ID as a v2 job's exact name, even when it looks like a UUID or a number (an ID that is
    /// neither is a name already).
    #[arg(long = "name")]
    pub(crate) by_name: bool,
    /// Force the API (only `v2` has events).
    #[arg(long, value_enum)]
    pub(crate) api: Option<ApiArg>,
    /// Only events of this level: `info`, `warning` or `error`.
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    pub(crate) level: Option<modelarts_protocol::operations::v2::logs::EventLevel>,
    /// Only events whose message contains this text.
    #[arg(long, value_name = "TEXT")]
    pub(crate) pattern: Option<String>,
    /// Events per page (1 to 100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub(crate) limit: Option<u32>,
    /// Events to skip.
    #[arg(long, value_name = "N")]
    pub(crate) offset: Option<u32>,
    /// Order by time.
    #[arg(long, value_enum)]
    pub(crate) order: Option<OrderArg>,
}

fn parse_level(s: &str) -> Result<modelarts_protocol::operations::v2::logs::EventLevel, String> {
    s.parse()
}
