//! Strict base64url decoding of token segments.
//!
//! A compact JWS encodes each of its three segments in base64url without padding (RFC 7515
//! §2). Only the canonical form is accepted: no `=` anywhere, no byte outside the URL-safe
//! alphabet (so no `+`, `/` or whitespace), no length of the form 4n + 1, and zero bits below
//! the last whole byte, so that every byte string has exactly one accepted encoding.
//!
//! The decoding is `base64-simd`'s: it checks and decodes 32 characters per step with the
//! widest vector unit the CPU offers (chosen at run time; a table loop where there is none),
//! against about 7 instructions per character for the `base64` crate's scalar engine. Its
//! verdicts on every input are held to the `base64` crate's `URL_SAFE_NO_PAD` by the tests
//! below, so the strictness documented in `docs/SECURITY.md` does not depend on which of the
//! two does the work.

use core::ops::Range;

use base64_simd::URL_SAFE_NO_PAD;

/// Decodes one segment, or `None` when it is not canonical unpadded base64url.
pub(crate) fn decode(segment: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    decode_into(segment, &mut out)?;
    Some(out)
}

/// Appends the decoding of `segment` to `out` and returns where it landed, or `None` when the
/// segment is not canonical unpadded base64url. On `None`, `out` keeps its length and contents
/// (its capacity may have grown by at most three quarters of the segment's length).
///
/// This lets several segments share one buffer: the ranges index into it.
pub(crate) fn decode_into(segment: &[u8], out: &mut Vec<u8>) -> Option<Range<usize>> {
    let start = out.len();
    // Reserves exactly the decoded length before checking, then fails without touching the
    // length; the reservation is bounded by the segment, which the token limit bounds.
    URL_SAFE_NO_PAD.decode_append(segment, out).ok()?;
    Some(start..out.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as REFERENCE;
    use proptest::prelude::*;

    /// The reference verdict: the `base64` crate's strict engine.
    fn reference(input: &[u8]) -> Option<Vec<u8>> {
        REFERENCE.decode(input).ok()
    }

    /// Asserts agreement with the reference, and that `decode_into` agrees with `decode`
    /// after a non-empty prefix, leaving the prefix alone either way.
    fn agrees(input: &[u8]) {
        let expected = reference(input);
        assert_eq!(decode(input), expected, "input {:?}", input.escape_ascii());
        let mut buf = b"prefix".to_vec();
        let got = decode_into(input, &mut buf);
        assert_eq!(&buf[..6], b"prefix");
        match expected {
            Some(bytes) => {
                assert_eq!(got, Some(6..6 + bytes.len()));
                assert_eq!(&buf[6..], &bytes[..]);
            }
            None => {
                assert_eq!(got, None);
                assert_eq!(buf.len(), 6);
            }
        }
    }

    /// Deterministic, varied bytes (no dependency on a random generator).
    fn data(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i.wrapping_mul(151).wrapping_add(len.wrapping_mul(29)) ^ (i >> 3)) as u8)
            .collect()
    }

    #[test]
    fn decodes_rfc_4648_vectors() {
        // RFC 4648 §10, unpadded, plus the two characters where base64url differs.
        let cases: [(&str, &[u8]); 9] = [
            ("", b""),
            ("Zg", b"f"),
            ("Zm8", b"fo"),
            ("Zm9v", b"foo"),
            ("Zm9vYg", b"foob"),
            ("Zm9vYmE", b"fooba"),
            ("Zm9vYmFy", b"foobar"),
            ("-_-_", &[0xfb, 0xff, 0xbf]),
            ("_-8", &[0xff, 0xef]),
        ];
        for (text, bytes) in cases {
            assert_eq!(decode(text.as_bytes()).as_deref(), Some(bytes), "{text:?}");
        }
    }

    #[test]
    fn empty_segment_decodes_to_nothing() {
        assert_eq!(decode(b""), Some(Vec::new()));
        let mut buf = vec![1, 2];
        assert_eq!(decode_into(b"", &mut buf), Some(2..2));
        assert_eq!(buf, [1, 2]);
    }

    #[test]
    fn rejects_padding_anywhere() {
        for input in [
            "Zg==", "Zg=", "Zm8=", "=", "==", "====", "Zm9v=", "Zm9v====", "Zg==Zm9v", "=Zm9",
            "Zm=v",
        ] {
            assert_eq!(decode(input.as_bytes()), None, "{input:?}");
        }
    }

    #[test]
    fn rejects_standard_alphabet() {
        for input in ["+/8", "Zm9+", "Zm9/", "ab+d", "ab/d"] {
            assert_eq!(decode(input.as_bytes()), None, "{input:?}");
        }
    }

    #[test]
    fn rejects_whitespace_and_other_bytes() {
        for input in [
            &b"Zm9v "[..],
            b" Zm9v",
            b"Zm 9v",
            b"Zm9v\n",
            b"Zm9v\r\n",
            b"Zm\t9v",
            b"Zm9.",
            b"Zm9\0",
            b"Zm9\x80",
            b"Zm9\xff",
            "Zmé".as_bytes(),
        ] {
            assert_eq!(decode(input), None, "{:?}", input.escape_ascii());
        }
    }

    #[test]
    fn rejects_impossible_length() {
        for input in ["Z", "Zm9vY", "Zm9vYmFyZ"] {
            assert_eq!(decode(input.as_bytes()), None, "{input:?}");
        }
    }

    #[test]
    fn rejects_non_zero_trailing_bits() {
        // "QQ" is the one encoding of "A"; "QR".."QZ" set bits below the last whole byte, and
        // so does "QUJ" beside the canonical "QUI" ("AB").
        assert_eq!(decode(b"QQ"), Some(b"A".to_vec()));
        assert_eq!(decode(b"QUI"), Some(b"AB".to_vec()));
        for input in ["QR", "QZ", "Q_", "QUJ", "QUL", "QU_"] {
            assert_eq!(decode(input.as_bytes()), None, "{input:?}");
        }
        // The same at the end of an input long enough for the vector path.
        let long = REFERENCE.encode(data(100)); // 134 characters, 4n + 2
        let mut bad = long.clone().into_bytes();
        let last = bad.len() - 1;
        bad[last] = b'_';
        assert_eq!(decode(&bad), None);
        assert!(decode(long.as_bytes()).is_some());
    }

    #[test]
    fn rejection_leaves_the_buffer_alone() {
        let mut buf = b"abc".to_vec();
        assert_eq!(decode_into(b"Zm9v=", &mut buf), None);
        assert_eq!(buf, b"abc");
        assert_eq!(decode_into(b"Zm9v", &mut buf), Some(3..6));
        assert_eq!(decode_into(b"YmFy", &mut buf), Some(6..9));
        assert_eq!(buf, b"abcfoobar");
    }

    /// Byte values at the edges of the alphabet's ranges, and the usual strays.
    const EDGE_BYTES: &[u8] = b"\0\t\n\r +,-./09:=@AZ[\\]^_`az{}~\x7f\x80\xc3\xff";

    /// Every length 0..=200 bytes (encodings of 0..=267 characters, so the 32-character
    /// vector steps, their remainders and the short tail all run). At every position of each
    /// encoding, `=` inserted and the character removed. Every byte value 0..=255 substituted
    /// at the last four positions (where the tail and its trailing bits are checked) and, for
    /// encodings of up to 44 characters (one vector step and a tail), at every position; the
    /// alphabet's edge bytes substituted at the first and last 40 positions of the rest.
    /// Plus padding, whitespace and a stray character appended. (Every value at every position
    /// of every length is 7 million decodes, a minute unoptimised; the vector check treats all
    /// 32 positions of a step alike and every step the same, so this covers each value in
    /// each lane of a step and in each position of the tail.)
    #[test]
    fn agrees_with_base64_crate_on_single_byte_mutations() {
        for len in 0..=200 {
            let valid = REFERENCE.encode(data(len)).into_bytes();
            agrees(&valid);
            let n = valid.len();
            for pos in 0..n {
                let every_value = n <= 44 || pos + 4 >= n;
                let edges = pos < 40 || pos + 40 >= n;
                let mut mutated = valid.clone();
                for value in 0..=255u8 {
                    if every_value || (edges && EDGE_BYTES.contains(&value)) {
                        mutated[pos] = value;
                        assert_eq!(decode(&mutated), reference(&mutated), "{len} {pos} {value}");
                    }
                }
                let mut inserted = valid.clone();
                inserted.insert(pos, b'=');
                agrees(&inserted);
                let mut removed = valid.clone();
                removed.remove(pos);
                agrees(&removed);
            }
            for tail in ["=", "==", "===", " ", "\n", "A", "+", "."] {
                let mut appended = valid.clone();
                appended.extend_from_slice(tail.as_bytes());
                agrees(&appended);
            }
        }
    }

    fn segment_byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            8 => proptest::sample::select(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".to_vec()
            ),
            1 => proptest::sample::select(b"=+/ \n\r\t.\0\x7f\x80\xff".to_vec()),
            1 => any::<u8>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn agrees_with_base64_crate_on_arbitrary_bytes(
            input in proptest::collection::vec(any::<u8>(), 0..300)
        ) {
            agrees(&input);
        }

        #[test]
        fn agrees_with_base64_crate_on_near_alphabet_bytes(
            input in proptest::collection::vec(segment_byte(), 0..400)
        ) {
            agrees(&input);
        }

        #[test]
        fn agrees_with_base64_crate_on_mutated_encodings(
            bytes in proptest::collection::vec(any::<u8>(), 0..1200),
            edits in proptest::collection::vec(
                (any::<proptest::sample::Index>(), any::<u8>(), 0..3u8),
                1..4,
            ),
        ) {
            let mut input = REFERENCE.encode(&bytes).into_bytes();
            agrees(&input);
            for (at, value, kind) in edits {
                let pos = at.index(input.len() + 1);
                match kind {
                    0 if pos < input.len() => input[pos] = value,
                    1 => input.insert(pos, value),
                    _ if pos < input.len() => { input.remove(pos); }
                    _ => input.push(value),
                }
                agrees(&input);
            }
        }

        #[test]
        fn round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let text = REFERENCE.encode(&bytes);
            prop_assert_eq!(decode(text.as_bytes()), Some(bytes));
        }
    }
}
