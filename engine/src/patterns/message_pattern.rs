//! `message_patterns`: templates ranked by how many rows they produced.

use std::collections::HashMap;

use serde::Serialize;

use super::{
    Examples, IdMap, IdSet, LevelMix, PatternRow, Severity, US_PER_MINUTE, percent, ratio,
};

/// A quiet (trace/debug/info) template holding at least this share of the rows…
pub const NOISY_SHARE: f64 = 0.5;
/// …and at least this many rows is reported as noise (severity `Low`).
pub const NOISY_MIN_ROWS: u64 = 1_000;

/// One template's footprint in the rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessagePattern {
    pub template_id: u64,
    pub count: u64,
    /// `count / rows`.
    pub frequency: f64,
    pub first_seen_us: i64,
    pub last_seen_us: i64,
    /// At most three distinct messages, first met first.
    pub examples: Vec<String>,
    /// tf-idf with the range's minutes as documents:
    /// `frequency × (1 + ln((1 + M) / (1 + m)))`, where `M` is the number of
    /// minutes holding any row and `m` the number holding this template.
    /// A template spread evenly over the range scores its plain frequency; one
    /// packed into a few minutes (a burst, an incident) scores up to
    /// `1 + ln((1 + M) / 2)` times more. Higher = more notable.
    pub significance: f64,
    /// From the level mix: any fatal → Critical, any error → High, any warn →
    /// Medium; a noisy quiet template (see [`NOISY_SHARE`]) → Low; else `None`.
    pub severity: Option<Severity>,
    /// Set exactly when `severity` is.
    pub recommendation: Option<String>,
}

#[derive(Default)]
struct Acc<'a> {
    count: u64,
    first: i64,
    last: i64,
    minutes: u64,
    levels: LevelMix,
    examples: Examples<'a>,
}

/// Templates whose share of `rows` is at least `min_frequency`, most rows
/// first (ties by `template_id`), at most `max_results` of them.
///
/// Runs in O(n + t log t) for n rows and t templates.
pub fn message_patterns(
    rows: &[PatternRow],
    min_frequency: f64,
    max_results: usize,
) -> Vec<MessagePattern> {
    let total = rows.len() as u64;
    let mut accs: IdMap<u64, Acc> = IdMap::default();
    let mut template_minutes: IdSet<(u64, i64)> = IdSet::default();
    let mut all_minutes: IdSet<i64> = IdSet::default();
    for row in rows {
        let acc = accs.entry(row.template_id).or_insert_with(|| Acc {
            first: i64::MAX,
            last: i64::MIN,
            ..Acc::default()
        });
        acc.count += 1;
        acc.first = acc.first.min(row.timestamp_us);
        acc.last = acc.last.max(row.timestamp_us);
        acc.levels.add(row.level);
        acc.examples.offer(row.message);
        let minute = row.timestamp_us.div_euclid(US_PER_MINUTE);
        all_minutes.insert(minute);
        if template_minutes.insert((row.template_id, minute)) {
            acc.minutes += 1;
        }
    }
    let active_minutes = all_minutes.len() as f64;

    let mut kept: Vec<(u64, Acc)> = accs
        .into_iter()
        .filter(|(_, acc)| ratio(acc.count, total) >= min_frequency)
        .collect();
    kept.sort_unstable_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(&b.0)));
    kept.truncate(max_results);

    let severities: Vec<Option<Severity>> =
        kept.iter().map(|(_, acc)| severity(acc, total)).collect();
    let flagged: Vec<u64> = kept
        .iter()
        .zip(&severities)
        .filter(|(_, s)| s.is_some())
        .map(|((id, _), _)| *id)
        .collect();
    let services = top_services(rows, &flagged);

    kept.into_iter()
        .zip(severities)
        .map(|((template_id, acc), severity)| {
            let frequency = ratio(acc.count, total);
            let idf = 1.0 + ((1.0 + active_minutes) / (1.0 + acc.minutes as f64)).ln();
            let recommendation = severity.map(|s| {
                recommend(
                    template_id,
                    &acc,
                    frequency,
                    s,
                    services.get(&template_id).copied(),
                )
            });
            MessagePattern {
                template_id,
                count: acc.count,
                frequency,
                first_seen_us: acc.first,
                last_seen_us: acc.last,
                examples: acc.examples.into_strings(),
                significance: frequency * idf,
                severity,
                recommendation,
            }
        })
        .collect()
}

fn severity(acc: &Acc, total: u64) -> Option<Severity> {
    acc.levels.severity().or_else(|| {
        (acc.count >= NOISY_MIN_ROWS && ratio(acc.count, total) >= NOISY_SHARE)
            .then_some(Severity::Low)
    })
}

/// The service with the most rows of each template in `wanted` (ties by name).
/// One extra pass, paid only for the templates that get a recommendation.
fn top_services<'a>(rows: &[PatternRow<'a>], wanted: &[u64]) -> IdMap<u64, &'a str> {
    if wanted.is_empty() {
        return IdMap::default();
    }
    let wanted: IdSet<u64> = wanted.iter().copied().collect();
    let mut counts: HashMap<(u64, &str), u64> = HashMap::new();
    for row in rows {
        if let Some(service) = row.service
            && wanted.contains(&row.template_id)
        {
            *counts.entry((row.template_id, service)).or_default() += 1;
        }
    }
    let mut best: IdMap<u64, (&str, u64)> = IdMap::default();
    for ((template, service), count) in counts {
        let slot = best.entry(template).or_insert((service, count));
        if count > slot.1 || (count == slot.1 && service < slot.0) {
            *slot = (service, count);
        }
    }
    best.into_iter().map(|(t, (s, _))| (t, s)).collect()
}

fn recommend(
    template_id: u64,
    acc: &Acc,
    frequency: f64,
    severity: Severity,
    service: Option<&str>,
) -> String {
    let share = percent(frequency);
    let service = service
        .map(|s| format!(" in service {s}"))
        .unwrap_or_default();
    let example = acc.examples.first().unwrap_or_default();
    let example = super::truncate(example, 120);
    match severity {
        Severity::Critical => format!(
            "Template {template_id} logged {} fatal record(s) ({share} of rows){service}; \
             a process is dying: start from its example \"{example}\" and the stack traces around it.",
            acc.levels.fatal
        ),
        Severity::High => format!(
            "Template {template_id} logged {} error record(s) ({share} of rows){service}; \
             check its error types in the error patterns and the code path behind \"{example}\".",
            acc.levels.error
        ),
        Severity::Medium => format!(
            "Template {template_id} logged {} warning(s) ({share} of rows){service}; \
             check whether it precedes errors, or raise its threshold if it is expected: \"{example}\".",
            acc.levels.warn
        ),
        Severity::Low => format!(
            "Template {template_id} is {share} of all rows ({} rows){service}; \
             consider lowering its level or sampling it: \"{example}\".",
            acc.count
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{MIN, row};
    use super::*;

    /// 8 rows over minutes 0..=2: template 1 (info) ×5 in all three minutes,
    /// template 3 (warn) ×2 in minute 2, template 2 (error) ×1 in minute 0.
    fn rows() -> Vec<PatternRow<'static>> {
        let msg = |r: PatternRow<'static>, message| PatternRow { message, ..r };
        let svc = |r: PatternRow<'static>, s| PatternRow {
            service: Some(s),
            ..r
        };
        vec![
            msg(row(10, 1, "info"), "a"),
            msg(row(5, 1, "info"), "a"),
            svc(msg(row(20, 2, "error"), "db down"), "db"),
            msg(row(30, 1, "INFO"), "b"),
            msg(row(MIN + 1, 1, "info"), "c"),
            msg(row(2 * MIN + 9, 1, "info"), "d"),
            svc(msg(row(2 * MIN, 3, "warn"), "slow"), "api"),
            svc(row(2 * MIN + 1, 3, "warning"), "web"),
        ]
    }

    #[test]
    fn ranks_filters_and_truncates() {
        // (min_frequency, max_results, expected (template, count))
        type Case = (f64, usize, &'static [(u64, u64)]);
        let cases: &[Case] = &[
            (0.0, 10, &[(1, 5), (3, 2), (2, 1)]),
            (0.2, 10, &[(1, 5), (3, 2)]),
            (0.125, 10, &[(1, 5), (3, 2), (2, 1)]), // exactly 1/8 is kept
            (0.0, 1, &[(1, 5)]),
            (0.0, 0, &[]),
            (0.9, 10, &[]),
            (f64::NAN, 10, &[]),
        ];
        for &(min_frequency, max_results, want) in cases {
            let got: Vec<(u64, u64)> = message_patterns(&rows(), min_frequency, max_results)
                .iter()
                .map(|p| (p.template_id, p.count))
                .collect();
            assert_eq!(
                got, want,
                "min_frequency {min_frequency}, max_results {max_results}"
            );
        }
    }

    #[test]
    fn computes_each_field_by_hand() {
        let got = message_patterns(&rows(), 0.0, 10);
        let ln2 = 2f64.ln();
        // (template, frequency, first, last, examples, significance, severity)
        type Want = (
            u64,
            f64,
            i64,
            i64,
            &'static [&'static str],
            f64,
            Option<Severity>,
        );
        let want: &[Want] = &[
            // M = 3 active minutes; template 1 is in all 3: idf = 1 + ln(4/4) = 1.
            (
                1,
                5.0 / 8.0,
                5,
                2 * MIN + 9,
                &["a", "b", "c"],
                5.0 / 8.0,
                None,
            ),
            // in 1 minute: idf = 1 + ln(4/2).
            (
                3,
                2.0 / 8.0,
                2 * MIN,
                2 * MIN + 1,
                &["slow", "m"],
                0.25 * (1.0 + ln2),
                Some(Severity::Medium),
            ),
            (
                2,
                1.0 / 8.0,
                20,
                20,
                &["db down"],
                0.125 * (1.0 + ln2),
                Some(Severity::High),
            ),
        ];
        assert_eq!(got.len(), want.len());
        for (p, &(id, freq, first, last, examples, sig, severity)) in got.iter().zip(want) {
            assert_eq!(p.template_id, id);
            assert!((p.frequency - freq).abs() < 1e-12, "{p:?}");
            assert_eq!((p.first_seen_us, p.last_seen_us), (first, last), "{p:?}");
            assert_eq!(p.examples, examples, "{p:?}");
            assert!((p.significance - sig).abs() < 1e-12, "{p:?}: want {sig}");
            assert_eq!(p.severity, severity, "{p:?}");
            assert_eq!(p.recommendation.is_some(), severity.is_some(), "{p:?}");
        }
        let rec = |i: usize| got[i].recommendation.clone().unwrap_or_default();
        assert!(
            rec(1).starts_with("Template 3 logged 2 warning(s) (25% of rows) in service api;"),
            "{}",
            rec(1)
        );
        assert!(
            rec(2).starts_with("Template 2 logged 1 error record(s) (12% of rows) in service db;"),
            "{}",
            rec(2)
        );
        assert!(rec(2).ends_with("\"db down\"."), "{}", rec(2));
    }

    #[test]
    fn equal_counts_rank_by_template_id() {
        let rows = [
            row(0, 9, "info"),
            row(1, 4, "info"),
            row(2, 7, "info"),
            row(3, 4, "info"),
        ];
        let got: Vec<u64> = message_patterns(&rows, 0.0, 10)
            .iter()
            .map(|p| p.template_id)
            .collect();
        assert_eq!(got, [4, 7, 9]);
    }

    #[test]
    fn flags_a_dominant_quiet_template_as_noise() {
        // (rows of the quiet template, rows of another) -> severity of the quiet one
        let cases = [
            (NOISY_MIN_ROWS, 1, Some(Severity::Low)),
            (NOISY_MIN_ROWS - 1, 1, None), // too few rows
            (NOISY_MIN_ROWS, NOISY_MIN_ROWS, Some(Severity::Low)), // exactly half
            (NOISY_MIN_ROWS, NOISY_MIN_ROWS + 1, None), // under half
        ];
        for (quiet, other, want) in cases {
            let mut rows: Vec<PatternRow> = (0..quiet).map(|i| row(i as i64, 9, "debug")).collect();
            rows.extend((0..other).map(|i| row(i as i64, 8, "info")));
            let got = message_patterns(&rows, 0.0, 10);
            let p = got
                .iter()
                .find(|p| p.template_id == 9)
                .expect("template 9 is reported");
            assert_eq!(p.severity, want, "quiet {quiet}, other {other}");
            if want.is_some() {
                let rec = p.recommendation.as_deref().unwrap_or_default();
                assert!(
                    rec.contains("consider lowering its level or sampling it"),
                    "{rec}"
                );
            }
        }
    }
}
