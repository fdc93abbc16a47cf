//! The aws-lc-rs backend, with the `aws-lc-rs` feature: every algorithm is checked here.
//!
//! Public keys are parsed once, when loaded, into aws-lc-rs `ParsedPublicKey`s, so a check
//! does no key parsing at all (the *ring* backend re-parses an RSA modulus on every call).
//! A `ParsedPublicKey` is bound to the one algorithm it was parsed for, so a key holds one per
//! algorithm it may verify: six for an RSA key that is not pinned, one for a pinned key or an
//! EC or Ed25519 key. Parsing also validates more than the loaders do on their own: an EC point
//! that is not on its curve is refused at load (`invalid-public-key-bytes`), where *ring* only
//! fails every signature check with it.

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents};

use crate::key::{KeyError, Material};
use crate::{Algorithm, KeyFamily};

/// How aws-lc-rs checks one algorithm (the `aws_lc` column of the algorithm table).
#[derive(Clone, Copy)]
pub(crate) enum Primitive {
    Rsa(&'static signature::RsaParameters),
    Ecdsa(&'static signature::EcdsaVerificationAlgorithm),
    Ed25519(&'static signature::EdDSAParameters),
    Hmac(hmac::Algorithm),
}

/// A key as aws-lc-rs checks it.
#[derive(Clone)]
pub(crate) enum Prepared {
    /// One parsed key per algorithm the key may verify, in table order.
    Public(Box<[(Algorithm, ParsedPublicKey)]>),
    /// One precomputed key per hash, boxed: HMAC keys are rare and large.
    Hmac(Box<HmacKeys>),
}

#[derive(Clone)]
pub(crate) struct HmacKeys {
    k256: hmac::Key,
    k384: hmac::Key,
    k512: hmac::Key,
}

impl Prepared {
    /// Parses a public key for each algorithm of `family` (only `pinned`, when given).
    pub(crate) fn public(
        material: &Material,
        family: KeyFamily,
        pinned: Option<Algorithm>,
    ) -> Result<Self, KeyError> {
        let algs = Algorithm::ALL
            .into_iter()
            .filter(|a| a.family() == family && pinned.is_none_or(|p| p == *a));
        let mut parsed = Vec::new();
        for alg in algs {
            let key = match (material, alg.info().aws_lc) {
                (Material::Rsa { n, e }, Primitive::Rsa(params)) => {
                    RsaPublicKeyComponents { n: &**n, e: &**e }
                        .to_parsed_public_key(params)
                        .map_err(|_| KeyError::RsaParameters)?
                }
                (Material::Ec { point }, Primitive::Ecdsa(params)) => {
                    ParsedPublicKey::new(params, point)
                        .map_err(|_| KeyError::InvalidPublicKeyBytes)?
                }
                (Material::Ed25519 { public }, Primitive::Ed25519(params)) => {
                    ParsedPublicKey::new(params, public)
                        .map_err(|_| KeyError::InvalidPublicKeyBytes)?
                }
                // Unreachable while the loaders and the table agree on families.
                _ => return Err(KeyError::InvalidPublicKeyBytes),
            };
            parsed.push((alg, key));
        }
        Ok(Prepared::Public(parsed.into_boxed_slice()))
    }

    /// Expands an HMAC secret for each hash.
    pub(crate) fn hmac(secret: &[u8]) -> Self {
        Prepared::Hmac(Box::new(HmacKeys {
            k256: hmac::Key::new(hmac::HMAC_SHA256, secret),
            k384: hmac::Key::new(hmac::HMAC_SHA384, secret),
            k512: hmac::Key::new(hmac::HMAC_SHA512, secret),
        }))
    }

    /// A copy for `VerifyingKey::clone` that shares nothing mutable with `self`.
    ///
    /// Cloning a `ParsedPublicKey` shares its C key object, whose reference count every check
    /// increments and decrements (each check makes a context that holds a reference). Copies
    /// made for different threads, as key sets do, would then contend on that count, so public
    /// keys are parsed again instead. HMAC keys clone their context, which is independent.
    pub(crate) fn independent_copy(
        &self,
        material: &Material,
        family: KeyFamily,
        pinned: Option<Algorithm>,
    ) -> Self {
        match self {
            // The material parsed when the key was loaded, so it parses again; should it not,
            // a shared copy still verifies correctly.
            Prepared::Public(_) => {
                Self::public(material, family, pinned).unwrap_or_else(|_| self.clone())
            }
            Prepared::Hmac(_) => self.clone(),
        }
    }

    /// Checks `signature` over `message` with `alg`. The caller has already checked that the
    /// key may verify `alg`; a key without a parsed form for `alg` refuses.
    pub(crate) fn verify(
        &self,
        _material: &Material,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        match self {
            Prepared::Public(parsed) => parsed
                .iter()
                .find(|(a, _)| *a == alg)
                .is_some_and(|(_, key)| key.verify_sig(message, signature).is_ok()),
            Prepared::Hmac(keys) => {
                let Primitive::Hmac(h) = alg.info().aws_lc else {
                    return false;
                };
                let key = if h == hmac::HMAC_SHA256 {
                    &keys.k256
                } else if h == hmac::HMAC_SHA384 {
                    &keys.k384
                } else {
                    &keys.k512
                };
                hmac::verify(key, message, signature).is_ok()
            }
        }
    }
}
