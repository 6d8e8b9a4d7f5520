//! One pass over a v1 answer: `T` is read while the envelope fields (`is_success`, `error_code`, …)
//! are noted on the way, instead of reading the body twice (once for the envelope, once for `T`).
//!
//! [`read`] wraps serde_json's deserializer: the map `T` reads is the body's own, except that the
//! value of each envelope key is first read as a [`Value`] (they are small), noted, then handed to
//! `T` (which usually ignores it). Anything unusual (a repeated envelope key) is an error here, and
//! the caller then falls back to the two-pass reading, which gives the exact error of old.

use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::Envelope;
use crate::lenient;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    IsSuccess,
    ErrorCode,
    ErrorMessage,
    ErrorMsg,
    RequestId,
}

impl Field {
    fn of(key: &str) -> Option<Self> {
        Some(match key {
            "is_success" => Self::IsSuccess,
            "error_code" => Self::ErrorCode,
            "error_message" => Self::ErrorMessage,
            "error_msg" => Self::ErrorMsg,
            "request_id" => Self::RequestId,
            _ => return None,
        })
    }
}

/// Notes `value` for `field`, as the envelope's own lenient deserializers read it.
fn note(envelope: &mut Envelope, field: Field, value: &Value) -> Result<(), serde_json::Error> {
    match field {
        Field::IsSuccess => envelope.is_success = lenient::opt_bool(value)?,
        Field::ErrorCode => envelope.error_code = lenient::opt_string(value)?,
        Field::ErrorMessage => envelope.error_message = lenient::opt_string(value)?,
        Field::ErrorMsg => envelope.error_msg = lenient::opt_string(value)?,
        Field::RequestId => envelope.request_id = lenient::opt_string(value)?,
    }
    Ok(())
}

/// Reads `T` from `body` (a whole JSON document, nothing after it) and the envelope beside it.
pub(super) fn read<T: de::DeserializeOwned>(body: &[u8]) -> Result<(T, Envelope), serde_json::Error> {
    // Checked as UTF-8 once, the text's strings need no check each: the answer's usual case. A body
    // that is not UTF-8 is read as bytes, which names the first bad string.
    match std::str::from_utf8(body) {
        Ok(text) => read_from(serde_json::Deserializer::from_str(text)),
        Err(_) => read_from(serde_json::Deserializer::from_slice(body)),
    }
}

fn read_from<'de, R, T>(mut de: serde_json::Deserializer<R>) -> Result<(T, Envelope), serde_json::Error>
where
    R: serde_json::de::Read<'de>,
    T: de::DeserializeOwned,
{
    let mut envelope = Envelope::default();
    let value = T::deserialize(Observed { de: &mut de, envelope: &mut envelope })?;
    de.end()?;
    Ok((value, envelope))
}

/// The body's deserializer, with the envelope noted from its top-level map.
struct Observed<'a, R> {
    de: &'a mut serde_json::Deserializer<R>,
    envelope: &'a mut Envelope,
}

impl<'de, R: serde_json::de::Read<'de>> Deserializer<'de> for Observed<'_, R> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_map(Tap { visitor, envelope: self.envelope })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_any(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// The visitor of the top-level map: hands `T`'s visitor a map that notes the envelope.
struct Tap<'a, V> {
    visitor: V,
    envelope: &'a mut Envelope,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Tap<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_map(Noting { map, envelope: self.envelope, current: None, seen: [false; 5] })
    }
}

struct Noting<'a, A> {
    map: A,
    envelope: &'a mut Envelope,
    /// The envelope field whose value comes next.
    current: Option<Field>,
    seen: [bool; 5],
}

/// A key as the body holds it: borrowed when it has no escapes.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Noting<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = self.map.next_key::<Key<'de>>()? else {
            return Ok(None);
        };
        let text = match &key {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s.as_str(),
        };
        self.current = Field::of(text);
        if let Some(field) = self.current
            && std::mem::replace(&mut self.seen[field as usize], true)
        {
            return Err(de::Error::custom("a repeated envelope field"));
        }
        match key {
            Key::Borrowed(s) => seed.deserialize(BorrowedStrDeserializer::new(s)).map(Some),
            Key::Owned(s) => seed.deserialize(StringDeserializer::new(s)).map(Some),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let Some(field) = self.current.take() else {
            return self.map.next_value_seed(seed);
        };
        let value: Value = self.map.next_value()?;
        note(self.envelope, field, &value).map_err(de::Error::custom)?;
        seed.deserialize(value).map_err(de::Error::custom)
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::model::VersionDetail;

    /// The text path (checked as UTF-8 once) and the bytes path read the same answers alike.
    #[test]
    fn text_and_bytes_readings_agree() {
        let bodies: [&[u8]; 5] = [
            br#"{"version_id": 7, "status": 8, "job_name": "n\u00fc", "is_success": true}"#,
            "{\"version_id\": 7, \"status\": 8, \"job_name\": \"n\u{fc}\"}".as_bytes(),
            br#"{"version_id": 7, "status": 8, "is_success": false, "error_code": "E"}"#,
            br#"{"version_id": 7, "status": "x"}"#,
            br#"{"version_id": 7, "status": 8} trailing"#,
        ];
        for body in bodies {
            let text = std::str::from_utf8(body).unwrap();
            let as_text = read_from::<_, VersionDetail>(serde_json::Deserializer::from_str(text));
            let as_bytes = read_from::<_, VersionDetail>(serde_json::Deserializer::from_slice(body));
            assert_eq!(
                format!("{:?}", as_text.map(|(v, e)| (v, e.is_success, e.error_code))),
                format!("{:?}", as_bytes.map(|(v, e)| (v, e.is_success, e.error_code))),
                "{text}"
            );
        }
        // A body that is not UTF-8 is still read (as bytes) and refused where a string is broken.
        let broken = b"{\"version_id\": 7, \"status\": 8, \"job_name\": \"\xff\"}";
        assert!(read::<VersionDetail>(broken).is_err());
        let fine = read::<VersionDetail>(b"{\"version_id\": 7, \"status\": 8}").unwrap();
        assert_eq!(fine.0.version_id.to_string(), "7");
    }
}
