//! Verifying keys: parsed once, when loaded, into a form that knows its algorithm family.
//!
//! There is no way to build an HMAC key from public-key material (PEM, DER or a JWK): HMAC keys
//! come only from [`VerifyingKey::hmac`]. Algorithm confusion — verifying an HS256 token with
//! the bytes of an RSA public key as the secret — is therefore impossible by construction.
//!
//! Loading validates the key's encoding and parameters here, then hands it to the backend of
//! the build (`crate::backend`), which prepares it once for the checks it will run.

use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::backend::Prepared;
use crate::der;
use crate::{Algorithm, Error, Jwk, KeyFamily};

/// Smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits.
pub const MAX_RSA_BITS: usize = 8192;
/// Smallest HMAC secret accepted, in bytes (RFC 7518 §3.2 asks for at least the hash size;
/// 32 bytes is that for HS256 and is the floor for every HS algorithm here).
pub const MIN_HMAC_SECRET_LEN: usize = 32;
/// Largest PEM or DER input accepted, in bytes.
pub const MAX_KEY_INPUT_LEN: usize = 64 * 1024;

/// Why key material could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The PEM text is not a PEM public key (bad armour, bad base64).
    InvalidPem,
    /// The PEM holds a private key; only public keys are accepted.
    PrivateKeyPem,
    /// The DER is not a well-formed SubjectPublicKeyInfo or PKCS#1 RSAPublicKey.
    InvalidDer,
    /// The input is larger than [`MAX_KEY_INPUT_LEN`].
    TooLarge,
    /// The key type is not one this crate verifies with (DSA, X25519, RSA-PSS-only SPKI...).
    UnsupportedKeyType {
        /// What was found (a JWK `kty`, or an OID in dotted form).
        found: String,
    },
    /// The elliptic curve is not supported (secp256k1 and others are refused, and P-521
    /// without the `aws-lc-rs` feature).
    UnsupportedCurve {
        /// The curve name or OID.
        found: String,
    },
    /// The RSA modulus is outside 2048–8192 bits.
    RsaKeySize {
        /// The modulus size in bits.
        bits: usize,
    },
    /// The RSA modulus or exponent is unusable (even modulus, exponent < 3, even or > 33 bits).
    RsaParameters,
    /// The EC or Ed25519 public key bytes have the wrong form or length.
    InvalidPublicKeyBytes,
    /// The JWK is malformed or lacks a member its key type needs.
    InvalidJwk {
        /// What is wrong.
        detail: &'static str,
    },
    /// A JWK member that must be base64url is not canonical unpadded base64url.
    JwkBase64 {
        /// The member name.
        member: &'static str,
    },
    /// The JWK is symmetric (`kty: oct`); HMAC keys come only from an explicit secret.
    SymmetricJwk,
    /// The JWK carries private key material (`d`).
    PrivateJwk,
    /// The JWK is not for signature verification (`use` is not `sig`, or `key_ops` lacks `verify`).
    NotForSignatures,
    /// The JWK `alg` is not a supported signature algorithm.
    UnsupportedAlgorithm {
        /// The name (truncated).
        name: String,
    },
    /// The JWK `alg` does not fit the key type (for example `ES256` on an RSA key).
    AlgorithmFamilyMismatch {
        /// The pinned algorithm.
        alg: Algorithm,
        /// The key's family.
        family: KeyFamily,
    },
    /// The HMAC secret is shorter than [`MIN_HMAC_SECRET_LEN`].
    WeakHmacSecret {
        /// The secret's length in bytes.
        len: usize,
    },
    /// An algorithm was given to pin an HMAC key that is not an HMAC algorithm.
    NotHmac {
        /// The algorithm.
        alg: Algorithm,
    },
}

impl KeyError {
    /// The stable machine-readable code of this error.
    pub const fn code(&self) -> &'static str {
        match self {
            KeyError::InvalidPem => "invalid-pem",
            KeyError::PrivateKeyPem => "private-key-pem",
            KeyError::InvalidDer => "invalid-der",
            KeyError::TooLarge => "key-too-large",
            KeyError::UnsupportedKeyType { .. } => "unsupported-key-type",
            KeyError::UnsupportedCurve { .. } => "unsupported-curve",
            KeyError::RsaKeySize { .. } => "rsa-key-size",
            KeyError::RsaParameters => "rsa-parameters",
            KeyError::InvalidPublicKeyBytes => "invalid-public-key-bytes",
            KeyError::InvalidJwk { .. } => "invalid-jwk",
            KeyError::JwkBase64 { .. } => "jwk-base64",
            KeyError::SymmetricJwk => "symmetric-jwk",
            KeyError::PrivateJwk => "private-jwk",
            KeyError::NotForSignatures => "not-for-signatures",
            KeyError::UnsupportedAlgorithm { .. } => "unsupported-algorithm",
            KeyError::AlgorithmFamilyMismatch { .. } => "algorithm-family-mismatch",
            KeyError::WeakHmacSecret { .. } => "weak-hmac-secret",
            KeyError::NotHmac { .. } => "not-hmac",
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::InvalidPem => f.write_str("not a pem-encoded public key"),
            KeyError::PrivateKeyPem => {
                f.write_str("the pem holds a private key; give the public key instead")
            }
            KeyError::InvalidDer => f.write_str("not a der-encoded public key"),
            KeyError::TooLarge => write!(f, "key input is larger than {MAX_KEY_INPUT_LEN} bytes"),
            KeyError::UnsupportedKeyType { found } => write!(f, "unsupported key type {found:?}"),
            KeyError::UnsupportedCurve { found } => write!(f, "unsupported curve {found:?}"),
            KeyError::RsaKeySize { bits } => write!(
                f,
                "rsa key is {bits} bits; {MIN_RSA_BITS} to {MAX_RSA_BITS} bits are accepted"
            ),
            KeyError::RsaParameters => f.write_str("rsa modulus or exponent is unusable"),
            KeyError::InvalidPublicKeyBytes => f.write_str("public key bytes are malformed"),
            KeyError::InvalidJwk { detail } => write!(f, "invalid jwk: {detail}"),
            KeyError::JwkBase64 { member } => {
                write!(
                    f,
                    "jwk member {member:?} is not canonical unpadded base64url"
                )
            }
            KeyError::SymmetricJwk => f.write_str(
                "symmetric (oct) jwks are refused; build hmac keys from an explicit secret",
            ),
            KeyError::PrivateJwk => f.write_str("jwk holds private key material"),
            KeyError::NotForSignatures => f.write_str("jwk is not for signature verification"),
            KeyError::UnsupportedAlgorithm { name } => write!(f, "unsupported algorithm {name:?}"),
            KeyError::AlgorithmFamilyMismatch { alg, family } => {
                write!(f, "algorithm {alg} does not fit a {family} key")
            }
            KeyError::WeakHmacSecret { len } => write!(
                f,
                "hmac secret is {len} bytes; at least {MIN_HMAC_SECRET_LEN} are required"
            ),
            KeyError::NotHmac { alg } => write!(f, "{alg} is not an hmac algorithm"),
        }
    }
}

impl std::error::Error for KeyError {}

/// The public form of a key, as loaded and validated: what `to_jwk` shows, and what a backend
/// without parsed keys checks signatures from. An HMAC secret is never kept here; only the
/// backend's prepared keys hold it.
#[derive(Clone)]
pub(crate) enum Material {
    Rsa {
        n: Box<[u8]>,
        e: Box<[u8]>,
    },
    /// Uncompressed SEC1 point `04 || x || y`.
    Ec {
        point: Box<[u8]>,
    },
    Ed25519 {
        public: [u8; 32],
    },
    Hmac,
}

/// A public key (or HMAC secret) ready to verify signatures.
///
/// It knows its [`KeyFamily`], and may be pinned to a single [`Algorithm`] (a JWK's `alg`, or
/// [`VerifyingKey::pin`]). Cloning is cheap enough for key sets, and a clone shares no mutable
/// state with the original, so copies handed to different threads never contend; the `Debug`
/// output never shows key bytes.
///
/// ```
/// use jwt_core::{Algorithm, KeyFamily, VerifyingKey};
/// let jwk = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
/// let key = VerifyingKey::from_jwk_json(jwk).unwrap();
/// assert_eq!(key.family(), KeyFamily::Ed25519);
/// assert!(key.supports(Algorithm::EdDSA));
/// assert!(!key.supports(Algorithm::HS256));
/// ```
pub struct VerifyingKey {
    material: Material,
    /// The key as the backend of this build checks with it, prepared once at load.
    prepared: Prepared,
    family: KeyFamily,
    pinned: Option<Algorithm>,
}

impl Clone for VerifyingKey {
    fn clone(&self) -> Self {
        VerifyingKey {
            material: self.material.clone(),
            prepared: self
                .prepared
                .independent_copy(&self.material, self.family, self.pinned),
            family: self.family,
            pinned: self.pinned,
        }
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("VerifyingKey");
        d.field("family", &self.family);
        if let Material::Rsa { n, .. } = &self.material {
            d.field("bits", &rsa_bits(n));
        }
        d.field("pinned", &self.pinned).finish_non_exhaustive()
    }
}

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

impl VerifyingKey {
    /// Loads a public key from PEM text: SPKI (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`).
    ///
    /// Forgiving about how people paste keys — on one line, with CRLF, with literal `\n`
    /// escapes, or without the armour lines at all — and strict about what it decodes to.
    /// Private keys are refused with [`KeyError::PrivateKeyPem`].
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        if pem.len() > MAX_KEY_INPUT_LEN {
            return Err(KeyError::TooLarge);
        }
        let (label, der) = decode_pem(pem)?;
        match label {
            PemLabel::Spki => Self::from_spki_der(&der),
            PemLabel::Pkcs1 => Self::from_pkcs1_der(&der),
            PemLabel::None => {
                Self::from_spki_der(&der).or_else(|spki_err| match Self::from_pkcs1_der(&der) {
                    Ok(k) => Ok(k),
                    Err(KeyError::InvalidDer) => Err(spki_err),
                    Err(e) => Err(e),
                })
            }
        }
    }

    /// Loads a public key from a DER SubjectPublicKeyInfo (RSA, EC P-256/P-384, Ed25519; EC
    /// P-521 with the `aws-lc-rs` feature).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        if der.len() > MAX_KEY_INPUT_LEN {
            return Err(KeyError::TooLarge);
        }
        let spki = der::read_all(der, der::SEQUENCE).map_err(|()| KeyError::InvalidDer)?;
        let mut r = der::Reader::new(spki);
        let alg_id = r.read(der::SEQUENCE).map_err(|()| KeyError::InvalidDer)?;
        let bits = r.read(der::BIT_STRING).map_err(|()| KeyError::InvalidDer)?;
        if !r.is_empty() {
            return Err(KeyError::InvalidDer);
        }
        let key = match bits {
            [0, key @ ..] => key,
            _ => return Err(KeyError::InvalidDer),
        };
        let mut a = der::Reader::new(alg_id);
        let oid = a.read(der::OID).map_err(|()| KeyError::InvalidDer)?;
        if oid == OID_RSA {
            // Parameters must be NULL (RFC 3279 §2.3.1); absent is tolerated by many encoders.
            if !a.is_empty() {
                let null = a.read(der::NULL).map_err(|()| KeyError::InvalidDer)?;
                if !null.is_empty() || !a.is_empty() {
                    return Err(KeyError::InvalidDer);
                }
            }
            Self::from_pkcs1_der(key)
        } else if oid == OID_EC_PUBLIC_KEY {
            let curve = a.read(der::OID).map_err(|()| KeyError::InvalidDer)?;
            if !a.is_empty() {
                return Err(KeyError::InvalidDer);
            }
            let family = if curve == OID_P256 {
                KeyFamily::EcP256
            } else if curve == OID_P384 {
                KeyFamily::EcP384
            } else if curve == OID_P521 && cfg!(feature = "aws-lc-rs") {
                KeyFamily::EcP521
            } else {
                return Err(KeyError::UnsupportedCurve {
                    found: dotted_oid(curve),
                });
            };
            Self::public(ec_material(family, key)?, family, None)
        } else if oid == OID_ED25519 {
            if !a.is_empty() {
                return Err(KeyError::InvalidDer);
            }
            Self::public(ed25519_material(key)?, KeyFamily::Ed25519, None)
        } else {
            Err(KeyError::UnsupportedKeyType {
                found: dotted_oid(oid),
            })
        }
    }

    /// Loads an RSA public key from a DER PKCS#1 RSAPublicKey.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, KeyError> {
        if der.len() > MAX_KEY_INPUT_LEN {
            return Err(KeyError::TooLarge);
        }
        let seq = der::read_all(der, der::SEQUENCE).map_err(|()| KeyError::InvalidDer)?;
        let mut r = der::Reader::new(seq);
        let n = r
            .read_unsigned_integer()
            .map_err(|()| KeyError::InvalidDer)?;
        let e = r
            .read_unsigned_integer()
            .map_err(|()| KeyError::InvalidDer)?;
        if !r.is_empty() {
            return Err(KeyError::InvalidDer);
        }
        Self::rsa(n, e)
    }

    /// Loads an RSA public key from its big-endian modulus and exponent.
    ///
    /// The modulus must be 2048–8192 bits and odd; the exponent odd, at least 3, at most 33 bits.
    pub fn rsa(n: &[u8], e: &[u8]) -> Result<Self, KeyError> {
        Self::public(rsa_material(n, e)?, KeyFamily::Rsa, None)
    }

    /// A public key from validated material, prepared by the backend for the algorithms of
    /// `family` (only `pinned`, when given; a pin outside the family is refused).
    fn public(
        material: Material,
        family: KeyFamily,
        pinned: Option<Algorithm>,
    ) -> Result<Self, KeyError> {
        if let Some(alg) = pinned
            && alg.family() != family
        {
            return Err(KeyError::AlgorithmFamilyMismatch { alg, family });
        }
        Ok(VerifyingKey {
            prepared: Prepared::public(&material, family, pinned)?,
            material,
            family,
            pinned,
        })
    }

    /// An HMAC key from an explicit shared secret, usable for HS256, HS384 and HS512.
    ///
    /// This is the only way to obtain an HMAC key. The secret must be at least
    /// [`MIN_HMAC_SECRET_LEN`] bytes. Use [`pin`](Self::pin) to restrict it to one algorithm.
    ///
    /// ```
    /// use jwt_core::{Algorithm, VerifyingKey};
    /// let key = VerifyingKey::hmac(&[7u8; 32]).unwrap().pin(Algorithm::HS256).unwrap();
    /// assert!(key.supports(Algorithm::HS256));
    /// assert!(!key.supports(Algorithm::HS512));
    /// assert!(VerifyingKey::hmac(b"short").is_err());
    /// ```
    pub fn hmac(secret: &[u8]) -> Result<Self, KeyError> {
        if secret.len() < MIN_HMAC_SECRET_LEN {
            return Err(KeyError::WeakHmacSecret { len: secret.len() });
        }
        if secret.len() > MAX_KEY_INPUT_LEN {
            return Err(KeyError::TooLarge);
        }
        Ok(VerifyingKey {
            material: Material::Hmac,
            prepared: Prepared::hmac(secret),
            family: KeyFamily::Hmac,
            pinned: None,
        })
    }

    /// An HMAC key from an explicit shared secret, pinned to one HMAC algorithm.
    ///
    /// The same as [`hmac`](Self::hmac) followed by [`pin`](Self::pin), but a non-HMAC
    /// algorithm is reported as [`KeyError::NotHmac`]: asking for an "RS256 secret" is a
    /// configuration mistake worth naming.
    ///
    /// ```
    /// use jwt_core::{Algorithm, VerifyingKey};
    /// let key = VerifyingKey::hmac_for(Algorithm::HS384, &[7u8; 48]).unwrap();
    /// assert_eq!(key.pinned_algorithm(), Some(Algorithm::HS384));
    /// let err = VerifyingKey::hmac_for(Algorithm::RS256, &[7u8; 48]).unwrap_err();
    /// assert_eq!(err.code(), "not-hmac");
    /// ```
    pub fn hmac_for(alg: Algorithm, secret: &[u8]) -> Result<Self, KeyError> {
        if alg.family() != KeyFamily::Hmac {
            return Err(KeyError::NotHmac { alg });
        }
        Self::hmac(secret)?.pin(alg)
    }

    /// Loads a public key from a JWK (RSA, EC P-256/P-384, OKP Ed25519; EC P-521 with the
    /// `aws-lc-rs` feature).
    ///
    /// A JWK `alg` pins the key to that algorithm. `use` must be `sig` when present; `key_ops`
    /// must include `verify` when present. Symmetric (`oct`) and private JWKs are refused.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, KeyError> {
        if jwk.k.is_some() || jwk.kty.as_deref() == Some("oct") {
            return Err(KeyError::SymmetricJwk);
        }
        if jwk.d.is_some() {
            return Err(KeyError::PrivateJwk);
        }
        if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
            return Err(KeyError::NotForSignatures);
        }
        if let Some(ops) = &jwk.key_ops
            && !ops.iter().any(|o| o == "verify")
        {
            return Err(KeyError::NotForSignatures);
        }
        let pinned =
            match jwk.alg.as_deref() {
                None => None,
                Some(name) => Some(Algorithm::from_name(name).ok_or_else(|| {
                    KeyError::UnsupportedAlgorithm {
                        name: crate::error::truncate(name),
                    }
                })?),
            };
        let (material, family) = match jwk.kty.as_deref() {
            Some("RSA") => {
                let n = jwk_b64(jwk.n.as_deref(), "n")?;
                let e = jwk_b64(jwk.e.as_deref(), "e")?;
                (rsa_material(&n, &e)?, KeyFamily::Rsa)
            }
            Some("EC") => {
                let (family, coord) = match jwk.crv.as_deref() {
                    Some("P-256") => (KeyFamily::EcP256, 32),
                    Some("P-384") => (KeyFamily::EcP384, 48),
                    Some("P-521") if cfg!(feature = "aws-lc-rs") => (KeyFamily::EcP521, 66),
                    Some(other) => {
                        return Err(KeyError::UnsupportedCurve {
                            found: crate::error::truncate(other),
                        });
                    }
                    None => {
                        return Err(KeyError::InvalidJwk {
                            detail: "missing crv",
                        });
                    }
                };
                let x = jwk_b64(jwk.x.as_deref(), "x")?;
                let y = jwk_b64(jwk.y.as_deref(), "y")?;
                if x.len() != coord || y.len() != coord {
                    return Err(KeyError::InvalidPublicKeyBytes);
                }
                let mut point = Vec::with_capacity(1 + 2 * coord);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                (ec_material(family, &point)?, family)
            }
            Some("OKP") => match jwk.crv.as_deref() {
                Some("Ed25519") => (
                    ed25519_material(&jwk_b64(jwk.x.as_deref(), "x")?)?,
                    KeyFamily::Ed25519,
                ),
                Some(other) => {
                    return Err(KeyError::UnsupportedCurve {
                        found: crate::error::truncate(other),
                    });
                }
                None => {
                    return Err(KeyError::InvalidJwk {
                        detail: "missing crv",
                    });
                }
            },
            Some(other) => {
                return Err(KeyError::UnsupportedKeyType {
                    found: crate::error::truncate(other),
                });
            }
            None => {
                return Err(KeyError::InvalidJwk {
                    detail: "missing kty",
                });
            }
        };
        // Prepared once, for the pinned algorithm only when the JWK names one.
        Self::public(material, family, pinned)
    }

    /// Parses a JWK from JSON text and loads it; see [`from_jwk`](Self::from_jwk).
    pub fn from_jwk_json(json: &str) -> Result<Self, KeyError> {
        if json.len() > MAX_KEY_INPUT_LEN {
            return Err(KeyError::TooLarge);
        }
        Self::from_jwk(&Jwk::from_json(json)?)
    }

    /// Pins this key to a single algorithm of its family.
    pub fn pin(mut self, alg: Algorithm) -> Result<Self, KeyError> {
        if alg.family() != self.family {
            return Err(KeyError::AlgorithmFamilyMismatch {
                alg,
                family: self.family,
            });
        }
        if self.family != KeyFamily::Hmac {
            // A backend with parsed keys keeps only the one for `alg`.
            self.prepared = Prepared::public(&self.material, self.family, Some(alg))?;
        }
        self.pinned = Some(alg);
        Ok(self)
    }

    /// The key's family.
    pub fn family(&self) -> KeyFamily {
        self.family
    }

    /// The algorithm this key is pinned to, if any.
    pub fn pinned_algorithm(&self) -> Option<Algorithm> {
        self.pinned
    }

    /// The RSA modulus size in bits, for RSA keys.
    pub fn rsa_bits(&self) -> Option<usize> {
        match &self.material {
            Material::Rsa { n, .. } => Some(rsa_bits(n)),
            _ => None,
        }
    }

    /// Whether this key may verify `alg`: same family, and not pinned to another algorithm.
    pub fn supports(&self, alg: Algorithm) -> bool {
        alg.family() == self.family && self.pinned.is_none_or(|p| p == alg)
    }

    /// Checks `signature` over `message` with `alg`.
    ///
    /// The family and pin are checked before any cryptography
    /// ([`Error::KeyAlgorithmMismatch`]); a signature that does not verify is
    /// [`Error::InvalidSignature`], with no further detail.
    pub fn verify_signature(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        if !self.supports(alg) {
            return Err(Error::KeyAlgorithmMismatch {
                alg,
                family: self.family,
            });
        }
        if self
            .prepared
            .verify(&self.material, alg, message, signature)
        {
            Ok(())
        } else {
            Err(Error::InvalidSignature)
        }
    }

    /// The public key as a JWK (`kty`, `n`/`e`, `crv`/`x`/`y`, and `alg` when pinned), for
    /// tools that display or re-publish keys. HMAC keys have no public form and return `None`.
    pub fn to_jwk(&self) -> Option<Jwk> {
        let enc = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        let mut jwk = Jwk {
            alg: self.pinned.map(|a| a.name().to_owned()),
            ..Jwk::default()
        };
        match &self.material {
            Material::Rsa { n, e } => {
                jwk.kty = Some("RSA".into());
                jwk.n = Some(enc(n));
                jwk.e = Some(enc(e));
            }
            Material::Ec { point } => {
                let coords = point.get(1..).unwrap_or_default();
                let (x, y) = coords.split_at(coords.len() / 2);
                jwk.kty = Some("EC".into());
                jwk.crv = Some(
                    match self.family {
                        KeyFamily::EcP256 => "P-256",
                        KeyFamily::EcP384 => "P-384",
                        _ => "P-521",
                    }
                    .into(),
                );
                jwk.x = Some(enc(x));
                jwk.y = Some(enc(y));
            }
            Material::Ed25519 { public } => {
                jwk.kty = Some("OKP".into());
                jwk.crv = Some("Ed25519".into());
                jwk.x = Some(enc(public));
            }
            Material::Hmac => return None,
        }
        Some(jwk)
    }
}

/// Validates an RSA public key's modulus and exponent: 2048–8192 bits and odd; exponent odd,
/// at least 3, at most 33 bits.
fn rsa_material(n: &[u8], e: &[u8]) -> Result<Material, KeyError> {
    let n = strip_leading_zeros(n);
    let e = strip_leading_zeros(e);
    let bits = rsa_bits(n);
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        return Err(KeyError::RsaKeySize { bits });
    }
    let odd = |v: &[u8]| v.last().is_some_and(|b| b & 1 == 1);
    let e_bits = rsa_bits(e);
    if !odd(n) || !odd(e) || !(2..=33).contains(&e_bits) {
        return Err(KeyError::RsaParameters);
    }
    Ok(Material::Rsa {
        n: n.into(),
        e: e.into(),
    })
}

/// Checks an EC public key is an uncompressed point of its curve's size.
fn ec_material(family: KeyFamily, point: &[u8]) -> Result<Material, KeyError> {
    let coord = match family {
        KeyFamily::EcP256 => 32,
        KeyFamily::EcP384 => 48,
        KeyFamily::EcP521 => 66,
        _ => return Err(KeyError::InvalidPublicKeyBytes),
    };
    if point.len() != 1 + 2 * coord || point.first() != Some(&0x04) {
        return Err(KeyError::InvalidPublicKeyBytes);
    }
    Ok(Material::Ec {
        point: point.into(),
    })
}

fn ed25519_material(public: &[u8]) -> Result<Material, KeyError> {
    let public: [u8; 32] = public
        .try_into()
        .map_err(|_| KeyError::InvalidPublicKeyBytes)?;
    Ok(Material::Ed25519 { public })
}

fn strip_leading_zeros(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|b| *b != 0).unwrap_or(v.len());
    v.get(start..).unwrap_or_default()
}

fn rsa_bits(n: &[u8]) -> usize {
    let n = strip_leading_zeros(n);
    match n.first() {
        None => 0,
        Some(first) => n
            .len()
            .saturating_mul(8)
            .saturating_sub(first.leading_zeros() as usize),
    }
}

fn jwk_b64(v: Option<&str>, member: &'static str) -> Result<Vec<u8>, KeyError> {
    let v = v.ok_or(KeyError::InvalidJwk {
        detail: "missing a required key member",
    })?;
    URL_SAFE_NO_PAD
        .decode(v)
        .map_err(|_| KeyError::JwkBase64 { member })
}

fn dotted_oid(oid: &[u8]) -> String {
    let mut out = String::new();
    let mut acc: u64 = 0;
    let mut first = true;
    for b in oid.iter().take(32) {
        acc = (acc << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if first {
                let (a, rest) = if acc < 80 {
                    (acc / 40, acc % 40)
                } else {
                    (2, acc - 80)
                };
                out.push_str(&format!("{a}.{rest}"));
                first = false;
            } else {
                out.push_str(&format!(".{acc}"));
            }
            acc = 0;
        }
        if acc > (u64::MAX >> 8) {
            break;
        }
    }
    out
}

enum PemLabel {
    Spki,
    Pkcs1,
    None,
}

/// Decodes PEM text the way users paste it. Returns the label kind and the DER bytes.
fn decode_pem(input: &str) -> Result<(PemLabel, Vec<u8>), KeyError> {
    // Literal "\n" and "\r" escapes (from .env files and JSON strings) become whitespace.
    let text = input.replace("\\r", "\r").replace("\\n", "\n");
    let text = text.trim();
    let (label, body) = match text.strip_prefix("-----BEGIN ") {
        Some(after) => {
            let (label, rest) = after.split_once("-----").ok_or(KeyError::InvalidPem)?;
            let end_marker = format!("-----END {label}-----");
            let (body, tail) = rest
                .split_once(end_marker.as_str())
                .ok_or(KeyError::InvalidPem)?;
            if !tail.trim().is_empty() {
                return Err(KeyError::InvalidPem);
            }
            let kind = match label {
                "PUBLIC KEY" => PemLabel::Spki,
                "RSA PUBLIC KEY" => PemLabel::Pkcs1,
                l if l.contains("PRIVATE KEY") => return Err(KeyError::PrivateKeyPem),
                _ => return Err(KeyError::InvalidPem),
            };
            (kind, body)
        }
        None if text.contains("-----") => return Err(KeyError::InvalidPem),
        None => (PemLabel::None, text),
    };
    let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return Err(KeyError::InvalidPem);
    }
    let der = STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| KeyError::InvalidPem)?;
    Ok((label, der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_print_dotted() {
        assert_eq!(dotted_oid(OID_RSA), "1.2.840.113549.1.1.1");
        assert_eq!(dotted_oid(OID_P384), "1.3.132.0.34");
        assert_eq!(dotted_oid(OID_ED25519), "1.3.101.112");
    }

    #[test]
    fn rsa_size_and_parameters() {
        let mut n = vec![0xff; 256];
        assert!(VerifyingKey::rsa(&n, &[1, 0, 1]).is_ok());
        assert_eq!(
            VerifyingKey::rsa(&n, &[1, 0, 0]).unwrap_err(),
            KeyError::RsaParameters
        );
        assert_eq!(
            VerifyingKey::rsa(&n, &[1]).unwrap_err(),
            KeyError::RsaParameters
        );
        assert_eq!(
            VerifyingKey::rsa(&n, &[0xff; 5]).unwrap_err(),
            KeyError::RsaParameters
        );
        n[255] = 0xfe;
        assert_eq!(
            VerifyingKey::rsa(&n, &[3]).unwrap_err(),
            KeyError::RsaParameters
        );
        assert_eq!(
            VerifyingKey::rsa(&[0xff; 128], &[3]).unwrap_err(),
            KeyError::RsaKeySize { bits: 1024 }
        );
        assert_eq!(
            VerifyingKey::rsa(&[0xff; 1025], &[3]).unwrap_err(),
            KeyError::RsaKeySize { bits: 8200 }
        );
        let mut leading = vec![0u8; 3];
        leading.extend([0x7f; 256]);
        assert_eq!(
            VerifyingKey::rsa(&leading, &[3]).unwrap_err(),
            KeyError::RsaKeySize { bits: 2047 }
        );
    }

    #[test]
    fn pem_labels() {
        assert_eq!(
            VerifyingKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
                .unwrap_err(),
            KeyError::PrivateKeyPem
        );
        assert_eq!(
            VerifyingKey::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
                .unwrap_err(),
            KeyError::InvalidPem
        );
        assert_eq!(
            VerifyingKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC")
                .unwrap_err(),
            KeyError::InvalidPem
        );
        assert_eq!(
            VerifyingKey::from_pem("").unwrap_err(),
            KeyError::InvalidPem
        );
        assert_eq!(
            VerifyingKey::from_pem("!!!!").unwrap_err(),
            KeyError::InvalidPem
        );
        assert_eq!(
            VerifyingKey::from_pem("AAAA").unwrap_err(),
            KeyError::InvalidDer
        );
    }

    /// A clone (an independent copy with aws-lc-rs) and a pinned key verify exactly what the
    /// original does, on the RFC 8037 A.4 Ed25519 example.
    #[test]
    fn clones_and_pins_verify_like_the_original() {
        let key = VerifyingKey::from_jwk_json(
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
        )
        .unwrap();
        let input = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
        let mut sig = URL_SAFE_NO_PAD
            .decode("hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg")
            .unwrap();
        let pinned = key.clone().pin(Algorithm::EdDSA).unwrap();
        for k in [&key, &key.clone(), &pinned, &pinned.clone()] {
            assert_eq!(k.verify_signature(Algorithm::EdDSA, input, &sig), Ok(()));
            assert_eq!(
                k.to_jwk(),
                key.to_jwk().map(|mut j| {
                    j.alg = k.pinned_algorithm().map(|a| a.name().to_owned());
                    j
                })
            );
        }
        sig[0] ^= 1;
        for k in [&key, &key.clone(), &pinned.clone()] {
            assert_eq!(
                k.verify_signature(Algorithm::EdDSA, input, &sig),
                Err(Error::InvalidSignature)
            );
        }
    }

    #[test]
    fn hmac_is_only_from_secrets() {
        assert_eq!(
            VerifyingKey::hmac(&[1; 31]).unwrap_err(),
            KeyError::WeakHmacSecret { len: 31 }
        );
        let k = VerifyingKey::hmac(&[1; 32]).unwrap();
        assert!(k.to_jwk().is_none());
        assert_eq!(
            k.clone().pin(Algorithm::RS256).unwrap_err(),
            KeyError::AlgorithmFamilyMismatch {
                alg: Algorithm::RS256,
                family: KeyFamily::Hmac
            }
        );
        assert!(!format!("{k:?}").contains("1, 1"));
    }
}
