//! Data sources: the 2-D toy sets ([`toy::Toy`], drawn fresh each batch), a user's
//! `.npy`/`.csv` file of points (rows drawn uniformly with replacement), and MNIST digits
//! ([`images::ImageSet`], with labels).

pub mod idx;
pub mod images;
pub mod toy;

use crate::io::{Array2, read_array};
use crate::rng::SeededRng;
use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use toy::Toy;

/// Where training data comes from, as saved in a run's config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum DataSpec {
    Toy {
        name: Toy,
    },
    File {
        path: PathBuf,
    },
    /// MNIST digits from the IDX files in `dir` (training split), scaled to [-1, 1].
    Mnist {
        dir: PathBuf,
    },
}

impl DataSpec {
    /// `--data NAME`: `mnist` (files in `data_dir`), a toy set's name, or a path ending in
    /// `.npy` / `.csv`.
    pub fn parse_with_dir(arg: &str, data_dir: Option<&std::path::Path>) -> Result<Self> {
        if arg == "mnist" {
            return Ok(DataSpec::Mnist {
                dir: data_dir.map_or_else(|| PathBuf::from("data/mnist"), PathBuf::from),
            });
        }
        Self::parse(arg)
    }

    /// `--data NAME`: a toy set's name, or a path ending in `.npy` / `.csv`.
    pub fn parse(arg: &str) -> Result<Self> {
        if arg == "mnist" {
            return Self::parse_with_dir(arg, None);
        }
        if arg.ends_with(".npy") || arg.ends_with(".csv") {
            return Ok(DataSpec::File {
                path: PathBuf::from(arg),
            });
        }
        match Toy::from_name(arg) {
            Ok(name) => Ok(DataSpec::Toy { name }),
            Err(e) => bail!("--data: {e}, mnist, or a path to a .npy/.csv file of points"),
        }
    }

    pub fn label(&self) -> String {
        match self {
            DataSpec::Toy { name } => name.name().to_string(),
            DataSpec::File { path } => path.display().to_string(),
            DataSpec::Mnist { dir } => format!("mnist ({})", dir.display()),
        }
    }

    pub fn open(&self) -> Result<PointSource> {
        Ok(match self {
            DataSpec::Toy { name } => PointSource::Toy(*name),
            DataSpec::File { path } => {
                let array = read_array(path)?;
                if array.rows < 2 {
                    bail!(
                        "{}: needs at least two rows of points, found {}",
                        path.display(),
                        array.rows
                    );
                }
                PointSource::File(array)
            }
            DataSpec::Mnist { dir } => PointSource::Images(images::ImageSet::mnist(dir, true)?),
        })
    }
}

/// An opened source of training data.
#[derive(Clone, Debug)]
pub enum PointSource {
    Toy(Toy),
    File(Array2),
    Images(images::ImageSet),
}

impl PointSource {
    pub fn dim(&self) -> usize {
        match self {
            PointSource::Toy(_) => 2,
            PointSource::File(a) => a.cols,
            PointSource::Images(i) => i.values.cols,
        }
    }

    /// `n` points, row-major `[n, dim]`.
    pub fn sample(&self, n: usize, rng: &mut SeededRng) -> Vec<f32> {
        self.sample_labeled(n, rng).0
    }

    /// `n` points and, for labelled data, their labels.
    pub fn sample_labeled(&self, n: usize, rng: &mut SeededRng) -> (Vec<f32>, Option<Vec<i64>>) {
        match self {
            PointSource::Toy(t) => (t.sample(n, rng), None),
            PointSource::File(a) => (
                (0..n)
                    .flat_map(|_| a.row(rng.below(a.rows)).to_vec())
                    .collect(),
                None,
            ),
            PointSource::Images(set) => {
                let idx: Vec<usize> = (0..n).map(|_| rng.below(set.values.rows)).collect();
                let x = idx
                    .iter()
                    .flat_map(|&i| set.values.row(i).to_vec())
                    .collect();
                (x, Some(idx.iter().map(|&i| set.labels[i] as i64).collect()))
            }
        }
    }
}

/// The shared real-data directory: `$FLOWDIFF_DATA`, else `../shared/data` from the crate
/// root. `None` (with a printed reason) when neither exists, except under `CI=true`, where
/// missing data is an error.
pub fn shared_data_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("FLOWDIFF_DATA").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data")),
    ];
    if let Some(dir) = candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("mnist").is_dir())
    {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "real data not found: set FLOWDIFF_DATA or provide ../shared/data (required under CI=true)"
        );
    }
    eprintln!("skipping: real data not found (set FLOWDIFF_DATA or provide ../shared/data)");
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_specs_parse_names_and_files() {
        assert_eq!(
            DataSpec::parse("moons").unwrap(),
            DataSpec::Toy { name: Toy::Moons }
        );
        assert!(matches!(
            DataSpec::parse("pts.csv").unwrap(),
            DataSpec::File { .. }
        ));
        let err = DataSpec::parse("mooons").unwrap_err().to_string();
        assert!(err.contains("--data") && err.contains("moons"), "{err}");
    }

    #[test]
    fn file_sources_draw_their_own_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.csv");
        std::fs::write(&p, "x,y\n1,2\n3,4\n5,6\n").unwrap();
        let src = DataSpec::File { path: p }.open().unwrap();
        assert_eq!(src.dim(), 2);
        let s = src.sample(50, &mut SeededRng::new(1));
        assert!(
            s.chunks(2)
                .all(|r| r == [1.0, 2.0] || r == [3.0, 4.0] || r == [5.0, 6.0])
        );
    }
}
