//! The JWK loader: JSON text to `Jwk` to `VerifyingKey`. Nothing may panic; a key that loads
//! must never be an HMAC key (those come only from explicit secrets) and must round-trip
//! through its JWK form.
#![no_main]
#![forbid(unsafe_code)]

use jwt_core::{KeyFamily, VerifyingKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(key) = VerifyingKey::from_jwk_json(&text) {
        assert_ne!(key.family(), KeyFamily::Hmac, "hmac key from a jwk");
        let jwk = key.to_jwk().expect("public keys have a jwk form");
        let again = VerifyingKey::from_jwk(&jwk).expect("a key's own jwk loads");
        assert_eq!(again.to_jwk(), Some(jwk));
    }
});
