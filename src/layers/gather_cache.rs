//! A per-thread cache of the gathered rows `W[kept, :]` of dense layers.
//!
//! Within one bound computation every back-substitution through a dense layer whose input comes
//! from a ReLU meets the same zero columns of `Λ` (the neurons inactive on the whole domain),
//! so [`super::dense`] gathers the same rows of `W` again and again: on mnistfc 256x4, copying
//! them was 6 % of a call. Each thread keeps the rows it gathered last for each of the few
//! layers it used most recently. A layer is named by an id given at construction (its weights
//! never change afterwards, and a clone shares them), so an entry is reused only for the same
//! weights and the same kept rows.

use std::any::Any;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Layers whose gathered rows a thread keeps.
const ENTRIES: usize = 8;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh layer id.
pub(crate) fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

struct Entry {
    layer: u64,
    kept: Vec<usize>,
    rows: Box<dyn Any>,
}

thread_local! {
    static CACHE: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

/// `use_rows(K, W[K, :])` for a row set `K ⊇ kept` with at most `kept.len() / 8` extra rows:
/// the rows this thread holds for this layer when they qualify (the extra rows meet zero
/// columns of `Λ`, so they add exact zeros), else `K = kept` gathered by `gather`.
pub(crate) fn with_gathered<T: 'static, R>(
    layer: u64,
    kept: &[usize],
    gather: impl FnOnce() -> Vec<T>,
    use_rows: impl FnOnce(&[usize], &[T]) -> R,
) -> R {
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let hit = cache
            .iter()
            .position(|e| e.layer == layer && covers(&e.kept, kept))
            .map(|i| cache.remove(i))
            .and_then(|e| e.rows.downcast::<Vec<T>>().ok().map(|rows| (e.kept, rows)));
        let (held, rows) = match hit {
            Some(found) => found,
            None => {
                cache.retain(|e| e.layer != layer);
                cache.truncate(ENTRIES - 1);
                (kept.to_vec(), Box::new(gather()))
            }
        };
        let result = use_rows(&held, &rows);
        // Most recent first.
        cache.insert(
            0,
            Entry {
                layer,
                kept: held,
                rows,
            },
        );
        result
    })
}

/// Whether the sorted row set `held` contains the sorted `kept` with at most `kept.len() / 8`
/// rows more.
fn covers(held: &[usize], kept: &[usize]) -> bool {
    if held.len() < kept.len() || held.len() - kept.len() > kept.len() / 8 {
        return false;
    }
    let mut rest = held.iter();
    kept.iter().all(|k| rest.any(|h| h == k))
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn covers_needs_a_superset_with_few_extra_rows() {
        let kept: Vec<usize> = (0..16).map(|i| 2 * i).collect();
        assert!(covers(&kept, &kept));
        let mut more = kept.clone();
        more.extend([33, 35]);
        assert!(covers(&more, &kept));
        more.push(37);
        assert!(!covers(&more, &kept), "3 extra rows for 16 kept");
        let mut missing = kept.clone();
        missing[5] = 11;
        assert!(!covers(&missing, &kept));
        assert!(!covers(&kept[1..], &kept));
    }
}
