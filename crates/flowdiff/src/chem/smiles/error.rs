//! The SMILES reader's error: a position, the character found there, and what was wrong.

/// A SMILES string that could not be read. Displays as
/// `at position 3 ('x'): unexpected character` (positions count bytes from 0).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("at position {pos} ({}): {message}", found.map_or("end of input".to_string(), |c| format!("'{c}'")))]
pub struct SmilesError {
    /// Byte offset of the offending character (the length of the string at its end).
    pub pos: usize,
    /// The character at `pos`, `None` at the end of the string.
    pub found: Option<char>,
    pub message: String,
}

impl SmilesError {
    /// An error at `pos` of `smiles`.
    pub fn new(smiles: &str, pos: usize, message: impl Into<String>) -> Self {
        Self {
            pos,
            found: smiles.get(pos..).and_then(|r| r.chars().next()),
            message: message.into(),
        }
    }
}
