//! The tokens, keys and bare *ring* checks the jwt-core benches share.
//!
//! Each case is one Clerk-like session token (the test kit's `clerk_payload`, padded with a
//! custom claim to a target length) with its verifying key, the bare *ring* check of the same
//! bytes (the floor), and the same key for `jsonwebtoken` (the peer we compare against).
#![allow(
    dead_code,
    reason = "each bench binary uses its own subset of the shared cases"
)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use integration_tests::{TestKey, clerk_payload, hmac_sign, keys};
use jwt_core::{Algorithm, Validation, VerifyingKey};
use ring::{hmac, signature};
use serde::Deserialize;
use serde_json::{Value, json};

pub(crate) const NOW: i64 = 1_700_000_000;
/// Length of the standard bench token, in bytes (a typical Clerk session token).
pub(crate) const TARGET_LEN: usize = 750;
const SECRET: &[u8] = b"bench-hmac-secret-of-thirty-two-bytes-or-more";
const ISSUER: &str = "https://clerk.example.com";
const AZP: &str = "https://app.example.com";

/// The algorithms every bench measures, in report order.
pub(crate) const ALGORITHMS: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
    Algorithm::HS256,
];

/// The bare ring check for one algorithm, with key material prepared once.
pub(crate) enum Floor {
    Rsa {
        params: &'static signature::RsaParameters,
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Unparsed {
        alg: &'static dyn signature::VerificationAlgorithm,
        public: Vec<u8>,
    },
    Hmac(hmac::Key),
}

impl Floor {
    pub(crate) fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match self {
            Floor::Rsa { params, n, e } => signature::RsaPublicKeyComponents { n, e }
                .verify(params, msg, sig)
                .is_ok(),
            Floor::Unparsed { alg, public } => signature::UnparsedPublicKey::new(*alg, public)
                .verify(msg, sig)
                .is_ok(),
            Floor::Hmac(key) => hmac::verify(key, msg, sig).is_ok(),
        }
    }
}

pub(crate) struct Case {
    pub(crate) alg: Algorithm,
    pub(crate) token: String,
    pub(crate) key: VerifyingKey,
    pub(crate) floor: Floor,
    /// The signing input and decoded signature, for the floor.
    pub(crate) msg: Vec<u8>,
    pub(crate) sig: Vec<u8>,
    /// The same key for `jsonwebtoken`.
    pub(crate) peer_key: jsonwebtoken::DecodingKey,
}

/// A typed claims struct such as an application defines (the registered claims and a few of
/// Clerk's), for the path that deserializes the caller's type straight from the payload.
pub(crate) use integration_tests::bench::SessionClaims;

/// The performance issue's reference row "ring + base64 + serde_json + claim checks, written
/// plainly": what a straightforward verifier does, without jwt-core's strictness (repeated
/// member names, nesting depth, header rules) or its error reporting. [`plain_parse`], then
/// the signature with the floor's key, then issuer, authorized party and times with the same
/// 5 s leeway as [`rules`]. `None` when anything fails.
pub(crate) fn plain_verify(c: &Case, now: i64) -> Option<SessionClaims> {
    const LEEWAY: i64 = 5;
    let parsed = plain_parse(c)?;
    if !c
        .floor
        .verify(parsed.signing_input.as_bytes(), &parsed.signature)
    {
        return None;
    }
    let claims = parsed.claims;
    let ok = claims.iss == ISSUER
        && claims.azp.as_deref().is_none_or(|azp| azp == AZP)
        && claims.exp > now - LEEWAY
        && claims.nbf <= now + LEEWAY
        && claims.iat <= now + LEEWAY;
    ok.then_some(claims)
}

/// The parse of the written-plainly verifier: what the token holds, read plainly.
pub(crate) struct PlainParts<'t> {
    pub(crate) signing_input: &'t str,
    pub(crate) signature: Vec<u8>,
    pub(crate) claims: SessionClaims,
}

/// The written-plainly verifier's parse ([`plain_verify`] without the signature and the claim
/// checks): split at the dots, decode with the `base64` crate, read the header's `alg` with
/// serde_json and compare it with the case's, read the claims into [`SessionClaims`] with
/// serde_json. `None` when anything fails.
pub(crate) fn plain_parse(c: &Case) -> Option<PlainParts<'_>> {
    #[derive(Deserialize)]
    struct Header<'a> {
        #[serde(borrow)]
        alg: &'a str,
    }
    let (signing_input, signature) = c.token.rsplit_once('.')?;
    let (header, payload) = signing_input.split_once('.')?;
    let header = URL_SAFE_NO_PAD.decode(header).ok()?;
    if serde_json::from_slice::<Header<'_>>(&header).ok()?.alg != c.alg.name() {
        return None;
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims = serde_json::from_slice(&payload).ok()?;
    Some(PlainParts {
        signing_input,
        signature,
        claims,
    })
}

fn b64d(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).unwrap()
}

/// A Clerk-like payload padded with a custom claim so that the token is about `target_len`.
fn token_for(sign: &dyn Fn(&Value) -> String, target_len: usize) -> String {
    let mut payload = clerk_payload(NOW);
    let unpadded = sign(&payload).len();
    if unpadded < target_len {
        // Four base64 characters per three bytes of JSON.
        let pad = (target_len - unpadded) * 3 / 4;
        payload["org_slug"] = Value::String("x".repeat(pad.saturating_sub(14)));
    }
    sign(&payload)
}

fn test_key(alg: Algorithm) -> TestKey {
    match alg {
        Algorithm::RS256 | Algorithm::PS256 => keys::rsa2048_a(),
        Algorithm::ES256 => keys::p256(),
        Algorithm::ES384 => keys::p384(),
        Algorithm::EdDSA => keys::ed25519(),
        other => panic!("{other} has no bench key"),
    }
}

/// The case for `alg` with a token of about `target_len` bytes.
pub(crate) fn case(alg: Algorithm, target_len: usize) -> Case {
    use jsonwebtoken::DecodingKey;
    let (token, key, floor, peer_key) = if alg == Algorithm::HS256 {
        let header = json!({"typ": "JWT"});
        let token = token_for(&|p| hmac_sign(alg, SECRET, &header, p), target_len);
        (
            token,
            VerifyingKey::hmac(SECRET).unwrap(),
            Floor::Hmac(hmac::Key::new(hmac::HMAC_SHA256, SECRET)),
            DecodingKey::from_secret(SECRET),
        )
    } else {
        let kit = test_key(alg);
        let header = json!({"typ": "JWT", "kid": "ins_2abc3def4ghi5jkl6mno7pqr8st"});
        let token = token_for(&|p| kit.sign(alg, &header, p), target_len);
        let key = kit.verifying_key();
        let jwk = key.to_jwk().unwrap();
        let (floor, peer_key) = match alg {
            Algorithm::RS256 | Algorithm::PS256 => {
                let (n, e) = (jwk.n.as_deref().unwrap(), jwk.e.as_deref().unwrap());
                let floor = Floor::Rsa {
                    params: if alg == Algorithm::RS256 {
                        &signature::RSA_PKCS1_2048_8192_SHA256
                    } else {
                        &signature::RSA_PSS_2048_8192_SHA256
                    },
                    n: b64d(n),
                    e: b64d(e),
                };
                (floor, DecodingKey::from_rsa_components(n, e).unwrap())
            }
            Algorithm::ES256 | Algorithm::ES384 => {
                let (x, y) = (jwk.x.as_deref().unwrap(), jwk.y.as_deref().unwrap());
                let mut point = vec![4u8];
                point.extend(b64d(x));
                point.extend(b64d(y));
                let floor = Floor::Unparsed {
                    alg: if alg == Algorithm::ES256 {
                        &signature::ECDSA_P256_SHA256_FIXED
                    } else {
                        &signature::ECDSA_P384_SHA384_FIXED
                    },
                    public: point,
                };
                (floor, DecodingKey::from_ec_components(x, y).unwrap())
            }
            _ => {
                let x = jwk.x.as_deref().unwrap();
                let floor = Floor::Unparsed {
                    alg: &signature::ED25519,
                    public: b64d(x),
                };
                (floor, DecodingKey::from_ed_components(x).unwrap())
            }
        };
        (token, key, floor, peer_key)
    };
    let (msg, sig) = token.rsplit_once('.').unwrap();
    let (msg, sig) = (msg.as_bytes().to_vec(), b64d(sig));
    assert!(
        floor.verify(&msg, &sig),
        "{alg}: the floor rejects the token"
    );
    Case {
        alg,
        token,
        key,
        floor,
        msg,
        sig,
        peer_key,
    }
}

/// The rules every bench verifies with: issuer and authorized party on, `exp` and `sub`
/// required (the default), 5 s leeway.
pub(crate) fn rules(alg: Algorithm) -> Validation {
    Validation::new([alg])
        .with_issuers([ISSUER])
        .with_authorized_parties([AZP])
}

/// `jsonwebtoken`'s closest equivalent of [`rules`]: the algorithm, `exp` and `sub`
/// required, `exp` and `nbf` checked, the issuer checked. It has no authorized-party check
/// and no `iat` check, so it does slightly less work than we do. It reads the clock itself,
/// so its leeway is widened by the distance between the bench's fixed `now` and the real
/// clock: the `exp` and `nbf` comparisons still run.
pub(crate) fn peer_rules(alg: Algorithm) -> jsonwebtoken::Validation {
    let peer_alg = match alg {
        Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
        Algorithm::PS256 => jsonwebtoken::Algorithm::PS256,
        Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
        Algorithm::ES384 => jsonwebtoken::Algorithm::ES384,
        Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        Algorithm::HS256 => jsonwebtoken::Algorithm::HS256,
        other => panic!("{other} is not benched"),
    };
    let mut v = jsonwebtoken::Validation::new(peer_alg);
    let real_now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    v.leeway = real_now.saturating_sub(NOW.unsigned_abs()) + 3_600;
    v.validate_nbf = true;
    v.set_issuer(&[ISSUER]);
    v.set_required_spec_claims(&["exp", "sub"]);
    v
}
