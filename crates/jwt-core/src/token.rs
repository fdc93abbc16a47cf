//! Compact JWS parsing: from untrusted text to a header and claims that nobody trusts yet.

use core::fmt;
use std::borrow::Cow;
use std::sync::{LazyLock, OnceLock};

#[cfg(test)]
use base64::Engine as _;
#[cfg(test)]
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, Part, truncate};
use crate::json::{
    GaveUp, MemberReader, Scalar, Scanned, Text, Typed, Wanted, build_map, deserialize_object,
    parse_object, read_object, scan_flat_strings, scan_object,
};
use crate::{Algorithm, VerifyingKey};

/// Longest `kid` accepted, in bytes. `kid` is an opaque map key; nothing longer is plausible.
pub const MAX_KID_LEN: usize = 256;

/// Limits applied while parsing, before any cryptography.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest token accepted, in bytes, checked before any other work. Default 64 KiB.
    pub max_token_len: usize,
    /// Deepest nesting of arrays and objects inside the header or payload. Default 32.
    /// Values above 100 act as 100: the JSON parser underneath has a hard limit just above
    /// that, and over-deep input must still be reported as `nesting-too-deep`.
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_token_len: 64 * 1024,
            max_depth: 32,
        }
    }
}

/// The header parameters [`Header`] reads, in the order of its slots.
const HEADER_NAMES: [&str; 7] = ["alg", "kid", "crit", "b64", "typ", "cty", "cat"];

/// The registered claims validation reads, in the order of [`Payload::claims`]'s slots.
pub(crate) const CLAIM_NAMES: [&str; 7] = ["sub", "aud", "azp", "iss", "exp", "nbf", "iat"];

/// [`HEADER_NAMES`] and [`CLAIM_NAMES`] prepared for the scanner, once per process.
static HEADER_WANTED: LazyLock<Wanted<7>> = LazyLock::new(|| Wanted::new(&HEADER_NAMES));
static CLAIMS_WANTED: LazyLock<Wanted<7>> = LazyLock::new(|| Wanted::new(&CLAIM_NAMES));

/// The protected header of a token, as the token claims it to be.
///
/// Nothing here is trusted: it is what the key selection step reads (`alg`, `kid`) before the
/// signature is checked. `jwk`, `jku`, `x5u` and `x5c` are never used to find a key; they
/// are only visible through [`Header::get`].
///
/// The named parameters are read from the decoded header text without copies; the map of all
/// parameters ([`Header::members`]) is built the first time it is asked for.
pub struct Header {
    text: String,
    alg: Text,
    kid: Option<Text>,
    typ: Option<Text>,
    cty: Option<Text>,
    cat: Option<Text>,
    /// Number of parameters, to size the map.
    count: usize,
    /// Boxed: it is rarely built, and the box keeps the header small to move.
    members: OnceLock<Box<Map<String, Value>>>,
}

impl Header {
    fn from_scan(text: String, scanned: Scanned<7>) -> Result<Header, Error> {
        let Scanned {
            captured: [alg, kid, crit, b64, typ, cty, cat],
            members: count,
        } = scanned;
        let string = |name: &'static str, v: Option<Scalar>| -> Result<Option<Text>, Error> {
            match v {
                None => Ok(None),
                Some(Scalar::Str(s)) => Ok(Some(s)),
                Some(_) => Err(Error::HeaderParameterType { name }),
            }
        };
        // The checks run in a fixed order, so a header with several faults always reports the
        // same one.
        let alg = string("alg", alg)?.ok_or(Error::HeaderParameterType { name: "alg" })?;
        let kid = string("kid", kid)?;
        if kid.as_ref().is_some_and(|k| k.len() > MAX_KID_LEN) {
            return Err(Error::KidTooLong);
        }
        if crit.is_some() {
            return Err(Error::CriticalHeader);
        }
        match b64 {
            None | Some(Scalar::Bool(true)) => {}
            Some(Scalar::Bool(false)) => return Err(Error::UnencodedPayload),
            Some(_) => return Err(Error::HeaderParameterType { name: "b64" }),
        }
        Ok(Header {
            alg,
            kid,
            typ: string("typ", typ)?,
            cty: string("cty", cty)?,
            cat: string("cat", cat)?,
            text,
            count,
            members: OnceLock::new(),
        })
    }

    fn param<'s>(&'s self, t: &'s Option<Text>) -> Option<&'s str> {
        t.as_ref().map(|t| t.resolve(&self.text))
    }

    /// The `alg` parameter exactly as written.
    pub fn alg_name(&self) -> &str {
        self.alg.resolve(&self.text)
    }

    /// The `alg` parameter as a supported [`Algorithm`].
    ///
    /// `none` (any casing), ES512, ES256K and unknown names are
    /// [`Error::UnsupportedAlgorithm`].
    pub fn algorithm(&self) -> Result<Algorithm, Error> {
        let name = self.alg_name();
        Algorithm::from_name(name).ok_or_else(|| Error::UnsupportedAlgorithm {
            name: truncate(name),
        })
    }

    /// The `kid` parameter (at most [`MAX_KID_LEN`] bytes).
    pub fn kid(&self) -> Option<&str> {
        self.param(&self.kid)
    }

    /// The `typ` parameter.
    pub fn typ(&self) -> Option<&str> {
        self.param(&self.typ)
    }

    /// The `cty` parameter.
    pub fn cty(&self) -> Option<&str> {
        self.param(&self.cty)
    }

    /// The `cat` parameter (a token category some issuers set to tell kinds of tokens apart).
    pub fn cat(&self) -> Option<&str> {
        self.param(&self.cat)
    }

    /// Any header parameter by name, including the ones above.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.members().get(name)
    }

    /// All header parameters.
    pub fn members(&self) -> &Map<String, Value> {
        // The text passed the strict scan when the header was parsed, so building the map
        // cannot fail; the empty map is an unreachable fallback.
        self.members
            .get_or_init(|| Box::new(build_map(&self.text, self.count).unwrap_or_default()))
    }
}

impl Clone for Header {
    /// A copy of the text and the named parameters; the map of all parameters is a cache,
    /// built again on demand, so a copy (a kept header's, say) does not carry it.
    fn clone(&self) -> Header {
        Header {
            text: self.text.clone(),
            alg: self.alg.clone(),
            kid: self.kid.clone(),
            typ: self.typ.clone(),
            cty: self.cty.clone(),
            cat: self.cat.clone(),
            count: self.count,
            members: OnceLock::new(),
        }
    }
}

impl PartialEq for Header {
    /// Headers are equal when their parameters are (the named ones are among them).
    fn eq(&self, other: &Self) -> bool {
        self.members() == other.members()
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Header")
            .field("alg", &self.alg_name())
            .field("kid", &self.kid())
            .field("typ", &self.typ())
            .field("cty", &self.cty())
            .field("cat", &self.cat())
            .field("members", self.members())
            .finish()
    }
}

/// Longest header segment [`KnownHeaders`] keeps, in bytes. Real headers are well under it
/// (`{"alg":"RS256","kid":"ins_…","typ":"JWT"}` encodes to about 80); a longer one is read
/// every time.
pub(crate) const MAX_KNOWN_HEADER_LEN: usize = 512;

/// How many headers [`KnownHeaders`] keeps.
pub(crate) const KNOWN_HEADERS: usize = 4;

/// The headers of tokens a [`Validation`](crate::Validation) has verified, by their encoded
/// segment, so that a token with the same header segment skips decoding and reading it: the
/// same bytes always decode to the same header, so a clone is what reading it would give.
///
/// A header is kept only once a token carrying it has verified (signature and claims), so
/// the slots hold headers of the issuer's own tokens, not whatever an attacker sends. The
/// first [`KNOWN_HEADERS`] distinct ones stay for the life of the rules; any other header is
/// read as before. Each slot is written once and read without a lock, so threads sharing the
/// rules never contend for it.
#[derive(Default)]
pub(crate) struct KnownHeaders {
    pub(crate) slots: [OnceLock<KnownHeader>; KNOWN_HEADERS],
}

pub(crate) struct KnownHeader {
    segment: Box<str>,
    pub(crate) header: Header,
}

impl KnownHeaders {
    /// The header whose encoded segment is `segment`, if kept.
    #[inline]
    pub(crate) fn find(&self, segment: &str) -> Option<&Header> {
        for slot in &self.slots {
            let known = slot.get()?;
            if *known.segment == *segment {
                return Some(&known.header);
            }
        }
        None
    }

    /// Keeps `header`, read from `segment`, if there is room and it is not kept already.
    pub(crate) fn remember(&self, segment: &str, header: &Header) {
        if segment.len() > MAX_KNOWN_HEADER_LEN {
            return;
        }
        // Slots fill in order and are never emptied, so a kept header is met before the
        // first empty slot, and is never kept twice (threads racing for a slot each see the
        // one header that won it).
        for slot in &self.slots {
            let known = slot.get_or_init(|| KnownHeader {
                segment: segment.into(),
                header: header.clone(),
            });
            if *known.segment == *segment {
                return;
            }
        }
    }

    /// How many headers are kept.
    pub(crate) fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.get().is_some()).count()
    }
}

impl Clone for KnownHeaders {
    /// A clone starts empty: it may be given other limits.
    fn clone(&self) -> Self {
        KnownHeaders::default()
    }
}

impl fmt::Debug for KnownHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KnownHeaders")
            .field("len", &self.len())
            .finish()
    }
}

/// How much of the payload parsing prepares.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayloadMode {
    /// Build the map of all claims while checking the text, in one pass (for callers that
    /// want the map, and for [`UnverifiedToken::payload`]).
    Map,
    /// Only check the text and capture the registered claims; the caller deserializes its
    /// own claims type from the text after the signature verifies.
    Scan,
}

/// A decoded payload: its text, the registered claims read from it without copies (in
/// [`PayloadMode::Scan`]), and the map of all claims (built while parsing in
/// [`PayloadMode::Map`], otherwise when first asked for).
#[derive(Clone, Debug)]
pub(crate) struct Payload {
    text: String,
    claims: Option<[Option<Scalar>; 7]>,
    count: usize,
    /// Boxed, to keep the payload small to move (the typed path never builds it).
    map: OnceLock<Box<Map<String, Value>>>,
}

impl Payload {
    /// Reads the payload text for verification into `C`, in one pass where possible: the map
    /// of all claims when `C` is that map or [`Claims`](crate::Claims), otherwise `C` itself
    /// (returned beside the payload) with the registered claims captured. When the
    /// one pass does not succeed, the text is read again by the parser that names its fault
    /// (or, for a `C` the text does not fit, only checked: `C`'s error is reported after the
    /// signature verifies, from serde_json).
    #[inline]
    pub(crate) fn prepare<C: DeserializeOwned + 'static>(
        text: String,
        max_depth: u32,
    ) -> Result<(Payload, Option<C>), Error> {
        if crate::validation::wants_map::<C>() {
            // serde_json's own parser, checking as it builds, is the cheaper way to the map
            // (the one-pass reader also tracks names, and cost more instructions here).
            let map = parse_object(&text, Part::Payload, max_depth)?;
            let payload = Payload {
                count: map.len(),
                text,
                claims: None,
                map: OnceLock::from(Box::new(map)),
            };
            return Ok((payload, None));
        }
        let one_pass = deserialize_object::<C, 7>(&text, max_depth, &CLAIMS_WANTED);
        Payload::after_one_pass(text, max_depth, one_pass)
    }

    /// Like [`prepare`](Self::prepare), `C` read by `read` in the one pass.
    #[inline]
    pub(crate) fn prepare_with<C>(
        text: String,
        max_depth: u32,
        read: impl FnOnce(&mut MemberReader<'_, '_>) -> Result<C, GaveUp>,
    ) -> Result<(Payload, Option<C>), Error> {
        let one_pass = read_object::<C, 7>(&text, max_depth, &CLAIMS_WANTED, read);
        Payload::after_one_pass(text, max_depth, one_pass)
    }

    /// The payload and `C` from the one pass over `text`; when it did not succeed, the payload
    /// checked by the scan (which names a fault), `C` left to serde_json after the signature.
    #[inline]
    fn after_one_pass<C>(
        text: String,
        max_depth: u32,
        one_pass: Option<Typed<C, 7>>,
    ) -> Result<(Payload, Option<C>), Error> {
        match one_pass {
            Some(t) => Ok((
                Payload::captured(text, t.captured, t.members),
                Some(t.value),
            )),
            None => Payload::scanned(text, max_depth).map(|payload| (payload, None)),
        }
    }

    /// The payload checked by the strict scan only, with the registered claims captured.
    fn scanned(text: String, max_depth: u32) -> Result<Payload, Error> {
        let scanned = scan_object(&text, Part::Payload, max_depth, &CLAIMS_WANTED)?;
        Ok(Payload::captured(text, scanned.captured, scanned.members))
    }

    /// A checked payload whose registered claims were captured (its map not built yet).
    fn captured(text: String, claims: [Option<Scalar>; 7], count: usize) -> Payload {
        Payload {
            text,
            claims: Some(claims),
            count,
            map: OnceLock::new(),
        }
    }

    /// The JSON text of the payload (a strict-parsed object).
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The JSON text of the payload, by value.
    pub(crate) fn into_text(self) -> String {
        self.text
    }

    /// The registered claims in the order of [`CLAIM_NAMES`], when they were captured.
    pub(crate) fn claims(&self) -> Option<&[Option<Scalar>; 7]> {
        self.claims.as_ref()
    }

    pub(crate) fn map(&self) -> &Map<String, Value> {
        // Built from text that passed the strict scan: it cannot fail.
        self.map
            .get_or_init(|| Box::new(build_map(&self.text, self.count).unwrap_or_default()))
    }

    /// The map of all claims, if it has been built.
    pub(crate) fn take_map(&mut self) -> Option<Map<String, Value>> {
        self.map.take().map(|map| *map)
    }

    /// The map of all claims, by value (built now unless it already was).
    pub(crate) fn into_map(mut self) -> Map<String, Value> {
        match self.map.take() {
            Some(map) => *map,
            None => build_map(&self.text, self.count).unwrap_or_default(),
        }
    }
}

/// A parsed, unverified token.
///
/// Holds the decoded header, payload and signature, and borrows the signing input
/// (`header.payload`) from the original text: the token is never copied whole.
#[derive(Clone, Debug)]
pub struct UnverifiedToken<'a> {
    signing_input: &'a str,
    // The verification takes the header and payload apart where they lie.
    /// Borrowed when it is one the rules kept ([`KnownHeaders`]): nothing to read, copy or
    /// remember then.
    pub(crate) header: Cow<'a, Header>,
    pub(crate) payload: Payload,
    signature: Vec<u8>,
}

impl<'a> UnverifiedToken<'a> {
    /// Parses a compact JWS: length limit first, then exactly three segments, canonical
    /// unpadded base64url, strict UTF-8, JSON objects with unique member names, and header
    /// rules (`alg` a string, `kid` capped, no `crit`, no `b64: false`).
    ///
    /// The `alg` value is not looked up here, so a token naming an unsupported algorithm
    /// still parses; [`Header::algorithm`] reports it.
    pub fn parse(token: &'a str, limits: &Limits) -> Result<Self, Error> {
        Self::parse_as(token, limits, PayloadMode::Map)
    }

    /// Like [`parse`](Self::parse), preparing the payload for verification into `C`.
    ///
    /// Callers that want the map of all claims (`C` is `serde_json::Map` or
    /// [`Claims`](crate::Claims)) get it built while the payload is checked, in one pass; for
    /// their own claims type the payload is only checked, and `C` is deserialized from its text
    /// once the signature has verified. [`payload`](Self::payload) still works either way (the
    /// map is then built on first use). For your own claims type,
    /// [`prepare`](Self::prepare) is cheaper still: it builds `C` in the same pass that checks
    /// the payload, as [`Validation::verify`](crate::Validation::verify) does, where this reads
    /// the payload twice (once here, once in
    /// [`Validation::verify_parsed`](crate::Validation::verify_parsed)).
    pub fn parse_for<C: 'static>(token: &'a str, limits: &Limits) -> Result<Self, Error> {
        let mode = if crate::validation::wants_map::<C>() {
            PayloadMode::Map
        } else {
            PayloadMode::Scan
        };
        Self::parse_as(token, limits, mode)
    }

    /// Parses the token and prepares it for verification into `C`, building `C` from the
    /// payload in the same pass that checks it: the fastest way to verify into a claims type
    /// of your own when the key must be looked up between parsing and verifying (by the
    /// header's `kid`, say). Verify the result with
    /// [`Validation::verify_prepared`](crate::Validation::verify_prepared).
    ///
    /// The payload is checked exactly as [`parse`](Self::parse) checks it, with the same
    /// errors. `C` is built from the payload before the signature is checked, but handed out
    /// only after it verifies; a payload that does not fit `C` is reported (as
    /// [`Error::ClaimsDeserialize`]) only after the signature and the claim checks pass, as
    /// [`Validation::verify`](crate::Validation::verify) reports it.
    ///
    /// ```
    /// use jwt_core::{Algorithm, Claims, Timestamp, UnverifiedToken, Validation, VerifyingKey};
    /// # let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    /// # let secret = base64_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
    /// #[derive(serde::Deserialize)]
    /// struct Mine {
    ///     iss: String,
    /// }
    /// let rules = Validation::new([Algorithm::HS256]).require_sub(false);
    /// let prepared = UnverifiedToken::prepare::<Mine>(token, rules.limits())?;
    /// // Choose the key by the header (here there is just one).
    /// assert_eq!(prepared.token().header().kid(), None);
    /// let key = VerifyingKey::hmac(&secret)?;
    /// let ok = rules.verify_prepared(prepared, &key, Timestamp::from_unix_seconds(1_300_819_000))?;
    /// assert_eq!(ok.claims().iss, "joe");
    /// # fn base64_decode(s: &str) -> Vec<u8> {
    /// #     use base64::Engine as _;
    /// #     base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn prepare<C: DeserializeOwned + 'static>(
        token: &'a str,
        limits: &Limits,
    ) -> Result<Prepared<'a, C>, Error> {
        Self::parse_with(
            token,
            limits,
            None,
            Payload::prepare::<C>,
            |token, claims| Prepared {
                token,
                claims,
                keep: None,
            },
        )
    }

    /// Like [`prepare`](Self::prepare), with `read` building `C` from the payload's members
    /// instead of `C`'s `Deserialize`: for a claims type read on every request, a reader
    /// written for it skips serde's generic machinery (the facade's session claims are read
    /// this way).
    ///
    /// The [`MemberReader`] hands out the top-level members one at a time, each checked as
    /// every other route checks it; the registered claims are captured for the claim checks
    /// whatever `read` does with them. `read` must build the `C` that `C`'s `Deserialize`
    /// would build from the same payload, or give up: on [`GaveUp`] (or any fault in the
    /// text) the payload goes the way of [`prepare`](Self::prepare)'s, and `Deserialize`
    /// decides, with the same errors in the same order.
    ///
    /// ```
    /// use jwt_core::{Algorithm, GaveUp, MemberReader, Timestamp, UnverifiedToken, Validation, VerifyingKey};
    /// # let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    /// # let secret = base64_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
    /// #[derive(serde::Deserialize)]
    /// struct Mine {
    ///     iss: String,
    ///     exp: i64,
    /// }
    ///
    /// /// Reads `Mine` as its `Deserialize` does: unknown members ignored, both fields required.
    /// fn read_mine(m: &mut MemberReader<'_, '_>) -> Result<Mine, GaveUp> {
    ///     let (mut iss, mut exp) = (None, None);
    ///     while let Some(name) = m.next_name()? {
    ///         match &*name {
    ///             "iss" => iss = Some(m.optional_string()?.ok_or(GaveUp)?),
    ///             "exp" => exp = Some(m.number()?.as_i64().ok_or(GaveUp)?),
    ///             _ => m.value::<serde::de::IgnoredAny>().map(drop)?,
    ///         }
    ///     }
    ///     Ok(Mine { iss: iss.ok_or(GaveUp)?, exp: exp.ok_or(GaveUp)? })
    /// }
    ///
    /// let rules = Validation::new([Algorithm::HS256]).require_sub(false);
    /// let prepared = UnverifiedToken::prepare_with(token, rules.limits(), read_mine)?;
    /// let key = VerifyingKey::hmac(&secret)?;
    /// let ok = rules.verify_prepared(prepared, &key, Timestamp::from_unix_seconds(1_300_819_000))?;
    /// assert_eq!((ok.claims().iss.as_str(), ok.claims().exp), ("joe", 1_300_819_380));
    /// # fn base64_decode(s: &str) -> Vec<u8> {
    /// #     use base64::Engine as _;
    /// #     base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn prepare_with<C: DeserializeOwned + 'static>(
        token: &'a str,
        limits: &Limits,
        read: impl FnOnce(&mut MemberReader<'_, '_>) -> Result<C, GaveUp>,
    ) -> Result<Prepared<'a, C>, Error> {
        Self::parse_with(
            token,
            limits,
            None,
            |text, depth| Payload::prepare_with(text, depth, read),
            |token, claims| Prepared {
                token,
                claims,
                keep: None,
            },
        )
    }

    pub(crate) fn parse_as(
        token: &'a str,
        limits: &Limits,
        mode: PayloadMode,
    ) -> Result<Self, Error> {
        let payload = |text: String, max_depth: u32| match mode {
            PayloadMode::Map => Payload::prepare::<Map<String, Value>>(text, max_depth),
            PayloadMode::Scan => Payload::scanned(text, max_depth).map(|payload| (payload, None)),
        };
        Self::parse_with(token, limits, None, payload, |token, _| token)
    }

    /// The parse itself, with `payload` deciding how the decoded payload text is read, and
    /// `finish` building the result from the token and what `payload` gave beside it (in
    /// place: the parsed token is several hundred bytes, and each re-wrapping copied it). A
    /// header segment found in `known` is taken from there instead of being read.
    #[inline]
    pub(crate) fn parse_with<T, R>(
        token: &'a str,
        limits: &Limits,
        known: Option<&'a KnownHeaders>,
        payload: impl FnOnce(String, u32) -> Result<(Payload, T), Error>,
        finish: impl FnOnce(Self, T) -> R,
    ) -> Result<R, Error> {
        if token.len() > limits.max_token_len {
            return Err(Error::TokenTooLong {
                len: token.len(),
                max: limits.max_token_len,
            });
        }
        // The first dot from the front and the last from the back: neither search crosses the
        // payload, the longest segment. A dot inside it (more than three segments) cannot pass
        // base64 decoding, so it is looked for only when parsing fails, and reported then as
        // what it is, before any other fault (as a split into segments would have).
        let bytes = token.as_bytes();
        let (Some(first), Some(last)) = (memchr::memchr(b'.', bytes), memchr::memrchr(b'.', bytes))
        else {
            return Err(Error::MalformedSegments);
        };
        // The dots are ASCII, so these are char boundaries; `first < last` leaves room for
        // the payload between them.
        let (Some(h), Some(p), Some(s)) = (
            token.get(..first),
            token.get(first.saturating_add(1)..last),
            token.get(last.saturating_add(1)..),
        ) else {
            return Err(Error::MalformedSegments);
        };
        Self::parse_segments(token, [h, p, s], limits, known, payload, finish).map_err(|e| {
            if p.contains('.') {
                Error::MalformedSegments
            } else {
                e
            }
        })
    }

    /// The parse of the three segments `h`, `p`, `s` of `token`.
    #[inline]
    fn parse_segments<T, R>(
        token: &'a str,
        [h, p, s]: [&'a str; 3],
        limits: &Limits,
        known: Option<&'a KnownHeaders>,
        payload: impl FnOnce(String, u32) -> Result<(Payload, T), Error>,
        finish: impl FnOnce(Self, T) -> R,
    ) -> Result<R, Error> {
        // A header segment read before (the same bytes decode to the same header) is borrowed;
        // any other is decoded and scanned now, and its parameters checked after the payload
        // and the signature have decoded, as always.
        #[expect(
            clippy::large_enum_variant,
            reason = "a local on the stack for the length of the parse; boxing it would allocate"
        )]
        enum Read<'k> {
            Known(&'k Header),
            Scanned(String, Scanned<7>),
        }
        let header = match known.and_then(|k| k.find(h)) {
            Some(header) => Read::Known(header),
            None => {
                let text = utf8(b64(h, Part::Header)?, Part::Header)?;
                let scanned = match scan_flat_strings(&text, &HEADER_WANTED) {
                    Some(scanned) => scanned,
                    None => scan_object(&text, Part::Header, limits.max_depth, &HEADER_WANTED)?,
                };
                Read::Scanned(text, scanned)
            }
        };
        let payload_text = utf8(b64(p, Part::Payload)?, Part::Payload)?;
        let (payload, extra) = payload(payload_text, limits.max_depth)?;
        let signature = b64(s, Part::Signature)?;
        let header = match header {
            Read::Known(header) => Cow::Borrowed(header),
            Read::Scanned(text, scanned) => Cow::Owned(Header::from_scan(text, scanned)?),
        };
        // h.len() + 1 + p.len() <= token.len(), so the slice is in bounds.
        let signing_input = token
            .get(..h.len().saturating_add(1).saturating_add(p.len()))
            .unwrap_or(token);
        Ok(finish(
            UnverifiedToken {
                signing_input,
                header,
                payload,
                signature,
            },
            extra,
        ))
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Whether the header is one the rules kept, not read from this token.
    #[cfg(test)]
    pub(crate) fn header_known(&self) -> bool {
        matches!(self.header, Cow::Borrowed(_))
    }

    /// The payload's members, unverified. The map is built on the first call.
    pub fn payload(&self) -> &Map<String, Value> {
        self.payload.map()
    }

    /// The bytes the signature covers: the first two segments and the dot between them.
    pub fn signing_input(&self) -> &'a str {
        self.signing_input
    }

    /// The decoded signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Checks the signature with `key`, using the header's algorithm, without any claim or
    /// allow-list checks. Prefer [`crate::Validation::verify`], which does all of them.
    pub fn verify_signature(&self, key: &VerifyingKey) -> Result<(), Error> {
        let alg = self.header.algorithm()?;
        key.verify_signature(alg, self.signing_input.as_bytes(), &self.signature)
    }

    /// The header's encoded segment (the signing input up to its dot).
    pub(crate) fn header_segment(&self) -> &'a str {
        let end = memchr::memchr(b'.', self.signing_input.as_bytes()).unwrap_or(0);
        self.signing_input.get(..end).unwrap_or_default()
    }

    pub(crate) fn payload_parts(&self) -> &Payload {
        &self.payload
    }

    pub(crate) fn into_parts(self) -> (Header, Map<String, Value>) {
        (self.header.into_owned(), self.payload.into_map())
    }
}

/// A parsed token with its claims already read into `C`, waiting for its signature to be
/// checked: see [`UnverifiedToken::prepare`].
#[derive(Debug)]
pub struct Prepared<'a, C> {
    pub(crate) token: UnverifiedToken<'a>,
    /// `None` when the payload does not fit `C` (reported after the signature verifies).
    pub(crate) claims: Option<C>,
    /// Given the payload text along with claims a reader built, once the token verifies
    /// ([`Validation::prepare_with_text`](crate::Validation::prepare_with_text)).
    pub(crate) keep: Option<fn(&mut C, String)>,
}

impl<'a, C> Prepared<'a, C> {
    /// The parsed token (its header, to choose the key).
    pub fn token(&self) -> &UnverifiedToken<'a> {
        &self.token
    }
}

fn b64(segment: &str, part: Part) -> Result<Vec<u8>, Error> {
    // Rejects padding, non-alphabet bytes, impossible lengths and non-zero trailing bits.
    crate::b64::decode(segment.as_bytes()).ok_or(Error::MalformedBase64 { part })
}

fn utf8(bytes: Vec<u8>, part: Part) -> Result<String, Error> {
    String::from_utf8(bytes).map_err(|_| Error::MalformedUtf8 { part })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn tok(h: &str, p: &str) -> String {
        format!("{}.{}.c2ln", enc(h), enc(p))
    }

    /// `payload` in a token signed with `secret` by HS256 (header `{"alg":"HS256"}`).
    fn hs256(secret: &[u8], payload: &str) -> String {
        let input = format!("{}.{}", enc(r#"{"alg":"HS256"}"#), enc(payload));
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
        let tag = ring::hmac::sign(&key, input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    #[test]
    fn a_header_clone_leaves_the_parameter_map_to_be_built_again() {
        let t = tok(
            r#"{"alg":"HS256","kid":"k","x":[1,{"y":2}]}"#,
            r#"{"sub":"u"}"#,
        );
        let parsed = parse(&t).unwrap();
        let header = parsed.header();
        assert_eq!(header.get("x"), Some(&serde_json::json!([1, {"y": 2}])));
        assert!(header.members.get().is_some());
        let copy = header.clone();
        assert!(copy.members.get().is_none());
        assert_eq!((copy.alg_name(), copy.kid()), ("HS256", Some("k")));
        assert_eq!(&copy, header);
        assert_eq!(copy.members(), header.members());
    }

    fn parse(t: &str) -> Result<UnverifiedToken<'_>, Error> {
        UnverifiedToken::parse(t, &Limits::default())
    }

    #[test]
    fn segments() {
        for t in ["", "a", "a.b", "a.b.c.d", "...", "a..b.c"] {
            assert_eq!(parse(t).unwrap_err(), Error::MalformedSegments, "{t:?}");
        }
        // An extra segment is reported before any fault of the others, whatever it is and
        // wherever it sits (the dots are found from both ends, and the middle on error).
        let good = tok(r#"{"alg":"HS256"}"#, r#"{"sub":"a"}"#);
        let (h, rest) = good.split_once('.').unwrap();
        let (p, s) = rest.split_once('.').unwrap();
        for t in [
            format!("{h}.{p}.{p}.{s}"),
            format!("{h}.{p}.{s}.{s}"),
            format!("{h}.{h}.{p}.{s}"),
            format!("!!.{p}.x.{s}"),
            format!("{}.{p}.x.{s}", enc("{")),
            format!("{h}.{}.x.{s}", enc(r#"{"a":1,"a":2}"#)),
            format!("{h}.{p}.{s}.!"),
            format!("{h}.{p}.{s}."),
        ] {
            assert_eq!(parse(&t).unwrap_err(), Error::MalformedSegments, "{t:?}");
            let typed = UnverifiedToken::prepare::<Map<String, Value>>(&t, &Limits::default());
            assert_eq!(typed.unwrap_err(), Error::MalformedSegments, "{t:?}");
        }
        assert!(parse(&good).is_ok());
    }

    #[test]
    fn canonical_base64() {
        let good = tok(r#"{"alg":"RS256"}"#, "{}");
        assert!(parse(&good).is_ok());
        // Padding, standard alphabet, whitespace, non-zero trailing bits.
        let padded = format!("{}=.e30.c2ln", enc(r#"{"alg":"RS256"}"#));
        assert_eq!(
            parse(&padded).unwrap_err(),
            Error::MalformedBase64 { part: Part::Header }
        );
        let trailing = format!("{}.e31.c2ln", enc(r#"{"alg":"RS256"}"#));
        assert_eq!(
            parse(&trailing).unwrap_err(),
            Error::MalformedBase64 {
                part: Part::Payload
            }
        );
        let sig = format!("{}.e30.c2l+", enc(r#"{"alg":"RS256"}"#));
        assert_eq!(
            parse(&sig).unwrap_err(),
            Error::MalformedBase64 {
                part: Part::Signature
            }
        );
    }

    #[test]
    fn header_rules() {
        let e = |h: &str| parse(&tok(h, "{}")).unwrap_err();
        assert_eq!(
            e(r#"{"alg":1}"#),
            Error::HeaderParameterType { name: "alg" }
        );
        assert_eq!(e(r#"{}"#), Error::HeaderParameterType { name: "alg" });
        assert_eq!(
            e(r#"{"alg":"RS256","kid":7}"#),
            Error::HeaderParameterType { name: "kid" }
        );
        assert_eq!(
            e(r#"{"alg":"RS256","crit":["exp"]}"#),
            Error::CriticalHeader
        );
        assert_eq!(e(r#"{"alg":"RS256","crit":[]}"#), Error::CriticalHeader);
        assert_eq!(e(r#"{"alg":"RS256","b64":false}"#), Error::UnencodedPayload);
        assert_eq!(
            e(r#"{"alg":"RS256","alg":"HS256"}"#),
            Error::DuplicateMember {
                part: Part::Header,
                name: "alg".into()
            }
        );
        let long = format!(
            r#"{{"alg":"RS256","kid":"{}"}}"#,
            "k".repeat(MAX_KID_LEN + 1)
        );
        assert_eq!(e(&long), Error::KidTooLong);
        let t = tok(r#"{"alg":"none","typ":"JWT","jku":"https://evil"}"#, "{}");
        let p = parse(&t).unwrap();
        assert_eq!(
            p.header().algorithm().unwrap_err().code(),
            "unsupported-algorithm"
        );
        assert_eq!(p.header().typ(), Some("JWT"));
        assert!(p.header().get("jku").is_some());
    }

    #[test]
    fn header_parameters_with_escapes_and_lazy_members() {
        let t = tok(
            r#"{"alg":"RS\u0032\u0035\u0036","kid":"k\"1","typ":"JWT","cty":"c","cat":"x","n":[1]}"#,
            "{}",
        );
        let p = parse(&t).unwrap();
        let h = p.header();
        assert_eq!(h.alg_name(), "RS256");
        assert_eq!(h.algorithm(), Ok(Algorithm::RS256));
        assert_eq!(h.kid(), Some("k\"1"));
        assert_eq!(
            (h.typ(), h.cty(), h.cat()),
            (Some("JWT"), Some("c"), Some("x"))
        );
        assert_eq!(h.get("n"), Some(&serde_json::json!([1])));
        assert_eq!(h.members().len(), 6);
        // Equality is by parameters, however they were written.
        let same = tok(
            r#"{ "alg":"RS256", "kid":"k\u00221", "typ":"JWT", "cty":"c", "cat":"x", "n":[ 1 ] }"#,
            "{}",
        );
        assert_eq!(parse(&same).unwrap().header(), h);
        let other = tok(r#"{"alg":"RS256"}"#, "{}");
        assert_ne!(parse(&other).unwrap().header(), h);
        assert!(format!("{h:?}").contains("RS256"));
        // A kid of exactly the limit, written with escapes, is measured unescaped.
        let kid = format!(
            r#"{{"alg":"RS256","kid":"\u0041{}"}}"#,
            "k".repeat(MAX_KID_LEN - 1)
        );
        assert_eq!(
            parse(&tok(&kid, "{}"))
                .unwrap()
                .header()
                .kid()
                .map(str::len),
            Some(MAX_KID_LEN)
        );
    }

    /// `prepare_with`: the reader's claims when it reads the payload whole; `Deserialize`'s
    /// when it gives up; the scan's error for a payload the scan refuses, whatever the reader.
    #[test]
    fn prepare_with_reads_through_the_reader_or_falls_back() {
        use crate::{Algorithm, Timestamp, Validation};
        #[derive(Debug, PartialEq, serde::Deserialize)]
        struct Mine {
            sub: String,
            n: Option<u8>,
        }
        let secret = [9u8; 32];
        let signed = |payload: &str| hs256(&secret, payload);
        let rules = Validation::new([Algorithm::HS256]).require_exp(false);
        let key = VerifyingKey::hmac(&secret).unwrap();
        let verify = |token: &str, read: fn(&mut MemberReader<'_, '_>) -> Result<Mine, GaveUp>| {
            UnverifiedToken::prepare_with(token, rules.limits(), read)
                .and_then(|p| rules.verify_prepared(p, &key, Timestamp::from_unix_seconds(0)))
                .map(|v| v.claims().sub.clone())
        };
        // Marks what it read, so the route shows in the result.
        fn marking(m: &mut MemberReader<'_, '_>) -> Result<Mine, GaveUp> {
            let (mut sub, mut n) = (None, None);
            while let Some(name) = m.next_name()? {
                match &*name {
                    "sub" => sub = m.optional_string()?,
                    "n" => n = m.value()?,
                    _ => drop(m.value::<serde::de::IgnoredAny>()?),
                }
            }
            Ok(Mine {
                sub: format!("read {}", sub.ok_or(GaveUp)?),
                n,
            })
        }
        fn declining(_: &mut MemberReader<'_, '_>) -> Result<Mine, GaveUp> {
            Err(GaveUp)
        }
        let good = signed(r#"{"sub":"u","n":7,"x":[1,{"y":2}]}"#);
        assert_eq!(verify(&good, marking).unwrap(), "read u");
        assert_eq!(verify(&good, declining).unwrap(), "u");
        // Does not fit `Mine` (`n` out of range): the reader gives up, and serde_json reports
        // it after the signature and claim checks.
        let unfit = signed(r#"{"sub":"u","n":300}"#);
        for read in [marking, declining] {
            assert!(
                matches!(verify(&unfit, read), Err(Error::ClaimsDeserialize { .. })),
                "{:?}",
                verify(&unfit, read)
            );
        }
        // The scan names faults in the text, before any signature check.
        let repeated = signed(r#"{"sub":"u","x":1,"x":2}"#);
        for read in [marking, declining] {
            assert_eq!(
                verify(&repeated, read).unwrap_err(),
                Error::DuplicateMember {
                    part: Part::Payload,
                    name: "x".into()
                }
            );
        }
    }

    #[test]
    fn prepare_with_text_hands_the_text_to_claims_a_reader_built_once_they_verify() {
        use crate::{Algorithm, Placed, Timestamp, Validation};
        use core::ops::Range;
        /// `sub` as a place in `text` (the reader) or a copy (serde).
        #[derive(Debug, serde::Deserialize)]
        struct Placing {
            sub: Option<String>,
            #[serde(skip)]
            at: Option<Range<usize>>,
            #[serde(skip)]
            text: Option<String>,
        }
        impl Placing {
            fn sub(&self) -> Option<&str> {
                match (&self.at, &self.text) {
                    (Some(at), Some(text)) => text.get(at.clone()),
                    _ => self.sub.as_deref(),
                }
            }
        }
        fn read(m: &mut MemberReader<'_, '_>) -> Result<Placing, GaveUp> {
            let mut c = Placing {
                sub: None,
                at: None,
                text: None,
            };
            while let Some(name) = m.next_name()? {
                match &*name {
                    "sub" => match m.optional_placed()? {
                        Some(Placed::At(at)) => c.at = Some(at),
                        Some(Placed::Unescaped(s)) => c.sub = Some(s),
                        None => {}
                    },
                    "decline" => return Err(GaveUp),
                    _ => drop(m.value::<serde::de::IgnoredAny>()?),
                }
            }
            Ok(c)
        }
        fn keep(c: &mut Placing, text: String) {
            assert!(c.text.is_none(), "kept twice");
            c.text = Some(text);
        }
        let secret = [9u8; 32];
        let signed = |payload: &str| hs256(&secret, payload);
        let rules = Validation::new([Algorithm::HS256]).require_exp(false);
        let key = VerifyingKey::hmac(&secret).unwrap();
        let now = Timestamp::from_unix_seconds(0);
        let verify = |token: &str| {
            let prepared = rules.prepare_with_text(token, read, keep)?;
            // Nothing is kept before the verification.
            assert!(prepared.claims.as_ref().is_none_or(|c| c.text.is_none()));
            rules.verify_prepared_claims(prepared, &key, now)
        };
        // A plain string: a place in the text, which the claims now hold; the same through
        // `verify_prepared`.
        let c = verify(&signed(r#"{"x":[1],"sub":"user_1"}"#)).unwrap();
        assert_eq!(
            (c.sub(), c.at.clone(), c.sub.as_deref()),
            (Some("user_1"), Some(16..22), None)
        );
        assert_eq!(c.text.as_deref(), Some(r#"{"x":[1],"sub":"user_1"}"#));
        let token = signed(r#"{"sub":"u"}"#);
        let prepared = rules.prepare_with_text(&token, read, keep).unwrap();
        let v = rules.verify_prepared(prepared, &key, now).unwrap();
        assert_eq!(
            (v.claims().sub(), v.claims().text.is_some()),
            (Some("u"), true)
        );
        // An escaped string: unescaped by the reader, the text kept all the same.
        let c = verify(&signed(r#"{"sub":"\u0075"}"#)).unwrap();
        assert_eq!(
            (c.sub(), c.at.clone(), c.text.is_some()),
            (Some("u"), None, true)
        );
        // The reader declined: serde built the claims, and nothing is kept.
        let c = verify(&signed(r#"{"sub":"u","decline":1}"#)).unwrap();
        assert_eq!(
            (c.sub(), c.at.clone(), c.text.is_none()),
            (Some("u"), None, true)
        );
        // A token that does not verify hands nothing out, kept or not.
        let expired = signed(r#"{"sub":"u","exp":-5}"#);
        assert!(
            matches!(verify(&expired), Err(Error::Expired { .. })),
            "{:?}",
            verify(&expired)
        );
        let mut forged = signed(r#"{"sub":"u"}"#);
        let i = forged.len() - 10;
        let other = if forged.as_bytes()[i] == b'A' {
            "B"
        } else {
            "A"
        };
        forged.replace_range(i..=i, other);
        assert!(
            matches!(verify(&forged), Err(Error::InvalidSignature)),
            "{:?}",
            verify(&forged)
        );
    }

    #[test]
    fn payload_map_is_built_on_demand() {
        let t = tok(
            r#"{"alg":"RS256"}"#,
            r#"{"sub":"u","\u0078":[1,2],"o":{"a":null}}"#,
        );
        let p = parse(&t).unwrap();
        let want: Value = serde_json::from_str(r#"{"sub":"u","x":[1,2],"o":{"a":null}}"#).unwrap();
        assert_eq!(&Value::Object(p.payload().clone()), &want);
        let (h, payload) = p.clone().into_parts();
        assert_eq!(h.alg_name(), "RS256");
        assert_eq!(Value::Object(payload), want);
    }

    #[test]
    fn utf8_and_length() {
        let bad = format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(b"{\"alg\":\"\xff\"}"));
        assert_eq!(
            parse(&bad).unwrap_err(),
            Error::MalformedUtf8 { part: Part::Header }
        );
        let long = "a".repeat(70_000);
        assert_eq!(
            parse(&long).unwrap_err(),
            Error::TokenTooLong {
                len: 70_000,
                max: 65_536
            }
        );
    }
}
