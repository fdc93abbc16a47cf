//! Verified claims as Clerk session payloads (v1 and v2, to the auth object) and as custom
//! JWT-template types.

use clerk_verify::{
    Algorithm, AuthObject, Reason, SessionClaims, Timestamp, Verifier, VerifyTokenOptions,
};
use integration_tests::{clerk_payload, keys};
use serde::Deserialize;
use serde_json::{Value, json};

const NOW_S: i64 = 1_795_788_000;

fn verifier() -> Verifier {
    Verifier::new(&VerifyTokenOptions::default().with_jwt_key(keys::rsa2048_a().public_pem))
        .unwrap()
}

fn sign(payload: &Value) -> String {
    keys::rsa2048_a().sign(Algorithm::RS256, &json!({"typ": "JWT"}), payload)
}

fn now() -> Timestamp {
    Timestamp::from_unix_seconds(NOW_S)
}

#[tokio::test]
async fn a_v2_session_token_to_its_auth_object() {
    let mut p = clerk_payload(NOW_S);
    p["fva"] = json!([5, 12]);
    p["fea"] = json!("o:dashboard,u:export,ou:reports");
    p["pla"] = json!("o:pro");
    p["o"] =
        json!({"id": "org_2x", "slg": "acme", "rol": "admin", "per": "read,manage", "fpm": "3,1"});
    p["act"] = json!({"sub": "user_support", "iss": "https://dashboard.clerk.com"});
    p["metadata"] = json!({"plan": "gold"});
    let claims = verifier().verify_at(&sign(&p), now()).await.unwrap();
    assert!(claims.is_v2());
    assert_eq!(claims.other()["metadata"], json!({"plan": "gold"}));
    let auth = AuthObject::from_claims(&claims).unwrap();
    assert_eq!(auth.user_id, "user_2abc3def4ghi5jkl6mno7pqr8st");
    assert_eq!(
        auth.session_id.as_deref(),
        Some("sess_2abc3def4ghi5jkl6mno7pqr8st")
    );
    assert_eq!(auth.session_status.as_deref(), Some("active"));
    assert_eq!(auth.org_id.as_deref(), Some("org_2x"));
    assert_eq!(auth.org_slug.as_deref(), Some("acme"));
    assert_eq!(auth.org_role.as_deref(), Some("org:admin"));
    assert_eq!(
        auth.org_permissions.unwrap(),
        [
            "org:dashboard:read",
            "org:dashboard:manage",
            "org:reports:read"
        ]
    );
    assert_eq!(auth.factor_verification_age, Some([5, 12]));
    assert_eq!(auth.actor.unwrap().sub, "user_support");
}

#[tokio::test]
async fn a_v1_session_token_to_its_auth_object() {
    let mut p = clerk_payload(NOW_S);
    p.as_object_mut().unwrap().remove("v");
    p["org_id"] = json!("org_1");
    p["org_role"] = json!("org:member");
    p["org_slug"] = json!("acme");
    p["org_permissions"] = json!(["org:billing:read"]);
    let claims: SessionClaims = verifier().verify_at(&sign(&p), now()).await.unwrap();
    let auth = AuthObject::from_claims(&claims).unwrap();
    assert_eq!(auth.org_role.as_deref(), Some("org:member"));
    assert_eq!(auth.org_permissions.unwrap(), ["org:billing:read"]);
}

#[derive(Debug, Deserialize, PartialEq)]
struct TemplateClaims {
    sub: String,
    email: String,
    #[serde(default)]
    roles: Vec<String>,
}

#[tokio::test]
async fn jwt_template_claims_as_custom_types() {
    let mut p = clerk_payload(NOW_S);
    p["email"] = json!("ada@example.com");
    p["roles"] = json!(["admin"]);
    let t = sign(&p);
    let v = verifier();
    let claims: TemplateClaims = v.verify_as_at(&t, now()).await.unwrap();
    assert_eq!(
        claims,
        TemplateClaims {
            sub: "user_2abc3def4ghi5jkl6mno7pqr8st".into(),
            email: "ada@example.com".into(),
            roles: vec!["admin".into()],
        }
    );
    let generic: jwt_core::Claims = v.verify_as_at(&t, now()).await.unwrap();
    assert_eq!(generic.get_str("email"), Some("ada@example.com"));

    let without_email = sign(&clerk_payload(NOW_S));
    let e = v
        .verify_as_at::<TemplateClaims>(&without_email, now())
        .await
        .unwrap_err();
    assert_eq!(e.reason(), Reason::TokenVerificationFailed);
    assert_eq!(
        e.message(),
        "The JWT payload does not match the expected claims type: missing field `email`."
    );
    // The claim checks still come first: an expired template token is token-expired.
    let mut expired = p.clone();
    expired["exp"] = json!(NOW_S - 60);
    let e = v
        .verify_as_at::<TemplateClaims>(&sign(&expired), now())
        .await
        .unwrap_err();
    assert_eq!(e.reason(), Reason::TokenExpired);
}
