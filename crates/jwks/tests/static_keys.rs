//! StaticKeys: single keys ignore `kid`, key sets follow the selection rules, and every
//! loading failure has its exact code.

use integration_tests::keys;
use jwks::{KeyProvider, KeyRequest, StaticKeys};
use jwt_core::Algorithm;
use serde_json::json;

fn req(kid: Option<&str>, alg: Algorithm) -> KeyRequest<'_> {
    KeyRequest { kid, alg }
}

#[tokio::test]
async fn single_pem_ignores_kid() {
    let keys = StaticKeys::from_pem(keys::rsa2048_a().public_pem).unwrap();
    assert!(keys.is_single_key());
    for kid in [None, Some("a"), Some("zzz")] {
        let k = keys.key(req(kid, Algorithm::RS256)).await.unwrap();
        assert!(k.supports(Algorithm::RS256));
    }
    // The one key is returned even for another family; verification then says why it fails.
    let k = keys.key(req(None, Algorithm::ES256)).await.unwrap();
    assert!(!k.supports(Algorithm::ES256));
    let listed = keys.key_set().await.unwrap().unwrap();
    assert_eq!(listed.to_jwks()["keys"][0]["kty"], "RSA");
}

#[test]
fn bad_pem_codes() {
    assert_eq!(
        StaticKeys::from_pem(keys::rsa2048_a().private_pem)
            .unwrap_err()
            .code(),
        "private-key-pem"
    );
    assert_eq!(
        StaticKeys::from_pem(keys::rsa1024().public_pem)
            .unwrap_err()
            .code(),
        "rsa-key-size"
    );
    // P-521 loads only with jwt-core's optional aws-lc-rs backend.
    let p521 = StaticKeys::from_pem(keys::p521().public_pem);
    if jwt_core::BACKEND == "ring" {
        assert_eq!(p521.unwrap_err().code(), "unsupported-curve");
    } else {
        assert!(p521.is_ok());
    }
}

#[tokio::test]
async fn single_jwk_keeps_its_kid_for_listing() {
    let jwk = keys::p256().public_jwk("p", Some(Algorithm::ES256));
    let keys = StaticKeys::from_jwk(&jwk.to_string()).unwrap();
    let k = keys
        .key(req(Some("other"), Algorithm::ES256))
        .await
        .unwrap();
    assert_eq!(k.pinned_algorithm(), Some(Algorithm::ES256));
    let listed = keys.key_set().await.unwrap().unwrap().to_jwks();
    assert_eq!(listed["keys"][0]["kid"], "p");
    assert_eq!(listed["keys"][0]["alg"], "ES256");
    let mut oct = jwk.clone();
    oct["kty"] = json!("oct");
    assert_eq!(
        StaticKeys::from_jwk(&oct.to_string()).unwrap_err().code(),
        "symmetric-jwk"
    );
    assert_eq!(
        StaticKeys::from_jwk("[]").unwrap_err().code(),
        "invalid-jwk"
    );
    assert_eq!(
        StaticKeys::from_jwk(&" ".repeat(70_000))
            .unwrap_err()
            .code(),
        "key-too-large"
    );
}

#[tokio::test]
async fn jwks_selection_and_pinning() {
    let doc = json!({"keys": [
        keys::rsa2048_a().public_jwk("a", Some(Algorithm::RS256)),
        keys::rsa2048_b().public_jwk("b", None),
        keys::p256().public_jwk("dup", None),
        keys::p384().public_jwk("dup", None),
        keys::ed25519().public_jwk("dup2", None),
        keys::ed25519().public_jwk("dup2", None),
    ]});
    let keys = StaticKeys::from_jwks(&doc.to_string()).unwrap();
    assert!(!keys.is_single_key());
    assert!(keys.key(req(Some("a"), Algorithm::RS256)).await.is_ok());
    // "a" is pinned to RS256: returned (only key with that kid) but it refuses RS384.
    let a = keys.key(req(Some("a"), Algorithm::RS384)).await.unwrap();
    assert!(!a.supports(Algorithm::RS384));
    assert!(keys.key(req(Some("b"), Algorithm::PS256)).await.is_ok());
    // Same kid, different families: the algorithm decides.
    let p = keys.key(req(Some("dup"), Algorithm::ES384)).await.unwrap();
    assert!(p.supports(Algorithm::ES384));
    // Same kid, two keys that both fit: ambiguous.
    let e = keys
        .key(req(Some("dup2"), Algorithm::EdDSA))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "ambiguous-key");
    assert!(e.is_not_found());
    // No kid: RS256 fits "a" and "b" -> ambiguous; ES256 fits one key only.
    assert_eq!(
        keys.key(req(None, Algorithm::RS256))
            .await
            .unwrap_err()
            .code(),
        "ambiguous-key"
    );
    assert!(keys.key(req(None, Algorithm::ES256)).await.is_ok());
    assert_eq!(
        keys.key(req(Some("zz"), Algorithm::RS256))
            .await
            .unwrap_err()
            .code(),
        "key-not-found"
    );
    let listed = keys.key_set().await.unwrap().unwrap();
    assert_eq!(listed.len(), 6);
}

#[test]
fn jwks_loading_errors() {
    assert_eq!(
        StaticKeys::from_jwks("{").unwrap_err().code(),
        "source-invalid-document"
    );
    assert_eq!(
        StaticKeys::from_jwks(r#"{"keys":[]}"#).unwrap_err().code(),
        "source-no-usable-keys"
    );
    let enc = {
        let mut k = keys::rsa2048_a().public_jwk("a", None);
        k["use"] = json!("enc");
        k
    };
    let err = StaticKeys::from_jwks(&json!({ "keys": [enc] }).to_string()).unwrap_err();
    assert_eq!(err.code(), "source-no-usable-keys");
    assert!(err.to_string().contains("not for signature"), "{err}");
}

#[tokio::test]
async fn jwks_files() {
    let dir = std::env::temp_dir().join(format!("jwks-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.json");
    let doc = json!({"keys": [keys::rsa2048_a().public_jwk("a", None)]});
    std::fs::write(&good, doc.to_string()).unwrap();
    let keys = StaticKeys::from_jwks_file(&good).unwrap();
    assert!(keys.key(req(Some("a"), Algorithm::RS256)).await.is_ok());

    let missing = StaticKeys::from_jwks_file(dir.join("missing.json")).unwrap_err();
    assert_eq!(missing.code(), "source-io");

    let big = dir.join("big.json");
    std::fs::write(&big, vec![b' '; jwks::DEFAULT_MAX_DOCUMENT_LEN + 1]).unwrap();
    assert_eq!(
        StaticKeys::from_jwks_file(&big).unwrap_err().code(),
        "source-body-too-large"
    );

    let latin1 = dir.join("latin1.json");
    std::fs::write(&latin1, [b'{', 0xe9, b'}']).unwrap();
    assert_eq!(
        StaticKeys::from_jwks_file(&latin1).unwrap_err().code(),
        "source-invalid-document"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
