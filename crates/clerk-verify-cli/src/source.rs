//! Which key source a command uses: one flag, or Clerk's environment variables when no flag
//! is given. Everything here is a usage question (exit status 2); nothing verifies a token.

use std::fmt;
use std::io::Read as _;
use std::path::Path;

use crate::cli::KeySourceArgs;

/// A usage error: the message goes to stderr and the tool exits with status 2.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct UsageError(pub(crate) String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Largest key or JWKS file read (a JWKS of 100 large RSA keys is well below this).
pub(crate) const MAX_KEY_FILE_LEN: u64 = 1024 * 1024;

/// A resolved key source, with its material read but not yet parsed.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum KeySource {
    /// A PEM public key (`--jwt-key`, `--jwt-key-file` or `CLERK_JWT_KEY`).
    JwtKey(String),
    /// A JWKS document read from `--jwks-file`.
    JwksDocument(String),
    /// A JWKS served over HTTP(S).
    JwksUrl(String),
    /// Clerk's Backend API, authenticated with a secret key.
    BackendApi {
        /// The secret key (never printed).
        secret_key: String,
        /// The Backend API URL, when not the default.
        api_url: Option<String>,
        /// The Backend API version, when not the default.
        api_version: Option<String>,
    },
}

// Hand-written so that a secret key can never reach a log or an error message.
impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::JwtKey(_) => f.write_str("JwtKey(..)"),
            KeySource::JwksDocument(_) => f.write_str("JwksDocument(..)"),
            KeySource::JwksUrl(u) => f.debug_tuple("JwksUrl").field(u).finish(),
            KeySource::BackendApi {
                api_url,
                api_version,
                ..
            } => f
                .debug_struct("BackendApi")
                .field("secret_key", &"<redacted>")
                .field("api_url", api_url)
                .field("api_version", api_version)
                .finish(),
        }
    }
}

/// The environment variables this tool reads, named as Clerk's SDKs name them.
pub(crate) const ENV_JWT_KEY: &str = "CLERK_JWT_KEY";
/// See [`ENV_JWT_KEY`].
pub(crate) const ENV_SECRET_KEY: &str = "CLERK_SECRET_KEY";
/// See [`ENV_JWT_KEY`].
pub(crate) const ENV_API_URL: &str = "CLERK_API_URL";
/// See [`ENV_JWT_KEY`].
pub(crate) const ENV_API_VERSION: &str = "CLERK_API_VERSION";

/// Resolves the key source from the flags, or from `env` when no key source flag is given.
///
/// `env` returns a variable's value; an empty value counts as unset, as in Clerk (whose
/// option checks are truthiness checks).
pub(crate) fn resolve(
    args: &KeySourceArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<KeySource, UsageError> {
    let env = |name: &str| env(name).filter(|v| !v.is_empty());
    let flag = &args.flag;
    let source = if let Some(pem) = &flag.jwt_key {
        KeySource::JwtKey(non_empty("--jwt-key", pem)?)
    } else if let Some(path) = &flag.jwt_key_file {
        KeySource::JwtKey(read_key_file("--jwt-key-file", path)?)
    } else if let Some(path) = &flag.jwks_file {
        KeySource::JwksDocument(read_key_file("--jwks-file", path)?)
    } else if let Some(url) = &flag.jwks_url {
        // The URL policy (https, or plain http on a loopback host) is the key source's own;
        // a refusal comes back from it as a usage error.
        KeySource::JwksUrl(non_empty("--jwks-url", url)?)
    } else if let Some(sk) = &flag.secret_key {
        backend_api(non_empty("--secret-key", sk)?, args, &env)?
    } else if let Some(pem) = env(ENV_JWT_KEY) {
        // Clerk's order: a configured JWT key wins over the secret key.
        KeySource::JwtKey(pem)
    } else if let Some(sk) = env(ENV_SECRET_KEY) {
        backend_api(sk, args, &env)?
    } else {
        return Err(UsageError(format!(
            "no key source: give one of --jwt-key, --jwt-key-file, --jwks-file, --jwks-url or \
             --secret-key, or set {ENV_JWT_KEY} or {ENV_SECRET_KEY}"
        )));
    };
    if !matches!(source, KeySource::BackendApi { .. }) {
        for (name, given) in [
            ("--api-url", args.api_url.is_some()),
            ("--api-version", args.api_version.is_some()),
        ] {
            if given {
                return Err(UsageError(format!(
                    "{name} applies only to the Backend API key source (--secret-key or \
                     {ENV_SECRET_KEY}), not to the key source in use"
                )));
            }
        }
    }
    Ok(source)
}

fn backend_api(
    secret_key: String,
    args: &KeySourceArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<KeySource, UsageError> {
    let api_url = match &args.api_url {
        Some(url) => Some(non_empty("--api-url", url)?),
        None => env(ENV_API_URL),
    };
    let api_version = match &args.api_version {
        Some(v) => Some(non_empty("--api-version", v)?),
        None => env(ENV_API_VERSION),
    };
    Ok(KeySource::BackendApi {
        secret_key,
        api_url,
        api_version,
    })
}

fn non_empty(flag: &str, value: &str) -> Result<String, UsageError> {
    if value.trim().is_empty() {
        Err(UsageError(format!("{flag} needs a non-empty value")))
    } else {
        Ok(value.to_owned())
    }
}

fn read_key_file(flag: &str, path: &Path) -> Result<String, UsageError> {
    let shown = path.display();
    let file = std::fs::File::open(path)
        .map_err(|e| UsageError(format!("{flag}: cannot open {shown}: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_KEY_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| UsageError(format!("{flag}: cannot read {shown}: {e}")))?;
    if bytes.len() as u64 > MAX_KEY_FILE_LEN {
        return Err(UsageError(format!(
            "{flag}: {shown} is larger than {MAX_KEY_FILE_LEN} bytes"
        )));
    }
    String::from_utf8(bytes).map_err(|_| UsageError(format!("{flag}: {shown} is not UTF-8 text")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser as _;
    use std::collections::HashMap;

    fn resolve_with(argv: &[&str], vars: &[(&str, &str)]) -> Result<KeySource, UsageError> {
        let mut full = vec!["clerk-verify", "jwks"];
        full.extend_from_slice(argv);
        let cli = Cli::try_parse_from(full).expect("argv parses");
        let Command::Jwks(args) = cli.command else {
            unreachable!("the jwks command was parsed")
        };
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        resolve(&args.source, &|name| vars.get(name).cloned())
    }

    fn backend(sk: &str, url: Option<&str>, version: Option<&str>) -> KeySource {
        KeySource::BackendApi {
            secret_key: sk.to_owned(),
            api_url: url.map(str::to_owned),
            api_version: version.map(str::to_owned),
        }
    }

    #[test]
    fn a_flag_wins_over_the_environment() {
        let env = [(ENV_JWT_KEY, "env-pem"), (ENV_SECRET_KEY, "sk_env")];
        assert_eq!(
            resolve_with(&["--jwt-key", "flag-pem"], &env),
            Ok(KeySource::JwtKey("flag-pem".into()))
        );
        assert_eq!(
            resolve_with(&["--secret-key", "sk_flag"], &env),
            Ok(backend("sk_flag", None, None))
        );
        assert_eq!(
            resolve_with(&["--jwks-url", "https://example.com/jwks"], &env),
            Ok(KeySource::JwksUrl("https://example.com/jwks".into()))
        );
    }

    #[test]
    fn the_environment_follows_clerks_order() {
        let both = [(ENV_JWT_KEY, "env-pem"), (ENV_SECRET_KEY, "sk_env")];
        assert_eq!(
            resolve_with(&[], &both),
            Ok(KeySource::JwtKey("env-pem".into()))
        );
        let sk = [
            (ENV_JWT_KEY, ""),
            (ENV_SECRET_KEY, "sk_env"),
            (ENV_API_URL, "http://127.0.0.1:9"),
            (ENV_API_VERSION, "v9"),
        ];
        assert_eq!(
            resolve_with(&[], &sk),
            Ok(backend("sk_env", Some("http://127.0.0.1:9"), Some("v9")))
        );
        assert_eq!(
            resolve_with(&["--api-url", "https://bapi.example"], &sk),
            Ok(backend("sk_env", Some("https://bapi.example"), Some("v9")))
        );
    }

    #[test]
    fn no_source_is_a_usage_error() {
        let e = resolve_with(&[], &[(ENV_JWT_KEY, ""), (ENV_API_URL, "https://x")]).unwrap_err();
        assert!(e.0.starts_with("no key source"), "{e}");
    }

    #[test]
    fn api_flags_need_the_backend_api_source() {
        let e = resolve_with(&["--jwt-key", "p", "--api-url", "https://x"], &[]).unwrap_err();
        assert!(e.0.starts_with("--api-url applies only"), "{e}");
        let e = resolve_with(&["--jwt-key", "p", "--api-version", "v2"], &[]).unwrap_err();
        assert!(e.0.starts_with("--api-version applies only"), "{e}");
    }

    #[test]
    fn empty_values_are_refused() {
        let e = resolve_with(&["--jwt-key", " "], &[]).unwrap_err();
        assert_eq!(e.0, "--jwt-key needs a non-empty value");
        let e = resolve_with(&["--secret-key", ""], &[]).unwrap_err();
        assert_eq!(e.0, "--secret-key needs a non-empty value");
    }

    #[test]
    fn unreadable_files_are_usage_errors() {
        let e = resolve_with(&["--jwks-file", "/nonexistent/jwks.json"], &[]).unwrap_err();
        assert!(e.0.starts_with("--jwks-file: cannot open"), "{e}");
    }

    #[test]
    fn debug_output_never_shows_the_secret_key() {
        let s = format!("{:?}", backend("sk_live_secret", Some("https://x"), None));
        assert!(!s.contains("sk_live_secret"), "{s}");
    }
}
