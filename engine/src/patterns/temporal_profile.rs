//! `temporal_patterns`: when rows happen, and the minutes where they burst.

use serde::Serialize;

use super::{IdMap, PatternRow, US_PER_HOUR, US_PER_MINUTE};

/// A per-minute baseline never counts as less than this many rows, so a
/// sparse series (median 0) still needs `burst_ratio` rows in a minute to burst.
pub const MIN_BASELINE_PER_MINUTE: f64 = 1.0;
/// Templates with fewer rows than this get no per-template bursts.
pub const TEMPLATE_BURST_MIN_ROWS: u64 = 30;

/// When the rows happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemporalProfile {
    /// Rows per UTC hour of day (index 0 = 00:00–00:59).
    pub hour_of_day: [u64; 24],
    /// `(minute start, rows)` for every minute holding at least one row,
    /// oldest first; minutes without rows are left out.
    pub per_minute: Vec<(i64, u64)>,
    /// Overall bursts (`template_id: None`) by start, then per-template bursts
    /// by start and template.
    pub bursts: Vec<Burst>,
}

/// A run of adjacent minutes each holding more than `burst_ratio × baseline` rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Burst {
    /// Start of the first minute.
    pub start_us: i64,
    /// End (exclusive) of the last minute.
    pub end_us: i64,
    /// Rows in the burst (of the template, for a per-template burst).
    pub count: u64,
    /// The median rows per minute over every minute from the first row's to
    /// the last row's, empty minutes included, floored at
    /// [`MIN_BASELINE_PER_MINUTE`].
    pub baseline_per_minute: f64,
    /// `count / (minutes × baseline_per_minute)`: the burst's mean rate over the baseline.
    pub ratio: f64,
    /// `None` for a burst of all rows, else the template that burst.
    pub template_id: Option<u64>,
}

/// Hour-of-day histogram, per-minute series and bursts.
///
/// A minute bursts when its count exceeds `burst_ratio` (e.g. 3.0) times the
/// baseline (see [`Burst::baseline_per_minute`]); adjacent bursting minutes
/// merge into one [`Burst`]. Templates with at least
/// [`TEMPLATE_BURST_MIN_ROWS`] rows are checked the same way against their own
/// median over the same span. The span is that of `rows`, not of the query's
/// time range: pass the rows of the whole range you want the baseline over.
/// A NaN `burst_ratio` finds no bursts.
///
/// Runs in O(n + m log m) for n rows and m non-empty (template, minute) pairs.
pub fn temporal_patterns(rows: &[PatternRow], burst_ratio: f64) -> TemporalProfile {
    let mut hour_of_day = [0u64; 24];
    let mut minutes: IdMap<i64, u64> = IdMap::default();
    let mut template_minutes: IdMap<(u64, i64), u64> = IdMap::default();
    let mut template_rows: IdMap<u64, u64> = IdMap::default();
    for row in rows {
        let hour = row.timestamp_us.div_euclid(US_PER_HOUR).rem_euclid(24);
        hour_of_day[hour as usize] += 1;
        let minute = row.timestamp_us.div_euclid(US_PER_MINUTE);
        *minutes.entry(minute).or_default() += 1;
        *template_minutes
            .entry((row.template_id, minute))
            .or_default() += 1;
        *template_rows.entry(row.template_id).or_default() += 1;
    }

    let mut series: Vec<(i64, u64)> = minutes.into_iter().collect();
    series.sort_unstable();
    let span = match (series.first(), series.last()) {
        (Some(first), Some(last)) => (last.0 - first.0 + 1) as u64,
        _ => 0,
    };

    let mut bursts = detect(&series, span, burst_ratio, None);
    let mut per_template: Vec<((u64, i64), u64)> = template_minutes
        .into_iter()
        .filter(|((t, _), _)| template_rows[t] >= TEMPLATE_BURST_MIN_ROWS)
        .collect();
    per_template.sort_unstable();
    for group in per_template.chunk_by(|a, b| a.0.0 == b.0.0) {
        let template = group[0].0.0;
        let series: Vec<(i64, u64)> = group.iter().map(|&((_, m), c)| (m, c)).collect();
        bursts.extend(detect(&series, span, burst_ratio, Some(template)));
    }
    bursts.sort_by_key(|b| (b.template_id.is_some(), b.start_us, b.template_id));

    TemporalProfile {
        hour_of_day,
        per_minute: series
            .into_iter()
            .map(|(m, c)| (minute_start(m), c))
            .collect(),
        bursts,
    }
}

/// Bursts of `series` (`(minute index, count)`, ascending, non-empty minutes
/// only) over a span of `span` minutes.
fn detect(
    series: &[(i64, u64)],
    span: u64,
    burst_ratio: f64,
    template_id: Option<u64>,
) -> Vec<Burst> {
    let baseline = median_with_zeros(series, span).max(MIN_BASELINE_PER_MINUTE);
    let threshold = burst_ratio * baseline;
    // (first minute, last minute, rows) of each run of adjacent bursting minutes.
    let mut runs: Vec<(i64, i64, u64)> = Vec::new();
    for &(minute, count) in series.iter().filter(|&&(_, c)| c as f64 > threshold) {
        match runs.last_mut() {
            Some(run) if run.1 + 1 == minute => {
                run.1 = minute;
                run.2 += count;
            }
            _ => runs.push((minute, minute, count)),
        }
    }
    runs.into_iter()
        .map(|(first, last, count)| Burst {
            start_us: minute_start(first),
            end_us: minute_start(last + 1),
            count,
            baseline_per_minute: baseline,
            ratio: count as f64 / ((last - first + 1) as f64 * baseline),
            template_id,
        })
        .collect()
}

/// Median of `span` per-minute counts of which those in `series` are non-zero
/// and the rest are zero.
fn median_with_zeros(series: &[(i64, u64)], span: u64) -> f64 {
    if span == 0 {
        return 0.0;
    }
    let mut counts: Vec<u64> = series.iter().map(|&(_, c)| c).collect();
    counts.sort_unstable();
    let zeros = span as usize - counts.len();
    let at = |k: usize| {
        if k < zeros {
            0.0
        } else {
            counts[k - zeros] as f64
        }
    };
    let n = span as usize;
    if n % 2 == 1 {
        at(n / 2)
    } else {
        (at(n / 2 - 1) + at(n / 2)) / 2.0
    }
}

/// Start of minute `minute` in microseconds, saturating at the ends of `i64`.
fn minute_start(minute: i64) -> i64 {
    minute.saturating_mul(US_PER_MINUTE)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{MIN, row};
    use super::*;

    const HOUR: i64 = 60 * MIN;

    #[test]
    fn hour_of_day_histogram_is_utc_and_floor_aligned() {
        let ts = [
            HOUR / 2,
            HOUR,
            2 * HOUR - 1,
            23 * HOUR,
            -1,
            24 * HOUR + 5,
            47 * HOUR,
        ];
        let rows: Vec<PatternRow> = ts.iter().map(|&t| row(t, 1, "info")).collect();
        let mut want = [0u64; 24];
        want[0] = 2; // 00:30, next day 00:00
        want[1] = 2; // 01:00, 01:59:59.999999
        want[23] = 3; // 23:00, 1969-12-31 23:59:59.999999, next day 23:00
        assert_eq!(temporal_patterns(&rows, 3.0).hour_of_day, want);
    }

    /// `(minute, template, rows)` -> rows spread over that minute.
    fn series(spec: &[(i64, u64, u64)]) -> Vec<PatternRow<'static>> {
        spec.iter()
            .flat_map(|&(minute, t, n)| {
                (0..n).map(move |i| row(minute * MIN + i as i64 * 1000, t, "info"))
            })
            .collect()
    }

    fn burst(first: i64, last: i64, count: u64, baseline: f64, template_id: Option<u64>) -> Burst {
        let minutes = (last - first + 1) as f64;
        Burst {
            start_us: first * MIN,
            end_us: (last + 1) * MIN,
            count,
            baseline_per_minute: baseline,
            ratio: count as f64 / (minutes * baseline),
            template_id,
        }
    }

    #[test]
    fn finds_exactly_the_obvious_bursts() {
        // Template 1: 2 rows every minute 0..=9. Template 2: 1 row in minute 0,
        // 18 in minute 5, 7 in minute 6, 4 in minute 8 (30 rows, enough for its own bursts).
        let mut spec: Vec<(i64, u64, u64)> = (0..10).map(|m| (m, 1, 2)).collect();
        spec.extend([(0, 2, 1), (5, 2, 18), (6, 2, 7), (8, 2, 4)]);
        // Overall per minute: [3,2,2,2,2,20,9,2,6,2], median 2, threshold 6:
        // minutes 5 and 6 merge; minute 8 (6 rows) is not above 6.
        // Template 2: [1,0,0,0,0,18,7,0,4,0], median 0 -> floor 1, threshold 3.
        let with_template = vec![
            burst(5, 6, 29, 2.0, None),
            burst(5, 6, 25, 1.0, Some(2)),
            burst(8, 8, 4, 1.0, Some(2)),
        ];
        let mut too_few = spec.clone();
        too_few[10] = (0, 2, 0); // template 2 down to 29 rows: no per-template bursts
        let sparse = [(0, 1, 1), (50, 1, 5), (100, 1, 1)]; // median of 101 minutes is 0
        type Spec = Vec<(i64, u64, u64)>;
        let cases: Vec<(&str, Spec, f64, Vec<Burst>)> = vec![
            ("two templates", spec.clone(), 3.0, with_template),
            (
                "template under the volume floor",
                too_few,
                3.0,
                vec![burst(5, 6, 29, 2.0, None)],
            ),
            (
                "higher ratio",
                spec.clone(),
                9.5,
                vec![burst(5, 5, 20, 2.0, None), burst(5, 5, 18, 1.0, Some(2))],
            ),
            ("NaN ratio", spec, f64::NAN, vec![]),
            (
                "sparse series",
                sparse.to_vec(),
                3.0,
                vec![burst(50, 50, 5, 1.0, None)],
            ),
            ("one minute", vec![(7, 1, 500)], 3.0, vec![]),
            (
                "steady",
                (0..60).map(|m| (m, 1, 100)).collect(),
                3.0,
                vec![],
            ),
        ];
        for (name, spec, ratio, want) in cases {
            let got = temporal_patterns(&series(&spec), ratio);
            assert_eq!(got.bursts, want, "{name}");
        }
    }

    #[test]
    fn per_minute_lists_non_empty_minutes_in_order() {
        let rows = series(&[(3, 1, 2), (-2, 1, 1), (0, 2, 4), (3, 2, 1)]);
        let got = temporal_patterns(&rows, 3.0).per_minute;
        assert_eq!(got, [(-2 * MIN, 1), (0, 4), (3 * MIN, 3)]);
    }

    #[test]
    fn median_counts_empty_minutes() {
        // (series, span) -> median
        type Series = &'static [(i64, u64)];
        let cases: &[(Series, u64, f64)] = &[
            (&[(0, 5)], 1, 5.0),
            (&[(0, 5), (1, 7)], 2, 6.0),
            (&[(0, 5), (4, 7)], 5, 0.0),
            (&[(0, 5), (1, 1), (2, 9)], 3, 5.0),
            (&[(0, 5), (1, 1), (2, 9)], 4, 3.0),
            (&[], 0, 0.0),
        ];
        for &(series, span, want) in cases {
            assert_eq!(
                median_with_zeros(series, span),
                want,
                "{series:?} over {span}"
            );
        }
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        let rows = [row(i64::MIN, 1, "info"), row(i64::MAX, 1, "info")];
        let got = temporal_patterns(&rows, 3.0);
        assert_eq!(got.per_minute.len(), 2);
        assert_eq!(got.hour_of_day.iter().sum::<u64>(), 2);
    }
}
