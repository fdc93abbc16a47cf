//! The three commands. Each turns parsed arguments into an [`Outcome`]; nothing here prints.

use std::io::Read;
use std::sync::Arc;

use clerk_verify::{ConfigError, Reason, TokenVerificationError, Verifier, VerifyTokenOptions};
use jwt_core::AlgorithmSet;
use serde_json::{Map, Value};

use crate::Outcome;
use crate::cli::{CheckArgs, Command, DecodeArgs, JwksArgs, VerifyArgs};
use crate::output;
use crate::source::{self, KeySource, UsageError};

/// Runs one command.
pub(crate) async fn run(
    command: Command,
    env: &dyn Fn(&str) -> Option<String>,
    stdin: impl Read,
) -> Outcome {
    match command {
        Command::Verify(args) => verify(args, env, stdin).await,
        Command::Decode(args) => decode(&args, stdin),
        Command::Jwks(args) => jwks(&args, env).await,
    }
}

async fn verify(
    args: VerifyArgs,
    env: &dyn Fn(&str) -> Option<String>,
    stdin: impl Read,
) -> Outcome {
    let source = match source::resolve(&args.source, env) {
        Ok(s) => s,
        Err(e) => return e.into(),
    };
    let token = match crate::input::token(args.token.as_deref(), stdin) {
        Ok(t) => t,
        Err(e) => return e.into(),
    };
    let options = match options(source, Some(&args.checks)) {
        Ok(o) => o,
        Err(outcome) => return outcome,
    };
    match clerk_verify::verify_token_as::<Map<String, Value>>(&token, &options).await {
        Ok(payload) => Outcome::Success(output::payload_line(&payload)),
        Err(e) => rejected(&e),
    }
}

/// The library options for a key source and the checks (`None`: the defaults). A PEM key that
/// cannot be used is not an error here: the library reports it (`jwk-failed-to-load`).
fn options(source: KeySource, checks: Option<&CheckArgs>) -> Result<VerifyTokenOptions, Outcome> {
    let mut o = VerifyTokenOptions::default();
    match source {
        KeySource::JwtKey(pem) => o.jwt_key = Some(pem),
        KeySource::JwksDocument(doc) => {
            let keys = jwks::StaticKeys::from_jwks(&doc).map_err(|e| static_jwks_failed(&e))?;
            o.key_provider = Some(Arc::new(keys));
        }
        KeySource::JwksUrl(url) => {
            o.key_provider = Some(Arc::new(remote_jwks(&url)?));
        }
        KeySource::BackendApi {
            secret_key,
            api_url,
            api_version,
        } => {
            o.secret_key = Some(secret_key);
            if let Some(url) = api_url {
                o.api_url = url;
            }
            if let Some(v) = api_version {
                o.api_version = v;
            }
        }
    }
    let Some(checks) = checks else {
        return Ok(o);
    };
    o.authorized_parties.clone_from(&checks.authorized_parties);
    o.audience.clone_from(&checks.audiences);
    o.issuer.clone_from(&checks.issuers);
    o.clock_skew_ms = checks.clock_skew_ms;
    if !checks.header_types.is_empty() {
        o.header_type = Some(checks.header_types.clone());
    }
    if !checks.algorithms.is_empty() {
        o.algorithms = AlgorithmSet::from_slice(&checks.algorithms);
    }
    Ok(o)
}

/// The key source for `--jwks-url`. A URL the source refuses (not https, nor plain http on a
/// loopback host) is a usage error.
fn remote_jwks(url: &str) -> Result<jwks::RemoteJwks, Outcome> {
    jwks::RemoteJwks::new(url).map_err(|e| {
        if e.kind() == jwks::SourceErrorKind::Config {
            Outcome::Usage(UsageError(format!("--jwks-url: {e}: {url:?}")))
        } else {
            Outcome::Rejected(output::error_line(
                Reason::JwkRemoteFailedToLoad.as_str(),
                &format!("Failed to set up the JWKS source {url}: {e}."),
                None,
            ))
        }
    })
}

/// A JWKS file that holds no usable key, or is not a JWKS document at all.
fn static_jwks_failed(e: &jwks::SourceError) -> Outcome {
    Outcome::Rejected(output::error_line(
        Reason::JwkFailedToLoad.as_str(),
        &format!("Failed to load the keys of the JWKS file: {e}."),
        None,
    ))
}

/// A rejection line, or a usage error when the options themselves cannot work.
fn rejected(e: &TokenVerificationError) -> Outcome {
    if let Some(usage) = e.config_error().and_then(usage_error) {
        return Outcome::Usage(usage);
    }
    Outcome::Rejected(output::error_line(
        e.reason().as_str(),
        e.message(),
        e.action(),
    ))
}

/// Configuration errors that a user fixes by changing the command line. The others (a key
/// that cannot be used) are verdicts with a reason code of their own.
fn usage_error(e: &ConfigError) -> Option<UsageError> {
    let flag_hint = match e {
        ConfigError::NoKeySource => "give a key source",
        ConfigError::NoAlgorithms => "give at least one --algorithm",
        ConfigError::HmacWithPublicKeySource => "drop the HMAC --algorithm",
        ConfigError::EmptyAuthorizedParty => "--authorized-party needs a non-empty value",
        ConfigError::EmptyHeaderTypes => "--header-type needs a value",
        ConfigError::InvalidApiUrl { .. } => "check --api-url or CLERK_API_URL",
        _ => return None,
    };
    Some(UsageError(format!("{e} ({flag_hint})")))
}

fn decode(args: &DecodeArgs, stdin: impl Read) -> Outcome {
    let token = match crate::input::token(args.token.as_deref(), stdin) {
        Ok(t) => t,
        Err(e) => return e.into(),
    };
    match jwt_core::danger::insecure_decode(&token) {
        Ok((header, payload)) => Outcome::Success(output::decoded_line(header.members(), &payload)),
        Err(e) => Outcome::Rejected(output::error_line(
            "token-invalid",
            &format!("Invalid JWT form: {e}."),
            None,
        )),
    }
}

async fn jwks(args: &JwksArgs, env: &dyn Fn(&str) -> Option<String>) -> Outcome {
    let source = match source::resolve(&args.source, env) {
        Ok(s) => s,
        Err(e) => return e.into(),
    };
    let options = match options(source, None) {
        Ok(o) => o,
        Err(outcome) => return outcome,
    };
    let verifier = match Verifier::new(&options) {
        Ok(v) => v,
        Err(e) => return config_rejected(e),
    };
    match verifier.key_set().await {
        Ok(Some(set)) => Outcome::Success(output::jwks_line(&set.to_jwks())),
        // Every key source this tool builds can list its keys.
        Ok(None) => Outcome::Rejected(output::error_line(
            Reason::JwkFailedToResolve.as_str(),
            "The key source cannot list its keys.",
            None,
        )),
        Err(e) => rejected(&e),
    }
}

/// The verdict for options the library refused: a usage error, or (for key material that
/// cannot be used) the same rejection `verify` prints.
fn config_rejected(e: ConfigError) -> Outcome {
    if let Some(usage) = usage_error(&e) {
        return Outcome::Usage(usage);
    }
    rejected(&e.into_token_error())
}
