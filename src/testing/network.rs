//! [`check_network`]: a network's bounds hold at sampled points of the domain.

use super::sampling::{extreme_point, sample_domain};
use super::violation::Checker;
use super::{CheckStats, SoundnessViolation, Tolerance};
use crate::{Float, InputDomain, LinearBounds, Method, Network, compute_bounds};
use nalgebra::{DMatrix, DVector};
use rand::Rng;

/// Computes the bounds of `C·f` over `domain` with `method` ([`compute_bounds`]) and checks them
/// at `samples` points of the domain ([`super::sample_domain`]: centre, corners, faces, surface
/// and vertices of balls, uniform points) plus, for every row, the points where its lower line
/// is smallest and its upper line largest ([`super::extreme_point`]). At every point `x`:
///
/// ```text
/// lower ≤ A_L·x + b_L ≤ C·f(x) ≤ A_U·x + b_U ≤ upper        (every row)
/// l_k ≤ z_k(x) ≤ u_k     for every layer k with input bounds (LinearBounds::layer_input_bounds)
/// ```
///
/// with `z_k(x)` the actual input of layer `k`. Tolerance: [`Tolerance::network`], on the
/// magnitude described there.
///
/// # Errors
/// The first [`SoundnessViolation`]; [`SoundnessViolation::Failed`] if the engine returns an
/// error.
///
/// # Examples
/// ```
/// use proven::layers::{ActivationLayer, Dense};
/// use proven::testing::check_network;
/// use proven::{Activation, InputDomain, Method, Norm, Sequential};
/// use nalgebra::{DMatrix, DVector};
/// use rand::SeedableRng;
/// let net = Sequential::new(vec![
///     Box::new(Dense::new(DMatrix::from_row_slice(2, 2, &[1.0, -1.0, 2.0, -1.0]), DVector::zeros(2)).unwrap()),
///     Box::new(ActivationLayer::new(2, Activation::Relu).unwrap()),
///     Box::new(Dense::new(DMatrix::from_row_slice(1, 2, &[1.0, -1.0]), DVector::zeros(1)).unwrap()),
/// ]).unwrap();
/// let domain = InputDomain::ball(DVector::from_vec(vec![0.5_f64, -0.5]), 1.5, Norm::L2).unwrap();
/// let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
/// let stats = check_network(&net, &domain, &Method::crown(), None, 200, &mut rng).unwrap();
/// assert_eq!(stats.points, 202); // 200 samples + the 2 extreme points of the one row
/// ```
pub fn check_network<T: Float, N: Network<T> + ?Sized, R: Rng + ?Sized>(
    net: &N,
    domain: &InputDomain<T>,
    method: &Method,
    spec: Option<&DMatrix<T>>,
    samples: usize,
    rng: &mut R,
) -> Result<CheckStats, SoundnessViolation> {
    let bounds =
        compute_bounds(net, domain, spec, method).map_err(|e| SoundnessViolation::Failed {
            check: "check_network",
            what: format!("{}: the engine returned an error: {e}", method.name()),
        })?;
    let mut points = sample_domain(domain, samples, rng);
    points.extend(extreme_points(&bounds));
    check_bounds(net, &bounds, spec, &points, method.name())
}

/// For every row of the bounds, the point of their domain where the lower line is smallest and
/// the one where the upper line is largest (2 points per row).
pub fn extreme_points<T: Float>(bounds: &LinearBounds<T>) -> Vec<DVector<T>> {
    let mut points = Vec::with_capacity(2 * bounds.rows());
    for r in 0..bounds.rows() {
        let lower: Vec<T> = bounds.lower().a.row(r).iter().copied().collect();
        let upper: Vec<T> = bounds.upper().a.row(r).iter().copied().collect();
        points.push(extreme_point(bounds.domain(), &lower, true));
        points.push(extreme_point(bounds.domain(), &upper, false));
    }
    points
}

/// Checks already computed bounds at the given points (see [`check_network`] for what is
/// checked); `label` names the bounds in reports (for example the method). Also for bounds from
/// another tool ([`LinearBounds::new`]).
///
/// # Errors
/// As [`check_network`]; [`SoundnessViolation::Failed`] for a point outside the domain or of the
/// wrong size, or shapes that do not fit the network.
pub fn check_bounds<T: Float, N: Network<T> + ?Sized>(
    net: &N,
    bounds: &LinearBounds<T>,
    spec: Option<&DMatrix<T>>,
    points: &[DVector<T>],
    label: &str,
) -> Result<CheckStats, SoundnessViolation> {
    let traces = Traces::new(net, bounds.domain(), points)?;
    traces.check(bounds, spec, label)
}

/// A network evaluated at a set of points of a domain, every layer's input recorded (in `f64`),
/// so that several bounds (for example one per method) can be checked at the same points without
/// evaluating the network again.
#[derive(Debug, Clone)]
pub struct Traces {
    /// Per point: the input, then every layer's input, then the output (`layers + 1` vectors).
    values: Vec<Vec<Vec<f64>>>,
    layers: usize,
    input_dim: usize,
    output_dim: usize,
}

impl Traces {
    /// Evaluates `net` at `points`, which must lie in `domain`.
    ///
    /// # Errors
    /// [`SoundnessViolation::Failed`] for a point outside the domain (beyond `√ε_T`) or of the
    /// wrong size, or a layer output of the wrong size.
    pub fn new<T: Float, N: Network<T> + ?Sized>(
        net: &N,
        domain: &InputDomain<T>,
        points: &[DVector<T>],
    ) -> Result<Self, SoundnessViolation> {
        let c = Checker::new("check_network", Tolerance::network::<T>());
        let mut values = Vec::with_capacity(points.len());
        for x in points {
            if x.len() != domain.dim() || !domain.contains(x, T::epsilon().sqrt()) {
                return Err(c.fail(format!("sample {:?} is not in the domain", to_f64(x))));
            }
            let mut trace = Vec::with_capacity(net.layers().len() + 1);
            let mut z = x.clone();
            for (k, layer) in net.layers().iter().enumerate() {
                if z.len() != layer.input_dim() {
                    return Err(c.fail(format!(
                        "layer {k} ({}) got {} inputs, expects {}",
                        layer.kind(),
                        z.len(),
                        layer.input_dim()
                    )));
                }
                trace.push(to_f64(&z));
                z = layer.forward(&z);
            }
            trace.push(to_f64(&z));
            values.push(trace);
        }
        Ok(Self {
            values,
            layers: net.layers().len(),
            input_dim: net.input_dim(),
            output_dim: net.output_dim(),
        })
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Checks `bounds` (of `C·f`, `C = spec` or the identity) at every point (see
    /// [`check_network`]); `label` names them in reports.
    ///
    /// # Errors
    /// As [`check_bounds`].
    pub fn check<T: Float>(
        &self,
        bounds: &LinearBounds<T>,
        spec: Option<&DMatrix<T>>,
        label: &str,
    ) -> Result<CheckStats, SoundnessViolation> {
        let mut c = Checker::new("check_network", Tolerance::network::<T>());
        let outputs = self.output_dim;
        let spec: Flat = match spec {
            Some(m) => Flat::from_matrix(m),
            None => Flat::from_matrix(&DMatrix::<f64>::identity(outputs, outputs)),
        };
        let rows = bounds.rows();
        if spec.rows != rows || spec.cols != outputs || bounds.input_dim() != self.input_dim {
            return Err(c.fail(format!(
                "{label}: {rows} bound rows on {} inputs for a {}×{} specification of a network \
                 with {} inputs and {outputs} outputs",
                bounds.input_dim(),
                spec.rows,
                spec.cols,
                self.input_dim
            )));
        }
        let (al, au) = (
            Flat::from_matrix(&bounds.lower().a),
            Flat::from_matrix(&bounds.upper().a),
        );
        let (bl, bu) = (flat(&bounds.lower().b), flat(&bounds.upper().b));
        let (lb, ub) = (flat(bounds.lower_bounds()), flat(bounds.upper_bounds()));
        let layer_bounds: Vec<Option<(Vec<f64>, Vec<f64>)>> = (0..self.layers)
            .map(|k| {
                bounds
                    .layer_input_bounds(k)
                    .map(|b| (flat(b.lower()), flat(b.upper())))
            })
            .collect();
        // The largest value the network carries inside (its recorded input bounds): rounding in
        // the engine's interval arithmetic and concretisation scales with it, also where a row's
        // own line is a constant (IBP) or small.
        let inner = layer_bounds
            .iter()
            .flatten()
            .flat_map(|(lo, hi)| lo.iter().chain(hi))
            .filter(|v| v.is_finite())
            .fold(0.0_f64, |m, v| m.max(v.abs()));
        let inner_mags: Vec<f64> = (0..rows).map(|r| inner * spec.row_l1(r)).collect();
        // A line's magnitude is its size over the domain's bounding box (see Tolerance).
        let bbox = bounds.domain().bounding_box();
        let reach: Vec<f64> = bbox
            .lower()
            .iter()
            .zip(bbox.upper().iter())
            .map(|(l, u)| l.as_f64().abs().max(u.as_f64().abs()))
            .collect();
        let low_mags: Vec<f64> = (0..rows).map(|r| al.size(r, &reach, bl[r])).collect();
        let up_mags: Vec<f64> = (0..rows).map(|r| au.size(r, &reach, bu[r])).collect();
        for trace in &self.values {
            c.stats.points += 1;
            let x = &trace[0];
            for (k, lb_k) in layer_bounds.iter().enumerate() {
                if let Some((lo, hi)) = lb_k {
                    check_intermediate(&mut c, label, k, (lo, hi), inner, &trace[k], x)?;
                }
            }
            let y = &trace[trace.len() - 1];
            for r in 0..rows {
                let (cf, cf_terms) = spec.dot(r, y, 0.0);
                let cf_mag = cf_terms + inner_mags[r];
                let (low, low_mag) = (al.dot(r, x, bl[r]).0, low_mags[r]);
                let (up, up_mag) = (au.dot(r, x, bu[r]).0, up_mags[r]);
                let (lbr, ubr) = (lb[r], ub[r]);
                let xs = || x.clone();
                c.le(lbr, low, lbr.abs() + low_mag, true, || {
                    (
                        format!("{label}: row {r} concrete lower ≤ A_L·x + b_L"),
                        xs(),
                    )
                })?;
                c.le(low, cf, low_mag + cf_mag, true, || {
                    (format!("{label}: row {r} A_L·x + b_L ≤ (C·f(x))_{r}"), xs())
                })?;
                c.le(cf, up, up_mag + cf_mag, false, || {
                    (format!("{label}: row {r} (C·f(x))_{r} ≤ A_U·x + b_U"), xs())
                })?;
                c.le(up, ubr, ubr.abs() + up_mag, false, || {
                    (
                        format!("{label}: row {r} A_U·x + b_U ≤ concrete upper"),
                        xs(),
                    )
                })?;
                c.le(lbr, cf, lbr.abs() + low_mag + cf_mag, true, || {
                    (
                        format!("{label}: row {r} concrete lower ≤ (C·f(x))_{r}"),
                        xs(),
                    )
                })?;
                c.le(cf, ubr, ubr.abs() + up_mag + cf_mag, false, || {
                    (
                        format!("{label}: row {r} (C·f(x))_{r} ≤ concrete upper"),
                        xs(),
                    )
                })?;
            }
        }
        Ok(c.stats)
    }
}

fn check_intermediate(
    c: &mut Checker,
    label: &str,
    k: usize,
    (lo, hi): (&[f64], &[f64]),
    inner: f64,
    z: &[f64],
    x: &[f64],
) -> Result<(), SoundnessViolation> {
    if lo.len() != z.len() {
        return Err(c.fail(format!(
            "{label}: input bounds of layer {k} have {} coordinates, the layer input {}",
            lo.len(),
            z.len()
        )));
    }
    for i in 0..z.len() {
        let (l, u, v) = (lo[i], hi[i], z[i]);
        if l <= v && v <= u {
            c.stats.inequalities += 2;
            continue;
        }
        let mag = l.abs() + u.abs() + v.abs() + inner;
        c.le(l, v, mag, true, || {
            (
                format!("{label}: layer {k} input bound l_{i} ≤ z_{i}"),
                x.to_vec(),
            )
        })?;
        c.le(v, u, mag, false, || {
            (
                format!("{label}: layer {k} input z_{i} ≤ u_{i}"),
                x.to_vec(),
            )
        })?;
    }
    Ok(())
}

/// A row-major `f64` copy of a matrix.
struct Flat {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

impl Flat {
    fn from_matrix<T: Float>(m: &DMatrix<T>) -> Self {
        let (rows, cols) = m.shape();
        let data = (0..rows)
            .flat_map(|r| (0..cols).map(move |j| (r, j)))
            .map(|(r, j)| m[(r, j)].as_f64())
            .collect();
        Self { rows, cols, data }
    }

    /// `Σ_j |a_rj|`.
    fn row_l1(&self, r: usize) -> f64 {
        self.data[r * self.cols..(r + 1) * self.cols]
            .iter()
            .map(|a| a.abs())
            .sum()
    }

    /// `Σ_j |a_rj|·reach_j + |b|`: the size of row `r`'s line over a box.
    fn size(&self, r: usize, reach: &[f64], b: f64) -> f64 {
        let row = &self.data[r * self.cols..(r + 1) * self.cols];
        row.iter().zip(reach).map(|(a, m)| a.abs() * m).sum::<f64>() + b.abs()
    }

    /// Row `r` times `x`, plus `b`, and the magnitude `Σ|a_j·x_j| + |b|` of the terms.
    fn dot(&self, r: usize, x: &[f64], b: f64) -> (f64, f64) {
        let row = &self.data[r * self.cols..(r + 1) * self.cols];
        let (mut sum, mut mag) = (b, b.abs());
        for (a, v) in row.iter().zip(x) {
            let t = a * v;
            sum += t;
            mag += t.abs();
        }
        (sum, mag)
    }
}

fn flat<T: Float>(v: &DVector<T>) -> Vec<f64> {
    v.iter().map(|x| x.as_f64()).collect()
}

fn to_f64<T: Float>(x: &DVector<T>) -> Vec<f64> {
    flat(x)
}
