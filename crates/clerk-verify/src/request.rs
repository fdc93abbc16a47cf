//! Finding the session token in a request, as Clerk's `authenticateRequest` does.

use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE};

/// Where a session token was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenCarrier {
    /// The `Authorization` header.
    Header,
    /// The `__session` cookie.
    Cookie,
}

/// A session token taken from a request, not yet verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionToken {
    /// The token text.
    pub token: String,
    /// Where it came from.
    pub carrier: TokenCarrier,
}

/// The name of Clerk's session cookie.
pub const SESSION_COOKIE: &str = "__session";

/// Finds the session token in request headers, as Clerk does: the `Authorization` header
/// wins, otherwise the `__session` cookie.
///
/// The header is read like Clerk reads it: `Bearer <token>` gives the token; a value
/// without a space is taken whole as the token; any other scheme (`Basic …`) is ignored.
/// The cookie is parsed like the `cookie` package Clerk uses: the first `__session` wins,
/// spaces and tabs around the value are trimmed, and a percent-encoded value is decoded.
/// Empty values count as absent. Works with any framework built on the `http` crate.
///
/// ```
/// use http::{HeaderMap, HeaderValue};
/// use clerk_verify::{session_token, TokenCarrier};
/// let mut headers = HeaderMap::new();
/// headers.insert("cookie", HeaderValue::from_static("theme=dark; __session=eyJ.cookie.token"));
/// assert_eq!(session_token(&headers).unwrap().carrier, TokenCarrier::Cookie);
/// headers.insert("authorization", HeaderValue::from_static("Bearer eyJ.header.token"));
/// let found = session_token(&headers).unwrap();
/// assert_eq!((found.token.as_str(), found.carrier), ("eyJ.header.token", TokenCarrier::Header));
/// ```
pub fn session_token(headers: &HeaderMap) -> Option<SessionToken> {
    if let Some(token) = token_in_header(headers) {
        return Some(SessionToken {
            token,
            carrier: TokenCarrier::Header,
        });
    }
    token_in_cookie(headers).map(|token| SessionToken {
        token,
        carrier: TokenCarrier::Cookie,
    })
}

/// The token in the `Authorization` header, read as Clerk reads it (see [`session_token`]).
pub fn token_in_header(headers: &HeaderMap) -> Option<String> {
    let value = joined(headers, &AUTHORIZATION, ", ")?;
    // JavaScript's `value.split(' ', 2)`: the text before the first space, and the text
    // between the first and the second.
    let mut pieces = value.split(' ');
    let scheme = pieces.next().unwrap_or_default();
    match pieces.next() {
        None | Some("") => Some(scheme.to_owned()).filter(|s| !s.is_empty()),
        Some(token) if scheme == "Bearer" => Some(token.to_owned()),
        Some(_) => None,
    }
}

/// The `__session` cookie's value (see [`session_token`]).
pub fn token_in_cookie(headers: &HeaderMap) -> Option<String> {
    // HTTP/2 may split the cookie header; RFC 9113 §8.2.3 joins the pieces with "; ".
    let header = joined(headers, &COOKIE, "; ")?;
    cookie_value(&header, SESSION_COOKIE).filter(|v| !v.is_empty())
}

/// All values of a header joined by `sep`, read byte for byte as Latin-1 like the Fetch
/// API's `Headers.get`; `None` when the header is absent or empty.
fn joined(headers: &HeaderMap, name: &http::header::HeaderName, sep: &str) -> Option<String> {
    let mut out: Option<String> = None;
    for v in headers.get_all(name) {
        let text: String = v.as_bytes().iter().map(|&b| char::from(b)).collect();
        match &mut out {
            Some(s) => {
                s.push_str(sep);
                s.push_str(&text);
            }
            None => out = Some(text),
        }
    }
    out.filter(|s| !s.is_empty())
}

/// The first value of cookie `name` in a `Cookie` header, parsed like the `cookie` package
/// (version 1): pairs split at `;`, name and value at the first `=`, spaces and tabs trimmed.
fn cookie_value(header: &str, name: &str) -> Option<String> {
    for pair in header.split(';') {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        if trim_sp(key) == name {
            return Some(percent_decode(trim_sp(value)));
        }
    }
    None
}

fn trim_sp(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// JavaScript's `decodeURIComponent`, falling back to the raw text when it would throw
/// (a bad escape or invalid UTF-8), as the `cookie` package does.
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| core::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(v) if bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit) => {
                    out.push(v);
                    i += 3;
                }
                _ => return s.to_owned(),
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn authorization_is_read_like_clerk() {
        let t = |v: &'static str| token_in_header(&headers(&[("authorization", v)]));
        assert_eq!(t("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(t("Bearer abc def").as_deref(), Some("abc"));
        assert_eq!(t("abc").as_deref(), Some("abc"));
        assert_eq!(t("Basic abc"), None);
        assert_eq!(t("bearer abc"), None);
        // `"Bearer ".split(' ', 2)` is ["Bearer", ""]: Clerk then takes "Bearer" itself.
        assert_eq!(t("Bearer ").as_deref(), Some("Bearer"));
        assert_eq!(t("Bearer  abc").as_deref(), Some("Bearer"));
        assert_eq!(t(""), None);
        assert_eq!(token_in_header(&HeaderMap::new()), None);
    }

    #[test]
    fn cookie_is_parsed_like_the_cookie_package() {
        let c = |v: &'static str| token_in_cookie(&headers(&[("cookie", v)]));
        assert_eq!(c("__session=abc").as_deref(), Some("abc"));
        assert_eq!(c("a=1; __session = abc ; b=2").as_deref(), Some("abc"));
        assert_eq!(
            c("__session=first; __session=second").as_deref(),
            Some("first")
        );
        assert_eq!(c("__session_xyz=abc"), None);
        assert_eq!(c("__session="), None);
        assert_eq!(c("junk; __session=a%2Eb").as_deref(), Some("a.b"));
        assert_eq!(c("__session=a%zzb").as_deref(), Some("a%zzb"));
        assert_eq!(c("__session=a%ffb").as_deref(), Some("a%ffb"));
        assert_eq!(c("__session=a=b").as_deref(), Some("a=b"));
        let split = headers(&[("cookie", "a=1"), ("cookie", "__session=xyz")]);
        assert_eq!(token_in_cookie(&split).as_deref(), Some("xyz"));
    }

    #[test]
    fn header_wins_over_cookie() {
        let h = headers(&[("cookie", "__session=c"), ("authorization", "Bearer h")]);
        assert_eq!(
            session_token(&h),
            Some(SessionToken {
                token: "h".into(),
                carrier: TokenCarrier::Header
            })
        );
        let h = headers(&[("cookie", "__session=c"), ("authorization", "Basic h")]);
        assert_eq!(session_token(&h).unwrap().carrier, TokenCarrier::Cookie);
        assert_eq!(session_token(&HeaderMap::new()), None);
    }
}
