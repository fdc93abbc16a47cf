//! Errors: one enum, one stable code per failure.

use core::fmt;

use serde_json::Value;

use crate::{Algorithm, KeyFamily};

/// Which part of a compact token a decoding fault was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Part {
    /// The protected header (first segment).
    Header,
    /// The payload (second segment).
    Payload,
    /// The signature (third segment).
    Signature,
}

impl Part {
    /// Lowercase name for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Part::Header => "header",
            Part::Payload => "payload",
            Part::Signature => "signature",
        }
    }
}

/// A registered claim that validation looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// `sub`
    Sub,
    /// `aud`
    Aud,
    /// `azp`
    Azp,
    /// `iss`
    Iss,
    /// `exp`
    Exp,
    /// `nbf`
    Nbf,
    /// `iat`
    Iat,
}

impl Claim {
    /// The claim's JSON member name.
    pub const fn name(self) -> &'static str {
        match self {
            Claim::Sub => "sub",
            Claim::Aud => "aud",
            Claim::Azp => "azp",
            Claim::Iss => "iss",
            Claim::Exp => "exp",
            Claim::Nbf => "nbf",
            Claim::Iat => "iat",
        }
    }
}

/// Why a token was rejected.
///
/// Every variant has a stable machine-readable [`code`](Error::code). Messages are lowercase,
/// never contain key material or the whole token, and carry the claim values a caller needs to
/// explain the rejection. A bad signature carries no detail at all.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The token is longer than the configured limit; nothing else was looked at.
    TokenTooLong {
        /// The token's length in bytes.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// The token does not have exactly three dot-separated segments.
    MalformedSegments,
    /// A segment is not canonical unpadded base64url.
    MalformedBase64 {
        /// The segment.
        part: Part,
    },
    /// A decoded segment is not valid UTF-8.
    MalformedUtf8 {
        /// The segment.
        part: Part,
    },
    /// A decoded segment is not a JSON object.
    MalformedJson {
        /// The segment.
        part: Part,
    },
    /// A JSON object in the header or payload names the same member twice.
    DuplicateMember {
        /// The segment.
        part: Part,
        /// The repeated member name (truncated).
        name: String,
    },
    /// The header or payload nests deeper than the configured limit.
    NestingTooDeep {
        /// The segment.
        part: Part,
    },
    /// A header parameter has the wrong JSON type (for example a numeric `alg`).
    HeaderParameterType {
        /// The parameter name.
        name: &'static str,
    },
    /// The `kid` header is longer than [`MAX_KID_LEN`](crate::MAX_KID_LEN).
    KidTooLong,
    /// The header has a `crit` parameter; this crate implements no JWS extensions.
    CriticalHeader,
    /// The header asks for an unencoded payload (`b64: false`, RFC 7797).
    UnencodedPayload,
    /// The `alg` header names no algorithm this crate verifies (`none`, ES512, unknown...).
    UnsupportedAlgorithm {
        /// The name as it appeared (truncated).
        name: String,
    },
    /// The algorithm is supported but not in the validation's allow-list.
    AlgorithmNotAllowed {
        /// The token's algorithm.
        alg: Algorithm,
    },
    /// The `typ` header is missing where required, or not in the allowed list.
    InvalidType {
        /// The token's `typ`, if any.
        typ: Option<String>,
    },
    /// The key cannot verify this algorithm (wrong family, or pinned to another algorithm).
    KeyAlgorithmMismatch {
        /// The token's algorithm.
        alg: Algorithm,
        /// The key's family.
        family: KeyFamily,
    },
    /// The signature does not verify.
    InvalidSignature,
    /// A required claim is absent.
    MissingClaim {
        /// The claim.
        claim: Claim,
    },
    /// A claim has the wrong JSON type, or a time claim is out of range.
    InvalidClaimType {
        /// The claim.
        claim: Claim,
        /// The value found.
        found: Box<Value>,
    },
    /// No `aud` value is in the allowed audiences.
    InvalidAudience {
        /// The token's `aud`.
        aud: Box<Value>,
    },
    /// `azp` is missing or not an allowed authorized party.
    InvalidAuthorizedParty {
        /// The token's `azp`, if any.
        azp: Option<Box<Value>>,
    },
    /// `iss` is missing or not an allowed issuer.
    InvalidIssuer {
        /// The token's `iss`, if any.
        iss: Option<Box<Value>>,
    },
    /// `exp` has passed (`exp_ms <= now_ms - leeway_ms`).
    Expired {
        /// `exp` in milliseconds since the epoch (whole seconds).
        exp_ms: i64,
        /// The time of the check, in milliseconds since the epoch.
        now_ms: i64,
    },
    /// `nbf` is in the future (`nbf_ms > now_ms + leeway_ms`).
    NotYetValid {
        /// `nbf` in milliseconds since the epoch (whole seconds).
        nbf_ms: i64,
        /// The time of the check.
        now_ms: i64,
    },
    /// `iat` is in the future (`iat_ms > now_ms + leeway_ms`).
    IssuedInFuture {
        /// `iat` in milliseconds since the epoch (whole seconds).
        iat_ms: i64,
        /// The time of the check.
        now_ms: i64,
    },
    /// The verified claims could not be deserialized into the caller's type.
    ClaimsDeserialize {
        /// serde's description (no claim values beyond what serde reports).
        detail: String,
    },
}

impl Error {
    /// The stable machine-readable code of this error.
    pub const fn code(&self) -> &'static str {
        match self {
            Error::TokenTooLong { .. } => "token-too-long",
            Error::MalformedSegments => "malformed-segments",
            Error::MalformedBase64 { .. } => "malformed-base64",
            Error::MalformedUtf8 { .. } => "malformed-utf8",
            Error::MalformedJson { .. } => "malformed-json",
            Error::DuplicateMember { .. } => "duplicate-member",
            Error::NestingTooDeep { .. } => "nesting-too-deep",
            Error::HeaderParameterType { .. } => "header-parameter-type",
            Error::KidTooLong => "kid-too-long",
            Error::CriticalHeader => "critical-header",
            Error::UnencodedPayload => "unencoded-payload",
            Error::UnsupportedAlgorithm { .. } => "unsupported-algorithm",
            Error::AlgorithmNotAllowed { .. } => "algorithm-not-allowed",
            Error::InvalidType { .. } => "invalid-type",
            Error::KeyAlgorithmMismatch { .. } => "key-algorithm-mismatch",
            Error::InvalidSignature => "invalid-signature",
            Error::MissingClaim { .. } => "missing-claim",
            Error::InvalidClaimType { .. } => "invalid-claim-type",
            Error::InvalidAudience { .. } => "invalid-audience",
            Error::InvalidAuthorizedParty { .. } => "invalid-authorized-party",
            Error::InvalidIssuer { .. } => "invalid-issuer",
            Error::Expired { .. } => "expired",
            Error::NotYetValid { .. } => "not-yet-valid",
            Error::IssuedInFuture { .. } => "issued-in-future",
            Error::ClaimsDeserialize { .. } => "claims-deserialize",
        }
    }

    /// Whether the token could not even be decoded (form, encoding, JSON, header shape).
    pub const fn is_malformed(&self) -> bool {
        matches!(
            self,
            Error::TokenTooLong { .. }
                | Error::MalformedSegments
                | Error::MalformedBase64 { .. }
                | Error::MalformedUtf8 { .. }
                | Error::MalformedJson { .. }
                | Error::DuplicateMember { .. }
                | Error::NestingTooDeep { .. }
                | Error::HeaderParameterType { .. }
                | Error::KidTooLong
                | Error::CriticalHeader
                | Error::UnencodedPayload
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::TokenTooLong { len, max } => {
                write!(f, "token is {len} bytes, more than the limit of {max}")
            }
            Error::MalformedSegments => f.write_str("token does not have exactly three segments"),
            Error::MalformedBase64 { part } => {
                write!(f, "{} is not canonical unpadded base64url", part.name())
            }
            Error::MalformedUtf8 { part } => write!(f, "{} is not valid utf-8", part.name()),
            Error::MalformedJson { part } => write!(f, "{} is not a json object", part.name()),
            Error::DuplicateMember { part, name } => {
                write!(f, "{} has a duplicate member {name:?}", part.name())
            }
            Error::NestingTooDeep { part } => write!(f, "{} nests too deeply", part.name()),
            Error::HeaderParameterType { name } => {
                write!(f, "header parameter {name:?} has the wrong type")
            }
            Error::KidTooLong => f.write_str("kid header is too long"),
            Error::CriticalHeader => f.write_str("critical header extensions are not supported"),
            Error::UnencodedPayload => {
                f.write_str("unencoded payloads (b64: false) are not supported")
            }
            Error::UnsupportedAlgorithm { name } => write!(f, "unsupported algorithm {name:?}"),
            Error::AlgorithmNotAllowed { alg } => write!(f, "algorithm {alg} is not allowed"),
            Error::InvalidType { typ: Some(t) } => write!(f, "token type {t:?} is not allowed"),
            Error::InvalidType { typ: None } => f.write_str("token type is missing"),
            Error::KeyAlgorithmMismatch { alg, family } => {
                write!(f, "a {family} key cannot verify {alg}")
            }
            Error::InvalidSignature => f.write_str("signature does not verify"),
            Error::MissingClaim { claim } => write!(f, "claim {:?} is missing", claim.name()),
            Error::InvalidClaimType { claim, found } => {
                write!(
                    f,
                    "claim {:?} has an invalid value {}",
                    claim.name(),
                    short_json(found)
                )
            }
            Error::InvalidAudience { aud } => {
                write!(f, "audience {} is not allowed", short_json(aud))
            }
            Error::InvalidAuthorizedParty { azp: Some(v) } => {
                write!(f, "authorized party {} is not allowed", short_json(v))
            }
            Error::InvalidAuthorizedParty { azp: None } => {
                f.write_str("authorized party claim is missing")
            }
            Error::InvalidIssuer { iss: Some(v) } => {
                write!(f, "issuer {} is not allowed", short_json(v))
            }
            Error::InvalidIssuer { iss: None } => f.write_str("issuer claim is missing"),
            Error::Expired { exp_ms, now_ms } => {
                write!(f, "token expired (exp {exp_ms} ms, now {now_ms} ms)")
            }
            Error::NotYetValid { nbf_ms, now_ms } => {
                write!(
                    f,
                    "token is not valid yet (nbf {nbf_ms} ms, now {now_ms} ms)"
                )
            }
            Error::IssuedInFuture { iat_ms, now_ms } => {
                write!(
                    f,
                    "token was issued in the future (iat {iat_ms} ms, now {now_ms} ms)"
                )
            }
            Error::ClaimsDeserialize { detail } => {
                write!(f, "claims do not match the expected type: {detail}")
            }
        }
    }
}

impl std::error::Error for Error {}

/// Longest attacker-chosen string an error message repeats.
const MAX_ECHO: usize = 64;

/// Truncates an attacker-chosen string for inclusion in an error, on a char boundary.
pub(crate) fn truncate(s: &str) -> String {
    if s.len() <= MAX_ECHO {
        return s.to_owned();
    }
    let mut end = MAX_ECHO;
    while !s.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    let mut out = s.get(..end).unwrap_or_default().to_owned();
    out.push('…');
    out
}

fn short_json(v: &Value) -> String {
    truncate(&v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_respects_char_boundaries() {
        let s = "é".repeat(100);
        let t = truncate(&s);
        assert!(t.len() <= MAX_ECHO + '…'.len_utf8());
        assert!(t.ends_with('…'));
        assert_eq!(truncate("short"), "short");
    }
}
