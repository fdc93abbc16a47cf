//! Arbitrary text as a JWKS document (what a key-set endpoint may answer): `JwkSet::parse`.
//!
//! Nothing may panic. A document is refused only as not a JWKS document or as holding more
//! keys than the cap, and the cap is exactly the `keys` array's length as serde_json reads it.
//! An accepted document accounts for every element of its `keys` array, as a usable key or as
//! a skipped one with a reason; it never yields an HMAC key (a symmetric key in a published
//! set is skipped); every lookup (each key's `kid`, an unknown one, none, with each
//! algorithm) answers what the documented selection rules, applied by a linear scan, answer;
//! and its published form (`to_jwks`) parses back to the same keys with the same `kid`s, in
//! the same order, skipping none.
#![no_main]
#![forbid(unsafe_code)]

use jwks::{DEFAULT_MAX_KEYS, JwkEntry, JwkSet, KeyRequest, SourceErrorKind};
use jwt_core::{Algorithm, KeyFamily};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde::de::IgnoredAny;

/// A JWKS document as serde_json reads one without looking into its keys (the parser under
/// test keeps each key's text raw, so, like it, this does not refuse a key whose strings
/// hold an unpaired UTF-16 surrogate escape; the key itself is then skipped).
#[derive(Deserialize)]
struct Document {
    keys: Vec<IgnoredAny>,
}

/// The `keys` array's length as serde_json reads the document, if it is an object with one.
fn keys_len(text: &str) -> Option<usize> {
    serde_json::from_str::<Document>(text)
        .ok()
        .map(|d| d.keys.len())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let set = match JwkSet::parse(text) {
        Ok(set) => set,
        Err(e) => {
            match e.kind() {
                SourceErrorKind::InvalidDocument => {}
                SourceErrorKind::TooManyKeys => {
                    assert!(
                        keys_len(text).is_some_and(|n| n > DEFAULT_MAX_KEYS),
                        "{text}"
                    );
                }
                other => panic!("{other:?} for {text}"),
            }
            return;
        }
    };
    assert_eq!(
        Some(set.len() + set.skipped().len()),
        keys_len(text),
        "{text}"
    );
    assert!(set.len() <= DEFAULT_MAX_KEYS);
    for entry in set.iter() {
        assert_ne!(entry.key().family(), KeyFamily::Hmac, "{text}");
    }
    // Every lookup a token can make (each usable key's `kid`, one no key has, none) with each
    // algorithm, against the documented selection rules applied by a linear scan.
    let kids = set
        .iter()
        .filter_map(|e| e.kid())
        .map(Some)
        .chain([Some("no key has this kid"), None]);
    for kid in kids {
        for alg in Algorithm::ALL {
            let got = set.select(KeyRequest { kid, alg });
            let candidates: Vec<&JwkEntry> = set
                .iter()
                .filter(|e| kid.is_none() || e.kid() == kid)
                .collect();
            let fitting: Vec<&JwkEntry> = candidates
                .iter()
                .copied()
                .filter(|e| e.key().supports(alg))
                .collect();
            let expected = match (fitting.as_slice(), candidates.as_slice(), kid) {
                ([one], _, _) => Ok(*one),
                // With a kid: none fits, but it names exactly one key, or none.
                ([], [only], Some(_)) => Ok(*only),
                ([], [], _) | ([], _, None) => Err("key-not-found"),
                // Several fit; or, with a kid, none fits and it names several.
                _ => Err("ambiguous-key"),
            };
            match (got, expected) {
                (Ok(key), Ok(entry)) => assert_eq!(key.to_jwk(), entry.key().to_jwk(), "{text}"),
                (Err(e), Err(code)) => assert_eq!(e.code(), code, "{text}"),
                (got, expected) => panic!(
                    "{text}\n{kid:?} {alg:?}: {:?} against {:?}",
                    got.map(|k| k.to_jwk()),
                    expected.map(JwkEntry::kid)
                ),
            }
        }
    }
    for skipped in set.skipped() {
        assert!(!skipped.code().is_empty());
    }
    let published = set.to_jwks().to_string();
    let again = JwkSet::parse(&published).expect("a published set parses");
    assert!(again.skipped().is_empty(), "{published}");
    let keys = |s: &JwkSet| -> Vec<_> {
        s.iter()
            .map(|e| {
                let key = e.key();
                (
                    e.kid().map(str::to_owned),
                    key.family(),
                    key.pinned_algorithm(),
                    key.to_jwk(),
                )
            })
            .collect()
    };
    assert_eq!(keys(&again), keys(&set), "{text}");
});
