//! Deserializers that accept the documented drifts between the documentation and real answers
//! (numbers as strings and strings as numbers, `null` for absent values, JSON documents sent as
//! strings), shared by the v1 and v2 models, the identity answers and the workspaces.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
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
/// ([`JsonDoc`]); `null` and a blank string are `None`; a string that holds no JSON is kept
/// as that string. The rules of [`json_or_string`] for a `Value`, without building the tree.
pub fn json_doc<'de, D: Deserializer<'de>>(d: D) -> Result<Option<JsonDoc>, D::Error> {
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
                Ok(doc) => Ok(Some(JsonDoc(doc))),
                // Not JSON inside: the string itself is the document.
                Err(_) => Ok(Some(JsonDoc(raw))),
            }
        }
        _ => Ok(Some(JsonDoc(raw))),
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

/// Splits a log text into lines: at `\n`, a trailing `\r` dropped, a final empty piece not a line.
pub fn split_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    if text.is_empty() || text.ends_with('\n') {
        lines.pop();
    }
    lines
}
