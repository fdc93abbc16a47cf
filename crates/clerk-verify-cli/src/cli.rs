//! The command line, as `clap` sees it. Only shapes and help texts live here; meaning is given
//! to the values in `source.rs` and the command modules.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use jwt_core::{Algorithm, KeyFamily};

/// Verify Clerk session tokens (JWTs) from the command line, like `verifyToken()` of
/// `@clerk/backend`.
///
/// Exit status: 0 verified, 1 rejected (one JSON line on stdout says why), 2 usage error.
#[derive(Debug, Parser)]
#[command(name = "clerk-verify", version, propagate_version = true)]
#[command(after_help = "Run 'clerk-verify <COMMAND> --help' for the options of one command.")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Verify a token: print its payload (exit 0) or why it was rejected (exit 1).
    ///
    /// On success stdout holds one line, the verified payload as JSON. On rejection stdout holds
    /// one line {"error":{"reason":"...","message":"...","action":...}} with Clerk's reason code.
    #[command(after_help = VERIFY_AFTER_HELP)]
    Verify(VerifyArgs),
    /// Show a token's header and payload WITHOUT verifying anything.
    ///
    /// Prints one line {"unverified":true,"header":{...},"payload":{...}}. Nothing is checked
    /// beyond the token's form: never base a decision on this output.
    Decode(DecodeArgs),
    /// Print the keys a key source currently serves, as a JWKS ({"keys":[...]}).
    #[command(after_help = ENV_HELP)]
    Jwks(JwksArgs),
}

const ENV_HELP: &str = "\
Environment (used only when no key source flag is given):
  CLERK_JWT_KEY      PEM public key of the instance (wins over CLERK_SECRET_KEY, as in Clerk)
  CLERK_SECRET_KEY   secret key: fetch the keys from the Backend API
  CLERK_API_URL      Backend API URL (default https://api.clerk.com)
  CLERK_API_VERSION  Backend API version (default v1)";

const VERIFY_AFTER_HELP: &str = "\
Environment (used only when no key source flag is given):
  CLERK_JWT_KEY      PEM public key of the instance (wins over CLERK_SECRET_KEY, as in Clerk)
  CLERK_SECRET_KEY   secret key: fetch the keys from the Backend API
  CLERK_API_URL      Backend API URL (default https://api.clerk.com)
  CLERK_API_VERSION  Backend API version (default v1)

Exit status: 0 verified, 1 rejected, 2 usage error (message on stderr).";

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    pub(crate) source: KeySourceArgs,
    #[command(flatten)]
    pub(crate) checks: CheckArgs,
    /// The token. Absent or '-': read it from standard input (a trailing newline is ignored).
    #[arg(value_name = "TOKEN", help_heading = "Arguments")]
    pub(crate) token: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    /// The token. Absent or '-': read it from standard input (a trailing newline is ignored).
    #[arg(value_name = "TOKEN", help_heading = "Arguments")]
    pub(crate) token: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct JwksArgs {
    #[command(flatten)]
    pub(crate) source: KeySourceArgs,
}

/// Where the verifying keys come from. At most one flag; none means "from the environment".
#[derive(Debug, Args)]
#[command(next_help_heading = "Key source (exactly one; none: from the environment)")]
pub(crate) struct KeySourceArgs {
    #[command(flatten)]
    pub(crate) flag: KeySourceFlag,
    /// Backend API URL for --secret-key (default: CLERK_API_URL, else `https://api.clerk.com`).
    #[arg(long, value_name = "URL")]
    pub(crate) api_url: Option<String>,
    /// Backend API version for --secret-key (default: CLERK_API_VERSION, else v1).
    #[arg(long, value_name = "V")]
    pub(crate) api_version: Option<String>,
}

/// The mutually exclusive key source flags.
#[derive(Debug, Args)]
#[group(multiple = false)]
pub(crate) struct KeySourceFlag {
    /// The instance's PEM public key (SPKI or PKCS#1; literal '\n' escapes are accepted).
    // A PEM starts with "-----BEGIN": a value, not a flag.
    #[arg(long, value_name = "PEM", allow_hyphen_values = true)]
    pub(crate) jwt_key: Option<String>,
    /// A file holding the instance's PEM public key.
    #[arg(long, value_name = "PATH")]
    pub(crate) jwt_key_file: Option<PathBuf>,
    /// A file holding a JWKS document ({"keys":[...]}).
    #[arg(long, value_name = "PATH")]
    pub(crate) jwks_file: Option<PathBuf>,
    /// A JWKS URL (https://, or http:// on a loopback host).
    #[arg(long, value_name = "URL")]
    pub(crate) jwks_url: Option<String>,
    /// A Clerk secret key: fetch the keys from the Backend API. Prefer CLERK_SECRET_KEY, which
    /// other users of the machine cannot read from the process list.
    #[arg(long, value_name = "SK")]
    pub(crate) secret_key: Option<String>,
}

/// The checks `verify` applies besides the signature.
#[derive(Debug, Args)]
#[command(next_help_heading = "Checks")]
pub(crate) struct CheckArgs {
    /// Accept only tokens whose `azp` is this value (repeatable).
    #[arg(long = "authorized-party", value_name = "P")]
    pub(crate) authorized_parties: Vec<String>,
    /// Accept only tokens whose `aud` names this value, when the token has an `aud` (repeatable).
    #[arg(long = "audience", value_name = "A")]
    pub(crate) audiences: Vec<String>,
    /// Accept only tokens whose `iss` is this value (repeatable).
    #[arg(long = "issuer", value_name = "I")]
    pub(crate) issuers: Vec<String>,
    /// Tolerance for `exp`, `nbf` and `iat`, in milliseconds (0 and negative values included).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 5000,
        allow_negative_numbers = true
    )]
    pub(crate) clock_skew_ms: i64,
    /// Accept only tokens whose header `typ` is this value (repeatable; default: `JWT`, or absent).
    #[arg(long = "header-type", value_name = "T")]
    pub(crate) header_types: Vec<String>,
    /// Allowed signature algorithm (repeatable; default RS256 RS384 RS512).
    #[arg(long = "algorithm", value_name = "ALG", value_parser = parse_algorithm)]
    pub(crate) algorithms: Vec<Algorithm>,
}

/// Parses an `--algorithm` value, refusing up front what can never verify anything here.
fn parse_algorithm(name: &str) -> Result<Algorithm, String> {
    if name.eq_ignore_ascii_case("none") {
        return Err("'none' is not an algorithm: an unsigned token cannot be verified".to_owned());
    }
    let Some(alg) = Algorithm::from_name(name) else {
        let known: Vec<&str> = public_key_algorithms().map(Algorithm::name).collect();
        return Err(format!(
            "unknown or unsupported algorithm (names are case-sensitive; one of {})",
            known.join(", ")
        ));
    };
    if alg.family() == KeyFamily::Hmac {
        return Err(format!(
            "{alg} needs a shared secret, and every key source of this tool holds public keys"
        ));
    }
    Ok(alg)
}

fn public_key_algorithms() -> impl Iterator<Item = Algorithm> {
    Algorithm::ALL
        .into_iter()
        .filter(|a| a.family() != KeyFamily::Hmac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn algorithm_names_are_exact_and_public_key_only() {
        assert_eq!(parse_algorithm("RS256"), Ok(Algorithm::RS256));
        assert_eq!(parse_algorithm("EdDSA"), Ok(Algorithm::EdDSA));
        assert!(
            parse_algorithm("rs256")
                .unwrap_err()
                .contains("case-sensitive")
        );
        assert!(
            parse_algorithm("none")
                .unwrap_err()
                .contains("not an algorithm")
        );
        assert!(
            parse_algorithm("NONE")
                .unwrap_err()
                .contains("not an algorithm")
        );
        assert!(
            parse_algorithm("HS256")
                .unwrap_err()
                .contains("shared secret")
        );
        // ES256K is refused by every jwt-core backend (ES512 is accepted with aws-lc-rs).
        assert!(
            parse_algorithm("ES256K")
                .unwrap_err()
                .contains("unsupported")
        );
    }
}
