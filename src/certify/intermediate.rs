//! Probabilistic intermediate bounds: each unstable neuron's interval is narrowed to a side that
//! holds with high probability under the noise model, layer by layer in one forward sweep.
//!
//! For a row `z_j` of layer `k` with lines `a_L·x + b_L ≤ z_j(x) ≤ a_U·x + b_U` (valid on the
//! noise region `B` whenever every earlier layer's input lies in its interval, the event
//! `E_{<k}`), and `c = x0 + E[Δ]`:
//!
//! ```text
//! l_j = a_L·c + b_L − s_L,   P[a_L·(Δ − EΔ) < −s_L] ≤ d      (s_L = deficit(a_L, d))
//! u_j = a_U·c + b_U + s_U,   P[a_U·(Δ − EΔ) >  s_U] ≤ d
//! ```
//! A side is used only where the neuron is unstable under its worst-case interval and the side
//! is strictly tighter; each used side is charged its budget `d`. Every threshold is a
//! deterministic function of (network, x0, noise, δ), so
//!
//! ```text
//! {some interval fails} ⊆ ∪_k ∪_{charged sides of layer k} (E_{<k} ∩ {that side fails})
//!                       ⊆ ∪_{charged sides} {a·(Δ − EΔ) beyond its deficit}
//! P[some interval fails] ≤ charged = d · (number of charged sides)
//! ```
//! (the union is split by the first layer that fails; events are intersected with `E_{<k}`,
//! never conditioned on it). On the complement the final margin lines hold, so
//! `P[top-1 changes] ≤ P[X ∉ B] + charged + Σ_t P[a_t·X + b_t ≤ 0]`.
//!
//! # References
//! The method note `probabilistic-intermediate-bounds.md` of this project (sequential variant);
//! Weng et al., *PROVEN*, ICML 2019 (final-layer test).

use crate::activation::{round_down, round_up};
use crate::engine::{IntermediateTightener, RowBounds};
use crate::noise::{DeficitSolver, NoiseModel, Probability, TailBound, chernoff_deficit};
use crate::{Float, Interval, Layer, Result};

/// Narrows intermediate intervals with a noise model's tail at a fixed per-side budget, and
/// keeps the accounting.
///
/// # Cost
/// Where the tail has a closed-form inverse ([`NoiseModel::closed_form`]: sub-Gaussian,
/// Hoeffding, Bernstein, exact normal) every side costs one pass over its row (the spreads of
/// a whole layer's rows are computed in one column-major sweep, the multiplier once per
/// budget). [`TailBound::Chernoff`] on noise without a closed form for it is applied in two
/// steps: the sub-Gaussian closed form for every unstable neuron, then the Chernoff deficit
/// ([`chernoff_deficit`], never larger) only for the neurons still unstable after that.
#[derive(Debug)]
pub struct ProbabilisticTightener<'a> {
    noise: &'a dyn NoiseModel,
    center: Vec<f64>,
    solver: DeficitSolver<'a>,
    chernoff_refine: bool,
    side_budget: f64,
    charged: Probability,
    sides: usize,
    scratch: Vec<f64>,
}

impl<'a> ProbabilisticTightener<'a> {
    /// A tightener for noise around `x0` (`center = x0 + E[Δ]` is computed here), charging
    /// `side_budget` per narrowed side.
    ///
    /// # Errors
    /// [`crate::Error::DimensionMismatch`] if `x0` does not fit the noise;
    /// [`crate::Error::InvalidParameter`] for a budget outside (0, 1);
    /// [`crate::Error::NotCertified`] for an estimate.
    pub fn new(
        noise: &'a dyn NoiseModel,
        x0: &[f64],
        tail: TailBound,
        side_budget: f64,
    ) -> Result<Self> {
        if x0.len() != noise.dim() {
            return Err(crate::Error::mismatch(
                "probabilistic intermediate bounds: x0 (= noise dimension)",
                noise.dim(),
                x0.len(),
            ));
        }
        if side_budget.is_nan() || side_budget <= 0.0 || side_budget >= 1.0 {
            return Err(crate::Error::invalid(
                "side_budget",
                side_budget,
                "the per-side budget must lie in (0, 1)",
            ));
        }
        // Chernoff without a closed form: sub-Gaussian first (it bounds the same MGF, so it is
        // valid wherever Chernoff is), Chernoff for the sides that stay unstable.
        let chernoff_refine = tail == TailBound::Chernoff
            && noise.closed_form(TailBound::Chernoff).is_none()
            && noise.closed_form(TailBound::SubGaussian).is_some();
        let first = if chernoff_refine {
            TailBound::SubGaussian
        } else {
            tail
        };
        let solver = DeficitSolver::new(noise, first, side_budget)?;
        let center = x0.iter().zip(noise.mean()).map(|(x, m)| x + m).collect();
        Ok(Self {
            noise,
            center,
            solver,
            chernoff_refine,
            side_budget,
            charged: Probability::ZERO,
            sides: 0,
            scratch: Vec::new(),
        })
    }

    /// Certified upper bound on the probability that some narrowed side fails.
    pub fn charged(&self) -> Probability {
        self.charged
    }

    /// Number of narrowed (charged) sides.
    pub fn sides(&self) -> usize {
        self.sides
    }

    /// The per-side budget.
    pub fn side_budget(&self) -> f64 {
        self.side_budget
    }

    fn charge(&mut self) -> Result<()> {
        self.sides += 1;
        self.charged = self.charged.add_upper(Probability::new(self.side_budget)?);
        Ok(())
    }

    /// The deficits of both sides of the unstable rows (`+∞` for the others).
    fn side_deficits<T: Float>(
        &mut self,
        lines: &RowBounds<'_, T>,
        unstable: &[bool],
    ) -> Result<(Vec<f64>, Vec<f64>)> {
        if self.solver.has_closed_form() {
            return Ok((
                self.solver.deficits(&lines.lower.a, false)?,
                self.solver.deficits(&lines.upper.a, true)?,
            ));
        }
        let rows = lines.rows.len();
        let (mut low, mut up) = (vec![f64::INFINITY; rows], vec![f64::INFINITY; rows]);
        for (r, &j) in lines.rows.iter().enumerate() {
            if unstable[j] {
                low[r] = self
                    .solver
                    .deficit_of(&lines.lower.a, r, false, &mut self.scratch)?;
                up[r] = self
                    .solver
                    .deficit_of(&lines.upper.a, r, true, &mut self.scratch)?;
            }
        }
        Ok((low, up))
    }

    /// The Chernoff deficit of row `r` of `a` (of `−a` when `negate`), improving on `start`.
    fn chernoff<T: Float>(
        &mut self,
        a: &nalgebra::DMatrix<T>,
        r: usize,
        negate: bool,
        start: f64,
    ) -> Result<f64> {
        if !(start.is_finite() && start > 0.0) {
            return Ok(start);
        }
        self.scratch.clear();
        self.scratch.extend(a.row(r).iter().map(|v| {
            let v = v.as_f64();
            if negate { -v } else { v }
        }));
        chernoff_deficit(self.noise, &self.scratch, self.side_budget, start)
    }
}

impl<T: Float> IntermediateTightener<T> for ProbabilisticTightener<'_> {
    fn tighten(
        &mut self,
        lines: &RowBounds<'_, T>,
        layer: &dyn Layer<T>,
        interval: &mut Interval<T>,
    ) -> Result<()> {
        let n = interval.dim();
        let unstable = match layer.unstable_inputs(interval) {
            Some(list) => {
                let mut mask = vec![false; n];
                for j in list {
                    mask[j] = true;
                }
                mask
            }
            None => vec![true; n],
        };
        if !lines.rows.iter().any(|&j| unstable[j]) {
            return Ok(());
        }
        let mu_low = crate::noise::row_dots(&lines.lower.a, &self.center);
        let mu_up = crate::noise::row_dots(&lines.upper.a, &self.center);
        let (s_low, s_up) = self.side_deficits(lines, &unstable)?;
        for (r, &j) in lines.rows.iter().enumerate() {
            if !unstable[j] {
                continue;
            }
            // Lower side: P[a_L·(Δ − EΔ) < −s] ≤ d. Upper side: P[(−a_U)·(Δ − EΔ) < −s] ≤ d.
            let mu_l = mu_low[r] + lines.lower.b[r].as_f64();
            let mu_u = mu_up[r] + lines.upper.b[r].as_f64();
            let (mut sl, mut su) = (s_low[r], s_up[r]);
            if self.chernoff_refine {
                let l = interval.lower()[j].as_f64().max(mu_l - sl);
                let u = interval.upper()[j].as_f64().min(mu_u + su);
                if l < 0.0 && u > 0.0 {
                    sl = self.chernoff(&lines.lower.a, r, false, sl)?;
                    su = self.chernoff(&lines.upper.a, r, true, su)?;
                }
            }
            if sl.is_finite() && interval.raise_lower(j, round_down::<T>(mu_l - sl)) {
                self.charge()?;
            }
            if su.is_finite() && interval.lower_upper(j, round_up::<T>(mu_u + su)) {
                self.charge()?;
            }
        }
        Ok(())
    }
}
