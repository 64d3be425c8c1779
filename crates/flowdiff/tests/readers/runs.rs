//! Run configs (config.json) and checkpoints (state.json, loss.csv, safetensors weights).

use super::*;

pub(super) mod run {
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
                elapsed: 61.5,
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
