//! Development tasks for this workspace, run as `cargo xtask <task>`.
//!
//! This is the one entry point for everything a contributor or CI runs besides plain `cargo`
//! commands. It does not build release artefacts, publish crates or talk to the network; it
//! only calls `cargo` and reads and writes files inside the workspace.
//!
//! ```text
//! cargo xtask ci                 everything CI runs, in CI's order, failing fast
//! cargo xtask layering           the layering invariants of docs/ARCHITECTURE.md
//! cargo xtask fixtures [--check] regenerate the generated fixtures (or check they are current)
//! cargo xtask bench [FILTER]     the criterion benches, then the ratio lines they printed
//! ```
#![forbid(unsafe_code)]

mod bench;
mod ci;
mod fixtures;
mod layering;
mod metadata;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Every task fails with a message meant for a person reading a terminal or a CI log.
pub(crate) type Result<T, E = Box<dyn std::error::Error>> = std::result::Result<T, E>;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  ci                   run exactly what CI runs, in order, stopping at the first failure:
                       fmt check, clippy (-D warnings), tests (nextest if installed, else
                       cargo test), clippy and tests again on jwt-core's aws-lc-rs backend,
                       doc-tests, rustdoc (-D warnings), layering, fixtures --check.
                       XTASK_CI_SKIP=step,step skips steps locally (never when CI is set).
  layering             check the layering invariants (docs/ARCHITECTURE.md) from cargo metadata
  fixtures [--check]   regenerate the generated fixtures; with --check, fail if they are stale
  bench [FILTER]       run the workspace's criterion benches (FILTER is passed to criterion),
                       then print again every line the benches printed that reports a ratio
  help                 this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["ci"] => ci::run(),
        ["layering"] => layering::run(),
        ["fixtures"] => fixtures::run(fixtures::Mode::Write),
        ["fixtures", "--check"] => fixtures::run(fixtures::Mode::Check),
        ["bench"] => bench::run(None),
        ["bench", filter] => bench::run(Some(filter)),
        [] | ["help" | "-h" | "--help"] => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprint!("xtask: unknown arguments {args:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: tasks run there whatever the caller's working directory.
pub(crate) fn project_root() -> PathBuf {
    let xtask_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask_dir.parent().unwrap_or(xtask_dir).to_path_buf()
}

/// A `cargo` command in the workspace root, using the same cargo that runs this task.
pub(crate) fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(project_root());
    cmd
}

/// How a command is shown in logs and error messages: `cargo clippy --workspace ...`.
pub(crate) fn display(cmd: &Command) -> String {
    let mut shown = String::from("cargo");
    for arg in cmd.get_args() {
        shown.push(' ');
        shown.push_str(&arg.to_string_lossy());
    }
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            shown = format!(
                "{}={} {shown}",
                key.to_string_lossy(),
                value.to_string_lossy()
            );
        }
    }
    shown
}

/// Runs a command with inherited output; a non-zero exit becomes an error naming the command.
pub(crate) fn run_command(cmd: &mut Command) -> Result<()> {
    let shown = display(cmd);
    eprintln!("$ {shown}");
    let status = cmd
        .status()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})").into())
    }
}
