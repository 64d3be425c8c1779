//! The SMILES grammar (OpenSMILES, non-aromatic subset): atoms, bonds, branches, ring
//! closures and `.`, read into a [`ParsedSmiles`] that still holds any element symbol.

use super::error::SmilesError;
use crate::chem::graph::BondOrder;
use std::collections::BTreeMap;

/// One atom as written: element symbol, charge, and the bracket H count (`None` outside
/// brackets, where hydrogens are implicit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedAtom {
    pub symbol: &'static str,
    pub charge: i8,
    pub hydrogens: Option<u8>,
    /// Written lower-case (aromatic); only in the kekulizing mode.
    pub aromatic: bool,
    /// Byte position of the atom in the SMILES string.
    pub pos: usize,
}

/// A SMILES string read into atoms and bonds, before mapping symbols to [`Element`]s.
///
/// [`Element`]: crate::chem::graph::Element
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedSmiles {
    pub atoms: Vec<ParsedAtom>,
    pub bonds: Vec<(usize, usize, BondOrder)>,
    /// Indices into `bonds` of aromatic bonds whose order is still to be decided (empty
    /// after kekulization).
    pub aromatic_bonds: Vec<usize>,
}

/// A bond symbol as written: an order, or aromatic (`:`).
/// The longest SMILES string read (bytes). Molecules here are small (QM9's longest SMILES has
/// about 40 characters); the limit bounds the work and memory one line of input can ask for.
pub const MAX_LEN: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sym {
    Order(BondOrder),
    Aromatic,
}

impl Sym {
    fn text(self) -> String {
        match self {
            Sym::Order(o) => format!("order {}", o.order()),
            Sym::Aromatic => "aromatic".to_string(),
        }
    }
}

struct RingOpen {
    atom: usize,
    bond: Option<Sym>,
    pos: usize,
}

pub(super) struct Parser<'a> {
    pub(super) s: &'a str,
    pub(super) b: &'a [u8],
    pub(super) i: usize,
    /// Accept lower-case aromatic atoms and `:` bonds (to be kekulized).
    pub(super) allow_aromatic: bool,
    out: ParsedSmiles,
    prev: Option<usize>,
    pending: Option<(Sym, usize)>,
    /// Open branches: the atom before `(`, and the position of `(`.
    branches: Vec<(Option<usize>, usize)>,
    rings: BTreeMap<u32, RingOpen>,
    /// Position of the last `(` when nothing has followed it yet.
    branch_start: Option<usize>,
}

/// Reads a SMILES string. `$` bonds and malformed input are errors naming the position
/// and the offending character; so are aromatic atoms and `:` bonds unless
/// `allow_aromatic`, in which case they are kekulized.
pub fn parse(s: &str, allow_aromatic: bool) -> Result<ParsedSmiles, SmilesError> {
    if s.len() > MAX_LEN {
        return Err(SmilesError::new(
            s,
            MAX_LEN,
            format!(
                "a SMILES string of {} bytes is longer than the reader's limit of {MAX_LEN}",
                s.len()
            ),
        ));
    }
    let mut p = Parser {
        s,
        b: s.as_bytes(),
        i: 0,
        allow_aromatic,
        out: ParsedSmiles::default(),
        prev: None,
        pending: None,
        branches: Vec::new(),
        rings: BTreeMap::new(),
        branch_start: None,
    };
    p.run()?;
    if p.out.atoms.iter().any(|a| a.aromatic) {
        super::kekule::kekulize(&mut p.out, s)?;
    }
    Ok(p.out)
}

impl Parser<'_> {
    pub(super) fn err(&self, pos: usize, message: impl Into<String>) -> SmilesError {
        SmilesError::new(self.s, pos, message)
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn run(&mut self) -> Result<(), SmilesError> {
        if self.b.is_empty() {
            return Err(self.err(0, "empty SMILES"));
        }
        while let Some(c) = self.peek() {
            let pos = self.i;
            match c {
                b'(' | b')' | b'0'..=b'9' | b'%' if self.branch_start.is_some() => {
                    return Err(self.err(pos, "a branch must start with an atom or a bond"));
                }
                _ => {}
            }
            match c {
                b'A'..=b'Z' | b'a'..=b'z' | b'[' => {
                    let atom = if c == b'[' {
                        self.bracket_atom()?
                    } else {
                        self.organic_atom()?
                    };
                    self.add_atom(atom)?;
                }
                b'-' | b'=' | b'#' | b'/' | b'\\' => {
                    self.i += 1;
                    let order = match c {
                        b'=' => BondOrder::Double,
                        b'#' => BondOrder::Triple,
                        _ => BondOrder::Single,
                    };
                    self.bond_symbol(Sym::Order(order), pos)?;
                }
                b':' if self.allow_aromatic => {
                    self.i += 1;
                    self.bond_symbol(Sym::Aromatic, pos)?;
                }
                b':' => {
                    return Err(self.err(
                        pos,
                        "aromatic bond ':' is not supported; write the SMILES in Kekulé form",
                    ));
                }
                b'$' => return Err(self.err(pos, "quadruple bond '$' is not supported")),
                b'(' => {
                    if self.prev.is_none() || self.pending.is_some() {
                        return Err(self.err(pos, "a branch '(' must follow an atom"));
                    }
                    self.branches.push((self.prev, pos));
                    self.branch_start = Some(pos);
                    self.i += 1;
                }
                b')' => {
                    self.check_no_pending("')'")?;
                    let Some((prev, _)) = self.branches.pop() else {
                        return Err(self.err(pos, "unbalanced ')': no '(' is open"));
                    };
                    self.prev = prev;
                    self.i += 1;
                }
                b'.' => {
                    self.check_no_pending("'.'")?;
                    if self.prev.is_none() {
                        return Err(self.err(pos, "'.' must follow an atom"));
                    }
                    self.prev = None;
                    self.i += 1;
                }
                b'0'..=b'9' | b'%' => {
                    let num = self.ring_number()?;
                    self.ring_closure(num, pos)?;
                }
                _ => return Err(self.err(pos, "unexpected character")),
            }
        }
        self.finish()
    }

    fn finish(&self) -> Result<(), SmilesError> {
        let end = self.b.len();
        if let Some((_, pos)) = self.pending {
            return Err(self.err(pos, "bond symbol at the end has no atom after it"));
        }
        if let Some(&(_, pos)) = self.branches.last() {
            return Err(self.err(pos, "unclosed branch: '(' is never closed by ')'"));
        }
        if let Some((num, open)) = self.rings.iter().next() {
            return Err(self.err(
                open.pos,
                format!("unclosed ring: ring bond {num} is opened but never closed"),
            ));
        }
        if self.prev.is_none() {
            return Err(self.err(end - 1, "SMILES ends with '.' and no atom after it"));
        }
        Ok(())
    }

    fn check_no_pending(&self, what: &str) -> Result<(), SmilesError> {
        match self.pending {
            Some((_, pos)) => Err(self.err(
                pos,
                format!("bond symbol before {what} has no atom after it"),
            )),
            None => Ok(()),
        }
    }

    fn bond_symbol(&mut self, sym: Sym, pos: usize) -> Result<(), SmilesError> {
        if self.prev.is_none() {
            return Err(self.err(pos, "bond symbol has no atom before it"));
        }
        if self.pending.is_some() {
            return Err(self.err(pos, "two bond symbols in a row"));
        }
        self.branch_start = None;
        self.pending = Some((sym, pos));
        Ok(())
    }

    /// Adds a bond; with no symbol it is aromatic between two aromatic atoms, else single.
    fn push_bond(&mut self, a: usize, b: usize, sym: Option<Sym>) {
        let atoms = &self.out.atoms;
        let aromatic = match sym {
            Some(Sym::Aromatic) => true,
            Some(Sym::Order(_)) => false,
            None => atoms[a].aromatic && atoms[b].aromatic,
        };
        let order = match sym {
            Some(Sym::Order(o)) => o,
            _ => BondOrder::Single,
        };
        if aromatic {
            self.out.aromatic_bonds.push(self.out.bonds.len());
        }
        self.out.bonds.push((a, b, order));
    }

    fn add_atom(&mut self, atom: ParsedAtom) -> Result<(), SmilesError> {
        let k = self.out.atoms.len();
        self.out.atoms.push(atom);
        match (self.prev, self.pending.take()) {
            (Some(p), bond) => self.push_bond(p, k, bond.map(|(sym, _)| sym)),
            (None, Some((_, bpos))) => {
                return Err(self.err(bpos, "bond symbol has no atom before it"));
            }
            (None, None) => {}
        }
        self.prev = Some(k);
        self.branch_start = None;
        Ok(())
    }

    fn ring_number(&mut self) -> Result<u32, SmilesError> {
        let pos = self.i;
        if self.peek() != Some(b'%') {
            self.i += 1;
            return Ok((self.b[pos] - b'0') as u32);
        }
        self.i += 1;
        if self.peek() == Some(b'(') {
            self.i += 1;
            let n = self.digits();
            if n.is_none() || self.peek() != Some(b')') {
                return Err(self.err(pos, "'%(' must be followed by digits and ')'"));
            }
            self.i += 1;
            return Ok(n.unwrap());
        }
        let d = self
            .b
            .get(self.i..self.i + 2)
            .filter(|d| d.iter().all(u8::is_ascii_digit));
        let Some(d) = d else {
            return Err(self.err(pos, "'%' must be followed by two digits"));
        };
        self.i += 2;
        Ok(((d[0] - b'0') * 10 + (d[1] - b'0')) as u32)
    }

    fn ring_closure(&mut self, num: u32, pos: usize) -> Result<(), SmilesError> {
        let Some(atom) = self.prev else {
            return Err(self.err(pos, "a ring-closure digit must follow an atom"));
        };
        let pending = self.pending.take();
        let Some(open) = self.rings.remove(&num) else {
            let bond = pending.map(|(o, _)| o);
            self.rings.insert(num, RingOpen { atom, bond, pos });
            return Ok(());
        };
        if open.atom == atom {
            return Err(self.err(
                pos,
                format!("ring bond {num} closes on the atom that opened it"),
            ));
        }
        let sym = match (open.bond, pending.map(|(o, _)| o)) {
            (Some(a), Some(b)) if a != b => {
                return Err(self.err(
                    pos,
                    format!(
                        "ring bond {num}: {} at its opening (position {}) conflicts with {} here",
                        a.text(),
                        open.pos,
                        b.text()
                    ),
                ));
            }
            (a, b) => a.or(b),
        };
        let dup = self
            .out
            .bonds
            .iter()
            .any(|&(i, j, _)| (i, j) == (open.atom, atom) || (i, j) == (atom, open.atom));
        if dup {
            return Err(self.err(
                pos,
                format!("ring bond {num} repeats a bond that already joins these atoms"),
            ));
        }
        self.push_bond(open.atom, atom, sym);
        Ok(())
    }
}
