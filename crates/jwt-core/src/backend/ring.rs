//! The *ring* backend, the default.
//!
//! *ring* offers no way to keep a parsed public key: `RsaPublicKeyComponents::verify` and
//! `UnparsedPublicKey::verify` parse the key on every call. So for public keys there is
//! nothing to prepare, and each check starts from the bytes the key was loaded from. HMAC
//! keys are expanded once per hash, at load.

use ring::{hmac, signature};

use crate::key::{KeyError, Material};
use crate::{Algorithm, KeyFamily};

/// How *ring* checks one algorithm (the `ring` column of the algorithm table).
#[derive(Clone, Copy)]
pub(crate) enum Primitive {
    Rsa(&'static signature::RsaParameters),
    Ecdsa(&'static signature::EcdsaVerificationAlgorithm),
    Ed25519(&'static signature::EdDSAParameters),
    Hmac(hmac::Algorithm),
}

/// A key as *ring* checks it.
#[derive(Clone)]
pub(crate) enum Prepared {
    /// A public key: *ring* reads it from the key's [`Material`] on every check.
    Public,
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
    /// Prepares a public key for the algorithms of `family` (only `pinned`, when given).
    /// *ring* has nothing to prepare; the material was validated by the loader.
    pub(crate) fn public(
        _material: &Material,
        _family: KeyFamily,
        _pinned: Option<Algorithm>,
    ) -> Result<Self, KeyError> {
        Ok(Prepared::Public)
    }

    /// Expands an HMAC secret for each hash.
    pub(crate) fn hmac(secret: &[u8]) -> Self {
        Prepared::Hmac(Box::new(HmacKeys {
            k256: hmac::Key::new(hmac::HMAC_SHA256, secret),
            k384: hmac::Key::new(hmac::HMAC_SHA384, secret),
            k512: hmac::Key::new(hmac::HMAC_SHA512, secret),
        }))
    }

    /// A copy for `VerifyingKey::clone`: *ring*'s keys hold no shared state, a plain clone is
    /// independent.
    pub(crate) fn independent_copy(
        &self,
        _material: &Material,
        _family: KeyFamily,
        _pinned: Option<Algorithm>,
    ) -> Self {
        self.clone()
    }

    /// Checks `signature` over `message` with `alg`. The caller has already checked that the
    /// key may verify `alg`; any combination the table does not allow is refused.
    pub(crate) fn verify(
        &self,
        material: &Material,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        let Some(primitive) = alg.info().ring else {
            return false;
        };
        match (self, material, primitive) {
            (Prepared::Public, Material::Rsa { n, e }, Primitive::Rsa(params)) => {
                signature::RsaPublicKeyComponents { n: &**n, e: &**e }
                    .verify(params, message, signature)
                    .is_ok()
            }
            (Prepared::Public, Material::Ec { point }, Primitive::Ecdsa(params)) => {
                signature::UnparsedPublicKey::new(params, &**point)
                    .verify(message, signature)
                    .is_ok()
            }
            (Prepared::Public, Material::Ed25519 { public }, Primitive::Ed25519(params)) => {
                signature::UnparsedPublicKey::new(params, public)
                    .verify(message, signature)
                    .is_ok()
            }
            (Prepared::Hmac(keys), Material::Hmac, Primitive::Hmac(h)) => {
                let key = if h == hmac::HMAC_SHA256 {
                    &keys.k256
                } else if h == hmac::HMAC_SHA384 {
                    &keys.k384
                } else {
                    &keys.k512
                };
                hmac::verify(key, message, signature).is_ok()
            }
            // Unreachable while the key's family and the table agree; refusing is the safe answer.
            _ => false,
        }
    }
}
