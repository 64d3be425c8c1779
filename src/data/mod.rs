//! Data sources. For points: the 2-D toy sets ([`toy::Toy`], drawn fresh each batch) or a
//! user's `.npy`/`.csv` file (rows drawn uniformly with replacement).

pub mod toy;

use crate::io::{Array2, read_array};
use crate::rng::SeededRng;
use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use toy::Toy;

/// Where training points come from, as saved in a run's config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum DataSpec {
    Toy { name: Toy },
    File { path: PathBuf },
}

impl DataSpec {
    /// `--data NAME`: a toy set's name, or a path ending in `.npy` / `.csv`.
    pub fn parse(arg: &str) -> Result<Self> {
        if arg.ends_with(".npy") || arg.ends_with(".csv") {
            return Ok(DataSpec::File {
                path: PathBuf::from(arg),
            });
        }
        match Toy::from_name(arg) {
            Ok(name) => Ok(DataSpec::Toy { name }),
            Err(e) => bail!("--data: {e}, or a path to a .npy/.csv file of points"),
        }
    }

    pub fn label(&self) -> String {
        match self {
            DataSpec::Toy { name } => name.name().to_string(),
            DataSpec::File { path } => path.display().to_string(),
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
        })
    }
}

/// An opened source of points.
#[derive(Clone, Debug)]
pub enum PointSource {
    Toy(Toy),
    File(Array2),
}

impl PointSource {
    pub fn dim(&self) -> usize {
        match self {
            PointSource::Toy(_) => 2,
            PointSource::File(a) => a.cols,
        }
    }

    /// `n` points, row-major `[n, dim]`.
    pub fn sample(&self, n: usize, rng: &mut SeededRng) -> Vec<f32> {
        match self {
            PointSource::Toy(t) => t.sample(n, rng),
            PointSource::File(a) => (0..n)
                .flat_map(|_| a.row(rng.below(a.rows)).to_vec())
                .collect(),
        }
    }
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
