//! The PEM loader (and, through it, the DER reader for SPKI and PKCS#1), plus the DER entry
//! points directly. Nothing may panic; a key that loads must be usable without panicking.
#![no_main]
#![forbid(unsafe_code)]

use jwt_core::{Algorithm, VerifyingKey};
use libfuzzer_sys::fuzz_target;

fn exercise(key: &VerifyingKey) {
    for alg in Algorithm::ALL {
        let _ = key.verify_signature(alg, b"message", &[0u8; 64]);
    }
    let _ = key.to_jwk();
    let _ = format!("{key:?}");
}

fuzz_target!(|data: &[u8]| {
    if let Ok(k) = VerifyingKey::from_spki_der(data) {
        exercise(&k);
    }
    if let Ok(k) = VerifyingKey::from_pkcs1_der(data) {
        exercise(&k);
    }
    let text = String::from_utf8_lossy(data);
    if let Ok(k) = VerifyingKey::from_pem(&text) {
        exercise(&k);
    }
});
