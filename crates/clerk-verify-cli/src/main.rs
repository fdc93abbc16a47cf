//! `clerk-verify`: verify Clerk session tokens from the command line, with the verdicts of
//! `verifyToken()` in `@clerk/backend`.
//!
//! The tool is a thin shell around the `clerk-verify` library: it reads a token and a key
//! source, asks the library, and prints one JSON line. It does **not** issue tokens, cache
//! keys between runs, or verify anything in `decode`.
//!
//! # Usage
//!
//! ```text
//! clerk-verify verify [KEY SOURCE] [CHECKS] [TOKEN]    no TOKEN, or '-': read it from stdin
//!   KEY SOURCE, exactly one of:
//!     --jwt-key PEM | --jwt-key-file PATH | --jwks-file PATH | --jwks-url URL
//!     --secret-key SK [--api-url URL] [--api-version V]      (Backend API JWKS, like Clerk)
//!     or, when no flag is given, CLERK_JWT_KEY / CLERK_SECRET_KEY (+ CLERK_API_URL,
//!     CLERK_API_VERSION) from the environment; CLERK_JWT_KEY wins, as in Clerk
//!   CHECKS:
//!     --authorized-party P (repeatable)  --audience A (repeatable)  --issuer I (repeatable)
//!     --clock-skew-ms N (default 5000)   --header-type T (repeatable)
//!     --algorithm ALG (repeatable; default RS256 RS384 RS512)
//! clerk-verify decode [TOKEN]       header and payload, marked unverified; never verifies
//! clerk-verify jwks [KEY SOURCE]    the keys the source currently serves, as a JWKS
//! ```
//!
//! `--help` (or `-h`) works on every command.
//!
//! # Output and exit status
//!
//! Every result is exactly one line of JSON on stdout:
//!
//! | status | when | stdout |
//! |---|---|---|
//! | 0 | verified | the payload, exactly as signed: `{"sub":"user_…",…}` |
//! | 0 | `decode` | `{"unverified":true,"header":{…},"payload":{…}}` |
//! | 0 | `jwks` | `{"keys":[…]}` |
//! | 1 | rejected | `{"error":{"reason":"token-expired","message":"JWT is expired. …","action":null}}` |
//! | 1 | `decode`: not a well-formed token | `{"error":{"reason":"token-invalid","message":"Invalid JWT form: …","action":null}}` |
//! | 1 | `jwks`: keys unavailable | the same error line (`jwk-remote-failed-to-load`, `secret-key-invalid`, …) |
//! | 2 | usage error | nothing; a message on stderr |
//!
//! `reason` is one of Clerk's reason codes (`token-invalid`, `token-expired`,
//! `jwk-kid-mismatch`, `secret-key-invalid`, …); `message` follows Clerk's wording and
//! `action` is Clerk's hint, or `null`. A key that is configured but cannot be used (a PEM
//! that does not parse, a JWKS with no usable key) is reported the same way, with exit
//! status 1 and reason `jwk-failed-to-load`; a key source that cannot be reached gives
//! `jwk-remote-failed-to-load`, and a secret key the Backend API refuses gives
//! `secret-key-invalid`.
//!
//! Usage errors (exit status 2): unknown or malformed flags, no key source, two key sources,
//! `--algorithm none`, an HMAC algorithm (every key source here holds public keys), an
//! unreadable key file, an empty `--authorized-party`, and a URL that is neither `https://`
//! nor `http://` on a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`).
//!
//! The token is taken from the command line verbatim, or read from stdin (at most 128 KiB;
//! trailing whitespace such as the newline of `echo` is dropped).
//!
//! # Examples
//!
//! ```text
//! $ export CLERK_JWT_KEY="$(cat instance.pem)"
//! $ clerk-verify verify --authorized-party https://app.example.com "$TOKEN"
//! {"azp":"https://app.example.com","exp":1700000060,"sub":"user_2abc",…}
//! $ echo "$TOKEN" | clerk-verify verify --jwks-url https://example.com/.well-known/jwks.json
//! {"error":{"reason":"token-expired","message":"JWT is expired. Expiry date: …","action":null}}
//! $ clerk-verify decode "$TOKEN"
//! {"unverified":true,"header":{"alg":"RS256","kid":"ins_2abc","typ":"JWT"},"payload":{…}}
//! $ CLERK_SECRET_KEY=sk_test_… clerk-verify jwks
//! {"keys":[{"kty":"RSA","n":"…","e":"AQAB","kid":"ins_2abc","use":"sig","alg":"RS256"}]}
//! ```
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod input;
mod output;
mod source;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

/// What a command produced: a line for stdout and the exit status, or a usage error.
pub(crate) enum Outcome {
    /// Print `line` on stdout, exit with 0.
    Success(String),
    /// Print `line` on stdout, exit with 1.
    Rejected(String),
    /// Print the message on stderr, exit with 2.
    Usage(source::UsageError),
}

impl From<source::UsageError> for Outcome {
    fn from(e: source::UsageError) -> Self {
        Outcome::Usage(e)
    }
}

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print to stdout and succeed; every other clap error is a
            // usage error, printed to stderr, and exits with 2 as the contract says.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("clerk-verify: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    // A variable that is not UTF-8 is kept (lossily) rather than treated as unset, so a
    // broken CLERK_JWT_KEY is reported as an unusable key instead of silently falling back
    // to CLERK_SECRET_KEY.
    let env = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
    let outcome = runtime.block_on(commands::run(cli.command, &env, std::io::stdin().lock()));
    finish(outcome)
}

fn finish(outcome: Outcome) -> ExitCode {
    let (line, code) = match outcome {
        Outcome::Success(line) => (line, 0),
        Outcome::Rejected(line) => (line, 1),
        Outcome::Usage(e) => {
            eprintln!("error: {e}");
            eprintln!("\nFor more information, try '--help'.");
            return ExitCode::from(2);
        }
    };
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(line.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        // A closed pipe leaves a reader with nothing; say so with a distinct failure.
        return ExitCode::FAILURE;
    }
    ExitCode::from(code)
}
