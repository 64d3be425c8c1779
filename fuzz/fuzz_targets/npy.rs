//! `.npy` arrays through `flowdiff::io::read_array`.
#![no_main]

use flowdiff_fuzz::{check_names_path, write};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = write("points.npy", data);
    let r = flowdiff::io::read_array(&path);
    check_names_path(&r, &path);
    if let Ok(a) = r {
        assert_eq!(a.values.len(), a.rows * a.cols);
        assert!(a.values.iter().all(|v| v.is_finite()));
    }
});
