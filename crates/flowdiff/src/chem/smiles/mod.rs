//! SMILES in and out for heavy-atom graphs.
//!
//! The reader ([`parse_smiles`]) is strict OpenSMILES for non-aromatic (Kekulé) input:
//! organic-subset atoms (`B C N O P S F Cl Br I`), bracket atoms with isotope (ignored),
//! `@`/`@@` (ignored), H count and charge (`+`, `-`, `++`, `+2`), bonds `-` `=` `#` and the
//! stereo single bonds `/` `\`, branches, ring closures (`1`–`9`, `%nn`, `%(nnn)`, with the
//! bond order on either side) and `.` between disconnected parts. Lower-case aromatic atoms
//! and `:` bonds are refused, except by [`parse_smiles_kekulize`], which reads and
//! kekulizes them (for tables written by RDKit, such as DeepChem's QM9). Graphs keep heavy
//! atoms only, so any element outside C, N, O, F, and explicit `[H]` atoms, are errors when
//! building the graph; hydrogen counts are dropped (they follow from the valence, see
//! [`crate::chem::valence`]).
//!
//! The writer ([`to_smiles`]) emits the canonical order of [`crate::chem::canonical`], so
//! isomorphic graphs give the same string, and handles any well-formed graph, including
//! over-valent atoms (written in brackets with no hydrogens).

mod atoms;
mod error;
mod kekule;
mod parse;
mod write;

#[cfg(test)]
mod tests;

pub use error::SmilesError;
pub use parse::{ParsedAtom, ParsedSmiles};
pub use write::{to_smiles, write_with_ranks};

use crate::chem::graph::{Atom, Element, MolGraph};

/// Reads a Kekulé SMILES string (no aromatic atoms) into atoms and bonds, keeping every
/// element symbol and the bracket H counts.
pub fn parse_smiles_raw(smiles: &str) -> Result<ParsedSmiles, SmilesError> {
    parse::parse(smiles, false)
}

/// Reads a Kekulé SMILES string into a heavy-atom graph.
pub fn parse_smiles(smiles: &str) -> Result<MolGraph, SmilesError> {
    graph_of(smiles, parse::parse(smiles, false)?)
}

/// Reads a SMILES string that may be aromatic (lower-case atoms, `:` bonds, as RDKit
/// writes them), kekulizing aromatic rings; Kekulé input reads exactly as with
/// [`parse_smiles`].
pub fn parse_smiles_kekulize(smiles: &str) -> Result<MolGraph, SmilesError> {
    graph_of(smiles, parse::parse(smiles, true)?)
}

fn graph_of(smiles: &str, parsed: ParsedSmiles) -> Result<MolGraph, SmilesError> {
    let mut atoms = Vec::with_capacity(parsed.atoms.len());
    for a in &parsed.atoms {
        let atom = match Element::from_symbol(a.symbol) {
            Some(Element::H) => {
                return Err(SmilesError::new(
                    smiles,
                    a.pos,
                    "explicit hydrogen atoms are not supported (graphs hold heavy atoms; write H counts in brackets, e.g. [NH3+])",
                ));
            }
            Some(e) => Atom::new(e, a.charge),
            None => {
                return Err(SmilesError::new(
                    smiles,
                    a.pos,
                    format!("element '{}' is not supported (only C, N, O, F)", a.symbol),
                ));
            }
        };
        atoms.push(atom);
    }
    Ok(MolGraph::new(atoms, parsed.bonds))
}
