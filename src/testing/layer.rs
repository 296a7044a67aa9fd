//! [`check_layer`]: a layer's interval and backward passes hold at sampled points.

use super::sampling::sample_box;
use super::violation::Checker;
use super::{CheckStats, SoundnessViolation, Tolerance};
use crate::activation::{RelaxationPolicy, ReluLowerSlope};
use crate::layers::{Backward, BackwardContext, Side};
use crate::{Float, Interval, Layer};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, RngExt};

/// Every ReLU lower-slope choice, so that each relaxation policy is exercised.
const POLICIES: [ReluLowerSlope; 4] = [
    ReluLowerSlope::Adaptive,
    ReluLowerSlope::SameAsUpper,
    ReluLowerSlope::Zero,
    ReluLowerSlope::One,
];

/// Checks a layer on an input box at `samples` points of the box (corners, faces and uniform
/// points, see [`super::sample_box`]):
///
/// ```text
/// forward(x) ∈ interval(box)                                     (IBP)
/// Λ'_L·x + Δ'_L ≤ Λ·forward(x) ≤ Λ'_U·x + Δ'_U                    (backward, both sides)
/// ```
///
/// where `(Λ'_S, Δ'_S) = backward(Λ, side S, input bounds = box)` for a random `Λ` (1–4 rows,
/// entries in `[−1, 1]` with some exact zeros), under every [`ReluLowerSlope`] policy; for a
/// layer claiming [`Layer::is_linear`] also without input bounds (as the engine calls it), and
/// [`Layer::backward_identity`] on a random subset of rows. Tolerance: [`Tolerance::local`].
///
/// # Errors
/// The first [`SoundnessViolation`]; [`SoundnessViolation::Failed`] when the layer returns an
/// error or a result of the wrong shape, or the box does not fit the layer.
///
/// # Examples
/// ```
/// use proven::layers::ActivationLayer;
/// use proven::testing::check_layer;
/// use proven::{Activation, Interval};
/// use nalgebra::DVector;
/// use rand::SeedableRng;
/// let layer = ActivationLayer::<f64>::new(2, Activation::Sigmoid).unwrap();
/// let b = Interval::new(DVector::from_vec(vec![-3.0, 0.5]), DVector::from_vec(vec![1.0, 4.0])).unwrap();
/// let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
/// let stats = check_layer(&layer, &b, 100, &mut rng).unwrap();
/// assert_eq!(stats.points, 100);
/// ```
pub fn check_layer<T: Float, L: Layer<T> + ?Sized, R: Rng + ?Sized>(
    layer: &L,
    input: &Interval<T>,
    samples: usize,
    rng: &mut R,
) -> Result<CheckStats, SoundnessViolation> {
    let mut c = Checker::new("check_layer", Tolerance::local::<T>());
    let kind = layer.kind();
    let (n, m) = (layer.input_dim(), layer.output_dim());
    if input.dim() != n {
        return Err(c.fail(format!(
            "`{kind}`: the box has {} coordinates, the layer takes {n}",
            input.dim()
        )));
    }
    let out = layer.interval(input);
    if out.dim() != m {
        return Err(c.fail(format!(
            "`{kind}`: interval() has {} outputs, not {m}",
            out.dim()
        )));
    }
    let xs = sample_box(input, samples, rng);
    let reach: Vec<f64> = input
        .lower()
        .iter()
        .zip(input.upper().iter())
        .map(|(l, u)| l.as_f64().abs().max(u.as_f64().abs()))
        .collect();
    let mut ys = Vec::with_capacity(xs.len());
    for x in &xs {
        let y = layer.forward(x);
        if y.len() != m {
            return Err(c.fail(format!(
                "`{kind}`: forward() has {} outputs, not {m}",
                y.len()
            )));
        }
        for i in 0..m {
            let (l, u, v) = (
                out.lower()[i].as_f64(),
                out.upper()[i].as_f64(),
                y[i].as_f64(),
            );
            let mag = l.abs() + u.abs() + v.abs();
            let here = || to_f64(x);
            c.le(l, v, mag, true, || {
                (format!("`{kind}` interval lower end {i} ≤ y_{i}"), here())
            })?;
            c.le(v, u, mag, false, || {
                (format!("y_{i} ≤ `{kind}` interval upper end {i}"), here())
            })?;
        }
        ys.push(y);
    }
    c.stats.points = xs.len();
    for relu_lower in POLICIES {
        let policy = RelaxationPolicy { relu_lower };
        let rows = rng.random_range(1..=4usize);
        let lambda = DMatrix::from_fn(rows, m, |_, _| {
            if rng.random_range(0..8u8) == 0 {
                T::zero()
            } else {
                T::from_f64_rounded(rng.random_range(-1.0..=1.0))
            }
        });
        let subset: Vec<usize> = (0..m).filter(|_| rng.random::<bool>()).collect();
        let mut selection = DMatrix::zeros(subset.len(), m);
        for (r, &j) in subset.iter().enumerate() {
            selection[(r, j)] = T::one();
        }
        for side in [Side::Lower, Side::Upper] {
            let mut contexts = vec![Some(input)];
            if layer.is_linear() {
                contexts.push(None);
            }
            for bounds in contexts {
                let ctx = BackwardContext {
                    side,
                    input_bounds: bounds,
                    policy: &policy,
                };
                let what = format!(
                    "`{kind}` backward ({side:?}, {relu_lower:?}, bounds {})",
                    if bounds.is_some() { "given" } else { "none" }
                );
                let back = layer
                    .backward(&lambda, &ctx)
                    .map_err(|e| c.fail(format!("{what}: error {e}")))?;
                check_backward(&mut c, &what, &lambda, &back, side, &xs, &ys, n, &reach)?;
                if !subset.is_empty() {
                    let what = format!("{what}, backward_identity({subset:?})");
                    let back = layer
                        .backward_identity(&subset, &ctx)
                        .map_err(|e| c.fail(format!("{what}: error {e}")))?;
                    check_backward(&mut c, &what, &selection, &back, side, &xs, &ys, n, &reach)?;
                }
            }
        }
    }
    Ok(c.stats)
}

/// `Λ'·x + Δ'` against `Λ·y` at every sampled pair, on the given side.
#[allow(clippy::too_many_arguments)]
fn check_backward<T: Float>(
    c: &mut Checker,
    what: &str,
    lambda: &DMatrix<T>,
    back: &Backward<T>,
    side: Side,
    xs: &[DVector<T>],
    ys: &[DVector<T>],
    n: usize,
    reach: &[f64],
) -> Result<(), SoundnessViolation> {
    let rows = lambda.nrows();
    if back.lambda.nrows() != rows || back.lambda.ncols() != n || back.offset.len() != rows {
        return Err(c.fail(format!(
            "{what}: result has Λ' {}×{} and Δ' of length {}, expected {rows}×{n} and {rows}",
            back.lambda.nrows(),
            back.lambda.ncols(),
            back.offset.len()
        )));
    }
    // The line Λ'·x + Δ' was built from values on the whole box (relaxation lines through end
    // points), so its magnitude is its size over the box: Σ_j |Λ'_j|·max(|l_j|, |u_j|) + |Δ'|.
    let line_mags: Vec<f64> = (0..rows)
        .map(|r| {
            let row = back.lambda.row(r);
            row.iter()
                .zip(reach)
                .map(|(a, m)| a.as_f64().abs() * m)
                .sum::<f64>()
                + back.offset[r].as_f64().abs()
        })
        .collect();
    for (x, y) in xs.iter().zip(ys) {
        for (r, line_mag) in line_mags.iter().enumerate() {
            let (line, _) = dot(back.lambda.row(r).iter(), x.iter(), back.offset[r]);
            let (value, value_mag) = dot(lambda.row(r).iter(), y.iter(), T::zero());
            let mag = line_mag + value_mag;
            let here = || to_f64(x);
            match side {
                Side::Lower => c.le(line, value, mag, true, || {
                    (format!("{what}: row {r} Λ'·x + Δ' ≤ Λ·y"), here())
                })?,
                Side::Upper => c.le(value, line, mag, false, || {
                    (format!("{what}: row {r} Λ·y ≤ Λ'·x + Δ'"), here())
                })?,
            }
        }
    }
    Ok(())
}

/// `a·x + b` in `f64`, and the magnitude `Σ|a_j·x_j| + |b|` of its terms.
pub(crate) fn dot<'a, T: Float>(
    a: impl Iterator<Item = &'a T>,
    x: impl Iterator<Item = &'a T>,
    b: T,
) -> (f64, f64) {
    let (mut sum, mut mag) = (b.as_f64(), b.as_f64().abs());
    for (&ai, &xi) in a.zip(x) {
        let t = ai.as_f64() * xi.as_f64();
        sum += t;
        mag += t.abs();
    }
    (sum, mag)
}

pub(crate) fn to_f64<T: Float>(x: &DVector<T>) -> Vec<f64> {
    x.iter().map(|v| v.as_f64()).collect()
}
