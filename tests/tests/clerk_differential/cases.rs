//! The generated cases: tokens from real keys, malformed on purpose in every way DESIGN §3
//! names, each with the options to verify it with and the clock to verify it at.

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use integration_tests::{TestKey, clerk_payload, finish, hmac_sign, keys, signing_input_raw};
use jwt_core::Algorithm;
use serde_json::{Value, json};

use crate::server::{Reply, SECRET};

/// The fixed instant most cases are verified at (2023-11-14T22:13:20Z).
pub(crate) const NOW_S: i64 = 1_700_000_000;
/// [`NOW_S`] in milliseconds.
pub(crate) const NOW_MS: i64 = NOW_S * 1000;

/// Clerk's machine-token category, which a session token must not carry.
const M2M_CATEGORY: &str = "cl_B7d4PD333AAA";

/// The options of one case, named as in `@clerk/backend`'s `verifyToken`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Options {
    /// `jwtKey`: the PEM text, passed to both sides unchanged.
    pub(crate) jwt_key: Option<String>,
    /// `secretKey`: fetch the keys from the (fake) Backend API.
    pub(crate) secret_key: Option<String>,
    /// `apiUrl`.
    pub(crate) api_url: Option<String>,
    /// `audience` (an array; Clerk also takes a string, which is the same as one element).
    pub(crate) audience: Option<Vec<String>>,
    /// `authorizedParties`.
    pub(crate) authorized_parties: Option<Vec<String>>,
    /// `issuer` (an array).
    pub(crate) issuer: Option<Vec<String>>,
    /// `clockSkewInMs`.
    pub(crate) clock_skew_ms: Option<i64>,
    /// `headerType` (an array).
    pub(crate) header_type: Option<Vec<String>>,
}

impl Options {
    fn key(key: &TestKey) -> Options {
        Options {
            jwt_key: Some(key.public_pem.to_owned()),
            ..Options::default()
        }
    }

    fn pem(pem: impl Into<String>) -> Options {
        Options {
            jwt_key: Some(pem.into()),
            ..Options::default()
        }
    }

    fn skew(mut self, ms: i64) -> Options {
        self.clock_skew_ms = Some(ms);
        self
    }

    fn audience(mut self, aud: &[&str]) -> Options {
        self.audience = Some(strings(aud));
        self
    }

    fn parties(mut self, azp: &[&str]) -> Options {
        self.authorized_parties = Some(strings(azp));
        self
    }

    fn issuer(mut self, iss: &[&str]) -> Options {
        self.issuer = Some(strings(iss));
        self
    }

    fn header_type(mut self, typ: &[&str]) -> Options {
        self.header_type = Some(strings(typ));
        self
    }

    /// The options object for the node script.
    pub(crate) fn to_js(&self) -> Value {
        let mut o = json!({});
        if let Some(k) = &self.jwt_key {
            o["jwtKey"] = json!(k);
        }
        if let Some(k) = &self.secret_key {
            o["secretKey"] = json!(k);
        }
        if let Some(u) = &self.api_url {
            o["apiUrl"] = json!(u);
        }
        if let Some(a) = &self.audience {
            o["audience"] = json!(a);
        }
        if let Some(a) = &self.authorized_parties {
            o["authorizedParties"] = json!(a);
        }
        if let Some(i) = &self.issuer {
            o["issuer"] = json!(i);
        }
        if let Some(s) = self.clock_skew_ms {
            o["clockSkewInMs"] = json!(s);
        }
        if let Some(t) = &self.header_type {
            o["headerType"] = json!(t);
        }
        o
    }
}

fn strings(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| (*s).to_owned()).collect()
}

/// One differential case.
#[derive(Clone, Debug)]
pub(crate) struct Case {
    /// A unique, descriptive name.
    pub(crate) name: String,
    /// The token text.
    pub(crate) token: String,
    /// The verification options.
    pub(crate) options: Options,
    /// The clock, in milliseconds since the epoch.
    pub(crate) now_ms: i64,
    /// The id of the row in the expected-divergence table this case falls under, if any.
    pub(crate) divergence: Option<&'static str>,
}

struct Builder {
    cases: Vec<Case>,
}

impl Builder {
    fn add(&mut self, name: &str, token: String, options: Options) -> &mut Case {
        self.add_at(name, token, options, NOW_MS)
    }

    fn add_at(&mut self, name: &str, token: String, options: Options, now_ms: i64) -> &mut Case {
        assert!(
            self.cases.iter().all(|c| c.name != name),
            "duplicate case name {name}"
        );
        self.cases.push(Case {
            name: name.to_owned(),
            token,
            options,
            now_ms,
            divergence: None,
        });
        self.cases.last_mut().expect("just pushed")
    }
}

impl Case {
    fn diverges(&mut self, id: &'static str) {
        self.divergence = Some(id);
    }
}

fn a() -> TestKey {
    keys::rsa2048_a()
}

fn header() -> Value {
    json!({"typ": "JWT", "kid": "ins_2abc"})
}

fn payload() -> Value {
    clerk_payload(NOW_S)
}

/// RS256 over the given header and payload objects (with `alg` added) by key A.
fn rs256(header: &Value, payload: &Value) -> String {
    a().sign(Algorithm::RS256, header, payload)
}

/// RS256 by key A over raw header and payload texts (which must name their own `alg`).
fn rs256_raw(header: &str, payload: &str) -> String {
    finish(&a(), Algorithm::RS256, &signing_input_raw(header, payload))
}

fn with(payload: &Value, name: &str, value: Value) -> Value {
    let mut p = payload.clone();
    p[name] = value;
    p
}

fn without(payload: &Value, name: &str) -> Value {
    let mut p = payload.clone();
    if let Some(o) = p.as_object_mut() {
        o.shift_remove(name);
    }
    p
}

/// Every case. Names are unique; the divergence ids refer to `DIVERGENCES` in the test.
pub(crate) fn all() -> Vec<Case> {
    let mut b = Builder { cases: Vec::new() };
    let opts = || Options::key(&a());
    let p = payload();
    let h = header();

    // --- Valid tokens and key forms -----------------------------------------------------
    b.add("valid RS256", rs256(&h, &p), opts());
    for alg in [Algorithm::RS384, Algorithm::RS512] {
        b.add(
            &format!("valid {alg} with a PEM key"),
            a().sign(alg, &h, &p),
            opts(),
        )
        .diverges("pem-rs256-only");
    }
    b.add(
        "valid RS256 without kid or typ",
        rs256(&json!({}), &p),
        opts(),
    );
    b.add(
        "payload with custom and nested claims is returned unchanged",
        rs256(
            &h,
            &with(
                &with(
                    &p,
                    "metadata",
                    json!({"role": "admin", "tags": ["a", "b"], "n": null}),
                ),
                "name",
                json!("Zoë ✓ \u{1F600}"),
            ),
        ),
        opts(),
    );
    b.add(
        "jku, x5u and jwk header members are ignored",
        rs256(
            &json!({"typ": "JWT", "jku": "https://evil.example/jwks", "x5u": "https://evil.example/x5u", "jwk": {"kty": "oct", "k": "AAAA"}}),
            &p,
        ),
        opts(),
    );
    b.add(
        "another cat than the machine-token category is ignored",
        rs256(&json!({"typ": "JWT", "cat": "cl_session"}), &p),
        opts(),
    );
    let crlf = a().public_pem.replace('\n', "\r\n");
    b.add("PEM with CRLF line ends", rs256(&h, &p), Options::pem(crlf));
    let one_line: String = a().public_pem.lines().collect();
    b.add("PEM on one line", rs256(&h, &p), Options::pem(one_line));
    let escaped = a().public_pem.trim_end().replace('\n', "\\n");
    b.add(
        "PEM with literal \\n escapes",
        rs256(&h, &p),
        Options::pem(escaped),
    )
    .diverges("real-key-parsing");
    b.add(
        "PKCS#1 PEM key",
        rs256(&h, &p),
        Options::pem(keys::RSA2048_A_PKCS1_PEM),
    )
    .diverges("real-key-parsing");
    for key in [keys::rsa3072(), keys::rsa4096()] {
        b.add(
            &format!("{} key", key.name),
            key.sign(Algorithm::RS256, &h, &p),
            Options::key(&key),
        )
        .diverges("real-key-parsing");
    }
    b.add(
        "unparsable jwtKey",
        rs256(&h, &p),
        Options::pem("not a key"),
    )
    .diverges("key-checked-when-configured");

    // --- 1. Decode ----------------------------------------------------------------------
    let good = rs256(&h, &p);
    let parts: Vec<&str> = good.split('.').collect();
    let (gh, gp, gs) = (parts[0], parts[1], parts[2]);
    b.add("empty token", String::new(), opts());
    b.add("two segments", format!("{gh}.{gp}"), opts());
    b.add("four segments", format!("{gh}.{gp}.{gs}.{gs}"), opts());
    b.add("one segment", gh.to_owned(), opts());
    b.add("leading space", format!(" {good}"), opts());
    b.add("trailing newline", format!("{good}\n"), opts());
    b.add("header not base64url", format!("{gh}!.{gp}.{gs}"), opts());
    b.add(
        "standard base64 alphabet in signature",
        format!("{gh}.{gp}.{}", gs.replace('-', "+").replace('_', "/")),
        opts(),
    );
    b.add(
        "header is not JSON",
        rs256_raw("{\"alg\":\"RS256\",", &p.to_string()),
        opts(),
    );
    b.add(
        "payload is not JSON",
        rs256_raw("{\"alg\":\"RS256\"}", "{\"sub\":"),
        opts(),
    );
    b.add(
        "header is a JSON array",
        rs256_raw("[\"RS256\"]", &p.to_string()),
        opts(),
    )
    .diverges("header-not-object");
    b.add(
        "payload is a JSON string",
        rs256_raw("{\"alg\":\"RS256\"}", "\"user_1\""),
        opts(),
    )
    .diverges("payload-not-object");
    b.add(
        "payload is JSON null",
        rs256_raw("{\"alg\":\"RS256\"}", "null"),
        opts(),
    )
    .diverges("payload-null");
    // Non-zero trailing bits: the last base64url character of a 256-byte signature carries 4
    // unused bits; setting one keeps the bytes but breaks canonical form.
    let last = gs.chars().last().expect("signature is non-empty");
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let idx = alphabet.find(last).expect("base64url character");
    let bumped = alphabet.as_bytes()[idx ^ 1] as char;
    b.add(
        "non-zero trailing bits in the signature",
        format!("{gh}.{gp}.{}{bumped}", &gs[..gs.len() - 1]),
        opts(),
    );
    // Padded segments: JSON text grown with spaces until its base64 needs `=` padding.
    let padded = |mut text: String| {
        while text.len().is_multiple_of(3) {
            text.push(' ');
        }
        URL_SAFE.encode(text)
    };
    let padded_input = format!(
        "{}.{}",
        padded(json!({"alg": "RS256", "typ": "JWT"}).to_string()),
        padded(p.to_string())
    );
    assert!(padded_input.contains('='), "the segments are padded");
    b.add(
        "padded base64url segments, signed as written",
        finish(&a(), Algorithm::RS256, &padded_input),
        opts(),
    )
    .diverges("canonical-encoding");
    // A 2048-bit signature is 256 bytes, so its padded base64url ends in "==".
    let sig_padded =
        URL_SAFE.encode(a().sign_bytes(Algorithm::RS256, format!("{gh}.{gp}").as_bytes()));
    assert!(sig_padded.ends_with("=="), "the signature is padded");
    b.add(
        "padded signature",
        format!("{gh}.{gp}.{sig_padded}"),
        opts(),
    )
    .diverges("canonical-encoding");
    let mut bad_utf8 = b"{\"sub\":\"user_\xff\",\"exp\":".to_vec();
    bad_utf8.extend_from_slice(format!("{}}}", NOW_S + 60).as_bytes());
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode("{\"alg\":\"RS256\"}"),
        URL_SAFE_NO_PAD.encode(&bad_utf8)
    );
    b.add(
        "payload with invalid UTF-8",
        finish(&a(), Algorithm::RS256, &input),
        opts(),
    )
    .diverges("canonical-encoding");
    b.add(
        "duplicate member in the payload",
        rs256_raw(
            "{\"alg\":\"RS256\"}",
            &format!(
                "{{\"sub\":\"user_a\",\"sub\":\"user_b\",\"exp\":{}}}",
                NOW_S + 60
            ),
        ),
        opts(),
    )
    .diverges("canonical-encoding");
    b.add(
        "duplicate member in the header",
        rs256_raw(
            "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"typ\":\"JWT\"}",
            &p.to_string(),
        ),
        opts(),
    )
    .diverges("canonical-encoding");
    b.add(
        "duplicate alg in the header, the last one allowed",
        rs256_raw("{\"alg\":\"HS256\",\"alg\":\"RS256\"}", &p.to_string()),
        opts(),
    )
    .diverges("canonical-encoding");

    // --- 2. cat -------------------------------------------------------------------------
    b.add(
        "machine-token category",
        rs256(&json!({"typ": "JWT", "cat": M2M_CATEGORY}), &p),
        opts(),
    );
    b.add(
        "machine-token category beats a wrong typ",
        rs256(&json!({"typ": "at+jwt", "cat": M2M_CATEGORY}), &p),
        opts(),
    );
    b.add(
        "machine-token category beats an unparsable key",
        rs256(&json!({"cat": M2M_CATEGORY}), &p),
        Options::pem("not a key"),
    )
    .diverges("key-checked-before-category");

    // --- 3. typ -------------------------------------------------------------------------
    b.add(
        "typ at+jwt with the default header type",
        rs256(&json!({"typ": "at+jwt"}), &p),
        opts(),
    );
    b.add(
        "typ jwt in lower case",
        rs256(&json!({"typ": "jwt"}), &p),
        opts(),
    );
    b.add(
        "typ absent with a configured header type",
        rs256(&json!({}), &p),
        opts().header_type(&["JWT"]),
    );
    b.add(
        "typ listed among several header types",
        rs256(&json!({"typ": "at+jwt"}), &p),
        opts().header_type(&["JWT", "at+jwt"]),
    );
    b.add(
        "typ not listed among several header types",
        rs256(&json!({"typ": "JWS"}), &p),
        opts().header_type(&["JWT", "at+jwt"]),
    );
    b.add("typ is a number", rs256(&json!({"typ": 1}), &p), opts())
        .diverges("header-member-type-message");
    b.add(
        "wrong typ beats a wrong alg",
        a().sign(Algorithm::PS256, &json!({"typ": "at+jwt"}), &p),
        opts(),
    );

    // --- 4. alg -------------------------------------------------------------------------
    b.add(
        "alg HS256",
        hmac_sign(Algorithm::HS256, &[7u8; 32], &h, &p),
        opts(),
    );
    b.add(
        "alg HS256 signed with the PEM text as secret (algorithm confusion)",
        hmac_sign(Algorithm::HS256, a().public_pem.as_bytes(), &h, &p),
        opts(),
    );
    b.add(
        "alg none with an empty signature",
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode("{\"alg\":\"none\",\"typ\":\"JWT\"}"),
            URL_SAFE_NO_PAD.encode(p.to_string())
        ),
        opts(),
    );
    b.add(
        "alg rs256 in lower case",
        rs256_raw("{\"alg\":\"rs256\",\"typ\":\"JWT\"}", &p.to_string()),
        opts(),
    );
    b.add("alg PS256", a().sign(Algorithm::PS256, &h, &p), opts());
    b.add(
        "alg ES256",
        keys::p256().sign(Algorithm::ES256, &h, &p),
        opts(),
    );
    b.add(
        "alg missing",
        rs256_raw("{\"typ\":\"JWT\"}", &p.to_string()),
        opts(),
    )
    .diverges("alg-message");
    b.add(
        "alg is a number",
        rs256_raw("{\"alg\":256,\"typ\":\"JWT\"}", &p.to_string()),
        opts(),
    )
    .diverges("alg-message");

    // --- Other header members -----------------------------------------------------------
    b.add(
        "crit header",
        rs256(
            &json!({"typ": "JWT", "crit": ["exp"], "exp": NOW_S + 60}),
            &p,
        ),
        opts(),
    )
    .diverges("crit-rejected");
    b.add(
        "b64 false header",
        rs256(&json!({"typ": "JWT", "b64": false}), &p),
        opts(),
    )
    .diverges("b64-rejected");
    b.add(
        "kid is a number",
        rs256(&json!({"typ": "JWT", "kid": 7}), &p),
        opts(),
    )
    .diverges("kid-type-with-jwt-key");
    b.add(
        "kid of 300 bytes",
        rs256(&json!({"typ": "JWT", "kid": "k".repeat(300)}), &p),
        opts(),
    )
    .diverges("kid-length-with-jwt-key");
    b.add(
        "cat is a number",
        rs256(&json!({"typ": "JWT", "cat": 1}), &p),
        opts(),
    )
    .diverges("cat-type");

    // --- 6. Signature ------------------------------------------------------------------
    b.add(
        "signed by another key",
        keys::rsa2048_b().sign(Algorithm::RS256, &h, &p),
        opts(),
    );
    let mut sig = URL_SAFE_NO_PAD.decode(gs).expect("signature decodes");
    sig[10] ^= 1;
    b.add(
        "signature with one bit flipped",
        format!("{gh}.{gp}.{}", URL_SAFE_NO_PAD.encode(&sig)),
        opts(),
    );
    let other_payload = URL_SAFE_NO_PAD.encode(with(&p, "sub", json!("user_evil")).to_string());
    b.add(
        "payload swapped after signing",
        format!("{gh}.{other_payload}.{gs}"),
        opts(),
    );
    b.add("empty signature", format!("{gh}.{gp}."), opts());
    b.add(
        "truncated signature",
        format!("{gh}.{gp}.{}", URL_SAFE_NO_PAD.encode(&sig[..128])),
        opts(),
    );
    b.add(
        "signature check comes before claims",
        keys::rsa2048_b().sign(Algorithm::RS256, &h, &with(&p, "exp", json!(NOW_S - 3600))),
        opts(),
    );

    // --- 7. Claims: sub -----------------------------------------------------------------
    b.add("sub missing", rs256(&h, &without(&p, "sub")), opts());
    b.add(
        "sub is a number",
        rs256(&h, &with(&p, "sub", json!(123))),
        opts(),
    );
    b.add(
        "sub is null",
        rs256(&h, &with(&p, "sub", Value::Null)),
        opts(),
    );
    b.add(
        "sub is empty",
        rs256(&h, &with(&p, "sub", json!(""))),
        opts(),
    );

    // --- aud ----------------------------------------------------------------------------
    let aud_opts = || opts().audience(&["api://one", "api://two"]);
    for (name, aud, divergence) in [
        ("aud string listed", Some(json!("api://two")), None),
        ("aud string not listed", Some(json!("api://three")), None),
        (
            "aud array with a listed element",
            Some(json!(["x", "api://one"])),
            None,
        ),
        (
            "aud array without a listed element",
            Some(json!(["x", "y"])),
            None,
        ),
        ("aud missing", None, None),
        ("aud empty string", Some(json!("")), None),
        ("aud empty array", Some(json!([])), None),
        ("aud array of empty strings", Some(json!(["", ""])), None),
        (
            "aud array with an empty and an unlisted string",
            Some(json!(["", "x"])),
            None,
        ),
        ("aud is a number", Some(json!(5)), Some("malformed-aud")),
        (
            "aud is an object",
            Some(json!({"a": "api://one"})),
            Some("malformed-aud"),
        ),
        (
            "aud array with a number",
            Some(json!([1, "api://one"])),
            Some("malformed-aud"),
        ),
        ("aud is null", Some(Value::Null), Some("malformed-aud")),
        ("aud is false", Some(json!(false)), Some("malformed-aud")),
    ] {
        let payload = match aud {
            Some(v) => with(&p, "aud", v),
            None => without(&p, "aud"),
        };
        let case = b.add(name, rs256(&h, &payload), aud_opts());
        if let Some(id) = divergence {
            case.diverges(id);
        }
    }
    b.add(
        "aud not listed but no audience configured",
        rs256(&h, &with(&p, "aud", json!("api://three"))),
        opts(),
    );
    b.add(
        "aud is a number but no audience configured",
        rs256(&h, &with(&p, "aud", json!(5))),
        opts(),
    );
    b.add(
        "aud checked against a single configured audience",
        rs256(&h, &with(&p, "aud", json!("api://one"))),
        opts().audience(&["api://one"]),
    );

    // --- azp ----------------------------------------------------------------------------
    let azp_opts = || opts().parties(&["https://app.example.com", "https://admin.example.com"]);
    b.add("azp listed", rs256(&h, &p), azp_opts());
    b.add(
        "azp not listed",
        rs256(&h, &with(&p, "azp", json!("https://evil.example.com"))),
        azp_opts(),
    );
    b.add("azp missing", rs256(&h, &without(&p, "azp")), azp_opts());
    b.add(
        "azp empty",
        rs256(&h, &with(&p, "azp", json!(""))),
        azp_opts(),
    );
    b.add(
        "azp is a number",
        rs256(&h, &with(&p, "azp", json!(1))),
        azp_opts(),
    );
    b.add(
        "azp with a trailing slash is not the same party",
        rs256(&h, &with(&p, "azp", json!("https://app.example.com/"))),
        azp_opts(),
    );
    b.add(
        "azp unchecked when no parties are configured",
        rs256(&h, &with(&p, "azp", json!("https://evil.example.com"))),
        opts(),
    );

    // --- iss ----------------------------------------------------------------------------
    let iss_opts = || opts().issuer(&["https://clerk.example.com"]);
    b.add("iss listed", rs256(&h, &p), iss_opts());
    b.add(
        "iss not listed",
        rs256(&h, &with(&p, "iss", json!("https://clerk.evil.com"))),
        iss_opts(),
    );
    b.add("iss missing", rs256(&h, &without(&p, "iss")), iss_opts());
    b.add(
        "iss is a number",
        rs256(&h, &with(&p, "iss", json!(3))),
        iss_opts(),
    );

    // --- exp, nbf, iat ------------------------------------------------------------------
    let t = |name: &str, v: Value| with(&p, name, v);
    b.add("exp missing", rs256(&h, &without(&p, "exp")), opts());
    b.add(
        "exp is a string",
        rs256(&h, &t("exp", json!("1700000060"))),
        opts(),
    );
    b.add("exp is null", rs256(&h, &t("exp", Value::Null)), opts());
    b.add("exp is true", rs256(&h, &t("exp", json!(true))), opts());
    // Boundaries: expired iff exp_ms <= now_ms - skew.
    for (skew, exp_offset) in [
        (5000, -5),
        (5000, -4),
        (5000, -6),
        (0, 0),
        (0, 1),
        (0, -1),
        (-2000, 2),
        (-2000, 3),
        (60_000, -59),
        (60_000, -60),
    ] {
        b.add(
            &format!("exp now{exp_offset:+}s with skew {skew}ms"),
            rs256(&h, &t("exp", json!(NOW_S + exp_offset))),
            opts().skew(skew),
        );
    }
    b.add(
        "exp now-5s with the default skew",
        rs256(&h, &t("exp", json!(NOW_S - 5))),
        opts(),
    );
    b.add(
        "exp now-4s with the default skew",
        rs256(&h, &t("exp", json!(NOW_S - 4))),
        opts(),
    );
    // Fractions of a second are truncated, and the clock keeps its milliseconds.
    b.add(
        "exp now+0.9s (truncated to now) with skew 0",
        rs256(&h, &t("exp", json!(NOW_S as f64 + 0.9))),
        opts().skew(0),
    );
    b.add_at(
        "exp now+1s at now+999ms with skew 0",
        rs256(&h, &t("exp", json!(NOW_S + 1))),
        opts().skew(0),
        NOW_MS + 999,
    );
    b.add_at(
        "exp now at now-1ms with skew 0",
        rs256(&h, &t("exp", json!(NOW_S))),
        opts().skew(0),
        NOW_MS - 1,
    );
    b.add(
        "exp 1e13 seconds (past JavaScript's Date range, within ours)",
        rs256(&h, &t("exp", json!(10_000_000_000_000i64))),
        opts(),
    );
    b.add(
        "exp -1e13 seconds (past JavaScript's Date range, within ours)",
        rs256(&h, &t("exp", json!(-10_000_000_000_000i64))),
        opts(),
    )
    .diverges("time-beyond-js-dates");
    for (name, v) in [
        ("exp 1e300", json!(1e300)),
        ("exp -1e300", json!(-1e300)),
        ("exp 2^63", json!(9_223_372_036_854_775_808u64)),
        ("exp 2^64-1", json!(u64::MAX)),
        (
            "exp 9.3e15 seconds (past i64 milliseconds)",
            json!(9_300_000_000_000_000i64),
        ),
    ] {
        b.add(name, rs256(&h, &t("exp", v)), opts())
            .diverges("time-range");
    }
    b.add(
        "exp 8.64e12 seconds (the last JavaScript date)",
        rs256(&h, &t("exp", json!(8_640_000_000_000i64))),
        opts(),
    );

    b.add("nbf missing", rs256(&h, &without(&p, "nbf")), opts());
    b.add("nbf is a string", rs256(&h, &t("nbf", json!("0"))), opts());
    b.add("nbf is null", rs256(&h, &t("nbf", Value::Null)), opts());
    for (skew, off) in [
        (5000, 5),
        (5000, 6),
        (0, 0),
        (0, 1),
        (-2000, -2),
        (-2000, -3),
    ] {
        b.add(
            &format!("nbf now{off:+}s with skew {skew}ms"),
            rs256(&h, &t("nbf", json!(NOW_S + off))),
            opts().skew(skew),
        );
    }
    b.add("nbf 1e300", rs256(&h, &t("nbf", json!(1e300))), opts())
        .diverges("time-range");

    b.add("iat missing", rs256(&h, &without(&p, "iat")), opts());
    b.add("iat is a string", rs256(&h, &t("iat", json!("0"))), opts());
    b.add(
        "iat is an array",
        rs256(&h, &t("iat", json!([NOW_S]))),
        opts(),
    );
    for (skew, off) in [
        (5000, 5),
        (5000, 6),
        (0, 0),
        (0, 1),
        (-2000, -2),
        (-2000, -3),
    ] {
        b.add(
            &format!("iat now{off:+}s with skew {skew}ms"),
            rs256(&h, &t("iat", json!(NOW_S + off))),
            opts().skew(skew),
        );
    }
    b.add("iat 1e300", rs256(&h, &t("iat", json!(1e300))), opts())
        .diverges("time-range");
    b.add("iat -1e300", rs256(&h, &t("iat", json!(-1e300))), opts())
        .diverges("time-range");

    // More fractions: truncation toward zero on every time claim.
    b.add(
        "nbf now+0.9s (truncated to now) with skew 0",
        rs256(&h, &t("nbf", json!(NOW_S as f64 + 0.9))),
        opts().skew(0),
    );
    b.add(
        "iat now+5.999s (truncated to now+5) with the default skew",
        rs256(&h, &t("iat", json!(NOW_S as f64 + 5.999))),
        opts(),
    );
    b.add(
        "exp now-0.5s (truncated to now-1) with skew 0",
        rs256(&h, &t("exp", json!(NOW_S as f64 - 0.5))),
        opts().skew(0),
    );
    b.add(
        "exp written as a float with a zero fraction",
        rs256_raw(
            "{\"alg\":\"RS256\"}",
            &format!("{{\"sub\":\"user_1\",\"exp\":{}.0}}", NOW_S + 60),
        ),
        opts(),
    );
    b.add(
        "exp -0.5 (truncated to 0)",
        rs256(&h, &t("exp", json!(-0.5))),
        opts(),
    );

    // --- Option edges ---------------------------------------------------------------------
    b.add(
        "an empty audience option is ignored",
        rs256(&h, &with(&p, "aud", json!("api://any"))),
        opts().audience(&[""]),
    );
    b.add(
        "an empty issuer option is ignored",
        rs256(&h, &with(&p, "iss", json!("https://any.example"))),
        opts().issuer(&[""]),
    );
    b.add(
        "an empty list of authorized parties checks nothing",
        rs256(&h, &with(&p, "azp", json!("https://evil.example.com"))),
        opts().parties(&[]),
    );
    b.add(
        "a huge clock skew accepts a long-expired token",
        rs256(&h, &t("exp", json!(NOW_S - 86_400))),
        opts().skew(1_000_000_000_000),
    );
    b.add(
        "several issuers, the second listed",
        rs256(&h, &p),
        opts().issuer(&["https://a.example", "https://clerk.example.com"]),
    );
    b.add(
        "several issuers, none listed",
        rs256(&h, &p),
        opts().issuer(&["https://a.example", "https://b.example"]),
    );
    b.add(
        "several authorized parties, none listed",
        rs256(&h, &p),
        opts().parties(&["https://a.example", "https://b.example"]),
    );

    // --- Claim order ----------------------------------------------------------------------
    let expired = t("exp", json!(NOW_S - 3600));
    b.add(
        "sub checked before exp",
        rs256(&h, &without(&expired, "sub")),
        opts(),
    );
    b.add(
        "aud checked before azp",
        rs256(
            &h,
            &with(
                &with(&p, "aud", json!("x")),
                "azp",
                json!("https://evil.example.com"),
            ),
        ),
        aud_opts().parties(&["https://app.example.com"]),
    );
    b.add(
        "azp checked before iss",
        rs256(
            &h,
            &with(
                &with(&p, "iss", json!("x")),
                "azp",
                json!("https://evil.example.com"),
            ),
        ),
        opts()
            .parties(&["https://app.example.com"])
            .issuer(&["https://clerk.example.com"]),
    );
    b.add(
        "iss checked before exp",
        rs256(&h, &with(&expired, "iss", json!("x"))),
        iss_opts(),
    );
    b.add(
        "exp checked before nbf",
        rs256(&h, &with(&expired, "nbf", json!(NOW_S + 3600))),
        opts(),
    );
    b.add(
        "nbf checked before iat",
        rs256(
            &h,
            &with(&t("nbf", json!(NOW_S + 3600)), "iat", json!(NOW_S + 3600)),
        ),
        opts(),
    );
    b.add(
        "wrong-typed iat after a valid exp and nbf",
        rs256(&h, &t("iat", json!("now"))),
        opts(),
    );

    // --- Size and depth -----------------------------------------------------------------
    b.add(
        "payload of 70 KiB",
        rs256(&h, &with(&p, "blob", json!("x".repeat(70 * 1024)))),
        opts(),
    )
    .diverges("token-size-limit");
    let mut deep = json!("leaf");
    for _ in 0..40 {
        deep = json!([deep]);
    }
    b.add(
        "payload nested 40 deep",
        rs256(&h, &with(&p, "deep", deep)),
        opts(),
    )
    .diverges("nesting-limit");

    b.cases
}

/// A case whose keys come from the fake Backend API (`server.rs`): its route's reply, the
/// secret key the case uses, and the case itself (options completed by [`RemoteCase::into_case`]).
pub(crate) struct RemoteCase {
    /// The route id (a path segment).
    pub(crate) id: String,
    /// What the route answers.
    pub(crate) reply: Reply,
    /// The secret key the case sends.
    pub(crate) secret_key: &'static str,
    /// The case, without its key source yet.
    pub(crate) case: Case,
}

impl RemoteCase {
    /// The case with `secretKey` and `apiUrl` pointing at its route.
    pub(crate) fn into_case(mut self, api_url: String) -> Case {
        self.case.options.secret_key = Some(self.secret_key.to_owned());
        self.case.options.api_url = Some(api_url);
        self.case
    }
}

/// The Backend API cases: key resolution through the instance's JWKS.
pub(crate) fn remote() -> Vec<RemoteCase> {
    let b_key = keys::rsa2048_b();
    let jwk = |key: &TestKey, kid: &str, alg: Option<Algorithm>| key.public_jwk(kid, alg);
    let both =
        json!({"keys": [jwk(&a(), "ins_a", Some(Algorithm::RS256)), jwk(&b_key, "ins_b", None)]});
    let p = payload();
    let kid = |k: &str| json!({"typ": "JWT", "kid": k});
    let mut out = Vec::new();
    let mut add = |name: &str,
                   reply: Reply,
                   secret: &'static str,
                   token: String,
                   divergence: Option<&'static str>| {
        let id = format!("case{}", out.len());
        out.push(RemoteCase {
            id,
            reply,
            secret_key: secret,
            case: Case {
                name: format!("remote: {name}"),
                token,
                options: Options::default(),
                now_ms: NOW_MS,
                divergence,
            },
        });
    };
    add(
        "kid found",
        Reply::Jwks(both.clone()),
        SECRET,
        rs256(&kid("ins_a"), &p),
        None,
    );
    add(
        "second key, JWK without alg, RS512 token",
        Reply::Jwks(both.clone()),
        SECRET,
        b_key.sign(Algorithm::RS512, &kid("ins_b"), &p),
        None,
    );
    add(
        "kid not in the key set",
        Reply::Jwks(both.clone()),
        SECRET,
        rs256(&kid("ins_zzz"), &p),
        None,
    );
    add(
        "token without kid",
        Reply::Jwks(both.clone()),
        SECRET,
        rs256(&json!({"typ": "JWT"}), &p),
        None,
    );
    add(
        "token without kid, a single key in the set",
        Reply::Jwks(json!({"keys": [jwk(&a(), "ins_a", None)]})),
        SECRET,
        rs256(&json!({"typ": "JWT"}), &p),
        None,
    );
    add(
        "expired token",
        Reply::Jwks(both.clone()),
        SECRET,
        rs256(&kid("ins_a"), &with(&p, "exp", json!(NOW_S - 3600))),
        None,
    );
    add(
        "signed by another key under a known kid",
        Reply::Jwks(both.clone()),
        SECRET,
        b_key.sign(Algorithm::RS256, &kid("ins_a"), &p),
        None,
    );
    add(
        "secret key refused",
        Reply::Jwks(both.clone()),
        "sk_test_wrong_key",
        rs256(&kid("ins_a"), &p),
        None,
    );
    add(
        "server error 500",
        Reply::Status(
            500,
            json!({"errors": [{"code": "internal_error", "message": "boom"}]}),
        ),
        SECRET,
        rs256(&kid("ins_a"), &p),
        None,
    );
    add(
        "404 with another error code",
        Reply::Status(
            404,
            json!({"errors": [{"code": "resource_not_found", "message": "not found"}]}),
        ),
        SECRET,
        rs256(&kid("ins_a"), &p),
        None,
    );
    add(
        "empty key set",
        Reply::Jwks(json!({"keys": []})),
        SECRET,
        rs256(&kid("ins_a"), &p),
        None,
    );
    add(
        "an unusable key next to the right one",
        Reply::Jwks(
            json!({"keys": [jwk(&keys::p256(), "ins_ec", None), jwk(&a(), "ins_a", None)]}),
        ),
        SECRET,
        rs256(&kid("ins_a"), &p),
        None,
    );
    add(
        "kid of an EC key, RS256 token",
        Reply::Jwks(
            json!({"keys": [jwk(&keys::p256(), "ins_ec", None), jwk(&a(), "ins_a", None)]}),
        ),
        SECRET,
        rs256(&kid("ins_ec"), &p),
        Some("signature-error-detail"),
    );
    add(
        "JWK pinned to RS256, RS384 token",
        Reply::Jwks(both.clone()),
        SECRET,
        a().sign(Algorithm::RS384, &kid("ins_a"), &p),
        Some("signature-error-detail"),
    );
    add(
        "two keys share the kid, token signed by the last",
        Reply::Jwks(json!({"keys": [jwk(&a(), "ins_dup", None), jwk(&b_key, "ins_dup", None)]})),
        SECRET,
        b_key.sign(Algorithm::RS256, &kid("ins_dup"), &p),
        Some("ambiguous-kid"),
    );
    add(
        "alg not allowed and kid unknown",
        Reply::Jwks(both.clone()),
        SECRET,
        hmac_sign(Algorithm::HS256, &[7u8; 32], &kid("ins_zzz"), &p),
        Some("cheap-checks-first"),
    );
    let mut enc = jwk(&a(), "ins_enc", None);
    enc["use"] = json!("enc");
    add(
        "kid of a key with use enc",
        Reply::Jwks(json!({"keys": [enc, jwk(&b_key, "ins_b", None)]})),
        SECRET,
        rs256(&kid("ins_enc"), &p),
        Some("unusable-key-skipped"),
    );
    add(
        "kid of a symmetric key",
        Reply::Jwks(json!({"keys": [
            {"kty": "oct", "kid": "ins_oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"},
            jwk(&a(), "ins_a", None)
        ]})),
        SECRET,
        rs256(&kid("ins_oct"), &p),
        Some("unusable-key-skipped"),
    );
    add(
        "kid __proto__",
        Reply::Jwks(both.clone()),
        SECRET,
        rs256(&kid("__proto__"), &p),
        Some("prototype-kid"),
    );
    add(
        "kid constructor",
        Reply::Jwks(both.clone()),
        SECRET,
        rs256(&kid("constructor"), &p),
        Some("prototype-kid"),
    );
    add(
        "malformed token",
        Reply::Jwks(both),
        SECRET,
        "not.a.token".to_owned(),
        None,
    );
    out
}
