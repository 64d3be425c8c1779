//! Names of the library's choices (data sets, schedules, solvers, samplers, …) as users type
//! them. Each choice is an enum deriving clap's `ValueEnum` (its names and aliases in one
//! place, usable directly as a CLI argument type) and implementing `FromStr` through
//! [`parse`], whose error names the field and lists the known names.

use crate::error::{Error, Result};
use clap::ValueEnum;

/// `value` as one of `T`'s names or aliases (case-insensitive, `_` read as `-`).
pub fn parse<T: ValueEnum>(field: &str, value: &str) -> Result<T> {
    let key = value.trim().to_ascii_lowercase().replace('_', "-");
    T::from_str(&key, true).map_err(|_| {
        Error::invalid(
            field,
            format!(
                "unknown {field} {value:?} (known: {})",
                known::<T>().join(", ")
            ),
        )
    })
}

/// The names of `T`'s values, in declaration order.
pub fn known<T: ValueEnum>() -> Vec<String> {
    T::value_variants()
        .iter()
        .filter_map(|v| v.to_possible_value())
        .map(|p| p.get_name().to_string())
        .collect()
}

/// `impl FromStr for $t` through [`parse`], naming `$field` in errors.
macro_rules! from_str_by_name {
    ($t:ty, $field:literal) => {
        impl std::str::FromStr for $t {
            type Err = $crate::error::Error;
            fn from_str(s: &str) -> $crate::error::Result<Self> {
                $crate::names::parse($field, s)
            }
        }
    };
}
pub(crate) use from_str_by_name;

#[cfg(test)]
mod tests {
    use crate::data::toy::Toy;
    use crate::solver::SolverKind;

    #[test]
    fn names_aliases_and_errors() {
        assert_eq!(
            "eight_gaussians".parse::<Toy>().unwrap(),
            Toy::EightGaussians
        );
        assert_eq!("8gaussians".parse::<Toy>().unwrap(), Toy::EightGaussians);
        assert_eq!("Dopri5".parse::<SolverKind>().unwrap(), SolverKind::Dopri5);
        let e = "moon".parse::<Toy>().unwrap_err().to_string();
        assert!(e.starts_with("data set: unknown data set \"moon\""), "{e}");
        assert!(e.contains("moons, circles, eight-gaussians"), "{e}");
    }
}
