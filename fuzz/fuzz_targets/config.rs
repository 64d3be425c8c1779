//! Run configs (`config.json`): `RunDir::load_config`, `RunDir::kind`, and a config that
//! loads and validates must build its method's objective, path and schedule.
#![no_main]

use flowdiff::train::{RunDir, TrainConfig};
use flowdiff_fuzz::{check_names, check_names_path, dir};
use libfuzzer_sys::fuzz_target;

fn use_config(cfg: &TrainConfig) {
    if cfg.validate().is_ok() {
        let _ = cfg.method.objective();
        let _ = cfg.method.path();
        let _ = cfg.method.schedule();
    }
}

fuzz_target!(|data: &[u8]| {
    let run = RunDir(dir().to_path_buf());
    std::fs::write(run.config(), data).expect("writing the fuzz input");
    let cfg = run.load_config();
    check_names_path(&cfg, &run.config());
    if let Ok(cfg) = &cfg {
        use_config(cfg);
    }
    check_names(&run.kind(), &run.0.display().to_string());
    if let Ok(cfg) = serde_json::from_slice::<TrainConfig>(data) {
        use_config(&cfg);
    }
});
