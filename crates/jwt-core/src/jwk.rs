//! JSON Web Key (RFC 7517) public-key documents.

use serde::{Deserialize, Serialize};

/// A JSON Web Key as it appears on the wire: every member optional, nothing trusted yet.
///
/// Turn it into a usable key with [`VerifyingKey::from_jwk`](crate::VerifyingKey::from_jwk),
/// which enforces the key type, curve, `use`, `key_ops` and `alg` rules. Unknown members are
/// ignored; a member given twice is a parse error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Jwk {
    /// Key type: `RSA`, `EC`, `OKP` (or `oct`, which is refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kty: Option<String>,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Algorithm the key is pinned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Intended use: `sig` or `enc`.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Permitted operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
    /// RSA modulus (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Curve name for `EC` and `OKP` keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate, or the OKP public key (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// Private key member; its presence makes the key unusable here (we never hold private keys).
    #[serde(default, skip_serializing)]
    pub d: Option<Present>,
    /// Symmetric key member; its presence makes the key unusable here.
    #[serde(default, skip_serializing)]
    pub k: Option<Present>,
}

/// Records that a secret member was present without keeping its value, so that a `Debug` print
/// of a [`Jwk`] can never leak private or symmetric key material.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Present;

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Present)
    }
}

impl Jwk {
    /// Parses one JWK from JSON text.
    ///
    /// ```
    /// let jwk = jwt_core::Jwk::from_json(r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#).unwrap();
    /// assert_eq!(jwk.kty.as_deref(), Some("OKP"));
    /// ```
    pub fn from_json(json: &str) -> Result<Jwk, crate::KeyError> {
        serde_json::from_str(json).map_err(|_| crate::KeyError::InvalidJwk {
            detail: "not a json web key object",
        })
    }
}
