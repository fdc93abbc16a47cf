//! Clerk's session token payload, v1 and v2, as types.

use core::fmt;
use core::marker::PhantomData;
use std::borrow::Cow;

use jwt_core::{GaveUp, Kind, MemberReader, Placed};
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
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
/// The claims are read through methods named after them. The string claims are kept in one
/// buffer, back to back, so reading a session token's claims allocates once for all of them
/// and cloning the claims (a token-cache hit) copies one buffer instead of each string.
/// Deserializing reads the payload in one pass, sorting each member into its claim or into
/// `other` (in the payload's order) as it comes: no intermediate map of all claims.
/// Serializing writes the claims that are present, in the order of the methods below, then
/// `other`. The claims live behind one pointer, so returning, storing or moving them (into a
/// request's extensions, say) copies a pointer, not their several hundred bytes.
///
/// ```
/// use clerk_verify::SessionClaims;
/// let claims: SessionClaims = serde_json::from_str(
///     r#"{"sub":"user_1","exp":1700000060,"sid":"sess_1","v":2,"fva":[0,-1],"custom":true}"#,
/// )?;
/// assert_eq!((claims.sub(), claims.sid(), claims.exp()), ("user_1", Some("sess_1"), 1_700_000_060));
/// assert!(claims.is_v2() && claims.azp().is_none());
/// assert_eq!(claims.other()["custom"], true);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct SessionClaims(Box<Fields>);

/// [`SessionClaims`]' fields, behind its box.
#[derive(Clone)]
struct Fields {
    /// The text the string claims are [`Span`]s of: on the verifier's route the verified
    /// payload text, the strings it unescaped after it (see [`SessionClaims::keep_text`]);
    /// otherwise the strings back to back.
    text: String,
    sub: Span,
    sid: Option<Span>,
    azp: Option<Span>,
    iss: Option<Span>,
    exp: i64,
    iat: Option<i64>,
    nbf: Option<i64>,
    jti: Option<Span>,
    /// Boxed, as `o`: rarely present, and the fields are allocated for every verification.
    act: Option<Box<Actor>>,
    fva: Option<[i64; 2]>,
    sts: Option<Span>,
    v: Option<Value>,
    o: Option<Box<OrgClaims>>,
    pla: Option<Span>,
    fea: Option<Span>,
    org_id: Option<Span>,
    org_slug: Option<Span>,
    org_role: Option<Span>,
    org_permissions: Option<Vec<String>>,
    other: Map<String, Value>,
}

/// A string claim's place in [`SessionClaims`]' text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// The span of `start..end`, or `None` beyond 4 GiB.
    fn new(start: usize, end: usize) -> Option<Span> {
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(start), Ok(end)) => Some(Span { start, end }),
            _ => None,
        }
    }
}

/// Appends `s` to `text`, which starts at `base` in the claims' text (0, or after the payload
/// text the claims will keep); the place of `s` there.
fn put<E: de::Error>(text: &mut String, base: usize, s: &str) -> Result<Span, E> {
    let start = base.saturating_add(text.len());
    let span = Span::new(start, start.saturating_add(s.len()))
        .ok_or_else(|| E::custom("the string claims are longer than 4 GiB"))?;
    text.push_str(s);
    Ok(span)
}

impl SessionClaims {
    fn str(&self, span: Span) -> &str {
        self.0
            .text
            .get(span.start as usize..span.end as usize)
            .unwrap_or_default()
    }

    fn opt(&self, span: Option<Span>) -> Option<&str> {
        span.map(|s| self.str(s))
    }

    /// The user id (`sub`, `user_…`).
    pub fn sub(&self) -> &str {
        self.str(self.0.sub)
    }

    /// The session id (`sid`, `sess_…`).
    pub fn sid(&self) -> Option<&str> {
        self.opt(self.0.sid)
    }

    /// The authorized party (`azp`): the origin of the frontend that requested the token.
    pub fn azp(&self) -> Option<&str> {
        self.opt(self.0.azp)
    }

    /// The issuer (`iss`): the instance's Frontend API URL.
    pub fn iss(&self) -> Option<&str> {
        self.opt(self.0.iss)
    }

    /// Expiry (`exp`), seconds since the epoch.
    pub fn exp(&self) -> i64 {
        self.0.exp
    }

    /// Issued at (`iat`), seconds since the epoch.
    pub fn iat(&self) -> Option<i64> {
        self.0.iat
    }

    /// Not before (`nbf`), seconds since the epoch.
    pub fn nbf(&self) -> Option<i64> {
        self.0.nbf
    }

    /// The token id (`jti`).
    pub fn jti(&self) -> Option<&str> {
        self.opt(self.0.jti)
    }

    /// The actor (`act`), when the session is an impersonation.
    pub fn act(&self) -> Option<&Actor> {
        self.0.act.as_deref()
    }

    /// Factor verification age (`fva`): minutes since the first and second factor were
    /// verified (`-1` when never).
    pub fn fva(&self) -> Option<[i64; 2]> {
        self.0.fva
    }

    /// The session status (`sts`: `active`, `pending`).
    pub fn sts(&self) -> Option<&str> {
        self.opt(self.0.sts)
    }

    /// The session token version (`v`): absent for v1, `2` for v2. Kept as any JSON value,
    /// as Clerk reads it (only the number 2 means version 2, see [`is_v2`](Self::is_v2)).
    pub fn v(&self) -> Option<&Value> {
        self.0.v.as_ref()
    }

    /// v2: the active organization (`o`), in compact form.
    pub fn o(&self) -> Option<&OrgClaims> {
        self.0.o.as_deref()
    }

    /// v2: the plans (`pla`), comma-separated scoped ids (`u:free,o:pro`).
    pub fn pla(&self) -> Option<&str> {
        self.opt(self.0.pla)
    }

    /// v2: the features (`fea`), comma-separated scoped ids (`o:dashboard,u:export`).
    pub fn fea(&self) -> Option<&str> {
        self.opt(self.0.fea)
    }

    /// v1: the active organization's id (`org_id`).
    pub fn org_id(&self) -> Option<&str> {
        self.opt(self.0.org_id)
    }

    /// v1: the active organization's slug (`org_slug`).
    pub fn org_slug(&self) -> Option<&str> {
        self.opt(self.0.org_slug)
    }

    /// v1: the user's role in the active organization (`org_role`, `org:admin`).
    pub fn org_role(&self) -> Option<&str> {
        self.opt(self.0.org_role)
    }

    /// v1: the user's permissions in the active organization (`org_permissions`).
    pub fn org_permissions(&self) -> Option<&[String]> {
        self.0.org_permissions.as_deref()
    }

    /// Every other claim (`aud`, custom session claims…), unchanged, in the payload's order.
    pub fn other(&self) -> &Map<String, Value> {
        &self.0.other
    }

    /// Every other claim, by value.
    pub fn into_other(self) -> Map<String, Value> {
        self.0.other
    }

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
        let mut text = String::new();
        let mut string = |(v, k): (Option<Value>, &str)| -> Result<Option<Span>, String> {
            let s = match v {
                Some(Value::String(s)) => Some(s),
                other => any::<String>((other, k))?,
            };
            s.map(|s| put::<serde_json::Error>(&mut text, 0, &s).map_err(|e| e.to_string()))
                .transpose()
        };
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
        let sid = string(next())?;
        let azp = string(next())?;
        let iss = string(next())?;
        let iat = time(next())?;
        let nbf = time(next())?;
        let jti = string(next())?;
        let act = any(next())?;
        let fva = any(next())?;
        let sts = string(next())?;
        let v = any(next())?;
        let o = any(next())?;
        let pla = string(next())?;
        let fea = string(next())?;
        let org_id = string(next())?;
        let org_slug = string(next())?;
        let org_role = string(next())?;
        let org_permissions = any(next())?;
        Ok(SessionClaims(Box::new(Fields {
            text,
            sub,
            sid,
            azp,
            iss,
            exp,
            iat,
            nbf,
            jti,
            act,
            fva,
            sts,
            v,
            o,
            pla,
            fea,
            org_id,
            org_slug,
            org_role,
            org_permissions,
            other,
        })))
    }

    /// Whether this is a version 2 session token (`v: 2`).
    pub fn is_v2(&self) -> bool {
        self.0.v.as_ref().and_then(Value::as_f64) == Some(2.0)
    }
}

impl PartialEq for SessionClaims {
    /// Claims are equal when every claim is (wherever their strings sit in the buffer).
    fn eq(&self, o: &Self) -> bool {
        self.sub() == o.sub()
            && self.sid() == o.sid()
            && self.azp() == o.azp()
            && self.iss() == o.iss()
            && self.0.exp == o.0.exp
            && self.0.iat == o.0.iat
            && self.0.nbf == o.0.nbf
            && self.jti() == o.jti()
            && self.0.act == o.0.act
            && self.0.fva == o.0.fva
            && self.sts() == o.sts()
            && self.0.v == o.0.v
            && self.0.o == o.0.o
            && self.pla() == o.pla()
            && self.fea() == o.fea()
            && self.org_id() == o.org_id()
            && self.org_slug() == o.org_slug()
            && self.org_role() == o.org_role()
            && self.0.org_permissions == o.0.org_permissions
            && self.0.other == o.0.other
    }
}

impl fmt::Debug for SessionClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionClaims")
            .field("sub", &self.sub())
            .field("sid", &self.sid())
            .field("azp", &self.azp())
            .field("iss", &self.iss())
            .field("exp", &self.0.exp)
            .field("iat", &self.0.iat)
            .field("nbf", &self.0.nbf)
            .field("jti", &self.jti())
            .field("act", &self.act())
            .field("fva", &self.0.fva)
            .field("sts", &self.sts())
            .field("v", &self.0.v)
            .field("o", &self.o())
            .field("pla", &self.pla())
            .field("fea", &self.fea())
            .field("org_id", &self.org_id())
            .field("org_slug", &self.org_slug())
            .field("org_role", &self.org_role())
            .field("org_permissions", &self.org_permissions())
            .field("other", &self.0.other)
            .finish()
    }
}

impl Serialize for SessionClaims {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// Writes the claim when it is present.
        fn some<M: SerializeMap, T: Serialize + ?Sized>(
            m: &mut M,
            name: &str,
            v: Option<&T>,
        ) -> Result<(), M::Error> {
            v.map_or(Ok(()), |v| m.serialize_entry(name, v))
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("sub", self.sub())?;
        some(&mut m, "sid", self.sid())?;
        some(&mut m, "azp", self.azp())?;
        some(&mut m, "iss", self.iss())?;
        m.serialize_entry("exp", &self.0.exp)?;
        some(&mut m, "iat", self.0.iat.as_ref())?;
        some(&mut m, "nbf", self.0.nbf.as_ref())?;
        some(&mut m, "jti", self.jti())?;
        some(&mut m, "act", self.act())?;
        some(&mut m, "fva", self.0.fva.as_ref())?;
        some(&mut m, "sts", self.sts())?;
        some(&mut m, "v", self.0.v.as_ref())?;
        some(&mut m, "o", self.o())?;
        some(&mut m, "pla", self.pla())?;
        some(&mut m, "fea", self.fea())?;
        some(&mut m, "org_id", self.org_id())?;
        some(&mut m, "org_slug", self.org_slug())?;
        some(&mut m, "org_role", self.org_role())?;
        some(&mut m, "org_permissions", self.org_permissions())?;
        for (k, v) in &self.0.other {
            m.serialize_entry(k, v)?;
        }
        m.end()
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
    /// The names of one or three bytes (all but the `org_` ones) are found by a perfect hash
    /// of the name as one integer ([`SHORT_NAMES`]): a multiplication, a table entry and one
    /// comparison, the same branches for every name. A `match` on the integer compared it
    /// with the candidates in a tree of branches, a different path for each name of the
    /// payload, which a branch predictor cannot learn across the members (cachegrind's model:
    /// 17 of the 113 mispredicted branches a facade `verify()` adds to the signature check).
    #[inline]
    fn from_name(name: &str) -> Option<Field> {
        match short_key(name.as_bytes()) {
            Some(key) => SHORT_NAMES
                .get(short_bucket(key))
                .filter(|(k, _)| *k == key)
                .map(|(_, field)| *field),
            None => Field::from_long_name(name),
        }
    }

    /// [`from_name`](Self::from_name) for names of any length but one or three bytes.
    #[cold]
    fn from_long_name(name: &str) -> Option<Field> {
        Some(match name {
            "org_id" => Field::OrgId,
            "org_slug" => Field::OrgSlug,
            "org_role" => Field::OrgRole,
            "org_permissions" => Field::OrgPermissions,
            _ => return None,
        })
    }

    /// How [`read_members`] reads the field's value (there through [`ROLES`]: this `match`
    /// compiles to a jump with a target per field).
    const fn role(self) -> Role {
        match self {
            Field::Sub => Role::Str(STR_SUB),
            Field::Sid => Role::Str(STR_SID),
            Field::Azp => Role::Str(STR_AZP),
            Field::Iss => Role::Str(STR_ISS),
            Field::Jti => Role::Str(STR_JTI),
            Field::Sts => Role::Str(STR_STS),
            Field::Pla => Role::Str(STR_PLA),
            Field::Fea => Role::Str(STR_FEA),
            Field::OrgId => Role::Str(STR_ORG_ID),
            Field::OrgSlug => Role::Str(STR_ORG_SLUG),
            Field::OrgRole => Role::Str(STR_ORG_ROLE),
            Field::Exp => Role::Time(TIME_EXP),
            Field::Iat => Role::Time(TIME_IAT),
            Field::Nbf => Role::Time(TIME_NBF),
            Field::Act | Field::Fva | Field::V | Field::O | Field::OrgPermissions => Role::Own,
        }
    }

    fn name(self) -> &'static str {
        Field::NAMES.get(self as usize).copied().unwrap_or_default()
    }
}

/// A name of one or three bytes as one integer: its bytes, zero-padded, and its length in the
/// top byte (so no such key is 0). `None` for other lengths.
const fn short_key(name: &[u8]) -> Option<u64> {
    match *name {
        [a] => Some(u64::from_le_bytes([a, 0, 0, 0, 0, 0, 0, 1])),
        [a, b, c] => Some(u64::from_le_bytes([a, b, c, 0, 0, 0, 0, 3])),
        _ => None,
    }
}

/// The multiplier of [`short_bucket`]: chosen (by trying odd numbers) so that the claim names
/// of one or three bytes land in different buckets of [`SHORT_NAMES`]; building that table
/// fails to compile if they did not.
const SHORT_NAME_HASH: u64 = 0x05b6_e6e3_07d4_bedd;

/// The bucket of [`SHORT_NAMES`] for a [`short_key`]: the top five bits of the product.
const fn short_bucket(key: u64) -> usize {
    (key.wrapping_mul(SHORT_NAME_HASH) >> 59) as usize
}

/// The documented claims named by one or three bytes, each in its [`short_bucket`] with its
/// [`short_key`]; key 0 (no name's) marks an empty bucket.
#[expect(
    clippy::indexing_slicing,
    reason = "evaluated at compile time, where an index out of bounds fails the build"
)]
const SHORT_NAMES: [(u64, Field); 32] = {
    let mut table = [(0, Field::Sub); 32];
    let mut i = 0;
    while i < Field::ALL.len() {
        if let Some(key) = short_key(Field::NAMES[i].as_bytes()) {
            let bucket = short_bucket(key);
            assert!(table[bucket].0 == 0, "two claim names share a bucket");
            table[bucket] = (key, Field::ALL[i]);
        }
        i += 1;
    }
    table
};

/// How [`read_members`] reads a documented claim: most are strings or times, each kept in a
/// slot of an array while the members are read, so that telling them apart is a test of the
/// kind, not a jump to an arm of its own per field.
#[derive(Clone, Copy)]
enum Role {
    /// A string or `null`, into this slot of the strings.
    Str(usize),
    /// A NumericDate, into this slot of the times.
    Time(usize),
    /// A value of its own type, read by its own arm.
    Own,
}

/// [`Field::role`] of every field, by `Field as usize`: a load, where the `match` is a jump.
const ROLES: [Role; 19] = {
    let mut roles = [Role::Own; 19];
    let mut i = 0;
    while i < Field::ALL.len() {
        #[expect(
            clippy::indexing_slicing,
            reason = "evaluated at compile time, where an index out of bounds fails the build"
        )]
        {
            roles[i] = Field::ALL[i].role();
        }
        i += 1;
    }
    roles
};

const STR_SUB: usize = 0;
const STR_SID: usize = 1;
const STR_AZP: usize = 2;
const STR_ISS: usize = 3;
const STR_JTI: usize = 4;
const STR_STS: usize = 5;
const STR_PLA: usize = 6;
const STR_FEA: usize = 7;
const STR_ORG_ID: usize = 8;
const STR_ORG_SLUG: usize = 9;
const STR_ORG_ROLE: usize = 10;
const STRINGS: usize = 11;
const TIME_EXP: usize = 0;
const TIME_IAT: usize = 1;
const TIME_NBF: usize = 2;
const TIMES: usize = 3;

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
        read_members(&mut c.0, &mut Serde(members, PhantomData))?;
        Ok(c)
    }
}

impl SessionClaims {
    /// Every claim absent (`sub` empty, `exp` 0), to be filled by [`read_members`]. Built in
    /// its box: the fields are several hundred bytes, and only the box's address moves
    /// through the verification's layers.
    fn unset() -> SessionClaims {
        let none = Span { start: 0, end: 0 };
        SessionClaims(Box::new(Fields {
            text: String::new(),
            sub: none,
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
        }))
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
    /// A string or `null`, as `Option<String>` reads it: the string's span, appended to
    /// `text` (the member reader: a place in the payload text, unless it is escaped).
    fn string(&mut self, text: &mut String) -> Result<Option<Span>, Self::Error>;
    /// A time claim, by [`Seconds`].
    fn seconds(&mut self) -> Result<i64, Self::Error>;
    /// `fva`, as `Option<[i64; 2]>` reads it.
    fn fva(&mut self) -> Result<Option<[i64; 2]>, Self::Error>;
    /// `v`, as `Option<Value>` reads it.
    fn v(&mut self) -> Result<Option<Value>, Self::Error>;
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

    fn string(&mut self, text: &mut String) -> Result<Option<Span>, A::Error> {
        self.0.next_value_seed(StringInto(text))
    }

    fn seconds(&mut self) -> Result<i64, A::Error> {
        self.0.next_value_seed(Seconds)
    }

    fn fva(&mut self) -> Result<Option<[i64; 2]>, A::Error> {
        self.0.next_value()
    }

    fn v(&mut self) -> Result<Option<Value>, A::Error> {
        self.0.next_value()
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

    /// A string written without escapes is its place in the payload text, which the claims
    /// keep once the token verifies ([`SessionClaims::keep_text`]); an escaped one is
    /// unescaped into `text` and placed where `keep_text` will append it, after the payload
    /// text.
    ///
    /// Out of line, as [`seconds`](Self::seconds): `read_members` reads strings in eleven
    /// arms, and one copy of this code is loaded into the instruction cache per verification
    /// instead of one per arm taken (callgrind: 162 instructions and, in cachegrind's model of
    /// this machine's 32 KiB L1i, 24 misses fewer per `verify()`).
    #[inline(never)]
    fn string(&mut self, text: &mut String) -> Result<Option<Span>, GaveUp> {
        // Beyond 4 GiB the reader gives up, and serde's route copies the strings.
        match self.optional_placed()? {
            None => Ok(None),
            Some(Placed::At(at)) => Span::new(at.start, at.end).map(Some).ok_or(GaveUp),
            Some(Placed::Unescaped(s)) => put(text, self.text_len(), &s).map(Some),
        }
    }

    /// A time claim: out of line, as [`string`](Self::string).
    #[inline(never)]
    fn seconds(&mut self) -> Result<i64, GaveUp> {
        seconds(&self.number()?)
    }

    /// Two numbers read straight, not through serde's visitors; what does not fit `i64`
    /// gives up, and serde decides on the other route.
    #[inline(always)]
    fn fva(&mut self) -> Result<Option<[i64; 2]>, GaveUp> {
        match self.optional_numbers::<2>()? {
            None => Ok(None),
            Some([a, b]) => match (a.as_i64(), b.as_i64()) {
                (Some(a), Some(b)) => Ok(Some([a, b])),
                _ => Err(GaveUp),
            },
        }
    }

    /// A number (what `v` holds) read straight; anything else through serde.
    #[inline(always)]
    fn v(&mut self) -> Result<Option<Value>, GaveUp> {
        match self.kind()? {
            Kind::Number => Ok(Some(Value::Number(self.number()?))),
            _ => MemberReader::value(self),
        }
    }

    #[inline(always)]
    fn value<T: DeserializeOwned>(&mut self) -> Result<T, GaveUp> {
        MemberReader::value(self)
    }
}

/// A string or `null` read by serde as `Option<String>` reads it (the same errors), the
/// string appended to the claims' text instead of put in a `String` of its own.
struct StringInto<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for StringInto<'_> {
    type Value = Option<Span>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Span>, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for StringInto<'_> {
    type Value = Option<Span>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("option")
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<Span>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<Span>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<Span>, D::Error> {
        d.deserialize_string(StrInto(self.0)).map(Some)
    }
}

/// The string inside [`StringInto`], as `String` reads it.
struct StrInto<'a>(&'a mut String);

impl Visitor<'_> for StrInto<'_> {
    type Value = Span;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Span, E> {
        put(self.0, 0, s)
    }

    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<Span, E> {
        match core::str::from_utf8(b) {
            Ok(s) => put(self.0, 0, s),
            Err(_) => Err(E::invalid_value(de::Unexpected::Bytes(b), &self)),
        }
    }
}

/// Reads a payload's members into `c` (from [`SessionClaims::unset`]): the documented claims
/// into their fields, the rest into `other` in the payload's order.
fn read_members<M: Members>(c: &mut Fields, members: &mut M) -> Result<(), M::Error> {
    let mut strings = [None; STRINGS];
    let mut times = [None; TIMES];
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
        match ROLES.get(field as usize).copied().unwrap_or(Role::Own) {
            Role::Str(i) => {
                let value = members.string(&mut c.text)?;
                if let Some(slot) = strings.get_mut(i) {
                    *slot = value;
                }
            }
            Role::Time(i) => {
                let value = members.seconds()?;
                if let Some(slot) = times.get_mut(i) {
                    *slot = Some(value);
                }
            }
            Role::Own => match field {
                Field::Act => c.act = members.value()?,
                Field::Fva => c.fva = members.fva()?,
                Field::V => c.v = members.v()?,
                Field::O => c.o = members.value()?,
                Field::OrgPermissions => c.org_permissions = members.value()?,
                // Their roles are `Str` and `Time`: read above.
                Field::Sub
                | Field::Exp
                | Field::Sid
                | Field::Azp
                | Field::Iss
                | Field::Iat
                | Field::Nbf
                | Field::Jti
                | Field::Sts
                | Field::Pla
                | Field::Fea
                | Field::OrgId
                | Field::OrgSlug
                | Field::OrgRole => {}
            },
        }
    }
    let string = |i: usize| strings.get(i).copied().flatten();
    let time = |i: usize| times.get(i).copied().flatten();
    c.sub = string(STR_SUB).ok_or_else(|| de::Error::missing_field("sub"))?;
    c.exp = time(TIME_EXP).ok_or_else(|| de::Error::missing_field("exp"))?;
    (c.sid, c.azp, c.iss) = (string(STR_SID), string(STR_AZP), string(STR_ISS));
    (c.jti, c.sts, c.pla) = (string(STR_JTI), string(STR_STS), string(STR_PLA));
    (c.fea, c.org_id) = (string(STR_FEA), string(STR_ORG_ID));
    (c.org_slug, c.org_role) = (string(STR_ORG_SLUG), string(STR_ORG_ROLE));
    (c.iat, c.nbf) = (time(TIME_IAT), time(TIME_NBF));
    Ok(())
}

impl SessionClaims {
    /// The claims read by jwt-core's member reader, for
    /// [`Validation::prepare_with_text`](jwt_core::Validation::prepare_with_text) with
    /// [`keep_text`](Self::keep_text): what the `Deserialize` impl builds, without serde's
    /// machinery for every member, and without a copy of the strings written without escapes
    /// (their places in the payload text, which the claims keep once the token verifies).
    pub(crate) fn read(members: &mut MemberReader<'_, '_>) -> Result<Self, GaveUp> {
        let mut c = SessionClaims::unset();
        read_members(&mut c.0, members)?;
        Ok(c)
    }

    /// Takes the verified payload's `text`, which the claims [`read`](Self::read) built
    /// refer to; the strings it unescaped follow it, where their spans already place them.
    pub(crate) fn keep_text(&mut self, text: String) {
        let escaped = core::mem::replace(&mut self.0.text, text);
        self.0.text.push_str(&escaped);
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
    fn claims_move_as_one_pointer() {
        assert_eq!(size_of::<SessionClaims>(), size_of::<usize>());
        assert_eq!(size_of::<Option<SessionClaims>>(), size_of::<usize>());
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
            let claims = SessionClaims::read(m);
            read = claims.clone();
            claims
        })
        .expect("a well-formed token");
        // What the verifier's claims keep once the token verifies.
        read.map(|mut c| {
            c.keep_text(payload.to_string());
            c
        })
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
        assert_eq!(with("iat", json!(-1.5)).unwrap().iat(), Some(-1));
        assert_eq!(
            with("exp", json!(9_223_372_036_854_775_807_i64))
                .unwrap()
                .exp(),
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
        assert_eq!(with("sid", json!(null)).unwrap().sid(), None);
        assert_eq!(with("v", json!(null)).unwrap().v(), None);
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
        assert_eq!(c.iat(), Some(1_700_000_000));
        assert_eq!(c.fva(), Some([3, -1]));
        let o = c.o().unwrap();
        assert_eq!(o.rol.as_deref(), Some("admin"));
        assert_eq!(o.other["x"], 1);
        assert_eq!(c.other()["aud"], "api");
        assert_eq!(c.other()["custom"], json!({"a": [1]}));
        assert!(!c.other().contains_key("sub"));
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["custom"], json!({"a": [1]}));
        assert_eq!(back["o"]["fpm"], "3");
    }

    /// Serialized, the claims are the documented ones that are present, in a fixed order,
    /// then the others in the payload's order (pinned: the CLI prints this).
    #[test]
    fn serialized_claims_are_in_a_fixed_order() {
        let v2 = r#"{"custom":{"a":[1]},"azp":"https://app.example.com","exp":1700000060,"fva":[3,-1],"iat":1700000000.7,"iss":"https://clerk.example.com","jti":"j","nbf":1699999990,"sid":"sess_1","sts":"active","sub":"user_1","v":2,"o":{"id":"org_1","slg":"acme","rol":"admin","per":"read,manage","fpm":"3","x":1},"pla":"o:pro","fea":"o:dashboard","aud":"api","azq":null}"#;
        let v1 = r#"{"org_permissions":["org:a:b"],"act":{"sub":"user_2","iss":"x"},"sub":"user_\u00e9","exp":1,"org_id":"org_1","org_role":"org:admin","sid":null,"org_slug":"acme"}"#;
        let serialized = |text: &str| {
            let c: SessionClaims = serde_json::from_str(text).unwrap();
            serde_json::to_string(&c).unwrap()
        };
        assert_eq!(
            serialized(v2),
            r#"{"sub":"user_1","sid":"sess_1","azp":"https://app.example.com","iss":"https://clerk.example.com","exp":1700000060,"iat":1700000000,"nbf":1699999990,"jti":"j","fva":[3,-1],"sts":"active","v":2,"o":{"id":"org_1","slg":"acme","rol":"admin","per":"read,manage","fpm":"3","x":1},"pla":"o:pro","fea":"o:dashboard","custom":{"a":[1]},"aud":"api","azq":null}"#
        );
        assert_eq!(
            serialized(v1),
            r#"{"sub":"user_é","exp":1,"act":{"sub":"user_2","iss":"x"},"org_id":"org_1","org_slug":"acme","org_role":"org:admin","org_permissions":["org:a:b"]}"#
        );
    }

    #[test]
    fn claims_compare_by_value_wherever_their_strings_sit() {
        let read = |text: &str| serde_json::from_str::<SessionClaims>(text).unwrap();
        let a = read(r#"{"sub":"u","sid":"s","exp":1,"iss":"i","org_id":"o"}"#);
        let b = read(r#"{"org_id":"o","iss":"i","exp":1,"sid":"s","sub":"u"}"#);
        assert_ne!(a.0.text, b.0.text);
        assert_eq!(a, b);
        assert_eq!(a.clone(), b);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert!(format!("{a:?}").starts_with(r#"SessionClaims { sub: "u", sid: Some("s")"#));
        for other in [
            r#"{"sub":"u","sid":"t","exp":1,"iss":"i","org_id":"o"}"#,
            r#"{"sub":"u","sid":"s","exp":1,"iss":"i","org_slug":"o"}"#,
            r#"{"sub":"u","sid":"s","exp":1,"iss":"i"}"#,
            r#"{"sub":"u","sid":"s","exp":2,"iss":"i","org_id":"o"}"#,
        ] {
            assert_ne!(a, read(other), "{other}");
        }
        // Every accessor reads its own claim.
        let all = read(
            r#"{"sub":"1","sid":"2","azp":"3","iss":"4","jti":"5","sts":"6","pla":"7","fea":"8","org_id":"9","org_slug":"10","org_role":"11","exp":12,"iat":13,"nbf":14}"#,
        );
        let strings = [
            Some(all.sub()),
            all.sid(),
            all.azp(),
            all.iss(),
            all.jti(),
            all.sts(),
            all.pla(),
            all.fea(),
            all.org_id(),
            all.org_slug(),
            all.org_role(),
        ];
        let expected: Vec<String> = (1..=11).map(|n| n.to_string()).collect();
        assert_eq!(strings.map(Option::unwrap).to_vec(), expected);
        assert_eq!((all.exp(), all.iat(), all.nbf()), (12, Some(13), Some(14)));
    }

    #[test]
    fn v1_payload() {
        let v = json!({"sub": "user_1", "exp": 1, "org_id": "org_1", "org_role": "org:admin",
            "org_slug": "acme", "org_permissions": ["org:a:b"], "act": {"sub": "user_2", "iss": "x"}});
        let c: SessionClaims = serde_json::from_value(v).unwrap();
        assert!(!c.is_v2());
        assert_eq!(c.org_permissions(), Some(&["org:a:b".to_owned()][..]));
        assert_eq!(c.act().unwrap().sub, "user_2");
        assert_eq!(c.act().unwrap().other["iss"], "x");
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
                    let keys = |c: &SessionClaims| c.other().keys().cloned().collect::<Vec<_>>();
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
