//! `train --data images`: a folder of colour pictures (class folders or flat) trains a U-Net,
//! samples as a colour grid, `[N, H, W, C]` `.npy` and a directory of PNGs, resumes with its
//! settings, and refuses what does not fit, naming it.

mod common;

use common::{flowdiff, p};

fn run(args: &[&str]) -> (bool, String) {
    let out = flowdiff(args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn ok(args: &[&str]) -> String {
    let (success, text) = run(args);
    assert!(success, "flowdiff {args:?} failed:\n{text}");
    text
}

fn refused(args: &[&str], expect: &[&str]) {
    let (success, text) = run(args);
    assert!(!success, "flowdiff {args:?} should fail:\n{text}");
    for e in expect {
        assert!(text.contains(e), "{args:?}: {e:?} not in\n{text}");
    }
}

#[test]
fn a_folder_of_colour_pictures_trains_and_samples_as_grid_npy_and_pngs() {
    let dir = tempfile::tempdir().unwrap();
    let pics = dir.path().join("pics");
    common::two_class_pictures(&pics);
    let run_dir = dir.path().join("run");
    let r = p(&run_dir);
    let text = ok(&[
        "train",
        "--data",
        "images",
        "--data-dir",
        p(&pics),
        "--conditional",
        "--flip",
        "--steps",
        "3",
        "--batch-size",
        "4",
        "--out",
        r,
        "--quiet",
    ]);
    assert!(
        text.contains("12 pictures of 3×16×16 in 2 classes (blue, red)"),
        "{text}"
    );
    let config = std::fs::read_to_string(run_dir.join("config.json")).unwrap();
    assert!(
        config.contains("\"kind\": \"images\"") && config.contains("\"flip\": true"),
        "{config}"
    );
    let grid = dir.path().join("grid.png");
    ok(&[
        "sample",
        "--run",
        r,
        "--n",
        "4",
        "--per-class",
        "--nfe",
        "2",
        "--out",
        p(&grid),
    ]);
    let img = image::open(&grid).unwrap().to_rgb8();
    assert!(
        img.pixels().any(|px| px[0].abs_diff(px[2]) > 30),
        "the grid has colour"
    );
    let npy = dir.path().join("s.npy");
    ok(&[
        "sample",
        "--run",
        r,
        "--n",
        "3",
        "--nfe",
        "2",
        "--out",
        p(&npy),
    ]);
    let header = String::from_utf8_lossy(&std::fs::read(&npy).unwrap()[..128]).to_string();
    assert!(header.contains("(3, 16, 16, 3"), "{header}");
    let pngs = dir.path().join("pngs");
    ok(&[
        "sample",
        "--run",
        r,
        "--n",
        "3",
        "--nfe",
        "2",
        "--out",
        p(&pngs),
    ]);
    for k in 0..3 {
        let one = image::open(pngs.join(format!("{k:05}.png"))).unwrap();
        assert_eq!((one.width(), one.height()), (16, 16));
    }
    assert!(!pngs.join("00003.png").exists());
    // Resume keeps the run's settings: the same ones are accepted, others refused.
    let text = ok(&[
        "train", "--resume", "--out", r, "--steps", "4", "--flip", "--quiet",
    ]);
    assert!(text.contains("done: 4 steps"), "{text}");
    refused(
        &[
            "train",
            "--resume",
            "--out",
            r,
            "--steps",
            "5",
            "--image-size",
            "8",
        ],
        &["--image-size"],
    );
}

#[test]
fn image_flags_and_bad_folders_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = p(dir.path());
    let o = dir.path().join("o");
    refused(
        &[
            "train",
            "--data",
            "moons",
            "--image-size",
            "32",
            "--flip",
            "--out",
            p(&o),
        ],
        &["--image-size", "--flip"],
    );
    refused(
        &["train", "--data", "images", "--out", p(&o)],
        &["--data-dir"],
    );
    let flat = dir.path().join("flat");
    std::fs::create_dir(&flat).unwrap();
    refused(
        &[
            "train",
            "--data",
            "images",
            "--data-dir",
            p(&flat),
            "--out",
            p(&o),
        ],
        &["holds no .png"],
    );
    image::RgbImage::new(8, 8).save(flat.join("a.png")).unwrap();
    image::RgbImage::new(12, 6)
        .save(flat.join("b.png"))
        .unwrap();
    refused(
        &[
            "train",
            "--data",
            "images",
            "--data-dir",
            p(&flat),
            "--out",
            p(&o),
        ],
        &["different sizes", "--image-size", "b.png"],
    );
    refused(
        &[
            "train",
            "--data",
            "images",
            "--data-dir",
            p(&flat),
            "--image-size",
            "8",
            "--conditional",
            "--out",
            p(&o),
        ],
        &["--conditional", "two or more class folders"],
    );
    refused(
        &[
            "train",
            "--data",
            "images",
            "--data-dir",
            p(&flat),
            "--image-size",
            "12",
            "--unet",
            "ddpm",
            "--out",
            p(&o),
        ],
        &["12×12", "divisible by 8"],
    );
    std::fs::write(flat.join("c.jpg"), b"not a jpeg").unwrap();
    refused(
        &[
            "train",
            "--data",
            "images",
            "--data-dir",
            p(&flat),
            "--image-size",
            "8",
            "--out",
            p(&o),
        ],
        &["c.jpg", "not a readable"],
    );
    assert!(
        !o.join("config.json").exists(),
        "nothing written under {out}"
    );
}

#[test]
fn cifar10_trains_a_conditional_colour_unet() {
    let Some(data) = flowdiff_testdata::shared_data_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let text = ok(&[
        "train",
        "--data",
        "images",
        "--data-dir",
        p(&data.join("cifar10/test")),
        "--conditional",
        "--steps",
        "2",
        "--batch-size",
        "4",
        "--out",
        p(&dir.path().join("r")),
        "--quiet",
    ]);
    assert!(
        text.contains("2000 pictures of 3×32×32 in 10 classes (airplane,"),
        "{text}"
    );
    assert!(text.contains("done: 2 steps"), "{text}");
}

/// A 64×64 run: the 16×16 pictures resized with `--image-size 64` train the four-level U-Net
/// and sample at that size.
#[test]
fn pictures_resized_to_64_train_and_sample_at_64() {
    let dir = tempfile::tempdir().unwrap();
    let pics = dir.path().join("pics");
    common::two_class_pictures(&pics);
    let run_dir = dir.path().join("run");
    let text = ok(&[
        "train",
        "--data",
        "images",
        "--data-dir",
        p(&pics),
        "--image-size",
        "64",
        "--steps",
        "2",
        "--batch-size",
        "2",
        "--out",
        p(&run_dir),
        "--quiet",
    ]);
    assert!(text.contains("12 pictures of 3×64×64"), "{text}");
    let config = std::fs::read_to_string(run_dir.join("config.json")).unwrap();
    assert!(config.contains("\"size\": 64"), "{config}");
    let pngs = dir.path().join("pngs");
    ok(&[
        "sample",
        "--run",
        p(&run_dir),
        "--n",
        "2",
        "--nfe",
        "2",
        "--out",
        p(&pngs),
    ]);
    let one = image::open(pngs.join("00001.png")).unwrap();
    assert_eq!((one.width(), one.height()), (64, 64));
}

/// The metric for colour: a classifier trained on class folders learns them, is saved with
/// its description, and `eval` scores a folder of PNGs (as `sample --out DIR/` writes them)
/// against a folder reference; an MNIST classifier is refused for pictures.
#[test]
fn a_colour_classifier_learns_the_folders_and_scores_pictures() {
    let dir = tempfile::tempdir().unwrap();
    let pics = dir.path().join("pics");
    common::two_class_pictures(&pics);
    let clf = dir.path().join("clf.safetensors");
    let text = ok(&[
        "classifier",
        "train",
        "--data",
        "images",
        "--data-dir",
        p(&pics),
        "--test-dir",
        p(&pics),
        "--steps",
        "150",
        "--batch-size",
        "16",
        "--out",
        p(&clf),
        "--quiet",
    ]);
    let acc: f64 = text
        .split("test accuracy ")
        .nth(1)
        .and_then(|s| s.split('%').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    assert!(acc >= 90.0, "{text}");
    let info = std::fs::read_to_string(dir.path().join("clf.json")).unwrap();
    assert!(
        info.contains("\"blue\"") && info.contains("\"shape\""),
        "{info}"
    );
    // The red pictures as a flat folder of samples: all assigned to "red" (class 1).
    let reds = dir.path().join("reds");
    std::fs::create_dir(&reds).unwrap();
    for k in 0..6 {
        std::fs::copy(
            pics.join(format!("red/{k}.png")),
            reds.join(format!("{k}.png")),
        )
        .unwrap();
    }
    let text = ok(&[
        "eval",
        "--samples",
        p(&reds),
        "--ref",
        p(&pics),
        "--classifier",
        p(&clf),
        "--expect-classes",
        "1",
    ]);
    assert!(
        text.contains("agrees with the asked class on 100.0%") && text.contains("/2;"),
        "{text}"
    );
    // A folder reference needs a classifier of pictures, and samples of its size.
    let small = dir.path().join("small");
    std::fs::create_dir(&small).unwrap();
    image::RgbImage::new(8, 8)
        .save(small.join("a.png"))
        .unwrap();
    refused(
        &[
            "eval",
            "--samples",
            p(&small),
            "--ref",
            p(&pics),
            "--classifier",
            p(&clf),
        ],
        &["small", "[3, 8, 8]", "[3, 16, 16]"],
    );
}
