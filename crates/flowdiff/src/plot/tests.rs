//! Tests of the pictures, their ticks and their styles.

use super::ticks::nice_range;
use super::*;

fn is_png_with_ink(path: &Path) -> bool {
    let bytes = std::fs::read(path).unwrap();
    bytes.starts_with(b"\x89PNG") && bytes.len() > 2000
}

#[test]
fn every_picture_is_a_real_png() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = crate::rng::SeededRng::new(1);
    let a = crate::data::toy::Toy::Moons.sample(500, &mut rng);
    let b = rng.normal_vec(1000);
    let p = dir.path().join("s.png");
    scatter_panels(
        &p,
        "moons",
        &[
            Panel {
                title: "data".into(),
                points: &a,
            },
            Panel {
                title: "noise".into(),
                points: &b,
            },
        ],
        2,
        bounds(&a),
    )
    .unwrap();
    assert!(is_png_with_ink(&p));
    let t = dir.path().join("t.png");
    trajectories(
        &t,
        "paths",
        &[(0.0, b.clone()), (0.5, a.clone()), (1.0, a.clone())],
        20,
        (-4.0, 4.0),
    )
    .unwrap();
    assert!(is_png_with_ink(&t));
    let c = dir.path().join("c.png");
    let s = vec![(
        "loss".to_string(),
        (1..100).map(|i| (i as f64, 1.0 / i as f64)).collect(),
    )];
    curves(&c, "loss", "step", "loss", &s, false).unwrap();
    curves(&c, "loss", "step", "loss", &s, true).unwrap();
    assert!(is_png_with_ink(&c));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        3,
        "no temporary files left"
    );
}

#[test]
fn tick_labels_write_integers_as_integers_and_decimals_compactly() {
    for (v, s) in [
        (500.0, "500"),
        (10f64.powf(500f64.log10()), "500"),
        (0.05, "0.05"),
        (10f64.powf(0.05f64.log10()), "0.05"),
        (0.1, "0.1"),
        (0.1 + 0.2, "0.3"),
        (1.5, "1.5"),
        (0.0, "0"),
        (-0.0, "0"),
        (-2.0, "-2"),
        (12000.0, "12000"),
        (2.5e-5, "2.5e-5"),
        (1e-4, "1e-4"),
    ] {
        assert_eq!(fmt_tick(v), s, "label of {v:e}");
    }
}

#[test]
fn the_palette_is_okabe_ito_with_distinct_colours_and_markers() {
    for (i, a) in PALETTE.iter().enumerate() {
        for b in &PALETTE[i + 1..] {
            let d = (a.0 as i32 - b.0 as i32).abs()
                + (a.1 as i32 - b.1 as i32).abs()
                + (a.2 as i32 - b.2 as i32).abs();
            assert!(d > 60, "{a:?} and {b:?} are too alike");
        }
    }
    assert!(PALETTE.contains(&RGBColor(0, 114, 178)) && PALETTE.contains(&RGBColor(213, 94, 0)));
    for (i, m) in MARKERS.iter().enumerate() {
        assert!(!MARKERS[i + 1..].contains(m));
    }
    // No two of the first 24 series share both colour and marker; the first 6 share neither.
    for i in 0..24 {
        for j in i + 1..24 {
            assert_ne!(series_style(i), series_style(j), "series {i} and {j}");
            if j < 6 {
                assert_ne!(series_style(i).0, series_style(j).0);
                assert_ne!(series_style(i).1, series_style(j).1);
            }
        }
    }
}

fn labels(v: &[f64]) -> Vec<String> {
    v.iter().map(|x| fmt_tick(*x)).collect()
}

#[test]
fn log_ticks_are_labelled_on_short_and_long_ranges() {
    // Under two decades: 1-2-5 subdivisions.
    let (major, minor) = log_ticks(0.01, 0.3, false);
    assert_eq!(labels(&major), ["0.01", "0.02", "0.05", "0.1", "0.2"]);
    assert!(labels(&minor).contains(&"0.03".to_string()));
    assert!(
        minor.iter().all(|m| !major.contains(m)),
        "minor ticks repeat labelled ones"
    );
    // A loss between 0.3 and 2.2 gets ticks below 1.
    assert_eq!(
        labels(&log_ticks(0.3, 2.2, false).0),
        ["0.3", "0.5", "1", "2"]
    );
    // Less than a decade: finer subdivisions.
    assert_eq!(
        labels(&log_ticks(1.05, 8.0, false).0),
        ["1.5", "2", "3", "4", "5", "6", "8"]
    );
    assert_eq!(
        labels(&log_ticks(0.9, 4.5, false).0),
        ["1", "1.5", "2", "3", "4"]
    );
    // Several decades: decades only.
    assert_eq!(
        labels(&log_ticks(1e-4, 1.5, false).0),
        ["1e-4", "0.001", "0.01", "0.1", "1"]
    );
    // A very short range falls back to linear ticks.
    assert_eq!(
        labels(&log_ticks(1.1, 1.3, false).0),
        ["1.1", "1.15", "1.2", "1.25", "1.3"]
    );
    // An NFE axis: whole numbers only.
    assert_eq!(
        labels(&log_ticks(3.6, 55.0, true).0),
        ["5", "10", "20", "50"]
    );
    assert!(log_ticks(0.5, 3.0, true).0.iter().all(|v| v.fract() == 0.0));
}

#[test]
fn linear_ticks_are_nice_and_whole_on_integer_axes() {
    assert_eq!(
        labels(&linear_ticks(1.0, 300.0, true)),
        ["50", "100", "150", "200", "250", "300"]
    );
    assert_eq!(
        labels(&linear_ticks(-1.2, 1.3, false)),
        ["-1", "-0.5", "0", "0.5", "1"]
    );
    assert_eq!(labels(&linear_ticks(0.0, 3.0, true)), ["0", "1", "2", "3"]);
    assert_eq!(nice_range(25.0, 275.0, true), (0.0, 300.0));
}

#[test]
fn the_legend_sits_right_of_the_data_area() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c.png");
    let series: Vec<(String, Vec<(f64, f64)>)> = (0..3)
        .map(|k| {
            (
                format!("series {k}"),
                (1..=50)
                    .map(|i| (i as f64, (k + 1) as f64 / i as f64))
                    .collect(),
            )
        })
        .collect();
    curves(&c, "three", "NFE", "ratio", &series, true).unwrap();
    let img = image::open(&c).unwrap().to_rgb8();
    assert!(
        img.width() > CURVES_CHART_WIDTH + 60,
        "no room for a legend"
    );
    let count = |color: RGBColor, right: bool| {
        img.enumerate_pixels()
            .filter(|(x, _, p)| {
                (*x >= CURVES_CHART_WIDTH) == right && p.0 == [color.0, color.1, color.2]
            })
            .count()
    };
    for k in 0..3 {
        let (color, _) = series_style(k);
        assert!(
            count(color, true) > 20,
            "series {k} missing from the legend"
        );
        assert!(
            count(color, false) > 100,
            "series {k} missing from the chart"
        );
    }
}
