//! Certificate tests: domain checks, linear functions against closed forms, top-1 union bound,
//! and Monte Carlo sanity against Clopper–Pearson intervals.

use super::*;
use crate::{Error, InputDomain, LinearBounds, Norm};
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use statrs::distribution::{ContinuousCDF, Normal};

/// Exact linear bounds (lower = upper) of `f(x) = A x + b` on `domain`.
fn linear(a: &[f64], rows: usize, b: &[f64], domain: InputDomain<f64>) -> LinearBounds<f64> {
    let d = domain.dim();
    let am = DMatrix::from_row_slice(rows, d, a);
    let bv = DVector::from_column_slice(b);
    LinearBounds::new(am.clone(), bv.clone(), am, bv, domain).unwrap()
}

#[test]
fn domain_must_contain_the_noise_region() {
    let x0 = DVector::from_vec(vec![0.0, 0.0]);
    let u = Uniform::new(2, 0.1).unwrap();
    let ok = InputDomain::ball(x0.clone(), 0.1, Norm::LInf).unwrap();
    assert!(check_domain(&ok, &x0, &u).is_ok());
    let small = InputDomain::ball(x0.clone(), 0.09, Norm::LInf).unwrap();
    assert!(matches!(
        check_domain(&small, &x0, &u),
        Err(Error::NoiseOutsideDomain { .. })
    ));
    // ℓ2 domain around a box support: needs radius ε√2.
    let l2 = InputDomain::ball(x0.clone(), 0.1 * 2f64.sqrt() * (1.0 + 1e-9), Norm::L2).unwrap();
    assert!(check_domain(&l2, &x0, &u).is_ok());
    let l2small = InputDomain::ball(x0.clone(), 0.14, Norm::L2).unwrap();
    assert!(check_domain(&l2small, &x0, &u).is_err());
    // Asymmetric Bernoulli lives on [0, ε]: a box domain shifted to the right suffices.
    let b = Bernoulli::asymmetric(2, 0.1, 0.2).unwrap();
    let shifted = InputDomain::boxed(
        DVector::from_vec(vec![0.0, 0.0]),
        DVector::from_vec(vec![0.1, 0.1]),
    )
    .unwrap();
    assert!(check_domain(&shifted, &x0, &b).is_ok());
    assert!(matches!(
        check_domain(&shifted, &x0, &u),
        Err(Error::NoiseOutsideDomain { index: Some(0), .. })
    ));
    // Gaussian with an ℓ2 truncation inside an ℓ2 domain.
    let g = Gaussian::isotropic(2, 0.01, Truncation::L2Mass(1e-6)).unwrap();
    let Region::L2Ball { radius } = g.region() else {
        panic!("expected an l2 ball")
    };
    let dom = InputDomain::ball(x0.clone(), radius, Norm::L2).unwrap();
    assert!(check_domain(&dom, &x0, &g).is_ok());
    let wrong_dim = DVector::from_vec(vec![0.0]);
    assert!(matches!(
        check_domain(&dom, &wrong_dim, &g),
        Err(Error::DimensionMismatch { .. })
    ));
}

#[test]
fn ball_domain_equal_to_the_support_is_accepted_far_from_zero() {
    // Pixels near 1 with a small ε: `(x + ε) − x ≠ ε` in floating point, by up to ulp(x) ≈ 1e-16,
    // far more than the relative tolerance on ε. The check must still accept the exact ball.
    let x0 = DVector::from_fn(784, |k, _| 1.0 - (k as f64) * 1e-4);
    for eps in [0.014354313899912048, 1e-3, 0.0123456789, 1e-7] {
        let u = Uniform::new(784, eps).unwrap();
        let dom = InputDomain::ball(x0.clone(), eps, Norm::LInf).unwrap();
        assert!(check_domain(&dom, &x0, &u).is_ok(), "eps {eps}");
        let smaller = InputDomain::ball(x0.clone(), eps * (1.0 - 1e-12), Norm::LInf).unwrap();
        assert!(check_domain(&smaller, &x0, &u).is_err(), "eps {eps}");
    }
}

#[test]
fn gaussian_certificate_of_a_linear_function_is_phi() {
    let phi = Normal::standard();
    let x0 = DVector::from_vec(vec![0.2, -0.1, 0.4]);
    let sigma = 0.05;
    let k = box_sigmas_for_mass(3, 1e-9).unwrap();
    let g = Gaussian::isotropic(3, sigma, Truncation::BoxSigmas(k)).unwrap();
    let dom = InputDomain::ball(x0.clone(), k * sigma, Norm::LInf).unwrap();
    // Two rows: f1 = x·(1, 2, −1) + 0.1, f2 = x·(−1, 0, 3) − 1.
    let lb = linear(&[1.0, 2.0, -1.0, -1.0, 0.0, 3.0], 2, &[0.5, -0.85], dom);
    let rows = certify_rows(&lb, &x0, &g, TailBound::Exact, 0.0).unwrap();
    for (r, (a, b)) in [([1.0, 2.0, -1.0], 0.5), ([-1.0, 0.0, 3.0], -0.85)]
        .iter()
        .enumerate()
    {
        let mu: f64 = a.iter().zip(x0.iter()).map(|(p, q)| p * q).sum::<f64>() + b;
        let sd = sigma * a.iter().map(|v| v * v).sum::<f64>().sqrt();
        let exact = phi.cdf(-mu / sd);
        let c = &rows[r];
        assert!(
            c.lower.value() <= exact && exact <= c.upper.value(),
            "row {r}"
        );
        // Both ends are Φ up to the truncation mass (≤ 1e-9).
        assert!(c.upper.value() - exact <= 1.01e-9 + 1e-12 * exact);
        assert!((c.lower_line_tail.value() / exact - 1.0).abs() < 1e-9);
    }
    // A row whose mean is already below τ: the upper bound comes from the exact lower tail of the
    // other side, 1 − Φ(mu/sd) = Φ(−mu/sd) with mu < 0.
    let dom = InputDomain::ball(x0.clone(), k * sigma, Norm::LInf).unwrap();
    let lb = linear(&[1.0, 1.0, 1.0], 1, &[-0.6], dom);
    let c = &certify_rows(&lb, &x0, &g, TailBound::Exact, 0.0).unwrap()[0];
    let exact = phi.cdf(0.1 / (sigma * 3f64.sqrt()));
    assert!(c.lower.value() <= exact && exact <= c.upper.value());
    assert!(c.upper.value() - exact < 1.01e-9 && c.upper.value() < 1.0);
    assert!(matches!(
        certify_rows(&lb, &x0, &g, TailBound::CltEstimate, 0.0),
        Err(Error::NotCertified { .. })
    ));
}

#[test]
fn top1_union_bound() {
    let x0 = DVector::from_vec(vec![0.0; 4]);
    let u = Uniform::new(4, 0.1).unwrap();
    let dom = InputDomain::ball(x0.clone(), 0.1, Norm::LInf).unwrap();
    let a = [1.0, 1.0, 1.0, 1.0, 1.0, -1.0, 1.0, -1.0, 0.5, 0.5, 0.5, 0.5];
    let lb = linear(&a, 3, &[0.3, 0.3, 0.15], dom);
    let rows = certify_rows(&lb, &x0, &u, TailBound::Chernoff, 0.0).unwrap();
    let sum: f64 = rows.iter().map(|r| r.upper.value()).sum();
    let t = top1(&rows, 0.5).unwrap();
    assert!(t.failure.value() >= sum && t.failure.value() <= sum * (1.0 + 1e-12));
    assert!(t.certified_sum);
    let tight = top1(&rows, sum * 0.99).unwrap();
    assert!(!tight.certified_sum && !tight.certified_equal_split);
    let max = rows.iter().map(|r| r.upper.value()).fold(0.0, f64::max);
    assert!(
        top1(&rows, 3.0 * max * 1.001)
            .unwrap()
            .certified_equal_split
    );
    assert!(matches!(
        top1(&rows, 0.0),
        Err(Error::InvalidParameter { name: "delta", .. })
    ));
}

/// Monte Carlo: the empirical violation rate of `a·Δ ≤ −s` must be compatible with every
/// certified upper bound (≥ the Clopper–Pearson lower end at 99.9%) and lower bound (≤ the upper
/// end).
fn monte_carlo(noise: &dyn NoiseModel, a: &[f64], s: f64, methods: &[TailBound], seed: u64) {
    let n = 100_000u64;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mean = noise.mean();
    let mut hits = 0u64;
    for _ in 0..n {
        let d = noise.sample(&mut rng);
        assert!(noise.region().contains(&d) || !noise.mass_outside().is_zero());
        let y: f64 = a
            .iter()
            .zip(d.iter().zip(&mean))
            .map(|(ak, (dk, mk))| ak * (dk - mk))
            .sum();
        if y <= -s {
            hits += 1;
        }
    }
    let (lo, hi) = clopper_pearson(hits, n, 0.999).unwrap();
    assert!(
        hits > 100,
        "{}: too few hits ({hits}) to be informative",
        noise.describe()
    );
    for &m in methods {
        let up = noise
            .tail_upper(a, s, m)
            .unwrap()
            .certified()
            .unwrap()
            .value();
        assert!(
            up >= lo,
            "{} {}: bound {up} < CP lower {lo}",
            noise.describe(),
            m.name()
        );
        let low = noise.tail_lower(a, s, m).unwrap().value();
        assert!(
            low <= hi,
            "{} {}: lower {low} > CP upper {hi}",
            noise.describe(),
            m.name()
        );
    }
}

#[test]
fn monte_carlo_agrees_with_every_certified_bound() {
    let a: Vec<f64> = (0..20)
        .map(|k| 0.3 + (f64::from(k) * 1.7).sin().abs())
        .collect();
    let norm = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let bounded = [
        TailBound::Hoeffding,
        TailBound::SubGaussian,
        TailBound::Chernoff,
        TailBound::Bernstein,
        TailBound::convolution(),
    ];
    let eps = 0.1;
    // s chosen so the true tail is around 1e-2 (2.3 standard deviations).
    let u = Uniform::new(20, eps).unwrap();
    monte_carlo(&u, &a, 2.3 * eps / 3f64.sqrt() * norm, &bounded, 1);
    let r = Bernoulli::symmetric(20, eps).unwrap();
    monte_carlo(&r, &a, 2.3 * eps * norm, &bounded, 2);
    let p = 0.1;
    let f = Bernoulli::asymmetric(20, eps, p).unwrap();
    // The lower tail of sparse flips is short; test the upper tail (row −a).
    let neg: Vec<f64> = a.iter().map(|x| -x).collect();
    monte_carlo(
        &f,
        &neg,
        2.3 * eps * (p * (1.0 - p)).sqrt() * norm,
        &bounded,
        3,
    );
    let lo = vec![-0.05; 20];
    let hi = vec![0.15; 20];
    let b = BoundedIndependent::new(lo, hi)
        .unwrap()
        .with_means(vec![0.0; 20])
        .unwrap();
    monte_carlo(&b, &a, 1.5 * 0.1 * norm, &bounded[..4], 4);
    let gaussian = [
        TailBound::Exact,
        TailBound::Chernoff,
        TailBound::SubGaussian,
    ];
    let g = Gaussian::isotropic(20, eps, Truncation::BoxSigmas(6.0)).unwrap();
    monte_carlo(&g, &a, 2.3 * eps * norm, &gaussian, 5);
    let cov = DMatrix::from_fn(20, 20, |i, j| {
        0.01 * 0.6f64.powi((i as i32 - j as i32).abs())
    });
    let c = CorrelatedGaussian::new(cov, Truncation::L2Mass(1e-6)).unwrap();
    let v: f64 = (0..20)
        .flat_map(|i| (0..20).map(move |j| (i, j)))
        .map(|(i, j)| a[i] * a[j] * 0.01 * 0.6f64.powi((i as i32 - j as i32).abs()))
        .sum();
    monte_carlo(&c, &a, 2.3 * v.sqrt(), &gaussian, 6);
}

/// Regression: `(x + ε) − x` can exceed ε by one rounding of `|x|`; the domain check used to
/// compare that against a tolerance relative to ε alone and rejected the certifier's own domain
/// (`NoiseOutsideDomain` in `Certifier::radius` on MNIST and ACAS Xu inputs).
#[test]
fn domain_check_accepts_the_ball_around_x0_whatever_its_magnitude() {
    let x = 0.99f64;
    let eps: Vec<f64> = (1..2000)
        .map(|i| 0.011 + i as f64 * 1.3e-7)
        .filter(|e| (x + e) - x > *e + 1e-16)
        .take(20)
        .collect();
    assert!(!eps.is_empty());
    for e in eps {
        let x0 = DVector::from_vec(vec![x, -x, 0.0]);
        let dom = InputDomain::ball(x0.clone(), e, Norm::LInf).unwrap();
        check_domain(&dom, &x0, &Uniform::new(3, e).unwrap()).unwrap();
        let l1 = InputDomain::ball(x0.clone(), 3.0 * e, Norm::L1).unwrap();
        check_domain(&l1, &x0, &Bernoulli::symmetric(3, e).unwrap()).unwrap();
    }
}

/// Regression: the certifier's domain is rounded outward to `T`, so `f32` certificates of
/// box-supported noise do not fail the domain check (or cover less than the support).
#[test]
fn f32_certifier_domains_contain_the_noise_support() {
    use crate::certify::Certifier;
    use crate::layers::Dense;
    use crate::{Layer, Sequential};
    let net = Sequential::new(vec![Box::new(
        Dense::new(
            DMatrix::from_row_slice(2, 2, &[1.0f32, 0.5, -0.25, 1.0]),
            DVector::from_vec(vec![0.1f32, 0.0]),
        )
        .unwrap(),
    ) as Box<dyn Layer<f32>>])
    .unwrap();
    let x0 = DVector::from_vec(vec![0.7f32, 0.3]);
    let c = Certifier::new(&net);
    for i in 0..50 {
        let e = 0.001 + f64::from(i) * 1.37e-4;
        let noises: Vec<Box<dyn NoiseModel>> = vec![
            Box::new(Uniform::new(2, e).unwrap()),
            Box::new(Bernoulli::asymmetric(2, e, 0.3).unwrap()),
            Box::new(BoundedIndependent::new(vec![-e, -0.5 * e], vec![2.0 * e, e]).unwrap()),
            Box::new(Gaussian::isotropic(2, e, Truncation::L2Mass(1e-6)).unwrap()),
        ];
        for n in &noises {
            c.certify(&x0, 0, n.as_ref())
                .unwrap_or_else(|err| panic!("{} at {e}: {err}", n.name()));
        }
    }
}
