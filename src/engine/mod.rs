//! The bound engine: IBP and back-substitution (Fast-Lin, CROWN) over a [`Network`].
//!
//! For a network `f = L_{m−1} ∘ … ∘ L_0`, a specification matrix `C` and an input domain `B`, the
//! engine computes [`LinearBounds`] `A_L·x + b_L ≤ C·f(x) ≤ A_U·x + b_U` on `B`:
//!
//! 1. Bounds on every layer's input, first to last. A layer that needs them (an activation) gets
//!    them by back-substituting the identity on its input through the earlier layers (or by IBP,
//!    per [`Method`]); the result is intersected with the IBP reference where the method says so.
//! 2. The specification rows `C` (for example margins `f_c − f_t`) are back-substituted through
//!    the whole network, so `C` is folded into the last affine layer.
//! 3. Concretisation over `B` by the dual norm (balls) or exactly (boxes).
//!
//! # References
//! Zhang et al., *CROWN*, NeurIPS 2018, §3; Weng et al., *Fast-Lin*, ICML 2018, §3; Gowal et al.,
//! *IBP*, 2018; Xu et al., *auto_LiRPA*, NeurIPS 2020 (sparse intermediate bounds).

mod backsub;
mod batch;
mod method;
mod pretest;
mod spec;
mod tighten;
mod upper_first;

pub use batch::{BatchJob, compute_bounds_batch};
pub use method::{BoundSource, Method, Sparsity};
pub use spec::Specification;
pub use tighten::{IntermediateTightener, RowBounds};

use crate::layers::Side;
use crate::linear_bounds::AffineBound;
use crate::{Error, Float, InputDomain, Interval, LinearBounds, Network, Result};
use backsub::{Start, back_substitute, back_substitute_sides};
use nalgebra::{DMatrix, DVector};

/// Computes linear bounds of `C·f(x)` over `domain` (`C` = identity when `spec` is `None`).
///
/// # Errors
/// [`Error::DimensionMismatch`] if the domain or the specification does not fit the network,
/// the layers do not chain, or a layer returns a result of the wrong size; [`Error::NonFinite`]
/// for NaN or infinite specification entries; [`Error::EmptyNetwork`]; as
/// [`InputDomain::validate`] for a domain built from its variants directly.
///
/// # Examples
/// ```
/// use proven::layers::{ActivationLayer, Dense};
/// use proven::{compute_bounds, Activation, InputDomain, Method, Norm, Sequential};
/// use nalgebra::{DMatrix, DVector};
/// let net = Sequential::new(vec![
///     Box::new(Dense::new(DMatrix::from_row_slice(2, 2, &[1.0, -1.0, 2.0, -1.0]), DVector::zeros(2)).unwrap()),
///     Box::new(ActivationLayer::new(2, Activation::Relu).unwrap()),
///     Box::new(Dense::new(DMatrix::from_row_slice(1, 2, &[1.0, -1.0]), DVector::zeros(1)).unwrap()),
/// ]).unwrap();
/// let domain = InputDomain::ball(DVector::from_vec(vec![0.5_f64, -0.5]), 1.5, Norm::LInf).unwrap();
/// let b = compute_bounds(&net, &domain, None, &Method::crown()).unwrap();
/// assert!((b.lower_bounds()[0] + 3.0).abs() < 1e-12 && (b.upper_bounds()[0] - 3.0).abs() < 1e-12);
/// ```
pub fn compute_bounds<T: Float, N: Network<T> + ?Sized>(
    net: &N,
    domain: &InputDomain<T>,
    spec: Option<&DMatrix<T>>,
    method: &Method,
) -> Result<LinearBounds<T>> {
    compute_bounds_tightened(net, domain, spec, method, None)
}

/// [`compute_bounds`] with a hook that may narrow each layer's intermediate bounds right after
/// they are computed, before any later layer uses them (for example
/// [`crate::certify::ProbabilisticTightener`], which makes them hold with high probability under
/// a noise model instead of for every input). With `None` it is exactly [`compute_bounds`].
///
/// # Soundness
/// The returned lines hold for every input of the domain at which every layer's input lies in
/// its (narrowed) interval; the caller accounts for the probability that this fails.
///
/// # Errors
/// As [`compute_bounds`], and the tightener's errors.
pub fn compute_bounds_tightened<T: Float, N: Network<T> + ?Sized>(
    net: &N,
    domain: &InputDomain<T>,
    spec: Option<&DMatrix<T>>,
    method: &Method,
    tightener: Option<&mut dyn IntermediateTightener<T>>,
) -> Result<LinearBounds<T>> {
    let layers = net.layers();
    if layers.is_empty() {
        return Err(Error::EmptyNetwork);
    }
    domain.validate()?;
    check_chain(layers)?;
    if domain.dim() != net.input_dim() {
        return Err(Error::mismatch(
            "input domain dimension (= network input)",
            net.input_dim(),
            domain.dim(),
        ));
    }
    if let Some(c) = spec {
        if c.ncols() != net.output_dim() {
            return Err(Error::mismatch(
                "specification columns (= network outputs)",
                net.output_dim(),
                c.ncols(),
            ));
        }
        if let Some(i) = c.transpose().iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                context: "specification matrix".into(),
                index: i,
                value: c.transpose()[i].as_f64(),
            });
        }
    }
    let bounds = intermediate_bounds(net, domain, method, tightener)?;
    let (lower, upper) = match method.output {
        BoundSource::BackSubstitution => {
            let start = match spec {
                Some(c) => Start::Matrix(c),
                None => Start::Identity((0..net.output_dim()).collect()),
            };
            let ((al, bl), upper) =
                back_substitute_sides(layers, layers.len(), &start, &bounds, method)?;
            let lower = AffineBound { a: al, b: bl };
            let upper = match upper {
                Some((a, b)) => AffineBound { a, b },
                None => lower.clone(),
            };
            (lower, upper)
        }
        BoundSource::Ibp => ibp_output(net, domain, spec, &bounds, method)?,
    };
    Ok(LinearBounds::from_parts(
        lower,
        upper,
        domain.clone(),
        bounds.into_iter().map(Some).collect(),
    ))
}

/// Checks that every layer's input size is the previous layer's output size (a hand-made
/// [`Network`] need not guarantee it, unlike [`crate::Sequential`]).
fn check_chain<T: Float>(layers: &[Box<dyn crate::Layer<T>>]) -> Result<()> {
    for (k, pair) in layers.windows(2).enumerate() {
        if pair[0].output_dim() != pair[1].input_dim() {
            return Err(Error::mismatch(
                format!(
                    "layer {} ({}) input, after layer {k} ({}) output",
                    k + 1,
                    pair[1].kind(),
                    pair[0].kind()
                ),
                pair[0].output_dim(),
                pair[1].input_dim(),
            ));
        }
    }
    Ok(())
}

/// `layer.interval(input)`, checked to have the layer's output size (a custom layer may not).
fn checked_interval<T: Float>(
    layer: &dyn crate::Layer<T>,
    k: usize,
    input: &Interval<T>,
) -> Result<Interval<T>> {
    let out = layer.interval(input);
    if out.dim() != layer.output_dim() {
        return Err(Error::mismatch(
            format!("layer {k} ({}) interval output", layer.kind()),
            layer.output_dim(),
            out.dim(),
        ));
    }
    Ok(out)
}

/// Bounds on every layer's input (index = layer).
fn intermediate_bounds<T: Float, N: Network<T> + ?Sized>(
    net: &N,
    domain: &InputDomain<T>,
    method: &Method,
    mut tightener: Option<&mut dyn IntermediateTightener<T>>,
) -> Result<Vec<Interval<T>>> {
    let layers = net.layers();
    let mut best: Vec<Interval<T>> = Vec::with_capacity(layers.len());
    best.push(domain.bounding_box());
    let mut linear_prefix = layers[0].is_linear();
    for k in 1..layers.len() {
        let reference = checked_interval(layers[k - 1].as_ref(), k - 1, &best[k - 1])?;
        let needs = !layers[k].is_linear();
        let (mut refined, lines) = if needs && k == 1 && tightener.is_none() && is_box(domain) {
            // One affine layer over a box: its interval image is its exact range,
            // `[W⁺l + W⁻u + b, W⁺u + W⁻l + b]` (Gowal et al. 2018, IBP; the same numbers the
            // back-substitution below would give, up to rounding), at the cost of one pass
            // instead of one row per neuron (23,328 rows × 784 on the verivital CNNs). With a
            // tightener the lines are needed, so the rows are back-substituted.
            (reference, None)
        } else if needs && linear_prefix {
            // Everything before is affine: back-substitution is exact (also for IBP, where it is
            // the dual-norm bound of the first affine layer).
            let rows: Vec<usize> = (0..layers[k].input_dim()).collect();
            let (b, lower, upper) = refine_rows(layers, k, &rows, &best, domain, method)?;
            (b.intersect(&reference), Some((rows, lower, upper)))
        } else if needs && method.intermediate == BoundSource::BackSubstitution {
            refine_sparse(
                layers,
                k,
                reference,
                &best,
                domain,
                method,
                tightener.is_some(),
            )?
        } else {
            (reference, None)
        };
        if let (Some(t), Some((rows, lower, upper))) = (tightener.as_deref_mut(), lines) {
            let lines = RowBounds {
                layer: k,
                rows: &rows,
                lower: &lower,
                upper: &upper,
            };
            t.tighten(&lines, layers[k].as_ref(), &mut refined)?;
        }
        linear_prefix &= layers[k].is_linear();
        best.push(refined);
    }
    Ok(best)
}

/// Whether the domain is a box (a general box, or an ℓ∞ ball), where interval arithmetic through
/// one affine layer is exact.
fn is_box<T: Float>(domain: &InputDomain<T>) -> bool {
    matches!(
        domain,
        InputDomain::Box(_)
            | InputDomain::Ball {
                norm: crate::Norm::LInf,
                ..
            }
    )
}

/// Back-substitution bounds on the given rows of layer `k`'s input, as an interval over all rows
/// (rows not listed are left unbounded: callers overwrite them).
fn refine_rows<T: Float>(
    layers: &[Box<dyn crate::Layer<T>>],
    k: usize,
    rows: &[usize],
    best: &[Interval<T>],
    domain: &InputDomain<T>,
    method: &Method,
) -> Result<(Interval<T>, AffineBound<T>, AffineBound<T>)> {
    let n = layers[k].input_dim();
    let mut lo = DVector::from_element(n, T::neg_infinity());
    let mut hi = DVector::from_element(n, T::infinity());
    let start = Start::Identity(rows.to_vec());
    let ((al, bl), upper) = back_substitute_sides(layers, k, &start, best, method)?;
    let (low, up, au, bu) = match upper {
        Some((au, bu)) => {
            let low = domain.concretize_lower(&al, &bl);
            let up = domain.concretize_upper(&au, &bu);
            (low, up, au, bu)
        }
        // Only affine layers below: one set of lines, concretised once for both ends.
        None => {
            let (low, up) = domain.concretize(&al, &bl);
            (low, up, al.clone(), bl.clone())
        }
    };
    for (r, &j) in rows.iter().enumerate() {
        lo[j] = low[r];
        hi[j] = up[r].max(low[r]);
    }
    Ok((
        Interval::new_unchecked(lo, hi),
        AffineBound { a: al, b: bl },
        AffineBound { a: au, b: bu },
    ))
}

/// Refines layer `k`'s input bounds by back-substitution, following the method's sparsity rule.
///
/// Without `lines_needed`, rows whose upper end proves the neuron's lower end irrelevant (an
/// inactive ReLU) are not back-substituted on the lower side ([`upper_first`]).
fn refine_sparse<T: Float>(
    layers: &[Box<dyn crate::Layer<T>>],
    k: usize,
    reference: Interval<T>,
    best: &[Interval<T>],
    domain: &InputDomain<T>,
    method: &Method,
    lines_needed: bool,
) -> Result<(Interval<T>, Option<RowLines<T>>)> {
    let n = layers[k].input_dim();
    let all: Vec<usize> = (0..n).collect();
    let unstable = layers[k].unstable_inputs(&reference);
    let (rows, intersect) = match (method.sparsity, unstable) {
        (Sparsity::All, _) | (_, None) => (all, method.intersect_with_ibp),
        (Sparsity::Unstable, Some(u)) => (u, method.intersect_with_ibp),
        (Sparsity::UnstableUpTo(frac), Some(u)) => {
            if (u.len() as f64) <= frac * n as f64 {
                (u, method.intersect_with_ibp)
            } else {
                (all, method.intersect_with_ibp)
            }
        }
    };
    if rows.is_empty() {
        return Ok((reference, None));
    }
    let (mut lo, mut hi) = reference.clone().into_parts();
    let lines = if method.stability_pretest {
        let settled = pretest::refine_rows_settling(layers, k, &rows, best, domain, method)?;
        // Rows proved stable part-way down keep that bound, intersected with the reference
        // (both hold); the others are set below like any back-substituted row.
        for &j in &settled.settled {
            lo[j] = settled.bounds.lower()[j].max(lo[j]);
            hi[j] = settled.bounds.upper()[j].min(hi[j]);
        }
        if let Some((rows, _, _)) = &settled.remaining {
            for &j in rows {
                lo[j] = settled.bounds.lower()[j];
                hi[j] = settled.bounds.upper()[j];
            }
        }
        settled.remaining
    } else if !lines_needed && !method.complete_intermediate_bounds {
        let refined = upper_first::refine_rows_upper_first(
            layers, k, &rows, best, domain, method, &reference,
        )?;
        for &j in &rows {
            lo[j] = refined.lower()[j];
            hi[j] = refined.upper()[j];
        }
        None
    } else {
        let (refined, lower, upper) = refine_rows(layers, k, &rows, best, domain, method)?;
        for &j in &rows {
            lo[j] = refined.lower()[j];
            hi[j] = refined.upper()[j];
        }
        Some((rows, lower, upper))
    };
    let merged = Interval::new_unchecked(lo, hi);
    let merged = if intersect {
        merged.intersect(&reference)
    } else {
        merged
    };
    Ok((merged, lines))
}

/// The rows that were back-substituted, with their lower and upper lines.
type RowLines<T> = (Vec<usize>, AffineBound<T>, AffineBound<T>);

/// IBP output bounds, with the specification folded into the trailing affine layers.
fn ibp_output<T: Float, N: Network<T> + ?Sized>(
    net: &N,
    domain: &InputDomain<T>,
    spec: Option<&DMatrix<T>>,
    bounds: &[Interval<T>],
    method: &Method,
) -> Result<(AffineBound<T>, AffineBound<T>)> {
    let layers = net.layers();
    let first_trailing = layers
        .iter()
        .rposition(|l| !l.is_linear())
        .map_or(0, |p| p + 1);
    let start = match spec {
        Some(c) => Start::Matrix(c),
        None => Start::Identity((0..net.output_dim()).collect()),
    };
    let (lo, hi) = if first_trailing == layers.len() || !method.ibp_fold_specification {
        // No affine tail (or no folding): bound C·y over the box of the last layer's output.
        let last = layers.len() - 1;
        let out = checked_interval(layers[last].as_ref(), last, &bounds[last])?;
        let c = match &start {
            Start::Matrix(c) => (*c).clone(),
            Start::Identity(rows) => DMatrix::identity(rows.len(), rows.len()),
        };
        InputDomain::Box(out).concretize(&c, &DVector::zeros(c.nrows()))
    } else {
        let tail = &layers[first_trailing..];
        let (a, b) = back_substitute(tail, tail.len(), &start, Side::Lower, &[], method)?;
        if first_trailing == 0 {
            domain.concretize(&a, &b)
        } else {
            InputDomain::Box(bounds[first_trailing].clone()).concretize(&a, &b)
        }
    };
    let rows = lo.len();
    let n = domain.dim();
    Ok((
        AffineBound {
            a: DMatrix::zeros(rows, n),
            b: lo,
        },
        AffineBound {
            a: DMatrix::zeros(rows, n),
            b: hi,
        },
    ))
}
