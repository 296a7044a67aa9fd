//! Intermediate rows back-substituted upper side first, lower side only where it matters.
//!
//! A ReLU neuron with pre-activation upper bound `u_j ≤ 0` is inactive on the whole domain: its
//! relaxation is `0 ≤ relu(z) ≤ 0` and its output interval `[0, 0]`, whatever its lower bound.
//! So after the upper lines `z ≤ Λ_U·x + Δ_U` of all rows are concretised, the lower side is
//! back-substituted only for the rows where the lower end can still change something; the
//! others keep the lower end of their IBP reference (a sound bound, never used downstream).
//!
//! Which rows qualify is asked of the layer itself, so the rule holds for any activation: row
//! `j` skips its lower side when the layer is stable on `[−∞, u_j]`
//! ([`crate::Layer::unstable_inputs`]) and its interval image of `[−∞, u]` is finite in every
//! output (so no output depends on the lower ends). For a ReLU this is exactly `u_j ≤ 0`; a
//! leaky ReLU, a sigmoid or a max-pool never qualify.
//!
//! The lines each side gets are exactly those of the two-sided pass (an affine step does not
//! depend on the side), so the bounds of the rows computed are unchanged.

use super::Method;
use super::backsub::{Start, back_substitute};
use crate::layers::Side;
use crate::{Float, InputDomain, Interval, Layer, Result};
use nalgebra::DVector;

/// Back-substitution bounds on `rows` of layer `k`'s input, lower ends only where needed (see
/// the module documentation); rows not listed get `reference`'s values.
pub(super) fn refine_rows_upper_first<T: Float>(
    layers: &[Box<dyn Layer<T>>],
    k: usize,
    rows: &[usize],
    best: &[Interval<T>],
    domain: &InputDomain<T>,
    method: &Method,
    reference: &Interval<T>,
) -> Result<Interval<T>> {
    let (mut lo, mut hi) = reference.clone().into_parts();
    let (au, bu) = back_substitute(
        layers,
        k,
        &Start::Identity(rows.to_vec()),
        Side::Upper,
        best,
        method,
    )?;
    let up = domain.concretize_upper(&au, &bu);
    for (r, &j) in rows.iter().enumerate() {
        hi[j] = up[r];
    }
    let lower_needed = rows_needing_lower(layers[k].as_ref(), rows, &hi);
    if !lower_needed.is_empty() {
        let (al, bl) = back_substitute(
            layers,
            k,
            &Start::Identity(lower_needed.clone()),
            Side::Lower,
            best,
            method,
        )?;
        let low = domain.concretize_lower(&al, &bl);
        for (r, &j) in lower_needed.iter().enumerate() {
            lo[j] = low[r];
        }
    }
    for &j in rows {
        hi[j] = hi[j].max(lo[j]);
    }
    Ok(Interval::new_unchecked(lo, hi))
}

/// The rows whose lower end can matter downstream, given the upper ends `upper` (all rows of
/// the layer's input; only `rows` are looked at).
fn rows_needing_lower<T: Float>(
    layer: &dyn Layer<T>,
    rows: &[usize],
    upper: &DVector<T>,
) -> Vec<usize> {
    let n = upper.len();
    let open_below =
        Interval::new_unchecked(DVector::from_element(n, T::neg_infinity()), upper.clone());
    let Some(unstable) = layer.unstable_inputs(&open_below) else {
        return rows.to_vec();
    };
    let image = layer.interval(&open_below);
    let finite = image
        .lower()
        .iter()
        .chain(image.upper().iter())
        .all(|v| v.is_finite());
    if !finite {
        return rows.to_vec();
    }
    let mut is_unstable = vec![false; n];
    for j in unstable {
        is_unstable[j] = true;
    }
    rows.iter().copied().filter(|&j| is_unstable[j]).collect()
}
