//! `cargo xtask bench [FILTER]`: the workspace's criterion benches, then their ratio lines.
//!
//! Runs `cargo bench --workspace --bench NAME...` for every bench target of every workspace
//! member (so library and binary targets are not rebuilt in bench mode for nothing), passing
//! `FILTER` through to criterion, which runs only the benchmarks whose id contains it. Crates
//! without benches are simply not part of the run. A bench that declares `required-features`
//! (such as a comparison with an optional backend) is skipped with the command that runs it:
//! enabling its features here would change the build every other bench measures.
//!
//! Benches report how far we are from a baseline measured in the same run (for example
//! `Verifier` against the bare *ring* signature check) in a report they print after their
//! measurements: lines that name a ratio (`facade ratio verifier-map / signature = 1.03`), show
//! a quotient written `a / b`, or form a Markdown table. Criterion's own output is long, so
//! after the run this task prints all such lines again, together, as the summary to read and to
//! copy into docs/PERFORMANCE.md.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use crate::Result;
use crate::metadata::Metadata;

pub(crate) fn run(filter: Option<&str>) -> Result<()> {
    let meta = Metadata::load()?;
    let mut benches = Vec::new();
    for package in meta
        .workspace_members
        .iter()
        .filter_map(|id| meta.packages.get(id))
    {
        for bench in &package.benches {
            if bench.required_features.is_empty() {
                benches.push(bench.name.as_str());
            } else {
                // Cargo refuses to run a bench by name without its features, and turning them on
                // here would change what every other bench measures.
                eprintln!(
                    "bench: skipping `{}`, which needs features {}; run it with \
                     cargo bench -p {} --bench {} --features {}",
                    bench.name,
                    bench.required_features.join(", "),
                    package.name,
                    bench.name,
                    bench.required_features.join(","),
                );
            }
        }
    }
    benches.sort_unstable();
    benches.dedup();
    if benches.is_empty() {
        eprintln!("bench: the workspace has no bench targets to run");
        return Ok(());
    }

    let mut cmd = crate::cargo();
    cmd.args(["bench", "--workspace"]);
    for bench in &benches {
        cmd.args(["--bench", bench]);
    }
    if let Some(filter) = filter {
        cmd.args(["--", filter]);
    }
    let shown = crate::display(&cmd);
    eprintln!("$ {shown}");
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;

    // Echo both streams as they come and keep the ratio lines, whichever stream they are on.
    let ratios = Arc::new(Mutex::new(Vec::new()));
    let stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let stderr = child.stderr.take().ok_or("no stderr pipe")?;
    let out_thread = echo(stdout, false, Arc::clone(&ratios));
    let err_thread = echo(stderr, true, Arc::clone(&ratios));
    let status = child.wait()?;
    for thread in [out_thread, err_thread] {
        thread
            .join()
            .map_err(|_| "output reader thread panicked")??;
    }
    if !status.success() {
        return Err(format!("`{shown}` failed ({status})").into());
    }

    let ratios = ratios.lock().map_err(|_| "ratio list poisoned")?;
    println!("\n== bench: ratios reported by the benches");
    if ratios.is_empty() {
        println!("(none: no bench printed a ratio line)");
    }
    for line in ratios.iter() {
        println!("{line}");
    }
    Ok(())
}

type Reader = std::thread::JoinHandle<std::io::Result<()>>;

fn echo(
    stream: impl Read + Send + 'static,
    to_stderr: bool,
    ratios: Arc<Mutex<Vec<String>>>,
) -> Reader {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut raw = Vec::new();
        loop {
            raw.clear();
            if reader.read_until(b'\n', &mut raw)? == 0 {
                return Ok(());
            }
            if to_stderr {
                std::io::stderr().write_all(&raw)?;
            } else {
                std::io::stdout().write_all(&raw)?;
            }
            let line = String::from_utf8_lossy(&raw);
            if is_ratio_line(&line)
                && let Ok(mut list) = ratios.lock()
            {
                list.push(line.trim_end().to_owned());
            }
        }
    })
}

/// A line of a bench's own report: it names a ratio (the word `ratio`, any case), shows a
/// quotient written `a / b`, or is a row of a Markdown table. Criterion's own lines (`time:`,
/// `change:`, outliers, ids such as `hit/remote`) are none of these.
fn is_ratio_line(line: &str) -> bool {
    let names_ratio = line
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| word == "ratio" || word == "ratios");
    names_ratio || line.contains(" / ") || line.trim_start().starts_with('|')
}

#[cfg(test)]
mod tests {
    use super::is_ratio_line;

    #[test]
    fn report_lines_are_kept_and_criterion_lines_are_not() {
        for kept in [
            "facade ratio verifier-map / jwt-core = 1.012\n",
            "ratios from median estimates:",
            "  hit: remote / static time                 1.004",
            "  threads: static               2-thread / 1-thread throughput 1.93",
            "| alg | full / floor, median of samples | samples |",
            "| RS256 | 1.031× | 100 |",
        ] {
            assert!(is_ratio_line(kept), "{kept}");
        }
        for dropped in [
            "hit/remote              time:   [41.2 ns 41.5 ns 41.9 ns]",
            "                        change: [-1.2% +0.3% +1.5%] (p = 0.52 > 0.05)",
            "Found 3 outliers among 100 measurements (3.00%)",
            "Benchmarking facade-rs256/signature: Collecting 100 samples in estimated 5.1 s",
            "RS256 token: 745 bytes",
        ] {
            assert!(!is_ratio_line(dropped), "{dropped}");
        }
    }
}
