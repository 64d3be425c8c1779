//! Checkpoint files (`flowdiff::train::checkpoint`): the first byte picks the loader, the
//! rest is the file: training state (JSON), loss log (CSV), or safetensors weights loaded
//! into a small MLP.
#![no_main]

use flowdiff::models::MlpConfig;
use flowdiff::train::checkpoint::{load_loss_log, load_state, load_weights};
use flowdiff_fuzz::{check_names_path, write};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, file)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            let path = write("state.json", file);
            check_names_path(&load_state(&path), &path);
        }
        1 => {
            let path = write("loss.csv", file);
            check_names_path(&load_loss_log(&path), &path);
        }
        _ => {
            let path = write("model.safetensors", file);
            let net = MlpConfig {
                width: 4,
                depth: 2,
                time_dim: 4,
                ..MlpConfig::new(2)
            }
            .init(&flowdiff::device::default());
            check_names_path(&load_weights(net, &path), &path);
        }
    }
});
