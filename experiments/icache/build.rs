//! Writes `polluter.rs`: `pollute`, one function of straight-line integer code, about 48 KiB
//! of machine code (more than this machine's 32 KiB L1 instruction cache), each step with its
//! own constants so that nothing folds: running it evicts the L1i without touching data; and
//! `scramble`, as many conditional branches on pseudo-random bits, each at its own address.
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
    // A second function: as many conditional branches, each at its own address, on bits of
    // a pseudo-random state, so that the branch predictor's tables and history are left
    // holding random outcomes. Its code is about as large, so it evicts the L1i too: the
    // difference from `pollute` is the branch predictor's part.
    src.push_str(
        "/// Runs about 1,600 distinct branches on pseudo-random bits.\n#[inline(never)]\npub fn scramble(x: u64) -> u64 {\n    let mut x = x;\n",
    );
    for i in 0..STEPS {
        k ^= k << 13;
        k ^= k >> 7;
        k ^= k << 17;
        let c = k | 1;
        let bit = i % 64;
        writeln!(
            src,
            "    x ^= x << 13; x ^= x >> 7; x ^= x << 17;\n    if x & (1 << {bit}) != 0 {{ x = std::hint::black_box(x.wrapping_add({c:#x})); }}"
        )
        .unwrap();
    }
    src.push_str("    x\n}\n");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("polluter.rs");
    std::fs::write(out, src).unwrap();
    println!("cargo::rerun-if-changed=build.rs");
}
