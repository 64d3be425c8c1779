//! 2-D arrays: .npy and .csv through `flowdiff::io::read_array`.

use super::*;

pub(super) mod array {
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
