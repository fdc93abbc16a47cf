//! Negative tests for jwt-core: one case per `Error` and `KeyError` code (exact code asserted,
//! and a check that no code is left without a case), then the attack classes from the security
//! history of JWT libraries, each with real keys from the test kit.

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use integration_tests::{
    TestKey, clerk_payload, finish, hmac_sign, keys, pem_der, signing_input_raw,
};
use jwt_core::{
    Algorithm, Claim, Claims, Error, KeyError, KeyFamily, Limits, Part, Timestamp, Validation,
    VerifyingKey,
};
use serde_json::{Value, json};

const NOW: i64 = 1_700_000_000;
const SECRET: &[u8] = b"an-hmac-secret-of-at-least-32-bytes!!";

fn now() -> Timestamp {
    Timestamp::from_unix_seconds(NOW)
}

fn rules(algs: &[Algorithm]) -> Validation {
    Validation::new(algs.iter().copied())
}

fn verify(v: &Validation, token: &str, key: &VerifyingKey) -> Result<Claims, Error> {
    v.verify::<Claims>(token, key, now())
        .map(|ok| ok.into_claims())
}

fn rsa() -> TestKey {
    keys::rsa2048_a()
}

fn rs256(payload: &Value) -> String {
    rsa().sign(Algorithm::RS256, &json!({"typ": "JWT"}), payload)
}

fn rs256_raw(header: &str, payload: &str) -> String {
    finish(
        &rsa(),
        Algorithm::RS256,
        &signing_input_raw(header, payload),
    )
}

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

fn unb64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).unwrap()
}

/// Every `Error::code()` jwt-core defines. A new variant must be added here and given a case.
const ERROR_CODES: &[&str] = &[
    "token-too-long",
    "malformed-segments",
    "malformed-base64",
    "malformed-utf8",
    "malformed-json",
    "duplicate-member",
    "nesting-too-deep",
    "header-parameter-type",
    "kid-too-long",
    "critical-header",
    "unencoded-payload",
    "unsupported-algorithm",
    "algorithm-not-allowed",
    "invalid-type",
    "key-algorithm-mismatch",
    "invalid-signature",
    "missing-claim",
    "invalid-claim-type",
    "invalid-audience",
    "invalid-authorized-party",
    "invalid-issuer",
    "expired",
    "not-yet-valid",
    "issued-in-future",
    "claims-deserialize",
];

/// Every `KeyError::code()` jwt-core defines.
const KEY_ERROR_CODES: &[&str] = &[
    "invalid-pem",
    "private-key-pem",
    "invalid-der",
    "key-too-large",
    "unsupported-key-type",
    "unsupported-curve",
    "rsa-key-size",
    "rsa-parameters",
    "invalid-public-key-bytes",
    "invalid-jwk",
    "jwk-base64",
    "symmetric-jwk",
    "private-jwk",
    "not-for-signatures",
    "unsupported-algorithm",
    "algorithm-family-mismatch",
    "weak-hmac-secret",
    "not-hmac",
];

#[test]
fn every_error_code_has_a_case() {
    let key = rsa().verifying_key();
    let rs = rules(&[Algorithm::RS256]);
    let p = clerk_payload(NOW);
    let mut seen = BTreeSet::new();
    let mut check = |want: Error, got: Result<Claims, Error>| {
        let got = got.expect_err(want.code());
        assert_eq!(got, want);
        assert!(!got.to_string().is_empty());
        // Messages start lowercase (algorithm names keep their case).
        let msg = got.to_string();
        assert!(msg.starts_with(|c: char| c.is_ascii_lowercase()), "{msg}");
        seen.insert(want.code());
    };

    check(
        Error::TokenTooLong {
            len: 65_537,
            max: 65_536,
        },
        verify(&rs, &"a".repeat(65_537), &key),
    );
    check(Error::MalformedSegments, verify(&rs, "a.b", &key));
    check(
        Error::MalformedBase64 { part: Part::Header },
        verify(&rs, "e30=.e30.c2ln", &key),
    );
    check(
        Error::MalformedUtf8 {
            part: Part::Payload,
        },
        verify(
            &rs,
            &format!(
                "{}.{}.c2ln",
                b64(br#"{"alg":"RS256"}"#),
                b64(b"{\"a\":\"\xc3\x28\"}")
            ),
            &key,
        ),
    );
    check(
        Error::MalformedJson {
            part: Part::Payload,
        },
        verify(&rs, &rs256_raw(r#"{"alg":"RS256"}"#, "[1,2]"), &key),
    );
    check(
        Error::DuplicateMember {
            part: Part::Payload,
            name: "exp".into(),
        },
        verify(
            &rs,
            &rs256_raw(
                r#"{"alg":"RS256"}"#,
                r#"{"sub":"u","exp":1,"exp":99999999999}"#,
            ),
            &key,
        ),
    );
    check(
        Error::NestingTooDeep {
            part: Part::Payload,
        },
        verify(
            &rs,
            &rs256_raw(
                r#"{"alg":"RS256"}"#,
                &format!(r#"{{"x":{}{}}}"#, "[".repeat(40), "]".repeat(40)),
            ),
            &key,
        ),
    );
    check(
        Error::HeaderParameterType { name: "typ" },
        verify(
            &rs,
            &rs256_raw(r#"{"alg":"RS256","typ":["JWT"]}"#, "{}"),
            &key,
        ),
    );
    check(
        Error::KidTooLong,
        verify(
            &rs,
            &rs256_raw(
                &format!(r#"{{"alg":"RS256","kid":"{}"}}"#, "k".repeat(257)),
                "{}",
            ),
            &key,
        ),
    );
    check(
        Error::CriticalHeader,
        verify(
            &rs,
            &rs256_raw(r#"{"alg":"RS256","crit":["b64"],"b64":true}"#, "{}"),
            &key,
        ),
    );
    check(
        Error::UnencodedPayload,
        verify(
            &rs,
            &rs256_raw(r#"{"alg":"RS256","b64":false}"#, "{}"),
            &key,
        ),
    );
    check(
        Error::UnsupportedAlgorithm {
            name: "none".into(),
        },
        verify(
            &rs,
            &format!(
                "{}.{}.",
                b64(br#"{"alg":"none"}"#),
                b64(p.to_string().as_bytes())
            ),
            &key,
        ),
    );
    check(
        Error::AlgorithmNotAllowed {
            alg: Algorithm::RS384,
        },
        verify(&rs, &rsa().sign(Algorithm::RS384, &json!({}), &p), &key),
    );
    check(
        Error::InvalidType {
            typ: Some("at+jwt".into()),
        },
        verify(
            &rs.clone().with_header_types(["JWT"]),
            &rsa().sign(Algorithm::RS256, &json!({"typ":"at+jwt"}), &p),
            &key,
        ),
    );
    check(
        Error::KeyAlgorithmMismatch {
            alg: Algorithm::ES256,
            family: KeyFamily::Rsa,
        },
        verify(
            &rules(&[Algorithm::RS256, Algorithm::ES256]),
            &keys::p256().sign(Algorithm::ES256, &json!({}), &p),
            &key,
        ),
    );
    check(
        Error::InvalidSignature,
        verify(
            &rs,
            &keys::rsa2048_b().sign(Algorithm::RS256, &json!({}), &p),
            &key,
        ),
    );
    check(
        Error::MissingClaim { claim: Claim::Exp },
        verify(&rs, &rs256(&json!({"sub":"u"})), &key),
    );
    check(
        Error::InvalidClaimType {
            claim: Claim::Sub,
            found: Box::new(json!(42)),
        },
        verify(&rs, &rs256(&json!({"sub":42,"exp":NOW + 60})), &key),
    );
    check(
        Error::InvalidAudience {
            aud: Box::new(json!("other")),
        },
        verify(
            &rs.clone().with_audiences(["api"]),
            &rs256(&json!({"sub":"u","exp":NOW + 60,"aud":"other"})),
            &key,
        ),
    );
    check(
        Error::InvalidAuthorizedParty {
            azp: Some(Box::new(json!("https://app.example.com"))),
        },
        verify(
            &rs.clone()
                .with_authorized_parties(["https://other.example.com"]),
            &rs256(&p),
            &key,
        ),
    );
    check(
        Error::InvalidIssuer {
            iss: Some(Box::new(json!("https://clerk.example.com"))),
        },
        verify(&rs.clone().with_issuers(["https://x"]), &rs256(&p), &key),
    );
    check(
        Error::Expired {
            exp_ms: (NOW - 10) * 1000,
            now_ms: NOW * 1000,
        },
        verify(&rs, &rs256(&json!({"sub":"u","exp":NOW - 10})), &key),
    );
    check(
        Error::NotYetValid {
            nbf_ms: (NOW + 10) * 1000,
            now_ms: NOW * 1000,
        },
        verify(
            &rs,
            &rs256(&json!({"sub":"u","exp":NOW + 60,"nbf":NOW + 10})),
            &key,
        ),
    );
    check(
        Error::IssuedInFuture {
            iat_ms: (NOW + 10) * 1000,
            now_ms: NOW * 1000,
        },
        verify(
            &rs,
            &rs256(&json!({"sub":"u","exp":NOW + 60,"iat":NOW + 10})),
            &key,
        ),
    );
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code, reason = "the field is only deserialized")]
    struct NeedsOrg {
        org_id: String,
    }
    let e = rs.verify::<NeedsOrg>(&rs256(&p), &key, now()).unwrap_err();
    assert!(matches!(e, Error::ClaimsDeserialize { .. }), "{e:?}");
    seen.insert(e.code());

    let all: BTreeSet<_> = ERROR_CODES.iter().copied().collect();
    assert_eq!(seen, all, "every error code has exactly one case here");
}

#[test]
fn every_key_error_code_has_a_case() {
    let mut seen = BTreeSet::new();
    let mut check = |want: &str, got: Result<VerifyingKey, KeyError>| {
        let e = got.expect_err(want);
        assert_eq!(e.code(), want, "{e:?}");
        assert!(!e.to_string().is_empty());
        seen.insert(e.code());
    };
    let jwk = |v: Value| VerifyingKey::from_jwk_json(&v.to_string());
    let rsa_jwk = rsa().public_jwk("k", None);
    let with = |mut base: Value, k: &str, v: Value| {
        base[k] = v;
        base
    };

    check(
        "invalid-pem",
        VerifyingKey::from_pem("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----"),
    );
    check("private-key-pem", VerifyingKey::from_pem(rsa().private_pem));
    check(
        "invalid-der",
        VerifyingKey::from_spki_der(&[0x30, 0x03, 0x02, 0x01, 0x01]),
    );
    check("key-too-large", VerifyingKey::from_pem(&"A".repeat(70_000)));
    // An X25519 SPKI (OID 1.3.101.110): a real key type, but not a signature key.
    let mut x25519 = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00,
    ];
    x25519.extend([9u8; 32]);
    check("unsupported-key-type", VerifyingKey::from_spki_der(&x25519));
    // secp256k1 is refused by both backends (P-521 loads with aws-lc-rs).
    check(
        "unsupported-curve",
        jwk(json!({"kty":"EC","crv":"secp256k1","x":b64(&[1; 32]),"y":b64(&[1; 32])})),
    );
    check(
        "rsa-key-size",
        VerifyingKey::from_pem(keys::rsa1024().public_pem),
    );
    check(
        "rsa-parameters",
        jwk(with(rsa_jwk.clone(), "e", json!(b64(&[1, 0, 0])))),
    );
    check(
        "invalid-public-key-bytes",
        jwk(json!({"kty":"OKP","crv":"Ed25519","x":b64(&[1u8; 31])})),
    );
    check("invalid-jwk", jwk(json!({"kty":"RSA","e":"AQAB"})));
    check(
        "jwk-base64",
        jwk(with(rsa_jwk.clone(), "e", json!("AQAB=="))),
    );
    check("symmetric-jwk", jwk(json!({"kty":"oct","k":b64(SECRET)})));
    check(
        "private-jwk",
        jwk(with(rsa_jwk.clone(), "d", json!("AQAB"))),
    );
    check(
        "not-for-signatures",
        jwk(with(rsa_jwk.clone(), "use", json!("enc"))),
    );
    check(
        "unsupported-algorithm",
        jwk(with(rsa_jwk.clone(), "alg", json!("none"))),
    );
    check(
        "algorithm-family-mismatch",
        jwk(with(rsa_jwk.clone(), "alg", json!("ES256"))),
    );
    check("weak-hmac-secret", VerifyingKey::hmac(&[7; 31]));
    check("not-hmac", VerifyingKey::hmac_for(Algorithm::RS256, SECRET));

    let all: BTreeSet<_> = KEY_ERROR_CODES.iter().copied().collect();
    assert_eq!(seen, all, "every key error code has a case here");
}

/// All 16 casings of "none" (and lookalikes) are refused as unsupported, whatever the key
/// family and allow-list, with or without a signature segment.
#[test]
fn none_in_every_casing() {
    let payload = b64(clerk_payload(NOW).to_string().as_bytes());
    let all_keys = [
        rsa().verifying_key(),
        keys::p256().verifying_key(),
        keys::ed25519().verifying_key(),
        VerifyingKey::hmac(SECRET).unwrap(),
    ];
    let every = rules(&Algorithm::ALL);
    let mut names: Vec<String> = (0..16u8)
        .map(|mask| {
            "none"
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if mask & (1 << i) != 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect()
        })
        .collect();
    names.extend([
        "none ".into(),
        " none".into(),
        "none\u{0}".into(),
        "nOnE".into(),
    ]);
    for name in &names {
        assert_eq!(Algorithm::from_name(name), None);
        assert!(!Algorithm::is_known_unsupported(name));
        let header = b64(json!({"alg": name, "typ": "JWT"}).to_string().as_bytes());
        for sig in ["", "c2ln"] {
            let token = format!("{header}.{payload}.{sig}");
            for key in &all_keys {
                let e = verify(&every, &token, key).unwrap_err();
                assert_eq!(e.code(), "unsupported-algorithm", "{name:?}");
            }
        }
    }
    // `none` is not a name `Validation` can even be configured with.
    assert!("none".parse::<Algorithm>().is_err());
}

/// The classic algorithm-confusion attack: the attacker HMAC-signs a token using the bytes of
/// the server's *public* key (PEM text, DER, or JWK JSON) as the secret and sets `alg: HS256`.
#[test]
fn hmac_keyed_with_public_key_bytes_is_refused() {
    let payload = clerk_payload(NOW);
    for kit in [rsa(), keys::p256(), keys::ed25519()] {
        let key = kit.verifying_key();
        let spki = pem_der(kit.public_pem);
        let jwk_text = kit.public_jwk("k", None).to_string();
        for secret in [kit.public_pem.as_bytes(), &spki, jwk_text.as_bytes()] {
            for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
                let forged = hmac_sign(alg, secret, &json!({"typ":"JWT"}), &payload);
                // Allow-list of the key's own algorithms: refused before the key is used.
                let own = rules(&[Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA]);
                assert_eq!(
                    verify(&own, &forged, &key).unwrap_err(),
                    Error::AlgorithmNotAllowed { alg }
                );
                // Even a careless allow-list that mixes HMAC in cannot use a public key as a
                // secret: the key's family decides, before any cryptography.
                let careless = rules(&Algorithm::ALL);
                assert_eq!(
                    verify(&careless, &forged, &key).unwrap_err(),
                    Error::KeyAlgorithmMismatch {
                        alg,
                        family: key.family()
                    },
                    "{}",
                    kit.name
                );
            }
        }
        // No loader turns public-key material into an HMAC key.
        assert_ne!(
            VerifyingKey::from_pem(kit.public_pem).unwrap().family(),
            KeyFamily::Hmac
        );
        assert_ne!(
            VerifyingKey::from_spki_der(&spki).unwrap().family(),
            KeyFamily::Hmac
        );
        assert_ne!(
            VerifyingKey::from_jwk_json(&jwk_text).unwrap().family(),
            KeyFamily::Hmac
        );
        for hs in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let pinned = kit.public_jwk("k", None);
            let mut pinned = pinned.clone();
            pinned["alg"] = hs.name().into();
            assert_eq!(
                VerifyingKey::from_jwk_json(&pinned.to_string())
                    .unwrap_err()
                    .code(),
                "algorithm-family-mismatch"
            );
            assert_eq!(
                kit.verifying_key().pin(hs).unwrap_err().code(),
                "algorithm-family-mismatch"
            );
            assert!(!kit.verifying_key().supports(hs));
        }
    }
    // A JWK of kty "oct" (what a JWKS could smuggle in) is refused outright.
    let oct = json!({"kty":"oct","k":b64(SECRET),"alg":"HS256"}).to_string();
    assert_eq!(
        VerifyingKey::from_jwk_json(&oct).unwrap_err().code(),
        "symmetric-jwk"
    );
}

/// `jwk`, `jku`, `x5u`, `x5c` in the header never decide trust: an attacker who signs with
/// their own key and embeds it (or points to it) is rejected by the configured key.
#[test]
fn embedded_key_headers_are_ignored() {
    let attacker = keys::rsa2048_b();
    let configured = rsa().verifying_key();
    let attacker_jwk = attacker.public_jwk("attacker", Some(Algorithm::RS256));
    let header = json!({
        "typ": "JWT",
        "kid": "k",
        "jwk": attacker_jwk,
        "jku": "https://attacker.example/jwks.json",
        "x5u": "https://attacker.example/cert.pem",
        "x5c": [STANDARD.encode(pem_der(attacker.public_pem))],
    });
    let token = attacker.sign(Algorithm::RS256, &header, &clerk_payload(NOW));
    let rs = rules(&[Algorithm::RS256]);
    assert_eq!(
        verify(&rs, &token, &configured),
        Err(Error::InvalidSignature)
    );
    // The token is genuinely valid for the embedded key: only trust is missing.
    assert!(verify(&rs, &token, &attacker.verifying_key()).is_ok());
    // The header members remain visible for tooling, unverified.
    let (h, _) = jwt_core::danger::insecure_decode(&token).unwrap();
    assert!(h.get("jwk").is_some() && h.get("jku").is_some());

    // Same for ES256 and EdDSA, with the embedded key of another family.
    for (signer, alg) in [
        (keys::p256(), Algorithm::ES256),
        (keys::ed25519(), Algorithm::EdDSA),
    ] {
        let h = json!({"jwk": signer.public_jwk("x", None)});
        let t = signer.sign(alg, &h, &clerk_payload(NOW));
        assert_eq!(
            verify(&rules(&[alg]), &t, &configured).unwrap_err().code(),
            "key-algorithm-mismatch"
        );
    }
}

/// Big-endian `a - b` for equal-length byte strings with `a >= b`.
fn sub_be(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    assert_eq!(borrow, 0);
    out
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// ECDSA signatures with r or s equal to zero or to the group order n (the "psychic
/// signatures" class, CVE-2022-21449) are rejected; so are DER-encoded signatures, which JWS
/// does not use.
#[test]
fn ecdsa_zero_and_order_components_are_rejected() {
    let cases = [
        (
            keys::p256(),
            Algorithm::ES256,
            hex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"),
        ),
        (
            keys::p384(),
            Algorithm::ES384,
            hex(
                "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
            ),
        ),
    ];
    for (kit, alg, n) in cases {
        let token = kit.sign(alg, &json!({}), &clerk_payload(NOW));
        let (input, sig) = token.rsplit_once('.').unwrap();
        let sig = unb64(sig);
        let half = sig.len() / 2;
        assert_eq!(half, n.len());
        let (r, s) = sig.split_at(half);
        let zero = vec![0u8; half];
        let v = rules(&[alg]);
        let key = kit.verifying_key();
        assert!(verify(&v, &token, &key).is_ok());
        let forged = [
            [&zero[..], &zero[..]].concat(),
            [&zero[..], s].concat(),
            [r, &zero[..]].concat(),
            [&n[..], s].concat(),
            [r, &n[..]].concat(),
            [&n[..], &n[..]].concat(),
            [&n[..], &zero[..]].concat(),
        ];
        for (i, f) in forged.iter().enumerate() {
            let t = format!("{input}.{}", b64(f));
            assert_eq!(
                verify(&v, &t, &key),
                Err(Error::InvalidSignature),
                "{alg} case {i}"
            );
        }
        // DER `SEQUENCE { INTEGER r, INTEGER s }` is not the JWS form.
        let int = |x: &[u8]| {
            let mut v = x.to_vec();
            if v[0] & 0x80 != 0 {
                v.insert(0, 0);
            }
            [vec![0x02, v.len() as u8], v].concat()
        };
        let body = [int(r), int(s)].concat();
        let der = [vec![0x30, body.len() as u8], body].concat();
        let t = format!("{input}.{}", b64(&der));
        assert_eq!(
            verify(&v, &t, &key),
            Err(Error::InvalidSignature),
            "{alg} der"
        );
        // Documented limit, not a defect: ECDSA is malleable, (r, n - s) also verifies.
        // Never use a token's signature as a unique identifier.
        let t = format!("{input}.{}", b64(&[r, &sub_be(&n, s)].concat()));
        assert!(verify(&v, &t, &key).is_ok(), "{alg} high-s");
    }
}

/// Signatures of the wrong length for their algorithm are invalid signatures, never panics.
#[test]
fn wrong_signature_lengths() {
    let p = clerk_payload(NOW);
    let hs = VerifyingKey::hmac(SECRET).unwrap();
    let cases: Vec<(String, VerifyingKey, Algorithm)> = vec![
        (rs256(&p), rsa().verifying_key(), Algorithm::RS256),
        (
            keys::p256().sign(Algorithm::ES256, &json!({}), &p),
            keys::p256().verifying_key(),
            Algorithm::ES256,
        ),
        (
            keys::p384().sign(Algorithm::ES384, &json!({}), &p),
            keys::p384().verifying_key(),
            Algorithm::ES384,
        ),
        (
            keys::ed25519().sign(Algorithm::EdDSA, &json!({}), &p),
            keys::ed25519().verifying_key(),
            Algorithm::EdDSA,
        ),
        (
            hmac_sign(Algorithm::HS256, SECRET, &json!({}), &p),
            hs.clone(),
            Algorithm::HS256,
        ),
        (
            hmac_sign(Algorithm::HS512, SECRET, &json!({}), &p),
            hs,
            Algorithm::HS512,
        ),
    ];
    for (token, key, alg) in cases {
        let v = rules(&[alg]);
        assert!(verify(&v, &token, &key).is_ok(), "{alg}");
        let (input, sig) = token.rsplit_once('.').unwrap();
        let sig = unb64(sig);
        let mut variants = vec![
            Vec::new(),
            sig[..sig.len() - 1].to_vec(),
            [&sig[..], &[0]].concat(),
            [&[0], &sig[..]].concat(),
            [&sig[..], &sig[..]].concat(),
            sig[..sig.len() / 2].to_vec(),
        ];
        if alg == Algorithm::HS512 {
            // An HS256-length prefix of an HS512 MAC (truncated HMAC) is not accepted.
            variants.push(sig[..32].to_vec());
        }
        for bad in variants {
            let t = format!("{input}.{}", b64(&bad));
            assert_eq!(
                verify(&v, &t, &key),
                Err(Error::InvalidSignature),
                "{alg} len {}",
                bad.len()
            );
        }
    }
}

/// Only canonical unpadded base64url is accepted in every segment: no padding, no `+` or `/`,
/// no non-zero trailing bits, no whitespace, even where a lenient decoder would produce the
/// very bytes that were signed.
#[test]
fn non_canonical_base64url_is_refused() {
    let token = rs256(&clerk_payload(NOW));
    let key = rsa().verifying_key();
    let v = rules(&[Algorithm::RS256]);
    assert!(verify(&v, &token, &key).is_ok());
    let segs: Vec<&str> = token.split('.').collect();
    let parts = [Part::Header, Part::Payload, Part::Signature];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut tested = BTreeSet::new();
    for (i, part) in parts.iter().enumerate() {
        let bytes = unb64(segs[i]);
        let mut variants: Vec<(&str, String)> = vec![
            ("padding", {
                let padded = URL_SAFE.encode(&bytes);
                if padded.ends_with('=') {
                    padded
                } else {
                    format!("{padded}=")
                }
            }),
            ("space", format!("{} {}", &segs[i][..4], &segs[i][4..])),
            ("newline", format!("{}\n{}", &segs[i][..4], &segs[i][4..])),
            ("crlf", format!("{}\r\n{}", &segs[i][..4], &segs[i][4..])),
            ("tab", format!("{}\t{}", &segs[i][..4], &segs[i][4..])),
            ("trailing-newline", format!("{}\n", segs[i])),
            ("percent", format!("{}%3D", segs[i])),
        ];
        let standard = STANDARD.encode(&bytes).trim_end_matches('=').to_owned();
        if standard != segs[i] {
            variants.push(("standard-alphabet", standard));
        }
        if !segs[i].len().is_multiple_of(4) {
            // Set a trailing bit that carries no data.
            let last = *segs[i].as_bytes().last().unwrap();
            let pos = alphabet.iter().position(|c| *c == last).unwrap();
            let dirty = alphabet[pos | 1] as char;
            variants.push((
                "trailing-bits",
                format!("{}{dirty}", &segs[i][..segs[i].len() - 1]),
            ));
        }
        for (what, seg) in variants {
            let mut s: Vec<String> = segs.iter().map(|s| (*s).to_owned()).collect();
            s[i] = seg;
            let t = s.join(".");
            assert_eq!(
                verify(&v, &t, &key),
                Err(Error::MalformedBase64 { part: *part }),
                "{what} in {part:?}"
            );
            tested.insert(what);
        }
    }
    for what in [
        "padding",
        "standard-alphabet",
        "trailing-bits",
        "space",
        "newline",
    ] {
        assert!(tested.contains(what), "{what} was never exercised");
    }
    // Whitespace around the whole token is not trimmed either.
    assert_eq!(
        verify(&v, &format!(" {token}"), &key),
        Err(Error::MalformedBase64 { part: Part::Header })
    );
    assert_eq!(
        verify(&v, &format!("{token}\n"), &key),
        Err(Error::MalformedBase64 {
            part: Part::Signature
        })
    );
}

/// Duplicate `alg` in the header or duplicate `exp` in the payload (two parsers could read
/// different values) are refused, even when correctly signed, at every nesting level.
#[test]
fn duplicate_members_are_refused() {
    let key = rsa().verifying_key();
    let v = rules(&[Algorithm::RS256, Algorithm::HS256]);
    let cases = [
        (
            r#"{"alg":"RS256","alg":"HS256"}"#,
            r#"{"sub":"u","exp":9999999999}"#,
            Part::Header,
            "alg",
        ),
        (
            r#"{"alg":"RS256","alg":"RS256"}"#,
            r#"{"sub":"u","exp":9999999999}"#,
            Part::Header,
            "alg",
        ),
        (
            r#"{"alg":"RS256"}"#,
            r#"{"sub":"u","exp":1,"exp":9999999999}"#,
            Part::Payload,
            "exp",
        ),
        (
            r#"{"alg":"RS256"}"#,
            r#"{"sub":"u","sub":"admin","exp":9999999999}"#,
            Part::Payload,
            "sub",
        ),
        (
            r#"{"alg":"RS256"}"#,
            r#"{"sub":"u","exp":9999999999,"o":{"r":1,"r":2}}"#,
            Part::Payload,
            "r",
        ),
        // JSON escapes are decoded before comparison.
        (
            r#"{"alg":"RS256"}"#,
            r#"{"sub":"u","exp":1,"\u0065xp":9999999999}"#,
            Part::Payload,
            "exp",
        ),
    ];
    for (h, p, part, name) in cases {
        assert_eq!(
            verify(&v, &rs256_raw(h, p), &key),
            Err(Error::DuplicateMember {
                part,
                name: name.into()
            }),
            "{h} {p}"
        );
    }
}

/// Registered claims with the wrong JSON type are errors, never treated as absent.
#[test]
fn wrong_typed_claims() {
    let key = rsa().verifying_key();
    let v = rules(&[Algorithm::RS256])
        .with_audiences(["api"])
        .with_issuers(["https://clerk.example.com"])
        .with_authorized_parties(["https://app.example.com"]);
    let base = json!({"sub":"u","exp":NOW + 60,"aud":"api","iss":"https://clerk.example.com","azp":"https://app.example.com"});
    assert!(verify(&v, &rs256(&base), &key).is_ok());
    let cases: [(&str, Value, &str); 16] = [
        ("sub", json!(1), "invalid-claim-type"),
        ("sub", json!(null), "invalid-claim-type"),
        ("sub", json!(["u"]), "invalid-claim-type"),
        ("exp", json!("9999999999"), "invalid-claim-type"),
        ("exp", json!(null), "invalid-claim-type"),
        ("exp", json!(true), "invalid-claim-type"),
        ("exp", json!(1e300), "invalid-claim-type"),
        ("exp", json!(u64::MAX), "invalid-claim-type"),
        ("nbf", json!("0"), "invalid-claim-type"),
        ("nbf", json!({}), "invalid-claim-type"),
        ("iat", json!([NOW]), "invalid-claim-type"),
        ("aud", json!(1), "invalid-claim-type"),
        ("aud", json!(["api", 1]), "invalid-claim-type"),
        ("aud", json!({"api":true}), "invalid-claim-type"),
        ("iss", json!(1), "invalid-issuer"),
        (
            "azp",
            json!(["https://app.example.com"]),
            "invalid-authorized-party",
        ),
    ];
    for (claim, value, code) in cases {
        let mut p = base.clone();
        p[claim] = value.clone();
        let e = verify(&v, &rs256(&p), &key).unwrap_err();
        assert_eq!(e.code(), code, "{claim} = {value}");
    }
}

/// Over-long and deeply nested inputs are refused with their own codes, cheaply.
#[test]
fn huge_and_deeply_nested_inputs() {
    let key = rsa().verifying_key();
    let v = rules(&[Algorithm::RS256]);
    // Length is checked before anything else, even on something token-shaped.
    let big = format!("{}.{}.{}", "e".repeat(40_000), "e".repeat(40_000), "e");
    assert_eq!(
        verify(&v, &big, &key),
        Err(Error::TokenTooLong {
            len: 80_003,
            max: 65_536
        })
    );
    // A configurable limit applies to a perfectly good token.
    let token = rs256(&clerk_payload(NOW));
    let tight = v.clone().with_limits(Limits {
        max_token_len: 100,
        ..Limits::default()
    });
    assert_eq!(
        verify(&tight, &token, &key).unwrap_err().code(),
        "token-too-long"
    );
    // Exactly at the limit is accepted.
    let exact = v.clone().with_limits(Limits {
        max_token_len: token.len(),
        ..Limits::default()
    });
    assert!(verify(&exact, &token, &key).is_ok());

    // Nesting: just over the default depth, and as deep as the length limit allows.
    for depth in [33usize, 1_000, 20_000] {
        let deep = format!(
            r#"{{"sub":"u","exp":9999999999,"x":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert_eq!(
            verify(&v, &rs256_raw(r#"{"alg":"RS256"}"#, &deep), &key),
            Err(Error::NestingTooDeep {
                part: Part::Payload
            }),
            "depth {depth}"
        );
        let deep_obj = format!(
            r#"{{"alg":"RS256","x":{}1{}}}"#,
            r#"{"a":"#.repeat(depth.min(5_000)),
            "}".repeat(depth.min(5_000))
        );
        let t = format!("{}.{}.c2ln", b64(deep_obj.as_bytes()), b64(b"{}"));
        assert_eq!(
            verify(&v, &t, &key),
            Err(Error::NestingTooDeep { part: Part::Header }),
            "depth {depth}"
        );
    }
    // At the default depth of 32 the token still parses.
    let ok = format!(
        r#"{{"sub":"u","exp":9999999999,"x":{}{}}}"#,
        "[".repeat(31),
        "]".repeat(31)
    );
    assert!(verify(&v, &rs256_raw(r#"{"alg":"RS256"}"#, &ok), &key).is_ok());
}

/// The key family and a pinned algorithm are checked before any cryptography.
#[test]
fn family_and_pin_mismatches() {
    let p = clerk_payload(NOW);
    let every = rules(&Algorithm::ALL);
    let tokens = [
        (Algorithm::RS256, rs256(&p)),
        (
            Algorithm::PS256,
            rsa().sign(Algorithm::PS256, &json!({}), &p),
        ),
        (
            Algorithm::ES256,
            keys::p256().sign(Algorithm::ES256, &json!({}), &p),
        ),
        (
            Algorithm::ES384,
            keys::p384().sign(Algorithm::ES384, &json!({}), &p),
        ),
        (
            Algorithm::EdDSA,
            keys::ed25519().sign(Algorithm::EdDSA, &json!({}), &p),
        ),
        (
            Algorithm::HS256,
            hmac_sign(Algorithm::HS256, SECRET, &json!({}), &p),
        ),
    ];
    let keys = [
        rsa().verifying_key(),
        keys::p256().verifying_key(),
        keys::p384().verifying_key(),
        keys::ed25519().verifying_key(),
        VerifyingKey::hmac(SECRET).unwrap(),
    ];
    for (alg, token) in &tokens {
        for key in &keys {
            let got = verify(&every, token, key);
            if key.supports(*alg) {
                assert!(got.is_ok(), "{alg} with {:?}", key.family());
            } else {
                assert_eq!(
                    got.unwrap_err(),
                    Error::KeyAlgorithmMismatch {
                        alg: *alg,
                        family: key.family()
                    }
                );
            }
        }
    }
    // A JWK `alg` pins the key: an RS384-pinned key refuses RS256 and PS256 tokens.
    let pinned = rsa().public_jwk("k", Some(Algorithm::RS384)).to_string();
    let pinned = VerifyingKey::from_jwk_json(&pinned).unwrap();
    assert_eq!(pinned.pinned_algorithm(), Some(Algorithm::RS384));
    for (alg, token) in &tokens[..2] {
        assert_eq!(
            verify(&every, token, &pinned).unwrap_err(),
            Error::KeyAlgorithmMismatch {
                alg: *alg,
                family: KeyFamily::Rsa
            }
        );
    }
    let rs384 = rsa().sign(Algorithm::RS384, &json!({}), &p);
    assert!(verify(&every, &rs384, &pinned).is_ok());
    // An HMAC key pinned to HS512 refuses an HS256 token.
    let hs512 = VerifyingKey::hmac_for(Algorithm::HS512, SECRET).unwrap();
    assert_eq!(
        verify(&every, &tokens[5].1, &hs512).unwrap_err().code(),
        "key-algorithm-mismatch"
    );
}

/// Keys outside the accepted range are refused when loaded, in every input form.
#[test]
fn unacceptable_keys_are_refused_at_load() {
    let small = keys::rsa1024();
    assert_eq!(
        VerifyingKey::from_pem(small.public_pem).unwrap_err(),
        KeyError::RsaKeySize { bits: 1024 }
    );
    assert_eq!(
        VerifyingKey::from_spki_der(&pem_der(small.public_pem)).unwrap_err(),
        KeyError::RsaKeySize { bits: 1024 }
    );
    // P-521 needs the aws-lc-rs backend (see `es512_with_the_aws_lc_rs_backend`).
    #[cfg(not(feature = "aws-lc-rs"))]
    {
        let p521 = keys::p521();
        assert_eq!(
            VerifyingKey::from_pem(p521.public_pem).unwrap_err(),
            KeyError::UnsupportedCurve {
                found: "1.3.132.0.35".into()
            }
        );
        let j = json!({"kty":"EC","crv":"P-521","x":b64(&[1; 66]),"y":b64(&[1; 66])});
        assert_eq!(
            VerifyingKey::from_jwk_json(&j.to_string()).unwrap_err(),
            KeyError::UnsupportedCurve {
                found: "P-521".into()
            }
        );
    }
    for crv in ["secp256k1", "P-256K"] {
        let j = json!({"kty":"EC","crv":crv,"x":b64(&[1; 66]),"y":b64(&[1; 66])});
        assert_eq!(
            VerifyingKey::from_jwk_json(&j.to_string()).unwrap_err(),
            KeyError::UnsupportedCurve { found: crv.into() }
        );
    }
    for crv in ["Ed448", "X25519"] {
        let j = json!({"kty":"OKP","crv":crv,"x":b64(&[1; 57])});
        assert_eq!(
            VerifyingKey::from_jwk_json(&j.to_string())
                .unwrap_err()
                .code(),
            "unsupported-curve"
        );
    }
    // Private keys in every PEM flavour are refused, never silently "made public".
    for kit in [rsa(), keys::p256(), keys::ed25519()] {
        assert_eq!(
            VerifyingKey::from_pem(kit.private_pem).unwrap_err(),
            KeyError::PrivateKeyPem
        );
    }
    // ES256K (and ES512 without aws-lc-rs) are named unsupported algorithms, also as a JWK
    // pin.
    let unsupported: &[&str] = if cfg!(feature = "aws-lc-rs") {
        &["ES256K"]
    } else {
        &["ES512", "ES256K"]
    };
    for name in unsupported {
        assert!(Algorithm::is_known_unsupported(name));
        let mut j = rsa().public_jwk("k", None);
        j["alg"] = (*name).into();
        assert_eq!(
            VerifyingKey::from_jwk_json(&j.to_string()).unwrap_err(),
            KeyError::UnsupportedAlgorithm {
                name: (*name).into()
            }
        );
    }
}

/// Without the aws-lc-rs backend, an ES512 token is refused on its header, whatever the key
/// and allow-list, and `Algorithm::ES512` in an allow-list changes nothing.
#[cfg(not(feature = "aws-lc-rs"))]
#[test]
fn es512_is_unsupported_with_ring() {
    let payload = b64(clerk_payload(NOW).to_string().as_bytes());
    let header = b64(br#"{"alg":"ES512","typ":"JWT"}"#);
    let token = format!("{header}.{payload}.{}", b64(&[1; 132]));
    let rules = rules(&[Algorithm::ES256, Algorithm::ES512]);
    for key in [keys::p256().verifying_key(), rsa().verifying_key()] {
        assert_eq!(
            verify(&rules, &token, &key).unwrap_err(),
            Error::UnsupportedAlgorithm {
                name: "ES512".into()
            }
        );
    }
    assert!(!Algorithm::ALL.contains(&Algorithm::ES512));
    assert_eq!(jwt_core::BACKEND, "ring");
}

/// An ES512 token signed with the bundled P-521 key (aws-lc-rs signs: ring cannot).
#[cfg(feature = "aws-lc-rs")]
fn es512_token(header: &Value, payload: &Value) -> String {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P521_SHA512_FIXED_SIGNING, EcdsaKeyPair};
    let mut header = header.clone();
    header["alg"] = "ES512".into();
    let input = integration_tests::signing_input(&header, payload);
    let der = pem_der(keys::p521().private_pem);
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P521_SHA512_FIXED_SIGNING, &der).unwrap();
    let sig = pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
    format!("{input}.{}", b64(sig.as_ref()))
}

/// With the aws-lc-rs backend, P-521 keys load from every form and ES512 tokens verify
/// through the full path, with the same refusals as the other ECDSA algorithms: family and pin
/// checks before any cryptography, r or s zero or equal to the group order, DER signatures,
/// wrong lengths, and a public point that is not on the curve (refused at load).
#[cfg(feature = "aws-lc-rs")]
#[test]
fn es512_with_the_aws_lc_rs_backend() {
    assert_eq!(jwt_core::BACKEND, "aws-lc-rs");
    let kit = keys::p521();
    let from_pem = VerifyingKey::from_pem(kit.public_pem).unwrap();
    let from_der = VerifyingKey::from_spki_der(&pem_der(kit.public_pem)).unwrap();
    let jwk = kit.public_jwk("p521", None);
    assert_eq!(jwk["crv"], "P-521");
    let from_jwk = VerifyingKey::from_jwk_json(&jwk.to_string()).unwrap();
    let pinned = kit.public_jwk("p521", Some(Algorithm::ES512));
    let pinned = VerifyingKey::from_jwk_json(&pinned.to_string()).unwrap();
    assert_eq!(pinned.pinned_algorithm(), Some(Algorithm::ES512));
    for key in [&from_pem, &from_der, &from_jwk, &pinned] {
        assert_eq!(key.family(), KeyFamily::EcP521);
        assert_eq!(key.to_jwk().unwrap().crv.as_deref(), Some("P-521"));
    }

    let p = clerk_payload(NOW);
    let token = es512_token(&json!({"typ": "JWT"}), &p);
    let v = rules(&[Algorithm::ES512]);
    for key in [&from_pem, &from_der, &from_jwk, &pinned] {
        assert_eq!(verify(&v, &token, key).unwrap().sub(), p["sub"].as_str());
    }
    // Allow-list, family and pin, before any cryptography.
    assert_eq!(
        verify(&rules(&[Algorithm::ES256]), &token, &from_pem).unwrap_err(),
        Error::AlgorithmNotAllowed {
            alg: Algorithm::ES512
        }
    );
    let every = rules(&Algorithm::ALL);
    assert_eq!(
        verify(&every, &token, &keys::p384().verifying_key()).unwrap_err(),
        Error::KeyAlgorithmMismatch {
            alg: Algorithm::ES512,
            family: KeyFamily::EcP384
        }
    );
    let es256 = keys::p256().sign(Algorithm::ES256, &json!({}), &p);
    assert_eq!(
        verify(&every, &es256, &from_pem).unwrap_err(),
        Error::KeyAlgorithmMismatch {
            alg: Algorithm::ES256,
            family: KeyFamily::EcP521
        }
    );
    let mut wrong_pin = kit.public_jwk("p521", None);
    wrong_pin["alg"] = "ES256".into();
    assert_eq!(
        VerifyingKey::from_jwk_json(&wrong_pin.to_string()).unwrap_err(),
        KeyError::AlgorithmFamilyMismatch {
            alg: Algorithm::ES256,
            family: KeyFamily::EcP521
        }
    );

    // Forged and malformed signatures.
    let n = hex(
        "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
    );
    let (input, sig) = token.rsplit_once('.').unwrap();
    let sig = unb64(sig);
    assert_eq!(sig.len(), 132);
    let (r, s) = sig.split_at(66);
    let zero = [0u8; 66];
    let forged = [
        [&zero[..], &zero[..]].concat(),
        [&zero[..], s].concat(),
        [r, &zero[..]].concat(),
        [&n[..], s].concat(),
        [r, &n[..]].concat(),
        [&n[..], &n[..]].concat(),
        sig[..131].to_vec(),
        [&sig[..], &[0]].concat(),
        [&[0], &sig[..]].concat(),
        Vec::new(),
    ];
    for (i, f) in forged.iter().enumerate() {
        let t = format!("{input}.{}", b64(f));
        assert_eq!(
            verify(&v, &t, &from_pem),
            Err(Error::InvalidSignature),
            "case {i}"
        );
    }
    let mut flipped = sig.clone();
    flipped[70] ^= 1;
    let t = format!("{input}.{}", b64(&flipped));
    assert_eq!(verify(&v, &t, &from_pem), Err(Error::InvalidSignature));
    // ECDSA is malleable here as with the other curves: (r, n - s) also verifies.
    let t = format!("{input}.{}", b64(&[r, &sub_be(&n, s)].concat()));
    assert!(verify(&v, &t, &from_pem).is_ok(), "high-s");

    // aws-lc-rs validates the point when the key is parsed: a point off the curve, or the
    // wrong size, is refused at load rather than failing every signature later.
    let j = json!({"kty":"EC","crv":"P-521","x":b64(&[1; 66]),"y":b64(&[1; 66])});
    assert_eq!(
        VerifyingKey::from_jwk_json(&j.to_string()).unwrap_err(),
        KeyError::InvalidPublicKeyBytes
    );
    let j = json!({"kty":"EC","crv":"P-521","x":b64(&[1; 65]),"y":b64(&[1; 65])});
    assert_eq!(
        VerifyingKey::from_jwk_json(&j.to_string()).unwrap_err(),
        KeyError::InvalidPublicKeyBytes
    );
    let j = json!({"kty":"EC","crv":"P-256","x":b64(&[1; 32]),"y":b64(&[1; 32])});
    assert_eq!(
        VerifyingKey::from_jwk_json(&j.to_string()).unwrap_err(),
        KeyError::InvalidPublicKeyBytes
    );
}

/// Error messages never carry key material or the token.
#[test]
fn errors_do_not_leak_secrets_or_tokens() {
    let token = rs256(&clerk_payload(NOW));
    let (_, sig) = token.rsplit_once('.').unwrap();
    let e = verify(
        &rules(&[Algorithm::RS256]),
        &token,
        &keys::rsa2048_b().verifying_key(),
    )
    .unwrap_err();
    let msg = format!("{e} {e:?}");
    assert!(!msg.contains(sig) && !msg.contains("user_"), "{msg}");
    let k = VerifyingKey::hmac(SECRET).unwrap();
    assert!(!format!("{k:?}").contains("secret"));
    let long_alg = "A".repeat(10_000);
    let t = format!(
        "{}.e30.",
        b64(json!({"alg": long_alg}).to_string().as_bytes())
    );
    let e = verify(&rules(&[Algorithm::RS256]), &t, &k).unwrap_err();
    assert!(
        e.to_string().len() < 200,
        "attacker-chosen names are truncated"
    );
}

/// A `max_depth` configured above serde_json's own recursion limit (128) still reports
/// over-deep input as `nesting-too-deep`, never as malformed JSON.
#[test]
fn large_configured_depth_still_reports_nesting() {
    let key = rsa().verifying_key();
    let v = rules(&[Algorithm::RS256]).with_limits(Limits {
        max_depth: 1_000,
        ..Limits::default()
    });
    for depth in [130usize, 500, 2_000] {
        let deep = format!(
            r#"{{"sub":"u","exp":9999999999,"x":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert_eq!(
            verify(&v, &rs256_raw(r#"{"alg":"RS256"}"#, &deep), &key),
            Err(Error::NestingTooDeep {
                part: Part::Payload
            }),
            "depth {depth}"
        );
    }
}
