//! The v2 training-job ID: a UUID (`3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab`).
//!
//! Parsed by hand (8-4-4-4-12 hexadecimal digits, any case, kept in lower case): the check is a few
//! lines and needs no dependency. Anything else is refused with a reason that says what it looks
//! like, notably a v1 job ID (a number).

use std::fmt;
use std::str::FromStr;

/// Why a v2 training-job ID was refused. `Display` names the field, the value and the cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid training_job_id {value:?}: {reason}")]
pub struct TrainingJobIdError {
    /// The value as given (truncated to 80 characters).
    pub value: String,
    /// What is wrong with it.
    pub reason: TrainingJobIdErrorReason,
}

/// What is wrong with a v2 training-job ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrainingJobIdErrorReason {
    /// Empty or blank.
    #[error("it is empty")]
    Empty,
    /// Only decimal digits: the shape of a v1 job ID.
    #[error(
        "it looks like a v1 job id (a number, used with a version id); v2 training job ids are UUIDs such as 3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab"
    )]
    LooksLikeV1,
    /// Anything else that is not a UUID.
    #[error(
        "it is not a UUID (expected 8-4-4-4-12 hexadecimal digits, e.g. 3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab)"
    )]
    NotUuid,
}

/// A v2 training job's ID (`training_job_id`, `metadata.id`): a UUID, stored in lower case.
///
/// ```
/// use modelarts_protocol::v2::TrainingJobId;
/// let id: TrainingJobId = "3F2B1C9E-5A4D-4C1B-9E8F-0123456789AB".parse().unwrap();
/// assert_eq!(id.as_str(), "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab");
/// let e = "12345".parse::<TrainingJobId>().unwrap_err();
/// assert!(e.to_string().contains("looks like a v1 job id"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TrainingJobId(String);

/// The lengths of the five hyphen-separated groups of a UUID.
const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];

impl TrainingJobId {
    /// Validates a UUID: 8-4-4-4-12 hexadecimal digits, surrounding ASCII blanks ignored, kept in
    /// lower case. This is how two IDs are compared everywhere (the list walk, the batch): `" 3F2B…"`
    /// and `"3f2b…"` are the same job.
    pub fn new(value: &str) -> Result<Self, TrainingJobIdError> {
        let refuse = |reason| TrainingJobIdError { value: value.chars().take(80).collect(), reason };
        let t = trim_ascii_blanks(value);
        if t.is_empty() {
            return Err(refuse(TrainingJobIdErrorReason::Empty));
        }
        if t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse(TrainingJobIdErrorReason::LooksLikeV1));
        }
        if !is_uuid(t) {
            return Err(refuse(TrainingJobIdErrorReason::NotUuid));
        }
        Ok(Self(t.to_ascii_lowercase()))
    }

    /// The ID as text (lower case).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `text` has the shape of a v2 ID (a UUID).
    pub fn is_uuid_shaped(text: &str) -> bool {
        is_uuid(trim_ascii_blanks(text))
    }
}

/// `text` without surrounding ASCII whitespace (other blanks, such as a no-break space, stay: the
/// text is then not a UUID).
fn trim_ascii_blanks(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_ascii_whitespace())
}

fn is_uuid(text: &str) -> bool {
    if text.len() != 36 {
        return false;
    }
    let mut groups = text.split('-');
    let shape_ok = GROUPS.iter().all(|&len| {
        groups.next().is_some_and(|g| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
    });
    shape_ok && groups.next().is_none()
}

impl FromStr for TrainingJobId {
    type Err = TrainingJobIdError;
    fn from_str(s: &str) -> Result<Self, TrainingJobIdError> {
        Self::new(s)
    }
}

impl TryFrom<String> for TrainingJobId {
    type Error = TrainingJobIdError;
    fn try_from(s: String) -> Result<Self, TrainingJobIdError> {
        Self::new(&s)
    }
}

impl From<TrainingJobId> for String {
    fn from(id: TrainingJobId) -> String {
        id.0
    }
}

impl fmt::Display for TrainingJobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TrainingJobIdErrorReason::*;

    #[test]
    fn ids_table() {
        let cases: &[(&str, Result<&str, TrainingJobIdErrorReason>)] = &[
            ("3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab", Ok("3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab")),
            (" 3F2B1C9E-5A4D-4C1B-9E8F-0123456789AB\n", Ok("3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab")),
            ("\t\r3f2b1c9e-5A4D-4c1b-9e8f-0123456789ab \x0c", Ok("3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab")),
            ("\u{a0}3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab", Err(NotUuid)),
            ("3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab\u{2003}", Err(NotUuid)),
            ("00000000-0000-0000-0000-000000000000", Ok("00000000-0000-0000-0000-000000000000")),
            ("", Err(Empty)),
            ("  ", Err(Empty)),
            ("10", Err(LooksLikeV1)),
            ("9223372036854775807", Err(LooksLikeV1)),
            ("123456789012345678901234567890123456", Err(LooksLikeV1)),
            ("abc-123", Err(NotUuid)),
            ("3f2b1c9e5a4d4c1b9e8f0123456789ab", Err(NotUuid)),
            ("3f2b1c9e-5a4d-4c1b-9e8f-0123456789a", Err(NotUuid)),
            ("3f2b1c9e-5a4d-4c1b-9e8f-0123456789abc", Err(NotUuid)),
            ("3f2b1c9e-5a4d-4c1b-9e8f0-123456789ab", Err(NotUuid)),
            ("3f2b1c9g-5a4d-4c1b-9e8f-0123456789ab", Err(NotUuid)),
            ("{3f2b1c9e-5a4d-4c1b-9e8f-0123456789a}", Err(NotUuid)),
            ("3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab/stop", Err(NotUuid)),
            ("3f2b1c9e-5a4d-4c1b-9e8f-01234567é9a", Err(NotUuid)),
            ("-10", Err(NotUuid)),
        ];
        for (input, expected) in cases {
            let got = TrainingJobId::new(input);
            match expected {
                Ok(text) => assert_eq!(got.map(|id| id.0), Ok((*text).to_owned()), "{input:?}"),
                Err(reason) => assert_eq!(got.map_err(|e| e.reason), Err(*reason), "{input:?}"),
            }
        }
    }

    #[test]
    fn errors_name_the_value_and_the_cause() {
        let e = TrainingJobId::new("42").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid training_job_id \"42\": it looks like a v1 job id (a number, used with a version id); v2 training job ids are UUIDs such as 3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab"
        );
        let long = "x".repeat(500);
        assert_eq!(TrainingJobId::new(&long).unwrap_err().value.chars().count(), 80);
        // Control characters are escaped by the `{:?}` of the message.
        let e = TrainingJobId::new("a\u{1b}[2J").unwrap_err().to_string();
        assert!(!e.contains('\u{1b}'), "{e}");
    }

    #[test]
    fn serde_round_trip_validates() {
        let id: TrainingJobId = serde_json::from_str("\"3F2B1C9E-5A4D-4C1B-9E8F-0123456789AB\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab\"");
        assert!(serde_json::from_str::<TrainingJobId>("\"12\"").is_err());
        assert!(serde_json::from_str::<TrainingJobId>("12").is_err());
    }
}
