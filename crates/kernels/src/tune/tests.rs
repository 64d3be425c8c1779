//! The autotuning cache: choices are measured once, reused from the file by a second tuner,
//! a corrupt file is ignored (and rewritten), tuning off takes the default; the convolution
//! candidates it chooses between agree.

use super::*;
use crate::conv_im2col::Geometry;
use crate::conv_kernel::{backward, backward_im2col, forward, forward_im2col};
use crate::testing::{rel, values};
use std::cell::Cell;

/// Two candidates: `slow` sleeps, `fast` does not; each counts its calls.
fn candidates<'a>(slow: &'a Cell<usize>, fast: &'a Cell<usize>) -> [Box<dyn Fn() -> u8 + 'a>; 2] {
    [
        Box::new(move || {
            slow.set(slow.get() + 1);
            std::thread::sleep(std::time::Duration::from_millis(20));
            0
        }),
        Box::new(move || {
            fast.set(fast.get() + 1);
            1
        }),
    ]
}

fn run(tuner: &Tuner, key: &str, slow: &Cell<usize>, fast: &Cell<usize>) -> u8 {
    let [a, b] = candidates(slow, fast);
    tuner.run(key, 0, &[&*a, &*b])
}

#[test]
fn a_second_tuner_reuses_the_measured_choice_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sub").join("kernels.tsv");
    let (slow, fast) = (Cell::new(0), Cell::new(0));
    let first = Tuner::open(Some(file.clone()), true);
    assert_eq!(
        run(&first, "conv c8", &slow, &fast),
        1,
        "the fastest's result"
    );
    assert_eq!((slow.get(), fast.get(), first.timed()), (ROUNDS, ROUNDS, 1));
    assert_eq!(run(&first, "conv c8", &slow, &fast), 1);
    assert_eq!(
        (slow.get(), fast.get()),
        (ROUNDS, ROUNDS + 1),
        "remembered in memory"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text, format!("{HEADER}\nconv c8\t1\n"));
    let second = Tuner::open(Some(file.clone()), true);
    assert_eq!(second.choice("conv c8"), Some(1));
    assert_eq!(run(&second, "conv c8", &slow, &fast), 1);
    assert_eq!(
        (slow.get(), fast.get(), second.timed()),
        (ROUNDS, ROUNDS + 2, 0),
        "nothing timed again"
    );
    // A new shape is timed and added beside the old one.
    run(&second, "conv c16", &slow, &fast);
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text, format!("{HEADER}\nconv c16\t1\nconv c8\t1\n"));
}

/// A candidate no faster than the default by more than the margin does not replace it.
#[test]
fn the_default_stays_unless_another_is_clearly_faster() {
    let tuner = Tuner::open(None, true);
    let sleep = |ms| move || std::thread::sleep(std::time::Duration::from_millis(ms));
    let (a, b) = (sleep(20), sleep(20));
    tuner.run("equal", 0, &[&a, &b]);
    assert_eq!(
        tuner.choice("equal"),
        Some(0),
        "equal times keep the default"
    );
    let (a, b) = (sleep(20), sleep(20));
    tuner.run("equal1", 1, &[&a, &b]);
    assert_eq!(tuner.choice("equal1"), Some(1));
    let (a, b) = (sleep(30), sleep(1));
    tuner.run("clear", 0, &[&a, &b]);
    assert_eq!(tuner.choice("clear"), Some(1));
}

#[test]
fn a_corrupt_cache_file_is_ignored_and_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    for (i, bad) in [
        "garbage".as_bytes(),
        format!("{HEADER}\nconv c8\tnot-a-number\n").as_bytes(),
        format!("{HEADER}\nno tab here\n").as_bytes(),
        &[0xff, 0xfe, 0x00, 0x80],
    ]
    .into_iter()
    .enumerate()
    {
        let file = dir.path().join(format!("k{i}.tsv"));
        std::fs::write(&file, bad).unwrap();
        let tuner = Tuner::open(Some(file.clone()), true);
        assert_eq!(tuner.choice("conv c8"), None, "case {i}");
        let (slow, fast) = (Cell::new(0), Cell::new(0));
        assert_eq!(run(&tuner, "conv c8", &slow, &fast), 1);
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(text, format!("{HEADER}\nconv c8\t1\n"), "case {i}");
    }
    // A directory where the file should be: reading and writing fail, running does not.
    let tuner = Tuner::open(Some(dir.path().to_path_buf()), true);
    let (slow, fast) = (Cell::new(0), Cell::new(0));
    assert_eq!(run(&tuner, "k", &slow, &fast), 1);
}

#[test]
fn tuning_off_always_takes_the_default_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("k.tsv");
    let tuner = Tuner::open(Some(file.clone()), false);
    let (slow, fast) = (Cell::new(0), Cell::new(0));
    let [a, b] = candidates(&slow, &fast);
    assert_eq!(tuner.run("k", 0, &[&*a, &*b]), 0);
    assert_eq!(tuner.run("k", 1, &[&*a, &*b]), 1);
    assert_eq!((slow.get(), fast.get(), tuner.timed()), (1, 1, 0));
    assert!(!file.exists());
}

/// Whatever the tuner picks, the results are the im2col kernels' up to rounding, and the two
/// `∂W` layouts agree.
#[test]
fn the_tuned_convolution_agrees_with_every_candidate() {
    for (n, c, o, k, pad) in [(4, 16, 32, 3, 1), (3, 8, 12, 1, 0), (2, 5, 7, 3, 0)] {
        let (h, w) = (9, 10);
        let g = Geometry::new([c, h, w], o, [k, k], [1, 1], [pad, pad]).unwrap();
        let (x, wt, b) = (
            values(n * c * h * w, 1),
            values(o * c * k * k, 2),
            values(o, 3),
        );
        let dy = values(n * o * g.ho * g.wo, 4);
        let e = rel(
            &forward(&g, &x, &wt, Some(&b)),
            &forward_im2col(&g, &x, &wt, Some(&b)),
        );
        assert!(e < 1e-5, "forward c{c} o{o} k{k}: {e}");
        let (dx, dw, db) = backward(&g, &x, &wt, &dy, true);
        for layout in [true, false] {
            let (dx_ref, dw_ref, db_ref) = backward_im2col(&g, &x, &wt, &dy, true, layout);
            let (dx, dx_ref) = (dx.as_ref().unwrap(), dx_ref.unwrap());
            assert!(rel(dx, &dx_ref) < 1e-5, "dx c{c} o{o} k{k} {layout}");
            assert!(rel(&dw, &dw_ref) < 1e-5, "dW c{c} o{o} k{k} {layout}");
            assert!(rel(&db, &db_ref) < 1e-5, "db c{c} o{o} k{k} {layout}");
        }
    }
}
