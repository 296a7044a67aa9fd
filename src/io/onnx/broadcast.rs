//! NumPy-style broadcasting of constant tensors, with size limits.

use super::tensor::{MAX_ELEMENTS, checked_count};

/// The broadcast shape of `a` and `b`, or `None` when they are incompatible.
pub(crate) fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for (i, slot) in out.iter_mut().enumerate() {
        let da = dim_from_right(a, rank - 1 - i);
        let db = dim_from_right(b, rank - 1 - i);
        *slot = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// The `k`-th dimension counted from the right (1 when `k` is beyond the rank).
fn dim_from_right(shape: &[usize], k: usize) -> usize {
    if k < shape.len() {
        shape[shape.len() - 1 - k]
    } else {
        1
    }
}

/// Expands `data` (of shape `shape`) to `target`; `target` must be a broadcast of `shape`.
///
/// Returns `None` when the shapes are incompatible or the result would exceed [`MAX_ELEMENTS`].
pub(crate) fn broadcast_to(data: &[f64], shape: &[usize], target: &[usize]) -> Option<Vec<f64>> {
    if broadcast_shape(shape, target).as_deref() != Some(target) || target.len() < shape.len() {
        return None;
    }
    let total = checked_count(
        "",
        target
            .iter()
            .fold(1u128, |a, &d| a.saturating_mul(d as u128)),
    )
    .ok()?;
    if total > MAX_ELEMENTS || data.len() != shape.iter().product::<usize>() {
        return None;
    }
    // Strides of `data`, aligned to `target` from the right; broadcast dimensions get stride 0.
    let offset = target.len() - shape.len();
    let mut strides = vec![0usize; target.len()];
    let mut acc = 1usize;
    for i in (0..shape.len()).rev() {
        strides[offset + i] = if shape[i] == 1 { 0 } else { acc };
        acc *= shape[i];
    }
    let mut out = Vec::with_capacity(total);
    let mut index = vec![0usize; target.len()];
    for _ in 0..total {
        let src: usize = index.iter().zip(&strides).map(|(i, s)| i * s).sum();
        out.push(*data.get(src)?);
        for d in (0..target.len()).rev() {
            index[d] += 1;
            if index[d] < target[d] {
                break;
            }
            index[d] = 0;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(broadcast_shape(&[1, 5], &[5]), Some(vec![1, 5]));
        assert_eq!(broadcast_shape(&[2, 1], &[1, 3]), Some(vec![2, 3]));
        assert_eq!(broadcast_shape(&[2], &[3]), None);
        assert_eq!(broadcast_shape(&[], &[4]), Some(vec![4]));
    }

    #[test]
    fn expand() {
        assert_eq!(
            broadcast_to(&[1.0, 2.0], &[2, 1], &[2, 3]),
            Some(vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0])
        );
        assert_eq!(broadcast_to(&[7.0], &[], &[1, 2]), Some(vec![7.0, 7.0]));
        assert_eq!(broadcast_to(&[1.0, 2.0], &[2], &[1]), None);
        assert_eq!(broadcast_to(&[1.0], &[1], &[1 << 20, 1 << 20]), None);
    }
}
