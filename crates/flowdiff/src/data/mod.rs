//! Data sources: the 2-D toy sets ([`toy::Toy`], drawn fresh each batch), a user's
//! `.npy`/`.csv` file of points (rows drawn uniformly with replacement), MNIST digits and
//! folders of pictures ([`images::ImageSet`], with labels where the folder has classes).

pub mod folder;
pub mod idx;
pub mod images;
pub mod toy;

use crate::error::Result;
use crate::io::{Array2, read_array};
use crate::rng::SeededRng;
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
    /// Pictures from a folder ([`folder::read_folder`]): one sub-folder per class, or flat;
    /// `size` resizes and centre-crops to `size × size`; `flip` mirrors drawn images at random.
    Images {
        dir: PathBuf,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size: Option<usize>,
        #[serde(default)]
        flip: bool,
    },
    /// Noise–data pairs `[x0 | x1]` (one pair per row of a `.npy`, `2·d` columns) drawn from a
    /// teacher's ODE, to train a reflow student on (Liu et al. 2022, §2.2); `data` is what the
    /// pairs' ends stand for, the set the student's samples are compared with.
    Pairs {
        path: PathBuf,
        data: Box<DataSpec>,
    },
}

impl DataSpec {
    /// `--data NAME`: `mnist` (files in `data_dir`), `images` (the pictures in `data_dir`), a
    /// toy set's name, or a path ending in
    /// `.npy` / `.csv`.
    pub fn parse_with_dir(arg: &str, data_dir: Option<&std::path::Path>) -> Result<Self> {
        if arg == "images" {
            let Some(dir) = data_dir else {
                return Err(crate::error::Error::invalid(
                    "data-dir",
                    "--data images reads the pictures in --data-dir DIR (one sub-folder per class, or flat)",
                ));
            };
            return Ok(DataSpec::Images {
                dir: dir.to_path_buf(),
                size: None,
                flip: false,
            });
        }
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
        match arg.parse::<Toy>() {
            Ok(name) => Ok(DataSpec::Toy { name }),
            Err(_) => Err(crate::error::Error::invalid(
                "data",
                format!(
                    "unknown data set {arg:?} (known: {}, mnist, images, or a path to a .npy/.csv file of points)",
                    crate::names::known::<Toy>().join(", ")
                ),
            )),
        }
    }

    pub fn label(&self) -> String {
        match self {
            DataSpec::Toy { name } => name.name().to_string(),
            DataSpec::File { path } => path.display().to_string(),
            DataSpec::Mnist { dir } => format!("mnist ({})", dir.display()),
            DataSpec::Images { dir, .. } => format!("images ({})", dir.display()),
            DataSpec::Pairs { data, .. } => format!("{} (reflow pairs)", data.label()),
        }
    }

    /// The data a model trained on this spec should reproduce: the spec itself, or for
    /// [`DataSpec::Pairs`] the set the pairs stand for.
    pub fn reference(&self) -> &DataSpec {
        match self {
            DataSpec::Pairs { data, .. } => data.reference(),
            other => other,
        }
    }

    pub fn open(&self) -> Result<PointSource> {
        Ok(match self {
            DataSpec::Toy { name } => PointSource::Toy(*name),
            DataSpec::File { path } => {
                let array = read_array(path)?;
                array.check_samples(2, &path.display().to_string())?;
                PointSource::File(array)
            }
            DataSpec::Mnist { dir } => PointSource::Images(images::ImageSet::mnist(dir, true)?),
            DataSpec::Images { dir, size, flip } => {
                PointSource::Images(folder::read_folder(&folder::FolderSpec {
                    dir,
                    size: *size,
                    flip: *flip,
                })?)
            }
            DataSpec::Pairs { path, .. } => {
                let array = read_array(path)?;
                let source = path.display().to_string();
                array.check_samples(2, &source)?;
                if array.cols % 2 != 0 {
                    return Err(crate::error::Error::invalid(
                        source,
                        format!(
                            "pairs [x0 | x1] need an even number of columns, found {}",
                            array.cols
                        ),
                    ));
                }
                PointSource::File(array)
            }
        })
    }
}

/// Training data for the point and image models: a user implements this for their own data
/// and passes it to [`crate::train::train`] (graphs train on a slice of
/// [`crate::discrete::DenseGraph`]s instead). The built-in sets are [`PointSource`]s.
///
/// ```
/// use flowdiff::data::DataSource;
/// use flowdiff::rng::SeededRng;
///
/// /// Points on the unit circle.
/// struct Circle;
///
/// impl DataSource for Circle {
///     fn dim(&self) -> usize {
///         2
///     }
///     fn sample_labeled(&self, n: usize, rng: &mut SeededRng) -> (Vec<f32>, Option<Vec<i64>>) {
///         let xs = (0..n)
///             .flat_map(|_| {
///                 let a = std::f64::consts::TAU * rng.uniform();
///                 [a.cos() as f32, a.sin() as f32]
///             })
///             .collect();
///         (xs, None)
///     }
/// }
///
/// let batch = Circle.sample(4, &mut SeededRng::new(0));
/// assert_eq!(batch.len(), 8);
/// ```
pub trait DataSource: Send + Sync {
    /// Values per example (2 for points, `C·H·W` for images).
    fn dim(&self) -> usize;

    /// `n` examples drawn with `rng`, row-major `[n, dim]`, and for labelled data one label per
    /// row (in `0..num_classes`).
    fn sample_labeled(&self, n: usize, rng: &mut SeededRng) -> (Vec<f32>, Option<Vec<i64>>);

    /// `n` examples, row-major `[n, dim]`.
    fn sample(&self, n: usize, rng: &mut SeededRng) -> Vec<f32> {
        self.sample_labeled(n, rng).0
    }

    /// For images: `[channels, height, width]` of one example (for pictures of samples).
    fn image_shape(&self) -> Option<[usize; 3]> {
        None
    }
}

/// An opened built-in source of training data.
#[derive(Clone, Debug)]
pub enum PointSource {
    Toy(Toy),
    File(Array2),
    Images(images::ImageSet),
}

impl DataSource for PointSource {
    fn dim(&self) -> usize {
        match self {
            PointSource::Toy(_) => 2,
            PointSource::File(a) => a.cols,
            PointSource::Images(i) => i.dim(),
        }
    }

    fn sample_labeled(&self, n: usize, rng: &mut SeededRng) -> (Vec<f32>, Option<Vec<i64>>) {
        match self {
            PointSource::Toy(t) => (t.sample(n, rng), None),
            PointSource::File(a) => (
                (0..n)
                    .flat_map(|_| a.row(rng.below(a.rows)).to_vec())
                    .collect(),
                None,
            ),
            PointSource::Images(set) => {
                let idx: Vec<usize> = (0..n).map(|_| rng.below(set.len())).collect();
                let x = idx.iter().flat_map(|&i| set.draw(i, rng)).collect();
                let labels = set
                    .labelled()
                    .then(|| idx.iter().map(|&i| set.labels[i] as i64).collect());
                (x, labels)
            }
        }
    }

    fn image_shape(&self) -> Option<[usize; 3]> {
        match self {
            PointSource::Images(set) => Some(set.shape),
            _ => None,
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
        assert!(err.starts_with("data: ") && err.contains("moons"), "{err}");
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
