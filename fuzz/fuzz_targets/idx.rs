//! IDX images and labels (`flowdiff::data::idx`), the input as it is and gzip-compressed.
#![no_main]

use flowdiff::data::idx::{read_images, read_labels};
use flowdiff_fuzz::{check_names_path, gzip, write};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for (name, bytes) in [
        ("images-idx3-ubyte", data.to_vec()),
        ("images-idx3-ubyte.gz", gzip(data)),
    ] {
        let path = write(name, &bytes);
        let images = read_images(&path);
        check_names_path(&images, &path);
        if let Ok(im) = images {
            assert_eq!(im.pixels.len(), im.count * im.rows * im.cols);
        }
        let labels = read_labels(&path);
        check_names_path(&labels, &path);
        if let Ok(labels) = labels {
            assert!(labels.iter().all(|l| *l <= 9));
        }
    }
});
