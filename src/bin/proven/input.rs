//! Reading input points and parsing noise specifications.

use nalgebra::{DMatrix, DVector};
use proven::{Error, Result};
use std::path::Path;

/// A point with an optional label.
pub struct Point {
    pub x: DVector<f64>,
    pub label: Option<usize>,
}

fn bad(path: &Path, message: impl Into<String>) -> Error {
    Error::Model {
        path: path.display().to_string(),
        message: message.into(),
    }
}

fn floats(path: &Path, v: &serde_json::Value, what: &str) -> Result<Vec<f64>> {
    let arr = v
        .as_array()
        .ok_or_else(|| bad(path, format!("`{what}` must be an array of numbers")))?;
    arr.iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_f64()
                .ok_or_else(|| bad(path, format!("`{what}[{i}]` is not a number: {x}")))
        })
        .collect()
}

/// Reads `{"x": [...], "label": k}` or the images.json layout `{"images": [{"x", "label"}]}`
/// with `index`.
pub fn read_point(path: &Path, index: Option<usize>) -> Result<Point> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(path, format!("invalid JSON: {e}")))?;
    let item = if let Some(images) = json.get("images").and_then(|v| v.as_array()) {
        let i = index.ok_or_else(|| bad(path, "this file holds several images: pass --index"))?;
        images.get(i).ok_or_else(|| {
            bad(
                path,
                format!("--index {i} is out of range ({} images)", images.len()),
            )
        })?
    } else {
        &json
    };
    let x = floats(
        path,
        item.get("x")
            .ok_or_else(|| bad(path, "missing the array `x`"))?,
        "x",
    )?;
    let label = match item.get("label") {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .ok_or_else(|| bad(path, format!("`label` is not a class index: {v}")))?
                as usize,
        ),
    };
    Ok(Point {
        x: DVector::from_vec(x),
        label,
    })
}

/// A parsed `--noise` value.
pub enum NoiseSpec {
    Uniform(f64),
    Bernoulli(f64, Option<f64>),
    Gaussian(f64),
    GaussianCov(DMatrix<f64>),
}

fn number(text: &str, what: &'static str) -> Result<f64> {
    text.parse::<f64>().map_err(|_| Error::InvalidParameter {
        name: what,
        value: f64::NAN,
        reason: "not a number",
    })
}

/// Parses `uniform:EPS`, `bernoulli:EPS[:P]`, `gaussian:SIGMA`, `gaussian-cov:FILE`.
pub fn parse_noise(spec: &str) -> Result<NoiseSpec> {
    let parts: Vec<&str> = spec.split(':').collect();
    let unsupported = || Error::Unsupported {
        what: format!(
            "noise `{spec}`: expected uniform:EPS, bernoulli:EPS[:P], gaussian:SIGMA or gaussian-cov:FILE"
        ),
    };
    match parts.as_slice() {
        ["uniform", e] => Ok(NoiseSpec::Uniform(number(e, "eps")?)),
        ["bernoulli", e] => Ok(NoiseSpec::Bernoulli(number(e, "eps")?, None)),
        ["bernoulli", e, p] => Ok(NoiseSpec::Bernoulli(
            number(e, "eps")?,
            Some(number(p, "p")?),
        )),
        ["gaussian", s] => Ok(NoiseSpec::Gaussian(number(s, "sigma")?)),
        ["gaussian-cov", file] => {
            let path = Path::new(file);
            let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
            let json: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| bad(path, format!("invalid JSON: {e}")))?;
            let rows = json
                .as_array()
                .ok_or_else(|| bad(path, "the covariance must be an array of rows"))?;
            let n = rows.len();
            let mut data = Vec::with_capacity(n * n);
            for (r, row) in rows.iter().enumerate() {
                let v = floats(path, row, &format!("row {r}"))?;
                if v.len() != n {
                    return Err(Error::mismatch(
                        format!("{}: covariance row {r}", path.display()),
                        n,
                        v.len(),
                    ));
                }
                data.extend(v);
            }
            Ok(NoiseSpec::GaussianCov(DMatrix::from_row_slice(n, n, &data)))
        }
        _ => Err(unsupported()),
    }
}
