//! What a token must satisfy, and the one function that checks all of it.

use core::any::{Any, TypeId};
use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Claim, Error};
use crate::json::Scalar;
use crate::json::{GaveUp, MemberReader};
use crate::token::{Header, KnownHeaders, Limits, Payload, Prepared, UnverifiedToken};
use crate::{Algorithm, AlgorithmSet, Claims, Timestamp, VerifyingKey};

/// Default leeway for time claims, in milliseconds (5 s).
pub const DEFAULT_LEEWAY_MS: i64 = 5_000;

/// The rules a token must satisfy.
///
/// Built with an explicit algorithm allow-list; everything else has a strict default:
/// `exp` and `sub` required, 5 s leeway, no audience, issuer, authorized-party or `typ`
/// restriction until configured.
///
/// Claims are checked in a fixed order — `sub`, `aud`, `azp`, `iss`, `exp`, `nbf`, `iat` —
/// and the first failure is reported, so a facade can reproduce another verifier's order.
///
/// Rules are meant to be built once and shared (they are `Sync`): they remember the headers
/// of the first few tokens they verified, so that later tokens with the same header segment
/// — every token of one issuer and key, typically — skip decoding and reading it (see
/// [`prepare`](Self::prepare)). A clone starts without them.
///
/// ```
/// use jwt_core::{Algorithm, Validation};
/// let v = Validation::new([Algorithm::RS256])
///     .with_issuers(["https://issuer.example.com"])
///     .with_audiences(["api"])
///     .with_leeway_ms(2_000);
/// assert_eq!(v.leeway_ms(), 2_000);
/// ```
#[derive(Clone, Debug)]
pub struct Validation {
    algorithms: AlgorithmSet,
    leeway_ms: i64,
    require_exp: bool,
    require_sub: bool,
    audiences: Vec<String>,
    require_aud: bool,
    authorized_parties: Vec<String>,
    issuers: Vec<String>,
    header_types: Vec<String>,
    require_typ: bool,
    limits: Limits,
    known: KnownHeaders,
}

impl Validation {
    /// Rules that accept only the given algorithms.
    pub fn new(algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        Validation {
            algorithms: algorithms.into_iter().collect(),
            leeway_ms: DEFAULT_LEEWAY_MS,
            require_exp: true,
            require_sub: true,
            audiences: Vec::new(),
            require_aud: false,
            authorized_parties: Vec::new(),
            issuers: Vec::new(),
            header_types: Vec::new(),
            require_typ: false,
            limits: Limits::default(),
            known: KnownHeaders::default(),
        }
    }

    /// Leeway for `exp`, `nbf` and `iat`, in milliseconds. Any value is honoured, zero and
    /// negative included (a negative leeway makes the checks stricter).
    #[must_use]
    pub fn with_leeway_ms(mut self, ms: i64) -> Self {
        self.leeway_ms = ms;
        self
    }

    /// Whether `exp` must be present (default `true`).
    #[must_use]
    pub fn require_exp(mut self, yes: bool) -> Self {
        self.require_exp = yes;
        self
    }

    /// Whether `sub` must be present (default `true`). When present it must be a string.
    #[must_use]
    pub fn require_sub(mut self, yes: bool) -> Self {
        self.require_sub = yes;
        self
    }

    /// Allowed audiences. When non-empty and the token has a non-empty `aud`, a string `aud`
    /// must be listed and an array needs at least one listed element. A token without `aud`
    /// passes unless [`require_aud`](Self::require_aud) is set.
    #[must_use]
    pub fn with_audiences<S: Into<String>>(mut self, aud: impl IntoIterator<Item = S>) -> Self {
        self.audiences = aud
            .into_iter()
            .map(Into::into)
            .filter(|a: &String| !a.is_empty())
            .collect();
        self
    }

    /// Strict audience mode: with audiences configured, a token without `aud` is rejected.
    #[must_use]
    pub fn require_aud(mut self, yes: bool) -> Self {
        self.require_aud = yes;
        self
    }

    /// Allowed authorized parties (`azp`). When non-empty, `azp` must be present and listed.
    #[must_use]
    pub fn with_authorized_parties<S: Into<String>>(
        mut self,
        azp: impl IntoIterator<Item = S>,
    ) -> Self {
        self.authorized_parties = azp.into_iter().map(Into::into).collect();
        self
    }

    /// Allowed issuers. When non-empty, `iss` must be present and match one exactly.
    #[must_use]
    pub fn with_issuers<S: Into<String>>(mut self, iss: impl IntoIterator<Item = S>) -> Self {
        self.issuers = iss.into_iter().map(Into::into).collect();
        self
    }

    /// Allowed `typ` header values. When non-empty, a present `typ` must match one exactly.
    #[must_use]
    pub fn with_header_types<S: Into<String>>(mut self, typ: impl IntoIterator<Item = S>) -> Self {
        self.header_types = typ.into_iter().map(Into::into).collect();
        self
    }

    /// Whether `typ` must be present (default `false`).
    #[must_use]
    pub fn require_typ(mut self, yes: bool) -> Self {
        self.require_typ = yes;
        self
    }

    /// Parsing limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        // A header read under other limits might not be read under these.
        self.known = KnownHeaders::default();
        self
    }

    /// The algorithm allow-list.
    pub fn algorithms(&self) -> AlgorithmSet {
        self.algorithms
    }

    /// The leeway in milliseconds.
    pub fn leeway_ms(&self) -> i64 {
        self.leeway_ms
    }

    /// The parsing limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Parses, checks the header, the signature with `key`, and the claims at time `now`.
    ///
    /// The order is: parse, `typ`, `alg` allow-list, key family and pin, signature, claims.
    ///
    /// ```
    /// use jwt_core::{Algorithm, Claims, Timestamp, Validation, VerifyingKey};
    /// // RFC 7515 Appendix A.1 (HS256), with the example's `iss` and `exp`.
    /// let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    /// let secret = base64_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
    /// let key = VerifyingKey::hmac(&secret).unwrap();
    /// let rules = Validation::new([Algorithm::HS256]).require_sub(false).with_issuers(["joe"]);
    /// let ok = rules.verify::<Claims>(token, &key, Timestamp::from_unix_seconds(1_300_819_000)).unwrap();
    /// assert_eq!(ok.claims().iss(), Some("joe"));
    /// let late = rules.verify::<Claims>(token, &key, Timestamp::from_unix_seconds(1_300_819_400));
    /// assert_eq!(late.unwrap_err().code(), "expired");
    /// # fn base64_decode(s: &str) -> Vec<u8> {
    /// #     use base64::Engine as _;
    /// #     base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
    /// # }
    /// ```
    pub fn verify<C: DeserializeOwned + 'static>(
        &self,
        token: &str,
        key: &VerifyingKey,
        now: Timestamp,
    ) -> Result<Verified<C>, Error> {
        let prepared = self.prepare::<C>(token)?;
        self.verify_prepared(prepared, key, now)
    }

    /// [`UnverifiedToken::prepare`] under these rules' limits, skipping the header's decoding
    /// and reading when its segment is one these rules have verified a token with: the
    /// parsed token, the errors and their order are the same either way. Verify the result
    /// with [`verify_prepared`](Self::verify_prepared).
    ///
    /// ```
    /// use jwt_core::{Algorithm, Claims, Timestamp, Validation, VerifyingKey};
    /// # let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    /// # let secret = base64_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
    /// let rules = Validation::new([Algorithm::HS256]).require_sub(false);
    /// let key = VerifyingKey::hmac(&secret)?;
    /// let now = Timestamp::from_unix_seconds(1_300_819_000);
    /// for _ in 0..2 {
    ///     // The second time, the header is the one the first verification kept.
    ///     let prepared = rules.prepare::<Claims>(token)?;
    ///     assert_eq!(prepared.token().header().typ(), Some("JWT"));
    ///     let ok = rules.verify_prepared(prepared, &key, now)?;
    ///     assert_eq!(ok.claims().iss(), Some("joe"));
    /// }
    /// # fn base64_decode(s: &str) -> Vec<u8> {
    /// #     use base64::Engine as _;
    /// #     base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn prepare<'a, C: DeserializeOwned + 'static>(
        &'a self,
        token: &'a str,
    ) -> Result<Prepared<'a, C>, Error> {
        UnverifiedToken::parse_with(
            token,
            &self.limits,
            Some(&self.known),
            Payload::prepare::<C>,
            |token, claims| Prepared {
                token,
                claims,
                keep: None,
            },
        )
    }

    /// [`UnverifiedToken::prepare_with`] under these rules' limits, with the header skipped
    /// as [`prepare`](Self::prepare) skips it.
    #[inline]
    pub fn prepare_with<'a, C: DeserializeOwned + 'static>(
        &'a self,
        token: &'a str,
        read: impl FnOnce(&mut MemberReader<'_, '_>) -> Result<C, GaveUp>,
    ) -> Result<Prepared<'a, C>, Error> {
        UnverifiedToken::parse_with(
            token,
            &self.limits,
            Some(&self.known),
            |text, depth| Payload::prepare_with(text, depth, read),
            |token, claims| Prepared {
                token,
                claims,
                keep: None,
            },
        )
    }

    /// Like [`prepare_with`](Self::prepare_with), for a claims type that keeps the payload's
    /// decoded text instead of copies of its strings: `read` takes the strings it wants as
    /// places in the text ([`MemberReader::optional_placed`]), and once the token has
    /// verified (signature and claims), `keep` is given the claims `read` built and the text
    /// the places refer to, which the verification no longer needs. So the claims' strings
    /// take no allocation or copy of their own.
    ///
    /// `keep` is called only for claims `read` built: when `read` gives up, `C`'s
    /// `Deserialize` builds them from the payload (with the same errors in the same order,
    /// as for [`prepare_with`](Self::prepare_with)), and those keep copies of their own.
    /// Claims that fail verification are dropped without it.
    ///
    /// ```
    /// use std::ops::Range;
    /// use jwt_core::{Algorithm, GaveUp, MemberReader, Placed, Timestamp, Validation, VerifyingKey};
    /// # let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    /// # let secret = base64_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
    /// /// The issuer: a place in the kept payload text, or (written with escapes, or read by
    /// /// serde) a copy.
    /// #[derive(serde::Deserialize)]
    /// struct Issuer {
    ///     iss: Option<String>,
    ///     #[serde(skip)]
    ///     place: Option<Range<usize>>,
    ///     #[serde(skip)]
    ///     text: String,
    /// }
    ///
    /// impl Issuer {
    ///     fn iss(&self) -> Option<&str> {
    ///         match &self.place {
    ///             Some(at) => self.text.get(at.clone()),
    ///             None => self.iss.as_deref(),
    ///         }
    ///     }
    /// }
    ///
    /// fn read(m: &mut MemberReader<'_, '_>) -> Result<Issuer, GaveUp> {
    ///     let mut c = Issuer { iss: None, place: None, text: String::new() };
    ///     while let Some(name) = m.next_name()? {
    ///         match &*name {
    ///             "iss" => match m.optional_placed()? {
    ///                 Some(Placed::At(at)) => c.place = Some(at),
    ///                 Some(Placed::Unescaped(s)) => c.iss = Some(s),
    ///                 None => {}
    ///             },
    ///             _ => m.value::<serde::de::IgnoredAny>().map(drop)?,
    ///         }
    ///     }
    ///     Ok(c)
    /// }
    ///
    /// let rules = Validation::new([Algorithm::HS256]).require_sub(false);
    /// let prepared = rules.prepare_with_text(token, read, |c, text| c.text = text)?;
    /// let key = VerifyingKey::hmac(&secret)?;
    /// let now = Timestamp::from_unix_seconds(1_300_819_000);
    /// let claims = rules.verify_prepared_claims(prepared, &key, now)?;
    /// assert_eq!(claims.iss(), Some("joe"));
    /// assert!(claims.place.is_some() && claims.iss.is_none());
    /// # fn base64_decode(s: &str) -> Vec<u8> {
    /// #     use base64::Engine as _;
    /// #     base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn prepare_with_text<'a, C: DeserializeOwned + 'static>(
        &'a self,
        token: &'a str,
        read: impl FnOnce(&mut MemberReader<'_, '_>) -> Result<C, GaveUp>,
        keep: fn(&mut C, String),
    ) -> Result<Prepared<'a, C>, Error> {
        let mut prepared = self.prepare_with(token, read)?;
        prepared.keep = Some(keep);
        Ok(prepared)
    }

    /// Like [`verify`](Self::verify), for a token prepared with
    /// [`UnverifiedToken::prepare`] or [`prepare`](Self::prepare) (to select the key by its
    /// `kid` first): the claims were read while parsing, and are handed out now if the
    /// signature and the claims pass.
    #[inline]
    pub fn verify_prepared<C: DeserializeOwned + 'static>(
        &self,
        prepared: Prepared<'_, C>,
        key: &VerifyingKey,
        now: Timestamp,
    ) -> Result<Verified<C>, Error> {
        let (header, claims, alg) = self.verify_parts(prepared, key, now)?;
        Ok(Verified {
            header: header.into_owned(),
            claims,
            alg,
        })
    }

    /// [`verify_prepared`](Self::verify_prepared) for a caller that wants only the claims:
    /// the same checks in the same order, without a copy of a header these rules kept.
    ///
    /// ```
    /// use jwt_core::{Algorithm, Claims, Timestamp, Validation, VerifyingKey};
    /// # let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    /// # let secret = base64_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
    /// let rules = Validation::new([Algorithm::HS256]).require_sub(false);
    /// let key = VerifyingKey::hmac(&secret)?;
    /// let prepared = rules.prepare::<Claims>(token)?;
    /// let claims = rules.verify_prepared_claims(prepared, &key, Timestamp::from_unix_seconds(1_300_819_000))?;
    /// assert_eq!(claims.iss(), Some("joe"));
    /// # fn base64_decode(s: &str) -> Vec<u8> {
    /// #     use base64::Engine as _;
    /// #     base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn verify_prepared_claims<C: DeserializeOwned + 'static>(
        &self,
        prepared: Prepared<'_, C>,
        key: &VerifyingKey,
        now: Timestamp,
    ) -> Result<C, Error> {
        self.verify_parts(prepared, key, now)
            .map(|(_, claims, _)| claims)
    }

    /// The verification of a prepared token, taken apart in place: only the header and the
    /// claims move into the result (the payload text is dropped where it lies, unless the
    /// claims must be read from it).
    #[inline]
    fn verify_parts<'a, C: DeserializeOwned + 'static>(
        &self,
        prepared: Prepared<'a, C>,
        key: &VerifyingKey,
        now: Timestamp,
    ) -> Result<(Cow<'a, Header>, C, Algorithm), Error> {
        let alg = self.check_parsed(prepared.token(), key, now)?;
        if let Cow::Owned(header) = &prepared.token.header {
            // Verified: the header is the issuer's, worth keeping.
            self.known.remember(prepared.token.header_segment(), header);
        }
        let claims = match (prepared.claims, prepared.keep) {
            (Some(mut claims), Some(keep)) => {
                keep(&mut claims, prepared.token.payload.into_text());
                claims
            }
            (Some(claims), None) => claims,
            (None, _) => into_claims(prepared.token.payload)?,
        };
        Ok((prepared.token.header, claims, alg))
    }

    /// Like [`verify`](Self::verify), for a token already parsed (for example to select the
    /// key by its `kid` first).
    pub fn verify_parsed<C: DeserializeOwned + 'static>(
        &self,
        token: UnverifiedToken<'_>,
        key: &VerifyingKey,
        now: Timestamp,
    ) -> Result<Verified<C>, Error> {
        self.verify_prepared(
            Prepared {
                token,
                claims: None,
                keep: None,
            },
            key,
            now,
        )
    }

    /// The checks after parsing, on the parsed token where it lies (it is several hundred
    /// bytes, and moving it in and out of the checks copied it each time): header, signature,
    /// claims. Returns the algorithm.
    #[inline]
    fn check_parsed(
        &self,
        token: &UnverifiedToken<'_>,
        key: &VerifyingKey,
        now: Timestamp,
    ) -> Result<Algorithm, Error> {
        let alg = self.check_header(token.header())?;
        key.verify_signature(alg, token.signing_input().as_bytes(), token.signature())?;
        // The claims read during parsing decide a token that passes without building a map;
        // anything else goes through the map-based check, which names the fault.
        if !self.claims_certainly_pass(token.payload_parts(), now) {
            self.check_claims(token.payload(), now)?;
        }
        Ok(alg)
    }

    /// Checks `typ` and then `alg` against the allow-list; returns the algorithm.
    pub fn check_header(&self, header: &Header) -> Result<Algorithm, Error> {
        match header.typ() {
            None if self.require_typ => return Err(Error::InvalidType { typ: None }),
            Some(t)
                if !self.header_types.is_empty() && !self.header_types.iter().any(|a| a == t) =>
            {
                return Err(Error::InvalidType {
                    typ: Some(crate::error::truncate(t)),
                });
            }
            _ => {}
        }
        let alg = header.algorithm()?;
        if !self.algorithms.contains(alg) {
            return Err(Error::AlgorithmNotAllowed { alg });
        }
        Ok(alg)
    }

    /// Checks the registered claims at time `now`, in the documented order.
    pub fn check_claims(&self, claims: &Map<String, Value>, now: Timestamp) -> Result<(), Error> {
        let r = Registered::find(claims);
        self.check_sub(r.sub)?;
        self.check_aud(r.aud)?;
        self.check_azp(r.azp)?;
        self.check_iss(r.iss)?;
        let now_ms = i128::from(now.as_unix_millis());
        let leeway = i128::from(self.leeway_ms);
        match r.exp {
            None if self.require_exp => return Err(Error::MissingClaim { claim: Claim::Exp }),
            None => {}
            Some(v) => {
                let exp_ms = time_claim(Claim::Exp, v)?;
                if i128::from(exp_ms) <= now_ms - leeway {
                    return Err(Error::Expired {
                        exp_ms,
                        now_ms: now.as_unix_millis(),
                    });
                }
            }
        }
        if let Some(v) = r.nbf {
            let nbf_ms = time_claim(Claim::Nbf, v)?;
            if i128::from(nbf_ms) > now_ms + leeway {
                return Err(Error::NotYetValid {
                    nbf_ms,
                    now_ms: now.as_unix_millis(),
                });
            }
        }
        if let Some(v) = r.iat {
            let iat_ms = time_claim(Claim::Iat, v)?;
            if i128::from(iat_ms) > now_ms + leeway {
                return Err(Error::IssuedInFuture {
                    iat_ms,
                    now_ms: now.as_unix_millis(),
                });
            }
        }
        Ok(())
    }

    /// Whether the registered claims pass every check of [`check_claims`](Self::check_claims),
    /// read from the values captured while parsing. `true` only when they certainly do;
    /// `false` means the map-based check must decide (and report the fault).
    fn claims_certainly_pass(&self, payload: &Payload, now: Timestamp) -> bool {
        let text = payload.text();
        let Some([sub, aud, azp, iss, exp, nbf, iat]) = payload.claims() else {
            return false;
        };
        match sub {
            None if self.require_sub => return false,
            None | Some(Scalar::Str(_)) => {}
            Some(_) => return false,
        }
        if !self.audiences.is_empty() {
            let listed = |a: &str| self.audiences.iter().any(|x| x == a);
            let present = match aud {
                None => false,
                Some(Scalar::Str(t)) => {
                    let a = t.resolve(text);
                    if !a.is_empty() && !listed(a) {
                        return false;
                    }
                    !a.is_empty()
                }
                Some(Scalar::StrList(items)) => {
                    let (mut any_value, mut any_listed) = (false, false);
                    for t in items {
                        let a = t.resolve(text);
                        any_value |= !a.is_empty();
                        any_listed |= listed(a);
                    }
                    if any_value && !any_listed {
                        return false;
                    }
                    any_value
                }
                Some(_) => return false,
            };
            if !present && self.require_aud {
                return false;
            }
        }
        let one_of = |list: &[String], v: &Option<Scalar>| match v {
            Some(Scalar::Str(t)) => list.iter().any(|x| x == t.resolve(text)),
            _ => false,
        };
        if !self.authorized_parties.is_empty() && !one_of(&self.authorized_parties, azp) {
            return false;
        }
        if !self.issuers.is_empty() && !one_of(&self.issuers, iss) {
            return false;
        }
        let now_ms = i128::from(now.as_unix_millis());
        let leeway = i128::from(self.leeway_ms);
        let millis = |v: &Scalar| {
            let secs = match v {
                Scalar::Int(i) => Some(*i),
                Scalar::UInt(u) => i64::try_from(*u).ok(),
                Scalar::Float(f) => float_seconds(*f),
                _ => None,
            };
            seconds_to_millis(secs)
        };
        match exp.as_ref().map(millis) {
            None if self.require_exp => return false,
            None => {}
            Some(Some(exp_ms)) if i128::from(exp_ms) > now_ms - leeway => {}
            Some(_) => return false,
        }
        for v in [nbf, iat].into_iter().flatten() {
            match millis(v) {
                Some(ms) if i128::from(ms) <= now_ms + leeway => {}
                _ => return false,
            }
        }
        true
    }

    fn check_sub(&self, sub: Option<&Value>) -> Result<(), Error> {
        match sub {
            None if self.require_sub => Err(Error::MissingClaim { claim: Claim::Sub }),
            None | Some(Value::String(_)) => Ok(()),
            Some(v) => Err(wrong_type(Claim::Sub, v)),
        }
    }

    fn check_aud(&self, aud: Option<&Value>) -> Result<(), Error> {
        if self.audiences.is_empty() {
            return Ok(());
        }
        let listed = |a: &str| self.audiences.iter().any(|x| x == a);
        let present = match aud {
            None => false,
            Some(Value::String(s)) => {
                if !s.is_empty() && !listed(s) {
                    return Err(Error::InvalidAudience {
                        aud: Box::new(Value::String(s.clone())),
                    });
                }
                !s.is_empty()
            }
            Some(Value::Array(items)) => {
                let mut any_value = false;
                let mut any_listed = false;
                for item in items {
                    let Value::String(s) = item else {
                        return Err(wrong_type(Claim::Aud, aud.unwrap_or(&Value::Null)));
                    };
                    any_value |= !s.is_empty();
                    any_listed |= listed(s);
                }
                if any_value && !any_listed {
                    return Err(Error::InvalidAudience {
                        aud: Box::new(Value::Array(items.clone())),
                    });
                }
                any_value
            }
            Some(v) => return Err(wrong_type(Claim::Aud, v)),
        };
        if !present && self.require_aud {
            return Err(Error::MissingClaim { claim: Claim::Aud });
        }
        Ok(())
    }

    fn check_azp(&self, azp: Option<&Value>) -> Result<(), Error> {
        if self.authorized_parties.is_empty() {
            return Ok(());
        }
        match azp {
            Some(Value::String(s)) if self.authorized_parties.iter().any(|p| p == s) => Ok(()),
            None => Err(Error::InvalidAuthorizedParty { azp: None }),
            Some(v) => Err(Error::InvalidAuthorizedParty {
                azp: Some(Box::new(v.clone())),
            }),
        }
    }

    fn check_iss(&self, iss: Option<&Value>) -> Result<(), Error> {
        if self.issuers.is_empty() {
            return Ok(());
        }
        match iss {
            Some(Value::String(s)) if self.issuers.iter().any(|p| p == s) => Ok(()),
            None => Err(Error::InvalidIssuer { iss: None }),
            Some(v) => Err(Error::InvalidIssuer {
                iss: Some(Box::new(v.clone())),
            }),
        }
    }
}

/// The registered claims a validation looks at, found in one pass over the payload instead of
/// one hash lookup each (a token has a dozen or so members; the pass is cheaper).
#[derive(Default)]
struct Registered<'a> {
    sub: Option<&'a Value>,
    aud: Option<&'a Value>,
    azp: Option<&'a Value>,
    iss: Option<&'a Value>,
    exp: Option<&'a Value>,
    nbf: Option<&'a Value>,
    iat: Option<&'a Value>,
}

impl<'a> Registered<'a> {
    fn find(claims: &'a Map<String, Value>) -> Self {
        let mut r = Registered::default();
        for (name, value) in claims {
            let slot = match name.as_str() {
                "sub" => &mut r.sub,
                "aud" => &mut r.aud,
                "azp" => &mut r.azp,
                "iss" => &mut r.iss,
                "exp" => &mut r.exp,
                "nbf" => &mut r.nbf,
                "iat" => &mut r.iat,
                _ => continue,
            };
            *slot = Some(value);
        }
        r
    }
}

fn wrong_type(claim: Claim, v: &Value) -> Error {
    Error::InvalidClaimType {
        claim,
        found: Box::new(v.clone()),
    }
}

/// Largest |seconds| whose millisecond count fits in an `i64`.
const MAX_TIME_SECONDS: i64 = i64::MAX / 1000;

/// A NumericDate claim as whole milliseconds: fractions of a second are truncated, and any
/// value whose millisecond count would not fit in an `i64` is an error, never clamped.
fn time_claim(claim: Claim, v: &Value) -> Result<i64, Error> {
    let secs = match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(i)
            } else if n.is_u64() {
                None
            } else {
                n.as_f64().and_then(float_seconds)
            }
        }
        _ => None,
    };
    seconds_to_millis(secs).ok_or_else(|| wrong_type(claim, v))
}

/// Whole seconds of a fractional NumericDate (truncated), if in range.
fn float_seconds(f: f64) -> Option<i64> {
    let t = f.trunc();
    // Both bounds are exact in f64 comparisons at this magnitude (< 2^53).
    (t.is_finite() && t.abs() <= MAX_TIME_SECONDS as f64).then_some(t as i64)
}

/// Seconds as milliseconds, if the result fits in an `i64`.
fn seconds_to_millis(secs: Option<i64>) -> Option<i64> {
    secs.filter(|s| s.unsigned_abs() <= MAX_TIME_SECONDS.unsigned_abs())
        .and_then(|s| s.checked_mul(1000))
}

/// Proof that a token verified: the header and claims, constructible only by this crate.
#[derive(Clone, Debug)]
pub struct Verified<C> {
    header: Header,
    claims: C,
    alg: Algorithm,
}

impl<C> Verified<C> {
    /// The verified token's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The verified claims.
    pub fn claims(&self) -> &C {
        &self.claims
    }

    /// The algorithm that verified the signature.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The claims, by value.
    pub fn into_claims(self) -> C {
        self.claims
    }

    /// Header and claims, by value.
    pub fn into_parts(self) -> (Header, C) {
        (self.header, self.claims)
    }
}

/// Whether `C` is the map of all claims or [`Claims`] (which wraps it).
pub(crate) fn wants_map<C: 'static>() -> bool {
    let wanted = TypeId::of::<C>();
    wanted == TypeId::of::<Map<String, Value>>() || wanted == TypeId::of::<Claims>()
}

/// Converts the verified payload into `C`: the one map of all claims when `C` is that map or
/// [`Claims`]; otherwise `C` deserialized from the map when one was built, or straight from
/// the payload text when not (no map at all).
fn into_claims<C: DeserializeOwned + 'static>(mut payload: Payload) -> Result<C, Error> {
    if !wants_map::<C>() {
        return match payload.take_map() {
            Some(map) => serde_json::from_value(Value::Object(map)).map_err(claims_error),
            None => serde_json::from_str(payload.text()).map_err(claims_error),
        };
    }
    let mut as_map = Some(payload.into_map());
    let slot = (&mut as_map as &mut dyn Any).downcast_mut::<Option<C>>();
    if let Some(c) = slot.and_then(Option::take) {
        return Ok(c);
    }
    let mut as_claims = as_map.map(Claims::from);
    let slot = (&mut as_claims as &mut dyn Any).downcast_mut::<Option<C>>();
    if let Some(c) = slot.and_then(Option::take) {
        return Ok(c);
    }
    // Unreachable (C is one of the two), but correct for any C all the same.
    let map = as_claims.map(Claims::into_map).unwrap_or_default();
    serde_json::from_value(Value::Object(map)).map_err(claims_error)
}

/// serde's description of why the claims do not fit `C`, without the position in the text
/// (the same message whether `C` was built from the text or from a map).
fn claims_error(e: serde_json::Error) -> Error {
    let message = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    let detail = message.strip_suffix(&position).unwrap_or(&message);
    Error::ClaimsDeserialize {
        detail: crate::error::truncate(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: &Validation, claims: Value, now_s: i64) -> Result<(), Error> {
        let Value::Object(m) = claims else {
            unreachable!()
        };
        v.check_claims(&m, Timestamp::from_unix_seconds(now_s))
    }

    fn rules() -> Validation {
        Validation::new([Algorithm::RS256])
    }

    #[test]
    fn expiry_boundaries_with_leeway() {
        let v = rules().with_leeway_ms(0);
        assert!(check(&v, json!({"sub":"u","exp":101}), 100).is_ok());
        assert_eq!(
            check(&v, json!({"sub":"u","exp":100}), 100)
                .unwrap_err()
                .code(),
            "expired"
        );
        let v = rules().with_leeway_ms(5_000);
        assert!(check(&v, json!({"sub":"u","exp":96}), 100).is_ok());
        assert_eq!(
            check(&v, json!({"sub":"u","exp":95}), 100)
                .unwrap_err()
                .code(),
            "expired"
        );
        let v = rules().with_leeway_ms(-5_000);
        assert_eq!(
            check(&v, json!({"sub":"u","exp":105}), 100)
                .unwrap_err()
                .code(),
            "expired"
        );
        assert!(check(&v, json!({"sub":"u","exp":106}), 100).is_ok());
        // Fractions are truncated: 100.9 is 100.
        let v = rules().with_leeway_ms(0);
        assert_eq!(
            check(&v, json!({"sub":"u","exp":100.9}), 100)
                .unwrap_err()
                .code(),
            "expired"
        );
        // Extreme leeways never overflow.
        let v = rules().with_leeway_ms(i64::MIN);
        assert_eq!(
            check(&v, json!({"sub":"u","exp":i64::MAX / 1000}), 0)
                .unwrap_err()
                .code(),
            "expired"
        );
        let v = rules().with_leeway_ms(i64::MAX);
        assert!(check(&v, json!({"sub":"u","exp":-(i64::MAX / 1000)}), 0).is_ok());
    }

    #[test]
    fn time_claims_out_of_range_are_errors() {
        let v = rules();
        for bad in [
            json!(1e300),
            json!(-1e300),
            json!(9_223_372_036_854_775_807i64),
            json!(u64::MAX),
            json!("100"),
            json!(null),
            json!(true),
            json!([1]),
        ] {
            let e = check(&v, json!({"sub":"u","exp":bad.clone()}), 0).unwrap_err();
            assert_eq!(e.code(), "invalid-claim-type", "{bad}");
            let e = check(&v, json!({"sub":"u","exp":1e12,"nbf":bad.clone()}), 0).unwrap_err();
            assert_eq!(e.code(), "invalid-claim-type", "{bad}");
            let e = check(&v, json!({"sub":"u","exp":1e12,"iat":bad.clone()}), 0).unwrap_err();
            assert_eq!(e.code(), "invalid-claim-type", "{bad}");
        }
    }

    #[test]
    fn nbf_and_iat() {
        let v = rules().with_leeway_ms(0);
        assert!(check(&v, json!({"sub":"u","exp":200,"nbf":100,"iat":100}), 100).is_ok());
        assert_eq!(
            check(&v, json!({"sub":"u","exp":200,"nbf":101}), 100).unwrap_err(),
            Error::NotYetValid {
                nbf_ms: 101_000,
                now_ms: 100_000
            }
        );
        assert_eq!(
            check(&v, json!({"sub":"u","exp":200,"iat":101}), 100).unwrap_err(),
            Error::IssuedInFuture {
                iat_ms: 101_000,
                now_ms: 100_000
            }
        );
    }

    #[test]
    fn order_is_sub_aud_azp_iss_exp() {
        let v = rules()
            .with_audiences(["a"])
            .with_authorized_parties(["p"])
            .with_issuers(["i"]);
        let all_bad = json!({"sub":1,"aud":"x","azp":"y","iss":"z","exp":1});
        assert_eq!(
            check(&v, all_bad, 100).unwrap_err().code(),
            "invalid-claim-type"
        );
        let c = json!({"sub":"u","aud":"x","azp":"y","iss":"z","exp":1});
        assert_eq!(check(&v, c, 100).unwrap_err().code(), "invalid-audience");
        let c = json!({"sub":"u","aud":"a","azp":"y","iss":"z","exp":1});
        assert_eq!(
            check(&v, c, 100).unwrap_err().code(),
            "invalid-authorized-party"
        );
        let c = json!({"sub":"u","aud":"a","azp":"p","iss":"z","exp":1});
        assert_eq!(check(&v, c, 100).unwrap_err().code(), "invalid-issuer");
        let c = json!({"sub":"u","aud":"a","azp":"p","iss":"i","exp":1});
        assert_eq!(check(&v, c, 100).unwrap_err().code(), "expired");
    }

    #[test]
    fn audience_rules() {
        let v = rules().with_audiences(["a", "b"]);
        let ok = |aud: Value| check(&v, json!({"sub":"u","exp":1e10,"aud":aud}), 0);
        assert!(ok(json!("a")).is_ok());
        assert!(ok(json!(["x", "b"])).is_ok());
        assert!(ok(json!("")).is_ok());
        assert!(ok(json!([])).is_ok());
        assert_eq!(ok(json!("x")).unwrap_err().code(), "invalid-audience");
        assert_eq!(ok(json!(["x"])).unwrap_err().code(), "invalid-audience");
        assert_eq!(
            ok(json!(["a", 1])).unwrap_err().code(),
            "invalid-claim-type"
        );
        assert_eq!(ok(json!(7)).unwrap_err().code(), "invalid-claim-type");
        assert!(check(&v, json!({"sub":"u","exp":1e10}), 0).is_ok());
        let strict = v.require_aud(true);
        assert_eq!(
            check(&strict, json!({"sub":"u","exp":1e10}), 0).unwrap_err(),
            Error::MissingClaim { claim: Claim::Aud }
        );
        assert_eq!(
            check(&strict, json!({"sub":"u","exp":1e10,"aud":""}), 0).unwrap_err(),
            Error::MissingClaim { claim: Claim::Aud }
        );
    }

    /// The fast path (claims captured while parsing) never accepts what the map-based check
    /// rejects, and accepts the ordinary cases without it.
    #[test]
    fn captured_claims_agree_with_the_map_check() {
        use crate::token::{CLAIM_NAMES, Limits};
        let values = [
            r#""a""#,
            r#""""#,
            r#""\u0061""#,
            r#""x""#,
            r#"["x","a"]"#,
            r#"["x"]"#,
            r#"[]"#,
            r#"["",""]"#,
            r#"["a",1]"#,
            "100",
            "96",
            "95",
            "101",
            "-5",
            "100.9",
            "1e300",
            "-1e300",
            "9223372036854775",
            "9223372036854776",
            "9223372036854775807",
            "18446744073709551615",
            "null",
            "true",
            r#"{"a":1}"#,
        ];
        let configs = [
            rules(),
            rules().require_sub(false).require_exp(false),
            rules().with_audiences(["a"]),
            rules().with_audiences(["a"]).require_aud(true),
            rules()
                .with_authorized_parties(["a"])
                .with_issuers(["a", "b"]),
            rules().with_leeway_ms(0),
            rules().with_leeway_ms(i64::MIN),
            rules().with_leeway_ms(i64::MAX),
        ];
        let mut fast_passes = 0;
        for name in CLAIM_NAMES {
            for value in values {
                let others = CLAIM_NAMES
                    .iter()
                    .filter(|n| **n != name)
                    .map(|n| match *n {
                        "exp" => r#""exp":1000"#.to_owned(),
                        "nbf" | "iat" => format!(r#""{n}":50"#),
                        _ => format!(r#""{n}":"a""#),
                    });
                let text = format!(
                    "{{{},\"{name}\":{value}}}",
                    others.collect::<Vec<_>>().join(",")
                );
                let token = format!("{}.{}.c2ln", enc(r#"{"alg":"HS256"}"#), enc(&text));
                let parsed = UnverifiedToken::parse_as(
                    &token,
                    &Limits::default(),
                    crate::token::PayloadMode::Scan,
                )
                .unwrap();
                for v in &configs {
                    let now = Timestamp::from_unix_seconds(100);
                    let fast = v.claims_certainly_pass(parsed.payload_parts(), now);
                    let slow = v.check_claims(parsed.payload(), now);
                    if fast {
                        fast_passes += 1;
                        assert_eq!(slow, Ok(()), "{text} {v:?}");
                    }
                }
            }
        }
        assert!(fast_passes > 200, "{fast_passes}");
    }

    fn enc(s: &str) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn typed_claims_come_from_the_text_and_errors_carry_no_position() {
        #[derive(Debug, serde::Deserialize)]
        struct Typed {
            sub: String,
            n: u8,
        }
        let token = |payload: &str| {
            let input = format!("{}.{}", enc(r#"{"alg":"HS256"}"#), enc(payload));
            let tag = ring::hmac::sign(
                &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &[7; 32]),
                input.as_bytes(),
            );
            format!("{input}.{}", enc_bytes(tag.as_ref()))
        };
        let key = VerifyingKey::hmac(&[7; 32]).unwrap();
        let v = Validation::new([Algorithm::HS256]).require_exp(false);
        let now = Timestamp::from_unix_seconds(0);
        let ok = v.verify::<Typed>(&token(r#"{"sub":"u","n":7}"#), &key, now);
        let ok = ok.unwrap();
        assert_eq!((ok.claims().sub.as_str(), ok.claims().n), ("u", 7));
        let e = v.verify::<Typed>(&token(r#"{"sub":"u","n":300}"#), &key, now);
        let Err(Error::ClaimsDeserialize { detail }) = e else {
            panic!("{e:?}")
        };
        assert!(!detail.contains("line"), "{detail}");
        assert!(detail.contains("300"), "{detail}");
        let e = v.verify::<Typed>(&token(r#"{"sub":"u"}"#), &key, now);
        let Err(Error::ClaimsDeserialize { detail }) = e else {
            panic!("{e:?}")
        };
        assert_eq!(detail, "missing field `n`");
        // The map and Claims come back with every claim, in order.
        let t = token(r#"{"sub":"u","z":1,"a":[1,{"b":null}]}"#);
        let map = v.verify::<Map<String, Value>>(&t, &key, now).unwrap();
        let keys: Vec<&str> = map.claims().keys().map(String::as_str).collect();
        assert_eq!(keys, ["sub", "z", "a"]);
        let claims = v.verify::<Claims>(&t, &key, now).unwrap().into_claims();
        assert_eq!(claims.as_map(), map.claims());
    }

    fn enc_bytes(b: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    }

    #[test]
    fn required_claims() {
        let v = rules();
        assert_eq!(
            check(&v, json!({"exp":1e10}), 0).unwrap_err(),
            Error::MissingClaim { claim: Claim::Sub }
        );
        assert_eq!(
            check(&v, json!({"sub":"u"}), 0).unwrap_err(),
            Error::MissingClaim { claim: Claim::Exp }
        );
        let lax = rules().require_sub(false).require_exp(false);
        assert!(check(&lax, json!({}), 0).is_ok());
        assert_eq!(
            check(&lax, json!({"sub":null}), 0).unwrap_err().code(),
            "invalid-claim-type"
        );
        let azp = rules().with_authorized_parties(["p"]);
        assert_eq!(
            check(&azp, json!({"sub":"u","exp":1e10}), 0).unwrap_err(),
            Error::InvalidAuthorizedParty { azp: None }
        );
        let iss = rules().with_issuers(["i"]);
        assert_eq!(
            check(&iss, json!({"sub":"u","exp":1e10}), 0).unwrap_err(),
            Error::InvalidIssuer { iss: None }
        );
    }

    /// An HS256 token with the given header and payload texts, signed with `[7; 32]`
    /// (`good`) or with another key.
    fn signed(header: &str, payload: &str, good: bool) -> String {
        let input = format!("{}.{}", enc(header), enc(payload));
        let secret = if good { [7; 32] } else { [8; 32] };
        let tag = ring::hmac::sign(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret),
            input.as_bytes(),
        );
        format!("{input}.{}", enc_bytes(tag.as_ref()))
    }

    /// Every header kept, by its kid.
    fn kept_kids(v: &Validation) -> Vec<Option<String>> {
        let mut kids = Vec::new();
        for n in 0..8 {
            let header = format!(r#"{{"alg":"HS256","kid":"k{n}"}}"#);
            if let Some(h) = v.known.find(&enc(&header)) {
                kids.push(h.kid().map(str::to_owned));
            }
        }
        kids
    }

    #[test]
    fn headers_are_kept_only_once_a_token_with_them_verified() {
        let key = VerifyingKey::hmac(&[7; 32]).unwrap();
        let v = Validation::new([Algorithm::HS256]).require_exp(false);
        let now = Timestamp::from_unix_seconds(0);
        let k0 = r#"{"alg":"HS256","kid":"k0"}"#;
        // A bad signature, then a claims fault: nothing kept.
        let e = v.verify::<Claims>(&signed(k0, r#"{"sub":"u"}"#, false), &key, now);
        assert_eq!(e.unwrap_err().code(), "invalid-signature");
        let e = v.verify::<Claims>(&signed(k0, r#"{"sub":1}"#, true), &key, now);
        assert_eq!(e.unwrap_err().code(), "invalid-claim-type");
        // Refused by the header rules: nothing kept.
        let typed = v.clone().with_header_types(["JWT"]).require_typ(true);
        let e = typed.verify::<Claims>(&signed(k0, r#"{"sub":"u"}"#, true), &key, now);
        assert_eq!(e.unwrap_err().code(), "invalid-type");
        assert_eq!((v.known.len(), typed.known.len()), (0, 0));
        // Verified: kept, once however often it verifies.
        for _ in 0..3 {
            let ok = v.verify::<Claims>(&signed(k0, r#"{"sub":"u"}"#, true), &key, now);
            assert_eq!(ok.unwrap().header().kid(), Some("k0"));
        }
        assert_eq!(kept_kids(&v), [Some("k0".to_owned())]);
    }

    #[test]
    fn a_kept_header_gives_the_same_token_and_the_same_errors() {
        let key = VerifyingKey::hmac(&[7; 32]).unwrap();
        let v = Validation::new([Algorithm::HS256]).require_exp(false);
        let now = Timestamp::from_unix_seconds(0);
        let header = r#"{"alg":"HS256","kid":"k1","typ":"JWT","x":[1,{"y":"\u00e9"}]}"#;
        v.verify::<Claims>(&signed(header, r#"{"sub":"u"}"#, true), &key, now)
            .unwrap();
        assert_eq!(v.known.len(), 1);
        // Rules that have kept nothing (a clone starts empty).
        let fresh = || v.clone();
        let cases = [
            (r#"{"sub":"v"}"#, true),
            (r#"{"sub":"v"}"#, false),
            (r#"{"sub":"v","sub":"w"}"#, true),
            (r#"{"sub":"v""#, true),
            (r#"{"sub":"v","exp":1}"#, true),
        ];
        for (payload, good) in cases {
            let token = signed(header, payload, good);
            let kept = v.prepare::<Claims>(&token);
            let fresh_rules = fresh();
            let read = fresh_rules.prepare::<Claims>(&token);
            match (&kept, &read) {
                (Ok(kept), Ok(read)) => {
                    assert!(kept.token().header_known(), "{payload}");
                    assert!(!read.token().header_known(), "{payload}");
                    let (k, r) = (kept.token().header(), read.token().header());
                    assert_eq!(k, r);
                    assert_eq!(
                        (k.kid(), k.typ(), k.alg_name()),
                        (Some("k1"), Some("JWT"), "HS256")
                    );
                    assert_eq!(k.get("x"), Some(&json!([1, {"y": "é"}])));
                }
                (Err(kept), Err(read)) => assert_eq!(kept.code(), read.code(), "{payload}"),
                _ => panic!("{payload}: {kept:?} vs {read:?}"),
            }
            let kept = v.verify::<Claims>(&token, &key, now).map(|_| ());
            let read = fresh().verify::<Claims>(&token, &key, now).map(|_| ());
            assert_eq!(
                kept.map_err(|e| e.code()),
                read.map_err(|e| e.code()),
                "{payload}"
            );
        }
        // A token whose header differs by one byte is read, not given the kept one.
        let other = signed(&header.replace("k1", "k2"), r#"{"sub":"v"}"#, true);
        let read = v.prepare::<Claims>(&other).unwrap();
        assert!(!read.token().header_known());
        assert_eq!(read.token().header().kid(), Some("k2"));
    }

    #[test]
    fn a_few_short_headers_are_kept_and_clones_and_new_limits_start_empty() {
        let key = VerifyingKey::hmac(&[7; 32]).unwrap();
        let v = Validation::new([Algorithm::HS256]).require_exp(false);
        let now = Timestamp::from_unix_seconds(0);
        // Too long to keep (the segment is over MAX_KNOWN_HEADER_LEN), though it verifies.
        let long = format!(r#"{{"alg":"HS256","pad":"{}"}}"#, "p".repeat(400));
        assert!(enc(&long).len() > crate::token::MAX_KNOWN_HEADER_LEN);
        v.verify::<Claims>(&signed(&long, r#"{"sub":"u"}"#, true), &key, now)
            .unwrap();
        assert_eq!(v.known.len(), 0);
        for n in 0..6 {
            let header = format!(r#"{{"alg":"HS256","kid":"k{n}"}}"#);
            let ok = v.verify::<Claims>(&signed(&header, r#"{"sub":"u"}"#, true), &key, now);
            assert_eq!(ok.unwrap().header().kid(), Some(format!("k{n}").as_str()));
        }
        let first: Vec<_> = (0..crate::token::KNOWN_HEADERS)
            .map(|n| Some(format!("k{n}")))
            .collect();
        assert_eq!(kept_kids(&v), first);
        // Headers past the first few are still read, and verify.
        let k5 = signed(r#"{"alg":"HS256","kid":"k5"}"#, r#"{"sub":"u"}"#, true);
        let ok = v.verify::<Claims>(&k5, &key, now).unwrap();
        assert_eq!(ok.header().kid(), Some("k5"));
        assert_eq!(v.clone().known.len(), 0);
        let limited = v.clone().with_limits(Limits::default());
        assert_eq!(limited.known.len(), 0);
    }

    #[test]
    fn threads_racing_keep_each_header_once() {
        let key = VerifyingKey::hmac(&[7; 32]).unwrap();
        let now = Timestamp::from_unix_seconds(0);
        for _ in 0..20 {
            let v = Validation::new([Algorithm::HS256]).require_exp(false);
            std::thread::scope(|scope| {
                for t in 0..4 {
                    let (v, key) = (&v, &key);
                    scope.spawn(move || {
                        for n in [t % 3, (t + 1) % 3, 5, t % 3] {
                            let header = format!(r#"{{"alg":"HS256","kid":"k{n}"}}"#);
                            let token = signed(&header, r#"{"sub":"u"}"#, true);
                            let ok = v.verify::<Claims>(&token, key, now).unwrap();
                            assert_eq!(ok.header().kid(), Some(format!("k{n}").as_str()));
                        }
                    });
                }
            });
            // Four distinct headers (k0, k1, k2, k5), each kept once, in whatever order.
            let mut kids: Vec<String> = v
                .known
                .slots
                .iter()
                .filter_map(|s| s.get()?.header.kid().map(str::to_owned))
                .collect();
            kids.sort();
            assert_eq!(kids, ["k0", "k1", "k2", "k5"]);
        }
    }
}
