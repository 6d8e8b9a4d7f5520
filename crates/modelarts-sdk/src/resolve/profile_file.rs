//! The profile and the credentials file (the official SDKs' INI dialect), read at most once and
//! only when a setting is not found before it (size-limited and decoded by `files`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{default_credentials_file, env_setting, env_value, home_dir};
use crate::config::ClientBuilder;
use crate::config_error::{ConfigError, ConfigFile};
use crate::error::Error;
use crate::files::{decode_text_file, read_limited};
use crate::settings::{Setting, SettingSource};

/// Env: the credentials file.
pub(crate) const ENV_CREDENTIALS_FILE: &str = "HUAWEICLOUD_SDK_CREDENTIALS_FILE";
/// Env: the profile.
pub(crate) const ENV_PROFILE: &str = "MODELARTS_PROFILE";
/// The default profile.
pub(crate) const DEFAULT_PROFILE: &str = "basic";

/// The profile: explicit → `MODELARTS_PROFILE` → `basic`.
pub(super) fn resolve_profile(b: &ClientBuilder) -> Result<Setting<String>, Error> {
    let profile = match &b.profile {
        Some(p) => Setting::new(p.trim().to_owned(), SettingSource::Explicit),
        None => env_setting(&b.env, ENV_PROFILE)?
            .unwrap_or_else(|| Setting::new(DEFAULT_PROFILE.to_owned(), SettingSource::Default)),
    };
    if profile.value.is_empty() {
        return Err(ConfigError::EmptyProfileName.into());
    }
    Ok(profile)
}

/// The credentials file: explicit → `HUAWEICLOUD_SDK_CREDENTIALS_FILE` → `~/.huaweicloud/credentials`.
pub(super) fn resolve_credentials_file(b: &ClientBuilder) -> Result<Option<Setting<PathBuf>>, Error> {
    Ok(match &b.credentials_file {
        Some(p) => Some(Setting::new(p.clone(), SettingSource::Explicit)),
        None => match env_value(&b.env, ENV_CREDENTIALS_FILE)? {
            Some(p) => {
                Some(Setting::new(PathBuf::from(p), SettingSource::Env(ENV_CREDENTIALS_FILE.to_owned())))
            }
            None => {
                home_dir(&b.env)?.map(|h| Setting::new(default_credentials_file(&h), SettingSource::Default))
            }
        },
    })
}

/// A parsed INI section: key → (value, line).
pub(super) type Section = HashMap<String, (String, usize)>;

pub(super) enum SectionLookup<'a> {
    NoFile,
    /// The section names, and how many keys come before any `[section]` header (ignored).
    NoSection(Vec<String>, usize),
    Found(&'a Section),
}

/// The credentials file, read at most once and only when needed.
pub(super) struct ProfileFile {
    path: Option<Setting<PathBuf>>,
    pub(super) profile: Setting<String>,
    parsed: Option<Option<Vec<(String, Section)>>>,
}

impl ProfileFile {
    pub(super) fn new(path: Option<Setting<PathBuf>>, profile: Setting<String>) -> Self {
        Self { path, profile, parsed: None }
    }

    pub(super) fn path(&self) -> Option<&Path> {
        self.path.as_ref().map(|s| s.value.as_path())
    }

    pub(super) fn into_setting(self) -> Option<Setting<PathBuf>> {
        self.path
    }

    pub(super) fn source(&self) -> SettingSource {
        SettingSource::File {
            path: self.path().map(Path::to_path_buf).unwrap_or_default(),
            section: self.profile.value.clone(),
        }
    }

    fn load(&mut self) -> Result<Option<&Vec<(String, Section)>>, Error> {
        if self.parsed.is_none() {
            let parsed = match &self.path {
                None => None,
                Some(Setting { value: path, source }) => match crate::files::open_regular(path)
                    .and_then(|file| read_limited(file, MAX_CREDENTIALS_FILE_BYTES))
                {
                    Ok(bytes) => {
                        let text = decode_text_file(bytes).map_err(|reason| ConfigError::NotText {
                            file: ConfigFile::Credentials,
                            path: path.clone(),
                            reason,
                        })?;
                        Some(parse_ini(&text).map_err(|(line, reason)| {
                            ConfigError::CredentialsFileSyntax { path: path.clone(), line, reason }
                        })?)
                    }
                    Err(e)
                        if e.kind() == std::io::ErrorKind::NotFound && *source == SettingSource::Default =>
                    {
                        None
                    }
                    Err(e) => {
                        return Err(ConfigError::UnreadableFile {
                            file: ConfigFile::Credentials,
                            path: path.clone(),
                            from: Some(source.clone()),
                            source: e,
                        }
                        .into());
                    }
                },
            };
            self.parsed = Some(parsed);
        }
        Ok(self.parsed.as_ref().and_then(Option::as_ref))
    }

    pub(super) fn section(&mut self) -> Result<SectionLookup<'_>, Error> {
        let profile = self.profile.value.clone();
        let explicit_profile = self.profile.source != SettingSource::Default;
        let path = self.path().map(Path::to_path_buf).unwrap_or_default();
        let Some(sections) = self.load()? else {
            return Ok(SectionLookup::NoFile);
        };
        match sections.iter().find(|(name, _)| *name == profile) {
            Some((_, section)) => Ok(SectionLookup::Found(section)),
            None => {
                let names: Vec<String> =
                    sections.iter().map(|(n, _)| n.clone()).filter(|n| !n.is_empty()).collect();
                let headless = sections.iter().find(|(n, _)| n.is_empty()).map_or(0, |(_, s)| s.len());
                if explicit_profile {
                    return Err(ConfigError::ProfileNotFound { profile, path, sections: names }.into());
                }
                Ok(SectionLookup::NoSection(names, headless))
            }
        }
    }

    /// Warns (on the log, at `warn`) of each key of the profile's section that nothing reads,
    /// naming the closest known key: a typo (`regoin`) must not pass for a setting that is in force.
    pub(super) fn warn_unknown_keys(&mut self) -> Result<(), Error> {
        let path = self.path().map(Path::to_path_buf).unwrap_or_default();
        let profile = self.profile.value.clone();
        let SectionLookup::Found(section) = self.section()? else { return Ok(()) };
        let mut unknown: Vec<&String> =
            section.keys().filter(|k| !KNOWN_KEYS.contains(&k.as_str())).collect();
        unknown.sort();
        // Once per process and key: a program resolves its settings more than once.
        static WARNED: std::sync::Mutex<Vec<(PathBuf, String, String)>> = std::sync::Mutex::new(Vec::new());
        let mut warned = WARNED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for key in unknown {
            let seen = (path.clone(), profile.clone(), key.clone());
            if warned.contains(&seen) {
                continue;
            }
            warned.push(seen);
            match closest_key(key) {
                Some(near) => tracing::warn!(
                    "profile [{profile}] of {}: unknown key {key:?} is not read; did you mean {near:?}?",
                    path.display()
                ),
                None => tracing::warn!(
                    "profile [{profile}] of {}: unknown key {key:?} is not read",
                    path.display()
                ),
            }
        }
        Ok(())
    }

    /// A key of the profile's section, if the file and the section exist.
    pub(super) fn value(&mut self, key: &str) -> Result<Option<Setting<String>>, Error> {
        let found = match self.section()? {
            SectionLookup::Found(section) => section.get(key).map(|(v, _)| v.clone()),
            _ => None,
        };
        Ok(found.filter(|v| !v.is_empty()).map(|v| Setting::new(v, self.source())))
    }
}

/// The keys a profile may hold: the official SDKs' (`ak`, `sk`, `security_token`, `project_id`,
/// `domain_id`, `iam_endpoint`, `idp_id`, `id_token_file`) and ours (the other settings under
/// their flags' names; `output` is the CLI's).
pub(crate) const KNOWN_KEYS: &[&str] = &[
    "ak",
    "sk",
    "security_token",
    "project_id",
    "domain_id",
    "iam_endpoint",
    "idp_id",
    "id_token_file",
    "region",
    "endpoint_url",
    "ca_bundle",
    "api",
    "workspace_id",
    "agency_name",
    "agency_domain",
    "user_id",
    "username",
    "password",
    "domain_name",
    "output",
];

/// The known key closest to `key` (Damerau-Levenshtein distance at most 2, or a known key it
/// contains or is contained in), if one is.
pub(crate) fn closest_key(key: &str) -> Option<&'static str> {
    KNOWN_KEYS
        .iter()
        .map(|k| (strsim::damerau_levenshtein(key, k), *k))
        .filter(|(d, k)| *d <= 2 || (key.len() > 3 && (k.contains(key) || key.contains(k))))
        // Nearest first; on a tie, a key the typo starts (`endpoint` → `endpoint_url`).
        .min_by_key(|(d, k)| (*d, !k.starts_with(key)))
        .map(|(_, k)| k)
}

/// The most bytes read from a credentials file (far more than any real one holds).
pub(crate) const MAX_CREDENTIALS_FILE_BYTES: u64 = 1 << 20;

/// Parses the INI dialect of the official SDKs' credentials file: `[section]` headers,
/// `key = value` (or `key: value`) lines, `#` and `;` comment lines, optional quotes around values.
/// Keys are case-insensitive; keys before any section go to a section named `""`. Errors are
/// `(line, reason)`, the line counted from 1. Never includes a value in an error.
pub(crate) fn parse_ini(text: &str) -> Result<Vec<(String, Section)>, (usize, String)> {
    let mut sections: Vec<(String, Section)> = vec![(String::new(), Section::new())];
    let mut current = 0;
    for (i, raw) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err((line_no, "a section header must end with ']'".to_owned()));
            };
            let name = name.trim();
            if name.is_empty() {
                return Err((line_no, "empty section name".to_owned()));
            }
            current = match sections.iter().position(|(n, _)| n == name) {
                Some(index) => index,
                None => {
                    sections.push((name.to_owned(), Section::new()));
                    sections.len() - 1
                }
            };
            continue;
        }
        let split = line.find(['=', ':']);
        let Some(at) = split else {
            return Err((line_no, "expected `key = value` or `[section]`".to_owned()));
        };
        let key = line[..at].trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err((line_no, "missing key before '='".to_owned()));
        }
        let mut value = line[at + 1..].trim();
        for quote in ['"', '\''] {
            if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
                value = &value[1..value.len() - 1];
            }
        }
        if let Some((name, section)) = sections.get_mut(current) {
            if let Some((_, first)) = section.get(&key) {
                let place = if name.is_empty() {
                    "before any [section] header".to_owned()
                } else {
                    format!("in [{name}]")
                };
                return Err((line_no, format!("duplicate key `{key}` {place} (first on line {first})")));
            }
            section.insert(key, (value.to_owned(), line_no));
        }
    }
    Ok(sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_dialect() {
        let text = "\u{feff}# comment\n; other\n[basic]\nak = AK1\nSK: \"S K\"\n\n[other]\nak=2\n[basic]\nproject_id = p\n";
        let sections = parse_ini(text).unwrap();
        let basic = &sections.iter().find(|(n, _)| n == "basic").unwrap().1;
        assert_eq!(basic["ak"].0, "AK1");
        assert_eq!(basic["sk"], ("S K".to_owned(), 5));
        assert_eq!(basic["project_id"].0, "p");
        assert_eq!(sections.iter().find(|(n, _)| n == "other").unwrap().1["ak"].0, "2");
    }

    #[test]
    fn ini_errors_name_the_line() {
        let cases = [
            ("[basic\nak=1", 1, "section header"),
            ("[basic]\nak 1\n", 2, "expected `key = value`"),
            ("[]\n", 1, "empty section"),
            ("[a]\n\n = x", 3, "missing key"),
            ("[basic]\nak = 1\nsk = 2\nAK = 3\n", 4, "duplicate key `ak` in [basic] (first on line 2)"),
            (
                "[basic]\nak = 1\n[other]\n[basic]\nak = 2\n",
                5,
                "duplicate key `ak` in [basic] (first on line 2)",
            ),
            ("ak = 1\nak = 1\n", 2, "duplicate key `ak` before any [section] header"),
        ];
        for (text, line, reason) in cases {
            let (l, r) = parse_ini(text).unwrap_err();
            assert_eq!(l, line, "{text:?}");
            assert!(r.contains(reason), "{r}");
        }
    }
}
