//! The many-row tails ([`NoiseModel::tail_upper_rows`], [`NoiseModel::tail_lower_rows`]) and
//! [`certify_rows`] built on them: the same values and the same errors as one row at a time.

use super::*;
use crate::testing::OneRowAtATime;
use crate::{Error, InputDomain, LinearBounds, Norm};
use nalgebra::{DMatrix, DVector};
use rand::{RngExt, SeedableRng};

fn models(d: usize) -> Vec<Box<dyn NoiseModel>> {
    vec![
        Box::new(Uniform::new(d, 0.07).unwrap()),
        Box::new(Bernoulli::symmetric(d, 0.05).unwrap()),
        Box::new(Bernoulli::asymmetric(d, 0.1, 0.2).unwrap()),
    ]
}

fn reference(d: usize) -> Vec<Box<dyn NoiseModel>> {
    vec![
        Box::new(OneRowAtATime(Uniform::new(d, 0.07).unwrap())),
        Box::new(OneRowAtATime(Bernoulli::symmetric(d, 0.05).unwrap())),
        Box::new(OneRowAtATime(Bernoulli::asymmetric(d, 0.1, 0.2).unwrap())),
    ]
}

const METHODS: [TailBound; 5] = [
    TailBound::SubGaussian,
    TailBound::Hoeffding,
    TailBound::Chernoff,
    TailBound::Bernstein,
    TailBound::Convolution { cells: 512 },
];

/// `ln p` of two results agree to 1e-12 (both certified, or both the same estimate kind).
fn same_upper(a: &TailValue, b: &TailValue, what: &str) {
    let (pa, pb) = (a.certified().unwrap(), b.certified().unwrap());
    assert!(
        pa.ln().total_cmp(&pb.ln()).is_eq()
            || (pa.ln() - pb.ln()).abs() <= 1e-12 * (1.0 + pb.ln().abs()),
        "{what}: {} vs {}",
        pa.ln(),
        pb.ln()
    );
}

fn random_rows(rng: &mut rand::rngs::StdRng, rows: usize, d: usize) -> DMatrix<f64> {
    DMatrix::from_fn(rows, d, |_, _| {
        if rng.random::<f64>() < 0.2 {
            0.0
        } else {
            rng.random::<f64>() * 4.0 - 2.0
        }
    })
}

#[test]
fn many_rows_equal_one_row_at_a_time() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(41);
    for &(rows, d) in &[(1, 1), (3, 5), (9, 8), (4, 13), (2, 40)] {
        for (noise, plain) in models(d).iter().zip(reference(d)) {
            for method in METHODS {
                let a = random_rows(&mut rng, rows, d);
                let scale: f64 = a.abs().row_sum().max() * 0.1;
                // s = 0, small, typical and beyond the support (probability 0).
                let s: Vec<f64> = (0..rows)
                    .map(|r| [0.0, 0.05, 1.0, 50.0][r % 4] * scale.max(1e-3))
                    .collect();
                let view = ColumnMajor::from(&a);
                let what = format!("{} {method:?} {rows}x{d}", noise.name());
                let many = noise.tail_upper_rows(view, &s, method).unwrap();
                let one = plain.tail_upper_rows(view, &s, method).unwrap();
                for (x, y) in many.iter().zip(&one) {
                    same_upper(x, y, &what);
                }
                let many = noise.tail_lower_rows(view, &s, method).unwrap();
                let one = plain.tail_lower_rows(view, &s, method).unwrap();
                for (x, y) in many.iter().zip(&one) {
                    assert!(
                        (x.value() - y.value()).abs() <= 1e-12 * y.value().max(1e-300),
                        "{what}: lower {} vs {}",
                        x.value(),
                        y.value()
                    );
                }
            }
        }
    }
}

#[test]
fn many_rows_fail_where_one_row_fails() {
    let d = 6;
    for (noise, plain) in models(d).iter().zip(reference(d)) {
        for method in [TailBound::SubGaussian, TailBound::Hoeffding] {
            let good = DMatrix::from_fn(3, d, |r, j| (r + j) as f64 * 0.1 - 0.3);
            for bad in [f64::NAN, f64::INFINITY] {
                let mut a = good.clone();
                a[(1, 4)] = bad;
                let view = ColumnMajor::from(&a);
                let s = [0.1, 0.1, 0.1];
                for result in [
                    noise.tail_upper_rows(view, &s, method).map(|_| ()),
                    noise.tail_lower_rows(view, &s, method).map(|_| ()),
                ] {
                    assert!(
                        matches!(result, Err(Error::NonFinite { index: 4, .. })),
                        "{}: {result:?}",
                        noise.name()
                    );
                }
                assert!(plain.tail_upper_rows(view, &s, method).is_err());
            }
            let view = ColumnMajor::from(&good);
            for s in [[0.1, -0.1, 0.1], [0.1, f64::NAN, 0.1]] {
                assert!(matches!(
                    noise.tail_upper_rows(view, &s, method),
                    Err(Error::InvalidParameter { .. })
                ));
                assert!(matches!(
                    noise.tail_lower_rows(view, &s, method),
                    Err(Error::InvalidParameter { .. })
                ));
            }
            // One deviation per row, and rows of the noise's dimension.
            for result in [
                noise.tail_upper_rows(view, &[0.1, 0.1], method).map(|_| ()),
                noise.tail_lower_rows(view, &[0.1; 4], method).map(|_| ()),
            ] {
                assert!(matches!(result, Err(Error::DimensionMismatch { .. })));
            }
            let wide = DMatrix::from_element(3, d + 1, 0.1);
            let s = [0.1; 3];
            let view = ColumnMajor::from(&wide);
            assert!(matches!(
                noise.tail_upper_rows(view, &s, method),
                Err(Error::DimensionMismatch { .. })
            ));
            assert!(matches!(
                noise.tail_lower_rows(view, &s, method),
                Err(Error::DimensionMismatch { .. })
            ));
        }
    }
}

/// Linear bounds whose lines sit on both sides of τ at the noise mean (rows of every kind:
/// both lines above, both below, straddling), so every branch of `certify_rows` runs.
fn mixed_bounds(rng: &mut rand::rngs::StdRng, rows: usize, d: usize) -> LinearBounds<f64> {
    let x0 = DVector::from_element(d, 0.5);
    let domain = InputDomain::ball(x0.clone(), 0.1, Norm::LInf).unwrap();
    let al = random_rows(rng, rows, d);
    let au = random_rows(rng, rows, d);
    let bl = DVector::from_fn(rows, |r, _| {
        -al.row(r).dot(&x0.transpose()) + [0.3, -0.3, 0.01, -0.01, 3.0][r % 5]
    });
    let bu = DVector::from_fn(rows, |r, _| {
        -au.row(r).dot(&x0.transpose()) + [0.5, -0.2, 0.02, 0.3, 3.5][r % 5]
    });
    LinearBounds::new(al, bl, au, bu, domain).unwrap()
}

#[test]
fn certify_rows_is_the_same_with_one_row_at_a_time() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let d = 11;
    let x0 = DVector::from_element(d, 0.5);
    for rows in [1, 4, 9] {
        let bounds = mixed_bounds(&mut rng, rows, d);
        let noises: Vec<(Box<dyn NoiseModel>, Box<dyn NoiseModel>)> = vec![
            (
                Box::new(Uniform::new(d, 0.1).unwrap()),
                Box::new(OneRowAtATime(Uniform::new(d, 0.1).unwrap())),
            ),
            (
                Box::new(Bernoulli::asymmetric(d, 0.1, 0.4).unwrap()),
                Box::new(OneRowAtATime(Bernoulli::asymmetric(d, 0.1, 0.4).unwrap())),
            ),
        ];
        for (noise, plain) in &noises {
            for method in METHODS {
                let fast = certify_rows(&bounds, &x0, noise.as_ref(), method, 0.0).unwrap();
                let slow = certify_rows(&bounds, &x0, plain.as_ref(), method, 0.0).unwrap();
                for (f, s) in fast.iter().zip(&slow) {
                    let what = format!("{} {method:?} row {}", noise.name(), f.row);
                    assert_eq!(f.row, s.row);
                    assert!(
                        (f.lower_line_margin - s.lower_line_margin).abs() < 1e-12,
                        "{what}"
                    );
                    assert!(
                        (f.upper_line_margin - s.upper_line_margin).abs() < 1e-12,
                        "{what}"
                    );
                    for (x, y) in [(f.upper, s.upper), (f.lower, s.lower)] {
                        assert!(
                            (x.value() - y.value()).abs() <= 1e-12 * y.value().max(1e-300),
                            "{what}: {} vs {}",
                            x.value(),
                            y.value()
                        );
                    }
                }
            }
        }
    }
}

/// `certify_rows` written out row by row from its documented formulas, with the one-row tails
/// only: an implementation independent of the many-row path (its subsets, negations and index
/// bookkeeping).
fn reference_rows(
    bounds: &LinearBounds<f64>,
    x0: &DVector<f64>,
    noise: &dyn NoiseModel,
    tail: TailBound,
) -> Vec<(f64, f64, Probability, Probability)> {
    use super::probability::gamma;
    let c: Vec<f64> = x0.iter().zip(noise.mean()).map(|(x, m)| x + m).collect();
    let d = c.len();
    // A ball centred on the noise mean: the sums kept by the bounds, with the Hölder error
    // bound (ℓ∞ ball: ‖c‖_∞ times the stored ‖a‖₁); otherwise a sweep with Σ|a_k c_k|.
    let centred = match bounds.domain() {
        InputDomain::Ball { center, norm, .. } => {
            assert_eq!(*norm, Norm::LInf, "the reference knows the ℓ∞ ball only");
            center.iter().zip(&c).all(|(x, c)| x.total_cmp(c).is_eq())
        }
        InputDomain::Box(_) => false,
    };
    let c_max = c.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let margin = |a: &[f64], b: f64, stored: Option<(f64, f64)>| match stored {
        Some((dot, dual)) if centred => {
            let err = 2.0 * gamma(d + 3) * c_max * dual + gamma(3) * (dot.abs() + b.abs());
            (dot + b, err * (1.0 + 4.0 * f64::EPSILON))
        }
        _ => {
            let dot: f64 = a.iter().zip(&c).map(|(a, c)| a * c).sum();
            let abs: f64 = a.iter().zip(&c).map(|(a, c)| (a * c).abs()).sum();
            (dot + b, gamma(d + 3) * (abs + b.abs()))
        }
    };
    let sums = bounds.centre_sums();
    (0..bounds.rows())
        .map(|r| {
            let al: Vec<f64> = bounds.lower().a.row(r).iter().copied().collect();
            let au: Vec<f64> = bounds.upper().a.row(r).iter().copied().collect();
            let stored_lower = sums.map(|s| (s.lower_dot[r], s.lower_dual[r]));
            let stored_upper = sums.map(|s| (s.upper_dot[r], s.upper_dual[r]));
            let (ml, el) = margin(&al, bounds.lower().b[r], stored_lower);
            let (mu, eu) = margin(&au, bounds.upper().b[r], stored_upper);
            let neg = |a: &[f64]| a.iter().map(|v| -v).collect::<Vec<f64>>();
            // Bounded noise and a lower line above τ on the whole ball: probability 0.
            let above = match (stored_lower, bounds.domain()) {
                (Some((_, dual)), InputDomain::Ball { radius, .. })
                    if centred && noise.mass_outside().is_zero() =>
                {
                    let grow = (1.0 + 2.0 * gamma(d + 3)) * (1.0 + 4.0 * f64::EPSILON);
                    let s = (ml - el) * (1.0 - 4.0 * f64::EPSILON);
                    s > 0.0 && s > radius * dual * grow
                }
                _ => false,
            };
            let upper = if above {
                Probability::ZERO
            } else if ml - el > 0.0 {
                noise
                    .tail_upper(&al, ml - el, tail)
                    .unwrap()
                    .certified()
                    .unwrap()
            } else {
                let t = -(ml - el) * (1.0 + 4.0 * f64::EPSILON) + f64::MIN_POSITIVE;
                noise
                    .tail_lower(&neg(&al), t, tail)
                    .unwrap()
                    .complement_upper()
            };
            let lower = if mu + eu >= 0.0 {
                noise.tail_lower(&au, mu + eu, tail).unwrap()
            } else {
                let v = noise.tail_upper(&neg(&au), -(mu + eu), tail).unwrap();
                v.certified().unwrap().complement_lower()
            };
            (ml, mu, upper, lower)
        })
        .collect()
}

#[test]
fn certify_rows_follows_its_formulas_row_by_row() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(19);
    let d = 11;
    let x0 = DVector::from_element(d, 0.5);
    for rows in [1, 4, 9] {
        // The ball centred on x0 takes the margins from the sums the bounds kept; the same
        // lines on the box of that ball sweep A.
        let ball = mixed_bounds(&mut rng, rows, d);
        let (l, u) = (ball.lower().clone(), ball.upper().clone());
        let boxed = InputDomain::boxed(x0.add_scalar(-0.1), x0.add_scalar(0.1)).unwrap();
        let on_box = LinearBounds::new(l.a, l.b, u.a, u.b, boxed).unwrap();
        assert!(ball.centre_sums().is_some() && on_box.centre_sums().is_none());
        for bounds in [&ball, &on_box] {
            certify_rows_against_reference(bounds, &x0, d);
        }
    }
}

fn certify_rows_against_reference(bounds: &LinearBounds<f64>, x0: &DVector<f64>, d: usize) {
    {
        let noises: Vec<Box<dyn NoiseModel>> = vec![
            Box::new(Uniform::new(d, 0.1).unwrap()),
            Box::new(Bernoulli::asymmetric(d, 0.1, 0.4).unwrap()),
            Box::new(Gaussian::isotropic(d, 0.02, Truncation::BoxSigmas(4.5)).unwrap()),
        ];
        for noise in &noises {
            let methods: &[TailBound] = if noise.name() == "gaussian" {
                &[TailBound::SubGaussian, TailBound::Exact]
            } else {
                &METHODS
            };
            for &method in methods {
                let got = certify_rows(bounds, x0, noise.as_ref(), method, 0.0).unwrap();
                let want = reference_rows(bounds, x0, noise.as_ref(), method);
                for (g, (ml, mu, upper, lower)) in got.iter().zip(want) {
                    let what = format!("{} {method:?} row {}", noise.name(), g.row);
                    assert!((g.lower_line_margin - ml).abs() < 1e-12, "{what}");
                    assert!((g.upper_line_margin - mu).abs() < 1e-12, "{what}");
                    assert!(
                        (g.lower_line_tail.value() - upper.value()).abs()
                            <= 1e-12 * upper.value().max(1e-300),
                        "{what}: upper {} vs {}",
                        g.lower_line_tail.value(),
                        upper.value()
                    );
                    assert!(
                        (g.upper_line_tail.value() - lower.value()).abs()
                            <= 1e-12 * lower.value().max(1e-300),
                        "{what}: lower {} vs {}",
                        g.upper_line_tail.value(),
                        lower.value()
                    );
                }
            }
        }
    }
}
