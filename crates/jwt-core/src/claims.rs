//! A ready-made claims type that keeps every claim.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// All claims of a token, unchanged and in their original order, with typed accessors for the
/// registered ones. Use it as the `C` of [`Verified`](crate::Verified) when you do not want to
/// define a struct.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Claims(Map<String, Value>);

impl Claims {
    /// Any claim by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// A string claim by name (`None` if absent or not a string).
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// `sub`, if it is a string.
    pub fn sub(&self) -> Option<&str> {
        self.get_str("sub")
    }

    /// `iss`, if it is a string.
    pub fn iss(&self) -> Option<&str> {
        self.get_str("iss")
    }

    /// `azp`, if it is a string.
    pub fn azp(&self) -> Option<&str> {
        self.get_str("azp")
    }

    /// `exp` in whole seconds, if it is an integer.
    pub fn exp(&self) -> Option<i64> {
        self.0.get("exp").and_then(Value::as_i64)
    }

    /// `iat` in whole seconds, if it is an integer.
    pub fn iat(&self) -> Option<i64> {
        self.0.get("iat").and_then(Value::as_i64)
    }

    /// `nbf` in whole seconds, if it is an integer.
    pub fn nbf(&self) -> Option<i64> {
        self.0.get("nbf").and_then(Value::as_i64)
    }

    /// All claims.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// All claims, by value.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }
}

impl From<Map<String, Value>> for Claims {
    fn from(m: Map<String, Value>) -> Self {
        Claims(m)
    }
}
