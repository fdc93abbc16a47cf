//! The test kit shared by the cross-crate tests, benches and fixture generators: the bundled
//! test keys and a signer built on *ring*, the benches' paired measurement (module `bench`);
//! with the `http` feature, also the one test HTTP server (module `http`) that every test
//! needing a server starts on 127.0.0.1.
//!
//! Production crates only verify; tests need real signatures from real keys, and this is the
//! one place that makes them.
#![forbid(unsafe_code)]

pub mod bench;
#[cfg(feature = "http")]
pub mod http;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jwt_core::{Algorithm, KeyFamily, VerifyingKey};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use serde_json::Value;

/// A bundled test key pair.
#[derive(Clone, Copy, Debug)]
pub struct TestKey {
    /// File stem under `fixtures/keys/`.
    pub name: &'static str,
    /// PKCS#8 private key, PEM.
    pub private_pem: &'static str,
    /// SPKI public key, PEM.
    pub public_pem: &'static str,
}

macro_rules! test_key {
    ($fn:ident, $name:literal) => {
        #[doc = concat!("The `", $name, "` test key.")]
        pub fn $fn() -> TestKey {
            TestKey {
                name: $name,
                private_pem: include_str!(concat!("../fixtures/keys/", $name, ".pk8.pem")),
                public_pem: include_str!(concat!("../fixtures/keys/", $name, ".pub.pem")),
            }
        }
    };
}

/// `jsonwebtoken` 11 on aws-lc-rs, the peer of jwt-core's aws-lc-rs backend in the `backends`
/// bench (only with this package's `aws-lc-rs` feature).
#[cfg(feature = "aws-lc-rs")]
pub use jsonwebtoken11;

/// The bundled keys.
pub mod keys {
    use super::TestKey;
    test_key!(rsa2048_a, "rsa2048-a");
    test_key!(rsa2048_b, "rsa2048-b");
    test_key!(rsa3072, "rsa3072");
    test_key!(rsa4096, "rsa4096");
    test_key!(rsa1024, "rsa1024");
    test_key!(demo_rsa2048, "demo-rsa2048");
    test_key!(p256, "p256");
    test_key!(p384, "p384");
    test_key!(p521, "p521");
    test_key!(ed25519, "ed25519");

    /// `rsa2048-a` in PKCS#1 `RSA PUBLIC KEY` form.
    pub const RSA2048_A_PKCS1_PEM: &str = include_str!("../fixtures/keys/rsa2048-a.pkcs1.pub.pem");
    /// `demo-rsa2048` in PKCS#1 `RSA PUBLIC KEY` form.
    pub const DEMO_PKCS1_PEM: &str = include_str!("../fixtures/keys/demo-rsa2048.pkcs1.pub.pem");
}

/// Decodes the body of a PEM document (test input is trusted).
pub fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD
        .decode(body.trim())
        .expect("fixture PEM is valid base64")
}

impl TestKey {
    /// The public key, loaded through jwt-core.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey::from_pem(self.public_pem).expect("fixture public key loads")
    }

    /// The public key as a JWK JSON object (with `kid` and optional `alg`).
    pub fn public_jwk(&self, kid: &str, alg: Option<Algorithm>) -> Value {
        let jwk = self
            .verifying_key()
            .to_jwk()
            .expect("public key has a JWK form");
        let mut v = serde_json::to_value(jwk).expect("JWK serializes");
        v["kid"] = Value::String(kid.to_owned());
        v["use"] = Value::String("sig".to_owned());
        if let Some(alg) = alg {
            v["alg"] = Value::String(alg.name().to_owned());
        }
        v
    }

    /// Signs `message` with `alg`. Panics if the key cannot sign with `alg` (a test bug).
    pub fn sign_bytes(&self, alg: Algorithm, message: &[u8]) -> Vec<u8> {
        let der = pem_der(self.private_pem);
        let rng = SystemRandom::new();
        match alg.family() {
            KeyFamily::Rsa => {
                let pair = RsaKeyPair::from_pkcs8(&der).expect("RSA PKCS#8");
                let padding: &'static dyn signature::RsaEncoding = match alg {
                    Algorithm::RS256 => &signature::RSA_PKCS1_SHA256,
                    Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_SHA384,
                    _ => &signature::RSA_PSS_SHA512,
                };
                let mut sig = vec![0; pair.public().modulus_len()];
                pair.sign(padding, &rng, message, &mut sig)
                    .expect("RSA sign");
                sig
            }
            KeyFamily::EcP256 | KeyFamily::EcP384 => {
                let a = if alg == Algorithm::ES256 {
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING
                } else {
                    &signature::ECDSA_P384_SHA384_FIXED_SIGNING
                };
                let pair = EcdsaKeyPair::from_pkcs8(a, &der, &rng).expect("EC PKCS#8");
                pair.sign(&rng, message).expect("EC sign").as_ref().to_vec()
            }
            KeyFamily::Ed25519 => {
                let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).expect("Ed25519");
                pair.sign(message).as_ref().to_vec()
            }
            _ => panic!("{alg} is not a public-key algorithm; use hmac_sign"),
        }
    }

    /// Signs a token with `alg`, putting `alg` into the given header object.
    pub fn sign(&self, alg: Algorithm, header: &Value, payload: &Value) -> String {
        let mut header = header.clone();
        header["alg"] = Value::String(alg.name().to_owned());
        let input = signing_input(&header, payload);
        let sig = self.sign_bytes(alg, input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

/// `base64url(header) "." base64url(payload)` of two JSON values.
pub fn signing_input(header: &Value, payload: &Value) -> String {
    signing_input_raw(&header.to_string(), &payload.to_string())
}

/// `base64url(header) "." base64url(payload)` of two raw texts (for malformed-JSON tests).
pub fn signing_input_raw(header: &str, payload: &str) -> String {
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    )
}

/// Appends an RSA/EC/Ed25519 signature by `key` to a raw signing input.
pub fn finish(key: &TestKey, alg: Algorithm, input: &str) -> String {
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(key.sign_bytes(alg, input.as_bytes()))
    )
}

/// HMAC-signs a token with `alg` (HS256/384/512) and `secret`.
pub fn hmac_sign(alg: Algorithm, secret: &[u8], header: &Value, payload: &Value) -> String {
    let mut header = header.clone();
    header["alg"] = Value::String(alg.name().to_owned());
    let input = signing_input(&header, payload);
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(hmac_bytes(alg, secret, input.as_bytes()))
    )
}

/// The raw HMAC of `message`.
pub fn hmac_bytes(alg: Algorithm, secret: &[u8], message: &[u8]) -> Vec<u8> {
    let h = match alg {
        Algorithm::HS256 => ring::hmac::HMAC_SHA256,
        Algorithm::HS384 => ring::hmac::HMAC_SHA384,
        Algorithm::HS512 => ring::hmac::HMAC_SHA512,
        _ => panic!("{alg} is not HMAC"),
    };
    ring::hmac::sign(&ring::hmac::Key::new(h, secret), message)
        .as_ref()
        .to_vec()
}

/// A Clerk-like session token payload (v2 shape) valid around `now_s`.
pub fn clerk_payload(now_s: i64) -> Value {
    serde_json::json!({
        "azp": "https://app.example.com",
        "exp": now_s + 60,
        "fva": [0, -1],
        "iat": now_s,
        "iss": "https://clerk.example.com",
        "jti": "5b1d6f0bd2f0a3c1e4a9",
        "nbf": now_s - 10,
        "sid": "sess_2abc3def4ghi5jkl6mno7pqr8st",
        "sts": "active",
        "sub": "user_2abc3def4ghi5jkl6mno7pqr8st",
        "v": 2
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jwt_core::{Claims, Timestamp, Validation};

    #[test]
    fn every_bundled_key_signs_and_verifies() {
        let now = 1_700_000_000;
        let payload = clerk_payload(now);
        let cases = [
            (keys::rsa2048_a(), Algorithm::RS256),
            (keys::rsa3072(), Algorithm::PS384),
            (keys::rsa4096(), Algorithm::RS512),
            (keys::p256(), Algorithm::ES256),
            (keys::p384(), Algorithm::ES384),
            (keys::ed25519(), Algorithm::EdDSA),
        ];
        for (key, alg) in cases {
            let token = key.sign(alg, &serde_json::json!({"typ":"JWT"}), &payload);
            let v = Validation::new([alg]);
            let ok = v.verify::<Claims>(
                &token,
                &key.verifying_key(),
                Timestamp::from_unix_seconds(now),
            );
            assert_eq!(
                ok.unwrap().claims().sub(),
                payload["sub"].as_str(),
                "{}",
                key.name
            );
        }
    }
}
