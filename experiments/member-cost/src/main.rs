//! What does jwt-core's member reader cost per member of a payload, and how far is that from
//! a minimal scan of the same members?
//!
//! Compact payloads of N members (3-byte names; even members 10-digit integers, odd ones
//! 21-byte strings) are read two ways, and each name and value is summed so that nothing is
//! optimised away:
//!
//! - `reader`: `UnverifiedToken::prepare_with` on an HS256-headed token with that payload,
//!   with a reader taking each member's name, `kind`, and `optional_str` or `number` (the
//!   header decoding and the payload's base64 are inside `prepare_with` too, and the same for
//!   every N, so the slope over N is the reader's cost per member);
//! - `flat`: the prototype in `flat.rs` on the payload text alone (its scan, then a plain loop
//!   over its table);
//! - `table`: the same scan, its table then read through `flat::TableReader`, an API shaped
//!   like the member reader's (names and values one at a time, each value read once by a
//!   typed method, misuse sticky): how much of the prototype's lead survives such an API.
//!
//! `member-cost reader|flat|table N CALLS` runs one of them CALLS times, a fixed workload for
//! callgrind (`valgrind --tool=callgrind --toggle-collect='*read_all*'`, `'*flat_all*'` or
//! `'*table_all*'`);
//! instructions per member = (total at N − total at 0) / CALLS / N. Without arguments the three
//! alternate in blocks of 16 calls (`integration_tests::bench::interleaved`) over 25 rounds at
//! 0, 12 and 24 members, and the median time per call is printed, with the slope per member.
//!
//! Run: `cargo run --release --manifest-path experiments/member-cost/Cargo.toml`.
#![forbid(unsafe_code)]

mod flat;

use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use integration_tests::bench::interleaved;
use jwt_core::{GaveUp, Kind, Limits, MemberReader, UnverifiedToken};

/// The payload text of `members` members.
fn payload(members: usize) -> String {
    let mut obj = serde_json::Map::new();
    for i in 0..members {
        if i % 2 == 0 {
            obj.insert(
                format!("k{i:02}"),
                serde_json::json!(1_700_000_000 + i as i64),
            );
        } else {
            obj.insert(
                format!("s{i:02}"),
                serde_json::json!("user_2abc3def4ghi5jkl"),
            );
        }
    }
    serde_json::Value::Object(obj).to_string()
}

/// A token with that payload (its signature is not looked at).
fn token(payload: &str) -> String {
    format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#),
        URL_SAFE_NO_PAD.encode(payload)
    )
}

#[inline(never)]
fn read_all(m: &mut MemberReader<'_, '_>) -> Result<u64, GaveUp> {
    let mut sum = 0u64;
    while let Some(name) = m.next_name()? {
        sum += name.len() as u64;
        match m.kind()? {
            Kind::String => sum += m.optional_str()?.map_or(0, |s| s.len() as u64),
            Kind::Number => sum += m.number()?.as_u64().unwrap_or(0),
            _ => return Err(GaveUp),
        }
    }
    Ok(sum)
}

#[inline(never)]
fn reader(token: &str, limits: &Limits) {
    black_box(UnverifiedToken::prepare_with(token, limits, read_all).expect("a readable token"));
}

/// The prototype's scan of `text`, then `read` over its table.
#[inline(always)]
fn scanned<T>(text: &str, read: impl FnOnce(&[flat::Entry]) -> T) -> T {
    let mut table = [flat::Entry::default(); 32];
    let mut captured = [None; 7];
    let n = flat::scan(text, &mut table, &mut captured).expect("a compact flat object");
    black_box(&captured);
    read(&table[..n])
}

#[inline(never)]
fn flat_all(text: &str) -> u64 {
    scanned(text, |table| sum_table(text, table))
}

/// The plain loop over the table.
#[inline(always)]
fn sum_table(text: &str, table: &[flat::Entry]) -> u64 {
    let mut sum = 0u64;
    for e in table {
        sum += text[e.name.0 as usize..e.name.1 as usize].len() as u64;
        match e.kind {
            0 => sum += text[e.value.0 as usize..e.value.1 as usize].len() as u64,
            1 => sum += e.int as u64,
            _ => {}
        }
    }
    sum
}

/// The prototype's scan, read back through a reader-shaped API (`flat::TableReader`).
#[inline(never)]
fn table_all(text: &str) -> u64 {
    scanned(text, |table| {
        read_table(&mut flat::TableReader::new(text, table)).expect("a readable table")
    })
}

#[inline(always)]
fn read_table(m: &mut flat::TableReader<'_>) -> Result<u64, flat::GaveUp> {
    let mut sum = 0u64;
    while let Some(name) = m.next_name()? {
        sum += name.len() as u64;
        match m.kind()? {
            flat::Kind::String => sum += m.optional_str()?.map_or(0, |s| s.len() as u64),
            flat::Kind::Number => sum += m.number()?.as_u64().unwrap_or(0),
            flat::Kind::Null => return Err(flat::GaveUp),
        }
    }
    Ok(sum)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let limits = Limits::default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [which, members, calls] = args.as_slice() {
        let members: usize = members.parse().expect("N members");
        let calls: usize = calls.parse().expect("CALLS");
        let text = payload(members);
        let token = token(&text);
        for _ in 0..calls {
            match which.as_str() {
                "reader" => reader(black_box(&token), &limits),
                "flat" => {
                    black_box(flat_all(black_box(&text)));
                }
                "table" => {
                    black_box(table_all(black_box(&text)));
                }
                _ => panic!("reader, flat or table"),
            }
        }
        return;
    }
    println!("| members | reader ns/call | flat ns/call | table ns/call |");
    println!("|---|---|---|---|");
    let mut per_call = Vec::new();
    for members in [0, 12, 24] {
        let text = payload(members);
        let token = token(&text);
        let (mut r, mut f, mut t) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..25 {
            let times = interleaved(
                4_000,
                &[
                    &|| reader(black_box(&token), &limits),
                    &|| {
                        black_box(flat_all(black_box(&text)));
                    },
                    &|| {
                        black_box(table_all(black_box(&text)));
                    },
                ],
            );
            r.push(times[0].as_nanos() as f64 / 4_000.0);
            f.push(times[1].as_nanos() as f64 / 4_000.0);
            t.push(times[2].as_nanos() as f64 / 4_000.0);
        }
        let (r, f, t) = (median(r), median(f), median(t));
        println!("| {members} | {r:.1} | {f:.1} | {t:.1} |");
        per_call.push([r, f, t]);
    }
    let slope = |side: usize| (per_call[2][side] - per_call[0][side]) / 24.0;
    println!(
        "ns per member (from 0 to 24): reader {:.1}, flat {:.1}, table {:.1}",
        slope(0),
        slope(1),
        slope(2)
    );
}
