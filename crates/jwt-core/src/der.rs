//! A minimal, strict DER reader: just enough for SubjectPublicKeyInfo and PKCS#1 RSAPublicKey.
//!
//! Definite lengths only, minimal length encodings only, no trailing bytes. Every read is
//! bounds-checked; malformed input is an `Err(())`, never a panic.

pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OID: u8 = 0x06;
pub(crate) const NULL: u8 = 0x05;

/// A cursor over DER bytes.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Reader { rest: input }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Reads one element with the given tag and returns its contents.
    pub(crate) fn read(&mut self, tag: u8) -> Result<&'a [u8], ()> {
        let (&t, rest) = self.rest.split_first().ok_or(())?;
        if t != tag {
            return Err(());
        }
        let (&first, mut rest) = rest.split_first().ok_or(())?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            // Up to four length bytes is far beyond any key we accept.
            if n == 0 || n > 4 {
                return Err(());
            }
            let (bytes, after) = rest.split_at_checked(n).ok_or(())?;
            rest = after;
            if bytes.first() == Some(&0) {
                return Err(()); // not minimal
            }
            let len = bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            if len < 0x80 {
                return Err(()); // should have used the short form
            }
            len
        };
        let (value, after) = rest.split_at_checked(len).ok_or(())?;
        self.rest = after;
        Ok(value)
    }

    /// Reads a non-negative INTEGER and returns its big-endian magnitude without sign padding.
    pub(crate) fn read_unsigned_integer(&mut self) -> Result<&'a [u8], ()> {
        let v = self.read(INTEGER)?;
        match v {
            [] => Err(()),
            [0] => Ok(v),
            [0, next, ..] if *next < 0x80 => Err(()), // non-minimal
            [0, rest @ ..] => Ok(rest),
            [first, ..] if *first >= 0x80 => Err(()), // negative
            _ => Ok(v),
        }
    }
}

/// Reads exactly one element with `tag` spanning all of `input`.
pub(crate) fn read_all(input: &[u8], tag: u8) -> Result<&[u8], ()> {
    let mut r = Reader::new(input);
    let v = r.read(tag)?;
    if r.is_empty() { Ok(v) } else { Err(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        assert_eq!(read_all(&[0x30, 0x01, 0xaa], SEQUENCE), Ok(&[0xaa][..]));
        assert_eq!(read_all(&[0x30, 0x02, 0xaa], SEQUENCE), Err(()));
        assert_eq!(read_all(&[0x30, 0x81, 0x01, 0xaa], SEQUENCE), Err(())); // non-minimal
        assert_eq!(read_all(&[0x30, 0x80], SEQUENCE), Err(())); // indefinite
        assert_eq!(read_all(&[0x30, 0x01, 0xaa, 0x00], SEQUENCE), Err(())); // trailing
        assert_eq!(read_all(&[0x31, 0x00], SEQUENCE), Err(()));
        assert_eq!(read_all(&[], SEQUENCE), Err(()));
        assert_eq!(read_all(&[0x30, 0x85, 1, 1, 1, 1, 1], SEQUENCE), Err(()));
        let mut long = vec![0x30, 0x81, 0x80];
        long.extend([7u8; 0x80]);
        assert_eq!(read_all(&long, SEQUENCE).map(<[u8]>::len), Ok(0x80));
    }

    #[test]
    fn integers() {
        let int = |b: &[u8]| {
            let mut v = vec![INTEGER, b.len() as u8];
            v.extend_from_slice(b);
            Reader::new(&v).read_unsigned_integer().map(<[u8]>::to_vec)
        };
        assert_eq!(int(&[0x01, 0x00, 0x01]), Ok(vec![1, 0, 1]));
        assert_eq!(int(&[0x00, 0x80]), Ok(vec![0x80]));
        assert_eq!(int(&[0x00, 0x01]), Err(()));
        assert_eq!(int(&[0x80]), Err(()));
        assert_eq!(int(&[]), Err(()));
    }
}
