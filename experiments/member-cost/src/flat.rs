//! The minimal prototype: one loop over a compact, flat JSON object (no whitespace, no
//! escapes, no nesting, integers of at most 18 digits), keeping each member's name and value
//! position in a fixed table, with a repeat check on the names. It has none of the member
//! reader's API and captures nothing for the claim checks: it is a lower bound for the same
//! scan, not a replacement (it gives up on everything else).

/// One member: where its name and value are, and an integer value read on the way.
#[derive(Clone, Copy, Default)]
pub struct Entry {
    prefix: u64,
    pub name: (u32, u32),
    pub value: (u32, u32),
    /// 0 string, 1 integer, 2 null.
    pub kind: u8,
    pub int: i64,
}

/// The end of the run of bytes from `pos` that are not a quote, backslash or control
/// character, eight at a time (the member reader's word test).
#[inline(always)]
fn plain_run(bytes: &[u8], mut pos: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_lanes = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    loop {
        let Some(chunk) = bytes.get(pos..).and_then(<[u8]>::first_chunk::<8>) else {
            let rest = bytes.get(pos..).unwrap_or_default();
            return pos
                + rest
                    .iter()
                    .position(|b| *b < 0x20 || *b == b'"' || *b == b'\\')
                    .unwrap_or(rest.len());
        };
        let x = u64::from_le_bytes(*chunk);
        let stop = (x.wrapping_sub(ONES * 0x20) & !x & HIGH)
            | zero_lanes(x ^ (ONES * u64::from(b'"')))
            | zero_lanes(x ^ (ONES * u64::from(b'\\')));
        if stop != 0 {
            return pos + (stop.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
}

/// Eight ASCII digits as a number, or `None` (the member reader's word test).
#[inline(always)]
fn eight_digits(x: u64) -> Option<u64> {
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    if x & HIGH_NIBBLES != THREES || x.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES != THREES
    {
        return None;
    }
    let x = x - THREES;
    let x = (x.wrapping_mul(10) + (x >> 8)) & 0x00FF_00FF_00FF_00FF;
    let x = (x.wrapping_mul(100) + (x >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((x.wrapping_mul(10_000) + (x >> 32)) & 0xFFFF_FFFF)
}

/// An integer without fraction or exponent, at most 18 digits, not `-0`: its value and end.
#[inline(always)]
fn integer(bytes: &[u8], mut pos: usize) -> Option<(i64, usize)> {
    let negative = bytes.get(pos) == Some(&b'-');
    if negative {
        pos += 1;
    }
    let start = pos;
    let mut v: u64 = 0;
    match bytes.get(pos) {
        Some(b'0') => pos += 1,
        Some(b'1'..=b'9') => {
            if let Some(eight) = bytes.get(pos..).and_then(<[u8]>::first_chunk::<8>)
                && let Some(x) = eight_digits(u64::from_le_bytes(*eight))
            {
                v = x;
                pos += 8;
            }
            while let Some(d @ b'0'..=b'9') = bytes.get(pos) {
                v = v * 10 + u64::from(d - b'0');
                pos += 1;
            }
        }
        _ => return None,
    }
    if pos - start > 18 || matches!(bytes.get(pos), Some(b'.' | b'e' | b'E' | b'0'..=b'9')) {
        return None;
    }
    if negative && v == 0 {
        return None;
    }
    let v = v as i64;
    Some((if negative { -v } else { v }, pos))
}

/// The registered claims the reader captures for the claim checks, as (prefix, length).
const WANTED: [(u64, usize); 7] = [
    (word(b"sub"), 3),
    (word(b"aud"), 3),
    (word(b"azp"), 3),
    (word(b"iss"), 3),
    (word(b"exp"), 3),
    (word(b"nbf"), 3),
    (word(b"iat"), 3),
];

const fn word(name: &[u8; 3]) -> u64 {
    name[0] as u64 | (name[1] as u64) << 8 | (name[2] as u64) << 16
}

const fn bit(prefix: u64, len: usize) -> u64 {
    1u64 << ((prefix ^ len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
}

const WANTED_BITS: u64 = {
    let mut bits = 0;
    let mut i = 0;
    while i < WANTED.len() {
        bits |= bit(WANTED[i].0, WANTED[i].1);
        i += 1;
    }
    bits
};

/// What the scan keeps of a registered claim's value: the entry that holds it.
pub type Captured = [Option<u8>; 7];

/// The members of `text`, or `None` when it is not a compact, flat object of strings,
/// integers and nulls with unique names and at most 32 members. The registered claims'
/// entries are noted in `captured`, as the reader captures their values.
#[inline(never)]
pub fn scan(text: &str, table: &mut [Entry; 32], captured: &mut Captured) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.first() != Some(&b'{') {
        return None;
    }
    if bytes.get(1) == Some(&b'}') {
        return (bytes.len() == 2).then_some(0);
    }
    let mut pos = 1;
    let mut n = 0;
    let mut bloom = 0u64;
    loop {
        if bytes.get(pos) != Some(&b'"') {
            return None;
        }
        let name_start = pos + 1;
        let name_end = plain_run(bytes, name_start);
        if bytes.get(name_end) != Some(&b'"') || bytes.get(name_end + 1) != Some(&b':') {
            return None;
        }
        let len = name_end - name_start;
        let word = u64::from_le_bytes(*bytes.get(name_start..)?.first_chunk::<8>()?);
        let prefix = if len >= 8 {
            word
        } else {
            word & ((1u64 << (8 * len)) - 1)
        };
        let bit = bit(prefix, len);
        if WANTED_BITS & bit != 0
            && let Some(i) = WANTED.iter().position(|w| *w == (prefix, len))
        {
            captured[i] = Some(n as u8);
        }
        if bloom & bit != 0 {
            for e in &table[..n] {
                let (s, t) = (e.name.0 as usize, e.name.1 as usize);
                if e.prefix == prefix
                    && t - s == len
                    && (len <= 8 || bytes[s..t] == bytes[name_start..name_end])
                {
                    return None;
                }
            }
        }
        bloom |= bit;
        pos = name_end + 2;
        let value_start = pos;
        let (kind, int, value) = match bytes.get(pos)? {
            b'"' => {
                let end = plain_run(bytes, pos + 1);
                if bytes.get(end) != Some(&b'"') {
                    return None;
                }
                pos = end + 1;
                (0, 0, (value_start + 1, end))
            }
            b'-' | b'0'..=b'9' => {
                let (v, end) = integer(bytes, pos)?;
                pos = end;
                (1, v, (value_start, end))
            }
            b'n' if bytes.get(pos..pos + 4) == Some(b"null") => {
                pos += 4;
                (2, 0, (value_start, pos))
            }
            _ => return None,
        };
        *table.get_mut(n)? = Entry {
            prefix,
            name: (name_start as u32, name_end as u32),
            value: (value.0 as u32, value.1 as u32),
            kind,
            int,
        };
        n += 1;
        match bytes.get(pos) {
            Some(b',') => pos += 1,
            Some(b'}') => return (pos + 1 == bytes.len()).then_some(n),
            _ => return None,
        }
    }
}

/// The members of a scanned table, read through an API shaped like the member reader's: names
/// and values one at a time, each value read exactly once by one of the typed methods, any
/// misuse sticky.
pub struct TableReader<'t> {
    text: &'t str,
    table: &'t [Entry],
    next: usize,
    /// The entry whose value is to be read next.
    pending: Option<&'t Entry>,
    failed: bool,
}

/// The reader gave up.
#[derive(Debug)]
pub struct GaveUp;

/// A value's kind.
pub enum Kind {
    String,
    Number,
    Null,
}

impl<'t> TableReader<'t> {
    pub fn new(text: &'t str, table: &'t [Entry]) -> Self {
        TableReader {
            text,
            table,
            next: 0,
            pending: None,
            failed: false,
        }
    }

    #[cold]
    fn fail<T>(&mut self) -> Result<T, GaveUp> {
        self.failed = true;
        Err(GaveUp)
    }

    #[inline]
    fn value(&mut self) -> Result<&'t Entry, GaveUp> {
        match (self.failed, self.pending.take()) {
            (false, Some(e)) => Ok(e),
            _ => self.fail(),
        }
    }

    #[inline]
    pub fn next_name(&mut self) -> Result<Option<std::borrow::Cow<'t, str>>, GaveUp> {
        if self.failed || self.pending.is_some() {
            return self.fail();
        }
        let Some(e) = self.table.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        self.pending = Some(e);
        match self.text.get(e.name.0 as usize..e.name.1 as usize) {
            Some(name) => Ok(Some(std::borrow::Cow::Borrowed(name))),
            None => self.fail(),
        }
    }

    #[inline]
    pub fn kind(&mut self) -> Result<Kind, GaveUp> {
        match (self.failed, self.pending) {
            (false, Some(e)) => Ok(match e.kind {
                0 => Kind::String,
                1 => Kind::Number,
                _ => Kind::Null,
            }),
            _ => self.fail(),
        }
    }

    #[inline]
    pub fn optional_str(&mut self) -> Result<Option<std::borrow::Cow<'t, str>>, GaveUp> {
        let e = self.value()?;
        match (
            e.kind,
            self.text.get(e.value.0 as usize..e.value.1 as usize),
        ) {
            (0, Some(s)) => Ok(Some(std::borrow::Cow::Borrowed(s))),
            (2, _) => Ok(None),
            _ => self.fail(),
        }
    }

    #[inline]
    pub fn number(&mut self) -> Result<serde_json::Number, GaveUp> {
        let e = self.value()?;
        match e.kind {
            1 if e.int >= 0 => Ok(serde_json::Number::from(e.int as u64)),
            1 => Ok(serde_json::Number::from(e.int)),
            _ => self.fail(),
        }
    }
}
