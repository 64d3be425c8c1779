//! IDX (MNIST images and labels), plain or gzip.

use super::*;

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
