//! The 8x8 handwritten digits dataset, embedded in the crate.
//!
//! Source and licence: UCI Machine Learning Repository, "Optical Recognition of Handwritten
//! Digits" (E. Alpaydin, C. Kaynak, 1998), CC BY 4.0, as shipped inside scikit-learn
//! (`sklearn.datasets.load_digits`). The file `data/digits.csv.gz` has 1,797 rows of 65 columns:
//! 64 grey levels `0..=16` (row-major 8x8) and the label `0..=9`.
//!
//! **Scaling.** Pixels are returned on the `[0, 1]` scale, `x = level / 16`, which is the scale
//! the models in `models/digits_*.onnx` were trained on and the scale of every noise radius the
//! examples print (an ℓ∞ radius of 0.1 is 1.6 grey levels).
//!
//! **Split.** Fixed and deterministic: row `i` (0-based) is a test image when `i % 5 == 0`
//! (360 images) and a training image otherwise (1,437 images). `scripts/train_digits.py` uses
//! the same rule.
//!
//! # Examples
//! ```
//! use proven::datasets::Digits;
//! let digits = Digits::embedded()?;
//! assert_eq!(digits.len(), 1797);
//! let test = digits.test();
//! assert_eq!(test.len(), 360);
//! assert_eq!(test.images[0].len(), 64);
//! assert!(test.images[0].iter().all(|&p| (0.0..=1.0).contains(&p)));
//! # Ok::<(), proven::Error>(())
//! ```

use crate::{Error, Result};
use nalgebra::DVector;
use std::io::Read;
use std::path::Path;

/// The compressed CSV, as embedded in the library (57,523 bytes).
pub const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../data/digits.csv.gz");

/// The licence line that travels with the data.
pub const DIGITS_LICENCE: &str = "UCI \"Optical Recognition of Handwritten Digits\" (Alpaydin & \
Kaynak, 1998), CC BY 4.0, as shipped inside scikit-learn";

/// Number of pixels of one image (8x8).
pub const PIXELS: usize = 64;
/// Number of classes (digits 0..=9).
pub const CLASSES: usize = 10;
/// Largest grey level in the file; pixels are divided by it.
pub const MAX_LEVEL: f64 = 16.0;
/// Every `TEST_EVERY`-th row (starting with row 0) is a test image.
pub const TEST_EVERY: usize = 5;

const EMBEDDED_NAME: &str = "<embedded digits.csv.gz>";

/// All 1,797 digits, in file order, with pixels on the `[0, 1]` scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Digits {
    /// Images, each of length 64 (row-major 8x8), values `level / 16` in `[0, 1]`.
    pub images: Vec<DVector<f64>>,
    /// Labels in `0..=9`.
    pub labels: Vec<usize>,
}

/// One side of the fixed train/test split.
#[derive(Debug, Clone, PartialEq)]
pub struct DigitsSplit {
    /// Images, as in [`Digits::images`].
    pub images: Vec<DVector<f64>>,
    /// Labels in `0..=9`.
    pub labels: Vec<usize>,
    /// The row of each image in the file (0-based).
    pub rows: Vec<usize>,
}

impl DigitsSplit {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split has no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

impl Digits {
    /// The dataset embedded in the library ([`DIGITS_CSV_GZ`]); no file access.
    ///
    /// # Errors
    /// None in practice (the embedded file is valid); the same errors as [`Digits::parse_gz`].
    pub fn embedded() -> Result<Self> {
        Self::parse_gz(DIGITS_CSV_GZ, EMBEDDED_NAME)
    }

    /// Reads a gzip-compressed digits CSV from a file.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read, otherwise as [`Digits::parse_gz`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse_gz(&bytes, &path.display().to_string())
    }

    /// Decompresses and parses a gzip-compressed digits CSV; `source_name` names it in errors.
    ///
    /// # Errors
    /// [`Error::Dataset`] naming the line for invalid gzip or UTF-8, a row without 65 columns, a
    /// value that is not an integer, a grey level outside `0..=16` or a label outside `0..=9`,
    /// and for an empty file.
    pub fn parse_gz(bytes: &[u8], source_name: &str) -> Result<Self> {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .map_err(|e| dataset_error(source_name, 0, format!("cannot decompress: {e}")))?;
        Self::parse_csv(&text, source_name)
    }

    /// Parses the uncompressed CSV text (65 integer columns per row; blank lines are skipped).
    ///
    /// # Errors
    /// As [`Digits::parse_gz`], without the decompression errors.
    pub fn parse_csv(text: &str, source_name: &str) -> Result<Self> {
        let mut images = Vec::new();
        let mut labels = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split(',').collect();
            if fields.len() != PIXELS + 1 {
                return Err(dataset_error(
                    source_name,
                    line_no,
                    format!(
                        "expected {} columns (64 pixels and a label), found {}",
                        PIXELS + 1,
                        fields.len()
                    ),
                ));
            }
            let mut pixels = Vec::with_capacity(PIXELS);
            for (column, field) in fields[..PIXELS].iter().enumerate() {
                let level = parse_int(field, source_name, line_no, column)?;
                if level > 16 {
                    return Err(dataset_error(
                        source_name,
                        line_no,
                        format!("column {column}: grey level {level} outside 0..=16"),
                    ));
                }
                pixels.push(level as f64 / MAX_LEVEL);
            }
            let label = parse_int(fields[PIXELS], source_name, line_no, PIXELS)?;
            if label >= CLASSES as u64 {
                return Err(dataset_error(
                    source_name,
                    line_no,
                    format!("column {PIXELS}: label {label} outside 0..=9"),
                ));
            }
            images.push(DVector::from_vec(pixels));
            labels.push(label as usize);
        }
        if labels.is_empty() {
            return Err(dataset_error(source_name, 0, "no rows".to_string()));
        }
        Ok(Self { images, labels })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images (never the case for a parsed file).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The test split: rows `i` with `i % 5 == 0`.
    pub fn test(&self) -> DigitsSplit {
        self.split(true)
    }

    /// The training split: rows `i` with `i % 5 != 0`.
    pub fn train(&self) -> DigitsSplit {
        self.split(false)
    }

    fn split(&self, test: bool) -> DigitsSplit {
        let rows: Vec<usize> = (0..self.len())
            .filter(|i| (i % TEST_EVERY == 0) == test)
            .collect();
        DigitsSplit {
            images: rows.iter().map(|&i| self.images[i].clone()).collect(),
            labels: rows.iter().map(|&i| self.labels[i]).collect(),
            rows,
        }
    }
}

fn parse_int(field: &str, source_name: &str, line: usize, column: usize) -> Result<u64> {
    field.trim().parse::<u64>().map_err(|_| {
        dataset_error(
            source_name,
            line,
            format!("column {column}: {field:?} is not a non-negative integer"),
        )
    })
}

fn dataset_error(source_name: &str, line: usize, message: String) -> Error {
    Error::Dataset {
        source_name: source_name.to_string(),
        line,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_file_has_all_rows_and_balanced_classes() {
        let d = Digits::embedded().unwrap();
        assert_eq!(d.len(), 1797);
        let mut counts = [0usize; CLASSES];
        for &l in &d.labels {
            counts[l] += 1;
        }
        assert!(
            counts.iter().all(|&c| (170..=190).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(d.test().len() + d.train().len(), 1797);
        assert_eq!(d.test().len(), 360);
        assert!(d.test().rows.iter().all(|r| r % 5 == 0));
        // The first row of the file: 0,0,5,13,9,1,0,0,... label 0.
        assert_eq!(d.labels[0], 0);
        assert!((d.images[0][2] - 5.0 / 16.0).abs() < 1e-15);
    }

    #[test]
    fn bad_input_gives_dataset_errors_with_line_and_column() {
        let row = |v: &str| {
            let mut s = vec!["0"; 64].join(",");
            s.push(',');
            s.push_str(v);
            s
        };
        let err = |text: &str| Digits::parse_csv(text, "t.csv").unwrap_err();
        assert!(matches!(err(""), Error::Dataset { line: 0, .. }));
        assert!(matches!(err("1,2,3"), Error::Dataset { line: 1, .. }));
        let e = err(&format!("{}\n{}", row("3"), row("12")));
        assert!(
            matches!(&e, Error::Dataset { line: 2, message, .. } if message.contains("label 12")),
            "{e}"
        );
        let e = err(&row("x"));
        assert!(matches!(&e, Error::Dataset { message, .. } if message.contains("column 64")));
        let mut bad_pixel = row("1");
        bad_pixel.replace_range(0..1, "17");
        let e = err(&bad_pixel);
        assert!(matches!(&e, Error::Dataset { message, .. } if message.contains("grey level 17")));
        assert!(matches!(
            Digits::parse_gz(b"not gzip", "g.gz"),
            Err(Error::Dataset { line: 0, .. })
        ));
        assert!(matches!(
            Digits::from_file("/nonexistent/digits.csv.gz"),
            Err(Error::Io { .. })
        ));
        assert_eq!(Digits::parse_csv(&row("7"), "ok").unwrap().labels, vec![7]);
    }
}
