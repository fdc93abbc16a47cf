//! The signed-in auth object Clerk derives from session claims (`auth()` in Clerk's SDKs).

use core::fmt;

use serde::Serialize;

use crate::claims::{Actor, SessionClaims};

/// What Clerk's SDKs expose about a signed-in session, derived from its claims exactly as
/// `@clerk/shared`'s `JWTPayloadToAuthObjectProperties` does.
///
/// ```
/// use clerk_verify::{AuthObject, SessionClaims};
/// let claims: SessionClaims = serde_json::from_value(serde_json::json!({
///     "sub": "user_1", "sid": "sess_1", "exp": 1, "v": 2, "fea": "o:dashboard,u:export",
///     "o": {"id": "org_1", "slg": "acme", "rol": "admin", "per": "read,manage", "fpm": "3"}
/// }))?;
/// let auth = AuthObject::from_claims(&claims)?;
/// assert_eq!(auth.org_role.as_deref(), Some("org:admin"));
/// assert_eq!(
///     auth.org_permissions.unwrap(),
///     ["org:dashboard:read", "org:dashboard:manage"]
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuthObject {
    /// `sid`.
    pub session_id: Option<String>,
    /// `sts`.
    pub session_status: Option<String>,
    /// `sub`.
    pub user_id: String,
    /// `act`.
    pub actor: Option<Actor>,
    /// v2: `o.id`; v1: `org_id`.
    pub org_id: Option<String>,
    /// v2: `org:` + `o.rol` (when non-empty); v1: `org_role`.
    pub org_role: Option<String>,
    /// v2: `o.slg`; v1: `org_slug`.
    pub org_slug: Option<String>,
    /// v2: expanded from `fea`, `o.per` and `o.fpm` (empty when the token has an
    /// organization but no permission data; absent without an organization);
    /// v1: `org_permissions`.
    pub org_permissions: Option<Vec<String>>,
    /// `fva`.
    pub factor_verification_age: Option<[i64; 2]>,
}

/// A v2 `fea` claim element without the `scope:` colon; Clerk throws on it too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidFeatureClaim {
    element: String,
}

impl InvalidFeatureClaim {
    /// The offending element, trimmed.
    pub fn element(&self) -> &str {
        &self.element
    }
}

impl fmt::Display for InvalidFeatureClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Clerk's wording.
        write!(f, "Invalid claim element (missing colon): {}", self.element)
    }
}

impl std::error::Error for InvalidFeatureClaim {}

impl AuthObject {
    /// Derives the auth object from verified session claims.
    ///
    /// Fails only for a v2 token with an organization whose `fea` claim has an element
    /// without a scope (`o:`, `u:`, `ou:`, `uo:`), where Clerk throws as well.
    pub fn from_claims(claims: &SessionClaims) -> Result<AuthObject, InvalidFeatureClaim> {
        let (org_id, org_role, org_slug, org_permissions) = if claims.is_v2() {
            match claims.o() {
                Some(o) => {
                    let role = o
                        .rol
                        .as_deref()
                        .filter(|r| !r.is_empty())
                        .map(|r| format!("org:{r}"));
                    let features = org_features(claims.fea())?;
                    let permissions = expand_org_permissions(
                        &features,
                        o.per.as_deref().unwrap_or_default(),
                        o.fpm.as_deref().unwrap_or_default(),
                    );
                    (o.id.clone(), role, o.slg.clone(), Some(permissions))
                }
                None => (None, None, None, None),
            }
        } else {
            (
                claims.org_id().map(str::to_owned),
                claims.org_role().map(str::to_owned),
                claims.org_slug().map(str::to_owned),
                claims.org_permissions().map(<[String]>::to_vec),
            )
        };
        Ok(AuthObject {
            session_id: claims.sid().map(str::to_owned),
            session_status: claims.sts().map(str::to_owned),
            user_id: claims.sub().to_owned(),
            actor: claims.act().cloned(),
            org_id,
            org_role,
            org_slug,
            org_permissions,
            factor_verification_age: claims.fva(),
        })
    }
}

/// The organization-scoped features of a `fea` claim, in order: elements scoped `o`, `ou`
/// or `uo`. An empty or absent claim has none.
pub fn org_features(fea: Option<&str>) -> Result<Vec<&str>, InvalidFeatureClaim> {
    let mut org = Vec::new();
    let Some(fea) = fea.filter(|f| !f.is_empty()) else {
        return Ok(org);
    };
    for part in fea.split(',') {
        let part = trim_js(part);
        let Some((scope, value)) = part.split_once(':') else {
            return Err(InvalidFeatureClaim {
                element: part.to_owned(),
            });
        };
        if matches!(scope, "o" | "ou" | "uo") {
            org.push(value);
        }
    }
    Ok(org)
}

/// Expands Clerk's compact organization permissions: for each organization feature *f*
/// (index *i*), and each permission *p* (index *j*) of `per`, `org:f:p` is granted when bit
/// *j* of the *i*-th decimal number in `fpm` is set. Empty `per` or `fpm` grant nothing.
///
/// ```
/// let perms = clerk_verify::expand_org_permissions(&["dashboard", "billing"], "read,manage", "3,1");
/// assert_eq!(perms, ["org:dashboard:read", "org:dashboard:manage", "org:billing:read"]);
/// ```
pub fn expand_org_permissions(features: &[&str], per: &str, fpm: &str) -> Vec<String> {
    let mut out = Vec::new();
    if per.is_empty() || fpm.is_empty() {
        return out;
    }
    let permissions: Vec<&str> = per.split(',').map(trim_js).collect();
    for (feature, mask) in features.iter().zip(fpm.split(',')) {
        let Some(bits) = decimal_bits(trim_js(mask)) else {
            continue;
        };
        // Only as far as the mask has bits: the work is bounded by the claim's length, not by
        // features × permissions.
        let width = bits.len().saturating_mul(64);
        for (j, permission) in permissions.iter().enumerate().take(width) {
            if bits
                .get(j / 64)
                .is_some_and(|limb| limb >> (j % 64) & 1 == 1)
            {
                out.push(format!("org:{feature}:{permission}"));
            }
        }
    }
    out
}

/// A string of ASCII digits as a little-endian vector of 64-bit limbs; `None` for anything
/// else (Clerk's `/^\d+$/`). Exact for any length, in O(n²/19²) limb operations.
fn decimal_bits(digits: &str) -> Option<Vec<u64>> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut limbs: Vec<u64> = vec![0];
    for chunk in digits.as_bytes().chunks(19) {
        let mut value: u64 = 0;
        let mut scale: u64 = 1;
        for &b in chunk {
            value = value * 10 + u64::from(b - b'0');
            scale *= 10;
        }
        // limbs = limbs * scale + value
        let mut carry = u128::from(value);
        for limb in &mut limbs {
            let wide = u128::from(*limb) * u128::from(scale) + carry;
            *limb = wide as u64; // low 64 bits; the high half carries on
            carry = wide >> 64;
        }
        if carry > 0 {
            limbs.push(carry as u64); // carry < 2^64 since scale <= 10^19 < 2^64
        }
    }
    Some(limbs)
}

/// JavaScript's `String.prototype.trim`: its white space and line terminators are Unicode
/// `White_Space` without U+0085, plus U+FEFF.
fn trim_js(s: &str) -> &str {
    s.trim_matches(|c: char| (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_masks_are_exact() {
        // 2^64 + 1: bits 0 and 64.
        let bits = decimal_bits("18446744073709551617").unwrap();
        assert_eq!(bits, vec![1, 1]);
        assert_eq!(decimal_bits("0000"), Some(vec![0]));
        assert_eq!(decimal_bits("12a"), None);
        assert_eq!(decimal_bits("-1"), None);
        assert_eq!(decimal_bits(""), None);
        // 10^40 = 0x1d_6329f1c35ca4bfab_b9f5610000000000
        let bits = decimal_bits(&format!("1{}", "0".repeat(40))).unwrap();
        assert_eq!(
            bits,
            vec![0xb9f5_6100_0000_0000, 0x6329_f1c3_5ca4_bfab, 0x1d]
        );
    }

    #[test]
    fn features_scopes() {
        assert_eq!(
            org_features(Some("o:a, u:b ,ou:c,uo:d,x:e")).unwrap(),
            ["a", "c", "d"]
        );
        assert_eq!(org_features(Some("")).unwrap(), Vec::<&str>::new());
        assert_eq!(org_features(None).unwrap(), Vec::<&str>::new());
        let e = org_features(Some("o:a,,o:b")).unwrap_err();
        assert_eq!(e.element(), "");
        assert_eq!(
            org_features(Some("o:a, nocolon ")).unwrap_err().to_string(),
            "Invalid claim element (missing colon): nocolon"
        );
    }

    #[test]
    fn many_features_and_permissions_stay_linear() {
        let features: Vec<String> = (0..20_000).map(|i| format!("f{i}")).collect();
        let features: Vec<&str> = features.iter().map(String::as_str).collect();
        let per = (0..20_000)
            .map(|i| format!("p{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let fpm = vec!["1"; 20_000].join(",");
        let perms = expand_org_permissions(&features, &per, &fpm);
        assert_eq!(perms.len(), 20_000);
        assert_eq!(perms[19_999], "org:f19999:p0");
    }

    #[test]
    fn huge_masks_do_not_hang() {
        let mask = "9".repeat(60_000);
        let perms = expand_org_permissions(&["f"], "a,b", &mask);
        assert_eq!(perms.len(), 2);
    }
}
