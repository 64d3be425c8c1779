//! The library's error type. Every fallible function of flowdiff returns [`Result`]; the
//! variants a caller may want to act on are typed ([`Error::Invalid`], [`Error::Diverged`],
//! [`Error::Solver`], [`Error::Io`]), the rest carry their message. Following the standard
//! library's convention, an error's `Display` is its own level only and the cause is its
//! [`std::error::Error::source`]; print the whole chain with, for example, `anyhow`'s `{:#}`.

use std::fmt::Display;
use std::path::{Path, PathBuf};

/// A flowdiff error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting or argument out of its range, or inconsistent with another.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// Reading or writing `path` failed.
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An ODE solve did not finish (step limit, non-finite state, bad tolerance).
    #[error(transparent)]
    Solver(#[from] SolverError),
    /// Training stopped: the loss is not finite.
    #[error(
        "training diverged: loss is {loss} at step {step}; lower the learning rate or raise the batch size"
    )]
    Diverged { step: usize, loss: f64 },
    /// A result that should be a number is NaN or infinite.
    #[error("{what} are not finite (NaN or infinite): {hint}")]
    NonFinite { what: String, hint: String },
    /// What was being done when `source` happened.
    #[error("{context}")]
    Context {
        context: String,
        #[source]
        source: Box<Error>,
    },
    /// An error of a library flowdiff uses (I/O, JSON, images, burn's records, …).
    #[error(transparent)]
    External(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// Anything else, with its message.
    #[error("{0}")]
    Message(String),
}

/// Why an ODE solve did not finish.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SolverError {
    /// Tolerances must be finite and non-negative, and at least one of them reachable in f32
    /// arithmetic (≥ `solver::Tolerance::MIN`, f32's machine epsilon).
    #[error(
        "tolerances: rtol = {rtol:e}, atol = {atol:e}; each must be finite and ≥ 0, and one of them ≥ {min:e} (f32 states cannot resolve less)",
        min = f32::EPSILON
    )]
    InvalidTolerance { rtol: f64, atol: f64 },
    /// A fixed-grid solve needs at least one step.
    #[error("a fixed-grid {solver} solve needs at least one step")]
    NoSteps { solver: &'static str },
    /// The adaptive solve took `steps` steps without reaching its end time.
    #[error(
        "adaptive {solver} solve reached its limit of {steps} steps at t = {t:.6}; loosen rtol/atol or use a fixed-step solver"
    )]
    StepLimit {
        solver: &'static str,
        steps: usize,
        t: f64,
    },
    /// The state or its error estimate became NaN or infinite (a model with non-finite
    /// weights, or a diverging field).
    #[error("{solver} solve produced a non-finite state at t = {t:.6}")]
    NonFinite { solver: &'static str, t: f64 },
}

/// `Result` with flowdiff's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::Invalid`] for `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// An [`Error::Message`].
    pub fn msg(message: impl Display) -> Self {
        Error::Message(message.to_string())
    }

    /// The error and all its sources on one line, `": "` between levels (as anyhow's `{:#}`
    /// prints them), for callers that print errors without anyhow.
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

macro_rules! external {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Error::External(Box::new(e))
            }
        }
    )*};
}

external!(
    std::io::Error,
    serde_json::Error,
    toml::de::Error,
    toml::ser::Error,
    image::ImageError,
    std::num::ParseIntError,
    std::num::ParseFloatError,
    std::fmt::Error,
    std::string::FromUtf8Error,
    ureq::Error,
);

impl From<Box<dyn std::error::Error + Send + Sync + 'static>> for Error {
    fn from(e: Box<dyn std::error::Error + Send + Sync + 'static>) -> Self {
        Error::External(e)
    }
}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Error::Message(message)
    }
}

/// Adds what was being done to an error, like `anyhow::Context`.
pub trait Context<T> {
    fn context<C: Display>(self, context: C) -> Result<T>;
    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context<C: Display>(self, context: C) -> Result<T> {
        self.map_err(|e| Error::Context {
            context: context.to_string(),
            source: Box::new(e.into()),
        })
    }

    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.map_err(|e| Error::Context {
            context: f().to_string(),
            source: Box::new(e.into()),
        })
    }
}

impl<T> Context<T> for Option<T> {
    fn context<C: Display>(self, context: C) -> Result<T> {
        self.ok_or_else(|| Error::Message(context.to_string()))
    }

    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.ok_or_else(|| Error::Message(f().to_string()))
    }
}

/// `return Err(Error::Message(format!(…)))`.
macro_rules! bail {
    ($($t:tt)*) => {
        return Err($crate::error::Error::Message(format!($($t)*)))
    };
}
pub(crate) use bail;

/// `Error::Message(format!(…))`.
macro_rules! err {
    ($($t:tt)*) => {
        $crate::error::Error::Message(format!($($t)*))
    };
}
pub(crate) use err;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_chains_and_displays_one_level() {
        let e: Result<()> = Err(std::io::Error::other("disk full")).context("writing x.npy");
        let e = e.unwrap_err();
        assert_eq!(e.to_string(), "writing x.npy");
        let source = std::error::Error::source(&e).unwrap();
        assert_eq!(source.to_string(), "disk full");
        assert_eq!(e.chain(), "writing x.npy: disk full");
        let none: Result<u8> = None.context("no rows");
        assert_eq!(none.unwrap_err().to_string(), "no rows");
    }

    #[test]
    fn invalid_names_its_field() {
        let e = Error::invalid("rtol", "must be positive, got 0");
        assert_eq!(e.to_string(), "rtol: must be positive, got 0");
    }
}
