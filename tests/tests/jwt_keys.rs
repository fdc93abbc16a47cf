//! Key loading in jwt-core: the forms users paste keys in all load to the same key, and a key
//! loaded any way verifies the same tokens.
//!
//! "The same key" is checked through the public JWK form (`VerifyingKey::to_jwk`), which holds
//! every byte of the public key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use integration_tests::{TestKey, clerk_payload, keys, pem_der};
use jwt_core::{Algorithm, Claims, KeyError, KeyFamily, Timestamp, Validation, VerifyingKey};
use serde_json::json;

const NOW: i64 = 1_700_000_000;

/// The ways people paste a PEM: from files, `.env` values, JSON strings, chat messages.
fn pasted_forms(pem: &str) -> Vec<(&'static str, String)> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let first = pem.lines().next().unwrap();
    let last = pem.lines().last().unwrap();
    vec![
        ("as generated", pem.to_owned()),
        ("crlf", pem.replace('\n', "\r\n")),
        ("literal \\n escapes", pem.trim_end().replace('\n', "\\n")),
        (
            "literal \\r\\n escapes",
            pem.trim_end().replace('\n', "\\r\\n"),
        ),
        ("one line, spaces", pem.trim_end().replace('\n', " ")),
        ("one line, no separators", format!("{first}{body}{last}")),
        ("surrounding whitespace", format!("\n\n  {pem}  \n\t")),
        ("no armour", body.clone()),
        (
            "no armour, wrapped",
            body.as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        (
            "body re-wrapped at 76",
            format!(
                "{first}\n{}\n{last}\n",
                body.as_bytes()
                    .chunks(76)
                    .map(|c| std::str::from_utf8(c).unwrap())
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        ),
    ]
}

fn kit_keys() -> Vec<(TestKey, Algorithm)> {
    vec![
        (keys::rsa2048_a(), Algorithm::RS256),
        (keys::rsa3072(), Algorithm::PS384),
        (keys::rsa4096(), Algorithm::RS512),
        (keys::p256(), Algorithm::ES256),
        (keys::p384(), Algorithm::ES384),
        (keys::ed25519(), Algorithm::EdDSA),
    ]
}

#[test]
fn every_pasted_pem_form_loads_the_same_key() {
    for (kit, _) in kit_keys() {
        let reference = kit.verifying_key().to_jwk().unwrap();
        for (what, text) in pasted_forms(kit.public_pem) {
            let key = VerifyingKey::from_pem(&text)
                .unwrap_or_else(|e| panic!("{} {what}: {e}", kit.name));
            assert_eq!(key.to_jwk().unwrap(), reference, "{} {what}", kit.name);
        }
    }
}

#[test]
fn pkcs1_spki_der_and_jwk_forms_agree() {
    let pairs = [
        (keys::rsa2048_a(), keys::RSA2048_A_PKCS1_PEM),
        (keys::demo_rsa2048(), keys::DEMO_PKCS1_PEM),
    ];
    for (kit, pkcs1_pem) in pairs {
        let reference = kit.verifying_key().to_jwk().unwrap();
        let from_pkcs1 = VerifyingKey::from_pem(pkcs1_pem).unwrap();
        assert_eq!(from_pkcs1.to_jwk().unwrap(), reference, "{}", kit.name);
        assert_eq!(from_pkcs1.rsa_bits(), Some(2048));
        // PKCS#1 body without armour: tried after SPKI.
        let body: String = pkcs1_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        assert_eq!(
            VerifyingKey::from_pem(&body).unwrap().to_jwk().unwrap(),
            reference
        );
        // DER of both forms.
        let pkcs1_der = pem_der(pkcs1_pem);
        assert_eq!(
            VerifyingKey::from_pkcs1_der(&pkcs1_der)
                .unwrap()
                .to_jwk()
                .unwrap(),
            reference
        );
        // The wrong DER entry point is a clean error, not a different key.
        assert_eq!(
            VerifyingKey::from_spki_der(&pkcs1_der).unwrap_err(),
            KeyError::InvalidDer
        );
        // A PKCS#1 body under an SPKI label is refused, not guessed at.
        let mislabeled = format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----");
        assert_eq!(
            VerifyingKey::from_pem(&mislabeled).unwrap_err(),
            KeyError::InvalidDer
        );
    }
    for (kit, _) in kit_keys() {
        let reference = kit.verifying_key().to_jwk().unwrap();
        let spki = pem_der(kit.public_pem);
        assert_eq!(
            VerifyingKey::from_spki_der(&spki)
                .unwrap()
                .to_jwk()
                .unwrap(),
            reference
        );
        let jwk = kit.public_jwk("k1", None).to_string();
        assert_eq!(
            VerifyingKey::from_jwk_json(&jwk).unwrap().to_jwk().unwrap(),
            reference
        );
    }
}

/// A key loaded from any form verifies a real token signed by the matching private key, and
/// only that key does.
#[test]
fn loaded_keys_verify_real_tokens() {
    let now = Timestamp::from_unix_seconds(NOW);
    let all = kit_keys();
    for (kit, alg) in &all {
        let token = kit.sign(*alg, &json!({"typ": "JWT"}), &clerk_payload(NOW));
        let rules = Validation::new([*alg]);
        let forms = [
            VerifyingKey::from_pem(kit.public_pem).unwrap(),
            VerifyingKey::from_pem(&kit.public_pem.replace('\n', "\\n")).unwrap(),
            VerifyingKey::from_spki_der(&pem_der(kit.public_pem)).unwrap(),
            VerifyingKey::from_jwk_json(&kit.public_jwk("k", Some(*alg)).to_string()).unwrap(),
        ];
        for key in &forms {
            let ok = rules.verify::<Claims>(&token, key, now).unwrap();
            assert_eq!(ok.algorithm(), *alg);
            assert_eq!(ok.claims().sub(), Some("user_2abc3def4ghi5jkl6mno7pqr8st"));
        }
        // Another key of the same family does not verify it.
        for (other, other_alg) in &all {
            if other.name != kit.name && other_alg.family() == alg.family() {
                let e = rules
                    .verify::<Claims>(&token, &other.verifying_key(), now)
                    .unwrap_err();
                assert_eq!(
                    e.code(),
                    "invalid-signature",
                    "{} vs {}",
                    kit.name,
                    other.name
                );
            }
        }
    }
}

#[test]
fn key_facts_are_reported() {
    let k = keys::rsa4096().verifying_key();
    assert_eq!(
        (k.family(), k.rsa_bits(), k.pinned_algorithm()),
        (KeyFamily::Rsa, Some(4096), None)
    );
    assert!(k.supports(Algorithm::RS256) && k.supports(Algorithm::PS512));
    assert!(!k.supports(Algorithm::ES256) && !k.supports(Algorithm::HS256));
    let p = k.clone().pin(Algorithm::PS256).unwrap();
    assert!(p.supports(Algorithm::PS256) && !p.supports(Algorithm::RS256));
    assert_eq!(p.to_jwk().unwrap().alg.as_deref(), Some("PS256"));
    assert_eq!(keys::p384().verifying_key().family(), KeyFamily::EcP384);
    assert_eq!(keys::ed25519().verifying_key().rsa_bits(), None);
    // Debug output names the family and size, never key bytes.
    let dbg = format!("{k:?}");
    let n = k.to_jwk().unwrap().n.unwrap();
    assert!(dbg.contains("4096") && !dbg.contains(&n[..16]), "{dbg}");
}

/// Garbled PEM is an error at load, with a code that says what is wrong.
#[test]
fn garbled_pem_is_reported_at_load() {
    let pem = keys::rsa2048_a().public_pem;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let cases = [
        (
            "truncated body",
            pem.replacen(&body[..40], "", 1),
            "invalid-der",
        ),
        (
            "bad base64",
            pem.replacen(&body[..4], "!!!!", 1),
            "invalid-pem",
        ),
        (
            "missing end line",
            pem.lines().take(3).collect::<Vec<_>>().join("\n"),
            "invalid-pem",
        ),
        (
            "mismatched end label",
            pem.replace("END PUBLIC KEY", "END RSA PUBLIC KEY"),
            "invalid-pem",
        ),
        ("two keys", format!("{pem}{pem}"), "invalid-pem"),
        (
            "certificate",
            pem.replace("PUBLIC KEY", "CERTIFICATE"),
            "invalid-pem",
        ),
        (
            "encrypted private key",
            pem.replace("PUBLIC KEY", "ENCRYPTED PRIVATE KEY"),
            "private-key-pem",
        ),
        (
            "ec private key",
            pem.replace("PUBLIC KEY", "EC PRIVATE KEY"),
            "private-key-pem",
        ),
        ("empty", String::new(), "invalid-pem"),
        (
            "only armour",
            "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----".into(),
            "invalid-pem",
        ),
        (
            "trailing DER byte",
            {
                let mut der = pem_der(pem);
                der.push(0);
                STANDARD.encode(der)
            },
            "invalid-der",
        ),
    ];
    for (what, text, code) in cases {
        let e = VerifyingKey::from_pem(&text).unwrap_err();
        assert_eq!(e.code(), code, "{what}: {e:?}");
    }
}

/// Keys, rules, results and errors can be shared across threads (a server verifies tokens from
/// many tasks with one key set) and errors box into `dyn Error`.
#[test]
fn types_are_thread_safe_and_errors_are_std_errors() {
    fn send_sync<T: Send + Sync + 'static>() {}
    fn std_error<T: std::error::Error + Send + Sync + 'static>() {}
    send_sync::<VerifyingKey>();
    send_sync::<Validation>();
    send_sync::<jwt_core::Verified<Claims>>();
    send_sync::<jwt_core::Header>();
    std_error::<jwt_core::Error>();
    std_error::<KeyError>();
    let e: Box<dyn std::error::Error + Send + Sync> = Box::new(KeyError::InvalidPem);
    assert_eq!(e.to_string(), "not a pem-encoded public key");
}
