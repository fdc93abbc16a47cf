//! Arbitrary payload text in a correctly signed token: the typed one-pass reader against the
//! map path.
//!
//! The input (if it is UTF-8) becomes the payload of an HS256 token signed here with the
//! target's fixed secret, so every input reaches the claims stage. The token is then verified
//! into `Claims` (serde_json's strict tree parser), into `serde_json::Value` and into a typed
//! struct (both read by jwt-core's one-pass reader), and through the split
//! `UnverifiedToken::prepare` + `Validation::verify_prepared` form, and through
//! `UnverifiedToken::prepare_with` with a member reader written for the struct, and through
//! `Validation::prepare_with_text` with that reader taking `sub` as a place in the payload
//! text, resolved against the text its `keep` function is handed. Nothing may
//! panic, and the verdicts must agree: the same error wherever the map path fails, the same
//! claims wherever it succeeds, and a typed failure only when the claims do not fit the struct.
#![no_main]
#![forbid(unsafe_code)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use core::ops::Range;

use jwt_core::{
    Algorithm, Claims, GaveUp, Kind, Limits, MemberReader, Placed, Timestamp, UnverifiedToken,
    Validation, VerifyingKey,
};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde_json::Value;

const SECRET: &[u8] = b"fuzzing-secret-that-is-at-least-32-bytes";

/// A claims struct with the registered claims the checks read, a fixed-size array (a visitor
/// that stops after two elements) and a defaulted list.
#[derive(Debug, PartialEq, Deserialize)]
struct Typed {
    sub: Option<String>,
    exp: Option<f64>,
    aud: Option<Value>,
    fva: Option<[i64; 2]>,
    #[serde(default)]
    tags: Vec<String>,
}

/// `Typed` read with `sub` kept as its place in the payload text until the token verifies.
#[derive(Debug)]
struct Kept {
    typed: Typed,
    sub_at: Option<Range<usize>>,
}

impl<'de> Deserialize<'de> for Kept {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Typed::deserialize(d).map(|typed| Kept {
            typed,
            sub_at: None,
        })
    }
}

/// `Kept` through the member reader, `sub` by `optional_placed`.
fn read_kept(m: &mut MemberReader<'_, '_>) -> Result<Kept, GaveUp> {
    let mut sub_at = None;
    let typed = read_fields(m, Some(&mut sub_at))?;
    Ok(Kept { typed, sub_at })
}

/// The text of a verified token: `sub` read from the place the reader took.
fn keep(k: &mut Kept, text: String) {
    if let Some(at) = k.sub_at.take() {
        let sub = text.get(at).expect("a place in the payload text");
        assert!(!sub.contains('\\'), "a place given for an escaped string");
        k.typed.sub = Some(sub.to_owned());
    }
}

/// `Typed` as its `Deserialize` reads it, through the member reader (unknown members
/// ignored, a repeated field given up on: serde's derive would refuse it).
fn read_typed(m: &mut MemberReader<'_, '_>) -> Result<Typed, GaveUp> {
    read_fields(m, None)
}

/// [`read_typed`], with `sub` as a place in the text (`placed`) when given somewhere to put it.
fn read_fields(
    m: &mut MemberReader<'_, '_>,
    mut placed: Option<&mut Option<Range<usize>>>,
) -> Result<Typed, GaveUp> {
    let mut t = Typed {
        sub: None,
        exp: None,
        aud: None,
        fva: None,
        tags: Vec::new(),
    };
    let mut seen = [false; 5];
    while let Some(name) = m.next_name()? {
        let field = ["sub", "exp", "aud", "fva", "tags"]
            .iter()
            .position(|f| *f == name);
        if let Some(i) = field {
            if seen[i] {
                return Err(GaveUp);
            }
            seen[i] = true;
        }
        match field {
            Some(0) => match placed.as_deref_mut() {
                None => t.sub = m.optional_string()?,
                Some(at) => match m.optional_placed()? {
                    Some(Placed::At(place)) => *at = Some(place),
                    Some(Placed::Unescaped(s)) => t.sub = Some(s),
                    None => {}
                },
            },
            // A number straight; anything else (null too) through serde.
            Some(1) => {
                t.exp = match m.kind()? {
                    Kind::Number => Some(m.number()?.as_f64().ok_or(GaveUp)?),
                    _ => m.value()?,
                }
            }
            // A string borrowed; anything else through serde.
            Some(2) => {
                t.aud = match m.kind()? {
                    Kind::String => m.optional_str()?.map(|s| Value::String(s.into_owned())),
                    _ => m.value()?,
                }
            }
            // Null or two numbers straight, as the facade reads `fva`; anything else gives up.
            Some(3) => {
                t.fva = match m.optional_numbers::<2>()? {
                    None => None,
                    Some([a, b]) => Some([a.as_i64().ok_or(GaveUp)?, b.as_i64().ok_or(GaveUp)?]),
                }
            }
            Some(4) => t.tags = m.value()?,
            _ => drop(m.value::<serde::de::IgnoredAny>()?),
        }
    }
    Ok(t)
}

fn sign(payload: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET);
    let tag = ring::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = std::str::from_utf8(data) else {
        return;
    };
    let token = sign(payload);
    let key = VerifyingKey::hmac(SECRET).expect("secret");
    let rules = Validation::new([Algorithm::HS256])
        .require_sub(false)
        .require_exp(false)
        .with_audiences(["api", ""])
        .with_limits(Limits {
            max_token_len: 1 << 20,
            max_depth: 8,
        });
    let now = Timestamp::from_unix_seconds(1_700_000_000);
    let map = rules.verify::<Claims>(&token, &key, now);
    let as_map = map
        .as_ref()
        .map(|v| Value::Object(v.claims().clone().into_map()));

    let value = rules.verify::<Value>(&token, &key, now);
    match (&as_map, &value) {
        (Ok(m), Ok(v)) => assert_eq!(m, v.claims()),
        (Err(a), Err(b)) => assert_eq!(*a, b),
        _ => panic!("Claims {:?} vs Value {:?}", as_map.err(), value.err()),
    }

    let typed = rules.verify::<Typed>(&token, &key, now);
    match (&as_map, &typed) {
        (Ok(m), Ok(t)) => {
            let want: Typed = serde_json::from_value(m.clone()).expect("the map fits too");
            assert_eq!(&want, t.claims());
        }
        (Ok(m), Err(e)) => {
            assert_eq!(e.code(), "claims-deserialize", "{e:?}");
            assert!(serde_json::from_value::<Typed>(m.clone()).is_err());
        }
        (Err(a), Err(b)) => assert_eq!(*a, b),
        (Err(a), Ok(_)) => panic!("the typed path accepted what the map path refused: {a:?}"),
    }

    let split = UnverifiedToken::prepare::<Typed>(&token, rules.limits())
        .and_then(|p| rules.verify_prepared(p, &key, now));
    assert_eq!(
        split.as_ref().map(|v| v.claims()),
        typed.as_ref().map(|v| v.claims())
    );

    let with_reader = UnverifiedToken::prepare_with(&token, rules.limits(), read_typed)
        .and_then(|p| rules.verify_prepared(p, &key, now));
    assert_eq!(
        with_reader.as_ref().map(|v| v.claims()),
        typed.as_ref().map(|v| v.claims())
    );

    let kept = rules
        .prepare_with_text(&token, read_kept, keep)
        .and_then(|p| rules.verify_prepared_claims(p, &key, now));
    assert_eq!(
        kept.as_ref().map(|k| {
            assert!(k.sub_at.is_none(), "a verified token's text was not kept");
            &k.typed
        }),
        typed.as_ref().map(|v| v.claims())
    );
});
