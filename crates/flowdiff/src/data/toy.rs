//! Two-dimensional toy distributions, each with a documented scale and noise, drawn fresh
//! from a seeded stream. Every set is roughly centred and spans about `[-4, 4]²`, the range
//! where a standard normal prior overlaps it well.

use crate::rng::SeededRng;
use std::f64::consts::PI;

/// A named 2-D toy distribution.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Toy {
    /// Two interleaving half circles (scikit-learn's `make_moons`), centred, scaled ×2,
    /// Gaussian noise std 0.1 after scaling. Spans about [-3, 3] × [-1.7, 1.7].
    Moons,
    /// Two concentric circles of radius 3 and 1.5, Gaussian noise std 0.08.
    Circles,
    /// Eight Gaussians at radius 2√2 on the unit-circle directions k·π/4, std 0.5/√2
    /// (the FFJORD benchmark, Grathwohl et al. 2019).
    #[value(alias = "8gaussians")]
    EightGaussians,
    /// A 4×4 checkerboard over [-4, 4]², uniform on the eight dark squares (FFJORD).
    Checkerboard,
    /// The 2-D Swiss roll: angle u ∈ [1.5π, 4.5π], point (u cos u − 2, u sin u)/5 plus
    /// Gaussian noise std 0.2 (FFJORD's `make_swiss_roll(noise=1)/5`, shifted by the exact
    /// mean E[u cos u] = 2 so that it is centred).
    SwissRoll,
    /// Two interleaved spirals (FFJORD's `2spirals`): radius up to ~3.6, noise std 0.1.
    TwoSpirals,
}

crate::names::from_str_by_name!(Toy, "data set");

impl Toy {
    pub const ALL: [Toy; 6] = [
        Toy::Moons,
        Toy::Circles,
        Toy::EightGaussians,
        Toy::Checkerboard,
        Toy::SwissRoll,
        Toy::TwoSpirals,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Toy::Moons => "moons",
            Toy::Circles => "circles",
            Toy::EightGaussians => "eight-gaussians",
            Toy::Checkerboard => "checkerboard",
            Toy::SwissRoll => "swiss-roll",
            Toy::TwoSpirals => "two-spirals",
        }
    }

    /// `n` fresh points, row-major `[n, 2]`.
    pub fn sample(self, n: usize, rng: &mut SeededRng) -> Vec<f32> {
        let mut out = Vec::with_capacity(2 * n);
        for i in 0..n {
            let (x, y) = self.point(i, n, rng);
            out.push(x as f32);
            out.push(y as f32);
        }
        out
    }

    fn point(self, i: usize, n: usize, rng: &mut SeededRng) -> (f64, f64) {
        match self {
            Toy::Moons => {
                let u = PI * rng.uniform();
                // Alternate the two moons so any prefix is balanced.
                let (x, y) = if i % 2 == 0 {
                    (u.cos(), u.sin())
                } else {
                    (1.0 - u.cos(), 0.5 - u.sin())
                };
                (
                    2.0 * (x - 0.5) + 0.1 * rng.normal(),
                    2.0 * (y - 0.25) + 0.1 * rng.normal(),
                )
            }
            Toy::Circles => {
                let u = 2.0 * PI * rng.uniform();
                let r = if i % 2 == 0 { 3.0 } else { 1.5 };
                (
                    r * u.cos() + 0.08 * rng.normal(),
                    r * u.sin() + 0.08 * rng.normal(),
                )
            }
            Toy::EightGaussians => {
                let k = rng.below(8) as f64;
                let a = k * PI / 4.0;
                let s = 0.5 / 2f64.sqrt();
                (
                    2.0 * 2f64.sqrt() * a.cos() + s * rng.normal(),
                    2.0 * 2f64.sqrt() * a.sin() + s * rng.normal(),
                )
            }
            Toy::Checkerboard => {
                let x1 = 4.0 * rng.uniform() - 2.0;
                let x2 = rng.uniform() - 2.0 * rng.below(2) as f64
                    + (x1.floor() as i64).rem_euclid(2) as f64;
                (2.0 * x1, 2.0 * x2)
            }
            Toy::SwissRoll => {
                let u = 1.5 * PI * (1.0 + 2.0 * rng.uniform());
                (
                    (u * u.cos() - 2.0 + rng.normal()) / 5.0,
                    (u * u.sin() + rng.normal()) / 5.0,
                )
            }
            Toy::TwoSpirals => {
                let _ = n;
                let r = rng.uniform().sqrt() * 540.0 * 2.0 * PI / 360.0;
                let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
                let x = sign * (-r.cos() * r + 0.5 * rng.uniform());
                let y = sign * (r.sin() * r + 0.5 * rng.uniform());
                (x / 3.0 + 0.1 * rng.normal(), y / 3.0 + 0.1 * rng.normal())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_and_extent(pts: &[f32]) -> ([f64; 2], f64) {
        let n = pts.len() / 2;
        let mut m = [0.0; 2];
        let mut ext: f64 = 0.0;
        for p in pts.chunks(2) {
            m[0] += p[0] as f64 / n as f64;
            m[1] += p[1] as f64 / n as f64;
            ext = ext.max(p[0].abs() as f64).max(p[1].abs() as f64);
        }
        (m, ext)
    }

    #[test]
    fn every_set_is_centred_and_within_its_documented_range() {
        for toy in Toy::ALL {
            let pts = toy.sample(4000, &mut SeededRng::new(3));
            assert_eq!(pts.len(), 8000);
            let (m, ext) = mean_and_extent(&pts);
            assert!(m[0].abs() < 0.3 && m[1].abs() < 0.3, "{toy:?} mean {m:?}");
            assert!(ext < 5.0 && ext > 1.0, "{toy:?} extent {ext}");
        }
    }

    #[test]
    fn same_seed_same_points_and_names_round_trip() {
        for toy in Toy::ALL {
            assert_eq!(str::parse::<Toy>(toy.name()).unwrap(), toy);
            let a = toy.sample(10, &mut SeededRng::new(5));
            let b = toy.sample(10, &mut SeededRng::new(5));
            assert_eq!(a, b);
        }
        assert!(
            str::parse::<Toy>("bananas")
                .unwrap_err()
                .to_string()
                .contains("moons")
        );
    }

    #[test]
    fn moons_points_lie_near_their_arcs() {
        let pts = Toy::Moons.sample(2000, &mut SeededRng::new(1));
        for (i, p) in pts.chunks(2).enumerate() {
            // Undo the documented centring and scaling, then measure the radius to the arc centre.
            let (x, y) = (p[0] as f64 / 2.0 + 0.5, p[1] as f64 / 2.0 + 0.25);
            let r = if i % 2 == 0 {
                x.hypot(y)
            } else {
                (x - 1.0).hypot(y - 0.5)
            };
            assert!((r - 1.0).abs() < 0.35, "point {i} radius {r}");
        }
    }
}
