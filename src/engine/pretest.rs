//! Back-substitution of intermediate rows with early stability checks: rows whose neuron is
//! proved stable part-way down are not carried further.
//!
//! Row `z_j` of layer `k`'s input is back-substituted layer by layer. Each time the lines
//! `Λ_L·y + Δ_L ≤ z_j ≤ Λ_U·y + Δ_U` reach the output `y` of an activation layer (after at
//! least one activation has been crossed), they are concretised over the box `B` already known
//! to contain `y`:
//!
//! ```text
//! l_j = min_{y ∈ B} Λ_L·y + Δ_L,      u_j = max_{y ∈ B} Λ_U·y + Δ_U
//! ```
//!
//! Every `y` reached from the domain lies in `B`, so `[l_j, u_j]` bounds `z_j`. If it proves the
//! neuron stable (`l_j ≥ 0` or `u_j ≤ 0` for a ReLU; [`crate::Layer::unstable_inputs`] in
//! general), its relaxation is the exact line whatever tighter interval the rest of the pass
//! would give, so the row is dropped; the other rows continue unchanged, and those that reach the
//! input get exactly the lines the full pass gives them. A check costs one concretisation of the
//! current lines (`rows × width`), against the products of every layer below that it saves.
//!
//! This is DeepPoly's early stop (Singh et al., *An abstract domain for certifying neural
//! networks*, POPL 2019, §5: back-substitution stops once a neuron's sign is decided), used here
//! for every row together. On the 784-1024×3 MLP of `docs/performance.md` it settles most rows
//! that IBP leaves unstable before they reach the 784-wide input.

use super::Method;
use super::backsub::{Sides, Start};
use crate::linear_bounds::AffineBound;
use crate::{Float, InputDomain, Interval, Layer, Result};
use nalgebra::DVector;

/// The result of [`refine_rows_settling`].
pub(super) struct Settled<T: Float> {
    /// Bounds over every row of layer `k`'s input: set on the requested rows, `±∞` elsewhere.
    pub bounds: Interval<T>,
    /// Requested rows proved stable part-way down.
    pub settled: Vec<usize>,
    /// The other requested rows (back-substituted to the input), with their lines there.
    pub remaining: Option<(Vec<usize>, AffineBound<T>, AffineBound<T>)>,
}

/// Back-substitutes `rows` of layer `k`'s input to the domain, dropping the rows proved stable
/// on the way (see the module documentation).
pub(super) fn refine_rows_settling<T: Float>(
    layers: &[Box<dyn Layer<T>>],
    k: usize,
    rows: &[usize],
    best: &[Interval<T>],
    domain: &InputDomain<T>,
    method: &Method,
) -> Result<Settled<T>> {
    let n = layers[k].input_dim();
    let mut lo = DVector::from_element(n, T::neg_infinity());
    let mut hi = DVector::from_element(n, T::infinity());
    let mut left = rows.to_vec();
    let mut settled = Vec::new();
    let top = k - 1;
    let mut state = Sides::start(layers, top, &Start::Identity(left.clone()), best, method)?;
    let mut crossed_activation = !layers[top].is_linear();
    for j in (0..top).rev() {
        state = state.step(layers, j, best, method)?;
        crossed_activation |= !layers[j].is_linear();
        let on_activation_output = j > 0 && !layers[j - 1].is_linear();
        if !(crossed_activation && on_activation_output) || left.is_empty() {
            continue;
        }
        // The lines sit on layer j's input, the output of an activation, bounded by best[j].
        let below = InputDomain::Box(best[j].clone());
        let ((al, bl), (au, bu)) = state.lines();
        let low = below.concretize_lower(al, bl);
        let up = below.concretize_upper(au, bu);
        let mut trial_lo = DVector::from_element(n, T::neg_infinity());
        let mut trial_hi = DVector::from_element(n, T::infinity());
        for (r, &row) in left.iter().enumerate() {
            trial_lo[row] = low[r];
            trial_hi[row] = up[r].max(low[r]);
        }
        let trial = Interval::new_unchecked(trial_lo, trial_hi);
        let Some(unstable) = layers[k].unstable_inputs(&trial) else {
            // The layer cannot tell stable neurons: nothing to settle.
            break;
        };
        let mut is_unstable = vec![false; n];
        for &row in &unstable {
            is_unstable[row] = true;
        }
        let keep: Vec<usize> = (0..left.len()).filter(|&r| is_unstable[left[r]]).collect();
        if keep.len() == left.len() {
            continue;
        }
        for &row in &left {
            if !is_unstable[row] {
                lo[row] = trial.lower()[row];
                hi[row] = trial.upper()[row];
                settled.push(row);
            }
        }
        left = keep.iter().map(|&r| left[r]).collect();
        state = state.keep_rows(&keep);
    }
    let remaining = if left.is_empty() {
        None
    } else {
        let ((al, bl), upper) = state.into_parts();
        let (low, up, au, bu) = match upper {
            Some((au, bu)) => (
                domain.concretize_lower(&al, &bl),
                domain.concretize_upper(&au, &bu),
                au,
                bu,
            ),
            None => {
                let (low, up) = domain.concretize(&al, &bl);
                (low, up, al.clone(), bl.clone())
            }
        };
        for (r, &row) in left.iter().enumerate() {
            lo[row] = low[r];
            hi[row] = up[r].max(low[r]);
        }
        Some((
            left,
            AffineBound { a: al, b: bl },
            AffineBound { a: au, b: bu },
        ))
    };
    Ok(Settled {
        bounds: Interval::new_unchecked(lo, hi),
        settled,
        remaining,
    })
}
