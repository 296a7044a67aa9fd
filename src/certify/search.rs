//! Radius search: the largest noise level (ε or σ) at which a test passes.
//!
//! The test at each level is a full certificate (its own bound-engine call), so the returned
//! radius is one that was itself certified, even where pass/fail is not monotone in the radius —
//! the search may then miss a larger certifiable radius, never report an uncertified one.
//!
//! Two schedules:
//! - [`SearchSchedule::DoublingBisection`] (default; the reference files' schedule): start at
//!   `start`, double while passing (halve while failing) until the status changes, then bisect in
//!   log space (`mid = √(lo·hi)`) for `steps` steps.
//! - [`SearchSchedule::Crown`]: CROWN's `main.py`: multiply/divide by 10 until bracketed, then
//!   bisect linearly; stop after `steps` total evaluations or when the bracket is narrower than
//!   `tolerance`.
//!
//! # References
//! Zhang et al., *CROWN*, NeurIPS 2018, code `main.py` (search); Weng et al., *PROVEN*, ICML 2019.

use crate::{Error, Result};

/// How the radius is searched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SearchSchedule {
    /// Double/halve from `start` until bracketed, then `steps` log-space bisections.
    DoublingBisection {
        /// First radius tried.
        start: f64,
        /// Number of bisection steps after bracketing.
        steps: usize,
    },
    /// CROWN's ×10 / ÷10 bracketing and linear bisection.
    Crown {
        /// First radius tried.
        start: f64,
        /// Total number of evaluations.
        steps: usize,
        /// Stop when `hi − lo` is below this.
        tolerance: f64,
    },
}

impl Default for SearchSchedule {
    fn default() -> Self {
        SearchSchedule::DoublingBisection {
            start: 0.01,
            steps: 20,
        }
    }
}

/// The outcome of a radius search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RadiusSearch {
    /// The largest radius that passed (0 if none did).
    pub certified: f64,
    /// The smallest radius above `certified` that failed (`f64::INFINITY` if none did).
    pub failed: f64,
    /// Number of evaluations of the test.
    pub evaluations: usize,
}

/// Limits that keep the bracketing finite.
const MAX_BRACKET_STEPS: usize = 60;
const MIN_RADIUS: f64 = 1e-12;
const MAX_RADIUS: f64 = 1e12;

/// Runs the search with `test(radius) -> passed`.
///
/// # Errors
/// [`Error::InvalidParameter`] for a non-positive start or a NaN tolerance, and any error of
/// `test`.
///
/// # Examples
/// ```
/// use proven::certify::{search_radius, SearchSchedule};
/// let r = search_radius(SearchSchedule::default(), |eps| Ok(eps <= 0.123)).unwrap();
/// assert!(r.certified <= 0.123 && r.failed > 0.123 && r.failed / r.certified < 1.0 + 1e-5);
/// ```
pub fn search_radius(
    schedule: SearchSchedule,
    mut test: impl FnMut(f64) -> Result<bool>,
) -> Result<RadiusSearch> {
    let (start, factor) = match schedule {
        SearchSchedule::DoublingBisection { start, .. } => (start, 2.0),
        SearchSchedule::Crown { start, .. } => (start, 10.0),
    };
    if start.is_nan() || start <= 0.0 || !start.is_finite() {
        return Err(Error::invalid(
            "start",
            start,
            "the search must start at a radius > 0",
        ));
    }
    let count = std::cell::Cell::new(0usize);
    let mut eval = |r: f64| {
        count.set(count.get() + 1);
        test(r)
    };
    // Bracket.
    let mut lo = 0.0;
    let mut hi = f64::INFINITY;
    let mut r = start;
    let first = eval(r)?;
    if first {
        lo = r;
    } else {
        hi = r;
    }
    for _ in 0..MAX_BRACKET_STEPS {
        if first {
            r *= factor;
            if r > MAX_RADIUS {
                break;
            }
            if eval(r)? {
                lo = r;
            } else {
                hi = r;
                break;
            }
        } else {
            r /= factor;
            if r < MIN_RADIUS {
                break;
            }
            if eval(r)? {
                lo = r;
                break;
            } else {
                hi = r;
            }
        }
    }
    if lo == 0.0 || hi.is_infinite() {
        return Ok(RadiusSearch {
            certified: lo,
            failed: hi,
            evaluations: count.get(),
        });
    }
    // Bisect.
    match schedule {
        SearchSchedule::DoublingBisection { steps, .. } => {
            for _ in 0..steps {
                let mid = (lo * hi).sqrt();
                if eval(mid)? {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
        }
        SearchSchedule::Crown {
            steps, tolerance, ..
        } => {
            if tolerance.is_nan() {
                return Err(Error::invalid("tolerance", tolerance, "must be a number"));
            }
            while count.get() < steps && hi - lo > tolerance {
                let mid = 0.5 * (lo + hi);
                if eval(mid)? {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
        }
    }
    Ok(RadiusSearch {
        certified: lo,
        failed: hi,
        evaluations: count.get(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_threshold_with_both_schedules() {
        for t in [1e-6, 0.003, 0.01, 0.5, 37.0] {
            let r = search_radius(SearchSchedule::default(), |e| Ok(e <= t)).unwrap();
            assert!(r.certified <= t && t < r.failed, "{t}: {r:?}");
            assert!(r.failed / r.certified < 1.0 + 1e-5);
            let c = SearchSchedule::Crown {
                start: 0.005,
                steps: 40,
                tolerance: 1e-9,
            };
            let r = search_radius(c, |e| Ok(e <= t)).unwrap();
            assert!(r.certified <= t && t < r.failed, "{t}: {r:?}");
        }
    }

    #[test]
    fn never_passing_gives_zero_and_always_passing_is_bounded() {
        let r = search_radius(SearchSchedule::default(), |_| Ok(false)).unwrap();
        assert!(r.certified.abs() < f64::MIN_POSITIVE);
        let r = search_radius(SearchSchedule::default(), |_| Ok(true)).unwrap();
        assert!(r.failed.is_infinite() && r.certified > 1e11);
    }

    #[test]
    fn returned_radius_was_tested_even_when_not_monotone() {
        // Passes on (0, 0.02] and on the island [0.05, 0.06].
        let pass = |e: f64| e <= 0.02 || (0.05..=0.06).contains(&e);
        let mut tested = Vec::new();
        let r = search_radius(SearchSchedule::default(), |e| {
            tested.push(e);
            Ok(pass(e))
        })
        .unwrap();
        assert!(pass(r.certified));
        assert!(tested.iter().any(|&t| t.to_bits() == r.certified.to_bits()));
    }

    #[test]
    fn rejects_bad_start() {
        let s = SearchSchedule::DoublingBisection {
            start: -1.0,
            steps: 3,
        };
        assert!(matches!(
            search_radius(s, |_| Ok(true)),
            Err(Error::InvalidParameter { name: "start", .. })
        ));
    }
}
