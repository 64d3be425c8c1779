use super::*;
use crate::rng::SeededRng;
use image::{GrayImage, Luma, Rgb, RgbImage, Rgba, RgbaImage};

fn rgb(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| Rgb(f(x, y)))
}

fn read(dir: &Path, size: Option<usize>) -> Result<ImageSet> {
    read_folder(&FolderSpec {
        dir,
        size,
        flip: false,
    })
}

#[test]
fn class_folders_are_labels_in_name_order_and_pixels_are_channel_major() {
    let dir = tempfile::tempdir().unwrap();
    for class in ["zebra", "ant"] {
        std::fs::create_dir(dir.path().join(class)).unwrap();
    }
    // Left column red, the rest blue; an RGBA picture (alpha dropped); a JPEG.
    rgb(4, 2, |x, _| if x == 0 { [255, 0, 0] } else { [0, 0, 255] })
        .save(dir.path().join("ant/a.png"))
        .unwrap();
    RgbaImage::from_pixel(4, 2, Rgba([0, 255, 0, 10]))
        .save(dir.path().join("zebra/b.png"))
        .unwrap();
    rgb(4, 2, |_, _| [200, 200, 200])
        .save(dir.path().join("zebra/c.JPG"))
        .unwrap();
    std::fs::write(dir.path().join("zebra/notes.txt"), "not a picture").unwrap();
    let set = read(dir.path(), None).unwrap();
    assert_eq!(set.shape, [3, 2, 4]);
    assert_eq!(set.classes, ["ant", "zebra"]);
    assert_eq!(set.labels, [0, 1, 1]);
    let a = &set.pixels[..24];
    assert_eq!(&a[..8], &[255, 0, 0, 0, 255, 0, 0, 0], "red plane");
    assert_eq!(
        &a[16..24],
        &[0, 255, 255, 255, 0, 255, 255, 255],
        "blue plane"
    );
    assert!(set.pixels[24..48].chunks(8).map(|p| p[0]).eq([0, 255, 0]));
    let jpeg = &set.pixels[48..];
    assert!(jpeg.iter().all(|&p| p.abs_diff(200) <= 3), "{jpeg:?}");
    assert_eq!(set.row(0)[0], 1.0);
    assert_eq!(set.row(0)[1], -1.0);
}

#[test]
fn a_flat_folder_of_grey_pictures_is_unlabelled_and_one_channel() {
    let dir = tempfile::tempdir().unwrap();
    for k in 0..3u8 {
        GrayImage::from_pixel(5, 5, Luma([k * 100]))
            .save(dir.path().join(format!("{k}.png")))
            .unwrap();
    }
    let set = read(dir.path(), None).unwrap();
    assert_eq!(set.shape, [1, 5, 5]);
    assert!(!set.labelled() && set.len() == 3);
    assert_eq!(set.pixels[25 * 2], 200);
}

#[test]
fn mixed_sizes_need_an_image_size_which_resizes_and_crops_the_centre() {
    let dir = tempfile::tempdir().unwrap();
    // 40×20: a white centre square of 20×20 between black bands.
    rgb(40, 20, |x, _| {
        if (10..30).contains(&x) {
            [255; 3]
        } else {
            [0; 3]
        }
    })
    .save(dir.path().join("wide.png"))
    .unwrap();
    rgb(8, 8, |_, _| [0; 3])
        .save(dir.path().join("small.png"))
        .unwrap();
    let e = read(dir.path(), None).unwrap_err().chain();
    assert!(
        e.contains("different sizes") && e.contains("--image-size") && e.contains("wide.png"),
        "{e}"
    );
    let set = read(dir.path(), Some(10)).unwrap();
    assert_eq!((set.shape, set.len()), ([3, 10, 10], 2));
    // The small one is black; the wide one's centre crop is its white square (away from
    // the filter's reach of the black bands).
    assert!(set.pixels[..300].iter().all(|&p| p == 0));
    let red = &set.pixels[300..400];
    for y in 0..10 {
        for x in 2..8 {
            assert!(red[y * 10 + x] > 240, "{red:?}");
        }
    }
    let e = read(dir.path(), Some(0)).unwrap_err().chain();
    assert!(e.contains("image_size"), "{e}");
}

#[test]
fn unreadable_files_and_empty_folders_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let e = read(dir.path(), None).unwrap_err().chain();
    assert!(e.contains("holds no .png"), "{e}");
    std::fs::write(dir.path().join("broken.png"), b"\x89PNG not really").unwrap();
    let e = read(dir.path(), None).unwrap_err().chain();
    assert!(
        e.contains("broken.png") && e.contains("not a readable"),
        "{e}"
    );
    let e = read(&dir.path().join("missing"), None).unwrap_err().chain();
    assert!(e.contains("missing") && e.contains("not a folder"), "{e}");
    for bad in [0, super::MAX_SIZE + 1] {
        let e = read(dir.path(), Some(bad)).unwrap_err().chain();
        assert!(
            e.contains("image_size") && e.contains(&bad.to_string()),
            "{e}"
        );
    }
}

#[test]
fn flips_mirror_rows_half_the_time() {
    let dir = tempfile::tempdir().unwrap();
    rgb(3, 1, |x, _| [x as u8 * 100; 3])
        .save(dir.path().join("r.png"))
        .unwrap();
    let mut set = read_folder(&FolderSpec {
        dir: dir.path(),
        size: None,
        flip: true,
    })
    .unwrap();
    assert_eq!(set.shape, [3, 1, 3]);
    let mut rng = SeededRng::new(0);
    let flipped = (0..200).filter(|_| set.draw(0, &mut rng)[0] > 0.0).count();
    assert!((60..140).contains(&flipped), "{flipped} of 200");
    set.flip = false;
    assert!((0..20).all(|_| set.draw(0, &mut rng)[0] == -1.0));
}

#[test]
fn the_shared_cifar10_test_split_reads_as_ten_classes_of_colour() {
    let Some(data) = flowdiff_testdata::shared_data_dir() else {
        return;
    };
    let set = read(&data.join("cifar10/test"), None).unwrap();
    assert_eq!(set.shape, [3, 32, 32]);
    assert_eq!(set.len(), 2000);
    assert_eq!(set.classes.len(), 10);
    assert_eq!(
        (set.classes[0].as_str(), set.classes[9].as_str()),
        ("airplane", "truck")
    );
    for c in 0..10u16 {
        assert_eq!(set.labels.iter().filter(|&&l| l == c).count(), 200);
    }
    let mean = set.pixels.iter().map(|&p| p as f64).sum::<f64>() / set.pixels.len() as f64;
    assert!((90.0..150.0).contains(&mean), "mean pixel {mean}");
}
