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

/// An error and its sources, as `{:#}` of anyhow prints them.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(c) = source {
        s.push_str(": ");
        s.push_str(&c.to_string());
        source = c.source();
    }
    s
}

/// An `Err` must name `name` (the file's path, or the name a stream reader was given).
fn names<T>(r: &flowdiff::Result<T>, name: &str) -> Result<(), TestCaseError> {
    if let Err(e) = r {
        let msg = chain(e);
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

// ------------------------------------------------------------------------------------------
// IDX (MNIST images and labels), plain or gzip.

mod idx {
    use super::*;
    use flowdiff::data::idx::{read_images, read_labels};

    pub const TOKENS: &[&[u8]] = &[
        &[0, 0, 8, 3],
        &[0, 0, 8, 1],
        &[0x1f, 0x8b],
        &[0xff; 4],
        &[0; 4],
        &[0, 0, 0, 1],
        &[9, 10, 255],
    ];

    pub fn file(magic: u32, dims: &[u32], body: &[u8]) -> Vec<u8> {
        let mut v = magic.to_be_bytes().to_vec();
        for d in dims {
            v.extend(d.to_be_bytes());
        }
        v.extend(body);
        v
    }

    pub fn images() -> Vec<u8> {
        file(
            2051,
            &[3, 2, 3],
            &(0..18).map(|k| k * 14).collect::<Vec<u8>>(),
        )
    }

    pub fn labels() -> Vec<u8> {
        file(2049, &[6], &[0, 1, 2, 9, 5, 7])
    }

    /// Both readers on `bytes` written to `name`: never a panic, errors name the file,
    /// results agree with their headers.
    pub fn check(bytes: &[u8], name: &str) -> Result<(), TestCaseError> {
        let dir = tempdir();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let r = read_images(&path);
        names_path(&r, &path)?;
        if let Ok(im) = &r {
            prop_assert!(im.count * im.rows * im.cols > 0);
            prop_assert_eq!(im.pixels.len(), im.count * im.rows * im.cols);
        }
        let r = read_labels(&path);
        names_path(&r, &path)?;
        if let Ok(labels) = &r {
            prop_assert!(labels.iter().all(|l| *l <= 9));
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(config(384))]

    #[test]
    fn idx_mutated_files_never_panic(
        edits in edits(),
        how in wrap(),
        image in any::<bool>(),
    ) {
        let valid = if image { idx::images() } else { idx::labels() };
        let bytes = wrapped(&valid, &edits, idx::TOKENS, how);
        idx::check(&bytes, "train-images-idx3-ubyte.gz")?;
    }

    #[test]
    fn idx_arbitrary_bytes_never_panic(
        bytes in bytes_after(&[&[0, 0, 8, 3], &[0, 0, 8, 1], &[0x1f, 0x8b, 8, 0]]),
    ) {
        idx::check(&bytes, "t10k-labels-idx1-ubyte")?;
    }
}

// ------------------------------------------------------------------------------------------
// 2-D arrays: .npy and .csv through `flowdiff::io::read_array`.

mod array {
    use super::*;
    use flowdiff::io::read_array;

    pub const NPY_TOKENS: &[&[u8]] = &[
        b"\x93NUMPY",
        b"'descr': ",
        b"'<f4'",
        b"'<f8'",
        b"'>f4'",
        b"'<i4'",
        b"'|u1'",
        b"'<f2'",
        b"'<c8'",
        b"'<U4'",
        b"'|O'",
        b"'|V8'",
        b"[('a', '<f4')]",
        b"True",
        b"False",
        b"()",
        b"(0,)",
        b"(,)",
        b", ",
        b"{",
        b"}",
        b"(",
        b")",
        b"'",
        b"\n",
        b"\x01\x00",
        b"\x02\x00",
        b"\x03\x00",
        b"\xff\xff",
        &[0, 0, 0xc0, 0x7f], // NaN (f32)
        &[0, 0, 0x80, 0x7f], // inf (f32)
    ];

    pub const CSV_TOKENS: &[&[u8]] = &[
        b",",
        b"\n",
        b"\r\n",
        b"#",
        b"NaN",
        b"inf",
        b"-",
        b"1e39",
        b"-1e39",
        b"\xef\xbb\xbf",
        b"\xff",
        b"\xc3",
        b" ",
        b"x",
        b"\"",
        b"1,2",
        b",,",
    ];

    /// An `.npy` file written by hand (version 1.0 header).
    pub fn npy(descr: &str, fortran: bool, shape: &[u64], data: &[u8]) -> Vec<u8> {
        let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        let shape = match dims.len() {
            1 => format!("({},)", dims[0]),
            _ => format!("({})", dims.join(", ")),
        };
        let fortran = if fortran { "True" } else { "False" };
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}");
        let unpadded = 10 + header.len() + 1;
        header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend((header.len() as u16).to_le_bytes());
        out.extend(header.bytes());
        out.extend(data);
        out
    }

    /// Valid `.npy` files: float32 from the library's writer, float64 and a 3-D stack by hand.
    pub fn npy_seeds() -> &'static [Vec<u8>] {
        static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
        SEEDS.get_or_init(|| {
            let dir = tempdir();
            let p = dir.path().join("seed.npy");
            flowdiff::io::write_npy(&p, &[1.0, -2.5, 3.25, 4.0, 0.0, 1e-3], &[3, 2]).unwrap();
            let f8: Vec<u8> = [0.5f64, -1.0, 2.0, 1e300]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect();
            let f4: Vec<u8> = (0..8).flat_map(|k| (k as f32).to_le_bytes()).collect();
            vec![
                std::fs::read(&p).unwrap(),
                npy("<f8", false, &[2, 2], &f8),
                npy("<f4", false, &[2, 2, 2], &f4),
                npy("<f4", false, &[8], &f4),
            ]
        })
    }

    pub const CSV_SEEDS: &[&str] = &[
        "x0,x1\n1,-2.5\n3.25,4\n0,0.001\n",
        "\u{feff}# points\n1.5, 2\n\n-3e2 , 4\n",
        "a,b,c\n1,2,3\n",
    ];

    /// `read_array` on `bytes` written to `name`: never a panic, errors name the file, an
    /// array's values fill its shape and are finite.
    pub fn check(bytes: &[u8], name: &str) -> Result<(), TestCaseError> {
        let dir = tempdir();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let r = read_array(&path);
        names_path(&r, &path)?;
        if let Ok(a) = &r {
            prop_assert_eq!(a.values.len(), a.rows * a.cols);
            prop_assert!(a.values.iter().all(|v| v.is_finite()));
        }
        Ok(())
    }

    /// A header the writer never produces: any dtype, order and shape, with some data.
    pub fn any_npy() -> impl Strategy<Value = Vec<u8>> {
        (
            select(
                &[
                    "<f4", "<f8", ">f4", ">f8", "<i4", "|u1", "<f2", "<c8", "<U4", "|O", "|V8",
                    "f4", "<f16", "",
                ][..],
            ),
            any::<bool>(),
            prop::collection::vec(integer(), 0..5),
            prop::collection::vec(any::<u8>(), 0..96),
        )
            .prop_map(|(descr, fortran, shape, data)| npy(descr, fortran, &shape, &data))
    }
}

proptest! {
    #![proptest_config(config(384))]

    #[test]
    fn npy_mutated_files_never_panic(edits in edits(), seed in any::<Index>()) {
        let seeds = array::npy_seeds();
        let bytes = mutate(&seeds[seed.index(seeds.len())], &edits, array::NPY_TOKENS);
        array::check(&bytes, "points.npy")?;
    }

    #[test]
    fn npy_any_header_never_panics(bytes in array::any_npy(), edits in edits(), mutated in any::<bool>()) {
        let bytes = if mutated { mutate(&bytes, &edits, array::NPY_TOKENS) } else { bytes };
        array::check(&bytes, "points.npy")?;
    }

    #[test]
    fn npy_arbitrary_bytes_never_panic(bytes in bytes_after(&[b"\x93NUMPY\x01\x00", b"\x93NUMPY\x02\x00", b"\x93NUMPY\x03\x00"])) {
        array::check(&bytes, "points.npy")?;
    }

    #[test]
    fn csv_arrays_never_panic(edits in edits(), seed in select(array::CSV_SEEDS)) {
        let bytes = mutate(seed.as_bytes(), &edits, array::CSV_TOKENS);
        array::check(&bytes, "points.csv")?;
    }

    #[test]
    fn csv_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        array::check(&bytes, "points.csv")?;
    }
}

// ------------------------------------------------------------------------------------------
// SMILES: the parser in both modes, and what is done with a parsed graph (canonical SMILES
// round trip, SDF record).

mod smiles {
    use super::*;
    use flowdiff::chem::sdf::sdf_record;
    use flowdiff::chem::smiles::parse_smiles_raw;

    pub const TOKENS: &[&str] = &[
        "C",
        "C",
        "C",
        "N",
        "O",
        "F",
        "c",
        "c",
        "n",
        "o",
        "s",
        "p",
        "b",
        "[nH]",
        "[NH3+]",
        "[O-]",
        "[N+]",
        "[C-]",
        "[13C@@H+2:7]",
        "[Se]",
        "[se]",
        "[as]",
        "[H]",
        "[C+15]",
        "[C+16]",
        "[C---]",
        "[N+-]",
        "[CH999]",
        "[Xx]",
        "Cl",
        "Br",
        "I",
        "S",
        "P",
        "B",
        "(",
        "(",
        ")",
        ")",
        "=",
        "#",
        "-",
        ":",
        "/",
        "\\",
        "$",
        "1",
        "1",
        "2",
        "2",
        "3",
        "9",
        "0",
        "%10",
        "%(123)",
        "%(999999999)",
        "%(",
        "%1",
        "%",
        "[",
        "]",
        ".",
        "*",
        "H",
        "+",
        "@",
        "é",
        " ",
    ];

    /// Texts of SMILES tokens, valid or not.
    pub fn token_soup() -> impl Strategy<Value = String> {
        prop::collection::vec(select(TOKENS), 0..48).prop_map(|t| t.concat())
    }

    /// Valid molecules: QM9-like SMILES, Kekulé and aromatic.
    pub const VALID: &[&str] = &[
        "C",
        "CCO",
        "C#N",
        "OC1COC1C#N",
        "[NH3+]CC([O-])=O",
        "C1=CC=CC=C1",
        "c1ccccc1",
        "Cc1ccc(O)cc1",
        "c1ccc2ccccc2c1",
        "n1ccccc1",
        "c1cc[nH]c1",
        "c1ccoc1",
        "C#CC(=O)N",
        "O=C1CC1",
        "CC(C)(C)C%10CC%10",
        "C1CC2CC1C2",
        "FC(F)(F)C1=NN=C1",
        "[C-]#[N+]C",
        "C.O",
    ];

    /// Parse in both modes: errors point inside the text; graphs are well-formed and are
    /// written (SMILES, SDF) without panicking.
    pub fn check(s: &str) -> Result<(), TestCaseError> {
        if let Err(e) = parse_smiles_raw(s) {
            prop_assert!(e.pos <= s.len(), "{s:?}: {e}");
        }
        for (mode, r) in [
            ("kekulé", parse_smiles(s)),
            ("aromatic", parse_smiles_kekulize(s)),
        ] {
            match r {
                Err(e) => {
                    prop_assert!(
                        e.pos <= s.len(),
                        "{mode} {s:?}: position {} beyond the text",
                        e.pos
                    );
                    prop_assert!(!e.to_string().is_empty());
                }
                Ok(g) => graph(&g, s)?,
            }
        }
        Ok(())
    }

    /// A parsed (or generated) graph: well-formed, and for small graphs its canonical SMILES
    /// reads back to the same graph and its SDF record has one line per atom and bond.
    pub fn graph(g: &MolGraph, from: &str) -> Result<(), TestCaseError> {
        prop_assert!(g.check().is_ok(), "{from:?}: {:?}", g.check());
        let written = to_smiles(g);
        if g.n_atoms() > 64 {
            return Ok(());
        }
        sdf(g, from)?;
        if g.n_atoms() == 0 {
            return Ok(());
        }
        let back = parse_smiles(&written);
        prop_assert!(
            back.is_ok(),
            "{from:?} → {written:?} does not read back: {:?}",
            back.err()
        );
        let back = back.unwrap();
        prop_assert_eq!(
            canonical_smiles(&back),
            canonical_smiles(g),
            "{:?} → {:?} reads back as another graph",
            from,
            written
        );
        Ok(())
    }

    pub fn sdf(g: &MolGraph, from: &str) -> Result<(), TestCaseError> {
        let record = sdf_record(g, from);
        if g.check().is_err() {
            prop_assert!(record.is_err());
            return Ok(());
        }
        let record = record.map_err(|e| TestCaseError::fail(format!("{from:?}: {e}")))?;
        let lines: Vec<&str> = record.lines().collect();
        let charged = g.atoms.iter().filter(|a| a.charge != 0).count();
        prop_assert_eq!(
            lines.len(),
            4 + g.n_atoms() + g.bonds.len() + charged.div_ceil(8) + 2,
            "{}",
            record
        );
        prop_assert_eq!(&lines[lines.len() - 2..], &["M  END", "$$$$"][..]);
        prop_assert!(
            record.split_whitespace().all(|w| !w.contains("NaN")),
            "{}",
            record
        );
        // Read the V2000 tables back (fixed columns) and compare with the graph.
        let (n, m) = (g.n_atoms(), g.bonds.len());
        let int = |s: &str| s.trim().parse::<i64>().unwrap_or(-1);
        prop_assert_eq!(
            (int(&lines[3][0..3]), int(&lines[3][3..6])),
            (n as i64, m as i64)
        );
        for (a, line) in g.atoms.iter().zip(&lines[4..4 + n]) {
            prop_assert_eq!(line.get(31..34).map(str::trim), Some(a.element.symbol()));
        }
        for (&(i, j, b), line) in g.bonds.iter().zip(&lines[4 + n..4 + n + m]) {
            let read = (int(&line[0..3]), int(&line[3..6]), int(&line[6..9]));
            prop_assert_eq!(read, (i as i64 + 1, j as i64 + 1, b.order() as i64));
        }
        let mut charges = vec![0i64; n];
        for line in &lines[4 + n + m..lines.len() - 2] {
            let f: Vec<i64> = line["M  CHG".len()..].split_whitespace().map(int).collect();
            prop_assert_eq!(f.len(), 1 + 2 * f[0] as usize, "{}", line);
            for pair in f[1..].chunks(2) {
                charges[pair[0] as usize - 1] = pair[1];
            }
        }
        let want: Vec<i64> = g.atoms.iter().map(|a| a.charge as i64).collect();
        prop_assert_eq!(charges, want);
        Ok(())
    }

    /// A random small graph: elements C N O F, charges, bonds of any order between
    /// any pairs (repeats and self-bonds are dropped, so it is well-formed).
    pub fn any_graph() -> impl Strategy<Value = MolGraph> {
        (1usize..24)
            .prop_flat_map(|n| {
                (
                    prop::collection::vec(
                        (
                            select(
                                &[Element::C, Element::C, Element::N, Element::O, Element::F][..],
                            ),
                            prop_oneof![6 => Just(0i8), 1 => -3i8..=3],
                        ),
                        n,
                    ),
                    prop::collection::vec((0..n, 0..n, 1u8..=3), 0..2 * n),
                )
            })
            .prop_map(|(atoms, bonds)| {
                let atoms: Vec<Atom> = atoms.into_iter().map(|(e, c)| Atom::new(e, c)).collect();
                let mut seen = std::collections::HashSet::new();
                let bonds = bonds
                    .into_iter()
                    .filter(|&(i, j, _)| i != j && seen.insert((i.min(j), i.max(j))))
                    .map(|(i, j, o)| (i, j, BondOrder::from_order(o).unwrap()))
                    .collect();
                MolGraph::new(atoms, bonds)
            })
    }

    /// Deeply nested or long inputs, up to and beyond the reader's length limit.
    pub fn deep() -> impl Strategy<Value = String> {
        (0usize..8, 0usize..2100).prop_map(|(kind, n)| match kind {
            0 => format!("C{}{}", "(C".repeat(n), ")".repeat(n)),
            1 => format!("C{}", "(C".repeat(n)),
            2 => format!("{}C", "(".repeat(n)),
            3 => "C".repeat(2 * n + 1),
            4 => {
                // n ring bonds opened on one atom, closed on the next
                let open: String = (0..n).map(|k| format!("%({k})")).collect();
                format!("C{open}C{open}")
            }
            5 => format!("c{}", "c".repeat(n)),
            6 => "C1".repeat(n),
            _ => format!("C{}", "=C".repeat(n)),
        })
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn smiles_arbitrary_text_never_panics(s in any::<String>()) {
        smiles::check(&s)?;
    }

    #[test]
    fn smiles_token_soup_never_panics(s in smiles::token_soup()) {
        smiles::check(&s)?;
    }

    #[test]
    fn smiles_mutated_molecules_never_panic(seed in select(smiles::VALID), edits in edits()) {
        let tokens: Vec<&[u8]> = smiles::TOKENS.iter().map(|t| t.as_bytes()).collect();
        let bytes = mutate(seed.as_bytes(), &edits, &tokens);
        smiles::check(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn random_graphs_round_trip_through_smiles_and_sdf(g in smiles::any_graph()) {
        smiles::graph(&g, "a random graph")?;
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn smiles_deep_nesting_and_long_input_never_panic(s in smiles::deep()) {
        smiles::check(&s)?;
    }
}

#[test]
fn every_valid_smiles_reads_and_round_trips() {
    for s in smiles::VALID {
        parse_smiles_kekulize(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        smiles::check(s).unwrap();
    }
}

// ------------------------------------------------------------------------------------------
// XYZ geometries and SMILES tables (text, plain or gzip).

mod text {
    use super::*;
    use flowdiff::chem::csv::{parse_smiles_csv, read_smiles_csv};
    use flowdiff::chem::xyz::read_xyz;

    pub const XYZ: &str = "3\nindex=7 smiles=\"C#N\" gap=0.3\nC 0 0 0\nN 1.15 0 -1.5*^-3\nH -1.0 0.5e1 2\n\n1\nindex=8\nO 0 0 0\n";

    pub const XYZ_TOKENS: &[&[u8]] = &[
        b"index=",
        b"smiles=\"",
        b"\"",
        b"\n",
        b"\r\n",
        b" ",
        b"\t",
        b"*^",
        b"e400",
        b"NaN",
        b"inf",
        b"Xx",
        b"H",
        b"Cl",
        b"\xc3\xa9",
        b"\xff",
        b"\x1f\x8b",
        b"18446744073709551615",
        b"1000000000000",
        b"-1",
    ];

    pub const CSV: &[&str] = &[
        "index,smiles\n1,C\n\n7,CC#N\n",
        "mol_id,smiles,A,B\ngdb_1,C,157.7,157.7\ngdb_22,\"C1CC1\",1,2\n",
        "\u{feff}name,SMILES\na,O\nb,c1ccccc1\n",
    ];

    pub const CSV_TOKENS: &[&[u8]] = &[
        b",",
        b"\"",
        b"\"\"",
        b"\n",
        b"\r\n",
        b"smiles",
        b"index",
        b"id",
        b"mol_id",
        b"gdb_",
        b"\xef\xbb\xbf",
        b"\xc3\xa9",
        b"\xff",
        b" ",
        b"99999999999999999999999",
        b"c1ccccc1",
    ];

    pub fn check_xyz(bytes: &[u8]) -> Result<(), TestCaseError> {
        let dir = tempdir();
        let path = dir.path().join("qm9.xyz.gz");
        std::fs::write(&path, bytes).unwrap();
        let r = read_xyz(&path);
        names_path(&r, &path)?;
        if let Ok(frames) = &r {
            for f in frames {
                prop_assert!(f.atoms.iter().all(|(_, p)| p.iter().all(|v| v.is_finite())));
            }
        }
        Ok(())
    }

    pub fn check_csv(bytes: &[u8]) -> Result<(), TestCaseError> {
        let r = parse_smiles_csv(bytes, "table.csv");
        names(&r, "table.csv")?;
        if let Ok(rows) = &r {
            for row in rows {
                prop_assert!(!row.smiles.is_empty());
                // What the QM9 loader does with each row.
                let _ = parse_smiles_kekulize(&row.smiles);
            }
        }
        let dir = tempdir();
        let path = dir.path().join("table.csv");
        std::fs::write(&path, bytes).unwrap();
        let from_file = read_smiles_csv(&path);
        names_path(&from_file, &path)?;
        if let (Ok(a), Ok(b)) = (&r, &from_file) {
            prop_assert_eq!(a, b);
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(config(384))]

    #[test]
    fn xyz_mutated_files_never_panic(edits in edits(), how in wrap()) {
        text::check_xyz(&wrapped(text::XYZ.as_bytes(), &edits, text::XYZ_TOKENS, how))?;
    }

    #[test]
    fn xyz_arbitrary_bytes_never_panic(bytes in bytes_after(&[b"1\nindex=1\n", b"\x1f\x8b\x08\x00"])) {
        text::check_xyz(&bytes)?;
    }

    #[test]
    fn smiles_csv_mutated_tables_never_panic(edits in edits(), seed in select(text::CSV), gz in any::<bool>()) {
        let bytes = mutate(seed.as_bytes(), &edits, text::CSV_TOKENS);
        text::check_csv(&bytes)?;
        if gz {
            // Through the file reader only: the stream reader takes text.
            let dir = tempdir();
            let path = dir.path().join("table.csv.gz");
            std::fs::write(&path, gzip(&bytes)).unwrap();
            names_path(&flowdiff::chem::csv::read_smiles_csv(&path), &path)?;
        }
    }

    #[test]
    fn smiles_csv_arbitrary_bytes_never_panic(bytes in bytes_after(&[b"smiles\n", b"index,smiles\n", b"id,smiles\n"])) {
        text::check_csv(&bytes)?;
    }
}

// ------------------------------------------------------------------------------------------
// Run configs (config.json) and checkpoints (state.json, loss.csv, safetensors weights).

mod run {
    use super::*;
    use flowdiff::data::DataSpec;
    use flowdiff::data::toy::Toy;
    use flowdiff::method::Method;
    use flowdiff::models::MlpConfig;
    use flowdiff::train::checkpoint::{
        TrainState, load_loss_log, load_state, load_weights, save_loss_log, save_state,
        save_weights,
    };
    use flowdiff::train::{RunDir, TrainConfig};

    pub const JSON_TOKENS: &[&[u8]] = &[
        b"{",
        b"}",
        b"[",
        b"]",
        b":",
        b",",
        b"\"",
        b"null",
        b"true",
        b"false",
        b"-1",
        b"1e400",
        b"18446744073709551616",
        b"\"\"",
        b"0",
        b"-0.0",
        b"1e-400",
        b"\\u0000",
        b"\\ud800",
        b"\"method\": \"diffusion\"",
        b"\"method\": \"flow\"",
        b"\"method\": \"hybrid\"",
        b"\"kind\": \"vp\"",
        b"\"timesteps\": 1",
        b"\"Mlp\"",
        b"\"UNet\"",
        b"\xff",
    ];

    /// Valid configs: points (each method) and images.
    pub fn configs() -> &'static [String] {
        static SEEDS: OnceLock<Vec<String>> = OnceLock::new();
        SEEDS.get_or_init(|| {
            let moons = || DataSpec::Toy { name: Toy::Moons };
            let mnist = DataSpec::Mnist {
                dir: "data/mnist".into(),
            };
            [
                TrainConfig::points(moons(), Method::flow(), 2),
                TrainConfig::points(moons(), Method::diffusion(), 2),
                TrainConfig::points(moons(), Method::hybrid(), 3),
                TrainConfig::images(mnist, Method::diffusion(), true),
            ]
            .iter()
            .map(|c| serde_json::to_string_pretty(c).unwrap())
            .collect()
        })
    }

    /// What a command does with a config that loaded and validated: build the method's
    /// objective, path and schedule.
    pub fn use_config(cfg: &TrainConfig) {
        let _ = cfg.method.objective();
        let _ = cfg.method.path();
        let _ = cfg.method.schedule();
        let _ = cfg.method.heads();
    }

    pub fn check_config(text: &[u8]) -> Result<(), TestCaseError> {
        let dir = tempdir();
        let run = RunDir(dir.path().to_path_buf());
        std::fs::write(run.config(), text).unwrap();
        let r = run.load_config();
        names_path(&r, &run.config())?;
        if let Ok(cfg) = &r
            && cfg.validate().is_ok()
        {
            use_config(cfg);
        }
        let kind = run.kind();
        names(&kind, &dir.path().display().to_string())?;
        if let Ok(cfg) = serde_json::from_slice::<TrainConfig>(text)
            && cfg.validate().is_ok()
        {
            use_config(&cfg);
        }
        Ok(())
    }

    pub fn small_mlp() -> MlpConfig {
        MlpConfig {
            width: 4,
            depth: 2,
            time_dim: 4,
            ..MlpConfig::new(2)
        }
    }

    /// A state, a loss log and the weights of a small MLP, as the library writes them.
    pub fn checkpoint_seeds() -> &'static [Vec<u8>; 3] {
        static SEEDS: OnceLock<[Vec<u8>; 3]> = OnceLock::new();
        SEEDS.get_or_init(|| {
            let dir = tempdir();
            let p = |n: &str| dir.path().join(n);
            let state = TrainState {
                step: 1200,
                rng: flowdiff::rng::RngState {
                    seed: 7,
                    word_pos: 123_456_789,
                },
                device: "Flex".into(),
            };
            save_state(&state, &p("state.json")).unwrap();
            save_loss_log(&[(1, 0.5, 1e-3), (2, 0.25, 2e-3)], &p("loss.csv")).unwrap();
            let net = small_mlp().init(&flowdiff::device::default());
            save_weights(&net, &p("model.safetensors")).unwrap();
            ["state.json", "loss.csv", "model.safetensors"].map(|n| std::fs::read(p(n)).unwrap())
        })
    }

    pub const SAFETENSORS_TOKENS: &[&[u8]] = &[
        b"\"F32\"",
        b"\"F16\"",
        b"\"BF16\"",
        b"\"F64\"",
        b"\"I64\"",
        b"\"U8\"",
        b"\"BOOL\"",
        b"\"F8_E4M3\"",
        b"\"shape\":",
        b"\"data_offsets\":",
        b"\"dtype\":",
        b"__metadata__",
        b"[",
        b"]",
        b",",
        b"{",
        b"}",
        b"\"",
        b"[]",
        b"[0,0]",
        b"null",
    ];

    pub fn check_checkpoint(which: usize, bytes: &[u8]) -> Result<(), TestCaseError> {
        let dir = tempdir();
        match which {
            0 => {
                let path = dir.path().join("state.json");
                std::fs::write(&path, bytes).unwrap();
                names_path(&load_state(&path), &path)?;
            }
            1 => {
                let path = dir.path().join("loss.csv");
                std::fs::write(&path, bytes).unwrap();
                names_path(&load_loss_log(&path), &path)?;
            }
            _ => {
                let path = dir.path().join("model.safetensors");
                std::fs::write(&path, bytes).unwrap();
                let net = small_mlp().init(&flowdiff::device::default());
                names_path(&load_weights(net, &path), &path)?;
            }
        }
        Ok(())
    }

    pub fn tokens(which: usize) -> &'static [&'static [u8]] {
        if which == 2 {
            SAFETENSORS_TOKENS
        } else {
            JSON_TOKENS
        }
    }
}

proptest! {
    #![proptest_config(config(384))]

    #[test]
    fn config_mutated_json_never_panics(edits in edits(), seed in any::<Index>()) {
        let seeds = run::configs();
        let text = mutate(seeds[seed.index(seeds.len())].as_bytes(), &edits, run::JSON_TOKENS);
        run::check_config(&text)?;
    }

    #[test]
    fn config_arbitrary_bytes_never_panic(bytes in bytes_after(&[b"{", b"{\"data\":"])) {
        run::check_config(&bytes)?;
    }

    #[test]
    fn checkpoint_mutated_files_never_panic(edits in edits(), which in 0usize..3) {
        let bytes = mutate(&run::checkpoint_seeds()[which], &edits, run::tokens(which));
        run::check_checkpoint(which, &bytes)?;
    }

    #[test]
    fn checkpoint_arbitrary_bytes_never_panic(
        bytes in bytes_after(&[b"{", &[16, 0, 0, 0, 0, 0, 0, 0, b'{'], b"step,loss,lr\n"]),
        which in 0usize..3,
    ) {
        run::check_checkpoint(which, &bytes)?;
    }
}

// ------------------------------------------------------------------------------------------
// Regression tests: inputs that once made a reader panic (or hang), kept by name.

/// Writes the seed files of the fuzz targets that the library itself produces (run configs,
/// safetensors weights) into `fuzz/seeds/`.
#[test]
#[ignore = "writes fuzz/seeds; run by hand after a format change"]
fn write_fuzz_seeds() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds");
    for (k, text) in run::configs().iter().enumerate() {
        let path = seeds.join("config").join(format!("config-{k}.json"));
        std::fs::write(path, text).unwrap();
    }
    let weights = [&[2u8][..], &run::checkpoint_seeds()[2]].concat();
    std::fs::write(seeds.join("checkpoint/weights"), weights).unwrap();
}

/// Found by `xyz_mutated_files_never_panic`: an atom count of 10^12 made the reader reserve
/// room for 10^12 atoms (32 TB) before reading any, and the allocation failure aborted the
/// process. Now the frame is simply short.
#[test]
fn xyz_huge_atom_count_is_a_short_frame_not_an_abort() {
    for count in [
        "1000000000000",
        "18446744073709551615",
        "4611686018427387904",
    ] {
        let dir = tempdir();
        let path = dir.path().join("huge.xyz");
        std::fs::write(&path, format!("{count}\nindex=1\nC 0 0 0\n")).unwrap();
        let e = chain(&flowdiff::chem::xyz::read_xyz(&path).unwrap_err());
        assert!(e.contains("huge.xyz") && e.contains("short frame"), "{e}");
    }
}

/// Found by `config_arbitrary_bytes_never_panic` (input `[0x80]`): a `config.json` that is
/// there but not UTF-8 was reported as "DIR is not a run directory (no config.json)", which
/// neither named the file nor was true.
#[test]
fn config_that_is_not_text_is_named_not_missing() {
    let dir = tempdir();
    let run = flowdiff::train::RunDir(dir.path().to_path_buf());
    std::fs::write(run.config(), [0x80]).unwrap();
    let e = chain(&run.load_config().unwrap_err());
    assert!(
        e.contains(&run.config().display().to_string()) && !e.contains("no config.json"),
        "{e}"
    );
}

/// Found by `config_mutated_json_never_panics`: a `config.json` edited to
/// `"timesteps": 7435264315280279392` passed `validate`, and building the method's schedule
/// then asked for 7·10^18 `f64`s (an abort); `"timesteps": 1` (or 0) hit the schedule's
/// `assert!` (a panic) in `flowdiff sample`. Both are refused when the config is read.
#[test]
fn config_with_impossible_timesteps_is_refused_when_read() {
    use flowdiff::data::{DataSpec, toy::Toy};
    use flowdiff::method::Method;
    use flowdiff::train::{RunDir, TrainConfig};
    for timesteps in [0usize, 1, 7_435_264_315_280_279_392] {
        let mut cfg =
            TrainConfig::points(DataSpec::Toy { name: Toy::Moons }, Method::diffusion(), 2);
        if let Method::Diffusion { timesteps: t, .. } = &mut cfg.method {
            *t = timesteps;
        }
        let e = chain(&cfg.validate().unwrap_err());
        assert!(e.contains("timesteps"), "{e}");
        let dir = tempdir();
        let run = RunDir(dir.path().to_path_buf());
        std::fs::write(run.config(), serde_json::to_string(&cfg).unwrap()).unwrap();
        let e = chain(&run.load_config().unwrap_err());
        assert!(
            e.contains(&run.config().display().to_string()) && e.contains("timesteps"),
            "{e}"
        );
    }
    let mut cfg = TrainConfig::points(DataSpec::Toy { name: Toy::Moons }, Method::hybrid(), 2);
    if let Method::Hybrid { noise_weight, .. } = &mut cfg.method {
        *noise_weight = 1.5;
    }
    assert!(chain(&cfg.validate().unwrap_err()).contains("noise_weight"));
}

/// Found by reading the kekulizer after the property tests (random text rarely builds it):
/// backtracking over every aromatic atom at once took 2^k steps for k benzene rings before
/// an odd ring that cannot be kekulized — 0.7 s for 18 rings, years for 40 (a 367-character
/// line of a SMILES table). Separate aromatic systems are now matched one by one, and one
/// system gives up after `MAX_STEPS` steps with an error.
#[test]
fn kekulizing_many_rings_before_a_bad_one_ends_quickly() {
    let separate = format!("{}.c1cccc1", vec!["c1ccccc1"; 40].join("."));
    let linked = format!(
        "{}c1cccc1{}",
        "c1ccccc1".repeat(200),
        "c1ccccc1".repeat(200)
    );
    for s in [separate, linked] {
        let t = std::time::Instant::now();
        let e = parse_smiles_kekulize(&s).unwrap_err().to_string();
        assert!(e.contains("cannot kekulize"), "{e}");
        assert!(t.elapsed().as_secs() < 30, "{:?}", t.elapsed());
    }
    // Large systems that do kekulize still do.
    let g = parse_smiles_kekulize(&"c1ccccc1".repeat(400)).unwrap();
    assert_eq!(g.n_atoms(), 2400);
    parse_smiles_kekulize(&format!(
        "{}.c1ccccc1",
        vec!["c1ccc2ccccc2c1"; 100].join(".")
    ))
    .unwrap();
}

/// Found by `npy_mutated_files_never_panic` and `npy_any_header_never_panics` in a debug
/// build (overflow checks on): a header dimension patched to 2^63 (`(3, 9223372036854775808)`)
/// or an empty stack `(0, 2^32, 2^32)` overflowed the unchecked products of the dimensions in
/// npyz (a panic; in release builds a wrapped, wrong size) and then in `read_npy`'s own column
/// count. Such headers are refused before npyz reads them.
#[test]
fn npy_headers_whose_dimensions_overflow_are_refused() {
    let dir = tempdir();
    let path = dir.path().join("empty.npy");
    std::fs::write(&path, array::npy("<f4", false, &[0, 1 << 32, 1 << 32], &[])).unwrap();
    let e = chain(&flowdiff::io::read_array(&path).unwrap_err());
    assert!(e.contains("empty.npy") && e.contains("shape"), "{e}");
    let f4: Vec<u8> = (0..6).flat_map(|k| (k as f32).to_le_bytes()).collect();
    for shape in [[3, 1 << 63], [1 << 32, 1 << 32]] {
        std::fs::write(&path, array::npy("<f4", false, &shape, &f4)).unwrap();
        let e = chain(&flowdiff::io::read_array(&path).unwrap_err());
        assert!(e.contains("empty.npy") && e.contains("shape"), "{e}");
    }
    // An empty stack whose rows fit is still an (empty) array.
    std::fs::write(&path, array::npy("<f4", false, &[0, 2, 3], &[])).unwrap();
    let a = flowdiff::io::read_array(&path).unwrap();
    assert_eq!((a.rows, a.cols), (0, 6));
}
