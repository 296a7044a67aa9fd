//! VNN-LIB property reader (the SMT-LIB subset used by VNN-COMP).
//!
//! Supported: `(declare-const X_i Real)` / `(declare-const Y_j Real)`, and `(assert F)` where `F`
//! is built from `and`, `or` and the comparisons `<=`, `>=`, `<`, `>`, `=` between linear terms
//! (`+`, `-`, `*` and `/` by constants). Strict comparisons are read as non-strict (the closure of
//! the unsafe set, which is what a sound verifier must refute). `check-sat`, `get-model`, `exit`,
//! `set-logic`, `set-info` and `set-option` are ignored.
//!
//! The conjunction of all assertions is normalised to a disjunction of conjunctions. In each
//! conjunction, constraints on a single input give that disjunct's input box, and constraints on
//! outputs give the rows of `M·y ≤ rhs`. Disjuncts are grouped by input box into
//! [`PropertyCase`]s.
//!
//! # Examples
//! ```
//! let text = "(declare-const X_0 Real)(declare-const Y_0 Real)(declare-const Y_1 Real)
//!             (assert (>= X_0 -1)) (assert (<= X_0 1))
//!             (assert (or (and (>= Y_0 Y_1))))";
//! let p = proven::io::vnnlib::parse_str(text)?;
//! assert_eq!(p.num_inputs, 1);
//! assert_eq!(p.cases[0].disjuncts[0].matrix.row(0)[1], 1.0); // Y_1 − Y_0 ≤ 0
//! assert_eq!(p.label(), None); // a single comparison does not identify a label
//! # Ok::<(), proven::Error>(())
//! ```

mod build;
mod error;
mod formula;
mod property;
mod sexpr;

pub use build::{MAX_CELLS, MAX_DISJUNCTS};
pub use error::VnnLibErrorKind;
pub use property::{OutputConstraint, PropertyCase, VnnLibProperty};
pub use sexpr::MAX_DEPTH;

use crate::{Error, Result};
use formula::{Constraint, Declarations, Formula, Var};
use sexpr::{Located, Pos};
use std::path::Path;

/// Parses a VNN-LIB property from a string.
///
/// # Errors
/// [`Error::VnnLib`] with the line, column and [`VnnLibErrorKind`]; the path is `"<memory>"`.
pub fn parse_str(text: &str) -> Result<VnnLibProperty> {
    parse_named(text, "<memory>")
}

/// Reads and parses a `.vnnlib` file.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read (or is not UTF-8), [`Error::VnnLib`] if it is invalid.
pub fn read_vnnlib(path: impl AsRef<Path>) -> Result<VnnLibProperty> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_named(&text, &path.display().to_string())
}

fn parse_named(text: &str, path: &str) -> Result<VnnLibProperty> {
    parse_located(text).map_err(|(pos, kind)| Error::VnnLib {
        path: path.to_string(),
        line: pos.line,
        column: pos.column,
        kind,
    })
}

/// Positions of declarations `0..n`, or an error naming the first missing index.
fn contiguous(decls: &[(usize, Pos)], prefix: &str) -> std::result::Result<Vec<Pos>, Located> {
    let mut sorted = decls.to_vec();
    sorted.sort_by_key(|(i, _)| *i);
    for (k, (i, pos)) in sorted.iter().enumerate() {
        if *i != k {
            return Err((
                *pos,
                VnnLibErrorKind::InvalidDeclaration(format!(
                    "`{prefix}_{i}` is declared but `{prefix}_{k}` is not"
                )),
            ));
        }
    }
    Ok(sorted.into_iter().map(|(_, p)| p).collect())
}

/// Splits top-level conjunctions: plain constraints go to `global`, the rest to `rest`.
fn split<'a>(f: &'a Formula, global: &mut Vec<&'a Constraint>, rest: &mut Vec<&'a Formula>) {
    match f {
        Formula::Atom(c) => global.push(c),
        Formula::And(parts, _) => parts.iter().for_each(|p| split(p, global, rest)),
        Formula::Or(..) => rest.push(f),
    }
}

fn parse_located(text: &str) -> std::result::Result<VnnLibProperty, Located> {
    let commands = sexpr::parse(text)?;
    let mut decls = Declarations::default();
    let mut asserts = Vec::new();
    for cmd in &commands {
        let items = cmd.list().unwrap_or(&[]);
        let head = items.first().and_then(|h| h.atom()).unwrap_or("");
        match head {
            "declare-const" => decls.declare(items, cmd.pos)?,
            "assert" => match items {
                [_, f] => asserts.push(decls.formula(f)?),
                _ => {
                    return Err((
                        cmd.pos,
                        VnnLibErrorKind::Syntax("expected (assert FORMULA)".into()),
                    ));
                }
            },
            "check-sat" | "get-model" | "exit" | "set-logic" | "set-info" | "set-option" => {}
            other => return Err((cmd.pos, VnnLibErrorKind::UnknownCommand(other.to_string()))),
        }
    }
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    for (var, pos) in decls.names.values() {
        match var {
            Var::Input(i) => inputs.push((*i, *pos)),
            Var::Output(j) => outputs.push((*j, *pos)),
        }
    }
    let input_decl = contiguous(&inputs, "X")?;
    let n_out = contiguous(&outputs, "Y")?.len();
    if input_decl.is_empty() {
        return Err((
            Pos { line: 1, column: 1 },
            VnnLibErrorKind::InvalidDeclaration("no input variable X_0 is declared".into()),
        ));
    }
    let mut global = Vec::new();
    let mut rest = Vec::new();
    for f in &asserts {
        split(f, &mut global, &mut rest);
    }
    let rest: Vec<Formula> = rest.into_iter().cloned().collect();
    let cases = build::build_cases(&global, &rest, &input_decl, n_out)?;
    Ok(VnnLibProperty {
        num_inputs: input_decl.len(),
        num_outputs: n_out,
        cases,
    })
}
