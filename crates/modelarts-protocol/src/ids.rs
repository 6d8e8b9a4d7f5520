//! Validated identifiers: [`ProjectId`], [`JobId`] and [`VersionId`].
//!
//! The API types job and version IDs as Java `Long`: positive, at most `i64::MAX`. Project IDs are the
//! 32-hex-digit IAM project IDs; we accept 1 to 64 ASCII letters, digits, `-` and `_` so that every ID
//! the console shows passes, while path-breaking input (`/`, `?`, spaces, empty) is refused before any
//! request is built.

use std::fmt;
use std::str::FromStr;

/// Why an identifier was refused. `Display` names the field and the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field} {value:?}: {reason}")]
pub struct IdError {
    /// `project_id`, `job_id` or `version_id`.
    pub field: &'static str,
    /// The value as given (truncated to 80 characters).
    pub value: String,
    /// What is wrong with it.
    pub reason: IdErrorReason,
}

/// What is wrong with an identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdErrorReason {
    /// Empty or blank.
    #[error("it is empty")]
    Empty,
    /// Not a decimal number.
    #[error("it is not a number")]
    NotNumeric,
    /// Negative.
    #[error("it is negative")]
    Negative,
    /// Zero, which the API never assigns.
    #[error("it must be greater than zero")]
    Zero,
    /// Larger than the API's 64-bit signed `Long`.
    #[error("it is larger than 9223372036854775807")]
    Overflow,
    /// A project ID with characters other than ASCII letters, digits, `-` and `_`.
    #[error("it may only contain ASCII letters, digits, '-' and '_'")]
    InvalidCharacters,
    /// A project ID longer than 64 characters.
    #[error("it is longer than 64 characters")]
    TooLong,
}

fn error(field: &'static str, value: &str, reason: IdErrorReason) -> IdError {
    IdError { field, value: value.chars().take(80).collect(), reason }
}

fn parse_long(field: &'static str, text: &str) -> Result<u64, IdError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(error(field, text, IdErrorReason::Empty));
    }
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error(field, text, IdErrorReason::NotNumeric));
    }
    if negative && digits.bytes().any(|b| b != b'0') {
        return Err(error(field, text, IdErrorReason::Negative));
    }
    let value: u64 = digits.parse().map_err(|_| error(field, text, IdErrorReason::Overflow))?;
    check_long(field, value).map_err(|reason| error(field, text, reason))
}

fn check_long(_field: &'static str, value: u64) -> Result<u64, IdErrorReason> {
    if value == 0 {
        Err(IdErrorReason::Zero)
    } else if value > i64::MAX as u64 {
        Err(IdErrorReason::Overflow)
    } else {
        Ok(value)
    }
}

macro_rules! long_id {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(u64);

        impl $name {
            /// Validates a numeric ID: greater than zero and at most `i64::MAX`.
            pub fn new(value: u64) -> Result<Self, IdError> {
                check_long($field, value)
                    .map(Self)
                    .map_err(|reason| error($field, &value.to_string(), reason))
            }

            /// The numeric value.
            pub fn get(self) -> u64 {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                parse_long($field, s).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                // Numbers or numbers-as-strings, as the docs and samples disagree.
                let raw = crate::lenient::Long::deserialize(d)?;
                $name::new(raw.0).map_err(serde::de::Error::custom)
            }
        }
    };
}

long_id!(
    /// A training job's ID (`job_id`, a positive `Long`).
    ///
    /// ```
    /// use modelarts_protocol::JobId;
    /// assert_eq!("10".parse::<JobId>().unwrap().get(), 10);
    /// assert_eq!(
    ///     "ten".parse::<JobId>().unwrap_err().to_string(),
    ///     "invalid job_id \"ten\": it is not a number"
    /// );
    /// ```
    JobId,
    "job_id"
);
long_id!(
    /// A training-job version's ID (`version_id`, a positive `Long`).
    VersionId,
    "version_id"
);

/// An IAM project ID (the `{project_id}` of every path).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProjectId(String);

impl ProjectId {
    /// Validates a project ID: 1 to 64 ASCII letters, digits, `-` or `_`.
    pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
        let value = value.into();
        let field = "project_id";
        if value.trim().is_empty() {
            return Err(error(field, &value, IdErrorReason::Empty));
        }
        if value.len() > 64 {
            return Err(error(field, &value, IdErrorReason::TooLong));
        }
        if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(error(field, &value, IdErrorReason::InvalidCharacters));
        }
        Ok(Self(value))
    }

    /// The ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ProjectId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::new(s)
    }
}

impl TryFrom<String> for ProjectId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::new(s)
    }
}

impl From<ProjectId> for String {
    fn from(id: ProjectId) -> String {
        id.0
    }
}

impl fmt::Display for ProjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_ids_table() {
        use IdErrorReason::*;
        let cases: &[(&str, Result<u64, IdErrorReason>)] = &[
            ("10", Ok(10)),
            (" 42 ", Ok(42)),
            ("+7", Ok(7)),
            ("9223372036854775807", Ok(i64::MAX as u64)),
            ("9223372036854775808", Err(Overflow)),
            ("99999999999999999999999", Err(Overflow)),
            ("0", Err(Zero)),
            ("-0", Err(Zero)),
            ("-5", Err(Negative)),
            ("", Err(Empty)),
            ("   ", Err(Empty)),
            ("1.5", Err(NotNumeric)),
            ("0x10", Err(NotNumeric)),
            ("12a", Err(NotNumeric)),
            ("-", Err(NotNumeric)),
            ("１２", Err(NotNumeric)),
        ];
        for (input, expected) in cases {
            let got = input.parse::<JobId>().map(JobId::get).map_err(|e| e.reason);
            assert_eq!(&got, expected, "input {input:?}");
        }
    }

    #[test]
    fn error_names_field_and_value() {
        let e = "abc".parse::<VersionId>().unwrap_err();
        assert_eq!(e.to_string(), "invalid version_id \"abc\": it is not a number");
        assert_eq!(JobId::new(0).unwrap_err().field, "job_id");
    }

    #[test]
    fn project_ids_table() {
        for ok in ["0123456789abcdef0123456789abcdef", "eu-de_project", "p"] {
            assert!(ProjectId::new(ok).is_ok(), "{ok}");
        }
        let bad = [
            ("", IdErrorReason::Empty),
            ("a/b", IdErrorReason::InvalidCharacters),
            ("a b", IdErrorReason::InvalidCharacters),
            ("x?y", IdErrorReason::InvalidCharacters),
            (&*"a".repeat(65), IdErrorReason::TooLong),
        ];
        for (input, reason) in bad {
            assert_eq!(ProjectId::new(input).unwrap_err().reason, reason, "{input}");
        }
    }

    #[test]
    fn ids_deserialize_from_numbers_and_strings() {
        let a: JobId = serde_json::from_str("12").unwrap();
        let b: JobId = serde_json::from_str("\"12\"").unwrap();
        assert_eq!(a, b);
        assert!(serde_json::from_str::<JobId>("0").is_err());
        assert!(serde_json::from_str::<JobId>("\"x\"").is_err());
    }
}
