//! From S-expressions to declarations and boolean formulas over linear constraints.

use super::VnnLibErrorKind;
use super::sexpr::{Located, Pos, SExpr};
use std::collections::{BTreeMap, HashMap};

/// A declared variable: input `X_i` or output `Y_j`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Var {
    Input(usize),
    Output(usize),
}

/// `Σ coeff·var + constant`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct LinExpr {
    pub coeffs: BTreeMap<Var, f64>,
    pub constant: f64,
}

impl LinExpr {
    fn constant(c: f64) -> Self {
        LinExpr {
            coeffs: BTreeMap::new(),
            constant: c,
        }
    }

    fn scale(mut self, k: f64) -> Self {
        self.coeffs.values_mut().for_each(|c| *c *= k);
        self.constant *= k;
        self
    }

    fn add(mut self, other: LinExpr) -> Self {
        for (v, c) in other.coeffs {
            *self.coeffs.entry(v).or_insert(0.0) += c;
        }
        self.constant += other.constant;
        self
    }

    fn is_constant(&self) -> bool {
        self.coeffs.values().all(|&c| c == 0.0)
    }

    fn all_finite(&self) -> bool {
        self.constant.is_finite() && self.coeffs.values().all(|c| c.is_finite())
    }
}

/// `expr ≤ 0`, with the position of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Constraint {
    pub expr: LinExpr,
    pub pos: Pos,
}

/// A boolean combination of constraints.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Formula {
    Atom(Constraint),
    And(Vec<Formula>, Pos),
    Or(Vec<Formula>, Pos),
}

/// Declarations seen so far, and their positions.
#[derive(Debug, Default)]
pub(crate) struct Declarations {
    pub names: HashMap<String, (Var, Pos)>,
}

fn err<T>(pos: Pos, kind: VnnLibErrorKind) -> Result<T, Located> {
    Err((pos, kind))
}

/// Parses a decimal constant (finite; `inf`/`nan` are rejected).
fn number(s: &str, pos: Pos) -> Result<f64, Located> {
    let numeric_start = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == '.');
    let bad = || (pos, VnnLibErrorKind::NonNumericConstant(s.to_string()));
    if !numeric_start
        || s.chars()
            .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
    {
        return Err(bad());
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(bad()),
    }
}

/// Whether a token looks like a symbol (rather than a malformed number).
fn is_symbol(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

impl Declarations {
    /// Handles `(declare-const NAME Real)`.
    pub fn declare(&mut self, items: &[SExpr], pos: Pos) -> Result<(), Located> {
        let (name, sort) = match items {
            [_, n, s] => match (n.atom(), s.atom()) {
                (Some(n), Some(s)) => (n, s),
                _ => {
                    return err(
                        pos,
                        VnnLibErrorKind::Syntax("expected (declare-const NAME Real)".into()),
                    );
                }
            },
            _ => {
                return err(
                    pos,
                    VnnLibErrorKind::Syntax("expected (declare-const NAME Real)".into()),
                );
            }
        };
        if sort != "Real" {
            return err(
                pos,
                VnnLibErrorKind::InvalidDeclaration(format!(
                    "`{name}` has sort `{sort}`, expected `Real`"
                )),
            );
        }
        let index = |rest: &str| -> Option<usize> {
            if rest.is_empty()
                || !rest.chars().all(|c| c.is_ascii_digit())
                || (rest.len() > 1 && rest.starts_with('0'))
            {
                return None;
            }
            rest.parse().ok().filter(|&i: &usize| i < 1 << 24)
        };
        let var = if let Some(i) = name.strip_prefix("X_").and_then(index) {
            Var::Input(i)
        } else if let Some(j) = name.strip_prefix("Y_").and_then(index) {
            Var::Output(j)
        } else {
            return err(
                pos,
                VnnLibErrorKind::InvalidDeclaration(format!(
                    "`{name}` is not of the form X_<i> or Y_<j>"
                )),
            );
        };
        if self.names.insert(name.to_string(), (var, pos)).is_some() {
            return err(pos, VnnLibErrorKind::DuplicateDeclaration(name.to_string()));
        }
        Ok(())
    }

    /// Parses a linear term.
    fn term(&self, e: &SExpr) -> Result<LinExpr, Located> {
        if let Some(s) = e.atom() {
            if let Some((var, _)) = self.names.get(s) {
                let mut l = LinExpr::default();
                l.coeffs.insert(*var, 1.0);
                return Ok(l);
            }
            if is_symbol(s) {
                return err(e.pos, VnnLibErrorKind::UndeclaredVariable(s.to_string()));
            }
            return number(s, e.pos).map(LinExpr::constant);
        }
        let items = e.list().unwrap_or(&[]);
        let (head, args) = match items.split_first() {
            Some((h, a)) if h.atom().is_some() && !a.is_empty() => (h.atom().unwrap_or(""), a),
            _ => {
                return err(
                    e.pos,
                    VnnLibErrorKind::Syntax("expected an arithmetic term".into()),
                );
            }
        };
        let terms = args
            .iter()
            .map(|a| self.term(a))
            .collect::<Result<Vec<_>, _>>()?;
        let mut terms = terms.into_iter();
        let first = terms.next().unwrap_or_default();
        let out = match head {
            "+" => terms.fold(first, LinExpr::add),
            "-" if args.len() == 1 => first.scale(-1.0),
            "-" => terms.fold(first, |a, b| a.add(b.scale(-1.0))),
            "*" => {
                let mut acc = first;
                for t in terms {
                    acc = match (acc.is_constant(), t.is_constant()) {
                        (true, _) => t.scale(acc.constant),
                        (_, true) => acc.scale(t.constant),
                        _ => {
                            return err(
                                e.pos,
                                VnnLibErrorKind::NonLinear("product of variables".into()),
                            );
                        }
                    };
                }
                acc
            }
            "/" => {
                let mut acc = first;
                for t in terms {
                    if !t.is_constant() || t.constant == 0.0 {
                        return err(
                            e.pos,
                            VnnLibErrorKind::NonLinear("division by a variable or by zero".into()),
                        );
                    }
                    acc = acc.scale(1.0 / t.constant);
                }
                acc
            }
            other => {
                return err(
                    e.pos,
                    VnnLibErrorKind::Syntax(format!("unknown arithmetic operator `{other}`")),
                );
            }
        };
        if out.all_finite() {
            Ok(out)
        } else {
            err(
                e.pos,
                VnnLibErrorKind::NonNumericConstant("a term that overflows".into()),
            )
        }
    }

    /// Parses a boolean formula.
    pub fn formula(&self, e: &SExpr) -> Result<Formula, Located> {
        let items = match e.list() {
            Some(items) => items,
            None => {
                return err(
                    e.pos,
                    VnnLibErrorKind::Syntax("expected a formula in parentheses".into()),
                );
            }
        };
        let head = items.first().and_then(SExpr::atom).unwrap_or("");
        let args = items.get(1..).unwrap_or(&[]);
        match head {
            "and" | "or" => {
                let parts = args
                    .iter()
                    .map(|a| self.formula(a))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(if head == "and" {
                    Formula::And(parts, e.pos)
                } else {
                    Formula::Or(parts, e.pos)
                })
            }
            "<=" | ">=" | "<" | ">" | "=" => {
                if args.len() < 2 {
                    return err(
                        e.pos,
                        VnnLibErrorKind::Syntax(format!("`{head}` needs two operands")),
                    );
                }
                let terms = args
                    .iter()
                    .map(|a| self.term(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut atoms = Vec::new();
                for pair in terms.windows(2) {
                    let (a, b) = (pair[0].clone(), pair[1].clone());
                    // a <= b  ⇔  a − b ≤ 0. Strict comparisons are read as their closure.
                    let le = a.clone().add(b.clone().scale(-1.0));
                    let ge = b.add(a.scale(-1.0));
                    let mut push =
                        |expr: LinExpr| atoms.push(Formula::Atom(Constraint { expr, pos: e.pos }));
                    match head {
                        "<=" | "<" => push(le),
                        ">=" | ">" => push(ge),
                        _ => {
                            push(le);
                            push(ge);
                        }
                    }
                }
                Ok(if atoms.len() == 1 {
                    atoms.remove(0)
                } else {
                    Formula::And(atoms, e.pos)
                })
            }
            _ => err(
                e.pos,
                VnnLibErrorKind::UnsupportedConstraint(format!(
                    "unsupported connective or relation `{head}`"
                )),
            ),
        }
    }
}
