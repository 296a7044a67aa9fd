//! Decoding `TensorProto` into checked, shaped numeric data.
//!
//! Sizes are validated before anything proportional to the *declared* shape is allocated: the
//! element count must not overflow, must stay under [`MAX_ELEMENTS`], and must match the data
//! actually present in the file. Float data is widened to `f64` exactly and checked for NaN/inf.

use super::OnnxErrorKind;
use super::proto::{TensorProto, data_type};

/// The largest number of elements any tensor (stored or derived) may have: 2^26 (64 Mi).
pub const MAX_ELEMENTS: usize = 1 << 26;

/// Numeric contents of a tensor.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TensorData {
    /// Floating-point data (FLOAT widened exactly, or DOUBLE).
    Float(Vec<f64>),
    /// Integer data (INT64 or INT32).
    Int(Vec<i64>),
}

/// A constant tensor: row-major data with its shape.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tensor {
    /// Shape, outermost first (empty for a scalar).
    pub dims: Vec<usize>,
    /// The values, `dims.iter().product()` of them.
    pub data: TensorData,
}

impl Tensor {
    /// A float tensor; the caller guarantees `data.len() == product(dims)`.
    pub fn float(dims: Vec<usize>, data: Vec<f64>) -> Self {
        Tensor {
            dims,
            data: TensorData::Float(data),
        }
    }

    /// The float values, or `None` for an integer tensor.
    pub fn as_float(&self) -> Option<&[f64]> {
        match &self.data {
            TensorData::Float(v) => Some(v),
            TensorData::Int(_) => None,
        }
    }

    /// The integer values, or `None` for a float tensor.
    pub fn as_int(&self) -> Option<&[i64]> {
        match &self.data {
            TensorData::Int(v) => Some(v),
            TensorData::Float(_) => None,
        }
    }
}

/// Checked element count of a declared shape.
pub(crate) fn element_count(
    name: &str,
    dims: &[i64],
) -> Result<(Vec<usize>, usize), OnnxErrorKind> {
    let mut shape = Vec::with_capacity(dims.len().min(64));
    for &d in dims {
        let du = usize::try_from(d).map_err(|_| OnnxErrorKind::NegativeDimension {
            tensor: name.to_string(),
            dim: d,
        })?;
        shape.push(du);
    }
    check_dims(name, &shape).map(|n| (shape, n))
}

/// Checks a shape: the product of its non-zero dimensions must not exceed [`MAX_ELEMENTS`], so
/// that no product over any subset of the dimensions can overflow. Returns the element count.
pub(crate) fn check_dims(name: &str, dims: &[usize]) -> Result<usize, OnnxErrorKind> {
    let nonzero = dims
        .iter()
        .filter(|&&d| d != 0)
        .fold(1u128, |a, &d| a.saturating_mul(d as u128));
    checked_count(name, nonzero)?;
    Ok(if dims.contains(&0) {
        0
    } else {
        nonzero as usize
    })
}

/// Checks a (possibly huge) element count against [`MAX_ELEMENTS`].
pub(crate) fn checked_count(name: &str, count: u128) -> Result<usize, OnnxErrorKind> {
    match usize::try_from(count) {
        Ok(n) if n <= MAX_ELEMENTS => Ok(n),
        _ => Err(OnnxErrorKind::TensorTooLarge {
            tensor: name.to_string(),
            declared: if count == u128::MAX {
                "more than 2^128".to_string()
            } else {
                count.to_string()
            },
            limit: MAX_ELEMENTS,
        }),
    }
}

/// Checks that `found` values are present where the shape needs `expected`.
fn check_len(name: &str, expected: usize, found: usize) -> Result<(), OnnxErrorKind> {
    if expected == found {
        Ok(())
    } else {
        Err(OnnxErrorKind::DataLength {
            tensor: name.to_string(),
            expected,
            found,
        })
    }
}

/// Splits little-endian raw bytes into `N`-byte chunks after checking the length.
fn raw_chunks<'a, const N: usize>(
    name: &str,
    raw: &'a [u8],
    n: usize,
) -> Result<impl Iterator<Item = [u8; N]> + 'a, OnnxErrorKind> {
    if !raw.len().is_multiple_of(N) {
        return Err(OnnxErrorKind::DataLength {
            tensor: name.to_string(),
            expected: n,
            found: raw.len() / N,
        });
    }
    check_len(name, n, raw.len() / N)?;
    Ok(raw.chunks_exact(N).map(|c| {
        let mut a = [0u8; N];
        a.copy_from_slice(c);
        a
    }))
}

/// Rejects NaN and infinite values, naming the tensor and the flat index.
pub(crate) fn check_finite(name: &str, data: &[f64]) -> Result<(), OnnxErrorKind> {
    match data.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(OnnxErrorKind::NonFinite {
            tensor: name.to_string(),
            index,
            value: data.get(index).copied().unwrap_or(f64::NAN),
        }),
        None => Ok(()),
    }
}

/// Decodes a tensor, checking its size, its data length and (for floats) finiteness.
pub(crate) fn decode_tensor(t: &TensorProto) -> Result<Tensor, OnnxErrorKind> {
    let name = t.name.as_str();
    if t.data_location == 1 {
        return Err(OnnxErrorKind::ExternalData {
            tensor: name.to_string(),
        });
    }
    let (dims, n) = element_count(name, &t.dims)?;
    let raw = t.raw_data.as_slice();
    let data = match t.data_type {
        data_type::FLOAT => {
            let v: Vec<f64> = if raw.is_empty() {
                check_len(name, n, t.float_data.len())?;
                t.float_data.iter().map(|&x| f64::from(x)).collect()
            } else {
                raw_chunks::<4>(name, raw, n)?
                    .map(|b| f64::from(f32::from_le_bytes(b)))
                    .collect()
            };
            check_finite(name, &v)?;
            TensorData::Float(v)
        }
        data_type::DOUBLE => {
            let v: Vec<f64> = if raw.is_empty() {
                check_len(name, n, t.double_data.len())?;
                t.double_data.clone()
            } else {
                raw_chunks::<8>(name, raw, n)?
                    .map(f64::from_le_bytes)
                    .collect()
            };
            check_finite(name, &v)?;
            TensorData::Float(v)
        }
        data_type::INT64 => TensorData::Int(if raw.is_empty() {
            check_len(name, n, t.int64_data.len())?;
            t.int64_data.clone()
        } else {
            raw_chunks::<8>(name, raw, n)?
                .map(i64::from_le_bytes)
                .collect()
        }),
        data_type::INT32 => TensorData::Int(if raw.is_empty() {
            check_len(name, n, t.int32_data.len())?;
            t.int32_data.iter().map(|&x| i64::from(x)).collect()
        } else {
            raw_chunks::<4>(name, raw, n)?
                .map(|b| i64::from(i32::from_le_bytes(b)))
                .collect()
        }),
        other => {
            return Err(OnnxErrorKind::WrongType {
                what: format!("tensor `{name}`"),
                expected: "FLOAT, DOUBLE, INT32 or INT64",
                found: data_type::name(other).to_string(),
            });
        }
    };
    Ok(Tensor { dims, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(dims: Vec<i64>, dt: i32) -> TensorProto {
        TensorProto {
            dims,
            data_type: dt,
            name: "w".into(),
            ..Default::default()
        }
    }

    #[test]
    fn raw_and_typed_float_agree() {
        let mut a = tp(vec![2], data_type::FLOAT);
        a.float_data = vec![1.5, -2.0];
        let mut b = tp(vec![2], data_type::FLOAT);
        b.raw_data = [1.5f32, -2.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        assert_eq!(decode_tensor(&a).unwrap(), decode_tensor(&b).unwrap());
        let mut c = tp(vec![2], data_type::DOUBLE);
        c.raw_data = [1.5f64, -2.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        assert_eq!(decode_tensor(&a).unwrap(), decode_tensor(&c).unwrap());
        let mut d = tp(vec![2], data_type::DOUBLE);
        d.double_data = vec![1.5, -2.0];
        assert_eq!(decode_tensor(&d).unwrap(), decode_tensor(&c).unwrap());
    }

    #[test]
    fn int_tensors() {
        let mut a = tp(vec![3], data_type::INT64);
        a.int64_data = vec![1, -1, 5];
        assert_eq!(decode_tensor(&a).unwrap().as_int(), Some(&[1, -1, 5][..]));
        let mut b = tp(vec![1], data_type::INT32);
        b.raw_data = 7i32.to_le_bytes().to_vec();
        assert_eq!(decode_tensor(&b).unwrap().as_int(), Some(&[7][..]));
    }

    #[test]
    fn huge_and_overflowing_shapes_are_rejected() {
        let a = tp(vec![1_000_000, 1_000_000], data_type::FLOAT);
        assert!(matches!(
            decode_tensor(&a),
            Err(OnnxErrorKind::TensorTooLarge { .. })
        ));
        let b = tp(vec![i64::MAX, i64::MAX, i64::MAX], data_type::FLOAT);
        assert!(matches!(
            decode_tensor(&b),
            Err(OnnxErrorKind::TensorTooLarge { .. })
        ));
        // Zero elements, but products of the other dimensions would overflow.
        let z = tp(vec![1 << 40, 1 << 40, 0], data_type::FLOAT);
        assert!(matches!(
            decode_tensor(&z),
            Err(OnnxErrorKind::TensorTooLarge { .. })
        ));
        let c = tp(vec![-1], data_type::FLOAT);
        assert!(matches!(
            decode_tensor(&c),
            Err(OnnxErrorKind::NegativeDimension { .. })
        ));
    }

    #[test]
    fn length_mismatch_and_nan() {
        let mut a = tp(vec![3], data_type::FLOAT);
        a.raw_data = vec![0; 7];
        assert!(matches!(
            decode_tensor(&a),
            Err(OnnxErrorKind::DataLength { .. })
        ));
        let mut b = tp(vec![3], data_type::FLOAT);
        b.float_data = vec![0.0, f32::NAN, 1.0];
        assert!(matches!(
            decode_tensor(&b),
            Err(OnnxErrorKind::NonFinite { index: 1, .. })
        ));
        let c = tp(vec![1], 8);
        assert!(matches!(
            decode_tensor(&c),
            Err(OnnxErrorKind::WrongType { .. })
        ));
    }
}
