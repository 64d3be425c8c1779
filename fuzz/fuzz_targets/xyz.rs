//! Multi-frame XYZ geometries (`flowdiff::chem::xyz`), plain and gzip.
#![no_main]

use flowdiff::chem::xyz::read_xyz;
use flowdiff_fuzz::{check_names_path, gzip, write};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for (name, bytes) in [("qm9.xyz", data.to_vec()), ("qm9.xyz.gz", gzip(data))] {
        let path = write(name, &bytes);
        let r = read_xyz(&path);
        check_names_path(&r, &path);
        if let Ok(frames) = r {
            for f in &frames {
                assert!(f.atoms.iter().all(|(_, p)| p.iter().all(|v| v.is_finite())));
            }
        }
    }
});
