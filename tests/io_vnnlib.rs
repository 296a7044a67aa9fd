//! VNN-LIB semantics (boxes, disjuncts, rows, labels) and malformed input with line/column errors.

use proven::Error;
use proven::io::vnnlib::{self, MAX_DEPTH, VnnLibErrorKind};

const DECL: &str = "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n(declare-const Y_2 Real)\n";

fn err(text: &str) -> (usize, usize, VnnLibErrorKind) {
    match vnnlib::parse_str(text) {
        Err(Error::VnnLib {
            path,
            line,
            column,
            kind,
        }) => {
            assert_eq!(path, "<memory>");
            (line, column, kind)
        }
        other => panic!("expected a VNN-LIB error, got {other:?}"),
    }
}

fn boxed(extra: &str) -> String {
    format!(
        "{DECL}(assert (>= X_0 -1))\n(assert (<= X_0 1))\n(assert (and (>= X_1 0) (<= X_1 0.5)))\n{extra}"
    )
}

#[test]
fn input_box_and_output_rows() {
    let p = vnnlib::parse_str(&boxed("(assert (<= Y_0 Y_1))\n(assert (>= Y_2 0.5))")).unwrap();
    assert_eq!((p.num_inputs, p.num_outputs), (2, 3));
    let b = p.single_box().unwrap();
    assert_eq!(b.lower().as_slice(), &[-1.0, 0.0]);
    assert_eq!(b.upper().as_slice(), &[1.0, 0.5]);
    let d = &p.cases[0].disjuncts;
    assert_eq!(d.len(), 1);
    // Y_0 − Y_1 ≤ 0 and −Y_2 ≤ −0.5.
    assert_eq!(
        d[0].matrix.row(0).iter().copied().collect::<Vec<_>>(),
        vec![1.0, -1.0, 0.0]
    );
    assert_eq!(
        d[0].matrix.row(1).iter().copied().collect::<Vec<_>>(),
        vec![0.0, 0.0, -1.0]
    );
    assert_eq!(d[0].rhs.as_slice(), &[0.0, -0.5]);
    let unsafe_y = nalgebra::DVector::from_vec(vec![0.0, 1.0, 0.7]);
    assert!(d[0].is_satisfied_by(&unsafe_y, 0.0));
    assert!(!d[0].is_satisfied_by(&nalgebra::DVector::from_vec(vec![2.0, 1.0, 0.7]), 0.0));
    assert_eq!(p.label(), None);
}

#[test]
fn arithmetic_terms_are_normalised() {
    let p = vnnlib::parse_str(&boxed(
        "(assert (<= (+ (* 2 Y_0) (- Y_1 3) (/ Y_2 4)) (- 1.5)))\n(assert (> (* Y_0 -1) (+ 1 1)))",
    ))
    .unwrap();
    let d = &p.cases[0].disjuncts[0];
    // 2Y0 + Y1 − 3 + Y2/4 ≤ −1.5  →  [2, 1, 0.25] ≤ 1.5;  −Y0 > 2  →  Y0 ≤ −2.
    assert_eq!(
        d.matrix.row(0).iter().copied().collect::<Vec<_>>(),
        vec![2.0, 1.0, 0.25]
    );
    assert_eq!(d.rhs[0], 1.5);
    assert_eq!(
        d.matrix.row(1).iter().copied().collect::<Vec<_>>(),
        vec![1.0, 0.0, 0.0]
    );
    assert_eq!(d.rhs[1], -2.0);
}

#[test]
fn or_of_and_gives_disjuncts_and_per_disjunct_boxes() {
    let text = format!(
        "{DECL}(assert (or (and (>= X_0 0) (<= X_0 1) (>= X_1 0) (<= X_1 1) (<= Y_0 Y_1))\n\
         (and (>= X_0 -1) (<= X_0 0) (>= X_1 0) (<= X_1 1) (<= Y_0 Y_2))\n\
         (and (>= X_0 0) (<= X_0 1) (>= X_1 0) (<= X_1 1) (<= Y_0 Y_2) (>= Y_1 3))))"
    );
    let p = vnnlib::parse_str(&text).unwrap();
    assert_eq!(p.cases.len(), 2, "disjuncts grouped by box");
    assert_eq!(p.cases[0].disjuncts.len(), 2);
    assert_eq!(p.cases[0].disjuncts[1].matrix.nrows(), 2);
    assert_eq!(p.cases[1].input.lower()[0], -1.0);
    // Label: index 0 is shared by every comparison... except the `Y_1 ≥ 3` row, so none.
    assert_eq!(p.label(), None);
    // Classification-style property: shared index 0.
    let p = vnnlib::parse_str(&boxed(
        "(assert (or (and (>= Y_1 Y_0)) (and (>= Y_2 Y_0))))",
    ))
    .unwrap();
    assert_eq!(p.label(), Some(0));
    assert_eq!(p.cases[0].disjuncts.len(), 2);
}

#[test]
fn conjunction_of_disjunctions_expands() {
    let p = vnnlib::parse_str(&boxed(
        "(assert (or (<= Y_0 0) (<= Y_1 0)))\n(assert (or (<= Y_2 0) (>= Y_2 5) (= Y_0 Y_1)))",
    ))
    .unwrap();
    assert_eq!(p.cases[0].disjuncts.len(), 6);
    assert_eq!(
        p.cases[0].disjuncts[2].matrix.nrows(),
        3,
        "= gives two rows"
    );
}

#[test]
fn empty_boxes_are_dropped() {
    let p = vnnlib::parse_str(&format!(
        "{DECL}(assert (>= X_1 0))(assert (<= X_1 1))(assert (or (and (>= X_0 1) (<= X_0 0)) (and (>= X_0 0) (<= X_0 1))))"
    ))
    .unwrap();
    assert_eq!(p.cases.len(), 1);
    assert_eq!(p.cases[0].input.upper()[0], 1.0);
}

#[test]
fn unbalanced_parentheses() {
    let (line, column, kind) = err(&boxed("(assert (<= Y_0 Y_1)))"));
    assert_eq!(kind, VnnLibErrorKind::UnexpectedClose);
    assert_eq!((line, column), (9, 22));
    let (line, column, kind) = err(&boxed("(assert (<= Y_0 Y_1)"));
    assert_eq!(kind, VnnLibErrorKind::Unclosed);
    assert_eq!((line, column), (9, 1));
}

#[test]
fn undeclared_variables() {
    let (line, column, kind) = err(&boxed("(assert (<= Y_0 Y_7))"));
    assert_eq!(kind, VnnLibErrorKind::UndeclaredVariable("Y_7".into()));
    assert_eq!((line, column), (9, 17));
    let (_, _, kind) = err("(assert (<= X_0 1))\n(declare-const X_0 Real)");
    assert_eq!(kind, VnnLibErrorKind::UndeclaredVariable("X_0".into()));
}

#[test]
fn variable_without_both_bounds() {
    let text = format!("{DECL}(assert (>= X_0 -1))(assert (<= X_0 1))(assert (>= X_1 0))");
    let (line, column, kind) = err(&text);
    assert_eq!(
        kind,
        VnnLibErrorKind::MissingBound {
            variable: "X_1".into(),
            which: "upper"
        }
    );
    assert_eq!((line, column), (2, 1), "reported at the declaration");
    // A bound that holds in one disjunct only.
    let text = format!(
        "{DECL}(assert (>= X_0 -1))(assert (<= X_0 1))(assert (or (and (>= X_1 0) (<= X_1 1)) (and (>= X_1 2))))"
    );
    assert!(matches!(err(&text).2, VnnLibErrorKind::MissingBound { .. }));
}

#[test]
fn non_numeric_constants() {
    for bad in ["abc1", "1.2.3", "1e999", "nan", "inf", "0x10", "--1"] {
        let (line, column, kind) = err(&boxed(&format!("(assert (<= Y_0 {bad}))")));
        assert_eq!((line, column), (9, 17), "{bad}");
        assert!(
            matches!(
                kind,
                VnnLibErrorKind::NonNumericConstant(_) | VnnLibErrorKind::UndeclaredVariable(_)
            ),
            "{bad}: {kind:?}"
        );
    }
    assert_eq!(
        err(&boxed("(assert (<= Y_0 1.2.3))")).2,
        VnnLibErrorKind::NonNumericConstant("1.2.3".into())
    );
}

#[test]
fn other_errors() {
    assert!(matches!(
        err("(declare-const X_0 Int)").2,
        VnnLibErrorKind::InvalidDeclaration(_)
    ));
    assert!(matches!(
        err("(declare-const Z Real)").2,
        VnnLibErrorKind::InvalidDeclaration(_)
    ));
    assert!(matches!(
        err("(declare-const X_1 Real)").2,
        VnnLibErrorKind::InvalidDeclaration(_)
    ));
    assert!(matches!(
        err("(declare-const X_0 Real)(declare-const X_0 Real)").2,
        VnnLibErrorKind::DuplicateDeclaration(_)
    ));
    assert!(matches!(
        err("(push 1)").2,
        VnnLibErrorKind::UnknownCommand(_)
    ));
    assert!(matches!(
        err(&boxed("(assert (<= (* Y_0 Y_1) 0))")).2,
        VnnLibErrorKind::NonLinear(_)
    ));
    assert!(matches!(
        err(&boxed("(assert (<= (/ Y_0 0) 0))")).2,
        VnnLibErrorKind::NonLinear(_)
    ));
    assert!(matches!(
        err(&boxed("(assert (<= X_0 Y_1))")).2,
        VnnLibErrorKind::UnsupportedConstraint(_)
    ));
    assert!(matches!(
        err(&boxed("(assert (not (<= Y_0 Y_1)))")).2,
        VnnLibErrorKind::UnsupportedConstraint(_)
    ));
    assert!(matches!(err("").2, VnnLibErrorKind::InvalidDeclaration(_)));
}

#[test]
fn nesting_depth_is_limited_without_recursion() {
    let deep = format!("{}{}", "(".repeat(1_000_000), ")".repeat(1_000_000));
    assert_eq!(err(&deep).2, VnnLibErrorKind::TooDeep { limit: MAX_DEPTH });
    // Nested `and` just under the limit is accepted.
    let n = MAX_DEPTH - 2;
    let text = boxed(&format!(
        "(assert {}(<= Y_0 1){})",
        "(and ".repeat(n),
        ")".repeat(n)
    ));
    assert!(vnnlib::parse_str(&text).is_ok());
}

#[test]
fn disjunct_explosion_is_capped() {
    let or = "(assert (or (<= Y_0 0) (<= Y_1 0) (<= Y_2 0) (>= Y_0 1)))\n".repeat(12);
    assert!(matches!(
        err(&boxed(&or)).2,
        VnnLibErrorKind::TooManyDisjuncts { .. }
    ));
}

#[test]
fn spec_matrix_domain_and_refutation() {
    let p = vnnlib::parse_str(&boxed("(assert (<= Y_0 Y_1))\n(assert (>= Y_2 0.5))")).unwrap();
    let case = &p.cases[0];
    let d = &case.disjuncts[0];
    let c32 = d.spec_matrix::<f32>();
    assert_eq!(
        c32.row(0).iter().copied().collect::<Vec<f32>>(),
        vec![1.0, -1.0, 0.0]
    );
    assert_eq!(case.input_domain::<f64>().unwrap().dim(), 2);
    // Row 1 (−Y_2 ≤ −0.5) is refuted when its lower bound exceeds −0.5.
    assert!(d.is_refuted_by(&nalgebra::DVector::from_vec(vec![-1.0, -0.4])));
    assert!(!d.is_refuted_by(&nalgebra::DVector::from_vec(vec![0.0, -0.5])));
}
