//! Logs: `tracing` events to stderr. `-q` keeps errors, the default keeps warnings, `-v` adds info,
//! `-vv` debug, `-vvv` trace; `RUST_LOG` (EnvFilter syntax) overrides the flags. Colour only on a
//! terminal and without `NO_COLOR`. The SDK and transport never log secrets; neither does this.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The filter for the flags, when `RUST_LOG` is not set.
pub(crate) fn default_directives(verbose: u8, quiet: bool) -> &'static str {
    match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "warn,modelarts_sdk=info,modelarts_transport=info,modelarts_cli=info",
        (false, 2) => "info,modelarts_sdk=debug,modelarts_transport=debug,modelarts_cli=debug",
        (false, _) => "trace",
    }
}

/// Installs the subscriber. Safe to call once per process; a second call is ignored.
pub(crate) fn init(verbose: u8, quiet: bool) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => {
            EnvFilter::try_new(&value).unwrap_or_else(|_| EnvFilter::new(default_directives(verbose, quiet)))
        }
        _ => EnvFilter::new(default_directives(verbose, quiet)),
    };
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(verbose >= 2)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_table() {
        assert_eq!(default_directives(0, true), "error");
        assert_eq!(default_directives(0, false), "warn");
        assert!(default_directives(1, false).contains("modelarts_sdk=info"));
        assert!(default_directives(2, false).contains("modelarts_sdk=debug"));
        assert_eq!(default_directives(5, false), "trace");
        for v in 0..4 {
            assert!(EnvFilter::try_new(default_directives(v, false)).is_ok());
        }
    }
}
