//! Strict JSON objects: duplicate member names and excessive nesting are errors.
//!
//! serde_json keeps the last of two equal member names; a verifier must not, because two
//! parsers reading the same token could then see different claims.

use core::cell::Cell;
use core::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Value};

use crate::error::{Error, Part, truncate};

/// Why strict parsing failed, recorded beside serde's own error.
#[derive(Default)]
struct Fault {
    duplicate: Cell<Option<()>>,
    too_deep: Cell<bool>,
}

/// Deepest nesting this parser can report as [`Error::NestingTooDeep`].
///
/// serde_json stops at 128 nested arrays or objects with an error of its own, which would
/// surface as malformed JSON. Capping the configured depth below that keeps over-deep input
/// reported as what it is, whatever [`Limits::max_depth`](crate::Limits::max_depth) says.
pub(crate) const MAX_DEPTH_CAP: u32 = 100;

/// Parses `text` as a JSON object with unique member names at every level and nesting of at
/// most `max_depth` (itself at most [`MAX_DEPTH_CAP`]).
pub(crate) fn parse_object(
    text: &str,
    part: Part,
    max_depth: u32,
) -> Result<Map<String, Value>, Error> {
    let max_depth = max_depth.min(MAX_DEPTH_CAP);
    let fault = Fault::default();
    let dup_name: Cell<Option<String>> = Cell::new(None);
    let seed = Strict {
        depth: 0,
        max_depth,
        fault: &fault,
        dup_name: &dup_name,
        top: true,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let result = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match result {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::MalformedJson { part }),
        Err(_) if fault.duplicate.get().is_some() => Err(Error::DuplicateMember {
            part,
            name: dup_name.take().unwrap_or_default(),
        }),
        Err(_) if fault.too_deep.get() => Err(Error::NestingTooDeep { part }),
        Err(_) => Err(Error::MalformedJson { part }),
    }
}

#[derive(Clone, Copy)]
struct Strict<'f> {
    depth: u32,
    max_depth: u32,
    fault: &'f Fault,
    dup_name: &'f Cell<Option<String>>,
    top: bool,
}

impl Strict<'_> {
    fn nested(self) -> Self {
        Strict {
            depth: self.depth.saturating_add(1),
            top: false,
            ..self
        }
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a json value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        if self.depth >= self.max_depth {
            self.fault.too_deep.set(true);
            return Err(serde::de::Error::custom("nesting too deep"));
        }
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self.nested())? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        if self.depth >= self.max_depth && !self.top {
            self.fault.too_deep.set(true);
            return Err(serde::de::Error::custom("nesting too deep"));
        }
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let v = map.next_value_seed(self.nested())?;
            // One hash and probe per member: the entry both detects a repeat and inserts.
            match out.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(v);
                }
                Entry::Occupied(slot) => {
                    self.fault.duplicate.set(Some(()));
                    self.dup_name.set(Some(truncate(slot.key())));
                    return Err(serde::de::Error::custom("duplicate member"));
                }
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Map<String, Value>, Error> {
        parse_object(s, Part::Payload, 4)
    }

    #[test]
    fn duplicates_at_any_depth() {
        assert_eq!(
            parse(r#"{"a":1,"a":2}"#).unwrap_err(),
            Error::DuplicateMember {
                part: Part::Payload,
                name: "a".into()
            }
        );
        assert_eq!(
            parse(r#"{"a":{"b":1,"b":1}}"#).unwrap_err(),
            Error::DuplicateMember {
                part: Part::Payload,
                name: "b".into()
            }
        );
        // Escapes are decoded before comparison: "\u0061" is "a".
        assert_eq!(
            parse(r#"{"a":1,"\u0061":2}"#).unwrap_err(),
            Error::DuplicateMember {
                part: Part::Payload,
                name: "a".into()
            }
        );
        assert!(parse(r#"{"a":[{"b":1},{"b":1}]}"#).is_ok());
    }

    #[test]
    fn depth_limit() {
        assert!(parse(r#"{"a":[[[1]]]}"#).is_ok());
        assert_eq!(
            parse(r#"{"a":[[[[1]]]]}"#).unwrap_err(),
            Error::NestingTooDeep {
                part: Part::Payload
            }
        );
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(
            parse(&deep).unwrap_err(),
            Error::NestingTooDeep {
                part: Part::Payload
            }
        );
    }

    #[test]
    fn configured_depth_beyond_the_cap_still_reports_nesting() {
        let deep = |n: usize| format!("{{\"a\":{}{}}}", "[".repeat(n), "]".repeat(n));
        // The top-level object counts as the first level.
        let cap = MAX_DEPTH_CAP as usize;
        assert!(parse_object(&deep(cap - 1), Part::Header, u32::MAX).is_ok());
        for n in [cap, 127, 128, 129, 5_000] {
            assert_eq!(
                parse_object(&deep(n), Part::Header, u32::MAX).unwrap_err(),
                Error::NestingTooDeep { part: Part::Header },
                "{n}"
            );
        }
    }

    #[test]
    fn only_objects() {
        for s in ["[]", "1", "\"x\"", "null", "{} {}", "{", "", "{\"a\":1,}"] {
            assert_eq!(
                parse(s).unwrap_err(),
                Error::MalformedJson {
                    part: Part::Payload
                },
                "{s}"
            );
        }
    }
}
