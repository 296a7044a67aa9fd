//! Certification drivers: radius search (and, with the noise models, probabilistic certificates
//! and their Monte Carlo validation).

mod search;

pub use search::{RadiusSearch, SearchSchedule, search_radius};
