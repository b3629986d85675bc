//! PrefixSpan (Pei et al., 2001) with pseudo-projection over shared suffixes.
//!
//! ```text
//! Sequences ─> templates in fewer than min_count executions dropped
//!           ─> distinct sequences, sorted, laid out once with END marks  Suffixes
//!              (+ an id per distinct suffix, from a trie read back to front)
//!           ─> grow(prefix, projected = [(suffix position, executions)])
//!                pass 1 (count):   support of each item in the suffixes
//!                pass 2 (project): per frequent item, the suffix after its
//!                                  earliest occurrence; equal suffixes merge
//!                ─> record prefix + item, recurse until max_len
//!                   (past max_patterns found: min_count := k-th best support)
//! ```
//!
//! An execution is in a projected database at most once, at the suffix after
//! the *earliest* match of the prefix (the longest such suffix, which holds
//! every later one), so the executions summed over a projected database are
//! the prefix's support. Entries whose suffixes are equal merge into one,
//! weighted by their number of executions: executions repeat the same paths,
//! so projections shrink as they deepen (about 40% fewer entries on the
//! benchmark workloads). The last level (`prefix.len() + 1 == max_len`) only
//! counts; it builds no projection. Dropping a template with too little
//! support is safe: no pattern holding it can be frequent, and nothing is
//! re-collapsed after dropping, so `A x A` still supports `A A`.
//!
//! Top-k: once more than `max_patterns` patterns are known, `min_count` rises
//! to the `max_patterns`-th largest support seen. Every pattern at or above
//! the final threshold is still found (its prefixes have at least its
//! support), so the caller's sort-and-truncate returns exactly the top ones.
//! Items are explored most-supported first so the threshold rises early.
//!
//! Scans are bound by memory, not by arithmetic: the layout (similar
//! executions adjacent, positions that stay nearly sorted as they deepen) is
//! what keeps them in cache.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::super::IdMap;
use super::Sequences;

/// A frequent pattern of at least two items (dense ids).
pub(super) struct Found {
    pub items: Vec<u32>,
    pub support: u32,
    /// Support of `items` without its last item.
    pub prefix_support: u32,
}

/// Every pattern of 2 to `max_len` items contained in at least `min_count`
/// (≥ 1) of `sequences`; `item_support` is [`Sequences::item_support`].
///
/// Past `max_patterns` patterns the threshold rises to the `max_patterns`-th
/// largest support found so far (top-k mining): the result then holds every
/// pattern with support ≥ the returned threshold, a superset of the top
/// `max_patterns`, and nothing below it. Returns the patterns and that threshold.
pub(super) fn prefix_span(
    sequences: &Sequences,
    item_support: &[u32],
    min_count: u32,
    max_len: usize,
    max_patterns: usize,
) -> (Vec<Found>, u32) {
    let keep: Vec<bool> = item_support.iter().map(|&c| c >= min_count).collect();
    let (suffixes, roots) = Suffixes::build(sequences, &keep);
    let alphabet = item_support.len();
    let mut miner = Miner {
        suffixes: &suffixes,
        min_count,
        max_len,
        scratch: Scratch {
            counts: vec![0; alphabet],
            slot: vec![u32::MAX; alphabet],
            stamp: vec![0; alphabet],
            clock: 0,
        },
        merge: vec![u32::MAX; suffixes.ids],
        prefix: Vec::with_capacity(max_len),
        found: Vec::new(),
        max_patterns: max_patterns.max(1),
        top: BinaryHeap::new(),
    };
    miner.grow(&roots, sequences.len() as u32);
    let Miner {
        mut found,
        min_count,
        ..
    } = miner;
    found.retain(|f| f.support >= min_count);
    (found, min_count)
}

/// Ends every sequence in [`Suffixes::items`].
const END: u32 = u32::MAX;

/// The sequences' kept items, each sequence followed by [`END`], and which
/// positions start equal suffixes. A projected database is a list of
/// `(position, executions)`: suffixes are scanned in place, and positions
/// derived from sorted ones stay nearly sorted, so scans stream through memory.
struct Suffixes {
    items: Vec<u32>,
    /// Per position, the id of the distinct suffix starting there: equal
    /// suffixes, equal ids (a trie over the sequences read back to front).
    suffix_id: Vec<u32>,
    /// Ids are below this.
    ids: usize,
}

impl Suffixes {
    /// The suffixes of `sequences` restricted to the items with `keep[item]`,
    /// and the root projected database: one entry per distinct non-empty
    /// sequence, weighted by its number of executions.
    ///
    /// Distinct sequences are laid out in lexicographic order, so executions
    /// that start alike (the same job, the same agent) sit together and a
    /// projected database touches a compact part of `items`: scans then hit
    /// the cache instead of memory, which is what bounds their speed.
    fn build(sequences: &Sequences, keep: &[bool]) -> (Suffixes, Vec<(u32, u32)>) {
        let mut kept: Vec<u32> = Vec::with_capacity(sequences.items.len());
        let mut starts: Vec<u32> = Vec::with_capacity(sequences.len() + 1);
        for s in 0..sequences.len() {
            starts.push(kept.len() as u32);
            kept.extend(sequences.get(s).iter().filter(|&&i| keep[i as usize]));
        }
        starts.push(kept.len() as u32);
        let get = |s: u32| &kept[starts[s as usize] as usize..starts[s as usize + 1] as usize];
        let mut order: Vec<u32> = (0..sequences.len() as u32)
            .filter(|&s| !get(s).is_empty())
            .collect();
        order.sort_unstable_by(|&a, &b| get(a).cmp(get(b)));

        let mut items: Vec<u32> = Vec::with_capacity(kept.len() + order.len());
        let mut suffix_id: Vec<u32> = Vec::with_capacity(items.capacity());
        let mut roots: Vec<(u32, u32)> = Vec::new();
        // (id of the rest, first item) -> id; id 0 is the empty suffix.
        let mut children: IdMap<u64, u32> = IdMap::default();
        for group in order.chunk_by(|&a, &b| get(a) == get(b)) {
            let from = items.len();
            items.extend_from_slice(get(group[0]));
            let to = items.len();
            items.push(END);
            suffix_id.resize(to + 1, 0);
            let mut id = 0u32;
            for j in (from..to).rev() {
                let key = (u64::from(id) << 32) | u64::from(items[j]);
                let next = children.len() as u32 + 1;
                id = *children.entry(key).or_insert(next);
                suffix_id[j] = id;
            }
            roots.push((from as u32, group.len() as u32));
        }
        let ids = children.len() + 1;
        (
            Suffixes {
                items,
                suffix_id,
                ids,
            },
            roots,
        )
    }
}

/// Per-item scratch, all zero / `u32::MAX` between uses.
struct Scratch {
    counts: Vec<u32>,
    slot: Vec<u32>,
    /// `stamp[item] == clock` when `item` was already met in the current suffix.
    stamp: Vec<u64>,
    clock: u64,
}

struct Miner<'a> {
    suffixes: &'a Suffixes,
    min_count: u32,
    max_len: usize,
    scratch: Scratch,
    /// Per suffix id, `u32::MAX` between uses: where it sits in the bucket being merged.
    merge: Vec<u32>,
    prefix: Vec<u32>,
    found: Vec<Found>,
    max_patterns: usize,
    /// The largest supports found, at most `max_patterns` of them.
    top: BinaryHeap<Reverse<u32>>,
}

impl Miner<'_> {
    /// Extends `self.prefix` (of support `support`, projected to `projected`:
    /// `(suffix position, executions)`, distinct suffixes) by every frequent item,
    /// records the results and recurses.
    fn grow(&mut self, projected: &[(u32, u32)], support: u32) {
        let mut frequent = count(self.suffixes, &mut self.scratch, projected, self.min_count);
        if frequent.is_empty() {
            return;
        }
        // Most supported first: the threshold rises sooner when it has to.
        frequent.sort_unstable_by_key(|&(item, count)| (Reverse(count), item));
        if !self.prefix.is_empty() {
            for &(item, count) in &frequent {
                let mut items = self.prefix.clone();
                items.push(item);
                self.record(Found {
                    items,
                    support: count,
                    prefix_support: support,
                });
            }
        }
        if self.prefix.len() + 1 >= self.max_len {
            return;
        }
        let buckets = project(self.suffixes, &mut self.scratch, projected, &frequent);
        for (&(item, count), mut bucket) in frequent.iter().zip(buckets) {
            if count < self.min_count {
                continue; // the threshold rose since this item was counted
            }
            merge_equal(&self.suffixes.suffix_id, &mut self.merge, &mut bucket);
            self.prefix.push(item);
            self.grow(&bucket, count);
            self.prefix.pop();
        }
    }
}

impl Miner<'_> {
    /// Keeps `found`, raising the threshold once more than `max_patterns` are
    /// known. Any pattern with support at or above the final threshold is
    /// still found: its prefixes have at least its support, so none is pruned.
    fn record(&mut self, found: Found) {
        self.top.push(Reverse(found.support));
        if self.top.len() > self.max_patterns {
            self.top.pop();
        }
        if self.top.len() == self.max_patterns
            && let Some(&Reverse(kth)) = self.top.peek()
            && kth > self.min_count
        {
            self.min_count = kth;
            if self.found.len() >= 2 * self.max_patterns {
                let min_count = self.min_count;
                self.found.retain(|f| f.support >= min_count);
            }
        }
        self.found.push(found);
    }
}

/// Pass 1: `(item, support)` of every item with support ≥ `min_count` in the
/// suffixes of `projected`, each suffix counting an item once, with its weight.
fn count(
    suffixes: &Suffixes,
    scratch: &mut Scratch,
    projected: &[(u32, u32)],
    min_count: u32,
) -> Vec<(u32, u32)> {
    let Scratch {
        counts,
        stamp,
        clock,
        ..
    } = scratch;
    let mut touched: Vec<u32> = Vec::new();
    for &(pos, weight) in projected {
        *clock += 1;
        for &item in suffixes.items[pos as usize..]
            .iter()
            .take_while(|&&i| i != END)
        {
            let i = item as usize;
            if stamp[i] != *clock {
                stamp[i] = *clock;
                if counts[i] == 0 {
                    touched.push(item);
                }
                counts[i] += weight;
            }
        }
    }
    touched
        .into_iter()
        .filter_map(|item| {
            let c = std::mem::take(&mut counts[item as usize]);
            (c >= min_count).then_some((item, c))
        })
        .collect()
}

/// Pass 2: each of `frequent`'s projection of `projected`: the suffix after
/// its earliest occurrence, with the entry's weight; empty suffixes extend
/// nothing and are dropped.
fn project(
    suffixes: &Suffixes,
    scratch: &mut Scratch,
    projected: &[(u32, u32)],
    frequent: &[(u32, u32)],
) -> Vec<Vec<(u32, u32)>> {
    let Scratch {
        slot, stamp, clock, ..
    } = scratch;
    let items = &suffixes.items;
    let mut buckets: Vec<Vec<(u32, u32)>> = vec![Vec::new(); frequent.len()];
    for (k, &(item, _)) in frequent.iter().enumerate() {
        slot[item as usize] = k as u32;
    }
    for &(pos, weight) in projected {
        *clock += 1;
        let mut missing = frequent.len();
        let mut j = pos as usize;
        while items[j] != END {
            let i = items[j] as usize;
            let k = slot[i];
            if k != u32::MAX && stamp[i] != *clock {
                stamp[i] = *clock;
                if items[j + 1] != END {
                    buckets[k as usize].push((j as u32 + 1, weight));
                }
                missing -= 1;
                if missing == 0 {
                    break;
                }
            }
            j += 1;
        }
    }
    for &(item, _) in frequent {
        slot[item as usize] = u32::MAX;
    }
    buckets
}

/// Merges the entries of `bucket` that start equal suffixes, adding their
/// weights into the first; `merge` is per suffix id, all `u32::MAX` before and after.
fn merge_equal(suffix_id: &[u32], merge: &mut [u32], bucket: &mut Vec<(u32, u32)>) {
    let mut kept = 0;
    for i in 0..bucket.len() {
        let (pos, weight) = bucket[i];
        let id = suffix_id[pos as usize] as usize;
        match merge[id] {
            u32::MAX => {
                merge[id] = kept as u32;
                bucket[kept] = (pos, weight);
                kept += 1;
            }
            at => bucket[at as usize].1 += weight,
        }
    }
    bucket.truncate(kept);
    for &(pos, _) in bucket.iter() {
        merge[suffix_id[pos as usize] as usize] = u32::MAX;
    }
}
