//! JWKS documents: parsing with limits, and the key selection rules every source shares.

use core::fmt;
use std::collections::HashMap;
use std::sync::Arc;

use jwt_core::{Algorithm, Jwk, KeyError, MAX_KID_LEN, VerifyingKey};
use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::{KeyLookupError, KeyRequest, SourceError, SourceErrorKind};

/// Default cap on the number of keys in a JWKS document.
pub const DEFAULT_MAX_KEYS: usize = 100;

/// Default cap on the size of a JWKS document (a file, or a response body): 1 MiB.
pub const DEFAULT_MAX_DOCUMENT_LEN: usize = 1024 * 1024;

/// Longest `kid` repeated in an error or a report, in bytes.
const MAX_KID_ECHO: usize = 64;

/// Copies of each key, handed out by thread. A lookup returns an `Arc` clone, and threads
/// cloning the *same* `Arc` contend on its reference count; giving threads different copies
/// keeps cache hits scaling across cores (measured in the `key_lookup` bench).
const STRIPES: usize = 4;

/// This thread's stripe: threads take stripes round-robin on first use.
fn stripe() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static STRIPE: usize = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
    }
    STRIPE.with(|s| *s)
}

/// One usable key of a [`JwkSet`]: its `kid` (if the JWK had one) and the parsed key.
#[derive(Clone, Debug)]
pub struct JwkEntry {
    kid: Option<Box<str>>,
    key: Arc<VerifyingKey>,
    /// `STRIPES - 1` more, separately allocated copies of the same key.
    copies: Box<[Arc<VerifyingKey>]>,
}

impl JwkEntry {
    fn new(kid: Option<String>, key: VerifyingKey) -> JwkEntry {
        let copies = (1..STRIPES).map(|_| Arc::new(key.clone())).collect();
        JwkEntry {
            kid: kid.map(String::into_boxed_str),
            key: Arc::new(key),
            copies,
        }
    }

    /// The key's `kid`, if it has one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The parsed key (it knows its family and any `alg` pin).
    pub fn key(&self) -> &Arc<VerifyingKey> {
        self.striped()
    }

    fn striped(&self) -> &Arc<VerifyingKey> {
        match stripe().checked_sub(1) {
            Some(i) => self.copies.get(i).unwrap_or(&self.key),
            None => &self.key,
        }
    }
}

/// A key of a JWKS document that was skipped because it cannot be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedKey {
    index: usize,
    kid: Option<String>,
    error: KeyError,
}

impl SkippedKey {
    /// The key's position in the document's `keys` array (from 0).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The key's `kid` (truncated), when it had a readable one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Why the key was skipped.
    pub fn error(&self) -> &KeyError {
        &self.error
    }

    /// The stable code of the reason (a `jwt_core::KeyError` code such as
    /// `unsupported-key-type`).
    pub fn code(&self) -> &'static str {
        self.error.code()
    }
}

impl fmt::Display for SkippedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kid {
            Some(kid) => write!(f, "key {} (kid {kid:?}): {}", self.index, self.error),
            None => write!(f, "key {}: {}", self.index, self.error),
        }
    }
}

/// Where the keys of one `kid` (or of the kid-less lookup for one algorithm) are.
#[derive(Clone, Debug)]
enum Slot {
    One(usize),
    Many(Box<[usize]>),
}

/// A parsed key set: the usable keys of a JWKS document, indexed for O(1) selection, and a
/// report of the keys that were skipped.
///
/// # Parsing
///
/// [`JwkSet::parse`] accepts a JSON object with a `keys` array (other members are ignored). A
/// document that is not such an object, or whose `keys` array is longer than the cap (100 by
/// default), fails as a whole. Each key is then loaded with
/// [`VerifyingKey::from_jwk`](jwt_core::VerifyingKey::from_jwk); a key that cannot be used —
/// unknown `kty`, `alg` or `crv`, `use` other than `sig`, `key_ops` without `verify`,
/// symmetric (`oct`) or private material, a `kid` longer than
/// [`MAX_KID_LEN`](jwt_core::MAX_KID_LEN) bytes, a malformed member — is skipped and
/// reported in [`skipped`](JwkSet::skipped) with its `jwt_core::KeyError`, instead of failing
/// the whole set. A JWK `alg` pins the key to that one algorithm.
///
/// # Selection rules
///
/// [`select`](JwkSet::select) answers a [`KeyRequest`] (the token's `kid` and `alg`):
///
/// - **Token with a `kid`**: the candidates are the usable keys with exactly that `kid`
///   (byte-for-byte; keys without a `kid` never match). Of those, the keys that
///   [support](jwt_core::VerifyingKey::supports) the token's `alg` (same family, not pinned
///   to another algorithm) count. One → that key. Several → [`KeyLookupError::AmbiguousKey`]:
///   the set never guesses, neither first-wins nor last-wins. None, but exactly one key with
///   that `kid` exists → that key is returned anyway, so that verification reports the
///   precise "key cannot verify this algorithm" failure rather than an unknown `kid`. None,
///   and several keys with that `kid` → [`KeyLookupError::AmbiguousKey`] (no single key to
///   report on). No key with that `kid` → [`KeyLookupError::KeyNotFound`].
/// - **Token without a `kid`**: the candidates are all usable keys that support the token's
///   `alg`, with or without a `kid`. Exactly one → that key; none →
///   [`KeyLookupError::KeyNotFound`]; several → [`KeyLookupError::AmbiguousKey`].
///
/// Both lookups are O(1) in the number of keys: the set is indexed when it is built.
///
/// ```
/// use jwks::{JwkSet, KeyRequest};
/// use jwt_core::Algorithm;
///
/// let doc = r#"{"keys":[
///   {"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
///   {"kty":"oct","kid":"secret","k":"c2VjcmV0"},
///   {"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"}
/// ]}"#;
/// let set = JwkSet::parse(doc)?;
/// assert_eq!(set.len(), 1);
/// let codes: Vec<_> = set.skipped().iter().map(|s| s.code()).collect();
/// assert_eq!(codes, ["symmetric-jwk", "not-for-signatures"]);
///
/// let key = set.select(KeyRequest { kid: Some("ed"), alg: Algorithm::EdDSA })?;
/// assert!(key.supports(Algorithm::EdDSA));
/// let miss = set.select(KeyRequest { kid: Some("nope"), alg: Algorithm::EdDSA });
/// assert_eq!(miss.unwrap_err().code(), "key-not-found");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct JwkSet {
    entries: Vec<JwkEntry>,
    by_kid: HashMap<Box<str>, Slot>,
    /// The kid-less answer for each algorithm, indexed like `Algorithm::ALL`.
    by_alg: [Option<Slot>; Algorithm::ALL.len()],
    skipped: Vec<SkippedKey>,
}

impl JwkSet {
    /// Parses a JWKS document with the default limits (at most [`DEFAULT_MAX_KEYS`] keys).
    ///
    /// Fails with [`SourceErrorKind::InvalidDocument`] when the text is not a JSON object
    /// with a `keys` array, and [`SourceErrorKind::TooManyKeys`] when the array is longer
    /// than the cap. Unusable keys are skipped, not fatal; a set with no usable key is
    /// returned empty (key *sources* refuse to serve an empty set).
    pub fn parse(json: &str) -> Result<JwkSet, SourceError> {
        Self::parse_with_max_keys(json, DEFAULT_MAX_KEYS)
    }

    /// Like [`parse`](Self::parse), with a different cap on the number of keys.
    ///
    /// The cap is checked while the array is read: a document with a million keys is refused
    /// after `max_keys + 1` of them, without holding the rest.
    pub fn parse_with_max_keys(json: &str, max_keys: usize) -> Result<JwkSet, SourceError> {
        let mut de = serde_json::Deserializer::from_str(json);
        let raw = DocumentSeed { max_keys }
            .deserialize(&mut de)
            .and_then(|doc| de.end().map(|()| doc));
        let raw = match raw {
            Ok(Document::Keys(raw)) => raw,
            Ok(Document::TooMany) => {
                return Err(SourceError::new(
                    SourceErrorKind::TooManyKeys,
                    format!("jwks document has more than {max_keys} keys"),
                ));
            }
            Err(e) => {
                return Err(SourceError::new(
                    SourceErrorKind::InvalidDocument,
                    format!("not a jwks document: {}", truncate_kid(&e.to_string())),
                ));
            }
        };
        let mut entries = Vec::with_capacity(raw.len());
        let mut skipped = Vec::new();
        for (index, raw) in raw.iter().enumerate() {
            match load_jwk(raw.get()) {
                Ok((kid, key)) => entries.push(JwkEntry::new(kid, key)),
                Err((kid, error)) => skipped.push(SkippedKey { index, kid, error }),
            }
        }
        Ok(Self::index(entries, skipped))
    }

    /// Builds a set from keys the caller already holds (each with an optional `kid`).
    ///
    /// ```
    /// use jwks::JwkSet;
    /// use jwt_core::VerifyingKey;
    /// let jwk = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    /// let set = JwkSet::from_keys([(Some("k1".to_owned()), VerifyingKey::from_jwk_json(jwk)?)]);
    /// assert_eq!(set.iter().next().and_then(|e| e.kid()), Some("k1"));
    /// # Ok::<(), jwt_core::KeyError>(())
    /// ```
    pub fn from_keys(keys: impl IntoIterator<Item = (Option<String>, VerifyingKey)>) -> JwkSet {
        let entries = keys
            .into_iter()
            .map(|(kid, key)| JwkEntry::new(kid, key))
            .collect();
        Self::index(entries, Vec::new())
    }

    fn index(entries: Vec<JwkEntry>, skipped: Vec<SkippedKey>) -> JwkSet {
        let mut by_kid: HashMap<Box<str>, Slot> = HashMap::with_capacity(entries.len());
        let mut by_alg: [Option<Slot>; Algorithm::ALL.len()] = Default::default();
        for (i, entry) in entries.iter().enumerate() {
            if let Some(kid) = &entry.kid {
                by_kid
                    .entry(kid.clone())
                    .and_modify(|slot| push(slot, i))
                    .or_insert(Slot::One(i));
            }
            for (alg, slot) in Algorithm::ALL.iter().zip(by_alg.iter_mut()) {
                if entry.striped().supports(*alg) {
                    match slot {
                        Some(s) => push(s, i),
                        None => *slot = Some(Slot::One(i)),
                    }
                }
            }
        }
        JwkSet {
            entries,
            by_kid,
            by_alg,
            skipped,
        }
    }

    /// Selects the key for a token, following the [selection rules](JwkSet#selection-rules).
    pub fn select(&self, req: KeyRequest<'_>) -> Result<&Arc<VerifyingKey>, KeyLookupError> {
        match req.kid {
            Some(kid) => {
                let not_found = || KeyLookupError::KeyNotFound {
                    kid: Some(truncate_kid(kid)),
                };
                match self.by_kid.get(kid).ok_or_else(not_found)? {
                    Slot::One(i) => self.entry_key(*i).ok_or_else(not_found),
                    Slot::Many(all) => {
                        let mut fitting = all
                            .iter()
                            .filter_map(|i| self.entry_key(*i))
                            .filter(|k| k.supports(req.alg));
                        match (fitting.next(), fitting.next()) {
                            (Some(key), None) => Ok(key),
                            _ => Err(KeyLookupError::AmbiguousKey {
                                kid: Some(truncate_kid(kid)),
                            }),
                        }
                    }
                }
            }
            None => {
                let slot = Algorithm::ALL
                    .iter()
                    .position(|a| *a == req.alg)
                    .and_then(|i| self.by_alg.get(i))
                    .and_then(Option::as_ref);
                match slot {
                    Some(Slot::One(i)) => self
                        .entry_key(*i)
                        .ok_or(KeyLookupError::KeyNotFound { kid: None }),
                    Some(Slot::Many(_)) => Err(KeyLookupError::AmbiguousKey { kid: None }),
                    None => Err(KeyLookupError::KeyNotFound { kid: None }),
                }
            }
        }
    }

    fn entry_key(&self, i: usize) -> Option<&Arc<VerifyingKey>> {
        self.entries.get(i).map(JwkEntry::striped)
    }

    /// Whether some usable key has exactly this `kid`.
    pub fn contains_kid(&self, kid: &str) -> bool {
        self.by_kid.contains_key(kid)
    }

    /// The number of usable keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the set has no usable key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The usable keys, in document order.
    pub fn iter(&self) -> impl Iterator<Item = &JwkEntry> {
        self.entries.iter()
    }

    /// The keys that were skipped while parsing, with the reason for each.
    pub fn skipped(&self) -> &[SkippedKey] {
        &self.skipped
    }

    /// The usable keys as a JWKS document (`{"keys":[...]}`), each with its `kid`, `use: sig`
    /// and its `alg` pin. Skipped keys are not included; HMAC keys (which have no public
    /// form) are left out.
    pub fn to_jwks(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .entries
            .iter()
            .filter_map(|e| {
                let mut jwk: Jwk = e.striped().to_jwk()?;
                jwk.kid = e.kid.as_deref().map(str::to_owned);
                jwk.use_ = Some("sig".to_owned());
                serde_json::to_value(jwk).ok()
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// The first usable key, for single-key sources.
    pub(crate) fn first_key(&self) -> Option<&Arc<VerifyingKey>> {
        self.entries.first().map(JwkEntry::striped)
    }

    /// An error for a source that would serve this set but has nothing usable in it, naming
    /// the first skipped key's reason.
    pub(crate) fn no_usable_keys_error(&self) -> SourceError {
        let detail = match self.skipped.first() {
            Some(first) => format!(
                "jwks document has no usable key ({} skipped; first: {first})",
                self.skipped.len()
            ),
            None => "jwks document has no keys".to_owned(),
        };
        SourceError::new(SourceErrorKind::NoUsableKeys, detail)
    }
}

fn push(slot: &mut Slot, i: usize) {
    *slot = match slot {
        Slot::One(first) => Slot::Many(Box::new([*first, i])),
        Slot::Many(all) => {
            let mut v = all.to_vec();
            v.push(i);
            Slot::Many(v.into_boxed_slice())
        }
    };
}

/// Truncates a `kid` for an error message, on a char boundary.
pub(crate) fn truncate_kid(kid: &str) -> String {
    if kid.len() <= MAX_KID_ECHO {
        return kid.to_owned();
    }
    let mut end = MAX_KID_ECHO;
    while !kid.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    let mut out = kid.get(..end).unwrap_or_default().to_owned();
    out.push('…');
    out
}

/// Loads one JWK of a set; on failure, returns the readable `kid` with the reason.
fn load_jwk(json: &str) -> Result<(Option<String>, VerifyingKey), (Option<String>, KeyError)> {
    let jwk = Jwk::from_json(json).map_err(|e| (None, e))?;
    let kid = jwk.kid.clone();
    if kid.as_ref().is_some_and(|k| k.len() > MAX_KID_LEN) {
        return Err((
            kid.as_deref().map(truncate_kid),
            KeyError::InvalidJwk {
                detail: "kid is longer than the 256 bytes a token header may carry",
            },
        ));
    }
    match VerifyingKey::from_jwk(&jwk) {
        Ok(key) => Ok((kid, key)),
        Err(e) => Err((kid.as_deref().map(truncate_kid), e)),
    }
}

/// The outcome of reading the document shell: the raw keys, or "more than the cap".
enum Document {
    Keys(Vec<Box<RawValue>>),
    TooMany,
}

/// Reads `{"keys": [...]}`, ignoring other members, refusing a repeated `keys`.
struct DocumentSeed {
    max_keys: usize,
}

impl<'de> DeserializeSeed<'de> for DocumentSeed {
    type Value = Document;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Document, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocumentSeed {
    type Value = Document;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a json object with a \"keys\" array")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Document, A::Error> {
        let mut keys = None;
        while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if name == "keys" {
                if keys.is_some() {
                    return Err(de::Error::duplicate_field("keys"));
                }
                let found = map.next_value_seed(KeysSeed {
                    max_keys: self.max_keys,
                })?;
                keys = Some(found);
            } else {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
        keys.ok_or_else(|| de::Error::missing_field("keys"))
    }
}

struct KeysSeed {
    max_keys: usize,
}

impl<'de> DeserializeSeed<'de> for KeysSeed {
    type Value = Document;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Document, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for KeysSeed {
    type Value = Document;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of json web keys")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Document, A::Error> {
        let mut keys = Vec::new();
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            if keys.len() == self.max_keys {
                // Skim the rest without keeping it, so memory stays bounded by the cap.
                drop(keys);
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                return Ok(Document::TooMany);
            }
            keys.push(raw);
        }
        Ok(Document::Keys(keys))
    }
}

/// Reads a document into a string, refusing more than `max` bytes.
pub(crate) fn read_capped(path: &std::path::Path, max: usize) -> Result<String, SourceError> {
    use std::io::Read as _;
    let io_err = |e: std::io::Error| {
        SourceError::new(
            SourceErrorKind::Io,
            format!("cannot read {}: {}", path.display(), e.kind()),
        )
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let mut buf = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    file.take(limit).read_to_end(&mut buf).map_err(io_err)?;
    if buf.len() > max {
        return Err(SourceError::new(
            SourceErrorKind::BodyTooLarge,
            format!("{} is larger than {max} bytes", path.display()),
        ));
    }
    String::from_utf8(buf).map_err(|_| {
        SourceError::new(
            SourceErrorKind::InvalidDocument,
            format!("{} is not utf-8", path.display()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str = r#"{"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;

    fn req(kid: Option<&str>, alg: Algorithm) -> KeyRequest<'_> {
        KeyRequest { kid, alg }
    }

    #[test]
    fn document_shape_errors() {
        for doc in [
            "",
            "[]",
            "{}",
            r#"{"keys":{}}"#,
            r#"{"keys":[],"keys":[]}"#,
            r#"{"keys":[]} x"#,
            r#"{"keys":[1,"#,
            "null",
        ] {
            let err = JwkSet::parse(doc).unwrap_err();
            assert_eq!(err.code(), "source-invalid-document", "{doc:?}");
        }
        assert!(
            JwkSet::parse(r#"{"other":1,"keys":[]}"#)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn key_count_cap() {
        let many = format!("{{\"keys\":[{}]}}", vec!["{}"; 101].join(","));
        assert_eq!(
            JwkSet::parse(&many).unwrap_err().code(),
            "source-too-many-keys"
        );
        let ok = format!("{{\"keys\":[{}]}}", vec!["{}"; 100].join(","));
        let set = JwkSet::parse(&ok).unwrap();
        assert_eq!(set.skipped().len(), 100);
        assert_eq!(
            JwkSet::parse_with_max_keys(&ok, 3).unwrap_err().code(),
            "source-too-many-keys"
        );
    }

    #[test]
    fn unusable_keys_are_reported() {
        let long_kid = "k".repeat(MAX_KID_LEN + 1);
        let doc = format!(
            r#"{{"keys":[
            {{"kty":"OKP","crv":"X25519","kid":"x","x":"AA"}},
            {{"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"}},
            {{"kty":"weird"}},
            {{"kty":"oct","k":"AAAA"}},
            {{"kty":"OKP","crv":"Ed25519","d":"AA","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}},
            {{"kty":"OKP","crv":"Ed25519","use":"enc","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}},
            {{"kty":"OKP","crv":"Ed25519","alg":"ES256K","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}},
            {{"kty":"OKP","crv":"Ed25519","alg":"RS256","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}},
            {{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","x":"AA"}},
            {{"kty":"OKP","crv":"Ed25519","kid":"{long_kid}","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}},
            "text",
            {ED}
        ]}}"#
        );
        let set = JwkSet::parse(&doc).unwrap();
        let codes: Vec<_> = set.skipped().iter().map(SkippedKey::code).collect();
        assert_eq!(
            codes,
            [
                "unsupported-curve",
                "unsupported-curve",
                "unsupported-key-type",
                "symmetric-jwk",
                "private-jwk",
                "not-for-signatures",
                "unsupported-algorithm",
                "algorithm-family-mismatch",
                "invalid-jwk",
                "invalid-jwk",
                "invalid-jwk",
            ]
        );
        assert_eq!(set.skipped()[0].kid(), Some("x"));
        assert_eq!(set.skipped()[0].index(), 0);
        assert_eq!(set.skipped()[10].index(), 10);
        assert!(set.skipped()[9].kid().unwrap().ends_with('…'));
        assert_eq!(set.len(), 1);
        assert!(set.contains_kid("ed"));
        assert!(set.skipped()[0].to_string().contains("kid \"x\""));
    }

    #[test]
    fn no_usable_keys_error_names_the_first_reason() {
        let set = JwkSet::parse(r#"{"keys":[{"kty":"oct","k":"AA"}]}"#).unwrap();
        let err = set.no_usable_keys_error();
        assert_eq!(err.code(), "source-no-usable-keys");
        assert!(err.to_string().contains("symmetric"), "{err}");
        let empty = JwkSet::parse(r#"{"keys":[]}"#).unwrap();
        assert_eq!(empty.no_usable_keys_error().code(), "source-no-usable-keys");
    }

    #[test]
    fn selection_by_kid() {
        let set = JwkSet::parse(&format!(r#"{{"keys":[{ED}]}}"#)).unwrap();
        assert!(set.select(req(Some("ed"), Algorithm::EdDSA)).is_ok());
        // One key with the kid but the wrong family: returned, so that verification reports
        // the algorithm mismatch precisely.
        let k = set.select(req(Some("ed"), Algorithm::RS256)).unwrap();
        assert!(!k.supports(Algorithm::RS256));
        let e = set
            .select(req(Some("other"), Algorithm::EdDSA))
            .unwrap_err();
        assert_eq!(e.code(), "key-not-found");
        assert!(matches!(e, KeyLookupError::KeyNotFound { kid: Some(k) } if k == "other"));
    }

    #[test]
    fn duplicate_kids_are_ambiguous() {
        let set = JwkSet::parse(&format!(r#"{{"keys":[{ED},{ED}]}}"#)).unwrap();
        let e = set.select(req(Some("ed"), Algorithm::EdDSA)).unwrap_err();
        assert_eq!(e.code(), "ambiguous-key");
        let e = set.select(req(None, Algorithm::EdDSA)).unwrap_err();
        assert_eq!(e.code(), "ambiguous-key");
        let e = set.select(req(Some("ed"), Algorithm::RS256)).unwrap_err();
        assert_eq!(e.code(), "ambiguous-key");
    }

    #[test]
    fn kidless_tokens_need_a_single_fitting_key() {
        let set = JwkSet::parse(&format!(r#"{{"keys":[{ED}]}}"#)).unwrap();
        assert!(set.select(req(None, Algorithm::EdDSA)).is_ok());
        let e = set.select(req(None, Algorithm::ES256)).unwrap_err();
        assert!(matches!(e, KeyLookupError::KeyNotFound { kid: None }));
        // A kid-less key never matches a token that names a kid.
        let nokid = ED.replace(r#""kid":"ed","#, "");
        let set = JwkSet::parse(&format!(r#"{{"keys":[{nokid}]}}"#)).unwrap();
        assert_eq!(
            set.select(req(Some("ed"), Algorithm::EdDSA))
                .unwrap_err()
                .code(),
            "key-not-found"
        );
        assert!(set.select(req(None, Algorithm::EdDSA)).is_ok());
    }

    #[test]
    fn to_jwks_round_trips() {
        let set = JwkSet::parse(&format!(r#"{{"keys":[{ED}]}}"#)).unwrap();
        let doc = set.to_jwks().to_string();
        let again = JwkSet::parse(&doc).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again.iter().next().unwrap().kid(), Some("ed"));
        assert!(doc.contains(r#""use":"sig""#));
    }

    #[test]
    fn threads_get_separate_copies_of_a_key() {
        let set = JwkSet::parse(&format!(r#"{{"keys":[{ED}]}}"#)).unwrap();
        let ptr = |set: &JwkSet| {
            Arc::as_ptr(set.select(req(Some("ed"), Algorithm::EdDSA)).unwrap()) as usize
        };
        assert_eq!(ptr(&set), ptr(&set), "a thread keeps its copy");
        let seen: std::collections::HashSet<usize> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..2 * STRIPES).map(|_| s.spawn(|| ptr(&set))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(seen.len() > 1, "threads share one copy");
        assert!(seen.len() <= STRIPES);
        // The listing and the kid-less path serve the same key material.
        assert!(set.select(req(None, Algorithm::EdDSA)).is_ok());
        assert_eq!(set.to_jwks()["keys"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn long_kids_are_truncated_in_errors() {
        let kid = "é".repeat(100);
        let set = JwkSet::default();
        match set.select(req(Some(&kid), Algorithm::RS256)).unwrap_err() {
            KeyLookupError::KeyNotFound { kid: Some(k) } => assert!(k.len() <= 68),
            other => panic!("{other:?}"),
        }
    }
}
