//! Writes `polluter.rs`: one function of straight-line integer code, about 48 KiB of machine
//! code (more than this machine's 32 KiB L1 instruction cache), each step with its own
//! constants so that nothing folds. Running it evicts the L1i without touching data.
use std::fmt::Write as _;

fn main() {
    const STEPS: u64 = 1_600;
    let mut src = String::from(
        "/// Runs about 48 KiB of distinct code.\n#[inline(never)]\npub fn pollute(x: u64) -> u64 {\n    let mut x = x;\n",
    );
    let mut k: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..STEPS {
        k ^= k << 13;
        k ^= k >> 7;
        k ^= k << 17;
        let c = k | 1;
        let d = k.rotate_left(29);
        let r = 1 + i % 61;
        writeln!(
            src,
            "    x = x.wrapping_mul({c:#x}).rotate_left({r}) ^ {d:#x};"
        )
        .unwrap();
    }
    src.push_str("    x\n}\n");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("polluter.rs");
    std::fs::write(out, src).unwrap();
    println!("cargo::rerun-if-changed=build.rs");
}
