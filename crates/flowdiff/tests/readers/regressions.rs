//! Regression tests: inputs that once made a reader panic (or hang), kept by name.

use super::arrays::array;
use super::runs::run;
use super::*;

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
        let e = flowdiff::chem::xyz::read_xyz(&path).unwrap_err().chain();
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
    let e = run.load_config().unwrap_err().chain();
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
        let e = cfg.validate().unwrap_err().chain();
        assert!(e.contains("timesteps"), "{e}");
        let dir = tempdir();
        let run = RunDir(dir.path().to_path_buf());
        std::fs::write(run.config(), serde_json::to_string(&cfg).unwrap()).unwrap();
        let e = run.load_config().unwrap_err().chain();
        assert!(
            e.contains(&run.config().display().to_string()) && e.contains("timesteps"),
            "{e}"
        );
    }
    let mut cfg = TrainConfig::points(DataSpec::Toy { name: Toy::Moons }, Method::hybrid(), 2);
    if let Method::Hybrid { noise_weight, .. } = &mut cfg.method {
        *noise_weight = 1.5;
    }
    assert!(cfg.validate().unwrap_err().chain().contains("noise_weight"));
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

/// Found by `cargo fuzz run smiles` (fuzz/findings/smiles-timeout-fragments.smi): a
/// 543-character line of ~150 small carbon fragments took over 10 s to write back, because
/// the canonical search met every permutation of identical fragments as an automorphism
/// (a search tree and automorphism list growing with the number of copies). Connected parts
/// are now canonicalised one by one and sorted.
#[test]
fn canonical_smiles_of_many_identical_fragments_is_fast_and_canonical() {
    let found = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/findings/smiles-timeout-fragments.smi"),
    )
    .unwrap();
    let many = vec!["CC(C)C", "C", "CC", "C=O", "CCO"].repeat(80).join(".");
    for s in [found.trim(), many.as_str()] {
        let t = std::time::Instant::now();
        let g = parse_smiles(s).unwrap();
        let written = to_smiles(&g);
        let back = parse_smiles(&written).unwrap();
        assert_eq!(to_smiles(&back), written);
        assert_eq!(back.n_atoms(), g.n_atoms());
        assert!(t.elapsed().as_secs() < 5, "{:?}", t.elapsed());
    }
    // The order of the parts does not change the string; distinct parts stay distinct.
    assert_eq!(
        to_smiles(&parse_smiles("CCO.C.C=O").unwrap()),
        to_smiles(&parse_smiles("C=O.CCO.C").unwrap())
    );
    assert_ne!(
        to_smiles(&parse_smiles("CCO.CCO").unwrap()),
        to_smiles(&parse_smiles("CCO.COC").unwrap())
    );
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
    let e = flowdiff::io::read_array(&path).unwrap_err().chain();
    assert!(e.contains("empty.npy") && e.contains("shape"), "{e}");
    let f4: Vec<u8> = (0..6).flat_map(|k| (k as f32).to_le_bytes()).collect();
    for shape in [[3, 1 << 63], [1 << 32, 1 << 32]] {
        std::fs::write(&path, array::npy("<f4", false, &shape, &f4)).unwrap();
        let e = flowdiff::io::read_array(&path).unwrap_err().chain();
        assert!(e.contains("empty.npy") && e.contains("shape"), "{e}");
    }
    // An empty stack whose rows fit is still an (empty) array.
    std::fs::write(&path, array::npy("<f4", false, &[0, 2, 3], &[])).unwrap();
    let a = flowdiff::io::read_array(&path).unwrap();
    assert_eq!((a.rows, a.cols), (0, 6));
}

/// Found by the `npy` fuzz target (timeouts: over 10 s for files of 170 and 331 bytes): brackets nested
/// 26 deep in the header's shape made npyz's header parser backtrack exponentially. Headers
/// nested deeper than a valid one (a dict holding a tuple) are refused before npyz parses them.
#[test]
fn npy_headers_with_deeply_nested_brackets_are_refused() {
    let dir = tempdir();
    let path = dir.path().join("nested.npy");
    let bytes = b"\x93NUMPY\x01\x00v\x00{'descr': '<f1', 'forder': False, 'shape':     (         (                      {{{{{{{{{{{{{{{{{{{{   ( (                        -   \x0a)\x00\x00\x80?\x00\x00 \xc0\x00\x00P@\x00\x00\x80@\x00\x00\x00\x00o\x12\x83>";
    std::fs::write(&path, bytes).unwrap();
    let e = flowdiff::io::read_array(&path).unwrap_err().chain();
    assert!(
        e.contains("nested.npy") && e.contains("opening brackets"),
        "{e}"
    );
    // A valid header (depth 2) still reads.
    std::fs::write(&path, array::npy("<f4", false, &[2, 1], &[0u8; 8])).unwrap();
    assert_eq!(flowdiff::io::read_array(&path).unwrap().rows, 2);
}

/// Reported by `cargo fuzz run smiles` as a 12 s timeout
/// (fuzz/findings/smiles-timeout-chain.smi: a 2,742-character chain of N/O/C atoms with ring
/// closures) while the fuzzer ran at nice 19 beside a build: alone, the fuzz build takes it in
/// 0.74 s and a release build writes it in ~90 ms. Writing SMILES is quadratic in the atoms
/// of a part (the canonical code holds its bond matrix), bounded by the 4,096-byte line limit;
/// this keeps the largest such line fast.
#[test]
fn a_chain_of_thousands_of_atoms_is_written_back_quickly() {
    let s = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/findings/smiles-timeout-chain.smi"),
    )
    .unwrap();
    let t = std::time::Instant::now();
    for g in [
        parse_smiles(s.trim()).unwrap(),
        parse_smiles_kekulize(s.trim()).unwrap(),
    ] {
        assert!(g.n_atoms() > 2000);
        let written = to_smiles(&g);
        assert_eq!(to_smiles(&parse_smiles(&written).unwrap()), written);
    }
    assert!(t.elapsed().as_secs() < 5, "{:?}", t.elapsed());
}

/// Found by the `npy` fuzz target as a slow unit (fuzz/findings/npy-slow-quoted-braces.npy):
/// closing braces inside quoted keys made the nesting look shallow while npyz's parser still
/// backtracked (1.7 s in the fuzz build for 296 bytes). Headers are now refused on their count
/// of opening brackets, quoted or not.
#[test]
fn npy_headers_with_brackets_hidden_in_quotes_are_refused_quickly() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/findings/npy-slow-quoted-braces.npy");
    let t = std::time::Instant::now();
    let e = flowdiff::io::read_array(&path).unwrap_err().chain();
    assert!(
        e.contains("npy-slow-quoted-braces.npy") && e.contains("opening brackets"),
        "{e}"
    );
    assert!(t.elapsed().as_millis() < 500, "{:?}", t.elapsed());
}
