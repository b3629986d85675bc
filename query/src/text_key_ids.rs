//! [`TextKeyIds`]: dense ids (0, 1, 2, ...) for the distinct values of a
//! `Utf8View` group key, for [`crate::text_key_aggregate_exec`].
//!
//! A view that repeats within an array is the same string (Parquet's
//! dictionary pages decode into views of one buffer, and a short string's
//! view holds the string itself), so a row costs a lookup of its 16-byte
//! view in a small direct-mapped cache; only a miss looks at the bytes.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, StringViewArray, StringViewBuilder};
use foldhash::fast::FixedState;

/// Slots of the per-array view cache.
const CACHE_SLOTS: usize = 256;

/// The distinct keys seen so far, in id order (`None` is the NULL key).
#[derive(Debug, Default)]
pub struct TextKeyIds {
    ids: HashMap<Arc<str>, usize, FixedState>,
    null_id: Option<usize>,
    /// Each key's text, shared with `ids`.
    keys: Vec<Option<Arc<str>>>,
}

impl TextKeyIds {
    /// Number of distinct keys (NULL included) seen.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Bytes held, roughly.
    pub fn size(&self) -> usize {
        let text: usize = self.keys.iter().flatten().map(|k| k.len() + 16).sum();
        // The map: a key, an id and a control byte per slot.
        text + self.keys.capacity() * 2 * size_of::<usize>() + self.ids.capacity() * 25
    }

    /// Writes the id of each row's key into `out` (cleared first), giving
    /// new keys the next ids.
    pub fn assign(&mut self, keys: &StringViewArray, out: &mut Vec<usize>) {
        out.clear();
        out.reserve(keys.len());
        let mut cache = [(u128::MAX, usize::MAX); CACHE_SLOTS];
        for (row, &view) in keys.views().iter().enumerate() {
            if keys.is_null(row) {
                out.push(self.null_key());
                continue;
            }
            let slot = cache_slot(view);
            let (cached, id) = cache[slot];
            if cached == view && id != usize::MAX {
                out.push(id);
                continue;
            }
            let id = self.key_id(keys.value(row));
            cache[slot] = (view, id);
            out.push(id);
        }
    }

    fn null_key(&mut self) -> usize {
        *self.null_id.get_or_insert_with(|| {
            self.keys.push(None);
            self.keys.len() - 1
        })
    }

    fn key_id(&mut self, key: &str) -> usize {
        if let Some(id) = self.ids.get(key) {
            return *id;
        }
        let id = self.keys.len();
        let key: Arc<str> = key.into();
        self.keys.push(Some(Arc::clone(&key)));
        self.ids.insert(key, id);
        id
    }

    /// The keys in id order, and a fresh start.
    pub fn take_keys(&mut self) -> StringViewArray {
        let mut out = StringViewBuilder::with_capacity(self.keys.len());
        for key in &self.keys {
            out.append_option(key.as_deref());
        }
        *self = TextKeyIds::default();
        out.finish()
    }
}

fn cache_slot(view: u128) -> usize {
    let folded = (view as u64) ^ ((view >> 64) as u64);
    (folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_stable_and_round_trip() {
        let mut ids = TextKeyIds::default();
        let long = "a key longer than twelve bytes";
        let a = StringViewArray::from(vec![Some("x"), None, Some(long), Some("x"), Some(long)]);
        let b = StringViewArray::from(vec![Some(long), Some("y"), None, Some("x")]);
        let mut out = Vec::new();
        ids.assign(&a, &mut out);
        assert_eq!(out, [0, 1, 2, 0, 2]);
        ids.assign(&b, &mut out);
        assert_eq!(out, [2, 3, 1, 0]);
        assert_eq!(ids.len(), 4);
        let keys = ids.take_keys();
        let keys: Vec<Option<&str>> = keys.iter().collect();
        assert_eq!(keys, [Some("x"), None, Some(long), Some("y")]);
        assert!(ids.is_empty());
    }

    /// Many distinct keys, past the cache's slots, each row its own id.
    #[test]
    fn more_keys_than_cache_slots() {
        let mut ids = TextKeyIds::default();
        let values: Vec<String> = (0..5 * CACHE_SLOTS).map(|i| format!("key-{i}")).collect();
        let rows: Vec<&str> = values
            .iter()
            .chain(values.iter().rev())
            .map(String::as_str)
            .collect();
        let mut out = Vec::new();
        ids.assign(&StringViewArray::from(rows.clone()), &mut out);
        let keys = ids.take_keys();
        for (row, id) in out.iter().enumerate() {
            assert_eq!(keys.value(*id), rows[row]);
        }
        assert_eq!(keys.len(), values.len());
    }
}
