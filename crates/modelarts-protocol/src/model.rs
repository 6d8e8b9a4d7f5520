//! Response types of the four v1 operations, tolerant of the drifts between the documentation and
//! real answers: numbers sent as strings (and strings as numbers), `null` for absent values, JSON
//! documents sent as strings (`model_metric_list`, `system_metric_list`, the "JSON Array" fields of
//! the versions list), and unknown fields (ignored).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::ids::{JobId, VersionId};
use crate::status::JobStatus;

/// The answer to a stop: the service accepted it. The stop itself is asynchronous; read the version's
/// status to see it take effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StopAccepted {}

/// A JSON document of an answer, kept as its text (already checked to be JSON) and parsed only when
/// asked: the metric documents of a version are large and rarely read, so a version is read without
/// building their trees.
///
/// A document sent inside a string (the API's habit) is the document the string holds; a string that
/// holds no JSON is kept as that string. Serialized (with `serde_json`) as the document itself.
///
/// ```
/// use modelarts_protocol::model::VersionDetail;
///
/// let v: VersionDetail = serde_json::from_str(
///     r#"{"version_id": 1, "status": 8, "model_metric_list": "{\"total_metric\": {\"recall\": 0.5}}"}"#,
/// )?;
/// let metrics = v.model_metric_list.expect("sent");
/// assert_eq!(metrics.get(), r#"{"total_metric": {"recall": 0.5}}"#);
/// assert_eq!(metrics.value()?["total_metric"]["recall"], 0.5);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Serialize)]
#[serde(transparent)]
pub struct JsonDoc(Box<RawValue>);

impl JsonDoc {
    /// The document's JSON text, as the answer held it.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The document as a [`Value`] tree.
    ///
    /// # Errors
    /// Only where `serde_json` itself refuses a tree it checked as text (nesting deeper than its
    /// recursion limit is refused on both paths, so in practice never).
    pub fn value(&self) -> Result<Value, serde_json::Error> {
        self.parse()
    }

    /// The document read as `T`.
    ///
    /// # Errors
    /// When the document does not have `T`'s shape.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }
}

impl PartialEq for JsonDoc {
    /// The same text: `{"a":1}` and `{ "a": 1 }` differ.
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl std::fmt::Debug for JsonDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("JsonDoc").field(&self.get()).finish()
    }
}

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
        crate::logs::split_lines(&self.content)
    }
}

/// Deserializers that accept the documented drifts.
pub mod lenient {
    use std::fmt;
    use std::marker::PhantomData;

    use serde::Deserialize;
    use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
    use serde_json::Value;
    use serde_json::value::RawValue;

    /// A non-negative 64-bit number given as a number or a string of digits.
    #[derive(Debug, Clone, Copy)]
    pub struct Long(pub u64);

    impl<'de> Deserialize<'de> for Long {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Long;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a positive integer or a string of digits")
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Long, E> {
                    Ok(Long(v))
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<Long, E> {
                    u64::try_from(v).map(Long).map_err(|_| E::custom(format!("negative id {v}")))
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Long, E> {
                    v.trim().parse().map(Long).map_err(|_| E::custom(format!("{v:?} is not an id")))
                }
            }
            d.deserialize_any(V)
        }
    }

    /// A 32-bit integer given as a number or a string.
    #[derive(Debug, Clone, Copy)]
    pub struct Int(pub i32);

    impl<'de> Deserialize<'de> for Int {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let v = opt_i64(d)?.ok_or_else(|| de::Error::custom("a status code is required"))?;
            i32::try_from(v).map(Int).map_err(|_| de::Error::custom(format!("{v} is out of range")))
        }
    }

    struct I64Visitor;
    impl Visitor<'_> for I64Visitor {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer, a string holding one, or null")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v).map(Some).map_err(|_| E::custom(format!("{v} is out of range")))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            if v.fract() == 0.0 && v.abs() < 9.0e15 {
                // Whole numbers sent as floats (`1.0`) are accepted; the check keeps the cast exact.
                Ok(Some(v as i64))
            } else {
                Err(E::custom(format!("{v} is not a whole number")))
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let t = v.trim();
            if t.is_empty() {
                return Ok(None);
            }
            t.parse().map(Some).map_err(|_| E::custom(format!("{v:?} is not an integer")))
        }
    }

    /// An optional integer: number, numeric string, empty string or null.
    pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        d.deserialize_any(I64Visitor)
    }

    struct StringVisitor;
    impl Visitor<'_> for StringVisitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, a number, a boolean or null")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
    }

    /// An optional string that may arrive as a number or boolean.
    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_any(StringVisitor)
    }

    struct BoolVisitor;
    impl<'de> Visitor<'de> for BoolVisitor {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean, 0 or 1, \"true\" or \"false\", or null")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v != 0))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v != 0))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v != 0.0))
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            let t = s.trim();
            if t.eq_ignore_ascii_case("true") || t == "1" {
                Ok(Some(true))
            } else if t.eq_ignore_ascii_case("false") || t == "0" {
                Ok(Some(false))
            } else if t.is_empty() {
                Ok(None)
            } else {
                Err(E::custom(format!("{s:?} is not a boolean")))
            }
        }
        // An array or an object: named in the error as the JSON it is.
        fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            let other = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
            Err(de::Error::custom(format!("{other} is not a boolean")))
        }
        fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            let other = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
            Err(de::Error::custom(format!("{other} is not a boolean")))
        }
    }

    /// An optional boolean that may arrive as `"true"`/`"false"` or `0`/`1`.
    pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        d.deserialize_any(BoolVisitor)
    }

    /// Reads `T` from the value itself, or from the JSON inside a string (see [`json_or_string`]).
    struct JsonOrStringVisitor<T>(PhantomData<T>);
    impl<'de, T: DeserializeOwned> Visitor<'de> for JsonOrStringVisitor<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON value, a string holding one, or null")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_str<E: de::Error>(self, inner: &str) -> Result<Self::Value, E> {
            if inner.trim().is_empty() {
                return Ok(None);
            }
            match serde_json::from_str(inner) {
                Ok(value) => Ok(Some(value)),
                // Not JSON inside: keep the string itself if `T` can hold it.
                Err(e) => T::deserialize(de::value::StrDeserializer::<serde_json::Error>::new(inner))
                    .map(Some)
                    .map_err(|_| E::custom(e)),
            }
        }
        // Anything else is `T` itself, read in place (no copy of its text, no second parse).
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            T::deserialize(de::value::BoolDeserializer::new(v)).map(Some)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            T::deserialize(de::value::I64Deserializer::new(v)).map(Some)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            T::deserialize(de::value::U64Deserializer::new(v)).map(Some)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            T::deserialize(de::value::F64Deserializer::new(v)).map(Some)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            T::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Some)
        }
        fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }

    /// A value that may arrive as itself or as a string holding its JSON. A string that is not JSON
    /// is kept as a string when `T` can hold one (`Value`), otherwise it is an error.
    pub fn json_or_string<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: DeserializeOwned,
    {
        d.deserialize_any(JsonOrStringVisitor(PhantomData))
    }

    /// A JSON document that may arrive as itself or as a string holding its JSON, kept as text
    /// ([`super::JsonDoc`]); `null` and a blank string are `None`; a string that holds no JSON is kept
    /// as that string. The rules of [`json_or_string`] for a `Value`, without building the tree.
    pub fn json_doc<'de, D: Deserializer<'de>>(d: D) -> Result<Option<super::JsonDoc>, D::Error> {
        let Some(raw) = Option::<Box<RawValue>>::deserialize(d)? else {
            return Ok(None);
        };
        match raw.get().as_bytes().first() {
            Some(b'n') => Ok(None),
            Some(b'"') => {
                let inner: std::borrow::Cow<'_, str> =
                    serde_json::from_str(raw.get()).map_err(de::Error::custom)?;
                if inner.trim().is_empty() {
                    return Ok(None);
                }
                match serde_json::from_str::<Box<RawValue>>(&inner) {
                    Ok(doc) => Ok(Some(super::JsonDoc(doc))),
                    // Not JSON inside: the string itself is the document.
                    Err(_) => Ok(Some(super::JsonDoc(raw))),
                }
            }
            _ => Ok(Some(super::JsonDoc(raw))),
        }
    }

    /// A string that may be `null` or absent (empty), or a number (its text).
    pub fn string_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(opt_string(d)?.unwrap_or_default())
    }

    /// A list of strings that may be `null`; numbers become their text, `null` items are dropped.
    pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        let items: Vec<Value> = vec_or_null(d)?;
        Ok(items
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect())
    }

    /// A list that may be `null`.
    pub fn vec_or_null<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
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
