//! Multi-frame XYZ geometries (plain or gzip): per frame a count line, a comment line
//! `index=N smiles="…"`, then `El x y z` per atom (Å, hydrogens included).

use super::files::open_text;
use super::graph::Element;
use crate::error::{Context, Result, bail, err};
use std::io::BufRead;
use std::path::Path;

/// One frame: the molecule's index and SMILES from the comment line, and its atoms.
#[derive(Clone, Debug, PartialEq)]
pub struct XyzFrame {
    pub index: usize,
    /// From `smiles="…"` on the comment line, when present.
    pub smiles: Option<String>,
    pub atoms: Vec<(Element, [f64; 3])>,
}

impl XyzFrame {
    /// The heavy (non-hydrogen) atoms.
    pub fn heavy_atoms(&self) -> impl Iterator<Item = &(Element, [f64; 3])> {
        self.atoms.iter().filter(|(e, _)| *e != Element::H)
    }
}

/// Streams frames from XYZ text; errors name the source, the frame (from 1) and the line.
pub struct XyzReader<R> {
    lines: std::io::Lines<R>,
    name: String,
    line: usize,
    frame: usize,
    done: bool,
}

/// Opens an XYZ file (gzip detected by content) as a stream of frames.
pub fn open_xyz(path: &Path) -> Result<XyzReader<Box<dyn BufRead>>> {
    Ok(XyzReader::new(
        open_text(path)?,
        &path.display().to_string(),
    ))
}

/// Reads every frame of an XYZ file.
pub fn read_xyz(path: &Path) -> Result<Vec<XyzFrame>> {
    open_xyz(path)?.collect()
}

impl<R: BufRead> XyzReader<R> {
    /// Frames from `reader`; `name` labels errors.
    pub fn new(reader: R, name: &str) -> Self {
        Self {
            lines: reader.lines(),
            name: name.to_string(),
            line: 0,
            frame: 0,
            done: false,
        }
    }

    fn next_line(&mut self) -> Result<Option<String>> {
        match self.lines.next() {
            None => Ok(None),
            Some(l) => {
                self.line += 1;
                l.map(Some)
                    .with_context(|| format!("{}: line {}", self.name, self.line))
            }
        }
    }

    fn frame(&mut self) -> Result<Option<XyzFrame>> {
        let count_line = loop {
            match self.next_line()? {
                None => return Ok(None),
                Some(l) if l.trim().is_empty() => continue,
                Some(l) => break l,
            }
        };
        self.frame += 1;
        let (frame, start) = (self.frame, self.line);
        let name = self.name.clone();
        let here = |line: usize| format!("{name}: frame {frame}, line {line}");
        let count: usize = count_line
            .trim()
            .parse()
            .map_err(|_| err!("{}: bad atom count {:?}", here(start), count_line.trim()))?;
        let short = |got: usize| {
            err!(
                "{}: short frame: expected {count} atoms after the comment line, the file ends after {got}",
                here(start)
            )
        };
        let comment = self.next_line()?.ok_or_else(|| short(0))?;
        let (index, smiles) =
            parse_comment(&comment).map_err(|e| err!("{}: {e}", here(self.line)))?;
        // The count is the file's claim: reserve for it only up to a size any real frame fits
        // (a corrupt count would otherwise ask for terabytes before the short frame is seen).
        let mut atoms = Vec::with_capacity(count.min(1024));
        for k in 0..count {
            let line = self.next_line()?.ok_or_else(|| short(k))?;
            let atom = parse_atom(&line).map_err(|e| err!("{}: {e}", here(self.line)))?;
            atoms.push(atom);
        }
        Ok(Some(XyzFrame {
            index,
            smiles,
            atoms,
        }))
    }
}

impl<R: BufRead> Iterator for XyzReader<R> {
    type Item = Result<XyzFrame>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.frame().transpose();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }
}

fn parse_comment(line: &str) -> Result<(usize, Option<String>)> {
    let Some(at) = line.find("index=") else {
        bail!("comment line has no 'index=': {line:?}");
    };
    let rest = &line[at + 6..];
    let digits = &rest[..rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len())];
    let index = digits
        .parse()
        .map_err(|_| err!("'index=' is not followed by a number: {line:?}"))?;
    let smiles = match line.find("smiles=\"") {
        None => None,
        Some(s) => {
            let rest = &line[s + 8..];
            let end = rest
                .find('"')
                .ok_or_else(|| err!("unterminated smiles=\"…\": {line:?}"))?;
            Some(rest[..end].to_string())
        }
    };
    Ok((index, smiles))
}

fn parse_atom(line: &str) -> Result<(Element, [f64; 3])> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 4 {
        bail!("expected 'element x y z', found {line:?}");
    }
    let element = Element::from_symbol(f[0])
        .ok_or_else(|| err!("bad element {:?} (expected H, C, N, O or F)", f[0]))?;
    let mut xyz = [0.0; 3];
    for (k, v) in xyz.iter_mut().enumerate() {
        // The original QM9 files write exponents Mathematica-style: `1.5*^-6`.
        let text = f[k + 1].replace("*^", "e");
        *v = text
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| err!("bad coordinate {:?}", f[k + 1]))?;
    }
    Ok((element, xyz))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<XyzFrame>> {
        XyzReader::new(text.as_bytes(), "t.xyz").collect()
    }

    #[test]
    fn reads_frames_with_index_smiles_and_coordinates() {
        let f =
            read("2\nindex=7 smiles=\"C#N\"\nC 0 0 0\nN 1.15 0 -1.5*^-3\n\n1\nindex=8\nO 0 0 0\n")
                .unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!((f[0].index, f[0].smiles.as_deref()), (7, Some("C#N")));
        assert_eq!(f[0].atoms[1], (Element::N, [1.15, 0.0, -1.5e-3]));
        assert_eq!((f[1].index, f[1].smiles.as_deref()), (8, None));
    }

    #[test]
    fn malformed_frames_name_the_frame_and_line() {
        let cases = [
            ("x\nindex=1\n", "frame 1, line 1", "bad atom count"),
            (
                "1\nindex=1\nC 0 0 0\n2\nindex=2\nC 0 0 0\n",
                "frame 2, line 4",
                "short frame",
            ),
            ("1\nindex=1\nXx 0 0 0\n", "frame 1, line 3", "bad element"),
            (
                "1\nindex=1\nC 0 zero 0\n",
                "frame 1, line 3",
                "bad coordinate",
            ),
            ("1\nindex=1\nC 0 0\n", "frame 1, line 3", "element x y z"),
            ("1\nid=1\nC 0 0 0\n", "frame 1, line 2", "no 'index='"),
            (
                "1\nindex=x\nC 0 0 0\n",
                "frame 1, line 2",
                "not followed by a number",
            ),
        ];
        for (text, at, what) in cases {
            let e = format!("{:#}", read(text).unwrap_err());
            assert!(
                e.contains("t.xyz") && e.contains(at) && e.contains(what),
                "{text:?}: {e}"
            );
        }
    }
}
