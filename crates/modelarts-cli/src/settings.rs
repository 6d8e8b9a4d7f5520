//! From global flags to an SDK client builder.
//!
//! Only values given on the command line are passed to the builder as explicit: a value clap took
//! from an environment variable is left for the SDK to read from the same variable, so that
//! `configure list` names the true source (`env MODELARTS_REGION`, not "flag"). The SDK owns the
//! precedence (flag → env → credentials file → default) and every default.

use clap::ArgMatches;
use clap::parser::ValueSource;
use modelarts_sdk::{Client, ClientBuilder};

use crate::args::{GlobalArgs, OutputFormat};
use crate::failure::Failure;

/// Which global values came from the command line itself.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sources {
    region: bool,
    project_id: bool,
    workspace_id: bool,
    endpoint_url: bool,
    profile: bool,
    ca_bundle: bool,
    iam_endpoint: bool,
    agency: bool,
    mfa_code: bool,
    user_id: bool,
    output: Option<ValueSource>,
    /// The profile whose `output` key set the format (no flag or variable did).
    output_profile: Option<String>,
}

impl Sources {
    /// Reads the sources from the parsed matches (global values are found on the top level).
    pub(crate) fn from_matches(matches: &ArgMatches) -> Self {
        // Global arguments given after a subcommand are recorded on the subcommand's matches.
        let mut chain = vec![matches];
        let mut current = matches;
        while let Some((_, sub)) = current.subcommand() {
            chain.push(sub);
            current = sub;
        }
        let from_cli = |id: &str| {
            chain.iter().any(|m| {
                matches!(m.try_get_raw(id), Ok(Some(_)))
                    && m.value_source(id) == Some(ValueSource::CommandLine)
            })
        };
        let output = chain.iter().filter_map(|m| m.value_source("output")).max_by_key(|s| match s {
            ValueSource::CommandLine => 3,
            ValueSource::EnvVariable => 2,
            _ => 1,
        });
        Self {
            region: from_cli("region"),
            project_id: from_cli("project_id"),
            workspace_id: from_cli("workspace_id"),
            endpoint_url: from_cli("endpoint_url"),
            profile: from_cli("profile"),
            ca_bundle: from_cli("ca_bundle"),
            iam_endpoint: from_cli("iam_endpoint"),
            agency: from_cli("agency_name") || from_cli("agency_domain"),
            mfa_code: from_cli("mfa_code"),
            user_id: from_cli("user_id"),
            output,
            output_profile: None,
        }
    }

    /// Where `--output` came from, for `configure list`.
    pub(crate) fn output_source(&self) -> String {
        match (self.output, &self.output_profile) {
            (Some(ValueSource::CommandLine), _) => "flag/explicit".to_owned(),
            (Some(ValueSource::EnvVariable), _) => "env MODELARTS_OUTPUT".to_owned(),
            (_, Some(profile)) => format!("profile [{profile}]"),
            _ => "default".to_owned(),
        }
    }

    /// The format the profile's `output` key asks for, when neither `--output` nor
    /// `MODELARTS_OUTPUT` chose one; a value that is no format is a warning, not an error.
    pub(crate) fn output_from_profile(&mut self, global: &GlobalArgs) -> Option<OutputFormat> {
        if matches!(self.output, Some(ValueSource::CommandLine | ValueSource::EnvVariable)) {
            return None;
        }
        let resolved = builder(global, self).resolve().ok()?;
        let setting = resolved.output?;
        match <OutputFormat as clap::ValueEnum>::from_str(setting.value.trim(), true) {
            Ok(format) => {
                self.output_profile = Some(resolved.profile.value);
                Some(format)
            }
            Err(_) => {
                tracing::warn!(
                    "the profile's output {:?} ({}) is not table, json or jsonl: ignored",
                    setting.value,
                    setting.source
                );
                None
            }
        }
    }
}

/// The builder for the flags.
pub(crate) fn builder(global: &GlobalArgs, sources: &Sources) -> ClientBuilder {
    let mut builder = Client::builder();
    if let (true, Some(region)) = (sources.region, &global.region) {
        builder = builder.region(region);
    }
    if let (true, Some(project)) = (sources.project_id, &global.project_id) {
        builder = builder.project_id(project.as_str());
    }
    if let (true, Some(id)) = (sources.workspace_id, &global.workspace_id) {
        builder = builder.workspace_id(id);
    }
    if let (true, Some(url)) = (sources.endpoint_url, &global.endpoint_url) {
        builder = builder.endpoint_url(url);
    }
    if let (true, Some(profile)) = (sources.profile, &global.profile) {
        builder = builder.profile(profile);
    }
    if let (true, Some(path)) = (sources.ca_bundle, &global.ca_bundle) {
        builder = builder.ca_bundle(path.clone());
    }
    if let (true, Some(url)) = (sources.iam_endpoint, &global.iam_endpoint) {
        builder = builder.iam_endpoint(url);
    }
    if let (true, Some(name), Some(domain)) = (sources.agency, &global.agency_name, &global.agency_domain) {
        builder = builder.agency(domain, name);
    }
    if let (true, Some(code)) = (sources.mfa_code, &global.mfa_code) {
        builder = builder.mfa_code(code.expose());
    }
    if let (true, Some(id)) = (sources.user_id, &global.user_id) {
        builder = builder.user_id(id);
    }
    if let Some(timeout) = global.connect_timeout {
        builder = builder.connect_timeout(timeout);
    }
    if let Some(timeout) = global.timeout {
        builder = builder.timeout(timeout);
    }
    if let Some(attempts) = global.max_attempts {
        builder = builder.max_attempts(attempts);
    }
    if global.insecure {
        builder = builder.insecure(true);
    }
    if global.endpoint_url.as_deref().is_some_and(is_loopback_http)
        && global.iam_endpoint.as_deref().is_none_or(is_loopback_http)
    {
        // A local emulator: plain HTTP cannot leave the machine.
        builder = builder.allow_http(true);
    }
    builder
}

/// The agency flags come in pairs, each from its flag or its variable (`MODELARTS_AGENCY_NAME`
/// with `--agency-domain` is a pair). Checked here, not with clap's `requires`, which does not
/// count a global argument's variable (it refused that pair).
fn check_agency_pair(global: &GlobalArgs) -> Result<(), Failure> {
    match (&global.agency_name, &global.agency_domain) {
        (Some(_), None) => Err(Failure::usage(
            "--agency-name needs --agency-domain (or MODELARTS_AGENCY_DOMAIN): the account that created the agency",
        )),
        (None, Some(_)) => Err(Failure::usage(
            "--agency-domain needs --agency-name (or MODELARTS_AGENCY_NAME): the agency to assume",
        )),
        _ => Ok(()),
    }
}

/// Builds the client, or a configuration failure (exit 3).
pub(crate) fn client(global: &GlobalArgs, sources: &Sources) -> Result<Client, Failure> {
    check_agency_pair(global)?;
    builder(global, sources).build().map_err(|e| Failure::sdk("cannot set up the ModelArts client", &e))
}

/// Builds the client with the calls its identity needs (login, metadata, agency, project lookup),
/// or the failure.
pub(crate) async fn connect(global: &GlobalArgs, sources: &Sources) -> Result<Client, Failure> {
    check_agency_pair(global)?;
    builder(global, sources)
        .connect()
        .await
        .map_err(|e| Failure::sdk("cannot set up the ModelArts client", &e))
}

/// The first environment variable read by one of `cmd`'s arguments (subcommands included) whose
/// value is not valid UTF-8. The SDK reports the variables it reads itself the same way.
pub(crate) fn non_utf8_env(cmd: &clap::Command) -> Option<String> {
    let mut names = Vec::new();
    let mut stack = vec![cmd];
    while let Some(c) = stack.pop() {
        names.extend(c.get_arguments().filter_map(|a| a.get_env()).map(|n| n.to_owned()));
        stack.extend(c.get_subcommands());
    }
    names
        .into_iter()
        .find(|n| std::env::var_os(n).is_some_and(|v| v.to_str().is_none()))
        .map(|n| n.to_string_lossy().into_owned())
}

/// `http://localhost…`, `http://127.x.x.x…` or `http://[::1]…`.
fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.trim().strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, FromArgMatches};

    use super::*;
    use crate::args::Cli;

    #[test]
    fn loopback_table() {
        for (url, expected) in [
            ("http://127.0.0.1:8080", true),
            ("http://localhost", true),
            ("http://[::1]:9/x", true),
            ("https://127.0.0.1:8080", false),
            ("http://10.0.0.1", false),
            ("http://example.com", false),
        ] {
            assert_eq!(is_loopback_http(url), expected, "{url}");
        }
    }

    #[test]
    fn flags_after_the_subcommand_count_as_command_line() {
        let matches = Cli::command()
            .try_get_matches_from([
                "modelarts",
                "training-job",
                "list",
                "--region",
                "eu-de",
                "--output",
                "json",
            ])
            .unwrap();
        let cli = Cli::from_arg_matches(&matches).unwrap();
        let sources = Sources::from_matches(&matches);
        assert_eq!(cli.global.region.as_deref(), Some("eu-de"));
        assert!(sources.region);
        assert!(!sources.project_id);
        assert_eq!(sources.output_source(), "flag/explicit");
    }
}
