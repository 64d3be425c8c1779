//! Property tests of every file reader (the stable-Rust half of the fuzzing; the libFuzzer
//! targets in `fuzz/` call the same functions and are run by hand on nightly).
//!
//! Each reader gets arbitrary input and, more searching, random *mutations of a valid file*
//! (bytes flipped, set, inserted, deleted, repeated; the file truncated; header words
//! overwritten with boundary values; numbers written in text replaced by others; tokens of
//! the format spliced in), plain and gzip-compressed where the reader accepts gzip. The
//! property: the reader returns `Ok` (and then a consistent value) or an error whose message
//! (with its sources) names the file; it never panics. The inputs that once found a panic
//! are kept below as named regression tests.
//!
//! Cases per property are sized so the file runs in about half a minute in release on two
//! cores. By hand, `READERS_SCALE=20` runs 20 times the cases of every property, and
//! `PROPTEST_RNG_SEED=N` another seed (the default seed is fixed, so CI is deterministic):
//!
//! ```sh
//! READERS_SCALE=20 PROPTEST_RNG_SEED=$RANDOM cargo test --release -p flowdiff --test readers
//! ```

use flowdiff::chem::graph::{Atom, BondOrder, Element, MolGraph};
use flowdiff::chem::{canonical_smiles, parse_smiles, parse_smiles_kekulize, to_smiles};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, RngSeed, TestCaseError};
use std::path::Path;
use std::sync::OnceLock;

// ------------------------------------------------------------------------------------------
// Settings and checks shared by the properties.

/// `cases` cases (times `READERS_SCALE`), a fixed seed (or `PROPTEST_RNG_SEED`), no
/// regression files written into the source tree.
fn config(cases: u32) -> Config {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    Config {
        cases: cases.saturating_mul(env("READERS_SCALE").map_or(1, |n| n as u32)),
        rng_seed: RngSeed::Fixed(env("PROPTEST_RNG_SEED").unwrap_or(0x5eed_f10d)),
        failure_persistence: None,
        max_shrink_iters: 2048,
        ..Config::default()
    }
}

/// An `Err` must name `name` (the file's path, or the name a stream reader was given).
fn names<T>(r: &flowdiff::Result<T>, name: &str) -> Result<(), TestCaseError> {
    if let Err(e) = r {
        let msg = e.chain();
        prop_assert!(msg.contains(name), "the error does not name {name}: {msg}");
    }
    Ok(())
}

fn names_path<T>(r: &flowdiff::Result<T>, path: &Path) -> Result<(), TestCaseError> {
    names(r, &path.display().to_string())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

// ------------------------------------------------------------------------------------------
// Mutations of a valid file.

/// Where a header patch goes: near the start (header fields) or anywhere.
#[derive(Clone, Debug)]
enum At {
    /// Byte offset `4·k`, `k < 8`: the header words of IDX, the length of safetensors.
    Word(u8),
    Anywhere(Index),
}

#[derive(Clone, Debug)]
enum Edit {
    /// XOR one byte with a non-zero mask.
    Flip(Index, u8),
    Set(Index, u8),
    Insert(Index, Vec<u8>),
    /// Splice in a token of the format (`true`: overwrite, `false`: insert).
    Token(Index, Index, bool),
    /// Delete 1 to 256 bytes.
    Delete(Index, u8),
    Truncate(Index),
    /// Repeat a slice of up to 64 bytes up to 8 times.
    Repeat(Index, u8, u8),
    /// Overwrite a 4-byte (or, `wide`, 8-byte) integer, big- or little-endian.
    Patch {
        at: At,
        value: u64,
        wide: bool,
        big_endian: bool,
    },
    /// Replace a number written in ASCII (the `k`-th) with another text.
    Number(Index, String),
}

/// Interesting integers: small ones, boundaries of u32/i32/u64, powers of two, random.
fn integer() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 0u64..20,
        2 => any::<u32>().prop_map(u64::from),
        2 => any::<u64>(),
        3 => select(&[
            u8::MAX as u64, u16::MAX as u64, i32::MAX as u64, u32::MAX as u64,
            u32::MAX as u64 + 1, i64::MAX as u64, u64::MAX, 1 << 20, 1 << 31, 1 << 32,
            1 << 40, 1 << 48, 1 << 60, 1 << 62, 1 << 63, 1_000_000_000_000, 10_000_000_000,
        ][..]),
    ]
}

/// A number as text: integers, negatives, floats, and texts that are almost numbers.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => integer().prop_map(|n| n.to_string()),
        2 => integer().prop_map(|n| format!("-{n}")),
        1 => any::<f64>().prop_map(|v| v.to_string()),
        1 => any::<f32>().prop_map(|v| format!("{v:e}")),
        2 => select(&[
            "NaN", "nan", "inf", "-inf", "1e400", "-1e400", "1e-400", "-0", "0.0", "", "-",
            "1e", ".", "1.5*^-3", "99999999999999999999999999",
            "340282366920938463463374607431768211456", "0x10", "+1", "1_000",
        ][..])
        .prop_map(String::from),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<Index>(), 1u8..=255).prop_map(|(i, m)| Edit::Flip(i, m)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, v)| Edit::Set(i, v)),
        1 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Edit::Insert(i, b)),
        3 => (any::<Index>(), any::<Index>(), any::<bool>())
            .prop_map(|(i, t, o)| Edit::Token(i, t, o)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, n)| Edit::Delete(i, n)),
        1 => any::<Index>().prop_map(Edit::Truncate),
        1 => (any::<Index>(), 0u8..64, 1u8..=8).prop_map(|(i, n, t)| Edit::Repeat(i, n, t)),
        3 => (
            prop_oneof![(0u8..8).prop_map(At::Word), any::<Index>().prop_map(At::Anywhere)],
            integer(),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(at, value, wide, big_endian)| Edit::Patch { at, value, wide, big_endian }),
        4 => (any::<Index>(), number_text()).prop_map(|(i, t)| Edit::Number(i, t)),
    ]
}

/// One to six edits.
fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(edit(), 1..7)
}

fn overwrite(b: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    let at = at.min(b.len());
    if b.len() < at + bytes.len() {
        b.resize(at + bytes.len(), 0);
    }
    b[at..at + bytes.len()].copy_from_slice(bytes);
}

/// The spans of numbers written in ASCII: runs of `0-9 . - + e E` holding a digit.
fn number_spans(b: &[u8]) -> Vec<(usize, usize)> {
    let in_number = |c: u8| c.is_ascii_digit() || b".-+eE".contains(&c);
    let mut spans = Vec::new();
    let mut k = 0;
    while k < b.len() {
        if in_number(b[k]) {
            let start = k;
            while k < b.len() && in_number(b[k]) {
                k += 1;
            }
            if b[start..k].iter().any(u8::is_ascii_digit) {
                spans.push((start, k));
            }
        } else {
            k += 1;
        }
    }
    spans
}

/// `valid` with the edits applied in turn; `tokens` are the format's own words.
fn mutate(valid: &[u8], edits: &[Edit], tokens: &[&[u8]]) -> Vec<u8> {
    let mut b = valid.to_vec();
    for e in edits {
        let len = b.len();
        match e {
            Edit::Flip(i, m) if len > 0 => b[i.index(len)] ^= m,
            Edit::Set(i, v) if len > 0 => b[i.index(len)] = *v,
            Edit::Insert(i, bytes) => {
                let k = i.index(len + 1);
                b.splice(k..k, bytes.iter().copied());
            }
            Edit::Token(i, t, over) => {
                let token = tokens[t.index(tokens.len())];
                let k = i.index(len + 1);
                let end = if *over { (k + token.len()).min(len) } else { k };
                b.splice(k..end, token.iter().copied());
            }
            Edit::Delete(i, n) if len > 0 => {
                let k = i.index(len);
                b.drain(k..(k + 1 + *n as usize).min(len));
            }
            Edit::Truncate(i) => b.truncate(i.index(len + 1)),
            Edit::Repeat(i, n, times) if len > 0 => {
                let k = i.index(len);
                let slice = b[k..(k + 1 + *n as usize).min(len)].to_vec();
                let end = k + slice.len();
                for _ in 0..*times {
                    b.splice(end..end, slice.iter().copied());
                }
            }
            Edit::Patch {
                at,
                value,
                wide,
                big_endian,
            } => {
                let k = match at {
                    At::Word(w) => 4 * *w as usize,
                    At::Anywhere(i) => i.index(len + 1),
                };
                let bytes = match (wide, big_endian) {
                    (true, true) => value.to_be_bytes().to_vec(),
                    (true, false) => value.to_le_bytes().to_vec(),
                    (false, true) => (*value as u32).to_be_bytes().to_vec(),
                    (false, false) => (*value as u32).to_le_bytes().to_vec(),
                };
                overwrite(&mut b, k, &bytes);
            }
            Edit::Number(i, text) => {
                let spans = number_spans(&b);
                if !spans.is_empty() {
                    let (s, e) = spans[i.index(spans.len())];
                    b.splice(s..e, text.bytes());
                }
            }
            _ => {}
        }
    }
    b
}

/// How a mutated file reaches a reader that also accepts gzip.
#[derive(Clone, Copy, Debug)]
enum Wrap {
    /// The mutated bytes as they are.
    Plain,
    /// The mutated bytes, gzip-compressed (the reader decompresses them whole).
    Gzip,
    /// The valid file gzip-compressed, then mutated (a corrupt stream).
    MutatedGzip,
}

fn wrap() -> impl Strategy<Value = Wrap> {
    prop_oneof![4 => Just(Wrap::Plain), 2 => Just(Wrap::Gzip), 1 => Just(Wrap::MutatedGzip)]
}

fn wrapped(valid: &[u8], edits: &[Edit], tokens: &[&[u8]], how: Wrap) -> Vec<u8> {
    match how {
        Wrap::Plain => mutate(valid, edits, tokens),
        Wrap::Gzip => gzip(&mutate(valid, edits, tokens)),
        Wrap::MutatedGzip => mutate(&gzip(valid), edits, tokens),
    }
}

/// Arbitrary bytes, or arbitrary bytes after one of the format's magic prefixes.
fn bytes_after(prefixes: &'static [&'static [u8]]) -> impl Strategy<Value = Vec<u8>> {
    (
        select(prefixes),
        prop::collection::vec(any::<u8>(), 0..200),
        any::<bool>(),
    )
        .prop_map(|(p, rest, prefixed)| {
            if prefixed {
                [p, &rest[..]].concat()
            } else {
                rest
            }
        })
}

// The readers, one module each; the shared settings and mutations above.
mod arrays;
mod idx;
mod regressions;
mod runs;
mod smiles;
mod text;
