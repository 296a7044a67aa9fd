//! [`Method`]: which bound-propagation algorithm to run.
//!
//! Methods differ in two independent choices — where intermediate bounds come from (IBP or
//! back-substitution) and which relaxation unstable ReLUs get — not in separate code paths.
//!
//! | method | intermediate bounds | final bounds | ReLU lower slope |
//! |---|---|---|---|
//! | [`Method::ibp`] | IBP | IBP (specification folded into the last affine layers) | — |
//! | [`Method::crown_ibp`] | IBP | back-substitution | adaptive |
//! | [`Method::fast_lin`] | back-substitution | back-substitution | same as upper |
//! | [`Method::crown`] | back-substitution | back-substitution | adaptive |

use crate::activation::{RelaxationPolicy, ReluLowerSlope};

/// Where a layer's intermediate (pre-activation) bounds come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BoundSource {
    /// Interval bound propagation.
    Ibp,
    /// Linear back-substitution to the input, concretised over the domain.
    BackSubstitution,
}

/// Which intermediate rows are refined by back-substitution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sparsity {
    /// Refine only the neurons whose relaxation can still change (unstable under the IBP
    /// reference interval); the others keep the reference interval.
    Unstable,
    /// auto_LiRPA's default rule: as [`Sparsity::Unstable`] when at most this fraction of the
    /// layer is unstable, otherwise refine every neuron (and then keep the back-substitution
    /// result alone).
    UnstableUpTo(f64),
    /// Refine every neuron ("dense" textbook CROWN).
    All,
}

/// A bound-propagation method. Build one with the named constructors and adjust with the
/// `with_*` methods.
///
/// # Examples
/// ```
/// use proven::Method;
/// let m = Method::crown().auto_lirpa_compatible();
/// assert_eq!(m.name(), "CROWN");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Method {
    /// Source of intermediate bounds.
    pub intermediate: BoundSource,
    /// Source of the final bounds.
    pub output: BoundSource,
    /// Relaxation choices.
    pub relaxation: RelaxationPolicy,
    /// Which intermediate rows are refined.
    pub sparsity: Sparsity,
    /// Intersect every refined intermediate interval with its IBP reference (sound, never looser).
    pub intersect_with_ibp: bool,
    /// Under IBP output bounds: fold the specification into the trailing affine layers (tighter)
    /// instead of applying it to the output box by interval arithmetic (auto_LiRPA's way).
    pub ibp_fold_specification: bool,
    /// Check intermediate rows for stability each time their lines reach an activation's output
    /// on the way down (concretised over that output's interval bounds) and stop carrying the
    /// rows proved stable (DeepPoly's early stop). Off by default; see
    /// [`Method::with_stability_pretest`].
    pub stability_pretest: bool,
    /// Compute both ends of every refined intermediate row. When `false` (the default) and no
    /// tightener needs the rows' lines, a row whose upper end already makes its lower end
    /// irrelevant downstream (an inactive ReLU: `u ≤ 0` fixes both its relaxation and its
    /// output `[0, 0]`) keeps the lower end of its IBP reference instead of a back-substituted
    /// one. Every final line and bound is unchanged; only the reported intermediate lower end
    /// of such a neuron differs (still sound, but not the back-substituted value).
    pub complete_intermediate_bounds: bool,
    name: &'static str,
}

impl Method {
    fn back_substitution(name: &'static str, relu_lower: ReluLowerSlope) -> Self {
        Self {
            intermediate: BoundSource::BackSubstitution,
            output: BoundSource::BackSubstitution,
            relaxation: RelaxationPolicy { relu_lower },
            sparsity: Sparsity::Unstable,
            intersect_with_ibp: true,
            ibp_fold_specification: true,
            stability_pretest: false,
            complete_intermediate_bounds: false,
            name,
        }
    }

    /// Interval bound propagation.
    pub fn ibp() -> Self {
        Self {
            intermediate: BoundSource::Ibp,
            output: BoundSource::Ibp,
            relaxation: RelaxationPolicy::default(),
            sparsity: Sparsity::All,
            intersect_with_ibp: false,
            ibp_fold_specification: true,
            stability_pretest: false,
            complete_intermediate_bounds: false,
            name: "IBP",
        }
    }

    /// Fast-Lin (Weng et al., ICML 2018): the same slope `u/(u−l)` for both ReLU lines.
    pub fn fast_lin() -> Self {
        Self::back_substitution("Fast-Lin", ReluLowerSlope::SameAsUpper)
    }

    /// CROWN (Zhang et al., NeurIPS 2018) with the adaptive ReLU lower slope.
    pub fn crown() -> Self {
        Self::back_substitution("CROWN", ReluLowerSlope::Adaptive)
    }

    /// CROWN-IBP (Zhang et al., ICLR 2020): IBP intermediate bounds, CROWN for the output.
    pub fn crown_ibp() -> Self {
        Self {
            intermediate: BoundSource::Ibp,
            ..Self::back_substitution("CROWN-IBP", ReluLowerSlope::Adaptive)
        }
    }

    /// The exact rules of auto_LiRPA's defaults (refine unstable rows only when at most 90 % of a
    /// layer is unstable, never intersect with IBP, apply a specification to IBP output boxes by
    /// interval arithmetic), to reproduce its numbers.
    pub fn auto_lirpa_compatible(self) -> Self {
        Self {
            sparsity: Sparsity::UnstableUpTo(0.9),
            intersect_with_ibp: false,
            ibp_fold_specification: false,
            ..self
        }
    }

    /// Textbook ("dense") back-substitution: every intermediate neuron refined (both ends), no
    /// IBP intersection, no stability pre-test.
    pub fn dense(self) -> Self {
        Self {
            sparsity: Sparsity::All,
            intersect_with_ibp: false,
            stability_pretest: false,
            complete_intermediate_bounds: true,
            ..self
        }
    }

    /// The same method with the stability pre-test ([`Method::stability_pretest`]): rows
    /// proved stable part-way down are not carried to the input. Sound, and faster when many
    /// rows settle early (784-1024×3 MLP: about 60 % of the second hidden layer's rows, 5–10 %
    /// of the time), but the settled rows keep a looser interval than the full pass would give,
    /// and through later layers' IBP references that can loosen the final bounds a little
    /// (mnistfc 256x4: margin lower bound −0.7119 instead of −0.7055), so it is off by default.
    pub fn with_stability_pretest(self) -> Self {
        Self {
            stability_pretest: true,
            ..self
        }
    }

    /// The same method computing both ends of every refined intermediate row
    /// ([`Method::complete_intermediate_bounds`]), for callers that read the intermediate bounds
    /// themselves (for example to compare them with another tool's).
    pub fn with_complete_intermediate_bounds(self) -> Self {
        Self {
            complete_intermediate_bounds: true,
            ..self
        }
    }

    /// The same method with another ReLU lower slope.
    pub fn with_relu_lower(self, relu_lower: ReluLowerSlope) -> Self {
        Self {
            relaxation: RelaxationPolicy { relu_lower },
            ..self
        }
    }

    /// The method's name (`"IBP"`, `"Fast-Lin"`, `"CROWN"`, `"CROWN-IBP"`).
    pub fn name(&self) -> &'static str {
        self.name
    }
}
