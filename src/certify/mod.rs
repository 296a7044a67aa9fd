//! Certification drivers: probabilistic certificates ([`Certifier`]), radius search, and Monte
//! Carlo validation of certificates.

mod batch;
mod family;
mod intermediate;
mod monte_carlo;
mod monte_carlo_intervals;
mod probabilistic;
mod search;

pub use family::NoiseFamily;
pub use intermediate::ProbabilisticTightener;
pub use monte_carlo::{
    MONTE_CARLO_BATCH, MonteCarloReport, RowsMonteCarloReport, monte_carlo_rows, monte_carlo_top1,
};
pub use monte_carlo_intervals::{IntervalsMonteCarloReport, monte_carlo_intervals};
pub use probabilistic::{
    Certifier, IntermediateAccounting, IntermediateMode, ProbabilisticCertificate, RadiiReport,
    RadiusReport,
};
pub use search::{RadiusSearch, SearchSchedule, search_radius};

#[cfg(test)]
mod tests;
