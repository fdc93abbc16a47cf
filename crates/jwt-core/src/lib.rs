//! Strict JSON Web Token verification on *ring*.
//!
//! `jwt-core` parses compact JWS tokens, checks their signatures with keys that were parsed
//! once when loaded, and validates the registered claims. It **does not** perform I/O, does
//! not read the clock (`now` is always a parameter), does not sign or encrypt, and does not
//! fetch keys: key sources live in the `jwks` crate. There is no `none` algorithm, and an
//! HMAC key can only be built from an explicit secret, so algorithm confusion cannot happen.
//!
//! Parsing is strict: canonical unpadded base64url, UTF-8, JSON objects with unique member
//! names, no `crit` extensions, bounded size and nesting. Every failure is an [`Error`] with a
//! stable [`code`](Error::code).
//!
//! Signatures are checked with *ring* by default. The optional, non-default `aws-lc-rs` feature
//! adds a second backend and makes it check every algorithm: public keys are then parsed once,
//! when loaded (*ring* re-parses an RSA key on every check), P-521 keys load and ES512 is
//! supported. *ring* stays a dependency either way, and [`BACKEND`] names the backend in use.
//! Turn it on with `jwt-core = { version = "0.1", features = ["aws-lc-rs"] }`; Cargo unifies
//! features, so every crate in the build that verifies through jwt-core then uses aws-lc-rs.
//!
//! ```
//! use jwt_core::{Algorithm, Claims, Timestamp, Validation, VerifyingKey};
//!
//! // RFC 8037 Appendix A.4: an Ed25519 signature over a non-JWT payload; we check only the
//! // signature layer here.
//! let jwk = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
//! let key = VerifyingKey::from_jwk_json(jwk)?;
//! let token = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
//! assert!(jwt_core::danger::insecure_decode(token).is_err()); // payload is not JSON
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod alg;
mod b64;
mod backend;
mod claims;
pub mod danger;
mod der;
mod error;
mod json;
mod jwk;
mod key;
mod time;
mod token;
mod validation;

pub use alg::{Algorithm, AlgorithmSet, KeyFamily};
pub use backend::BACKEND;
pub use claims::Claims;
pub use error::{Claim, Error, Part};
pub use json::{GaveUp, Kind, MemberReader, Placed};
pub use jwk::{Jwk, Present};
pub use key::{
    KeyError, MAX_KEY_INPUT_LEN, MAX_RSA_BITS, MIN_HMAC_SECRET_LEN, MIN_RSA_BITS, VerifyingKey,
};
pub use time::Timestamp;
pub use token::{Header, Limits, MAX_KID_LEN, Prepared, UnverifiedToken};
pub use validation::{DEFAULT_LEEWAY_MS, Validation, Verified};
