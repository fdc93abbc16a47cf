//! Every failure of DESIGN §3, with its exact reason, message and action, through both the
//! reusable `Verifier` and the one-off `verify_token_at` (which must agree). Tokens are
//! signed with the bundled test keys; `now` is fixed.

use clerk_verify::{
    Algorithm, ConfigError, Reason, Timestamp, Verifier, VerifyTokenOptions, action,
    verify_token_at,
};
use integration_tests::{finish, keys, signing_input_raw};
use jwks::StaticKeys;
use serde_json::{Map, Value, json};

/// Fri, 27 Nov 2026 14:00:00 GMT.
const NOW_S: i64 = 1_795_788_000;
const NOW: &str = "Fri, 27 Nov 2026 14:00:00 GMT";
const ENSURE: Option<&str> = Some(action::ENSURE_CLERK_JWT);

fn now() -> Timestamp {
    Timestamp::from_unix_seconds(NOW_S)
}

fn payload() -> Value {
    integration_tests::clerk_payload(NOW_S)
}

fn with(mut p: Value, f: impl FnOnce(&mut Map<String, Value>)) -> Value {
    f(p.as_object_mut().unwrap());
    p
}

fn sign(header: Value, payload: &Value) -> String {
    keys::rsa2048_a().sign(Algorithm::RS256, &header, payload)
}

fn token(payload: &Value) -> String {
    sign(json!({"typ": "JWT", "kid": "ins_1"}), payload)
}

/// `token` with the signature segment of `other` (a valid signature of other bytes).
fn with_signature_of(token: &str, other: &str) -> String {
    let (input, _) = token.rsplit_once('.').unwrap();
    let (_, signature) = other.rsplit_once('.').unwrap();
    format!("{input}.{signature}")
}

fn pem_options() -> VerifyTokenOptions {
    VerifyTokenOptions::default().with_jwt_key(keys::rsa2048_a().public_pem)
}

struct Case {
    name: &'static str,
    token: String,
    options: VerifyTokenOptions,
    reason: Reason,
    message: String,
    action: Option<&'static str>,
}

fn case(
    name: &'static str,
    token: String,
    options: VerifyTokenOptions,
    reason: Reason,
    message: impl Into<String>,
    action: Option<&'static str>,
) -> Case {
    Case {
        name,
        token,
        options,
        reason,
        message: message.into(),
        action,
    }
}

fn jwks_options(jwks: Value) -> VerifyTokenOptions {
    let keys = StaticKeys::from_jwks(&jwks.to_string()).unwrap();
    VerifyTokenOptions::default().with_key_provider(keys)
}

fn cases() -> Vec<Case> {
    use Reason::*;
    let p = payload();
    let three = "Invalid JWT form. A JWT consists of three parts separated by dots.";
    let undecodable = "Invalid JWT form. The header, payload, or signature could not be decoded.";
    let good_input = signing_input_raw(r#"{"alg":"RS256","typ":"JWT"}"#, &p.to_string());
    let mut padded = good_input.clone();
    padded.insert(padded.find('.').unwrap(), '=');
    let rsa_a = keys::rsa2048_a();
    let p256 = keys::p256();
    vec![
        // 1. Decode.
        case(
            "two segments",
            "a.b".into(),
            pem_options(),
            TokenInvalid,
            three,
            None,
        ),
        case(
            "empty token",
            String::new(),
            pem_options(),
            TokenInvalid,
            three,
            None,
        ),
        case(
            "four segments",
            format!("{}.x", token(&p)),
            pem_options(),
            TokenInvalid,
            three,
            None,
        ),
        case(
            "header not base64url",
            "e!.e30.c2ln".into(),
            pem_options(),
            TokenInvalid,
            undecodable,
            None,
        ),
        case(
            "padded base64url",
            finish(&rsa_a, Algorithm::RS256, &padded),
            pem_options(),
            TokenInvalid,
            undecodable,
            None,
        ),
        case(
            "payload not json",
            finish(
                &rsa_a,
                Algorithm::RS256,
                &signing_input_raw(r#"{"alg":"RS256"}"#, "{"),
            ),
            pem_options(),
            TokenInvalid,
            undecodable,
            None,
        ),
        case(
            "duplicate member",
            finish(
                &rsa_a,
                Algorithm::RS256,
                &signing_input_raw(r#"{"alg":"RS256","alg":"RS256"}"#, &p.to_string()),
            ),
            pem_options(),
            TokenInvalid,
            undecodable,
            None,
        ),
        case(
            "invalid utf-8",
            format!("{}.{}.c2ln", "eyJhbGciOiJSUzI1NiJ9", "_w"),
            pem_options(),
            TokenInvalid,
            undecodable,
            None,
        ),
        // 2. Category.
        case(
            "m2m category",
            sign(json!({"typ": "JWT", "cat": "cl_B7d4PD333AAA"}), &p),
            pem_options(),
            TokenInvalid,
            "Invalid session token category.",
            ENSURE,
        ),
        // 3. typ.
        case(
            "typ not JWT",
            sign(json!({"typ": "at+jwt"}), &p),
            pem_options(),
            TokenInvalid,
            r#"Invalid JWT type "at+jwt". Expected "JWT"."#,
            ENSURE,
        ),
        case(
            // The header is judged before the signature, also with the one static key.
            "typ not JWT, signature also bad",
            with_signature_of(&sign(json!({"typ": "at+jwt"}), &p), &token(&p)),
            pem_options(),
            TokenInvalid,
            r#"Invalid JWT type "at+jwt". Expected "JWT"."#,
            ENSURE,
        ),
        case(
            "typ required when configured",
            sign(json!({}), &p),
            pem_options().with_header_type(["JWT"]),
            TokenInvalid,
            r#"Invalid JWT type undefined. Expected "JWT"."#,
            ENSURE,
        ),
        case(
            "typ not in configured list",
            sign(json!({"typ": "x"}), &p),
            pem_options().with_header_type(["JWT", "at+jwt"]),
            TokenInvalid,
            r#"Invalid JWT type "x". Expected "JWT, at+jwt"."#,
            ENSURE,
        ),
        case(
            "crit header",
            sign(json!({"typ": "JWT", "crit": ["exp"]}), &p),
            pem_options(),
            TokenInvalid,
            r#"Invalid JWT header. Critical header extensions ("crit") are not supported."#,
            ENSURE,
        ),
        // 4. alg.
        case(
            "alg HS256",
            integration_tests::hmac_sign(Algorithm::HS256, &[7; 32], &json!({"typ": "JWT"}), &p),
            pem_options(),
            TokenInvalidAlgorithm,
            r#"Invalid JWT algorithm "HS256". Supported: RS256,RS384,RS512."#,
            ENSURE,
        ),
        case(
            "alg none",
            format!(
                "{}.",
                signing_input_raw(r#"{"alg":"none"}"#, &p.to_string())
            ),
            pem_options(),
            TokenInvalidAlgorithm,
            r#"Invalid JWT algorithm "none". Supported: RS256,RS384,RS512."#,
            ENSURE,
        ),
        case(
            "alg rs256 lowercase",
            finish(
                &rsa_a,
                Algorithm::RS256,
                &signing_input_raw(r#"{"alg":"rs256"}"#, &p.to_string()),
            ),
            pem_options(),
            TokenInvalidAlgorithm,
            r#"Invalid JWT algorithm "rs256". Supported: RS256,RS384,RS512."#,
            ENSURE,
        ),
        case(
            "alg PS256 not allowed",
            rsa_a.sign(Algorithm::PS256, &json!({}), &p),
            pem_options(),
            TokenInvalidAlgorithm,
            r#"Invalid JWT algorithm "PS256". Supported: RS256,RS384,RS512."#,
            ENSURE,
        ),
        case(
            "alg outside a custom list",
            rsa_a.sign(Algorithm::RS384, &json!({}), &p),
            pem_options().with_algorithms([Algorithm::RS256]),
            TokenInvalidAlgorithm,
            r#"Invalid JWT algorithm "RS384". Supported: RS256."#,
            ENSURE,
        ),
        case(
            "alg outside a custom list, signature also bad",
            with_signature_of(&rsa_a.sign(Algorithm::RS384, &json!({}), &p), &token(&p)),
            pem_options().with_algorithms([Algorithm::RS256]),
            TokenInvalidAlgorithm,
            r#"Invalid JWT algorithm "RS384". Supported: RS256."#,
            ENSURE,
        ),
        case(
            "alg missing",
            finish(
                &rsa_a,
                Algorithm::RS256,
                &signing_input_raw(r#"{"typ":"JWT"}"#, &p.to_string()),
            ),
            pem_options(),
            TokenInvalidAlgorithm,
            r#"Invalid JWT algorithm. The "alg" header is missing or not a string. Supported: RS256,RS384,RS512."#,
            ENSURE,
        ),
        // 5. Key resolution.
        case(
            "no key source",
            token(&p),
            VerifyTokenOptions::default(),
            JwkFailedToResolve,
            "Failed to resolve JWK during verification.",
            Some(action::SET_CLERK_JWT_KEY),
        ),
        case(
            "kid not in key set",
            sign(json!({"kid": "k2"}), &p),
            jwks_options(json!({"keys": [rsa_a.public_jwk("k1", None)]})),
            JwkKidMismatch,
            "Unable to find a signing key in JWKS that matches the kid='k2' of the provided session token. Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT.",
            Some(action::KID_MISMATCH),
        ),
        case(
            "two keys share the kid",
            sign(json!({"kid": "k1"}), &p),
            jwks_options(
                json!({"keys": [rsa_a.public_jwk("k1", None), keys::rsa2048_b().public_jwk("k1", None)]}),
            ),
            JwkKidMismatch,
            "Found more than one signing key in JWKS that matches the kid='k1' of the provided session token; refusing to guess.",
            Some(action::KID_MISMATCH),
        ),
        case(
            "configured key unusable",
            token(&p),
            VerifyTokenOptions::default()
                .with_jwt_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"),
            JwkFailedToLoad,
            "Failed to load the configured JWT key: jwt_key cannot be loaded: not a der-encoded public key.",
            Some(action::SET_CLERK_JWT_KEY),
        ),
        case(
            "configured key of the wrong family",
            token(&p),
            VerifyTokenOptions::default().with_jwt_key(p256.public_pem),
            JwkFailedToLoad,
            "Failed to load the configured JWT key: jwt_key is a ec p-256 key, which can verify none of the allowed algorithms {RS256, RS384, RS512}.",
            Some(action::SET_CLERK_JWT_KEY),
        ),
        // 6. Signature.
        case(
            "signed by another key",
            keys::rsa2048_b().sign(Algorithm::RS256, &json!({}), &p),
            pem_options(),
            TokenInvalidSignature,
            "JWT signature is invalid.",
            None,
        ),
        case(
            "signature tampered",
            {
                let t = token(&p);
                format!("{}AAAA", &t[..t.len() - 4])
            },
            pem_options(),
            TokenInvalidSignature,
            "JWT signature is invalid.",
            None,
        ),
        case(
            "payload tampered",
            {
                let t = token(&p);
                let other = token(&with(p.clone(), |m| {
                    m.insert("sub".into(), json!("user_evil"));
                }));
                let parts: Vec<&str> = t.split('.').collect();
                let o: Vec<&str> = other.split('.').collect();
                format!("{}.{}.{}", parts[0], o[1], parts[2])
            },
            pem_options(),
            TokenInvalidSignature,
            "JWT signature is invalid.",
            None,
        ),
        case(
            "key cannot verify the alg",
            sign(json!({"kid": "k1"}), &p),
            jwks_options(json!({"keys": [p256.public_jwk("k1", None)]})),
            TokenVerificationFailed,
            "Error verifying JWT signature. Error: a ec p-256 key cannot verify RS256.",
            ENSURE,
        ),
        // 7. Claims, in order.
        case(
            "sub not a string",
            token(&with(p.clone(), |m| {
                m.insert("sub".into(), json!(5));
            })),
            pem_options(),
            TokenVerificationFailed,
            "Subject claim (sub) is required and must be a string. Received 5.",
            ENSURE,
        ),
        case(
            "sub missing",
            token(&with(p.clone(), |m| {
                m.remove("sub");
            })),
            pem_options(),
            TokenVerificationFailed,
            "Subject claim (sub) is required and must be a string. Received undefined.",
            ENSURE,
        ),
        case(
            "aud not listed",
            token(&with(p.clone(), |m| {
                m.insert("aud".into(), json!("q"));
            })),
            pem_options().with_audience(["x", "y"]),
            TokenVerificationFailed,
            r#"Invalid JWT audience claim (aud) "q". Is not included in "["x","y"]"."#,
            ENSURE,
        ),
        case(
            "aud array not listed",
            token(&with(p.clone(), |m| {
                m.insert("aud".into(), json!(["q", "r"]));
            })),
            pem_options().with_audience(["x", "", "y"]),
            TokenVerificationFailed,
            r#"Invalid JWT audience claim array (aud) ["q","r"]. Is not included in "["x","y"]"."#,
            ENSURE,
        ),
        case(
            "aud malformed",
            token(&with(p.clone(), |m| {
                m.insert("aud".into(), json!(5));
            })),
            pem_options().with_audience(["x"]),
            TokenVerificationFailed,
            "Invalid JWT audience claim (aud) 5. Expected a string or an array of strings.",
            ENSURE,
        ),
        case(
            "aud missing, strict",
            token(&p),
            pem_options()
                .with_audience(["x"])
                .with_strict_audience(true),
            TokenVerificationFailed,
            r#"Invalid JWT audience claim (aud) undefined. Is not included in "["x"]"."#,
            ENSURE,
        ),
        case(
            "aud empty, strict",
            token(&with(p.clone(), |m| {
                m.insert("aud".into(), json!(""));
            })),
            pem_options()
                .with_audience(["x"])
                .with_strict_audience(true),
            TokenVerificationFailed,
            r#"Invalid JWT audience claim (aud) "". Is not included in "["x"]"."#,
            ENSURE,
        ),
        case(
            "azp not listed",
            token(&p),
            pem_options().with_authorized_parties(["https://x.example", "https://y.example"]),
            TokenInvalidAuthorizedParties,
            r#"Invalid JWT Authorized party claim (azp) "https://app.example.com". Expected "https://x.example,https://y.example"."#,
            None,
        ),
        case(
            "azp missing",
            token(&with(p.clone(), |m| {
                m.remove("azp");
            })),
            pem_options().with_authorized_parties(["https://app.example.com"]),
            TokenInvalidAuthorizedParties,
            r#"Invalid JWT Authorized party claim (azp) undefined. Expected "https://app.example.com"."#,
            None,
        ),
        case(
            "iss not listed",
            token(&p),
            pem_options().with_issuer(["https://a.example", "https://b.example"]),
            TokenInvalidIssuer,
            r#"Invalid JWT issuer claim (iss) "https://clerk.example.com". Expected "https://a.example,https://b.example"."#,
            ENSURE,
        ),
        case(
            "iss missing",
            token(&with(p.clone(), |m| {
                m.remove("iss");
            })),
            pem_options().with_issuer(["https://clerk.example.com"]),
            TokenInvalidIssuer,
            r#"Invalid JWT issuer claim (iss) undefined. Expected "https://clerk.example.com"."#,
            ENSURE,
        ),
        case(
            "exp missing",
            token(&with(p.clone(), |m| {
                m.remove("exp");
            })),
            pem_options(),
            TokenVerificationFailed,
            "Invalid JWT expiry date claim (exp) undefined. Expected number.",
            ENSURE,
        ),
        case(
            "exp a string",
            token(&with(p.clone(), |m| {
                m.insert("exp".into(), json!("1795788060"));
            })),
            pem_options(),
            TokenVerificationFailed,
            r#"Invalid JWT expiry date claim (exp) "1795788060". Expected number."#,
            ENSURE,
        ),
        case(
            "exp out of range",
            token(&with(p.clone(), |m| {
                m.insert("exp".into(), json!(1e300));
            })),
            pem_options(),
            TokenVerificationFailed,
            "Invalid JWT expiry date claim (exp) 1e+300. Expected number.",
            ENSURE,
        ),
        case(
            "exp 2^63",
            token(&with(p.clone(), |m| {
                m.insert("exp".into(), json!(9_223_372_036_854_775_807i64));
            })),
            pem_options(),
            TokenVerificationFailed,
            "Invalid JWT expiry date claim (exp) 9223372036854776000. Expected number.",
            ENSURE,
        ),
        case(
            "expired within skew",
            token(&with(p.clone(), |m| {
                m.insert("exp".into(), json!(NOW_S - 5));
            })),
            pem_options(),
            TokenExpired,
            format!(
                "JWT is expired. Expiry date: Fri, 27 Nov 2026 13:59:55 GMT, Current date: {NOW}."
            ),
            None,
        ),
        case(
            "expired at now with zero skew",
            token(&with(p.clone(), |m| {
                m.insert("exp".into(), json!(NOW_S));
            })),
            pem_options().with_clock_skew_ms(0),
            TokenExpired,
            format!("JWT is expired. Expiry date: {NOW}, Current date: {NOW}."),
            None,
        ),
        case(
            "expired ahead of now with negative skew",
            token(&with(p.clone(), |m| {
                m.insert("exp".into(), json!(NOW_S + 2));
            })),
            pem_options().with_clock_skew_ms(-2_000),
            TokenExpired,
            format!(
                "JWT is expired. Expiry date: Fri, 27 Nov 2026 14:00:02 GMT, Current date: {NOW}."
            ),
            None,
        ),
        case(
            "exp fraction truncated",
            token(&with(p.clone(), |m| {
                m.insert("exp".into(), json!(NOW_S as f64 - 4.5));
            })),
            pem_options(),
            TokenExpired,
            format!(
                "JWT is expired. Expiry date: Fri, 27 Nov 2026 13:59:55 GMT, Current date: {NOW}."
            ),
            None,
        ),
        case(
            "nbf wrong type",
            token(&with(p.clone(), |m| {
                m.insert("nbf".into(), json!(null));
            })),
            pem_options(),
            TokenVerificationFailed,
            "Invalid JWT not before date claim (nbf) null. Expected number.",
            ENSURE,
        ),
        case(
            "nbf in the future",
            token(&with(p.clone(), |m| {
                m.insert("nbf".into(), json!(NOW_S + 6));
            })),
            pem_options(),
            TokenNotActiveYet,
            format!(
                "JWT cannot be used prior to not before date claim (nbf). Not before date: Fri, 27 Nov 2026 14:00:06 GMT; Current date: {NOW};"
            ),
            None,
        ),
        case(
            "iat wrong type",
            token(&with(p.clone(), |m| {
                m.insert("iat".into(), json!([1]));
            })),
            pem_options(),
            TokenVerificationFailed,
            "Invalid JWT issued at date claim (iat) [1]. Expected number.",
            ENSURE,
        ),
        case(
            "iat in the future",
            token(&with(p.clone(), |m| {
                m.insert("iat".into(), json!(NOW_S + 6));
            })),
            pem_options(),
            TokenIatInTheFuture,
            format!(
                "JWT issued at date claim (iat) is in the future. Issued at date: Fri, 27 Nov 2026 14:00:06 GMT; Current date: {NOW};"
            ),
            None,
        ),
        // Typed session claims (a deliberate difference: Clerk returns any payload).
        case(
            "sid not a string",
            token(&with(p.clone(), |m| {
                m.insert("sid".into(), json!(5));
            })),
            pem_options(),
            TokenVerificationFailed,
            "The JWT payload does not match the expected claims type: claim \"sid\": invalid type: integer `5`, expected a string.",
            ENSURE,
        ),
        // Limits (deliberate differences).
        case(
            "token too long",
            format!("{}.{}.x", "e".repeat(40_000), "e".repeat(40_000)),
            pem_options(),
            TokenInvalid,
            "Invalid JWT form. The token is longer than the limit of 65536 bytes.",
            None,
        ),
        case(
            "kid too long",
            sign(json!({"kid": "k".repeat(300)}), &p),
            pem_options(),
            TokenInvalid,
            r#"Invalid JWT header. The "kid" header is longer than 256 bytes."#,
            ENSURE,
        ),
        case(
            "typ not a string",
            sign(json!({"typ": 5}), &p),
            pem_options(),
            TokenInvalid,
            r#"Invalid JWT header. The "typ" header parameter has the wrong type."#,
            ENSURE,
        ),
    ]
}

#[tokio::test]
async fn every_failure_has_clerks_reason_message_and_action() {
    let cases = cases();
    assert!(cases.len() > 40);
    for c in cases {
        let one_off = verify_token_at(&c.token, &c.options, now())
            .await
            .expect_err(c.name);
        assert_eq!(one_off.reason(), c.reason, "{}: {one_off}", c.name);
        assert_eq!(one_off.message(), c.message, "{}", c.name);
        assert_eq!(one_off.action(), c.action, "{}", c.name);
        let shape = serde_json::to_value(&one_off).unwrap();
        assert_eq!(shape["reason"], c.reason.as_str(), "{}", c.name);
        assert_eq!(shape["message"], c.message.as_str(), "{}", c.name);
        assert_eq!(shape["action"], json!(c.action), "{}", c.name);
        match Verifier::new(&c.options) {
            Ok(v) => {
                let reused = v.verify_at(&c.token, now()).await.expect_err(c.name);
                assert_eq!(reused.reason(), one_off.reason(), "{}", c.name);
                assert_eq!(reused.message(), one_off.message(), "{}", c.name);
                assert_eq!(reused.action(), one_off.action(), "{}", c.name);
                assert!(!reused.is_configuration_error(), "{}", c.name);
            }
            Err(config) => {
                assert!(one_off.is_configuration_error(), "{}", c.name);
                assert_eq!(one_off.config_error(), Some(&config), "{}", c.name);
            }
        }
    }
}

#[tokio::test]
async fn underlying_errors_are_the_source() {
    use std::error::Error as _;
    let p = payload();
    let e = verify_token_at(
        &token(&with(p, |m| {
            m.insert("exp".into(), json!(1));
        })),
        &pem_options(),
        now(),
    )
    .await
    .unwrap_err();
    let src = e
        .source()
        .unwrap()
        .downcast_ref::<jwt_core::Error>()
        .unwrap();
    assert_eq!(src.code(), "expired");
    assert_eq!(e.token_error().map(jwt_core::Error::code), Some("expired"));
    assert!(e.is_token_invalid() && !e.is_key_infrastructure_unavailable());
    assert!(e.to_string().starts_with("token-expired: JWT is expired."));

    let kid = sign(json!({"kid": "nope"}), &payload());
    let keys = StaticKeys::from_jwks(
        &json!({"keys": [keys::rsa2048_a().public_jwk("k1", None)]}).to_string(),
    )
    .unwrap();
    let e = Verifier::new(&VerifyTokenOptions::default().with_key_provider(keys))
        .unwrap()
        .verify_at(&kid, now())
        .await
        .unwrap_err();
    assert_eq!(e.key_lookup_error().unwrap().code(), "key-not-found");
    assert!(
        e.source()
            .unwrap()
            .downcast_ref::<jwks::KeyLookupError>()
            .is_some()
    );
}

#[tokio::test]
async fn success_returns_the_payload_unchanged() {
    let p = with(payload(), |m| {
        m.insert("aud".into(), json!(["api", "other"]));
        m.insert("custom".into(), json!({"nested": [1, 2.5, "x"]}));
        m.insert("exp".into(), json!(NOW_S as f64 + 59.75));
    });
    let t = token(&p);
    let options = pem_options()
        .with_audience(["api"])
        .with_authorized_parties(["https://app.example.com"])
        .with_issuer(["https://clerk.example.com"])
        .with_header_type(["JWT"])
        .with_strict_audience(true);
    let v = Verifier::new(&options).unwrap();
    let raw: Map<String, Value> = v.verify_as_at(&t, now()).await.unwrap();
    assert_eq!(Value::Object(raw.clone()), p);
    assert_eq!(
        serde_json::to_string(&raw).unwrap(),
        p.to_string(),
        "member order is kept"
    );
    let claims = v.verify_at(&t, now()).await.unwrap();
    assert_eq!(claims.sub(), "user_2abc3def4ghi5jkl6mno7pqr8st");
    assert_eq!(claims.exp(), NOW_S + 59);
    assert_eq!(claims.other()["custom"], json!({"nested": [1, 2.5, "x"]}));
    let one_off = verify_token_at(&t, &options, now()).await.unwrap();
    assert_eq!(one_off, claims);
    // Clerk's PEM path ignores the kid; so do we.
    let v = Verifier::new(&pem_options()).unwrap();
    let other_kid = sign(json!({"typ": "JWT", "kid": "anything"}), &payload());
    assert!(v.verify_at(&other_kid, now()).await.is_ok());
    // RS384 and RS512 are in the default allow-list.
    for alg in [Algorithm::RS384, Algorithm::RS512] {
        let t = keys::rsa2048_a().sign(alg, &json!({"typ": "JWT"}), &payload());
        assert!(v.verify_at(&t, now()).await.is_ok(), "{alg}");
    }
}

#[tokio::test]
async fn skew_boundaries() {
    let at = |exp: i64, skew: i64| {
        let t = token(&with(payload(), |m| {
            m.insert("exp".into(), json!(exp));
            m.remove("nbf");
            m.remove("iat");
        }));
        let o = pem_options().with_clock_skew_ms(skew);
        async move {
            verify_token_at(&t, &o, now())
                .await
                .map(|_| ())
                .map_err(|e| e.reason())
        }
    };
    assert_eq!(at(NOW_S - 4, 5_000).await, Ok(()));
    assert_eq!(at(NOW_S - 5, 5_000).await, Err(Reason::TokenExpired));
    assert_eq!(at(NOW_S + 1, 0).await, Ok(()));
    assert_eq!(at(NOW_S, 0).await, Err(Reason::TokenExpired));
    assert_eq!(at(NOW_S + 3, -2_000).await, Ok(()));
    assert_eq!(at(NOW_S + 2, -2_000).await, Err(Reason::TokenExpired));
    // Milliseconds of `now` count: with exp 13:59:56 and 5 s skew, 14:00:00.999 is not
    // expired and 14:00:01.000 is.
    let t = token(&with(payload(), |m| {
        m.insert("exp".into(), json!(NOW_S - 4));
    }));
    let ms = |extra: i64| Timestamp::from_unix_millis(NOW_S * 1000 + extra);
    assert!(verify_token_at(&t, &pem_options(), ms(999)).await.is_ok());
    let e = verify_token_at(&t, &pem_options(), ms(1000))
        .await
        .unwrap_err();
    assert_eq!(e.reason(), Reason::TokenExpired);
    assert_eq!(
        e.message(),
        "JWT is expired. Expiry date: Fri, 27 Nov 2026 13:59:56 GMT, Current date: Fri, 27 Nov 2026 14:00:01 GMT."
    );
}

#[test]
fn nonsensical_options_are_refused_up_front() {
    let pem = keys::rsa2048_a().public_pem;
    let refused = |o: VerifyTokenOptions| Verifier::new(&o).unwrap_err();
    assert_eq!(
        refused(VerifyTokenOptions::default()),
        ConfigError::NoKeySource
    );
    assert_eq!(
        refused(
            VerifyTokenOptions::default()
                .with_jwt_key(pem)
                .with_algorithms([])
        ),
        ConfigError::NoAlgorithms
    );
    assert_eq!(
        refused(
            VerifyTokenOptions::default()
                .with_jwt_key(pem)
                .with_algorithms([Algorithm::RS256, Algorithm::HS256])
        ),
        ConfigError::HmacWithPublicKeySource
    );
    assert_eq!(
        refused(
            VerifyTokenOptions::default()
                .with_secret_key("sk_test_x")
                .with_algorithms([Algorithm::HS512])
        ),
        ConfigError::HmacWithPublicKeySource
    );
    assert_eq!(
        refused(
            VerifyTokenOptions::default()
                .with_jwt_key(pem)
                .with_authorized_parties(["https://a", ""])
        ),
        ConfigError::EmptyAuthorizedParty
    );
    assert_eq!(
        refused(
            VerifyTokenOptions::default()
                .with_jwt_key(pem)
                .with_header_type(Vec::<String>::new())
        ),
        ConfigError::EmptyHeaderTypes
    );
    assert_eq!(
        refused(VerifyTokenOptions::default().with_jwt_key(keys::rsa1024().public_pem)).code(),
        "invalid-jwt-key"
    );
    assert_eq!(
        refused(VerifyTokenOptions::default().with_jwt_key(keys::ed25519().public_pem)).code(),
        "key-cannot-verify-allowed-algorithms"
    );
    assert_eq!(
        refused(
            VerifyTokenOptions::default()
                .with_secret_key("sk")
                .with_api_url("api.clerk.com")
        )
        .code(),
        "invalid-api-url"
    );
    // An EC key is fine once its algorithm is allowed; PEM in one line or with \n escapes too.
    assert!(
        Verifier::new(
            &VerifyTokenOptions::default()
                .with_jwt_key(keys::p256().public_pem)
                .with_algorithms([Algorithm::ES256])
        )
        .is_ok()
    );
    let escaped = pem.trim_end().replace('\n', "\\n");
    assert!(Verifier::new(&VerifyTokenOptions::default().with_jwt_key(escaped)).is_ok());
    let one_line = pem.lines().collect::<Vec<_>>().join("");
    assert!(Verifier::new(&VerifyTokenOptions::default().with_jwt_key(one_line)).is_ok());
}
