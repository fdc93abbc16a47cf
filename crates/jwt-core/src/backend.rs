//! The signature backends: what a loaded key becomes for the crypto library that checks it,
//! and the check itself.
//!
//! Exactly one backend verifies in a build, for every algorithm, so that one library's
//! verdicts hold for the whole build and the vector suites cover everything it accepts:
//!
//! - `ring` by default. *ring* keeps no parsed public keys, so each check starts from the
//!   key's bytes (for RSA that means parsing the modulus on every call).
//! - `aws_lc` with the `aws-lc-rs` feature. Public keys are parsed once, when loaded, into
//!   aws-lc-rs `ParsedPublicKey`s; P-521 keys and ES512 become available.
//!
//! Both expose the same shape: a `Primitive` per algorithm (a column of the table in
//! `alg.rs`), and a `Prepared` key built at load with `public`, `hmac` and `verify`.
//! Outside the table's primitive columns, nothing else in the crate names a crypto crate.

#[cfg(feature = "aws-lc-rs")]
pub(crate) mod aws_lc;
#[cfg(not(feature = "aws-lc-rs"))]
pub(crate) mod ring;

#[cfg(not(feature = "aws-lc-rs"))]
pub(crate) use self::ring::Prepared;
#[cfg(feature = "aws-lc-rs")]
pub(crate) use aws_lc::Prepared;

/// The crate that checks signatures in this build: `"ring"` (the default) or `"aws-lc-rs"`
/// (with the `aws-lc-rs` feature, which then checks every algorithm).
///
/// ```
/// assert!(["ring", "aws-lc-rs"].contains(&jwt_core::BACKEND));
/// assert_eq!(jwt_core::BACKEND == "aws-lc-rs", cfg!(feature = "aws-lc-rs"));
/// ```
pub const BACKEND: &str = if cfg!(feature = "aws-lc-rs") {
    "aws-lc-rs"
} else {
    "ring"
};
