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

/// `use_rows(W[kept, :])`, with the rows produced by `gather` unless this thread holds them
/// for this layer and these kept rows already.
pub(crate) fn with_gathered<T: 'static, R>(
    layer: u64,
    kept: &[usize],
    gather: impl FnOnce() -> Vec<T>,
    use_rows: impl FnOnce(&[T]) -> R,
) -> R {
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let hit = cache
            .iter()
            .position(|e| e.layer == layer && e.kept == kept)
            .map(|i| cache.remove(i))
            .and_then(|e| e.rows.downcast::<Vec<T>>().ok().map(|rows| (e.kept, rows)));
        let (kept, rows) = match hit {
            Some(found) => found,
            None => {
                cache.retain(|e| e.layer != layer);
                cache.truncate(ENTRIES - 1);
                (kept.to_vec(), Box::new(gather()))
            }
        };
        let result = use_rows(&rows);
        // Most recent first.
        cache.insert(0, Entry { layer, kept, rows });
        result
    })
}
