//! Clerk's session token payload, v1 and v2, as types.

use core::fmt;
use core::marker::PhantomData;
use std::borrow::Cow;

use jwt_core::{GaveUp, MemberReader};
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, Visitor};
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
///
/// Deserializing reads the payload in one pass, sorting each member into its field or into
/// `other` (in the payload's order) as it comes: no intermediate map of all claims.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct SessionClaims {
    /// The user id (`user_…`).
    pub sub: String,
    /// The session id (`sess_…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The authorized party: the origin of the frontend that requested the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// The issuer: the instance's Frontend API URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not before, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// The token id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The actor, when the session is an impersonation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub act: Option<Actor>,
    /// Factor verification age: minutes since the first and second factor were verified
    /// (`-1` when never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fva: Option<[i64; 2]>,
    /// The session status (`active`, `pending`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sts: Option<String>,
    /// The session token version: absent for v1, `2` for v2. Kept as any JSON value, as
    /// Clerk reads it (only the number 2 means version 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub v: Option<Value>,
    /// v2: the active organization, in compact form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub o: Option<OrgClaims>,
    /// v2: the plans, comma-separated scoped ids (`u:free,o:pro`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pla: Option<String>,
    /// v2: the features, comma-separated scoped ids (`o:dashboard,u:export`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fea: Option<String>,
    /// v1: the active organization's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// v1: the active organization's slug.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_slug: Option<String>,
    /// v1: the user's role in the active organization (`org:admin`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_role: Option<String>,
    /// v1: the user's permissions in the active organization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_permissions: Option<Vec<String>>,
    /// Every other claim (`aud`, custom session claims…), unchanged.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl SessionClaims {
    /// Builds the claims from a verified payload already held as a map (the token cache's
    /// entries) by moving each member into its field: the same result as the `Deserialize`
    /// impl gives for the same members. One pass sorts the members into the documented claims
    /// and the rest (keeping the rest in order, without re-hashing any key); the documented
    /// claims are then converted in a fixed order, so the first error reported does not
    /// depend on the order of the members. The verifier reports every claims error in these
    /// words.
    pub(crate) fn from_payload(m: Map<String, Value>) -> Result<Self, String> {
        const NAMES: [&str; Field::ALL.len()] = Field::NAMES;
        let mut slots: [Option<Value>; NAMES.len()] = Default::default();
        let mut other = Map::new();
        for (k, v) in m {
            match Field::from_name(&k) {
                Some(f) => {
                    if let Some(slot) = slots.get_mut(f as usize) {
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
                Some(Value::Number(n)) => seconds::<serde_json::Error>(&n)
                    .map(Some)
                    .map_err(|e| format!("claim {k:?}: {e}")),
                Some(_) => Err(format!("claim {k:?}: a time claim must be a number")),
            }
        }
        // In the order of Field::ALL.
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
fn seconds<E: de::Error>(n: &Number) -> Result<i64, E> {
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

/// The documented claims of [`SessionClaims`], in the order their values are converted when
/// building from a map (so the first error reported does not depend on the members' order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Sub,
    Exp,
    Sid,
    Azp,
    Iss,
    Iat,
    Nbf,
    Jti,
    Act,
    Fva,
    Sts,
    V,
    O,
    Pla,
    Fea,
    OrgId,
    OrgSlug,
    OrgRole,
    OrgPermissions,
}

impl Field {
    /// Every field; `Field::ALL[f as usize] == f`.
    const ALL: [Field; 19] = [
        Field::Sub,
        Field::Exp,
        Field::Sid,
        Field::Azp,
        Field::Iss,
        Field::Iat,
        Field::Nbf,
        Field::Jti,
        Field::Act,
        Field::Fva,
        Field::Sts,
        Field::V,
        Field::O,
        Field::Pla,
        Field::Fea,
        Field::OrgId,
        Field::OrgSlug,
        Field::OrgRole,
        Field::OrgPermissions,
    ];

    /// The claim names, in the order of [`ALL`](Self::ALL).
    const NAMES: [&'static str; 19] = [
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

    /// The documented claim called `name`, if it is one.
    ///
    /// Most claim names have three letters; those are compared as one integer (a `match` on
    /// the strings compared them one candidate after another, 13 of them for a name of that
    /// length: about 30 instructions per member of every payload).
    fn from_name(name: &str) -> Option<Field> {
        /// A three-byte name as an integer.
        const fn key(name: &[u8; 3]) -> u32 {
            u32::from_le_bytes([name[0], name[1], name[2], 0])
        }
        const SUB: u32 = key(b"sub");
        const EXP: u32 = key(b"exp");
        const SID: u32 = key(b"sid");
        const AZP: u32 = key(b"azp");
        const ISS: u32 = key(b"iss");
        const IAT: u32 = key(b"iat");
        const NBF: u32 = key(b"nbf");
        const JTI: u32 = key(b"jti");
        const ACT: u32 = key(b"act");
        const FVA: u32 = key(b"fva");
        const STS: u32 = key(b"sts");
        const PLA: u32 = key(b"pla");
        const FEA: u32 = key(b"fea");
        if let &[a, b, c] = name.as_bytes() {
            return Some(match key(&[a, b, c]) {
                SUB => Field::Sub,
                EXP => Field::Exp,
                SID => Field::Sid,
                AZP => Field::Azp,
                ISS => Field::Iss,
                IAT => Field::Iat,
                NBF => Field::Nbf,
                JTI => Field::Jti,
                ACT => Field::Act,
                FVA => Field::Fva,
                STS => Field::Sts,
                PLA => Field::Pla,
                FEA => Field::Fea,
                _ => return None,
            });
        }
        Some(match name {
            "v" => Field::V,
            "o" => Field::O,
            "org_id" => Field::OrgId,
            "org_slug" => Field::OrgSlug,
            "org_role" => Field::OrgRole,
            "org_permissions" => Field::OrgPermissions,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        Field::NAMES.get(self as usize).copied().unwrap_or_default()
    }
}

/// A member name as it is read: a documented claim, or any other name (kept for `other`).
enum MemberName {
    Documented(Field),
    Other(String),
}

impl MemberName {
    /// A documented claim's field, or the name itself (owned only then).
    #[inline(always)]
    fn sort(name: Cow<'_, str>) -> MemberName {
        match Field::from_name(&name) {
            Some(f) => MemberName::Documented(f),
            None => MemberName::Other(name.into_owned()),
        }
    }
}

impl<'de> Deserialize<'de> for MemberName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_identifier(MemberNameVisitor)
    }
}

struct MemberNameVisitor;

impl Visitor<'_> for MemberNameVisitor {
    type Value = MemberName;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a claim name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<MemberName, E> {
        Ok(MemberName::sort(Cow::Borrowed(name)))
    }

    fn visit_string<E: de::Error>(self, name: String) -> Result<MemberName, E> {
        Ok(MemberName::sort(Cow::Owned(name)))
    }
}

/// A time claim (`exp`, `iat`, `nbf`): any JSON number, as whole seconds by [`seconds`].
/// Anything else, `null` included, does not fit (as in [`SessionClaims::from_payload`]).
struct Seconds;

impl<'de> DeserializeSeed<'de> for Seconds {
    type Value = i64;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<i64, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for Seconds {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a time claim (a number)")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        seconds(&Number::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        seconds(&Number::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        // A JSON number is finite; `from_f64` refuses only NaN and infinities.
        Number::from_f64(v).map_or_else(
            || Err(E::custom("time claim out of range")),
            |n| seconds(&n),
        )
    }
}

/// One pass over the members: each documented claim is converted as it comes, every other
/// member is moved into `other` in the payload's order. The result is the one
/// [`SessionClaims::from_payload`] builds from the map of the same members; when a member does
/// not fit, serde's error names the first such member in the payload's order (the verifier
/// reports such tokens through `from_payload`, whose order is fixed).
struct SessionClaimsVisitor;

impl<'de> Visitor<'de> for SessionClaimsVisitor {
    type Value = SessionClaims;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Clerk session token payload (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, members: A) -> Result<SessionClaims, A::Error> {
        let mut c = SessionClaims::unset();
        read_members(&mut c, &mut Serde(members, PhantomData))?;
        Ok(c)
    }
}

/// [`SessionClaims`] deserialized straight into a box, for the verifier: the claims are
/// several hundred bytes, and every move of the verification's state would copy them. Built
/// in place by the same [`read_members`] as the unboxed `Deserialize`, so only the box's
/// address moves through the deserializer's layers.
pub(crate) struct BoxedSessionClaims(pub(crate) Box<SessionClaims>);

impl<'de> Deserialize<'de> for BoxedSessionClaims {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct BoxedVisitor;
        impl<'de> Visitor<'de> for BoxedVisitor {
            type Value = BoxedSessionClaims;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                SessionClaimsVisitor.expecting(f)
            }

            fn visit_map<A: MapAccess<'de>>(self, members: A) -> Result<Self::Value, A::Error> {
                let mut c = Box::new(SessionClaims::unset());
                read_members(&mut c, &mut Serde(members, PhantomData))?;
                Ok(BoxedSessionClaims(c))
            }
        }
        d.deserialize_map(BoxedVisitor)
    }
}

impl SessionClaims {
    /// Every claim absent (`sub` empty, `exp` 0), to be filled by [`read_members`].
    fn unset() -> SessionClaims {
        SessionClaims {
            sub: String::new(),
            sid: None,
            azp: None,
            iss: None,
            exp: 0,
            iat: None,
            nbf: None,
            jti: None,
            act: None,
            fva: None,
            sts: None,
            v: None,
            o: None,
            pla: None,
            fea: None,
            org_id: None,
            org_slug: None,
            org_role: None,
            org_permissions: None,
            other: Map::new(),
        }
    }
}

/// Where [`read_members`] takes a payload's members from: serde's `MapAccess` (the
/// `Deserialize` impls) or jwt-core's [`MemberReader`] (the verifier's one pass, which skips
/// serde's machinery for names, strings and times). Both give the same claims for the same
/// payload: the verifier's tests hold them to it.
trait Members {
    type Error: de::Error;
    /// The next member's name, sorted.
    fn name(&mut self) -> Result<Option<MemberName>, Self::Error>;
    /// A string or `null`, as `Option<String>` reads it.
    fn string(&mut self) -> Result<Option<String>, Self::Error>;
    /// A time claim, by [`Seconds`].
    fn seconds(&mut self) -> Result<i64, Self::Error>;
    /// Any other value, by its `Deserialize`.
    fn value<T: DeserializeOwned>(&mut self) -> Result<T, Self::Error>;
}

/// serde's members (`'de` is the deserializer's).
struct Serde<'de, A>(A, PhantomData<&'de ()>);

impl<'de, A: MapAccess<'de>> Members for Serde<'de, A> {
    type Error = A::Error;

    fn name(&mut self) -> Result<Option<MemberName>, A::Error> {
        self.0.next_key()
    }

    fn string(&mut self) -> Result<Option<String>, A::Error> {
        self.0.next_value()
    }

    fn seconds(&mut self) -> Result<i64, A::Error> {
        self.0.next_value_seed(Seconds)
    }

    fn value<T: DeserializeOwned>(&mut self) -> Result<T, A::Error> {
        self.0.next_value()
    }
}

impl Members for MemberReader<'_, '_> {
    type Error = GaveUp;

    #[inline(always)]
    fn name(&mut self) -> Result<Option<MemberName>, GaveUp> {
        Ok(self.next_name()?.map(MemberName::sort))
    }

    #[inline(always)]
    fn string(&mut self) -> Result<Option<String>, GaveUp> {
        self.optional_string()
    }

    #[inline(always)]
    fn seconds(&mut self) -> Result<i64, GaveUp> {
        seconds(&self.number()?)
    }

    #[inline(always)]
    fn value<T: DeserializeOwned>(&mut self) -> Result<T, GaveUp> {
        MemberReader::value(self)
    }
}

/// Reads a payload's members into `c` (from [`SessionClaims::unset`]): the documented claims
/// into their fields, the rest into `other` in the payload's order.
fn read_members<M: Members>(c: &mut SessionClaims, members: &mut M) -> Result<(), M::Error> {
    let mut sub: Option<String> = None;
    let mut exp: Option<i64> = None;
    // One bit per field, to refuse a documented claim given twice (only reachable through a
    // lenient deserializer: verification refuses duplicate members before this).
    let mut seen = 0u32;
    while let Some(name) = members.name()? {
        let field = match name {
            MemberName::Documented(f) => f,
            MemberName::Other(name) => {
                let value = members.value::<Value>()?;
                c.other.insert(name, value);
                continue;
            }
        };
        let bit = 1u32 << (field as u32);
        if seen & bit != 0 {
            return Err(de::Error::duplicate_field(field.name()));
        }
        seen |= bit;
        match field {
            Field::Sub => sub = members.string()?,
            Field::Exp => exp = Some(members.seconds()?),
            Field::Sid => c.sid = members.string()?,
            Field::Azp => c.azp = members.string()?,
            Field::Iss => c.iss = members.string()?,
            Field::Iat => c.iat = Some(members.seconds()?),
            Field::Nbf => c.nbf = Some(members.seconds()?),
            Field::Jti => c.jti = members.string()?,
            Field::Act => c.act = members.value()?,
            Field::Fva => c.fva = members.value()?,
            Field::Sts => c.sts = members.string()?,
            Field::V => c.v = members.value()?,
            Field::O => c.o = members.value()?,
            Field::Pla => c.pla = members.string()?,
            Field::Fea => c.fea = members.string()?,
            Field::OrgId => c.org_id = members.string()?,
            Field::OrgSlug => c.org_slug = members.string()?,
            Field::OrgRole => c.org_role = members.string()?,
            Field::OrgPermissions => c.org_permissions = members.value()?,
        }
    }
    c.sub = sub.ok_or_else(|| de::Error::missing_field("sub"))?;
    c.exp = exp.ok_or_else(|| de::Error::missing_field("exp"))?;
    Ok(())
}

impl BoxedSessionClaims {
    /// The claims read by jwt-core's member reader, for
    /// [`UnverifiedToken::prepare_with`](jwt_core::UnverifiedToken::prepare_with): what the
    /// `Deserialize` impl builds, without serde's machinery for every member.
    pub(crate) fn read(members: &mut MemberReader<'_, '_>) -> Result<Self, GaveUp> {
        let mut c = Box::new(SessionClaims::unset());
        read_members(&mut c, members)?;
        Ok(BoxedSessionClaims(c))
    }
}

impl<'de> Deserialize<'de> for SessionClaims {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(SessionClaimsVisitor)
    }
}

/// Payloads on which the one-pass `Deserialize` must agree with
/// [`SessionClaims::from_payload`]; shared with the verifier's tests.
#[cfg(test)]
pub(crate) mod agreement {
    use integration_tests::clerk_payload;
    use serde_json::{Map, Value, json};

    use super::Field;

    /// The time the payloads are valid around.
    pub(crate) const NOW: i64 = 1_700_000_000;

    /// Every kind of JSON value a claim could hold: each documented claim is tried with each.
    pub(crate) fn kinds() -> Vec<Value> {
        vec![
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-1),
            json!(NOW + 30),
            json!(NOW as f64 + 30.9),
            json!(-1.5),
            json!(9_223_372_036_854_775_807_i64),
            json!(9_223_372_036_854_775_808_u64),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1e300),
            json!(-1e300),
            json!(""),
            json!("s"),
            json!("1"),
            json!("é\u{1f600}\"\\"),
            json!([]),
            json!([1]),
            json!([1, 2]),
            json!([3, -1]),
            json!([1, 2, 3]),
            json!([1.5, 2]),
            json!([9_223_372_036_854_775_808_u64, 0]),
            json!(["a"]),
            json!(["a", "b"]),
            json!(["a", 1]),
            json!([[1]]),
            json!({}),
            json!({"sub": "user_2"}),
            json!({"sub": "user_2", "iss": "x", "n": [1, {"b": 2, "a": 1}]}),
            json!({"sub": 5}),
            json!({"iss": "no sub"}),
            json!({"id": "org_1", "slg": "acme", "rol": "admin", "per": "a,b", "fpm": "3", "z": 1}),
            json!({"id": 5}),
            json!({"z": null, "a": [true]}),
        ]
    }

    fn object(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    /// The test kit's Clerk payload in the shapes a session token takes: v2 as minted, v2
    /// with an organization, plans, features, an actor, an audience and custom claims, v1
    /// with its organization claims, and the bare minimum.
    pub(crate) fn bases() -> Vec<Map<String, Value>> {
        let v2 = object(clerk_payload(NOW));
        let mut v2_full = v2.clone();
        for (k, v) in [
            (
                "custom",
                json!({"tier": "gold", "list": [1, 2.5, "x", null]}),
            ),
            (
                "o",
                json!({"id": "org_1", "slg": "acme", "rol": "admin", "per": "read,manage", "fpm": "3,1"}),
            ),
            ("pla", json!("u:free,o:pro")),
            ("fea", json!("o:dashboard,u:export")),
            (
                "act",
                json!({"sub": "user_support", "iss": "https://dashboard.clerk.com"}),
            ),
            ("aud", json!(["api", "web"])),
            ("email", json!("a@example.com")),
        ] {
            v2_full.insert(k.to_owned(), v);
        }
        let mut v1 = v2.clone();
        for k in ["v", "sts", "fva"] {
            v1.shift_remove(k);
        }
        for (k, v) in [
            ("org_id", json!("org_1")),
            ("org_slug", json!("acme")),
            ("org_role", json!("org:admin")),
            (
                "org_permissions",
                json!(["org:sys_memberships:read", "org:billing:manage"]),
            ),
            ("metadata", json!({"b": 1, "a": 2})),
        ] {
            v1.insert(k.to_owned(), v);
        }
        let minimal = object(json!({"sub": "user_1", "exp": NOW + 60}));
        let mut custom_between = Map::new();
        for (k, v) in &v2_full {
            custom_between.insert(format!("x_{k}"), json!(k.len()));
            custom_between.insert(k.clone(), v.clone());
        }
        vec![v2, v2_full, v1, minimal, custom_between]
    }

    /// The members of `m` in reverse order.
    pub(crate) fn reversed(m: &Map<String, Value>) -> Map<String, Value> {
        m.iter()
            .rev()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Each base as is and reversed; then, in each base, each documented claim (and two
    /// others) removed, and replaced in place by each kind of value, and appended last when
    /// the base lacks it.
    pub(crate) fn payloads() -> Vec<Map<String, Value>> {
        let mut out = Vec::new();
        let names = Field::NAMES.iter().copied().chain(["aud", "custom"]);
        for base in bases() {
            out.push(reversed(&base));
            for name in names.clone() {
                let mut without = base.clone();
                without.shift_remove(name);
                out.push(without);
                for value in kinds() {
                    let mut with = base.clone();
                    with.insert(name.to_owned(), value);
                    out.push(with);
                }
            }
            out.push(base);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The claims as JSON text: equal texts mean equal values with members (nested ones
    /// included) in the same order, which `PartialEq` on maps does not check.
    fn text(c: &SessionClaims) -> String {
        serde_json::to_string(c).unwrap()
    }

    #[test]
    fn field_table_is_consistent() {
        for (i, (f, name)) in Field::ALL.iter().zip(Field::NAMES).enumerate() {
            assert_eq!(*f as usize, i);
            assert_eq!(f.name(), name);
            assert_eq!(Field::from_name(name), Some(*f));
        }
        assert_eq!(Field::from_name("aud"), None);
        assert_eq!(Field::from_name("Sub"), None);
        // Every name with any one byte changed (or cut, or extended) is exactly the
        // documented claim of that spelling, or none.
        let documented = |n: &str| Field::NAMES.iter().position(|d| *d == n);
        for name in Field::NAMES {
            let mut variants = vec![
                name[1..].to_owned(),
                format!("{name}\0"),
                format!("{name}s"),
            ];
            for i in 0..name.len() {
                for b in 0..=0x7fu8 {
                    let mut v = name.as_bytes().to_vec();
                    v[i] = b;
                    variants.extend(String::from_utf8(v));
                }
            }
            for v in variants {
                let expected = documented(&v).map(|i| Field::ALL[i]);
                assert_eq!(Field::from_name(&v), expected, "{v:?}");
            }
        }
    }

    /// The claims as the verifier's one pass reads them: jwt-core's member reader, through
    /// `prepare_with` (the token's signature is not looked at by parsing). An error when the
    /// reader gave up.
    fn read_by_member_reader(payload: &Value) -> Result<SessionClaims, GaveUp> {
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let token = format!(
            "{}.{}.c2ln",
            b64(r#"{"alg":"RS256"}"#),
            b64(&payload.to_string())
        );
        let mut read = Err(GaveUp);
        jwt_core::UnverifiedToken::prepare_with(&token, &jwt_core::Limits::default(), |m| {
            let claims = BoxedSessionClaims::read(m);
            read = claims.as_ref().map(|c| (*c.0).clone()).map_err(|e| *e);
            claims
        })
        .expect("a well-formed token");
        read
    }

    #[test]
    fn one_pass_deserialize_agrees_with_from_payload() {
        let payloads = agreement::payloads();
        assert!(payloads.len() > 3000, "{}", payloads.len());
        let (mut ok, mut err) = (0, 0);
        for m in payloads {
            let json = Value::Object(m.clone());
            let expected = SessionClaims::from_payload(m);
            let message = |e: serde_json::Error| e.to_string();
            let from_text =
                serde_json::from_str::<SessionClaims>(&json.to_string()).map_err(message);
            let from_value = serde_json::from_value::<SessionClaims>(json.clone()).map_err(message);
            let from_reader = read_by_member_reader(&json).map_err(|e| e.to_string());
            for (how, got) in [
                ("text", from_text),
                ("value", from_value),
                ("member reader", from_reader),
            ] {
                match (&expected, got) {
                    (Ok(a), Ok(b)) => {
                        assert_eq!(a, &b, "{how}: {json}");
                        assert_eq!(text(a), text(&b), "{how}: {json}");
                        ok += 1;
                    }
                    (Err(_), Err(_)) => err += 1,
                    (a, b) => panic!("{how}: {json}\nfrom_payload {a:?}\ndeserialize {b:?}"),
                }
            }
        }
        // Both outcomes are well represented.
        assert!(ok > 2000 && err > 2000, "ok {ok} err {err}");
    }

    #[test]
    fn the_kinds_of_values_meet_the_documented_rules() {
        let base = || agreement::bases().swap_remove(0);
        let with = |name: &str, v: Value| {
            let mut m = base();
            m.insert(name.to_owned(), v);
            serde_json::from_value::<SessionClaims>(Value::Object(m))
        };
        // Times: any number, fractions truncated toward zero; null and out of range refused.
        assert_eq!(with("iat", json!(-1.5)).unwrap().iat, Some(-1));
        assert_eq!(
            with("exp", json!(9_223_372_036_854_775_807_i64))
                .unwrap()
                .exp,
            i64::MAX
        );
        for bad in [
            json!(null),
            json!("1"),
            json!(9_223_372_036_854_775_808_u64),
            json!(1e300),
        ] {
            assert!(with("nbf", bad.clone()).is_err(), "{bad}");
        }
        // Optional strings and lists: null is absent.
        assert_eq!(with("sid", json!(null)).unwrap().sid, None);
        assert_eq!(with("v", json!(null)).unwrap().v, None);
        assert!(with("sid", json!(5)).is_err());
        assert!(with("fva", json!([1, 2, 3])).is_err());
        assert!(with("org_permissions", json!(["a", 1])).is_err());
        // `sub` null counts as missing.
        let e = with("sub", json!(null)).unwrap_err().to_string();
        assert!(e.contains("missing field `sub`"), "{e}");
    }

    #[test]
    fn a_documented_claim_twice_is_refused() {
        // Only a lenient deserializer gets this far; verification refuses duplicates before.
        let e = serde_json::from_str::<SessionClaims>(r#"{"sub":"a","exp":1,"sid":"x","sid":"y"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("duplicate field `sid`"), "{e}");
        let e = serde_json::from_str::<SessionClaims>("[1]")
            .unwrap_err()
            .to_string();
        assert!(e.contains("a Clerk session token payload"), "{e}");
    }

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
