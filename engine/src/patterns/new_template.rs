//! `new_templates`: templates a window has that its baseline does not.

use serde::Serialize;

use super::{Examples, IdMap, IdSet, LevelMix, PatternRow, Severity};

/// A template seen in the window and never in the baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewTemplate {
    pub template_id: u64,
    /// Rows of this template in the window.
    pub count: u64,
    /// Its earliest timestamp in the window.
    pub first_seen_us: i64,
    pub examples: Vec<String>,
    /// From the level mix of its rows: any fatal → Critical, any error →
    /// High, any warn → Medium, else Low (a new template is always worth a look).
    pub severity: Severity,
}

/// Templates of `window` absent from `baseline`, most severe first, then
/// most rows, then `template_id`.
///
/// Runs in O(w + b + t log t) for w window rows, b baseline rows and t new templates.
pub fn new_templates(window: &[PatternRow], baseline: &[PatternRow]) -> Vec<NewTemplate> {
    let known: IdSet<u64> = baseline.iter().map(|r| r.template_id).collect();
    #[derive(Default)]
    struct Acc<'a> {
        count: u64,
        first: Option<i64>,
        levels: LevelMix,
        examples: Examples<'a>,
    }
    let mut accs: IdMap<u64, Acc> = IdMap::default();
    for row in window.iter().filter(|r| !known.contains(&r.template_id)) {
        let acc = accs.entry(row.template_id).or_default();
        acc.count += 1;
        acc.first = Some(
            acc.first
                .map_or(row.timestamp_us, |f| f.min(row.timestamp_us)),
        );
        acc.levels.add(row.level);
        acc.examples.offer(row.message);
    }
    let mut out: Vec<NewTemplate> = accs
        .into_iter()
        .map(|(template_id, acc)| NewTemplate {
            template_id,
            count: acc.count,
            first_seen_us: acc
                .first
                .expect("an accumulator exists only once a row was added"),
            examples: acc.examples.into_strings(),
            severity: acc.levels.severity().unwrap_or(Severity::Low),
        })
        .collect();
    out.sort_unstable_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.count.cmp(&a.count))
            .then(a.template_id.cmp(&b.template_id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::row;
    use super::*;

    #[test]
    fn finds_templates_absent_from_the_baseline() {
        let msg = |r: PatternRow<'static>, message| PatternRow { message, ..r };
        let window = vec![
            row(1, 1, "info"),
            msg(row(50, 2, "info"), "late"),
            msg(row(40, 2, "info"), "early"),
            row(60, 3, "warn"),
            row(70, 4, "info"),
            row(65, 4, "error"),
            row(80, 5, "fatal"),
            row(90, 9, "fatal"),
        ];
        let baseline = vec![row(0, 1, "info"), row(0, 9, "info"), row(0, 77, "error")];
        // (baseline, expected (template, count, first seen, severity))
        type Found = (u64, u64, i64, Severity);
        let cases: &[(&[PatternRow], &[Found])] = &[
            (
                &baseline,
                &[
                    (5, 1, 80, Severity::Critical),
                    (4, 2, 65, Severity::High),
                    (3, 1, 60, Severity::Medium),
                    (2, 2, 40, Severity::Low),
                ],
            ),
            (
                &[],
                &[
                    (5, 1, 80, Severity::Critical),
                    (9, 1, 90, Severity::Critical),
                    (4, 2, 65, Severity::High),
                    (3, 1, 60, Severity::Medium),
                    (2, 2, 40, Severity::Low),
                    (1, 1, 1, Severity::Low),
                ],
            ),
            (&window, &[]),
        ];
        for &(baseline, want) in cases {
            let got = new_templates(&window, baseline);
            let got: Vec<_> = got
                .iter()
                .map(|n| (n.template_id, n.count, n.first_seen_us, n.severity))
                .collect();
            assert_eq!(got, want, "baseline {baseline:?}");
        }
        let two = new_templates(&window, &baseline)
            .into_iter()
            .find(|n| n.template_id == 2);
        assert_eq!(
            two.map(|n| n.examples),
            Some(vec!["late".to_owned(), "early".to_owned()])
        );
        assert!(new_templates(&[], &baseline).is_empty());
    }
}
