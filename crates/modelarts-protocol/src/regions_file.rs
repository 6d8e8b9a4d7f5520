//! The official SDKs' endpoints file, `~/.huaweicloud/regions.yaml` (or the file named by
//! `HUAWEICLOUD_SDK_REGIONS_FILE`): text in, a map out. The SDK reads the file; this module only
//! parses it.
//!
//! The format maps a service name (matched case-insensitively) to a list of regions, each with an
//! `endpoint` and/or a list of `endpoints` (tried in order; both are kept, `endpoint` first, as
//! the official SDKs do). Entries without an `id` or without any endpoint are skipped, as there.
//!
//! ```
//! use modelarts_protocol::regions_file::RegionsFile;
//!
//! let file = RegionsFile::parse("
//! ModelArts:
//!   - id: cn-north-4
//!     endpoint: 'https://modelarts.cn-north-4.example'
//!     endpoints:
//!       - 'https://modelarts-backup.cn-north-4.example'
//! IAM:
//!   - id: cn-north-4
//!     endpoint: 'https://iam.cn-north-4.example'
//! ")?;
//! let endpoints = file.endpoints("modelarts", "cn-north-4").unwrap();
//! assert_eq!(endpoints, ["https://modelarts.cn-north-4.example", "https://modelarts-backup.cn-north-4.example"]);
//! assert!(file.endpoints("modelarts", "eu-de").is_none());
//! # Ok::<(), modelarts_protocol::regions_file::RegionsFileError>(())
//! ```
//!
//! The YAML is read by `serde_yaml_ng` (a maintained fork of `serde_yaml`): the file is the
//! official SDKs' and may use any YAML its users write (quotes, flow lists, comments, anchors),
//! which a hand-written subset would get wrong.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::endpoint::{Endpoint, EndpointError};

/// The environment variable naming another regions file.
pub const REGIONS_FILE_ENV: &str = "HUAWEICLOUD_SDK_REGIONS_FILE";
/// The largest file accepted (it holds a few lines per region).
pub const MAX_REGIONS_FILE: usize = 1 << 20;
/// The most endpoints kept for one service and region.
pub const MAX_ENDPOINTS: usize = 16;

/// Why a regions file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegionsFileError {
    /// Larger than [`MAX_REGIONS_FILE`].
    #[error("the regions file is larger than {MAX_REGIONS_FILE} bytes")]
    TooLarge,
    /// Not YAML, or not the documented shape (a map of service → list of `{id, endpoint, endpoints}`).
    #[error("the regions file is not valid: {0}")]
    Invalid(String),
    /// An endpoint of the asked service and region is not a valid URL.
    #[error("the regions file gives {service} in {region} an invalid endpoint")]
    InvalidEndpoint {
        /// The service (upper case).
        service: String,
        /// The region.
        region: String,
        /// Why the URL was refused.
        #[source]
        error: EndpointError,
    },
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    endpoint: Option<String>,
    #[serde(default)]
    endpoints: Option<Vec<String>>,
}

/// A parsed regions file: endpoints per (service, region).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegionsFile {
    entries: BTreeMap<(String, String), Vec<String>>,
}

impl RegionsFile {
    /// Parses the file's text. An empty file (or one holding only comments) has no entries.
    pub fn parse(text: &str) -> Result<Self, RegionsFileError> {
        if text.len() > MAX_REGIONS_FILE {
            return Err(RegionsFileError::TooLarge);
        }
        if text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
            return Ok(Self::default());
        }
        let services: Option<BTreeMap<String, Option<Vec<Entry>>>> = serde_yaml_ng::from_str(text)
            // The error names a line and column and what was expected; cap it all the same.
            .map_err(|e| RegionsFileError::Invalid(e.to_string().chars().take(300).collect()))?;
        let mut entries = BTreeMap::new();
        for (service, list) in services.unwrap_or_default() {
            for entry in list.unwrap_or_default() {
                let Some(id) = entry.id.map(|i| i.trim().to_owned()).filter(|i| !i.is_empty()) else {
                    continue;
                };
                let endpoints: Vec<String> = entry
                    .endpoint
                    .into_iter()
                    .chain(entry.endpoints.unwrap_or_default())
                    .map(|e| e.trim().to_owned())
                    .filter(|e| !e.is_empty())
                    .take(MAX_ENDPOINTS)
                    .collect();
                if !endpoints.is_empty() {
                    entries.insert((service.trim().to_ascii_uppercase(), id), endpoints);
                }
            }
        }
        Ok(Self { entries })
    }

    /// The endpoint URLs of `service` (any case) in `region`, as written, in order.
    pub fn endpoints(&self, service: &str, region: &str) -> Option<&[String]> {
        self.entries.get(&(service.trim().to_ascii_uppercase(), region.trim().to_owned())).map(Vec::as_slice)
    }

    /// The endpoints of `service` in `region`, validated; `None` when the file has none.
    pub fn endpoints_parsed(
        &self,
        service: &str,
        region: &str,
    ) -> Option<Result<Vec<Endpoint>, RegionsFileError>> {
        let urls = self.endpoints(service, region)?;
        Some(
            urls.iter()
                .map(|u| {
                    Endpoint::from_url(u).map_err(|error| RegionsFileError::InvalidEndpoint {
                        service: service.trim().to_ascii_uppercase(),
                        region: region.trim().chars().take(64).collect(),
                        error,
                    })
                })
                .collect(),
        )
    }

    /// How many (service, region) entries the file has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the file has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let text = r#"
# endpoints for tests
MODELARTS:
  - id: 'cn-north-4'
    endpoint: "https://a.example"
  - id: la-south-2
    endpoints: ['https://b1.example', https://b2.example]
  - id: ''
    endpoint: https://skipped.example
  - id: no-endpoints
  - endpoint: https://no-id.example
iam:
  - {id: cn-north-4, endpoint: 'https://iam.example:8443', extra: ignored}
ECS:
"#;
        let file = RegionsFile::parse(text).unwrap();
        let cases: &[(&str, &str, Option<&[&str]>)] = &[
            ("ModelArts", "cn-north-4", Some(&["https://a.example"])),
            ("modelarts", " la-south-2 ", Some(&["https://b1.example", "https://b2.example"])),
            ("IAM", "cn-north-4", Some(&["https://iam.example:8443"])),
            ("modelarts", "no-endpoints", None),
            ("modelarts", "", None),
            ("ecs", "cn-north-4", None),
            ("obs", "cn-north-4", None),
        ];
        for (service, region, expected) in cases {
            let got: Option<Vec<&str>> =
                file.endpoints(service, region).map(|v| v.iter().map(String::as_str).collect());
            assert_eq!(got.as_deref(), *expected, "{service} {region}");
        }
        assert_eq!(file.len(), 3);
        let parsed = file.endpoints_parsed("iam", "cn-north-4").unwrap().unwrap();
        assert_eq!(parsed[0].host(), "iam.example:8443");
    }

    #[test]
    fn empty_and_invalid_files() {
        for empty in ["", "\n\n", "# only a comment\n", "---\n"] {
            assert!(RegionsFile::parse(empty).is_ok_and(|f| f.is_empty()), "{empty:?}");
        }
        for bad in [
            "MODELARTS: {id: x}",
            "MODELARTS:\n  - id: [1, 2]\n",
            "- a\n- b\n",
            "MODELARTS:\n  - id: x\n  endpoint: : :\n\t- y",
            "MODELARTS:\n  - id: x\n    endpoints: 3\n",
        ] {
            assert!(matches!(RegionsFile::parse(bad), Err(RegionsFileError::Invalid(_))), "{bad:?}");
        }
        let huge = "#".repeat(MAX_REGIONS_FILE + 1);
        assert_eq!(RegionsFile::parse(&huge), Err(RegionsFileError::TooLarge));
    }

    #[test]
    fn invalid_urls_are_reported_on_use_only() {
        let file = RegionsFile::parse(
            "MODELARTS:\n  - id: r\n    endpoint: 'ftp://x'\nIAM:\n  - id: r\n    endpoint: 'https://ok'\n",
        )
        .unwrap();
        assert!(file.endpoints_parsed("iam", "r").unwrap().is_ok());
        let e = file.endpoints_parsed("modelarts", "r").unwrap().unwrap_err();
        assert!(e.to_string().contains("MODELARTS in r"), "{e}");
        let many = format!("S:\n  - id: r\n    endpoints: [{}]\n", vec!["'https://h'"; 40].join(", "));
        assert_eq!(RegionsFile::parse(&many).unwrap().endpoints("s", "r").unwrap().len(), MAX_ENDPOINTS);
    }
}
