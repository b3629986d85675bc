//! `sequence_patterns`: frequent template sequences within executions.
//!
//! ```text
//! rows ─> group by execution_id ─> order by (timestamp, input order)
//!      ─> dense template ids ─> consecutive repeats collapsed     Sequences
//!      ─> PrefixSpan with min_count = ⌈min_support × executions⌉   prefix_span
//!         (top-k past MAX_SEQUENCE_PATTERNS)
//!      ─> templates, support, confidence, lift; sorted, truncated
//! ```

use std::collections::HashMap;

use serde::Serialize;

use super::{IdMap, PatternRow};

mod prefix_span;

use prefix_span::prefix_span;

/// A frequent sequence of templates within executions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequencePattern {
    /// In order; at least two; never the same template twice in a row.
    pub templates: Vec<u64>,
    /// Executions containing `templates` as a (not necessarily contiguous) subsequence.
    pub support: u64,
    /// `support / executions`.
    pub frequency: f64,
    /// `support(templates) / support(templates without the last)`:
    /// how often the prefix goes on to the last template.
    pub confidence: f64,
    /// `confidence / P(last)`, `P(last) = support([last]) / executions`:
    /// above 1 the prefix makes the last template more likely than it is overall.
    pub lift: f64,
}

/// At most this many patterns come back from [`sequence_patterns`]: past it,
/// the support threshold rises (top-k mining), which bounds time and memory
/// whatever `min_support` and `max_len` ask for.
pub const MAX_SEQUENCE_PATTERNS: usize = 10_000;

/// Frequent template sequences of length 2 to `max_len` whose support is at
/// least `min_support × executions` (and at least 1), sorted by support
/// descending, then lift descending, then templates; when more than
/// [`MAX_SEQUENCE_PATTERNS`] qualify, the first that many in this order.
///
/// Executions are the distinct `execution_id`s; rows without one are ignored.
/// Each execution's rows are ordered by timestamp (ties in input order) and
/// consecutive repeats of a template are collapsed (`A A B` is `A B`).
/// Returns nothing when `max_len < 2`, `min_support > 1` or it is NaN.
///
/// The work is about the build (linear in rows, ~60 ms per million) plus,
/// for each pattern, one scan of the suffixes its prefix leaves: it grows with
/// the number of patterns, which the cap bounds.
pub fn sequence_patterns(
    rows: &[PatternRow],
    min_support: f64,
    max_len: usize,
) -> Vec<SequencePattern> {
    top_sequence_patterns(rows, min_support, max_len, MAX_SEQUENCE_PATTERNS)
}

/// [`sequence_patterns`] with a given cap.
pub(super) fn top_sequence_patterns(
    rows: &[PatternRow],
    min_support: f64,
    max_len: usize,
    max_patterns: usize,
) -> Vec<SequencePattern> {
    // Positions and counts are u32: 2³² rows would be ~400 GB of PatternRow.
    if max_len < 2 || min_support.is_nan() || min_support > 1.0 || rows.len() >= u32::MAX as usize {
        return Vec::new();
    }
    let sequences = Sequences::build(rows);
    let executions = sequences.len();
    if executions == 0 {
        return Vec::new();
    }
    // Tolerance so that e.g. 0.4 × 5 asks for 2, not 3, whatever the rounding.
    let min_count = ((min_support.max(0.0) * executions as f64) - 1e-9)
        .ceil()
        .max(1.0) as u32;
    let item_support = sequences.item_support();
    let (found, _) = prefix_span(&sequences, &item_support, min_count, max_len, max_patterns);

    let n = executions as f64;
    let mut out: Vec<SequencePattern> = found
        .into_iter()
        .map(|f| {
            let last = *f.items.last().expect("found patterns have length >= 2");
            let confidence = f64::from(f.support) / f64::from(f.prefix_support);
            let p_last = f64::from(item_support[last as usize]) / n;
            SequencePattern {
                templates: f
                    .items
                    .iter()
                    .map(|&i| sequences.templates[i as usize])
                    .collect(),
                support: u64::from(f.support),
                frequency: f64::from(f.support) / n,
                confidence,
                lift: confidence / p_last,
            }
        })
        .collect();
    out.sort_unstable_by(|a, b| {
        b.support
            .cmp(&a.support)
            .then(b.lift.total_cmp(&a.lift))
            .then_with(|| a.templates.cmp(&b.templates))
    });
    out.truncate(max_patterns);
    out
}

/// One collapsed template sequence per execution, flattened. Items are dense
/// ids (`u32`; positions too: the rows of one call fit in memory, far below 2³²).
struct Sequences {
    /// Sequence `s` is `items[starts[s]..starts[s + 1]]`.
    items: Vec<u32>,
    starts: Vec<u32>,
    /// Dense id → template id.
    templates: Vec<u64>,
}

impl Sequences {
    fn build(rows: &[PatternRow]) -> Sequences {
        // Execution ids are user data: they keep std's DoS-resistant hasher.
        let mut executions: HashMap<&str, u32> = HashMap::new();
        let mut dense: IdMap<u64, u32> = IdMap::default();
        let mut templates = Vec::new();
        // (timestamp, execution, dense template) per row with an execution:
        // one pass over the (wide) rows, then only over this.
        let mut tagged: Vec<(i64, u32, u32)> = Vec::with_capacity(rows.len());
        let mut sizes: Vec<u32> = Vec::new();
        let mut previous: Option<(&str, u32)> = None;
        for row in rows {
            let Some(execution) = row.execution_id else {
                continue;
            };
            let e = match previous {
                // Rows of one execution often come together: skip the lookup.
                Some((id, e)) if id == execution => e,
                _ => {
                    let next = executions.len() as u32;
                    let e = *executions.entry(execution).or_insert(next);
                    if e == next {
                        sizes.push(0);
                    }
                    e
                }
            };
            previous = Some((execution, e));
            sizes[e as usize] += 1;
            let next = templates.len() as u32;
            let t = *dense.entry(row.template_id).or_insert(next);
            if t == next {
                templates.push(row.template_id);
            }
            tagged.push((row.timestamp_us, e, t));
        }

        // Counting sort by execution, keeping input order within one.
        let mut cursor: Vec<usize> = Vec::with_capacity(sizes.len());
        let mut at = 0usize;
        for &size in &sizes {
            cursor.push(at);
            at += size as usize;
        }
        let mut grouped: Vec<(i64, u32)> = vec![(0, 0); at];
        for &(ts, e, t) in &tagged {
            let slot = &mut cursor[e as usize];
            grouped[*slot] = (ts, t);
            *slot += 1;
        }

        let mut items = Vec::with_capacity(grouped.len());
        let mut starts = Vec::with_capacity(sizes.len() + 1);
        let mut from = 0usize;
        for &size in &sizes {
            let sequence = &mut grouped[from..from + size as usize];
            from += size as usize;
            if !sequence.is_sorted_by_key(|&(ts, _)| ts) {
                sequence.sort_by_key(|&(ts, _)| ts); // stable: ties keep input order
            }
            starts.push(items.len() as u32);
            let mut last = u32::MAX;
            for &(_, t) in sequence.iter() {
                if t != last {
                    items.push(t);
                    last = t;
                }
            }
        }
        starts.push(items.len() as u32);
        Sequences {
            items,
            starts,
            templates,
        }
    }

    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    fn get(&self, s: usize) -> &[u32] {
        &self.items[self.starts[s] as usize..self.starts[s + 1] as usize]
    }

    /// Number of sequences holding each item.
    fn item_support(&self) -> Vec<u32> {
        let mut support = vec![0u32; self.templates.len()];
        let mut seen = vec![usize::MAX; self.templates.len()];
        for s in 0..self.len() {
            for &item in self.get(s) {
                if seen[item as usize] != s {
                    seen[item as usize] = s;
                    support[item as usize] += 1;
                }
            }
        }
        support
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::row;
    use super::*;

    /// One row per `(execution, timestamp, template)`.
    fn rows(spec: &[(&'static str, i64, u64)]) -> Vec<PatternRow<'static>> {
        spec.iter()
            .map(|&(e, ts, t)| PatternRow {
                execution_id: Some(e),
                ..row(ts, t, "info")
            })
            .collect()
    }

    /// `(templates, support, confidence, lift)` of each result.
    fn summary(p: &[SequencePattern]) -> Vec<(Vec<u64>, u64, f64, f64)> {
        p.iter()
            .map(|p| (p.templates.clone(), p.support, p.confidence, p.lift))
            .collect()
    }

    #[test]
    fn hand_computed_support_confidence_and_lift() {
        const A: u64 = 1;
        const B: u64 = 2;
        const C: u64 = 3;
        const D: u64 = 4;
        // Six executions: ABC, AB, AC, BC, ABC, D. Execution e2 arrives out of
        // order and with a repeat (A@10, A@15, B@20 collapses to AB); a row
        // without an execution is ignored.
        let mut input = rows(&[
            ("e1", 1, A),
            ("e1", 2, B),
            ("e1", 3, C),
            ("e2", 20, B),
            ("e2", 10, A),
            ("e2", 15, A),
            ("e3", 1, A),
            ("e3", 2, C),
            ("e4", 1, B),
            ("e4", 2, C),
            ("e5", 1, A),
            ("e5", 2, B),
            ("e5", 3, C),
            ("e6", 1, D),
        ]);
        input.insert(3, row(0, C, "info"));
        // supports: A = B = C = 4 of 6; AB = AC = BC = 3; ABC = 2.
        // AB: confidence 3/4, lift (3/4) / (4/6) = 9/8. ABC: confidence 2/3, lift 1.
        let pair = |x, y| (vec![x, y], 3, 0.75, 1.125);
        let abc = (vec![A, B, C], 2, 2.0 / 3.0, 1.0);
        let cases = [
            (
                1.0 / 3.0,
                3,
                vec![pair(A, B), pair(A, C), pair(B, C), abc.clone()],
            ),
            (0.3, 5, vec![pair(A, B), pair(A, C), pair(B, C), abc]),
            (1.0 / 3.0, 2, vec![pair(A, B), pair(A, C), pair(B, C)]),
            (0.5, 3, vec![pair(A, B), pair(A, C), pair(B, C)]),
            (0.51, 3, vec![]),
            (0.3, 1, vec![]),
            (f64::NAN, 3, vec![]),
            (1.5, 3, vec![]),
        ];
        for (min_support, max_len, want) in cases {
            let got = summary(&sequence_patterns(&input, min_support, max_len));
            assert_eq!(
                got.len(),
                want.len(),
                "min_support {min_support}, max_len {max_len}: {got:?}"
            );
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(
                    (&g.0, g.1),
                    (&w.0, w.1),
                    "min_support {min_support}, max_len {max_len}"
                );
                assert!(
                    (g.2 - w.2).abs() < 1e-12 && (g.3 - w.3).abs() < 1e-12,
                    "{g:?} vs {w:?}"
                );
            }
        }
    }

    #[test]
    fn repeats_count_only_when_not_consecutive() {
        // (one execution's templates in time order, patterns expected at min_support 1)
        let cases: &[(&[u64], &[&[u64]])] = &[
            (&[1, 1, 1], &[]),
            (&[1, 1, 2, 2], &[&[1, 2]]),
            (&[1, 2, 1], &[&[1, 1], &[1, 2], &[1, 2, 1], &[2, 1]]),
        ];
        for &(templates, want) in cases {
            let spec: Vec<_> = templates
                .iter()
                .enumerate()
                .map(|(i, &t)| ("e", i as i64, t))
                .collect();
            let mut got: Vec<Vec<u64>> = sequence_patterns(&rows(&spec), 1.0, 4)
                .into_iter()
                .map(|p| p.templates)
                .collect();
            got.sort();
            assert_eq!(got, want, "{templates:?}");
        }
    }

    #[test]
    fn min_support_is_inclusive_despite_rounding() {
        // 7 of 25 executions hold 1→2; 0.28 × 25 is 7.000000000000001 in f64.
        let ids: Vec<String> = (0..25).map(|i| format!("e{i}")).collect();
        let input: Vec<PatternRow> = ids
            .iter()
            .enumerate()
            .flat_map(|(i, e)| {
                let (x, y) = if i < 7 { (1, 2) } else { (3, 3) };
                [(0, x), (1, y)].map(|(ts, t)| PatternRow {
                    execution_id: Some(e.as_str()),
                    ..row(ts, t, "info")
                })
            })
            .collect();
        let got = summary(&sequence_patterns(&input, 0.28, 2));
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!((&got[0].0, got[0].1), (&vec![1, 2], 7));
    }

    #[test]
    fn timestamp_ties_keep_input_order() {
        let input = rows(&[("e", 5, 2), ("e", 5, 1), ("e", 1, 3)]);
        let got: Vec<Vec<u64>> = sequence_patterns(&input, 1.0, 3)
            .into_iter()
            .map(|p| p.templates)
            .collect();
        assert!(got.contains(&vec![3, 2, 1]), "{got:?}");
        assert!(!got.contains(&vec![1, 2]), "{got:?}");
    }
}
