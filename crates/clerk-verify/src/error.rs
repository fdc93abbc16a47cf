//! Clerk's error vocabulary: reason codes, messages and action hints, and the one mapping
//! from `jwt-core` and `jwks` failures to them.

use core::fmt;

use jwks::KeyLookupError;
use jwt_core::{AlgorithmSet, Claim, KeyError, KeyFamily};
use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::{Map, Value};

use crate::js;

/// Why a token was rejected, as one of Clerk's reason strings (`TokenVerificationErrorReason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// `token-expired`: `exp` has passed.
    TokenExpired,
    /// `token-invalid`: the token could not be decoded, or its header is not acceptable.
    TokenInvalid,
    /// `token-invalid-algorithm`: `alg` is not in the allow-list.
    TokenInvalidAlgorithm,
    /// `token-invalid-authorized-parties`: `azp` is missing or not listed.
    TokenInvalidAuthorizedParties,
    /// `token-invalid-issuer`: `iss` is missing or not listed.
    TokenInvalidIssuer,
    /// `token-invalid-signature`: the signature does not verify.
    TokenInvalidSignature,
    /// `token-not-active-yet`: `nbf` is in the future.
    TokenNotActiveYet,
    /// `token-iat-in-the-future`: `iat` is in the future.
    TokenIatInTheFuture,
    /// `token-verification-failed`: a claim has the wrong type or value, the audience does not
    /// match, or the key cannot be used for the token's algorithm.
    TokenVerificationFailed,
    /// `secret-key-invalid`: the Backend API refused the secret key (`clerk_key_invalid`).
    SecretKeyInvalid,
    /// `jwk-remote-failed-to-load`: the key set could not be fetched, or held no keys.
    JwkRemoteFailedToLoad,
    /// `jwk-failed-to-resolve`: no key source is configured.
    JwkFailedToResolve,
    /// `jwk-kid-mismatch`: no key matches the token's `kid`, even after a refresh.
    JwkKidMismatch,
    /// `jwk-failed-to-load`: the configured key cannot be used (not a Clerk reason; see
    /// docs/clerk-compat.md).
    JwkFailedToLoad,
    /// `configuration-invalid`: the options make no sense (not a Clerk reason; only
    /// [`verify_token`](crate::verify_token) reports it, [`Verifier::new`](crate::Verifier::new)
    /// refuses such options with a [`ConfigError`]).
    ConfigurationInvalid,
}

impl Reason {
    /// The reason string, exactly as `@clerk/backend` spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::TokenExpired => "token-expired",
            Reason::TokenInvalid => "token-invalid",
            Reason::TokenInvalidAlgorithm => "token-invalid-algorithm",
            Reason::TokenInvalidAuthorizedParties => "token-invalid-authorized-parties",
            Reason::TokenInvalidIssuer => "token-invalid-issuer",
            Reason::TokenInvalidSignature => "token-invalid-signature",
            Reason::TokenNotActiveYet => "token-not-active-yet",
            Reason::TokenIatInTheFuture => "token-iat-in-the-future",
            Reason::TokenVerificationFailed => "token-verification-failed",
            Reason::SecretKeyInvalid => "secret-key-invalid",
            Reason::JwkRemoteFailedToLoad => "jwk-remote-failed-to-load",
            Reason::JwkFailedToResolve => "jwk-failed-to-resolve",
            Reason::JwkKidMismatch => "jwk-kid-mismatch",
            Reason::JwkFailedToLoad => "jwk-failed-to-load",
            Reason::ConfigurationInvalid => "configuration-invalid",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Clerk's action hints (`TokenVerificationErrorAction`), word for word.
pub mod action {
    /// For failures only Clerk can fix.
    pub const CONTACT_SUPPORT: &str = "Contact support@clerk.com";
    /// For tokens that do not look like Clerk session tokens.
    pub const ENSURE_CLERK_JWT: &str = "Make sure that this is a valid Clerk-generated JWT.";
    /// For a missing key source.
    pub const SET_CLERK_JWT_KEY: &str = "Set the CLERK_JWT_KEY environment variable.";
    /// For a missing secret key.
    pub const SET_CLERK_SECRET_KEY: &str = "Set the CLERK_SECRET_KEY environment variable.";
    /// For clock problems (Clerk defines it; `verifyToken` does not use it).
    pub const ENSURE_CLOCK_SYNC: &str = "Make sure your system clock is in sync (e.g. turn off and on automatic time synchronization).";
    /// For a `kid` that no key matches.
    pub const KID_MISMATCH: &str = "Go to your Dashboard and validate your secret and public keys are correct. Contact support@clerk.com if the issue persists.";
}

/// What underlies a [`TokenVerificationError`].
#[derive(Clone, Debug)]
enum Cause {
    Token(jwt_core::Error),
    KeyLookup(KeyLookupError),
    Config(ConfigError),
}

/// A rejected token, in Clerk's terms: a [`reason`](Self::reason) code, a
/// [`message`](Self::message) in Clerk's wording and an optional [`action`](Self::action) hint.
///
/// The underlying `jwt-core` or `jwks` error is available as
/// [`source()`](std::error::Error::source). Serializes to
/// `{"reason":"…","message":"…","action":"…"|null}`.
///
/// Three predicates tell callers how to answer:
/// [`is_token_invalid`](Self::is_token_invalid) (the token is at fault: HTTP 401),
/// [`is_key_infrastructure_unavailable`](Self::is_key_infrastructure_unavailable) (keys could
/// not be obtained, nothing is known about the token: HTTP 503) and
/// [`is_configuration_error`](Self::is_configuration_error) (the service is misconfigured:
/// HTTP 500).
#[derive(Clone, Debug)]
pub struct TokenVerificationError {
    reason: Reason,
    message: String,
    action: Option<&'static str>,
    cause: Option<Cause>,
}

impl TokenVerificationError {
    fn new(reason: Reason, message: impl Into<String>, action: Option<&'static str>) -> Self {
        TokenVerificationError {
            reason,
            message: message.into(),
            action,
            cause: None,
        }
    }

    fn caused_by(mut self, cause: Cause) -> Self {
        self.cause = Some(cause);
        self
    }

    /// The reason code.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// The message, in Clerk's wording with the values filled in.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Clerk's action hint, when Clerk gives one for this failure.
    pub fn action(&self) -> Option<&'static str> {
        self.action
    }

    /// The `jwt-core` error behind a token rejection, if that is the cause.
    pub fn token_error(&self) -> Option<&jwt_core::Error> {
        match &self.cause {
            Some(Cause::Token(e)) => Some(e),
            _ => None,
        }
    }

    /// The key-source error behind a key-resolution failure, if that is the cause.
    pub fn key_lookup_error(&self) -> Option<&KeyLookupError> {
        match &self.cause {
            Some(Cause::KeyLookup(e)) => Some(e),
            _ => None,
        }
    }

    /// The configuration error behind a one-off [`verify_token`](crate::verify_token) failure.
    pub fn config_error(&self) -> Option<&ConfigError> {
        match &self.cause {
            Some(Cause::Config(e)) => Some(e),
            _ => None,
        }
    }

    /// Whether the keys could not be obtained (network, Backend API error, secret key refused,
    /// stale keys past their bound). The verdict says nothing about the token; answer with a
    /// retryable error (503), not 401.
    pub fn is_key_infrastructure_unavailable(&self) -> bool {
        matches!(
            self.reason,
            Reason::JwkRemoteFailedToLoad | Reason::SecretKeyInvalid
        ) && !self.is_configuration_error()
    }

    /// Whether the options are at fault (no key source, an unusable key, nonsensical options).
    pub fn is_configuration_error(&self) -> bool {
        matches!(self.cause, Some(Cause::Config(_)))
    }

    /// Whether the token itself is invalid: neither the key infrastructure nor the
    /// configuration is at fault.
    pub fn is_token_invalid(&self) -> bool {
        !self.is_key_infrastructure_unavailable() && !self.is_configuration_error()
    }
}

impl fmt::Display for TokenVerificationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason, self.message)
    }
}

impl std::error::Error for TokenVerificationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.cause {
            Some(Cause::Token(e)) => Some(e),
            Some(Cause::KeyLookup(e)) => Some(e),
            Some(Cause::Config(e)) => Some(e),
            None => None,
        }
    }
}

impl Serialize for TokenVerificationError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("TokenVerificationError", 3)?;
        st.serialize_field("reason", self.reason.as_str())?;
        st.serialize_field("message", &self.message)?;
        st.serialize_field("action", &self.action)?;
        st.end()
    }
}

/// Options that cannot work, refused when a [`Verifier`](crate::Verifier) is built rather
/// than on every token.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither `jwt_key`, `secret_key` nor a key provider is configured.
    NoKeySource,
    /// The `jwt_key` cannot be loaded.
    InvalidJwtKey(KeyError),
    /// The `jwt_key` cannot verify any allowed algorithm (for example an EC key with the
    /// default RSA allow-list).
    KeyCannotVerifyAllowedAlgorithms {
        /// The key's family.
        family: KeyFamily,
        /// The allow-list.
        allowed: AlgorithmSet,
    },
    /// The algorithm allow-list is empty.
    NoAlgorithms,
    /// `none` was given as an algorithm: it is not one.
    NoneAlgorithm,
    /// An algorithm name this library does not verify (or a wrong casing of one).
    UnknownAlgorithm {
        /// The name (at most 64 characters).
        name: String,
    },
    /// An HMAC algorithm is allowed with a public-key source (`jwt_key` or the Backend API).
    HmacWithPublicKeySource,
    /// An authorized party is the empty string (Clerk would then reject every token).
    EmptyAuthorizedParty,
    /// `header_type` is configured as an empty list (Clerk would then reject every token).
    EmptyHeaderTypes,
    /// The Backend API URL cannot be used.
    InvalidApiUrl {
        /// What is wrong (lowercase, no secrets).
        detail: String,
    },
    /// The Backend API key source could not be built.
    KeySource {
        /// What is wrong (lowercase, no secrets).
        detail: String,
    },
}

impl ConfigError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::NoKeySource => "no-key-source",
            ConfigError::InvalidJwtKey(_) => "invalid-jwt-key",
            ConfigError::KeyCannotVerifyAllowedAlgorithms { .. } => {
                "key-cannot-verify-allowed-algorithms"
            }
            ConfigError::NoAlgorithms => "no-algorithms",
            ConfigError::NoneAlgorithm => "none-algorithm",
            ConfigError::UnknownAlgorithm { .. } => "unknown-algorithm",
            ConfigError::HmacWithPublicKeySource => "hmac-with-public-key-source",
            ConfigError::EmptyAuthorizedParty => "empty-authorized-party",
            ConfigError::EmptyHeaderTypes => "empty-header-types",
            ConfigError::InvalidApiUrl { .. } => "invalid-api-url",
            ConfigError::KeySource { .. } => "key-source",
        }
    }

    /// This error as the [`TokenVerificationError`] a one-off
    /// [`verify_token`](crate::verify_token) call reports for it, with Clerk's reason, wording
    /// and action: no key source is `jwk-failed-to-resolve`; a `jwt_key` that cannot be used is
    /// `jwk-failed-to-load`; an unusable Backend API URL or source is
    /// `jwk-remote-failed-to-load`; anything else is `configuration-invalid`.
    /// [`is_configuration_error`](TokenVerificationError::is_configuration_error) is true for
    /// all of them, and [`config_error`](TokenVerificationError::config_error) gives `self` back.
    ///
    /// For callers that build a [`Verifier`](crate::Verifier) once and still want to answer a
    /// refused configuration the way `verify_token` would (a CLI printing one verdict line,
    /// say). The same conversion is available as `From<ConfigError>`.
    ///
    /// ```
    /// use clerk_verify::{ConfigError, Reason, TokenVerificationError, Verifier, VerifyTokenOptions};
    /// let refused = Verifier::new(&VerifyTokenOptions::default()).unwrap_err();
    /// assert_eq!(refused, ConfigError::NoKeySource);
    /// let e = refused.into_token_error();
    /// assert_eq!(e.reason(), Reason::JwkFailedToResolve);
    /// assert_eq!(e.message(), "Failed to resolve JWK during verification.");
    /// assert!(e.is_configuration_error());
    /// let same: TokenVerificationError = ConfigError::NoKeySource.into();
    /// assert_eq!(same.to_string(), e.to_string());
    /// ```
    pub fn into_token_error(self) -> TokenVerificationError {
        let e = match &self {
            ConfigError::NoKeySource => TokenVerificationError::new(
                Reason::JwkFailedToResolve,
                "Failed to resolve JWK during verification.",
                Some(action::SET_CLERK_JWT_KEY),
            ),
            ConfigError::InvalidJwtKey(_)
            | ConfigError::KeyCannotVerifyAllowedAlgorithms { .. } => TokenVerificationError::new(
                Reason::JwkFailedToLoad,
                format!("Failed to load the configured JWT key: {self}."),
                Some(action::SET_CLERK_JWT_KEY),
            ),
            ConfigError::InvalidApiUrl { .. } | ConfigError::KeySource { .. } => {
                TokenVerificationError::new(
                    Reason::JwkRemoteFailedToLoad,
                    format!("Failed to load JWKS from Clerk Backend API: {self}."),
                    Some(action::CONTACT_SUPPORT),
                )
            }
            _ => TokenVerificationError::new(
                Reason::ConfigurationInvalid,
                format!("Invalid verification options: {self}."),
                None,
            ),
        };
        e.caused_by(Cause::Config(self))
    }
}

impl From<ConfigError> for TokenVerificationError {
    /// See [`ConfigError::into_token_error`].
    fn from(e: ConfigError) -> Self {
        e.into_token_error()
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NoKeySource => {
                f.write_str("no key source: set jwt_key, secret_key or a key provider")
            }
            ConfigError::InvalidJwtKey(e) => write!(f, "jwt_key cannot be loaded: {e}"),
            ConfigError::KeyCannotVerifyAllowedAlgorithms { family, allowed } => write!(
                f,
                "jwt_key is a {family} key, which can verify none of the allowed algorithms {allowed:?}"
            ),
            ConfigError::NoAlgorithms => f.write_str("the algorithm allow-list is empty"),
            ConfigError::NoneAlgorithm => f.write_str("\"none\" is not an algorithm"),
            ConfigError::UnknownAlgorithm { name } => {
                write!(f, "unknown or unsupported algorithm {name:?}")
            }
            ConfigError::HmacWithPublicKeySource => f.write_str(
                "hmac algorithms cannot be allowed with a public-key source (jwt_key or secret_key)",
            ),
            ConfigError::EmptyAuthorizedParty => {
                f.write_str("an authorized party is the empty string")
            }
            ConfigError::EmptyHeaderTypes => f.write_str("header_type is an empty list"),
            ConfigError::InvalidApiUrl { detail } => write!(f, "invalid api_url: {detail}"),
            ConfigError::KeySource { detail } => {
                write!(f, "the backend api key source cannot be built: {detail}")
            }
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::InvalidJwtKey(e) => Some(e),
            _ => None,
        }
    }
}

/// The configured values Clerk's messages quote, rendered once when a verifier is built.
#[derive(Clone, Debug)]
pub(crate) struct MessageContext {
    /// The allow-list, comma-separated (`${algs}` in JavaScript).
    pub(crate) algorithms: String,
    /// The header types, `", "`-separated.
    pub(crate) header_types: String,
    /// `JSON.stringify(audienceList)`.
    pub(crate) audiences: String,
    /// The authorized parties, comma-separated.
    pub(crate) authorized_parties: String,
    /// The issuers, comma-separated.
    pub(crate) issuers: String,
}

const FORM_THREE_PARTS: &str = "Invalid JWT form. A JWT consists of three parts separated by dots.";
const FORM_UNDECODABLE: &str =
    "Invalid JWT form. The header, payload, or signature could not be decoded.";

/// The `cat` header of machine-to-machine tokens, which are not session tokens.
pub(crate) const M2M_TOKEN_CATEGORY: &str = "cl_B7d4PD333AAA";

pub(crate) fn invalid_category() -> TokenVerificationError {
    TokenVerificationError::new(
        Reason::TokenInvalid,
        "Invalid session token category.",
        Some(action::ENSURE_CLERK_JWT),
    )
}

/// Maps a `jwt-core` rejection to Clerk's reason, message and action.
///
/// `payload` gives the (unverified) payload for the rare messages that quote a claim the
/// error does not carry; it is only called on that error path.
pub(crate) fn from_token_error(
    e: jwt_core::Error,
    ctx: &MessageContext,
    payload: impl FnOnce() -> Option<Map<String, Value>>,
) -> TokenVerificationError {
    use jwt_core::Error as E;
    let ensure = Some(action::ENSURE_CLERK_JWT);
    let (reason, message, action) = match &e {
        E::MalformedSegments => (Reason::TokenInvalid, FORM_THREE_PARTS.to_owned(), None),
        E::TokenTooLong { max, .. } => (
            Reason::TokenInvalid,
            format!("Invalid JWT form. The token is longer than the limit of {max} bytes."),
            None,
        ),
        E::MalformedBase64 { .. }
        | E::MalformedUtf8 { .. }
        | E::MalformedJson { .. }
        | E::DuplicateMember { .. }
        | E::NestingTooDeep { .. } => (Reason::TokenInvalid, FORM_UNDECODABLE.to_owned(), None),
        E::HeaderParameterType { name: "alg" } => (
            Reason::TokenInvalidAlgorithm,
            format!(
                "Invalid JWT algorithm. The \"alg\" header is missing or not a string. Supported: {}.",
                ctx.algorithms
            ),
            ensure,
        ),
        E::HeaderParameterType { name } => (
            Reason::TokenInvalid,
            format!("Invalid JWT header. The {name:?} header parameter has the wrong type."),
            ensure,
        ),
        E::KidTooLong => (
            Reason::TokenInvalid,
            format!(
                "Invalid JWT header. The \"kid\" header is longer than {} bytes.",
                jwt_core::MAX_KID_LEN
            ),
            ensure,
        ),
        E::CriticalHeader => (
            Reason::TokenInvalid,
            "Invalid JWT header. Critical header extensions (\"crit\") are not supported."
                .to_owned(),
            ensure,
        ),
        E::UnencodedPayload => (
            Reason::TokenInvalid,
            "Invalid JWT header. Unencoded payloads (\"b64\": false) are not supported.".to_owned(),
            ensure,
        ),
        E::UnsupportedAlgorithm { name } => (
            Reason::TokenInvalidAlgorithm,
            format!(
                "Invalid JWT algorithm {}. Supported: {}.",
                js::json(&Value::String(name.clone())),
                ctx.algorithms
            ),
            ensure,
        ),
        E::AlgorithmNotAllowed { alg } => (
            Reason::TokenInvalidAlgorithm,
            format!(
                "Invalid JWT algorithm \"{alg}\". Supported: {}.",
                ctx.algorithms
            ),
            ensure,
        ),
        E::InvalidType { typ } => (
            Reason::TokenInvalid,
            format!(
                "Invalid JWT type {}. Expected \"{}\".",
                js::json_or_undefined(typ.clone().map(Value::String).as_ref()),
                ctx.header_types
            ),
            ensure,
        ),
        E::KeyAlgorithmMismatch { .. } => (
            Reason::TokenVerificationFailed,
            format!("Error verifying JWT signature. Error: {e}."),
            ensure,
        ),
        E::InvalidSignature => (
            Reason::TokenInvalidSignature,
            "JWT signature is invalid.".to_owned(),
            None,
        ),
        E::MissingClaim { claim } => missing_claim(*claim, ctx, payload),
        E::InvalidClaimType { claim, found } => wrong_claim_type(*claim, found),
        E::InvalidAudience { aud } => {
            let kind = if aud.is_array() {
                "claim array"
            } else {
                "claim"
            };
            (
                Reason::TokenVerificationFailed,
                format!(
                    "Invalid JWT audience {kind} (aud) {}. Is not included in \"{}\".",
                    js::json(aud),
                    ctx.audiences
                ),
                ensure,
            )
        }
        E::InvalidAuthorizedParty { azp } => (
            Reason::TokenInvalidAuthorizedParties,
            format!(
                "Invalid JWT Authorized party claim (azp) {}. Expected \"{}\".",
                js::json_or_undefined(azp.as_deref()),
                ctx.authorized_parties
            ),
            None,
        ),
        E::InvalidIssuer { iss } => (
            Reason::TokenInvalidIssuer,
            format!(
                "Invalid JWT issuer claim (iss) {}. Expected \"{}\".",
                js::json_or_undefined(iss.as_deref()),
                ctx.issuers
            ),
            ensure,
        ),
        E::Expired { exp_ms, now_ms } => (
            Reason::TokenExpired,
            format!(
                "JWT is expired. Expiry date: {}, Current date: {}.",
                js::utc_string(*exp_ms),
                js::utc_string(*now_ms)
            ),
            None,
        ),
        E::NotYetValid { nbf_ms, now_ms } => (
            Reason::TokenNotActiveYet,
            format!(
                "JWT cannot be used prior to not before date claim (nbf). Not before date: {}; Current date: {};",
                js::utc_string(*nbf_ms),
                js::utc_string(*now_ms)
            ),
            None,
        ),
        E::IssuedInFuture { iat_ms, now_ms } => (
            Reason::TokenIatInTheFuture,
            format!(
                "JWT issued at date claim (iat) is in the future. Issued at date: {}; Current date: {};",
                js::utc_string(*iat_ms),
                js::utc_string(*now_ms)
            ),
            None,
        ),
        E::ClaimsDeserialize { detail } => (
            Reason::TokenVerificationFailed,
            format!("The JWT payload does not match the expected claims type: {detail}."),
            ensure,
        ),
        // jwt-core may add variants; anything new is a rejection we report generically.
        _ => (
            Reason::TokenVerificationFailed,
            format!("Error verifying JWT: {e}."),
            ensure,
        ),
    };
    TokenVerificationError::new(reason, message, action).caused_by(Cause::Token(e))
}

fn missing_claim(
    claim: Claim,
    ctx: &MessageContext,
    payload: impl FnOnce() -> Option<Map<String, Value>>,
) -> (Reason, String, Option<&'static str>) {
    let ensure = Some(action::ENSURE_CLERK_JWT);
    match claim {
        Claim::Aud => {
            // Strict audience mode: quote the (absent or empty) `aud` as Clerk's template would.
            let aud = payload().and_then(|mut p| p.remove("aud"));
            (
                Reason::TokenVerificationFailed,
                format!(
                    "Invalid JWT audience claim (aud) {}. Is not included in \"{}\".",
                    js::json_or_undefined(aud.as_ref()),
                    ctx.audiences
                ),
                ensure,
            )
        }
        other => wrong_claim_type_message(other, "undefined"),
    }
}

fn wrong_claim_type(claim: Claim, found: &Value) -> (Reason, String, Option<&'static str>) {
    if claim == Claim::Aud {
        return (
            Reason::TokenVerificationFailed,
            format!(
                "Invalid JWT audience claim (aud) {}. Expected a string or an array of strings.",
                js::json(found)
            ),
            Some(action::ENSURE_CLERK_JWT),
        );
    }
    wrong_claim_type_message(claim, &js::json(found))
}

fn wrong_claim_type_message(claim: Claim, shown: &str) -> (Reason, String, Option<&'static str>) {
    let message = match claim {
        Claim::Sub => {
            format!("Subject claim (sub) is required and must be a string. Received {shown}.")
        }
        Claim::Exp => format!("Invalid JWT expiry date claim (exp) {shown}. Expected number."),
        Claim::Nbf => format!("Invalid JWT not before date claim (nbf) {shown}. Expected number."),
        Claim::Iat => format!("Invalid JWT issued at date claim (iat) {shown}. Expected number."),
        Claim::Azp => format!("Invalid JWT Authorized party claim (azp) {shown}."),
        Claim::Iss => format!("Invalid JWT issuer claim (iss) {shown}."),
        other => format!("Invalid JWT claim ({}) {shown}.", other.name()),
    };
    (
        Reason::TokenVerificationFailed,
        message,
        Some(action::ENSURE_CLERK_JWT),
    )
}

/// Maps a key-source failure to Clerk's reason, message and action.
///
/// `kid` is the token's `kid`; `remote` describes the Backend API source (its JWKS URL), when
/// that is the source, so messages can say where keys were loaded from.
pub(crate) fn from_key_lookup_error(
    e: KeyLookupError,
    kid: Option<&str>,
    remote: Option<&crate::backend_api::BackendApiInfo>,
) -> TokenVerificationError {
    let kid_shown = kid.unwrap_or("undefined");
    let (reason, message, action) = match &e {
        KeyLookupError::KeyNotFound { .. } => (
            Reason::JwkKidMismatch,
            format!(
                "Unable to find a signing key in JWKS that matches the kid='{kid_shown}' of the provided session token. Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT."
            ),
            Some(action::KID_MISMATCH),
        ),
        KeyLookupError::AmbiguousKey { .. } => (
            Reason::JwkKidMismatch,
            format!(
                "Found more than one signing key in JWKS that matches the kid='{kid_shown}' of the provided session token; refusing to guess."
            ),
            Some(action::KID_MISMATCH),
        ),
        KeyLookupError::Unavailable(src) => {
            if let Some(message) = remote.and_then(|_| crate::backend_api::invalid_secret_key(src))
            {
                (
                    Reason::SecretKeyInvalid,
                    message,
                    Some(action::CONTACT_SUPPORT),
                )
            } else {
                let message = match (remote, src.kind(), src.http_status()) {
                    (_, jwks::SourceErrorKind::NoUsableKeys, _) => {
                        "The JWKS endpoint did not contain any signing keys. Contact support@clerk.com."
                            .to_owned()
                    }
                    (Some(r), _, Some(status)) => {
                        format!("Error loading Clerk JWKS from {} with code={status}", r.jwks_url)
                    }
                    (Some(r), _, None) => {
                        format!("Error loading Clerk JWKS from {}: {src}", r.jwks_url)
                    }
                    (None, _, _) => format!("Failed to load JWKS: {src}"),
                };
                (
                    Reason::JwkRemoteFailedToLoad,
                    message,
                    Some(action::CONTACT_SUPPORT),
                )
            }
        }
        // jwks may add variants; treat anything new as the source being unable to answer.
        _ => (
            Reason::JwkRemoteFailedToLoad,
            format!("Failed to load JWKS: {e}"),
            Some(action::CONTACT_SUPPORT),
        ),
    };
    TokenVerificationError::new(reason, message, action).caused_by(Cause::KeyLookup(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_to_clerks_shape() {
        let e = invalid_category();
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"reason":"token-invalid","message":"Invalid session token category.","action":"Make sure that this is a valid Clerk-generated JWT."}"#
        );
        let e = TokenVerificationError::new(Reason::TokenExpired, "x", None);
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"reason":"token-expired","message":"x","action":null}"#
        );
        assert_eq!(e.to_string(), "token-expired: x");
        assert!(e.is_token_invalid());
    }

    #[test]
    fn config_errors_become_clerk_reasons() {
        let e = ConfigError::NoKeySource.into_token_error();
        assert_eq!(e.reason(), Reason::JwkFailedToResolve);
        assert_eq!(e.message(), "Failed to resolve JWK during verification.");
        assert_eq!(e.action(), Some(action::SET_CLERK_JWT_KEY));
        assert!(e.is_configuration_error());
        assert!(!e.is_token_invalid());
        assert!(!e.is_key_infrastructure_unavailable());
        let e = ConfigError::InvalidJwtKey(KeyError::InvalidPem).into_token_error();
        assert_eq!(e.reason(), Reason::JwkFailedToLoad);
        assert_eq!(
            e.config_error(),
            Some(&ConfigError::InvalidJwtKey(KeyError::InvalidPem))
        );
        let e = ConfigError::NoAlgorithms.into_token_error();
        assert_eq!(e.reason().as_str(), "configuration-invalid");
        let e = ConfigError::InvalidApiUrl { detail: "x".into() }.into_token_error();
        assert_eq!(e.reason(), Reason::JwkRemoteFailedToLoad);
        assert!(!e.is_key_infrastructure_unavailable());
    }
}
