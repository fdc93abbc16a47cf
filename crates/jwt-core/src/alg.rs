//! The one table of signature algorithms.
//!
//! Every fact about an algorithm — its JOSE name, the key family it needs, and the *ring*
//! primitive that checks it — lives in one `match` (`table`). Everything else looks it up there.

use core::fmt;

use ring::{hmac, signature};

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

/// How *ring* checks a signature for one algorithm.
#[derive(Clone, Copy)]
pub(crate) enum Primitive {
    Rsa(&'static signature::RsaParameters),
    Ecdsa(&'static signature::EcdsaVerificationAlgorithm),
    Ed25519,
    Hmac(hmac::Algorithm),
}

/// One row of the algorithm table.
#[derive(Clone, Copy)]
pub(crate) struct AlgInfo {
    pub(crate) name: &'static str,
    pub(crate) family: KeyFamily,
    pub(crate) primitive: Primitive,
}

/// The algorithm table: the single place that maps an algorithm to its JOSE name, key family and
/// *ring* primitive.
const fn table(alg: Algorithm) -> AlgInfo {
    use Algorithm as A;
    use KeyFamily as F;
    use Primitive as P;
    let (name, family, primitive) = match alg {
        A::RS256 => (
            "RS256",
            F::Rsa,
            P::Rsa(&signature::RSA_PKCS1_2048_8192_SHA256),
        ),
        A::RS384 => (
            "RS384",
            F::Rsa,
            P::Rsa(&signature::RSA_PKCS1_2048_8192_SHA384),
        ),
        A::RS512 => (
            "RS512",
            F::Rsa,
            P::Rsa(&signature::RSA_PKCS1_2048_8192_SHA512),
        ),
        A::PS256 => (
            "PS256",
            F::Rsa,
            P::Rsa(&signature::RSA_PSS_2048_8192_SHA256),
        ),
        A::PS384 => (
            "PS384",
            F::Rsa,
            P::Rsa(&signature::RSA_PSS_2048_8192_SHA384),
        ),
        A::PS512 => (
            "PS512",
            F::Rsa,
            P::Rsa(&signature::RSA_PSS_2048_8192_SHA512),
        ),
        A::ES256 => (
            "ES256",
            F::EcP256,
            P::Ecdsa(&signature::ECDSA_P256_SHA256_FIXED),
        ),
        A::ES384 => (
            "ES384",
            F::EcP384,
            P::Ecdsa(&signature::ECDSA_P384_SHA384_FIXED),
        ),
        A::EdDSA => ("EdDSA", F::Ed25519, P::Ed25519),
        A::HS256 => ("HS256", F::Hmac, P::Hmac(hmac::HMAC_SHA256)),
        A::HS384 => ("HS384", F::Hmac, P::Hmac(hmac::HMAC_SHA384)),
        A::HS512 => ("HS512", F::Hmac, P::Hmac(hmac::HMAC_SHA512)),
    };
    AlgInfo {
        name,
        family,
        primitive,
    }
}

/// Names that are real JOSE signature algorithms which this crate refuses on purpose, so that
/// the error can say "unsupported" rather than "unknown".
const KNOWN_UNSUPPORTED: [&str; 3] = ["ES512", "ES256K", "Ed448"];

impl Algorithm {
    /// Every supported algorithm, in table order.
    pub const ALL: [Algorithm; 12] = [
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::EdDSA,
        Self::HS256,
        Self::HS384,
        Self::HS512,
    ];

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
    /// `none` in any casing, names of algorithms this crate refuses (ES512, ES256K) and unknown
    /// names all return `None`; use [`Algorithm::is_known_unsupported`] to tell them apart.
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

    /// The members, in table order.
    pub fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL
            .into_iter()
            .filter(move |a| self.contains(*a))
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
        assert!(Algorithm::is_known_unsupported("ES512"));
        assert!(Algorithm::is_known_unsupported("ES256K"));
        assert!(!Algorithm::is_known_unsupported("none"));
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
