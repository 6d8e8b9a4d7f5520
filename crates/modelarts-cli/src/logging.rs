//! Logs: `tracing` events to stderr. `-q` keeps errors, the default keeps warnings, `-v` adds info,
//! `-vv` debug, `-vvv` trace; `RUST_LOG` (EnvFilter syntax) overrides the flags. The SDK and
//! transport never log secrets; neither does this.
//!
//! A log line can quote the service (an error message in "retrying after …"), so every line goes
//! through the escaping rule of [`crate::escape`], and logs carry no colour codes of their own.

use std::io::{self, Write};

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
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| EscapingStderr)
        .with_ansi(false)
        .with_target(verbose >= 2)
        .try_init();
}

/// Stderr, with every control and bidi character but the line break escaped.
struct EscapingStderr;

impl Write for EscapingStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        // A log line can quote a server's echo of what it received (a token, a signature).
        let text = modelarts_sdk::secrets::mask_echo(&text);
        io::stderr().lock().write_all(crate::escape::escape_lines(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
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
