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
use crate::noise::{NoiseModel, Probability, TailBound, deficit};
use crate::{Float, Interval, Layer, Result};

/// Narrows intermediate intervals with a noise model's tail at a fixed per-side budget, and
/// keeps the accounting.
#[derive(Debug)]
pub struct ProbabilisticTightener<'a> {
    noise: &'a dyn NoiseModel,
    center: Vec<f64>,
    tail: TailBound,
    side_budget: f64,
    charged: Probability,
    sides: usize,
}

impl<'a> ProbabilisticTightener<'a> {
    /// A tightener for noise around `x0` (`center = x0 + E[Δ]` is computed here), charging
    /// `side_budget` per narrowed side.
    ///
    /// # Errors
    /// [`crate::Error::DimensionMismatch`] if `x0` does not fit the noise;
    /// [`crate::Error::InvalidParameter`] for a budget outside (0, 1).
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
        let center = x0.iter().zip(noise.mean()).map(|(x, m)| x + m).collect();
        Ok(Self {
            noise,
            center,
            tail,
            side_budget,
            charged: Probability::ZERO,
            sides: 0,
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
}

impl<T: Float> IntermediateTightener<T> for ProbabilisticTightener<'_> {
    fn tighten(
        &mut self,
        lines: &RowBounds<'_, T>,
        layer: &dyn Layer<T>,
        interval: &mut Interval<T>,
    ) -> Result<()> {
        let n = interval.dim();
        let mut unstable = vec![true; n];
        if let Some(list) = layer.unstable_inputs(interval) {
            unstable = vec![false; n];
            for j in list {
                unstable[j] = true;
            }
        }
        let mut row = vec![0.0; self.center.len()];
        for (r, &j) in lines.rows.iter().enumerate() {
            if !unstable[j] {
                continue;
            }
            // Lower side.
            for (k, v) in row.iter_mut().enumerate() {
                *v = lines.lower.a[(r, k)].as_f64();
            }
            let mu = dot(&row, &self.center) + lines.lower.b[r].as_f64();
            let s = deficit(self.noise, &row, self.side_budget, self.tail)?;
            if interval.raise_lower(j, round_down::<T>(mu - s)) {
                self.charge()?;
            }
            // Upper side: P[a_U·(Δ − EΔ) > s] = P[(−a_U)·(Δ − EΔ) < −s].
            for (k, v) in row.iter_mut().enumerate() {
                *v = -lines.upper.a[(r, k)].as_f64();
            }
            let mu = -dot(&row, &self.center) + lines.upper.b[r].as_f64();
            let s = deficit(self.noise, &row, self.side_budget, self.tail)?;
            if interval.lower_upper(j, round_up::<T>(mu + s)) {
                self.charge()?;
            }
        }
        Ok(())
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
