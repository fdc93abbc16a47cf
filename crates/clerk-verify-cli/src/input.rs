//! Where the token comes from: the command line, or standard input when it is absent or `-`.

use std::io::Read;

use crate::source::UsageError;

/// Most bytes read from standard input. Larger than any token the verifier accepts (64 KiB), so
/// a longer input still reaches the verifier (cut here) and is rejected by it as too long, the
/// same verdict as for an over-long token given on the command line.
pub(crate) const MAX_STDIN_LEN: u64 = 128 * 1024;

/// The token given as `arg`, or read from `stdin` when `arg` is absent or `-`.
///
/// Trailing whitespace (the newline of `echo` or a file) is dropped: a token never contains
/// whitespace. Bytes that are not UTF-8 are replaced (U+FFFD), which no token can contain, so
/// such input is rejected by the verifier like any other malformed token.
pub(crate) fn token(arg: Option<&str>, stdin: impl Read) -> Result<String, UsageError> {
    match arg {
        Some(token) if token != "-" => Ok(token.to_owned()),
        _ => {
            let mut bytes = Vec::new();
            stdin
                .take(MAX_STDIN_LEN)
                .read_to_end(&mut bytes)
                .map_err(|e| UsageError(format!("cannot read the token from stdin: {e}")))?;
            let text = String::from_utf8_lossy(&bytes);
            let token = text.trim_end_matches(|c: char| c.is_ascii_whitespace());
            if token.is_empty() {
                return Err(UsageError(
                    "no token: give it as an argument or on standard input".to_owned(),
                ));
            }
            Ok(token.to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_wins_and_is_taken_verbatim() {
        assert_eq!(
            token(Some("a.b.c "), &b"x.y.z"[..]),
            Ok("a.b.c ".to_owned())
        );
    }

    #[test]
    fn stdin_is_used_for_none_and_dash_with_trailing_newlines_dropped() {
        assert_eq!(token(None, &b"a.b.c\n"[..]), Ok("a.b.c".to_owned()));
        assert_eq!(token(Some("-"), &b"a.b.c\r\n"[..]), Ok("a.b.c".to_owned()));
        assert_eq!(token(None, &b" a.b.c"[..]), Ok(" a.b.c".to_owned()));
    }

    #[test]
    fn empty_stdin_is_a_usage_error() {
        assert!(
            token(None, &b"\n"[..])
                .unwrap_err()
                .0
                .starts_with("no token")
        );
    }

    #[test]
    fn stdin_is_capped_and_never_fails_on_bad_utf8() {
        let big = vec![b'a'; 10 * MAX_STDIN_LEN as usize];
        assert_eq!(token(None, &big[..]).unwrap().len() as u64, MAX_STDIN_LEN);
        assert_eq!(token(None, &b"a\xffb"[..]), Ok("a\u{fffd}b".to_owned()));
    }
}
