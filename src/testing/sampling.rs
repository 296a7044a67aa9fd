//! Points of boxes and input domains: uniform samples plus the extreme points where bounds are
//! tight (corners, faces, ℓp-ball surfaces and vertices).

use crate::{Float, InputDomain, Interval, Norm};
use nalgebra::DVector;
use rand::{Rng, RngExt};

/// `count` points of the box: about a quarter corners, a quarter on faces (one coordinate at an
/// end), the rest uniform; the first point is the midpoint.
///
/// # Examples
/// ```
/// use proven::testing::sample_box;
/// use proven::Interval;
/// use nalgebra::DVector;
/// use rand::SeedableRng;
/// let b = Interval::new(DVector::from_vec(vec![-1.0_f64, 0.0]), DVector::from_vec(vec![1.0, 0.0])).unwrap();
/// let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
/// let pts = sample_box(&b, 50, &mut rng);
/// assert_eq!(pts.len(), 50);
/// assert!(pts.iter().all(|x| b.contains(x, 0.0)));
/// ```
pub fn sample_box<T: Float, R: Rng + ?Sized>(
    b: &Interval<T>,
    count: usize,
    rng: &mut R,
) -> Vec<DVector<T>> {
    let n = b.dim();
    let (lo, hi) = (b.lower(), b.upper());
    let mut out = Vec::with_capacity(count);
    if count == 0 {
        return out;
    }
    out.push(b.center().zip_zip_map(lo, hi, |c, l, h| c.max(l).min(h)));
    while out.len() < count {
        let kind = rng.random_range(0..4u8);
        let mut x = DVector::from_fn(n, |i, _| {
            let t = rng.random::<f64>();
            let v = lo[i].as_f64() + (hi[i].as_f64() - lo[i].as_f64()) * t;
            T::from_f64_rounded(v).max(lo[i]).min(hi[i])
        });
        match kind {
            0 => {
                for i in 0..n {
                    x[i] = if rng.random::<bool>() { hi[i] } else { lo[i] };
                }
            }
            1 => {
                let i = rng.random_range(0..n);
                x[i] = if rng.random::<bool>() { hi[i] } else { lo[i] };
            }
            _ => {}
        }
        out.push(x);
    }
    out
}

/// `count` points of the domain (the first is its centre). Boxes and ℓ∞ balls as
/// [`sample_box`]; ℓ2 balls: a quarter on the sphere, an eighth at `x0 ± ε·e_i`, the rest
/// uniform in the ball; ℓ1 balls: a quarter at the vertices `x0 ± ε·e_i`, a quarter on the
/// surface, the rest uniform. Surface points are pulled inward by a few ulps of `T` so that
/// rounding never puts them outside.
pub fn sample_domain<T: Float, R: Rng + ?Sized>(
    domain: &InputDomain<T>,
    count: usize,
    rng: &mut R,
) -> Vec<DVector<T>> {
    match domain {
        InputDomain::Box(b) => sample_box(b, count, rng),
        InputDomain::Ball {
            norm: Norm::LInf, ..
        } => sample_box(&domain.bounding_box(), count, rng),
        InputDomain::Ball {
            center,
            radius,
            norm,
        } => {
            let n = center.len();
            let mut out = Vec::with_capacity(count);
            if count > 0 {
                out.push(center.clone());
            }
            while out.len() < count {
                let kind = rng.random_range(0..8u8);
                let dir: Vec<f64> = match (norm, kind) {
                    (_, 0) => axis(n, rng),
                    (Norm::L2, 1 | 2) => scaled(gaussian_dir(n, rng), 1.0),
                    (Norm::L2, _) => {
                        let r = rng.random::<f64>().powf(1.0 / n as f64);
                        scaled(gaussian_dir(n, rng), r)
                    }
                    (_, 1 | 2) => axis(n, rng),
                    (_, 3 | 4) => l1_point(n, false, rng),
                    _ => l1_point(n, true, rng),
                };
                out.push(offset(center, *radius, &dir));
            }
            out
        }
    }
}

/// The points of the domain where a linear function `a·x` is smallest (`minimize`) or largest:
/// a corner of a box, `x0 ∓ ε·a/‖a‖₂` on an ℓ2 ball, a vertex `x0 ∓ ε·sign(a_j)·e_j` with the
/// largest `|a_j|` on an ℓ1 ball. These are where concretised bounds are tight.
pub fn extreme_point<T: Float>(domain: &InputDomain<T>, a: &[T], minimize: bool) -> DVector<T> {
    // Move against `a` to minimise, along it to maximise.
    let toward = if minimize { -1.0 } else { 1.0 };
    let af: Vec<f64> = a.iter().map(|v| v.as_f64()).collect();
    let step = |v: f64| toward * sign(v);
    match domain {
        InputDomain::Box(b) => DVector::from_fn(b.dim(), |i, _| {
            if step(af[i]) > 0.0 {
                b.upper()[i]
            } else {
                b.lower()[i]
            }
        }),
        InputDomain::Ball {
            center,
            radius,
            norm,
        } => {
            let n = center.len();
            let dir: Vec<f64> = match norm {
                Norm::LInf => af.iter().map(|&v| step(v)).collect(),
                Norm::L2 => {
                    let norm2 = af.iter().map(|v| v * v).sum::<f64>().sqrt();
                    if norm2 > 0.0 {
                        af.iter().map(|v| toward * v / norm2).collect()
                    } else {
                        vec![0.0; n]
                    }
                }
                Norm::L1 => {
                    let mut d = vec![0.0; n];
                    if let Some(j) = (0..n).max_by(|&i, &k| af[i].abs().total_cmp(&af[k].abs())) {
                        d[j] = step(af[j]);
                    }
                    d
                }
            };
            offset(center, *radius, &dir)
        }
    }
}

/// `+1`, `−1` or `0`.
fn sign(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// `x0 + ε·d`, with `d` pulled inward by a few ulps of `T` and each coordinate rounded toward
/// `x0`, so that the point stays in the ball.
fn offset<T: Float>(center: &DVector<T>, radius: T, dir: &[f64]) -> DVector<T> {
    let shrink = 1.0 - 16.0 * T::epsilon().as_f64();
    DVector::from_fn(center.len(), |i, _| {
        let c = center[i];
        let d = radius.as_f64() * dir[i] * shrink;
        let v = T::from_f64_rounded(c.as_f64() + d);
        // Never step further from the centre than intended.
        if (v.as_f64() - c.as_f64()).abs() > d.abs() {
            T::from_f64_rounded(c.as_f64() + d * shrink)
        } else {
            v
        }
    })
}

fn axis<R: Rng + ?Sized>(n: usize, rng: &mut R) -> Vec<f64> {
    let mut d = vec![0.0; n];
    d[rng.random_range(0..n)] = if rng.random::<bool>() { 1.0 } else { -1.0 };
    d
}

fn gaussian_dir<R: Rng + ?Sized>(n: usize, rng: &mut R) -> Vec<f64> {
    loop {
        let g: Vec<f64> = (0..n).map(|_| standard_normal(rng)).collect();
        let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 1e-12 {
            return g.into_iter().map(|v| v / norm).collect();
        }
    }
}

fn scaled(v: Vec<f64>, r: f64) -> Vec<f64> {
    v.into_iter().map(|x| x * r).collect()
}

/// Box–Muller.
fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A point of the unit ℓ1 ball: on the surface, or uniform inside (`interior`), from normalised
/// exponential variables with random signs.
fn l1_point<R: Rng + ?Sized>(n: usize, interior: bool, rng: &mut R) -> Vec<f64> {
    let m = if interior { n + 1 } else { n };
    let e: Vec<f64> = (0..m).map(|_| -(1.0 - rng.random::<f64>()).ln()).collect();
    let total: f64 = e.iter().sum();
    (0..n)
        .map(|i| {
            let s = if rng.random::<bool>() { 1.0 } else { -1.0 };
            s * e[i] / total.max(f64::MIN_POSITIVE)
        })
        .collect()
}
