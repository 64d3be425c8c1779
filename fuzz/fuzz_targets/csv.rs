//! CSV: numeric arrays (`flowdiff::io::read_array`) and SMILES tables
//! (`flowdiff::chem::csv`), from a stream and from a plain or gzip file.
#![no_main]

use flowdiff::chem::csv::{parse_smiles_csv, read_smiles_csv};
use flowdiff_fuzz::{check_names, check_names_path, gzip, write};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = write("points.csv", data);
    let r = flowdiff::io::read_array(&path);
    check_names_path(&r, &path);
    if let Ok(a) = r {
        assert_eq!(a.values.len(), a.rows * a.cols);
        assert!(a.values.iter().all(|v| v.is_finite()));
    }

    let table = parse_smiles_csv(data, "table.csv");
    check_names(&table, "table.csv");
    if let Ok(rows) = &table {
        for row in rows {
            let _ = flowdiff::chem::parse_smiles_kekulize(&row.smiles);
        }
    }
    for (name, bytes) in [("table.csv", data.to_vec()), ("table.csv.gz", gzip(data))] {
        let path = write(name, &bytes);
        let from_file = read_smiles_csv(&path);
        check_names_path(&from_file, &path);
        if let (Ok(a), Ok(b)) = (&table, &from_file) {
            assert_eq!(a, b);
        }
    }
});
