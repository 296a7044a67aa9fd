//! Normalising the asserted formulas: disjunctive normal form, input boxes and output rows.

use super::VnnLibErrorKind;
use super::formula::{Constraint, Formula, Var};
use super::property::{OutputConstraint, PropertyCase};
use super::sexpr::{Located, Pos};
use crate::Interval;
use nalgebra::{DMatrix, DVector};
use std::collections::HashMap;

/// The largest number of disjuncts the normal form may have.
pub const MAX_DISJUNCTS: usize = 100_000;
/// The largest total number of constraints over all disjuncts of the normal form.
const MAX_ATOMS: usize = 2_000_000;
/// The largest number of stored numbers (box bounds and output-matrix entries) in the result.
pub const MAX_CELLS: usize = 1 << 24;

/// A conjunction of constraints.
type Conj<'a> = Vec<&'a Constraint>;

/// The DNF of a formula: a list of conjunctions.
fn dnf(f: &Formula) -> Result<Vec<Conj<'_>>, Located> {
    match f {
        Formula::Atom(c) => Ok(vec![vec![c]]),
        Formula::Or(parts, pos) => {
            let mut out = Vec::new();
            for p in parts {
                out.extend(dnf(p)?);
                check_size(&out, *pos)?;
            }
            Ok(out)
        }
        Formula::And(parts, pos) => {
            let mut acc: Vec<Conj> = vec![Vec::new()];
            for p in parts {
                acc = product(acc, dnf(p)?, *pos)?;
            }
            Ok(acc)
        }
    }
}

fn check_size(d: &[Conj], pos: Pos) -> Result<(), Located> {
    let atoms: usize = d.iter().map(Vec::len).sum();
    if d.len() > MAX_DISJUNCTS || atoms > MAX_ATOMS {
        Err((
            pos,
            VnnLibErrorKind::TooManyDisjuncts {
                limit: MAX_DISJUNCTS,
            },
        ))
    } else {
        Ok(())
    }
}

/// All pairwise unions of `a` and `b`.
fn product<'a>(a: Vec<Conj<'a>>, b: Vec<Conj<'a>>, pos: Pos) -> Result<Vec<Conj<'a>>, Located> {
    let n = a.len().saturating_mul(b.len());
    let atoms = a
        .iter()
        .map(Vec::len)
        .sum::<usize>()
        .saturating_mul(b.len())
        .saturating_add(
            b.iter()
                .map(Vec::len)
                .sum::<usize>()
                .saturating_mul(a.len()),
        );
    if n > MAX_DISJUNCTS || atoms > MAX_ATOMS {
        return Err((
            pos,
            VnnLibErrorKind::TooManyDisjuncts {
                limit: MAX_DISJUNCTS,
            },
        ));
    }
    let mut out = Vec::with_capacity(n);
    for x in &a {
        for y in &b {
            let mut c = x.clone();
            c.extend_from_slice(y);
            out.push(c);
        }
    }
    Ok(out)
}

/// Input bounds and output rows gathered from a conjunction.
#[derive(Clone)]
struct Partial {
    lower: Vec<f64>,
    upper: Vec<f64>,
    rows: Vec<(Vec<f64>, f64)>,
    /// A constant constraint was false: the conjunction is empty.
    infeasible: bool,
}

impl Partial {
    fn add(&mut self, c: &Constraint, n_out: usize) -> Result<(), Located> {
        let terms: Vec<(Var, f64)> = c
            .expr
            .coeffs
            .iter()
            .filter(|(_, v)| **v != 0.0)
            .map(|(k, v)| (*k, *v))
            .collect();
        let k = c.expr.constant;
        let inputs = terms
            .iter()
            .filter(|(v, _)| matches!(v, Var::Input(_)))
            .count();
        match terms.as_slice() {
            [] => self.infeasible |= k > 0.0,
            [(Var::Input(i), a)] => {
                let bound = -k / a;
                let slot = if *a > 0.0 {
                    self.upper.get_mut(*i)
                } else {
                    self.lower.get_mut(*i)
                };
                if let Some(s) = slot {
                    *s = if *a > 0.0 { s.min(bound) } else { s.max(bound) };
                }
            }
            _ if inputs == 0 => {
                let mut row = vec![0.0; n_out];
                for (v, a) in &terms {
                    if let Some(slot) = row.get_mut(var_index(*v)) {
                        *slot = *a;
                    }
                }
                self.rows.push((row, -k));
            }
            _ => {
                return Err((
                    c.pos,
                    VnnLibErrorKind::UnsupportedConstraint(
                        "only bounds on single inputs and linear conditions on outputs are supported".into(),
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn var_index(v: Var) -> usize {
    match v {
        Var::Input(i) | Var::Output(i) => i,
    }
}

/// Builds the cases: one per distinct input box, with its output disjuncts.
///
/// `global` holds the constraints asserted outside any disjunction; `rest` the other assertions.
/// `input_decl[i]` is where `X_i` was declared (for missing-bound errors).
pub(crate) fn build_cases(
    global: &[&Constraint],
    rest: &[Formula],
    input_decl: &[Pos],
    n_out: usize,
) -> Result<Vec<PropertyCase>, Located> {
    let n_in = input_decl.len();
    let mut base = Partial {
        lower: vec![f64::NEG_INFINITY; n_in],
        upper: vec![f64::INFINITY; n_in],
        rows: Vec::new(),
        infeasible: false,
    };
    for c in global {
        base.add(c, n_out)?;
    }
    let mut disjuncts: Vec<Conj> = vec![Vec::new()];
    for f in rest {
        let pos = match f {
            Formula::Atom(c) => c.pos,
            Formula::And(_, p) | Formula::Or(_, p) => *p,
        };
        disjuncts = product(disjuncts, dnf(f)?, pos)?;
    }
    let mut cases: Vec<PropertyCase> = Vec::new();
    let mut by_box: HashMap<Vec<u64>, usize> = HashMap::new();
    let mut cells = 0usize;
    for conj in disjuncts {
        let mut p = base.clone();
        for c in conj {
            p.add(c, n_out)?;
        }
        for (i, pos) in input_decl.iter().enumerate() {
            let missing = |which| {
                (
                    *pos,
                    VnnLibErrorKind::MissingBound {
                        variable: format!("X_{i}"),
                        which,
                    },
                )
            };
            if !p.lower.get(i).is_some_and(|v| v.is_finite()) {
                return Err(missing("lower"));
            }
            if !p.upper.get(i).is_some_and(|v| v.is_finite()) {
                return Err(missing("upper"));
            }
        }
        if p.infeasible || p.lower.iter().zip(&p.upper).any(|(l, u)| l > u) {
            continue;
        }
        cells = cells
            .saturating_add(p.rows.len().saturating_mul(n_out))
            .saturating_add(2 * n_in);
        if cells > MAX_CELLS {
            return Err((
                Pos { line: 1, column: 1 },
                VnnLibErrorKind::TooLarge { limit: MAX_CELLS },
            ));
        }
        let key: Vec<u64> = p
            .lower
            .iter()
            .chain(&p.upper)
            .map(|v| v.to_bits())
            .collect();
        let rows = p.rows.len();
        let matrix = DMatrix::from_row_iterator(
            rows,
            n_out,
            p.rows.iter().flat_map(|(r, _)| r.iter().copied()),
        );
        let rhs = DVector::from_iterator(rows, p.rows.iter().map(|(_, b)| *b));
        let constraint = OutputConstraint { matrix, rhs };
        match by_box.get(&key) {
            Some(&idx) => {
                if let Some(case) = cases.get_mut(idx) {
                    case.disjuncts.push(constraint);
                }
            }
            None => {
                let input = Interval::new(DVector::from_vec(p.lower), DVector::from_vec(p.upper))
                    .map_err(|e| {
                    (
                        Pos { line: 1, column: 1 },
                        VnnLibErrorKind::UnsupportedConstraint(e.to_string()),
                    )
                })?;
                by_box.insert(key, cases.len());
                cases.push(PropertyCase {
                    input,
                    disjuncts: vec![constraint],
                });
            }
        }
    }
    Ok(cases)
}
