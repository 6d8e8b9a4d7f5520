//! A setting's value and where it came from ([`Setting`], [`SettingSource`]), and the injectable
//! sources the builder reads (environment, jitter). A leaf: it names no other module of the crate.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Draws a jitter in `[0, 1]`; injectable for tests.
pub(crate) type JitterFn = Arc<dyn Fn() -> f64 + Send + Sync>;

/// Reads an environment variable: unset (`Ok(None)`), its value, or [`NotUnicode`]; injectable for
/// tests.
pub(crate) type EnvFn = Arc<dyn Fn(&str) -> Result<Option<String>, NotUnicode> + Send + Sync>;

/// An environment variable is set to bytes that are not valid UTF-8 (never dropped silently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotUnicode;

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SettingSource {
    /// Set on the builder (a command-line flag, or code).
    Explicit,
    /// An environment variable (its name).
    Env(String),
    /// A key of the credentials file.
    File {
        /// The file.
        path: PathBuf,
        /// The section (profile).
        section: String,
    },
    /// Derived from another setting (the endpoint from the region).
    Derived(&'static str),
    /// The built-in default.
    Default,
}

impl fmt::Display for SettingSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingSource::Explicit => f.write_str("flag/explicit"),
            SettingSource::Env(name) => write!(f, "env {name}"),
            SettingSource::File { path, section } => write!(f, "file {} [{section}]", path.display()),
            SettingSource::Derived(from) => write!(f, "derived from {from}"),
            SettingSource::Default => f.write_str("default"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<V> {
    /// The value.
    pub value: V,
    /// Its source.
    pub source: SettingSource,
}

impl<V> Setting<V> {
    pub(crate) fn new(value: V, source: SettingSource) -> Self {
        Self { value, source }
    }
}
