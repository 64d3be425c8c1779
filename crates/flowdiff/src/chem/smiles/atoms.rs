//! Atom tokens: organic-subset atoms outside brackets and bracket atoms (isotope, symbol,
//! chirality, H count, charge, class), with the element tables they are checked against.

use super::error::SmilesError;
use super::parse::{ParsedAtom, Parser};

/// Every element symbol (for bracket atoms).
const ELEMENTS: [&str; 118] = [
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl",
    "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As",
    "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In",
    "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb",
    "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl",
    "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm", "Bk",
    "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh",
    "Fl", "Mc", "Lv", "Ts", "Og",
];

/// Elements allowed outside brackets.
const ORGANIC: [&str; 10] = ["B", "C", "N", "O", "P", "S", "F", "Cl", "Br", "I"];

/// Lower-case (aromatic) atom symbols: the first six are allowed outside brackets too.
const AROMATIC: [&str; 8] = ["b", "c", "n", "o", "p", "s", "se", "as"];

/// The element of an aromatic symbol.
fn aromatic_element(symbol: &str) -> &'static str {
    let k = AROMATIC.iter().position(|&a| a == symbol).unwrap();
    ["B", "C", "N", "O", "P", "S", "Se", "As"][k]
}

impl Parser<'_> {
    pub(super) fn organic_atom(&mut self) -> Result<ParsedAtom, SmilesError> {
        let pos = self.i;
        let two = self.s.get(pos..pos + 2).unwrap_or("");
        let one = &self.s[pos..pos + 1];
        if AROMATIC[..6].contains(&one) {
            if !self.allow_aromatic {
                return Err(self.aromatic_error(pos, one));
            }
            self.i += 1;
            return Ok(ParsedAtom {
                symbol: aromatic_element(one),
                charge: 0,
                hydrogens: None,
                aromatic: true,
                pos,
            });
        }
        if one.as_bytes()[0].is_ascii_lowercase() {
            return Err(self.err(pos, "unexpected character"));
        }
        let symbol = if two == "Cl" || two == "Br" {
            two
        } else {
            let next_lower = two.len() == 2 && two.as_bytes()[1].is_ascii_lowercase();
            if next_lower && ELEMENTS.contains(&two) && !AROMATIC.contains(&&two[1..]) {
                return Err(self.err(
                    pos,
                    format!("element '{two}' must be written in brackets, e.g. [{two}]"),
                ));
            }
            one
        };
        let Some(&symbol) = ORGANIC.iter().find(|&&o| o == symbol) else {
            return Err(self.err(
                pos,
                format!(
                    "unknown element '{symbol}' outside brackets (only B C N O P S F Cl Br I; write others in brackets)"
                ),
            ));
        };
        self.i += symbol.len();
        Ok(ParsedAtom {
            symbol,
            charge: 0,
            hydrogens: None,
            aromatic: false,
            pos,
        })
    }

    fn aromatic_error(&self, pos: usize, symbol: &str) -> SmilesError {
        self.err(
            pos,
            format!(
                "aromatic atom '{symbol}' is not supported; write the SMILES in Kekulé form (upper-case atoms, explicit '=' bonds)"
            ),
        )
    }

    pub(super) fn digits(&mut self) -> Option<u32> {
        let start = self.i;
        while self.i < self.b.len() && self.b[self.i].is_ascii_digit() && self.i - start < 9 {
            self.i += 1;
        }
        (self.i > start).then(|| self.s[start..self.i].parse().unwrap())
    }

    pub(super) fn bracket_atom(&mut self) -> Result<ParsedAtom, SmilesError> {
        let open = self.i;
        self.i += 1;
        let unclosed = |p: &Self| p.err(open, "unclosed bracket atom: '[' has no matching ']'");
        self.digits(); // isotope, ignored
        let pos = self.i;
        let Some(first) = self.peek() else {
            return Err(unclosed(self));
        };
        let two = self.s.get(pos..pos + 2).unwrap_or("");
        let (symbol, aromatic) = if first.is_ascii_lowercase() {
            let sym = if AROMATIC.contains(&two) {
                two
            } else {
                &self.s[pos..pos + 1]
            };
            if !AROMATIC.contains(&sym) {
                return Err(self.err(pos, "expected an element symbol in the bracket atom"));
            }
            if !self.allow_aromatic {
                return Err(self.aromatic_error(pos, sym));
            }
            (aromatic_element(sym), true)
        } else if first.is_ascii_uppercase() {
            let symbol = match ELEMENTS.iter().find(|&&e| e == two) {
                Some(&e) => e,
                None => match ELEMENTS.iter().find(|&&e| e == &self.s[pos..pos + 1]) {
                    Some(&e) => e,
                    None => return Err(self.err(pos, "unknown element")),
                },
            };
            (symbol, false)
        } else {
            return Err(self.err(pos, "expected an element symbol in the bracket atom"));
        };
        self.i += symbol.len(); // "se" and "Se" have the same length
        if self.peek() == Some(b'@') {
            self.i += 1;
            if self.peek() == Some(b'@') {
                self.i += 1;
            }
        }
        let mut hydrogens = Some(0);
        if self.peek() == Some(b'H') {
            self.i += 1;
            hydrogens = Some(self.digits().unwrap_or(1).min(255) as u8);
        }
        let charge = self.charge()?;
        if self.peek() == Some(b':') {
            self.i += 1;
            if self.digits().is_none() {
                return Err(self.err(self.i, "atom class ':' must be followed by digits"));
            }
        }
        match self.peek() {
            Some(b']') => self.i += 1,
            None => return Err(unclosed(self)),
            Some(_) => {
                return Err(self.err(
                    self.i,
                    format!("unexpected character in the bracket atom starting at position {open}"),
                ));
            }
        }
        Ok(ParsedAtom {
            symbol,
            charge,
            hydrogens,
            aromatic,
            pos,
        })
    }

    fn charge(&mut self) -> Result<i8, SmilesError> {
        let Some(sign @ (b'+' | b'-')) = self.peek() else {
            return Ok(0);
        };
        let pos = self.i;
        self.i += 1;
        let unit: i32 = if sign == b'+' { 1 } else { -1 };
        let magnitude = if let Some(m) = self.digits() {
            m as i32
        } else {
            let mut m = 1;
            while self.peek() == Some(sign) {
                m += 1;
                self.i += 1;
            }
            m
        };
        if matches!(self.peek(), Some(b'+' | b'-')) {
            return Err(self.err(
                self.i,
                "bad charge: write it as '+', '-', '++', '+2' or '-2'",
            ));
        }
        if magnitude > 15 {
            return Err(self.err(pos, format!("bad charge: |{magnitude}| is above 15")));
        }
        Ok((unit * magnitude) as i8)
    }
}
