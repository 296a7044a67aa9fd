//! The crate's single error type.
//!
//! Every fallible public function returns [`Result`]. Variants carry structured fields naming what
//! is wrong and where (layer, index, value, file), so callers can match on them and people can act
//! on the message.

use std::path::PathBuf;

/// Everything that can go wrong in `proven`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two sizes that must agree do not.
    #[error("{context}: dimension mismatch, expected {expected}, found {found}")]
    DimensionMismatch {
        /// Where the mismatch was found (for example `"layer 2 (dense) input"`).
        context: String,
        /// The size that was required.
        expected: usize,
        /// The size that was given.
        found: usize,
    },
    /// A scalar parameter is outside its valid range (for example `ε < 0` or `δ ∉ (0, 1)`).
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// Name of the parameter.
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// What the valid range is.
        reason: &'static str,
    },
    /// A NaN or infinite number where a finite one is required.
    #[error("{context}: non-finite value {value} at index {index}")]
    NonFinite {
        /// Where the value was found (for example `"layer 0 (dense) weights"`).
        context: String,
        /// Flat (row-major) index of the value.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// An interval whose lower end lies above its upper end.
    #[error("{context}: interval at index {index} has lower {lower} > upper {upper}")]
    InvalidInterval {
        /// Where the interval was given.
        context: String,
        /// Index of the coordinate.
        index: usize,
        /// Lower end.
        lower: f64,
        /// Upper end.
        upper: f64,
    },
    /// A network with no layers.
    #[error("the network has no layers")]
    EmptyNetwork,
    /// A covariance matrix that is not symmetric positive semi-definite.
    #[error("covariance matrix is not positive semi-definite: {reason}")]
    NotPositiveSemiDefinite {
        /// What failed (for example the pivot that went negative).
        reason: String,
    },
    /// The requested combination is not supported (for example a method on a layer kind).
    #[error("unsupported: {what}")]
    Unsupported {
        /// What is not supported, and where.
        what: String,
    },
    /// Reading a file failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A model file could not be parsed or converted.
    #[error("{path}: {message}")]
    Model {
        /// The file (or `"<memory>"`).
        path: String,
        /// What is wrong, naming the node or tensor.
        message: String,
    },
    /// An ONNX model could not be read or converted.
    #[error("{path}: {kind}")]
    Onnx {
        /// The file (or `"<memory>"`).
        path: String,
        /// What is wrong, naming the node or tensor.
        kind: crate::io::onnx::OnnxErrorKind,
    },
    /// A VNN-LIB property file could not be parsed.
    #[error("{path}:{line}:{column}: {kind}")]
    VnnLib {
        /// The file (or `"<memory>"`).
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        kind: crate::io::vnnlib::VnnLibErrorKind,
    },
    /// A tail bound was requested that is not valid (or not implemented) for a noise model, for
    /// example Hoeffding's inequality for Gaussian noise, which is unbounded.
    #[error("tail bound {bound} is not valid for noise model {model}: {reason}")]
    UnsupportedTailBound {
        /// The noise model (its short name).
        model: &'static str,
        /// The requested tail bound.
        bound: &'static str,
        /// Why it cannot be used.
        reason: &'static str,
    },
    /// An estimate (for example the CLT approximation) was offered where a certified bound is
    /// required.
    #[error("{what}: an uncertified estimate cannot be used where a certified bound is required")]
    NotCertified {
        /// Where the certified number was required.
        what: &'static str,
    },
    /// The noise support (or the truncation region of unbounded noise) is not contained in the
    /// domain on which the linear bounds hold, so the bounds cannot be applied to the noise.
    #[error("noise region not inside the bound domain at coordinate {index:?}: {reason}")]
    NoiseOutsideDomain {
        /// The first coordinate found outside (`None` for whole-set checks such as ℓ2 balls).
        index: Option<usize>,
        /// What was violated.
        reason: String,
    },
    /// A dataset file (for example the embedded digits CSV) could not be decoded or parsed.
    #[error("{source_name}, line {line}: {message}")]
    Dataset {
        /// The file, or `"<embedded digits.csv.gz>"`.
        source_name: String,
        /// 1-based line of the CSV (0 when the whole file is unreadable).
        line: usize,
        /// What is wrong, naming the column and value.
        message: String,
    },
}

/// `std::result::Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid(name: &'static str, value: f64, reason: &'static str) -> Self {
        Error::InvalidParameter {
            name,
            value,
            reason,
        }
    }

    /// Shorthand for [`Error::DimensionMismatch`].
    pub fn mismatch(context: impl Into<String>, expected: usize, found: usize) -> Self {
        Error::DimensionMismatch {
            context: context.into(),
            expected,
            found,
        }
    }
}
