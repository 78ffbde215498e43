//! JSON read with every object's member names unique. RFC 8259 §4 leaves a repeated name
//! to the parser ("the names within an object SHOULD be unique"); parsers disagree on
//! which one wins, so a body such as `{"userName": "a", "userName": "b"}` can mean one
//! thing to a proxy that inspects it and another to us. Rollcall refuses it instead.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Parse `bytes` as one JSON value whose objects repeat no member name. The error names
/// the position, as any other syntax error does.
pub(crate) fn from_slice(bytes: &[u8]) -> serde_json::Result<Value> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = UniqueKeys.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// A [`Value`], refusing an object that names a member twice.
struct UniqueKeys;

impl<'de> DeserializeSeed<'de> for UniqueKeys {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeys {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        // JSON has no NaN or infinity, so a parsed float is always finite.
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut elements = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(element) = seq.next_element_seed(UniqueKeys)? {
            elements.push(element);
        }
        Ok(Value::Array(elements))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if object.contains_key(&name) {
                return Err(de::Error::custom(format_args!(
                    "the member name {name:?} appears twice in one object"
                )));
            }
            let value = map.next_value_seed(UniqueKeys)?;
            object.insert(name, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_serde_json_reads_them_unless_a_name_repeats() {
        let same = [
            "null",
            "true",
            "-12",
            "18446744073709551615",
            "1.5e3",
            "\"a\\u0041\\ud83d\\ude00\"",
            "[1, [2, {}], {\"a\": [], \"b\": {\"a\": 1}}]",
            "{\"a\": 1, \"A\": 2, \"b\": {\"a\": 1}, \"c\": [{\"a\": 1}, {\"a\": 2}]}",
            " {\"z\": 1, \"a\": 2} ",
        ];
        for text in same {
            let expected: Value = serde_json::from_str(text).unwrap_or_default();
            let read = from_slice(text.as_bytes()).ok();
            assert_eq!(read, Some(expected.clone()), "{text}");
            // Member order is kept.
            assert_eq!(
                read.map(|value| value.to_string()),
                Some(expected.to_string()),
                "{text}"
            );
        }
        let refused = [
            ("{\"a\": 1, \"a\": 1}", 1, 12),
            ("{\"userName\": \"a\",\n \"userName\": \"b\"}", 2, 11),
            ("[{\"b\": {\"x\": 1, \"x\": 2}}]", 1, 19),
            ("{\"a\\u0062\": 1, \"ab\": 2}", 1, 19),
            ("{} {}", 1, 4),
            ("{\"a\": 1", 1, 7),
        ];
        for (text, line, column) in refused {
            let error = from_slice(text.as_bytes()).map(|_| ()).unwrap_err();
            assert_eq!(
                (error.line(), error.column()),
                (line, column),
                "{text}: {error}"
            );
        }
    }
}
