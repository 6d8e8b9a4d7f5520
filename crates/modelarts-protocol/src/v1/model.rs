//! Response types of the four v1 operations, tolerant of the drifts between the documentation and
//! real answers: numbers sent as strings (and strings as numbers), `null` for absent values, JSON
//! documents sent as strings (`model_metric_list`, `system_metric_list`, the "JSON Array" fields of
//! the versions list), and unknown fields (ignored).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{JobId, VersionId};
/// The deserializers of the documented drifts (now [`crate::lenient`]).
pub use crate::lenient;
pub use crate::lenient::JsonDoc;
use crate::v1::status::JobStatus;

/// The answer to a stop: the service accepted it. The stop itself is asynchronous; read the version's
/// status to see it take effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StopAccepted {}

/// One running parameter of a version (`{label, value}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parameter {
    /// The parameter's name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub label: Option<String>,
    /// Its value (documented as a string; samples send numbers).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub value: Option<String>,
}

/// One data source of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSource {
    /// Dataset ID.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub dataset_id: Option<String>,
    /// Dataset version.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub dataset_version: Option<String>,
    /// `obs` or `dataset`.
    #[serde(default, rename = "type", deserialize_with = "lenient::opt_string")]
    pub kind: Option<String>,
    /// OBS path.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub data_url: Option<String>,
}

/// A training-job version: the answer of "show version" and an item of "list versions".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionDetail {
    /// The job's ID (absent in the items of "list versions").
    #[serde(default)]
    pub job_id: Option<JobId>,
    /// The version's ID.
    pub version_id: VersionId,
    /// The job's name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub job_name: Option<String>,
    /// The job's description.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub job_desc: Option<String>,
    /// The version's name, e.g. `V0004`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub version_name: Option<String>,
    /// The parent version's ID.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub pre_version_id: Option<i64>,
    /// Engine type.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub engine_type: Option<i64>,
    /// Engine ID.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub engine_id: Option<i64>,
    /// Engine name, e.g. `TensorFlow`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub engine_name: Option<String>,
    /// Engine version, e.g. `TF-1.4.0-python2.7`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub engine_version: Option<String>,
    /// The status.
    pub status: JobStatus,
    /// Code directory.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub app_url: Option<String>,
    /// Boot file.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub boot_file_url: Option<String>,
    /// Creation time, epoch milliseconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub create_time: Option<i64>,
    /// Running parameters.
    #[serde(default, deserialize_with = "lenient::json_or_string")]
    pub parameter: Option<Vec<Parameter>>,
    /// Run time, milliseconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub duration: Option<i64>,
    /// Resource spec ID.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub spec_id: Option<i64>,
    /// Resource spec code.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub spec_code: Option<String>,
    /// Cores (documented as a string; samples send numbers).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub core: Option<String>,
    /// CPU memory (documented as a string; samples send numbers).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cpu: Option<String>,
    /// Whether GPUs are used (list-versions items).
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub gpu: Option<bool>,
    /// Number of GPUs.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub gpu_num: Option<i64>,
    /// GPU type.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub gpu_type: Option<String>,
    /// Number of workers.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub worker_server_num: Option<i64>,
    /// Dataset path.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub data_url: Option<String>,
    /// OBS output path.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub train_url: Option<String>,
    /// OBS log path.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub log_url: Option<String>,
    /// Dataset version ID.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub dataset_version_id: Option<String>,
    /// Dataset ID.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub dataset_id: Option<String>,
    /// Data sources.
    #[serde(default, deserialize_with = "lenient::json_or_string")]
    pub data_source: Option<Vec<DataSource>>,
    /// Model ID.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub model_id: Option<i64>,
    /// Model metrics: the API sends a JSON document inside a string; this is that document (or the
    /// string itself if it is not JSON), kept as its text and parsed on demand ([`JsonDoc::value`]).
    #[serde(default, deserialize_with = "lenient::json_doc")]
    pub model_metric_list: Option<JsonDoc>,
    /// System metrics (`cpuUsage`, `memUsage`, `gpuUtil`, …): an object in "show version", a JSON
    /// string in "list versions"; the document either way, kept as its text like `model_metric_list`.
    #[serde(default, deserialize_with = "lenient::json_doc")]
    pub system_metric_list: Option<JsonDoc>,
    /// Custom image.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub user_image_url: Option<String>,
    /// Custom image boot command.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub user_command: Option<String>,
    /// Billing resource ID.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub resource_id: Option<String>,
    /// Dataset name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub dataset_name: Option<String>,
    /// Dataset version name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub dataset_version_name: Option<String>,
    /// Training start, epoch milliseconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub start_time: Option<i64>,
    /// Mounted volumes (kept as JSON: `{nfs: …}` or `{host_path: …}`).
    #[serde(default, deserialize_with = "lenient::json_or_string")]
    pub volumes: Option<Vec<Value>>,
    /// Resource pool ID.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub pool_id: Option<String>,
    /// Resource pool name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub pool_name: Option<String>,
    /// SFS Turbo mount path.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub nas_mount_path: Option<String>,
    /// SFS Turbo share address.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub nas_share_addr: Option<String>,
    /// Always `nfs`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub nas_type: Option<String>,
}

/// One job of the job list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSummary {
    /// Job ID.
    pub job_id: JobId,
    /// Job name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub job_name: Option<String>,
    /// The latest version's ID.
    #[serde(default)]
    pub version_id: Option<VersionId>,
    /// The latest version's status.
    pub status: JobStatus,
    /// Creation time, epoch milliseconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub create_time: Option<i64>,
    /// Run time, milliseconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub duration: Option<i64>,
    /// Description.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub job_desc: Option<String>,
    /// Number of versions.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub version_count: Option<i64>,
}

/// The answer of "list jobs" (one page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobList {
    /// Total number of jobs (matching the filter).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub job_total_count: Option<i64>,
    /// How many more jobs may be created.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub job_count_limit: Option<i64>,
    /// Maximum number of training jobs.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub quotas: Option<i64>,
    /// The jobs of this page. Required (an array, possibly empty): an answer without it, or with
    /// `null`, is malformed rather than an empty list. `job_total_count` and the quotas stay
    /// optional: the walk does not need them to end.
    pub jobs: Vec<JobSummary>,
}

/// The answer of "list versions of a job".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionList {
    /// Job ID.
    #[serde(default)]
    pub job_id: Option<JobId>,
    /// Job name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub job_name: Option<String>,
    /// Job description.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub job_desc: Option<String>,
    /// Number of versions.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub version_count: Option<i64>,
    /// The versions. Required (an array, possibly empty): an answer without it, or with `null`,
    /// is malformed rather than a job without versions.
    pub versions: Vec<VersionDetail>,
}

/// The log files of a v1 version (`log/file-names`): one per worker.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogFileNames {
    /// The file names, for [`ShowAomLog`](crate::operations::logs::ShowAomLog); `null` is empty.
    #[serde(default, deserialize_with = "lenient::string_list")]
    pub log_file_list: Vec<String>,
}

/// One page of a v1 log file (`aom-log`). The line positions are numbers on some answers and
/// strings on others; both are kept as text (digits) here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AomLog {
    /// The lines, joined by `\n`; empty when `null` or absent.
    #[serde(default, deserialize_with = "lenient::string_or_null")]
    pub content: String,
    /// How many lines the page holds (may be a string).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub lines: Option<i64>,
    /// Position of the first line (may be a number or a string).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub start_line: Option<String>,
    /// Position of the last line: the `base_line` of the next page.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub end_line: Option<String>,
}

impl AomLog {
    /// The page's lines (`content` split at `\n`; a trailing `\r` is dropped, a final empty line
    /// is not a line).
    pub fn text_lines(&self) -> Vec<&str> {
        crate::lenient::split_lines(&self.content)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::{Value, json};

    use super::{Parameter, lenient};

    #[derive(Debug, Deserialize)]
    struct Flag {
        #[serde(default, deserialize_with = "lenient::opt_bool")]
        v: Option<bool>,
    }

    #[derive(Debug, Deserialize)]
    struct Doc {
        #[serde(default, deserialize_with = "lenient::json_or_string")]
        v: Option<Value>,
    }

    #[derive(Debug, Deserialize)]
    struct Kept {
        #[serde(default, deserialize_with = "lenient::json_doc")]
        v: Option<super::JsonDoc>,
    }

    #[derive(Debug, Deserialize)]
    struct Params {
        #[serde(default, deserialize_with = "lenient::json_or_string")]
        v: Option<Vec<Parameter>>,
    }

    fn read<T: serde::de::DeserializeOwned>(value: &str) -> Result<T, String> {
        serde_json::from_str(&format!("{{\"v\": {value}}}")).map_err(|e| e.to_string())
    }

    #[test]
    fn lenient_booleans_table() {
        let cases = [
            ("true", Some(true)),
            ("false", Some(false)),
            ("1", Some(true)),
            ("0", Some(false)),
            ("2.5", Some(true)),
            ("0.0", Some(false)),
            ("-1", Some(true)),
            ("\" TRUE \"", Some(true)),
            ("\"False\"", Some(false)),
            ("\"1\"", Some(true)),
            ("\"0\"", Some(false)),
            ("\"  \"", None),
            ("null", None),
        ];
        for (input, expected) in cases {
            assert_eq!(read::<Flag>(input).map(|f| f.v), Ok(expected), "{input}");
        }
        for (input, named) in [
            ("\"maybe\"", "\"maybe\" is not a boolean"),
            ("[1]", "[1] is not a boolean"),
            ("{}", "{} is not a boolean"),
        ] {
            let error = read::<Flag>(input).unwrap_err();
            assert!(error.contains(named), "{input}: {error}");
        }
    }

    #[test]
    fn json_or_string_reads_values_and_the_json_inside_strings() {
        let cases = [
            ("{\"a\": [1, 2.5]}", Some(json!({"a": [1, 2.5]}))),
            ("[\"x\"]", Some(json!(["x"]))),
            ("7", Some(json!(7))),
            ("-7", Some(json!(-7))),
            ("0.5", Some(json!(0.5))),
            ("true", Some(json!(true))),
            ("\"{\\\"a\\\": 1}\"", Some(json!({"a": 1}))),
            ("\"[1]\"", Some(json!([1]))),
            ("\"not json at all\"", Some(json!("not json at all"))),
            ("\" \"", None),
            ("\"\"", None),
            ("null", None),
        ];
        for (input, expected) in cases.clone() {
            assert_eq!(read::<Doc>(input).map(|d| d.v), Ok(expected), "{input}");
        }
        // The document kept as text reads as the same tree, and its text is the document's own.
        for (input, expected) in cases {
            let kept = read::<Kept>(input).map(|k| k.v);
            assert_eq!(kept.clone().map(|d| d.map(|d| d.value().unwrap())), Ok(expected.clone()), "{input}");
            if let (Ok(Some(doc)), Some(tree)) = (kept, expected) {
                assert_eq!(serde_json::from_str::<Value>(doc.get()).unwrap(), tree, "{input}");
                assert_eq!(serde_json::to_value(&doc).unwrap(), tree, "{input}: serialized as the document");
            }
        }
        for input in ["[1, {\"a\": }]", "\"[1\"", "{"] {
            // Broken JSON is an error as itself; inside a string it is kept as the string.
            let kept = read::<Kept>(input);
            if input.starts_with('"') {
                assert_eq!(kept.unwrap().v.unwrap().value().unwrap(), json!("[1"), "{input}");
            } else {
                assert!(kept.is_err(), "{input}");
            }
        }
        let params = [
            ("[{\"label\": \"a\", \"value\": 1}]", Ok(1)),
            ("\"[{\\\"label\\\": \\\"a\\\"}]\"", Ok(1)),
            ("\"[]\"", Ok(0)),
            ("null", Ok(0)),
        ];
        for (input, expected) in params {
            assert_eq!(read::<Params>(input).map(|p| p.v.map_or(0, |v| v.len())), expected, "{input}");
        }
        // What cannot be a list of parameters is an error, whether it came as itself or in a string.
        for input in ["\"not json\"", "\"5\"", "5", "{\"label\": \"a\"}", "true"] {
            assert!(read::<Params>(input).is_err(), "{input}");
        }
    }
}
