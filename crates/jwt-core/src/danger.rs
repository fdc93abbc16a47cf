//! Things that look inside tokens without verifying them. Never base a decision on them.

use serde_json::{Map, Value};

use crate::{Error, Header, Limits, UnverifiedToken};

/// Decodes a token's header and payload **without verifying anything**.
///
/// For tooling that must show what a token says (debuggers, logs of rejected tokens). The
/// same strict parsing applies as for verification; the signature and claims are not checked.
///
/// ```
/// let t = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2ln";
/// let (header, payload) = jwt_core::danger::insecure_decode(t).unwrap();
/// assert_eq!(header.alg_name(), "HS256");
/// assert_eq!(payload["sub"], "user_1");
/// ```
pub fn insecure_decode(token: &str) -> Result<(Header, Map<String, Value>), Error> {
    UnverifiedToken::parse(token, &Limits::default()).map(UnverifiedToken::into_parts)
}
