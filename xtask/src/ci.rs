//! `cargo xtask ci`: exactly what CI runs, in CI's order, stopping at the first failure.
//!
//! CI itself (`.ci/run`) only installs missing tools and then calls this, so a green local run
//! means a green CI run.
//!
//! `XTASK_CI_SKIP` (a comma-separated list of step names) skips steps in a local run, for
//! example `XTASK_CI_SKIP=doc,test` while iterating on lints. It is empty by default, so nothing
//! is skipped, and it is refused when `CI` is set: CI always runs every step.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::{Result, cargo, fixtures, layering, run_command};

/// The environment variable that skips steps locally.
const SKIP_VAR: &str = "XTASK_CI_SKIP";

/// The steps, in order.
const STEPS: &[&str] = &[
    "fmt",
    "clippy",
    "test",
    "test-aws-lc-rs",
    "doctest",
    "doc",
    "layering",
    "fixtures",
];

pub(crate) fn run() -> Result<()> {
    let skip = skipped_steps()?;
    let started = now();
    let mut passed = Vec::new();
    for &step in STEPS {
        if skip.contains(&step) {
            eprintln!("\n== ci: {step} (SKIPPED by {SKIP_VAR})");
            continue;
        }
        eprintln!("\n== ci: {step}");
        let step_started = now();
        if let Err(e) = run_step(step) {
            eprintln!(
                "\nci: FAILED at `{step}` after {} ({} of {} steps passed: {}): {e}",
                seconds(started.elapsed()),
                passed.len(),
                STEPS.len(),
                if passed.is_empty() {
                    "none".to_owned()
                } else {
                    passed.join(", ")
                },
            );
            return Err(format!("ci step `{step}` failed").into());
        }
        eprintln!("== ci: {step} ok ({})", seconds(step_started.elapsed()));
        passed.push(step);
    }
    let skipped = if skip.is_empty() {
        String::new()
    } else {
        format!("; SKIPPED {}", skip.join(", "))
    };
    println!(
        "ci: ok: {} of {} steps passed ({}) in {}{skipped}",
        passed.len(),
        STEPS.len(),
        passed.join(", "),
        seconds(started.elapsed()),
    );
    Ok(())
}

fn run_step(step: &str) -> Result<()> {
    match step {
        "fmt" => run_command(cargo().args(["fmt", "--all", "--", "--check"])),
        "clippy" => run_command(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])),
        "test" => {
            if nextest_installed() {
                run_command(cargo().args(["nextest", "run", "--workspace"]))
            } else {
                eprintln!("cargo-nextest is not installed: running the tests with cargo test");
                // The same targets nextest runs; doc-tests are the next step.
                run_command(cargo().args(["test", "--workspace", "--lib", "--bins", "--tests"]))
            }
        }
        // jwt-core's optional aws-lc-rs backend: lint the code only that feature compiles, and
        // run every suite on it (the integration-tests feature turns on jwt-core's, and Cargo
        // unifies it into every crate), so enabling it is proven to break nothing.
        "test-aws-lc-rs" => {
            run_command(cargo().args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--all-features",
                "--",
                "-D",
                "warnings",
            ]))?;
            run_command(cargo().args([
                "test",
                "--workspace",
                "--features",
                "integration-tests/aws-lc-rs",
                "--lib",
                "--bins",
                "--tests",
            ]))
        }
        // nextest does not run doc-tests, so they are a step of their own.
        "doctest" => run_command(cargo().args(["test", "--workspace", "--doc"])),
        "doc" => run_command(
            cargo()
                .args(["doc", "--workspace", "--no-deps"])
                .env("RUSTDOCFLAGS", "-D warnings"),
        ),
        "layering" => layering::run(),
        "fixtures" => fixtures::run(fixtures::Mode::Check),
        other => Err(format!("unknown ci step `{other}`").into()),
    }
}

fn nextest_installed() -> bool {
    let mut cmd: Command = cargo();
    cmd.args(["nextest", "--version"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    cmd.status().is_ok_and(|s| s.success())
}

/// The steps named in `XTASK_CI_SKIP`, validated.
fn skipped_steps() -> Result<Vec<&'static str>> {
    let raw = std::env::var(SKIP_VAR).unwrap_or_default();
    let skip = parse_skip(&raw)?;
    let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    if in_ci && !skip.is_empty() {
        return Err(
            format!("{SKIP_VAR}={raw} is not allowed when CI is set: CI runs every step").into(),
        );
    }
    Ok(skip)
}

fn parse_skip(raw: &str) -> Result<Vec<&'static str>> {
    let mut skip = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match STEPS.iter().find(|s| **s == name) {
            Some(step) => skip.push(*step),
            None => {
                return Err(format!(
                    "{SKIP_VAR}: unknown step `{name}`; steps are {}",
                    STEPS.join(", ")
                )
                .into());
            }
        }
    }
    Ok(skip)
}

/// The one clock read of xtask, which is a developer tool and not a library: it times the CI
/// steps for the log.
#[allow(
    clippy::disallowed_methods,
    reason = "timing CI steps for the log; no library code reads this clock"
)]
fn now() -> Instant {
    Instant::now()
}

fn seconds(d: Duration) -> String {
    format!("{:.0} s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_list_is_empty_by_default_and_validated() {
        assert!(parse_skip("").unwrap().is_empty());
        assert_eq!(parse_skip("doc, test").unwrap(), ["doc", "test"]);
        let err = parse_skip("docs").unwrap_err().to_string();
        assert!(err.contains("unknown step `docs`"), "{err}");
    }
}
