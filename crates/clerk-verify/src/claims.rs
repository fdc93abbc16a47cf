//! Clerk's session token payload, v1 and v2, as types.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Number, Value};

/// The claims of a Clerk session token (versions 1 and 2), with every other claim kept in
/// [`other`](Self::other).
///
/// Only the claim types Clerk documents are accepted: a verified token whose `sid` is a
/// number, say, fails with `token-verification-failed` when read as `SessionClaims`. To get
/// the payload exactly as signed, as Clerk's `verifyToken` returns it, verify into
/// `serde_json::Map<String, Value>` with [`Verifier::verify_as`](crate::Verifier::verify_as).
///
/// `exp`, `iat` and `nbf` are whole seconds (fractions truncated, as verification does).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionClaims {
    /// The user id (`user_…`).
    pub sub: String,
    /// The session id (`sess_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The authorized party: the origin of the frontend that requested the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// The issuer: the instance's Frontend API URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Expiry, seconds since the epoch.
    #[serde(deserialize_with = "de_seconds")]
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    #[serde(
        default,
        deserialize_with = "opt_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub iat: Option<i64>,
    /// Not before, seconds since the epoch.
    #[serde(
        default,
        deserialize_with = "opt_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub nbf: Option<i64>,
    /// The token id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The actor, when the session is an impersonation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<Actor>,
    /// Factor verification age: minutes since the first and second factor were verified
    /// (`-1` when never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fva: Option<[i64; 2]>,
    /// The session status (`active`, `pending`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sts: Option<String>,
    /// The session token version: absent for v1, `2` for v2. Kept as any JSON value, as
    /// Clerk reads it (only the number 2 means version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v: Option<Value>,
    /// v2: the active organization, in compact form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub o: Option<OrgClaims>,
    /// v2: the plans, comma-separated scoped ids (`u:free,o:pro`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pla: Option<String>,
    /// v2: the features, comma-separated scoped ids (`o:dashboard,u:export`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fea: Option<String>,
    /// v1: the active organization's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// v1: the active organization's slug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_slug: Option<String>,
    /// v1: the user's role in the active organization (`org:admin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_role: Option<String>,
    /// v1: the user's permissions in the active organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_permissions: Option<Vec<String>>,
    /// Every other claim (`aud`, custom session claims…), unchanged.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl SessionClaims {
    /// Builds the claims from a verified payload by moving each member into its field: the
    /// same result as deserializing with serde, without a second pass over the JSON tree
    /// (this is on the path of every verification). One pass sorts the members into the
    /// documented claims and the rest (keeping the rest in order, without re-hashing any
    /// key); the documented claims are then converted in a fixed order, so the first error
    /// reported does not depend on the order of the members.
    pub(crate) fn from_payload(m: Map<String, Value>) -> Result<Self, String> {
        const NAMES: [&str; 19] = [
            "sub",
            "exp",
            "sid",
            "azp",
            "iss",
            "iat",
            "nbf",
            "jti",
            "act",
            "fva",
            "sts",
            "v",
            "o",
            "pla",
            "fea",
            "org_id",
            "org_slug",
            "org_role",
            "org_permissions",
        ];
        let mut slots: [Option<Value>; NAMES.len()] = Default::default();
        let mut other = Map::new();
        for (k, v) in m {
            match NAMES.iter().position(|n| *n == k) {
                Some(i) => {
                    if let Some(slot) = slots.get_mut(i) {
                        *slot = Some(v);
                    }
                }
                None => {
                    other.insert(k, v);
                }
            }
        }
        let mut slots = slots.into_iter().zip(NAMES);
        let mut next = move || slots.next().unwrap_or((None, ""));
        fn any<T: DeserializeOwned>((v, k): (Option<Value>, &str)) -> Result<Option<T>, String> {
            match v {
                None => Ok(None),
                Some(v) => {
                    serde_json::from_value::<Option<T>>(v).map_err(|e| format!("claim {k:?}: {e}"))
                }
            }
        }
        fn string((v, k): (Option<Value>, &str)) -> Result<Option<String>, String> {
            match v {
                Some(Value::String(s)) => Ok(Some(s)),
                other => any((other, k)),
            }
        }
        fn time((v, k): (Option<Value>, &str)) -> Result<Option<i64>, String> {
            match v {
                None => Ok(None),
                Some(v) => seconds::<serde_json::Error>(v)
                    .map(Some)
                    .map_err(|e| format!("claim {k:?}: {e}")),
            }
        }
        // In the order of NAMES.
        let sub = string(next())?.ok_or("missing field `sub`")?;
        let exp = time(next())?.ok_or("missing field `exp`")?;
        Ok(SessionClaims {
            sub,
            exp,
            sid: string(next())?,
            azp: string(next())?,
            iss: string(next())?,
            iat: time(next())?,
            nbf: time(next())?,
            jti: string(next())?,
            act: any(next())?,
            fva: any(next())?,
            sts: string(next())?,
            v: any(next())?,
            o: any(next())?,
            pla: string(next())?,
            fea: string(next())?,
            org_id: string(next())?,
            org_slug: string(next())?,
            org_role: string(next())?,
            org_permissions: any(next())?,
            other,
        })
    }

    /// Whether this is a version 2 session token (`v: 2`).
    pub fn is_v2(&self) -> bool {
        self.v.as_ref().and_then(Value::as_f64) == Some(2.0)
    }
}

/// The actor of an impersonated session (`act`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Actor {
    /// The impersonating user's id.
    pub sub: String,
    /// Any other actor claims, unchanged.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The v2 organization claim `o`, in Clerk's compact form.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrgClaims {
    /// The organization id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The organization slug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slg: Option<String>,
    /// The role, without the `org:` prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rol: Option<String>,
    /// The permission names, comma-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<String>,
    /// The feature–permission map: one decimal bit mask per organization feature,
    /// comma-separated; bit *i* grants permission *i* of `per`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fpm: Option<String>,
    /// Any other organization claims, unchanged.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A NumericDate in whole seconds: integers as they are, other numbers truncated. Range
/// checks already happened during verification.
fn seconds<E: serde::de::Error>(v: Value) -> Result<i64, E> {
    let Value::Number(n) = v else {
        return Err(E::custom("a time claim must be a number"));
    };
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    n.as_f64()
        .map(f64::trunc)
        .filter(|f| f.is_finite() && f.abs() < 9.2e18)
        // In range by the filter above; `as` truncates toward zero as intended.
        .map(|f| f as i64)
        .ok_or_else(|| E::custom("time claim out of range"))
}

fn de_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    seconds(Value::Number(Number::deserialize(d)?))
}

fn opt_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    de_seconds(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn v2_payload_round_trips_with_extra_claims() {
        let v = json!({
            "azp": "https://app.example.com", "exp": 1700000060, "fva": [3, -1],
            "iat": 1700000000.7, "iss": "https://clerk.example.com", "jti": "j",
            "nbf": 1699999990, "sid": "sess_1", "sts": "active", "sub": "user_1", "v": 2,
            "o": {"id": "org_1", "slg": "acme", "rol": "admin", "per": "read,manage", "fpm": "3", "x": 1},
            "pla": "o:pro", "fea": "o:dashboard", "aud": "api", "custom": {"a": [1]}
        });
        let c: SessionClaims = serde_json::from_value(v).unwrap();
        assert!(c.is_v2());
        assert_eq!(c.iat, Some(1_700_000_000));
        assert_eq!(c.fva, Some([3, -1]));
        let o = c.o.as_ref().unwrap();
        assert_eq!(o.rol.as_deref(), Some("admin"));
        assert_eq!(o.other["x"], 1);
        assert_eq!(c.other["aud"], "api");
        assert_eq!(c.other["custom"], json!({"a": [1]}));
        assert!(!c.other.contains_key("sub"));
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["custom"], json!({"a": [1]}));
        assert_eq!(back["o"]["fpm"], "3");
    }

    #[test]
    fn v1_payload() {
        let v = json!({"sub": "user_1", "exp": 1, "org_id": "org_1", "org_role": "org:admin",
            "org_slug": "acme", "org_permissions": ["org:a:b"], "act": {"sub": "user_2", "iss": "x"}});
        let c: SessionClaims = serde_json::from_value(v).unwrap();
        assert!(!c.is_v2());
        assert_eq!(
            c.org_permissions.as_deref(),
            Some(&["org:a:b".to_owned()][..])
        );
        assert_eq!(c.act.as_ref().unwrap().sub, "user_2");
        assert_eq!(c.act.as_ref().unwrap().other["iss"], "x");
    }

    #[test]
    fn the_fast_path_agrees_with_serde() {
        let cases = [
            json!({"sub": "u", "exp": 1.5, "iat": null, "sid": null, "v": 2, "fva": [1, 2],
                   "o": {"id": "o", "z": 1}, "b": 2, "a": 1, "act": {"sub": "x"}}),
            json!({"sub": "u", "exp": 1, "org_permissions": ["a"], "org_id": "o", "custom": [null]}),
            json!({"sub": "u", "exp": 1, "sid": 5}),
            json!({"sub": "u", "exp": "1"}),
            json!({"sub": "u"}),
            json!({"exp": 1}),
            json!({"sub": 5, "exp": 1}),
            json!({"sub": "u", "exp": 1, "fva": [1]}),
            json!({"sub": "u", "exp": 1, "nbf": true}),
            json!({"sub": "u", "exp": 1e300}),
            json!({"sub": "u", "exp": 1, "act": {"iss": "no sub"}}),
        ];
        for case in cases {
            let Value::Object(m) = case.clone() else {
                unreachable!()
            };
            let fast = SessionClaims::from_payload(m);
            let serde = serde_json::from_value::<SessionClaims>(case.clone());
            match (fast, serde) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a, b, "{case}");
                    let keys = |c: &SessionClaims| c.other.keys().cloned().collect::<Vec<_>>();
                    assert_eq!(keys(&a), keys(&b), "{case}: order of other claims");
                }
                (Err(_), Err(_)) => {}
                (a, b) => panic!("{case}: fast {a:?} serde {b:?}"),
            }
        }
    }

    #[test]
    fn wrong_types_are_refused() {
        for bad in [
            json!({"sub": "u", "exp": 1, "sid": 5}),
            json!({"sub": "u", "exp": "1"}),
            json!({"sub": "u"}),
            json!({"sub": "u", "exp": 1, "fva": [1]}),
        ] {
            assert!(
                serde_json::from_value::<SessionClaims>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
