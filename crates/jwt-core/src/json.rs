//! Strict JSON objects: duplicate member names and excessive nesting are errors.
//!
//! serde_json keeps the last of two equal member names; a verifier must not, because two
//! parsers reading the same token could then see different claims.
//!
//! Verification does not build a JSON tree to check a token. [`scan_object`] reads a decoded
//! segment once, borrowing from it: it checks the grammar, the nesting depth and that member
//! names are unique in every object (compared after unescaping), and captures the few
//! top-level members the caller names — a string as a range of the text, a number as a
//! number. A `serde_json::Map` is built only when someone asks for one ([`build_map`]), from
//! text that has already passed the scan.

use core::fmt;
use std::borrow::Cow;
use std::collections::HashSet;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{Error, Part, truncate};

mod de;

pub use de::{GaveUp, Kind, MemberReader, Placed};
pub(crate) use de::{Typed, deserialize_object, read_object};

/// Deepest nesting this parser can report as [`Error::NestingTooDeep`].
///
/// serde_json stops at 128 nested arrays or objects with an error of its own, which would
/// surface as malformed JSON. Capping the configured depth below that keeps over-deep input
/// reported as what it is, whatever [`Limits::max_depth`](crate::Limits::max_depth) says.
pub(crate) const MAX_DEPTH_CAP: u32 = 100;

/// How many names of up to eight bytes an object keeps in its repeat check itself (no stack,
/// no allocation): a session token's uncaptured names fit.
const SHORT_NAMES: usize = 8;

/// Up to this many members, an object's names are checked for repeats by comparing each new
/// name with the earlier ones (cheap for the dozen members a token has); past it, through a
/// hash set, so that a hostile object with thousands of members stays linear.
const LINEAR_NAME_CHECK: usize = 32;

/// A string found in a segment: a range of the segment's text when it was written without
/// escapes (the common case, no copy), or the unescaped string otherwise.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Text {
    Span { start: usize, end: usize },
    Owned(Box<str>),
}

impl Text {
    /// The string, given the text it was found in.
    pub(crate) fn resolve<'t>(&'t self, text: &'t str) -> &'t str {
        match self {
            // The range was taken from `text` itself, so it is in bounds and on char
            // boundaries; the fallback is unreachable.
            Text::Span { start, end } => text.get(*start..*end).unwrap_or_default(),
            Text::Owned(s) => s,
        }
    }

    /// Length in bytes of the (unescaped) string.
    pub(crate) fn len(&self) -> usize {
        match self {
            Text::Span { start, end } => end.saturating_sub(*start),
            Text::Owned(s) => s.len(),
        }
    }
}

/// A captured top-level member value, as much of it as the checks read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Scalar {
    Str(Text),
    /// A negative integer.
    Int(i64),
    /// A non-negative integer.
    UInt(u64),
    /// A number with a fraction or exponent, or an integer beyond 64 bits.
    Float(f64),
    Bool(bool),
    /// An array whose elements are all strings (possibly none).
    StrList(Vec<Text>),
    /// `null`, an object, or an array with a non-string element.
    Other,
}

/// What a successful scan found: the captured members (by position in the names given) and
/// the number of top-level members.
pub(crate) struct Scanned<const N: usize> {
    pub(crate) captured: [Option<Scalar>; N],
    pub(crate) members: usize,
}

/// Why a scan failed (the repeated name of a duplicate is kept in the scanner, so that this
/// stays one byte wide on the hot path).
#[derive(Clone, Copy)]
enum Fault {
    Malformed,
    Duplicate,
    TooDeep,
}

/// A member name seen in an object that is still open.
struct Name<'t> {
    /// The first up-to-eight bytes, so that most different names differ here.
    prefix: u64,
    name: Cow<'t, str>,
}

impl<'t> Name<'t> {
    #[inline]
    fn new(name: Cow<'t, str>) -> Self {
        let bytes = name.as_bytes();
        // The first eight bytes, little-endian, zero-padded (no copy into a buffer).
        let prefix = match bytes.first_chunk::<8>() {
            Some(head) => u64::from_le_bytes(*head),
            None => bytes
                .iter()
                .rev()
                .fold(0, |prefix, b| (prefix << 8) | u64::from(*b)),
        };
        Name { prefix, name }
    }

    /// One of 64 buckets, chosen by the prefix and length (equal names choose the same one).
    #[inline]
    fn bucket(&self) -> usize {
        let mixed = (self.prefix ^ self.name.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (mixed >> 58) as usize
    }

    /// The bit of this name's [`bucket`](Self::bucket).
    #[inline]
    fn bit(&self) -> u64 {
        1 << self.bucket()
    }

    /// Where this name is among `wanted`, whose [`Wanted::buckets`] are `buckets`: a name in a
    /// bucket of its own is compared with this name only, so finding a name (or not) takes
    /// the same branches whichever it is (a search along `wanted` ended at a different place
    /// for each, a branch a predictor cannot learn across the members of a payload).
    #[inline]
    fn position_in(&self, wanted: &[Name<'_>], buckets: &[u8; 64]) -> Option<usize> {
        match buckets.get(self.bucket()).copied().unwrap_or(0) {
            0 => None,
            SHARED_BUCKET => wanted.iter().position(|w| w.same(self)),
            i => {
                let i = usize::from(i - 1);
                wanted.get(i).filter(|w| w.same(self)).map(|_| i)
            }
        }
    }

    #[inline]
    fn same(&self, other: &Name<'_>) -> bool {
        self.prefix == other.prefix
            && self.name.len() == other.name.len()
            && (self.name.len() <= 8 || self.name == other.name)
    }
}

/// A bucket of [`Wanted::buckets`] that more than one wanted name chose.
const SHARED_BUCKET: u8 = u8::MAX;

/// Top-level member names to capture, prepared once (the callers keep these in statics, so a
/// parse does not rebuild them): their [`Name`]s, and for each [`Name::bucket`] which of them
/// chose it.
pub(crate) struct Wanted<const N: usize> {
    names: [Name<'static>; N],
    /// 0 for a bucket no wanted name chose; 1 + its index for one that a single name chose;
    /// [`SHARED_BUCKET`] for one that several chose (or a name at index 254 or beyond).
    buckets: [u8; 64],
}

impl<const N: usize> Wanted<N> {
    pub(crate) fn new(names: &[&'static str; N]) -> Self {
        let names = names.map(|n| Name::new(Cow::Borrowed(n)));
        let mut buckets = [0u8; 64];
        for (i, name) in names.iter().enumerate() {
            if let Some(bucket) = buckets.get_mut(name.bucket()) {
                *bucket = match (*bucket, u8::try_from(i + 1)) {
                    (0, Ok(one)) if one != SHARED_BUCKET => one,
                    _ => SHARED_BUCKET,
                };
            }
        }
        Wanted { names, buckets }
    }
}

/// Whether `b` ends the fast run through a string: the quote, the backslash and the control
/// characters JSON forbids inside strings.
fn stops_string(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The end of the run of bytes from `pos` that need no attention inside a string (no quote,
/// backslash or control character).
///
/// The first 32 bytes are checked eight at a time in a word (most names and values end
/// there); past them, the quote or backslash is found by `memchr` (vectorised), and the run up
/// to it is checked for control characters in a loop without early exit, which the compiler
/// vectorises.
#[inline(always)]
fn plain_run(bytes: &[u8], mut pos: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A high bit set in the lane of every byte of `x` that is zero.
    let zero_lanes = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    for _ in 0..4 {
        let Some(chunk) = bytes.get(pos..).and_then(<[u8]>::first_chunk::<8>) else {
            // Fewer than eight bytes left.
            let rest = bytes.get(pos..).unwrap_or_default();
            return pos
                + rest
                    .iter()
                    .position(|b| stops_string(*b))
                    .unwrap_or(rest.len());
        };
        let x = u64::from_le_bytes(*chunk);
        // Bytes below 0x20 (the subtraction borrows only through such lanes, or through lanes
        // >= 0x80, which the `!x` mask clears), quotes and backslashes.
        let stop = (x.wrapping_sub(ONES * 0x20) & !x & HIGH)
            | zero_lanes(x ^ (ONES * u64::from(b'"')))
            | zero_lanes(x ^ (ONES * u64::from(b'\\')));
        if stop != 0 {
            // The lowest flagged lane is always a real stop byte (a false flag can only sit
            // above a real one), so this is exactly where the run ends.
            return pos + (stop.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    let rest = bytes.get(pos..).unwrap_or_default();
    let end = memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
    let run = rest.get(..end).unwrap_or_default();
    if run.iter().fold(false, |control, b| control | (*b < 0x20)) {
        // Rare (the text is malformed): find the first control character.
        return pos + run.iter().position(|b| *b < 0x20).unwrap_or(end);
    }
    pos + end
}

/// The value of eight ASCII digits read as a little-endian word (the first digit in the
/// lowest byte), or `None` when any of the eight bytes is not a digit.
#[inline(always)]
fn eight_digits(x: u64) -> Option<u64> {
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    // Every byte is 0x30..=0x3F, and adding 6 keeps it below 0x40 (so it is at most 0x39);
    // with the first test passed, no byte carries into the next.
    if x & HIGH_NIBBLES != THREES || x.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES != THREES
    {
        return None;
    }
    // Digit values, then pairs, quadruples and the whole, most significant digit first.
    let x = x - THREES;
    let x = (x.wrapping_mul(10) + (x >> 8)) & 0x00FF_00FF_00FF_00FF;
    let x = (x.wrapping_mul(100) + (x >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((x.wrapping_mul(10_000) + (x >> 32)) & 0xFFFF_FFFF)
}

/// A JSON string token: where its content is, and whether it has escapes.
struct StrToken {
    start: usize,
    end: usize,
    escaped: bool,
}

/// What a top-level object captures: the wanted names, their [`Wanted::buckets`], and one
/// slot per name.
type Capture<'w, 's> = (&'w [Name<'w>], &'w [u8; 64], &'s mut [Option<Scalar>]);

/// A strict JSON reader over the decoded text that builds nothing.
///
/// It accepts exactly the grammar of RFC 8259 as serde_json reads it (serde_json builds the
/// map later from the same text, and the tests hold the two to the same verdicts): only
/// space, tab, CR and LF as whitespace; no trailing commas; numbers without leading zeros and
/// within `f64` range; strings without raw control characters, with valid escapes and paired
/// UTF-16 surrogates.
struct Scanner<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    max_depth: u32,
    /// Names of the members read so far in every open object, innermost last.
    names: Vec<Name<'t>>,
    /// The repeated name, after [`Fault::Duplicate`].
    duplicate: Option<String>,
}

impl<'t> Scanner<'t> {
    /// A scanner over `text`. Its name stack allocates only when a name goes on it (see
    /// [`note_name`](Self::note_name)).
    fn new(text: &'t str, max_depth: u32) -> Self {
        Scanner {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            max_depth: max_depth.min(MAX_DEPTH_CAP),
            names: Vec::new(),
            duplicate: None,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Consumes `b` (after whitespace) or fails.
    #[inline]
    fn expect(&mut self, b: u8) -> Result<(), Fault> {
        self.skip_ws();
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Fault::Malformed)
        }
    }

    fn hex4(&mut self) -> Result<u16, Fault> {
        let digits = self
            .bytes
            .get(self.pos..self.pos.saturating_add(4))
            .ok_or(Fault::Malformed)?;
        let mut n = 0u16;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(Fault::Malformed),
            };
            n = (n << 4) | u16::from(v);
        }
        self.pos += 4;
        Ok(n)
    }

    /// Reads a string whose opening quote is at `pos`.
    #[inline(always)]
    fn string(&mut self) -> Result<StrToken, Fault> {
        self.pos += 1;
        let start = self.pos;
        let mut escaped = false;
        loop {
            self.pos = plain_run(self.bytes, self.pos);
            match self.peek() {
                Some(b'"') => {
                    let end = self.pos;
                    self.pos += 1;
                    return Ok(StrToken {
                        start,
                        end,
                        escaped,
                    });
                }
                Some(b'\\') => {
                    escaped = true;
                    self.escape()?;
                }
                // A raw control character, or the end of the text.
                _ => return Err(Fault::Malformed),
            }
        }
    }

    /// Reads one escape sequence whose backslash is at `pos`.
    #[cold]
    fn escape(&mut self) -> Result<(), Fault> {
        self.pos += 1;
        let e = self.peek().ok_or(Fault::Malformed)?;
        self.pos += 1;
        match e {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(()),
            b'u' => match self.hex4()? {
                0xDC00..=0xDFFF => Err(Fault::Malformed),
                0xD800..=0xDBFF => {
                    let next = self.bytes.get(self.pos..self.pos.saturating_add(2));
                    if next != Some(b"\\u") {
                        return Err(Fault::Malformed);
                    }
                    self.pos += 2;
                    if (0xDC00..=0xDFFF).contains(&self.hex4()?) {
                        Ok(())
                    } else {
                        Err(Fault::Malformed)
                    }
                }
                _ => Ok(()),
            },
            _ => Err(Fault::Malformed),
        }
    }

    /// The content of a string token: borrowed when it has no escapes.
    #[inline]
    fn content(&self, t: &StrToken) -> Result<Cow<'t, str>, Fault> {
        let raw = self.text.get(t.start..t.end).ok_or(Fault::Malformed)?;
        if !t.escaped {
            return Ok(Cow::Borrowed(raw));
        }
        // Rare: let serde_json unescape the token, quotes included.
        let quoted = self
            .text
            .get(t.start.saturating_sub(1)..t.end.saturating_add(1))
            .ok_or(Fault::Malformed)?;
        serde_json::from_str::<String>(quoted)
            .map(Cow::Owned)
            .map_err(|_| Fault::Malformed)
    }

    fn text_of(&self, t: &StrToken) -> Result<Text, Fault> {
        if t.escaped {
            Ok(Text::Owned(self.content(t)?.into_owned().into_boxed_str()))
        } else {
            Ok(Text::Span {
                start: t.start,
                end: t.end,
            })
        }
    }

    /// Reads a number starting at `pos`. Short integers are read here; anything longer, or
    /// with a fraction or exponent, is handed to serde_json so that range and value are
    /// exactly what it would give.
    #[inline]
    fn number(&mut self) -> Result<Scalar, Fault> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        // The integer part's value, accumulated while its digits are found (it wraps past 19
        // digits, but is used only for at most 18).
        let mut v = 0u64;
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                // A leading zero followed by a digit is refused right here, as serde_json
                // does, before anything after the number (such as a repeated name) is judged.
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(Fault::Malformed);
                }
            }
            Some(b'1'..=b'9') => {
                // Eight digits at once when there are (a time claim has ten), then one by one.
                if let Some(eight) = self.bytes.get(self.pos..).and_then(<[u8]>::first_chunk)
                    && let Some(value) = eight_digits(u64::from_le_bytes(*eight))
                {
                    v = value;
                    self.pos += 8;
                }
                while let Some(d @ b'0'..=b'9') = self.peek() {
                    v = v.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                    self.pos += 1;
                }
            }
            _ => return Err(Fault::Malformed),
        }
        let int_end = self.pos;
        let mut simple = int_end - int_start <= 18;
        if self.peek() == Some(b'.') {
            simple = false;
            self.pos += 1;
            let digits = self.pos;
            while let Some(b'0'..=b'9') = self.peek() {
                self.pos += 1;
            }
            if self.pos == digits {
                return Err(Fault::Malformed);
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            simple = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            let digits = self.pos;
            while let Some(b'0'..=b'9') = self.peek() {
                self.pos += 1;
            }
            if self.pos == digits {
                return Err(Fault::Malformed);
            }
        }
        if simple {
            return Ok(match (negative, v) {
                (false, v) => Scalar::UInt(v),
                // serde_json reads -0 as a float.
                (true, 0) => Scalar::Float(-0.0),
                // At most 18 digits: the negation fits.
                (true, v) => Scalar::Int(0i64.saturating_sub_unsigned(v)),
            });
        }
        let token = self.text.get(start..self.pos).ok_or(Fault::Malformed)?;
        let n: serde_json::Number = serde_json::from_str(token).map_err(|_| Fault::Malformed)?;
        Ok(if let Some(u) = n.as_u64() {
            Scalar::UInt(u)
        } else if let Some(i) = n.as_i64() {
            Scalar::Int(i)
        } else {
            n.as_f64().map_or(Scalar::Other, Scalar::Float)
        })
    }

    fn literal(&mut self, word: &[u8], value: Scalar) -> Result<Scalar, Fault> {
        if self
            .bytes
            .get(self.pos..self.pos.saturating_add(word.len()))
            == Some(word)
        {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(Fault::Malformed)
        }
    }

    /// Reads one value at `depth`. With `keep`, a string, number or boolean is returned (an
    /// array as [`Scalar::StrList`] when all its elements are strings); otherwise the value is
    /// only checked and the result is [`Scalar::Other`].
    fn value(&mut self, depth: u32, keep: bool) -> Result<Scalar, Fault> {
        self.skip_ws();
        match self.peek() {
            Some(b'{') => {
                if depth >= self.max_depth {
                    return Err(Fault::TooDeep);
                }
                self.object(depth, None).map(|_| Scalar::Other)
            }
            Some(b'[') => {
                if depth >= self.max_depth {
                    return Err(Fault::TooDeep);
                }
                self.array(depth, keep)
            }
            Some(b'"') => {
                let t = self.string()?;
                if keep {
                    self.text_of(&t).map(Scalar::Str)
                } else {
                    Ok(Scalar::Other)
                }
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true", Scalar::Bool(true)),
            Some(b'f') => self.literal(b"false", Scalar::Bool(false)),
            Some(b'n') => self.literal(b"null", Scalar::Other),
            _ => Err(Fault::Malformed),
        }
    }

    fn array(&mut self, depth: u32, keep: bool) -> Result<Scalar, Fault> {
        self.pos += 1;
        let inner = depth.saturating_add(1);
        let mut list = keep.then(Vec::new);
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(list.map_or(Scalar::Other, Scalar::StrList));
        }
        loop {
            match (self.value(inner, list.is_some())?, &mut list) {
                (Scalar::Str(t), Some(l)) => l.push(t),
                _ => list = None,
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(list.map_or(Scalar::Other, Scalar::StrList));
                }
                _ => return Err(Fault::Malformed),
            }
        }
    }

    /// Starts the repeat check of an object whose members are about to be read.
    fn open_object(&self) -> Seen<'t> {
        Seen {
            start: self.names.len(),
            set: None,
            bits: 0,
            count: 0,
            short: ShortNames::new(),
        }
    }

    /// Records the name of the next member of the object `seen` tracks, or fails with
    /// [`Fault::Duplicate`] when the object already has a member of that name.
    ///
    /// The first [`SHORT_NAMES`] names of up to eight bytes are kept in `seen` itself, as their
    /// bytes (zero-padded) and length, which is the whole name; other names go on the
    /// scanner's stack, which is allocated only when the first one arrives.
    #[inline]
    fn note_name(&mut self, seen: &mut Seen<'t>, name: Name<'t>) -> Result<(), Fault> {
        seen.count = seen.count.saturating_add(1);
        let fresh = match &mut seen.set {
            Some(set) if set.contains(name.name.as_ref()) => Err(name.name),
            Some(set) => {
                set.insert(name.name);
                Ok(())
            }
            None => {
                let bit = name.bit();
                let maybe_seen = seen.bits & bit != 0;
                seen.bits |= bit;
                let repeated = maybe_seen
                    && (seen.short.contains(&name)
                        || self
                            .names
                            .get(seen.start..)
                            .unwrap_or_default()
                            .iter()
                            .any(|n| n.same(&name)));
                if repeated {
                    Err(name.name)
                } else {
                    if !seen.short.push(&name) {
                        if self.names.capacity() == 0 {
                            // Room for a typical payload's other names at once.
                            self.names.reserve(16);
                        }
                        self.names.push(name);
                    }
                    if seen.count > LINEAR_NAME_CHECK {
                        seen.set = Some(self.names_into_set(seen));
                    }
                    Ok(())
                }
            }
        };
        fresh.map_err(|repeated| {
            self.duplicate = Some(truncate(&repeated));
            Fault::Duplicate
        })
    }

    /// The names `seen` has recorded, as the hash set that replaces them past
    /// [`LINEAR_NAME_CHECK`] members (they leave the stack).
    #[cold]
    fn names_into_set(&mut self, seen: &Seen<'t>) -> HashSet<Cow<'t, str>> {
        let shorts = seen.short.names().map(Cow::Owned);
        let stacked = self.names.drain(seen.start..).map(|n| n.name);
        shorts.chain(stacked).collect()
    }

    /// Ends the repeat check of an object: its names leave the stack.
    fn close_object(&mut self, seen: Seen<'t>) {
        self.names.truncate(seen.start);
    }

    /// Reads an object whose `{` is at `pos`, at `depth`; returns its member count. With
    /// `capture`, members with one of its names are kept in its slots.
    fn object(&mut self, depth: u32, mut capture: Option<Capture<'_, '_>>) -> Result<usize, Fault> {
        self.pos += 1;
        let inner = depth.saturating_add(1);
        let mut seen = self.open_object();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(0);
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(Fault::Malformed);
            }
            let token = self.string()?;
            let name = Name::new(self.content(&token)?);
            self.expect(b':')?;
            let slot = capture.as_mut().and_then(|(wanted, buckets, slots)| {
                slots.get_mut(name.position_in(wanted, buckets)?)
            });
            // The value is read before the name is checked, as a tree-building parser would.
            match slot {
                Some(slot) => {
                    let value = self.value(inner, true)?;
                    // A captured name is repeated exactly when its slot is already filled:
                    // it needs no place on the name stack.
                    if slot.is_some() {
                        self.duplicate = Some(truncate(&name.name));
                        return Err(Fault::Duplicate);
                    }
                    *slot = Some(value);
                    seen.count = seen.count.saturating_add(1);
                }
                None => {
                    self.value(inner, false)?;
                    self.note_name(&mut seen, name)?;
                }
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    let count = seen.count;
                    self.close_object(seen);
                    return Ok(count);
                }
                _ => return Err(Fault::Malformed),
            }
        }
    }
}

/// The repeat check of one open object: where its names start on the scanner's stack, the
/// hash set that replaces the stack past [`LINEAR_NAME_CHECK`] members, one [`Name::bit`] per
/// name seen, the member count, and its first [`SHORT_NAMES`] names of up to eight bytes
/// (their zero-padded bytes and lengths).
struct Seen<'t> {
    start: usize,
    set: Option<HashSet<Cow<'t, str>>>,
    bits: u64,
    count: usize,
    short: ShortNames,
}

/// Up to [`SHORT_NAMES`] names of up to eight bytes, each kept whole, without allocating: a
/// name that short is its [`Name::prefix`] (its bytes, zero-padded) and its length.
struct ShortNames {
    prefix: [u64; SHORT_NAMES],
    len: [u8; SHORT_NAMES],
    count: u8,
}

impl ShortNames {
    const fn new() -> Self {
        ShortNames {
            prefix: [0; SHORT_NAMES],
            len: [0; SHORT_NAMES],
            count: 0,
        }
    }

    /// Whether `name` is one of these.
    #[inline]
    fn contains(&self, name: &Name<'_>) -> bool {
        let len = name.name.len();
        len <= 8
            && self
                .prefix
                .iter()
                .zip(self.len)
                .take(usize::from(self.count))
                .any(|(p, l)| *p == name.prefix && usize::from(l) == len)
    }

    /// Keeps `name`; `false` (and nothing kept) when it is longer than eight bytes or there is
    /// no room left.
    #[inline]
    fn push(&mut self, name: &Name<'_>) -> bool {
        let slot = usize::from(self.count);
        match (self.prefix.get_mut(slot), self.len.get_mut(slot)) {
            (Some(prefix), Some(len)) if name.name.len() <= 8 => {
                *prefix = name.prefix;
                // At most eight.
                *len = name.name.len() as u8;
                self.count += 1;
                true
            }
            _ => false,
        }
    }

    /// The names, as strings.
    fn names(&self) -> impl Iterator<Item = String> + '_ {
        self.prefix
            .iter()
            .zip(self.len)
            .take(usize::from(self.count))
            .map(|(prefix, len)| {
                let bytes = prefix.to_le_bytes();
                // The bytes of a whole name, taken from a `str`: valid UTF-8.
                let name = bytes.get(..usize::from(len)).unwrap_or_default();
                String::from_utf8_lossy(name).into_owned()
            })
    }
}

/// Scans `text` as a JSON object with unique member names at every level and nesting of at
/// most `max_depth` (itself at most [`MAX_DEPTH_CAP`]), capturing the top-level members
/// named in `wanted`.
pub(crate) fn scan_object<const N: usize>(
    text: &str,
    part: Part,
    max_depth: u32,
    wanted: &Wanted<N>,
) -> Result<Scanned<N>, Error> {
    let mut captured = [const { None }; N];
    let mut sc = Scanner::new(text, max_depth);
    sc.skip_ws();
    let result = match sc.peek() {
        // The top-level object is always allowed; its members are at depth 1.
        Some(b'{') => sc
            .object(0, Some((&wanted.names, &wanted.buckets, &mut captured)))
            .map(Some),
        // Any other value is still read, so that its own faults are reported, then refused.
        _ => sc.value(0, false).map(|_| None),
    };
    let result = result.and_then(|members| {
        sc.skip_ws();
        if sc.pos == text.len() {
            members.ok_or(Fault::Malformed)
        } else {
            Err(Fault::Malformed)
        }
    });
    match result {
        Ok(members) => Ok(Scanned { captured, members }),
        Err(Fault::Malformed) => Err(Error::MalformedJson { part }),
        Err(Fault::Duplicate) => Err(Error::DuplicateMember {
            part,
            name: sc.duplicate.unwrap_or_default(),
        }),
        Err(Fault::TooDeep) => Err(Error::NestingTooDeep { part }),
    }
}

/// The shape almost every JWS header has, read without the general scanner: a flat object of
/// at most eight members with names of at most eight bytes, every name and value a string
/// without escapes, written without whitespace (`{"alg":"RS256","kid":"k1","typ":"JWT"}`).
///
/// `None` for anything else, including texts the scanner refuses (a repeated name, say): the
/// caller then runs [`scan_object`], which decides and names the fault. For a text it accepts
/// it gives exactly what [`scan_object`] gives (the tests hold the two to that): the strings
/// are plain, so their raw bytes are their values and comparing names byte for byte is
/// comparing them unescaped.
#[inline]
pub(crate) fn scan_flat_strings<const N: usize>(
    text: &str,
    wanted: &Wanted<N>,
) -> Option<Scanned<N>> {
    let bytes = text.as_bytes();
    /// The content range of the plain string whose opening quote is at `at`.
    #[inline(always)]
    fn string(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
        if bytes.get(at) != Some(&b'"') {
            return None;
        }
        let end = plain_run(bytes, at.saturating_add(1));
        (bytes.get(end) == Some(&b'"')).then_some((at.saturating_add(1), end))
    }
    if bytes.first() != Some(&b'{') {
        return None;
    }
    let mut names = ShortNames::new();
    let mut captured = [const { None }; N];
    let mut pos = 1;
    loop {
        let (name_start, name_end) = string(bytes, pos)?;
        if bytes.get(name_end.saturating_add(1)) != Some(&b':') {
            return None;
        }
        let (start, end) = string(bytes, name_end.saturating_add(2))?;
        // At most eight names of up to eight bytes, each kept whole; anything else (a repeat,
        // a longer name, a ninth member) is left to the scanner.
        let name = Name::new(Cow::Borrowed(text.get(name_start..name_end)?));
        if names.contains(&name) || !names.push(&name) {
            return None;
        }
        if let Some(i) = name.position_in(&wanted.names, &wanted.buckets)
            && let Some(slot) = captured.get_mut(i)
        {
            *slot = Some(Scalar::Str(Text::Span { start, end }));
        }
        match bytes.get(end.saturating_add(1)) {
            Some(b',') => pos = end.saturating_add(2),
            Some(b'}') if end.saturating_add(2) == bytes.len() => {
                return Some(Scanned {
                    captured,
                    members: usize::from(names.count),
                });
            }
            _ => return None,
        }
    }
}

pub(crate) use tree::parse_object;

/// Builds the object in `text` as a map, with room for `members` members.
///
/// Meant for text that [`scan_object`] accepted: its member names are unique, so inserting
/// each member is exactly what a strict parser would have built. Text that is not an object
/// gives `None`.
pub(crate) fn build_map(text: &str, members: usize) -> Option<Map<String, Value>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let map = MapSeed(members).deserialize(&mut de).ok()?;
    de.end().ok().map(|()| map)
}

struct MapSeed(usize);

impl<'de> DeserializeSeed<'de> for MapSeed {
    type Value = Map<String, Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MapSeed {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a json object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Map::with_capacity(self.0);
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            out.insert(k, v);
        }
        Ok(out)
    }
}

/// The strict parser that builds the map while it checks: one pass, used when the caller wants
/// the map of all members anyway (it is cheaper than a scan followed by a map). It is also the
/// reference the scanner is tested against: for every input both give the same verdict.
mod tree {
    use core::cell::Cell;
    use core::fmt;

    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde_json::map::Entry;
    use serde_json::{Map, Value};

    use super::MAX_DEPTH_CAP;
    use crate::error::{Error, Part, truncate};

    /// Why strict parsing failed, recorded beside serde's own error.
    #[derive(Default)]
    struct Fault {
        duplicate: Cell<Option<()>>,
        too_deep: Cell<bool>,
    }

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
            let mut out = if self.top {
                Map::with_capacity(16)
            } else {
                Map::new()
            };
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(s: &str) -> Result<Scanned<2>, Error> {
        scan_object(s, Part::Payload, 4, &Wanted::new(&["a", "b"]))
    }

    fn dup(name: &str) -> Error {
        Error::DuplicateMember {
            part: Part::Payload,
            name: name.into(),
        }
    }

    #[test]
    fn wanted_names_are_found_in_their_buckets_shared_or_not() {
        let name = |n: &'static str| Name::new(Cow::Borrowed(n));
        // "n0", "n34" and "n51" choose the same bucket; "sub" and "exp" buckets of their own.
        let bucket = name("n0").bucket();
        assert_eq!(
            (name("n34").bucket(), name("n51").bucket()),
            (bucket, bucket)
        );
        let wanted = Wanted::new(&["sub", "n0", "exp", "n34"]);
        assert_eq!(wanted.buckets.get(bucket), Some(&SHARED_BUCKET));
        let find = |n| name(n).position_in(&wanted.names, &wanted.buckets);
        assert_eq!(
            ["sub", "n0", "exp", "n34", "n51", "aud", "su", "subb"].map(find),
            [Some(0), Some(1), Some(2), Some(3), None, None, None, None]
        );
        // A name alone in its bucket is found only by itself.
        let alone = Wanted::new(&["n0"]);
        assert_eq!(alone.buckets.get(bucket), Some(&1));
        let find = |n| name(n).position_in(&alone.names, &alone.buckets);
        assert_eq!(["n0", "n34", "n51"].map(find), [Some(0), None, None]);
    }

    #[test]
    fn eight_digits_at_once() {
        let word = |s: &[u8; 8]| u64::from_le_bytes(*s);
        assert_eq!(eight_digits(word(b"17000000")), Some(17_000_000));
        assert_eq!(eight_digits(word(b"00000000")), Some(0));
        assert_eq!(eight_digits(word(b"99999999")), Some(99_999_999));
        assert_eq!(eight_digits(word(b"12345678")), Some(12_345_678));
        // Every byte position, with each neighbour of the digit range.
        for i in 0..8 {
            for b in [b'/', b':', b'.', b'e', b',', b'}', b' ', 0x00, 0xB0, 0xFF] {
                let mut s = *b"12345678";
                s[i] = b;
                assert_eq!(eight_digits(word(&s)), None, "{:?}", s.escape_ascii());
            }
        }
    }

    #[test]
    fn duplicates_at_any_depth() {
        assert_eq!(scan(r#"{"a":1,"a":2}"#).err(), Some(dup("a")));
        assert_eq!(scan(r#"{"x":{"b":1,"b":1}}"#).err(), Some(dup("b")));
        assert_eq!(scan(r#"{"a":[{"c":1,"c":1}]}"#).err(), Some(dup("c")));
        // Escapes are decoded before comparison: "\u0061" is "a", in names of any length.
        assert_eq!(scan(r#"{"a":1,"\u0061":2}"#).err(), Some(dup("a")));
        assert_eq!(
            scan(r#"{"x":{"long_name_1":1,"long_n\u0061me_1":2}}"#).err(),
            Some(dup("long_name_1"))
        );
        // Names that share their first eight bytes, or differ only in length, are distinct.
        assert!(scan(r#"{"abcdefgh1":1,"abcdefgh2":2,"abcdefgh":3,"abcdefg":4}"#).is_ok());
        assert!(scan(r#"{"a":[{"b":1},{"b":1}]}"#).is_ok());
        // The same name in sibling and nested objects is fine.
        assert!(scan(r#"{"a":{"a":{"a":1}},"b":{"a":1}}"#).is_ok());
    }

    #[test]
    fn duplicates_in_large_objects() {
        for n in [
            LINEAR_NAME_CHECK - 1,
            LINEAR_NAME_CHECK,
            LINEAR_NAME_CHECK + 1,
            500,
        ] {
            // Short names (kept in the object's own check), long ones (on the name stack),
            // and the two interleaved, escaped or not.
            let names: [&dyn Fn(usize) -> String; 3] = [
                &|i| format!("m{i}"),
                &|i| format!("a_longer_name_{i}"),
                &|i| {
                    if i % 2 == 0 {
                        format!("m{i}")
                    } else {
                        format!("a_longer_name_{i}")
                    }
                },
            ];
            for name in names {
                let members: Vec<String> = (0..n).map(|i| format!("\"{}\":{i}", name(i))).collect();
                let ok = format!("{{{}}}", members.join(","));
                assert!(scan(&ok).is_ok(), "{n}");
                for repeat in [0, 1, 7, 8, 9, n / 2, n - 1] {
                    let again = name(repeat);
                    let escaped = again
                        .replacen('m', "\\u006d", 1)
                        .replacen('a', "\\u0061", 1);
                    for written in [&again, &escaped] {
                        let bad = format!("{{{},\"{written}\":0}}", members.join(","));
                        assert_eq!(scan(&bad).err(), Some(dup(&again)), "{n} {bad}");
                        // Nested, and followed by more members of the outer object.
                        let bad = format!("{{\"o\":{bad},\"z\":1}}");
                        assert_eq!(scan(&bad).err(), Some(dup(&again)), "{n}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_repeat_is_reported_after_its_value_is_read() {
        // As a tree-building parser reports it: the value's own fault comes first.
        let deep = r#"{"a":1,"a":[[[[1]]]]}"#;
        assert_eq!(
            scan(deep).err(),
            Some(Error::NestingTooDeep {
                part: Part::Payload
            })
        );
        assert_eq!(scan(r#"{"a":1,"a":2 x"#).err(), Some(dup("a")));
    }

    #[test]
    fn depth_limit() {
        assert!(scan(r#"{"a":[[[1]]]}"#).is_ok());
        assert!(scan(r#"{"x":[[[1]]]}"#).is_ok());
        for s in [
            r#"{"a":[[[[1]]]]}"#,
            r#"{"x":[[[[1]]]]}"#,
            r#"{"x":{"y":{"z":{"w":{}}}}}"#,
        ] {
            assert_eq!(
                scan(s).err(),
                Some(Error::NestingTooDeep {
                    part: Part::Payload
                }),
                "{s}"
            );
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(
            scan(&deep).err(),
            Some(Error::NestingTooDeep {
                part: Part::Payload
            })
        );
    }

    #[test]
    fn configured_depth_beyond_the_cap_still_reports_nesting() {
        let deep = |n: usize| format!("{{\"a\":{}{}}}", "[".repeat(n), "]".repeat(n));
        // The top-level object counts as the first level.
        let cap = MAX_DEPTH_CAP as usize;
        assert!(scan_object(&deep(cap - 1), Part::Header, u32::MAX, &Wanted::new(&[])).is_ok());
        for n in [cap, 127, 128, 129, 5_000] {
            assert_eq!(
                scan_object(&deep(n), Part::Header, u32::MAX, &Wanted::new(&[])).err(),
                Some(Error::NestingTooDeep { part: Part::Header }),
                "{n}"
            );
        }
    }

    #[test]
    fn only_objects() {
        for s in ["[]", "1", "\"x\"", "null", "{} {}", "{", "", "{\"a\":1,}"] {
            assert_eq!(
                scan(s).err(),
                Some(Error::MalformedJson {
                    part: Part::Payload
                }),
                "{s}"
            );
        }
    }

    #[test]
    fn captures() {
        let text = r#"{"z":[1],"a":"plain","b":"esc\u0061ped"}"#;
        let s = scan(text).unwrap();
        assert_eq!(s.members, 3);
        let [Some(Scalar::Str(a)), Some(Scalar::Str(b))] = &s.captured else {
            panic!("{:?}", s.captured)
        };
        assert!(matches!(a, Text::Span { .. }));
        assert_eq!(a.resolve(text), "plain");
        assert_eq!(b, &Text::Owned("escaped".into()));
        let cases = [
            (r#"{"a":-3}"#, Scalar::Int(-3)),
            (r#"{"a":3}"#, Scalar::UInt(3)),
            (r#"{"a":18446744073709551615}"#, Scalar::UInt(u64::MAX)),
            (r#"{"a":1.5}"#, Scalar::Float(1.5)),
            (r#"{"a":1e400}"#, Scalar::Other),
            (r#"{"a":true}"#, Scalar::Bool(true)),
            (r#"{"a":null}"#, Scalar::Other),
            (r#"{"a":{"b":1}}"#, Scalar::Other),
            (r#"{"a":["x",1]}"#, Scalar::Other),
            (r#"{"a":[]}"#, Scalar::StrList(Vec::new())),
        ];
        for (text, want) in cases {
            match scan(text) {
                Ok(s) => assert_eq!(s.captured[0], Some(want), "{text}"),
                // serde_json refuses numbers that overflow f64.
                Err(e) => assert_eq!(e.code(), "malformed-json", "{text}"),
            }
        }
        let text = r#"{"a":["x","\u0079"]}"#;
        let s = scan(text).unwrap();
        let Some(Scalar::StrList(items)) = &s.captured[0] else {
            panic!()
        };
        let items: Vec<&str> = items.iter().map(|t| t.resolve(text)).collect();
        assert_eq!(items, ["x", "y"]);
        // Only top-level members are captured.
        assert_eq!(scan(r#"{"x":{"a":1}}"#).unwrap().captured, [None, None]);
    }

    /// The scanner's verdict, captured values and member count against the tree-building
    /// parser's, for one text.
    fn agrees_with_the_oracle(text: &str, depth: u32) {
        const NAMES: [&str; 4] = ["a", "b", "long_name_x", "n"];
        let ours = scan_object(text, Part::Payload, depth, &Wanted::new(&NAMES));
        let theirs = tree::parse_object(text, Part::Payload, depth);
        match (ours, theirs) {
            (Ok(scan), Ok(map)) => {
                assert_eq!(scan.members, map.len(), "{text}");
                assert_eq!(build_map(text, scan.members).as_ref(), Some(&map), "{text}");
                for (name, got) in NAMES.iter().zip(&scan.captured) {
                    let want = map.get(*name);
                    let same = match (got, want) {
                        (None, None) => true,
                        (Some(Scalar::Str(t)), Some(Value::String(s))) => t.resolve(text) == s,
                        (Some(Scalar::UInt(u)), Some(Value::Number(n))) => n.as_u64() == Some(*u),
                        (Some(Scalar::Int(i)), Some(Value::Number(n))) => {
                            !n.is_u64() && n.as_i64() == Some(*i)
                        }
                        (Some(Scalar::Float(f)), Some(Value::Number(n))) => {
                            n.is_f64() && n.as_f64().map(f64::to_bits) == Some(f.to_bits())
                        }
                        (Some(Scalar::Bool(b)), Some(Value::Bool(c))) => b == c,
                        (Some(Scalar::StrList(l)), Some(Value::Array(a))) => {
                            l.len() == a.len()
                                && l.iter()
                                    .zip(a)
                                    .all(|(t, v)| v.as_str() == Some(t.resolve(text)))
                        }
                        (Some(Scalar::Other), Some(Value::Array(a))) => {
                            a.iter().any(|v| !v.is_string())
                        }
                        (Some(Scalar::Other), Some(Value::Null | Value::Object(_))) => true,
                        _ => false,
                    };
                    assert!(same, "{text}: {name}: {got:?} vs {want:?}");
                }
            }
            (Err(a), Err(b)) => assert_eq!(a, b, "{text}"),
            (a, b) => panic!("{text}: scanner {:?}, tree parser {:?}", a.err(), b.err()),
        }
        one_pass_agrees(text, depth);
    }

    /// Claims types for the one-pass reader: loose optional members, and serde's buffered
    /// (flatten) path, which reads through `deserialize_any`.
    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Loose {
        a: Option<Value>,
        b: Option<Vec<Value>>,
        n: Option<Option<u64>>,
        long_name_x: Option<String>,
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Flat {
        a: Option<Value>,
        #[serde(flatten)]
        rest: Map<String, Value>,
    }

    /// The one-pass reader succeeds only where the scan does, gives what serde_json gives,
    /// and captures what the scan captures; for the map and `Value` it always succeeds where
    /// the scan does.
    fn one_pass_agrees(text: &str, depth: u32) {
        const NAMES: [&str; 4] = ["a", "b", "long_name_x", "n"];
        let scan = scan_object(text, Part::Payload, depth, &Wanted::new(&NAMES));
        fn check<C>(text: &str, depth: u32, scan: &Result<Scanned<4>, Error>, always: bool)
        where
            C: serde::de::DeserializeOwned + PartialEq + fmt::Debug,
        {
            let ours = deserialize_object::<C, 4>(text, depth, &Wanted::new(&NAMES));
            match (ours, scan) {
                (Some(t), Ok(scan)) => {
                    assert_eq!(t.members, scan.members, "{text}");
                    assert_eq!(t.captured, scan.captured, "{text}");
                    let theirs: C = serde_json::from_str(text).expect(text);
                    assert_eq!(t.value, theirs, "{text}");
                }
                (Some(_), Err(e)) => panic!("{text}: one pass accepted what the scan refuses: {e}"),
                (None, Ok(_)) => assert!(!always, "{text}: one pass gave up on valid text"),
                (None, Err(_)) => {}
            }
        }
        check::<Map<String, Value>>(text, depth, &scan, true);
        check::<Value>(text, depth, &scan, true);
        check::<Loose>(text, depth, &scan, false);
        check::<Flat>(text, depth, &scan, false);
        // The member reader, every value through serde: succeeds exactly where the scan does.
        let every_value = |m: &mut MemberReader<'_, '_>| {
            let mut map = Map::new();
            while let Some(name) = m.next_name()? {
                let value = m.value::<Value>()?;
                map.insert(name.into_owned(), value);
            }
            Ok(map)
        };
        member_reader_agrees(text, depth, &scan, true, every_value);
        // The typed shortcuts for some names: may give up (a value of another type), and
        // agrees with serde_json where it does not.
        let shortcuts = |m: &mut MemberReader<'_, '_>| {
            let mut map = Map::new();
            while let Some(name) = m.next_name()? {
                let value = match &*name {
                    "a" | "long_name_x" => m.optional_string()?.map_or(Value::Null, Value::String),
                    "n" | "b" => Value::Number(m.number()?),
                    _ => m.value::<Value>()?,
                };
                map.insert(name.into_owned(), value);
            }
            Ok(map)
        };
        member_reader_agrees(text, depth, &scan, false, shortcuts);
        // `kind` before every value: it reads nothing, and names what follows.
        let kinds = |m: &mut MemberReader<'_, '_>| {
            let mut map = Map::new();
            while let Some(name) = m.next_name()? {
                let kind = m.kind()?;
                let value = m.value::<Value>()?;
                let expected = match &value {
                    Value::Null => Kind::Null,
                    Value::Bool(_) => Kind::Bool,
                    Value::Number(_) => Kind::Number,
                    Value::String(_) => Kind::String,
                    Value::Array(_) => Kind::Array,
                    Value::Object(_) => Kind::Object,
                };
                assert_eq!(kind, expected, "{text}");
                map.insert(name.into_owned(), value);
            }
            Ok(map)
        };
        member_reader_agrees(text, depth, &scan, true, kinds);
        // Every string and null by `optional_placed`, the places read back from the text:
        // succeeds exactly where the scan does, and agrees with serde_json.
        let placed = |m: &mut MemberReader<'_, '_>| {
            let mut map = Map::new();
            while let Some(name) = m.next_name()? {
                let value = match m.kind()? {
                    Kind::String | Kind::Null => match m.optional_placed()? {
                        None => Value::Null,
                        Some(Placed::At(at)) => Value::String(text[at].to_owned()),
                        Some(Placed::Unescaped(s)) => {
                            assert!(s.len() < text.len(), "{text}");
                            Value::String(s)
                        }
                    },
                    _ => m.value::<Value>()?,
                };
                map.insert(name.into_owned(), value);
            }
            Ok(map)
        };
        member_reader_agrees(text, depth, &scan, true, placed);
        // Pairs of numbers and null read by `optional_numbers`, captured names among them:
        // may give up (anything else), and agrees with serde_json where it does not.
        let pairs = |m: &mut MemberReader<'_, '_>| {
            let mut map = Map::new();
            while let Some(name) = m.next_name()? {
                let value = match (&*name, m.kind()?) {
                    ("a" | "n" | "c", Kind::Array | Kind::Null) => {
                        m.optional_numbers::<2>()?.map_or(Value::Null, |pair| {
                            Value::Array(pair.map(Value::Number).into())
                        })
                    }
                    _ => m.value::<Value>()?,
                };
                map.insert(name.into_owned(), value);
            }
            Ok(map)
        };
        member_reader_agrees(text, depth, &scan, false, pairs);
    }

    fn member_reader_agrees(
        text: &str,
        depth: u32,
        scan: &Result<Scanned<4>, Error>,
        always: bool,
        read: impl FnOnce(&mut MemberReader<'_, '_>) -> Result<Map<String, Value>, GaveUp>,
    ) {
        const NAMES: [&str; 4] = ["a", "b", "long_name_x", "n"];
        let ours = read_object::<_, 4>(text, depth, &Wanted::new(&NAMES), read);
        match (ours, scan) {
            (Some(t), Ok(scan)) => {
                assert_eq!(t.members, scan.members, "{text}");
                assert_eq!(t.captured, scan.captured, "{text}");
                let theirs: Map<String, Value> = serde_json::from_str(text).expect(text);
                assert_eq!(t.value, theirs, "{text}");
            }
            (Some(_), Err(e)) => panic!("{text}: the reader accepted what the scan refuses: {e}"),
            (None, Ok(_)) => assert!(!always, "{text}: the reader gave up on valid text"),
            (None, Err(_)) => {}
        }
    }

    #[test]
    fn optional_numbers_reads_null_or_exactly_n_numbers() {
        let read = |m: &mut MemberReader<'_, '_>| {
            let mut got = Vec::new();
            while m.next_name()?.is_some() {
                got.push(m.optional_numbers::<2>()?.map(|p| p.map(|n| n.to_string())));
            }
            Ok(got)
        };
        let wanted = Wanted::new(&["a", "b", "c", "d"]);
        let text = r#"{"a":[0,-1],"b":null,"c":[ 1.5 , 2e3 ],"z":[18446744073709551615,-9223372036854775808]}"#;
        let t = read_object::<_, 4>(text, 8, &wanted, read).expect("valid pairs");
        // Captured as the scan captures them.
        let scan = scan_object(text, Part::Payload, 8, &wanted).unwrap();
        assert_eq!(t.captured, scan.captured);
        assert_eq!(t.members, scan.members);
        let got = t.value;
        let pair = |a: &str, b: &str| Some([a.to_owned(), b.to_owned()]);
        assert_eq!(
            got,
            [
                pair("0", "-1"),
                None,
                pair("1.5", "2000.0"),
                pair("18446744073709551615", "-9223372036854775808"),
            ]
        );
        // Anything else gives up: other lengths, other elements, a trailing comma, other kinds.
        for text in [
            r#"{"a":[1]}"#,
            r#"{"a":[1,2,3]}"#,
            r#"{"a":[1,"2"]}"#,
            r#"{"a":[1,2,]}"#,
            r#"{"a":[1,[2]]}"#,
            r#"{"a":[]}"#,
            r#"{"a":1}"#,
            r#"{"a":"x"}"#,
            r#"{"a":{}}"#,
            r#"{"a":[01,2]}"#,
        ] {
            assert!(
                read_object::<_, 4>(text, 8, &wanted, read).is_none(),
                "{text}"
            );
        }
        // The array counts towards the nesting limit: one level of objects only, no room.
        assert!(read_object::<_, 4>(r#"{"a":[1,2]}"#, 1, &wanted, read).is_none());
        assert!(read_object::<_, 4>(r#"{"a":[1,2]}"#, 2, &wanted, read).is_some());
    }

    #[test]
    fn optional_str_borrows_plain_strings_and_unescapes_the_rest() {
        let read = |m: &mut MemberReader<'_, '_>| {
            let mut got = Vec::new();
            while m.next_name()?.is_some() {
                got.push(
                    m.optional_str()?
                        .map(|s| (matches!(s, Cow::Borrowed(_)), s.into_owned())),
                );
            }
            Ok(got)
        };
        let text = r#"{"a":"x","b":"\u0078\"","n":null,"long_name_x":"é"}"#;
        let t = read_object::<_, 4>(text, 8, &Wanted::new(&["a", "b", "long_name_x", "n"]), read);
        let got = t.expect("valid text").value;
        assert_eq!(
            got,
            [
                Some((true, "x".to_owned())),
                Some((false, "x\"".to_owned())),
                None,
                Some((true, "é".to_owned())),
            ]
        );
        // Anything but a string or null gives up.
        for text in [r#"{"a":1}"#, r#"{"a":["x"]}"#, r#"{"a":true}"#] {
            assert!(
                read_object::<_, 4>(text, 8, &Wanted::new(&["a", "b", "c", "d"]), read).is_none()
            );
        }
    }

    #[test]
    fn agrees_with_the_tree_parser_on_edge_cases() {
        let cases = [
            r#"{}"#,
            r#" { } "#,
            "\t{\r\n\"a\" : 1 }\n",
            "{\u{b}}",
            "\u{feff}{}",
            r#"{"a":01}"#,
            r#"{"a":1,"a":01}"#,
            r#"{"a":1,"a":-01}"#,
            r#"{"a":1,"a":1x}"#,
            r#"{"a":1,"a":truex}"#,
            r#"{"a":1,"a":1.}"#,
            r#"{"a":1,"a":1e400}"#,
            r#"{"a":1,"a":"\u12"}"#,
            r#"{"a":-0}"#,
            r#"{"a":-0.0}"#,
            r#"{"a":-}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":1e}"#,
            r#"{"a":1e+}"#,
            r#"{"a":1E-2}"#,
            r#"{"a":1e400}"#,
            r#"{"a":0e400}"#,
            r#"{"a":1e-400}"#,
            r#"{"x":1e400}"#,
            r#"{"a":123456789012345678}"#,
            r#"{"a":1234567890123456789}"#,
            r#"{"a":18446744073709551615}"#,
            r#"{"a":18446744073709551616}"#,
            r#"{"a":-9223372036854775808}"#,
            r#"{"a":-9223372036854775809}"#,
            r#"{"a":-123456789012345678}"#,
            r#"{"a":100000000000000000000000000000000000000000000000000}"#,
            r#"{"a":+1}"#,
            r#"{"a":0x10}"#,
            r#"{"a":NaN}"#,
            r#"{"a":Infinity}"#,
            r#"{"a":true,"b":false,"n":null}"#,
            r#"{"a":tru}"#,
            r#"{"a":nul}"#,
            r#"{"a":True}"#,
            r#"{"a":"\u0000"}"#,
            "{\"a\":\"\u{1}\"}",
            "{\"a\":\"\u{7f}\"}",
            r#"{"a":"\ud83d\ude00"}"#,
            r#"{"a":"\ud83d"}"#,
            r#"{"a":"\ud83dx"}"#,
            r#"{"a":"\ud83d\u0041"}"#,
            r#"{"a":"\ude00"}"#,
            r#"{"a":"\uDBFF\uDFFF"}"#,
            r#"{"a":"\u12"}"#,
            r#"{"a":"\u12g4"}"#,
            r#"{"a":"\x41"}"#,
            r#"{"a":"\'"}"#,
            r#"{"a":"\/\b\f\n\r\t\"\\"}"#,
            r#"{"a":"unterminated}"#,
            r#"{"\u0061":1,"b":2}"#,
            r#"{"long_name_x":1,"long_name_\u0078":2}"#,
            r#"{"long_name_x":"v","long_name_y":2}"#,
            r#"{"a":[],"b":["x","y"],"n":["x",{}]}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":[,1]}"#,
            r#"{"a":1,}"#,
            r#"{,"a":1}"#,
            r#"{"a" 1}"#,
            r#"{"a":1 "b":2}"#,
            r#"{a:1}"#,
            r#"{'a':1}"#,
            r#"{"a":1}}"#,
            r#"{"a":1}x"#,
            r#"{"a":1} {}"#,
            r#"{"a":1}/*c*/"#,
            r#"[{"a":1,"a":2}]"#,
            r#"[[[[[[1]]]]]]"#,
            r#""s""#,
            r#"12"#,
            r#"null"#,
            r#""#,
            r#"   "#,
            r#"{"a":[{"b":[{"c":[1]}]}]}"#,
            r#"{"a":{"b":{"c":{"d":{}}}}}"#,
            r#"{"a":1,"a":[[[[[[[1]]]]]]]}"#,
            r#"{"a":1,"a":2,}"#,
            r#"{"a":1,"a":2 "#,
            "{\"é\":1,\"\\u00e9\":2}",
            "{\"a\":\"é😀\"}",
        ];
        for text in cases {
            for depth in [0, 1, 2, 4, 32] {
                agrees_with_the_oracle(text, depth);
            }
        }
    }

    /// JSON text from a generated tree, written the many ways JSON allows (escaped names,
    /// whitespace), with names from a small set so that repeats happen.
    fn write(v: &Gen, out: &mut String, style: u32) {
        let ws = |out: &mut String, k: u32| match (style >> (k % 16)) & 3 {
            0 => {}
            1 => out.push(' '),
            2 => out.push_str("\n\t"),
            _ => out.push_str(" \r\n"),
        };
        match v {
            Gen::Lit(s) => out.push_str(s),
            Gen::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    ws(out, i as u32);
                    write(item, out, style.rotate_left(3));
                }
                out.push(']');
            }
            Gen::Obj(members) => {
                out.push('{');
                for (i, (name, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    ws(out, i as u32 + 1);
                    if (style >> (i % 32)) & 1 == 1 && !name.is_empty() {
                        // The first character as a \u escape.
                        let mut chars = name.chars();
                        let first = chars.next().map_or(0, u32::from);
                        out.push_str(&format!("\"\\u{first:04x}{}\"", chars.as_str()));
                    } else {
                        out.push_str(&format!("\"{name}\""));
                    }
                    out.push(':');
                    ws(out, i as u32 + 2);
                    write(value, out, style.rotate_left(5));
                }
                out.push('}');
            }
        }
    }

    #[derive(Clone, Debug)]
    enum Gen {
        Lit(String),
        Arr(Vec<Gen>),
        Obj(Vec<(String, Gen)>),
    }

    fn gen_strategy() -> impl proptest::strategy::Strategy<Value = Gen> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just("1".to_owned()),
            Just("-7".to_owned()),
            Just("1.5e3".to_owned()),
            Just("-0".to_owned()),
            Just("12345678901234567890".to_owned()),
            Just("true".to_owned()),
            Just("null".to_owned()),
            Just(r#""s""#.to_owned()),
            Just(r#""\u00e9\n""#.to_owned()),
            Just(r#""""#.to_owned()),
        ]
        .prop_map(Gen::Lit);
        let names = prop_oneof![
            Just("a".to_owned()),
            Just("b".to_owned()),
            Just("n".to_owned()),
            Just("long_name_x".to_owned()),
            Just("long_name_y".to_owned()),
            Just("c".to_owned()),
        ];
        leaf.prop_recursive(5, 40, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Gen::Arr),
                prop::collection::vec((names.clone(), inner), 0..6).prop_map(Gen::Obj),
            ]
        })
    }

    /// Where the run from `from` (at most the end) ends, one byte at a time.
    fn byte_by_byte(bytes: &[u8], from: usize) -> usize {
        let from = from.min(bytes.len());
        bytes
            .iter()
            .skip(from)
            .position(|b| stops_string(*b))
            .map_or(bytes.len(), |i| from + i)
    }

    proptest::proptest! {
        /// The run finder stops exactly where a byte-by-byte loop would.
        #[test]
        fn plain_run_stops_at_the_first_stop_byte(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::Just(b'"'),
                    proptest::prelude::Just(b'\\'),
                    0u8..0x20,
                    0x20u8..=0xff,
                    0x20u8..=0xff,
                    0x20u8..=0xff,
                ],
                0..40,
            ),
            from in 0usize..40,
        ) {
            proptest::prop_assert_eq!(plain_run(&bytes, from.min(bytes.len())), byte_by_byte(&bytes, from));
        }

        /// The same for long runs with rare stop bytes, where the vectorised search past the
        /// first eight bytes does the work.
        #[test]
        fn plain_run_stops_at_the_first_stop_byte_in_long_runs(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    1 => proptest::prelude::Just(b'"'),
                    1 => proptest::prelude::Just(b'\\'),
                    1 => 0u8..0x20,
                    200 => 0x20u8..=0xff,
                ],
                0..400,
            ),
            from in 0usize..400,
        ) {
            proptest::prop_assert_eq!(plain_run(&bytes, from.min(bytes.len())), byte_by_byte(&bytes, from));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]

        /// Generated documents, and the same documents with one byte changed, inserted or
        /// removed: the scanner and the tree-building parser always agree.
        #[test]
        fn agrees_with_the_tree_parser_on_generated_text(
            members in proptest::collection::vec(("[abn]|long_name_[xy]", gen_strategy()), 0..6),
            style in proptest::prelude::any::<u32>(),
            edit in proptest::prelude::any::<(u16, u8, u8)>(),
            depth in 1u32..6,
        ) {
            let mut text = String::new();
            write(&Gen::Obj(members), &mut text, style);
            agrees_with_the_oracle(&text, depth);
            let alphabet = b"{}[]:,\"\\ u0123456789.eE+-tfnrlasx";
            let (at, what, byte) = edit;
            let mut bytes = text.into_bytes();
            let at = usize::from(at) % (bytes.len() + 1);
            let byte = alphabet[usize::from(byte) % alphabet.len()];
            match what % 3 {
                0 if at < bytes.len() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => {}
            }
            if let Ok(text) = String::from_utf8(bytes) {
                agrees_with_the_oracle(&text, depth);
            }
        }
    }

    #[test]
    fn the_map_is_what_a_tree_building_parser_gives() {
        let text = r#"{"b":1,"a":[1.5,-2,"x",null,{"c":true}],"\u0063":"d"}"#;
        let map = build_map(text, 3).unwrap();
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(Value::Object(map.clone()), value);
        let order: Vec<&str> = map.keys().map(String::as_str).collect();
        assert_eq!(order, ["b", "a", "c"]);
        assert_eq!(build_map("[1]", 1), None);
    }

    /// Both readers of `text` with the header's captures: the flat fast path (`None` when it
    /// passes) and the scanner.
    fn flat_and_scan(text: &str) -> (Option<Scanned<7>>, Result<Scanned<7>, Error>) {
        let wanted = Wanted::new(&["alg", "kid", "crit", "b64", "typ", "cty", "cat"]);
        (
            scan_flat_strings(text, &wanted),
            scan_object(text, Part::Header, 32, &wanted),
        )
    }

    #[test]
    fn flat_strings_take_the_common_header_and_agree_with_the_scan() {
        let flat = [
            r#"{"alg":"RS256"}"#,
            r#"{"alg":"RS256","kid":"ins_2abc","typ":"JWT"}"#,
            r#"{"typ":"JWT","alg":"HS256"}"#,
            r#"{"alg":"ES256","cat":"cl_B7d4PD111AAA","kid":"k","typ":"JWT","x":"","y":"é"}"#,
            r#"{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","alg":"RS256"}"#,
            r#"{"crit":"exp","alg":"RS256"}"#,
            r#"{"alg":""}"#,
        ];
        for text in flat {
            let (fast, scan) = flat_and_scan(text);
            let fast = fast.unwrap_or_else(|| panic!("{text} should take the flat path"));
            let scan = scan.unwrap();
            assert_eq!(fast.captured, scan.captured, "{text}");
            assert_eq!(fast.members, scan.members, "{text}");
        }
        // Everything else goes to the scanner, which accepts some and names the fault of others.
        let other = [
            "",
            "{}",
            r#"{"alg": "RS256"}"#,
            r#" {"alg":"RS256"}"#,
            r#"{"alg":"RS256"} "#,
            r#"{"alg":"RS256"}}"#,
            r#"{"alg":"RS256",}"#,
            r#"{"alg":"RS256","alg":"HS256"}"#,
            r#"{"alg":"RS\u0032"}"#,
            r#"{"a\"lg":"RS256"}"#,
            r#"{"alg":"RS256","b64":false}"#,
            r#"{"alg":"RS256","crit":["exp"]}"#,
            r#"{"alg":"RS256","kid":7}"#,
            r#"{"alg":"RS256"#,
            r#"{"alg":"RS256","#,
            r#"{"alg""RS256"}"#,
            "{\"alg\":\"RS\t256\"}",
            r#"{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","h":"8","alg":"RS256"}"#,
        ];
        for text in other {
            assert!(
                flat_and_scan(text).0.is_none(),
                "{text} should go to the scanner"
            );
        }
    }

    proptest::proptest! {
        /// Whenever the flat path reads a text, the scanner accepts it with the same captures
        /// and member count. The pieces are chosen so that flat headers, and near misses of
        /// every kind, are common.
        #[test]
        fn flat_strings_never_disagree_with_the_scan(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "\"alg\"", "\"kid\"", "\"typ\"", "\"crit\"", "\"x\"", "\"RS256\"", "\"\"",
                    "\"a\\u0041\"", "\"tab\there\"", ":", ",", "}", " ", "1", "[",
                ]),
                0..24,
            ),
            members in proptest::collection::vec(
                proptest::sample::select(vec!["alg", "kid", "typ", "cat", "n", "m"]),
                0..10,
            ),
            raw in proptest::prelude::any::<bool>(),
        ) {
            // Either a flat object built from members (possibly with repeats and more than
            // eight of them), or arbitrary pieces after an opening brace.
            let text = if raw {
                format!("{{{}", pieces.concat())
            } else {
                let body: Vec<String> = members.iter().map(|n| format!("\"{n}\":\"v\"")).collect();
                format!("{{{}}}", body.join(","))
            };
            let (fast, scan) = flat_and_scan(&text);
            if let Some(fast) = fast {
                let scan = scan.map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{text}: {e}")))?;
                proptest::prop_assert_eq!(fast.captured, scan.captured);
                proptest::prop_assert_eq!(fast.members, scan.members);
            }
        }
    }
}
