//! Fixtures shared by the per-file tests, the brute-force oracle for
//! `sequence_patterns`, and tests of the shared conventions.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::*;

/// An info row with no service, execution or error type, message `"m"`.
pub(super) fn row(timestamp_us: i64, template_id: u64, level: &'static str) -> PatternRow<'static> {
    PatternRow {
        timestamp_us,
        template_id,
        level,
        service: None,
        execution_id: None,
        error_type: None,
        message: "m",
    }
}

pub(super) const MIN: i64 = 60_000_000;

/// splitmix64: a seeded generator, so a failing case can be replayed.
pub(super) struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn levels_are_classified_case_insensitively_with_aliases() {
    let cases = [
        ("info", Level::Quiet),
        ("TRACE", Level::Quiet),
        ("nonsense", Level::Quiet),
        ("", Level::Quiet),
        ("Warn", Level::Warn),
        ("WARNING", Level::Warn),
        ("error", Level::Error),
        ("ERR", Level::Error),
        ("fatal", Level::Fatal),
        ("Critical", Level::Fatal),
        ("panic", Level::Fatal),
    ];
    for (text, want) in cases {
        assert_eq!(Level::of(text), want, "{text:?}");
    }
}

#[test]
fn examples_are_distinct_first_met_capped_and_truncated_on_char_boundaries() {
    let mut ex = Examples::default();
    for m in ["a", "b", "a", "c", "d"] {
        ex.offer(m);
    }
    assert_eq!(ex.into_strings(), ["a", "b", "c"]);

    // 511 ASCII bytes then a 3-byte char: the cut at 512 must back off to 511.
    let long = format!("{}€tail", "x".repeat(MAX_EXAMPLE_BYTES - 1));
    let cut = truncate(&long, MAX_EXAMPLE_BYTES);
    assert_eq!(cut, format!("{}…", "x".repeat(MAX_EXAMPLE_BYTES - 1)));
    assert_eq!(truncate("short", MAX_EXAMPLE_BYTES), "short");
}

#[test]
fn outputs_serialize_with_lowercase_severities() {
    let rows = [row(0, 1, "fatal")];
    let json = serde_json::to_value(message_patterns(&rows, 0.0, 10)).unwrap();
    assert_eq!(json[0]["severity"], "critical");
    assert_eq!(json[0]["template_id"], 1);
    let json = serde_json::to_value(temporal_patterns(&rows, 3.0)).unwrap();
    assert_eq!(json["hour_of_day"].as_array().map(Vec::len), Some(24));
    assert_eq!(json["per_minute"][0], serde_json::json!([0, 1]));
}

#[test]
fn every_analysis_accepts_empty_input() {
    assert!(message_patterns(&[], 0.0, 10).is_empty());
    assert!(error_patterns(&[], 0.0).is_empty());
    assert!(sequence_patterns(&[], 0.0, 5).is_empty());
    assert!(new_templates(&[], &[]).is_empty());
    let t = temporal_patterns(&[], 3.0);
    assert_eq!(
        (t.hour_of_day, t.per_minute.len(), t.bursts.len()),
        ([0; 24], 0, 0)
    );
}

// ---- sequence_patterns against a brute-force oracle -------------------------

/// Every execution's collapsed template sequence, built independently of
/// `SequenceDb`: sort by (timestamp, input order), drop consecutive repeats.
fn oracle_sequences(rows: &[PatternRow]) -> Vec<Vec<u64>> {
    let mut by_exec: BTreeMap<&str, Vec<(i64, usize, u64)>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(e) = r.execution_id {
            by_exec
                .entry(e)
                .or_default()
                .push((r.timestamp_us, i, r.template_id));
        }
    }
    by_exec
        .into_values()
        .map(|mut v| {
            v.sort();
            let mut seq: Vec<u64> = v.into_iter().map(|(_, _, t)| t).collect();
            seq.dedup();
            seq
        })
        .collect()
}

/// All distinct subsequences of `seq` with 1 to `max_len` items.
fn subsequences(seq: &[u64], max_len: usize) -> HashSet<Vec<u64>> {
    fn go(
        seq: &[u64],
        from: usize,
        cur: &mut Vec<u64>,
        max_len: usize,
        out: &mut HashSet<Vec<u64>>,
    ) {
        if !cur.is_empty() {
            out.insert(cur.clone());
        }
        if cur.len() == max_len {
            return;
        }
        for i in from..seq.len() {
            cur.push(seq[i]);
            go(seq, i + 1, cur, max_len, out);
            cur.pop();
        }
    }
    let mut out = HashSet::new();
    go(seq, 0, &mut Vec::new(), max_len, &mut out);
    out
}

/// `(templates, support, confidence, lift)` of every pattern of length ≥ 2
/// with support ≥ min_support × executions, by enumeration.
fn oracle(rows: &[PatternRow], min_support: f64, max_len: usize) -> Vec<(Vec<u64>, u64, f64, f64)> {
    let seqs = oracle_sequences(rows);
    let n = seqs.len() as f64;
    let mut support: HashMap<Vec<u64>, u64> = HashMap::new();
    for s in &seqs {
        for sub in subsequences(s, max_len) {
            *support.entry(sub).or_default() += 1;
        }
    }
    let mut out: Vec<_> = support
        .iter()
        .filter(|(p, c)| p.len() >= 2 && **c as f64 >= min_support * n - 1e-9)
        .map(|(p, &c)| {
            let confidence = c as f64 / support[&p[..p.len() - 1]] as f64;
            let p_last = support[&p[p.len() - 1..]] as f64 / n;
            (p.clone(), c, confidence, confidence / p_last)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

const EXECS: [&str; 12] = [
    "e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9", "e10", "e11",
];

/// Up to 60 rows over up to 12 executions and 5 templates, timestamps with
/// ties, one row in ten without an execution (to be ignored).
fn random_rows(rng: &mut Rng) -> Vec<PatternRow<'static>> {
    let executions = 1 + rng.below(EXECS.len() as u64);
    let alphabet = 1 + rng.below(5);
    let n_rows = rng.below(60) as usize;
    (0..n_rows)
        .map(|_| {
            let mut r = row(rng.below(12) as i64, 100 + rng.below(alphabet), "info");
            r.execution_id = (rng.below(10) != 0).then(|| EXECS[rng.below(executions) as usize]);
            r
        })
        .collect()
}

#[test]
fn sequence_patterns_match_brute_force_enumeration_on_random_inputs() {
    let mut rng = Rng(0x5EED);
    let mut non_trivial = 0;
    for case in 0..400 {
        let rows = random_rows(&mut rng);
        let min_support = [0.0, 0.1, 0.2, 1.0 / 3.0, 0.5, 0.75, 1.0][rng.below(7) as usize];
        let max_len = 2 + rng.below(4) as usize;

        let got = sequence_patterns(&rows, min_support, max_len);
        let want = oracle(&rows, min_support, max_len);
        non_trivial += usize::from(!want.is_empty());

        let mut got_sorted: Vec<_> = got.iter().collect();
        got_sorted.sort_by(|a, b| a.templates.cmp(&b.templates));
        let ctx =
            format!("case {case}: min_support {min_support}, max_len {max_len}, rows {rows:?}");
        assert_eq!(got_sorted.len(), want.len(), "{ctx}");
        let n = oracle_sequences(&rows).len() as f64;
        for (g, (templates, support, confidence, lift)) in got_sorted.iter().zip(&want) {
            assert_eq!(&g.templates, templates, "{ctx}");
            assert_eq!(g.support, *support, "{ctx}");
            assert!((g.frequency - *support as f64 / n).abs() < 1e-12, "{ctx}");
            assert!((g.confidence - confidence).abs() < 1e-12, "{ctx}");
            assert!((g.lift - lift).abs() < 1e-12, "{ctx}");
        }
        // The documented order: support desc, then lift desc, then templates.
        for w in got.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            let ordered = a.support > b.support
                || (a.support == b.support
                    && (a.lift > b.lift || (a.lift == b.lift && a.templates < b.templates)));
            assert!(ordered, "{ctx}: {a:?} before {b:?}");
        }
    }
    assert!(
        non_trivial > 200,
        "the generator must produce patterns; got {non_trivial}"
    );
}

#[test]
fn capped_sequence_patterns_are_exactly_the_oracles_first_ones() {
    let mut rng = Rng(0xCA9);
    let mut capped = 0;
    for case in 0..400 {
        let rows = random_rows(&mut rng);
        let min_support = [0.0, 0.1, 0.25][rng.below(3) as usize];
        let max_len = 2 + rng.below(4) as usize;
        let cap = 1 + rng.below(8) as usize;

        let mut want = oracle(&rows, min_support, max_len);
        want.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then(b.3.total_cmp(&a.3))
                .then_with(|| a.0.cmp(&b.0))
        });
        capped += usize::from(want.len() > cap);
        want.truncate(cap);
        let got: Vec<_> = sequence_pattern::top_sequence_patterns(&rows, min_support, max_len, cap)
            .into_iter()
            .map(|p| (p.templates, p.support, p.confidence, p.lift))
            .collect();
        assert_eq!(
            got, want,
            "case {case}: cap {cap}, min_support {min_support}, max_len {max_len}, rows {rows:?}"
        );
    }
    assert!(
        capped > 200,
        "the cap must bind in most cases; it did in {capped}"
    );
}

#[test]
fn ranked_counts_are_most_frequent_first_then_by_name() {
    let got = ranked([("b", 2), ("a", 2), ("c", 5)]);
    let want = [("c", 5), ("a", 2), ("b", 2)].map(|(k, c)| (k.to_owned(), c));
    assert_eq!(got, want);
}
