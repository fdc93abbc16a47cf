//! The one table of signature algorithms.
//!
//! Every fact about an algorithm — its JOSE name, the key family it needs, and the primitive
//! that checks it in the backend of this build (*ring* by default, aws-lc-rs with the
//! `aws-lc-rs` feature) — lives in one `match` (`table`). Everything else looks it up there:
//! which algorithms exist in a build ([`Algorithm::ALL`]), which names are refused as
//! unsupported, and how a key is prepared and checked.

use core::fmt;

#[cfg(feature = "aws-lc-rs")]
use crate::backend::aws_lc::Primitive as AwsLc;
#[cfg(not(feature = "aws-lc-rs"))]
use crate::backend::ring::Primitive as Ring;

/// A JWS signature algorithm this crate can verify.
///
/// `none` is deliberately absent: an unsigned token cannot be verified, so there is no value of
/// this type that would accept one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384 and MGF1 with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512 and MGF1 with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256 (fixed-length `r || s` signature).
    ES256,
    /// ECDSA on P-384 with SHA-384 (fixed-length `r || s` signature).
    ES384,
    /// ECDSA on P-521 with SHA-512 (fixed-length `r || s` signature, 66 bytes each).
    ///
    /// Verified only with the `aws-lc-rs` feature: *ring* has no P-521. Without the feature
    /// the name `ES512` is refused as unsupported ([`Algorithm::from_name`] returns `None`,
    /// [`Algorithm::is_known_unsupported`] is true) and no P-521 key can be loaded.
    ES512,
    /// EdDSA with Ed25519 (RFC 8037).
    EdDSA,
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
}

/// The kind of key an algorithm needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyFamily {
    /// An RSA public key (RS* and PS* algorithms).
    Rsa,
    /// An ECDSA public key on P-256 (ES256).
    EcP256,
    /// An ECDSA public key on P-384 (ES384).
    EcP384,
    /// An ECDSA public key on P-521 (ES512). Only loadable with the `aws-lc-rs` feature.
    EcP521,
    /// An Ed25519 public key (EdDSA).
    Ed25519,
    /// A shared HMAC secret (HS* algorithms).
    Hmac,
}

impl KeyFamily {
    /// A short lowercase name for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Rsa => "rsa",
            Self::EcP256 => "ec p-256",
            Self::EcP384 => "ec p-384",
            Self::EcP521 => "ec p-521",
            Self::Ed25519 => "ed25519",
            Self::Hmac => "hmac",
        }
    }
}

impl fmt::Display for KeyFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One row of the algorithm table.
#[derive(Clone, Copy)]
pub(crate) struct AlgInfo {
    pub(crate) name: &'static str,
    pub(crate) family: KeyFamily,
    /// How *ring* checks it; `None` where *ring* cannot (ES512).
    #[cfg(not(feature = "aws-lc-rs"))]
    pub(crate) ring: Option<Ring>,
    /// How aws-lc-rs checks it. With the feature on, aws-lc-rs checks every algorithm.
    #[cfg(feature = "aws-lc-rs")]
    pub(crate) aws_lc: AwsLc,
}

impl AlgInfo {
    /// Whether the backend of this build can check the algorithm.
    const fn available(&self) -> bool {
        #[cfg(not(feature = "aws-lc-rs"))]
        let available = self.ring.is_some();
        #[cfg(feature = "aws-lc-rs")]
        let available = true;
        available
    }
}

/// The algorithm table: the single place that maps an algorithm to its JOSE name, key family
/// and the primitive of each backend. A backend's column is compiled only in builds where that
/// backend verifies.
const fn table(alg: Algorithm) -> AlgInfo {
    #[cfg(not(feature = "aws-lc-rs"))]
    use ::ring::{hmac as ring_hmac, signature as ring_sig};
    use Algorithm as A;
    use KeyFamily as F;
    #[cfg(feature = "aws-lc-rs")]
    use aws_lc_rs::{hmac as aws_hmac, signature as aws_sig};
    match alg {
        A::RS256 => AlgInfo {
            name: "RS256",
            family: F::Rsa,
            #[cfg(not(feature = "aws-lc-rs"))]
            ring: Some(Ring::Rsa(&ring_sig::RSA_PKCS1_2048_8192_SHA256)),
            #[cfg(feature = "aws-lc-rs")]
            aws_lc: AwsLc::Rsa(&aws_sig::RSA_PKCS1_2048_8192_SHA256),
        },
        A::RS384 => AlgInfo {
            name: "RS384",
            family: F::Rsa,
            #[cfg(not(feature = "aws-lc-rs"))]
            ring: Some(Ring::Rsa(&ring_sig::RSA_PKCS1_2048_8192_SHA384)),
            #[cfg(feature = "aws-lc-rs")]
            aws_lc: AwsLc::Rsa(&aws_sig::RSA_PKCS1_2048_8192_SHA384),
        },
        A::RS512 => AlgInfo {
            name: "RS512",
            family: F::Rsa,
            #[cfg(not(feature = "aws-lc-rs"))]
            ring: Some(Ring::Rsa(&ring_sig::RSA_PKCS1_2048_8192_SHA512)),
            #[cfg(feature = "aws-lc-rs")]
            aws_lc: AwsLc::Rsa(&aws_sig::RSA_PKCS1_2048_8192_SHA512),
        },
        A::PS256 => AlgInfo {
            name: "PS256",
            family: F::Rsa,
            #[cfg(not(feature = "aws-lc-rs"))]
            ring: Some(Ring::Rsa(&ring_sig::RSA_PSS_2048_8192_SHA256)),
            #[cfg(feature = "aws-lc-rs")]
            aws_lc: AwsLc::Rsa(&aws_sig::RSA_PSS_2048_8192_SHA256),
        },
        A::PS384 => AlgInfo {
            name: "PS384",
            family: F::Rsa,
            #[cfg(not(feature = "aws-lc-rs"))]
            ring: Some(Ring::Rsa(&ring_sig::RSA_PSS_2048_8192_SHA384)),
            #[cfg(feature = "aws-lc-rs")]
            aws_lc: AwsLc::Rsa(&aws_sig::RSA_PSS_2048_8192_SHA384),
        },
        A::PS512 => AlgInfo {
            name: "PS512",
            family: F::Rsa,
            #[cfg(not(feature = "aws-lc-rs"))]
            ring: Some(Ring::Rsa(&ring_sig::RSA_PSS_2048_8192_SHA512)),
            #[cfg(feature = "aws-lc-rs")]
            aws_lc: AwsLc::Rsa(&aws_sig::RSA_PSS_2048_8192_SHA512),
        },
        A::ES256 => AlgInfo {
            name: "ES256",
            family: F::EcP256,
            #[cfg(not(feature = "aws-lc-rs"))]
            ring: Some(Ring::Ecdsa(&ring_sig::ECDSA_P256_SHA256_FIXED)),
            #[cfg(feature = "aws-lc-rs")]
            aws_lc: AwsLc::Ecdsa(&aws_sig::ECDSA_P256_SHA256_FIXED),
        },
        A::ES384 => AlgInfo {
            name: "ES384",
            family: F::EcP384,
            #[cfg(not(feature = "aws-lc-rs"))]
            ring: Some(Ring::Ecdsa(&ring_sig::ECDSA_P384_SHA384_FIXED)),
            #[cfg(feature = "aws-lc-rs")]
            aws_lc: AwsLc::Ecdsa(&aws_sig::ECDSA_P384_SHA384_FIXED),
        },
        A::ES512 => AlgInfo {
            name: "ES512",
            family: F::EcP521,
            #[cfg(not(feature = "aws-lc-rs"))]
            ring: None,
            #[cfg(feature = "aws-lc-rs")]
            aws_lc: AwsLc::Ecdsa(&aws_sig::ECDSA_P521_SHA512_FIXED),
        },
        A::EdDSA => AlgInfo {
            name: "EdDSA",
            family: F::Ed25519,
            #[cfg(not(feature = "aws-lc-rs"))]
            ring: Some(Ring::Ed25519(&ring_sig::ED25519)),
            #[cfg(feature = "aws-lc-rs")]
            aws_lc: AwsLc::Ed25519(&aws_sig::ED25519),
        },
        A::HS256 => AlgInfo {
            name: "HS256",
            family: F::Hmac,
            #[cfg(not(feature = "aws-lc-rs"))]
            ring: Some(Ring::Hmac(ring_hmac::HMAC_SHA256)),
            #[cfg(feature = "aws-lc-rs")]
            aws_lc: AwsLc::Hmac(aws_hmac::HMAC_SHA256),
        },
        A::HS384 => AlgInfo {
            name: "HS384",
            family: F::Hmac,
            #[cfg(not(feature = "aws-lc-rs"))]
            ring: Some(Ring::Hmac(ring_hmac::HMAC_SHA384)),
            #[cfg(feature = "aws-lc-rs")]
            aws_lc: AwsLc::Hmac(aws_hmac::HMAC_SHA384),
        },
        A::HS512 => AlgInfo {
            name: "HS512",
            family: F::Hmac,
            #[cfg(not(feature = "aws-lc-rs"))]
            ring: Some(Ring::Hmac(ring_hmac::HMAC_SHA512)),
            #[cfg(feature = "aws-lc-rs")]
            aws_lc: AwsLc::Hmac(aws_hmac::HMAC_SHA512),
        },
    }
}

/// Every variant, in table order, whether or not the backend of this build verifies it.
const EVERY: [Algorithm; 13] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::ES512,
    Algorithm::EdDSA,
    Algorithm::HS256,
    Algorithm::HS384,
    Algorithm::HS512,
];

/// How many algorithms the backend of this build verifies (12 with *ring*, 13 with aws-lc-rs).
const AVAILABLE: usize = {
    let mut n = 0;
    let mut rest: &[Algorithm] = &EVERY;
    while let [alg, tail @ ..] = rest {
        if table(*alg).available() {
            n += 1;
        }
        rest = tail;
    }
    n
};

#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time; an index out of bounds fails the build"
)]
const fn available_algorithms() -> [Algorithm; AVAILABLE] {
    let mut out = [Algorithm::RS256; AVAILABLE];
    let mut n = 0;
    let mut rest: &[Algorithm] = &EVERY;
    while let [alg, tail @ ..] = rest {
        if table(*alg).available() {
            out[n] = *alg;
            n += 1;
        }
        rest = tail;
    }
    out
}

/// Names that are real JOSE signature algorithms which this crate refuses on purpose, so that
/// the error can say "unsupported" rather than "unknown". Algorithms of the table that the
/// backend of this build cannot check (ES512 without aws-lc-rs) are refused the same way.
const KNOWN_UNSUPPORTED: [&str; 2] = ["ES256K", "Ed448"];

impl Algorithm {
    /// Every algorithm this build verifies, in table order.
    ///
    /// That is the twelve of the *ring* backend, plus ES512 when the `aws-lc-rs` feature is
    /// on, so the array's length depends on the features: write `Algorithm::ALL.len()`,
    /// never a literal length.
    pub const ALL: [Algorithm; AVAILABLE] = available_algorithms();

    pub(crate) const fn info(self) -> AlgInfo {
        table(self)
    }

    /// The JOSE name (`"RS256"`, `"EdDSA"`, ...).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The key family this algorithm needs.
    pub fn family(self) -> KeyFamily {
        self.info().family
    }

    /// Looks up a JOSE algorithm name, exactly and case-sensitively.
    ///
    /// `none` in any casing, names of algorithms this crate refuses (ES256K, Ed448, and ES512
    /// without the `aws-lc-rs` feature) and unknown names all return `None`; use
    /// [`Algorithm::is_known_unsupported`] to tell them apart.
    ///
    /// ```
    /// use jwt_core::Algorithm;
    /// assert_eq!(Algorithm::from_name("RS256"), Some(Algorithm::RS256));
    /// assert_eq!(Algorithm::from_name("rs256"), None);
    /// assert_eq!(Algorithm::from_name("none"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether `name` is a registered JOSE signature algorithm that this crate refuses.
    pub fn is_known_unsupported(name: &str) -> bool {
        KNOWN_UNSUPPORTED.contains(&name)
            || EVERY
                .into_iter()
                .any(|a| !a.info().available() && a.name() == name)
    }

    pub(crate) const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl core::str::FromStr for Algorithm {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::from_name(s).ok_or_else(|| crate::Error::UnsupportedAlgorithm {
            name: crate::error::truncate(s),
        })
    }
}

/// A set of algorithms, used as an allow-list. Copy-cheap (a bit set).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AlgorithmSet(u16);

impl AlgorithmSet {
    /// The empty set.
    pub const EMPTY: AlgorithmSet = AlgorithmSet(0);

    /// RS256, RS384 and RS512: the RSA PKCS#1 v1.5 family, the usual default for session tokens.
    pub const RSA_PKCS1: AlgorithmSet =
        AlgorithmSet(Algorithm::RS256.bit() | Algorithm::RS384.bit() | Algorithm::RS512.bit());

    /// Builds a set from a list.
    pub fn from_slice(algs: &[Algorithm]) -> Self {
        algs.iter().fold(Self::EMPTY, |s, a| s.with(*a))
    }

    /// This set with `alg` added.
    #[must_use]
    pub const fn with(self, alg: Algorithm) -> Self {
        AlgorithmSet(self.0 | alg.bit())
    }

    /// Whether `alg` is in the set.
    pub const fn contains(self, alg: Algorithm) -> bool {
        self.0 & alg.bit() != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether any member is an HMAC algorithm.
    pub fn has_hmac(self) -> bool {
        self.iter().any(|a| a.family() == KeyFamily::Hmac)
    }

    /// The members, in table order (ES512 included when it is a member, even in a build
    /// that cannot verify it).
    pub fn iter(self) -> impl Iterator<Item = Algorithm> {
        EVERY.into_iter().filter(move |a| self.contains(*a))
    }
}

impl fmt::Debug for AlgorithmSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl FromIterator<Algorithm> for AlgorithmSet {
    fn from_iter<T: IntoIterator<Item = Algorithm>>(iter: T) -> Self {
        iter.into_iter().fold(Self::EMPTY, |s, a| s.with(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(alg.name()), Some(alg));
            assert_eq!(alg.name(), format!("{alg:?}"));
        }
    }

    #[test]
    fn none_and_casing_are_not_algorithms() {
        for name in [
            "none", "None", "NONE", "nOnE", "rs256", "Rs256", "HS256 ", "",
        ] {
            assert_eq!(Algorithm::from_name(name), None, "{name:?}");
        }
        assert!(Algorithm::is_known_unsupported("ES256K"));
        assert!(Algorithm::is_known_unsupported("Ed448"));
        assert!(!Algorithm::is_known_unsupported("none"));
        assert!(!Algorithm::is_known_unsupported("RS256"));
    }

    /// ES512 exists as a variant in every build, and is verifiable only with aws-lc-rs.
    #[test]
    fn es512_follows_the_backend() {
        let with_aws_lc = cfg!(feature = "aws-lc-rs");
        assert_eq!(Algorithm::ALL.len(), if with_aws_lc { 13 } else { 12 });
        assert_eq!(Algorithm::ALL.contains(&Algorithm::ES512), with_aws_lc);
        assert_eq!(Algorithm::from_name("ES512").is_some(), with_aws_lc);
        assert_eq!(Algorithm::is_known_unsupported("ES512"), !with_aws_lc);
        assert_eq!(Algorithm::ES512.family(), KeyFamily::EcP521);
        // The set of every variant still names ES512, so a set's Debug output never hides it.
        let s = AlgorithmSet::EMPTY.with(Algorithm::ES512);
        assert_eq!(format!("{s:?}"), "{ES512}");
        // ALL is EVERY without the algorithms this build cannot check, in the same order.
        let expected: Vec<_> = EVERY
            .into_iter()
            .filter(|a| with_aws_lc || *a != Algorithm::ES512)
            .collect();
        assert_eq!(Algorithm::ALL.to_vec(), expected);
    }

    #[test]
    fn sets() {
        let s = AlgorithmSet::RSA_PKCS1;
        assert!(s.contains(Algorithm::RS384));
        assert!(!s.contains(Algorithm::PS256));
        assert!(!s.has_hmac());
        assert!(s.with(Algorithm::HS256).has_hmac());
        assert_eq!(s.iter().count(), 3);
        assert_eq!(format!("{s:?}"), "{RS256, RS384, RS512}");
    }
}
