//! `cargo xtask bench [FILTER]`: the workspace's criterion benches, then their ratio lines.
//!
//! Runs `cargo bench --workspace --bench NAME...` for every bench target of every workspace
//! member (so library and binary targets are not rebuilt in bench mode for nothing), passing
//! `FILTER` through to criterion, which runs only the benchmarks whose id contains it. Crates
//! without benches are simply not part of the run.
//!
//! Benches report how far we are from a baseline measured in the same run (for example
//! `Verifier` against the bare *ring* signature check) by printing lines that contain the word
//! `ratio`, such as `ratio RS256 verifier/ring: 1.04`. Criterion's own report is long, so after
//! the run this task prints every such line again, together, as the summary to read and to copy
//! into docs/PERFORMANCE.md.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use crate::Result;
use crate::metadata::Metadata;

pub(crate) fn run(filter: Option<&str>) -> Result<()> {
    let meta = Metadata::load()?;
    let mut benches: Vec<&str> = meta
        .workspace_members
        .iter()
        .filter_map(|id| meta.packages.get(id))
        .flat_map(|p| p.benches.iter().map(String::as_str))
        .collect();
    benches.sort_unstable();
    benches.dedup();
    if benches.is_empty() {
        eprintln!("bench: the workspace has no bench targets yet");
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
        println!("(none: no bench printed a line containing \"ratio\")");
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
            if is_ratio_line(&line) {
                if let Ok(mut list) = ratios.lock() {
                    list.push(line.trim_end().to_owned());
                }
            }
        }
    })
}

/// A line that reports a ratio: it contains the word `ratio` (any case).
fn is_ratio_line(line: &str) -> bool {
    line.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| word == "ratio" || word == "ratios")
}

#[cfg(test)]
mod tests {
    use super::is_ratio_line;

    #[test]
    fn ratio_lines_are_recognised_by_the_word_ratio() {
        assert!(is_ratio_line("ratio RS256 verifier/ring: 1.04\n"));
        assert!(is_ratio_line("RS256: Ratio 1.04x"));
        assert!(is_ratio_line("== ratios =="));
        assert!(!is_ratio_line(
            "rs256/verifier time: [16.1 µs 16.2 µs 16.3 µs]"
        ));
        assert!(!is_ratio_line("configuration: iterations"));
    }
}
