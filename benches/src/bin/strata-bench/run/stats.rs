//! Medians and percentiles of measured samples.

/// The `p`-th percentile (`p` in `[0, 1]`) of `samples` by the nearest-rank
/// method on the sorted samples: the smallest sample with at least
/// `p · n` samples at or below it. `None` when there are no samples or a
/// sample is NaN.
pub fn percentile(samples: &[f64], p: f64) -> Option<f64> {
    if samples.is_empty() || samples.iter().any(|x| x.is_nan()) || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (p * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The median of `samples`: the mean of the two middle samples when their
/// number is even. `None` when there are no samples or a sample is NaN.
pub fn median(samples: &[f64]) -> Option<f64> {
    if samples.is_empty() || samples.iter().any(|x| x.is_nan()) {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    Some(if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let cases: &[(&[f64], Option<f64>)] = &[
            (&[], None),
            (&[5.0], Some(5.0)),
            (&[3.0, 1.0, 2.0], Some(2.0)),
            (&[4.0, 1.0, 3.0, 2.0], Some(2.5)),
            (&[1.0, f64::NAN], None),
            (&[7.0, 7.0, 1.0, 100.0, 7.0], Some(7.0)),
        ];
        for (samples, want) in cases {
            assert_eq!(median(samples), *want, "median of {samples:?}");
        }
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        let cases: &[(&[f64], f64, Option<f64>)] = &[
            (&[], 0.5, None),
            (&[9.0], 0.99, Some(9.0)),
            (&hundred, 0.5, Some(50.0)),
            (&hundred, 0.99, Some(99.0)),
            (&hundred, 1.0, Some(100.0)),
            (&hundred, 0.0, Some(1.0)),
            // p99 of few samples is the slowest one
            (&[3.0, 1.0, 2.0], 0.99, Some(3.0)),
            (&[3.0, 1.0, 2.0], 0.5, Some(2.0)),
            (&[4.0, 1.0, 3.0, 2.0], 0.5, Some(2.0)),
            (&[1.0, 2.0], 1.5, None),
            (&[1.0, f64::NAN], 0.5, None),
        ];
        for (samples, p, want) in cases {
            assert_eq!(
                percentile(samples, *p),
                *want,
                "p{p} of {} samples",
                samples.len()
            );
        }
    }
}
