//! One pass from a payload's text to the caller's claims type, exactly as strict as the scan.
//!
//! [`deserialize_object`] is a serde [`Deserializer`](de::Deserializer) driven by the
//! [`Scanner`]: every byte goes through the scanner's grammar, depth limit and repeat check
//! while the claims type is built, and the registered claims are captured on the way, so a
//! typed verification reads its payload once instead of scanning it and then handing it to
//! serde_json.
//!
//! It is an accelerator, not a second authority. It succeeds only when the whole text was read
//! strictly and the claims type was built from it; on anything else — a fault in the text, a
//! value that does not fit the type, a visitor that stops early or swallows an error, a type
//! that needs serde_json's private hooks — it gives up without saying why, and the caller runs
//! the scan (which names the fault exactly as before) and serde_json (which names the type
//! error exactly as before). Verdicts and messages therefore never depend on this module.

use core::fmt;
use core::ops::Range;
use std::borrow::Cow;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess};
use serde::forward_to_deserialize_any;

use super::{Fault, Name, Scalar, Scanner, Seen, Text, Wanted};

/// The one-pass read of a payload did not succeed: a fault in the text, a value that does not
/// fit, or a [`MemberReader`] reader that declined. The payload is then read the usual way
/// (the strict scan names a fault in the text; the claims type's `Deserialize`, through
/// serde_json, decides whether it fits), so giving up is never wrong, only slower.
///
/// It carries nothing, so that building it costs nothing (serde's messages are never
/// formatted on the one-pass route).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GaveUp;

/// The kind of a JSON value, as [`MemberReader::kind`] sees it before reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool,
    /// A number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

/// A string value as [`MemberReader::optional_placed`] reads it: where it lies in the payload
/// text, or, when it is written with escapes, its unescaped copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placed {
    /// Written without escapes: the string is the payload text's bytes in this range (the
    /// text [`Validation::prepare_with_text`](crate::Validation::prepare_with_text) hands to
    /// its `keep` function once the token verifies).
    At(Range<usize>),
    /// Written with escapes: the string unescaped.
    Unescaped(String),
}

impl fmt::Display for GaveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the one-pass reader gave up")
    }
}

impl std::error::Error for GaveUp {}

impl de::Error for GaveUp {
    fn custom<T: fmt::Display>(_: T) -> Self {
        GaveUp
    }
}

/// What [`deserialize_object`] built: the claims type, the captured top-level members (by
/// position in the names given) and the number of top-level members.
pub(crate) struct Typed<C, const N: usize> {
    pub(crate) value: C,
    pub(crate) captured: [Option<Scalar>; N],
    pub(crate) members: usize,
}

/// Reads `text` as a JSON object into `C` in one pass, with the scanner's strictness (unique
/// names at every depth, nesting of at most `max_depth`, serde_json's grammar), capturing the
/// top-level members named in `wanted`. `None` when anything at all went wrong (see the module
/// documentation): the caller then decides with the scan and serde_json.
pub(crate) fn deserialize_object<C: DeserializeOwned, const N: usize>(
    text: &str,
    max_depth: u32,
    wanted: &Wanted<N>,
) -> Option<Typed<C, N>> {
    run(text, max_depth, wanted, |r| C::deserialize(r))
}

/// Like [`deserialize_object`], with `read` taking the top-level members one by one instead
/// of serde's `Deserialize`.
pub(crate) fn read_object<C, const N: usize>(
    text: &str,
    max_depth: u32,
    wanted: &Wanted<N>,
    read: impl FnOnce(&mut MemberReader<'_, '_>) -> Result<C, GaveUp>,
) -> Option<Typed<C, N>> {
    run(text, max_depth, wanted, |r| r.object_with(read))
}

/// The one pass over `text`, with `build` reading the top-level object from the reader.
#[inline(always)]
fn run<'t, C, const N: usize>(
    text: &'t str,
    max_depth: u32,
    wanted: &Wanted<N>,
    build: impl for<'x> FnOnce(&mut Reader<'x>) -> Result<C, GaveUp>,
) -> Option<Typed<C, N>> {
    let mut captured = [const { None }; N];
    let (value, members) = {
        let mut r = Reader {
            sc: Scanner::new(text, max_depth),
            depth: 0,
            failed: false,
            capture: Some(Capture {
                wanted: &wanted.names,
                buckets: &wanted.buckets,
                slots: &mut captured,
            }),
            members: None,
            grab: false,
            grabbed: None,
        };
        r.sc.skip_ws();
        if r.sc.peek() != Some(b'{') {
            return None;
        }
        let value = build(&mut r).ok()?;
        r.sc.skip_ws();
        // `members` is set only when the capturing reader went through the top-level object
        // to its end, so every registered claim in it was seen.
        if r.failed || r.sc.pos != text.len() {
            return None;
        }
        (value, r.members?)
    };
    Some(Typed {
        value,
        captured,
        members,
    })
}

/// The registered claims to capture from the top-level object.
struct Capture<'t> {
    wanted: &'t [Name<'t>],
    buckets: &'t [u8; 64],
    slots: &'t mut [Option<Scalar>],
}

/// The deserializer: a scanner, the depth of the value it is about to read, and whether
/// anything has failed (sticky, so that a visitor that swallows an error cannot make the pass
/// succeed from a position the scanner did not choose).
struct Reader<'t> {
    sc: Scanner<'t>,
    depth: u32,
    failed: bool,
    capture: Option<Capture<'t>>,
    /// The top-level member count, once the capturing reader has read that object whole.
    members: Option<usize>,
    /// Set while a registered claim's value is read: the string, number or boolean read
    /// there is kept in `grabbed`, so that it need not be read again for the capture.
    grab: bool,
    grabbed: Option<Scalar>,
}

impl<'t> Reader<'t> {
    #[cold]
    fn fail<T>(&mut self) -> Result<T, GaveUp> {
        self.failed = true;
        Err(GaveUp)
    }

    #[inline]
    fn check<T>(&mut self, r: Result<T, Fault>) -> Result<T, GaveUp> {
        match r {
            Ok(v) => Ok(v),
            Err(_) => self.fail(),
        }
    }

    /// Marks the pass failed when `r` is an error, whoever made it.
    #[inline]
    fn track<T>(&mut self, r: Result<T, GaveUp>) -> Result<T, GaveUp> {
        if r.is_err() {
            self.failed = true;
        }
        r
    }

    /// Reads a string token at `pos` and returns its content.
    #[inline]
    fn string(&mut self) -> Result<Cow<'t, str>, GaveUp> {
        self.string_grabbed(false)
    }

    /// [`string`](Self::string), keeping the string in `grabbed` when `grab` is set.
    #[inline(always)]
    fn string_grabbed(&mut self, grab: bool) -> Result<Cow<'t, str>, GaveUp> {
        self.string_placed(grab).map(|(content, _)| content)
    }

    /// [`string_grabbed`](Self::string_grabbed), with the range of the string's characters
    /// in the text (its content when it is written without escapes).
    #[inline(always)]
    fn string_placed(&mut self, grab: bool) -> Result<(Cow<'t, str>, Range<usize>), GaveUp> {
        let token = self.sc.string();
        let token = self.check(token)?;
        let content = self.sc.content(&token);
        let content = self.check(content)?;
        if grab {
            self.grabbed = Some(Scalar::Str(match &content {
                Cow::Borrowed(_) => Text::Span {
                    start: token.start,
                    end: token.end,
                },
                Cow::Owned(s) => Text::Owned(s.as_str().into()),
            }));
        }
        Ok((content, token.start..token.end))
    }

    /// Reads the number at `pos`: the scalar the scan captures for it, and the number as
    /// serde_json reads it (an integer when it has no fraction or exponent and fits `u64` or
    /// `i64`, otherwise an `f64`). Anything but a number is [`GaveUp`].
    #[inline(always)]
    fn number(&mut self) -> Result<(Scalar, serde_json::Number), GaveUp> {
        if !matches!(self.sc.peek(), Some(b'-' | b'0'..=b'9')) {
            return self.fail();
        }
        let n = self.sc.number();
        let n = self.check(n)?;
        let number = match &n {
            Scalar::UInt(u) => serde_json::Number::from(*u),
            Scalar::Int(i) => serde_json::Number::from(*i),
            Scalar::Float(f) => match serde_json::Number::from_f64(*f) {
                Some(number) => number,
                None => return self.fail(),
            },
            _ => return self.fail(),
        };
        Ok((n, number))
    }

    /// Whether the container about to be read at this depth is too deep (the top-level
    /// object never is).
    fn too_deep(&self) -> bool {
        self.depth != 0 && self.depth >= self.sc.max_depth
    }

    fn any<V: de::Visitor<'t>>(&mut self, v: V) -> Result<V::Value, GaveUp> {
        if self.failed {
            return Err(GaveUp);
        }
        self.sc.skip_ws();
        // Only a scalar read right here is the value being grabbed.
        let grab = core::mem::take(&mut self.grab);
        match self.sc.peek() {
            Some(b'{') => self.object(v),
            Some(b'[') => self.array(v),
            Some(b'"') => match self.string_grabbed(grab)? {
                Cow::Borrowed(s) => v.visit_borrowed_str(s),
                Cow::Owned(s) => v.visit_string(s),
            },
            Some(b'-' | b'0'..=b'9') => {
                let n = self.sc.number();
                let n = self.check(n)?;
                if grab {
                    self.grabbed = Some(n.clone());
                }
                match n {
                    Scalar::UInt(u) => v.visit_u64(u),
                    Scalar::Int(i) => v.visit_i64(i),
                    Scalar::Float(f) => v.visit_f64(f),
                    _ => self.fail(),
                }
            }
            Some(b't') => {
                let t = self.sc.literal(b"true", Scalar::Bool(true));
                let t = self.check(t)?;
                if grab {
                    self.grabbed = Some(t);
                }
                v.visit_bool(true)
            }
            Some(b'f') => {
                let f = self.sc.literal(b"false", Scalar::Bool(false));
                let f = self.check(f)?;
                if grab {
                    self.grabbed = Some(f);
                }
                v.visit_bool(false)
            }
            Some(b'n') => {
                let n = self.sc.literal(b"null", Scalar::Other);
                self.check(n)?;
                v.visit_unit()
            }
            _ => self.fail(),
        }
    }

    fn object<V: de::Visitor<'t>>(&mut self, v: V) -> Result<V::Value, GaveUp> {
        self.object_with(|members| v.visit_map(members))
    }

    /// Reads the object at `pos` with `read` taking its members.
    #[inline(always)]
    fn object_with<T>(
        &mut self,
        read: impl FnOnce(&mut MemberReader<'_, 't>) -> Result<T, GaveUp>,
    ) -> Result<T, GaveUp> {
        if self.too_deep() {
            return self.fail();
        }
        let top = self.depth == 0;
        self.sc.pos += 1;
        let seen = self.sc.open_object();
        let capture = if top { self.capture.take() } else { None };
        self.depth += 1;
        let mut members = MemberReader {
            r: self,
            seen,
            first: true,
            done: false,
            capture,
            pending: None,
        };
        let value = read(&mut members)?;
        members.finish()?;
        let MemberReader { seen, .. } = members;
        let count = seen.count;
        self.sc.close_object(seen);
        self.depth -= 1;
        if top {
            self.members = Some(count);
        }
        Ok(value)
    }

    fn array<V: de::Visitor<'t>>(&mut self, v: V) -> Result<V::Value, GaveUp> {
        if self.too_deep() {
            return self.fail();
        }
        self.sc.pos += 1;
        self.depth += 1;
        let mut elements = Elements {
            r: self,
            first: true,
            done: false,
        };
        let value = v.visit_seq(&mut elements)?;
        elements.finish()?;
        self.depth -= 1;
        Ok(value)
    }

    /// After a container's visitor returned: unless the visitor read up to the container's
    /// end (`done`), the `close` byte must come next — a visitor that stopped early leaves
    /// items unread, which serde_json refuses too.
    fn close(&mut self, done: &mut bool, close: u8) -> Result<(), GaveUp> {
        if *done {
            return Ok(());
        }
        self.sc.skip_ws();
        if !self.failed && self.sc.peek() == Some(close) {
            self.sc.pos += 1;
            *done = true;
            return Ok(());
        }
        self.fail()
    }

    /// For the item loops of objects and arrays: whether another item follows, `done` once
    /// the container has ended (then no more is read).
    #[inline]
    fn more(&mut self, first: &mut bool, done: &mut bool, close: u8) -> Result<bool, GaveUp> {
        if *done {
            return Ok(false);
        }
        let more = self.next_item(first, close)?;
        *done = !more;
        Ok(more)
    }

    /// Reads past the separator before the next item of an array or object: `Ok(true)` when
    /// an item follows, `Ok(false)` when `close` ended the container.
    #[inline]
    fn next_item(&mut self, first: &mut bool, close: u8) -> Result<bool, GaveUp> {
        if self.failed {
            return Err(GaveUp);
        }
        self.sc.skip_ws();
        let b = self.sc.peek();
        if b == Some(close) {
            self.sc.pos += 1;
            return Ok(false);
        }
        if *first {
            *first = false;
            return Ok(true);
        }
        if b == Some(b',') {
            self.sc.pos += 1;
            Ok(true)
        } else {
            self.fail()
        }
    }
}

impl<'t> de::Deserializer<'t> for &mut Reader<'t> {
    type Error = GaveUp;

    fn deserialize_any<V: de::Visitor<'t>>(self, v: V) -> Result<V::Value, GaveUp> {
        let r = self.any(v);
        self.track(r)
    }

    fn deserialize_option<V: de::Visitor<'t>>(self, v: V) -> Result<V::Value, GaveUp> {
        if self.failed {
            return Err(GaveUp);
        }
        self.sc.skip_ws();
        let r = if self.sc.peek() == Some(b'n') {
            let n = self.sc.literal(b"null", Scalar::Other);
            self.check(n).and_then(|_| v.visit_none())
        } else {
            v.visit_some(&mut *self)
        };
        self.track(r)
    }

    fn deserialize_newtype_struct<V: de::Visitor<'t>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, GaveUp> {
        // serde_json's raw values go through a private protocol of its own deserializer.
        if name.starts_with("$serde_json::") || self.failed {
            return self.fail();
        }
        let r = v.visit_newtype_struct(&mut *self);
        self.track(r)
    }

    fn deserialize_enum<V: de::Visitor<'t>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, GaveUp> {
        if self.failed {
            return Err(GaveUp);
        }
        self.sc.skip_ws();
        // A unit variant written as a string; the object form is left to serde_json.
        if self.sc.peek() != Some(b'"') {
            return self.fail();
        }
        let r = match self.string() {
            Ok(Cow::Borrowed(s)) => v.visit_enum(BorrowedStrDeserializer::new(s)),
            Ok(Cow::Owned(s)) => v.visit_enum(s.into_deserializer()),
            Err(e) => Err(e),
        };
        self.track(r)
    }

    fn deserialize_ignored_any<V: de::Visitor<'t>>(self, v: V) -> Result<V::Value, GaveUp> {
        if self.failed {
            return Err(GaveUp);
        }
        let skipped = self.sc.value(self.depth, false);
        self.check(skipped)?;
        let r = v.visit_unit();
        self.track(r)
    }

    forward_to_deserialize_any! {
        <W: Visitor<'t>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// The members of a payload's top-level object, read one at a time by a claims type that
/// reads itself: see [`UnverifiedToken::prepare_with`](crate::UnverifiedToken::prepare_with).
///
/// It reads the payload with the strictness of every other route (serde_json's grammar,
/// unique member names at every depth, the nesting limit) and captures the registered claims
/// for the claim checks on the way, so a reader cannot skip a check: a member left unread,
/// read twice or read out of turn, or any fault in the text, makes the whole read give up
/// ([`GaveUp`], sticky: every later call gives up too), and the payload then goes the way of
/// [`UnverifiedToken::prepare`](crate::UnverifiedToken::prepare).
///
/// It is also serde's `MapAccess` for every object the serde route reads.
pub struct MemberReader<'a, 't> {
    r: &'a mut Reader<'t>,
    seen: Seen<'t>,
    first: bool,
    done: bool,
    /// Set for the top-level object only.
    capture: Option<Capture<'t>>,
    /// The capture slot of the member whose value is next, if it is a registered claim.
    pending: Option<usize>,
}

impl MemberReader<'_, '_> {
    /// Before the value of the member just named is read: gives up if the pass has, skips
    /// the whitespace before the value, and takes the member's capture slot, if any.
    #[inline(always)]
    fn value_start(&mut self) -> Result<Option<usize>, GaveUp> {
        if self.r.failed {
            return Err(GaveUp);
        }
        self.r.sc.skip_ws();
        Ok(self.pending.take())
    }

    /// Keeps `scalar` in the capture slot `pending` (the registered claim whose value was
    /// just read), if any.
    #[inline(always)]
    fn capture_at(&mut self, pending: Option<usize>, scalar: Scalar) {
        // The slot is empty: `next_name` refuses a name whose slot is filled.
        if let Some(slot) = pending.and_then(|i| self.capture.as_mut()?.slots.get_mut(i))
            && slot.is_none()
        {
            *slot = Some(scalar);
        }
    }

    /// After the visitor: the object must end here.
    fn finish(&mut self) -> Result<(), GaveUp> {
        self.r.close(&mut self.done, b'}')
    }
}

impl<'t> MemberReader<'_, 't> {
    /// The next member's name (unescaped), or `None` after the last member. Read its value
    /// with exactly one of the value methods before asking for the next name.
    ///
    /// The name has already passed the repeat check of the object: a name that appears twice
    /// ends the read here, with [`GaveUp`].
    #[inline]
    pub fn next_name(&mut self) -> Result<Option<Cow<'t, str>>, GaveUp> {
        let r = &mut *self.r;
        if !r.more(&mut self.first, &mut self.done, b'}')? {
            return Ok(None);
        }
        r.sc.skip_ws();
        if r.sc.peek() != Some(b'"') {
            return r.fail();
        }
        let name = Name::new(r.string()?);
        let colon = r.sc.expect(b':');
        r.check(colon)?;
        if let Some(c) = &self.capture {
            self.pending = name.position_in(c.wanted, c.buckets);
        }
        // A copy of the name for the caller (the name itself may go on the name stack): a
        // borrowed one costs nothing to copy.
        let key = match &name.name {
            Cow::Borrowed(s) => Cow::Borrowed(*s),
            Cow::Owned(s) => Cow::Owned(s.clone()),
        };
        match (self.pending, &self.capture) {
            // A captured name is repeated exactly when its slot is already filled: it needs
            // no place on the name stack.
            (Some(i), Some(c)) => {
                if c.slots.get(i).is_none_or(Option::is_some) {
                    return r.fail();
                }
                self.seen.count = self.seen.count.saturating_add(1);
            }
            _ => {
                let noted = r.sc.note_name(&mut self.seen, name);
                r.check(noted)?;
            }
        }
        Ok(Some(key))
    }

    /// The value of the member just named, which must be a string (`Some`, unescaped) or
    /// `null` (`None`), as serde reads an `Option<String>`; anything else is [`GaveUp`].
    #[inline]
    pub fn optional_string(&mut self) -> Result<Option<String>, GaveUp> {
        Ok(self.optional_str()?.map(Cow::into_owned))
    }

    /// Like [`optional_string`](Self::optional_string), without a copy when it can: a string
    /// written without escapes is borrowed from the payload text, an escaped one is unescaped
    /// into a `String`.
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use jwt_core::{Algorithm, GaveUp, MemberReader, Timestamp, Validation, VerifyingKey};
    /// # let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    /// # let secret = base64_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
    /// /// The issuer, and whether it came without a copy.
    /// fn issuer(m: &mut MemberReader<'_, '_>) -> Result<(String, bool), GaveUp> {
    ///     let mut iss = None;
    ///     while let Some(name) = m.next_name()? {
    ///         match &*name {
    ///             "iss" => iss = m.optional_str()?,
    ///             _ => m.value::<serde::de::IgnoredAny>().map(drop)?,
    ///         }
    ///     }
    ///     let iss = iss.ok_or(GaveUp)?;
    ///     Ok((iss.to_string(), matches!(iss, Cow::Borrowed(_))))
    /// }
    /// let rules = Validation::new([Algorithm::HS256]).require_sub(false);
    /// let prepared = rules.prepare_with(token, issuer)?;
    /// let key = VerifyingKey::hmac(&secret)?;
    /// let ok = rules.verify_prepared(prepared, &key, Timestamp::from_unix_seconds(1_300_819_000))?;
    /// assert_eq!(ok.claims(), &("joe".to_owned(), true));
    /// # fn base64_decode(s: &str) -> Vec<u8> {
    /// #     use base64::Engine as _;
    /// #     base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn optional_str(&mut self) -> Result<Option<Cow<'t, str>>, GaveUp> {
        self.optional_string_as(|content, _| content)
    }

    /// A string (`Some`, its content and where its characters lie in the text, given to
    /// `string`) or `null` (`None`), captured if the member is a registered claim.
    #[inline(always)]
    fn optional_string_as<T>(
        &mut self,
        string: impl FnOnce(Cow<'t, str>, Range<usize>) -> T,
    ) -> Result<Option<T>, GaveUp> {
        let pending = self.value_start()?;
        let r = &mut *self.r;
        let (value, scalar) = match r.sc.peek() {
            Some(b'"') => {
                let (content, at) = r.string_placed(pending.is_some())?;
                (Some(string(content, at)), r.grabbed.take())
            }
            Some(b'n') => {
                let n = r.sc.literal(b"null", Scalar::Other);
                (None, Some(r.check(n)?))
            }
            _ => return r.fail(),
        };
        if let Some(scalar) = scalar {
            self.capture_at(pending, scalar);
        }
        Ok(value)
    }

    /// The length in bytes of the payload text this reader reads: a claims type that keeps
    /// the text (see [`optional_placed`](Self::optional_placed)) can give the strings it
    /// unescaped their places after it.
    ///
    /// ```
    /// use jwt_core::{GaveUp, Limits, UnverifiedToken};
    /// # use base64::Engine as _;
    /// # let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    /// let payload = r#"{"sub":"u"}"#;
    /// let token = format!("{}.{}.c2ln", b64(r#"{"alg":"HS256"}"#), b64(payload));
    /// let mut len = 0;
    /// UnverifiedToken::prepare_with(&token, &Limits::default(), |m| {
    ///     len = m.text_len();
    ///     while m.next_name()?.is_some() {
    ///         m.optional_placed()?;
    ///     }
    ///     Ok::<(), GaveUp>(())
    /// })?;
    /// assert_eq!(len, payload.len());
    /// # Ok::<(), jwt_core::Error>(())
    /// ```
    pub fn text_len(&self) -> usize {
        self.r.sc.text.len()
    }

    /// Like [`optional_str`](Self::optional_str), for a claims type that keeps the payload
    /// text instead of copies of its strings (see
    /// [`Validation::prepare_with_text`](crate::Validation::prepare_with_text)): a string
    /// written without escapes is given as its place in the text, an escaped one unescaped.
    ///
    /// ```
    /// use jwt_core::{GaveUp, Limits, Placed, UnverifiedToken};
    /// # use base64::Engine as _;
    /// # let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    /// let payload = r#"{"sub":"user_1","name":"a \"b\"","org":null}"#;
    /// let token = format!("{}.{}.c2ln", b64(r#"{"alg":"HS256"}"#), b64(payload));
    /// let mut strings = Vec::new();
    /// UnverifiedToken::prepare_with(&token, &Limits::default(), |m| {
    ///     while m.next_name()?.is_some() {
    ///         strings.push(m.optional_placed()?);
    ///     }
    ///     Ok::<(), GaveUp>(())
    /// })?;
    /// let name = Placed::Unescaped(r#"a "b""#.to_owned());
    /// assert_eq!(strings, [Some(Placed::At(8..14)), Some(name), None]);
    /// assert_eq!(&payload[8..14], "user_1");
    /// # Ok::<(), jwt_core::Error>(())
    /// ```
    #[inline]
    pub fn optional_placed(&mut self) -> Result<Option<Placed>, GaveUp> {
        self.optional_string_as(|content, at| match content {
            Cow::Borrowed(_) => Placed::At(at),
            Cow::Owned(s) => Placed::Unescaped(s),
        })
    }

    /// What the value of the member just named is, without reading it: for a reader that
    /// takes one kind of value its own way and hands the rest to [`value`](Self::value).
    /// Anything that cannot start a JSON value is [`GaveUp`].
    #[inline]
    pub fn kind(&mut self) -> Result<Kind, GaveUp> {
        let r = &mut *self.r;
        if r.failed {
            return Err(GaveUp);
        }
        r.sc.skip_ws();
        Ok(match r.sc.peek() {
            Some(b'n') => Kind::Null,
            Some(b't' | b'f') => Kind::Bool,
            Some(b'-' | b'0'..=b'9') => Kind::Number,
            Some(b'"') => Kind::String,
            Some(b'[') => Kind::Array,
            Some(b'{') => Kind::Object,
            _ => return r.fail(),
        })
    }

    /// The value of the member just named, which must be `null` (`None`) or an array of
    /// exactly `N` numbers, each as [`number`](Self::number) reads it; anything else is
    /// [`GaveUp`]. The array counts towards the nesting limit as any other.
    ///
    /// ```
    /// use jwt_core::{Algorithm, GaveUp, MemberReader, Timestamp, Validation, VerifyingKey};
    /// # let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    /// # let secret = base64_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
    /// /// The expiry, read as a one-element array would be read if it were one.
    /// fn expiry(m: &mut MemberReader<'_, '_>) -> Result<i64, GaveUp> {
    ///     let mut exp = None;
    ///     while let Some(name) = m.next_name()? {
    ///         match (&*name, m.kind()?) {
    ///             ("exp", jwt_core::Kind::Number) => exp = m.number()?.as_i64(),
    ///             ("exp", jwt_core::Kind::Array) => {
    ///                 exp = m.optional_numbers::<1>()?.and_then(|[e]| e.as_i64())
    ///             }
    ///             _ => m.value::<serde::de::IgnoredAny>().map(drop)?,
    ///         }
    ///     }
    ///     exp.ok_or(GaveUp)
    /// }
    /// let rules = Validation::new([Algorithm::HS256]).require_sub(false);
    /// let prepared = rules.prepare_with(token, expiry)?;
    /// let key = VerifyingKey::hmac(&secret)?;
    /// let ok = rules.verify_prepared_claims(prepared, &key, Timestamp::from_unix_seconds(1_300_819_000))?;
    /// assert_eq!(ok, 1_300_819_380);
    /// # fn base64_decode(s: &str) -> Vec<u8> {
    /// #     use base64::Engine as _;
    /// #     base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn optional_numbers<const N: usize>(
        &mut self,
    ) -> Result<Option<[serde_json::Number; N]>, GaveUp> {
        let pending = self.value_start()?;
        let r = &mut *self.r;
        let value = match r.sc.peek() {
            Some(b'n') => {
                let n = r.sc.literal(b"null", Scalar::Other);
                r.check(n)?;
                None
            }
            Some(b'[') => {
                if r.too_deep() {
                    return r.fail();
                }
                r.sc.pos += 1;
                let mut out = [(); N].map(|()| serde_json::Number::from(0u8));
                for (i, slot) in out.iter_mut().enumerate() {
                    r.sc.skip_ws();
                    if i > 0 {
                        let comma = r.sc.expect(b',');
                        r.check(comma)?;
                        r.sc.skip_ws();
                    }
                    *slot = r.number()?.1;
                }
                r.sc.skip_ws();
                let close = r.sc.expect(b']');
                r.check(close)?;
                Some(out)
            }
            _ => return r.fail(),
        };
        // What the scan captures for such a value: `null` and an array with a number in it
        // are `Other`; the empty array (`N` = 0) is an empty list of strings.
        let scalar = match (&value, N) {
            (Some(_), 0) => Scalar::StrList(Vec::new()),
            _ => Scalar::Other,
        };
        self.capture_at(pending, scalar);
        Ok(value)
    }

    /// The value of the member just named, which must be a number: as serde_json reads it
    /// (an integer when it has no fraction or exponent and fits `u64` or `i64`, otherwise
    /// an `f64`). Anything else is [`GaveUp`].
    #[inline(always)]
    pub fn number(&mut self) -> Result<serde_json::Number, GaveUp> {
        let pending = self.value_start()?;
        let r = &mut *self.r;
        let (scalar, number) = r.number()?;
        self.capture_at(pending, scalar);
        Ok(number)
    }

    /// The value of the member just named, of any JSON type, read into `T` by its
    /// `Deserialize` (with the same strictness: repeated names and the depth limit hold inside
    /// it too). An error of `T`'s is [`GaveUp`].
    #[inline]
    pub fn value<T: de::Deserialize<'t>>(&mut self) -> Result<T, GaveUp> {
        self.next_value_seed(core::marker::PhantomData)
    }
}

impl<'t> MapAccess<'t> for MemberReader<'_, 't> {
    type Error = GaveUp;

    fn next_key_seed<K: DeserializeSeed<'t>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, GaveUp> {
        let Some(key) = self.next_name()? else {
            return Ok(None);
        };
        let k = match key {
            Cow::Borrowed(s) => seed.deserialize(BorrowedStrDeserializer::new(s)),
            Cow::Owned(s) => seed.deserialize(s.into_deserializer()),
        };
        self.r.track(k).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'t>>(&mut self, seed: V) -> Result<V::Value, GaveUp> {
        let r = &mut *self.r;
        if r.failed {
            return Err(GaveUp);
        }
        let Some(i) = self.pending.take() else {
            let value = seed.deserialize(&mut *r);
            return r.track(value);
        };
        // A registered claim: its scalar is grabbed while it is read; anything else (an
        // array, an object, null, a value the type skipped) is read again for the capture,
        // as the scan captures it.
        let start = r.sc.pos;
        r.grab = true;
        let value = seed.deserialize(&mut *r);
        r.grab = false;
        let value = r.track(value)?;
        let scalar = match r.grabbed.take() {
            Some(scalar) => scalar,
            None => {
                let end = r.sc.pos;
                r.sc.pos = start;
                let scalar = r.sc.value(r.depth, true);
                let scalar = r.check(scalar)?;
                if r.sc.pos != end {
                    return r.fail();
                }
                scalar
            }
        };
        self.capture_at(Some(i), scalar);
        Ok(value)
    }
}

/// The elements of an array being read.
struct Elements<'a, 't> {
    r: &'a mut Reader<'t>,
    first: bool,
    done: bool,
}

impl Elements<'_, '_> {
    /// After the visitor: the array must end here.
    fn finish(&mut self) -> Result<(), GaveUp> {
        self.r.close(&mut self.done, b']')
    }
}

impl<'t> SeqAccess<'t> for Elements<'_, 't> {
    type Error = GaveUp;

    fn next_element_seed<T: DeserializeSeed<'t>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, GaveUp> {
        if !self.r.more(&mut self.first, &mut self.done, b']')? {
            return Ok(None);
        }
        let value = seed.deserialize(&mut *self.r);
        self.r.track(value).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::{Map, Value};

    use super::*;

    const NAMES: [&str; 2] = ["exp", "aud"];

    fn read<C: DeserializeOwned>(text: &str) -> Option<Typed<C, 2>> {
        deserialize_object::<C, 2>(text, 4, &Wanted::new(&NAMES))
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Claims {
        sub: String,
        exp: i64,
        fva: Option<[i64; 2]>,
        kind: Option<Kind>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Session,
        Machine,
    }

    #[test]
    fn builds_the_type_and_captures_the_registered_claims() {
        let text = r#"{"sub":"u\u0031","exp":5,"aud":["a","b"],"fva":[0,-1],"kind":"session","x":{"y":[1,{"z":null}]}}"#;
        let t = read::<Claims>(text).unwrap();
        assert_eq!(
            t.value,
            Claims {
                sub: "u1".into(),
                exp: 5,
                fva: Some([0, -1]),
                kind: Some(Kind::Session),
            }
        );
        assert_eq!(t.members, 6);
        assert_eq!(t.captured[0], Some(Scalar::UInt(5)));
        assert!(matches!(&t.captured[1], Some(Scalar::StrList(l)) if l.len() == 2));
        let map = read::<Map<String, Value>>(text).unwrap().value;
        assert_eq!(
            Value::Object(map),
            serde_json::from_str::<Value>(text).unwrap()
        );
    }

    #[test]
    fn gives_up_on_anything_the_scan_refuses() {
        for text in [
            r#"{"sub":"a","exp":1,"sub":"b"}"#,
            // Repeated captured names, found by their filled slot (they are not on the name
            // stack), also when escaped.
            r#"{"sub":"a","exp":1,"aud":"x","exp":2}"#,
            r#"{"sub":"a","exp":1,"\u0065xp":2}"#,
            r#"{"sub":"a","exp":1,"x":{"k":1,"k":2}}"#,
            r#"{"sub":"a","exp":1,"x":[[[[[1]]]]]}"#,
            r#"{"sub":"a","exp":1,}"#,
            r#"{"sub":"a","exp":01}"#,
            r#"{"sub":"a","exp":1} x"#,
            r#"{"sub":"a\ud800","exp":1}"#,
            "{\"sub\":\"a\u{1}\",\"exp\":1}",
            r#"[{"sub":"a","exp":1}]"#,
        ] {
            assert!(read::<Claims>(text).is_none(), "{text}");
            assert!(read::<Map<String, Value>>(text).is_none(), "{text}");
            assert!(read::<Value>(text).is_none(), "{text}");
            assert!(read_members(text, every_member).is_none(), "{text}");
        }
        assert!(read_members(r#"{"sub":"a","exp":1}"#, every_member).is_some());
    }

    #[test]
    fn gives_up_where_serde_json_must_decide() {
        for text in [
            // Does not fit the type.
            r#"{"sub":1,"exp":1}"#,
            r#"{"exp":1}"#,
            // The visitor stops early (three elements for a pair).
            r#"{"sub":"a","exp":1,"fva":[1,2,3]}"#,
            // An unknown variant, and the object form of an enum.
            r#"{"sub":"a","exp":1,"kind":"other"}"#,
            r#"{"sub":"a","exp":1,"kind":{"session":null}}"#,
        ] {
            assert!(read::<Claims>(text).is_none(), "{text}");
        }
        // serde_json's private raw-value protocol.
        #[derive(Deserialize)]
        struct Raw {
            #[allow(dead_code, reason = "only deserialized")]
            x: Box<serde_json::value::RawValue>,
        }
        assert!(read::<Raw>(r#"{"x":[1]}"#).is_none());
        assert!(serde_json::from_str::<Raw>(r#"{"x":[1]}"#).is_ok());
    }

    /// A claims type whose member swallows the reader's errors must not make a refused text
    /// pass: the failure is sticky.
    #[test]
    fn a_swallowed_error_still_gives_up() {
        #[derive(Debug)]
        struct Lenient;
        impl<'de> Deserialize<'de> for Lenient {
            fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let _ignored = u64::deserialize(d);
                Ok(Lenient)
            }
        }
        #[derive(Debug, Deserialize)]
        struct Outer {
            #[allow(dead_code, reason = "only deserialized")]
            x: Lenient,
        }
        // The string fails as a u64 but is consumed; a malformed object fails midway.
        assert!(read::<Outer>(r#"{"x":"s"}"#).is_none());
        assert!(read::<Outer>(r#"{"x":{"a":1,"a":2}}"#).is_none());
    }

    type Reading = fn(&mut MemberReader<'_, '_>) -> Result<Vec<(String, Value)>, GaveUp>;

    fn read_members(text: &str, read: Reading) -> Option<Typed<Vec<(String, Value)>, 2>> {
        read_object::<_, 2>(text, 4, &Wanted::new(&NAMES), read)
    }

    /// Every member, every value through serde.
    fn every_member(m: &mut MemberReader<'_, '_>) -> Result<Vec<(String, Value)>, GaveUp> {
        let mut members = Vec::new();
        while let Some(name) = m.next_name()? {
            members.push((name.into_owned(), m.value()?));
        }
        Ok(members)
    }

    #[test]
    fn the_member_reader_reads_and_captures_like_the_serde_route() {
        let text = r#" {"sub":"u\u0031", "exp":5.5,"aud":null,"x":{"y":[1]}} "#;
        let t = read_members(text, |m| {
            let mut members = Vec::new();
            while let Some(name) = m.next_name()? {
                let value = match &*name {
                    "sub" | "aud" => m.optional_string()?.map_or(Value::Null, Value::from),
                    "exp" => Value::Number(m.number()?),
                    _ => m.value()?,
                };
                members.push((name.into_owned(), value));
            }
            Ok(members)
        })
        .unwrap();
        let expected: Map<String, Value> = serde_json::from_str(text).unwrap();
        assert_eq!(t.value, expected.into_iter().collect::<Vec<_>>());
        assert_eq!(t.members, 4);
        // Captured as the scan captures them: the number as read, `null` as other.
        assert_eq!(t.captured[0], Some(Scalar::Float(5.5)));
        assert_eq!(t.captured[1], Some(Scalar::Other));
        let serde_route = read::<Map<String, Value>>(text).unwrap();
        assert_eq!(t.captured, serde_route.captured);
    }

    /// A reader cannot leave a member unread, read one twice, read a value where a name is
    /// due, or go on after an error it swallowed: each makes the whole read give up.
    #[test]
    fn the_member_reader_cannot_be_misused() {
        const TEXT: &str = r#"{"sub":"a","exp":1,"x":"y"}"#;
        let cases: [(&str, Reading); 6] = [
            ("stops before the last member", |m| {
                m.next_name()?;
                m.value::<Value>()?;
                Ok(Vec::new())
            }),
            ("leaves a value unread", |m| {
                m.next_name()?;
                m.next_name()?;
                Ok(Vec::new())
            }),
            ("reads a value twice", |m| {
                m.next_name()?;
                m.value::<Value>()?;
                m.value::<Value>()?;
                every_member(m)
            }),
            ("reads a value where a name is due", |m| {
                m.optional_string()?;
                every_member(m)
            }),
            ("swallows a type error", |m| {
                m.next_name()?;
                let _ignored = m.number();
                every_member(m)
            }),
            ("declines", |_| Err(GaveUp)),
        ];
        for (what, read) in cases {
            assert!(read_members(TEXT, read).is_none(), "{what}");
        }
        assert!(read_members(TEXT, every_member).is_some());
    }

    #[test]
    fn the_typed_shortcuts_take_only_their_type() {
        let string = |m: &mut MemberReader<'_, '_>| {
            m.next_name()?;
            Ok(vec![(String::new(), m.optional_string()?.into())])
        };
        let number = |m: &mut MemberReader<'_, '_>| {
            m.next_name()?;
            Ok(vec![(String::new(), Value::Number(m.number()?))])
        };
        for (text, string_ok, number_ok) in [
            (r#"{"x":"s"}"#, true, false),
            (r#"{"x":null}"#, true, false),
            (r#"{"x":-1e3}"#, false, true),
            (r#"{"x":true}"#, false, false),
            (r#"{"x":[]}"#, false, false),
            (r#"{"x":{}}"#, false, false),
        ] {
            assert_eq!(read_members(text, string).is_some(), string_ok, "{text}");
            assert_eq!(read_members(text, number).is_some(), number_ok, "{text}");
        }
    }

    #[test]
    fn the_capture_needs_the_whole_top_level_object() {
        // A type that skips the payload whole never runs the capturing reader.
        assert!(read::<serde::de::IgnoredAny>(r#"{"exp":1}"#).is_none());
        assert!(read::<Map<String, Value>>(r#"{"exp":1}"#).is_some());
    }
}
